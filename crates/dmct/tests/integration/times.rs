//! Wall-clock times in report.json (the run, each case, each exchange), real JUnit
//! per-case times, and transcripts that carry exchange times and older ones that do
//! not, both read by `dmct check`.

use crate::common;

use common::*;
use serde_json::Value;
use std::path::Path;

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// RFC 3339 UTC with milliseconds, as dmct writes it: `2026-12-07T02:41:09.123Z`.
fn is_rfc3339_ms(t: &Value) -> bool {
    let t = t.as_str().unwrap_or("");
    t.len() == 24 && t.ends_with('Z') && &t[10..11] == "T" && &t[19..20] == "."
}

/// Started no later than ended (RFC 3339 UTC of one width sorts as text).
fn ordered(span: &Value) {
    assert!(is_rfc3339_ms(&span["started"]), "{span}");
    assert!(is_rfc3339_ms(&span["ended"]), "{span}");
    assert!(span["started"].as_str() <= span["ended"].as_str(), "{span}");
}

#[test]
fn run_case_and_exchange_times_are_in_the_report_and_junit() {
    let out = out_dir("times-run");
    let o = dmct(&[
        "run",
        "--case",
        "session/get-replace",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = json(&out.join("report.json"));
    ordered(&r["time"]);
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let junit = std::fs::read_to_string(out.join("report.xml")).unwrap();
    for c in cases {
        ordered(&c["time"]);
        // Each case lies within the run.
        assert!(c["time"]["started"].as_str() >= r["time"]["started"].as_str());
        assert!(c["time"]["ended"].as_str() <= r["time"]["ended"].as_str());
        let times = c["exchange_times"].as_array().unwrap();
        assert_eq!(times.len() as u64, c["exchanges"].as_u64().unwrap(), "{c}");
        for t in times {
            ordered(t);
        }
        // The transcript carries the same times, exchange by exchange.
        let t = json(&out.join(c["transcript"].as_str().unwrap()));
        let recorded: Vec<&Value> = t["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["time"])
            .collect();
        assert_eq!(recorded, times.iter().collect::<Vec<_>>());
        // JUnit's time is the case's own span, to the millisecond.
        let ms = |s: &Value| {
            let s = s.as_str().unwrap();
            let secs: u64 = s[11..13].parse::<u64>().unwrap() * 3600
                + s[14..16].parse::<u64>().unwrap() * 60
                + s[17..19].parse::<u64>().unwrap();
            secs * 1000 + s[20..23].parse::<u64>().unwrap()
        };
        let span = ms(&c["time"]["ended"]) - ms(&c["time"]["started"]);
        let name = format!(
            " name=\"{} ({} under test)\"",
            c["id"].as_str().unwrap(),
            c["role"].as_str().unwrap(),
        );
        let time = format!(" time=\"{}.{:03}\"", span / 1000, span % 1000);
        let tag = junit
            .split("<testcase")
            .find(|t| {
                t.split_once('>')
                    .is_some_and(|(attrs, _)| attrs.contains(&name))
            })
            .and_then(|t| t.split_once('>'))
            .map(|(attrs, _)| attrs)
            .unwrap_or_else(|| panic!("{name} not in {junit}"));
        assert!(tag.contains(&time), "{time} not in <testcase{tag}>");
    }
    // The text report stays free of times (golden snapshots).
    let txt = std::fs::read_to_string(out.join("report.txt")).unwrap();
    let day = &r["time"]["started"].as_str().unwrap()[..10];
    assert!(!txt.contains(day), "{txt}");

    // `dmct check` reads a transcript with exchange times...
    let timed = out.join(cases[0]["transcript"].as_str().unwrap());
    let checked = out_dir("times-checked");
    let checked = checked.to_str().unwrap();
    let o = dmct(&["check", "--out", checked, timed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // ... and the same transcript as an older dmct wrote it, without any.
    let mut old = json(&timed);
    for e in old["exchanges"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("time");
    }
    let obj = old.as_object_mut().unwrap();
    obj.remove("started");
    obj.remove("ended");
    let untimed = out_dir("times-old").with_extension("json");
    std::fs::write(&untimed, old.to_string()).unwrap();
    let o2 = dmct(&["check", "--out", checked, untimed.to_str().unwrap()]);
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    // The same findings either way: the listing after the file's name, up to the blank
    // line before the text report (which names the file, so differs).
    let findings = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(findings(&o), findings(&o2));
}
