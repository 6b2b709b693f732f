//! `cargo xtask fuzz [--seconds S] [--target NAME] [--seed N] [--release]` and
//! `cargo xtask fuzz --target NAME --input FILE`: the fuzz targets of `dmct-fuzz` driven
//! by its seeded mutation engine from the vectors of `testcases/vectors/`, each for its
//! share of the time. Findings go to `target/fuzz-crashes/`; any finding fails.

use anyhow::{Context, Result, bail};
use dmct_fuzz::{engine, rng::Rng, targets};
use std::path::Path;
use std::time::Duration;

pub fn fuzz(root: &Path, args: &[String]) -> Result<()> {
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    if args.iter().any(|a| a == "--release") {
        // Optimised: many more inputs in the same time.
        let rest: Vec<&String> = args.iter().filter(|a| *a != "--release").collect();
        return crate::run(
            std::process::Command::new("cargo")
                .args(["run", "--release", "-p", "xtask", "--quiet", "--", "fuzz"])
                .args(rest),
        );
    }
    let chosen: Vec<&'static targets::Target> = match flag("--target") {
        Some(name) => vec![targets::target(name).with_context(|| {
            format!(
                "no fuzz target {name:?}; there are: {}",
                targets::TARGETS
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?],
        None => targets::TARGETS.iter().collect(),
    };
    if let Some(file) = flag("--input") {
        let bytes = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
        for t in &chosen {
            match engine::replay(t, &bytes) {
                Ok(took) => println!("{}: returned in {} ms", t.name, took.as_millis()),
                Err(panic) => bail!("{}: panicked: {panic}", t.name),
            }
        }
        return Ok(());
    }
    let seconds: f64 = flag("--seconds")
        .unwrap_or("60")
        .parse()
        .context("--seconds takes a number")?;
    let seed = match flag("--seed") {
        Some(s) => s.parse().context("--seed takes a number")?,
        None => Rng::fresh_seed(),
    };
    let corpus = targets::Corpus::load(&root.join("testcases/vectors"))
        .context("cannot read the seed corpus in testcases/vectors")?;
    let per_target = Duration::from_secs_f64(seconds / chosen.len() as f64);
    let crash_dir = root.join("target/fuzz-crashes");
    println!(
        "fuzz: seed {seed} (replay with --seed {seed}), {} target(s), {:.1} s each",
        chosen.len(),
        per_target.as_secs_f64()
    );
    let config = engine::Config::new(seed, per_target, crash_dir);
    let outcomes = engine::run(&chosen, &corpus, &config);
    let mut found = 0;
    for o in &outcomes {
        println!(
            "  {:<11} {:>8} inputs, slowest {} ms, {} finding(s)",
            o.target,
            o.inputs,
            o.slowest.as_millis(),
            o.findings.len()
        );
        for (path, what) in &o.findings {
            println!("    {what}\n      input: {}", path.display());
            found += 1;
        }
    }
    if found > 0 {
        bail!(
            "{found} finding(s); reproduce one with `cargo xtask fuzz --target NAME --input FILE`"
        );
    }
    Ok(())
}
