//! What dmct tells the operator before a run (issue 13 item 7). The probe before `drive`
//! and `run --target-server URL`: a URL that is no DM server gives one clear line and
//! exit 2, and no report; a DM server passes. Real processes against loopback listeners
//! started here. And the account `run --serve` asks the lab to configure.

use crate::common;

use common::{dmct, out_dir, peer_server, text};
use std::io::{Read, Write};
use std::net::TcpListener;

/// A plain HTTP server that reads each request whole and answers it with `answer`
/// (head and body), as a web server at the wrong URL does.
fn web_server(answer: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            // The head, then as many body bytes as Content-Length says.
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    break;
                }
            }
            let _ = s.write_all(answer.as_bytes());
        }
    });
    format!("http://{addr}/dm")
}

/// Run dmct `args` (with an --out it must leave empty); the one line it printed.
fn refused(name: &str, args: &[&str]) -> String {
    let out = out_dir(name);
    let mut all = args.to_vec();
    all.extend(["--out", out.to_str().unwrap()]);
    if !args.contains(&"--exchange-timeout") {
        all.extend(["--exchange-timeout", "10"]);
    }
    let o = dmct(&all);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line, not a report: {stderr}");
    assert!(
        !out.join("report.json").exists(),
        "no report is written: {}",
        text(&o)
    );
    // Words, never a Rust Debug value.
    assert!(
        !lines[0].contains("Some(") && !lines[0].contains("Os {") && !lines[0].contains("kind:"),
        "{}",
        lines[0]
    );
    lines[0].to_owned()
}

#[test]
fn a_web_page_is_not_a_dm_server() {
    let url = web_server(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: 22\r\nConnection: close\r\n\r\n<html>not here</html>\n",
    );
    for cmd in [
        &["drive", url.as_str()][..],
        &["run", "--target-server", &url],
    ] {
        let line = refused("probe-404", cmd);
        assert_eq!(
            line,
            format!("dmct: {url} is not a DM server: it answered 404 Not Found with text/html")
        );
    }
}

#[test]
fn a_redirect_says_where_to() {
    let url = web_server(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: https://dm.example/dm\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let line = refused("probe-301", &["drive", &url]);
    assert!(
        line.starts_with(&format!(
            "dmct: {url} is not a DM server: it answered 301 Moved Permanently, redirecting \
             to https://dm.example/dm"
        )),
        "{line}"
    );
}

#[test]
fn a_closed_port_cannot_be_connected_to() {
    // A port that was just free: nothing listens on it.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let line = refused(
        "probe-closed",
        &["run", "--target-server", &format!("http://{addr}/dm")],
    );
    assert_eq!(
        line,
        format!("dmct: cannot connect to {addr}: connection refused")
    );
}

#[test]
fn a_server_that_never_answers_times_out_in_words() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/dm", listener.local_addr().unwrap());
    // Accepts, reads, and says nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let started = std::time::Instant::now();
    let line = refused("probe-silent", &["drive", &url, "--exchange-timeout", "1"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert!(
        line.starts_with(&format!(
            "dmct: {url} did not answer within 1 s (awaiting the response)"
        )),
        "{line}"
    );
}

#[test]
fn https_to_a_plain_http_port_is_a_tls_mismatch() {
    let server = peer_server(&[]);
    let https = server.url.replacen("http://", "https://", 1);
    let line = refused("probe-https-on-http", &["drive", &https, "--insecure"]);
    assert!(
        line.starts_with("dmct: TLS handshake with 127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.ends_with(
            "failed: what came back is not TLS (the server does not speak TLS on that port: \
             is its URL http://?)"
        ),
        "{line}"
    );
}

#[test]
fn http_to_a_tls_port_is_a_tls_mismatch() {
    let ca = out_dir("probe-http-on-https-ca").with_extension("pem");
    let server = peer_server(&["--tls", "--ca-out", ca.to_str().unwrap()]);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let http = server.url.replacen("https://", "http://", 1);
    let line = refused("probe-http-on-https", &["drive", &http]);
    assert!(line.contains("is it an https:// server?"), "{line}");
}

#[test]
fn an_untrusted_certificate_is_named() {
    let ca = out_dir("probe-untrusted-ca").with_extension("pem");
    let server = peer_server(&["--tls", "--ca-out", ca.to_str().unwrap()]);
    // Another CA than the server's: its certificate is not trusted.
    let other = out_dir("probe-other-ca").with_extension("pem");
    let _other_server = peer_server(&["--tls", "--ca-out", other.to_str().unwrap()]);
    let line = refused(
        "probe-untrusted",
        &["drive", &server.url, "--ca-file", other.to_str().unwrap()],
    );
    assert!(line.contains("certificate is not trusted"), "{line}");
}

#[test]
fn the_reference_server_passes_the_probe() {
    let server = peer_server(&[]);
    let out = out_dir("probe-reference");
    let o = dmct(&["drive", &server.url, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!(
            "dmct: {} answers as a DM server (it answered HTTP 200 with a SyncML DM message)",
            server.url
        )),
        "{stderr}"
    );
    assert!(out.join("report.json").exists());
    // The probe is no case of the report.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["cases"].as_array().unwrap().len(), 1);
}

/// A server that answers 500 to everything may be a DM server failing: the probe only
/// warns, the suite runs, and every case records the failure as a finding (the run
/// fails, exit 1); one fault never hides the others, and no case is skipped.
#[test]
fn a_server_error_is_judged_case_by_case() {
    let url = web_server(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\
         Content-Length: 5\r\nConnection: close\r\n\r\noops\n",
    );
    let out = out_dir("probe-500");
    let o = dmct(&[
        "run",
        "--target-server",
        &url,
        "--exchange-timeout",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("warning:"), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let (_, server_cases) = common::scenario_counts();
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), server_cases, "every case ran");
    // Each case that exchanged anything failed on the 500 (http/status-200 or the
    // server's answer), none passed.
    assert!(cases.iter().all(|c| c["verdict"] != "pass"), "{report}");
    assert!(cases.iter().any(|c| c["verdict"] == "fail"), "{report}");
}

/// `run --serve` names every field of the DM account the device must hold, and with
/// `--redact` none of the secrets.
#[test]
fn serve_prints_the_account_to_configure_and_redacts_its_secrets() {
    for redact in [false, true] {
        let out = out_dir("preflight-serve");
        let mut args = vec![
            "run",
            "--serve",
            "127.0.0.1:0",
            "--wait",
            "1",
            "--case",
            "session/get-replace",
            "--client-user",
            "lab-device",
            "--client-secret",
            "lab-device-secret",
            "--server-id",
            "lab-server-id",
            "--out",
            out.to_str().unwrap(),
        ];
        if redact {
            args.push("--redact");
        }
        let o = dmct(&args);
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        let url = stderr
            .lines()
            .find_map(|l| l.split("(tell the device: ").nth(1))
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("no URL: {stderr}"));
        for want in [
            format!("server URL (AppAddr):         {url} over HTTP"),
            "ServerID:                     lab-server-id".into(),
            "client credentials (CLCRED):  AAuthName lab-device".into(),
            "server credentials (SRVCRED): AAuthName dmct-server".into(),
            "dmct challenges with DIGEST (syncml:auth-md5)".into(),
        ] {
            assert!(stderr.contains(&want), "{want}\n{stderr}");
        }
        for secret in ["lab-device-secret", "dmct-server-secret"] {
            assert_eq!(stderr.contains(secret), !redact, "{secret}\n{stderr}");
        }
    }
}

#[test]
fn the_systems_ca_roots_are_trusted_by_default() {
    let ca = out_dir("probe-system-ca").with_extension("pem");
    let server = peer_server(&["--tls", "--ca-out", ca.to_str().unwrap()]);
    let out = out_dir("probe-system-ca-run");
    // The system's store as rustls-native-certs reads it: SSL_CERT_FILE names it.
    let with_store = |store: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["drive", &server.url, "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_dmct"))
            .args(&args)
            .env("SSL_CERT_FILE", store)
            .env_remove("SSL_CERT_DIR")
            .output()
            .unwrap()
    };
    let o = with_store(&ca, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A store without the server's CA: the certificate is not trusted, and said so.
    let other = out_dir("probe-system-ca-other").with_extension("pem");
    let _other = peer_server(&["--tls", "--ca-out", other.to_str().unwrap()]);
    let o = with_store(&other, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("certificate is not trusted"),
        "{}",
        text(&o)
    );
    // --no-system-ca trusts only --ca-file.
    let o = with_store(
        &ca,
        &["--ca-file", other.to_str().unwrap(), "--no-system-ca"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
