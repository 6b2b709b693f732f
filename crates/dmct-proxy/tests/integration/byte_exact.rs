//! The proxy changes no byte: random bodies, XML-like text and WBXML-like binary, under
//! both DM content types, go through the proxy to an upstream that answers bytes derived
//! from what it got; the upstream must see exactly what the client sent, and the client
//! must get exactly what the upstream sent, headers that matter included.

use crate::common;

use common::{limits, loopback};
use dmct_net::{Responder, ServeHandle};
use dmct_proto::transcript::{Headers, HttpRequest, HttpResponse};
use dmct_proxy::{ProxyConfig, ProxyHandle, SessionKey};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::sync::Arc;

/// Answers every request with its body reversed behind a marker, the request's
/// Content-Type, and a header that depends on the body.
struct Echo;

fn answer_for(body: &[u8]) -> Vec<u8> {
    let mut out = b"echo:".to_vec();
    out.extend(body.iter().rev());
    out
}

impl Responder for Echo {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        let mut headers = Headers::default();
        if let Some(ct) = request.headers.get("content-type") {
            headers.push("Content-Type", ct);
        }
        headers.push(
            "x-syncml-hmac",
            format!(
                "algorithm=MD5, username=\"echo\", mac={}",
                request.body.len()
            ),
        );
        headers.push("X-Dmct-Echo", "1");
        HttpResponse {
            status: 200,
            headers,
            body: answer_for(request.body.as_bytes()).into(),
        }
    }
}

fn body_strategy() -> impl Strategy<Value = (String, Vec<u8>)> {
    let xml =
        "[ -~\n\t\u{e9}\u{4e2d}]{0,600}".prop_map(|s| format!("<SyncML>{s}</SyncML>").into_bytes());
    let wbxml = (
        prop::sample::select(vec![1u8, 2, 3]),
        prop::collection::vec(any::<u8>(), 0..2000),
    )
        .prop_map(|(v, rest)| {
            let mut b = vec![v];
            b.extend(rest);
            b
        });
    let any_bytes = prop::collection::vec(any::<u8>(), 0..300);
    let content_type = prop::sample::select(vec![
        "application/vnd.syncml.dm+xml".to_owned(),
        "application/vnd.syncml.dm+wbxml".to_owned(),
        "application/vnd.syncml.dm+xml; verproto=DM/1.2".to_owned(),
        "application/vnd.syncml.dm+wbxml; charset=utf-8".to_owned(),
    ]);
    (content_type, prop_oneof![xml, wbxml, any_bytes])
}

#[test]
fn random_bodies_cross_the_proxy_unchanged_both_ways() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (upstream, proxy): (ServeHandle, ProxyHandle) = rt.block_on(async {
        let upstream = dmct_net::serve(loopback(), Arc::new(Echo), limits())
            .await
            .unwrap();
        let mut config = ProxyConfig::new(loopback(), upstream.url());
        config.limits = limits();
        (upstream, dmct_proxy::start(config).await.unwrap())
    });
    let url = format!("{}/dm?x=1", proxy.url());
    let cases = std::env::var("DMCT_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let sent = std::cell::Cell::new(0usize);
    runner
        .run(&body_strategy(), |(content_type, body)| {
            let mut headers = Headers::default();
            headers.push("Content-Type", content_type.clone());
            headers.push(
                "x-syncml-hmac",
                "algorithm=MD5, username=\"dev\", mac=abc==",
            );
            let ex = rt.block_on(dmct_net::post(&url, headers, body.clone(), &limits()));
            sent.set(sent.get() + 1);
            prop_assert_eq!(&ex.failure, &None);
            let resp = ex.response.as_ref().unwrap();
            prop_assert_eq!(resp.status, 200);
            let want = answer_for(&body);
            prop_assert_eq!(resp.body.as_bytes(), want.as_slice());
            prop_assert_eq!(
                resp.headers.get("content-type"),
                Some(content_type.as_str())
            );
            let mac = format!("algorithm=MD5, username=\"echo\", mac={}", body.len());
            prop_assert_eq!(resp.headers.get("x-syncml-hmac"), Some(mac.as_str()));
            prop_assert_eq!(resp.headers.get("x-dmct-echo"), Some("1"));
            // What the upstream got.
            let got = upstream.recorder().take();
            prop_assert_eq!(got.len(), 1);
            let req = &got[0].request;
            prop_assert_eq!(req.body.as_bytes(), body.as_slice());
            prop_assert_eq!(req.target.as_str(), "/dm?x=1");
            prop_assert_eq!(req.headers.get("content-type"), Some(content_type.as_str()));
            prop_assert_eq!(
                req.headers.get("x-syncml-hmac"),
                Some("algorithm=MD5, username=\"dev\", mac=abc==")
            );
            Ok(())
        })
        .unwrap();
    // Nothing here is a DM message: all of it is in the undecodable record, unchanged.
    let records = rt.block_on(proxy.stop());
    let kept: usize = records.iter().map(|r| r.transcript.exchanges.len()).sum();
    assert_eq!(kept, sent.get());
    for r in &records {
        assert_eq!(r.key, SessionKey::Undecodable);
        assert!(r.relays.iter().all(Option::is_none));
        for ex in &r.transcript.exchanges {
            assert_eq!(
                ex.response.as_ref().unwrap().body.as_bytes(),
                answer_for(ex.request.body.as_bytes()).as_slice()
            );
        }
    }
    rt.block_on(upstream.shutdown());
}
