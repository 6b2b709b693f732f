//! The reference client against the reference server over real loopback sockets, for
//! every combination of {XML, WBXML} x {Basic, MD5, HMAC} x {HTTP, HTTPS} x
//! {client-initiated 1201, server-initiated 1200 after a Package 0}: each a full
//! session of the session/every-command scenario, mutual authentication in the same
//! scheme, and every rule passing on both sides of the wire.

use dmct_net::{ClientTls, ServerTls};
use dmct_proto::auth::Scheme;
use dmct_proto::transcript::{Closing, Transcript};
use dmct_proto::xml::Encoding;
use dmct_rules::Verdict;
use dmct_session::client::EXEC_NODE;
use dmct_session::{Client, Server};
use dmct_suite::runner::{CaseResponder, drive_client};
use dmct_suite::{Options, Scenario, peers};
use std::net::SocketAddr;
use std::sync::Arc;

fn every_command() -> Scenario {
    dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "session/every-command")
        .expect("the session/every-command scenario")
}

#[derive(Debug, Clone, Copy)]
struct Combo {
    encoding: Encoding,
    scheme: Scheme,
    https: bool,
    pkg0: bool,
}

fn all_rules_pass(t: &Transcript, side: &str, c: Combo) {
    let findings = dmct_rules::check(t);
    let bad: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Inconclusive))
        .collect();
    assert!(bad.is_empty(), "{c:?} {side}: {bad:#?}");
    assert!(
        findings.iter().any(|f| f.verdict == Verdict::Pass),
        "{c:?} {side}: no rule applied"
    );
}

async fn session(c: Combo) {
    let scenario = every_command();
    let (server_tls, client_tls) = if c.https {
        let s = ServerTls::generate(&["localhost", "127.0.0.1"]).unwrap();
        let ct = ClientTls::from_ca_pem(s.cert_pem().as_bytes()).unwrap();
        (Some(s), Some(ct))
    } else {
        (None, None)
    };
    let responder = Arc::new(CaseResponder::default());
    let opts = Options {
        client_tls,
        ..Options::default()
    };
    let handle = dmct_net::serve_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        responder.clone(),
        opts.limits.clone(),
        server_tls,
    )
    .await
    .unwrap();
    let url = format!("{}/dm", handle.url());
    assert_eq!(url.starts_with("https://"), c.https);
    let mut server_config =
        peers::server_config(&url, peers::default_client_creds(), &Default::default());
    server_config.scheme = c.scheme;
    let pkg0 = server_config.package0(0x1A2B).unwrap();
    responder.install(Some(Server::new(server_config, scenario.server.clone())));

    let mut config = peers::client_config(&scenario, &url, &Default::default());
    config.encoding = c.encoding;
    config.scheme = c.scheme;
    config.server_scheme = c.scheme;
    if c.pkg0 {
        config = config.for_notification(&pkg0).unwrap();
    }
    let mut client = Client::new(config);
    let (driven, closing) = drive_client(&mut client, &opts, None).await;
    let served = handle.recorder().take();
    handle.shutdown().await;

    assert_eq!(closing, Closing::PeerDone);
    assert!(client.completed(), "{c:?}: {driven:#?}");
    assert!(driven.iter().all(|e| e.failure.is_none()), "{c:?}");
    // What the client sent is what the server recorded, byte for byte.
    assert_eq!(served.len(), driven.len(), "{c:?}");
    for (s, d) in served.iter().zip(&driven) {
        assert_eq!(s.request.body, d.request.body, "{c:?}");
        assert_eq!(
            s.response.as_ref().unwrap().body,
            d.response.as_ref().unwrap().body
        );
    }
    let first = dmct_proto::decode(driven[0].request.body.as_bytes()).unwrap();
    assert_eq!(first.encoding, c.encoding);
    let alert = if c.pkg0 { "1200" } else { "1201" };
    assert!(first.message.alert_codes().any(|a| a == alert), "{c:?}");
    if c.pkg0 {
        assert_eq!(first.message.hdr.session_id, "1A2B");
    }
    // The commands ran: Copy made a node, Exec ran once, the Atomic left nothing.
    let tree = client.tree();
    assert_eq!(tree.leaf("./Vendor/dmct/Lab/Copy").unwrap().value, "dmct");
    assert_eq!(tree.leaf(EXEC_NODE).unwrap().value, "1");
    assert!(tree.leaf("./Vendor/dmct/Lab/B").is_none());
    assert_eq!(tree.leaf("./DMAcc/dmct/Name").unwrap().value, "dmct lab");
    // HMAC travels in the header both ways, never in Cred.
    if c.scheme == Scheme::Hmac {
        assert!(
            driven[1..]
                .iter()
                .all(|e| e.request.headers.get("x-syncml-hmac").is_some())
        );
        assert!(driven.iter().any(|e| {
            e.response
                .as_ref()
                .unwrap()
                .headers
                .get("x-syncml-hmac")
                .is_some()
        }));
    }

    let t = |exchanges| Transcript {
        exchanges,
        closing: Closing::PeerDone,
        ..Transcript::default()
    };
    all_rules_pass(&t(served), "served", c);
    all_rules_pass(&t(driven), "driven", c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_of_encodings_schemes_transports_and_initiators() {
    let mut n = 0;
    for encoding in [Encoding::Xml, Encoding::Wbxml] {
        for scheme in Scheme::ALL {
            for https in [false, true] {
                for pkg0 in [false, true] {
                    session(Combo {
                        encoding,
                        scheme,
                        https,
                        pkg0,
                    })
                    .await;
                    n += 1;
                }
            }
        }
    }
    assert_eq!(n, 24);
}
