//! Streaming wire views for the command line: `dmct decode` and `dmct encode --wbxml`
//! without an element tree or a model.
//!
//! The tree path (`decode`, then [`Decoded::wire_text`](crate::xml::Decoded::wire_text)
//! or [`wbxml::encode`](crate::wbxml::encode)) stays the definition: a streaming
//! function here either gives exactly its output, or gives up (`None`, nothing
//! written) and the caller takes the tree path, which then also gives the error a bad
//! message earns. So the streaming readers only need to accept a subset of what the
//! tree path accepts: they check syntax as the tree readers do and the shape of the
//! message as the model's mapping does ([`Schema`]), and refuse anything else.

use crate::model::NS_METINF;
use crate::wbxml::{
    CHARSET_UTF8, END, ENTITY, HAS_ATTRIBUTES, HAS_CONTENT, LITERAL, OPAQUE, PUBLIC_ID_SYNCML_1_2,
    Reader, STR_I, STR_T, SWITCH_PAGE,
};
use crate::xml::MAX_DEPTH;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// The streaming path gave up: take the tree path.
#[derive(Debug)]
struct GiveUp;

type Step = Result<(), GiveUp>;

mod head;
mod schema;
mod view;
pub use head::{SessionHead, session_head};
use schema::{Kind, Schema, holds_elements_only};
pub(crate) use view::Marker;
pub use view::{Capped, Marks, write_wire_text, write_wire_text_marking, xml_marks};

// ---------------------------------------------------------------------------------
// WBXML tokens.

/// What a reader of the document is told, in wire order.
trait Sink<'a> {
    /// An element; `ns` is its code page's namespace where it differs from its
    /// parent's (as the tree records it); `at`, where its bytes start (before any page
    /// switch, as the tree's spans start).
    fn start(&mut self, name: &'a str, ns: Option<&'static str>, at: usize) -> Step;
    fn text(&mut self, t: &str) -> Step;
    /// Opaque data that is not UTF-8 (UTF-8 opaque data comes as text).
    fn opaque(&mut self, b: &[u8]) -> Step;
    /// The innermost element ends; `at`, just after its last byte.
    fn end(&mut self, at: usize) -> Step;
}

fn table_str<'a>(r: &Reader<'a>, offset: u32) -> Result<&'a str, GiveUp> {
    let rest = r.strtbl.get(offset as usize..).ok_or(GiveUp)?;
    // Some encoders leave out the last NUL of the table.
    let n = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
    std::str::from_utf8(&rest[..n]).map_err(|_| GiveUp)
}

fn byte(r: &mut Reader) -> Result<u8, GiveUp> {
    let b = *r.b.get(r.pos).ok_or(GiveUp)?;
    r.pos += 1;
    Ok(b)
}

fn mb_u32(r: &mut Reader) -> Result<u32, GiveUp> {
    r.mb_u32().map_err(|_| GiveUp)
}

/// One element's tag; true when content follows.
fn wbxml_start<'a>(
    r: &mut Reader<'a>,
    open: &mut Vec<&'static str>,
    sink: &mut impl Sink<'a>,
) -> Result<bool, GiveUp> {
    if open.len() >= MAX_DEPTH {
        return Err(GiveUp);
    }
    let at = r.pos;
    let mut tag = byte(r)?;
    while tag == SWITCH_PAGE {
        r.page = byte(r)?;
        tag = byte(r)?;
    }
    let (table, ns) = crate::wbxml::page(r.page, r.syncml_ns).ok_or(GiveUp)?;
    let id = tag & 0x3F;
    let name: &'a str = if id == LITERAL {
        let i = mb_u32(r)?;
        table_str(r, i)?
    } else {
        match table.get((id as usize).wrapping_sub(5)) {
            Some(n) if id >= 5 && !n.is_empty() => n,
            _ => return Err(GiveUp),
        }
    };
    if tag & HAS_ATTRIBUTES != 0 {
        return Err(GiveUp);
    }
    sink.start(name, (open.last() != Some(&ns)).then_some(ns), at)?;
    if tag & HAS_CONTENT != 0 {
        open.push(ns);
        Ok(true)
    } else {
        sink.end(r.pos)?;
        Ok(false)
    }
}

/// Read a WBXML document as `wbxml::parse` does, telling `sink` what it holds.
fn walk_wbxml<'a>(bytes: &'a [u8], sink: &mut impl Sink<'a>) -> Step {
    let (mut r, _, _) = crate::wbxml::head(bytes).map_err(|_| GiveUp)?;
    // The namespace of each open element.
    let mut open: Vec<&'static str> = Vec::with_capacity(16);
    wbxml_start(&mut r, &mut open, sink)?;
    while !open.is_empty() {
        let t = *r.b.get(r.pos).ok_or(GiveUp)?;
        match t {
            END => {
                r.pos += 1;
                open.pop();
                sink.end(r.pos)?;
            }
            STR_I => {
                r.pos += 1;
                let rest = &r.b[r.pos..];
                let n = rest.iter().position(|&c| c == 0).ok_or(GiveUp)?;
                let s = std::str::from_utf8(&rest[..n]).map_err(|_| GiveUp)?;
                r.pos += n + 1;
                sink.text(s)?;
            }
            STR_T => {
                r.pos += 1;
                let i = mb_u32(&mut r)?;
                let s = table_str(&r, i)?;
                sink.text(s)?;
            }
            ENTITY => {
                r.pos += 1;
                let c = mb_u32(&mut r)?;
                let ch = char::from_u32(c).ok_or(GiveUp)?;
                sink.text(ch.encode_utf8(&mut [0; 4]))?;
            }
            OPAQUE => {
                r.pos += 1;
                let n = mb_u32(&mut r)? as usize;
                let end = r
                    .pos
                    .checked_add(n)
                    .filter(|e| *e <= r.b.len())
                    .ok_or(GiveUp)?;
                let data = &r.b[r.pos..end];
                r.pos = end;
                match std::str::from_utf8(data) {
                    Ok(text) => sink.text(text)?,
                    Err(_) => sink.opaque(data)?,
                }
            }
            0x40..=0x43 | 0x80..=0x82 | 0xC0..=0xC2 => return Err(GiveUp),
            _ => {
                wbxml_start(&mut r, &mut open, sink)?;
            }
        }
    }
    if r.pos != bytes.len() {
        return Err(GiveUp);
    }
    Ok(())
}

impl<'a> Sink<'a> for Schema {
    fn start(&mut self, name: &'a str, _: Option<&'static str>, _: usize) -> Step {
        self.open(name).map(|_| ())
    }
    fn text(&mut self, t: &str) -> Step {
        Schema::text(self, t)
    }
    fn opaque(&mut self, _: &[u8]) -> Step {
        Ok(())
    }
    fn end(&mut self, _: usize) -> Step {
        self.close()
    }
}

// ---------------------------------------------------------------------------------
// XML events.

/// An element's namespace as the tree records it: none where it is its parent's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Recorded {
    Parents,
    MetInf,
    Other,
}

trait XmlSink {
    fn start(&mut self, name: &str, ns: Recorded) -> Step;
    fn text(&mut self, t: &str) -> Step;
    fn end(&mut self) -> Step;
    /// Give up where the tree reader refuses the syntax (an undeclared prefix, a bad
    /// attribute, text outside the root); a lenient reader reads on.
    fn strict(&self) -> bool {
        true
    }
    /// Whether the text about to come is read (a lenient sink may skip decoding it).
    fn wants_text(&self) -> bool {
        true
    }
}

/// quick-xml's reader: resolving namespaces for a strict sink, which needs them
/// (and an undeclared prefix refused), or plain for a lenient one, which reads local
/// names only and need not pay for the resolution.
enum XmlReader<'a> {
    Resolving(NsReader<&'a [u8]>),
    Plain(quick_xml::Reader<&'a [u8]>),
}

impl<'a> XmlReader<'a> {
    fn next(&mut self) -> quick_xml::Result<(ResolveResult<'_>, Event<'a>)> {
        match self {
            XmlReader::Resolving(r) => r.read_resolved_event(),
            XmlReader::Plain(r) => Ok((ResolveResult::Unbound, r.read_event()?)),
        }
    }
}

/// Read XML as `xml::parse_tree` does, telling `sink` what it holds.
fn walk_xml(bytes: &[u8], sink: &mut impl XmlSink) -> Step {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(GiveUp);
    }
    let skip = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let text = std::str::from_utf8(&bytes[skip..]).map_err(|_| GiveUp)?;
    let mut reader = if sink.strict() {
        let mut r = NsReader::from_str(text);
        r.config_mut().trim_text(false);
        XmlReader::Resolving(r)
    } else {
        let mut r = quick_xml::Reader::from_str(text);
        r.config_mut().trim_text(false);
        XmlReader::Plain(r)
    };
    // The namespaces met, so an open element's is a number (no allocation each).
    let mut known: Vec<String> = Vec::new();
    // Each open element's namespace: an index into `known`, or none.
    let mut open: Vec<Option<usize>> = Vec::with_capacity(16);
    let mut root_seen = false;
    loop {
        let (ns, event) = reader.next().map_err(|_| GiveUp)?;
        let ns = match ns {
            ResolveResult::Bound(n) => {
                let n = n.into_inner();
                Some(match known.iter().position(|k| k == n) {
                    Some(i) => i,
                    None => {
                        known.push(n.to_owned());
                        known.len() - 1
                    }
                })
            }
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(_) => {
                if sink.strict() && matches!(event, Event::Start(_) | Event::Empty(_)) {
                    return Err(GiveUp);
                }
                None
            }
        };
        match event {
            Event::Start(_) | Event::Empty(_) if root_seen => return Err(GiveUp),
            Event::Start(ref start) | Event::Empty(ref start) => {
                let empty = matches!(event, Event::Empty(_));
                if !empty && open.len() >= MAX_DEPTH {
                    return Err(GiveUp);
                }
                if sink.strict() {
                    for attr in start.attributes() {
                        let attr = attr.map_err(|_| GiveUp)?;
                        let key = attr.key.into_inner();
                        if key == "xmlns" || key.starts_with("xmlns:") {
                            continue;
                        }
                        attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|_| GiveUp)?;
                    }
                }
                // As `xml::open` records it.
                let rec = match open.last() {
                    Some(p) if *p == ns => Recorded::Parents,
                    _ => match ns {
                        Some(i) if known[i] == NS_METINF => Recorded::MetInf,
                        _ if open.is_empty() && ns.is_none() => Recorded::Parents,
                        _ => Recorded::Other,
                    },
                };
                let local = start.local_name();
                let name = local.into_inner();
                sink.start(name, rec)?;
                if empty {
                    sink.end()?;
                    root_seen |= open.is_empty();
                } else {
                    open.push(ns);
                }
            }
            Event::End(_) => {
                open.pop().ok_or(GiveUp)?;
                sink.end()?;
                root_seen |= open.is_empty();
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if !sink.wants_text() => {}
            Event::Text(t) => xml_text(&open, sink, &t.xml10_content())?,
            Event::CData(c) => xml_text(&open, sink, &c.into_inner())?,
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        _ => return Err(GiveUp),
                    }
                } else {
                    let name = r.into_inner();
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or(GiveUp)?
                        .to_owned()
                };
                xml_text(&open, sink, &resolved)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !open.is_empty() || !root_seen {
        return Err(GiveUp);
    }
    Ok(())
}

fn xml_text(open: &[Option<usize>], sink: &mut impl XmlSink, t: &str) -> Step {
    if open.is_empty() {
        // Outside the root only white space is allowed.
        return if t.trim().is_empty() || !sink.strict() {
            Ok(())
        } else {
            Err(GiveUp)
        };
    }
    sink.text(t)
}

struct XmlSchema(Schema);

impl XmlSink for XmlSchema {
    fn start(&mut self, name: &str, _: Recorded) -> Step {
        self.0.open(name).map(|_| ())
    }
    fn text(&mut self, t: &str) -> Step {
        self.0.text(t)
    }
    fn end(&mut self) -> Step {
        self.0.close()
    }
}

// ---------------------------------------------------------------------------------
// XML to WBXML.

struct EncFrame {
    kind: Kind,
    /// Written in the MetInf namespace (code page 1).
    metinf: bool,
    /// Where its tag byte is, to drop the content bit if nothing follows.
    tag_at: usize,
    content: bool,
}

/// Writes the WBXML `wbxml::encode` writes from the model, for messages whose elements
/// come in the model's order (anything else gives up).
struct Encoder {
    schema: Schema,
    frames: Vec<EncFrame>,
    body: Vec<u8>,
    strtbl: Vec<u8>,
    page: u8,
    /// The innermost element's text not written yet (adjacent pieces are one node).
    text: String,
}

impl Encoder {
    /// The pending text as a node of the innermost element, where it keeps its text.
    fn flush_text(&mut self) {
        let Some(top) = self.frames.last_mut() else {
            return;
        };
        if self.text.is_empty() || holds_elements_only(top.kind) {
            self.text.clear();
            return;
        }
        top.content = true;
        // NUL cannot sit in an inline string; such text goes as opaque data.
        if self.text.contains('\0') {
            self.body.push(OPAQUE);
            crate::wbxml::mb_u32(self.text.len() as u32, &mut self.body);
            self.body.extend_from_slice(self.text.as_bytes());
        } else {
            self.body.push(STR_I);
            self.body.extend_from_slice(self.text.as_bytes());
            self.body.push(0);
        }
        self.text.clear();
    }
}

impl XmlSink for Encoder {
    fn start(&mut self, name: &str, rec: Recorded) -> Step {
        let kind = self.schema.open(name)?;
        if !self.schema.in_model_order {
            return Err(GiveUp);
        }
        self.flush_text();
        let parent = self.frames.last_mut();
        let metinf = match (kind, rec, parent.as_deref()) {
            (Kind::Root, _, _) => false,
            (Kind::MetaLeaf, _, _) => true,
            // Kept elements keep the namespace the tree recorded.
            (Kind::Any, Recorded::MetInf, _) => true,
            (Kind::Any, Recorded::Other, _) => false,
            (_, _, Some(p)) => p.metinf,
            (_, _, None) => false,
        };
        if let Some(p) = parent {
            p.content = true;
        }
        let want = u8::from(metinf);
        if self.page != want {
            self.body.extend_from_slice(&[SWITCH_PAGE, want]);
            self.page = want;
        }
        let tag_at = self.body.len();
        match crate::wbxml::token_of(name, metinf) {
            Some(t) => self.body.push(t | HAS_CONTENT),
            None => {
                self.body.push(LITERAL | HAS_CONTENT);
                let i = crate::wbxml::string_index(&mut self.strtbl, name);
                crate::wbxml::mb_u32(i, &mut self.body);
            }
        }
        self.frames.push(EncFrame {
            kind,
            metinf,
            tag_at,
            content: false,
        });
        Ok(())
    }

    fn text(&mut self, t: &str) -> Step {
        self.schema.text(t)?;
        self.text.push_str(t);
        Ok(())
    }

    fn end(&mut self) -> Step {
        self.schema.close()?;
        self.flush_text();
        let f = self.frames.pop().ok_or(GiveUp)?;
        if f.content {
            self.body.push(END);
        } else {
            self.body[f.tag_at] &= !HAS_CONTENT;
        }
        Ok(())
    }
}

/// What `dmct encode --wbxml` writes for an XML message (`wbxml::encode` of its
/// model), if the streaming path can follow it; `None`: take the tree path.
pub fn xml_to_wbxml(bytes: &[u8]) -> Option<Vec<u8>> {
    if matches!(bytes.first(), Some(0x01..=0x03)) {
        return None;
    }
    let mut enc = Encoder {
        schema: Schema::new(),
        frames: Vec::with_capacity(16),
        body: Vec::with_capacity(bytes.len() / 2),
        strtbl: Vec::new(),
        page: 0,
        text: String::new(),
    };
    walk_xml(bytes, &mut enc).ok()?;
    let mut out = Vec::with_capacity(enc.body.len() + enc.strtbl.len() + 8);
    out.push(0x03);
    crate::wbxml::mb_u32(PUBLIC_ID_SYNCML_1_2, &mut out);
    crate::wbxml::mb_u32(CHARSET_UTF8, &mut out);
    crate::wbxml::mb_u32(enc.strtbl.len() as u32, &mut out);
    out.extend_from_slice(&enc.strtbl);
    out.extend_from_slice(&enc.body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_view(bytes: &[u8]) -> Option<String> {
        crate::decode(bytes).ok().map(|d| d.wire_text())
    }

    fn stream_view(bytes: &[u8]) -> Option<String> {
        let mut out = Vec::new();
        write_wire_text(bytes, &mut out)
            .unwrap()
            .then(|| String::from_utf8(out).unwrap())
    }

    const MSG: &str = "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
        <VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>\
        <Target><LocURI>a</LocURI></Target><Source><LocURI>b</LocURI></Source>\
        <Meta><MaxMsgSize xmlns=\"syncml:metinf\">5000</MaxMsgSize></Meta></SyncHdr>\
        <SyncBody><Get><CmdID>2</CmdID><Item><Target><LocURI>./x &amp; y</LocURI>\
        </Target><Data><V xmlns=\"urn:v\"> 1 <W/></V></Data></Item></Get><Final/>\
        </SyncBody></SyncML>";

    #[test]
    fn both_views_and_the_encoding_equal_the_tree_paths() {
        let wb = crate::wbxml::encode(&crate::decode(MSG.as_bytes()).unwrap().message);
        assert_eq!(stream_view(MSG.as_bytes()), tree_view(MSG.as_bytes()));
        assert_eq!(stream_view(&wb), tree_view(&wb));
        assert!(stream_view(&wb).unwrap().contains("<Final/>"));
        assert_eq!(xml_to_wbxml(MSG.as_bytes()), Some(wb));
    }

    /// A command after one that left the MetInf code page starts with the switch back
    /// (its span does too); an empty element is marked as its one tag. The marks are the
    /// tree path's, and each shows the element named.
    #[test]
    fn marks_follow_page_switches_and_empty_elements() {
        let meta = "<Add><CmdID>3</CmdID><Item><Target><LocURI>./y</LocURI></Target><Meta>\
            <Format xmlns=\"syncml:metinf\">node</Format></Meta></Item></Add>\
            <Get><CmdID>4</CmdID><Item><Target><LocURI>./z</LocURI></Target></Item></Get>";
        let msg = MSG.replace("<Final/>", &format!("{meta}<Final/>"));
        let wb = crate::wbxml::encode(&crate::decode(msg.as_bytes()).unwrap().message);
        let d = crate::decode(&wb).unwrap();
        let get = d.spans.commands.get(2).unwrap();
        assert_eq!(
            wb[get.start], SWITCH_PAGE,
            "the Get's span starts with the switch"
        );
        let final_at = get.end..get.end + 1;
        let spans = [get.clone(), d.spans.hdr.clone(), final_at];
        let mut out = Vec::new();
        let marks = write_wire_text_marking(&wb, &mut out, &spans)
            .unwrap()
            .unwrap();
        assert_eq!(marks, d.tree_wire_text_marking(&spans).1);
        let view = String::from_utf8(out).unwrap();
        let shown = |i: usize| &view[marks[i].clone().unwrap()];
        assert!(shown(0).starts_with("<Get>\n") && shown(0).ends_with("</Get>"));
        assert!(shown(0).contains("./z") && !shown(0).contains("./y"));
        assert!(shown(1).starts_with("<SyncHdr>") && shown(1).ends_with("</SyncHdr>"));
        assert_eq!(shown(2), "<Final/>");
    }

    #[test]
    fn what_the_tree_path_refuses_or_reorders_is_left_to_it() {
        // A Status without its required children: the tree path names the error.
        let bad = MSG.replace("<Final/>", "<Status><CmdID>3</CmdID></Status>");
        assert_eq!(tree_view(bad.as_bytes()), None);
        assert_eq!(stream_view(bad.as_bytes()), None);
        assert_eq!(xml_to_wbxml(bad.as_bytes()), None);
        // MsgID before SessionID decodes, but the model writes it back in its order.
        let swapped = MSG.replace(
            "<SessionID>1</SessionID><MsgID>1</MsgID>",
            "<MsgID>1</MsgID><SessionID>1</SessionID>",
        );
        assert!(stream_view(swapped.as_bytes()).is_some());
        assert_eq!(xml_to_wbxml(swapped.as_bytes()), None);
        assert_eq!(stream_view(b"<SyncML>"), None);
        assert_eq!(stream_view(&[0x03, 0xA4]), None);
    }
}
