//! Many reference-client sessions at once (1,000 in `cargo xtask slow`) through one proxy
//! to one reference server: every session completes, each lands in its own record, and
//! the records hold every exchange.
//!
//! As in dmct-suite's concurrency test, all sessions start at once and stay interleaved,
//! but a Semaphore lets at most [`in_flight`] exchanges hold a connection at a time:
//! each costs the client's socket and the proxy's, and the proxy keeps at most as many
//! upstream connections busy (two descriptors each), well under a 1,024 open-file limit.

use crate::common;

use common::*;
use dmct_net::{Limits, Responder};
use dmct_proto::transcript::{HttpRequest, HttpResponse};
use dmct_proxy::SessionKey;
use dmct_session::{Client, ClientStep, DevInfo, Server};
use dmct_suite::peers;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Sessions at once: 1,000 under `cargo xtask slow` (which CI runs), fewer in `cargo
/// test`, where the same interleaving and semaphore contention show at a fraction of
/// the cost. `DMCT_LOAD_SESSIONS` sets it.
fn sessions() -> usize {
    std::env::var("DMCT_LOAD_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

/// Exchanges holding a connection at once: 128 per 1,000 sessions (at least 8), so the
/// semaphore holds sessions back whatever their number.
fn in_flight(sessions: usize) -> usize {
    (sessions * 128 / 1_000).max(8)
}

struct Shared(Mutex<Option<Server>>);

impl Responder for Shared {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        match self.0.lock().unwrap().as_mut() {
            Some(s) => s.respond(request),
            None => HttpResponse {
                status: 503,
                headers: Default::default(),
                body: Vec::new().into(),
            },
        }
    }
}

fn device(url: &str, i: usize) -> Client {
    let s = scenario("session/get-replace");
    let mut c = peers::client_config(&s, url, &BTreeSet::new());
    c.session_id = (i + 1).to_string();
    c.dev_info = DevInfo {
        dev_id: format!("IMEI:{i:015}"),
        model: format!("model-{i}"),
        ..peers::reference_dev_info()
    };
    Client::new(c)
}

async fn session(mut client: Client, gate: Arc<Semaphore>, limits: Limits) -> (bool, usize) {
    let mut n = 0;
    let mut out = client.start();
    while n < 16 {
        let ex = {
            let _permit = gate.acquire().await.expect("semaphore open");
            dmct_net::post(&out.url, out.headers.clone(), out.body.clone(), &limits).await
        };
        n += 1;
        match client.on_response(ex.response.as_ref()) {
            ClientStep::Send(next) => out = next,
            ClientStep::Done(_) => break,
        }
    }
    (client.completed(), n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_sessions_through_the_proxy_all_complete() {
    let sessions = sessions();
    let s = scenario("session/get-replace");
    let limits = Limits {
        max_body: 64 * 1024,
        exchange_timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    let shared = Arc::new(Shared(Mutex::new(None)));
    let upstream = dmct_net::serve(loopback(), shared.clone(), limits.clone())
        .await
        .unwrap();
    let up_url = format!("{}/dm", upstream.url());
    *shared.0.lock().unwrap() = Some(Server::new(
        peers::server_config(&up_url, peers::default_client_creds(), &BTreeSet::new()),
        s.server.clone(),
    ));
    // Live checking stays on: the checker thread judges what it can keep up with. The
    // proxy serves on two threads of its own, as `dmct proxy` does (one per core): a
    // session's requests land on either, each with its own upstream pool.
    let (proxy, events) = proxy(&up_url, |c| {
        c.limits = limits.clone();
        c.threads = 2;
    })
    .await;
    let url = format!("{}/dm", proxy.url());

    let start = Instant::now();
    let gate = Arc::new(Semaphore::new(in_flight(sessions)));
    let tasks: Vec<_> = (0..sessions)
        .map(|i| tokio::spawn(session(device(&url, i), gate.clone(), limits.clone())))
        .collect();
    let mut exchanges = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let (completed, n) = t.await.unwrap();
        assert!(completed, "session {i}");
        exchanges += n;
    }
    let elapsed = start.elapsed();
    proxy.wait_completed(sessions).await;
    assert_eq!(proxy.completed(), sessions);
    let records = proxy.stop().await;
    assert_eq!(records.len(), sessions);
    let kept: usize = records.iter().map(|r| r.transcript.exchanges.len()).sum();
    assert_eq!(kept, exchanges);
    for (i, r) in records.iter().enumerate() {
        assert!(r.completed, "{i}");
        let SessionKey::Dm { session_id, client } = &r.key else {
            panic!("{:?}", r.key)
        };
        let n: usize = session_id.parse().unwrap();
        assert_eq!(client, &format!("IMEI:{:015}", n - 1));
        for ex in &r.transcript.exchanges {
            let m = dmct_proto::decode(ex.request.body.as_bytes())
                .unwrap()
                .message;
            assert_eq!(&m.hdr.session_id, session_id);
            let a = dmct_proto::decode(ex.response.as_ref().unwrap().body.as_bytes())
                .unwrap()
                .message;
            assert_eq!(&a.hdr.session_id, session_id);
            assert_eq!(&a.hdr.target.loc_uri, client);
        }
    }
    // A sample of the records judged in full: conformant peers, no failure.
    for r in records.iter().step_by((sessions / 10).max(1)) {
        let f = findings(r);
        assert!(failures(&f).is_empty(), "{:?}: {:#?}", r.key, failures(&f));
    }
    assert!(
        events.failed_rules().is_empty(),
        "{:?}",
        events.failed_rules()
    );
    upstream.shutdown().await;
    eprintln!(
        "{sessions} sessions, {exchanges} exchanges through the proxy in {elapsed:?} ({:.0} sessions/s)",
        sessions as f64 / elapsed.as_secs_f64()
    );
}
