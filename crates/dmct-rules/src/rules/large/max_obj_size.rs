use super::*;

/// No object larger than the MaxObjSize the peer announced.
pub struct MaxObjSize;

impl Rule for MaxObjSize {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "lrgobj/max-obj-size",
            status: RuleStatus::Testable,
            clause: "[PRO] §7",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "No object is larger than the MaxObjSize the peer announced.",
            allowed: &["leave the object out of the package"],
            conditions: &[],
            capability: Some("large-objects"),
            scenarios: &["session/large-object@server", "session/max-obj-size"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        let mut open: Option<String> = None;
        for m in sent(view, role) {
            let Some(max) = announced(view, other(role), m.session(), m.index, |meta| {
                meta.max_obj_size.as_ref()
            }) else {
                continue;
            };
            for (i, uri, it, cmd_meta) in objects(m.m) {
                let first = open.as_deref() != Some(uri.as_str());
                open = it.extras.more_data.then_some(uri.clone());
                if !first {
                    continue;
                }
                let size = size_of(it, cmd_meta)
                    .and_then(|s| s.trim().parse::<usize>().ok())
                    .or_else(|| it.data.as_ref().and_then(|d| d.as_text()).map(str::len));
                let Some(size) = size else { continue };
                if size <= max {
                    out.push(m.pass(format!("object of {size} bytes within MaxObjSize {max}")));
                } else {
                    out.push(m.fail(
                        format!("{uri}: an object of {size} bytes; the peer's MaxObjSize is {max}"),
                        m.cmd_excerpt(i),
                    ));
                }
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
            name: "only an object within MaxObjSize",
            role: Role::Server,
            allowed: Some("leave the object out of the package"),
            verdict: Verdict::Pass,
            build: big_object_left_out,
        },
        Fixture {
            name: "an object over MaxObjSize",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: object_over_max,
        },
    ];

    /// The client announces MaxObjSize 8; the server replaces ./Ext/Small with `data`.
    fn max_obj_8(data: &str) -> Transcript {
        Session::new()
            .exchange(
                Msg::client(1)
                    .hdr_meta(&[("MaxObjSize", "8")])
                    .setup("1201"),
                pkg2().cmd("Replace", &item("Target", "./Ext/Small", "", data, false)),
            )
            .exchange(
                Msg::client(2)
                    .hdr_status(1, 200)
                    .status(1, 3, "Replace", 200),
                Msg::server(2).hdr_status(2, 200),
            )
            .done()
    }

    fn big_object_left_out() -> Transcript {
        max_obj_8("small")
    }

    fn object_over_max() -> Transcript {
        max_obj_8("much too large")
    }
}
