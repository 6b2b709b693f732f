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
        stored_server_nonce: dmct_proto::package0::Package0Nonce::default().to_nonce(),
        package0_nonce: None,
        server_id: "dmct".into(),
        nonce_seed: 2,
        session_id: "7".into(),
        alert: "1201".into(),
        max_msg_size: 10_000,
        max_obj_size: Some(100_000),
        encoding: Default::default(),
        verproto_param: Default::default(),
        faults: client_faults.iter().copied().collect(),
        probes: Vec::new(),
    });
    let mut server = Server::new(
        ServerConfig {
            url: url.into(),
            client_creds: creds("c"),
            server_creds: creds("s"),
            server_id: "dmct".into(),
            package0_nonce: Default::default(),
            package0_ui_mode: dmct_proto::package0::UiMode::NotSpecified,
            package0_initiator: dmct_proto::package0::Initiator::Server,
            authenticate_client: true,
            scheme: Scheme::Md5,
            nonce_seed: 1,
            client_nonce: None,
            max_msg_size: 16_000,
            verproto_param: Default::default(),
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
                    more_targets: Vec::new(),
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
        ClientFault::QuitsAfterChallenge,
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
                more_targets: Vec::new(),
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
    use dmct_proto::transcript::Closing;
    let mut t = session(reauth(), &[], &[]);
    t.exchanges.truncate(1);
    let finding = |t: &dmct_proto::transcript::Transcript| {
        check(t)
            .into_iter()
            .find(|f| f.rule == "session/reauth-continues")
            .unwrap()
    };
    // Idle past --idle after an MD5 challenge: the client quit where it had to answer,
    // and the finding names the wait so a lab can dispute it.
    t.closing = Closing::IdleTimeout { after_ms: 1500 };
    let f = finding(&t);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(f.detail.contains("1.5 s of idle (--idle)"), "{}", f.detail);
    t.closing = Closing::PeerDone;
    assert_eq!(finding(&t).verdict, Verdict::Fail);
    // The harness's own limits: we gave up waiting.
    for closing in [
        Closing::SessionTimeout {
            after_ms: 300_000,
            awaiting: "the client's next package".into(),
        },
        Closing::ExchangeLimit { limit: 1 },
        Closing::Stopped,
    ] {
        t.closing = closing.clone();
        let f = finding(&t);
        assert_eq!(f.verdict, Verdict::Inconclusive, "{closing:?}");
    }
}

/// The http rules read Content-Type with dmct-proto's media-type parser: parameters in
/// either value form, any case and white space; a bare `verproto=DM/1.2` cannot be read.
#[test]
fn http_rules_read_every_form_of_content_type() {
    let base = session(credless(), &[], &[]);
    let judged = |ct: &str| {
        let mut t = base.clone();
        for e in &mut t.exchanges {
            e.request
                .headers
                .0
                .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            e.request.headers.push("content-TYPE", ct);
        }
        let of = |rule: &str| {
            check(&t)
                .into_iter()
                .find(|f| f.rule == rule && f.role == dmct_rules::Role::Client)
                .map(|f| f.verdict)
                .unwrap()
        };
        [
            of("http/content-type"),
            of("http/content-type-matches-body"),
            of("http/verproto-param"),
        ]
    };
    use Verdict::*;
    for (ct, want) in [
        // No verproto parameter is allowed: judged, and it passes.
        ("application/vnd.syncml.dm+xml", [Pass, Pass, Pass]),
        (
            "Application/VND.SyncML.DM+XML ;\tverproto=\"DM/1.2\"; charset=utf-8",
            [Pass, Pass, Pass],
        ),
        (
            "application/vnd.syncml.dm+xml; VerProto=\"DM/1.1\"",
            [Pass, Pass, Fail],
        ),
        // Parameters are not findings of http/content-type, even malformed ones.
        (
            "application/vnd.syncml.dm+xml; verproto=DM/1.2",
            [Pass, Pass, Inconclusive],
        ),
        ("application/vnd.syncml.dm+wbxml", [Pass, Fail, Pass]),
        ("application/vnd.syncml+xml", [Fail, NotApplicable, Pass]),
        ("text xml", [Fail, NotApplicable, Inconclusive]),
    ] {
        assert_eq!(judged(ct), want, "{ct}");
    }
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

/// [SEC] §5.4.5: a server MAY choose not to authenticate a client its transport
/// authenticated. Accepting a Cred-less request fails auth/server-refuses-missing-cred,
/// unless the client presented a verified TLS certificate.
#[test]
fn a_server_may_accept_a_certificate_authenticated_client_without_cred() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testcases/vectors/rules/auth__server-refuses-missing-cred/",
        "violating--auth__hmac--server-accepts-missing-cred.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut t: dmct_proto::transcript::Transcript =
        serde_json::from_value(v["transcript"].clone()).unwrap();
    assert_eq!(
        verdict(&t, "auth/server-refuses-missing-cred"),
        Verdict::Fail
    );
    t.transport.client = Some("CN=device-1".into());
    assert_eq!(
        verdict(&t, "auth/server-refuses-missing-cred"),
        Verdict::NotApplicable
    );
}
