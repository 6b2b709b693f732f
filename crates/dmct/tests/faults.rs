//! The dmct binary as a process under faults, a few iterations each (`cargo xtask
//! faults` runs many): signals at random points of `run` and `proxy`, a full disk, a
//! read-only `--out`, tight limits, connections dropped at every exchange boundary.
//! Every time a valid report (or a clear refusal) and no lost exchange. The checks live
//! in `dmct_fuzz::faults`; the seed is printed, and `DMCT_FAULT_SEED` replays it.

use dmct_fuzz::faults::{Harness, Tally};
use dmct_fuzz::rng::Rng;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn harness(name: &str) -> Harness {
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("faults-{name}"));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/schemas/report.schema.json");
    Harness {
        dmct: env!("CARGO_BIN_EXE_dmct").into(),
        scratch,
        schema: serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap(),
        deadline: Duration::from_secs(60),
        verbose: false,
    }
}

fn rng(check: &str) -> Rng {
    let seed = std::env::var("DMCT_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(Rng::fresh_seed);
    println!("{check}: seed {seed} (replay with DMCT_FAULT_SEED={seed})");
    Rng::new(seed)
}

/// No failure; what was seen and skipped is printed.
fn passed(t: &Tally, runs: usize) {
    println!("{} runs: {:?}", t.runs, t.outcomes);
    for s in &t.skipped {
        println!("skipped: {s}");
    }
    assert!(t.failures.is_empty(), "{}", t.failures.join("\n\n"));
    assert!(t.runs >= runs, "{} runs, want {runs}", t.runs);
}

#[test]
fn signals_at_random_points_of_a_run_leave_whole_reports() {
    let t = harness("signals-run").signals_run(&mut rng("signals-run"), 4);
    passed(&t, 4);
}

#[test]
fn signals_during_proxy_sessions_lose_no_answered_exchange() {
    let t = harness("signals-proxy").signals_proxy(&mut rng("signals-proxy"), 3);
    passed(&t, 3);
    assert!(
        t.outcomes.keys().any(|k| k.starts_with("130")),
        "--sessions interrupted: {:?}",
        t.outcomes
    );
}

#[test]
fn a_full_disk_names_the_file_and_truncates_no_report() {
    let t = harness("full-disk").full_disk(&mut rng("full-disk"), 3);
    passed(&t, 3);
    // A limit under the probe file always stops the run before it starts.
    assert!(
        t.outcomes.contains_key("full disk: exit 2 naming the file"),
        "{:?}",
        t.outcomes
    );
}

#[test]
fn a_read_only_out_is_refused_before_anything_runs() {
    let t = harness("read-only").read_only_out();
    passed(&t, 6);
}

#[test]
fn tight_limits_give_a_report_or_a_clear_refusal() {
    let t = harness("limits").tight_limits(&mut rng("limits"), 9);
    passed(&t, 18);
    for want in [
        "limits: refused with a message",
        "limits: report written, exit 0",
    ] {
        assert!(t.outcomes.contains_key(want), "{want}: {:?}", t.outcomes);
    }
}

#[test]
fn dmct_out_of_descriptors_is_its_own_limit_never_the_peer_s() {
    // 10-12: enough to start, too few for the loopback sessions (the listener cannot
    // accept, or dmct's client cannot open its socket); the proxy with 14-16: one
    // connection at a time, so the device's next request is refused unread.
    let t = harness("descriptors").own_descriptors(&[10, 11, 12]);
    passed(&t, 6);
    for want in [
        "descriptors: report",
        "descriptors/proxy: report, no case failed",
    ] {
        assert!(
            t.outcomes.keys().any(|k| k.starts_with(want)),
            "{want}: {:?}",
            t.outcomes
        );
    }
}

#[test]
fn connections_dropped_at_every_exchange_boundary() {
    let t = harness("dropped").dropped_connections(&["session/get-replace"], None);
    passed(&t, 9);
    assert!(
        t.outcomes.contains_key("dropped/proxy: valid report"),
        "{:?}",
        t.outcomes
    );
}
