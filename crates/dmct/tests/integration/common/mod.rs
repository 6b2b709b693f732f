//! What the CLI tests share: running dmct, scratch directories, a `dmct peer server`
//! process.
#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

/// How many built-in scenarios test clients, and how many test servers.
pub fn scenario_counts() -> (usize, usize) {
    let all = dmct_suite::scenario::builtin().unwrap();
    let n = |r| all.iter().filter(|s| s.roles.contains(&r)).count();
    (n(dmct_rules::Role::Client), n(dmct_rules::Role::Server))
}

pub fn dmct(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dmct"))
        .args(args)
        .output()
        .expect("dmct runs")
}

/// Standard output then standard error, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh, existing directory below the test target directory.
pub fn tmp(name: &str) -> PathBuf {
    let d = out_dir(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A path below the test target directory that does not exist yet.
pub fn out_dir(name: &str) -> PathBuf {
    claim(name);
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Every test of this binary runs in one process, on parallel threads: a scratch name
/// taken by two tests would have one delete the other's files mid-run. The first test
/// (libtest names each test's thread after it) to take a name keeps it.
fn claim(name: &str) {
    static TAKEN: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());
    let test = std::thread::current().name().unwrap_or_default().to_owned();
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    match taken.iter().find(|(n, _)| n == name) {
        Some((_, owner)) => assert_eq!(owner, &test, "scratch name {name:?} is {owner}'s"),
        None => taken.push((name.to_owned(), test)),
    }
}

/// A running `dmct peer server`; killed when dropped.
pub struct PeerServer {
    child: Child,
    pub url: String,
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn peer_server(extra: &[&str]) -> PeerServer {
    peer_server_at("127.0.0.1:0", extra)
}

/// A `dmct peer server` on `listen`: for a test that must know the address before the
/// server says it (a `--public-url` in front of it).
pub fn peer_server_at(listen: &str, extra: &[&str]) -> PeerServer {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmct"))
        .args(["peer", "server", "--listen", listen])
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("dmct peer server starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("peer server output").unwrap();
        if let Some(rest) = line.strip_prefix("dmct: reference DM server at ") {
            break rest.trim().to_owned();
        }
    };
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    PeerServer { child, url }
}

/// POST `body` as a DM XML message to `addr` (host:port) over a fresh connection, as a
/// hand-typed device does; the whole raw answer.
pub fn post_dm_xml(addr: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /dm HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/vnd.syncml.dm+xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

/// The exit code of `child`, which must stop by itself within `secs` seconds (else it
/// is killed and the test fails with `what`).
pub fn exits_by_itself(child: &mut Child, secs: u64, what: &str) -> i32 {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if started.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("{what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// `report` (a report.json) holds to testcases/schemas/report.schema.json: checked by a
/// JSON Schema validator (draft 2020-12: types, consts, enums, required keys, nested
/// objects), and by a walk for what JSON Schema cannot say: no key the schema leaves
/// undocumented, and the documented order.
pub fn assert_follows_schema(report: &serde_json::Value) {
    fn walk(schema: &serde_json::Value, value: &serde_json::Value, path: &str) {
        if let (Some(props), Some(obj)) = (schema["properties"].as_object(), value.as_object()) {
            let order: Vec<&String> = props.keys().collect();
            let mut last = 0;
            for (k, v) in obj {
                let pos = order
                    .iter()
                    .position(|o| *o == k)
                    .unwrap_or_else(|| panic!("{path}.{k} is not in the schema"));
                assert!(pos >= last, "{path}.{k} is out of the documented order");
                last = pos;
                walk(&props[k], v, &format!("{path}.{k}"));
            }
            for r in schema["required"].as_array().into_iter().flatten() {
                assert!(obj.contains_key(r.as_str().unwrap()), "{path} lacks {r}");
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
            for (i, v) in arr.iter().enumerate() {
                walk(items, v, &format!("{path}[{i}]"));
            }
        }
        if let Some(allowed) = schema["enum"].as_array() {
            assert!(
                allowed.contains(value),
                "{path} = {value} is not one of {allowed:?}"
            );
        }
    }
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../testcases/schemas/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    walk(&schema, report, "$");
}

/// The `name` of every `<testcase>` in the JUnit report.xml under `dir`, in order.
pub fn junit_names(dir: &std::path::Path) -> Vec<String> {
    let xml = std::fs::read_to_string(dir.join("report.xml")).unwrap();
    xml.split("<testcase ")
        .skip(1)
        .map(|t| {
            // The attribute wherever it stands (` classname="` is not it).
            let t = format!(" {t}");
            let name = t.split(" name=\"").nth(1).unwrap();
            name[..name.find('"').unwrap()].to_owned()
        })
        .collect()
}
