//! The SyncHdr fields that place a message in its session, read by the streaming
//! readers (XML events, WBXML tokens) up to where the SyncHdr closes: the proxy keys
//! its records with them without decoding the message.
//!
//! Lenient by design: a sloppy device's messages must stay in its session, so the read
//! keys a message as far as its header can be read. The header is not checked as the
//! decoder checks it (a missing VerDTD, an undeclared prefix or a message cut after
//! the Source still give the key); only a field that cannot be read with certainty
//! (given twice, holding elements) gives none.

use super::{GiveUp, Recorded, Sink, Step, XmlSink, walk_wbxml, walk_xml};
use crate::alert_code::{CLIENT_INITIATED_MGMT, SERVER_INITIATED_MGMT};

/// The SyncHdr's SessionID, Source LocURI and MsgID, as written (the model's strings,
/// not trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionHead {
    pub session_id: String,
    pub source_loc_uri: String,
    /// `None` when the header has no MsgID that could be read.
    pub msg_id: Option<String>,
    /// A session's first message (MsgID 1) that sets the session up: an Alert 1200 or
    /// 1201 among the SyncBody's commands, as
    /// [`SyncML::is_session_setup`](crate::SyncML::is_session_setup) reads the model.
    /// The body is read for it (up to that Alert) only when the MsgID is 1.
    pub opens_session: bool,
}

/// Where an open element stands for the read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Root,
    Hdr,
    Source,
    Field(usize),
    Other,
}

const SESSION_ID: usize = 0;
const LOC_URI: usize = 1;
const MSG_ID: usize = 2;

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Unseen,
    Open,
    Read,
    /// Given twice, or holding elements: no certain value.
    Unsure,
}

#[derive(Default)]
struct Field {
    text: String,
    state: State,
}

#[derive(Default)]
struct HeadSink {
    open: Vec<Tag>,
    fields: [Field; 3],
    /// The SyncHdr closed: nothing after it can change what was read.
    closed: bool,
}

impl HeadSink {
    fn start(&mut self, name: &str) -> Step {
        let tag = match (self.open.last(), name) {
            (None, "SyncML") => Tag::Root,
            // The decoder needs a SyncML root: nothing else holds a header.
            (None, _) => return Err(GiveUp),
            (Some(Tag::Root), "SyncHdr") => Tag::Hdr,
            (Some(Tag::Hdr), "SessionID") => Tag::Field(SESSION_ID),
            (Some(Tag::Hdr), "MsgID") => Tag::Field(MSG_ID),
            (Some(Tag::Hdr), "Source") => Tag::Source,
            (Some(Tag::Source), "LocURI") => Tag::Field(LOC_URI),
            (Some(Tag::Field(f)), _) => {
                self.fields[*f].state = State::Unsure;
                Tag::Other
            }
            _ => Tag::Other,
        };
        if let Tag::Field(f) = tag {
            let field = &mut self.fields[f];
            field.state = match field.state {
                State::Unseen => State::Open,
                _ => State::Unsure,
            };
        }
        self.open.push(tag);
        Ok(())
    }

    fn text(&mut self, t: &str) -> Step {
        if let Some(Tag::Field(f)) = self.open.last() {
            let field = &mut self.fields[*f];
            if field.state == State::Open {
                field.text.push_str(t);
            }
        }
        Ok(())
    }

    fn end(&mut self) -> Step {
        match self.open.pop() {
            Some(Tag::Field(f)) => {
                let field = &mut self.fields[f];
                if field.state == State::Open {
                    field.state = State::Read;
                }
                Ok(())
            }
            // Read no further than the header.
            Some(Tag::Hdr) => {
                self.closed = true;
                Err(GiveUp)
            }
            _ => Ok(()),
        }
    }

    fn head(self) -> Option<SessionHead> {
        let [session_id, loc_uri, msg_id] = self.fields;
        let read = |f: Field| (f.state == State::Read).then_some(f.text);
        Some(SessionHead {
            session_id: read(session_id)?,
            source_loc_uri: read(loc_uri)?,
            msg_id: read(msg_id),
            opens_session: false,
        })
    }
}

impl<'a> Sink<'a> for HeadSink {
    fn start(&mut self, name: &'a str, _: Option<&'static str>, _: usize) -> Step {
        HeadSink::start(self, name)
    }
    fn text(&mut self, t: &str) -> Step {
        HeadSink::text(self, t)
    }
    fn opaque(&mut self, _: &[u8]) -> Step {
        // Bytes that are not UTF-8 are no key: a field holding them stays unsure.
        if let Some(Tag::Field(f)) = self.open.last() {
            self.fields[*f].state = State::Unsure;
        }
        Ok(())
    }
    fn end(&mut self, _: usize) -> Step {
        HeadSink::end(self)
    }
}

impl XmlSink for HeadSink {
    fn start(&mut self, name: &str, _: Recorded) -> Step {
        HeadSink::start(self, name)
    }
    fn text(&mut self, t: &str) -> Step {
        HeadSink::text(self, t)
    }
    fn end(&mut self) -> Step {
        HeadSink::end(self)
    }
    fn strict(&self) -> bool {
        false
    }
    fn wants_text(&self) -> bool {
        matches!(self.open.last(), Some(Tag::Field(_)))
    }
}

/// The fields of `bytes`'s SyncHdr that key its session (WBXML or XML, told apart as
/// [`crate::decode`] tells them), read no further than the SyncHdr (and, for MsgID 1,
/// the SyncBody up to its setup Alert); `None` when its SessionID or its Source's
/// LocURI cannot be read. Where [`crate::decode`] accepts a message, this gives its
/// header's fields.
pub fn session_head(bytes: &[u8]) -> Option<SessionHead> {
    let sink = || HeadSink {
        open: Vec::with_capacity(8),
        ..HeadSink::default()
    };
    let first = |h: &SessionHead| {
        h.msg_id
            .as_deref()
            .is_some_and(|m| m.trim().parse::<u64>() == Ok(1))
    };
    // Stopping at the header's end, or at an error further in, leaves what was read.
    if matches!(bytes.first(), Some(0x01..=0x03)) {
        let mut s = sink();
        let _ = walk_wbxml(bytes, &mut s);
        let mut h = s.head()?;
        h.opens_session = first(&h) && opens_session(bytes);
        return Some(h);
    }
    // XML text is checked as UTF-8 before it is read: only up to where the body opens,
    // if the header closed by there (else, the word within the header, the whole text),
    // and for a first message the body on its own, from its start tag.
    // One searcher for every message, not one built per call.
    static SYNC_BODY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"SyncBody"));
    if let Some(body) = SYNC_BODY.find(bytes) {
        let mut s = sink();
        let _ = walk_xml(&bytes[..body], &mut s);
        if s.closed {
            let mut h = s.head()?;
            if first(&h) {
                h.opens_session = match start_tag_before(bytes, body) {
                    Some(lt) => {
                        let mut setup = SetupSink::in_root();
                        let _ = walk_xml(&bytes[lt..], &mut setup);
                        setup.found
                    }
                    None => opens_session(bytes),
                };
            }
            return Some(h);
        }
    }
    let mut s = sink();
    let _ = walk_xml(bytes, &mut s);
    let mut h = s.head()?;
    h.opens_session = first(&h) && opens_session(bytes);
    Some(h)
}

/// Where the start tag holding the name at `at` opens (`<SyncBody`, `<s:SyncBody`), if
/// the name is one.
fn start_tag_before(bytes: &[u8], at: usize) -> Option<usize> {
    let before = &bytes[..at];
    let lt = before.iter().rposition(|&b| b == b'<')?;
    let prefix = &before[lt + 1..];
    let name = |b: &u8| b.is_ascii_alphanumeric() || b"_-.".contains(b);
    let plain = prefix.is_empty()
        || (prefix.ends_with(b":") && prefix[..prefix.len() - 1].iter().all(name));
    plain.then_some(lt)
}

/// Where an open element stands for [`opens_session`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyTag {
    Root,
    Body,
    Alert,
    Data,
    Other,
}

#[derive(Default)]
struct SetupSink {
    open: Vec<BodyTag>,
    /// The Alert's Data being read, and whether it is plain text so far.
    data: String,
    plain: bool,
    found: bool,
}

impl SetupSink {
    /// A reader of the SyncBody alone, as if within its SyncML root.
    fn in_root() -> SetupSink {
        let mut open = Vec::with_capacity(8);
        open.push(BodyTag::Root);
        SetupSink {
            open,
            ..SetupSink::default()
        }
    }

    fn start(&mut self, name: &str) -> Step {
        let tag = match (self.open.last(), name) {
            (None, "SyncML") => BodyTag::Root,
            (None, _) => return Err(GiveUp),
            (Some(BodyTag::Root), "SyncBody") => BodyTag::Body,
            (Some(BodyTag::Body), "Alert") => BodyTag::Alert,
            (Some(BodyTag::Alert), "Data") => {
                self.data.clear();
                self.plain = true;
                BodyTag::Data
            }
            (Some(BodyTag::Data), _) => {
                self.plain = false;
                BodyTag::Other
            }
            _ => BodyTag::Other,
        };
        self.open.push(tag);
        Ok(())
    }

    fn text(&mut self, t: &str) -> Step {
        if self.open.last() == Some(&BodyTag::Data) {
            self.data.push_str(t);
        }
        Ok(())
    }

    fn end(&mut self) -> Step {
        match self.open.pop() {
            Some(BodyTag::Data) => {
                let code = self.data.trim();
                if self.plain && (code == SERVER_INITIATED_MGMT || code == CLIENT_INITIATED_MGMT) {
                    self.found = true;
                    // Read no further than the Alert that answers the question.
                    return Err(GiveUp);
                }
                Ok(())
            }
            // The body is over: no such Alert.
            Some(BodyTag::Body) => Err(GiveUp),
            _ => Ok(()),
        }
    }
}

impl<'a> Sink<'a> for SetupSink {
    fn start(&mut self, name: &'a str, _: Option<&'static str>, _: usize) -> Step {
        SetupSink::start(self, name)
    }
    fn text(&mut self, t: &str) -> Step {
        SetupSink::text(self, t)
    }
    fn opaque(&mut self, _: &[u8]) -> Step {
        if self.open.last() == Some(&BodyTag::Data) {
            self.plain = false;
        }
        Ok(())
    }
    fn end(&mut self, _: usize) -> Step {
        SetupSink::end(self)
    }
}

impl XmlSink for SetupSink {
    fn start(&mut self, name: &str, _: Recorded) -> Step {
        SetupSink::start(self, name)
    }
    fn text(&mut self, t: &str) -> Step {
        SetupSink::text(self, t)
    }
    fn end(&mut self) -> Step {
        SetupSink::end(self)
    }
    fn strict(&self) -> bool {
        false
    }
    fn wants_text(&self) -> bool {
        self.open.last() == Some(&BodyTag::Data)
    }
}

/// Does the message set a session up: an Alert 1200 or 1201 among its SyncBody's
/// commands, as [`SyncML::is_session_setup`](crate::SyncML::is_session_setup) reads the
/// model? Read leniently, as [`session_head`] reads, and no further than that Alert
/// (the first command, in a Package #1).
fn opens_session(bytes: &[u8]) -> bool {
    let mut s = SetupSink {
        open: Vec::with_capacity(8),
        ..SetupSink::default()
    };
    let _ = match bytes.first() {
        Some(0x01..=0x03) => walk_wbxml(bytes, &mut s),
        _ => walk_xml(bytes, &mut s),
    };
    s.found
}

#[cfg(test)]
mod tests {
    use super::*;

    const HDR: &str = concat!(
        r#"<?xml version="1.0"?><SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr>"#,
        "<VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID> 1A </SessionID>",
        "<MsgID>1</MsgID><Target><LocURI>http://s/dm</LocURI></Target>",
        "<Source><LocURI>IMEI:1&amp;<![CDATA[2]]>&#51;</LocURI><LocName>u</LocName>",
        "</Source></SyncHdr>",
    );

    fn whole(body: &str) -> String {
        format!("{HDR}<SyncBody>{body}<Final/></SyncBody></SyncML>")
    }

    fn of_decoded(bytes: &[u8]) -> SessionHead {
        let h = crate::decode(bytes).expect("decodes").message.hdr;
        let m = crate::decode(bytes).expect("decodes").message;
        SessionHead {
            opens_session: h.msg_id_number() == Some(1) && m.is_session_setup(),
            session_id: h.session_id,
            source_loc_uri: h.source.loc_uri.to_string(),
            msg_id: Some(h.msg_id),
        }
    }

    #[test]
    fn reads_the_header_as_the_decoder_does_in_both_encodings() {
        let prefixed = concat!(
            r#"<s:SyncML xmlns:s="SYNCML:SYNCML1.2"><s:SyncHdr><s:VerDTD>1.2</s:VerDTD>"#,
            "<s:VerProto>DM/1.2</s:VerProto><s:SessionID>7</s:SessionID>",
            "<s:MsgID>2</s:MsgID><s:Target><s:LocURI>x</s:LocURI></s:Target>",
            "<s:Source><s:LocURI>dev</s:LocURI></s:Source></s:SyncHdr><s:SyncBody/>",
            "</s:SyncML>",
        );
        for xml in [
            whole("<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>"),
            prefixed.to_owned(),
        ] {
            let expected = of_decoded(xml.as_bytes());
            assert_eq!(session_head(xml.as_bytes()).as_ref(), Some(&expected));
            let m = crate::decode(xml.as_bytes()).unwrap().message;
            let wbxml = crate::wbxml::encode(&m);
            assert_eq!(session_head(&wbxml), Some(expected), "{xml} as WBXML");
        }
        let h = session_head(whole("").as_bytes()).unwrap();
        assert_eq!(h.source_loc_uri, "IMEI:1&23");
        assert_eq!(h.session_id, " 1A ");
        assert_eq!(h.msg_id.as_deref(), Some("1"));
    }

    #[test]
    fn keys_a_header_the_decoder_refuses_as_far_as_it_reads() {
        let no_ver_dtd = whole("").replace("<VerDTD>1.2</VerDTD>", "");
        let undeclared = whole("").replace("<SessionID>", "<x:Junk/><SessionID>");
        let cut = format!("{HDR}<SyncBody><Alert><CmdID>1</Cmd");
        let cut_in_hdr = HDR.replace("<LocName>u</LocName></Source></SyncHdr>", "<Loc");
        let no_msg_id = whole("").replace("<MsgID>1</MsgID>", "");
        for c in [&no_ver_dtd, &undeclared, &cut, &cut_in_hdr, &no_msg_id] {
            assert!(crate::decode(c.as_bytes()).is_err(), "{c}");
            let h = session_head(c.as_bytes()).unwrap_or_else(|| panic!("{c}"));
            assert_eq!(
                (h.session_id.as_str(), h.source_loc_uri.as_str()),
                (" 1A ", "IMEI:1&23")
            );
        }
        assert_eq!(session_head(no_msg_id.as_bytes()).unwrap().msg_id, None);
        // Reading stops at the header: what follows is never looked at, not even
        // checked as UTF-8.
        let later_junk = format!("{HDR}\u{0}<<<");
        assert!(session_head(later_junk.as_bytes()).is_some());
        let mut not_utf8 = whole("<Alert><CmdID>1</CmdID><Data>").into_bytes();
        not_utf8.extend_from_slice(b"\xFF\xFE</Data></Alert>");
        assert_eq!(session_head(&not_utf8).unwrap().session_id, " 1A ");
        // The body's name within the header does not cut the header short.
        let named = whole("").replace("<LocName>u", "<LocName>SyncBody");
        assert_eq!(
            session_head(named.as_bytes()),
            Some(of_decoded(named.as_bytes()))
        );
        let named_early = whole("").replace("<VerDTD>1.2</VerDTD>", "<!-- SyncBody -->");
        let h = session_head(named_early.as_bytes()).unwrap();
        assert_eq!(h.source_loc_uri, "IMEI:1&23");
    }

    #[test]
    fn no_key_where_a_field_is_unsure_or_missing() {
        let cases = [
            whole("").replace("<MsgID>", "<SessionID>2</SessionID><MsgID>"),
            whole("").replace("<LocName>", "<LocURI>other</LocURI><LocName>"),
            whole("").replace(" 1A </SessionID>", "1<b/>A</SessionID>"),
            whole("").replace(
                "<Source><LocURI>IMEI:1&amp;<![CDATA[2]]>&#51;</LocURI>",
                "<X>",
            ),
            "<SyncMl><SyncHdr><SessionID>1</SessionID></SyncHdr></SyncMl>".to_owned(),
            "<SyncML><SyncHdr><SessionID>1</SessionID>".to_owned(),
            "not xml".to_owned(),
            String::new(),
        ];
        for c in cases {
            assert_eq!(session_head(c.as_bytes()), None, "{c}");
        }
        assert_eq!(session_head(&[0x03, 0xA4]), None);
        // A MsgID given twice is unsure: the key stays, without it.
        let two = whole("").replace("<MsgID>1</MsgID>", "<MsgID>1</MsgID><MsgID>2</MsgID>");
        assert_eq!(session_head(two.as_bytes()).unwrap().msg_id, None);
    }

    #[test]
    fn a_session_setup_is_told_as_the_model_tells_it() {
        let cases = [
            (
                whole("<Alert><CmdID>1</CmdID><Data> 1201 </Data></Alert>"),
                true,
            ),
            (
                whole("<Alert><CmdID>1</CmdID><Data>1200</Data></Alert>"),
                true,
            ),
            (
                whole("<Get><CmdID>1</CmdID><Item><Data>1201</Data></Item></Get>"),
                false,
            ),
            (
                whole("<Alert><CmdID>1</CmdID><Data>1222</Data></Alert>"),
                false,
            ),
            (
                whole(concat!(
                    "<Alert><CmdID>1</CmdID><Data>1224</Data></Alert>",
                    "<Alert><CmdID>2</CmdID><Data>1201</Data></Alert>"
                )),
                true,
            ),
            (whole(""), false),
        ];
        for (xml, setup) in &cases {
            let m = crate::decode(xml.as_bytes()).expect("decodes").message;
            assert_eq!(m.is_session_setup(), *setup, "{xml}");
            assert_eq!(opens_session(xml.as_bytes()), *setup, "{xml}");
            assert_eq!(
                opens_session(&crate::wbxml::encode(&m)),
                *setup,
                "{xml} as WBXML"
            );
        }
        // Lenient: the header the decoder refuses, and what follows the Alert, are not
        // its business.
        let sloppy = whole("<Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Bad")
            .replace("<VerDTD>1.2</VerDTD>", "");
        assert!(opens_session(sloppy.as_bytes()));
        assert!(!opens_session(
            b"<SyncMl><SyncBody><Alert><Data>1201</Data></Alert>"
        ));
    }
}
