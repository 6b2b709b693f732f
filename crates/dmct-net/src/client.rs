//! The harness as HTTP(S) client: one POST on a fresh connection, always an [`Exchange`].

use crate::tls::ClientTls;
use crate::{BodyEnd, Limits, headers_of, read_body};
use dmct_proto::transcript::{Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse};
use http_body_util::Full;
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// The name a server's certificate must carry, from a URL's host.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    // An IP literal must be matched against IP SANs, never read as a DNS name.
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(host)
        .map(|n| n.to_owned())
        .map_err(|_| format!("{host} is not a valid TLS server name"))
}

#[derive(Clone, Copy)]
enum Stage {
    Connecting,
    Handshaking,
    Awaiting,
}

/// POST `body` to `url` with `headers` (plus Host and Content-Length); plain HTTP only,
/// the same as [`post_with`] without TLS settings.
pub async fn post(url: &str, headers: Headers, body: Vec<u8>, limits: &Limits) -> Exchange {
    post_with(url, headers, body, limits, None).await
}

/// POST `body` to `url` with `headers` (plus Host and Content-Length). An `https://` URL
/// needs `tls`, which says which server certificates to trust.
pub async fn post_with(
    url: &str,
    headers: Headers,
    body: Vec<u8>,
    limits: &Limits,
    tls: Option<&ClientTls>,
) -> Exchange {
    request_with("POST", url, headers, body, limits, tls).await
}

/// Like [`post_with`] with another method: DM uses POST, and a faulty peer that does
/// not must be playable too.
pub async fn request_with(
    method: &str,
    url: &str,
    headers: Headers,
    body: Vec<u8>,
    limits: &Limits,
    tls: Option<&ClientTls>,
) -> Exchange {
    let started = crate::wall_clock();
    let mut exchange = untimed(method, url, headers, body, limits, tls).await;
    exchange.time = Some(crate::span_since(started));
    exchange
}

async fn untimed(
    method: &str,
    url: &str,
    headers: Headers,
    body: Vec<u8>,
    limits: &Limits,
    tls: Option<&ClientTls>,
) -> Exchange {
    let parsed = dmct_proto::url::Url::parse(url);
    let (authority, target) = match &parsed {
        Ok(u) => (u.authority.clone(), u.target.clone()),
        Err(_) => (String::new(), url.to_owned()),
    };
    let mut sent = Headers::default();
    sent.push("Host", authority.clone());
    sent.0.extend(headers.0.into_iter().filter(|(n, _)| {
        !n.eq_ignore_ascii_case("host") && !n.eq_ignore_ascii_case("content-length")
    }));
    sent.push("Content-Length", body.len().to_string());
    let request = HttpRequest {
        method: method.into(),
        target: target.clone(),
        headers: sent,
        body: body.into(),
    };
    let fail = |request: HttpRequest, f: ExchangeFailure| Exchange {
        request,
        response: None,
        failure: Some(f),
        time: None,
    };
    let url_parts = match parsed {
        Ok(u) => u,
        Err(e) => {
            let detail = format!("{e}: {url}");
            return fail(request, ExchangeFailure::Transport { detail });
        }
    };
    let tls = match (url_parts.https, tls) {
        (false, _) => None,
        (true, None) => {
            let detail = format!(
                "https needs a CA to trust: the system's store has none readable and no \
                 --ca-file was given (or use --insecure): {url}"
            );
            return fail(request, ExchangeFailure::Transport { detail });
        }
        (true, Some(t)) => match server_name(url_parts.host()) {
            Ok(name) => Some((tokio_rustls::TlsConnector::from(t.config()), name)),
            Err(detail) => return fail(request, ExchangeFailure::Transport { detail }),
        },
    };

    let mut stage = Stage::Connecting;
    let mut partial: Option<HttpResponse> = None;
    let mut buf = Vec::new();
    let outcome = tokio::time::timeout(
        limits.exchange_timeout,
        exchange(
            &url_parts.socket(),
            tls,
            &request,
            limits.max_body,
            &mut stage,
            &mut partial,
            &mut buf,
        ),
    )
    .await;
    match outcome {
        Err(_) => {
            let awaiting = match stage {
                Stage::Connecting => "connection",
                Stage::Handshaking => "TLS handshake",
                Stage::Awaiting => "response",
            };
            fail(
                request,
                ExchangeFailure::Timeout {
                    after_ms: limits.exchange_timeout.as_millis() as u64,
                    awaiting: awaiting.into(),
                },
            )
        }
        Ok(Err(f)) => {
            // A response whose body broke off or overflowed is kept as far as it came.
            let response = partial.map(|mut r| {
                r.body = buf.into();
                r
            });
            Exchange {
                request,
                response,
                failure: Some(f),
                time: None,
            }
        }
        Ok(Ok(())) => {
            let response = partial.map(|mut r| {
                r.body = buf.into();
                r
            });
            Exchange {
                request,
                response,
                failure: None,
                time: None,
            }
        }
    }
}

fn transport(detail: String) -> ExchangeFailure {
    ExchangeFailure::Transport { detail }
}

/// Connect to `addr` (`host:port`), shake hands if `tls`, then send the request.
async fn exchange(
    addr: &str,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    request: &HttpRequest,
    max_body: usize,
    stage: &mut Stage,
    partial: &mut Option<HttpResponse>,
    buf: &mut Vec<u8>,
) -> Result<(), ExchangeFailure> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| match own_shortage(&e) {
            // dmct could not open its own socket: the harness's limit, not an unreachable peer.
            Some(words) => ExchangeFailure::HarnessRefused {
                detail: format!("dmct could not open a connection to {addr}: {words}"),
            },
            None => transport(format!("cannot connect to {addr}: {}", io_words(&e))),
        })?;
    match tls {
        None => send(stream, addr, request, max_body, stage, partial, buf).await,
        Some((connector, name)) => {
            *stage = Stage::Handshaking;
            let stream = connector
                .connect(name, stream)
                .await
                .map_err(|e| transport(handshake_failure(addr, &e)))?;
            send(stream, addr, request, max_body, stage, partial, buf).await
        }
    }
}

/// An I/O error as a sentence for people: the operating system's words without the
/// error number ("connection refused", not "Connection refused (os error 111)").
pub fn io_words(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => &text[..i],
        _ => &text,
    };
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        // Lower-case a leading capital unless it starts an acronym ("TLS ...").
        (Some(c), second) if c.is_uppercase() && !second.is_some_and(char::is_uppercase) => c
            .to_lowercase()
            .chain(text[c.len_utf8()..].chars())
            .collect(),
        _ => text.to_owned(),
    }
}

/// An I/O error that is dmct's own shortage (descriptors, socket buffers, memory), in
/// words that name the limit and what to raise; `None` for any other error, which may be
/// the peer's doing.
pub fn own_shortage(e: &std::io::Error) -> Option<String> {
    // errno values: Linux and Android; the BSDs and macOS share all but ENOBUFS.
    const ENOMEM: i32 = 12;
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const ENOBUFS: i32 = 105;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const ENOBUFS: i32 = 55;
    let advice = match e.raw_os_error()? {
        EMFILE => "raise the open-file limit (ulimit -n)",
        ENFILE => "the system's table of open files is full (fs.file-max)",
        ENOBUFS => "the system has no socket buffers left",
        ENOMEM => "the system is out of memory",
        _ => return None,
    };
    Some(format!("{e}; {advice}"))
}

fn handshake_failure(addr: &str, e: &std::io::Error) -> String {
    // rustls names this one by its enum variant; people get what it means.
    let what = match rustls_cause(e) {
        Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) => {
            "what came back is not TLS".to_owned()
        }
        _ => e.to_string(),
    };
    format!("TLS handshake with {addr} failed: {what}{}", tls_hint(e))
}

/// The TLS error behind `e`, if any: rustls errors come wrapped in io errors, which
/// `source()` skips, so each link is looked into.
fn rustls_cause<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut link = Some(e);
    while let Some(err) = link {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        link = err.source();
    }
    None
}

/// What a person can do about a TLS failure, for the recorded detail.
fn tls_hint(e: &(dyn std::error::Error + 'static)) -> &'static str {
    use rustls::AlertDescription as A;
    match rustls_cause(e) {
        Some(rustls::Error::InvalidCertificate(_)) => {
            " (the server's certificate is not trusted by the system's CA roots or --ca-file: \
             give its CA with --ca-file, or use --insecure)"
        }
        // TLS 1.3 sends the client's certificate after the client's handshake is done,
        // so the server's refusal arrives with the first read.
        Some(rustls::Error::AlertReceived(A::CertificateRequired | A::HandshakeFailure)) => {
            " (the server requires a TLS client certificate: give one with --client-cert \
             and --client-key)"
        }
        Some(rustls::Error::AlertReceived(
            A::BadCertificate | A::UnknownCA | A::CertificateUnknown | A::AccessDenied,
        )) => {
            " (the server refused the TLS client certificate of --client-cert: is it issued \
             by a CA the server trusts?)"
        }
        // What came back was no TLS record: the port speaks something else, most
        // likely plain HTTP.
        Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) => {
            " (the server does not speak TLS on that port: is its URL http://?)"
        }
        _ => "",
    }
}

/// One request and its response over an open stream, plain or TLS.
async fn send<S>(
    stream: S,
    addr: &str,
    request: &HttpRequest,
    max_body: usize,
    stage: &mut Stage,
    partial: &mut Option<HttpResponse>,
    buf: &mut Vec<u8>,
) -> Result<(), ExchangeFailure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    *stage = Stage::Awaiting;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| transport(format!("HTTP handshake with {addr} failed: {e}")))?;
    // The connection task ends with the exchange (or when the peer closes).
    let mut conn_task = tokio::spawn(conn);

    let mut b = Request::builder()
        .method(request.method.as_str())
        .uri(request.target.as_str());
    for (n, v) in &request.headers.0 {
        b = b.header(n.as_str(), v.as_str());
    }
    let req = b
        .body(Full::new(request.body.0.clone()))
        .map_err(|e| transport(format!("cannot build the request: {e}")))?;
    let resp = match sender.send_request(req).await {
        Ok(r) => r,
        Err(e) => {
            // The request's error may only say "canceled": why the connection died (a
            // TLS alert, such as a refused client certificate) is the connection's.
            let conn_err =
                match tokio::time::timeout(std::time::Duration::from_millis(500), &mut conn_task)
                    .await
                {
                    Ok(Ok(Err(ce))) => Some(ce),
                    _ => None,
                };
            conn_task.abort();
            let tls = rustls_cause(&e).map(|c| (c, tls_hint(&e))).or_else(|| {
                let ce = conn_err.as_ref()?;
                rustls_cause(ce).map(|c| (c, tls_hint(ce)))
            });
            return Err(if let Some((cause, hint)) = tls {
                transport(format!("TLS with {addr} failed: {cause}{hint}"))
            } else if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
                ExchangeFailure::ConnectionClosed {
                    detail: e.to_string(),
                }
            } else {
                transport(e.to_string())
            });
        }
    };
    *partial = Some(HttpResponse {
        status: resp.status().as_u16(),
        headers: headers_of(resp.headers()),
        body: Vec::new().into(),
    });
    let end = read_body(resp.into_body(), buf, max_body).await;
    conn_task.abort();
    match end {
        BodyEnd::Complete => Ok(()),
        BodyEnd::TooLarge => Err(ExchangeFailure::BodyTooLarge { limit: max_body }),
        // A client's read holds no listener's budget; kept for completeness.
        BodyEnd::OverBudget => Err(ExchangeFailure::HarnessRefused {
            detail: "no budget left for the response body".into(),
        }),
        BodyEnd::Broken(detail) => Err(ExchangeFailure::ConnectionClosed { detail }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_written_in_words() {
        // ECONNREFUSED as Linux numbers it.
        #[cfg(target_os = "linux")]
        {
            let refused = std::io::Error::from_raw_os_error(111);
            assert_eq!(io_words(&refused), "connection refused");
        }
        let custom = std::io::Error::other("TLS alert received");
        assert_eq!(io_words(&custom), "TLS alert received");
        let plain = std::io::Error::other("Name or service not known");
        assert_eq!(io_words(&plain), "name or service not known");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dmct_s_own_shortages_name_the_limit() {
        let emfile = std::io::Error::from_raw_os_error(24);
        let words = own_shortage(&emfile).unwrap();
        assert!(
            words.contains("Too many open files (os error 24)") && words.ends_with("(ulimit -n)"),
            "{words}"
        );
        // The peer's doing is no shortage of dmct's.
        assert!(own_shortage(&std::io::Error::from_raw_os_error(111)).is_none());
        assert!(own_shortage(&std::io::Error::other("closed")).is_none());
    }

    #[test]
    fn server_names_come_from_the_host() {
        assert!(matches!(
            server_name("127.0.0.1"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(server_name("::1"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(
            server_name("dm.example"),
            Ok(ServerName::DnsName(_))
        ));
        assert!(server_name("bad name").is_err());
    }
}
