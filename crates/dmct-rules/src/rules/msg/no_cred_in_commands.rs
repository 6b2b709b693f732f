use super::*;

/// Cred only in the SyncHdr.
pub struct NoCredInCommands;

impl Rule for NoCredInCommands {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/no-cred-in-commands",
            status: RuleStatus::Testable,
            clause: "[REP] §6.1.6, §6.6",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Both,
            summary: "Cred appears only in the SyncHdr, never inside a command.",
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
                for c in flatten(m.m) {
                    let has = match c {
                        dmct_proto::Command::Add(x)
                        | dmct_proto::Command::Copy(x)
                        | dmct_proto::Command::Delete(x)
                        | dmct_proto::Command::Exec(x)
                        | dmct_proto::Command::Get(x)
                        | dmct_proto::Command::Replace(x) => x.extras.cred.is_some(),
                        dmct_proto::Command::Alert(a) => a.cred.is_some(),
                        dmct_proto::Command::Status(s) => s.cred.is_some(),
                        _ => false,
                    };
                    if has {
                        return m.fail(
                            format!(
                                "{} carries a Cred; Cred belongs in the SyncHdr only",
                                c.name()
                            ),
                            m.excerpt_of(c),
                        );
                    }
                }
                m.pass("no Cred outside the SyncHdr")
            })
            .collect()
    }
}
