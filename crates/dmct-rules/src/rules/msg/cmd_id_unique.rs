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
                let mut seen = BTreeSet::new();
                for c in flatten(m.m) {
                    if let Some(id) = c.cmd_id()
                        && !seen.insert(id.trim())
                    {
                        return m.fail(
                            format!("CmdID {id} is used twice in MsgID {}", m.m.hdr.msg_id),
                            m.excerpt_of(c),
                        );
                    }
                }
                m.pass("every CmdID is unique in the message")
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
}
