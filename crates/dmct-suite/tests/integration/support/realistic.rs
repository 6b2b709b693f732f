//! Scripted realistic peers (issue 13 item 9): a DM device and a DM server written by
//! hand, not dmct's reference engines, that talk to dmct over real loopback HTTP. Each
//! message is typed as XML from the elements the DM texts name ([`Msg`]); each peer
//! reacts to what dmct sent as a stack of another vendor would, and does only what its
//! script says (a device that quits after a challenge, crashes on a command, wants the
//! server's credentials; a server that reuses CmdIDs in a message, presents no
//! credentials, accepts any password, numbers its messages across sessions). Modelled
//! on h2's `tests/h2-support`: builders that script a peer, so a test names the
//! behaviour and asserts dmct's verdicts on it.

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use dmct_net::Responder;
use dmct_proto::auth::{self, Credentials, Nonce, Scheme};
use dmct_proto::transcript::{Body, Headers, HttpRequest, HttpResponse};
use dmct_proto::xml::{Decoded, Encoding};
use dmct_proto::{Command, SyncML};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The DM XML type ([REP] Appendix C).
pub const DM_XML: &str = "application/vnd.syncml.dm+xml";
/// The DM WBXML type.
pub const DM_WBXML: &str = "application/vnd.syncml.dm+wbxml";
/// The device's identity, as in the [PRO] examples.
pub const DEVICE: &str = "IMEI:493005100592800";

// ------------------------------------------------------------------ messages by hand

/// A `<Meta>` of metinf elements.
pub fn meta(fields: &[(&str, &str)]) -> String {
    let inner: String = fields
        .iter()
        .map(|(n, v)| format!("<{n} xmlns='syncml:metinf'>{v}</{n}>"))
        .collect();
    format!("<Meta>{inner}</Meta>")
}

/// `text` as XML character data (a RespURI's query carries `&`).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

/// One SyncML DM message typed by hand. CmdIDs count from 1 unless given.
#[derive(Debug, Clone)]
pub struct Msg {
    session: String,
    msg_id: String,
    target: String,
    source: String,
    hdr_extra: String,
    body: Vec<String>,
    next: u32,
    final_: bool,
}

impl Msg {
    pub fn new(session: &str, msg_id: u32, target: &str, source: &str) -> Self {
        Msg {
            session: session.into(),
            msg_id: msg_id.to_string(),
            target: escape(target),
            source: escape(source),
            hdr_extra: String::new(),
            body: Vec::new(),
            next: 1,
            final_: true,
        }
    }

    /// A SyncHdr Cred of `scheme` ([SEC] §5.4.1: Meta Type, Format b64).
    pub fn cred(mut self, scheme: Scheme, data: &str) -> Self {
        let m = meta(&[("Format", "b64"), ("Type", scheme.meta_type())]);
        self.hdr_extra += &format!("<Cred>{m}<Data>{data}</Data></Cred>");
        self
    }

    /// A command `<name>` with the next CmdID and `inner` after it.
    pub fn cmd(self, name: &str, inner: &str) -> Self {
        let id = self.next;
        self.cmd_with_id(name, id, inner)
    }

    /// A command with the CmdID given (numberings of a script's own); the next
    /// automatic CmdID follows it.
    pub fn cmd_with_id(mut self, name: &str, id: u32, inner: &str) -> Self {
        self.next = id + 1;
        self.body
            .push(format!("<{name}><CmdID>{id}</CmdID>{inner}</{name}>"));
        self
    }

    pub fn alert(self, code: &str) -> Self {
        self.cmd("Alert", &format!("<Data>{code}</Data>"))
    }

    /// A Status for command `cmd_ref` (`0`/`SyncHdr` for the header) of the peer's
    /// message `msg_ref`; `extra` goes before Data (a Chal).
    pub fn status_with(
        self,
        msg_ref: &str,
        cmd_ref: &str,
        cmd: &str,
        code: u16,
        extra: &str,
    ) -> Self {
        self.cmd(
            "Status",
            &format!(
                "<MsgRef>{msg_ref}</MsgRef><CmdRef>{cmd_ref}</CmdRef><Cmd>{cmd}</Cmd>{extra}\
                 <Data>{code}</Data>"
            ),
        )
    }

    pub fn status(self, msg_ref: &str, cmd_ref: &str, cmd: &str, code: u16) -> Self {
        self.status_with(msg_ref, cmd_ref, cmd, code, "")
    }

    pub fn results(self, msg_ref: &str, cmd_ref: &str, uri: &str, data: &str) -> Self {
        self.cmd(
            "Results",
            &format!(
                "<MsgRef>{msg_ref}</MsgRef><CmdRef>{cmd_ref}</CmdRef><Item><Source>\
                 <LocURI>{uri}</LocURI></Source>{}<Data>{data}</Data></Item>",
                meta(&[("Format", "chr")])
            ),
        )
    }

    /// The device's DevInfo in a Replace ([PRO] §8.3 item 3).
    pub fn dev_info(self, dev_id: &str) -> Self {
        let items: String = [
            ("DevId", dev_id),
            ("Man", "Acme"),
            ("Mod", "A1"),
            ("DmV", "1.2"),
            ("Lang", "en-US"),
        ]
        .iter()
        .map(|(n, v)| {
            format!("<Item><Source><LocURI>./DevInfo/{n}</LocURI></Source><Data>{v}</Data></Item>")
        })
        .collect();
        self.cmd("Replace", &items)
    }

    pub fn xml(&self) -> String {
        let fin = if self.final_ { "<Final/>" } else { "" };
        format!(
            "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
             <VerProto>DM/1.2</VerProto><SessionID>{}</SessionID><MsgID>{}</MsgID>\
             <Target><LocURI>{}</LocURI></Target><Source><LocURI>{}</LocURI></Source>{}\
             </SyncHdr><SyncBody>{}{fin}</SyncBody></SyncML>",
            self.session,
            self.msg_id,
            self.target,
            self.source,
            self.hdr_extra,
            self.body.concat()
        )
    }

    /// The message on the wire in `encoding` (the codec only writes the hand-typed
    /// message as WBXML).
    pub fn wire(&self, encoding: Encoding) -> Vec<u8> {
        let xml = self.xml();
        match encoding {
            Encoding::Xml => xml.into_bytes(),
            Encoding::Wbxml => dmct_proto::wbxml::encode(
                &dmct_proto::decode(xml.as_bytes())
                    .expect("a hand-typed message decodes")
                    .message,
            ),
        }
    }
}

/// The Statuses (and Results for a Get) a conforming receiver owes `commands` of the
/// peer's message `msg_ref`, all executed with 200, nested commands of Atomic and
/// Sequence included.
fn answer_commands(mut m: Msg, msg_ref: &str, commands: &[Command]) -> Msg {
    for c in commands {
        if !c.is_operation() {
            continue;
        }
        let id = c.cmd_id().unwrap_or_default().to_owned();
        m = m.status(msg_ref, &id, c.name(), 200);
        match c {
            Command::Get(g) => {
                for uri in g
                    .items
                    .iter()
                    .filter_map(|i| i.target.as_ref().map(|t| t.loc_uri.clone()))
                {
                    m = m.results(msg_ref, &id, &uri, "A1");
                }
            }
            Command::Atomic(x) | Command::Sequence(x) => {
                m = answer_commands(m, msg_ref, &x.commands);
            }
            _ => {}
        }
    }
    m
}

// ------------------------------------------------------------------ raw HTTP

/// What came back on one POST.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn decoded(&self) -> Option<Decoded> {
        dmct_proto::decode(&self.body).ok()
    }
}

/// POST `body` to `path` at `addr` over a raw socket, labelled `content_type` (none
/// when `None`), as a device's own HTTP stack writes it. With `crash`, only half the
/// body is written and the socket is dropped: the device died mid-request.
pub async fn raw_post(
    addr: SocketAddr,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
    crash: bool,
) -> Option<Answer> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let label = content_type.map_or(String::new(), |t| format!("Content-Type: {t}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{label}Content-Length: {}\r\n\
         User-Agent: Acme-DM/1.0\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut sock = tokio::net::TcpStream::connect(addr).await.ok()?;
    sock.write_all(head.as_bytes()).await.ok()?;
    if crash {
        sock.write_all(&body[..body.len() / 2]).await.ok()?;
        sock.flush().await.ok()?;
        // Let the half body reach the server before the connection goes.
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(sock);
        return None;
    }
    sock.write_all(body).await.ok()?;
    let mut answer = Vec::new();
    sock.read_to_end(&mut answer).await.ok()?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let content_type = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-type")
            .then(|| v.trim().to_owned())
    });
    Some(Answer {
        status,
        content_type,
        body: answer[split + 4..].to_vec(),
    })
}

/// The path and query of `url` (what a device posts to), `/` when it has none.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/".into(), |i| rest[i..].to_owned())
}

// ------------------------------------------------------------------ the device

/// What the device does when the server challenges its Package #1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnChallenge {
    /// Re-send Package #1 with credentials of the scheme asked for, keyed with the
    /// Chal's NextNonce ([PRO] §9).
    Answer,
    /// Say nothing more and close the connection.
    Quit,
    /// Abort with Alert 1223 ([PRO] §8.1.1).
    Abort,
}

/// How the device's session ended, as the device saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceEnd {
    /// The server's package without operations or a challenge ([PRO] §8).
    Finished,
    QuitAfterChallenge,
    Aborted,
    /// Crashed while answering a package that carried this command.
    Crashed(String),
    /// The server's credentials were missing or did not verify against SRVCRED: the
    /// device ended the session ([PRO] §9: a client refuses by ending, errata 13.6).
    RefusedServer,
    /// An answer that is no DM message, or no answer.
    NoMessage,
}

/// What a device run left: every answer, and how it ended.
#[derive(Debug, Clone)]
pub struct DeviceLog {
    pub answers: Vec<Answer>,
    pub end: DeviceEnd,
}

/// A DM device that is not dmct's, posting hand-typed packages to dmct's `run
/// --serve` listener and answering what comes back.
#[derive(Debug, Clone)]
pub struct ScriptedDevice {
    addr: SocketAddr,
    url: String,
    session_id: String,
    dev_id: String,
    label: Option<String>,
    encoding: Encoding,
    /// CLCRED: what the device authenticates with; `scheme` None sends no Cred in
    /// Package #1.
    creds: Credentials,
    scheme: Option<Scheme>,
    /// SRVCRED: what the server must present (Basic), when the device checks it.
    srvcred: Option<Credentials>,
    on_challenge: OnChallenge,
    crash_on: Option<String>,
    alert: String,
}

impl ScriptedDevice {
    /// A device configured for dmct's listener at `url` (reached at `addr`), with
    /// session 4D, Basic credentials `creds` in Package #1, speaking XML under the DM
    /// type, starting its sessions itself (Alert 1201).
    pub fn new(addr: SocketAddr, url: &str, creds: Credentials) -> Self {
        ScriptedDevice {
            addr,
            url: url.into(),
            session_id: "4D".into(),
            dev_id: DEVICE.into(),
            label: Some(DM_XML.into()),
            encoding: Encoding::Xml,
            creds,
            scheme: Some(Scheme::Basic),
            srvcred: None,
            on_challenge: OnChallenge::Answer,
            crash_on: None,
            alert: "1201".into(),
        }
    }

    /// Label every message `label` (none when `None`) and send it in `encoding`.
    pub fn labelled(mut self, label: Option<&str>, encoding: Encoding) -> Self {
        self.label = label.map(str::to_owned);
        self.encoding = encoding;
        self
    }

    pub fn session_id(mut self, id: &str) -> Self {
        self.session_id = id.into();
        self
    }

    pub fn dev_id(mut self, id: &str) -> Self {
        self.dev_id = id.into();
        self
    }

    /// Package #1 carries no Cred: the device waits to be challenged.
    pub fn no_cred(mut self) -> Self {
        self.scheme = None;
        self
    }

    /// Require the server to present `srvcred` (Basic) with its commands; a server
    /// that does not is refused by ending the session.
    pub fn requiring_server(mut self, srvcred: Credentials) -> Self {
        self.srvcred = Some(srvcred);
        self
    }

    pub fn on_challenge(mut self, what: OnChallenge) -> Self {
        self.on_challenge = what;
        self
    }

    /// Crash (half a request, then the connection closed) when a server package
    /// carries a `command`.
    pub fn crash_on(mut self, command: &str) -> Self {
        self.crash_on = Some(command.into());
        self
    }

    /// Woken by `package0`: check it as a strict device does (its ServerID is the
    /// account's `server_id`, its digest holds with SRVCRED's secret and the `nonce`
    /// the device holds, [NOT] §5.1, §6.1) and answer with Alert 1200 in the session
    /// it announces. Err: why the device ignores it.
    pub fn woken_by(
        mut self,
        package0: &[u8],
        server_id: &str,
        srvcred: &Credentials,
        nonce: &[u8],
    ) -> Result<Self, String> {
        let p = dmct_proto::package0::decode(package0).map_err(|e| e.to_string())?;
        if p.notification.server_id != server_id {
            return Err(format!(
                "Package 0 names ServerID {:?}, the account holds {server_id:?}",
                p.notification.server_id
            ));
        }
        if !p.verify(&srvcred.secret, nonce) {
            return Err("Package 0's digest does not hold with SRVCRED".into());
        }
        self.session_id = format!("{:X}", p.notification.session_id);
        self.alert = "1200".into();
        Ok(self)
    }

    fn package1(&self, msg_id: u32, target: &str, cred: Option<(Scheme, String)>) -> Msg {
        let mut m = Msg::new(&self.session_id, msg_id, target, &self.dev_id);
        if let Some((scheme, data)) = cred {
            m = m.cred(scheme, &data);
        }
        m
    }

    async fn post(&self, target: &str, m: &Msg, crash: bool) -> Option<Answer> {
        raw_post(
            self.addr,
            &path_of(target),
            self.label.as_deref(),
            &m.wire(self.encoding),
            crash,
        )
        .await
    }

    /// Play the session to its end.
    pub async fn run(self) -> DeviceLog {
        let mut answers = Vec::new();
        let mut target = self.url.clone();
        let mut msg_id = 1;
        let cred = self.scheme.map(|s| {
            let data = auth::credential_data(s, &self.creds, Some(&Nonce::resync()))
                .expect("Basic or MD5");
            (s, data)
        });
        let mut out = self
            .package1(msg_id, &target, cred)
            .alert(&self.alert)
            .dev_info(&self.dev_id);
        let mut setup = true;
        let end = loop {
            let Some(answer) = self.post(&target, &out, false).await else {
                break DeviceEnd::NoMessage;
            };
            answers.push(answer.clone());
            let Some(d) = answer.decoded() else {
                break DeviceEnd::NoMessage;
            };
            let m: SyncML = d.message;
            if let Some(r) = &m.hdr.resp_uri {
                target = r.clone();
            }
            let their = m.hdr.msg_id.clone();
            msg_id += 1;
            if let Some((_, chal)) = m.challenge().filter(|_| setup) {
                match self.on_challenge {
                    OnChallenge::Quit => break DeviceEnd::QuitAfterChallenge,
                    OnChallenge::Abort => {
                        let abort = Msg::new(&self.session_id, msg_id, &target, &self.dev_id)
                            .status(&their, "0", "SyncHdr", 200)
                            .alert("1223");
                        // The server need not answer an abort ([PRO] §8.1.2).
                        let _ = self.post(&target, &abort, false).await;
                        break DeviceEnd::Aborted;
                    }
                    OnChallenge::Answer => {
                        let scheme = chal
                            .meta
                            .r#type
                            .as_deref()
                            .and_then(Scheme::from_meta_type)
                            .unwrap_or(Scheme::Basic);
                        let nonce = chal
                            .meta
                            .next_nonce
                            .as_deref()
                            .and_then(|n| Nonce::from_b64(n).ok());
                        let data = auth::credential_data(scheme, &self.creds, nonce.as_ref())
                            .expect("Basic or MD5 with a nonce");
                        // [PRO] §9: revert to Package #1, with the credentials asked for.
                        out = self
                            .package1(msg_id, &target, Some((scheme, data)))
                            .status(&their, "0", "SyncHdr", 200)
                            .alert(&self.alert)
                            .dev_info(&self.dev_id);
                        continue;
                    }
                }
            }
            setup = false;
            let ops: Vec<Command> = m.operations().cloned().collect();
            if ops.is_empty() && m.challenge().is_none() {
                break DeviceEnd::Finished;
            }
            let hdr_code = match &self.srvcred {
                None => 200,
                Some(expected) => {
                    let ok = m.hdr.cred.as_ref().is_some_and(|c| {
                        auth::verify(Scheme::Basic, &c.data, expected, None).is_ok()
                    });
                    if !ok {
                        break DeviceEnd::RefusedServer;
                    }
                    212
                }
            };
            let reply = Msg::new(&self.session_id, msg_id, &target, &self.dev_id)
                .status(&their, "0", "SyncHdr", hdr_code);
            let reply = answer_commands(reply, &their, &ops);
            if let Some(c) = self
                .crash_on
                .as_ref()
                .filter(|c| ops.iter().any(|o| o.name() == c.as_str()))
            {
                self.post(&target, &reply, true).await;
                break DeviceEnd::Crashed(c.clone());
            }
            out = reply;
        };
        DeviceLog { answers, end }
    }
}

// ------------------------------------------------------------------ the server

/// How a scripted server numbers its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgIds {
    /// From 1 in every session.
    PerSession,
    /// One counter over all sessions: it does not restart per session.
    Continuing,
    /// Every message of a session is MsgID 1.
    RepeatInSession,
}

/// What a scripted server does when the client challenges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnServerChallenge {
    /// Send its commands again, still without credentials.
    Repeat,
    /// End the session: a package without commands.
    End,
}

/// A DM server that is not dmct's: it answers Package #1 with a Get and a Replace
/// (Package #2), the client's answers with a package without commands, in XML.
#[derive(Debug, Clone)]
pub struct ServerScript {
    /// What the client must authenticate with (Basic or MD5 with the resync nonce).
    pub client_creds: Credentials,
    /// Take any Cred, or none, with 212.
    pub accept_any: bool,
    /// What it presents in Package #2 (Basic); none when `None`.
    pub server_cred: Option<Credentials>,
    /// Package #2's Get and Replace share one CmdID.
    pub reuse_cmdid: bool,
    pub msg_ids: MsgIds,
    pub on_challenge: OnServerChallenge,
}

impl ServerScript {
    pub fn new(client_creds: Credentials) -> Self {
        ServerScript {
            client_creds,
            accept_any: false,
            server_cred: None,
            reuse_cmdid: false,
            msg_ids: MsgIds::PerSession,
            on_challenge: OnServerChallenge::End,
        }
    }
}

#[derive(Default)]
struct ServerState {
    /// Per SessionID: messages answered, the session's MsgID counter, authenticated.
    sessions: HashMap<String, (u32, u32, bool)>,
    every_msg: u32,
}

struct ScriptedResponder {
    script: ServerScript,
    url: Mutex<String>,
    state: Mutex<ServerState>,
}

/// A scripted server listening on loopback.
pub struct ScriptedServer {
    pub url: String,
    handle: dmct_net::ServeHandle,
}

impl ScriptedServer {
    pub async fn start(script: ServerScript) -> Self {
        let responder = Arc::new(ScriptedResponder {
            script,
            url: Mutex::new(String::new()),
            state: Mutex::default(),
        });
        let handle = dmct_net::serve(
            "127.0.0.1:0".parse().unwrap(),
            responder.clone(),
            dmct_net::Limits::default(),
        )
        .await
        .unwrap();
        let url = format!("http://{}/dm", handle.local_addr());
        *responder.url.lock().unwrap() = url.clone();
        ScriptedServer { url, handle }
    }

    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

impl ScriptedResponder {
    fn client_ok(&self, m: &SyncML) -> Result<(), u16> {
        if self.script.accept_any {
            return Ok(());
        }
        let Some(cred) = &m.hdr.cred else {
            return Err(407);
        };
        let scheme = cred
            .meta
            .as_ref()
            .and_then(|m| m.r#type.as_deref())
            .and_then(Scheme::from_meta_type)
            .ok_or(401u16)?;
        auth::verify(
            scheme,
            &cred.data,
            &self.script.client_creds,
            Some(&Nonce::resync()),
        )
        .map_err(|_| 401u16)
    }

    fn answer(&self, m: &SyncML) -> Msg {
        let url = self.url.lock().unwrap().clone();
        let mut st = self.state.lock().unwrap();
        st.every_msg += 1;
        let every = st.every_msg;
        let sid = m.hdr.session_id.clone();
        // A Package #1 opens a new session, whatever came before under its SessionID.
        if m.is_session_setup() && m.hdr.msg_id == "1" {
            st.sessions.remove(&sid);
        }
        let (answered, own_msg, authenticated) = st.sessions.entry(sid.clone()).or_default();
        *answered += 1;
        *own_msg += 1;
        let msg_id = match self.script.msg_ids {
            MsgIds::PerSession => *own_msg,
            MsgIds::Continuing => every,
            MsgIds::RepeatInSession => 1,
        };
        let their = m.hdr.msg_id.clone();
        let mut out = Msg::new(&sid, msg_id, &m.hdr.source.loc_uri, &url);
        let hdr_code = if *authenticated {
            Ok(200)
        } else {
            self.client_ok(m).map(|()| 212)
        };
        match hdr_code {
            Err(code) => {
                let chal = format!(
                    "<Chal>{}</Chal>",
                    meta(&[("Type", "syncml:auth-basic"), ("Format", "b64")])
                );
                out = out.status_with(&their, "0", "SyncHdr", code, &chal);
                for c in m.body.commands.iter().filter(|c| c.is_operation()) {
                    // [PRO] §9.1: a 401 or 407 for a command carries a Chal too.
                    out = out.status_with(
                        &their,
                        c.cmd_id().unwrap_or_default(),
                        c.name(),
                        code,
                        &chal,
                    );
                }
                return out;
            }
            Ok(code) => {
                *authenticated = true;
                out = out.status(&their, "0", "SyncHdr", code);
            }
        }
        // Statuses for the client's commands (Alert, the DevInfo Replace).
        for c in m.body.commands.iter().filter(|c| c.is_operation()) {
            out = out.status(&their, c.cmd_id().unwrap_or_default(), c.name(), 200);
        }
        let challenged = m.synchdr_status().is_some_and(|s| s.chal.is_some());
        let send_commands = m.is_session_setup()
            || (challenged && self.script.on_challenge == OnServerChallenge::Repeat);
        if send_commands {
            if let Some(c) = &self.script.server_cred {
                out = out.cred(Scheme::Basic, &auth::basic(c));
            }
            let get = "<Item><Target><LocURI>./DevInfo/Mod</LocURI></Target></Item>";
            let replace = "<Item><Target><LocURI>./DevDetail/Ext/Lab</LocURI></Target>\
                           <Data>scripted</Data></Item>";
            out = if self.script.reuse_cmdid {
                let id = out.next;
                out.cmd_with_id("Get", id, get)
                    .cmd_with_id("Replace", id, replace)
            } else {
                out.cmd("Get", get).cmd("Replace", replace)
            };
        }
        out
    }
}

impl Responder for ScriptedResponder {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        let Ok(d) = dmct_proto::decode(request.body.as_bytes()) else {
            return HttpResponse {
                status: 400,
                headers: Headers::default(),
                body: Body::from(b"no DM message\n".to_vec()),
            };
        };
        let out = self.answer(&d.message);
        let mut headers = Headers::default();
        headers.push(
            "Content-Type",
            match d.encoding {
                Encoding::Xml => DM_XML,
                Encoding::Wbxml => DM_WBXML,
            },
        );
        HttpResponse {
            status: 200,
            headers,
            body: Body::from(out.wire(d.encoding)),
        }
    }
}
