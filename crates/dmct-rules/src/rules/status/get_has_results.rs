use super::*;

/// A Get carried out (Status 200) is followed by its Results.
pub struct GetHasResults;

impl Rule for GetHasResults {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "results/for-every-get",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.5 item 4; [REP] §6.6.7, §6.6.12",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "A Get the client carried out (Status 200) is followed by its Results in the \
                same package.",
            allowed: &["Results in a later message of the same package"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for p in sent(view, other(role)) {
            let last = crate::rules::session_index(view, role, p.session())
                .and_then(|s| s.msgs.last())
                .and_then(|&i| crate::rules::msg_at(view, role, i));
            let answers = Answers::new(view, role, &p);
            for c in flatten(p.m) {
                let Command::Get(g) = c else { continue };
                if answers.get_status_code(g) != Some(200) {
                    continue;
                }
                if let Some(why) = ambiguous(&p, c) {
                    out.push(unresolved(&p, why));
                    continue;
                }
                // Lenient: a Results without MsgRef anywhere in the session counts, so
                // a missing one is never claimed by mistake.
                match (answers.results_for(g, |_| true), last) {
                    (Some(_), _) => out.push(p.pass("the Get was answered with Results")),
                    (None, Some(l)) => out.push(l.fail(
                        format!("Get {} was answered 200 but no Results came", g.cmd_id),
                        p.excerpt_of(c),
                    )),
                    (None, None) => {}
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
            name: "Results in the second message of Package #3",
            role: Role::Client,
            allowed: Some("Results in a later message of the same package"),
            verdict: Verdict::Pass,
            build: results_in_later_message,
        },
        Fixture {
            name: "a successful Get without Results",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: get_without_results,
        },
    ];

    fn get_without_results() -> Transcript {
        get_answered(200, false, None)
    }

    fn results_in_later_message() -> Transcript {
        next_message_1222()
    }
}
