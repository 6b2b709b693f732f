use super::*;

/// The Package #1 answering a Package 0 carries Alert 1200.
pub struct Pkg0Alert;

impl Rule for Pkg0Alert {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "pkg0/alert-1200",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.3 items 1-2; [NOT] §5",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "A session that answers a Package 0 (server-initiated) opens with Alert 1200.",
            allowed: &["other client Alerts beside 1200"],
            conditions: &[Condition::Package0Delivered],
            capability: None,
            scenarios: &["session/package0"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let Some(_) = notification(view) else {
            return Vec::new();
        };
        let Some(m) = package1s(view).into_iter().next() else {
            return Vec::new();
        };
        let codes: Vec<&str> = m.m.alert_codes().collect();
        if codes.contains(&alert_code::SERVER_INITIATED_MGMT) {
            vec![m.pass("the session answering Package 0 opens with Alert 1200")]
        } else {
            let i =
                m.m.body
                    .commands
                    .iter()
                    .position(|c| c.as_alert().is_some());
            vec![m.fail(
                format!("the session answering Package 0 opens with Alert {codes:?}, not 1200"),
                i.and_then(|i| m.cmd_excerpt(i)),
            )]
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "a Generic Alert beside Alert 1200",
            role: Role::Client,
            allowed: Some("other client Alerts beside 1200"),
            verdict: Verdict::Pass,
            build: pkg0_with_generic_alert,
        },
        Fixture {
            name: "a Package 0 answered with Alert 1201",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: pkg0_answered_1201,
        },
    ];

    fn pkg0_with_generic_alert() -> Transcript {
        pkg0_answered_by(
            "1A2",
            Msg::client(1).session("1A2").setup("1200").alert("1226"),
        )
    }

    fn pkg0_answered_1201() -> Transcript {
        pkg0_answered_by("1A2", Msg::client(1).session("1A2").setup("1201"))
    }
}
