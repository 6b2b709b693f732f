//! Large objects (DM Protocol §2.2): chunks, Size, 213, MaxObjSize.

use super::{Msg, announced, items, other, sent, session_msgs};
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, View};
use dmct_proto::Command;
use std::collections::HashMap;

// The rule files of this area, collected by build.rs: one `pub struct` per file.
include!(concat!(env!("OUT_DIR"), "/rules_large.rs"));

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
