use super::*;

/// A Get answered with a failure code gets no Results: a Status 404 with the values
/// of the nodes that were found contradicts itself.
pub struct ResultsOnlyForSuccess;

impl Rule for ResultsOnlyForSuccess {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "results/only-for-successful-get",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.5 item 4",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Client,
            summary: "Results are returned for successful Get operations (\"Results MUST be \
                returned in the SyncBody for successful Get operations\"): a Get whose Status is \
                a failure code (404 when a node it names is missing) gets no Results, not even \
                for the nodes that were found.",
            allowed: &[
                "one Status for the whole Get with a failure code and no Results",
                "a successful Get (2xx) answered with Results",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["results/get-missing-node"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for p in sent(view, other(role)) {
            let answers = Answers::new(view, role, &p);
            for c in flatten(p.m) {
                let Command::Get(g) = c else { continue };
                let Some(code) = answers.get_status_code(g) else {
                    continue;
                };
                // The catalog's allowed "a successful Get (2xx) answered with Results":
                // the rule forbids Results only for a failed Get.
                if (200..300).contains(&code) {
                    out.push(p.pass(format!(
                        "Get {} succeeded ({code}); Results may follow",
                        g.cmd_id.trim()
                    )));
                    continue;
                }
                if let Some(why) = ambiguous(&p, c) {
                    out.push(unresolved(&p, why));
                    continue;
                }
                // Strict: a Results without MsgRef is this Get's only when its message
                // answers `p`, so another Get with the same CmdID is never blamed.
                let answers_p =
                    |m: &Msg| answered(view, role, m).is_some_and(|a| a.index == p.index);
                match answers.results_for(g, answers_p) {
                    Some((m, i)) => out.push(m.fail(
                        format!(
                            "Get {} was answered {code}, yet Results for it came",
                            g.cmd_id
                        ),
                        m.cmd_excerpt(i),
                    )),
                    None => {
                        out.push(p.pass(format!("the Get that failed ({code}) got no Results")))
                    }
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
            name: "a Get refused 404 without Results",
            role: Role::Client,
            allowed: Some("one Status for the whole Get with a failure code and no Results"),
            verdict: Verdict::Pass,
            build: get_refused_without_results,
        },
        Fixture {
            name: "a Get answered 200 and Results",
            role: Role::Client,
            allowed: Some("a successful Get (2xx) answered with Results"),
            verdict: Verdict::Pass,
            build: get_with_results,
        },
        Fixture {
            name: "Results for a Get refused 404",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: get_refused_with_results,
        },
    ];

    fn get_refused_without_results() -> Transcript {
        get_answered(404, false, None)
    }

    fn get_refused_with_results() -> Transcript {
        get_answered(404, true, None)
    }
}
