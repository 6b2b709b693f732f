//! Reference client -> proxy -> reference server over loopback HTTP: plain sessions in
//! XML, WBXML and HMAC; every mutation; a RespURI-using server.

use crate::common;

use common::*;
use dmct_proxy::{Mutation, NoteKind, SessionKey};
use dmct_rules::{Role, Verdict};
use dmct_session::ClientFault;
use std::collections::BTreeSet;
use std::time::Duration;

/// A conformant session through the proxy: it completes, the proxy's transcript is the
/// client's own byte for byte, the upstream saw the same bytes, and no rule fails for
/// either role, neither live nor at the end.
async fn relayed_session(scenario_id: &str) {
    let s = scenario(scenario_id);
    let (server, up) = upstream(&s, &BTreeSet::new()).await;
    let (proxy, events) = proxy(&up, |_| {}).await;
    let mut c = client(&s, &format!("{}/dm", proxy.url()), &BTreeSet::new());
    let (view, closing) = drive(&mut c).await;
    assert!(c.completed(), "{scenario_id}: {closing:?} {view:#?}");
    proxy.wait_completed(1).await;
    let records = proxy.stop().await;
    let r = only_session(&records);
    assert_eq!(
        r.key,
        SessionKey::Dm {
            session_id: "1".into(),
            client: peers_dev_id()
        }
    );
    assert!(r.completed);
    assert_eq!(r.transcript.closing, dmct_proxy::Closing::PeerDone);
    assert!(r.relays.iter().all(Option::is_none), "{:#?}", r.relays);
    same_bytes_as_client(&view, r);
    // What the upstream received is what the client sent.
    let served = server.recorder().take();
    assert_eq!(served.len(), view.len());
    for (u, c) in served.iter().zip(&view) {
        assert_eq!(u.request.body, c.request.body);
        assert_eq!(
            u.response.as_ref().map(|r| &r.body),
            c.response.as_ref().map(|r| &r.body)
        );
    }
    let f = findings(r);
    assert!(
        failures(&f).is_empty(),
        "{scenario_id}: {:#?}",
        failures(&f)
    );
    assert!(
        events.failed_rules().is_empty(),
        "{:?}",
        events.failed_rules()
    );
    assert!(
        f.iter()
            .any(|f| f.verdict == Verdict::Pass && f.role == Role::Client)
    );
    assert!(
        f.iter()
            .any(|f| f.verdict == Verdict::Pass && f.role == Role::Server)
    );
    server.shutdown().await;
}

fn peers_dev_id() -> String {
    dmct_suite::peers::reference_dev_info().dev_id
}

#[tokio::test]
async fn xml_session_relays_byte_exact_and_passes() {
    relayed_session("session/get-replace").await;
}

#[tokio::test]
async fn wbxml_session_relays_byte_exact_and_passes() {
    relayed_session("session/get-replace-wbxml").await;
}

#[tokio::test]
async fn hmac_session_relays_byte_exact_and_passes() {
    relayed_session("auth/hmac").await;
}

/// One session through a proxy with `mutation`; the client's faults as given.
async fn mutated(
    scenario_id: &str,
    mutation: Mutation,
    faults: &BTreeSet<ClientFault>,
) -> (dmct_proxy::SessionRecord, bool, common::Events) {
    let s = scenario(scenario_id);
    let (server, up) = upstream(&s, &BTreeSet::new()).await;
    let (proxy, events) = proxy(&up, |c| {
        c.mutations.insert(mutation);
        c.delay = Duration::from_millis(300);
        c.client_creds = Some(dmct_suite::peers::default_client_creds());
    })
    .await;
    let mut c = client(&s, &format!("{}/dm", proxy.url()), faults);
    let _ = drive(&mut c).await;
    // Let the live checker catch up before stopping.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let records = proxy.stop().await;
    server.shutdown().await;
    let r = only_session(&records).clone();
    assert_eq!(r.mutations, vec![mutation], "{:#?}", r.notes);
    // Every rule the mutation provokes applied (for the role it binds).
    let f = findings(&r);
    for rule in mutation.provokes() {
        assert!(
            f.iter()
                .any(|x| x.rule == *rule && x.verdict != Verdict::NotApplicable),
            "{mutation}: {rule} did not apply"
        );
    }
    (r, c.completed(), events)
}

#[tokio::test]
async fn strip_pkg2_cred_provokes_the_credless_package_rules() {
    let (r, completed, _) = mutated(
        "session/get-replace",
        Mutation::StripPkg2Cred,
        &BTreeSet::new(),
    )
    .await;
    // The conformant client ends the session at the command-less Package #2.
    assert!(completed);
    assert_eq!(r.transcript.exchanges.len(), 1);
    let relay = r.relays[0]
        .as_ref()
        .expect("the upstream's Package #2 is kept");
    let original = dmct_proto::decode(relay.response.as_ref().unwrap().body.as_bytes()).unwrap();
    assert!(original.message.hdr.cred.is_some());
    assert!(original.message.operations().next().is_some());
    let seen = r.transcript.exchanges[0].response.as_ref().unwrap();
    let seen = dmct_proto::decode(seen.body.as_bytes()).unwrap().message;
    assert!(seen.hdr.cred.is_none() && seen.operations().next().is_none());
    assert!(seen.synchdr_status().is_some());
    let f = findings(&r);
    for rule in Mutation::StripPkg2Cred.provokes() {
        assert_eq!(verdict(&f, rule, Role::Client), Verdict::Pass, "{rule}");
    }
    assert!(failures(&f).is_empty(), "{:#?}", failures(&f));

    // A client that challenges the credential-less package is caught, live too.
    let faults = BTreeSet::from([ClientFault::SynchdrOnlyChallenge]);
    let (r, _, events) = mutated("session/get-replace", Mutation::StripPkg2Cred, &faults).await;
    let f = findings(&r);
    assert_eq!(
        verdict(&f, "auth/no-synchdr-only-challenge", Role::Client),
        Verdict::Fail
    );
    assert!(
        events
            .failed_rules()
            .contains(&("auth/no-synchdr-only-challenge".into(), Role::Client)),
        "{:?}",
        events.failed_rules()
    );
    assert!(
        r.live_failures
            .iter()
            .any(|f| f.rule == "auth/no-synchdr-only-challenge")
    );
}

#[tokio::test]
async fn challenge_pkg1_provokes_reauth_and_the_real_session_goes_on() {
    let (r, completed, _) = mutated(
        "session/get-replace",
        Mutation::ChallengePkg1,
        &BTreeSet::new(),
    )
    .await;
    assert!(completed, "{:#?}", r.notes);
    // Exchange 0 was answered by the proxy and never forwarded.
    let first = r.relays[0].as_ref().unwrap();
    assert_eq!(first.upstream_url, None);
    let chal = dmct_proto::decode(
        r.transcript.exchanges[0]
            .response
            .as_ref()
            .unwrap()
            .body
            .as_bytes(),
    )
    .unwrap()
    .message;
    let (status, c) = chal.challenge().expect("a challenge");
    assert_eq!(status.code(), Some(401));
    assert_eq!(c.meta.r#type.as_deref(), Some("syncml:auth-md5"));
    // The repeated Package #1 went upstream with the original Basic credentials.
    let second = r.relays[1].as_ref().unwrap();
    let sent = dmct_proto::decode(second.request.as_ref().unwrap().body.as_bytes())
        .unwrap()
        .message;
    let cred = sent.hdr.cred.as_ref().unwrap();
    assert_eq!(
        cred.meta.as_ref().and_then(|m| m.r#type.as_deref()),
        Some("syncml:auth-basic")
    );
    assert!(sent.synchdr_status().is_none());
    let client_sent = dmct_proto::decode(r.transcript.exchanges[1].request.body.as_bytes())
        .unwrap()
        .message;
    assert_eq!(
        client_sent
            .hdr
            .cred
            .as_ref()
            .and_then(|c| c.meta.as_ref())
            .and_then(|m| m.r#type.as_deref()),
        Some("syncml:auth-md5")
    );
    assert!(r.notes.iter().any(|n| n.kind
        == NoteKind::CredentialCheck {
            verified: Some(true)
        }));
    let f = findings(&r);
    assert_eq!(
        verdict(&f, "session/reauth-continues", Role::Client),
        Verdict::Pass
    );
    assert_eq!(
        verdict(&f, "auth/client-answers-scheme", Role::Client),
        Verdict::Pass
    );
    assert!(failures(&f).is_empty(), "{:#?}", failures(&f));

    // A proxy told another client secret says the answer does not verify; the real
    // session still goes on with the client's original credentials.
    let s = scenario("session/get-replace");
    let (server, up) = upstream(&s, &BTreeSet::new()).await;
    let (wrong, _) = proxy(&up, |c| {
        c.mutations.insert(Mutation::ChallengePkg1);
        c.client_creds = Some(dmct_proxy::Credentials {
            user: "dmct-client".into(),
            secret: "another-secret".into(),
        });
    })
    .await;
    let mut c = client(&s, &format!("{}/dm", wrong.url()), &BTreeSet::new());
    let _ = drive(&mut c).await;
    assert!(c.completed());
    let records = wrong.stop().await;
    server.shutdown().await;
    assert!(only_session(&records).notes.iter().any(|n| n.kind
        == NoteKind::CredentialCheck {
            verified: Some(false)
        }));

    // A client that starts a new session instead is caught.
    let faults = BTreeSet::from([ClientFault::ReauthNewSession]);
    let s = scenario("session/get-replace");
    let (server, up) = upstream(&s, &BTreeSet::new()).await;
    let (p, _) = proxy(&up, |c| {
        c.mutations.insert(Mutation::ChallengePkg1);
    })
    .await;
    let mut c = client(&s, &format!("{}/dm", p.url()), &faults);
    let _ = drive(&mut c).await;
    let records = p.stop().await;
    server.shutdown().await;
    let first = records
        .iter()
        .find(|r| r.mutations.contains(&Mutation::ChallengePkg1))
        .unwrap();
    // The new session's Package #1 is in a record of its own: the first one shows the
    // client never repeating Package #1 in its session.
    let mut all = first.transcript.clone();
    for r in records.iter().filter(|r| r.key != first.key) {
        all.exchanges.extend(r.transcript.exchanges.clone());
    }
    let f = dmct_rules::check(&all);
    assert_eq!(
        verdict(&f, "session/reauth-continues", Role::Client),
        Verdict::Fail
    );
}

#[tokio::test]
async fn renew_nonce_makes_the_server_challenge_again_with_a_fresh_nonce() {
    let (r, completed, _) =
        mutated("session/reauth-md5", Mutation::RenewNonce, &BTreeSet::new()).await;
    assert!(completed, "{:#?}", r.transcript);
    let f = findings(&r);
    assert_eq!(
        verdict(&f, "auth/fresh-nonce-after-failure", Role::Server),
        Verdict::Pass
    );
    assert_eq!(
        verdict(&f, "session/reauth-continues", Role::Client),
        Verdict::Pass
    );
    assert!(failures(&f).is_empty(), "{:#?}", failures(&f));
    // Original and renewed nonce are both on record.
    let relay = r.relays[0].as_ref().unwrap();
    let nonce = |body: &[u8]| {
        dmct_proto::decode(body)
            .unwrap()
            .message
            .challenge()
            .and_then(|(_, c)| c.meta.next_nonce.clone())
    };
    let original = nonce(relay.response.as_ref().unwrap().body.as_bytes());
    let renewed = nonce(
        r.transcript.exchanges[0]
            .response
            .as_ref()
            .unwrap()
            .body
            .as_bytes(),
    );
    assert!(original.is_some() && renewed.is_some() && original != renewed);
}

#[tokio::test]
async fn delay_response_holds_the_first_response_back() {
    let started = std::time::Instant::now();
    let (r, completed, _) = mutated(
        "session/get-replace",
        Mutation::DelayResponse,
        &BTreeSet::new(),
    )
    .await;
    assert!(completed);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let f = findings(&r);
    assert_eq!(
        verdict(&f, "session/server-answers-every-package", Role::Server),
        Verdict::Pass
    );
    assert!(failures(&f).is_empty(), "{:#?}", failures(&f));
}

#[tokio::test]
async fn drop_response_leaves_a_package_unanswered_on_record() {
    let (r, completed, events) = mutated(
        "session/get-replace",
        Mutation::DropResponse,
        &BTreeSet::new(),
    )
    .await;
    assert!(!completed);
    let last = r.transcript.exchanges.last().unwrap();
    assert!(last.response.is_none());
    // The server did answer: its bytes are kept beside.
    let relay = r.relays.last().unwrap().as_ref().unwrap();
    assert_eq!(relay.response.as_ref().map(|r| r.status), Some(200));
    let f = findings(&r);
    assert_eq!(
        verdict(&f, "session/server-answers-every-package", Role::Server),
        Verdict::Fail
    );
    assert!(
        events
            .failed_rules()
            .contains(&("session/server-answers-every-package".into(), Role::Server))
    );
}

#[tokio::test]
async fn corrupt_wbxml_flips_one_byte_and_keeps_the_original() {
    let (r, completed, _) = mutated(
        "session/get-replace-wbxml",
        Mutation::CorruptWbxml,
        &BTreeSet::new(),
    )
    .await;
    assert!(!completed);
    let seen = r.transcript.exchanges[0].response.as_ref().unwrap();
    let relay = r.relays[0].as_ref().unwrap();
    let original = relay.response.as_ref().unwrap();
    assert_eq!(seen.body.len(), original.body.len());
    let differ = seen
        .body
        .as_bytes()
        .iter()
        .zip(original.body.as_bytes())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differ, 1);
    let f = findings(&r);
    // One fault, one failure: the encoding rule; the answer cannot be read.
    assert_eq!(
        verdict(&f, "http/content-type-matches-body", Role::Server),
        Verdict::Fail
    );
    assert_eq!(
        verdict(&f, "session/server-answers-every-package", Role::Server),
        Verdict::Inconclusive
    );
}

/// The server gives a RespURI (reauth-md5 challenges with one): the proxy hands the
/// client its own address instead, so the client's next request still comes to the
/// proxy, which sends it on to the original RespURI.
#[tokio::test]
async fn resp_uri_keeps_the_session_inside_the_proxy() {
    let s = scenario("session/reauth-md5");
    let (server, up) = upstream(&s, &BTreeSet::new()).await;
    let (proxy, _) = proxy(&up, |_| {}).await;
    let mut c = client(&s, &format!("{}/dm", proxy.url()), &BTreeSet::new());
    let (view, _) = drive(&mut c).await;
    assert!(c.completed());
    let records = proxy.stop().await;
    let r = only_session(&records);
    assert!(view.len() >= 3);
    // The client saw the rewritten RespURI and sent its next message to it, at the proxy.
    let challenge = dmct_proto::decode(
        r.transcript.exchanges[0]
            .response
            .as_ref()
            .unwrap()
            .body
            .as_bytes(),
    )
    .unwrap()
    .message;
    let given = challenge.hdr.resp_uri.clone().unwrap();
    assert!(
        given.starts_with(&format!("{}/dmct-r/", proxy_origin(&records, &view))),
        "{given}"
    );
    assert_eq!(r.transcript.exchanges[1].request.target, "/dmct-r/0");
    // The original RespURI is on record, and the upstream got the request at it.
    let relay = r.relays[0].as_ref().unwrap();
    let original = dmct_proto::decode(relay.response.as_ref().unwrap().body.as_bytes())
        .unwrap()
        .message
        .hdr
        .resp_uri
        .unwrap();
    assert!(original.starts_with(&up), "{original}");
    let served = server.recorder().take();
    assert_eq!(served.len(), view.len());
    let (_, original_target) = original.split_at(original.find("/dm").unwrap());
    assert_eq!(served[1].request.target, original_target);
    assert!(r.notes.iter().any(|n| n.kind == NoteKind::RespUri));
    let f = findings(r);
    assert_eq!(
        verdict(&f, "session/respuri-followed", Role::Client),
        Verdict::Pass
    );
    assert_eq!(
        verdict(&f, "session/reauth-continues", Role::Client),
        Verdict::Pass
    );
    assert!(failures(&f).is_empty(), "{:#?}", failures(&f));
    server.shutdown().await;
}

/// The proxy's origin as the client used it (the host of its first request).
fn proxy_origin(_: &[dmct_proxy::SessionRecord], view: &[dmct_net::Exchange]) -> String {
    format!(
        "http://{}",
        view[0].request.headers.get("host").unwrap_or_default()
    )
}

/// HTTPS on both sides: the device trusts the proxy's generated certificate, the proxy
/// trusts the upstream's.
#[tokio::test]
async fn https_on_both_sides() {
    let s = scenario("session/get-replace");
    let server_tls = dmct_net::ServerTls::generate(&["127.0.0.1"]).unwrap();
    let responder = std::sync::Arc::new(dmct_suite::runner::CaseResponder::default());
    let server = dmct_net::serve_with(
        loopback(),
        responder.clone(),
        limits(),
        Some(server_tls.clone()),
    )
    .await
    .unwrap();
    let up = format!("{}/dm", server.url());
    assert!(up.starts_with("https://"));
    responder.install(Some(dmct_session::Server::new(
        dmct_suite::peers::server_config(
            &up,
            dmct_suite::peers::default_client_creds(),
            &BTreeSet::new(),
        ),
        s.server.clone(),
    )));
    let proxy_tls = dmct_net::ServerTls::generate(&["127.0.0.1"]).unwrap();
    let (proxy, _) = proxy(&up, |c| {
        c.upstream_tls =
            Some(dmct_net::ClientTls::from_ca_pem(server_tls.cert_pem().as_bytes()).unwrap());
        c.listen_tls = Some(proxy_tls.clone());
    })
    .await;
    assert!(proxy.url().starts_with("https://"));
    let mut c = client(&s, &format!("{}/dm", proxy.url()), &BTreeSet::new());
    let mut o = opts();
    o.client_tls = Some(dmct_net::ClientTls::from_ca_pem(proxy_tls.cert_pem().as_bytes()).unwrap());
    let (view, _) = dmct_suite::runner::drive_client(&mut c, &o, None).await;
    assert!(c.completed(), "{view:#?}");
    let records = proxy.stop().await;
    let r = only_session(&records);
    same_bytes_as_client(&view, r);
    assert!(failures(&findings(r)).is_empty());
    server.shutdown().await;

    // An https upstream without TLS settings is refused at start.
    let mut config = dmct_proxy::ProxyConfig::new(loopback(), "https://127.0.0.1:1/dm");
    config.live_check = false;
    assert!(matches!(
        dmct_proxy::start(config).await,
        Err(dmct_proxy::ProxyError::UpstreamNeedsTls(_))
    ));
}

/// One SessionID sent over and over (a load generator): the record keeps the first
/// `max_exchanges` and counts the rest; a body over the limit is refused before it is
/// read whole and still lands on record; finished sessions can be handed over.
#[tokio::test]
async fn records_stay_bounded_and_finished_sessions_can_be_taken() {
    let s = scenario("session/get-replace");
    let (server, up) = upstream(&s, &BTreeSet::new()).await;
    let (proxy, _) = proxy(&up, |c| {
        c.max_exchanges = 5;
        c.limits.max_body = 64 * 1024;
    })
    .await;
    let url = format!("{}/dm", proxy.url());
    let pkg1 = client(&s, &url, &BTreeSet::new()).start();
    for _ in 0..12 {
        let ex = dmct_net::post(&url, pkg1.headers.clone(), pkg1.body.clone(), &limits()).await;
        assert_eq!(ex.response.map(|r| r.status), Some(200));
    }
    let big = dmct_net::post(
        &url,
        pkg1.headers.clone(),
        vec![b'<'; 100 * 1024],
        &limits(),
    )
    .await;
    assert_eq!(big.response.map(|r| r.status), Some(413));
    // A whole session of another device, which the server ends.
    let mut config = dmct_suite::peers::client_config(&s, &url, &BTreeSet::new());
    config.session_id = "77".into();
    let mut c = dmct_session::Client::new(config);
    let _ = drive(&mut c).await;
    assert!(c.completed());
    proxy.wait_completed(1).await;
    let taken = proxy.take_completed();
    assert_eq!(taken.len(), 1, "{taken:#?}");
    assert!(matches!(&taken[0].key, SessionKey::Dm { session_id, .. } if session_id == "77"));
    assert_eq!(taken[0].transcript.closing, dmct_proxy::Closing::PeerDone);
    let records = proxy.stop().await;
    assert_eq!(records.len(), 2, "{records:#?}");
    let repeated = &records[0];
    assert_eq!(repeated.transcript.exchanges.len(), 5);
    assert_eq!(repeated.not_kept, 7);
    assert!(!repeated.completed);
    assert_eq!(repeated.transcript.closing, dmct_proxy::Closing::Stopped);
    assert_eq!(records[1].key, SessionKey::Undecodable);
    assert_eq!(
        records[1].transcript.exchanges[0]
            .response
            .as_ref()
            .map(|r| r.status),
        Some(413)
    );
    server.shutdown().await;
}
