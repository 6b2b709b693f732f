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
