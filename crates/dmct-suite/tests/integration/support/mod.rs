//! Test-support code of the suite's integration tests.

pub mod realistic;
