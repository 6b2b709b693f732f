//! Signals during `dmct run --serve` and `dmct proxy`, as processes: the reports of
//! what happened so far are written whole, marked interrupted, and the exit code is 130.

use crate::common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Start dmct and return once a line of its standard error starts with `ready`; the
/// rest of its log is kept for the assertion messages.
fn start(args: &[&str], ready: &str) -> (Child, String, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmct"))
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = loop {
        let line = lines.next().expect("dmct output").unwrap();
        if line.starts_with(ready) {
            break line;
        }
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    (child, line, rx)
}

fn signal(child: &Child, sig: &str) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([&format!("-{sig}"), &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// Its exit code, failing the test if it does not end within 30 s.
fn exit_code(mut child: Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("dmct did not stop after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// No temporary file of an atomic write is left behind.
fn no_temporaries(out: &Path) {
    for dir in [out.to_owned(), out.join("transcripts")] {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(!name.contains(".tmp-"), "{name} left in {}", dir.display());
        }
    }
}

#[test]
fn sigterm_while_serve_waits_for_a_device_writes_every_report() {
    let out = out_dir("interrupt-serve-term");
    let o = out.to_str().unwrap();
    let (child, _, log) = start(
        &["run", "--serve", "127.0.0.1:0", "--wait", "30", "--out", o],
        "dmct: DM server listening on",
    );
    signal(&child, "TERM");
    let code = exit_code(child);
    let log: Vec<String> = log.try_iter().collect();
    assert_eq!(code, Some(130), "{log:#?}");
    let r = report(&out);
    assert_eq!(r["interrupted"], true);
    let cases = r["cases"].as_array().unwrap();
    // The first case was waiting for the device: it is there, inconclusive, and says
    // why.
    assert_eq!(cases.len(), 1, "{r:#}");
    let c = &cases[0];
    assert_eq!(c["verdict"], "inconclusive");
    assert_eq!(c["ended"]["how"], "stopped");
    assert!(
        c["ended"]["detail"].as_str().unwrap().contains("SIGTERM"),
        "{c:#}"
    );
    assert_eq!(r["summary"]["inconclusive"], 1);
    // `interrupted` is documented where it appears: its keys in the schema's order.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../testcases/schemas/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let order: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let at: Vec<usize> = r
        .as_object()
        .unwrap()
        .keys()
        .map(|k| order.iter().position(|o| *o == k).expect(k))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    let transcript = out.join(c["transcript"].as_str().unwrap());
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&transcript).unwrap()).unwrap();
    assert!(t.is_object());
    let txt = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(txt.contains("interrupted"), "{txt}");
    let junit = std::fs::read_to_string(out.join("report.xml")).unwrap();
    assert!(junit.contains("name=\"dmct.interrupted\" value=\"true\""));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Interrupted"));
    no_temporaries(&out);
}

#[test]
fn a_second_signal_exits_at_once_and_leaves_only_whole_files() {
    let out = out_dir("interrupt-serve-twice");
    let o = out.to_str().unwrap();
    let (child, _, _log) = start(
        &["run", "--serve", "127.0.0.1:0", "--wait", "30", "--out", o],
        "dmct: DM server listening on",
    );
    signal(&child, "HUP");
    signal(&child, "INT");
    assert_eq!(exit_code(child), Some(130));
    // The second signal may come before the reports or while they are written:
    // whichever are there are whole.
    if out.join("report.json").exists() {
        assert_eq!(report(&out)["interrupted"], true);
    }
    for e in std::fs::read_dir(out.join("transcripts"))
        .into_iter()
        .flatten()
    {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let _: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        }
    }
}

#[test]
fn sigterm_stops_the_proxy_with_its_sessions_written() {
    let server = peer_server(&[]);
    let out = out_dir("interrupt-proxy-term");
    let o = out.to_str().unwrap();
    let (child, line, _log) = start(
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &server.url,
            "--out",
            o,
        ],
        "dmct: proxy at ",
    );
    let url = proxy_url(&line);
    let c = dmct(&["peer", "client", "--url", &url]);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    // Without --sessions a signal is how the proxy is stopped: the verdicts decide.
    signal(&child, "TERM");
    let code = exit_code(child);
    assert!(matches!(code, Some(0 | 1 | 3)), "{code:?}");
    let r = report(&out);
    assert_eq!(r["command"], "proxy");
    assert!(r.get("interrupted").is_none());
    assert_eq!(r["cases"].as_array().unwrap().len(), 2, "{r:#}");
    assert_eq!(std::fs::read_dir(out.join("sessions")).unwrap().count(), 1);
    no_temporaries(&out);
}

#[test]
fn a_signal_before_the_proxy_saw_its_sessions_is_an_interruption() {
    let server = peer_server(&[]);
    let out = out_dir("interrupt-proxy-sessions");
    let o = out.to_str().unwrap();
    let (child, _, _log) = start(
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &server.url,
            "--sessions",
            "3",
            "--out",
            o,
        ],
        "dmct: proxy at ",
    );
    signal(&child, "HUP");
    assert_eq!(exit_code(child), Some(130));
    assert_eq!(report(&out)["interrupted"], true);
}

#[test]
fn an_out_dir_that_is_a_file_is_refused_before_anything_runs() {
    let dir = tmp("interrupt-out-file");
    let file = dir.join("report-here");
    std::fs::write(&file, "not a directory").unwrap();
    let f = file.to_str().unwrap();
    for args in [
        vec!["run", "--out", f],
        vec!["run", "--serve", "127.0.0.1:0", "--wait", "1", "--out", f],
        vec!["proxy", "--upstream", "http://127.0.0.1:9/", "--out", f],
    ] {
        let o = dmct(&args);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {all}");
        assert!(all.contains("--out cannot take the reports"), "{all}");
        assert!(all.contains(f) && all.contains("not a directory"), "{all}");
        assert!(
            !all.contains("listening") && !all.contains("proxy at"),
            "{all}"
        );
        assert!(o.stdout.is_empty(), "nothing ran: {all}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
    }
}

#[test]
fn the_interrupted_case_keeps_the_exchanges_recorded_until_then() {
    let out = out_dir("interrupt-serve-partial");
    let o = out.to_str().unwrap();
    // A long --idle keeps the case open after the device's session.
    let (child, line, _log) = start(
        &[
            "run",
            "--serve",
            "127.0.0.1:0",
            "--wait",
            "30",
            "--idle",
            "60",
            "--out",
            o,
        ],
        "dmct: DM server listening on",
    );
    let url = line
        .split("(tell the device: ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')')
        .to_owned();
    let c = dmct(&["peer", "client", "--url", &url]);
    assert!(c.status.code().is_some(), "{}", text(&c));
    signal(&child, "TERM");
    assert_eq!(exit_code(child), Some(130));
    let r = report(&out);
    let case = &r["cases"][0];
    assert_eq!(case["verdict"], "inconclusive", "{case:#}");
    assert_eq!(case["ended"]["how"], "stopped");
    assert!(case["exchanges"].as_u64().unwrap() >= 1, "{case:#}");
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(case["transcript"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    assert!(!t["exchanges"].as_array().unwrap().is_empty());
}

/// Kills the process when the test ends, passed or not.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The proxy's own URL, from the line it announces itself with.
fn proxy_url(line: &str) -> String {
    let rest = line
        .strip_prefix("dmct: proxy at ")
        .expect("the proxy's announcement");
    rest.split(" -> ").next().unwrap_or(rest).to_owned()
}

/// A reference server behind a proxy that holds the first answer of every session 2 s,
/// so a case is still running when a signal comes; the proxy's URL.
fn delaying_proxy(name: &str) -> (PeerServer, Reaped, String) {
    let server = peer_server(&[]);
    let proxy_out = out_dir(name);
    let (proxy, line, _log) = start(
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &server.url,
            "--mutate",
            "delay-response",
            "--delay-ms",
            "2000",
            "--out",
            proxy_out.to_str().unwrap(),
        ],
        "dmct: proxy at ",
    );
    let url = proxy_url(&line);
    (server, Reaped(proxy), url)
}

#[test]
fn sigint_while_driving_a_server_writes_the_cases_so_far() {
    // A proxy holding the first answer of every session 2 s keeps the first case
    // running long enough for the signal to land inside it.
    let (_server, _proxy, url) = delaying_proxy("interrupt-target-proxy");
    let out = out_dir("interrupt-target");
    let (child, _, _log) = start(
        &[
            "run",
            "--target-server",
            &url,
            "--out",
            out.to_str().unwrap(),
        ],
        "dmct: driving the DM server at",
    );
    signal(&child, "INT");
    assert_eq!(exit_code(child), Some(130));
    let r = report(&out);
    assert_eq!(r["interrupted"], true);
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{r:#}");
    assert_eq!(cases[0]["role"], "server");
    assert_eq!(cases[0]["verdict"], "inconclusive");
    assert!(
        cases[0]["ended"]["detail"]
            .as_str()
            .unwrap()
            .contains("SIGINT")
    );
    no_temporaries(&out);
}

#[test]
fn sigint_while_drive_waits_for_an_answer_keeps_the_exchanges_so_far() {
    // The proxy holds the first answer of every session 2 s: the preflight's, then the
    // driven session's, inside which the signal lands.
    let (_server, _proxy, url) = delaying_proxy("interrupt-drive-proxy");
    let out = out_dir("interrupt-drive");
    let (child, _, _log) = start(
        &["drive", &url, "--out", out.to_str().unwrap()],
        "dmct: driving the DM server at",
    );
    signal(&child, "INT");
    assert_eq!(exit_code(child), Some(130));
    let r = report(&out);
    assert_eq!(r["interrupted"], true);
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{r:#}");
    assert_eq!(cases[0]["verdict"], "inconclusive");
    assert!(
        cases[0]["ended"]["detail"]
            .as_str()
            .unwrap()
            .contains("SIGINT"),
        "{r:#}"
    );
    no_temporaries(&out);
}

#[test]
fn sigterm_during_selftest_writes_what_ran_and_is_not_a_pass() {
    let out = out_dir("interrupt-selftest");
    let (mut child, _, _log) = start(
        &["selftest", "--out", out.to_str().unwrap()],
        "dmct: selftest running",
    );
    // The self-test takes seconds: it is still running.
    assert!(
        child.try_wait().unwrap().is_none(),
        "selftest ended too soon"
    );
    signal(&child, "TERM");
    assert_eq!(exit_code(child), Some(130));
    let r = report(&out);
    assert_eq!(r["interrupted"], true);
    // The signal may land before the first case began; a case that was running is
    // inconclusive, never a pass.
    let cases = r["cases"].as_array().unwrap();
    if let Some(last) = cases.last() {
        assert_eq!(last["verdict"], "inconclusive", "{r:#}");
    }
    // No self-test verdict is claimed for a run cut short.
    assert!(r.get("selftest").is_none_or(|s| s.is_null()), "{r:#}");
    no_temporaries(&out);
}
