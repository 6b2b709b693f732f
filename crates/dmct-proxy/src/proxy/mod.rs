//! The relay itself: one [`AsyncResponder`] on dmct-net's listener, the session records,
//! the mutations and the RespURI map.

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
use dmct_proto::media_type::{VerProtoParam, dm_content_type};
use dmct_proto::transcript::{
    Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse, Transcript,
};
use dmct_proto::xml::{Decoded, Encoding};
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
    let serve = dmct_net::serve_async_unrecorded(
        config.listen,
        responder,
        config.limits.clone(),
        config.listen_tls.clone(),
    )
    .await?;
    let url = config.public_url.clone().unwrap_or_else(|| serve.url());
    let public_origin = public.map(|u| u.origin()).unwrap_or_else(|| serve.url());
    let completed = Arc::new(watch::channel(0).0);
    let ended_count = Arc::new(watch::channel(0).0);
    let shared = Arc::new(Shared {
        upstream: Upstream::new(config.upstream_tls.as_ref()),
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
        let shared = self.0.get().cloned();
        let remote = conn.remote;
        Box::pin(async move {
            match shared {
                // Relayed in a task of its own: recorded even if the device goes, and
                // holding the body's budget until done.
                Some(s) => delivery::relay_detached(s, request, remote, held).await,
                None => Some(plain(503, "dmct proxy is starting\n")),
            }
        })
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

/// A DM message the proxy writes itself (challenge-pkg1's challenge).
fn dm_response(msg: &SyncML, encoding: Encoding, verproto: VerProtoParam) -> HttpResponse {
    let mut headers = Headers::default();
    headers.push(
        "Content-Type",
        dm_content_type(encoding, &msg.hdr.ver_proto, verproto),
    );
    HttpResponse {
        status: 200,
        headers,
        body: dmct_proto::encode(msg, encoding).into(),
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

/// `headers` less the hop-by-hop ones (and those the Connection header names), and less
/// `also`.
fn relayable(headers: &Headers, also: &[&str]) -> Headers {
    let hop = |n: &str| {
        HOP_BY_HOP
            .iter()
            .chain(also)
            .any(|h| h.eq_ignore_ascii_case(n))
    };
    let mut named: Vec<&str> = Vec::new();
    for (n, v) in &headers.0 {
        if n.eq_ignore_ascii_case("connection") {
            named.extend(v.split(',').map(str::trim));
        }
    }
    Headers(
        headers
            .0
            .iter()
            .filter(|(n, _)| !hop(n) && !named.iter().any(|t| t.eq_ignore_ascii_case(n)))
            .cloned()
            .collect(),
    )
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

    pub(crate) async fn relay(
        self: Arc<Self>,
        request: HttpRequest,
        remote: Option<SocketAddr>,
        held: &mut HeldBytes,
    ) -> Relayed {
        // The request is whole here: its exchange starts now, as the proxy sees it.
        let started_at = dmct_net::wall_clock();
        let started = || {
            Some(dmct_proto::transcript::Span {
                started: Some(started_at.clone()),
                ended: None,
            })
        };
        // The whole message is decoded only when a mutation needs its model, the header
        // scan cannot place it, or it may open a session (MsgID 1); relaying alone needs
        // the session key.
        let mutating = !self.mutations.is_empty();
        let (key, msg_id, decoded) = match scan::head(request.body.as_bytes()).filter(|_| !mutating)
        {
            Some(h) => {
                let msg_id = h.msg_id.parse::<u64>().ok();
                let decoded = (msg_id == Some(1))
                    .then(|| dmct_proto::decode(request.body.as_bytes()).ok())
                    .flatten();
                let key = SessionKey::Dm {
                    session_id: h.session_id,
                    client: h.client,
                };
                (key, msg_id, decoded)
            }
            None => {
                let d = dmct_proto::decode(request.body.as_bytes()).ok();
                let msg_id = d.as_ref().and_then(|d| d.message.hdr.msg_id_number());
                (key_of(d.as_ref()), msg_id, d)
            }
        };
        let new_package1 = msg_id == Some(1)
            && decoded
                .as_ref()
                .is_some_and(|d| d.message.is_session_setup());
        let (cell, _busy) = self.session_for(
            &key,
            remote,
            msg_id,
            new_package1.then(|| request.body.as_bytes()),
        );
        let mut relay = Relay::default();
        let mut notes: Notes = Vec::new();

        let before = if mutating {
            let mut s = lock(&cell);
            self.before(&mut s, &request, decoded.as_ref(), &mut relay, &mut notes)
        } else {
            Before::Forward(None)
        };
        let rewritten = match before {
            Before::Answer(resp) => {
                let i = self.record(
                    &cell,
                    Exchange {
                        request,
                        response: Some(resp.clone()),
                        failure: None,
                        time: started(),
                    },
                    Some(relay),
                    notes,
                );
                return Relayed::new(Some(resp), &cell, i);
            }
            Before::Forward(body) => body,
        };

        let (url, mapped) = self.destination(&request.target);
        let mut headers = Headers::default();
        headers.push("Host", url.authority.clone());
        headers
            .0
            .extend(relayable(&request.headers, &["host", "expect"]).0);
        let body = match &rewritten {
            Some(b) => b.clone(),
            None => request.body.as_bytes().to_vec(),
        };
        headers.push("Content-Length", body.len().to_string());
        if let Some(original) = &mapped {
            relay
                .changes
                .push(format!("sent to the RespURI the server gave: {original}"));
        }
        if let Some(b) = rewritten {
            relay.request = Some(HttpRequest {
                method: request.method.clone(),
                target: url.target.clone(),
                headers: headers.clone(),
                body: b.into(),
            });
        }
        let reply = self
            .upstream
            .send(
                &url,
                &request.method,
                &headers,
                Bytes::from(body),
                &self.limits,
                held,
            )
            .await;
        let upstream_url = || Some(format!("{}{}", url.origin(), url.target));

        let mut response = match (reply.response, reply.failure) {
            (Some(r), None) => r,
            (partial, failure) => {
                let failure = failure.unwrap_or(ExchangeFailure::Transport {
                    detail: "the upstream gave no response".into(),
                });
                let code = status_for(&failure);
                let mut answer = plain(
                    code,
                    &format!(
                        "dmct proxy: the DM server at {} failed: {failure}\n",
                        url.origin()
                    ),
                );
                if code == 503 {
                    // The proxy's own limit: the device may come back.
                    answer.headers.push("Retry-After", "5");
                }
                relay.upstream_url = upstream_url();
                relay.response = partial;
                relay.proxy_response = Some(answer.clone());
                relay
                    .changes
                    .push(format!("the upstream failed ({failure}); answered {code}"));
                notes.push((
                    NoteKind::UpstreamFailure,
                    format!(
                        "upstream {} failed ({failure}): answered {code}",
                        url.origin()
                    ),
                ));
                let i = self.record(
                    &cell,
                    Exchange {
                        request,
                        response: None,
                        failure: Some(failure),
                        time: started(),
                    },
                    Some(relay),
                    notes,
                );
                return Relayed::new(Some(answer), &cell, i);
            }
        };
        response.headers = relayable(&response.headers, &[]);

        // The response's model, when a rewrite or a mutation may need it.
        let decoded_resp = if mutating || scan::may_have_resp_uri(response.body.as_bytes()) {
            dmct_proto::decode(response.body.as_bytes()).ok()
        } else {
            None
        };
        let (delay, drop_it) = {
            let mut s = lock(&cell);
            self.after(
                &mut s,
                decoded.as_ref().map(|d| &d.message),
                &mut response,
                decoded_resp,
                &mut relay,
                &mut notes,
            )
        };
        if delay {
            tokio::time::sleep(self.delay).await;
        }
        let relay = (!relay.changes.is_empty()).then(|| Relay {
            upstream_url: upstream_url(),
            ..relay
        });
        if drop_it {
            let failure = ExchangeFailure::ConnectionClosed {
                detail: "dmct proxy closed the connection instead of relaying the server's \
                         answer (mutation drop-response)"
                    .into(),
            };
            let i = self.record(
                &cell,
                Exchange {
                    request,
                    response: None,
                    failure: Some(failure),
                    time: started(),
                },
                relay,
                notes,
            );
            return Relayed::new(None, &cell, i);
        }
        let i = self.record(
            &cell,
            Exchange {
                request,
                response: Some(response.clone()),
                failure: None,
                time: started(),
            },
            relay,
            notes,
        );
        Relayed::new(Some(response), &cell, i)
    }

    /// Mutations of the request: `challenge-pkg1`.
    fn before(
        &self,
        s: &mut Session,
        request: &HttpRequest,
        decoded: Option<&Decoded>,
        relay: &mut Relay,
        notes: &mut Notes,
    ) -> Before {
        let Some(d) = decoded else {
            return Before::Forward(None);
        };
        let m = &d.message;
        let new_pkg1 = m.is_session_setup() && m.hdr.msg_id_number() == Some(1);
        if self.has(Mutation::ChallengePkg1) && new_pkg1 && s.spent.insert(Mutation::ChallengePkg1)
        {
            s.record.mutations.push(Mutation::ChallengePkg1);
            let sent = m
                .hdr
                .cred
                .as_ref()
                .and_then(|c| build::scheme_of(c.meta.as_ref()));
            let scheme = if sent == Some(Scheme::Md5) {
                Scheme::Basic
            } else {
                Scheme::Md5
            };
            let nonce = (scheme == Scheme::Md5).then(|| self.nonce());
            let code = if m.hdr.cred.is_none() && request.headers.get(HMAC_HEADER).is_none() {
                407
            } else {
                401
            };
            let mut b = MessageBuilder::new(
                &m.hdr.session_id,
                1,
                &m.hdr.source.loc_uri,
                LocRef::uri(&m.hdr.target.loc_uri),
            );
            let chal = build::chal(scheme, nonce.as_ref());
            b.push(build::synchdr_status(&m.hdr, code, Some(chal.clone())));
            // A 401/407 to a command carries the Chal too ([PRO] §9.1: "request (message
            // or command)").
            for cmd in m.operations() {
                let mut st = build::command_status(&m.hdr.msg_id, cmd, code);
                if let Command::Status(x) = &mut st {
                    x.chal = Some(Box::new(chal.clone()));
                }
                b.push(st);
            }
            let answer = dm_response(&b.finish(true), d.encoding, self.verproto_param);
            s.challenge = Some(Challenge {
                scheme,
                nonce,
                original: m.hdr.cred.clone(),
                msg_id: "1".into(),
                awaiting: true,
                answer: None,
            });
            let what = format!(
                "challenge-pkg1: answered Package #1 itself with {code} and a Chal of {}; \
                 not forwarded",
                scheme.meta_type()
            );
            relay.changes.push(what.clone());
            notes.push((NoteKind::Mutation, what));
            return Before::Answer(answer);
        }
        if new_pkg1 && s.challenge.as_ref().is_some_and(|c| !c.awaiting) {
            // A new session under the same SessionID: nothing to translate any more.
            s.challenge = None;
        }
        let Some(ch) = s.challenge.as_mut() else {
            return Before::Forward(None);
        };
        if ch.awaiting && m.is_session_setup() {
            ch.awaiting = false;
            let (verified, text) = self.verify_answer(ch, m.hdr.cred.as_ref());
            notes.push((NoteKind::CredentialCheck { verified }, text));
            ch.answer = m.hdr.cred.as_ref().map(|c| c.data.clone());
            let mut out = m.clone();
            out.hdr.cred = ch.original.clone();
            let msg_id = ch.msg_id.clone();
            out.body.commands.retain(|c| {
                !matches!(c, Command::Status(st) if st.is_for_synchdr() && st.msg_ref.trim() == msg_id)
            });
            let what = "challenge-pkg1: forwarded the repeated Package #1 with the client's \
                        original credentials and without its Status for the proxy's challenge"
                .to_owned();
            relay.changes.push(what.clone());
            notes.push((NoteKind::Mutation, what));
            return Before::Forward(Some(dmct_proto::encode(&out, d.encoding)));
        }
        if ch.awaiting {
            return Before::Forward(None);
        }
        // The rest of the session: the client numbers the server's messages one above
        // the server's own count (the proxy's challenge was its first), so references
        // go back down by one; its answer to the proxy's challenge, if sent again, is
        // replaced by the original credentials.
        let mut out = m.clone();
        let mut what = Vec::new();
        if let (Some(answer), Some(cred)) = (&ch.answer, &out.hdr.cred)
            && cred.data == *answer
        {
            out.hdr.cred = ch.original.clone();
            what.push("its credentials for the proxy's challenge replaced by its original ones");
        }
        let mut shifted = false;
        for c in &mut out.body.commands {
            let slot = match c {
                Command::Status(st) => Some(&mut st.msg_ref),
                Command::Results(r) => r.msg_ref.as_mut(),
                _ => None,
            };
            if let Some(r) = slot
                && let Ok(n) = r.trim().parse::<u64>()
                && n >= 2
            {
                *r = (n - 1).to_string();
                shifted = true;
            }
        }
        if shifted {
            what.push("MsgRefs to the server's messages lowered by one (the server's count)");
        }
        if what.is_empty() {
            return Before::Forward(None);
        }
        relay
            .changes
            .push(format!("challenge-pkg1: {}", what.join("; ")));
        Before::Forward(Some(dmct_proto::encode(&out, d.encoding)))
    }

    /// What `challenge-pkg1` can tell of the client's answer.
    fn verify_answer(&self, ch: &Challenge, cred: Option<&Cred>) -> (Option<bool>, String) {
        let asked = ch.scheme.meta_type();
        let Some(cred) = cred else {
            return (
                Some(false),
                format!(
                    "challenge-pkg1: the repeated Package #1 carries no Cred; {asked} was asked for"
                ),
            );
        };
        match build::scheme_of(cred.meta.as_ref()) {
            Some(s) if s == ch.scheme => match &self.client_creds {
                Some(creds) => match auth::verify(s, &cred.data, creds, ch.nonce.as_ref()) {
                    Ok(()) => (
                        Some(true),
                        format!(
                            "challenge-pkg1: the repeated Package #1 carries {asked} credentials \
                             that verify against the configured client secret"
                        ),
                    ),
                    Err(e) => (
                        Some(false),
                        format!(
                            "challenge-pkg1: the repeated Package #1 carries {asked} credentials \
                             that do not verify against the configured client secret ({e})"
                        ),
                    ),
                },
                None => (
                    None,
                    format!(
                        "challenge-pkg1: the repeated Package #1 carries {asked} credentials \
                         (not verified: no client secret configured)"
                    ),
                ),
            },
            _ => (
                Some(false),
                format!(
                    "challenge-pkg1: the repeated Package #1 carries Cred of type {:?}; {asked} \
                     was asked for",
                    cred.meta
                        .as_ref()
                        .and_then(|m| m.r#type.as_deref())
                        .unwrap_or("(none)")
                ),
            ),
        }
    }

    /// Rewrites and mutations of the response. Returns (delay it, drop it).
    fn after(
        &self,
        s: &mut Session,
        req_msg: Option<&SyncML>,
        response: &mut HttpResponse,
        decoded: Option<Decoded>,
        relay: &mut Relay,
        notes: &mut Notes,
    ) -> (bool, bool) {
        let mut original: Option<HttpResponse> = None;
        if let Some(d) = decoded {
            let (mut m, encoding) = (d.message, d.encoding);
            let mut model_changed = false;
            let mut drop_hmac = false;
            if let Some(uri) = m.hdr.resp_uri.clone()
                && let Some(mapped) = self.map_resp_uri(&uri)
            {
                m.hdr.resp_uri = Some(mapped.clone());
                model_changed = true;
                let what = format!("RespURI {uri} rewritten to {mapped}");
                relay.changes.push(what.clone());
                notes.push((NoteKind::RespUri, what));
            }
            if let Some(ch) = &s.challenge
                && !ch.awaiting
                && let Some(n) = m.hdr.msg_id_number()
            {
                // challenge-pkg1: the proxy's challenge was the server's MsgID 1 as the
                // client sees it, so the server's own count goes up by one.
                m.hdr.msg_id = (n + 1).to_string();
                model_changed = true;
                relay.changes.push(format!(
                    "challenge-pkg1: the server's MsgID {n} shown as {} (the proxy's \
                     challenge was MsgID 1)",
                    n + 1
                ));
            }
            let setup = req_msg.is_some_and(SyncML::is_session_setup);
            if self.has(Mutation::StripPkg2Cred)
                && setup
                && m.challenge().is_none()
                && s.spent.insert(Mutation::StripPkg2Cred)
            {
                s.record.mutations.push(Mutation::StripPkg2Cred);
                let had_cred = m.hdr.cred.take().is_some();
                let before = m.body.commands.len();
                m.body.commands.retain(|c| !c.is_operation());
                let removed = before - m.body.commands.len();
                drop_hmac = response.headers.get(HMAC_HEADER).is_some();
                model_changed = true;
                let what = format!(
                    "strip-pkg2-cred: removed from Package #2 the server's {}and {removed} \
                     management command(s)",
                    match (had_cred, drop_hmac) {
                        (true, true) => "Cred, its x-syncml-hmac header ",
                        (true, false) => "Cred ",
                        (false, true) => "x-syncml-hmac header ",
                        (false, false) => "credentials (there were none) ",
                    }
                );
                relay.changes.push(what.clone());
                notes.push((NoteKind::Mutation, what));
            }
            if self.has(Mutation::RenewNonce) && !s.spent.contains(&Mutation::RenewNonce) {
                let slot = m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Status(st) => {
                        st.chal.as_mut().and_then(|ch| ch.meta.next_nonce.as_mut())
                    }
                    _ => None,
                });
                if let Some(n) = slot {
                    s.spent.insert(Mutation::RenewNonce);
                    s.record.mutations.push(Mutation::RenewNonce);
                    let fresh = self.nonce().to_b64();
                    let what = format!(
                        "renew-nonce: the server's NextNonce {} replaced by {fresh}, which the \
                         server does not know",
                        n.trim()
                    );
                    *n = fresh;
                    model_changed = true;
                    relay.changes.push(what.clone());
                    notes.push((NoteKind::Mutation, what));
                }
            }
            if model_changed {
                original.get_or_insert_with(|| response.clone());
                response.body = dmct_proto::encode(&m, encoding).into();
                if drop_hmac {
                    response
                        .headers
                        .0
                        .retain(|(n, _)| !n.eq_ignore_ascii_case(HMAC_HEADER));
                } else if response.headers.get(HMAC_HEADER).is_some() {
                    let what = "the server's x-syncml-hmac mac was over the original body; the \
                                rewritten body no longer matches it (the proxy does not re-sign)"
                        .to_owned();
                    relay.changes.push(what.clone());
                    notes.push((NoteKind::HmacInvalidated, what));
                }
            }
        }
        if self.has(Mutation::CorruptWbxml)
            && matches!(response.body.as_bytes().first(), Some(0x01..=0x03))
            && s.spent.insert(Mutation::CorruptWbxml)
        {
            s.record.mutations.push(Mutation::CorruptWbxml);
            original.get_or_insert_with(|| response.clone());
            let i = response.body.len() / 2;
            let mut bytes = response.body.as_bytes().to_vec();
            if let Some(b) = bytes.get_mut(i) {
                let was = *b;
                *b ^= 0xFF;
                let what = format!(
                    "corrupt-wbxml: byte {i} of the WBXML body flipped from {was:#04x} to {:#04x}",
                    *b
                );
                response.body = bytes.into();
                relay.changes.push(what.clone());
                notes.push((NoteKind::Mutation, what));
            }
        }
        let delay = self.has(Mutation::DelayResponse) && s.spent.insert(Mutation::DelayResponse);
        if delay {
            s.record.mutations.push(Mutation::DelayResponse);
            let what = format!(
                "delay-response: the response held back {} ms",
                self.delay.as_millis()
            );
            relay.changes.push(what.clone());
            notes.push((NoteKind::Mutation, what));
        }
        let drop_it = self.has(Mutation::DropResponse)
            && req_msg.is_some_and(|m| !m.is_session_setup())
            && s.spent.insert(Mutation::DropResponse);
        if drop_it {
            s.record.mutations.push(Mutation::DropResponse);
            let what = "drop-response: the connection was closed instead of relaying the \
                        server's answer to Package #3"
                .to_owned();
            relay.changes.push(what.clone());
            notes.push((NoteKind::Mutation, what));
            original.get_or_insert_with(|| response.clone());
        }
        relay.response = original;
        (delay, drop_it)
    }

    /// Keep an exchange (or count it past the cap), queue it for the checker, tell the
    /// notes. The exchange ends now (its `time` is given its end here). The index of the
    /// exchange, when it was kept.
    pub(crate) fn record(
        &self,
        cell: &SessionCell,
        mut exchange: Exchange,
        relay: Option<Relay>,
        notes: Notes,
    ) -> Option<usize> {
        let (key, index, kept_notes, queue) = {
            let mut s = lock(cell);
            // The session's last exchange so far: when it ended, as far as anyone knows.
            let now = dmct_net::wall_clock();
            s.record.transcript.ended = Some(now.clone());
            s.activity = Instant::now();
            exchange.time.get_or_insert_default().ended = Some(now);
            let index = if s.record.transcript.exchanges.len() < self.max_exchanges {
                s.record.transcript.exchanges.push(exchange);
                s.record.relays.push(relay);
                Some(s.record.transcript.exchanges.len() - 1)
            } else {
                s.record.not_kept += 1;
                None
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
            (s.record.key.clone(), index, kept, queue)
        };
        if queue {
            self.checker.queue(cell.clone());
        }
        if let Some(sink) = &self.on_event {
            for note in kept_notes {
                sink(Event::Note {
                    session: key.clone(),
                    note,
                });
            }
        }
        index
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
        let out = relayable(&h, &["host"]);
        let names: Vec<&str> = out.0.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Content-Type", "x-syncml-hmac"]);
    }
}
