//! `dmct`: the OMA DM 1.2 conformance harness, from the command line.
//!
//! Exit codes (labs script against them; decided in `dmct_suite::exit`):
//! - 0: every case passed
//! - 1: a MUST or MUST NOT rule was violated
//! - 2: usage, configuration or harness error, a server URL that is no DM server, or a
//!   selection that matches nothing (never green)
//! - 3: inconclusive only: no failure, but a case could not be settled
//! - 130: interrupted by Ctrl-C, SIGTERM or SIGHUP (`run`, `drive`, `selftest`,
//!   `proxy`); the reports of what happened until then are written (`interrupt.rs`)
//!
//! `dmct peer client` exits 0 when its session ended well and 1 when it did not.

mod args;
mod fdlimit;
mod inspect;
mod interrupt;
mod modes;
mod outputs;
mod peer;
mod preflight;
mod proxy;
mod redacting;
mod run;
mod setup;
mod suites;
mod tools;

// What every command module reads through `use crate::*`.
use anyhow::{Context, Result, bail};
use args::*;
use dmct_report::{CaseVerdict, RunReport};
use dmct_suite::exit::{Ending, Exit, decide};
use dmct_suite::{CaseRun, Options, Scenario, output, runner};
use inspect::*;
use outputs::*;
use setup::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// jemalloc, not the system's malloc: `check` and the proxy allocate per command and per
/// request, and jemalloc both costs less there and hands freed memory back, so a large
/// transcript's read buffers do not stay in the peak (README, Benchmarks).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
    let argv = match dmct_config::expand(std::env::args_os().collect(), &run_flag_spellings) {
        Ok(argv) => argv,
        Err(e) => {
            let e = anyhow::Error::from(e);
            eprintln!("dmct: error: {}", readable(&format!("{e:#}")));
            return ExitCode::from(2);
        }
    };
    // The codec commands need neither the other subcommands' flags nor a runtime:
    // either would cost them more than the work on a small message.
    if let Some(command) = CodecCli::parse_codec(&argv) {
        return ending(codec(command));
    }
    let matches = command_for(&argv).get_matches_from(argv);
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    redacting::remember(&matches);
    ending(real_main(cli, &matches))
}

/// The process's status, and the error in words if there was one.
fn ending(result: Result<ExitCode>) -> ExitCode {
    match result {
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
    cli.find_subcommand(dmct_config::SUBCOMMAND)
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
    descriptors_for_the_runtime().context("cannot start the async runtime")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        match cli.command {
            Command::Run(a) => run::run(a, matches).await,
            Command::Completions { shell } => tools::completions(shell),
            Command::Man { subcommand } => tools::man(subcommand),
            Command::Matrix { reports, out } => tools::matrix(&reports, &out),
            Command::Merge { reports, out } => tools::merge(&reports, &out),
            Command::Init { file } => tools::init(&file),
            Command::Selftest { common } => suites::selftest(common).await,
            Command::Drive(a) => suites::drive(a, matches).await,
            Command::Check {
                files,
                profile: p,
                out,
            } => check(&files, &profile(p.as_deref())?, &out),
            // Parsed by `CodecCli` in `main` before a runtime starts.
            Command::Codec(c) => codec(c),
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
            Command::Proxy(a) => proxy::proxy(a).await,
            Command::Peer { which } => peer::command(which).await,
        }
    })
}
