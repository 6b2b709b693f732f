//! The JUnit XML report: counts, names, failure text and escaping read back with
//! quick-xml, and every output checked against `testcases/schemas/junit.xsd` with
//! xmllint.

use dmct_report::{
    CaseResult, CaseVerdict, Peer, REPORT_SCHEMA_VERSION, RunReport, Summary, Tool, render_junit,
};
use dmct_rules::{Finding, Level, Role, Side, Verdict};
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::Command;

// ---------------------------------------------------------------------------------
// Building reports

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &str,
    level: Level,
    clause: &str,
    role: Role,
    verdict: Verdict,
    at: Option<(usize, Side)>,
    detail: &str,
    excerpt: Option<&str>,
) -> Finding {
    Finding {
        rule: rule.into(),
        unconfirmed: None,
        clause: clause.into(),
        level,
        summary: format!("what {rule} requires"),
        allowed: vec![format!("what {rule} allows")],
        role,
        verdict,
        exchange: at.map(|(x, _)| x),
        message: at.map(|(_, m)| m),
        detail: detail.into(),
        excerpt: excerpt.map(str::to_string),
        span: None,
    }
}

fn pass(rule: &str, role: Role) -> Finding {
    finding(
        rule,
        Level::Must,
        "[PRO] §8.3 (Package 1)",
        role,
        Verdict::Pass,
        Some((0, Side::Request)),
        "fine",
        None,
    )
}

fn case(id: &str, role: Role, peer: &str, faults: &[&str], findings: Vec<Finding>) -> CaseResult {
    CaseResult {
        id: id.into(),
        title: format!("Scenario {id}"),
        role,
        peer: Peer {
            name: peer.into(),
            faults: faults.iter().map(|f| f.to_string()).collect(),
            identity: Vec::new(),
        },
        verdict: CaseVerdict::from_findings(&findings),
        findings,
        exchanges: 3,
        transcript: Some(format!("transcripts/{}.json", id.replace('/', "-"))),
        authentication: Default::default(),
        ended: None,
        time: None,
        exchange_times: Vec::new(),
    }
}

fn report(command: &str, cases: Vec<CaseResult>, duration_ms: u64) -> RunReport {
    RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool {
            name: "dmct".into(),
            version: "0.1.0".into(),
        },
        command: command.into(),
        interrupted: false,
        summary: Summary::of(&cases),
        cases,
        selftest: None,
        duration_ms,
        catalog: Default::default(),
        seeds: Vec::new(),
        profile_lacks: Vec::new(),
        partition: None,
        device: None,
        time: None,
    }
}

const FAIL_DETAIL: &str =
    "the server answered the Cred with 200 & not 212; the next message must carry it \"again\"";
const FAIL_EXCERPT: &str = "<Cred><Meta a='1'>x & y \"z\"</Meta>\u{1}</Cred>\n<Next/>";
const INCONCLUSIVE_DETAIL: &str = "peer stalled\tafter 3 s\nno response <none>";

/// Pass, fail (with an excerpt full of markup and a control character), inconclusive,
/// and one scenario against three peers.
fn hand_report() -> RunReport {
    let c = Role::Client;
    let cases = vec![
        case(
            "session/basic",
            c,
            "builtin-client",
            &[],
            vec![
                pass("pkg1/alert", c),
                pass("pkg1/devinfo", c),
                pass("alert/valid-code", c),
                finding(
                    "large/obj",
                    Level::Must,
                    "[PRO] §7",
                    c,
                    Verdict::NotApplicable,
                    None,
                    "no large object",
                    None,
                ),
            ],
        ),
        case(
            "auth/accept-200",
            c,
            "builtin-client",
            &["drops-cred-after-200"],
            vec![
                pass("pkg1/alert", c),
                finding(
                    "session/should-x",
                    Level::Should,
                    "[PRO] §7 <a>",
                    c,
                    Verdict::Fail,
                    None,
                    "deviation",
                    None,
                ),
                finding(
                    "auth/resend-cred-after-200",
                    Level::Must,
                    "[PRO] §9",
                    c,
                    Verdict::Fail,
                    Some((1, Side::Request)),
                    FAIL_DETAIL,
                    Some(FAIL_EXCERPT),
                ),
                finding(
                    "http/no-response",
                    Level::Must,
                    "[HTTP] §5",
                    c,
                    Verdict::Inconclusive,
                    Some((2, Side::Response)),
                    "cut short",
                    None,
                ),
            ],
        ),
        case(
            "session/stall",
            Role::Server,
            "builtin-server",
            &["stalls"],
            vec![
                pass("server/status", Role::Server),
                finding(
                    "http/no-response",
                    Level::Must,
                    "[HTTP] §5",
                    Role::Server,
                    Verdict::Inconclusive,
                    None,
                    INCONCLUSIVE_DETAIL,
                    None,
                ),
            ],
        ),
        case(
            "session/basic",
            c,
            "builtin-client",
            &["bad-msgid", "no-final"],
            vec![pass("pkg1/alert", c)],
        ),
        case(
            "session/basic",
            c,
            "http://dev.example:8080/dm?a=1&b=2",
            &[],
            vec![pass("pkg1/alert", c), pass("pkg1/devinfo", c)],
        ),
    ];
    report("run", cases, 1001)
}

// ---------------------------------------------------------------------------------
// Reading the output back

#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: BTreeMap<String, String>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, name: &str) -> &str {
        self.attrs
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("<{}> has no {name}", self.name))
    }

    fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|n| n.name == name).collect()
    }

    fn one(&self, name: &str) -> &Node {
        let all = self.all(name);
        assert_eq!(all.len(), 1, "<{}> has {} <{name}>", self.name, all.len());
        all[0]
    }

    fn count(&self, name: &str) -> usize {
        self.attr(name).parse().expect("an integer count")
    }
}

fn node_of(e: &BytesStart<'_>) -> Node {
    let mut attrs = BTreeMap::new();
    for a in e.attributes() {
        let a = a.expect("attribute");
        let key = a.key.as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .expect("attribute value")
            .into_owned();
        attrs.insert(key, value);
    }
    Node {
        name: e.name().as_ref().to_string(),
        attrs,
        ..Node::default()
    }
}

/// The root element, with attributes and text as an XML parser reads them.
fn parse(xml: &str) -> Node {
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![Node::default()];
    loop {
        let event = reader.read_event().expect("well-formed XML");
        match event {
            Event::Start(e) => stack.push(node_of(&e)),
            Event::Empty(e) => {
                let n = node_of(&e);
                stack.last_mut().expect("open element").children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(n);
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                stack.last_mut().expect("open element").text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().expect("character reference") {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&r.xml10_content())
                        .expect("predefined entity")
                        .to_string(),
                };
                stack
                    .last_mut()
                    .expect("open element")
                    .text
                    .push_str(&resolved);
            }
            Event::CData(_) | Event::DocType(_) => panic!("unexpected {event:?}"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut doc = stack.pop().expect("document");
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.remove(0)
}

fn testcase<'a>(root: &'a Node, name: &str) -> &'a Node {
    root.all("testsuite")
        .into_iter()
        .flat_map(|s| s.all("testcase"))
        .find(|c| c.attr("name") == name)
        .unwrap_or_else(|| panic!("no testcase {name}"))
}

/// Characters XML 1.0 cannot carry (outside the `Char` production).
fn forbidden(c: char) -> bool {
    !matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Structure every output must have: counts that add up, unique names per suite,
/// classname = suite name = area of the id, exactly the right result element.
fn check_structure(report: &RunReport, xml: &str) -> Node {
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    assert!(xml.ends_with("</testsuites>\n"), "one trailing newline");
    assert!(!xml.chars().any(forbidden), "a character XML 1.0 forbids");
    let root = parse(xml);
    assert_eq!(root.name, "testsuites");
    assert_eq!(root.attr("name"), "dmct");
    assert_eq!(root.count("tests"), report.summary.cases);
    assert_eq!(root.count("failures"), report.summary.fail);
    // quick-junit writes no `skipped` on the root: the suites' counts add up below.
    assert!(!root.attrs.contains_key("skipped"));
    assert_eq!(root.count("errors"), 0);

    let suites = root.all("testsuite");
    let mut suite_names = HashSet::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    let mut ms = 0u64;
    for suite in &suites {
        let area = suite.attr("name");
        assert!(suite_names.insert(area.to_string()), "suite {area} twice");
        let cases = suite.all("testcase");
        assert_eq!(suite.count("tests"), cases.len());
        let with = |n: &str| cases.iter().filter(|c| !c.all(n).is_empty()).count();
        assert_eq!(suite.count("failures"), with("failure"));
        assert_eq!(suite.count("skipped"), with("skipped"));
        assert_eq!(suite.count("disabled"), with("skipped"));
        assert_eq!(suite.count("errors"), 0);
        assert_eq!(with("error"), 0);
        tests += cases.len();
        failures += with("failure");
        skipped += with("skipped");
        let mut names = HashSet::new();
        for c in &cases {
            assert_eq!(c.attr("classname"), area);
            assert!(
                names.insert(c.attr("name")),
                "testcase name {} twice in suite {area}",
                c.attr("name")
            );
            assert!(
                c.all("failure").len() + c.all("skipped").len() <= 1,
                "at most one result element"
            );
            c.one("system-out");
        }
        let secs = suite.attr("time");
        let (whole, frac) = secs.split_once('.').expect("decimal seconds");
        ms += whole.parse::<u64>().expect("seconds") * 1000 + frac.parse::<u64>().expect("ms");
    }
    assert_eq!(
        (tests, failures, skipped),
        (
            root.count("tests"),
            root.count("failures"),
            report.summary.inconclusive + report.summary.not_applicable
        )
    );
    if !report.cases.is_empty() && report.cases.iter().all(|c| c.time.is_none()) {
        assert_eq!(ms, report.duration_ms, "suite times add up to the run's");
    }
    let areas: HashSet<&str> = report
        .cases
        .iter()
        .map(|c| c.id.split('/').next().unwrap_or(""))
        .collect();
    assert_eq!(suite_names.len(), areas.len());
    root
}

// ---------------------------------------------------------------------------------
// Schema validation with xmllint

fn schema() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testcases/schemas/junit.xsd")
}

/// `Some((valid, output))`, or `None` when xmllint is not installed outside CI.
fn xmllint(name: &str, xml: &str) -> Option<(bool, String)> {
    let file = std::env::temp_dir().join(format!("dmct-junit-{}-{name}.xml", std::process::id()));
    std::fs::write(&file, xml).expect("write the report");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg(&file)
        .output();
    let _ = std::fs::remove_file(&file);
    match out {
        Ok(out) => Some((
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var_os("CI").is_some() {
                panic!("xmllint not found, and CI is set: install libxml2-utils");
            }
            eprintln!(
                "SKIPPED schema validation: xmllint not found (install libxml2-utils; \
                 with CI set this fails)"
            );
            None
        }
        Err(e) => panic!("xmllint could not run: {e}"),
    }
}

fn assert_valid(name: &str, xml: &str) {
    if let Some((ok, out)) = xmllint(name, xml) {
        assert!(
            ok,
            "{name} does not validate against junit.xsd:\n{out}\n{xml}"
        );
    }
}

fn assert_invalid(name: &str, xml: &str) {
    if let Some((ok, out)) = xmllint(name, xml) {
        assert!(!ok, "{name} should not validate against junit.xsd:\n{out}");
    }
}

// ---------------------------------------------------------------------------------
// Tests

#[test]
fn counts_suites_and_names() {
    let r = hand_report();
    let xml = render_junit(&r);
    let root = check_structure(&r, &xml);
    assert_eq!(root.count("tests"), 5);
    assert_eq!(root.count("failures"), 1);
    assert_eq!(root.attr("time"), "1.001");

    let suites = root.all("testsuite");
    let names: Vec<&str> = suites.iter().map(|s| s.attr("name")).collect();
    assert_eq!(
        names,
        ["session", "auth"],
        "areas in order of first appearance"
    );
    let session = suites[0];
    assert_eq!(session.count("tests"), 4);
    assert_eq!(session.count("failures"), 0);
    assert_eq!(session.count("skipped"), 1);
    // 1001 ms over 5 cases: 201 for the first, 200 for the rest.
    assert_eq!(session.attr("time"), "0.801");
    assert_eq!(suites[1].attr("time"), "0.200");
    assert_eq!(suites[1].count("tests"), 1);
    assert_eq!(suites[1].count("failures"), 1);

    let case_names: Vec<&str> = session
        .all("testcase")
        .iter()
        .map(|c| c.attr("name"))
        .collect();
    assert_eq!(
        case_names,
        [
            "session/basic (client under test)",
            "session/stall (server under test) [fault: stalls]",
            "session/basic (client under test) [fault: bad-msgid, no-final]",
            // Never the URL: the same scenario against another peer is told apart by
            // its number.
            "session/basic (client under test) #2",
        ]
    );

    let props = session.one("properties").all("property");
    let prop = |n: &str| {
        props
            .iter()
            .find(|p| p.attr("name") == n)
            .map(|p| p.attr("value"))
    };
    assert_eq!(prop("dmct.version"), Some("0.1.0"));
    assert_eq!(prop("dmct.command"), Some("run"));
}

#[test]
fn failure_names_the_rule_and_lists_every_failing_finding() {
    let xml = render_junit(&hand_report());
    let root = parse(&xml);
    let c = testcase(
        &root,
        "auth/accept-200 (client under test) [fault: drops-cred-after-200]",
    );
    assert_eq!(c.attr("classname"), "auth");
    let failure = c.one("failure");
    // The mandatory failure leads, though the SHOULD one comes first.
    assert_eq!(
        failure.attr("message"),
        format!("auth/resend-cred-after-200 [MUST, [PRO] §9]: {FAIL_DETAIL} (and 1 more)")
    );
    assert_eq!(failure.attr("type"), "auth/resend-cred-after-200");
    // Escaping round-trips; the control character comes back as its escape. Each
    // failure says what it is held against: requirement, allowed behaviours; the text
    // ends with where to dispute it.
    let expected = format!(
        "FAIL session/should-x [client SHOULD, [PRO] §7 <a>]\n  \
         requirement: what session/should-x requires\n  \
         allowed: what session/should-x allows\n  deviation\n\
         FAIL auth/resend-cred-after-200 [client MUST, [PRO] §9] @ exchange 1 request\n  \
         requirement: what auth/resend-cred-after-200 requires\n  \
         allowed: what auth/resend-cred-after-200 allows\n  \
         the server answered the Cred with 200 & not 212; the next message must carry it \"again\"\n  \
         | <Cred><Meta a='1'>x & y \"z\"</Meta>\\u{{1}}</Cred>\n  \
         | <Next/>\n{}\n",
        dmct_report::DISPUTE_HINT
    );
    assert_eq!(failure.text, expected);
    // What is neither passed nor in the failure goes to system-out.
    let out = &c.one("system-out").text;
    assert!(out.starts_with(
        "Scenario auth/accept-200\npeer: builtin-client [fault: drops-cred-after-200]\n\
             1 rule passed; 3 exchanges\n"
    ));
    assert!(out.contains("transcript: transcripts/auth-accept-200.json\n"));
    assert!(
        out.ends_with("INCONCLUSIVE http/no-response [client MUST, [HTTP] §5] @ exchange 2 response\n  cut short\n"),
        "{out}"
    );
    assert!(!out.contains("should-x"));
}

#[test]
fn inconclusive_is_skipped_and_pass_has_no_result() {
    let xml = render_junit(&hand_report());
    let root = parse(&xml);

    let c = testcase(&root, "session/stall (server under test) [fault: stalls]");
    assert!(c.all("failure").is_empty() && c.all("error").is_empty());
    let skipped = c.one("skipped");
    // The one-line attribute has tabs and newlines as spaces (what attribute-value
    // normalisation would make of them); the element text keeps them.
    assert_eq!(
        skipped.attr("message"),
        format!(
            "inconclusive: http/no-response [MUST, [HTTP] §5]: {}",
            INCONCLUSIVE_DETAIL.replace(['\t', '\n'], " ")
        )
    );
    assert_eq!(
        skipped.text,
        format!(
            "INCONCLUSIVE http/no-response [server MUST, [HTTP] §5]\n  {}\n",
            INCONCLUSIVE_DETAIL.replace('\t', "\\t")
        )
    );

    let c = testcase(&root, "session/basic (client under test)");
    let children: Vec<&str> = c.children.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(children, ["system-out"]);
    assert_eq!(
        c.one("system-out").text,
        "Scenario session/basic\npeer: builtin-client\n\
         3 rules passed, 1 not applicable; 3 exchanges\n\
         transcript: transcripts/session-basic.json\n"
    );
}

#[test]
fn same_name_twice_is_made_unique() {
    let c = Role::Client;
    let cases = vec![
        case("auth/x", c, "builtin-client", &[], vec![pass("a", c)]),
        case("auth/x", c, "builtin-client", &[], vec![pass("a", c)]),
        case("auth/x", c, "builtin-client", &[], vec![pass("a", c)]),
    ];
    let r = report("run", cases, 0);
    let xml = render_junit(&r);
    let root = check_structure(&r, &xml);
    let names: Vec<&str> = root
        .one("testsuite")
        .all("testcase")
        .iter()
        .map(|c| c.attr("name"))
        .collect();
    assert_eq!(
        names,
        [
            "auth/x (client under test)",
            "auth/x (client under test) #2",
            "auth/x (client under test) #3",
        ]
    );
    assert_valid("duplicates", &xml);
}

#[test]
fn deterministic() {
    let r = hand_report();
    assert_eq!(render_junit(&r), render_junit(&r));
    assert_eq!(render_junit(&r), render_junit(&r.clone()));
}

#[test]
fn hand_report_validates() {
    let r = hand_report();
    assert_valid("hand", &render_junit(&r));
}

#[test]
fn empty_report_validates() {
    let r = report("run", Vec::new(), 12);
    let xml = render_junit(&r);
    let root = check_structure(&r, &xml);
    assert!(root.all("testsuite").is_empty());
    assert_eq!(root.attr("time"), "0.012");
    assert_valid("empty", &xml);
}

/// Kind 0: passes (with a failed SHOULD); 1: fails (MUST and SHOULD); 2: inconclusive.
fn verdict(kind: usize, k: usize) -> Verdict {
    match (kind % 3, k) {
        (_, 3) | (0, 5) => Verdict::Fail,
        (1, 2) | (1, 4) => Verdict::Fail,
        (2, 4) => Verdict::Inconclusive,
        (_, 1) => Verdict::NotApplicable,
        _ => Verdict::Pass,
    }
}

/// A report the size and shape of a selftest run: many areas, scenarios run against
/// many peers and faults, every verdict, hostile text in every field.
fn big_report() -> RunReport {
    let areas = ["session", "auth", "pkg0", "http", "large", "status"];
    let nasty = [
        "plain",
        "<SyncML xmlns='SYNCML:SYNCML1.2'>&amp;</SyncML>",
        "quote \" apostrophe ' ampersand & lt < gt > ]]>",
        "ctl \u{0}\u{1}\u{7}\u{8}\u{b}\u{c}\u{e}\u{1f} end",
        "crlf\r\nline\rcr\ttab",
        "bom \u{feff} nonchar \u{fffe}\u{ffff} emoji \u{1F600} é",
    ];
    let mut cases = Vec::new();
    for (a, area) in areas.iter().enumerate() {
        for scenario in 0..5 {
            let id = format!("{area}/scenario-{scenario}");
            let peers: [(&str, Vec<&str>); 4] = [
                ("builtin-client", vec![]),
                ("builtin-client", vec!["bad-msgid"]),
                (
                    "builtin-server",
                    vec!["no-final", nasty[scenario % nasty.len()]],
                ),
                ("https://peer.example/dm?x=<1>&y=\"2\"", vec![]),
            ];
            for (p, (peer, faults)) in peers.iter().enumerate() {
                let role = if peer.contains("server") {
                    Role::Server
                } else {
                    Role::Client
                };
                let findings: Vec<Finding> = (0..6)
                    .map(|k| {
                        let text = nasty[(a + p + k) % nasty.len()];
                        finding(
                            &format!("{area}/rule-{k}"),
                            if k % 2 == 0 {
                                Level::Must
                            } else {
                                Level::Should
                            },
                            &format!("[PRO] §{k} {text}"),
                            role,
                            verdict(a + scenario + p, k),
                            (k % 3 != 0).then_some((
                                k,
                                if k % 2 == 0 {
                                    Side::Request
                                } else {
                                    Side::Response
                                },
                            )),
                            text,
                            (k % 2 == 1).then_some(text),
                        )
                    })
                    .collect();
                cases.push(case(&id, role, peer, faults, findings));
            }
        }
    }
    let mut r = report("selftest", cases, 123_457);
    r.selftest = Some(dmct_report::Selftest {
        mutation_score: 0.75,
        faults: Vec::new(),
        conformant_pass: false,
        harness_failures: Vec::new(),
    });
    r
}

#[test]
fn big_report_is_consistent_and_validates() {
    let r = big_report();
    assert_eq!(r.cases.len(), 120);
    assert!(r.summary.fail > 0 && r.summary.pass > 0 && r.summary.inconclusive > 0);
    let xml = render_junit(&r);
    let root = check_structure(&r, &xml);
    assert_eq!(root.all("testsuite").len(), 6);
    let props = root.all("testsuite")[0].one("properties").all("property");
    assert!(
        props
            .iter()
            .any(|p| p.attr("name") == "dmct.selftest.mutation_score" && p.attr("value") == "0.75")
    );
    // Every failure message names a rule with its level and clause.
    for suite in root.all("testsuite") {
        for c in suite.all("testcase") {
            for f in c.all("failure") {
                let ty = f.attr("type");
                assert!(
                    f.attr("message")
                        .starts_with(&format!("{ty} [MUST, [PRO] §"))
                );
                assert!(f.text.contains(&format!("FAIL {ty} [")));
            }
        }
    }
    // CR, tab and the control characters read back as written (or as their escape).
    assert!(xml.contains("ctl \\u{0}\\u{1}\\u{7}\\u{8}\\u{b}\\u{c}\\u{e}\\u{1f} end"));
    assert!(xml.contains("nonchar \\u{fffe}\\u{ffff} emoji \u{1F600}"));
    assert_valid("big", &xml);
}

#[test]
fn schema_is_strict_on_structure() {
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    // Minimal and permissive: attributes other than names may be left out.
    assert_valid(
        "minimal",
        &format!(
            "{head}<testsuites><testsuite name=\"s\"><testcase name=\"c\"/></testsuite></testsuites>"
        ),
    );
    // A lone testsuite may be the root.
    assert_valid(
        "lone-suite",
        &format!(
            "{head}<testsuite name=\"s\" tests=\"1\" time=\"0.5\"><testcase name=\"c\"><error message=\"m\" type=\"t\">x</error><system-err>e</system-err></testcase><system-out>o</system-out></testsuite>"
        ),
    );
    // Result elements after system-out.
    assert_invalid(
        "order",
        &format!(
            "{head}<testsuites><testsuite name=\"s\"><testcase name=\"c\"><system-out/><failure/></testcase></testsuite></testsuites>"
        ),
    );
    // A testcase straight under testsuites.
    assert_invalid(
        "nesting",
        &format!("{head}<testsuites><testcase name=\"c\"/></testsuites>"),
    );
    // A testcase as the root.
    assert_invalid("root", &format!("{head}<testcase name=\"c\"/>"));
    // Counts are integers, times decimals.
    assert_invalid("count", &format!("{head}<testsuites tests=\"many\"/>"));
    assert_invalid(
        "time",
        &format!("{head}<testsuites><testsuite name=\"s\" time=\"1s\"/></testsuites>"),
    );
    // A testcase needs its name.
    assert_invalid(
        "name",
        &format!(
            "{head}<testsuites><testsuite name=\"s\"><testcase classname=\"c\"/></testsuite></testsuites>"
        ),
    );
    // Unknown elements are refused.
    assert_invalid(
        "unknown",
        &format!(
            "{head}<testsuites><testsuite name=\"s\"><testcase name=\"c\"><passed/></testcase></testsuite></testsuites>"
        ),
    );
}

/// A case's measured wall-clock span is its JUnit time; one without a span keeps its
/// share of the run's time.
#[test]
fn a_measured_case_has_its_real_time() {
    let mut r = hand_report();
    r.duration_ms = 4000;
    r.cases[0].time = Some(dmct_report::Span {
        started: Some("2026-12-07T02:41:09.123Z".into()),
        ended: Some("2026-12-07T02:41:11.456Z".into()),
    });
    let name = r.cases[0].stable_name();
    let xml = render_junit(&r);
    let root = parse(&xml);
    assert_eq!(testcase(&root, &name).attr("time"), "2.333");
    // The even shares of 4000 ms: the first (4000 % n) cases one millisecond more.
    let n = r.cases.len() as u64;
    let share = |i: u64| 4000 / n + u64::from(i < 4000 % n);
    let secs = |ms: u64| format!("{}.{:03}", ms / 1000, ms % 1000);
    let other = r.cases[1].stable_name();
    assert_eq!(testcase(&root, &other).attr("time"), secs(share(1)));
    assert_valid("measured", &xml);
    // A time that is no time is no measurement: the share again.
    r.cases[0].time = Some(dmct_report::Span {
        started: Some("2026-12-07T02:41:11Z".into()),
        ended: Some("yesterday".into()),
    });
    let root = parse(&render_junit(&r));
    assert_eq!(testcase(&root, &name).attr("time"), secs(share(0)));
}
