use super::*;

/// §9: after a Package #2 with no (or invalid) server credentials and no commands, the
/// client must not send back only a Status for the SyncHdr carrying a challenge.
pub struct NoSynchdrOnlyChallenge;

impl Rule for NoSynchdrOnlyChallenge {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/no-synchdr-only-challenge",
            status: RuleStatus::Testable,
            clause: "[PRO] §9 (intro)",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Client,
            summary: "When the server's Package #2 carried no or invalid credentials and no \
                commands (only Status for SyncHdr and DevInfo), the client must not answer with a \
                package holding only a Status for the SyncHdr with a challenge.",
            allowed: &[
                "send nothing more: the session ends",
                "send a package that carries operations (for instance a Generic Alert) along with \
                    its Status and challenge",
                "accept credentials the server did send (Status 212 or 200) and end the session",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["auth/credless-pkg2"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let (Some(client), Some(pkg2)) = (e.client_msg(), e.server_msg()) else {
                continue;
            };
            // Package #2: the answer to a Package #1, without commands or challenge.
            if !client.is_session_setup()
                || pkg2.operations().next().is_some()
                || pkg2.challenge().is_some()
            {
                continue;
            }
            let Some(next) = view.next_in_session(e.index) else {
                out.push(obs(
                    Verdict::Pass,
                    e.index,
                    Side::Response,
                    "Package #2 had no commands; the client sent nothing more",
                    None,
                ));
                continue;
            };
            let Some(reply) = next.client_msg() else {
                continue;
            };
            let rejected = reply
                .synchdr_status()
                .and_then(|s| s.code())
                .is_some_and(|c| c == 401 || c == 407);
            let no_or_invalid_cred = pkg2.hdr.cred.is_none() || rejected;
            if no_or_invalid_cred && is_synchdr_only_challenge(reply) {
                let excerpt = next
                    .request
                    .as_ref()
                    .ok()
                    .and_then(|d| crate::rules::Excerpt::command(d, next.index, Side::Request, 0))
                    .map(clip);
                let why = if pkg2.hdr.cred.is_none() {
                    "carried no server credentials"
                } else {
                    "carried credentials the client refused"
                };
                out.push(obs(
                    Verdict::Fail,
                    next.index,
                    Side::Request,
                    format!(
                        "Package #2 (exchange {}) {why} and no commands; the client answered \
                         with only a Status for the SyncHdr carrying a Chal",
                        e.index
                    ),
                    excerpt,
                ));
            } else {
                out.push(obs(
                    Verdict::Pass,
                    next.index,
                    Side::Request,
                    "the client's answer to the command-less Package #2 is not a \
                     SyncHdr-only challenge",
                    None,
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
            name: "nothing more after a command-less Package #2",
            role: Role::Client,
            allowed: Some("send nothing more: the session ends"),
            verdict: Verdict::Pass,
            build: server_answers,
        },
        Fixture {
            name: "a challenge with a Generic Alert",
            role: Role::Client,
            allowed: Some(
                "send a package that carries operations (for instance a Generic Alert) along with \
                    its Status and challenge",
            ),
            verdict: Verdict::Pass,
            build: challenge_with_generic_alert,
        },
        Fixture {
            name: "server credentials accepted, the session ends",
            role: Role::Client,
            allowed: Some(
                "accept credentials the server did send (Status 212 or 200) and end the session",
            ),
            verdict: Verdict::Pass,
            build: server_cred_accepted_and_ended,
        },
        Fixture {
            name: "a SyncHdr-only challenge",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: synchdr_only_challenge,
        },
    ];

    /// A Package #2 without commands or challenge (and without server Cred), then the
    /// client's `reply`.
    fn after_credless_pkg2(reply: Msg) -> Transcript {
        opened(pkg2())
            .exchange(reply, Msg::server(2).hdr_status(2, 200))
            .done()
    }

    fn challenge_with_generic_alert() -> Transcript {
        after_credless_pkg2(
            Msg::client(2)
                .status_with(1, 0, "SyncHdr", 401, &chal(MD5, "Tm9uY2Ux"))
                .alert("1226"),
        )
    }

    fn synchdr_only_challenge() -> Transcript {
        after_credless_pkg2(Msg::client(2).status_with(
            1,
            0,
            "SyncHdr",
            401,
            &chal(MD5, "Tm9uY2Ux"),
        ))
    }

    fn server_cred_accepted_and_ended() -> Transcript {
        opened(pkg2().cred(MD5, "c2VydmVyLWRpZ2VzdA==")).done()
    }
}
