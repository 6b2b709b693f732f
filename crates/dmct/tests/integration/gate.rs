//! What a vendor's CI scripts against: filters and exit code 3, baselines and
//! `--fail-on regression`, deviations files, `dmct export`, `--redact`.

use crate::common;

use common::*;
use std::path::PathBuf;

/// `dmct run` of the session/get-replace case against a server URL.
fn get_replace(url: &str, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "--target-server",
        url,
        "--case",
        "session/get-replace",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    dmct(&args)
}

#[test]
fn filters_select_cases_rules_and_levels_and_nothing_is_exit_2() {
    let out = tmp("filters");
    // A selection that matches nothing is a usage error, never green (and not 3, which
    // says "inconclusive").
    let o = dmct(&["run", "--case", "no-such-*", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nothing selected"));

    let o = dmct(&[
        "run",
        "--case",
        "session/get-*",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // get-replace and get-replace-wbxml, each in both directions.
    assert!(text(&o).contains("4 cases: 4 pass"), "{}", text(&o));

    // A rule selects the cases that exercise it, in the roles it binds, and only its
    // findings are reported.
    let o = dmct(&[
        "run",
        "--rule",
        "auth/hmac-new-nonce",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 case: 1 pass"), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let findings = report["cases"][0]["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["rule"] == "auth/hmac-new-nonce"));

    let o = dmct(&[
        "run",
        "--case",
        "session/get-replace",
        "--level",
        "should",
        "--out",
        out.to_str().unwrap(),
    ]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for c in report["cases"].as_array().unwrap() {
        for f in c["findings"].as_array().unwrap() {
            assert!(f["level"] == "SHOULD" || f["level"] == "SHOULD NOT", "{f}");
        }
    }
    let o = dmct(&[
        "run",
        "--rule",
        "no/such-rule",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    // A rule pattern selects every rule it matches; a typo is named with its fix.
    let o = dmct(&[
        "run",
        "--rule",
        "auth/hmac-new-n*",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 case: 1 pass"), "{}", text(&o));
    let o = dmct(&["run", "--rule", "auth/hmac-new-nonse"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("did you mean \"auth/hmac-new-nonce\"?"),
        "{}",
        text(&o)
    );
    let o = dmct(&[
        "run",
        "--level",
        "sometimes",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));

    let o = dmct(&["list", "cases"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.lines()
            .any(|l| l.starts_with("session/get-replace\tclient\t")),
        "{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.starts_with("session/get-replace\tserver\t")),
        "{s}"
    );
}

#[test]
fn baselines_show_what_changed_and_gate_on_regressions_only() {
    let good = peer_server(&[]);
    let faulty = peer_server(&["--fault", "wrong-target"]);
    let base = tmp("base");
    let run = |url: &str, out: &PathBuf, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--target-server",
            url,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        dmct(&args)
    };
    let o = run(&good.url, &base, &[]);
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", text(&o));
    let baseline = base.join("report.json");
    let b = baseline.to_str().unwrap();

    // Against itself: no change, and --fail-on regression passes.
    let same = tmp("same");
    let o = run(
        &good.url,
        &same,
        &["--baseline", b, "--fail-on", "regression"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("baseline: no change"), "{}", text(&o));

    // Against a faulty server: its cases are new (cases are keyed by peer), and the
    // new failures are exactly the rule its fault breaks; --fail-on regression fails.
    let moved = tmp("moved");
    let o = run(&faulty.url, &moved, &["--baseline", b]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("new case"), "{}", text(&o));
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(moved.join("baseline-diff.json")).unwrap())
            .unwrap();
    let new_failures = diff["new_failures"].as_array().unwrap();
    assert!(!new_failures.is_empty());
    for nf in new_failures {
        let rules = nf[1].as_array().unwrap();
        assert!(
            rules.iter().all(|r| r == "msg/target-is-client"),
            "only the fault's rule fails anew: {nf}"
        );
    }
    let o = run(
        &faulty.url,
        &tmp("moved2"),
        &["--baseline", b, "--fail-on", "regression"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // And a run of the faulty server against its own baseline: no regression, exit 0
    // even though the server still fails.
    let fbase = tmp("fbase");
    run(&faulty.url, &fbase, &[]);
    let fb = fbase.join("report.json");
    let o = run(
        &faulty.url,
        &tmp("again"),
        &[
            "--baseline",
            fb.to_str().unwrap(),
            "--fail-on",
            "regression",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = dmct(&["run", "--fail-on", "regression"]);
    assert_eq!(o.status.code(), Some(2), "needs a baseline: {}", text(&o));
}

#[test]
fn deviations_waive_listed_failures_and_go_stale_when_fixed() {
    let faulty = peer_server(&["--fault", "wrong-target"]);
    let good = peer_server(&[]);
    let dir = tmp("deviations");
    let file = dir.join("deviations.toml");
    let out = dir.join("a");
    let o = get_replace(
        &faulty.url,
        &out,
        &["--write-deviations", file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("rule = \"msg/target-is-client\""),
        "{written}"
    );
    // With the file, the known failure no longer fails the run.
    let o = get_replace(&faulty.url, &out, &["--deviations", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("deviation   session/get-replace msg/target-is-client"),
        "{}",
        text(&o)
    );
    // Once the server is fixed the entry is stale, and that fails the run.
    let o = get_replace(&good.url, &out, &["--deviations", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("STALE"), "{}", text(&o));
    // An expired entry is not applied.
    let expired = written.replace("reason = ", "expires = \"2000-01-01\"\nreason = ");
    std::fs::write(&file, expired).unwrap();
    let o = get_replace(&faulty.url, &out, &["--deviations", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("EXPIRED"), "{}", text(&o));
}

#[test]
fn export_writes_a_vector_check_replays_and_redact_hides_secrets() {
    let faulty = peer_server(&["--fault", "wrong-target"]);
    let dir = tmp("export");
    let out = dir.join("run");
    let o = get_replace(&faulty.url, &out, &["--auth", "md5"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let vector = dir.join("v.json");
    let o = dmct(&[
        "export",
        "session/get-replace",
        "--from",
        out.to_str().unwrap(),
        "--out",
        vector.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let checked = dir.join("checked");
    let o = dmct(&[
        "check",
        "--out",
        checked.to_str().unwrap(),
        vector.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o)
            .contains("vector: msg/target-is-client expected fail, checker says fail: reproduced"),
        "{}",
        text(&o)
    );
    let o = dmct(&["export", "no/such-case", "--from", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));

    // --redact: the client's MD5 digest, the server's Basic credentials and the
    // nonces are gone from every file written.
    let red = dir.join("redacted");
    let o = get_replace(&faulty.url, &red, &["--auth", "md5", "--redact"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let mut all = String::new();
    for e in std::fs::read_dir(red.join("transcripts"))
        .unwrap()
        .flatten()
    {
        all.push_str(&std::fs::read_to_string(e.path()).unwrap());
    }
    all.push_str(&std::fs::read_to_string(red.join("report.json")).unwrap());
    all.push_str(&std::fs::read_to_string(red.join("report.txt")).unwrap());
    // base64("dmct-server:dmct-server-secret"), the server's Basic Cred.
    assert!(!all.contains("ZG1jdC1zZXJ2ZXI6ZG1jdC1zZXJ2ZXItc2VjcmV0"));
    assert!(all.contains("UkVEQUNURUQ="), "placeholders present");
    for piece in all.split("NextNonce").skip(1) {
        let value = piece
            .split('>')
            .nth(1)
            .unwrap_or("")
            .split('<')
            .next()
            .unwrap_or("");
        assert!(
            value.is_empty() || value == "UkVEQUNURUQ=",
            "nonce left: {value}"
        );
    }
    // The unredacted run had them.
    let mut plain = String::new();
    for e in std::fs::read_dir(out.join("transcripts"))
        .unwrap()
        .flatten()
    {
        plain.push_str(&std::fs::read_to_string(e.path()).unwrap());
    }
    assert!(plain.contains("ZG1jdC1zZXJ2ZXI6ZG1jdC1zZXJ2ZXItc2VjcmV0"));
}
