//! Drive a reference client and a reference server against each other in memory: whole
//! sessions, deterministic, no sockets. The transcript has the shape a live run
//! records, with the request built as the client would put it on the wire.

use crate::client::{Client, ClientStep};
use crate::server::Server;
use dmct_proto::transcript::{Closing, Exchange, Probe, Transcript};

/// The client's probes that went on the wire (a request never posted is no exchange).
fn sent_probes(client: &Client, t: &Transcript) -> Vec<Probe> {
    client
        .probes()
        .iter()
        .filter(|p| p.exchange < t.exchanges.len())
        .cloned()
        .collect()
}

/// Run one session to its end (or `max_exchanges`).
pub fn run(client: &mut Client, server: &mut Server, max_exchanges: usize) -> Transcript {
    let mut t = Transcript::default();
    let mut out = client.start();
    loop {
        if t.exchanges.len() >= max_exchanges {
            t.closing = Closing::ExchangeLimit {
                limit: max_exchanges,
            };
            t.probes = sent_probes(client, &t);
            return t;
        }
        let request = out.to_request();
        let response = server.respond(&request);
        let step = client.on_response(Some(&response));
        t.exchanges.push(Exchange {
            request,
            response: Some(response),
            failure: None,
            time: None,
        });
        match step {
            ClientStep::Send(next) => out = next,
            ClientStep::Done(_) => {
                t.closing = Closing::PeerDone;
                t.probes = sent_probes(client, &t);
                return t;
            }
        }
    }
}
