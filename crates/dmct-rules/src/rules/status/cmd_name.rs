use super::*;

/// A Status's Cmd names the command it answers.
pub struct CmdName;

impl Rule for CmdName {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/cmd-name",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?; [REP] §6.1.3",
            unconfirmed: Some(
                "the normative wording is in SyncML RepPro, which is not among the DM 1.2.1 \
                    documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "A Status's Cmd names the command it answers.",
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
                let c = match referenced(view, role, &m, &s.msg_ref, &s.cmd_ref) {
                    Some(Ok(Some(c))) => c,
                    Some(Err(why)) => {
                        out.push(unresolved(&m, why));
                        continue;
                    }
                    _ => continue,
                };
                if s.cmd.trim() == c.name() {
                    out.push(m.pass("Cmd names the command answered"));
                } else {
                    let i =
                        m.m.body
                            .commands
                            .iter()
                            .position(|x| matches!(x, Command::Status(y) if std::ptr::eq(&**y, s)));
                    out.push(m.fail(
                        format!("Status says Cmd {:?} for a {} command", s.cmd, c.name()),
                        i.and_then(|i| m.cmd_excerpt(i)),
                    ));
                }
            }
        }
        out.into_vec()
    }
}
