//! Several runs side by side (`dmct matrix`): devices, or firmware versions of one
//! device, per case and per rule, as one HTML page and one JSON document. Autobahn|
//! Testsuite's per-implementation matrix is the model: a row per case, a column per
//! implementation, each cell the verdict, linked to that run's own report.

use crate::{CaseVerdict, RunReport, Summary};
use dmct_rules::{Level, Role};
use serde::Serialize;

/// One run, as a column: what it is called and where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub label: String,
    /// The report.json it was read from, as given.
    pub source: String,
    /// The run's report.html beside it, relative to where the matrix is written; `None`
    /// when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    pub tool_version: String,
    pub catalog_md5: String,
    pub summary: Summary,
}

/// A case as the runs had it: by scenario id, the role under test and the faults of a
/// built-in peer (a faulty peer is another case than the conformant one).
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub id: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    pub title: String,
    /// One per column: the verdict, or `None` when that run did not have the case.
    pub verdicts: Vec<Option<CaseVerdict>>,
    /// One per column: the case's index in that run's report (its `#case-N` anchor).
    #[serde(skip)]
    pub at: Vec<Option<usize>>,
}

/// A rule's findings counted per run.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    pub rule: String,
    pub level: Level,
    pub clause: String,
    pub requirement: String,
    pub counts: Vec<Counts>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
    pub not_applicable: usize,
}

impl Counts {
    fn is_empty(&self) -> bool {
        *self == Counts::default()
    }
}

/// The runs side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub schema_version: u32,
    pub columns: Vec<Column>,
    /// The runs were judged by different rule catalogs: a verdict may differ because
    /// the rule did, not the device.
    pub catalogs_differ: bool,
    pub cases: Vec<CaseRow>,
    pub rules: Vec<RuleRow>,
}

/// One input: its label, where it came from, its report.html link, and the report.
pub struct Input {
    pub label: String,
    pub source: String,
    pub html: Option<String>,
    pub report: RunReport,
}

impl Matrix {
    /// The matrix of `inputs`, columns in the order given; cases in the order the first
    /// run that has them lists them, rules by id.
    pub fn build(inputs: Vec<Input>) -> Matrix {
        let n = inputs.len();
        let mut cases: Vec<CaseRow> = Vec::new();
        let mut rules: std::collections::BTreeMap<String, RuleRow> = Default::default();
        for (col, input) in inputs.iter().enumerate() {
            for (at, c) in input.report.cases.iter().enumerate() {
                let key =
                    |r: &CaseRow| r.id == c.id && r.role == c.role && r.faults == c.peer.faults;
                let row = match cases.iter().position(key) {
                    Some(i) => &mut cases[i],
                    None => {
                        cases.push(CaseRow {
                            id: c.id.clone(),
                            role: c.role,
                            faults: c.peer.faults.clone(),
                            title: c.title.clone(),
                            verdicts: vec![None; n],
                            at: vec![None; n],
                        });
                        cases
                            .last_mut()
                            .unwrap_or_else(|| unreachable!("just pushed"))
                    }
                };
                row.verdicts[col] = Some(c.verdict);
                row.at[col] = Some(at);
            }
            // The run's own per-rule summary, one column of the rule rows.
            for s in crate::rule_summary(&input.report.cases) {
                let r = rules.entry(s.rule.clone()).or_insert_with(|| RuleRow {
                    rule: s.rule.clone(),
                    level: s.level,
                    clause: s.clause.clone(),
                    requirement: s.requirement.clone(),
                    counts: vec![Counts::default(); n],
                });
                r.counts[col] = Counts {
                    pass: s.pass,
                    fail: s.fail,
                    inconclusive: s.inconclusive,
                    not_applicable: s.not_applicable,
                };
            }
        }
        let md5s: std::collections::BTreeSet<&str> = inputs
            .iter()
            .map(|i| i.report.catalog.md5.as_str())
            .collect();
        Matrix {
            schema_version: 1,
            catalogs_differ: md5s.len() > 1,
            columns: inputs
                .into_iter()
                .map(|i| Column {
                    label: i.label,
                    source: i.source,
                    html: i.html,
                    tool_version: i.report.tool.version,
                    catalog_md5: i.report.catalog.md5,
                    summary: i.report.summary,
                })
                .collect(),
            cases,
            rules: rules.into_values().collect(),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            format!("{{\"error\": \"the matrix could not be serialised: {e}\"}}")
        });
        s.push('\n');
        s
    }

    /// One self-contained HTML page (no script, no external resource).
    pub fn to_html(&self) -> String {
        use maud::{DOCTYPE, html};
        let verdict_cell = |col: usize, row: &CaseRow| {
            let link = self.columns[col].html.as_deref();
            match (row.verdicts[col], row.at[col]) {
                (Some(v), Some(at)) => html! {
                    td class=(format!("v {}", v.as_str())) {
                        @if let Some(page) = link {
                            a href=(format!("{page}#case-{at}")) { (v.as_str()) }
                        } @else {
                            (v.as_str())
                        }
                    }
                },
                _ => html! { td class="v absent" title="not in this run" { "-" } },
            }
        };
        let counts_cell = |c: &Counts| {
            let class = if c.fail > 0 {
                "fail"
            } else if c.inconclusive > 0 {
                "inconclusive"
            } else if c.pass > 0 {
                "pass"
            } else {
                "not-applicable"
            };
            html! {
                @if c.is_empty() {
                    td class="v absent" { "-" }
                } @else {
                    td class=(format!("v {class}"))
                        title=(format!("{} pass, {} fail, {} inconclusive, {} not applicable",
                            c.pass, c.fail, c.inconclusive, c.not_applicable)) {
                        (format!("{}/{}/{}/{}", c.pass, c.fail, c.inconclusive, c.not_applicable))
                    }
                }
            }
        };
        let labels: Vec<&str> = self.columns.iter().map(|c| c.label.as_str()).collect();
        let page = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { "dmct matrix: " (labels.join(" | ")) }
                    style { (maud::PreEscaped(STYLE)) }
                }
                body {
                    h1 { "dmct: runs side by side" }
                    @if self.catalogs_differ {
                        p class="warning" id="catalogs-differ" {
                            "These runs were judged by different rule catalogs (see the \
                             catalog row): a verdict may differ because the rule did, not \
                             the implementation."
                        }
                    }
                    table id="runs" {
                        thead { tr { th { "run" } @for c in &self.columns { th { (c.label) } } } }
                        tbody {
                            tr {
                                th { "report" }
                                @for c in &self.columns { td { code { (c.source) } } }
                            }
                            tr { th { "dmct" } @for c in &self.columns { td { (c.tool_version) } } }
                            tr {
                                th { "catalog" }
                                @for c in &self.columns { td { code { (c.catalog_md5) } } }
                            }
                            tr { th { "cases" } @for c in &self.columns {
                                td { (format!(
                                    "{} pass, {} fail, {} inconclusive, {} not applicable",
                                    c.summary.pass, c.summary.fail, c.summary.inconclusive,
                                    c.summary.not_applicable)) }
                            } }
                        }
                    }
                    h2 { "Cases" }
                    table id="cases" {
                        thead { tr {
                            th { "case" } th { "role" }
                            @for c in &self.columns { th { (c.label) } }
                        } }
                        tbody {
                            @for row in &self.cases {
                                tr {
                                    th title=(row.title) {
                                        (row.id)
                                        @if !row.faults.is_empty() {
                                            " "
                                            span class="faults" { "(" (row.faults.join(", ")) ")" }
                                        }
                                    }
                                    td { (row.role.to_string()) }
                                    @for col in 0..self.columns.len() { (verdict_cell(col, row)) }
                                }
                            }
                        }
                    }
                    h2 { "Rules" }
                    p { "Findings per run: pass/fail/inconclusive/not applicable." }
                    table id="rules" {
                        thead { tr {
                            th { "rule" } th { "level" } th { "clause" }
                            @for c in &self.columns { th { (c.label) } }
                        } }
                        tbody {
                            @for r in &self.rules {
                                tr {
                                    th title=(r.requirement) { (r.rule) }
                                    td { (r.level.to_string()) }
                                    td { (r.clause) }
                                    @for c in &r.counts { (counts_cell(c)) }
                                }
                            }
                        }
                    }
                }
            }
        };
        page.into_string()
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em}\
table{border-collapse:collapse;margin:1em 0}\
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}\
td.v{text-align:center}\
.pass{background:#c8efc8}.fail{background:#f4b6b6}\
.inconclusive{background:#f7e3a1}.not-applicable{background:#e4e4e4}\
.absent{color:#888}.faults{color:#555;font-weight:normal}\
.warning{background:#f7e3a1;padding:.5em}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CaseResult;

    fn case(id: &str, verdict: CaseVerdict) -> CaseResult {
        let mut c: CaseResult = serde_json::from_value(serde_json::json!({
            "id": id, "title": format!("{id} <title>"), "role": "client",
            "peer": {"name": "device"}, "verdict": "pass", "findings": [], "exchanges": 0
        }))
        .unwrap();
        c.verdict = verdict;
        c
    }

    fn input(label: &str, md5: &str, cases: Vec<CaseResult>) -> Input {
        let mut report: RunReport = serde_json::from_str(
            r#"{"schema_version":1,"tool":{"name":"dmct","version":"0.1.0"},"command":"run",
                "summary":{"cases":0,"pass":0,"fail":0,"inconclusive":0},"cases":[]}"#,
        )
        .unwrap();
        report.catalog.md5 = md5.into();
        report.summary = Summary::of(&cases);
        report.cases = cases;
        Input {
            label: label.into(),
            source: format!("{label}/report.json"),
            html: Some(format!("{label}/report.html")),
            report,
        }
    }

    #[test]
    fn cases_line_up_by_id_and_a_missing_one_is_absent() {
        let m = Matrix::build(vec![
            input(
                "fw1",
                "a",
                vec![
                    case("s/a", CaseVerdict::Pass),
                    case("s/b", CaseVerdict::Fail),
                ],
            ),
            input(
                "fw2",
                "a",
                vec![
                    case("s/b", CaseVerdict::Pass),
                    case("s/c", CaseVerdict::Inconclusive),
                ],
            ),
        ]);
        assert!(!m.catalogs_differ);
        let ids: Vec<&str> = m.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["s/a", "s/b", "s/c"]);
        assert_eq!(m.cases[0].verdicts, [Some(CaseVerdict::Pass), None]);
        assert_eq!(
            m.cases[1].verdicts,
            [Some(CaseVerdict::Fail), Some(CaseVerdict::Pass)]
        );
        assert_eq!(m.cases[2].verdicts, [None, Some(CaseVerdict::Inconclusive)]);
        let html = m.to_html();
        // Each verdict links to its case in that run's own report; text is escaped.
        assert!(html.contains("href=\"fw2/report.html#case-0\""), "{html}");
        assert!(html.contains("s/a &lt;title&gt;"), "{html}");
        assert!(!html.contains("<title>s/a"), "{html}");
        let json: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(
            json["cases"][2]["verdicts"],
            serde_json::json!([null, "inconclusive"])
        );
    }

    #[test]
    fn different_catalogs_are_said() {
        let m = Matrix::build(vec![input("a", "1", vec![]), input("b", "2", vec![])]);
        assert!(m.catalogs_differ);
        assert!(m.to_html().contains("id=\"catalogs-differ\""));
    }
}
