//! Which flags each way of running `dmct run` reads. A flag given on the command line
//! that the chosen mode would ignore is refused with the reason, never accepted and
//! dropped: a lab that passes a device's account to a mode that cannot use it must be
//! told, not sent into an authentication loop.

use anyhow::{Result, bail};
use clap::ArgMatches;
use clap::parser::ValueSource;

/// The device's or server's account, which only a run against an external peer uses.
const ACCOUNT: &[&str] = &[
    "client_user",
    "client_secret",
    "server_user",
    "server_secret",
    "auth",
    "nonce",
];

/// dmct's listener (HTTPS, client certificates).
const LISTENER: &[&str] = &["tls", "cert", "key", "ca_out", "cert_name", "client_ca"];

/// What dmct's listener takes on at once.
const LISTENER_CAPACITY: &[&str] = &["max_inflight_bytes", "max_connections"];

/// dmct's client talking to an https:// server.
const CLIENT_TLS: &[&str] = &["ca_file", "insecure", "client_cert", "client_key"];

/// Waits for an external client.
const CLIENT_WAITS: &[&str] = &["wait", "idle"];

/// How `dmct run` was asked to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Both directions against the reference peers over loopback.
    Builtin,
    /// The server-side scenarios against the built-in reference server.
    BuiltinServer,
    /// `--serve`: dmct is the DM server of an external client.
    Serve,
    /// `--target-server URL`: dmct is the DM client of an external server.
    TargetServer,
}

impl RunMode {
    /// The flags this mode would ignore, and why, in words.
    fn ignored(self) -> (Vec<&'static str>, &'static str) {
        let all = |groups: &[&[&'static str]]| groups.concat();
        match self {
            RunMode::Builtin | RunMode::BuiltinServer => (
                all(&[ACCOUNT, LISTENER, CLIENT_TLS, CLIENT_WAITS]),
                "in a run against dmct's built-in peers, which use their own accounts over \
                 loopback HTTP; give --serve ADDR to test a device or --target-server URL to \
                 test a server",
            ),
            RunMode::Serve => (
                CLIENT_TLS.to_vec(),
                "with --serve: dmct is the DM server here, and that flag is for dmct's client \
                 talking to an https:// server",
            ),
            RunMode::TargetServer => (
                all(&[LISTENER, LISTENER_CAPACITY, CLIENT_WAITS]),
                "with --target-server URL: dmct is the DM client here and nothing of dmct's \
                 listens or waits for a client",
            ),
        }
    }
}

/// Refuse every flag given on the command line that `mode` would ignore, and the
/// combinations that say nothing.
pub fn check_run(m: &ArgMatches, mode: RunMode) -> Result<()> {
    let given = |id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    let (ignored, why) = mode.ignored();
    if let Some(id) = ignored.into_iter().find(|id| given(id)) {
        bail!("{} has no effect {why}", flag(id));
    }
    if mode == RunMode::TargetServer {
        check_client_account(m)?;
    }
    if mode == RunMode::Serve && given("partition") {
        bail!(
            "--partition has no effect with --serve: one device on the bench runs the \
             suite between its sanity sessions; shard runs against the built-in peers or \
             a --target-server URL"
        );
    }
    let package0 = ["pkg0_nonce", "pkg0_ui_mode", "pkg0_initiator"];
    if let Some(id) = package0.into_iter().find(|id| given(id)) {
        if given("client_initiated") {
            bail!(
                "{} has no effect with --client-initiated: no Package 0 is sent to a device \
                 that starts its sessions itself",
                flag(id)
            );
        }
        if !given("exec") {
            bail!(
                "{} has no effect without --exec: dmct sends a Package 0 only through the \
                 --exec command that delivers it",
                flag(id)
            );
        }
    }
    Ok(())
}

/// dmct as the client of a server under test (`run --target-server URL`, `drive`):
/// a server user name alone says nothing, since only its secret lets dmct check it.
pub fn check_client_account(m: &ArgMatches) -> Result<()> {
    let given = |id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    if given("server_user") && !given("server_secret") {
        bail!(
            "--server-user needs --server-secret: dmct's client checks a server's credentials \
             only when it knows the server's secret (SRVCRED)"
        );
    }
    Ok(())
}

/// The long flag of an argument id (ids are the flags' names with `_` for `-`).
fn flag(id: &str) -> String {
    format!("--{}", id.replace('_', "-"))
}
