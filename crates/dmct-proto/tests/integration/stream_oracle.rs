//! The streaming views (`dmct decode`, `dmct encode --wbxml`) against the tree path
//! they stand for, on every file under testcases/vectors and every body of every
//! transcript there: the same output, and no output where the tree path refuses.

use dmct_proto::stream;
use dmct_proto::tree::{Element, Node};
use dmct_proto::wbxml;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The bodies a file offers: its own bytes, and for a transcript or a vector holding
/// one, every exchange's request and response body.
fn bodies(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut all = vec![bytes.clone()];
    if path.extension().is_some_and(|x| x == "json") {
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let t = match v.get_mut("transcript") {
            Some(t) => t.take(),
            None => v,
        };
        if let Ok(t) = serde_json::from_value::<dmct_proto::transcript::Transcript>(t) {
            for e in t.exchanges {
                all.push(e.request.body.0.to_vec());
                all.extend(e.response.map(|r| r.body.0.to_vec()));
            }
        }
    }
    all
}

/// Every distinct body under testcases/vectors (a file's own bytes and its transcript's
/// bodies), each once: vectors share many.
fn distinct_vector_bodies() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors");
    let mut all = Vec::new();
    files(&root, &mut all);
    let mut distinct = std::collections::HashSet::new();
    all.iter()
        .flat_map(|p| bodies(p))
        .filter(|b| distinct.insert(b.clone()))
        .collect()
}

/// Stream and tree agree on `bytes`; whether the stream took them.
fn same_view(bytes: &[u8], what: &str) -> bool {
    let tree = dmct_proto::decode(bytes).ok().map(|d| d.tree_wire_text());
    let mut out = Vec::new();
    let streamed = stream::write_wire_text(bytes, &mut out).unwrap();
    if streamed {
        assert_eq!(
            Some(String::from_utf8(out).unwrap()),
            tree,
            "decode: {what}"
        );
    } else {
        assert!(out.is_empty(), "decode: {what}: gave up after writing");
    }
    streamed
}

fn same_wbxml(bytes: &[u8], what: &str) -> bool {
    let tree = dmct_proto::decode(bytes)
        .ok()
        .map(|d| dmct_proto::wbxml::encode(&d.message));
    match stream::xml_to_wbxml(bytes) {
        Some(w) => {
            assert_eq!(Some(w), tree, "encode: {what}");
            true
        }
        None => false,
    }
}

#[test]
fn every_vector_and_every_body_in_them_gives_the_tree_paths_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 100, "{} files", all.len());
    let (mut bodies_seen, mut decoded, mut encoded) = (0, 0, 0);
    // Vectors share many bodies: each distinct one is compared once.
    let mut distinct = std::collections::HashSet::new();
    for path in &all {
        for (i, b) in bodies(path).iter().enumerate() {
            if !distinct.insert(b.clone()) {
                continue;
            }
            let what = format!("{} body {i}", path.display());
            bodies_seen += 1;
            decoded += usize::from(same_view(b, &what));
            encoded += usize::from(same_wbxml(b, &what));
        }
    }
    // The streams take the messages, not only the refusals: most bodies are DM
    // messages in the DTD's order.
    assert!(
        decoded * 2 > bodies_seen,
        "{decoded} of {bodies_seen} streamed"
    );
    assert!(
        encoded * 4 > bodies_seen,
        "{encoded} of {bodies_seen} encoded"
    );
    // The codec vectors all stream, both ways.
    let is = |p: &Path, x: &str| p.extension().is_some_and(|e| e == x);
    let codec = all
        .iter()
        .filter(|p| p.to_string_lossy().contains("/codec/") && (is(p, "xml") || is(p, "wbxml")));
    for path in codec {
        let b = std::fs::read(path).unwrap();
        assert!(
            same_view(&b, &path.display().to_string()),
            "{}",
            path.display()
        );
        if path.extension().is_some_and(|x| x == "xml") {
            assert!(same_wbxml(&b, &path.display().to_string()));
        }
    }
}

/// Every byte of every codec vector under `cargo xtask slow` (`DMCT_SLOW_TESTS`); in the
/// test run every fifth, from an offset that moves with the file (the quadratic whole
/// took most of this binary's time).
#[test]
fn truncations_and_flipped_bytes_of_the_codec_vectors_agree_with_the_tree_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors/codec");
    let mut all = Vec::new();
    files(&root, &mut all);
    let step = if std::env::var_os("DMCT_SLOW_TESTS").is_some() {
        1
    } else {
        5
    };
    for (k, path) in all.iter().enumerate() {
        let wbxml = path.extension().is_some_and(|e| e == "wbxml");
        if !wbxml && path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let b = std::fs::read(path).unwrap();
        for i in (k % step..b.len()).step_by(step) {
            let what = format!("{} cut at {i}", path.display());
            same_view(&b[..i], &what);
            same_wbxml(&b[..i], &what);
            // Every token byte of WBXML matters; XML's markup is tried at its tags.
            let flips: &[u8] = if wbxml {
                &[0x00, 0x01, 0x03, 0x40, 0xC3]
            } else if b[i] == b'<' || b[i] == b'/' {
                b"> "
            } else {
                &[]
            };
            for &x in flips {
                let mut m = b.clone();
                m[i] = x;
                let what = format!("{} byte {i} = {x:#04x}", path.display());
                same_view(&m, &what);
                same_wbxml(&m, &what);
            }
        }
    }
}

/// The reports' wire view takes the streaming path for WBXML and gives the tree's bytes.
#[test]
fn the_reports_wire_view_is_the_trees() {
    let mut checked = 0;
    for bytes in distinct_vector_bodies() {
        if let Ok(d) = dmct_proto::decode(&bytes) {
            assert_eq!(d.wire_text(), d.tree_wire_text());
            checked += usize::from(d.wbxml.is_some());
        }
    }
    assert!(checked > 0, "no WBXML body among the vectors");
}

/// Element `span` of `el`'s tree.
fn at_span<'a>(el: &'a Element, span: &std::ops::Range<usize>) -> Option<&'a Element> {
    if el.span == *span {
        return Some(el);
    }
    el.children.iter().find_map(|c| match c {
        Node::Element(c) => at_span(c, span),
        _ => None,
    })
}

/// An element as read, but for the white space around its texts (the view indents).
fn trimmed(el: &Element) -> Element {
    let mut out = Element::new(el.name.as_str());
    out.namespace = el.namespace.clone();
    out.attributes = el.attributes.clone();
    for c in &el.children {
        match c {
            Node::Element(c) => out.children.push(Node::Element(trimmed(c))),
            Node::Text(t) if t.trim().is_empty() => {}
            Node::Text(t) => out.children.push(Node::Text(t.trim().to_owned())),
            Node::Opaque(b) => out.children.push(Node::Opaque(b.clone())),
        }
    }
    out
}

/// Where the wire view shows an element of the body (its `Marks`, how the HTML report
/// highlights a finding's span): the streaming writer's marks are the tree path's, and
/// for every SyncHdr and command of every body in the vectors, the marked text of a
/// WBXML body's view, read as XML, is the element the WBXML tree reader found at that
/// span; of an XML body, the span's own bytes. A span that names no element marks
/// nothing.
#[test]
fn the_views_marks_show_the_elements_the_spans_name() {
    let (mut wbxml, mut xml) = (0, 0);
    for bytes in distinct_vector_bodies() {
        let Ok(d) = dmct_proto::decode(&bytes) else {
            continue;
        };
        let mut spans = vec![d.spans.hdr.clone()];
        spans.extend(d.spans.commands.iter());
        let named = spans.len();
        spans.push(d.spans.hdr.start..d.spans.hdr.end - 1);
        spans.push(d.spans.hdr.start + 1..d.spans.hdr.end);
        let (text, marks) = d.wire_text_marking(&spans);
        assert_eq!(
            (&text, &marks),
            (&d.tree_wire_text(), &d.tree_wire_text_marking(&spans).1)
        );
        let tree = d.wbxml.as_ref().map(|_| wbxml::parse_tree(&bytes).unwrap());
        for (span, mark) in spans.iter().zip(&marks).take(named) {
            let mark = mark.clone().expect("every SyncHdr and command is marked");
            let shown = &text[mark];
            match &tree {
                None => {
                    xml += 1;
                    assert_eq!(shown.as_bytes(), &bytes[span.clone()]);
                }
                Some(tree) => {
                    wbxml += 1;
                    let read = dmct_proto::xml::parse_tree(shown.as_bytes()).unwrap();
                    let want = at_span(tree, span).expect("an element at the span");
                    assert_eq!(trimmed(&read), trimmed(want), "{shown}");
                }
            }
        }
        if tree.is_some() {
            assert_eq!(marks[named..], [None, None], "spans that name no element");
        }
    }
    assert!(wbxml > 20 && xml > 20, "{wbxml} WBXML, {xml} XML elements");
    println!("marks checked: {wbxml} WBXML, {xml} XML elements");
}

/// What `Decoded::excerpt_prefix` must give: the shortest start of the whole excerpt
/// of at least `keep` bytes that ends on a character, and how many bytes are left off.
fn expected_prefix(whole: &str, keep: usize) -> (String, usize) {
    let mut end = keep.min(whole.len());
    while !whole.is_char_boundary(end) {
        end += 1;
    }
    (whole[..end].to_owned(), whole.len() - end)
}

fn same_prefixes(d: &dmct_proto::xml::Decoded, what: &str) {
    let spans = std::iter::once(d.spans.hdr.clone()).chain(d.spans.commands.iter());
    for span in spans {
        let span = &span;
        let whole = d.excerpt(span);
        for keep in [0, 1, 2, 7, 40, 599, 600, 2004, usize::MAX] {
            let got = d.excerpt_prefix(span, keep);
            let want = whole.as_deref().map(|w| expected_prefix(w, keep));
            assert_eq!(got, want, "{what}: span {span:?}, keep {keep}");
        }
    }
}

/// The start of an excerpt (what evidence cut to a few hundred bytes needs) is the
/// whole excerpt's start, in both encodings, on every body of the vectors.
#[test]
fn an_excerpts_prefix_is_the_start_of_the_whole_excerpt() {
    let mut wbxml = 0;
    for bytes in distinct_vector_bodies() {
        if let Ok(d) = dmct_proto::decode(&bytes) {
            same_prefixes(&d, "vector body");
            wbxml += usize::from(d.wbxml.is_some());
        }
    }
    assert!(wbxml > 0, "no WBXML body among the vectors");
}

/// Cuts inside characters of several widths, invalid UTF-8 in XML, and a Data far
/// longer than any cut, in both encodings.
#[test]
fn an_excerpts_prefix_cuts_where_the_whole_would_be_cut() {
    let data: String = "aé€😀<&\r".repeat(700);
    let xml = format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
         <VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>\
         <Target><LocURI>http://dm.example/dm</LocURI></Target><Source>\
         <LocURI>IMEI:1</LocURI></Source></SyncHdr><SyncBody><Replace><CmdID>2</CmdID>\
         <Item><Source><LocURI>./a</LocURI></Source><Data>{}</Data></Item></Replace>\
         <Final/></SyncBody></SyncML>",
        quick_xml::escape::escape(data.as_str()).replace('\r', "&#xD;")
    );
    let d = dmct_proto::decode(xml.as_bytes()).expect("the XML decodes");
    same_prefixes(&d, "XML");
    let keeps = 0..40;
    for keep in keeps {
        same_prefixes_at(&d, keep, "XML");
    }
    let w = dmct_proto::encode(&d.message, dmct_proto::xml::Encoding::Wbxml);
    let d = dmct_proto::decode(&w).expect("the WBXML decodes");
    assert!(d.wbxml.is_some());
    same_prefixes(&d, "WBXML");
    for keep in 0..80 {
        same_prefixes_at(&d, keep, "WBXML");
    }
    // Invalid UTF-8 in an XML body's LocURI (the decoder may refuse it: then nothing).
    let mut bad = xml.into_bytes();
    let at = bad.windows(3).position(|w| w == b"./a").expect("a LocURI");
    bad.splice(at..at + 3, [b'.', 0xE2, 0x82, b'/', 0xFF, b'a']);
    if let Ok(d) = dmct_proto::decode(&bad) {
        for keep in 0..400 {
            same_prefixes_at(&d, keep, "invalid XML");
        }
    }
}

fn same_prefixes_at(d: &dmct_proto::xml::Decoded, keep: usize, what: &str) {
    for span in d.spans.commands.iter() {
        let span = &span;
        let whole = d.excerpt(span).expect("an excerpt");
        let got = d.excerpt_prefix(span, keep);
        assert_eq!(
            got,
            Some(expected_prefix(&whole, keep)),
            "{what}: keep {keep}"
        );
    }
}

/// A Data longer than the pieces text is escaped in (characters of every width, a CR,
/// markup across the joins) is written as if escaped whole, by the stream, the tree
/// and the encoder.
#[test]
fn a_long_text_is_escaped_as_if_whole() {
    let data: String = "aé€😀<&\r>".repeat(30_000);
    let want = quick_xml::escape::escape(data.as_str()).replace('\r', "&#xD;");
    let xml = format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
         <VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>\
         <Target><LocURI>http://dm.example/dm</LocURI></Target><Source>\
         <LocURI>IMEI:1</LocURI></Source></SyncHdr><SyncBody><Replace><CmdID>2</CmdID>\
         <Item><Source><LocURI>./a</LocURI></Source><Data>{want}</Data></Item></Replace>\
         <Final/></SyncBody></SyncML>"
    );
    let d = dmct_proto::decode(xml.as_bytes()).expect("the XML decodes");
    let encoded = dmct_proto::encode(&d.message, dmct_proto::xml::Encoding::Xml);
    let encoded = String::from_utf8(encoded).expect("UTF-8");
    assert!(encoded.contains(&format!("<Data>{want}</Data>")));
    let w = dmct_proto::encode(&d.message, dmct_proto::xml::Encoding::Wbxml);
    let d = dmct_proto::decode(&w).expect("the WBXML decodes");
    let view = d.wire_text();
    assert!(view.contains(&format!("<Data>{want}</Data>\n")));
    assert_eq!(view, d.tree_wire_text());
    let excerpt = d.command_excerpt(0).expect("an excerpt");
    assert!(excerpt.contains(&format!("<Data>{want}</Data>")));
}
