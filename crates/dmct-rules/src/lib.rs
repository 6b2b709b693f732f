//! The dmct rule catalog and the checker.
//!
//! A [`Rule`] is one normative statement of the DM 1.2 protocol that can be observed on
//! the wire: a stable id, the clause it comes from, its level (MUST, MUST NOT, ...), the
//! role it binds, and a check over a decoded [`Transcript`]. The checker never does IO:
//! the same rules judge a live run, a proxy session or a file read back later.

mod catalog;
// How rule files are found: shared with build.rs and `cargo xtask catalog`.
#[cfg(test)]
#[path = "../collect.rs"]
#[allow(dead_code)] // the writer's half is the xtask's
mod collect;
#[cfg(test)]
mod fixture;
pub mod rules;
mod view;

pub use catalog::{
    Binds, CATALOG, Condition, Decl, Rule, RuleInfo, RuleStatus, UnknownRule, catalog_toml, info,
    known, rule, statements,
};
pub use rules::session::seconds;
pub use view::{ExchangeView, View};

use dmct_proto::transcript::Transcript;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Requirement level, as the spec words it (RFC 2119).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "MUST NOT")]
    MustNot,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "SHOULD NOT")]
    ShouldNot,
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::MustNot => "MUST NOT",
            Level::Should => "SHOULD",
            Level::ShouldNot => "SHOULD NOT",
            Level::May => "MAY",
        }
    }

    /// MUST and MUST NOT: a failure is a violation, not a deviation.
    pub fn is_mandatory(self) -> bool {
        matches!(self, Level::Must | Level::MustNot)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The party a rule binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Server,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    /// The situation the rule is about did not occur.
    NotApplicable,
    /// The transcript cannot settle it (peer stalled, observation cut short).
    Inconclusive,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NotApplicable => "not-applicable",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Fail => "fail",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule saw at one place in a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub verdict: Verdict,
    /// Index of the exchange the evidence is in.
    pub exchange: Option<usize>,
    /// `request` or `response`: which message of the exchange.
    pub message: Option<Side>,
    pub detail: String,
    /// The wire bytes that show it (an element of the message, as sent).
    pub excerpt: Option<String>,
    /// Bytes of the excerpt left off after `excerpt`, which holds enough for the
    /// finding's cut (`EXCERPT_MAX`): 0 when it is whole.
    pub excerpt_cut: usize,
    /// Where the excerpt is, when it is one element of the body of `message` of
    /// `exchange`: its byte range in that body as recorded.
    pub span: Option<std::ops::Range<usize>>,
}

/// A byte range in a recorded message body: where a finding's evidence is, whole (its
/// excerpt may be cut at its length limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteSpan {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Request,
    Response,
}

/// A rule's verdict over a transcript, with the evidence, and the requirement as the
/// catalog states it, so a finding can be held against the text on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub clause: String,
    /// Why the clause or the statement is not confirmed against the DM texts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<String>,
    pub level: Level,
    /// The requirement in dmct's words (the catalog's summary). Empty in reports
    /// written before it was recorded.
    #[serde(default)]
    pub summary: String,
    /// The behaviours the text allows in that situation, all of which the check accepts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    pub role: Role,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Side>,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// The evidence's bytes in the body of `message` of `exchange`, when the excerpt
    /// is one element of it (reports written before spans were recorded have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<ByteSpan>,
}

impl Finding {
    fn from_observation(info: &RuleInfo, role: Role, o: Observation) -> Self {
        Finding {
            rule: info.id.clone(),
            clause: info.clause.clone(),
            unconfirmed: info.unconfirmed.clone(),
            level: info.level,
            summary: info.summary.clone(),
            allowed: info.allowed.clone(),
            role,
            verdict: o.verdict,
            exchange: o.exchange,
            message: o.message,
            detail: bounded(o.detail, DETAIL_MAX),
            excerpt: o
                .excerpt
                .map(|e| bounded_cut(e, o.excerpt_cut, EXCERPT_MAX)),
            span: o.span.map(|r| ByteSpan {
                start: r.start,
                end: r.end,
            }),
        }
    }
}

/// A finding's words stay readable whatever the peer sent: a detail that quotes a
/// megabyte LocURI is cut here, once for every report format.
const DETAIL_MAX: usize = 1_000;
/// Excerpts are cut by the rules near 600 bytes; this bounds any other path.
const EXCERPT_MAX: usize = 2_000;

fn bounded(s: String, max: usize) -> String {
    bounded_cut(s, 0, max)
}

/// [`bounded`] of a text of which `s` is the start and `cut` more bytes were left off
/// (`s` holds more than `max` bytes whenever `cut` is not 0).
fn bounded_cut(s: String, cut: usize, max: usize) -> String {
    let total = s.len() + cut;
    if total <= max {
        return s;
    }
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} [... {} more bytes]", &s[..end], total - end)
}

/// What [`judge`] keeps of a rule's observations: the first of the gravest, as a
/// stable sort by verdict would put first. A rule that observes every command of a
/// body pushes into one as it goes, so it holds one observation, not one a command
/// (96 bytes and a detail each: more than the decoded command itself).
#[derive(Debug, Default)]
pub(crate) struct Gravest(Option<Observation>);

impl Gravest {
    pub(crate) fn push(&mut self, o: Observation) {
        // Only a graver verdict replaces: the first of equals stays.
        if self.0.as_ref().is_none_or(|kept| o.verdict > kept.verdict) {
            self.0 = Some(o);
        }
    }

    /// What the rule returns: the one kept, or none.
    pub(crate) fn into_vec(self) -> Vec<Observation> {
        self.0.into_iter().collect()
    }
}

impl Extend<Observation> for Gravest {
    fn extend<I: IntoIterator<Item = Observation>>(&mut self, it: I) {
        for o in it {
            self.push(o);
        }
    }
}

/// Judge a transcript with one rule for the peer in `role`: a rule one of whose
/// conditions does not hold is not applicable, with the reason; otherwise the worst
/// observation decides (fail, then inconclusive, then pass), and no observation means
/// not applicable.
pub fn judge(rule: &dyn Rule, view: &View, role: Role) -> Finding {
    let info = rule.info();
    if let Some(why) = info
        .conditions
        .iter()
        .find_map(|c| c.unmet(view.transcript))
    {
        return Finding::from_observation(
            info,
            role,
            Observation {
                verdict: Verdict::NotApplicable,
                exchange: None,
                message: None,
                detail: format!("not applicable: {why}"),
                excerpt: None,
                excerpt_cut: 0,
                span: None,
            },
        );
    }
    let mut gravest = Gravest::default();
    gravest.extend(rule.check(view, role));
    match gravest.0 {
        Some(o) => Finding::from_observation(info, role, o),
        None => Finding::from_observation(
            info,
            role,
            Observation {
                verdict: Verdict::NotApplicable,
                exchange: None,
                message: None,
                detail: "the situation this rule is about did not occur".into(),
                excerpt: None,
                excerpt_cut: 0,
                span: None,
            },
        ),
    }
}

/// Judge a transcript with every rule of the catalog, for every role each binds, in
/// catalog order.
pub fn check(transcript: &Transcript) -> Vec<Finding> {
    check_view(&View::new(transcript))
}

/// [`check`] over a transcript already decoded, for a caller that reads the decoded
/// bodies again afterwards (`dmct check` renders its reports from them): each body is
/// decoded once.
pub fn check_view(view: &View) -> Vec<Finding> {
    CATALOG
        .iter()
        .flat_map(|r| {
            r.info()
                .binds
                .roles()
                .iter()
                .map(move |&role| judge(*r, view, role))
        })
        .collect()
}

/// The optional features (and the one deployment choice) a profile can declare lacking,
/// with what each means. The catalog test keeps this list and the catalog's
/// `capability` fields equal, so neither names one the other does not.
pub const CAPABILITIES: &[(&str, &str)] = &[
    ("atomic", "the Atomic command ([REP] §6.6.3)"),
    (
        "hmac",
        "HMAC integrity, the x-syncml-hmac header ([SEC] §5.4)",
    ),
    ("large-objects", "large objects sent in chunks ([PRO] §7)"),
    (
        "dm-client-auth",
        "DM-level client authentication, for a server that authenticates its clients at the \
         transport ([SEC] §5.4.5)",
    ),
];

/// The optional features a peer has. Rules about a feature the peer lacks are
/// not-applicable for it, and said to be so, never skipped in silence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Capability names (as in the catalog's `capability`) the peer does not have.
    #[serde(default)]
    pub lacks: std::collections::BTreeSet<String>,
}

impl Profile {
    /// Apply the profile to findings: a rule about a lacking capability becomes
    /// not-applicable, with the reason. Returns the rules it changed.
    pub fn apply(&self, findings: &mut [Finding]) -> std::collections::BTreeSet<String> {
        let mut changed = std::collections::BTreeSet::new();
        for f in findings {
            if let Some(cap) = info(&f.rule).and_then(|i| i.capability.as_ref())
                && self.lacks.contains(cap)
            {
                f.verdict = Verdict::NotApplicable;
                f.detail = format!("not applicable: the peer's profile says it lacks {cap}");
                f.excerpt = None;
                f.span = None;
                changed.insert(f.rule.clone());
            }
        }
        changed
    }

    /// The capability names a profile may declare lacking ([`CAPABILITIES`]).
    pub fn known_capabilities() -> std::collections::BTreeSet<&'static str> {
        CAPABILITIES.iter().map(|(name, _)| *name).collect()
    }
}

#[cfg(test)]
mod gravest_tests {
    use super::*;

    fn o(verdict: Verdict, detail: &str) -> Observation {
        Observation {
            verdict,
            exchange: None,
            message: None,
            detail: detail.into(),
            excerpt: None,
            excerpt_cut: 0,
            span: None,
        }
    }

    /// What a rule keeps as it goes is what `judge` took from the whole list before:
    /// the first observation of the gravest verdict, in every order.
    #[test]
    fn gravest_keeps_the_first_of_the_gravest() {
        use Verdict::*;
        let all = [
            o(Pass, "p1"),
            o(Inconclusive, "i1"),
            o(Pass, "p2"),
            o(Fail, "f1"),
            o(Inconclusive, "i2"),
            o(Fail, "f2"),
        ];
        for n in 0..=all.len() {
            for start in 0..all.len() {
                let list: Vec<_> = all.iter().cycle().skip(start).take(n).cloned().collect();
                let mut g = Gravest::default();
                g.extend(list.clone());
                let sorted = {
                    let mut l = list.clone();
                    l.sort_by_key(|o| std::cmp::Reverse(o.verdict));
                    l.into_iter().next()
                };
                assert_eq!(g.into_vec(), sorted.into_iter().collect::<Vec<_>>());
            }
        }
    }
}
