use super::*;

/// Every element outside Data content is SyncML's or MetInf's: a foreign
/// namespace where a SyncML element stands makes the message no SyncML document
/// (errata to issue 14, item 7). WBXML cannot carry a namespace outside its code
/// pages, so only XML can break this.
pub struct SyncmlNamespace;

impl Rule for SyncmlNamespace {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/syncml-namespace",
            status: RuleStatus::Testable,
            clause: "[REP] §6; SyncML RepPro DTD ?",
            unconfirmed: Some(
                "the element set and its namespace (SYNCML:SYNCML1.2, MetInf's syncml:metinf) are \
                    declared by the SyncML RepPro DTD and SyncML Meta Information, which are not \
                    among the documents dmct's audit could read; [REP] §6 adds the DM \
                    restrictions to them",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "Every element outside Data content is in SyncML's namespace (or MetInf's, \
                inside Meta): no element of a foreign XML namespace stands where a SyncML element \
                belongs.",
            allowed: &[
                "content of another vocabulary inside Data (a TNDS MgmtTree in syncml:dmddf1.2)",
                "a message that declares no namespace (the DTD fixes it)",
            ],
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
                let found = &m.decoded.foreign;
                let Some(first) = found.first.first() else {
                    return m.pass("every element outside Data is SyncML's or MetInf's");
                };
                let more = match found.count {
                    1 => String::new(),
                    n => format!(" ({} such elements in the message)", n),
                };
                m.fail(
                    format!(
                        "{} is in namespace {:?} where a SyncML element stands{more}",
                        first.path, first.namespace
                    ),
                    m.decoded.excerpt(&first.span),
                )
            })
            .collect()
    }
}
