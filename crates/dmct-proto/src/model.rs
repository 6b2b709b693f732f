//! Typed model of a SyncML DM 1.2 message (SyncML Representation Protocol as profiled
//! by DM 1.2), and its mapping to and from the generic [`Element`] tree.
//!
//! Values that are numbers on the wire (MsgID, CmdID, Status codes, MaxMsgSize) are
//! kept as the strings that were sent: a peer that sends `MsgID 01` or `Data 2OO` must
//! still decode, so the rules can judge it, and the model must re-encode what it read.
//! Typed accessors parse on demand.

use crate::tree::{Element, Node};
use std::ops::Range;

/// Namespace of SyncML 1.2 elements (the `SyncML` root's default namespace).
pub const NS_SYNCML_1_2: &str = "SYNCML:SYNCML1.2";
/// Namespace of the meta-information elements inside `Meta`, `Chal` and `Cred`.
pub const NS_METINF: &str = "syncml:metinf";
pub const VER_DTD: &str = "1.2";
pub const VER_PROTO: &str = "DM/1.2";

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
    pub loc_uri: String,
    pub loc_name: Option<Box<str>>,
}

impl LocRef {
    pub fn uri(uri: impl Into<String>) -> Self {
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

/// `Data` content: text, or nested XML kept as elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Text(String),
    Xml(Vec<Node>),
    /// Bytes that are not text (WBXML opaque data: binary values, nested WBXML).
    Opaque(Vec<u8>),
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
    /// Rare (Copy/Move); boxed so every Item does not carry their room.
    pub source_parent: Option<Box<LocRef>>,
    pub target_parent: Option<Box<LocRef>>,
    pub meta: Option<Box<Meta>>,
    pub data: Option<Data>,
    pub more_data: bool,
    pub extensions: Extensions,
}

/// A command of the SyncBody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Add(ItemCmd),
    Alert(Alert),
    /// Execute all or nothing.
    Atomic(Container),
    Copy(ItemCmd),
    Delete(ItemCmd),
    Exec(ItemCmd),
    Get(ItemCmd),
    Replace(ItemCmd),
    /// Boxed, as Status: the enum is as small as its common variants.
    Results(Box<Results>),
    /// Execute in order.
    Sequence(Container),
    Status(Box<Status>),
    /// A command element this model does not know, kept verbatim.
    Other(Box<Element>),
}

/// Atomic and Sequence: commands grouped under one CmdID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    pub cmd_id: String,
    pub no_resp: bool,
    pub meta: Option<Box<Meta>>,
    pub commands: Vec<Command>,
    pub extensions: Extensions,
}

/// The shape shared by Add, Delete, Exec, Get and Replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCmd {
    pub cmd_id: String,
    pub no_resp: bool,
    pub cred: Option<Box<Cred>>,
    pub meta: Option<Box<Meta>>,
    /// Exec only: ties a later asynchronous result (Generic Alert) to this Exec.
    pub correlator: Option<Box<str>>,
    pub items: Vec<Item>,
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alert {
    pub cmd_id: String,
    pub no_resp: bool,
    pub cred: Option<Box<Cred>>,
    /// The alert code, e.g. `1201` (client-initiated management).
    pub data: Option<String>,
    pub correlator: Option<Box<str>>,
    pub items: Vec<Item>,
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub cmd_id: String,
    pub msg_ref: String,
    pub cmd_ref: String,
    /// Name of the command answered, `SyncHdr` for the header.
    pub cmd: String,
    pub target_ref: Vec<String>,
    pub source_ref: Vec<String>,
    pub cred: Option<Box<Cred>>,
    pub chal: Option<Box<Chal>>,
    /// The status code.
    pub data: String,
    pub items: Vec<Item>,
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Results {
    pub cmd_id: String,
    pub msg_ref: Option<String>,
    pub cmd_ref: String,
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

// ---------------------------------------------------------------------------------
// Model -> tree.

fn text_el(name: &str, text: &str) -> Element {
    Element::new(name).with_text(text)
}

fn push_opt(el: &mut Element, name: &str, v: &Option<impl AsRef<str>>) {
    if let Some(v) = v {
        let v = v.as_ref();
        el.children.push(Node::Element(text_el(name, v)));
    }
}

fn push_flag(el: &mut Element, name: &str, on: bool) {
    if on {
        el.children.push(Node::Element(Element::new(name)));
    }
}

fn push_el(el: &mut Element, child: Element) {
    el.children.push(Node::Element(child));
}

fn push_extensions(el: &mut Element, ext: &[Element]) {
    el.children.extend(ext.iter().cloned().map(Node::Element));
}

impl LocRef {
    fn to_element(&self, name: &str) -> Element {
        let mut e = Element::new(name).with_text_child("LocURI", &self.loc_uri);
        push_opt(&mut e, "LocName", &self.loc_name);
        e
    }
}

impl Meta {
    pub fn to_element(&self) -> Element {
        let mut e = Element::new("Meta");
        let fields = [
            ("Format", &self.format),
            ("Type", &self.r#type),
            ("Mark", &self.mark),
            ("Size", &self.size),
            ("NextNonce", &self.next_nonce),
            ("Version", &self.version),
            ("MaxMsgSize", &self.max_msg_size),
            ("MaxObjSize", &self.max_obj_size),
        ];
        for (name, v) in fields {
            if let Some(v) = v {
                push_el(&mut e, text_el(name, v).in_namespace(NS_METINF));
            }
        }
        for v in &self.emi {
            push_el(&mut e, text_el("EMI", v).in_namespace(NS_METINF));
        }
        push_extensions(&mut e, &self.extensions);
        e
    }
}

impl Cred {
    fn to_element(&self) -> Element {
        let mut e = Element::new("Cred");
        if let Some(m) = &self.meta {
            push_el(&mut e, m.to_element());
        }
        push_el(&mut e, text_el("Data", &self.data));
        e
    }
}

impl Data {
    fn to_element(&self) -> Element {
        match self {
            Data::Text(t) => text_el("Data", t),
            Data::Xml(nodes) => Element {
                name: "Data".into(),
                children: nodes.clone(),
                ..Default::default()
            },
            Data::Opaque(bytes) => Element {
                name: "Data".into(),
                children: vec![Node::Opaque(bytes.clone())],
                ..Default::default()
            },
        }
    }
}

impl Item {
    fn to_element(&self) -> Element {
        let mut e = Element::new("Item");
        if let Some(t) = &self.target {
            push_el(&mut e, t.to_element("Target"));
        }
        if let Some(s) = &self.source {
            push_el(&mut e, s.to_element("Source"));
        }
        if let Some(p) = &self.source_parent {
            push_el(&mut e, p.to_element("SourceParent"));
        }
        if let Some(p) = &self.target_parent {
            push_el(&mut e, p.to_element("TargetParent"));
        }
        if let Some(m) = &self.meta {
            push_el(&mut e, m.to_element());
        }
        if let Some(d) = &self.data {
            push_el(&mut e, d.to_element());
        }
        push_flag(&mut e, "MoreData", self.more_data);
        push_extensions(&mut e, &self.extensions);
        e
    }
}

fn items_into(e: &mut Element, items: &[Item]) {
    for i in items {
        push_el(e, i.to_element());
    }
}

impl ItemCmd {
    fn to_element(&self, name: &str) -> Element {
        let mut e = Element::new(name).with_text_child("CmdID", &self.cmd_id);
        push_flag(&mut e, "NoResp", self.no_resp);
        if let Some(c) = &self.cred {
            push_el(&mut e, c.to_element());
        }
        if let Some(m) = &self.meta {
            push_el(&mut e, m.to_element());
        }
        push_opt(&mut e, "Correlator", &self.correlator);
        items_into(&mut e, &self.items);
        push_extensions(&mut e, &self.extensions);
        e
    }
}

impl Container {
    fn to_element(&self, name: &str) -> Element {
        let mut e = Element::new(name).with_text_child("CmdID", &self.cmd_id);
        push_flag(&mut e, "NoResp", self.no_resp);
        if let Some(m) = &self.meta {
            push_el(&mut e, m.to_element());
        }
        for c in &self.commands {
            push_el(&mut e, c.to_element());
        }
        push_extensions(&mut e, &self.extensions);
        e
    }
}

impl Command {
    pub fn to_element(&self) -> Element {
        match self {
            Command::Add(c) => c.to_element("Add"),
            Command::Copy(c) => c.to_element("Copy"),
            Command::Atomic(c) => c.to_element("Atomic"),
            Command::Sequence(c) => c.to_element("Sequence"),
            Command::Delete(c) => c.to_element("Delete"),
            Command::Exec(c) => c.to_element("Exec"),
            Command::Get(c) => c.to_element("Get"),
            Command::Replace(c) => c.to_element("Replace"),
            Command::Alert(a) => {
                let mut e = Element::new("Alert").with_text_child("CmdID", &a.cmd_id);
                push_flag(&mut e, "NoResp", a.no_resp);
                if let Some(c) = &a.cred {
                    push_el(&mut e, c.to_element());
                }
                push_opt(&mut e, "Data", &a.data);
                push_opt(&mut e, "Correlator", &a.correlator);
                items_into(&mut e, &a.items);
                push_extensions(&mut e, &a.extensions);
                e
            }
            Command::Status(s) => {
                let mut e = Element::new("Status")
                    .with_text_child("CmdID", &s.cmd_id)
                    .with_text_child("MsgRef", &s.msg_ref)
                    .with_text_child("CmdRef", &s.cmd_ref)
                    .with_text_child("Cmd", &s.cmd);
                for t in &s.target_ref {
                    push_el(&mut e, text_el("TargetRef", t));
                }
                for t in &s.source_ref {
                    push_el(&mut e, text_el("SourceRef", t));
                }
                if let Some(c) = &s.cred {
                    push_el(&mut e, c.to_element());
                }
                if let Some(c) = &s.chal {
                    push_el(&mut e, Element::new("Chal").with_child(c.meta.to_element()));
                }
                push_el(&mut e, text_el("Data", &s.data));
                items_into(&mut e, &s.items);
                push_extensions(&mut e, &s.extensions);
                e
            }
            Command::Results(r) => {
                let mut e = Element::new("Results").with_text_child("CmdID", &r.cmd_id);
                push_opt(&mut e, "MsgRef", &r.msg_ref);
                push_el(&mut e, text_el("CmdRef", &r.cmd_ref));
                if let Some(m) = &r.meta {
                    push_el(&mut e, m.to_element());
                }
                for t in &r.target_ref {
                    push_el(&mut e, text_el("TargetRef", t));
                }
                for t in &r.source_ref {
                    push_el(&mut e, text_el("SourceRef", t));
                }
                items_into(&mut e, &r.items);
                push_extensions(&mut e, &r.extensions);
                e
            }
            Command::Other(e) => (**e).clone(),
        }
    }
}

impl SyncML {
    /// The message as an element tree, in the DTD's child order, root in the SyncML 1.2
    /// namespace.
    pub fn to_element(&self) -> Element {
        let h = &self.hdr;
        let mut hdr = Element::new("SyncHdr")
            .with_text_child("VerDTD", &h.ver_dtd)
            .with_text_child("VerProto", &h.ver_proto)
            .with_text_child("SessionID", &h.session_id)
            .with_text_child("MsgID", &h.msg_id)
            .with_child(h.target.to_element("Target"))
            .with_child(h.source.to_element("Source"));
        push_opt(&mut hdr, "RespURI", &h.resp_uri);
        push_flag(&mut hdr, "NoResp", h.no_resp);
        if let Some(c) = &h.cred {
            push_el(&mut hdr, c.to_element());
        }
        if let Some(m) = &h.meta {
            push_el(&mut hdr, m.to_element());
        }
        push_extensions(&mut hdr, &h.extensions);

        let mut body = Element::new("SyncBody");
        for c in &self.body.commands {
            push_el(&mut body, c.to_element());
        }
        push_flag(&mut body, "Final", self.body.final_);

        Element::new("SyncML")
            .in_namespace(NS_SYNCML_1_2)
            .with_child(hdr)
            .with_child(body)
    }
}

// ---------------------------------------------------------------------------------
// Tree -> model.

/// The tree does not have the shape of a SyncML message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SchemaError {
    /// Element path, e.g. `SyncML/SyncBody/Status[2]/CmdRef`.
    pub path: String,
    pub message: String,
    /// Byte range of the offending element in the decoded message.
    pub span: Range<usize>,
}

/// Where each part of a decoded message sits in its bytes, parallel to the model, so
/// evidence can quote the exact wire bytes of a command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    pub hdr: Range<usize>,
    /// One range per `SyncBody` command, in order.
    pub commands: Vec<Range<usize>>,
}

/// Where the mapping stands: the element, and how it was reached. The path string is
/// only built for an error, since building it for every element costs more than the
/// whole mapping.
struct Ctx<'a, 'p> {
    el: &'a Element,
    parent: Option<&'p Ctx<'a, 'p>>,
    /// Position among the parent's children of the same name (0-based).
    index: usize,
    /// Content taken out of Item Data elements before mapping (see `take_data`).
    taken: Option<&'p Taken>,
}

/// Content of Item Data elements moved out of a command's tree, by where each Data
/// starts: the model takes it as it is, where a copy would hold a huge datum twice.
type Taken = std::cell::RefCell<Vec<(usize, Node)>>;

impl<'a, 'p> Ctx<'a, 'p> {
    fn root(el: &'a Element) -> Self {
        Ctx {
            el,
            parent: None,
            index: 0,
            taken: None,
        }
    }

    /// The content taken out of this (Data) element, if it was.
    fn take_content(&self) -> Option<Node> {
        let mut taken = self.taken?.borrow_mut();
        let at = self.el.span.start;
        let i = taken.binary_search_by_key(&at, |(start, _)| *start).ok()?;
        Some(std::mem::replace(
            &mut taken[i].1,
            Node::Text(String::new()),
        ))
    }

    /// `SyncML/SyncBody/Status[2]/CmdRef`.
    fn path(&self) -> String {
        let step = if self.index == 0 {
            self.el.name.clone()
        } else {
            format!("{}[{}]", self.el.name, self.index + 1)
        };
        match self.parent {
            Some(p) => format!("{}/{step}", p.path()),
            None => step,
        }
    }

    fn err(&self, message: impl Into<String>) -> SchemaError {
        SchemaError {
            path: self.path(),
            message: message.into(),
            span: self.el.span.clone(),
        }
    }

    /// Text of a leaf element; element children are an error.
    fn leaf_text(&self) -> Result<String, SchemaError> {
        if self.el.has_element_children() {
            return Err(self.err("expected text, found child elements"));
        }
        Ok(self.el.text())
    }

    fn expect_empty(&self) -> Result<(), SchemaError> {
        if self.el.has_element_children() || !self.el.text().trim().is_empty() {
            return Err(self.err("expected an empty element"));
        }
        Ok(())
    }

    /// Children with a running index per name, for paths like `Item[2]`.
    fn children(&self) -> Vec<Ctx<'a, '_>> {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        let mut out = Vec::new();
        for c in self.el.elements() {
            let n = match seen.iter_mut().find(|(name, _)| *name == c.name) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((&c.name, 0));
                    0
                }
            };
            out.push(Ctx {
                el: c,
                parent: Some(self),
                index: n,
                taken: self.taken,
            });
        }
        out
    }

    fn non_space_text(&self) -> Result<(), SchemaError> {
        if self.el.text().trim().is_empty() {
            Ok(())
        } else {
            Err(self.err("unexpected text in an element that holds only elements"))
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, v: T, c: &Ctx) -> Result<(), SchemaError> {
    if slot.is_some() {
        return Err(c.err("element given more than once"));
    }
    *slot = Some(v);
    Ok(())
}

fn required<T>(slot: Option<T>, parent: &Ctx, name: &str) -> Result<T, SchemaError> {
    slot.ok_or_else(|| parent.err(format!("missing required <{name}>")))
}

fn loc_ref(c: &Ctx) -> Result<LocRef, SchemaError> {
    c.non_space_text()?;
    let (mut uri, mut name) = (None, None);
    for k in c.children() {
        match k.el.name.as_str() {
            "LocURI" => set_once(&mut uri, k.leaf_text()?, &k)?,
            "LocName" => set_once(&mut name, k.leaf_text()?, &k)?,
            other => return Err(k.err(format!("unexpected <{other}> in <{}>", c.el.name))),
        }
    }
    Ok(LocRef {
        loc_uri: required(uri, c, "LocURI")?,
        loc_name: name.map(String::into_boxed_str),
    })
}

fn meta(c: &Ctx) -> Result<Meta, SchemaError> {
    c.non_space_text()?;
    let mut m = Meta::default();
    for k in c.children() {
        let slot = match k.el.name.as_str() {
            "Format" => &mut m.format,
            "Type" => &mut m.r#type,
            "Mark" => &mut m.mark,
            "Size" => &mut m.size,
            "NextNonce" => &mut m.next_nonce,
            "Version" => &mut m.version,
            "MaxMsgSize" => &mut m.max_msg_size,
            "MaxObjSize" => &mut m.max_obj_size,
            "EMI" => {
                m.emi.push(k.leaf_text()?);
                continue;
            }
            _ => {
                m.extensions.push(k.el.clone());
                continue;
            }
        };
        set_once(slot, k.leaf_text()?, &k)?;
    }
    Ok(m)
}

fn cred(c: &Ctx) -> Result<Cred, SchemaError> {
    c.non_space_text()?;
    let (mut m, mut data) = (None, None);
    for k in c.children() {
        match k.el.name.as_str() {
            "Meta" => set_once(&mut m, meta(&k)?, &k)?,
            "Data" => set_once(&mut data, k.leaf_text()?, &k)?,
            other => return Err(k.err(format!("unexpected <{other}> in <Cred>"))),
        }
    }
    Ok(Cred {
        meta: m,
        data: required(data, c, "Data")?,
    })
}

fn chal(c: &Ctx) -> Result<Chal, SchemaError> {
    c.non_space_text()?;
    let mut m = None;
    for k in c.children() {
        match k.el.name.as_str() {
            "Meta" => set_once(&mut m, meta(&k)?, &k)?,
            other => return Err(k.err(format!("unexpected <{other}> in <Chal>"))),
        }
    }
    Ok(Chal {
        meta: required(m, c, "Meta")?,
    })
}

fn data(c: &Ctx) -> Data {
    match c.el.children.as_slice() {
        [] => match c.take_content() {
            Some(Node::Opaque(bytes)) => Data::Opaque(bytes),
            Some(Node::Text(t)) => Data::Text(t),
            Some(Node::Element(_)) | None => Data::Text(String::new()),
        },
        [Node::Opaque(bytes)] => Data::Opaque(bytes.clone()),
        _ if c.el.has_element_children() => Data::Xml(c.el.children.clone()),
        _ => Data::Text(c.el.text()),
    }
}

fn item(c: &Ctx) -> Result<Item, SchemaError> {
    c.non_space_text()?;
    let mut i = Item::default();
    for k in c.children() {
        match k.el.name.as_str() {
            "Target" => set_once(&mut i.target, loc_ref(&k)?, &k)?,
            "Source" => set_once(&mut i.source, loc_ref(&k)?, &k)?,
            "SourceParent" => set_once(&mut i.source_parent, Box::new(loc_ref(&k)?), &k)?,
            "TargetParent" => set_once(&mut i.target_parent, Box::new(loc_ref(&k)?), &k)?,
            "Meta" => set_once(&mut i.meta, Box::new(meta(&k)?), &k)?,
            "Data" => set_once(&mut i.data, data(&k), &k)?,
            "MoreData" => {
                k.expect_empty()?;
                i.more_data = true;
            }
            _ => i.extensions.push(k.el.clone()),
        }
    }
    Ok(i)
}

fn item_cmd(c: &Ctx) -> Result<ItemCmd, SchemaError> {
    c.non_space_text()?;
    let mut cmd = ItemCmd::default();
    let mut cmd_id = None;
    for k in c.children() {
        match k.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, k.leaf_text()?, &k)?,
            "NoResp" => {
                k.expect_empty()?;
                cmd.no_resp = true;
            }
            "Cred" => set_once(&mut cmd.cred, Box::new(cred(&k)?), &k)?,
            "Meta" => set_once(&mut cmd.meta, Box::new(meta(&k)?), &k)?,
            "Correlator" => set_once(&mut cmd.correlator, k.leaf_text()?.into(), &k)?,
            "Item" => cmd.items.push(item(&k)?),
            _ => cmd.extensions.push(k.el.clone()),
        }
    }
    cmd.cmd_id = required(cmd_id, c, "CmdID")?;
    Ok(cmd)
}

fn alert(c: &Ctx) -> Result<Alert, SchemaError> {
    c.non_space_text()?;
    let mut a = Alert::default();
    let mut cmd_id = None;
    for k in c.children() {
        match k.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, k.leaf_text()?, &k)?,
            "NoResp" => {
                k.expect_empty()?;
                a.no_resp = true;
            }
            "Cred" => set_once(&mut a.cred, Box::new(cred(&k)?), &k)?,
            "Data" => set_once(&mut a.data, k.leaf_text()?, &k)?,
            "Correlator" => set_once(&mut a.correlator, k.leaf_text()?.into(), &k)?,
            "Item" => a.items.push(item(&k)?),
            _ => a.extensions.push(k.el.clone()),
        }
    }
    a.cmd_id = required(cmd_id, c, "CmdID")?;
    Ok(a)
}

fn status(c: &Ctx) -> Result<Status, SchemaError> {
    c.non_space_text()?;
    let mut s = Status::default();
    let (mut cmd_id, mut msg_ref, mut cmd_ref, mut cmd, mut code) = (None, None, None, None, None);
    for k in c.children() {
        match k.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, k.leaf_text()?, &k)?,
            "MsgRef" => set_once(&mut msg_ref, k.leaf_text()?, &k)?,
            "CmdRef" => set_once(&mut cmd_ref, k.leaf_text()?, &k)?,
            "Cmd" => set_once(&mut cmd, k.leaf_text()?, &k)?,
            "TargetRef" => s.target_ref.push(k.leaf_text()?),
            "SourceRef" => s.source_ref.push(k.leaf_text()?),
            "Cred" => set_once(&mut s.cred, Box::new(cred(&k)?), &k)?,
            "Chal" => set_once(&mut s.chal, Box::new(chal(&k)?), &k)?,
            "Data" => set_once(&mut code, k.leaf_text()?, &k)?,
            "Item" => s.items.push(item(&k)?),
            _ => s.extensions.push(k.el.clone()),
        }
    }
    s.cmd_id = required(cmd_id, c, "CmdID")?;
    s.msg_ref = required(msg_ref, c, "MsgRef")?;
    s.cmd_ref = required(cmd_ref, c, "CmdRef")?;
    s.cmd = required(cmd, c, "Cmd")?;
    s.data = required(code, c, "Data")?;
    Ok(s)
}

fn results(c: &Ctx) -> Result<Results, SchemaError> {
    c.non_space_text()?;
    let mut r = Results::default();
    let (mut cmd_id, mut cmd_ref) = (None, None);
    for k in c.children() {
        match k.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, k.leaf_text()?, &k)?,
            "MsgRef" => set_once(&mut r.msg_ref, k.leaf_text()?, &k)?,
            "CmdRef" => set_once(&mut cmd_ref, k.leaf_text()?, &k)?,
            "Meta" => set_once(&mut r.meta, Box::new(meta(&k)?), &k)?,
            "TargetRef" => r.target_ref.push(k.leaf_text()?),
            "SourceRef" => r.source_ref.push(k.leaf_text()?),
            "Item" => r.items.push(item(&k)?),
            _ => r.extensions.push(k.el.clone()),
        }
    }
    r.cmd_id = required(cmd_id, c, "CmdID")?;
    r.cmd_ref = required(cmd_ref, c, "CmdRef")?;
    Ok(r)
}

/// Atomic and Sequence; nested commands are any command element (unknown ones kept).
fn container(c: &Ctx) -> Result<Container, SchemaError> {
    c.non_space_text()?;
    let mut k = Container::default();
    let mut cmd_id = None;
    for x in c.children() {
        match x.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, x.leaf_text()?, &x)?,
            "NoResp" => {
                x.expect_empty()?;
                k.no_resp = true;
            }
            "Meta" => set_once(&mut k.meta, Box::new(meta(&x)?), &x)?,
            _ => k.commands.push(command(&x)?),
        }
    }
    k.cmd_id = required(cmd_id, c, "CmdID")?;
    Ok(k)
}

fn command(c: &Ctx) -> Result<Command, SchemaError> {
    let mut cmd = match c.el.name.as_str() {
        "Add" => Command::Add(item_cmd(c)?),
        "Atomic" => Command::Atomic(container(c)?),
        "Copy" => Command::Copy(item_cmd(c)?),
        "Sequence" => Command::Sequence(container(c)?),
        "Delete" => Command::Delete(item_cmd(c)?),
        "Exec" => Command::Exec(item_cmd(c)?),
        "Get" => Command::Get(item_cmd(c)?),
        "Replace" => Command::Replace(item_cmd(c)?),
        "Alert" => Command::Alert(alert(c)?),
        "Status" => Command::Status(Box::new(status(c)?)),
        "Results" => Command::Results(Box::new(results(c)?)),
        _ => Command::Other(Box::new(c.el.clone())),
    };
    // A vector that grew by pushes holds room for 4 Items (2 KB) where most commands
    // have one: many tiny commands would cost 30 times their bytes.
    match &mut cmd {
        Command::Add(x)
        | Command::Copy(x)
        | Command::Delete(x)
        | Command::Exec(x)
        | Command::Get(x)
        | Command::Replace(x) => {
            x.items.shrink_to_fit();
        }
        Command::Atomic(x) | Command::Sequence(x) => {
            x.commands.shrink_to_fit();
        }
        Command::Alert(x) => {
            x.items.shrink_to_fit();
        }
        Command::Status(x) => {
            x.items.shrink_to_fit();
            x.target_ref.shrink_to_fit();
            x.source_ref.shrink_to_fit();
        }
        Command::Results(x) => {
            x.items.shrink_to_fit();
            x.target_ref.shrink_to_fit();
            x.source_ref.shrink_to_fit();
        }
        Command::Other(_) => {}
    }
    Ok(cmd)
}

fn sync_hdr(c: &Ctx) -> Result<SyncHdr, SchemaError> {
    c.non_space_text()?;
    let mut h = SyncHdr::default();
    let (mut ver_dtd, mut ver_proto, mut session_id, mut msg_id, mut target, mut source) =
        (None, None, None, None, None, None);
    for k in c.children() {
        match k.el.name.as_str() {
            "VerDTD" => set_once(&mut ver_dtd, k.leaf_text()?, &k)?,
            "VerProto" => set_once(&mut ver_proto, k.leaf_text()?, &k)?,
            "SessionID" => set_once(&mut session_id, k.leaf_text()?, &k)?,
            "MsgID" => set_once(&mut msg_id, k.leaf_text()?, &k)?,
            "Target" => set_once(&mut target, loc_ref(&k)?, &k)?,
            "Source" => set_once(&mut source, loc_ref(&k)?, &k)?,
            "RespURI" => set_once(&mut h.resp_uri, k.leaf_text()?, &k)?,
            "NoResp" => {
                k.expect_empty()?;
                h.no_resp = true;
            }
            "Cred" => set_once(&mut h.cred, cred(&k)?, &k)?,
            "Meta" => set_once(&mut h.meta, meta(&k)?, &k)?,
            _ => h.extensions.push(k.el.clone()),
        }
    }
    h.ver_dtd = required(ver_dtd, c, "VerDTD")?;
    h.ver_proto = required(ver_proto, c, "VerProto")?;
    h.session_id = required(session_id, c, "SessionID")?;
    h.msg_id = required(msg_id, c, "MsgID")?;
    h.target = required(target, c, "Target")?;
    h.source = required(source, c, "Source")?;
    Ok(h)
}

impl SyncML {
    /// Map a decoded tree onto the model. Element order is not enforced here (peers
    /// vary, and order is a matter for the rules); names, nesting and cardinality are.
    /// The message of a decoder that handed the commands of its first SyncBody to
    /// `stream` as it closed them, and kept the rest of the tree (`root`): the same
    /// result and the same first error as [`SyncML::from_element`] on the whole tree.
    pub(crate) fn from_streamed(
        root: &Element,
        stream: Option<BodyStream>,
    ) -> Result<(SyncML, Spans), SchemaError> {
        let Some(stream) = stream else {
            return Self::from_element(root);
        };
        // The root's own text is judged before anything it holds.
        if Ctx::root(root).non_space_text().is_err() {
            return Self::from_element(root);
        }
        // The streamed SyncBody is the root's first; it holds only its text and Final.
        let Some(body_span) = root
            .elements()
            .find(|e| e.name == "SyncBody")
            .map(|e| e.span.clone())
        else {
            return Self::from_element(root);
        };
        let shell = Self::from_element(root);
        // An error before the SyncBody, or in its own text, comes before any command's.
        if let Err(e) = &shell
            && (e.span.end <= body_span.start || e.span == body_span)
        {
            return shell;
        }
        let inside =
            |e: &SchemaError| body_span.start <= e.span.start && e.span.end <= body_span.end;
        if let Some(ce) = stream.error {
            // A Final before the failing command fails first.
            return match shell {
                Err(e) if inside(&e) && e.span.start < ce.span.start => Err(e),
                _ => Err(ce),
            };
        }
        let (mut msg, mut spans) = shell?;
        let (mut commands, mut cmd_spans) = (stream.commands, stream.spans);
        commands.shrink_to_fit();
        cmd_spans.shrink_to_fit();
        msg.body.commands = commands;
        spans.commands = cmd_spans;
        Ok((msg, spans))
    }

    pub fn from_element(root: &Element) -> Result<(SyncML, Spans), SchemaError> {
        let c = Ctx::root(root);
        if root.name != "SyncML" {
            return Err(c.err(format!("root element is <{}>, not <SyncML>", root.name)));
        }
        c.non_space_text()?;
        let mut hdr = None;
        let mut body = None;
        let mut spans = Spans::default();
        for k in c.children() {
            match k.el.name.as_str() {
                "SyncHdr" => {
                    spans.hdr = k.el.span.clone();
                    set_once(&mut hdr, sync_hdr(&k)?, &k)?;
                }
                "SyncBody" => {
                    k.non_space_text()?;
                    let mut b = SyncBody::default();
                    for cmd in k.children() {
                        if cmd.el.name == "Final" {
                            cmd.expect_empty()?;
                            b.final_ = true;
                        } else {
                            spans.commands.push(cmd.el.span.clone());
                            b.commands.push(command(&cmd)?);
                        }
                    }
                    set_once(&mut body, b, &k)?;
                }
                other => return Err(k.err(format!("unexpected <{other}> in <SyncML>"))),
            }
        }
        Ok((
            SyncML {
                hdr: required(hdr, &c, "SyncHdr")?,
                body: required(body, &c, "SyncBody")?,
            },
            spans,
        ))
    }
}

/// The commands of a SyncBody mapped one by one as a decoder closes them, so a
/// message's element tree is never held whole: only the header, the SyncBody's own
/// text and Final, and the one command being read. [`SyncML::from_streamed`] puts the
/// rest around them.
pub(crate) struct BodyStream {
    commands: Vec<Command>,
    spans: Vec<Range<usize>>,
    /// Commands seen per name, for paths like `Get[3]`.
    seen: Vec<(String, usize)>,
    /// The first command that did not map; later ones are only parsed.
    error: Option<SchemaError>,
    /// Names of the root and the SyncBody, for error paths.
    root: Element,
    body: Element,
    /// The SyncBody's namespace, where it is SyncML's: its commands are walked for
    /// foreign elements. `None` when the SyncBody or the root is foreign itself (the
    /// outermost is reported, not what it holds).
    body_ns: Option<Option<String>>,
    pub(crate) foreign: crate::namespace::ForeignElements,
    /// Where the SyncBody starts and the message ends, to size the vectors.
    start: usize,
    total: usize,
}

impl BodyStream {
    /// A stream for the SyncBody opening at `start` in a message of `total` bytes,
    /// under a root in namespace `root_ns` (as the tree records it: where it changes).
    pub(crate) fn new(
        root_ns: Option<&str>,
        body_ns: Option<&str>,
        start: usize,
        total: usize,
    ) -> Self {
        let own = |ns: Option<&str>| ns.is_none_or(crate::namespace::is_syncml);
        let effective = body_ns.or(root_ns);
        BodyStream {
            commands: Vec::new(),
            spans: Vec::new(),
            seen: Vec::new(),
            error: None,
            root: Element::new("SyncML"),
            body: Element::new("SyncBody"),
            body_ns: (own(root_ns) && own(effective)).then(|| effective.map(str::to_owned)),
            foreign: Default::default(),
            start,
            total,
        }
    }

    /// Map one closed command element (any child of the SyncBody but Final).
    pub(crate) fn push(&mut self, mut el: Element) {
        if self.error.is_some() {
            return;
        }
        if let Some(ns) = &self.body_ns {
            crate::namespace::foreign_in(
                &el,
                ns.as_deref(),
                &["SyncML", "SyncBody"],
                &mut self.foreign,
            );
        }
        let index = match self.seen.iter_mut().find(|(n, _)| *n == el.name) {
            Some((_, k)) => {
                *k += 1;
                *k
            }
            None => {
                self.seen.push((el.name.clone(), 0));
                0
            }
        };
        let taken = Taken::default();
        take_data(&mut el, &mut taken.borrow_mut());
        let rc = Ctx::root(&self.root);
        let bc = Ctx {
            el: &self.body,
            parent: Some(&rc),
            index: 0,
            taken: None,
        };
        let ctx = Ctx {
            el: &el,
            parent: Some(&bc),
            index,
            taken: Some(&taken),
        };
        match command(&ctx) {
            Ok(c) => {
                if self.commands.len() == self.commands.capacity() {
                    // Room for as many more as the bytes left would hold at the size
                    // seen so far: doubling would hold up to twice the commands.
                    let (len, end) = (self.commands.len(), el.span.end);
                    let done = end.saturating_sub(self.start).max(1);
                    let left = self.total.saturating_sub(end);
                    let more = (len.saturating_mul(left) / done + 1).max(len / 8).max(4);
                    self.commands.reserve_exact(more);
                    self.spans.reserve_exact(more);
                }
                self.commands.push(c);
                self.spans.push(el.span.clone());
            }
            Err(e) => self.error = Some(e),
        }
    }
}

/// Move the content of the Data elements the mapping of command `el` will read as an
/// Item's Data (one text or opaque node each) into `taken`, in wire order. Only those:
/// anything kept verbatim (unknown commands and children) keeps its content.
fn take_data(el: &mut Element, taken: &mut Vec<(usize, Node)>) {
    const WITH_ITEMS: &[&str] = &[
        "Add", "Copy", "Delete", "Exec", "Get", "Replace", "Alert", "Status", "Results",
    ];
    let children = el.children.iter_mut().filter_map(|n| match n {
        Node::Element(e) => Some(e),
        Node::Text(_) | Node::Opaque(_) => None,
    });
    match el.name.as_str() {
        "Atomic" | "Sequence" => children.for_each(|c| take_data(c, taken)),
        name if WITH_ITEMS.contains(&name) => {
            for item in children.filter(|c| c.name == "Item") {
                for n in &mut item.children {
                    if let Node::Element(d) = n
                        && d.name == "Data"
                        && matches!(d.children.as_slice(), [Node::Text(_) | Node::Opaque(_)])
                        && let Some(content) = d.children.pop()
                    {
                        taken.push((d.span.start, content));
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Many tiny commands cost their model's size each: the rare large parts (Meta,
    /// Cred, Chal) live behind boxes so the common ones stay small.
    #[test]
    fn commands_and_items_stay_small() {
        // 136 and 184 bytes on 64-bit targets today; each was over 480 inline.
        assert!(std::mem::size_of::<Command>() <= 144);
        assert!(std::mem::size_of::<Item>() <= 192);
        assert!(std::mem::size_of::<ItemCmd>() <= 128);
    }
}
