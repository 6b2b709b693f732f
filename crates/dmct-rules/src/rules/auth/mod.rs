//! Authentication rules (DM Protocol §9).

use super::other;
use super::{clip, obs};
use crate::{
    Binds, Condition, Decl, Level, Observation, Role, Rule, RuleStatus, Side, Verdict, View,
};
use dmct_proto::{Command, SyncML};

mod chal_nonce;
mod chal_with401;
mod client_answers_scheme;
mod cred_type;
mod failure_status_only;
mod fresh_nonce_after_failure;
mod hmac_every_message;
mod hmac_header_form;
mod hmac_new_nonce;
mod hmac_status200;
mod md5_client_support;
mod no_synchdr_only_challenge;
mod refuses_missing_cred;
mod resend_after200;
mod scheme_constant;
mod server_answers_scheme;

pub use chal_nonce::ChalNonce;
pub use chal_with401::ChalWith401;
pub use client_answers_scheme::ClientAnswersScheme;
pub use cred_type::CredType;
pub use failure_status_only::FailureStatusOnly;
pub use fresh_nonce_after_failure::FreshNonceAfterFailure;
pub use hmac_every_message::HmacEveryMessage;
pub use hmac_header_form::HmacHeaderForm;
pub use hmac_new_nonce::HmacNewNonce;
pub use hmac_status200::HmacStatus200;
pub use md5_client_support::Md5ClientSupport;
pub use no_synchdr_only_challenge::NoSynchdrOnlyChallenge;
pub use refuses_missing_cred::RefusesMissingCred;
pub use resend_after200::ResendAfter200;
pub use scheme_constant::SchemeConstant;
pub use server_answers_scheme::ServerAnswersScheme;

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
    sent(view, Role::Client)
        .into_iter()
        .filter(|c| c.headers.get(HMAC_HEADER).is_some())
        .filter_map(|c| {
            let s = super::msg_at(view, Role::Server, c.index)?;
            let code = s.m.synchdr_status()?.code()?;
            (!matches!(code, 401 | 407)).then_some((c, s))
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
