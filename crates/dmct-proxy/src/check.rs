//! The live checker: one thread judging sessions as they grow, off the request path.
//!
//! A session is queued when an exchange is recorded, unless it already waits; the
//! checker judges its latest state, so checks of a busy session coalesce instead of
//! piling up. Each (rule, role) that newly fails is told once per session.

use crate::proxy::{SessionCell, lock};
use crate::{Event, EventSink};
use dmct_proto::transcript::{Closing, Transcript};
use dmct_rules::Verdict;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub(crate) struct Checker {
    tx: Mutex<Option<mpsc::Sender<SessionCell>>>,
    stopping: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checker {
    pub fn start(on_event: Option<EventSink>) -> Checker {
        let (tx, rx) = mpsc::channel::<SessionCell>();
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let thread = std::thread::Builder::new()
            .name("dmct-proxy-check".into())
            .spawn(move || run(&rx, &stop, on_event.as_ref()))
            .ok();
        Checker {
            tx: Mutex::new(thread.as_ref().map(|_| tx)),
            stopping,
            thread: Mutex::new(thread),
        }
    }

    /// Judge this session soon. The caller has marked it queued.
    pub fn queue(&self, cell: SessionCell) {
        if let Some(tx) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = tx.send(cell);
        }
    }

    /// Stop after the check in progress (pending ones are dropped: the caller judges
    /// the final transcripts itself).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

fn run(rx: &mpsc::Receiver<SessionCell>, stopping: &AtomicBool, on_event: Option<&EventSink>) {
    while let Ok(cell) = rx.recv() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let (snapshot, key) = {
            let mut s = lock(&cell);
            s.queued = false;
            let n = s.record.transcript.exchanges.len();
            if n == s.checked && s.record.completed == s.checked_completed {
                continue;
            }
            s.checked = n;
            s.checked_completed = s.record.completed;
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
            let mut s = lock(&cell);
            let mut new = Vec::new();
            for f in findings {
                if f.verdict == Verdict::Fail && s.reported.insert((f.rule.clone(), f.role)) {
                    s.record.live_failures.push(f.clone());
                    new.push(f);
                }
            }
            new
        };
        if let Some(sink) = on_event {
            for finding in new {
                sink(Event::Finding {
                    session: key.clone(),
                    finding,
                });
            }
        }
    }
}
