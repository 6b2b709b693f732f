//! `--redact` leaves no secret anywhere: every mode runs with distinctive known
//! secrets (the built-in run with its own defaults), and every file under `--out`
//! (recursively) plus standard output and error is searched for each secret in plain
//! text, base64 (at every alignment), hex, and the MD5 digest forms derived from it
//! alone (B64(MD5("user:secret")), its raw and hex bytes, Basic, the MD5 digest with
//! the known nonce): no hit.

use crate::common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use dmct_proto::auth::Credentials;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SERVER_ID: &str = "redact.example";
const SRV_USER: &str = "redact-server-4";
const SRV_SECRET: &str = "srv-Secret-K3m8p5";
const CLI_USER: &str = "redact-user-7";
const CLI_SECRET: &str = "cli-Secret-Q7x9w2";
/// The nonce the client holds, as bytes (given base64 on the command line).
const NONCE: &[u8] = b"nonce-Z4v6b1";
/// The device's stored server nonce, which keys a Package 0 (`--pkg0-nonce b64:`).
const PKG0_NONCE: &[u8] = b"pkg0-nonce-R2d8";

fn nonce_b64() -> String {
    B64.encode(NONCE)
}

fn hex(b: &[u8]) -> Vec<String> {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    vec![h.to_uppercase(), h]
}

/// The base64 characters that depend only on `bytes`, at each of the three alignments
/// it can have inside a longer base64 text.
fn b64_cores(bytes: &[u8]) -> Vec<String> {
    (0..3)
        .map(|k| {
            let mut v = vec![0u8; k];
            v.extend_from_slice(bytes);
            let e = B64.encode(&v);
            let from = (4 * k).div_ceil(3);
            let to = 4 * (k + bytes.len()) / 3;
            e[from..to].to_owned()
        })
        .collect()
}

/// Every form of a secret (as bytes) searched for.
fn forms_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![bytes.to_vec(), B64.encode(bytes).into_bytes()];
    v.extend(hex(bytes).into_iter().map(String::into_bytes));
    v.extend(b64_cores(bytes).into_iter().map(String::into_bytes));
    v
}

/// The forms of an account's secret and of what is derived from it.
fn account_forms(user: &str, secret: &str, nonces: &[&[u8]]) -> Vec<(String, Vec<u8>)> {
    let c = Credentials {
        user: user.into(),
        secret: secret.into(),
    };
    let inner = dmct_proto::auth::inner_digest(&c);
    let raw = B64.decode(&inner).unwrap();
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |what: String, forms: Vec<Vec<u8>>| {
        for f in forms {
            out.push((what.clone(), f));
        }
    };
    add(format!("{user}'s secret"), forms_of(secret.as_bytes()));
    add(
        format!("B64(MD5({user}:secret))"),
        forms_of(inner.as_bytes()),
    );
    add(format!("MD5({user}:secret)"), forms_of(&raw));
    add(
        format!("Basic {user}"),
        vec![dmct_proto::auth::basic(&c).into_bytes()],
    );
    for n in nonces {
        add(
            format!("MD5 digest of {user}"),
            vec![dmct_proto::auth::md5_digest(&c, n).into_bytes()],
        );
    }
    out
}

/// The secrets of the lab's accounts (and of dmct's defaults, which any mode may use).
fn secrets() -> Vec<(String, Vec<u8>)> {
    let nonces: [&[u8]; 1] = [NONCE];
    let mut s = account_forms(CLI_USER, CLI_SECRET, &nonces);
    for user in [SRV_USER, SERVER_ID] {
        s.extend(account_forms(user, SRV_SECRET, &nonces));
    }
    s.extend(account_forms("dmct-client", "dmct-client-secret", &nonces));
    s.extend(account_forms("dmct-server", "dmct-server-secret", &nonces));
    s.extend(account_forms("dmct", "dmct-server-secret", &nonces));
    for f in forms_of(NONCE) {
        s.push(("the client's nonce".into(), f));
    }
    for f in forms_of(PKG0_NONCE) {
        s.push(("the Package 0 nonce".into(), f));
    }
    s.retain(|(_, f)| f.len() >= 6);
    s
}

fn files_under(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, into);
        } else {
            into.push(p);
        }
    }
}

/// Every secret form found in `bytes`, named. One pass over `bytes`, the forms indexed
/// by their first four bytes (all are at least six long): the HMAC macs of every body
/// make thousands of forms, too many to search for one at a time in a debug build.
fn hits(bytes: &[u8], secrets: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut by_prefix: std::collections::HashMap<&[u8], Vec<usize>> = Default::default();
    for (k, (_, f)) in secrets.iter().enumerate() {
        by_prefix.entry(&f[..4]).or_default().push(k);
    }
    let mut found = vec![false; secrets.len()];
    for i in 0..bytes.len().saturating_sub(3) {
        if let Some(ks) = by_prefix.get(&bytes[i..i + 4]) {
            for &k in ks {
                found[k] |= bytes[i..].starts_with(&secrets[k].1);
            }
        }
    }
    secrets
        .iter()
        .zip(found)
        .filter(|(_, f)| *f)
        .map(|((what, f), _)| format!("{what} as {:?}", String::from_utf8_lossy(f)))
        .collect()
}

/// The HMAC macs of every body the transcripts under `out` hold, keyed with each
/// account and the known nonce: computable wherever redaction left a body as sent.
fn macs(files: &[PathBuf]) -> Vec<(String, Vec<u8>)> {
    let accounts = [
        (CLI_USER, CLI_SECRET),
        (SRV_USER, SRV_SECRET),
        ("dmct-client", "dmct-client-secret"),
        ("dmct-server", "dmct-server-secret"),
    ];
    let mut out = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        let Ok(t) = serde_json::from_str::<dmct_proto::transcript::Transcript>(
            &std::fs::read_to_string(f).unwrap_or_default(),
        ) else {
            continue;
        };
        for e in &t.exchanges {
            let bodies = std::iter::once(&e.request.body).chain(e.response.iter().map(|r| &r.body));
            for b in bodies {
                for (user, secret) in accounts {
                    let c = Credentials {
                        user: user.into(),
                        secret: secret.into(),
                    };
                    let mac = dmct_proto::auth::hmac_mac(&c, NONCE, b.as_bytes());
                    out.push((format!("HMAC mac of {user}"), mac.into_bytes()));
                }
            }
        }
    }
    out
}

/// No secret in any file under `out` nor in what was printed.
fn assert_clean(mode: &str, out: &Path, printed: &[&[u8]]) {
    let mut found = Vec::new();
    let mut files = Vec::new();
    files_under(out, &mut files);
    let mut secrets = secrets();
    secrets.extend(macs(&files));
    assert!(
        !files.is_empty(),
        "{mode}: nothing written under {}",
        out.display()
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        // A Package 0 carries a digest keyed with the server's secret.
        if f.extension().is_some_and(|e| e == "pkg0") {
            found.push(format!("{}: a Package 0", f.display()));
        }
        for h in hits(&bytes, &secrets) {
            found.push(format!("{}: {h}", f.display()));
        }
    }
    for (i, p) in printed.iter().enumerate() {
        for h in hits(p, &secrets) {
            found.push(format!("{}: {h}", ["stdout", "stderr"][i % 2]));
        }
    }
    assert!(found.is_empty(), "{mode} leaks:\n{}", found.join("\n"));
}

fn clean_run(mode: &str, out: &Path, o: &Output) {
    assert_clean(mode, out, &[&o.stdout, &o.stderr]);
}

const ACCOUNT: [&str; 12] = [
    "--server-id",
    SERVER_ID,
    "--server-user",
    SRV_USER,
    "--server-secret",
    SRV_SECRET,
    "--client-user",
    CLI_USER,
    "--client-secret",
    CLI_SECRET,
    "--auth",
    "md5",
];

fn with_account(args: &[&str], extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.extend(ACCOUNT.iter().map(|s| s.to_string()));
    v.extend(["--nonce".to_owned(), nonce_b64()]);
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run(args: &[String]) -> Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    dmct(&a)
}

/// The built-in run, with only its own default secrets.
#[test]
fn builtin_run_leaks_nothing() {
    let out = out_dir("redact-builtin");
    let o = dmct(&[
        "run",
        "--redact",
        "--case",
        "auth/hmac",
        "--case",
        "session/reauth-md5",
        "--case",
        "session/every-command",
        "--case",
        "session/package0",
        "--case",
        "auth/wrong-md5-digest",
        "--case",
        "session/get-replace-wbxml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    clean_run("run", &out, &o);
}

/// `run --serve --exec` with the reference client as the device, provisioned with the
/// lab's account (the command line holds its secrets).
#[test]
fn run_serve_exec_leaks_nothing() {
    let out = out_dir("redact-serve");
    let device = format!(
        "{bin} peer client --url \"$DMCT_SERVER_URL\" \
         ${{DMCT_PKG0_FILE:+--package0 \"$DMCT_PKG0_FILE\"}} \
         --server-id {SERVER_ID} --server-user {SRV_USER} --server-secret {SRV_SECRET} \
         --client-user {CLI_USER} --client-secret {CLI_SECRET} --auth md5 \
         --nonce {n} >/dev/null 2>&1",
        bin = env!("CARGO_BIN_EXE_dmct"),
        n = nonce_b64(),
    );
    let args = with_account(
        &["run", "--serve", "127.0.0.1:0", "--redact"],
        &[
            "--exec",
            &device,
            "--wait",
            "20",
            "--idle",
            "0.3",
            "--case",
            "session/package0",
            "--case",
            "session/get-replace",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    clean_run("run --serve --exec", &out, &o);

    // A command that fails, echoing a secret: why the device could not be woken is
    // in the report and on the terminal, without the command or what it printed.
    let out = out_dir("redact-serve-failing");
    let failing = format!("echo {CLI_SECRET} {SRV_SECRET} >&2; exit 3");
    let pkg0_nonce = format!("b64:{}", B64.encode(PKG0_NONCE));
    let args = with_account(
        &["run", "--serve", "127.0.0.1:0", "--redact"],
        &[
            "--pkg0-nonce",
            &pkg0_nonce,
            "--exec",
            &failing,
            "--wait",
            "1",
            "--case",
            "session/get-replace",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let o = run(&args);
    assert!(o.status.code().is_some(), "{}", text(&o));
    assert!(text(&o).contains("exit"), "{}", text(&o));
    clean_run("run --serve with a failing --exec", &out, &o);
}

/// `run --target-server` against `peer server` holding the secrets (one that puts a
/// Cred inside a command), then `export --redact` of its failing case and `check` of
/// the redacted transcripts and vector.
#[test]
fn run_target_server_export_and_check_leak_nothing() {
    let server_args = with_account(&[], &["--fault", "cred-in-command"]);
    let sa: Vec<&str> = server_args.iter().map(String::as_str).collect();
    let server = peer_server(&sa);
    let out = out_dir("redact-target");
    let args = with_account(
        &["run", "--target-server", &server.url, "--redact"],
        &[
            "--case",
            "session/get-replace",
            "--case",
            "auth/hmac",
            "--case",
            "session/every-command",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let o = run(&args);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    clean_run("run --target-server", &out, &o);

    let vector = out.join("exported.json");
    let e = dmct(&[
        "export",
        "session/every-command",
        "--from",
        out.to_str().unwrap(),
        "--redact",
        "--out",
        vector.to_str().unwrap(),
    ]);
    assert_eq!(e.status.code(), Some(0), "{}", text(&e));
    clean_run("export", &out, &e);

    let mut files = vec![vector.to_str().unwrap().to_owned()];
    let mut found = Vec::new();
    files_under(&out.join("transcripts"), &mut found);
    files.extend(found.iter().map(|p| p.to_str().unwrap().to_owned()));
    // Its reports go under the run's directory, so that they are searched too.
    let checked = out.join("checked").to_str().unwrap().to_owned();
    let c = run(&[vec!["check".to_owned(), "--out".to_owned(), checked], files].concat());
    assert!(matches!(c.status.code(), Some(0 | 1)), "{}", text(&c));
    clean_run("check", &out, &c);
}

/// `drive` with HMAC (the x-syncml-hmac header) against `peer server`.
#[test]
fn drive_leaks_nothing() {
    let server_args = with_account(&[], &[]);
    let sa: Vec<&str> = server_args.iter().map(String::as_str).collect();
    let server = peer_server(&sa);
    for auth in ["hmac", "md5", "basic"] {
        let out = out_dir(&format!("redact-drive-{auth}"));
        let mut args = with_account(&["drive", &server.url, "--redact"], &[]);
        let at = args.iter().position(|a| a == "md5").unwrap();
        args[at] = auth.to_owned();
        args.extend(["--out".to_owned(), out.to_str().unwrap().to_owned()]);
        let o = run(&args);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{auth}: {}",
            text(&o)
        );
        clean_run(&format!("drive --auth {auth}"), &out, &o);
    }
}

/// `proxy` between `peer client` and `peer server`, three sessions (Basic, MD5,
/// HMAC).
#[test]
fn proxy_leaks_nothing() {
    let server_args = with_account(&[], &[]);
    let sa: Vec<&str> = server_args.iter().map(String::as_str).collect();
    let server = peer_server(&sa);
    let out = out_dir("redact-proxy");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmct"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &server.url,
        ])
        // The server ends each session, so --idle only decides whether a client a loaded
        // machine pauses between packages still counts as one session: generous.
        .args(["--redact", "--sessions", "3", "--idle", "10"])
        .args(["--client-user", CLI_USER, "--client-secret", CLI_SECRET])
        .args(["--out", out.to_str().unwrap()])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stderr = String::new();
    let url = loop {
        let line = lines.next().expect("proxy output").unwrap();
        stderr.push_str(&line);
        stderr.push('\n');
        if let Some(rest) = line.strip_prefix("dmct: proxy at ") {
            break rest.split(" -> ").next().unwrap().trim().to_owned();
        }
    };
    let rest = std::thread::spawn(move || {
        lines
            .map_while(Result::ok)
            .map(|l| l + "\n")
            .collect::<String>()
    });
    for auth in ["basic", "md5", "hmac"] {
        let args = with_account(&["peer", "client", "--url", &url], &[]);
        let mut args = args;
        let at = args.iter().position(|a| a == "md5").unwrap();
        args[at] = auth.to_owned();
        let c = run(&args);
        assert_eq!(c.status.code(), Some(0), "{auth}: {}", text(&c));
    }
    let o = child.wait_with_output().unwrap();
    stderr.push_str(&rest.join().unwrap());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{stderr}");
    assert_clean("proxy", &out, &[&o.stdout, stderr.as_bytes()]);
}

/// The search finds what `--redact` removes: the same drive without it shows secrets.
#[test]
fn the_search_finds_secrets_without_redact() {
    let server_args = with_account(&[], &[]);
    let sa: Vec<&str> = server_args.iter().map(String::as_str).collect();
    let server = peer_server(&sa);
    for (auth, want) in [
        ("basic", "Basic"),
        ("md5", "MD5 digest"),
        ("hmac", "HMAC mac"),
    ] {
        let out = out_dir(&format!("redact-control-{auth}"));
        let mut args = with_account(&["drive", &server.url], &[]);
        let at = args.iter().position(|a| a == "md5").unwrap();
        args[at] = auth.to_owned();
        args.extend(["--out".to_owned(), out.to_str().unwrap().to_owned()]);
        let o = run(&args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
        let mut files = Vec::new();
        files_under(&out, &mut files);
        let all: Vec<u8> = files
            .iter()
            .flat_map(|f| std::fs::read(f).unwrap())
            .collect();
        let mut secrets = secrets();
        secrets.extend(macs(&files));
        let found = hits(&all, &secrets);
        assert!(
            found.iter().any(|h| h.starts_with(want)),
            "{auth}: {found:?}"
        );
    }
}
