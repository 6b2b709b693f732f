//! Authentication rules (DM Protocol §9).

use super::other;
use super::{clip, obs};
use crate::{
    Binds, Condition, Decl, Level, Observation, Role, Rule, RuleStatus, Side, Verdict, View,
};
use dmct_proto::{Command, SyncML};

// The rule files of this area, collected by build.rs: one `pub struct` per file.
include!(concat!(env!("OUT_DIR"), "/rules_auth.rs"));

/// A package whose whole body is one Status for the SyncHdr with a Chal.
pub(crate) fn is_synchdr_only_challenge(m: &SyncML) -> bool {
    matches!(m.body.commands.as_slice(),
        [Command::Status(s)] if s.is_for_synchdr() && s.chal.is_some())
}

// ---------------------------------------------------------------------------------
// Challenges, credentials, nonces and HMAC (DM Protocol §9, DM Security).

use super::{Msg, answered, sent};
use dmct_proto::auth::{HMAC_HEADER, HmacHeader, Nonce, Scheme};
use dmct_proto::transcript::Closing;

/// The scheme a message authenticates with: the HMAC header, or its Cred's type.
pub(crate) fn used_scheme(m: &Msg) -> Option<Scheme> {
    if m.headers.get(HMAC_HEADER).is_some() {
        return Some(Scheme::Hmac);
    }
    m.m.hdr
        .cred
        .as_ref()
        .and_then(|c| c.meta.as_ref())
        .and_then(|meta| meta.r#type.as_deref())
        .and_then(Scheme::from_meta_type)
}

/// The challenge in a message's SyncHdr Status: (code, scheme asked for).
fn hdr_challenge(m: &dmct_proto::SyncML) -> Option<(u16, Option<Scheme>)> {
    let s = m.synchdr_status()?;
    let code = s.code().filter(|c| matches!(c, 401 | 407))?;
    let scheme = s
        .chal
        .as_ref()
        .and_then(|c| c.meta.r#type.as_deref())
        .and_then(Scheme::from_meta_type);
    Some((code, scheme))
}

pub(crate) fn synchdr_index(m: &dmct_proto::SyncML) -> Option<usize> {
    m.body
        .commands
        .iter()
        .position(|c| matches!(c, Command::Status(s) if s.is_for_synchdr()))
}

/// Does this server message end the session? A Session Abort (Alert 1223, [PRO]
/// §8.1.2), or a complete package with no management operation and no challenge,
/// which [PRO] §8 makes the last of the session.
fn ends_session(m: &SyncML) -> bool {
    super::aborts(m)
        || (m.body.final_ && m.operations().next().is_none() && m.challenge().is_none())
}

/// Requests that authenticated with HMAC and were accepted, with their answer.
fn hmac_accepted<'a>(view: &'a crate::View) -> Vec<(Msg<'a>, Msg<'a>)> {
    let servers = sent(view, Role::Server);
    sent(view, Role::Client)
        .into_iter()
        .filter(|c| c.headers.get(HMAC_HEADER).is_some())
        .filter_map(|c| {
            let s = servers.iter().find(|s| s.index == c.index)?;
            let code = s.m.synchdr_status()?.code()?;
            (!matches!(code, 401 | 407)).then_some((c, *s))
        })
        .collect()
}

/// Every NextNonce the server gave in a session, in order, with the message.
fn server_nonces<'a>(view: &'a crate::View) -> Vec<(Msg<'a>, String)> {
    sent(view, Role::Server)
        .into_iter()
        .filter_map(|s| {
            let n =
                s.m.synchdr_status()?
                    .chal
                    .as_ref()?
                    .meta
                    .next_nonce
                    .clone()?;
            Some((s, n))
        })
        .collect()
}
