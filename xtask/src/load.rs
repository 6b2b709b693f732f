//! `cargo xtask load [SESSIONS]`: the reference client in SESSIONS concurrent sessions
//! (1,000 by default) against one reference server behind an in-process loopback
//! listener, in release mode: sessions per second, exchanges recorded, and the peak
//! resident memory of the process before and after (VmHWM), so the cost of holding
//! that many sessions can be quoted. The growth is an upper bound on the server's
//! share: the process also holds every client engine (with its tree) and the
//! listener's record of every exchange until the end.
//!
//! As in `crates/dmct-suite/tests/integration/concurrency.rs`, every session is started at once
//! and all stay open and interleaved, but at most [`IN_FLIGHT`] exchanges hold a
//! connection at a time, so two descriptors each stay well under a 1,024 open-file
//! limit.

use anyhow::{Context, Result, bail, ensure};
use dmct_net::{Exchange, Limits, Responder};
use dmct_proto::transcript::{HttpRequest, HttpResponse};
use dmct_session::{Client, ClientStep, DevInfo, Server};
use dmct_suite::{Scenario, peers};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

const IN_FLIGHT: usize = 256;
const SCENARIO: &str = "session/get-replace";
const ENDED: &str = "server package had no operations and no challenge: the session ends";

struct Shared {
    server: Mutex<Option<Server>>,
}

impl Responder for Shared {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        let mut guard = self.server.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_mut() {
            Some(server) => server.respond(request),
            None => HttpResponse {
                status: 503,
                headers: Default::default(),
                body: Vec::new().into(),
            },
        }
    }
}

/// A line of /proc/self/status, in KiB (`VmHWM`: peak resident set; `VmRSS`: now).
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

pub fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

fn client(s: &Scenario, url: &str, i: usize) -> Client {
    let mut c = peers::client_config(s, url, &BTreeSet::new());
    c.session_id = (i + 1).to_string();
    c.dev_info = DevInfo {
        dev_id: format!("IMEI:{i:015}"),
        model: format!("model-{i}"),
        ..peers::reference_dev_info()
    };
    Client::new(c)
}

/// One session over HTTP: its exchanges and why it ended (None: it did not).
async fn drive(
    mut client: Client,
    gate: Arc<Semaphore>,
    limits: Limits,
) -> (Vec<Exchange>, Option<String>) {
    let mut exchanges = Vec::new();
    let mut out = client.start();
    while exchanges.len() < 16 {
        let ex = {
            let _permit = gate.acquire().await.ok();
            dmct_net::post(&out.url, out.headers.clone(), out.body.clone(), &limits).await
        };
        let step = client.on_response(ex.response.as_ref());
        exchanges.push(ex);
        match step {
            ClientStep::Send(next) => out = next,
            ClientStep::Done(why) => return (exchanges, Some(why)),
        }
    }
    (exchanges, None)
}

pub fn load(root: &Path, sessions: &str) -> Result<()> {
    let sessions: usize = sessions
        .parse()
        .with_context(|| format!("SESSIONS must be a number, not {sessions:?}"))?;
    if cfg!(debug_assertions) {
        // A debug build says little about load: run again, optimised.
        let status = Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "xtask", "--", "load"])
            .arg(sessions.to_string())
            .current_dir(root)
            .status()?;
        if !status.success() {
            bail!("the release load run failed");
        }
        return Ok(());
    }
    let scenario = dmct_suite::scenario::builtin()?
        .into_iter()
        .find(|s| s.id == SCENARIO)
        .with_context(|| format!("no scenario {SCENARIO}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let hwm_start = status_kib("VmHWM");
    let (elapsed, recorded, remembered) = rt.block_on(run(&scenario, sessions))?;
    let hwm_end = status_kib("VmHWM");
    let per_session = match (hwm_start, hwm_end) {
        (Some(a), Some(b)) if sessions > 0 => {
            format!("{:.1} KiB", b.saturating_sub(a) as f64 / sessions as f64)
        }
        _ => "n/a".into(),
    };
    let secs = elapsed.as_secs_f64();
    println!(
        "{SCENARIO}: {sessions} concurrent sessions (at most {IN_FLIGHT} exchanges in flight), \
         one server, {} worker threads",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "  {:.2} s: {:.0} sessions/s, {recorded} exchanges recorded ({:.0} exchanges/s)",
        secs,
        sessions as f64 / secs,
        recorded as f64 / secs
    );
    println!("  server remembers {remembered} sessions");
    println!(
        "  peak RSS (VmHWM): {} before, {} after: {per_session} per session \
         (server state, client engine and recorded exchanges together)",
        mib(hwm_start),
        mib(hwm_end)
    );
    Ok(())
}

/// The load itself: wall time, exchanges recorded, sessions the server remembers.
async fn run(scenario: &Scenario, sessions: usize) -> Result<(Duration, usize, usize)> {
    let limits = Limits {
        max_body: 64 * 1024,
        exchange_timeout: Duration::from_secs(30),
        // Every session connects at once: measure the server, not the cap.
        max_connections: usize::MAX,
        ..Limits::default()
    };
    let shared = Arc::new(Shared {
        server: Mutex::new(None),
    });
    let handle = dmct_net::serve("127.0.0.1:0".parse()?, shared.clone(), limits.clone()).await?;
    let url = format!("http://{}/dm", handle.local_addr());
    *shared.server.lock().unwrap_or_else(|p| p.into_inner()) = Some(Server::new(
        peers::server_config(&url, peers::default_client_creds(), &BTreeSet::new()),
        scenario.server.clone(),
    ));

    let start = Instant::now();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let tasks: Vec<_> = (0..sessions)
        .map(|i| {
            tokio::spawn(drive(
                client(scenario, &url, i),
                gate.clone(),
                limits.clone(),
            ))
        })
        .collect();
    let mut sent = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        let (exchanges, why) = t.await?;
        if let Some(f) = exchanges.iter().find_map(|e| e.failure.as_ref()) {
            bail!("session {i}: {f:?}");
        }
        ensure!(why.as_deref() == Some(ENDED), "session {i} ended: {why:?}");
        sent += exchanges.len();
    }
    let elapsed = start.elapsed();

    let recorded = handle.recorder().len();
    ensure!(
        recorded == sent,
        "the listener recorded {recorded} exchanges, the clients sent {sent}"
    );
    if let Some(f) = handle
        .recorder()
        .snapshot()
        .iter()
        .find_map(|e| e.failure.clone())
    {
        bail!("a recorded exchange failed: {f:?}");
    }
    let remembered = shared
        .server
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map_or(0, Server::session_count);
    handle.shutdown().await;
    Ok((elapsed, recorded, remembered))
}
