//! An answer the device never took. hyper drops a responder's future when the device
//! closes its connection while the proxy awaits the upstream, so a relay whose future is
//! dropped goes on in a task of its own: the exchange is recorded whatever the device
//! does, and the task, finding nobody left to take the answer, marks it "client gone".

use crate::proxy::{SessionCell, Shared, lock};
use crate::{Event, Note, NoteKind};
use dmct_net::HeldBytes;
use dmct_proto::transcript::{ExchangeFailure, HttpRequest, HttpResponse};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

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

/// The relay of one request, with what it needs once it is done.
type Running = Pin<Box<dyn Future<Output = (Relayed, Arc<Shared>)> + Send>>;

/// Relay `request` and await its answer. The relay runs within this future while the
/// device waits for it (no task and channel of its own per request: a spawn and a
/// wake-up less each); when hyper drops this future because the device went, the relay
/// is handed, as far as it got, to a task of its own, which finishes it.
pub(crate) fn relay_detached(
    shared: Arc<Shared>,
    request: HttpRequest,
    remote: Option<SocketAddr>,
    mut held: HeldBytes,
) -> impl Future<Output = Option<HttpResponse>> + Send {
    let running: Running = Box::pin(async move {
        let relayed = shared.clone().relay(request, remote, &mut held).await;
        // The body's budget goes back only once the relay is done with it.
        drop(held);
        (relayed, shared)
    });
    Detachable(Some(running))
}

/// A relay that outlives the future awaiting it.
struct Detachable(Option<Running>);

impl Future for Detachable {
    type Output = Option<HttpResponse>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Out of its slot while polled: a relay that panics is not handed on.
        let Some(mut running) = self.0.take() else {
            return Poll::Ready(None);
        };
        match running.as_mut().poll(cx) {
            Poll::Ready((relayed, _)) => Poll::Ready(relayed.answer),
            Poll::Pending => {
                self.0 = Some(running);
                Poll::Pending
            }
        }
    }
}

impl Drop for Detachable {
    fn drop(&mut self) {
        let Some(running) = self.0.take() else {
            return;
        };
        // The device is gone before its answer was ready: the relay goes on without it.
        // Without a runtime (it is shutting down) the relay is dropped, as a task of a
        // runtime that shuts down is.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let (relayed, shared) = running.await;
                // No answer (drop-response) was never meant to reach the device.
                if let (Some(_), Some((cell, index))) = (relayed.answer, relayed.recorded) {
                    client_gone(&shared, &cell, index);
                }
            });
        }
    }
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
