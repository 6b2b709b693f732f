//! `dmct matrix`: several runs' report.json side by side, as matrix.html and matrix.json
//! (`dmct_report::matrix` builds and renders it).

use crate::output::{OutputError, ReadReportError};
use dmct_report::RunReport;
use dmct_report::matrix::{Input, Matrix};
use std::path::Path;

/// Why the matrix could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("give at least one report.json (or a run's output directory)")]
    NoReports,
    #[error(transparent)]
    Report(#[from] ReadReportError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// One `[LABEL=]PATH` argument: a report.json, or the run's output directory holding one.
fn input(arg: &str, out: &Path) -> Result<Input, MatrixError> {
    let (label, path) = match arg.split_once('=') {
        Some((l, p)) if !l.is_empty() && !Path::new(arg).exists() => (Some(l.to_owned()), p),
        _ => (None, arg),
    };
    let (file, report) = crate::output::read_report(path)?;
    let html = file.with_file_name("report.html");
    let html = html.is_file().then(|| relative(out, &html));
    let label = label.unwrap_or_else(|| default_label(&report, &file));
    Ok(Input {
        label,
        source: file.display().to_string(),
        html,
        report,
    })
}

/// The run's device (`--device-name`, else the DevId its DevInfo gave), else the DevId
/// of any case's peer, else the run's directory name.
fn default_label(report: &RunReport, file: &Path) -> String {
    let dev_id = report.device.clone().or_else(|| {
        report
            .cases
            .iter()
            .flat_map(|c| &c.peer.identity)
            .find(|(k, _)| k == "DevId")
            .map(|(_, v)| v.clone())
    });
    dev_id.unwrap_or_else(|| {
        let dir = file.parent().and_then(Path::file_name);
        dir.unwrap_or(file.as_os_str())
            .to_string_lossy()
            .into_owned()
    })
}

/// `to` as a link from a page in `from_dir` (both made absolute first).
fn relative(from_dir: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let (from, to) = (abs(from_dir), abs(to));
    let (f, t): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// Read every `[LABEL=]REPORT` argument and write matrix.json and matrix.html to `out`;
/// the matrix, for what the CLI says of it.
pub fn matrix(reports: &[String], out: &Path) -> Result<Matrix, MatrixError> {
    if reports.is_empty() {
        return Err(MatrixError::NoReports);
    }
    crate::output::check_dir(out)?;
    let mut inputs = Vec::new();
    for r in reports {
        let mut i = input(r, out)?;
        // Two columns never share a label: the second of a name gets its number.
        let mut n = 1;
        let base = i.label.clone();
        while inputs.iter().any(|o: &Input| o.label == i.label) {
            n += 1;
            i.label = format!("{base} #{n}");
        }
        inputs.push(i);
    }
    let m = Matrix::build(inputs);
    crate::output::write_atomic(&out.join("matrix.json"), m.to_json().as_bytes())?;
    crate::output::write_atomic(&out.join("matrix.html"), m.to_html().as_bytes())?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::relative;
    use std::path::Path;

    #[test]
    fn links_are_relative_to_the_page() {
        assert_eq!(
            relative(Path::new("/a/m"), Path::new("/a/r1/report.html")),
            "../r1/report.html"
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a/r1/report.html")),
            "r1/report.html"
        );
    }
}
