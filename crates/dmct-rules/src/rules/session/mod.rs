//! Session and package rules (DM Protocol §8, with the seed CR and DM 1.2.1 wording).

use super::other;
use super::{clip, obs};
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, Side, Verdict, View};
use dmct_proto::auth::Scheme;
use dmct_proto::transcript::{Closing, ExchangeFailure};
use dmct_proto::{Command, SyncML};

// The rule files of this area, collected by build.rs: one `pub struct` per file.
include!(concat!(env!("OUT_DIR"), "/rules_session.rs"));

// ---------------------------------------------------------------------------------

/// Does a message carry Alert 1223 (Session Abort, [PRO] §8.1)?
pub(crate) fn aborts(m: &SyncML) -> bool {
    m.alert_codes()
        .any(|c| c == dmct_proto::model::alert_code::SESSION_ABORT)
}

/// Why `reply` does not carry credentials of the scheme asked for, if it does not.
fn credentials_problem(asked: Option<Scheme>, reply: &SyncML, hmac_header: bool) -> Option<String> {
    match asked {
        Some(Scheme::Hmac) if !hmac_header => {
            Some("no x-syncml-hmac header although HMAC was asked for".into())
        }
        Some(Scheme::Hmac) | None => None,
        Some(scheme) => {
            let sent = reply
                .hdr
                .cred
                .as_ref()
                .and_then(|c| c.meta.as_ref())
                .and_then(|m| m.r#type.as_deref());
            match sent {
                None => Some(format!(
                    "no Cred in the SyncHdr; {} was asked for",
                    scheme.meta_type()
                )),
                Some(t) if Scheme::from_meta_type(t) != Some(scheme) => Some(format!(
                    "Cred of type {t}; {} was asked for",
                    scheme.meta_type()
                )),
                Some(_) => None,
            }
        }
    }
}

/// Where the repeated Package #1 of the same session went wrong, if it did.
fn reauth_problems(
    challenge: &SyncML,
    asked: Option<Scheme>,
    first: &SyncML,
    reply: &SyncML,
    target: &str,
    hmac_header: bool,
) -> Vec<String> {
    let mut p = Vec::new();
    match (first.hdr.msg_id_number(), reply.hdr.msg_id_number()) {
        (Some(a), Some(b)) if b > a => {}
        _ => p.push(format!(
            "MsgID {:?} does not follow MsgID {:?}",
            reply.hdr.msg_id, first.hdr.msg_id
        )),
    }
    p.extend(credentials_problem(asked, reply, hmac_header));
    let answers_hdr = reply
        .synchdr_status()
        .is_some_and(|s| s.msg_ref.trim() == challenge.hdr.msg_id.trim());
    if !answers_hdr {
        p.push(format!(
            "no Status for the server's SyncHdr (MsgRef {})",
            challenge.hdr.msg_id.trim()
        ));
    }
    if !reply.is_session_setup() {
        p.push("no Alert 1200/1201: Package #1 was not repeated".into());
    }
    let devinfo = reply.body.commands.iter().any(|c| match c {
        Command::Replace(r) => r.items.iter().any(|i| {
            i.source
                .as_ref()
                .is_some_and(|s| s.loc_uri.trim_start_matches("./").starts_with("DevInfo/"))
        }),
        _ => false,
    });
    if !devinfo {
        p.push("no Replace of ./DevInfo: the device information was not sent again".into());
    }
    if let Some(resp_uri) = &challenge.hdr.resp_uri {
        let wanted = dmct_proto::url::target_of(resp_uri);
        if target != wanted {
            p.push(format!(
                "sent to {target}, not to the RespURI {resp_uri} the server gave"
            ));
        }
    }
    p
}

/// The text the failures rest on, quoted in their details so a reader can hold them
/// against it.
const REVERT: &str = "[PRO] §9: \"If the server challenged the client in Pkg 2, the client \
                      MUST revert to pkg 1 and MUST resend the Alert and DevInfo along with \
                      the credentials requested by the server\"";

/// A wait as people read it: seconds, with the milliseconds when they matter.
pub fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

// ---------------------------------------------------------------------------------

/// Every command is a Status (and there is at least one).
fn status_only(m: &SyncML) -> bool {
    !m.body.commands.is_empty()
        && m.body
            .commands
            .iter()
            .all(|c| matches!(c, Command::Status(_)))
}

// ---------------------------------------------------------------------------------

/// Is this head's Content-Type one of the DM media types?
fn labelled_dm(h: &dmct_proto::transcript::Headers) -> bool {
    h.media_type()
        .and_then(Result::ok)
        .is_some_and(|t| t == dmct_proto::CONTENT_TYPE_XML || t == dmct_proto::CONTENT_TYPE_WBXML)
}
