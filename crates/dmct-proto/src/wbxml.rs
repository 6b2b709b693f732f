//! The WBXML encoding of SyncML DM (`application/vnd.syncml.dm+wbxml`): WBXML 1.x with
//! the SyncML 1.2 public identifier, code page 0 (SyncML) and 1 (MetInf).
//!
//! Like the XML codec, this is only a syntax layer: bytes <-> [`Element`] tree, then the
//! model's own mapping. Both encodings of one message therefore decode to one model.
//! The decoded [`Document`] keeps the header the bytes carried (WBXML version, public
//! identifier) and the tree in wire order, so evidence can show what was sent.

use crate::model::{BodyStream, NS_METINF, NS_SYNCML_1_2, SyncML};
use crate::tree::{Element, Node};
use crate::xml::{DecodeError, Decoded, Encoding, MAX_DEPTH};

/// Public identifier of `-//SYNCML//DTD SyncML 1.2//EN`.
pub const PUBLIC_ID_SYNCML_1_2: u32 = 0x1201;
/// Public identifier of `-//SYNCML//DTD SyncML 1.1//EN`.
pub const PUBLIC_ID_SYNCML_1_1: u32 = 0x0FD3;
/// Public identifier of `-//SYNCML//DTD SyncML 1.0//EN`.
pub const PUBLIC_ID_SYNCML_1_0: u32 = 0x0FD1;
pub(crate) const CHARSET_UTF8: u32 = 0x6A;

/// The SyncML public identifiers: number, formal text, and the namespace of the
/// version each declares ([REP] §5, `shared/spec/omadm-facts.md` §5.1).
const SYNCML_IDS: &[(u32, &str, &str)] = &[
    (
        PUBLIC_ID_SYNCML_1_2,
        "-//SYNCML//DTD SyncML 1.2//EN",
        NS_SYNCML_1_2,
    ),
    (
        PUBLIC_ID_SYNCML_1_1,
        "-//SYNCML//DTD SyncML 1.1//EN",
        "SYNCML:SYNCML1.1",
    ),
    (
        PUBLIC_ID_SYNCML_1_0,
        "-//SYNCML//DTD SyncML 1.0//EN",
        "SYNCML:SYNCML1.0",
    ),
];

/// The document public identifier of a WBXML header, as it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicId {
    /// A well-known number (mb_u_int32).
    Numeric(u32),
    /// A formal public identifier in the string table (number 0 in the header).
    Literal(String),
}

impl PublicId {
    fn known(&self) -> Option<&'static (u32, &'static str, &'static str)> {
        SYNCML_IDS.iter().find(|(n, fpi, _)| match self {
            PublicId::Numeric(v) => v == n,
            PublicId::Literal(s) => s == fpi,
        })
    }

    /// The formal public identifier, where the number is a known one.
    pub fn fpi(&self) -> Option<&str> {
        match self {
            PublicId::Literal(s) => Some(s),
            PublicId::Numeric(_) => self.known().map(|k| k.1),
        }
    }

    /// Namespace of code page 0: the SyncML version the identifier names. Code page 0 is
    /// SyncML 1.2's token table either way; an identifier dmct does not know is read as
    /// 1.2, and still shown as it was.
    pub fn syncml_namespace(&self) -> &'static str {
        self.known().map_or(NS_SYNCML_1_2, |k| k.2)
    }
}

impl std::fmt::Display for PublicId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self, self.fpi()) {
            (PublicId::Numeric(n), Some(fpi)) => write!(f, "{n:#06X} ({fpi})"),
            (PublicId::Numeric(n), None) => write!(f, "{n:#06X} (not a SyncML identifier)"),
            (PublicId::Literal(s), _) => write!(f, "{s:?} (in the string table)"),
        }
    }
}

/// A WBXML document as decoded from its bytes: the header it carried and its element
/// tree in wire order (spans into the bytes).
/// What a WBXML document says of itself before its tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The version byte: 0x01 to 0x03 for WBXML 1.1 to 1.3.
    pub version: u8,
    pub public_id: PublicId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The version byte: 0x01 to 0x03 for WBXML 1.1 to 1.3.
    pub version: u8,
    pub public_id: PublicId,
    pub root: Element,
}

pub(crate) const SWITCH_PAGE: u8 = 0x00;
pub(crate) const END: u8 = 0x01;
pub(crate) const ENTITY: u8 = 0x02;
pub(crate) const STR_I: u8 = 0x03;
pub(crate) const LITERAL: u8 = 0x04;
pub(crate) const STR_T: u8 = 0x83;
pub(crate) const OPAQUE: u8 = 0xC3;
pub(crate) const HAS_CONTENT: u8 = 0x40;
pub(crate) const HAS_ATTRIBUTES: u8 = 0x80;

/// Code page 0, SyncML 1.2 (tokens from 0x05 on; 0x30 is reserved).
pub(crate) const PAGE_SYNCML: &[&str] = &[
    "Add",
    "Alert",
    "Archive",
    "Atomic",
    "Chal",
    "Cmd",
    "CmdID",
    "CmdRef",
    "Copy",
    "Cred",
    "Data",
    "Delete",
    "Exec",
    "Final",
    "Get",
    "Item",
    "Lang",
    "LocName",
    "LocURI",
    "Map",
    "MapItem",
    "Meta",
    "MsgID",
    "MsgRef",
    "NoResp",
    "NoResults",
    "Put",
    "Replace",
    "RespURI",
    "Results",
    "Search",
    "Sequence",
    "SessionID",
    "SftDel",
    "Source",
    "SourceRef",
    "Status",
    "Sync",
    "SyncBody",
    "SyncHdr",
    "SyncML",
    "Target",
    "TargetRef",
    "",
    "VerDTD",
    "VerProto",
    "NumberOfChanges",
    "MoreData",
    "Field",
    "Filter",
    "Record",
    "FilterType",
    "SourceParent",
    "TargetParent",
    "Move",
    "Correlator",
];

/// Code page 1, MetInf 1.2.
pub(crate) const PAGE_METINF: &[&str] = &[
    "Anchor",
    "EMI",
    "Format",
    "FreeID",
    "FreeMem",
    "Last",
    "Mark",
    "MaxMsgSize",
    "Mem",
    "MetInf",
    "Next",
    "NextNonce",
    "SharedMem",
    "Size",
    "Type",
    "Version",
    "MaxObjSize",
    "FieldLevel",
];

/// Token table and namespace of code page `p`; page 0's namespace is the version the
/// document's public identifier names.
pub(crate) fn page(
    p: u8,
    syncml_ns: &'static str,
) -> Option<(&'static [&'static str], &'static str)> {
    match p {
        0 => Some((PAGE_SYNCML, syncml_ns)),
        1 => Some((PAGE_METINF, NS_METINF)),
        _ => None,
    }
}

/// The tag token of element `name` on the SyncML (`metinf` false) or MetInf code page:
/// its index in the page's table plus 5 (the first token after the global ones). Both
/// encoders look tokens up here; the index is built once a process.
pub(crate) fn token_of(name: &str, metinf: bool) -> Option<u8> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static PAGES: OnceLock<[HashMap<&'static str, u8>; 2]> = OnceLock::new();
    let pages = PAGES.get_or_init(|| {
        let index = |table: &[&'static str]| {
            let mut m = HashMap::new();
            for (i, t) in table.iter().enumerate() {
                if !t.is_empty() {
                    m.entry(*t).or_insert(i as u8 + 5);
                }
            }
            m
        };
        [index(PAGE_SYNCML), index(PAGE_METINF)]
    });
    pages[usize::from(metinf)].get(name).copied()
}

/// Decode one SyncML DM message from WBXML bytes.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    decode_keeping(bytes, || bytes::Bytes::copy_from_slice(bytes))
}

/// [`decode`], `keep` giving what [`Decoded::raw`] holds (see `xml::decode_keeping`).
pub(crate) fn decode_keeping(
    bytes: &[u8],
    keep: impl FnOnce() -> bytes::Bytes,
) -> Result<Decoded, DecodeError> {
    let (mut r, version, public_id) = head(bytes)?;
    r.stream = Some(None);
    let (root, pages, stream) = body(r)?;
    let mut decoded = Decoded::from_parts(keep, root, stream, Encoding::Wbxml)?;
    decoded.wbxml = Some(Head { version, public_id });
    decoded.pages = pages;
    Ok(decoded)
}

pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) strtbl: &'a [u8],
    pub(crate) page: u8,
    /// Namespace of code page 0, from the public identifier.
    pub(crate) syncml_ns: &'static str,
    /// Names of the open elements, for error paths.
    path: Vec<std::borrow::Cow<'static, str>>,
    /// Where an element of the first three levels started on a code page other than
    /// 0, so one command can be read again alone ([`parse_element_at`]).
    pages: Vec<(usize, u8)>,
    /// `Some` when decoding: the commands of the first SyncBody of a SyncML root are
    /// mapped as they close ([`BodyStream`]), and do not stay in the tree.
    stream: Option<Option<BodyStream>>,
    /// The root's namespace, for the stream's foreign-element walk.
    root_ns: Option<String>,
}

impl<'a> Reader<'a> {
    fn err(&self, message: impl Into<String>) -> DecodeError {
        self.err_at(self.pos, message)
    }

    fn err_at(&self, offset: usize, message: impl Into<String>) -> DecodeError {
        DecodeError::Syntax {
            offset,
            path: if self.path.is_empty() {
                "/".into()
            } else {
                self.path.join("/")
            },
            message: message.into(),
        }
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .b
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end of input"))?;
        self.pos += 1;
        Ok(b)
    }

    /// A multi-byte unsigned integer (7 bits per byte, high bit = more follow).
    pub(crate) fn mb_u32(&mut self) -> Result<u32, DecodeError> {
        let mut v: u32 = 0;
        for _ in 0..5 {
            let b = self.byte()?;
            v = v
                .checked_shl(7)
                .filter(|_| v >> 25 == 0)
                .ok_or_else(|| self.err("multi-byte integer overflows 32 bits"))?
                | u32::from(b & 0x7F);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("multi-byte integer longer than 5 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| self.err(format!("length {n} runs past the end of input")))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn cstr(&mut self) -> Result<String, DecodeError> {
        let rest = &self.b[self.pos..];
        let n = rest
            .iter()
            .position(|&c| c == 0)
            .ok_or_else(|| self.err("inline string without its terminating NUL"))?;
        let s = std::str::from_utf8(&rest[..n])
            .map_err(|_| self.err("inline string is not UTF-8"))?
            .to_owned();
        self.pos += n + 1;
        Ok(s)
    }

    fn table_str(&self, offset: u32) -> Result<String, DecodeError> {
        let rest = self
            .strtbl
            .get(offset as usize..)
            .ok_or_else(|| self.err(format!("string table offset {offset} out of range")))?;
        // Some encoders leave out the last NUL of the table.
        let n = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        std::str::from_utf8(&rest[..n])
            .map(str::to_owned)
            .map_err(|_| self.err("string table entry is not UTF-8"))
    }
}

/// Parse WBXML bytes into an element tree.
pub fn parse_tree(bytes: &[u8]) -> Result<Element, DecodeError> {
    parse_document(bytes).map(|d| d.root)
}

/// Parse WBXML bytes into their header and element tree.
pub fn parse_document(bytes: &[u8]) -> Result<Document, DecodeError> {
    parse(bytes).map(|(doc, _)| doc)
}

/// The document, and where its upper elements started on a page other than 0.
fn parse(bytes: &[u8]) -> Result<(Document, Vec<(usize, u8)>), DecodeError> {
    let (r, version, public_id) = head(bytes)?;
    let (root, pages, _) = body(r)?;
    Ok((
        Document {
            version,
            public_id,
            root,
        },
        pages,
    ))
}

/// The root element after the header, where upper elements started on a page other
/// than 0, and the commands streamed if the reader was asked to.
type Body = (Element, Vec<(usize, u8)>, Option<BodyStream>);

fn body(mut r: Reader) -> Result<Body, DecodeError> {
    let root = element(&mut r, None)?;
    if r.pos != r.b.len() {
        return Err(r.err("bytes after the root element"));
    }
    Ok((root, r.pages, r.stream.flatten()))
}

/// The element starting at byte `at` of a document `parse` read whole, on `page`
/// there: one command as evidence, without the tree of the rest.
pub(crate) fn parse_element_at(bytes: &[u8], at: usize, page: u8) -> Option<Element> {
    let (mut r, _, _) = head(bytes).ok()?;
    r.pos = at;
    r.page = page;
    let ns = r.syncml_ns;
    element(&mut r, Some(ns)).ok()
}

/// The header read, and a reader standing at the root element.
pub(crate) fn head(bytes: &[u8]) -> Result<(Reader<'_>, u8, PublicId), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut r = Reader {
        b: bytes,
        pos: 0,
        strtbl: &[],
        page: 0,
        syncml_ns: NS_SYNCML_1_2,
        path: Vec::new(),
        pages: Vec::new(),
        stream: None,
        root_ns: None,
    };
    let version = r.byte()?;
    if !(0x01..=0x03).contains(&version) {
        return Err(r.err(format!(
            "WBXML version byte {version:#04x} is not 1.1 to 1.3"
        )));
    }
    let public_id = r.mb_u32()?;
    // 0 = the identifier is a string in the string table, at the index that follows.
    let literal_id = if public_id == 0 {
        Some(r.mb_u32()?)
    } else {
        None
    };
    let charset = r.mb_u32()?;
    if charset != CHARSET_UTF8 && charset != 0 {
        return Err(r.err(format!("charset MIBenum {charset} is not UTF-8 (106)")));
    }
    let len = r.mb_u32()? as usize;
    r.strtbl = r.take(len)?;
    let public_id = match literal_id {
        Some(i) => {
            let fpi = r.table_str(i)?;
            if !fpi.contains("SyncML") {
                return Err(r.err(format!("public identifier {fpi:?} is not SyncML")));
            }
            PublicId::Literal(fpi)
        }
        None => PublicId::Numeric(public_id),
    };
    r.syncml_ns = public_id.syncml_namespace();
    Ok((r, version, public_id))
}

fn element(r: &mut Reader, parent_ns: Option<&str>) -> Result<Element, DecodeError> {
    if r.path.len() >= MAX_DEPTH {
        return Err(DecodeError::TooDeep {
            offset: r.pos,
            path: r.path.join("/"),
        });
    }
    let start = r.pos;
    if r.path.len() <= 2 && r.page != 0 {
        r.pages.push((start, r.page));
    }
    let mut tag_at = r.pos;
    let mut tag = r.byte()?;
    while tag == SWITCH_PAGE {
        r.page = r.byte()?;
        tag_at = r.pos;
        tag = r.byte()?;
    }
    let (table, ns) =
        page(r.page, r.syncml_ns).ok_or_else(|| r.err(format!("unknown code page {}", r.page)))?;
    let id = tag & 0x3F;
    let name: std::borrow::Cow<'static, str> = if id == LITERAL {
        let i = r.mb_u32()?;
        r.table_str(i)?.into()
    } else {
        match table.get((id as usize).wrapping_sub(5)) {
            Some(n) if id >= 5 && !n.is_empty() => (*n).into(),
            _ => {
                return Err(r.err_at(
                    tag_at,
                    format!("unknown tag token {tag:#04x} on code page {}", r.page),
                ));
            }
        }
    };
    if tag & HAS_ATTRIBUTES != 0 {
        return Err(r.err(format!(
            "<{name}> has attributes, which SyncML DM does not use"
        )));
    }
    let mut el = Element::new(name.as_ref());
    el.namespace = (parent_ns != Some(ns)).then(|| ns.to_owned());
    // The first SyncBody of a SyncML root, when decoding: its commands are streamed.
    let streamed = match &mut r.stream {
        Some(slot @ None)
            if r.path.len() == 1 && r.path[0] == "SyncML" && el.name == "SyncBody" =>
        {
            *slot = Some(BodyStream::new(
                r.root_ns.as_deref(),
                el.namespace.as_deref(),
                start,
                r.b.len(),
            ));
            true
        }
        _ => false,
    };
    if r.path.is_empty() {
        r.root_ns = el.namespace.clone();
    }
    r.path.push(name);
    if tag & HAS_CONTENT != 0 {
        loop {
            let at = r.pos;
            let t =
                *r.b.get(at)
                    .ok_or_else(|| r.err("unexpected end of input: elements left open"))?;
            match t {
                END => {
                    r.pos += 1;
                    break;
                }
                STR_I => {
                    r.pos += 1;
                    let s = r.cstr()?;
                    push_owned(&mut el, s);
                }
                STR_T => {
                    r.pos += 1;
                    let i = r.mb_u32()?;
                    let s = r.table_str(i)?;
                    push_owned(&mut el, s);
                }
                ENTITY => {
                    r.pos += 1;
                    let c = r.mb_u32()?;
                    let ch = char::from_u32(c)
                        .ok_or_else(|| r.err(format!("entity {c} is not a character")))?;
                    push_text(&mut el, ch.encode_utf8(&mut [0; 4]));
                }
                OPAQUE => {
                    r.pos += 1;
                    let n = r.mb_u32()? as usize;
                    let data = r.take(n)?;
                    match std::str::from_utf8(data) {
                        Ok(text) => push_text(&mut el, text),
                        Err(_) => el.push_child(Node::Opaque(data.to_vec())),
                    }
                }
                0x40..=0x42 | 0x43 | 0x80..=0x82 | 0xC0..=0xC2 => {
                    return Err(r.err(format!(
                        "token {t:#04x} (extension or processing instruction) is not used by \
                         SyncML DM"
                    )));
                }
                _ => {
                    let child = element(r, Some(ns))?;
                    match r.stream.as_mut().and_then(Option::as_mut) {
                        Some(b) if streamed && child.name != "Final" => b.push(child),
                        _ => el.push_child(Node::Element(child)),
                    }
                }
            }
        }
    }
    r.path.pop();
    el.span = start..r.pos;
    el.shrink();
    Ok(el)
}

/// [`push_text`] of a string read already: moved in, not copied, where it starts a node.
fn push_owned(el: &mut Element, s: String) {
    match el.children.last_mut() {
        Some(Node::Text(prev)) => prev.push_str(&s),
        _ if s.is_empty() => {}
        _ => el.push_child(Node::Text(s)),
    }
}

fn push_text(el: &mut Element, s: &str) {
    if let Some(Node::Text(prev)) = el.children.last_mut() {
        prev.push_str(s);
    } else if !s.is_empty() {
        el.push_child(Node::Text(s.to_owned()));
    }
}

/// Encode a message as WBXML 1.3 with the SyncML 1.2 public identifier; text as inline
/// strings; elements outside the two code pages as LITERAL tags named in the string
/// table.
pub fn encode(message: &SyncML) -> Vec<u8> {
    encode_document(&Document {
        version: 0x03,
        public_id: PublicId::Numeric(PUBLIC_ID_SYNCML_1_2),
        root: message.to_element(),
    })
}

/// Encode an element tree as it stands (its order, not the model's) under the given
/// header: for fixtures that need another version or public identifier, or elements
/// out of order. Namespaces other than MetInf go to code page 0.
pub fn encode_document(doc: &Document) -> Vec<u8> {
    let mut strtbl = Vec::new();
    let mut out = vec![doc.version];
    match &doc.public_id {
        PublicId::Numeric(n) => mb_u32(*n, &mut out),
        PublicId::Literal(fpi) => {
            out.push(0);
            let i = string_index(&mut strtbl, fpi);
            mb_u32(i, &mut out);
        }
    }
    let mut body = Vec::new();
    let mut page = 0u8;
    write_element(&doc.root, None, &mut page, &mut body, &mut strtbl);
    mb_u32(CHARSET_UTF8, &mut out);
    mb_u32(strtbl.len() as u32, &mut out);
    out.extend_from_slice(&strtbl);
    out.extend_from_slice(&body);
    out
}

pub(crate) fn mb_u32(mut v: u32, out: &mut Vec<u8>) {
    let mut tmp = [0u8; 5];
    let mut i = 4;
    tmp[i] = (v & 0x7F) as u8;
    v >>= 7;
    while v > 0 {
        i -= 1;
        tmp[i] = 0x80 | (v & 0x7F) as u8;
        v >>= 7;
    }
    out.extend_from_slice(&tmp[i..]);
}

pub(crate) fn string_index(strtbl: &mut Vec<u8>, s: &str) -> u32 {
    let mut at = 0;
    for entry in strtbl.split(|&b| b == 0) {
        if entry == s.as_bytes() && at < strtbl.len() {
            return at as u32;
        }
        at += entry.len() + 1;
    }
    let i = strtbl.len() as u32;
    strtbl.extend_from_slice(s.as_bytes());
    strtbl.push(0);
    i
}

fn write_element(
    el: &Element,
    parent_ns: Option<&str>,
    page: &mut u8,
    out: &mut Vec<u8>,
    strtbl: &mut Vec<u8>,
) {
    let ns = el
        .namespace
        .as_deref()
        .or(parent_ns)
        .unwrap_or(NS_SYNCML_1_2);
    let want = if ns == NS_METINF { 1 } else { 0 };
    if *page != want {
        out.extend_from_slice(&[SWITCH_PAGE, want]);
        *page = want;
    }
    let content = if el.children.is_empty() {
        0
    } else {
        HAS_CONTENT
    };
    match token_of(&el.name, want == 1) {
        Some(t) => out.push(t | content),
        None => {
            out.push(LITERAL | content);
            let i = string_index(strtbl, &el.name);
            mb_u32(i, out);
        }
    }
    if content == 0 {
        return;
    }
    for c in &el.children {
        match c {
            Node::Element(child) => write_element(child, Some(ns), page, out, strtbl),
            Node::Opaque(b) => {
                out.push(OPAQUE);
                mb_u32(b.len() as u32, out);
                out.extend_from_slice(b);
            }
            Node::Text(t) => {
                // NUL cannot sit in an inline string; carry such text as opaque data.
                if t.contains('\0') {
                    out.push(OPAQUE);
                    mb_u32(t.len() as u32, out);
                    out.extend_from_slice(t.as_bytes());
                } else {
                    out.push(STR_I);
                    out.extend_from_slice(t.as_bytes());
                    out.push(0);
                }
            }
        }
    }
    out.push(END);
}

#[cfg(test)]
mod tests;
