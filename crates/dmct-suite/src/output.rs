//! Writing a run's outputs: `report.json`, `report.txt`, `report.xml` (JUnit),
//! `report.html` (self-contained) and one transcript per case.
//! Transcripts are written even when the report cannot be, so nothing recorded is lost.
//! Every file is written whole or not at all ([`write_atomic`]): a full disk or a kill
//! leaves the previous file or none, never a truncated one.

use crate::CaseRun;
use dmct_report::RunReport;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {}", dmct_net::io_words(.source))]
pub struct OutputError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Write `bytes` to `path` through a temporary file in the same directory, synced and
/// renamed over `path`: readers see the old file or the new one, never part of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let err = |source| OutputError {
        path: path.to_owned(),
        source,
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
            source: std::io::Error::other("it exists and is not a directory"),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| OutputError {
        path: dir.to_owned(),
        source,
    })?;
    let probe = dir.join(format!(".dmct-probe-{}", std::process::id()));
    write_atomic(&probe, b"dmct checks it can write here\n").map_err(|e| OutputError {
        path: dir.to_owned(),
        source: e.source,
    })?;
    std::fs::remove_file(&probe).map_err(|source| OutputError {
        path: probe.clone(),
        source,
    })
}

pub fn write_all(dir: &Path, report: &RunReport, runs: &[CaseRun]) -> Result<(), OutputError> {
    let tdir = dir.join("transcripts");
    std::fs::create_dir_all(&tdir).map_err(|source| OutputError {
        path: tdir.clone(),
        source,
    })?;
    for r in runs {
        let json = serde_json::to_string_pretty(&r.transcript).unwrap_or_default();
        write_atomic(
            &tdir.join(format!("{}.json", r.file_stem())),
            json.as_bytes(),
        )?;
    }
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
    // Report cases come from the runs in order, so transcripts line up with cases.
    let transcripts: Vec<_> = runs.iter().map(|r| &r.transcript).collect();
    write_atomic(
        &dir.join("report.html"),
        dmct_report::render_html(report, &transcripts).as_bytes(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dmct-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary_file() {
        let d = dir("atomic");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("report.json");
        std::fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.json"]);
    }

    #[test]
    fn a_failed_write_names_the_file_and_the_reason() {
        let d = dir("missing");
        let p = d.join("no-such-dir").join("report.json");
        let e = write_atomic(&p, b"x").unwrap_err().to_string();
        assert!(e.contains("report.json"), "{e}");
        assert!(!e.contains("os error"), "the reason in words: {e}");
    }

    #[test]
    fn an_out_dir_that_is_a_file_is_refused_with_the_reason() {
        let d = dir("file");
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("out");
        std::fs::write(&f, "").unwrap();
        let e = check_dir(&f).unwrap_err().to_string();
        assert!(e.contains("not a directory"), "{e}");
        check_dir(&d.join("fresh")).unwrap();
        assert!(d.join("fresh").is_dir());
        assert_eq!(std::fs::read_dir(d.join("fresh")).unwrap().count(), 0);
    }
}
