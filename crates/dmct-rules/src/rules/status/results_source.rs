use super::*;

/// Each Item of Results names its node by Source LocURI.
pub struct ResultsSource;

impl Rule for ResultsSource {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "results/source-locuri",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.5 item 4",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Each Item of Results names its node by Source LocURI.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Command::Results(r) = c else { continue };
                if r.items.iter().all(|it| {
                    it.source
                        .as_ref()
                        .is_some_and(|s| !s.loc_uri.trim().is_empty())
                }) {
                    out.push(m.pass("every Results Item has a Source LocURI"));
                } else {
                    out.push(m.fail("a Results Item has no Source LocURI", m.cmd_excerpt(i)));
                }
            }
        }
        out.into_vec()
    }
}
