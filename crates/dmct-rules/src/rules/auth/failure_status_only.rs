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
