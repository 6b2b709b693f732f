//! The probe before a run against a server URL: one request that tells a DM server from
//! something else (a web page, a redirect, nothing listening, TLS on one side only), so
//! a wrong URL gives one clear error instead of a report full of MUST failures.
//!
//! The probe is the first message of a session: the reference client's Package #1, with
//! the account the run uses and a SessionID of its own drawn from the run seed (label
//! `probe`), so a server that keys sessions on SessionID never mixes it with a case.
//! Its answer is only classified, never judged; the session it opens is left there, as
//! a device that lost its connection would leave it.

use crate::runner::{Options, TargetServer};
use crate::scenario::Scenario;
use dmct_proto::transcript::{Exchange, ExchangeFailure, HttpResponse};
use dmct_proto::{CONTENT_TYPE_WBXML, CONTENT_TYPE_XML};
use dmct_rules::Role;
use dmct_session::Client;

/// Why the URL is not taken for a DM server. Each says what was seen, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// A response came, and it is not a DM message.
    #[error("{url} is not a DM server: it answered {status} {reason} with {content}")]
    NotDm {
        url: String,
        status: u16,
        reason: &'static str,
        /// `text/html`, or `no Content-Type`, and what the body was when it is short.
        content: String,
    },
    /// A server error or a refusal of the request as malformed, without a DM message: a
    /// DM server failing on Package #1 looks like this too, so both readings are given.
    #[error(
        "{url} answered dmct's Package #1 with {status} {reason} and {content}, no SyncML DM \
         message: it is not a DM server, or it failed on dmct's first message"
    )]
    Refused {
        url: String,
        status: u16,
        reason: &'static str,
        content: String,
    },
    /// A redirect: DM clients do not follow them, so the URL to test is the other one.
    #[error(
        "{url} is not a DM server: it answered {status} {reason}, redirecting to {location}; \
         if that is the DM server, give its URL instead"
    )]
    Redirect {
        url: String,
        status: u16,
        reason: &'static str,
        location: String,
    },
    /// No response: the transport's own words (cannot connect, TLS, closed).
    #[error("{detail}{hint}")]
    Transport { detail: String, hint: &'static str },
    /// Nothing within the exchange time limit.
    #[error(
        "{url} did not answer within {secs} s (awaiting the {awaiting}); a DM server answers \
         Package #1 at once (raise --exchange-timeout for a slow one)"
    )]
    Timeout {
        url: String,
        secs: u64,
        awaiting: String,
    },
}

impl ProbeError {
    /// Whether the run stops here. A server error or a refusal of Package #1 may be a
    /// DM server failing: the suite still runs, so each case records what the server
    /// answered as a finding, and one fault never hides the others.
    pub fn stops_the_run(&self) -> bool {
        !matches!(self, ProbeError::Refused { .. })
    }
}

/// What the probe saw of a DM server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOk {
    /// The HTTP status of its answer.
    pub status: u16,
    /// Why it was taken for one, for the operator.
    pub why: String,
}

/// Send the probe to `target` and classify the answer.
pub async fn probe(target: &TargetServer, opts: &Options) -> Result<ProbeOk, ProbeError> {
    let scenario = Scenario {
        id: "server/probe".into(),
        title: "The probe before the suite".into(),
        roles: vec![Role::Server],
        rules: Vec::new(),
        client: Default::default(),
        server: Default::default(),
        expect: Default::default(),
    };
    let mut client = Client::new(target.client_config(&scenario, opts, "probe"));
    let out = client.start();
    let exchange = dmct_net::request_with(
        &out.method,
        &out.url,
        out.headers,
        out.body,
        &opts.limits,
        opts.client_tls.as_ref(),
    )
    .await;
    classify(&target.url, &exchange)
}

/// Tell a DM server's answer from anything else.
pub fn classify(url: &str, exchange: &Exchange) -> Result<ProbeOk, ProbeError> {
    // A head with a body cut short still shows what answered.
    let Some(r) = exchange.response.as_ref() else {
        return Err(no_response(url, exchange.failure.as_ref()));
    };
    let dm_type = r
        .headers
        .media_type()
        .and_then(Result::ok)
        .filter(|t| t == CONTENT_TYPE_XML || t == CONTENT_TYPE_WBXML);
    if dmct_proto::decode(r.body.as_bytes()).is_ok() {
        return Ok(ProbeOk {
            status: r.status,
            why: format!("it answered HTTP {} with a SyncML DM message", r.status),
        });
    }
    if let Some(t) = dm_type {
        return Ok(ProbeOk {
            status: r.status,
            why: format!("it answered HTTP {} labelled {t}", r.status),
        });
    }
    // HTTP authentication at the transport level: a DM server may ask for it
    // (`ServerAnswersEveryPackage` allows it), and the suite judges it.
    let http_challenge = match r.status {
        401 => r.headers.get("www-authenticate").is_some(),
        407 => r.headers.get("proxy-authenticate").is_some(),
        _ => false,
    };
    if http_challenge {
        return Ok(ProbeOk {
            status: r.status,
            why: format!(
                "it asked for HTTP authentication (HTTP {}), which a DM server may do",
                r.status
            ),
        });
    }
    let reason = dmct_net::reason_phrase(r.status);
    if (300..400).contains(&r.status) {
        return Err(ProbeError::Redirect {
            url: url.into(),
            status: r.status,
            reason,
            location: r
                .headers
                .get("location")
                .map_or("nowhere (no Location header)".into(), str::to_owned),
        });
    }
    let (url, status, content) = (url.to_owned(), r.status, content_of(r));
    Err(if r.status == 400 || r.status >= 500 {
        ProbeError::Refused {
            url,
            status,
            reason,
            content,
        }
    } else {
        ProbeError::NotDm {
            url,
            status,
            reason,
            content,
        }
    })
}

/// What an answer that is not DM carried: its media type, or that it had none.
fn content_of(r: &HttpResponse) -> String {
    match (r.headers.get("content-type"), r.body.is_empty()) {
        (_, true) => match r.headers.get("content-type") {
            Some(t) => format!("an empty {} body", essence(t)),
            None => "an empty body".into(),
        },
        (Some(t), false) => essence(t),
        (None, false) => format!("no Content-Type ({} bytes, not SyncML DM)", r.body.len()),
    }
}

/// The type without its parameters, as people name it (`text/html`).
fn essence(value: &str) -> String {
    dmct_proto::media_type::MediaType::essence_of(value).unwrap_or_else(|_| value.trim().into())
}

fn no_response(url: &str, failure: Option<&ExchangeFailure>) -> ProbeError {
    let plain = dmct_proto::url::Url::parse(url).is_ok_and(|u| !u.https);
    match failure {
        Some(ExchangeFailure::Timeout { after_ms, awaiting }) => ProbeError::Timeout {
            url: url.into(),
            secs: after_ms.div_ceil(1000),
            awaiting: awaiting.clone(),
        },
        // A TLS server sent alert bytes or closed on a plain request: the URL's scheme
        // is likely wrong.
        Some(ExchangeFailure::ConnectionClosed { detail }) => ProbeError::Transport {
            detail: format!("{url} closed the connection without an HTTP answer ({detail})"),
            hint: if plain {
                "; is it an https:// server?"
            } else {
                ""
            },
        },
        // Connected, but what came back was not HTTP: over http://, most likely a TLS
        // server's alert.
        Some(ExchangeFailure::Transport { detail })
            if plain && !detail.starts_with("cannot connect") =>
        {
            ProbeError::Transport {
                detail: format!("{url} did not answer in HTTP ({detail})"),
                hint: "; is it an https:// server?",
            }
        }
        Some(ExchangeFailure::Transport { detail }) => ProbeError::Transport {
            detail: detail.clone(),
            hint: "",
        },
        Some(ExchangeFailure::BodyTooLarge { limit }) => ProbeError::Transport {
            detail: format!(
                "{url} answered Package #1 with a body over the {limit}-byte limit, which no \
                 DM server's Package #2 needs"
            ),
            hint: "",
        },
        // A listener's refusal; dmct's client makes none, but says so if it ever did.
        Some(f @ ExchangeFailure::HarnessRefused { .. }) => ProbeError::Transport {
            detail: format!("{url}: {f}"),
            hint: "",
        },
        None => ProbeError::Transport {
            detail: format!("{url} gave no answer"),
            hint: "",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmct_proto::transcript::{Headers, HttpRequest};

    fn answered(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Exchange {
        let mut h = Headers::default();
        for (k, v) in headers {
            h.push(*k, *v);
        }
        Exchange {
            request: request(),
            response: Some(HttpResponse {
                status,
                headers: h,
                body: body.to_vec().into(),
            }),
            failure: None,
            time: None,
        }
    }

    fn request() -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            target: "/dm".into(),
            headers: Headers::default(),
            body: Vec::new().into(),
        }
    }

    const URL: &str = "http://127.0.0.1:8080/dm";

    #[test]
    fn a_web_page_is_not_a_dm_server() {
        let e = classify(
            URL,
            &answered(
                404,
                &[("Content-Type", "text/html; charset=utf-8")],
                b"<html>no</html>",
            ),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "http://127.0.0.1:8080/dm is not a DM server: it answered 404 Not Found with text/html"
        );
        let e = classify(URL, &answered(200, &[], b"hello")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "http://127.0.0.1:8080/dm is not a DM server: it answered 200 OK with no \
             Content-Type (5 bytes, not SyncML DM)"
        );
    }

    #[test]
    fn a_server_error_is_not_called_a_web_server() {
        let e = classify(
            URL,
            &answered(500, &[("Content-Type", "text/html")], b"<h1>Oops</h1>"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "http://127.0.0.1:8080/dm answered dmct's Package #1 with 500 Internal Server \
             Error and text/html, no SyncML DM message: it is not a DM server, or it failed on \
             dmct's first message"
        );
        assert!(!e.stops_the_run());
    }

    #[test]
    fn a_redirect_says_where_to() {
        let e = classify(
            URL,
            &answered(301, &[("Location", "https://dm.example/dm")], b""),
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "http://127.0.0.1:8080/dm is not a DM server: it answered 301 Moved \
                 Permanently, redirecting to https://dm.example/dm"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_dm_answer_passes_by_its_type_or_its_bytes() {
        let pkg = concat!(
            r#"<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>"#,
            "<VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>",
            "<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>http://s</LocURI></Source>",
            "</SyncHdr><SyncBody><Final/></SyncBody></SyncML>",
        )
        .as_bytes();
        // The bytes decide, whatever the label.
        assert!(classify(URL, &answered(200, &[("Content-Type", "text/plain")], pkg)).is_ok());
        // The DM type, even with a body the suite will fail.
        assert!(
            classify(
                URL,
                &answered(500, &[("Content-Type", CONTENT_TYPE_WBXML)], b"")
            )
            .is_ok()
        );
        // HTTP authentication, which a DM server may ask for.
        assert!(
            classify(
                URL,
                &answered(401, &[("WWW-Authenticate", "Basic realm=\"dm\"")], b"")
            )
            .is_ok()
        );
        // A 401 without a challenge is no HTTP authentication.
        assert!(classify(URL, &answered(401, &[], b"")).is_err());
    }

    #[test]
    fn no_answer_is_told_in_words() {
        let failed = |f: ExchangeFailure| Exchange {
            request: request(),
            response: None,
            failure: Some(f),
            time: None,
        };
        let e = classify(
            "http://127.0.0.1:9/dm",
            &failed(ExchangeFailure::Transport {
                detail: "cannot connect to 127.0.0.1:9: connection refused".into(),
            }),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot connect to 127.0.0.1:9: connection refused"
        );
        let e = classify(
            URL,
            &failed(ExchangeFailure::Timeout {
                after_ms: 2500,
                awaiting: "response".into(),
            }),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("http://127.0.0.1:8080/dm did not answer within 3 s"),
            "{e}"
        );
        let e = classify(
            URL,
            &failed(ExchangeFailure::ConnectionClosed {
                detail: "connection closed before message completed".into(),
            }),
        )
        .unwrap_err();
        assert!(e.to_string().ends_with("is it an https:// server?"), "{e}");
    }
}
