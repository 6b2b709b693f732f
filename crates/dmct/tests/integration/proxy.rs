//! `dmct proxy` between `dmct peer client` and `dmct peer server`, as processes over
//! loopback: every scenario of testcases/proxy/ (each with its mutations), and a plain
//! relay whose sessions pass every rule on both sides.

use crate::common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

#[derive(serde::Deserialize)]
struct ProxyScenario {
    id: String,
    mutations: Vec<String>,
    client_auth: String,
    server_auth: String,
    #[serde(default)]
    wbxml: bool,
    expect: Expect,
}

#[derive(serde::Deserialize, Default)]
struct Expect {
    #[serde(default)]
    client_pass: Vec<String>,
    #[serde(default)]
    server_pass: Vec<String>,
    #[serde(default)]
    server_judged: Vec<String>,
}

struct Proxy {
    child: Child,
    url: String,
}

/// Start `dmct proxy`; returns once it listens.
fn proxy(upstream: &str, out: &Path, mutations: &[String]) -> Proxy {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dmct"));
    cmd.args(["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream])
        .args(["--out", out.to_str().unwrap(), "--delay-ms", "300"]);
    for m in mutations {
        cmd.args(["--mutate", m]);
    }
    let mut child = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("proxy output").unwrap();
        if let Some(rest) = line.strip_prefix("dmct: proxy at ") {
            break rest.split(" -> ").next().unwrap().trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Proxy { child, url }
}

/// Ctrl-C the proxy (what a lab does) and wait for its reports.
fn stop(mut p: Proxy) -> i32 {
    let pid = p.child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    p.child.wait().unwrap().code().unwrap_or(-1)
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn finding<'a>(r: &'a serde_json::Value, role: &str, rule: &str) -> Option<&'a serde_json::Value> {
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["role"] == role)
        .flat_map(|c| c["findings"].as_array().unwrap())
        .find(|f| f["rule"] == rule)
}

#[test]
fn every_proxy_scenario_exercises_its_rules() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testcases/proxy");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for file in files {
        let s: ProxyScenario = toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let server = peer_server(&["--auth", &s.server_auth]);
        let out = tmp(&s.id.replace('/', "-"));
        let p = proxy(&server.url, &out, &s.mutations);
        let mut args = vec![
            "peer",
            "client",
            "--url",
            &p.url,
            "--auth",
            &s.client_auth,
            "--server-secret",
            "dmct-server-secret",
        ];
        if s.wbxml {
            args.push("--wbxml");
        }
        let c = dmct(&args);
        let code = stop(p);
        assert!(matches!(code, 0 | 1 | 3), "{}: proxy exit {code}", s.id);
        let r = report(&out);
        assert_eq!(r["command"], "proxy");
        for (role, rules, must_pass) in [
            ("client", &s.expect.client_pass, true),
            ("server", &s.expect.server_pass, true),
            ("server", &s.expect.server_judged, false),
        ] {
            for rule in rules {
                let f = finding(&r, role, rule).unwrap_or_else(|| {
                    panic!(
                        "{}: {rule} was not judged for the {role}\n{}",
                        s.id,
                        text(&c)
                    )
                });
                assert!(f["verdict"] != "not-applicable", "{}: {rule}: {f}", s.id);
                if must_pass {
                    assert_eq!(f["verdict"], "pass", "{}: {rule}: {f}", s.id);
                }
            }
        }
        // The mutation is on record: in the case's peer and in the session file.
        let sessions = std::fs::read_dir(out.join("sessions")).unwrap().count();
        assert!(sessions >= 1, "{}: no session record", s.id);
        let peers: Vec<&serde_json::Value> = r["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["peer"]["faults"])
            .collect();
        assert!(
            peers
                .iter()
                .any(|f| f.to_string().contains(&format!("proxy:{}", s.mutations[0]))),
            "{}: {peers:?}",
            s.id
        );
    }
}

#[test]
fn a_plain_relay_passes_every_rule_both_ways_and_unknown_mutations_are_refused() {
    let server = peer_server(&[]);
    let out = tmp("proxy-plain");
    let p = proxy(&server.url, &out, &[]);
    for auth in ["basic", "md5", "hmac"] {
        let c = dmct(&[
            "peer",
            "client",
            "--url",
            &p.url,
            "--auth",
            auth,
            "--server-secret",
            "dmct-server-secret",
        ]);
        assert_eq!(c.status.code(), Some(0), "{auth}: {}", text(&c));
    }
    assert_eq!(stop(p), 0);
    let r = report(&out);
    assert_eq!(
        r["summary"]["cases"], 6,
        "three sessions, each judged both ways"
    );
    assert_eq!(r["summary"]["pass"], 6, "{}", r["summary"]);
    assert!(out.join("report.html").exists() && out.join("report.xml").exists());

    let o = dmct(&["proxy", "--upstream", &server.url, "--mutate", "no-such"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("unknown mutation"), "{}", text(&o));
}

/// `--sessions 1` counts a session that ended in silence: a device that sends its
/// Package #1 and nothing more after the server's answer. The proxy stops by itself
/// after `--idle`, and the report says the client went quiet.
#[test]
fn sessions_n_counts_a_session_that_went_silent() {
    let server = peer_server(&[]);
    let out = tmp("proxy-silent");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dmct"));
    cmd.args([
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &server.url,
    ])
    .args([
        "--out",
        out.to_str().unwrap(),
        "--sessions",
        "1",
        "--idle",
        "0.3",
    ]);
    let mut child = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("proxy output").unwrap();
        if let Some(rest) = line.strip_prefix("dmct: proxy at ") {
            break rest.split(" -> ").next().unwrap().trim().to_owned();
        }
    };
    let told = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let body = "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
        <VerProto>DM/1.2</VerProto><SessionID>3A</SessionID><MsgID>1</MsgID>\
        <Target><LocURI>http://dm</LocURI></Target><Source><LocURI>IMEI:1</LocURI></Source>\
        </SyncHdr><SyncBody><Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Final/>\
        </SyncBody></SyncML>";
    let answer = post_dm_xml(addr, body);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Then silence: the proxy must end by itself, without Ctrl-C.
    let code = exits_by_itself(
        &mut child,
        30,
        "the proxy did not stop after a silent session",
    );
    assert!(matches!(code, 0 | 1 | 3), "exit {code}");
    let told = told.join().unwrap().join("\n");
    assert!(told.contains("ended in silence"), "{told}");
    let r = report(&out);
    let closings: Vec<String> = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ended"]["how"].to_string())
        .collect();
    assert_eq!(closings.len(), 2, "{closings:?}");
    assert!(
        closings.iter().all(|c| c == "\"client-idle\""),
        "the session ended in the client's silence: {closings:?}"
    );
}
