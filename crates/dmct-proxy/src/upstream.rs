//! The proxy's side towards the DM server: HTTP/1.1 keep-alive connections, pooled per
//! origin (scheme and authority), over TCP or TLS.
//!
//! dmct-net's client opens a fresh connection per request, which is right for judging a
//! server but would make every relayed request pay a TCP (and TLS) handshake. Here an
//! idle connection is reused; a request whose reused connection turns out closed before
//! the request was written is sent again on a fresh one (never a request that may have
//! reached the server).

use bytes::Bytes;
use dmct_net::{BodyEnd, ClientTls, HeldBytes, Limits, header_map, headers_of, read_body_held};
use dmct_proto::transcript::{ExchangeFailure, HttpResponse};
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

pub use dmct_proto::url::Url;

/// What came back from upstream.
pub struct Reply {
    /// The response as far as it came (head, and the body read so far).
    pub response: Option<HttpResponse>,
    pub failure: Option<ExchangeFailure>,
}

type Sender = SendRequest<Full<Bytes>>;

/// hyper's connection task, driven by the request that uses the connection (no task of
/// its own: one wake-up less per hop, which counts when the proxy shares two cores with
/// its peers).
type Driver = Pin<Box<dyn Future<Output = hyper::Result<()>> + Send>>;

/// One HTTP/1.1 connection to the upstream.
struct Conn {
    sender: Sender,
    driver: Driver,
    /// Since when it is idle in the pool.
    idle_since: Instant,
}

/// Idle connections kept per origin; more are closed when they come back.
const MAX_IDLE: usize = 256;

/// An idle connection older than this is not reused: a server may have closed it in the
/// meantime (keep-alive timeouts are seldom below 5 s).
const MAX_IDLE_AGE: Duration = Duration::from_secs(2);

/// The most of an answer's declared length reserved before its bytes come.
const RESERVE_AT_MOST: usize = 64 * 1024;

/// Idle connections are kept per origin (https, authority) and, when the proxy serves on
/// threads of its own, per thread: a connection is registered with the runtime of the
/// thread that opened it, and is woken there.
type PoolKey = (bool, String, Option<std::thread::ThreadId>);

pub struct Upstream {
    tls: Option<tokio_rustls::TlsConnector>,
    idle: Mutex<HashMap<PoolKey, Vec<Conn>>>,
    per_thread: bool,
}

/// Poll `f` and the connection's driver together until `f` is done (the driver may
/// finish first, when the server closes after the response).
async fn driven<F: Future>(driver: &mut Driver, done: &mut bool, f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(x) = f.as_mut().poll(cx) {
            return Poll::Ready(x);
        }
        if !*done && driver.as_mut().poll(cx).is_ready() {
            *done = true;
            return f.as_mut().poll(cx);
        }
        Poll::Pending
    })
    .await
}

/// An idle connection is usable when its driver, polled once, has not ended (the server
/// closed it, or sent something unasked).
fn still_open(c: &mut Conn) -> bool {
    if c.idle_since.elapsed() > MAX_IDLE_AGE || c.sender.is_closed() {
        return false;
    }
    let mut cx = Context::from_waker(Waker::noop());
    c.driver.as_mut().poll(&mut cx).is_pending() && !c.sender.is_closed()
}

fn transport(detail: String) -> ExchangeFailure {
    ExchangeFailure::Transport { detail }
}

impl Upstream {
    pub fn new(tls: Option<&ClientTls>, per_thread: bool) -> Self {
        Upstream {
            tls: tls.map(|t| tokio_rustls::TlsConnector::from(t.config())),
            idle: Mutex::new(HashMap::new()),
            per_thread,
        }
    }

    fn take_idle(&self, key: &PoolKey) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.get_mut(key)?;
        while let Some(mut c) = list.pop() {
            if still_open(&mut c) {
                return Some(c);
            }
        }
        None
    }

    fn put_idle(&self, key: PoolKey, mut conn: Conn) {
        if conn.sender.is_closed() {
            return;
        }
        conn.idle_since = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.entry(key).or_default();
        if list.len() < MAX_IDLE {
            list.push(conn);
        }
    }

    /// Close every idle connection.
    pub fn clear(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    async fn connect(&self, url: &Url) -> Result<Conn, ExchangeFailure> {
        let addr = url.socket();
        let tcp =
            TcpStream::connect(&addr)
                .await
                .map_err(|e| match dmct_net::own_shortage(&e) {
                    // The proxy could not open its own socket: its limit, not an unreachable
                    // upstream (answered 503, and never the server's failure).
                    Some(words) => ExchangeFailure::HarnessRefused {
                        detail: format!("dmct could not open a connection to {addr}: {words}"),
                    },
                    None => transport(format!(
                        "cannot connect to {addr}: {}",
                        dmct_net::io_words(&e)
                    )),
                })?;
        let _ = tcp.set_nodelay(true);
        if !url.https {
            return handshake(TokioIo::new(tcp), &addr).await;
        }
        let Some(connector) = &self.tls else {
            return Err(transport(format!(
                "https upstream {} needs TLS settings (a CA file or insecure)",
                url.origin()
            )));
        };
        let name = server_name(url.host())?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| transport(format!("TLS handshake with {addr} failed: {e}")))?;
        handshake(TokioIo::new(tls), &addr).await
    }

    /// Send one request to `url` (its target is the request-target), within
    /// `limits.exchange_timeout`, reading at most `limits.max_body`, each byte of the
    /// answer taken from the budget of bodies in flight `held` belongs to.
    pub async fn send(
        &self,
        url: &Url,
        method: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        limits: &Limits,
        held: &mut HeldBytes,
    ) -> Reply {
        let mut partial: Option<HttpResponse> = None;
        let mut buf = Vec::new();
        let outcome = tokio::time::timeout(
            limits.exchange_timeout,
            self.exchange(
                url,
                method,
                headers,
                body,
                limits.max_body,
                &mut partial,
                &mut buf,
                held,
            ),
        )
        .await;
        let failure = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(f)) => Some(f),
            Err(_) => Some(ExchangeFailure::Timeout {
                after_ms: limits.exchange_timeout.as_millis() as u64,
                awaiting: if partial.is_some() {
                    "response body".into()
                } else {
                    "response".into()
                },
            }),
        };
        Reply {
            response: partial.map(|mut r| {
                r.body = buf.into();
                r
            }),
            failure,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn exchange(
        &self,
        url: &Url,
        method: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        max_body: usize,
        partial: &mut Option<HttpResponse>,
        buf: &mut Vec<u8>,
        held: &mut HeldBytes,
    ) -> Result<(), ExchangeFailure> {
        let thread = self.per_thread.then(|| std::thread::current().id());
        let key = (url.https, url.socket(), thread);
        let mut request = request_of(method, &url.target, headers, body)
            .map_err(|e| transport(format!("cannot build the upstream request: {e}")))?;
        // One retry, on a fresh connection, when a reused one was found closed before
        // the request went out.
        let mut reuse_left = 1;
        let (resp, mut conn, mut done) = loop {
            let (mut conn, reused) = match self.take_idle(&key).filter(|_| reuse_left > 0) {
                Some(c) => (c, true),
                None => (self.connect(url).await?, false),
            };
            let mut done = false;
            let sent = {
                let send = conn.sender.try_send_request(request);
                driven(&mut conn.driver, &mut done, send).await
            };
            match sent {
                Ok(resp) => break (resp, conn, done),
                Err(mut e) => match e.take_message() {
                    Some(back) if reused => {
                        reuse_left -= 1;
                        request = back;
                    }
                    _ => {
                        let err = e.into_error();
                        return Err(
                            if err.is_incomplete_message() || err.is_closed() || err.is_canceled() {
                                ExchangeFailure::ConnectionClosed {
                                    detail: format!("upstream: {err}"),
                                }
                            } else {
                                transport(format!("upstream: {err}"))
                            },
                        );
                    }
                },
            }
        };
        *partial = Some(HttpResponse {
            status: resp.status().as_u16(),
            headers: headers_of(resp.headers()),
            body: Vec::new().into(),
        });
        let keep = !resp
            .headers()
            .get_all(http::header::CONNECTION)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        // Room for the declared body up front (not past what a typical package needs:
        // the budget is taken as bytes come, not on an upstream's word).
        let declared = resp
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.trim().parse::<usize>().ok());
        if let Some(n) = declared {
            buf.reserve_exact(n.min(max_body).min(RESERVE_AT_MOST));
        }
        let end = driven(
            &mut conn.driver,
            &mut done,
            read_body_held(resp.into_body(), buf, max_body, held, 0),
        )
        .await;
        match end {
            BodyEnd::Complete => {
                if keep && !done {
                    self.put_idle(key, conn);
                }
                Ok(())
            }
            BodyEnd::TooLarge => Err(ExchangeFailure::BodyTooLarge { limit: max_body }),
            BodyEnd::OverBudget => Err(ExchangeFailure::HarnessRefused {
                detail: "the proxy's budget for bodies in flight could not hold the \
                         upstream's answer"
                    .into(),
            }),
            BodyEnd::Broken(detail) => Err(ExchangeFailure::ConnectionClosed {
                detail: format!("upstream body broken off: {detail}"),
            }),
        }
    }
}

/// The request for the upstream, its headers in the order given.
fn request_of(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Result<hyper::Request<Full<Bytes>>, http::Error> {
    let method = http::Method::from_bytes(method.as_bytes())?;
    let uri = http::Uri::try_from(target)?;
    let map = header_map(headers.iter().copied())?;
    let mut request = hyper::Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = map;
    Ok(request)
}

async fn handshake<S>(io: TokioIo<S>, addr: &str) -> Result<Conn, ExchangeFailure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| transport(format!("HTTP handshake with {addr} failed: {e}")))?;
    Ok(Conn {
        sender,
        driver: Box::pin(conn),
        idle_since: Instant::now(),
    })
}

fn server_name(host: &str) -> Result<ServerName<'static>, ExchangeFailure> {
    dmct_net::server_name(host).map_err(transport)
}
