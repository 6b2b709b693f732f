//! Reading without running: `check` of recorded transcripts (judged by
//! `dmct_suite::check`), `decode`, `encode` and `list`.

use crate::*;

/// `dmct check`: judge each file, list its findings as it goes, then write the same
/// reports as `run` to `out` and exit as `run` does.
pub(crate) fn check(
    files: &[PathBuf],
    profile: &dmct_rules::Profile,
    out: &Path,
) -> Result<ExitCode> {
    let report = dmct_suite::check::check(files, profile, out, &mut |l| println!("{l}"))?;
    print_report(out, &report);
    let verdicts = report.cases.iter().map(|c| c.verdict);
    Ok(decide(&Ending::of(verdicts)).into())
}

/// `dmct decode` and `dmct encode`.
pub(crate) fn codec(command: Codec) -> Result<ExitCode> {
    match command {
        Codec::Decode { file } => {
            use std::io::Write as _;
            let bytes = read_bytes(&file)?;
            let mut out = std::io::stdout().lock();
            // Streamed without a tree where it can be; the tree path otherwise,
            // which also names what is wrong with a bad message.
            if !dmct_proto::stream::write_wire_text(&bytes, &mut out)
                .context("cannot write to standard output")?
            {
                let msg = decode_message(&file, &bytes)?;
                drop(bytes);
                out.write_all(msg.wire_text().as_bytes())
                    .context("cannot write to standard output")?;
            }
            out.flush().context("cannot write to standard output")?;
            Ok(ExitCode::SUCCESS)
        }
        Codec::Encode { file, wbxml, .. } => {
            let bytes = read_bytes(&file)?;
            let streamed = if wbxml {
                dmct_proto::stream::xml_to_wbxml(&bytes)
            } else {
                None
            };
            let encoded = match streamed {
                Some(b) => b,
                None => {
                    let msg = decode_message(&file, &bytes)?;
                    let encoding = if wbxml {
                        dmct_proto::xml::Encoding::Wbxml
                    } else {
                        dmct_proto::xml::Encoding::Xml
                    };
                    dmct_proto::encode(&msg.message, encoding)
                }
            };
            use std::io::Write as _;
            std::io::stdout()
                .write_all(&encoded)
                .context("cannot write to standard output")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Decode the message read from `file`, with the error `dmct` gives for a bad one.
pub(crate) fn decode_message(file: &Path, bytes: &[u8]) -> Result<dmct_proto::xml::Decoded> {
    dmct_proto::decode(bytes)
        .with_context(|| format!("{} is not a SyncML DM message", file.display()))
}

/// The bytes of a file or of standard input ("-").
pub(crate) fn read_bytes(file: &Path) -> Result<Vec<u8>> {
    Ok(if file.as_os_str() == "-" {
        use std::io::Read as _;
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?
    })
}

pub(crate) fn list(what: ListWhat, json: bool, coverage: bool) -> Result<ExitCode> {
    match what {
        ListWhat::Rules if coverage => {
            let rules = dmct_suite::coverage::rules(&dmct_suite::scenario::builtin()?);
            let clauses = dmct_suite::coverage::by_clause(&rules);
            if json {
                let v = serde_json::json!({ "clauses": clauses, "rules": rules });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{:<36} {:>10} {:>8} {:>11} {:>12} {:>12}",
                    "clause",
                    "statements",
                    "testable",
                    "implemented",
                    "with vectors",
                    "caught fault"
                );
                for c in &clauses {
                    println!(
                        "{:<36} {:>10} {:>8} {:>11} {:>12} {:>12}",
                        c.clause,
                        c.statements,
                        c.testable,
                        c.implemented,
                        c.with_vectors,
                        c.with_caught_fault
                    );
                }
                let testable: Vec<_> = rules
                    .iter()
                    .filter(|r| r.status == dmct_rules::RuleStatus::Testable)
                    .collect();
                let complete = testable.iter().filter(|r| r.complete()).count();
                println!(
                    "{complete} of {} testable rules have a check, vectors both ways and a \
                     caught fault",
                    testable.len()
                );
                for r in testable.iter().filter(|r| !r.complete()) {
                    println!("  incomplete: {}", r.id);
                }
            }
        }
        ListWhat::Rules => {
            let all = dmct_rules::statements();
            if json {
                println!("{}", serde_json::to_string_pretty(all)?);
            } else {
                for i in all {
                    let status = match i.status {
                        dmct_rules::RuleStatus::Testable => String::new(),
                        dmct_rules::RuleStatus::Untestable => "\tuntestable".into(),
                        dmct_rules::RuleStatus::Deprecated => format!(
                            "\tdeprecated{}",
                            i.replaced_by
                                .as_ref()
                                .map(|r| format!(" (now {r})"))
                                .unwrap_or_default()
                        ),
                    };
                    let unconfirmed = if i.unconfirmed.is_some() {
                        "\t(clause unconfirmed)"
                    } else {
                        ""
                    };
                    println!(
                        "{}\t{}\t{}\t{}{status}{unconfirmed}",
                        i.id, i.level, i.binds, i.clause
                    );
                }
            }
        }
        ListWhat::Scenarios => {
            for s in dmct_suite::scenario::builtin()? {
                let roles: Vec<_> = s.roles.iter().map(|r| r.as_str()).collect();
                println!("{}\t{}\t{}", s.id, roles.join(","), s.title);
            }
        }
        ListWhat::Cases => {
            let mut cases = Vec::new();
            for sc in dmct_suite::scenario::builtin()? {
                for &role in &sc.roles {
                    cases.push(serde_json::json!({
                        "case": sc.id,
                        "role": role,
                        "title": sc.title,
                        "rules": dmct_suite::vectors::expected_passes(&sc, role),
                        "faults": sc.expect.faults.keys().collect::<Vec<_>>(),
                    }));
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&cases)?);
            } else {
                for c in &cases {
                    println!(
                        "{}\t{}\t{}",
                        c["case"].as_str().unwrap_or(""),
                        c["role"].as_str().unwrap_or(""),
                        c["title"].as_str().unwrap_or("")
                    );
                }
            }
        }
        ListWhat::Mutations => {
            for m in dmct_proxy::Mutation::ALL {
                println!(
                    "{}\t{}\tprovokes {}",
                    m.name(),
                    m.describe(),
                    m.provokes().join(", ")
                );
            }
        }
        ListWhat::Faults => {
            for f in dmct_session::ClientFault::ALL {
                println!(
                    "client\t{}\t{}\tbreaks {}",
                    f.name(),
                    f.describe(),
                    f.breaks().join(", ")
                );
            }
            for f in dmct_session::ServerFault::ALL {
                println!(
                    "server\t{}\t{}\tbreaks {}",
                    f.name(),
                    f.describe(),
                    f.breaks().join(", ")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
