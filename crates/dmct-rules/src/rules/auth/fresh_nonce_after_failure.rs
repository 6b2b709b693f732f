use super::*;

/// After a failed authentication, the new challenge brings a fresh nonce.
pub struct FreshNonceAfterFailure;

impl Rule for FreshNonceAfterFailure {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/fresh-nonce-after-failure",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.3.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "When MD5 or HMAC authentication fails, the server challenges again with a \
                nonce it has not given before (the client may hold a stale one).",
            allowed: &["a new scheme with its own nonce"],
            conditions: &[],
            capability: None,
            scenarios: &["auth/double-challenge"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let nonces = server_nonces(view);
        let mut out = Vec::new();
        for (k, (s, n)) in nonces.iter().enumerate() {
            if hdr_challenge(s.m).is_none() {
                continue;
            }
            let Some((_, prev)) = nonces[..k]
                .iter()
                .rev()
                .find(|(p, _)| p.session() == s.session())
            else {
                continue;
            };
            out.push(if prev == n {
                s.fail(
                    format!("the new challenge repeats the nonce {n}"),
                    s.hdr_excerpt(),
                )
            } else {
                s.pass("the new challenge brings a fresh nonce")
            });
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "a second challenge for HMAC with its own nonce",
            role: Role::Server,
            allowed: Some("a new scheme with its own nonce"),
            verdict: Verdict::Pass,
            build: rechallenged_for_hmac,
        },
        Fixture {
            name: "a second challenge repeating the nonce",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: rechallenged_same_nonce,
        },
    ];

    /// Package #1 challenged for MD5 (nonce 1), repeated with MD5 credentials, and
    /// challenged again for `scheme` with `nonce`.
    fn challenged_twice(scheme: &str, nonce: &str) -> Transcript {
        Session::new()
            .exchange(
                Msg::client(1).setup("1201"),
                Msg::server(1)
                    .status_with(1, 0, "SyncHdr", 401, &chal(MD5, "Tm9uY2Ux"))
                    .status(1, 1, "Alert", 401),
            )
            .exchange(
                Msg::client(2)
                    .loc_name("Bruce2")
                    .cred(MD5, "ZGlnZXN0")
                    .hdr_status(1, 200)
                    .setup("1201"),
                Msg::server(2)
                    .status_with(2, 0, "SyncHdr", 401, &chal(scheme, nonce))
                    .status(2, 2, "Alert", 401),
            )
            .done()
    }

    fn rechallenged_for_hmac() -> Transcript {
        challenged_twice(dmct_proto::auth::Scheme::Hmac.meta_type(), "Tm9uY2Uy")
    }

    fn rechallenged_same_nonce() -> Transcript {
        challenged_twice(MD5, "Tm9uY2Ux")
    }
}
