//! Playing scenarios against peers and judging what was recorded.
//!
//! Three ways to get a transcript: over real loopback HTTP against a built-in peer,
//! against an external client that connects to dmct's listener, or in memory (the
//! engines paired directly, for vectors and fast tests). All three are judged by the
//! same [`judge`].

use crate::gated::{Apart, GatedResponder, lock};
use crate::one_session::Identity;
use crate::peers;
use crate::scenario::Scenario;
use dmct_net::{ClientTls, Limits, Recorder, Responder, ServeHandle, ServerTls};
use dmct_proto::auth::{Credentials, Nonce, Scheme};
use dmct_proto::media_type::VerProtoParam;
use dmct_proto::package0::{Initiator, Package0Nonce, UiMode};
use dmct_proto::transcript::{
    Closing, Exchange, ExchangeFailure, HttpRequest, HttpResponse, Probe, ProbeKind, Transcript,
    TransportAuth,
};
use dmct_report::{AuthLayer, Authentication, CaseResult, CaseVerdict, Peer};
use dmct_rules::{Role, Verdict};
use dmct_session::{
    Client, ClientConfig, ClientFault, ClientStep, Server, ServerConfig, ServerFault, pair,
};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod external;
mod judge;
mod memory;

pub use external::*;
pub use judge::*;
pub use memory::*;

/// Limits and credentials of a run.
#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    /// External client: how long to wait for its first package of a scenario.
    pub wait_first: Duration,
    /// External client: a pause this long after its last package ends the case.
    pub idle: Duration,
    /// A case stops after this many exchanges (a peer looping).
    pub max_exchanges: usize,
    /// A whole session (one case) may take this long; then it is inconclusive, with
    /// what was awaited.
    pub session_timeout: Duration,
    /// What dmct's server expects clients to authenticate with.
    pub client_creds: Credentials,
    /// The ServerID of the DM account (DMAcc ServerID): what dmct's server names in its
    /// Package 0, and what dmct's client holds for the server it talks to.
    pub server_id: String,
    /// The nonce dmct's server keys its Package 0 digest with (`run --serve --exec`):
    /// the device's stored server nonce when the lab knows it, else the resync nonce.
    pub package0_nonce: Package0Nonce,
    /// Package 0's ui-mode and initiator fields ([NOT] §6.2.7, §6.2.8).
    pub package0_ui_mode: UiMode,
    pub package0_initiator: Initiator,
    /// External client: what dmct's server presents (the device's SRVCRED).
    pub server_creds: Credentials,
    /// External client: the scheme dmct's server asks of a client whose credentials
    /// are missing or wrong; `None` (`--auth none`): it demands none, and cases about
    /// the client's authentication are not applicable.
    pub client_auth: Option<Scheme>,
    /// External client: the nonce the device holds for its unprompted MD5 or HMAC
    /// credentials (CLCRED AAuthData), when the lab knows it; else the resync nonce.
    pub client_nonce: Option<Nonce>,
    /// External client: the device starts its sessions itself (no Package 0 reaches
    /// it), so server-initiated cases are not applicable.
    pub client_initiated: bool,
    /// How dmct's client trusts `https://` servers (a CA file, or insecure).
    pub client_tls: Option<ClientTls>,
    /// dmct's listener speaks HTTPS with this certificate.
    pub server_tls: Option<ServerTls>,
    /// Told of every case as it ends (the CLI's progress bar).
    pub progress: Option<Progress>,
    /// The run seed: every SessionID and nonce dmct generates derives from it
    /// ([`peers::SessionIds`]), so runs differ and one seed replays a run.
    pub seed: u64,
    /// The encoding dmct's client speaks to a server under test; the scenario's when
    /// `None`.
    pub client_encoding: Option<dmct_proto::xml::Encoding>,
    /// How the harness's and the built-in peers' DM Content-Types carry verproto.
    pub verproto_param: VerProtoParam,
    /// Told of every case as it starts and ends, so an interrupted run keeps them.
    pub collector: Option<Arc<crate::interrupted::Collector>>,
    /// Run only this shard of the plan (`run --partition i/N`).
    pub partition: Option<crate::partition::Shard>,
}

/// What a progress callback is told: cases done, cases planned, the case just ended.
pub type ProgressFn = dyn Fn(usize, usize, &str) + Send + Sync;

/// A callback told of every case as it ends.
#[derive(Clone)]
pub struct Progress(pub Arc<ProgressFn>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl Options {
    /// A case begins against the peer named `peer` (for the collector, if any).
    pub fn starting(&self, scenario: &Scenario, role: Role, peer: &str) {
        if let Some(c) = &self.collector {
            c.starting(scenario, role, peer);
        }
    }

    /// A case ended or was not run (for the collector, if any).
    pub fn finished(&self, run: &CaseRun) {
        if let Some(c) = &self.collector {
            c.finished(run);
        }
    }

    pub(crate) fn tick(&self, done: usize, total: usize, case: &str) {
        if let Some(p) = &self.progress {
            (p.0)(done, total, case);
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            wait_first: Duration::from_secs(300),
            idle: Duration::from_secs(10),
            max_exchanges: 32,
            session_timeout: Duration::from_secs(300),
            client_creds: peers::default_client_creds(),
            server_id: peers::DEFAULT_SERVER_ID.into(),
            package0_nonce: Package0Nonce::default(),
            package0_ui_mode: UiMode::NotSpecified,
            package0_initiator: Initiator::Server,
            server_creds: peers::default_server_creds(),
            client_auth: Some(Scheme::Md5),
            client_nonce: None,
            client_initiated: false,
            client_tls: None,
            server_tls: None,
            progress: None,
            seed: peers::FIXED_SEED,
            client_encoding: None,
            verproto_param: VerProtoParam::default(),
            collector: None,
            partition: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Net(#[from] dmct_net::NetError),
    #[error("cannot build Package 0: {0}")]
    Package0(#[from] dmct_proto::package0::Package0Error),
}

/// One scenario played against one peer: what was recorded.
#[derive(Debug, Clone)]
pub struct CaseRun {
    pub scenario: Scenario,
    /// Role of the implementation under test.
    pub role: Role,
    pub peer: Peer,
    pub transcript: Transcript,
}

impl CaseRun {
    /// A file-system-safe name for this case's files, of at most
    /// [`MAX_STEM`](crate::output::MAX_STEM) characters. Unique within a run only through
    /// [`output::transcript_names`](crate::output::transcript_names), which also tells
    /// apart identities that sanitise alike.
    pub fn file_stem(&self) -> String {
        crate::output::bounded_stem(&self.identity())
    }

    /// Everything that tells this case apart: scenario, peer and faults, unsanitised.
    pub fn identity(&self) -> String {
        identity(&self.scenario.id, &self.peer)
    }
}

/// What tells a case of scenario `id` against `peer` apart, unsanitised (a run's or a
/// report's case alike).
pub fn identity(id: &str, peer: &Peer) -> String {
    let mut s = format!("{id}--{}", peer.name);
    for f in &peer.faults {
        s.push('-');
        s.push_str(f);
    }
    s
}

fn client_peer(faults: &BTreeSet<ClientFault>) -> Peer {
    Peer {
        name: "builtin-client".into(),
        faults: faults.iter().map(|f| f.name().to_owned()).collect(),
        identity: Vec::new(),
    }
}

fn server_peer(faults: &BTreeSet<ServerFault>) -> Peer {
    Peer {
        name: "builtin-server".into(),
        faults: faults.iter().map(|f| f.name().to_owned()).collect(),
        identity: Vec::new(),
    }
}

/// dmct's DM server behind the HTTP listener: the scenario's engine, swapped per case.
#[derive(Default)]
pub struct CaseResponder {
    server: Mutex<Option<Server>>,
}

impl CaseResponder {
    pub fn install(&self, server: Option<Server>) {
        *self.server.lock().unwrap_or_else(|p| p.into_inner()) = server;
    }

    /// Stop serving the case; the server that played it, for what it recorded.
    pub fn take(&self) -> Option<Server> {
        self.server.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Responder for CaseResponder {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        self.respond_on(request, None)
    }

    fn respond_on(&self, request: &HttpRequest, client_cert: Option<&str>) -> HttpResponse {
        let mut guard = self.server.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_mut() {
            Some(server) => server.respond_on(request, client_cert),
            None => {
                let mut headers = dmct_proto::transcript::Headers::default();
                headers.push("Content-Type", "text/plain; charset=utf-8");
                headers.push("Retry-After", "5");
                HttpResponse {
                    status: 503,
                    headers,
                    body: b"dmct is between test cases; no scenario is running\n"
                        .to_vec()
                        .into(),
                }
            }
        }
    }
}

/// Drive the reference client through one session over HTTP(S); its own view of the
/// exchanges, and why it stopped. Each exchange is also pushed to `record` as it
/// completes, so a run stopped by a signal keeps the ones it had.
pub async fn drive_client(
    client: &mut Client,
    opts: &Options,
    record: Option<&dmct_net::Recorder>,
) -> (Vec<Exchange>, Closing) {
    let started = tokio::time::Instant::now();
    // One record of the exchanges, the caller's when given (a collector reads it on an
    // interruption), handed back whole at the end: never a second copy of the bodies.
    let own = dmct_net::Recorder::default();
    let record = record.unwrap_or(&own);
    let mut out = client.start();
    loop {
        if record.len() >= opts.max_exchanges {
            return (
                record.take(),
                Closing::ExchangeLimit {
                    limit: opts.max_exchanges,
                },
            );
        }
        // Each exchange gets what is left of the session's time, at most its own limit.
        let left = opts.session_timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return (record.take(), session_timeout(opts, "the next response"));
        }
        let mut limits = opts.limits.clone();
        limits.exchange_timeout = limits.exchange_timeout.min(left);
        let ex = dmct_net::request_with(
            &out.method,
            &out.url,
            out.headers.clone(),
            out.body.clone(),
            &limits,
            opts.client_tls.as_ref(),
        )
        .await;
        let step = client.on_response(ex.response.as_ref());
        let timed_out = match &ex.failure {
            Some(ExchangeFailure::Timeout { after_ms, .. }) => Some(*after_ms),
            _ => None,
        };
        // dmct could not make the exchange for want of its own resources: the session
        // ends here by the harness's fault, never the server's nor the client's.
        let own_fault = match &ex.failure {
            Some(ExchangeFailure::HarnessRefused { detail }) if ex.response.is_none() => {
                Some(detail.clone())
            }
            _ => None,
        };
        record.push(ex);
        if let Some(detail) = own_fault {
            return (record.take(), Closing::HarnessFault { detail });
        }
        if timed_out.is_some() && started.elapsed() >= opts.session_timeout {
            return (
                record.take(),
                session_timeout(opts, "the server's response"),
            );
        }
        match step {
            ClientStep::Send(next) => out = next,
            // dmct's client stops when an answer never came, but the session did not end
            // by the server's doing: the record says the harness gave up waiting.
            ClientStep::Done(_) => {
                let closing = match timed_out {
                    Some(after_ms) => Closing::SessionTimeout {
                        after_ms,
                        awaiting: format!(
                            "the server's response to exchange {} (--exchange-timeout)",
                            record.len() - 1
                        ),
                    },
                    None => Closing::PeerDone,
                };
                return (record.take(), closing);
            }
        }
    }
}

fn session_timeout(opts: &Options, awaiting: &str) -> Closing {
    Closing::SessionTimeout {
        after_ms: opts.session_timeout.as_millis() as u64,
        awaiting: awaiting.into(),
    }
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// What one loopback session recorded on each side of the wire.
struct Loopback {
    /// What dmct's listener received: the record for a client under test.
    served: Vec<Exchange>,
    /// What the reference client sent and got: the record for a server under test.
    driven: Vec<Exchange>,
    closing: Closing,
    package0: Option<Vec<u8>>,
    /// Wall-clock start and end of the session.
    started: String,
    ended: String,
    /// The negative probes among the reference client's requests.
    probes: Vec<Probe>,
    /// The negative probes among dmct's server's responses (`served`).
    server_probes: Vec<Probe>,
}

/// The reference server (playing the scenario) on a loopback listener, the reference
/// client posting to it: one session over real HTTP.
async fn loopback_session(
    scenario: &Scenario,
    client_faults: &BTreeSet<ClientFault>,
    server_faults: &BTreeSet<ServerFault>,
    opts: &Options,
) -> Result<Loopback, RunError> {
    let started = dmct_net::wall_clock();
    let responder = Arc::new(CaseResponder::default());
    let handle = dmct_net::serve(loopback(), responder.clone(), opts.limits.clone()).await?;
    let url = format!("http://{}/dm", handle.local_addr());
    // Each session of the run its own identities: the case and which peers play it.
    let faults: Vec<&str> = client_faults
        .iter()
        .map(|f| f.name())
        .chain(server_faults.iter().map(|f| f.name()))
        .collect();
    let ids = peers::SessionIds::new(
        opts.seed,
        &format!("loopback|{}|{}", scenario.id, faults.join(",")),
    );
    let mut sc = peers::server_config(&url, opts.client_creds.clone(), server_faults);
    sc.server_id = opts.server_id.clone();
    sc.nonce_seed = ids.server_nonce_seed;
    sc.verproto_param = opts.verproto_param;
    let package0 = peers::package0_for(scenario, &sc, ids.session_id).transpose()?;
    responder.install(Some(Server::new(sc, scenario.server.clone())));
    let mut config = peers::client_config(scenario, &url, client_faults);
    config.server_id = opts.server_id.clone();
    config.session_id = ids.session_id_hex();
    config.nonce_seed = ids.client_nonce_seed;
    config.verproto_param = opts.verproto_param;
    if let Some(e) = opts.client_encoding {
        config.encoding = e;
    }
    let (driven, closing, probes) = match woken(config, package0.as_deref()) {
        Some(config) => {
            let mut client = Client::new(config);
            // The listener failing to accept (dmct out of descriptors) ends the session
            // at once: the client would otherwise wait out its exchange timeout.
            let record = dmct_net::Recorder::default();
            let (driven, closing) = tokio::select! {
                done = drive_client(&mut client, opts, Some(&record)) => done,
                detail = handle.recorder().faulted() => {
                    (record.take(), Closing::HarnessFault { detail })
                }
            };
            let probes = sent_probes(&client, &driven);
            (driven, closing, probes)
        }
        None => (Vec::new(), Closing::PeerDone, Vec::new()),
    };
    let served = handle.recorder().take();
    let server_probes = responder
        .take()
        .map(|s| s.probes_in(&served))
        .unwrap_or_default();
    handle.shutdown().await;
    Ok(Loopback {
        served,
        driven,
        closing,
        package0,
        started,
        ended: dmct_net::wall_clock(),
        probes,
        server_probes,
    })
}

/// The client's probes that went on the wire (a request the harness's limits stopped
/// before it was posted is no exchange).
fn sent_probes(client: &Client, exchanges: &[Exchange]) -> Vec<Probe> {
    client
        .probes()
        .iter()
        .filter(|p| p.exchange < exchanges.len())
        .cloned()
        .collect()
}

/// The reference client woken by `package0`, if there is one; `None` when it refuses it
/// as a strict device does (a faulty server's), so no session follows.
fn woken(config: ClientConfig, package0: Option<&[u8]>) -> Option<ClientConfig> {
    match package0 {
        Some(bytes) => config.for_notification(bytes).ok(),
        None => Some(config),
    }
}

/// A client under test that is built in: dmct's server (the scenario's script) on a
/// loopback listener, the reference client (with `faults`) posting to it.
pub async fn run_builtin_client(
    scenario: &Scenario,
    faults: &BTreeSet<ClientFault>,
    opts: &Options,
) -> Result<CaseRun, RunError> {
    let l = loopback_session(scenario, faults, &BTreeSet::new(), opts).await?;
    Ok(CaseRun {
        scenario: scenario.clone(),
        role: Role::Client,
        peer: client_peer(faults),
        transcript: Transcript {
            exchanges: l.served,
            closing: l.closing,
            package0: l.package0.map(Into::into),
            started: Some(l.started),
            ended: Some(l.ended),
            probes: l.server_probes,
            ..Transcript::default()
        },
    })
}

/// A server under test that is built in: the reference server (with `faults`) playing
/// the scenario on a loopback listener, dmct's client driving a session against it.
pub async fn run_builtin_server(
    scenario: &Scenario,
    faults: &BTreeSet<ServerFault>,
    opts: &Options,
) -> Result<CaseRun, RunError> {
    let l = loopback_session(scenario, &BTreeSet::new(), faults, opts).await?;
    Ok(CaseRun {
        scenario: scenario.clone(),
        role: Role::Server,
        peer: server_peer(faults),
        transcript: Transcript {
            exchanges: l.driven,
            closing: l.closing,
            package0: l.package0.map(Into::into),
            started: Some(l.started),
            ended: Some(l.ended),
            probes: l.probes,
            ..Transcript::default()
        },
    })
}
