use super::*;

/// Status codes are three-digit numbers from 100 to 599.
pub struct CodeValid;

impl Rule for CodeValid {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/code-valid",
            status: RuleStatus::Testable,
            clause: "[REP] §6.6; SyncML RepPro status codes ?",
            unconfirmed: Some(
                "[REP] §6.6 requires a valid status code \"as defined in [REPPRO]\"; the code \
                    table is in SyncML RepPro, which is not among the DM 1.2.1 documents dmct's \
                    audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "A Status's Data is a three-digit status code from 100 to 599.",
            allowed: &[],
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
                let bad = m.m.body.commands.iter().position(|c| match c {
                    Command::Status(s) => {
                        let d = s.data.trim();
                        !(d.len() == 3 && s.code().is_some_and(|n| (100..600).contains(&n)))
                    }
                    _ => false,
                });
                match bad {
                    Some(i) => m.fail("a Status whose Data is not a status code", m.cmd_excerpt(i)),
                    None => m.pass("every Status code is well formed"),
                }
            })
            .collect()
    }
}
