//! Decoding maps each command as the parser closes it, so the whole tree never
//! exists. That must change nothing: the model, the spans, the foreign elements and
//! the first error are those of the whole tree mapped at once (`SyncML::from_element`
//! on `parse_tree`), in XML and in WBXML, whatever the message's shape.

use dmct_proto::namespace::{ForeignElements, foreign_elements};
use dmct_proto::wbxml::{self, Document, PUBLIC_ID_SYNCML_1_2, PublicId};
use dmct_proto::xml::{self, DecodeError};
use dmct_proto::{Spans, SyncML};
use proptest::prelude::*;

type Outcome = Result<(SyncML, Spans, ForeignElements), DecodeError>;

/// The whole tree, then the model.
fn whole(bytes: &[u8]) -> Outcome {
    let root = match bytes.first() {
        Some(0x01..=0x03) => wbxml::parse_tree(bytes)?,
        _ => xml::parse_tree(bytes)?,
    };
    let foreign = foreign_elements(&root);
    let (m, s) = SyncML::from_element(&root).map_err(|error| DecodeError::Schema {
        offset: error.span.start,
        error,
    })?;
    Ok((m, s, foreign))
}

fn streamed(bytes: &[u8]) -> Outcome {
    dmct_proto::decode(bytes).map(|d| (d.message, d.spans, d.foreign))
}

/// The message in XML and, where it parses, in WBXML (namespaces other than MetInf
/// become SyncML's there).
fn both_encodings(text: &str) -> Vec<Vec<u8>> {
    let mut out = vec![text.as_bytes().to_vec()];
    if let Ok(root) = xml::parse_tree(text.as_bytes()) {
        out.push(wbxml::encode_document(&Document {
            version: 0x03,
            public_id: PublicId::Numeric(PUBLIC_ID_SYNCML_1_2),
            root,
        }));
    }
    out
}

fn assert_same(text: &str) {
    for bytes in both_encodings(text) {
        assert_eq!(streamed(&bytes), whole(&bytes), "{text}");
    }
}

const HDR: &str = "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>\
    <SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>a</LocURI></Target>\
    <Source><LocURI>b</LocURI></Source></SyncHdr>";
const BAD_HDR: &str = "<SyncHdr><VerDTD>1.2</VerDTD></SyncHdr>";

/// Pieces of a message: good and bad commands, Final with and without content, text,
/// foreign elements, a second SyncBody or a header after the body.
const PIECES: &[&str] = &[
    "<Get><CmdID>1</CmdID><Item><Target><LocURI>./a</LocURI></Target></Item></Get>",
    "<Get><CmdID>2</CmdID><Item><Target><LocURI>./b</LocURI></Target></Item></Get>",
    "<Get><Item><Target><LocURI>./a</LocURI></Target></Item></Get>",
    "<Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
     <Data>200</Data></Status>",
    "<Status><CmdID>4</CmdID></Status>",
    "<Alert><CmdID>5</CmdID><Data>1201</Data></Alert>",
    "<Atomic><CmdID>6</CmdID><Get><CmdID>7</CmdID></Get><Add/></Atomic>",
    "<Replace><CmdID>8</CmdID><Item><Source><LocURI>./x</LocURI></Source>\
     <Data><MgmtTree xmlns=\"syncml:dmddf1.2\"><Node/></MgmtTree></Data></Item></Replace>",
    "<Exec><CmdID>9</CmdID><Ext xmlns=\"urn:x-vendor\"><In/></Ext></Exec>",
    "<Vendor xmlns=\"urn:x-vendor\"><X>1</X></Vendor>",
    "<Frob><CmdID>10</CmdID></Frob>",
    "<Final/>",
    "<Final>x</Final>",
    "<Final><Oops/></Final>",
    " some text ",
    "\n  ",
    "</SyncBody><SyncBody>",
    "</SyncBody><SyncBody/><SyncBody>",
    "</SyncBody><Stray/><SyncBody>",
    "</SyncBody>HDR<SyncBody>",
    "</SyncBody>BADHDR<SyncBody>",
    "<Get><CmdID>11</CmdID><NoResp>no</NoResp></Get>",
    "<Replace><CmdID>12</CmdID><Item><Source><LocURI>./d</LocURI></Source><Data>v&amp;1\
     </Data></Item><Item><Data><![CDATA[<x>]]></Data></Item></Replace>",
    "<Atomic><CmdID>13</CmdID><Add><CmdID>14</CmdID><Item><Data>in atomic</Data></Item>\
     </Add><Item><Data>kept whole</Data></Item></Atomic>",
    "<Frob><Item><Data>verbatim</Data></Item></Frob>",
    "<Results><CmdID>15</CmdID><CmdRef>1</CmdRef><Item><Data>r</Data></Item>\
     <Item><Data/></Item><Vendor><Item><Data>ext</Data></Item></Vendor></Results>",
    "<Alert><CmdID>16</CmdID><Data>1226</Data><Item><Data>generic</Data></Item></Alert>",
    "<Add><CmdID>17</CmdID><Item><Data>once</Data><Data>again</Data></Item></Add>",
];

fn message(before_body: &str, body: &[usize], after_body: &str) -> String {
    let inner: String = body
        .iter()
        .map(|i| PIECES[*i].replace("BADHDR", BAD_HDR).replace("HDR", HDR))
        .collect();
    format!(
        "<?xml version=\"1.0\"?><SyncML xmlns=\"SYNCML:SYNCML1.2\">{before_body}\
         <SyncBody>{inner}</SyncBody>{after_body}</SyncML>"
    )
}

#[test]
fn named_shapes_decode_as_the_whole_tree_does() {
    let shapes = [
        message(HDR, &[0, 1, 3, 5, 6, 7, 9, 10, 11], ""),
        message(HDR, &[0, 2, 14], ""),
        message(HDR, &[12, 2], ""),
        message(HDR, &[2, 12], ""),
        message(HDR, &[0, 16, 4], ""),
        message(HDR, &[4, 16, 2], ""),
        message(HDR, &[0, 17, 1], ""),
        message(HDR, &[0, 1, 0, 1, 2], ""),
        message(HDR, &[8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8], ""),
        message("", &[0, 2], HDR),
        message("", &[0, 1], BAD_HDR),
        message("", &[0, 2], BAD_HDR),
        message("", &[0, 2], ""),
        message(BAD_HDR, &[2], ""),
        message(&format!("{HDR}<Stray/>"), &[2], ""),
        message(HDR, &[2], "<Stray/>"),
        message(&format!("{HDR} root text "), &[2], ""),
        message(HDR, &[2], " root text after"),
        message(HDR, &[6, 21], ""),
        message(HDR, &[], ""),
        message(HDR, &[11, 13, 0], ""),
        message(HDR, &[0, 18, 1, 19, 2], ""),
        message(HDR, &[0, 20, 2], ""),
        message(HDR, &[10, 10, 10, 9, 9], ""),
        message(HDR, &[22, 23, 24, 25, 26, 11], ""),
        message(HDR, &[22, 2, 23], ""),
        message(HDR, &[22, 27, 23], ""),
    ];
    for s in &shapes {
        assert_same(s);
    }
    // Namespaces: a foreign SyncBody or root reports itself, not what it holds.
    assert_same(&message(HDR, &[9, 8], "").replace("<SyncBody>", "<SyncBody xmlns=\"urn:other\">"));
    assert_same(&message(HDR, &[9, 8], "").replace("SYNCML:SYNCML1.2", "urn:other"));
    assert_same(
        &message(HDR, &[0, 9], "").replace("<SyncBody>", "<SyncBody xmlns=\"SYNCML:SYNCML1.1\">"),
    );
    // Not a SyncML root, an empty first SyncBody, a syntax error after a bad command.
    assert_same(&message(HDR, &[0, 2], "").replace("SyncML", "Other"));
    assert_same(&message(HDR, &[0, 2], "").replace("<SyncBody>", "<SyncBody/><SyncBody>"));
    assert_same(&message(HDR, &[2, 0], "").replace("</SyncBody>", "</Sync>"));
    assert!(streamed(message(HDR, &[2], "").as_bytes()).is_err());
    // Data that is not text (WBXML opaque bytes) is taken as it is too.
    let mut m = streamed(message(HDR, &[26], "").as_bytes()).unwrap().0;
    let dmct_proto::Command::Alert(r) = &mut m.body.commands[0] else {
        panic!("not an Alert")
    };
    r.items[0].data = Some(dmct_proto::Data::Opaque(vec![0xFF, 0x00, 0xC3].into()));
    let bytes = dmct_proto::encode(&m, xml::Encoding::Wbxml);
    let (again, _, _) = streamed(&bytes).unwrap();
    assert_eq!(again, m);
    assert_eq!(streamed(&bytes), whole(&bytes));
}

/// Cases: 400 in the test run; `cargo xtask slow` sets `DMCT_PROPTEST_CASES` higher.
fn cases() -> u32 {
    std::env::var("DMCT_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_arrangement_decodes_as_the_whole_tree_does(
        hdr_first in any::<bool>(),
        body in proptest::collection::vec(0..PIECES.len(), 0..10),
    ) {
        let text = if hdr_first {
            message(HDR, &body, "")
        } else {
            message("", &body, HDR)
        };
        for bytes in both_encodings(&text) {
            prop_assert_eq!(streamed(&bytes), whole(&bytes), "{}", text);
        }
    }
}
