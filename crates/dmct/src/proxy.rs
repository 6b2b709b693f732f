//! `dmct proxy`: dmct between a real device and a real DM server. Prints new failures as
//! they happen, and when stopped (Ctrl-C, SIGTERM or SIGHUP, or `--sessions N` sessions
//! ended, by the server or in silence past `--idle`) writes the
//! same reports as `dmct run`: each recorded DM session is two cases, one judging the
//! client, one judging the server.

use anyhow::{Context, Result};
use dmct_proxy::{Event, Mutation, ProxyConfig, SessionKey, SessionRecord};
use dmct_report::Peer;
use dmct_rules::Role;
use dmct_suite::CaseRun;
use std::path::Path;
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
    config.on_event = Some(Arc::new(|e: Event| match e {
        Event::Finding { session, finding } => eprintln!(
            "[{session}] {} {} [{} {}, {}]{}: {}",
            finding.verdict.as_str().to_uppercase(),
            finding.rule,
            finding.role,
            finding.level,
            finding.clause,
            finding
                .exchange
                .map(|i| format!(" @ exchange {i}"))
                .unwrap_or_default(),
            // A detail may quote what was on the wire.
            if dmct_suite::redact::active() {
                "(detail in the report, redacted)".to_owned()
            } else {
                finding.detail
            }
        ),
        Event::Note { session, note } => {
            eprintln!(
                "[{session}] {}",
                dmct_suite::redact::scrub_known(&note.text)
            )
        }
        Event::SessionEnded { session, exchanges } => {
            eprintln!("[{session}] ended by the server after {exchanges} exchanges")
        }
        Event::SessionSilent {
            session,
            exchanges,
            after_ms,
        } => eprintln!(
            "[{session}] ended in silence: the device sent nothing for {} s after the \
             server's answer ({exchanges} exchanges)",
            after_ms / 1000
        ),
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
    // Sessions are numbered in the order they started, DM sessions apart from the
    // undecodable records: a case id never holds a SessionID, which the device chooses
    // afresh (the title keeps it), so CI history and baselines match across reruns.
    let mut seen: std::collections::HashMap<bool, usize> = Default::default();
    let sessions = records
        .into_iter()
        .map(|r| {
            let nth = seen
                .entry(matches!(r.key, SessionKey::Dm { .. }))
                .or_default();
            *nth += 1;
            let runs = cases_of(&r, *nth, &upstream, &mutations);
            (r, runs)
        })
        .collect();
    Ok((sessions, interrupted))
}

/// A recorded session as two cases: the client judged, the server judged. `nth`: the
/// how-manieth DM session (or undecodable record) it is.
fn cases_of(r: &SessionRecord, nth: usize, upstream: &str, mutations: &[String]) -> Vec<CaseRun> {
    let id = match &r.key {
        SessionKey::Dm { .. } => format!("proxy/session-{nth}"),
        SessionKey::Undecodable if nth == 1 => "proxy/undecodable".to_owned(),
        SessionKey::Undecodable => format!("proxy/undecodable-{nth}"),
    };
    let client = match &r.key {
        SessionKey::Dm { client, .. } => client.clone(),
        SessionKey::Undecodable => "unknown client".into(),
    };
    let scenario = dmct_suite::Scenario {
        id: id.clone(),
        title: match r.peer {
            Some(ip) => format!("{} from {ip} through the proxy", r.key),
            None => format!("{} through the proxy", r.key),
        },
        roles: vec![Role::Client, Role::Server],
        rules: Vec::new(),
        client: Default::default(),
        server: Default::default(),
        expect: Default::default(),
    };
    [(Role::Client, client), (Role::Server, upstream.to_owned())]
        .into_iter()
        .map(|(role, name)| CaseRun {
            scenario: scenario.clone(),
            role,
            peer: Peer {
                name,
                // A mutated session says so: its server did not send what the client saw.
                faults: mutations
                    .iter()
                    .filter(|m| r.mutations.iter().any(|x| x.name() == m.as_str()))
                    .map(|m| format!("proxy:{m}"))
                    .collect(),
                identity: Vec::new(),
            },
            transcript: r.transcript.clone(),
        })
        .collect()
}

/// The proxy's own record of every session (relays, notes, what was not kept), beside
/// the transcripts.
pub fn write_sessions(out: &Path, records: &[SessionRecord]) -> Result<()> {
    let dir = out.join("sessions");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (i, r) in records.iter().enumerate() {
        let path = dir.join(format!("{i:04}.json"));
        let json = serde_json::to_string_pretty(r).context("cannot serialise a session")?;
        dmct_suite::output::write_atomic(&path, json.as_bytes())?;
    }
    Ok(())
}

pub fn parse_mutations(names: &[String]) -> Result<std::collections::BTreeSet<Mutation>> {
    names
        .iter()
        .map(|n| n.parse::<Mutation>().map_err(anyhow::Error::from))
        .collect()
}
