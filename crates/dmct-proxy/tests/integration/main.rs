//! Every integration test of this crate in one binary (one link, and libtest runs the
//! tests of every file on parallel threads): one module per file.

mod common;

mod apart;
mod byte_exact;
mod capacity;
mod client_gone;
mod concurrency;
mod sessions;
mod upstream_failures;
