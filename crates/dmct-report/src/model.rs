//! The report model: what a run found, case by case.

use dmct_rules::{Finding, Role, Verdict};
use serde::{Deserialize, Serialize};

/// Version of the JSON report schema; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub tool: Tool,
    /// `run`, `selftest`, `drive`.
    pub command: String,
    /// The run was stopped by a signal (Ctrl-C, SIGTERM, SIGHUP): the report holds
    /// what happened until then, and the case that was running is inconclusive.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// The device under test as `--device-name` or DevInfo's DevId named it: what a
    /// baseline matches on, never a URL or a port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// When the run started and ended (wall clock), where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Span>,
    /// Present for one shard of a run split with `--partition i/N`: which shard, and
    /// where its cases stand in the whole run, so `dmct merge` rebuilds the whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    pub summary: Summary,
    pub cases: Vec<CaseResult>,
    /// Present for `selftest`: did each faulty peer trip the rules it breaks?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selftest: Option<Selftest>,
    /// Wall time of the run; kept out of the text report.
    #[serde(default)]
    pub duration_ms: u64,
    /// Which rule catalog judged the run, so a lab can file the report as evidence.
    #[serde(default)]
    pub catalog: CatalogId,
    /// Seeds of everything derived (reference peers' nonces, vector peers), by name.
    #[serde(default)]
    pub seeds: Vec<(String, u64)>,
    /// Capabilities the peer's profile said it lacks (their rules are not-applicable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile_lacks: Vec<String>,
}

/// One shard of a run: the k-th case (from 0) of the whole run's plan went to shard
/// `k mod count + 1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// This shard, from 1.
    pub index: usize,
    /// How many shards the run was split into.
    pub count: usize,
    /// Cases the whole run plans.
    pub planned: usize,
    /// A hash of the whole run's planned case names, in order: shards of different
    /// selections or scenario sets differ here.
    pub plan: String,
    /// For each of `cases`, in order, its place (from 0) in the whole run's plan.
    pub positions: Vec<usize>,
}

/// The rule catalog a report was judged with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogId {
    /// MD5 of `testcases/rules.toml` as built in, in hex.
    pub md5: String,
    /// Testable rules in it.
    pub rules: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaseVerdict {
    /// The case cannot apply to this peer as the run was configured (no session was
    /// started for it); its reason is in its findings. Neither a pass nor a failure.
    NotApplicable,
    Pass,
    Inconclusive,
    Fail,
}

impl CaseVerdict {
    /// A MUST or MUST NOT rule that failed fails the case; otherwise anything
    /// inconclusive makes it inconclusive; a case none of whose rules applied is not
    /// applicable.
    pub fn from_findings(findings: &[Finding]) -> CaseVerdict {
        if findings
            .iter()
            .any(|f| f.verdict == Verdict::Fail && f.level.is_mandatory())
        {
            CaseVerdict::Fail
        } else if findings.iter().any(|f| f.verdict == Verdict::Inconclusive) {
            CaseVerdict::Inconclusive
        } else if !findings.is_empty()
            && findings.iter().all(|f| f.verdict == Verdict::NotApplicable)
        {
            // Nothing this case is about applied to the peer: not a pass.
            CaseVerdict::NotApplicable
        } else {
            CaseVerdict::Pass
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CaseVerdict::NotApplicable => "not-applicable",
            CaseVerdict::Pass => "pass",
            CaseVerdict::Inconclusive => "inconclusive",
            CaseVerdict::Fail => "fail",
        }
    }
}

/// The lines that let a failure be held against the text: the requirement in dmct's
/// words, the behaviours the text allows (all of which the check accepts), and why the
/// clause is unconfirmed when it is. The level and the clause are on the finding's own
/// line. Every rendering of a failure shows them.
pub fn requirement_lines(f: &Finding) -> Vec<String> {
    let mut lines = Vec::new();
    if !f.summary.is_empty() {
        lines.push(format!("requirement: {}", f.summary));
    }
    if f.allowed.is_empty() {
        lines.push("allowed: nothing beyond the requirement".into());
    }
    for a in &f.allowed {
        lines.push(format!("allowed: {a}"));
    }
    if let Some(u) = &f.unconfirmed {
        lines.push(format!("clause unconfirmed: {u}"));
    }
    lines
}

/// Where a lab reads how to dispute a finding or report a wrong rule.
pub const DISPUTE_HINT: &str = "To dispute a failure, hold its requirement, clause and allowed \
behaviours against the text; testcases/README.md (Disputing a rule) says how to record an \
accepted deviation or report a wrong rule.";

/// The implementation a case ran against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    /// `builtin-client`, `builtin-server`, or the URL/address of an external peer.
    pub name: String,
    /// Named faults of a built-in peer (empty: the conformant one).
    #[serde(default)]
    pub faults: Vec<String>,
    /// What the peer said about itself (DevInfo), when it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<(String, String)>,
}

impl RunReport {
    /// The device under test: `device` when set, else the DevId a case's peer told
    /// (older reports have no `device`).
    pub fn device_identity(&self) -> Option<String> {
        self.device.clone().or_else(|| {
            self.cases
                .iter()
                .find_map(|c| c.peer.dev_id().map(str::to_owned))
        })
    }
}

impl Peer {
    /// DevInfo's DevId, when the peer told it.
    pub fn dev_id(&self) -> Option<&str> {
        self.identity
            .iter()
            .find(|(node, _)| node.trim_end_matches('/').ends_with("DevInfo/DevId"))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn label(&self) -> String {
        if self.faults.is_empty() {
            self.name.clone()
        } else {
            format!("{} [fault: {}]", self.name, self.faults.join(", "))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Scenario id; with the peer, names the case.
    pub id: String,
    pub title: String,
    /// The role of the implementation under test.
    pub role: Role,
    pub peer: Peer,
    pub verdict: CaseVerdict,
    /// One finding per rule, catalog order; rules that did not apply are left out
    /// unless the scenario names them.
    pub findings: Vec<Finding>,
    pub exchanges: usize,
    /// Transcript file, relative to the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// Which layer authenticated each side.
    #[serde(default)]
    pub authentication: Authentication,
    /// How the session ended, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<SessionEnd>,
    /// When the case started and ended (wall clock), where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Span>,
    /// When each exchange started and ended, in transcript order; empty when the
    /// transcript has no times (made in memory, or recorded by an older dmct).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchange_times: Vec<Span>,
}

pub use dmct_proto::transcript::Span;

/// Milliseconds from a span's start to its end, when both were measured and read as
/// times.
pub fn span_millis(span: &Span) -> Option<u64> {
    let ms = |t: &Option<String>| t.as_deref().and_then(unix_millis);
    ms(&span.ended)?.checked_sub(ms(&span.started)?)
}

/// An RFC 3339 time as milliseconds since 1970; `None` for anything else. Reading a
/// time, never the clock.
pub fn unix_millis(t: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339);
    u64::try_from(t.ok()?.unix_timestamp_nanos() / 1_000_000).ok()
}

/// How a case's session ended, as the harness saw it, in words, and when: what a lab
/// reads first when a case is inconclusive or a device misbehaved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnd {
    pub how: EndKind,
    /// The same in words, with the exchange and the wait involved.
    pub detail: String,
    /// Wall-clock time recording stopped (RFC 3339, UTC), when it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndKind {
    /// The server's package without management operations or a challenge: the end
    /// the protocol prescribes ([PRO] §8).
    ServerFinal,
    /// The client under test finished (a built-in client returned), or dmct's client
    /// sent its last package.
    ClientFinished,
    /// The client sent nothing for `--idle` after its last package.
    ClientIdle,
    /// The peer closed or reset the connection in the middle of an exchange.
    ConnectionReset,
    /// A harness limit: the exchange or session timeout, the exchange limit, the body
    /// size limit ("we gave up waiting").
    HarnessLimit,
    /// The transport failed (connection refused, TLS, DNS...).
    TransportError,
    /// The command that was to wake the device failed.
    TriggerFailed,
    /// The case was not run.
    NotRun,
    /// The case does not apply to the peer as the run was configured.
    NotApplicable,
    /// Recording was stopped (the operator, a shutdown).
    Stopped,
}

impl CaseResult {
    /// The case's name for CI history and baselines: scenario id, role under test and
    /// the named faults of a built-in peer, never the peer's URL, address or port,
    /// nor anything drawn at random.
    pub fn stable_name(&self) -> String {
        let mut s = format!("{} ({} under test)", self.id, self.role);
        if !self.peer.faults.is_empty() {
            s.push_str(&format!(" [fault: {}]", self.peer.faults.join(", ")));
        }
        s
    }
}

impl EndKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndKind::ServerFinal => "server-final",
            EndKind::ClientFinished => "client-finished",
            EndKind::ClientIdle => "client-idle",
            EndKind::ConnectionReset => "connection-reset",
            EndKind::HarnessLimit => "harness-limit",
            EndKind::TransportError => "transport-error",
            EndKind::TriggerFailed => "trigger-failed",
            EndKind::NotRun => "not-run",
            EndKind::NotApplicable => "not-applicable",
            EndKind::Stopped => "stopped",
        }
    }
}

/// Which layer authenticated each side of a case ([SEC] §5.3: "Authentication can be
/// performed at different layers").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// The layers that authenticated the DM client; empty: none did.
    pub client: Vec<AuthLayer>,
    /// The layers that authenticated the DM server; empty: none did.
    pub server: Vec<AuthLayer>,
    /// Subject of the client's TLS certificate, when the transport authenticated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// Subject of the server's TLS certificate, when the client verified it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cert: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthLayer {
    /// A TLS certificate, verified by the other side.
    Transport,
    /// DM credentials (Cred, or the x-syncml-hmac header) the other side accepted.
    Dm,
}

impl Authentication {
    /// One side's layers as words, for the text report.
    pub fn describe(layers: &[AuthLayer], cert: Option<&str>) -> String {
        if layers.is_empty() {
            return "none".into();
        }
        layers
            .iter()
            .map(|l| match (l, cert) {
                (AuthLayer::Transport, Some(c)) => format!("TLS certificate ({c})"),
                (AuthLayer::Transport, None) => "TLS certificate".into(),
                (AuthLayer::Dm, _) => "DM credentials".into(),
            })
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub cases: usize,
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
    /// Cases that cannot apply to the peer as the run was configured.
    #[serde(default)]
    pub not_applicable: usize,
}

impl Summary {
    pub fn of(cases: &[CaseResult]) -> Summary {
        let count = |v| cases.iter().filter(|c| c.verdict == v).count();
        Summary {
            cases: cases.len(),
            pass: count(CaseVerdict::Pass),
            fail: count(CaseVerdict::Fail),
            inconclusive: count(CaseVerdict::Inconclusive),
            not_applicable: count(CaseVerdict::NotApplicable),
        }
    }
}

/// Selftest bookkeeping: each fault of a built-in peer and whether the rules it breaks
/// failed on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selftest {
    /// Faults caught / faults, as a fraction (1.0 = every fault caught).
    pub mutation_score: f64,
    pub faults: Vec<FaultCheck>,
    /// Every case of the conformant peers passed.
    pub conformant_pass: bool,
    /// Rules that dmct's own side broke in the conformant cases (the harness and the
    /// reference peers judged role reversed): each is a bug in dmct's peer or in the
    /// rule. Empty when dmct's messages pass its own catalog.
    #[serde(default)]
    pub harness_failures: Vec<HarnessFailure>,
}

/// A rule dmct's own side of a case broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarnessFailure {
    pub case: String,
    /// The role dmct played in that case (the one judged here).
    pub role: Role,
    pub rule: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCheck {
    pub peer: String,
    pub fault: String,
    pub breaks: Vec<String>,
    /// Rules of `breaks` that failed in at least one case, with that case's id.
    pub caught: Vec<(String, String)>,
    /// Rules of `breaks` that never failed.
    pub missed: Vec<String>,
}

impl FaultCheck {
    pub fn is_caught(&self) -> bool {
        self.missed.is_empty()
    }
}
