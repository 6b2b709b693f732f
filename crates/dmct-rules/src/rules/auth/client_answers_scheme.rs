use super::*;

/// After the server's challenge, the client answers in the scheme asked for (or
/// ends the session).
pub struct ClientAnswersScheme;

impl Rule for ClientAnswersScheme {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/client-answers-scheme",
            status: RuleStatus::Testable,
            clause: "[PRO] §9 (intro), §9.2; [SEC] §5.3, §5.4.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "After the server's challenge for a scheme, the client's next message \
                authenticates with that scheme, or the session ends.",
            allowed: &[
                "end the session instead ([SEC] §5.4.1: answer with the requested type or the \
                    session is terminated); whether MD5 had to be answered is judged by \
                    session/reauth-continues",
                "abort the session with Alert 1223 instead of answering ([PRO] §8.1.1; [SEC] \
                    §5.4.1: or the session is terminated)",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/reauth-md5", "auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let clients = sent(view, role);
        for s in sent(view, other(role)) {
            let Some((_, Some(asked))) = hdr_challenge(s.m) else {
                continue;
            };
            let Some(next) = clients
                .iter()
                .find(|c| c.index > s.index && c.session() == s.session())
            else {
                // Nothing more in this session: it was terminated, which [SEC] §5.4.1
                // allows ("or the session MUST be terminated"). A harness limit leaves
                // it unknown whether the client would have answered.
                if matches!(
                    view.transcript.closing,
                    Closing::PeerDone | Closing::IdleTimeout { .. }
                ) {
                    out.push(s.pass(format!(
                        "challenged for {asked}; the client sent nothing more \
                        in this session (terminated, [SEC] §5.4.1)"
                    )));
                }
                continue;
            };
            match used_scheme(next) {
                Some(x) if x == asked => out.push(next.pass(format!(
                    "answered the {asked} \
                    challenge with {asked}"
                ))),
                // A Session Abort terminates the session ([PRO] §8.1.1: either side may
                // abort at any time); it needs no credentials.
                None if crate::rules::aborts(next.m) => out.push(next.pass(format!(
                    "challenged for {asked}; the client aborted the session with Alert 1223 \
                        ([PRO] §8.1.1, [SEC] §5.4.1)"
                ))),
                other => out.push(next.fail(
                    format!(
                        "the server asked for {asked}; the client answered with {}",
                        other.map_or("no credentials".to_owned(), |s| s.to_string())
                    ),
                    next.hdr_excerpt(),
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
            name: "MD5 challenge answered with MD5",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Pass,
            build: repeated_to_resp_uri,
        },
        Fixture {
            name: "MD5 challenge answered with Basic (both rules fail)",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: md5_answered_with_basic,
        },
        Fixture {
            name: "Basic challenge, the client ends the session",
            role: Role::Client,
            allowed: Some(
                "end the session instead ([SEC] §5.4.1: answer with the requested type or the \
                    session is terminated); whether MD5 had to be answered is judged by \
                    session/reauth-continues",
            ),
            verdict: Verdict::Pass,
            build: basic_challenge_ended,
        },
        Fixture {
            name: "MD5 challenge, the client ends the session",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Pass,
            build: md5_challenge_ended,
        },
        Fixture {
            name: "challenge answered with Alert 1223",
            role: Role::Client,
            allowed: Some(
                "abort the session with Alert 1223 instead of answering ([PRO] §8.1.1; [SEC] \
                    §5.4.1: or the session is terminated)",
            ),
            verdict: Verdict::Pass,
            build: challenge_aborted,
        },
    ];
}
