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

    /// (a) A signal at a random point of the built-in run, `iterations` times.
    pub fn signals_run(&self, rng: &mut Rng, iterations: usize) -> Tally {
        let mut tally = Tally::default();
        // How long a whole run takes, and the code it ends with, untouched.
        let base = self.dir("signals-run-base");
        let started = Instant::now();
        let mut p = Proc::spawn(self.cmd(
            &Limits::default(),
            &["run", "--seed", "1", "--out", s(&base)],
        ));
        let finished_code = match p.wait(self.deadline) {
            Ok(st) => st.code(),
            Err(e) => {
                tally.fail(format!("signals/run: the untouched run: {e}"));
                return tally;
            }
        };
        let whole = started.elapsed();
        if let Err(e) = self.check_out(&base, true) {
            tally.fail(format!("signals/run: the untouched run: {e}"));
        }
        self.note(&format!(
            "signals/run: an untouched run takes {} ms and ends with {finished_code:?}",
            whole.as_millis()
        ));
        for i in 0..iterations {
            tally.runs += 1;
            let out = self.dir(&format!("signals-run-{i}"));
            let (sig, num) = *rng.pick(&SIGNALS);
            let twice = rng.chance(4);
            // Half of them early: judging and writing take much of a whole run.
            let span = whole.as_micros() as usize * if rng.chance(2) { 3 } else { 11 } / 10;
            let delay = Duration::from_micros(rng.below(span + 1) as u64);
            let what = format!(
                "signals/run #{i}: SIG{sig}{} after {} ms",
                if twice { " twice" } else { "" },
                delay.as_millis()
            );
            let mut p = Proc::spawn(self.cmd(&Limits::default(), &["run", "--out", s(&out)]));
            std::thread::sleep(delay);
            p.signal(sig);
            if twice {
                p.signal(rng.pick(&SIGNALS).0);
            }
            let st = match p.wait(self.deadline) {
                Ok(st) => st,
                Err(e) => {
                    tally.fail(format!("{what}: {e}"));
                    continue;
                }
            };
            let log = p.log();
            if let Err(e) =
                self.judge_signalled(&out, &st, num, finished_code, twice, &log, &mut tally)
            {
                tally.fail(format!("{what}: {e}\nlog:\n{log}"));
            }
        }
        tally
    }

    /// The files and the status a signalled `run` or `proxy --sessions` left.
    #[allow(clippy::too_many_arguments)]
    fn judge_signalled(
        &self,
        out: &Path,
        st: &ExitStatus,
        signal: i32,
        finished_code: Option<i32>,
        twice: bool,
        log: &str,
        tally: &mut Tally,
    ) -> Result<(), String> {
        if log.contains("panicked") {
            return Err(format!("a panic ({})", status_words(st)));
        }
        // Only a second signal may stop the reports being written (a first one after
        // the run ended lets them be written).
        let while_writing = log.contains("while the reports were written");
        if while_writing && !twice {
            return Err(format!(
                "one signal stopped the reports being written ({})",
                status_words(st)
            ));
        }
        let report = out.join("report.json");
        match (st.code(), st.signal()) {
            (Some(130), _) => {
                // Only a signal while the reports are written may leave some unwritten.
                let r = self.check_out(out, !(twice || while_writing))?;
                match r {
                    Some(r) if !while_writing && r["interrupted"] != true => {
                        return Err("exit 130 but report.json is not marked interrupted".into());
                    }
                    _ => {}
                }
                tally.saw(if while_writing {
                    "130, second signal while the reports were written"
                } else {
                    "130, interrupted report"
                });
            }
            (Some(c), _) if Some(c) == finished_code => {
                let r = self.check_out(out, true)?.unwrap_or_default();
                if r.get("interrupted").is_some_and(|v| v == true) {
                    return Err(format!("exit {c} but the report says interrupted"));
                }
                tally.saw(if log.contains("the run has ended; writing its reports") {
                    "finished, the signal came while its reports were written"
                } else {
                    "finished before the signal"
                });
            }
            (None, Some(sig)) if sig == signal || twice => {
                // Before dmct catches signals (its first milliseconds) the default
                // action ends it: nothing may have been written then.
                if report.exists() || out.join("transcripts").exists() {
                    return Err(format!(
                        "killed by signal {sig}, yet it had written reports (after it \
                         caught signals, a signal must give exit 130)"
                    ));
                }
                tally.saw("ended by the signal before dmct caught it");
            }
            _ => return Err(format!("unexpected {}", status_words(st))),
        }
        Ok(())
    }

    /// (a) A signal at a random point of `dmct proxy --sessions` while reference clients
    /// run sessions through it; every answer a client got is in the proxy's transcripts.
    pub fn signals_proxy(&self, rng: &mut Rng, iterations: usize) -> Tally {
        let mut tally = Tally::default();
        let (_server, upstream) = self.peer_server();
        for i in 0..iterations {
            tally.runs += 1;
            let out = self.dir(&format!("signals-proxy-{i}"));
            let clients = self.dir(&format!("signals-proxy-{i}-clients"));
            std::fs::create_dir_all(&clients).expect("scratch");
            let (sig, num) = *rng.pick(&SIGNALS);
            let twice = rng.chance(4);
            let delay = Duration::from_millis(rng.below(1500) as u64);
            let what = format!(
                "signals/proxy #{i}: SIG{sig}{} after {} ms",
                if twice { " twice" } else { "" },
                delay.as_millis()
            );
            let p = Proc::spawn(self.cmd(
                &Limits::default(),
                &[
                    "proxy",
                    "--listen",
                    "127.0.0.1:0",
                    "--upstream",
                    &upstream,
                    "--sessions",
                    "100000",
                    "--out",
                    s(&out),
                ],
            ));
            let Some(line) = p.line("dmct: proxy at ", Duration::from_secs(20)) else {
                tally.fail(format!("{what}: the proxy did not start:\n{}", p.log()));
                continue;
            };
            let url = proxy_url(&line);
            let (stop, driver) = self.client_loop(&url, &clients, 2);
            std::thread::sleep(delay);
            p.signal(sig);
            if twice {
                p.signal(rng.pick(&SIGNALS).0);
            }
            let mut p = p;
            let st = p.wait(self.deadline);
            stop.store(true, Ordering::SeqCst);
            let client_failures = driver.join().unwrap_or_default();
            for f in client_failures {
                tally.fail(format!("{what}: {f}"));
            }
            let st = match st {
                Ok(st) => st,
                Err(e) => {
                    tally.fail(format!("{what}: {e}"));
                    continue;
                }
            };
            let log = p.log();
            if let Err(e) = self.judge_signalled(&out, &st, num, None, twice, &log, &mut tally) {
                tally.fail(format!("{what}: {e}\nlog:\n{log}"));
                continue;
            }
            // A second signal may stop it before the transcripts are written.
            if !twice
                && !log.contains("while the reports were written")
                && let Err(e) = answered_are_recorded(&clients, &out)
            {
                tally.fail(format!("{what}: {e}"));
            }
        }
        tally
    }

    /// Reference clients (`per_round` at once) through `url` until `stop`, each writing
    /// its transcript into `dir`; what went wrong with them (a panic, a hang).
    fn client_loop(
        &self,
        url: &str,
        dir: &Path,
        per_round: usize,
    ) -> (Arc<AtomicBool>, std::thread::JoinHandle<Vec<String>>) {
        let stop = Arc::new(AtomicBool::new(false));
        let (url, dir, dmct, deadline) = (
            url.to_owned(),
            dir.to_owned(),
            self.dmct.clone(),
            self.deadline,
        );
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut failures = Vec::new();
            let mut n = 0;
            while !flag.load(Ordering::SeqCst) {
                let mut round = Vec::new();
                for _ in 0..per_round {
                    n += 1;
                    let t = dir.join(format!("client-{n}.json"));
                    let mut c = Command::new(&dmct);
                    c.args(["peer", "client", "--url", &url, "--transcript", s(&t)]);
                    round.push(Proc::spawn(c));
                }
                for mut c in round {
                    match c.wait(deadline) {
                        Ok(st) if matches!(st.code(), Some(0 | 1)) => {}
                        Ok(st) => failures.push(format!(
                            "a reference client ended with {}:\n{}",
                            status_words(&st),
                            c.log()
                        )),
                        Err(e) => failures.push(format!("a reference client: {e}")),
                    }
                }
            }
            failures
        });
        (stop, handle)
    }

    /// (b) A full disk: a file-size limit (always) and a small tmpfs (when mounting is
    /// permitted). dmct exits non-zero naming the file; no report.json is truncated.
    pub fn full_disk(&self, rng: &mut Rng, iterations: usize) -> Tally {
        let mut tally = Tally::default();
        // The sizes of an untouched run's files, to cut inside each of them.
        let base = self.dir("full-disk-base");
        let mut p = Proc::spawn(self.cmd(
            &Limits::default(),
            &["run", "--seed", "2", "--out", s(&base)],
        ));
        if let Err(e) = p.wait(self.deadline) {
            tally.fail(format!("full-disk: the untouched run: {e}"));
            return tally;
        }
        let mut sizes: Vec<u64> = walk_files(&base)
            .iter()
            .filter_map(|f| f.metadata().ok().map(|m| m.len()))
            .collect();
        sizes.sort_unstable();
        for i in 0..iterations {
            // Below the probe file, inside the transcripts, around each report.
            let size = match i % 3 {
                0 => 1 + rng.below(64) as u64,
                _ => {
                    let s = *rng.pick(&sizes);
                    (s / 2 + rng.below(s as usize + 1) as u64).max(512)
                }
            };
            // Half the time over a previous whole run: it must survive whole.
            let previous = rng.chance(2);
            let out = self.dir(&format!("full-disk-fsize-{i}"));
            if previous {
                copy_dir(&base, &out);
            }
            tally.runs += 1;
            let what = format!(
                "full-disk/fsize #{i}: {size} B{}",
                if previous { " over a previous run" } else { "" }
            );
            let limits = Limits {
                fsize: Some(size),
                ..Limits::default()
            };
            let mut p = Proc::spawn(self.cmd(&limits, &["run", "--seed", "2", "--out", s(&out)]));
            let r = p
                .wait(self.deadline)
                .and_then(|st| self.judge_full(&out, &st, &p.log(), previous, &mut tally));
            if let Err(e) = r {
                tally.fail(format!("{what}: {e}"));
            }
        }
        match Mount::tmpfs(&self.dir("full-disk-tmpfs-probe"), 16 * 1024) {
            Err(why) => tally
                .skipped
                .push(format!("full-disk/tmpfs: mount refused ({why})")),
            Ok(m) => {
                drop(m);
                for i in 0..iterations.div_ceil(2) {
                    let kib = [16u64, 64, 256, 1024][i % 4] + rng.below(64) as u64;
                    let dir = self.dir(&format!("full-disk-tmpfs-{i}"));
                    let mount = match Mount::tmpfs(&dir, kib * 1024) {
                        Ok(m) => m,
                        Err(e) => {
                            tally.fail(format!("full-disk/tmpfs #{i}: {e}"));
                            continue;
                        }
                    };
                    tally.runs += 1;
                    let out = dir.join("out");
                    let mut p = Proc::spawn(self.cmd(
                        &Limits::default(),
                        &["run", "--seed", "2", "--out", s(&out)],
                    ));
                    let r = p
                        .wait(self.deadline)
                        .and_then(|st| self.judge_full(&out, &st, &p.log(), false, &mut tally));
                    if let Err(e) = r {
                        tally.fail(format!("full-disk/tmpfs #{i}: {kib} KiB: {e}"));
                    }
                    drop(mount);
                }
            }
        }
        tally
    }

    fn judge_full(
        &self,
        out: &Path,
        st: &ExitStatus,
        log: &str,
        previous: bool,
        tally: &mut Tally,
    ) -> Result<(), String> {
        if log.contains("panicked") || st.code().is_none_or(|c| c == 101) {
            return Err(format!("{}: {log}", status_words(st)));
        }
        // Whatever is there is whole; over a previous run, report.json stays; a failed
        // write removes its temporary file.
        let r = self.check_out(out, previous)?;
        if let Some(t) = walk_files(out)
            .iter()
            .find(|f| f.to_string_lossy().contains(".tmp-"))
        {
            return Err(format!("a temporary file was left: {}", t.display()));
        }
        if st.success() || r.is_some() && st.code() != Some(2) && !previous {
            // The limit was not reached: the run finished.
            if r.is_none() {
                return Err(format!("{} and no report.json", status_words(st)));
            }
            tally.saw("full disk: the limit was not reached");
            return Ok(());
        }
        if st.code() != Some(2) {
            return Err(format!(
                "{} (a harness error is exit 2): {log}",
                status_words(st)
            ));
        }
        let line = log
            .lines()
            .find(|l| l.starts_with("dmct: error:"))
            .ok_or_else(|| format!("no error message: {log}"))?;
        if !line.contains(s(out)) {
            return Err(format!("the message does not name the file: {line}"));
        }
        if !line.contains("cannot") {
            return Err(format!("the message does not say what failed: {line}"));
        }
        // In words, once (not the OS's text after it).
        if line.contains("(os error") {
            return Err(format!("the reason is not in words: {line}"));
        }
        tally.saw("full disk: exit 2 naming the file");
        Ok(())
    }

    /// (c) `--out` that cannot be written: a read-only bind mount (when mounting is
    /// permitted), a path under /proc and /sys, a regular file. Exit 2 with the reason,
    /// nothing run, nothing written.
    pub fn read_only_out(&self) -> Tally {
        let mut tally = Tally::default();
        let file = self.dir("read-only-file");
        std::fs::create_dir_all(&file).expect("scratch");
        let file = file.join("a-file");
        std::fs::write(&file, "not a directory").expect("scratch");
        let mut places: Vec<(String, PathBuf)> = vec![
            ("a file".into(), file.clone()),
            ("a file's child".into(), file.join("sub")),
        ];
        // Only where they are the kernel's (a container may lack them: root could then
        // write there).
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        for (fs, dir, place) in [
            ("proc", "/proc", "/proc/dmct-fault-test"),
            ("sysfs", "/sys", "/sys/kernel"),
        ] {
            if mounts
                .lines()
                .any(|l| l.split(' ').nth(1) == Some(dir) && l.split(' ').nth(2) == Some(fs))
            {
                places.push((dir.into(), PathBuf::from(place)));
            } else {
                tally
                    .skipped
                    .push(format!("read-only/{dir}: no {fs} mounted there"));
            }
        }
        let ro = self.dir("read-only-mount");
        std::fs::create_dir_all(&ro).expect("scratch");
        let mount = match Mount::read_only(&ro) {
            Ok(m) => {
                places.push(("a read-only mount".into(), ro.clone()));
                places.push(("below a read-only mount".into(), ro.join("sub")));
                Some(m)
            }
            Err(why) => {
                tally
                    .skipped
                    .push(format!("read-only/bind mount: mount refused ({why})"));
                None
            }
        };
        let before = listing(&ro);
        for (what, place) in &places {
            let o = s(place);
            for args in [
                vec!["run", "--out", o],
                vec!["run", "--serve", "127.0.0.1:0", "--wait", "1", "--out", o],
                vec!["proxy", "--upstream", "http://127.0.0.1:9/", "--out", o],
            ] {
                tally.runs += 1;
                let mut p = Proc::spawn(self.cmd(&Limits::default(), &args));
                let r = p.wait(self.deadline).and_then(|st| {
                    let log = p.log();
                    if st.code() != Some(2) {
                        return Err(format!("{} (want exit 2): {log}", status_words(&st)));
                    }
                    if !log.contains("--out cannot take the reports") || !log.contains(o) {
                        return Err(format!("no clear reason naming {o}: {log}"));
                    }
                    if log.contains("listening") || log.contains("proxy at") {
                        return Err(format!("it ran anyway: {log}"));
                    }
                    Ok(())
                });
                match r {
                    Ok(()) => tally.saw("read-only: exit 2 with the reason"),
                    Err(e) => tally.fail(format!("read-only/{what}: {args:?}: {e}")),
                }
            }
        }
        if std::fs::read_to_string(&file).ok().as_deref() != Some("not a directory") {
            tally.fail("read-only/a file: the file was changed");
        }
        drop(mount);
        if listing(&ro) != before {
            tally.fail("read-only/bind mount: something was written below it");
        }
        if Path::new("/proc/dmct-fault-test").exists() {
            tally.fail("read-only//proc: a directory appeared");
        }
        tally
    }

    /// (d) Few file descriptors, little address space or data: the run completes with a
    /// valid report or fails with a clear message; never a panic, a crash or a hang.
    pub fn tight_limits(&self, rng: &mut Rng, iterations: usize) -> Tally {
        let mut tally = Tally::default();
        let (_server, upstream) = self.peer_server();
        let nofile = |n| Limits {
            nofile: Some(n),
            ..Limits::default()
        };
        // Too few descriptors to start (a clear refusal), and enough to run; memory
        // tight but workable.
        let choices = [
            nofile(6),
            nofile(7),
            nofile(8),
            nofile(16),
            nofile(64),
            Limits {
                address_space: Some(64 << 20),
                ..Limits::default()
            },
            Limits {
                address_space: Some(96 << 20),
                ..Limits::default()
            },
            Limits {
                data: Some(16 << 20),
                ..Limits::default()
            },
            Limits {
                data: Some(32 << 20),
                ..Limits::default()
            },
        ];
        for i in 0..iterations {
            let limits = if i < choices.len() {
                choices[i].clone()
            } else {
                rng.pick(&choices).clone()
            };
            let lim = limits.describe();
            // The built-in run, then the proxy with one session through it.
            tally.runs += 1;
            let out = self.dir(&format!("limits-run-{i}"));
            let mut p = Proc::spawn(self.cmd(&limits, &["run", "--seed", "3", "--out", s(&out)]));
            let r = p
                .wait(self.deadline)
                .and_then(|st| self.judge_limited(&out, &st, &p.log(), &limits, &mut tally));
            if let Err(e) = r {
                tally.fail(format!("limits/run #{i} ({lim}): {e}"));
            }
            tally.runs += 1;
            let out = self.dir(&format!("limits-proxy-{i}"));
            let p = Proc::spawn(self.cmd(
                &limits,
                &[
                    "proxy",
                    "--listen",
                    "127.0.0.1:0",
                    "--upstream",
                    &upstream,
                    "--sessions",
                    "1",
                    "--out",
                    s(&out),
                ],
            ));
            let mut p = p;
            if let Some(line) = p.line("dmct: proxy at ", Duration::from_secs(20)) {
                let mut c = Command::new(&self.dmct);
                c.args(["peer", "client", "--url", &proxy_url(&line)]);
                let mut c = Proc::spawn(c);
                if let Err(e) = c.wait(self.deadline) {
                    tally.fail(format!("limits/proxy #{i} ({lim}): the client: {e}"));
                }
                // A session the proxy could not relay may never end: then it is stopped.
                if p.wait(Duration::from_secs(5)).is_err() {
                    tally.saw("limits: the proxy stopped by a signal");
                }
            }
            let r = p.wait(self.deadline).and_then(|st| {
                if st.signal() == Some(9) {
                    // Killed above as a stuck session: its files must still be whole.
                    return self.check_out(&out, false).map(|_| ());
                }
                self.judge_limited(&out, &st, &p.log(), &limits, &mut tally)
            });
            if let Err(e) = r {
                tally.fail(format!("limits/proxy #{i} ({lim}): {e}"));
            }
        }
        tally
    }

    /// (d') Descriptors enough to start but not for dmct's own loopback sessions (its
    /// listener cannot accept, or its client cannot open a socket): a valid report, no
    /// case failed, and every case not passed says it was dmct's limit (`ulimit -n`),
    /// not a timeout or the peer's silence.
    pub fn own_descriptors(&self, nofiles: &[u64]) -> Tally {
        let mut tally = Tally::default();
        for &n in nofiles {
            tally.runs += 1;
            let limits = Limits {
                nofile: Some(n),
                ..Limits::default()
            };
            let out = self.dir(&format!("descriptors-{n}"));
            let args = [
                "run",
                "--seed",
                "3",
                "--case",
                "session/get-replace",
                "--case",
                "auth/accept-200",
                "--out",
                s(&out),
            ];
            let mut p = Proc::spawn(self.cmd(&limits, &args));
            let r = p.wait(self.deadline).and_then(|st| {
                if p.log().contains("panicked") || st.code().is_none_or(|c| c == 101) {
                    return Err(format!("{}: {}", status_words(&st), p.log()));
                }
                let Some(report) = self.check_out(&out, false)? else {
                    // Too few to start at all: refused in words before anything ran.
                    if st.code() == Some(2) && p.log().contains("dmct: error:") {
                        tally.saw("descriptors: refused with a message");
                        return Ok(());
                    }
                    return Err(format!("{} and no report: {}", status_words(&st), p.log()));
                };
                own_limit_named(&report)?;
                tally.saw(format!(
                    "descriptors: report naming the limit, {}",
                    status_words(&st)
                ));
                Ok(())
            });
            if let Err(e) = r {
                tally.fail(format!("descriptors (nofile {n}): {e}"));
            }
        }
        // The proxy with descriptors for one connection at a time: the device's next
        // request is refused at dmct's limit, unread, so its session's silence is dmct's.
        let (_server, upstream) = self.peer_server();
        for &n in nofiles {
            tally.runs += 1;
            let limits = Limits {
                nofile: Some(n + 4),
                ..Limits::default()
            };
            let out = self.dir(&format!("descriptors-proxy-{n}"));
            let args = [
                "proxy",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                &upstream,
                "--sessions",
                "1",
                "--idle",
                "2",
                "--out",
                s(&out),
            ];
            let mut p = Proc::spawn(self.cmd(&limits, &args));
            let Some(line) = p.line("dmct: proxy at ", Duration::from_secs(20)) else {
                // Too few to start: a refusal in words, judged as for the run.
                let r = p.wait(self.deadline).and_then(|st| {
                    if st.code() == Some(2) && p.log().contains("dmct: error:") {
                        tally.saw("descriptors/proxy: refused with a message");
                        Ok(())
                    } else {
                        Err(format!("{}: {}", status_words(&st), p.log()))
                    }
                });
                if let Err(e) = r {
                    tally.fail(format!("descriptors/proxy (nofile {}): {e}", n + 4));
                }
                continue;
            };
            let mut c = Command::new(&self.dmct);
            c.args(["peer", "client", "--url", &proxy_url(&line)]);
            let mut c = Proc::spawn(c);
            let _ = c.wait(self.deadline);
            // The session ends in silence (--idle 2), whoever's: the proxy then exits.
            let r = p.wait(self.deadline).and_then(|st| {
                if p.log().contains("panicked") || st.code().is_none_or(|c| c == 101) {
                    return Err(format!("{}: {}", status_words(&st), p.log()));
                }
                let report = self.check_out(&out, true)?.ok_or("no report.json")?;
                no_case_failed(&report)?;
                tally.saw("descriptors/proxy: report, no case failed");
                Ok(())
            });
            if let Err(e) = r {
                tally.fail(format!("descriptors/proxy (nofile {}): {e}", n + 4));
            }
        }
        tally
    }

    fn judge_limited(
        &self,
        out: &Path,
        st: &ExitStatus,
        log: &str,
        limits: &Limits,
        tally: &mut Tally,
    ) -> Result<(), String> {
        // Rust aborts when an allocation fails; with little memory that may happen
        // (never a panic), and every file left must still be whole.
        let memory = limits.address_space.is_some() || limits.data.is_some();
        if memory && st.signal() == Some(6) && log.contains("memory allocation of") {
            self.check_out(out, false)?;
            tally.saw(format!(
                "limits: out of memory ({}), aborted naming the allocation",
                limits.describe()
            ));
            return Ok(());
        }
        if log.contains("panicked") || st.code().is_none_or(|c| c == 101) {
            return Err(format!("{}: {log}", status_words(st)));
        }
        match self.check_out(out, false)? {
            Some(_) => tally.saw(format!("limits: report written, {}", status_words(st))),
            None => {
                if st.code() != Some(2) || !log.contains("dmct: error:") {
                    return Err(format!(
                        "{} without a report or a clear message: {log}",
                        status_words(st)
                    ));
                }
                tally.saw("limits: refused with a message");
            }
        }
        Ok(())
    }

    /// (e) The connection dropped at each exchange boundary: before the k-th request
    /// reaches the server, after it but before its answer, and partway through the
    /// answer; between `dmct run --target-server` and a server, and between the proxy and
    /// its upstream. Reports valid, an affected case never passes, no answered exchange
    /// missing.
    pub fn dropped_connections(&self, cases: &[&str], max_k: Option<usize>) -> Tally {
        let mut tally = Tally::default();
        let (_server, upstream) = self.peer_server();
        let up_addr = addr_of(&upstream);
        // How many requests an untouched run makes.
        let count_requests = |cut: Option<Cut>, out: &Path| {
            let relay = Relay::start(&up_addr, cut);
            let url = format!("http://{}/dm", relay.addr);
            let mut args = vec!["run", "--target-server", &url, "--seed", "4"];
            for c in cases {
                args.extend(["--case", c]);
            }
            args.extend(["--out", s(out)]);
            let mut p = Proc::spawn(self.cmd(&Limits::default(), &args));
            let st = p.wait(self.deadline);
            (st, p.log(), relay.requests(), relay.answered())
        };
        let base = self.dir("dropped-base");
        let (st, log, turns, answered) = count_requests(None, &base);
        // Every answer but the probe's is an exchange of a case.
        match answered_in(&base) {
            Ok(n) if n + 1 == answered => {}
            Ok(n) => tally.fail(format!(
                "dropped/run: the untouched run: {n} answered exchanges in its transcripts, \
                 {answered} answers went through (one the probe's)"
            )),
            Err(e) => tally.fail(format!("dropped/run: the untouched run: {e}")),
        }
        if let Err(e) = st.map_err(|e| e.to_string()).and_then(|st| {
            if st.code() == Some(0) {
                Ok(())
            } else {
                Err(format!("{}: {log}", status_words(&st)))
            }
        }) {
            tally.fail(format!("dropped/run: the untouched run: {e}"));
            return tally;
        }
        let turns = max_k.map_or(turns, |m| turns.min(m));
        self.note(&format!("dropped/run: {turns} requests to cut"));
        for k in 1..=turns {
            for how in [CutAt::BeforeRequest, CutAt::BeforeAnswer, CutAt::InAnswer] {
                tally.runs += 1;
                let out = self.dir(&format!("dropped-run-{k}-{how:?}"));
                let cut = Cut {
                    request: k,
                    at: how,
                };
                let (st, log, _, answered) = count_requests(Some(cut), &out);
                let what = format!("dropped/run: request {k}, {how:?}");
                let r = st
                    .and_then(|st| self.judge_dropped(&out, &st, &log, k == 1, &mut tally))
                    .and_then(|()| match answered_in(&out) {
                        // No answered exchange is missing (the probe's is in none).
                        Ok(n) if k > 1 && n + 1 < answered => Err(format!(
                            "{answered} answers went through (one the probe's), only {n} \
                             answered exchanges are in the transcripts"
                        )),
                        Ok(_) => Ok(()),
                        Err(e) => Err(e),
                    });
                if let Err(e) = r {
                    tally.fail(format!("{what}: {e}"));
                }
            }
        }
        // The proxy, with the relay between it and the upstream.
        let clients = self.dir("dropped-proxy-clients");
        std::fs::create_dir_all(&clients).expect("scratch");
        let mut proxy_turns = usize::MAX;
        let mut k = 0;
        while k <= proxy_turns.min(max_k.unwrap_or(usize::MAX)) {
            let cuts: &[Option<CutAt>] = if k == 0 {
                &[None]
            } else {
                &[
                    Some(CutAt::BeforeRequest),
                    Some(CutAt::BeforeAnswer),
                    Some(CutAt::InAnswer),
                ]
            };
            for how in cuts {
                tally.runs += 1;
                let relay = Relay::start(&up_addr, how.map(|at| Cut { request: k, at }));
                let out = self.dir(&format!("dropped-proxy-{k}-{how:?}"));
                let what = format!("dropped/proxy: request {k}, {how:?}");
                let mut p = Proc::spawn(self.cmd(
                    &Limits::default(),
                    &[
                        "proxy",
                        "--listen",
                        "127.0.0.1:0",
                        "--upstream",
                        &format!("http://{}/dm", relay.addr),
                        "--out",
                        s(&out),
                    ],
                ));
                let Some(line) = p.line("dmct: proxy at ", Duration::from_secs(20)) else {
                    tally.fail(format!("{what}: the proxy did not start: {}", p.log()));
                    continue;
                };
                let t = clients.join(format!("client-{k}-{how:?}.json"));
                let mut c = Command::new(&self.dmct);
                c.args([
                    "peer",
                    "client",
                    "--url",
                    &proxy_url(&line),
                    "--transcript",
                    s(&t),
                ]);
                let mut c = Proc::spawn(c);
                let r = c.wait(self.deadline).and_then(|st| match st.code() {
                    Some(0) if how.is_some() => {
                        Err("the client's session ended well through a cut".into())
                    }
                    Some(0 | 1) => Ok(()),
                    _ => Err(format!("the client: {}: {}", status_words(&st), c.log())),
                });
                if let Err(e) = r {
                    tally.fail(format!("{what}: {e}"));
                }
                if how.is_none() {
                    proxy_turns = relay.requests();
                    self.note(&format!("dropped/proxy: {proxy_turns} requests to cut"));
                }
                // Without --sessions a signal is how the proxy stops.
                p.signal("TERM");
                let r = p.wait(self.deadline).and_then(|st| {
                    if !matches!(st.code(), Some(0..=3)) || p.log().contains("panicked") {
                        return Err(format!("{}: {}", status_words(&st), p.log()));
                    }
                    let r = self.check_out(&out, true)?.ok_or("no report.json")?;
                    // The upstream dropped it: the server's case, and the client's too,
                    // whose session was not all seen (what it did broke no rule, so it
                    // is inconclusive, never a pass).
                    if how.is_some() {
                        not_passed_where_cut(&out, &r, &["server", "client"])?;
                        upstream_blamed(&r)?;
                    }
                    let one = clients.join(format!("one-{k}"));
                    let _ = std::fs::remove_dir_all(&one);
                    std::fs::create_dir_all(&one).map_err(|e| e.to_string())?;
                    if t.exists() {
                        std::fs::copy(&t, one.join("client.json")).map_err(|e| e.to_string())?;
                    }
                    answered_are_recorded(&one, &out)
                });
                match r {
                    Ok(()) => tally.saw("dropped/proxy: valid report"),
                    Err(e) => tally.fail(format!("{what}: {e}")),
                }
            }
            k += 1;
        }
        tally
    }

    fn judge_dropped(
        &self,
        out: &Path,
        st: &ExitStatus,
        log: &str,
        probe: bool,
        tally: &mut Tally,
    ) -> Result<(), String> {
        if log.contains("panicked") || st.code().is_none_or(|c| c == 101) {
            return Err(format!("{}: {log}", status_words(st)));
        }
        if st.code() == Some(0) {
            return Err(format!("exit 0 though a connection was dropped: {log}"));
        }
        // The first request is the probe, before any case: refused with its reason.
        if probe && !out.join("report.json").exists() {
            if st.code() != Some(2) || !log.contains("dmct:") {
                return Err(format!(
                    "{} without a report or a reason: {log}",
                    status_words(st)
                ));
            }
            tally.saw("dropped: the probe's connection dropped, exit 2 with the reason");
            return Ok(());
        }
        let r = self.check_out(out, true)?.ok_or("no report.json")?;
        not_passed_where_cut(out, &r, &["server"])?;
        tally.saw(format!("dropped: report, {}", status_words(st)));
        Ok(())
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

/// A mount made for a check, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, bytes: u64) -> Result<Mount, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        mount(&[
            "-t",
            "tmpfs",
            "-o",
            &format!("size={bytes}"),
            "tmpfs",
            s(dir),
        ])?;
        Ok(Mount(dir.to_owned()))
    }

    fn read_only(dir: &Path) -> Result<Mount, String> {
        mount(&["--bind", s(dir), s(dir)])?;
        let m = Mount(dir.to_owned());
        mount(&["-o", "remount,bind,ro", s(dir)])?;
        Ok(m)
    }
}

fn mount(args: &[&str]) -> Result<(), String> {
    let o = Command::new("mount")
        .args(args)
        .output()
        .map_err(|e| format!("mount: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).trim().to_owned())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Where the relay drops the connection of the k-th request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutAt {
    /// The request arrived; the server never sees it.
    BeforeRequest,
    /// The server got the request; its answer is never passed on.
    BeforeAnswer,
    /// Part of the answer (its first 20 bytes) is passed on, then the connection drops.
    InAnswer,
}

#[derive(Debug, Clone, Copy)]
pub struct Cut {
    /// 1-based, over every connection through the relay.
    pub request: usize,
    pub at: CutAt,
}

/// A TCP relay to `upstream` that counts requests (a request starts when the client
/// sends after the server spoke, or on a fresh connection) and drops the connection once
/// at `cut`; every other connection passes untouched.
struct Relay {
    addr: String,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
}

/// What went through a relay: requests begun, answers passed on whole (the client went
/// on to its next request or closed after it), connections still open.
#[derive(Default)]
struct Counts {
    requests: AtomicUsize,
    answered: AtomicUsize,
    open: AtomicUsize,
}

impl Relay {
    fn start(upstream: &str, cut: Option<Cut>) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay binds");
        let addr = listener.local_addr().expect("bound").to_string();
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (up, c, flag) = (upstream.to_owned(), counts.clone(), stop.clone());
        listener.set_nonblocking(true).expect("nonblocking");
        std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (up, c) = (up.clone(), c.clone());
                        c.open.fetch_add(1, Ordering::SeqCst);
                        std::thread::spawn(move || {
                            relay_one(client, &up, &c, cut);
                            c.open.fetch_sub(1, Ordering::SeqCst);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Relay { addr, counts, stop }
    }

    fn requests(&self) -> usize {
        self.counts.requests.load(Ordering::SeqCst)
    }

    /// Answers passed on whole, once every connection has ended (the client is gone).
    fn answered(&self) -> usize {
        let end = Instant::now() + Duration::from_secs(5);
        while self.counts.open.load(Ordering::SeqCst) > 0 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.counts.answered.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One connection, turn by turn: the client's bytes until it waits, then the server's.
fn relay_one(mut client: TcpStream, upstream: &str, counts: &Counts, cut: Option<Cut>) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = client.set_read_timeout(Some(Duration::from_millis(5)));
    let _ = server.set_read_timeout(Some(Duration::from_millis(5)));
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_client = false;
    let mut this: Option<usize> = None;
    let mut answered = 0usize;
    let mut idle_since = Instant::now();
    // The answer to the current request went on whole: the client moved on.
    let answered_whole = |last_client: bool, this: Option<usize>| {
        if !last_client && this.is_some() {
            counts.answered.fetch_add(1, Ordering::SeqCst);
        }
    };
    loop {
        match client.read(&mut buf) {
            Ok(0) => return answered_whole(last_client, this),
            Ok(n) => {
                if !last_client {
                    answered_whole(last_client, this);
                    let k = counts.requests.fetch_add(1, Ordering::SeqCst) + 1;
                    this = Some(k);
                    answered = 0;
                    last_client = true;
                }
                if cut.is_some_and(|c| Some(c.request) == this && c.at == CutAt::BeforeRequest) {
                    return;
                }
                if server.write_all(&buf[..n]).is_err() {
                    return;
                }
                idle_since = Instant::now();
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) => return,
        }
        match server.read(&mut buf) {
            Ok(0) => return answered_whole(last_client, this),
            Ok(n) => {
                last_client = false;
                let c = cut.filter(|c| Some(c.request) == this);
                match c.map(|c| c.at) {
                    Some(CutAt::BeforeAnswer) => return,
                    Some(CutAt::InAnswer) => {
                        let keep = 20usize.saturating_sub(answered).min(n);
                        let _ = client.write_all(&buf[..keep]);
                        answered += keep;
                        if answered >= 20 || keep < n {
                            return;
                        }
                    }
                    _ => {
                        if client.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                }
                idle_since = Instant::now();
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) => return,
        }
        // Ends a connection both sides left idle for long (they have their own timeouts).
        if idle_since.elapsed() > Duration::from_secs(120) {
            return;
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
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
