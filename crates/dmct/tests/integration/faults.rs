//! The dmct binary as a process under faults: here only the one that costs no run (a
//! read-only `--out`, refused before anything runs). The others (signals at random
//! points of `run` and `proxy`, a full disk, tight limits, dmct out of descriptors,
//! connections dropped at every exchange boundary) start whole runs, wait out
//! sessions and signal processes, so `cargo xtask faults` runs them, with the outcome
//! each exists for required, and CI runs that. The checks live in `dmct_fuzz::faults`.

use dmct_fuzz::faults::{Harness, Tally};
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
fn a_read_only_out_is_refused_before_anything_runs() {
    let t = harness("read-only").read_only_out();
    passed(&t, 6);
}
