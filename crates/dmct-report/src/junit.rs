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
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Duration;

/// Render the report as JUnit XML (UTF-8, with an XML declaration and a trailing
/// newline), valid against `testcases/schemas/junit.xsd`. The document is built and
/// written by `quick-junit`, the serializer cargo-nextest uses.
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
/// `errors` is therefore always 0. A suite counts its skipped cases twice, as
/// `skipped` (what Jenkins and GitLab read) and `disabled` (what quick-junit writes);
/// the root carries tests, failures, errors and time. Every test case carries a
/// `<system-out>` with the case title, the rule counts, the transcript path and any
/// finding that is not already in its result element (e.g. a SHOULD that failed in a
/// passing case).
///
/// Peer bytes in excerpts may hold control characters, which XML 1.0 cannot carry or a
/// reader would rewrite (CR) and quick-junit would strip (with any ANSI sequence they
/// start): each but newline is written as its Rust escape (`\u{1}`, `\t`, `\r`) before
/// quick-junit sees the text, so nothing is silently dropped. A one-line attribute
/// (`message`) has its tabs and newlines written as spaces, which is what a reader's
/// attribute-value normalisation would make of them.
pub fn render_junit(report: &RunReport) -> String {
    let mut junit = Report::new("dmct");
    junit.set_time(Duration::from_millis(report.duration_ms));
    let properties = properties(report);
    for suite in group_by_area(report) {
        let ms: u64 = suite.cases.iter().map(|&(_, ms)| ms).sum();
        let mut out = TestSuite::new(carry(suite.area));
        out.set_time(Duration::from_millis(ms));
        out.add_properties(properties.iter().cloned());
        let mut names = HashSet::new();
        for &(case, ms) in &suite.cases {
            let name = unique_name(&mut names, case.stable_name());
            out.add_test_case(test_case(suite.area, &name, case, ms));
        }
        // quick-junit counts a skipped case as `disabled`; CI readers look for
        // `skipped`.
        out.extra
            .insert("skipped".into(), out.disabled.to_string().into());
        junit.add_test_suite(out);
    }
    match junit.to_string() {
        Ok(mut xml) => {
            if !xml.ends_with('\n') {
                xml.push('\n');
            }
            xml
        }
        // Writing into memory cannot fail; should the serializer ever refuse, the
        // report still says so in a document CI can read.
        Err(e) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dmct\" \
             tests=\"0\" failures=\"0\" errors=\"1\"><!-- {} --></testsuites>\n",
            carry(&e.to_string()).replace("--", "- -")
        ),
    }
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

fn properties(report: &RunReport) -> Vec<Property> {
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
    props
        .into_iter()
        .map(|(name, value)| Property::new(name, carry_attr(&value)))
        .collect()
}

fn test_case(area: &str, name: &str, case: &CaseResult, ms: u64) -> TestCase {
    // The findings the result element shows; the rest that did not pass go to
    // system-out.
    let (status, shown) = match case.verdict {
        CaseVerdict::Pass => (TestCaseStatus::success(), None),
        CaseVerdict::Fail => (failure(case), Some(Verdict::Fail)),
        CaseVerdict::Inconclusive => (
            skipped(case, Verdict::Inconclusive),
            Some(Verdict::Inconclusive),
        ),
        CaseVerdict::NotApplicable => (
            skipped(case, Verdict::NotApplicable),
            Some(Verdict::NotApplicable),
        ),
    };
    let mut out = TestCase::new(carry_attr(name), status);
    out.set_classname(carry_attr(area));
    out.set_time(Duration::from_millis(ms));
    out.set_system_out(carry(&system_out(case, shown)));
    out
}

/// `<rule> [<level>, <clause>]: <detail>`, plus `(and N more)` when `others` > 0.
fn summary_line(f: &Finding, others: usize) -> String {
    let mut m = format!("{} [{}, {}]: {}", f.rule, f.level, f.clause, f.detail);
    if others > 0 {
        let _ = write!(m, " (and {others} more)");
    }
    m
}

fn failure(case: &CaseResult) -> TestCaseStatus {
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
    let mut text = findings_text(failing.iter().copied());
    text.push_str(DISPUTE_HINT);
    text.push('\n');
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status
        .set_message(carry_attr(&message))
        .set_type(carry_attr(kind))
        .set_description(carry(&text));
    status
}

/// A case JUnit cannot call passed or failed: inconclusive, or not applicable.
fn skipped(case: &CaseResult, why: Verdict) -> TestCaseStatus {
    let open: Vec<&Finding> = case.findings.iter().filter(|f| f.verdict == why).collect();
    let message = match open.first() {
        Some(f) => format!(
            "{}: {}",
            why.as_str(),
            summary_line(f, open.len().saturating_sub(1))
        ),
        None => why.as_str().to_string(),
    };
    let mut status = TestCaseStatus::skipped();
    status
        .set_message(carry_attr(&message))
        .set_description(carry(&findings_text(open.iter().copied())));
    status
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

/// `text` as element content that reads back unchanged, but for the characters the
/// writer would lose, each written as its Rust escape (`\t`, `\r`, `\u{1b}`): control
/// characters other than newline (XML 1.0 cannot carry most of them, a reader turns a
/// CR into a newline, and quick-junit strips tab, C0 and C1 controls and the ANSI
/// sequences they start) and the non-characters U+FFFE and U+FFFF.
fn carry(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push(c),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                out.extend(c.escape_default());
            }
            c => out.push(c),
        }
    }
    out
}

/// [`carry`] for a one-line attribute value: tabs and newlines as spaces.
fn carry_attr(text: &str) -> String {
    carry(&text.replace(['\t', '\n'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_xml_can_carry() {
        assert_eq!(carry("a<b>&c\"d'\ne"), "a<b>&c\"d'\ne");
        assert_eq!(carry_attr("a\tb\nc"), "a b c");
        assert_eq!(
            carry("é\u{a0}\u{1F600}\u{feff}"),
            "é\u{a0}\u{1F600}\u{feff}"
        );
    }

    #[test]
    fn escapes_what_the_writer_would_lose() {
        assert_eq!(carry("a\u{0}b\u{1}c\u{8}"), "a\\u{0}b\\u{1}c\\u{8}");
        assert_eq!(carry_attr("\u{b}\u{c}\u{1f}"), "\\u{b}\\u{c}\\u{1f}");
        assert_eq!(carry("\u{fffe}\u{ffff}"), "\\u{fffe}\\u{ffff}");
        assert_eq!(carry("\u{7f}\u{85}\u{9b}"), "\\u{7f}\\u{85}\\u{9b}");
        // An ANSI colour sequence is kept, its ESC visible, not stripped.
        assert_eq!(carry("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(carry("a\r\nb\tc"), "a\\r\nb\\tc");
    }

    /// Whatever `carry` lets through, quick-junit keeps: every character from U+0000
    /// to U+2FFF, one at a time and all together.
    #[test]
    fn quick_junit_keeps_what_carry_lets_through() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        for c in all.chars() {
            let one = carry(&c.to_string());
            assert_eq!(quick_junit::XmlString::new(&one).as_str(), one, "{c:?}");
        }
        let whole = carry(&all);
        assert_eq!(quick_junit::XmlString::new(&whole).as_str(), whole);
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
