//! `dmct`: the OMA DM 1.2 conformance harness, from the command line.
//!
//! Exit codes (labs script against them; decided in `exit.rs`):
//! - 0: every case passed
//! - 1: a MUST or MUST NOT rule was violated
//! - 2: usage, configuration or harness error, a server URL that is no DM server, or a
//!   selection that matches nothing (never green)
//! - 3: inconclusive only: no failure, but a case could not be settled
//! - 130: interrupted by Ctrl-C, SIGTERM or SIGHUP (`run`, `drive`, `selftest`,
//!   `proxy`); the reports of what happened until then are written (`interrupt.rs`)
//!
//! `dmct peer client` exits 0 when its session ended well and 1 when it did not.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use dmct_proto::auth::{Credentials, Nonce, Scheme};
use dmct_proto::package0::Package0Nonce;
use dmct_report::{CaseVerdict, RunReport};
use dmct_rules::Role;
use dmct_suite::{CaseRun, Options, Scenario, output, runner};

mod args;
mod config;
mod exit;
mod fdlimit;
mod inspect;
mod interrupt;
mod matrix;
mod merge;
mod modes;
mod outputs;
mod peer;
mod preflight;
mod proxy;
mod redacting;
mod serve;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use args::*;
use exit::{Ending, Exit, decide};
use inspect::*;
use outputs::*;
use serve::*;

/// The status a shell reports for a process a closed pipe stopped (128 + SIGPIPE).
const CLOSED_PIPE: i32 = 141;

/// `dmct list rules | head -1`: the reader closed the pipe and wants no more. `print!`
/// panics on that write error; that one panic becomes a quiet exit with the status a
/// pipe-stopped process has, never a success that could hide a failing run (reports
/// are written to files before anything is printed).
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE);
        }
        default(info);
    }));
}

/// The longest unbroken run of an error message shown whole: a 100,000-character
/// element name or body quoted by an error is cut, so the message stays one that a
/// person can read.
const LONGEST_WORD: usize = 120;

/// `msg` with every run longer than [`LONGEST_WORD`] characters (no spaces) cut, saying
/// how much was left out.
fn readable(msg: &str) -> String {
    msg.split(' ')
        .map(|word| {
            let n = word.chars().count();
            if n <= LONGEST_WORD {
                return word.to_owned();
            }
            let head: String = word.chars().take(LONGEST_WORD).collect();
            format!("{head}... [{} more characters]", n - LONGEST_WORD)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// tokio's runtime panics when it cannot open its signal pipe (no descriptor left under
/// a tight `ulimit -n`): holding as many descriptors as it opens first (epoll, its waker,
/// the pipe and a copy) turns that into an error in words.
fn descriptors_for_the_runtime() -> Result<()> {
    #[cfg(unix)]
    {
        let words = |e: std::io::Error| anyhow::anyhow!(dmct_net::io_words(&e));
        let _a = std::os::unix::net::UnixStream::pair().map_err(words)?;
        let _b = std::os::unix::net::UnixStream::pair().map_err(words)?;
        let _c = std::os::unix::net::UnixStream::pair().map_err(words)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    fdlimit::raise();
    let argv = match config::expand(std::env::args_os().collect(), &run_flag_spellings) {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("dmct: error: {}", readable(&format!("{e:#}")));
            return ExitCode::from(2);
        }
    };
    let matches = <Cli as clap::CommandFactory>::command().get_matches_from(argv);
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    redacting::remember(&matches);
    match real_main(cli, &matches) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dmct: error: {}", readable(&format!("{e:#}")));
            Exit::Usage.into()
        }
    }
}

/// Every spelling of one `run` flag (`--client-user`, `--user`), so a configuration key
/// gives way to the flag under any of its names.
fn run_flag_spellings(flag: &str) -> Vec<String> {
    let cli = <Cli as clap::CommandFactory>::command();
    let long = flag.trim_start_matches("--");
    cli.find_subcommand(config::SUBCOMMAND)
        .and_then(|run| run.get_arguments().find(|a| a.get_long() == Some(long)))
        .map(|arg| {
            let aliases = arg.get_all_aliases().unwrap_or_default();
            std::iter::once(long)
                .chain(aliases)
                .map(|n| format!("--{n}"))
                .collect()
        })
        .unwrap_or_else(|| vec![flag.to_owned()])
}

fn real_main(cli: Cli, matches: &clap::ArgMatches) -> Result<ExitCode> {
    // The codec commands need no runtime: starting its threads would cost them more
    // than the work on a small message.
    if matches!(cli.command, Command::Decode { .. } | Command::Encode { .. }) {
        return codec(cli.command);
    }
    descriptors_for_the_runtime().context("cannot start the async runtime")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        match cli.command {
            Command::Run {
                common,
                serve,
                public_url,
                exec,
                pkg0_nonce,
                pkg0_ui_mode,
                pkg0_initiator,
                client_initiated,
                wait,
                session_timeout,
                idle,
                target_server,
                encoding,
                accounts,
                listen,
                capacity,
                gate,
                wire,
                partition,
                config: _,
            } => {
                let mode = match (serve, target_server.as_deref()) {
                    (Some(_), _) => modes::RunMode::Serve,
                    (None, None) => modes::RunMode::Builtin,
                    (None, Some("builtin")) => modes::RunMode::BuiltinServer,
                    (None, Some(_)) => modes::RunMode::TargetServer,
                };
                if let Some(m) = matches.subcommand_matches("run") {
                    modes::check_run(m, mode)?;
                }
                let selection = selection(&gate)?;
                let mut opts = options(&common)?;
                capacity.apply(&mut opts.limits, 1)?;
                opts.client_encoding = encoding.map(Into::into);
                opts.verproto_param = wire.verproto();
                opts.wait_first = Duration::from_secs(wait);
                opts.idle = idle;
                opts.session_timeout = Duration::from_secs(session_timeout);
                opts.client_creds = accounts.client();
                opts.server_id = accounts.server_id.clone();
                opts.package0_nonce = pkg0_nonce;
                opts.package0_ui_mode = pkg0_ui_mode.into();
                opts.package0_initiator = pkg0_initiator.into();
                opts.client_initiated = client_initiated;
                // The device's account as provisioned: what dmct's server presents and
                // asks for (only --serve reads them; the other modes refuse the flags).
                opts.server_creds = accounts.srvcred();
                opts.client_auth = accounts.client_auth();
                opts.client_nonce = accounts.nonce.clone();
                opts.partition = partition;
                let scenarios = selection.scenarios(&scenarios(&common)?);
                if scenarios.is_empty() {
                    eprintln!("dmct: nothing selected: no case matches the filters");
                    return Ok(Exit::Usage.into());
                }
                // The whole run's cases, in order, which a shard records (--serve refuses
                // --partition).
                let plan = match mode {
                    modes::RunMode::Builtin => dmct_suite::builtin_plan(&scenarios),
                    _ => dmct_suite::server_plan(&scenarios),
                };
                let plan = dmct_suite::partition::plan_names(
                    plan.into_iter().map(|(s, role)| (s.id.as_str(), role)),
                );
                if serve.is_some() {
                    opts.server_tls = server_tls(&listen)?;
                }
                // Caught before anything is announced: a signal on "listening" is ours.
                let mut signals = interrupt::Signals::catch()?;
                let collector = std::sync::Arc::new(dmct_suite::interrupted::Collector::default());
                opts.collector = Some(collector.clone());
                let left_out = LeftOut::default();
                let started = Instant::now();
                let started_at = dmct_net::wall_clock();
                let work = async {
                    let runs = match (serve, target_server.as_deref()) {
                        (None, None) => dmct_suite::run_builtin(&scenarios, &opts).await?,
                        (Some(addr), _) => {
                            let trigger = exec.map(|command| runner::Trigger {
                                command,
                                dir: common.out.join("package0"),
                                package0: !client_initiated,
                            });
                            let runs = serve_cases(
                                addr,
                                public_url,
                                &scenarios,
                                &opts,
                                trigger.as_ref(),
                                gate.redact,
                                &left_out,
                            )
                            .await;
                            write_left_out(&common.out, &lock(&left_out), gate.redact)?;
                            runs?
                        }
                        (None, Some("builtin")) => {
                            dmct_suite::run_builtin_servers(&scenarios, &opts).await?
                        }
                        (None, Some(url)) => {
                            check_url(url)?;
                            let target = accounts.target(url);
                            if let Some(code) = preflight::probe(&target, &opts).await {
                                return Ok(Err(code));
                            }
                            eprintln!("dmct: driving the DM server at {url}");
                            dmct_suite::run_target_server(&scenarios, &target, &opts).await
                        }
                    };
                    anyhow::Ok(Ok(runs))
                };
                let ended = signals.race(work).await;
                // From here on, while the reports are written, a second signal exits at
                // once (the one that stopped the run is the first).
                signals.exit_on_next(ended.is_err());
                let (runs, interrupted) = match ended {
                    Ok(done) => match done? {
                        Ok(runs) => (runs, None),
                        Err(code) => return Ok(code),
                    },
                    Err(signal) => {
                        interrupt::announce(signal);
                        write_left_out(&common.out, &lock(&left_out), gate.redact)?;
                        let (runs, running) = collector.take();
                        (runs, Some((signal, running)))
                    }
                };
                if runs.is_empty() && interrupted.is_none() {
                    match partition {
                        Some(shard) => eprintln!(
                            "dmct: nothing selected: shard {shard} holds none of the {} \
                             selected cases; split them into at most {} shards",
                            plan.len(),
                            plan.len()
                        ),
                        None => {
                            eprintln!("dmct: nothing selected: no selected case tests this role")
                        }
                    }
                    return Ok(Exit::Usage.into());
                }
                let mut report = dmct_suite::report_with(
                    "run",
                    &runs,
                    elapsed_ms(started),
                    &profile(common.profile.as_deref())?,
                    opts.seed,
                );
                report.time = Some(dmct_net::span_since(started_at));
                if let Some(shard) = partition {
                    dmct_suite::partition::record(&mut report, shard, &plan);
                }
                if let Some((signal, running)) = interrupted {
                    dmct_suite::interrupted::mark(&mut report, running, signal);
                }
                gated_finish(&common.out, report, runs, &selection, &gate)
            }
            Command::Completions { shell } => {
                let mut cmd = <Cli as clap::CommandFactory>::command();
                clap_complete::generate(shell, &mut cmd, "dmct", &mut std::io::stdout());
                Ok(ExitCode::SUCCESS)
            }
            Command::Man { subcommand } => {
                let cmd = <Cli as clap::CommandFactory>::command();
                let page = match &subcommand {
                    None => cmd,
                    Some(name) => {
                        let Some(sub) = cmd.find_subcommand(name) else {
                            let names: Vec<_> =
                                cmd.get_subcommands().map(|c| c.get_name()).collect();
                            bail!("no subcommand {name:?}; dmct has {}", names.join(", "));
                        };
                        // The page is named as a man page of a subcommand is: dmct-run.
                        sub.clone().name(format!("dmct-{name}"))
                    }
                };
                let mut roff = Vec::new();
                clap_mangen::Man::new(page)
                    .render(&mut roff)
                    .context("cannot write the man page")?;
                use std::io::Write;
                std::io::stdout().write_all(&roff)?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Matrix { reports, out } => {
                matrix::matrix(&reports, &out)?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Merge { reports, out } => merge::merge(&reports, &out),
            Command::Init { file } => {
                config::init(&file)?;
                println!(
                    "wrote {}: fill in the device's keys, then: dmct run --config {}",
                    file.display(),
                    file.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Command::Selftest { common } => {
                let mut opts = options(&common)?;
                let scenarios = scenarios(&common)?;
                let mut signals = interrupt::Signals::catch()?;
                let collector = std::sync::Arc::new(dmct_suite::interrupted::Collector::default());
                opts.collector = Some(collector.clone());
                // Said once the signals are caught: a signal from here on is ours.
                eprintln!(
                    "dmct: selftest running: the built-in peers, conformant and faulty, in \
                     every scenario"
                );
                let started = Instant::now();
                let started_at = dmct_net::wall_clock();
                let ended = signals.race(dmct_suite::selftest(&scenarios, &opts)).await;
                signals.exit_on_next(ended.is_err());
                let (runs, interrupted) = match ended {
                    Ok(runs) => (runs?, None),
                    Err(signal) => {
                        interrupt::announce(signal);
                        let (runs, running) = collector.take();
                        (runs, Some((signal, running)))
                    }
                };
                let mut report = dmct_suite::report_with(
                    "selftest",
                    &runs,
                    elapsed_ms(started),
                    &dmct_rules::Profile::default(),
                    opts.seed,
                );
                report.time = Some(dmct_net::span_since(started_at));
                if let Some((signal, running)) = interrupted {
                    // A self-test cut short proves nothing: its reports say how far it got.
                    dmct_suite::interrupted::mark(&mut report, running, signal);
                    write_and_print(&common.out, &report, &runs)?;
                    return Ok(decide(&Ending::default().interrupted(true)).into());
                }
                let mut st = dmct_suite::selftest_summary(&report.cases);
                st.harness_failures = dmct_suite::judge_harness(&runs);
                let ok = st.conformant_pass
                    && st.faults.iter().all(|f| f.is_caught())
                    && st.harness_failures.is_empty();
                report.selftest = Some(st);
                write_and_print(&common.out, &report, &runs)?;
                // A self-test judges dmct itself: it passes or fails, never inconclusive.
                let verdict = if ok {
                    CaseVerdict::Pass
                } else {
                    CaseVerdict::Fail
                };
                Ok(decide(&Ending::of([verdict])).into())
            }
            Command::Drive {
                common,
                url,
                accounts,
                encoding,
                wire,
                probe,
                redact,
            } => {
                if let Some(m) = matches.subcommand_matches("drive") {
                    modes::check_client_account(m)?;
                }
                check_url(&url)?;
                let mut opts = options(&common)?;
                opts.verproto_param = wire.verproto();
                opts.client_creds = accounts.client();
                opts.server_id = accounts.server_id.clone();
                opts.client_encoding = Some(encoding.into());
                let target = accounts.target(&url);
                if let Some(code) = preflight::probe(&target, &opts).await {
                    return Ok(code);
                }
                let mut signals = interrupt::Signals::catch()?;
                let collector = std::sync::Arc::new(dmct_suite::interrupted::Collector::default());
                opts.collector = Some(collector.clone());
                eprintln!("dmct: driving the DM server at {url}");
                let started = Instant::now();
                let started_at = dmct_net::wall_clock();
                let mut target = target;
                target.probes = probe.into_iter().map(Into::into).collect();
                let ended = signals
                    .race(runner::drive_external_server(&target, &opts))
                    .await;
                signals.exit_on_next(ended.is_err());
                let (mut runs, interrupted) = match ended {
                    Ok(run) => (vec![run], None),
                    Err(signal) => {
                        interrupt::announce(signal);
                        let (runs, running) = collector.take();
                        (runs, Some((signal, running)))
                    }
                };
                let mut report = dmct_suite::report_with(
                    "drive",
                    &runs,
                    elapsed_ms(started),
                    &profile(common.profile.as_deref())?,
                    opts.seed,
                );
                report.time = Some(dmct_net::span_since(started_at));
                if let Some((signal, running)) = interrupted {
                    dmct_suite::interrupted::mark(&mut report, running, signal);
                }
                if redact {
                    dmct_suite::redact::outputs(&mut report, &mut runs);
                }
                finish(&common.out, &report, &runs)
            }
            Command::Check {
                files,
                profile: p,
                out,
            } => check(&files, &profile(p.as_deref())?, &out),
            Command::Decode { .. } | Command::Encode { .. } => codec(cli.command),
            Command::List {
                what,
                json,
                coverage,
            } => list(what, json, coverage),
            Command::Export {
                case,
                from,
                rule,
                out,
                redact,
            } => export(&case, &from, rule.as_deref(), out, redact),
            Command::Proxy {
                common,
                listen,
                upstream,
                public_url,
                mutations,
                delay_ms,
                sessions,
                idle,
                client_secret,
                client_user,
                listen_tls,
                capacity,
                redact,
                wire,
            } => {
                check_url(&upstream)?;
                let mut config = dmct_proxy::ProxyConfig::new(listen, upstream);
                config.limits = dmct_net::Limits {
                    max_body: common.max_body,
                    exchange_timeout: Duration::from_secs(common.exchange_timeout),
                    notices: dmct_net::Notices::stderr(),
                    ..dmct_net::Limits::default()
                };
                // A device's connection and the proxy's own to the upstream.
                capacity.apply(&mut config.limits, 2)?;
                config.upstream_tls = client_tls(&common.trust)?;
                config.listen_tls = server_tls(&listen_tls)?;
                config.public_url = public_url;
                config.mutations = proxy::parse_mutations(&mutations)?;
                config.delay = Duration::from_millis(delay_ms);
                config.idle = idle;
                // The nonces of its challenge-pkg1 come from the run seed, like a run's.
                let seed = common.seed.value()?;
                config.nonce_seed = Some(seed);
                config.verproto_param = wire.verproto();
                config.client_creds = client_secret.map(|secret| Credentials {
                    user: client_user,
                    secret,
                });
                output::check_dir(&common.out).context("--out cannot take the reports")?;
                let mut signals = interrupt::Signals::catch()?;
                let started = Instant::now();
                let started_at = dmct_net::wall_clock();
                // Without --sessions, a signal is what stops the proxy.
                let stopped_by_signal = sessions.is_none();
                let (sessions, interrupted) =
                    proxy::run(proxy::ProxyArgs { config, sessions }, &mut signals).await?;
                // A second signal while the reports are written exits at once.
                signals.exit_on_next(stopped_by_signal || interrupted.is_some());
                if let Some(signal) = interrupted {
                    interrupt::announce(signal);
                }
                let (records, runs): (Vec<_>, Vec<Vec<CaseRun>>) = sessions.into_iter().unzip();
                let mut runs: Vec<CaseRun> = runs.into_iter().flatten().collect();
                let mut records = records;
                let mut report = dmct_suite::report_with(
                    "proxy",
                    &runs,
                    elapsed_ms(started),
                    &profile(common.profile.as_deref())?,
                    seed,
                );
                report.time = Some(dmct_net::span_since(started_at));
                report.interrupted = interrupted.is_some();
                if redact {
                    let mut secrets = Vec::new();
                    for r in &mut runs {
                        let (t, s) = dmct_suite::redact::transcript(&r.transcript);
                        r.transcript = t;
                        secrets.extend(s);
                    }
                    for rec in &mut records {
                        rec.transcript = dmct_suite::redact::transcript(&rec.transcript).0;
                        rec.relays.clear();
                    }
                    dmct_suite::redact::report(&mut report, &secrets);
                }
                proxy::write_sessions(&common.out, &records)?;
                if runs.is_empty() {
                    // Nothing to judge: never green (exit 2 unless a signal stopped it).
                    eprintln!("dmct: the proxy saw no DM session");
                }
                finish(&common.out, &report, &runs)
            }
            Command::Peer { which } => match which {
                PeerCommand::Server {
                    listen,
                    public_url,
                    script,
                    accounts,
                    listen_tls,
                    exchange_timeout,
                    max_body,
                    capacity,
                    fault,
                    seed,
                    wire,
                } => {
                    let tls = server_tls(&listen_tls)?;
                    let faults = fault
                        .iter()
                        .map(|n| {
                            dmct_session::ServerFault::from_name(n).with_context(|| {
                                format!("no server fault is named {n:?} (see `dmct list faults`)")
                            })
                        })
                        .collect::<Result<_>>()?;
                    let script = match script {
                        Some(f) => {
                            let text = std::fs::read_to_string(&f)
                                .with_context(|| format!("cannot read {}", f.display()))?;
                            toml::from_str(&text).with_context(|| {
                                format!("{} is not a server script", f.display())
                            })?
                        }
                        None => dmct_suite::scenario::builtin()?
                            .into_iter()
                            .find(|s| s.id == "session/every-command")
                            .map(|s| s.server)
                            .context("the built-in session/every-command scenario is missing")?,
                    };
                    let mut limits = dmct_net::Limits {
                        max_body,
                        exchange_timeout: Duration::from_secs(exchange_timeout),
                        notices: dmct_net::Notices::stderr(),
                        ..dmct_net::Limits::default()
                    };
                    capacity.apply(&mut limits, 1)?;
                    let opts = Options {
                        limits,
                        server_tls: tls,
                        verproto_param: wire.verproto(),
                        seed: seed.value()?,
                        ..Options::default()
                    };
                    peer::server(listen, public_url, script, &accounts, &opts, faults).await
                }
                PeerCommand::Client {
                    url,
                    accounts,
                    encoding,
                    wbxml,
                    seed,
                    package0,
                    transcript,
                    trust,
                    exchange_timeout,
                    wire,
                } => {
                    check_url(&url)?;
                    let mut opts = Options {
                        verproto_param: wire.verproto(),
                        client_tls: client_tls(&trust)?,
                        ..Options::default()
                    };
                    opts.limits.exchange_timeout = Duration::from_secs(exchange_timeout);
                    opts.seed = seed.value()?;
                    opts.client_encoding = Some(if wbxml {
                        dmct_proto::xml::Encoding::Wbxml
                    } else {
                        encoding.into()
                    });
                    let pkg0 = match &package0 {
                        Some(f) => Some(
                            std::fs::read(f)
                                .with_context(|| format!("cannot read {}", f.display()))?,
                        ),
                        None => None,
                    };
                    peer::client(
                        &url,
                        &accounts,
                        pkg0.as_deref(),
                        transcript.as_deref(),
                        &opts,
                    )
                    .await
                }
            },
        }
    })
}

/// A progress bar on standard error when it is a terminal (coloured unless NO_COLOR);
/// otherwise (a CI log, a pipe) one plain line per case, without control characters.
fn progress() -> Option<dmct_suite::runner::Progress> {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() {
        return Some(dmct_suite::runner::Progress(std::sync::Arc::new(
            |done, total, case| eprintln!("dmct: case {done}/{total} done: {case}"),
        )));
    }
    let bar = indicatif::ProgressBar::new(0);
    let template = if colour(true) {
        "{bar:30.cyan/blue} {pos}/{len} cases {wide_msg}"
    } else {
        "{bar:30} {pos}/{len} cases {wide_msg}"
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    Some(dmct_suite::runner::Progress(std::sync::Arc::new(
        move |done, total, case| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(case.to_owned());
            if done == total {
                bar.finish_and_clear();
            }
        },
    )))
}

/// Colour on a terminal unless NO_COLOR is set to anything but the empty string
/// (no-color.org).
fn colour(terminal: bool) -> bool {
    colour_with(terminal, std::env::var_os("NO_COLOR").as_deref())
}

fn colour_with(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// `dmct --version`: dmct's version and the rule catalog built in, by its rule count and
/// the MD5 of `testcases/rules.toml` (what report.json records as `catalog`).
fn long_version() -> &'static str {
    static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let c = dmct_suite::catalog_id();
        format!(
            "{}\nrule catalog: version {}, {} rules, md5 {}",
            env!("CARGO_PKG_VERSION"),
            env!("CARGO_PKG_VERSION"),
            c.rules,
            c.md5
        )
    });
    &TEXT
}

/// The run's options; `--out` is checked first, so a run never ends unable to write
/// what it found.
fn options(c: &Common) -> Result<Options> {
    output::check_dir(&c.out).context("--out cannot take the reports")?;
    Ok(Options {
        progress: progress(),
        limits: dmct_net::Limits {
            max_body: c.max_body,
            exchange_timeout: Duration::from_secs(c.exchange_timeout),
            notices: dmct_net::Notices::stderr(),
            ..dmct_net::Limits::default()
        },
        client_tls: client_tls(&c.trust)?,
        seed: c.seed.value()?,
        ..Options::default()
    })
}

/// Read a capability profile; names the catalog does not know are refused, so a typo
/// never waives nothing in silence.
fn profile(file: Option<&Path>) -> Result<dmct_rules::Profile> {
    let Some(file) = file else {
        return Ok(dmct_rules::Profile::default());
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let p: dmct_rules::Profile = toml::from_str(&text)
        .with_context(|| format!("{} is not a capability profile", file.display()))?;
    let known = dmct_rules::Profile::known_capabilities();
    for cap in &p.lacks {
        if !known.contains(cap.as_str()) {
            bail!(
                "{}: unknown capability {cap:?} (known: {})",
                file.display(),
                known.iter().copied().collect::<Vec<_>>().join(", ")
            );
        }
    }
    Ok(p)
}

fn check_url(url: &str) -> Result<()> {
    if let Err(e) = dmct_proto::url::Url::parse(url) {
        bail!("{e}: {url}");
    }
    Ok(())
}

fn client_tls(t: &Trust) -> Result<Option<dmct_net::ClientTls>> {
    let tls = match t.insecure {
        true => Some(dmct_net::ClientTls::insecure()?),
        false => dmct_net::ClientTls::trusting_roots(!t.no_system_ca, t.ca_file.as_deref())?,
    };
    Ok(match (tls, &t.client_cert, &t.client_key) {
        (Some(tls), Some(cert), Some(key)) => Some(tls.with_client_cert(cert, key)?),
        (None, Some(_), _) => bail!(
            "--client-cert is presented over https only, and no CA is trusted: the system's \
             store has none readable; say which servers to trust with --ca-file or --insecure"
        ),
        (tls, _, _) => tls,
    })
}

/// The listener's certificate: the operator's, or a generated one whose PEM is written
/// out so clients can be told to trust it.
fn server_tls(l: &Listen) -> Result<Option<dmct_net::ServerTls>> {
    if !l.tls {
        return Ok(None);
    }
    let tls = server_identity(l)?;
    Ok(Some(match &l.client_ca {
        Some(ca) => {
            eprintln!(
                "dmct: clients must present a TLS certificate issued by a CA in {}",
                ca.display()
            );
            tls.requiring_client_cert(ca)?
        }
        None => tls,
    }))
}

/// The listener's own certificate and key.
fn server_identity(l: &Listen) -> Result<dmct_net::ServerTls> {
    if let (Some(cert), Some(key)) = (&l.cert, &l.key) {
        return Ok(dmct_net::ServerTls::from_pem_files(cert, key)?);
    }
    let mut names = vec!["localhost", "127.0.0.1"];
    names.extend(l.cert_name.iter().map(String::as_str));
    let tls = dmct_net::ServerTls::generate(&names)?;
    if let Some(dir) = l.ca_out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&l.ca_out, tls.cert_pem())
        .with_context(|| format!("cannot write {}", l.ca_out.display()))?;
    eprintln!(
        "dmct: generated a certificate for {}; clients trust it with --ca-file {}",
        names.join(", "),
        l.ca_out.display()
    );
    Ok(tls)
}

fn scenarios(c: &Common) -> Result<Vec<Scenario>> {
    Ok(match &c.scenarios {
        Some(dir) => dmct_suite::scenario::load_dir(dir)?,
        None => dmct_suite::scenario::builtin()?,
    })
}

fn elapsed_ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// The requests no case took, shared with the CLI so an interrupted run writes them too.
type LeftOut = std::sync::Mutex<Vec<dmct_suite::gated::Apart>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_table_is_coloured_only_when_asked() {
        let mut report = dmct_suite::report("run", &[], 0);
        report.cases.push(dmct_report::CaseResult {
            id: "auth/x".into(),
            title: String::new(),
            role: Role::Client,
            peer: dmct_report::Peer {
                name: "p".into(),
                faults: Vec::new(),
                identity: Vec::new(),
            },
            verdict: CaseVerdict::Fail,
            findings: Vec::new(),
            exchanges: 1,
            transcript: None,
            authentication: Default::default(),
            ended: None,
            time: None,
            exchange_times: Vec::new(),
        });
        let plain = summary_table(&report, false);
        assert!(plain.contains("auth") && !plain.contains('\x1b'), "{plain}");
        let coloured = summary_table(&report, true);
        assert!(coloured.contains("\x1b[1;31m"), "{coloured}");
    }

    #[test]
    fn no_color_turns_colour_off_unless_empty() {
        use std::ffi::OsStr;
        assert!(colour_with(true, None));
        assert!(colour_with(true, Some(OsStr::new(""))));
        assert!(!colour_with(true, Some(OsStr::new("1"))));
        assert!(!colour_with(false, None));
    }
}
