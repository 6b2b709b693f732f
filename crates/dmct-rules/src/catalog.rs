//! The catalog: every rule dmct knows, in a fixed order.

use crate::rules::{auth, session};
use crate::{Level, Observation, Role, View};

/// What a rule is, independent of any transcript.
#[derive(Debug)]
pub struct RuleInfo {
    /// Stable id; never reused for another statement.
    pub id: &'static str,
    /// Document and clause the statement comes from.
    pub clause: &'static str,
    pub level: Level,
    pub role: Role,
    /// The statement, paraphrased.
    pub summary: &'static str,
    /// Every behaviour the spec allows in this situation: what the check accepts.
    pub allowed: &'static [&'static str],
}

pub trait Rule: Sync {
    fn info(&self) -> &'static RuleInfo;
    /// One observation per occurrence of the situation the rule is about.
    fn check(&self, view: &View) -> Vec<Observation>;
}

pub static CATALOG: &[&dyn Rule] = &[
    &auth::NoSynchdrOnlyChallenge,
    &session::ReauthContinues,
    &session::NoStatusOnlyPackage,
    &session::ServerAnswersEveryPackage,
];

pub fn rule(id: &str) -> Option<&'static dyn Rule> {
    CATALOG.iter().copied().find(|r| r.info().id == id)
}
