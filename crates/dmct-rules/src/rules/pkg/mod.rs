//! Packages: what Package #1 holds, Package 0, which commands a client may send, Alert
//! codes, packages of several messages (Alert 1222), RespURI, and Atomic.

use super::other;
use super::{answered, flatten, sent};
use crate::{Binds, Condition, Decl, Level, Observation, Role, Rule, RuleStatus, View};
use dmct_proto::transcript::Closing;
use dmct_proto::{Command, alert_code};

// The rule files of this area, collected by build.rs: one `pub struct` per file.
include!(concat!(env!("OUT_DIR"), "/rules_pkg.rs"));

/// The client's first message of each session it opens (MsgID 1), or the first message
/// of the transcript. A MsgID 1 after other messages of its session is Package #1 only
/// when it sets the session up: otherwise it is a repeated MsgID (msg/msgid-sequence's
/// to judge), not a Package #1 that lacks its Alert and DevInfo.
fn package1s<'a>(view: &'a crate::View) -> Vec<super::Msg<'a>> {
    let msgs = sent(view, Role::Client);
    msgs.iter()
        .enumerate()
        .filter(|(i, m)| {
            let first_of_session = !msgs[..*i].iter().any(|p| p.session() == m.session());
            (m.m.hdr.msg_id_number() == Some(1) && (first_of_session || m.m.is_session_setup()))
                || (*i == 0 && m.m.is_session_setup())
        })
        .map(|(_, m)| *m)
        .collect()
}

const DEVINFO: [&str; 5] = ["DevId", "Man", "Mod", "DmV", "Lang"];

fn notification(view: &crate::View) -> Option<dmct_proto::package0::Package0> {
    let bytes = view.transcript.package0.as_ref()?;
    dmct_proto::package0::decode(bytes.as_bytes()).ok()
}

/// The trigger's first 8 bytes (version, ui-mode, initiator, future use, session id,
/// length of the server identifier), as hex.
fn trigger_head_hex(p: &dmct_proto::package0::Package0) -> String {
    let head = p.trigger().get(..8).unwrap_or_default();
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02X}")).collect();
    format!("Package 0 after the digest: {}", hex.join(" "))
}

/// The alert codes DM 1.2 defines.
fn dm_alert(code: &str) -> bool {
    matches!(
        code.parse::<u16>(),
        Ok(1100..=1104 | 1200 | 1201 | 1222..=1226)
    )
}

fn asks_next(m: &dmct_proto::SyncML) -> bool {
    m.alert_codes().any(|c| c == alert_code::NEXT_MESSAGE)
}

/// Why a server message is not an allowed answer to a client message of a package that
/// goes on, if it is not.
fn not_next_message(m: &dmct_proto::SyncML) -> Option<&'static str> {
    // [PRO] §6.2: "The \"Next Message\" response contains Alert code 1222 (or 1223 to
    // abort), status to the SyncHdr, no other commands, and no Final flag."
    let codes: Vec<&str> = m
        .operations()
        .filter_map(|c| c.as_alert()?.data.as_deref().map(str::trim))
        .collect();
    if m.operations().count() != codes.len() {
        return Some("it carries a command other than Alert 1222 or 1223");
    }
    let abort = codes.contains(&alert_code::SESSION_ABORT);
    if codes
        .iter()
        .any(|c| *c != alert_code::NEXT_MESSAGE && *c != alert_code::SESSION_ABORT)
    {
        return Some("it carries an Alert other than 1222 or 1223");
    }
    if m.synchdr_status().is_none() {
        return Some("it has no Status for the client's SyncHdr");
    }
    // [PRO] §8.1.2: the sender of a Session Abort "MUST include a Final flag", which
    // §6.2's "no Final" cannot overrule for the abort it allows: with 1223, either.
    if m.body.final_ && !abort {
        return Some("it carries Final");
    }
    // [PRO] §6.2: "If there are SyncML commands to be sent as a response to a preceding
    // message, i.e. Results, the Alert command with the 1222 alert code MAY be omitted."
    let results = m
        .body
        .commands
        .iter()
        .any(|c| matches!(c, Command::Results(_)));
    if codes.is_empty() && !results {
        return Some("it asks for the next message with no Alert 1222 (and sends no Results)");
    }
    None
}
