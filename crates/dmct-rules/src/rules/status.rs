//! Status and Results (SyncML RepPro as profiled by DM 1.2): every command answered,
//! the SyncHdr's Status first, references that point at what they answer.

use super::{
    Msg, aborts, ambiguous, answered, by_cmd_id, by_msg_id, flatten, no_resp, other, sent,
    session_msgs, unresolved,
};
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, View};
use dmct_proto::{Command, ItemCmd, Status};
use std::collections::{HashMap, HashSet};

/// In a message answering the peer, the first Status is the one for its SyncHdr.
/// SyncML RepPro orders Statuses, not commands: what comes before the first Status
/// is not judged.
pub struct SynchdrFirst;

impl Rule for SynchdrFirst {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/synchdr-first",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?",
            unconfirmed: Some(
                "nothing in the DM texts orders Status; the rule rests on SyncML RepPro (read \
                    only through secondary copies), which is not among the DM 1.2.1 documents \
                    dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "In a message that answers the peer, the first Status is the one for the \
                peer's SyncHdr (other commands may come before it).",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            if answered(view, role, &m).is_none() {
                continue;
            }
            let first =
                m.m.body
                    .commands
                    .iter()
                    .position(|c| matches!(c, Command::Status(_)));
            match first.and_then(|i| m.m.body.commands.get(i)) {
                Some(Command::Status(s)) if s.is_for_synchdr() => {
                    out.push(m.pass("the Status for the SyncHdr is the first Status"))
                }
                Some(_) => out.push(m.fail(
                    "the first Status is not the one for the peer's SyncHdr",
                    first.and_then(|i| m.cmd_excerpt(i)),
                )),
                None => out.push(m.fail(
                    "the message answers the peer but holds no Status, so none for its SyncHdr",
                    m.hdr_excerpt(),
                )),
            }
        }
        out
    }
}

/// The SyncHdr's Status refers (MsgRef) to the message it answers.
pub struct SynchdrMsgRef;

impl Rule for SynchdrMsgRef {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/synchdr-msgref",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?; [PRO] §9.4 (examples)",
            unconfirmed: Some(
                "the normative wording is in SyncML RepPro, which is not among the DM 1.2.1 \
                    documents dmct's audit could read; the DM examples answer the SyncHdr with \
                    MsgRef = the MsgID, CmdRef 0",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "The Status for the SyncHdr refers (MsgRef, CmdRef 0) to the message it \
                answers.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            let Some(peer) = answered(view, role, &m) else {
                continue;
            };
            let Some(s) = m.m.synchdr_status() else {
                continue;
            };
            if s.msg_ref.trim() == peer.m.hdr.msg_id.trim() {
                out.push(m.pass("MsgRef of the SyncHdr Status is the answered MsgID"));
            } else {
                let i =
                    m.m.body
                        .commands
                        .iter()
                        .position(|c| matches!(c, Command::Status(x) if std::ptr::eq(&**x, s)));
                out.push(m.fail(
                    format!(
                        "the SyncHdr Status has MsgRef {:?}; the message it answers is MsgID {:?}",
                        s.msg_ref, peer.m.hdr.msg_id
                    ),
                    i.and_then(|i| m.cmd_excerpt(i)),
                ));
            }
        }
        out
    }
}

/// The command a Status or Results in `m` refers to, if the referenced message was
/// seen: `Err` says why the reference names more than one command.
fn referenced<'a>(
    view: &'a crate::View,
    role: Role,
    m: &Msg,
    msg_ref: &str,
    cmd_ref: &str,
) -> Option<Result<Option<&'a Command>, String>> {
    let peer = by_msg_id(view, other(role), m, msg_ref)?;
    Some(by_cmd_id(&peer, cmd_ref))
}

fn command_statuses(m: &dmct_proto::SyncML) -> impl Iterator<Item = &Status> {
    m.statuses().filter(|s| !s.is_for_synchdr())
}

/// A Status's MsgRef and CmdRef name a command the peer sent.
pub struct CmdRefValid;

impl Rule for CmdRefValid {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/cmdref-valid",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?; [REP] §6.1.5, §6.1.13",
            unconfirmed: Some(
                "the normative wording is in SyncML RepPro, which is not among the DM 1.2.1 \
                    documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "Every Status's MsgRef and CmdRef name a command the peer sent.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            for s in command_statuses(m.m) {
                match referenced(view, role, &m, &s.msg_ref, &s.cmd_ref) {
                    None => {}
                    Some(Err(why)) => out.push(unresolved(&m, why)),
                    Some(Ok(Some(_))) => {
                        out.push(m.pass("the Status refers to a command the peer sent"))
                    }
                    Some(Ok(None)) => {
                        let i =
                            m.m.body.commands.iter().position(
                                |c| matches!(c, Command::Status(x) if std::ptr::eq(&**x, s)),
                            );
                        out.push(m.fail(
                            format!(
                                "Status for {} refers to CmdRef {} of MsgID {}, and that message \
                                    has no such command",
                                s.cmd, s.cmd_ref, s.msg_ref
                            ),
                            i.and_then(|i| m.cmd_excerpt(i)),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// A Status's Cmd names the command it answers.
pub struct CmdName;

impl Rule for CmdName {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/cmd-name",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?; [REP] §6.1.3",
            unconfirmed: Some(
                "the normative wording is in SyncML RepPro, which is not among the DM 1.2.1 \
                    documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "A Status's Cmd names the command it answers.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            for s in command_statuses(m.m) {
                let c = match referenced(view, role, &m, &s.msg_ref, &s.cmd_ref) {
                    Some(Ok(Some(c))) => c,
                    Some(Err(why)) => {
                        out.push(unresolved(&m, why));
                        continue;
                    }
                    _ => continue,
                };
                if s.cmd.trim() == c.name() {
                    out.push(m.pass("Cmd names the command answered"));
                } else {
                    let i =
                        m.m.body
                            .commands
                            .iter()
                            .position(|x| matches!(x, Command::Status(y) if std::ptr::eq(&**y, s)));
                    out.push(m.fail(
                        format!("Status says Cmd {:?} for a {} command", s.cmd, c.name()),
                        i.and_then(|i| m.cmd_excerpt(i)),
                    ));
                }
            }
        }
        out
    }
}

/// Every command that needs one gets a Status (not Status and Results themselves,
/// nor commands with NoResp; commands inside an Atomic or Sequence once it ran).
pub struct EveryCommand;

impl Rule for EveryCommand {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/every-command",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.4 item 2, §8.5 items 2-3, §8.6 item 2, §9.1, §8.1.2; [REP] §6.5.1, \
                §6.6.14",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "Every command that asks for an answer gets a Status: not Status and Results \
                themselves, nor commands with NoResp; commands inside an Atomic or Sequence once \
                it ran. A client that ends the session, stays silent past --idle, or opens a new \
                session (a new Package #1) after a server package of such commands has not \
                answered them ([PRO] §8: the management phase continues with a new package from \
                the client); a harness limit reached first is inconclusive.",
            allowed: &[
                "the Status in a later message of the same package",
                "one Status per command even when they share a code",
                "no Status for the commands the aborting party did not run, nor for those in a \
                    Session Abort it received ([PRO] §8.1.2)",
                "no answer to a server package that also carries Alert 1223 ([PRO] §8.1.2: a \
                    client receiving it should not respond)",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let peer = other(role);
        for p in sent(view, peer) {
            // The role's answer to `p` (the server's response of the exchange, the
            // client's next request) under another SessionID is msg/sessionid-constant's
            // failure; which session it answers cannot be told.
            let next = match role {
                Role::Server => view.exchanges[p.index].server_msg(),
                Role::Client => view.exchanges.get(p.index + 1).and_then(|e| e.client_msg()),
            };
            if let Some(n) = next
                && n.hdr.session_id.trim() != p.session()
                && !(role == Role::Client && super::opens_session(n))
            {
                out.push(unresolved(&p, format!(
                    "the {role}'s answer carries SessionID {:?}, not {:?} (msg/sessionid-constant)",
                    n.hdr.session_id.trim(),
                    p.session()
                )));
                continue;
            }
            let mine: Vec<_> = session_msgs(view, role, p.session())
                .into_iter()
                .filter(|m| m.index > p.index || (role == Role::Server && m.index == p.index))
                .collect();
            // Only what the role went on to send can be judged, unless the client quit
            // where it had to answer.
            if mine.is_empty() {
                if role == Role::Client {
                    out.extend(client_silence(view, &p));
                }
                continue;
            }
            // [PRO] §8.1.2: "A client receiving Alert 1223 SHOULD NOT respond", and a
            // response is ignored (§8.1.1): nothing in an abort is owed a Status.
            if role == Role::Client && aborts(p.m) {
                continue;
            }
            // The role aborted in the package that answers `p`: the sender of 1223 "MAY
            // also include Status and Results of all the management commands that the
            // aborting party executed" (§8.1.2), so the ones it did not run owe none.
            let aborted = mine
                .iter()
                .find(|m| m.m.body.final_)
                .is_some_and(|m| aborts(m.m));
            let answered_by = |c: &Command| {
                let id = c.cmd_id().unwrap_or("").trim();
                mine.iter().find_map(|m| {
                    m.m.statuses()
                        .find(|s| {
                            s.msg_ref.trim() == p.m.hdr.msg_id.trim() && s.cmd_ref.trim() == id
                        })
                        .map(|s| s.code())
                })
            };
            let mut failed = false;
            let mut check = |c: &Command| {
                if !c.is_operation() || no_resp(c) || c.cmd_id().is_none() {
                    return;
                }
                let answer = answered_by(c);
                // Two commands share the CmdID: a Status for it answers one of them,
                // which one cannot be told. None at all still leaves both unanswered.
                if let (Some(_), Some(why)) = (answer, ambiguous(&p, c)) {
                    out.push(unresolved(&p, why));
                    return;
                }
                match answer {
                    Some(_) => out.push(p.pass(format!(
                        "{} {} was answered",
                        c.name(),
                        c.cmd_id().unwrap_or("")
                    ))),
                    None if aborted => out.push(p.pass(format!(
                        "{} {} got no Status: the {role} aborted the session (Alert 1223) first",
                        c.name(),
                        c.cmd_id().unwrap_or("")
                    ))),
                    None => {
                        let last = mine.last().copied();
                        if let Some(l) = last {
                            // Only the first failure is reported: its excerpt is all
                            // that is quoted.
                            let excerpt = match failed {
                                false => p.excerpt_of(c),
                                true => None,
                            };
                            failed = true;
                            out.push(l.fail(
                                format!(
                                    "{} (CmdID {}) of MsgID {} got no Status",
                                    c.name(),
                                    c.cmd_id().unwrap_or(""),
                                    p.m.hdr.msg_id
                                ),
                                excerpt,
                            ));
                        }
                    }
                }
            };
            for c in &p.m.body.commands {
                check(c);
                // Inner commands are answered when the container ran (200, or 507 for
                // a failed Atomic); a refused container answers for all of them.
                if let Command::Atomic(x) | Command::Sequence(x) = c
                    && matches!(answered_by(c), Some(Some(200 | 507)))
                {
                    for inner in &x.commands {
                        check(inner);
                    }
                }
            }
        }
        out
    }
}

/// The client sent nothing more in the session of the server's message `p`: a failure
/// when `p` carried operations that need its answer and the client is known to have
/// stopped (it ended, stayed idle past `--idle`, or opened a new session instead),
/// inconclusive when the harness stopped waiting first.
fn client_silence(view: &crate::View, p: &Msg) -> Option<crate::Observation> {
    use crate::rules::session::{aborts, seconds};
    use dmct_proto::transcript::Closing;
    // What came next: nothing, or a request; only a decoded Package #1 opening a
    // session shows the client left this one (an undecodable body, or another
    // SessionID mid-session (msg/sessionid-constant), says nothing about it).
    // A request that broke off mid-body (the device crashed or reset the connection)
    // delivered nothing: it is no answer, and no sign of one.
    let broken: Vec<usize> = view.exchanges[p.index + 1..]
        .iter()
        .take_while(|e| e.broke_off())
        .map(|e| e.index)
        .collect();
    let started_over = match view.exchanges.get(p.index + 1 + broken.len()) {
        None => None,
        Some(e) => match e.client_msg() {
            Some(n) if super::opens_session(n) => Some((e.index, n)),
            _ => return None,
        },
    };
    // A challenge is session/reauth-continues' to judge; after a Session Abort the
    // client should not respond ([PRO] §8.1.2).
    if p.m.challenge().is_some() || aborts(p.m) {
        return None;
    }
    let pending: Vec<String> =
        p.m.body
            .commands
            .iter()
            .filter(|c| c.is_operation() && !no_resp(c) && c.cmd_id().is_some())
            .map(|c| format!("{} {}", c.name(), c.cmd_id().unwrap_or("").trim()))
            .collect();
    if pending.is_empty() {
        return None;
    }
    let mut what = format!(
        "the server's package (exchange {}) carried operations that need the client's \
         answer ({})",
        p.index,
        pending.join(", ")
    );
    if let Some(first) = broken.first() {
        what += &format!(
            "; the client's request in exchange {first} broke off before its body was \
             complete (the connection closed), so it delivered no answer"
        );
    }
    // A device may refuse server credentials it cannot verify by ending the session
    // (errata to issue 13, item 6): when this package carried some, say what to check
    // before the failure is disputed.
    if p.m.hdr.cred.is_some() || p.headers.get(dmct_proto::auth::HMAC_HEADER).is_some() {
        what += "; the package carried the server's credentials: a device whose SRVCRED \
                 differs from what the server presented may refuse them by ending the \
                 session, so check the account (dmct: --server-user, --server-secret) \
                 before disputing";
    }
    const CONTINUES: &str = "[PRO] §8: \"If the server sends management operations in a \
                             package that need responses (Status or Results) from the client, \
                             the management phase of the protocol continues with a new package \
                             from client to server containing the client's responses\"";
    if let Some((index, n)) = started_over {
        // Quitting is an answer: the operations of this session are left unanswered
        // whatever the new session does.
        return Some(super::obs(
            crate::Verdict::Fail,
            index,
            crate::Side::Request,
            format!(
                "the peer quit where it had to answer: {what}; the client opened a new \
                 session instead (Package #1, SessionID {:?}, MsgID {}); {CONTINUES}",
                n.hdr.session_id.trim(),
                n.hdr.msg_id.trim()
            ),
            None,
        ));
    }
    let (verdict, detail) = match &view.transcript.closing {
        Closing::PeerDone => (
            crate::Verdict::Fail,
            format!(
                "the peer quit where it had to answer: {what}; the client ended the session \
                    instead; {CONTINUES}"
            ),
        ),
        Closing::IdleTimeout { after_ms } => (
            crate::Verdict::Fail,
            format!(
                "the peer quit where it had to answer: {what}; no package of the client's \
                 followed within {} of idle (--idle); {CONTINUES}. A device that needs \
                 longer: raise --idle and run again",
                seconds(*after_ms)
            ),
        ),
        Closing::SessionTimeout { after_ms, awaiting } => (
            crate::Verdict::Inconclusive,
            format!(
                "we gave up waiting: {what}; the session's time limit ({}) ran out awaiting \
                 {awaiting}",
                seconds(*after_ms)
            ),
        ),
        Closing::ExchangeLimit { limit } => (
            crate::Verdict::Inconclusive,
            format!(
                "we gave up waiting: {what}; the harness's limit of {limit} exchanges was reached"
            ),
        ),
        Closing::Stopped
        | Closing::TriggerFailed { .. }
        | Closing::Skipped { .. }
        | Closing::NotApplicable { .. } => (
            crate::Verdict::Inconclusive,
            format!("{what}; recording stopped before the client answered"),
        ),
    };
    Some(super::obs(verdict, p.index, p.side, detail, None))
}

/// No Status answers a Status.
pub struct NotForStatus;

impl Rule for NotForStatus {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/not-for-status",
            status: RuleStatus::Testable,
            clause: "SyncML RepPro Status ?",
            unconfirmed: Some(
                "not stated in the DM texts; the rule rests on SyncML RepPro, which is not among \
                    the DM 1.2.1 documents dmct's audit could read",
            ),
            level: Level::MustNot,
            binds: Binds::Both,
            summary: "No Status answers a Status.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .map(|m| {
                match m
                    .m
                    .body
                    .commands
                    .iter()
                    .position(|c| matches!(c, Command::Status(s) if s.cmd.trim() == "Status"))
                {
                    Some(i) => m.fail("a Status answers a Status", m.cmd_excerpt(i)),
                    None => m.pass("no Status answers a Status"),
                }
            })
            .collect()
    }
}

/// Status codes are three-digit numbers from 100 to 599.
pub struct CodeValid;

impl Rule for CodeValid {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/code-valid",
            status: RuleStatus::Testable,
            clause: "[REP] §6.6; SyncML RepPro status codes ?",
            unconfirmed: Some(
                "[REP] §6.6 requires a valid status code \"as defined in [REPPRO]\"; the code \
                    table is in SyncML RepPro, which is not among the DM 1.2.1 documents dmct's \
                    audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "A Status's Data is a three-digit status code from 100 to 599.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .map(|m| {
                let bad = m.m.body.commands.iter().position(|c| match c {
                    Command::Status(s) => {
                        let d = s.data.trim();
                        !(d.len() == 3 && s.code().is_some_and(|n| (100..600).contains(&n)))
                    }
                    _ => false,
                });
                match bad {
                    Some(i) => m.fail("a Status whose Data is not a status code", m.cmd_excerpt(i)),
                    None => m.pass("every Status code is well formed"),
                }
            })
            .collect()
    }
}

/// No Status 200 answers a Results: [REP] §6.5.1 "A Status command MUST NOT be sent
/// in response to a Results command if the Status code is 200", whoever received
/// the Results. A Results the role answered with no Status at all is the catalog's
/// allowed behaviour, judged and passed once the role went on in its session.
pub struct No200ForResults;

impl Rule for No200ForResults {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/no-200-for-results",
            status: RuleStatus::Testable,
            clause: "[REP] §6.5.1; [PRO] §6.1",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Both,
            summary: "Results are not acknowledged with Status 200, by whichever side receives \
                them ([REP] §6.5.1: \"A Status command MUST NOT be sent in response to a Results \
                command if the Status code is 200\"; a server may send Results too, [PRO] §8.6).",
            allowed: &[
                "no Status for Results at all",
                "213 for a chunk of a large Results",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/large-object@server"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            let statuses =
                m.m.body
                    .commands
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| match c {
                        Command::Status(s) if s.cmd.trim() == "Results" => Some((i, s)),
                        _ => None,
                    });
            for (i, s) in statuses {
                out.push(if s.code() == Some(200) {
                    m.fail("Status 200 answers a Results", m.cmd_excerpt(i))
                } else {
                    m.pass(format!("the Results got Status {}, not 200", s.data.trim()))
                });
            }
        }
        for p in sent(view, other(role)) {
            let mine: Vec<_> = session_msgs(view, role, p.session())
                .into_iter()
                .filter(|m| m.index > p.index || (role == Role::Server && m.index == p.index))
                .collect();
            if mine.is_empty() {
                continue;
            }
            for c in &p.m.body.commands {
                let Command::Results(r) = c else { continue };
                let id = r.cmd_id.trim();
                let acknowledged = mine.iter().any(|m| {
                    m.m.statuses().any(|s| {
                        s.msg_ref.trim() == p.m.hdr.msg_id.trim() && s.cmd_ref.trim() == id
                    })
                });
                if !acknowledged {
                    out.push(p.pass(format!(
                        "Results {id} got no Status (a 200 outcome is not acknowledged)"
                    )));
                }
            }
        }
        out
    }
}

/// Results answer a Get.
pub struct ResultsForGet;

impl Rule for ResultsForGet {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "results/for-get-only",
            status: RuleStatus::Testable,
            clause: "[REP] §6.6.7, §6.6.12",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Results answer a Get: their CmdRef (and MsgRef) name a Get of the server.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Command::Results(r) = c else { continue };
                let msg_ref = r
                    .msg_ref
                    .clone()
                    .or_else(|| answered(view, role, &m).map(|p| p.m.hdr.msg_id.clone()));
                let Some(msg_ref) = msg_ref else { continue };
                match referenced(view, role, &m, &msg_ref, &r.cmd_ref) {
                    Some(Err(why)) => out.push(unresolved(&m, why)),
                    Some(Ok(Some(Command::Get(_)))) => out.push(m.pass("the Results answer a Get")),
                    Some(Ok(Some(other))) => out.push(m.fail(
                        format!("Results refer to a {}, not a Get", other.name()),
                        m.cmd_excerpt(i),
                    )),
                    Some(Ok(None)) => out.push(m.fail(
                        format!(
                            "Results refer to CmdRef {} that MsgID {msg_ref} does not have",
                            r.cmd_ref
                        ),
                        m.cmd_excerpt(i),
                    )),
                    None => {}
                }
            }
        }
        out
    }
}

/// Each Item of Results names its node by Source LocURI.
pub struct ResultsSource;

impl Rule for ResultsSource {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "results/source-locuri",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.5 item 4",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Each Item of Results names its node by Source LocURI.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Command::Results(r) = c else { continue };
                if r.items.iter().all(|it| {
                    it.source
                        .as_ref()
                        .is_some_and(|s| !s.loc_uri.trim().is_empty())
                }) {
                    out.push(m.pass("every Results Item has a Source LocURI"));
                } else {
                    out.push(m.fail("a Results Item has no Source LocURI", m.cmd_excerpt(i)));
                }
            }
        }
        out
    }
}

/// What `mine` sent in answer to the peer's message `p`, by CmdRef: built once per
/// message, so each Get looks its answer up instead of scanning every command again
/// (many Gets answered by many Statuses were quadratic).
struct Answers<'a> {
    mine: &'a [Msg<'a>],
    /// Per CmdRef, the code of the Status `mine` gave: in the first message whose
    /// first Status for it carries a code.
    codes: HashMap<&'a str, u16>,
    /// Per CmdRef, the Results that may answer it, in order: the message's index in
    /// `mine`, the command's position, and whether its MsgRef names `p` (else it has
    /// none).
    results: HashMap<&'a str, Vec<(usize, usize, bool)>>,
}

impl<'a> Answers<'a> {
    fn new(mine: &'a [Msg<'a>], p: &Msg) -> Self {
        let pid = p.m.hdr.msg_id.trim();
        let mut codes = HashMap::new();
        let mut results: HashMap<&str, Vec<_>> = HashMap::new();
        for (mi, m) in mine.iter().enumerate() {
            let mut seen = HashSet::new();
            for (i, c) in m.m.body.commands.iter().enumerate() {
                match c {
                    Command::Status(s) if s.msg_ref.trim() == pid => {
                        let k = s.cmd_ref.trim();
                        // Only a message's first Status for a command counts.
                        if seen.insert(k)
                            && let Some(code) = s.code()
                        {
                            codes.entry(k).or_insert(code);
                        }
                    }
                    Command::Results(r) => {
                        let named = match r.msg_ref.as_deref() {
                            Some(id) if id.trim() == pid => true,
                            Some(_) => continue,
                            None => false,
                        };
                        results
                            .entry(r.cmd_ref.trim())
                            .or_default()
                            .push((mi, i, named));
                    }
                    _ => {}
                }
            }
        }
        Answers {
            mine,
            codes,
            results,
        }
    }

    /// The code of the Status `mine` gave the Get `g`.
    fn get_status_code(&self, g: &ItemCmd) -> Option<u16> {
        self.codes.get(g.cmd_id.trim()).copied()
    }

    /// The first of `mine` holding Results for the Get `g`, and the index of those
    /// Results. A Results without MsgRef counts when `unreferenced` says its message
    /// may answer `p`.
    fn results_for(
        &self,
        g: &ItemCmd,
        unreferenced: impl Fn(&Msg) -> bool,
    ) -> Option<(Msg<'a>, usize)> {
        self.results
            .get(g.cmd_id.trim())?
            .iter()
            .find(|&&(mi, _, named)| named || unreferenced(&self.mine[mi]))
            .map(|&(mi, i, _)| (self.mine[mi], i))
    }
}

/// A Get carried out (Status 200) is followed by its Results.
pub struct GetHasResults;

impl Rule for GetHasResults {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "results/for-every-get",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.5 item 4; [REP] §6.6.7, §6.6.12",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "A Get the client carried out (Status 200) is followed by its Results in the \
                same package.",
            allowed: &["Results in a later message of the same package"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for p in sent(view, other(role)) {
            let mine = session_msgs(view, role, p.session());
            let answers = Answers::new(&mine, &p);
            for c in flatten(p.m) {
                let Command::Get(g) = c else { continue };
                if answers.get_status_code(g) != Some(200) {
                    continue;
                }
                if let Some(why) = ambiguous(&p, c) {
                    out.push(unresolved(&p, why));
                    continue;
                }
                // Lenient: a Results without MsgRef anywhere in the session counts, so
                // a missing one is never claimed by mistake.
                match (answers.results_for(g, |_| true), mine.last()) {
                    (Some(_), _) => out.push(p.pass("the Get was answered with Results")),
                    (None, Some(l)) => out.push(l.fail(
                        format!("Get {} was answered 200 but no Results came", g.cmd_id),
                        p.excerpt_of(c),
                    )),
                    (None, None) => {}
                }
            }
        }
        out
    }
}

/// A Get answered with a failure code gets no Results: a Status 404 with the values
/// of the nodes that were found contradicts itself.
pub struct ResultsOnlyForSuccess;

impl Rule for ResultsOnlyForSuccess {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "results/only-for-successful-get",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.5 item 4",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Client,
            summary: "Results are returned for successful Get operations (\"Results MUST be \
                returned in the SyncBody for successful Get operations\"): a Get whose Status is \
                a failure code (404 when a node it names is missing) gets no Results, not even \
                for the nodes that were found.",
            allowed: &[
                "one Status for the whole Get with a failure code and no Results",
                "a successful Get (2xx) answered with Results",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["results/get-missing-node"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for p in sent(view, other(role)) {
            let mine = session_msgs(view, role, p.session());
            let answers = Answers::new(&mine, &p);
            for c in flatten(p.m) {
                let Command::Get(g) = c else { continue };
                let Some(code) = answers.get_status_code(g) else {
                    continue;
                };
                // The catalog's allowed "a successful Get (2xx) answered with Results":
                // the rule forbids Results only for a failed Get.
                if (200..300).contains(&code) {
                    out.push(p.pass(format!(
                        "Get {} succeeded ({code}); Results may follow",
                        g.cmd_id.trim()
                    )));
                    continue;
                }
                if let Some(why) = ambiguous(&p, c) {
                    out.push(unresolved(&p, why));
                    continue;
                }
                // Strict: a Results without MsgRef is this Get's only when its message
                // answers `p`, so another Get with the same CmdID is never blamed.
                let answers_p =
                    |m: &Msg| answered(view, role, m).is_some_and(|a| a.index == p.index);
                match answers.results_for(g, answers_p) {
                    Some((m, i)) => out.push(m.fail(
                        format!(
                            "Get {} was answered {code}, yet Results for it came",
                            g.cmd_id
                        ),
                        m.cmd_excerpt(i),
                    )),
                    None => {
                        out.push(p.pass(format!("the Get that failed ({code}) got no Results")))
                    }
                }
            }
        }
        out
    }
}
