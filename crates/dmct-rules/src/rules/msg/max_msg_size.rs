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

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Package #3 split to fit MaxMsgSize",
            role: Role::Client,
            allowed: Some("split the package into several messages (Alert 1222)"),
            verdict: Verdict::Pass,
            build: split_package,
        },
        Fixture {
            name: "a large object in chunks within MaxMsgSize",
            role: Role::Server,
            allowed: Some("cut a large object into chunks"),
            verdict: Verdict::Pass,
            build: chunks_under_max,
        },
        Fixture {
            name: "a message one byte over MaxMsgSize",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: message_over_max,
        },
    ];

    /// The server's Get of two nodes answered in two messages; the server announced, in
    /// Package #2, the size of the larger plus `slack` bytes as its MaxMsgSize.
    fn split_under(slack: isize) -> Transcript {
        let first = Msg::client(2)
            .hdr_status(1, 200)
            .status(1, 3, "Get", 200)
            .status(1, 4, "Get", 200)
            .results(1, 3, "./DevInfo/Mod", &"M".repeat(300))
            .more();
        let second = Msg::client(3)
            .hdr_status(2, 200)
            .status(2, 2, "Alert", 200)
            .results(1, 4, "./DevInfo/Man", &"N".repeat(300));
        let largest = first.xml().len().max(second.xml().len());
        let max = (largest as isize + slack).to_string();
        opened(
            pkg2()
                .hdr_meta(&[("MaxMsgSize", &max)])
                .get("./DevInfo/Mod")
                .get("./DevInfo/Man"),
        )
        .exchange(
            first,
            Msg::server(2).hdr_status(2, 200).alert("1222").more(),
        )
        .exchange(second, Msg::server(3).hdr_status(3, 200))
        .done()
    }

    fn split_package() -> Transcript {
        split_under(0)
    }

    fn message_over_max() -> Transcript {
        split_under(-1)
    }

    fn chunks_under_max() -> Transcript {
        let pkg1 = Msg::client(1)
            .hdr_meta(&[("MaxMsgSize", "2000")])
            .setup("1201");
        chunked_after(pkg1, "", &meta(&[("Size", "10")]), "")
    }
}
