//! What an interrupted run keeps: the runs hand every case to a [`Collector`] as it
//! starts and as it ends, so a run stopped by a signal (its future dropped mid-case)
//! still has every finished case, and the one that was running, for its reports.

use crate::{CaseRun, Scenario};
use dmct_proto::transcript::{Closing, Transcript};
use dmct_report::{CaseVerdict, EndKind, Peer, RunReport, SessionEnd, Summary};
use dmct_rules::Role;
use std::sync::Mutex;

#[derive(Default)]
pub struct Collector(Mutex<State>);

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Collector(..)")
    }
}

#[derive(Default)]
struct State {
    done: Vec<CaseRun>,
    running: Option<CaseRun>,
    /// Where the running case's exchanges are recorded, when the runner says.
    recording: Option<dmct_net::Recorder>,
}

impl Collector {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A case begins against the peer named `peer`.
    pub fn starting(&self, scenario: &Scenario, role: Role, peer: &str) {
        let mut s = self.state();
        s.recording = None;
        s.running = Some(CaseRun {
            scenario: scenario.clone(),
            role,
            peer: Peer {
                name: peer.into(),
                faults: Vec::new(),
                identity: Vec::new(),
            },
            transcript: Transcript {
                closing: Closing::Stopped,
                ..Transcript::default()
            },
        });
    }

    /// The running case's exchanges are recorded in `record`: an interruption keeps
    /// what it holds.
    pub fn recording(&self, record: &dmct_net::Recorder) {
        self.state().recording = Some(record.clone());
    }

    /// A case ended (or was not run): it is kept.
    pub fn finished(&self, run: &CaseRun) {
        let mut s = self.state();
        s.running = None;
        s.recording = None;
        s.done.push(run.clone());
    }

    /// Every case so far, the one that was running last (with what was recorded of it
    /// until then, recording stopped), and its index.
    pub fn take(&self) -> (Vec<CaseRun>, Option<usize>) {
        let mut s = self.state();
        let mut runs = std::mem::take(&mut s.done);
        let recorded = s.recording.take().map(|r| r.snapshot()).unwrap_or_default();
        let running = s.running.take().map(|mut r| {
            r.transcript.exchanges = recorded;
            runs.push(r);
            runs.len() - 1
        });
        (runs, running)
    }
}

/// Mark a report of [`Collector::take`]'s runs as stopped by `signal`: the case that
/// was running is inconclusive whatever its partial record showed, and says why.
pub fn mark(report: &mut RunReport, running: Option<usize>, signal: &str) {
    report.interrupted = true;
    if let Some(c) = running.and_then(|i| report.cases.get_mut(i)) {
        c.verdict = CaseVerdict::Inconclusive;
        c.ended = Some(SessionEnd {
            how: EndKind::Stopped,
            detail: format!("the run was interrupted ({signal}) while this case was running"),
            at: None,
        });
    }
    report.summary = Summary::of(&report.cases);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_case_comes_last_and_is_inconclusive() {
        let all = crate::scenario::builtin().unwrap();
        let c = Collector::default();
        c.starting(&all[0], Role::Client, "builtin-client");
        let first = CaseRun {
            scenario: all[0].clone(),
            role: Role::Client,
            peer: Peer {
                name: "builtin-client".into(),
                faults: Vec::new(),
                identity: Vec::new(),
            },
            transcript: Transcript::default(),
        };
        c.finished(&first);
        c.starting(&all[1], Role::Client, "builtin-client");
        let (runs, running) = c.take();
        assert_eq!(runs.len(), 2);
        assert_eq!(running, Some(1));
        assert_eq!(runs[1].scenario.id, all[1].id);
        let mut report = crate::report("run", &runs, 0);
        mark(&mut report, running, "SIGTERM");
        assert!(report.interrupted);
        assert_eq!(report.cases[1].verdict, CaseVerdict::Inconclusive);
        assert!(
            report.cases[1]
                .ended
                .as_ref()
                .unwrap()
                .detail
                .contains("SIGTERM")
        );
        assert_eq!(report.summary.cases, 2);
        assert!(report.summary.inconclusive >= 1);
        assert!(dmct_report::render_text(&report).contains("interrupted"));
        assert!(dmct_report::render_junit(&report).contains("dmct.interrupted"));
    }
}
