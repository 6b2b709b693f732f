//! The JUnit XML report: what CI systems (Jenkins, GitLab, GitHub test reporters) read.
//!
//! Layout:
//!
//! * `<testsuites name="dmct">` holds one `<testsuite>` per *area*: the part of a case
//!   id before its first `/` (`session`, `auth`, ...), in the order areas first appear in
//!   the report.
//! * Each case is one `<testcase classname="<area>" name="<id> (<role> under test)">`,
//!   with ` [fault: <names>]` for a faulty built-in peer
//!   ([`CaseResult::stable_name`]): never the peer's URL, address or port, nor anything
//!   random, so CI keys its history on it across runs and hosts. Should two cases still
//!   share a name (two sessions through the proxy), the later ones get ` #2`, ` #3`, ...
//!   so names stay unique within a suite.
//! * A failed case has one `<failure>` whose text lists every failing finding; an
//!   inconclusive case has one `<skipped>` (see [`render_junit`] for why); a passing
//!   case has no child besides `<system-out>`.
//!
//! The output is a pure function of the report: no clock is read. A case's time is its
//! measured wall-clock span (`time` in report.json); a case without one (a report of an
//! older dmct, a case never started) gets an even share of the run's `duration_ms`.

use crate::model::*;
use dmct_rules::{Finding, Side, Verdict};
use std::collections::HashSet;
use std::fmt::Write as _;

/// Render the report as JUnit XML (UTF-8, with an XML declaration and a trailing
/// newline), valid against `testcases/schemas/junit.xsd`.
///
/// Mapping of case verdicts:
///
/// * `fail` → `<failure message="<rule> [<level>, <clause>]: <detail>" type="<rule>">`
///   naming the first mandatory rule that failed (with `(and N more)` when others
///   failed too); the element text lists every failing finding with its role, exchange,
///   message, detail and excerpt.
/// * `inconclusive` → `<skipped message="inconclusive: ...">`. An inconclusive case is
///   one whose transcript could not settle a rule (the peer stalled, the observation was
///   cut short): the peer has neither passed nor been shown to violate anything. JUnit's
///   `<error>` means the *test itself* broke, and Jenkins, GitLab and GitHub all show it
///   red like a failure, which would blame the peer for something not observed.
///   `<skipped>` is shown neither green nor red and is not counted as passed, which is
///   what inconclusive means.
/// * `pass` → no result element; `<system-out>` says how many rules passed.
///
/// `errors` is therefore always 0. Every test case carries a `<system-out>` with the
/// case title, the rule counts, the transcript path and any finding that is not already
/// in its result element (e.g. a SHOULD that failed in a passing case).
///
/// Text that XML 1.0 cannot carry (control characters other than tab, newline and
/// carriage return, U+FFFE, U+FFFF), which excerpts of peer bytes may hold, is written as
/// its Rust escape (`\u{1}`); everything else is escaped so it reads back unchanged.
pub fn render_junit(report: &RunReport) -> String {
    let suites = group_by_area(report);

    let total = Counts::of(report.cases.iter());
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str("<testsuites name=\"dmct\"");
    total.write_attrs(&mut s, report.duration_ms);
    s.push_str(">\n");

    for suite in &suites {
        let counts = Counts::of(suite.cases.iter().map(|&(case, _)| case));
        let ms: u64 = suite.cases.iter().map(|&(_, ms)| ms).sum();
        s.push_str("  <testsuite name=\"");
        push_attr(&mut s, suite.area);
        s.push('"');
        counts.write_attrs(&mut s, ms);
        s.push_str(">\n");
        write_properties(&mut s, report);

        let mut names = HashSet::new();
        for &(case, ms) in &suite.cases {
            let name = unique_name(&mut names, case.stable_name());
            write_case(&mut s, suite.area, &name, case, ms);
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

struct Suite<'a> {
    area: &'a str,
    /// The cases with their share of the run's time, in report order.
    cases: Vec<(&'a CaseResult, u64)>,
}

/// The part of a case id before its first `/` (the whole id when it has none).
fn area_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

fn group_by_area(report: &RunReport) -> Vec<Suite<'_>> {
    // A case's own wall-clock time where it was measured; otherwise (a report of an
    // older dmct, cases never started) its even share of the run's.
    let shares = spread_ms(report.duration_ms, report.cases.len());
    let times = report.cases.iter().zip(shares).map(|(c, share)| {
        c.time
            .as_ref()
            .and_then(crate::model::span_millis)
            .unwrap_or(share)
    });
    let mut suites: Vec<Suite<'_>> = Vec::new();
    for (case, ms) in report.cases.iter().zip(times) {
        let area = area_of(&case.id);
        match suites.iter_mut().find(|s| s.area == area) {
            Some(suite) => suite.cases.push((case, ms)),
            None => suites.push(Suite {
                area,
                cases: vec![(case, ms)],
            }),
        }
    }
    suites
}

/// `total` milliseconds over `n` cases: each gets `total / n`, the first `total % n` one
/// more, so the parts add up to the whole.
fn spread_ms(total: u64, n: usize) -> Vec<u64> {
    let Ok(n64) = u64::try_from(n) else {
        return vec![0; n];
    };
    if n64 == 0 {
        return Vec::new();
    }
    let (each, rest) = (total / n64, total % n64);
    (0..n64).map(|i| each + u64::from(i < rest)).collect()
}

/// Milliseconds as decimal seconds (`xs:decimal`), e.g. `1.234`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn unique_name(seen: &mut HashSet<String>, name: String) -> String {
    if seen.insert(name.clone()) {
        return name;
    }
    let mut n = 2usize;
    loop {
        let candidate = format!("{name} #{n}");
        if seen.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

impl Counts {
    fn of<'a>(cases: impl Iterator<Item = &'a CaseResult>) -> Counts {
        let mut c = Counts::default();
        for case in cases {
            c.tests += 1;
            match case.verdict {
                CaseVerdict::Pass => {}
                CaseVerdict::Fail => c.failures += 1,
                CaseVerdict::Inconclusive | CaseVerdict::NotApplicable => c.skipped += 1,
            }
        }
        c
    }

    fn write_attrs(&self, s: &mut String, ms: u64) {
        let _ = write!(
            s,
            " tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\"",
            self.tests,
            self.failures,
            self.skipped,
            seconds(ms)
        );
    }
}

fn write_properties(s: &mut String, report: &RunReport) {
    let mut props: Vec<(&str, String)> = vec![
        ("dmct.tool", report.tool.name.clone()),
        ("dmct.version", report.tool.version.clone()),
        ("dmct.command", report.command.clone()),
        ("dmct.schema_version", report.schema_version.to_string()),
    ];
    if report.interrupted {
        props.push(("dmct.interrupted", "true".into()));
    }
    if let Some(st) = &report.selftest {
        props.push((
            "dmct.selftest.mutation_score",
            st.mutation_score.to_string(),
        ));
        props.push((
            "dmct.selftest.conformant_pass",
            st.conformant_pass.to_string(),
        ));
        props.push((
            "dmct.selftest.harness_pass",
            st.harness_failures.is_empty().to_string(),
        ));
    }
    s.push_str("    <properties>\n");
    for (name, value) in props {
        s.push_str("      <property name=\"");
        push_attr(s, name);
        s.push_str("\" value=\"");
        push_attr(s, &value);
        s.push_str("\"/>\n");
    }
    s.push_str("    </properties>\n");
}

fn write_case(s: &mut String, area: &str, name: &str, case: &CaseResult, ms: u64) {
    s.push_str("    <testcase classname=\"");
    push_attr(s, area);
    s.push_str("\" name=\"");
    push_attr(s, name);
    let _ = writeln!(s, "\" time=\"{}\">", seconds(ms));

    // The findings the result element shows; the rest that did not pass go to
    // system-out.
    let shown = match case.verdict {
        CaseVerdict::Pass => None,
        CaseVerdict::Fail => Some(Verdict::Fail),
        CaseVerdict::Inconclusive => Some(Verdict::Inconclusive),
        CaseVerdict::NotApplicable => Some(Verdict::NotApplicable),
    };
    match case.verdict {
        CaseVerdict::Pass => {}
        CaseVerdict::Fail => write_failure(s, case),
        CaseVerdict::Inconclusive => write_skipped(s, case, Verdict::Inconclusive),
        CaseVerdict::NotApplicable => write_skipped(s, case, Verdict::NotApplicable),
    }

    s.push_str("      <system-out>");
    push_text(s, &system_out(case, shown));
    s.push_str("</system-out>\n");
    s.push_str("    </testcase>\n");
}

/// `<rule> [<level>, <clause>]: <detail>`, plus `(and N more)` when `others` > 0.
fn summary_line(f: &Finding, others: usize) -> String {
    let mut m = format!("{} [{}, {}]: {}", f.rule, f.level, f.clause, f.detail);
    if others > 0 {
        let _ = write!(m, " (and {others} more)");
    }
    m
}

fn write_failure(s: &mut String, case: &CaseResult) {
    let failing: Vec<&Finding> = case
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .collect();
    // The rule that failed the case: the first mandatory failure, else the first one.
    let lead = failing
        .iter()
        .find(|f| f.level.is_mandatory())
        .or_else(|| failing.first());
    let (message, kind) = match lead {
        Some(f) => (
            summary_line(f, failing.len().saturating_sub(1)),
            f.rule.as_str(),
        ),
        None => (
            "case failed; no failing finding recorded".to_string(),
            "fail",
        ),
    };
    s.push_str("      <failure message=\"");
    push_attr(s, &message);
    s.push_str("\" type=\"");
    push_attr(s, kind);
    s.push_str("\">");
    let mut text = findings_text(failing.iter().copied());
    text.push_str(DISPUTE_HINT);
    text.push('\n');
    push_text(s, &text);
    s.push_str("</failure>\n");
}

/// A case JUnit cannot call passed or failed: inconclusive, or not applicable.
fn write_skipped(s: &mut String, case: &CaseResult, why: Verdict) {
    let open: Vec<&Finding> = case.findings.iter().filter(|f| f.verdict == why).collect();
    let message = match open.first() {
        Some(f) => format!(
            "{}: {}",
            why.as_str(),
            summary_line(f, open.len().saturating_sub(1))
        ),
        None => why.as_str().to_string(),
    };
    s.push_str("      <skipped message=\"");
    push_attr(s, &message);
    s.push_str("\">");
    push_text(s, &findings_text(open.iter().copied()));
    s.push_str("</skipped>\n");
}

/// One block per finding:
///
/// ```text
/// FAIL <rule> [<role> <level>, <clause>] @ exchange <n> <request|response>
///   requirement: <summary>           (failures only, with the lines below)
///   allowed: <behaviour>             (one line each)
///   clause unconfirmed: <why>        (when the catalog says so)
///   <detail>
///   | <excerpt line>
/// ```
fn findings_text<'a>(findings: impl Iterator<Item = &'a Finding>) -> String {
    let mut s = String::new();
    for f in findings {
        let tag = match f.verdict {
            Verdict::Pass => "PASS",
            Verdict::NotApplicable => "N/A",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::Fail => "FAIL",
        };
        let _ = write!(s, "{tag} {} [{} {}, {}]", f.rule, f.role, f.level, f.clause);
        if let Some(x) = f.exchange {
            let _ = write!(s, " @ exchange {x}");
            if let Some(m) = f.message {
                s.push_str(match m {
                    Side::Request => " request",
                    Side::Response => " response",
                });
            }
        }
        s.push('\n');
        if f.verdict == Verdict::Fail {
            for line in requirement_lines(f) {
                let _ = writeln!(s, "  {line}");
            }
        }
        let _ = writeln!(s, "  {}", f.detail);
        if let Some(e) = &f.excerpt {
            for line in e.lines() {
                let _ = writeln!(s, "  | {line}");
            }
        }
    }
    s
}

fn system_out(case: &CaseResult, shown: Option<Verdict>) -> String {
    let count = |v| case.findings.iter().filter(|f| f.verdict == v).count();
    let (passed, not_applicable) = (count(Verdict::Pass), count(Verdict::NotApplicable));
    let mut s = String::new();
    let _ = writeln!(s, "{}", case.title);
    // The peer by its address or URL here, where it changes no test name.
    let _ = writeln!(s, "peer: {}", case.peer.label());
    let _ = write!(
        s,
        "{passed} rule{} passed",
        if passed == 1 { "" } else { "s" }
    );
    if not_applicable > 0 {
        let _ = write!(s, ", {not_applicable} not applicable");
    }
    let _ = writeln!(
        s,
        "; {} exchange{}",
        case.exchanges,
        if case.exchanges == 1 { "" } else { "s" }
    );
    if let Some(e) = &case.ended {
        let at =
            e.at.as_deref()
                .map(|a| format!(" at {a}"))
                .unwrap_or_default();
        let _ = writeln!(s, "ended ({}){at}: {}", e.how.as_str(), e.detail);
    }
    if let Some(t) = &case.transcript {
        let _ = writeln!(s, "transcript: {t}");
    }
    let rest = case.findings.iter().filter(|f| {
        !matches!(f.verdict, Verdict::Pass | Verdict::NotApplicable) && Some(f.verdict) != shown
    });
    s.push_str(&findings_text(rest));
    s
}

/// Can XML 1.0 carry `c` (the `Char` production)?
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Append `text` as XML character data or, with `attr`, as a double-quoted attribute
/// value, so that a parser reads back exactly `text`, except that characters XML 1.0
/// cannot carry are written as their Rust escape (`\u{1}`).
fn push_escaped(out: &mut String, text: &str, attr: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            // Attribute-value normalisation would turn these into spaces.
            '\t' if attr => out.push_str("&#9;"),
            '\n' if attr => out.push_str("&#10;"),
            // End-of-line handling would drop or rewrite a literal CR.
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            c => {
                for e in c.escape_unicode() {
                    out.push(e);
                }
            }
        }
    }
}

fn push_attr(out: &mut String, text: &str) {
    push_escaped(out, text, true);
}

fn push_text(out: &mut String, text: &str) {
    push_escaped(out, text, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(s: &str) -> String {
        let mut o = String::new();
        push_attr(&mut o, s);
        o
    }

    fn text(s: &str) -> String {
        let mut o = String::new();
        push_text(&mut o, s);
        o
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(text("a<b>&c\"d'"), "a&lt;b&gt;&amp;c\"d'");
        assert_eq!(attr("a<b>&c\"d'"), "a&lt;b&gt;&amp;c&quot;d'");
        assert_eq!(text("]]>"), "]]&gt;");
    }

    #[test]
    fn keeps_whitespace_in_attributes() {
        assert_eq!(attr("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert_eq!(text("a\tb\nc\rd"), "a\tb\nc&#13;d");
    }

    #[test]
    fn replaces_characters_xml_cannot_carry() {
        assert_eq!(text("a\u{0}b\u{1}c\u{8}"), "a\\u{0}b\\u{1}c\\u{8}");
        assert_eq!(attr("\u{b}\u{c}\u{1f}"), "\\u{b}\\u{c}\\u{1f}");
        assert_eq!(text("\u{fffe}\u{ffff}"), "\\u{fffe}\\u{ffff}");
        // Allowed, if unusual.
        assert_eq!(text("\u{7f}\u{85}é\u{1F600}"), "\u{7f}\u{85}é\u{1F600}");
    }

    #[test]
    fn areas() {
        assert_eq!(area_of("session/get-replace"), "session");
        assert_eq!(area_of("auth/x/y"), "auth");
        assert_eq!(area_of("plain"), "plain");
        assert_eq!(area_of(""), "");
    }

    #[test]
    fn times_add_up() {
        assert_eq!(spread_ms(10, 3), vec![4, 3, 3]);
        assert_eq!(spread_ms(2, 4), vec![1, 1, 0, 0]);
        assert_eq!(spread_ms(5, 0), Vec::<u64>::new());
        assert_eq!(seconds(1234), "1.234");
        assert_eq!(seconds(5), "0.005");
        assert_eq!(seconds(0), "0.000");
    }

    #[test]
    fn names_made_unique() {
        let mut seen = HashSet::new();
        assert_eq!(unique_name(&mut seen, "a".into()), "a");
        assert_eq!(unique_name(&mut seen, "a #2".into()), "a #2");
        assert_eq!(unique_name(&mut seen, "a".into()), "a #3");
        assert_eq!(unique_name(&mut seen, "a".into()), "a #4");
    }
}
