use super::*;

/// After a server message carrying a Session Abort, the client sends nothing more in
/// that session: [PRO] §8.1.2 "A client receiving Alert 1223 SHOULD NOT respond".
pub struct AbortNoResponse;

impl Rule for AbortNoResponse {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "session/abort-no-response",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.1.2",
            unconfirmed: None,
            level: Level::ShouldNot,
            binds: Binds::Client,
            summary: "A client that receives Alert 1223 (session abort) sends no response: after \
                a server message carrying it, the client sends nothing more in that session \
                ([PRO] §8.1.2: \"A client receiving Alert 1223 SHOULD NOT respond\"; a response \
                \"is ignored\", §8.1.1).",
            allowed: &["send nothing more in the session, and open a new session later"],
            conditions: &[],
            capability: None,
            scenarios: &["session/server-abort"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let clients = crate::rules::sent(view, role);
        let mut out = Vec::new();
        for s in crate::rules::sent(view, other(role))
            .into_iter()
            .filter(|s| aborts(s.m))
        {
            if let Some(c) = clients
                .iter()
                .find(|c| c.index > s.index && c.session() == s.session())
            {
                out.push(c.fail(
                    format!(
                        "the server aborted the session with Alert 1223 (exchange {}), yet the \
                         client responded; [PRO] §8.1.2: \"A client receiving Alert 1223 SHOULD \
                         NOT respond\"",
                        s.index
                    ),
                    c.hdr_excerpt(),
                ));
                continue;
            }
            // Not responding is known once the client went on in another session,
            // finished, or stayed idle past --idle; a harness limit leaves it unknown, and
            // an undecodable request says nothing of its session.
            let quiet = match view.exchanges.get(s.index + 1) {
                Some(e) => e.client_msg().is_some(),
                None => matches!(
                    view.transcript.closing,
                    Closing::PeerDone | Closing::IdleTimeout { .. }
                ),
            };
            if quiet {
                out.push(s.pass(
                    "the server aborted the session with Alert 1223; the client sent \
                    nothing more in it",
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
            name: "the client is silent after the server's abort",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Pass,
            build: server_aborts_client_silent,
        },
        Fixture {
            name: "the client opens a new session after the server's abort",
            role: Role::Client,
            allowed: Some("send nothing more in the session, and open a new session later"),
            verdict: Verdict::Pass,
            build: server_aborts_client_starts_over,
        },
        Fixture {
            name: "the client answers the server's abort",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: server_aborts_client_answers,
        },
    ];

    fn server_aborts_client_starts_over() -> Transcript {
        // Nothing more in the aborted session; a new one later is a new conversation.
        opened(pkg2().alert("1223"))
            .exchange(
                Msg::client(1).session("2").setup("1201"),
                pkg2().session("2"),
            )
            .done()
    }
}
