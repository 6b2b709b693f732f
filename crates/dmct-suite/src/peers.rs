//! The built-in peers: the reference client and server with dmct's lab credentials,
//! conformant or with named faults.

use crate::scenario::Scenario;
use dmct_proto::auth::Credentials;
use dmct_proto::package0::{Package0Error, Package0Nonce};
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

/// The ServerID of dmct's DM account (DMAcc ServerID): what dmct's server names in its
/// Package 0, and what the built-in client's account holds. `--server-id` replaces it.
pub const DEFAULT_SERVER_ID: &str = "dmct";

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
        unprompted: !scenario.client.wait_for_challenge,
        server_creds: Some(default_server_creds()),
        // Basic, so the server's Package #2 credentials pass without a nonce; scenarios
        // and the matrix test ask for MD5 and HMAC.
        server_scheme: scenario
            .client
            .server_scheme
            .unwrap_or(dmct_proto::auth::Scheme::Basic),
        // What dmct's server signs Package 0 with unless told otherwise, so a built-in
        // trigger verifies with the stored nonce and the resync path stays the fallback.
        stored_server_nonce: Package0Nonce::default().to_nonce(),
        package0_nonce: None,
        server_id: DEFAULT_SERVER_ID.into(),
        nonce_seed: SessionIds::new(FIXED_SEED, "").client_nonce_seed,
        session_id: "1".into(),
        alert: dmct_proto::alert_code::CLIENT_INITIATED_MGMT.into(),
        max_msg_size: scenario.client.max_msg_size.unwrap_or(16_000),
        max_obj_size: Some(scenario.client.max_obj_size.unwrap_or(1024 * 1024)),
        encoding: scenario.client.encoding,
        verproto_param: Default::default(),
        faults: faults.clone(),
        probes: scenario.client.probes.clone(),
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
        server_id: DEFAULT_SERVER_ID.into(),
        package0_nonce: Package0Nonce::default(),
        package0_ui_mode: dmct_proto::package0::UiMode::NotSpecified,
        package0_initiator: dmct_proto::package0::Initiator::Server,
        authenticate_client: true,
        scheme: dmct_proto::auth::Scheme::Md5,
        nonce_seed: SessionIds::new(FIXED_SEED, "").server_nonce_seed,
        // What dmct's client opens MD5 and HMAC with when told no other nonce.
        client_nonce: Some(dmct_proto::auth::Nonce::resync()),
        max_msg_size: 16_000,
        verproto_param: Default::default(),
        faults: faults.clone(),
    }
}

/// The Package 0 that opens a scenario's session when it asks for a server-initiated
/// one: `server`'s (its ServerID, keyed with its secret), announcing `session_id`.
pub fn package0_for(
    scenario: &Scenario,
    server: &ServerConfig,
    session_id: u16,
) -> Option<Result<Vec<u8>, Package0Error>> {
    scenario
        .client
        .package0
        .then(|| server.package0(session_id))
}

/// The run seed of tests, golden snapshots and vectors, so their bytes are stable. A
/// CLI run draws a fresh one at the edge unless `--seed` replays one.
pub const FIXED_SEED: u64 = 0x646d_6374;

/// One value derived from the run seed for one purpose (`label`: the case, the peer
/// and what the value is for). Every SessionID and nonce seed dmct generates comes
/// from here, so two runs differ ([NOT] §6.2.10, [SEC] §5.3.3) and one seed replays a
/// run exactly.
pub fn derive(seed: u64, label: &str) -> u64 {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    h.update(seed.to_be_bytes());
    h.update(label.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

/// A 16-bit SessionID derived from the run seed: never 0, so its upper-case hex form
/// has no leading zeros and fits a Package 0 ([NOT] §6.2.10).
pub fn session_id(seed: u64, label: &str) -> u16 {
    (derive(seed, label) % 0xFFFF) as u16 + 1
}

/// What one session of a run is known by, fresh per session and per run: its
/// SessionID and the seeds of the nonces each reference peer issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionIds {
    pub session_id: u16,
    pub client_nonce_seed: u64,
    pub server_nonce_seed: u64,
}

impl SessionIds {
    /// The identities of the session `label` names (case, peer, faults) in the run of
    /// `seed`.
    pub fn new(seed: u64, label: &str) -> Self {
        SessionIds {
            session_id: session_id(seed, &format!("{label}|session-id")),
            client_nonce_seed: derive(seed, &format!("{label}|client-nonce")),
            server_nonce_seed: derive(seed, &format!("{label}|server-nonce")),
        }
    }

    /// The SessionID as the SyncHdr carries it: upper-case hex, no leading zeros.
    pub fn session_id_hex(&self) -> String {
        format!("{:X}", self.session_id)
    }
}

/// The seeds a run depends on, by name, for the report.
pub fn seeds(seed: u64) -> Vec<(String, u64)> {
    vec![("run".into(), seed)]
}
