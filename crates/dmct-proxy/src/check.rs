//! The checker: one thread that reads sessions as they grow, off the request path.
//!
//! A session is queued when an exchange is kept, unless it already waits. For every
//! waiting session the checker first settles whether the server has ended it (the last
//! response is a final package without operations or challenge: cheap, so
//! [`ProxyHandle::wait_completed`](crate::ProxyHandle::wait_completed) stays prompt),
//! then judges the sessions with every rule one at a time, each at its latest state, so
//! checks of a busy session coalesce instead of piling up. Each (rule, role) that newly
//! fails is told once per session.

use crate::proxy::{SessionCell, lock};
use crate::{Event, EventSink};
use dmct_proto::SyncML;
use dmct_proto::transcript::{Closing, Transcript};
use dmct_rules::Verdict;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::watch;

/// A server package that ends the session: final, no operations, no challenge; or an
/// Alert 1223 (abort).
pub(crate) fn ends_session(m: &SyncML) -> bool {
    m.ends_session()
}

/// The session stands ended: its last exchange's response (HTTP 200) ends it.
pub(crate) fn ended(t: &Transcript) -> bool {
    t.exchanges
        .last()
        .and_then(|e| e.response.as_ref())
        .is_some_and(|r| {
            r.status == 200
                && dmct_proto::decode(r.body.as_bytes()).is_ok_and(|d| ends_session(&d.message))
        })
}

pub(crate) struct Checker {
    tx: Mutex<Option<mpsc::Sender<SessionCell>>>,
    stopping: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Ctx {
    on_event: Option<EventSink>,
    completed: Arc<watch::Sender<usize>>,
    /// Sessions ended by the server or in silence, each once.
    ended: Arc<watch::Sender<usize>>,
    /// Judge with the rules (not only settle the end).
    live: bool,
}

impl Checker {
    pub fn start(
        on_event: Option<EventSink>,
        completed: Arc<watch::Sender<usize>>,
        ended: Arc<watch::Sender<usize>>,
        live: bool,
    ) -> Checker {
        let (tx, rx) = mpsc::channel::<SessionCell>();
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let ctx = Ctx {
            on_event,
            completed,
            ended,
            live,
        };
        let thread = std::thread::Builder::new()
            .name("dmct-proxy-check".into())
            .spawn(move || run(&rx, &stop, &ctx))
            .ok();
        Checker {
            tx: Mutex::new(thread.as_ref().map(|_| tx)),
            stopping,
            thread: Mutex::new(thread),
        }
    }

    /// Read this session soon. The caller has marked it queued.
    pub fn queue(&self, cell: SessionCell) {
        if let Some(tx) = lock(&self.tx).as_ref() {
            let _ = tx.send(cell);
        }
    }

    /// Stop after the check in progress (pending ones are dropped: the caller reads the
    /// final transcripts itself).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        lock(&self.tx).take();
        let thread = lock(&self.thread).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

fn run(rx: &mpsc::Receiver<SessionCell>, stopping: &AtomicBool, ctx: &Ctx) {
    let mut pending: VecDeque<SessionCell> = VecDeque::new();
    loop {
        if pending.is_empty() {
            match rx.recv() {
                Ok(c) => pending.push_back(c),
                Err(_) => break,
            }
        }
        while let Ok(c) = rx.try_recv() {
            pending.push_back(c);
        }
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        for cell in &pending {
            settle(cell, ctx);
        }
        let Some(cell) = pending.pop_front() else {
            continue;
        };
        lock(&cell).queued = false;
        settle(&cell, ctx);
        if ctx.live {
            judge(&cell, ctx);
        }
    }
}

/// Has the server ended this session? Tell it once when it has.
fn settle(cell: &SessionCell, ctx: &Ctx) {
    let (n, last) = {
        let s = lock(cell);
        let n = s.record.transcript.exchanges.len();
        if n == s.settled {
            return;
        }
        let last = s
            .record
            .transcript
            .exchanges
            .last()
            .and_then(|e| e.response.as_ref())
            .map(|r| (r.status, r.body.clone()));
        (n, last)
    };
    let ends = last.is_some_and(|(status, body)| {
        status == 200 && dmct_proto::decode(body.as_bytes()).is_ok_and(|d| ends_session(&d.message))
    });
    let (key, newly, first_end) = {
        let mut s = lock(cell);
        s.settled = n;
        s.record.completed = ends;
        let newly = ends && !s.ended_told;
        s.ended_told = ends;
        let first_end = newly && !s.end_counted;
        s.end_counted |= newly;
        (s.record.key.clone(), newly, first_end)
    };
    if first_end {
        ctx.ended.send_modify(|c| *c += 1);
    }
    if newly {
        ctx.completed.send_modify(|c| *c += 1);
        if let Some(sink) = &ctx.on_event {
            sink(Event::SessionEnded {
                session: key,
                exchanges: n,
            });
        }
    }
}

/// Judge the session as it stands with every rule; tell the new failures.
fn judge(cell: &SessionCell, ctx: &Ctx) {
    let (snapshot, key) = {
        let mut s = lock(cell);
        let n = s.record.transcript.exchanges.len();
        if n == s.checked {
            return;
        }
        s.checked = n;
        let t = Transcript {
            exchanges: s.record.transcript.exchanges.clone(),
            closing: if s.record.completed {
                Closing::PeerDone
            } else {
                Closing::Stopped
            },
            ..Transcript::default()
        };
        (t, s.record.key.clone())
    };
    let findings = dmct_rules::check(&snapshot);
    let new: Vec<_> = {
        let mut s = lock(cell);
        let mut new = Vec::new();
        for f in findings {
            if f.verdict == Verdict::Fail && s.reported.insert((f.rule.clone(), f.role)) {
                s.record.live_failures.push(f.clone());
                new.push(f);
            }
        }
        new
    };
    if let Some(sink) = &ctx.on_event {
        for finding in new {
            sink(Event::Finding {
                session: key.clone(),
                finding,
            });
        }
    }
}
