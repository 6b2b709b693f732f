//! Every integration test of this crate in one binary (one link, and libtest runs the
//! tests of every file on parallel threads): one module per file.

mod bad_input;
mod capacity;
mod loopback;
mod tls;
