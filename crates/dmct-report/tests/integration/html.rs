//! The HTML report, built from a hand-made run: one passing case, one failing case with
//! an excerpt, a WBXML body, a body that is not UTF-8 and an exchange that timed out.

use dmct_proto::transcript::{
    Body, Closing, Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse, Transcript,
};
use dmct_proto::xml::Encoding;
use dmct_report::*;
use dmct_rules::{Finding, Level, Role, Side, Verdict};

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'q'";

fn message(msg_id: u32, ver_dtd: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>{ver_dtd}</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>{msg_id}</MsgID><Target><LocURI>http://dm.example/dm?a=1&amp;b=2</LocURI></Target><Source><LocURI>IMEI:001010123456789</LocURI></Source></SyncHdr><SyncBody>{body}<Final/></SyncBody></SyncML>"#
    )
}

const PKG1_BODY: &str = "<Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Replace><CmdID>2</CmdID><Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>IMEI:001010123456789</Data></Item></Replace>";
const PKG2_BODY: &str = "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status><Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status><Get><CmdID>3</CmdID><Item><Target><LocURI>./DevInfo/Mod</LocURI></Target></Item></Get>";

fn xml_headers() -> Headers {
    Headers(vec![
        (
            "Content-Type".into(),
            "application/vnd.syncml.dm+xml".into(),
        ),
        ("X-Note".into(), HOSTILE.into()),
    ])
}

fn request(body: Vec<u8>) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        target: "/dm?s=1".into(),
        headers: xml_headers(),
        body: Body::from(body),
    }
}

fn response(status: u16, body: Vec<u8>) -> Option<HttpResponse> {
    Some(HttpResponse {
        status,
        headers: xml_headers(),
        body: Body::from(body),
    })
}

fn finding(rule: &str, level: Level, verdict: Verdict, at: Option<(usize, Side)>) -> Finding {
    Finding {
        rule: rule.into(),
        unconfirmed: None,
        clause: "[REP] §5.1".into(),
        level,
        summary: format!("what {rule} requires"),
        allowed: vec![format!("what {rule} allows")],
        role: Role::Server,
        verdict,
        exchange: at.map(|(k, _)| k),
        message: at.map(|(_, s)| s),
        detail: format!("detail of {rule}"),
        excerpt: None,
        span: None,
    }
}

fn wbxml(xml: &str) -> Vec<u8> {
    let decoded = dmct_proto::decode(xml.as_bytes()).unwrap();
    let bytes = dmct_proto::encode(&decoded.message, Encoding::Wbxml);
    assert_eq!(
        dmct_proto::decode(&bytes).unwrap().encoding,
        Encoding::Wbxml
    );
    bytes
}

/// The passing case's transcript: one clean exchange.
fn passing_transcript() -> Transcript {
    Transcript {
        exchanges: vec![Exchange {
            request: request(message(1, "1.2", PKG1_BODY).into_bytes()),
            response: response(200, message(1, "1.2", PKG2_BODY).into_bytes()),
            failure: None,
            time: None,
        }],
        closing: Closing::PeerDone,
        ..Default::default()
    }
}

/// The failing case's transcript: VerDTD 1.1 in a response, a WBXML request answered
/// with bytes that are not UTF-8, then a request that never got an answer.
fn failing_transcript() -> Transcript {
    Transcript {
        exchanges: vec![
            Exchange {
                request: request(message(1, "1.2", PKG1_BODY).into_bytes()),
                response: response(200, message(1, "1.1", PKG2_BODY).into_bytes()),
                failure: None,
                time: None,
            },
            Exchange {
                request: request(wbxml(&message(2, "1.2", PKG1_BODY))),
                response: response(200, vec![0xff, 0xfe, 0x00, 0x80, b'<', b'x', 0xc3]),
                failure: None,
                time: None,
            },
            Exchange {
                request: request(message(3, "1.2", PKG1_BODY).into_bytes()),
                response: None,
                failure: Some(ExchangeFailure::Timeout {
                    after_ms: 5000,
                    awaiting: "response".into(),
                }),
                time: None,
            },
        ],
        closing: Closing::SessionTimeout {
            after_ms: 5000,
            awaiting: "response".into(),
        },
        ..Default::default()
    }
}

fn report() -> RunReport {
    let passing = CaseResult {
        id: "session/get-replace".into(),
        title: "A management session".into(),
        role: Role::Client,
        peer: Peer {
            name: "builtin-client".into(),
            faults: vec![],
            identity: vec![("DevId".into(), "IMEI:001010123456789".into())],
        },
        verdict: CaseVerdict::Pass,
        findings: vec![
            finding(
                "pkg1/alert",
                Level::Must,
                Verdict::Pass,
                Some((0, Side::Request)),
            ),
            finding(
                "alert/valid-code",
                Level::Must,
                Verdict::NotApplicable,
                None,
            ),
        ],
        exchanges: 1,
        transcript: Some("transcripts/a.json".into()),
        authentication: Default::default(),
        ended: None,
        time: None,
        exchange_times: Vec::new(),
    };
    let mut verdtd = finding(
        "msg/verdtd",
        Level::Must,
        Verdict::Fail,
        Some((0, Side::Response)),
    );
    verdtd.detail = format!("VerDTD is 1.1; {HOSTILE}");
    verdtd.excerpt = Some("<SyncHdr><VerDTD>1.1</VerDTD><VerProto>DM/1.2</VerProto>".into());
    let mut wb = finding(
        "pkg1/alert",
        Level::Should,
        Verdict::Fail,
        Some((1, Side::Request)),
    );
    wb.excerpt =
        Some("[WBXML, shown as XML] <Alert><CmdID>1</CmdID><Data>1201</Data></Alert>".into());
    let mut elsewhere = finding(
        "status/every-command",
        Level::MustNot,
        Verdict::Fail,
        Some((1, Side::Response)),
    );
    elsewhere.excerpt = Some("<Exec><CmdID>9</CmdID></Exec>".into());
    let failing = CaseResult {
        id: "session/get-replace".into(),
        title: format!("Faulty server {HOSTILE}"),
        role: Role::Server,
        peer: Peer {
            name: "builtin-server".into(),
            faults: vec!["verdtd-1.1".into()],
            identity: vec![],
        },
        verdict: CaseVerdict::Fail,
        findings: vec![
            finding(
                "msg/verproto",
                Level::Must,
                Verdict::Pass,
                Some((0, Side::Response)),
            ),
            verdtd,
            finding(
                "session/server-answers-every-package",
                Level::Must,
                Verdict::Inconclusive,
                Some((2, Side::Response)),
            ),
            wb,
            elsewhere,
        ],
        exchanges: 3,
        transcript: Some("transcripts/b.json".into()),
        authentication: Default::default(),
        ended: None,
        time: None,
        exchange_times: Vec::new(),
    };
    let cases = vec![passing, failing];
    RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool {
            name: "dmct".into(),
            version: "0.1.0".into(),
        },
        command: "selftest".into(),
        interrupted: false,
        summary: Summary::of(&cases),
        cases,
        selftest: Some(Selftest {
            mutation_score: 0.5,
            faults: vec![
                FaultCheck {
                    peer: "builtin-server".into(),
                    fault: "verdtd-1.1".into(),
                    breaks: vec!["msg/verdtd".into()],
                    caught: vec![("msg/verdtd".into(), "session/get-replace".into())],
                    missed: vec![],
                },
                FaultCheck {
                    peer: "builtin-server".into(),
                    fault: "quiet-fault".into(),
                    breaks: vec!["msg/never-seen".into()],
                    caught: vec![],
                    missed: vec!["msg/never-seen".into()],
                },
            ],
            conformant_pass: true,
            harness_failures: Vec::new(),
        }),
        duration_ms: 1234,
        catalog: Default::default(),
        seeds: Vec::new(),
        profile_lacks: Vec::new(),
        partition: None,
        device: None,
        time: None,
    }
}

fn render() -> String {
    let (a, b) = (passing_transcript(), failing_transcript());
    render_html(&report(), &[&a, &b])
}

/// The values of every `name="..."` / `name='...'` attribute.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&format!("{name}=")) {
        let start = from + at + name.len() + 1;
        from = start;
        // Only a real attribute: preceded by white space.
        if !html[..start - name.len() - 1].ends_with(char::is_whitespace) {
            continue;
        }
        let rest = &html[start..];
        let Some(q) = rest.chars().next() else { break };
        let value = if q == '"' || q == '\'' {
            rest[1..].split(q).next().unwrap_or_default()
        } else {
            rest.split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or_default()
        };
        values.push(value.to_string());
    }
    values
}

fn ids(html: &str) -> Vec<String> {
    attribute_values(html, "id")
}

/// The HTML of the element that carries `id`, up to the next exchange or section.
fn element_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).expect(id);
    let rest = &html[at..];
    let end = rest[1..]
        .find("<div class=\"exchange")
        .map(|e| e + 1)
        .or_else(|| rest.find("</section>"))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn is_one_self_contained_file() {
    let html = render();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<link"), "no stylesheet or icon links");
    assert!(!lower.contains("<script src"), "no external script");
    assert!(
        !lower.contains("@import") && !lower.contains("url("),
        "no CSS fetches"
    );
    assert!(!lower.contains("<img") && !lower.contains("<iframe"));
    for attr in [
        "src",
        "href",
        "xlink:href",
        "action",
        "srcset",
        "poster",
        "data",
    ] {
        for v in attribute_values(&html, attr) {
            assert!(
                v.starts_with('#'),
                "{attr}=\"{v}\" is not an in-page anchor"
            );
            assert!(!v.contains("http://") && !v.contains("https://"));
        }
    }
    // Bodies do hold URLs, but only as escaped text.
    assert!(html.contains("http://dm.example/dm?a=1&amp;amp;b=2"));
    // Exactly one script element: the inline one.
    assert_eq!(lower.matches("<script").count(), 1);
    assert!(lower.contains("<script>\n"));
}

#[test]
fn escapes_everything_that_came_from_outside() {
    let html = render();
    assert!(
        !html.contains("<script>alert"),
        "peer text must not become markup"
    );
    // maud escapes `&`, `<`, `>` and `"`; a single quote is inert in text and in the
    // double-quoted attributes maud writes.
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'q'"));
    // In a header, a finding detail and a case title.
    assert!(html.contains("X-Note: &lt;script&gt;"));
    assert!(html.contains("VerDTD is 1.1; &lt;script&gt;"));
    assert!(html.contains("Faulty server &lt;script&gt;"));
}

#[test]
fn summary_counts_cases_levels_peers_and_the_selftest() {
    let html = render();
    let summary = element_with_id(&html, "summary");
    let summary = &summary[..summary.find("</section>").unwrap()];
    assert!(summary.contains("dmct 0.1.0"));
    assert!(summary.contains("<code>selftest</code>"));
    assert!(summary.contains("data-count=\"cases\">2<"));
    assert!(summary.contains("data-count=\"pass\">1<"));
    assert!(summary.contains("data-count=\"fail\">1<"));
    assert!(summary.contains("data-count=\"inconclusive\">0<"));
    // Failed findings per level: one MUST, one MUST NOT, one SHOULD; one inconclusive MUST.
    assert!(summary.contains("data-level=\"MUST\"><td>MUST</td><td>1</td><td>1</td><td>1</td>"));
    assert!(summary.contains("data-level=\"MUST NOT\"><td>MUST NOT</td><td>1</td>"));
    assert!(summary.contains("data-level=\"SHOULD\"><td>SHOULD</td><td>1</td>"));
    assert!(summary.contains("data-level=\"MAY\"><td>MAY</td><td>0</td>"));
    assert!(summary.contains("duration 1.2 s"));
    // Peers, with faults and DevInfo identity.
    assert!(summary.contains("<code>builtin-client</code>"));
    assert!(summary.contains("<code>verdtd-1.1</code>"));
    assert!(summary.contains("DevId = <code>IMEI:001010123456789</code>"));
    // The selftest: score, and the fault that was missed.
    assert!(summary.contains("id=\"selftest\""));
    assert!(summary.contains("Mutation score <strong>50.0%</strong>: 1 of 2 faults caught"));
    assert!(summary.contains(
        "<strong>MISSED</strong> <code>builtin-server</code> fault <code>quiet-fault</code>"
    ));
}

#[test]
fn failing_findings_come_first_and_link_to_their_exchange() {
    let html = render();
    let case = element_with_id(&html, "case-1");
    assert!(case.starts_with("id=\"case-1\""));
    let rows: Vec<&str> = case.split("<tr class=\"finding ").skip(1).collect();
    let verdicts: Vec<&str> = rows.iter().map(|r| r.split('"').next().unwrap()).collect();
    assert_eq!(verdicts, ["fail", "fail", "fail", "inconclusive", "pass"]);
    let verdtd = rows.iter().find(|r| r.contains("msg/verdtd")).unwrap();
    assert!(verdtd.contains("<a href=\"#case-1-ex-0\">exchange #0 response</a>"));
    assert!(verdtd.contains("MUST"));
    assert!(verdtd.contains("[REP] §5.1"));
    // Every in-page link has its target.
    let ids = ids(&html);
    for href in attribute_values(&html, "href") {
        let target = href.trim_start_matches('#');
        assert!(
            ids.iter().any(|i| i == target),
            "no element with id {target}"
        );
    }
    assert!(ids.iter().any(|i| i == "case-1-ex-0"));
    assert!(ids.iter().any(|i| i == "case-1-ex-2"));
}

#[test]
fn the_quoted_element_is_highlighted() {
    let html = render();
    let ex0 = element_with_id(&html, "case-1-ex-0");
    let mark = ex0.find("<mark class=\"violation\"").expect("a highlight");
    let marked = &ex0[mark..ex0[mark..].find("</mark>").unwrap() + mark];
    assert!(marked.contains("title=\"evidence: msg/verdtd\""));
    // An XML body is shown as it was sent, so the excerpt is found in it verbatim.
    assert!(marked.contains("&lt;SyncHdr&gt;&lt;VerDTD&gt;1.1&lt;/VerDTD&gt;&lt;VerProto&gt;"));
    assert!(marked.ends_with("&lt;VerProto&gt;DM/1.2&lt;/VerProto&gt;"));
    // In the WBXML body, shown as XML.
    let ex1 = element_with_id(&html, "case-1-ex-1");
    assert!(ex1.contains(
        "<mark class=\"violation\" title=\"evidence: pkg1/alert\">&lt;Alert&gt;\n      \
         &lt;CmdID&gt;1&lt;/CmdID&gt;"
    ));
    // An excerpt that is not in the message is shown above its body, highlighted.
    assert!(
        ex1.contains(
            "<pre class=\"evidence\"><mark class=\"violation\">&lt;Exec&gt;&lt;CmdID&gt;9"
        )
    );
    // The passing case has no highlight.
    assert!(!element_with_id(&html, "case-0").contains("<mark"));
}

#[test]
fn bodies_are_decoded_or_shown_as_text_or_hex() {
    let html = render();
    let ex1 = element_with_id(&html, "case-1-ex-1");
    let wbxml = ex1.find("WBXML, shown as XML").expect("WBXML label");
    let after = &ex1[wbxml..];
    assert!(after.contains("&lt;SyncML xmlns=&quot;SYNCML:SYNCML1.2&quot;&gt;"));
    assert!(after.contains("&lt;MsgID&gt;2&lt;/MsgID&gt;"));
    // The response is not UTF-8: a hex dump.
    assert!(ex1.contains("not UTF-8, shown as hex"));
    assert!(ex1.contains("00000000  ff fe 00 80 3c 78 c3"));
    assert!(ex1.contains("|....&lt;x.|"));
    // The exchange that timed out.
    let ex2 = element_with_id(&html, "case-1-ex-2");
    assert!(ex2.contains("No complete response: timed out after 5000 ms awaiting the response"));
}

#[test]
fn sequence_diagram_has_an_arrow_per_message_and_red_for_failures() {
    let html = render();
    let case = element_with_id(&html, "case-1");
    let svg = &case[case.find("<svg class=\"seq\"").unwrap()..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    let groups: Vec<&str> = svg.split("<g><title>").skip(1).collect();
    // 2 + 2 + (request + failure).
    assert_eq!(groups.len(), 6, "{svg}");
    assert!(groups[0].starts_with("POST /dm?s=1 \u{2014} MsgID 1: Alert, Replace</title>"));
    assert!(groups[1].starts_with("200 OK \u{2014} MsgID 1: Status\u{d7}2, Get</title>"));
    assert!(groups[3].starts_with("200 OK \u{2014} (undecodable)</title>"));
    assert!(groups[5].contains("timed out after 5000 ms"));
    let red = "stroke=\"#b3261e\"";
    assert!(!groups[0].contains(red), "clean request is not red");
    assert!(groups[1].contains(red), "the VerDTD 1.1 response is red");
    assert!(
        groups[2].contains(red),
        "the WBXML request carries a failing finding"
    );
    assert!(groups[5].contains(red) && groups[5].contains("stroke-dasharray"));
    // Arrows lead to their exchange.
    assert!(svg.contains("<a href=\"#case-1-ex-1\">"));
}

#[test]
fn a_missing_transcript_is_said_so() {
    let a = passing_transcript();
    let html = render_html(&report(), &[&a]);
    let case = element_with_id(&html, "case-1");
    assert!(case.contains("Transcript not available"));
    assert!(!html.contains("id=\"case-1-ex-0\""));
    // Findings still list their place, without a dangling link.
    assert!(case.contains("exchange #0 response <span class=\"muted\">(not in transcript)</span>"));
    let ids = ids(&html);
    for href in attribute_values(&html, "href") {
        assert!(ids.iter().any(|i| *i == href[1..]), "dangling {href}");
    }
    // And no transcripts at all is fine too.
    let html = render_html(&report(), &[]);
    assert_eq!(html.matches("Transcript not available").count(), 2);
}

#[test]
fn output_is_deterministic() {
    assert_eq!(render(), render());
}

/// Cases that share one transcript (both roles of a checked file) show the same page as
/// cases with copies of it: the page decodes each shared body once, and nothing else
/// changes.
#[test]
fn a_shared_transcript_shows_as_its_copies_do() {
    let mut r = report();
    r.cases.truncate(2);
    let t = failing_transcript();
    let copy = t.clone();
    let shared = render_html(&r, &[&t, &t]);
    let copies = render_html(&r, &[&t, &copy]);
    assert_eq!(shared, copies);
    assert!(
        shared.contains("id=\"case-1-ex-1\""),
        "the second case shows its exchanges"
    );
}

/// Peer text that would be markup, and would leave a double-quoted attribute.
const MARKUP: &str = "<script>alert(\"x\")</script> & 'q' \" onfocus=\"y";
/// [`MARKUP`] as the page must show it.
const SHOWN: &str =
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'q' &quot; onfocus=&quot;y";

/// A run in which every string the page shows from outside (the peer's bytes, what the
/// checker quoted of them, names and paths) is [`MARKUP`].
fn hostile_run() -> (RunReport, Transcript) {
    let headers = Headers(vec![(MARKUP.into(), MARKUP.into())]);
    // A body that is no DM message, so it is shown as the text it is.
    let body = || Body::from(MARKUP.as_bytes().to_vec());
    let transcript = Transcript {
        exchanges: vec![
            Exchange {
                request: HttpRequest {
                    method: MARKUP.into(),
                    target: MARKUP.into(),
                    headers: headers.clone(),
                    body: body(),
                },
                response: Some(HttpResponse {
                    status: 200,
                    headers,
                    body: body(),
                }),
                failure: None,
                time: None,
            },
            Exchange {
                request: request(message(2, "1.2", PKG1_BODY).into_bytes()),
                response: None,
                failure: Some(ExchangeFailure::ConnectionClosed {
                    detail: MARKUP.into(),
                }),
                time: None,
            },
        ],
        package0: Some(body()),
        closing: Closing::HarnessFault {
            detail: MARKUP.into(),
        },
        ..Default::default()
    };
    let finding = |excerpt: &str, at: usize| Finding {
        rule: MARKUP.into(),
        unconfirmed: Some(MARKUP.into()),
        clause: MARKUP.into(),
        level: Level::Must,
        summary: MARKUP.into(),
        allowed: vec![MARKUP.into()],
        role: Role::Client,
        verdict: Verdict::Fail,
        exchange: Some(at),
        message: Some(Side::Request),
        detail: MARKUP.into(),
        excerpt: Some(excerpt.into()),
        span: None,
    };
    let peer = Peer {
        name: MARKUP.into(),
        faults: vec![MARKUP.into()],
        identity: vec![(MARKUP.into(), MARKUP.into())],
    };
    let case = |ended: Option<SessionEnd>, findings: Vec<Finding>| CaseResult {
        id: MARKUP.into(),
        title: MARKUP.into(),
        role: Role::Client,
        peer: peer.clone(),
        verdict: CaseVerdict::Fail,
        findings,
        exchanges: 2,
        transcript: Some(MARKUP.into()),
        authentication: Default::default(),
        ended,
        time: None,
        exchange_times: Vec::new(),
    };
    let ended = SessionEnd {
        how: EndKind::ConnectionReset,
        detail: MARKUP.into(),
        at: Some(MARKUP.into()),
    };
    let cases = vec![
        // Found in the body (highlighted), and quoted from nowhere in the message.
        case(
            Some(ended),
            vec![finding("script", 0), finding("<Exec>", 0)],
        ),
        case(None, vec![finding(MARKUP, 1)]),
    ];
    let report = RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool {
            name: MARKUP.into(),
            version: MARKUP.into(),
        },
        command: MARKUP.into(),
        interrupted: false,
        summary: Summary::of(&cases),
        cases,
        selftest: Some(Selftest {
            mutation_score: 0.0,
            faults: vec![FaultCheck {
                peer: MARKUP.into(),
                fault: MARKUP.into(),
                breaks: vec![MARKUP.into()],
                caught: vec![(MARKUP.into(), MARKUP.into())],
                missed: vec![MARKUP.into()],
            }],
            conformant_pass: false,
            harness_failures: Vec::new(),
        }),
        duration_ms: 1,
        catalog: Default::default(),
        seeds: Vec::new(),
        profile_lacks: Vec::new(),
        partition: None,
        device: None,
        time: None,
    };
    (report, transcript)
}

#[test]
fn peer_markup_is_escaped_wherever_the_page_shows_it() {
    let (report, t) = hostile_run();
    let html = render_html(&report, &[&t, &t]);
    // Nothing of it became markup or left an attribute.
    let lower = html.to_ascii_lowercase();
    assert_eq!(
        lower.matches("<script").count(),
        1,
        "only the inline script"
    );
    assert!(!html.contains("alert(\"x\")"));
    assert!(!html.contains("\" onfocus=\""));
    let e = SHOWN;
    let places = [
        ("page title", format!("<title>{e} {e} {e} report</title>")),
        (
            "heading",
            format!("<h1>{e} {e} <span class=\"cmd\">{e}</span></h1>"),
        ),
        ("command", format!("Command <code>{e}</code>")),
        (
            "footer",
            format!("Generated by {e} {e} from the run report"),
        ),
        (
            "peer table",
            format!("<tr><td><code>{e}</code></td><td><code>{e}</code></td>"),
        ),
        ("identity", format!("<td>{e} = <code>{e}</code></td>")),
        (
            "selftest",
            format!("<code>{e}</code> fault <code>{e}</code>: never failed <code>{e}</code>"),
        ),
        (
            "caught by",
            format!("<code>{e}</code> in {e}<br><code>{e}</code> <strong>never"),
        ),
        (
            "rule summary",
            format!(
                "data-rule=\"{e}\"><td><code>{e}</code></td><td>MUST</td><td>{e}</td><td>{e}</td>"
            ),
        ),
        (
            "index",
            format!(
                "<a href=\"#case-0\"><code>{e}</code></a> {e}</td><td>client</td><td>{e} [fault: {e}]</td><td><code class=\"fail\">{e}</code>"
            ),
        ),
        (
            "case heading",
            format!("<code>{e}</code> \u{2014} {e}</h2>"),
        ),
        (
            "case meta",
            format!(
                "Peer: <code>{e} [fault: {e}]</code></span> <span>2 exchanges</span> <span>Transcript: <code>{e}</code></span> <span>Session ended (connection-reset): {e}, at {e}</span>"
            ),
        ),
        (
            "closing",
            format!(
                "<span>Observation ended: dmct itself failed (a harness limit, not the peer's doing): {e}</span>"
            ),
        ),
        (
            "peer identity",
            format!("Peer identity: {e} = <code>{e}</code>"),
        ),
        (
            "finding row",
            format!("<td><code>{e}</code></td><td>{e}</td><td>MUST</td><td>client</td>"),
        ),
        (
            "requirement",
            format!(
                "<li>requirement: {e}</li><li>allowed: {e}</li><li>clause unconfirmed: {e}</li>"
            ),
        ),
        (
            "excerpt",
            format!("<summary>excerpt</summary><pre>{e}</pre>"),
        ),
        (
            "exchange heading",
            format!(
                "<h3>Exchange #0: <code>{e} {e}</code> \u{2192} <code>HTTP/1.1 200 OK</code></h3>"
            ),
        ),
        (
            "request head",
            format!("<pre class=\"head\">{e} {e} HTTP/1.1\n{e}: {e}\n</pre>"),
        ),
        (
            "response head",
            format!("<pre class=\"head\">HTTP/1.1 200 OK\n{e}: {e}\n</pre>"),
        ),
        ("findings here", format!("<code>{e}</code> (MUST) {e}</li>")),
        (
            "highlight",
            format!(
                "&lt;<mark class=\"violation\" title=\"evidence: {e}\">script</mark>&gt;alert("
            ),
        ),
        (
            "loose evidence",
            format!("Evidence for <code>{e}</code>, as the rule quoted it"),
        ),
        (
            "quoted evidence",
            "<mark class=\"violation\">&lt;Exec&gt;</mark>".to_string(),
        ),
        ("body", format!("<pre class=\"body\">{e}</pre>")),
        (
            "failure",
            format!("No complete response: connection closed early: {e}</p>"),
        ),
        (
            "diagram label",
            format!("<title>{e} {e} \u{2014} (undecodable)</title>"),
        ),
        (
            "diagram failure",
            format!("<title>\u{2717} no complete response: connection closed early: {e}</title>"),
        ),
        ("package 0", "|&lt;script&gt;alert(&quot;x|\n".to_string()),
    ];
    for (place, want) in places {
        assert!(html.contains(&want), "{place}: {want}\nnot in the page");
    }
}

/// A page of one failing case whose one finding, on the response of its one exchange,
/// quotes `excerpt` with `span` (or no span).
fn one_finding_page(body: Vec<u8>, excerpt: &str, span: Option<(usize, usize)>) -> String {
    let t = Transcript {
        exchanges: vec![Exchange {
            request: request(message(1, "1.2", PKG1_BODY).into_bytes()),
            response: response(200, body),
            failure: None,
            time: None,
        }],
        closing: Closing::PeerDone,
        ..Default::default()
    };
    let mut f = finding(
        "msg/cmdid-unique",
        Level::Must,
        Verdict::Fail,
        Some((0, Side::Response)),
    );
    f.excerpt = Some(excerpt.into());
    f.span = span.map(|(start, end)| dmct_rules::ByteSpan { start, end });
    let mut r = report();
    let mut case = r.cases[0].clone();
    case.verdict = CaseVerdict::Fail;
    case.findings = vec![f];
    r.cases = vec![case];
    render_html(&r, &[&t])
}

/// How many `<Get>`s the body shown holds before the (one) highlight, and the text
/// highlighted.
fn gets_before_the_mark(html: &str) -> (usize, String) {
    let at = html.find("<mark class=\"violation\"").expect("a highlight");
    let body = html[..at].rfind("<pre class=\"body\">").expect("in a body");
    let inside = &html[at..];
    let inside = &inside[inside.find('>').unwrap() + 1..inside.find("</mark>").unwrap()];
    (
        html[body..at].matches("&lt;Get&gt;").count(),
        inside.to_owned(),
    )
}

const GET: &str =
    "<Get><CmdID>3</CmdID><Item><Target><LocURI>./DevInfo/Mod</LocURI></Target></Item></Get>";

/// A finding's span is its highlight, exactly: of two identical commands, the one the
/// span names is marked, where a search for the excerpt's text would find the first.
#[test]
fn the_span_marks_the_element_it_names_not_the_first_like_it() {
    let body = message(1, "1.2", &format!("{GET}{GET}"));
    let second = body.rfind(GET).unwrap();
    assert_ne!(body.find(GET), Some(second));
    let span = Some((second, second + GET.len()));
    let html = one_finding_page(body.clone().into_bytes(), GET, span);
    assert_eq!(
        gets_before_the_mark(&html),
        (1, html_escape(GET)),
        "the second Get is the one marked"
    );
    // Without the span, the text is all there is to go by: the first one like it.
    let html = one_finding_page(body.into_bytes(), GET, None);
    assert_eq!(gets_before_the_mark(&html).0, 0);
}

/// The same in a WBXML body, shown as XML written from its tokens: the span (bytes of
/// the WBXML) marks the lines of the view that show the element it names.
#[test]
fn in_a_wbxml_body_the_span_marks_the_element_it_names_in_its_xml_view() {
    let body = wbxml(&message(1, "1.2", &format!("{GET}{GET}")));
    let decoded = dmct_proto::decode(&body).unwrap();
    let (first, second) = (
        &decoded.spans.commands.get(0).unwrap(),
        &decoded.spans.commands.get(1).unwrap(),
    );
    assert_eq!(
        body[first.clone()],
        body[second.clone()],
        "two identical Gets"
    );
    let excerpt = decoded.command_excerpt(1).unwrap();
    let page = |span| {
        let html = one_finding_page(body.clone(), &excerpt, span);
        assert!(html.contains("WBXML, shown as XML"));
        gets_before_the_mark(&html)
    };
    let (before, marked) = page(Some((second.start, second.end)));
    assert_eq!(before, 1, "the second Get is the one marked");
    // The whole element, indented as the view shows it, from its start tag to its end.
    assert!(marked.starts_with("&lt;Get&gt;\n"), "{marked}");
    assert!(marked.ends_with("&lt;/Get&gt;"), "{marked}");
    assert_eq!(marked.matches("&lt;Get&gt;").count(), 1);
    assert!(marked.contains("&lt;LocURI&gt;./DevInfo/Mod&lt;/LocURI&gt;"));
    // The first Get's span marks the first; without a span, the text finds the first.
    assert_eq!(page(Some((first.start, first.end))).0, 0);
    assert_eq!(page(None).0, 0);
    // A span that names no element of the body (a report from elsewhere) falls back to
    // the text too.
    assert_eq!(page(Some((second.start, second.end - 1))).0, 0);
}

/// A span past the cut of a long body is not looked for in the text shown (the Gets
/// shown are like it but not it): the evidence stands on its own, said to be further on.
#[test]
fn a_span_past_the_cut_marks_no_element_like_it() {
    let body = message(1, "1.2", &GET.repeat(1_000));
    let last = body.rfind(GET).unwrap();
    let wbxml_body = wbxml(&body);
    let d = dmct_proto::decode(&wbxml_body).unwrap();
    let wbxml_last = d.spans.commands.last().unwrap();
    let excerpt = d.command_excerpt(d.spans.commands.len() - 1).unwrap();
    for (bytes, excerpt, span) in [
        (
            body.clone().into_bytes(),
            GET.to_owned(),
            (last, last + GET.len()),
        ),
        (wbxml_body, excerpt, (wbxml_last.start, wbxml_last.end)),
    ] {
        let html = one_finding_page(bytes, &excerpt, Some(span));
        assert!(html.contains("cut: the first"), "the body is cut");
        let bodies: Vec<&str> = html
            .split("<pre class=\"body\">")
            .skip(1)
            .map(|b| &b[..b.find("</pre>").unwrap()])
            .collect();
        assert_eq!(bodies.len(), 2);
        assert!(
            bodies.iter().all(|b| !b.contains("<mark")),
            "nothing marked"
        );
        assert!(html.contains("past the part shown"));
    }
}

fn html_escape(s: &str) -> String {
    s.replace('<', "&lt;").replace('>', "&gt;")
}
