//! `dmct proxy` between `dmct peer client` and `dmct peer server`, as processes over
//! loopback: every scenario of testcases/proxy/ (each with its mutations), and a plain
//! relay whose sessions pass every rule on both sides.

mod common;

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
        assert!(matches!(code, 0..=2), "{}: proxy exit {code}", s.id);
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
