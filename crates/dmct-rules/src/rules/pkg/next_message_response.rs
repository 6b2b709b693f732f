use super::*;

/// While the client's package goes on (a message without Final that asks for
/// nothing), the server answers with a Next Message response: Status, Alert 1222
/// (or 1223 to abort), no other command, no Final.
pub struct NextMessageResponse;

impl Rule for NextMessageResponse {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "multimsg/next-message-response",
            status: RuleStatus::Testable,
            clause: "[PRO] §6.2, §6.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "While the client's package goes on (its message has no Final and asks for \
                nothing), the server answers with a Next Message response: Status for the SyncHdr \
                (and the client's commands), Alert 1222, no other command, no Final.",
            allowed: &[
                "Alert 1223 instead of 1222 to abort the session",
                "Results in place of the Alert 1222 ([PRO] §6.2: the Alert MAY be omitted when \
                    Results are sent)",
            ],
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
            let Some(req) = answered(view, role, &m) else {
                continue;
            };
            if req.m.body.final_ || asks_next(req.m) {
                continue;
            }
            match not_next_message(m.m) {
                None => out.push(m.pass(
                    "a Next Message response while the client's package goes \
                    on",
                )),
                Some(why) => out.push(m.fail(
                    format!(
                        "the client's package had not ended (no Final), yet the answer is not \
                        a Next Message response: {why}"
                    ),
                    m.hdr_excerpt(),
                )),
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
            name: "Next Message response with Alert 1222",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Pass,
            build: next_message_1222,
        },
        Fixture {
            name: "Alert 1223 between messages of the client's package",
            role: Role::Server,
            allowed: Some("Alert 1223 instead of 1222 to abort the session"),
            verdict: Verdict::Pass,
            build: next_message_1223,
        },
        Fixture {
            name: "Results in place of Alert 1222",
            role: Role::Server,
            allowed: Some(
                "Results in place of the Alert 1222 ([PRO] §6.2: the Alert MAY be omitted when \
                    Results are sent)",
            ),
            verdict: Verdict::Pass,
            build: next_message_results,
        },
        Fixture {
            name: "a new command between messages of the client's package",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: next_message_new_command,
        },
    ];

    fn next_message_1223() -> Transcript {
        // [PRO] §8.1.2: the abort carries Final.
        multi_message(Msg::server(2).hdr_status(2, 200).alert("1223"), false)
    }

    fn next_message_results() -> Transcript {
        multi_message(
            Msg::server(2)
                .hdr_status(2, 200)
                .results(2, 2, "./Ext/Answer", "ok")
                .more(),
            true,
        )
    }

    fn next_message_new_command() -> Transcript {
        multi_message(Msg::server(2).hdr_status(2, 200).get("./DevInfo/Man"), true)
    }
}
