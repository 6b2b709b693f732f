//! Sans-IO reference DM engines: a [`client::Client`] with a management tree and a
//! [`server::Server`], each driven by data (a [`script::ServerScript`], a
//! [`client::ClientConfig`]) and by a set of named faults that make it break one rule
//! on purpose, so every rule can be shown to catch a real fault.
//!
//! The engines speak in HTTP messages (the [`dmct_proto::transcript`] types) because the
//! DM HTTP binding (method, content type, status) is part of what is tested; they never
//! touch a socket, a clock or a random number generator. [`pair`] drives a client and a
//! server against each other in memory.

pub mod build;
pub mod client;
pub mod fault;
pub mod pair;
pub mod probe;
pub mod script;
pub mod server;
pub mod tree;

pub use client::{Client, ClientConfig, ClientStep, DevInfo, Outgoing, Package0Verified};
pub use fault::{ClientFault, ServerFault};
pub use script::{ScriptCommand, ServerScript, ServerStep};
pub use server::{Server, ServerConfig, dm_response};

/// Who the peers are in an in-memory session: the vectors vary these (dmct-test-support
/// draws them from proptest strategies with fixed seeds) so the checker is not tested
/// on one set of names only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerParams {
    pub dev_id: String,
    pub client: dmct_proto::auth::Credentials,
    pub server: dmct_proto::auth::Credentials,
    /// Upper-case hex without leading zeros, as a Package 0 carries it.
    pub session_id: String,
    pub nonce_seed: u64,
}
