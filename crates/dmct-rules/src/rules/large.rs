//! Large objects (DM Protocol §2.2): chunks, Size, 213, MaxObjSize.

use super::{Msg, announced, items, other, sent, session_msgs};
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, View};
use dmct_proto::Command;
use std::collections::HashMap;

/// (command index, target or source URI, the Item, the command's Meta) of every
/// object-carrying Item of a message.
type Object<'a> = (
    usize,
    String,
    &'a dmct_proto::Item,
    Option<&'a dmct_proto::Meta>,
);

fn objects(m: &dmct_proto::SyncML) -> Vec<Object<'_>> {
    let mut out = Vec::new();
    for (i, c) in m.body.commands.iter().enumerate() {
        if !matches!(
            c,
            Command::Add(_) | Command::Replace(_) | Command::Results(_)
        ) {
            continue;
        }
        let cmd_meta = match c {
            Command::Add(x) | Command::Replace(x) => x.meta.as_deref(),
            Command::Results(r) => r.meta.as_deref(),
            _ => None,
        };
        for it in items(c) {
            let uri = it
                .target
                .as_ref()
                .or(it.source.as_ref())
                .map(|l| l.loc_uri.trim().to_owned())
                .unwrap_or_default();
            out.push((i, uri, it, cmd_meta));
        }
    }
    out
}

/// The object's Size: the Item's Meta, else the command's. [PRO] §7: "the <Size>
/// element of the Meta information MUST be used"; it names no level, and a command's
/// Meta applies to its Items, so either place carries it.
fn size_of<'a>(
    it: &'a dmct_proto::Item,
    cmd_meta: Option<&'a dmct_proto::Meta>,
) -> Option<&'a String> {
    it.meta
        .as_ref()
        .and_then(|m| m.size.as_ref())
        .or_else(|| cmd_meta.and_then(|m| m.size.as_ref()))
}

/// The first chunk of an object carries Meta Size; later chunks do not.
pub struct SizeFirstChunk;

impl Rule for SizeFirstChunk {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "lrgobj/size-first-chunk",
            status: RuleStatus::Testable,
            clause: "[PRO] §7",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "The first chunk of a large object carries the object's total size in Meta \
                Size; later chunks do not.",
            allowed: &[
                "Size in the first chunk's Item Meta",
                "Size in the Meta of the command that carries the first chunk",
            ],
            conditions: &[],
            capability: Some("large-objects"),
            scenarios: &["session/large-object"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let mut open: Option<String> = None;
        for m in sent(view, role) {
            for (i, uri, it, cmd_meta) in objects(m.m) {
                let first = open.as_deref() != Some(uri.as_str());
                if first && !it.more_data {
                    continue; // a whole object, not chunked
                }
                match (first, size_of(it, cmd_meta).is_some()) {
                    (true, true) | (false, false) => {
                        out.push(m.pass("Size on the first chunk only"))
                    }
                    (true, false) => out.push(m.fail(
                        format!("the first chunk of {uri} carries no Meta Size"),
                        m.cmd_excerpt(i),
                    )),
                    (false, true) => out.push(m.fail(
                        format!("a later chunk of {uri} carries Meta Size again"),
                        m.cmd_excerpt(i),
                    )),
                }
                open = it.more_data.then_some(uri);
            }
        }
        out
    }
}

/// A chunk that is not the last (MoreData) is answered 213.
pub struct ChunkAnswered213;

impl Rule for ChunkAnswered213 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "lrgobj/213-for-chunk",
            status: RuleStatus::Testable,
            clause: "[PRO] §7",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "The receiver answers every chunk but the last (Item with MoreData) with \
                Status 213.",
            allowed: &["refuse the object with an error (413 over MaxObjSize, 424 size mismatch)"],
            conditions: &[],
            capability: Some("large-objects"),
            scenarios: &["session/large-object"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for p in sent(view, other(role)) {
            let mine = session_msgs(view, role, p.session());
            // The first Status answering each of p's commands, once per message, so
            // many chunks do not scan every Status each.
            let pid = p.m.hdr.msg_id.trim();
            let mut first: HashMap<&str, (&Msg, usize)> = HashMap::new();
            for m in &mine {
                for (i, x) in m.m.body.commands.iter().enumerate() {
                    if let Command::Status(s) = x
                        && s.msg_ref.trim() == pid
                    {
                        first.entry(s.cmd_ref.trim()).or_insert((m, i));
                    }
                }
            }
            for c in &p.m.body.commands {
                if !items(c).iter().any(|i| i.more_data) {
                    continue;
                }
                let id = c.cmd_id().unwrap_or("").trim();
                let answer = first.get(id).map(|&(m, i)| {
                    let code = m.m.body.commands[i].as_status().and_then(|s| s.code());
                    (m, i, code)
                });
                if let (Some(_), Some(why)) = (answer, super::ambiguous(&p, c)) {
                    out.push(super::unresolved(&p, why));
                    continue;
                }
                match answer {
                    Some((_, _, Some(213))) => out.push(p.pass("the chunk was answered 213")),
                    // An error (413 over MaxObjSize, 424, an authentication failure)
                    // refuses the object; that is allowed.
                    Some((_, _, Some(c))) if c >= 300 => {
                        out.push(p.pass(format!("the chunk was refused with {c}")))
                    }
                    Some((m, i, code)) => out.push(m.fail(
                        format!("a chunk (MoreData) was answered {code:?}, not 213"),
                        m.cmd_excerpt(i),
                    )),
                    None => {}
                }
            }
        }
        out
    }
}

/// No object larger than the MaxObjSize the peer announced.
pub struct MaxObjSize;

impl Rule for MaxObjSize {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "lrgobj/max-obj-size",
            status: RuleStatus::Testable,
            clause: "[PRO] §7",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "No object is larger than the MaxObjSize the peer announced.",
            allowed: &["leave the object out of the package"],
            conditions: &[],
            capability: Some("large-objects"),
            scenarios: &["session/large-object@server", "session/max-obj-size"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let mut open: Option<String> = None;
        for m in sent(view, role) {
            let Some(max) = announced(view, other(role), m.session(), m.index, |meta| {
                meta.max_obj_size.as_ref()
            }) else {
                continue;
            };
            for (i, uri, it, cmd_meta) in objects(m.m) {
                let first = open.as_deref() != Some(uri.as_str());
                open = it.more_data.then_some(uri.clone());
                if !first {
                    continue;
                }
                let size = size_of(it, cmd_meta)
                    .and_then(|s| s.trim().parse::<usize>().ok())
                    .or_else(|| it.data.as_ref().and_then(|d| d.as_text()).map(str::len));
                let Some(size) = size else { continue };
                if size <= max {
                    out.push(m.pass(format!("object of {size} bytes within MaxObjSize {max}")));
                } else {
                    out.push(m.fail(
                        format!("{uri}: an object of {size} bytes; the peer's MaxObjSize is {max}"),
                        m.cmd_excerpt(i),
                    ));
                }
            }
        }
        out
    }
}

/// A message that ends with a chunk (MoreData) does not carry Final.
pub struct NoFinalMidObject;

impl Rule for NoFinalMidObject {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "lrgobj/no-final-mid-object",
            status: RuleStatus::Testable,
            clause: "[PRO] §6.1, §6.2, §7",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Both,
            summary: "A message that ends in the middle of an object (its last Item has MoreData) \
                does not carry Final.",
            allowed: &[],
            conditions: &[],
            capability: Some("large-objects"),
            scenarios: &["session/large-object"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .filter(|m| {
                objects(m.m)
                    .last()
                    .is_some_and(|(_, _, it, _)| it.more_data)
            })
            .map(|m| {
                if m.m.body.final_ {
                    m.fail(
                        "a message ending with a chunk (MoreData) carries Final",
                        m.hdr_excerpt(),
                    )
                } else {
                    m.pass("no Final in the middle of an object")
                }
            })
            .collect()
    }
}
