//! `dmct merge`: the reports of a run's shards (`run --partition i/N`) joined into the
//! report of the whole run: its cases in the whole run's order, the summary counted
//! again, the transcripts copied under the names the whole run gives them, and every
//! report file written as `run` writes it. Shards that cannot make one run are refused.

use crate::output::{OutputError, ReadReportError, read_report};
use dmct_proto::transcript::Transcript;
use dmct_report::{Partition, RunReport, Span, Summary, unix_millis};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Shards that make no one run, in words naming them.
    #[error("{0}")]
    Refused(String),
    #[error("--out cannot take the reports")]
    Out(#[source] OutputError),
    #[error(transparent)]
    Report(#[from] ReadReportError),
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a dmct transcript", path.display())]
    NotTranscript {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// Refuse with a message, as `format!` words it.
macro_rules! refuse {
    ($($t:tt)*) => {
        return Err(MergeError::Refused(format!($($t)*)))
    };
}

/// One shard's report, with what it was read from.
pub struct Shard {
    /// How the shard is named in messages (its report.json's path).
    pub name: String,
    pub report: RunReport,
}

/// The whole run's report from its shards, and where each of its cases came from
/// (shard, case), in the merged order. Every refusal says which shards disagree.
pub fn join(shards: &[Shard]) -> Result<(RunReport, Vec<(usize, usize)>), MergeError> {
    let parts: Vec<&Partition> = shards
        .iter()
        .map(|s| {
            s.report.partition.as_ref().ok_or_else(|| {
                MergeError::Refused(format!(
                    "{} is not a shard's report: its run had no --partition",
                    s.name
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let Some((first, p0)) = shards.first().zip(parts.first()) else {
        refuse!("give the report.json (or output directory) of every shard");
    };
    for (s, p) in shards.iter().zip(&parts).skip(1) {
        let (a, b) = (&first.report, &s.report);
        if a.command != b.command {
            refuse!(
                "{} is a report of `dmct {}`, {} of `dmct {}`: shards of different commands \
                 make no one run",
                first.name,
                a.command,
                s.name,
                b.command
            );
        }
        if a.catalog != b.catalog {
            refuse!(
                "{} and {} were judged by different rule catalogs (md5 {} and {}): run every \
                 shard with the same dmct",
                first.name,
                s.name,
                a.catalog.md5,
                b.catalog.md5
            );
        }
        if (p0.count, p0.planned, &p0.plan) != (p.count, p.planned, &p.plan) {
            refuse!(
                "{} and {} are shards of different runs ({} cases in {} shards, and {} in \
                 {}; or another selection or scenario set): give every shard the same \
                 selection and N",
                first.name,
                s.name,
                p0.planned,
                p0.count,
                p.planned,
                p.count
            );
        }
        if a.profile_lacks != b.profile_lacks {
            refuse!(
                "{} and {} were judged with different capability profiles: give every shard \
                 the same --profile",
                first.name,
                s.name
            );
        }
        if let (Some(x), Some(y)) = (&a.device, &b.device)
            && x != y
        {
            refuse!(
                "{} tested the device {x:?}, {} the device {y:?}: shards of different \
                 devices make no one run (dmct matrix puts devices side by side)",
                first.name,
                s.name
            );
        }
    }
    let mut by_index: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, (s, p)) in shards.iter().zip(&parts).enumerate() {
        if p.positions.len() != s.report.cases.len() {
            refuse!(
                "{}: its partition places {} cases, its report holds {}",
                s.name,
                p.positions.len(),
                s.report.cases.len()
            );
        }
        if let Some(&j) = by_index.get(&p.index) {
            refuse!(
                "{} and {} are both shard {}/{}: overlapping partitions",
                shards[j].name,
                s.name,
                p.index,
                p.count
            );
        }
        by_index.insert(p.index, i);
    }
    // A shard whose first place is past the plan ran no case and wrote no report.
    let missing: Vec<String> = (1..=p0.count.min(p0.planned))
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{}", p0.count))
        .collect();
    if !missing.is_empty() {
        refuse!(
            "shard {} missing: give every shard's report, so the merged run is the whole run",
            missing.join(", ")
        );
    }
    // Each case by its place in the whole run; a place or a name twice is refused.
    let mut placed: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, (s, p)) in shards.iter().zip(&parts).enumerate() {
        for (k, (&pos, case)) in p.positions.iter().zip(&s.report.cases).enumerate() {
            if pos >= p.planned || pos % p.count != p.index - 1 {
                refuse!(
                    "{}: case {} is not one of shard {}/{}'s",
                    s.name,
                    case.stable_name(),
                    p.index,
                    p.count
                );
            }
            let name = case.stable_name();
            if let Some(j) = names.insert(name.clone(), i) {
                refuse!(
                    "the same case twice: {name} is in {} and in {}",
                    shards[j].name,
                    s.name
                );
            }
            placed.insert(pos, (i, k));
        }
    }
    let origins: Vec<(usize, usize)> = placed.into_values().collect();
    let mut report = first.report.clone();
    report.partition = None;
    report.cases = origins
        .iter()
        .map(|&(i, k)| shards[i].report.cases[k].clone())
        .collect();
    report.summary = Summary::of(&report.cases);
    report.interrupted = shards.iter().any(|s| s.report.interrupted);
    report.device = shards.iter().find_map(|s| s.report.device.clone());
    report.time = span_of(shards.iter().filter_map(|s| s.report.time.as_ref()));
    report.duration_ms = report
        .time
        .as_ref()
        .and_then(dmct_report::span_millis)
        .unwrap_or_else(|| {
            shards
                .iter()
                .map(|s| s.report.duration_ms)
                .max()
                .unwrap_or(0)
        });
    report.seeds = seeds(shards, &parts);
    let names = crate::output::case_transcript_names(&report.cases);
    for (c, name) in report.cases.iter_mut().zip(names) {
        c.transcript = Some(format!("transcripts/{name}.json"));
    }
    Ok((report, origins))
}

/// From the earliest start to the latest end of the shards.
fn span_of<'a>(spans: impl Iterator<Item = &'a Span>) -> Option<Span> {
    let mut started: Option<(u64, String)> = None;
    let mut ended: Option<(u64, String)> = None;
    let mut any = false;
    for s in spans {
        any = true;
        let read = |t: &Option<String>| t.as_ref().and_then(|t| Some((unix_millis(t)?, t.clone())));
        if let Some(t) = read(&s.started)
            && started.as_ref().is_none_or(|(m, _)| t.0 < *m)
        {
            started = Some(t);
        }
        if let Some(t) = read(&s.ended)
            && ended.as_ref().is_none_or(|(m, _)| t.0 > *m)
        {
            ended = Some(t);
        }
    }
    any.then(|| Span {
        started: started.map(|(_, t)| t),
        ended: ended.map(|(_, t)| t),
    })
}

/// The shards' seeds: as they are when all ran with the same, else each shard's named
/// with it, so any shard can be replayed.
fn seeds(shards: &[Shard], parts: &[&Partition]) -> Vec<(String, u64)> {
    let first = &shards[0].report.seeds;
    if shards.iter().all(|s| &s.report.seeds == first) {
        return first.clone();
    }
    let mut order: Vec<(usize, &Shard)> = parts.iter().map(|p| p.index).zip(shards).collect();
    order.sort_by_key(|(i, _)| *i);
    order
        .into_iter()
        .flat_map(|(i, s)| {
            let count = parts[0].count;
            s.report
                .seeds
                .iter()
                .map(move |(name, v)| (format!("{name} (shard {i}/{count})"), *v))
        })
        .collect()
}

/// The merged run: its report (written) and how many shards it joined.
#[derive(Debug)]
pub struct Merged {
    pub report: RunReport,
    pub shards: usize,
}

/// `dmct merge`: read the shards (each a report.json or its directory), join them, copy
/// the transcripts and write every report file to `out`, as `run` writes them.
pub fn merge(args: &[String], out: &Path) -> Result<Merged, MergeError> {
    crate::output::check_dir(out).map_err(MergeError::Out)?;
    let mut shards = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for a in args {
        let (file, report) = read_report(a)?;
        dirs.push(file.parent().map(Path::to_owned).unwrap_or_default());
        shards.push(Shard {
            name: file.display().to_string(),
            report,
        });
    }
    let (report, origins) = join(&shards)?;
    let mut transcripts = Vec::new();
    for &(i, k) in &origins {
        let case = &shards[i].report.cases[k];
        let Some(rel) = case.transcript.as_deref() else {
            refuse!(
                "{}: case {} names no transcript file",
                shards[i].name,
                case.stable_name()
            );
        };
        let path = dirs[i].join(rel);
        let text = std::fs::read_to_string(&path).map_err(|source| MergeError::Read {
            path: path.clone(),
            source,
        })?;
        let t: Transcript =
            serde_json::from_str(&text).map_err(|source| MergeError::NotTranscript {
                path: path.clone(),
                source,
            })?;
        transcripts.push(t);
    }
    let names: Vec<String> = report
        .cases
        .iter()
        .map(|c| {
            let t = c.transcript.as_deref().unwrap_or_default();
            t.trim_start_matches("transcripts/")
                .trim_end_matches(".json")
                .to_owned()
        })
        .collect();
    let refs: Vec<&Transcript> = transcripts.iter().collect();
    crate::output::write_files(out, &report, &names, &refs)?;
    Ok(Merged {
        report,
        shards: shards.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmct_report::{CaseResult, CaseVerdict, Peer};
    use dmct_rules::Role;

    fn case(id: &str, role: Role, verdict: CaseVerdict) -> CaseResult {
        CaseResult {
            id: id.into(),
            title: String::new(),
            role,
            peer: Peer {
                name: format!("builtin-{role}"),
                faults: Vec::new(),
                identity: Vec::new(),
            },
            verdict,
            findings: Vec::new(),
            exchanges: 1,
            transcript: Some(format!("transcripts/{id}.json")),
            authentication: Default::default(),
            ended: None,
            time: None,
            exchange_times: Vec::new(),
        }
    }

    /// Shard `index` of 2 of the plan a, b, c (client) and d (server).
    fn shard(index: usize, seed: u64, time: (&str, &str)) -> Shard {
        let plan = [
            ("a", Role::Client),
            ("b", Role::Client),
            ("c", Role::Client),
            ("d", Role::Server),
        ];
        let mut report = crate::report("run", &[], 0);
        report.seeds = vec![("run".into(), seed)];
        report.time = Some(Span {
            started: Some(time.0.into()),
            ended: Some(time.1.into()),
        });
        let s = crate::partition::Shard { index, count: 2 };
        report.cases = s
            .of(plan)
            .into_iter()
            .map(|(id, role)| case(id, role, CaseVerdict::Pass))
            .collect();
        let names = crate::partition::plan_names(plan);
        crate::partition::record(&mut report, s, &names);
        Shard {
            name: format!("shard{index}/report.json"),
            report,
        }
    }

    const T1: (&str, &str) = ("2026-12-07T08:00:00.000Z", "2026-12-07T08:00:05.000Z");
    const T2: (&str, &str) = ("2026-12-07T07:59:59.000Z", "2026-12-07T08:00:03.000Z");

    #[test]
    fn shards_join_in_the_whole_runs_order_over_their_whole_time() {
        let (r, origins) = join(&[shard(2, 7, T2), shard(1, 7, T1)]).unwrap();
        let ids: Vec<&str> = r.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert_eq!(origins, [(1, 0), (0, 0), (1, 1), (0, 1)]);
        assert_eq!(r.summary.cases, 4);
        assert_eq!(r.partition, None);
        let t = r.time.unwrap();
        assert_eq!(t.started.as_deref(), Some(T2.0));
        assert_eq!(t.ended.as_deref(), Some(T1.1));
        assert_eq!(r.duration_ms, 6_000);
        assert_eq!(r.seeds, [("run".to_owned(), 7)]);
        let (r, _) = join(&[shard(1, 7, T1), shard(2, 8, T2)]).unwrap();
        assert_eq!(
            r.seeds,
            [
                ("run (shard 1/2)".to_owned(), 7),
                ("run (shard 2/2)".to_owned(), 8)
            ]
        );
    }

    #[test]
    fn shards_that_make_no_one_run_are_refused() {
        let err = |shards: &[Shard]| format!("{:#}", join(shards).unwrap_err());
        assert!(err(&[shard(1, 7, T1), shard(1, 7, T1)]).contains("overlapping partitions"));
        assert!(err(&[shard(1, 7, T1)]).contains("shard 2/2 missing"));
        let mut other = shard(2, 7, T2);
        other.report.catalog.md5 = "0".repeat(32);
        assert!(err(&[shard(1, 7, T1), other]).contains("different rule catalogs"));
        let mut other = shard(2, 7, T2);
        other.report.command = "selftest".into();
        assert!(err(&[shard(1, 7, T1), other]).contains("different commands"));
        let mut other = shard(2, 7, T2);
        other.report.cases[0].id = "a".into();
        other.report.cases[0].role = Role::Client;
        assert!(err(&[shard(1, 7, T1), other]).contains("the same case twice"));
        let mut other = shard(2, 7, T2);
        other.report.partition.as_mut().unwrap().plan = "x".into();
        assert!(err(&[shard(1, 7, T1), other]).contains("shards of different runs"));
        let mut whole = shard(1, 7, T1);
        whole.report.partition = None;
        assert!(err(&[whole]).contains("no --partition"));
    }
}
