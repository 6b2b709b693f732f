//! What changed since an earlier run: new failures, fixes, new and removed cases.
//!
//! Cases are matched on the device under test ([`RunReport::device_identity`]:
//! `--device-name` or DevInfo's DevId), the case id, the role under test and a built-in
//! peer's faults ([`CaseResult::stable_name`]), and failures on rule ids: never on a
//! URL, an address or a port, so a rerun against `127.0.0.1` instead of `localhost`
//! matches its baseline.

use dmct_report::{CaseResult, CaseVerdict, RunReport};
use dmct_rules::Verdict;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A case across runs: scenario, role under test and faults, prefixed by the device
/// when the two runs name different devices (so nothing of one is taken for the other).
pub fn case_key(c: &CaseResult, device: Option<&str>) -> String {
    match device {
        Some(d) => format!("{d}: {}", c.stable_name()),
        None => c.stable_name(),
    }
}

/// A rule id of an older catalog, as the current one names it.
fn current_id(id: &str) -> String {
    dmct_rules::info(id)
        .and_then(|i| i.replaced_by.clone())
        .unwrap_or_else(|| id.to_owned())
}

fn failing_rules(c: &CaseResult) -> BTreeSet<String> {
    c.findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .map(|f| current_id(&f.rule))
        .collect()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BaselineDiff {
    /// Cases that fail now and did not before (or are new and fail), with the rules
    /// that fail now and did not before.
    pub new_failures: Vec<(String, Vec<String>)>,
    /// Cases that failed before and pass now.
    pub fixed: Vec<String>,
    pub new_cases: Vec<String>,
    pub removed_cases: Vec<String>,
    /// Other verdict changes: (case, before, now).
    pub changed: Vec<(String, CaseVerdict, CaseVerdict)>,
}

impl BaselineDiff {
    pub fn has_regressions(&self) -> bool {
        !self.new_failures.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        *self == BaselineDiff::default()
    }

    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        if self.is_empty() {
            s.push_str("baseline: no change\n");
            return s;
        }
        let _ = writeln!(
            s,
            "baseline: {} new failure{}, {} fixed, {} new case{}, {} removed, {} other change{}",
            self.new_failures.len(),
            if self.new_failures.len() == 1 {
                ""
            } else {
                "s"
            },
            self.fixed.len(),
            self.new_cases.len(),
            if self.new_cases.len() == 1 { "" } else { "s" },
            self.removed_cases.len(),
            self.changed.len(),
            if self.changed.len() == 1 { "" } else { "s" },
        );
        for (case, rules) in &self.new_failures {
            let _ = writeln!(s, "  NEW FAILURE {case}: {}", rules.join(", "));
        }
        for case in &self.fixed {
            let _ = writeln!(s, "  fixed       {case}");
        }
        for case in &self.new_cases {
            let _ = writeln!(s, "  new case    {case}");
        }
        for case in &self.removed_cases {
            let _ = writeln!(s, "  removed     {case}");
        }
        for (case, was, now) in &self.changed {
            let _ = writeln!(
                s,
                "  changed     {case}: {} -> {}",
                was.as_str(),
                now.as_str()
            );
        }
        s
    }
}

pub fn diff(old: &RunReport, new: &RunReport) -> BaselineDiff {
    // A device that only one run named (or neither) matches whatever the other ran on.
    let (was_on, now_on) = match (old.device_identity(), new.device_identity()) {
        (Some(a), Some(b)) if a != b => (Some(a), Some(b)),
        _ => (None, None),
    };
    let before: BTreeMap<String, &CaseResult> = old
        .cases
        .iter()
        .map(|c| (case_key(c, was_on.as_deref()), c))
        .collect();
    let after: BTreeMap<String, &CaseResult> = new
        .cases
        .iter()
        .map(|c| (case_key(c, now_on.as_deref()), c))
        .collect();
    let mut d = BaselineDiff::default();
    for (key, now) in &after {
        let Some(was) = before.get(key) else {
            d.new_cases.push(key.clone());
            if now.verdict == CaseVerdict::Fail {
                d.new_failures
                    .push((key.clone(), failing_rules(now).into_iter().collect()));
            }
            continue;
        };
        let newly: Vec<String> = failing_rules(now)
            .difference(&failing_rules(was))
            .cloned()
            .collect();
        if now.verdict == CaseVerdict::Fail
            && (was.verdict != CaseVerdict::Fail || !newly.is_empty())
        {
            d.new_failures.push((key.clone(), newly));
        } else if was.verdict == CaseVerdict::Fail && now.verdict == CaseVerdict::Pass {
            d.fixed.push(key.clone());
        } else if was.verdict != now.verdict {
            d.changed.push((key.clone(), was.verdict, now.verdict));
        }
    }
    for key in before.keys() {
        if !after.contains_key(key) {
            d.removed_cases.push(key.clone());
        }
    }
    d
}
