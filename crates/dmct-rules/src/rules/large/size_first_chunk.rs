use super::*;

/// The first chunk of an object carries Meta Size; later chunks do not.
pub struct SizeFirstChunk;

impl Rule for SizeFirstChunk {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "lrgobj/size-first-chunk",
            status: RuleStatus::Testable,
            clause: "[PRO] §7",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "The first chunk of a large object carries the object's total size in Meta \
                Size; later chunks do not.",
            allowed: &[
                "Size in the first chunk's Item Meta",
                "Size in the Meta of the command that carries the first chunk",
            ],
            conditions: &[],
            capability: Some("large-objects"),
            scenarios: &["session/large-object"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let mut open: Option<String> = None;
        for m in sent(view, role) {
            for (i, uri, it, cmd_meta) in objects(m.m) {
                let first = open.as_deref() != Some(uri.as_str());
                if first && !it.more_data {
                    continue; // a whole object, not chunked
                }
                match (first, size_of(it, cmd_meta).is_some()) {
                    (true, true) | (false, false) => {
                        out.push(m.pass("Size on the first chunk only"))
                    }
                    (true, false) => out.push(m.fail(
                        format!("the first chunk of {uri} carries no Meta Size"),
                        m.cmd_excerpt(i),
                    )),
                    (false, true) => out.push(m.fail(
                        format!("a later chunk of {uri} carries Meta Size again"),
                        m.cmd_excerpt(i),
                    )),
                }
                open = it.more_data.then_some(uri);
            }
        }
        out
    }
}
