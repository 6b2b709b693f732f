use super::*;

/// A client the transport did not authenticate supports syncml:auth-md5 ([SEC]
/// §5.3): challenged for MD5, it answers with MD5 credentials, in the session or in
/// the new session it opens instead ([PRO] §9.1 binds only a continued session).
pub struct Md5ClientSupport;

impl Rule for Md5ClientSupport {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/md5-client-support",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "A client that the transport did not authenticate supports syncml:auth-md5 \
                (\"OMA DM clients that do not support client authentication at the transport \
                layer MUST support ... syncml:auth-md5\"): challenged for MD5 (401/407 with a \
                Chal of type syncml:auth-md5), it answers with MD5 credentials. Answering with \
                another scheme, or with nothing, shows it does not.",
            allowed: &[
                "answer with MD5 credentials in the session it was challenged in",
                "end the session and open a new one whose Package #1 carries MD5 credentials",
                "abort the session with Alert 1223 (support is then not shown either way: \
                    inconclusive)",
                "not answer a challenge that came with the server's Session Abort ([PRO] §8.1.2)",
            ],
            conditions: &[Condition::ClientNotTransportAuthenticated],
            capability: None,
            scenarios: &["session/reauth-md5"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let clients = sent(view, role);
        for s in sent(view, other(role)) {
            let Some((_, Some(Scheme::Md5))) = hdr_challenge(s.m) else {
                continue;
            };
            // A challenge that came with the server's Session Abort asks for no answer
            // ([PRO] §8.1.2).
            if crate::rules::aborts(s.m) {
                continue;
            }
            // Judged where the answer is certain to be owed: the challenge to a
            // Package #1 in setup ([PRO] §9), as `ReauthContinues` judges it. A
            // challenge later on may follow another fault (a SessionID the server no
            // longer knows), whose own rule reports it.
            if !answered(view, other(role), &s).is_some_and(|req| req.m.is_session_setup()) {
                continue;
            }
            let Some(next) = clients.iter().find(|c| c.index > s.index) else {
                if matches!(
                    view.transcript.closing,
                    Closing::PeerDone | Closing::IdleTimeout { .. }
                ) {
                    out.push(s.fail(
                        "challenged for MD5, the client sent nothing more: no MD5 credentials \
                         ([SEC] §5.3: a client without transport-layer authentication MUST \
                         support syncml:auth-md5)",
                        s.hdr_excerpt(),
                    ));
                }
                continue;
            };
            match used_scheme(next) {
                Some(Scheme::Md5) => {
                    out.push(next.pass("answered the MD5 challenge with MD5 credentials"))
                }
                // Aborting is any party's right ([PRO] §8.1.1); it shows neither support
                // nor its lack.
                None if crate::rules::aborts(next.m) => out.push(crate::rules::obs(
                    Verdict::Inconclusive,
                    next.index,
                    next.side,
                    "challenged for MD5, the client aborted the session with Alert 1223: MD5 \
                     support was not shown either way",
                    None,
                )),
                other => out.push(next.fail(
                    format!(
                        "challenged for MD5, the client answered with {} ([SEC] §5.3: a client \
                         without transport-layer authentication MUST support syncml:auth-md5)",
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
            name: "MD5 challenge answered with MD5 in the session",
            role: Role::Client,
            allowed: Some("answer with MD5 credentials in the session it was challenged in"),
            verdict: Verdict::Pass,
            build: repeated_to_resp_uri,
        },
        Fixture {
            name: "MD5 challenge answered in a new session with MD5",
            role: Role::Client,
            allowed: Some(
                "end the session and open a new one whose Package #1 carries MD5 credentials",
            ),
            verdict: Verdict::Pass,
            build: new_session_md5,
        },
        Fixture {
            name: "MD5 challenge answered with Alert 1223",
            role: Role::Client,
            allowed: Some(
                "abort the session with Alert 1223 (support is then not shown either way: \
                    inconclusive)",
            ),
            verdict: Verdict::Inconclusive,
            build: challenge_aborted,
        },
        Fixture {
            name: "MD5 challenge with the server's abort, unanswered",
            role: Role::Client,
            allowed: Some(
                "not answer a challenge that came with the server's Session Abort ([PRO] §8.1.2)",
            ),
            verdict: Verdict::NotApplicable,
            build: challenge_with_abort_unanswered,
        },
        Fixture {
            name: "MD5 challenge answered with Basic",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: md5_answered_with_basic,
        },
        Fixture {
            name: "MD5 challenge, a new session with Basic",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: new_session_basic,
        },
        Fixture {
            name: "MD5 challenge, the client says nothing more",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: md5_challenge_ended,
        },
    ];
}
