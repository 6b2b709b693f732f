//! The container image (`Dockerfile`): no Docker engine runs in CI, so what the image
//! rests on is checked here instead. The build stage uses the toolchain floor the
//! workspace and its locked dependencies declare and builds the locked release binary;
//! the runtime stage holds that binary, the CA roots dmct trusts by default, and
//! nothing else, which works because the binary needs no file of the source tree.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn instructions() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    let joined = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (op, rest) = l.split_once(' ').unwrap_or((l, ""));
            (
                op.to_ascii_uppercase(),
                rest.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect()
}

/// The instructions of each stage, by its `FROM` line.
fn stages() -> Vec<(String, Vec<(String, String)>)> {
    let mut stages: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (op, rest) in instructions() {
        if op == "FROM" {
            stages.push((rest, Vec::new()));
        } else {
            stages.last_mut().expect("FROM first").1.push((op, rest));
        }
    }
    stages
}

fn workspace_rust_version() -> String {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    manifest["workspace"]["package"]["rust-version"]
        .as_str()
        .expect("workspace rust-version")
        .to_string()
}

/// `1.88` and `1.88.0` alike, as (major, minor, patch).
fn version_key(v: &str) -> [u64; 3] {
    let mut key = [0; 3];
    for (k, p) in key.iter_mut().zip(v.split('.')) {
        *k = p.parse().expect("a version number");
    }
    key
}

#[test]
fn build_stage_uses_the_declared_toolchain_floor_and_the_lock() {
    let stages = stages();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (from, steps) = &stages[0];
    let floor = workspace_rust_version();
    assert_eq!(
        from,
        &format!("rust:{floor}-slim-bookworm AS build"),
        "the build image is the workspace's rust-version"
    );
    assert!(
        steps
            .iter()
            .any(|(op, rest)| op == "RUN" && rest == "cargo build --release --locked -p dmct"),
        "{steps:?}"
    );
    // No locked dependency asks for a newer compiler than the image has.
    let meta = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    assert!(
        meta.status.success(),
        "{}",
        String::from_utf8_lossy(&meta.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&meta.stdout).unwrap();
    let newer: Vec<String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let v = p["rust_version"].as_str()?;
            (version_key(v) > version_key(&floor)).then(|| format!("{} {v}", p["name"]))
        })
        .collect();
    assert!(
        newer.is_empty(),
        "need a newer toolchain than {floor}: {newer:?}"
    );
}

#[test]
fn runtime_stage_holds_the_binary_and_ca_roots_only() {
    let stages = stages();
    let (from, steps) = &stages[1];
    assert!(
        from.starts_with("debian:") && from.ends_with("-slim"),
        "{from}"
    );
    let run: Vec<&str> = steps
        .iter()
        .filter(|(op, _)| op == "RUN")
        .map(|(_, r)| r.as_str())
        .collect();
    assert!(
        run.iter()
            .any(|r| r.contains("install -y --no-install-recommends ca-certificates")),
        "the system CA roots dmct trusts by default: {run:?}"
    );
    let copies: Vec<&str> = steps
        .iter()
        .filter(|(op, _)| op == "COPY")
        .map(|(_, r)| r.as_str())
        .collect();
    assert_eq!(
        copies,
        ["--from=build /src/target/release/dmct /usr/local/bin/dmct"],
        "the release binary the build stage wrote, and nothing else"
    );
    assert!(steps.contains(&("ENTRYPOINT".into(), "[\"dmct\"]".into())));
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    let ignored: Vec<&str> = ignore.lines().filter(|l| !l.starts_with('#')).collect();
    for entry in ["target", ".git"] {
        assert!(ignored.contains(&entry), "build context holds {entry}");
    }
}

/// What the runtime image does: the binary alone, in an empty directory, with no
/// variable but PATH, runs a case and writes its reports.
#[test]
fn the_binary_alone_runs_a_case() {
    let dir = std::env::temp_dir().join(format!("dmct-container-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let bin = dir.join("bin/dmct");
    std::fs::copy(env!("CARGO_BIN_EXE_dmct"), &bin).unwrap();
    let out = Command::new(&bin)
        .args(["run", "--case", "session/get-replace", "--out", "out"])
        .current_dir(&dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["report.json", "report.txt", "report.xml", "report.html"] {
        assert!(dir.join("out").join(file).is_file(), "{file} missing");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
