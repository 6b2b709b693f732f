//! Mutations: deliberate changes the proxy makes to a real session, so the situations the
//! rules are about happen even when neither real peer would create them.
//!
//! Each applies once per DM session (the first time its situation occurs), so a mutated
//! session still ends. Each names the rules it provokes: the rules whose situation it
//! creates, which a conformant peer then passes and a faulty one fails.

// Rules are named by their types, so a mutation cannot name a rule that does not exist.
use dmct_rules::{Rule, rules};

/// A named mutation (`dmct proxy --mutate NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mutation {
    /// Remove the server's credentials (SyncHdr Cred and the x-syncml-hmac header) and
    /// every management command from Package #2, keeping the Statuses.
    StripPkg2Cred,
    /// Answer the first Package #1 with 401 (407 when it carried no credentials) and a
    /// Chal of another scheme: MD5 with a nonce the proxy makes, or Basic when the
    /// client opened with MD5. Nothing goes upstream. When the client repeats Package #1,
    /// the proxy checks that it carries Cred of the scheme asked for and, given
    /// `ProxyConfig::client_creds`, that the digest (MD5 over the proxy's nonce) or the
    /// Basic user and password verify; the result is a
    /// [`NoteKind::CredentialCheck`](crate::NoteKind::CredentialCheck). It then forwards
    /// the repeated Package #1 with the client's credentials of its first Package #1
    /// and without the Status for the proxy's challenge, so the real session goes on.
    /// For the rest of the session the server's MsgIDs are shown one higher (the
    /// proxy's challenge was MsgID 1) and the client's MsgRefs lowered by one on the way
    /// up, and the client's answer to the proxy's challenge, if it comes again, is
    /// replaced by the original credentials. A client that authenticates with HMAC only
    /// (no Cred) is forwarded without credentials and the server challenges it itself.
    ChallengePkg1,
    /// Replace the NextNonce of the server's first Chal with one the proxy makes. The
    /// client's next MD5 or HMAC digest is then keyed with a nonce the server never
    /// gave, so the server refuses it and must challenge again with a fresh nonce: a real
    /// pair of peers recovers only through that second challenge (the proxy does not
    /// re-compute digests).
    RenewNonce,
    /// Hold the first response of the session back for `ProxyConfig::delay`.
    DelayResponse,
    /// Close the connection instead of relaying the answer to the first Package #3.
    DropResponse,
    /// Flip one byte of the first WBXML response body.
    CorruptWbxml,
}

impl Mutation {
    pub const ALL: &'static [Mutation] = &[
        Mutation::StripPkg2Cred,
        Mutation::ChallengePkg1,
        Mutation::RenewNonce,
        Mutation::DelayResponse,
        Mutation::DropResponse,
        Mutation::CorruptWbxml,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mutation::StripPkg2Cred => "strip-pkg2-cred",
            Mutation::ChallengePkg1 => "challenge-pkg1",
            Mutation::RenewNonce => "renew-nonce",
            Mutation::DelayResponse => "delay-response",
            Mutation::DropResponse => "drop-response",
            Mutation::CorruptWbxml => "corrupt-wbxml",
        }
    }

    pub fn from_name(name: &str) -> Option<Mutation> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.name().eq_ignore_ascii_case(name.trim()))
    }

    /// One line for `--help` and the report.
    pub fn describe(self) -> &'static str {
        match self {
            Mutation::StripPkg2Cred => {
                "removes the server's credentials (SyncHdr Cred, x-syncml-hmac header) and \
                 every management command from Package #2, keeping its Statuses"
            }
            Mutation::ChallengePkg1 => {
                "answers the first Package #1 itself with 401 and a Chal of another scheme \
                 (MD5 with a nonce of the proxy's, or Basic when the client opened with MD5); \
                 checks the repeated Package #1's credentials and forwards it with the \
                 client's original ones, so the real session goes on"
            }
            Mutation::RenewNonce => {
                "replaces the NextNonce of the server's first Chal with a fresh one the \
                 server does not know: the client's next digest fails upstream, which must \
                 challenge again with a fresh nonce"
            }
            Mutation::DelayResponse => {
                "holds the session's first response back (ProxyConfig::delay, 2 s by default)"
            }
            Mutation::DropResponse => {
                "closes the connection instead of relaying the answer to the session's first \
                 Package #3 (the server did answer: its bytes are recorded)"
            }
            Mutation::CorruptWbxml => {
                "flips every bit of the middle byte of the session's first WBXML response"
            }
        }
    }

    /// The rules whose situation this mutation creates. A conformant peer passes them; a
    /// faulty one fails. Rules listed for the server judge what the proxy made the
    /// client see, so they fail by design (the proxy broke them, not the server).
    pub fn provokes(self) -> Vec<&'static str> {
        let ids = |rules: &[&dyn Rule]| rules.iter().map(|r| r.id()).collect();
        match self {
            Mutation::StripPkg2Cred => ids(&[
                &rules::auth::NoSynchdrOnlyChallenge,
                &rules::session::NoStatusOnlyPackage,
            ]),
            Mutation::ChallengePkg1 => ids(&[
                &rules::session::ReauthContinues,
                &rules::auth::ClientAnswersScheme,
                &rules::auth::ChalWith401,
                &rules::auth::ChalNonce,
                &rules::auth::FailureStatusOnly,
            ]),
            Mutation::RenewNonce => ids(&[
                &rules::auth::FreshNonceAfterFailure,
                &rules::session::ReauthContinues,
                &rules::auth::ClientAnswersScheme,
            ]),
            Mutation::DelayResponse => ids(&[&rules::session::ServerAnswersEveryPackage]),
            Mutation::DropResponse => ids(&[&rules::session::ServerAnswersEveryPackage]),
            // An undecodable body labelled as DM fails the rule about its encoding only;
            // whether it answered cannot be read (issue 12 item 6).
            Mutation::CorruptWbxml => ids(&[&rules::http::ContentTypeMatches]),
        }
    }
}

impl std::fmt::Display for Mutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Mutation {
    type Err = UnknownMutation;
    fn from_str(s: &str) -> Result<Self, UnknownMutation> {
        Mutation::from_name(s).ok_or_else(|| UnknownMutation(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown mutation {0:?}; known: strip-pkg2-cred, challenge-pkg1, renew-nonce, \
     delay-response, drop-response, corrupt-wbxml"
)]
pub struct UnknownMutation(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_name_known_rules() {
        for &m in Mutation::ALL {
            assert_eq!(Mutation::from_name(m.name()), Some(m));
            assert!(!m.describe().is_empty());
            for r in m.provokes() {
                assert!(dmct_rules::info(r).is_some(), "{m}: unknown rule {r}");
            }
        }
        assert!("nope".parse::<Mutation>().is_err());
    }
}
