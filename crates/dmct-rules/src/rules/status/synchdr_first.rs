use super::*;

/// In a message answering the peer, the first Status is the one for its SyncHdr.
/// SyncML RepPro orders Statuses, not commands: what comes before the first Status
/// is not judged.
pub struct SynchdrFirst;

impl Rule for SynchdrFirst {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/synchdr-first",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?",
            unconfirmed: Some(
                "nothing in the DM texts orders Status; the rule rests on SyncML RepPro (read \
                    only through secondary copies), which is not among the DM 1.2.1 documents \
                    dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "In a message that answers the peer, the first Status is the one for the \
                peer's SyncHdr (other commands may come before it).",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for m in sent(view, role) {
            if answered(view, role, &m).is_none() {
                continue;
            }
            let first =
                m.m.body
                    .commands
                    .iter()
                    .position(|c| matches!(c, Command::Status(_)));
            match first.and_then(|i| m.m.body.commands.get(i)) {
                Some(Command::Status(s)) if s.is_for_synchdr() => {
                    out.push(m.pass("the Status for the SyncHdr is the first Status"))
                }
                Some(_) => out.push(m.fail(
                    "the first Status is not the one for the peer's SyncHdr",
                    first.and_then(|i| m.cmd_excerpt(i)),
                )),
                None => out.push(m.fail(
                    "the message answers the peer but holds no Status, so none for its SyncHdr",
                    m.hdr_excerpt(),
                )),
            }
        }
        out.into_vec()
    }
}
