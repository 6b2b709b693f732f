//! The per-rule summary: for each rule that judged anything in a run, its level, clause
//! and requirement, and how many findings of each verdict it gave. What a lab reads
//! first ("which requirements does this device break?"), and what the matrix counts per
//! run.

use crate::CaseResult;
use dmct_rules::{Level, Verdict};
use serde::{Deserialize, Serialize};

/// One rule's findings over a run, counted by verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSummary {
    pub rule: String,
    pub level: Level,
    pub clause: String,
    pub requirement: String,
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
    pub not_applicable: usize,
}

impl RuleSummary {
    fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Inconclusive => self.inconclusive += 1,
            Verdict::NotApplicable => self.not_applicable += 1,
        }
    }

    /// Findings counted in all.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.inconclusive + self.not_applicable
    }
}

/// Every rule with a finding in `cases`, by rule id.
pub fn rule_summary(cases: &[CaseResult]) -> Vec<RuleSummary> {
    let mut rules: std::collections::BTreeMap<&str, RuleSummary> = Default::default();
    for f in cases.iter().flat_map(|c| &c.findings) {
        rules
            .entry(&f.rule)
            .or_insert_with(|| RuleSummary {
                rule: f.rule.clone(),
                level: f.level,
                clause: f.clause.clone(),
                requirement: f.summary.clone(),
                pass: 0,
                fail: 0,
                inconclusive: 0,
                not_applicable: 0,
            })
            .add(f.verdict);
    }
    rules.into_values().collect()
}

impl RuleSummary {
    /// Where this rule stands in a list people read: a mandatory rule that failed (the
    /// device breaks a requirement), any other failure, inconclusive, passed, then
    /// rules that only ever were not applicable.
    fn standing(&self) -> u8 {
        match () {
            _ if self.fail > 0 && self.level.is_mandatory() => 0,
            _ if self.fail > 0 => 1,
            _ if self.inconclusive > 0 => 2,
            _ if self.pass > 0 => 3,
            _ => 4,
        }
    }
}

/// [`rule_summary`] in the order the text and HTML reports show it: what a lab acts on
/// first (broken MUSTs, then other failures, then what could not be settled), each
/// group by rule id so the order is the same from run to run. The JSON keeps
/// [`rule_summary`]'s plain id order, which diffs well between runs.
pub fn rule_summary_failing_first(cases: &[CaseResult]) -> Vec<RuleSummary> {
    let mut rules = rule_summary(cases);
    // Stable: within a standing the id order of `rule_summary` stays.
    rules.sort_by_key(RuleSummary::standing);
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmct_rules::{Finding, Role};

    fn finding(rule: &str, verdict: Verdict) -> Finding {
        let json = serde_json::json!({
            "rule": rule, "clause": "[PRO] §9", "level": "MUST", "summary": "req",
            "role": "client", "verdict": verdict.as_str(), "detail": ""
        });
        let mut f: Finding = serde_json::from_value(json).unwrap();
        f.role = Role::Client;
        f
    }

    #[test]
    fn findings_are_counted_per_rule_by_verdict() {
        let mut a: CaseResult = serde_json::from_value(serde_json::json!({
            "id": "c", "title": "", "role": "client", "peer": {"name": "p"},
            "verdict": "fail", "findings": [], "exchanges": 1
        }))
        .unwrap();
        a.findings = vec![
            finding("b/rule", Verdict::Pass),
            finding("a/rule", Verdict::Fail),
            finding("b/rule", Verdict::Inconclusive),
        ];
        let mut b = a.clone();
        b.findings = vec![
            finding("b/rule", Verdict::Pass),
            finding("a/rule", Verdict::NotApplicable),
        ];
        let s = rule_summary(&[a, b]);
        let got: Vec<_> = s
            .iter()
            .map(|r| {
                (
                    r.rule.as_str(),
                    r.pass,
                    r.fail,
                    r.inconclusive,
                    r.not_applicable,
                )
            })
            .collect();
        assert_eq!(got, [("a/rule", 0, 1, 0, 1), ("b/rule", 2, 0, 1, 0)]);
        assert_eq!(s[1].total(), 3);
        assert_eq!(s[0].clause, "[PRO] §9");
    }

    #[test]
    fn people_read_broken_requirements_first() {
        let mut c: CaseResult = serde_json::from_value(serde_json::json!({
            "id": "c", "title": "", "role": "client", "peer": {"name": "p"},
            "verdict": "fail", "findings": [], "exchanges": 1
        }))
        .unwrap();
        let mut should = finding("b/should", Verdict::Fail);
        should.level = Level::Should;
        c.findings = vec![
            finding("a/na", Verdict::NotApplicable),
            finding("a/pass", Verdict::Pass),
            finding("c/inco", Verdict::Inconclusive),
            should,
            finding("z/must", Verdict::Fail),
            finding("d/must", Verdict::Fail),
            finding("d/must", Verdict::Pass),
        ];
        let order: Vec<_> = rule_summary_failing_first(std::slice::from_ref(&c))
            .into_iter()
            .map(|r| r.rule)
            .collect();
        assert_eq!(
            order,
            ["d/must", "z/must", "b/should", "c/inco", "a/pass", "a/na"]
        );
    }
}
