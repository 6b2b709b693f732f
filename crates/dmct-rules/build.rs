//! Builds `catalog::CATALOG` (the checks sorted by id) and the fixture list from the
//! rule files each area's `mod.rs` declares (see `collect.rs`: the convention, and the
//! block `cargo xtask catalog` keeps). A rule file not declared yet is left out with a
//! warning, so the crate (and the xtask that declares it) still builds; a test fails
//! until it is declared.

#[path = "collect.rs"]
#[allow(dead_code)] // the writer's half is the xtask's
mod collect;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let dir = Path::new(&env("CARGO_MANIFEST_DIR")).join("src/rules");
    let out = PathBuf::from(env("OUT_DIR"));
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rerun-if-changed=collect.rs");

    let found = collect::rules(&dir).unwrap_or_else(|e| fail(&e));
    let mut rules = Vec::new();
    for area in collect::areas(&dir).unwrap_or_else(|e| fail(&e)) {
        let mod_rs = dir.join(&area).join("mod.rs");
        let text = std::fs::read_to_string(&mod_rs)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", mod_rs.display())));
        let declared = collect::declared(&text);
        for r in found.iter().filter(|r| r.area == area) {
            if declared.contains(&r.module) {
                rules.push(r);
            } else {
                println!(
                    "cargo:warning={} is not declared in {}: run `cargo xtask catalog`",
                    r.path.display(),
                    mod_rs.display()
                );
            }
        }
    }

    rules.sort_by(|a, b| a.id.cmp(&b.id));
    for w in rules.windows(2) {
        if w[0].id == w[1].id {
            fail(&format!(
                "{} and {} both declare {}",
                w[0].path.display(),
                w[1].path.display(),
                w[0].id
            ));
        }
    }
    let mut text =
        String::from("/// The checks, sorted by id.\npub static CATALOG: &[&dyn Rule] = &[\n");
    for r in &rules {
        let _ = writeln!(text, "    &crate::rules::{}::{},", r.area, r.ty);
    }
    text.push_str("];\n\n/// Each check and the fixtures in its file's test module.\n");
    text.push_str("#[cfg(test)]\npub(crate) static FIXTURES: ");
    text.push_str("&[(&dyn Rule, &[crate::fixture::Fixture])] = &[\n");
    for r in rules.iter().filter(|r| r.fixtures) {
        let _ = writeln!(
            text,
            "    (&crate::rules::{0}::{1}, crate::rules::{0}::{2}::tests::FIXTURES),",
            r.area, r.ty, r.module
        );
    }
    text.push_str("];\n");
    write(&out.join("catalog.rs"), &text);
}

fn write(path: &Path, text: &str) {
    // Unchanged output is not rewritten, so nothing downstream rebuilds for it.
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text)
            .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", path.display())));
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(&format!("{name} is not set")))
}

fn fail(why: &str) -> ! {
    eprintln!("dmct-rules build: {why}");
    std::process::exit(1)
}
