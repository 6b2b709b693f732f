//! One device session per case (`run --serve`): which requests belong to the case's
//! session, and which are another device's, a late retry of an earlier case's session or
//! a new session begun after the case's ended. Sans-IO: it is told each request's bytes
//! and sender, and each answer dmct's server gave, and decides; the runner keeps the
//! records and answers the others.
//!
//! How sessions are told apart, from the text:
//! - The SessionID is the same throughout a session, the retry after an authentication
//!   failure included ([PRO] §8.3 item 1, §9.1; [NOT] §5), so a repeated Package #1
//!   after a challenge is the same session whatever its MsgID (errata, issue 12 item 5;
//!   the §9.4 example numbers it 2).
//! - A SessionID is not unique across devices (a client-initiated session's is the
//!   client's choice; [NOT] §6.2.10 gives it only 16 bits), so a session is the
//!   SessionID with the client's Source LocURI and the sender's IP address.
//! - A session ends with the server's final package without operations or challenge, or
//!   an abort ([PRO] §8); whatever the device sends after that is no longer the case's
//!   session. A new Package #1 with MsgID 1 while the server had answered with a package
//!   that asked for no repetition (no challenge) is a new session too, unless it repeats
//!   the device's last request byte for byte (a retransmission: it did not get the
//!   answer).
//! - Two exceptions keep a device's own behaviour in its case, where the rules judge it:
//!   after a challenge, a client may end the session and open a new one with the
//!   credentials asked for (errata, issue 12 item 5: `ReauthContinues` judges
//!   that new Package #1), so the case follows the device into it; and a message of the
//!   same device with another SessionID that opens no session is the device changing
//!   its SessionID mid-session (`SessionIdConstant` judges it), unless it is a
//!   late message of an earlier case's session.

use dmct_proto::SyncML;
use dmct_proto::transcript::HttpResponse;
use std::net::IpAddr;

/// Who a session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub session_id: String,
    /// The client's Source LocURI.
    pub client: String,
    /// The sender's address, where the listener knew it.
    pub ip: Option<IpAddr>,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "session {} of {}", self.session_id, self.client)?;
        if let Some(ip) = self.ip {
            write!(f, " from {ip}")?;
        }
        Ok(())
    }
}

/// What becomes of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// It is the case's session: dmct's server answers it and the case records it.
    Case,
    /// It is not: answered 503 and recorded apart, for this reason.
    Apart(String),
}

/// The case's session as seen so far.
#[derive(Debug, Default)]
pub struct OneSession {
    /// Fixed by the case's first DM message.
    identity: Option<Identity>,
    /// Sessions the case followed the device out of (after a challenge).
    left: Vec<Identity>,
    /// dmct's server ended the session.
    ended: bool,
    /// What dmct's server last answered.
    last: Last,
    /// A digest of the last admitted request's bytes: a retransmission repeats them.
    last_body: Option<u64>,
    /// Requests the case holds.
    admitted: usize,
    /// The case holds at most this many exchanges.
    limit: usize,
    /// Sessions of earlier cases, with the case id: their late messages are not this
    /// case's.
    earlier: Vec<(Identity, String)>,
}

/// dmct's server's last answer in the case.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Last {
    #[default]
    Nothing,
    /// No DM package (400 for an undecodable body): the device may send its Package #1
    /// again in the same session.
    Error,
    /// A DM package with a challenge: Package #1 comes again, in this session or a new one.
    Challenge,
    /// A DM package that asks for no repetition of Package #1.
    Package,
}

/// What the gate reads of a request.
pub fn identity_of(msg: &SyncML, ip: Option<IpAddr>) -> Identity {
    Identity {
        session_id: msg.hdr.session_id.trim().to_owned(),
        client: msg.hdr.source.loc_uri.trim().to_owned(),
        ip,
    }
}

fn new_package1(msg: &SyncML) -> bool {
    msg.is_session_setup() && msg.hdr.msg_id_number() == Some(1)
}

impl OneSession {
    /// A case's gate, holding at most `limit` exchanges, knowing the sessions of the
    /// cases before it.
    pub fn new(limit: usize, earlier: Vec<(Identity, String)>) -> Self {
        OneSession {
            limit,
            earlier,
            ..OneSession::default()
        }
    }

    /// The case's session, once its first DM message fixed it.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// Every session the case held: those it followed the device out of, then its last.
    pub fn identities(&self) -> Vec<Identity> {
        self.left.iter().chain(&self.identity).cloned().collect()
    }

    /// Decide on a request: `msg` is its DM message when it decodes, `ip` its sender.
    pub fn admit(&mut self, msg: Option<&SyncML>, ip: Option<IpAddr>) -> Admission {
        self.admit_request(None, msg, ip)
    }

    /// As [`admit`](Self::admit), given the request's bytes too, so a retransmission
    /// is told from a new session.
    pub fn admit_request(
        &mut self,
        body: Option<&[u8]>,
        msg: Option<&SyncML>,
        ip: Option<IpAddr>,
    ) -> Admission {
        let digest = body.map(|b| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            b.hash(&mut h);
            h.finish()
        });
        let repeated = digest.is_some() && digest == self.last_body;
        let verdict = self.decide(msg, ip, repeated);
        if verdict == Admission::Case {
            self.admitted += 1;
            self.last_body = digest;
        }
        verdict
    }

    fn decide(&mut self, msg: Option<&SyncML>, ip: Option<IpAddr>, repeated: bool) -> Admission {
        if self.ended {
            return Admission::Apart(match &self.identity {
                Some(id) => format!("the case's {id} had ended"),
                None => "the case's session had ended".into(),
            });
        }
        if self.admitted >= self.limit {
            return Admission::Apart(format!(
                "the case had reached its limit of {} exchanges",
                self.limit
            ));
        }
        let Some(msg) = msg else {
            // Not a DM message: only its sender tells whose it is.
            return match &self.identity {
                Some(id) if id.ip.is_some() && ip.is_some() && id.ip != ip => Admission::Apart(
                    format!("not a DM message, from another address than the case's {id}"),
                ),
                _ => Admission::Case,
            };
        };
        let seen = identity_of(msg, ip);
        let Some(id) = &self.identity else {
            // A late message of an earlier case's session must not become this case's
            // session; a Package #1 is a new session even with the same identity (a
            // device that reuses its SessionID, and maybe does not restart its MsgID).
            if !msg.is_session_setup()
                && let Some(why) = self.earlier_session(&seen)
            {
                return Admission::Apart(why);
            }
            self.identity = Some(seen);
            return Admission::Case;
        };
        if id.client != seen.client || id.ip != seen.ip {
            return Admission::Apart(format!(
                "{seen} is not the case's session ({id}): another device"
            ));
        }
        if *id == seen {
            if new_package1(msg) && self.last == Last::Package && !repeated {
                return Admission::Apart(format!(
                    "a new Package #1 (MsgID 1) of {id} after dmct's server answered its \
                     session without a challenge: a new session"
                ));
            }
            return Admission::Case;
        }
        // The same device under another SessionID.
        if msg.is_session_setup() {
            if self.last == Last::Challenge {
                // It ended the challenged session and opened a new one: allowed, and
                // `ReauthContinues` judges it.
                let old = self.identity.replace(seen);
                self.left.extend(old);
                return Admission::Case;
            }
            return Admission::Apart(format!(
                "a new session ({seen}) while the case's {id} was under way"
            ));
        }
        if let Some(why) = self.earlier_session(&seen) {
            return Admission::Apart(why);
        }
        // A SessionID changed mid-session: `SessionIdConstant` judges it.
        Admission::Case
    }

    fn earlier_session(&self, seen: &Identity) -> Option<String> {
        let (_, case) = self.earlier.iter().rev().find(|(id, _)| id == seen)?;
        Some(format!(
            "a late message of {seen}, the session of case {case}"
        ))
    }

    /// Told of what dmct's server answered an admitted request.
    pub fn answered(&mut self, response: &HttpResponse) {
        let decoded = (response.status == 200)
            .then(|| dmct_proto::decode(response.body.as_bytes()).ok())
            .flatten();
        self.last = match decoded {
            Some(d) => {
                self.ended |= d.message.ends_session();
                if d.message.challenge().is_some() {
                    Last::Challenge
                } else {
                    Last::Package
                }
            }
            None => Last::Error,
        };
    }

    /// A request that never reached dmct's server (its body was not received): the
    /// case's when it came from the case's device, or before any DM message.
    pub fn admit_refused(&mut self, ip: Option<IpAddr>) -> Admission {
        self.admit(None, ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmct_proto::LocRef;
    use dmct_proto::transcript::Headers;
    use dmct_session::build::{self, MessageBuilder};

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([127, 0, 0, last]))
    }

    fn pkg1(sid: &str, client: &str, msg_id: u32) -> SyncML {
        let mut b = MessageBuilder::new(sid, msg_id, "http://dmct/dm", LocRef::uri(client));
        b.push(dmct_proto::Command::alert(dmct_proto::Alert {
            data: Some("1201".into()),
            ..Default::default()
        }));
        b.finish(true)
    }

    fn pkg3(sid: &str, client: &str) -> SyncML {
        let b = MessageBuilder::new(sid, 2, "http://dmct/dm", LocRef::uri(client));
        b.finish(true)
    }

    fn answer(final_: bool, challenge: bool) -> HttpResponse {
        let mut b = MessageBuilder::new("1", 1, "IMEI:1", LocRef::uri("http://dmct/dm"));
        let hdr = pkg1("1", "IMEI:1", 1).hdr;
        if challenge {
            b.push(build::synchdr_status(
                &hdr,
                401,
                Some(build::chal(dmct_proto::auth::Scheme::Basic, None)),
            ));
        } else {
            b.push(build::synchdr_status(&hdr, 200, None));
        }
        if !final_ {
            b.push(dmct_proto::Command::Get(Default::default()));
        }
        HttpResponse {
            status: 200,
            headers: Headers::default(),
            body: dmct_proto::encode(&b.finish(true), dmct_proto::xml::Encoding::Xml).into(),
        }
    }

    #[test]
    fn the_first_message_fixes_the_session_and_others_stay_apart() {
        let mut g = OneSession::new(10, Vec::new());
        assert_eq!(
            g.admit(Some(&pkg1("1", "IMEI:1", 1)), ip(1)),
            Admission::Case
        );
        // Same SessionID, another LocURI: another device.
        assert!(matches!(
            g.admit(Some(&pkg1("1", "IMEI:2", 1)), ip(1)),
            Admission::Apart(_)
        ));
        // Same SessionID and LocURI from another address.
        assert!(matches!(
            g.admit(Some(&pkg1("1", "IMEI:1", 1)), ip(2)),
            Admission::Apart(_)
        ));
        assert_eq!(g.identity().unwrap().client, "IMEI:1");
    }

    #[test]
    fn a_repeated_package1_after_a_challenge_is_the_same_session() {
        let mut g = OneSession::new(10, Vec::new());
        assert_eq!(
            g.admit(Some(&pkg1("1", "IMEI:1", 1)), ip(1)),
            Admission::Case
        );
        g.answered(&answer(true, true));
        assert_eq!(
            g.admit(Some(&pkg1("1", "IMEI:1", 1)), ip(1)),
            Admission::Case
        );
        g.answered(&answer(false, false));
        // Now a Package #1 with MsgID 1 opens a new session.
        assert!(matches!(
            g.admit(Some(&pkg1("1", "IMEI:1", 1)), ip(1)),
            Admission::Apart(why) if why.contains("new session")
        ));
        assert_eq!(g.admit(Some(&pkg3("1", "IMEI:1")), ip(1)), Admission::Case);
        g.answered(&answer(true, false));
        // After the server's final package nothing more is the case's.
        assert!(matches!(
            g.admit(Some(&pkg3("1", "IMEI:1")), ip(1)),
            Admission::Apart(why) if why.contains("ended")
        ));
        assert!(matches!(g.admit(None, ip(1)), Admission::Apart(_)));
    }

    #[test]
    fn a_retransmitted_package1_is_the_same_session() {
        let mut g = OneSession::new(10, Vec::new());
        let bytes = b"<SyncML>the same bytes</SyncML>";
        let m = pkg1("1", "IMEI:1", 1);
        assert_eq!(
            g.admit_request(Some(bytes), Some(&m), ip(1)),
            Admission::Case
        );
        g.answered(&answer(false, false));
        assert_eq!(
            g.admit_request(Some(bytes), Some(&m), ip(1)),
            Admission::Case
        );
        assert!(matches!(
            g.admit_request(Some(b"<SyncML>other</SyncML>"), Some(&m), ip(1)),
            Admission::Apart(_)
        ));
    }

    #[test]
    fn after_a_challenge_the_case_follows_the_device_into_its_new_session() {
        let mut g = OneSession::new(10, Vec::new());
        assert_eq!(
            g.admit(Some(&pkg1("1", "IMEI:1", 1)), ip(1)),
            Admission::Case
        );
        g.answered(&answer(true, true));
        // Errata (issue 12 item 5): ending the session and opening a new one with the
        // credentials asked for is allowed, and the rules must see it.
        assert_eq!(
            g.admit(Some(&pkg1("2", "IMEI:1", 1)), ip(1)),
            Admission::Case
        );
        g.answered(&answer(false, false));
        // Its SessionID changed mid-session: the device's own fault, judged in the case.
        assert_eq!(g.admit(Some(&pkg3("3", "IMEI:1")), ip(1)), Admission::Case);
        g.answered(&answer(false, false));
        // Without a challenge, another SessionID's Package #1 is another session.
        assert!(matches!(
            g.admit(Some(&pkg1("4", "IMEI:1", 1)), ip(1)),
            Admission::Apart(why) if why.contains("new session")
        ));
        let ids: Vec<String> = g.identities().into_iter().map(|i| i.session_id).collect();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn a_late_message_of_an_earlier_case_does_not_become_the_case() {
        let earlier = identity_of(&pkg1("1", "IMEI:1", 1), ip(1));
        let mut g = OneSession::new(10, vec![(earlier, "a/b".into())]);
        assert!(matches!(
            g.admit(Some(&pkg3("1", "IMEI:1")), ip(1)),
            Admission::Apart(why) if why.contains("case a/b")
        ));
        assert!(g.identity().is_none());
        // The same device's new session (it reuses its SessionID, and here goes on
        // counting its MsgIDs) is the case's.
        assert_eq!(
            g.admit(Some(&pkg1("1", "IMEI:1", 7)), ip(1)),
            Admission::Case
        );
    }

    #[test]
    fn the_exchange_limit_is_exact_and_bodies_go_by_address() {
        let mut g = OneSession::new(2, Vec::new());
        assert_eq!(g.admit(None, ip(1)), Admission::Case);
        assert_eq!(
            g.admit(Some(&pkg1("1", "IMEI:1", 1)), ip(1)),
            Admission::Case
        );
        assert!(matches!(
            g.admit(Some(&pkg3("1", "IMEI:1")), ip(1)),
            Admission::Apart(why) if why.contains("limit of 2")
        ));
        let mut g = OneSession::new(5, Vec::new());
        g.admit(Some(&pkg1("1", "IMEI:1", 1)), ip(1));
        assert!(matches!(g.admit_refused(ip(3)), Admission::Apart(_)));
        assert_eq!(g.admit_refused(ip(1)), Admission::Case);
    }
}
