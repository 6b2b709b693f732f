//! Every integration test of this crate in one binary (one link, and libtest runs the
//! tests of every file on parallel threads): one module per file.

mod common;
mod support;

mod auth_codes;
mod bounded;
mod cascades;
mod engines;
mod get_answers;
mod quitting;
