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
