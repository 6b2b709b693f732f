//! An answer the device never took. hyper drops a responder's future when the device
//! closes its connection while the proxy awaits the upstream, so the relay runs in a
//! task of its own: the exchange is recorded whatever the device does, and the task,
//! finding nobody left to take the answer, marks it "client gone".

use crate::proxy::{SessionCell, Shared, lock};
use crate::{Event, Note, NoteKind};
use dmct_net::HeldBytes;
use dmct_proto::transcript::{ExchangeFailure, HttpRequest, HttpResponse};
use std::net::SocketAddr;
use std::sync::Arc;

/// What the relay did with one request: the answer for the device (`None`: close the
/// connection) and where the exchange was kept.
pub(crate) struct Relayed {
    pub answer: Option<HttpResponse>,
    pub recorded: Option<(SessionCell, usize)>,
}

impl Relayed {
    pub fn new(answer: Option<HttpResponse>, cell: &SessionCell, index: Option<usize>) -> Self {
        Relayed {
            answer,
            recorded: index.map(|i| (cell.clone(), i)),
        }
    }
}

/// The failure an exchange gets when its answer could not be delivered.
pub(crate) const CLIENT_GONE: &str =
    "client gone: the device closed its connection before the proxy delivered the answer";

/// Relay `request` in a task of its own and await its answer; the task outlives this
/// future, which hyper drops when the device goes.
pub(crate) async fn relay_detached(
    shared: Arc<Shared>,
    request: HttpRequest,
    remote: Option<SocketAddr>,
    mut held: HeldBytes,
) -> Option<HttpResponse> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let relayed = shared.clone().relay(request, remote, &mut held).await;
        // The body's budget goes back only once the relay is done with it.
        drop(held);
        // A send fails only when the receiving future was dropped: the device is gone.
        if let (Err(Some(_)), Some((cell, index))) = (tx.send(relayed.answer), relayed.recorded) {
            client_gone(&shared, &cell, index);
        }
    });
    // A relay that panicked closes the connection, as a dropped answer does.
    rx.await.ok().flatten()
}

/// Mark exchange `index` of `cell` as never delivered, and tell it.
fn client_gone(shared: &Shared, cell: &SessionCell, index: usize) {
    let (key, note) = {
        let mut s = lock(cell);
        let Some(e) = s.record.transcript.exchanges.get_mut(index) else {
            return;
        };
        // An upstream failure stays the exchange's failure; the note still says it.
        e.failure.get_or_insert(ExchangeFailure::ConnectionClosed {
            detail: CLIENT_GONE.into(),
        });
        let note = Note {
            exchange: Some(index),
            kind: NoteKind::ClientGone,
            text: format!(
                "{CLIENT_GONE}; the exchange is kept with the answer the proxy had for it"
            ),
        };
        if s.record.notes.len() < shared.max_exchanges {
            s.record.notes.push(note.clone());
        }
        (s.record.key.clone(), note)
    };
    if let Some(sink) = &shared.on_event {
        sink(Event::Note { session: key, note });
    }
}
