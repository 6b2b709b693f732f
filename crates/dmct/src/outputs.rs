//! What a judging command prints once its reports are written, and its exit code
//! (`dmct_suite::gate` gates a run, `dmct_suite::exit` decides the code).

use crate::*;

pub(crate) fn write_and_print(out: &Path, report: &RunReport, runs: &[CaseRun]) -> Result<()> {
    output::write_all(out, report, runs)?;
    print_report(out, report);
    Ok(())
}

/// What every judging command prints once its reports are written: the text report,
/// the summary table, and where the reports are.
pub(crate) fn print_report(out: &Path, report: &RunReport) {
    use std::io::IsTerminal as _;
    print!("{}", dmct_report::render_text(report));
    print!(
        "{}",
        dmct_report::summary_table(report, colour(std::io::stdout().is_terminal()))
    );
    // Every report file, not only the JSON one: a newcomer looks for the text and HTML.
    // Transcripts are named only where this report's cases point into the directory
    // (`check` points at the files it read, which it does not copy).
    let in_out = report.cases.iter().any(|c| {
        c.transcript
            .as_deref()
            .is_some_and(|t| t.starts_with("transcripts/"))
    });
    let transcripts = if in_out { ", transcripts/" } else { "" };
    eprintln!(
        "dmct: reports written to {}: report.txt, report.json, report.html, report.xml{}",
        out.display(),
        transcripts
    );
}

/// Write the outputs and map the verdicts (and an interruption) to the exit code.
pub(crate) fn finish(out: &Path, report: &RunReport, runs: &[CaseRun]) -> Result<ExitCode> {
    write_and_print(out, report, runs)?;
    let verdicts = report.cases.iter().map(|c| c.verdict);
    Ok(decide(&Ending::of(verdicts).interrupted(report.interrupted)).into())
}

/// `dmct export`: a failing case of an earlier run, as a vector file.
pub(crate) fn export(
    case: &str,
    from: &Path,
    rule: Option<&str>,
    out: Option<PathBuf>,
    redact: bool,
) -> Result<ExitCode> {
    let e = dmct_suite::export::export(case, from, rule, out, redact)?;
    eprintln!(
        "dmct: {} ({} {}) written to {}; `dmct check {}` replays it",
        e.rule,
        e.case,
        e.peer,
        e.path.display(),
        e.path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Filters, deviations, baseline and redaction, then the outputs and the exit code.
pub(crate) fn gated_finish(
    out: &Path,
    report: RunReport,
    runs: Vec<CaseRun>,
    selection: &dmct_suite::select::Selection,
    gate: &dmct_suite::gate::Gate,
) -> Result<ExitCode> {
    let g = dmct_suite::gate::finish(out, report, runs, selection, gate, &|l| eprintln!("{l}"))?;
    print_report(out, &g.report);
    if !g.notes.is_empty() {
        print!("{}", g.notes);
    }
    Ok(decide(&g.ending).into())
}
