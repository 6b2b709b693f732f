//! `dmct proxy`: dmct between a real device and a real DM server. Prints new failures as
//! they happen, and when stopped (Ctrl-C, SIGTERM or SIGHUP, or `--sessions N` sessions
//! ended, by the server or in silence past `--idle`) writes the
//! same reports as `dmct run`: each recorded DM session is two cases, one judging the
//! client, one judging the server (`dmct_suite::proxied`).

use crate::*;
use dmct_proxy::{Event, ProxyConfig, SessionRecord};
use dmct_suite::CaseRun;
use std::sync::Arc;

pub struct ProxyRun {
    pub config: ProxyConfig,
    pub sessions: Option<usize>,
}

/// The proxy until it is stopped; every session it recorded as cases, and the signal
/// that interrupted `--sessions N`, if one did.
pub async fn run(
    args: ProxyRun,
    signals: &mut crate::interrupt::Signals,
) -> Result<(Vec<(SessionRecord, Vec<CaseRun>)>, Option<&'static str>)> {
    let mut config = args.config;
    config.on_event = Some(Arc::new(|e: Event| {
        eprintln!("{}", dmct_suite::proxied::event_line(e))
    }));
    let mutations: Vec<String> = config
        .mutations
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let upstream = config.upstream.clone();
    let handle = dmct_proxy::start(config)
        .await
        .context("cannot start the proxy")?;
    eprintln!(
        "dmct: proxy at {} -> {upstream}{}\n      point the device's DM account at {}; \
         Ctrl-C stops and writes the reports",
        handle.url(),
        if mutations.is_empty() {
            String::new()
        } else {
            format!(" (mutations: {})", mutations.join(", "))
        },
        handle.url()
    );
    // Any of the signals stops the proxy as Ctrl-C does. Waiting for `--sessions N`, it
    // is an interruption: the report says so and the exit code is 130.
    let interrupted = match args.sessions {
        Some(n) => {
            tokio::select! {
                () = handle.wait_ended(n) => None,
                name = signals.next() => Some(name),
            }
        }
        None => {
            signals.next().await;
            None
        }
    };
    // Everything recorded comes back, finished or not.
    let records = handle.stop().await;
    let sessions = dmct_suite::proxied::sessions_as_cases(records, &upstream, &mutations);
    Ok((sessions, interrupted))
}

/// `dmct proxy`: the proxy until stopped, then the reports of what it recorded.
pub(crate) async fn proxy(a: ProxyArgs) -> Result<ExitCode> {
    let ProxyArgs {
        common,
        listen,
        upstream,
        public_url,
        mutations,
        delay_ms,
        sessions,
        idle,
        client_secret,
        client_user,
        listen_tls,
        capacity,
        redact,
        wire,
    } = a;
    check_url(&upstream)?;
    let mut config = dmct_proxy::ProxyConfig::new(listen, upstream);
    config.limits = dmct_net::Limits {
        max_body: common.max_body,
        exchange_timeout: Duration::from_secs(common.exchange_timeout),
        notices: dmct_net::Notices::stderr(),
        ..dmct_net::Limits::default()
    };
    // A device's connection and the proxy's own to the upstream.
    capacity.apply(&mut config.limits, 2)?;
    config.upstream_tls = client_tls(&common.trust)?;
    config.listen_tls = server_tls(&listen_tls)?;
    config.public_url = public_url;
    config.mutations = dmct_suite::proxied::parse_mutations(&mutations)?;
    config.delay = Duration::from_millis(delay_ms);
    config.idle = idle;
    // Devices are served on a single-threaded runtime per core, as nginx serves with a
    // worker process per core.
    config.threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The nonces of its challenge-pkg1 come from the run seed, like a run's.
    let seed = common.seed.value()?;
    config.nonce_seed = Some(seed);
    config.verproto_param = wire.verproto();
    config.client_creds = client_secret.map(|secret| dmct_proto::auth::Credentials {
        user: client_user,
        secret,
    });
    output::check_dir(&common.out).context("--out cannot take the reports")?;
    let mut signals = interrupt::Signals::catch()?;
    let started = Instant::now();
    let started_at = dmct_net::wall_clock();
    // Without --sessions, a signal is what stops the proxy.
    let stopped_by_signal = sessions.is_none();
    let (sessions, interrupted) = run(ProxyRun { config, sessions }, &mut signals).await?;
    // A second signal while the reports are written exits at once.
    signals.exit_on_next(stopped_by_signal || interrupted.is_some());
    if let Some(signal) = interrupted {
        interrupt::announce(signal);
    }
    let (records, runs): (Vec<_>, Vec<Vec<CaseRun>>) = sessions.into_iter().unzip();
    let mut runs: Vec<CaseRun> = runs.into_iter().flatten().collect();
    let mut records = records;
    let mut report = dmct_suite::report_with(
        "proxy",
        &runs,
        elapsed_ms(started),
        &profile(common.profile.as_deref())?,
        seed,
    );
    report.time = Some(dmct_net::span_since(started_at));
    report.interrupted = interrupted.is_some();
    if redact {
        dmct_suite::proxied::redact(&mut runs, &mut records, &mut report);
    }
    dmct_suite::proxied::write_sessions(&common.out, &records)?;
    if runs.is_empty() {
        // Nothing to judge: never green (exit 2 unless a signal stopped it).
        eprintln!("dmct: the proxy saw no DM session");
    }
    finish(&common.out, &report, &runs)
}
