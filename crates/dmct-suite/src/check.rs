//! `dmct check`: recorded transcripts (or vectors holding one) judged offline, each
//! file as `run` judges a case (one case per role its findings are about), into the
//! same reports.

use crate::output::OutputError;
use dmct_report::RunReport;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why a file could not be judged, or the reports not be written.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not JSON", path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{} is not a dmct transcript", path.display())]
    NotTranscript {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{} holds no exchanges and no Package 0: there is nothing to judge", path.display())]
    Empty { path: PathBuf },
    #[error(
        "{} is not a DM session: none of its {exchanges} exchange(s) carries a SyncML DM \
         message, in XML or WBXML",
        path.display()
    )]
    NotDm { path: PathBuf, exchanges: usize },
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// `dmct check`: judge each file, list its findings as it goes, then write the same
/// reports as `run` to `out` (one case per file and role judged) and exit as `run` does.
pub fn check(
    files: &[PathBuf],
    profile: &dmct_rules::Profile,
    out: &Path,
    print: &mut dyn FnMut(&str),
) -> Result<RunReport, CheckError> {
    let started = Instant::now();
    let started_at = dmct_net::wall_clock();
    let mut cases = Vec::new();
    // Every file read first, then decoded once: the checker judges the decoded bodies
    // and the HTML report shows them, so they are held until the reports are written.
    let mut read = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|source| CheckError::Read {
            path: f.clone(),
            source,
        })?;
        // A transcript, or a vector (`dmct export`, testcases/vectors/rules) holding one;
        // an editor's UTF-8 byte order mark is no reason to refuse it.
        let json = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // A transcript is read straight into its type: through a JSON value first, a
        // long one costs several times its size in allocations (and time). A vector,
        // or anything else, takes the general path and its error messages.
        let (t, expected) = match serde_json::from_str(json) {
            Ok(t) => (t, None),
            Err(_) => {
                let mut value: serde_json::Value =
                    serde_json::from_str(json).map_err(|source| CheckError::NotJson {
                        path: f.clone(),
                        source,
                    })?;
                let expected = value.get("vector_format").map(|_| {
                    (
                        value["rule"].as_str().unwrap_or("").to_owned(),
                        value["expected"].as_str().unwrap_or("").to_owned(),
                    )
                });
                let t: dmct_proto::transcript::Transcript =
                    serde_json::from_value(match value.get_mut("transcript") {
                        Some(t) => t.take(),
                        None => value,
                    })
                    .map_err(|source| CheckError::NotTranscript {
                        path: f.clone(),
                        source,
                    })?;
                (t, expected)
            }
        };
        // Neither the text nor a copy of the value outlives the parse: a large body
        // would be held once more for each.
        drop(text);
        // A Package 0 alone is something to judge (a device refused it: no exchange).
        if t.exchanges.is_empty() && t.package0.is_none() {
            return Err(CheckError::Empty { path: f.clone() });
        }
        read.push((f, t, expected));
    }
    let views: Vec<dmct_rules::View> = read
        .iter()
        .map(|(_, t, _)| dmct_rules::View::new(t))
        .collect();
    // `owner[i]` is the view of `cases[i]` (a file's roles share it).
    let mut owner = Vec::new();
    for (held, ((f, _, expected), view)) in read.iter().zip(&views).enumerate() {
        let t = view.transcript;
        let decoded = |e: &dmct_rules::ExchangeView| {
            e.request.is_ok() || e.response.as_ref().is_some_and(|r| r.is_ok())
        };
        if !t.exchanges.is_empty() && !view.exchanges.iter().any(decoded) {
            return Err(CheckError::NotDm {
                path: f.to_path_buf(),
                exchanges: t.exchanges.len(),
            });
        }
        // The client's DevInfo for the report, from its first request.
        let identity = view
            .exchanges
            .first()
            .and_then(|e| e.request.as_ref().ok())
            .map(crate::runner::identity_in)
            .unwrap_or_default();
        print(&format!("{}:", f.display()));
        // Judged once; each role's case below starts from the same findings.
        let checked = dmct_rules::check_view(view);
        let authentication = crate::runner::authentication_in(view);
        let mut all = checked.clone();
        let waived = profile.apply(&mut all);
        let findings: Vec<_> = all
            .into_iter()
            .filter(|x| x.verdict != dmct_rules::Verdict::NotApplicable || waived.contains(&x.rule))
            .collect();
        for x in &findings {
            let mut line = format!(
                "  {} {} [{} {}, {}]",
                x.verdict, x.rule, x.role, x.level, x.clause
            );
            if let Some(i) = x.exchange {
                line.push_str(&format!(" @ exchange {i}"));
            }
            print(&line);
            if x.verdict != dmct_rules::Verdict::Pass {
                print(&format!("      {}", x.detail));
            }
        }
        if let Some((rule, want)) = &expected {
            let got = findings
                .iter()
                .filter(|x| &x.rule == rule)
                .map(|x| x.verdict.as_str())
                .max_by_key(|v| match *v {
                    "fail" => 3,
                    "inconclusive" => 2,
                    "pass" => 1,
                    _ => 0,
                })
                .unwrap_or("not-applicable");
            print(&format!(
                "  vector: {rule} expected {want}, checker says {got}: {}",
                if got == want {
                    "reproduced"
                } else {
                    "NOT REPRODUCED"
                }
            ));
        }
        // The report judges each role the file's findings are about as `run` judges a
        // case: the same rules, profile and verdict (nothing observed is never a pass).
        let mut roles: Vec<dmct_rules::Role> = findings.iter().map(|x| x.role).collect();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            roles.push(dmct_rules::Role::Client);
        }
        let id = f.display().to_string();
        let title = match &expected {
            Some((rule, want)) => format!("recorded transcript: vector of {rule}, expected {want}"),
            None => "recorded transcript".to_owned(),
        };
        // Where the report points for the transcript: the file judged, not a copy.
        let path = std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf());
        let mut scenario = crate::Scenario {
            id,
            title,
            roles: Vec::new(),
            rules: Vec::new(),
            client: Default::default(),
            server: Default::default(),
            expect: Default::default(),
        };
        let mut peer = dmct_report::Peer {
            name: "recorded".into(),
            faults: Vec::new(),
            identity: Vec::new(),
        };
        for role in roles {
            scenario.roles = vec![role];
            // A client's DevInfo names the device only when the client is under test.
            peer.identity = match role {
                dmct_rules::Role::Client => identity.clone(),
                dmct_rules::Role::Server => Vec::new(),
            };
            let run = crate::runner::CaseRef {
                scenario: &scenario,
                role,
                peer: &peer,
                transcript: t,
            };
            let mut case = crate::runner::judge_checked_with(
                run,
                profile,
                checked.clone(),
                authentication.clone(),
            );
            case.transcript = Some(path.display().to_string());
            cases.push(case);
            owner.push(held);
        }
    }
    let mut report = crate::report_of(
        "check",
        cases,
        started.elapsed().as_millis() as u64,
        profile,
        crate::peers::FIXED_SEED,
    );
    report.time = Some(dmct_net::span_since(started_at));
    // No reference peer played and nothing was drawn: no seed says anything here.
    report.seeds.clear();
    let shown: Vec<_> = owner.iter().map(|&i| &views[i]).collect();
    print("");
    // Made (and probed) only now: a file that cannot be read leaves no directory behind.
    crate::output::check_dir(out)?;
    crate::output::write_reports_decoded(out, &report, &shown)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_is_judged_and_says_whether_it_reproduced() {
        let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors/rules");
        let file = vectors.join(
            "auth__chal-nonce/violating--session__reauth-md5--server-chal-without-nonce.json",
        );
        let out = std::env::temp_dir().join(format!("dmct-check-{}", std::process::id()));
        let mut lines = Vec::new();
        let report = check(
            std::slice::from_ref(&file),
            &Default::default(),
            &out,
            &mut |l| lines.push(l.to_owned()),
        )
        .unwrap();
        assert_eq!(lines[0], format!("{}:", file.display()));
        let rule = dmct_rules::Rule::id(&dmct_rules::rules::auth::ChalNonce);
        assert!(
            lines.iter().any(
                |l| l.starts_with(&format!("  vector: {rule} expected fail"))
                    && l.ends_with(": reproduced")
            ),
            "{lines:?}"
        );
        assert_eq!(lines.last().map(String::as_str), Some(""));
        assert!(
            report
                .cases
                .iter()
                .any(|c| c.verdict == dmct_report::CaseVerdict::Fail)
        );
        assert!(out.join("report.json").is_file());
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn nothing_to_judge_is_refused_before_any_report() {
        let dir = std::env::temp_dir().join(format!("dmct-check-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("empty.json");
        let empty = dmct_proto::transcript::Transcript::default();
        std::fs::write(&file, serde_json::to_string(&empty).unwrap()).unwrap();
        let out = dir.join("out");
        let e = check(
            std::slice::from_ref(&file),
            &Default::default(),
            &out,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(matches!(e, CheckError::Empty { .. }), "{e}");
        assert!(!out.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
