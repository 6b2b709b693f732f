//! Large objects (DM Protocol §2.2): chunks, Size, 213, MaxObjSize.

use super::{announced, items, other, sent};
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, View};
use dmct_proto::Command;

mod chunk_answered213;
mod max_obj_size;
mod no_final_mid_object;
mod size_first_chunk;

pub use chunk_answered213::ChunkAnswered213;
pub use max_obj_size::MaxObjSize;
pub use no_final_mid_object::NoFinalMidObject;
pub use size_first_chunk::SizeFirstChunk;

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
