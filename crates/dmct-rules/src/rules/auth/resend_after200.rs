use super::*;

/// Credentials answered 200 (not 212) are sent again in the next message.
pub struct ResendAfter200;

impl Rule for ResendAfter200 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/resend-cred-after-200",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "When the server answers a message carrying Cred with Status 200 rather than \
                212, the client sends the same credentials in its next message.",
            allowed: &["send them in every later message"],
            conditions: &[],
            capability: None,
            scenarios: &["auth/accept-200"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let clients = sent(view, role);
        for c in &clients {
            if c.m.hdr.cred.is_none() || used_scheme(c) == Some(Scheme::Hmac) {
                continue;
            }
            let Some(s) = crate::rules::msg_at(view, other(role), c.index) else {
                continue;
            };
            if s.m.synchdr_status().and_then(|x| x.code()) != Some(200) {
                continue;
            }
            let Some(next) =
                crate::rules::session_from(view, role, c.session(), c.index + 1).next()
            else {
                continue;
            };
            if next.m.hdr.cred.is_some() {
                out.push(next.pass("Cred sent again after a 200"));
            } else {
                out.push(next.fail(
                    "the server answered the Cred with 200, not 212; the next \
                    message must carry it again",
                    next.hdr_excerpt(),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "MD5 Cred in every message after 200",
            role: Role::Client,
            allowed: Some("send them in every later message"),
            verdict: Verdict::Pass,
            build: cred_in_every_message,
        },
        Fixture {
            name: "Cred dropped after 200",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: cred_dropped_after_200,
        },
    ];

    fn cred_in_every_message() -> Transcript {
        md5_then([Some(MD5), Some(MD5)])
    }

    fn cred_dropped_after_200() -> Transcript {
        md5_then([None, None])
    }
}
