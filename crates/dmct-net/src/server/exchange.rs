//! One request on a connection: its body read within the limits, the responder's
//! answer (or a refusal) written back and recorded.

use super::*;

fn to_hyper(r: &HttpResponse) -> Response<Full<Bytes>> {
    let build = || -> Result<Response<Full<Bytes>>, http::Error> {
        let status = http::StatusCode::from_u16(r.status)?;
        let map = crate::header_map(
            r.headers
                .0
                .iter()
                // hyper sets Content-Length from the body.
                .filter(|(n, _)| !n.eq_ignore_ascii_case("content-length"))
                .map(|(n, v)| (n.as_str(), v.as_str())),
        )?;
        let mut resp = Response::new(Full::new(r.body.0.clone()));
        *resp.status_mut() = status;
        *resp.headers_mut() = map;
        Ok(resp)
    };
    build().unwrap_or_else(|e| plain(500, &format!("dmct could not build its response: {e}\n")).0)
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

/// The logic chose to close the connection without answering.
#[derive(Debug)]
pub(super) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("closed without an answer")
    }
}

impl std::error::Error for Dropped {}

/// What the listener says when the logic closes a connection without answering.
const DROPPED: &str = "the harness closed the connection without answering";

/// How receiving a request's body ended.
enum Read {
    Complete,
    TooLarge,
    /// The listener's budget for bodies in flight could not hold it.
    OverBudget,
    /// The connection came over the listener's cap: its body is not read.
    OverCap,
    Broken(String),
}

impl From<BodyEnd> for Read {
    fn from(end: BodyEnd) -> Self {
        match end {
            BodyEnd::Complete => Read::Complete,
            BodyEnd::TooLarge => Read::TooLarge,
            BodyEnd::OverBudget => Read::OverBudget,
            BodyEnd::Broken(detail) => Read::Broken(detail),
        }
    }
}

/// A refusal at a limit of the listener's own: 503, come back later, and this connection
/// closes (its body, if any, is not read).
fn busy(text: &str) -> (Response<Full<Bytes>>, HttpResponse) {
    let mut headers = Headers::default();
    headers.push("Content-Type", "text/plain; charset=utf-8");
    headers.push("Retry-After", "5");
    headers.push("Connection", "close");
    let record = HttpResponse {
        status: 503,
        headers,
        body: text.as_bytes().to_vec().into(),
    };
    (to_hyper(&record), record)
}

pub(super) async fn handle(
    req: Request<Incoming>,
    logic: Logic,
    limits: Limits,
    recorder: Option<Recorder>,
    conn: Connection,
    shared: Arc<Shared>,
    refuse: bool,
) -> Result<Response<Full<Bytes>>, Dropped> {
    // Held until the exchange is recorded: a peer still sending is not idle.
    let _in_flight = recorder.as_ref().map(Recorder::begin);
    // Formatted only when an exchange is recorded or refused (an unrecorded listener's
    // answered requests need no time).
    let started = time::OffsetDateTime::now_utc();
    let method = req.method().as_str().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().to_string(), |p| p.as_str().to_owned());
    let headers = headers_of(req.headers());
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    // What would be kept of it: the first max_body bytes of one too large, as evidence.
    let keep = declared.map(|n| n.min(limits.max_body));
    let mut buf = Vec::new();
    // Given back when this returns: after the answer, whatever the logic did with the body.
    let mut held = HeldBytes::of(&shared.budget);
    let read = if refuse {
        Ok(Read::OverCap)
    } else if keep.is_some_and(|n| !held.take(n)) {
        // Refused on its declared length, before a byte of it is read; a body over
        // max_body is told so (413), which is the peer's to fix, not the harness's.
        Ok(if declared > keep {
            Read::TooLarge
        } else {
            Read::OverBudget
        })
    } else {
        buf.reserve_exact(keep.unwrap_or(0));
        let reserved = held.bytes();
        tokio::time::timeout(
            limits.exchange_timeout,
            read_body_held(
                req.into_body(),
                &mut buf,
                limits.max_body,
                &mut held,
                reserved,
            ),
        )
        .await
        .map(Read::from)
    };
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
        Ok(Read::OverBudget) => {
            shared.body_refused();
            let (resp, rec) = busy(&format!(
                "dmct is holding as many request bodies as it takes at once ({} bytes); \
                 try again later\n",
                shared.max_inflight
            ));
            let failure = ExchangeFailure::HarnessRefused {
                detail: format!(
                    "the listener's budget of {} bytes for request bodies in flight was taken \
                     by other requests",
                    shared.max_inflight
                ),
            };
            (resp, rec, Some(failure))
        }
        Ok(Read::OverCap) => {
            let (resp, rec) = busy(&format!(
                "dmct is at its limit of open connections ({}); try again later\n",
                shared.max_connections
            ));
            let failure = ExchangeFailure::HarnessRefused {
                detail: format!(
                    "{} connections were open, the listener's limit{}",
                    shared.max_connections,
                    if shared.connections_fit_nofile {
                        ", which dmct's open-file limit set: raise it (ulimit -n)"
                    } else {
                        ""
                    }
                ),
            };
            (resp, rec, Some(failure))
        }
        Ok(Read::TooLarge) => {
            let (resp, rec) = plain(
                413,
                &format!("body larger than {} bytes\n", limits.max_body),
            );
            let failure = ExchangeFailure::BodyTooLarge {
                limit: limits.max_body,
            };
            (resp, rec, Some(failure))
        }
        Ok(Read::Broken(detail)) => {
            let (resp, rec) = plain(400, "request body broken off\n");
            (
                resp,
                rec,
                Some(ExchangeFailure::ConnectionClosed { detail }),
            )
        }
        Ok(Read::Complete) => {
            shared.body_admitted(false);
            request.body = std::mem::take(&mut buf).into();
            let answer = match &logic {
                Logic::Sync(r) => Some(r.respond_from(&request, &conn)),
                // The request is handed over; a copy is kept only when it is recorded.
                Logic::Async(r) => {
                    let held = std::mem::take(&mut held);
                    match &recorder {
                        Some(_) => r.respond_holding(request.clone(), &conn, held).await,
                        None => {
                            r.respond_holding(std::mem::replace(&mut request, empty()), &conn, held)
                                .await
                        }
                    }
                }
            };
            let Some(record) = answer else {
                if let Some(rec) = &recorder {
                    rec.push(Exchange {
                        request,
                        response: None,
                        failure: Some(ExchangeFailure::ConnectionClosed {
                            detail: DROPPED.into(),
                        }),
                        time: Some(crate::span_since(crate::rfc3339_millis(started))),
                    });
                }
                return Err(Dropped);
            };
            (to_hyper(&record), record, None)
        }
    };
    if failure.is_none() && recorder.is_none() {
        return Ok(response);
    }
    if request.body.is_empty() && !buf.is_empty() {
        request.body = buf.into();
    }
    let exchange = Exchange {
        request,
        response: Some(record),
        failure,
        time: Some(crate::span_since(crate::rfc3339_millis(started))),
    };
    if exchange.failure.is_some() {
        match &logic {
            Logic::Async(r) => r.refused(&exchange),
            Logic::Sync(r) => r.refused(&exchange, &conn),
        }
    }
    if let Some(rec) = &recorder {
        rec.push(exchange);
    }
    Ok(response)
}

fn empty() -> HttpRequest {
    HttpRequest {
        method: String::new(),
        target: String::new(),
        headers: Headers::default(),
        body: Vec::new().into(),
    }
}
