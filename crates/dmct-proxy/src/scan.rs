//! What the request path needs to know of a message without decoding it whole: the
//! session it belongs to, and whether a response may carry a RespURI.
//!
//! Decoding a whole message costs more than relaying it, so the relay reads only the
//! SyncHdr of an XML request (stopping at `</SyncHdr>`), and decodes a response only
//! when it may hold a RespURI or a mutation needs its model. Anything the scan cannot
//! read with certainty goes to the full decoder instead.

use quick_xml::Reader;
use quick_xml::events::Event;

/// The SyncHdr fields that place a message in its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub session_id: String,
    pub client: String,
    /// The MsgID as written (trimmed): a new session's first message is told by it.
    pub msg_id: String,
}

/// Where the scanner is in the SyncHdr.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    SessionId = 0,
    SourceLocUri = 1,
    MsgId = 2,
}

/// The SyncHdr's SessionID, Source LocURI and MsgID, trimmed, read from XML up to
/// `</SyncHdr>`; `None` when the body is WBXML or anything is unusual (the caller then
/// decodes the whole message).
pub fn head(body: &[u8]) -> Option<Head> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'<' {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut path: Vec<String> = Vec::new();
    // SessionID, Source LocURI, MsgID.
    let mut found: [Option<String>; 3] = [None, None, None];
    let field = |path: &[String]| -> Option<Field> {
        match path {
            [a, b, c] if a == "SyncML" && b == "SyncHdr" && c == "SessionID" => {
                Some(Field::SessionId)
            }
            [a, b, c] if a == "SyncML" && b == "SyncHdr" && c == "MsgID" => Some(Field::MsgId),
            [a, b, c, d] if a == "SyncML" && b == "SyncHdr" && c == "Source" && d == "LocURI" => {
                Some(Field::SourceLocUri)
            }
            _ => None,
        }
    };
    let push = |found: &mut [Option<String>; 3], path: &[String], s: &str| {
        if let Some(f) = field(path) {
            found[f as usize]
                .get_or_insert_with(String::new)
                .push_str(s);
        }
    };
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                if path.len() >= 6 {
                    return None;
                }
                let name = e.local_name().into_inner().to_owned();
                // A repeated field would make the decoder's reading uncertain.
                path.push(name);
                if let Some(f) = field(&path) {
                    if found[f as usize].is_some() {
                        return None;
                    }
                    push(&mut found, &path, "");
                }
            }
            Event::Empty(e) => {
                let name = e.local_name().into_inner().to_owned();
                path.push(name);
                if field(&path).is_some() {
                    return None;
                }
                path.pop();
            }
            Event::End(_) => {
                if path.len() == 2 && path[1] == "SyncHdr" {
                    break;
                }
                path.pop()?;
            }
            Event::Text(t) => {
                if field(&path).is_some() {
                    let s = t.xml10_content();
                    push(&mut found, &path, &s);
                }
            }
            Event::CData(c) => {
                if field(&path).is_some() {
                    let s = c.into_inner();
                    push(&mut found, &path, &s);
                }
            }
            Event::GeneralRef(r) => {
                if field(&path).is_some() {
                    let s = if r.is_char_ref() {
                        r.resolve_char_ref().ok()??.to_string()
                    } else {
                        let name = r.into_inner();
                        quick_xml::escape::resolve_predefined_entity(&name)?.to_owned()
                    };
                    push(&mut found, &path, &s);
                }
            }
            Event::Eof => return None,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    let [session_id, client, msg_id] = found;
    Some(Head {
        session_id: session_id?.trim().to_owned(),
        client: client?.trim().to_owned(),
        msg_id: msg_id?.trim().to_owned(),
    })
}

/// Could this body carry a RespURI? XML: the element name occurs; WBXML: a byte that
/// could be its tag (code page 0 token 0x1F, with or without content and attribute
/// flags). False positives only cost a decode.
pub fn may_have_resp_uri(body: &[u8]) -> bool {
    match body.first() {
        Some(0x01..=0x03) => body.iter().any(|b| b & 0x3F == 0x1F),
        _ => body.windows(7).any(|w| w == b"RespURI"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(body: &[u8]) -> Option<Head> {
        let m = dmct_proto::decode(body).ok()?.message;
        Some(Head {
            session_id: m.hdr.session_id.trim().to_owned(),
            client: m.hdr.source.loc_uri.trim().to_owned(),
            msg_id: m.hdr.msg_id.trim().to_owned(),
        })
    }

    #[test]
    fn reads_the_header_as_the_decoder_does() {
        let cases = [
            concat!(
                r#"<?xml version="1.0"?><SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr>"#,
                "<VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID> 1A </SessionID>",
                "<MsgID>1</MsgID><Target><LocURI>http://s/dm</LocURI></Target>",
                "<Source><LocURI>IMEI:1&amp;<![CDATA[2]]>&#51;</LocURI><LocName>u</LocName>",
                "</Source></SyncHdr><SyncBody><Final/></SyncBody></SyncML>",
            ),
            concat!(
                r#"<s:SyncML xmlns:s="SYNCML:SYNCML1.2"><s:SyncHdr><s:VerDTD>1.2</s:VerDTD>"#,
                "<s:VerProto>DM/1.2</s:VerProto><s:SessionID>7</s:SessionID><s:MsgID>2</s:MsgID>",
                "<s:Target><s:LocURI>x</s:LocURI></s:Target>",
                "<s:Source><s:LocURI>dev</s:LocURI></s:Source></s:SyncHdr><s:SyncBody/></s:SyncML>",
            ),
        ];
        for c in cases {
            let h = head(c.as_bytes()).expect("scanned");
            assert_eq!(Some(h.clone()), full(c.as_bytes()), "{c}");
        }
        assert_eq!(
            head(b"<SyncML><SyncHdr><SessionID>1</SessionID>").as_ref(),
            None
        );
        assert_eq!(head(b"\x02\x00\x00\x6a"), None);
        assert_eq!(head(b"not xml"), None);
        assert_eq!(
            head(
                b"<SyncML><SyncHdr><SessionID>1</SessionID><SessionID>2</SessionID>\
                  <Source><LocURI>d</LocURI></Source></SyncHdr></SyncML>"
            ),
            None
        );
    }

    #[test]
    fn resp_uri_prefilter() {
        assert!(may_have_resp_uri(b"<SyncML><RespURI>x</RespURI>"));
        assert!(!may_have_resp_uri(b"<SyncML><SyncHdr/>"));
        assert!(may_have_resp_uri(&[0x02, 0x00, 0x5F]));
        assert!(!may_have_resp_uri(&[0x02, 0x00, 0x6D]));
    }
}
