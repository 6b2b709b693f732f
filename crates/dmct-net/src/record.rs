//! The shared, append-only record of exchanges a listener saw.

use dmct_proto::transcript::Exchange;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Cheap to clone; every clone sees the same record.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Inner>,
    /// The verified client certificate's subject on the connection this clone
    /// records for ([`on_connection`](Self::on_connection)).
    client_cert: Option<Arc<str>>,
}

struct Inner {
    exchanges: Mutex<Vec<Exchange>>,
    /// Subjects of the verified client certificates of the recorded exchanges' connections.
    client_certs: Mutex<Vec<String>>,
    /// How many exchanges are held; waiters watch it.
    count: watch::Sender<usize>,
    /// Requests whose head arrived and whose exchange is not recorded yet: a peer in the
    /// middle of sending is not idle.
    in_flight: AtomicUsize,
    /// The listener's own failure since the record was last taken (it could not accept
    /// a connection), in words; waiters watch it.
    fault: watch::Sender<Option<Arc<str>>>,
}

/// A request being received and answered; recorded (or dropped) when this drops.
pub struct InFlight(Arc<Inner>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            inner: Arc::new(Inner {
                exchanges: Mutex::new(Vec::new()),
                client_certs: Mutex::new(Vec::new()),
                count: watch::channel(0).0,
                in_flight: AtomicUsize::new(0),
                fault: watch::channel(None).0,
            }),
            client_cert: None,
        }
    }
}

impl Recorder {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Exchange>> {
        // A panic elsewhere must not lose what was recorded.
        self.inner
            .exchanges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn certs(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.inner
            .client_certs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The same record, for one connection whose client authenticated with the
    /// certificate of this subject (TLS), if any: exchanges pushed through it note it.
    pub fn on_connection(&self, client_cert: Option<String>) -> Recorder {
        Recorder {
            inner: self.inner.clone(),
            client_cert: client_cert.map(Arc::from),
        }
    }

    /// Subjects of the verified TLS client certificates of the exchanges held, each once,
    /// in the order first seen.
    pub fn client_certs(&self) -> Vec<String> {
        self.certs().clone()
    }

    /// Note a request whose head arrived, until the guard drops.
    pub fn begin(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.inner.clone())
    }

    /// Requests begun and not yet recorded.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::SeqCst)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&self, e: Exchange) {
        if let Some(subject) = &self.client_cert {
            let mut certs = self.certs();
            if !certs.iter().any(|c| **c == **subject) {
                certs.push(subject.to_string());
            }
        }
        let mut v = self.lock();
        v.push(e);
        self.inner.count.send_replace(v.len());
    }

    pub fn snapshot(&self) -> Vec<Exchange> {
        self.lock().clone()
    }

    /// Note a failure of the harness's own (its listener could not accept a
    /// connection): the first one since the record was taken is kept.
    pub fn note_fault(&self, detail: &str) {
        self.inner.fault.send_if_modified(|f| {
            if f.is_some() {
                return false;
            }
            *f = Some(Arc::from(detail));
            true
        });
    }

    /// The harness's own failure noted since the record was last taken, if any.
    pub fn fault(&self) -> Option<String> {
        self.inner.fault.borrow().as_deref().map(str::to_owned)
    }

    /// Wait until a failure of the harness's own is noted; its words.
    pub async fn faulted(&self) -> String {
        let mut rx = self.inner.fault.subscribe();
        match rx.wait_for(Option::is_some).await {
            Ok(f) => f.as_deref().unwrap_or_default().to_owned(),
            // The sender lives as long as `self`: never reached.
            Err(_) => std::future::pending().await,
        }
    }

    /// Drain the record (between test cases on one listener), and forget any fault.
    pub fn take(&self) -> Vec<Exchange> {
        self.inner.fault.send_replace(None);
        self.certs().clear();
        let mut v = self.lock();
        let out = std::mem::take(&mut *v);
        self.inner.count.send_replace(0);
        out
    }

    /// Wait until more than `seen` exchanges are held (true) or `timeout` passes (false).
    pub async fn wait_beyond(&self, seen: usize, timeout: Duration) -> bool {
        let mut rx = self.inner.count.subscribe();
        matches!(
            tokio::time::timeout(timeout, rx.wait_for(|n| *n > seen)).await,
            Ok(Ok(_))
        )
    }
}
