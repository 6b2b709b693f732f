//! Writing a run's outputs: `report.json`, `report.txt`, `report.xml` (JUnit),
//! `report.html` (self-contained) and one transcript per case.
//! Transcripts are written even when the report cannot be, so nothing recorded is lost.
//! Every file is written whole or not at all ([`write_atomic`]): a full disk or a kill
//! leaves the previous file or none, never a truncated one.
//!
//! A transcript's name is its case's identity sanitised and cut to [`MAX_STEM`]
//! characters; where that would not tell it apart from another case of the run (a cut,
//! identities that sanitise alike, the same identity twice) a stable hash of the full
//! identity, then a counter, is appended. The full identity stays inside the files.

use crate::CaseRun;
use dmct_proto::transcript::Transcript;
use dmct_report::RunReport;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {}", dmct_net::io_words(.cause))]
pub struct OutputError {
    pub path: PathBuf,
    /// Not named `source`: the message already words it, and a source would repeat it.
    pub cause: std::io::Error,
}

/// Write `bytes` to `path` through a temporary file in the same directory, synced and
/// renamed over `path`: readers see the old file or the new one, never part of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let err = |source| OutputError {
        path: path.to_owned(),
        cause: source,
    };
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(name);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        // A half-written temporary file is of no use to anyone.
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

/// Check before a run that `dir` can take its outputs: create it, write and remove a
/// probe file. A run of hours must not end unable to say what it found.
pub fn check_dir(dir: &Path) -> Result<(), OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError {
            path: dir.to_owned(),
            cause: std::io::Error::other("it exists and is not a directory"),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| OutputError {
        path: dir.to_owned(),
        cause: source,
    })?;
    let probe = dir.join(format!(".dmct-probe-{}", std::process::id()));
    write_atomic(&probe, b"dmct checks it can write here\n").map_err(|e| OutputError {
        path: dir.to_owned(),
        cause: e.cause,
    })?;
    std::fs::remove_file(&probe).map_err(|source| OutputError {
        path: probe.clone(),
        cause: source,
    })
}

/// The longest transcript file stem, in characters (all ASCII): far below the 255 bytes
/// file systems allow a name, and readable in a listing.
pub const MAX_STEM: usize = 80;

/// A name part keeps ASCII letters, digits and '-'; anything else becomes '_'.
fn sanitise(identity: &str) -> String {
    identity
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// FNV-1a, 64 bits: stable across runs, platforms and Rust versions (std's hasher is
/// not promised to be), and enough to tell a run's few cases apart.
pub(crate) fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `sanitised` cut so that `suffix` fits within [`MAX_STEM`].
fn with_suffix(sanitised: &str, suffix: &str) -> String {
    let keep = MAX_STEM.saturating_sub(suffix.len());
    format!("{}{suffix}", &sanitised[..sanitised.len().min(keep)])
}

fn hashed(identity: &str) -> String {
    with_suffix(
        &sanitise(identity),
        &format!("-{:08x}", stable_hash(identity) as u32),
    )
}

/// `identity` sanitised; when longer than [`MAX_STEM`], cut with a hash of the whole.
pub fn bounded_stem(identity: &str) -> String {
    let s = sanitise(identity);
    if s.len() <= MAX_STEM {
        s
    } else {
        hashed(identity)
    }
}

/// The transcript file stem of each run, in order: bounded and distinct, also where file
/// names are case-insensitive; the same runs always give the same names.
pub fn transcript_names(runs: &[CaseRun]) -> Vec<String> {
    let identities: Vec<String> = runs.iter().map(CaseRun::identity).collect();
    names_of(&identities)
}

/// The transcript file stems of the cases of a report, in order: the names
/// [`transcript_names`] gives the runs they were judged from.
pub fn case_transcript_names(cases: &[dmct_report::CaseResult]) -> Vec<String> {
    let identities: Vec<String> = cases
        .iter()
        .map(|c| crate::runner::identity(&c.id, &c.peer))
        .collect();
    names_of(&identities)
}

fn names_of(identities: &[String]) -> Vec<String> {
    let stems: Vec<String> = identities.iter().map(|i| bounded_stem(i)).collect();
    let mut count: std::collections::HashMap<String, usize> = Default::default();
    for s in &stems {
        *count.entry(s.to_ascii_lowercase()).or_default() += 1;
    }
    let mut used = std::collections::HashSet::new();
    stems
        .into_iter()
        .zip(identities)
        .map(|(stem, identity)| {
            // Stems shared by different identities each take their identity's hash.
            let stem = if count[&stem.to_ascii_lowercase()] > 1 {
                hashed(identity)
            } else {
                stem
            };
            // The same identity twice (or a hash collision): numbered in run order.
            let mut name = stem.clone();
            let mut n = 1;
            while !used.insert(name.to_ascii_lowercase()) {
                n += 1;
                name = with_suffix(&stem, &format!("-{n}"));
            }
            name
        })
        .collect()
}

pub fn write_all(dir: &Path, report: &RunReport, runs: &[CaseRun]) -> Result<(), OutputError> {
    // The same names as the report's `transcript` fields ([`crate::report_with`]).
    let names = transcript_names(runs);
    let transcripts: Vec<&Transcript> = runs.iter().map(|r| &r.transcript).collect();
    write_files(dir, report, &names, &transcripts)
}

/// The transcripts, as `transcripts/NAME.json` for each of `names`, and every report
/// file. The HTML report shows each case the transcript its `transcript` field names:
/// a selection (`--rule`, `--level`) may have left out cases whose transcripts are
/// still written, so the two lists need not line up.
pub fn write_files(
    dir: &Path,
    report: &RunReport,
    names: &[String],
    transcripts: &[&Transcript],
) -> Result<(), OutputError> {
    let tdir = dir.join("transcripts");
    std::fs::create_dir_all(&tdir).map_err(|source| OutputError {
        path: tdir.clone(),
        cause: source,
    })?;
    for (t, name) in transcripts.iter().zip(names) {
        let json = serde_json::to_string_pretty(t).unwrap_or_default();
        write_atomic(&tdir.join(format!("{name}.json")), json.as_bytes())?;
    }
    let by_name: std::collections::HashMap<String, &Transcript> = names
        .iter()
        .zip(transcripts)
        .map(|(n, t)| (format!("transcripts/{n}.json"), *t))
        .collect();
    let none = Transcript::default();
    let shown: Vec<&Transcript> = report
        .cases
        .iter()
        .map(|c| {
            c.transcript
                .as_ref()
                .and_then(|n| by_name.get(n).copied())
                .unwrap_or(&none)
        })
        .collect();
    write_reports(dir, report, &shown)
}

/// The four reports of `report`: JSON, text, JUnit XML and HTML; `transcripts[i]` is
/// the transcript of `report.cases[i]`, for the HTML.
pub fn write_reports(
    dir: &Path,
    report: &RunReport,
    transcripts: &[&Transcript],
) -> Result<(), OutputError> {
    write_reports_with(dir, report, || {
        dmct_report::render_html(report, transcripts)
    })
}

/// [`write_reports`] of transcripts decoded already (`views[i]` is the one of
/// `report.cases[i]`): the HTML shows their bodies without decoding them again.
pub fn write_reports_decoded(
    dir: &Path,
    report: &RunReport,
    views: &[&dmct_rules::View],
) -> Result<(), OutputError> {
    write_reports_with(dir, report, || {
        dmct_report::render_html_decoded(report, views)
    })
}

fn write_reports_with(
    dir: &Path,
    report: &RunReport,
    html: impl FnOnce() -> String,
) -> Result<(), OutputError> {
    write_atomic(
        &dir.join("report.json"),
        dmct_report::render_json(report).as_bytes(),
    )?;
    write_atomic(
        &dir.join("report.txt"),
        dmct_report::render_text(report).as_bytes(),
    )?;
    write_atomic(
        &dir.join("report.xml"),
        dmct_report::render_junit(report).as_bytes(),
    )?;
    write_atomic(&dir.join("report.html"), html().as_bytes())?;
    Ok(())
}

/// Why an earlier run's report.json could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadReportError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a dmct report.json", path.display())]
    NotReport {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// A report.json, or the run's output directory holding one: the file and the report
/// (an editor's byte order mark is no reason to refuse it).
pub fn read_report(path: impl AsRef<Path>) -> Result<(PathBuf, RunReport), ReadReportError> {
    let mut file = path.as_ref().to_owned();
    if file.is_dir() {
        file = file.join("report.json");
    }
    let text = std::fs::read_to_string(&file).map_err(|source| ReadReportError::Read {
        path: file.clone(),
        source,
    })?;
    let report: RunReport = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text))
        .map_err(|source| ReadReportError::NotReport {
            path: file.clone(),
            source,
        })?;
    Ok((file, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmct_report::Peer;
    use dmct_rules::Role;

    fn run(id: &str, peer: &str) -> CaseRun {
        CaseRun {
            scenario: crate::Scenario {
                id: id.into(),
                title: String::new(),
                roles: vec![Role::Client],
                rules: Vec::new(),
                client: Default::default(),
                server: Default::default(),
                expect: Default::default(),
            },
            role: Role::Client,
            peer: Peer {
                name: peer.into(),
                faults: Vec::new(),
                identity: Vec::new(),
            },
            transcript: Default::default(),
        }
    }

    #[test]
    fn names_are_bounded_distinct_and_stable() {
        let long = format!("http://device.example/{}", "x".repeat(300));
        let runs = vec![
            run("session/basic", "builtin-client"),
            run("proxy/session-1", "http://a/b"),
            run("proxy/session-1", "http://a_b"),
            run("proxy/session-1", "HTTP://A/B"),
            run("proxy/session-1", &long),
            run("proxy/session-1", &format!("{long}y")),
            run("same", "twice"),
            run("same", "twice"),
        ];
        let names = transcript_names(&runs);
        // A name that cannot collide stays as readable as before.
        assert_eq!(names[0], "session_basic--builtin-client");
        let lower: std::collections::HashSet<_> =
            names.iter().map(|n| n.to_ascii_lowercase()).collect();
        assert_eq!(lower.len(), names.len(), "{names:?}");
        for n in &names {
            assert!(n.len() <= MAX_STEM, "{n}");
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            );
        }
        assert!(names[1].starts_with("proxy_session-1--http___a_b-"));
        assert!(names[4].starts_with("proxy_session-1--http___device_example_xxx"));
        assert_eq!(names[6], hashed("same--twice"));
        assert_eq!(names[7], format!("{}-2", hashed("same--twice")));
        assert_eq!(names, transcript_names(&runs));
    }

    /// A scratch directory, removed when the test ends.
    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary_file() {
        let scratch = dir();
        let d = scratch.path();
        let p = d.join("report.json");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.json"]);
    }

    #[test]
    fn a_failed_write_names_the_file_and_the_reason() {
        let scratch = dir();
        let p = scratch.path().join("no-such-dir").join("report.json");
        let e = write_atomic(&p, b"x").unwrap_err().to_string();
        assert!(e.contains("report.json"), "{e}");
        assert!(!e.contains("os error"), "the reason in words: {e}");
    }

    #[test]
    fn an_out_dir_that_is_a_file_is_refused_with_the_reason() {
        let scratch = dir();
        let d = scratch.path();
        let f = d.join("out");
        std::fs::write(&f, "").unwrap();
        let e = check_dir(&f).unwrap_err().to_string();
        assert!(e.contains("not a directory"), "{e}");
        check_dir(&d.join("fresh")).unwrap();
        assert!(d.join("fresh").is_dir());
        assert_eq!(std::fs::read_dir(d.join("fresh")).unwrap().count(), 0);
    }
}
