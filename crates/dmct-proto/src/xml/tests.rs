//! Tests of the XML codec: round trips, the syntax it refuses, and error positions.

use super::*;

const PKG1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<SyncML xmlns="SYNCML:SYNCML1.2">
  <SyncHdr>
    <VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>
    <SessionID>1</SessionID><MsgID>1</MsgID>
    <Target><LocURI>http://www.syncml.org/mgmt-server</LocURI></Target>
    <Source><LocURI>IMEI:493005100592800</LocURI><LocName>Bruce2</LocName></Source>
    <Cred>
      <Meta><Type xmlns="syncml:metinf">syncml:auth-basic</Type>
            <Format xmlns="syncml:metinf">b64</Format></Meta>
      <Data>QnJ1Y2UyOk9oQmVoYXZl</Data>
    </Cred>
    <Meta><MaxMsgSize xmlns="syncml:metinf">5000</MaxMsgSize></Meta>
  </SyncHdr>
  <SyncBody>
    <Alert><CmdID>1</CmdID><Data>1201</Data></Alert>
    <Replace><CmdID>2</CmdID>
      <Item><Source><LocURI>./DevInfo/Man</LocURI></Source><Data>a &amp; b &#x3C;c&gt;</Data></Item>
      <Item><Source><LocURI>./DevInfo/Lang</LocURI></Source><Data><![CDATA[<en>]]></Data></Item>
    </Replace>
    <Final/>
  </SyncBody>
</SyncML>"#;

#[test]
fn decodes_a_package_one_with_entities_cdata_and_metinf() {
    let d = decode(PKG1.as_bytes()).unwrap();
    let m = &d.message;
    assert_eq!(m.hdr.ver_proto, "DM/1.2");
    assert_eq!(m.hdr.source.loc_name.as_deref(), Some("Bruce2"));
    let cred = m.hdr.cred.as_ref().unwrap();
    assert_eq!(
        cred.meta.as_ref().unwrap().r#type.as_deref(),
        Some("syncml:auth-basic")
    );
    assert_eq!(
        m.hdr.meta.as_ref().unwrap().max_msg_size.as_deref(),
        Some("5000")
    );
    assert!(m.body.final_);
    assert!(m.is_session_setup());
    let crate::Command::Replace(r) = &m.body.commands[1] else {
        panic!("not a Replace")
    };
    assert_eq!(
        r.items[0].data.as_ref().unwrap().as_text(),
        Some("a & b <c>")
    );
    assert_eq!(r.items[1].data.as_ref().unwrap().as_text(), Some("<en>"));
    // Spans point at the wire bytes of each command.
    assert!(
        d.command_excerpt(0)
            .unwrap()
            .starts_with("<Alert><CmdID>1</CmdID>")
    );
    assert!(d.command_excerpt(1).unwrap().ends_with("</Replace>"));
    assert!(d.hdr_excerpt().starts_with("<SyncHdr>"));
}

/// A WBXML command read again alone is the same excerpt as its subtree of the
/// whole tree, also where the page before it was MetInf (a Meta just ended), and
/// for a literal element the model does not know.
#[test]
fn wbxml_excerpts_read_alone_equal_the_whole_trees() {
    let xml = PKG1.replace(
        "</SyncBody>",
        "<Get><CmdID>9</CmdID><Meta><Type xmlns=\"syncml:metinf\">t</Type></Meta>\
             <Item><Target><LocURI>./x</LocURI></Target></Item></Get>\
             <Vendor><X>1</X></Vendor></SyncBody>",
    );
    let m = decode(xml.as_bytes()).unwrap().message;
    let bytes = crate::wbxml::encode(&m);
    let d = crate::wbxml::decode(&bytes).unwrap();
    let doc = d.wbxml_document().unwrap();
    let whole = |span: &Range<usize>| {
        let mut w = Writer::new(Vec::new());
        write_element(&mut w, subtree(&doc.root, span).unwrap());
        format!(
            "{WBXML_EXCERPT_LABEL} {}",
            String::from_utf8_lossy(&w.into_inner())
        )
    };
    assert_eq!(d.spans.commands.len(), m.body.commands.len());
    for (i, span) in d.spans.commands.iter().enumerate() {
        assert_eq!(d.command_excerpt(i).unwrap(), whole(&span), "command {i}");
    }
    assert_eq!(d.hdr_excerpt(), whole(&d.spans.hdr));
    let last = d.command_excerpt(m.body.commands.len() - 1).unwrap();
    assert!(last.contains("<Vendor><X>1</X></Vendor>"), "{last}");
}

#[test]
fn encode_then_decode_gives_the_same_model() {
    let d = decode(PKG1.as_bytes()).unwrap();
    let again = decode(&encode(&d.message)).unwrap();
    assert_eq!(again.message, d.message);
}

#[test]
fn errors_name_offset_and_path() {
    let e = decode(b"<SyncML><SyncHdr><VerDTD>1.2</VerProto></SyncHdr></SyncML>").unwrap_err();
    match &e {
        DecodeError::Syntax { offset, path, .. } => {
            assert_eq!(*offset, 28, "{e}");
            assert_eq!(path, "SyncML/SyncHdr/VerDTD");
        }
        other => panic!("unexpected {other:?}"),
    }
    let e = decode(
        b"<SyncML><SyncHdr/><SyncBody><Status><CmdID>1</CmdID></Status></SyncBody></SyncML>",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("SyncML/SyncHdr: missing required <VerDTD>"),
        "{e}"
    );
    let body = b"<SyncML><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>\
                 <SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>a</LocURI></Target>\
                 <Source><LocURI>b</LocURI></Source></SyncHdr>\
                 <SyncBody><Status><CmdID>1</CmdID></Status></SyncBody></SyncML>";
    let e = decode(body).unwrap_err();
    assert!(
        e.to_string()
            .contains("SyncML/SyncBody/Status: missing required <MsgRef>"),
        "{e}"
    );
    assert_eq!(
        e.offset(),
        body.windows(8).position(|w| w == b"<Status>").unwrap()
    );
}

#[test]
fn refuses_bad_input_without_panicking() {
    assert_eq!(decode(b"").unwrap_err(), DecodeError::Empty);
    assert_eq!(decode(b" \n").unwrap_err(), DecodeError::Empty);
    assert!(matches!(
        decode(b"<a>\xff</a>"),
        Err(DecodeError::NotUtf8 { offset: 3 })
    ));
    assert!(matches!(
        decode(b"not xml at all"),
        Err(DecodeError::Syntax { .. })
    ));
    assert!(matches!(
        decode(b"<SyncML><SyncHdr>"),
        Err(DecodeError::Syntax { .. })
    ));
    assert!(matches!(
        decode(b"<SyncML/><x/>"),
        Err(DecodeError::Syntax { .. })
    ));
    assert!(matches!(
        decode(b"<html/>"),
        Err(DecodeError::Schema { .. })
    ));
    let deep = "<a>".repeat(MAX_DEPTH + 1);
    assert!(matches!(
        decode(deep.as_bytes()),
        Err(DecodeError::TooDeep { .. })
    ));
}

#[test]
fn reads_the_dm_1_1_2_form() {
    let xml = PKG1
        .replace("SYNCML:SYNCML1.2", "SYNCML:SYNCML1.1")
        .replace(
            "<VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>",
            "<VerDTD>1.1</VerDTD><VerProto>DM/1.1</VerProto>",
        );
    let m = decode(xml.as_bytes()).unwrap().message;
    assert_eq!(
        (m.hdr.ver_dtd.as_str(), m.hdr.ver_proto.as_str()),
        ("1.1", "DM/1.1")
    );
    assert!(m.is_session_setup());
    // MetInf given with a prefix instead of a default namespace.
    let prefixed = PKG1.replace(
        r#"<Meta><MaxMsgSize xmlns="syncml:metinf">5000</MaxMsgSize></Meta>"#,
        r#"<Meta xmlns:mi="syncml:metinf"><mi:MaxMsgSize>5000</mi:MaxMsgSize></Meta>"#,
    );
    let d2 = decode(prefixed.as_bytes()).unwrap();
    assert_eq!(
        d2.message
            .hdr
            .meta
            .as_ref()
            .unwrap()
            .max_msg_size
            .as_deref(),
        Some("5000")
    );
    // The wire view of XML is its own text: namespace, prefixes and layout as sent.
    assert_eq!(d2.wire_text(), prefixed);
    let with_bom = [&b"\xEF\xBB\xBF"[..], xml.as_bytes()].concat();
    assert_eq!(decode(&with_bom).unwrap().wire_text(), xml);
}

#[test]
fn entity_bombs_are_refused_not_expanded() {
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<SyncML><SyncHdr>&lol2;</SyncHdr></SyncML>"#;
    let e = decode(bomb).unwrap_err();
    assert!(e.to_string().contains("undefined entity &lol2;"), "{e}");
}

#[test]
fn unknown_elements_and_namespaces_are_kept() {
    let xml = PKG1.replace(
        "<Final/>",
        r#"<Frobnicate xmlns="urn:x-vendor"><Knob a="1">7</Knob></Frobnicate><Final/>"#,
    );
    let d = decode(xml.as_bytes()).unwrap();
    let crate::Command::Other(e) = &d.message.body.commands[2] else {
        panic!("dropped")
    };
    assert_eq!(e.namespace.as_deref(), Some("urn:x-vendor"));
    assert_eq!(
        e.elements().next().unwrap().attributes,
        vec![("a".into(), "1".into())]
    );
    let again = decode(&encode(&d.message)).unwrap();
    assert_eq!(again.message, d.message);
}
