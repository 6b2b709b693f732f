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
                if first && !it.extras.more_data {
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
                open = it.extras.more_data.then_some(uri);
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Size in the first chunk's Item Meta",
            role: Role::Server,
            allowed: Some("Size in the first chunk's Item Meta"),
            verdict: Verdict::Pass,
            build: size_in_item,
        },
        Fixture {
            name: "Size in the first chunk's command Meta",
            role: Role::Server,
            allowed: Some("Size in the Meta of the command that carries the first chunk"),
            verdict: Verdict::Pass,
            build: size_in_command,
        },
        Fixture {
            name: "no Size on the first chunk",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: size_missing,
        },
        Fixture {
            name: "Size repeated in a later chunk's command Meta",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: size_repeated_in_command,
        },
    ];

    fn size_in_command() -> Transcript {
        chunked(&meta(&[("Size", "10")]), "", "")
    }

    fn size_missing() -> Transcript {
        chunked("", "", "")
    }

    fn size_repeated_in_command() -> Transcript {
        let size = meta(&[("Size", "10")]);
        chunked(&size, "", &size)
    }
}
