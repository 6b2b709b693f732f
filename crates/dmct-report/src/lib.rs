//! Renders what a dmct run found: the report model, a text summary for people and the
//! golden snapshots, versioned JSON for machines, JUnit XML for CI, and one
//! self-contained HTML file for review.
//!
//! The text form holds no times, ports or random ids, so it can be snapshotted.

mod html;
mod junit;
pub mod matrix;
mod model;
mod rules;
mod text;

pub use html::{closing_text, render_html, render_html_decoded};
pub use junit::render_junit;
pub use model::*;
pub use rules::{RuleSummary, rule_summary, rule_summary_failing_first};
pub use text::{render_text, summary_table};

/// Pretty JSON with a trailing newline; key order is the struct order (stable), with
/// `rules` (the per-rule summary) right after `summary`.
///
/// `rules` is derived here from `cases`, never stored in [`RunReport`]: whatever
/// filtered the cases (selection, deviations, an interruption, a merge) the rows agree
/// with them, as `summary` does. A report read back ignores it.
pub fn render_json(report: &RunReport) -> String {
    let rendered = serde_json::to_value(report).and_then(|v| {
        let serde_json::Value::Object(fields) = v else {
            return serde_json::to_string_pretty(&v);
        };
        let mut rules = Some(serde_json::to_value(rule_summary(&report.cases))?);
        let mut with_rules = serde_json::Map::with_capacity(fields.len() + 1);
        for (k, v) in fields {
            let after = k == "summary";
            with_rules.insert(k, v);
            if let Some(rules) = rules.take_if(|_| after) {
                with_rules.insert("rules".into(), rules);
            }
        }
        serde_json::to_string_pretty(&with_rules)
    });
    let mut s = rendered.unwrap_or_else(|e| {
        // Every field is plain data; this would be a bug in the model.
        format!("{{\"error\": \"report could not be serialised: {e}\"}}")
    });
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of two cases: `b/must` fails in one and passes in the other, `a/should`
    /// passes, `c/na` is not applicable.
    fn run() -> RunReport {
        let finding = |rule: &str, level: &str, verdict: &str| {
            serde_json::json!({
                "rule": rule, "clause": "[PRO] §8", "level": level,
                "summary": format!("what {rule} requires"), "role": "client",
                "verdict": verdict, "detail": ""
            })
        };
        let case = |verdict: &str, findings: Vec<serde_json::Value>| {
            serde_json::json!({
                "id": "session/x", "title": "", "role": "client", "peer": {"name": "p"},
                "verdict": verdict, "findings": findings, "exchanges": 1
            })
        };
        let cases = vec![
            case(
                "fail",
                vec![
                    finding("a/should", "SHOULD", "pass"),
                    finding("b/must", "MUST", "fail"),
                    finding("c/na", "MAY", "not-applicable"),
                ],
            ),
            case("pass", vec![finding("b/must", "MUST", "pass")]),
        ];
        let cases: Vec<CaseResult> = serde_json::from_value(cases.into()).unwrap();
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "tool": {"name": "dmct", "version": "0"},
            "command": "run", "summary": Summary::of(&cases), "cases": cases
        }))
        .unwrap()
    }

    #[test]
    fn every_report_carries_the_per_rule_summary() {
        let mut r = run();
        let json: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        let at = |k: &str| keys.iter().position(|x| x == k).unwrap();
        assert_eq!(at("rules"), at("summary") + 1);
        let rows: Vec<_> = json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let n = |k: &str| x[k].as_u64().unwrap();
                let rule = x["rule"].as_str().unwrap();
                (
                    rule,
                    n("pass"),
                    n("fail"),
                    n("inconclusive"),
                    n("not_applicable"),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("a/should", 1, 0, 0, 0),
                ("b/must", 1, 1, 0, 0),
                ("c/na", 0, 0, 0, 1)
            ]
        );
        assert_eq!(json["rules"][1]["requirement"], "what b/must requires");
        assert_eq!(json["rules"][1]["level"], "MUST");
        // Read back, the report is what it was: `rules` is derived, not stored.
        let back: RunReport = serde_json::from_str(&render_json(&r)).unwrap();
        assert_eq!(back, r);

        let text = render_text(&r);
        let table = text.split("rules judged, failing first:").nth(1).unwrap();
        let lines: Vec<_> = table.lines().map(str::trim).collect();
        assert_eq!(lines[2], "1     0     1     0  b/must [MUST, [PRO] §8]");
        assert_eq!(lines[3], "requirement: what b/must requires");
        assert_eq!(lines[4], "0     0     1     0  a/should [SHOULD, [PRO] §8]");

        let html = render_html(&r, &[]);
        assert!(
            html.contains("<tr class=\"fail\" data-rule=\"b/must\">"),
            "{html}"
        );

        // Cases filtered away (a selection, a deviation) take their rows with them.
        r.cases.truncate(1);
        let json: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
        assert_eq!(json["rules"][1]["pass"], 0);
    }
}
