//! `dmct run --partition i/N` and `dmct merge`: a run split into shards, as a CI matrix
//! runs it, and merged, is the whole run: the same cases in the same order, the same
//! verdicts and findings, the same JUnit names and text report.

use crate::common;

use common::*;
use serde_json::Value;
use std::path::Path;

/// Four scenarios testing clients and four testing servers.
const CASES: &str = "session/{get-*,package0,server-abort,max-obj-size}";

fn run(out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["run", "--seed", "7", "--case", CASES];
    args.extend(extra);
    args.extend(["--out", out.to_str().unwrap()]);
    let o = dmct(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    report(out)
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// Each case as id, role, verdict, and its findings as rule and verdict, in order.
fn outline(r: &Value) -> Vec<String> {
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let findings: Vec<String> = c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| format!("{}={}", f["rule"], f["verdict"]))
                .collect();
            format!(
                "{} {} {} [{}]",
                c["id"],
                c["role"],
                c["verdict"],
                findings.join(" ")
            )
        })
        .collect()
}

#[test]
fn a_sharded_run_merged_equals_the_whole_run() {
    let dir = tmp("partition");
    let whole = run(&dir.join("whole"), &[]);
    let cases = whole["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8, "{whole:#}");
    let roles: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c["role"].as_str().unwrap()).collect();
    assert_eq!(roles.len(), 2, "both roles");
    assert!(whole.get("partition").is_none());

    let mut shard_dirs = Vec::new();
    for i in 1..=3 {
        let d = dir.join(format!("shard{i}"));
        let r = run(&d, &["--partition", &format!("{i}/3")]);
        // The k-th case of the whole run went to shard k mod 3 + 1.
        let ids: Vec<&Value> = r["cases"].as_array().unwrap().iter().collect();
        let expect: Vec<&Value> = cases.iter().skip(i - 1).step_by(3).collect();
        assert_eq!(
            ids.iter().map(|c| &c["id"]).collect::<Vec<_>>(),
            expect.iter().map(|c| &c["id"]).collect::<Vec<_>>()
        );
        assert_eq!(r["partition"]["index"], i);
        assert_eq!(r["partition"]["count"], 3);
        assert_eq!(r["partition"]["planned"], 8);
        assert_follows_schema(&r);
        shard_dirs.push(d);
    }

    let merged_dir = dir.join("merged");
    // Given in any order: report files and output directories alike.
    let o = dmct(&[
        "merge",
        shard_dirs[2].to_str().unwrap(),
        shard_dirs[0].join("report.json").to_str().unwrap(),
        shard_dirs[1].to_str().unwrap(),
        "--out",
        merged_dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let merged = report(&merged_dir);
    assert_follows_schema(&merged);
    assert_eq!(outline(&merged), outline(&whole));
    assert_eq!(merged["summary"], whole["summary"]);
    assert_eq!(merged["seeds"], whole["seeds"]);
    assert!(merged.get("partition").is_none());
    assert_eq!(junit_names(&merged_dir), junit_names(&dir.join("whole")));
    assert_eq!(junit_names(&merged_dir).len(), 8);
    // The text report shows no times: it is the whole run's, byte for byte.
    let txt = |d: &Path| std::fs::read_to_string(d.join("report.txt")).unwrap();
    assert_eq!(txt(&merged_dir), txt(&dir.join("whole")));
    // Every transcript the report points at is there, under the whole run's names.
    for (m, w) in merged["cases"]
        .as_array()
        .unwrap()
        .iter()
        .zip(whole["cases"].as_array().unwrap())
    {
        assert_eq!(m["transcript"], w["transcript"]);
        let t = merged_dir.join(m["transcript"].as_str().unwrap());
        let t: Value = serde_json::from_str(&std::fs::read_to_string(t).unwrap()).unwrap();
        assert_eq!(
            t["exchanges"].as_array().unwrap().len(),
            m["exchanges"].as_u64().unwrap() as usize
        );
    }
    // The run's span covers every shard's.
    let millis = |v: &Value| dmct_report::unix_millis(v.as_str().unwrap()).unwrap();
    for d in &shard_dirs {
        let s = report(d);
        assert!(millis(&merged["time"]["started"]) <= millis(&s["time"]["started"]));
        assert!(millis(&merged["time"]["ended"]) >= millis(&s["time"]["ended"]));
    }

    // Refusals, exit 2 with the reason: a shard twice, a shard missing, a whole run.
    let refuse = |args: &[&Path], why: &str| {
        let mut a = vec!["merge".to_owned()];
        a.extend(args.iter().map(|p| p.to_str().unwrap().to_owned()));
        a.extend(["--out".into(), dir.join("refused").to_str().unwrap().into()]);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = dmct(&a);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(why), "{why}: {}", text(&o));
    };
    let (s1, s2, s3) = (&shard_dirs[0], &shard_dirs[1], &shard_dirs[2]);
    refuse(&[s1, s2, s3, s1], "overlapping partitions");
    refuse(&[s1, s3], "shard 2/3 missing");
    refuse(&[s1, s2, s3, &dir.join("whole")], "no --partition");
}

#[test]
fn a_partition_that_is_no_shard_is_a_usage_error() {
    for (bad, why) in [
        ("0/3", "i counts from 1 to N"),
        ("4/3", "i counts from 1 to N"),
        ("1/0", "N must be at least 1"),
        ("two/3", "is not i/N"),
    ] {
        let o = dmct(&["run", "--partition", bad, "--case", "session/get-replace"]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o));
        assert!(text(&o).contains(why), "{bad}: {}", text(&o));
    }
    // More shards than cases: the empty shard says so, and is never green.
    let out = out_dir("partition-empty");
    let o = dmct(&[
        "run",
        "--partition",
        "3/3",
        "--case",
        "session/server-abort",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("shard 3/3 holds none of the 1"),
        "{}",
        text(&o)
    );
}

/// A deviation whose result no case shows fails an unsharded run (it went stale), but
/// not a shard, whose cases may simply not include the one it is about.
#[test]
fn a_shard_is_not_failed_by_a_deviation_met_elsewhere() {
    let dir = tmp("partition-deviations");
    let file = dir.join("deviations.toml");
    std::fs::write(
        &file,
        "[[deviation]]\ncase = \"session/get-replace\"\nrule = \"msg/verdtd\"\n\
         expect = \"fail\"\nreason = \"a lab's accepted failure\"\n",
    )
    .unwrap();
    let go = |extra: &[&str], out: &str| {
        let mut a = vec!["run", "--case", "session/get-replace", "--deviations"];
        a.push(file.to_str().unwrap());
        a.extend(extra);
        let out = dir.join(out);
        a.extend(["--out", out.to_str().unwrap()]);
        dmct(&a)
    };
    let whole = go(&[], "whole");
    assert_eq!(whole.status.code(), Some(1), "{}", text(&whole));
    let shard = go(&["--partition", "1/2"], "shard");
    assert_eq!(shard.status.code(), Some(0), "{}", text(&shard));
    assert!(
        text(&shard).contains("a shard sees only its own cases"),
        "{}",
        text(&shard)
    );
}

/// A selection that leaves cases out (here the client ones) still shows each case of
/// report.html its own transcript, as a merged report does: the page follows each
/// case's `transcript` file, not the order the runs were recorded in.
#[test]
fn the_html_report_shows_each_case_its_own_transcript() {
    let out = out_dir("partition-html");
    let o = dmct(&[
        "run",
        "--level",
        "should",
        "--case",
        "session/{get-replace,package0}",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = report(&out);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let cases = r["cases"].as_array().unwrap();
    assert!(cases.iter().all(|c| c["role"] == "server"), "{r:#}");
    for (k, c) in cases.iter().enumerate() {
        let t = std::fs::read_to_string(out.join(c["transcript"].as_str().unwrap())).unwrap();
        let t: Value = serde_json::from_str(&t).unwrap();
        // The server's URL, whose port is the case's own (one listener per case).
        let body = t["exchanges"][0]["request"]["body"].to_string();
        let url = body.split("<LocURI>").nth(1).unwrap();
        let url = &url[..url.find('<').unwrap()];
        let start = html.find(&format!("id=\"case-{k}\"")).unwrap();
        let end = html[start..]
            .find(&format!("id=\"case-{}\"", k + 1))
            .map_or(html.len(), |e| start + e);
        assert!(
            html[start..end].contains(url),
            "case {k} ({} {}) does not show {url}",
            c["id"],
            c["role"],
        );
    }
}
