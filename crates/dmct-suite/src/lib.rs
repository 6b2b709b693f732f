//! The dmct suite: scenarios from `testcases/`, the runner that plays them against
//! built-in or external peers over HTTP (or in memory), and the runs the CLI offers:
//! [`run_builtin`], [`selftest`], and writing their outputs. The work of the CLI's
//! commands is here too, with its tests, so the binary only parses and dispatches:
//! [`gate`] and [`exit`] (what a run's exit code is), [`export`], [`serve`] (`run
//! --serve`'s loop), [`proxied`] (the proxy's sessions as cases), [`merge`], [`matrix`],
//! [`check`] and [`by_hand`] (`dmct peer`). Nothing here prints: lines for people go
//! through a callback.

pub mod baseline;
pub mod by_hand;
pub mod check;
pub mod coverage;
pub mod deviations;
pub mod ending;
pub mod exit;
pub mod export;
pub mod gate;
pub mod gated;
pub mod interrupted;
pub mod matrix;
pub mod merge;
pub mod one_session;
pub mod output;
pub mod partition;
pub mod peers;
pub mod probe;
pub mod protovectors;
pub mod proxied;
pub mod redact;
pub mod runner;
pub mod scenario;
pub mod select;
pub mod serve;
pub mod vectors;

pub use runner::{CaseRun, ExternalServer, Options, RunError, TargetServer, judge};
pub use scenario::Scenario;

use dmct_report::{
    CaseResult, CaseVerdict, FaultCheck, HarnessFailure, RunReport, Selftest, Summary, Tool,
};
use dmct_rules::{Role, Verdict};
use dmct_session::{ClientFault, ServerFault};
use std::collections::BTreeSet;

/// The catalog the run is judged with: a hash of its TOML (what rules.toml holds).
pub fn catalog_id() -> dmct_report::CatalogId {
    use md5::{Digest, Md5};
    let digest = Md5::digest(dmct_rules::catalog_toml().as_bytes());
    dmct_report::CatalogId {
        md5: digest.iter().map(|b| format!("{b:02x}")).collect(),
        rules: dmct_rules::CATALOG.len(),
    }
}

pub fn tool() -> Tool {
    Tool {
        name: "dmct".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Assemble a report from judged cases.
pub fn report(command: &str, runs: &[CaseRun], duration_ms: u64) -> RunReport {
    report_with(
        command,
        runs,
        duration_ms,
        &dmct_rules::Profile::default(),
        peers::FIXED_SEED,
    )
}

/// [`report`] for a peer with a capability profile, from a run of `seed`.
pub fn report_with(
    command: &str,
    runs: &[CaseRun],
    duration_ms: u64,
    profile: &dmct_rules::Profile,
    seed: u64,
) -> RunReport {
    let names = output::transcript_names(runs);
    let cases: Vec<CaseResult> = runs
        .iter()
        .zip(names)
        .map(|(r, name)| {
            let mut c = runner::judge_with(r, profile);
            c.transcript = Some(format!("transcripts/{name}.json"));
            c
        })
        .collect();
    report_of(command, cases, duration_ms, profile, seed)
}

/// A report of cases judged already (`dmct check` judges recorded transcripts, with no
/// run behind them).
pub fn report_of(
    command: &str,
    cases: Vec<CaseResult>,
    duration_ms: u64,
    profile: &dmct_rules::Profile,
    seed: u64,
) -> RunReport {
    // The device under test as it named itself: the first DevId a case's peer told.
    let device = cases
        .iter()
        .find_map(|c| c.peer.dev_id().map(str::to_owned));
    RunReport {
        schema_version: dmct_report::REPORT_SCHEMA_VERSION,
        tool: tool(),
        command: command.into(),
        interrupted: false,
        summary: Summary::of(&cases),
        cases,
        selftest: None,
        duration_ms,
        catalog: catalog_id(),
        seeds: peers::seeds(seed),
        profile_lacks: profile.lacks.iter().cloned().collect(),
        device,
        time: None,
        partition: None,
    }
}

/// The cases of [`run_builtin`], in its order: every scenario that tests clients, then
/// every scenario that tests servers.
pub fn builtin_plan(scenarios: &[Scenario]) -> Vec<(&Scenario, Role)> {
    scenarios
        .iter()
        .filter(|s| s.roles.contains(&Role::Client))
        .map(|s| (s, Role::Client))
        .chain(server_plan(scenarios))
        .collect()
}

/// The cases of a run against a server ([`run_builtin_servers`],
/// [`run_target_server`]), in its order.
pub fn server_plan(scenarios: &[Scenario]) -> Vec<(&Scenario, Role)> {
    scenarios
        .iter()
        .filter(|s| s.roles.contains(&Role::Server))
        .map(|s| (s, Role::Server))
        .collect()
}

/// The whole suite against the conformant built-in peers, both directions: every
/// scenario that tests clients against the reference client, then every scenario that
/// tests servers against the reference server.
pub async fn run_builtin(scenarios: &[Scenario], opts: &Options) -> Result<Vec<CaseRun>, RunError> {
    run_plan(&builtin_plan(scenarios), opts).await
}

/// Every scenario that tests clients, against the conformant built-in client.
pub async fn run_builtin_clients(
    scenarios: &[Scenario],
    opts: &Options,
) -> Result<Vec<CaseRun>, RunError> {
    let plan: Vec<(&Scenario, Role)> = scenarios
        .iter()
        .filter(|s| s.roles.contains(&Role::Client))
        .map(|s| (s, Role::Client))
        .collect();
    run_plan(&plan, opts).await
}

/// Every scenario that tests servers, against the conformant built-in server.
pub async fn run_builtin_servers(
    scenarios: &[Scenario],
    opts: &Options,
) -> Result<Vec<CaseRun>, RunError> {
    run_plan(&server_plan(scenarios), opts).await
}

async fn run_plan(plan: &[(&Scenario, Role)], opts: &Options) -> Result<Vec<CaseRun>, RunError> {
    let plan = sharded(plan, opts);
    let mut runs = Vec::new();
    for (i, (s, role)) in plan.iter().enumerate() {
        let peer = match role {
            Role::Client => "builtin-client",
            Role::Server => "builtin-server",
        };
        opts.starting(s, *role, peer);
        let run = match role {
            Role::Client => runner::run_builtin_client(s, &BTreeSet::new(), opts).await?,
            Role::Server => runner::run_builtin_server(s, &BTreeSet::new(), opts).await?,
        };
        opts.finished(&run);
        runs.push(run);
        opts.tick(i + 1, plan.len(), &s.id);
    }
    Ok(runs)
}

/// The run's shard of `plan` (`Options::partition`), or all of it.
fn sharded<'a>(plan: &[(&'a Scenario, Role)], opts: &Options) -> Vec<(&'a Scenario, Role)> {
    match opts.partition {
        Some(shard) => shard.of(plan.iter().copied()),
        None => plan.to_vec(),
    }
}

/// Every scenario that tests servers, against an external DM server.
pub async fn run_target_server(
    scenarios: &[Scenario],
    target: &TargetServer,
    opts: &Options,
) -> Vec<CaseRun> {
    let todo: Vec<&Scenario> = sharded(&server_plan(scenarios), opts)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let mut runs = Vec::new();
    for (i, s) in todo.iter().enumerate() {
        opts.starting(s, Role::Server, &target.url);
        let run = runner::run_external_server(s, target, opts).await;
        opts.finished(&run);
        runs.push(run);
        opts.tick(i + 1, todo.len(), &s.id);
    }
    runs
}

/// Every scenario against the conformant built-in peers, in both directions, and each
/// faulty peer in the scenarios that expect it (`[expect.faults]`). The conformant peers
/// must pass every case; each fault must make every rule it breaks fail in at least one
/// case.
pub async fn selftest(scenarios: &[Scenario], opts: &Options) -> Result<Vec<CaseRun>, RunError> {
    enum Peer {
        Client(BTreeSet<ClientFault>),
        Server(BTreeSet<ServerFault>),
    }
    let mut plan: Vec<(&Scenario, Peer)> = Vec::new();
    for s in scenarios {
        for &role in &s.roles {
            plan.push(match role {
                Role::Client => (s, Peer::Client(BTreeSet::new())),
                Role::Server => (s, Peer::Server(BTreeSet::new())),
            });
        }
    }
    for s in scenarios {
        for &role in &s.roles {
            for name in s.expect.faults.keys() {
                match role {
                    Role::Client => {
                        if let Some(f) = ClientFault::from_name(name) {
                            plan.push((s, Peer::Client(BTreeSet::from([f]))));
                        }
                    }
                    Role::Server => {
                        if let Some(f) = ServerFault::from_name(name) {
                            plan.push((s, Peer::Server(BTreeSet::from([f]))));
                        }
                    }
                }
            }
        }
    }
    let mut runs = Vec::new();
    for (i, (s, peer)) in plan.iter().enumerate() {
        let run = match peer {
            Peer::Client(f) => {
                opts.starting(s, Role::Client, "builtin-client");
                runner::run_builtin_client(s, f, opts).await?
            }
            Peer::Server(f) => {
                opts.starting(s, Role::Server, "builtin-server");
                runner::run_builtin_server(s, f, opts).await?
            }
        };
        opts.finished(&run);
        runs.push(run);
        opts.tick(i + 1, plan.len(), &s.id);
    }
    Ok(runs)
}

/// The selftest verdict over judged cases: which faults were caught.
pub fn selftest_summary(cases: &[CaseResult]) -> Selftest {
    let conformant_pass = cases
        .iter()
        .filter(|c| c.peer.faults.is_empty())
        .all(|c| c.verdict == CaseVerdict::Pass);
    let mut faults = Vec::new();
    let mut check = |peer: &str, fault: &str, breaks: &[&str]| {
        let mut caught = Vec::new();
        let mut missed = Vec::new();
        for rule in breaks {
            let hit = cases.iter().find(|c| {
                c.peer.name == peer
                    && c.peer.faults == [fault]
                    && c.findings
                        .iter()
                        .any(|f| f.rule == *rule && f.verdict == Verdict::Fail)
            });
            match hit {
                Some(c) => caught.push(((*rule).to_owned(), c.id.clone())),
                None => missed.push((*rule).to_owned()),
            }
        }
        faults.push(FaultCheck {
            peer: peer.into(),
            fault: fault.into(),
            breaks: breaks.iter().map(|s| (*s).to_owned()).collect(),
            caught,
            missed,
        });
    };
    for f in ClientFault::ALL {
        check("builtin-client", f.name(), &f.breaks());
    }
    for f in ServerFault::ALL {
        check("builtin-server", f.name(), &f.breaks());
    }
    let caught = faults.iter().filter(|f| f.is_caught()).count();
    Selftest {
        mutation_score: caught as f64 / faults.len().max(1) as f64,
        faults,
        conformant_pass,
        harness_failures: Vec::new(),
    }
}

/// dmct judged by its own catalog: in every case without a deliberate fault or a
/// negative probe (credentials dmct's client made wrong on purpose), the side dmct
/// played (the harness's server against a client under test, its client against a
/// server under test, or a reference peer) judged role reversed. dmct must be the most
/// conformant party on the wire; a rule it cannot pass is a bug in its peer or in the
/// rule.
pub fn judge_harness(runs: &[CaseRun]) -> Vec<HarnessFailure> {
    runs.iter()
        .filter(|r| r.peer.faults.is_empty() && r.transcript.probes.is_empty())
        .flat_map(|r| {
            let dmct_role = match r.role {
                Role::Client => Role::Server,
                Role::Server => Role::Client,
            };
            dmct_rules::check(&r.transcript)
                .into_iter()
                .filter(move |f| f.role == dmct_role && f.verdict == Verdict::Fail)
                .map(move |f| HarnessFailure {
                    case: r.scenario.id.clone(),
                    role: dmct_role,
                    rule: f.rule,
                    detail: f.detail,
                })
        })
        .collect()
}
