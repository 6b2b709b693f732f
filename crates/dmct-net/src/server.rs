//! The harness as HTTP server: one task per connection, HTTP/1.1 keep-alive, every
//! request recorded with the response it got.

use crate::{BodyEnd, Limits, NetError, Recorder, headers_of, read_body};
use bytes::Bytes;
use dmct_proto::transcript::{Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The protocol logic behind the listener.
pub trait Responder: Send + Sync + 'static {
    /// Called once per complete request. Must not block for long.
    fn respond(&self, request: &HttpRequest) -> HttpResponse;
}

pub struct ServeHandle {
    local_addr: SocketAddr,
    recorder: Recorder,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ServeHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
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

pub async fn serve(
    addr: SocketAddr,
    responder: Arc<dyn Responder>,
    limits: Limits,
) -> Result<ServeHandle, NetError> {
    let bind_err = |source| NetError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
    let local_addr = listener.local_addr().map_err(bind_err)?;
    let recorder = Recorder::default();
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(
        listener,
        responder,
        limits,
        recorder.clone(),
        stop_rx,
    ));
    Ok(ServeHandle {
        local_addr,
        recorder,
        stop,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    responder: Arc<dyn Responder>,
    limits: Limits,
    recorder: Recorder,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                // A failed accept (peer reset during handshake, fd pressure) affects
                // that connection only.
                let Ok((stream, _)) = accepted else { continue };
                let responder = responder.clone();
                let limits = limits.clone();
                let recorder = recorder.clone();
                conns.spawn(async move {
                    let timeout = limits.exchange_timeout;
                    let svc = service_fn(move |req| {
                        handle(req, responder.clone(), limits.clone(), recorder.clone())
                    });
                    let _ = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(timeout)
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
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
}

fn to_hyper(r: &HttpResponse) -> Response<Full<Bytes>> {
    let mut b = Response::builder().status(r.status);
    for (n, v) in &r.headers.0 {
        // hyper sets Content-Length from the body.
        if !n.eq_ignore_ascii_case("content-length") {
            b = b.header(n.as_str(), v.as_str());
        }
    }
    b.body(Full::new(Bytes::from(r.body.0.clone())))
        .unwrap_or_else(|e| plain(500, &format!("dmct could not build its response: {e}\n")).0)
}

fn plain(status: u16, text: &str) -> (Response<Full<Bytes>>, HttpResponse) {
    let mut headers = Headers::default();
    headers.push("Content-Type", "text/plain; charset=utf-8");
    let record = HttpResponse {
        status,
        headers,
        body: text.as_bytes().to_vec().into(),
    };
    let resp = Response::builder()
        .status(status)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(text.as_bytes().to_vec())))
        .unwrap_or_default();
    (resp, record)
}

async fn handle(
    req: Request<Incoming>,
    responder: Arc<dyn Responder>,
    limits: Limits,
    recorder: Recorder,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().as_str().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().to_string(), |p| p.as_str().to_owned());
    let headers = headers_of(req.headers());
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        limits.exchange_timeout,
        read_body(req.into_body(), &mut buf, limits.max_body),
    )
    .await;
    let mut request = HttpRequest {
        method,
        target,
        headers,
        body: Vec::new().into(),
    };
    let (response, record, failure) = match read {
        Err(_) => {
            let (resp, rec) = plain(408, "request body not received in time\n");
            let failure = ExchangeFailure::Timeout {
                after_ms: limits.exchange_timeout.as_millis() as u64,
                awaiting: "request body".into(),
            };
            (resp, rec, Some(failure))
        }
        Ok(BodyEnd::TooLarge) => {
            let (resp, rec) = plain(
                413,
                &format!("body larger than {} bytes\n", limits.max_body),
            );
            let failure = ExchangeFailure::BodyTooLarge {
                limit: limits.max_body,
            };
            (resp, rec, Some(failure))
        }
        Ok(BodyEnd::Broken(detail)) => {
            let (resp, rec) = plain(400, "request body broken off\n");
            (
                resp,
                rec,
                Some(ExchangeFailure::ConnectionClosed { detail }),
            )
        }
        Ok(BodyEnd::Complete) => {
            request.body = std::mem::take(&mut buf).into();
            let record = responder.respond(&request);
            (to_hyper(&record), record, None)
        }
    };
    if request.body.is_empty() && !buf.is_empty() {
        request.body = buf.into();
    }
    recorder.push(Exchange {
        request,
        response: Some(record),
        failure,
    });
    Ok(response)
}
