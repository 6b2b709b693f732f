//! The exit-code contract, with the real binary: 0 pass, 1 failure, 2 usage or
//! configuration error (a selection that matches nothing among them), 3 inconclusive
//! only, 130 interrupted (the signals themselves: `tests/integration/interrupt.rs`), documented in
//! the help.

use crate::common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn vector(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testcases/vectors/rules")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A vector of `dir` whose expected verdict is `expected`.
fn vector_expecting(dir: &str, expected: &str) -> String {
    let dir = PathBuf::from(vector(dir));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .find(|f| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            v["expected"] == expected
        })
        .unwrap_or_else(|| panic!("no {expected} vector in {}", dir.display()))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn help_documents_every_exit_code() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["selftest", "--help"],
        vec!["drive", "--help"],
        vec!["check", "--help"],
        vec!["proxy", "--help"],
    ] {
        let o = dmct(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(help.contains("Exit codes:"), "{args:?}: {help}");
        for (code, words) in [
            ("0", "every case passed"),
            ("1", "MUST or MUST NOT rule was violated"),
            ("2", "usage or configuration error"),
            ("3", "inconclusive only"),
            ("130", "interrupted"),
        ] {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{code} ")))
                .unwrap_or_else(|| panic!("{args:?}: no line for {code}: {help}"));
            assert!(line.contains(words), "{args:?}: {line}");
        }
    }
}

#[test]
fn check_passes_0_fails_1_and_refuses_2() {
    let out = out_dir("exit-check");
    let out = out.to_str().unwrap();
    let pass = vector_expecting("session__no-status-only-package", "pass");
    let o = dmct(&["check", "--out", out, &pass]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let fail = vector_expecting("session__no-status-only-package", "fail");
    let o = dmct(&["check", "--out", out, &fail]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // A pass and a failure together: the failure decides.
    let o = dmct(&["check", "--out", out, &pass, &fail]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Inconclusive only: the server's answer to the first package was never recorded.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&pass).unwrap()).unwrap();
    let t = &mut v["transcript"];
    t["exchanges"].as_array_mut().unwrap().truncate(1);
    t["exchanges"][0]["response"] = serde_json::Value::Null;
    let unanswered = out_dir("exit-check-unanswered").with_extension("json");
    std::fs::write(&unanswered, t.to_string()).unwrap();
    let o = dmct(&["check", "--out", out, unanswered.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let report = std::fs::read_to_string(std::path::Path::new(out).join("report.json")).unwrap();
    assert!(report.contains("\"command\": \"check\""), "{report}");
    let o = dmct(&["check", "--out", out, "/nonexistent/transcript.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn run_passes_0_and_usage_errors_are_2() {
    let out = out_dir("exit-run-pass");
    let o = dmct(&[
        "run",
        "--case",
        "session/get-replace",
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    for args in [
        vec!["run", "--no-such-flag"],
        vec!["run", "--rule", "no/such-rule"],
        // A selection that matches nothing: never green, and not "inconclusive".
        vec!["run", "--case", "no-such-*"],
        vec!["selftest", "--exchange-timeout", "many"],
        vec!["drive", "not a url"],
        vec!["proxy", "--upstream", "ftp://example.invalid/"],
    ] {
        let mut args = args;
        let out = out_dir("exit-run-usage");
        args.extend(["--out", out.to_str().unwrap()]);
        let o = dmct(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(!out.join("report.json").exists(), "{args:?}");
    }
}

#[test]
fn inconclusive_only_is_3() {
    // Nobody connects to the listener: the case is inconclusive, not failed.
    let out = out_dir("exit-inconclusive");
    let o = dmct(&[
        "run",
        "--serve",
        "127.0.0.1:0",
        "--wait",
        "1",
        "--idle",
        "0.3",
        "--case",
        "session/get-replace",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["summary"]["inconclusive"], 1, "{}", r["summary"]);
    assert_eq!(r["summary"]["fail"], 0, "{}", r["summary"]);
}

#[test]
fn a_proxy_that_saw_no_session_is_2() {
    let out = out_dir("exit-proxy-empty");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmct"))
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream"])
        .args(["http://127.0.0.1:9/", "--out", out.to_str().unwrap()])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = Vec::new();
    loop {
        let line = lines.next().expect("dmct output").unwrap();
        let ready = line.starts_with("dmct: proxy at ");
        log.push(line);
        if ready {
            break;
        }
    }
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    // Without --sessions a signal is how the proxy stops; it then judges what it saw,
    // here nothing: exit 2, never a green 0.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the proxy did not stop: {log:#?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(2), "{log:#?}");
    assert!(out.join("report.json").exists());
}
