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

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Alert 1222 without Final while a large object comes",
            role: Role::Client,
            allowed: Some("ask for the next message with Alert 1222, with Status for what it got"),
            verdict: Verdict::Pass,
            build: size_in_item,
        },
        Fixture {
            name: "Final while the server's package goes on",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: early_final,
        },
    ];

    fn early_final() -> Transcript {
        // The server's package goes on (no Final, no Alert 1222), yet the client closes.
        opened(pkg2().get("./DevInfo/Mod").more())
            .exchange(
                Msg::client(2).hdr_status(1, 200).status(1, 3, "Get", 200),
                Msg::server(2).hdr_status(2, 200),
            )
            .done()
    }
}
