use super::*;

/// Atomic is all or nothing: a failed Atomic (507) leaves no inner command
/// succeeded (216 rolled back, or its error); a successful one has no failures.
pub struct AtomicRollback;

impl Rule for AtomicRollback {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "atomic/all-or-nothing",
            status: RuleStatus::Testable,
            clause: "[REP] §6.6.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Atomic is all or nothing: when one of its commands fails the whole Atomic \
                fails (507) and no inner command keeps a success (rolled back, 216); an Atomic \
                answered 200 has no failed inner command.",
            allowed: &[
                "216 or the command's own error code for inner commands of a failed Atomic",
                "500 for a Get or a nested Atomic inside",
                "517 for an Atomic whose responses would not fit one message, its commands rolled \
                    back",
            ],
            conditions: &[],
            capability: Some("atomic"),
            scenarios: &["session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for p in sent(view, crate::rules::other(role)) {
            for c in flatten(p.m) {
                let Command::Atomic(a) = c else { continue };
                // The Atomic's inner statuses are found by CmdRef: a repeated CmdID
                // among them leaves the verdict to `CmdIdUnique`.
                if let Some(why) = std::iter::once(c)
                    .chain(&a.commands)
                    .find_map(|x| crate::rules::ambiguous(&p, x))
                {
                    out.push(crate::rules::unresolved(&p, why));
                    continue;
                }
                for m in crate::rules::session_msgs(view, role, p.session())
                    .into_iter()
                    .filter(|m| m.index >= p.index)
                {
                    let code_of = |id: &str| {
                        m.m.statuses()
                            .find(|s| {
                                s.msg_ref.trim() == p.m.hdr.msg_id.trim()
                                    && s.cmd_ref.trim() == id.trim()
                            })
                            .and_then(|s| s.code())
                    };
                    let Some(atomic) = code_of(&a.cmd_id) else {
                        continue;
                    };
                    let inner: Vec<u16> = a
                        .commands
                        .iter()
                        .filter_map(|c| c.cmd_id().and_then(code_of))
                        .collect();
                    let bad = match atomic {
                        200 => inner.iter().any(|c| !(200..300).contains(c)),
                        // 507: an inner command failed; 517: the responses would not
                        // fit one message ([REP] §6.6.3: "Previously executed commands
                        // in Atomic command MUST be rolled back"). Either way none keeps
                        // a 200.
                        507 | 517 => inner.contains(&200),
                        _ => false,
                    };
                    let i = m.m.body.commands.iter().position(
                        |x| matches!(x, Command::Status(s) if s.cmd_ref.trim() == a.cmd_id.trim()),
                    );
                    out.push(if bad {
                        m.fail(
                            format!(
                                "Atomic answered {atomic} with inner statuses {inner:?}: not \
                                all or nothing"
                            ),
                            i.and_then(|i| m.cmd_excerpt(i)),
                        )
                    } else {
                        m.pass(format!("Atomic {atomic}, inner {inner:?}"))
                    });
                    break;
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
            name: "a failed Atomic: 216 and the command's own error",
            role: Role::Client,
            allowed: Some(
                "216 or the command's own error code for inner commands of a failed Atomic",
            ),
            verdict: Verdict::Pass,
            build: atomic_rolled_back,
        },
        Fixture {
            name: "an Atomic holding a Get answered 500",
            role: Role::Client,
            allowed: Some("500 for a Get or a nested Atomic inside"),
            verdict: Verdict::Pass,
            build: atomic_with_get,
        },
        Fixture {
            name: "a failed Atomic keeps an Add",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: atomic_half_kept,
        },
        Fixture {
            name: "Atomic too large: 517, inner commands rolled back",
            role: Role::Client,
            allowed: Some(
                "517 for an Atomic whose responses would not fit one message, its commands rolled \
                    back",
            ),
            verdict: Verdict::Pass,
            build: atomic_too_large_rolled_back,
        },
        Fixture {
            name: "Atomic too large: 517, an inner command kept",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: atomic_too_large_kept,
        },
    ];

    /// The server's Atomic (CmdID 3) holding `inner` (CmdIDs 4, 5), answered `atomic` and
    /// `codes` by the client.
    fn atomic_answered(inner: [&str; 2], atomic: u16, codes: [u16; 2]) -> Transcript {
        let cmds: String = inner
            .iter()
            .zip(4..)
            .map(|(name, id)| {
                format!(
                    "<{name}><CmdID>{id}</CmdID>{}</{name}>",
                    item("Target", &format!("./Ext/N{id}"), "", "v", false)
                )
            })
            .collect();
        opened(pkg2().raw(&format!("<Atomic><CmdID>3</CmdID>{cmds}</Atomic>")))
            .exchange(
                Msg::client(2)
                    .hdr_status(1, 200)
                    .status(1, 3, "Atomic", atomic)
                    .status(1, 4, inner[0], codes[0])
                    .status(1, 5, inner[1], codes[1]),
                Msg::server(2).hdr_status(2, 200),
            )
            .done()
    }

    fn atomic_rolled_back() -> Transcript {
        atomic_answered(["Add", "Replace"], 507, [216, 404])
    }

    fn atomic_with_get() -> Transcript {
        atomic_answered(["Add", "Get"], 500, [500, 500])
    }

    fn atomic_half_kept() -> Transcript {
        atomic_answered(["Add", "Replace"], 507, [200, 404])
    }

    fn atomic_too_large_rolled_back() -> Transcript {
        // "the Atomic command MUST fail with status code 517 ... Previously executed
        // commands in Atomic command MUST be rolled back."
        atomic_answered(["Add", "Replace"], 517, [216, 216])
    }

    fn atomic_too_large_kept() -> Transcript {
        atomic_answered(["Add", "Replace"], 517, [200, 216])
    }
}
