//! The model as an element tree: each part in the DTD's child order.

use super::*;

fn text_el(name: &str, text: &str) -> Element {
    Element::new(name).with_text(text)
}

fn push_opt(el: &mut Element, name: &str, v: &Option<impl AsRef<str>>) {
    if let Some(v) = v {
        let v = v.as_ref();
        el.children.push(Node::Element(text_el(name, v)));
    }
}

fn push_flag(el: &mut Element, name: &str, on: bool) {
    if on {
        el.children.push(Node::Element(Element::new(name)));
    }
}

fn push_el(el: &mut Element, child: Element) {
    el.children.push(Node::Element(child));
}

fn push_extensions(el: &mut Element, ext: &[Element]) {
    el.children.extend(ext.iter().cloned().map(Node::Element));
}

impl LocRef {
    fn to_element(&self, name: &str) -> Element {
        let mut e = Element::new(name).with_text_child("LocURI", &self.loc_uri);
        push_opt(&mut e, "LocName", &self.loc_name);
        e
    }
}

impl Meta {
    pub fn to_element(&self) -> Element {
        let mut e = Element::new("Meta");
        let fields = [
            ("Format", &self.format),
            ("Type", &self.r#type),
            ("Mark", &self.mark),
            ("Size", &self.size),
            ("NextNonce", &self.next_nonce),
            ("Version", &self.version),
            ("MaxMsgSize", &self.max_msg_size),
            ("MaxObjSize", &self.max_obj_size),
        ];
        for (name, v) in fields {
            if let Some(v) = v {
                push_el(&mut e, text_el(name, v).in_namespace(NS_METINF));
            }
        }
        for v in &self.emi {
            push_el(&mut e, text_el("EMI", v).in_namespace(NS_METINF));
        }
        push_extensions(&mut e, &self.extensions);
        e
    }
}

impl Cred {
    fn to_element(&self) -> Element {
        let mut e = Element::new("Cred");
        if let Some(m) = &self.meta {
            push_el(&mut e, m.to_element());
        }
        push_el(&mut e, text_el("Data", &self.data));
        e
    }
}

impl Data {
    fn to_element(&self) -> Element {
        match self {
            Data::Text(t) => text_el("Data", t),
            Data::Xml(nodes) => Element {
                name: "Data".into(),
                children: nodes.to_vec(),
                ..Default::default()
            },
            Data::Opaque(bytes) => Element {
                name: "Data".into(),
                children: vec![Node::Opaque(bytes.to_vec())],
                ..Default::default()
            },
        }
    }
}

impl Item {
    fn to_element(&self) -> Element {
        let mut e = Element::new("Item");
        if let Some(t) = &self.target {
            push_el(&mut e, t.to_element("Target"));
        }
        if let Some(s) = &self.source {
            push_el(&mut e, s.to_element("Source"));
        }
        if let Some(p) = &self.extras.source_parent {
            push_el(&mut e, p.to_element("SourceParent"));
        }
        if let Some(p) = &self.extras.target_parent {
            push_el(&mut e, p.to_element("TargetParent"));
        }
        if let Some(m) = &self.meta {
            push_el(&mut e, m.to_element());
        }
        if let Some(d) = &self.data {
            push_el(&mut e, d.to_element());
        }
        push_flag(&mut e, "MoreData", self.extras.more_data);
        push_extensions(&mut e, &self.extras.extensions);
        e
    }
}

fn items_into(e: &mut Element, items: &[Item]) {
    for i in items {
        push_el(e, i.to_element());
    }
}

impl ItemCmd {
    fn to_element(&self, name: &str) -> Element {
        let mut e = Element::new(name).with_text_child("CmdID", &self.cmd_id);
        let x = &*self.extras;
        push_flag(&mut e, "NoResp", x.no_resp);
        if let Some(c) = &x.cred {
            push_el(&mut e, c.to_element());
        }
        if let Some(m) = &x.meta {
            push_el(&mut e, m.to_element());
        }
        push_opt(&mut e, "Correlator", &x.correlator);
        items_into(&mut e, &self.items);
        push_extensions(&mut e, &x.extensions);
        e
    }
}

impl Container {
    fn to_element(&self, name: &str) -> Element {
        let mut e = Element::new(name).with_text_child("CmdID", &self.cmd_id);
        push_flag(&mut e, "NoResp", self.no_resp);
        if let Some(m) = &self.meta {
            push_el(&mut e, m.to_element());
        }
        for c in &self.commands {
            push_el(&mut e, c.to_element());
        }
        push_extensions(&mut e, &self.extensions);
        e
    }
}

impl Command {
    pub fn to_element(&self) -> Element {
        match self {
            Command::Add(c) => c.to_element("Add"),
            Command::Copy(c) => c.to_element("Copy"),
            Command::Atomic(c) => c.to_element("Atomic"),
            Command::Sequence(c) => c.to_element("Sequence"),
            Command::Delete(c) => c.to_element("Delete"),
            Command::Exec(c) => c.to_element("Exec"),
            Command::Get(c) => c.to_element("Get"),
            Command::Replace(c) => c.to_element("Replace"),
            Command::Alert(a) => {
                let mut e = Element::new("Alert").with_text_child("CmdID", &a.cmd_id);
                push_flag(&mut e, "NoResp", a.no_resp);
                if let Some(c) = &a.cred {
                    push_el(&mut e, c.to_element());
                }
                push_opt(&mut e, "Data", &a.data);
                push_opt(&mut e, "Correlator", &a.correlator);
                items_into(&mut e, &a.items);
                push_extensions(&mut e, &a.extensions);
                e
            }
            Command::Status(s) => {
                let mut e = Element::new("Status")
                    .with_text_child("CmdID", &s.cmd_id)
                    .with_text_child("MsgRef", &s.msg_ref)
                    .with_text_child("CmdRef", &s.cmd_ref)
                    .with_text_child("Cmd", &s.cmd);
                for t in &s.target_ref {
                    push_el(&mut e, text_el("TargetRef", t));
                }
                for t in &s.source_ref {
                    push_el(&mut e, text_el("SourceRef", t));
                }
                if let Some(c) = &s.cred {
                    push_el(&mut e, c.to_element());
                }
                if let Some(c) = &s.chal {
                    push_el(&mut e, Element::new("Chal").with_child(c.meta.to_element()));
                }
                push_el(&mut e, text_el("Data", &s.data));
                items_into(&mut e, &s.items);
                push_extensions(&mut e, &s.extensions);
                e
            }
            Command::Results(r) => {
                let mut e = Element::new("Results").with_text_child("CmdID", &r.cmd_id);
                push_opt(&mut e, "MsgRef", &r.msg_ref);
                push_el(&mut e, text_el("CmdRef", &r.cmd_ref));
                if let Some(m) = &r.meta {
                    push_el(&mut e, m.to_element());
                }
                for t in &r.target_ref {
                    push_el(&mut e, text_el("TargetRef", t));
                }
                for t in &r.source_ref {
                    push_el(&mut e, text_el("SourceRef", t));
                }
                items_into(&mut e, &r.items);
                push_extensions(&mut e, &r.extensions);
                e
            }
            Command::Other(e) => (**e).clone(),
        }
    }
}

impl SyncML {
    /// The message as an element tree, in the DTD's child order, root in the SyncML 1.2
    /// namespace.
    pub fn to_element(&self) -> Element {
        let h = &self.hdr;
        let mut hdr = Element::new("SyncHdr")
            .with_text_child("VerDTD", &h.ver_dtd)
            .with_text_child("VerProto", &h.ver_proto)
            .with_text_child("SessionID", &h.session_id)
            .with_text_child("MsgID", &h.msg_id)
            .with_child(h.target.to_element("Target"))
            .with_child(h.source.to_element("Source"));
        push_opt(&mut hdr, "RespURI", &h.resp_uri);
        push_flag(&mut hdr, "NoResp", h.no_resp);
        if let Some(c) = &h.cred {
            push_el(&mut hdr, c.to_element());
        }
        if let Some(m) = &h.meta {
            push_el(&mut hdr, m.to_element());
        }
        push_extensions(&mut hdr, &h.extensions);

        let mut body = Element::new("SyncBody");
        for c in &self.body.commands {
            push_el(&mut body, c.to_element());
        }
        push_flag(&mut body, "Final", self.body.final_);

        Element::new("SyncML")
            .in_namespace(NS_SYNCML_1_2)
            .with_child(hdr)
            .with_child(body)
    }
}
