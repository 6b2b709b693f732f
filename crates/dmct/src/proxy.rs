//! `dmct proxy`: dmct between a real device and a real DM server. Prints new failures as
//! they happen, and when stopped (Ctrl-C, SIGTERM or SIGHUP, or `--sessions N` sessions
//! ended, by the server or in silence past `--idle`) writes the
//! same reports as `dmct run`: each recorded DM session is two cases, one judging the
//! client, one judging the server (`dmct_suite::proxied`).

use anyhow::{Context, Result};
use dmct_proxy::{Event, ProxyConfig, SessionRecord};
use dmct_suite::CaseRun;
use std::sync::Arc;

pub struct ProxyArgs {
    pub config: ProxyConfig,
    pub sessions: Option<usize>,
}

/// The proxy until it is stopped; every session it recorded as cases, and the signal
/// that interrupted `--sessions N`, if one did.
pub async fn run(
    args: ProxyArgs,
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
