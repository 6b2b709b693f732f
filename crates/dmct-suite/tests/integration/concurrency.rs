//! One listener, one reference server, many reference-client sessions at once (1,000 in
//! `cargo xtask slow`) over real loopback HTTP: the server keeps every session apart
//! (SessionID + client LocURI), each ends normally with the script applied, and the
//! listener records every exchange and nothing else.
//!
//! File descriptors: every session is started at once and all stay open and
//! interleaved, but a Semaphore lets at most [`in_flight`] HTTP exchanges hold a
//! connection at a time. Each in-flight exchange costs two descriptors (the client's
//! socket and the server's), so the test stays far below the usual soft limit of 1,024
//! open files without raising it (which would need `unsafe` setrlimit or a new crate).

use dmct_net::{Exchange, Limits, Responder};
use dmct_proto::transcript::{Closing, HttpRequest, HttpResponse};
use dmct_session::{Client, ClientStep, DevInfo, ScriptCommand, Server, pair};
use dmct_suite::{Scenario, peers};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Sessions at once: 1,000 under `cargo xtask slow` (which CI runs), fewer in `cargo
/// test`, where the same interleaving and semaphore contention show at a fraction of
/// the cost. `DMCT_LOAD_SESSIONS` sets it.
fn sessions() -> usize {
    std::env::var("DMCT_LOAD_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

/// Exchanges holding a connection at once: 256 per 1,000 sessions (at least 8), so the
/// semaphore holds sessions back whatever their number.
fn in_flight(sessions: usize) -> usize {
    (sessions * 256 / 1_000).max(8)
}

/// The one reference server behind the listener, shared by every session.
struct Shared {
    server: Mutex<Server>,
}

impl Shared {
    fn server(&self) -> std::sync::MutexGuard<'_, Server> {
        self.server.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Responder for Shared {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        self.server().respond(request)
    }
}

fn scenario() -> Scenario {
    dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "session/get-replace")
        .expect("scenario session/get-replace")
}

/// The (target, data) of the script's Replace: what every client's tree must hold after.
fn scripted_replace(s: &Scenario) -> (String, String) {
    s.server
        .packages
        .iter()
        .flat_map(|p| &p.commands)
        .find_map(|c| match c {
            ScriptCommand::Replace { target, data, .. } => Some((target.clone(), data.clone())),
            _ => None,
        })
        .expect("the scenario replaces a node")
}

/// Session `i`: its own SessionID, DevId (its LocURI) and model (what its Get returns).
fn client(s: &Scenario, url: &str, i: usize) -> Client {
    let mut c = peers::client_config(s, url, &BTreeSet::new());
    c.session_id = (i + 1).to_string();
    c.dev_info = DevInfo {
        dev_id: format!("IMEI:{i:015}"),
        model: format!("model-{i}"),
        ..peers::reference_dev_info()
    };
    Client::new(c)
}

struct Ended {
    client: Client,
    exchanges: Vec<Exchange>,
    why: Option<String>,
}

/// One session over HTTP, each exchange holding a permit only while on the wire.
async fn drive(mut client: Client, gate: Arc<Semaphore>, limits: Limits) -> Ended {
    let mut exchanges = Vec::new();
    let mut out = client.start();
    while exchanges.len() < 16 {
        let ex = {
            let _permit = gate.acquire().await.expect("semaphore open");
            dmct_net::post(&out.url, out.headers.clone(), out.body.clone(), &limits).await
        };
        let step = client.on_response(ex.response.as_ref());
        exchanges.push(ex);
        match step {
            ClientStep::Send(next) => out = next,
            ClientStep::Done(why) => {
                return Ended {
                    client,
                    exchanges,
                    why: Some(why),
                };
            }
        }
    }
    Ended {
        client,
        exchanges,
        why: None,
    }
}

fn session_key(body: &[u8]) -> (String, String) {
    let m = dmct_proto::decode(body).expect("decodable").message;
    (m.hdr.session_id, m.hdr.source.loc_uri.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_keeps_many_concurrent_sessions_apart() {
    let sessions = sessions();
    let scenario = scenario();
    let (replace_target, replace_data) = scripted_replace(&scenario);
    let limits = Limits {
        max_body: 64 * 1024,
        exchange_timeout: Duration::from_secs(15),
        ..Limits::default()
    };
    let shared = Arc::new(Shared {
        // Placeholder until the URL (with the bound port) is known.
        server: Mutex::new(Server::new(
            peers::server_config("", peers::default_client_creds(), &BTreeSet::new()),
            scenario.server.clone(),
        )),
    });
    let handle = dmct_net::serve(
        "127.0.0.1:0".parse().unwrap(),
        shared.clone(),
        limits.clone(),
    )
    .await
    .unwrap();
    let url = format!("http://{}/dm", handle.local_addr());
    let new_server = || {
        Server::new(
            peers::server_config(&url, peers::default_client_creds(), &BTreeSet::new()),
            scenario.server.clone(),
        )
    };
    *shared.server() = new_server();

    // The same session in memory: how many exchanges one takes.
    let per_session = {
        let t = pair::run(&mut client(&scenario, &url, 0), &mut new_server(), 16);
        assert_eq!(t.closing, Closing::PeerDone);
        t.exchanges.len()
    };

    let start = Instant::now();
    let gate = Arc::new(Semaphore::new(in_flight(sessions)));
    let tasks: Vec<_> = (0..sessions)
        .map(|i| {
            tokio::spawn(drive(
                client(&scenario, &url, i),
                gate.clone(),
                limits.clone(),
            ))
        })
        .collect();
    let mut ended = Vec::with_capacity(sessions);
    for t in tasks {
        ended.push(t.await.expect("session task"));
    }
    let elapsed = start.elapsed();

    for (i, e) in ended.iter().enumerate() {
        assert_eq!(
            e.why.as_deref(),
            Some("server package had no operations and no challenge: the session ends"),
            "session {i}: {:#?}",
            e.exchanges
        );
        assert_eq!(e.exchanges.len(), per_session, "session {i}");
        for ex in &e.exchanges {
            assert_eq!(ex.failure, None, "session {i}");
            assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200));
        }
        let leaf = e.client.tree().leaf(&replace_target);
        assert_eq!(
            leaf.map(|l| l.value.as_str()),
            Some(replace_data.as_str()),
            "session {i}"
        );
    }

    // The listener's record: every exchange, none failed, each session's exchanges under
    // its own key, and every answer addressed to the session that asked.
    let served = handle.recorder().take();
    assert_eq!(served.len(), sessions * per_session);
    let mut per_key: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut positions: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (n, ex) in served.iter().enumerate() {
        assert_eq!(ex.failure, None, "{ex:?}");
        let key = session_key(ex.request.body.as_bytes());
        let resp = ex.response.as_ref().expect("a response");
        let answer = dmct_proto::decode(resp.body.as_bytes())
            .expect("decodable answer")
            .message;
        assert_eq!(answer.hdr.session_id, key.0);
        assert_eq!(answer.hdr.target.loc_uri, key.1);
        positions.entry(key.clone()).or_default().push(n);
        *per_key.entry(key).or_default() += 1;
    }
    // The sessions really overlapped: most have other sessions' exchanges between their
    // own in the record, rather than running one after another.
    let interleaved = positions
        .values()
        .filter(|p| p.windows(2).any(|w| w[1] - w[0] > 1))
        .count();
    assert!(interleaved > sessions / 2, "only {interleaved} interleaved");
    assert_eq!(per_key.len(), sessions);
    assert!(per_key.values().all(|n| *n == per_session), "{per_key:?}");
    for i in 0..sessions {
        let key = ((i + 1).to_string(), format!("IMEI:{i:015}"));
        assert_eq!(per_key.get(&key), Some(&per_session), "{key:?}");
    }

    // Each client's Get was answered from its own tree (its own model), seen by the
    // server in that client's package.
    let results: BTreeSet<String> = served
        .iter()
        .filter_map(|ex| {
            let m = dmct_proto::decode(ex.request.body.as_bytes()).ok()?.message;
            let model = m.body.commands.iter().find_map(|c| match c {
                dmct_proto::Command::Results(r) => r.items.first()?.data.as_ref()?.as_text(),
                _ => None,
            })?;
            Some(format!("{}={model}", m.hdr.source.loc_uri))
        })
        .collect();
    assert_eq!(results.len(), sessions);
    for i in 0..sessions {
        assert!(results.contains(&format!("IMEI:{i:015}=model-{i}")), "{i}");
    }

    // Well under the server's bound on remembered sessions, so none was forgotten.
    assert_eq!(shared.server().session_count(), sessions);
    handle.shutdown().await;
    eprintln!(
        "{sessions} sessions, {} exchanges, {elapsed:?} ({:.0} sessions/s)",
        served.len(),
        sessions as f64 / elapsed.as_secs_f64()
    );
}
