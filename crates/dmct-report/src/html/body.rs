//! Bodies and heads as the page shows them: text cut to a readable size, binary as a
//! hex dump, a one-line DM summary, HTTP status lines, how recording ended.

use super::*;
use dmct_proto::stream::Marks;
use dmct_rules::ByteSpan;
use std::borrow::Cow;

/// A message body as the page shows it.
pub(super) struct BodyView<'a> {
    /// "XML", "WBXML, shown as XML", "undecodable ...", "empty".
    pub(super) label: String,
    /// What is shown (the wire view of a decoded body, text or hex), already cut to the
    /// limit.
    pub(super) text: Cow<'a, str>,
    /// Set when `text` is cut.
    pub(super) cut_note: Option<String>,
    /// The shown text is a hex dump (no excerpt can match it).
    pub(super) hex: bool,
    /// Each span asked for that names an element of the body, and where the whole view
    /// shows that element (the shown text may be cut before it): the XML body's own
    /// bytes, or the element's lines in a WBXML body's XML view. So a finding's span
    /// is its highlight, exactly.
    pub(super) marks: Vec<(ByteSpan, Range<usize>)>,
}

impl BodyView<'_> {
    /// Where the view shows the element at `span`, if it was asked for and is one.
    pub(super) fn mark(&self, span: ByteSpan) -> Option<Range<usize>> {
        self.marks
            .iter()
            .find(|(s, _)| *s == span)
            .map(|(_, r)| r.clone())
    }
}

/// The body as the page shows it, from its decoding, with the [`BodyView::marks`] of
/// `spans` (the spans of the findings highlighted in it; none to look for elsewhere).
pub(super) fn body_view<'a>(
    body: &'a Body,
    decoded: &Result<Decoded, DecodeError>,
    spans: &[ByteSpan],
) -> BodyView<'a> {
    let bytes = body.as_bytes();
    if bytes.is_empty() {
        return BodyView {
            label: "empty body".into(),
            text: Cow::Borrowed(""),
            cut_note: None,
            hex: false,
            marks: Vec::new(),
        };
    }
    match decoded {
        Ok(decoded) => {
            let asked: Vec<Range<usize>> = spans.iter().map(|s| s.start..s.end).collect();
            let (text, cut_note, found) = shown_wire_text(decoded, &asked);
            // XML that is not UTF-8 is shown as read, so its bytes are not the text's.
            let exact = decoded.encoding == Encoding::Wbxml || std::str::from_utf8(bytes).is_ok();
            let marks = spans
                .iter()
                .zip(found)
                .filter_map(|(s, r)| Some((*s, r?)))
                .filter(|_| exact)
                .collect();
            let label = match decoded.encoding {
                Encoding::Xml => format!("XML, {} bytes, as sent", bytes.len()),
                Encoding::Wbxml => {
                    format!("WBXML, shown as XML ({} bytes on the wire)", bytes.len())
                }
            };
            BodyView {
                label,
                text: Cow::Owned(text),
                cut_note,
                hex: false,
                marks,
            }
        }
        Err(e) => match std::str::from_utf8(bytes) {
            Ok(s) => {
                let (text, cut_note) = cut_text(s);
                BodyView {
                    label: format!("undecodable ({e}); {} bytes shown as text", bytes.len()),
                    text: Cow::Borrowed(text),
                    cut_note,
                    hex: false,
                    marks: Vec::new(),
                }
            }
            Err(_) => {
                let shown = bytes.get(..HEX_LIMIT).unwrap_or(bytes);
                let cut_note = (shown.len() < bytes.len()).then(|| {
                    format!(
                        "cut: the first {} of {} bytes are shown",
                        shown.len(),
                        bytes.len()
                    )
                });
                BodyView {
                    label: format!(
                        "undecodable ({e}); {} bytes, not UTF-8, shown as hex",
                        bytes.len()
                    ),
                    text: Cow::Owned(hex_dump(shown)),
                    cut_note,
                    hex: true,
                    marks: Vec::new(),
                }
            }
        },
    }
}

/// One line for the sequence diagram: `MsgID 2: Status×3, Get`.
pub(super) fn dm_line(body: &Body, decoded: &Result<Decoded, DecodeError>) -> String {
    match decoded {
        _ if body.as_bytes().is_empty() => "(empty body)".into(),
        Ok(decoded) => dm_summary(&decoded.message),
        Err(_) => "(undecodable)".into(),
    }
}

/// `s` up to [`TEXT_LIMIT`] bytes, cut on a char boundary, and the note that says so.
pub(super) fn cut_text(s: &str) -> (&str, Option<String>) {
    if s.len() <= TEXT_LIMIT {
        return (s, None);
    }
    let mut end = TEXT_LIMIT;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    let shown = s.get(..end).unwrap_or_default();
    (
        shown,
        Some(format!(
            "cut: the first {} of {} bytes are shown",
            shown.len(),
            s.len()
        )),
    )
}

/// The wire view of a decoded body as [`cut_owned`] would cut it, without holding the
/// whole view: a WBXML body's view is streamed through [`Capped`], which keeps what the
/// page can show and counts the rest (the whole view of 15 MB of tiny commands would be
/// about 90 MB). An XML body's view is its own text, cut where it lies rather than from
/// a copy of it (a 15 MB body, once for each place the page shows it). A body the
/// stream cannot follow takes the whole view, as before. With it, where the whole view
/// shows the elements of `spans` (`None`: no such element).
fn shown_wire_text(decoded: &Decoded, spans: &[Range<usize>]) -> (String, Option<String>, Marks) {
    if decoded.wbxml.is_none() {
        // What `wire_text` is for XML: the text after a byte order mark. Only invalid
        // UTF-8, which that view replaces, takes the copy.
        let raw = &decoded.raw;
        if let Ok(s) = std::str::from_utf8(raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)) {
            let (shown, note) = cut_text(s);
            return (
                shown.to_owned(),
                note,
                dmct_proto::stream::xml_marks(raw, spans),
            );
        }
    }
    if decoded.encoding == Encoding::Wbxml {
        let mut out = dmct_proto::stream::Capped::new(TEXT_LIMIT + 4);
        let streamed = dmct_proto::stream::write_wire_text_marking(&decoded.raw, &mut out, spans);
        if let Ok(Some(marks)) = streamed {
            if out.total() <= TEXT_LIMIT {
                return (
                    String::from_utf8_lossy(out.kept()).into_owned(),
                    None,
                    marks,
                );
            }
            // Cut where `cut_text` would: the last character boundary at the limit.
            let kept = String::from_utf8_lossy(out.kept());
            let mut end = TEXT_LIMIT;
            while end > 0 && !kept.is_char_boundary(end) {
                end -= 1;
            }
            let shown = kept.get(..end).unwrap_or_default().to_owned();
            let note = format!(
                "cut: the first {} of {} bytes are shown",
                shown.len(),
                out.total()
            );
            return (shown, Some(note), marks);
        }
    }
    let (text, marks) = decoded.wire_text_marking(spans);
    let (text, note) = cut_owned(text);
    (text, note, marks)
}

fn cut_owned(mut s: String) -> (String, Option<String>) {
    let (shown, note) = cut_text(&s);
    let end = shown.len();
    s.truncate(end);
    (s, note)
}

pub(super) fn hex_dump(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 5);
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(s, "{:08x} ", row * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(s, " {b:02x}");
                }
                None => s.push_str("   "),
            }
        }
        s.push_str("  |");
        for b in chunk {
            s.push(if b.is_ascii_graphic() || *b == b' ' {
                *b as char
            } else {
                '.'
            });
        }
        s.push_str("|\n");
    }
    s
}

pub(super) fn dm_summary(m: &dmct_proto::SyncML) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for c in &m.body.commands {
        let name = c.name();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 += 1,
            None => counts.push((name, 1)),
        }
    }
    let mut line = format!("MsgID {}: ", m.hdr.msg_id);
    if counts.is_empty() {
        line.push_str("no commands");
    }
    for (j, (n, k)) in counts.iter().enumerate() {
        if j > 0 {
            line.push_str(", ");
        }
        line.push_str(n);
        if *k != 1 {
            let _ = write!(line, "\u{d7}{k}");
        }
    }
    line
}

pub(super) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

pub(super) fn status_line(status: u16) -> String {
    let r = reason(status);
    if r.is_empty() {
        format!("HTTP/1.1 {status}")
    } else {
        format!("HTTP/1.1 {status} {r}")
    }
}

pub(super) fn head_text(first_line: &str, headers: &Headers) -> String {
    let mut s = String::from(first_line);
    s.push('\n');
    for (n, v) in &headers.0 {
        s.push_str(n);
        s.push_str(": ");
        s.push_str(v);
        s.push('\n');
    }
    s
}

/// How recording of a session ended, in words for people.
pub fn closing_text(c: &Closing) -> String {
    match c {
        Closing::PeerDone => "the peer under test finished".into(),
        // The one wait rules may fail on (where the text requires an answer), told
        // apart from the harness's own limits.
        Closing::IdleTimeout { after_ms } => format!(
            "the peer sent nothing for {after_ms} ms of idle (--idle) after its last \
             package: taken as stopped, so a rule that needed its answer fails"
        ),
        Closing::ExchangeLimit { limit } => {
            format!("we gave up waiting: the harness's limit of {limit} exchanges was reached")
        }
        Closing::SessionTimeout { after_ms, awaiting } => format!(
            "we gave up waiting: the harness's session time limit ({after_ms} ms) ran out \
             awaiting {awaiting}"
        ),
        Closing::TriggerFailed { detail } => format!("the trigger (Package 0) failed: {detail}"),
        Closing::Skipped { reason } => format!("the case was skipped: {reason}"),
        Closing::NotApplicable { reason } => format!("the case does not apply: {reason}"),
        Closing::Stopped => "recording was stopped".into(),
        Closing::HarnessFault { detail } => {
            format!("dmct itself failed (a harness limit, not the peer's doing): {detail}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wbxml_with_gets(n: usize) -> Decoded {
        let gets: String = (0..n)
            .map(|i| {
                format!(
                    "<Get><CmdID>{}</CmdID><Item><Target><LocURI>./N/ä{i}</LocURI></Target>\
                     </Item></Get>",
                    i + 2
                )
            })
            .collect();
        let xml = format!(
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
             <VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>2</MsgID><Target>\
             <LocURI>IMEI:1</LocURI></Target><Source><LocURI>http://s/dm</LocURI></Source>\
             </SyncHdr><SyncBody>{gets}<Final/></SyncBody></SyncML>"
        );
        let model = dmct_proto::decode(xml.as_bytes()).unwrap().message;
        let bytes = dmct_proto::encode(&model, Encoding::Wbxml);
        let d = dmct_proto::decode(&bytes).unwrap();
        assert_eq!(d.encoding, Encoding::Wbxml);
        d
    }

    /// An XML body's view cut from its bytes is its whole view cut, with or without a
    /// byte order mark, on both sides of the limit.
    #[test]
    fn xml_view_cut_from_the_body_is_the_whole_view_cut() {
        let mut cut = 0;
        for n in [1, 10, 700, 5_000] {
            let xml = dmct_proto::encode(&wbxml_with_gets(n).message, Encoding::Xml);
            for bom in [&b""[..], b"\xEF\xBB\xBF"] {
                let d = dmct_proto::decode(&[bom, &xml[..]].concat()).unwrap();
                assert_eq!(d.encoding, Encoding::Xml);
                // Every command's span, the SyncHdr's, and one that names no element.
                let mut spans: Vec<_> = d.spans.commands.iter().collect();
                spans.push(d.spans.hdr.clone());
                spans.push(1..2);
                let (text, note, marks) = shown_wire_text(&d, &spans);
                let (whole, whole_marks) = d.wire_text_marking(&spans);
                assert_eq!((text, note.clone()), cut_owned(whole), "{n} Gets");
                assert_eq!(marks, whole_marks, "{n} Gets");
                cut += usize::from(note.is_some());
            }
        }
        assert_eq!(cut, 2, "only the largest body is cut");
    }

    /// The streamed, capped view is the whole view cut, note included, on both sides of
    /// the limit (the non-ASCII LocURIs put a character across the cut).
    #[test]
    fn capped_view_is_the_whole_view_cut() {
        for n in [1, 10, 700, 5_000] {
            let d = wbxml_with_gets(n);
            let (text, note, _) = shown_wire_text(&d, &[]);
            assert_eq!((text, note), cut_owned(d.wire_text()), "{n} Gets");
        }
        assert!(shown_wire_text(&wbxml_with_gets(5_000), &[]).1.is_some());
    }
}
