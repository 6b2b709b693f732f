//! Every scheme, unprompted or challenged: what `--auth` puts in Package #1, as dmct's
//! client sends it over loopback HTTP to `dmct peer server`.

use crate::common;

use common::*;
use dmct_proto::auth::{self, Credentials, HMAC_HEADER, HmacHeader, Nonce};
use dmct_proto::transcript::{Exchange, Transcript};
use std::path::Path;

fn client_creds() -> Credentials {
    Credentials {
        user: "dmct-client".into(),
        secret: "dmct-client-secret".into(),
    }
}

fn read_transcript(path: &Path) -> Transcript {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The SyncHdr Status code of the server's answer to an exchange.
fn hdr_code(ex: &Exchange) -> Option<u16> {
    let body = ex.response.as_ref()?.body.as_bytes();
    let msg = dmct_proto::decode(body).ok()?.message;
    msg.synchdr_status().and_then(|s| s.code())
}

fn has_cred(ex: &Exchange) -> bool {
    let msg = dmct_proto::decode(ex.request.body.as_bytes())
        .unwrap()
        .message;
    msg.hdr.cred.is_some()
}

/// `dmct peer client --auth AUTH` against `url`; its transcript and exit code.
fn peer_client(url: &str, dir: &Path, name: &str, extra: &[&str]) -> (Transcript, Option<i32>) {
    let path = dir.join(format!("{name}.json"));
    let mut args = vec!["peer", "client", "--url", url];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--transcript", path.to_str().unwrap()]);
    let o = dmct(&args);
    (read_transcript(&path), o.status.code())
}

#[test]
fn auth_hmac_opens_package1_with_the_header_and_none_sends_no_credentials() {
    let dir = tmp("auth-unprompted");
    // The server would challenge for HMAC; an unprompted HMAC must make that needless.
    let server = peer_server(&["--auth", "hmac"]);

    let (t, code) = peer_client(&server.url, &dir, "hmac", &["--auth", "hmac"]);
    assert_eq!(code, Some(0), "{t:#?}");
    let first = &t.exchanges[0];
    let value = first
        .request
        .headers
        .get(HMAC_HEADER)
        .expect("Package #1 carries x-syncml-hmac");
    let header = HmacHeader::parse(value).unwrap();
    assert_eq!(header.username, "dmct-client");
    // Keyed with the default stored nonce, the special value 0x00000000.
    let want = auth::hmac_mac(
        &client_creds(),
        Nonce::resync().as_bytes(),
        first.request.body.as_bytes(),
    );
    assert_eq!(header.mac, want);
    assert!(!has_cred(first), "HMAC never travels in Cred");
    // Accepted at once: 200 (HMAC is never 212), no challenge round.
    assert_eq!(hdr_code(first), Some(200));

    // --nonce names the stored nonce; a stale one is challenged and the client answers.
    let (t, code) = peer_client(
        &server.url,
        &dir,
        "hmac-stale",
        &["--auth", "hmac", "--nonce", "c3RhbGU="],
    );
    assert_eq!(code, Some(0), "{t:#?}");
    let header =
        HmacHeader::parse(t.exchanges[0].request.headers.get(HMAC_HEADER).unwrap()).unwrap();
    let stale = auth::hmac_mac(
        &client_creds(),
        b"stale",
        t.exchanges[0].request.body.as_bytes(),
    );
    assert_eq!(header.mac, stale);
    assert_eq!(hdr_code(&t.exchanges[0]), Some(401));
    assert!(t.exchanges[1].request.headers.get(HMAC_HEADER).is_some());
    assert_eq!(hdr_code(&t.exchanges[1]), Some(200));

    // Unprompted MD5 against a server that challenges for MD5: one Cred, accepted.
    let md5_server = peer_server(&["--auth", "md5"]);
    let (t, code) = peer_client(&md5_server.url, &dir, "md5", &["--auth", "md5"]);
    assert_eq!(code, Some(0), "{t:#?}");
    assert!(has_cred(&t.exchanges[0]));
    assert_eq!(hdr_code(&t.exchanges[0]), Some(212));

    // --auth none: no Cred, no header; the challenge is still answered.
    let (t, code) = peer_client(&server.url, &dir, "none", &["--auth", "none"]);
    assert_eq!(code, Some(0), "{t:#?}");
    let first = &t.exchanges[0];
    assert!(!has_cred(first));
    assert!(first.request.headers.get(HMAC_HEADER).is_none());
    assert_eq!(hdr_code(first), Some(407));
    assert!(t.exchanges[1].request.headers.get(HMAC_HEADER).is_some());
}

#[test]
fn drive_takes_auth_and_opens_with_hmac() {
    let server = peer_server(&["--auth", "hmac"]);
    let out = out_dir("auth-drive");
    let o = dmct(&[
        "drive",
        &server.url,
        "--auth",
        "hmac",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = std::fs::read_dir(out.join("transcripts"))
        .unwrap()
        .next()
        .expect("a transcript")
        .unwrap()
        .path();
    let t = read_transcript(&file);
    assert!(t.exchanges[0].request.headers.get(HMAC_HEADER).is_some());
    assert_eq!(hdr_code(&t.exchanges[0]), Some(200));
}

/// `peer server --auth none` demands no client credentials: a client that sends none
/// is answered 200, never challenged.
#[test]
fn peer_server_auth_none_challenges_nobody() {
    let server = peer_server(&["--auth", "none"]);
    let dir = tmp("auth-server-none");
    let (t, code) = peer_client(&server.url, &dir, "none", &["--auth", "none"]);
    assert_eq!(code, Some(0), "{t:#?}");
    assert!(t.exchanges.iter().all(|e| !has_cred(e)));
    assert!(
        t.exchanges.iter().all(|e| hdr_code(e) == Some(200)),
        "{t:#?}"
    );
}

#[test]
fn drive_sends_the_probes_it_is_given_and_the_server_refuses_them() {
    let server = peer_server(&["--auth", "md5"]);
    let out = out_dir("auth-drive-probe");
    let o = dmct(&[
        "drive",
        &server.url,
        "--auth",
        "md5",
        "--probe",
        "wrong-secret",
        "--probe",
        "stale-nonce",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = std::fs::read_dir(out.join("transcripts"))
        .unwrap()
        .next()
        .expect("a transcript")
        .unwrap()
        .path();
    let t = read_transcript(&file);
    let kinds: Vec<&str> = t.probes.iter().map(|p| p.kind.as_str()).collect();
    assert_eq!(kinds, ["wrong-secret", "stale-nonce"], "{:#?}", t.probes);
    for p in &t.probes {
        assert_eq!(hdr_code(&t.exchanges[p.exchange]), Some(401), "{p:?}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let verdict = report["cases"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "auth/server-refuses-wrong-cred")
        .map(|f| f["verdict"].clone());
    assert_eq!(verdict, Some(serde_json::json!("pass")), "{report}");
}

/// A CA and a client certificate it issued, as PEM files in `dir`: (ca, cert, key).
fn client_pki(dir: &Path, cn: &str) -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, format!("{cn} CA"));
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut leaf = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name.push(rcgen::DnType::CommonName, cn);
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let write = |name: &str, pem: String| {
        let p = dir.join(name);
        std::fs::write(&p, pem).unwrap();
        p.to_str().unwrap().to_owned()
    };
    (
        write(&format!("{cn}-ca.pem"), ca_cert.pem()),
        write(&format!("{cn}.pem"), cert.pem()),
        write(&format!("{cn}-key.pem"), key.serialize_pem()),
    )
}

fn only_transcript(out: &Path) -> Transcript {
    let file = std::fs::read_dir(out.join("transcripts"))
        .unwrap()
        .next()
        .expect("a transcript")
        .unwrap()
        .path();
    read_transcript(&file)
}

#[test]
fn drive_with_a_client_certificate_reaches_a_server_that_requires_one() {
    let dir = tmp("auth-tls");
    let (client_ca, cert, key) = client_pki(&dir, "device-1");
    let server_ca = dir.join("server-ca.pem");
    let server = peer_server(&[
        "--tls",
        "--ca-out",
        server_ca.to_str().unwrap(),
        "--client-ca",
        &client_ca,
    ]);
    let server_ca = server_ca.to_str().unwrap();

    // DM-level auth none: the certificate authenticates the device.
    let out = out_dir("auth-tls-drive");
    let o = dmct(&[
        "drive",
        &server.url,
        "--ca-file",
        server_ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
        "--auth",
        "none",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = only_transcript(&out);
    assert_eq!(t.transport.client.as_deref(), Some("CN=device-1"));
    assert!(
        t.transport
            .server
            .as_deref()
            .is_some_and(|s| s.contains("CN=localhost")),
        "{:?}",
        t.transport
    );
    // The report says which layer authenticated each side.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    // DM-level auth none: the server takes the certificate ([SEC] §5.4.5) and asks for
    // no credentials, so none are ever sent.
    assert!(t.exchanges.iter().all(|e| !has_cred(e)));
    assert_eq!(hdr_code(&t.exchanges[0]), Some(200));
    let a = &report["cases"][0]["authentication"];
    assert_eq!(a["client"], serde_json::json!(["transport"]), "{a}");
    assert_eq!(a["client_cert"], "CN=device-1", "{a}");
    assert_eq!(a["server"][0], "transport", "{a}");
    let txt = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(
        txt.contains("authentication - client: TLS certificate (CN=device-1)"),
        "{txt}"
    );

    // peer client takes the same flags.
    let (t, code) = peer_client(
        &server.url,
        &dir,
        "peer-client-cert",
        &[
            "--ca-file",
            server_ca,
            "--client-cert",
            &cert,
            "--client-key",
            &key,
        ],
    );
    assert_eq!(code, Some(0), "{t:#?}");
    assert_eq!(t.transport.client.as_deref(), Some("CN=device-1"));
    // Credentials given anyway are still checked: Basic, accepted with 212.
    assert!(has_cred(&t.exchanges[0]));
    assert_eq!(hdr_code(&t.exchanges[0]), Some(212));

    // Without the certificate the handshake fails, and dmct says why, promptly.
    let out = out_dir("auth-tls-nocert");
    let started = std::time::Instant::now();
    let o = dmct(&[
        "drive",
        &server.url,
        "--ca-file",
        server_ca,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // The probe before the session meets the refusal: one line that says what to do,
    // exit 2, and no report of a session that never started.
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--client-cert"), "{stderr}");
    assert!(!out.join("report.json").exists());

    // A certificate from another CA is refused too.
    let (_, other, other_key) = client_pki(&dir, "stranger");
    let out = out_dir("auth-tls-stranger");
    let o = dmct(&[
        "drive",
        &server.url,
        "--ca-file",
        server_ca,
        "--client-cert",
        &other,
        "--client-key",
        &other_key,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("TLS"), "{}", text(&o));
    assert!(!out.join("report.json").exists());

    // Without --ca-file the system's CA roots are trusted, and they do not know the
    // lab's CA: the server is refused as untrusted, and what to give is said.
    let o = dmct(&[
        "drive",
        &server.url,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("not trusted"), "{}", text(&o));
    assert!(text(&o).contains("--ca-file"), "{}", text(&o));
}

/// `run --serve --tls --client-ca`: the device authenticates with its certificate only;
/// dmct's server takes it, and the report says the transport authenticated the client.
#[test]
fn run_serve_with_client_ca_judges_a_certificate_only_device() {
    let dir = tmp("auth-serve-tls");
    let (client_ca, cert, key) = client_pki(&dir, "device-2");
    let server_ca = dir.join("server-ca.pem");
    let out = dir.join("out");
    let exec = format!(
        "{} peer client --url \"$DMCT_SERVER_URL\" --package0 \"$DMCT_PKG0_FILE\" \
         --server-secret dmct-server-secret --ca-file {} --client-cert {cert} \
         --client-key {key} --auth none 2>/dev/null",
        env!("CARGO_BIN_EXE_dmct"),
        server_ca.display()
    );
    let o = dmct(&[
        "run",
        "--serve",
        "127.0.0.1:0",
        "--tls",
        "--ca-out",
        server_ca.to_str().unwrap(),
        "--client-ca",
        &client_ca,
        "--exec",
        &exec,
        "--case",
        "session/get-replace",
        "--wait",
        "20",
        "--idle",
        "0.3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let case = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "session/get-replace")
        .expect("the case ran");
    assert_eq!(case["verdict"], "pass", "{case}");
    let a = &case["authentication"];
    assert_eq!(a["client"], serde_json::json!(["transport"]), "{a}");
    assert_eq!(a["client_cert"], "CN=device-2", "{a}");
    // The case's Cred rule had nothing to judge, because the certificate made Cred
    // needless: not applicable, saying why, never inconclusive or failed.
    let cred = case["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "auth/cred-type")
        .expect("the scenario names auth/cred-type");
    assert_eq!(cred["verdict"], "not-applicable", "{cred}");
    assert!(
        cred["detail"]
            .as_str()
            .unwrap()
            .contains("the transport authenticated the client"),
        "{cred}"
    );
}
