//! Rule checks, one module per area, and the lookups they share.

/// A rule: a unit struct, its catalog id, and its check.
pub mod auth;
pub mod http;
pub mod large;
pub mod msg;
pub mod pkg;
pub mod probe;
pub mod session;
pub mod status;
pub mod untested;

use crate::{Observation, Role, Side, Verdict, View};
use dmct_proto::transcript::Headers;
use dmct_proto::xml::Decoded;
use dmct_proto::{Command, SyncML};

/// Wire text shown as evidence and, when it is one element of a message body, where:
/// (exchange, message, byte range in that body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The wire text, or its start when `cut` is not 0.
    pub text: String,
    /// Bytes of the wire text left off after `text`: evidence is cut to a few hundred
    /// bytes ([`clip`], and any other at the finding), so an element of megabytes is
    /// never copied whole only to be cut.
    pub cut: usize,
    pub at: Option<(usize, Side, std::ops::Range<usize>)>,
}

/// How much of an element's wire text an excerpt keeps: more than any cut needs, so
/// what is cut is the same as if the whole had been kept.
const EXCERPT_KEPT: usize = crate::EXCERPT_MAX + 1;

impl Excerpt {
    fn of(
        text: Option<(String, usize)>,
        at: (usize, Side, std::ops::Range<usize>),
    ) -> Option<Self> {
        let (text, cut) = text?;
        Some(Excerpt {
            text,
            cut,
            at: Some(at),
        })
    }

    /// The SyncHdr of `d`, the body of `side` of exchange `exchange`.
    pub fn hdr(d: &Decoded, exchange: usize, side: Side) -> Excerpt {
        let span = d.spans.hdr.clone();
        let (text, cut) = d.excerpt_prefix(&span, EXCERPT_KEPT).unwrap_or_default();
        Excerpt {
            text,
            cut,
            at: Some((exchange, side, span)),
        }
    }

    /// Top-level command `i` of `d`, the body of `side` of exchange `exchange`.
    pub fn command(d: &Decoded, exchange: usize, side: Side, i: usize) -> Option<Excerpt> {
        Excerpt::element(d, exchange, side, &d.spans.commands.get(i)?)
    }

    /// The element of `d` at byte range `span`.
    pub fn element(
        d: &Decoded,
        exchange: usize,
        side: Side,
        span: &std::ops::Range<usize>,
    ) -> Option<Excerpt> {
        Excerpt::of(
            d.excerpt_prefix(span, EXCERPT_KEPT),
            (exchange, side, span.clone()),
        )
    }

    /// A whole body that is no element (shown as text), at `at`.
    pub fn body(bytes: &[u8], at: (usize, Side, std::ops::Range<usize>)) -> Excerpt {
        let (text, cut) = dmct_proto::xml::lossy_prefix(bytes, EXCERPT_KEPT);
        Excerpt {
            text,
            cut,
            at: Some(at),
        }
    }
}

impl From<String> for Excerpt {
    /// Text that is not one element of a message body (a header line, a summary).
    fn from(text: String) -> Excerpt {
        Excerpt {
            text,
            cut: 0,
            at: None,
        }
    }
}

pub(crate) fn obs(
    verdict: Verdict,
    exchange: usize,
    message: Side,
    detail: impl Into<String>,
    excerpt: Option<Excerpt>,
) -> Observation {
    let (excerpt, excerpt_cut, span) = match excerpt {
        None => (None, 0, None),
        Some(e) => {
            // A span counts only for the message the observation names.
            let span =
                e.at.filter(|(i, side, _)| *i == exchange && *side == message)
                    .map(|(_, _, r)| r);
            (Some(e.text), e.cut, span)
        }
    };
    Observation {
        verdict,
        exchange: Some(exchange),
        message: Some(message),
        detail: detail.into(),
        excerpt,
        excerpt_cut,
        span,
    }
}

/// At most this many bytes of wire text in an excerpt.
const EXCERPT_MAX: usize = 600;

pub(crate) fn clip(mut e: Excerpt) -> Excerpt {
    if e.text.len() + e.cut <= EXCERPT_MAX {
        return e;
    }
    // `text` holds more than this whenever `cut` is not 0 (`EXCERPT_KEPT`).
    e.cut = 0;
    let mut end = EXCERPT_MAX;
    while !e.text.is_char_boundary(end) {
        end -= 1;
    }
    e.text = format!("{}...", &e.text[..end]);
    e
}

/// One decoded message a role sent, and where it is in the transcript.
#[derive(Clone, Copy)]
pub(crate) struct Msg<'a> {
    pub index: usize,
    pub side: Side,
    pub decoded: &'a Decoded,
    pub m: &'a SyncML,
    pub headers: &'a Headers,
    pub body: &'a [u8],
    pub ids: &'a std::sync::OnceLock<CmdIds>,
}

impl<'a> Msg<'a> {
    pub fn pass(&self, detail: impl Into<String>) -> Observation {
        obs(Verdict::Pass, self.index, self.side, detail, None)
    }

    pub fn fail(&self, detail: impl Into<String>, excerpt: Option<Excerpt>) -> Observation {
        obs(
            Verdict::Fail,
            self.index,
            self.side,
            detail,
            excerpt.map(clip),
        )
    }

    /// The SyncHdr as sent, and where it is.
    pub fn hdr_excerpt(&self) -> Option<Excerpt> {
        Some(Excerpt::hdr(self.decoded, self.index, self.side))
    }

    /// The wire text of top-level command `i`, and where it is.
    pub fn cmd_excerpt(&self, i: usize) -> Option<Excerpt> {
        Excerpt::command(self.decoded, self.index, self.side, i)
    }

    /// The wire text of the top-level command holding `target` (itself or a container).
    pub fn excerpt_of(&self, target: &Command) -> Option<Excerpt> {
        let cmds = &self.m.body.commands;
        // A top-level command is found by its address: a scan per excerpt would cost
        // a message of many failing commands its length squared.
        let i = match cmds.as_ptr_range().contains(&(target as *const Command)) {
            true => {
                (target as *const Command as usize - cmds.as_ptr() as usize)
                    / std::mem::size_of::<Command>()
            }
            false => cmds.iter().position(|c| contains(c, target))?,
        };
        self.cmd_excerpt(i)
    }

    pub fn session(&self) -> &'a str {
        self.m.hdr.session_id.trim()
    }
}

fn contains(c: &Command, target: &Command) -> bool {
    match c {
        Command::Atomic(x) | Command::Sequence(x) => x
            .commands
            .iter()
            .any(|i| std::ptr::eq(i, target) || contains(i, target)),
        _ => false,
    }
}

/// The message `role` sent in exchange `e`, if it decoded.
fn msg_of<'a>(e: &'a crate::ExchangeView, role: Role) -> Option<Msg<'a>> {
    match role {
        Role::Client => e.request.as_ref().ok().map(|d| Msg {
            index: e.index,
            side: Side::Request,
            decoded: d,
            m: &d.message,
            headers: &e.exchange.request.headers,
            body: e.exchange.request.body.as_bytes(),
            ids: &e.ids[0],
        }),
        Role::Server => {
            let r = e.exchange.response.as_ref()?;
            let d = e.response.as_ref()?.as_ref().ok()?;
            Some(Msg {
                index: e.index,
                side: Side::Response,
                decoded: d,
                m: &d.message,
                headers: &r.headers,
                body: r.body.as_bytes(),
                ids: &e.ids[1],
            })
        }
    }
}

/// The message `role` sent in exchange `index`, if it decoded.
pub(crate) fn msg_at<'a>(view: &'a View, role: Role, index: usize) -> Option<Msg<'a>> {
    msg_of(view.exchanges.get(index)?, role)
}

/// The messages `role` sent, in order: requests for the client, responses for the
/// server. Bodies that are not DM messages are left to the HTTP rules.
pub(crate) fn sent<'a>(view: &'a View, role: Role) -> Vec<Msg<'a>> {
    index(view).sent[slot(role)]
        .iter()
        .filter_map(|&i| msg_at(view, role, i))
        .collect()
}

fn slot(role: Role) -> usize {
    match role {
        Role::Client => 0,
        Role::Server => 1,
    }
}

/// Every message of a transcript by sender, session and MsgID, and per session the
/// Statuses and Results that answer by reference: built once per view, so a lookup
/// costs a hash and a binary search, not a scan of the transcript.
#[derive(Default)]
pub struct Index {
    /// Per role: the exchanges whose message of that role decoded, in order.
    sent: [Vec<usize>; 2],
    /// Per role: its messages by SessionID (trimmed).
    sessions: [HashMap<String, SessionIndex>; 2],
}

/// One role's messages of one session.
#[derive(Default)]
pub(crate) struct SessionIndex {
    /// The exchanges of its messages, in order.
    pub msgs: Vec<usize>,
    /// Per MsgID (trimmed): the exchanges of the messages carrying it, in order.
    by_msg_id: HashMap<String, Vec<usize>>,
    /// The exchanges of its messages whose SyncHdr carries a Meta, in order.
    with_meta: Vec<usize>,
    /// Per (MsgRef, CmdRef), trimmed: each message's first Status carrying them, as
    /// (exchange, command position), in order.
    statuses: HashMap<(String, String), Vec<Position>>,
    /// Per (MsgRef, CmdRef), trimmed: every Results, as (exchange, command position), in
    /// order.
    results: HashMap<(Option<String>, String), Vec<Position>>,
}

/// A command's place: (exchange, position among its message's commands).
type Position = (usize, usize);

use std::collections::HashMap;

pub(crate) fn index<'a>(view: &'a View) -> &'a Index {
    view.index.get_or_init(|| {
        let mut ix = Index::default();
        for role in [Role::Client, Role::Server] {
            for e in &view.exchanges {
                let Some(m) = msg_of(e, role) else { continue };
                ix.sent[slot(role)].push(e.index);
                let s = ix.sessions[slot(role)]
                    .entry(m.session().to_owned())
                    .or_default();
                s.msgs.push(e.index);
                s.by_msg_id
                    .entry(m.m.hdr.msg_id.trim().to_owned())
                    .or_default()
                    .push(e.index);
                if m.m.hdr.meta.is_some() {
                    s.with_meta.push(e.index);
                }
                let mut seen = std::collections::HashSet::new();
                for (i, c) in m.m.body.commands.iter().enumerate() {
                    match c {
                        Command::Status(st) => {
                            let key = (st.msg_ref.trim().to_owned(), st.cmd_ref.trim().to_owned());
                            if seen.insert(key.clone()) {
                                s.statuses.entry(key).or_default().push((e.index, i));
                            }
                        }
                        Command::Results(r) => {
                            let msg_ref = r.msg_ref.as_deref().map(|x| x.trim().to_owned());
                            s.results
                                .entry((msg_ref, r.cmd_ref.trim().to_owned()))
                                .or_default()
                                .push((e.index, i));
                        }
                        _ => {}
                    }
                }
            }
        }
        ix
    })
}

/// `role`'s messages of `session` (trimmed, as [`Msg::session`] gives it), if any.
pub(crate) fn session_index<'a>(
    view: &'a View,
    role: Role,
    session: &str,
) -> Option<&'a SessionIndex> {
    index(view).sessions[slot(role)].get(session)
}

/// The first Status of each of `role`'s messages in `session` from exchange `from` on
/// that answers command `cmd_ref` of message `msg_ref`, the earliest: its message and
/// its position there.
pub(crate) fn first_status<'a>(
    view: &'a View,
    role: Role,
    session: &str,
    from: usize,
    msg_ref: &str,
    cmd_ref: &str,
) -> Option<(Msg<'a>, usize)> {
    first_statuses(view, role, session, from, msg_ref, cmd_ref).next()
}

/// As [`first_status`], every message's in order.
pub(crate) fn first_statuses<'a>(
    view: &'a View,
    role: Role,
    session: &str,
    from: usize,
    msg_ref: &str,
    cmd_ref: &str,
) -> impl Iterator<Item = (Msg<'a>, usize)> + 'a {
    let list = session_index(view, role, session)
        .and_then(|s| {
            s.statuses
                .get(&(msg_ref.trim().to_owned(), cmd_ref.trim().to_owned()))
        })
        .map_or(&[][..], Vec::as_slice);
    let at = list.partition_point(|&(i, _)| i < from);
    list[at..]
        .iter()
        .filter_map(move |&(i, c)| Some((msg_at(view, role, i)?, c)))
}

/// `role`'s Results in `session` from exchange `from` on for command `cmd_ref` of
/// message `msg_ref` (`None`: those without MsgRef): their message and position there,
/// in order.
pub(crate) fn results_for<'a>(
    view: &'a View,
    role: Role,
    session: &str,
    from: usize,
    msg_ref: Option<&str>,
    cmd_ref: &str,
) -> impl Iterator<Item = (Msg<'a>, usize)> + 'a {
    let key = (
        msg_ref.map(|r| r.trim().to_owned()),
        cmd_ref.trim().to_owned(),
    );
    let list = session_index(view, role, session)
        .and_then(|s| s.results.get(&key))
        .map_or(&[][..], Vec::as_slice);
    let at = list.partition_point(|&(i, _)| i < from);
    list[at..]
        .iter()
        .filter_map(move |&(i, c)| Some((msg_at(view, role, i)?, c)))
}

/// `role`'s messages in `session` from exchange `from` on, in order.
pub(crate) fn session_from<'a>(
    view: &'a View,
    role: Role,
    session: &str,
    from: usize,
) -> impl Iterator<Item = Msg<'a>> + Clone + 'a {
    let list = session_index(view, role, session).map_or(&[][..], |s| s.msgs.as_slice());
    let at = list.partition_point(|&i| i < from);
    list[at..]
        .iter()
        .filter_map(move |&i| msg_at(view, role, i))
}

pub(crate) fn other(role: Role) -> Role {
    match role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    }
}

/// Is `m` the first message of a session (a Package #1 with MsgID 1)?
pub(crate) fn opens_session(m: &SyncML) -> bool {
    m.is_session_setup() && m.hdr.msg_id_number() == Some(1)
}

/// The peer message that `msg` (sent by `role`) answers: for a server response, the
/// request of its exchange; for a client request, the server's last message before it
/// in the same session (none for a Package #1 that opens a session, or when the last
/// answer before it did not decode: what the client answers cannot be read, and
/// `ContentTypeMatches` judges that body).
pub(crate) fn answered<'a>(view: &'a View, role: Role, msg: &Msg<'a>) -> Option<Msg<'a>> {
    match role {
        Role::Server => msg_at(view, Role::Client, msg.index),
        Role::Client => {
            if opens_session(msg.m) {
                return None;
            }
            let garbled = msg.index.checked_sub(1).is_some_and(|k| {
                let e = &view.exchanges[k];
                matches!(e.response, Some(Err(_)))
                    && e.exchange
                        .response
                        .as_ref()
                        .is_some_and(|r| !r.body.as_bytes().is_empty())
            });
            if garbled {
                return None;
            }
            let list = session_index(view, Role::Server, msg.session())?;
            let at = list.msgs.partition_point(|&i| i < msg.index);
            msg_at(view, Role::Server, *list.msgs[..at].last()?)
        }
    }
}

/// Does this message carry a Session Abort (Alert 1223, [PRO] §8.1)?
pub(crate) fn aborts(m: &SyncML) -> bool {
    m.alert_codes()
        .any(|c| c == dmct_proto::alert_code::SESSION_ABORT)
}

/// Every command of a message, containers first and then what they hold.
pub(crate) fn flatten(m: &SyncML) -> Flatten<'_> {
    Flatten {
        first: None,
        stack: vec![m.body.commands.iter()],
    }
}

/// `c` and, for a container, what it holds, as [`flatten`] orders them.
fn flatten_one(c: &Command) -> Flatten<'_> {
    Flatten {
        first: Some(c),
        stack: Vec::new(),
    }
}

/// The walk of [`flatten`], as it goes: a list of every command of a message of many
/// tiny commands would be held beside the model while a rule reads it.
pub(crate) struct Flatten<'a> {
    /// The command to give first ([`flatten_one`]).
    first: Option<&'a Command>,
    /// The commands left at each depth.
    stack: Vec<std::slice::Iter<'a, Command>>,
}

impl<'a> Iterator for Flatten<'a> {
    type Item = &'a Command;

    fn next(&mut self) -> Option<&'a Command> {
        let c = match self.first.take() {
            Some(c) => c,
            None => loop {
                let top = self.stack.last_mut()?;
                match top.next() {
                    Some(c) => break c,
                    None => {
                        self.stack.pop();
                    }
                }
            },
        };
        if let Command::Atomic(x) | Command::Sequence(x) = c {
            self.stack.push(x.commands.iter());
        }
        Some(c)
    }
}

/// The messages of `role` in `session`, in order.
pub(crate) fn session_msgs<'a>(view: &'a View, role: Role, session: &str) -> Vec<Msg<'a>> {
    session_from(view, role, session, 0).collect()
}

/// The peer's message of this session with this MsgID that `m` (of the other role) can
/// refer to: the latest one sent before `m`. A request and its response share an
/// index, the request first, so a server message may refer to the request it answers.
pub(crate) fn by_msg_id<'a>(view: &'a View, peer: Role, m: &Msg, msg_id: &str) -> Option<Msg<'a>> {
    let list = session_index(view, peer, m.session())?
        .by_msg_id
        .get(msg_id.trim())?;
    let at = list.partition_point(|&i| match peer {
        Role::Client => i <= m.index,
        Role::Server => i < m.index,
    });
    msg_at(view, peer, *list[..at].last()?)
}

/// The command of message `p` whose CmdID is `id`, or why a reference to `id` cannot
/// be resolved: CmdIDs are unique only where `CmdIdUnique` holds, and a peer that
/// repeats one is failed there, not again by every rule that follows a CmdRef.
pub(crate) fn by_cmd_id<'a>(p: &Msg<'a>, id: &str) -> Result<Option<&'a Command>, String> {
    let mut found = p.ids.get_or_init(|| CmdIds::new(p.m)).find(p.m, id.trim());
    let first = found.next();
    match found.next() {
        None => Ok(first),
        Some(_) => Err(format!(
            "CmdRef {} names two commands of message {} ({})",
            id.trim(),
            p.m.hdr.msg_id.trim(),
            crate::Rule::id(&crate::rules::msg::CmdIdUnique)
        )),
    }
}

/// The CmdIDs of one message, sorted by their hash: 12 bytes a command, and a lookup
/// in logarithmic time. Commands whose hashes collide are told apart by their CmdIDs.
/// A message whose CmdIDs count up ([`CmdIds::ascending`], as most senders number
/// them) needs no list: a CmdID is found by a binary search of the commands, and none
/// repeats. So a message of many tiny commands holds no index beside its model.
pub struct CmdIds(Option<Vec<(u32, u32, u32)>>);

impl CmdIds {
    fn hash(id: &str) -> u32 {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        h.finish() as u32
    }

    /// The number a command's CmdID is, if it is one.
    fn number(c: &Command) -> Option<u64> {
        c.cmd_id()?.trim().parse().ok()
    }

    /// Whether every command of `m`, in the order of [`flatten`], has a CmdID that is a
    /// number greater than the one before: then none repeats.
    pub(crate) fn ascending(m: &SyncML) -> bool {
        let mut last = None;
        for c in flatten(m) {
            match Self::number(c) {
                Some(n) if last.is_none_or(|l| n > l) => last = Some(n),
                _ => return false,
            }
        }
        true
    }

    fn new(m: &SyncML) -> Self {
        if Self::ascending(m) {
            return CmdIds(None);
        }
        // Allocated at its length: grown as it is filled, it would hold room for up to
        // twice the commands while the model is held.
        let mut v = Vec::with_capacity(flatten(m).count());
        for (top, c) in m.body.commands.iter().enumerate() {
            for (k, x) in flatten_one(c).enumerate() {
                if let Some(id) = x.cmd_id() {
                    v.push((Self::hash(id.trim()), top as u32, k as u32));
                }
            }
        }
        v.sort_unstable();
        CmdIds(Some(v))
    }

    /// The first command of `m` (which this index was built from), in the order of
    /// [`flatten`], whose CmdID an earlier command has: found from this index, where a
    /// set of every CmdID seen would cost about 32 bytes a command more while the model
    /// is held. Entries of one hash are in that order, so the first of a run that an
    /// earlier one of the run matches is where its CmdID comes again.
    pub(crate) fn first_repeat<'a>(&self, m: &'a SyncML) -> Option<&'a Command> {
        let list = self.0.as_ref()?;
        let at = |top: u32, k: u32| {
            let c = m.body.commands.get(top as usize)?;
            flatten_one(c).nth(k as usize)
        };
        let id = |e: &(u32, u32, u32)| at(e.1, e.2).and_then(Command::cmd_id).map(str::trim);
        let mut first: Option<(u32, u32)> = None;
        for run in list.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
            let again = (1..run.len()).find(|&j| run[..j].iter().any(|p| id(p) == id(&run[j])));
            if let Some(j) = again {
                let here = (run[j].1, run[j].2);
                first = Some(first.map_or(here, |f| f.min(here)));
            }
        }
        first.and_then(|(top, k)| at(top, k))
    }

    /// The commands of `m` (which this index was built from) with CmdID `id`, in
    /// the order of [`flatten`].
    pub(crate) fn find<'a, 's>(
        &'s self,
        m: &'a SyncML,
        id: &'s str,
    ) -> impl Iterator<Item = &'a Command> + use<'a, 's> {
        let (run, counted): (&[(u32, u32, u32)], Option<&Command>) = match &self.0 {
            Some(list) => {
                let h = Self::hash(id);
                let from = list.partition_point(|e| e.0 < h);
                let to = list.partition_point(|e| e.0 <= h);
                (&list[from..to], None)
            }
            // Counting up: the command holding number `n` is the last top-level one
            // numbered at most `n`, or one it holds.
            None => (
                &[],
                id.parse::<u64>().ok().and_then(|n| {
                    let cmds = &m.body.commands;
                    let top = cmds.partition_point(|c| Self::number(c).is_some_and(|k| k <= n));
                    flatten_one(cmds.get(top.checked_sub(1)?)?).find(|c| Self::number(c) == Some(n))
                }),
            ),
        };
        run.iter()
            .filter_map(move |&(_, top, k)| {
                let c = m.body.commands.get(top as usize)?;
                flatten_one(c).nth(k as usize)
            })
            .chain(counted)
            .filter(move |c| c.cmd_id().map(str::trim) == Some(id))
    }
}

/// Why an answer to command `c` of `p` cannot be told apart from an answer to another
/// command of `p` (the two share its CmdID), if they cannot.
pub(crate) fn ambiguous(p: &Msg, c: &Command) -> Option<String> {
    by_cmd_id(p, c.cmd_id()?).err()
}

/// Inconclusive, at `p`: the correlation the rule needs is broken by another fault.
pub(crate) fn unresolved(p: &Msg, why: String) -> Observation {
    obs(Verdict::Inconclusive, p.index, p.side, why, None)
}

/// The items of a command that carries them.
pub(crate) fn items(c: &Command) -> &[dmct_proto::Item] {
    match c {
        Command::Add(x)
        | Command::Copy(x)
        | Command::Delete(x)
        | Command::Exec(x)
        | Command::Get(x)
        | Command::Replace(x) => &x.items,
        Command::Results(r) => &r.items,
        Command::Alert(a) => &a.items,
        Command::Status(s) => &s.items,
        _ => &[],
    }
}

/// Does a command ask for no Status (NoResp)?
pub(crate) fn no_resp(c: &Command) -> bool {
    match c {
        Command::Add(x)
        | Command::Copy(x)
        | Command::Delete(x)
        | Command::Exec(x)
        | Command::Get(x)
        | Command::Replace(x) => x.extras.no_resp,
        Command::Atomic(x) | Command::Sequence(x) => x.no_resp,
        Command::Alert(a) => a.no_resp,
        _ => false,
    }
}

/// The MaxMsgSize / MaxObjSize a peer last announced in its SyncHdr before exchange
/// `before` in `session`.
pub(crate) fn announced(
    view: &View,
    peer: Role,
    session: &str,
    before: usize,
    pick: fn(&dmct_proto::Meta) -> Option<&String>,
) -> Option<usize> {
    let list = &session_index(view, peer, session)?.with_meta;
    // A request and its response share an index: the client's request comes first.
    let at = list.partition_point(|&i| match peer {
        Role::Client => i <= before,
        Role::Server => i < before,
    });
    list[..at].iter().rev().find_map(|&i| {
        let m = msg_at(view, peer, i)?;
        m.m.hdr.meta.as_ref().and_then(pick)?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An excerpt kept only as far as a cut needs is clipped, and bounded at the
    /// finding, exactly as the whole wire text would be, in both encodings.
    #[test]
    fn a_kept_start_is_clipped_and_bounded_as_the_whole() {
        for n in [0, 1, 150, 151, 152, 600, 700, 5000] {
            let data = "é€😀<x".repeat(n);
            let xml = format!(
                "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
                 <VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>\
                 <Target><LocURI>http://dm.example/dm</LocURI></Target><Source>\
                 <LocURI>IMEI:1</LocURI></Source></SyncHdr><SyncBody><Replace>\
                 <CmdID>2</CmdID><Item><Source><LocURI>./a</LocURI></Source><Data>{}\
                 </Data></Item></Replace><Final/></SyncBody></SyncML>",
                data.replace('<', "&lt;")
            );
            let d = dmct_proto::decode(xml.as_bytes()).expect("decodes");
            let w = dmct_proto::encode(&d.message, dmct_proto::xml::Encoding::Wbxml);
            let w = dmct_proto::decode(&w).expect("the WBXML decodes");
            for d in [&d, &w] {
                let kept = Excerpt::command(d, 0, Side::Request, 0).expect("an excerpt");
                let whole = Excerpt::from(d.command_excerpt(0).expect("an excerpt"));
                assert!(kept.text.len() <= EXCERPT_KEPT + 3, "{n}: kept whole");
                assert_eq!(
                    kept.text.len() + kept.cut,
                    whole.text.len(),
                    "{n}: its length"
                );
                assert_eq!(clip(kept.clone()).text, clip(whole.clone()).text, "{n}");
                assert_eq!(clip(kept.clone()).cut, 0);
                let finding = |e: Excerpt| crate::bounded_cut(e.text, e.cut, crate::EXCERPT_MAX);
                assert_eq!(finding(kept), finding(whole), "{n}: at the finding");
            }
        }
    }

    fn get(id: u32) -> String {
        format!("<Get><CmdID>{id}</CmdID><Item><Target><LocURI>./a</LocURI></Target></Item></Get>")
    }

    fn ids<'a>(it: impl Iterator<Item = &'a Command>) -> Vec<String> {
        it.map(|c| c.cmd_id().unwrap_or("-").to_owned()).collect()
    }

    #[test]
    fn flatten_walks_containers_in_document_order() {
        let body = format!(
            "{}<Atomic><CmdID>2</CmdID><Sequence><CmdID>3</CmdID>{}</Sequence>{}\
             <Sequence><CmdID>6</CmdID></Sequence></Atomic>{}",
            get(1),
            get(4),
            get(5),
            get(7)
        );
        let xml = format!(
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
             <VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>\
             <Target><LocURI>http://dm.example/dm</LocURI></Target><Source>\
             <LocURI>IMEI:1</LocURI></Source></SyncHdr><SyncBody>{body}<Final/>\
             </SyncBody></SyncML>"
        );
        let m = dmct_proto::decode(xml.as_bytes()).expect("decodes").message;
        assert_eq!(ids(flatten(&m)), ["1", "2", "3", "4", "5", "6", "7"]);
        assert_eq!(
            ids(flatten_one(&m.body.commands[1])),
            ["2", "3", "4", "5", "6"]
        );
        assert_eq!(ids(flatten_one(&m.body.commands[2])), ["7"]);
    }
}
