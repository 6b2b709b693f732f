//! The reference DM client: sends Package #1, answers the server's challenges, executes
//! management commands on its tree, and ends the session when the server's package has
//! no operations and no challenge (DM Protocol §8, §9).

use crate::build::{self, MessageBuilder, Outbox};
use crate::fault::{ClientFault, MutCtx};
use crate::probe::Probes;
use crate::tree::{Access, GetResult, MgmtTree};
use dmct_proto::auth::{self, Credentials, HMAC_HEADER, HmacHeader, Nonce, Scheme};
use dmct_proto::media_type::{VerProtoParam, dm_content_type};
use dmct_proto::transcript::{Headers, HttpRequest, HttpResponse, Probe, ProbeKind};
use dmct_proto::xml::Encoding;
use dmct_proto::*;

mod challenge;
mod exec;

use exec::*;

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
    /// A nonce kept from an earlier session (CLCRED AAuthData), needed to open with MD5
    /// or HMAC: "the last nonce used shall be reused" ([SEC] §5.3.3).
    pub nonce: Option<Nonce>,
    /// Package #1 carries credentials before any challenge ([SEC] §5.3: either side
    /// "MAY send credentials"); false waits for the server to challenge.
    pub unprompted: bool,
    /// What the server must present (DMAcc AppAuth SRVCRED). `None` when the transport
    /// authenticates the server, so DM-level server credentials are not checked.
    pub server_creds: Option<Credentials>,
    /// The scheme the server must use (SRVCRED AAuthType): asked of a server whose
    /// credentials are missing or wrong, and the only one accepted.
    pub server_scheme: Scheme,
    /// The stored server nonce (SRVCRED AAuthData): a Package 0's digest is checked
    /// with it first, then with the resync nonce ([NOT] §5.1).
    pub stored_server_nonce: Nonce,
    /// Which nonce verified the Package 0 that woke this client; set by
    /// [`ClientConfig::for_notification`], `None` for a session not woken by one.
    pub package0_nonce: Option<Package0Verified>,
    /// The DMAcc ServerID: the server-identifier a Package 0 must name, and the key of
    /// its digest ([NOT] §6.2.2, §6.2.12).
    pub server_id: String,
    /// Seed of the nonces this client gives the server; a counter makes them fresh, so
    /// runs stay reproducible (the engine has no randomness of its own).
    pub nonce_seed: u64,
    pub session_id: String,
    /// 1201 for a client-initiated session, 1200 when answering a Package 0.
    pub alert: String,
    pub max_msg_size: u32,
    /// Largest object this client accepts (announced as MaxObjSize; DevDetail/LrgObj
    /// says whether large objects are supported at all). `None`: no large objects.
    pub max_obj_size: Option<u32>,
    /// XML or WBXML on the wire.
    pub encoding: Encoding,
    /// Whether Content-Type carries `verproto="DM/1.2"` or no parameter.
    pub verproto_param: VerProtoParam,
    pub faults: BTreeSet<ClientFault>,
    /// Negative probes of the server's authentication, sent once each and in order
    /// ([`crate::probe`]); empty for a client that only sends its real credentials.
    pub probes: Vec<ProbeKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("Package 0 does not decode: {0}")]
    Decode(#[from] package0::Package0Error),
    /// [NOT] §6.2.6: a DM 1.2 notification MUST have version '0000001011'.
    #[error(
        "Package 0 has version {found} (notification {}.{}); DM 1.2 notifications carry {} \
         ([NOT] §6.2.6)",
        found / 10,
        found % 10,
        package0::NOTIFICATION_VERSION
    )]
    Version { found: u16 },
    #[error("Package 0 names server {found:?}, not this account's {expected:?}")]
    UnknownServer { found: String, expected: String },
    #[error(
        "Package 0 digest matches the server's secret (SRVCRED) with neither the stored \
         server nonce nor the resync nonce 0x00000000 ([NOT] §5.1): ignored"
    )]
    BadDigest,
    #[error("the client has no server credentials (SRVCRED) to check Package 0 with")]
    NoServerCredentials,
}

/// The nonce a Package 0's digest held with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Package0Verified {
    /// The stored server nonce (SRVCRED AAuthData).
    StoredNonce,
    /// Only the resync nonce, four zero bytes ([NOT] §5.1 step 2). The text then wants
    /// Package #1 credentials based on it and Chals in Packages #2 and #3 to agree on new
    /// nonces (steps 3 to 6); this client does not play those yet.
    ResyncNonce,
}

impl ClientConfig {
    /// Answer a Package 0 as a strict device does: refuse a version other than DM
    /// 1.2's and a server other than its account's, check the digest with the server's
    /// password (SRVCRED) and the stored server nonce, then with the resync nonce
    /// ([NOT] §5.1), and open with Alert 1200 and the notification's SessionID (DM
    /// Notification §6). Which nonce held is kept in `package0_nonce`.
    pub fn for_notification(mut self, bytes: &[u8]) -> Result<ClientConfig, NotificationError> {
        let pkg0 = package0::decode(bytes)?;
        let n = &pkg0.notification;
        if n.version != package0::NOTIFICATION_VERSION {
            return Err(NotificationError::Version { found: n.version });
        }
        if n.server_id != self.server_id {
            return Err(NotificationError::UnknownServer {
                found: n.server_id.clone(),
                expected: self.server_id.clone(),
            });
        }
        let creds = self
            .server_creds
            .as_ref()
            .ok_or(NotificationError::NoServerCredentials)?;
        let verified = if pkg0.verify(&creds.secret, self.stored_server_nonce.as_bytes()) {
            Package0Verified::StoredNonce
        } else if pkg0.verify(&creds.secret, &package0::RESYNC_NONCE) {
            Package0Verified::ResyncNonce
        } else {
            return Err(NotificationError::BadDigest);
        };
        self.package0_nonce = Some(verified);
        self.session_id = n.session_id_hex();
        self.alert = alert_code::SERVER_INITIATED_MGMT.into();
        Ok(self)
    }
}

/// An HTTP request the client wants sent (a POST, unless a fault says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub method: String,
    pub url: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Outgoing {
    /// The request as it goes on the wire (origin-form target and a Host header), for
    /// drivers that do not use a real HTTP client.
    pub fn to_request(&self) -> HttpRequest {
        // A URL that does not parse goes out as written: the peer judges it.
        let (authority, target) = match dmct_proto::url::Url::parse(&self.url) {
            Ok(u) => (u.authority, u.target),
            Err(_) => (String::new(), self.url.clone()),
        };
        let mut headers = Headers::default();
        headers.push("Host", authority);
        headers.0.extend(self.headers.0.iter().cloned());
        headers.push("Content-Length", self.body.len().to_string());
        HttpRequest {
            method: self.method.clone(),
            target,
            headers,
            body: self.body.clone().into(),
        }
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
    /// Credentials were offered this session (unprompted, or after a challenge): from
    /// then on HMAC signs every message.
    offered: bool,
    /// The scheme the server accepted our credentials with (200 or 212): kept for the
    /// whole session ([PRO] §9.1).
    authenticated: Option<Scheme>,
    challenges: u32,
    /// The server proved itself with Basic or MD5 and got 212: no more checks.
    server_accepted: bool,
    /// The nonce this client last gave the server, for its MD5 Cred or HMAC mac.
    server_nonce: Option<Nonce>,
    nonces_issued: u64,
    server_challenges: u32,
    /// The session ended the way DM ends it: a server package without operations.
    completed: bool,
    /// The rest of this client's package, when it takes several messages.
    outbox: Outbox,
    /// The server's MaxMsgSize, in force until it sends another.
    server_max_msg: Option<usize>,
    /// A large object arriving in chunks.
    chunk: Option<Chunk>,
    /// A large object refused (over MaxObjSize) whose later chunks are still coming.
    refused_object: Option<String>,
    /// The server's last message, which faults may look at.
    last_server: Option<SyncML>,
    /// Faults already played (each fires once, so faulty sessions still end).
    spent: BTreeSet<ClientFault>,
    /// Negative probes: to send, being sent, sent.
    probes: Probes,
    /// Requests sent so far: the index of the next one's exchange.
    sent: usize,
}

/// A client that keeps being challenged gives up after this many challenges.
const MAX_CHALLENGES: u32 = 3;

/// The reference client's operation node, for Exec.
pub const EXEC_NODE: &str = "./Vendor/dmct/Ops/Reboot";

impl Client {
    pub fn new(config: ClientConfig) -> Self {
        let mut tree = MgmtTree::default();
        for (uri, value) in config.dev_info.nodes() {
            tree.set_leaf(uri, value, Access::READ_ONLY);
        }
        let ro = |tree: &mut MgmtTree, uri: &str, v: &str| tree.set_leaf(uri, v, Access::READ_ONLY);
        let rw =
            |tree: &mut MgmtTree, uri: &str, v: &str| tree.set_leaf(uri, v, Access::READ_WRITE);
        ro(&mut tree, "./DevDetail/DevTyp", "phone");
        ro(&mut tree, "./DevDetail/OEM", "dmct");
        ro(&mut tree, "./DevDetail/FwV", "1.0");
        ro(&mut tree, "./DevDetail/SwV", env!("CARGO_PKG_VERSION"));
        ro(&mut tree, "./DevDetail/HwV", "1.0");
        let lrg_obj = if config.max_obj_size.is_some() {
            "true"
        } else {
            "false"
        };
        ro(&mut tree, "./DevDetail/LrgObj", lrg_obj);
        ro(&mut tree, "./DevDetail/URI/MaxDepth", "0");
        ro(&mut tree, "./DevDetail/URI/MaxTotLen", "0");
        ro(&mut tree, "./DevDetail/URI/MaxSegLen", "0");
        // The DM 1.2 DMAcc (urn:oma:mo:oma-dm-dmacc:1.0).
        ro(&mut tree, "./DMAcc/dmct/AppID", "w7");
        ro(&mut tree, "./DMAcc/dmct/ServerID", &config.server_id);
        rw(&mut tree, "./DMAcc/dmct/Name", "dmct reference");
        rw(&mut tree, "./DMAcc/dmct/AppAddr/1/Addr", &config.server_url);
        rw(&mut tree, "./DMAcc/dmct/AppAddr/1/AddrType", "URI");
        rw(
            &mut tree,
            "./DMAcc/dmct/AAuthPref",
            scheme_node(config.scheme),
        );
        let mut auths = vec![("1", "CLCRED", config.scheme, Some(&config.creds), None)];
        if let Some(sc) = &config.server_creds {
            let stored = Some(&config.stored_server_nonce);
            auths.push(("2", "SRVCRED", config.server_scheme, Some(sc), stored));
        }
        for (n, level, scheme, creds, nonce) in auths {
            let base = format!("./DMAcc/dmct/AppAuth/{n}");
            ro(&mut tree, &format!("{base}/AAuthLevel"), level);
            rw(&mut tree, &format!("{base}/AAuthType"), scheme_node(scheme));
            if let Some(c) = creds {
                rw(&mut tree, &format!("{base}/AAuthName"), &c.user);
                tree.set_leaf(
                    &format!("{base}/AAuthSecret"),
                    &c.secret,
                    Access::WRITE_ONLY,
                );
            }
            let data = nonce.map(Nonce::to_b64).unwrap_or_default();
            tree.set_leaf(&format!("{base}/AAuthData"), &data, Access::WRITE_ONLY);
        }
        if let Some(n) = &config.nonce {
            tree.set_leaf(
                "./DMAcc/dmct/AppAuth/1/AAuthData",
                &n.to_b64(),
                Access::WRITE_ONLY,
            );
        }
        tree.set_leaf(EXEC_NODE, "0", Access::EXECUTABLE);
        Client {
            session_id: config.session_id.clone(),
            url: config.server_url.clone(),
            scheme: config.scheme,
            nonce: config.nonce.clone(),
            tree,
            msg_id: 0,
            phase: Phase::Setup,
            resend_cred: config.unprompted,
            offered: config.unprompted,
            authenticated: None,
            challenges: 0,
            server_accepted: false,
            server_nonce: None,
            nonces_issued: 0,
            server_challenges: 0,
            completed: false,
            outbox: Outbox::default(),
            server_max_msg: None,
            chunk: None,
            refused_object: None,
            last_server: None,
            spent: BTreeSet::new(),
            probes: Probes::new(&config.probes),
            sent: 0,
            config,
        }
    }

    pub fn tree(&self) -> &MgmtTree {
        &self.tree
    }

    /// True once the session ended normally: the server sent a package without
    /// operations. A session cut short (HTTP error, refused credentials, abort) is not.
    pub fn completed(&self) -> bool {
        self.completed
    }

    /// The negative probes sent so far, by exchange (the client's requests counted from
    /// 0, one exchange each): what the transcript's `probes` records.
    pub fn probes(&self) -> &[Probe] {
        self.probes.recorded()
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

    /// A nonce for the server, kept in SRVCRED's AAuthData as DM stores it.
    fn fresh_server_nonce(&mut self) -> Nonce {
        self.nonces_issued += 1;
        let n = Nonce::derive(b"", self.config.nonce_seed, self.nonces_issued);
        self.tree.set_leaf(
            "./DMAcc/dmct/AppAuth/2/AAuthData",
            &n.to_b64(),
            Access::WRITE_ONLY,
        );
        self.server_nonce = Some(n.clone());
        n
    }

    fn store_nonce(&mut self, n: Nonce) {
        self.probes.nonce_from_server(self.nonce.as_ref(), &n);
        self.tree.set_leaf(
            "./DMAcc/dmct/AppAuth/1/AAuthData",
            &n.to_b64(),
            Access::WRITE_ONLY,
        );
        self.nonce = Some(n);
    }

    fn begin(&mut self) -> MessageBuilder {
        self.msg_id += 1;
        let mut b = MessageBuilder::new(
            &self.session_id,
            self.msg_id,
            &self.url,
            LocRef {
                loc_uri: self.config.dev_info.dev_id.as_str().into(),
                loc_name: Some(self.config.creds.user.as_str().into()),
            },
        );
        b.hdr_mut().meta = Some(Meta {
            max_msg_size: Some(self.config.max_msg_size.to_string()),
            max_obj_size: self.config.max_obj_size.map(|n| n.to_string()),
            ..Default::default()
        });
        // HMAC never travels in Cred: `send` puts it in the HTTP header.
        if self.resend_cred && self.scheme != Scheme::Hmac {
            let (creds, nonce) =
                self.probes
                    .keying(self.scheme, &self.config.creds, self.nonce.as_ref());
            b.hdr_mut().cred = build::cred(self.scheme, &creds, nonce.as_ref());
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
            b.push(Command::alert(Alert {
                data: Some(self.config.alert.as_str().into()),
                ..Default::default()
            }));
            let items = self
                .config
                .dev_info
                .nodes()
                .into_iter()
                .map(|(uri, value)| Item {
                    source: Some(LocRef::uri(uri)),
                    meta: Some(
                        Meta {
                            format: Some("chr".into()),
                            r#type: Some("text/plain".into()),
                            ..Default::default()
                        }
                        .into(),
                    ),
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

    fn send(&mut self, mut msg: SyncML) -> Outgoing {
        let faults: Vec<ClientFault> = self.config.faults.iter().copied().collect();
        let peer = self.last_server.clone();
        for &f in &faults {
            if (f.every_message() || !self.spent.contains(&f))
                && f.mutate(
                    &mut msg,
                    MutCtx {
                        peer: peer.as_ref(),
                    },
                )
                && !f.every_message()
            {
                self.spent.insert(f);
            }
        }
        let n = msg.hdr.msg_id_number().unwrap_or(0);
        // After HMAC was accepted, fall back to Basic (a fault).
        let to_basic = self.scheme == Scheme::Hmac
            && n >= 3
            && self.config.faults.contains(&ClientFault::SwitchesToBasic);
        if to_basic {
            msg.hdr.cred = build::cred(Scheme::Basic, &self.config.creds, None);
        }
        let mut headers = Headers::default();
        let media = match self.config.encoding {
            Encoding::Xml => CONTENT_TYPE_XML,
            Encoding::Wbxml => CONTENT_TYPE_WBXML,
        };
        // The registration's verproto parameter says which DM version the body speaks
        // (its own VerProto, so a label never contradicts the body it is on).
        headers.push(
            "Content-Type",
            dm_content_type(
                self.config.encoding,
                &msg.hdr.ver_proto,
                self.config.verproto_param,
            ),
        );
        headers.push("Accept", media);
        let body = dmct_proto::encode(&msg, self.config.encoding);
        // HMAC: every message carries a mac over its exact bytes, keyed with the latest
        // nonce from the server. Without a nonce there is nothing to key it with, and the
        // server's challenge will bring one.
        let dropped = (n >= 3 && self.config.faults.contains(&ClientFault::HmacHeaderDropped))
            || (self.scheme == Scheme::Hmac
                && self
                    .probes
                    .drops_hmac(self.authenticated == Some(Scheme::Hmac)));
        if self.scheme == Scheme::Hmac
            && self.offered
            && !to_basic
            && !dropped
            && self.nonce.is_some()
            && let (creds, Some(nonce)) =
                self.probes
                    .keying(Scheme::Hmac, &self.config.creds, self.nonce.as_ref())
        {
            let header = HmacHeader {
                algorithm: Some("MD5".into()),
                username: creds.user.clone(),
                mac: auth::hmac_mac(&creds, nonce.as_bytes(), &body),
            };
            headers.push(HMAC_HEADER, header.to_header_value());
        }
        let mut method = "POST".to_owned();
        for &f in &faults {
            if (f.every_message() || !self.spent.contains(&f))
                && f.mutate_http(&msg, &mut method, &mut headers)
                && !f.every_message()
            {
                self.spent.insert(f);
            }
        }
        self.probes.sent(self.sent);
        self.sent += 1;
        Outgoing {
            method,
            url: self.url.clone(),
            headers,
            body,
        }
    }

    /// Feed the server's answer to the last request; `None` when no HTTP response came.
    pub fn on_response(&mut self, response: Option<&HttpResponse>) -> ClientStep {
        let Some(resp) = response else {
            return ClientStep::Done("no response from the server".into());
        };
        // The bytes decide, not the head: a DM message under a wrong Content-Type, or in
        // another status than 200, is read and answered (the HTTP rules judge the head);
        // only an answer that is no DM message ends the session.
        let msg = match dmct_proto::decode(resp.body.as_bytes()) {
            Ok(d) => d.message,
            Err(_) if resp.status != 200 => {
                return ClientStep::Done(format!(
                    "server answered HTTP {} without a DM message",
                    resp.status
                ));
            }
            Err(e) => return ClientStep::Done(format!("undecodable server message: {e}")),
        };
        self.last_server = Some(msg.clone());
        // §8: a client receiving Session Abort does not answer.
        if msg.alert_codes().any(|c| c == alert_code::SESSION_ABORT) {
            if self.fault(ClientFault::AnswersAbort) {
                // The response §8.1.2 asks a client not to send: Statuses for the
                // server's SyncHdr and its Alerts.
                let mut b = self.begin();
                b.push(build::synchdr_status(&msg.hdr, 200, None));
                for c in msg
                    .body
                    .commands
                    .iter()
                    .filter(|c| matches!(c, Command::Alert(_)))
                {
                    b.push(build::command_status(&msg.hdr.msg_id, c, 200));
                }
                let m = b.finish(true);
                return ClientStep::Send(self.send(m));
            }
            return ClientStep::Done("server aborted the session (Alert 1223)".into());
        }
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
            self.store_nonce(n);
        }
        // 212: authenticated for the session. 200 to a request with Cred: send the same
        // Cred again next time (DM Protocol §9); otherwise nothing changes.
        if code == Some(212) {
            self.resend_cred = false;
        }
        if matches!(code, Some(200 | 212)) && self.offered {
            self.authenticated.get_or_insert(self.scheme);
        }
        self.phase = Phase::Management;
        if let Some(uri) = &msg.hdr.resp_uri {
            self.url = uri.clone();
        }

        let has_ops = msg.operations().next().is_some();
        if !has_ops {
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
            self.completed = true;
            return ClientStep::Done(
                "server package had no operations and no challenge: the session ends".into(),
            );
        }

        // The server must prove itself before its commands run (mutual authentication).
        let hdr_reply = match self.check_server(resp, &msg) {
            Ok(reply) => reply,
            Err(code) => return self.challenge_server(&msg, code),
        };
        // MaxMsgSize stays in force until the server changes it.
        if let Some(n) = build::announced(&msg.hdr, |m| m.max_msg_size.as_ref()) {
            self.server_max_msg = Some(n);
        }
        let mut b = self.begin();
        b.push(hdr_reply);
        let mut out = Vec::new();
        for cmd in &msg.body.commands {
            self.execute(&msg.hdr.msg_id, cmd, &mut out);
        }
        let asks_next = msg.alert_codes().any(|c| c == alert_code::NEXT_MESSAGE);
        let m = if asks_next && !self.outbox.is_empty() {
            // The server asks for the rest of our package.
            for c in out {
                b.push(c);
            }
            let max = self.max_for_compose();
            self.outbox.compose(b, max, self.config.encoding)
        } else if !msg.body.final_ {
            // The server's package goes on: answer this message and ask for the next,
            // without Final (DM Protocol §2.1).
            for c in out {
                b.push(c);
            }
            b.push(Command::alert(Alert {
                data: Some(alert_code::NEXT_MESSAGE.into()),
                ..Default::default()
            }));
            b.finish(false)
        } else {
            for c in out {
                self.outbox.push(c);
            }
            let max = self.max_for_compose();
            self.outbox.compose(b, max, self.config.encoding)
        };
        ClientStep::Send(self.send(m))
    }

    /// The MaxMsgSize to respect (none when a fault ignores it).
    fn max_for_compose(&self) -> Option<usize> {
        if self.config.faults.contains(&ClientFault::IgnoresMaxMsgSize) {
            None
        } else {
            self.server_max_msg
        }
    }
}
