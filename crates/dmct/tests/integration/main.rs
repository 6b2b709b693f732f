//! Every integration test of this crate in one binary (one link, and libtest runs the
//! tests of every file on parallel threads): one module per file.

mod common;

mod auth;
mod capacity;
mod cli;
mod config;
mod container;
mod device_account;
mod exit_codes;
mod faults;
mod gate;
mod identities;
mod interrupt;
mod matrix;
mod one_session;
mod partition;
mod peers;
mod preflight;
mod proxy;
mod proxy_names;
mod redact;
mod shell;
mod stable_names;
mod times;
mod wire_headers;
