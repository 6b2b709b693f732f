use super::*;

/// A client sends no commands but Alert, Replace (DevInfo, in Package #1), Results
/// and Status.
pub struct ClientCommands;

impl Rule for ClientCommands {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "client/allowed-commands",
            status: RuleStatus::Testable,
            clause: "[PRO] §8 (intro)",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Client,
            summary: "A client sends no commands but Alert, Replace (DevInfo, in Package #1), \
                Results and Status: it does not manage the server.",
            allowed: &[
                "Alerts of any DM code (1222, 1223, 1224, 1226)",
                "Replace of DevInfo when Package #1 is repeated after a challenge",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        // A Package #1 that lacks its Alert is pkg1/alert's failure; its DevInfo
        // Replace is still in Package #1.
        let pkg1: Vec<usize> = package1s(view).iter().map(|m| m.index).collect();
        sent(view, role)
            .iter()
            .map(|m| {
                let bad = m.m.body.commands.iter().position(|c| match c {
                    Command::Alert(_) | Command::Results(_) | Command::Status(_) => false,
                    Command::Replace(_) => !m.m.is_session_setup() && !pkg1.contains(&m.index),
                    _ => true,
                });
                match bad {
                    Some(i) => m.fail(
                        format!("the client sent a {} command", m.m.body.commands[i].name()),
                        m.cmd_excerpt(i),
                    ),
                    None => m.pass("only Alert, Replace of DevInfo, Results and Status"),
                }
            })
            .collect()
    }
}
