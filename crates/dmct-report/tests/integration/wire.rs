//! Every report shows the wire as it was: a WBXML exchange whose SyncHdr and Alert
//! children are out of DTD order, under the SyncML 1.1 public identifier, judged by the
//! catalog; the excerpts of its findings, in text, JSON, JUnit and HTML, keep that order
//! and that version.

use dmct_proto::transcript::{Body, Closing, Exchange, Headers, HttpRequest, Transcript};
use dmct_proto::wbxml::{Document, PUBLIC_ID_SYNCML_1_1, PublicId};
use dmct_report::*;
use dmct_rules::{Role, Side, Verdict};

/// VerProto before VerDTD, MsgID before SessionID, Data before CmdID: all out of the
/// DTD's order, as a peer may send them.
const PKG1_1_1: &str = concat!(
    r#"<SyncML xmlns="SYNCML:SYNCML1.1"><SyncHdr><VerProto>DM/1.1</VerProto>"#,
    "<VerDTD>1.1</VerDTD><MsgID>1</MsgID><SessionID>1</SessionID>",
    "<Target><LocURI>http://dm.example/dm</LocURI></Target>",
    "<Source><LocURI>IMEI:001010123456789</LocURI></Source></SyncHdr>",
    "<SyncBody><Alert><Data>1201</Data><CmdID>1</CmdID></Alert><Final/></SyncBody></SyncML>"
);

const HDR_AS_SENT: &str = "<SyncHdr><VerProto>DM/1.1</VerProto><VerDTD>1.1</VerDTD><MsgID>1</MsgID><SessionID>1</SessionID>";

/// The message as WBXML in the order written above (not the model's), with id 0x0FD3.
fn wbxml_1_1() -> Vec<u8> {
    let bytes = dmct_proto::wbxml::encode_document(&Document {
        version: 0x03,
        public_id: PublicId::Numeric(PUBLIC_ID_SYNCML_1_1),
        root: dmct_proto::xml::parse_tree(PKG1_1_1.as_bytes()).unwrap(),
    });
    assert_eq!(bytes[..3], [0x03, 0x9F, 0x53], "public id 0x0FD3");
    bytes
}

fn transcript() -> Transcript {
    Transcript {
        exchanges: vec![Exchange {
            request: HttpRequest {
                method: "POST".into(),
                target: "/dm".into(),
                headers: Headers(vec![(
                    "Content-Type".into(),
                    dmct_proto::CONTENT_TYPE_WBXML.into(),
                )]),
                body: Body::from(wbxml_1_1()),
            },
            response: None,
            failure: None,
            time: None,
        }],
        closing: Closing::Stopped,
        ..Default::default()
    }
}

fn report(t: &Transcript) -> RunReport {
    let findings: Vec<_> = dmct_rules::check(t)
        .into_iter()
        .filter(|f| f.role == Role::Client)
        .collect();
    let cases = vec![CaseResult {
        id: "wire/out-of-order".into(),
        title: "A SyncML 1.1 WBXML Package #1 out of DTD order".into(),
        role: Role::Client,
        peer: Peer {
            name: "a device".into(),
            faults: vec![],
            identity: vec![],
        },
        verdict: CaseVerdict::from_findings(&findings),
        findings,
        exchanges: 1,
        transcript: Some("transcripts/a.json".into()),
        authentication: Default::default(),
        ended: None,
        time: None,
        exchange_times: Vec::new(),
    }];
    RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        tool: Tool {
            name: "dmct".into(),
            version: "0.1.0".into(),
        },
        command: "check".into(),
        interrupted: false,
        summary: Summary::of(&cases),
        cases,
        selftest: None,
        duration_ms: 1,
        catalog: Default::default(),
        seeds: Vec::new(),
        profile_lacks: Vec::new(),
        partition: None,
        device: None,
        time: None,
    }
}

#[test]
fn findings_quote_the_wbxml_header_in_wire_order() {
    let t = transcript();
    let r = report(&t);
    let verdtd = r.cases[0]
        .findings
        .iter()
        .find(|f| f.rule == "msg/verdtd" && f.verdict == Verdict::Fail)
        .expect("VerDTD 1.1 fails msg/verdtd");
    assert_eq!(
        (verdtd.exchange, verdtd.message),
        (Some(0), Some(Side::Request))
    );
    let excerpt = verdtd.excerpt.as_deref().unwrap();
    assert!(
        excerpt.starts_with(&format!(
            "{} {HDR_AS_SENT}",
            dmct_proto::xml::WBXML_EXCERPT_LABEL
        )),
        "{excerpt}"
    );

    let text = render_text(&r);
    assert!(text.contains(HDR_AS_SENT), "{text}");
    let json: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
    let quoted = json["cases"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["excerpt"].as_str())
        .find(|e| e.contains("<SyncHdr>"))
        .unwrap();
    assert!(quoted.contains(HDR_AS_SENT), "{quoted}");
    let junit = render_junit(&r);
    let escaped = HDR_AS_SENT.replace('<', "&lt;").replace('>', "&gt;");
    assert!(junit.contains(&escaped), "{junit}");
}

#[test]
fn the_html_body_and_its_highlight_are_the_wire_order_and_version() {
    let t = transcript();
    let html = render_html(&report(&t), &[&t]);
    let esc = |s: &str| s.replace('<', "&lt;").replace('>', "&gt;");
    // The body: the header the bytes carried, the namespace of 1.1, the sender's order.
    assert!(html.contains("public id 0x0FD3 (-//SYNCML//DTD SyncML 1.1//EN)"));
    assert!(html.contains("&lt;SyncML xmlns=&quot;SYNCML:SYNCML1.1&quot;&gt;"));
    assert!(!html.contains("SYNCML:SYNCML1.2"));
    assert!(html.contains(&esc(
        "<Alert>\n      <Data>1201</Data>\n      <CmdID>1</CmdID>"
    )));
    // The msg/verdtd evidence is found in that body and marked there.
    let mark = html
        .find("<mark class=\"violation\" title=\"evidence: ")
        .expect("a highlight in the body");
    let marked = &html[mark..mark + html[mark..].find("</mark>").unwrap()];
    assert!(marked.contains("msg/verdtd"), "{marked}");
    assert!(
        marked.contains(&esc(
            "<SyncHdr>\n    <VerProto>DM/1.1</VerProto>\n    <VerDTD>"
        )),
        "{marked}"
    );
}
