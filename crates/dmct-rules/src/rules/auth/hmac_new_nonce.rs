use super::*;

/// With HMAC, every answer brings a new nonce.
pub struct HmacNewNonce;

impl Rule for HmacNewNonce {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/hmac-new-nonce",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4.4",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "With HMAC, every answer brings a nonce not given before in the session.",
            allowed: &[],
            conditions: &[],
            capability: Some("hmac"),
            scenarios: &["auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let accepted: Vec<usize> = hmac_accepted(view).iter().map(|(_, s)| s.index).collect();
        let nonces = server_nonces(view);
        let mut out = Vec::new();
        for (k, (s, n)) in nonces.iter().enumerate() {
            if !accepted.contains(&s.index) {
                continue;
            }
            let reused = nonces[..k]
                .iter()
                .any(|(p, pn)| p.session() == s.session() && pn == n);
            out.push(if reused {
                s.fail(
                    format!("NextNonce {n} was given before in this session"),
                    s.hdr_excerpt(),
                )
            } else {
                s.pass("a new nonce for the next HMAC message")
            });
        }
        out
    }
}
