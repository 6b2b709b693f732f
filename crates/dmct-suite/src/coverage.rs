//! How much of the catalog has teeth: per clause, the statements found, those testable,
//! those with a check, with vectors both ways, and with a fault that a scenario catches.

use crate::runner::run_in_memory;
use crate::scenario::Scenario;
use crate::vectors;
use dmct_rules::{Role, RuleStatus, Verdict};
use dmct_session::{ClientFault, ServerFault};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What is known of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCoverage {
    pub id: String,
    pub clause: String,
    pub status: RuleStatus,
    pub implemented: bool,
    pub conforming_vectors: usize,
    pub violating_vectors: usize,
    /// Faults of the reference peers that a scenario shows breaking it.
    pub caught_faults: Vec<String>,
}

impl RuleCoverage {
    pub fn complete(&self) -> bool {
        self.implemented
            && self.conforming_vectors > 0
            && self.violating_vectors > 0
            && !self.caught_faults.is_empty()
    }
}

/// One line per clause.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClauseCoverage {
    pub clause: String,
    pub statements: usize,
    pub testable: usize,
    pub implemented: usize,
    pub with_vectors: usize,
    pub with_caught_fault: usize,
}

/// The first reference of a clause, document and number: `[PRO] §9 (intro), §9.1;
/// [SEC] §5.3` -> `[PRO] §9`, `[PRO] §8.3 items 2 and 4` -> `[PRO] §8.3`. References
/// are separated by ';' between documents and ',' within one.
pub fn clause_key(clause: &str) -> String {
    let first = clause.split([';', ',']).next().unwrap_or(clause);
    let first = first.split(" (").next().unwrap_or(first);
    let first = first.split(" item").next().unwrap_or(first);
    first.trim().to_owned()
}

pub fn rules(scenarios: &[Scenario]) -> Vec<RuleCoverage> {
    // Verdicts do not depend on the peers' names: the engines' defaults do.
    let vectors = vectors::generate(scenarios, None);
    // Which fault made which rule fail, in the scenarios that expect it to.
    let mut caught: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in scenarios {
        for &role in &s.roles {
            for fault in s.expect.faults.keys() {
                let run = match role {
                    Role::Client => match ClientFault::from_name(fault) {
                        Some(f) => run_in_memory(s, role, &BTreeSet::from([f]), &BTreeSet::new()),
                        None => continue,
                    },
                    Role::Server => match ServerFault::from_name(fault) {
                        Some(f) => run_in_memory(s, role, &BTreeSet::new(), &BTreeSet::from([f])),
                        None => continue,
                    },
                };
                for f in dmct_rules::check(&run.transcript) {
                    if f.role == role && f.verdict == Verdict::Fail {
                        caught
                            .entry(f.rule)
                            .or_default()
                            .insert(format!("{role}:{fault}"));
                    }
                }
            }
        }
    }
    dmct_rules::statements()
        .iter()
        .map(|i| RuleCoverage {
            id: i.id.clone(),
            clause: i.clause.clone(),
            status: i.status,
            implemented: dmct_rules::rule(&i.id).is_some(),
            conforming_vectors: vectors
                .iter()
                .filter(|v| v.rule == i.id && v.expected == Verdict::Pass)
                .count(),
            violating_vectors: vectors
                .iter()
                .filter(|v| v.rule == i.id && v.expected == Verdict::Fail)
                .count(),
            caught_faults: caught
                .get(&i.id)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
        })
        .collect()
}

pub fn by_clause(rules: &[RuleCoverage]) -> Vec<ClauseCoverage> {
    let mut map: BTreeMap<String, ClauseCoverage> = BTreeMap::new();
    for r in rules {
        let key = clause_key(&r.clause);
        let c = map.entry(key.clone()).or_insert_with(|| ClauseCoverage {
            clause: key,
            ..Default::default()
        });
        if r.status == RuleStatus::Deprecated {
            continue;
        }
        c.statements += 1;
        if r.status == RuleStatus::Testable {
            c.testable += 1;
        }
        if r.implemented {
            c.implemented += 1;
        }
        if r.conforming_vectors > 0 && r.violating_vectors > 0 {
            c.with_vectors += 1;
        }
        if !r.caught_faults.is_empty() {
            c.with_caught_fault += 1;
        }
    }
    map.into_values().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_clause_is_counted_under_its_first_reference() {
        for (clause, key) in [
            ("[PRO] §9 (intro), §9.1; [SEC] §5.3, §5.4.1", "[PRO] §9"),
            ("[PRO] §8.3 items 2 and 4", "[PRO] §8.3"),
            ("[REP] §6.1.2; [SEC] §5.3.3", "[REP] §6.1.2"),
            (
                "SyncML RepPro Status ?; [PRO] §9.4 (examples)",
                "SyncML RepPro Status ?",
            ),
            ("[SEC] §5.4.1", "[SEC] §5.4.1"),
        ] {
            assert_eq!(super::clause_key(clause), key);
        }
    }
}
