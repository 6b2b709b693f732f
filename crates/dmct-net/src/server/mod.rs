//! The harness as HTTP(S) server: one task per connection, HTTP/1.1 keep-alive, every
//! request recorded with the response it got.
//!
//! The protocol logic is a [`Responder`] (synchronous: the reference engines) or an
//! [`AsyncResponder`] (one that awaits something, such as the proxy awaiting its
//! upstream). Both share the listener, the connection handling and the recording.

use crate::tls::ServerTls;
use crate::{BodyEnd, Limits, NetError, Notices, Recorder, headers_of, read_body_held};
use bytes::Bytes;
use dmct_proto::transcript::{Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

mod capacity;
mod exchange;

pub use capacity::HeldBytes;
use capacity::*;
use exchange::handle;

/// The connection a request came on: who sent it, as far as the listener knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// The peer's address (IP and port) as accepted.
    pub remote: Option<SocketAddr>,
    /// The subject of the client certificate the TLS handshake verified, if any.
    pub client_cert: Option<Arc<str>>,
}

/// The protocol logic behind the listener.
pub trait Responder: Send + Sync + 'static {
    /// Called once per complete request. Must not block for long.
    fn respond(&self, request: &HttpRequest) -> HttpResponse;

    /// As [`respond`](Self::respond), told the subject of the client certificate the TLS
    /// handshake verified, if any (transport-layer client authentication). The default
    /// ignores it.
    fn respond_on(&self, request: &HttpRequest, client_cert: Option<&str>) -> HttpResponse {
        let _ = client_cert;
        self.respond(request)
    }

    /// As [`respond_on`](Self::respond_on), told the whole [`Connection`] (the peer's
    /// address too). The default ignores the address.
    fn respond_from(&self, request: &HttpRequest, conn: &Connection) -> HttpResponse {
        self.respond_on(request, conn.client_cert.as_deref())
    }

    /// Told of a request that never reached the responder because its body was not
    /// received (too large, broken off, too slow), with the answer the listener gave.
    /// The default ignores it.
    fn refused(&self, exchange: &Exchange, conn: &Connection) {
        let _ = (exchange, conn);
    }
}

/// What an [`AsyncResponder`] gives back: the response, or `None` to close the
/// connection without answering (recorded as [`ExchangeFailure::ConnectionClosed`]).
pub type AsyncAnswer = Pin<Box<dyn Future<Output = Option<HttpResponse>> + Send>>;

/// Protocol logic that awaits something (an upstream server, a timer) before it answers.
/// The listener reads the whole request first (within [`Limits`]), then awaits the
/// answer; the connection's other requests wait (HTTP/1.1), other connections do not.
/// When the peer closes its connection before the answer is ready, the answer's future
/// is dropped: work that must finish whatever the peer does (recording, as the proxy's)
/// belongs in a task of its own.
pub trait AsyncResponder: Send + Sync + 'static {
    /// Called once per complete request.
    fn respond(&self, request: HttpRequest) -> AsyncAnswer;

    /// As [`respond`](Self::respond), told the [`Connection`] the request came on. The
    /// default ignores it.
    fn respond_from(&self, request: HttpRequest, conn: &Connection) -> AsyncAnswer {
        let _ = conn;
        self.respond(request)
    }

    /// As [`respond_from`](Self::respond_from), handed the budget the request's body
    /// holds ([`Limits::max_inflight`]): work that outlives the connection (a relay in a
    /// task of its own) keeps it until done, so a peer that hangs up does not free
    /// budget whose bytes are still held. The default holds it until the answer is ready.
    fn respond_holding(
        &self,
        request: HttpRequest,
        conn: &Connection,
        held: HeldBytes,
    ) -> AsyncAnswer {
        let answer = self.respond_from(request, conn);
        Box::pin(async move {
            let answer = answer.await;
            drop(held);
            answer
        })
    }

    /// Told of a request that never reached [`respond`](Self::respond) because its body
    /// was not received (too large, broken off, too slow), with the answer the listener
    /// gave. The default ignores it.
    fn refused(&self, exchange: &Exchange) {
        let _ = exchange;
    }
}

/// The logic behind one listener.
#[derive(Clone)]
enum Logic {
    Sync(Arc<dyn Responder>),
    Async(Arc<dyn AsyncResponder>),
}

pub struct ServeHandle {
    local_addr: SocketAddr,
    tls: bool,
    recorder: Recorder,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ServeHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `"https"` when serving TLS, else `"http"`.
    pub fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }

    /// Base URL for clients on this machine: `http://127.0.0.1:PORT` or
    /// `https://127.0.0.1:PORT`. The host is the IP literal (loopback when bound to an
    /// unspecified address), which a certificate from [`ServerTls::generate`] matches when
    /// given that address among its names; with a certificate from files, use the host
    /// name it was issued for instead.
    pub fn url(&self) -> String {
        let mut a = self.local_addr;
        if a.ip().is_unspecified() {
            a.set_ip(match a {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("{}://{a}", self.scheme())
    }

    /// What the listener recorded. Empty (and always so) for a listener started with
    /// [`serve_async_unrecorded`].
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Requests refused so far for want of in-flight body budget
    /// ([`Limits::max_inflight`]).
    pub fn refused_bodies(&self) -> usize {
        self.shared.over_budget.total()
    }

    /// Connections refused so far over [`Limits::max_connections`].
    pub fn refused_connections(&self) -> usize {
        self.shared.over_cap.total()
    }

    /// Bytes of request bodies held right now, all connections together.
    pub fn bytes_in_flight(&self) -> usize {
        self.shared
            .max_inflight
            .saturating_sub(self.shared.budget.available_permits())
    }

    /// Stop accepting; in-flight exchanges get a moment to finish, then connections
    /// (idle keep-alive ones included) are closed.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        let _ = self.task.await;
    }
}

/// How long in-flight exchanges may take to finish at shutdown.
const DRAIN: Duration = Duration::from_millis(500);

/// Pause after an accept failed for want of resources (descriptors, memory).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Accept errors that concern one connection, not the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    )
}

/// Plain HTTP; the same as [`serve_with`] without TLS.
pub async fn serve(
    addr: SocketAddr,
    responder: Arc<dyn Responder>,
    limits: Limits,
) -> Result<ServeHandle, NetError> {
    serve_with(addr, responder, limits, None).await
}

/// Listen on `addr`, speaking HTTPS when `tls` is given. A TLS handshake must finish
/// within `limits.exchange_timeout`; one that fails or stalls drops that connection only
/// and is not recorded (no HTTP request was seen).
pub async fn serve_with(
    addr: SocketAddr,
    responder: Arc<dyn Responder>,
    limits: Limits,
    tls: Option<ServerTls>,
) -> Result<ServeHandle, NetError> {
    start(addr, Logic::Sync(responder), limits, tls, true)
}

/// As [`serve_with`], with logic that awaits before it answers; every exchange is
/// recorded.
pub async fn serve_async(
    addr: SocketAddr,
    responder: Arc<dyn AsyncResponder>,
    limits: Limits,
    tls: Option<ServerTls>,
) -> Result<ServeHandle, NetError> {
    start(addr, Logic::Async(responder), limits, tls, true)
}

/// As [`serve_async`], without the listener's own record: for logic that keeps its own
/// (the proxy), so a long run does not hold every exchange twice. Requests refused
/// before the logic saw them still reach [`AsyncResponder::refused`].
pub async fn serve_async_unrecorded(
    addr: SocketAddr,
    responder: Arc<dyn AsyncResponder>,
    limits: Limits,
    tls: Option<ServerTls>,
) -> Result<ServeHandle, NetError> {
    start(addr, Logic::Async(responder), limits, tls, false)
}

/// As [`serve_async_unrecorded`], its connections served on `threads` threads of the
/// listener's own (named `dmct-serve-N`), each a single-threaded runtime accepting from
/// the one socket, as nginx's worker processes do: a request is read, answered and its
/// tasks run on one thread, with none of a work-stealing runtime's hand-overs (the proxy
/// measured about a sixth less CPU per request so). The caller's runtime only waits for
/// them at shutdown. With `threads` 0, the same as [`serve_async_unrecorded`].
pub async fn serve_async_unrecorded_threads(
    addr: SocketAddr,
    responder: Arc<dyn AsyncResponder>,
    limits: Limits,
    tls: Option<ServerTls>,
    threads: usize,
) -> Result<ServeHandle, NetError> {
    start_on(addr, Logic::Async(responder), limits, tls, false, threads)
}

fn start(
    addr: SocketAddr,
    logic: Logic,
    limits: Limits,
    tls: Option<ServerTls>,
    record: bool,
) -> Result<ServeHandle, NetError> {
    start_on(addr, logic, limits, tls, record, 0)
}

/// A thread's single-threaded runtime, shut down without waiting when it is dropped
/// unused (a runtime dropped in the caller's async context would panic).
struct Unused(Option<tokio::runtime::Runtime>);

impl Drop for Unused {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// A runtime for one serving thread and the listener registered with it. Each step that
/// can fail (a descriptor, memory: a tight limit) is taken before the thread starts, so a
/// thread that starts serves.
fn serving_runtime(listener: &std::net::TcpListener) -> Option<(Unused, TcpListener)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let rt = Unused(Some(rt));
    let socket = listener.try_clone().ok()?;
    let l = {
        let _in = rt.0.as_ref()?.enter();
        TcpListener::from_std(socket).ok()?
    };
    Some((rt, l))
}

/// The accept loops of a listener served on threads of its own, one per thread; done
/// when every thread's loop is. Fewer threads serve when some cannot start; when none
/// can, the listener is served on the caller's runtime, as with no threads asked for.
fn accept_on_threads(
    listener: TcpListener,
    threads: usize,
    run: impl Fn(TcpListener) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'static,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = listener.into_std()?;
    let run = Arc::new(run);
    let mut done = Vec::with_capacity(threads);
    for i in 0..threads {
        let Some((mut rt, l)) = serving_runtime(&listener) else {
            break;
        };
        let run = run.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name(format!("dmct-serve-{i}"))
            .spawn(move || {
                if let Some(rt) = rt.0.take() {
                    rt.block_on(run(l));
                }
                let _ = tx.send(());
            });
        if spawned.is_err() {
            break;
        }
        done.push(rx);
    }
    if done.is_empty() {
        return Ok(tokio::spawn(run(TcpListener::from_std(listener)?)));
    }
    Ok(tokio::spawn(async move {
        for rx in done {
            let _ = rx.await;
        }
    }))
}

fn start_on(
    addr: SocketAddr,
    logic: Logic,
    limits: Limits,
    tls: Option<ServerTls>,
    record: bool,
    threads: usize,
) -> Result<ServeHandle, NetError> {
    let bind_err = |e: std::io::Error| NetError::Bind {
        addr,
        reason: crate::io_words(&e),
    };
    let listener = listen(addr).map_err(bind_err)?;
    let local_addr = listener.local_addr().map_err(bind_err)?;
    let recorder = Recorder::default();
    let (stop, stop_rx) = watch::channel(false);
    let is_tls = tls.is_some();
    let acceptor = tls.map(|t| tokio_rustls::TlsAcceptor::from(t.config()));
    let shared = Arc::new(Shared::new(&limits, recorder.clone()));
    let recording = record.then(|| recorder.clone());
    let task = if threads == 0 {
        tokio::spawn(accept_loop(
            listener,
            acceptor,
            logic,
            limits,
            recording,
            shared.clone(),
            stop_rx,
        ))
    } else {
        let shared = shared.clone();
        accept_on_threads(listener, threads, move |l| {
            Box::pin(accept_loop(
                l,
                acceptor.clone(),
                logic.clone(),
                limits.clone(),
                recording.clone(),
                shared.clone(),
                stop_rx.clone(),
            ))
        })
        .map_err(bind_err)?
    };
    Ok(ServeHandle {
        local_addr,
        tls: is_tls,
        recorder,
        shared,
        stop,
        task,
    })
}

/// Connections the kernel may queue before they are accepted. The standard library's
/// (and tokio's) 128 overflows when a few hundred devices connect at once: the kernel
/// drops their handshakes and each waits a second to retransmit. The kernel caps this at
/// `net.core.somaxconn`.
const BACKLOG: u32 = 1024;

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As TcpListener::bind does: a restarted harness can take its port back at once.
    #[cfg(not(windows))]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    logic: Logic,
    limits: Limits,
    recorder: Option<Recorder>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok((stream, remote)) => (stream, remote),
                    // A peer that reset during the handshake costs its connection only.
                    Err(e) if is_connection_error(&e) => continue,
                    // Out of descriptors (EMFILE, ENFILE) or memory: the connection stays
                    // queued and the listener stays readable, so retrying at once would
                    // spin a core. Pause, so connections can finish and free descriptors.
                    // The case waiting on this listener hears of it at once: its peer
                    // is not silent, dmct is deaf.
                    Err(e) => {
                        let words = crate::own_shortage(&e).unwrap_or_else(|| e.to_string());
                        let detail = format!("dmct could not accept a connection: {words}");
                        shared.faults.note_fault(&detail);
                        shared.accept_failed(&detail);
                        tokio::select! {
                            _ = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                            _ = stop.changed() => break,
                        }
                        continue;
                    }
                };
                shared.accept_recovered();
                // Counted here, before the task runs, so a burst cannot overshoot the cap.
                let refuse = shared.open.load(Ordering::SeqCst) >= shared.max_connections;
                if refuse {
                    shared.connection_refused();
                    if shared.refusing.load(Ordering::SeqCst) >= REFUSING_AT_ONCE {
                        drop(stream);
                        continue;
                    }
                } else {
                    shared.connection_admitted(false);
                }
                let slot = Slot::new(&shared, refuse);
                let logic = logic.clone();
                let limits = limits.clone();
                let recorder = recorder.clone();
                let acceptor = acceptor.clone();
                let shared = shared.clone();
                // The handshake runs in the connection's own task, so a peer that
                // never finishes it holds up nobody else.
                conns.spawn(async move {
                    let _slot = slot;
                    let handshake_time = if refuse { REFUSE_TIME } else { limits.exchange_timeout };
                    let work = async move {
                        match acceptor {
                            None => {
                                let conn = Connection { remote: Some(remote), client_cert: None };
                                serve_conn(stream, logic, limits, recorder, conn, shared, refuse)
                                    .await
                            }
                            Some(acceptor) => {
                                let shake = tokio::time::timeout(
                                    handshake_time,
                                    acceptor.accept(stream),
                                );
                                if let Ok(Ok(stream)) = shake.await {
                                    // A certificate here was verified by the handshake
                                    // (ServerTls::requiring_client_cert).
                                    let client_cert = stream
                                        .get_ref()
                                        .1
                                        .peer_certificates()
                                        .and_then(|c| c.first())
                                        .and_then(crate::tls::subject_of);
                                    let client_cert: Option<Arc<str>> = client_cert.map(Arc::from);
                                    let cert = client_cert.as_deref().map(str::to_owned);
                                    let recorder = recorder.map(|r| r.on_connection(cert));
                                    let conn = Connection { remote: Some(remote), client_cert };
                                    serve_conn(
                                        stream, logic, limits, recorder, conn, shared, refuse,
                                    )
                                    .await;
                                }
                            }
                        }
                    };
                    if refuse {
                        let _ = tokio::time::timeout(REFUSE_TIME * 2, work).await;
                    } else {
                        work.await;
                    }
                });
            }
            _ = stop.changed() => break,
            // Reap finished connections so the set does not grow without bound.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} }).await;
    conns.abort_all();
    shared.connection_admitted(true);
    shared.body_admitted(true);
}

/// Serve one connection; over the connection cap (`refuse`), its first request is
/// answered 503 and the connection closed.
async fn serve_conn<S>(
    stream: S,
    logic: Logic,
    limits: Limits,
    recorder: Option<Recorder>,
    conn: Connection,
    shared: Arc<Shared>,
    refuse: bool,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let timeout = if refuse {
        REFUSE_TIME.min(limits.exchange_timeout)
    } else {
        limits.exchange_timeout
    };
    let svc = service_fn(move |req| {
        handle(
            req,
            logic.clone(),
            limits.clone(),
            recorder.clone(),
            conn.clone(),
            shared.clone(),
            refuse,
        )
    });
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .keep_alive(!refuse)
        .serve_connection(TokioIo::new(stream), svc)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Answers after a pause; `drop` in the target closes without an answer.
    #[derive(Default)]
    struct Later {
        refused: Mutex<Vec<Exchange>>,
    }

    impl AsyncResponder for Later {
        fn respond(&self, request: HttpRequest) -> AsyncAnswer {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if request.target.contains("drop") {
                    return None;
                }
                Some(HttpResponse {
                    status: 200,
                    headers: Headers::default(),
                    body: request
                        .body
                        .0
                        .iter()
                        .rev()
                        .copied()
                        .collect::<Vec<u8>>()
                        .into(),
                })
            })
        }

        fn refused(&self, exchange: &Exchange) {
            self.refused.lock().unwrap().push(exchange.clone());
        }
    }

    fn limits() -> Limits {
        Limits {
            max_body: 16,
            exchange_timeout: Duration::from_secs(5),
            ..Limits::default()
        }
    }

    #[tokio::test]
    async fn async_responders_answer_drop_and_hear_of_refusals() {
        let logic = Arc::new(Later::default());
        let h = serve_async(
            "127.0.0.1:0".parse().unwrap(),
            logic.clone(),
            limits(),
            None,
        )
        .await
        .unwrap();
        let url = h.url();
        let ex = crate::post(
            &format!("{url}/a"),
            Headers::default(),
            b"abc".to_vec(),
            &limits(),
        )
        .await;
        assert_eq!(ex.response.unwrap().body.as_bytes(), b"cba");
        let ex = crate::post(
            &format!("{url}/drop"),
            Headers::default(),
            b"x".to_vec(),
            &limits(),
        )
        .await;
        assert!(
            matches!(ex.failure, Some(ExchangeFailure::ConnectionClosed { .. })),
            "{ex:?}"
        );
        let ex = crate::post(
            &format!("{url}/big"),
            Headers::default(),
            vec![0; 64],
            &limits(),
        )
        .await;
        assert_eq!(ex.response.map(|r| r.status), Some(413));
        let rec = h.recorder().take();
        assert_eq!(rec.len(), 3);
        assert_eq!(rec[0].request.body.as_bytes(), b"abc");
        assert!(rec[1].response.is_none() && rec[1].failure.is_some());
        assert_eq!(logic.refused.lock().unwrap().len(), 1);
        h.shutdown().await;

        let h = serve_async_unrecorded(
            "127.0.0.1:0".parse().unwrap(),
            logic.clone(),
            limits(),
            None,
        )
        .await
        .unwrap();
        let ex = crate::post(&h.url(), Headers::default(), b"ab".to_vec(), &limits()).await;
        assert_eq!(ex.response.unwrap().body.as_bytes(), b"ba");
        assert!(h.recorder().is_empty());
        h.shutdown().await;
    }

    #[tokio::test]
    async fn threads_of_its_own_answer_refuse_and_stop() {
        let logic = Arc::new(Later::default());
        let h = serve_async_unrecorded_threads(
            "127.0.0.1:0".parse().unwrap(),
            logic.clone(),
            limits(),
            None,
            2,
        )
        .await
        .unwrap();
        let url = h.url();
        // Several connections at once, so both threads accept some.
        let posts = (0..8).map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let body = format!("ab{i}").into_bytes();
                crate::post(&format!("{url}/a"), Headers::default(), body, &limits()).await
            })
        });
        for (i, p) in posts.enumerate() {
            let ex = p.await.unwrap();
            assert_eq!(
                ex.response.unwrap().body.as_bytes(),
                format!("{i}ba").as_bytes()
            );
        }
        let ex = crate::post(
            &format!("{url}/drop"),
            Headers::default(),
            b"x".to_vec(),
            &limits(),
        )
        .await;
        assert!(
            matches!(ex.failure, Some(ExchangeFailure::ConnectionClosed { .. })),
            "{ex:?}"
        );
        let ex = crate::post(&url, Headers::default(), vec![0; 64], &limits()).await;
        assert_eq!(ex.response.map(|r| r.status), Some(413));
        assert_eq!(logic.refused.lock().unwrap().len(), 1);
        assert!(h.recorder().is_empty());
        h.shutdown().await;
        // Every thread's copy of the socket is closed: nothing listens any more.
        let ex = crate::post(&url, Headers::default(), b"x".to_vec(), &limits()).await;
        assert!(ex.response.is_none() && ex.failure.is_some(), "{ex:?}");
    }
}
