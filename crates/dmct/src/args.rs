//! The command line as clap reads it: every subcommand, flag and default.

use crate::*;

#[derive(Parser)]
#[command(
    name = "dmct",
    version,
    long_version = long_version(),
    about = "OMA DM 1.2 (SyncML DM) protocol conformance test harness",
    after_help = crate::exit::HELP
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(clap::Args, Clone)]
pub(crate) struct Common {
    /// Directory for report.json, report.txt and transcripts/
    #[arg(help_heading = "Reports", long, default_value = "target/dmct")]
    pub(crate) out: PathBuf,
    /// Load scenarios from this directory instead of the built-in testcases/scenarios
    #[arg(help_heading = "Selection", long)]
    pub(crate) scenarios: Option<PathBuf>,
    /// Seconds one HTTP exchange may take before it is recorded as timed out
    #[arg(help_heading = "Timeouts", long, default_value_t = 30)]
    pub(crate) exchange_timeout: u64,
    /// Largest HTTP body accepted, in bytes (larger ones are answered 413)
    #[arg(help_heading = "Transport", long, default_value_t = 16 * 1024 * 1024)]
    pub(crate) max_body: usize,
    #[command(flatten)]
    pub(crate) trust: Trust,
    /// Capability profile of the peer under test (TOML: lacks = ["hmac", ...]); rules
    /// about features it lacks are reported not-applicable
    #[arg(help_heading = "Selection", long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) seed: Seed,
}

/// What dmct's listener takes on at once, all connections together (README: Limits).
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Transport")]
pub(crate) struct Capacity {
    /// Bytes of request bodies dmct's listener holds at once, all connections together;
    /// a body past it is answered 503 with Retry-After and recorded as refused by the
    /// harness (its case inconclusive)
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub(crate) max_inflight_bytes: usize,
    /// Connections dmct's listener keeps open at once; a new one past it is answered 503
    /// and closed (lowered to fit the open-file limit)
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub(crate) max_connections: usize,
}

impl Capacity {
    /// Set a listener's limits; `fds_each` is the descriptors one connection costs.
    pub(crate) fn apply(&self, limits: &mut dmct_net::Limits, fds_each: u64) -> Result<()> {
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
        limits.connections_fit_nofile = limits.max_connections < self.max_connections;
        Ok(())
    }
}

/// Where the SessionIDs and nonces dmct generates come from.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Reports")]
pub(crate) struct Seed {
    /// Seed of every SessionID and nonce dmct generates, recorded in report.json (left
    /// out under --redact); the same seed replays a run byte for byte. Default: a
    /// fresh one per run, so a server that keys sessions on SessionID never mixes one
    /// run into the last
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
}

impl Seed {
    /// The given seed, or a fresh one from the operating system.
    pub(crate) fn value(&self) -> Result<u64> {
        match self.seed {
            Some(s) => Ok(s),
            None => getrandom::u64().context("cannot draw a fresh seed from the system"),
        }
    }
}

/// The encoding dmct's client speaks ([REP] §5: a server may speak only one).
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum WireEncoding {
    Xml,
    Wbxml,
}

/// A negative probe `drive` sends: credentials made wrong or left out on purpose.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum ProbeArg {
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
#[command(next_help_heading = "Transport")]
pub(crate) struct Wire {
    /// How Content-Type carries the media type's verproto parameter. quoted (default):
    /// verproto="DM/1.2"; '/' is not a token character, so RFC 7231 allows the value
    /// only as a quoted-string, which every strict HTTP parser reads, and the version
    /// stays in the head as the registration offers. omit: no parameter (it is
    /// optional), for a peer whose parser does not unquote
    #[arg(long, value_enum, default_value = "quoted", value_name = "FORM")]
    pub(crate) verproto_param: VerProtoArg,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum VerProtoArg {
    Quoted,
    Omit,
}

impl Wire {
    pub(crate) fn verproto(&self) -> dmct_proto::media_type::VerProtoParam {
        use dmct_proto::media_type::VerProtoParam;
        match self.verproto_param {
            VerProtoArg::Quoted => VerProtoParam::Quoted,
            VerProtoArg::Omit => VerProtoParam::Omit,
        }
    }
}

/// What a run covers and what makes it fail: filters, a baseline, deviations.
#[derive(clap::Args, Clone)]
pub(crate) struct Gate {
    /// Only cases whose id matches PATTERN (a shell glob: `*` matches anything, `?` one
    /// character, `{a,b}` either); repeatable
    #[arg(help_heading = "Selection", long = "case", value_name = "PATTERN")]
    pub(crate) cases: Vec<String>,
    /// Only cases that exercise a rule whose id matches PATTERN (an id, or a glob such as
    /// `auth/*`), and only its findings; repeatable
    #[arg(help_heading = "Selection", long = "rule", value_name = "PATTERN")]
    pub(crate) rules: Vec<String>,
    /// Only findings of LEVEL: must (MUST and MUST NOT), should, may; repeatable
    #[arg(help_heading = "Selection", long = "level", value_name = "LEVEL")]
    pub(crate) levels: Vec<String>,
    /// Compare with an earlier run's report.json: new failures, fixes, new cases
    /// (matched on the device, the case id and the rule id, never on a URL or port)
    #[arg(help_heading = "Reports", long, value_name = "OLD.json")]
    pub(crate) baseline: Option<PathBuf>,
    /// The device under test's name in report.json, which --baseline matches on
    /// (default: the DevId of the device's DevInfo, when it sent one)
    #[arg(help_heading = "Device account", long, value_name = "NAME")]
    pub(crate) device_name: Option<String>,
    /// What fails the run: any failure (default), or only regressions against
    /// --baseline
    #[arg(help_heading = "Selection", long, value_enum, default_value = "any")]
    pub(crate) fail_on: FailOn,
    /// Known deviations (TOML) that do not fail the run; an entry that no longer
    /// happens does
    #[arg(help_heading = "Selection", long, value_name = "FILE")]
    pub(crate) deviations: Option<PathBuf>,
    /// Write a deviations file listing every failure of this run, to start from
    #[arg(help_heading = "Reports", long, value_name = "FILE")]
    pub(crate) write_deviations: Option<PathBuf>,
    /// Remove credentials, digests and nonces from transcripts and reports
    #[arg(help_heading = "Reports", long)]
    pub(crate) redact: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FailOn {
    Any,
    Regression,
}

/// How dmct's client trusts https:// servers.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Transport")]
pub(crate) struct Trust {
    /// CA certificate(s), PEM, to trust for https:// servers, beside the operating
    /// system's CA roots
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,
    /// Trust only --ca-file, not the operating system's CA roots (which are trusted by
    /// default; SSL_CERT_FILE and SSL_CERT_DIR name other ones)
    #[arg(long, requires = "ca_file")]
    pub(crate) no_system_ca: bool,
    /// Accept any certificate from https:// servers (lab servers with self-signed
    /// certificates); the connection is encrypted but the server is not verified
    #[arg(long, conflicts_with = "ca_file")]
    pub(crate) insecure: bool,
    /// Present this TLS client certificate (PEM, leaf first) to https:// servers that
    /// ask for one: transport-layer client authentication, with --client-key
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub(crate) client_cert: Option<PathBuf>,
    /// The private key of --client-cert (PEM)
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub(crate) client_key: Option<PathBuf>,
}

/// HTTPS on dmct's listener.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Transport")]
pub(crate) struct Listen {
    /// Serve HTTPS: with the certificate of --cert/--key, or one dmct generates for
    /// localhost and 127.0.0.1 (its PEM is written to --ca-out for clients to trust)
    #[arg(long)]
    pub(crate) tls: bool,
    /// Certificate chain, PEM (with --tls)
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub(crate) cert: Option<PathBuf>,
    /// Private key, PEM (with --tls)
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    pub(crate) key: Option<PathBuf>,
    /// Where to write the generated certificate, for clients to trust
    #[arg(long, value_name = "FILE", default_value = "target/dmct/dmct-ca.pem")]
    pub(crate) ca_out: PathBuf,
    /// Extra names (host names or IP addresses) for the generated certificate
    #[arg(long, value_name = "NAME")]
    pub(crate) cert_name: Vec<String>,
    /// Require a TLS client certificate issued by a CA in this PEM file (with --tls):
    /// transport-layer client authentication; a client without one fails the handshake
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub(crate) client_ca: Option<PathBuf>,
}

/// Credentials of the DM client's account and of the server.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Device account")]
pub(crate) struct Accounts {
    /// The client's user name (AAuthName of CLCRED): what dmct's server expects, or
    /// what dmct's client presents
    #[arg(
        long = "client-user",
        visible_alias = "user",
        default_value = "dmct-client"
    )]
    pub(crate) client_user: String,
    /// The client's secret (AAuthSecret of CLCRED)
    #[arg(
        long = "client-secret",
        visible_alias = "secret",
        default_value = "dmct-client-secret"
    )]
    pub(crate) client_secret: String,
    /// The server's user name (SRVCRED): what dmct's server presents, or what dmct's
    /// client expects of a server under test (with --server-secret)
    #[arg(long, default_value = "dmct-server")]
    pub(crate) server_user: String,
    /// The server's secret (SRVCRED)
    #[arg(long)]
    pub(crate) server_secret: Option<String>,
    /// Authentication scheme: what dmct's client opens Package #1 with (none: no
    /// credentials until challenged; a challenge is answered either way), or what
    /// dmct's server challenges with (basic, md5 or hmac)
    #[arg(long, value_name = "SCHEME", value_enum)]
    pub(crate) auth: Option<Auth>,
    /// The nonce (base64) the client holds from its account or an earlier session
    /// (CLCRED AAuthData): dmct's client keys unprompted MD5 and HMAC with it; `peer
    /// server` checks the unprompted MD5 or HMAC that opens a session with it. Default:
    /// the special nonce value 0x00000000 (four zero bytes, AAAAAA==)
    #[arg(long, value_name = "B64", value_parser = parse_nonce)]
    pub(crate) nonce: Option<Nonce>,
    /// The server's ServerID (DMAcc ServerID): what dmct's server names in Package 0
    /// and keys its digest with, or what dmct's client holds for the server
    #[arg(long, value_name = "ID", default_value = dmct_suite::peers::DEFAULT_SERVER_ID)]
    pub(crate) server_id: String,
}

/// `--pkg0-ui-mode`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Pkg0UiMode {
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
pub(crate) enum Pkg0Initiator {
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
pub(crate) enum Auth {
    None,
    Basic,
    Md5,
    Hmac,
}

impl Auth {
    pub(crate) fn scheme(self) -> Option<Scheme> {
        match self {
            Auth::None => None,
            Auth::Basic => Some(Scheme::Basic),
            Auth::Md5 => Some(Scheme::Md5),
            Auth::Hmac => Some(Scheme::Hmac),
        }
    }
}

pub(crate) fn parse_nonce(s: &str) -> std::result::Result<Nonce, String> {
    Nonce::from_b64(s).map_err(|_| format!("{s:?} is not base64"))
}

/// A wait in seconds, whole or not (`1`, `0.2`): tests and fast labs need less than a
/// second, and `Duration` keeps it exact to the nanosecond.
pub(crate) fn parse_seconds(s: &str) -> std::result::Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{s:?} is not a number of seconds from 0 up"))
}

impl Accounts {
    pub(crate) fn client(&self) -> Credentials {
        Credentials {
            user: self.client_user.clone(),
            secret: self.client_secret.clone(),
        }
    }

    pub(crate) fn server(&self) -> Option<Credentials> {
        self.server_secret.as_ref().map(|secret| Credentials {
            user: self.server_user.clone(),
            secret: secret.clone(),
        })
    }

    /// The DM server at `url` as dmct's client authenticates to it.
    pub(crate) fn target(&self, url: &str) -> dmct_suite::TargetServer {
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
    pub(crate) fn srvcred(&self) -> Credentials {
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
    pub(crate) fn client_auth(&self) -> Option<Scheme> {
        match self.auth {
            Some(a) => a.scheme(),
            None => Some(Scheme::Md5),
        }
    }
}

// One value per process, parsed once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the scenarios against a DM client: the built-in one over loopback by default,
    /// or an external client that connects to --serve ADDR
    #[command(after_help = crate::exit::HELP)]
    Run {
        /// Read the device's lab configuration (TOML; `dmct init` writes a template):
        /// each key sets one of these flags, and a flag given here wins over its key
        #[arg(long, value_name = "FILE", help_heading = "Configuration")]
        config: Option<PathBuf>,
        #[command(flatten)]
        accounts: Accounts,
        /// Listen on ADDR (e.g. 0.0.0.0:8080) and wait for an external client per scenario
        #[arg(
            help_heading = "Transport",
            long,
            value_name = "ADDR",
            visible_alias = "listen",
            conflicts_with = "target_server"
        )]
        serve: Option<SocketAddr>,
        /// The server URL to tell the device, when it differs from http://ADDR/dm
        #[arg(help_heading = "Transport", long, requires = "serve")]
        public_url: Option<String>,
        /// Run the server-side scenarios against the DM server at URL, dmct playing the
        /// client; without URL, against the built-in reference server
        #[arg(help_heading = "Transport", 
            long,
            value_name = "URL",
            num_args = 0..=1,
            default_missing_value = "builtin"
        )]
        target_server: Option<String>,
        /// The encoding dmct's client speaks in every server-side scenario (xml or
        /// wbxml); the scenario's by default
        #[arg(help_heading = "Transport", long, value_enum, conflicts_with = "serve")]
        encoding: Option<WireEncoding>,
        #[command(flatten)]
        listen: Listen,
        #[command(flatten)]
        capacity: Capacity,
        #[command(flatten)]
        wire: Wire,
        /// Wake the device for each case by running this shell command, with the case's
        /// Package 0 in DMCT_PKG0_FILE (a file) and DMCT_PKG0_HEX, the server URL in
        /// DMCT_SERVER_URL, the SessionID in DMCT_SESSION_ID and the case in DMCT_CASE;
        /// a sanity session runs before and after the suite
        #[arg(help_heading = "Trigger", long, value_name = "CMD", requires = "serve")]
        exec: Option<String>,
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
        pkg0_nonce: Package0Nonce,
        /// Package 0's ui-mode ([NOT] §6.2.7), which the device SHOULD follow
        #[arg(
            help_heading = "Trigger",
            long,
            value_enum,
            default_value = "not-specified",
            requires = "exec"
        )]
        pkg0_ui_mode: Pkg0UiMode,
        /// Package 0's initiator ([NOT] §6.2.8): the server, or a user at the server
        #[arg(
            help_heading = "Trigger",
            long,
            value_enum,
            default_value = "server",
            requires = "exec"
        )]
        pkg0_initiator: Pkg0Initiator,
        /// The device starts its sessions itself (no Package 0 can reach it): each case
        /// asks the operator, or runs --exec without a Package 0, to start a session;
        /// cases that need a server-initiated session are not applicable
        #[arg(help_heading = "Trigger", long, requires = "serve")]
        client_initiated: bool,
        /// Seconds to wait for the client's first package of each scenario
        #[arg(help_heading = "Timeouts", long, default_value_t = 300)]
        wait: u64,
        /// Seconds one whole session (case) may take
        #[arg(help_heading = "Timeouts", long, default_value_t = 300)]
        session_timeout: u64,
        /// Seconds of silence after which a client's session is taken as over (fractions
        /// allowed: 0.5)
        #[arg(
            help_heading = "Timeouts",
            long,
            default_value = "10",
            value_parser = parse_seconds
        )]
        idle: Duration,
        /// Run only shard i of N (from 1) of the selected cases, for a CI matrix: the
        /// k-th case of the run (from 0) goes to shard k mod N + 1; `dmct merge` joins
        /// the shards' reports into the whole run's
        #[arg(help_heading = "Selection", long, value_name = "i/N")]
        partition: Option<dmct_suite::partition::Shard>,
        #[command(flatten)]
        gate: Gate,
        #[command(flatten)]
        common: Common,
    },
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
    #[command(after_help = crate::exit::HELP)]
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
    #[command(after_help = crate::exit::HELP)]
    Selftest {
        #[command(flatten)]
        common: Common,
    },
    /// Drive one session of the built-in client against a DM server at URL and judge
    /// the server
    #[command(after_help = crate::exit::HELP)]
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
    /// Judge recorded transcripts (dmct's JSON transcript format) offline, and write the
    /// same reports as run
    #[command(after_help = crate::exit::HELP)]
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
    #[command(after_help = crate::exit::HELP)]
    Proxy {
        #[command(flatten)]
        common: Common,
        /// Where devices connect
        #[arg(
            long,
            value_name = "ADDR",
            visible_alias = "serve",
            default_value = "127.0.0.1:8081"
        )]
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
        /// counts as ended in silence (fractions allowed: 0.5)
        #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
        idle: Duration,
        /// The device's secret, for challenge-pkg1 to verify its MD5 answer
        #[arg(long, visible_alias = "secret")]
        client_secret: Option<String>,
        /// The device's user name (with --client-secret)
        #[arg(long, visible_alias = "user", default_value = "dmct-client")]
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
pub(crate) enum PeerCommand {
    /// The reference DM server, serving any number of clients until Ctrl-C
    Server {
        /// Address to listen on
        #[arg(
            long,
            value_name = "ADDR",
            visible_alias = "serve",
            default_value = "127.0.0.1:8080"
        )]
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
pub(crate) enum ListWhat {
    Rules,
    Scenarios,
    Cases,
    Faults,
    Mutations,
}

#[cfg(test)]
mod tests {
    use super::{Cli, parse_seconds};
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
                super::Command::Run { idle, .. } | super::Command::Proxy { idle, .. } => idle,
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
}
