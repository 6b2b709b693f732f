//! Every integration test of this crate in one binary (one link, and libtest runs the
//! tests of every file on parallel threads): one module per file.

mod common;
mod support;

mod concurrency;
mod encoding;
mod external;
mod lenient;
mod matrix;
mod one_session;
mod package0;
mod preconditions;
mod probes;
mod realistic_peers;
mod self_judged;
