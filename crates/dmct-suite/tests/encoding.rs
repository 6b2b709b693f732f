//! The client speaks either encoding: with `client_encoding` set, every server-side
//! scenario runs in it, against a server written to speak only WBXML ([REP] §5 allows
//! a server that supports one encoding).

use dmct_net::Responder;
use dmct_proto::transcript::{Closing, Headers, HttpRequest, HttpResponse};
use dmct_proto::xml::Encoding;
use dmct_proto::{CONTENT_TYPE_WBXML, CONTENT_TYPE_XML};
use dmct_report::CaseVerdict;
use dmct_rules::Role;
use dmct_suite::{Options, TargetServer, peers};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// A DM server that refuses anything but WBXML with 415, as a WBXML-only server does,
/// and otherwise lets the reference server answer.
struct WbxmlOnly {
    server: Mutex<dmct_session::Server>,
}

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
        self.server.lock().unwrap().respond(request)
    }
}

async fn wbxml_only_server() -> (dmct_net::ServeHandle, String) {
    // Any address first: the reference server needs its own URL for RespURI.
    let slot = Arc::new(Mutex::new(None::<Arc<WbxmlOnly>>));
    struct Late(Arc<Mutex<Option<Arc<WbxmlOnly>>>>);
    impl Responder for Late {
        fn respond(&self, request: &HttpRequest) -> HttpResponse {
            let inner = self.0.lock().unwrap().clone();
            inner.expect("installed before use").respond(request)
        }
    }
    let handle = dmct_net::serve(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(Late(slot.clone())),
        dmct_net::Limits::default(),
    )
    .await
    .unwrap();
    let url = format!("http://{}/dm", handle.local_addr());
    // The server's script is the scenario's part; the every-command one exercises the
    // most. Its sessions are keyed by SessionID, so one server serves every case.
    let script = dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "session/every-command")
        .unwrap()
        .server;
    let server = dmct_session::Server::new(
        peers::server_config(&url, peers::default_client_creds(), &BTreeSet::new()),
        script,
    );
    *slot.lock().unwrap() = Some(Arc::new(WbxmlOnly {
        server: Mutex::new(server),
    }));
    (handle, url)
}

fn target(url: &str) -> TargetServer {
    TargetServer {
        url: url.into(),
        creds: peers::default_client_creds(),
        scheme: None,
        server_creds: None,
    }
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
    // A Package 0 case is skipped against an external server (its trigger goes to the
    // device, not to dmct's client); every other case must have spoken.
    let spoken = |run: &&dmct_suite::CaseRun| {
        let skipped = matches!(run.transcript.closing, Closing::Skipped { .. });
        assert_eq!(skipped, run.scenario.client.package0, "{}", run.scenario.id);
        !skipped
    };
    for run in runs.iter().filter(spoken) {
        let id = &run.scenario.id;
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
    for run in runs.iter().filter(spoken) {
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
