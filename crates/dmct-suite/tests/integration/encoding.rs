//! The client speaks either encoding: with `client_encoding` set, every server-side
//! scenario runs in it, against a server written to speak only WBXML ([REP] §5 allows
//! a server that supports one encoding).

use dmct_net::Responder;
use dmct_proto::transcript::{Headers, HttpRequest, HttpResponse};
use dmct_proto::xml::Encoding;
use dmct_proto::{CONTENT_TYPE_WBXML, CONTENT_TYPE_XML};
use dmct_report::CaseVerdict;
use dmct_rules::Role;
use dmct_suite::runner::CaseResponder;
use dmct_suite::{Options, TargetServer, peers};
use std::sync::Arc;

use crate::common;

/// A DM server that refuses anything but WBXML with 415, as a WBXML-only server does,
/// and otherwise lets the reference server answer.
#[derive(Default)]
struct WbxmlOnly(CaseResponder);

impl Responder for WbxmlOnly {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        if request.headers.media_type().and_then(Result::ok).as_deref() != Some(CONTENT_TYPE_WBXML)
        {
            let mut headers = Headers::default();
            headers.push("Content-Type", "text/plain; charset=utf-8");
            return HttpResponse {
                status: 415,
                headers,
                body: b"this server speaks WBXML only\n".to_vec().into(),
            };
        }
        self.0.respond(request)
    }
}

async fn wbxml_only_server() -> (dmct_net::ServeHandle, String) {
    let responder = Arc::new(WbxmlOnly::default());
    let handle = dmct_net::serve(
        "127.0.0.1:0".parse().unwrap(),
        responder.clone(),
        dmct_net::Limits::default(),
    )
    .await
    .unwrap();
    // The reference server needs its own URL (RespURI), known once bound.
    let url = format!("http://{}/dm", handle.local_addr());
    responder
        .0
        .install(Some(common::every_command_server(&url)));
    (handle, url)
}

fn target(url: &str) -> TargetServer {
    TargetServer::new(url, peers::default_client_creds())
}

#[tokio::test]
async fn every_server_side_scenario_runs_in_wbxml_against_a_wbxml_only_server() {
    let (handle, url) = wbxml_only_server().await;
    let scenarios = dmct_suite::scenario::builtin().unwrap();
    let n = scenarios
        .iter()
        .filter(|s| s.roles.contains(&Role::Server))
        .count();
    let opts = Options {
        client_encoding: Some(Encoding::Wbxml),
        ..Options::default()
    };
    let runs = dmct_suite::run_target_server(&scenarios, &target(&url), &opts).await;
    assert_eq!(runs.len(), n);
    for run in &runs {
        let id = &run.scenario.id;
        if let dmct_proto::transcript::Closing::Skipped { .. } = run.transcript.closing {
            // An external server's Package 0 goes to the device, never to dmct.
            assert!(run.scenario.client.package0, "{id} was not run");
            continue;
        }
        assert!(!run.transcript.exchanges.is_empty(), "{id}");
        for ex in &run.transcript.exchanges {
            assert_eq!(
                ex.request
                    .headers
                    .media_type()
                    .and_then(Result::ok)
                    .as_deref(),
                Some(CONTENT_TYPE_WBXML),
                "{id}: the client spoke another encoding"
            );
            let r = ex.response.as_ref().expect("answered");
            assert_eq!(r.status, 200, "{id}: {:?}", r.body);
            assert_eq!(
                r.headers.media_type().and_then(Result::ok).as_deref(),
                Some(CONTENT_TYPE_WBXML)
            );
            assert!(dmct_proto::wbxml::decode(ex.request.body.as_bytes()).is_ok());
        }
        // The script is not the scenario's, so some rules may stay inconclusive; none
        // may fail a conformant server.
        let c = dmct_suite::judge(run);
        assert_ne!(c.verdict, CaseVerdict::Fail, "{id}: {:#?}", c.findings);
    }
    // The same suite in XML is refused: the switch is what made it pass.
    let opts = Options {
        client_encoding: Some(Encoding::Xml),
        ..Options::default()
    };
    let runs = dmct_suite::run_target_server(&scenarios, &target(&url), &opts).await;
    for run in runs.iter().filter(|r| !r.scenario.client.package0) {
        let first = &run.transcript.exchanges[0];
        assert_eq!(
            first
                .request
                .headers
                .media_type()
                .and_then(Result::ok)
                .as_deref(),
            Some(CONTENT_TYPE_XML)
        );
        assert_eq!(first.response.as_ref().map(|r| r.status), Some(415));
    }
    handle.shutdown().await;
}
