use super::*;

/// No Status answers a Status.
pub struct NotForStatus;

impl Rule for NotForStatus {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/not-for-status",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?",
            unconfirmed: Some(
                "not stated in the DM texts; the rule rests on SyncML RepPro, which is not among \
                    the DM 1.2.1 documents dmct's audit could read",
            ),
            level: Level::MustNot,
            binds: Binds::Both,
            summary: "No Status answers a Status.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .map(|m| {
                match m
                    .m
                    .body
                    .commands
                    .iter()
                    .position(|c| matches!(c, Command::Status(s) if s.cmd.trim() == "Status"))
                {
                    Some(i) => m.fail("a Status answers a Status", m.cmd_excerpt(i)),
                    None => m.pass("no Status answers a Status"),
                }
            })
            .collect()
    }
}
