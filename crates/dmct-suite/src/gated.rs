//! `run --serve`'s listener logic: dmct's DM server for the running case, behind the
//! case's [`OneSession`] gate, so a case's transcript holds one device session only.

use crate::one_session::{Admission, Identity, OneSession};
use dmct_net::{Connection, Recorder, Responder};
use dmct_proto::transcript::{Exchange, HttpRequest, HttpResponse};
use dmct_session::Server;
use std::net::SocketAddr;
use std::sync::Mutex;

/// dmct's DM server behind the HTTP listener: the scenario's engine, swapped per case,
/// behind the case's [`OneSession`] gate. The case's exchanges are recorded here, not by
/// the listener: a request that is not the case's session (another device, a late
/// retry, a new session after the case's ended, anything between cases) is answered 503
/// and kept apart ([`GatedResponder::take_apart`]), never judged as the case.
#[derive(Default)]
pub struct GatedResponder {
    case: Mutex<Option<LiveCase>>,
    apart: Mutex<Vec<Apart>>,
}

/// Requests kept apart with their bodies between two [`GatedResponder::take_apart`].
const KEPT_WHOLE: usize = 1_000;

/// The case being served.
struct LiveCase {
    id: String,
    server: Server,
    gate: OneSession,
    /// The case's own exchanges.
    record: Recorder,
}

/// A request left out of every case, with why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Apart {
    /// The case that was running, if any.
    pub case: Option<String>,
    /// Who sent it, where the listener knew it.
    pub remote: Option<SocketAddr>,
    pub why: String,
    pub exchange: Exchange,
}

impl std::fmt::Display for Apart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let from = self
            .remote
            .map(|a| format!(" from {a}"))
            .unwrap_or_default();
        let status = self.exchange.response.as_ref().map_or_else(
            || "no answer".to_owned(),
            |r| format!("answered {}", r.status),
        );
        match &self.case {
            Some(case) => write!(
                f,
                "a request{from} during case {case} ({status}): {}",
                self.why
            ),
            None => write!(f, "a request{from} between cases ({status}): {}", self.why),
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The answer to a request that is not the running case's session.
fn busy(text: &str) -> HttpResponse {
    let mut headers = dmct_proto::transcript::Headers::default();
    headers.push("Content-Type", "text/plain; charset=utf-8");
    headers.push("Retry-After", "5");
    HttpResponse {
        status: 503,
        headers,
        body: format!("{text}\n").into_bytes().into(),
    }
}

impl GatedResponder {
    /// Serve a case with `server`, holding at most `limit` exchanges of one session, and
    /// none of the `earlier` cases' sessions; its recorder.
    pub fn begin(
        &self,
        case: &str,
        server: Server,
        limit: usize,
        earlier: Vec<(Identity, String)>,
    ) -> Recorder {
        let record = Recorder::default();
        *lock(&self.case) = Some(LiveCase {
            id: case.to_owned(),
            server,
            gate: OneSession::new(limit, earlier),
            record: record.clone(),
        });
        record
    }

    /// Stop serving the case: the identities of the sessions it held, and the server
    /// that played it (for what it sent on purpose, its probes).
    pub fn end(&self) -> (Vec<Identity>, Option<Server>) {
        match lock(&self.case).take() {
            Some(c) => (c.gate.identities(), Some(c.server)),
            None => (Vec::new(), None),
        }
    }

    /// The requests kept apart since last asked.
    pub fn take_apart(&self) -> Vec<Apart> {
        std::mem::take(&mut *lock(&self.apart))
    }

    fn keep_apart(
        &self,
        case: Option<String>,
        conn: &Connection,
        why: String,
        mut exchange: Exchange,
    ) {
        let mut apart = lock(&self.apart);
        // A device hammering the listener must not fill memory: past a bound only the
        // heads are kept.
        if apart.len() >= KEPT_WHOLE {
            exchange.request.body = Vec::new().into();
            if let Some(r) = &mut exchange.response {
                r.body = Vec::new().into();
            }
        }
        apart.push(Apart {
            case,
            remote: conn.remote,
            why,
            exchange,
        });
    }
}

impl Responder for GatedResponder {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        self.respond_from(request, &Connection::default())
    }

    fn respond_from(&self, request: &HttpRequest, conn: &Connection) -> HttpResponse {
        // The request is whole here; its answer is ready when recorded.
        let started = dmct_net::wall_clock();
        let ip = conn.remote.map(|a| a.ip());
        let mut guard = lock(&self.case);
        let Some(case) = guard.as_mut() else {
            drop(guard);
            let response = busy("dmct is between test cases; no scenario is running");
            self.keep_apart(
                None,
                conn,
                "no case was running".into(),
                Exchange {
                    request: request.clone(),
                    response: Some(response.clone()),
                    failure: None,
                    time: Some(dmct_net::span_since(started.clone())),
                },
            );
            return response;
        };
        let decoded = dmct_proto::decode(request.body.as_bytes()).ok();
        let msg = decoded.as_ref().map(|d| &d.message);
        match case
            .gate
            .admit_request(Some(request.body.as_bytes()), msg, ip)
        {
            Admission::Case => {
                let response = case.server.respond_on(request, conn.client_cert.as_deref());
                case.gate.answered(&response);
                case.record
                    .on_connection(conn.client_cert.as_deref().map(str::to_owned))
                    .push(Exchange {
                        request: request.clone(),
                        response: Some(response.clone()),
                        failure: None,
                        time: Some(dmct_net::span_since(started.clone())),
                    });
                response
            }
            Admission::Apart(why) => {
                let id = case.id.clone();
                drop(guard);
                let response = busy(&format!(
                    "dmct is running test case {id} for another DM session; this request \
                     is not part of it ({why})"
                ));
                self.keep_apart(
                    Some(id),
                    conn,
                    why,
                    Exchange {
                        request: request.clone(),
                        response: Some(response.clone()),
                        failure: None,
                        time: Some(dmct_net::span_since(started.clone())),
                    },
                );
                response
            }
        }
    }

    fn refused(&self, exchange: &Exchange, conn: &Connection) {
        let ip = conn.remote.map(|a| a.ip());
        let mut guard = lock(&self.case);
        let (case, why) = match guard.as_mut() {
            Some(case) => match case.gate.admit_refused(ip) {
                Admission::Case => {
                    case.record
                        .on_connection(conn.client_cert.as_deref().map(str::to_owned))
                        .push(exchange.clone());
                    return;
                }
                Admission::Apart(why) => (Some(case.id.clone()), why),
            },
            None => (None, "no case was running".into()),
        };
        drop(guard);
        self.keep_apart(case, conn, why, exchange.clone());
    }
}
