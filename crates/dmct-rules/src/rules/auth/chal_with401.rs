use super::*;

/// A 401 or 407 carries a Chal, for the SyncHdr or for a command: [PRO] §9.1 "If
/// the response code to a request (message or command) is 401 ... or 407 ..., the
/// Status command to the request MUST include a Chal element".
pub struct ChalWith401;

impl Rule for ChalWith401 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/chal-with-401-407",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "A Status 401 (invalid credentials) or 407 (credentials missing) carries a \
                Chal saying which credentials to send, whether it answers the SyncHdr or a \
                command ([PRO] §9.1: \"If the response code to a request (message or command) is \
                401 ... or 407 ..., the Status command to the request MUST include a Chal \
                element\").",
            allowed: &["a Chal of any scheme the sender supports"],
            conditions: &[],
            capability: None,
            scenarios: &[
                "session/reauth-md5@server",
                "auth/client-challenges-server@client",
            ],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Command::Status(s) = c else { continue };
                if !matches!(s.code(), Some(401 | 407)) {
                    continue;
                }
                let what = if s.is_for_synchdr() {
                    "the SyncHdr".to_owned()
                } else {
                    format!("{} {}", s.cmd.trim(), s.cmd_ref.trim())
                };
                if s.chal.is_some() {
                    out.push(m.pass(format!("the {} for {what} carries a Chal", s.data.trim())));
                } else {
                    out.push(m.fail(
                        format!("Status {} for {what} carries no Chal", s.data.trim()),
                        m.cmd_excerpt(i),
                    ));
                }
            }
        }
        out.into_vec()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "401 with a Basic Chal",
            role: Role::Server,
            allowed: Some("a Chal of any scheme the sender supports"),
            verdict: Verdict::Pass,
            build: basic_chal_without_nonce,
        },
        Fixture {
            name: "401 with an MD5 Chal",
            role: Role::Server,
            allowed: Some("a Chal of any scheme the sender supports"),
            verdict: Verdict::Pass,
            build: md5_chal_with_nonce,
        },
        Fixture {
            name: "401 without Chal",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: refused_without_chal,
        },
        Fixture {
            name: "407 for a command without a Chal",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: command_refused_without_chal,
        },
    ];

    fn command_refused_without_chal() -> Transcript {
        // [PRO] §9.1: "request (message or command)": the Alert's 407 needs a Chal too.
        refused_cmd_chal(407, &chal(MD5, "Tm9uY2Ux"), "")
    }

    fn md5_chal_with_nonce() -> Transcript {
        refused_with(&chal(MD5, "Tm9uY2Ux"))
    }

    fn refused_without_chal() -> Transcript {
        refused_with("")
    }
}
