//! The text report: the terminal summary and the golden snapshots.

use crate::model::*;
use dmct_rules::Verdict;
use std::fmt::Write as _;

fn verdict_tag(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::NotApplicable => "n/a ",
        Verdict::Inconclusive => "INCO",
        Verdict::Fail => "FAIL",
    }
}

fn case_tag(v: CaseVerdict) -> &'static str {
    match v {
        CaseVerdict::NotApplicable => "NOT APPLICABLE",
        CaseVerdict::Pass => "PASS",
        CaseVerdict::Inconclusive => "INCONCLUSIVE",
        CaseVerdict::Fail => "FAIL",
    }
}

/// Render the whole report. Deterministic: no times, no addresses beyond what the
/// findings quote.
pub fn render_text(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "dmct {} {}", r.tool.version, r.command);
    for c in &r.cases {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{} {} ({} under test: {}) - {} exchange{}",
            case_tag(c.verdict),
            c.id,
            c.role,
            c.peer.label(),
            c.exchanges,
            if c.exchanges == 1 { "" } else { "s" }
        );
        let _ = writeln!(s, "  {}", c.title);
        let a = &c.authentication;
        let _ = writeln!(
            s,
            "  authentication - client: {}; server: {}",
            Authentication::describe(&a.client, a.client_cert.as_deref()),
            Authentication::describe(&a.server, a.server_cert.as_deref())
        );
        // No time here: the text report is deterministic (golden snapshots).
        if let Some(e) = &c.ended {
            let _ = writeln!(s, "  ended ({}): {}", e.how.as_str(), e.detail);
        }
        // Passing rules are counted; what did not pass is shown with its evidence.
        let passed = c
            .findings
            .iter()
            .filter(|f| f.verdict == Verdict::Pass)
            .count();
        let not_applicable = c
            .findings
            .iter()
            .filter(|f| f.verdict == Verdict::NotApplicable)
            .count();
        let _ = write!(
            s,
            "  {passed} rule{} passed",
            if passed == 1 { "" } else { "s" }
        );
        if not_applicable > 0 {
            let _ = write!(s, ", {not_applicable} not applicable");
        }
        let _ = writeln!(s);
        for f in c.findings.iter().filter(|f| f.verdict != Verdict::Pass) {
            let _ = write!(
                s,
                "  {} {} [{} {}, {}]",
                verdict_tag(f.verdict),
                f.rule,
                f.role,
                f.level,
                f.clause
            );
            if let Some(x) = f.exchange {
                let _ = write!(s, " @ exchange {x}");
                if let Some(m) = f.message {
                    let _ = write!(
                        s,
                        " {}",
                        if matches!(m, dmct_rules::Side::Request) {
                            "request"
                        } else {
                            "response"
                        }
                    );
                }
            }
            let _ = writeln!(s);
            if f.verdict == Verdict::Fail {
                for line in requirement_lines(f) {
                    let _ = writeln!(s, "       {line}");
                }
            }
            let _ = writeln!(s, "       {}", f.detail);
            if let Some(e) = &f.excerpt {
                for line in e.lines() {
                    let _ = writeln!(s, "       | {line}");
                }
            }
        }
    }
    rule_table(&mut s, &r.cases);
    let _ = writeln!(s);
    let sm = &r.summary;
    let _ = writeln!(
        s,
        "{} case{}: {} pass, {} fail, {} inconclusive",
        sm.cases,
        if sm.cases == 1 { "" } else { "s" },
        sm.pass,
        sm.fail,
        sm.inconclusive
    );
    if sm.not_applicable > 0 {
        let _ = writeln!(s, "{} not applicable to this peer", sm.not_applicable);
    }
    if r.interrupted {
        let _ = writeln!(
            s,
            "interrupted: the run was stopped by a signal; these are the cases until then"
        );
    }
    let failed = r
        .cases
        .iter()
        .flat_map(|c| &c.findings)
        .any(|f| f.verdict == Verdict::Fail);
    if failed {
        let _ = writeln!(s, "{DISPUTE_HINT}");
    }
    if let Some(st) = &r.selftest {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "selftest: faulty peers and the rules that must catch them"
        );
        for f in &st.faults {
            let _ = writeln!(
                s,
                "  {} {} {}",
                if f.is_caught() { "caught" } else { "MISSED" },
                f.peer,
                f.fault
            );
            for (rule, case) in &f.caught {
                let _ = writeln!(s, "         {rule} failed in {case}");
            }
            for rule in &f.missed {
                let _ = writeln!(s, "         {rule} NEVER FAILED");
            }
        }
        let caught = st.faults.iter().filter(|f| f.is_caught()).count();
        let _ = writeln!(
            s,
            "mutation score: {caught}/{} faults caught; conformant peers {}",
            st.faults.len(),
            if st.conformant_pass {
                "pass every case"
            } else {
                "DO NOT pass every case"
            }
        );
        if st.harness_failures.is_empty() {
            let _ = writeln!(s, "dmct's own messages pass its catalog, role reversed");
        } else {
            let _ = writeln!(s, "dmct's own messages BREAK its catalog:");
            for h in &st.harness_failures {
                let _ = writeln!(
                    s,
                    "  {} (dmct as {}): {} {}",
                    h.case,
                    h.role.as_str(),
                    h.rule,
                    h.detail
                );
            }
        }
    }
    s
}

/// The per-rule summary as a compact table after the cases, failing rules first (see
/// [`crate::rule_summary_failing_first`]); the requirement is spelled out under the
/// rules that did not pass, where a lab holds it against the text.
fn rule_table(s: &mut String, cases: &[CaseResult]) {
    let rules = crate::rule_summary_failing_first(cases);
    if rules.is_empty() {
        return;
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{} rule{} judged, failing first:",
        rules.len(),
        if rules.len() == 1 { "" } else { "s" }
    );
    // Wider than the counts need, so that no header line reads as a finding's line.
    let _ = writeln!(s, "   fail  inco  pass   n/a  rule [level, clause]");
    for r in &rules {
        let _ = writeln!(
            s,
            "  {:>5} {:>5} {:>5} {:>5}  {} [{}, {}]",
            r.fail, r.inconclusive, r.pass, r.not_applicable, r.rule, r.level, r.clause
        );
        if (r.fail > 0 || r.inconclusive > 0) && !r.requirement.is_empty() {
            let _ = writeln!(s, "{:28}requirement: {}", "", r.requirement);
        }
    }
    // The mark is the catalog's; a reader of this file alone would not know it.
    if rules.iter().any(|r| r.clause.contains('?')) {
        let _ = writeln!(
            s,
            "A clause marked ? is unconfirmed: the document that holds it is not among the \
             spec texts the rules were read against (testcases/rules.toml says why)."
        );
    }
}

/// Per area (the case id before its first `/`; for `check`, whose case ids are file
/// names, the role under test): cases passed, failed, inconclusive; coloured on a
/// terminal.
pub fn summary_table(report: &RunReport, colour: bool) -> String {
    let mut areas: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
    for c in &report.cases {
        let area = if report.command == "check" {
            c.role.as_str()
        } else {
            c.id.split('/').next().unwrap_or(&c.id)
        };
        let row = areas.entry(area).or_default();
        match c.verdict {
            CaseVerdict::Pass => row[0] += 1,
            CaseVerdict::Fail => row[1] += 1,
            CaseVerdict::Inconclusive => row[2] += 1,
            CaseVerdict::NotApplicable => {}
        }
    }
    let paint = |code: &str, text: String| {
        if colour && !text.trim().starts_with('0') {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let mut s = String::new();
    // `check` groups by the role a finding is about, a run by the scenarios' area.
    let heading = if report.command == "check" {
        "role"
    } else {
        "area"
    };
    let _ = writeln!(
        s,
        "\n{:<12} {:>6} {:>6} {:>13}",
        heading, "pass", "fail", "inconclusive"
    );
    for (area, [p, f, i]) in &areas {
        let _ = writeln!(
            s,
            "{:<12} {} {} {}",
            area,
            paint("32", format!("{p:>6}")),
            paint("1;31", format!("{f:>6}")),
            paint("33", format!("{i:>13}"))
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_table_is_coloured_only_when_asked() {
        let case = serde_json::json!({
            "id": "auth/x", "title": "", "role": "client", "peer": {"name": "p"},
            "verdict": "fail", "findings": [], "exchanges": 1
        });
        let report: RunReport = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "tool": {"name": "dmct", "version": "0"},
            "command": "run",
            "summary": {"cases": 1, "pass": 0, "fail": 1, "inconclusive": 0},
            "cases": [case]
        }))
        .unwrap();
        let plain = summary_table(&report, false);
        assert!(plain.contains("auth") && !plain.contains('\x1b'), "{plain}");
        // A run groups by area; `check` by role (its test in the dmct crate).
        assert!(
            plain.contains("\narea ") && !plain.contains("\nrole "),
            "{plain}"
        );
        let coloured = summary_table(&report, true);
        assert!(coloured.contains("\x1b[1;31m"), "{coloured}");
    }

    /// A report with one passing finding whose rule cites `clause`.
    fn report_citing(clause: &str) -> RunReport {
        let finding = serde_json::json!({
            "rule": "alert/valid-code", "clause": clause, "level": "MUST",
            "summary": "", "allowed": [], "role": "client", "verdict": "pass", "detail": ""
        });
        let case = serde_json::json!({
            "id": "auth/x", "title": "", "role": "client", "peer": {"name": "p"},
            "verdict": "pass", "findings": [finding], "exchanges": 1
        });
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "tool": {"name": "dmct", "version": "0"},
            "command": "run",
            "summary": {"cases": 1, "pass": 1, "fail": 0, "inconclusive": 0},
            "cases": [case]
        }))
        .unwrap()
    }

    #[test]
    fn the_unconfirmed_mark_is_explained_only_where_a_clause_carries_it() {
        let legend = "A clause marked ? is unconfirmed";
        let marked = render_text(&report_citing("[REP] Alert Codes (§7 ?)"));
        assert!(marked.contains(legend), "{marked}");
        let plain = render_text(&report_citing("[PRO] §8.3"));
        assert!(
            plain.contains("alert/valid-code") && !plain.contains(legend),
            "{plain}"
        );
    }
}
