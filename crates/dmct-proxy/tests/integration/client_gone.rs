//! A device that closes its connection while the proxy awaits the server: the exchange
//! is still recorded, with the server's answer, marked "client gone"; a device that
//! waits gets its answer and no such mark.

use crate::common;

use common::*;
use dmct_net::{AsyncAnswer, AsyncResponder};
use dmct_proto::transcript::{ExchangeFailure, HttpRequest};
use dmct_proxy::{Event, NoteKind, SessionKey};
use dmct_session::Server;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// The reference server, answering only after a while.
struct Slow {
    server: Mutex<Option<Server>>,
}

impl AsyncResponder for Slow {
    fn respond(&self, request: HttpRequest) -> AsyncAnswer {
        let answer = self
            .server
            .lock()
            .unwrap()
            .as_mut()
            .map(|s| s.respond(&request));
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            answer
        })
    }
}

fn pkg1(url: &str, session: &str) -> dmct_session::Outgoing {
    let s = scenario("session/get-replace");
    let mut config = dmct_suite::peers::client_config(&s, url, &BTreeSet::new());
    config.session_id = session.into();
    dmct_session::Client::new(config).start()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_gone_before_the_answer_leaves_the_exchange_recorded() {
    let s = scenario("session/get-replace");
    let slow = Arc::new(Slow {
        server: Mutex::new(None),
    });
    let upstream = dmct_net::serve_async(loopback(), slow.clone(), limits(), None)
        .await
        .unwrap();
    let up_url = format!("{}/dm", upstream.url());
    *slow.server.lock().unwrap() = Some(Server::new(
        dmct_suite::peers::server_config(
            &up_url,
            dmct_suite::peers::default_client_creds(),
            &BTreeSet::new(),
        ),
        s.server.clone(),
    ));
    let (proxy, events) = proxy(&up_url, |_| {}).await;
    let purl = format!("{}/dm", proxy.url());

    // Session "gone": the whole request, then the device closes its connection.
    let out = pkg1(&purl, "gone");
    let mut head = format!(
        "POST /dm HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        proxy.local_addr(),
        out.body.len()
    );
    for (n, v) in &out.headers.0 {
        if !n.eq_ignore_ascii_case("content-length") && !n.eq_ignore_ascii_case("host") {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    let mut sock = tokio::net::TcpStream::connect(proxy.local_addr())
        .await
        .unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&out.body).await.unwrap();
    sock.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(sock);

    // Session "stays": the same through the same slow server, waiting for the answer.
    let stays = dmct_net::post(
        &pkg1(&purl, "stays").url,
        pkg1(&purl, "stays").headers,
        pkg1(&purl, "stays").body,
        &limits(),
    )
    .await;
    assert_eq!(stays.response.as_ref().map(|r| r.status), Some(200));
    // The gone session's relay ends about when the other's does; give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let records = proxy.stop().await;
    let by = |sid: &str| {
        records
            .iter()
            .find(|r| matches!(&r.key, SessionKey::Dm { session_id, .. } if session_id == sid))
            .unwrap_or_else(|| panic!("no record of {sid}: {records:#?}"))
    };
    let gone = by("gone");
    assert_eq!(gone.transcript.exchanges.len(), 1);
    let e = &gone.transcript.exchanges[0];
    let resp = e.response.as_ref().expect("the upstream's answer is kept");
    assert_eq!(resp.status, 200);
    assert!(
        dmct_proto::decode(resp.body.as_bytes()).is_ok(),
        "the server's DM answer"
    );
    assert!(
        matches!(&e.failure, Some(ExchangeFailure::ConnectionClosed { detail })
            if detail.starts_with("client gone")),
        "{:?}",
        e.failure
    );
    assert!(
        gone.notes
            .iter()
            .any(|n| n.kind == NoteKind::ClientGone && n.exchange == Some(0)),
        "{:?}",
        gone.notes
    );
    assert!(events.0.lock().unwrap().iter().any(|ev| matches!(ev,
        Event::Note { session: SessionKey::Dm { session_id, .. }, note }
            if session_id == "gone" && note.kind == NoteKind::ClientGone)));

    let stays = by("stays");
    assert!(stays.transcript.exchanges[0].failure.is_none());
    assert!(stays.notes.iter().all(|n| n.kind != NoteKind::ClientGone));
    upstream.shutdown().await;
}
