//! dmct's client against a DM server that is not dmct's (issue 13 item 3): one fault
//! never hides the others. A server that labels its answers wrongly, carries them in
//! another status than 200, adds elements dmct does not know or numbers its messages
//! oddly is judged for that, and the session goes on to its end.

use dmct_net::Responder;
use dmct_proto::transcript::{Closing, HttpRequest, HttpResponse};
use dmct_report::CaseVerdict;
use dmct_rules::{Role, Verdict};
use dmct_suite::runner::CaseResponder;
use dmct_suite::{Options, TargetServer, judge, peers};
use std::sync::Arc;

use crate::common;

/// How a scripted server changes an answer of the reference server.
type Edit = fn(&mut HttpResponse);

/// The reference server's answers, edited on the way out as another server's would be.
struct Scripted {
    inner: CaseResponder,
    edit: Edit,
}

impl Responder for Scripted {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        let mut r = self.inner.respond(request);
        (self.edit)(&mut r);
        r
    }
}

async fn scripted_server(edit: Edit) -> (dmct_net::ServeHandle, String) {
    let responder = Arc::new(Scripted {
        inner: CaseResponder::default(),
        edit,
    });
    let handle = dmct_net::serve(
        "127.0.0.1:0".parse().unwrap(),
        responder.clone(),
        dmct_net::Limits::default(),
    )
    .await
    .unwrap();
    let url = format!("http://{}/dm", handle.local_addr());
    responder
        .inner
        .install(Some(common::every_command_server(&url)));
    (handle, url)
}

fn relabel(r: &mut HttpResponse, label: Option<&str>) {
    r.headers
        .0
        .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
    if let Some(l) = label {
        r.headers.push("Content-Type", l);
    }
}

/// One session of dmct's client against the server at `url`, judged.
async fn session(url: &str) -> (dmct_suite::CaseRun, dmct_report::CaseResult) {
    let target = TargetServer::new(url, peers::default_client_creds());
    let run = dmct_suite::runner::drive_external_server(&target, &Options::default()).await;
    let result = judge(&run);
    (run, result)
}

fn failed_but(result: &dmct_report::CaseResult, rule: &str) -> Vec<String> {
    result
        .findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail && f.rule != rule)
        .map(|f| format!("{}: {}", f.rule, f.detail))
        .collect()
}

#[tokio::test]
async fn a_server_with_a_wrong_or_missing_content_type_gets_its_whole_session() {
    let cases: [(Edit, &str); 3] = [
        (
            |r| relabel(r, Some("application/vnd.syncml+xml")),
            "Content-Type application/vnd.syncml+xml is the SyncML Data Synchronization type",
        ),
        (|r| relabel(r, None), "no Content-Type"),
        (
            |r| relabel(r, Some("text/html; charset=utf-8")),
            "Content-Type text/html is not a DM type",
        ),
    ];
    for (edit, says) in cases {
        let (handle, url) = scripted_server(edit).await;
        let (run, result) = session(&url).await;
        // The client read every answer by its bytes and played the server's script to
        // its end: the package without commands.
        assert_eq!(run.transcript.closing, Closing::PeerDone, "{says}");
        assert!(run.transcript.exchanges.len() >= 3, "{says}");
        assert!(
            run.transcript
                .exchanges
                .iter()
                .all(|e| e.response.as_ref().is_some_and(|r| r.status == 200)),
            "{says}"
        );
        let ct = result
            .findings
            .iter()
            .find(|f| f.rule == "http/content-type" && f.role == Role::Server)
            .unwrap();
        assert_eq!(ct.verdict, Verdict::Fail, "{says}");
        assert_eq!(ct.exchange, Some(0), "{says}");
        assert!(ct.detail.starts_with(says), "{says}: {}", ct.detail);
        let others = failed_but(&result, "http/content-type");
        assert!(others.is_empty(), "{says}: {others:#?}");
        handle.shutdown().await;
    }
}

/// An element dmct does not know, in the SyncHdr and as a command, and MsgIDs that do not
/// start at 1: the codec keeps them, the client goes on, and nothing is failed for them
/// (the start of MsgIDs rests on SyncML RepPro, which is not readable here).
#[tokio::test]
async fn unknown_elements_and_an_odd_msgid_do_not_end_a_session() {
    let (handle, url) = scripted_server(|r| {
        let Ok(text) = std::str::from_utf8(r.body.as_bytes()) else {
            return;
        };
        let msg_id = |t: &str| {
            let n: u32 = t
                .split("<MsgID>")
                .nth(1)?
                .split("</MsgID>")
                .next()?
                .parse()
                .ok()?;
            Some(n)
        };
        let Some(n) = msg_id(text) else { return };
        // The unknown command rides in the first package only: a package with a
        // command (known or not) is not the one that ends the session.
        let vendor_ping = if n == 1 {
            "<VendorPing><CmdID>90</CmdID></VendorPing><Final/></SyncBody>"
        } else {
            "<Final/></SyncBody>"
        };
        let edited = text
            .replace(
                &format!("<MsgID>{n}</MsgID>"),
                &format!("<MsgID>{}</MsgID>", n + 6),
            )
            .replace("</SyncHdr>", "<VendorHint>fast-path</VendorHint></SyncHdr>")
            .replace("<Final/></SyncBody>", vendor_ping);
        r.body = edited.into_bytes().into();
    })
    .await;
    let (run, result) = session(&url).await;
    assert_eq!(run.transcript.closing, Closing::PeerDone);
    assert!(run.transcript.exchanges.len() >= 3);
    // The client answered the server's MsgIDs as they were.
    let second = dmct_proto::decode(run.transcript.exchanges[1].request.body.as_bytes()).unwrap();
    assert_eq!(
        second.message.synchdr_status().map(|s| s.msg_ref.as_str()),
        Some("7")
    );
    // The unknown command was answered like any other, with a Status naming it.
    assert!(
        second
            .message
            .body
            .commands
            .iter()
            .any(|c| matches!(c, dmct_proto::Command::Status(s) if s.cmd == "VendorPing")),
        "{}",
        second.wire_text()
    );
    // The unknown element was kept, not dropped.
    let answer = dmct_proto::decode(
        run.transcript.exchanges[0]
            .response
            .as_ref()
            .unwrap()
            .body
            .as_bytes(),
    )
    .unwrap();
    assert!(
        answer
            .message
            .hdr
            .extensions
            .iter()
            .any(|e| e.name == "VendorHint"),
        "{:?}",
        answer.message.hdr
    );
    let failed = failed_but(&result, "");
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(result.verdict, CaseVerdict::Pass, "{:#?}", result.findings);
    handle.shutdown().await;
}

/// A server that carries its DM messages in HTTP 500: the client reads them by their
/// bytes and plays the session to its end; the status is http/status-200's finding only.
#[tokio::test]
async fn a_dm_message_in_http_500_is_read_and_answered() {
    let (handle, url) = scripted_server(|r| r.status = 500).await;
    let (run, result) = session(&url).await;
    assert_eq!(run.transcript.closing, Closing::PeerDone);
    assert!(run.transcript.exchanges.len() >= 3);
    let f = result
        .findings
        .iter()
        .find(|f| f.rule == "http/status-200")
        .unwrap();
    assert_eq!(f.verdict, Verdict::Fail, "{}", f.detail);
    let others = failed_but(&result, "http/status-200");
    assert!(others.is_empty(), "{others:#?}");
    handle.shutdown().await;
}
