//! `cargo xtask faults [--iterations N] [--seconds S] [--seed N] [--release]`: the
//! `dmct` binary as a whole process under faults (`dmct_fuzz::faults`): signals at random
//! points of `run` and of `proxy`, a full disk, a read-only `--out`, tight resource
//! limits, dmct itself out of descriptors, connections dropped at every exchange
//! boundary. With `--seconds`, rounds of the random checks repeat until the budget is
//! spent (at least one round); the deterministic ones (read-only, dropped connections,
//! descriptors) run once. `--only a,b` picks
//! checks: read-only, dropped, descriptors, signals-run, signals-proxy, full-disk, limits.
//! Any failure fails, and so does a check that never reached the outcome it exists
//! for (a proxy interrupted mid-session, a full disk naming the file, ...). This is
//! the only place these checks run (`cargo test` does not: they take real processes,
//! signals and waits); `.ci/run` runs it.

use anyhow::{Context, Result, bail};
use dmct_fuzz::faults::{Harness, Tally};
use dmct_fuzz::rng::Rng;
use std::path::Path;
use std::time::{Duration, Instant};

pub fn faults(root: &Path, args: &[String]) -> Result<()> {
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let release = args.iter().any(|a| a == "--release");
    // `--only read-only,dropped,descriptors,signals-run,signals-proxy,full-disk,limits`.
    let only: Option<Vec<&str>> = flag("--only").map(|o| o.split(',').collect());
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.contains(&name));
    let iterations: usize = flag("--iterations")
        .map(str::parse)
        .transpose()
        .context("--iterations takes a number")?
        .unwrap_or(20);
    let budget = flag("--seconds")
        .map(str::parse::<f64>)
        .transpose()
        .context("--seconds takes a number")?
        .map(Duration::from_secs_f64);
    let seed = match flag("--seed") {
        Some(s) => s.parse().context("--seed takes a number")?,
        None => Rng::fresh_seed(),
    };
    let mut build = std::process::Command::new("cargo");
    build.args(["build", "-p", "dmct"]);
    if release {
        build.arg("--release");
    }
    crate::run(&mut build)?;
    let dmct = root
        .join("target")
        .join(if release { "release" } else { "debug" })
        .join("dmct");
    let scratch = root.join("target/faults");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let schema = serde_json::from_str(&std::fs::read_to_string(
        root.join("testcases/schemas/report.schema.json"),
    )?)?;
    let h = Harness {
        dmct,
        scratch,
        schema,
        deadline: Duration::from_secs(60),
        verbose: true,
    };
    println!("faults: seed {seed} (replay with --seed {seed})");
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let mut total = Tally::default();
    let mut step = |name: &str, mut t: Tally, took: Duration| {
        expect_outcomes(name, &mut t);
        println!(
            "  {name:<22} {:>4} runs in {:>5.1} s, {} failure(s) {:?}",
            t.runs,
            took.as_secs_f64(),
            t.failures.len(),
            t.outcomes
        );
        for s in &t.skipped {
            println!("    skipped: {s}");
        }
        total.merge(t);
    };
    let timed = |f: &mut dyn FnMut() -> Tally| {
        let t0 = Instant::now();
        let t = f();
        (t, t0.elapsed())
    };
    if wanted("read-only") {
        let (t, d) = timed(&mut || h.read_only_out());
        step("read-only --out", t, d);
    }
    if wanted("dropped") {
        let cases = ["session/get-replace", "auth/accept-200"];
        let (t, d) = timed(&mut || h.dropped_connections(&cases, None));
        step("dropped connections", t, d);
    }
    if wanted("descriptors") {
        let (t, d) = timed(&mut || h.own_descriptors(&[9, 10, 11, 12, 13, 14]));
        step("dmct out of descriptors", t, d);
    }
    let per_round = if budget.is_some() { 3 } else { iterations };
    let mut round = 0;
    loop {
        round += 1;
        if wanted("signals-run") {
            let (t, d) = timed(&mut || h.signals_run(&mut rng, per_round));
            step("signals during run", t, d);
        }
        if wanted("signals-proxy") {
            let (t, d) = timed(&mut || h.signals_proxy(&mut rng, per_round));
            step("signals during proxy", t, d);
        }
        if wanted("full-disk") {
            let (t, d) = timed(&mut || h.full_disk(&mut rng, per_round));
            step("full disk", t, d);
        }
        if wanted("limits") {
            let (t, d) = timed(&mut || h.tight_limits(&mut rng, per_round.max(9)));
            step("tight limits", t, d);
        }
        match budget {
            Some(b) if started.elapsed() < b => continue,
            _ => break,
        }
    }
    println!(
        "faults: {} runs in {round} round(s), {:.1} s, {} failure(s)",
        total.runs,
        started.elapsed().as_secs_f64(),
        total.failures.len()
    );
    if !total.failures.is_empty() {
        bail!(
            "{} fault check(s) failed (seed {seed}):\n{}",
            total.failures.len(),
            total.failures.join("\n")
        );
    }
    Ok(())
}

/// What each check must have seen at least once in a round, by outcome prefix: a check
/// whose random choices never reached the case it exists for proves nothing.
fn expect_outcomes(name: &str, t: &mut Tally) {
    let wants: &[&str] = match name {
        // `--sessions` interrupted: exit 130.
        "signals during proxy" => &["130"],
        // A limit under the probe file always stops the run before it starts.
        "full disk" => &["full disk: exit 2 naming the file"],
        "tight limits" => &[
            "limits: refused with a message",
            "limits: report written, exit 0",
        ],
        "dmct out of descriptors" => &[
            "descriptors: report",
            "descriptors/proxy: report, no case failed",
        ],
        "dropped connections" => &["dropped/proxy: valid report"],
        _ => &[],
    };
    // Fewer than three random runs (`--iterations 1`) may miss it by chance; said so.
    if t.runs < 3 && !wants.is_empty() {
        println!("    {name}: under 3 runs, {wants:?} not required");
        return;
    }
    for want in wants {
        if !t.outcomes.keys().any(|k| k.starts_with(want)) {
            t.failures
                .push(format!("{name}: never saw {want:?} in {:?}", t.outcomes));
        }
    }
}
