use super::*;

/// The SyncHdr's Status refers (MsgRef) to the message it answers.
pub struct SynchdrMsgRef;

impl Rule for SynchdrMsgRef {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/synchdr-msgref",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?; [PRO] §9.4 (examples)",
            unconfirmed: Some(
                "the normative wording is in SyncML RepPro, which is not among the DM 1.2.1 \
                    documents dmct's audit could read; the DM examples answer the SyncHdr with \
                    MsgRef = the MsgID, CmdRef 0",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "The Status for the SyncHdr refers (MsgRef, CmdRef 0) to the message it \
                answers.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for m in sent(view, role) {
            let Some(peer) = answered(view, role, &m) else {
                continue;
            };
            let Some(s) = m.m.synchdr_status() else {
                continue;
            };
            if s.msg_ref.trim() == peer.m.hdr.msg_id.trim() {
                out.push(m.pass("MsgRef of the SyncHdr Status is the answered MsgID"));
            } else {
                let i =
                    m.m.body
                        .commands
                        .iter()
                        .position(|c| matches!(c, Command::Status(x) if std::ptr::eq(&**x, s)));
                out.push(m.fail(
                    format!(
                        "the SyncHdr Status has MsgRef {:?}; the message it answers is MsgID {:?}",
                        s.msg_ref, peer.m.hdr.msg_id
                    ),
                    i.and_then(|i| m.cmd_excerpt(i)),
                ));
            }
        }
        out.into_vec()
    }
}
