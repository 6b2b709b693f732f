//! HTTPS over real loopback sockets: trust, refusal, and peers that never shake hands.

use dmct_net::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Echo;

impl Responder for Echo {
    fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let mut headers = Headers::default();
        headers.push("X-Echo-Target", req.target.clone());
        HttpResponse {
            status: 200,
            headers,
            body: req.body.clone(),
        }
    }
}

fn limits(ms: u64) -> Limits {
    Limits {
        max_body: 64 * 1024,
        exchange_timeout: Duration::from_millis(ms),
        ..Limits::default()
    }
}

fn names() -> [&'static str; 2] {
    ["localhost", "127.0.0.1"]
}

async fn tls_server(tls: ServerTls, l: Limits) -> ServeHandle {
    serve_with("127.0.0.1:0".parse().unwrap(), Arc::new(Echo), l, Some(tls))
        .await
        .unwrap()
}

/// Every byte value, so the body check is byte-exact rather than text-shaped.
fn binary_body() -> Vec<u8> {
    (0..=255u8).cycle().take(3000).collect()
}

fn dm_headers() -> Headers {
    let mut h = Headers::default();
    h.push("Content-Type", "application/vnd.syncml.dm+wbxml");
    h
}

async fn ok_post(url: &str, client: &ClientTls) -> Exchange {
    let ex = post_with(
        url,
        dm_headers(),
        binary_body(),
        &limits(5000),
        Some(client),
    )
    .await;
    assert_eq!(ex.failure, None, "{:?}", ex.failure);
    assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200));
    ex
}

/// A fresh directory under the system temp dir, unique to this test and process.
fn temp_dir(tag: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let d = std::env::temp_dir().join(format!("dmct-net-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn a_trusted_generated_cert_carries_the_exchange_recorded_on_both_sides() {
    let tls = ServerTls::generate(&names()).unwrap();
    let client = ClientTls::from_ca_pem(tls.cert_pem().as_bytes()).unwrap();
    let srv = tls_server(tls, limits(5000)).await;
    assert_eq!(srv.scheme(), "https");
    assert_eq!(
        srv.url(),
        format!("https://127.0.0.1:{}", srv.local_addr().port())
    );

    let ex = ok_post(&format!("{}/dm?s=1", srv.url()), &client).await;
    let resp = ex.response.as_ref().unwrap();
    assert_eq!(resp.body.as_bytes(), binary_body().as_slice());
    assert_eq!(resp.headers.get("x-echo-target"), Some("/dm?s=1"));

    let seen = srv.recorder().take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].failure, None);
    assert_eq!(seen[0].request.target, "/dm?s=1");
    assert_eq!(seen[0].request.body.as_bytes(), binary_body().as_slice());
    assert_eq!(
        seen[0].request.headers.get("content-type"),
        Some("application/vnd.syncml.dm+wbxml")
    );
    let recorded = seen[0].response.as_ref().unwrap();
    assert_eq!(recorded.body, resp.body);

    // The DNS name in the certificate works as well as the IP one.
    let by_name = format!("https://localhost:{}/dm", srv.local_addr().port());
    ok_post(&by_name, &client).await;
    srv.shutdown().await;
}

#[tokio::test]
async fn an_insecure_client_accepts_any_certificate() {
    // Issued for a name the URL does not use: only `insecure` lets this through.
    let srv = tls_server(
        ServerTls::generate(&["dm.lab.invalid"]).unwrap(),
        limits(5000),
    )
    .await;
    let ex = ok_post(&srv.url(), &ClientTls::insecure().unwrap()).await;
    assert_eq!(
        ex.response.unwrap().body.as_bytes(),
        binary_body().as_slice()
    );
    assert_eq!(srv.recorder().len(), 1);
    srv.shutdown().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_transport_failure_and_the_server_goes_on() {
    let tls = ServerTls::generate(&names()).unwrap();
    let good = ClientTls::from_ca_pem(tls.cert_pem().as_bytes()).unwrap();
    let other = ServerTls::generate(&["dm.other.invalid", "127.0.0.1"]).unwrap();
    let wrong = ClientTls::from_ca_pem(other.cert_pem().as_bytes()).unwrap();
    let srv = tls_server(tls, limits(5000)).await;

    let ex = post_with(
        &srv.url(),
        dm_headers(),
        b"x".to_vec(),
        &limits(5000),
        Some(&wrong),
    )
    .await;
    assert_eq!(ex.response, None);
    match &ex.failure {
        Some(ExchangeFailure::Transport { detail }) => {
            assert!(detail.contains("certificate"), "{detail}");
            assert!(detail.contains("--ca-file"), "{detail}");
        }
        f => panic!("expected a Transport failure, got {f:?}"),
    }
    assert!(srv.recorder().is_empty());

    // A cert trusted but issued for another name is refused too.
    let name_srv = tls_server(
        ServerTls::generate(&["dm.lab.invalid"]).unwrap(),
        limits(5000),
    )
    .await;
    let ex = post_with(
        &name_srv.url(),
        dm_headers(),
        b"x".to_vec(),
        &limits(5000),
        Some(&good),
    )
    .await;
    assert!(
        matches!(&ex.failure, Some(ExchangeFailure::Transport { detail }) if detail.contains("certificate")),
        "{:?}",
        ex.failure
    );
    name_srv.shutdown().await;

    ok_post(&srv.url(), &good).await;
    assert_eq!(srv.recorder().len(), 1);
    srv.shutdown().await;
}

#[tokio::test]
async fn plain_http_and_silent_peers_do_not_stall_a_tls_server() {
    let tls = ServerTls::generate(&names()).unwrap();
    let client = ClientTls::from_ca_pem(tls.cert_pem().as_bytes()).unwrap();
    let srv = tls_server(tls, limits(500)).await;
    let addr = srv.local_addr();

    // Held open, never a byte: must be dropped at the handshake timeout.
    let silent = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 64];
        let started = std::time::Instant::now();
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await;
        (n.map(|r| r.unwrap_or(0)), started.elapsed())
    });
    // Plain HTTP to the TLS port: refused at once, not answered as HTTP.
    let plain = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /dm HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            .await
            .unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        out
    });
    // Meanwhile good clients get through, more than once.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let port = addr.port();
    for _ in 0..3 {
        ok_post(&format!("https://127.0.0.1:{port}/ok"), &client).await;
    }
    // Also the plain-HTTP client API: it gets a closed connection, not an answer.
    let ex = post(
        &format!("http://127.0.0.1:{port}/"),
        Headers::default(),
        vec![],
        &limits(2000),
    )
    .await;
    assert!(ex.response.is_none() && ex.failure.is_some(), "{ex:?}");

    let out = plain.await.unwrap();
    assert!(
        !out.starts_with(b"HTTP/"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
    let (read, waited) = silent.await.unwrap();
    assert_eq!(
        read.ok(),
        Some(0),
        "the silent peer is closed by the server"
    );
    assert!(waited < Duration::from_secs(3), "{waited:?}");

    // Only the good exchanges are on record.
    let seen = srv.recorder().take();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|e| e.failure.is_none()));
    srv.shutdown().await;
}

#[tokio::test]
async fn a_stalled_tls_handshake_on_the_client_is_a_timeout() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let ex = post_with(
        &format!("https://{addr}/"),
        Headers::default(),
        vec![],
        &limits(300),
        Some(&ClientTls::insecure().unwrap()),
    )
    .await;
    assert!(
        matches!(&ex.failure, Some(ExchangeFailure::Timeout { awaiting, .. }) if awaiting == "TLS handshake"),
        "{:?}",
        ex.failure
    );
}

#[tokio::test]
async fn pem_files_serve_and_missing_ones_are_named() {
    let dir = temp_dir("pem");
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();

    let tls = ServerTls::from_pem_files(&cert_path, &key_path).unwrap();
    assert_eq!(
        tls.cert_pem().trim(),
        cert.pem().trim().replace("\r\n", "\n")
    );
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, tls.cert_pem()).unwrap();
    let client = ClientTls::from_ca_file(&ca_path).unwrap();
    let srv = tls_server(tls, limits(5000)).await;
    ok_post(&srv.url(), &client).await;
    srv.shutdown().await;

    // One file holding both also works.
    let both = dir.join("both.pem");
    std::fs::write(
        &both,
        format!("{}{}", cert.pem(), signing_key.serialize_pem()),
    )
    .unwrap();
    ServerTls::from_pem_files(&both, &both).unwrap();

    let missing = dir.join("nope.crt");
    let e = ServerTls::from_pem_files(&missing, &key_path).unwrap_err();
    assert!(matches!(e, TlsError::Read { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "{e}"
    );
    let e = ClientTls::from_ca_file(&missing).unwrap_err();
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "{e}"
    );

    // The key file where the cert should be, and a key that belongs to another cert.
    let e = ServerTls::from_pem_files(&key_path, &key_path).unwrap_err();
    assert!(matches!(e, TlsError::NoCertificate { .. }), "{e:?}");
    assert!(e.to_string().contains("server.key"), "{e}");
    let e = ServerTls::from_pem_files(&cert_path, &cert_path).unwrap_err();
    assert!(matches!(e, TlsError::NoKey { .. }), "{e:?}");
    let other = rcgen::KeyPair::generate().unwrap();
    let other_key = dir.join("other.key");
    std::fs::write(&other_key, other.serialize_pem()).unwrap();
    let e = ServerTls::from_pem_files(&cert_path, &other_key).unwrap_err();
    assert!(matches!(e, TlsError::Rustls { .. }), "{e:?}");
    assert!(e.to_string().contains("other.key"), "{e}");

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn system_roots_are_trusted_beside_the_ca_file() {
    let ca = std::env::temp_dir().join(format!("dmct-roots-{}.pem", std::process::id()));
    let server = ServerTls::generate(&["localhost"]).unwrap();
    std::fs::write(&ca, server.cert_pem()).unwrap();
    // Only the file: trusted; neither the system nor a file: nothing to trust.
    assert!(
        ClientTls::trusting_roots(false, Some(&ca))
            .unwrap()
            .is_some()
    );
    assert!(ClientTls::trusting_roots(false, None).unwrap().is_none());
    // A file that is no PEM is refused, with or without the system's roots.
    let bad = ca.with_extension("txt");
    std::fs::write(&bad, "not a certificate").unwrap();
    assert!(ClientTls::trusting_roots(true, Some(&bad)).is_err());
    let _ = (std::fs::remove_file(&ca), std::fs::remove_file(&bad));
}

#[tokio::test]
async fn https_without_tls_settings_says_what_is_missing() {
    let ex = post_with(
        "https://127.0.0.1:1/dm",
        Headers::default(),
        vec![],
        &limits(2000),
        None,
    )
    .await;
    match &ex.failure {
        Some(ExchangeFailure::Transport { detail }) => {
            assert!(
                detail.contains("https needs a CA to trust") && detail.contains("--ca-file"),
                "{detail}"
            );
        }
        f => panic!("expected a Transport failure, got {f:?}"),
    }
    assert_eq!(ex.request.target, "/dm");
}

#[tokio::test]
async fn a_plain_server_says_http() {
    let srv = serve("127.0.0.1:0".parse().unwrap(), Arc::new(Echo), limits(2000))
        .await
        .unwrap();
    assert_eq!(srv.scheme(), "http");
    assert_eq!(srv.url(), format!("http://{}", srv.local_addr()));
    srv.shutdown().await;
}

/// A CA and a client certificate (CN `cn`) it issued: (CA PEM, cert PEM, key PEM).
fn client_pki(cn: &str) -> (String, String, String) {
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
    leaf.distinguished_name
        .push(rcgen::DnType::OrganizationName, "Lab");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn a_required_client_certificate_is_verified_recorded_and_its_absence_explained() {
    let (ca, cert, key) = client_pki("device-1");
    let server = ServerTls::generate(&names())
        .unwrap()
        .requiring_client_cert_pem(ca.as_bytes(), "the test CA")
        .unwrap();
    assert!(server.requires_client_cert());
    let trust = server.cert_pem().to_owned();
    let srv = tls_server(server, limits(5000)).await;
    let url = format!("{}/dm", srv.url());

    let with_cert = ClientTls::from_ca_pem(trust.as_bytes())
        .unwrap()
        .with_client_cert_pem(cert.as_bytes(), key.as_bytes())
        .unwrap();
    assert_eq!(with_cert.client_subject(), Some("CN=device-1, O=Lab"));
    ok_post(&url, &with_cert).await;
    // The server side knows who the transport authenticated; the client side saw the
    // request for its certificate and verified the server's.
    assert_eq!(srv.recorder().client_certs(), vec!["CN=device-1, O=Lab"]);
    let seen = with_cert.observed();
    assert!(seen.client_cert_requested);
    assert!(
        seen.server_subject
            .is_some_and(|s| s.contains("CN=localhost"))
    );

    // Without a certificate: a recorded failure that says what to give, no panic.
    let bare = ClientTls::from_ca_pem(trust.as_bytes()).unwrap();
    let ex = post_with(
        &url,
        dm_headers(),
        binary_body(),
        &limits(5000),
        Some(&bare),
    )
    .await;
    let failure = ex.failure.expect("the exchange fails").to_string();
    assert!(failure.contains("--client-cert"), "{failure}");
    assert!(ex.response.is_none());

    // A certificate of another CA is refused and named as refused.
    let (_, other, other_key) = client_pki("stranger");
    let stranger = ClientTls::from_ca_pem(trust.as_bytes())
        .unwrap()
        .with_client_cert_pem(other.as_bytes(), other_key.as_bytes())
        .unwrap();
    let ex = post_with(
        &url,
        dm_headers(),
        binary_body(),
        &limits(5000),
        Some(&stranger),
    )
    .await;
    let failure = ex.failure.expect("the exchange fails").to_string();
    assert!(
        failure.contains("refused the TLS client certificate"),
        "{failure}"
    );
    assert!(ex.response.is_none());
    // Nothing more was recorded as authenticated.
    assert_eq!(srv.recorder().client_certs().len(), 1);

    srv.shutdown().await;

    // A server that does not ask never gets the certificate, and the client knows it.
    let plain = ServerTls::generate(&names()).unwrap();
    let plain_trust = plain.cert_pem().to_owned();
    let plain = tls_server(plain, limits(5000)).await;
    let offering = ClientTls::from_ca_pem(plain_trust.as_bytes())
        .unwrap()
        .with_client_cert_pem(cert.as_bytes(), key.as_bytes())
        .unwrap();
    ok_post(&format!("{}/dm", plain.url()), &offering).await;
    assert!(!offering.observed().client_cert_requested);
    assert!(plain.recorder().client_certs().is_empty());
    plain.shutdown().await;
}

/// Past the connection cap over HTTPS, the refusal is still an HTTP answer a device can
/// read: the handshake is made, then 503, then the connection closes.
#[tokio::test]
async fn past_the_connection_cap_an_https_client_reads_a_503() {
    let tls = ServerTls::generate(&names()).unwrap();
    let client = ClientTls::from_ca_pem(tls.cert_pem().as_bytes()).unwrap();
    let srv = tls_server(
        tls,
        Limits {
            max_connections: 1,
            ..limits(5000)
        },
    )
    .await;
    // One connection, not even through its handshake, fills the listener.
    let hold = tokio::net::TcpStream::connect(srv.local_addr())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ex = post_with(
        &format!("{}/dm", srv.url()),
        dm_headers(),
        binary_body(),
        &limits(5000),
        Some(&client),
    )
    .await;
    let r = ex.response.expect("an answer over TLS");
    assert_eq!(r.status, 503);
    assert_eq!(r.headers.get("retry-after"), Some("5"));
    assert_eq!(srv.refused_connections(), 1);
    drop(hold);
    tokio::time::sleep(Duration::from_millis(100)).await;
    srv.recorder().take();
    ok_post(&format!("{}/dm", srv.url()), &client).await;
    srv.shutdown().await;
}
