//! Shared set-up of the proxy's loopback tests: the reference server as upstream, the
//! reference client as device, the proxy between them.
#![allow(dead_code)]

use dmct_net::{Limits, ServeHandle};
use dmct_proto::transcript::{Closing, Exchange};
use dmct_proxy::{Event, ProxyConfig, ProxyHandle, SessionRecord};
use dmct_rules::{Finding, Role, Verdict};
use dmct_session::{Client, ClientFault, Server, ServerFault};
use dmct_suite::runner::{self, CaseResponder};
use dmct_suite::{Options, Scenario, peers};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub fn scenario(id: &str) -> Scenario {
    dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no scenario {id}"))
}

pub fn limits() -> Limits {
    Limits {
        max_body: 1024 * 1024,
        exchange_timeout: Duration::from_secs(10),
        ..Limits::default()
    }
}

/// The reference server playing `scenario` on loopback; its URL ends in `/dm`.
pub async fn upstream(
    scenario: &Scenario,
    faults: &BTreeSet<ServerFault>,
) -> (ServeHandle, String) {
    let responder = Arc::new(CaseResponder::default());
    let handle = dmct_net::serve(loopback(), responder.clone(), limits())
        .await
        .unwrap();
    let url = format!("{}/dm", handle.url());
    let mut config = peers::server_config(&url, peers::default_client_creds(), faults);
    if let Some(s) = scenario.server.scheme {
        config.scheme = s;
    }
    responder.install(Some(Server::new(config, scenario.server.clone())));
    (handle, url)
}

/// Everything the proxy told, in order.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<Event>>>);

impl Events {
    pub fn sink(&self) -> dmct_proxy::EventSink {
        let me = self.clone();
        Arc::new(move |e| me.0.lock().unwrap().push(e))
    }

    pub fn failed_rules(&self) -> Vec<(String, Role)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::Finding { finding, .. } => Some((finding.rule.clone(), finding.role)),
                _ => None,
            })
            .collect()
    }
}

pub async fn proxy(upstream: &str, tweak: impl FnOnce(&mut ProxyConfig)) -> (ProxyHandle, Events) {
    let events = Events::default();
    let mut config = ProxyConfig::new(loopback(), upstream);
    config.limits = limits();
    config.nonce_seed = Some(7);
    config.on_event = Some(events.sink());
    tweak(&mut config);
    (dmct_proxy::start(config).await.unwrap(), events)
}

pub fn opts() -> Options {
    Options {
        limits: limits(),
        session_timeout: Duration::from_secs(20),
        ..Options::default()
    }
}

/// The reference client of `scenario`, addressed to `url`.
pub fn client(scenario: &Scenario, url: &str, faults: &BTreeSet<ClientFault>) -> Client {
    Client::new(peers::client_config(scenario, url, faults))
}

/// One session of `client`: its own view of the exchanges, and how it ended.
pub async fn drive(client: &mut Client) -> (Vec<Exchange>, Closing) {
    runner::drive_client(client, &opts(), None).await
}

/// The one DM session the proxy recorded.
pub fn only_session(records: &[SessionRecord]) -> &SessionRecord {
    let dm: Vec<_> = records
        .iter()
        .filter(|r| matches!(r.key, dmct_proxy::SessionKey::Dm { .. }))
        .collect();
    assert_eq!(dm.len(), 1, "{records:#?}");
    dm[0]
}

pub fn findings(record: &SessionRecord) -> Vec<Finding> {
    dmct_rules::check(&record.transcript)
}

pub fn verdict(findings: &[Finding], rule: &str, role: Role) -> Verdict {
    findings
        .iter()
        .find(|f| f.rule == rule && f.role == role)
        .unwrap_or_else(|| panic!("no finding for {rule} ({role})"))
        .verdict
}

pub fn failures(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .map(|f| format!("{} ({}): {}", f.rule, f.role, f.detail))
        .collect()
}

/// The client's own record and the proxy's agree byte for byte wherever the proxy
/// changed nothing.
pub fn same_bytes_as_client(client_view: &[Exchange], record: &SessionRecord) {
    assert_eq!(client_view.len(), record.transcript.exchanges.len());
    for (i, (c, p)) in client_view
        .iter()
        .zip(&record.transcript.exchanges)
        .enumerate()
    {
        assert_eq!(c.request.body, p.request.body, "request {i}");
        assert_eq!(c.request.target, p.request.target, "request {i}");
        assert_eq!(
            c.response.as_ref().map(|r| (&r.body, r.status)),
            p.response.as_ref().map(|r| (&r.body, r.status)),
            "response {i}"
        );
        if let (Some(c), Some(p)) = (&c.response, &p.response) {
            for h in ["content-type", "x-syncml-hmac"] {
                assert_eq!(c.headers.get(h), p.headers.get(h), "{h} of response {i}");
            }
        }
    }
}
