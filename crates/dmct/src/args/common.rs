//! The flag groups several subcommands share: reports and timeouts (`Common`), what
//! dmct's listener takes on (`Capacity`), the seed, the wire's labels, the gate of a
//! run, how dmct's client trusts servers and how its listener speaks HTTPS.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;

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
        limits.max_connections = crate::fdlimit::cap(self.max_connections, fds_each);
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

impl Gate {
    /// The gate as the suite applies it.
    pub(crate) fn settings(&self) -> dmct_suite::gate::Gate {
        dmct_suite::gate::Gate {
            cases: self.cases.clone(),
            rules: self.rules.clone(),
            levels: self.levels.clone(),
            baseline: self.baseline.clone(),
            device_name: self.device_name.clone(),
            fail_on_regression: self.fail_on == FailOn::Regression,
            deviations: self.deviations.clone(),
            write_deviations: self.write_deviations.clone(),
            redact: self.redact,
        }
    }
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
