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
        let mut s = format!("{}--{}", self.scenario.id, self.peer.name);
        for f in &self.peer.faults {
            s.push('-');
            s.push_str(f);
        }
        s
    }
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
    let mut exchanges = Vec::new();
    let mut out = client.start();
    loop {
        if exchanges.len() >= opts.max_exchanges {
            return (
                exchanges,
                Closing::ExchangeLimit {
                    limit: opts.max_exchanges,
                },
            );
        }
        // Each exchange gets what is left of the session's time, at most its own limit.
        let left = opts.session_timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return (exchanges, session_timeout(opts, "the next response"));
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
        if let Some(r) = record {
            r.push(ex.clone());
        }
        exchanges.push(ex);
        if timed_out.is_some() && started.elapsed() >= opts.session_timeout {
            return (exchanges, session_timeout(opts, "the server's response"));
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
                            exchanges.len() - 1
                        ),
                    },
                    None => Closing::PeerDone,
                };
                return (exchanges, closing);
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
            let (driven, closing) = drive_client(&mut client, opts, None).await;
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

/// A DM server under test that is not built in.
#[derive(Debug, Clone)]
pub struct TargetServer {
    pub url: String,
    /// What dmct's client authenticates with (the server's account for it).
    pub creds: Credentials,
    /// The scheme to open with; the scenario's when `None`.
    pub scheme: Option<Scheme>,
    /// Package #1 carries credentials before any challenge; false sends none and
    /// answers the server's challenges only (`--auth none`).
    pub unprompted: bool,
    /// The nonce unprompted MD5 or HMAC credentials are keyed with (the account's
    /// stored AAuthData).
    pub nonce: Option<Nonce>,
    /// What the server must present to the client; `None` trusts the transport.
    pub server_creds: Option<Credentials>,
    /// Negative probes for the one session `drive` runs (`drive --probe`); the
    /// scenarios of `run --target-server` bring their own.
    pub probes: Vec<ProbeKind>,
}

impl TargetServer {
    /// The server at `url`, authenticated to as the scenario says, unprompted, with
    /// the nonce the text gives a client that has stored none.
    pub fn new(url: &str, creds: Credentials) -> Self {
        TargetServer {
            url: url.into(),
            creds,
            scheme: None,
            unprompted: true,
            nonce: Some(Nonce::resync()),
            server_creds: None,
            probes: Vec::new(),
        }
    }
}

impl TargetServer {
    /// The reference client that plays `scenario` against this server, with the
    /// SessionID and nonce seed the run seed gives the session `label` names.
    pub fn client_config(&self, scenario: &Scenario, opts: &Options, label: &str) -> ClientConfig {
        let mut config = peers::client_config(scenario, &self.url, &BTreeSet::new());
        config.verproto_param = opts.verproto_param;
        config.creds = self.creds.clone();
        if let Some(s) = self.scheme {
            config.scheme = s;
        }
        // A scenario that waits for the challenge (a probe needs the server's nonce)
        // opens without credentials whatever the lab chose.
        config.unprompted = self.unprompted && !scenario.client.wait_for_challenge;
        config.nonce = self.nonce.clone();
        config.server_creds = self.server_creds.clone();
        config.server_id = opts.server_id.clone();
        if let Some(e) = opts.client_encoding {
            config.encoding = e;
        }
        let ids = peers::SessionIds::new(opts.seed, label);
        config.session_id = ids.session_id_hex();
        config.nonce_seed = ids.client_nonce_seed;
        config
    }
}

/// One scenario against an external DM server: the reference client plays the
/// scenario's client side. The scenario's server script is the built-in server's part
/// and cannot be imposed on an external server, so rules whose situation the server
/// never creates come out inconclusive, not passed.
pub async fn run_external_server(
    scenario: &Scenario,
    target: &TargetServer,
    opts: &Options,
) -> CaseRun {
    let peer = Peer {
        name: target.url.clone(),
        faults: Vec::new(),
        identity: vec![("URL".into(), target.url.clone())],
    };
    if scenario.client.package0 {
        // Judged inconclusive with why, never a silent pass.
        return CaseRun {
            scenario: scenario.clone(),
            role: Role::Server,
            peer,
            transcript: Transcript {
                closing: Closing::Skipped {
                    reason: "the case judges the server's Package 0, which an external server \
                             sends over its push channel to the device, not to dmct's client"
                        .into(),
                },
                ..Transcript::default()
            },
        };
    }
    // A SessionID of its own per case and per run: a server that keys sessions on it
    // must not take one run's case for the last run's.
    let config = target.client_config(scenario, opts, &format!("target|{}", scenario.id));
    let mut client = Client::new(config);
    let started = dmct_net::wall_clock();
    // An interruption keeps the exchanges done so far (the collector reads them).
    let record = opts.collector.as_ref().map(|c| {
        let r = dmct_net::Recorder::default();
        c.recording(&r);
        r
    });
    let (exchanges, closing) = drive_client(&mut client, opts, record.as_ref()).await;
    let transport = client_transport(&target.url, opts, &exchanges);
    let probes = sent_probes(&client, &exchanges);
    CaseRun {
        scenario: scenario.clone(),
        role: Role::Server,
        peer,
        transcript: Transcript {
            exchanges,
            closing,
            transport,
            started: Some(started),
            ended: Some(dmct_net::wall_clock()),
            probes,
            ..Transcript::default()
        },
    }
}

/// What dmct's client saw of TLS authentication in a session with the server at
/// `url`: the server's certificate if it was verified, and dmct's own if the server
/// asked for it and then answered.
pub fn client_transport(url: &str, opts: &Options, exchanges: &[Exchange]) -> TransportAuth {
    let Some(tls) = opts
        .client_tls
        .as_ref()
        .filter(|_| dmct_proto::url::Url::parse(url).is_ok_and(|u| u.https))
    else {
        return TransportAuth::default();
    };
    let seen = tls.observed();
    let answered = exchanges.iter().any(|e| e.response.is_some());
    TransportAuth {
        client: tls
            .client_subject()
            .filter(|_| seen.client_cert_requested && answered)
            .map(str::to_owned),
        server: seen.server_subject,
        served_over_tls: false,
    }
}

/// One session of the reference client against an external DM server.
pub async fn drive_external_server(target: &TargetServer, opts: &Options) -> CaseRun {
    let scenario = Scenario {
        id: "server/session".into(),
        title: "One DM session driven by dmct's reference client".into(),
        roles: vec![Role::Server],
        rules: vec!["session/server-answers-every-package".into()],
        client: crate::scenario::ClientSetup {
            probes: target.probes.clone(),
            // A stale nonce is one the server gave and replaced: open without
            // credentials, so the first nonce comes from the server's challenge.
            wait_for_challenge: target.probes.contains(&ProbeKind::StaleNonce),
            ..Default::default()
        },
        server: Default::default(),
        expect: Default::default(),
    };
    opts.starting(&scenario, Role::Server, &target.url);
    let run = run_external_server(&scenario, target, opts).await;
    opts.finished(&run);
    run
}

/// dmct's DM server on an operator-chosen address, waiting for an external client.
pub struct ExternalServer {
    handle: ServeHandle,
    responder: Arc<GatedResponder>,
    /// The sessions of the cases run so far, with their case ids.
    earlier: Mutex<Vec<(Identity, String)>>,
    /// The URL the device must be told (its DM account's server address).
    pub url: String,
}

impl ExternalServer {
    pub async fn bind(
        addr: SocketAddr,
        public_url: Option<String>,
        opts: &Options,
    ) -> Result<Self, RunError> {
        let responder = Arc::new(GatedResponder::default());
        let handle = dmct_net::serve_with(
            addr,
            responder.clone(),
            opts.limits.clone(),
            opts.server_tls.clone(),
        )
        .await?;
        let url = public_url.unwrap_or_else(|| format!("{}/dm", handle.url()));
        Ok(ExternalServer {
            handle,
            responder,
            earlier: Mutex::new(Vec::new()),
            url,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// The requests no case took (another device, a late retry, a session begun after
    /// the case's ended, anything between cases), each answered 503, since last asked:
    /// the operator is told of them; they are never judged.
    pub fn take_apart(&self) -> Vec<Apart> {
        self.responder.take_apart()
    }

    /// The identities of a case's session in this run: the SessionID its Package 0
    /// announces and the seed of the nonces dmct's server issues in it. A re-trigger
    /// of the same case keeps them ([NOT] §6.2.10 recommends keeping the SessionID).
    pub fn session_ids(scenario: &Scenario, opts: &Options) -> peers::SessionIds {
        peers::SessionIds::new(opts.seed, &format!("serve|{}", scenario.id))
    }

    /// Play one scenario with whatever client connects: wake it with `trigger` (if
    /// any), wait for its first package, then until it has been quiet for `opts.idle`,
    /// within the session time limit.
    pub async fn run_case(
        &self,
        scenario: &Scenario,
        opts: &Options,
        trigger: Option<&Trigger>,
    ) -> CaseRun {
        let started = tokio::time::Instant::now();
        let started_at = dmct_net::wall_clock();
        // The listener's own record only tells of requests in flight; the case's
        // exchanges are the gate's.
        let listener: &Recorder = self.handle.recorder();
        listener.take();
        let ids = Self::session_ids(scenario, opts);
        let mut config =
            peers::server_config(&self.url, opts.client_creds.clone(), &BTreeSet::new());
        // The device's account as the lab provisioned it: dmct adapts to it.
        config.server_id = opts.server_id.clone();
        config.server_creds = opts.server_creds.clone();
        config.package0_nonce = opts.package0_nonce.clone();
        config.package0_ui_mode = opts.package0_ui_mode;
        config.package0_initiator = opts.package0_initiator;
        if let Some(n) = &opts.client_nonce {
            config.client_nonce = Some(n.clone());
        }
        match opts.client_auth {
            Some(scheme) => config.scheme = scheme,
            None => config.authenticate_client = false,
        }
        config.nonce_seed = ids.server_nonce_seed;
        config.verproto_param = opts.verproto_param;
        // Serving before the device is woken: it may connect at once.
        let earlier = lock(&self.earlier).clone();
        let rec = self.responder.begin(
            &scenario.id,
            Server::new(config.clone(), scenario.server.clone()),
            opts.max_exchanges,
            earlier,
        );
        if let Some(c) = &opts.collector {
            c.recording(&rec);
        }
        let rec = &rec;
        let mut package0 = None;
        let mut closing = None;
        if let Some(t) = trigger {
            match t
                .fire(scenario, &config, ids.session_id, opts.wait_first)
                .await
            {
                Ok(bytes) => package0 = bytes.map(Into::into),
                Err(detail) => closing = Some(Closing::TriggerFailed { detail }),
            }
        }
        let closing = match closing {
            Some(c) => c,
            None if !rec.wait_beyond(0, opts.wait_first).await => Closing::IdleTimeout {
                after_ms: opts.wait_first.as_millis() as u64,
            },
            None => loop {
                let seen = rec.len();
                if seen >= opts.max_exchanges {
                    break Closing::ExchangeLimit {
                        limit: opts.max_exchanges,
                    };
                }
                let left = opts.session_timeout.saturating_sub(started.elapsed());
                if left.is_zero() {
                    break session_timeout(opts, "the client's next package");
                }
                if !rec.wait_beyond(seen, opts.idle.min(left)).await {
                    // A request still arriving is not silence: wait for it (within the
                    // session's time).
                    if listener.in_flight() > 0 && opts.idle <= left {
                        continue;
                    }
                    // Idle after the client's last package: the client stopped (rules
                    // may fail it where it had to answer), told apart from the harness's
                    // own session limit.
                    break if opts.idle <= left {
                        Closing::IdleTimeout {
                            after_ms: opts.idle.as_millis() as u64,
                        }
                    } else {
                        session_timeout(opts, "the client's next package")
                    };
                }
            },
        };
        let (ids, server) = self.responder.end();
        for id in ids {
            lock(&self.earlier).push((id, scenario.id.clone()));
        }
        listener.take();
        let transport = TransportAuth {
            client: rec.client_certs().into_iter().next(),
            server: None,
            served_over_tls: opts.server_tls.is_some(),
        };
        let exchanges = rec.take();
        let probes = server.map(|s| s.probes_in(&exchanges)).unwrap_or_default();
        CaseRun {
            scenario: scenario.clone(),
            role: Role::Client,
            peer: Peer {
                name: "external-client".into(),
                faults: Vec::new(),
                identity: identity_of(&exchanges),
            },
            transcript: Transcript {
                exchanges,
                closing,
                package0,
                transport,
                client_credentials_waived: opts.client_auth.is_none(),
                started: Some(started_at),
                ended: Some(dmct_net::wall_clock()),
                probes,
                ..Transcript::default()
            },
        }
    }

    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

/// Why `scenario` cannot apply to an external client as the run is configured, if it
/// cannot: no session is started for it, and it is reported not-applicable.
pub fn inapplicable(scenario: &Scenario, opts: &Options) -> Option<String> {
    if scenario.client.package0 && opts.client_initiated {
        return Some(
            "--client-initiated: the device starts its sessions itself, and this case needs \
             a server-initiated session (a Package 0)"
                .into(),
        );
    }
    let script = &scenario.server;
    let about_client_auth = script.scheme.is_some()
        || script.accept_status.is_some()
        || script.packages.iter().any(|p| p.challenge.is_some());
    if opts.client_auth.is_none() && about_client_auth {
        return Some(
            "--auth none: dmct demands no client credentials, and this case is about how \
             the client authenticates (a challenge, or a scheme or status the server \
             authenticates it with)"
                .into(),
        );
    }
    None
}

/// A case that was not run, with why: judged inconclusive, never a silent pass.
pub fn skipped(scenario: &Scenario, reason: &str) -> CaseRun {
    not_run(
        scenario,
        Closing::Skipped {
            reason: reason.into(),
        },
    )
}

/// A case that cannot apply to the device as the run is configured, with why: judged
/// not-applicable, and no session is started for it.
pub fn not_applicable(scenario: &Scenario, reason: &str) -> CaseRun {
    not_run(
        scenario,
        Closing::NotApplicable {
            reason: reason.into(),
        },
    )
}

fn not_run(scenario: &Scenario, closing: Closing) -> CaseRun {
    CaseRun {
        scenario: scenario.clone(),
        role: Role::Client,
        peer: Peer {
            name: "external-client".into(),
            faults: Vec::new(),
            identity: Vec::new(),
        },
        transcript: Transcript {
            closing,
            ..Transcript::default()
        },
    }
}

/// How to wake a device under test for each case: a shell command (a lab's SMS
/// gateway, adb or push script) run with the case's Package 0.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub command: String,
    /// Where the Package 0 files are written (under `--redact`, each is removed once
    /// its command returned: its digest is keyed with the server's secret).
    pub dir: std::path::PathBuf,
    /// Hand the command a Package 0. `false` for a device that starts its sessions
    /// itself (`--client-initiated`): the command makes it start one (a lab's UI
    /// automation, adb) and gets no Package 0.
    pub package0: bool,
}

impl Trigger {
    /// Write `server`'s Package 0 for the case, announcing session `sid` (its ServerID,
    /// keyed with its secret and its Package 0 nonce: the device's SRVCRED), and run
    /// the command with it; the Package 0 bytes (`None` when the trigger hands over
    /// none), or why the device could not be woken.
    pub async fn fire(
        &self,
        scenario: &Scenario,
        server: &ServerConfig,
        sid: u16,
        timeout: Duration,
    ) -> Result<Option<Vec<u8>>, String> {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg(&self.command)
            .env("DMCT_SERVER_URL", &server.url)
            .env("DMCT_CASE", &scenario.id)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let file = self
            .dir
            .join(format!("{}.pkg0", scenario.id.replace(['/', '\\'], "__")));
        let pkg0 = if self.package0 {
            let pkg0 = server.package0(sid).map_err(|e| e.to_string())?;
            std::fs::create_dir_all(&self.dir)
                .and_then(|()| std::fs::write(&file, &pkg0))
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            let hex: String = pkg0.iter().map(|b| format!("{b:02x}")).collect();
            cmd.env("DMCT_PKG0_FILE", &file)
                .env("DMCT_PKG0_HEX", &hex)
                .env("DMCT_SESSION_ID", format!("{sid:X}"));
            Some(pkg0)
        } else {
            None
        };
        let out = tokio::time::timeout(timeout, cmd.output()).await;
        // Under --redact no digest stays under OUT: the file lives while the command
        // runs (DMCT_PKG0_HEX holds the same bytes).
        if crate::redact::active() && pkg0.is_some() {
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_dir(&self.dir);
        }
        let out = match out {
            Err(_) => {
                return Err(format!(
                    "`{}` did not finish within {} s",
                    self.command,
                    timeout.as_secs()
                ));
            }
            Ok(Err(e)) => return Err(format!("cannot run `{}`: {e}", self.command)),
            Ok(Ok(out)) => out,
        };
        if out.status.success() {
            Ok(pkg0)
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            Err(format!(
                "`{}` exited with {}: {}",
                self.command,
                out.status,
                stderr.trim()
            ))
        }
    }
}

/// The ./DevInfo values the client sent in its first decodable package.
fn identity_of(exchanges: &[Exchange]) -> Vec<(String, String)> {
    let Some(msg) = exchanges
        .iter()
        .find_map(|e| dmct_proto::decode(e.request.body.as_bytes()).ok())
    else {
        return Vec::new();
    };
    msg.message
        .body
        .commands
        .iter()
        .filter_map(|c| match c {
            dmct_proto::Command::Replace(r) => Some(r),
            _ => None,
        })
        .flat_map(|r| r.items.iter())
        .filter_map(|i| {
            let uri = &i.source.as_ref()?.loc_uri;
            let value = i.data.as_ref()?.as_text()?;
            uri.contains("DevInfo/")
                .then(|| (uri.clone(), value.to_owned()))
        })
        .collect()
}

pub use dmct_session::PeerParams;

/// The engines paired in memory: the same sessions without sockets (deterministic;
/// used for vectors and fast tests). `role` says which side is under test.
pub fn run_in_memory(
    scenario: &Scenario,
    role: Role,
    client_faults: &BTreeSet<ClientFault>,
    server_faults: &BTreeSet<ServerFault>,
) -> CaseRun {
    run_in_memory_with(scenario, role, client_faults, server_faults, None)
}

pub fn run_in_memory_with(
    scenario: &Scenario,
    role: Role,
    client_faults: &BTreeSet<ClientFault>,
    server_faults: &BTreeSet<ServerFault>,
    params: Option<&PeerParams>,
) -> CaseRun {
    let url = "http://dm.example/dm";
    let mut cc = peers::client_config(scenario, url, client_faults);
    let mut sc = peers::server_config(url, peers::default_client_creds(), server_faults);
    if let Some(p) = params {
        cc.dev_info.dev_id = p.dev_id.clone();
        cc.creds = p.client.clone();
        cc.server_creds = Some(p.server.clone());
        cc.session_id = p.session_id.clone();
        cc.nonce_seed = p.nonce_seed;
        sc.client_creds = p.client.clone();
        sc.server_creds = p.server.clone();
        sc.nonce_seed = p.nonce_seed ^ 0x5eed;
    }
    let ids = peers::SessionIds::new(peers::FIXED_SEED, &format!("memory|{}", scenario.id));
    // The built-in ServerID always fits a Package 0.
    let package0 = peers::package0_for(scenario, &sc, ids.session_id).and_then(Result::ok);
    let mut server = Server::new(sc, scenario.server.clone());
    let mut transcript = match woken(cc, package0.as_deref()) {
        Some(cc) => pair::run(
            &mut Client::new(cc),
            &mut server,
            Options::default().max_exchanges,
        ),
        None => Transcript {
            closing: Closing::PeerDone,
            ..Transcript::default()
        },
    };
    transcript.package0 = package0.map(Into::into);
    // The probes of the side dmct plays: its server's against a client under test.
    if role == Role::Client {
        transcript.probes = server.probes_in(&transcript.exchanges);
    }
    let peer = match role {
        Role::Client => client_peer(client_faults),
        Role::Server => server_peer(server_faults),
    };
    CaseRun {
        scenario: scenario.clone(),
        role,
        peer,
        transcript,
    }
}

/// Judge a case: every rule binding the role under test, over its transcript. Rules
/// that did not apply are left out, except those the scenario names: a scenario that
/// did not reach its situation is inconclusive, never a silent pass.
pub fn judge(run: &CaseRun) -> CaseResult {
    judge_with(run, &dmct_rules::Profile::default())
}

/// [`judge`] for a peer whose capability profile lacks some optional features: rules
/// about those are reported not-applicable, with the reason.
pub fn judge_with(run: &CaseRun, profile: &dmct_rules::Profile) -> CaseResult {
    // The rules this case is there to exercise: the scenario's own list and the
    // catalog entries that name it.
    let named = crate::vectors::expected_passes(&run.scenario, run.role);
    let mut all = dmct_rules::check(&run.transcript);
    let waived = profile.apply(&mut all);
    let findings: Vec<_> = all
        .into_iter()
        .filter(|f| f.role == run.role)
        .filter_map(|mut f| {
            if f.verdict != Verdict::NotApplicable || waived.contains(&f.rule) {
                return Some(f);
            }
            if !named.contains(&f.rule) {
                return None;
            }
            // A transport that may have authenticated the other side (served over TLS,
            // [PRO] §8.4 item 1; a client certificate, [SEC] §5.4.5): the rule's unmet
            // condition says so, in words.
            let t = &run.transcript.transport;
            let other_by_transport = match run.role {
                Role::Client => t.served_over_tls,
                Role::Server => t.client.is_some(),
            };
            if other_by_transport && f.detail.starts_with("not applicable:") {
                return Some(f);
            }
            // Credentials the transport made needless ([SEC] §5.3: DM-level
            // authentication is for when the transport's is not strong enough): a DM
            // authentication rule with nothing to judge stays not-applicable, and says so.
            let by_transport = match run.role {
                Role::Client => run.transcript.transport.client.as_ref(),
                Role::Server => run.transcript.transport.server.as_ref(),
            };
            if let Closing::NotApplicable { reason } = &run.transcript.closing {
                f.detail = format!("not applicable: {reason}");
                return Some(f);
            }
            if run.role == Role::Client
                && run.transcript.client_credentials_waived
                && f.rule.starts_with("auth/")
            {
                // The rule saw nothing to judge; say why without claiming more (some
                // auth/ rules are about the client checking the server).
                f.detail = "not applicable: dmct demanded no DM-level credentials of the \
                            client (--auth none), and the authentication this rule judges \
                            did not take place"
                    .into();
                return Some(f);
            }
            if let Some(subject) = by_transport.filter(|_| f.rule.starts_with("auth/")) {
                f.detail = format!(
                    "not applicable: the transport authenticated the {} (TLS certificate \
                     {subject}), so no DM-level credentials were needed ([SEC] §5.3)",
                    run.role
                );
                return Some(f);
            }
            f.verdict = Verdict::Inconclusive;
            f.detail = if run.transcript.exchanges.is_empty() {
                match &run.transcript.closing {
                    Closing::IdleTimeout { after_ms } => format!(
                        "no exchange was recorded: the peer did not connect within {after_ms} ms"
                    ),
                    Closing::TriggerFailed { detail } => {
                        format!("the device was not woken: {detail}")
                    }
                    Closing::Skipped { reason } => format!("not run: {reason}"),
                    _ => "no exchange was recorded".into(),
                }
            } else if let Closing::SessionTimeout { after_ms, awaiting } = &run.transcript.closing {
                format!(
                    "the session's time limit ({after_ms} ms) ran out awaiting {awaiting}, before \
                     the situation this scenario sets up for this rule"
                )
            } else if let Some(f) = run.transcript.exchanges.iter().find_map(|e| e.failure.as_ref()) {
                format!("the session broke off ({f}) before the situation this scenario sets up for this rule")
            } else {
                let n = run.transcript.exchanges.len();
                let ended = match &run.transcript.closing {
                    Closing::PeerDone => format!("the session ended after {n} exchange(s)"),
                    Closing::IdleTimeout { after_ms } => format!(
                        "nothing more came within {after_ms} ms of idle after {n} exchange(s)"
                    ),
                    Closing::ExchangeLimit { limit } => {
                        format!("the harness's limit of {limit} exchanges was reached")
                    }
                    _ => format!("recording stopped after {n} exchange(s)"),
                };
                format!("{ended}, before the situation this scenario sets up for this rule")
            };
            Some(f)
        })
        .collect();
    // A case whose situation did not happen does not pass, whatever its rules saw:
    // what they saw did not test what the case is for.
    let unmet = unmet_precondition(run);
    let mut findings = findings;
    if let Some(why) = &unmet {
        for f in findings.iter_mut().filter(|f| named.contains(&f.rule)) {
            match f.verdict {
                Verdict::Pass => {
                    f.verdict = Verdict::Inconclusive;
                    f.detail = format!("{why}; what was observed held ({})", f.detail);
                }
                Verdict::Inconclusive if !waived.contains(&f.rule) => {
                    f.detail = format!("{why}; {}", f.detail);
                }
                _ => {}
            }
        }
    }
    // A request dmct refused at a limit of its own (503): from there on the case saw less
    // than the peer did, so nothing after it counts against the peer.
    let refused = harness_refusal(&run.transcript);
    if let Some((at, why)) = &refused {
        for f in findings
            .iter_mut()
            .filter(|f| f.verdict == Verdict::Fail && f.exchange.is_none_or(|i| i >= *at))
        {
            f.verdict = Verdict::Inconclusive;
            f.detail = format!(
                "dmct refused exchange {at} at a limit of its own ({why}), so what the peer did \
                 after it was not all seen; {}",
                f.detail
            );
        }
    }
    let observed = !run.transcript.exchanges.is_empty()
        || (run.role == Role::Server && run.transcript.package0.is_some());
    CaseResult {
        id: run.scenario.id.clone(),
        title: run.scenario.title.clone(),
        role: run.role,
        peer: run.peer.clone(),
        // Nothing observed is never a pass. A server's Package 0 alone is observed: a
        // strict client refuses a faulty one, so no exchange follows.
        verdict: match CaseVerdict::from_findings(&findings) {
            _ if matches!(run.transcript.closing, Closing::NotApplicable { .. }) => {
                CaseVerdict::NotApplicable
            }
            _ if !observed || findings.is_empty() => CaseVerdict::Inconclusive,
            CaseVerdict::Pass if unmet.is_some() => CaseVerdict::Inconclusive,
            CaseVerdict::Pass | CaseVerdict::NotApplicable if refused.is_some() => {
                CaseVerdict::Inconclusive
            }
            v => v,
        },
        findings,
        exchanges: run.transcript.exchanges.len(),
        transcript: None,
        authentication: authentication(&run.transcript),
        ended: Some(crate::ending::session_end(&run.transcript, run.role)),
    }
}

/// The first exchange the harness refused at a limit of its own, with why.
fn harness_refusal(t: &Transcript) -> Option<(usize, String)> {
    t.exchanges
        .iter()
        .enumerate()
        .find_map(|(i, e)| match &e.failure {
            Some(ExchangeFailure::HarnessRefused { detail }) => Some((i, detail.clone())),
            _ => None,
        })
}

/// The first thing the case needed to happen that did not, in words for the report:
/// a WBXML case whose messages were XML, a Package 0 case without a Package 0, an
/// HMAC case whose peer never used HMAC. `None` when nothing was recorded (judged
/// inconclusive already) or every precondition held.
fn unmet_precondition(run: &CaseRun) -> Option<String> {
    use dmct_proto::auth::HMAC_HEADER;
    use dmct_proto::xml::Encoding;
    let t = &run.transcript;
    if t.exchanges.is_empty() {
        return None;
    }
    let (peer, peer_verb) = match run.role {
        Role::Client => ("device", "sent"),
        Role::Server => ("server", "answered"),
    };
    let setup = &run.scenario.client;
    if setup.package0 && t.package0.is_none() {
        return Some(
            "no Package 0 was sent, so the session was not server-initiated as this case \
             needs (give a trigger: --exec)"
                .into(),
        );
    }
    if setup.encoding == Encoding::Wbxml {
        for (i, e) in t.exchanges.iter().enumerate() {
            let request = dmct_proto::decode(e.request.body.as_bytes()).ok();
            let response = e
                .response
                .as_ref()
                .and_then(|r| dmct_proto::decode(r.body.as_bytes()).ok());
            let (peers, ours) = match run.role {
                Role::Client => (request, response),
                Role::Server => (response, request),
            };
            if peers.is_some_and(|d| d.encoding == Encoding::Xml) {
                return Some(format!(
                    "the {peer} {peer_verb} in XML (exchange {i}); this case needs WBXML"
                ));
            }
            if ours.is_some_and(|d| d.encoding == Encoding::Xml) {
                return Some(format!(
                    "dmct's own message was XML (exchange {i}, --encoding); this case needs WBXML"
                ));
            }
        }
    }
    let hmac_case = setup.scheme == Scheme::Hmac
        || setup.server_scheme == Some(Scheme::Hmac)
        || run.scenario.server.scheme == Some(Scheme::Hmac);
    if hmac_case {
        let in_requests = t
            .exchanges
            .iter()
            .any(|e| e.request.headers.get(HMAC_HEADER).is_some());
        let in_responses = t.exchanges.iter().any(|e| {
            e.response
                .as_ref()
                .is_some_and(|r| r.headers.get(HMAC_HEADER).is_some())
        });
        match run.role {
            Role::Client if !in_requests => {
                return Some(format!(
                    "the {peer} never used HMAC (no {HMAC_HEADER} header in its messages); \
                     this case needs it"
                ));
            }
            // The server signs its own messages only when the client asks it to.
            Role::Server if setup.server_scheme == Some(Scheme::Hmac) && !in_responses => {
                return Some(format!(
                    "the {peer} never used HMAC (no {HMAC_HEADER} header in its messages); \
                     this case needs it"
                ));
            }
            Role::Server if !in_requests => {
                return Some(format!(
                    "the {peer} never took HMAC from dmct's client (no {HMAC_HEADER} header \
                     on dmct's requests: it asked for another scheme); this case needs it"
                ));
            }
            _ => {}
        }
    }
    None
}

/// Which layer authenticated each side: a TLS certificate the other side verified, and
/// DM credentials the other side accepted (its SyncHdr Status 200 or 212).
pub fn authentication(t: &Transcript) -> Authentication {
    use dmct_proto::auth::HMAC_HEADER;
    let accepted = |m: &dmct_proto::SyncML| {
        m.synchdr_status()
            .and_then(|s| s.code())
            .is_some_and(|c| c == 200 || c == 212)
    };
    let decode = |b: &dmct_proto::transcript::Body| dmct_proto::decode(b.as_bytes()).ok();
    let mut client_dm = false;
    let mut server_dm = false;
    for (i, e) in t.exchanges.iter().enumerate() {
        let Some(resp) = &e.response else { continue };
        let (Some(req), Some(answer)) = (decode(&e.request.body), decode(&resp.body)) else {
            continue;
        };
        let offered =
            req.message.hdr.cred.is_some() || e.request.headers.get(HMAC_HEADER).is_some();
        client_dm |= offered && accepted(&answer.message);
        let presented =
            answer.message.hdr.cred.is_some() || resp.headers.get(HMAC_HEADER).is_some();
        // The client's verdict on the server's credentials is in its next message.
        let next = t.exchanges.get(i + 1).and_then(|n| decode(&n.request.body));
        server_dm |= presented && next.is_some_and(|n| accepted(&n.message));
    }
    let layers = |tls: bool, dm: bool| {
        let mut v = Vec::new();
        if tls {
            v.push(AuthLayer::Transport);
        }
        if dm {
            v.push(AuthLayer::Dm);
        }
        v
    };
    Authentication {
        client: layers(t.transport.client.is_some(), client_dm),
        server: layers(t.transport.server.is_some(), server_dm),
        client_cert: t.transport.client.clone(),
        server_cert: t.transport.server.clone(),
    }
}
