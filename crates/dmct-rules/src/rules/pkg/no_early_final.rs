use super::*;

/// A client does not close its package while the server's goes on.
pub struct NoEarlyFinal;

impl Rule for NoEarlyFinal {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "multimsg/no-early-final",
            status: RuleStatus::Testable,
            clause: "[PRO] §6.2",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Client,
            summary: "While the server's package goes on (its message has no Final and is not a \
                Next Message response), the client does not close its own package with Final.",
            allowed: &["ask for the next message with Alert 1222, with Status for what it got"],
            conditions: &[],
            capability: None,
            scenarios: &["session/large-object"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            let Some(s) = answered(view, role, &m) else {
                continue;
            };
            if s.m.body.final_ || asks_next(s.m) {
                continue;
            }
            if m.m.body.final_ {
                out.push(m.fail(
                    "the server's package had not ended (no Final), yet the client closed its own \
                        with Final",
                    m.hdr_excerpt(),
                ));
            } else {
                out.push(m.pass("no Final while the server's package goes on"));
            }
        }
        out
    }
}
