use super::*;

/// A client refuses a server whose credentials do not verify: after a package of
/// management commands carrying server credentials dmct's server made wrong on
/// purpose, the client challenges (401 or 407 for the server's SyncHdr) or ends the
/// session, never accepts them with 200 or 212. [SEC] §5.3: "Both OMA DM Protocol
/// client and Server MUST be authenticated to each other"; the errata to issue 13
/// item 6: "a client refuses invalid server credentials by challenging or by ending
/// the session". A package without commands is left to
/// `NoSynchdrOnlyChallenge` ([PRO] §9: ending is the refusal there).
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

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "wrong server credentials challenged 401",
            role: Role::Client,
            allowed: Some("401 ([PRO] §9.1: the credentials were refused)"),
            verdict: Verdict::Pass,
            build: server_cred_challenged_401,
        },
        Fixture {
            name: "wrong server credentials challenged 407",
            role: Role::Client,
            allowed: Some(
                "407 ([PRO] §9.1: either code means the request requires authentication)",
            ),
            verdict: Verdict::Pass,
            build: server_cred_challenged_407,
        },
        Fixture {
            name: "wrong server credentials: the client sends nothing more",
            role: Role::Client,
            allowed: Some(
                "end the session: send nothing more in it, or abort it with Alert 1223 ([PRO] \
                    §8.1.1)",
            ),
            verdict: Verdict::Pass,
            build: server_cred_session_ended,
        },
        Fixture {
            name: "wrong server credentials: the client aborts",
            role: Role::Client,
            allowed: Some(
                "end the session: send nothing more in it, or abort it with Alert 1223 ([PRO] \
                    §8.1.1)",
            ),
            verdict: Verdict::Pass,
            build: server_cred_session_aborted,
        },
        Fixture {
            name: "wrong server credentials without commands, accepted",
            role: Role::Client,
            allowed: Some(
                "a package without management commands is not judged here: ending is the refusal \
                    there, and a SyncHdr-only challenge is auth/no-synchdr-only-challenge's \
                    ([PRO] §9)",
            ),
            verdict: Verdict::NotApplicable,
            build: server_cred_without_commands,
        },
        Fixture {
            name: "wrong server credentials after the client's 212, answered 200",
            role: Role::Client,
            allowed: Some(
                "server credentials after the client answered 212 earlier in the session are not \
                    judged (§9.1: no further authentication is needed)",
            ),
            verdict: Verdict::NotApplicable,
            build: server_cred_probe_after_212,
        },
        Fixture {
            name: "wrong server credentials accepted over TLS",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::NotApplicable,
            build: server_cred_accepted_over_tls,
        },
        Fixture {
            name: "wrong server credentials, then the harness's limit",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::NotApplicable,
            build: server_cred_ended_then_harness_limit,
        },
        Fixture {
            name: "wrong server credentials accepted with 212, the Get run",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: server_cred_accepted,
        },
    ];

    /// Package #1 answered by a Package #2 whose server Cred (Basic, a wrong password) is
    /// marked as dmct's server's probe, with a Get when `commands`; then `then` adds the
    /// client's answer.
    fn wrong_server_cred(commands: bool, then: fn(Session) -> Session) -> Transcript {
        let mut pkg2 = Msg::server(1)
            .cred(BASIC, "ZG1jdDp3cm9uZw==")
            .hdr_status(1, 212)
            .status(1, 1, "Alert", 200);
        if commands {
            pkg2 = pkg2.get("./DevInfo/Mod");
        }
        let mut t = then(Session::new().exchange(Msg::client(1).setup("1201"), pkg2)).done();
        t.probes.push(Probe {
            exchange: 0,
            kind: ProbeKind::WrongServerSecret,
            detail: "its credentials (basic) made with a wrong password".into(),
            nonce: None,
        });
        t
    }

    /// The client's answer to the probe: `code` for the server's SyncHdr (with a Basic Chal
    /// when refusing), the same code for the Get, Results only when accepting.
    fn server_cred_answered(s: Session, code: u16) -> Session {
        let mut c = Msg::client(2);
        if code >= 400 {
            c = c
                .status_with(
                    1,
                    0,
                    "SyncHdr",
                    code,
                    &format!(
                        "<Chal>{}</Chal>",
                        meta(&[("Type", BASIC), ("Format", "b64")])
                    ),
                )
                .status(1, 3, "Get", code);
        } else {
            c = c
                .hdr_status(1, code)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1");
        }
        s.exchange(c, Msg::server(2).hdr_status(2, 200))
    }

    fn server_cred_challenged_401() -> Transcript {
        wrong_server_cred(true, |s| server_cred_answered(s, 401))
    }

    fn server_cred_challenged_407() -> Transcript {
        wrong_server_cred(true, |s| server_cred_answered(s, 407))
    }

    fn server_cred_session_ended() -> Transcript {
        wrong_server_cred(true, |s| s)
    }

    fn server_cred_session_aborted() -> Transcript {
        wrong_server_cred(true, |s| {
            s.exchange(
                Msg::client(2).hdr_status(1, 200).alert("1223"),
                Msg::server(2).hdr_status(2, 200),
            )
        })
    }

    fn server_cred_without_commands() -> Transcript {
        wrong_server_cred(false, |s| {
            s.exchange(
                Msg::client(2).hdr_status(1, 212),
                Msg::server(2).hdr_status(2, 200),
            )
        })
    }

    /// The server authenticated with 212 in Package #3; its next package's Cred is marked
    /// as a probe and answered 200.
    fn server_cred_probe_after_212() -> Transcript {
        let mut t = Session::new()
            .exchange(
                Msg::client(1).setup("1201"),
                pkg2().cred(BASIC, "ZG1jdDpwdw==").get("./DevInfo/Mod"),
            )
            .exchange(
                Msg::client(2)
                    .hdr_status(1, 212)
                    .status(1, 3, "Get", 200)
                    .results(1, 3, "./DevInfo/Mod", "X1"),
                Msg::server(2)
                    .cred(BASIC, "ZG1jdDp3cm9uZw==")
                    .hdr_status(2, 200)
                    .get("./DevInfo/Man"),
            )
            .exchange(
                Msg::client(3)
                    .hdr_status(2, 200)
                    .status(2, 2, "Get", 200)
                    .results(2, 2, "./DevInfo/Man", "dmct"),
                Msg::server(3).hdr_status(3, 200),
            )
            .done();
        t.probes.push(Probe {
            exchange: 1,
            kind: ProbeKind::WrongServerSecret,
            detail: "its credentials (basic) made with a wrong password".into(),
            nonce: None,
        });
        t
    }

    fn server_cred_accepted() -> Transcript {
        wrong_server_cred(true, |s| server_cred_answered(s, 212))
    }

    fn server_cred_accepted_over_tls() -> Transcript {
        let mut t = server_cred_accepted();
        t.transport.served_over_tls = true;
        t
    }

    fn server_cred_ended_then_harness_limit() -> Transcript {
        let mut t = server_cred_session_ended();
        t.closing = Closing::ExchangeLimit { limit: 1 };
        t
    }
}
