//! The proxy's side towards the DM server: HTTP/1.1 keep-alive connections, pooled per
//! origin (scheme and authority), over TCP or TLS.
//!
//! dmct-net's client opens a fresh connection per request, which is right for judging a
//! server but would make every relayed request pay a TCP (and TLS) handshake. Here an
//! idle connection is reused; a request whose reused connection turns out closed before
//! the request was written is sent again on a fresh one (never a request that may have
//! reached the server).

use bytes::Bytes;
use dmct_net::{ClientTls, Limits};
use dmct_proto::transcript::{ExchangeFailure, Headers, HttpResponse};
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::net::TcpStream;

/// An absolute `http(s)://` URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub https: bool,
    /// `host`, `host:port`, `[v6]` or `[v6]:port`, as written.
    pub authority: String,
    /// Origin-form request target: path and query, at least `/`.
    pub target: String,
}

impl Url {
    /// `None` if not an absolute http(s) URL with a host.
    pub fn parse(url: &str) -> Option<Url> {
        let lower = url
            .get(..8)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let (https, rest) = if lower.starts_with("http://") {
            (false, &url[7..])
        } else if lower.starts_with("https://") {
            (true, &url[8..])
        } else {
            return None;
        };
        let (authority, target) = match rest.find(['/', '?', '#']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_owned()),
            Some(i) if rest[i..].starts_with('?') => (&rest[..i], format!("/{}", &rest[i..])),
            Some(i) => (&rest[..i], "/".to_owned()),
            None => (rest, "/".to_owned()),
        };
        // A fragment never goes on the wire.
        let target = match target.split_once('#') {
            Some((t, _)) => t.to_owned(),
            None => target,
        };
        (!authority.is_empty() && !authority.contains(['@', ' '])).then(|| Url {
            https,
            authority: authority.to_owned(),
            target,
        })
    }

    /// `scheme://authority`.
    pub fn origin(&self) -> String {
        format!(
            "{}://{}",
            if self.https { "https" } else { "http" },
            self.authority
        )
    }

    /// `host:port`, with the scheme's default port when none is written.
    fn socket_authority(&self) -> String {
        let has_port = match self.authority.rfind(']') {
            Some(i) => self.authority[i..].contains(':'),
            None => self.authority.contains(':'),
        };
        if has_port {
            self.authority.clone()
        } else {
            format!("{}:{}", self.authority, if self.https { 443 } else { 80 })
        }
    }

    /// The host, IPv6 brackets removed: what a certificate must name.
    fn host(&self) -> &str {
        let a = self.authority.as_str();
        if let Some(rest) = a.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        a.rsplit_once(':').map_or(a, |(h, _)| h)
    }
}

/// What came back from upstream.
pub struct Reply {
    /// The response as far as it came (head, and the body read so far).
    pub response: Option<HttpResponse>,
    pub failure: Option<ExchangeFailure>,
}

type Sender = SendRequest<Full<Bytes>>;

/// Idle connections kept per origin; more are closed when they come back.
const MAX_IDLE: usize = 256;

pub struct Upstream {
    tls: Option<tokio_rustls::TlsConnector>,
    idle: Mutex<HashMap<(bool, String), Vec<Sender>>>,
}

fn transport(detail: String) -> ExchangeFailure {
    ExchangeFailure::Transport { detail }
}

impl Upstream {
    pub fn new(tls: Option<&ClientTls>) -> Self {
        Upstream {
            tls: tls.map(|t| tokio_rustls::TlsConnector::from(t.config())),
            idle: Mutex::new(HashMap::new()),
        }
    }

    fn take_idle(&self, key: &(bool, String)) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.get_mut(key)?;
        while let Some(s) = list.pop() {
            if !s.is_closed() {
                return Some(s);
            }
        }
        None
    }

    fn put_idle(&self, key: (bool, String), sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.entry(key).or_default();
        if list.len() < MAX_IDLE {
            list.push(sender);
        }
    }

    /// Close every idle connection.
    pub fn clear(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    async fn connect(&self, url: &Url) -> Result<Sender, ExchangeFailure> {
        let addr = url.socket_authority();
        let tcp = TcpStream::connect(&addr)
            .await
            .map_err(|e| transport(format!("cannot connect to {addr}: {e}")))?;
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
    /// `limits.exchange_timeout`, reading at most `limits.max_body`.
    pub async fn send(
        &self,
        url: &Url,
        method: &str,
        headers: &Headers,
        body: Bytes,
        limits: &Limits,
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
        headers: &Headers,
        body: Bytes,
        max_body: usize,
        partial: &mut Option<HttpResponse>,
        buf: &mut Vec<u8>,
    ) -> Result<(), ExchangeFailure> {
        let key = (url.https, url.socket_authority());
        let build = || {
            let mut b = hyper::Request::builder()
                .method(method)
                .uri(url.target.as_str());
            for (n, v) in &headers.0 {
                b = b.header(n.as_str(), v.as_str());
            }
            b.body(Full::new(body.clone()))
                .map_err(|e| transport(format!("cannot build the upstream request: {e}")))
        };
        let mut request = build()?;
        // One retry, on a fresh connection, when a reused one was found closed before
        // the request went out.
        let mut reused_left = 1;
        let resp = loop {
            let (mut sender, reused) = match self.take_idle(&key).filter(|_| reused_left > 0) {
                Some(s) => (s, true),
                None => (self.connect(url).await?, false),
            };
            if sender.ready().await.is_err() {
                if reused {
                    reused_left -= 1;
                    continue;
                }
                return Err(ExchangeFailure::ConnectionClosed {
                    detail: "the upstream closed the connection at once".into(),
                });
            }
            match sender.try_send_request(request).await {
                Ok(resp) => break (resp, sender),
                Err(mut e) => match e.take_message() {
                    Some(back) if reused => {
                        reused_left -= 1;
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
        let (resp, sender) = resp;
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
        match read_body(resp.into_body(), buf, max_body).await {
            End::Complete => {
                if keep {
                    self.put_idle(key, sender);
                }
                Ok(())
            }
            End::TooLarge => Err(ExchangeFailure::BodyTooLarge { limit: max_body }),
            End::Broken(detail) => Err(ExchangeFailure::ConnectionClosed {
                detail: format!("upstream body broken off: {detail}"),
            }),
        }
    }
}

async fn handshake<S>(io: TokioIo<S>, addr: &str) -> Result<Sender, ExchangeFailure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| transport(format!("HTTP handshake with {addr} failed: {e}")))?;
    // The connection task ends when the last sender is dropped or the peer closes.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

fn server_name(host: &str) -> Result<ServerName<'static>, ExchangeFailure> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(host)
        .map(|n| n.to_owned())
        .map_err(|_| transport(format!("{host} is not a valid TLS server name")))
}

pub(crate) fn headers_of(map: &http::HeaderMap) -> Headers {
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

enum End {
    Complete,
    TooLarge,
    Broken(String),
}

async fn read_body(mut body: hyper::body::Incoming, buf: &mut Vec<u8>, max: usize) -> End {
    use http_body_util::BodyExt as _;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > max {
                        let room = max.saturating_sub(buf.len());
                        buf.extend_from_slice(&data[..room]);
                        return End::TooLarge;
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Err(e) => return End::Broken(e.to_string()),
        }
    }
    End::Complete
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split() {
        let u = Url::parse("http://h:1/a?b").unwrap();
        assert_eq!(
            (u.https, u.authority.as_str(), u.target.as_str()),
            (false, "h:1", "/a?b")
        );
        assert_eq!(Url::parse("HTTPS://h").unwrap().target, "/");
        assert_eq!(Url::parse("http://h?x").unwrap().target, "/?x");
        assert_eq!(Url::parse("http://h/p#frag").unwrap().target, "/p");
        assert_eq!(Url::parse("http://[::1]/").unwrap().host(), "::1");
        assert_eq!(
            Url::parse("http://[::1]").unwrap().socket_authority(),
            "[::1]:80"
        );
        assert_eq!(Url::parse("https://h").unwrap().socket_authority(), "h:443");
        assert!(Url::parse("ftp://h/").is_none());
        assert!(Url::parse("http:///x").is_none());
        assert!(Url::parse("http://u@h/").is_none());
    }
}
