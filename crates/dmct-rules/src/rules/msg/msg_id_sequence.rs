use super::*;

/// A sender's MsgIDs identify its messages unambiguously within a session: none
/// repeats. The DM text asks no more ([PRO] §8.3-§8.6 item 1): the start at 1 and the
/// increase rest on SyncML RepPro, which is not readable here, so another start, a
/// gap or a MsgID that is not a number is no finding (errata to issue 13, item 3).
pub struct MsgIdSequence;

impl Rule for MsgIdSequence {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/msgid-sequence",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.3-§8.6 item 1; SyncML RepPro MsgID ?",
            unconfirmed: Some(
                "the DM text only requires MsgID to identify the message unambiguously within the \
                    session; the start at 1 and the increase rest on SyncML RepPro, which is not \
                    among the DM 1.2.1 documents dmct's audit could read, so only a repeat is \
                    judged",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "The MsgIDs a sender uses in a session identify its messages unambiguously: \
                none repeats within the session.",
            allowed: &[
                "gaps between MsgIDs",
                "a first MsgID other than 1",
                "a MsgID lower than the previous one, not used before in the session",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/large-object"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        // Per session, the MsgIDs the sender has used (numbers compared as numbers).
        let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in sent(view, role) {
            let id = m.m.hdr.msg_id.trim();
            let key =
                m.m.hdr
                    .msg_id_number()
                    .map_or_else(|| id.to_owned(), |n| n.to_string());
            // MsgID 1 starts the count again only where a session starts (SessionIDs
            // come back in time): the client's Package #1 and the server's answer to it.
            let opens = match role {
                Role::Client => m.m.is_session_setup(),
                Role::Server => {
                    answered(view, role, &m).is_some_and(|p| crate::rules::opens_session(p.m))
                }
            };
            if key == "1" && opens {
                used.insert(m.session().to_owned(), BTreeSet::new());
            }
            if used.entry(m.session().to_owned()).or_default().insert(key) {
                out.push(m.pass(format!("MsgID {id} is new in the session")));
            } else {
                out.push(m.fail(
                    format!(
                        "MsgID {id} repeats within session {}: it no longer identifies one \
                         message of the sender",
                        m.m.hdr.session_id.trim()
                    ),
                    m.hdr_excerpt(),
                ));
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
            name: "MsgID 3 after MsgID 1",
            role: Role::Client,
            allowed: Some("gaps between MsgIDs"),
            verdict: Verdict::Pass,
            build: msgid_gap,
        },
        Fixture {
            name: "a session whose MsgIDs start at 5",
            role: Role::Client,
            allowed: Some("a first MsgID other than 1"),
            verdict: Verdict::Pass,
            build: msgid_starts_at_5,
        },
        Fixture {
            name: "MsgID 2 after MsgID 3",
            role: Role::Client,
            allowed: Some("a MsgID lower than the previous one, not used before in the session"),
            verdict: Verdict::Pass,
            build: msgid_lower,
        },
        Fixture {
            name: "MsgID 1 twice in a session",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: msgid_repeated,
        },
    ];

    fn msgid_gap() -> Transcript {
        get_answered_as(3, "1")
    }

    fn msgid_starts_at_5() -> Transcript {
        Session::new()
            .exchange(
                Msg::client(5).setup("1201"),
                Msg::server(1)
                    .hdr_status(5, 212)
                    .status(5, 1, "Alert", 200)
                    .get("./DevInfo/Mod"),
            )
            .exchange(
                Msg::client(6)
                    .hdr_status(1, 200)
                    .status(1, 3, "Get", 200)
                    .results(1, 3, "./DevInfo/Mod", "X1"),
                Msg::server(2).hdr_status(6, 200),
            )
            .done()
    }

    fn msgid_lower() -> Transcript {
        // MsgIDs 1, 3, then 2: each names one message of the client.
        opened(pkg2().get("./DevInfo/Mod"))
            .exchange(
                Msg::client(3)
                    .hdr_status(1, 200)
                    .status(1, 3, "Get", 200)
                    .results(1, 3, "./DevInfo/Mod", "X1"),
                Msg::server(2).hdr_status(3, 200).get("./DevInfo/Man"),
            )
            .exchange(
                Msg::client(2)
                    .hdr_status(2, 200)
                    .status(2, 2, "Get", 200)
                    .results(2, 2, "./DevInfo/Man", "dmct"),
                Msg::server(3).hdr_status(2, 200),
            )
            .done()
    }

    fn msgid_repeated() -> Transcript {
        get_answered_as(1, "1")
    }
}
