//! Negative probes of a server's authentication: the reference client sends, once
//! each and in order, credentials it makes wrong on purpose, and records which request
//! carried them and what was wrong, for the transcript ([SEC] §5.3: the server MUST
//! authenticate the client; issue 13 item 6).
//!
//! After a refused probe the client answers the server's challenge with its real
//! credentials, so the session goes on.

use dmct_proto::auth::{Credentials, Nonce, Scheme};
use dmct_proto::transcript::{Probe, ProbeKind};
use std::collections::VecDeque;

/// The probes still to send, the one being sent, and those sent.
#[derive(Debug, Clone, Default)]
pub struct Probes {
    todo: VecDeque<ProbeKind>,
    /// The probe in the message being built, until it is sent.
    pending: Option<(ProbeKind, String, Option<Nonce>)>,
    done: Vec<Probe>,
    /// The nonce the client holds came from the server in this session (a Chal's
    /// NextNonce), not from an earlier session.
    held_from_server: bool,
    /// A nonce the server gave in this session and then replaced with another.
    replaced: Option<Nonce>,
}

impl Probes {
    pub fn new(kinds: &[ProbeKind]) -> Self {
        Probes {
            todo: kinds.iter().copied().collect(),
            ..Default::default()
        }
    }

    /// How many probes this client sends in a session: each is refused once more.
    pub fn planned(&self) -> usize {
        self.todo.len() + self.done.len() + usize::from(self.pending.is_some())
    }

    /// The server's Chal replaced the nonce the client held with `new`.
    pub fn nonce_from_server(&mut self, held: Option<&Nonce>, new: &Nonce) {
        if let Some(old) = held.filter(|o| *o != new && self.held_from_server) {
            self.replaced = Some(old.clone());
        }
        self.held_from_server = true;
    }

    /// The credentials and nonce a message's Cred or HMAC mac is made with: the
    /// account's, or the next probe's when its situation has come.
    pub fn keying(
        &mut self,
        scheme: Scheme,
        creds: &Credentials,
        nonce: Option<&Nonce>,
    ) -> (Credentials, Option<Nonce>) {
        let real = (creds.clone(), nonce.cloned());
        let Some(&kind) = self.todo.front() else {
            return real;
        };
        let keyed = scheme == Scheme::Basic || nonce.is_some();
        let probe = match kind {
            ProbeKind::WrongSecret if keyed => {
                let wrong = Credentials {
                    user: creds.user.clone(),
                    secret: wrong_secret(&creds.secret),
                };
                let what = match scheme {
                    Scheme::Basic => "Basic credentials with a wrong password",
                    Scheme::Md5 => "an MD5 digest made with a wrong password",
                    Scheme::Hmac => "an HMAC mac made with a wrong password",
                };
                Some((wrong, nonce.cloned(), what.to_owned()))
            }
            ProbeKind::StaleNonce if scheme != Scheme::Basic => match (&self.replaced, nonce) {
                (Some(old), Some(now)) if old != now => {
                    let what = match scheme {
                        Scheme::Hmac => format!(
                            "an HMAC mac keyed with the nonce {}, already used; the \
                                 server's latest NextNonce is {}",
                            old.to_b64(),
                            now.to_b64()
                        ),
                        _ => format!(
                            "an MD5 digest keyed with the nonce {}, which the server \
                                 replaced with NextNonce {}",
                            old.to_b64(),
                            now.to_b64()
                        ),
                    };
                    Some((creds.clone(), Some(old.clone()), what))
                }
                _ => None,
            },
            _ => None,
        };
        let Some((c, n, what)) = probe else {
            return real;
        };
        self.todo.pop_front();
        let stale = (kind == ProbeKind::StaleNonce).then(|| n.clone()).flatten();
        self.pending = Some((kind, what, stale));
        (c, n)
    }

    /// Whether this message goes without its x-syncml-hmac header, as the next probe,
    /// now that the server has accepted HMAC in the session (`accepted`).
    pub fn drops_hmac(&mut self, accepted: bool) -> bool {
        if !accepted || self.todo.front() != Some(&ProbeKind::MissingHmac) {
            return false;
        }
        self.todo.pop_front();
        let what = "a message without the x-syncml-hmac header after the server accepted \
                    HMAC in this session";
        self.pending = Some((ProbeKind::MissingHmac, what.into(), None));
        true
    }

    /// The message being built was sent as the client's `exchange`-th request.
    pub fn sent(&mut self, exchange: usize) {
        if let Some((kind, detail, nonce)) = self.pending.take() {
            self.done.push(Probe {
                exchange,
                kind,
                detail,
                nonce: nonce.map(|n| n.to_b64()),
            });
        }
    }

    pub fn recorded(&self) -> &[Probe] {
        &self.done
    }
}

/// A password that is not the account's: the real one with a suffix, so it differs
/// whatever the real one is.
fn wrong_secret(secret: &str) -> String {
    format!("{secret}-wrong")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            user: "dev".into(),
            secret: "pw".into(),
        }
    }

    #[test]
    fn a_wrong_secret_waits_for_a_nonce_for_md5_and_fires_once() {
        let mut p = Probes::new(&[ProbeKind::WrongSecret]);
        // No nonce yet: MD5 cannot be sent, so the probe waits.
        assert_eq!(p.keying(Scheme::Md5, &creds(), None).0, creds());
        p.sent(0);
        assert!(p.recorded().is_empty());
        let n = Nonce(b"n1".to_vec());
        let (c, k) = p.keying(Scheme::Md5, &creds(), Some(&n));
        assert_eq!(c.secret, "pw-wrong");
        assert_eq!(k, Some(n.clone()));
        p.sent(1);
        assert_eq!(p.recorded().len(), 1);
        assert_eq!(p.recorded()[0].exchange, 1);
        assert_eq!(p.recorded()[0].kind, ProbeKind::WrongSecret);
        assert!(p.recorded()[0].nonce.is_none());
        // Spent: the account's credentials from now on.
        assert_eq!(p.keying(Scheme::Md5, &creds(), Some(&n)).0, creds());
    }

    #[test]
    fn the_hmac_header_goes_only_once_hmac_was_accepted() {
        let mut p = Probes::new(&[ProbeKind::MissingHmac]);
        assert!(!p.drops_hmac(false));
        p.sent(0);
        assert!(p.recorded().is_empty());
        assert!(p.drops_hmac(true));
        p.sent(2);
        assert_eq!(p.recorded()[0].kind, ProbeKind::MissingHmac);
        assert_eq!(p.recorded()[0].exchange, 2);
        assert!(!p.drops_hmac(true), "once");
    }

    #[test]
    fn a_stale_nonce_needs_one_the_server_gave_and_replaced() {
        let mut p = Probes::new(&[ProbeKind::StaleNonce]);
        let (n0, n1, n2) = (
            Nonce(b"stored".to_vec()),
            Nonce(b"n1".to_vec()),
            Nonce(b"n2".to_vec()),
        );
        // The nonce of an earlier session is not one the server replaced here.
        p.nonce_from_server(Some(&n0), &n1);
        assert_eq!(
            p.keying(Scheme::Md5, &creds(), Some(&n1)).1,
            Some(n1.clone())
        );
        p.nonce_from_server(Some(&n1), &n2);
        assert_eq!(
            p.keying(Scheme::Hmac, &creds(), Some(&n2)).1,
            Some(n1.clone())
        );
        p.sent(3);
        let probe = &p.recorded()[0];
        assert_eq!(probe.nonce.as_deref(), Some(n1.to_b64().as_str()));
        assert!(probe.detail.contains("already used"), "{}", probe.detail);
    }
}
