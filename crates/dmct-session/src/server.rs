//! The reference DM server: authenticates the client (Basic or MD5 digest), challenges
//! it with fresh nonces, plays a [`ServerScript`] package by package and ends the session
//! with a package without commands. It answers every request it gets (DM Protocol §8),
//! including ones a faulty client should not have sent.

use crate::build::{self, MessageBuilder};
use crate::fault::ServerFault;
use crate::script::{ScriptCommand, ServerCred, ServerScript};
use dmct_proto::auth::{self, Credentials, Nonce, Scheme};
use dmct_proto::transcript::{Body, Headers, HttpRequest, HttpResponse};
use dmct_proto::xml::Encoding;
use dmct_proto::*;
use md5::{Digest, Md5};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server's URI: Source LocURI of its messages, and the base of RespURIs.
    pub url: String,
    /// What clients must present (DMAcc AppAuth CLCRED on the device).
    pub client_creds: Credentials,
    /// What the server presents (SRVCRED on the device).
    pub server_creds: Credentials,
    /// The scheme asked for when a client must be challenged and no script step says.
    pub scheme: Scheme,
    /// Nonces are derived from this seed and a counter, so runs are reproducible.
    pub nonce_seed: u64,
    pub faults: BTreeSet<ServerFault>,
}

#[derive(Debug, Default)]
struct SessionState {
    step: usize,
    msg_id: u32,
    authenticated: bool,
    /// Scheme and nonce the client was last challenged with.
    expected: Option<Scheme>,
    nonce: Option<Nonce>,
}

enum Auth {
    Accepted,
    AlreadyAuthenticated,
    /// Status code and the scheme to ask for.
    Challenge(u16, Scheme),
}

pub struct Server {
    config: ServerConfig,
    script: ServerScript,
    sessions: BTreeMap<(String, String), SessionState>,
    nonces_issued: u64,
    spent: BTreeSet<ServerFault>,
}

impl Server {
    pub fn new(config: ServerConfig, script: ServerScript) -> Self {
        Server {
            config,
            script,
            sessions: BTreeMap::new(),
            nonces_issued: 0,
            spent: BTreeSet::new(),
        }
    }

    fn fresh_nonce(&mut self) -> Nonce {
        self.nonces_issued += 1;
        let mut h = Md5::new();
        h.update(self.config.nonce_seed.to_be_bytes());
        h.update(self.nonces_issued.to_be_bytes());
        Nonce(h.finalize().as_slice().to_vec())
    }

    /// Answer one HTTP request.
    pub fn respond(&mut self, req: &HttpRequest) -> HttpResponse {
        if !req.method.eq_ignore_ascii_case("POST") {
            let mut r = plain(405, "DM messages are sent with POST\n");
            r.headers.push("Allow", "POST");
            return r;
        }
        let encoding = match req.headers.media_type().as_deref() {
            Some(CONTENT_TYPE_XML) => Encoding::Xml,
            Some(CONTENT_TYPE_WBXML) => Encoding::Wbxml,
            Some(other) => {
                return plain(
                    415,
                    &format!(
                        "Content-Type {other} is not a SyncML DM type \
                         ({CONTENT_TYPE_XML} or {CONTENT_TYPE_WBXML})\n"
                    ),
                );
            }
            None => {
                return plain(
                    415,
                    &format!(
                        "Content-Type missing; expected {CONTENT_TYPE_XML} or {CONTENT_TYPE_WBXML}\n"
                    ),
                );
            }
        };
        // The body is read as what its Content-Type says it is.
        let decoded = match encoding {
            Encoding::Xml => xml::decode(req.body.as_bytes()),
            Encoding::Wbxml => wbxml::decode(req.body.as_bytes()),
        };
        let msg = match decoded {
            Ok(d) => d.message,
            Err(e) => return plain(400, &format!("undecodable SyncML DM message: {e}\n")),
        };
        let key = (msg.hdr.session_id.clone(), msg.hdr.source.loc_uri.clone());
        let mut state = self.sessions.remove(&key).unwrap_or_default();
        let reply = self.answer(&msg, &mut state, encoding);
        self.sessions.insert(key, state);
        reply
    }

    fn answer(&mut self, msg: &SyncML, st: &mut SessionState, encoding: Encoding) -> HttpResponse {
        if !msg.is_session_setup()
            && st.authenticated
            && self.config.faults.contains(&ServerFault::EmptyReply)
            && self.spent.insert(ServerFault::EmptyReply)
        {
            let mut r = dm_response(
                &SyncML {
                    hdr: msg.hdr.clone(),
                    body: SyncBody::default(),
                },
                encoding,
            );
            r.body = Body::default();
            return r;
        }

        let step = self
            .script
            .packages
            .get(st.step)
            .cloned()
            .unwrap_or_default();
        st.msg_id += 1;
        let mut b = MessageBuilder::new(
            &msg.hdr.session_id,
            st.msg_id,
            &msg.hdr.source.loc_uri,
            LocRef::uri(&self.config.url),
        );

        // Authentication of the client (DM Protocol §9).
        let auth = if let Some(ch) = step.challenge {
            // The script asks for other credentials, whatever the client sent.
            st.authenticated = false;
            Auth::Challenge(ch.status, ch.scheme)
        } else if st.authenticated {
            Auth::AlreadyAuthenticated
        } else {
            match self.check_cred(msg, st) {
                Ok(()) => {
                    st.authenticated = true;
                    Auth::Accepted
                }
                Err(code) => Auth::Challenge(code, st.expected.unwrap_or(self.config.scheme)),
            }
        };

        let hdr_code = match auth {
            Auth::Challenge(code, scheme) => {
                let nonce = (scheme != Scheme::Basic).then(|| self.fresh_nonce());
                st.expected = Some(scheme);
                st.nonce = nonce.clone();
                b.push(build::synchdr_status(
                    &msg.hdr,
                    code,
                    Some(build::chal(scheme, nonce.as_ref())),
                ));
                // An authentication failure is answered with Status only, one per
                // command, carrying the same code.
                for cmd in msg.body.commands.iter().filter(|c| c.is_operation()) {
                    b.push(build::command_status(&msg.hdr.msg_id, cmd, code));
                }
                if step.challenge.is_some() {
                    // A scripted challenge is a package of its own.
                    st.step += 1;
                    self.apply_resp_uri(&mut b, &step.resp_uri, msg, st);
                }
                return dm_response(&b.finish(true), encoding);
            }
            // 212: authenticated for the rest of the session, no Cred needed again.
            Auth::Accepted => 212,
            Auth::AlreadyAuthenticated => 200,
        };
        b.push(build::synchdr_status(&msg.hdr, hdr_code, None));
        for cmd in &msg.body.commands {
            match cmd {
                // No Status answers a Status, nor a Results.
                Command::Status(_) | Command::Results(_) => {}
                Command::Alert(_) | Command::Replace(_) => {
                    b.push(build::command_status(&msg.hdr.msg_id, cmd, 200));
                }
                other => {
                    b.push(build::command_status(&msg.hdr.msg_id, other, 406));
                }
            }
        }
        if st.step < self.script.packages.len() {
            st.step += 1;
            match step.cred {
                ServerCred::None => {}
                ServerCred::Valid => {
                    b.hdr_mut().cred = build::cred(Scheme::Basic, &self.config.server_creds, None);
                }
                ServerCred::Invalid => {
                    let wrong = Credentials {
                        user: self.config.server_creds.user.clone(),
                        secret: format!("{}-wrong", self.config.server_creds.secret),
                    };
                    b.hdr_mut().cred = build::cred(Scheme::Basic, &wrong, None);
                }
            }
            self.apply_resp_uri(&mut b, &step.resp_uri, msg, st);
            for c in &step.commands {
                b.push(script_command(c));
            }
        }
        dm_response(&b.finish(true), encoding)
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

    /// Check the client's Cred against what this session expects; Err is the Status
    /// code to challenge with (407 missing, 401 refused).
    fn check_cred(&self, msg: &SyncML, st: &SessionState) -> Result<(), u16> {
        let Some(cred) = &msg.hdr.cred else {
            return Err(407);
        };
        let Some(scheme) = build::scheme_of(cred.meta.as_ref()) else {
            return Err(401);
        };
        if st.expected.is_some_and(|e| e != scheme) || scheme == Scheme::Hmac {
            return Err(401);
        }
        auth::verify(
            scheme,
            &cred.data,
            &self.config.client_creds,
            st.nonce.as_ref(),
        )
        .map_err(|_| 401)
    }
}

fn script_command(c: &ScriptCommand) -> Command {
    let item = |target: &str, data: Option<&String>, format: Option<&String>| Item {
        target: Some(LocRef::uri(target)),
        meta: format.map(|f| Meta {
            format: Some(f.clone()),
            ..Default::default()
        }),
        data: data.map(|d| Data::Text(d.clone())),
        ..Default::default()
    };
    let cmd = |i: Item| ItemCmd {
        items: vec![i],
        ..Default::default()
    };
    match c {
        ScriptCommand::Get { target } => Command::Get(cmd(item(target, None, None))),
        ScriptCommand::Replace {
            target,
            data,
            format,
        } => Command::Replace(cmd(item(target, Some(data), Some(format)))),
        ScriptCommand::Add {
            target,
            data,
            format,
        } => Command::Add(cmd(item(target, data.as_ref(), Some(format)))),
        ScriptCommand::Delete { target } => Command::Delete(cmd(item(target, None, None))),
        ScriptCommand::Exec { target, data } => {
            Command::Exec(cmd(item(target, data.as_ref(), None)))
        }
    }
}

/// A DM message in the encoding the client used.
fn dm_response(msg: &SyncML, encoding: Encoding) -> HttpResponse {
    let mut headers = Headers::default();
    headers.push(
        "Content-Type",
        match encoding {
            Encoding::Xml => CONTENT_TYPE_XML,
            Encoding::Wbxml => CONTENT_TYPE_WBXML,
        },
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
