//! dmct as `cargo test`: every scenario case and every transcript vector is a test of
//! its own (filterable, `--list`, nextest-friendly).
//!
//! - `vector::<rule>::<file>`: the checker gives the labelled verdict on a committed
//!   transcript vector of `testcases/vectors/rules/`.
//! - `vectors::up-to-date`: regenerating the vectors changes no byte.
//! - `vectors::coverage`: every rule has a conforming and a violating vector.
//! - `case::<role>::<scenario>::<peer>`: a scenario over loopback HTTP against a
//!   built-in peer; conformant peers must pass, faulty ones must fail the rules the
//!   scenario expects of them.
//! - `target::server::<scenario>` when `DMCT_TARGET_SERVER=URL` is set: the scenario
//!   against that DM server (`DMCT_USER`, `DMCT_SECRET`, `DMCT_AUTH`,
//!   `DMCT_SERVER_SECRET`, `DMCT_CA_FILE`, `DMCT_INSECURE=1`).
//! - `target::client::<scenario>` when `DMCT_SERVE=ADDR` is set: dmct listens on ADDR
//!   for the device, waking it with `DMCT_EXEC` (a shell command given the Package 0,
//!   as `dmct run --exec`); run with `--test-threads 1`, one listener at a time.
//!
//! A target case passes when its verdict is pass; inconclusive fails it too (a case
//! that observed nothing must not look green) unless `DMCT_ALLOW_INCONCLUSIVE=1`.

use dmct_rules::{Role, Verdict};
use dmct_session::{ClientFault, ServerFault};
use dmct_suite::vectors::{self, RuleVector};
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors/rules")
}

fn committed_vectors() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let Ok(rules) = std::fs::read_dir(vectors_dir()) else {
        return files;
    };
    for rule_dir in rules.flatten() {
        let Ok(entries) = std::fs::read_dir(rule_dir.path()) else {
            continue;
        };
        for f in entries.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                files.push((p, text));
            }
        }
    }
    files.sort();
    files
}

fn vector_trial(path: &Path, text: String) -> Trial {
    let name = path
        .strip_prefix(vectors_dir())
        .unwrap_or(path)
        .with_extension("")
        .display()
        .to_string()
        .replace('/', "::");
    Trial::test(format!("vector::{name}"), move || {
        let v: RuleVector =
            serde_json::from_str(&text).map_err(|e| format!("unreadable vector: {e}"))?;
        let rule = dmct_rules::rule(&v.rule).ok_or_else(|| format!("unknown rule {}", v.rule))?;
        let view = dmct_rules::View::new(&v.transcript);
        let f = dmct_rules::judge(rule, &view, v.role);
        if f.verdict != v.expected {
            return Err(format!(
                "{}: expected {}, checker says {} ({})",
                v.rule, v.expected, f.verdict, f.detail
            )
            .into());
        }
        Ok(())
    })
}

/// Every file below `testcases/vectors/`, path relative to it.
fn all_committed() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if let (Ok(rel), Ok(bytes)) = (p.strip_prefix(base), std::fs::read(&p)) {
                out.push((rel.display().to_string(), bytes));
            }
        }
    }
    let base = vectors_dir().join("..");
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out.sort();
    out
}

fn up_to_date_trial() -> Trial {
    Trial::test("vectors::up-to-date", || {
        let scenarios = dmct_suite::scenario::builtin().map_err(|e| e.to_string())?;
        let generated = vectors::all_files(&scenarios, &dmct_test_support::names::names_for);
        let committed = all_committed();
        let mut problems = Vec::new();
        for (path, bytes) in &generated {
            match committed.iter().find(|(p, _)| p == path) {
                Some((_, b)) if b == bytes => {}
                Some(_) => problems.push(format!("{path} differs")),
                None => problems.push(format!("{path} missing")),
            }
        }
        for (path, _) in &committed {
            if !generated.iter().any(|(p, _)| p == path) {
                problems.push(format!("{path} is not generated any more"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!("run `cargo xtask vectors`: {}", problems.join("; ")).into())
        }
    })
}

fn coverage_trial() -> Trial {
    Trial::test("vectors::coverage", || {
        let all: Vec<RuleVector> = committed_vectors()
            .into_iter()
            .filter_map(|(_, t)| serde_json::from_str(&t).ok())
            .collect();
        let mut missing = Vec::new();
        for r in dmct_rules::CATALOG {
            let id = &r.info().id;
            for want in [Verdict::Pass, Verdict::Fail] {
                if !all.iter().any(|v| v.rule == *id && v.expected == want) {
                    missing.push(format!("{id} has no {want} vector"));
                }
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing.join("; ").into())
        }
    })
}

fn case_trials() -> Vec<Trial> {
    let Ok(scenarios) = dmct_suite::scenario::builtin() else {
        return vec![Trial::test("case::scenarios-load", || {
            dmct_suite::scenario::builtin()
                .map(|_| ())
                .map_err(|e| Failed::from(e.to_string()))
        })];
    };
    let mut trials = Vec::new();
    for s in scenarios {
        for &role in &s.roles {
            let mut variants: Vec<Option<String>> = vec![None];
            variants.extend(
                s.expect
                    .faults
                    .keys()
                    .filter(|f| match role {
                        Role::Client => ClientFault::from_name(f).is_some(),
                        Role::Server => ServerFault::from_name(f).is_some(),
                    })
                    .cloned()
                    .map(Some),
            );
            for fault in variants {
                let peer = fault.clone().unwrap_or_else(|| "conformant".into());
                let name = format!("case::{}::{}::{peer}", role, s.id.replace('/', "::"));
                let s = s.clone();
                trials.push(Trial::test(name, move || {
                    run_case(&s, role, fault.as_deref())
                }));
            }
        }
    }
    trials
}

fn run_case(s: &dmct_suite::Scenario, role: Role, fault: Option<&str>) -> Result<(), Failed> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let opts = dmct_suite::Options::default();
    let run = rt
        .block_on(async {
            match role {
                Role::Client => {
                    let faults: BTreeSet<_> =
                        fault.and_then(ClientFault::from_name).into_iter().collect();
                    dmct_suite::runner::run_builtin_client(s, &faults, &opts).await
                }
                Role::Server => {
                    let faults: BTreeSet<_> =
                        fault.and_then(ServerFault::from_name).into_iter().collect();
                    dmct_suite::runner::run_builtin_server(s, &faults, &opts).await
                }
            }
        })
        .map_err(|e| e.to_string())?;
    let result = dmct_suite::judge(&run);
    let summary = || {
        result
            .findings
            .iter()
            .map(|f| format!("{} {}: {}", f.verdict, f.rule, f.detail))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match fault {
        None if result.verdict == dmct_report::CaseVerdict::Pass => Ok(()),
        None => Err(format!("the conformant peer did not pass:\n{}", summary()).into()),
        Some(f) => {
            let expected = &s.expect.faults[f];
            let missed: Vec<_> = expected
                .iter()
                .filter(|r| {
                    !result
                        .findings
                        .iter()
                        .any(|x| &x.rule == *r && x.verdict == Verdict::Fail)
                })
                .collect();
            if missed.is_empty() {
                Ok(())
            } else {
                Err(format!("fault {f} was not caught by {missed:?}:\n{}", summary()).into())
            }
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn target_options() -> Result<dmct_suite::Options, Failed> {
    let client_tls = match (env("DMCT_CA_FILE"), env("DMCT_INSECURE")) {
        (Some(f), _) => Some(dmct_net::ClientTls::from_ca_file(f).map_err(|e| e.to_string())?),
        (None, Some(_)) => Some(dmct_net::ClientTls::insecure().map_err(|e| e.to_string())?),
        (None, None) => None,
    };
    let mut opts = dmct_suite::Options {
        client_tls,
        ..Default::default()
    };
    if let Some(s) = env("DMCT_WAIT") {
        opts.wait_first =
            std::time::Duration::from_secs(s.parse().map_err(|_| "DMCT_WAIT: seconds")?);
    }
    Ok(opts)
}

fn judge_target(run: &dmct_suite::CaseRun) -> Result<(), Failed> {
    let result = dmct_suite::judge(run);
    let lines = result
        .findings
        .iter()
        .filter(|f| f.verdict != Verdict::Pass)
        .map(|f| {
            format!(
                "{} {} [{} {}]: {}",
                f.verdict, f.rule, f.level, f.clause, f.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    match result.verdict {
        dmct_report::CaseVerdict::Pass => Ok(()),
        dmct_report::CaseVerdict::Inconclusive if env("DMCT_ALLOW_INCONCLUSIVE").is_some() => {
            Ok(())
        }
        v => Err(format!("{}: {}\n{lines}", v.as_str(), result.id).into()),
    }
}

/// Cases against an external implementation named by environment variables.
fn target_trials() -> Vec<Trial> {
    let Ok(scenarios) = dmct_suite::scenario::builtin() else {
        return Vec::new();
    };
    let mut trials = Vec::new();
    if let Some(url) = env("DMCT_TARGET_SERVER") {
        for s in scenarios.iter().filter(|s| s.roles.contains(&Role::Server)) {
            let s = s.clone();
            let url = url.clone();
            trials.push(Trial::test(
                format!("target::server::{}", s.id.replace('/', "::")),
                move || {
                    let target = dmct_suite::TargetServer {
                        url,
                        creds: dmct_proto::auth::Credentials {
                            user: env("DMCT_USER").unwrap_or_else(|| "dmct-client".into()),
                            secret: env("DMCT_SECRET")
                                .unwrap_or_else(|| "dmct-client-secret".into()),
                        },
                        scheme: env("DMCT_AUTH")
                            .map(|a| a.parse())
                            .transpose()
                            .map_err(|e| format!("DMCT_AUTH: {e}"))?,
                        unprompted: true,
                        nonce: Some(dmct_proto::auth::Nonce::resync()),
                        server_creds: env("DMCT_SERVER_SECRET").map(|secret| {
                            dmct_proto::auth::Credentials {
                                user: env("DMCT_SERVER_USER")
                                    .unwrap_or_else(|| "dmct-server".into()),
                                secret,
                            }
                        }),
                        probes: Vec::new(),
                    };
                    let opts = target_options()?;
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    let run =
                        rt.block_on(dmct_suite::runner::run_external_server(&s, &target, &opts));
                    judge_target(&run)
                },
            ));
        }
    }
    if let Some(addr) = env("DMCT_SERVE") {
        for s in scenarios.iter().filter(|s| s.roles.contains(&Role::Client)) {
            let s = s.clone();
            let addr = addr.clone();
            trials.push(Trial::test(
                format!("target::client::{}", s.id.replace('/', "::")),
                move || {
                    let addr: std::net::SocketAddr =
                        addr.parse().map_err(|e| format!("DMCT_SERVE: {e}"))?;
                    let opts = target_options()?;
                    let trigger = env("DMCT_EXEC").map(|command| dmct_suite::runner::Trigger {
                        command,
                        dir: std::env::temp_dir().join("dmct-package0"),
                        package0: true,
                    });
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    let run = rt.block_on(async {
                        let srv =
                            dmct_suite::ExternalServer::bind(addr, env("DMCT_PUBLIC_URL"), &opts)
                                .await
                                .map_err(|e| format!("{e} (run with --test-threads 1)"))?;
                        let run = srv.run_case(&s, &opts, trigger.as_ref()).await;
                        srv.shutdown().await;
                        Ok::<_, String>(run)
                    })?;
                    judge_target(&run)
                },
            ));
        }
    }
    trials
}

fn vectors_root() -> PathBuf {
    vectors_dir().join("..")
}

fn json_files(sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(vectors_root().join(sub))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p: &PathBuf| p.extension().is_some_and(|x| x == "json"));
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Run a vector's shell command (printf, base64, openssl) in a scratch directory.
fn shell(cmd: &str, scratch: &str) -> Result<String, Failed> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("vector-shell")
        .join(scratch);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{cmd}` failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn auth_trial(path: PathBuf) -> Trial {
    Trial::test(format!("vector::auth::{}", stem(&path)), move || {
        use dmct_proto::auth::*;
        let v: dmct_suite::protovectors::AuthVector =
            serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let independent = shell(&v.shell, &v.name)?;
        if independent != v.expected {
            return Err(format!(
                "the shell computes {independent}, the vector says {}",
                v.expected
            )
            .into());
        }
        let c = Credentials {
            user: v.user.clone(),
            secret: v.secret.clone(),
        };
        let nonce = v
            .nonce_b64
            .as_deref()
            .map(Nonce::from_b64)
            .transpose()
            .map_err(|e| e.to_string())?;
        match v.scheme {
            Scheme::Hmac => {
                let body = v.body.clone().unwrap_or_default();
                let n = nonce.map(|n| n.0).unwrap_or_default();
                if hmac_mac(&c, &n, body.as_bytes()) != v.expected {
                    return Err("dmct's mac differs".into());
                }
            }
            scheme => verify(scheme, &v.expected, &c, nonce.as_ref()).map_err(|e| e.to_string())?,
        }
        Ok(())
    })
}

fn package0_trial(path: PathBuf) -> Trial {
    Trial::test(format!("vector::package0::{}", stem(&path)), move || {
        let v: dmct_suite::protovectors::Package0Vector =
            serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let independent = shell(&v.shell, &v.name)?;
        if independent != v.digest_hex {
            return Err(format!(
                "the shell computes {independent}, the vector says {}",
                v.digest_hex
            )
            .into());
        }
        let bin = std::fs::read(path.with_file_name(&v.bin)).map_err(|e| e.to_string())?;
        let p = dmct_proto::package0::decode(&bin).map_err(|e| e.to_string())?;
        let n = &p.notification;
        let got = (
            n.server_id.as_str(),
            n.session_id,
            n.session_id_hex(),
            n.ui_mode as u8,
            n.initiator as u8,
            n.version,
        );
        let want = (
            v.server_id.as_str(),
            v.session_id,
            v.session_id_hex.clone(),
            v.ui_mode,
            v.initiator,
            // [NOT] §6.2.6's '0000001011', written out so a changed constant shows here.
            0b00_0000_1011,
        );
        if got != want {
            return Err(format!("decoded {got:?}, the vector says {want:?}").into());
        }
        let nonce: Vec<u8> = (0..v.nonce_hex.len() / 2)
            .map(|i| u8::from_str_radix(&v.nonce_hex[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect();
        if !p.verify(&v.password, &nonce) {
            return Err("the digest does not verify".into());
        }
        Ok(())
    })
}

fn tool(name: &str, args: &[&str]) -> Result<(), Failed> {
    let out = std::process::Command::new(name)
        .args(args)
        .output()
        .map_err(|e| format!("{name} is needed (apt-get install libwbxml2-utils): {e}"))?;
    if !out.status.success() {
        return Err(format!("{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(())
}

fn codec_trial(path: PathBuf) -> Trial {
    Trial::test(format!("vector::codec::{}", stem(&path)), move || {
        use dmct_proto::{wbxml, xml};
        let v: dmct_suite::protovectors::CodecVector =
            serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let xml_path = path.with_file_name(&v.xml);
        let wbxml_path = path.with_file_name(&v.wbxml);
        let from_xml = xml::decode(&std::fs::read(&xml_path).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?
            .message;
        let from_wbxml = wbxml::decode(&std::fs::read(&wbxml_path).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?
            .message;
        if from_xml != from_wbxml {
            return Err("the .xml and .wbxml files decode to different messages".into());
        }
        // libwbxml, independently: its WBXML of our XML, and its XML of our WBXML.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("codec-oracle");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let theirs_wbxml = dir.join(format!("{}.wbxml", v.name));
        let theirs_xml = dir.join(format!("{}.xml", v.name));
        tool(
            "xml2wbxml",
            &[
                "-o",
                &theirs_wbxml.display().to_string(),
                &xml_path.display().to_string(),
            ],
        )?;
        tool(
            "wbxml2xml",
            &[
                "-m",
                "0",
                "-o",
                &theirs_xml.display().to_string(),
                &wbxml_path.display().to_string(),
            ],
        )?;
        let a = wbxml::decode(&std::fs::read(&theirs_wbxml).map_err(|e| e.to_string())?)
            .map_err(|e| format!("libwbxml's WBXML: {e}"))?
            .message;
        let b = xml::decode(&std::fs::read(&theirs_xml).map_err(|e| e.to_string())?)
            .map_err(|e| format!("libwbxml's XML: {e}"))?
            .message;
        if a != from_xml {
            return Err("dmct reads libwbxml's WBXML as a different message".into());
        }
        if b != from_xml {
            return Err("libwbxml reads dmct's WBXML as a different message".into());
        }
        Ok(())
    })
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(json_files("auth").into_iter().map(auth_trial));
    trials.extend(json_files("package0").into_iter().map(package0_trial));
    trials.extend(json_files("codec").into_iter().map(codec_trial));
    for (path, text) in committed_vectors() {
        trials.push(vector_trial(&path, text));
    }
    trials.push(up_to_date_trial());
    trials.push(coverage_trial());
    trials.extend(case_trials());
    trials.extend(target_trials());
    libtest_mimic::run(&args, trials).exit();
}
