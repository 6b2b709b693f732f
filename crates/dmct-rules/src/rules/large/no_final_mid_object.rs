use super::*;

/// A message that ends with a chunk (MoreData) does not carry Final.
pub struct NoFinalMidObject;

impl Rule for NoFinalMidObject {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "lrgobj/no-final-mid-object",
            status: RuleStatus::Testable,
            clause: "[PRO] §6.1, §6.2, §7",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Both,
            summary: "A message that ends in the middle of an object (its last Item has MoreData) \
                does not carry Final.",
            allowed: &[],
            conditions: &[],
            capability: Some("large-objects"),
            scenarios: &["session/large-object"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .filter(|m| {
                objects(m.m)
                    .last()
                    .is_some_and(|(_, _, it, _)| it.extras.more_data)
            })
            .map(|m| {
                if m.m.body.final_ {
                    m.fail(
                        "a message ending with a chunk (MoreData) carries Final",
                        m.hdr_excerpt(),
                    )
                } else {
                    m.pass("no Final in the middle of an object")
                }
            })
            .collect()
    }
}
