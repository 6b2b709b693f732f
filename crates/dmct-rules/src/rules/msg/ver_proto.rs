use super::*;

/// VerProto is DM/1.2 in every message.
pub struct VerProto;

impl Rule for VerProto {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/verproto",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.3-§8.6 item 1; [REP] §6.1.25",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "VerProto is DM/1.2 in every message.",
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
            .map(|m| match m.m.hdr.ver_proto.trim() {
                "DM/1.2" => m.pass("VerProto DM/1.2"),
                other => m.fail(
                    format!("VerProto is {other:?}, not \"DM/1.2\""),
                    m.hdr_excerpt(),
                ),
            })
            .collect()
    }
}
