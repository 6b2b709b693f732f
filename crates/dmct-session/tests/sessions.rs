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
    Client::new(ClientConfig {
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
        server_creds: Some(creds("s")),
        server_scheme,
        nonce_seed: 9,
        session_id: "42".into(),
        alert: "1201".into(),
        max_msg_size: 10_000,
        encoding,
        faults: Default::default(),
    })
}

fn server(scheme: Scheme, script: &str) -> Server {
    Server::new(
        ServerConfig {
            url: URL.into(),
            client_creds: creds("c"),
            server_creds: creds("s"),
            scheme,
            nonce_seed: 1,
            faults: Default::default(),
        },
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
        .map(|s| (s.cmd.clone(), s.cmd_ref.clone(), s.code().unwrap_or(0)))
        .collect()
}

fn run(c: &mut Client, s: &mut Server) -> Transcript {
    let t = pair::run(c, s, 20);
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
        assert_eq!(e.request.headers.media_type().as_deref(), Some(want));
        let r = e.response.as_ref().unwrap();
        assert_eq!(r.headers.media_type().as_deref(), Some(want));
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

/// The server switches scheme on request: a scripted challenge for MD5 after a Basic
/// Package #1, then HMAC; the client follows each time and the session continues.
#[test]
fn server_switches_scheme_and_the_session_continues() {
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
        schemes.iter().any(|s| s.as_deref() == Some("hmac")),
        "{schemes:?}"
    );
    assert_eq!(c.tree().leaf("./DMAcc/dmct/Name").unwrap().value, "after");
}
