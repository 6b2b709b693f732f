//! Repository tasks. `cargo xtask vectors [--check]` regenerates the vectors of
//! `testcases/vectors/` (or checks they are up to date);
//! `cargo xtask props [CASES]` runs the codec properties over 10,000 cases each;
//! `cargo xtask bench` runs every bench below in one run and ends with one table: each
//! measure, its anchor, the ratio, the goal and whether it is met;
//! `cargo xtask bench codec` measures the codecs against libwbxml;
//! `cargo xtask bench check` times the whole `dmct check` process on one session of 1k,
//! 4k, 16k and 32k exchanges, with the 32k/1k ratio (linear is 32);
//! `cargo xtask bench memory [MB]` measures the peak RSS of `dmct check` on bodies of
//! MB megabytes (15 by default) against their size and against libwbxml's wbxml2xml;
//! `cargo xtask bench proxy [SECONDS]` measures wrk against a fixed upstream directly,
//! through nginx and through the proxy (recording and live checking on), with the ratios;
//! `cargo xtask load [SESSIONS]` runs 1,000 (or SESSIONS) concurrent DM sessions over
//! loopback HTTP against one server and reports sessions/s and peak memory;
//! `cargo xtask faults [--iterations N] [--seconds S] [--seed N] [--only CHECKS]
//! [--release]` runs the `dmct` binary under signals, a full disk, a read-only `--out`,
//! tight limits and dropped connections;
//! `cargo xtask fuzz [--seconds S] [--target NAME] [--seed N] [--input FILE] [--release]`
//! fuzzes the decoders and the checker;
//! `cargo xtask fmt [--check]` is `cargo fmt --all [--check]`;
//! `cargo xtask ci` runs what `.ci/run` runs.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

mod bench;
// How rule files are found, as dmct-rules' build.rs finds them.
mod check_bench;
#[path = "../../crates/dmct-rules/collect.rs"]
#[allow(dead_code)] // the reader's half is build.rs's
mod collect;
mod faults;
mod fuzz;
mod load;
mod mem_bench;
mod proxy_bench;
mod proxy_floor;
mod summary;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The allocator the `dmct` binary runs with, so `bench proxy` and `load`, which run
/// dmct's libraries in this process, measure what `dmct proxy` and `dmct run` cost.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("vectors") => vectors(args.iter().any(|a| a == "--check")),
        Some("catalog") => catalog(),
        Some("fmt") => fmt(args.iter().any(|a| a == "--check")),
        Some("ci") => ci(),
        Some("props") => props(args.get(1).map(String::as_str).unwrap_or("10000")),
        Some("slow") => slow(),
        Some("bench") if args.len() == 1 => bench_all(),
        Some("bench") if args.get(1).map(String::as_str) == Some("codec") => {
            bench::codec(&root()).map(drop)
        }
        Some("bench") if args.get(1).map(String::as_str) == Some("check") => {
            check_bench::check(&root(), args.iter().any(|a| a == "--keep")).map(drop)
        }
        Some("bench") if args.get(1).map(String::as_str) == Some("memory") => {
            mem_bench::memory(&root(), args.get(2).map(String::as_str).unwrap_or("15")).map(drop)
        }
        Some("bench") if args.get(1).map(String::as_str) == Some("proxy") => {
            proxy_bench::proxy(&root(), args.get(2).map(String::as_str).unwrap_or("10")).map(drop)
        }
        Some("faults") => faults::faults(&root(), &args[1..]),
        Some("fuzz") => fuzz::fuzz(&root(), &args[1..]),
        Some("load") => load::load(&root(), args.get(1).map(String::as_str).unwrap_or("1000")),
        _ => bail!(
            "usage: cargo xtask vectors [--check] | catalog | fmt [--check] | props [CASES] \
             | bench | bench codec | bench check [--keep] | bench memory [MB] \
             | bench proxy [SECONDS] \
             | load [SESSIONS] | slow \
             | faults [--iterations N] [--seconds S] [--seed N] [--only CHECKS] [--release] \
             | fuzz [--seconds S] [--target NAME] [--seed N] [--input FILE] [--release] | ci"
        ),
    }
}

/// Every bench in one run (optimised), then one table of every measure against its
/// anchor and goal (issue 17).
fn bench_all() -> Result<()> {
    if cfg!(debug_assertions) {
        // Timings of a debug build mean nothing: run again, optimised.
        return run(Command::new("cargo").args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "xtask",
            "--",
            "bench",
        ]));
    }
    let root = root();
    let mut measures = Vec::new();
    println!("== bench codec ==");
    measures.extend(bench::codec(&root)?);
    println!("== bench check ==");
    measures.extend(check_bench::check(&root, false)?);
    println!("\n== bench memory 15 ==");
    measures.extend(mem_bench::memory(&root, "15")?);
    println!("\n== bench proxy 10 ==");
    measures.extend(proxy_bench::proxy(&root, "10")?);
    println!("\n== every goal (issue 17) ==");
    print!("{}", summary::table(&measures));
    Ok(())
}

/// The rule files each area declares (its `mod.rs` block, shared with dmct-rules'
/// build.rs through `collect.rs`), then `testcases/rules.toml`.
fn catalog() -> Result<()> {
    let dir = root().join("crates/dmct-rules/src/rules");
    let found = collect::rules(&dir).map_err(anyhow::Error::msg)?;
    let mut declared_again = false;
    for area in collect::areas(&dir).map_err(anyhow::Error::msg)? {
        let mod_rs = dir.join(&area).join("mod.rs");
        let text = std::fs::read_to_string(&mod_rs)
            .with_context(|| format!("cannot read {}", mod_rs.display()))?;
        let Some(new) = collect::with_block(&text, &collect::block(&found, &area)) else {
            bail!("{} has no `{}` block", mod_rs.display(), collect::BEGIN);
        };
        if new != text {
            std::fs::write(&mod_rs, new)
                .with_context(|| format!("cannot write {}", mod_rs.display()))?;
            println!("{} declares its rule files again", mod_rs.display());
            declared_again = true;
        }
    }
    if declared_again {
        // This binary was built from the old declarations: the catalog is written by
        // one built from the new ones.
        return run(Command::new("cargo").args(["run", "-q", "-p", "xtask", "--", "catalog"]));
    }
    let path = root().join("testcases/rules.toml");
    std::fs::write(&path, dmct_rules::catalog_toml())
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "{} written ({} statements)",
        path.display(),
        dmct_rules::statements().len()
    );
    Ok(())
}

fn vectors(check: bool) -> Result<()> {
    let dir = root().join("testcases/vectors");
    let scenarios = dmct_suite::scenario::builtin()?;
    let files = dmct_suite::vectors::all_files(&scenarios, &dmct_test_support::names::names_for);
    if check {
        let stale: Vec<_> = files
            .iter()
            .filter(|(path, bytes)| std::fs::read(dir.join(path)).ok().as_ref() != Some(bytes))
            .map(|(path, _)| path.as_str())
            .collect();
        if !stale.is_empty() {
            bail!(
                "vectors out of date (run `cargo xtask vectors`):\n{}",
                stale.join("\n")
            );
        }
    } else {
        // Regeneration replaces the whole set, so a vector no longer produced does not
        // linger.
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        for (path, bytes) in &files {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    println!(
        "{} vector files {}",
        files.len(),
        if check { "up to date" } else { "written" }
    );
    Ok(())
}

/// The codec properties over many cases (release build: 10,000 cases each take seconds).
fn props(cases: &str) -> Result<()> {
    run(Command::new("cargo")
        .args([
            "test",
            "--release",
            "-p",
            "dmct-proto",
            "--test",
            "integration",
            "--",
            "xml_roundtrip::",
        ])
        .env("DMCT_PROPTEST_CASES", cases))
}

/// What `cargo test` runs small, at full size (debug build, the test binaries `cargo
/// test` already built): 1,000 concurrent sessions through one reference server and
/// through the proxy, and 2,000 cases of the codec properties. (Not the proxy's
/// `byte_exact`: its one proxy keeps 1,000 exchanges per record, so it stays at 200.)
/// Then the test modules holding a test that reads `DMCT_SLOW_TESTS`, with it set: real
/// waits over every case and exhaustive sweeps, which `cargo test` runs on a part.
fn slow() -> Result<()> {
    for (package, test, module) in SLOW_TESTS {
        run(test_module(package, test, module).env("DMCT_SLOW_TESTS", "1"))?;
    }
    for (package, test, module) in LOAD_TESTS {
        run(test_module(package, test, module).env("DMCT_LOAD_SESSIONS", "1000"))?;
    }
    for (package, test, module) in PROPTEST_TESTS {
        run(test_module(package, test, module).env("DMCT_PROPTEST_CASES", "2000"))?;
    }
    Ok(())
}

/// `cargo test` of one module of a test target: its file `tests/<test>/<module>.rs`,
/// selected by the name filter `<module>::` (libtest matches substrings; a test checks
/// that no other module's name ends in it).
fn test_module(package: &str, test: &str, module: &str) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.args([
        "test",
        "-p",
        package,
        "--test",
        test,
        "--",
        &format!("{module}::"),
    ]);
    cmd
}

/// The test modules, as (package, test target, module), with a part gated by
/// `DMCT_SLOW_TESTS` (a test checks this list against the sources).
const SLOW_TESTS: &[(&str, &str, &str)] = &[
    ("dmct", "integration", "cli"),
    ("dmct", "integration", "device_account"),
    ("dmct", "integration", "peers"),
    ("dmct-proto", "integration", "stream_oracle"),
];

/// The test modules whose session count `DMCT_LOAD_SESSIONS` sets.
const LOAD_TESTS: &[(&str, &str, &str)] = &[
    ("dmct-suite", "integration", "concurrency"),
    ("dmct-proxy", "integration", "concurrency"),
];

/// The test modules whose proptest case count `DMCT_PROPTEST_CASES` sets, run at 2,000.
const PROPTEST_TESTS: &[(&str, &str, &str)] = &[
    ("dmct-proto", "integration", "xml_roundtrip"),
    ("dmct-proto", "integration", "streamed_same"),
];

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(())
}

fn fmt(check: bool) -> Result<()> {
    let flag: &[&str] = if check { &["--check"] } else { &[] };
    run(Command::new("cargo").args(["fmt", "--all"]).args(flag))
}

fn ci() -> Result<()> {
    fmt(true)?;
    run(Command::new("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(Command::new("cargo").args(["test", "--workspace"]))?;
    slow()?;
    vectors(true)?;
    let budget = ["--seconds".to_owned(), "60".to_owned()];
    fuzz::fuzz(&root(), &budget)?;
    faults::faults(&root(), &budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every test file below `crates/*/tests`, as (package, test target, module, text):
    /// `tests/<target>.rs` has no module, `tests/<target>/<module>.rs` one.
    fn test_files() -> Vec<(String, String, Option<String>, String)> {
        let mut files = Vec::new();
        for krate in std::fs::read_dir(root().join("crates")).unwrap().flatten() {
            let package = krate.file_name().to_string_lossy().into_owned();
            let Ok(tests) = std::fs::read_dir(krate.path().join("tests")) else {
                continue;
            };
            for entry in tests.flatten() {
                let path = entry.path();
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    for module in std::fs::read_dir(&path).unwrap().flatten() {
                        let m = module.path();
                        if m.extension().is_some_and(|e| e == "rs") {
                            let name = m.file_stem().unwrap().to_string_lossy().into_owned();
                            let text = std::fs::read_to_string(&m).unwrap();
                            files.push((package.clone(), stem.clone(), Some(name), text));
                        }
                    }
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.push((package.clone(), stem, None, text));
                }
            }
        }
        files
    }

    /// `cargo xtask slow` runs every test module that reads `DMCT_SLOW_TESTS`, and only
    /// those: a gated part never goes unrun.
    #[test]
    fn slow_tests_lists_every_gated_module() {
        let mut found = Vec::new();
        for (package, target, module, text) in test_files() {
            if text.contains("\"DMCT_SLOW_TESTS\"") {
                let module = module.expect("a gated test lives in a module of a test target");
                found.push((package, target, module));
            }
        }
        found.sort();
        let mut listed: Vec<(String, String, String)> = SLOW_TESTS
            .iter()
            .map(|(p, t, m)| (p.to_string(), t.to_string(), m.to_string()))
            .collect();
        listed.sort();
        assert_eq!(found, listed);
    }

    /// Each module `cargo xtask slow` names exists, reads the variable it is run with,
    /// and its filter `<module>::` selects no other module's tests: a renamed file
    /// cannot leave a name filter that selects nothing, which libtest would pass.
    #[test]
    fn slow_filters_select_their_module_alone() {
        let files = test_files();
        let lists = [
            (SLOW_TESTS, "\"DMCT_SLOW_TESTS\""),
            (LOAD_TESTS, "\"DMCT_LOAD_SESSIONS\""),
            (PROPTEST_TESTS, "\"DMCT_PROPTEST_CASES\""),
        ];
        for (list, var) in lists {
            for (package, target, module) in list {
                let same_target = || {
                    files
                        .iter()
                        .filter(move |(p, t, _, _)| p == package && t == target)
                };
                let file = same_target().find(|(.., m, _)| m.as_deref() == Some(*module));
                let (.., text) = file.unwrap_or_else(|| panic!("no {package}/{target}/{module}"));
                assert!(
                    text.contains(var),
                    "{package}/{target}/{module} reads no {var}"
                );
                for (.., other, _) in same_target() {
                    let other = other.as_deref().unwrap_or_default();
                    assert!(
                        other == *module || !other.ends_with(module),
                        "the filter {module}:: also selects {other}::"
                    );
                }
            }
        }
    }

    /// A crate built with `doctest = false` has no doc example that rustdoc would run:
    /// every fenced block in its doc comments is `text`, so turning the doc-test run off
    /// skips nothing.
    #[test]
    fn no_doc_example_goes_unrun() {
        fn walk(dir: &Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let mut open = false;
                for (i, line) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
                    let line = line.trim_start();
                    let Some(doc) = line.strip_prefix("///").or(line.strip_prefix("//!")) else {
                        continue;
                    };
                    let Some(info) = doc.trim().strip_prefix("```") else {
                        continue;
                    };
                    if !open && info != "text" {
                        found.push(format!("{}:{}", path.display(), i + 1));
                    }
                    open = !open;
                }
            }
        }
        let mut found = Vec::new();
        for krate in std::fs::read_dir(root().join("crates")).unwrap().flatten() {
            let manifest = std::fs::read_to_string(krate.path().join("Cargo.toml")).unwrap();
            if manifest.contains("\ndoctest = false") {
                walk(&krate.path().join("src"), &mut found);
            }
        }
        assert!(
            found.is_empty(),
            "doc examples that doctest = false skips: {found:?}"
        );
    }
}
