//! Session and package rules (DM Protocol §8, with the seed CR and DM 1.2.1 wording).

use super::{clip, obs};
use crate::{Observation, Role, Rule, Side, Verdict, View};
use dmct_proto::auth::Scheme;
use dmct_proto::transcript::{Closing, ExchangeFailure};
use dmct_proto::{Command, SyncML};

// ---------------------------------------------------------------------------------

/// [PRO] §9 (DM 1.2.1, the seed CR's text): a challenge during setup does not end the
/// session; the client goes back to Package #1 with the credentials asked for.
pub struct ReauthContinues;

/// Does a message carry Alert 1223 (Session Abort, [PRO] §8.1)?
pub(crate) fn aborts(m: &SyncML) -> bool {
    m.alert_codes()
        .any(|c| c == dmct_proto::model::alert_code::SESSION_ABORT)
}

/// Why `reply` does not carry credentials of the scheme asked for, if it does not.
fn credentials_problem(asked: Option<Scheme>, reply: &SyncML, hmac_header: bool) -> Option<String> {
    match asked {
        Some(Scheme::Hmac) if !hmac_header => {
            Some("no x-syncml-hmac header although HMAC was asked for".into())
        }
        Some(Scheme::Hmac) | None => None,
        Some(scheme) => {
            let sent = reply
                .hdr
                .cred
                .as_ref()
                .and_then(|c| c.meta.as_ref())
                .and_then(|m| m.r#type.as_deref());
            match sent {
                None => Some(format!(
                    "no Cred in the SyncHdr; {} was asked for",
                    scheme.meta_type()
                )),
                Some(t) if Scheme::from_meta_type(t) != Some(scheme) => Some(format!(
                    "Cred of type {t}; {} was asked for",
                    scheme.meta_type()
                )),
                Some(_) => None,
            }
        }
    }
}

/// Where the repeated Package #1 of the same session went wrong, if it did.
fn reauth_problems(
    challenge: &SyncML,
    asked: Option<Scheme>,
    first: &SyncML,
    reply: &SyncML,
    target: &str,
    hmac_header: bool,
) -> Vec<String> {
    let mut p = Vec::new();
    match (first.hdr.msg_id_number(), reply.hdr.msg_id_number()) {
        (Some(a), Some(b)) if b > a => {}
        _ => p.push(format!(
            "MsgID {:?} does not follow MsgID {:?}",
            reply.hdr.msg_id, first.hdr.msg_id
        )),
    }
    p.extend(credentials_problem(asked, reply, hmac_header));
    let answers_hdr = reply
        .synchdr_status()
        .is_some_and(|s| s.msg_ref.trim() == challenge.hdr.msg_id.trim());
    if !answers_hdr {
        p.push(format!(
            "no Status for the server's SyncHdr (MsgRef {})",
            challenge.hdr.msg_id.trim()
        ));
    }
    if !reply.is_session_setup() {
        p.push("no Alert 1200/1201: Package #1 was not repeated".into());
    }
    let devinfo = reply.body.commands.iter().any(|c| match c {
        Command::Replace(r) => r.items.iter().any(|i| {
            i.source
                .as_ref()
                .is_some_and(|s| s.loc_uri.trim_start_matches("./").starts_with("DevInfo/"))
        }),
        _ => false,
    });
    if !devinfo {
        p.push("no Replace of ./DevInfo: the device information was not sent again".into());
    }
    if let Some(resp_uri) = &challenge.hdr.resp_uri {
        let wanted = dmct_proto::url::target_of(resp_uri);
        if target != wanted {
            p.push(format!(
                "sent to {target}, not to the RespURI {resp_uri} the server gave"
            ));
        }
    }
    p
}

/// The text the failures rest on, quoted in their details so a reader can hold them
/// against it.
const REVERT: &str = "[PRO] §9: \"If the server challenged the client in Pkg 2, the client \
                      MUST revert to pkg 1 and MUST resend the Alert and DevInfo along with \
                      the credentials requested by the server\"";

impl Rule for ReauthContinues {
    fn id(&self) -> &'static str {
        "session/reauth-continues"
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let (Some(first), Some(pkg2)) = (e.client_msg(), e.server_msg()) else {
                continue;
            };
            if !first.is_session_setup() {
                continue;
            }
            let Some(hdr_status) = pkg2.synchdr_status() else {
                continue;
            };
            let (Some(401 | 407), Some(chal)) = (hdr_status.code(), hdr_status.chal.as_ref())
            else {
                continue;
            };
            let asked = chal.meta.r#type.as_deref().and_then(Scheme::from_meta_type);
            let asked_name = asked.map_or("an unknown scheme", Scheme::meta_type);
            let Some(next) = view.next_client_msg(e.index) else {
                out.push(self.silence(view, e.index, asked, aborts(pkg2)));
                continue;
            };
            let Some(reply) = next.client_msg() else {
                continue;
            };
            let hmac_header = next.exchange.request.headers.get("x-syncml-hmac").is_some();
            let excerpt = next.request.as_ref().ok().map(|d| clip(d.hdr_excerpt()));
            let same_session = reply.hdr.session_id.trim() == first.hdr.session_id.trim();
            if same_session && aborts(reply) {
                // [PRO] §8.1.1: "Either the client or the server may decide to abort the
                // session at any time."
                out.push(obs(
                    Verdict::Pass,
                    next.index,
                    Side::Request,
                    format!(
                        "challenged in exchange {}; the client aborted the session with Alert \
                         1223 ([PRO] §8.1.1 allows either side to abort at any time)",
                        e.index
                    ),
                    None,
                ));
                continue;
            }
            if !same_session {
                // §9.1's requirements hold "in case the session is continued"; ending it
                // and opening a new one with the credentials asked for is not forbidden.
                let problem = if reply.is_session_setup() {
                    credentials_problem(asked, reply, hmac_header)
                } else {
                    Some("its first message is no Package #1 (no Alert 1200/1201)".into())
                };
                out.push(match problem {
                    None => obs(
                        Verdict::Pass,
                        next.index,
                        Side::Request,
                        format!(
                            "challenged in exchange {} for {asked_name}; the client ended that \
                             session and opened a new one (SessionID {:?}) with the \
                             credentials asked for",
                            e.index, reply.hdr.session_id
                        ),
                        None,
                    ),
                    Some(why) => obs(
                        Verdict::Fail,
                        next.index,
                        Side::Request,
                        format!(
                            "challenged in exchange {} ({} with {asked_name}): the client \
                             started over in a new session (SessionID {:?}, was {:?}) without \
                             answering the challenge: {why}; {REVERT}",
                            e.index,
                            hdr_status.data.trim(),
                            reply.hdr.session_id,
                            first.hdr.session_id
                        ),
                        excerpt,
                    ),
                });
                continue;
            }
            let problems = reauth_problems(
                pkg2,
                asked,
                first,
                reply,
                &next.exchange.request.target,
                hmac_header,
            );
            if problems.is_empty() {
                out.push(obs(
                    Verdict::Pass,
                    next.index,
                    Side::Request,
                    format!(
                        "challenged in exchange {}; the client repeated Package #1 in the same session",
                        e.index
                    ),
                    None,
                ));
            } else {
                out.push(obs(
                    Verdict::Fail,
                    next.index,
                    Side::Request,
                    format!(
                        "challenged in exchange {} ({} with {asked_name}): {}",
                        e.index,
                        hdr_status.data.trim(),
                        problems.join("; ")
                    ),
                    excerpt,
                ));
            }
        }
        out
    }
}

impl ReauthContinues {
    /// No client message after the challenge in exchange `at`: the client quit where
    /// it had to answer (fail), or the harness stopped waiting first (inconclusive).
    fn silence(&self, view: &View, at: usize, asked: Option<Scheme>, aborted: bool) -> Observation {
        let inconclusive =
            |detail: String| obs(Verdict::Inconclusive, at, Side::Response, detail, None);
        // A request that broke off mid-body (the device crashed or reset the
        // connection) delivered nothing: it is no answer, and no sign of one.
        if view.exchanges[at + 1..].iter().any(|e| !e.broke_off()) {
            return inconclusive(
                "the client's later requests are not SyncML DM messages, so whether it \
                 repeated Package #1 cannot be read"
                    .into(),
            );
        }
        if aborted {
            // [PRO] §8.1.2: "A client receiving Alert 1223 SHOULD NOT respond."
            return inconclusive(
                "the server aborted the session (Alert 1223) along with its challenge; a \
                 client receiving Alert 1223 should not respond ([PRO] §8.1.2), so its silence \
                 says nothing about re-authentication"
                    .into(),
            );
        }
        // [SEC] §5.3: only clients without transport-layer client authentication must
        // support MD5, and one that does not answer with the requested type ends the
        // session, as the text demands.
        if asked == Some(Scheme::Md5)
            && let Some(subject) = &view.transcript.transport.client
        {
            return obs(
                Verdict::Pass,
                at,
                Side::Response,
                format!(
                    "the client ended the session after an MD5 challenge; it authenticated with \
                     a TLS certificate ({subject}), so it need not support MD5 ([SEC] §5.3)"
                ),
                None,
            );
        }
        if asked != Some(Scheme::Md5) {
            return obs(
                Verdict::Pass,
                at,
                Side::Response,
                "the client ended the session after a challenge for a scheme it need not \
                 support ([SEC] §5.3: answer with the requested type or the session is \
                 terminated)",
                None,
            );
        }
        let fail = |detail: String| obs(Verdict::Fail, at, Side::Response, detail, None);
        match &view.transcript.closing {
            Closing::PeerDone => fail(format!(
                "the peer quit where it had to answer: it ended the session after the \
                 server's MD5 challenge in exchange {at} and opened no new one; {REVERT}"
            )),
            Closing::IdleTimeout { after_ms } => fail(format!(
                "the peer quit where it had to answer: no repeated Package #1 (nor any other \
                 request) within {} of idle (--idle) after the server's MD5 challenge in \
                 exchange {at}; {REVERT}. A device that needs longer: raise --idle and run \
                 again",
                seconds(*after_ms)
            )),
            Closing::SessionTimeout { after_ms, awaiting } => inconclusive(format!(
                "we gave up waiting: the session's time limit ({}) ran out awaiting {awaiting} \
                 after the challenge in exchange {at} (a harness limit, not the client's \
                 failure)",
                seconds(*after_ms)
            )),
            Closing::ExchangeLimit { limit } => inconclusive(format!(
                "we gave up waiting: the harness's limit of {limit} exchanges per case was \
                 reached right after the challenge in exchange {at}"
            )),
            Closing::Stopped
            | Closing::TriggerFailed { .. }
            | Closing::Skipped { .. }
            | Closing::NotApplicable { .. } => inconclusive(format!(
                "recording stopped before the client answered the challenge in exchange {at}"
            )),
        }
    }
}

/// A wait as people read it: seconds, with the milliseconds when they matter.
pub fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

// ---------------------------------------------------------------------------------

/// §8: a server package without operations and without a challenge ends the session;
/// the client's Status-only reply must not be sent.
pub struct NoStatusOnlyPackage;

/// Every command is a Status (and there is at least one).
fn status_only(m: &SyncML) -> bool {
    !m.body.commands.is_empty()
        && m.body
            .commands
            .iter()
            .all(|c| matches!(c, Command::Status(_)))
}

impl Rule for NoStatusOnlyPackage {
    fn id(&self) -> &'static str {
        "session/no-status-only-package"
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let Some(pkg) = e.server_msg() else { continue };
            // Only a complete package (Final) can end the session. [PRO] §8: "when a
            // package from server to client does not contain management operations or
            // a challenge".
            if !pkg.body.final_ || pkg.operations().next().is_some() || pkg.challenge().is_some() {
                continue;
            }
            // A Chal in a success Status hands the client a new nonce ([NOT] §5.1 step
            // 4: "server sends a success Status code with a Chal"), which the client
            // answers with "success Status code with a Chal" of its own (step 5). A
            // success Chal alone is no challenge (HMAC hands one over in every
            // message, [SEC] §5.4.4), so only a reply with a Chal is let through.
            let hands_nonce = pkg.statuses().any(|s| s.chal.is_some());
            match view.next_in_session(e.index) {
                None => out.push(obs(
                    Verdict::Pass,
                    e.index,
                    Side::Response,
                    "the server's package had no operations; the client sent nothing more",
                    None,
                )),
                Some(next) => {
                    let Some(reply) = next.client_msg() else {
                        continue;
                    };
                    if hands_nonce && reply.statuses().any(|s| s.chal.is_some()) {
                        out.push(obs(
                            Verdict::Pass,
                            next.index,
                            Side::Request,
                            "the server's package handed over a nonce (Chal); the client \
                             answered with Status and a Chal of its own ([NOT] §5.1)",
                            None,
                        ));
                    } else if status_only(reply) {
                        let excerpt = next
                            .request
                            .as_ref()
                            .ok()
                            .and_then(|d| d.command_excerpt(0))
                            .map(clip);
                        out.push(obs(
                            Verdict::Fail,
                            next.index,
                            Side::Request,
                            format!(
                                "the server's package (exchange {}) had no operations and no \
                                 challenge, yet the client sent a package of Status only",
                                e.index
                            ),
                            excerpt,
                        ));
                    } else {
                        out.push(obs(
                            Verdict::Pass,
                            next.index,
                            Side::Request,
                            "after a package without operations the client went on with \
                             operations of its own",
                            None,
                        ));
                    }
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------

/// §8: "A server MUST send response packages to all client packages."
pub struct ServerAnswersEveryPackage;

impl Rule for ServerAnswersEveryPackage {
    fn id(&self) -> &'static str {
        "session/server-answers-every-package"
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let Some(client) = e.client_msg() else {
                continue;
            };
            let i = e.index;
            // [PRO] §8.1.2: "A server receiving this alert SHOULD respond", and §8.1.1:
            // "If a recipient of a Session Abort sends a response to this message, the
            // response is ignored". After the client's 1223 nothing is owed.
            if super::aborts(client) {
                out.push(obs(
                    Verdict::Pass,
                    i,
                    Side::Response,
                    "the client aborted the session (Alert 1223): an answer is only \
                     recommended ([PRO] §8.1.2)",
                    None,
                ));
                continue;
            }
            let Some(resp) = &e.exchange.response else {
                let o = match &e.exchange.failure {
                    Some(ExchangeFailure::ConnectionClosed { detail }) => obs(
                        Verdict::Fail,
                        i,
                        Side::Response,
                        format!("the server closed the connection without answering: {detail}"),
                        None,
                    ),
                    Some(ExchangeFailure::Timeout { after_ms, .. }) => obs(
                        Verdict::Inconclusive,
                        i,
                        Side::Response,
                        format!("no answer within {after_ms} ms (the spec sets no timeout)"),
                        None,
                    ),
                    Some(other) => obs(
                        Verdict::Inconclusive,
                        i,
                        Side::Response,
                        format!("no answer could be read: {other:?}"),
                        None,
                    ),
                    None => obs(
                        Verdict::Inconclusive,
                        i,
                        Side::Response,
                        "no answer was recorded",
                        None,
                    ),
                };
                out.push(o);
                continue;
            };
            let status = resp.status;
            let h = &resp.headers;
            if (status == 401 && h.get("www-authenticate").is_some())
                || (status == 407 && h.get("proxy-authenticate").is_some())
            {
                out.push(obs(
                    Verdict::Pass,
                    i,
                    Side::Response,
                    format!("HTTP {status}: a transport-level challenge"),
                    None,
                ));
                continue;
            }
            let body_text = || {
                Some(clip(
                    String::from_utf8_lossy(resp.body.as_bytes()).into_owned(),
                ))
            };
            // A DM message in another HTTP status still answers the package: the
            // status code is http/status-200's to judge.
            let dm_answer = matches!(&e.response, Some(Ok(_)));
            let verdict = if status != 200 && !dm_answer {
                Err((
                    format!("answered HTTP {status} instead of a DM package"),
                    body_text(),
                ))
            } else if resp.body.is_empty() {
                Err((
                    "answered HTTP 200 with an empty body instead of a DM package".into(),
                    None,
                ))
            } else {
                match &e.response {
                    // Labelled as DM but undecodable: http/content-type-matches-body
                    // fails it; whether it answers cannot be read.
                    Some(Err(err)) if labelled_dm(h) => Ok(Some(format!(
                        "the answer does not decode as SyncML DM ({err}; \
                         http/content-type-matches-body), so whether it answers cannot be told"
                    ))),
                    Some(Err(err)) => Err((
                        format!("the answer is not a SyncML DM message: {err}"),
                        body_text(),
                    )),
                    // The response of the exchange is the answer; its SessionID is
                    // msg/sessionid-constant's failure.
                    Some(Ok(d))
                        if d.message.hdr.session_id.trim() != client.hdr.session_id.trim() =>
                    {
                        Ok(Some(format!(
                            "the answer carries SessionID {:?}, not {:?} (msg/sessionid-constant), \
                             so whether it answers this session's package cannot be told",
                            d.message.hdr.session_id, client.hdr.session_id
                        )))
                    }
                    _ => Ok(None),
                }
            };
            out.push(match verdict {
                Ok(Some(why)) => obs(Verdict::Inconclusive, i, Side::Response, why, None),
                Ok(None) => obs(
                    Verdict::Pass,
                    i,
                    Side::Response,
                    "answered with a DM package",
                    None,
                ),
                Err((detail, excerpt)) => obs(Verdict::Fail, i, Side::Response, detail, excerpt),
            });
        }
        out
    }
}

/// Is this head's Content-Type one of the DM media types?
fn labelled_dm(h: &dmct_proto::transcript::Headers) -> bool {
    h.media_type()
        .and_then(Result::ok)
        .is_some_and(|t| t == dmct_proto::CONTENT_TYPE_XML || t == dmct_proto::CONTENT_TYPE_WBXML)
}

rule!(
    /// After a server message carrying a Session Abort, the client sends nothing more in
    /// that session: [PRO] §8.1.2 "A client receiving Alert 1223 SHOULD NOT respond".
    AbortNoResponse, "session/abort-no-response", |view, role| {
        let clients = super::sent(view, Role::Client);
        let mut out = Vec::new();
        for s in super::sent(view, Role::Server).into_iter().filter(|s| aborts(s.m)) {
            if let Some(c) = clients.iter().find(|c| c.index > s.index && c.session() == s.session()) {
                out.push(c.fail(
                    format!(
                        "the server aborted the session with Alert 1223 (exchange {}), yet the client \
                         responded; [PRO] §8.1.2: \"A client receiving Alert 1223 SHOULD NOT respond\"",
                        s.index
                    ),
                    c.hdr_excerpt(),
                ));
                continue;
            }
            // Not responding is known once the client went on in another session,
            // finished, or stayed idle past --idle; a harness limit leaves it unknown, and
            // an undecodable request says nothing of its session.
            let quiet = match view.exchanges.get(s.index + 1) {
                Some(e) => e.client_msg().is_some(),
                None => matches!(view.transcript.closing, Closing::PeerDone | Closing::IdleTimeout { .. }),
            };
            if quiet {
                out.push(s.pass("the server aborted the session with Alert 1223; the client sent nothing more in it"));
            }
        }
        out
    }
);
