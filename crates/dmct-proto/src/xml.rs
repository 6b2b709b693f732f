//! The XML encoding of SyncML DM (`application/vnd.syncml.dm+xml`), on quick-xml.
//!
//! Decoding is bytes -> [`Element`] tree -> [`SyncML`]; encoding the reverse. The
//! decoder never expands entities other than the five predefined ones and character
//! references (a DOCTYPE is skipped, so no entity bomb can grow), limits nesting depth,
//! and names the byte offset and the element path of every error.

use crate::model::{BodyStream, Spans, SyncML};
use crate::stream::{Marker, Marks};
use crate::tree::{Element, Node};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::writer::Writer;
use std::io::Write as _;
use std::ops::Range;

/// Deeper nesting than this is refused: no DM message needs it, and it bounds the
/// recursion of everything that walks the tree.
pub const MAX_DEPTH: usize = 64;

/// The two encodings of SyncML DM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    #[default]
    Xml,
    Wbxml,
}

/// A decoded message, with the bytes it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The bytes decoded: shared with the caller's where it gave them shared.
    pub raw: bytes::Bytes,
    pub encoding: Encoding,
    pub message: SyncML,
    pub spans: Spans,
    /// For WBXML, the header of the document `raw` holds; `None` for XML, whose text
    /// is its own view.
    pub wbxml: Option<crate::wbxml::Head>,
    /// For WBXML, where the SyncHdr or a command started on a code page other than
    /// 0: enough to read one of them again alone for evidence. The tree is not kept:
    /// beside the model it would cost many times the body.
    pub(crate) pages: Vec<(usize, u8)>,
    /// Elements of a foreign namespace where a SyncML element stands (none inside Data).
    pub foreign: crate::namespace::ForeignElements,
}

/// What WBXML excerpts start with, so a reader knows the bytes were not text.
pub const WBXML_EXCERPT_LABEL: &str = "[WBXML, shown as XML]";

impl Decoded {
    /// The whole message as it was sent, for people (`dmct decode`, report bodies): XML
    /// as its own text; WBXML as indented XML written from the tree decoded from the
    /// bytes, under a comment naming the header it carried. Never written from the
    /// model, so element order and version are the sender's.
    /// For WBXML, the document (header and tree in wire order) decoded again from
    /// `raw`: what the wire view is written from. `None` for XML.
    pub fn wbxml_document(&self) -> Option<crate::wbxml::Document> {
        self.wbxml.as_ref()?;
        crate::wbxml::parse_document(&self.raw).ok()
    }

    pub fn wire_text(&self) -> String {
        self.wire_text_marking(&[]).0
    }

    /// [`wire_text`](Self::wire_text), and where in it the elements of `spans` (spans
    /// of this body, as [`Decoded::spans`] records them) are shown ([`Marks`]): a
    /// finding's span highlighted exactly in a WBXML body's XML view.
    pub fn wire_text_marking(&self, spans: &[Range<usize>]) -> (String, Marks) {
        // WBXML written straight from its tokens where the stream can follow it (the
        // same bytes, `tests/integration/stream_oracle.rs`): the tree of a large message would cost
        // tens of times its body in every report that shows it.
        if self.wbxml.is_some() {
            let mut out = Vec::new();
            if let Ok(Some(marks)) =
                crate::stream::write_wire_text_marking(&self.raw, &mut out, spans)
            {
                // The writer writes UTF-8 only, so the text is taken as it is: a copy
                // would hold the view twice (several times the body) at once.
                let text = String::from_utf8(out)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                return (text, marks);
            }
        }
        self.tree_wire_text_marking(spans)
    }

    /// [`wire_text`](Self::wire_text) written from the decoded tree: the definition the
    /// streaming writer is held to.
    pub fn tree_wire_text(&self) -> String {
        self.tree_wire_text_marking(&[]).0
    }

    /// [`tree_wire_text`](Self::tree_wire_text) with the [`Marks`] of `spans`, which
    /// the streaming writer's are held to.
    pub fn tree_wire_text_marking(&self, spans: &[Range<usize>]) -> (String, Marks) {
        match &self.wbxml_document() {
            None => {
                let text = self.raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&self.raw);
                let marks = crate::stream::xml_marks(&self.raw, spans);
                (String::from_utf8_lossy(text).into_owned(), marks)
            }
            Some(doc) => {
                let comment = wbxml_comment(doc.version, &doc.public_id, self.raw.len());
                let mut marker = Marker::new(spans);
                let text = indented_xml_marking(&doc.root, Some(&comment), &mut marker);
                (text, marker.found)
            }
        }
    }

    /// The wire text of the element at `span`: its bytes for XML; for WBXML, its
    /// subtree of the decoded tree written as XML, and labelled so.
    pub fn excerpt(&self, span: &Range<usize>) -> Option<String> {
        if self.wbxml.is_none() {
            return self
                .raw
                .get(span.clone())
                .map(|b| String::from_utf8_lossy(b).into_owned());
        }
        let el = self.wbxml_element(span)?;
        // Written after its label in one buffer: the element may hold megabytes of
        // Data, and a copy of its text would hold them once more.
        let mut w = Writer::new(format!("{WBXML_EXCERPT_LABEL} ").into_bytes());
        write_element(&mut w, &el);
        Some(
            String::from_utf8(w.into_inner())
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }

    /// The start of [`excerpt`](Self::excerpt) and how many bytes of it are left off:
    /// at least its first `keep` bytes (more only to end on a character), so evidence
    /// cut to a few hundred bytes never holds a command of megabytes whole as text.
    pub fn excerpt_prefix(&self, span: &Range<usize>, keep: usize) -> Option<(String, usize)> {
        if self.wbxml.is_none() {
            return Some(lossy_prefix(self.raw.get(span.clone())?, keep));
        }
        let el = self.wbxml_element(span)?;
        let mut out = crate::stream::Capped::new(keep.saturating_add(3));
        let _ = out.write_all(format!("{WBXML_EXCERPT_LABEL} ").as_bytes());
        let mut w = Writer::new(out);
        write_element(&mut w, &el);
        let out = w.into_inner();
        let total = out.total();
        // The writer writes UTF-8 only: the kept bytes end within a character at most.
        let mut kept = out.into_kept();
        let valid = match std::str::from_utf8(&kept) {
            Ok(_) => kept.len(),
            Err(e) => e.valid_up_to(),
        };
        kept.truncate(valid);
        let mut text = String::from_utf8(kept).ok()?;
        // At least `keep` bytes and then to the end of a character, as the XML side.
        let mut end = keep.min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        text.truncate(end);
        let cut = total - text.len();
        Some((text, cut))
    }

    /// The WBXML element at `span`, read again alone on the page it started on; from
    /// the whole tree only if that fails.
    fn wbxml_element(&self, span: &Range<usize>) -> Option<Element> {
        let page = self
            .pages
            .binary_search_by_key(&span.start, |p| p.0)
            .map_or(0, |i| self.pages[i].1);
        let alone = crate::wbxml::parse_element_at(&self.raw, span.start, page)
            .filter(|el| el.span == *span);
        match alone {
            Some(el) => Some(el),
            None => subtree(&self.wbxml_document()?.root, span).cloned(),
        }
    }

    /// The `index`-th SyncBody command as evidence, as it was on the wire.
    pub fn command_excerpt(&self, index: usize) -> Option<String> {
        self.excerpt(&self.spans.commands.get(index)?)
    }

    /// The SyncHdr as evidence, as it was on the wire.
    pub fn hdr_excerpt(&self) -> String {
        self.excerpt(&self.spans.hdr).unwrap_or_default()
    }
}

/// The start of `String::from_utf8_lossy(bytes)`: at least its first `keep` bytes (more
/// only to end on a character), and how many bytes of it are left off, without making
/// the whole text.
pub fn lossy_prefix(bytes: &[u8], keep: usize) -> (String, usize) {
    let (mut text, mut total) = (String::new(), 0);
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if text.len() < keep {
            let mut end = (keep - text.len()).min(valid.len());
            while !valid.is_char_boundary(end) {
                end += 1;
            }
            text.push_str(&valid[..end]);
        }
        total += valid.len();
        if !chunk.invalid().is_empty() {
            if text.len() < keep {
                text.push(char::REPLACEMENT_CHARACTER);
            }
            total += char::REPLACEMENT_CHARACTER.len_utf8();
        }
    }
    let cut = total - text.len();
    (text, cut)
}

/// What the wire view of a WBXML document says of its header.
pub(crate) fn wbxml_comment(version: u8, public_id: &crate::wbxml::PublicId, len: usize) -> String {
    // The version byte holds major - 1 and minor in its two nibbles.
    let (major, minor) = ((version >> 4) + 1, version & 0x0F);
    format!("WBXML {major}.{minor}, public id {public_id}, {len} bytes, shown as XML")
}

/// The first lines of every indented view: the declaration and the comment, if any.
pub(crate) fn indented_prologue(comment: Option<&str>) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if let Some(c) = comment {
        // "--" cannot sit in an XML comment (peers' literal public ids may hold it).
        let mut c = c.to_owned();
        while c.contains("--") {
            c = c.replace("--", "- -");
        }
        out.push_str(&format!("<!-- {c} -->\n"));
    }
    out
}

/// The element of the tree that spans exactly `span`.
fn subtree<'a>(el: &'a Element, span: &Range<usize>) -> Option<&'a Element> {
    if el.span == *span {
        return Some(el);
    }
    let holds = |c: &&Element| c.span.start <= span.start && span.end <= c.span.end;
    // Children sit in wire order, so a binary search finds the one holding the span
    // (a scan would cost many excerpts their count squared); text between them breaks
    // the order the search relies on, so a miss still scans.
    let at = el.children.partition_point(|n| match n {
        Node::Element(c) => c.span.end < span.end,
        Node::Text(_) | Node::Opaque(_) => true,
    });
    let found = match el.children.get(at) {
        Some(Node::Element(c)) if holds(&c) => subtree(c, span),
        _ => None,
    };
    found.or_else(|| el.elements().filter(holds).find_map(|c| subtree(c, span)))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("body is empty")]
    Empty,
    #[error("not UTF-8: invalid byte at offset {offset}")]
    NotUtf8 { offset: usize },
    #[error("malformed message at byte {offset} (in {path}): {message}")]
    Syntax {
        offset: usize,
        path: String,
        message: String,
    },
    #[error("element nesting deeper than {MAX_DEPTH} at byte {offset} (in {path})")]
    TooDeep { offset: usize, path: String },
    /// The schema error is told in this message, not chained as a source, so a chain
    /// printed whole says it once.
    #[error("not a SyncML message at byte {offset}: {error}")]
    Schema {
        offset: usize,
        error: crate::model::SchemaError,
    },
}

impl DecodeError {
    /// Byte offset the error points at, for evidence excerpts.
    pub fn offset(&self) -> usize {
        match self {
            DecodeError::Empty => 0,
            DecodeError::NotUtf8 { offset }
            | DecodeError::Syntax { offset, .. }
            | DecodeError::TooDeep { offset, .. }
            | DecodeError::Schema { offset, .. } => *offset,
        }
    }
}

/// Decode one SyncML DM message from XML bytes.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    decode_keeping(bytes, || bytes::Bytes::copy_from_slice(bytes))
}

/// Decode `bytes`; `keep` gives what [`Decoded::raw`] holds (the same bytes, shared or
/// copied), asked for only once the message decoded.
pub(crate) fn decode_keeping(
    bytes: &[u8],
    keep: impl FnOnce() -> bytes::Bytes,
) -> Result<Decoded, DecodeError> {
    let (root, stream) = parse(bytes, true)?;
    Decoded::from_parts(keep, root, stream, Encoding::Xml)
}

impl Decoded {
    /// The last step of both decoders: the commands the parser streamed (if it did)
    /// and the rest of the tree onto the model; keep the bytes.
    pub(crate) fn from_parts(
        keep: impl FnOnce() -> bytes::Bytes,
        root: Element,
        stream: Option<BodyStream>,
        encoding: Encoding,
    ) -> Result<Decoded, DecodeError> {
        let mut foreign = crate::namespace::foreign_elements(&root);
        let streamed = stream.as_ref().map(|s| s.foreign.clone());
        let (message, spans) =
            SyncML::from_streamed(&root, stream).map_err(|error| DecodeError::Schema {
                offset: error.span.start,
                error,
            })?;
        drop(root);
        if let Some(f) = streamed {
            foreign = foreign.merge(f);
        }
        Ok(Decoded {
            raw: keep(),
            encoding,
            message,
            spans,
            wbxml: None,
            pages: Vec::new(),
            foreign,
        })
    }
}

/// Encode a message as XML (UTF-8, with an XML declaration, no indentation: whitespace
/// inside `Data` is content and must not be invented).
pub fn encode(message: &SyncML) -> Vec<u8> {
    encode_element(&message.to_element())
}

/// Parse XML bytes into an element tree (the syntax layer only).
pub fn parse_tree(bytes: &[u8]) -> Result<Element, DecodeError> {
    parse(bytes, false).map(|(root, _)| root)
}

/// The element tree; with `stream`, the commands of the first SyncBody of a SyncML root
/// are mapped as they close and leave the tree (see [`BodyStream`]).
fn parse(bytes: &[u8], stream: bool) -> Result<(Element, Option<BodyStream>), DecodeError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    let skip = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let text = std::str::from_utf8(&bytes[skip..]).map_err(|e| DecodeError::NotUtf8 {
        offset: skip + e.valid_up_to(),
    })?;

    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    // (element, its resolved namespace) for each open element.
    let mut stack: Vec<(Element, Option<String>)> = Vec::new();
    let mut root: Option<Element> = None;
    let mut body: Option<BodyStream> = None;
    // A SyncBody was opened under the root (only the first is streamed), and the
    // streamed one is open (it is `stack[1]`).
    let (mut body_seen, mut streaming) = (false, false);

    let path_of = |stack: &[(Element, Option<String>)]| -> String {
        if stack.is_empty() {
            "/".to_owned()
        } else {
            stack
                .iter()
                .map(|(e, _)| e.name.as_str())
                .collect::<Vec<_>>()
                .join("/")
        }
    };

    loop {
        let before = skip + reader.buffer_position() as usize;
        let syntax = |message: String, stack: &[(Element, Option<String>)], offset: usize| {
            DecodeError::Syntax {
                offset,
                path: path_of(stack),
                message,
            }
        };
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, ev)) => (resolved(ns), ev),
            Err(e) => {
                let offset = skip + reader.error_position() as usize;
                return Err(syntax(e.to_string(), &stack, offset));
            }
        };
        let after = skip + reader.buffer_position() as usize;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(syntax(
                    "content after the root element".into(),
                    &stack,
                    before,
                ));
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(DecodeError::TooDeep {
                        offset: before,
                        path: path_of(&stack),
                    });
                }
                let ns = ns.map_err(|m| syntax(m, &stack, before))?;
                let el = open(&start, &ns, stack.last().map(|(_, n)| n), before)
                    .map_err(|m| syntax(m, &stack, before))?;
                if is_body(&stack, &el, &mut body_seen) && stream {
                    body = Some(BodyStream::new(
                        stack[0].0.namespace.as_deref(),
                        el.namespace.as_deref(),
                        before,
                        bytes.len(),
                    ));
                    streaming = true;
                }
                stack.push((el, ns));
            }
            Event::Empty(start) => {
                let ns = ns.map_err(|m| syntax(m, &stack, before))?;
                let mut el = open(&start, &ns, stack.last().map(|(_, n)| n), before)
                    .map_err(|m| syntax(m, &stack, before))?;
                el.span = before..after;
                is_body(&stack, &el, &mut body_seen);
                if let Some(b) = body.as_mut().filter(|_| streaming && stack.len() == 2)
                    && el.name != "Final"
                {
                    b.push(el);
                    continue;
                }
                match stack.last_mut() {
                    Some((parent, _)) => parent.push_child(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                // quick-xml has already checked that the end tag matches.
                let Some((mut el, _)) = stack.pop() else {
                    return Err(syntax("unmatched end tag".into(), &stack, before));
                };
                el.span.end = after;
                el.shrink();
                match (stack.len(), body.as_mut().filter(|_| streaming)) {
                    (2, Some(b)) if el.name != "Final" => {
                        b.push(el);
                        continue;
                    }
                    (1, Some(_)) => streaming = false,
                    _ => {}
                }
                match stack.last_mut() {
                    Some((parent, _)) => parent.push_child(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content(), root.is_some())
                .map_err(|m| syntax(m, &stack, before))?,
            Event::CData(c) => push_text(&mut stack, &c.into_inner(), root.is_some())
                .map_err(|m| syntax(m, &stack, before))?,
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        _ => {
                            return Err(syntax(
                                format!("invalid character reference &{};", r.into_inner()),
                                &stack,
                                before,
                            ));
                        }
                    }
                } else {
                    let name = r.into_inner();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => s.to_owned(),
                        None => {
                            return Err(syntax(
                                format!(
                                    "undefined entity &{name}; (only the predefined XML \
                                     entities are accepted)"
                                ),
                                &stack,
                                before,
                            ));
                        }
                    }
                };
                push_text(&mut stack, &resolved, root.is_some())
                    .map_err(|m| syntax(m, &stack, before))?;
            }
            Event::Eof => break,
            // Declarations, comments, processing instructions and DOCTYPE carry no
            // message content; a DOCTYPE's entities are never expanded.
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(DecodeError::Syntax {
            offset: bytes.len(),
            path: path_of(&stack),
            message: "unexpected end of input: elements left open".into(),
        });
    }
    match root {
        Some(root) => Ok((root, body)),
        None => Err(DecodeError::Syntax {
            offset: 0,
            path: "/".into(),
            message: "no root element".into(),
        }),
    }
}

/// Is `el`, opening under `stack`, the first SyncBody of a SyncML root?
fn is_body(stack: &[(Element, Option<String>)], el: &Element, seen: &mut bool) -> bool {
    let at = stack.len() == 1 && stack[0].0.name == "SyncML" && el.name == "SyncBody";
    let first = at && !*seen;
    *seen |= at;
    first
}

fn resolved(ns: ResolveResult<'_>) -> Result<Option<String>, String> {
    match ns {
        ResolveResult::Bound(ns) => Ok(Some(ns.into_inner().to_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(format!("undeclared namespace prefix '{prefix}'")),
    }
}

/// A new element; `namespace` is recorded only where it differs from the parent's, so
/// the tree says what an encoder must declare.
fn open(
    start: &BytesStart<'_>,
    ns: &Option<String>,
    parent_ns: Option<&Option<String>>,
    offset: usize,
) -> Result<Element, String> {
    let mut el = Element::new(start.local_name().into_inner());
    el.namespace = match parent_ns {
        Some(p) if p == ns => None,
        Some(_) => Some(ns.clone().unwrap_or_default()),
        None => ns.clone(),
    };
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = attr.key.into_inner();
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        el.attributes.push((key.to_owned(), value.into_owned()));
    }
    el.span = offset..offset;
    Ok(el)
}

fn push_text(
    stack: &mut [(Element, Option<String>)],
    text: &str,
    after_root: bool,
) -> Result<(), String> {
    match stack.last_mut() {
        Some((el, _)) => {
            // Adjacent text, references and CDATA form one text node.
            if let Some(Node::Text(prev)) = el.children.last_mut() {
                prev.push_str(text);
            } else if !text.is_empty() {
                el.push_child(Node::Text(text.to_owned()));
            }
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None if after_root => Err("text after the root element".into()),
        None => Err("text before the root element".into()),
    }
}

fn write_text<W: std::io::Write>(w: &mut Writer<W>, t: &str) {
    escaped_pieces(t, |escaped| {
        let _ = w.write_event(Event::Text(BytesText::from_escaped(escaped)));
    });
}

/// `t` escaped for XML text, handed to `each` a piece of at most about 64 KB at a time
/// (at least once, if empty): a Data of megabytes escaped whole would be held once more
/// beside the text and the output.
pub(crate) fn escaped_pieces(t: &str, mut each: impl FnMut(&str)) {
    let mut rest = t;
    loop {
        let mut end = rest.len().min(1 << 16);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (piece, after) = rest.split_at(end);
        // A raw CR would come back as LF (XML end-of-line handling), so it is written
        // as a character reference.
        each(&quick_xml::escape::escape(piece).replace('\r', "&#xD;"));
        rest = after;
        if rest.is_empty() {
            break;
        }
    }
}

/// An element tree as indented XML for people, in the tree's order, after an optional
/// comment. Indentation adds white space, so this is for reading, not for the wire.
pub fn indented_xml(root: &Element, comment: Option<&str>) -> String {
    indented_xml_marking(root, comment, &mut Marker::new(&[]))
}

/// [`indented_xml`], noting in `marker` where it wrote the elements asked for (by their
/// spans in the bytes the tree was read from).
pub(crate) fn indented_xml_marking(
    root: &Element,
    comment: Option<&str>,
    marker: &mut Marker,
) -> String {
    fn go(el: &Element, depth: usize, out: &mut String, marker: &mut Marker) {
        let pad = "  ".repeat(depth);
        let marked = marker.starts_at(el.span.start);
        let shown_at = out.len() + pad.len();
        // Up to the end tag's `>`: the line's end is not the element's.
        let note = |out: &String, marker: &mut Marker| {
            if marked {
                marker.shown(el.span.clone(), shown_at..out.len());
            }
        };
        let leaf = !el.has_element_children();
        let mut w = Writer::new(Vec::new());
        if leaf {
            write_element(&mut w, el);
            out.push_str(&pad);
            out.push_str(&String::from_utf8_lossy(&w.into_inner()));
            note(out, marker);
            out.push('\n');
            return;
        }
        let mut start = BytesStart::new(el.name.as_str());
        if let Some(ns) = &el.namespace {
            start.push_attribute(("xmlns", ns.as_str()));
        }
        for (k, v) in &el.attributes {
            start.push_attribute((k.as_str(), v.as_str()));
        }
        let _ = w.write_event(Event::Start(start));
        out.push_str(&pad);
        out.push_str(&String::from_utf8_lossy(&w.into_inner()));
        out.push('\n');
        for c in &el.children {
            match c {
                Node::Element(e) => go(e, depth + 1, out, marker),
                Node::Text(t) if t.trim().is_empty() => {}
                Node::Text(t) => {
                    out.push_str(&"  ".repeat(depth + 1));
                    out.push_str(&quick_xml::escape::escape(t.as_str()));
                    out.push('\n');
                }
                Node::Opaque(b) => {
                    out.push_str(&"  ".repeat(depth + 1));
                    out.push_str(&format!("<!-- {} opaque bytes -->", b.len()));
                    out.push('\n');
                }
            }
        }
        out.push_str(&pad);
        out.push_str(&format!("</{}>", el.name));
        note(out, marker);
        out.push('\n');
    }
    let mut out = indented_prologue(comment);
    go(root, 0, &mut out, marker);
    out
}

/// Serialise an element tree as an XML document.
pub fn encode_element(root: &Element) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    write_element(&mut w, root);
    w.into_inner()
}

fn write_element<W: std::io::Write>(w: &mut Writer<W>, el: &Element) {
    let mut start = BytesStart::new(el.name.as_str());
    if let Some(ns) = &el.namespace {
        start.push_attribute(("xmlns", ns.as_str()));
    }
    for (k, v) in &el.attributes {
        start.push_attribute((k.as_str(), v.as_str()));
    }
    if el.children.is_empty() {
        let _ = w.write_event(Event::Empty(start));
        return;
    }
    let _ = w.write_event(Event::Start(start));
    for child in &el.children {
        match child {
            Node::Element(c) => write_element(w, c),
            Node::Text(t) => write_text(w, t),
            Node::Opaque(b) => write_text(w, &String::from_utf8_lossy(b)),
        }
    }
    let _ = w.write_event(Event::End(BytesEnd::new(el.name.as_str())));
}

#[cfg(test)]
mod tests;
