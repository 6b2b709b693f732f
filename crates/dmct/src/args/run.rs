//! `dmct run`'s flags.

use super::WireEncoding;
use super::{Accounts, Capacity, Common, Gate, Listen, Pkg0Initiator, Pkg0UiMode, Wire};
use dmct_proto::package0::Package0Nonce;
use std::net::SocketAddr;
use std::path::PathBuf;

// The doc comment of `Command::Run` is the subcommand's help; none here, so it stays so.
#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// Read the device's lab configuration (TOML; `dmct init` writes a template):
    /// each key sets one of these flags, and a flag given here wins over its key
    #[arg(long, value_name = "FILE", help_heading = "Configuration")]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) accounts: Accounts,
    /// Listen on ADDR (e.g. 0.0.0.0:8080) and wait for an external client per scenario
    #[arg(
        help_heading = "Transport",
        long,
        value_name = "ADDR",
        visible_alias = "listen",
        conflicts_with = "target_server"
    )]
    pub(crate) serve: Option<SocketAddr>,
    /// The server URL to tell the device, when it differs from http://ADDR/dm
    #[arg(help_heading = "Transport", long, requires = "serve")]
    pub(crate) public_url: Option<String>,
    /// Run the server-side scenarios against the DM server at URL, dmct playing the
    /// client; without URL, against the built-in reference server
    #[arg(help_heading = "Transport", 
        long,
        value_name = "URL",
        num_args = 0..=1,
        default_missing_value = "builtin"
    )]
    pub(crate) target_server: Option<String>,
    /// The encoding dmct's client speaks in every server-side scenario (xml or
    /// wbxml); the scenario's by default
    #[arg(help_heading = "Transport", long, value_enum, conflicts_with = "serve")]
    pub(crate) encoding: Option<WireEncoding>,
    #[command(flatten)]
    pub(crate) listen: Listen,
    #[command(flatten)]
    pub(crate) capacity: Capacity,
    #[command(flatten)]
    pub(crate) wire: Wire,
    /// Wake the device for each case by running this shell command, with the case's
    /// Package 0 in DMCT_PKG0_FILE (a file) and DMCT_PKG0_HEX, the server URL in
    /// DMCT_SERVER_URL, the SessionID in DMCT_SESSION_ID and the case in DMCT_CASE;
    /// a sanity session runs before and after the suite
    #[arg(help_heading = "Trigger", long, value_name = "CMD", requires = "serve")]
    pub(crate) exec: Option<String>,
    /// The nonce of Package 0's digest. A device checks it with its stored server
    /// nonce (SRVCRED AAuthData), then SHOULD retry with 0x00000000 ([NOT] §5.1).
    /// resync: that notation read as a 32-bit value, four zero bytes (the default,
    /// as it needs nothing known of the device); resync-ascii: its 10-character
    /// reading, which some clients use (which the text means is unconfirmed); empty:
    /// no bytes; b64:VALUE: the device's stored server nonce (what the lab
    /// provisioned, or what the device last issued to the server in a Chal)
    #[arg(
        help_heading = "Trigger",
        long,
        value_name = "resync|resync-ascii|empty|b64:VALUE",
        default_value = "resync",
        requires = "serve"
    )]
    pub(crate) pkg0_nonce: Package0Nonce,
    /// Package 0's ui-mode ([NOT] §6.2.7), which the device SHOULD follow
    #[arg(
        help_heading = "Trigger",
        long,
        value_enum,
        default_value = "not-specified",
        requires = "exec"
    )]
    pub(crate) pkg0_ui_mode: Pkg0UiMode,
    /// Package 0's initiator ([NOT] §6.2.8): the server, or a user at the server
    #[arg(
        help_heading = "Trigger",
        long,
        value_enum,
        default_value = "server",
        requires = "exec"
    )]
    pub(crate) pkg0_initiator: Pkg0Initiator,
    /// The device starts its sessions itself (no Package 0 can reach it): each case
    /// asks the operator, or runs --exec without a Package 0, to start a session;
    /// cases that need a server-initiated session are not applicable
    #[arg(help_heading = "Trigger", long, requires = "serve")]
    pub(crate) client_initiated: bool,
    /// Seconds to wait for the client's first package of each scenario
    #[arg(help_heading = "Timeouts", long, default_value_t = 300)]
    pub(crate) wait: u64,
    /// Seconds one whole session (case) may take
    #[arg(help_heading = "Timeouts", long, default_value_t = 300)]
    pub(crate) session_timeout: u64,
    /// Seconds of silence after which a client's session is taken as over (fractions
    /// allowed: 0.5)
    #[arg(
        help_heading = "Timeouts",
        long,
        default_value = "10",
        value_parser = super::accounts::parse_seconds
    )]
    pub(crate) idle: std::time::Duration,
    /// Run only shard i of N (from 1) of the selected cases, for a CI matrix: the
    /// k-th case of the run (from 0) goes to shard k mod N + 1; `dmct merge` joins
    /// the shards' reports into the whole run's
    #[arg(help_heading = "Selection", long, value_name = "i/N")]
    pub(crate) partition: Option<dmct_suite::partition::Shard>,
    #[command(flatten)]
    pub(crate) gate: Gate,
    #[command(flatten)]
    pub(crate) common: Common,
}
