//! `dmct peer server` and `dmct peer client` as a lab runs them, and `dmct run
//! --target-server` against them: real processes over loopback HTTP and HTTPS.

use crate::common;

use common::*;

#[test]
fn peer_client_against_peer_server_over_https_in_every_scheme() {
    let dir = tmp("peers-https");
    let ca = dir.join("ca.pem");
    let server = peer_server(&[
        "--tls",
        "--ca-out",
        ca.to_str().unwrap(),
        "--server-secret",
        "lab-server-secret",
    ]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    for auth in ["basic", "md5", "hmac"] {
        for wbxml in [false, true] {
            let transcript = dir.join(format!("{auth}-{wbxml}.json"));
            let mut args = vec![
                "peer",
                "client",
                "--url",
                &server.url,
                "--ca-file",
                ca.to_str().unwrap(),
                "--auth",
                auth,
                "--server-secret",
                "lab-server-secret",
                "--transcript",
                transcript.to_str().unwrap(),
            ];
            if wbxml {
                args.push("--wbxml");
            }
            let o = dmct(&args);
            assert_eq!(o.status.code(), Some(0), "{auth} {wbxml}: {}", text(&o));
            // The transcript it wrote is one dmct check judges clean.
            let checked = out_dir(&format!("peers-check-{auth}-{wbxml}"));
            let checked = checked.to_str().unwrap();
            let c = dmct(&["check", "--out", checked, transcript.to_str().unwrap()]);
            assert_eq!(c.status.code(), Some(0), "{}", text(&c));
        }
    }
    // The client checks the server: a wrong server secret never ends well.
    let o = dmct(&[
        "peer",
        "client",
        "--url",
        &server.url,
        "--insecure",
        "--server-secret",
        "not-the-secret",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Without a CA file or --insecure, https is refused with a clear message.
    let o = dmct(&["peer", "client", "--url", &server.url]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--ca-file"), "{}", text(&o));
}

#[test]
fn run_target_server_passes_the_builtin_and_fails_a_faulty_server() {
    let out = tmp("target-builtin");
    let o = dmct(&["run", "--target-server", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let (_, sv) = scenario_counts();
    assert!(
        text(&o).contains(&format!("{sv} cases: {sv} pass")),
        "{}",
        text(&o)
    );

    let good = peer_server(&[]);
    let out = tmp("target-good");
    let o = dmct(&[
        "run",
        "--target-server",
        &good.url,
        "--out",
        out.to_str().unwrap(),
    ]);
    // An external server plays its own script, not the scenario's: cases whose
    // situation it never creates are inconclusive (exit 3), and none fails.
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", text(&o));
    assert!(text(&o).contains(" 0 fail,"), "{}", text(&o));
    assert!(
        text(&o).contains("PASS session/get-replace "),
        "{}",
        text(&o)
    );

    let faulty = peer_server(&["--fault", "empty-reply"]);
    let out = tmp("target-faulty");
    let o = dmct(&[
        "run",
        "--target-server",
        &faulty.url,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("FAIL session/server-answers-every-package"),
        "{}",
        text(&o)
    );
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(report.contains(&faulty.url));

    let o = dmct(&["peer", "server", "--fault", "no-such-fault"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("dmct list faults"), "{}", text(&o));
}

/// `dmct run --serve --exec`: each case's Package 0 wakes "the device", here the
/// reference client run by the lab's command, which answers it with Alert 1200 and the
/// notification's SessionID. Sanity sessions frame the suite. Both ends are given the
/// same `--server-id`: the device refuses a Package 0 naming another server. Every
/// client case under `cargo xtask slow` (`DMCT_SLOW_TESTS`); three in the test run, each
/// case costing a device process and `--idle`.
#[test]
fn run_serve_exec_wakes_the_device_with_package0_for_every_case() {
    let out = tmp("exec-device");
    let log = out.join("woken.txt");
    let exec = format!(
        "{} peer client --url \"$DMCT_SERVER_URL\" --package0 \"$DMCT_PKG0_FILE\" \
         --server-secret dmct-server-secret --server-id lab.example 2>/dev/null; \
         echo \"$DMCT_CASE $DMCT_SESSION_ID ${{#DMCT_PKG0_HEX}}\" >> {}",
        env!("CARGO_BIN_EXE_dmct"),
        log.display()
    );
    let mut args = vec![
        "run",
        "--serve",
        "127.0.0.1:0",
        "--exec",
        &exec,
        "--wait",
        "20",
        "--idle",
        "0.3",
        "--server-id",
        "lab.example",
        "--out",
        out.to_str().unwrap(),
    ];
    let all = std::env::var_os("DMCT_SLOW_TESTS").is_some();
    if !all {
        for case in ["session/package0", "session/get-replace", "auth/hmac"] {
            args.extend(["--case", case]);
        }
    }
    let o = dmct(&args);
    // The "device" here is the reference client with its default account: it passes
    // what it is asked, and scenarios that need another account setting are
    // inconclusive, never failed.
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", text(&o));
    assert!(text(&o).contains(" 0 fail,"), "{}", text(&o));
    assert!(text(&o).contains("PASS session/package0 "), "{}", text(&o));
    let woken = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = woken.lines().collect();
    assert_eq!(
        lines.first().map(|l| l.split(' ').next()),
        Some(Some("sanity/before"))
    );
    assert_eq!(
        lines.last().map(|l| l.split(' ').next()),
        Some(Some("sanity/after"))
    );
    let c = if all { scenario_counts().0 } else { 3 };
    assert_eq!(lines.len(), c + 2, "{woken}");
    // Each Package 0 is kept as a file, and the transcript records it; the device's
    // Package #1 carried its SessionID with Alert 1200.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let case = &report["cases"][1];
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(case["transcript"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    assert!(t["package0"].is_object(), "{t}");
    let body = t["exchanges"][0]["request"]["body"]["text"]
        .as_str()
        .unwrap();
    assert!(body.contains("<Data>1200</Data>"), "{body}");
    let sid = lines[1].split(' ').nth(1).unwrap();
    assert!(
        body.contains(&format!("<SessionID>{sid}</SessionID>")),
        "{body}"
    );
    let pkg0_files: Vec<_> = std::fs::read_dir(out.join("package0"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(pkg0_files.len(), c + 2);
    // After the digest (16 bytes) and the fixed trigger-hdr fields (8): the ServerID.
    let pkg0 = std::fs::read(pkg0_files[0].path()).unwrap();
    assert_eq!(&pkg0[24..], b"lab.example");
    // Signed by default with the resync nonce of [NOT] §5.1, four zero bytes.
    let p = dmct_proto::package0::decode(&pkg0).unwrap();
    assert!(p.verify("dmct-server-secret", &[0, 0, 0, 0]));
    assert!(!p.verify("dmct-server-secret", b""));
}

/// `--pkg0-nonce` chooses the nonce of the digest `run --serve --exec` writes: the
/// device's stored server nonce here, and nothing else verifies it.
#[test]
fn run_serve_exec_signs_package0_with_the_chosen_nonce() {
    let signed_with = |nonce: &str| {
        let out = tmp(&format!("exec-nonce-{}", nonce.replace(':', "-")));
        let o = dmct(&[
            "run",
            "--serve",
            "127.0.0.1:0",
            "--exec",
            "true",
            "--wait",
            "1",
            "--pkg0-nonce",
            nonce,
            "--out",
            out.to_str().unwrap(),
        ]);
        // Nobody answers the sanity session: inconclusive, and its Package 0 is kept.
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        assert!(
            text(&o).contains(&format!("nonce {nonce} (")),
            "{}",
            text(&o)
        );
        let bytes = std::fs::read(out.join("package0/sanity__before.pkg0")).unwrap();
        dmct_proto::package0::decode(&bytes).unwrap()
    };
    let secret = "dmct-server-secret";
    // b64 of "lab-nonce".
    let p = signed_with("b64:bGFiLW5vbmNl");
    assert!(p.verify(secret, b"lab-nonce"));
    assert!(!p.verify(secret, &[0, 0, 0, 0]));
    let p = signed_with("resync-ascii");
    assert!(p.verify(secret, b"0x00000000"));
    assert!(!p.verify(secret, &[0, 0, 0, 0]));

    let o = dmct(&["run", "--serve", "127.0.0.1:0", "--pkg0-nonce", "zeros"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("b64:VALUE"), "{}", text(&o));
}

/// A device that never answers: the sanity session says so and the suite is not run;
/// every case is inconclusive (exit 2), none passes.
#[test]
fn run_serve_exec_with_a_dead_device_is_inconclusive() {
    let out = tmp("exec-dead");
    let o = dmct(&[
        "run",
        "--serve",
        "127.0.0.1:0",
        "--exec",
        "true",
        "--wait",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("did not answer the sanity session"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("0 pass"), "{}", text(&o));

    let out = tmp("exec-broken");
    let o = dmct(&[
        "run",
        "--serve",
        "127.0.0.1:0",
        "--exec",
        "echo no gateway >&2; exit 3",
        "--wait",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("no gateway"), "{}", text(&o));
}

#[test]
fn encoding_flag_switches_run_drive_and_peer_client() {
    let server = peer_server(&[]);
    let dir = tmp("encoding-flag");
    let wbxml_only = |t: &serde_json::Value, what: &str| {
        let exchanges = t["exchanges"].as_array().unwrap();
        assert!(!exchanges.is_empty(), "{what}");
        for ex in exchanges {
            let ct = ex["request"]["headers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("content-type"))
                .map(|h| h[1].as_str().unwrap().to_owned())
                .unwrap();
            assert!(
                ct.starts_with(dmct_proto::CONTENT_TYPE_WBXML),
                "{what}: {ct}"
            );
        }
    };
    let read = |p: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    for cmd in ["run", "drive"] {
        let out = dir.join(cmd);
        let mut args = vec![cmd];
        if cmd == "run" {
            args.extend([
                "--target-server",
                &server.url,
                "--case",
                "session/get-replace",
            ]);
        } else {
            args.push(&server.url);
        }
        args.extend(["--encoding", "wbxml", "--out", out.to_str().unwrap()]);
        let o = dmct(&args);
        assert!(
            matches!(o.status.code(), Some(0 | 3)),
            "{cmd}: {}",
            text(&o)
        );
        for e in std::fs::read_dir(out.join("transcripts")).unwrap() {
            wbxml_only(&read(&e.unwrap().path()), cmd);
        }
    }
    for flag in [&["--encoding", "wbxml"][..], &["--wbxml"][..]] {
        let t = dir.join("peer-client.json");
        let mut args = vec!["peer", "client", "--url", &server.url];
        args.extend(flag);
        args.extend(["--transcript", t.to_str().unwrap()]);
        let o = dmct(&args);
        assert_eq!(o.status.code(), Some(0), "{flag:?}: {}", text(&o));
        wbxml_only(&read(&t), "peer client");
    }
}
