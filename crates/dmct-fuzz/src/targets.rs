//! The fuzz targets: each reads arbitrary bytes as dmct reads what a peer or a file
//! gives it, and must return whatever they are. A panic or a hang is a bug.

use dmct_proto::transcript::{Body, Exchange, Headers, HttpRequest, HttpResponse, Transcript};
use std::path::Path;

/// A target: its name (`--target`), what it exercises, the function, and where its seed
/// corpus comes from.
pub struct Target {
    pub name: &'static str,
    pub what: &'static str,
    pub run: fn(&[u8]),
    pub corpus: fn(&Corpus) -> Vec<Vec<u8>>,
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "xml",
        what: "dmct_proto::xml::decode and the wire text of what decodes",
        run: xml,
        corpus: |c| c.xml.clone(),
    },
    Target {
        name: "wbxml",
        what: "dmct_proto::wbxml::decode, parse_document and the wire text",
        run: wbxml,
        corpus: |c| c.wbxml.clone(),
    },
    Target {
        name: "media-type",
        what: "dmct_proto::media_type::MediaType::parse / essence_of and a round trip",
        run: media_type,
        corpus: |c| c.content_types.clone(),
    },
    Target {
        name: "package0",
        what: "dmct_proto::package0::decode",
        run: package0,
        corpus: |c| c.package0.clone(),
    },
    Target {
        name: "proxy-scan",
        what: "the SyncHdr read the proxy keys sessions with (dmct_proto::stream::session_head)",
        run: proxy_scan,
        corpus: |c| c.xml.iter().chain(&c.wbxml).cloned().collect(),
    },
    Target {
        name: "transcript",
        what: "a transcript or vector file read as `dmct check` reads it, then judged",
        run: transcript_file,
        corpus: |c| c.transcripts.clone(),
    },
    Target {
        name: "check",
        what: "dmct_rules::check over a session whose bodies are the input",
        run: check_session,
        corpus: |c| c.sessions.clone(),
    },
];

pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

pub fn xml(data: &[u8]) {
    if let Ok(d) = dmct_proto::xml::decode(data) {
        let _ = d.wire_text();
    }
}

pub fn wbxml(data: &[u8]) {
    if let Ok(d) = dmct_proto::wbxml::decode(data) {
        let _ = d.wire_text();
    }
    let _ = dmct_proto::wbxml::parse_document(data);
}

pub fn media_type(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = dmct_proto::media_type::MediaType::essence_of(&text);
    if let Ok(m) = dmct_proto::media_type::MediaType::parse(&text) {
        // What dmct writes of a parsed value must read back.
        let again = dmct_proto::media_type::MediaType::parse(&m.to_string());
        assert!(again.is_ok(), "{text:?} -> {m} does not parse again");
    }
}

pub fn package0(data: &[u8]) {
    let _ = dmct_proto::package0::decode(data);
}

pub fn proxy_scan(data: &[u8]) {
    let head = dmct_proto::stream::session_head(data);
    // Where the whole message decodes, the header read gives its header's fields.
    if let Ok(d) = dmct_proto::decode(data) {
        let h = &d.message.hdr;
        let expected = dmct_proto::stream::SessionHead {
            opens_session: h.msg_id_number() == Some(1) && d.message.is_session_setup(),
            session_id: h.session_id.clone(),
            source_loc_uri: h.source.loc_uri.to_string(),
            msg_id: Some(h.msg_id.clone()),
        };
        assert_eq!(head, Some(expected), "session_head disagrees with decode");
    }
    let _ = dmct_proxy::scan::may_have_resp_uri(data);
}

/// As `dmct check FILE` reads a file: JSON, a transcript or a vector holding one.
pub fn transcript_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let inner = value.get("transcript").cloned().unwrap_or(value);
    if let Ok(t) = serde_json::from_value::<Transcript>(inner) {
        let _ = dmct_rules::check(&t);
        let _ = serde_json::to_string(&t);
    }
}

/// Separates the bodies of a `check` input: request, response, request, ...
pub const BODY_SEPARATOR: &[u8] = b"\n--8<--\n";

/// The input's parts as alternating request and response bodies of one session, each
/// labelled as a DM message in the encoding its first byte suggests, judged.
pub fn check_session(data: &[u8]) {
    let parts = split(data, BODY_SEPARATOR);
    let head = |body: &[u8]| {
        let mut h = Headers::default();
        let wbxml = matches!(body.first(), Some(0x01..=0x03));
        h.push(
            "Content-Type",
            if wbxml {
                dmct_proto::CONTENT_TYPE_WBXML
            } else {
                dmct_proto::CONTENT_TYPE_XML
            },
        );
        h.push("Content-Length", body.len().to_string());
        h
    };
    let exchanges = parts
        .chunks(2)
        .map(|pair| Exchange {
            request: HttpRequest {
                method: "POST".into(),
                target: "/dm".into(),
                headers: head(pair[0]),
                body: Body::from(pair[0].to_vec()),
            },
            response: pair.get(1).map(|b| HttpResponse {
                status: 200,
                headers: head(b),
                body: Body::from(b.to_vec()),
            }),
            failure: None,
            time: None,
        })
        .collect();
    let t = Transcript {
        exchanges,
        ..Transcript::default()
    };
    let _ = dmct_rules::check(&t);
}

fn split<'a>(data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(sep.len()).position(|w| w == sep) {
        parts.push(&rest[..i]);
        rest = &rest[i + sep.len()..];
    }
    parts.push(rest);
    parts
}

/// The seed inputs, from `testcases/vectors/`.
#[derive(Debug, Default)]
pub struct Corpus {
    pub xml: Vec<Vec<u8>>,
    pub wbxml: Vec<Vec<u8>>,
    pub content_types: Vec<Vec<u8>>,
    pub package0: Vec<Vec<u8>>,
    pub transcripts: Vec<Vec<u8>>,
    pub sessions: Vec<Vec<u8>>,
}

impl Corpus {
    /// Read the vectors under `vectors` (the repository's `testcases/vectors`).
    pub fn load(vectors: &Path) -> std::io::Result<Corpus> {
        let mut c = Corpus::default();
        let mut files = Vec::new();
        walk(vectors, &mut files)?;
        files.sort();
        let mut seen = std::collections::HashSet::new();
        let mut add = |list: &mut Vec<Vec<u8>>, bytes: &[u8]| {
            if !bytes.is_empty() && seen.insert(bytes.to_vec()) {
                list.push(bytes.to_vec());
            }
        };
        for f in &files {
            let bytes = std::fs::read(f)?;
            match f.extension().and_then(|e| e.to_str()) {
                Some("xml") => add(&mut c.xml, &bytes),
                Some("wbxml") => add(&mut c.wbxml, &bytes),
                Some("bin") if f.to_string_lossy().contains("package0") => {
                    add(&mut c.package0, &bytes)
                }
                Some("json") => {
                    let Some(t) = serde_json::from_slice::<serde_json::Value>(&bytes)
                        .ok()
                        .and_then(|v| v.get("transcript").cloned())
                        .and_then(|t| serde_json::from_value::<Transcript>(t).ok())
                    else {
                        continue;
                    };
                    // Few whole files: JSON is mostly broken by a byte; one per rule.
                    if c.transcripts.len() < 64 {
                        add(&mut c.transcripts, &bytes);
                    }
                    let mut session = Vec::new();
                    for (i, e) in t.exchanges.iter().enumerate() {
                        let bodies = std::iter::once(&e.request.body)
                            .chain(e.response.as_ref().map(|r| &r.body));
                        for b in bodies {
                            let b = b.as_bytes();
                            if matches!(b.first(), Some(0x01..=0x03)) {
                                add(&mut c.wbxml, b);
                            } else {
                                add(&mut c.xml, b);
                            }
                        }
                        let heads = std::iter::once(&e.request.headers)
                            .chain(e.response.as_ref().map(|r| &r.headers));
                        for h in heads {
                            if let Some(ct) = h.get("Content-Type") {
                                add(&mut c.content_types, ct.as_bytes());
                            }
                        }
                        if i > 0 {
                            session.extend_from_slice(BODY_SEPARATOR);
                        }
                        session.extend_from_slice(e.request.body.as_bytes());
                        if let Some(r) = &e.response {
                            session.extend_from_slice(BODY_SEPARATOR);
                            session.extend_from_slice(r.body.as_bytes());
                        }
                    }
                    add(&mut c.sessions, &session);
                }
                _ => {}
            }
        }
        for extra in [
            "application/vnd.syncml.dm+xml",
            "application/vnd.syncml.dm+wbxml; verproto=\"DM/1.2\"",
            "text/plain; charset=\"a\\\"b\"; q=1",
        ] {
            add(&mut c.content_types, extra.as_bytes());
        }
        Ok(c)
    }
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}
