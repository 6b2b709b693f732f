//! Reading without running: `check` of recorded transcripts, `decode` and `list`.

use crate::*;

/// `dmct check`: judge each file, list its findings as it goes, then write the same
/// reports as `run` to `out` (one case per file and role judged) and exit as `run` does.
pub(crate) fn check(
    files: &[PathBuf],
    profile: &dmct_rules::Profile,
    out: &Path,
) -> Result<ExitCode> {
    let started = Instant::now();
    let started_at = dmct_net::wall_clock();
    let mut cases = Vec::new();
    // Every file read first, then decoded once: the checker judges the decoded bodies
    // and the HTML report shows them, so they are held until the reports are written.
    let mut read = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        // A transcript, or a vector (`dmct export`, testcases/vectors/rules) holding one;
        // an editor's UTF-8 byte order mark is no reason to refuse it.
        let json = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // A transcript is read straight into its type: through a JSON value first, a
        // long one costs several times its size in allocations (and time). A vector,
        // or anything else, takes the general path and its error messages.
        let (t, expected) = match serde_json::from_str(json) {
            Ok(t) => (t, None),
            Err(_) => {
                let mut value: serde_json::Value = serde_json::from_str(json)
                    .with_context(|| format!("{} is not JSON", f.display()))?;
                let expected = value.get("vector_format").map(|_| {
                    (
                        value["rule"].as_str().unwrap_or("").to_owned(),
                        value["expected"].as_str().unwrap_or("").to_owned(),
                    )
                });
                let t: dmct_proto::transcript::Transcript =
                    serde_json::from_value(match value.get_mut("transcript") {
                        Some(t) => t.take(),
                        None => value,
                    })
                    .with_context(|| format!("{} is not a dmct transcript", f.display()))?;
                (t, expected)
            }
        };
        // Neither the text nor a copy of the value outlives the parse: a large body
        // would be held once more for each.
        drop(text);
        // A Package 0 alone is something to judge (a device refused it: no exchange).
        if t.exchanges.is_empty() && t.package0.is_none() {
            bail!(
                "{} holds no exchanges and no Package 0: there is nothing to judge",
                f.display()
            );
        }
        read.push((f, t, expected));
    }
    let views: Vec<dmct_rules::View> = read
        .iter()
        .map(|(_, t, _)| dmct_rules::View::new(t))
        .collect();
    // `owner[i]` is the view of `cases[i]` (a file's roles share it).
    let mut owner = Vec::new();
    for (held, ((f, _, expected), view)) in read.iter().zip(&views).enumerate() {
        let t = view.transcript;
        let decoded = |e: &dmct_rules::ExchangeView| {
            e.request.is_ok() || e.response.as_ref().is_some_and(|r| r.is_ok())
        };
        if !t.exchanges.is_empty() && !view.exchanges.iter().any(decoded) {
            bail!(
                "{} is not a DM session: none of its {} exchange(s) carries a SyncML DM \
                 message, in XML or WBXML",
                f.display(),
                t.exchanges.len()
            );
        }
        // The client's DevInfo for the report, from its first request.
        let identity = view
            .exchanges
            .first()
            .and_then(|e| e.request.as_ref().ok())
            .map(dmct_suite::runner::identity_in)
            .unwrap_or_default();
        println!("{}:", f.display());
        // Judged once; each role's case below starts from the same findings.
        let checked = dmct_rules::check_view(view);
        let authentication = dmct_suite::runner::authentication_in(view);
        let mut all = checked.clone();
        let waived = profile.apply(&mut all);
        let findings: Vec<_> = all
            .into_iter()
            .filter(|x| x.verdict != dmct_rules::Verdict::NotApplicable || waived.contains(&x.rule))
            .collect();
        for x in &findings {
            print!(
                "  {} {} [{} {}, {}]",
                x.verdict, x.rule, x.role, x.level, x.clause
            );
            if let Some(i) = x.exchange {
                print!(" @ exchange {i}");
            }
            println!();
            if x.verdict != dmct_rules::Verdict::Pass {
                println!("      {}", x.detail);
            }
        }
        if let Some((rule, want)) = &expected {
            let got = findings
                .iter()
                .filter(|x| &x.rule == rule)
                .map(|x| x.verdict.as_str())
                .max_by_key(|v| match *v {
                    "fail" => 3,
                    "inconclusive" => 2,
                    "pass" => 1,
                    _ => 0,
                })
                .unwrap_or("not-applicable");
            println!(
                "  vector: {rule} expected {want}, checker says {got}: {}",
                if got == want {
                    "reproduced"
                } else {
                    "NOT REPRODUCED"
                }
            );
        }
        // The report judges each role the file's findings are about as `run` judges a
        // case: the same rules, profile and verdict (nothing observed is never a pass).
        let mut roles: Vec<dmct_rules::Role> = findings.iter().map(|x| x.role).collect();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            roles.push(dmct_rules::Role::Client);
        }
        let id = f.display().to_string();
        let title = match &expected {
            Some((rule, want)) => format!("recorded transcript: vector of {rule}, expected {want}"),
            None => "recorded transcript".to_owned(),
        };
        // Where the report points for the transcript: the file judged, not a copy.
        let path = std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf());
        let mut scenario = dmct_suite::Scenario {
            id,
            title,
            roles: Vec::new(),
            rules: Vec::new(),
            client: Default::default(),
            server: Default::default(),
            expect: Default::default(),
        };
        let mut peer = dmct_report::Peer {
            name: "recorded".into(),
            faults: Vec::new(),
            identity: Vec::new(),
        };
        for role in roles {
            scenario.roles = vec![role];
            // A client's DevInfo names the device only when the client is under test.
            peer.identity = match role {
                dmct_rules::Role::Client => identity.clone(),
                dmct_rules::Role::Server => Vec::new(),
            };
            let run = dmct_suite::runner::CaseRef {
                scenario: &scenario,
                role,
                peer: &peer,
                transcript: t,
            };
            let mut case = dmct_suite::runner::judge_checked_with(
                run,
                profile,
                checked.clone(),
                authentication.clone(),
            );
            case.transcript = Some(path.display().to_string());
            cases.push(case);
            owner.push(held);
        }
    }
    let mut report = dmct_suite::report_of(
        "check",
        cases,
        elapsed_ms(started),
        profile,
        dmct_suite::peers::FIXED_SEED,
    );
    report.time = Some(dmct_net::span_since(started_at));
    // No reference peer played and nothing was drawn: no seed says anything here.
    report.seeds.clear();
    let shown: Vec<_> = owner.iter().map(|&i| &views[i]).collect();
    println!();
    // Made (and probed) only now: a file that cannot be read leaves no directory behind.
    output::check_dir(out)?;
    output::write_reports_decoded(out, &report, &shown)?;
    print_report(out, &report);
    let verdicts = report.cases.iter().map(|c| c.verdict);
    Ok(decide(&Ending::of(verdicts)).into())
}

/// `dmct decode` and `dmct encode`.
pub(crate) fn codec(command: Command) -> Result<ExitCode> {
    match command {
        Command::Decode { file } => {
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
        Command::Encode { file, wbxml, .. } => {
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
        _ => bail!("only decode and encode are codec commands"),
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
