//! Writing a run's outputs: `report.json`, `report.txt`, `report.xml` (JUnit),
//! `report.html` (self-contained) and one transcript per case.
//! Transcripts are written even when the report cannot be, so nothing recorded is lost.

use crate::CaseRun;
use dmct_report::RunReport;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct OutputError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

fn write(path: PathBuf, bytes: &[u8]) -> Result<(), OutputError> {
    std::fs::write(&path, bytes).map_err(|source| OutputError { path, source })
}

pub fn write_all(dir: &Path, report: &RunReport, runs: &[CaseRun]) -> Result<(), OutputError> {
    let tdir = dir.join("transcripts");
    std::fs::create_dir_all(&tdir).map_err(|source| OutputError {
        path: tdir.clone(),
        source,
    })?;
    for r in runs {
        let json = serde_json::to_string_pretty(&r.transcript).unwrap_or_default();
        write(
            tdir.join(format!("{}.json", r.file_stem())),
            json.as_bytes(),
        )?;
    }
    write(
        dir.join("report.json"),
        dmct_report::render_json(report).as_bytes(),
    )?;
    write(
        dir.join("report.txt"),
        dmct_report::render_text(report).as_bytes(),
    )?;
    write(
        dir.join("report.xml"),
        dmct_report::render_junit(report).as_bytes(),
    )?;
    // Report cases come from the runs in order, so transcripts line up with cases.
    let transcripts: Vec<_> = runs.iter().map(|r| &r.transcript).collect();
    write(
        dir.join("report.html"),
        dmct_report::render_html(report, &transcripts).as_bytes(),
    )?;
    Ok(())
}
