//! The rules against whole sessions of the reference engines, paired in memory.

use dmct_proto::auth::{Credentials, Scheme};
use dmct_rules::{Verdict, check};
use dmct_session::script::{Challenge, ServerCred};
use dmct_session::*;
use std::collections::BTreeSet;

fn creds(u: &str) -> Credentials {
    Credentials {
        user: u.into(),
        secret: format!("{u}-secret"),
    }
}

fn session(
    script: ServerScript,
    client_faults: &[ClientFault],
    server_faults: &[ServerFault],
) -> dmct_proto::transcript::Transcript {
    let url = "http://dm.example/dm";
    let mut client = Client::new(ClientConfig {
        server_url: url.into(),
        dev_info: DevInfo {
            dev_id: "IMEI:1".into(),
            man: "m".into(),
            model: "x".into(),
            dmv: "1.2".into(),
            lang: "en".into(),
        },
        creds: creds("c"),
        scheme: Scheme::Basic,
        nonce: None,
        unprompted: true,
        server_creds: Some(creds("s")),
        server_scheme: Scheme::Basic,
        nonce_seed: 2,
        session_id: "7".into(),
        alert: "1201".into(),
        max_msg_size: 10_000,
        max_obj_size: Some(100_000),
        encoding: Default::default(),
        faults: client_faults.iter().copied().collect(),
    });
    let mut server = Server::new(
        ServerConfig {
            url: url.into(),
            client_creds: creds("c"),
            server_creds: creds("s"),
            scheme: Scheme::Md5,
            nonce_seed: 1,
            client_nonce: None,
            max_msg_size: 16_000,
            faults: server_faults.iter().copied().collect::<BTreeSet<_>>(),
        },
        script,
    );
    pair::run(&mut client, &mut server, 20)
}

fn verdict(t: &dmct_proto::transcript::Transcript, rule: &str) -> Verdict {
    check(t)
        .into_iter()
        .find(|f| f.rule == rule)
        .map(|f| f.verdict)
        .unwrap()
}

fn credless() -> ServerScript {
    ServerScript {
        max_msg_size: None,
        accept_status: None,
        scheme: None,
        packages: vec![ServerStep {
            cred: ServerCred::None,
            ..Default::default()
        }],
    }
}

fn reauth() -> ServerScript {
    ServerScript {
        max_msg_size: None,
        accept_status: None,
        scheme: None,
        packages: vec![
            ServerStep {
                challenge: Some(Challenge {
                    status: 401,
                    scheme: Scheme::Md5,
                }),
                resp_uri: true,
                ..Default::default()
            },
            ServerStep {
                cred: ServerCred::Valid,
                commands: vec![ScriptCommand::Get {
                    target: "./DevInfo/Mod".into(),
                }],
                ..Default::default()
            },
        ],
    }
}

#[test]
fn conformant_client_passes_the_seed_rules() {
    let t = session(credless(), &[], &[]);
    assert_eq!(t.exchanges.len(), 1);
    assert_eq!(verdict(&t, "auth/no-synchdr-only-challenge"), Verdict::Pass);
    assert_eq!(verdict(&t, "session/no-status-only-package"), Verdict::Pass);
    let t = session(reauth(), &[], &[]);
    // Package 1, its repetition after the challenge, Package 3.
    assert_eq!(t.exchanges.len(), 3, "{t:#?}");
    assert_eq!(verdict(&t, "session/reauth-continues"), Verdict::Pass);
    assert_eq!(
        verdict(&t, "session/server-answers-every-package"),
        Verdict::Pass
    );
    assert_eq!(verdict(&t, "session/no-status-only-package"), Verdict::Pass);
    // The repeated Package #1 went to the RespURI.
    assert!(
        t.exchanges[1].request.target.contains("s=7"),
        "{}",
        t.exchanges[1].request.target
    );
}

#[test]
fn each_client_fault_is_caught() {
    let t = session(credless(), &[ClientFault::SynchdrOnlyChallenge], &[]);
    assert_eq!(verdict(&t, "auth/no-synchdr-only-challenge"), Verdict::Fail);
    assert_eq!(verdict(&t, "session/no-status-only-package"), Verdict::Fail);
    let t = session(credless(), &[ClientFault::StatusOnlyReply], &[]);
    assert_eq!(verdict(&t, "auth/no-synchdr-only-challenge"), Verdict::Pass);
    assert_eq!(verdict(&t, "session/no-status-only-package"), Verdict::Fail);
    for f in [
        ClientFault::ReauthNewSession,
        ClientFault::ReauthWithoutSetup,
        ClientFault::ReauthSameScheme,
        ClientFault::ReauthIgnoresRespUri,
    ] {
        let t = session(reauth(), &[f], &[]);
        assert_eq!(
            verdict(&t, "session/reauth-continues"),
            Verdict::Fail,
            "{f:?}"
        );
    }
}

#[test]
fn server_fault_is_caught() {
    let script = ServerScript {
        max_msg_size: None,
        accept_status: None,
        scheme: None,
        packages: vec![ServerStep {
            commands: vec![ScriptCommand::Get {
                target: "./DevInfo/Mod".into(),
            }],
            ..Default::default()
        }],
    };
    let t = session(script.clone(), &[], &[]);
    assert_eq!(
        verdict(&t, "session/server-answers-every-package"),
        Verdict::Pass
    );
    let t = session(script, &[], &[ServerFault::EmptyReply]);
    assert_eq!(
        verdict(&t, "session/server-answers-every-package"),
        Verdict::Fail
    );
}

#[test]
fn a_client_gone_silent_after_a_challenge_is_judged_by_how_recording_ended() {
    let mut t = session(reauth(), &[], &[]);
    t.exchanges.truncate(1);
    t.closing = dmct_proto::transcript::Closing::IdleTimeout { after_ms: 500 };
    assert_eq!(
        verdict(&t, "session/reauth-continues"),
        Verdict::Inconclusive
    );
    t.closing = dmct_proto::transcript::Closing::PeerDone;
    assert_eq!(verdict(&t, "session/reauth-continues"), Verdict::Fail);
}

/// [SEC] §5.3: DM-level credentials are for when the transport does not authenticate.
/// A server without Cred fails auth/server-credentials, unless the client verified its
/// TLS certificate; then the rule does not apply.
#[test]
fn a_tls_authenticated_server_needs_no_dm_credentials() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testcases/vectors/rules/auth__server-credentials/",
        "violating--session__get-replace--server-no-server-cred.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut t: dmct_proto::transcript::Transcript =
        serde_json::from_value(v["transcript"].clone()).unwrap();
    assert_eq!(verdict(&t, "auth/server-credentials"), Verdict::Fail);
    t.transport.server = Some("CN=dm.example".into());
    assert_eq!(
        verdict(&t, "auth/server-credentials"),
        Verdict::NotApplicable
    );
    // Only the server's side is vouched for by its certificate.
    assert!(t.transport.client.is_none());
}

/// [SEC] §5.3: "OMA DM clients that do not support client authentication at the
/// transport layer MUST support ... syncml:auth-md5"; a certificate-authenticated client
/// that ends the session after an MD5 challenge does what the text asks of it.
#[test]
fn a_tls_authenticated_client_may_end_the_session_after_an_md5_challenge() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testcases/vectors/rules/session__reauth-continues/",
        "conforming--session__reauth-md5--client-conformant.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut t: dmct_proto::transcript::Transcript =
        serde_json::from_value(v["transcript"].clone()).unwrap();
    // The client goes quiet after the challenge to its Package #1.
    t.exchanges.truncate(1);
    t.closing = dmct_proto::transcript::Closing::PeerDone;
    assert_eq!(verdict(&t, "session/reauth-continues"), Verdict::Fail);
    t.transport.client = Some("CN=device-1".into());
    assert_eq!(verdict(&t, "session/reauth-continues"), Verdict::Pass);
}
