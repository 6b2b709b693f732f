//! Transcript vectors: for every rule, transcripts with the verdict they must get.
//!
//! Each vector is one in-memory session of a scenario between the reference engines
//! (deterministic, so regeneration is byte-stable). Its label comes from the scenario
//! file, written by hand: the conformant peers pass the rules the scenario names, and
//! each faulty peer fails the rules its `[expect.faults]` entry lists. The checker is
//! then tested against the labels.

use crate::runner::run_in_memory;
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
            "{}/{label}--{}--{who}.json",
            self.rule.replace('/', "__"),
            self.scenario.replace('/', "__")
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
    let info = dmct_rules::rule(rule).map(|r| r.info());
    RuleVector {
        vector_format: VECTOR_FORMAT,
        rule: rule.into(),
        clause: info.map_or(String::new(), |i| i.clause.into()),
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

/// All vectors the scenarios define, in a stable order.
pub fn generate(scenarios: &[Scenario]) -> Vec<RuleVector> {
    let mut out = Vec::new();
    for s in scenarios {
        for &role in &s.roles {
            let conformant = run_in_memory(s, role, &BTreeSet::new(), &BTreeSet::new());
            for rule in &s.rules {
                if dmct_rules::rule(rule).is_some_and(|r| r.info().role == role) {
                    out.push(vector(
                        s,
                        rule,
                        Verdict::Pass,
                        role,
                        &[],
                        conformant.transcript.clone(),
                    ));
                }
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
                let run = run_in_memory(s, role, &cf, &sf);
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
pub fn all_files(scenarios: &[Scenario]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = generate(scenarios)
        .iter()
        .map(|v| (format!("rules/{}", v.file_name()), to_json(v).into_bytes()))
        .collect();
    out.extend(crate::protovectors::files());
    out.sort();
    out
}
