//! Large objects (DM Protocol §2.2): chunks, Size, 213, MaxObjSize.

use super::{announced, items, other, sent, session_msgs};
use dmct_proto::Command;

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
            Command::Add(x) | Command::Replace(x) => x.meta.as_ref(),
            Command::Results(r) => r.meta.as_ref(),
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

rule!(
    /// The first chunk of an object carries Meta Size; later chunks do not.
    SizeFirstChunk, "lrgobj/size-first-chunk", |view, role| {
        let mut out = Vec::new();
        let mut open: Option<String> = None;
        for m in sent(view, role) {
            for (i, uri, it, cmd_meta) in objects(m.m) {
                let first = open.as_deref() != Some(uri.as_str());
                if first && !it.more_data {
                    continue; // a whole object, not chunked
                }
                match (first, size_of(it, cmd_meta).is_some()) {
                    (true, true) | (false, false) => out.push(m.pass("Size on the first chunk only")),
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
);

rule!(
    /// A chunk that is not the last (MoreData) is answered 213.
    ChunkAnswered213, "lrgobj/213-for-chunk", |view, role| {
        let mut out = Vec::new();
        for p in sent(view, other(role)) {
            let mine = session_msgs(view, role, p.session());
            for c in &p.m.body.commands {
                if !items(c).iter().any(|i| i.more_data) {
                    continue;
                }
                let id = c.cmd_id().unwrap_or("").trim();
                let answer = mine.iter().find_map(|m| {
                    m.m.statuses()
                        .find(|s| s.msg_ref.trim() == p.m.hdr.msg_id.trim() && s.cmd_ref.trim() == id)
                        .map(|s| (m, s.code()))
                });
                if let (Some(_), Some(why)) = (answer, super::ambiguous(&p, c)) {
                    out.push(super::unresolved(&p, why));
                    continue;
                }
                match answer {
                    Some((_, Some(213))) => out.push(p.pass("the chunk was answered 213")),
                    // An error (413 over MaxObjSize, 424, an authentication failure)
                    // refuses the object; that is allowed.
                    Some((_, Some(c))) if c >= 300 => out.push(p.pass(format!("the chunk was refused with {c}"))),
                    Some((m, code)) => {
                        let i = m.m.body.commands.iter().position(|x| matches!(x, Command::Status(s) if s.cmd_ref.trim() == id && s.msg_ref.trim() == p.m.hdr.msg_id.trim()));
                        out.push(m.fail(
                            format!("a chunk (MoreData) was answered {code:?}, not 213"),
                            i.and_then(|i| m.cmd_excerpt(i)),
                        ))
                    }
                    None => {}
                }
            }
        }
        out
    }
);

rule!(
    /// No object larger than the MaxObjSize the peer announced.
    MaxObjSize, "lrgobj/max-obj-size", |view, role| {
        let mut out = Vec::new();
        let mut open: Option<String> = None;
        for m in sent(view, role) {
            let Some(max) = announced(view, other(role), m.session(), m.index, |meta| meta.max_obj_size.as_ref()) else {
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
);

rule!(
    /// A message that ends with a chunk (MoreData) does not carry Final.
    NoFinalMidObject, "lrgobj/no-final-mid-object", |view, role| {
        sent(view, role)
            .iter()
            .filter(|m| objects(m.m).last().is_some_and(|(_, _, it, _)| it.more_data))
            .map(|m| {
                if m.m.body.final_ {
                    m.fail("a message ending with a chunk (MoreData) carries Final", m.hdr_excerpt())
                } else {
                    m.pass("no Final in the middle of an object")
                }
            })
            .collect()
    }
);
