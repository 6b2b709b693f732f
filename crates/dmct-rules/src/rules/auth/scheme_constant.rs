use super::*;

/// The scheme stays the same for the session once the server accepted it.
pub struct SchemeConstant;

impl Rule for SchemeConstant {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/scheme-constant",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Once the server accepted credentials of a scheme, the client keeps to that \
                scheme for the rest of the session ([PRO] §9.1: the type stays the same for the \
                whole session).",
            allowed: &["no more credentials after 212"],
            conditions: &[],
            capability: None,
            scenarios: &["auth/hmac", "auth/accept-200"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut accepted: std::collections::BTreeMap<String, Scheme> = Default::default();
        // Sessions whose credentials the server accepted with 212: no further
        // authentication is needed there (§9.1), so a message without credentials keeps
        // to the type (the catalog's allowed "no more credentials after 212").
        let mut done: std::collections::BTreeSet<String> = Default::default();
        let mut out = Vec::new();
        let clients = sent(view, role);
        for c in clients.iter().copied() {
            let used = used_scheme(&c);
            // A message answering a challenge to a message of another SessionID (the
            // peer changed it: `SessionIdConstant`'s fault) starts that session's
            // authentication over; within one session a re-challenge changes nothing
            // (§9.1 below).
            let challenged_elsewhere = c.index > 0
                && crate::rules::msg_at(view, other(role), c.index - 1)
                    .is_some_and(|s| hdr_challenge(s.m).is_some())
                && crate::rules::msg_at(view, role, c.index - 1)
                    .is_some_and(|p| p.session() != c.session());
            if challenged_elsewhere {
                accepted.remove(c.session());
                done.remove(c.session());
            }
            match (used, accepted.get(c.session())) {
                (Some(u), Some(&a)) => out.push(if u == a {
                    c.pass(format!("still {a}"))
                } else {
                    c.fail(
                        format!("the session was authenticated with {a}; this message uses {u}"),
                        c.hdr_excerpt(),
                    )
                }),
                (None, Some(&a)) if done.contains(c.session()) => out.push(c.pass(format!(
                    "no credentials after {a} was accepted with 212 ([PRO] §9.1: no further \
                        authentication is needed)"
                ))),
                _ => {}
            }
            let Some(s) = crate::rules::msg_at(view, other(role), c.index) else {
                continue;
            };
            // Authentication has occurred when the server accepts credentials (200 or
            // 212 for the SyncHdr). Before that a challenge may switch the scheme
            // (setup); after it, not even a new challenge may: [PRO] §9.1 "Once
            // authentication has occurred, the authentication type ... MUST be kept
            // same for the whole session", with no exception.
            let code = s.m.synchdr_status().and_then(|x| x.code());
            if let (Some(u), Some(200 | 212)) = (used, code) {
                accepted.entry(c.session().to_owned()).or_insert(u);
                if code == Some(212) {
                    done.insert(c.session().to_owned());
                }
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
            name: "no Cred after 212",
            role: Role::Client,
            allowed: Some("no more credentials after 212"),
            verdict: Verdict::Pass,
            build: no_cred_after_212,
        },
        Fixture {
            name: "Basic after MD5 was accepted",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: scheme_switched,
        },
        Fixture {
            name: "Basic refused for MD5 in setup, then MD5",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Pass,
            build: switched_at_setup_challenge,
        },
        Fixture {
            name: "MD5 re-challenged with MD5",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Pass,
            build: rechallenged_same_scheme,
        },
        Fixture {
            name: "MD5 accepted, re-challenged for Basic, Basic sent",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: switched_at_rechallenge,
        },
    ];

    fn scheme_switched() -> Transcript {
        md5_then([Some("syncml:auth-basic"), None])
    }

    /// The client's messages with a Cred of `schemes[k]`, each answered with `answers[k]`
    /// for its SyncHdr (a 401 challenges for the scheme given). A message after a challenge
    /// repeats Package #1; the others carry a Generic Alert.
    fn creds_answered(schemes: [&str; 3], answers: [(u16, &str); 3]) -> Transcript {
        let mut s = Session::new();
        let mut challenged = true;
        for (k, (scheme, (code, asked))) in schemes.iter().zip(answers).enumerate() {
            let id = k as u32 + 1;
            let c = Msg::client(id).loc_name("Bruce2").cred(scheme, "ZGlnZXN0");
            let c = if challenged {
                c.setup("1201")
            } else {
                c.alert("1226")
            };
            let extra = if code == 401 {
                chal(asked, "Tm9uY2Uy")
            } else {
                String::new()
            };
            let alert = if code == 401 { 401 } else { 200 };
            let answer = Msg::server(id)
                .status_with(id, 0, "SyncHdr", code, &extra)
                .status(id, 1, "Alert", alert);
            challenged = code == 401;
            s = s.exchange(c, answer);
        }
        s.done()
    }

    fn switched_at_setup_challenge() -> Transcript {
        // Basic refused with a challenge for MD5 before any authentication occurred.
        creds_answered([BASIC, MD5, MD5], [(401, MD5), (200, ""), (200, "")])
    }

    fn switched_at_rechallenge() -> Transcript {
        // MD5 accepted, then a challenge for Basic: §9.1 keeps the type for the whole
        // session once authentication has occurred, so the switch breaks it.
        creds_answered([MD5, MD5, BASIC], [(200, ""), (401, BASIC), (200, "")])
    }

    fn rechallenged_same_scheme() -> Transcript {
        creds_answered([MD5, MD5, MD5], [(200, ""), (401, MD5), (200, "")])
    }
}
