use super::*;

/// Every command that needs one gets a Status (not Status and Results themselves,
/// nor commands with NoResp; commands inside an Atomic or Sequence once it ran).
pub struct EveryCommand;

impl Rule for EveryCommand {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/every-command",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.4 item 2, §8.5 items 2-3, §8.6 item 2, §9.1, §8.1.2; [REP] §6.5.1, \
                §6.6.14",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "Every command that asks for an answer gets a Status: not Status and Results \
                themselves, nor commands with NoResp; commands inside an Atomic or Sequence once \
                it ran. A client that ends the session, stays silent past --idle, or opens a new \
                session (a new Package #1) after a server package of such commands has not \
                answered them ([PRO] §8: the management phase continues with a new package from \
                the client); a harness limit reached first is inconclusive.",
            allowed: &[
                "the Status in a later message of the same package",
                "one Status per command even when they share a code",
                "no Status for the commands the aborting party did not run, nor for those in a \
                    Session Abort it received ([PRO] §8.1.2)",
                "no answer to a server package that also carries Alert 1223 ([PRO] §8.1.2: a \
                    client receiving it should not respond)",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        // Every command of the peer's packages is observed: only the one `judge` keeps
        // is held.
        let mut out = crate::Gravest::default();
        let peer = other(role);
        for p in sent(view, peer) {
            // The role's answer to `p` (the server's response of the exchange, the
            // client's next request) under another SessionID is `SessionIdConstant`'s
            // failure; which session it answers cannot be told.
            let next = match role {
                Role::Server => view.exchanges[p.index].server_msg(),
                Role::Client => view.exchanges.get(p.index + 1).and_then(|e| e.client_msg()),
            };
            if let Some(n) = next
                && n.hdr.session_id.trim() != p.session()
                && !(role == Role::Client && crate::rules::opens_session(n))
            {
                out.push(unresolved(
                    &p,
                    format!(
                        "the {role}'s answer carries SessionID {:?}, not {:?} ({})",
                        n.hdr.session_id.trim(),
                        p.session(),
                        crate::rules::msg::SessionIdConstant.id()
                    ),
                ));
                continue;
            }
            // What the role sent after `p` in its session (a server's response shares
            // `p`'s exchange).
            let from = p.index + usize::from(role == Role::Client);
            let mine = crate::rules::session_from(view, role, p.session(), from);
            // Only what the role went on to send can be judged, unless the client quit
            // where it had to answer.
            if mine.clone().next().is_none() {
                if role == Role::Client {
                    out.extend(client_silence(view, &p));
                }
                continue;
            }
            // [PRO] §8.1.2: "A client receiving Alert 1223 SHOULD NOT respond", and a
            // response is ignored (§8.1.1): nothing in an abort is owed a Status.
            if role == Role::Client && aborts(p.m) {
                continue;
            }
            // The role aborted in the package that answers `p`: the sender of 1223 "MAY
            // also include Status and Results of all the management commands that the
            // aborting party executed" (§8.1.2), so the ones it did not run owe none.
            let aborted = mine
                .clone()
                .find(|m| m.m.body.final_)
                .is_some_and(|m| aborts(m.m));
            let answered_by = |c: &Command| {
                let id = c.cmd_id().unwrap_or("");
                let pid = p.m.hdr.msg_id.trim();
                crate::rules::first_status(view, role, p.session(), from, pid, id)
                    .map(|(m, i)| m.m.body.commands[i].as_status().and_then(|s| s.code()))
            };
            let mut failed = false;
            let mut check = |c: &Command| {
                if !c.is_operation() || no_resp(c) || c.cmd_id().is_none() {
                    return;
                }
                let answer = answered_by(c);
                // Two commands share the CmdID: a Status for it answers one of them,
                // which one cannot be told. None at all still leaves both unanswered.
                if let (Some(_), Some(why)) = (answer, ambiguous(&p, c)) {
                    out.push(unresolved(&p, why));
                    return;
                }
                match answer {
                    Some(_) => out.push(p.pass(format!(
                        "{} {} was answered",
                        c.name(),
                        c.cmd_id().unwrap_or("")
                    ))),
                    None if aborted => out.push(p.pass(format!(
                        "{} {} got no Status: the {role} aborted the session (Alert 1223) first",
                        c.name(),
                        c.cmd_id().unwrap_or("")
                    ))),
                    None => {
                        let last = mine.clone().last();
                        if let Some(l) = last {
                            // Only the first failure is reported: its excerpt is all
                            // that is quoted.
                            let excerpt = match failed {
                                false => p.excerpt_of(c),
                                true => None,
                            };
                            failed = true;
                            out.push(l.fail(
                                format!(
                                    "{} (CmdID {}) of MsgID {} got no Status",
                                    c.name(),
                                    c.cmd_id().unwrap_or(""),
                                    p.m.hdr.msg_id
                                ),
                                excerpt,
                            ));
                        }
                    }
                }
            };
            for c in &p.m.body.commands {
                check(c);
                // Inner commands are answered when the container ran (200, or 507 for
                // a failed Atomic); a refused container answers for all of them.
                if let Command::Atomic(x) | Command::Sequence(x) = c
                    && matches!(answered_by(c), Some(Some(200 | 507)))
                {
                    for inner in &x.commands {
                        check(inner);
                    }
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
            name: "the client aborts without answering the Get",
            role: Role::Client,
            allowed: Some(
                "no Status for the commands the aborting party did not run, nor for those in a \
                    Session Abort it received ([PRO] §8.1.2)",
            ),
            verdict: Verdict::Pass,
            build: client_aborts,
        },
        Fixture {
            name: "the client answers a server abort without Status for its commands",
            role: Role::Client,
            allowed: Some(
                "no Status for the commands the aborting party did not run, nor for those in a \
                    Session Abort it received ([PRO] §8.1.2)",
            ),
            verdict: Verdict::NotApplicable,
            build: server_aborts_client_answers,
        },
        Fixture {
            name: "the client stays silent after a Get that came with the server's abort",
            role: Role::Client,
            allowed: Some(
                "no answer to a server package that also carries Alert 1223 ([PRO] §8.1.2: a \
                    client receiving it should not respond)",
            ),
            verdict: Verdict::NotApplicable,
            build: server_aborts_client_silent,
        },
        Fixture {
            name: "the Get's Status in the second message of Package #3",
            role: Role::Client,
            allowed: Some("the Status in a later message of the same package"),
            verdict: Verdict::Pass,
            build: status_in_later_message,
        },
        Fixture {
            name: "two Gets, a Status 200 each",
            role: Role::Client,
            allowed: Some("one Status per command even when they share a code"),
            verdict: Verdict::Pass,
            build: one_status_per_get,
        },
        Fixture {
            name: "the client leaves the Get unanswered without aborting",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: client_ignores_get,
        },
        Fixture {
            name: "the client opens a new session instead of answering the Get",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: client_starts_over,
        },
    ];

    fn client_starts_over() -> Transcript {
        // The client leaves the Get and opens another session: quitting is an answer.
        opened(pkg2().get("./DevInfo/Mod"))
            .exchange(
                Msg::client(1).session("2").setup("1201"),
                pkg2().session("2"),
            )
            .done()
    }

    fn status_in_later_message() -> Transcript {
        opened(pkg2().get("./DevInfo/Mod"))
            .exchange(
                Msg::client(2).hdr_status(1, 200).more(),
                Msg::server(2).hdr_status(2, 200).alert("1222").more(),
            )
            .exchange(
                Msg::client(3)
                    .hdr_status(2, 200)
                    .status(2, 2, "Alert", 200)
                    .status(1, 3, "Get", 200)
                    .results(1, 3, "./DevInfo/Mod", "X1"),
                Msg::server(3).hdr_status(3, 200),
            )
            .done()
    }

    fn one_status_per_get() -> Transcript {
        opened(pkg2().get("./DevInfo/Mod").get("./DevInfo/Man"))
            .exchange(
                Msg::client(2)
                    .hdr_status(1, 200)
                    .status(1, 3, "Get", 200)
                    .status(1, 4, "Get", 200)
                    .results(1, 3, "./DevInfo/Mod", "X1")
                    .results(1, 4, "./DevInfo/Man", "Example"),
                Msg::server(2).hdr_status(2, 200),
            )
            .done()
    }
}
