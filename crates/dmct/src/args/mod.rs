//! The command line as clap reads it: every subcommand, flag and default. The flag
//! groups several subcommands share are in `common`, the device's and server's accounts
//! in `accounts`, the larger subcommands' flags in `run` and `commands`.

mod accounts;
mod commands;
mod common;
mod run;

pub(crate) use accounts::*;
pub(crate) use commands::*;
pub(crate) use common::*;
pub(crate) use run::*;

use crate::setup::long_version;
use clap::{CommandFactory, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "dmct",
    version,
    about = "OMA DM 1.2 (SyncML DM) protocol conformance test harness",
    after_help = dmct_suite::exit::HELP
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The whole command line, with the long `--version` text the man page shows too.
pub(crate) fn command() -> clap::Command {
    Cli::command().long_version(long_version())
}

/// The command line to parse `argv` with. The long `--version` text names the rule
/// catalog's MD5, which takes rendering the whole catalog (more than half of what a
/// `dmct decode` of a small message costs), so it is only set when `argv` asks for it;
/// clap shows it nowhere else.
pub(crate) fn command_for(argv: &[OsString]) -> clap::Command {
    if argv.iter().skip(1).any(|a| a == "--version") {
        command()
    } else {
        Cli::command()
    }
}

// One value per process, parsed once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the scenarios: by default both directions over loopback, the client-side ones
    /// against the built-in reference client and the server-side ones against the
    /// built-in reference server; or against an external client that connects to
    /// --serve ADDR, or an external server at --target-server URL
    #[command(after_help = dmct_suite::exit::HELP)]
    Run(RunArgs),
    /// Print a shell completion script on standard output (e.g. `dmct completions bash >
    /// /etc/bash_completion.d/dmct`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on standard output: `dmct man | man -l -`; with a
    /// subcommand, that subcommand's page
    Man {
        /// A subcommand (e.g. run); the top-level page without one
        subcommand: Option<String>,
    },
    /// Put several runs side by side (devices, or firmware versions of one device): per
    /// case and per rule, as matrix.html and matrix.json
    Matrix {
        /// Each run's report.json or output directory, as [LABEL=]PATH; the label is
        /// the device's DevId, else the directory's name
        #[arg(required = true, value_name = "[LABEL=]REPORT")]
        reports: Vec<String>,
        /// Where matrix.html and matrix.json go
        #[arg(long, default_value = "target/dmct-matrix")]
        out: PathBuf,
    },
    /// Join the reports of a run's shards (`run --partition i/N`) into the report of the
    /// whole run: its cases in the whole run's order, transcripts and every report file
    #[command(after_help = dmct_suite::exit::HELP)]
    Merge {
        /// Each shard's report.json or output directory
        #[arg(required = true, value_name = "REPORT")]
        reports: Vec<String>,
        /// Where the merged reports and transcripts go
        #[arg(long, default_value = "target/dmct-merged")]
        out: PathBuf,
    },
    /// Write a commented lab configuration template for one device (every key `dmct run
    /// --config` reads); never overwrites a file
    Init {
        /// Where to write it
        #[arg(default_value = "dmct.toml")]
        file: PathBuf,
    },
    /// Run every scenario against the conformant built-in peers and every faulty one;
    /// exit 0 only when the conformant peers pass and every fault is caught
    #[command(after_help = dmct_suite::exit::HELP)]
    Selftest {
        #[command(flatten)]
        common: Common,
    },
    /// Drive one session of the built-in client against a DM server at URL and judge
    /// the server
    #[command(after_help = dmct_suite::exit::HELP)]
    Drive(DriveArgs),
    /// Judge recorded transcripts (dmct's JSON transcript format) offline, and write the
    /// same reports as run
    #[command(after_help = dmct_suite::exit::HELP)]
    Check {
        /// Transcript files
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Capability profile of the peer (see `run --profile`)
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
        /// Directory for report.json, report.txt, report.xml and report.html (the
        /// transcripts are not copied: the reports point at the files judged). Apart
        /// from run's target/dmct, so checking a run's transcripts keeps its reports
        #[arg(help_heading = "Reports", long, default_value = "target/dmct-check")]
        out: PathBuf,
    },
    /// decode and encode, defined apart so that they can be parsed alone (`CodecCli`).
    #[command(flatten)]
    Codec(Codec),
    /// Write a failing case of an earlier run as a transcript vector that `dmct check`
    /// replays offline
    Export {
        /// The case id (e.g. session/get-replace)
        case: String,
        /// The earlier run's output directory (with report.json and transcripts/)
        #[arg(long, default_value = "target/dmct")]
        from: PathBuf,
        /// The failing rule to export (default: the case's first failure)
        #[arg(long, value_name = "ID")]
        rule: Option<String>,
        /// Where to write the vector (default: CASE--RULE.json here)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Remove credentials, digests and nonces
        #[arg(long)]
        redact: bool,
    },
    /// Sit between a real device and a real DM server: relay byte for byte, record one
    /// transcript per DM session, check both sides live, optionally mutate
    #[command(after_help = dmct_suite::exit::HELP)]
    Proxy(ProxyArgs),
    /// Run a built-in reference peer by hand: a DM server until stopped, or one session
    /// of the DM client
    Peer {
        #[command(subcommand)]
        which: PeerCommand,
    },
    /// List rules, scenarios or built-in faults
    List {
        #[arg(value_enum)]
        what: ListWhat,
        /// As JSON, for machines
        #[arg(long)]
        json: bool,
        /// Rules: per clause, the statements found, testable, implemented, with
        /// vectors, with a caught fault
        #[arg(long)]
        coverage: bool,
    },
}

/// `dmct decode` and `dmct encode`, in `Command` where they are listed.
#[derive(Subcommand)]
pub(crate) enum Codec {
    /// Print a captured DM message as it was sent: XML as is, WBXML as indented XML in
    /// wire order under a comment naming its header (told apart by their bytes); FILE may
    /// be - for standard input
    Decode { file: PathBuf },
    /// Convert a DM message to WBXML (--wbxml) or XML (--xml); the result goes to
    /// standard output
    Encode {
        file: PathBuf,
        #[arg(long, conflicts_with = "xml", required_unless_present = "xml")]
        wbxml: bool,
        #[arg(long)]
        xml: bool,
    },
}

/// The command line of `dmct decode` and `dmct encode` alone, parsed when the first
/// argument names one of them: building every subcommand's flags (several hundred, for
/// run, proxy and peer) would cost more than decoding a small message. A subcommand's
/// help, usage and errors are its own, so they read the same as under `Cli`.
#[derive(Parser)]
#[command(name = "dmct", version)]
pub(crate) struct CodecCli {
    #[command(subcommand)]
    pub(crate) command: Codec,
}

impl CodecCli {
    /// The codec command `argv` names, parsed (clap exits on a usage error as under
    /// `Cli`); `None` when `argv` names another subcommand.
    pub(crate) fn parse_codec(argv: &[OsString]) -> Option<Codec> {
        let name = argv.get(1)?.to_str()?;
        <Codec as Subcommand>::has_subcommand(name).then(|| CodecCli::parse_from(argv).command)
    }
}

#[derive(Subcommand)]
pub(crate) enum PeerCommand {
    /// The reference DM server, serving any number of clients until Ctrl-C
    Server(PeerServerArgs),
    /// One session of the reference DM client; exits 0 when the session ended well
    Client(PeerClientArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum ListWhat {
    Rules,
    Scenarios,
    Cases,
    Faults,
    Mutations,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use super::accounts::parse_seconds;
    use clap::{CommandFactory, Parser};
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::Duration;

    #[test]
    fn idle_takes_whole_and_fractional_seconds() {
        assert_eq!(parse_seconds("1"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_seconds("0.2"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        for bad in ["-1", "ten", "", "nan", "inf", "1e400"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
        for sub in [
            &["run"][..],
            &["proxy", "--upstream", "http://127.0.0.1:1/dm"],
        ] {
            let args = [&["dmct"][..], sub, &["--idle", "0.25"]].concat();
            let cli = Cli::try_parse_from(&args).unwrap();
            let idle = match cli.command {
                super::Command::Run(a) => a.idle,
                super::Command::Proxy(a) => a.idle,
                _ => unreachable!(),
            };
            assert_eq!(idle, Duration::from_millis(250), "{args:?}");
        }
    }

    /// Every spelling of every long flag, by subcommand path ("run", "peer server").
    fn flags() -> BTreeMap<String, Vec<BTreeSet<String>>> {
        fn walk(
            cmd: &clap::Command,
            path: String,
            out: &mut BTreeMap<String, Vec<BTreeSet<String>>>,
        ) {
            let names = cmd
                .get_arguments()
                .filter_map(|a| {
                    let long = a.get_long()?;
                    let mut set: BTreeSet<String> = [long.to_owned()].into();
                    set.extend(
                        a.get_all_aliases()
                            .unwrap_or_default()
                            .into_iter()
                            .map(String::from),
                    );
                    Some(set)
                })
                .collect();
            out.insert(path.clone(), names);
            for sub in cmd.get_subcommands() {
                let p = format!("{path} {}", sub.get_name()).trim().to_owned();
                walk(sub, p, out);
            }
        }
        let mut out = BTreeMap::new();
        walk(&Cli::command(), String::new(), &mut out);
        out
    }

    /// One flag has one set of names wherever it appears: a subcommand that accepts a
    /// spelling accepts every other spelling another subcommand gives the same flag
    /// (`--serve`/`--listen`, `--client-user`/`--user`), so a lab's muscle memory works
    /// in every command.
    #[test]
    fn a_flag_has_the_same_names_in_every_subcommand() {
        let all = flags();
        for (cmd, sets) in &all {
            for set in sets {
                for (other, other_sets) in &all {
                    for o in other_sets.iter().filter(|o| !o.is_disjoint(set)) {
                        assert_eq!(
                            set, o,
                            "dmct {cmd} and dmct {other} name one flag differently"
                        );
                    }
                }
            }
        }
    }

    /// `dmct decode` and `dmct encode` read the same whichever command line parses them
    /// (`main` uses `CodecCli`): help, values and usage errors.
    #[test]
    fn the_codec_command_line_reads_as_the_whole_one() {
        use super::{Codec, CodecCli, Command};
        let (mut whole, mut alone) = (Cli::command(), CodecCli::command());
        whole.build();
        alone.build();
        for name in ["decode", "encode"] {
            let help = |c: &mut clap::Command| {
                let sub = c.find_subcommand_mut(name).unwrap();
                (
                    sub.render_long_help().to_string(),
                    sub.render_usage().to_string(),
                )
            };
            assert_eq!(help(&mut whole), help(&mut alone), "{name}");
        }
        for argv in [
            &["dmct", "decode"][..],
            &["dmct", "decode", "a", "b"],
            &["dmct", "decode", "--bogus", "a"],
            &["dmct", "encode", "a"],
            &["dmct", "encode", "--wbxml", "--xml", "a"],
            &["dmct", "encode", "--wbxm", "a"],
        ] {
            let whole = Cli::try_parse_from(argv).err().unwrap();
            let alone = CodecCli::try_parse_from(argv).err().unwrap();
            assert_eq!(whole.kind(), alone.kind(), "{argv:?}");
            assert_eq!(whole.render().to_string(), alone.render().to_string());
        }
        let argv = ["dmct", "encode", "--wbxml", "m.xml"];
        let Command::Codec(Codec::Encode { file, wbxml, xml }) =
            Cli::try_parse_from(argv).unwrap().command
        else {
            panic!("not encode");
        };
        let Codec::Encode {
            file: f2,
            wbxml: w2,
            xml: x2,
        } = CodecCli::try_parse_from(argv).unwrap().command
        else {
            panic!("not encode");
        };
        assert_eq!((file, wbxml, xml), (f2, w2, x2));
        let other = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert!(CodecCli::parse_codec(&other(&["dmct", "run"])).is_none());
        assert!(CodecCli::parse_codec(&other(&["dmct", "--help"])).is_none());
        assert!(CodecCli::parse_codec(&other(&["dmct"])).is_none());
    }

    #[test]
    fn the_old_names_still_parse() {
        for argv in [
            &["dmct", "run", "--listen", "127.0.0.1:0"][..],
            &[
                "dmct",
                "proxy",
                "--serve",
                "127.0.0.1:0",
                "--upstream",
                "http://x/dm",
            ],
            &[
                "dmct",
                "proxy",
                "--user",
                "u",
                "--secret",
                "s",
                "--upstream",
                "http://x/dm",
            ],
            &["dmct", "peer", "server", "--serve", "127.0.0.1:0"],
        ] {
            assert!(Cli::try_parse_from(argv).is_ok(), "{argv:?}");
        }
    }

    #[test]
    fn every_key_is_a_run_flag_of_its_kind() {
        use clap::ArgAction;
        use dmct_config::Kind::*;
        use dmct_config::SECTIONS;
        let cli = Cli::command();
        let run = cli.find_subcommand(dmct_config::SUBCOMMAND).unwrap();
        for k in dmct_config::KEYS {
            let arg = run
                .get_arguments()
                .find(|a| a.get_long() == k.flag.strip_prefix("--"))
                .unwrap_or_else(|| panic!("{}.{}: run has no {}", k.section, k.name, k.flag));
            let fits = match k.kind {
                Switch => matches!(arg.get_action(), ArgAction::SetTrue),
                List => matches!(arg.get_action(), ArgAction::Append),
                Text | Path | Number | Seconds => matches!(arg.get_action(), ArgAction::Set),
            };
            assert!(fits, "{}: {:?} vs {:?}", k.name, k.kind, arg.get_action());
            assert!(
                SECTIONS.iter().any(|(s, _)| *s == k.section),
                "{}",
                k.section
            );
        }
    }
}
