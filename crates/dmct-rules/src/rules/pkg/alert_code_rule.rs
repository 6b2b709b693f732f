use super::*;

/// Alert Data is an alert code DM 1.2 defines.
pub struct AlertCode;

impl Rule for AlertCode {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "alert/valid-code",
            status: RuleStatus::Testable,
            clause: "[REP] Alert Codes (§7 ?)",
            unconfirmed: Some(
                "the Alert Codes chapter of [REP] is read from a renumbered copy; its own number \
                    (§7) is not confirmed",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "Alert Data is one of the alert codes DM 1.2 defines: 1100-1104, 1200, 1201, \
                1222-1226.",
            allowed: &["any defined code"],
            conditions: &[],
            capability: None,
            scenarios: &[
                "session/get-replace@client",
                "session/every-command",
                "session/large-object",
            ],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Some(a) = c.as_alert() else { continue };
                let code = a.data.as_deref().unwrap_or("").trim();
                if dm_alert(code) {
                    out.push(m.pass(format!("Alert {code} is a DM alert")));
                } else {
                    out.push(m.fail(
                        format!("Alert code {code:?} is not one DM 1.2 defines"),
                        m.cmd_excerpt(i),
                    ));
                }
            }
        }
        out.into_vec()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "client Alerts 1222, 1224, 1226",
            role: Role::Client,
            allowed: Some("any defined code"),
            verdict: Verdict::Pass,
            build: client_alerts_of_dm_codes,
        },
        Fixture {
            name: "an undefined Alert code",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: client_alert_undefined,
        },
    ];

    fn client_alert_undefined() -> Transcript {
        opened_with(Msg::client(1).setup("1201").alert("1299"))
    }
}
