//! Whole sessions of the reference client against the reference server, in memory, for
//! every authentication scheme and both encodings: what each side sends and what the
//! client's tree holds afterwards.

use dmct_proto::auth::{self, Credentials, HMAC_HEADER, HmacHeader, Nonce, Scheme};
use dmct_proto::transcript::{Closing, Transcript};
use dmct_proto::xml::Encoding;
use dmct_proto::{Command, SyncML};
use dmct_session::client::EXEC_NODE;
use dmct_session::*;

const URL: &str = "http://dm.example/dm";

fn creds(u: &str) -> Credentials {
    Credentials {
        user: u.into(),
        secret: format!("{u}-secret"),
    }
}

fn client(scheme: Scheme, server_scheme: Scheme, encoding: Encoding) -> Client {
    Client::new(config(scheme, server_scheme, encoding))
}

/// A ServerID other than the CLI's default, so nothing depends on "dmct".
const SERVER_ID: &str = "lab.example";

/// The server nonce the test device holds in SRVCRED AAuthData.
const STORED_SERVER_NONCE: &[u8] = b"nonce the device issued";

fn server_config(scheme: Scheme) -> ServerConfig {
    ServerConfig {
        url: URL.into(),
        client_creds: creds("c"),
        server_creds: creds("s"),
        server_id: SERVER_ID.into(),
        package0_nonce: Default::default(),
        package0_ui_mode: dmct_proto::package0::UiMode::NotSpecified,
        package0_initiator: dmct_proto::package0::Initiator::Server,
        authenticate_client: true,
        scheme,
        nonce_seed: 1,
        client_nonce: None,
        max_msg_size: 16_000,
        verproto_param: Default::default(),
        faults: Default::default(),
    }
}

fn server(scheme: Scheme, script: &str) -> Server {
    Server::new(
        server_config(scheme),
        toml::from_str(script).expect("script"),
    )
}

/// Every command kind; the Atomic fails (Replace of a read-only node) and rolls back,
/// the Sequence stops at its failing Delete.
const EVERY_COMMAND: &str = r#"
[[package]]
cred = "valid"
commands = [
  { op = "get", target = "./DevInfo/Mod" },
  { op = "replace", target = "./DMAcc/dmct/Name", data = "lab" },
  { op = "add", target = "./Vendor/dmct/Lab/A", data = "1" },
  { op = "copy", source = "./DevInfo/Man", target = "./Vendor/dmct/Lab/Copy" },
  { op = "exec", target = "./Vendor/dmct/Ops/Reboot" },
  { op = "atomic", commands = [
      { op = "add", target = "./Vendor/dmct/Lab/B", data = "2" },
      { op = "replace", target = "./DevInfo/Mod", data = "no" },
  ] },
  { op = "sequence", commands = [
      { op = "add", target = "./Vendor/dmct/Lab/C", data = "3" },
      { op = "delete", target = "./Vendor/dmct/Nope" },
      { op = "add", target = "./Vendor/dmct/Lab/D", data = "4" },
  ] },
  { op = "alert", code = "1100", items = ["MINDT=1", "Hello"] },
]
[[package]]
commands = [
  { op = "delete", target = "./Vendor/dmct/Lab/A" },
  { op = "get", target = "./Vendor/dmct/Lab" },
]
"#;

fn decode(body: &[u8]) -> SyncML {
    dmct_proto::decode(body).expect("decodable").message
}

fn codes(m: &SyncML) -> Vec<(String, String, u16)> {
    m.statuses()
        .map(|s| {
            (
                s.cmd.to_string(),
                s.cmd_ref.to_string(),
                s.code().unwrap_or(0),
            )
        })
        .collect()
}

fn summary(m: &SyncML) -> String {
    let cmds: Vec<String> = m
        .body
        .commands
        .iter()
        .map(|c| match c {
            Command::Status(s) => format!("Status({} {} {})", s.cmd, s.cmd_ref, s.data),
            Command::Alert(a) => format!("Alert({})", a.data.clone().unwrap_or_default()),
            other => other.name().to_owned(),
        })
        .collect();
    format!(
        "msg {} final={} {}",
        m.hdr.msg_id,
        m.body.final_,
        cmds.join(" ")
    )
}

fn run(c: &mut Client, s: &mut Server) -> Transcript {
    let t = pair::run(c, s, 64);
    if t.closing != Closing::PeerDone {
        for e in &t.exchanges {
            eprintln!("C> {}", summary(&decode(e.request.body.as_bytes())));
            eprintln!(
                "S> {}",
                summary(&decode(e.response.as_ref().unwrap().body.as_bytes()))
            );
        }
    }
    assert_eq!(t.closing, Closing::PeerDone, "{t:#?}");
    t
}

fn check_every_command(t: &Transcript, c: &Client, encoding: Encoding) {
    let tree = c.tree();
    let value = |uri: &str| tree.leaf(uri).map(|l| l.value.clone());
    assert_eq!(value("./DMAcc/dmct/Name").as_deref(), Some("lab"));
    assert_eq!(value("./Vendor/dmct/Lab/A"), None, "deleted in package #4");
    assert_eq!(value("./Vendor/dmct/Lab/Copy").as_deref(), Some("dmct"));
    assert_eq!(value(EXEC_NODE).as_deref(), Some("1"));
    assert_eq!(value("./Vendor/dmct/Lab/B"), None, "Atomic rolled back");
    assert_eq!(value("./DevInfo/Mod").as_deref(), Some("x"));
    assert_eq!(value("./Vendor/dmct/Lab/C").as_deref(), Some("3"));
    assert_eq!(
        value("./Vendor/dmct/Lab/D"),
        None,
        "not executed after the failure"
    );

    // The client's package #3: one Status per command, inner ones after their container.
    let pkg3 = t
        .exchanges
        .iter()
        .map(|e| decode(e.request.body.as_bytes()))
        .find(|m| {
            m.statuses()
                .any(|s| s.cmd == "Atomic" && !matches!(s.code(), Some(401 | 407)))
        })
        .expect("a package answering the Atomic");
    let got: Vec<(String, u16)> = codes(&pkg3).into_iter().map(|(c, _, n)| (c, n)).collect();
    let want: Vec<(String, u16)> = [
        ("Get", 200),
        ("Replace", 200),
        ("Add", 200),
        ("Copy", 200),
        ("Exec", 200),
        ("Atomic", 507),
        ("Add", 216),
        ("Replace", 405),
        ("Sequence", 200),
        ("Add", 200),
        ("Delete", 404),
        ("Add", 215),
        ("Alert", 200),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), *n))
    .collect();
    assert_eq!(got[1..], want[..], "{got:?}");
    // Results answer the Get, referring to its CmdID.
    let results: Vec<_> = pkg3
        .body
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Results(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(results.len(), 1);
    // The last Get lists the Lab children that remain.
    let last = decode(t.exchanges.last().unwrap().request.body.as_bytes());
    let listing = last
        .body
        .commands
        .iter()
        .find_map(|c| match c {
            Command::Results(r) => r.items[0].data.clone(),
            _ => None,
        })
        .expect("Results of the interior Get");
    assert_eq!(listing.as_text(), Some("C/Copy"));
    // Every message in the session's encoding, on both sides.
    for e in &t.exchanges {
        let want = match encoding {
            Encoding::Xml => dmct_proto::CONTENT_TYPE_XML,
            Encoding::Wbxml => dmct_proto::CONTENT_TYPE_WBXML,
        };
        assert_eq!(e.request.headers.media_type(), Some(Ok(want.into())));
        let r = e.response.as_ref().unwrap();
        assert_eq!(r.headers.media_type(), Some(Ok(want.into())));
        let d = dmct_proto::decode(r.body.as_bytes()).unwrap();
        assert_eq!(d.encoding, encoding);
    }
}

#[test]
fn every_scheme_and_encoding_runs_every_command() {
    for encoding in [Encoding::Xml, Encoding::Wbxml] {
        for scheme in Scheme::ALL {
            // Mutual: the server must prove itself with the same scheme.
            let mut c = client(scheme, scheme, encoding);
            let mut s = server(scheme, EVERY_COMMAND);
            let t = run(&mut c, &mut s);
            check_every_command(&t, &c, encoding);
            if scheme == Scheme::Hmac {
                // Once the client has asked for HMAC, every server answer is signed.
                let signed = t
                    .exchanges
                    .iter()
                    .skip_while(|e| {
                        e.response
                            .as_ref()
                            .unwrap()
                            .headers
                            .get(HMAC_HEADER)
                            .is_none()
                    })
                    .count();
                assert!(signed >= 2, "{signed} signed answers");
                assert!(
                    t.exchanges
                        .iter()
                        .skip(t.exchanges.len() - signed)
                        .all(|e| {
                            e.response
                                .as_ref()
                                .unwrap()
                                .headers
                                .get(HMAC_HEADER)
                                .is_some()
                        })
                );
            }
            let first = decode(t.exchanges[0].request.body.as_bytes());
            match scheme {
                // Basic needs no nonce: accepted at once with 212.
                Scheme::Basic => {
                    let p2 = decode(t.exchanges[0].response.as_ref().unwrap().body.as_bytes());
                    assert_eq!(p2.synchdr_status().unwrap().code(), Some(212));
                }
                // Without a stored nonce the client opens without credentials and is
                // challenged (407) with one.
                Scheme::Md5 | Scheme::Hmac => {
                    assert!(first.hdr.cred.is_none());
                    let p2 = decode(t.exchanges[0].response.as_ref().unwrap().body.as_bytes());
                    let st = p2.synchdr_status().unwrap();
                    assert_eq!(st.code(), Some(407));
                    let chal = st.chal.as_ref().unwrap();
                    assert_eq!(chal.meta.r#type.as_deref(), Some(scheme.meta_type()));
                    assert!(chal.meta.next_nonce.is_some());
                }
            }
        }
    }
}

/// HMAC: every later request carries a mac keyed with the nonce of the server's previous
/// answer, the server answers 200 (never 212) with a new nonce each time.
#[test]
fn hmac_keys_every_message_with_the_latest_nonce() {
    let mut c = client(Scheme::Hmac, Scheme::Md5, Encoding::Xml);
    let mut s = server(Scheme::Hmac, EVERY_COMMAND);
    let t = run(&mut c, &mut s);
    let mut nonces = Vec::new();
    for (i, e) in t.exchanges.iter().enumerate() {
        let resp = decode(e.response.as_ref().unwrap().body.as_bytes());
        let st = resp.synchdr_status().unwrap().clone();
        if i == 0 {
            assert!(e.request.headers.get(HMAC_HEADER).is_none());
        } else {
            let h = HmacHeader::parse(e.request.headers.get(HMAC_HEADER).unwrap()).unwrap();
            assert_eq!(h.username, "c");
            let nonce: &Nonce = nonces.last().unwrap();
            let want = auth::hmac_mac(&creds("c"), nonce.as_bytes(), e.request.body.as_bytes());
            assert_eq!(h.mac, want, "mac of request {i}");
            assert_eq!(st.code(), Some(200), "HMAC is answered 200, not 212");
        }
        let n = st.chal.unwrap().meta.next_nonce.unwrap();
        let n = Nonce::from_b64(&n).unwrap();
        assert!(!nonces.contains(&n), "a new nonce every message");
        nonces.push(n);
    }
    assert!(t.exchanges.len() >= 4);
}

/// A tampered HMAC request is refused with 401 and a fresh nonce.
#[test]
fn hmac_mac_over_other_bytes_is_refused() {
    let mut c = client(Scheme::Hmac, Scheme::Md5, Encoding::Xml);
    let mut s = server(Scheme::Hmac, EVERY_COMMAND);
    let out = c.start();
    let r1 = s.respond(&out.to_request());
    let ClientStep::Send(out2) = c.on_response(Some(&r1)) else {
        panic!("client should re-authenticate")
    };
    let mut req = out2.to_request();
    // Same length, still a valid message: only the mac can tell.
    let body = String::from_utf8(req.body.as_bytes().to_vec()).unwrap();
    assert!(body.contains("<Data>en</Data>"));
    req.body = body
        .replace("<Data>en</Data>", "<Data>fr</Data>")
        .into_bytes()
        .into();
    let r2 = s.respond(&req);
    let m = decode(r2.body.as_bytes());
    let st = m.synchdr_status().unwrap();
    assert_eq!(st.code(), Some(401));
    let first = decode(r1.body.as_bytes());
    assert_ne!(
        st.chal.as_ref().unwrap().meta.next_nonce,
        first
            .synchdr_status()
            .unwrap()
            .chal
            .as_ref()
            .unwrap()
            .meta
            .next_nonce
    );
}

/// A server whose package carries commands but no credentials is challenged by the
/// client; it repeats the package with credentials of the scheme asked for (MD5 with the
/// client's nonce, or the HMAC header), and only then are the commands executed.
#[test]
fn client_challenges_a_server_without_credentials() {
    let script = r#"
        [[package]]
        cred = "none"
        commands = [{ op = "replace", target = "./DMAcc/dmct/Name", data = "lab" }]
    "#;
    for server_scheme in [Scheme::Basic, Scheme::Md5, Scheme::Hmac] {
        let mut c = client(Scheme::Basic, server_scheme, Encoding::Xml);
        let mut s = server(Scheme::Basic, script);
        let t = run(&mut c, &mut s);
        let p3 = decode(t.exchanges[1].request.body.as_bytes());
        let st = p3.synchdr_status().unwrap();
        assert_eq!(st.code(), Some(407));
        assert_eq!(
            st.chal.as_ref().unwrap().meta.r#type.as_deref(),
            Some(server_scheme.meta_type())
        );
        // The refused Replace was not executed and got 407 too.
        assert!(
            codes(&p3)
                .iter()
                .any(|(c, _, n)| c == "Replace" && *n == 407)
        );
        let p4 = t.exchanges[1].response.as_ref().unwrap();
        let p4m = decode(p4.body.as_bytes());
        match server_scheme {
            Scheme::Hmac => {
                assert!(p4m.hdr.cred.is_none());
                assert!(p4.headers.get(HMAC_HEADER).is_some());
            }
            other => {
                let cred = p4m.hdr.cred.as_ref().expect("server credentials");
                assert_eq!(
                    cred.meta.as_ref().unwrap().r#type.as_deref(),
                    Some(other.meta_type())
                );
            }
        }
        let p5 = decode(t.exchanges[2].request.body.as_bytes());
        let ok = if server_scheme == Scheme::Hmac {
            200
        } else {
            212
        };
        assert_eq!(p5.synchdr_status().unwrap().code(), Some(ok));
        assert!(
            codes(&p5)
                .iter()
                .any(|(c, _, n)| c == "Replace" && *n == 200)
        );
        assert_eq!(c.tree().leaf("./DMAcc/dmct/Name").unwrap().value, "lab");
    }
}

/// Wrong server credentials are refused with 401 and the commands are not executed;
/// the session ends when the server keeps failing.
#[test]
fn client_refuses_wrong_server_credentials() {
    let script = r#"
        [[package]]
        cred = "invalid"
        commands = [{ op = "replace", target = "./DMAcc/dmct/Name", data = "lab" }]
    "#;
    let mut c = client(Scheme::Basic, Scheme::Basic, Encoding::Xml);
    let mut s = server(Scheme::Basic, script);
    let t = run(&mut c, &mut s);
    let p3 = decode(t.exchanges[1].request.body.as_bytes());
    assert_eq!(p3.synchdr_status().unwrap().code(), Some(401));
    // The server repeats with valid credentials, and the command runs then.
    assert_eq!(c.tree().leaf("./DMAcc/dmct/Name").unwrap().value, "lab");
}

/// The server switches scheme on request during setup: a scripted challenge for MD5
/// after a Basic Package #1; the client follows and the session continues (the seed's
/// rule). A later challenge for HMAC, once MD5 was accepted, cannot be followed: "Once
/// authentication has occurred, the authentication type ... MUST be kept same for the
/// whole session" ([PRO] §9.1), so the client ends the session ([SEC] §5.4.1).
#[test]
fn server_switches_scheme_in_setup_and_the_session_continues_but_not_after() {
    let script = r#"
        [[package]]
        challenge = { status = 401, scheme = "md5" }
        [[package]]
        cred = "valid"
        commands = [{ op = "get", target = "./DevInfo/Mod" }]
        [[package]]
        challenge = { status = 401, scheme = "hmac" }
        [[package]]
        commands = [{ op = "replace", target = "./DMAcc/dmct/Name", data = "after" }]
    "#;
    let mut c = client(Scheme::Basic, Scheme::Md5, Encoding::Wbxml);
    let mut s = server(Scheme::Basic, script);
    let t = run(&mut c, &mut s);
    let session_ids: Vec<String> = t
        .exchanges
        .iter()
        .map(|e| decode(e.request.body.as_bytes()).hdr.session_id)
        .collect();
    assert!(session_ids.iter().all(|s| s == "42"), "{session_ids:?}");
    let schemes: Vec<Option<String>> = t
        .exchanges
        .iter()
        .map(|e| {
            let m = decode(e.request.body.as_bytes());
            m.hdr
                .cred
                .and_then(|c| c.meta)
                .and_then(|m| m.r#type)
                .or_else(|| e.request.headers.get(HMAC_HEADER).map(|_| "hmac".into()))
        })
        .collect();
    assert_eq!(schemes[0].as_deref(), Some(auth::AUTH_BASIC));
    assert_eq!(schemes[1].as_deref(), Some(auth::AUTH_MD5));
    assert!(
        schemes.iter().all(|s| s.as_deref() != Some("hmac")),
        "the client switched scheme after authentication: {schemes:?}"
    );
    // The session ended at the HMAC challenge: it is the last thing the server sent,
    // and the Replace scripted after it never ran.
    let last = t.exchanges.last().unwrap().response.as_ref().unwrap();
    let chal = decode(last.body.as_bytes())
        .synchdr_status()
        .and_then(|s| s.chal.clone())
        .expect("the last server message is the challenge");
    assert_eq!(chal.meta.r#type.as_deref(), Some(Scheme::Hmac.meta_type()));
    assert_ne!(c.tree().leaf("./DMAcc/dmct/Name").unwrap().value, "after");
}

/// A large object in both directions: the server's Add is cut into chunks that fit the
/// client's MaxMsgSize (MoreData on all but the last, Size on the first), each answered
/// 213 with Alert 1222 and no Final; the client's Results for the Get of it are cut to
/// the server's MaxMsgSize the same way. Every message respects the other's limit.
#[test]
fn large_objects_go_in_chunks_both_ways() {
    let script = r#"
        max_msg_size = 3000
        [[package]]
        cred = "valid"
        commands = [{ op = "add", target = "./Vendor/dmct/Lab/Big", data = "0123456789", repeat = 1000 }]
        [[package]]
        commands = [{ op = "get", target = "./Vendor/dmct/Lab/Big" }]
    "#;
    for encoding in [Encoding::Xml, Encoding::Wbxml] {
        let mut c = Client::new(ClientConfig {
            max_msg_size: 2000,
            ..config(Scheme::Basic, Scheme::Basic, encoding)
        });
        let mut s = server(Scheme::Basic, script);
        let t = run(&mut c, &mut s);
        let big = "0123456789".repeat(1000);
        assert_eq!(c.tree().leaf("./Vendor/dmct/Lab/Big").unwrap().value, big);
        let mut server_chunks = 0;
        let mut client_chunks = 0;
        let mut results_text = String::new();
        for e in &t.exchanges {
            let req = decode(e.request.body.as_bytes());
            let resp_body = e.response.as_ref().unwrap().body.as_bytes();
            let resp = decode(resp_body);
            assert!(
                resp_body.len() <= 2000,
                "server message of {} bytes",
                resp_body.len()
            );
            assert!(e.request.body.len() <= 3000 || t.exchanges[0].request.body == e.request.body);
            for cmd in &resp.body.commands {
                if let Command::Add(a) = cmd
                    && a.items[0].extras.more_data
                {
                    server_chunks += 1;
                    assert!(!resp.body.final_, "no Final while an object is cut");
                    let size = a.items[0].meta.as_ref().and_then(|m| m.size.clone());
                    assert_eq!(
                        size.is_some(),
                        server_chunks == 1,
                        "Size on the first chunk only"
                    );
                }
            }
            for cmd in &req.body.commands {
                if let Command::Results(r) = cmd {
                    results_text.push_str(r.items[0].data.as_ref().unwrap().as_text().unwrap());
                    if r.items[0].extras.more_data {
                        client_chunks += 1;
                        assert!(!req.body.final_);
                        // The server acknowledges the chunk and asks for the next message.
                        let codes = codes(&resp);
                        assert!(
                            codes.iter().any(|(c, _, n)| c == "Results" && *n == 213),
                            "{codes:?}"
                        );
                        assert!(resp.alert_codes().any(|a| a == "1222"));
                        assert!(!resp.body.final_);
                    }
                }
            }
            // Each server chunk is answered 213 and Alert 1222, without Final.
            if resp
                .body
                .commands
                .iter()
                .any(|c| matches!(c, Command::Add(a) if a.items[0].extras.more_data))
            {
                let next = t
                    .exchanges
                    .iter()
                    .map(|x| decode(x.request.body.as_bytes()))
                    .find(|m| {
                        m.hdr.msg_id.parse::<u32>().unwrap()
                            == req.hdr.msg_id.parse::<u32>().unwrap() + 1
                    })
                    .unwrap();
                assert!(codes(&next).iter().any(|(c, _, n)| c == "Add" && *n == 213));
                assert!(next.alert_codes().any(|a| a == "1222"));
                assert!(!next.body.final_);
            }
        }
        assert!(server_chunks >= 5, "{server_chunks} server chunks");
        assert!(client_chunks >= 3, "{client_chunks} client chunks");
        assert_eq!(results_text, big, "the Results chunks make up the object");
    }
}

fn config(scheme: Scheme, server_scheme: Scheme, encoding: Encoding) -> ClientConfig {
    ClientConfig {
        server_url: URL.into(),
        dev_info: DevInfo {
            dev_id: "IMEI:1".into(),
            man: "dmct".into(),
            model: "x".into(),
            dmv: "1.2".into(),
            lang: "en".into(),
        },
        creds: creds("c"),
        scheme,
        nonce: None,
        unprompted: true,
        server_creds: Some(creds("s")),
        server_scheme,
        // Not the resync nonce: a device that has been managed before holds its own.
        stored_server_nonce: Nonce(STORED_SERVER_NONCE.to_vec()),
        package0_nonce: None,
        server_id: SERVER_ID.into(),
        nonce_seed: 9,
        session_id: "42".into(),
        alert: "1201".into(),
        max_msg_size: 10_000,
        max_obj_size: Some(100_000),
        encoding,
        verproto_param: Default::default(),
        faults: Default::default(),
        probes: Vec::new(),
    }
}

/// The reference client answers its server's Package 0 (Alert 1200, the notification's
/// SessionID) and, as a strict device does, refuses one of another version ([NOT]
/// §6.2.6), of another server, or signed with another secret.
#[test]
fn client_answers_package0_and_refuses_a_nonconforming_one() {
    use dmct_session::client::NotificationError;
    let sc = server_config(Scheme::Basic);
    let client = || config(Scheme::Basic, Scheme::Basic, Encoding::Xml);
    let refused = |sc: ServerConfig| {
        let bytes = sc.package0(0x00AB).expect("encodable");
        client().for_notification(&bytes).expect_err("refused")
    };
    let faulty = ServerConfig {
        faults: [ServerFault::Pkg0Version12].into(),
        ..sc.clone()
    };
    assert_eq!(refused(faulty), NotificationError::Version { found: 12 });
    let other = ServerConfig {
        server_id: "other.example".into(),
        ..sc.clone()
    };
    assert_eq!(
        refused(other),
        NotificationError::UnknownServer {
            found: "other.example".into(),
            expected: SERVER_ID.into(),
        }
    );
    let wrong_secret = ServerConfig {
        server_creds: creds("x"),
        ..sc.clone()
    };
    assert_eq!(refused(wrong_secret), NotificationError::BadDigest);

    let answered = client()
        .for_notification(&sc.package0(0x00AB).expect("encodable"))
        .expect("a conformant Package 0 is answered");
    let script = "[[package]]\ncred = \"valid\"\ncommands = [{ op = \"get\", target = \"./DMAcc/dmct/ServerID\" }]";
    let mut s = Server::new(sc, toml::from_str(script).expect("script"));
    let mut c = Client::new(answered);
    let t = run(&mut c, &mut s);
    let pkg1 = decode(t.exchanges[0].request.body.as_bytes());
    assert_eq!(pkg1.hdr.session_id, "AB");
    assert!(
        pkg1.alert_codes().any(|a| a == "1200"),
        "{}",
        summary(&pkg1)
    );
    assert_eq!(
        c.tree()
            .leaf("./DMAcc/dmct/ServerID")
            .map(|l| l.value.as_str()),
        Some(SERVER_ID),
        "the DMAcc names the configured server"
    );
}

/// [NOT] §5.1: a device checks Package 0 with its stored server nonce, then with the
/// resync nonce 0x00000000 (four zero bytes), and ignores the trigger when both fail.
#[test]
fn client_checks_package0_with_its_stored_nonce_then_the_resync_nonce() {
    use dmct_proto::package0::Package0Nonce;
    use dmct_session::client::NotificationError;
    let signed = |nonce: Package0Nonce| {
        let sc = ServerConfig {
            package0_nonce: nonce,
            ..server_config(Scheme::Basic)
        };
        config(Scheme::Basic, Scheme::Basic, Encoding::Xml)
            .for_notification(&sc.package0(0x1234).expect("encodable"))
    };
    let stored = Package0Nonce::Stored(Nonce(STORED_SERVER_NONCE.to_vec()));
    assert_eq!(
        signed(stored).expect("stored nonce").package0_nonce,
        Some(Package0Verified::StoredNonce)
    );
    let resync = signed(Package0Nonce::Resync).expect("resync nonce");
    assert_eq!(resync.package0_nonce, Some(Package0Verified::ResyncNonce));
    assert_eq!(resync.session_id, "1234");
    for wrong in [
        Package0Nonce::Stored(Nonce(b"a nonce the device never issued".to_vec())),
        Package0Nonce::Empty,
        // The reference client reads 0x00000000 as four zero bytes only.
        Package0Nonce::ResyncAscii,
    ] {
        assert_eq!(
            signed(wrong.clone()).map(|c| c.package0_nonce),
            Err(NotificationError::BadDigest),
            "{wrong}"
        );
    }
    // Not woken by a Package 0: nothing to note.
    let plain = config(Scheme::Basic, Scheme::Basic, Encoding::Xml);
    assert_eq!(plain.package0_nonce, None);
}

/// A package of many commands whose answer does not fit the server's MaxMsgSize: the
/// client splits it at command boundaries, the server asks for each next message with
/// Alert 1222 and no Final, and every command is answered exactly once.
#[test]
fn a_package_too_big_for_one_message_goes_in_several() {
    let gets: Vec<String> = (0..40)
        .map(|i| {
            let node = ["DevId", "Man", "Mod", "DmV", "Lang"][i % 5];
            format!("{{ op = \"get\", target = \"./DevInfo/{node}\" }}")
        })
        .collect();
    let script = format!(
        "max_msg_size = 1500\n[[package]]\ncred = \"valid\"\ncommands = [{}]\n",
        gets.join(", ")
    );
    for encoding in [Encoding::Xml, Encoding::Wbxml] {
        let mut c = client(Scheme::Basic, Scheme::Basic, encoding);
        let mut s = server(Scheme::Basic, &script);
        let t = run(&mut c, &mut s);
        let pkg2 = decode(t.exchanges[0].response.as_ref().unwrap().body.as_bytes());
        let get_ids: Vec<String> = pkg2
            .body
            .commands
            .iter()
            .filter(|c| c.name() == "Get")
            .map(|c| c.cmd_id().unwrap().to_owned())
            .collect();
        assert_eq!(get_ids.len(), 40);
        let mut answered = Vec::new();
        let mut results = 0;
        let mut parts = 0;
        for e in &t.exchanges[1..] {
            let req = decode(e.request.body.as_bytes());
            let resp = decode(e.response.as_ref().unwrap().body.as_bytes());
            assert!(
                e.request.body.len() <= 1500,
                "{} bytes",
                e.request.body.len()
            );
            answered.extend(
                req.statuses()
                    .filter(|s| s.cmd == "Get")
                    .map(|s| s.cmd_ref.clone()),
            );
            results += req
                .body
                .commands
                .iter()
                .filter(|c| matches!(c, Command::Results(_)))
                .count();
            if !req.body.final_ {
                parts += 1;
                // The server's Next Message response: Status for the SyncHdr, Alert 1222,
                // no other command, no Final.
                assert!(!resp.body.final_);
                assert!(resp.alert_codes().eq(["1222"]));
                assert_eq!(resp.operations().count(), 1);
            }
        }
        assert!(parts >= 2, "{parts} non-final messages");
        answered.sort();
        let mut want = get_ids.clone();
        want.sort();
        assert_eq!(answered, want, "every Get answered once");
        assert_eq!(results, 40);
    }
}

/// Feed the client a hand-made server message (after a Package #1 it has sent).
fn feed(c: &mut Client, m: &SyncML) -> Option<SyncML> {
    let mut headers = dmct_proto::transcript::Headers::default();
    headers.push("Content-Type", dmct_proto::CONTENT_TYPE_XML);
    let r = dmct_proto::transcript::HttpResponse {
        status: 200,
        headers,
        body: dmct_proto::encode(m, Encoding::Xml).into(),
    };
    match c.on_response(Some(&r)) {
        ClientStep::Send(out) => Some(decode(&out.body)),
        ClientStep::Done(_) => None,
    }
}

/// A server message holding `cmds`, with Final or not.
fn server_msg(n: u32, cmds: Vec<Command>, fin: bool) -> SyncML {
    let mut b =
        dmct_session::build::MessageBuilder::new("42", n, "IMEI:1", dmct_proto::LocRef::uri(URL));
    b.hdr_mut().cred = dmct_session::build::cred(Scheme::Basic, &creds("s"), None);
    b.push(dmct_session::build::synchdr_status(
        &dmct_proto::SyncHdr {
            msg_id: n.to_string(),
            ..Default::default()
        },
        212,
        None,
    ));
    for c in cmds {
        b.push(c);
    }
    b.finish(fin)
}

fn chunk(target: &str, data: &str, more: bool, size: Option<usize>) -> Command {
    Command::Replace(dmct_proto::ItemCmd {
        items: vec![dmct_proto::Item {
            target: Some(dmct_proto::LocRef::uri(target)),
            data: Some(dmct_proto::Data::Text(data.into())),
            extras: dmct_proto::ItemExtras {
                more_data: more,
                ..Default::default()
            }
            .into(),
            meta: size.map(|n| {
                dmct_proto::Meta {
                    size: Some(n.to_string()),
                    ..Default::default()
                }
                .into()
            }),
            ..Default::default()
        }],
        ..Default::default()
    })
}

fn status_of(m: &SyncML, cmd: &str) -> Vec<u16> {
    m.statuses()
        .filter(|s| s.cmd == cmd)
        .filter_map(|s| s.code())
        .collect()
}

/// The receiving side of large objects: a Size that does not match is 424 and nothing
/// is stored; a new command before the last chunk gets Alert 1225 naming the object; an
/// object over MaxObjSize is 413 for every chunk of it.
#[test]
fn large_object_errors_424_1225_413() {
    let node = "./DMAcc/dmct/Name";
    let fresh = || {
        let mut c = client(Scheme::Basic, Scheme::Basic, Encoding::Xml);
        c.start();
        c
    };

    // 424: 20 bytes announced, 15 sent.
    let mut c = fresh();
    let r = feed(
        &mut c,
        &server_msg(1, vec![chunk(node, "0123456789", true, Some(20))], false),
    )
    .unwrap();
    assert_eq!(status_of(&r, "Replace"), [213]);
    assert!(r.alert_codes().any(|a| a == "1222"));
    let r = feed(
        &mut c,
        &server_msg(2, vec![chunk(node, "abcde", false, None)], true),
    )
    .unwrap();
    assert_eq!(status_of(&r, "Replace"), [424]);
    assert_eq!(c.tree().leaf(node).unwrap().value, "dmct reference");

    // 1225: a Get comes before the last chunk.
    let mut c = fresh();
    feed(
        &mut c,
        &server_msg(1, vec![chunk(node, "0123456789", true, Some(20))], false),
    )
    .unwrap();
    let get = Command::Get(dmct_proto::ItemCmd {
        items: vec![dmct_proto::Item {
            target: Some(dmct_proto::LocRef::uri("./DevInfo/Mod")),
            ..Default::default()
        }],
        ..Default::default()
    });
    let r = feed(&mut c, &server_msg(2, vec![get], true)).unwrap();
    let alert = r
        .body
        .commands
        .iter()
        .find_map(|c| c.as_alert().filter(|a| a.data.as_deref() == Some("1225")))
        .expect("Alert 1225");
    assert_eq!(alert.items[0].target.as_ref().unwrap().loc_uri, node);
    assert_eq!(status_of(&r, "Get"), [200]);
    assert_eq!(c.tree().leaf(node).unwrap().value, "dmct reference");

    // 413: larger than MaxObjSize (100,000 here).
    let mut c = fresh();
    let r = feed(
        &mut c,
        &server_msg(
            1,
            vec![chunk(node, "0123456789", true, Some(200_000))],
            false,
        ),
    )
    .unwrap();
    assert_eq!(status_of(&r, "Replace"), [413]);
    let r = feed(
        &mut c,
        &server_msg(2, vec![chunk(node, "more", false, None)], true),
    )
    .unwrap();
    assert_eq!(status_of(&r, "Replace"), [413]);
    assert_eq!(c.tree().leaf(node).unwrap().value, "dmct reference");

    // And the good case by hand: 20 announced, 20 sent.
    let mut c = fresh();
    feed(
        &mut c,
        &server_msg(1, vec![chunk(node, "0123456789", true, Some(20))], false),
    )
    .unwrap();
    let r = feed(
        &mut c,
        &server_msg(2, vec![chunk(node, "abcdefghij", false, None)], true),
    )
    .unwrap();
    assert_eq!(status_of(&r, "Replace"), [200]);
    assert_eq!(c.tree().leaf(node).unwrap().value, "0123456789abcdefghij");
}

/// The server reads a message whatever its label says (issue 13 item 3): the DM type
/// with parameters in any form (the bare `verproto=DM/1.2` of older clients too), the
/// SyncML DS type, a malformed type or none. The bytes tell the encoding; it answers
/// in that encoding under the proper DM type and in the configured form. Labels are for
/// the HTTP binding rules to judge, not a reason to end a session.
#[test]
fn server_reads_a_message_by_its_bytes_whatever_its_label() {
    for (ct, encoding) in [
        (Some("application/vnd.syncml.dm+xml"), Encoding::Xml),
        (
            Some("application/vnd.syncml.dm+xml; verproto=\"DM/1.2\""),
            Encoding::Xml,
        ),
        (
            Some("Application/VND.SyncML.DM+XML ;charset=utf-8;\tverproto=DM/1.2"),
            Encoding::Xml,
        ),
        (Some("text xml"), Encoding::Xml),
        (Some("application/vnd.syncml+xml"), Encoding::Xml),
        (None, Encoding::Xml),
        (Some("application/vnd.syncml+wbxml"), Encoding::Wbxml),
        // The other DM type: the body, not the label, is answered.
        (Some("application/vnd.syncml.dm+xml"), Encoding::Wbxml),
        (None, Encoding::Wbxml),
    ] {
        let mut c = client(Scheme::Basic, Scheme::Basic, encoding);
        let mut s = server(Scheme::Basic, EVERY_COMMAND);
        let mut req = c.start().to_request();
        req.headers
            .0
            .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        if let Some(ct) = ct {
            req.headers.push("Content-Type", ct);
        }
        let r = s.respond(&req);
        assert_eq!(r.status, 200, "{ct:?} {encoding:?}");
        let want = match encoding {
            Encoding::Xml => "application/vnd.syncml.dm+xml; verproto=\"DM/1.2\"",
            Encoding::Wbxml => "application/vnd.syncml.dm+wbxml; verproto=\"DM/1.2\"",
        };
        assert_eq!(r.headers.get("content-type"), Some(want), "{ct:?}");
        let answer = dmct_proto::decode(r.body.as_bytes()).unwrap();
        assert_eq!(answer.encoding, encoding, "{ct:?}");
        // The session goes on: Package #2 carries the script's commands.
        assert!(
            answer.message.operations().next().is_some(),
            "{ct:?} {encoding:?}"
        );
    }
    let mut s = Server::new(
        ServerConfig {
            verproto_param: dmct_proto::media_type::VerProtoParam::Omit,
            ..server_config(Scheme::Basic)
        },
        toml::from_str(EVERY_COMMAND).unwrap(),
    );
    let mut c = client(Scheme::Basic, Scheme::Basic, Encoding::Wbxml);
    let r = s.respond(&c.start().to_request());
    assert_eq!(
        r.headers.get("content-type"),
        Some(dmct_proto::CONTENT_TYPE_WBXML)
    );
}

/// Only a body that is no DM message is refused: 400 with what it was, in words; 405
/// when it did not even come with POST.
#[test]
fn server_refuses_only_an_undecodable_body() {
    let mut s = server(Scheme::Basic, EVERY_COMMAND);
    let mut c = client(Scheme::Basic, Scheme::Basic, Encoding::Xml);
    let mut req = c.start().to_request();
    req.body = b"<html><body>hello</body></html>".to_vec().into();
    req.headers
        .0
        .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
    req.headers
        .push("Content-Type", "application/vnd.syncml+xml");
    let r = s.respond(&req);
    assert_eq!(r.status, 400);
    let text = String::from_utf8(r.body.as_bytes().to_vec()).unwrap();
    assert!(
        text.starts_with(
            "the body (31 bytes, labelled application/vnd.syncml+xml) is not a SyncML DM \
             message in XML or WBXML: "
        ),
        "{text}"
    );
    req.method = "GET".into();
    let r = s.respond(&req);
    assert_eq!(r.status, 405);
    assert_eq!(r.headers.get("allow"), Some("POST"));
    // A DM message sent with another method is still answered (http/post judges it).
    let mut req = c.start().to_request();
    req.method = "PUT".into();
    assert_eq!(s.respond(&req).status, 200);
}

fn get(cmd_id: &str, targets: &[&str]) -> Command {
    Command::Get(dmct_proto::ItemCmd {
        cmd_id: cmd_id.into(),
        items: targets
            .iter()
            .map(|t| dmct_proto::Item {
                target: Some(dmct_proto::LocRef::uri(*t)),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
}

/// A Get of several nodes gets one Status: 404 when one is missing, and then no Results
/// at all ([PRO] §8.5 item 4: Results for successful Gets); 200 with one Results Item
/// per node when all exist.
#[test]
fn a_get_with_a_missing_node_fails_whole_and_has_no_results() {
    let mut c = client(Scheme::Basic, Scheme::Basic, Encoding::Xml);
    c.start();
    let answer = feed(
        &mut c,
        &server_msg(
            1,
            vec![
                get("2", &["./DevInfo/Mod", "./DevInfo/Nope", "./DevInfo/Man"]),
                get("3", &["./DevInfo/Mod", "./DevInfo/Man"]),
            ],
            true,
        ),
    )
    .expect("the client answers");
    let get_codes: Vec<(String, u16)> = answer
        .statuses()
        .filter(|s| s.cmd == "Get")
        .map(|s| (s.cmd_ref.to_string(), s.code().unwrap_or(0)))
        .collect();
    assert_eq!(get_codes, [("2".into(), 404), ("3".into(), 200)]);
    let results: Vec<(String, Vec<String>)> = answer
        .body
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Results(r) => Some((
                r.cmd_ref.to_string(),
                r.items
                    .iter()
                    .filter_map(|i| i.source.as_ref().map(|s| s.loc_uri.to_string()))
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        [(
            "3".into(),
            vec!["./DevInfo/Mod".into(), "./DevInfo/Man".into()]
        )]
    );
}

/// The fault that reproduces the old answer: 404 for the Get and Results for the nodes
/// that were found.
#[test]
fn results_for_failed_get_fault_sends_the_contradiction() {
    let mut cfg = config(Scheme::Basic, Scheme::Basic, Encoding::Xml);
    cfg.faults = [ClientFault::ResultsForFailedGet].into();
    let mut c = Client::new(cfg);
    c.start();
    let answer = feed(
        &mut c,
        &server_msg(
            1,
            vec![get("2", &["./DevInfo/Mod", "./DevInfo/Nope"])],
            true,
        ),
    )
    .expect("the client answers");
    assert_eq!(status_of(&answer, "Get"), [404]);
    assert!(
        answer
            .body
            .commands
            .iter()
            .any(|c| matches!(c, Command::Results(r) if r.cmd_ref == "2" && r.items.len() == 1))
    );
}

/// A scripted challenge is 407 for a request without credentials ([PRO] §9.4.1) and the
/// script's 401 for one whose credentials it refuses ([PRO] §9.1).
#[test]
fn scripted_challenge_is_407_without_credentials_and_401_with_them() {
    let script = r#"
[[package]]
challenge = { status = 401, scheme = "md5" }
[[package]]
cred = "valid"
"#;
    let first_code = |scheme: Scheme| {
        let mut c = client(scheme, Scheme::Basic, Encoding::Xml);
        let mut s = server(Scheme::Md5, script);
        let resp = s.respond(&c.start().to_request());
        decode(resp.body.as_bytes())
            .synchdr_status()
            .and_then(|st| st.code())
    };
    // Basic opens with Cred; HMAC without a nonce opens with none.
    assert_eq!(first_code(Scheme::Basic), Some(401));
    assert_eq!(first_code(Scheme::Hmac), Some(407));
}

/// A message refused for authentication gets a Status for every command it holds,
/// Results included ([PRO] §9.1), each with the refusal's code, and none for a Status.
#[test]
fn a_refused_message_gets_a_status_for_every_command_results_included() {
    let mut b =
        dmct_session::build::MessageBuilder::new("42", 1, URL, dmct_proto::LocRef::uri("IMEI:1"));
    b.push(Command::alert(dmct_proto::Alert {
        data: Some("1201".into()),
        ..Default::default()
    }));
    b.push(Command::results(dmct_proto::Results {
        msg_ref: Some("1".into()),
        cmd_ref: "9".into(),
        ..Default::default()
    }));
    b.push(dmct_session::build::synchdr_status(
        &dmct_proto::SyncHdr {
            msg_id: "1".into(),
            ..Default::default()
        },
        200,
        None,
    ));
    let body = dmct_proto::encode(&b.finish(true), Encoding::Xml);
    let mut headers = dmct_proto::transcript::Headers::default();
    headers.push("Content-Type", dmct_proto::CONTENT_TYPE_XML);
    let req = dmct_proto::transcript::HttpRequest {
        method: "POST".into(),
        target: "/dm".into(),
        headers,
        body: body.into(),
    };
    let answer = decode(server(Scheme::Basic, "").respond(&req).body.as_bytes());
    let got: Vec<(String, u16)> = answer
        .statuses()
        .map(|s| (s.cmd.to_string(), s.code().unwrap_or(0)))
        .collect();
    assert_eq!(
        got,
        [
            ("SyncHdr".into(), 407),
            ("Alert".into(), 407),
            ("Results".into(), 407)
        ]
    );
}
