//! Negative probes (issue 13 item 6): dmct's client sends credentials it made wrong (or
//! leaves out) on purpose, the transcript marks them, and auth/server-refuses-wrong-cred
//! (auth/server-refuses-missing-cred for a missing HMAC header) judges the server's
//! answer. The reference server refuses every probe; the accepts-any-password fault is
//! caught in every wrong-credentials scenario.

use dmct_proto::transcript::ProbeKind;
use dmct_rules::{Role, Verdict};
use dmct_session::ServerFault;
use dmct_suite::runner::{judge, run_in_memory};
use dmct_suite::scenario::{Scenario, builtin};
use std::collections::BTreeSet;

const RULE: &str = "auth/server-refuses-wrong-cred";

fn probe_scenarios() -> Vec<Scenario> {
    let all: Vec<Scenario> = builtin()
        .unwrap()
        .into_iter()
        .filter(|s| !s.client.probes.is_empty())
        .collect();
    let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "auth/hmac-missing-header",
            "auth/hmac-replayed-nonce",
            "auth/hmac-wrong-mac",
            "auth/md5-stale-nonce",
            "auth/wrong-basic-password",
            "auth/wrong-md5-digest",
        ]
    );
    all
}

#[test]
fn the_reference_server_refuses_every_probe_and_the_session_goes_on() {
    for s in probe_scenarios() {
        let run = run_in_memory(&s, Role::Server, &BTreeSet::new(), &BTreeSet::new());
        let t = &run.transcript;
        // Every probe the scenario asks for went on the wire, in order.
        let kinds: Vec<ProbeKind> = t.probes.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, s.client.probes, "{}: {:#?}", s.id, t.probes);
        let result = judge(&run);
        // The rule the scenario exists for: wrong credentials, or a missing header.
        let f = result
            .findings
            .iter()
            .find(|f| f.rule == s.rules[0])
            .unwrap();
        assert_eq!(f.verdict, Verdict::Pass, "{}: {}", s.id, f.detail);
        // Each probe itself was refused: 401 or 407 for its SyncHdr.
        for p in &t.probes {
            let r = t.exchanges[p.exchange].response.as_ref().unwrap();
            let m = dmct_proto::decode(r.body.as_bytes()).unwrap().message;
            let code = m.synchdr_status().and_then(|x| x.code());
            assert!(
                matches!(code, Some(401 | 407)),
                "{}: {p:?} got {code:?}",
                s.id
            );
        }
        assert_eq!(
            result.verdict,
            dmct_report::CaseVerdict::Pass,
            "{}: {:#?}",
            s.id,
            result.findings
        );
        // After the refusals the client authenticated and the server's commands ran:
        // the last exchange ends the session with a package without commands.
        let last = t.exchanges.last().unwrap();
        let body = String::from_utf8_lossy(last.response.as_ref().unwrap().body.as_bytes());
        assert!(!body.contains("<Get>"), "{}: {body}", s.id);
        assert!(t.exchanges.len() > t.probes.len() + 1, "{}", s.id);
    }
}

#[test]
fn a_server_that_accepts_any_password_fails_with_the_probe_as_evidence() {
    for s in probe_scenarios().into_iter().filter(|s| s.rules == [RULE]) {
        let faults = BTreeSet::from([ServerFault::AcceptsAnyPassword]);
        let run = run_in_memory(&s, Role::Server, &BTreeSet::new(), &faults);
        let result = judge(&run);
        let f = result.findings.iter().find(|f| f.rule == RULE).unwrap();
        assert_eq!(f.verdict, Verdict::Fail, "{}: {}", s.id, f.detail);
        assert!(
            f.detail.contains("deliberate negative probe") && f.detail.contains("accepted it with"),
            "{}: {}",
            s.id,
            f.detail
        );
    }
}

#[test]
fn a_server_that_keeps_replaced_nonces_fails_at_the_stale_probe() {
    let stale: Vec<Scenario> = probe_scenarios()
        .into_iter()
        .filter(|s| s.client.probes.contains(&ProbeKind::StaleNonce))
        .collect();
    assert_eq!(stale.len(), 2);
    for s in stale {
        let faults = BTreeSet::from([ServerFault::AcceptsStaleNonce]);
        let run = run_in_memory(&s, Role::Server, &BTreeSet::new(), &faults);
        let probe = run
            .transcript
            .probes
            .iter()
            .find(|p| p.kind == ProbeKind::StaleNonce)
            .unwrap();
        let result = judge(&run);
        let f = result.findings.iter().find(|f| f.rule == RULE).unwrap();
        assert_eq!(f.verdict, Verdict::Fail, "{}: {}", s.id, f.detail);
        assert_eq!(f.exchange, Some(probe.exchange), "{}", s.id);
        assert!(
            f.detail.contains("replaced") || f.detail.contains("already used"),
            "{}",
            f.detail
        );
    }
}

/// As the server, dmct presents wrong server credentials with its commands
/// (`cred = "invalid"`); the reference client challenges, a faulty one runs them.
#[test]
fn a_client_must_refuse_wrong_server_credentials() {
    const CLIENT_RULE: &str = "auth/client-refuses-wrong-server-cred";
    let s = builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "auth/invalid-server-cred")
        .unwrap();
    let run = run_in_memory(&s, Role::Client, &BTreeSet::new(), &BTreeSet::new());
    let kinds: Vec<ProbeKind> = run.transcript.probes.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [ProbeKind::WrongServerSecret]);
    assert_eq!(run.transcript.probes[0].exchange, 0);
    let result = judge(&run);
    let f = result
        .findings
        .iter()
        .find(|f| f.rule == CLIENT_RULE)
        .unwrap();
    assert_eq!(f.verdict, Verdict::Pass, "{}", f.detail);
    assert!(f.detail.contains("challenged it with 401"), "{}", f.detail);
    assert_eq!(result.verdict, dmct_report::CaseVerdict::Pass);
    // The harness's own side broke nothing but its deliberate probe, and is not judged.
    assert!(dmct_suite::judge_harness(std::slice::from_ref(&run)).is_empty());

    let faults = BTreeSet::from([dmct_session::ClientFault::AcceptsWrongServerCred]);
    let run = run_in_memory(&s, Role::Client, &faults, &BTreeSet::new());
    let f = judge(&run)
        .findings
        .into_iter()
        .find(|f| f.rule == CLIENT_RULE)
        .unwrap();
    assert_eq!(f.verdict, Verdict::Fail, "{}", f.detail);
    assert!(f.detail.contains("accepted them with 212"), "{}", f.detail);
}

/// `run --target-server`: the probes go over HTTP to a server dmct does not script
/// (here the reference server with its default settings), and the transcript of
/// every case marks them.
#[tokio::test]
async fn run_target_server_records_and_judges_the_probes() {
    use dmct_suite::runner::{CaseResponder, TargetServer, run_external_server};
    use dmct_suite::{Options, peers};
    let responder = std::sync::Arc::new(CaseResponder::default());
    let handle = dmct_net::serve(
        "127.0.0.1:0".parse().unwrap(),
        responder.clone(),
        dmct_net::Limits::default(),
    )
    .await
    .unwrap();
    let url = format!("http://{}/dm", handle.local_addr());
    for s in probe_scenarios() {
        let rule = s.rules[0].as_str();
        let config = peers::server_config(&url, peers::default_client_creds(), &BTreeSet::new());
        responder.install(Some(dmct_session::Server::new(config, s.server.clone())));
        let target = TargetServer::new(&url, peers::default_client_creds());
        let run = run_external_server(&s, &target, &Options::default()).await;
        let kinds: Vec<ProbeKind> = run.transcript.probes.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, s.client.probes, "{}", s.id);
        let f = judge(&run)
            .findings
            .into_iter()
            .find(|f| f.rule == rule)
            .unwrap();
        assert_eq!(f.verdict, Verdict::Pass, "{}: {}", s.id, f.detail);
    }
    handle.shutdown().await;
}

/// `run --serve`: dmct's listener probes a client it does not control (here the
/// reference client over HTTP), and the case's transcript marks the probe.
#[tokio::test]
async fn run_serve_records_the_server_probe() {
    use dmct_suite::{ExternalServer, Options, peers, runner};
    let opts = Options {
        wait_first: std::time::Duration::from_secs(10),
        idle: std::time::Duration::from_millis(400),
        ..Options::default()
    };
    let srv = ExternalServer::bind("127.0.0.1:0".parse().unwrap(), None, &opts)
        .await
        .unwrap();
    let s = builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "auth/invalid-server-cred")
        .unwrap();
    let case = srv.run_case(&s, &opts, None);
    let client = async {
        let config = peers::client_config(&s, &srv.url, &BTreeSet::new());
        runner::drive_client(&mut dmct_session::Client::new(config), &opts, None).await
    };
    let (run, _) = tokio::join!(case, client);
    assert_eq!(
        run.transcript.probes.len(),
        1,
        "{:#?}",
        run.transcript.probes
    );
    assert_eq!(run.transcript.probes[0].kind, ProbeKind::WrongServerSecret);
    let f = judge(&run)
        .findings
        .into_iter()
        .find(|f| f.rule == "auth/client-refuses-wrong-server-cred")
        .unwrap();
    assert_eq!(f.verdict, Verdict::Pass, "{}", f.detail);
    srv.shutdown().await;
}

/// A client that challenges the server in a message whose own credentials fail gets a
/// refusal that still answers its challenge: the server signs it ([SEC] §5.4.1).
#[test]
fn a_refusal_answers_the_clients_challenge_too() {
    let s = builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "auth/hmac")
        .unwrap();
    let faults = BTreeSet::from([dmct_session::ClientFault::HmacHeaderDropped]);
    let run = run_in_memory(&s, Role::Server, &faults, &BTreeSet::new());
    let both = run.transcript.exchanges.iter().find(|e| {
        let req = dmct_proto::decode(e.request.body.as_bytes())
            .unwrap()
            .message;
        let resp = dmct_proto::decode(e.response.as_ref().unwrap().body.as_bytes())
            .unwrap()
            .message;
        let code = |m: &dmct_proto::SyncML| m.synchdr_status().and_then(|x| x.code());
        matches!(code(&req), Some(401 | 407)) && matches!(code(&resp), Some(401 | 407))
    });
    let both = both.expect("an exchange where each side refuses the other");
    let headers = &both.response.as_ref().unwrap().headers;
    assert!(headers.get("x-syncml-hmac").is_some(), "{headers:?}");
    let f = judge(&run)
        .findings
        .into_iter()
        .find(|f| f.rule == "auth/server-answers-scheme")
        .unwrap();
    assert_eq!(f.verdict, Verdict::Pass, "{}", f.detail);
}

/// Served over TLS (`run --serve --tls`), a device may authenticate dmct's server by
/// its certificate ([PRO] §8.4 item 1): even one that takes wrong DM credentials is not
/// failed, and the finding says why.
#[test]
fn over_tls_a_client_is_not_judged_on_server_credentials() {
    const CLIENT_RULE: &str = "auth/client-refuses-wrong-server-cred";
    let s = builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "auth/invalid-server-cred")
        .unwrap();
    let faults = BTreeSet::from([dmct_session::ClientFault::AcceptsWrongServerCred]);
    let mut run = run_in_memory(&s, Role::Client, &faults, &BTreeSet::new());
    run.transcript.transport.served_over_tls = true;
    let f = judge(&run)
        .findings
        .into_iter()
        .find(|f| f.rule == CLIENT_RULE)
        .unwrap();
    assert_eq!(f.verdict, Verdict::NotApplicable, "{}", f.detail);
    assert!(f.detail.contains("over TLS"), "{}", f.detail);
}

/// A client the transport authenticated (a TLS client certificate) needs no DM
/// credentials ([SEC] §5.4.5: a server "MAY choose not to authenticate" it): a server
/// that takes wrong ones is not failed, and the finding says why.
#[test]
fn over_client_tls_a_server_is_not_judged_on_wrong_credentials() {
    let s = probe_scenarios()
        .into_iter()
        .find(|s| s.id == "auth/wrong-basic-password")
        .unwrap();
    let faults = BTreeSet::from([ServerFault::AcceptsAnyPassword]);
    let mut run = run_in_memory(&s, Role::Server, &BTreeSet::new(), &faults);
    run.transcript.transport.client = Some("CN=device-1".into());
    let f = judge(&run)
        .findings
        .into_iter()
        .find(|f| f.rule == RULE)
        .unwrap();
    assert_eq!(f.verdict, Verdict::NotApplicable, "{}", f.detail);
    assert!(f.detail.contains("CN=device-1"), "{}", f.detail);
}
