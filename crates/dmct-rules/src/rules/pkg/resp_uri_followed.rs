use super::*;

/// After a RespURI, the client's next message goes there.
pub struct RespUriFollowed;

impl Rule for RespUriFollowed {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "session/respuri-followed",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.1; SyncML RepPro RespURI ?",
            unconfirmed: Some(
                "the general rule that the next message goes to RespURI is worded in SyncML \
                    RepPro, which is not among the DM 1.2.1 documents dmct's audit could read; \
                    the DM text states it only for the message re-sent after an authentication \
                    failure ([PRO] §9.1)",
            ),
            level: Level::Must,
            binds: Binds::Client,
            summary: "After a server message that gives a RespURI, the client sends its next \
                message of the session to that URI.",
            allowed: &[
                "send to RespURI, with or without the host part matching the server's own address",
                "end the session instead of sending more",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/reauth-md5"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for s in sent(view, other(role)) {
            let Some(uri) = s.m.hdr.resp_uri.as_deref() else {
                continue;
            };
            let Some(next) =
                crate::rules::session_from(view, role, s.session(), s.index + 1).next()
            else {
                // The catalog's allowed "end the session instead of sending more": known
                // when the client went on in another session, finished, or stayed idle
                // past --idle; a harness limit leaves it unknown.
                let ended = match view.exchanges.get(s.index + 1) {
                    // Only a decoded request of another session shows this one ended.
                    Some(e) => e.client_msg().is_some(),
                    None => matches!(
                        view.transcript.closing,
                        Closing::PeerDone | Closing::IdleTimeout { .. }
                    ),
                };
                if ended {
                    out.push(s.pass(
                        "the server gave a RespURI; the client sent nothing more in \
                        this session (it ended)",
                    ));
                }
                continue;
            };
            let target = &view.exchanges[next.index].exchange.request.target;
            let want = dmct_proto::url::target_of(uri);
            if *target == want || target == uri {
                out.push(next.pass("the message went to the RespURI"));
            } else {
                out.push(next.fail(
                    format!("RespURI was {uri:?}, but the next message went to {target:?}"),
                    next.hdr_excerpt(),
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
            name: "RespURI on another host, the path followed",
            role: Role::Client,
            allowed: Some(
                "send to RespURI, with or without the host part matching the server's own address",
            ),
            verdict: Verdict::Pass,
            build: respuri_path_only,
        },
        Fixture {
            name: "no more messages after a RespURI",
            role: Role::Client,
            allowed: Some("end the session instead of sending more"),
            verdict: Verdict::Pass,
            build: respuri_then_nothing,
        },
        Fixture {
            name: "RespURI ignored",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: respuri_ignored,
        },
    ];

    /// Package #2 gives RespURI `uri`; the client's next message goes to `target`.
    fn respuri_then(uri: &str, target: &str) -> Transcript {
        let mut t = opened(pkg2().resp_uri(uri).get("./DevInfo/Mod"))
            .exchange(
                Msg::client(2)
                    .hdr_status(1, 200)
                    .status(1, 3, "Get", 200)
                    .results(1, 3, "./DevInfo/Mod", "X1"),
                Msg::server(2).hdr_status(2, 200),
            )
            .done();
        t.exchanges[1].request.target = target.into();
        t
    }

    fn respuri_path_only() -> Transcript {
        // The host part names another address than the one the client used: the path is
        // what the request line carries.
        respuri_then("http://dm.example.net/mgmt-server?s=1", "/mgmt-server?s=1")
    }

    fn respuri_then_nothing() -> Transcript {
        opened(pkg2().resp_uri("http://dm.example.net/mgmt-server?s=1")).done()
    }

    fn respuri_ignored() -> Transcript {
        respuri_then("http://dm.example.net/mgmt-server?s=1", "/mgmt-server")
    }
}
