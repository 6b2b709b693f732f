use super::*;

/// Package #1 carries Alert 1200 or 1201.
pub struct Pkg1Alert;

impl Rule for Pkg1Alert {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "pkg1/alert",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.3 items 2 and 4",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Package #1 carries an Alert: 1200 when the session answers a Package 0, \
                1201 when the client starts it.",
            allowed: &["either code, with other client Alerts (1224, 1226) beside it"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/package0"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        package1s(view)
            .iter()
            .map(|m| {
                if m.m.is_session_setup() {
                    m.pass("Package #1 carries Alert 1200 or 1201")
                } else {
                    m.fail(
                        "Package #1 (MsgID 1) carries no Alert 1200 or 1201",
                        m.hdr_excerpt(),
                    )
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
            name: "other client Alerts beside Alert 1201",
            role: Role::Client,
            allowed: Some("either code, with other client Alerts (1224, 1226) beside it"),
            verdict: Verdict::Pass,
            build: pkg1_with_client_alerts,
        },
        Fixture {
            name: "Package #1 without Alert 1200/1201",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: pkg1_without_alert,
        },
    ];

    fn pkg1_with_client_alerts() -> Transcript {
        opened_with(Msg::client(1).setup("1201").alert("1224").alert("1226"))
    }

    fn pkg1_without_alert() -> Transcript {
        opened_with(
            Msg::client(1).cmd("Replace", &item("Source", "./DevInfo/Mod", "", "X1", false)),
        )
    }
}
