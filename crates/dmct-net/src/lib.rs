//! The HTTP edge of dmct: [`serve`] (the harness as DM server) and [`post`] (the harness
//! as DM client), both on hyper 1.x and tokio, both recording every exchange byte for
//! byte.
//!
//! A listener's logic is a [`Responder`] (answers at once) or an [`AsyncResponder`]
//! (awaits something first, as the proxy awaits its upstream); [`serve_async`] runs the
//! latter on the same connection handling and recording.
//!
//! Both speak HTTPS too, through rustls with the ring provider: [`serve_with`] given a
//! [`ServerTls`] (certificate files, or a self-signed one generated on the spot), and
//! [`post_with`] given a [`ClientTls`] (a CA file, or `insecure` for lab devices whose
//! certificate cannot be checked). A handshake that fails or stalls costs its own
//! connection only.
//!
//! This crate knows HTTP, not DM: it never decodes a body and never judges. A peer that
//! stalls, sends too much or closes early becomes a recorded [`ExchangeFailure`], never a
//! panic or a hang.

mod client;
mod record;
mod server;
mod tls;

pub use client::{io_words, own_shortage, post, post_with, request_with, server_name};
pub use record::{InFlight, Recorder};
pub use server::{
    AsyncAnswer, AsyncResponder, Connection, HeldBytes, Responder, ServeHandle, serve, serve_async,
    serve_async_unrecorded, serve_async_unrecorded_threads, serve_with,
};
pub use tls::{ClientTls, Observed, ServerTls, TlsError, subject_of};

pub use dmct_proto::transcript::{Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Bounds on what one exchange, and one listener, may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest body read, either direction.
    pub max_body: usize,
    /// Time for one whole exchange: connecting, sending, reading the answer (client), or
    /// reading a request's head and body (server).
    pub exchange_timeout: Duration,
    /// Bytes of request bodies one listener holds at once, all its connections together,
    /// from the first byte read until the exchange is answered. A body that would pass
    /// it is refused with 503 and `Retry-After`, never buffered
    /// ([`ExchangeFailure::HarnessRefused`]). Listeners only.
    pub max_inflight: usize,
    /// Connections one listener keeps open at once; past it a new connection is answered
    /// 503 and closed. Listeners only.
    pub max_connections: usize,
    /// `max_connections` was lowered to fit the process's open-file limit: a refusal at
    /// it is then dmct's descriptor shortage, and says so (`ulimit -n`).
    pub connections_fit_nofile: bool,
    /// Where a listener tells people of its refusals at these limits.
    pub notices: Notices,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 16 * 1024 * 1024,
            exchange_timeout: Duration::from_secs(30),
            max_inflight: 256 * 1024 * 1024,
            max_connections: 1024,
            connections_fit_nofile: false,
            notices: Notices::default(),
        }
    }
}

/// Where a listener says, in one line for people, that it refused work at its limits:
/// once when a burst of refusals starts and once, with the count, when it ends. Silent
/// by default, so a library does not write to a terminal it was not given.
#[derive(Clone, Default)]
pub struct Notices(Option<Arc<Say>>);

type Say = dyn Fn(&str) + Send + Sync;

impl Notices {
    /// Each notice as a line on standard error.
    pub fn stderr() -> Self {
        Notices::to(|line| eprintln!("{line}"))
    }

    /// Each notice to `f`.
    pub fn to(f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Notices(Some(Arc::new(f)))
    }

    pub(crate) fn say(&self, line: &str) {
        if let Some(f) = &self.0 {
            f(line);
        }
    }
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notices(on)"
        } else {
            "Notices(off)"
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The operating system's reason in words (`address already in use`), kept as text
    /// so a message for people says it once.
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
}

/// The headers of a hyper message, as recorded (wire order; values read as UTF-8,
/// lossily).
pub fn headers_of(map: &http::HeaderMap) -> Headers {
    Headers(
        map.iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    )
}

/// A hyper header map of `(name, value)` pairs, in the order given: what
/// `Request::builder().header(..)` would check and give, without moving a builder
/// through each header (every relayed message pays it). The inverse of [`headers_of`].
pub fn header_map<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<http::HeaderMap, http::Error> {
    let mut map = http::HeaderMap::with_capacity(pairs.size_hint().0);
    for (n, v) in pairs {
        map.append(
            http::HeaderName::from_bytes(n.as_bytes())?,
            http::HeaderValue::from_str(v)?,
        );
    }
    Ok(map)
}

/// How reading a body ended.
pub enum BodyEnd {
    Complete,
    TooLarge,
    /// The listener's budget for bodies in flight could not hold more of it.
    OverBudget,
    Broken(String),
}

/// Read a body into `buf`, at most `max` bytes. `buf` is filled as data arrives, so a
/// caller whose timeout fires still has what came.
pub async fn read_body<B>(body: B, buf: &mut Vec<u8>, max: usize) -> BodyEnd
where
    B: hyper::body::Body<Data = bytes::Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    read_body_held(body, buf, max, &mut HeldBytes::default(), 0).await
}

/// As [`read_body`], each byte kept taken first from `held`'s budget, beyond the
/// `reserved` bytes it already holds for this body (its declared length): past the
/// budget, [`BodyEnd::OverBudget`].
pub async fn read_body_held<B>(
    mut body: B,
    buf: &mut Vec<u8>,
    max: usize,
    held: &mut HeldBytes,
    reserved: usize,
) -> BodyEnd
where
    B: hyper::body::Body<Data = bytes::Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    use http_body_util::BodyExt as _;
    let start = buf.len();
    let mut covered = reserved;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    let keep = (buf.len() + data.len()).min(max);
                    let more = (keep - start).saturating_sub(covered);
                    if more > 0 && !held.take(more) {
                        return BodyEnd::OverBudget;
                    }
                    covered += more;
                    let room = keep.saturating_sub(buf.len());
                    buf.extend_from_slice(&data[..room]);
                    if room < data.len() {
                        return BodyEnd::TooLarge;
                    }
                }
            }
            Err(e) => return BodyEnd::Broken(e.to_string()),
        }
    }
    BodyEnd::Complete
}

/// The reason phrase HTTP gives a status code ("Not Found"); empty for one it does not
/// name.
pub fn reason_phrase(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Now, as RFC 3339 UTC with milliseconds (`2026-12-07T02:41:09.123Z`, always that
/// width): when a session, a case or an exchange started or stopped, for reports a lab
/// correlates with device logs and for JUnit's per-case times.
pub fn wall_clock() -> String {
    rfc3339_millis(time::OffsetDateTime::now_utc())
}

/// `t` as [`wall_clock`] writes it. Digits are written directly: the proxy stamps every
/// exchange it relays, and `format!` took several per cent of its CPU.
pub fn rfc3339_millis(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    // Years past 9999 or before 0 do not occur on a clock; clamped to keep the width.
    put(0, 4, t.year().clamp(0, 9999) as u32);
    put(5, 2, u8::from(t.month()).into());
    put(8, 2, t.day().into());
    put(11, 2, t.hour().into());
    put(14, 2, t.minute().into());
    put(17, 2, t.second().into());
    put(20, 3, t.millisecond().into());
    out.iter().map(|&b| char::from(b)).collect()
}

/// An exchange's time: from `started` until now.
pub fn span_since(started: String) -> dmct_proto::transcript::Span {
    dmct_proto::transcript::Span {
        started: Some(started),
        ended: Some(wall_clock()),
    }
}

#[cfg(test)]
mod clock_tests {
    #[test]
    fn wall_clock_is_rfc3339_utc() {
        let t = super::wall_clock();
        // 2026-12-07T02:41:09.123Z
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
        assert_eq!(t.as_bytes()[19], b'.', "{t}");
        assert!(t[..4].parse::<u32>().unwrap() >= 2024, "{t}");
    }

    #[test]
    fn rfc3339_millis_writes_every_field() {
        use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};
        let at = |y, m, d, (h, mi, s, us), off: i8| {
            let date = Date::from_calendar_date(y, m, d).unwrap();
            let time = Time::from_hms_micro(h, mi, s, us).unwrap();
            let off = UtcOffset::from_hms(off, 0, 0).unwrap();
            PrimitiveDateTime::new(date, time).assume_offset(off)
        };
        let t = at(2026, Month::December, 7, (2, 41, 9, 123_456), 0);
        assert_eq!(super::rfc3339_millis(t), "2026-12-07T02:41:09.123Z");
        let t = at(999, Month::January, 2, (13, 4, 5, 7_999), 2);
        assert_eq!(super::rfc3339_millis(t), "0999-01-02T11:04:05.007Z");
        let now = time::OffsetDateTime::now_utc();
        let old = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.millisecond()
        );
        assert_eq!(super::rfc3339_millis(now), old);
    }
}
