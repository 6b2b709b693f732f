//! Status and Results (SyncML RepPro as profiled by DM 1.2): every command answered,
//! the SyncHdr's Status first, references that point at what they answer.

use super::{
    Msg, aborts, ambiguous, answered, by_cmd_id, by_msg_id, flatten, no_resp, other, sent,
    unresolved,
};
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, View};
use dmct_proto::{Command, ItemCmd, Status};

mod cmd_name;
mod cmd_ref_valid;
mod code_valid;
mod every_command;
mod get_has_results;
mod no200_for_results;
mod not_for_status;
mod results_for_get;
mod results_only_for_success;
mod results_source;
mod synchdr_first;
mod synchdr_msg_ref;

pub use cmd_name::CmdName;
pub use cmd_ref_valid::CmdRefValid;
pub use code_valid::CodeValid;
pub use every_command::EveryCommand;
pub use get_has_results::GetHasResults;
pub use no200_for_results::No200ForResults;
pub use not_for_status::NotForStatus;
pub use results_for_get::ResultsForGet;
pub use results_only_for_success::ResultsOnlyForSuccess;
pub use results_source::ResultsSource;
pub use synchdr_first::SynchdrFirst;
pub use synchdr_msg_ref::SynchdrMsgRef;

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
        Closing::HarnessFault { detail } => (
            crate::Verdict::Inconclusive,
            format!("{what}; dmct itself failed before the client answered ({detail})"),
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

/// What `role` sent in answer to the peer's message `p` in its session, looked up by
/// CmdRef in the view's index, so each Get finds its answer without scanning the
/// session (many Gets answered by many Statuses were quadratic).
struct Answers<'a, 'p> {
    view: &'a View<'a>,
    role: Role,
    p: &'p Msg<'p>,
}

impl<'a, 'p> Answers<'a, 'p> {
    fn new(view: &'a View<'a>, role: Role, p: &'p Msg<'p>) -> Self {
        Answers { view, role, p }
    }

    /// The code of the Status `role` gave the Get `g`: in the first message whose first
    /// Status for it carries a code.
    fn get_status_code(&self, g: &ItemCmd) -> Option<u16> {
        let pid = self.p.m.hdr.msg_id.trim();
        super::first_statuses(self.view, self.role, self.p.session(), 0, pid, &g.cmd_id)
            .find_map(|(m, i)| m.m.body.commands[i].as_status().and_then(|s| s.code()))
    }

    /// The first of `role`'s messages holding Results for the Get `g`, and the index of
    /// those Results. A Results without MsgRef counts when `unreferenced` says its
    /// message may answer `p`.
    fn results_for(
        &self,
        g: &ItemCmd,
        unreferenced: impl Fn(&Msg) -> bool,
    ) -> Option<(Msg<'a>, usize)> {
        let pid = self.p.m.hdr.msg_id.trim();
        let results =
            |r| super::results_for(self.view, self.role, self.p.session(), 0, r, &g.cmd_id);
        let named = results(Some(pid)).next();
        let bare = results(None).find(|(m, _)| unreferenced(m));
        // The earlier of the two, in session order.
        [named, bare]
            .into_iter()
            .flatten()
            .min_by_key(|(m, i)| (m.index, *i))
    }
}
