//! The engines paired in memory: the same sessions without sockets (deterministic;
//! vectors and fast tests).

use super::*;

pub use dmct_session::PeerParams;

/// The engines paired in memory: the same sessions without sockets (deterministic;
/// used for vectors and fast tests). `role` says which side is under test.
pub fn run_in_memory(
    scenario: &Scenario,
    role: Role,
    client_faults: &BTreeSet<ClientFault>,
    server_faults: &BTreeSet<ServerFault>,
) -> CaseRun {
    run_in_memory_with(scenario, role, client_faults, server_faults, None)
}

pub fn run_in_memory_with(
    scenario: &Scenario,
    role: Role,
    client_faults: &BTreeSet<ClientFault>,
    server_faults: &BTreeSet<ServerFault>,
    params: Option<&PeerParams>,
) -> CaseRun {
    let url = "http://dm.example/dm";
    let mut cc = peers::client_config(scenario, url, client_faults);
    let mut sc = peers::server_config(url, peers::default_client_creds(), server_faults);
    if let Some(p) = params {
        cc.dev_info.dev_id = p.dev_id.clone();
        cc.creds = p.client.clone();
        cc.server_creds = Some(p.server.clone());
        cc.session_id = p.session_id.clone();
        cc.nonce_seed = p.nonce_seed;
        sc.client_creds = p.client.clone();
        sc.server_creds = p.server.clone();
        sc.nonce_seed = p.nonce_seed ^ 0x5eed;
    }
    let ids = peers::SessionIds::new(peers::FIXED_SEED, &format!("memory|{}", scenario.id));
    // The built-in ServerID always fits a Package 0.
    let package0 = peers::package0_for(scenario, &sc, ids.session_id).and_then(Result::ok);
    let mut server = Server::new(sc, scenario.server.clone());
    let mut transcript = match woken(cc, package0.as_deref()) {
        Some(cc) => pair::run(
            &mut Client::new(cc),
            &mut server,
            Options::default().max_exchanges,
        ),
        None => Transcript {
            closing: Closing::PeerDone,
            ..Transcript::default()
        },
    };
    transcript.package0 = package0.map(Into::into);
    // The probes of the side dmct plays: its server's against a client under test.
    if role == Role::Client {
        transcript.probes = server.probes_in(&transcript.exchanges);
    }
    let peer = match role {
        Role::Client => client_peer(client_faults),
        Role::Server => server_peer(server_faults),
    };
    CaseRun {
        scenario: scenario.clone(),
        role,
        peer,
        transcript,
    }
}
