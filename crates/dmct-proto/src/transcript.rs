//! What crossed the wire: every HTTP request/response pair of a run, byte for byte.
//!
//! A [`Transcript`] is the one input of the rule checker, whether it was recorded live
//! (harness as server, as client, or later as proxy) or read back from a file. It is
//! serialised as versioned JSON (see `TRANSCRIPT_FORMAT`); bodies that are valid UTF-8 are
//! stored as text so a person can read them, anything else as base64, so no byte is lost.

use crate::media_type::{MediaType, MediaTypeError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Version of the JSON transcript format. Readers keep accepting every older version.
/// Fields added since are optional and left out when empty (`transport`), so a
/// transcript without them is still exactly format 1.
pub const TRANSCRIPT_FORMAT: u32 = 1;

/// The exchanges of one test case, in the order they happened, and how observation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    pub format: u32,
    pub exchanges: Vec<Exchange>,
    /// Why recording stopped; rules use it to tell "the peer sent nothing more" from
    /// "the peer may still have been working when we stopped listening".
    pub closing: Closing,
    /// The Package 0 that started a server-initiated session, when dmct sent one: rules
    /// compare Package #1 with it (SessionID, Alert 1200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package0: Option<Body>,
    /// Who authenticated at the transport layer, as the recording side saw it: either
    /// layer may authenticate a peer ([SEC] §5.3).
    #[serde(default, skip_serializing_if = "TransportAuth::is_empty")]
    pub transport: TransportAuth,
    /// The recording server demanded no DM-level credentials of the client (a lab's
    /// `--auth none`, for a device whose account holds none): the client's DM
    /// authentication rules have nothing to judge.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub client_credentials_waived: bool,
    /// Wall-clock time (RFC 3339, UTC) recording started and stopped, where the
    /// recording side measured it (never in vectors, which are made in memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// Requests dmct's client made wrong on purpose (negative probes of the server's
    /// authentication), each with what was wrong with it. A transcript holds no
    /// secrets, so the checker cannot recompute credentials: the sender says which
    /// exchange was a probe, and the checker holds what it can against the wire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<Probe>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self {
            format: TRANSCRIPT_FORMAT,
            exchanges: Vec::new(),
            closing: Closing::Stopped,
            package0: None,
            transport: TransportAuth::default(),
            client_credentials_waived: false,
            started: None,
            ended: None,
            probes: Vec::new(),
        }
    }
}

/// One negative probe: the request of exchange `exchange` carried credentials dmct's
/// client made wrong on purpose ([SEC] §5.3: the server MUST authenticate the client),
/// or, for [`ProbeKind::WrongServerSecret`], its response carried dmct's server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// Index of the exchange whose request (response, for a server's probe) is the
    /// probe.
    pub exchange: usize,
    pub kind: ProbeKind,
    /// What was wrong, in words, for the report.
    pub detail: String,
    /// For [`ProbeKind::StaleNonce`]: the nonce (base64) the credentials were keyed
    /// with, which the checker holds against the server's NextNonces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// How a probe's credentials are wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// Made with a wrong password: a Basic Cred, an MD5 digest or an HMAC mac that does
    /// not verify.
    WrongSecret,
    /// An MD5 digest or HMAC mac keyed with a nonce the server gave earlier in the
    /// session and has since replaced with a NextNonce (for HMAC: a nonce already
    /// used, [SEC] §5.4.4).
    StaleNonce,
    /// No x-syncml-hmac header on a message after the server accepted HMAC in the
    /// session ([SEC] §5.4.3: a missing header is an authentication failure); judged
    /// from the wire as missing credentials.
    MissingHmac,
    /// dmct's server presented its own credentials made with a wrong password: the
    /// probe is the exchange's response, and the client under test must refuse it.
    WrongServerSecret,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::WrongSecret => "wrong-secret",
            ProbeKind::StaleNonce => "stale-nonce",
            ProbeKind::MissingHmac => "missing-hmac",
            ProbeKind::WrongServerSecret => "wrong-server-secret",
        }
    }
}

/// The TLS certificates that authenticated each side, by subject (RFC 4514 text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportAuth {
    /// The DM client's certificate, verified by the server (TLS client authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The DM server's certificate, verified by the client against its trust anchors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// dmct, as the DM server, served the session over TLS: the device may have
    /// authenticated it by its certificate, which the serving side cannot see.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub served_over_tls: bool,
}

impl TransportAuth {
    pub fn is_empty(&self) -> bool {
        self.client.is_none() && self.server.is_none() && !self.served_over_tls
    }
}

/// One HTTP request and what came back for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: HttpRequest,
    /// Absent when no (complete) response arrived; `failure` then says why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ExchangeFailure>,
    /// When the exchange started (its request head arrived or was sent) and ended (the
    /// answer was ready or read), where the recording side measured it: never in
    /// transcripts made in memory, nor in those of an older dmct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Span>,
}

/// A stretch of wall-clock time, each end RFC 3339 in UTC with milliseconds
/// (`2026-12-07T02:41:09.123Z`); an end that was not measured is left out. The clock is
/// read at the IO edge (dmct-net, the runner), never here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    /// The request-target as sent on the wire (origin form: path and query).
    pub target: String,
    pub headers: Headers,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: Body,
}

/// Header fields in wire order, names as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// First value of a header, compared case-insensitively by name as HTTP requires.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// The media type of `Content-Type` without parameters, lower-cased (parameters
    /// are not read, so a malformed one does not hide the type); `None` when absent.
    pub fn media_type(&self) -> Option<Result<String, MediaTypeError>> {
        self.get("content-type").map(MediaType::essence_of)
    }

    /// `Content-Type` read whole, parameters too (RFC 7231 §3.1.1.1); `None` when absent.
    pub fn content_type(&self) -> Option<Result<MediaType, MediaTypeError>> {
        self.get("content-type").map(MediaType::parse)
    }
}

/// A message body, exactly as it was on the wire. Shared, not copied, by what reads
/// it: the decoded message keeps the same bytes ([`crate::decode_shared`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body(pub Bytes);

impl Body {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body(v.into())
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body(b)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum BodyRepr {
    Text(String),
    Base64(String),
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => BodyRepr::Text(text.to_owned()),
            Err(_) => BodyRepr::Base64(B64.encode(&self.0)),
        }
        .serialize(s)
    }
}

/// [`BodyRepr`] as read: base64 is decoded from the reader's own text where it can
/// lend it (`serde_json::from_str`), not from a copy of it (a third more than the body).
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum BodyReprIn<'a> {
    Text(String),
    Base64(#[serde(borrow)] std::borrow::Cow<'a, str>),
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match BodyReprIn::deserialize(d)? {
            BodyReprIn::Text(t) => Ok(Body(t.into_bytes().into())),
            BodyReprIn::Base64(b) => B64
                .decode(b.as_bytes())
                .map(Body::from)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Why an exchange has no complete response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ExchangeFailure {
    /// Nothing (complete) arrived within the time limit. The spec sets no timeouts
    /// between packages, so this alone never makes a peer non-conformant.
    Timeout { after_ms: u64, awaiting: String },
    /// The peer closed or reset the connection before a complete response.
    ConnectionClosed { detail: String },
    /// The body was larger than the harness accepts.
    BodyTooLarge { limit: usize },
    /// Anything else the transport reported (refused connection, bad URL, ...).
    Transport { detail: String },
    /// The harness refused the exchange at a limit of its own (its budget for bodies in
    /// flight, its cap on open connections), or could not make it for want of its own
    /// resources (no descriptor for its socket): the harness's limit, never the peer's.
    HarnessRefused { detail: String },
}

impl std::fmt::Display for ExchangeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeFailure::Timeout { after_ms, awaiting } => {
                write!(f, "timed out after {after_ms} ms awaiting the {awaiting}")
            }
            ExchangeFailure::ConnectionClosed { detail } => {
                write!(f, "connection closed early: {detail}")
            }
            ExchangeFailure::BodyTooLarge { limit } => {
                write!(f, "body larger than the {limit}-byte limit")
            }
            ExchangeFailure::Transport { detail } => write!(f, "transport failure: {detail}"),
            ExchangeFailure::HarnessRefused { detail } => {
                write!(f, "refused by the harness: {detail}")
            }
        }
    }
}

/// How observation of a case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Closing {
    /// The peer under test is known to have finished (a built-in peer returned, or the
    /// harness itself was the client and sent its last package).
    PeerDone,
    /// No new request arrived for `after_ms`: the peer may be finished or just slow.
    IdleTimeout { after_ms: u64 },
    /// The per-case exchange limit was reached (a peer looping).
    ExchangeLimit { limit: usize },
    /// A time limit of the harness ran out while `awaiting`: the session's, or, for
    /// dmct's own client, one exchange's (slowness is never a failure by itself: the
    /// spec sets no timeouts between packages).
    SessionTimeout { after_ms: u64, awaiting: String },
    /// The command that was to wake the device (deliver Package 0) failed, so no
    /// session was observed.
    TriggerFailed { detail: String },
    /// The case was not run (e.g. the device did not answer the sanity session).
    Skipped { reason: String },
    /// The case cannot apply to this peer as the run is configured (a server-initiated
    /// case for a device that only starts sessions itself, a challenge case when dmct
    /// demands no credentials), so no session was started for it: not-applicable, with
    /// the reason, never a pass and never a failure.
    NotApplicable { reason: String },
    /// The harness stopped recording for another reason (operator, shutdown).
    Stopped,
    /// The harness itself failed, so the session was not all seen: its listener could not
    /// accept a connection or its client could not open one, for want of its own
    /// resources (`detail` names the limit). Inconclusive, never the peer's failure.
    HarnessFault { detail: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip_as_text_or_base64() {
        let t = Transcript {
            format: TRANSCRIPT_FORMAT,
            exchanges: vec![Exchange {
                request: HttpRequest {
                    method: "POST".into(),
                    target: "/dm?s=1".into(),
                    headers: Headers(vec![(
                        "Content-Type".into(),
                        "application/vnd.syncml.dm+xml".into(),
                    )]),
                    body: b"<SyncML/>".to_vec().into(),
                },
                response: Some(HttpResponse {
                    status: 200,
                    headers: Headers::default(),
                    body: vec![0x03, 0xa4, 0x01, 0xff].into(),
                }),
                failure: None,
                time: None,
            }],
            closing: Closing::IdleTimeout { after_ms: 1500 },
            package0: None,
            transport: TransportAuth::default(),
            client_credentials_waived: false,
            started: None,
            ended: None,
            probes: Vec::new(),
        };
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains(r#""body":{"text":"<SyncML/>"}"#), "{json}");
        assert!(json.contains(r#""body":{"base64":"A6QB/w=="}"#), "{json}");
        // Nothing authenticated at the transport layer and no probe: the format-1
        // shape, unchanged.
        assert!(!json.contains("transport"), "{json}");
        assert!(!json.contains("probes"), "{json}");
        let back: Transcript = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn transport_authentication_round_trips_and_older_files_read_as_none() {
        let t = Transcript {
            transport: TransportAuth {
                client: Some("CN=device-1".into()),
                server: None,
                served_over_tls: false,
            },
            ..Transcript::default()
        };
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            json.contains(r#""transport":{"client":"CN=device-1"}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Transcript>(&json).unwrap(), t);
        let old = r#"{"format":1,"exchanges":[],"closing":{"kind":"stopped"}}"#;
        let back: Transcript = serde_json::from_str(old).unwrap();
        assert!(back.transport.is_empty());
    }

    #[test]
    fn probes_round_trip_and_older_files_read_as_none() {
        let t = Transcript {
            probes: vec![Probe {
                exchange: 2,
                kind: ProbeKind::StaleNonce,
                detail: "an MD5 digest keyed with a replaced nonce".into(),
                nonce: Some("Tm9uY2Ux".into()),
            }],
            ..Transcript::default()
        };
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            json.contains(r#""kind":"stale-nonce""#) && json.contains(r#""nonce":"Tm9uY2Ux""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Transcript>(&json).unwrap(), t);
        let old = r#"{"format":1,"exchanges":[],"closing":{"kind":"stopped"}}"#;
        assert!(
            serde_json::from_str::<Transcript>(old)
                .unwrap()
                .probes
                .is_empty()
        );
    }

    #[test]
    fn header_lookup_ignores_case_and_parameters() {
        let h = Headers(vec![(
            "content-TYPE".into(),
            "Application/Vnd.SyncML.DM+XML; charset=utf-8".into(),
        )]);
        assert_eq!(h.media_type(), Some(Ok(crate::CONTENT_TYPE_XML.into())));
        assert_eq!(
            h.content_type().unwrap().unwrap().param("charset"),
            Some("utf-8")
        );
        assert_eq!(h.get("missing"), None);
    }
}
