//! A generic element tree: the syntax layer between wire bytes and the typed model.
//!
//! The XML codec (and, later, the WBXML codec) only turns bytes into [`Element`]s and
//! back; mapping elements to SyncML types happens once, in `model`'s tree mapping. That
//! keeps both encodings decoding to the same model, and lets unknown elements be kept
//! verbatim instead of dropped.

use std::ops::Range;

/// One element: name, namespace URI (resolved), attributes and children.
#[derive(Debug, Clone, Default, Eq)]
pub struct Element {
    pub name: String,
    pub namespace: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// Byte range of the whole element in the message it was decoded from; empty for
    /// elements built in code. Not part of equality: two elements with the same content
    /// are the same element wherever they sat.
    pub span: Range<usize>,
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.namespace == other.namespace
            && self.attributes == other.attributes
            && self.children == other.children
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    /// Character data, entities resolved, CDATA sections merged in.
    Text(String),
    /// WBXML opaque data that is not UTF-8 text (binary values, nested WBXML documents).
    /// XML cannot carry it; the XML encoder writes it lossily.
    Opaque(Vec<u8>),
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Builder: a child element holding only text.
    pub fn with_text_child(mut self, name: &str, text: impl Into<String>) -> Self {
        self.children
            .push(Node::Element(Element::new(name).with_text(text)));
        self
    }

    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        let text = text.into();
        if !text.is_empty() {
            self.children.push(Node::Text(text));
        }
        self
    }

    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    pub fn in_namespace(mut self, ns: &str) -> Self {
        self.namespace = Some(ns.to_owned());
        self
    }

    /// Add a child as a decoder reads it. The list grows exactly (room for 1, then 2,
    /// 4, ...), not by the vector's first step of 4: most elements hold one child, and
    /// room for 4 given back by [`shrink`](Self::shrink) leaves a hole in the heap
    /// beside each element that the model's own lists then fall between.
    pub(crate) fn push_child(&mut self, node: Node) {
        if self.children.len() == self.children.capacity() {
            self.children.reserve_exact(self.children.len().max(1));
        }
        self.children.push(node);
    }

    /// Give back the spare capacity of a finished element: a decoder that pushes
    /// children one by one would otherwise hold up to twice the tree.
    pub fn shrink(&mut self) {
        self.children.shrink_to_fit();
        for n in &mut self.children {
            if let Node::Text(t) = n {
                t.shrink_to_fit();
            }
        }
    }

    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) | Node::Opaque(_) => None,
        })
    }

    /// The concatenated text children (not descendants).
    pub fn text(&self) -> String {
        let texts = || {
            self.children.iter().filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) | Node::Opaque(_) => None,
            })
        };
        // Sized exactly: the model keeps these strings, one or two in every command.
        let mut s = String::with_capacity(texts().map(str::len).sum());
        texts().for_each(|t| s.push_str(t));
        s
    }

    /// True when the element has element children (mixed or nested content).
    pub fn has_element_children(&self) -> bool {
        self.children.iter().any(|n| matches!(n, Node::Element(_)))
    }
}
