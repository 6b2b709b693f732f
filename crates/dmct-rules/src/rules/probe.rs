//! A server's refusal of credentials dmct's client made wrong on purpose (negative
//! probes, issue 13 item 6): [SEC] §5.3 "Both OMA DM Protocol client and Server MUST be
//! authenticated to each other", and [PRO] §9.1 names 401 and 407 as the SyncHdr codes
//! of a request that "requires authentication".
//!
//! The transcript holds no secrets, so the checker cannot recompute a Cred or an HMAC
//! mac. It judges only the requests the transcript marks as probes (`probes`: which
//! exchange, what was wrong), and holds against the wire what the wire can show: that
//! the probe carries credentials, and for a stale nonce that the server gave that nonce
//! earlier in the session and replaced it with another NextNonce since.

use super::auth::{synchdr_index, used_scheme};
use super::other;
use super::{Msg, obs, sent};
use crate::{
    Binds, Condition, Decl, Level, Observation, Role, Rule, RuleStatus, Side, Verdict, View,
};
use dmct_proto::auth::Nonce;
use dmct_proto::transcript::{Closing, Probe, ProbeKind};

/// Two base64 nonces name the same bytes (a peer may write padding or line breaks
/// differently); text that does not decode is compared as written.
fn same_nonce(a: &str, b: &str) -> bool {
    match (Nonce::from_b64(a), Nonce::from_b64(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

/// The NextNonces the server gave in `session` before exchange `before`, in order.
fn nonces_before(servers: &[Msg], session: &str, before: usize) -> Vec<String> {
    servers
        .iter()
        .filter(|s| s.index < before && s.session() == session)
        .filter_map(|s| s.m.synchdr_status()?.chal.as_ref()?.meta.next_nonce.clone())
        .collect()
}

/// Does the transcript show the probe's nonce stale: given by the server in this
/// session and replaced by a later NextNonce? A nonce still in force keys valid
/// credentials ([PRO] §9.1: after 200 without a new Chal "the same credentials MUST be
/// sent within the next request").
fn shown_stale(servers: &[Msg], c: &Msg, p: &Probe) -> bool {
    let Some(used) = p.nonce.as_deref() else {
        return false;
    };
    let given = nonces_before(servers, c.session(), c.index);
    given.iter().any(|n| same_nonce(n, used))
        && given.last().is_some_and(|last| !same_nonce(last, used))
}

/// Did the server accept the client for this session (212) before exchange `index`?
fn accepted_212_before(servers: &[Msg], clients: &[Msg], session: &str, index: usize) -> bool {
    servers.iter().any(|s| {
        s.index < index
            && clients
                .iter()
                .any(|r| r.index == s.index && r.session() == session)
            && s.m.synchdr_status().and_then(|x| x.code()) == Some(212)
    })
}

/// A server refuses credentials that do not verify: a probe of dmct's client is
/// answered 401 or 407 for the SyncHdr, never 200 or 212.
pub struct RefusesWrongCred;

impl Rule for RefusesWrongCred {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/server-refuses-wrong-cred",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.3, §5.3.3, §5.4.4; [PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "A server refuses credentials that do not verify. dmct's client sends them \
                on purpose as negative probes, and the transcript marks each probe and what was \
                wrong: Basic credentials or an MD5 digest made with a wrong password, an MD5 \
                digest keyed with a nonce the server had replaced with a NextNonce, an HMAC mac \
                made with a wrong password or keyed with a nonce already used ([SEC] §5.4.4: a \
                new nonce for every message). The server's Status for the SyncHdr is 401 or 407 \
                with a Chal, never 200 or 212.",
            allowed: &[
                "401 ([PRO] §9.1: the credentials were refused)",
                "407 ([PRO] §9.1: either code means the request requires authentication)",
                "credentials after the server answered 212 earlier in the session are not judged \
                    (§9.1: no further authentication is needed)",
                "credentials keyed with the nonce still in force are valid: the same credentials \
                    again after a 200 without a new Chal ([PRO] §9.1: \"the same credentials MUST \
                    be sent within the next request\")",
            ],
            conditions: &[Condition::ClientNotTransportAuthenticated],
            capability: Some("dm-client-auth"),
            scenarios: &[
                "auth/wrong-basic-password",
                "auth/wrong-md5-digest",
                "auth/md5-stale-nonce",
                "auth/hmac-wrong-mac",
                "auth/hmac-replayed-nonce",
            ],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        // A server "MAY choose not to authenticate" a client its transport already
        // authenticated ([SEC] §5.4.5, §5.3).
        if view.transcript.transport.client.is_some() {
            return Vec::new();
        }
        let clients = sent(view, other(role));
        let servers = sent(view, role);
        let mut out: Vec<Observation> = Vec::new();
        // Credentials that are wrong; missing ones are auth/server-refuses-missing-cred's.
        let client_probes = view
            .transcript
            .probes
            .iter()
            .filter(|p| matches!(p.kind, ProbeKind::WrongSecret | ProbeKind::StaleNonce));
        for p in client_probes {
            let Some(c) = clients.iter().find(|c| c.index == p.exchange) else {
                continue;
            };
            // After 212 no further authentication is needed in the session ([PRO]
            // §9.1): credentials sent then have nothing to pass.
            if accepted_212_before(&servers, &clients, c.session(), c.index) {
                continue;
            }
            if used_scheme(c).is_none() && c.m.hdr.cred.is_none() {
                out.push(obs(
                    Verdict::Inconclusive,
                    c.index,
                    Side::Request,
                    format!(
                        "exchange {} is marked as a probe ({}) but carries no credentials",
                        c.index, p.detail
                    ),
                    None,
                ));
                continue;
            }
            // Only a nonce the wire shows replaced makes stale credentials.
            if p.kind == ProbeKind::StaleNonce && !shown_stale(&servers, c, p) {
                continue;
            }
            let Some(s) = servers.iter().find(|s| s.index == c.index) else {
                continue;
            };
            match s.m.synchdr_status().and_then(|x| x.code()) {
                Some(code @ (401 | 407)) => out.push(s.pass(format!(
                    "dmct's client sent {}; the server refused it with {code}",
                    p.detail
                ))),
                Some(code @ (200 | 212)) => out.push(s.fail(
                    format!(
                        "as a deliberate negative probe, dmct's client sent {}; the server \
                         accepted it with {code}",
                        p.detail
                    ),
                    synchdr_index(s.m).and_then(|i| s.cmd_excerpt(i)),
                )),
                _ => {}
            }
        }
        out
    }
}

/// A client refuses a server whose credentials do not verify: after a package of
/// management commands carrying server credentials dmct's server made wrong on
/// purpose, the client challenges (401 or 407 for the server's SyncHdr) or ends the
/// session, never accepts them with 200 or 212. [SEC] §5.3: "Both OMA DM Protocol
/// client and Server MUST be authenticated to each other"; the errata to issue 13
/// item 6: "a client refuses invalid server credentials by challenging or by ending
/// the session". A package without commands is left to
/// auth/no-synchdr-only-challenge ([PRO] §9: ending is the refusal there).
pub struct RefusesWrongServerCred;

impl Rule for RefusesWrongServerCred {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/client-refuses-wrong-server-cred",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.3; [PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "A client refuses a server whose credentials do not verify ([SEC] §5.3: \
                client and server \"MUST be authenticated to each other\"). dmct's server sends \
                them on purpose as negative probes, with management commands, and the transcript \
                marks each: the client challenges the server (401 or 407 for its SyncHdr, with a \
                Chal) or ends the session, never accepts them with 200 or 212.",
            allowed: &[
                "401 ([PRO] §9.1: the credentials were refused)",
                "407 ([PRO] §9.1: either code means the request requires authentication)",
                "end the session: send nothing more in it, or abort it with Alert 1223 ([PRO] \
                    §8.1.1)",
                "a package without management commands is not judged here: ending is the refusal \
                    there, and a SyncHdr-only challenge is auth/no-synchdr-only-challenge's \
                    ([PRO] §9)",
                "server credentials after the client answered 212 earlier in the session are not \
                    judged (§9.1: no further authentication is needed)",
            ],
            conditions: &[Condition::ServerNotTransportAuthenticated],
            capability: None,
            scenarios: &["auth/invalid-server-cred"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        // The transport may have authenticated the server ([PRO] §8.4 item 1).
        let t = &view.transcript.transport;
        if t.server.is_some() || t.served_over_tls {
            return Vec::new();
        }
        let servers = sent(view, other(role));
        let mut out: Vec<Observation> = Vec::new();
        for p in view
            .transcript
            .probes
            .iter()
            .filter(|p| p.kind == ProbeKind::WrongServerSecret)
        {
            let Some(s) = servers.iter().find(|s| s.index == p.exchange) else {
                continue;
            };
            if s.m.operations().next().is_none() {
                continue;
            }
            // Once the client accepted the server for the session (212), no further
            // authentication is needed ([PRO] §9.1): a Cred after that is not judged.
            let accepted = sent(view, role).iter().any(|c| {
                c.index <= s.index
                    && c.session() == s.session()
                    && c.m.synchdr_status().and_then(|x| x.code()) == Some(212)
            });
            if accepted {
                continue;
            }
            let Some(next) = view.next_in_session(s.index) else {
                // Nothing more in this session: the client ended it, if it is known to
                // have stopped (or went on in another session).
                let later = view.next_client_msg(s.index).is_some();
                let stopped = matches!(
                    view.transcript.closing,
                    Closing::PeerDone | Closing::IdleTimeout { .. }
                );
                if later || stopped {
                    out.push(s.pass(format!(
                        "dmct's server sent {}; the client ended the session",
                        p.detail
                    )));
                }
                continue;
            };
            let Some(reply) = next.request.as_ref().ok() else {
                continue;
            };
            let c = Msg {
                index: next.index,
                side: Side::Request,
                decoded: reply,
                m: &reply.message,
                headers: &next.exchange.request.headers,
                body: next.exchange.request.body.as_bytes(),
                ids: &next.ids[0],
            };
            if super::aborts(c.m) {
                out.push(c.pass(format!(
                    "dmct's server sent {}; the client aborted the session (Alert 1223)",
                    p.detail
                )));
                continue;
            }
            match c.m.synchdr_status().and_then(|x| x.code()) {
                Some(code @ (401 | 407)) => out.push(c.pass(format!(
                    "dmct's server sent {}; the client challenged it with {code}",
                    p.detail
                ))),
                Some(code @ (200 | 212)) => out.push(c.fail(
                    format!(
                        "as a deliberate negative probe, dmct's server sent {} with management \
                         commands (exchange {}); the client accepted them with {code}",
                        p.detail, s.index
                    ),
                    synchdr_index(c.m).and_then(|i| c.cmd_excerpt(i)),
                )),
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::same_nonce;

    #[test]
    fn nonces_compare_as_bytes() {
        assert!(same_nonce("Tm9uY2Ux", " Tm9uY2Ux\n"));
        assert!(!same_nonce("Tm9uY2Ux", "Tm9uY2Uy"));
        assert!(same_nonce("not base64!", "not base64!"));
    }
}
