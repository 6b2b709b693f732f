//! Collects the rules: every `src/rules/<area>/<rule>.rs` (not `mod.rs`) is one rule,
//! so adding a rule is adding its file. The convention read here:
//!
//! - the file holds exactly one `impl Rule for <Type>` (a `pub struct <Type>;`);
//! - its declaration's first `id: "<id>"` is the rule's id (the catalog is sorted by it);
//! - fixtures, if any, are `const FIXTURES: &[Fixture]` in its `#[cfg(test)] mod tests`.
//!
//! It writes, into OUT_DIR, `rules_<area>.rs` (the area's module declarations and
//! re-exports, included by `rules/<area>/mod.rs`) and `catalog.rs` (the checks sorted by
//! id, and the fixtures of each, included by `catalog.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

struct Found {
    area: String,
    module: String,
    path: PathBuf,
    ty: String,
    id: String,
    fixtures: bool,
}

fn main() {
    let dir = Path::new(&env("CARGO_MANIFEST_DIR")).join("src/rules");
    let out = PathBuf::from(env("OUT_DIR"));
    println!("cargo:rerun-if-changed={}", dir.display());

    let mut rules = Vec::new();
    let mut areas = Vec::new();
    for area in sorted_entries(&dir).into_iter().filter(|p| p.is_dir()) {
        let area_name = file_stem(&area);
        for file in sorted_entries(&area) {
            if file.extension().is_none_or(|e| e != "rs") || file_stem(&file) == "mod" {
                continue;
            }
            rules.push(read_rule(&area_name, &file));
        }
        areas.push(area_name);
    }

    for area in &areas {
        let mut text = String::new();
        for r in rules.iter().filter(|r| &r.area == area) {
            let _ = writeln!(
                text,
                "#[path = {:?}]\npub(crate) mod {};\npub use {}::{};",
                r.path.display().to_string(),
                r.module,
                r.module,
                r.ty
            );
        }
        write(&out.join(format!("rules_{area}.rs")), &text);
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

fn read_rule(area: &str, path: &Path) -> Found {
    let src = std::fs::read_to_string(path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
    let types: Vec<&str> = src
        .match_indices("impl Rule for ")
        .map(|(i, m)| word(&src[i + m.len()..]))
        .collect();
    let [ty] = types.as_slice() else {
        fail(&format!(
            "{} must hold one `impl Rule for <Type>`, not {}",
            path.display(),
            types.len()
        ))
    };
    let id = src
        .find("id: \"")
        .map(|i| &src[i + 5..])
        .and_then(|s| s.find('"').map(|end| s[..end].to_owned()))
        .unwrap_or_else(|| fail(&format!("{} declares no `id: \"...\"`", path.display())));
    Found {
        area: area.to_owned(),
        module: file_stem(path),
        path: path.to_owned(),
        ty: (*ty).to_owned(),
        id,
        fixtures: src.contains("const FIXTURES: &[Fixture]"),
    }
}

fn word(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let rd = std::fs::read_dir(dir)
        .unwrap_or_else(|e| fail(&format!("cannot list {}: {e}", dir.display())));
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    v
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
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
