//! The listener against clients that misbehave on real loopback sockets: too much body,
//! bytes that are not HTTP, a body cut short, a peer dribbling one byte at a time, a
//! content type no DM peer would send; and against too many at once: a burst of
//! connections beyond the default listen backlog, a process out of file descriptors.
//! Each test checks what the server recorded (an exchange whose request arrived, kept as
//! far as it came, with the failure named) and that the server still answers a good
//! request afterwards.
//!
//! Raw `TcpStream` writes stand in where hyper's client would not misbehave.

use dmct_net::*;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers 200 to anything: these tests are about HTTP, not DM.
struct Ok200;

impl Responder for Ok200 {
    fn respond(&self, _: &HttpRequest) -> HttpResponse {
        let mut headers = Headers::default();
        headers.push("Content-Type", "text/plain");
        HttpResponse {
            status: 200,
            headers,
            body: b"ok\n".to_vec().into(),
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

async fn server(l: Limits) -> ServeHandle {
    serve("127.0.0.1:0".parse().unwrap(), Arc::new(Ok200), l)
        .await
        .unwrap()
}

/// Bytes that show where a kept prefix was cut: no two neighbours alike.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// Read until the peer closes (or resets) or `wait` passes; what came, and whether the
/// connection ended.
async fn read_until_closed(s: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let closed = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

/// A good POST after the bad input: answered 200 quickly, recorded with no failure. The
/// record is drained first, so this sees only its own exchange.
async fn still_serves(srv: &ServeHandle) {
    srv.recorder().take();
    let url = format!("http://{}/dm/after", srv.local_addr());
    let start = Instant::now();
    let ex = post(
        &url,
        Headers::default(),
        b"good".to_vec(),
        &limits(5000, 1024),
    )
    .await;
    assert_eq!(ex.failure, None, "{:?}", ex.failure);
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let seen = srv.recorder().take();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].request.target, "/dm/after");
    assert_eq!(seen[0].request.body.as_bytes(), b"good");
    assert_eq!(seen[0].failure, None);
}

/// Wait (bounded) for the listener to have recorded `n` exchanges; they are taken.
async fn recorded(srv: &ServeHandle, n: usize) -> Vec<Exchange> {
    let rec = srv.recorder();
    let deadline = Instant::now() + Duration::from_secs(5);
    while rec.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        if !rec.wait_beyond(rec.len(), left).await {
            break;
        }
    }
    rec.take()
}

#[tokio::test]
async fn a_body_over_max_body_is_a_413_recorded_with_its_first_bytes() {
    let srv = server(limits(2000, 1024)).await;
    let url = format!("http://{}/dm", srv.local_addr());
    let body = pattern(4096);
    let ex = post(
        &url,
        Headers::default(),
        body.clone(),
        &limits(5000, 1 << 20),
    )
    .await;
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(413), "{ex:?}");
    let seen = recorded(&srv, 1).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].failure,
        Some(ExchangeFailure::BodyTooLarge { limit: 1024 })
    );
    // Exactly the first max_body bytes are kept, in order.
    assert_eq!(seen[0].request.body.as_bytes(), &body[..1024]);
    assert_eq!(seen[0].request.headers.get("content-length"), Some("4096"));
    assert_eq!(seen[0].response.as_ref().map(|r| r.status), Some(413));
    still_serves(&srv).await;

    // Far over the limit: the server answers before the client has sent it all.
    let big = pattern(4 << 20);
    let mut s = TcpStream::connect(srv.local_addr()).await.unwrap();
    let head = format!(
        "POST /dm/big HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        big.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        // Fails (reset or broken pipe) once the server stops reading; that is fine.
        let _ = wr.write_all(&big).await;
        wr
    });
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), rd.read_to_end(&mut out)).await;
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 413"), "{out:?}");
    let _ = writer.await;
    let seen = recorded(&srv, 1).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].failure,
        Some(ExchangeFailure::BodyTooLarge { limit: 1024 })
    );
    assert_eq!(seen[0].request.target, "/dm/big");
    assert_eq!(seen[0].request.body.as_bytes(), &pattern(1024)[..]);
    still_serves(&srv).await;
    srv.shutdown().await;
}

#[tokio::test]
async fn bytes_that_are_not_http_are_refused_unrecorded_and_harm_nothing() {
    let srv = server(limits(1000, 1024)).await;
    let garbage: [&[u8]; 6] = [
        b"\x00\xff\xfe\x01not http at all\r\n\r\n",
        // A TLS ClientHello's first bytes on the plain port.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"POST\r\n\r\n",
        b"POST /dm HTTP/9.9\r\nHost: x\r\n\r\n",
        b"POST /dm HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
        b"POST /dm HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    ];
    for g in garbage {
        let mut s = TcpStream::connect(srv.local_addr()).await.unwrap();
        s.write_all(g).await.unwrap();
        let (out, closed) = read_until_closed(&mut s, Duration::from_secs(3)).await;
        assert!(closed, "the connection stays open after {g:?}");
        assert!(
            out.is_empty() || out.starts_with("HTTP/1.1 400"),
            "{g:?} -> {out:?}"
        );
        // No HTTP request was seen, so there is nothing to record.
        assert!(srv.recorder().is_empty(), "{g:?} was recorded");
    }
    still_serves(&srv).await;
    srv.shutdown().await;
}

#[tokio::test]
async fn a_body_cut_short_is_recorded_as_far_as_it_came() {
    let srv = server(limits(2000, 1024)).await;
    let head = b"POST /dm/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";

    // Half-closed: the client can still read the answer.
    let mut s = TcpStream::connect(srv.local_addr()).await.unwrap();
    s.write_all(head).await.unwrap();
    s.write_all(b"0123456789").await.unwrap();
    s.shutdown().await.unwrap();
    let (out, closed) = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(closed);
    assert!(out.starts_with("HTTP/1.1 400"), "{out:?}");
    let seen = recorded(&srv, 1).await;
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].request.target, "/dm/cut");
    assert_eq!(seen[0].request.body.as_bytes(), b"0123456789");
    assert!(
        matches!(
            seen[0].failure,
            Some(ExchangeFailure::ConnectionClosed { .. })
        ),
        "{:?}",
        seen[0].failure
    );
    assert_eq!(seen[0].response.as_ref().map(|r| r.status), Some(400));
    still_serves(&srv).await;

    // Closed outright: nobody reads the answer, the record is the same.
    let mut s = TcpStream::connect(srv.local_addr()).await.unwrap();
    s.write_all(head).await.unwrap();
    s.write_all(b"abcdefghij").await.unwrap();
    drop(s);
    let seen = recorded(&srv, 1).await;
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].request.body.as_bytes(), b"abcdefghij");
    assert!(
        matches!(
            seen[0].failure,
            Some(ExchangeFailure::ConnectionClosed { .. })
        ),
        "{:?}",
        seen[0].failure
    );
    still_serves(&srv).await;
    srv.shutdown().await;
}

/// Send `bytes` one at a time, `every` apart, until all are sent or a write fails.
async fn dribble(mut wr: tokio::net::tcp::OwnedWriteHalf, bytes: Vec<u8>, every: Duration) {
    for b in bytes {
        if wr.write_all(&[b]).await.is_err() {
            return;
        }
        tokio::time::sleep(every).await;
    }
}

/// `n` slow connections dribbling `bytes`: how long until the server ended each, and
/// what it wrote back.
async fn slowloris(addr: SocketAddr, bytes: &[u8], n: usize) -> Vec<(Duration, String, bool)> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let bytes = bytes.to_vec();
        tasks.spawn(async move {
            let start = Instant::now();
            let s = TcpStream::connect(addr).await.unwrap();
            let (mut rd, wr) = s.into_split();
            let writer = tokio::spawn(dribble(wr, bytes, Duration::from_millis(200)));
            let mut out = Vec::new();
            let closed = tokio::time::timeout(Duration::from_secs(10), async {
                let mut buf = [0u8; 1024];
                loop {
                    match rd.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => out.extend_from_slice(&buf[..k]),
                    }
                }
            })
            .await
            .is_ok();
            writer.abort();
            (
                start.elapsed(),
                String::from_utf8_lossy(&out).into_owned(),
                closed,
            )
        });
    }
    tasks.join_all().await
}

#[tokio::test]
async fn slowloris_is_cut_off_in_bounded_time_while_others_are_served() {
    let srv = server(limits(500, 1024)).await;
    let addr = srv.local_addr();

    // A head dribbled byte by byte: hyper's header read timeout closes the connection;
    // no request was ever complete enough to record.
    let head = b"POST /dm/slow-head HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd".to_vec();
    let slow = tokio::spawn(async move { slowloris(addr, &head, 20).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Meanwhile a good client is served at once.
    let url = format!("http://{addr}/dm/meanwhile");
    let start = Instant::now();
    let ex = post(
        &url,
        Headers::default(),
        b"good".to_vec(),
        &limits(5000, 1024),
    )
    .await;
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200), "{ex:?}");
    let prompt = start.elapsed();
    assert!(prompt < Duration::from_secs(1), "{prompt:?}");
    for (took, out, closed) in slow.await.unwrap() {
        assert!(closed, "slow head still open after {took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(!out.contains("200"), "{out:?}");
    }
    let seen = srv.recorder().take();
    assert_eq!(
        seen.iter()
            .map(|e| e.request.target.as_str())
            .collect::<Vec<_>>(),
        ["/dm/meanwhile"]
    );

    // A quick head, then the body dribbled: a recorded timeout (408) with what came.
    let mut req = b"POST /dm/slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n".to_vec();
    req.extend_from_slice(&[b'z'; 100]);
    let head_len = req.len() - 100;
    let slow = tokio::spawn(async move {
        let s = TcpStream::connect(addr).await.unwrap();
        let start = Instant::now();
        let (mut rd, mut wr) = s.into_split();
        wr.write_all(&req[..head_len]).await.unwrap();
        let writer = tokio::spawn(dribble(
            wr,
            req[head_len..].to_vec(),
            Duration::from_millis(200),
        ));
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            let mut buf = [0u8; 1024];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => out.extend_from_slice(&buf[..k]),
                }
            }
        })
        .await;
        writer.abort();
        (start.elapsed(), String::from_utf8_lossy(&out).into_owned())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    let ex = post(
        &url,
        Headers::default(),
        b"good".to_vec(),
        &limits(5000, 1024),
    )
    .await;
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200), "{ex:?}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let (took, out) = slow.await.unwrap();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(out.starts_with("HTTP/1.1 408"), "{out:?}");
    let seen = recorded(&srv, 2).await;
    assert_eq!(seen.len(), 2, "{seen:#?}");
    let slow = seen
        .iter()
        .find(|e| e.request.target == "/dm/slow-body")
        .expect("the slow body is recorded");
    assert!(
        matches!(&slow.failure, Some(ExchangeFailure::Timeout { after_ms: 500, awaiting }) if awaiting == "request body"),
        "{:?}",
        slow.failure
    );
    // About 500 ms at 5 bytes a second: the few bytes that came are kept.
    let kept = slow.request.body.as_bytes();
    assert!((1..10).contains(&kept.len()), "{kept:?}");
    assert!(kept.iter().all(|b| *b == b'z'));
    assert_eq!(slow.response.as_ref().map(|r| r.status), Some(408));
    still_serves(&srv).await;
    srv.shutdown().await;
}

#[tokio::test]
async fn a_content_type_no_dm_peer_sends_is_recorded_as_sent() {
    let srv = server(limits(2000, 1024)).await;
    let url = format!("http://{}/dm", srv.local_addr());
    let mut h = Headers::default();
    h.push("Content-Type", "Text/HTML; charset=ISO-8859-1");
    h.push("X-Odd", "  spaced  value ");
    let ex = post(&url, h, b"<html/>".to_vec(), &limits(2000, 1024)).await;
    // The listener is HTTP only; judging the type is the DM layer's business.
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200));
    let seen = recorded(&srv, 1).await;
    assert_eq!(seen.len(), 1);
    let got = &seen[0].request.headers;
    assert_eq!(
        got.get("content-type"),
        Some("Text/HTML; charset=ISO-8859-1")
    );
    assert_eq!(got.media_type(), Some(Ok("text/html".into())));
    assert_eq!(seen[0].request.body.as_bytes(), b"<html/>");
    assert_eq!(seen[0].failure, None);

    // No Content-Type at all is recorded as absent, not defaulted.
    let ex = post(&url, Headers::default(), b"x".to_vec(), &limits(2000, 1024)).await;
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200));
    let seen = recorded(&srv, 1).await;
    assert_eq!(seen[0].request.headers.get("content-type"), None);
    still_serves(&srv).await;
    srv.shutdown().await;
}

/// Set in the child process that runs the descriptor-exhaustion test under a low limit.
const EMFILE_CHILD: &str = "DMCT_NET_EMFILE_CHILD";

/// CPU time this process has used, in clock ticks (USER_HZ, 100 a second on Linux).
#[cfg(target_os = "linux")]
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // utime and stime, fields 14 and 15 of proc(5), counted after the command name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A connection queued while the process has no descriptor left: the listener's accept
/// fails with EMFILE until one is freed. It must wait, not spin a core retrying, and
/// serve the queued connection once descriptors are back. The limit is lowered for a
/// child process (`ulimit -n` in a shell, then this test again) rather than this one.
#[cfg(target_os = "linux")]
#[test]
fn out_of_descriptors_the_listener_waits_instead_of_spinning() {
    const NAME: &str = "out_of_descriptors_the_listener_waits_instead_of_spinning";
    if std::env::var_os(EMFILE_CHILD).is_none() {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -n 256 && exec "$0" "$1" --exact --nocapture --test-threads=1"#)
            .arg(std::env::current_exe().unwrap())
            // libtest's name for it: the module path without the binary's own name.
            .arg(format!(
                "{}::{NAME}",
                module_path!().split_once("::").unwrap().1
            ))
            .env(EMFILE_CHILD, "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let srv = server(limits(5000, 1024)).await;
        let before = cpu_ticks();
        let mut held = Vec::new();
        while let Ok(f) = std::fs::File::open("/dev/null") {
            held.push(f);
        }
        // One descriptor left: the client's socket. The server has none to accept with.
        held.pop();
        let mut s = TcpStream::connect(srv.local_addr()).await.unwrap();
        s.write_all(b"POST /dm/queued HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
            .await
            .unwrap();
        let starved = Instant::now();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        drop(held);
        let (out, closed) = read_until_closed(&mut s, Duration::from_secs(3)).await;
        let starved = starved.elapsed();
        let used = cpu_ticks() - before;
        assert!(closed && out.starts_with("HTTP/1.1 200"), "{out:?}");
        // A spinning accept loop burns a whole core: about 150 ticks here.
        assert!(used < 50, "{used} ticks of CPU in {starved:?} without descriptors");
        let seen = recorded(&srv, 1).await;
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].request.target, "/dm/queued");
        assert_eq!(seen[0].failure, None);
        still_serves(&srv).await;
        srv.shutdown().await;
    });
}

/// Many devices connecting at once, before the listener has accepted any: the kernel
/// queues them all (its backlog is more than the standard library's 128), rather than
/// dropping their handshakes so that each waits a second to retransmit. The runtime is
/// kept busy with blocking connects here, so nothing is accepted until they are all in.
#[test]
fn a_burst_of_connections_is_queued_not_dropped() {
    const BURST: usize = 300;
    let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok());
    if somaxconn.is_some_and(|n| n < BURST) {
        eprintln!("net.core.somaxconn is {somaxconn:?}, below {BURST}: skipped");
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let srv = server(limits(5000, 1024)).await;
        // Blocking connects on the runtime's only thread: the accept loop cannot run.
        let start = Instant::now();
        let conns: Vec<std::net::TcpStream> = (0..BURST)
            .map(|i| {
                std::net::TcpStream::connect_timeout(&srv.local_addr(), Duration::from_millis(500))
                    .unwrap_or_else(|e| panic!("connection {i} not queued: {e}"))
            })
            .collect();
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
        let mut tasks = tokio::task::JoinSet::new();
        for (i, c) in conns.into_iter().enumerate() {
            c.set_nonblocking(true).unwrap();
            let mut s = TcpStream::from_std(c).unwrap();
            tasks.spawn(async move {
                let req = format!(
                    "POST /dm/{i} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                s.write_all(req.as_bytes()).await.unwrap();
                read_until_closed(&mut s, Duration::from_secs(10)).await
            });
        }
        for (out, closed) in tasks.join_all().await {
            assert!(closed && out.starts_with("HTTP/1.1 200"), "{out:?}");
        }
        let seen = recorded(&srv, BURST).await;
        assert_eq!(seen.len(), BURST);
        assert!(seen.iter().all(|e| e.failure.is_none()));
        still_serves(&srv).await;
        srv.shutdown().await;
    });
}
