//! Authentication rules (DM Protocol §9).

use super::other;
use super::{clip, obs};
use crate::{
    Binds, Condition, Decl, Level, Observation, Role, Rule, RuleStatus, Side, Verdict, View,
};
use dmct_proto::{Command, SyncML};

/// §9: after a Package #2 with no (or invalid) server credentials and no commands, the
/// client must not send back only a Status for the SyncHdr carrying a challenge.
pub struct NoSynchdrOnlyChallenge;

/// A package whose whole body is one Status for the SyncHdr with a Chal.
pub(crate) fn is_synchdr_only_challenge(m: &SyncML) -> bool {
    matches!(m.body.commands.as_slice(),
        [Command::Status(s)] if s.is_for_synchdr() && s.chal.is_some())
}

impl Rule for NoSynchdrOnlyChallenge {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/no-synchdr-only-challenge",
            status: RuleStatus::Testable,
            clause: "[PRO] §9 (intro)",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Client,
            summary: "When the server's Package #2 carried no or invalid credentials and no \
                commands (only Status for SyncHdr and DevInfo), the client must not answer with a \
                package holding only a Status for the SyncHdr with a challenge.",
            allowed: &[
                "send nothing more: the session ends",
                "send a package that carries operations (for instance a Generic Alert) along with \
                    its Status and challenge",
                "accept credentials the server did send (Status 212 or 200) and end the session",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["auth/credless-pkg2"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let (Some(client), Some(pkg2)) = (e.client_msg(), e.server_msg()) else {
                continue;
            };
            // Package #2: the answer to a Package #1, without commands or challenge.
            if !client.is_session_setup()
                || pkg2.operations().next().is_some()
                || pkg2.challenge().is_some()
            {
                continue;
            }
            let Some(next) = view.next_in_session(e.index) else {
                out.push(obs(
                    Verdict::Pass,
                    e.index,
                    Side::Response,
                    "Package #2 had no commands; the client sent nothing more",
                    None,
                ));
                continue;
            };
            let Some(reply) = next.client_msg() else {
                continue;
            };
            let rejected = reply
                .synchdr_status()
                .and_then(|s| s.code())
                .is_some_and(|c| c == 401 || c == 407);
            let no_or_invalid_cred = pkg2.hdr.cred.is_none() || rejected;
            if no_or_invalid_cred && is_synchdr_only_challenge(reply) {
                let excerpt = next
                    .request
                    .as_ref()
                    .ok()
                    .and_then(|d| d.command_excerpt(0))
                    .map(clip);
                let why = if pkg2.hdr.cred.is_none() {
                    "carried no server credentials"
                } else {
                    "carried credentials the client refused"
                };
                out.push(obs(
                    Verdict::Fail,
                    next.index,
                    Side::Request,
                    format!(
                        "Package #2 (exchange {}) {why} and no commands; the client answered \
                         with only a Status for the SyncHdr carrying a Chal",
                        e.index
                    ),
                    excerpt,
                ));
            } else {
                out.push(obs(
                    Verdict::Pass,
                    next.index,
                    Side::Request,
                    "the client's answer to the command-less Package #2 is not a \
                     SyncHdr-only challenge",
                    None,
                ));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------
// Challenges, credentials, nonces and HMAC (DM Protocol §9, DM Security).

use super::{Msg, answered, sent};
use dmct_proto::auth::{HMAC_HEADER, HmacHeader, Nonce, Scheme};
use dmct_proto::transcript::Closing;

/// The scheme a message authenticates with: the HMAC header, or its Cred's type.
pub(crate) fn used_scheme(m: &Msg) -> Option<Scheme> {
    if m.headers.get(HMAC_HEADER).is_some() {
        return Some(Scheme::Hmac);
    }
    m.m.hdr
        .cred
        .as_ref()
        .and_then(|c| c.meta.as_ref())
        .and_then(|meta| meta.r#type.as_deref())
        .and_then(Scheme::from_meta_type)
}

/// The challenge in a message's SyncHdr Status: (code, scheme asked for).
fn hdr_challenge(m: &dmct_proto::SyncML) -> Option<(u16, Option<Scheme>)> {
    let s = m.synchdr_status()?;
    let code = s.code().filter(|c| matches!(c, 401 | 407))?;
    let scheme = s
        .chal
        .as_ref()
        .and_then(|c| c.meta.r#type.as_deref())
        .and_then(Scheme::from_meta_type);
    Some((code, scheme))
}

pub(crate) fn synchdr_index(m: &dmct_proto::SyncML) -> Option<usize> {
    m.body
        .commands
        .iter()
        .position(|c| matches!(c, Command::Status(s) if s.is_for_synchdr()))
}

/// A 401 or 407 carries a Chal, for the SyncHdr or for a command: [PRO] §9.1 "If
/// the response code to a request (message or command) is 401 ... or 407 ..., the
/// Status command to the request MUST include a Chal element".
pub struct ChalWith401;

impl Rule for ChalWith401 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/chal-with-401-407",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "A Status 401 (invalid credentials) or 407 (credentials missing) carries a \
                Chal saying which credentials to send, whether it answers the SyncHdr or a \
                command ([PRO] §9.1: \"If the response code to a request (message or command) is \
                401 ... or 407 ..., the Status command to the request MUST include a Chal \
                element\").",
            allowed: &["a Chal of any scheme the sender supports"],
            conditions: &[],
            capability: None,
            scenarios: &[
                "session/reauth-md5@server",
                "auth/client-challenges-server@client",
            ],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Command::Status(s) = c else { continue };
                if !matches!(s.code(), Some(401 | 407)) {
                    continue;
                }
                let what = if s.is_for_synchdr() {
                    "the SyncHdr".to_owned()
                } else {
                    format!("{} {}", s.cmd.trim(), s.cmd_ref.trim())
                };
                if s.chal.is_some() {
                    out.push(m.pass(format!("the {} for {what} carries a Chal", s.data.trim())));
                } else {
                    out.push(m.fail(
                        format!("Status {} for {what} carries no Chal", s.data.trim()),
                        m.cmd_excerpt(i),
                    ));
                }
            }
        }
        out
    }
}

/// A Chal for MD5 or HMAC carries a base64 NextNonce, with Format b64.
pub struct ChalNonce;

impl Rule for ChalNonce {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/chal-nonce",
            status: RuleStatus::Testable,
            clause: "[REP] §6.1.2; [SEC] §5.3.3, §5.4.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "A Chal for syncml:auth-md5 or syncml:auth-MAC carries a NextNonce in \
                base64, with Format b64.",
            allowed: &["a Chal for Basic without NextNonce"],
            conditions: &[],
            capability: None,
            scenarios: &[
                "session/reauth-md5@server",
                "auth/client-challenges-server@client",
            ],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Command::Status(s) = c else { continue };
                let Some(chal) = &s.chal else { continue };
                let scheme = chal.meta.r#type.as_deref().and_then(Scheme::from_meta_type);
                // A Basic Chal needs no nonce (the catalog's allowed behaviour): judged
                // and conforming, not "nothing to judge".
                if scheme == Some(Scheme::Basic) {
                    out.push(m.pass("a Chal for Basic, which needs no NextNonce"));
                    continue;
                }
                if !matches!(scheme, Some(Scheme::Md5 | Scheme::Hmac)) {
                    continue;
                }
                let nonce_ok = chal
                    .meta
                    .next_nonce
                    .as_deref()
                    .is_some_and(|n| Nonce::from_b64(n).is_ok());
                let b64 = chal.meta.format.as_deref().map(str::trim) == Some("b64");
                if nonce_ok && b64 {
                    out.push(m.pass("the Chal carries a base64 NextNonce"));
                } else {
                    out.push(m.fail(
                        "a Chal for MD5 or HMAC lacks a base64 NextNonce or Format b64",
                        m.cmd_excerpt(i),
                    ));
                }
            }
        }
        out
    }
}

/// Cred names its scheme (Meta Type) and, for MD5, Format b64.
pub struct CredType;

impl Rule for CredType {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/cred-type",
            status: RuleStatus::Testable,
            clause: "[REP] §6.1.6; [SEC] §5.4.1; SyncML RepPro Cred ?",
            unconfirmed: Some(
                "that every Cred names its scheme in Meta Type rests on SyncML RepPro, which is \
                    not among the DM 1.2.1 documents dmct's audit could read; the DM text \
                    requires Format b64 only for syncml:auth-md5 and forbids syncml:auth-MAC in \
                    Cred",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "Cred names its scheme in Meta Type (syncml:auth-basic or syncml:auth-md5); \
                an MD5 Cred has Format b64 (Basic may have any); syncml:auth-MAC never travels in \
                Cred, only in the x-syncml-hmac header.",
            allowed: &["Meta Type in any letter case"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/reauth-md5"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            let Some(cred) = &m.m.hdr.cred else { continue };
            let meta = cred.meta.as_ref();
            let scheme = meta
                .and_then(|x| x.r#type.as_deref())
                .and_then(Scheme::from_meta_type);
            let format_ok = meta.and_then(|x| x.format.as_deref()).map(str::trim) == Some("b64");
            match scheme {
                Some(Scheme::Basic) => out.push(m.pass("Cred of syncml:auth-basic")),
                Some(Scheme::Md5) if format_ok => out.push(m.pass("Cred of syncml:auth-md5, b64")),
                Some(Scheme::Md5) => {
                    out.push(m.fail("an MD5 Cred without Format b64", m.hdr_excerpt()))
                }
                Some(Scheme::Hmac) => out.push(m.fail(
                    "HMAC credentials in Cred; they belong in the x-syncml-hmac header",
                    m.hdr_excerpt(),
                )),
                None => out.push(m.fail(
                    "a Cred whose Meta Type names no known scheme",
                    m.hdr_excerpt(),
                )),
            }
        }
        out
    }
}

/// After the server's challenge, the client answers in the scheme asked for (or
/// ends the session).
pub struct ClientAnswersScheme;

impl Rule for ClientAnswersScheme {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/client-answers-scheme",
            status: RuleStatus::Testable,
            clause: "[PRO] §9 (intro), §9.2; [SEC] §5.3, §5.4.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "After the server's challenge for a scheme, the client's next message \
                authenticates with that scheme, or the session ends.",
            allowed: &[
                "end the session instead ([SEC] §5.4.1: answer with the requested type or the \
                    session is terminated); whether MD5 had to be answered is judged by \
                    session/reauth-continues",
                "abort the session with Alert 1223 instead of answering ([PRO] §8.1.1; [SEC] \
                    §5.4.1: or the session is terminated)",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/reauth-md5", "auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let clients = sent(view, role);
        for s in sent(view, other(role)) {
            let Some((_, Some(asked))) = hdr_challenge(s.m) else {
                continue;
            };
            let Some(next) = clients
                .iter()
                .find(|c| c.index > s.index && c.session() == s.session())
            else {
                // Nothing more in this session: it was terminated, which [SEC] §5.4.1
                // allows ("or the session MUST be terminated"). A harness limit leaves
                // it unknown whether the client would have answered.
                if matches!(
                    view.transcript.closing,
                    Closing::PeerDone | Closing::IdleTimeout { .. }
                ) {
                    out.push(s.pass(format!(
                        "challenged for {asked}; the client sent nothing more \
                        in this session (terminated, [SEC] §5.4.1)"
                    )));
                }
                continue;
            };
            match used_scheme(next) {
                Some(x) if x == asked => out.push(next.pass(format!(
                    "answered the {asked} \
                    challenge with {asked}"
                ))),
                // A Session Abort terminates the session ([PRO] §8.1.1: either side may
                // abort at any time); it needs no credentials.
                None if super::aborts(next.m) => out.push(next.pass(format!(
                    "challenged for {asked}; the client aborted the session with Alert 1223 \
                        ([PRO] §8.1.1, [SEC] §5.4.1)"
                ))),
                other => out.push(next.fail(
                    format!(
                        "the server asked for {asked}; the client answered with {}",
                        other.map_or("no credentials".to_owned(), |s| s.to_string())
                    ),
                    next.hdr_excerpt(),
                )),
            }
        }
        out
    }
}

/// A client the transport did not authenticate supports syncml:auth-md5 ([SEC]
/// §5.3): challenged for MD5, it answers with MD5 credentials, in the session or in
/// the new session it opens instead ([PRO] §9.1 binds only a continued session).
pub struct Md5ClientSupport;

impl Rule for Md5ClientSupport {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/md5-client-support",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "A client that the transport did not authenticate supports syncml:auth-md5 \
                (\"OMA DM clients that do not support client authentication at the transport \
                layer MUST support ... syncml:auth-md5\"): challenged for MD5 (401/407 with a \
                Chal of type syncml:auth-md5), it answers with MD5 credentials. Answering with \
                another scheme, or with nothing, shows it does not.",
            allowed: &[
                "answer with MD5 credentials in the session it was challenged in",
                "end the session and open a new one whose Package #1 carries MD5 credentials",
                "abort the session with Alert 1223 (support is then not shown either way: \
                    inconclusive)",
                "not answer a challenge that came with the server's Session Abort ([PRO] §8.1.2)",
            ],
            conditions: &[Condition::ClientNotTransportAuthenticated],
            capability: None,
            scenarios: &["session/reauth-md5"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let clients = sent(view, role);
        for s in sent(view, other(role)) {
            let Some((_, Some(Scheme::Md5))) = hdr_challenge(s.m) else {
                continue;
            };
            // A challenge that came with the server's Session Abort asks for no answer
            // ([PRO] §8.1.2).
            if super::aborts(s.m) {
                continue;
            }
            // Judged where the answer is certain to be owed: the challenge to a
            // Package #1 in setup ([PRO] §9), as session/reauth-continues judges it. A
            // challenge later on may follow another fault (a SessionID the server no
            // longer knows), whose own rule reports it.
            if !answered(view, other(role), &s).is_some_and(|req| req.m.is_session_setup()) {
                continue;
            }
            let Some(next) = clients.iter().find(|c| c.index > s.index) else {
                if matches!(
                    view.transcript.closing,
                    Closing::PeerDone | Closing::IdleTimeout { .. }
                ) {
                    out.push(s.fail(
                        "challenged for MD5, the client sent nothing more: no MD5 credentials \
                         ([SEC] §5.3: a client without transport-layer authentication MUST \
                         support syncml:auth-md5)",
                        s.hdr_excerpt(),
                    ));
                }
                continue;
            };
            match used_scheme(next) {
                Some(Scheme::Md5) => {
                    out.push(next.pass("answered the MD5 challenge with MD5 credentials"))
                }
                // Aborting is any party's right ([PRO] §8.1.1); it shows neither support
                // nor its lack.
                None if super::aborts(next.m) => out.push(super::obs(
                    Verdict::Inconclusive,
                    next.index,
                    next.side,
                    "challenged for MD5, the client aborted the session with Alert 1223: MD5 \
                     support was not shown either way",
                    None,
                )),
                other => out.push(next.fail(
                    format!(
                        "challenged for MD5, the client answered with {} ([SEC] §5.3: a client \
                         without transport-layer authentication MUST support syncml:auth-md5)",
                        other.map_or("no credentials".to_owned(), |s| s.to_string())
                    ),
                    next.hdr_excerpt(),
                )),
            }
        }
        out
    }
}

/// Does this server message end the session? A Session Abort (Alert 1223, [PRO]
/// §8.1.2), or a complete package with no management operation and no challenge,
/// which [PRO] §8 makes the last of the session.
fn ends_session(m: &SyncML) -> bool {
    super::aborts(m)
        || (m.body.final_ && m.operations().next().is_none() && m.challenge().is_none())
}

/// When the client challenges the server, the server answers in the scheme asked
/// for, or ends the session: [SEC] §5.4.1, the recipient of a challenge answers
/// with the requested type or the session is terminated.
pub struct ServerAnswersScheme;

impl Rule for ServerAnswersScheme {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/server-answers-scheme",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4.1; [PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "When the client challenges the server (401/407 with a Chal for the server's \
                SyncHdr), the server's next message carries credentials of the scheme asked for.",
            allowed: &["end the session instead"],
            conditions: &[],
            capability: None,
            scenarios: &["auth/client-challenges-server"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for s in sent(view, role) {
            let Some(req) = answered(view, role, &s) else {
                continue;
            };
            let Some((_, Some(asked))) = hdr_challenge(req.m) else {
                continue;
            };
            match used_scheme(&s) {
                Some(x) if x == asked => out.push(s.pass(format!(
                    "answered the client's {asked} \
                    challenge with {asked}"
                ))),
                _ if ends_session(s.m) => out.push(s.pass(format!(
                    "the client asked the server for {asked}; the server ended the session \
                        instead ([SEC] §5.4.1)"
                ))),
                other => out.push(s.fail(
                    format!(
                        "the client asked the server for {asked}; it answered with {}",
                        other.map_or("no credentials".to_owned(), |s| s.to_string())
                    ),
                    s.hdr_excerpt(),
                )),
            }
        }
        out
    }
}

/// Credentials answered 200 (not 212) are sent again in the next message.
pub struct ResendAfter200;

impl Rule for ResendAfter200 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/resend-cred-after-200",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "When the server answers a message carrying Cred with Status 200 rather than \
                212, the client sends the same credentials in its next message.",
            allowed: &["send them in every later message"],
            conditions: &[],
            capability: None,
            scenarios: &["auth/accept-200"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let clients = sent(view, role);
        for (k, c) in clients.iter().enumerate() {
            if c.m.hdr.cred.is_none() || used_scheme(c) == Some(Scheme::Hmac) {
                continue;
            }
            let Some(s) = sent(view, other(role))
                .into_iter()
                .find(|s| s.index == c.index)
            else {
                continue;
            };
            if s.m.synchdr_status().and_then(|x| x.code()) != Some(200) {
                continue;
            }
            let Some(next) = clients[k + 1..].iter().find(|n| n.session() == c.session()) else {
                continue;
            };
            if next.m.hdr.cred.is_some() {
                out.push(next.pass("Cred sent again after a 200"));
            } else {
                out.push(next.fail(
                    "the server answered the Cred with 200, not 212; the next \
                    message must carry it again",
                    next.hdr_excerpt(),
                ));
            }
        }
        out
    }
}

/// Requests that authenticated with HMAC and were accepted, with their answer.
fn hmac_accepted<'a>(view: &'a crate::View) -> Vec<(Msg<'a>, Msg<'a>)> {
    let servers = sent(view, Role::Server);
    sent(view, Role::Client)
        .into_iter()
        .filter(|c| c.headers.get(HMAC_HEADER).is_some())
        .filter_map(|c| {
            let s = servers.iter().find(|s| s.index == c.index)?;
            let code = s.m.synchdr_status()?.code()?;
            (!matches!(code, 401 | 407)).then_some((c, *s))
        })
        .collect()
}

/// A message authenticated by HMAC is answered 200 (never 212) with a NextNonce.
pub struct HmacStatus200;

impl Rule for HmacStatus200 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/hmac-status-200",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4.3, §5.4.4",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "A message authenticated by the HMAC header is answered with Status 200 \
                (never 212) for the SyncHdr, with a Chal carrying the NextNonce for the next \
                message.",
            allowed: &[],
            conditions: &[],
            capability: Some("hmac"),
            scenarios: &["auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        hmac_accepted(view)
            .into_iter()
            .map(|(_, s)| {
                let st = s.m.synchdr_status();
                let code = st.and_then(|x| x.code());
                let nonce = st
                    .and_then(|x| x.chal.as_ref())
                    .and_then(|c| c.meta.next_nonce.as_ref());
                if code == Some(200) && nonce.is_some() {
                    s.pass("HMAC accepted with 200 and a NextNonce")
                } else {
                    s.fail(
                        format!(
                            "an HMAC-authenticated message answered {code:?}{}",
                            if nonce.is_none() {
                                " without a NextNonce"
                            } else {
                                ""
                            }
                        ),
                        synchdr_index(s.m).and_then(|i| s.cmd_excerpt(i)),
                    )
                }
            })
            .collect()
    }
}

/// Every NextNonce the server gave in a session, in order, with the message.
fn server_nonces<'a>(view: &'a crate::View) -> Vec<(Msg<'a>, String)> {
    sent(view, Role::Server)
        .into_iter()
        .filter_map(|s| {
            let n =
                s.m.synchdr_status()?
                    .chal
                    .as_ref()?
                    .meta
                    .next_nonce
                    .clone()?;
            Some((s, n))
        })
        .collect()
}

/// With HMAC, every answer brings a new nonce.
pub struct HmacNewNonce;

impl Rule for HmacNewNonce {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/hmac-new-nonce",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4.4",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "With HMAC, every answer brings a nonce not given before in the session.",
            allowed: &[],
            conditions: &[],
            capability: Some("hmac"),
            scenarios: &["auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let accepted: Vec<usize> = hmac_accepted(view).iter().map(|(_, s)| s.index).collect();
        let nonces = server_nonces(view);
        let mut out = Vec::new();
        for (k, (s, n)) in nonces.iter().enumerate() {
            if !accepted.contains(&s.index) {
                continue;
            }
            let reused = nonces[..k]
                .iter()
                .any(|(p, pn)| p.session() == s.session() && pn == n);
            out.push(if reused {
                s.fail(
                    format!("NextNonce {n} was given before in this session"),
                    s.hdr_excerpt(),
                )
            } else {
                s.pass("a new nonce for the next HMAC message")
            });
        }
        out
    }
}

/// After a failed authentication, the new challenge brings a fresh nonce.
pub struct FreshNonceAfterFailure;

impl Rule for FreshNonceAfterFailure {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/fresh-nonce-after-failure",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.3.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "When MD5 or HMAC authentication fails, the server challenges again with a \
                nonce it has not given before (the client may hold a stale one).",
            allowed: &["a new scheme with its own nonce"],
            conditions: &[],
            capability: None,
            scenarios: &["auth/double-challenge"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let nonces = server_nonces(view);
        let mut out = Vec::new();
        for (k, (s, n)) in nonces.iter().enumerate() {
            if hdr_challenge(s.m).is_none() {
                continue;
            }
            let Some((_, prev)) = nonces[..k]
                .iter()
                .rev()
                .find(|(p, _)| p.session() == s.session())
            else {
                continue;
            };
            out.push(if prev == n {
                s.fail(
                    format!("the new challenge repeats the nonce {n}"),
                    s.hdr_excerpt(),
                )
            } else {
                s.pass("the new challenge brings a fresh nonce")
            });
        }
        out
    }
}

/// The x-syncml-hmac header parses, and names the user of the SyncHdr's LocName.
pub struct HmacHeaderForm;

impl Rule for HmacHeaderForm {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/hmac-header",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "The x-syncml-hmac header follows its syntax (algorithm, username as a \
                quoted string, mac) and names the user of the SyncHdr's LocName.",
            allowed: &[
                "no spaces after the commas",
                "algorithm left out (MD5 is the default)",
            ],
            conditions: &[],
            capability: Some("hmac"),
            scenarios: &["auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .filter_map(|m| {
                let v = m.headers.get(HMAC_HEADER)?;
                Some(match HmacHeader::parse(v) {
                    Err(e) => m.fail(
                        format!("x-syncml-hmac does not parse: {e}"),
                        Some(format!("{HMAC_HEADER}: {v}")),
                    ),
                    Ok(h) => match m.m.hdr.source.loc_name.as_deref() {
                        Some(n) if n.trim() != h.username => m.fail(
                            format!(
                                "x-syncml-hmac names user {:?}; the SyncHdr's LocName is {n:?}",
                                h.username
                            ),
                            Some(format!("{HMAC_HEADER}: {v}")),
                        ),
                        _ => m.pass("x-syncml-hmac well formed"),
                    },
                })
            })
            .collect()
    }
}

/// Once HMAC is in use, every later message of the client carries it.
pub struct HmacEveryMessage;

impl Rule for HmacEveryMessage {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/hmac-every-message",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4 (intro), §5.4.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Once HMAC is in use in a session, every later message of the client carries \
                the x-syncml-hmac header.",
            allowed: &[],
            conditions: &[],
            capability: Some("hmac"),
            scenarios: &["auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let accepted = hmac_accepted(view);
        let mut out = Vec::new();
        for c in sent(view, role) {
            let started = accepted
                .iter()
                .any(|(a, _)| a.index < c.index && a.session() == c.session());
            if !started {
                continue;
            }
            out.push(if c.headers.get(HMAC_HEADER).is_some() {
                c.pass("x-syncml-hmac present")
            } else {
                c.fail(
                    "HMAC is in use in this session, but this message has no x-syncml-hmac header",
                    c.hdr_excerpt(),
                )
            });
        }
        out
    }
}

/// The scheme stays the same for the session once the server accepted it.
pub struct SchemeConstant;

impl Rule for SchemeConstant {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/scheme-constant",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Once the server accepted credentials of a scheme, the client keeps to that \
                scheme for the rest of the session ([PRO] §9.1: the type stays the same for the \
                whole session).",
            allowed: &["no more credentials after 212"],
            conditions: &[],
            capability: None,
            scenarios: &["auth/hmac", "auth/accept-200"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let servers = sent(view, other(role));
        let mut accepted: std::collections::BTreeMap<String, Scheme> = Default::default();
        // Sessions whose credentials the server accepted with 212: no further
        // authentication is needed there (§9.1), so a message without credentials keeps
        // to the type (the catalog's allowed "no more credentials after 212").
        let mut done: std::collections::BTreeSet<String> = Default::default();
        let mut out = Vec::new();
        let clients = sent(view, role);
        for c in clients.iter().copied() {
            let used = used_scheme(&c);
            // A message answering a challenge to a message of another SessionID (the
            // peer changed it: msg/sessionid-constant's fault) starts that session's
            // authentication over; within one session a re-challenge changes nothing
            // (§9.1 below).
            let challenged_elsewhere = c.index > 0
                && servers
                    .iter()
                    .any(|s| s.index == c.index - 1 && hdr_challenge(s.m).is_some())
                && clients
                    .iter()
                    .any(|p| p.index == c.index - 1 && p.session() != c.session());
            if challenged_elsewhere {
                accepted.remove(c.session());
                done.remove(c.session());
            }
            match (used, accepted.get(c.session())) {
                (Some(u), Some(&a)) => out.push(if u == a {
                    c.pass(format!("still {a}"))
                } else {
                    c.fail(
                        format!("the session was authenticated with {a}; this message uses {u}"),
                        c.hdr_excerpt(),
                    )
                }),
                (None, Some(&a)) if done.contains(c.session()) => out.push(c.pass(format!(
                    "no credentials after {a} was accepted with 212 ([PRO] §9.1: no further \
                        authentication is needed)"
                ))),
                _ => {}
            }
            let Some(s) = servers.iter().find(|s| s.index == c.index) else {
                continue;
            };
            // Authentication has occurred when the server accepts credentials (200 or
            // 212 for the SyncHdr). Before that a challenge may switch the scheme
            // (setup); after it, not even a new challenge may: [PRO] §9.1 "Once
            // authentication has occurred, the authentication type ... MUST be kept
            // same for the whole session", with no exception.
            let code = s.m.synchdr_status().and_then(|x| x.code());
            if let (Some(u), Some(200 | 212)) = (used, code) {
                accepted.entry(c.session().to_owned()).or_insert(u);
                if code == Some(212) {
                    done.insert(c.session().to_owned());
                }
            }
        }
        out
    }
}

/// An authentication failure is answered with Status only.
pub struct FailureStatusOnly;

impl Rule for FailureStatusOnly {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/failure-status-only",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1 (first bullet)",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Server,
            summary: "A response that reports an authentication failure (401/407 for the SyncHdr) \
                holds only Status commands ([PRO] §9.1: \"contains only Status commands (i.e. \
                Replace, Get etc. commands MUST NOT be specified in the response)\"): no Results, \
                Alert or other command.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/reauth-md5"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .filter(|s| hdr_challenge(s.m).is_some())
            // "contains only Status commands": a Results is no Status either.
            .map(|s| {
                match s
                    .m
                    .body
                    .commands
                    .iter()
                    .find(|c| !matches!(c, Command::Status(_)))
                {
                    Some(c) => s.fail(
                        format!("the challenge comes with a {} command", c.name()),
                        s.excerpt_of(c),
                    ),
                    None => s.pass("the challenge holds Status only"),
                }
            })
            .collect()
    }
}

/// A server refuses a request that carries no credentials (no Cred, no HMAC header)
/// before it has accepted the client for the session (212): 401 or 407, never 200 or
/// 212. [PRO] §9.1 names both codes "the request requires authentication", so either
/// passes; the §9.4.1 example uses 407.
pub struct RefusesMissingCred;

impl Rule for RefusesMissingCred {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/server-refuses-missing-cred",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1, §9.4.1; [SEC] §5.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "A server refuses a request that carries no credentials (no Cred in the \
                SyncHdr, no x-syncml-hmac header) until it has accepted the client for the \
                session with 212: its Status for the SyncHdr is 401 or 407 with a Chal, never 200 \
                or 212.",
            allowed: &[
                "407 (the [PRO] §9.4.1 example: credentials missing)",
                "401 ([PRO] §9.1: either code means the request requires authentication)",
                "no credentials after the server answered 212 earlier in the session (§9.1: no \
                    further authentication is needed)",
            ],
            conditions: &[Condition::ClientNotTransportAuthenticated],
            capability: Some("dm-client-auth"),
            scenarios: &["auth/hmac", "auth/hmac-missing-header"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        // A server "MAY choose not to authenticate" a client its transport already
        // authenticated ([SEC] §5.4.5, §5.3): a verified client certificate leaves
        // nothing to refuse.
        if view.transcript.transport.client.is_some() {
            return Vec::new();
        }
        let servers = sent(view, role);
        let clients = sent(view, other(role));
        let mut out = Vec::new();
        for c in &clients {
            if used_scheme(c).is_some() || c.m.hdr.cred.is_some() {
                continue;
            }
            // After 212 no further authentication is needed in the session (§9.1). The
            // session is the one of the request the 212 answers: a server answering
            // with another SessionID fails msg/sessionid-constant, not this rule.
            let accepted = servers.iter().any(|s| {
                s.index < c.index
                    && clients
                        .iter()
                        .any(|r| r.index == s.index && r.session() == c.session())
                    && s.m.synchdr_status().and_then(|x| x.code()) == Some(212)
            });
            let Some(s) = servers.iter().find(|s| s.index == c.index) else {
                continue;
            };
            // The catalog's allowed behaviour: judged, and it conforms whatever the
            // server answered (nothing was left to refuse).
            if accepted {
                out.push(s.pass(
                    "a request without credentials after the server's 212 in this \
                    session ([PRO] §9.1: no further authentication is needed)",
                ));
                continue;
            }
            match s.m.synchdr_status().and_then(|x| x.code()) {
                Some(code @ (401 | 407)) => out.push(s.pass(format!(
                    "a request without \
                    credentials was refused with {code}"
                ))),
                Some(code @ (200 | 212)) => out.push(s.fail(
                    format!(
                        "a request without credentials (no Cred, no x-syncml-hmac) was \
                        accepted with {code}"
                    ),
                    synchdr_index(s.m).and_then(|i| s.cmd_excerpt(i)),
                )),
                _ => {}
            }
        }
        out
    }
}
