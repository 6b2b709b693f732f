//! dmct as `cargo test`: every scenario case and every transcript vector is a test of
//! its own (filterable, `--list`, nextest-friendly).
//!
//! - `vector::<rule>::<file>`: the checker gives the labelled verdict on a committed
//!   transcript vector of `testcases/vectors/rules/`.
//! - `vectors::up-to-date`: regenerating the vectors changes no byte.
//! - `vectors::coverage`: every rule has a conforming and a violating vector.
//! - `case::<role>::<scenario>::<peer>`: a scenario over loopback HTTP against a
//!   built-in peer; conformant peers must pass, faulty ones must fail the rules the
//!   scenario expects of them.

use dmct_rules::{Role, Verdict};
use dmct_session::{ClientFault, ServerFault};
use dmct_suite::vectors::{self, RuleVector};
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors/rules")
}

fn committed_vectors() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let Ok(rules) = std::fs::read_dir(vectors_dir()) else {
        return files;
    };
    for rule_dir in rules.flatten() {
        let Ok(entries) = std::fs::read_dir(rule_dir.path()) else {
            continue;
        };
        for f in entries.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                files.push((p, text));
            }
        }
    }
    files.sort();
    files
}

fn vector_trial(path: &Path, text: String) -> Trial {
    let name = path
        .strip_prefix(vectors_dir())
        .unwrap_or(path)
        .with_extension("")
        .display()
        .to_string()
        .replace('/', "::");
    Trial::test(format!("vector::{name}"), move || {
        let v: RuleVector =
            serde_json::from_str(&text).map_err(|e| format!("unreadable vector: {e}"))?;
        let rule = dmct_rules::rule(&v.rule).ok_or_else(|| format!("unknown rule {}", v.rule))?;
        let view = dmct_rules::View::new(&v.transcript);
        let f = dmct_rules::judge(rule, &view);
        if f.verdict != v.expected {
            return Err(format!(
                "{}: expected {}, checker says {} ({})",
                v.rule, v.expected, f.verdict, f.detail
            )
            .into());
        }
        Ok(())
    })
}

fn up_to_date_trial() -> Trial {
    Trial::test("vectors::up-to-date", || {
        let scenarios = dmct_suite::scenario::builtin().map_err(|e| e.to_string())?;
        let generated = vectors::generate(&scenarios);
        let committed = committed_vectors();
        let mut problems = Vec::new();
        for v in &generated {
            let path = vectors_dir().join(v.file_name());
            match committed.iter().find(|(p, _)| *p == path) {
                Some((_, text)) if *text == vectors::to_json(v) => {}
                Some(_) => problems.push(format!("{} differs", v.file_name())),
                None => problems.push(format!("{} missing", v.file_name())),
            }
        }
        if committed.len() != generated.len() {
            problems.push(format!(
                "{} vector files committed, {} generated",
                committed.len(),
                generated.len()
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("run `cargo xtask vectors`: {}", problems.join("; ")).into())
        }
    })
}

fn coverage_trial() -> Trial {
    Trial::test("vectors::coverage", || {
        let all: Vec<RuleVector> = committed_vectors()
            .into_iter()
            .filter_map(|(_, t)| serde_json::from_str(&t).ok())
            .collect();
        let mut missing = Vec::new();
        for r in dmct_rules::CATALOG {
            let id = r.info().id;
            for want in [Verdict::Pass, Verdict::Fail] {
                if !all.iter().any(|v| v.rule == id && v.expected == want) {
                    missing.push(format!("{id} has no {want} vector"));
                }
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing.join("; ").into())
        }
    })
}

fn case_trials() -> Vec<Trial> {
    let Ok(scenarios) = dmct_suite::scenario::builtin() else {
        return vec![Trial::test("case::scenarios-load", || {
            dmct_suite::scenario::builtin()
                .map(|_| ())
                .map_err(|e| Failed::from(e.to_string()))
        })];
    };
    let mut trials = Vec::new();
    for s in scenarios {
        for &role in &s.roles {
            let mut variants: Vec<Option<String>> = vec![None];
            variants.extend(
                s.expect
                    .faults
                    .keys()
                    .filter(|f| match role {
                        Role::Client => ClientFault::from_name(f).is_some(),
                        Role::Server => ServerFault::from_name(f).is_some(),
                    })
                    .cloned()
                    .map(Some),
            );
            for fault in variants {
                let peer = fault.clone().unwrap_or_else(|| "conformant".into());
                let name = format!("case::{}::{}::{peer}", role, s.id.replace('/', "::"));
                let s = s.clone();
                trials.push(Trial::test(name, move || {
                    run_case(&s, role, fault.as_deref())
                }));
            }
        }
    }
    trials
}

fn run_case(s: &dmct_suite::Scenario, role: Role, fault: Option<&str>) -> Result<(), Failed> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let opts = dmct_suite::Options::default();
    let run = rt
        .block_on(async {
            match role {
                Role::Client => {
                    let faults: BTreeSet<_> =
                        fault.and_then(ClientFault::from_name).into_iter().collect();
                    dmct_suite::runner::run_builtin_client(s, &faults, &opts).await
                }
                Role::Server => {
                    let faults: BTreeSet<_> =
                        fault.and_then(ServerFault::from_name).into_iter().collect();
                    dmct_suite::runner::run_builtin_server(s, &faults, &opts).await
                }
            }
        })
        .map_err(|e| e.to_string())?;
    let result = dmct_suite::judge(&run);
    let summary = || {
        result
            .findings
            .iter()
            .map(|f| format!("{} {}: {}", f.verdict, f.rule, f.detail))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match fault {
        None if result.verdict == dmct_report::CaseVerdict::Pass => Ok(()),
        None => Err(format!("the conformant peer did not pass:\n{}", summary()).into()),
        Some(f) => {
            let expected = &s.expect.faults[f];
            let missed: Vec<_> = expected
                .iter()
                .filter(|r| {
                    !result
                        .findings
                        .iter()
                        .any(|x| &x.rule == *r && x.verdict == Verdict::Fail)
                })
                .collect();
            if missed.is_empty() {
                Ok(())
            } else {
                Err(format!("fault {f} was not caught by {missed:?}:\n{}", summary()).into())
            }
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for (path, text) in committed_vectors() {
        trials.push(vector_trial(&path, text));
    }
    trials.push(up_to_date_trial());
    trials.push(coverage_trial());
    trials.extend(case_trials());
    libtest_mimic::run(&args, trials).exit();
}
