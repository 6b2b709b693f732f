//! Typed model of a SyncML DM 1.2 message (SyncML Representation Protocol as profiled
//! by DM 1.2), and its mapping to and from the generic [`Element`] tree.
//!
//! Values that are numbers on the wire (MsgID, CmdID, Status codes, MaxMsgSize) are
//! kept as the strings that were sent: a peer that sends `MsgID 01` or `Data 2OO` must
//! still decode, so the rules can judge it, and the model must re-encode what it read.
//! Typed accessors parse on demand.

mod decode;
mod encode;

pub(crate) use decode::BodyStream;
pub use decode::{CmdSpans, SchemaError, Spans};

use crate::tree::{Element, Node};
use std::ops::Range;

/// Namespace of SyncML 1.2 elements (the `SyncML` root's default namespace).
pub const NS_SYNCML_1_2: &str = "SYNCML:SYNCML1.2";
/// Namespace of the meta-information elements inside `Meta`, `Chal` and `Cred`.
pub const NS_METINF: &str = "syncml:metinf";
pub const VER_DTD: &str = "1.2";
pub const VER_PROTO: &str = "DM/1.2";

/// A short wire text of every command (CmdID, LocURI, a status code): up to 15 bytes
/// inline in its 16, so many tiny commands cost no allocation each. Reads as `&str`.
pub type Text = ecow::EcoString;

/// One SyncML DM message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncML {
    pub hdr: SyncHdr,
    pub body: SyncBody,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncHdr {
    pub ver_dtd: String,
    pub ver_proto: String,
    pub session_id: String,
    pub msg_id: String,
    pub target: LocRef,
    pub source: LocRef,
    pub resp_uri: Option<String>,
    pub no_resp: bool,
    pub cred: Option<Cred>,
    pub meta: Option<Meta>,
    /// Children this model does not know, kept verbatim.
    pub extensions: Extensions,
}

/// `Target` or `Source`: a LocURI and an optional LocName.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocRef {
    pub loc_uri: Text,
    pub loc_name: Option<ThinStr>,
}

/// A string behind one word, for rare optional text (`LocName`): `Option<ThinStr>` is
/// a third of an `Option<String>` in every value that lacks it.
#[derive(Clone, PartialEq, Eq, Hash)]
// The box is the point: a `Box<str>` is two words.
#[allow(clippy::box_collection)]
pub struct ThinStr(Box<String>);

impl std::ops::Deref for ThinStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ThinStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for ThinStr {
    fn from(s: String) -> Self {
        ThinStr(Box::new(s))
    }
}

impl From<&str> for ThinStr {
    fn from(s: &str) -> Self {
        ThinStr(Box::new(s.to_owned()))
    }
}

impl std::fmt::Debug for ThinStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for ThinStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl LocRef {
    pub fn uri(uri: impl Into<Text>) -> Self {
        LocRef {
            loc_uri: uri.into(),
            loc_name: None,
        }
    }
}

/// Children the model does not know, kept verbatim. Rare: an empty list costs one
/// word where a vector costs three, in every command and Item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
// The box is the point: one word when empty, the vector only when there is a list.
#[allow(clippy::box_collection)]
pub struct Extensions(Option<Box<Vec<Element>>>);

impl Extensions {
    pub fn push(&mut self, el: Element) {
        self.0.get_or_insert_default().push(el);
    }
}

impl std::ops::Deref for Extensions {
    type Target = [Element];
    fn deref(&self) -> &[Element] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl From<Vec<Element>> for Extensions {
    fn from(v: Vec<Element>) -> Self {
        // Empty is `None`, so equal lists compare equal.
        Extensions((!v.is_empty()).then(|| Box::new(v)))
    }
}

impl<'a> IntoIterator for &'a Extensions {
    type Item = &'a Element;
    type IntoIter = std::slice::Iter<'a, Element>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncBody {
    pub commands: Vec<Command>,
    /// `<Final/>`: this message closes its package.
    pub final_: bool,
}

/// Credentials (`Cred`), carried in the SyncHdr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cred {
    pub meta: Option<Meta>,
    pub data: String,
}

/// An authentication challenge (`Chal`), carried in a Status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chal {
    pub meta: Meta,
}

/// Meta information (`Meta` / MetInf). Every field is optional on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub format: Option<String>,
    pub r#type: Option<String>,
    pub mark: Option<String>,
    pub size: Option<String>,
    pub next_nonce: Option<String>,
    pub version: Option<String>,
    pub max_msg_size: Option<String>,
    pub max_obj_size: Option<String>,
    /// Extended meta information (repeatable).
    pub emi: Vec<String>,
    pub extensions: Extensions,
}

/// `Data` content: text, or nested XML kept as elements. The rare kinds are boxed
/// slices, so a datum costs the room of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Text(String),
    Xml(Box<[Node]>),
    /// Bytes that are not text (WBXML opaque data: binary values, nested WBXML).
    Opaque(Box<[u8]>),
}

impl Data {
    /// The text of a text datum; `None` for nested XML.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Data::Text(t) => Some(t),
            Data::Xml(_) | Data::Opaque(_) => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    pub target: Option<LocRef>,
    pub source: Option<LocRef>,
    pub meta: Option<Box<Meta>>,
    pub data: Option<Data>,
    /// MoreData (a chunk of a large object), SourceParent, TargetParent (Copy/Move) and
    /// unknown children.
    pub extras: Rare<ItemExtras>,
}

/// The parts of an Item most Items lack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemExtras {
    /// MoreData: here, not beside the Data, so an Item stays a word smaller (104
    /// bytes, and 112 with the allocator's header where 112 took 128).
    pub more_data: bool,
    pub source_parent: Option<LocRef>,
    pub target_parent: Option<LocRef>,
    pub extensions: Extensions,
}

/// Parts most values lack, boxed together: one word while all are absent, so many
/// tiny commands do not each carry their room. Reads see the absent value
/// (`item.extras.source_parent` is `None`); a write through `DerefMut` makes the box.
/// Equal contents compare equal whether boxed or not.
#[derive(Clone, Default)]
pub struct Rare<T>(Option<Box<T>>);

/// A type with a shared all-absent value, for [`Rare`] to read when it holds none.
pub trait Absent: Default + 'static {
    fn absent() -> &'static Self;
}

impl<T: Absent> std::ops::Deref for Rare<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.0 {
            Some(v) => v,
            None => T::absent(),
        }
    }
}

impl<T: Absent> std::ops::DerefMut for Rare<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_default()
    }
}

impl<T: Absent + PartialEq> PartialEq for Rare<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Absent + Eq> Eq for Rare<T> {}

impl<T: Absent + std::fmt::Debug> std::fmt::Debug for Rare<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: Absent + PartialEq> From<T> for Rare<T> {
    /// Boxed only when something is present.
    fn from(v: T) -> Self {
        Rare((v != *T::absent()).then(|| Box::new(v)))
    }
}

/// The all-absent values [`Rare`] reads: every option `None`, every flag false.
impl Absent for ItemExtras {
    fn absent() -> &'static Self {
        static ABSENT: ItemExtras = ItemExtras {
            more_data: false,
            source_parent: None,
            target_parent: None,
            extensions: Extensions(None),
        };
        &ABSENT
    }
}
impl Absent for CmdExtras {
    fn absent() -> &'static Self {
        static ABSENT: CmdExtras = CmdExtras {
            no_resp: false,
            cred: None,
            meta: None,
            correlator: None,
            extensions: Extensions(None),
        };
        &ABSENT
    }
}

/// A command of the SyncBody. The variants that are not Item commands are boxed, so
/// the enum is as small as its common variants (`size_tests`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Add(ItemCmd),
    Alert(Box<Alert>),
    /// Execute all or nothing.
    Atomic(Box<Container>),
    Copy(ItemCmd),
    Delete(ItemCmd),
    Exec(ItemCmd),
    Get(ItemCmd),
    Replace(ItemCmd),
    Results(Box<Results>),
    /// Execute in order.
    Sequence(Box<Container>),
    Status(Box<Status>),
    /// A command element this model does not know, kept verbatim.
    Other(Box<Element>),
}

/// Atomic and Sequence: commands grouped under one CmdID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    pub cmd_id: Text,
    pub no_resp: bool,
    pub meta: Option<Box<Meta>>,
    pub commands: Vec<Command>,
    pub extensions: Extensions,
}

/// The shape shared by Add, Copy, Delete, Exec, Get and Replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCmd {
    pub cmd_id: Text,
    pub items: Vec<Item>,
    /// NoResp, Cred, Meta, Correlator and unknown children.
    pub extras: Rare<CmdExtras>,
}

/// The parts of an Item command most commands lack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CmdExtras {
    /// NoResp: here, not beside the CmdID, so a Command stays a word smaller (56 bytes
    /// where 64).
    pub no_resp: bool,
    pub cred: Option<Cred>,
    pub meta: Option<Meta>,
    /// Exec only: ties a later asynchronous result (Generic Alert) to this Exec.
    pub correlator: Option<String>,
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alert {
    pub cmd_id: Text,
    pub no_resp: bool,
    pub cred: Option<Box<Cred>>,
    /// The alert code, e.g. `1201` (client-initiated management).
    pub data: Option<Text>,
    pub correlator: Option<Box<str>>,
    pub items: Vec<Item>,
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub cmd_id: Text,
    pub msg_ref: Text,
    pub cmd_ref: Text,
    /// Name of the command answered, `SyncHdr` for the header.
    pub cmd: Text,
    pub target_ref: Vec<String>,
    pub source_ref: Vec<String>,
    pub cred: Option<Box<Cred>>,
    pub chal: Option<Box<Chal>>,
    /// The status code.
    pub data: Text,
    pub items: Vec<Item>,
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Results {
    pub cmd_id: Text,
    pub msg_ref: Option<Text>,
    pub cmd_ref: Text,
    pub meta: Option<Box<Meta>>,
    pub target_ref: Vec<String>,
    pub source_ref: Vec<String>,
    pub items: Vec<Item>,
    pub extensions: Extensions,
}

// ---------------------------------------------------------------------------------
// Accessors the engines and rules lean on.

/// Alert codes of DM 1.2 that the walking skeleton names.
pub mod alert_code {
    pub const SERVER_INITIATED_MGMT: &str = "1200";
    pub const CLIENT_INITIATED_MGMT: &str = "1201";
    pub const NEXT_MESSAGE: &str = "1222";
    pub const SESSION_ABORT: &str = "1223";
}

impl Command {
    /// A Status command (boxed inside the enum).
    pub fn status(s: Status) -> Self {
        Command::Status(Box::new(s))
    }

    /// An Alert command (boxed inside the enum).
    pub fn alert(a: Alert) -> Self {
        Command::Alert(Box::new(a))
    }

    /// An Atomic (boxed inside the enum).
    pub fn atomic(c: Container) -> Self {
        Command::Atomic(Box::new(c))
    }

    /// A Sequence (boxed inside the enum).
    pub fn sequence(c: Container) -> Self {
        Command::Sequence(Box::new(c))
    }

    /// A Results command (boxed inside the enum).
    pub fn results(r: Results) -> Self {
        Command::Results(Box::new(r))
    }

    /// The element name, as on the wire.
    pub fn name(&self) -> &str {
        match self {
            Command::Add(_) => "Add",
            Command::Alert(_) => "Alert",
            Command::Atomic(_) => "Atomic",
            Command::Copy(_) => "Copy",
            Command::Delete(_) => "Delete",
            Command::Exec(_) => "Exec",
            Command::Get(_) => "Get",
            Command::Replace(_) => "Replace",
            Command::Results(_) => "Results",
            Command::Sequence(_) => "Sequence",
            Command::Status(_) => "Status",
            Command::Other(e) => &e.name,
        }
    }

    pub fn cmd_id(&self) -> Option<&str> {
        match self {
            Command::Add(c)
            | Command::Copy(c)
            | Command::Delete(c)
            | Command::Exec(c)
            | Command::Get(c)
            | Command::Replace(c) => Some(&c.cmd_id),
            Command::Atomic(c) | Command::Sequence(c) => Some(&c.cmd_id),
            Command::Alert(a) => Some(&a.cmd_id),
            Command::Results(r) => Some(&r.cmd_id),
            Command::Status(s) => Some(&s.cmd_id),
            Command::Other(_) => None,
        }
    }

    /// A management operation or user-interaction command, i.e. anything that is not a
    /// response (Status, Results). Unknown commands count: a peer that sends one expects
    /// an answer.
    pub fn is_operation(&self) -> bool {
        !matches!(self, Command::Status(_) | Command::Results(_))
    }

    pub fn as_status(&self) -> Option<&Status> {
        match self {
            Command::Status(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_alert(&self) -> Option<&Alert> {
        match self {
            Command::Alert(a) => Some(a),
            _ => None,
        }
    }
}

impl Status {
    /// The numeric status code, if `Data` holds one.
    pub fn code(&self) -> Option<u16> {
        self.data.trim().parse().ok()
    }

    /// True for the Status answering a SyncHdr (`Cmd` SyncHdr, `CmdRef` 0).
    pub fn is_for_synchdr(&self) -> bool {
        self.cmd.trim() == "SyncHdr" || self.cmd_ref.trim() == "0"
    }
}

impl SyncHdr {
    pub fn msg_id_number(&self) -> Option<u64> {
        self.msg_id.trim().parse().ok()
    }
}

impl SyncML {
    pub fn statuses(&self) -> impl Iterator<Item = &Status> {
        self.body.commands.iter().filter_map(Command::as_status)
    }

    /// The Status answering the peer's SyncHdr, if any.
    pub fn synchdr_status(&self) -> Option<&Status> {
        self.statuses().find(|s| s.is_for_synchdr())
    }

    /// Management operations (see [`Command::is_operation`]).
    pub fn operations(&self) -> impl Iterator<Item = &Command> {
        self.body.commands.iter().filter(|c| c.is_operation())
    }

    /// The first authentication challenge: a Status 401 or 407 carrying a Chal. A Chal
    /// in a 200 or 212 Status only hands over the next nonce (MD5, HMAC) and asks for
    /// nothing, so it is not a challenge.
    pub fn challenge(&self) -> Option<(&Status, &Chal)> {
        self.statuses()
            .filter(|s| matches!(s.code(), Some(401 | 407)))
            .find_map(|s| s.chal.as_deref().map(|c| (s, c)))
    }

    /// Alert codes of the Alerts in this message.
    pub fn alert_codes(&self) -> impl Iterator<Item = &str> {
        self.body
            .commands
            .iter()
            .filter_map(Command::as_alert)
            .filter_map(|a| a.data.as_deref().map(str::trim))
    }

    /// Does this server package end the session ([PRO] §8): final, without management
    /// operations or a challenge, or carrying a Session Abort (Alert 1223)?
    pub fn ends_session(&self) -> bool {
        let aborts = self.alert_codes().any(|c| c == alert_code::SESSION_ABORT);
        aborts
            || (self.body.final_
                && self.operations().next().is_none()
                && self.challenge().is_none())
    }

    /// Is this message a Package #1 (or its repetition): does it carry Alert 1200/1201?
    pub fn is_session_setup(&self) -> bool {
        self.alert_codes().any(|c| {
            c == alert_code::SERVER_INITIATED_MGMT || c == alert_code::CLIENT_INITIATED_MGMT
        })
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Many tiny commands cost their model's size each: the rare large parts (Meta,
    /// Cred, Chal, parents, unknown children) live behind boxes so the common ones
    /// stay small. Sizes on 64-bit targets; a field that grows them fails here.
    #[test]
    fn commands_and_items_stay_small() {
        use std::mem::size_of;
        let sizes = [
            ("Command", size_of::<Command>(), 56),
            ("ItemCmd", size_of::<ItemCmd>(), 48),
            ("Item", size_of::<Item>(), 104),
            ("Data", size_of::<Option<Data>>(), 24),
            ("LocRef", size_of::<Option<LocRef>>(), 32),
        ];
        for (name, size, bound) in sizes {
            eprintln!("{name}: {size} bytes");
            assert!(size <= bound, "{name} is {size} bytes, over {bound}");
        }
    }
}
