use super::*;

/// VerDTD is 1.2 in every message.
pub struct VerDtd;

impl Rule for VerDtd {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/verdtd",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.3-§8.6 item 1; [REP] §6.1.24",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "VerDTD is 1.2 in every message.",
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
            .map(|m| match m.m.hdr.ver_dtd.trim() {
                "1.2" => m.pass("VerDTD 1.2"),
                other => m.fail(format!("VerDTD is {other:?}, not \"1.2\""), m.hdr_excerpt()),
            })
            .collect()
    }
}
