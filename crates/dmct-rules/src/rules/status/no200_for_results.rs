use super::*;

/// No Status 200 answers a Results: [REP] §6.5.1 "A Status command MUST NOT be sent
/// in response to a Results command if the Status code is 200", whoever received
/// the Results. A Results the role answered with no Status at all is the catalog's
/// allowed behaviour, judged and passed once the role went on in its session.
pub struct No200ForResults;

impl Rule for No200ForResults {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/no-200-for-results",
            status: RuleStatus::Testable,
            clause: "[REP] §6.5.1; [PRO] §6.1",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Both,
            summary: "Results are not acknowledged with Status 200, by whichever side receives \
                them ([REP] §6.5.1: \"A Status command MUST NOT be sent in response to a Results \
                command if the Status code is 200\"; a server may send Results too, [PRO] §8.6).",
            allowed: &[
                "no Status for Results at all",
                "213 for a chunk of a large Results",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/large-object@server"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for m in sent(view, role) {
            let statuses =
                m.m.body
                    .commands
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| match c {
                        Command::Status(s) if s.cmd.trim() == "Results" => Some((i, s)),
                        _ => None,
                    });
            for (i, s) in statuses {
                out.push(if s.code() == Some(200) {
                    m.fail("Status 200 answers a Results", m.cmd_excerpt(i))
                } else {
                    m.pass(format!("the Results got Status {}, not 200", s.data.trim()))
                });
            }
        }
        for p in sent(view, other(role)) {
            // What the role sent after `p` in its session (a server's response shares
            // `p`'s exchange).
            let from = p.index + usize::from(role == Role::Client);
            let mine = crate::rules::session_from(view, role, p.session(), from);
            if mine.clone().next().is_none() {
                continue;
            }
            for c in &p.m.body.commands {
                let Command::Results(r) = c else { continue };
                let id = r.cmd_id.trim();
                let pid = p.m.hdr.msg_id.trim();
                let acknowledged =
                    crate::rules::first_status(view, role, p.session(), from, pid, id).is_some();
                if !acknowledged {
                    out.push(p.pass(format!(
                        "Results {id} got no Status (a 200 outcome is not acknowledged)"
                    )));
                }
            }
        }
        out.into_vec()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "no Status for the client's Results",
            role: Role::Server,
            allowed: Some("no Status for Results at all"),
            verdict: Verdict::Pass,
            build: get_with_results,
        },
        Fixture {
            name: "Status 200 for the client's Results",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: results_answered_200,
        },
        Fixture {
            name: "no Status for the server's Results",
            role: Role::Client,
            allowed: Some("no Status for Results at all"),
            verdict: Verdict::Pass,
            build: client_leaves_results_without_status,
        },
        Fixture {
            name: "Status 200 for the server's Results",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: client_answers_results_200,
        },
        Fixture {
            name: "213 for a chunk of the client's Results",
            role: Role::Server,
            allowed: Some("213 for a chunk of a large Results"),
            verdict: Verdict::Pass,
            build: results_chunk_answered_213,
        },
    ];

    fn results_answered_200() -> Transcript {
        get_answered(200, true, Some(200))
    }

    /// The server's Get answered by a Package #3 of two messages, the Results in the second.
    /// The server's Package #2 carries Results (for the client's Alert; a server may send
    /// Results, [PRO] §8.6); the client's next message answers them with `status`.
    fn server_results_answered(status: Option<u16>) -> Transcript {
        let reply = Msg::client(2).hdr_status(1, 200).alert("1226");
        let reply = match status {
            Some(c) => reply.status(1, 3, "Results", c),
            None => reply,
        };
        opened(pkg2().results(1, 1, "./Vendor/dmct/Info", "X1"))
            .exchange(
                reply,
                Msg::server(2).hdr_status(2, 200).status(2, 2, "Alert", 200),
            )
            .done()
    }

    fn client_leaves_results_without_status() -> Transcript {
        server_results_answered(None)
    }

    fn client_answers_results_200() -> Transcript {
        server_results_answered(Some(200))
    }

    fn results_chunk_answered_213() -> Transcript {
        // The client's Results for the Get is a large object in two chunks.
        let chunk = |data, more| item("Source", "./DevInfo/Mod", "", data, more);
        opened(pkg2().get("./DevInfo/Mod"))
            .exchange(
                Msg::client(2)
                    .hdr_status(1, 200)
                    .status(1, 3, "Get", 200)
                    .cmd(
                        "Results",
                        &format!(
                            "<MsgRef>1</MsgRef><CmdRef>3</CmdRef>{}",
                            chunk("hello", true)
                        ),
                    )
                    .more(),
                Msg::server(2)
                    .hdr_status(2, 200)
                    .status(2, 3, "Results", 213)
                    .alert("1222")
                    .more(),
            )
            .exchange(
                Msg::client(3)
                    .hdr_status(2, 200)
                    .status(2, 3, "Alert", 200)
                    .cmd(
                        "Results",
                        &format!(
                            "<MsgRef>1</MsgRef><CmdRef>3</CmdRef>{}",
                            chunk("world", false)
                        ),
                    ),
                Msg::server(3).hdr_status(3, 200),
            )
            .done()
    }
}
