//! Names CI keys its history on: JUnit test names and baseline matching are built from
//! the case id, the role, the faults and the rule ids (and the device's name), never
//! from a URL, a host spelling, a port or a SessionID.

use crate::common;

use common::*;
use serde_json::Value;
use std::path::Path;

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run(url: &str, seed: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "--target-server",
        url,
        "--seed",
        seed,
        "--case",
        "session/*",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    dmct(&args)
}

#[test]
fn another_host_spelling_and_port_change_no_name_and_no_baseline_match() {
    // Two reference servers: another port, and the other one spelled `localhost`.
    let a = peer_server(&[]);
    let b = peer_server(&[]);
    assert!(a.url.contains("127.0.0.1"), "{}", a.url);
    let b_url = b.url.replace("127.0.0.1", "localhost");
    assert_ne!(a.url, b_url);

    let first = out_dir("stable-first");
    let o = run(&a.url, "1", &first, &[]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", text(&o));
    let second = out_dir("stable-second");
    let baseline = first.join("report.json");
    let o = run(
        &b_url,
        "2",
        &second,
        &[
            "--baseline",
            baseline.to_str().unwrap(),
            "--fail-on",
            "regression",
        ],
    );
    // No new failure against the baseline: exit 0 under --fail-on regression.
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // Both runs reached their server: the same verdicts, whatever the host's spelling.
    assert_eq!(
        json(&first.join("report.json"))["summary"],
        json(&second.join("report.json"))["summary"]
    );
    let (na, nb) = (junit_names(&first), junit_names(&second));
    assert!(!na.is_empty());
    assert_eq!(na, nb, "JUnit test names differ between the runs");
    let port = |u: &str| {
        u.rsplit(':')
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    };
    for n in &na {
        for bad in [
            "127.0.0.1",
            "localhost",
            "http",
            &port(&a.url),
            &port(&b.url),
        ] {
            assert!(!n.contains(bad), "{n} holds {bad}");
        }
    }
    // The SessionIDs differ between the runs (other seeds), the names do not.
    let ids = |out: &Path| -> Vec<String> {
        json(&out.join("report.json"))["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&first), ids(&second));

    let diff = json(&second.join("baseline-diff.json"));
    for key in ["new_failures", "new_cases", "removed_cases"] {
        assert_eq!(diff[key], serde_json::json!([]), "{key}: {diff:#}");
    }

    // The device's name is what a baseline matches on: another device's run shares
    // no case with it, whatever the URL.
    let named = out_dir("stable-named");
    let o = run(&a.url, "3", &named, &["--device-name", "unit-1"]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", text(&o));
    assert_eq!(json(&named.join("report.json"))["device"], "unit-1");
    let same = out_dir("stable-same-device");
    let base = named.join("report.json");
    let base = base.to_str().unwrap();
    let o = run(
        &b_url,
        "4",
        &same,
        &["--device-name", "unit-1", "--baseline", base],
    );
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", text(&o));
    let diff = json(&same.join("baseline-diff.json"));
    assert_eq!(diff["new_cases"], serde_json::json!([]), "{diff:#}");
    let other = out_dir("stable-other-device");
    let o = run(
        &a.url,
        "3",
        &other,
        &["--device-name", "unit-2", "--baseline", base],
    );
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", text(&o));
    let diff = json(&other.join("baseline-diff.json"));
    let n = na.len();
    assert_eq!(diff["new_cases"].as_array().unwrap().len(), n, "{diff:#}");
    assert_eq!(
        diff["removed_cases"].as_array().unwrap().len(),
        n,
        "{diff:#}"
    );
    assert!(
        diff["new_cases"][0]
            .as_str()
            .unwrap()
            .starts_with("unit-2: "),
        "{diff:#}"
    );
}
