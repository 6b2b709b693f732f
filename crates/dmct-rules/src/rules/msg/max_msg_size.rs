use super::*;

/// No message larger than the MaxMsgSize the peer announced.
pub struct MaxMsgSize;

impl Rule for MaxMsgSize {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/max-msg-size",
            status: RuleStatus::Testable,
            clause: "SyncML MetaInfo MaxMsgSize ?",
            unconfirmed: Some(
                "no DM 1.2 text states a MaxMsgSize rule (it appears only in examples); the rule \
                    rests on SyncML Meta Information 1.2 and SyncML RepPro, which are not among \
                    the documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "No message is larger than the MaxMsgSize the peer announced in its SyncHdr \
                (in force until it announces another).",
            allowed: &[
                "split the package into several messages (Alert 1222)",
                "cut a large object into chunks",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/large-object", "session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let peer = crate::rules::other(role);
        sent(view, role)
            .iter()
            .filter_map(|m| {
                let max = announced(view, peer, m.session(), m.index, |meta| {
                    meta.max_msg_size.as_ref()
                })?;
                Some(if m.body.len() <= max {
                    m.pass(format!(
                        "{} bytes, within the peer's MaxMsgSize {max}",
                        m.body.len()
                    ))
                } else {
                    m.fail(
                        format!(
                            "the message is {} bytes; the peer's MaxMsgSize is {max}",
                            m.body.len()
                        ),
                        m.hdr_excerpt(),
                    )
                })
            })
            .collect()
    }
}
