//! How a case's session ended, told from its transcript: the end the protocol
//! prescribes (the server's package without operations), the peer stopping or breaking
//! the connection, or the harness giving up. Every report shows it, so an inconclusive
//! case or a dead device is explained by the first line a lab reads.

use dmct_proto::transcript::{Closing, ExchangeFailure, Transcript};
use dmct_report::{EndKind, SessionEnd};
use dmct_rules::Role;

/// The end of the session recorded in `t`, whose peer under test plays `role`.
pub fn session_end(t: &Transcript, role: Role) -> SessionEnd {
    let (how, detail) = how_it_ended(t, role);
    SessionEnd {
        how,
        detail,
        at: t.ended.clone(),
    }
}

fn how_it_ended(t: &Transcript, role: Role) -> (EndKind, String) {
    // A device that was not woken says most even if something came in meanwhile; a
    // case that was not run has no exchange, and its closing says so below.
    if matches!(t.closing, Closing::TriggerFailed { .. }) {
        return by_closing(t, role);
    }
    let n = t.exchanges.len();
    if let Some(last) = t.exchanges.last() {
        let at = n - 1;
        // The last exchange's own failure says most: it is where the session broke.
        if let Some(f) = &last.failure {
            return match f {
                ExchangeFailure::ConnectionClosed { detail } => {
                    // The proxy's one transcript holds both sides' failures; its detail
                    // says whose ("upstream: ..." or "client gone: ...").
                    let who = if detail.starts_with("upstream") {
                        "the server"
                    } else if detail.starts_with("client gone") {
                        "the client"
                    } else {
                        match role {
                            Role::Client => "the client",
                            Role::Server => "the server",
                        }
                    };
                    (
                        EndKind::ConnectionReset,
                        format!(
                            "{who} closed or reset the connection in the middle of exchange \
                             {at}: {detail}"
                        ),
                    )
                }
                ExchangeFailure::Timeout { .. }
                | ExchangeFailure::BodyTooLarge { .. }
                | ExchangeFailure::HarnessRefused { .. } => (
                    EndKind::HarnessLimit,
                    format!("we gave up on exchange {at}: {f} (a harness limit)"),
                ),
                ExchangeFailure::Transport { detail } => (
                    EndKind::TransportError,
                    format!("exchange {at} failed in transport: {detail}"),
                ),
            };
        }
        let server_msg = last
            .response
            .as_ref()
            .and_then(|r| dmct_proto::decode(r.body.as_bytes()).ok())
            .map(|d| d.message);
        // A server error as the last answer: the session broke off there (the proxy's
        // upstream failing), told before how recording then stopped.
        if let Some(r) = last.response.as_ref().filter(|r| r.status >= 500) {
            let (how, detail) = by_closing(t, role);
            return (
                how,
                format!(
                    "the server answered exchange {at} with HTTP {}; {detail}",
                    r.status
                ),
            );
        }
        if let Some(m) = server_msg {
            let ends = m.body.final_ && m.operations().next().is_none() && m.challenge().is_none();
            if ends {
                return (
                    EndKind::ServerFinal,
                    format!(
                        "the server's package without management operations or a challenge \
                         (exchange {at}) ended the session ([PRO] §8)"
                    ),
                );
            }
        }
    }
    by_closing(t, role)
}

/// The end as the recording's closing tells it.
fn by_closing(t: &Transcript, role: Role) -> (EndKind, String) {
    let n = t.exchanges.len();
    match &t.closing {
        Closing::PeerDone => (
            EndKind::ClientFinished,
            match role {
                _ if n == 0 && t.package0.is_some() => {
                    "the client started no session after the Package 0 (a strict device \
                     refuses one that does not verify)"
                        .into()
                }
                _ if n == 0 => "the client started no session".into(),
                Role::Client => format!("the client finished after {n} exchange(s)"),
                Role::Server => format!("dmct's client sent its last package ({n} exchange(s))"),
            },
        ),
        Closing::IdleTimeout { after_ms } if n == 0 => (
            EndKind::ClientIdle,
            format!(
                "no client connected within {} (--wait)",
                dmct_rules::seconds(*after_ms)
            ),
        ),
        Closing::IdleTimeout { after_ms } => (
            EndKind::ClientIdle,
            format!(
                "the client sent nothing for {} (--idle) after exchange {}",
                dmct_rules::seconds(*after_ms),
                n - 1
            ),
        ),
        Closing::ExchangeLimit { limit } => (
            EndKind::HarnessLimit,
            format!("we gave up waiting: the harness's limit of {limit} exchanges was reached"),
        ),
        Closing::SessionTimeout { after_ms, awaiting } => (
            EndKind::HarnessLimit,
            format!(
                "we gave up waiting: the session's time limit ({}) ran out awaiting {awaiting}",
                dmct_rules::seconds(*after_ms)
            ),
        ),
        Closing::Stopped => (EndKind::Stopped, "recording was stopped".into()),
        Closing::HarnessFault { detail } => (
            EndKind::HarnessLimit,
            format!("dmct itself failed, not the peer: {detail}"),
        ),
        Closing::NotApplicable { reason } => (EndKind::NotApplicable, reason.clone()),
        Closing::Skipped { reason } => (EndKind::NotRun, reason.clone()),
        Closing::TriggerFailed { detail } => (
            EndKind::TriggerFailed,
            format!("the device was not woken: {detail}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmct_proto::transcript::{Body, Exchange, Headers, HttpRequest, HttpResponse};

    fn exchange(response: Option<&str>, failure: Option<ExchangeFailure>) -> Exchange {
        Exchange {
            request: HttpRequest {
                method: "POST".into(),
                target: "/dm".into(),
                headers: Headers::default(),
                body: Body::from(b"<SyncML/>".to_vec()),
            },
            response: response.map(|b| HttpResponse {
                status: 200,
                headers: Headers::default(),
                body: Body::from(b.as_bytes().to_vec()),
            }),
            failure,
            time: None,
        }
    }

    fn server_package(body: &str) -> String {
        format!(
            "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
             <VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>2</MsgID>\
             <Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>http://s/dm</LocURI>\
             </Source></SyncHdr><SyncBody>{body}</SyncBody></SyncML>"
        )
    }

    fn ended(exchanges: Vec<Exchange>, closing: Closing) -> EndKind {
        let t = Transcript {
            exchanges,
            closing,
            ..Transcript::default()
        };
        session_end(&t, Role::Client).how
    }

    #[test]
    fn each_end_is_told_apart() {
        let status = "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef>\
                      <Cmd>SyncHdr</Cmd><Data>200</Data></Status>";
        let last = server_package(&format!("{status}<Final/>"));
        // The protocol's end wins over how recording then stopped.
        let idle = Closing::IdleTimeout { after_ms: 10_000 };
        assert_eq!(
            ended(vec![exchange(Some(&last), None)], idle.clone()),
            EndKind::ServerFinal
        );
        // A package with an operation does not end it: the client owed an answer.
        let get = server_package(&format!(
            "{status}<Get><CmdID>2</CmdID><Item><Target><LocURI>./DevInfo/Mod</LocURI>\
             </Target></Item></Get><Final/>"
        ));
        assert_eq!(
            ended(vec![exchange(Some(&get), None)], idle.clone()),
            EndKind::ClientIdle
        );
        assert_eq!(
            ended(vec![exchange(Some(&get), None)], Closing::PeerDone),
            EndKind::ClientFinished
        );
        let reset = ExchangeFailure::ConnectionClosed {
            detail: "reset by peer".into(),
        };
        assert_eq!(
            ended(vec![exchange(None, Some(reset))], idle.clone()),
            EndKind::ConnectionReset
        );
        let timeout = ExchangeFailure::Timeout {
            after_ms: 30_000,
            awaiting: "response".into(),
        };
        assert_eq!(
            ended(vec![exchange(None, Some(timeout))], Closing::PeerDone),
            EndKind::HarnessLimit
        );
        let refused = ExchangeFailure::Transport {
            detail: "connection refused".into(),
        };
        assert_eq!(
            ended(vec![exchange(None, Some(refused))], Closing::PeerDone),
            EndKind::TransportError
        );
        assert_eq!(
            ended(
                vec![exchange(Some(&get), None)],
                Closing::SessionTimeout {
                    after_ms: 300_000,
                    awaiting: "the client's next package".into()
                }
            ),
            EndKind::HarnessLimit
        );
        assert_eq!(
            ended(vec![], Closing::ExchangeLimit { limit: 32 }),
            EndKind::HarnessLimit
        );
        assert_eq!(ended(vec![], idle), EndKind::ClientIdle);
        assert_eq!(
            ended(vec![], Closing::NotApplicable { reason: "x".into() }),
            EndKind::NotApplicable
        );
        assert_eq!(
            ended(vec![], Closing::Skipped { reason: "x".into() }),
            EndKind::NotRun
        );
        assert_eq!(ended(vec![], Closing::Stopped), EndKind::Stopped);
    }

    #[test]
    fn a_proxy_transcript_blames_the_side_that_closed() {
        // Found by the fault tests: the upstream dropping the connection was told as the
        // client closing it, in the client's case of a proxied session.
        let t = |detail: &str| Transcript {
            exchanges: vec![exchange(
                None,
                Some(ExchangeFailure::ConnectionClosed {
                    detail: detail.into(),
                }),
            )],
            ..Transcript::default()
        };
        let upstream = t("upstream: connection closed before message completed");
        for role in [Role::Client, Role::Server] {
            let e = session_end(&upstream, role);
            assert!(e.detail.starts_with("the server closed"), "{}", e.detail);
        }
        let gone = t("client gone: the device closed its connection");
        assert!(
            session_end(&gone, Role::Server)
                .detail
                .starts_with("the client closed")
        );
        let plain = t("reset by peer");
        assert!(
            session_end(&plain, Role::Client)
                .detail
                .starts_with("the client closed")
        );
    }

    #[test]
    fn the_words_name_the_wait_and_the_time() {
        let t = Transcript {
            exchanges: vec![exchange(Some("not DM"), None)],
            closing: Closing::IdleTimeout { after_ms: 10_000 },
            ended: Some("2026-12-07T02:41:09Z".into()),
            ..Transcript::default()
        };
        let e = session_end(&t, Role::Client);
        assert_eq!(e.how, EndKind::ClientIdle);
        assert!(
            e.detail.contains("10 s (--idle) after exchange 0"),
            "{}",
            e.detail
        );
        assert_eq!(e.at.as_deref(), Some("2026-12-07T02:41:09Z"));
    }
}
