//! Runs against peers dmct did not write: an external DM server driven by dmct's client
//! (`TargetServer`), and dmct's server waiting for an external device
//! (`ExternalServer`, woken per case by a `Trigger`).

use super::*;

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
        rules: vec![
            dmct_rules::Rule::id(&dmct_rules::rules::session::ServerAnswersEveryPackage).into(),
        ],
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
        // Waiting for the client, or hearing at once that the listener could not accept
        // its connection (dmct out of descriptors): then dmct is deaf, the client not
        // silent.
        let wait = |seen: usize, d: Duration| async move {
            tokio::select! {
                more = rec.wait_beyond(seen, d) => Ok(more),
                detail = listener.faulted() => Err(Closing::HarnessFault { detail }),
            }
        };
        let closing = match closing {
            Some(c) => c,
            None => match wait(0, opts.wait_first).await {
                Err(fault) => fault,
                Ok(false) => Closing::IdleTimeout {
                    after_ms: opts.wait_first.as_millis() as u64,
                },
                Ok(true) => loop {
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
                    match wait(seen, opts.idle.min(left)).await {
                        Err(fault) => break fault,
                        Ok(true) => {}
                        // A request still arriving is not silence: wait for it (within the
                        // session's time).
                        Ok(false) if listener.in_flight() > 0 && opts.idle <= left => continue,
                        // Idle after the client's last package: the client stopped (rules
                        // may fail it where it had to answer), told apart from the harness's
                        // own session limit.
                        Ok(false) => {
                            break if opts.idle <= left {
                                Closing::IdleTimeout {
                                    after_ms: opts.idle.as_millis() as u64,
                                }
                            } else {
                                session_timeout(opts, "the client's next package")
                            };
                        }
                    }
                },
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

pub(super) fn not_run(scenario: &Scenario, closing: Closing) -> CaseRun {
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
pub fn identity_of(exchanges: &[Exchange]) -> Vec<(String, String)> {
    exchanges
        .iter()
        .find_map(|e| dmct_proto::decode(e.request.body.as_bytes()).ok())
        .map(|msg| identity_in(&msg))
        .unwrap_or_default()
}

/// The ./DevInfo values a client's package carries (its Replace of DevInfo nodes).
pub fn identity_in(msg: &dmct_proto::xml::Decoded) -> Vec<(String, String)> {
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
                .then(|| (uri.to_string(), value.to_owned()))
        })
        .collect()
}
