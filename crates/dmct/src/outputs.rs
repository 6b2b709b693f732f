//! Writing a run's reports and turning its verdicts into the exit code: gates,
//! baselines, deviations, the summary table, `export`.

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
        summary_table(report, colour(std::io::stdout().is_terminal()))
    );
    eprintln!(
        "dmct: report written to {}",
        out.join("report.json").display()
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
    let report_path = from.join("report.json");
    let text = std::fs::read_to_string(&report_path)
        .with_context(|| format!("cannot read {}", report_path.display()))?;
    let report: RunReport = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a dmct report.json", report_path.display()))?;
    let failing = |c: &&dmct_report::CaseResult| {
        c.findings
            .iter()
            .any(|f| f.verdict == dmct_rules::Verdict::Fail && rule.is_none_or(|r| r == f.rule))
    };
    let Some(c) = report.cases.iter().filter(|c| c.id == case).find(failing) else {
        bail!(
            "{} has no failing case {case}{} (cases: {})",
            report_path.display(),
            rule.map(|r| format!(" for rule {r}")).unwrap_or_default(),
            report
                .cases
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let f = c
        .findings
        .iter()
        .find(|f| f.verdict == dmct_rules::Verdict::Fail && rule.is_none_or(|r| r == f.rule))
        .context("no failing finding")?;
    let tpath = from.join(
        c.transcript
            .as_deref()
            .context("the case has no transcript file")?,
    );
    let ttext = std::fs::read_to_string(&tpath)
        .with_context(|| format!("cannot read {}", tpath.display()))?;
    let mut transcript: dmct_proto::transcript::Transcript = serde_json::from_str(&ttext)
        .with_context(|| format!("{} is not a dmct transcript", tpath.display()))?;
    if redact {
        transcript = dmct_suite::redact::transcript(&transcript).0;
    }
    let v = dmct_suite::vectors::RuleVector {
        vector_format: dmct_suite::vectors::VECTOR_FORMAT,
        rule: f.rule.clone(),
        clause: f.clause.clone(),
        level: f.level,
        expected: dmct_rules::Verdict::Fail,
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
    std::fs::write(&path, dmct_suite::vectors::to_json(&v))
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "dmct: {} ({} {}) written to {}; `dmct check {}` replays it",
        f.rule,
        c.id,
        c.peer.label(),
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn selection(g: &Gate) -> Result<dmct_suite::select::Selection> {
    let mut levels = Vec::new();
    for l in &g.levels {
        levels.extend(dmct_suite::select::parse_level(l).with_context(|| {
            format!("unknown level {l:?}: use must, must-not, should, should-not or may")
        })?);
    }
    if g.fail_on == FailOn::Regression && g.baseline.is_none() {
        bail!("--fail-on regression needs --baseline OLD.json");
    }
    Ok(dmct_suite::select::Selection::new(
        &g.cases, &g.rules, levels,
    )?)
}

/// Filters, deviations, baseline and redaction, then the outputs and the exit code.
pub(crate) fn gated_finish(
    out: &Path,
    mut report: RunReport,
    mut runs: Vec<CaseRun>,
    selection: &dmct_suite::select::Selection,
    gate: &Gate,
) -> Result<ExitCode> {
    selection.apply(&mut report);
    if let Some(name) = &gate.device_name {
        report.device = Some(name.clone());
    }
    if let Some(path) = &gate.write_deviations {
        let f = dmct_suite::deviations::DeviationsFile::bootstrap(&report);
        output::write_atomic(path, f.to_toml().as_bytes())?;
        eprintln!(
            "dmct: {} deviation{} written to {}",
            f.deviations.len(),
            if f.deviations.len() == 1 { "" } else { "s" },
            path.display()
        );
    }
    let mut stale = false;
    let mut notes = String::new();
    if let Some(path) = &gate.deviations {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file = dmct_suite::deviations::DeviationsFile::parse(&text)
            .with_context(|| format!("{} is not a deviations file", path.display()))?;
        let outcome =
            dmct_suite::deviations::apply(&file, &mut report, &dmct_suite::deviations::today());
        // A shard sees only its own cases: an entry whose result is another shard's
        // looks stale here, so staleness fails unsharded runs only.
        stale = !outcome.stale.is_empty() && report.partition.is_none();
        notes.push_str("deviations:\n");
        notes.push_str(&outcome.render());
        if !outcome.stale.is_empty() && report.partition.is_some() {
            notes.push_str(
                "  (a shard sees only its own cases: entries not met here do not fail it)\n",
            );
        }
    }
    let mut regressions = false;
    if let Some(path) = &gate.baseline {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let old: RunReport = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a dmct report.json", path.display()))?;
        let diff = dmct_suite::baseline::diff(&old, &report);
        regressions = diff.has_regressions();
        notes.push_str(&diff.render());
        let json = serde_json::to_string_pretty(&diff)?;
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        output::write_atomic(&out.join("baseline-diff.json"), (json + "\n").as_bytes())?;
    }
    if gate.redact {
        let mut secrets = Vec::new();
        for r in &mut runs {
            let (t, s) = dmct_suite::redact::transcript(&r.transcript);
            r.transcript = t;
            secrets.extend(s);
        }
        dmct_suite::redact::report(&mut report, &secrets);
    }
    write_and_print(out, &report, &runs)?;
    if !notes.is_empty() {
        print!("{notes}");
    }
    let ending = Ending {
        stale_deviation: stale,
        regressions: (gate.fail_on == FailOn::Regression).then_some(regressions),
        ..Ending::of(report.cases.iter().map(|c| c.verdict)).interrupted(report.interrupted)
    };
    Ok(decide(&ending).into())
}

/// Per area (the case id before its first `/`; for `check`, whose case ids are file
/// names, the role under test): cases passed, failed, inconclusive; coloured on a
/// terminal.
pub(crate) fn summary_table(report: &RunReport, colour: bool) -> String {
    use std::fmt::Write as _;
    let mut areas: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
    for c in &report.cases {
        let area = if report.command == "check" {
            c.role.as_str()
        } else {
            c.id.split('/').next().unwrap_or(&c.id)
        };
        let row = areas.entry(area).or_default();
        match c.verdict {
            CaseVerdict::Pass => row[0] += 1,
            CaseVerdict::Fail => row[1] += 1,
            CaseVerdict::Inconclusive => row[2] += 1,
            CaseVerdict::NotApplicable => {}
        }
    }
    let paint = |code: &str, text: String| {
        if colour && !text.trim().starts_with('0') {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{:<12} {:>6} {:>6} {:>13}",
        "area", "pass", "fail", "inconclusive"
    );
    for (area, [p, f, i]) in &areas {
        let _ = writeln!(
            s,
            "{:<12} {} {} {}",
            area,
            paint("32", format!("{p:>6}")),
            paint("1;31", format!("{f:>6}")),
            paint("33", format!("{i:>13}"))
        );
    }
    s
}
