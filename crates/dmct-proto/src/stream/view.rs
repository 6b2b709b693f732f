//! The wire view written as the tokens stream by: WBXML to indented XML in wire order
//! (what `dmct decode` prints and the HTML page shows), and where it wrote the elements
//! a report asks for.

use super::schema::Schema;
use super::{GiveUp, Sink, Step, XmlSchema, walk_wbxml, walk_xml};
use std::io::{self, Write};
use std::ops::Range;

/// A node the tree would hold: text (adjacent pieces merged) or opaque bytes.
#[derive(Clone, Copy)]
enum Pending {
    Text(usize, usize),
    Opaque(usize, usize),
}

struct IndentFrame<'a> {
    name: &'a str,
    ns: Option<&'static str>,
    /// Its start tag is written on a line of its own: it has element children.
    open: bool,
    /// Where its bytes start in the body, when a span asked for starts there.
    marked: Option<usize>,
    /// Where its start tag was written in the view (once it is).
    shown_at: usize,
}

/// Where elements sit in a wire view: for each span asked for (an element's bytes in
/// the body, as `Decoded::spans` records them), the bytes of the view that show that
/// element, from the `<` of its start tag to the `>` of its end tag; `None` where no
/// element of the body has exactly that span.
pub type Marks = Vec<Option<Range<usize>>>;

/// The spans asked for of one body and where the view showed each. Only those are
/// looked for, so a body without findings builds no map.
pub(crate) struct Marker {
    /// (start, end, index in the caller's list), sorted.
    wanted: Vec<(usize, usize, usize)>,
    pub(crate) found: Marks,
}

impl Marker {
    pub(crate) fn new(spans: &[Range<usize>]) -> Self {
        let mut wanted: Vec<_> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (s.start, s.end, i))
            .collect();
        wanted.sort_unstable();
        Marker {
            wanted,
            found: vec![None; spans.len()],
        }
    }

    /// Whether a span asked for starts at `at`.
    pub(crate) fn starts_at(&self, at: usize) -> bool {
        !self.wanted.is_empty() && self.wanted.binary_search_by_key(&at, |w| w.0).is_ok()
    }

    /// The element of the body at `body` was shown at `shown` in the view.
    pub(crate) fn shown(&mut self, body: Range<usize>, shown: Range<usize>) {
        let from = self.wanted.partition_point(|w| w.0 < body.start);
        for w in self.wanted[from..].iter().take_while(|w| w.0 == body.start) {
            if w.1 == body.end {
                self.found[w.2] = Some(shown.clone());
            }
        }
    }
}

/// A writer that keeps the first `cap` bytes written to it and counts them all: the
/// start of a view or an excerpt, without holding the whole of a large one.
pub struct Capped {
    kept: Vec<u8>,
    cap: usize,
    total: usize,
}

impl Capped {
    pub fn new(cap: usize) -> Self {
        Capped {
            kept: Vec::new(),
            cap,
            total: 0,
        }
    }

    /// How many bytes were written, kept or not.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The first `cap` bytes written.
    pub fn kept(&self) -> &[u8] {
        &self.kept
    }

    pub fn into_kept(self) -> Vec<u8> {
        self.kept
    }
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.cap.saturating_sub(self.kept.len()).min(buf.len());
        self.kept.extend_from_slice(&buf[..room]);
        self.total += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes the indented view `xml::indented_xml` writes from the tree, as the tokens
/// come. Only the innermost element's content waits (whether it is a leaf is known at
/// its first child element or its end); everything before is written.
struct Indenter<'a, W: Write> {
    out: W,
    buf: Vec<u8>,
    frames: Vec<IndentFrame<'a>>,
    /// The innermost element's nodes not written yet, as ranges of `bytes`.
    pending: Vec<Pending>,
    bytes: Vec<u8>,
    error: Option<io::Error>,
    /// Bytes handed to `out` so far: a byte of `buf` sits in the view at `written`
    /// plus its index.
    written: usize,
    marker: Marker,
}

impl<'a, W: Write> Indenter<'a, W> {
    /// Where the next byte goes in the view.
    fn offset(&self) -> usize {
        self.written + self.buf.len()
    }

    fn pad(&mut self, depth: usize) {
        for _ in 0..depth {
            self.buf.extend_from_slice(b"  ");
        }
    }

    fn start_tag(&mut self, name: &str, ns: Option<&str>, close: &[u8]) {
        self.buf.push(b'<');
        self.buf.extend_from_slice(name.as_bytes());
        if let Some(ns) = ns {
            self.buf.extend_from_slice(b" xmlns=\"");
            self.buf
                .extend_from_slice(quick_xml::escape::escape(ns).as_bytes());
            self.buf.push(b'"');
        }
        self.buf.extend_from_slice(close);
    }

    /// The pending nodes as children of an element with element children.
    fn flush_children(&mut self, depth: usize) {
        for i in 0..self.pending.len() {
            match self.pending[i] {
                Pending::Text(a, b) => {
                    let t = std::str::from_utf8(&self.bytes[a..b]).unwrap_or_default();
                    if t.trim().is_empty() {
                        continue;
                    }
                    let escaped = quick_xml::escape::escape(t).into_owned();
                    self.pad(depth);
                    self.buf.extend_from_slice(escaped.as_bytes());
                }
                Pending::Opaque(a, b) => {
                    self.pad(depth);
                    let line = format!("<!-- {} opaque bytes -->", b - a);
                    self.buf.extend_from_slice(line.as_bytes());
                }
            }
            self.buf.push(b'\n');
        }
        self.pending.clear();
        self.bytes.clear();
    }

    fn spill(&mut self) {
        if self.buf.len() >= 1 << 16 && self.error.is_none() {
            if let Err(e) = self.out.write_all(&self.buf) {
                self.error = Some(e);
            }
            self.written += self.buf.len();
            self.buf.clear();
        }
    }
}

impl<'a, W: Write> Sink<'a> for Indenter<'a, W> {
    fn start(&mut self, name: &'a str, ns: Option<&'static str>, at: usize) -> Step {
        let depth = self.frames.len();
        if let Some(top) = self.frames.last_mut() {
            if !top.open {
                top.open = true;
                let (n, s) = (top.name, top.ns);
                self.pad(depth - 1);
                let shown_at = self.offset();
                if let Some(top) = self.frames.last_mut() {
                    top.shown_at = shown_at;
                }
                self.start_tag(n, s, b">\n");
            }
            self.flush_children(depth);
        }
        self.frames.push(IndentFrame {
            name,
            ns,
            open: false,
            marked: self.marker.starts_at(at).then_some(at),
            shown_at: 0,
        });
        self.spill();
        Ok(())
    }

    fn text(&mut self, t: &str) -> Step {
        match self.pending.last_mut() {
            Some(Pending::Text(_, end)) => {
                self.bytes.extend_from_slice(t.as_bytes());
                *end = self.bytes.len();
            }
            _ if !t.is_empty() => {
                let a = self.bytes.len();
                self.bytes.extend_from_slice(t.as_bytes());
                self.pending.push(Pending::Text(a, self.bytes.len()));
            }
            _ => {}
        }
        Ok(())
    }

    fn opaque(&mut self, b: &[u8]) -> Step {
        let a = self.bytes.len();
        self.bytes.extend_from_slice(b);
        self.pending.push(Pending::Opaque(a, self.bytes.len()));
        Ok(())
    }

    fn end(&mut self, at: usize) -> Step {
        let mut top = self.frames.pop().ok_or(GiveUp)?;
        let depth = self.frames.len();
        if top.open {
            self.flush_children(depth + 1);
            self.pad(depth);
            self.buf.extend_from_slice(b"</");
            self.buf.extend_from_slice(top.name.as_bytes());
            self.buf.extend_from_slice(b">\n");
        } else if self.pending.is_empty() {
            self.pad(depth);
            top.shown_at = self.offset();
            self.start_tag(top.name, top.ns, b"/>\n");
        } else {
            self.pad(depth);
            top.shown_at = self.offset();
            self.start_tag(top.name, top.ns, b">");
            let bytes = std::mem::take(&mut self.bytes);
            for i in 0..self.pending.len() {
                let (Pending::Text(a, b) | Pending::Opaque(a, b)) = self.pending[i];
                let t = String::from_utf8_lossy(&bytes[a..b]);
                // Handed on a piece at a time: one Data of 15 MB escaped whole, then
                // copied into `buf`, held three times its size.
                crate::xml::escaped_pieces(&t, |escaped| {
                    self.buf.extend_from_slice(escaped.as_bytes());
                    self.spill();
                });
            }
            self.pending.clear();
            // A small buffer is kept for the next leaf; a large one is let go.
            if bytes.capacity() <= 1 << 16 {
                self.bytes = bytes;
                self.bytes.clear();
            }
            self.buf.extend_from_slice(b"</");
            self.buf.extend_from_slice(top.name.as_bytes());
            self.buf.extend_from_slice(b">\n");
        }
        if let Some(start) = top.marked {
            // Up to the end tag's `>`, without the line's end.
            let shown = top.shown_at..self.offset() - 1;
            self.marker.shown(start..at, shown);
        }
        self.spill();
        Ok(())
    }
}

/// Write what `dmct decode` shows of `bytes` (`Decoded::wire_text`) to `out`, if the
/// bytes are a message the tree path decodes and the streaming path can follow.
/// `Ok(false)`: nothing was written; take the tree path (which also names the error
/// of a bad message).
pub fn write_wire_text(bytes: &[u8], out: &mut impl Write) -> io::Result<bool> {
    Ok(write_wire_text_marking(bytes, out, &[])?.is_some())
}

/// [`write_wire_text`], telling where in the view it wrote the elements of `spans`
/// ([`Marks`]): how a report highlights a finding's span in a WBXML body's XML view.
/// Only the spans asked for are looked for. `Ok(None)`: nothing was written.
pub fn write_wire_text_marking(
    bytes: &[u8],
    out: &mut impl Write,
    spans: &[Range<usize>],
) -> io::Result<Option<Marks>> {
    match bytes.first() {
        Some(0x01..=0x03) => write_wbxml_view(bytes, out, spans),
        _ => {
            if walk_xml(bytes, &mut XmlSchema(Schema::new())).is_err() {
                return Ok(None);
            }
            // XML is its own view: its text as sent, without a byte order mark.
            let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            out.write_all(text)?;
            Ok(Some(xml_marks(bytes, spans)))
        }
    }
}

/// The spans of an XML body in its view: the same bytes, after any byte order mark.
pub fn xml_marks(bytes: &[u8], spans: &[Range<usize>]) -> Marks {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    spans
        .iter()
        .map(|s| {
            let r = s.start.checked_sub(bom)?..s.end.checked_sub(bom)?;
            (s.start < s.end && s.end <= bytes.len()).then_some(r)
        })
        .collect()
}

fn write_wbxml_view(
    bytes: &[u8],
    out: &mut impl Write,
    spans: &[Range<usize>],
) -> io::Result<Option<Marks>> {
    // Checked whole before the first byte is written: a message the tree path refuses
    // must print nothing but its error.
    if walk_wbxml(bytes, &mut Schema::new()).is_err() {
        return Ok(None);
    }
    let Ok((_, version, public_id)) = crate::wbxml::head(bytes) else {
        return Ok(None);
    };
    let comment = crate::xml::wbxml_comment(version, &public_id, bytes.len());
    let mut w = Indenter {
        out,
        buf: crate::xml::indented_prologue(Some(&comment)).into_bytes(),
        frames: Vec::with_capacity(16),
        pending: Vec::new(),
        bytes: Vec::new(),
        error: None,
        written: 0,
        marker: Marker::new(spans),
    };
    w.buf.reserve(1 << 17);
    // The same bytes were read once already: this cannot give up.
    if walk_wbxml(bytes, &mut w).is_err() {
        return Err(io::Error::other(
            "the streaming WBXML reader changed its mind",
        ));
    }
    if let Some(e) = w.error {
        return Err(e);
    }
    w.out.write_all(&w.buf)?;
    Ok(Some(w.marker.found))
}
