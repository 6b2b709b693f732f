//! Transcript vectors: for every rule, transcripts with the verdict they must get.
//!
//! Each vector is one in-memory session of a scenario between the reference engines.
//! Who the peers are (DevId, credentials, SessionID, nonce seed) is the caller's: the
//! committed vectors take varied names from dmct-test-support (proptest strategies with
//! a seed fixed per scenario, so regeneration is byte-stable); coverage counts need
//! none. Its label comes from files written by hand: the
//! conformant peers pass the rules the scenario names (and the rules whose catalog entry
//! lists the scenario), and each faulty peer fails the rules its `[expect.faults]` entry
//! lists. The checker is then tested against the labels.

use crate::runner::{PeerParams, run_in_memory_with};
use crate::scenario::Scenario;
use dmct_proto::transcript::Transcript;
use dmct_rules::{Level, Role, Verdict};
use dmct_session::{ClientFault, ServerFault};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub const VECTOR_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleVector {
    pub vector_format: u32,
    pub rule: String,
    pub clause: String,
    pub level: Level,
    /// The verdict the checker must give this rule on this transcript.
    pub expected: Verdict,
    pub scenario: String,
    pub role: Role,
    pub peer: String,
    pub faults: Vec<String>,
    pub transcript: Transcript,
}

impl RuleVector {
    /// Path under `testcases/vectors/rules/`.
    pub fn file_name(&self) -> String {
        let label = if self.expected == Verdict::Pass {
            "conforming"
        } else {
            "violating"
        };
        let who = if self.faults.is_empty() {
            "conformant".to_owned()
        } else {
            self.faults.join("+")
        };
        format!(
            "{}/{label}--{}--{}-{who}.json",
            self.rule.replace('/', "__"),
            self.scenario.replace('/', "__"),
            self.role
        )
    }
}

fn vector(
    s: &Scenario,
    rule: &str,
    expected: Verdict,
    role: Role,
    faults: &[String],
    t: Transcript,
) -> RuleVector {
    let info = dmct_rules::info(rule);
    RuleVector {
        vector_format: VECTOR_FORMAT,
        rule: rule.into(),
        clause: info.map_or(String::new(), |i| i.clause.clone()),
        level: info.map_or(Level::Must, |i| i.level),
        expected,
        scenario: s.id.clone(),
        role,
        peer: match role {
            Role::Client => "builtin-client".into(),
            Role::Server => "builtin-server".into(),
        },
        faults: faults.to_vec(),
        transcript: t,
    }
}

/// The rules a conformant run of `s` in `role` must pass: those the scenario names and
/// those whose catalog entry lists the scenario.
pub fn expected_passes(s: &Scenario, role: Role) -> Vec<String> {
    let mut rules: Vec<String> = dmct_rules::statements()
        .iter()
        .filter(|i| i.status == dmct_rules::RuleStatus::Testable && i.binds.binds(role))
        .filter(|i| {
            s.rules.contains(&i.id)
                || i.scenarios.iter().any(|x| {
                    // `scenario@role` limits an entry to one side of the scenario.
                    match x.split_once('@') {
                        Some((id, r)) => id == s.id && r == role.as_str(),
                        None => *x == s.id,
                    }
                })
        })
        .map(|i| i.id.clone())
        .collect();
    rules.dedup();
    rules
}

/// Who a scenario's peers are (by scenario id), when the caller names them.
pub type Names<'a> = &'a dyn Fn(&str) -> PeerParams;

/// All vectors the scenarios define, in a stable order; the peers named by `names`, or
/// the engines' defaults.
pub fn generate(scenarios: &[Scenario], names: Option<Names>) -> Vec<RuleVector> {
    let mut out = Vec::new();
    for s in scenarios {
        let params = names.map(|f| f(&s.id));
        let params = params.as_ref();
        for &role in &s.roles {
            let conformant =
                run_in_memory_with(s, role, &BTreeSet::new(), &BTreeSet::new(), params);
            for rule in expected_passes(s, role) {
                out.push(vector(
                    s,
                    &rule,
                    Verdict::Pass,
                    role,
                    &[],
                    conformant.transcript.clone(),
                ));
            }
            for (fault, rules) in &s.expect.faults {
                let (cf, sf): (BTreeSet<_>, BTreeSet<_>) = match role {
                    Role::Client => match ClientFault::from_name(fault) {
                        Some(f) => (BTreeSet::from([f]), BTreeSet::new()),
                        None => continue,
                    },
                    Role::Server => match ServerFault::from_name(fault) {
                        Some(f) => (BTreeSet::new(), BTreeSet::from([f])),
                        None => continue,
                    },
                };
                let run = run_in_memory_with(s, role, &cf, &sf, params);
                for rule in rules {
                    out.push(vector(
                        s,
                        rule,
                        Verdict::Fail,
                        role,
                        std::slice::from_ref(fault),
                        run.transcript.clone(),
                    ));
                }
            }
        }
    }
    out
}

/// The bytes of a vector file.
pub fn to_json(v: &RuleVector) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Every vector file of `testcases/vectors/`: (path below it, bytes), in a stable order.
pub fn all_files(scenarios: &[Scenario], names: Names) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = generate(scenarios, Some(names))
        .iter()
        .map(|v| (format!("rules/{}", v.file_name()), to_json(v).into_bytes()))
        .collect();
    out.extend(crate::protovectors::files());
    out.sort();
    out
}
