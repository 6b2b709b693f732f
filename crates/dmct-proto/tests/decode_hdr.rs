//! `decode_hdr` reads what `decode` reads of the SyncHdr, and no further.

use dmct_proto::xml::{DecodeError, Encoding};
use dmct_proto::{decode, decode_hdr, encode};

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

#[test]
fn the_header_is_the_one_the_full_decoder_maps() {
    let prefixed = concat!(
        r#"<s:SyncML xmlns:s="SYNCML:SYNCML1.2"><s:SyncHdr><s:VerDTD>1.2</s:VerDTD>"#,
        "<s:VerProto>DM/1.2</s:VerProto><s:SessionID>7</s:SessionID><s:MsgID>2</s:MsgID>",
        "<s:Target><s:LocURI>x</s:LocURI></s:Target>",
        "<s:Source><s:LocURI>dev</s:LocURI></s:Source></s:SyncHdr><s:SyncBody/></s:SyncML>",
    );
    for xml in [
        whole("<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>"),
        prefixed.into(),
    ] {
        let full = decode(xml.as_bytes()).expect("decodes");
        assert_eq!(
            decode_hdr(xml.as_bytes()),
            Ok(full.message.hdr.clone()),
            "{xml}"
        );
        let wbxml = encode(&full.message, Encoding::Wbxml);
        assert_eq!(decode_hdr(&wbxml), Ok(full.message.hdr), "{xml} as WBXML");
    }
    let hdr = decode_hdr(whole("").as_bytes()).expect("decodes");
    assert_eq!(hdr.source.loc_uri, "IMEI:1&23");
    assert_eq!(hdr.session_id, " 1A ");
}

#[test]
fn reading_stops_once_the_header_closes() {
    let cut = format!("{HDR}<SyncBody><Alert><CmdID>1</Cmd");
    assert!(decode(cut.as_bytes()).is_err());
    assert_eq!(
        decode_hdr(cut.as_bytes()).map(|h| h.msg_id),
        Ok("1".to_owned())
    );
}

#[test]
fn a_bad_header_earns_the_full_decoders_error() {
    let cases = [
        // Twice the SessionID: a shape error.
        whole("").replace("<MsgID>", "<SessionID>2</SessionID><MsgID>"),
        // No Source.
        whole("").replace(
            "<Source><LocURI>IMEI:1&amp;<![CDATA[2]]>&#51;</LocURI>",
            "<X>",
        ),
        // An undefined entity inside the header: a syntax error.
        whole("").replace("&amp;", "&nbsp;"),
        // Not a SyncML root.
        "<SyncMl><SyncHdr></SyncHdr></SyncMl>".to_owned(),
        // The header is not the root's first child: read as a whole.
        "<SyncML><SyncBody/><SyncHdr/></SyncML>".to_owned(),
        "not xml".to_owned(),
        String::new(),
    ];
    for c in cases {
        let full = decode(c.as_bytes()).map(|d| d.message.hdr);
        assert!(full.is_err(), "{c}");
        assert_eq!(decode_hdr(c.as_bytes()), full, "{c}");
    }
    assert!(matches!(
        decode_hdr(
            whole("")
                .replace("<MsgID>", "<SessionID>2</SessionID><MsgID>")
                .as_bytes()
        ),
        Err(DecodeError::Schema { .. })
    ));
}
