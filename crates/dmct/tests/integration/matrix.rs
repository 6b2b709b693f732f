//! `dmct matrix`: two runs side by side, as a lab compares two firmware versions. The
//! page is also parsed by headless Chromium (as the HTML report is) when it is there.

use crate::common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};

fn run(out: &Path, case: &str) {
    let o = dmct(&["run", "--case", case, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn two_runs_side_by_side_per_case_and_rule() {
    let dir = tmp("matrix");
    let (a, b, m) = (dir.join("fw1"), dir.join("fw2"), dir.join("matrix"));
    run(&a, "session/get-replace");
    run(&b, "session/get-*");
    let o = dmct(&[
        "matrix",
        &format!("old={}", a.display()),
        b.join("report.json").to_str().unwrap(),
        "--out",
        m.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(m.join("matrix.json")).unwrap()).unwrap();
    let labels: Vec<&str> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    // A label given, and the run's directory name by default.
    assert_eq!(labels, ["old", "fw2"]);
    assert_eq!(json["catalogs_differ"], false);
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4, "{json:#}");
    for c in cases {
        let wbxml = c["id"].as_str().unwrap().ends_with("wbxml");
        let expect_old = if wbxml {
            serde_json::Value::Null
        } else {
            "pass".into()
        };
        assert_eq!(c["verdicts"][0], expect_old, "{c}");
        assert_eq!(c["verdicts"][1], "pass", "{c}");
    }
    let rules = json["rules"].as_array().unwrap();
    assert!(!rules.is_empty());
    assert!(
        rules.iter().all(|r| r["counts"][1]["fail"] == 0),
        "{json:#}"
    );
    let html = std::fs::read_to_string(m.join("matrix.html")).unwrap();
    assert!(
        html.contains("href=\"../fw1/report.html#case-0\""),
        "{html}"
    );

    // A browser builds the same tables from it.
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        assert!(std::env::var_os("CI").is_none(), "CI installs chromium");
        eprintln!("SKIPPED the browser part: /usr/bin/chromium not found");
        return;
    }
    let profile = dir.join("chromium-profile");
    let dom = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", m.join("matrix.html").display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let rows = dom
        .split("<table id=\"cases\">")
        .nth(1)
        .expect("cases table");
    let rows = rows.split("</table>").next().unwrap();
    assert_eq!(rows.matches("<tr>").count(), 1 + 4, "{rows}");
    assert_eq!(rows.matches("class=\"v absent\"").count(), 2, "{rows}");
}

#[test]
fn unreadable_reports_are_refused_with_the_file() {
    let dir = tmp("matrix-bad");
    std::fs::write(dir.join("report.json"), "{}").unwrap();
    let o = dmct(&["matrix", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("is not a dmct report.json"),
        "{}",
        text(&o)
    );
    let o = dmct(&["matrix", "no/such/report.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("cannot read no/such/report.json"),
        "{}",
        text(&o)
    );
}
