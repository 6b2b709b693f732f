//! The shape of a message, as `model`'s tree mapping accepts it: what the streaming
//! readers check before they trust their own output.

use super::{GiveUp, Step};

/// What an element is to the model's mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Root,
    Hdr,
    Body,
    LocRef,
    Meta,
    Cred,
    Chal,
    Item,
    ItemCmd,
    Container,
    Alert,
    Status,
    Results,
    /// Text only (element children are an error).
    Leaf,
    /// A Meta field the model writes in the MetInf namespace.
    MetaLeaf,
    /// A flag: no element children, white space at most.
    Empty,
    /// Kept as it is, in the namespace the tree recorded: extensions, unknown
    /// commands.
    Any,
    /// An Item's Data: kept as it is, but in its parent's namespace.
    Data,
}

/// Where a child goes in its parent: its kind, its rank in the order the model writes
/// the parent's children, whether the mapping refuses it twice (`once`) and whether
/// the model writes every one of it (`list`).
#[derive(Clone, Copy)]
struct Slot {
    kind: Kind,
    rank: u8,
    once: bool,
    list: bool,
}

const fn one(kind: Kind, rank: u8) -> Option<Slot> {
    Some(Slot {
        kind,
        rank,
        once: true,
        list: false,
    })
}

const fn many(kind: Kind, rank: u8) -> Option<Slot> {
    Some(Slot {
        kind,
        rank,
        once: false,
        list: true,
    })
}

/// A flag the mapping takes any number of times and the model writes once.
const fn flag(rank: u8) -> Option<Slot> {
    Some(Slot {
        kind: Kind::Empty,
        rank,
        once: false,
        list: false,
    })
}

fn command_kind(name: &str) -> Kind {
    match name {
        "Add" | "Copy" | "Delete" | "Exec" | "Get" | "Replace" => Kind::ItemCmd,
        "Atomic" | "Sequence" => Kind::Container,
        "Alert" => Kind::Alert,
        "Status" => Kind::Status,
        "Results" => Kind::Results,
        _ => Kind::Any,
    }
}

/// The child `name` of a `parent`; `None` where the mapping refuses it.
fn child(parent: Kind, name: &str) -> Option<Slot> {
    use Kind::*;
    match (parent, name) {
        (Root, "SyncHdr") => one(Hdr, 0),
        (Root, "SyncBody") => one(Body, 1),
        (Root, _) => None,
        (Hdr, "VerDTD") => one(Leaf, 0),
        (Hdr, "VerProto") => one(Leaf, 1),
        (Hdr, "SessionID") => one(Leaf, 2),
        (Hdr, "MsgID") => one(Leaf, 3),
        (Hdr, "Target") => one(LocRef, 4),
        (Hdr, "Source") => one(LocRef, 5),
        (Hdr, "RespURI") => one(Leaf, 6),
        (Hdr, "NoResp") => flag(7),
        (Hdr, "Cred") => one(Cred, 8),
        (Hdr, "Meta") => one(Meta, 9),
        (Hdr, _) => many(Any, 10),
        (Body, "Final") => flag(1),
        (Body, n) => many(command_kind(n), 0),
        (LocRef, "LocURI") => one(Leaf, 0),
        (LocRef, "LocName") => one(Leaf, 1),
        (LocRef, _) => None,
        (Meta, "Format") => one(MetaLeaf, 0),
        (Meta, "Type") => one(MetaLeaf, 1),
        (Meta, "Mark") => one(MetaLeaf, 2),
        (Meta, "Size") => one(MetaLeaf, 3),
        (Meta, "NextNonce") => one(MetaLeaf, 4),
        (Meta, "Version") => one(MetaLeaf, 5),
        (Meta, "MaxMsgSize") => one(MetaLeaf, 6),
        (Meta, "MaxObjSize") => one(MetaLeaf, 7),
        (Meta, "EMI") => many(MetaLeaf, 8),
        (Meta, _) => many(Any, 9),
        (Cred, "Meta") => one(Meta, 0),
        (Cred, "Data") => one(Leaf, 1),
        (Cred, _) => None,
        (Chal, "Meta") => one(Meta, 0),
        (Chal, _) => None,
        (Item, "Target") => one(LocRef, 0),
        (Item, "Source") => one(LocRef, 1),
        (Item, "SourceParent") => one(LocRef, 2),
        (Item, "TargetParent") => one(LocRef, 3),
        (Item, "Meta") => one(Meta, 4),
        // Text, or XML kept as it is: either way the element is written back unchanged.
        (Item, "Data") => one(Data, 5),
        (Item, "MoreData") => flag(6),
        (Item, _) => many(Any, 7),
        (ItemCmd, "CmdID") => one(Leaf, 0),
        (ItemCmd, "NoResp") => flag(1),
        (ItemCmd, "Cred") => one(Cred, 2),
        (ItemCmd, "Meta") => one(Meta, 3),
        (ItemCmd, "Correlator") => one(Leaf, 4),
        (ItemCmd, "Item") => many(Item, 5),
        (ItemCmd, _) => many(Any, 6),
        (Container, "CmdID") => one(Leaf, 0),
        (Container, "NoResp") => flag(1),
        (Container, "Meta") => one(Meta, 2),
        (Container, n) => many(command_kind(n), 3),
        (Alert, "CmdID") => one(Leaf, 0),
        (Alert, "NoResp") => flag(1),
        (Alert, "Cred") => one(Cred, 2),
        (Alert, "Data") => one(Leaf, 3),
        (Alert, "Correlator") => one(Leaf, 4),
        (Alert, "Item") => many(Item, 5),
        (Alert, _) => many(Any, 6),
        (Status, "CmdID") => one(Leaf, 0),
        (Status, "MsgRef") => one(Leaf, 1),
        (Status, "CmdRef") => one(Leaf, 2),
        (Status, "Cmd") => one(Leaf, 3),
        (Status, "TargetRef") => many(Leaf, 4),
        (Status, "SourceRef") => many(Leaf, 5),
        (Status, "Cred") => one(Cred, 6),
        (Status, "Chal") => one(Chal, 7),
        (Status, "Data") => one(Leaf, 8),
        (Status, "Item") => many(Item, 9),
        (Status, _) => many(Any, 10),
        (Results, "CmdID") => one(Leaf, 0),
        (Results, "MsgRef") => one(Leaf, 1),
        (Results, "CmdRef") => one(Leaf, 2),
        (Results, "Meta") => one(Meta, 3),
        (Results, "TargetRef") => many(Leaf, 4),
        (Results, "SourceRef") => many(Leaf, 5),
        (Results, "Item") => many(Item, 6),
        (Results, _) => many(Any, 7),
        (Leaf | MetaLeaf | Empty, _) => None,
        (Any | Data, _) => many(Any, 0),
    }
}

/// The children (by rank) the mapping requires of a kind.
fn required(kind: Kind) -> u32 {
    use Kind::*;
    match kind {
        Root => 0b11,
        Hdr => 0b11_1111,
        LocRef | Chal | ItemCmd | Container | Alert => 0b1,
        Cred => 0b10,
        Status => 0b1_0000_1111,
        Results => 0b101,
        _ => 0,
    }
}

pub(super) fn holds_elements_only(kind: Kind) -> bool {
    !matches!(kind, Kind::Leaf | Kind::MetaLeaf | Kind::Any | Kind::Data)
}

struct Frame {
    kind: Kind,
    /// Ranks seen, one bit each.
    seen: u32,
    last: u8,
}

/// Follows a message element by element and refuses what the model's mapping
/// refuses; notes whether the children came in the order the model writes them.
pub(super) struct Schema {
    stack: Vec<Frame>,
    /// Every element's children stood in the model's order, once where it writes one:
    /// the model would write the message back as it came (white space aside).
    pub(super) in_model_order: bool,
}

impl Schema {
    pub(super) fn new() -> Self {
        Schema {
            stack: Vec::with_capacity(16),
            in_model_order: true,
        }
    }

    pub(super) fn open(&mut self, name: &str) -> Result<Kind, GiveUp> {
        let kind = match self.stack.last_mut() {
            None if name == "SyncML" => Kind::Root,
            None => return Err(GiveUp),
            Some(f) => {
                let s = child(f.kind, name).ok_or(GiveUp)?;
                let bit = 1u32 << s.rank;
                if s.once && f.seen & bit != 0 {
                    return Err(GiveUp);
                }
                if s.rank < f.last || (f.seen & bit != 0 && !s.list) {
                    self.in_model_order = false;
                }
                f.seen |= bit;
                f.last = s.rank;
                s.kind
            }
        };
        self.stack.push(Frame {
            kind,
            seen: 0,
            last: 0,
        });
        Ok(kind)
    }

    pub(super) fn text(&self, t: &str) -> Step {
        match self.stack.last() {
            Some(f) if holds_elements_only(f.kind) && !t.trim().is_empty() => Err(GiveUp),
            _ => Ok(()),
        }
    }

    pub(super) fn close(&mut self) -> Step {
        let f = self.stack.pop().ok_or(GiveUp)?;
        let need = required(f.kind);
        if f.seen & need == need {
            Ok(())
        } else {
            Err(GiveUp)
        }
    }
}
