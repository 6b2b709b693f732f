//! The transcript builder of dmct-test-support, and the one judgement every fixture
//! asks for.

// Each test binary that includes this module uses part of it.
#![allow(dead_code, unused_imports)]

pub use dmct_test_support::transcript::*;

use dmct_proto::transcript::Transcript;
use dmct_rules::{Finding, Role, check};

/// The finding of `rule` for `role`.
pub fn finding(t: &Transcript, rule: &str, role: Role) -> Finding {
    check(t)
        .into_iter()
        .find(|f| f.rule == rule && f.role == role)
        .unwrap_or_else(|| panic!("{rule} gave no finding for the {role}"))
}
