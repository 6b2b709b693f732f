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
