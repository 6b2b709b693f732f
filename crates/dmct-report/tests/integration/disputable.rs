//! Every failure, in every rendering, carries what it is held against: the requirement
//! in dmct's words, its document and clause, its level, the allowed behaviours, and why
//! the clause is unconfirmed when it is. The findings come from the real checker and
//! the real catalog, so a rule whose catalog entry lost its summary would show here.

use dmct_proto::transcript::Transcript;
use dmct_report::*;
use dmct_rules::{Finding, Role, Verdict};

const PKG1: &str = "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
    <VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>\
    <Target><LocURI>http://dm.example/dm</LocURI></Target><Source><LocURI>IMEI:1</LocURI>\
    </Source></SyncHdr><SyncBody><Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Final/>\
    </SyncBody></SyncML>";

/// A Package #1 PUT as text/plain: it breaks rules with allowed behaviours
/// (http/content-type) and rules whose clause is unconfirmed (http/post).
fn judged() -> (Vec<Finding>, Transcript) {
    let mut t = Transcript::default();
    let mut headers = dmct_proto::transcript::Headers::default();
    headers.push("Content-Type", "text/plain");
    t.exchanges.push(dmct_proto::transcript::Exchange {
        request: dmct_proto::transcript::HttpRequest {
            method: "PUT".into(),
            target: "/dm".into(),
            headers: headers.clone(),
            body: dmct_proto::transcript::Body::from(PKG1.as_bytes().to_vec()),
        },
        response: None,
        failure: None,
        time: None,
    });
    let findings: Vec<Finding> = dmct_rules::check(&t)
        .into_iter()
        .filter(|f| f.role == Role::Client)
        .collect();
    (findings, t)
}

fn report(findings: Vec<Finding>) -> RunReport {
    let case = CaseResult {
        id: "session/x".into(),
        title: "x".into(),
        role: Role::Client,
        peer: Peer {
            name: "builtin-client".into(),
            faults: vec![],
            identity: vec![],
        },
        verdict: CaseVerdict::from_findings(&findings),
        findings,
        exchanges: 1,
        transcript: None,
        authentication: Authentication::default(),
        ended: None,
        time: None,
        exchange_times: Vec::new(),
    };
    RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool {
            name: "dmct".into(),
            version: "0.1.0".into(),
        },
        command: "run".into(),
        interrupted: false,
        summary: Summary::of(std::slice::from_ref(&case)),
        cases: vec![case],
        selftest: None,
        duration_ms: 0,
        catalog: CatalogId::default(),
        seeds: vec![],
        profile_lacks: vec![],
        partition: None,
        device: None,
        time: None,
    }
}

/// The first failure of a rule with allowed behaviours, and the first of a rule whose
/// clause is unconfirmed.
fn samples(findings: &[Finding]) -> Vec<&Finding> {
    let fails = || findings.iter().filter(|f| f.verdict == Verdict::Fail);
    let with_allowed = fails().find(|f| !f.allowed.is_empty());
    let unconfirmed = fails().find(|f| f.unconfirmed.is_some());
    let samples: Vec<&Finding> = with_allowed.into_iter().chain(unconfirmed).collect();
    assert_eq!(samples.len(), 2, "the transcript fails both kinds of rule");
    samples
}

#[test]
fn every_failure_carries_its_requirement_from_the_catalog() {
    let (findings, _) = judged();
    for f in findings.iter().filter(|f| f.verdict == Verdict::Fail) {
        let info = dmct_rules::info(&f.rule).unwrap();
        assert_eq!(f.summary, info.summary);
        assert_eq!(f.allowed, info.allowed);
        assert_eq!(f.unconfirmed, info.unconfirmed);
        assert_eq!((&f.clause, f.level), (&info.clause, info.level));
    }
}

#[test]
fn text_junit_html_and_json_show_it_for_every_failure() {
    let (findings, t) = judged();
    let r = report(findings.clone());
    let text = render_text(&r);
    let junit = render_junit(&r);
    // The document's text with its character references read back, for substring
    // matching (the serializer may write any of the five XML entities).
    let junit_text = quick_xml::escape::unescape(&junit).unwrap().into_owned();
    let html = render_html(&r, &[&t]);
    let json: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
    let xml_escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    // As maud escapes: a single quote needs none in text or a double-quoted attribute.
    let html_escape = |s: &str| xml_escape(s).replace('"', "&quot;");
    for f in samples(&findings) {
        let head = format!("{} [client {}, {}]", f.rule, f.level, f.clause);
        let mut lines = vec![format!("requirement: {}", f.summary)];
        lines.extend(f.allowed.iter().map(|a| format!("allowed: {a}")));
        lines.extend(
            f.unconfirmed
                .iter()
                .map(|u| format!("clause unconfirmed: {u}")),
        );
        // Text and JUnit: the rule's line, then the requirement lines under it.
        for (name, out) in [("text", &text), ("junit", &junit_text)] {
            let needle = |s: &str| s.to_owned();
            let at = out
                .find(&needle(&head))
                .unwrap_or_else(|| panic!("{name}: {head}"));
            let block = &out[at..];
            for l in &lines {
                assert!(
                    block.contains(&needle(l)),
                    "{name} lacks {l:?} under {head}"
                );
            }
        }
        // HTML: in the finding's row, beside its clause and level (past the per-rule
        // summary, which names the rule too).
        let html = &html[html.find("<nav id=\"index\"").unwrap()..];
        let row_at = html
            .find(&format!("<code>{}</code>", f.rule))
            .unwrap_or_else(|| panic!("html: {}", f.rule));
        let row = &html[row_at..row_at + html[row_at..].find("</tr>").unwrap()];
        assert!(row.contains(&html_escape(&f.clause)) && row.contains(f.level.as_str()));
        for l in &lines {
            assert!(
                row.contains(&html_escape(l)),
                "html row of {} lacks {l:?}",
                f.rule
            );
        }
        // JSON: the finding's own fields.
        let jf = json["cases"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == f.rule.as_str())
            .unwrap();
        assert_eq!(jf["summary"], f.summary.as_str());
        assert_eq!(jf["clause"], f.clause.as_str());
        assert_eq!(jf["level"], f.level.as_str());
        let allowed: Vec<&str> = jf["allowed"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(allowed, f.allowed);
        assert_eq!(jf["unconfirmed"].as_str(), f.unconfirmed.as_deref());
    }
    // Each rendering says where to take a dispute.
    assert!(text.contains(DISPUTE_HINT));
    assert!(junit.contains(DISPUTE_HINT));
    assert!(html.contains(DISPUTE_HINT));
}

/// A finding read back from a report written before the requirement was recorded.
#[test]
fn older_findings_without_a_requirement_still_read() {
    let old = r#"{"rule":"msg/verdtd","clause":"[REP] §5.1","level":"MUST","role":"client",
        "verdict":"fail","detail":"VerDTD 1.1"}"#;
    let f: Finding = serde_json::from_str(old).unwrap();
    assert!(f.summary.is_empty() && f.allowed.is_empty() && f.unconfirmed.is_none());
    // No empty requirement line is made up for it.
    assert!(
        requirement_lines(&f)
            .iter()
            .all(|l| !l.starts_with("requirement"))
    );
}
