//! Property: any message of the model survives XML encoding and decoding unchanged.

use dmct_proto::tree::{Element, Node};
use dmct_proto::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

/// Cases per property: 64 in the test run, 2,000 in `cargo xtask slow` (which CI runs);
/// `cargo xtask props` runs 10,000, optimised (or
/// whatever `DMCT_PROPTEST_CASES` says).
fn cases() -> u32 {
    std::env::var("DMCT_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// Text XML 1.0 can carry: no C0 controls but tab, LF and CR (CR is escaped).
fn text() -> BoxedStrategy<String> {
    "[ -~\t\n\r\u{a0}-\u{2fff}]{0,12}".boxed()
}

fn token() -> BoxedStrategy<String> {
    "[A-Za-z0-9./:_-]{1,10}".boxed()
}

fn loc_ref() -> BoxedStrategy<LocRef> {
    (token(), option::of(text()))
        .prop_map(|(loc_uri, loc_name)| LocRef {
            loc_uri: loc_uri.into(),
            loc_name: loc_name.map(Into::into),
        })
        .boxed()
}

fn vendor_element() -> BoxedStrategy<Element> {
    let leaf = (prop::sample::select(vec!["XKnob", "XDial", "XTag"]), text())
        .prop_map(|(name, t)| Element::new(name).with_text(t));
    let tree = leaf.prop_recursive(3, 12, 3, |inner| {
        (
            prop::sample::select(vec!["XVendor", "XExt"]),
            vec(inner, 1..3),
            option::of(("[a-z]{1,4}", text())),
        )
            .prop_map(|(name, kids, attr)| {
                let mut e = Element::new(name);
                e.attributes.extend(attr);
                e.children = kids.into_iter().map(Node::Element).collect();
                e
            })
    });
    // Only the outermost element declares a namespace: the tree records one only where
    // it differs from the parent's.
    (tree, option::of(Just("urn:x-vendor".to_owned())))
        .prop_map(|(mut e, ns)| {
            e.namespace = ns;
            e
        })
        .boxed()
}

fn extensions() -> impl Strategy<Value = Extensions> {
    vec(vendor_element(), 0..2).prop_map(Extensions::from)
}

fn meta() -> BoxedStrategy<Meta> {
    (
        (
            option::of(token()),
            option::of(token()),
            option::of(token()),
            option::of("[0-9]{1,6}"),
        ),
        (
            option::of(token()),
            option::of(token()),
            option::of("[0-9]{1,6}"),
            option::of("[0-9]{1,6}"),
        ),
        vec(token(), 0..2),
        extensions(),
    )
        .prop_map(
            |(
                (format, r#type, mark, size),
                (next_nonce, version, max_msg_size, max_obj_size),
                emi,
                extensions,
            )| Meta {
                format,
                r#type,
                mark,
                size,
                next_nonce,
                version,
                max_msg_size,
                max_obj_size,
                emi,
                extensions,
            },
        )
        .boxed()
}

fn cred() -> BoxedStrategy<Cred> {
    (option::of(meta()), token())
        .prop_map(|(meta, data)| Cred { meta, data })
        .boxed()
}

fn data() -> BoxedStrategy<Data> {
    prop_oneof![
        text().prop_map(Data::Text),
        // Nested XML holds at least one element, and no two adjacent text nodes (the
        // decoder merges them, as XML does).
        (
            option::of("[a-z]{1,5}"),
            vendor_element(),
            option::of("[a-z]{1,5}")
        )
            .prop_map(|(before, el, after)| {
                let mut nodes = Vec::new();
                nodes.extend(before.map(Node::Text));
                nodes.push(Node::Element(el));
                nodes.extend(after.map(Node::Text));
                Data::Xml(nodes.into())
            }),
    ]
    .boxed()
}

fn item() -> BoxedStrategy<Item> {
    (
        (option::of(loc_ref()), option::of(loc_ref())),
        (option::of(loc_ref()), option::of(loc_ref())),
        option::of(meta()),
        option::of(data()),
        any::<bool>(),
        extensions(),
    )
        .prop_map(
            |(
                (target, source),
                (source_parent, target_parent),
                meta,
                data,
                more_data,
                extensions,
            )| Item {
                target,
                source,
                meta: meta.map(Box::new),
                data,
                extras: ItemExtras {
                    more_data,
                    source_parent,
                    target_parent,
                    extensions,
                }
                .into(),
            },
        )
        .boxed()
}

fn item_cmd() -> BoxedStrategy<ItemCmd> {
    (
        "[1-9][0-9]{0,2}",
        any::<bool>(),
        option::of(cred()),
        option::of(meta()),
        option::of(token()),
        vec(item(), 0..3),
        extensions(),
    )
        .prop_map(
            |(cmd_id, no_resp, cred, meta, correlator, items, extensions)| ItemCmd {
                cmd_id: cmd_id.into(),
                items,
                extras: CmdExtras {
                    no_resp,
                    cred,
                    meta,
                    correlator,
                    extensions,
                }
                .into(),
            },
        )
        .boxed()
}

fn leaf_command() -> BoxedStrategy<Command> {
    let alert = (
        "[1-9][0-9]{0,2}",
        any::<bool>(),
        option::of(cred()),
        option::of("1[0-9]{3}"),
        option::of(token()),
        vec(item(), 0..3),
    )
        .prop_map(|(cmd_id, no_resp, cred, data, correlator, items)| {
            Command::alert(Alert {
                cmd_id: cmd_id.into(),
                no_resp,
                cred: cred.map(Box::new),
                data: data.map(Into::into),
                correlator: correlator.map(String::into_boxed_str),
                items,
                extensions: Default::default(),
            })
        });
    let status = (
        (
            "[1-9][0-9]{0,2}",
            "[0-9]{1,3}",
            "[0-9]{1,3}",
            prop::sample::select(vec!["SyncHdr", "Get", "Alert"]),
        ),
        (vec(token(), 0..2), vec(token(), 0..2), option::of(cred())),
        (
            option::of(meta()),
            "[1-5][0-9]{2}",
            vec(item(), 0..2),
            extensions(),
        ),
    )
        .prop_map(
            |(
                (cmd_id, msg_ref, cmd_ref, cmd),
                (target_ref, source_ref, cred),
                (chal, data, items, extensions),
            )| {
                Command::status(Status {
                    cmd_id: cmd_id.into(),
                    msg_ref: msg_ref.into(),
                    cmd_ref: cmd_ref.into(),
                    cmd: cmd.into(),
                    target_ref,
                    source_ref,
                    cred: cred.map(Box::new),
                    chal: chal.map(|meta| Box::new(Chal { meta })),
                    data: data.into(),
                    items,
                    extensions,
                })
            },
        );
    let results = (
        "[1-9][0-9]{0,2}",
        option::of("[0-9]{1,3}"),
        "[0-9]{1,3}",
        option::of(meta()),
        (vec(token(), 0..2), vec(token(), 0..2)),
        vec(item(), 1..3),
    )
        .prop_map(
            |(cmd_id, msg_ref, cmd_ref, meta, (target_ref, source_ref), items)| {
                Command::results(Results {
                    cmd_id: cmd_id.into(),
                    msg_ref: msg_ref.map(Into::into),
                    cmd_ref: cmd_ref.into(),
                    meta: meta.map(Box::new),
                    target_ref,
                    source_ref,
                    items,
                    extensions: Default::default(),
                })
            },
        );
    prop_oneof![
        item_cmd().prop_map(Command::Add),
        item_cmd().prop_map(Command::Copy),
        item_cmd().prop_map(Command::Delete),
        item_cmd().prop_map(Command::Exec),
        item_cmd().prop_map(Command::Get),
        item_cmd().prop_map(Command::Replace),
        alert,
        status,
        results,
        vendor_element().prop_map(|e| Command::Other(Box::new(e))),
    ]
    .boxed()
}

/// Any command, Atomic and Sequence holding leaf commands.
fn command() -> BoxedStrategy<Command> {
    let container = (
        "[1-9][0-9]{0,2}",
        any::<bool>(),
        option::of(meta()),
        vec(leaf_command(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(cmd_id, no_resp, meta, commands, atomic)| {
            let c = Container {
                cmd_id: cmd_id.into(),
                no_resp,
                meta: meta.map(Box::new),
                commands,
                extensions: Default::default(),
            };
            if atomic {
                Command::atomic(c)
            } else {
                Command::sequence(c)
            }
        });
    prop_oneof![4 => leaf_command(), 1 => container].boxed()
}

fn message() -> BoxedStrategy<SyncML> {
    (
        (
            prop::sample::select(vec!["1.2", "1.1"]),
            prop::sample::select(vec!["DM/1.2", "DM/1.1"]),
            "[0-9A-F]{1,4}",
            "[1-9][0-9]{0,2}",
        ),
        (
            loc_ref(),
            loc_ref(),
            option::of(token()),
            any::<bool>(),
            option::of(cred()),
            option::of(meta()),
        ),
        (vec(command(), 0..6), any::<bool>(), extensions()),
    )
        .prop_map(
            |(
                (ver_dtd, ver_proto, session_id, msg_id),
                (target, source, resp_uri, no_resp, cred, meta),
                (commands, final_, extensions),
            )| SyncML {
                hdr: SyncHdr {
                    ver_dtd: ver_dtd.into(),
                    ver_proto: ver_proto.into(),
                    session_id,
                    msg_id,
                    target,
                    source,
                    resp_uri,
                    no_resp,
                    cred,
                    meta,
                    extensions,
                },
                body: SyncBody { commands, final_ },
            },
        )
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn model_to_xml_to_model(m in message()) {
        let bytes = xml::encode(&m);
        let decoded = xml::decode(&bytes).map_err(|e| {
            TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&bytes)))
        })?;
        prop_assert_eq!(&decoded.message, &m);
        // Every command got a span, and each span covers exactly that command's bytes.
        prop_assert_eq!(decoded.spans.commands.len(), m.body.commands.len());
        for (i, c) in m.body.commands.iter().enumerate() {
            let excerpt = decoded.command_excerpt(i).unwrap();
            let open = format!("<{}", c.name());
            let close_full = format!("</{}>", c.name());
            prop_assert!(excerpt.starts_with(&open), "{}", excerpt);
            prop_assert!(excerpt.ends_with(&close_full) || excerpt.ends_with("/>"), "{}", excerpt);
        }
    }

    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..256)) {
        let _ = xml::decode(&bytes);
    }

    #[test]
    fn decoder_never_panics_on_mangled_messages(m in message(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = xml::encode(&m);
        let i = cut.index(bytes.len());
        bytes[i] = byte;
        let _ = xml::decode(&bytes);
        bytes.truncate(i);
        let _ = xml::decode(&bytes);
    }
}

/// The message as WBXML can carry it: no attributes, and no namespaces beyond the two
/// code pages (vendor elements then travel as LITERAL tags).
fn wbxml_safe(m: SyncML) -> SyncML {
    fn strip(e: &mut Element) {
        e.attributes.clear();
        if e.namespace
            .as_deref()
            .is_some_and(|ns| ns != NS_METINF && ns != NS_SYNCML_1_2)
        {
            e.namespace = None;
        }
        for c in &mut e.children {
            if let Node::Element(c) = c {
                strip(c);
            }
        }
    }
    let mut root = m.to_element();
    strip(&mut root);
    SyncML::from_element(&root)
        .expect("a stripped message is still a message")
        .0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn model_to_wbxml_to_model_and_both_encodings_agree(m in message()) {
        let m = wbxml_safe(m);
        let bytes = wbxml::encode(&m);
        let from_wbxml = dmct_proto::decode(&bytes).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(from_wbxml.encoding, xml::Encoding::Wbxml);
        prop_assert_eq!(&from_wbxml.message, &m);
        let from_xml = dmct_proto::decode(&xml::encode(&m)).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(from_xml.message, from_wbxml.message);
        prop_assert_eq!(from_wbxml.spans.commands.len(), m.body.commands.len());
    }

    #[test]
    fn wbxml_decoder_never_panics(bytes in vec(any::<u8>(), 0..256), m in message(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let _ = wbxml::decode(&bytes);
        let mut enc = wbxml::encode(&wbxml_safe(m));
        let i = cut.index(enc.len());
        enc[i] = byte;
        let _ = wbxml::decode(&enc);
        enc.truncate(i);
        let _ = wbxml::decode(&enc);
    }
}

/// The streaming `dmct decode` view of `bytes` equals the tree path's (and is absent
/// where the tree path refuses); whether it streamed.
fn stream_view_agrees(bytes: &[u8]) -> Result<bool, TestCaseError> {
    let tree = dmct_proto::decode(bytes).ok().map(|d| d.tree_wire_text());
    let mut out = Vec::new();
    let streamed = dmct_proto::stream::write_wire_text(bytes, &mut out).unwrap();
    if streamed {
        prop_assert_eq!(Some(String::from_utf8(out).unwrap()), tree);
    } else {
        prop_assert!(out.is_empty());
    }
    Ok(streamed)
}

/// The streaming `dmct encode --wbxml` of `bytes` equals the tree path's; whether it
/// streamed.
fn stream_encoding_agrees(bytes: &[u8]) -> Result<bool, TestCaseError> {
    let streamed = dmct_proto::stream::xml_to_wbxml(bytes);
    if let Some(w) = &streamed {
        let tree = dmct_proto::decode(bytes)
            .map(|d| wbxml::encode(&d.message))
            .ok();
        prop_assert_eq!(Some(w), tree.as_ref());
    }
    Ok(streamed.is_some())
}

/// The tree with every element's children in reverse order: decodes to the same kind
/// of message, out of the model's order.
fn reversed(e: &Element) -> Element {
    let mut e = e.clone();
    e.children.reverse();
    for c in &mut e.children {
        if let Node::Element(c) = c {
            *c = reversed(c);
        }
    }
    e
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// The streams give the tree path's output for messages as dmct writes them, as
    /// indented text, out of order, in WBXML in wire order, and mangled.
    #[test]
    fn streams_give_the_tree_paths_output(
        m in message(),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let x = xml::encode(&m);
        prop_assert!(stream_view_agrees(&x)?);
        prop_assert!(stream_encoding_agrees(&x)?, "{}", String::from_utf8_lossy(&x));
        let indented = xml::indented_xml(&m.to_element(), Some("a comment"));
        stream_view_agrees(indented.as_bytes())?;
        stream_encoding_agrees(indented.as_bytes())?;
        let root = reversed(&m.to_element());
        let shuffled = xml::encode_element(&root);
        stream_view_agrees(&shuffled)?;
        stream_encoding_agrees(&shuffled)?;
        let safe = wbxml_safe(m);
        let w = wbxml::encode(&safe);
        prop_assert!(stream_view_agrees(&w)?);
        let mut root = reversed(&safe.to_element());
        root.namespace = Some(NS_SYNCML_1_2.into());
        let doc = wbxml::Document {
            version: 0x02,
            public_id: wbxml::PublicId::Numeric(wbxml::PUBLIC_ID_SYNCML_1_1),
            root,
        };
        stream_view_agrees(&wbxml::encode_document(&doc))?;
        for mut b in [x, w] {
            let i = cut.index(b.len());
            b[i] = byte;
            stream_view_agrees(&b)?;
            stream_encoding_agrees(&b)?;
            b.truncate(i);
            stream_view_agrees(&b)?;
            stream_encoding_agrees(&b)?;
        }
    }
}
