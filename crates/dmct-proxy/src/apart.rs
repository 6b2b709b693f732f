//! One record per DM session, never two merged, never one split, and sessions that end
//! in silence.
//!
//! (SessionID, client LocURI) is not enough to tell sessions apart: a SessionID has 16
//! bits and a client-initiated one is the client's choice, units of one model may share
//! a placeholder LocURI, and a device reuses its SessionID for its next session. So
//! among the records sharing a request's key, the request joins:
//! - only one of the same device, told by the sender's IP address (another address is
//!   another device: a new record);
//! - when it is a new Package #1 (session setup, MsgID 1), only a record awaiting its
//!   Package #1 again: the last answer was a challenge ([PRO] §9: the client reverts to
//!   Package #1 in the same session, errata issue 12 item 5) or no DM package (an
//!   upstream failure the device retries), or one whose last request it repeats byte
//!   for byte (a retransmission, unless that session ended); otherwise it opens a new
//!   session and a new record;
//! - otherwise the record of its connection, then the one whose MsgID it continues, then
//!   the newest not ended.
//!
//! A session whose device stays quiet for [`ProxyConfig::idle`](crate::ProxyConfig::idle)
//! after the server's last answer ended in silence: it counts among the ended sessions
//! (`proxy --sessions N`), is told as [`Event::SessionSilent`], and its transcript closes
//! as [`Closing::IdleTimeout`] when handed out.

use crate::proxy::{Session, SessionCell, Shared, lock};
use crate::{Event, SessionKey};
use dmct_proto::transcript::{Closing, Transcript};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How a record's last exchange left its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Last {
    /// Nothing recorded yet (its first request is still being relayed).
    Nothing,
    /// No DM package came back (an upstream failure, an HTTP error).
    Failed,
    /// The server challenged: Package #1 comes again.
    Challenge,
    /// A DM package that asks for no repetition of Package #1.
    Package,
    /// The server ended the session.
    Ended,
}

/// What the proxy knows of a record sharing the request's key.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The device's address.
    pub ip: Option<IpAddr>,
    /// The connection of its latest request.
    pub remote: Option<SocketAddr>,
    pub last_msg_id: Option<u64>,
    pub last: Last,
}

/// What the proxy reads of an arriving request.
#[derive(Debug, Clone)]
pub(crate) struct Arriving {
    pub remote: Option<SocketAddr>,
    pub msg_id: Option<u64>,
    /// A session setup (Alert 1200/1201) with MsgID 1.
    pub new_package1: bool,
}

/// The candidate (index) the request joins; `None`: it opens a new record. `repeated(i)`:
/// the arriving request repeats candidate `i`'s last request byte for byte (asked only
/// where it decides, best candidate first: the bytes are compared once, not with every
/// record of the key).
pub(crate) fn choose(
    candidates: &[Candidate],
    r: &Arriving,
    repeated: impl Fn(usize) -> bool,
) -> Option<usize> {
    let ip = r.remote.map(|a| a.ip());
    let same_device = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.ip.is_none() || ip.is_none() || c.ip == ip);
    let this_connection = |c: &Candidate| r.remote.is_some() && c.remote == r.remote;
    if r.new_package1 {
        // The best awaiting its Package #1: this connection's first, then the newest.
        let awaits = |i: usize, c: &Candidate| {
            matches!(c.last, Last::Challenge | Last::Failed)
                || (c.last != Last::Ended && repeated(i))
        };
        return [true, false].into_iter().find_map(|first| {
            same_device
                .clone()
                .rev()
                .filter(|(_, c)| this_connection(c) == first)
                .find(|&(i, c)| awaits(i, c))
                .map(|(i, _)| i)
        });
    }
    same_device
        .max_by_key(|(i, c)| {
            (
                this_connection(c),
                r.msg_id.is_some() && c.last_msg_id.map(|m| m + 1) == r.msg_id,
                c.last != Last::Ended,
                *i,
            )
        })
        .map(|(i, _)| i)
}

/// How a transcript's last exchange left its session (decodes its last response).
pub(crate) fn last_of(t: &Transcript) -> Last {
    let Some(e) = t.exchanges.last() else {
        return Last::Nothing;
    };
    let decoded = e
        .response
        .as_ref()
        .filter(|r| r.status == 200)
        .and_then(|r| dmct_proto::decode(r.body.as_bytes()).ok());
    match decoded {
        None => Last::Failed,
        Some(d) if d.message.challenge().is_some() => Last::Challenge,
        Some(d) if d.message.ends_session() => Last::Ended,
        Some(_) => Last::Package,
    }
}

/// [`last_of`] the session's transcript, read once for each exchange kept (a busy
/// device's repeated Package #1 does not decode the same answer again).
fn last_read(s: &mut Session) -> Last {
    let n = s.record.transcript.exchanges.len();
    match s.last_read {
        Some((m, last)) if m == n => last,
        _ => {
            let last = last_of(&s.record.transcript);
            s.last_read = Some((n, last));
            last
        }
    }
}

/// A request being relayed in a session: the session is not idle until it drops.
pub(crate) struct Busy(SessionCell);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut s = lock(&self.0);
        s.in_flight = s.in_flight.saturating_sub(1);
        s.activity = Instant::now();
    }
}

impl Shared {
    /// The record of a DM request with `key`, sent from `remote`, with MsgID `msg_id`;
    /// `new_package1` tells a new session's first message. Marks it busy until the
    /// guard drops.
    pub(crate) fn session_for(
        &self,
        key: &SessionKey,
        remote: Option<SocketAddr>,
        msg_id: Option<u64>,
        new_package1: Option<&[u8]>,
    ) -> (SessionCell, Busy) {
        let cell = if *key == SessionKey::Undecodable {
            self.session(key)
        } else {
            let mut sessions = lock(&self.sessions);
            let cells = sessions.by_key.get(key).map_or(&[][..], Vec::as_slice);
            let candidates: Vec<Candidate> = cells
                .iter()
                .map(|c| {
                    let mut s = lock(c);
                    Candidate {
                        ip: s.record.peer,
                        remote: s.remote,
                        last_msg_id: s.last_msg_id,
                        // Deciding on a new Package #1 needs the last answer read; the
                        // other requests need only whether the session ended.
                        last: if s.in_flight > 0 && s.record.transcript.exchanges.is_empty() {
                            Last::Nothing
                        } else if new_package1.is_some() {
                            last_read(&mut s)
                        } else if s.record.completed {
                            Last::Ended
                        } else {
                            Last::Package
                        },
                    }
                })
                .collect();
            let arriving = Arriving {
                remote,
                msg_id,
                new_package1: new_package1.is_some(),
            };
            let repeated = |i: usize| {
                new_package1.is_some_and(|body| {
                    lock(&cells[i])
                        .record
                        .transcript
                        .exchanges
                        .last()
                        .is_some_and(|e| e.request.body.as_bytes() == body)
                })
            };
            match choose(&candidates, &arriving, repeated).map(|i| cells[i].clone()) {
                Some(cell) => cell,
                None => {
                    let cell = Self::new_session(key, remote.map(|a| a.ip()));
                    sessions.order.push(cell.clone());
                    sessions
                        .by_key
                        .entry(key.clone())
                        .or_default()
                        .push(cell.clone());
                    cell
                }
            }
        };
        {
            let mut s = lock(&cell);
            s.in_flight += 1;
            s.activity = Instant::now();
            s.silent = false;
            if remote.is_some() {
                s.remote = remote;
            }
            if msg_id.is_some() {
                s.last_msg_id = msg_id;
            }
        }
        let busy = Busy(cell.clone());
        (cell, busy)
    }

    /// Mark the sessions quiet for `idle` after their last exchange as ended in
    /// silence; tell each once.
    pub(crate) fn sweep_idle(&self) {
        let cells: Vec<SessionCell> = lock(&self.sessions).order.clone();
        for cell in cells {
            let told = {
                let mut s = lock(&cell);
                let quiet = s.record.key != SessionKey::Undecodable
                    && !s.record.completed
                    && !s.silent
                    && s.in_flight == 0
                    && !s.record.transcript.exchanges.is_empty()
                    && s.activity.elapsed() >= self.idle;
                if !quiet {
                    continue;
                }
                s.silent = true;
                if !s.end_counted {
                    s.end_counted = true;
                    self.ended.send_modify(|n| *n += 1);
                }
                (s.record.key.clone(), s.record.transcript.exchanges.len())
            };
            if let Some(sink) = &self.on_event {
                sink(Event::SessionSilent {
                    session: told.0,
                    exchanges: told.1,
                    after_ms: self.idle.as_millis() as u64,
                });
            }
        }
    }

    /// Sweep for silent sessions until the proxy stops.
    pub(crate) fn watch_idle(self: &std::sync::Arc<Self>) {
        let weak = std::sync::Arc::downgrade(self);
        let tick = (self.idle / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(tick).await;
                let Some(s) = weak.upgrade() else { break };
                if s.stopped.load(Ordering::SeqCst) {
                    break;
                }
                s.sweep_idle();
            }
        });
    }
}

/// A record as handed out: its transcript closed as the session stands: `PeerDone`
/// when the server ended it, `HarnessFault` when dmct refused an unread request at its
/// own limit while it was open, `IdleTimeout` when the device went quiet after the
/// server's answer, else `Stopped`.
pub(crate) fn finished(s: &Session, idle: Duration) -> crate::SessionRecord {
    let mut r = s.record.clone();
    r.completed = crate::check::ended(&r.transcript);
    let answered = r
        .transcript
        .exchanges
        .last()
        .is_some_and(|e| e.response.is_some());
    r.transcript.closing = if r.completed {
        Closing::PeerDone
    } else if let Some(detail) = &s.refused_meanwhile {
        // dmct may have refused the device's next request itself: not silence.
        Closing::HarnessFault {
            detail: detail.clone(),
        }
    } else if s.silent && answered {
        Closing::IdleTimeout {
            after_ms: idle.as_millis() as u64,
        }
    } else {
        Closing::Stopped
    };
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ip: u8, port: u16) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, ip], port)))
    }

    fn cand(ip: u8, port: u16, msg: u64, last: Last) -> Candidate {
        Candidate {
            ip: at(ip, port).map(|a| a.ip()),
            remote: at(ip, port),
            last_msg_id: Some(msg),
            last,
        }
    }

    fn no_repeat(_: usize) -> bool {
        false
    }

    fn arriving(ip: u8, port: u16, msg: u64) -> Arriving {
        Arriving {
            remote: at(ip, port),
            msg_id: Some(msg),
            new_package1: msg == 1,
        }
    }

    #[test]
    fn another_address_is_another_device() {
        let c = [cand(1, 1000, 1, Last::Package)];
        assert_eq!(choose(&c, &arriving(2, 1000, 2), no_repeat), None);
        assert_eq!(choose(&c, &arriving(1, 1001, 2), no_repeat), Some(0));
    }

    #[test]
    fn a_new_package1_joins_only_a_session_awaiting_it() {
        let challenged = [cand(1, 1000, 1, Last::Challenge)];
        assert_eq!(
            choose(&challenged, &arriving(1, 1002, 1), no_repeat),
            Some(0)
        );
        let failed = [cand(1, 1000, 1, Last::Failed)];
        assert_eq!(choose(&failed, &arriving(1, 1000, 1), no_repeat), Some(0));
        for last in [Last::Package, Last::Ended, Last::Nothing] {
            let c = [cand(1, 1000, 3, last)];
            assert_eq!(
                choose(&c, &arriving(1, 1000, 1), no_repeat),
                None,
                "{last:?}"
            );
        }
        // A retransmission of the same bytes is the same session, unless it ended.
        let mut c = [cand(1, 1000, 1, Last::Package)];
        assert_eq!(choose(&c, &arriving(1, 1000, 1), |_| true), Some(0));
        c[0].last = Last::Ended;
        assert_eq!(choose(&c, &arriving(1, 1000, 1), |_| true), None);
        // Of several awaiting it: this connection's, else the newest; the bytes are
        // compared with the best candidate only.
        let c = [
            cand(1, 1000, 1, Last::Challenge),
            cand(1, 2000, 1, Last::Challenge),
        ];
        assert_eq!(choose(&c, &arriving(1, 1000, 1), no_repeat), Some(0));
        assert_eq!(choose(&c, &arriving(1, 3000, 1), no_repeat), Some(1));
        let c = [
            cand(1, 1000, 1, Last::Package),
            cand(1, 2000, 1, Last::Package),
        ];
        let asked = std::cell::RefCell::new(Vec::new());
        let repeats = |i| {
            asked.borrow_mut().push(i);
            true
        };
        assert_eq!(choose(&c, &arriving(1, 1000, 1), repeats), Some(0));
        assert_eq!(*asked.borrow(), [0]);
    }

    #[test]
    fn the_connection_then_the_msgid_then_the_newest_open_one() {
        // Two devices behind one address with one key, each on its own connection.
        let c = [
            cand(1, 1000, 2, Last::Package),
            cand(1, 2000, 2, Last::Package),
        ];
        assert_eq!(choose(&c, &arriving(1, 1000, 3), no_repeat), Some(0));
        assert_eq!(choose(&c, &arriving(1, 2000, 3), no_repeat), Some(1));
        // A new connection: the MsgID it continues.
        let c = [
            cand(1, 1000, 4, Last::Package),
            cand(1, 2000, 2, Last::Package),
        ];
        assert_eq!(choose(&c, &arriving(1, 3000, 5), no_repeat), Some(0));
        // Neither: the newest not ended.
        let c = [
            cand(1, 1000, 4, Last::Package),
            cand(1, 2000, 2, Last::Ended),
        ];
        assert_eq!(choose(&c, &arriving(1, 3000, 9), no_repeat), Some(0));
    }
}
