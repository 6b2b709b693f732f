use super::*;

/// Once HMAC is in use, every later message of the client carries it.
pub struct HmacEveryMessage;

impl Rule for HmacEveryMessage {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/hmac-every-message",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4 (intro), §5.4.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Once HMAC is in use in a session, every later message of the client carries \
                the x-syncml-hmac header.",
            allowed: &[],
            conditions: &[],
            capability: Some("hmac"),
            scenarios: &["auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        // Per session, the first accepted HMAC request.
        let mut accepted: std::collections::HashMap<&str, usize> = Default::default();
        for (a, _) in hmac_accepted(view) {
            accepted.entry(a.session()).or_insert(a.index);
        }
        let mut out = Vec::new();
        for c in sent(view, role) {
            let started = accepted.get(c.session()).is_some_and(|&i| i < c.index);
            if !started {
                continue;
            }
            out.push(if c.headers.get(HMAC_HEADER).is_some() {
                c.pass("x-syncml-hmac present")
            } else {
                c.fail(
                    "HMAC is in use in this session, but this message has no x-syncml-hmac header",
                    c.hdr_excerpt(),
                )
            });
        }
        out
    }
}
