//! Packages: what Package #1 holds, Package 0, which commands a client may send, Alert
//! codes, packages of several messages (Alert 1222), RespURI, and Atomic.

use super::{answered, flatten, sent};
use crate::Role;
use dmct_proto::transcript::Closing;
use dmct_proto::{Command, alert_code};

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

rule!(
    /// Package #1 carries Alert 1200 or 1201.
    Pkg1Alert, "pkg1/alert", |view, role| {
        package1s(view)
            .iter()
            .map(|m| {
                if m.m.is_session_setup() {
                    m.pass("Package #1 carries Alert 1200 or 1201")
                } else {
                    m.fail("Package #1 (MsgID 1) carries no Alert 1200 or 1201", m.hdr_excerpt())
                }
            })
            .collect()
    }
);

const DEVINFO: [&str; 5] = ["DevId", "Man", "Mod", "DmV", "Lang"];

rule!(
    /// Package #1 sends ./DevInfo in a Replace: DevId, Man, Mod, DmV and Lang.
    Pkg1DevInfo, "pkg1/devinfo", |view, role| {
        package1s(view)
            .iter()
            .map(|m| {
                let sent_nodes: Vec<String> = m
                    .m
                    .body
                    .commands
                    .iter()
                    .filter_map(|c| match c {
                        Command::Replace(r) => Some(r),
                        _ => None,
                    })
                    .flat_map(|r| r.items.iter())
                    .filter_map(|i| i.source.as_ref().map(|s| s.loc_uri.trim().trim_start_matches("./").to_owned()))
                    .collect();
                let missing: Vec<_> = DEVINFO
                    .iter()
                    .filter(|n| !sent_nodes.iter().any(|s| *s == format!("DevInfo/{n}")))
                    .collect();
                if missing.is_empty() {
                    m.pass("the DevInfo Replace holds DevId, Man, Mod, DmV and Lang")
                } else {
                    let i = m.m.body.commands.iter().position(|c| matches!(c, Command::Replace(_)));
                    m.fail(
                        format!("Package #1 lacks ./DevInfo nodes: {}", missing.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")),
                        i.and_then(|i| m.cmd_excerpt(i)).or_else(|| m.hdr_excerpt()),
                    )
                }
            })
            .collect()
    }
);

fn notification(view: &crate::View) -> Option<dmct_proto::package0::Package0> {
    let bytes = view.transcript.package0.as_ref()?;
    dmct_proto::package0::decode(bytes.as_bytes()).ok()
}

rule!(
    /// The Package #1 answering a Package 0 carries Alert 1200.
    Pkg0Alert, "pkg0/alert-1200", |view, role| {
        let Some(_) = notification(view) else { return Vec::new() };
        let Some(m) = package1s(view).into_iter().next() else { return Vec::new() };
        let codes: Vec<&str> = m.m.alert_codes().collect();
        if codes.contains(&alert_code::SERVER_INITIATED_MGMT) {
            vec![m.pass("the session answering Package 0 opens with Alert 1200")]
        } else {
            let i = m.m.body.commands.iter().position(|c| c.as_alert().is_some());
            vec![m.fail(
                format!("the session answering Package 0 opens with Alert {codes:?}, not 1200"),
                i.and_then(|i| m.cmd_excerpt(i)),
            )]
        }
    }
);

rule!(
    /// The Package #1 answering a Package 0 uses the notification's SessionID, written
    /// as [NOT] §6.2.10 says: "a string of hexadecimal digits (chosen from the numeric
    /// digits '0'-'9' and the upper-case letters 'A'-'F') ... Leading zeros MUST NOT be
    /// included."
    Pkg0SessionId, "pkg0/session-id", |view, role| {
        let Some(n) = notification(view) else { return Vec::new() };
        let Some(m) = package1s(view).into_iter().next() else { return Vec::new() };
        let want = n.notification.session_id_hex();
        let got = m.session();
        if got == want {
            return vec![m.pass(format!("SessionID {got} is the notification's"))];
        }
        // Same number, other spelling: named apart so the report says what to fix.
        let detail = if u16::from_str_radix(got, 16).ok() == Some(n.notification.session_id) {
            format!(
                "SessionID {got:?} is the Package 0 session id written otherwise: [NOT] §6.2.10 \
                 wants {want:?} (upper-case hexadecimal, no leading zeros)"
            )
        } else {
            format!("SessionID {:?} is not the Package 0 session id {want} (hexadecimal)", m.m.hdr.session_id)
        };
        vec![m.fail(detail, m.hdr_excerpt())]
    }
);

rule!(
    /// The server's Package 0 carries the version DM 1.2 notifications carry.
    Pkg0Version, "pkg0/version", |view, role| {
        let Some(p) = notification(view) else { return Vec::new() };
        let found = p.notification.version;
        let want = dmct_proto::package0::NOTIFICATION_VERSION;
        // The Package 0 is no exchange: the evidence is its version field, bit by bit.
        let (verdict, detail) = if found == want {
            (crate::Verdict::Pass, format!("Package 0 has version {found:010b} ({found})"))
        } else {
            (
                crate::Verdict::Fail,
                format!("Package 0 has version {found:010b} ({found}); DM 1.2 notifications carry {want:010b} ({want})"),
            )
        };
        vec![crate::Observation {
            verdict,
            exchange: None,
            message: None,
            detail,
            excerpt: (verdict == crate::Verdict::Fail).then(|| trigger_head_hex(&p)),
        }]
    }
);

/// The trigger's first 8 bytes (version, ui-mode, initiator, future use, session id,
/// length of the server identifier), as hex.
fn trigger_head_hex(p: &dmct_proto::package0::Package0) -> String {
    let head = p.trigger().get(..8).unwrap_or_default();
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02X}")).collect();
    format!("Package 0 after the digest: {}", hex.join(" "))
}

rule!(
    /// A client sends no commands but Alert, Replace (DevInfo, in Package #1), Results
    /// and Status.
    ClientCommands, "client/allowed-commands", |view, role| {
        // A Package #1 that lacks its Alert is pkg1/alert's failure; its DevInfo
        // Replace is still in Package #1.
        let pkg1: Vec<usize> = package1s(view).iter().map(|m| m.index).collect();
        sent(view, Role::Client)
            .iter()
            .map(|m| {
                let bad = m.m.body.commands.iter().position(|c| match c {
                    Command::Alert(_) | Command::Results(_) | Command::Status(_) => false,
                    Command::Replace(_) => !m.m.is_session_setup() && !pkg1.contains(&m.index),
                    _ => true,
                });
                match bad {
                    Some(i) => m.fail(
                        format!("the client sent a {} command", m.m.body.commands[i].name()),
                        m.cmd_excerpt(i),
                    ),
                    None => m.pass("only Alert, Replace of DevInfo, Results and Status"),
                }
            })
            .collect()
    }
);

/// The alert codes DM 1.2 defines.
fn dm_alert(code: &str) -> bool {
    matches!(
        code.parse::<u16>(),
        Ok(1100..=1104 | 1200 | 1201 | 1222..=1226)
    )
}

rule!(
    /// Alert Data is an alert code DM 1.2 defines.
    AlertCode, "alert/valid-code", |view, role| {
        let mut out = Vec::new();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Some(a) = c.as_alert() else { continue };
                let code = a.data.as_deref().unwrap_or("").trim();
                if dm_alert(code) {
                    out.push(m.pass(format!("Alert {code} is a DM alert")));
                } else {
                    out.push(m.fail(format!("Alert code {code:?} is not one DM 1.2 defines"), m.cmd_excerpt(i)));
                }
            }
        }
        out
    }
);

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

rule!(
    /// While the client's package goes on (a message without Final that asks for
    /// nothing), the server answers with a Next Message response: Status, Alert 1222
    /// (or 1223 to abort), no other command, no Final.
    NextMessageResponse, "multimsg/next-message-response", |view, role| {
        let mut out = Vec::new();
        for m in sent(view, Role::Server) {
            let Some(req) = answered(view, Role::Server, &m) else { continue };
            if req.m.body.final_ || asks_next(req.m) {
                continue;
            }
            match not_next_message(m.m) {
                None => out.push(m.pass("a Next Message response while the client's package goes on")),
                Some(why) => out.push(m.fail(
                    format!("the client's package had not ended (no Final), yet the answer is not a Next Message response: {why}"),
                    m.hdr_excerpt(),
                )),
            }
        }
        out
    }
);

rule!(
    /// A client does not close its package while the server's goes on.
    NoEarlyFinal, "multimsg/no-early-final", |view, role| {
        let mut out = Vec::new();
        for m in sent(view, Role::Client) {
            let Some(s) = answered(view, Role::Client, &m) else { continue };
            if s.m.body.final_ || asks_next(s.m) {
                continue;
            }
            if m.m.body.final_ {
                out.push(m.fail(
                    "the server's package had not ended (no Final), yet the client closed its own with Final",
                    m.hdr_excerpt(),
                ));
            } else {
                out.push(m.pass("no Final while the server's package goes on"));
            }
        }
        out
    }
);

rule!(
    /// After a RespURI, the client's next message goes there.
    RespUriFollowed, "session/respuri-followed", |view, role| {
        let mut out = Vec::new();
        let clients = sent(view, Role::Client);
        for s in sent(view, Role::Server) {
            let Some(uri) = s.m.hdr.resp_uri.as_deref() else { continue };
            let Some(next) = clients.iter().find(|c| c.index > s.index && c.session() == s.session()) else {
                // The catalog's allowed "end the session instead of sending more": known
                // when the client went on in another session, finished, or stayed idle
                // past --idle; a harness limit leaves it unknown.
                let ended = match view.exchanges.get(s.index + 1) {
                    // Only a decoded request of another session shows this one ended.
                    Some(e) => e.client_msg().is_some(),
                    None => matches!(view.transcript.closing, Closing::PeerDone | Closing::IdleTimeout { .. }),
                };
                if ended {
                    out.push(s.pass("the server gave a RespURI; the client sent nothing more in this session (it ended)"));
                }
                continue;
            };
            let target = &view.exchanges[next.index].exchange.request.target;
            let want = dmct_proto::url::target_of(uri);
            if *target == want || target == uri {
                out.push(next.pass("the message went to the RespURI"));
            } else {
                out.push(next.fail(
                    format!("RespURI was {uri:?}, but the next message went to {target:?}"),
                    next.hdr_excerpt(),
                ));
            }
        }
        out
    }
);

rule!(
    /// Atomic is all or nothing: a failed Atomic (507) leaves no inner command
    /// succeeded (216 rolled back, or its error); a successful one has no failures.
    AtomicRollback, "atomic/all-or-nothing", |view, role| {
        let mut out = Vec::new();
        for p in sent(view, super::other(role)) {
            for c in flatten(p.m) {
                let Command::Atomic(a) = c else { continue };
                // The Atomic's inner statuses are found by CmdRef: a repeated CmdID
                // among them leaves the verdict to msg/cmdid-unique.
                if let Some(why) = std::iter::once(c).chain(&a.commands).find_map(|x| super::ambiguous(&p, x)) {
                    out.push(super::unresolved(&p, why));
                    continue;
                }
                for m in super::session_msgs(view, role, p.session()).into_iter().filter(|m| m.index >= p.index) {
                    let code_of = |id: &str| {
                        m.m.statuses()
                            .find(|s| s.msg_ref.trim() == p.m.hdr.msg_id.trim() && s.cmd_ref.trim() == id.trim())
                            .and_then(|s| s.code())
                    };
                    let Some(atomic) = code_of(&a.cmd_id) else { continue };
                    let inner: Vec<u16> = a.commands.iter().filter_map(|c| c.cmd_id().and_then(code_of)).collect();
                    let bad = match atomic {
                        200 => inner.iter().any(|c| !(200..300).contains(c)),
                        // 507: an inner command failed; 517: the responses would not
                        // fit one message ([REP] §6.6.3: "Previously executed commands
                        // in Atomic command MUST be rolled back"). Either way none keeps
                        // a 200.
                        507 | 517 => inner.contains(&200),
                        _ => false,
                    };
                    let i = m.m.body.commands.iter().position(|x| matches!(x, Command::Status(s) if s.cmd_ref.trim() == a.cmd_id.trim()));
                    out.push(if bad {
                        m.fail(
                            format!("Atomic answered {atomic} with inner statuses {inner:?}: not all or nothing"),
                            i.and_then(|i| m.cmd_excerpt(i)),
                        )
                    } else {
                        m.pass(format!("Atomic {atomic}, inner {inner:?}"))
                    });
                    break;
                }
            }
        }
        out
    }
);
