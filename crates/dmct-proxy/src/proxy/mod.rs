//! The relay itself: one [`AsyncResponder`] on dmct-net's listener, the session records,
//! the mutations and the RespURI map.

mod mutate;
mod relay;

use crate::apart::finished;
use crate::check::{Checker, ended};
use crate::delivery::{self, Relayed};
use crate::scan;
use crate::upstream::{Upstream, Url};
use crate::{
    Event, EventSink, Mutation, Note, NoteKind, ProxyConfig, ProxyError, Relay, SessionKey,
    SessionRecord, status_for,
};
use bytes::Bytes;
use dmct_net::{AsyncAnswer, AsyncResponder, Connection, HeldBytes, Limits, ServeHandle};
use dmct_proto::auth::{self, Credentials, HMAC_HEADER, Nonce, Scheme};
use dmct_proto::media_type::VerProtoParam;
use dmct_proto::transcript::{
    Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse, Transcript,
};
use dmct_proto::xml::Decoded;
use dmct_proto::{Command, Cred, LocRef, SyncML};
use dmct_rules::Role;
use dmct_session::build::{self, MessageBuilder};

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A session's record and what the proxy keeps about it.
pub(crate) struct Session {
    pub record: SessionRecord,
    spent: BTreeSet<Mutation>,
    challenge: Option<Challenge>,
    /// Exchanges the checker last judged.
    pub checked: usize,
    /// Exchanges whose last one the checker read for the session's end.
    pub settled: usize,
    /// The end of the session has been told (cleared when it goes on).
    pub ended_told: bool,
    /// Waiting in the checker's queue.
    pub queued: bool,
    /// (rule, role) failures already told.
    pub reported: HashSet<(String, Role)>,
    /// The connection of the latest request, and its MsgID: which of the records
    /// sharing a key a request continues (`apart`).
    pub remote: Option<SocketAddr>,
    pub last_msg_id: Option<u64>,
    /// How the last exchange left the session (`apart::last_of`), with the number of
    /// exchanges kept when it was read: exchanges are only ever added.
    pub last_read: Option<(usize, crate::apart::Last)>,
    /// When a request last arrived or was answered.
    pub activity: Instant,
    /// Requests being relayed.
    pub in_flight: usize,
    /// The device stayed quiet past the idle bound (cleared when it goes on).
    pub silent: bool,
    /// Counted among the ended sessions (by the server's end or by silence), once.
    pub end_counted: bool,
    /// The listener refused a request at a limit of dmct's own while this session was
    /// open (its body unread, so whose it was is unknown): its silence may be dmct's.
    pub refused_meanwhile: Option<String>,
}

pub(crate) type SessionCell = Arc<Mutex<Session>>;

/// A lock that a panic elsewhere cannot poison: nothing recorded is lost.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `challenge-pkg1`'s state in a session.
struct Challenge {
    scheme: Scheme,
    nonce: Option<Nonce>,
    /// The credentials of the client's first Package #1, put back for the upstream.
    original: Option<Cred>,
    /// MsgID of the proxy's challenge.
    msg_id: String,
    /// The repeated Package #1 has not come yet.
    awaiting: bool,
    /// Cred/Data of the client's answer: swapped for the original whenever it comes
    /// again (a server that accepts with 200 gets Cred with every message).
    answer: Option<String>,
}

#[derive(Default)]
pub(crate) struct Sessions {
    pub order: Vec<SessionCell>,
    /// The records sharing a key, oldest first: sessions of several devices, or one
    /// device's sessions one after another (`apart`).
    pub by_key: HashMap<SessionKey, Vec<SessionCell>>,
}

/// RespURIs handed to clients as `<proxy>/dmct-r/<n>`: `n` indexes `urls`.
#[derive(Default)]
struct RespUris {
    by_url: HashMap<String, usize>,
    urls: Vec<String>,
}

const RESP_PREFIX: &str = "/dmct-r/";

pub(crate) struct Shared {
    upstream: Upstream,
    upstream_url: Url,
    /// The upstream URL has no path: append the request's.
    append_path: bool,
    limits: Limits,
    mutations: BTreeSet<Mutation>,
    delay: Duration,
    client_creds: Option<Credentials>,
    verproto_param: VerProtoParam,
    pub(crate) max_exchanges: usize,
    /// `scheme://authority` devices reach the proxy at.
    public_origin: String,
    pub(crate) sessions: Mutex<Sessions>,
    resp_uris: Mutex<RespUris>,
    completed: Arc<watch::Sender<usize>>,
    /// Sessions ended by the server or by silence, each counted once.
    pub(crate) ended: Arc<watch::Sender<usize>>,
    /// Quiet this long after the server's answer, a session ended in silence.
    pub(crate) idle: Duration,
    pub(crate) stopped: AtomicBool,
    checker: Checker,
    nonce_seed: u64,
    nonces: AtomicU64,
    pub(crate) on_event: Option<EventSink>,
}

/// What to do with a request before it is forwarded.
enum Before {
    /// Forward it; with other body bytes when given.
    Forward(Option<Vec<u8>>),
    /// The proxy answers it itself.
    Answer(HttpResponse),
}

pub(crate) type Notes = Vec<(NoteKind, String)>;

/// A running proxy.
pub struct ProxyHandle {
    serve: ServeHandle,
    shared: Arc<Shared>,
    url: String,
}

/// Start relaying: bind `config.listen`, forward to `config.upstream`.
pub async fn start(config: ProxyConfig) -> Result<ProxyHandle, ProxyError> {
    let upstream_url = Url::parse(&config.upstream)
        .map_err(|e| ProxyError::BadUpstream(config.upstream.clone(), e))?;
    if upstream_url.https && config.upstream_tls.is_none() {
        return Err(ProxyError::UpstreamNeedsTls(config.upstream.clone()));
    }
    let public = match &config.public_url {
        Some(u) => Some(Url::parse(u).map_err(|e| ProxyError::BadPublicUrl(u.clone(), e))?),
        None => None,
    };
    let seed = config.nonce_seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    // The listener is bound first: its address is the default public URL.
    let slot: Arc<std::sync::OnceLock<Arc<Shared>>> = Arc::new(std::sync::OnceLock::new());
    let responder = Arc::new(Proxy(slot.clone()));
    let serve = dmct_net::serve_async_unrecorded_threads(
        config.listen,
        responder,
        config.limits.clone(),
        config.listen_tls.clone(),
        config.threads,
    )
    .await?;
    let url = config.public_url.clone().unwrap_or_else(|| serve.url());
    let public_origin = public.map(|u| u.origin()).unwrap_or_else(|| serve.url());
    let completed = Arc::new(watch::channel(0).0);
    let ended_count = Arc::new(watch::channel(0).0);
    let shared = Arc::new(Shared {
        upstream: Upstream::new(config.upstream_tls.as_ref(), config.threads > 0),
        append_path: upstream_url.target == "/",
        upstream_url,
        limits: config.limits.clone(),
        mutations: config.mutations.clone(),
        delay: config.delay,
        client_creds: config.client_creds.clone(),
        verproto_param: config.verproto_param,
        max_exchanges: config.max_exchanges,
        public_origin,
        sessions: Mutex::new(Sessions::default()),
        resp_uris: Mutex::new(RespUris::default()),
        completed: completed.clone(),
        ended: ended_count.clone(),
        idle: config.idle,
        stopped: AtomicBool::new(false),
        checker: Checker::start(
            config.on_event.clone(),
            completed,
            ended_count,
            config.live_check,
        ),
        nonce_seed: seed,
        nonces: AtomicU64::new(0),
        on_event: config.on_event.clone(),
    });
    let _ = slot.set(shared.clone());
    shared.watch_idle();
    Ok(ProxyHandle { serve, shared, url })
}

impl ProxyHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.serve.local_addr()
    }

    /// The URL devices are given: [`ProxyConfig::public_url`], or the listener's
    /// `http(s)://IP:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every session so far, in the order each began (a copy; recording goes on).
    pub fn sessions(&self) -> Vec<SessionRecord> {
        let cells: Vec<SessionCell> = lock(&self.shared.sessions).order.clone();
        cells
            .iter()
            .map(|c| finished(&lock(c), self.shared.idle))
            .collect()
    }

    /// Sessions ended so far, by the server or in silence (quiet past
    /// [`ProxyConfig::idle`] after the server's answer), each once: what
    /// `proxy --sessions N` counts.
    pub fn ended(&self) -> usize {
        *self.shared.ended.borrow()
    }

    /// Wait until `n` sessions have ended (see [`ended`](Self::ended)).
    pub async fn wait_ended(&self, n: usize) {
        let mut rx = self.shared.ended.subscribe();
        let _ = rx.wait_for(|c| *c >= n).await;
    }

    /// Sessions the server ended so far (a SessionID that comes back and ends again
    /// counts again).
    pub fn completed(&self) -> usize {
        *self.shared.completed.borrow()
    }

    /// Wait until `n` sessions have ended (see [`completed`](Self::completed)).
    pub async fn wait_completed(&self, n: usize) {
        let mut rx = self.shared.completed.subscribe();
        let _ = rx.wait_for(|c| *c >= n).await;
    }

    /// Hand over the sessions the server has ended, and forget them: a long-running
    /// proxy stays small. A message that arrives later for such a session starts a new
    /// record.
    pub fn take_completed(&self) -> Vec<SessionRecord> {
        let mut sessions = lock(&self.shared.sessions);
        let mut taken = Vec::new();
        let mut keep = Vec::new();
        for cell in std::mem::take(&mut sessions.order) {
            let done = ended(&lock(&cell).record.transcript);
            if done {
                taken.push(cell);
            } else {
                keep.push(cell);
            }
        }
        sessions.order = keep;
        for cell in &taken {
            let key = lock(cell).record.key.clone();
            if let Some(list) = sessions.by_key.get_mut(&key) {
                list.retain(|c| !Arc::ptr_eq(c, cell));
                if list.is_empty() {
                    sessions.by_key.remove(&key);
                }
            }
        }
        drop(sessions);
        taken
            .iter()
            .map(|c| finished(&lock(c), self.shared.idle))
            .collect()
    }

    /// Stop listening (requests in flight get a moment to finish), stop the checker, and
    /// return every session, each transcript closed `PeerDone` when the server ended it,
    /// else `Stopped`.
    pub async fn stop(self) -> Vec<SessionRecord> {
        let ProxyHandle { serve, shared, .. } = self;
        serve.shutdown().await;
        shared.stopped.store(true, Ordering::SeqCst);
        // Stopping joins the checker thread: not on the runtime's own threads. Not by
        // spawn_blocking, which panics when no thread can be made (a tight memory limit,
        // found by the fault tests): then it is joined here.
        let s = shared.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let joiner = std::thread::Builder::new().spawn(move || {
            s.checker.stop();
            let _ = tx.send(());
        });
        match joiner {
            Ok(_) => {
                let _ = rx.await;
            }
            Err(_) => shared.checker.stop(),
        }
        shared.upstream.clear();
        let cells = std::mem::take(&mut lock(&shared.sessions).order);
        lock(&shared.sessions).by_key.clear();
        cells
            .iter()
            .map(|c| finished(&lock(c), shared.idle))
            .collect()
    }
}

/// The listener's logic; the shared state is set right after the listener is bound.
struct Proxy(Arc<std::sync::OnceLock<Arc<Shared>>>);

impl AsyncResponder for Proxy {
    fn respond(&self, request: HttpRequest) -> AsyncAnswer {
        self.respond_from(request, &Connection::default())
    }

    fn respond_from(&self, request: HttpRequest, conn: &Connection) -> AsyncAnswer {
        self.respond_holding(request, conn, HeldBytes::default())
    }

    fn respond_holding(
        &self,
        request: HttpRequest,
        conn: &Connection,
        held: HeldBytes,
    ) -> AsyncAnswer {
        match self.0.get().cloned() {
            // Relayed so that it finishes (in a task of its own) even if the device goes:
            // recorded, and holding the body's budget until done.
            Some(s) => Box::pin(delivery::relay_detached(s, request, conn.remote, held)),
            None => Box::pin(std::future::ready(Some(plain(
                503,
                "dmct proxy is starting\n",
            )))),
        }
    }

    fn refused(&self, exchange: &Exchange) {
        if let Some(s) = self.0.get() {
            let cell = s.session(&SessionKey::Undecodable);
            let what = exchange
                .failure
                .as_ref()
                .map_or_else(String::new, ToString::to_string);
            // The listener's own refusals (past its budget or cap) are told by count, once
            // per burst, by the listener: recorded here, not told one by one.
            let own = matches!(
                exchange.failure,
                Some(ExchangeFailure::HarnessRefused { .. })
            );
            if own {
                s.refused_while_open(&what);
            }
            let notes = if own {
                Vec::new()
            } else {
                vec![(
                    NoteKind::UpstreamFailure,
                    format!("request refused before it was read whole ({what}); not forwarded"),
                )]
            };
            s.record(&cell, exchange.clone(), None, notes);
        }
    }
}

fn plain(status: u16, text: &str) -> HttpResponse {
    let mut headers = Headers::default();
    headers.push("Content-Type", "text/plain; charset=utf-8");
    HttpResponse {
        status,
        headers,
        body: text.as_bytes().to_vec().into(),
    }
}

/// Headers that concern one connection only, never relayed.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// Whether a header is hop-by-hop in `headers` (or one the Connection header names), or
/// one of `also`.
fn not_relayed<'a>(headers: &Headers, also: &'a [&'a str]) -> impl Fn(&str) -> bool + 'a {
    let mut named: Vec<String> = Vec::new();
    for (n, v) in &headers.0 {
        if n.eq_ignore_ascii_case("connection") {
            named.extend(v.split(',').map(|t| t.trim().to_owned()));
        }
    }
    move |n: &str| {
        HOP_BY_HOP
            .iter()
            .chain(also)
            .any(|h| h.eq_ignore_ascii_case(n))
            || named.iter().any(|t| t.eq_ignore_ascii_case(n))
    }
}

/// `headers` less the hop-by-hop ones (and those the Connection header names), and less
/// `also`.
fn relayable<'a>(
    headers: &'a Headers,
    also: &'a [&'a str],
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    let hop = not_relayed(headers, also);
    headers
        .0
        .iter()
        .filter(move |(n, _)| !hop(n))
        .map(|(n, v)| (n.as_str(), v.as_str()))
}

/// As [`relayable`], in place (a response is relayed, not copied).
fn relayable_only(headers: &mut Headers) {
    let hop = not_relayed(headers, &[]);
    headers.0.retain(|(n, _)| !hop(n));
}

fn key_of(decoded: Option<&Decoded>) -> SessionKey {
    match decoded {
        Some(d) => SessionKey::Dm {
            session_id: d.message.hdr.session_id.trim().to_owned(),
            client: d.message.hdr.source.loc_uri.trim().to_owned(),
        },
        None => SessionKey::Undecodable,
    }
}

impl Shared {
    fn has(&self, m: Mutation) -> bool {
        self.mutations.contains(&m)
    }

    fn nonce(&self) -> Nonce {
        let n = self.nonces.fetch_add(1, Ordering::Relaxed);
        Nonce::derive(b"dmct-proxy", self.nonce_seed, n)
    }

    /// A request was refused at dmct's own limit, unread: every session still open may
    /// have been its, so none of them is judged silent after it.
    fn refused_while_open(&self, what: &str) {
        let cells: Vec<SessionCell> = lock(&self.sessions).order.clone();
        for cell in cells {
            let mut s = lock(&cell);
            let open = s.record.key != SessionKey::Undecodable
                && !s.record.completed
                && !s.record.transcript.exchanges.is_empty();
            if open && s.refused_meanwhile.is_none() {
                s.refused_meanwhile = Some(format!(
                    "while this session was open, dmct refused a request at a limit of its own \
                     ({what}); it may have been this session's"
                ));
            }
        }
    }

    /// The one record of `key` (the undecodable requests'), made when first needed.
    pub(crate) fn session(&self, key: &SessionKey) -> SessionCell {
        let mut sessions = lock(&self.sessions);
        if let Some(c) = sessions.by_key.get(key).and_then(|l| l.last()) {
            return c.clone();
        }
        let cell = Self::new_session(key, None);
        sessions.order.push(cell.clone());
        sessions
            .by_key
            .entry(key.clone())
            .or_default()
            .push(cell.clone());
        cell
    }

    /// A new, empty record of a session with `key`, of the device at `peer`.
    pub(crate) fn new_session(key: &SessionKey, peer: Option<IpAddr>) -> SessionCell {
        Arc::new(Mutex::new(Session {
            record: SessionRecord {
                key: key.clone(),
                peer,
                transcript: Transcript {
                    started: Some(dmct_net::wall_clock()),
                    ..Transcript::default()
                },
                relays: Vec::new(),
                not_kept: 0,
                completed: false,
                mutations: Vec::new(),
                notes: Vec::new(),
                live_failures: Vec::new(),
            },
            spent: BTreeSet::new(),
            challenge: None,
            checked: 0,
            settled: 0,
            ended_told: false,
            queued: false,
            reported: HashSet::new(),
            remote: None,
            last_msg_id: None,
            last_read: None,
            activity: Instant::now(),
            in_flight: 0,
            silent: false,
            end_counted: false,
            refused_meanwhile: None,
        }))
    }

    /// Where a request to `target` goes, and whether it is a mapped RespURI.
    fn destination(&self, target: &str) -> (Url, Option<String>) {
        if let Some(rest) = target.strip_prefix(RESP_PREFIX) {
            let token: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let original = token
                .parse::<usize>()
                .ok()
                .and_then(|n| lock(&self.resp_uris).urls.get(n).cloned());
            if let Some(original) = original
                && let Ok(url) = Url::parse(&original)
            {
                return (url, Some(original));
            }
        }
        let mut url = self.upstream_url.clone();
        if self.append_path {
            url.target = target.to_owned();
        }
        (url, None)
    }

    /// The proxy's stand-in for a RespURI; `None` when it needs none (already the
    /// proxy's, or not an absolute http(s) URL).
    fn map_resp_uri(&self, original: &str) -> Option<String> {
        Url::parse(original).ok()?;
        if original.starts_with(&format!("{}{RESP_PREFIX}", self.public_origin)) {
            return None;
        }
        let mut map = lock(&self.resp_uris);
        let n = match map.by_url.get(original) {
            Some(&n) => n,
            None => {
                let n = map.urls.len();
                map.urls.push(original.to_owned());
                map.by_url.insert(original.to_owned(), n);
                n
            }
        };
        Some(format!("{}{RESP_PREFIX}{n}", self.public_origin))
    }

    /// Keep an exchange (or count it past the cap), queue it for the checker, tell the
    /// notes. The exchange ends now (its `time` is given its end here). The index of the
    /// exchange, when it was kept.
    pub(crate) fn record(
        &self,
        cell: &SessionCell,
        exchange: Exchange,
        relay: Option<Relay>,
        notes: Notes,
    ) -> Option<usize> {
        self.record_answer(cell, exchange, relay, notes).0
    }

    /// As [`record`](Self::record), also giving back the exchange's response for the
    /// device: a copy when the exchange is kept, else the response itself (past the cap
    /// nothing is copied).
    pub(crate) fn record_answer(
        &self,
        cell: &SessionCell,
        mut exchange: Exchange,
        relay: Option<Relay>,
        notes: Notes,
    ) -> (Option<usize>, Option<HttpResponse>) {
        let (key, index, kept_notes, queue, response) = {
            let mut s = lock(cell);
            // The session's last exchange so far: when it ended, as far as anyone knows.
            let now = dmct_net::wall_clock();
            s.record.transcript.ended = Some(now.clone());
            s.activity = Instant::now();
            exchange.time.get_or_insert_default().ended = Some(now);
            let (index, response) = if s.record.transcript.exchanges.len() < self.max_exchanges {
                let response = exchange.response.clone();
                s.record.transcript.exchanges.push(exchange);
                s.record.relays.push(relay);
                (Some(s.record.transcript.exchanges.len() - 1), response)
            } else {
                s.record.not_kept += 1;
                (None, exchange.response.take())
            };
            let mut kept = Vec::new();
            for (kind, text) in notes {
                let note = Note {
                    exchange: index,
                    kind,
                    text,
                };
                // Notes are bounded like exchanges.
                if s.record.notes.len() < self.max_exchanges {
                    s.record.notes.push(note.clone());
                }
                kept.push(note);
            }
            let queue = index.is_some() && !s.queued;
            if queue {
                s.queued = true;
            }
            let key = (self.on_event.is_some() && !kept.is_empty()).then(|| s.record.key.clone());
            (key, index, kept, queue, response)
        };
        if queue {
            self.checker.queue(cell.clone());
        }
        if let (Some(sink), Some(key)) = (&self.on_event, key) {
            for note in kept_notes {
                sink(Event::Note {
                    session: key.clone(),
                    note,
                });
            }
        }
        (index, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_not_relayed() {
        let h = Headers(vec![
            (
                "Content-Type".into(),
                "application/vnd.syncml.dm+xml".into(),
            ),
            ("Connection".into(), "keep-alive, X-Private".into()),
            ("x-private".into(), "1".into()),
            ("Transfer-Encoding".into(), "chunked".into()),
            ("Content-Length".into(), "3".into()),
            (
                "x-syncml-hmac".into(),
                "algorithm=MD5, username=\"u\", mac=m".into(),
            ),
            ("Host".into(), "proxy:1".into()),
        ]);
        let names: Vec<&str> = relayable(&h, &["host"]).map(|(n, _)| n).collect();
        assert_eq!(names, ["Content-Type", "x-syncml-hmac"]);
        let mut in_place = h.clone();
        relayable_only(&mut in_place);
        let kept: Vec<(&str, &str)> = relayable(&h, &[]).collect();
        let in_place_pairs: Vec<(&str, &str)> = in_place
            .0
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(in_place_pairs, kept);
        assert_eq!(in_place.0.len(), 3, "{in_place:?}");
    }
}
