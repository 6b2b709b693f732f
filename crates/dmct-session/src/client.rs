//! The reference DM client: sends Package #1, answers the server's challenges, executes
//! management commands on its tree, and ends the session when the server's package has
//! no operations and no challenge (DM Protocol §8, §9).

use crate::build::{self, MessageBuilder};
use crate::fault::ClientFault;
use crate::tree::{Access, GetResult, MgmtTree};
use dmct_proto::auth::{Credentials, Nonce, Scheme};
use dmct_proto::transcript::{Headers, HttpRequest, HttpResponse};
use dmct_proto::xml::Encoding;
use dmct_proto::*;
use std::collections::BTreeSet;

/// The ./DevInfo leaves every DM client sends in Package #1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevInfo {
    pub dev_id: String,
    pub man: String,
    pub model: String,
    pub dmv: String,
    pub lang: String,
}

impl DevInfo {
    /// (node URI, value) pairs in the order of the spec's Package #1 example.
    pub fn nodes(&self) -> [(&'static str, &str); 5] {
        [
            ("./DevInfo/DevId", &self.dev_id),
            ("./DevInfo/Man", &self.man),
            ("./DevInfo/Mod", &self.model),
            ("./DevInfo/DmV", &self.dmv),
            ("./DevInfo/Lang", &self.lang),
        ]
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Where Package #1 goes (the server's URI, also the SyncHdr Target).
    pub server_url: String,
    pub dev_info: DevInfo,
    /// The client's own credentials (DMAcc AppAuth CLCRED).
    pub creds: Credentials,
    /// The scheme Package #1 uses (DMAcc AAuthPref).
    pub scheme: Scheme,
    /// A nonce kept from an earlier session, needed to open with MD5.
    pub nonce: Option<Nonce>,
    pub session_id: String,
    /// 1201 for a client-initiated session, 1200 when answering a Package 0.
    pub alert: String,
    pub max_msg_size: u32,
    /// XML or WBXML on the wire.
    pub encoding: Encoding,
    pub faults: BTreeSet<ClientFault>,
}

/// An HTTP POST the client wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Outgoing {
    /// The request as it goes on the wire (origin-form target and a Host header), for
    /// drivers that do not use a real HTTP client.
    pub fn to_request(&self) -> HttpRequest {
        let (authority, target) = split_url(&self.url);
        let mut headers = Headers::default();
        headers.push("Host", authority);
        headers.0.extend(self.headers.0.iter().cloned());
        headers.push("Content-Length", self.body.len().to_string());
        HttpRequest {
            method: "POST".into(),
            target,
            headers,
            body: self.body.clone().into(),
        }
    }
}

/// `http://host:port/p?q` -> (`host:port`, `/p?q`).
pub fn split_url(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => (rest[..i].into(), rest[i..].into()),
        Some(i) => (rest[..i].into(), format!("/{}", &rest[i..])),
        None => (rest.into(), "/".into()),
    }
}

/// What the client does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientStep {
    Send(Outgoing),
    /// The session is over for the client; why, for the log.
    Done(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Package #1 sent, awaiting Package #2.
    Setup,
    Management,
}

pub struct Client {
    config: ClientConfig,
    tree: MgmtTree,
    session_id: String,
    msg_id: u32,
    url: String,
    scheme: Scheme,
    nonce: Option<Nonce>,
    phase: Phase,
    /// Send Cred again in the next message (the server answered our Cred with 200, not
    /// 212, or has not authenticated us yet).
    resend_cred: bool,
    challenges: u32,
    /// Faults already played (each fires once, so faulty sessions still end).
    spent: BTreeSet<ClientFault>,
}

/// A client that keeps being challenged gives up after this many challenges.
const MAX_CHALLENGES: u32 = 3;

impl Client {
    pub fn new(config: ClientConfig) -> Self {
        let mut tree = MgmtTree::default();
        for (uri, value) in config.dev_info.nodes() {
            tree.set_leaf(uri, value, Access::READ_ONLY);
        }
        tree.set_leaf("./DevDetail/DevTyp", "phone", Access::READ_ONLY);
        tree.set_leaf("./DevDetail/FwV", "1.0", Access::READ_ONLY);
        tree.set_leaf("./DevDetail/LrgObj", "false", Access::READ_ONLY);
        tree.set_leaf("./DMAcc/dmct/AppID", "w7", Access::READ_ONLY);
        tree.set_leaf("./DMAcc/dmct/ServerID", "dmct", Access::READ_ONLY);
        tree.set_leaf("./DMAcc/dmct/Name", "dmct reference", Access::READ_WRITE);
        tree.set_leaf(
            "./DMAcc/dmct/AppAddr/1/Addr",
            &config.server_url,
            Access::READ_WRITE,
        );
        tree.set_leaf(
            "./DMAcc/dmct/AAuthPref",
            scheme_node(config.scheme),
            Access::READ_WRITE,
        );
        tree.set_leaf(
            "./DMAcc/dmct/AppAuth/1/AAuthLevel",
            "CLCRED",
            Access::READ_ONLY,
        );
        tree.set_leaf(
            "./DMAcc/dmct/AppAuth/1/AAuthName",
            &config.creds.user,
            Access::READ_WRITE,
        );
        tree.set_leaf(
            "./DMAcc/dmct/AppAuth/1/AAuthSecret",
            &config.creds.secret,
            Access::WRITE_ONLY,
        );
        Client {
            session_id: config.session_id.clone(),
            url: config.server_url.clone(),
            scheme: config.scheme,
            nonce: config.nonce.clone(),
            tree,
            msg_id: 0,
            phase: Phase::Setup,
            resend_cred: true,
            challenges: 0,
            spent: BTreeSet::new(),
            config,
        }
    }

    pub fn tree(&self) -> &MgmtTree {
        &self.tree
    }

    /// Package #1.
    pub fn start(&mut self) -> Outgoing {
        self.phase = Phase::Setup;
        let msg = self.setup_package(None, true);
        self.send(msg)
    }

    fn fault(&mut self, f: ClientFault) -> bool {
        self.config.faults.contains(&f) && self.spent.insert(f)
    }

    fn begin(&mut self) -> MessageBuilder {
        self.msg_id += 1;
        let mut b = MessageBuilder::new(
            &self.session_id,
            self.msg_id,
            &self.url,
            LocRef {
                loc_uri: self.config.dev_info.dev_id.clone(),
                loc_name: Some(self.config.creds.user.clone()),
            },
        );
        b.hdr_mut().meta = Some(Meta {
            max_msg_size: Some(self.config.max_msg_size.to_string()),
            ..Default::default()
        });
        if self.resend_cred {
            b.hdr_mut().cred = build::cred(self.scheme, &self.config.creds, self.nonce.as_ref());
        }
        b
    }

    /// Package #1, or its repetition after a challenge (then with a Status for the
    /// server's SyncHdr, and the Alert and DevInfo again unless a fault drops them).
    fn setup_package(&mut self, server_hdr: Option<&SyncHdr>, with_setup: bool) -> SyncML {
        let mut b = self.begin();
        if let Some(h) = server_hdr {
            b.push(build::synchdr_status(h, 200, None));
        }
        if with_setup {
            b.push(Command::Alert(Alert {
                data: Some(self.config.alert.clone()),
                ..Default::default()
            }));
            let items = self
                .config
                .dev_info
                .nodes()
                .into_iter()
                .map(|(uri, value)| Item {
                    source: Some(LocRef::uri(uri)),
                    meta: Some(Meta {
                        format: Some("chr".into()),
                        r#type: Some("text/plain".into()),
                        ..Default::default()
                    }),
                    data: Some(Data::Text(value.into())),
                    ..Default::default()
                })
                .collect();
            b.push(Command::Replace(ItemCmd {
                items,
                ..Default::default()
            }));
        }
        b.finish(true)
    }

    fn send(&self, msg: SyncML) -> Outgoing {
        let mut headers = Headers::default();
        let media = match self.config.encoding {
            Encoding::Xml => CONTENT_TYPE_XML,
            Encoding::Wbxml => CONTENT_TYPE_WBXML,
        };
        headers.push("Content-Type", media);
        headers.push("Accept", media);
        Outgoing {
            url: self.url.clone(),
            headers,
            body: dmct_proto::encode(&msg, self.config.encoding),
        }
    }

    /// Feed the server's answer to the last request; `None` when no HTTP response came.
    pub fn on_response(&mut self, response: Option<&HttpResponse>) -> ClientStep {
        let Some(resp) = response else {
            return ClientStep::Done("no response from the server".into());
        };
        if resp.status != 200 {
            return ClientStep::Done(format!("server answered HTTP {}", resp.status));
        }
        let msg = match dmct_proto::decode(resp.body.as_bytes()) {
            Ok(d) => d.message,
            Err(e) => return ClientStep::Done(format!("undecodable server message: {e}")),
        };
        let was_setup = self.phase == Phase::Setup;
        let hdr_status = msg.synchdr_status().cloned();
        let code = hdr_status.as_ref().and_then(Status::code);
        let chal = hdr_status.as_ref().and_then(|s| s.chal.clone());

        // The server asks for (other) credentials.
        if matches!(code, Some(401 | 407)) {
            let Some(chal) = chal else {
                return ClientStep::Done(format!(
                    "server refused our credentials ({}) without a challenge",
                    code.unwrap_or(0)
                ));
            };
            return self.reauthenticate(&msg, &chal, was_setup);
        }

        // Accepted: remember a fresh nonce, and whether Cred must be repeated.
        if let Some(n) = chal
            .as_ref()
            .and_then(|c| c.meta.next_nonce.as_deref())
            .and_then(|n| Nonce::from_b64(n).ok())
        {
            self.nonce = Some(n);
        }
        // 212: authenticated for the session. 200 to a request with Cred: send the same
        // Cred again next time (DM Protocol §9); otherwise nothing changes.
        if code == Some(212) {
            self.resend_cred = false;
        }
        self.phase = Phase::Management;
        if let Some(uri) = &msg.hdr.resp_uri {
            self.url = uri.clone();
        }

        let has_ops = msg.operations().next().is_some();
        if !has_ops && msg.challenge().is_none() {
            if was_setup && msg.hdr.cred.is_none() && self.fault(ClientFault::SynchdrOnlyChallenge)
            {
                let mut b = self.begin();
                b.push(build::synchdr_status(
                    &msg.hdr,
                    407,
                    Some(build::chal(Scheme::Basic, None)),
                ));
                let m = b.finish(true);
                return ClientStep::Send(self.send(m));
            }
            if self.fault(ClientFault::StatusOnlyReply) {
                let mut b = self.begin();
                b.push(build::synchdr_status(&msg.hdr, 200, None));
                let m = b.finish(true);
                return ClientStep::Send(self.send(m));
            }
            return ClientStep::Done(
                "server package had no operations and no challenge: the session ends".into(),
            );
        }

        let server_code = if msg.hdr.cred.is_some() { 212 } else { 200 };
        let mut b = self.begin();
        b.push(build::synchdr_status(&msg.hdr, server_code, None));
        for cmd in &msg.body.commands {
            self.execute(&msg.hdr.msg_id, cmd, &mut b);
        }
        let m = b.finish(true);
        ClientStep::Send(self.send(m))
    }

    fn reauthenticate(&mut self, msg: &SyncML, chal: &Chal, was_setup: bool) -> ClientStep {
        self.challenges += 1;
        if self.challenges > MAX_CHALLENGES {
            return ClientStep::Done(format!("challenged {} times: giving up", self.challenges));
        }
        let Some(scheme) = build::scheme_of(Some(&chal.meta)) else {
            return ClientStep::Done(
                "challenge names an unknown scheme: ending the session".into(),
            );
        };
        if scheme == Scheme::Hmac {
            // §9: answer with the requested type or end the session.
            return ClientStep::Done(
                "HMAC is not supported by this client: ending the session".into(),
            );
        }
        if !self.fault(ClientFault::ReauthSameScheme) {
            self.scheme = scheme;
        }
        if let Some(n) = chal
            .meta
            .next_nonce
            .as_deref()
            .and_then(|n| Nonce::from_b64(n).ok())
        {
            self.nonce = Some(n);
        }
        self.resend_cred = true;
        if let Some(uri) = &msg.hdr.resp_uri
            && !self.fault(ClientFault::ReauthIgnoresRespUri)
        {
            self.url = uri.clone();
        }
        if was_setup && self.fault(ClientFault::ReauthNewSession) {
            self.session_id = format!("{}1", self.session_id);
            self.msg_id = 0;
            self.url = self.config.server_url.clone();
            let m = self.setup_package(None, true);
            return ClientStep::Send(self.send(m));
        }
        let with_setup = was_setup && !self.fault(ClientFault::ReauthWithoutSetup);
        let m = if with_setup {
            self.setup_package(Some(&msg.hdr), true)
        } else {
            // Outside setup (or by fault): answer the server's commands again with
            // the new credentials.
            let mut b = self.begin();
            b.push(build::synchdr_status(&msg.hdr, 200, None));
            for cmd in &msg.body.commands {
                self.execute(&msg.hdr.msg_id, cmd, &mut b);
            }
            b.finish(true)
        };
        ClientStep::Send(self.send(m))
    }

    /// Execute one server command, appending its Status (and Results for Get).
    fn execute(&mut self, msg_id: &str, cmd: &Command, out: &mut MessageBuilder) {
        let mut results = Vec::new();
        let code = match cmd {
            Command::Status(_) | Command::Results(_) => return,
            Command::Get(c) => {
                let mut code = 200;
                for item in &c.items {
                    let uri = item.target.as_ref().map_or("", |t| t.loc_uri.as_str());
                    match self.tree.get(uri) {
                        Ok(found) => {
                            let (value, format) = match found {
                                GetResult::Leaf { value, format } => (value, format),
                                GetResult::Interior { children } => (children, "node".into()),
                            };
                            results.push(Item {
                                source: Some(LocRef::uri(uri)),
                                meta: Some(Meta {
                                    format: Some(format),
                                    ..Default::default()
                                }),
                                data: Some(Data::Text(value)),
                                ..Default::default()
                            });
                        }
                        Err(c) => code = c,
                    }
                }
                code
            }
            Command::Replace(c) => self.each_item(c, |tree, uri, data, format| {
                tree.replace(uri, data.unwrap_or(""), format)
            }),
            Command::Add(c) => {
                self.each_item(c, |tree, uri, data, format| tree.add(uri, data, format))
            }
            Command::Delete(c) => self.each_item(c, |tree, uri, _, _| tree.delete(uri)),
            // This client has nothing to execute.
            Command::Exec(_) => 405,
            // User interaction and other alerts are not supported by this client.
            Command::Alert(_) => 406,
            // Copy, Atomic and Sequence are not supported by this client yet.
            Command::Copy(_) | Command::Atomic(_) | Command::Sequence(_) | Command::Other(_) => 406,
        };
        let no_resp = match cmd {
            Command::Add(c)
            | Command::Delete(c)
            | Command::Exec(c)
            | Command::Get(c)
            | Command::Replace(c) => c.no_resp,
            Command::Alert(a) => a.no_resp,
            _ => false,
        };
        if !no_resp {
            out.push(build::command_status(msg_id, cmd, code));
        }
        if !results.is_empty() {
            out.push(Command::Results(Results {
                msg_ref: Some(msg_id.into()),
                cmd_ref: cmd.cmd_id().unwrap_or("0").into(),
                items: results,
                ..Default::default()
            }));
        }
    }

    /// Apply `op` to every Item; the command's Status is the first failure, else 200.
    fn each_item(
        &mut self,
        cmd: &ItemCmd,
        op: impl Fn(&mut MgmtTree, &str, Option<&str>, &str) -> u16,
    ) -> u16 {
        let mut code = 200;
        for item in &cmd.items {
            let uri = item.target.as_ref().map_or("", |t| t.loc_uri.as_str());
            let format = item
                .meta
                .as_ref()
                .or(cmd.meta.as_ref())
                .and_then(|m| m.format.as_deref())
                .unwrap_or("chr");
            let data = item.data.as_ref().and_then(Data::as_text);
            let c = op(&mut self.tree, uri, data, format);
            if c != 200 && code == 200 {
                code = c;
            }
        }
        code
    }
}

fn scheme_node(s: Scheme) -> &'static str {
    match s {
        Scheme::Basic => "BASIC",
        Scheme::Md5 => "DIGEST",
        Scheme::Hmac => "HMAC",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_url_forms() {
        assert_eq!(
            split_url("http://h:1/a/b?c=d"),
            ("h:1".into(), "/a/b?c=d".into())
        );
        assert_eq!(split_url("http://h:1"), ("h:1".into(), "/".into()));
        assert_eq!(split_url("http://h:1?x=1"), ("h:1".into(), "/?x=1".into()));
    }
}
