use super::*;

/// A server refuses a request that carries no credentials (no Cred, no HMAC header)
/// before it has accepted the client for the session (212): 401 or 407, never 200 or
/// 212. [PRO] §9.1 names both codes "the request requires authentication", so either
/// passes; the §9.4.1 example uses 407.
pub struct RefusesMissingCred;

impl Rule for RefusesMissingCred {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/server-refuses-missing-cred",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1, §9.4.1; [SEC] §5.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "A server refuses a request that carries no credentials (no Cred in the \
                SyncHdr, no x-syncml-hmac header) until it has accepted the client for the \
                session with 212: its Status for the SyncHdr is 401 or 407 with a Chal, never 200 \
                or 212.",
            allowed: &[
                "407 (the [PRO] §9.4.1 example: credentials missing)",
                "401 ([PRO] §9.1: either code means the request requires authentication)",
                "no credentials after the server answered 212 earlier in the session (§9.1: no \
                    further authentication is needed)",
            ],
            conditions: &[Condition::ClientNotTransportAuthenticated],
            capability: Some("dm-client-auth"),
            scenarios: &["auth/hmac", "auth/hmac-missing-header"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        // A server "MAY choose not to authenticate" a client its transport already
        // authenticated ([SEC] §5.4.5, §5.3): a verified client certificate leaves
        // nothing to refuse.
        if view.transcript.transport.client.is_some() {
            return Vec::new();
        }
        let servers = sent(view, role);
        let clients = sent(view, other(role));
        // Per session, the first server message accepting (212) a request of it: looked
        // up per request instead of scanning every earlier exchange.
        let mut first_212: std::collections::HashMap<&str, usize> = Default::default();
        for s in &servers {
            if s.m.synchdr_status().and_then(|x| x.code()) == Some(212)
                && let Some(r) = crate::rules::msg_at(view, other(role), s.index)
            {
                first_212.entry(r.session()).or_insert(s.index);
            }
        }
        let mut out = Vec::new();
        for c in &clients {
            if used_scheme(c).is_some() || c.m.hdr.cred.is_some() {
                continue;
            }
            // After 212 no further authentication is needed in the session (§9.1). The
            // session is the one of the request the 212 answers: a server answering
            // with another SessionID fails `SessionIdConstant`, not this rule.
            let accepted = first_212.get(c.session()).is_some_and(|&i| i < c.index);
            let Some(s) = crate::rules::msg_at(view, role, c.index) else {
                continue;
            };
            // The catalog's allowed behaviour: judged, and it conforms whatever the
            // server answered (nothing was left to refuse).
            if accepted {
                out.push(s.pass(
                    "a request without credentials after the server's 212 in this \
                    session ([PRO] §9.1: no further authentication is needed)",
                ));
                continue;
            }
            match s.m.synchdr_status().and_then(|x| x.code()) {
                Some(code @ (401 | 407)) => out.push(s.pass(format!(
                    "a request without \
                    credentials was refused with {code}"
                ))),
                Some(code @ (200 | 212)) => out.push(s.fail(
                    format!(
                        "a request without credentials (no Cred, no x-syncml-hmac) was \
                        accepted with {code}"
                    ),
                    synchdr_index(s.m).and_then(|i| s.cmd_excerpt(i)),
                )),
                _ => {}
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
            name: "Package #1 without Cred refused 407",
            role: Role::Server,
            allowed: Some("407 (the [PRO] §9.4.1 example: credentials missing)"),
            verdict: Verdict::Pass,
            build: refused_407,
        },
        Fixture {
            name: "Package #1 without Cred refused 401",
            role: Role::Server,
            allowed: Some(
                "401 ([PRO] §9.1: either code means the request requires authentication)",
            ),
            verdict: Verdict::Pass,
            build: refused_401,
        },
        Fixture {
            name: "no Cred after 212, answered 200",
            role: Role::Server,
            allowed: Some(
                "no credentials after the server answered 212 earlier in the session (§9.1: no \
                    further authentication is needed)",
            ),
            verdict: Verdict::Pass,
            build: no_cred_after_212,
        },
        Fixture {
            name: "Package #1 without Cred accepted with 212",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: credless_pkg1_accepted,
        },
    ];

    fn refused_407() -> Transcript {
        refused(407, &chal(MD5, "Tm9uY2Ux"))
    }

    fn credless_pkg1_accepted() -> Transcript {
        server_answers()
    }
}
