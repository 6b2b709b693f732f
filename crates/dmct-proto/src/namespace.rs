//! Elements of a foreign XML namespace standing where a SyncML element belongs.
//!
//! A DM message is a document of the SyncML DTD ([REP] §6 adds its restrictions to
//! SyncML RepPro's): its elements are SyncML's (`SYNCML:SYNCML1.x`) or, inside Meta,
//! MetInf's (`syncml:metinf`). Content carried inside `Data` may be of any vocabulary
//! (a TNDS `MgmtTree` in `syncml:dmddf1.2`). A message that declares no namespace at
//! all is read as SyncML: the DTD fixes the attribute.

use crate::tree::Element;
use std::ops::Range;

/// How many foreign elements a message keeps by name; the rest are only counted, so a
/// message of a million of them costs no more than one of a few.
pub const KEPT: usize = 8;

/// One element of a foreign namespace, the outermost of its subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignElement {
    /// Slash-separated element names from the root, this element last.
    pub path: String,
    pub namespace: String,
    /// Byte range in the message, for the excerpt.
    pub span: Range<usize>,
}

/// The foreign elements of one message: the first [`KEPT`], and how many in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForeignElements {
    pub first: Vec<ForeignElement>,
    pub count: usize,
}

/// Is `ns` one of SyncML's own namespaces? Compared without regard to case: senders
/// write `SYNCML:SYNCML1.2` and `syncml:SyncML1.2` alike, and both mean SyncML.
pub fn is_syncml(ns: &str) -> bool {
    let ns = ns.trim();
    [
        "SYNCML:SYNCML1.0",
        "SYNCML:SYNCML1.1",
        "SYNCML:SYNCML1.2",
        "syncml:metinf",
    ]
    .iter()
    .any(|own| own.eq_ignore_ascii_case(ns))
}

/// Walk `root` and collect the elements of a foreign namespace outside Data.
pub fn foreign_elements(root: &Element) -> ForeignElements {
    let mut found = ForeignElements::default();
    let mut path = Vec::new();
    walk(root, None, &mut path, &mut found);
    found
}

/// [`foreign_elements`] of a subtree given up alone: `el` sits under the elements named
/// by `prefix`, whose namespace is `inherited`; what it finds is added to `found`.
pub(crate) fn foreign_in(
    el: &Element,
    inherited: Option<&str>,
    prefix: &[&str],
    found: &mut ForeignElements,
) {
    let mut path = prefix.to_vec();
    walk(el, inherited, &mut path, found);
}

impl ForeignElements {
    /// The foreign elements of two disjoint parts of one message, in wire order.
    pub(crate) fn merge(mut self, other: ForeignElements) -> ForeignElements {
        // Each part keeps its first KEPT, so the first KEPT of both are among them.
        self.first.extend(other.first);
        self.first.sort_by_key(|f| f.span.start);
        self.first.truncate(KEPT);
        self.count += other.count;
        self
    }
}

fn walk<'a>(
    el: &'a Element,
    inherited: Option<&'a str>,
    path: &mut Vec<&'a str>,
    found: &mut ForeignElements,
) {
    // The tree records a namespace only where it changes.
    let ns = el.namespace.as_deref().or(inherited);
    path.push(&el.name);
    match ns {
        Some(ns) if !is_syncml(ns) => {
            // Its children are its own vocabulary's business: report the outermost only.
            found.count += 1;
            if found.first.len() < KEPT {
                found.first.push(ForeignElement {
                    path: path.join("/"),
                    namespace: ns.to_owned(),
                    span: el.span.clone(),
                });
            }
        }
        _ if el.name == "Data" => {}
        _ => {
            for child in el.elements() {
                walk(child, ns, path, found);
            }
        }
    }
    path.pop();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(name: &str) -> Element {
        Element::new(name)
    }

    #[test]
    fn syncml_and_metinf_are_own_and_unnamespaced_is_syncml() {
        let root = el("SyncML").in_namespace("SYNCML:SYNCML1.2").with_child(
            el("SyncHdr")
                .with_child(el("Meta").with_child(el("MaxMsgSize").in_namespace("syncml:metinf"))),
        );
        assert_eq!(foreign_elements(&root).count, 0);
        let bare = el("SyncML").with_child(el("SyncHdr"));
        assert_eq!(foreign_elements(&bare).count, 0);
        assert!(is_syncml("syncml:syncml1.2"));
        assert!(!is_syncml("syncml:dmddf1.2"));
    }

    #[test]
    fn content_inside_data_is_its_own() {
        let root = el("SyncML").in_namespace("SYNCML:SYNCML1.2").with_child(
            el("Item")
                .with_child(el("Data").with_child(el("MgmtTree").in_namespace("syncml:dmddf1.2"))),
        );
        assert_eq!(foreign_elements(&root), ForeignElements::default());
    }

    #[test]
    fn a_foreign_element_where_syncml_stands_is_found_outermost_only() {
        let root = el("SyncML").in_namespace("SYNCML:SYNCML1.2").with_child(
            el("SyncHdr").with_child(
                el("Ext")
                    .in_namespace("urn:x-vendor")
                    .with_child(el("Inner")),
            ),
        );
        let f = foreign_elements(&root);
        assert_eq!(f.count, 1);
        assert_eq!(f.first[0].path, "SyncML/SyncHdr/Ext");
        assert_eq!(f.first[0].namespace, "urn:x-vendor");
        // The root itself may be the foreign one.
        let other = el("SyncML").in_namespace("urn:not-syncml");
        assert_eq!(foreign_elements(&other).first[0].path, "SyncML");
    }

    #[test]
    fn many_foreign_elements_keep_a_bounded_few_and_count_all() {
        let mut body = el("SyncBody");
        for _ in 0..1000 {
            body = body.with_child(el("X").in_namespace("urn:x"));
        }
        let f = foreign_elements(&el("SyncML").with_child(body));
        assert_eq!((f.first.len(), f.count), (KEPT, 1000));
    }
}
