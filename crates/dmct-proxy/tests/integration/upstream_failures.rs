//! An upstream that refuses, resets, times out or sends garbage: the client gets 502 or
//! 504 (a DM body that does not decode is relayed as it is), the failure is recorded,
//! and the proxy keeps serving other sessions.

use crate::common;

use common::*;
use dmct_net::{AsyncAnswer, AsyncResponder, Limits};
use dmct_proto::transcript::{ExchangeFailure, Headers, HttpRequest, HttpResponse};
use dmct_proxy::{NoteKind, SessionKey};
use dmct_session::Server;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// An upstream whose behaviour depends on the SessionID: `hang` never answers, `drop`
/// closes without answering, `garbage` answers 200 with a DM Content-Type and bytes
/// that are not DM; any other session gets the reference server.
struct Chaos {
    server: Mutex<Option<Server>>,
}

const GARBAGE: &[u8] = b"\x02\xff not a DM message \x00\x01";

impl AsyncResponder for Chaos {
    fn respond(&self, request: HttpRequest) -> AsyncAnswer {
        let session = dmct_proto::decode(request.body.as_bytes())
            .map(|d| d.message.hdr.session_id)
            .unwrap_or_default();
        let normal = (!matches!(session.as_str(), "hang" | "drop" | "garbage")).then(|| {
            self.server
                .lock()
                .unwrap()
                .as_mut()
                .map(|s| s.respond(&request))
        });
        Box::pin(async move {
            match session.as_str() {
                "hang" => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    None
                }
                "drop" => None,
                "garbage" => {
                    let mut headers = Headers::default();
                    headers.push("Content-Type", "application/vnd.syncml.dm+wbxml");
                    Some(HttpResponse {
                        status: 200,
                        headers,
                        body: GARBAGE.to_vec().into(),
                    })
                }
                _ => normal.flatten(),
            }
        })
    }
}

fn pkg1(url: &str, session: &str) -> dmct_session::Outgoing {
    let s = scenario("session/get-replace");
    let mut config = dmct_suite::peers::client_config(&s, url, &BTreeSet::new());
    config.session_id = session.into();
    dmct_session::Client::new(config).start()
}

async fn post(out: &dmct_session::Outgoing, limits: &Limits) -> dmct_net::Exchange {
    dmct_net::post(&out.url, out.headers.clone(), out.body.clone(), limits).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_upstreams_answer_502_or_504_and_other_sessions_go_on() {
    let s = scenario("session/get-replace");
    let chaos = Arc::new(Chaos {
        server: Mutex::new(None),
    });
    let up_limits = Limits {
        max_body: 1024 * 1024,
        exchange_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let upstream = dmct_net::serve_async(loopback(), chaos.clone(), up_limits, None)
        .await
        .unwrap();
    let up_url = format!("{}/dm", upstream.url());
    *chaos.server.lock().unwrap() = Some(Server::new(
        dmct_suite::peers::server_config(
            &up_url,
            dmct_suite::peers::default_client_creds(),
            &BTreeSet::new(),
        ),
        s.server.clone(),
    ));
    let (proxy, events) = proxy(&up_url, |c| {
        c.limits.exchange_timeout = Duration::from_millis(800);
    })
    .await;
    let purl = format!("{}/dm", proxy.url());
    let client_limits = limits();

    // The hanging session and a normal one at the same time: the normal one completes
    // while the other still waits.
    let hang = {
        let out = pkg1(&purl, "hang");
        let l = client_limits.clone();
        tokio::spawn(async move { post(&out, &l).await })
    };
    let mut c = client(&s, &purl, &BTreeSet::new());
    let (_, _) = drive(&mut c).await;
    assert!(c.completed());
    let hang = hang.await.unwrap();
    assert_eq!(
        hang.response.as_ref().map(|r| r.status),
        Some(504),
        "{hang:?}"
    );

    let dropped = post(&pkg1(&purl, "drop"), &client_limits).await;
    assert_eq!(dropped.response.as_ref().map(|r| r.status), Some(502));
    let garbage = post(&pkg1(&purl, "garbage"), &client_limits).await;
    let g = garbage.response.as_ref().unwrap();
    assert_eq!(g.status, 200);
    assert_eq!(g.body.as_bytes(), GARBAGE);

    let records = proxy.stop().await;
    let by = |sid: &str| {
        records
            .iter()
            .find(|r| matches!(&r.key, SessionKey::Dm { session_id, .. } if session_id == sid))
            .unwrap_or_else(|| panic!("no record of {sid}"))
    };
    let hang = by("hang");
    assert!(matches!(
        hang.transcript.exchanges[0].failure,
        Some(ExchangeFailure::Timeout { .. })
    ));
    assert!(hang.transcript.exchanges[0].response.is_none());
    let relay = hang.relays[0].as_ref().unwrap();
    assert_eq!(relay.proxy_response.as_ref().map(|r| r.status), Some(504));
    assert!(
        hang.notes
            .iter()
            .any(|n| n.kind == NoteKind::UpstreamFailure)
    );
    let f = findings(hang);
    assert_eq!(
        verdict(
            &f,
            "session/server-answers-every-package",
            dmct_rules::Role::Server
        ),
        dmct_rules::Verdict::Inconclusive
    );
    let drop = by("drop");
    assert!(matches!(
        drop.transcript.exchanges[0].failure,
        Some(ExchangeFailure::ConnectionClosed { .. })
    ));
    let f = findings(drop);
    assert_eq!(
        verdict(
            &f,
            "session/server-answers-every-package",
            dmct_rules::Role::Server
        ),
        dmct_rules::Verdict::Fail
    );
    let garbage = by("garbage");
    assert!(garbage.relays[0].is_none(), "relayed as it was");
    assert_eq!(
        garbage.transcript.exchanges[0]
            .response
            .as_ref()
            .unwrap()
            .body
            .as_bytes(),
        GARBAGE
    );
    assert!(by("1").completed);
    assert!(events.failed_rules().contains(&(
        "session/server-answers-every-package".into(),
        dmct_rules::Role::Server
    )));
    upstream.shutdown().await;
}

#[tokio::test]
async fn a_refusing_or_garbled_upstream_answers_502() {
    // A port nobody listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (refusing, _) = proxy(&format!("http://{closed}/dm"), |_| {}).await;
    let ex = post(&pkg1(&format!("{}/dm", refusing.url()), "5"), &limits()).await;
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(502), "{ex:?}");
    let records = refusing.stop().await;
    let r = only_session(&records);
    assert!(matches!(
        r.transcript.exchanges[0].failure,
        Some(ExchangeFailure::Transport { .. })
    ));

    // A listener that answers with bytes that are not HTTP, then closes.
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let garbler = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let _ = sock.write_all(b"SSH-2.0-nonsense\r\n\r\n").await;
            let _ = sock.shutdown().await;
        }
    });
    let (garbled, _) = proxy(&format!("http://{addr}/dm"), |_| {}).await;
    let ex = post(&pkg1(&format!("{}/dm", garbled.url()), "6"), &limits()).await;
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(502), "{ex:?}");
    let records = garbled.stop().await;
    assert!(
        only_session(&records).transcript.exchanges[0]
            .failure
            .is_some()
    );
    garbler.abort();
}
