//! The element tree onto the model (names, nesting, cardinality), whole or streamed
//! command by command as a decoder closes them.

use super::*;

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
    pub commands: CmdSpans,
}

/// The byte ranges of a message's SyncBody commands, in order: two `u32` each, half a
/// `Range<usize>` (a message of many tiny commands holds one per command), unless a
/// body passes 4 GiB.
#[derive(Debug, Clone)]
pub enum CmdSpans {
    Small(Vec<(u32, u32)>),
    Large(Vec<Range<usize>>),
}

impl Default for CmdSpans {
    fn default() -> Self {
        CmdSpans::Small(Vec::new())
    }
}

impl PartialEq for CmdSpans {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for CmdSpans {}

impl CmdSpans {
    pub fn len(&self) -> usize {
        match self {
            CmdSpans::Small(v) => v.len(),
            CmdSpans::Large(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The range of command `i`.
    pub fn get(&self, i: usize) -> Option<Range<usize>> {
        match self {
            CmdSpans::Small(v) => v.get(i).map(|&(a, b)| a as usize..b as usize),
            CmdSpans::Large(v) => v.get(i).cloned(),
        }
    }

    pub fn last(&self) -> Option<Range<usize>> {
        self.get(self.len().checked_sub(1)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    pub fn push(&mut self, r: Range<usize>) {
        match self {
            CmdSpans::Small(v) => match (u32::try_from(r.start), u32::try_from(r.end)) {
                (Ok(a), Ok(b)) => v.push((a, b)),
                _ => {
                    let mut all: Vec<_> = self.iter().collect();
                    all.push(r);
                    *self = CmdSpans::Large(all);
                }
            },
            CmdSpans::Large(v) => v.push(r),
        }
    }

    fn reserve_exact(&mut self, more: usize) {
        match self {
            CmdSpans::Small(v) => v.reserve_exact(more),
            CmdSpans::Large(v) => v.reserve_exact(more),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            CmdSpans::Small(v) => v.shrink_to_fit(),
            CmdSpans::Large(v) => v.shrink_to_fit(),
        }
    }
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

    /// [`leaf_text`](Self::leaf_text) as a short [`Text`]: one text node (the usual
    /// case) is taken without an intermediate `String`.
    fn leaf(&self) -> Result<Text, SchemaError> {
        if self.el.has_element_children() {
            return Err(self.err("expected text, found child elements"));
        }
        Ok(match self.el.children.as_slice() {
            [] => Text::new(),
            [Node::Text(t)] => Text::from(t.as_str()),
            _ => Text::from(self.el.text()),
        })
    }

    fn expect_empty(&self) -> Result<(), SchemaError> {
        if self.el.has_element_children() || !self.el.text().trim().is_empty() {
            return Err(self.err("expected an empty element"));
        }
        Ok(())
    }

    /// How many child elements are named `name`: a list sized to it is allocated
    /// once, exactly. One grown by pushes and shrunk after leaves the room it gave back
    /// as a hole beside it in the heap, too small for the next command's list: with
    /// many tiny commands the process held twice what the model holds.
    fn count(&self, name: &str) -> usize {
        self.el.elements().filter(|e| e.name == name).count()
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
            "LocURI" => set_once(&mut uri, k.leaf()?, &k)?,
            "LocName" => set_once(&mut name, k.leaf_text()?, &k)?,
            other => return Err(k.err(format!("unexpected <{other}> in <{}>", c.el.name))),
        }
    }
    Ok(LocRef {
        loc_uri: required(uri, c, "LocURI")?,
        loc_name: name.map(ThinStr::from),
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
            Some(Node::Opaque(bytes)) => Data::Opaque(bytes.into()),
            Some(Node::Text(t)) => Data::Text(t),
            Some(Node::Element(_)) | None => Data::Text(String::new()),
        },
        [Node::Opaque(bytes)] => Data::Opaque(bytes.as_slice().into()),
        _ if c.el.has_element_children() => Data::Xml(c.el.children.as_slice().into()),
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
            "SourceParent" => set_once(&mut i.extras.source_parent, loc_ref(&k)?, &k)?,
            "TargetParent" => set_once(&mut i.extras.target_parent, loc_ref(&k)?, &k)?,
            "Meta" => set_once(&mut i.meta, Box::new(meta(&k)?), &k)?,
            "Data" => set_once(&mut i.data, data(&k), &k)?,
            "MoreData" => {
                k.expect_empty()?;
                i.extras.more_data = true;
            }
            _ => i.extras.extensions.push(k.el.clone()),
        }
    }
    Ok(i)
}

fn item_cmd(c: &Ctx) -> Result<ItemCmd, SchemaError> {
    c.non_space_text()?;
    let mut cmd = ItemCmd {
        items: Vec::with_capacity(c.count("Item")),
        ..ItemCmd::default()
    };
    let mut cmd_id = None;
    for k in c.children() {
        match k.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, k.leaf()?, &k)?,
            "NoResp" => {
                k.expect_empty()?;
                cmd.extras.no_resp = true;
            }
            "Cred" => set_once(&mut cmd.extras.cred, cred(&k)?, &k)?,
            "Meta" => set_once(&mut cmd.extras.meta, meta(&k)?, &k)?,
            "Correlator" => set_once(&mut cmd.extras.correlator, k.leaf_text()?, &k)?,
            "Item" => cmd.items.push(item(&k)?),
            _ => cmd.extras.extensions.push(k.el.clone()),
        }
    }
    cmd.cmd_id = required(cmd_id, c, "CmdID")?;
    Ok(cmd)
}

fn alert(c: &Ctx) -> Result<Alert, SchemaError> {
    c.non_space_text()?;
    let mut a = Alert {
        items: Vec::with_capacity(c.count("Item")),
        ..Alert::default()
    };
    let mut cmd_id = None;
    for k in c.children() {
        match k.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, k.leaf()?, &k)?,
            "NoResp" => {
                k.expect_empty()?;
                a.no_resp = true;
            }
            "Cred" => set_once(&mut a.cred, Box::new(cred(&k)?), &k)?,
            "Data" => set_once(&mut a.data, k.leaf()?, &k)?,
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
    let mut s = Status {
        items: Vec::with_capacity(c.count("Item")),
        target_ref: Vec::with_capacity(c.count("TargetRef")),
        source_ref: Vec::with_capacity(c.count("SourceRef")),
        ..Status::default()
    };
    let (mut cmd_id, mut msg_ref, mut cmd_ref, mut cmd, mut code) = (None, None, None, None, None);
    for k in c.children() {
        match k.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, k.leaf()?, &k)?,
            "MsgRef" => set_once(&mut msg_ref, k.leaf()?, &k)?,
            "CmdRef" => set_once(&mut cmd_ref, k.leaf()?, &k)?,
            "Cmd" => set_once(&mut cmd, k.leaf()?, &k)?,
            "TargetRef" => s.target_ref.push(k.leaf_text()?),
            "SourceRef" => s.source_ref.push(k.leaf_text()?),
            "Cred" => set_once(&mut s.cred, Box::new(cred(&k)?), &k)?,
            "Chal" => set_once(&mut s.chal, Box::new(chal(&k)?), &k)?,
            "Data" => set_once(&mut code, k.leaf()?, &k)?,
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
    let mut r = Results {
        items: Vec::with_capacity(c.count("Item")),
        target_ref: Vec::with_capacity(c.count("TargetRef")),
        source_ref: Vec::with_capacity(c.count("SourceRef")),
        ..Results::default()
    };
    let (mut cmd_id, mut cmd_ref) = (None, None);
    for k in c.children() {
        match k.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, k.leaf()?, &k)?,
            "MsgRef" => set_once(&mut r.msg_ref, k.leaf()?, &k)?,
            "CmdRef" => set_once(&mut cmd_ref, k.leaf()?, &k)?,
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
    let inner =
        c.el.elements()
            .filter(|e| !matches!(e.name.as_str(), "CmdID" | "NoResp" | "Meta"));
    let mut k = Container {
        commands: Vec::with_capacity(inner.count()),
        ..Container::default()
    };
    let mut cmd_id = None;
    for x in c.children() {
        match x.el.name.as_str() {
            "CmdID" => set_once(&mut cmd_id, x.leaf()?, &x)?,
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
    // Every list is sized exactly before it is filled (`Ctx::count`): most commands
    // have one Item, and a list grown by pushes has room for 4.
    Ok(match c.el.name.as_str() {
        "Add" => Command::Add(item_cmd(c)?),
        "Atomic" => Command::atomic(container(c)?),
        "Copy" => Command::Copy(item_cmd(c)?),
        "Sequence" => Command::sequence(container(c)?),
        "Delete" => Command::Delete(item_cmd(c)?),
        "Exec" => Command::Exec(item_cmd(c)?),
        "Get" => Command::Get(item_cmd(c)?),
        "Replace" => Command::Replace(item_cmd(c)?),
        "Alert" => Command::alert(alert(c)?),
        "Status" => Command::Status(Box::new(status(c)?)),
        "Results" => Command::Results(Box::new(results(c)?)),
        _ => Command::Other(Box::new(c.el.clone())),
    })
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
    spans: CmdSpans,
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
            spans: CmdSpans::default(),
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
mod cmd_spans_tests {
    use super::CmdSpans;

    /// Spans are kept as two `u32` until one passes 4 GiB, then as ranges, with the
    /// same values read back either way.
    #[test]
    fn spans_past_4_gib_are_kept_whole() {
        let big = u32::MAX as usize;
        let want = [0..5, 5..big, big..big + 7, 3..4];
        let mut s = CmdSpans::default();
        for (i, r) in want.iter().enumerate() {
            s.push(r.clone());
            assert_eq!(matches!(s, CmdSpans::Small(_)), i < 2, "after {i}");
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), want);
        assert_eq!(s.get(2), Some(big..big + 7));
        assert_eq!(s.last(), Some(3..4));
        assert_eq!(s.get(4), None);
        let mut small = CmdSpans::default();
        small.push(0..5);
        assert_eq!(small, CmdSpans::Large(std::iter::once(0..5).collect()));
        assert_ne!(small, s);
    }
}
