//! The built-in peers: the reference client and server with dmct's lab credentials,
//! conformant or with named faults.

use crate::scenario::Scenario;
use dmct_proto::auth::Credentials;
use dmct_session::{ClientConfig, ClientFault, DevInfo, ServerConfig, ServerFault};
use std::collections::BTreeSet;

/// Credentials a client under test presents to dmct's server (and the built-in client
/// uses). A lab configures its device's DM account with these, or passes its own.
pub fn default_client_creds() -> Credentials {
    Credentials {
        user: "dmct-client".into(),
        secret: "dmct-client-secret".into(),
    }
}

/// Credentials dmct's server presents to clients.
pub fn default_server_creds() -> Credentials {
    Credentials {
        user: "dmct-server".into(),
        secret: "dmct-server-secret".into(),
    }
}

pub fn reference_dev_info() -> DevInfo {
    DevInfo {
        dev_id: "IMEI:001010123456789".into(),
        man: "dmct".into(),
        model: "reference-client".into(),
        dmv: "1.2".into(),
        lang: "en-US".into(),
    }
}

/// The built-in client for one scenario.
pub fn client_config(
    scenario: &Scenario,
    server_url: &str,
    faults: &BTreeSet<ClientFault>,
) -> ClientConfig {
    ClientConfig {
        server_url: server_url.into(),
        dev_info: reference_dev_info(),
        creds: default_client_creds(),
        scheme: scenario.client.scheme,
        nonce: None,
        unprompted: true,
        server_creds: Some(default_server_creds()),
        // Basic, so the server's Package #2 credentials pass without a nonce; scenarios
        // and the matrix test ask for MD5 and HMAC.
        server_scheme: scenario
            .client
            .server_scheme
            .unwrap_or(dmct_proto::auth::Scheme::Basic),
        nonce_seed: CLIENT_NONCE_SEED,
        session_id: "1".into(),
        alert: dmct_proto::alert_code::CLIENT_INITIATED_MGMT.into(),
        max_msg_size: scenario.client.max_msg_size.unwrap_or(16_000),
        max_obj_size: Some(scenario.client.max_obj_size.unwrap_or(1024 * 1024)),
        encoding: scenario.client.encoding,
        faults: faults.clone(),
    }
}

/// The server (the harness's own, or the built-in server under test).
pub fn server_config(
    url: &str,
    client_creds: Credentials,
    faults: &BTreeSet<ServerFault>,
) -> ServerConfig {
    ServerConfig {
        url: url.into(),
        client_creds,
        server_creds: default_server_creds(),
        scheme: dmct_proto::auth::Scheme::Md5,
        nonce_seed: SERVER_NONCE_SEED,
        // What dmct's client opens MD5 and HMAC with when told no other nonce.
        client_nonce: Some(dmct_proto::auth::Nonce::resync()),
        max_msg_size: 16_000,
        faults: faults.clone(),
    }
}

/// The Package 0 that opens a scenario's session when it asks for a server-initiated
/// one: SessionID from the case id, keyed with the server's secret.
pub fn package0_for(scenario: &Scenario, server: &Credentials) -> Option<Vec<u8>> {
    scenario.client.package0.then(|| {
        dmct_session::client::notification_for(server, crate::runner::Trigger::session_id(scenario))
    })
}

/// Seeds of the reference peers' nonces.
pub const CLIENT_NONCE_SEED: u64 = 0x636c_6e74;
pub const SERVER_NONCE_SEED: u64 = 0x646d_6374;

/// Every seed a run depends on, by name, for the report.
pub fn seeds() -> Vec<(String, u64)> {
    vec![
        ("reference-client-nonce".into(), CLIENT_NONCE_SEED),
        ("reference-server-nonce".into(), SERVER_NONCE_SEED),
    ]
}
