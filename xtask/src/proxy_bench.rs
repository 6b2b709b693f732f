//! `cargo xtask bench proxy [SECONDS]`: what the proxy costs, measured with Debian's
//! `wrk` in one run.
//!
//! A fixed upstream runs in this process: a DM server that answers every request with
//! the same Package #2 (the reference server's answer to the reference client's Package
//! #1, computed once), so the numbers are about HTTP and the proxy, not a DM engine. wrk
//! POSTs the reference client's real Package #1 (a Lua script written to a temporary
//! file) first to the upstream directly, then through the proxy, with recording and live
//! checking on. Each way is measured twice:
//!
//! * **throughput**: 2 wrk threads, 32 connections, SECONDS (10 by default): requests/s
//!   and p50/p99 latency under load;
//! * **latency**: 1 thread, 1 connection: p50/p99 of one request at a time, so "added
//!   at p50" is the proxy's own cost, not queueing behind other requests.
//!
//! Every wrk request carries the same SessionID, so they all land in one session
//! record: the first `max_exchanges` (1,000) are kept and judged, later ones are counted
//! only, which keeps memory flat; the peak resident set before and after is printed.
//!
//! On a 2-core machine the proxy is a second server hop sharing the cores with the
//! upstream and wrk, so about half the direct throughput is the practical ceiling.

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

async fn wrk(script: &Path, url: &str, threads: u32, conns: u32, secs: u64) -> Result<Run> {
    let out = tokio::process::Command::new("wrk")
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
        .await
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

pub fn proxy(root: &Path, seconds: &str) -> Result<()> {
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
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(root, secs))
}

async fn run(root: &Path, secs: u64) -> Result<()> {
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

    // The fixed upstream's answer: the reference server's Package #2 to the reference
    // client's Package #1, addressed to the upstream's own URL.
    let fixed = Arc::new(Fixed::default());
    let upstream =
        dmct_net::serve_async_unrecorded(any, fixed.clone(), limits.clone(), None).await?;
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
    let proxy = dmct_proxy::start(config).await?;
    let proxy_url = format!("{}/dm", proxy.url());

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
    let scratch = root.join("target/bench-proxy");
    std::fs::create_dir_all(&scratch)?;
    let script = scratch.join("pkg1.lua");
    std::fs::write(&script, lua)?;

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "proxy benchmark: wrk POSTing the reference client's Package #1 ({} bytes) to a fixed \
         upstream answering the reference server's Package #2 ({} bytes); {cores} cores, \
         upstream and proxy in this process",
        pkg1.body.len(),
        pkg2.body.len()
    );
    let hwm_start = crate::load::status_kib("VmHWM");

    // Warm both paths (connections, caches) for a second each.
    wrk(&script, &up_url, 1, 4, 1).await?;
    wrk(&script, &proxy_url, 1, 4, 1).await?;

    let direct = wrk(&script, &up_url, 2, 32, secs).await?;
    let proxied = wrk(&script, &proxy_url, 2, 32, secs).await?;
    let direct_1 = wrk(&script, &up_url, 1, 1, secs.div_ceil(2)).await?;
    let proxied_1 = wrk(&script, &proxy_url, 1, 1, secs.div_ceil(2)).await?;
    let hwm_end = crate::load::status_kib("VmHWM");

    let records = proxy.sessions();
    let kept: usize = records.iter().map(|r| r.transcript.exchanges.len()).sum();
    let not_kept: usize = records.iter().map(|r| r.not_kept).sum();
    let live: usize = records.iter().map(|r| r.live_failures.len()).sum();
    let _ = proxy.stop().await;
    upstream.shutdown().await;

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
    println!("throughput (wrk -t2 -c32 -d{secs}s):");
    line("direct", &direct);
    line("through the proxy", &proxied);
    println!(
        "  ratio {:.1}% of direct throughput (target >= 30%); p50 {:+.0} us, p99 {:+.0} us",
        100.0 * proxied.rps / direct.rps,
        proxied.p50_us - direct.p50_us,
        proxied.p99_us - direct.p99_us
    );
    println!("latency (wrk -t1 -c1 -d{}s):", secs.div_ceil(2));
    line("direct", &direct_1);
    line("through the proxy", &proxied_1);
    println!(
        "  added at p50: {:+.0} us (target < 200 us); at p99: {:+.0} us; {:.1}% of direct \
         throughput one request at a time",
        proxied_1.p50_us - direct_1.p50_us,
        proxied_1.p99_us - direct_1.p99_us,
        100.0 * proxied_1.rps / direct_1.rps
    );
    println!(
        "recording: {} session record(s), {kept} exchanges kept and judged live, {not_kept} \
         relayed beyond the per-session cap (counted only), {live} live failure(s) reported",
        records.len()
    );
    println!(
        "peak RSS (VmHWM): {} before the runs, {} after",
        crate::load::mib(hwm_start),
        crate::load::mib(hwm_end)
    );
    let errors = direct.bad + proxied.bad + direct_1.bad + proxied_1.bad;
    ensure!(errors == 0, "{errors} wrk requests failed or were not 2xx");
    Ok(())
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
