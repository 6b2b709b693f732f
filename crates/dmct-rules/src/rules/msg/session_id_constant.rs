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

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "a second session with a SessionID of its own",
            role: Role::Client,
            allowed: Some("a new SessionID for a new session (Package #1 with MsgID 1)"),
            verdict: Verdict::Pass,
            build: two_sessions,
        },
        Fixture {
            name: "SessionID changed within a session",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: sessionid_changes,
        },
    ];

    fn sessionid_changes() -> Transcript {
        get_answered_as(2, "2")
    }

    fn two_sessions() -> Transcript {
        let mut s = Session::new();
        for id in ["1", "2"] {
            s = s
                .exchange(Msg::client(1).session(id).setup("1201"), pkg2().session(id))
                .exchange(
                    Msg::client(2).session(id).hdr_status(1, 200).alert("1226"),
                    Msg::server(2)
                        .session(id)
                        .hdr_status(2, 200)
                        .status(2, 1, "Alert", 200),
                );
        }
        s.done()
    }
}
