//! Fixtures: hand-written transcripts, each judged as labelled. A rule's fixtures live
//! in its file's `#[cfg(test)] pub(crate) mod tests` as `const FIXTURES: &[Fixture]`:
//! passing ones for each `allowed` entry of its declaration and violating ones. build.rs
//! collects them beside the check (`catalog::FIXTURES`), and the tests here fail when an
//! `allowed` entry has no fixture and is not listed in [`KNOWN_MISSING`], so the gap
//! stays visible. Below the tests: the transcript helpers several rules' fixtures share.

// Used once the fixtures move into the rule files (the next commit).
#![allow(dead_code)]

// What the rule files' test modules take with `use crate::fixture::*`.
#[allow(unused_imports)]
pub(crate) use crate::{Finding, Role, Verdict, check};
#[allow(unused_imports)]
pub(crate) use dmct_proto::package0::{Notification, encode};
#[allow(unused_imports)]
pub(crate) use dmct_proto::transcript::{Closing, ExchangeFailure, Probe, ProbeKind, Transcript};
#[allow(unused_imports)]
pub(crate) use dmct_test_transcript::*;

/// A hand-written transcript and the verdict its rule must give it.
pub(crate) struct Fixture {
    pub name: &'static str,
    pub role: Role,
    /// The catalog's `allowed` entry the fixture shows; `None` for a baseline or a
    /// violation.
    pub allowed: Option<&'static str>,
    pub verdict: Verdict,
    pub build: Build,
}

pub(crate) type Build = fn() -> Transcript;

/// The finding of `rule` for `role`.
pub(crate) fn finding(t: &Transcript, rule: &str, role: Role) -> Finding {
    check(t)
        .into_iter()
        .find(|f| f.rule == rule && f.role == role)
        .unwrap_or_else(|| panic!("{rule} gave no finding for the {role}"))
}
