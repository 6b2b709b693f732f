//! What the suite's tests share.

use dmct_suite::peers;
use std::collections::BTreeSet;

/// The reference server at `url` playing the session/every-command script, which
/// exercises the most; its sessions are keyed by SessionID, so one serves every case.
pub fn every_command_server(url: &str) -> dmct_session::Server {
    let script = dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "session/every-command")
        .unwrap()
        .server;
    dmct_session::Server::new(
        peers::server_config(url, peers::default_client_creds(), &BTreeSet::new()),
        script,
    )
}
