//! `cargo xtask bench proxy [SECONDS]`: what the proxy costs, against an nginx reverse
//! proxy in front of the same upstream, measured with Debian's `wrk` in one run.
//!
//! A fixed upstream runs in this process, on a runtime of its own: a DM server that
//! answers every request with the same Package #2 (the reference server's answer to the
//! reference client's Package #1, computed once), so the numbers are about HTTP and the
//! relay, not a DM engine. wrk POSTs the reference client's real Package #1 (a Lua script
//! written to a temporary file) four ways: to the upstream directly; through Debian's
//! nginx (`proxy_pass` to the upstream with keep-alive connections, as many worker
//! processes as the proxy has threads, no access log, the proxy's body limit); through
//! the proxy (`dmct_proxy::start`, what `dmct proxy` runs, serving on as many threads of
//! its own as `dmct proxy` starts), recording and checking live; and through a bare
//! hyper relay on the same threads setup (`proxy_floor`): the floor of the proxy's HTTP
//! stack, so what the proxy spends above it is dmct's own work.
//! Each way is measured twice:
//!
//! * **throughput**: 2 wrk threads, 32 connections, SECONDS (10 by default): requests/s
//!   and p50/p99 latency under load;
//! * **latency**: 1 thread, 1 connection: p50/p99 of one request at a time, so "added
//!   at p50" (over direct) is the relay's own cost, not queueing behind other requests.
//!
//! Under load, the CPU each way's relay and the upstream spend per request is read from
//! the scheduler's own count (/proc): nginx's master and workers, the proxy's threads.
//! On a machine shared with other work it moves far less than requests/s.
//!
//! Two rounds, the second in the opposite order, so a change in the machine's load
//! weighs on every way alike; each way's figures are the mean of its rounds. The goals
//! (issue 17): the proxy serves at least nginx's requests/s, and adds no more at p50.
//!
//! Every wrk request carries the same SessionID, so they all land in one session
//! record: the first `max_exchanges` (1,000) are kept and judged, later ones are counted
//! only, which keeps memory flat; the peak resident set before and after is printed.
//!
//! Last, what judging costs: the rules over the reference peers' whole session of the
//! same scenario, once, per exchange, against nginx's CPU per request. The proxy judges
//! a session after each exchange it keeps, so this is the least checking live costs.

use crate::summary::Measure;
use anyhow::{Context, Result, bail, ensure};
use dmct_net::{AsyncAnswer, AsyncResponder, Limits};
use dmct_proto::transcript::{HttpRequest, HttpResponse};
use dmct_session::{Client, Server};
use dmct_suite::peers;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const SCENARIO: &str = "session/get-replace";

/// The same answer to every request (set once the listener's URL is known).
#[derive(Default)]
struct Fixed(std::sync::OnceLock<HttpResponse>);

impl AsyncResponder for Fixed {
    fn respond(&self, _request: HttpRequest) -> AsyncAnswer {
        let r = self.0.get().cloned();
        Box::pin(std::future::ready(r))
    }
}

/// One wrk run's numbers.
#[derive(Debug, Clone, Copy)]
struct Run {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    requests: u64,
    bad: u64,
}

/// `1.23ms`, `456.00us`, `1.50s` -> microseconds.
fn micros(v: &str) -> Option<f64> {
    let v = v.trim();
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60e6)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    num.trim().parse::<f64>().ok().map(|x| x * scale)
}

fn parse_wrk(out: &str) -> Result<Run> {
    let mut rps = None;
    let mut p50 = None;
    let mut p99 = None;
    let mut requests = None;
    let mut bad = 0;
    for line in out.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            rps = v.trim().parse::<f64>().ok();
        } else if let Some(v) = t.strip_prefix("50%") {
            p50 = micros(v);
        } else if let Some(v) = t.strip_prefix("99%") {
            p99 = micros(v);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            bad += v.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            // connect N, read N, write N, timeout N
            bad += v
                .split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        } else if t.contains(" requests in ") {
            requests = t.split_whitespace().next().and_then(|n| n.parse().ok());
        }
    }
    match (rps, p50, p99, requests) {
        (Some(rps), Some(p50_us), Some(p99_us), Some(requests)) => Ok(Run {
            rps,
            p50_us,
            p99_us,
            requests,
            bad,
        }),
        _ => bail!("cannot read wrk's output:\n{out}"),
    }
}

fn wrk(script: &Path, url: &str, threads: u32, conns: u32, secs: u64) -> Result<Run> {
    let out = Command::new("wrk")
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &conns.to_string(),
            "-d",
            &format!("{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .output()
        .context("wrk is needed: apt-get install wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "wrk failed: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_wrk(&text)
}

/// A running nginx, stopped (master and workers) when dropped.
struct Nginx {
    child: std::process::Child,
    url: String,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master stops its workers too (a SIGKILL would leave them).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// nginx's configuration: a reverse proxy on `port` in front of `upstream`
/// (`host:port`), as close to the proxy's setup as nginx allows.
fn nginx_conf(dir: &Path, port: u16, upstream: &str, workers: usize, max_body: usize) -> String {
    let d = dir.display();
    format!(
        "# Written by cargo xtask bench proxy.
daemon off;
worker_processes {workers};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    client_max_body_size {max_body};
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream dm {{
        server {upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://dm;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }}
    }}
}}
"
    )
}

/// Start nginx in `dir` in front of `upstream`; wait until it accepts connections.
fn start_nginx(dir: &Path, upstream: &str, workers: usize, max_body: usize) -> Result<Nginx> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    std::fs::create_dir_all(dir)?;
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, nginx_conf(dir, port, upstream, workers, max_body))?;
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("nginx is needed: apt-get install nginx-light")?;
    let mut nginx = Nginx {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    for _ in 0..100 {
        if let Some(status) = nginx.child.try_wait()? {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            bail!("nginx exited at start ({status}):\n{log}");
        }
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return Ok(nginx);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nginx did not listen on {addr} within 5 s")
}

/// CPU time and context switches of some threads, read from /proc (the scheduler's own
/// count, in nanoseconds): what a relay costs per request, which the machine's other load
/// does not inflate the way it inflates wall-clock figures.
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    ns: u64,
    switches: u64,
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, o: Cpu) -> Cpu {
        Cpu {
            ns: self.ns.saturating_sub(o.ns),
            switches: self.switches.saturating_sub(o.switches),
        }
    }
}

impl std::ops::Add for Cpu {
    type Output = Cpu;
    fn add(self, o: Cpu) -> Cpu {
        Cpu {
            ns: self.ns + o.ns,
            switches: self.switches + o.switches,
        }
    }
}

/// One thread's CPU (`/proc/PID/task/TID`).
fn task_cpu(task: &Path) -> Cpu {
    let ns = std::fs::read_to_string(task.join("schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let status = std::fs::read_to_string(task.join("status")).unwrap_or_default();
    let switches = status
        .lines()
        .filter(|l| l.contains("ctxt_switches:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<u64>().ok())
        .sum();
    Cpu { ns, switches }
}

/// Every thread of process `pid` whose name starts with one of `names` (every thread
/// when `names` is empty).
fn threads_cpu(pid: u32, names: &[&str]) -> Cpu {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Cpu::default();
    };
    tasks
        .flatten()
        .map(|t| t.path())
        .filter(|t| {
            let comm = std::fs::read_to_string(t.join("comm")).unwrap_or_default();
            names.is_empty() || names.iter().any(|n| comm.trim_end().starts_with(n))
        })
        .map(|t| task_cpu(&t))
        .fold(Cpu::default(), |a, b| a + b)
}

/// Process `pid` and its children (nginx's master and workers).
fn tree_cpu(pid: u32) -> Cpu {
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    children
        .split_whitespace()
        .filter_map(|c| c.parse::<u32>().ok())
        .map(|c| threads_cpu(c, &[]))
        .fold(threads_cpu(pid, &[]), |a, b| a + b)
}

/// Where each way's CPU is read: the relay's (nothing for direct) and the upstream's.
#[derive(Clone, Copy)]
enum Relayer {
    None,
    Nginx(u32),
    /// This process's threads of the proxy's runtime and its checker.
    Proxy,
    /// This process's threads of the floor relay.
    Floor,
}

/// This process's threads named so (`comm` keeps 15 bytes of a name): the proxy's
/// listener threads, its checker, and the runtime that started it.
const PROXY_THREADS: &[&str] = &["dmct-serve", "dmct-proxy-chec", "proxy"];
const UPSTREAM_THREADS: &[&str] = &["upstream"];

fn relay_cpu(r: Relayer) -> Cpu {
    match r {
        Relayer::None => Cpu::default(),
        Relayer::Nginx(pid) => tree_cpu(pid),
        Relayer::Proxy => threads_cpu(std::process::id(), PROXY_THREADS),
        Relayer::Floor => threads_cpu(std::process::id(), &["floor"]),
    }
}

/// One way to the upstream: its name and URL.
struct Way<'a> {
    name: &'static str,
    url: &'a str,
    relayer: Relayer,
}

/// The figures of one way: under load, and one request at a time.
#[derive(Clone, Copy)]
struct Figures {
    load: Run,
    single: Run,
}

/// The mean of several rounds' runs.
fn mean(runs: &[Run]) -> Run {
    let n = runs.len().max(1) as f64;
    Run {
        rps: runs.iter().map(|r| r.rps).sum::<f64>() / n,
        p50_us: runs.iter().map(|r| r.p50_us).sum::<f64>() / n,
        p99_us: runs.iter().map(|r| r.p99_us).sum::<f64>() / n,
        requests: runs.iter().map(|r| r.requests).sum(),
        bad: runs.iter().map(|r| r.bad).sum(),
    }
}

pub fn proxy(root: &Path, seconds: &str) -> Result<Vec<Measure>> {
    let secs: u64 = seconds
        .parse()
        .with_context(|| format!("SECONDS must be a number, not {seconds:?}"))?;
    if cfg!(debug_assertions) {
        // Timings of a debug build mean nothing: run again, optimised.
        let status = Command::new("cargo")
            .args([
                "run",
                "--release",
                "--quiet",
                "-p",
                "xtask",
                "--",
                "bench",
                "proxy",
                seconds,
            ])
            .current_dir(root)
            .status()?;
        if !status.success() {
            bail!("the release benchmark failed");
        }
        return Ok(Vec::new());
    }
    run(root, secs)
}

/// A multi-threaded runtime of `threads` threads named `name`.
fn runtime(name: &str, threads: usize) -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()?)
}

fn run(root: &Path, secs: u64) -> Result<Vec<Measure>> {
    let scenario = dmct_suite::scenario::builtin()?
        .into_iter()
        .find(|s| s.id == SCENARIO)
        .with_context(|| format!("no scenario {SCENARIO}"))?;
    let limits = Limits {
        max_body: 1024 * 1024,
        exchange_timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    let any: std::net::SocketAddr = "127.0.0.1:0".parse()?;
    // `dmct proxy` runs on tokio's default runtime: a thread per core. nginx gets as
    // many worker processes; the upstream has its own threads, the same for every way.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let upstream_rt = runtime("upstream", cores)?;
    // The proxy serves devices on threads of its own (`ProxyConfig::threads`, one per
    // core as `dmct proxy` sets it); this runtime only starts and stops it and sweeps
    // for silent sessions.
    let proxy_rt = runtime("proxy", 1)?;

    // The fixed upstream's answer: the reference server's Package #2 to the reference
    // client's Package #1, addressed to the upstream's own URL.
    let fixed = Arc::new(Fixed::default());
    let upstream = upstream_rt.block_on(dmct_net::serve_async_unrecorded(
        any,
        fixed.clone(),
        limits.clone(),
        None,
    ))?;
    let up_url = format!("{}/dm", upstream.url());
    let mut client = Client::new(peers::client_config(&scenario, &up_url, &BTreeSet::new()));
    let pkg1 = client.start();
    let mut server = Server::new(
        peers::server_config(&up_url, peers::default_client_creds(), &BTreeSet::new()),
        scenario.server.clone(),
    );
    let pkg2 = server.respond(&pkg1.to_request());
    ensure!(
        pkg2.status == 200,
        "the reference server refused Package #1"
    );
    let _ = fixed.0.set(pkg2.clone());

    let mut config = dmct_proxy::ProxyConfig::new(any, &up_url);
    config.limits = limits.clone();
    config.live_check = true;
    config.threads = cores;
    let proxy = proxy_rt.block_on(dmct_proxy::start(config))?;
    let proxy_url = format!("{}/dm", proxy.url());

    let scratch = root.join("target/bench-proxy");
    std::fs::create_dir_all(&scratch)?;
    let nginx = start_nginx(
        &scratch.join("nginx"),
        &upstream.local_addr().to_string(),
        cores,
        limits.max_body,
    )?;
    let nginx_url = format!("{}/dm", nginx.url);
    let floor = crate::proxy_floor::start(upstream.local_addr(), cores)?;
    let floor_url = format!("http://{}/dm", floor.addr);

    // wrk's script: the real Package #1, with the reference client's headers.
    let body = String::from_utf8(pkg1.body.clone()).context("Package #1 is XML text")?;
    ensure!(
        !body.contains("]==]"),
        "Package #1 would end the Lua string"
    );
    let mut lua = String::from("wrk.method = \"POST\"\n");
    for (n, v) in &pkg1.headers.0 {
        lua.push_str(&format!(
            "wrk.headers[\"{n}\"] = \"{}\"\n",
            v.replace('"', "\\\"")
        ));
    }
    lua.push_str(&format!("wrk.body = [==[{body}]==]\n"));
    let script = scratch.join("pkg1.lua");
    std::fs::write(&script, lua)?;

    println!(
        "proxy benchmark: wrk POSTing the reference client's Package #1 ({} bytes) to a fixed \
         upstream answering the reference server's Package #2 ({} bytes): directly, through \
         nginx ({cores} worker processes), through the proxy ({cores} threads, a \
         single-threaded runtime each, recording and checking live) and through a bare hyper \
         relay on the same threads setup (the floor); {cores} cores",
        pkg1.body.len(),
        pkg2.body.len()
    );
    let hwm_start = crate::load::status_kib("VmHWM");

    let ways = [
        Way {
            name: "direct",
            url: &up_url,
            relayer: Relayer::None,
        },
        Way {
            name: "through nginx",
            url: &nginx_url,
            relayer: Relayer::Nginx(nginx.child.id()),
        },
        Way {
            name: "through the proxy",
            url: &proxy_url,
            relayer: Relayer::Proxy,
        },
        Way {
            name: "through a bare hyper relay",
            url: &floor_url,
            relayer: Relayer::Floor,
        },
    ];
    // Warm every way (connections, caches) for a second each.
    for w in &ways {
        wrk(&script, w.url, 1, 4, 1)?;
    }
    const ROUNDS: usize = 2;
    let mut load: Vec<Vec<Run>> = vec![Vec::new(); ways.len()];
    let mut single: Vec<Vec<Run>> = vec![Vec::new(); ways.len()];
    // CPU of the relay and of the upstream during the load runs, per way.
    let mut cpu = vec![(Cpu::default(), Cpu::default()); ways.len()];
    let me = std::process::id();
    for round in 0..ROUNDS {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..ways.len()).collect()
        } else {
            (0..ways.len()).rev().collect()
        };
        for &i in &order {
            let relay0 = relay_cpu(ways[i].relayer);
            let up0 = threads_cpu(me, UPSTREAM_THREADS);
            load[i].push(wrk(&script, ways[i].url, 2, 32, secs)?);
            let (relay, up) = &mut cpu[i];
            *relay = *relay + (relay_cpu(ways[i].relayer) - relay0);
            *up = *up + (threads_cpu(me, UPSTREAM_THREADS) - up0);
        }
        for &i in &order {
            single[i].push(wrk(&script, ways[i].url, 1, 1, secs.div_ceil(2))?);
        }
    }
    let hwm_end = crate::load::status_kib("VmHWM");
    let fig: Vec<Figures> = (0..ways.len())
        .map(|i| Figures {
            load: mean(&load[i]),
            single: mean(&single[i]),
        })
        .collect();
    let (direct, nginx_fig, proxied) = (fig[0], fig[1], fig[2]);

    let records = proxy.sessions();
    let kept: usize = records.iter().map(|r| r.transcript.exchanges.len()).sum();
    let not_kept: usize = records.iter().map(|r| r.not_kept).sum();
    let live: usize = records.iter().map(|r| r.live_failures.len()).sum();
    drop(nginx);
    drop(floor);
    let _ = proxy_rt.block_on(proxy.stop());
    upstream_rt.block_on(upstream.shutdown());

    let line = |name: &str, r: &Run| {
        println!(
            "  {name:<34} {:>10.0} req/s   p50 {:>8.0} us   p99 {:>8.0} us   ({} requests{})",
            r.rps,
            r.p50_us,
            r.p99_us,
            r.requests,
            if r.bad > 0 {
                format!(", {} errors or non-2xx", r.bad)
            } else {
                String::new()
            }
        );
    };
    println!("throughput (wrk -t2 -c32 -d{secs}s, mean of {ROUNDS} rounds):");
    for (w, f) in ways.iter().zip(&fig) {
        line(w.name, &f.load);
    }
    println!("CPU per request under load (the scheduler's count, all load rounds):");
    for (i, w) in ways.iter().enumerate() {
        let n = load[i].iter().map(|r| r.requests).sum::<u64>().max(1) as f64;
        let (relay, up) = cpu[i];
        println!(
            "  {:<34} relay {:>6.1} us, {:>5.2} context switches   upstream {:>6.1} us",
            w.name,
            relay.ns as f64 / n / 1e3,
            relay.switches as f64 / n,
            up.ns as f64 / n / 1e3,
        );
    }
    let per_request = |i: usize| {
        let n = load[i].iter().map(|r| r.requests).sum::<u64>().max(1) as f64;
        cpu[i].0.ns as f64 / n
    };
    println!(
        "  proxy/nginx CPU per request: {:.2}x; the floor (a bare hyper relay on the proxy's \
         runtime setup, no DM work): proxy {:+.1} us over it, nginx {:+.1} us",
        per_request(2) / per_request(1).max(1.0),
        (per_request(2) - per_request(3)) / 1e3,
        (per_request(1) - per_request(3)) / 1e3,
    );
    let rps_ratio = proxied.load.rps / nginx_fig.load.rps;
    println!(
        "  proxy/nginx requests/s: {rps_ratio:.2}x (goal >= 1); proxy {:.1}%, nginx {:.1}% of \
         direct",
        100.0 * proxied.load.rps / direct.load.rps,
        100.0 * nginx_fig.load.rps / direct.load.rps,
    );
    println!(
        "latency (wrk -t1 -c1 -d{}s, mean of {ROUNDS} rounds):",
        secs.div_ceil(2)
    );
    for (w, f) in ways.iter().zip(&fig) {
        line(w.name, &f.single);
    }
    let added = |f: &Figures| f.single.p50_us - direct.single.p50_us;
    let (proxy_added, nginx_added) = (added(&proxied), added(&nginx_fig));
    // nginx adds a positive time in practice; guard the ratio anyway.
    let p50_ratio = proxy_added / nginx_added.max(1.0);
    println!(
        "  added at p50 over direct: proxy {proxy_added:+.0} us, nginx {nginx_added:+.0} us, \
         proxy/nginx {p50_ratio:.2}x (goal <= 1); at p99: proxy {:+.0} us, nginx {:+.0} us",
        proxied.single.p99_us - direct.single.p99_us,
        nginx_fig.single.p99_us - direct.single.p99_us,
    );
    println!(
        "recording: {} session record(s), {kept} exchanges kept and judged live, {not_kept} \
         relayed beyond the per-session cap (counted only), {live} live failure(s) reported",
        records.len()
    );
    let (exchanges, judge_us) = judging_cost(&scenario);
    println!(
        "judging: the rules over this scenario's whole session ({exchanges} exchanges, the \
         reference peers paired in memory), judged once, take {judge_us:.1} us of CPU an \
         exchange, {:.1}x the CPU nginx spends relaying a request; the proxy judges a session \
         after each exchange it keeps, so it cannot keep nginx's pace while it judges every \
         exchange (the runs above are mostly past the per-session cap: counted, not judged)",
        judge_us * 1e3 / per_request(1).max(1.0)
    );
    println!(
        "peak RSS of this process (VmHWM, benches run before in it included): {} before the \
         runs, {} after",
        crate::load::mib(hwm_start),
        crate::load::mib(hwm_end)
    );
    let errors: u64 = fig.iter().map(|f| f.load.bad + f.single.bad).sum();
    ensure!(errors == 0, "{errors} wrk requests failed or were not 2xx");
    Ok(vec![
        Measure::at_least(
            "proxy requests/s (wrk -t2 -c32)",
            format!("{:.0} req/s", proxied.load.rps),
            format!("nginx {:.0} req/s", nginx_fig.load.rps),
            rps_ratio,
            1.0,
        ),
        Measure {
            met: proxy_added <= nginx_added,
            ..Measure::at_most(
                "proxy added p50 (wrk -t1 -c1)",
                format!("{proxy_added:+.0} us"),
                format!("nginx {nginx_added:+.0} us"),
                p50_ratio,
                1.0,
            )
        },
    ])
}

/// What judging one exchange costs at the least: the rules over the reference peers'
/// whole session of `scenario` (paired in memory, as the vectors are made), judged once,
/// for half a second, per exchange: microseconds of this thread's CPU (the scheduler's
/// count, as for the relays).
fn judging_cost(scenario: &dmct_suite::scenario::Scenario) -> (usize, f64) {
    let role = dmct_rules::Role::Client;
    let transcript =
        dmct_suite::runner::run_in_memory(scenario, role, &BTreeSet::new(), &BTreeSet::new())
            .transcript;
    let exchanges = transcript.exchanges.len().max(1);
    let me = Path::new("/proc/thread-self");
    let (started, cpu0) = (std::time::Instant::now(), task_cpu(me));
    let mut rounds = 0u32;
    while rounds < 10 || started.elapsed() < Duration::from_millis(500) {
        std::hint::black_box(dmct_rules::check(std::hint::black_box(&transcript)));
        rounds += 1;
    }
    let ns = (task_cpu(me) - cpu0).ns as f64;
    (exchanges, ns / 1e3 / f64::from(rounds) / exchanges as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let out = "Running 1s test @ http://127.0.0.1:1/dm
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms  300.00us   5.00ms   80.00%
  Latency Distribution
     50%  850.00us
     75%    1.20ms
     90%    1.50ms
     99%    2.50ms
  20000 requests in 1.00s, 40.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  19999.50
Transfer/sec:     40.00MB
";
        let r = parse_wrk(out).unwrap();
        assert_eq!(r.requests, 20000);
        assert!((r.rps - 19999.5).abs() < 1e-6);
        assert!((r.p50_us - 850.0).abs() < 1e-6);
        assert!((r.p99_us - 2500.0).abs() < 1e-6);
        assert_eq!(r.bad, 7);
        assert_eq!(micros("1.5s"), Some(1.5e6));
    }
}
