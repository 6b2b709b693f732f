use super::*;

/// A Chal for MD5 or HMAC carries a base64 NextNonce, with Format b64.
pub struct ChalNonce;

impl Rule for ChalNonce {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/chal-nonce",
            status: RuleStatus::Testable,
            clause: "[REP] §6.1.2; [SEC] §5.3.3, §5.4.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "A Chal for syncml:auth-md5 or syncml:auth-MAC carries a NextNonce in \
                base64, with Format b64.",
            allowed: &["a Chal for Basic without NextNonce"],
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
                let Some(chal) = &s.chal else { continue };
                let scheme = chal.meta.r#type.as_deref().and_then(Scheme::from_meta_type);
                // A Basic Chal needs no nonce (the catalog's allowed behaviour): judged
                // and conforming, not "nothing to judge".
                if scheme == Some(Scheme::Basic) {
                    out.push(m.pass("a Chal for Basic, which needs no NextNonce"));
                    continue;
                }
                if !matches!(scheme, Some(Scheme::Md5 | Scheme::Hmac)) {
                    continue;
                }
                let nonce_ok = chal
                    .meta
                    .next_nonce
                    .as_deref()
                    .is_some_and(|n| Nonce::from_b64(n).is_ok());
                let b64 = chal.meta.format.as_deref().map(str::trim) == Some("b64");
                if nonce_ok && b64 {
                    out.push(m.pass("the Chal carries a base64 NextNonce"));
                } else {
                    out.push(m.fail(
                        "a Chal for MD5 or HMAC lacks a base64 NextNonce or Format b64",
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
            name: "a Basic Chal without NextNonce",
            role: Role::Server,
            allowed: Some("a Chal for Basic without NextNonce"),
            verdict: Verdict::Pass,
            build: basic_chal_without_nonce,
        },
        Fixture {
            name: "an MD5 Chal without NextNonce",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: md5_chal_without_nonce,
        },
    ];

    fn md5_chal_without_nonce() -> Transcript {
        refused_with(&format!(
            "<Chal>{}</Chal>",
            meta(&[("Type", MD5), ("Format", "b64")])
        ))
    }
}
