use super::*;

/// Target and Source LocURI in every SyncHdr.
pub struct SourceTarget;

impl Rule for SourceTarget {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/source-target",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.3-§8.6 item 1; [REP] §6.2.2",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "Every SyncHdr carries a Target and a Source with a LocURI.",
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
                let h = &m.m.hdr;
                if h.target.loc_uri.trim().is_empty() || h.source.loc_uri.trim().is_empty() {
                    m.fail(
                        "the SyncHdr lacks a Target or Source LocURI",
                        m.hdr_excerpt(),
                    )
                } else {
                    m.pass("Target and Source LocURI present")
                }
            })
            .collect()
    }
}
