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
