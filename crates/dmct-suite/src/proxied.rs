//! `dmct proxy`'s recorded DM sessions as the cases `dmct run` reports: each session
//! is two cases, one judging the client, one judging the server; the proxy's own record
//! of each session beside them; and the lines it tells as it goes.

use crate::CaseRun;
use dmct_proxy::{Event, Mutation, SessionKey, SessionRecord, UnknownMutation};
use dmct_report::{Peer, RunReport};
use dmct_rules::Role;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Why the proxy's sessions could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ProxiedError {
    #[error("cannot create {}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialise a session")]
    Serialise(#[source] serde_json::Error),
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
}

/// `--mutate` names, each a mutation the proxy knows.
pub fn parse_mutations(names: &[String]) -> Result<BTreeSet<Mutation>, UnknownMutation> {
    names.iter().map(|n| n.parse::<Mutation>()).collect()
}

/// The line the operator reads for an event of the proxy. A finding's detail may quote
/// what was on the wire: under `--redact` it stays in the (redacted) report.
pub fn event_line(e: Event) -> String {
    match e {
        Event::Finding { session, finding } => format!(
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
            if crate::redact::active() {
                "(detail in the report, redacted)".to_owned()
            } else {
                finding.detail
            }
        ),
        Event::Note { session, note } => {
            format!("[{session}] {}", crate::redact::scrub_known(&note.text))
        }
        Event::SessionEnded { session, exchanges } => {
            format!("[{session}] ended by the server after {exchanges} exchanges")
        }
        Event::SessionSilent {
            session,
            exchanges,
            after_ms,
        } => format!(
            "[{session}] ended in silence: the device sent nothing for {} s after the \
             server's answer ({exchanges} exchanges)",
            after_ms / 1000
        ),
    }
}

/// Every record the proxy kept, each with its cases. Sessions are numbered in the order
/// they started, DM sessions apart from the undecodable records: a case id never holds
/// a SessionID, which the device chooses afresh (the title keeps it), so CI history and
/// baselines match across reruns. `mutations`: the `--mutate` names.
pub fn sessions_as_cases(
    records: Vec<SessionRecord>,
    upstream: &str,
    mutations: &[String],
) -> Vec<(SessionRecord, Vec<CaseRun>)> {
    let mut seen: std::collections::HashMap<bool, usize> = Default::default();
    records
        .into_iter()
        .map(|r| {
            let nth = seen
                .entry(matches!(r.key, SessionKey::Dm { .. }))
                .or_default();
            *nth += 1;
            let runs = cases_of(&r, *nth, upstream, mutations);
            (r, runs)
        })
        .collect()
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
    let scenario = crate::Scenario {
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

/// `--redact`: the secrets out of the cases, the records (whose relays, what the
/// upstream saw, go whole) and the report.
pub fn redact(runs: &mut [CaseRun], records: &mut [SessionRecord], report: &mut RunReport) {
    let mut secrets = Vec::new();
    for r in runs.iter_mut() {
        let (t, s) = crate::redact::transcript(&r.transcript);
        r.transcript = t;
        secrets.extend(s);
    }
    for rec in records.iter_mut() {
        rec.transcript = crate::redact::transcript(&rec.transcript).0;
        rec.relays.clear();
    }
    crate::redact::report(report, &secrets);
}

/// The proxy's own record of every session (relays, notes, what was not kept), beside
/// the transcripts: `out/sessions/NNNN.json`.
pub fn write_sessions(out: &Path, records: &[SessionRecord]) -> Result<(), ProxiedError> {
    let dir = out.join("sessions");
    std::fs::create_dir_all(&dir).map_err(|source| ProxiedError::Create {
        path: dir.clone(),
        source,
    })?;
    for (i, r) in records.iter().enumerate() {
        let path = dir.join(format!("{i:04}.json"));
        let json = serde_json::to_string_pretty(r).map_err(ProxiedError::Serialise)?;
        crate::output::write_atomic(&path, json.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: SessionKey, mutations: Vec<Mutation>) -> SessionRecord {
        SessionRecord {
            key,
            peer: None,
            transcript: Default::default(),
            relays: Vec::new(),
            not_kept: 0,
            completed: false,
            mutations,
            notes: Vec::new(),
            live_failures: Vec::new(),
        }
    }

    #[test]
    fn sessions_are_numbered_apart_from_undecodable_records() {
        let dm = |id: &str| SessionKey::Dm {
            session_id: id.into(),
            client: "IMEI:1".into(),
        };
        let mutation = Mutation::ALL[0];
        let records = vec![
            record(dm("A1"), vec![mutation]),
            record(SessionKey::Undecodable, Vec::new()),
            record(dm("B2"), Vec::new()),
            record(SessionKey::Undecodable, Vec::new()),
        ];
        let names = [mutation.name().to_owned()];
        let cases = sessions_as_cases(records, "http://up/dm", &names);
        let ids: Vec<(&str, Role, &str)> = cases
            .iter()
            .flat_map(|(_, runs)| runs)
            .map(|c| (c.scenario.id.as_str(), c.role, c.peer.name.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("proxy/session-1", Role::Client, "IMEI:1"),
                ("proxy/session-1", Role::Server, "http://up/dm"),
                ("proxy/undecodable", Role::Client, "unknown client"),
                ("proxy/undecodable", Role::Server, "http://up/dm"),
                ("proxy/session-2", Role::Client, "IMEI:1"),
                ("proxy/session-2", Role::Server, "http://up/dm"),
                ("proxy/undecodable-2", Role::Client, "unknown client"),
                ("proxy/undecodable-2", Role::Server, "http://up/dm"),
            ]
        );
        // The SessionID stays in the title, never in the id.
        assert_eq!(
            cases[0].1[0].scenario.title,
            "session A1 of IMEI:1 through the proxy"
        );
        assert_eq!(
            cases[0].1[1].peer.faults,
            [format!("proxy:{}", mutation.name())]
        );
        assert!(cases[2].1[0].peer.faults.is_empty());
    }

    #[test]
    fn an_unknown_mutation_is_refused() {
        assert!(parse_mutations(&["no-such-mutation".into()]).is_err());
        let all: Vec<String> = Mutation::ALL.iter().map(|m| m.name().to_owned()).collect();
        assert_eq!(parse_mutations(&all).unwrap().len(), Mutation::ALL.len());
    }
}
