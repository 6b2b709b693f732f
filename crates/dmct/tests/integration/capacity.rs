//! What dmct's listener takes on at once, from the command line: the flags exist where a
//! listener does and are refused where none does, the cap on connections answers a
//! clear 503, and the open-file limit is raised at start (the cap lowered to fit it,
//! said once).

use crate::common;

use common::{dmct, post_dm_xml, text};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

#[test]
fn the_flags_exist_where_dmct_listens_with_their_defaults() {
    for args in [
        &["run", "--help"][..],
        &["proxy", "--help"],
        &["peer", "server", "--help"],
    ] {
        let o = dmct(args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(
            help.contains("--max-inflight-bytes <BYTES>") && help.contains("268435456"),
            "{args:?}: {help}"
        );
        assert!(
            help.contains("--max-connections <N>") && help.contains("[default: 1024]"),
            "{args:?}: {help}"
        );
    }
}

#[test]
fn the_flags_are_refused_where_nothing_of_dmct_listens() {
    let refused = |args: &[&str], says: &str| {
        let o = dmct(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    };
    refused(
        &[
            "run",
            "--target-server",
            "http://127.0.0.1:9/dm",
            "--max-connections",
            "10",
        ],
        "--max-connections has no effect with --target-server",
    );
    refused(
        &[
            "run",
            "--target-server",
            "http://127.0.0.1:9/dm",
            "--max-inflight-bytes",
            "1000000000",
        ],
        "--max-inflight-bytes has no effect with --target-server",
    );
    // Commands without a listener do not know them at all.
    refused(
        &["drive", "http://127.0.0.1:9/dm", "--max-connections", "3"],
        "--max-connections",
    );
    refused(
        &["selftest", "--max-inflight-bytes", "3"],
        "--max-inflight-bytes",
    );
    refused(
        &[
            "peer",
            "client",
            "--url",
            "http://127.0.0.1:9/dm",
            "--max-connections",
            "3",
        ],
        "--max-connections",
    );
    // A budget that could never hold a body the harness accepts says nothing.
    refused(
        &["run", "--max-body", "2048", "--max-inflight-bytes", "1024"],
        "--max-inflight-bytes 1024 is below --max-body 2048",
    );
    refused(&["run", "--max-connections", "0"], "at least 1");
}

/// `dmct peer server` with `extra`, run by `sh -c "PREFIX exec dmct ..."`; its address
/// and what it said on stderr before it.
fn peer_server_in_shell(prefix: &str, extra: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            r#"{prefix} exec "$0" peer server --listen 127.0.0.1:0 "$@""#
        ))
        .arg(env!("CARGO_BIN_EXE_dmct"))
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut before = Vec::new();
    let url = loop {
        let line = lines.next().expect("peer server output").unwrap();
        if let Some(rest) = line.strip_prefix("dmct: reference DM server at ") {
            break rest.trim().to_owned();
        }
        before.push(line);
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url, before)
}

fn host_port(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap();
    rest.split('/').next().unwrap().to_owned()
}

#[test]
fn past_the_connection_cap_a_device_gets_a_clear_503() {
    let (mut child, url, _) = peer_server_in_shell("", &["--max-connections", "1"]);
    let addr = host_port(&url);
    // One idle connection fills the listener.
    let idle = std::net::TcpStream::connect(&addr).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let answer = post_dm_xml(&addr, "<SyncML/>");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 5"),
        "{answer}"
    );
    assert!(
        answer.contains("dmct is at its limit of open connections (1)"),
        "{answer}"
    );
    drop(idle);
    let _ = child.kill();
    let _ = child.wait();
}

/// The limits of this process, from /proc: (soft, hard) of "Max open files".
#[cfg(target_os = "linux")]
fn nofile(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let v: Vec<&str> = line.split_whitespace().collect();
    (v[3].to_owned(), v[4].to_owned())
}

#[cfg(target_os = "linux")]
#[test]
fn the_open_file_limit_is_raised_at_start_and_the_cap_lowered_to_fit_a_low_one() {
    // A low soft limit under a higher hard one: raised to the hard limit, nothing said.
    let hard = nofile(std::process::id()).1;
    if hard != "unlimited" && hard.parse::<u64>().is_ok_and(|h| h > 2048) {
        let (mut child, _, before) = peer_server_in_shell("ulimit -Sn 256 &&", &[]);
        let (soft, now_hard) = nofile(child.id());
        assert_eq!(soft, now_hard, "the soft limit was not raised");
        assert!(
            before.iter().all(|l| !l.contains("open-file limit")),
            "{before:?}"
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    // A hard limit below the default cap: the cap is lowered, and that is said once.
    let (mut child, _, before) = peer_server_in_shell("ulimit -n 200 &&", &[]);
    let said: Vec<_> = before
        .iter()
        .filter(|l| l.contains("open-file limit"))
        .collect();
    assert_eq!(said.len(), 1, "{before:?}");
    assert!(
        said[0].contains("the open-file limit is 200")
            && said[0].contains("at most 136 connections")
            && said[0].contains("--max-connections 1024 lowered"),
        "{said:?}"
    );
    let _ = child.kill();
    let _ = child.wait();
}
