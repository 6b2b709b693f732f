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
            // peer changed it: msg/sessionid-constant's fault) starts that session's
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
