//! What a judged run's report goes through before its exit code (`run`): the selection
//! (`--case`, `--rule`, `--level`), the device's name, deviations, a baseline and
//! redaction; then its files are written and [`Gated::ending`] says what the exit
//! code is made of.

use crate::exit::Ending;
use crate::select::Selection;
use crate::{CaseRun, deviations, output};
use dmct_report::RunReport;
use std::path::{Path, PathBuf};

/// What a run covers and what makes it fail: filters, a baseline, deviations.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// Case id patterns (`--case`).
    pub cases: Vec<String>,
    /// Rule id patterns (`--rule`).
    pub rules: Vec<String>,
    /// Levels (`--level`).
    pub levels: Vec<String>,
    /// An earlier run's report.json (`--baseline`).
    pub baseline: Option<PathBuf>,
    /// The device's name in report.json (`--device-name`).
    pub device_name: Option<String>,
    /// Only regressions against the baseline fail the run (`--fail-on regression`).
    pub fail_on_regression: bool,
    /// Known deviations (`--deviations`).
    pub deviations: Option<PathBuf>,
    /// Where to write this run's failures as deviations (`--write-deviations`).
    pub write_deviations: Option<PathBuf>,
    /// `--redact`.
    pub redact: bool,
}

/// Why a run's gates could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("unknown level {0:?}: use must, must-not, should, should-not or may")]
    UnknownLevel(String),
    #[error("--fail-on regression needs --baseline OLD.json")]
    RegressionWithoutBaseline,
    #[error(transparent)]
    Select(#[from] crate::select::SelectError),
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a deviations file", path.display())]
    NotDeviations {
        path: PathBuf,
        source: deviations::DeviationsError,
    },
    #[error(transparent)]
    Baseline(#[from] output::ReadReportError),
    #[error("cannot create {}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Output(#[from] output::OutputError),
}

impl Gate {
    /// The selection the gate's filters make; refused: an unknown level, a pattern that
    /// selects nothing, `--fail-on regression` without a baseline.
    pub fn selection(&self) -> Result<Selection, GateError> {
        let mut levels = Vec::new();
        for l in &self.levels {
            levels.extend(
                crate::select::parse_level(l).ok_or_else(|| GateError::UnknownLevel(l.clone()))?,
            );
        }
        if self.fail_on_regression && self.baseline.is_none() {
            return Err(GateError::RegressionWithoutBaseline);
        }
        Ok(Selection::new(&self.cases, &self.rules, levels)?)
    }
}

/// A run's report once gated and written: what is printed after it, and what the exit
/// code is made of.
#[derive(Debug)]
pub struct Gated {
    pub report: RunReport,
    /// The deviations' and the baseline's account, printed after the report.
    pub notes: String,
    pub ending: Ending,
}

fn read(path: &Path) -> Result<String, GateError> {
    std::fs::read_to_string(path).map_err(|source| GateError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Filters, deviations, baseline and redaction, then the outputs in `out`. `tell`
/// says on the operator's channel what was written beside the reports.
pub fn finish(
    out: &Path,
    mut report: RunReport,
    mut runs: Vec<CaseRun>,
    selection: &Selection,
    gate: &Gate,
    tell: &dyn Fn(&str),
) -> Result<Gated, GateError> {
    selection.apply(&mut report);
    if let Some(name) = &gate.device_name {
        report.device = Some(name.clone());
    }
    if let Some(path) = &gate.write_deviations {
        let f = deviations::DeviationsFile::bootstrap(&report);
        output::write_atomic(path, f.to_toml().as_bytes())?;
        tell(&format!(
            "dmct: {} deviation{} written to {}",
            f.deviations.len(),
            if f.deviations.len() == 1 { "" } else { "s" },
            path.display()
        ));
    }
    let mut stale = false;
    let mut notes = String::new();
    if let Some(path) = &gate.deviations {
        let text = read(path)?;
        let file = deviations::DeviationsFile::parse(&text).map_err(|source| {
            GateError::NotDeviations {
                path: path.clone(),
                source,
            }
        })?;
        let outcome = deviations::apply(&file, &mut report, &deviations::today());
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
        let (_, old) = output::read_report(path)?;
        let diff = crate::baseline::diff(&old, &report);
        regressions = diff.has_regressions();
        notes.push_str(&diff.render());
        let json = serde_json::to_string_pretty(&diff)?;
        std::fs::create_dir_all(out).map_err(|source| GateError::Create {
            path: out.to_owned(),
            source,
        })?;
        output::write_atomic(&out.join("baseline-diff.json"), (json + "\n").as_bytes())?;
    }
    if gate.redact {
        let mut secrets = Vec::new();
        for r in &mut runs {
            let (t, s) = crate::redact::transcript(&r.transcript);
            r.transcript = t;
            secrets.extend(s);
        }
        crate::redact::report(&mut report, &secrets);
    }
    output::write_all(out, &report, &runs)?;
    let ending = Ending {
        stale_deviation: stale,
        regressions: gate.fail_on_regression.then_some(regressions),
        ..Ending::of(report.cases.iter().map(|c| c.verdict)).interrupted(report.interrupted)
    };
    Ok(Gated {
        report,
        notes,
        ending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_refuses_what_would_select_nothing_in_silence() {
        let gate = |levels: &[&str], regression: bool| Gate {
            levels: levels.iter().map(|l| l.to_string()).collect(),
            fail_on_regression: regression,
            ..Gate::default()
        };
        assert!(gate(&["must", "should-not"], false).selection().is_ok());
        let e = gate(&["often"], false).selection().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown level \"often\": use must, must-not, should, should-not or may"
        );
        let e = gate(&[], true).selection().unwrap_err();
        assert!(matches!(e, GateError::RegressionWithoutBaseline), "{e}");
    }

    #[test]
    fn the_gates_decide_what_the_exit_code_is_made_of() {
        let dir = std::env::temp_dir().join(format!("dmct-gate-{}", std::process::id()));
        let mut report = crate::report("run", &[], 0);
        report.cases.push(dmct_report::CaseResult {
            id: "auth/x".into(),
            title: String::new(),
            role: dmct_rules::Role::Client,
            peer: dmct_report::Peer {
                name: "p".into(),
                faults: Vec::new(),
                identity: Vec::new(),
            },
            verdict: dmct_report::CaseVerdict::Fail,
            findings: Vec::new(),
            exchanges: 1,
            transcript: None,
            authentication: Default::default(),
            ended: None,
            time: None,
            exchange_times: Vec::new(),
        });
        let baseline = dir.join("old.json");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&baseline, serde_json::to_string(&report).unwrap()).unwrap();
        let gate = Gate {
            baseline: Some(baseline),
            fail_on_regression: true,
            device_name: Some("bench-1".into()),
            ..Gate::default()
        };
        let told = std::cell::RefCell::new(Vec::new());
        let tell = |l: &str| told.borrow_mut().push(l.to_owned());
        let out = dir.join("out");
        let g = finish(
            &out,
            report,
            Vec::new(),
            &gate.selection().unwrap(),
            &gate,
            &tell,
        )
        .unwrap();
        // The same failure as the baseline: no regression, so the run passes.
        assert_eq!(g.ending.regressions, Some(false));
        assert_eq!(crate::exit::decide(&g.ending), crate::exit::Exit::Pass);
        assert_eq!(g.report.device.as_deref(), Some("bench-1"));
        assert!(out.join("baseline-diff.json").is_file());
        assert!(out.join("report.json").is_file());
        assert!(told.borrow().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
