//! `dmct export`: a failing case of an earlier run, as a transcript vector that
//! `dmct check` replays offline.

use crate::output::{ReadReportError, read_report};
use crate::vectors::{RuleVector, VECTOR_FORMAT};
use dmct_report::CaseResult;
use dmct_rules::{Finding, Verdict};
use std::path::{Path, PathBuf};

/// Why a case could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Report(#[from] ReadReportError),
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The report holds no failing case of that id (and rule); `cases` lists its cases.
    #[error(
        "{} has no failing case {case}{} (cases: {cases})",
        report.display(),
        rule.as_ref().map(|r| format!(" for rule {r}")).unwrap_or_default()
    )]
    NoFailingCase {
        report: PathBuf,
        case: String,
        rule: Option<String>,
        cases: String,
    },
    #[error("the case has no transcript file")]
    NoTranscript,
    #[error("{} is not a dmct transcript", path.display())]
    NotTranscript {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What was exported, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub rule: String,
    pub case: String,
    /// The case's peer, as reports name it.
    pub peer: String,
    /// The vector file written.
    pub path: PathBuf,
}

fn read(path: &Path) -> Result<String, ExportError> {
    std::fs::read_to_string(path).map_err(|source| ExportError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Write case `case` of the run in `from` (its output directory, or its report.json) as a
/// vector: its failure of `rule` (default: its first failure), to `out` (default:
/// CASE--RULE.json here), redacted if asked.
pub fn export(
    case: &str,
    from: &Path,
    rule: Option<&str>,
    out: Option<PathBuf>,
    redact: bool,
) -> Result<Exported, ExportError> {
    let (report_path, report) = read_report(from)?;
    // Transcript paths in a report are relative to the directory holding it.
    let from = report_path.parent().unwrap_or(Path::new("."));
    let fails = |f: &Finding| f.verdict == Verdict::Fail && rule.is_none_or(|r| r == f.rule);
    let failing = |c: &&CaseResult| c.findings.iter().any(fails);
    let found = report.cases.iter().filter(|c| c.id == case).find(failing);
    let Some((c, f)) = found.and_then(|c| Some((c, c.findings.iter().find(|f| fails(f))?))) else {
        return Err(ExportError::NoFailingCase {
            report: report_path,
            case: case.to_owned(),
            rule: rule.map(str::to_owned),
            cases: report
                .cases
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let tpath = from.join(c.transcript.as_deref().ok_or(ExportError::NoTranscript)?);
    let ttext = read(&tpath)?;
    let mut transcript: dmct_proto::transcript::Transcript =
        serde_json::from_str(&ttext).map_err(|source| ExportError::NotTranscript {
            path: tpath.clone(),
            source,
        })?;
    if redact {
        transcript = crate::redact::transcript(&transcript).0;
    }
    let v = RuleVector {
        vector_format: VECTOR_FORMAT,
        rule: f.rule.clone(),
        clause: f.clause.clone(),
        level: f.level,
        expected: Verdict::Fail,
        scenario: c.id.clone(),
        role: c.role,
        peer: c.peer.name.clone(),
        faults: c.peer.faults.clone(),
        transcript,
    };
    let path = out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}--{}.json",
            c.id.replace('/', "__"),
            f.rule.replace('/', "__")
        ))
    });
    std::fs::write(&path, crate::vectors::to_json(&v)).map_err(|source| ExportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(Exported {
        rule: f.rule.clone(),
        case: c.id.clone(),
        peer: c.peer.label(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_without_that_failure_names_the_cases_there_are() {
        let dir = std::env::temp_dir().join(format!("dmct-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let report = crate::report("run", &[], 0);
        std::fs::write(
            dir.join("report.json"),
            serde_json::to_string(&report).unwrap(),
        )
        .unwrap();
        let e = export("auth/x", &dir, Some("auth/y"), None, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{} has no failing case auth/x for rule auth/y (cases: )",
                dir.join("report.json").display()
            )
        );
        let e = export("auth/x", &dir.join("none"), None, None, false).unwrap_err();
        assert!(
            matches!(e, ExportError::Report(ReadReportError::Read { .. })),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
