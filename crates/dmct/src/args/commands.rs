//! The flags of `drive`, `proxy` and the reference peers (`peer server`, `peer client`).

use super::{Accounts, Capacity, Common, Listen, ProbeArg, Seed, Trust, Wire, WireEncoding};
use std::net::SocketAddr;
use std::path::PathBuf;

// The doc comments of the subcommands are on their variants (`Command`, `PeerCommand`),
// which clap reads as their help; none here.
#[derive(clap::Args)]
pub(crate) struct DriveArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The DM server's URL (http://...)
    pub(crate) url: String,
    #[command(flatten)]
    pub(crate) accounts: Accounts,
    /// The encoding the built-in client speaks (xml or wbxml)
    #[arg(long, value_enum, default_value = "xml")]
    pub(crate) encoding: WireEncoding,
    #[command(flatten)]
    pub(crate) wire: Wire,
    /// Send this negative probe (repeatable, in order; each once); the server must
    /// refuse it with 401 or 407 and a Chal. With stale-nonce, Package #1 goes without
    /// credentials, so the nonce comes from the server's challenge
    #[arg(long, value_enum, value_name = "PROBE")]
    pub(crate) probe: Vec<ProbeArg>,
    /// Remove credentials, digests and nonces from what is written and printed
    #[arg(long)]
    pub(crate) redact: bool,
}

#[derive(clap::Args)]
pub(crate) struct ProxyArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// Where devices connect
    #[arg(
        long,
        value_name = "ADDR",
        visible_alias = "serve",
        default_value = "127.0.0.1:8081"
    )]
    pub(crate) listen: SocketAddr,
    /// The real DM server (http:// or https://)
    #[arg(long, value_name = "URL")]
    pub(crate) upstream: String,
    /// The proxy's URL as devices reach it (base of rewritten RespURIs)
    #[arg(long)]
    pub(crate) public_url: Option<String>,
    /// Provoke a situation the rules are about (see `dmct list mutations`);
    /// repeatable
    #[arg(long = "mutate", value_name = "NAME")]
    pub(crate) mutations: Vec<String>,
    /// Milliseconds delay-response holds a response
    #[arg(long, default_value_t = 2000)]
    pub(crate) delay_ms: u64,
    /// Stop after N DM sessions ended: by the server, or in silence (the device
    /// quiet past --idle after the server's answer); else at Ctrl-C
    #[arg(long, value_name = "N")]
    pub(crate) sessions: Option<usize>,
    /// Seconds a device may stay quiet after the server's answer before its session
    /// counts as ended in silence (fractions allowed: 0.5)
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "10",
        value_parser = super::accounts::parse_seconds
    )]
    pub(crate) idle: std::time::Duration,
    /// The device's secret, for challenge-pkg1 to verify its MD5 answer
    #[arg(long, visible_alias = "secret")]
    pub(crate) client_secret: Option<String>,
    /// The device's user name (with --client-secret)
    #[arg(long, visible_alias = "user", default_value = "dmct-client")]
    pub(crate) client_user: String,
    #[command(flatten)]
    pub(crate) listen_tls: Listen,
    #[command(flatten)]
    pub(crate) capacity: Capacity,
    /// Remove credentials, digests and nonces from what is written
    #[arg(long)]
    pub(crate) redact: bool,
    #[command(flatten)]
    pub(crate) wire: Wire,
}

#[derive(clap::Args)]
pub(crate) struct PeerServerArgs {
    /// Address to listen on
    #[arg(
        long,
        value_name = "ADDR",
        visible_alias = "serve",
        default_value = "127.0.0.1:8080"
    )]
    pub(crate) listen: SocketAddr,
    /// The URL clients reach the server at (base of RespURI), when it differs
    #[arg(long)]
    pub(crate) public_url: Option<String>,
    /// What to send, package by package (a TOML file of [[package]] steps, as in a
    /// scenario's [server] table); default: the session/every-command scenario's
    #[arg(long, value_name = "FILE")]
    pub(crate) script: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) accounts: Accounts,
    #[command(flatten)]
    pub(crate) listen_tls: Listen,
    /// Seconds one HTTP exchange may take
    #[arg(long, default_value_t = 30)]
    pub(crate) exchange_timeout: u64,
    /// Largest HTTP body accepted, in bytes (larger ones are answered 413)
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub(crate) max_body: usize,
    #[command(flatten)]
    pub(crate) capacity: Capacity,
    /// Break a rule on purpose, once per session (see `dmct list faults`)
    #[arg(long, value_name = "NAME")]
    pub(crate) fault: Vec<String>,
    #[command(flatten)]
    pub(crate) seed: Seed,
    #[command(flatten)]
    pub(crate) wire: Wire,
}

#[derive(clap::Args)]
pub(crate) struct PeerClientArgs {
    /// The DM server's URL (http:// or https://)
    #[arg(long)]
    pub(crate) url: String,
    #[command(flatten)]
    pub(crate) accounts: Accounts,
    /// The encoding the client speaks (xml or wbxml)
    #[arg(long, value_enum, default_value = "xml")]
    pub(crate) encoding: WireEncoding,
    /// Speak WBXML: the same as --encoding wbxml
    #[arg(long, conflicts_with = "encoding")]
    pub(crate) wbxml: bool,
    #[command(flatten)]
    pub(crate) seed: Seed,
    /// Answer this Package 0 (server-initiated session, Alert 1200): its digest is
    /// checked with the server's secret
    #[arg(long, value_name = "FILE", requires = "server_secret")]
    pub(crate) package0: Option<PathBuf>,
    /// Write the session's transcript (JSON) here
    #[arg(long, value_name = "FILE")]
    pub(crate) transcript: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) trust: Trust,
    /// Seconds one HTTP exchange may take
    #[arg(long, default_value_t = 30)]
    pub(crate) exchange_timeout: u64,
    #[command(flatten)]
    pub(crate) wire: Wire,
}
