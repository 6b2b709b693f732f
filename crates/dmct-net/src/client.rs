//! The harness as HTTP client: one POST on a fresh connection, always an [`Exchange`].

use crate::{BodyEnd, Limits, headers_of, read_body};
use bytes::Bytes;
use dmct_proto::transcript::{Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse};
use http_body_util::Full;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// `http://host:port/p?q` -> (`host:port`, `/p?q`); `None` if not an http URL.
fn split(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_owned()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_owned()),
    };
    (!authority.is_empty()).then(|| (authority.to_owned(), target))
}

fn with_port(authority: &str) -> String {
    // A bracketed IPv6 literal or a host with ':' already carries its port.
    let has_port = match authority.rfind(']') {
        Some(i) => authority[i..].contains(':'),
        None => authority.contains(':'),
    };
    if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    }
}

#[derive(Clone, Copy)]
enum Stage {
    Connecting,
    Awaiting,
}

/// POST `body` to `url` with `headers` (plus Host and Content-Length).
pub async fn post(url: &str, headers: Headers, body: Vec<u8>, limits: &Limits) -> Exchange {
    let parsed = split(url);
    let (authority, target) = parsed
        .clone()
        .unwrap_or_else(|| (String::new(), url.to_owned()));
    let mut sent = Headers::default();
    sent.push("Host", authority.clone());
    sent.0.extend(headers.0.into_iter().filter(|(n, _)| {
        !n.eq_ignore_ascii_case("host") && !n.eq_ignore_ascii_case("content-length")
    }));
    sent.push("Content-Length", body.len().to_string());
    let request = HttpRequest {
        method: "POST".into(),
        target: target.clone(),
        headers: sent,
        body: body.into(),
    };
    let fail = |request: HttpRequest, f: ExchangeFailure| Exchange {
        request,
        response: None,
        failure: Some(f),
    };
    if parsed.is_none() {
        let detail = if url.starts_with("https://") {
            format!("https is not supported yet by this build: {url}")
        } else {
            format!("not an http:// URL: {url}")
        };
        return fail(request, ExchangeFailure::Transport { detail });
    }

    let mut stage = Stage::Connecting;
    let mut partial: Option<HttpResponse> = None;
    let mut buf = Vec::new();
    let outcome = tokio::time::timeout(
        limits.exchange_timeout,
        exchange(
            &authority,
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
            }
        }
    }
}

async fn exchange(
    authority: &str,
    request: &HttpRequest,
    max_body: usize,
    stage: &mut Stage,
    partial: &mut Option<HttpResponse>,
    buf: &mut Vec<u8>,
) -> Result<(), ExchangeFailure> {
    let transport = |detail: String| ExchangeFailure::Transport { detail };
    let stream = TcpStream::connect(with_port(authority))
        .await
        .map_err(|e| transport(format!("cannot connect to {authority}: {e}")))?;
    *stage = Stage::Awaiting;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| transport(format!("HTTP handshake with {authority} failed: {e}")))?;
    // The connection task ends with the exchange (or when the peer closes).
    let conn_task = tokio::spawn(async move {
        let _ = conn.await;
    });

    let mut b = Request::builder()
        .method("POST")
        .uri(request.target.as_str());
    for (n, v) in &request.headers.0 {
        b = b.header(n.as_str(), v.as_str());
    }
    let req = b
        .body(Full::new(Bytes::from(request.body.0.clone())))
        .map_err(|e| transport(format!("cannot build the request: {e}")))?;
    let resp = sender.send_request(req).await.map_err(|e| {
        if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
            ExchangeFailure::ConnectionClosed {
                detail: e.to_string(),
            }
        } else {
            transport(e.to_string())
        }
    });
    let resp = match resp {
        Ok(r) => r,
        Err(f) => {
            conn_task.abort();
            return Err(f);
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
        BodyEnd::Broken(detail) => Err(ExchangeFailure::ConnectionClosed { detail }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_authority_and_target() {
        assert_eq!(split("http://h:1/a?b"), Some(("h:1".into(), "/a?b".into())));
        assert_eq!(split("http://h"), Some(("h".into(), "/".into())));
        assert_eq!(split("http://h?x"), Some(("h".into(), "/?x".into())));
        assert_eq!(split("https://h/"), None);
        assert_eq!(split("http:///x"), None);
        assert_eq!(with_port("h"), "h:80");
        assert_eq!(with_port("[::1]"), "[::1]:80");
        assert_eq!(with_port("[::1]:8"), "[::1]:8");
    }
}
