//! The `dmct` binary as a whole process under faults. Every fault ends in a valid,
//! parseable report (or a clear refusal before anything runs) and no lost exchange:
//!
//! - [`Harness::signals_run`], [`Harness::signals_proxy`]: SIGINT, SIGTERM or SIGHUP
//!   (sometimes twice at once) at a random point of `dmct run` and of `dmct proxy` with
//!   reference-client sessions going through it;
//! - [`Harness::full_disk`]: a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail
//!   with EFBIG) and a small tmpfs;
//! - [`Harness::read_only_out`]: `--out` on a read-only bind mount, under /proc, /sys, or
//!   a file;
//! - [`Harness::tight_limits`]: few file descriptors, little address space;
//! - [`Harness::own_descriptors`]: so few descriptors that dmct's own listener cannot
//!   accept and its own client cannot connect: inconclusive cases naming the limit, at
//!   once, never a failure blamed on the peer;
//! - [`Harness::dropped_connections`]: a relay that drops the connection at each exchange
//!   boundary, between dmct's client and a server and between the proxy and its upstream.
//!
//! Limits are set by `sh` (`ulimit`, `trap`) before it execs dmct: no unsafe code here.
//! Every child has a deadline; overrunning it is a failure (a hang), as are exit 101 (a
//! panic), a death by any signal but the one sent, and a truncated or invalid file.

mod disk;
mod dropped;
mod limits;
mod signals;

pub use dropped::{Cut, CutAt};

use crate::rng::Rng;
use dmct_proto::transcript::Transcript;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

pub struct Harness {
    pub dmct: PathBuf,
    /// Scratch space; each check uses a directory of its own below it.
    pub scratch: PathBuf,
    /// `testcases/schemas/report.schema.json`.
    pub schema: Value,
    /// The longest any one child may run.
    pub deadline: Duration,
    pub verbose: bool,
}

/// What a check saw: how many runs, what went wrong, the outcomes by kind, and the
/// variants the kernel refused (why).
#[derive(Debug, Default)]
pub struct Tally {
    pub runs: usize,
    pub failures: Vec<String>,
    pub outcomes: BTreeMap<String, usize>,
    pub skipped: Vec<String>,
}

impl Tally {
    fn saw(&mut self, outcome: impl Into<String>) {
        *self.outcomes.entry(outcome.into()).or_default() += 1;
    }

    fn fail(&mut self, what: impl Into<String>) {
        let what = what.into();
        eprintln!("FAULT CHECK FAILED: {what}");
        self.failures.push(what);
    }

    pub fn merge(&mut self, other: Tally) {
        self.runs += other.runs;
        self.failures.extend(other.failures);
        self.skipped.extend(other.skipped);
        for (k, v) in other.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
    }
}

/// A running dmct: its standard error kept line by line.
struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    rx: mpsc::Receiver<String>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Proc {
    fn spawn(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dmct starts");
        let stderr = child.stderr.take().expect("piped");
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let (tx, rx) = mpsc::channel();
        let keep = lines.clone();
        let reader = std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                keep.lock().unwrap().push(l.clone());
                let _ = tx.send(l);
            }
        });
        Proc {
            child,
            lines,
            rx,
            reader: Some(reader),
        }
    }

    /// The first line of standard error starting with `prefix`, within `within`.
    fn line(&self, prefix: &str, within: Duration) -> Option<String> {
        let end = Instant::now() + within;
        loop {
            let left = end.checked_duration_since(Instant::now())?;
            match self.rx.recv_timeout(left) {
                Ok(l) if l.starts_with(prefix) => return Some(l),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([format!("-{sig}"), self.child.id().to_string()])
            .status();
    }

    /// Its status, or `Err` (it is killed) when it outlives `deadline`.
    fn wait(&mut self, deadline: Duration) -> Result<ExitStatus, String> {
        let end = Instant::now() + deadline;
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                // Its standard error ends with it: every line is read.
                if let Some(r) = self.reader.take() {
                    let _ = r.join();
                }
                return Ok(s);
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(format!(
                    "still running after {} s (a hang); its log:\n{}",
                    deadline.as_secs(),
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Resource limits `sh` sets before it execs dmct.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// RLIMIT_FSIZE in bytes (SIGXFSZ ignored, so a write past it fails with EFBIG).
    pub fsize: Option<u64>,
    pub nofile: Option<u64>,
    /// RLIMIT_AS in bytes.
    pub address_space: Option<u64>,
    /// RLIMIT_DATA in bytes.
    pub data: Option<u64>,
}

impl Limits {
    fn describe(&self) -> String {
        let mut d = Vec::new();
        if let Some(n) = self.fsize {
            d.push(format!("fsize {n} B"));
        }
        if let Some(n) = self.nofile {
            d.push(format!("nofile {n}"));
        }
        if let Some(n) = self.address_space {
            d.push(format!("as {} MiB", n >> 20));
        }
        if let Some(n) = self.data {
            d.push(format!("data {} MiB", n >> 20));
        }
        d.join(", ")
    }
}

/// The status in words: "exit N" or "signal N".
fn status_words(s: &ExitStatus) -> String {
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => "unknown".into(),
    }
}

const SIGNALS: [(&str, i32); 3] = [("INT", 2), ("TERM", 15), ("HUP", 1)];

impl Harness {
    fn cmd(&self, limits: &Limits, args: &[&str]) -> Command {
        let mut shell = String::new();
        if let Some(n) = limits.fsize {
            // POSIX `ulimit -f` counts 512-byte blocks.
            shell.push_str(&format!("trap '' XFSZ; ulimit -f {}; ", n.div_ceil(512)));
        }
        if let Some(n) = limits.nofile {
            shell.push_str(&format!("ulimit -n {n}; "));
        }
        if let Some(n) = limits.address_space {
            shell.push_str(&format!("ulimit -v {}; ", n >> 10));
        }
        if let Some(n) = limits.data {
            shell.push_str(&format!("ulimit -d {}; ", n >> 10));
        }
        let mut c = if shell.is_empty() {
            Command::new(&self.dmct)
        } else {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("{shell}exec \"$0\" \"$@\""))
                .arg(&self.dmct);
            c
        };
        c.args(args);
        c
    }

    fn dir(&self, name: &str) -> PathBuf {
        let d = self.scratch.join(name);
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn note(&self, what: &str) {
        if self.verbose {
            eprintln!("  {what}");
        }
    }

    /// A `dmct peer server` for the proxy and the relay, with its URL.
    fn peer_server(&self) -> (Proc, String) {
        let p = Proc::spawn(self.cmd(
            &Limits::default(),
            &["peer", "server", "--listen", "127.0.0.1:0"],
        ));
        let line = p
            .line("dmct: reference DM server at ", Duration::from_secs(20))
            .expect("dmct peer server starts");
        let url = line["dmct: reference DM server at ".len()..]
            .trim()
            .to_owned();
        // Keep draining its log.
        (p, url)
    }

    /// Every file dmct left in `out` is whole: report.json parses and satisfies the
    /// schema (`required`: it must exist), each case's transcript exists and parses,
    /// every transcript and session file parses. The report, when there is one.
    pub fn check_out(&self, out: &Path, required: bool) -> Result<Option<Value>, String> {
        for f in walk_files(out) {
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.contains(".tmp-") {
                continue; // an atomic write cut by a second signal or a failed write
            }
            if f.extension().is_some_and(|e| e == "json") {
                let text =
                    std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
                let v: Value = serde_json::from_str(&text)
                    .map_err(|e| format!("{} does not parse: {e}", f.display()))?;
                let is_transcript = f.parent().is_some_and(|p| p.ends_with("transcripts"));
                if is_transcript {
                    serde_json::from_value::<Transcript>(v)
                        .map_err(|e| format!("{} is no transcript: {e}", f.display()))?;
                }
            }
        }
        let path = out.join("report.json");
        if !path.exists() {
            return if required {
                Err(format!("no {}", path.display()))
            } else {
                Ok(None)
            };
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let r: Value =
            serde_json::from_str(&text).map_err(|e| format!("report.json does not parse: {e}"))?;
        let mut errors = Vec::new();
        validate(&self.schema, &r, "report", &mut errors);
        if !errors.is_empty() {
            return Err(format!(
                "report.json against the schema: {}",
                errors.join("; ")
            ));
        }
        for c in r["cases"].as_array().into_iter().flatten() {
            if let Some(t) = c["transcript"].as_str()
                && !out.join(t).exists()
            {
                return Err(format!("case {} names a missing transcript {t}", c["id"]));
            }
        }
        Ok(Some(r))
    }
}

/// How many exchanges with a response the transcripts in `out` hold.
fn answered_in(out: &Path) -> Result<usize, String> {
    let mut n = 0;
    for f in walk_files(&out.join("transcripts")) {
        let t: Transcript =
            serde_json::from_str(&std::fs::read_to_string(&f).map_err(|e| e.to_string())?)
                .map_err(|e| format!("{}: {e}", f.display()))?;
        n += t.exchanges.iter().filter(|e| e.response.is_some()).count();
    }
    Ok(n)
}

/// No case failed, and every case that did not pass names dmct's open-file limit in how
/// it ended, never a timeout or the peer's silence.
fn own_limit_named(report: &Value) -> Result<(), String> {
    let cases = report["cases"]
        .as_array()
        .ok_or("report.json has no cases")?;
    if cases.is_empty() {
        return Err("report.json has no cases".into());
    }
    for c in cases {
        let what = format!("case {} ({})", c["id"], c["role"]);
        match c["verdict"].as_str() {
            Some("pass") => continue,
            Some("fail") => return Err(format!("{what} failed: {c}")),
            _ => {}
        }
        let ended = c["ended"]["detail"].as_str().unwrap_or_default();
        if c["ended"]["how"] != "harness-limit" || !ended.contains("(ulimit -n)") {
            return Err(format!("{what} ended {:?}: {ended}", c["ended"]["how"]));
        }
        let named = c["findings"].as_array().into_iter().flatten().all(|f| {
            f["verdict"] != "inconclusive"
                || f["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("(ulimit -n)"))
        });
        if !named {
            return Err(format!(
                "{what} has an inconclusive finding not naming the limit"
            ));
        }
    }
    Ok(())
}

/// No case of the report failed.
fn no_case_failed(report: &Value) -> Result<(), String> {
    for c in report["cases"].as_array().into_iter().flatten() {
        if c["verdict"] == "fail" {
            return Err(format!(
                "case {} ({}) failed: {}",
                c["id"], c["role"], c["ended"]
            ));
        }
    }
    Ok(())
}

/// A session the upstream broke is told as the server's doing in both of its cases.
fn upstream_blamed(report: &Value) -> Result<(), String> {
    for c in report["cases"].as_array().into_iter().flatten() {
        let detail = c["ended"]["detail"].as_str().unwrap_or_default();
        if c["ended"]["how"] == "connection-reset" && !detail.starts_with("the server closed") {
            return Err(format!("case {} {}: ended {detail:?}", c["id"], c["role"]));
        }
    }
    Ok(())
}

/// A case judging a peer in `roles` whose transcript holds an exchange that failed
/// (the cut) never passes, and fails only with a reason.
fn not_passed_where_cut(out: &Path, report: &Value, roles: &[&str]) -> Result<(), String> {
    for c in report["cases"].as_array().into_iter().flatten() {
        let Some(t) = c["transcript"].as_str() else {
            continue;
        };
        if !roles.iter().any(|r| c["role"] == *r) {
            continue;
        }
        let t: Transcript =
            serde_json::from_str(&std::fs::read_to_string(out.join(t)).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let cut = t
            .exchanges
            .iter()
            .any(|e| e.failure.is_some() || e.response.as_ref().is_some_and(|r| r.status >= 500));
        if cut && c["verdict"] == "pass" {
            return Err(format!(
                "case {} passed with a dropped exchange in its transcript",
                c["id"]
            ));
        }
        if cut && c["verdict"] == "fail" {
            let reasoned = c["findings"].as_array().into_iter().flatten().any(|f| {
                f["verdict"] == "fail" && f["detail"].as_str().is_some_and(|d| !d.is_empty())
            });
            if !reasoned {
                return Err(format!("case {} failed without a reason", c["id"]));
            }
        }
    }
    Ok(())
}

/// Every exchange a client in `clients` got an answer for is in the proxy's records in
/// `out`: its request in a transcript, and in the session record the answer the client
/// got (the server's, or the proxy's own 502/504 in place of a failed upstream).
fn answered_are_recorded(clients: &Path, out: &Path) -> Result<(), String> {
    let mut requests = Vec::new();
    for f in walk_files(&out.join("transcripts")) {
        if f.extension().is_some_and(|e| e == "json") {
            let t: Transcript =
                serde_json::from_str(&std::fs::read_to_string(&f).map_err(|e| e.to_string())?)
                    .map_err(|e| format!("{}: {e}", f.display()))?;
            requests.extend(t.exchanges.into_iter().map(|e| e.request.body));
        }
    }
    // What each client saw, as the proxy recorded it.
    let mut seen = Vec::new();
    for f in walk_files(&out.join("sessions")) {
        let r: dmct_proxy::SessionRecord =
            serde_json::from_str(&std::fs::read_to_string(&f).map_err(|e| e.to_string())?)
                .map_err(|e| format!("{}: {e}", f.display()))?;
        for (i, e) in r.transcript.exchanges.into_iter().enumerate() {
            let own = r
                .relays
                .get(i)
                .and_then(|x| x.as_ref())
                .and_then(|x| x.proxy_response.clone());
            seen.push((e.request.body, own.or(e.response)));
        }
    }
    for f in walk_files(clients) {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let t: Transcript =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        for (i, e) in t.exchanges.iter().enumerate() {
            let Some(resp) = &e.response else { continue };
            if !requests.contains(&e.request.body) {
                return Err(format!(
                    "exchange {i} of {} was answered (HTTP {}) but its request is in no \
                     transcript of the proxy",
                    f.display(),
                    resp.status
                ));
            }
            let found = seen.iter().any(|(req, r)| {
                *req == e.request.body
                    && r.as_ref()
                        .is_some_and(|x| x.status == resp.status && x.body == resp.body)
            });
            if !found {
                return Err(format!(
                    "exchange {i} of {} was answered (HTTP {}) but no session record of the \
                     proxy holds that answer",
                    f.display(),
                    resp.status
                ));
            }
        }
    }
    Ok(())
}

/// `"dmct: proxy at URL -> upstream..."` -> URL.
fn proxy_url(line: &str) -> String {
    line["dmct: proxy at ".len()..]
        .split(" -> ")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `http://host:port/dm` -> `host:port`, by dmct's one URL reader.
fn addr_of(url: &str) -> String {
    dmct_proto::url::Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.socket())
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 scratch paths")
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    walk_files(dir)
}

fn copy_dir(from: &Path, to: &Path) {
    for f in walk_files(from) {
        let rel = f.strip_prefix(from).expect("below");
        let dest = to.join(rel);
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p).expect("scratch");
        }
        std::fs::copy(&f, &dest).expect("scratch");
    }
}

/// `v` against its JSON Schema (the jsonschema crate, draft 2020-12): each violation
/// with the place it is at, below `at`.
pub fn validate(schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    match jsonschema::validator_for(schema) {
        Err(e) => errors.push(format!("the schema itself is not valid: {e}")),
        Ok(validator) => errors.extend(
            validator
                .iter_errors(v)
                .map(|e| format!("{at}{}: {e}", e.instance_path().as_str())),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::validate;
    use serde_json::json;

    #[test]
    fn the_report_schema_names_each_violation_and_where() {
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../testcases/schemas/report.schema.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let mut errors = Vec::new();
        validate(
            &schema,
            &json!({"schema_version": 1}),
            "report",
            &mut errors,
        );
        assert!(errors.iter().any(|e| e.contains("\"tool\"")), "{errors:?}");
        let mut errors = Vec::new();
        let report = json!({
            "schema_version": 2, "tool": {"name": "dmct", "version": "0"},
            "command": "dance", "summary": {}, "cases": [], "duration_ms": 0
        });
        validate(&schema, &report, "report", &mut errors);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("report/schema_version")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.starts_with("report/command")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.starts_with("report/summary")),
            "{errors:?}"
        );
    }
}
