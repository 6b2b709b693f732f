use super::*;

/// When the client challenges the server, the server answers in the scheme asked
/// for, or ends the session: [SEC] §5.4.1, the recipient of a challenge answers
/// with the requested type or the session is terminated.
pub struct ServerAnswersScheme;

impl Rule for ServerAnswersScheme {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/server-answers-scheme",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4.1; [PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "When the client challenges the server (401/407 with a Chal for the server's \
                SyncHdr), the server's next message carries credentials of the scheme asked for.",
            allowed: &["end the session instead"],
            conditions: &[],
            capability: None,
            scenarios: &["auth/client-challenges-server"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for s in sent(view, role) {
            let Some(req) = answered(view, role, &s) else {
                continue;
            };
            let Some((_, Some(asked))) = hdr_challenge(req.m) else {
                continue;
            };
            match used_scheme(&s) {
                Some(x) if x == asked => out.push(s.pass(format!(
                    "answered the client's {asked} \
                    challenge with {asked}"
                ))),
                _ if ends_session(s.m) => out.push(s.pass(format!(
                    "the client asked the server for {asked}; the server ended the session \
                        instead ([SEC] §5.4.1)"
                ))),
                other => out.push(s.fail(
                    format!(
                        "the client asked the server for {asked}; it answered with {}",
                        other.map_or("no credentials".to_owned(), |s| s.to_string())
                    ),
                    s.hdr_excerpt(),
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
            name: "the server answers the MD5 challenge with MD5",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Pass,
            build: server_answers_md5,
        },
        Fixture {
            name: "the server ends the session with a package of Status only",
            role: Role::Server,
            allowed: Some("end the session instead"),
            verdict: Verdict::Pass,
            build: server_ends_session,
        },
        Fixture {
            name: "the server ends the session with Alert 1223",
            role: Role::Server,
            allowed: Some("end the session instead"),
            verdict: Verdict::Pass,
            build: server_aborts_session,
        },
        Fixture {
            name: "the server goes on without credentials",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: server_ignores_challenge,
        },
    ];

    /// The client refuses the server's Package #2 (no server Cred) with an MD5 challenge;
    /// `answer` is the server's next message.
    fn client_challenges_server(answer: Msg) -> Transcript {
        opened(pkg2().get("./DevInfo/Mod"))
            .exchange(
                Msg::client(2)
                    .status_with(1, 0, "SyncHdr", 401, &chal(MD5, "Tm9uY2Ux"))
                    .status(1, 3, "Get", 401),
                answer,
            )
            .done()
    }

    fn server_answers_md5() -> Transcript {
        client_challenges_server(
            Msg::server(2)
                .cred(MD5, "c2VydmVyLWRpZ2VzdA==")
                .hdr_status(2, 200)
                .get("./DevInfo/Mod"),
        )
    }

    fn server_ends_session() -> Transcript {
        client_challenges_server(Msg::server(2).hdr_status(2, 200))
    }

    fn server_aborts_session() -> Transcript {
        client_challenges_server(Msg::server(2).hdr_status(2, 200).alert("1223"))
    }

    fn server_ignores_challenge() -> Transcript {
        client_challenges_server(Msg::server(2).hdr_status(2, 200).get("./DevInfo/Mod"))
    }
}
