//! The proxy's budget for bodies in flight covers the upstream's answers too: an answer
//! the budget cannot hold is not buffered; the device gets 503 with Retry-After, the
//! exchange is recorded as refused by the harness, and the budget comes back.

use crate::common;

use common::*;
use dmct_net::{Headers, HttpRequest, HttpResponse, Limits, Responder};
use dmct_proto::transcript::ExchangeFailure;
use std::sync::Arc;

/// Answers `/dm/big` with 64 KiB, anything else with `ok`.
struct Big;

impl Responder for Big {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        let body = if request.target.contains("big") {
            vec![b'b'; 64 * 1024]
        } else {
            b"ok".to_vec()
        };
        HttpResponse {
            status: 200,
            headers: Headers::default(),
            body: body.into(),
        }
    }
}

#[tokio::test]
async fn an_upstream_answer_past_the_budget_is_a_503_recorded_as_the_harness_refusal() {
    let upstream = dmct_net::serve(loopback(), Arc::new(Big), limits())
        .await
        .unwrap();
    let (proxy, _) = proxy(&upstream.url(), |c| {
        c.limits = Limits {
            max_body: 64 * 1024,
            max_inflight: 64 * 1024,
            ..limits()
        };
    })
    .await;
    let post = |target: &'static str| {
        let url = format!("{}{target}", proxy.url());
        async move { dmct_net::post(&url, Headers::default(), vec![b'r'; 1024], &limits()).await }
    };
    // 1 KiB of request held, and 64 KiB of answer do not fit in 64 KiB.
    let ex = post("/dm/big").await;
    let r = ex.response.unwrap();
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.headers.get("retry-after"), Some("5"));
    assert!(
        String::from_utf8_lossy(r.body.as_bytes()).contains("refused by the harness"),
        "{r:?}"
    );
    // The budget came back: a small answer is relayed.
    let ex = post("/dm/small").await;
    let r = ex.response.unwrap();
    assert_eq!((r.status, r.body.as_bytes()), (200, &b"ok"[..]));
    let records = proxy.stop().await;
    let refused: Vec<_> = records
        .iter()
        .flat_map(|r| &r.transcript.exchanges)
        .filter(|e| matches!(e.failure, Some(ExchangeFailure::HarnessRefused { .. })))
        .collect();
    assert_eq!(refused.len(), 1, "{records:#?}");
    assert_eq!(refused[0].request.target, "/dm/big");
    upstream.shutdown().await;
}
