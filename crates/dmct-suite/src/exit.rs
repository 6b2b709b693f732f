//! The exit-code contract (labs and CI script against it), decided in one place:
//! [`decide`] for every command that judges (`run`, `selftest`, `drive`, `check`,
//! `proxy`, and `merge` on the shards' verdicts), [`Exit::Usage`] for an error before
//! or instead of a judgement.

use dmct_report::CaseVerdict;
use std::process::ExitCode;

/// What a command's exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every case judged passed (not-applicable cases do not count against the peer).
    Pass,
    /// A MUST or MUST NOT rule was violated, a self-test failed, a new failure against
    /// the baseline under `--fail-on regression`, or a stale deviation.
    Failure,
    /// A usage or configuration error, a harness error, a server URL that is no DM
    /// server, or nothing to judge (a selection that matches nothing).
    Usage,
    /// No failure, but a case was inconclusive.
    Inconclusive,
    /// Stopped by Ctrl-C, SIGTERM or SIGHUP; the reports of what happened were written.
    Interrupted,
}

impl Exit {
    pub const fn code(self) -> u8 {
        match self {
            Exit::Pass => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Inconclusive => 3,
            Exit::Interrupted => 130,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// The exit codes in words, for `dmct --help` and the help of the commands that judge.
pub const HELP: &str = "\
Exit codes:
  0    every case passed (not-applicable cases do not count against the peer)
  1    a MUST or MUST NOT rule was violated (selftest: a conformant peer failed or a
       fault went uncaught; --fail-on regression: a new failure against the baseline;
       a stale deviation)
  2    usage or configuration error, harness error, a server URL that is no DM
       server, or a selection that matches nothing (never green)
  3    inconclusive only: no failure, but a case could not be settled
  130  interrupted by Ctrl-C, SIGTERM or SIGHUP; the reports so far are written";

/// How a judging command ended, as far as its exit code is concerned.
#[derive(Debug, Clone, Default)]
pub struct Ending {
    /// The verdicts of the cases judged; empty: nothing was judged.
    pub verdicts: Vec<CaseVerdict>,
    /// A signal stopped the command.
    pub interrupted: bool,
    /// A deviation listed a result that no longer happens.
    pub stale_deviation: bool,
    /// Under `--fail-on regression`: whether the baseline showed new failures. Only
    /// those fail the run then.
    pub regressions: Option<bool>,
}

impl Ending {
    pub fn of(verdicts: impl IntoIterator<Item = CaseVerdict>) -> Ending {
        Ending {
            verdicts: verdicts.into_iter().collect(),
            ..Ending::default()
        }
    }

    pub fn interrupted(mut self, interrupted: bool) -> Ending {
        self.interrupted = interrupted;
        self
    }
}

/// The one decision: interrupted, then nothing judged, then the gates, then the worst
/// verdict (fail beats inconclusive beats pass).
pub fn decide(e: &Ending) -> Exit {
    if e.interrupted {
        return Exit::Interrupted;
    }
    let Some(worst) = e.verdicts.iter().copied().max() else {
        return Exit::Usage;
    };
    if e.stale_deviation {
        return Exit::Failure;
    }
    if let Some(regressions) = e.regressions {
        return if regressions {
            Exit::Failure
        } else {
            Exit::Pass
        };
    }
    match worst {
        CaseVerdict::Fail => Exit::Failure,
        CaseVerdict::Inconclusive => Exit::Inconclusive,
        CaseVerdict::Pass | CaseVerdict::NotApplicable => Exit::Pass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseVerdict::*;

    #[test]
    fn worst_verdict_decides() {
        assert_eq!(decide(&Ending::of([Pass, NotApplicable])), Exit::Pass);
        assert_eq!(
            decide(&Ending::of([Pass, Inconclusive])),
            Exit::Inconclusive
        );
        assert_eq!(decide(&Ending::of([Inconclusive, Fail])), Exit::Failure);
        assert_eq!(decide(&Ending::of([])), Exit::Usage);
    }

    #[test]
    fn interruption_and_gates_come_first() {
        assert_eq!(
            decide(&Ending::of([Pass]).interrupted(true)),
            Exit::Interrupted
        );
        assert_eq!(decide(&Ending::of([]).interrupted(true)), Exit::Interrupted);
        let gated = |stale, regressions| Ending {
            stale_deviation: stale,
            regressions,
            ..Ending::of([Fail])
        };
        assert_eq!(decide(&gated(false, Some(false))), Exit::Pass);
        assert_eq!(decide(&gated(false, Some(true))), Exit::Failure);
        assert_eq!(decide(&gated(true, Some(false))), Exit::Failure);
    }

    #[test]
    fn codes_are_the_documented_ones() {
        let all = [
            Exit::Pass,
            Exit::Failure,
            Exit::Usage,
            Exit::Inconclusive,
            Exit::Interrupted,
        ];
        let codes: Vec<u8> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 130]);
        for c in codes {
            let line = format!("\n  {c:<4} ");
            assert!(HELP.contains(&line), "{c} undocumented in {HELP}");
        }
    }
}
