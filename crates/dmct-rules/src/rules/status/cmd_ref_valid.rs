use super::*;

/// A Status's MsgRef and CmdRef name a command the peer sent.
pub struct CmdRefValid;

impl Rule for CmdRefValid {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/cmdref-valid",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?; [REP] §6.1.5, §6.1.13",
            unconfirmed: Some(
                "the normative wording is in SyncML RepPro, which is not among the DM 1.2.1 \
                    documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "Every Status's MsgRef and CmdRef name a command the peer sent.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for m in sent(view, role) {
            for s in command_statuses(m.m) {
                match referenced(view, role, &m, &s.msg_ref, &s.cmd_ref) {
                    None => {}
                    Some(Err(why)) => out.push(unresolved(&m, why)),
                    Some(Ok(Some(_))) => {
                        out.push(m.pass("the Status refers to a command the peer sent"))
                    }
                    Some(Ok(None)) => {
                        let i =
                            m.m.body.commands.iter().position(
                                |c| matches!(c, Command::Status(x) if std::ptr::eq(&**x, s)),
                            );
                        out.push(m.fail(
                            format!(
                                "Status for {} refers to CmdRef {} of MsgID {}, and that message \
                                    has no such command",
                                s.cmd, s.cmd_ref, s.msg_ref
                            ),
                            i.and_then(|i| m.cmd_excerpt(i)),
                        ));
                    }
                }
            }
        }
        out.into_vec()
    }
}
