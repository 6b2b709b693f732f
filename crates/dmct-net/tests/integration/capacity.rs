//! The listener's own limits over real loopback sockets: the budget for request bodies
//! in flight (all connections together) and the cap on open connections. Past either,
//! a request is answered 503 and recorded as refused by the harness, never buffered; the
//! budget comes back after each body, and the listener still serves afterwards. Each
//! burst of refusals is told once, not once per refusal.

use dmct_net::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Holds every request a moment before answering 200, so bodies stay in flight together.
struct Slow;

impl AsyncResponder for Slow {
    fn respond(&self, request: HttpRequest) -> AsyncAnswer {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Some(HttpResponse {
                status: 200,
                headers: Headers::default(),
                body: format!("{}\n", request.body.as_bytes().len())
                    .into_bytes()
                    .into(),
            })
        })
    }
}

/// The notices a listener gave.
#[derive(Clone, Default)]
struct Said(Arc<Mutex<Vec<String>>>);

impl Said {
    fn notices(&self) -> Notices {
        let said = self.0.clone();
        Notices::to(move |line| said.lock().unwrap().push(line.to_owned()))
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn limits(max_body: usize, max_inflight: usize, max_connections: usize, said: &Said) -> Limits {
    Limits {
        max_body,
        exchange_timeout: Duration::from_secs(5),
        max_inflight,
        max_connections,
        connections_fit_nofile: false,
        notices: said.notices(),
    }
}

fn client() -> Limits {
    Limits {
        max_body: 1 << 20,
        exchange_timeout: Duration::from_secs(10),
        ..Limits::default()
    }
}

async fn server(l: Limits) -> ServeHandle {
    serve_async("127.0.0.1:0".parse().unwrap(), Arc::new(Slow), l, None)
        .await
        .unwrap()
}

/// Read until the peer closes (or resets) or `wait` passes.
async fn read_all(s: &mut TcpStream, wait: Duration) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A good POST of `n` bytes: answered 200 with its length.
async fn serves(srv: &ServeHandle, n: usize) {
    let ex = post(
        &format!("{}/dm/after", srv.url()),
        Headers::default(),
        vec![b'g'; n],
        &client(),
    )
    .await;
    assert_eq!(ex.failure, None, "{:?}", ex.failure);
    let r = ex.response.unwrap();
    assert_eq!(
        (r.status, r.body.as_bytes()),
        (200, format!("{n}\n").as_bytes())
    );
}

fn is_refusal(e: &Exchange) -> bool {
    matches!(e.failure, Some(ExchangeFailure::HarnessRefused { .. }))
        && e.response.as_ref().map(|r| r.status) == Some(503)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_large_bodies_at_once_past_the_budget_are_refused_not_buffered() {
    const BODY: usize = 256 * 1024;
    const BUDGET: usize = 4 * BODY;
    const CLIENTS: usize = 32;
    let said = Said::default();
    let srv = server(limits(BODY, BUDGET, 1024, &said)).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        let url = format!("{}/dm/{i}", srv.url());
        tasks.spawn(
            async move { post(&url, Headers::default(), vec![b'x'; BODY], &client()).await },
        );
    }
    // What the listener holds, sampled all through the burst.
    let mut peak = 0;
    let started = Instant::now();
    let mut statuses = Vec::new();
    while !tasks.is_empty() {
        peak = peak.max(srv.bytes_in_flight());
        tokio::select! {
            Some(Ok(ex)) = tasks.join_next() => {
                statuses.push(ex.response.map(|r| r.status));
            }
            _ = tokio::time::sleep(Duration::from_millis(2)) => {}
        }
    }
    // A client still sending when the listener answers 503 and closes may see its
    // connection reset before the answer; none sees anything else.
    assert!(
        statuses.iter().all(|s| matches!(s, Some(200 | 503) | None)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&Some(503)), "{statuses:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(peak <= BUDGET, "{peak} bytes held, the budget is {BUDGET}");
    assert!(peak > 0, "nothing was seen in flight");

    let seen = srv.recorder().take();
    assert_eq!(seen.len(), CLIENTS, "every request is recorded");
    let refused: Vec<_> = seen.iter().filter(|e| is_refusal(e)).collect();
    let answered = seen.iter().filter(|e| e.failure.is_none()).count();
    assert!(!refused.is_empty(), "none refused: {answered} answered");
    assert!(answered >= 1, "none answered");
    assert_eq!(refused.len() + answered, CLIENTS);
    assert_eq!(srv.refused_bodies(), refused.len());
    for e in &refused {
        // Refused on its declared length: not a byte of it was kept.
        assert!(e.request.body.as_bytes().is_empty());
        let r = e.response.as_ref().unwrap();
        assert_eq!(r.headers.get("retry-after"), Some("5"));
        assert!(
            String::from_utf8_lossy(r.body.as_bytes()).contains("try again later"),
            "{r:?}"
        );
    }
    // The budget came back whole: a body as large as it still fits.
    assert_eq!(srv.bytes_in_flight(), 0);
    srv.recorder().take();
    serves(&srv, BODY).await;
    // One line when the burst began; the count once it is over (a second of quiet).
    let lines = said.lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("--max-inflight-bytes"), "{lines:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    serves(&srv, 10).await;
    let lines = said.lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[1].starts_with(&format!("dmct: {} request bod", refused.len())),
        "{lines:?}"
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn a_chunked_body_past_the_budget_is_cut_off_with_a_503_and_kept_as_far_as_it_came() {
    let said = Said::default();
    // The budget is below the largest body: a body without a declared length is taken
    // byte by byte until the budget runs out.
    let srv = server(limits(1 << 20, 64 * 1024, 1024, &said)).await;
    let mut s = TcpStream::connect(srv.local_addr()).await.unwrap();
    s.write_all(b"POST /dm/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = vec![b'c'; 16 * 1024];
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        for _ in 0..16 {
            let head = format!("{:x}\r\n", chunk.len());
            if wr.write_all(head.as_bytes()).await.is_err()
                || wr.write_all(&chunk).await.is_err()
                || wr.write_all(b"\r\n").await.is_err()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = wr.write_all(b"0\r\n\r\n").await;
    });
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), rd.read_to_end(&mut out)).await;
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 503"), "{out:?}");
    let _ = writer.await;
    let seen = srv.recorder().take();
    assert_eq!(seen.len(), 1);
    assert!(is_refusal(&seen[0]), "{:?}", seen[0].failure);
    let kept = seen[0].request.body.as_bytes().len();
    assert!(kept > 0 && kept <= 64 * 1024, "{kept}");
    assert_eq!(srv.bytes_in_flight(), 0);
    serves(&srv, 1000).await;
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_get_a_clear_503_and_the_burst_is_told_once() {
    const CAP: usize = 4;
    const BEYOND: usize = 10;
    let said = Said::default();
    let srv = server(limits(1024, 1 << 20, CAP, &said)).await;
    // CAP idle keep-alive connections fill the listener.
    let mut idle = Vec::new();
    for _ in 0..CAP {
        idle.push(TcpStream::connect(srv.local_addr()).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..BEYOND {
        let addr = srv.local_addr();
        tasks.spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let req = format!("POST /dm/{i} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
            s.write_all(req.as_bytes()).await.unwrap();
            read_all(&mut s, Duration::from_secs(5)).await
        });
    }
    for out in tasks.join_all().await {
        assert!(out.starts_with("HTTP/1.1 503"), "{out:?}");
        assert!(out.contains("connection: close"), "{out:?}");
        assert!(
            out.contains("at its limit of open connections (4)"),
            "{out:?}"
        );
    }
    assert_eq!(srv.refused_connections(), BEYOND);
    let seen = srv.recorder().take();
    assert_eq!(seen.len(), BEYOND);
    assert!(seen.iter().all(is_refusal), "{seen:#?}");
    // One line for the burst, not one per connection.
    let lines = said.lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("--max-connections"), "{lines:?}");
    // Once connections close, new ones are served again, and the burst is counted.
    drop(idle);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    serves(&srv, 100).await;
    let lines = said.lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[1].starts_with("dmct: 10 connections were refused"),
        "{lines:?}"
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn a_body_being_received_holds_its_declared_length_until_answered() {
    let said = Said::default();
    let srv = server(limits(1024, 1024, 1024, &said)).await;
    // Declares the whole budget and sends half: the listener holds 1024 bytes for it.
    let mut slow = TcpStream::connect(srv.local_addr()).await.unwrap();
    slow.write_all(b"POST /dm/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n")
        .await
        .unwrap();
    slow.write_all(&[b's'; 512]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while srv.bytes_in_flight() < 1024 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(srv.bytes_in_flight(), 1024);
    let raw = |target: &'static str, len: usize| {
        let addr = srv.local_addr();
        async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let head =
                format!("POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\n\r\n");
            s.write_all(head.as_bytes()).await.unwrap();
            // The answer comes on the head alone: nothing of the body is sent.
            read_all(&mut s, Duration::from_secs(5)).await
        }
    };
    // Too large for any budget: the peer's to know (413), not a refusal of the harness's.
    let big = raw("/dm/big", 4096).await;
    assert!(big.starts_with("HTTP/1.1 413"), "{big:?}");
    // Within max_body, but the budget is taken: 503, come back later.
    let small = raw("/dm/small", 100).await;
    assert!(small.starts_with("HTTP/1.1 503"), "{small:?}");
    assert!(
        small.to_ascii_lowercase().contains("retry-after: 5"),
        "{small:?}"
    );
    // The first body, once whole, is answered, and its budget comes back.
    slow.write_all(&[b's'; 512]).await.unwrap();
    let answer = read_all(&mut slow, Duration::from_millis(1500)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(answer.ends_with("1024\n"), "{answer:?}");
    assert_eq!(srv.bytes_in_flight(), 0);
    let seen = srv.recorder().take();
    let by = |t: &str| seen.iter().find(|e| e.request.target == t).unwrap();
    assert_eq!(
        by("/dm/big").failure,
        Some(ExchangeFailure::BodyTooLarge { limit: 1024 })
    );
    assert!(is_refusal(by("/dm/small")));
    assert_eq!(by("/dm/slow").failure, None);
    serves(&srv, 1024).await;
    srv.shutdown().await;
}
