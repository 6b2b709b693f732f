//! `dmct`: the OMA DM 1.2 conformance harness, from the command line.
//!
//! Exit codes (labs script against them):
//! - 0: every case passed
//! - 1: a MUST or MUST NOT rule was violated
//! - 2: usage or harness error, a server URL that is no DM server, or a case was
//!   inconclusive
//! - 3: nothing was selected (a filter matched no case: never green)
//! - 130: interrupted by Ctrl-C, SIGTERM or SIGHUP (`run`, `proxy --sessions N`); the
//!   reports of what happened until then are written (`interrupt.rs`)
//!
//! `dmct peer client` exits 0 when its session ended well and 1 when it did not.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use dmct_proto::auth::{Credentials, Nonce, Scheme};
use dmct_proto::package0::Package0Nonce;
use dmct_report::{CaseVerdict, RunReport};
use dmct_rules::Role;
use dmct_suite::{CaseRun, Options, Scenario, output, runner};

mod fdlimit;
mod interrupt;
mod modes;
mod peer;
mod preflight;
mod proxy;
mod redacting;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "dmct",
    version,
    about = "OMA DM 1.2 (SyncML DM) protocol conformance test harness"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// Directory for report.json, report.txt and transcripts/
    #[arg(long, default_value = "target/dmct")]
    out: PathBuf,
    /// Load scenarios from this directory instead of the built-in testcases/scenarios
    #[arg(long)]
    scenarios: Option<PathBuf>,
    /// Seconds one HTTP exchange may take before it is recorded as timed out
    #[arg(long, default_value_t = 30)]
    exchange_timeout: u64,
    /// Largest HTTP body accepted, in bytes (larger ones are answered 413)
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_body: usize,
    #[command(flatten)]
    trust: Trust,
    /// Capability profile of the peer under test (TOML: lacks = ["hmac", ...]); rules
    /// about features it lacks are reported not-applicable
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    #[command(flatten)]
    seed: Seed,
}

/// What dmct's listener takes on at once, all connections together (README: Limits).
#[derive(clap::Args, Clone)]
struct Capacity {
    /// Bytes of request bodies dmct's listener holds at once, all connections together;
    /// a body past it is answered 503 with Retry-After and recorded as refused by the
    /// harness (its case inconclusive)
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    max_inflight_bytes: usize,
    /// Connections dmct's listener keeps open at once; a new one past it is answered 503
    /// and closed (lowered to fit the open-file limit)
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
}

impl Capacity {
    /// Set a listener's limits; `fds_each` is the descriptors one connection costs.
    fn apply(&self, limits: &mut dmct_net::Limits, fds_each: u64) -> Result<()> {
        if self.max_inflight_bytes < limits.max_body {
            bail!(
                "--max-inflight-bytes {} is below --max-body {}: a body the harness accepts \
                 could never be held",
                self.max_inflight_bytes,
                limits.max_body
            );
        }
        if self.max_connections == 0 {
            bail!("--max-connections must be at least 1");
        }
        limits.max_inflight = self.max_inflight_bytes;
        limits.max_connections = fdlimit::cap(self.max_connections, fds_each);
        Ok(())
    }
}

/// Where the SessionIDs and nonces dmct generates come from.
#[derive(clap::Args, Clone)]
struct Seed {
    /// Seed of every SessionID and nonce dmct generates, recorded in report.json (left
    /// out under --redact); the same seed replays a run byte for byte. Default: a
    /// fresh one per run, so a server that keys sessions on SessionID never mixes one
    /// run into the last
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

impl Seed {
    /// The given seed, or a fresh one from the operating system.
    fn value(&self) -> Result<u64> {
        match self.seed {
            Some(s) => Ok(s),
            None => getrandom::u64().context("cannot draw a fresh seed from the system"),
        }
    }
}

/// The encoding dmct's client speaks ([REP] §5: a server may speak only one).
#[derive(Clone, Copy, clap::ValueEnum)]
enum WireEncoding {
    Xml,
    Wbxml,
}

/// A negative probe `drive` sends: credentials made wrong or left out on purpose.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ProbeArg {
    /// A wrong password in the Cred or the HMAC mac
    WrongSecret,
    /// An MD5 digest or HMAC mac keyed with a nonce the server has replaced
    StaleNonce,
    /// No x-syncml-hmac header once the server accepted HMAC
    MissingHmac,
}

impl From<ProbeArg> for dmct_proto::transcript::ProbeKind {
    fn from(p: ProbeArg) -> Self {
        use dmct_proto::transcript::ProbeKind;
        match p {
            ProbeArg::WrongSecret => ProbeKind::WrongSecret,
            ProbeArg::StaleNonce => ProbeKind::StaleNonce,
            ProbeArg::MissingHmac => ProbeKind::MissingHmac,
        }
    }
}

impl From<WireEncoding> for dmct_proto::xml::Encoding {
    fn from(e: WireEncoding) -> Self {
        match e {
            WireEncoding::Xml => dmct_proto::xml::Encoding::Xml,
            WireEncoding::Wbxml => dmct_proto::xml::Encoding::Wbxml,
        }
    }
}

/// How the DM messages dmct writes label themselves.
#[derive(clap::Args, Clone)]
struct Wire {
    /// How Content-Type carries the media type's verproto parameter. quoted (default):
    /// verproto="DM/1.2"; '/' is not a token character, so RFC 7231 allows the value
    /// only as a quoted-string, which every strict HTTP parser reads, and the version
    /// stays in the head as the registration offers. omit: no parameter (it is
    /// optional), for a peer whose parser does not unquote
    #[arg(long, value_enum, default_value = "quoted", value_name = "FORM")]
    verproto_param: VerProtoArg,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum VerProtoArg {
    Quoted,
    Omit,
}

impl Wire {
    fn verproto(&self) -> dmct_proto::media_type::VerProtoParam {
        use dmct_proto::media_type::VerProtoParam;
        match self.verproto_param {
            VerProtoArg::Quoted => VerProtoParam::Quoted,
            VerProtoArg::Omit => VerProtoParam::Omit,
        }
    }
}

/// What a run covers and what makes it fail: filters, a baseline, deviations.
#[derive(clap::Args, Clone)]
struct Gate {
    /// Only cases whose id matches PATTERN (`*` matches anything); repeatable
    #[arg(long = "case", value_name = "PATTERN")]
    cases: Vec<String>,
    /// Only cases that exercise rule ID, and only its findings; repeatable
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Only findings of LEVEL: must (MUST and MUST NOT), should, may; repeatable
    #[arg(long = "level", value_name = "LEVEL")]
    levels: Vec<String>,
    /// Compare with an earlier run's report.json: new failures, fixes, new cases
    #[arg(long, value_name = "OLD.json")]
    baseline: Option<PathBuf>,
    /// What fails the run: any failure (default), or only regressions against
    /// --baseline
    #[arg(long, value_enum, default_value = "any")]
    fail_on: FailOn,
    /// Known deviations (TOML) that do not fail the run; an entry that no longer
    /// happens does
    #[arg(long, value_name = "FILE")]
    deviations: Option<PathBuf>,
    /// Write a deviations file listing every failure of this run, to start from
    #[arg(long, value_name = "FILE")]
    write_deviations: Option<PathBuf>,
    /// Remove credentials, digests and nonces from transcripts and reports
    #[arg(long)]
    redact: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FailOn {
    Any,
    Regression,
}

/// How dmct's client trusts https:// servers.
#[derive(clap::Args, Clone)]
struct Trust {
    /// CA certificate(s), PEM, to trust for https:// servers
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Accept any certificate from https:// servers (lab servers with self-signed
    /// certificates); the connection is encrypted but the server is not verified
    #[arg(long, conflicts_with = "ca_file")]
    insecure: bool,
    /// Present this TLS client certificate (PEM, leaf first) to https:// servers that
    /// ask for one: transport-layer client authentication, with --client-key
    #[arg(long, value_name = "FILE", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// The private key of --client-cert (PEM)
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    client_key: Option<PathBuf>,
}

/// HTTPS on dmct's listener.
#[derive(clap::Args, Clone)]
struct Listen {
    /// Serve HTTPS: with the certificate of --cert/--key, or one dmct generates for
    /// localhost and 127.0.0.1 (its PEM is written to --ca-out for clients to trust)
    #[arg(long)]
    tls: bool,
    /// Certificate chain, PEM (with --tls)
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    cert: Option<PathBuf>,
    /// Private key, PEM (with --tls)
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    key: Option<PathBuf>,
    /// Where to write the generated certificate, for clients to trust
    #[arg(long, value_name = "FILE", default_value = "target/dmct/dmct-ca.pem")]
    ca_out: PathBuf,
    /// Extra names (host names or IP addresses) for the generated certificate
    #[arg(long, value_name = "NAME")]
    cert_name: Vec<String>,
    /// Require a TLS client certificate issued by a CA in this PEM file (with --tls):
    /// transport-layer client authentication; a client without one fails the handshake
    #[arg(long, value_name = "FILE", requires = "tls")]
    client_ca: Option<PathBuf>,
}

/// Credentials of the DM client's account and of the server.
#[derive(clap::Args, Clone)]
struct Accounts {
    /// The client's user name (AAuthName of CLCRED): what dmct's server expects, or
    /// what dmct's client presents
    #[arg(
        long = "client-user",
        visible_alias = "user",
        default_value = "dmct-client"
    )]
    client_user: String,
    /// The client's secret (AAuthSecret of CLCRED)
    #[arg(
        long = "client-secret",
        visible_alias = "secret",
        default_value = "dmct-client-secret"
    )]
    client_secret: String,
    /// The server's user name (SRVCRED): what dmct's server presents, or what dmct's
    /// client expects of a server under test (with --server-secret)
    #[arg(long, default_value = "dmct-server")]
    server_user: String,
    /// The server's secret (SRVCRED)
    #[arg(long)]
    server_secret: Option<String>,
    /// Authentication scheme: what dmct's client opens Package #1 with (none: no
    /// credentials until challenged; a challenge is answered either way), or what
    /// dmct's server challenges with (basic, md5 or hmac)
    #[arg(long, value_name = "SCHEME", value_enum)]
    auth: Option<Auth>,
    /// The nonce (base64) the client holds from its account or an earlier session
    /// (CLCRED AAuthData): dmct's client keys unprompted MD5 and HMAC with it; `peer
    /// server` checks the unprompted MD5 or HMAC that opens a session with it. Default:
    /// the special nonce value 0x00000000 (four zero bytes, AAAAAA==)
    #[arg(long, value_name = "B64", value_parser = parse_nonce)]
    nonce: Option<Nonce>,
    /// The server's ServerID (DMAcc ServerID): what dmct's server names in Package 0
    /// and keys its digest with, or what dmct's client holds for the server
    #[arg(long, value_name = "ID", default_value = dmct_suite::peers::DEFAULT_SERVER_ID)]
    server_id: String,
}

/// `--pkg0-ui-mode`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Pkg0UiMode {
    NotSpecified,
    Background,
    Informative,
    UserInteraction,
}

impl From<Pkg0UiMode> for dmct_proto::package0::UiMode {
    fn from(m: Pkg0UiMode) -> Self {
        use dmct_proto::package0::UiMode;
        match m {
            Pkg0UiMode::NotSpecified => UiMode::NotSpecified,
            Pkg0UiMode::Background => UiMode::Background,
            Pkg0UiMode::Informative => UiMode::Informative,
            Pkg0UiMode::UserInteraction => UiMode::UserInteraction,
        }
    }
}

/// `--pkg0-initiator`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Pkg0Initiator {
    Server,
    User,
}

impl From<Pkg0Initiator> for dmct_proto::package0::Initiator {
    fn from(i: Pkg0Initiator) -> Self {
        use dmct_proto::package0::Initiator;
        match i {
            Pkg0Initiator::Server => Initiator::Server,
            Pkg0Initiator::User => Initiator::Client,
        }
    }
}

/// `--auth`: a scheme, or none.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Auth {
    None,
    Basic,
    Md5,
    Hmac,
}

impl Auth {
    fn scheme(self) -> Option<Scheme> {
        match self {
            Auth::None => None,
            Auth::Basic => Some(Scheme::Basic),
            Auth::Md5 => Some(Scheme::Md5),
            Auth::Hmac => Some(Scheme::Hmac),
        }
    }
}

fn parse_nonce(s: &str) -> std::result::Result<Nonce, String> {
    Nonce::from_b64(s).map_err(|_| format!("{s:?} is not base64"))
}

impl Accounts {
    fn client(&self) -> Credentials {
        Credentials {
            user: self.client_user.clone(),
            secret: self.client_secret.clone(),
        }
    }

    fn server(&self) -> Option<Credentials> {
        self.server_secret.as_ref().map(|secret| Credentials {
            user: self.server_user.clone(),
            secret: secret.clone(),
        })
    }

    /// The DM server at `url` as dmct's client authenticates to it.
    fn target(&self, url: &str) -> dmct_suite::TargetServer {
        let mut t = dmct_suite::TargetServer::new(url, self.client());
        t.scheme = self.auth.and_then(Auth::scheme);
        t.unprompted = self.auth != Some(Auth::None);
        if let Some(n) = &self.nonce {
            t.nonce = Some(n.clone());
        }
        t.server_creds = self.server();
        t
    }

    /// What dmct's server presents (the device's SRVCRED): --server-user with
    /// --server-secret, each defaulting to the built-in account's.
    fn srvcred(&self) -> Credentials {
        Credentials {
            user: self.server_user.clone(),
            secret: self
                .server_secret
                .clone()
                .unwrap_or_else(|| dmct_suite::peers::default_server_creds().secret),
        }
    }

    /// The scheme dmct's server asks of a client whose credentials are missing or
    /// wrong (MD5 unless told); `None` for `--auth none`: it demands none.
    fn client_auth(&self) -> Option<Scheme> {
        match self.auth {
            Some(a) => a.scheme(),
            None => Some(Scheme::Md5),
        }
    }
}

// One value per process, parsed once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the scenarios against a DM client: the built-in one over loopback by default,
    /// or an external client that connects to --serve ADDR
    Run {
        #[command(flatten)]
        common: Common,
        /// Listen on ADDR (e.g. 0.0.0.0:8080) and wait for an external client per scenario
        #[arg(long, value_name = "ADDR", conflicts_with = "target_server")]
        serve: Option<SocketAddr>,
        /// The server URL to tell the device, when it differs from http://ADDR/dm
        #[arg(long, requires = "serve")]
        public_url: Option<String>,
        /// Wake the device for each case by running this shell command, with the case's
        /// Package 0 in DMCT_PKG0_FILE (a file) and DMCT_PKG0_HEX, the server URL in
        /// DMCT_SERVER_URL, the SessionID in DMCT_SESSION_ID and the case in DMCT_CASE;
        /// a sanity session runs before and after the suite
        #[arg(long, value_name = "CMD", requires = "serve")]
        exec: Option<String>,
        /// The nonce of Package 0's digest. A device checks it with its stored server
        /// nonce (SRVCRED AAuthData), then SHOULD retry with 0x00000000 ([NOT] §5.1).
        /// resync: that notation read as a 32-bit value, four zero bytes (the default,
        /// as it needs nothing known of the device); resync-ascii: its 10-character
        /// reading, which some clients use (which the text means is unconfirmed); empty:
        /// no bytes; b64:VALUE: the device's stored server nonce (what the lab
        /// provisioned, or what the device last issued to the server in a Chal)
        #[arg(
            long,
            value_name = "resync|resync-ascii|empty|b64:VALUE",
            default_value = "resync",
            requires = "serve"
        )]
        pkg0_nonce: Package0Nonce,
        /// Package 0's ui-mode ([NOT] §6.2.7), which the device SHOULD follow
        #[arg(long, value_enum, default_value = "not-specified", requires = "exec")]
        pkg0_ui_mode: Pkg0UiMode,
        /// Package 0's initiator ([NOT] §6.2.8): the server, or a user at the server
        #[arg(long, value_enum, default_value = "server", requires = "exec")]
        pkg0_initiator: Pkg0Initiator,
        /// The device starts its sessions itself (no Package 0 can reach it): each case
        /// asks the operator, or runs --exec without a Package 0, to start a session;
        /// cases that need a server-initiated session are not applicable
        #[arg(long, requires = "serve")]
        client_initiated: bool,
        /// Seconds to wait for the client's first package of each scenario
        #[arg(long, default_value_t = 300)]
        wait: u64,
        /// Seconds one whole session (case) may take
        #[arg(long, default_value_t = 300)]
        session_timeout: u64,
        /// Seconds of silence after which a client's session is taken as over
        #[arg(long, default_value_t = 10)]
        idle: u64,
        /// Run the server-side scenarios against the DM server at URL, dmct playing the
        /// client; without URL, against the built-in reference server
        #[arg(
            long,
            value_name = "URL",
            num_args = 0..=1,
            default_missing_value = "builtin"
        )]
        target_server: Option<String>,
        /// The encoding dmct's client speaks in every server-side scenario (xml or
        /// wbxml); the scenario's by default
        #[arg(long, value_enum, conflicts_with = "serve")]
        encoding: Option<WireEncoding>,
        #[command(flatten)]
        accounts: Accounts,
        #[command(flatten)]
        listen: Listen,
        #[command(flatten)]
        capacity: Capacity,
        #[command(flatten)]
        gate: Gate,
        #[command(flatten)]
        wire: Wire,
    },
    /// Run every scenario against the conformant built-in peers and every faulty one;
    /// exit 0 only when the conformant peers pass and every fault is caught
    Selftest {
        #[command(flatten)]
        common: Common,
    },
    /// Drive one session of the built-in client against a DM server at URL and judge
    /// the server
    Drive {
        #[command(flatten)]
        common: Common,
        /// The DM server's URL (http://...)
        url: String,
        #[command(flatten)]
        accounts: Accounts,
        /// The encoding the built-in client speaks (xml or wbxml)
        #[arg(long, value_enum, default_value = "xml")]
        encoding: WireEncoding,
        #[command(flatten)]
        wire: Wire,
        /// Send this negative probe (repeatable, in order; each once); the server must
        /// refuse it with 401 or 407 and a Chal. With stale-nonce, Package #1 goes without
        /// credentials, so the nonce comes from the server's challenge
        #[arg(long, value_enum, value_name = "PROBE")]
        probe: Vec<ProbeArg>,
        /// Remove credentials, digests and nonces from what is written and printed
        #[arg(long)]
        redact: bool,
    },
    /// Judge recorded transcripts (dmct's JSON transcript format) offline
    Check {
        /// Transcript files
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Capability profile of the peer (see `run --profile`)
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
    },
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
    Proxy {
        #[command(flatten)]
        common: Common,
        /// Where devices connect
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
        /// The real DM server (http:// or https://)
        #[arg(long, value_name = "URL")]
        upstream: String,
        /// The proxy's URL as devices reach it (base of rewritten RespURIs)
        #[arg(long)]
        public_url: Option<String>,
        /// Provoke a situation the rules are about (see `dmct list mutations`);
        /// repeatable
        #[arg(long = "mutate", value_name = "NAME")]
        mutations: Vec<String>,
        /// Milliseconds delay-response holds a response
        #[arg(long, default_value_t = 2000)]
        delay_ms: u64,
        /// Stop after N DM sessions ended: by the server, or in silence (the device
        /// quiet past --idle after the server's answer); else at Ctrl-C
        #[arg(long, value_name = "N")]
        sessions: Option<usize>,
        /// Seconds a device may stay quiet after the server's answer before its session
        /// counts as ended in silence
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        idle: u64,
        /// The device's secret, for challenge-pkg1 to verify its MD5 answer
        #[arg(long)]
        client_secret: Option<String>,
        /// The device's user name (with --client-secret)
        #[arg(long, default_value = "dmct-client")]
        client_user: String,
        #[command(flatten)]
        listen_tls: Listen,
        #[command(flatten)]
        capacity: Capacity,
        /// Remove credentials, digests and nonces from what is written
        #[arg(long)]
        redact: bool,
        #[command(flatten)]
        wire: Wire,
    },
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

#[derive(Subcommand)]
enum PeerCommand {
    /// The reference DM server, serving any number of clients until Ctrl-C
    Server {
        /// Address to listen on
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The URL clients reach the server at (base of RespURI), when it differs
        #[arg(long)]
        public_url: Option<String>,
        /// What to send, package by package (a TOML file of [[package]] steps, as in a
        /// scenario's [server] table); default: the session/every-command scenario's
        #[arg(long, value_name = "FILE")]
        script: Option<PathBuf>,
        #[command(flatten)]
        accounts: Accounts,
        #[command(flatten)]
        listen_tls: Listen,
        /// Seconds one HTTP exchange may take
        #[arg(long, default_value_t = 30)]
        exchange_timeout: u64,
        /// Largest HTTP body accepted, in bytes (larger ones are answered 413)
        #[arg(long, default_value_t = 16 * 1024 * 1024)]
        max_body: usize,
        #[command(flatten)]
        capacity: Capacity,
        /// Break a rule on purpose, once per session (see `dmct list faults`)
        #[arg(long, value_name = "NAME")]
        fault: Vec<String>,
        #[command(flatten)]
        seed: Seed,
        #[command(flatten)]
        wire: Wire,
    },
    /// One session of the reference DM client; exits 0 when the session ended well
    Client {
        /// The DM server's URL (http:// or https://)
        #[arg(long)]
        url: String,
        #[command(flatten)]
        accounts: Accounts,
        /// The encoding the client speaks (xml or wbxml)
        #[arg(long, value_enum, default_value = "xml")]
        encoding: WireEncoding,
        /// Speak WBXML: the same as --encoding wbxml
        #[arg(long, conflicts_with = "encoding")]
        wbxml: bool,
        #[command(flatten)]
        seed: Seed,
        /// Answer this Package 0 (server-initiated session, Alert 1200): its digest is
        /// checked with the server's secret
        #[arg(long, value_name = "FILE", requires = "server_secret")]
        package0: Option<PathBuf>,
        /// Write the session's transcript (JSON) here
        #[arg(long, value_name = "FILE")]
        transcript: Option<PathBuf>,
        #[command(flatten)]
        trust: Trust,
        /// Seconds one HTTP exchange may take
        #[arg(long, default_value_t = 30)]
        exchange_timeout: u64,
        #[command(flatten)]
        wire: Wire,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ListWhat {
    Rules,
    Scenarios,
    Cases,
    Faults,
    Mutations,
}

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
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    redacting::remember(&matches);
    match real_main(cli, &matches) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dmct: error: {}", readable(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli, matches: &clap::ArgMatches) -> Result<ExitCode> {
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
                opts.idle = Duration::from_secs(idle);
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
                let scenarios = selection.scenarios(&scenarios(&common)?);
                if scenarios.is_empty() {
                    eprintln!("dmct: nothing selected: no case matches the filters");
                    return Ok(ExitCode::from(3));
                }
                if serve.is_some() {
                    opts.server_tls = server_tls(&listen)?;
                }
                // Caught before anything is announced: a signal on "listening" is ours.
                let mut signals = interrupt::Signals::catch()?;
                let collector = std::sync::Arc::new(dmct_suite::interrupted::Collector::default());
                opts.collector = Some(collector.clone());
                let left_out = LeftOut::default();
                let started = Instant::now();
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
                    eprintln!("dmct: nothing selected: no selected case tests this role");
                    return Ok(ExitCode::from(3));
                }
                let mut report = dmct_suite::report_with(
                    "run",
                    &runs,
                    elapsed_ms(started),
                    &profile(common.profile.as_deref())?,
                    opts.seed,
                );
                let Some((signal, running)) = interrupted else {
                    return gated_finish(&common.out, report, runs, &selection, &gate);
                };
                dmct_suite::interrupted::mark(&mut report, running, signal);
                gated_finish(&common.out, report, runs, &selection, &gate)?;
                Ok(ExitCode::from(interrupt::INTERRUPTED))
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
                if let Some((signal, running)) = interrupted {
                    // A self-test cut short proves nothing: its reports say how far it got.
                    dmct_suite::interrupted::mark(&mut report, running, signal);
                    write_and_print(&common.out, &report, &runs)?;
                    return Ok(ExitCode::from(interrupt::INTERRUPTED));
                }
                let mut st = dmct_suite::selftest_summary(&report.cases);
                st.harness_failures = dmct_suite::judge_harness(&runs);
                let ok = st.conformant_pass
                    && st.faults.iter().all(|f| f.is_caught())
                    && st.harness_failures.is_empty();
                report.selftest = Some(st);
                write_and_print(&common.out, &report, &runs)?;
                Ok(ExitCode::from(if ok { 0 } else { 1 }))
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
                if let Some((signal, running)) = interrupted {
                    dmct_suite::interrupted::mark(&mut report, running, signal);
                }
                if redact {
                    dmct_suite::redact::outputs(&mut report, &mut runs);
                }
                let code = finish(&common.out, &report, &runs)?;
                Ok(match interrupted {
                    Some(_) => ExitCode::from(interrupt::INTERRUPTED),
                    None => code,
                })
            }
            Command::Check { files, profile: p } => check(&files, &profile(p.as_deref())?),
            Command::Decode { file } => {
                let msg = read_message(&file)?;
                print!("{}", msg.wire_text());
                Ok(ExitCode::SUCCESS)
            }
            Command::Encode { file, wbxml, .. } => {
                let msg = read_message(&file)?;
                let encoding = if wbxml {
                    dmct_proto::xml::Encoding::Wbxml
                } else {
                    dmct_proto::xml::Encoding::Xml
                };
                use std::io::Write as _;
                std::io::stdout()
                    .write_all(&dmct_proto::encode(&msg.message, encoding))
                    .context("cannot write to standard output")?;
                Ok(ExitCode::SUCCESS)
            }
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
                config.idle = Duration::from_secs(idle);
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
                    eprintln!("dmct: the proxy saw no DM session");
                    write_and_print(&common.out, &report, &runs)?;
                    return Ok(ExitCode::from(if interrupted.is_some() {
                        interrupt::INTERRUPTED
                    } else {
                        3
                    }));
                }
                let code = finish(&common.out, &report, &runs)?;
                Ok(match interrupted {
                    Some(_) => ExitCode::from(interrupt::INTERRUPTED),
                    None => code,
                })
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

/// A progress bar on standard error when it is a terminal; nothing otherwise.
fn progress() -> Option<dmct_suite::runner::Progress> {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} cases {wide_msg}")
    {
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
    let tls = match (&t.ca_file, t.insecure) {
        (Some(f), _) => Some(dmct_net::ClientTls::from_ca_file(f)?),
        (None, true) => Some(dmct_net::ClientTls::insecure()?),
        (None, false) => None,
    };
    Ok(match (tls, &t.client_cert, &t.client_key) {
        (Some(tls), Some(cert), Some(key)) => Some(tls.with_client_cert(cert, key)?),
        (None, Some(_), _) => bail!(
            "--client-cert is presented over https only: say which servers to trust with \
             --ca-file or --insecure"
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

fn lock(left_out: &LeftOut) -> std::sync::MutexGuard<'_, Vec<dmct_suite::gated::Apart>> {
    left_out.lock().unwrap_or_else(|p| p.into_inner())
}

/// The requests no case took, kept in OUT/left-out.json (redacted with --redact).
fn write_left_out(out: &Path, left: &[dmct_suite::gated::Apart], redact: bool) -> Result<()> {
    if left.is_empty() {
        return Ok(());
    }
    let left: Vec<dmct_suite::gated::Apart> = left
        .iter()
        .cloned()
        .map(|mut a| {
            if redact {
                let t = dmct_proto::transcript::Transcript {
                    exchanges: vec![a.exchange.clone()],
                    ..Default::default()
                };
                if let Some(e) = dmct_suite::redact::transcript(&t).0.exchanges.pop() {
                    a.exchange = e;
                }
            }
            a
        })
        .collect();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("left-out.json");
    let json = serde_json::to_string_pretty(&left).context("cannot serialise left-out requests")?;
    output::write_atomic(&path, json.as_bytes())?;
    eprintln!(
        "dmct: {} request(s) left out of every case are in {}",
        left.len(),
        path.display()
    );
    Ok(())
}

async fn serve_cases(
    addr: SocketAddr,
    public_url: Option<String>,
    scenarios: &[Scenario],
    opts: &Options,
    trigger: Option<&runner::Trigger>,
    redact: bool,
    left_out: &LeftOut,
) -> Result<Vec<CaseRun>> {
    let public_url_missing = public_url.is_none();
    let server = dmct_suite::ExternalServer::bind(addr, public_url, opts).await?;
    let todo: Vec<_> = scenarios
        .iter()
        .filter(|s| s.roles.contains(&Role::Client))
        .collect();
    eprintln!(
        "dmct: DM server listening on {} (tell the device: {})",
        server.local_addr(),
        server.url
    );
    if public_url_missing && addr.ip().is_unspecified() {
        eprintln!(
            "dmct: warning: {} is not an address a device can reach; pass --public-url with \
             the URL the device should use (it is also the base of the RespURIs dmct sends)",
            addr.ip()
        );
    }
    eprintln!(
        "{}",
        preflight::describe(
            &preflight::DeviceAccount {
                server_url: &server.url,
                server_id: &opts.server_id,
                client: &opts.client_creds,
                challenge: opts.client_auth,
                server: &opts.server_creds,
                tls: opts.server_tls.is_some(),
            },
            redact,
        )
    );
    let mut runs = Vec::new();
    // With a trigger the device is woken automatically, so a sanity session before and
    // after the suite costs nothing and tells a dead device from a failing one.
    if let Some(t) = trigger {
        let nonce = match &opts.package0_nonce {
            Package0Nonce::Resync => "0x00000000 as four zero bytes",
            Package0Nonce::ResyncAscii => "0x00000000 as ten ASCII characters",
            Package0Nonce::Empty => "no bytes",
            Package0Nonce::Stored(_) => "the device's stored server nonce",
        };
        eprintln!(
            "dmct: each Package 0 names ServerID {:?} and is signed with SRVCRED's secret and \
             nonce {} ({nonce})",
            opts.server_id,
            dmct_suite::redact::scrub_known(&opts.package0_nonce.to_string())
        );
        eprintln!(
            "dmct: sanity session before the suite (waking the device with {})",
            if redact {
                "the --exec command, not shown under --redact".to_owned()
            } else {
                format!("`{}`", t.command)
            }
        );
        let sanity = dmct_suite::scenario::sanity("before");
        opts.starting(&sanity, Role::Client, "external-client");
        let before = server.run_case(&sanity, opts, Some(t)).await;
        tell_apart(&server, left_out);
        let alive = !before.transcript.exchanges.is_empty();
        opts.finished(&before);
        runs.push(before);
        if !alive {
            eprintln!("dmct: the device did not answer the sanity session: the suite is not run");
            for s in &todo {
                let run = runner::skipped(
                    s,
                    "the device did not answer the sanity session before the suite",
                );
                opts.finished(&run);
                runs.push(run);
            }
            server.shutdown().await;
            return Ok(runs);
        }
    }
    for (i, s) in todo.iter().enumerate() {
        let not_run = match runner::inapplicable(s, opts) {
            Some(why) => Some(runner::not_applicable(s, &why)),
            // Asking the operator for a session a Package 0 should have started would
            // only ever give an inconclusive case.
            None if s.client.package0 && trigger.is_none() => Some(runner::skipped(
                s,
                "this case needs a server-initiated session and no Package 0 can be sent \
                 without --exec (a device that cannot be woken: --client-initiated)",
            )),
            None => None,
        };
        if let Some(run) = not_run {
            let verdict = dmct_suite::judge(&run).verdict;
            eprintln!(
                "[{}/{}] {}: {}
      {}: not run",
                i + 1,
                todo.len(),
                s.id,
                s.title,
                verdict.as_str()
            );
            opts.finished(&run);
            runs.push(run);
            continue;
        }
        let how = match trigger {
            Some(_) => "waking the device".to_owned(),
            None => format!(
                "start a DM session on the device now (waiting up to {} s)",
                opts.wait_first.as_secs()
            ),
        };
        eprintln!(
            "[{}/{}] {}: {}\n      {how}",
            i + 1,
            todo.len(),
            s.id,
            s.title
        );
        opts.starting(s, Role::Client, "external-client");
        let run = server.run_case(s, opts, trigger).await;
        tell_apart(&server, left_out);
        opts.finished(&run);
        let verdict = dmct_suite::judge(&run).verdict;
        eprintln!(
            "      {} ({} exchanges)",
            verdict.as_str(),
            run.transcript.exchanges.len()
        );
        runs.push(run);
    }
    if let Some(t) = trigger {
        eprintln!("dmct: sanity session after the suite");
        let sanity = dmct_suite::scenario::sanity("after");
        opts.starting(&sanity, Role::Client, "external-client");
        let after = server.run_case(&sanity, opts, Some(t)).await;
        tell_apart(&server, left_out);
        opts.finished(&after);
        if after.transcript.exchanges.is_empty() {
            eprintln!("dmct: {}", died_during_suite(&runs));
        }
        runs.push(after);
    }
    server.shutdown().await;
    Ok(runs)
}

/// Tell the operator of requests no case took (a second device, a late retry, a new
/// session after the case's ended): answered 503, never judged.
fn tell_apart(server: &dmct_suite::ExternalServer, left_out: &LeftOut) {
    let mut refused = 0;
    for a in server.take_apart() {
        // The listener's own refusals (a flood past its limits) are told by count, not
        // one line each; left-out.json keeps them all.
        if matches!(
            a.exchange.failure,
            Some(dmct_proto::transcript::ExchangeFailure::HarnessRefused { .. })
        ) {
            refused += 1;
        } else {
            eprintln!("      left out of every case: {a}");
        }
        lock(left_out).push(a);
    }
    if refused > 0 {
        eprintln!(
            "      left out of every case: {refused} request(s) refused (503) at dmct's limits \
             (--max-inflight-bytes, --max-connections); see left-out.json"
        );
    }
}

/// The device answered the sanity session before the suite and not the one after: when
/// it was last heard of, so the operator knows which cases it never saw.
fn died_during_suite(runs: &[CaseRun]) -> String {
    let last = runs
        .iter()
        .rev()
        .find(|r| !r.transcript.exchanges.is_empty());
    match last {
        Some(r) => format!(
            "the device did not answer the sanity session after the suite: it stopped \
             answering during the suite; the last case it answered was {}{}, and the cases \
             after it saw no device",
            r.scenario.id,
            r.transcript
                .ended
                .as_deref()
                .map(|at| format!(" (its session ended at {at})"))
                .unwrap_or_default()
        ),
        None => "the device did not answer the sanity session after the suite".into(),
    }
}

fn write_and_print(out: &Path, report: &RunReport, runs: &[CaseRun]) -> Result<()> {
    use std::io::IsTerminal as _;
    output::write_all(out, report, runs)?;
    print!("{}", dmct_report::render_text(report));
    print!("{}", summary_table(report, std::io::stdout().is_terminal()));
    eprintln!(
        "dmct: report written to {}",
        out.join("report.json").display()
    );
    Ok(())
}

/// Write the outputs and map the verdicts to the exit code.
fn finish(out: &Path, report: &RunReport, runs: &[CaseRun]) -> Result<ExitCode> {
    write_and_print(out, report, runs)?;
    Ok(exit_code(report.cases.iter().map(|c| c.verdict)))
}

/// `dmct export`: a failing case of an earlier run, as a vector file.
fn export(
    case: &str,
    from: &Path,
    rule: Option<&str>,
    out: Option<PathBuf>,
    redact: bool,
) -> Result<ExitCode> {
    let report_path = from.join("report.json");
    let text = std::fs::read_to_string(&report_path)
        .with_context(|| format!("cannot read {}", report_path.display()))?;
    let report: RunReport = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a dmct report.json", report_path.display()))?;
    let failing = |c: &&dmct_report::CaseResult| {
        c.findings
            .iter()
            .any(|f| f.verdict == dmct_rules::Verdict::Fail && rule.is_none_or(|r| r == f.rule))
    };
    let Some(c) = report.cases.iter().filter(|c| c.id == case).find(failing) else {
        bail!(
            "{} has no failing case {case}{} (cases: {})",
            report_path.display(),
            rule.map(|r| format!(" for rule {r}")).unwrap_or_default(),
            report
                .cases
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let f = c
        .findings
        .iter()
        .find(|f| f.verdict == dmct_rules::Verdict::Fail && rule.is_none_or(|r| r == f.rule))
        .context("no failing finding")?;
    let tpath = from.join(
        c.transcript
            .as_deref()
            .context("the case has no transcript file")?,
    );
    let ttext = std::fs::read_to_string(&tpath)
        .with_context(|| format!("cannot read {}", tpath.display()))?;
    let mut transcript: dmct_proto::transcript::Transcript = serde_json::from_str(&ttext)
        .with_context(|| format!("{} is not a dmct transcript", tpath.display()))?;
    if redact {
        transcript = dmct_suite::redact::transcript(&transcript).0;
    }
    let v = dmct_suite::vectors::RuleVector {
        vector_format: dmct_suite::vectors::VECTOR_FORMAT,
        rule: f.rule.clone(),
        clause: f.clause.clone(),
        level: f.level,
        expected: dmct_rules::Verdict::Fail,
        scenario: c.id.clone(),
        role: c.role,
        peer: c.peer.name.clone(),
        faults: c.peer.faults.clone(),
        transcript,
    };
    let path = out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}--{}.json",
            c.id.replace('/', "__"),
            f.rule.replace('/', "__")
        ))
    });
    std::fs::write(&path, dmct_suite::vectors::to_json(&v))
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "dmct: {} ({} {}) written to {}; `dmct check {}` replays it",
        f.rule,
        c.id,
        c.peer.label(),
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn selection(g: &Gate) -> Result<dmct_suite::select::Selection> {
    let mut levels = Vec::new();
    for l in &g.levels {
        levels.extend(dmct_suite::select::parse_level(l).with_context(|| {
            format!("unknown level {l:?}: use must, must-not, should, should-not or may")
        })?);
    }
    for r in &g.rules {
        if dmct_rules::info(r).is_none() {
            bail!("unknown rule {r:?} (see `dmct list rules`)");
        }
    }
    if g.fail_on == FailOn::Regression && g.baseline.is_none() {
        bail!("--fail-on regression needs --baseline OLD.json");
    }
    Ok(dmct_suite::select::Selection {
        cases: g.cases.clone(),
        rules: g.rules.clone(),
        levels,
    })
}

/// Filters, deviations, baseline and redaction, then the outputs and the exit code.
fn gated_finish(
    out: &Path,
    mut report: RunReport,
    mut runs: Vec<CaseRun>,
    selection: &dmct_suite::select::Selection,
    gate: &Gate,
) -> Result<ExitCode> {
    selection.apply(&mut report);
    if let Some(path) = &gate.write_deviations {
        let f = dmct_suite::deviations::DeviationsFile::bootstrap(&report);
        output::write_atomic(path, f.to_toml().as_bytes())?;
        eprintln!(
            "dmct: {} deviation{} written to {}",
            f.deviations.len(),
            if f.deviations.len() == 1 { "" } else { "s" },
            path.display()
        );
    }
    let mut stale = false;
    let mut notes = String::new();
    if let Some(path) = &gate.deviations {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file = dmct_suite::deviations::DeviationsFile::parse(&text)
            .with_context(|| format!("{} is not a deviations file", path.display()))?;
        let outcome =
            dmct_suite::deviations::apply(&file, &mut report, &dmct_suite::deviations::today());
        stale = !outcome.stale.is_empty();
        notes.push_str("deviations:\n");
        notes.push_str(&outcome.render());
    }
    let mut regressions = false;
    if let Some(path) = &gate.baseline {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let old: RunReport = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a dmct report.json", path.display()))?;
        let diff = dmct_suite::baseline::diff(&old, &report);
        regressions = diff.has_regressions();
        notes.push_str(&diff.render());
        let json = serde_json::to_string_pretty(&diff)?;
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        output::write_atomic(&out.join("baseline-diff.json"), (json + "\n").as_bytes())?;
    }
    if gate.redact {
        let mut secrets = Vec::new();
        for r in &mut runs {
            let (t, s) = dmct_suite::redact::transcript(&r.transcript);
            r.transcript = t;
            secrets.extend(s);
        }
        dmct_suite::redact::report(&mut report, &secrets);
    }
    write_and_print(out, &report, &runs)?;
    if !notes.is_empty() {
        print!("{notes}");
    }
    if report.cases.is_empty() {
        return Ok(ExitCode::from(3));
    }
    if stale {
        return Ok(ExitCode::from(1));
    }
    Ok(match gate.fail_on {
        FailOn::Regression => ExitCode::from(u8::from(regressions)),
        FailOn::Any => exit_code(report.cases.iter().map(|c| c.verdict)),
    })
}

/// Per area (the case id before its first `/`): cases passed, failed, inconclusive;
/// coloured on a terminal.
fn summary_table(report: &RunReport, colour: bool) -> String {
    use std::fmt::Write as _;
    let mut areas: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
    for c in &report.cases {
        let area = c.id.split('/').next().unwrap_or(&c.id);
        let row = areas.entry(area).or_default();
        match c.verdict {
            CaseVerdict::Pass => row[0] += 1,
            CaseVerdict::Fail => row[1] += 1,
            CaseVerdict::Inconclusive => row[2] += 1,
            CaseVerdict::NotApplicable => {}
        }
    }
    let paint = |code: &str, text: String| {
        if colour && !text.trim().starts_with('0') {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{:<12} {:>6} {:>6} {:>13}",
        "area", "pass", "fail", "inconclusive"
    );
    for (area, [p, f, i]) in &areas {
        let _ = writeln!(
            s,
            "{:<12} {} {} {}",
            area,
            paint("32", format!("{p:>6}")),
            paint("1;31", format!("{f:>6}")),
            paint("33", format!("{i:>13}"))
        );
    }
    s
}

fn exit_code(verdicts: impl Iterator<Item = CaseVerdict>) -> ExitCode {
    match verdicts.max() {
        Some(CaseVerdict::Fail) => ExitCode::from(1),
        Some(CaseVerdict::Inconclusive) => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    }
}

fn check(files: &[PathBuf], profile: &dmct_rules::Profile) -> Result<ExitCode> {
    let mut worst = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        // A transcript, or a vector (`dmct export`, testcases/vectors/rules) holding one;
        // an editor's UTF-8 byte order mark is no reason to refuse it.
        let mut value: serde_json::Value =
            serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text))
                .with_context(|| format!("{} is not JSON", f.display()))?;
        // Neither the text nor a copy of the value outlives the parse: a large body
        // would be held once more for each.
        drop(text);
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
        // A Package 0 alone is something to judge (a device refused it: no exchange).
        if t.exchanges.is_empty() && t.package0.is_none() {
            bail!(
                "{} holds no exchanges and no Package 0: there is nothing to judge",
                f.display()
            );
        }
        let mut bodies = t.exchanges.iter().flat_map(|e| {
            std::iter::once(e.request.body.as_bytes())
                .chain(e.response.as_ref().map(|r| r.body.as_bytes()))
        });
        if !t.exchanges.is_empty() && !bodies.any(|b| dmct_proto::decode(b).is_ok()) {
            bail!(
                "{} is not a DM session: none of its {} exchange(s) carries a SyncML DM \
                 message, in XML or WBXML",
                f.display(),
                t.exchanges.len()
            );
        }
        println!("{}:", f.display());
        let mut all = dmct_rules::check(&t);
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
        if let Some((rule, want)) = expected {
            let got = findings
                .iter()
                .filter(|x| x.rule == rule)
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
        worst.push(CaseVerdict::from_findings(&findings));
    }
    Ok(exit_code(worst.into_iter()))
}

/// Read and decode a message from a file or standard input ("-").
fn read_message(file: &Path) -> Result<dmct_proto::xml::Decoded> {
    let bytes = if file.as_os_str() == "-" {
        use std::io::Read as _;
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    dmct_proto::decode(&bytes)
        .with_context(|| format!("{} is not a SyncML DM message", file.display()))
}

fn list(what: ListWhat, json: bool, coverage: bool) -> Result<ExitCode> {
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
                    "{complete} of {} testable rules have a check, vectors both ways and a caught fault",
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
        });
        let plain = summary_table(&report, false);
        assert!(plain.contains("auth") && !plain.contains('\x1b'), "{plain}");
        let coloured = summary_table(&report, true);
        assert!(coloured.contains("\x1b[1;31m"), "{coloured}");
    }
}
