//! dmct-net over real loopback sockets: recording, limits, and peers that misbehave.

use dmct_net::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Echo;

impl Responder for Echo {
    fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let mut headers = Headers::default();
        headers.push("X-Echo-Target", req.target.clone());
        HttpResponse {
            status: 200,
            headers,
            body: req.body.clone(),
        }
    }
}

fn limits(ms: u64, max_body: usize) -> Limits {
    Limits {
        max_body,
        exchange_timeout: Duration::from_millis(ms),
        ..Limits::default()
    }
}

async fn echo_server(l: Limits) -> ServeHandle {
    serve("127.0.0.1:0".parse().unwrap(), Arc::new(Echo), l)
        .await
        .unwrap()
}

/// Send raw bytes, read until the peer closes or `wait` passes.
async fn raw(addr: std::net::SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn post_and_serve_record_the_same_exchange() {
    let srv = echo_server(limits(2000, 1024)).await;
    let url = format!("http://{}/dm/x?y=1", srv.local_addr());
    let mut h = Headers::default();
    h.push("Content-Type", "application/vnd.syncml.dm+xml");
    let ex = post(&url, h, b"<SyncML/>".to_vec(), &limits(2000, 1024)).await;
    assert_eq!(ex.failure, None);
    let resp = ex.response.as_ref().unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body.as_bytes(), b"<SyncML/>");
    assert_eq!(resp.headers.get("x-echo-target"), Some("/dm/x?y=1"));
    assert_eq!(ex.request.target, "/dm/x?y=1");
    let seen = srv.recorder().take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request.body, ex.request.body);
    assert_eq!(
        seen[0].request.headers.get("content-type"),
        Some("application/vnd.syncml.dm+xml")
    );
    assert!(srv.recorder().is_empty());
    srv.shutdown().await;
}

#[tokio::test]
async fn keep_alive_requests_on_one_connection_are_all_recorded() {
    let srv = echo_server(limits(2000, 1024)).await;
    let req = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    let close = "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nho";
    let out = raw(
        srv.local_addr(),
        format!("{req}{close}").as_bytes(),
        Duration::from_secs(2),
    )
    .await;
    assert_eq!(out.matches("HTTP/1.1 200").count(), 2, "{out}");
    let seen = srv.recorder().take();
    assert_eq!(
        seen.iter()
            .map(|e| e.request.target.as_str())
            .collect::<Vec<_>>(),
        ["/a", "/b"]
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn a_stalled_request_body_is_a_recorded_timeout_and_a_408() {
    let srv = echo_server(limits(300, 1024)).await;
    let out = raw(
        srv.local_addr(),
        b"POST /dm HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
        Duration::from_secs(3),
    )
    .await;
    assert!(out.starts_with("HTTP/1.1 408"), "{out}");
    let seen = srv.recorder().take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request.body.as_bytes(), b"0123456789");
    assert!(
        matches!(seen[0].failure, Some(ExchangeFailure::Timeout { .. })),
        "{:?}",
        seen[0].failure
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_and_recorded_both_ways() {
    let srv = echo_server(limits(2000, 8)).await;
    let url = format!("http://{}/dm", srv.local_addr());
    let ex = post(
        &url,
        Headers::default(),
        vec![b'a'; 64],
        &limits(2000, 1024),
    )
    .await;
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(413));
    let seen = srv.recorder().take();
    assert_eq!(
        seen[0].failure,
        Some(ExchangeFailure::BodyTooLarge { limit: 8 })
    );
    assert_eq!(seen[0].request.body.as_bytes().len(), 8);
    srv.shutdown().await;

    // A server that announces a huge body.
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            .await;
        let _ = s.write_all(&[b'x'; 4096]).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    });
    let ex = post(
        &format!("http://{addr}/"),
        Headers::default(),
        vec![],
        &limits(2000, 100),
    )
    .await;
    assert_eq!(
        ex.failure,
        Some(ExchangeFailure::BodyTooLarge { limit: 100 })
    );
    assert_eq!(ex.response.unwrap().body.as_bytes().len(), 100);
}

#[tokio::test]
async fn a_client_meets_silence_a_closed_connection_a_closed_port_and_https() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let ex = post(
        &format!("http://{silent}/"),
        Headers::default(),
        vec![],
        &limits(300, 100),
    )
    .await;
    assert!(
        matches!(&ex.failure, Some(ExchangeFailure::Timeout { awaiting, .. }) if awaiting == "response"),
        "{:?}",
        ex.failure
    );

    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closing = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            drop(s);
        }
    });
    let ex = post(
        &format!("http://{closing}/"),
        Headers::default(),
        vec![],
        &limits(2000, 100),
    )
    .await;
    assert!(
        matches!(ex.failure, Some(ExchangeFailure::ConnectionClosed { .. })),
        "{:?}",
        ex.failure
    );

    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_port = l.local_addr().unwrap();
    drop(l);
    let ex = post(
        &format!("http://{closed_port}/"),
        Headers::default(),
        vec![],
        &limits(2000, 100),
    )
    .await;
    assert!(
        matches!(ex.failure, Some(ExchangeFailure::Transport { .. })),
        "{:?}",
        ex.failure
    );

    let ex = post(
        "https://127.0.0.1:1/",
        Headers::default(),
        vec![],
        &limits(2000, 100),
    )
    .await;
    assert!(
        matches!(&ex.failure, Some(ExchangeFailure::Transport { detail }) if detail.contains("https"))
    );
}

#[tokio::test]
async fn garbage_does_not_stop_the_server() {
    let srv = echo_server(limits(500, 1024)).await;
    let _ = raw(
        srv.local_addr(),
        b"\x00\xffnot http at all\r\n\r\n",
        Duration::from_millis(500),
    )
    .await;
    let url = format!("http://{}/ok", srv.local_addr());
    let ex = post(&url, Headers::default(), b"x".to_vec(), &limits(2000, 1024)).await;
    assert_eq!(ex.response.map(|r| r.status), Some(200));
    srv.shutdown().await;
}

#[tokio::test]
async fn wait_beyond_wakes_on_a_push_and_times_out_otherwise() {
    let rec = Recorder::default();
    assert!(!rec.wait_beyond(0, Duration::from_millis(50)).await);
    let r2 = rec.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        r2.push(Exchange {
            request: HttpRequest {
                method: "POST".into(),
                target: "/".into(),
                headers: Headers::default(),
                body: Vec::new().into(),
            },
            response: None,
            failure: None,
            time: None,
        });
    });
    assert!(rec.wait_beyond(0, Duration::from_secs(5)).await);
    assert_eq!(rec.len(), 1);
}

#[tokio::test]
async fn shutdown_returns_with_an_idle_keep_alive_connection_open() {
    let srv = echo_server(limits(60_000, 1024)).await;
    let mut s = TcpStream::connect(srv.local_addr()).await.unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    let _ = s.read(&mut buf).await;
    tokio::time::timeout(Duration::from_secs(5), srv.shutdown())
        .await
        .expect("shutdown is bounded");
}
