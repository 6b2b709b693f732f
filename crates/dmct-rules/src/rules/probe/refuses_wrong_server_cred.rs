use super::*;

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
            if crate::rules::aborts(c.m) {
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
