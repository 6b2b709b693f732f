use super::*;

/// One SessionID for the whole session.
pub struct SessionIdConstant;

impl Rule for SessionIdConstant {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/sessionid-constant",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.3 item 1, §9.1; [NOT] §5",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "A session keeps one SessionID: the client uses it in all its messages, the \
                server answers with it.",
            allowed: &["a new SessionID for a new session (Package #1 with MsgID 1)"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/reauth-md5"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        match role {
            Role::Server => {
                for m in sent(view, Role::Server) {
                    let Some(req) = answered(view, role, &m) else {
                        continue;
                    };
                    if m.session() == req.session() {
                        out.push(m.pass("the answer keeps the request's SessionID"));
                    } else {
                        out.push(m.fail(
                            format!(
                                "SessionID {:?} answers a message of session {:?}",
                                m.m.hdr.session_id, req.m.hdr.session_id
                            ),
                            m.hdr_excerpt(),
                        ));
                    }
                }
            }
            Role::Client => {
                let msgs = sent(view, Role::Client);
                for w in msgs.windows(2) {
                    let (prev, m) = (&w[0], &w[1]);
                    // A new Package #1 with MsgID 1 opens a new session legitimately.
                    if m.m.hdr.msg_id_number() == Some(1) {
                        continue;
                    }
                    if m.session() == prev.session() {
                        out.push(m.pass("same SessionID as the client's previous message"));
                    } else {
                        out.push(m.fail(
                            format!(
                                "SessionID {:?} differs from the previous message's {:?} \
                                 within one session (MsgID {})",
                                m.m.hdr.session_id, prev.m.hdr.session_id, m.m.hdr.msg_id
                            ),
                            m.hdr_excerpt(),
                        ));
                    }
                }
            }
        }
        out
    }
}
