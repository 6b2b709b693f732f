//! dmct as a man-in-the-middle: a real DM client talks to a real DM server through the
//! proxy, which relays every request and response byte for byte, records one
//! [`Transcript`] per DM session as the client saw it, checks every rule for both roles
//! as the session goes, and on request injects the faults the rules are about
//! ([`Mutation`]).
//!
//! ```text
//!  device --HTTP(S)--> proxy (listen) --HTTP(S), pooled keep-alive--> DM server (upstream)
//!                        |  record per (SessionID, client LocURI), live check
//!                        v
//!                   Event callback (new failures, notes); SessionRecords at stop
//! ```
//!
//! # Relaying
//!
//! * **Where a request goes.** When the upstream URL has a path (`http://dm.example/dm`),
//!   every request goes to that URL as it is, whatever path the device used: the proxy
//!   stands for that one server address. When it has none (`http://dm.example:8080` or a
//!   lone `/`), the request's own path and query are appended. Requests to a RespURI the
//!   proxy handed out (`<proxy>/dmct-r/<n>`) go to the original RespURI.
//! * **What is forwarded.** Method, headers and body unchanged, except hop-by-hop headers
//!   (Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade),
//!   `Host` (set to the upstream's authority), `Expect` and `Content-Length` (recomputed
//!   from the body). The response comes back the same way: status, every header but the
//!   hop-by-hop ones and Content-Length (which the listener sets), and the body
//!   byte-exact. A body that does not decode as DM is relayed as it is: only transport
//!   failures make the proxy answer in the server's place.
//! * **Upstream failures.** A refused, reset or garbled (non-HTTP) upstream, or a body
//!   over [`Limits::max_body`], answers the client 502; no answer within
//!   [`Limits::exchange_timeout`] answers 504. The session's transcript then holds the
//!   request with the upstream's failure and no response (that is what the server did;
//!   a timeout is inconclusive for the rules, never a failure), and the exchange's
//!   [`Relay::proxy_response`] holds the 502/504 the client got. Other sessions go on.
//!
//! # Recording
//!
//! Each exchange lands in the record of its DM session, keyed by the SessionID and the
//! client's Source LocURI of the request's SyncHdr ([`SessionKey::Dm`]); a request whose
//! SyncHdr cannot be read (not a DM message, or refused before its body was read whole)
//! lands in one [`SessionKey::Undecodable`] record. Records sharing a key are told apart
//! by the device's address, its connection, and a new Package #1 (MsgID 1), which opens
//! a new session unless the last answer asked for it again (a challenge); see `apart`.
//! When the proxy changed bytes (a mutation, a
//! RespURI rewrite), the exchange's [`Relay`] keeps what the upstream saw and returned
//! beside the transcript's client-side bytes.
//!
//! **Nothing seen is dropped.** A device that closes its connection while the proxy
//! awaits the upstream does not cancel the relay (it goes on in a task of its own): the
//! exchange is recorded with the upstream's answer, its failure
//! [`ExchangeFailure::ConnectionClosed`](dmct_proto::transcript::ExchangeFailure)
//! "client gone: ..." (the device never got the answer), and a [`NoteKind::ClientGone`]
//! note says so.
//!
//! **Memory is bounded per session**: the first [`ProxyConfig::max_exchanges`] exchanges
//! of a record are kept, later ones are relayed and counted
//! ([`SessionRecord::not_kept`]) but not kept or checked. A load generator that sends
//! one Package #1 over and over therefore fills one record and then costs nothing more.
//! The number of records is not bounded: a long-running proxy hands finished sessions
//! over with [`ProxyHandle::take_completed`].
//!
//! # The request path stays light
//!
//! Decoding a whole DM message costs more than relaying it. Without mutations the relay
//! reads only a request's SyncHdr, in either encoding, with dmct-proto's streaming reader
//! (`dmct_proto::stream::session_head`: the session key, and for MsgID 1 whether the
//! body, read up to its setup Alert, sets a session up; a header it cannot read goes to
//! the full decoder), and decodes a response only when it may carry a RespURI (the
//! element name, or a byte that could be its WBXML tag, occurs in it). How a record's
//! last exchange left it is read once per exchange kept. Everything else about the
//! messages is read on the checker thread.
//!
//! # Live checking and the end of a session
//!
//! One checker thread reads each session after its exchanges are recorded (off the
//! request path; when it falls behind, the checks of one session coalesce into one of
//! its latest state). It first settles whether the server has ended the session: the
//! last response is a final package without operations or challenge, or an Alert 1223
//! ([`SessionRecord::completed`], [`ProxyHandle::wait_completed`],
//! [`Event::SessionEnded`]). Then, with [`ProxyConfig::live_check`], it judges the
//! transcript so far with [`dmct_rules::check`] and tells every (rule, role) that newly
//! fails as [`Event::Finding`]. While a session is in progress its transcript closes as
//! [`Closing::Stopped`], so silence is inconclusive, never a failure; once the server
//! ended it, as [`Closing::PeerDone`]. Records handed out ([`ProxyHandle::sessions`],
//! [`ProxyHandle::stop`]) are closed the same way, settled afresh from their transcript.
//!
//! A session also ends in silence: its device sends nothing for [`ProxyConfig::idle`]
//! after the server's answer. It is told once ([`Event::SessionSilent`]), counted with
//! the server-ended ones ([`ProxyHandle::wait_ended`], what `proxy --sessions N` waits
//! for), and handed out closed as [`Closing::IdleTimeout`] (if the device comes back,
//! the session goes on).

mod apart;
mod check;
mod delivery;
mod mutation;
mod proxy;
#[doc(hidden)] // public for the fuzz targets (dmct-fuzz) only
pub mod scan;
mod upstream;

pub use mutation::{Mutation, UnknownMutation};
pub use proxy::{ProxyHandle, start};

pub use dmct_net::{ClientTls, Limits, ServerTls};
pub use dmct_proto::auth::Credentials;
pub use dmct_proto::transcript::{Closing, Transcript};
pub use dmct_rules::Finding;

use dmct_proto::media_type::VerProtoParam;
use dmct_proto::transcript::{ExchangeFailure, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Told of what happens, as it happens. Called from the proxy's tasks and its checker
/// thread: it must return quickly (print, or send into a channel).
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// How a proxy runs.
#[derive(Clone)]
pub struct ProxyConfig {
    /// Where devices connect.
    pub listen: SocketAddr,
    /// The real DM server: `http://` or `https://` (see the crate docs for how request
    /// paths map onto it).
    pub upstream: String,
    /// Body size and time bounds, both towards the device and towards the upstream.
    pub limits: Limits,
    /// Trust for an `https://` upstream (a CA file, or insecure).
    pub upstream_tls: Option<ClientTls>,
    /// Serve HTTPS to devices with this certificate.
    pub listen_tls: Option<ServerTls>,
    /// The proxy's address as devices reach it (`http://192.0.2.1:8080`), the base of
    /// rewritten RespURIs. Default: the listener's `http(s)://IP:PORT`, loopback when
    /// listening on an unspecified address.
    pub public_url: Option<String>,
    pub mutations: BTreeSet<Mutation>,
    /// How long `delay-response` holds a response.
    pub delay: Duration,
    /// The client's credentials (the device's DMAcc CLCRED), for `challenge-pkg1` to
    /// verify the client's answer to its challenge. `None`: the scheme is checked, the
    /// digest is not.
    pub client_creds: Option<Credentials>,
    /// How the DM messages the proxy writes itself (challenge-pkg1) carry verproto.
    pub verproto_param: VerProtoParam,
    /// Exchanges kept per session; later ones are relayed and counted only.
    pub max_exchanges: usize,
    /// Judge each session as it goes (on a checker thread).
    pub live_check: bool,
    /// Seed of the nonces the proxy makes; `None`: from the clock at start.
    pub nonce_seed: Option<u64>,
    /// A session whose device stays quiet this long after the server's last answer
    /// ended in silence: it counts among the ended sessions
    /// ([`ProxyHandle::wait_ended`]) and its transcript closes as
    /// [`Closing::IdleTimeout`].
    pub idle: Duration,
    pub on_event: Option<EventSink>,
    /// Serve devices on this many threads of the proxy's own, a single-threaded runtime
    /// each (`dmct proxy`: one per core); 0: on the runtime that calls [`start`].
    pub threads: usize,
}

impl ProxyConfig {
    /// Plain HTTP on both sides, no mutation, live checking on.
    pub fn new(listen: SocketAddr, upstream: impl Into<String>) -> Self {
        ProxyConfig {
            listen,
            upstream: upstream.into(),
            limits: Limits::default(),
            upstream_tls: None,
            listen_tls: None,
            public_url: None,
            mutations: BTreeSet::new(),
            delay: Duration::from_secs(2),
            client_creds: None,
            verproto_param: VerProtoParam::default(),
            max_exchanges: DEFAULT_MAX_EXCHANGES,
            live_check: true,
            nonce_seed: None,
            idle: DEFAULT_IDLE,
            on_event: None,
            threads: 0,
        }
    }
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("listen", &self.listen)
            .field("upstream", &self.upstream)
            .field("limits", &self.limits)
            .field("upstream_tls", &self.upstream_tls.is_some())
            .field("listen_tls", &self.listen_tls.is_some())
            .field("public_url", &self.public_url)
            .field("mutations", &self.mutations)
            .field("delay", &self.delay)
            .field("client_creds", &self.client_creds.as_ref().map(|c| &c.user))
            .field("max_exchanges", &self.max_exchanges)
            .field("live_check", &self.live_check)
            .field("nonce_seed", &self.nonce_seed)
            .field("idle", &self.idle)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// How long a device may stay quiet after the server's answer before its session counts
/// as ended in silence, by default (as `dmct run --idle`).
pub const DEFAULT_IDLE: Duration = Duration::from_secs(10);

/// Exchanges kept per session by default.
pub const DEFAULT_MAX_EXCHANGES: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the upstream {0:?} is not usable: {1}")]
    BadUpstream(String, dmct_proto::url::UrlError),
    #[error("the upstream {0} is https: it needs TLS settings (a CA file or insecure)")]
    UpstreamNeedsTls(String),
    #[error("the public URL {0:?} is not usable: {1}")]
    BadPublicUrl(String, dmct_proto::url::UrlError),
    #[error(transparent)]
    Listen(#[from] dmct_net::NetError),
}

/// Which DM session an exchange belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SessionKey {
    /// SessionID and the client's Source LocURI, as in the request's SyncHdr.
    Dm { session_id: String, client: String },
    /// Requests whose body is not a SyncML DM message, or was never received whole.
    Undecodable,
}

impl std::fmt::Display for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionKey::Dm { session_id, client } => {
                write!(f, "session {session_id} of {client}")
            }
            SessionKey::Undecodable => f.write_str("undecodable requests"),
        }
    }
}

/// What the proxy did to one exchange, when the client's side of it is not the whole
/// story: the upstream's own bytes beside the transcript's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relay {
    /// Where the request went; `None` when the proxy answered it itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_url: Option<String>,
    /// The request as the upstream got it, when it differs from the client's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<HttpRequest>,
    /// The upstream's response as it came, when the client got other bytes (or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    /// What the proxy answered the client in place of a failed upstream (502, 504).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_response: Option<HttpResponse>,
    /// What was changed, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

/// Something the proxy did or saw in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The exchange, when it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<usize>,
    pub kind: NoteKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// A mutation was applied.
    Mutation,
    /// A RespURI was rewritten to the proxy's address.
    RespUri,
    /// A rewrite changed a body the server had signed (x-syncml-hmac): its mac no longer
    /// matches, and the proxy does not re-sign.
    HmacInvalidated,
    /// `challenge-pkg1` checked the client's answer: verified (true), refused (false),
    /// or only its scheme was checked (no secret configured: `None`).
    CredentialCheck { verified: Option<bool> },
    /// The upstream failed; the client got 502 or 504.
    UpstreamFailure,
    /// The device closed its connection before the proxy could deliver the answer: the
    /// exchange is kept with what the upstream answered, its failure "client gone".
    ClientGone,
}

/// One DM session as the proxy recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub key: SessionKey,
    /// The device's address: records sharing a key are told apart by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<std::net::IpAddr>,
    /// What the client sent and got, in order; closing `PeerDone` when the server ended
    /// the session, else `Stopped`.
    pub transcript: Transcript,
    /// Beside each kept exchange, what the upstream saw and returned when it differs.
    pub relays: Vec<Option<Relay>>,
    /// Exchanges relayed after [`ProxyConfig::max_exchanges`] was reached: counted, not
    /// kept.
    pub not_kept: usize,
    /// The server sent a final package without operations or challenge.
    pub completed: bool,
    /// Mutations applied in this session.
    pub mutations: Vec<Mutation>,
    pub notes: Vec<Note>,
    /// Every (rule, role) the live checker saw fail, in the order they first failed.
    pub live_failures: Vec<Finding>,
}

/// What the proxy tells as it runs.
#[derive(Debug, Clone)]
pub enum Event {
    /// A rule fails for the first time in this session.
    Finding {
        session: SessionKey,
        finding: Finding,
    },
    /// A mutation, a rewrite, an upstream failure, a credential check.
    Note { session: SessionKey, note: Note },
    /// The server ended the session; `exchanges` kept so far.
    SessionEnded {
        session: SessionKey,
        exchanges: usize,
    },
    /// The device stayed quiet `after_ms` after the server's last answer: the session
    /// ended in silence (told once; it goes on if the device comes back).
    SessionSilent {
        session: SessionKey,
        exchanges: usize,
        after_ms: u64,
    },
}

// Mutation is stored in records: serialised by name.
impl Serialize for Mutation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Mutation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Mutation::from_name(&name).ok_or_else(|| serde::de::Error::custom(UnknownMutation(name)))
    }
}

/// The failure an upstream exchange ended with, for the client's transcript.
pub(crate) fn status_for(failure: &ExchangeFailure) -> u16 {
    match failure {
        ExchangeFailure::Timeout { .. } => 504,
        // The proxy's own limit, not the upstream's failure.
        ExchangeFailure::HarnessRefused { .. } => 503,
        _ => 502,
    }
}
