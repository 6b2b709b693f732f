//! Tests of the WBXML codec: token tables, round trips, and the errors bad bytes earn.

use super::*;

/// The 94-byte Package 1 of `shared/spec/omadm-facts.md` §5.7, as libwbxml's
/// xml2wbxml 0.11.8 wrote it.
const LIBWBXML_PKG1: &[u8] = &[
    0x03, 0xA4, 0x01, 0x6A, 0x00, 0x6D, 0x6C, 0x71, 0x03, b'1', b'.', b'2', 0x00, 0x01, 0x72, 0x03,
    b'D', b'M', b'/', b'1', b'.', b'2', 0x00, 0x01, 0x65, 0x03, b'1', 0x00, 0x01, 0x5B, 0x03, b'1',
    0x00, 0x01, 0x6E, 0x57, 0x03, b'h', b't', b't', b'p', b':', b'/', b'/', b's', 0x00, 0x01, 0x01,
    0x67, 0x57, 0x03, b'I', b'M', b'E', b'I', b':', b'1', 0x00, 0x01, 0x01, 0x5A, 0x00, 0x01, 0x4C,
    0x03, b'5', b'0', b'0', b'0', 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x6B, 0x46, 0x4B, 0x03, b'1',
    0x00, 0x01, 0x4F, 0x03, b'1', b'2', b'0', b'1', 0x00, 0x01, 0x01, 0x12, 0x01, 0x01,
];

#[test]
fn decodes_the_libwbxml_package_and_encodes_it_back_byte_for_byte() {
    assert_eq!(LIBWBXML_PKG1.len(), 94);
    let d = decode(LIBWBXML_PKG1).unwrap();
    let m = &d.message;
    assert_eq!(m.hdr.target.loc_uri, "http://s");
    assert_eq!(
        m.hdr.meta.as_ref().unwrap().max_msg_size.as_deref(),
        Some("5000")
    );
    assert_eq!(m.alert_codes().collect::<Vec<_>>(), ["1201"]);
    assert!(m.body.final_);
    assert_eq!(encode(m), LIBWBXML_PKG1);
}

/// A SyncML 1.1 message whose Status children are out of DTD order, as its XML text.
const STATUS_1_1_XML: &str = concat!(
    r#"<SyncML xmlns="SYNCML:SYNCML1.1"><SyncHdr><VerDTD>1.1</VerDTD>"#,
    "<VerProto>DM/1.1</VerProto><SessionID>1</SessionID><MsgID>2</MsgID>",
    "<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>http://s</LocURI></Source>",
    "</SyncHdr><SyncBody><Status><Data>200</Data><Cmd>SyncHdr</Cmd><CmdRef>0</CmdRef>",
    "<MsgRef>1</MsgRef><CmdID>1</CmdID></Status><Final/></SyncBody></SyncML>"
);

/// The same message as libwbxml's `xml2wbxml -n` 0.11.8 wrote it from that text under
/// the SyncML 1.1 DOCTYPE: public id 0x0FD3 (`9F 53`), wire order kept.
fn status_1_1_libwbxml() -> Vec<u8> {
    [
        &b"\x03\x9F\x53\x6A\x00"[..], // WBXML 1.3, id 0x0FD3, UTF-8, no string table
        b"\x6D\x6C",                  // <SyncML><SyncHdr>
        b"\x71\x031.1\x00\x01\x72\x03DM/1.1\x00\x01", // VerDTD, VerProto
        b"\x65\x031\x00\x01\x5B\x032\x00\x01", // SessionID, MsgID
        // Target, Source, </SyncHdr>
        b"\x6E\x57\x03IMEI:1\x00\x01\x01\x67\x57\x03http://s\x00\x01\x01\x01",
        b"\x6B\x69",                                   // <SyncBody><Status>
        b"\x4F\x03200\x00\x01\x4A\x03SyncHdr\x00\x01", // Data, Cmd
        // CmdRef, MsgRef, CmdID, </Status>
        b"\x4C\x030\x00\x01\x5C\x031\x00\x01\x4B\x031\x00\x01\x01",
        b"\x12\x01\x01", // <Final/></SyncBody></SyncML>
    ]
    .concat()
}

const STATUS_AS_SENT: &str = "<Status><Data>200</Data><Cmd>SyncHdr</Cmd><CmdRef>0</CmdRef>\
                              <MsgRef>1</MsgRef><CmdID>1</CmdID></Status>";

#[test]
fn a_syncml_1_1_document_is_shown_as_1_1_in_wire_order() {
    let root = crate::xml::parse_tree(STATUS_1_1_XML.as_bytes()).unwrap();
    let bytes = encode_document(&Document {
        version: 0x03,
        public_id: PublicId::Numeric(PUBLIC_ID_SYNCML_1_1),
        root,
    });
    assert_eq!(bytes, status_1_1_libwbxml());
    let d = decode(&bytes).unwrap();
    let doc = d.wbxml_document().unwrap();
    assert_eq!(doc.public_id, PublicId::Numeric(PUBLIC_ID_SYNCML_1_1));
    assert_eq!(doc.root.namespace.as_deref(), Some("SYNCML:SYNCML1.1"));
    let text = d.wire_text();
    assert!(
        text.contains("<!-- WBXML 1.3, public id 0x0FD3 (-//SYNCML//DTD SyncML 1.1//EN)"),
        "{text}"
    );
    assert!(
        text.contains("<SyncML xmlns=\"SYNCML:SYNCML1.1\">"),
        "{text}"
    );
    assert!(!text.contains("SYNCML1.2"), "{text}");
    let order: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "<Status>")
        .take(6)
        .collect();
    assert_eq!(
        order,
        [
            "<Status>",
            "<Data>200</Data>",
            "<Cmd>SyncHdr</Cmd>",
            "<CmdRef>0</CmdRef>",
            "<MsgRef>1</MsgRef>",
            "<CmdID>1</CmdID>"
        ]
    );
    assert_eq!(
        d.command_excerpt(0).unwrap(),
        format!("{} {STATUS_AS_SENT}", crate::xml::WBXML_EXCERPT_LABEL)
    );
    assert!(
        d.hdr_excerpt()
            .starts_with("[WBXML, shown as XML] <SyncHdr><VerDTD>1.1")
    );
    // The model would have put CmdID first: the excerpt is not written from it.
    let from_model = crate::xml::encode(&d.message);
    assert!(!String::from_utf8_lossy(&from_model).contains(STATUS_AS_SENT));
}

#[test]
fn a_literal_public_id_is_kept_and_names_the_version() {
    let root = crate::xml::parse_tree(STATUS_1_1_XML.as_bytes()).unwrap();
    let fpi = "-//SYNCML//DTD SyncML 1.1//EN";
    let bytes = encode_document(&Document {
        version: 0x02,
        public_id: PublicId::Literal(fpi.into()),
        root,
    });
    // Public id 0 = "the string at string-table index 0".
    assert_eq!(&bytes[..4], [0x02, 0x00, 0x00, 0x6A]);
    let d = decode(&bytes).unwrap();
    assert_eq!(
        d.wbxml.as_ref().unwrap().public_id,
        PublicId::Literal(fpi.into())
    );
    let text = d.wire_text();
    assert!(
        text.contains(&format!(
            "WBXML 1.2, public id \"{fpi}\" (in the string table)"
        )),
        "{text}"
    );
    assert!(text.contains("xmlns=\"SYNCML:SYNCML1.1\""), "{text}");
    // An identifier dmct does not know is shown as the number it was.
    let mut odd = bytes.clone();
    odd.splice(1..3, [0x7F]);
    odd.drain(4..4 + fpi.len() + 1);
    odd[3] = 0x00;
    let d = decode(&odd).unwrap();
    assert!(
        d.wire_text()
            .contains("public id 0x007F (not a SyncML identifier)")
    );
}

#[test]
fn binary_opaque_data_is_kept_as_bytes() {
    use crate::model::{Command, Data};
    let mut m = decode(LIBWBXML_PKG1).unwrap().message;
    let Command::Alert(a) = &mut m.body.commands[0] else {
        panic!("not an Alert")
    };
    // A nested WBXML document (DevInf-like) is not UTF-8 text.
    let blob = vec![0x03, 0xA4, 0x03, 0x6A, 0x00, 0xFF, 0x00, 0x01];
    a.items.push(crate::model::Item {
        data: Some(Data::Opaque(blob.clone().into())),
        ..Default::default()
    });
    let bytes = encode(&m);
    let back = decode(&bytes).unwrap().message;
    assert_eq!(back, m);
    let Command::Alert(a) = &back.body.commands[0] else {
        panic!("not an Alert")
    };
    assert_eq!(a.items[0].data, Some(Data::Opaque(blob.into())));
}

#[test]
fn deep_nesting_and_huge_lengths_are_refused_quickly() {
    // 10,000 nested unknown-page-0 <Item> tags.
    let mut deep = vec![0x03, 0xA4, 0x01, 0x6A, 0x00];
    deep.extend(std::iter::repeat_n(0x54, 10_000));
    assert!(matches!(decode(&deep), Err(DecodeError::TooDeep { .. })));
    // An opaque length of ~4 GB with nothing behind it.
    let mut huge = LIBWBXML_PKG1[..9].to_vec();
    huge.extend_from_slice(&[0xC3, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F]);
    assert!(decode(&huge).is_err());
    // A string table offset out of range.
    let mut st = vec![
        0x03, 0xA4, 0x01, 0x6A, 0x02, b'a', 0x00, 0x6D, 0x83, 0x7F, 0x01,
    ];
    assert!(
        decode(&st)
            .unwrap_err()
            .to_string()
            .contains("string table offset")
    );
    // A literal public identifier that is not SyncML.
    st = vec![0x03, 0x00, 0x00, 0x6A, 0x04, b'-', b'/', b'x', 0x00, 0x2D];
    assert!(decode(&st).unwrap_err().to_string().contains("not SyncML"));
}

#[test]
fn multi_byte_integers() {
    let mut v = Vec::new();
    mb_u32(0x1201, &mut v);
    assert_eq!(v, [0xA4, 0x01]);
    v.clear();
    mb_u32(0, &mut v);
    assert_eq!(v, [0x00]);
    v.clear();
    mb_u32(u32::MAX, &mut v);
    assert_eq!(v, [0x8F, 0xFF, 0xFF, 0xFF, 0x7F]);
}

#[test]
fn bad_input_is_an_error_with_an_offset() {
    assert_eq!(decode(b"").unwrap_err(), DecodeError::Empty);
    assert!(
        decode(&[0x07, 0x00])
            .unwrap_err()
            .to_string()
            .contains("version")
    );
    assert!(decode(&LIBWBXML_PKG1[..50]).is_err());
    let mut bad = LIBWBXML_PKG1.to_vec();
    bad[6] = 0x7F; // SyncHdr token -> an unknown token
    let e = decode(&bad).unwrap_err();
    assert_eq!(e.offset(), 6, "{e}");
    assert!(e.to_string().contains("SyncML"), "{e}");
    // A string table that claims more bytes than there are.
    assert!(decode(&[0x03, 0xA4, 0x01, 0x6A, 0x7F, 0x00]).is_err());
    // Over-long multi-byte integer.
    assert!(decode(&[0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).is_err());
}
