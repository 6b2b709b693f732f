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
        // A Package #1 that lacks its Alert is `Pkg1Alert`'s failure; its DevInfo
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

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "client Alerts 1222, 1224, 1226 in Package #3",
            role: Role::Client,
            allowed: Some("Alerts of any DM code (1222, 1223, 1224, 1226)"),
            verdict: Verdict::Pass,
            build: client_alerts_of_dm_codes,
        },
        Fixture {
            name: "Package #1 repeated after a challenge",
            role: Role::Client,
            allowed: Some("Replace of DevInfo when Package #1 is repeated after a challenge"),
            verdict: Verdict::Pass,
            build: repeated_pkg1,
        },
        Fixture {
            name: "a client Get",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: client_sends_get,
        },
    ];

    fn client_sends_get() -> Transcript {
        opened_with(Msg::client(1).setup("1201").get("./Server/Info"))
    }

    /// Package #1 refused with a Basic challenge, then repeated with Basic credentials.
    fn repeated_pkg1() -> Transcript {
        let basic = "syncml:auth-basic";
        let chal = format!(
            "<Chal>{}</Chal>",
            meta(&[("Type", basic), ("Format", "b64")])
        );
        Session::new()
            .exchange(
                Msg::client(1).setup("1201"),
                Msg::server(1)
                    .status_with(1, 0, "SyncHdr", 401, &chal)
                    .status(1, 1, "Alert", 401)
                    .status(1, 2, "Replace", 401),
            )
            .exchange(
                Msg::client(2)
                    .cred(basic, "QnJ1Y2UxOk9oQmVoYXZl")
                    .hdr_status(1, 200)
                    .setup("1201"),
                Msg::server(2).hdr_status(2, 212).status(2, 2, "Alert", 200),
            )
            .done()
    }
}
