use super::*;

/// An authentication failure is answered with Status only.
pub struct FailureStatusOnly;

impl Rule for FailureStatusOnly {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/failure-status-only",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1 (first bullet)",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Server,
            summary: "A response that reports an authentication failure (401/407 for the SyncHdr) \
                holds only Status commands ([PRO] §9.1: \"contains only Status commands (i.e. \
                Replace, Get etc. commands MUST NOT be specified in the response)\"): no Results, \
                Alert or other command.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/reauth-md5"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .filter(|s| hdr_challenge(s.m).is_some())
            // "contains only Status commands": a Results is no Status either.
            .map(|s| {
                match s
                    .m
                    .body
                    .commands
                    .iter()
                    .find(|c| !matches!(c, Command::Status(_)))
                {
                    Some(c) => s.fail(
                        format!("the challenge comes with a {} command", c.name()),
                        s.excerpt_of(c),
                    ),
                    None => s.pass("the challenge holds Status only"),
                }
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "a challenge holding only Statuses",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Pass,
            build: refused_401,
        },
        Fixture {
            name: "a challenge that also carries Results",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: refused_with_results,
        },
    ];

    fn refused_with_results() -> Transcript {
        // [PRO] §9.1: the failure response "contains only Status commands"; a Results is
        // none.
        let c = chal(MD5, "Tm9uY2Ux");
        opened(
            Msg::server(1)
                .status_with(1, 0, "SyncHdr", 401, &c)
                .status_with(1, 1, "Alert", 401, &c)
                .results(1, 1, "./DevInfo/Mod", "X1"),
        )
        .done()
    }
}
