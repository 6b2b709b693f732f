use super::*;

/// CmdIDs are unique within a message (nested commands included).
pub struct CmdIdUnique;

impl Rule for CmdIdUnique {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/cmdid-unique",
            status: RuleStatus::Testable,
            clause: "[REP] §6.1.4, §6.6",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "CmdIDs are unique within a message, commands inside Atomic and Sequence \
                included.",
            allowed: &["any numbering, not necessarily from 1 or contiguous"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .map(|m| {
                // The index other rules look CmdIDs up in, kept with the message.
                let ids = m.ids.get_or_init(|| crate::rules::CmdIds::new(m.m));
                match ids.first_repeat(m.m) {
                    Some(c) => m.fail(
                        format!(
                            "CmdID {} is used twice in MsgID {}",
                            c.cmd_id().unwrap_or(""),
                            m.m.hdr.msg_id
                        ),
                        m.excerpt_of(c),
                    ),
                    None => m.pass("every CmdID is unique in the message"),
                }
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "CmdIDs 7 and 42",
            role: Role::Client,
            allowed: Some("any numbering, not necessarily from 1 or contiguous"),
            verdict: Verdict::Pass,
            build: cmdids_sparse,
        },
        Fixture {
            name: "CmdID 7 twice in a message",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: cmdids_repeated,
        },
    ];

    /// Package #1 with the Alert and the Replace numbered `alert` and `replace`.
    fn pkg1_cmdids(alert: u32, replace: u32) -> Transcript {
        opened_with(
            Msg::client(1)
                .raw(&format!(
                    "<Alert><CmdID>{alert}</CmdID><Data>1201</Data></Alert>"
                ))
                .raw(&format!(
                    "<Replace><CmdID>{replace}</CmdID>{}</Replace>",
                    item("Source", "./DevInfo/Mod", "", "X1", false)
                )),
        )
    }

    fn cmdids_sparse() -> Transcript {
        pkg1_cmdids(7, 42)
    }

    fn cmdids_repeated() -> Transcript {
        pkg1_cmdids(7, 7)
    }

    /// The index finds the command a set of the CmdIDs seen, walked in order, finds
    /// first, in messages of random commands and containers whose CmdIDs repeat (some
    /// only after trimming).
    #[test]
    fn the_index_finds_the_first_repeat_as_a_set_of_cmdids_would() {
        use dmct_proto::{Command, Container, ItemCmd, SyncML};
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut ascending = 0;
        for _ in 0..400 {
            let id = |next: &mut dyn FnMut(u64) -> u64| {
                let pad = if next(4) == 0 { " " } else { "" };
                format!("{pad}{}", next(12))
            };
            let mut commands = Vec::new();
            for _ in 0..next(9) {
                let get = |cmd_id: String| {
                    Command::Get(ItemCmd {
                        cmd_id: cmd_id.into(),
                        ..Default::default()
                    })
                };
                commands.push(if next(4) == 0 {
                    let inner = (0..next(4)).map(|_| get(id(&mut next))).collect();
                    Command::atomic(Container {
                        cmd_id: id(&mut next).into(),
                        commands: inner,
                        ..Default::default()
                    })
                } else {
                    get(id(&mut next))
                });
            }
            let m = SyncML {
                hdr: Default::default(),
                body: dmct_proto::SyncBody {
                    commands,
                    final_: true,
                },
            };
            // The same commands numbered counting up (by gaps of 1 to 3), half the time.
            let mut counted = m.clone();
            if next(2) == 0 {
                let mut n = next(3);
                renumber(&mut counted.body.commands, &mut || {
                    n += 1 + next(3);
                    n.to_string()
                });
            }
            for m in [&m, &counted] {
                let mut seen = std::collections::BTreeSet::new();
                let by_set = crate::rules::flatten(m)
                    .find(|c| c.cmd_id().is_some_and(|id| !seen.insert(id.trim())));
                let index = crate::rules::CmdIds::new(m);
                if crate::rules::CmdIds::ascending(m) {
                    assert!(by_set.is_none(), "ascending CmdIDs repeat");
                    ascending += 1;
                }
                assert_eq!(
                    index.first_repeat(m).map(|c| c as *const _),
                    by_set.map(|c| c as *const _)
                );
                // Every lookup finds what a walk of every command finds, in order.
                for q in (0..40)
                    .map(|q| q.to_string())
                    .chain(["+3".into(), "x".into()])
                {
                    let walked: Vec<_> = crate::rules::flatten(m)
                        .filter(|c| c.cmd_id().map(str::trim) == Some(q.as_str()))
                        .map(|c| c as *const _)
                        .collect();
                    let found: Vec<_> = index.find(m, &q).map(|c| c as *const _).collect();
                    assert_eq!(found, walked, "CmdID {q}");
                }
            }
        }
        assert!(
            ascending > 150,
            "only {ascending} messages of ascending CmdIDs"
        );
    }

    /// Gives every command of `commands`, in document order, the next CmdID.
    fn renumber(commands: &mut [dmct_proto::Command], next: &mut dyn FnMut() -> String) {
        use dmct_proto::Command;
        for c in commands {
            match c {
                Command::Get(g) => g.cmd_id = next().into(),
                Command::Atomic(x) => {
                    x.cmd_id = next().into();
                    renumber(&mut x.commands, next);
                }
                _ => {}
            }
        }
    }
}
