//! The reference DM server: authenticates the client (Basic, MD5 digest or the HMAC
//! header), challenges it with fresh nonces, proves itself when the client challenges it,
//! plays a [`ServerScript`] package by package and ends the session with a package
//! without commands. It answers every request it gets (DM Protocol §8), including ones a
//! faulty client should not have sent. Sessions are told apart by SessionID and the
//! client's LocURI, so one server serves many clients at once.

use crate::build::{self, MessageBuilder, Outbox};
use crate::fault::{MutCtx, ServerFault};
use crate::script::ServerStep;
use crate::script::{ScriptCommand, ServerCred, ServerScript};
use dmct_proto::auth::{self, Credentials, HMAC_HEADER, HmacHeader, Nonce, Scheme};
use dmct_proto::media_type::{VerProtoParam, dm_content_type};
use dmct_proto::transcript::{
    Body, Exchange, Headers, HttpRequest, HttpResponse, Probe, ProbeKind,
};
use dmct_proto::xml::Encoding;
use dmct_proto::*;

mod credentials;
mod script;

use credentials::has_credentials;
use script::script_command;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server's URI: Source LocURI of its messages, and the base of RespURIs.
    pub url: String,
    /// What clients must present (DMAcc AppAuth CLCRED on the device).
    pub client_creds: Credentials,
    /// What the server presents (SRVCRED on the device).
    pub server_creds: Credentials,
    /// The server's ServerID (DMAcc ServerID on the device): Package 0 names it as its
    /// server-identifier and keys the digest with it ([NOT] §6.2.2, §6.2.12).
    pub server_id: String,
    /// The nonce Package 0's digest is keyed with: the device's stored server nonce if
    /// the lab knows it, by default the resync nonce of [NOT] §5.1.
    pub package0_nonce: package0::Package0Nonce,
    /// Package 0's ui-mode and initiator ([NOT] §6.2.7, §6.2.8): what the lab wants the
    /// device told (a device SHOULD follow them).
    pub package0_ui_mode: package0::UiMode,
    pub package0_initiator: package0::Initiator,
    /// Whether the client must authenticate at the DM level. `false` (`--auth none`,
    /// a device whose account has no client credentials): no message is challenged and
    /// credentials sent anyway are not checked; every SyncHdr is answered 200.
    pub authenticate_client: bool,
    /// The scheme asked for when a client must be challenged and no script step says.
    pub scheme: Scheme,
    /// Nonces are derived from this seed and a counter, so runs are reproducible.
    pub nonce_seed: u64,
    /// The nonce a client holds at the start of a session (its stored CLCRED
    /// AAuthData): what MD5 or HMAC credentials sent "prior to a challenge" ([SEC]
    /// §5.4.1) are checked with. The same every session: the reference client keeps no
    /// nonce between runs, and repeated runs must be judged alike; a client holding
    /// another is challenged with a fresh nonce ([SEC] §5.3.3).
    pub client_nonce: Option<Nonce>,
    /// Largest message this server accepts, announced as MaxMsgSize in its SyncHdr.
    pub max_msg_size: u32,
    /// Whether Content-Type carries `verproto="DM/1.2"` or no parameter.
    pub verproto_param: VerProtoParam,
    pub faults: BTreeSet<ServerFault>,
}

#[derive(Debug, Default)]
struct SessionState {
    step: usize,
    msg_id: u32,
    authenticated: bool,
    /// The client authenticates with HMAC: every message is checked, and every answer
    /// brings a new nonce.
    hmac: bool,
    /// Scheme and nonce the client was last challenged with (or, for HMAC, handed).
    expected: Option<Scheme>,
    /// The scheme the client authenticated with in this session: a later challenge
    /// asks for it again, as [PRO] §9.1 keeps the type "same for the whole session".
    accepted: Option<Scheme>,
    nonce: Option<Nonce>,
    /// Every nonce handed to the client in this session, the latest last.
    given: Vec<Nonce>,
    /// What the client asked of the server when it challenged it, and its nonce.
    client_wants: Option<Scheme>,
    client_nonce: Option<Nonce>,
    /// The last scripted package, sent again with credentials if the client refuses it.
    last_step: Option<ServerStep>,
    /// Sign answers with these credentials in the HMAC header.
    signing: Option<Credentials>,
    /// The command-less package that ends the session has been sent.
    finished: bool,
    /// Faults already played in this session (each fires once per session).
    spent: BTreeSet<ServerFault>,
    /// The rest of the current package, when it takes several messages.
    outbox: Outbox,
    /// The client's MaxMsgSize, which our messages must respect.
    client_max_msg: Option<usize>,
    /// The client's MaxObjSize: larger objects are not sent.
    client_max_obj: Option<usize>,
}

/// Above this many remembered sessions, finished ones are forgotten, so a long-running
/// server's memory stays bounded.
const MAX_SESSIONS: usize = 4096;

enum Auth {
    /// Basic or MD5: 212, no more credentials needed this session.
    Accepted,
    /// HMAC: 200 and a new nonce, every message.
    AcceptedHmac,
    AlreadyAuthenticated,
    /// Status code and the scheme to ask for.
    Challenge(u16, Scheme),
}

pub struct Server {
    config: ServerConfig,
    script: ServerScript,
    sessions: BTreeMap<(String, String), SessionState>,
    nonces_issued: u64,
    /// The request being answered came over TLS from a client whose certificate the
    /// handshake verified.
    transport_client: bool,
    /// Responses with credentials made wrong on purpose: (SessionID, MsgID, what).
    probes: Vec<(String, u32, String)>,
}

impl ServerConfig {
    /// The Package 0 that wakes a device for session `session_id` ([NOT] §6.1):
    /// server-initiated, no ui-mode recommendation, signed with SRVCRED's secret and
    /// [`ServerConfig::package0_nonce`]. Faults may edit it. Fails for a
    /// ServerID the trigger cannot carry (over 255 bytes, or not ASCII) and for session 0.
    pub fn package0(&self, session_id: u16) -> Result<Vec<u8>, package0::Package0Error> {
        let mut n = package0::Notification::new(self.server_id.clone(), session_id);
        n.ui_mode = self.package0_ui_mode;
        n.initiator = self.package0_initiator;
        for f in &self.faults {
            f.mutate_notification(&mut n);
        }
        package0::encode(&n, &self.server_creds.secret, self.package0_nonce.bytes())
    }
}

impl Server {
    pub fn new(config: ServerConfig, script: ServerScript) -> Self {
        Server {
            config,
            script,
            sessions: BTreeMap::new(),
            nonces_issued: 0,
            transport_client: false,
            probes: Vec::new(),
        }
    }

    fn fresh_nonce(&mut self) -> Nonce {
        // A faulty server keeps handing out its first nonce.
        if !(self.has(ServerFault::ReusedNonce) && self.nonces_issued > 0) {
            self.nonces_issued += 1;
        }
        Nonce::derive(b"", self.config.nonce_seed, self.nonces_issued)
    }

    /// Answer one HTTP request that came over a connection whose client the TLS
    /// handshake authenticated with this certificate (`None`: it did not). Such a
    /// client sending no credentials is not challenged: a server "MAY choose not to
    /// authenticate" a client the transport authenticated ([SEC] §5.4.5); a scripted
    /// challenge still comes, as [SEC] §5.3 allows.
    pub fn respond_on(&mut self, req: &HttpRequest, client_cert: Option<&str>) -> HttpResponse {
        self.transport_client = client_cert.is_some();
        let r = self.respond(req);
        self.transport_client = false;
        r
    }

    /// Answer one HTTP request.
    pub fn respond(&mut self, req: &HttpRequest) -> HttpResponse {
        // The bytes tell the encoding, not the label: a lenient server reads a message
        // labelled with the DS type, with no type or with the other DM type as what it
        // is, and answers in that encoding under the proper DM type. A wrong label (or a
        // method other than POST) is a finding of the HTTP binding rules, never a reason
        // to end the session; only a body that is no SyncML DM message is refused.
        let (msg, encoding) = match dmct_proto::decode(req.body.as_bytes()) {
            Ok(d) => (d.message, d.encoding),
            // Not a DM message, and not even the method of one.
            Err(_) if !req.method.eq_ignore_ascii_case("POST") => {
                let mut r = plain(405, "DM messages are sent with POST\n");
                r.headers.push("Allow", "POST");
                return r;
            }
            Err(e) => {
                let label = match req.headers.get("content-type") {
                    Some(t) => format!("labelled {t}"),
                    None => "without a Content-Type".to_owned(),
                };
                return plain(
                    400,
                    &format!(
                        "the body ({} bytes, {label}) is not a SyncML DM message in XML or \
                         WBXML: {e}\n",
                        req.body.len()
                    ),
                );
            }
        };
        let key = (
            msg.hdr.session_id.clone(),
            msg.hdr.source.loc_uri.to_string(),
        );
        let mut state = self.sessions.remove(&key).unwrap_or_default();
        // SessionIDs come back in time (Package 0 has only 16 bits for them): a new
        // Package #1 (MsgID 1; a repeated one after a challenge comes later) starts
        // afresh.
        if msg.is_session_setup() && msg.hdr.msg_id_number() == Some(1) {
            state = SessionState::default();
        }
        // A new session starts from the nonce the client should hold: credentials sent
        // before any challenge reuse "the last nonce used" ([SEC] §5.3.3).
        if state.nonce.is_none() && state.msg_id == 0 {
            state.nonce = self.config.client_nonce.clone();
        }
        let reply = self.answer(req, &msg, &mut state, encoding);
        if self.sessions.len() >= MAX_SESSIONS {
            self.sessions.retain(|_, s| !s.finished);
        }
        self.sessions.insert(key, state);
        reply
    }

    /// Sessions this server remembers (finished ones included, up to a bound).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    fn answer(
        &mut self,
        req: &HttpRequest,
        msg: &SyncML,
        st: &mut SessionState,
        encoding: Encoding,
    ) -> HttpResponse {
        if !msg.is_session_setup()
            && st.authenticated
            && self.has(ServerFault::EmptyReply)
            && st.spent.insert(ServerFault::EmptyReply)
        {
            let mut r = dm_response(
                &SyncML {
                    hdr: msg.hdr.clone(),
                    body: SyncBody::default(),
                },
                encoding,
                self.config.verproto_param,
            );
            r.body = Body::default();
            return r;
        }

        // The client's Status for our last SyncHdr: a nonce for our next credentials,
        // or a challenge (it refused our package) that we answer with credentials.
        let mut refused = false;
        if let Some(hs) = msg.synchdr_status() {
            if let Some(chal) = &hs.chal {
                if let Some(n) = chal
                    .meta
                    .next_nonce
                    .as_deref()
                    .and_then(|n| Nonce::from_b64(n).ok())
                {
                    st.client_nonce = Some(n);
                }
                if let Some(scheme) = build::scheme_of(Some(&chal.meta)) {
                    st.client_wants = Some(scheme);
                }
            }
            refused = matches!(hs.code(), Some(401 | 407)) && hs.chal.is_some();
        }

        let (step, replay) = match (&st.last_step, refused) {
            (Some(last), true) => (last.clone(), true),
            _ => (
                self.script
                    .packages
                    .get(st.step)
                    .cloned()
                    .unwrap_or_default(),
                false,
            ),
        };
        st.msg_id += 1;
        let mut b = MessageBuilder::new(
            &msg.hdr.session_id,
            st.msg_id,
            &msg.hdr.source.loc_uri,
            LocRef::uri(&self.config.url),
        );
        b.hdr_mut().meta = Some(Meta {
            max_msg_size: Some(
                self.script
                    .max_msg_size
                    .unwrap_or(self.config.max_msg_size)
                    .to_string(),
            ),
            ..Default::default()
        });
        // MaxMsgSize stays in force until the client changes it.
        if let Some(n) = build::announced(&msg.hdr, |m| m.max_msg_size.as_ref()) {
            st.client_max_msg = Some(n);
        }
        if let Some(n) = build::announced(&msg.hdr, |m| m.max_obj_size.as_ref()) {
            st.client_max_obj = Some(n);
        }
        let max_msg = st
            .client_max_msg
            .filter(|_| !self.has(ServerFault::IgnoresMaxMsgSize));

        // Authentication of the client (DM Protocol §9).
        let auth = if let Some(ch) = step.challenge.filter(|_| !replay) {
            // The script asks for other credentials, whatever the client sent. A request
            // without any gets 407, as in the §9.4.1 example: the script's code (401,
            // "refused for those credentials", §9.1) needs credentials to refuse.
            st.authenticated = false;
            st.hmac = false;
            let code = if has_credentials(req, msg) {
                ch.status
            } else {
                407
            };
            Auth::Challenge(code, ch.scheme)
        } else if (st.authenticated && !st.hmac)
            // No DM credentials demanded (--auth none), or none needed from a client
            // the transport authenticated.
            || !self.config.authenticate_client
            || (self.transport_client
                && msg.hdr.cred.is_none()
                && req.headers.get(HMAC_HEADER).is_none())
        {
            st.authenticated = true;
            Auth::AlreadyAuthenticated
        } else if !has_credentials(req, msg)
            && self.has(ServerFault::AcceptsMissingCred)
            && st.spent.insert(ServerFault::AcceptsMissingCred)
        {
            st.authenticated = true;
            Auth::Accepted
        } else {
            match self.check_cred(req, msg, st.expected, st.nonce.as_ref()) {
                Ok(Scheme::Hmac) => {
                    st.authenticated = true;
                    st.hmac = true;
                    Auth::AcceptedHmac
                }
                Ok(scheme) => {
                    st.authenticated = true;
                    st.accepted = Some(scheme);
                    Auth::Accepted
                }
                Err(code) => self.fault_accepts(req, msg, st, code).unwrap_or_else(|| {
                    st.authenticated = false;
                    let scheme = self.script.scheme.unwrap_or(self.config.scheme);
                    Auth::Challenge(code, st.accepted.or(st.expected).unwrap_or(scheme))
                }),
            }
        };

        let hdr_status = match auth {
            Auth::Challenge(code, scheme) => {
                let nonce = (scheme != Scheme::Basic).then(|| self.fresh_nonce());
                st.expected = Some(scheme);
                st.nonce = nonce.clone();
                st.given.extend(nonce.clone());
                let chal = build::chal(scheme, nonce.as_ref());
                b.push(build::synchdr_status(&msg.hdr, code, Some(chal.clone())));
                // An authentication failure is answered with Status only, one per
                // command, carrying the same code and challenge.
                for status in build::refusal_statuses(msg, code, &chal) {
                    b.push(status);
                }
                // The client challenged us in the same message: our answer carries our
                // credentials even while refusing its own ([SEC] §5.4.1: the recipient
                // of a challenge answers with the requested type).
                if refused {
                    self.present(&mut b, st, &self.config.server_creds.clone());
                }
                if step.challenge.is_some() && !replay {
                    // A scripted challenge is a package of its own.
                    st.step += 1;
                    self.apply_resp_uri(&mut b, &step.resp_uri, msg, st);
                }
                return self.reply(&b.finish(true), msg, encoding, st);
            }
            // 212: authenticated for the rest of the session, no Cred needed again (a
            // script may accept with 200: then Cred must come with every message).
            Auth::Accepted => {
                let code = self.script.accept_status.unwrap_or(212);
                if code == 200 {
                    st.authenticated = false;
                }
                build::synchdr_status(&msg.hdr, code, None)
            }
            Auth::AcceptedHmac => {
                let n = self.fresh_nonce();
                st.expected = Some(Scheme::Hmac);
                st.nonce = Some(n.clone());
                st.given.push(n.clone());
                build::synchdr_status(&msg.hdr, 200, Some(build::chal(Scheme::Hmac, Some(&n))))
            }
            Auth::AlreadyAuthenticated => build::synchdr_status(&msg.hdr, 200, None),
        };
        b.push(hdr_status);
        for cmd in &msg.body.commands {
            match cmd {
                // No Status answers a Status, nor a complete Results; a chunk of a large
                // Results is acknowledged as buffered (213).
                Command::Results(r) if r.items.iter().any(|i| i.extras.more_data) => {
                    b.push(build::command_status(&msg.hdr.msg_id, cmd, 213));
                }
                Command::Status(_) | Command::Results(_) => {}
                Command::Alert(_) | Command::Replace(_) => {
                    b.push(build::command_status(&msg.hdr.msg_id, cmd, 200));
                }
                other => {
                    b.push(build::command_status(&msg.hdr.msg_id, other, 406));
                }
            }
        }
        // A message without Final either asks for the rest of our package (it carries
        // Alert 1222) or is part of a package of the client's that goes on: then ask
        // for its next message, without Final and without new commands (§2.1).
        let wants_next = msg.alert_codes().any(|c| c == alert_code::NEXT_MESSAGE);
        if wants_next && !st.outbox.is_empty() && !replay {
            let m = st.outbox.compose(b, max_msg, encoding);
            return self.reply(&m, msg, encoding, st);
        }
        if !msg.body.final_ {
            b.push(Command::alert(Alert {
                data: Some(alert_code::NEXT_MESSAGE.into()),
                ..Default::default()
            }));
            return self.reply(&b.finish(false), msg, encoding, st);
        }
        if replay || st.step < self.script.packages.len() {
            if !replay {
                st.step += 1;
            }
            // A client that refused our package gets it again, with credentials.
            let cred = if replay { ServerCred::Valid } else { step.cred };
            match cred {
                ServerCred::None => {}
                ServerCred::Valid => {
                    self.present(&mut b, st, &self.config.server_creds.clone());
                }
                ServerCred::Invalid => {
                    let wrong = Credentials {
                        user: self.config.server_creds.user.clone(),
                        secret: format!("{}-wrong", self.config.server_creds.secret),
                    };
                    let scheme = self.present(&mut b, st, &wrong);
                    self.probes.push((
                        msg.hdr.session_id.trim().to_owned(),
                        st.msg_id,
                        format!("its credentials ({scheme}) made with a wrong password"),
                    ));
                }
            }
            self.apply_resp_uri(&mut b, &step.resp_uri, msg, st);
            // Nested CmdIDs start above the top-level ones, so all stay unique.
            let mut ids = 100;
            st.outbox = Outbox::default();
            for c in &step.commands {
                let cmd = script_command(c, &mut ids);
                // An object larger than the client's MaxObjSize is not sent (§2.2).
                let size = match &cmd {
                    Command::Add(x) | Command::Replace(x) => x
                        .items
                        .iter()
                        .filter_map(|i| i.data.as_ref().and_then(Data::as_text))
                        .map(str::len)
                        .max(),
                    _ => None,
                };
                if let (Some(size), Some(max)) = (size, st.client_max_obj)
                    && size > max
                    && !self.has(ServerFault::IgnoresMaxObjSize)
                {
                    continue;
                }
                st.outbox.push(cmd);
            }
            st.last_step = Some(step);
            let m = st.outbox.compose(b, max_msg, encoding);
            return self.reply(&m, msg, encoding, st);
        }
        st.finished = true;
        st.last_step = None;
        self.reply(&b.finish(true), msg, encoding, st)
    }

    /// Put the server's credentials in the SyncHdr, in the scheme the client asked for
    /// (MD5 needs the client's nonce; without one, Basic). HMAC goes in the HTTP header,
    /// added by `reply`.
    /// Returns the scheme used.
    fn present(
        &self,
        b: &mut MessageBuilder,
        st: &mut SessionState,
        creds: &Credentials,
    ) -> Scheme {
        let wants = st
            .client_wants
            .filter(|_| !self.has(ServerFault::AnswersChallengeWithBasic));
        match (wants, &st.client_nonce) {
            (Some(Scheme::Hmac), Some(_)) => {
                st.signing = Some(creds.clone());
                Scheme::Hmac
            }
            (Some(Scheme::Md5), Some(n)) => {
                b.hdr_mut().cred = build::cred(Scheme::Md5, creds, Some(n));
                Scheme::Md5
            }
            _ => {
                b.hdr_mut().cred = build::cred(Scheme::Basic, creds, None);
                Scheme::Basic
            }
        }
    }

    /// The responses among `exchanges` that carried server credentials this server
    /// made wrong on purpose (`cred = "invalid"`), as negative probes of the client.
    pub fn probes_in(&self, exchanges: &[Exchange]) -> Vec<Probe> {
        self.probes
            .iter()
            .filter_map(|(session, msg_id, detail)| {
                let exchange = exchanges.iter().position(|e| {
                    e.response
                        .as_ref()
                        .and_then(|r| dmct_proto::decode(r.body.as_bytes()).ok())
                        .is_some_and(|d| {
                            d.message.hdr.session_id.trim() == session
                                && d.message.hdr.msg_id_number() == Some(u64::from(*msg_id))
                        })
                })?;
                Some(Probe {
                    exchange,
                    kind: ProbeKind::WrongServerSecret,
                    detail: detail.clone(),
                    nonce: None,
                })
            })
            .collect()
    }

    /// The HTTP response for a message; HMAC-signed when the client asked the server
    /// for HMAC and gave it a nonce.
    fn reply(
        &self,
        out: &SyncML,
        peer: &SyncML,
        encoding: Encoding,
        st: &mut SessionState,
    ) -> HttpResponse {
        let mut out = out.clone();
        let faults: Vec<ServerFault> = self.config.faults.iter().copied().collect();
        for &f in &faults {
            if (f.every_message() || !st.spent.contains(&f))
                && f.mutate(&mut out, MutCtx { peer: Some(peer) })
                && !f.every_message()
            {
                st.spent.insert(f);
            }
        }
        let encoding = match (self.has(ServerFault::AnswersOtherEncoding), encoding) {
            (false, e) => e,
            (true, Encoding::Xml) => Encoding::Wbxml,
            (true, Encoding::Wbxml) => Encoding::Xml,
        };
        let mut r = dm_response(&out, encoding, self.config.verproto_param);
        if let (Some(creds), Some(nonce)) = (st.signing.clone(), &st.client_nonce) {
            let header = HmacHeader {
                algorithm: Some("MD5".into()),
                username: creds.user.clone(),
                mac: auth::hmac_mac(&creds, nonce.as_bytes(), r.body.as_bytes()),
            };
            r.headers.push(HMAC_HEADER, header.to_header_value());
        }
        for &f in &faults {
            if (f.every_message() || !st.spent.contains(&f))
                && f.mutate_http(&mut r.status, &mut r.headers)
                && !f.every_message()
            {
                st.spent.insert(f);
            }
        }
        r
    }

    fn has(&self, f: ServerFault) -> bool {
        self.config.faults.contains(&f)
    }

    fn apply_resp_uri(&self, b: &mut MessageBuilder, on: &bool, msg: &SyncML, st: &SessionState) {
        if *on {
            let sep = if self.config.url.contains('?') {
                '&'
            } else {
                '?'
            };
            b.hdr_mut().resp_uri = Some(format!(
                "{}{sep}s={}&m={}",
                self.config.url, msg.hdr.session_id, st.msg_id
            ));
        }
    }
}

/// A DM message as an HTTP 200 answer in `encoding`, its Content-Type written as dmct
/// writes every DM type (the reference server's answers, the proxy's own challenge).
pub fn dm_response(msg: &SyncML, encoding: Encoding, verproto: VerProtoParam) -> HttpResponse {
    let mut headers = Headers::default();
    headers.push(
        "Content-Type",
        dm_content_type(encoding, &msg.hdr.ver_proto, verproto),
    );
    HttpResponse {
        status: 200,
        headers,
        body: dmct_proto::encode(msg, encoding).into(),
    }
}

fn plain(status: u16, text: &str) -> HttpResponse {
    let mut headers = Headers::default();
    headers.push("Content-Type", "text/plain; charset=utf-8");
    HttpResponse {
        status,
        headers,
        body: text.as_bytes().to_vec().into(),
    }
}
