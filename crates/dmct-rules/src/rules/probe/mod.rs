//! A server's refusal of credentials dmct's client made wrong on purpose (negative
//! probes, issue 13 item 6): [SEC] §5.3 "Both OMA DM Protocol client and Server MUST be
//! authenticated to each other", and [PRO] §9.1 names 401 and 407 as the SyncHdr codes
//! of a request that "requires authentication".
//!
//! The transcript holds no secrets, so the checker cannot recompute a Cred or an HMAC
//! mac. It judges only the requests the transcript marks as probes (`probes`: which
//! exchange, what was wrong), and holds against the wire what the wire can show: that
//! the probe carries credentials, and for a stale nonce that the server gave that nonce
//! earlier in the session and replaced it with another NextNonce since.

use super::auth::{synchdr_index, used_scheme};
use super::other;
use super::{Msg, obs, sent};
use crate::{
    Binds, Condition, Decl, Level, Observation, Role, Rule, RuleStatus, Side, Verdict, View,
};
use dmct_proto::auth::Nonce;
use dmct_proto::transcript::{Closing, Probe, ProbeKind};

// The rule files of this area, collected by build.rs: one `pub struct` per file.
include!(concat!(env!("OUT_DIR"), "/rules_probe.rs"));

/// Two base64 nonces name the same bytes (a peer may write padding or line breaks
/// differently); text that does not decode is compared as written.
fn same_nonce(a: &str, b: &str) -> bool {
    match (Nonce::from_b64(a), Nonce::from_b64(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

/// The NextNonces the server gave in `session` before exchange `before`, in order.
fn nonces_before(servers: &[Msg], session: &str, before: usize) -> Vec<String> {
    servers
        .iter()
        .filter(|s| s.index < before && s.session() == session)
        .filter_map(|s| s.m.synchdr_status()?.chal.as_ref()?.meta.next_nonce.clone())
        .collect()
}

/// Does the transcript show the probe's nonce stale: given by the server in this
/// session and replaced by a later NextNonce? A nonce still in force keys valid
/// credentials ([PRO] §9.1: after 200 without a new Chal "the same credentials MUST be
/// sent within the next request").
fn shown_stale(servers: &[Msg], c: &Msg, p: &Probe) -> bool {
    let Some(used) = p.nonce.as_deref() else {
        return false;
    };
    let given = nonces_before(servers, c.session(), c.index);
    given.iter().any(|n| same_nonce(n, used))
        && given.last().is_some_and(|last| !same_nonce(last, used))
}

/// Did the server accept the client for this session (212) before exchange `index`?
fn accepted_212_before(servers: &[Msg], clients: &[Msg], session: &str, index: usize) -> bool {
    servers.iter().any(|s| {
        s.index < index
            && clients
                .iter()
                .any(|r| r.index == s.index && r.session() == session)
            && s.m.synchdr_status().and_then(|x| x.code()) == Some(212)
    })
}

#[cfg(test)]
mod tests {
    use super::same_nonce;

    #[test]
    fn nonces_compare_as_bytes() {
        assert!(same_nonce("Tm9uY2Ux", " Tm9uY2Ux\n"));
        assert!(!same_nonce("Tm9uY2Ux", "Tm9uY2Uy"));
        assert!(same_nonce("not base64!", "not base64!"));
    }
}
