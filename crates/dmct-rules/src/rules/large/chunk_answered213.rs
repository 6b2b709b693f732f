use super::*;

/// A chunk that is not the last (MoreData) is answered 213.
pub struct ChunkAnswered213;

impl Rule for ChunkAnswered213 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "lrgobj/213-for-chunk",
            status: RuleStatus::Testable,
            clause: "[PRO] §7",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "The receiver answers every chunk but the last (Item with MoreData) with \
                Status 213.",
            allowed: &["refuse the object with an error (413 over MaxObjSize, 424 size mismatch)"],
            conditions: &[],
            capability: Some("large-objects"),
            scenarios: &["session/large-object"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for p in sent(view, other(role)) {
            let pid = p.m.hdr.msg_id.trim();
            for c in &p.m.body.commands {
                if !items(c).iter().any(|i| i.extras.more_data) {
                    continue;
                }
                let id = c.cmd_id().unwrap_or("").trim();
                // The first Status of the session answering it, from the view's index.
                let first = crate::rules::first_status(view, role, p.session(), 0, pid, id);
                let answer = first.map(|(m, i)| {
                    let code = m.m.body.commands[i].as_status().and_then(|s| s.code());
                    (m, i, code)
                });
                if let (Some(_), Some(why)) = (answer, crate::rules::ambiguous(&p, c)) {
                    out.push(crate::rules::unresolved(&p, why));
                    continue;
                }
                match answer {
                    Some((_, _, Some(213))) => out.push(p.pass("the chunk was answered 213")),
                    // An error (413 over MaxObjSize, 424, an authentication failure)
                    // refuses the object; that is allowed.
                    Some((_, _, Some(c))) if c >= 300 => {
                        out.push(p.pass(format!("the chunk was refused with {c}")))
                    }
                    Some((m, i, code)) => out.push(m.fail(
                        format!("a chunk (MoreData) was answered {code:?}, not 213"),
                        m.cmd_excerpt(i),
                    )),
                    None => {}
                }
            }
        }
        out.into_vec()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "a chunk refused with 413",
            role: Role::Client,
            allowed: Some(
                "refuse the object with an error (413 over MaxObjSize, 424 size mismatch)",
            ),
            verdict: Verdict::Pass,
            build: chunk_refused_413,
        },
        Fixture {
            name: "a chunk answered 200",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: chunk_answered_200,
        },
    ];

    /// The first chunk of a 10-byte object answered `code` by the client.
    fn chunk_answered(code: u16) -> Transcript {
        let first = pkg2()
            .cmd(
                "Replace",
                &item(
                    "Target",
                    "./Ext/Blob",
                    &meta(&[("Size", "10")]),
                    "hello",
                    true,
                ),
            )
            .more();
        let reply = Msg::client(2)
            .hdr_status(1, 200)
            .status(1, 3, "Replace", code);
        opened(first)
            .exchange(reply, Msg::server(2).hdr_status(2, 200))
            .done()
    }

    fn chunk_refused_413() -> Transcript {
        chunk_answered(413)
    }

    fn chunk_answered_200() -> Transcript {
        chunk_answered(200)
    }
}
