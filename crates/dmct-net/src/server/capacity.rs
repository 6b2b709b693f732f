//! What a listener may hold at once: the budget for bodies in flight, the cap on open
//! connections, and the one line said per burst of refusals.

use super::*;

/// Connection-cap refusals handled at once; past these a connection is closed unanswered,
/// so a flood cannot spend the descriptors the cap saves.
pub(super) const REFUSING_AT_ONCE: usize = 64;

/// Time a refused connection may take to send its request head and get the 503.
pub(super) const REFUSE_TIME: Duration = Duration::from_secs(2);

/// A refusal burst is over once no refusal came for this long and work is admitted again.
pub(super) const QUIET: Duration = Duration::from_secs(1);

/// Refusals at one limit, told to people once when they start and once, counted, when
/// they stop, not once each.
#[derive(Default)]
pub(super) struct Burst {
    pub(super) state: Mutex<BurstState>,
    pub(super) total: AtomicUsize,
}

#[derive(Default)]
pub(super) struct BurstState {
    /// Refusals since the burst began; zero when none is under way.
    pub(super) count: usize,
    pub(super) last: Option<Instant>,
}

impl Burst {
    /// One more refusal: true when it starts a burst.
    pub(super) fn hit(&self) -> bool {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.count += 1;
        s.last = Some(Instant::now());
        s.count == 1
    }

    /// Work admitted: the burst's count when this ends one.
    pub(super) fn calm(&self, at_end: bool) -> Option<usize> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let quiet = s.last.is_some_and(|t| t.elapsed() >= QUIET);
        if s.count == 0 || !(quiet || at_end) {
            return None;
        }
        s.last = None;
        Some(std::mem::take(&mut s.count))
    }

    pub(super) fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

/// What all connections of one listener share: the budget for bodies in flight and the
/// count of open connections, with the refusals at each.
pub(super) struct Shared {
    /// One permit per byte of request body held.
    pub(super) budget: Arc<Semaphore>,
    pub(super) max_inflight: usize,
    pub(super) max_connections: usize,
    /// The cap is what the open-file limit allows (see [`Limits::connections_fit_nofile`]).
    pub(super) connections_fit_nofile: bool,
    pub(super) open: AtomicUsize,
    pub(super) refusing: AtomicUsize,
    pub(super) over_budget: Burst,
    pub(super) over_cap: Burst,
    /// Accepts that failed for want of dmct's own resources (descriptors).
    pub(super) accept_failures: Burst,
    /// Where a failed accept is noted, so the case waiting on the listener hears of it
    /// (the listener's record, kept even when it records no exchange).
    pub(super) faults: Recorder,
    pub(super) notices: Notices,
}

impl Shared {
    pub(super) fn new(limits: &Limits, faults: Recorder) -> Self {
        let max_inflight = limits.max_inflight.min(Semaphore::MAX_PERMITS);
        Shared {
            budget: Arc::new(Semaphore::new(max_inflight)),
            max_inflight,
            max_connections: limits.max_connections,
            connections_fit_nofile: limits.connections_fit_nofile,
            open: AtomicUsize::new(0),
            refusing: AtomicUsize::new(0),
            over_budget: Burst::default(),
            over_cap: Burst::default(),
            accept_failures: Burst::default(),
            faults,
            notices: limits.notices.clone(),
        }
    }

    pub(super) fn body_refused(&self) {
        if self.over_budget.hit() {
            self.notices.say(&format!(
                "dmct: a request body was refused (503): {} bytes of bodies in flight is \
                 dmct's limit (--max-inflight-bytes); further refusals are counted",
                self.max_inflight
            ));
        }
    }

    pub(super) fn body_admitted(&self, at_end: bool) {
        if let Some(n) = self.over_budget.calm(at_end) {
            self.notices.say(&format!(
                "dmct: {n} request bod{} refused (503) for want of in-flight budget \
                 (--max-inflight-bytes {})",
                if n == 1 { "y was" } else { "ies were" },
                self.max_inflight
            ));
        }
    }

    pub(super) fn connection_refused(&self) {
        if self.over_cap.hit() {
            self.notices.say(&format!(
                "dmct: {} connections are open, dmct's limit (--max-connections); new ones are \
                 answered 503 and closed, and counted",
                self.max_connections
            ));
        }
    }

    pub(super) fn connection_admitted(&self, at_end: bool) {
        if let Some(n) = self.over_cap.calm(at_end) {
            self.notices.say(&format!(
                "dmct: {n} connection{} refused (503) at the limit of {} open connections \
                 (--max-connections)",
                if n == 1 { " was" } else { "s were" },
                self.max_connections
            ));
        }
    }
}

impl Shared {
    /// An accept failed for want of dmct's own resources: said once per burst, since the
    /// listener retries every few milliseconds.
    pub(super) fn accept_failed(&self, detail: &str) {
        if self.accept_failures.hit() {
            self.notices.say(&format!(
                "dmct: {detail}; the connection waits until a descriptor is free"
            ));
        }
    }

    /// An accept succeeded: the end of a burst of failures, if one was under way.
    pub(super) fn accept_recovered(&self) {
        if let Some(n) = self.accept_failures.calm(true) {
            self.notices.say(&format!(
                "dmct: accepting connections again after {n} failed attempt(s)"
            ));
        }
    }
}

/// The bytes of a listener's budget for bodies in flight ([`Limits::max_inflight`]) that
/// one request holds, given back when this drops.
#[derive(Default)]
pub struct HeldBytes {
    budget: Option<Arc<Semaphore>>,
    permit: Option<OwnedSemaphorePermit>,
}

impl HeldBytes {
    pub(super) fn of(budget: &Arc<Semaphore>) -> Self {
        HeldBytes {
            budget: Some(budget.clone()),
            permit: None,
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.permit
            .as_ref()
            .map_or(0, OwnedSemaphorePermit::num_permits)
    }

    /// Take `n` more bytes (a body read on the request's behalf, as the proxy reads its
    /// upstream's answer), at once or not at all: false when the budget cannot hold them.
    /// Holding no budget (`default`), it takes anything.
    pub fn take(&mut self, n: usize) -> bool {
        let Some(budget) = &self.budget else {
            return true;
        };
        let mut got: Option<OwnedSemaphorePermit> = None;
        let mut left = n;
        while left > 0 {
            let chunk = left.min(u32::MAX as usize);
            // u32: what tokio takes at once; the cast cannot truncate.
            match budget.clone().try_acquire_many_owned(chunk as u32) {
                Ok(p) => match &mut got {
                    Some(g) => g.merge(p),
                    None => got = Some(p),
                },
                // What was taken so far goes back as `got` drops.
                Err(_) => return false,
            }
            left -= chunk;
        }
        if let Some(p) = got {
            match &mut self.permit {
                Some(h) => h.merge(p),
                None => self.permit = Some(p),
            }
        }
        true
    }
}

/// One counted connection (open or being refused), uncounted when it drops.
pub(super) struct Slot(pub(super) Arc<Shared>, pub(super) bool);

impl Slot {
    pub(super) fn new(shared: &Arc<Shared>, refusing: bool) -> Self {
        shared.counter(refusing).fetch_add(1, Ordering::SeqCst);
        Slot(shared.clone(), refusing)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.counter(self.1).fetch_sub(1, Ordering::SeqCst);
    }
}

impl Shared {
    pub(super) fn counter(&self, refusing: bool) -> &AtomicUsize {
        if refusing { &self.refusing } else { &self.open }
    }
}
