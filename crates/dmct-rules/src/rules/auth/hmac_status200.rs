use super::*;

/// A message authenticated by HMAC is answered 200 (never 212) with a NextNonce.
pub struct HmacStatus200;

impl Rule for HmacStatus200 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/hmac-status-200",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4.3, §5.4.4",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "A message authenticated by the HMAC header is answered with Status 200 \
                (never 212) for the SyncHdr, with a Chal carrying the NextNonce for the next \
                message.",
            allowed: &[],
            conditions: &[],
            capability: Some("hmac"),
            scenarios: &["auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        hmac_accepted(view)
            .into_iter()
            .map(|(_, s)| {
                let st = s.m.synchdr_status();
                let code = st.and_then(|x| x.code());
                let nonce = st
                    .and_then(|x| x.chal.as_ref())
                    .and_then(|c| c.meta.next_nonce.as_ref());
                if code == Some(200) && nonce.is_some() {
                    s.pass("HMAC accepted with 200 and a NextNonce")
                } else {
                    s.fail(
                        format!(
                            "an HMAC-authenticated message answered {code:?}{}",
                            if nonce.is_none() {
                                " without a NextNonce"
                            } else {
                                ""
                            }
                        ),
                        synchdr_index(s.m).and_then(|i| s.cmd_excerpt(i)),
                    )
                }
            })
            .collect()
    }
}
