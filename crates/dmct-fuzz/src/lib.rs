//! Robustness of dmct beyond its ordinary tests.
//!
//! - [`targets`]: the fuzz targets, plain functions of a byte slice (the decoders, the
//!   media-type parser, Package 0, the proxy's scanner, transcript reading and the
//!   checker). Each must return, never panic and never hang, whatever the input.
//! - [`engine`]: a seeded mutation fuzzer on the stable toolchain that drives them from a
//!   seed corpus taken from `testcases/vectors/` (`cargo xtask fuzz`); `fuzz/` drives the
//!   same functions with cargo-fuzz on nightly.
//! - [`faults`]: the `dmct` binary as a whole process under faults: signals at random
//!   points, a full disk, a read-only `--out`, tight resource limits, connections dropped
//!   at every exchange boundary (`cargo xtask faults`, `crates/dmct/tests/integration/faults.rs`).

pub mod engine;
pub mod faults;
pub mod rng;
pub mod targets;
