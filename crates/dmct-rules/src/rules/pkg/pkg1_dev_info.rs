use super::*;

/// Package #1 sends ./DevInfo in a Replace: DevId, Man, Mod, DmV and Lang.
pub struct Pkg1DevInfo;

impl Rule for Pkg1DevInfo {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "pkg1/devinfo",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.3 item 3; [STDOBJ] DevInfo",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Package #1 sends the device information in a Replace: one Item per \
                ./DevInfo node, at least DevId, Man, Mod, DmV and Lang, with the node in Source \
                LocURI.",
            allowed: &[
                "any order of Items",
                "more DevInfo nodes (Ext) than the five",
                "the Items in one Replace or several",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/package0"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        package1s(view)
            .iter()
            .map(|m| {
                let sent_nodes: Vec<String> =
                    m.m.body
                        .commands
                        .iter()
                        .filter_map(|c| match c {
                            Command::Replace(r) => Some(r),
                            _ => None,
                        })
                        .flat_map(|r| r.items.iter())
                        .filter_map(|i| {
                            i.source
                                .as_ref()
                                .map(|s| s.loc_uri.trim().trim_start_matches("./").to_owned())
                        })
                        .collect();
                let missing: Vec<_> = DEVINFO
                    .iter()
                    .filter(|n| !sent_nodes.iter().any(|s| *s == format!("DevInfo/{n}")))
                    .collect();
                if missing.is_empty() {
                    m.pass("the DevInfo Replace holds DevId, Man, Mod, DmV and Lang")
                } else {
                    let i =
                        m.m.body
                            .commands
                            .iter()
                            .position(|c| matches!(c, Command::Replace(_)));
                    m.fail(
                        format!(
                            "Package #1 lacks ./DevInfo nodes: {}",
                            missing
                                .iter()
                                .map(|s| s.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        i.and_then(|i| m.cmd_excerpt(i)).or_else(|| m.hdr_excerpt()),
                    )
                }
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "DevInfo Items in reverse order",
            role: Role::Client,
            allowed: Some("any order of Items"),
            verdict: Verdict::Pass,
            build: devinfo_reversed,
        },
        Fixture {
            name: "DevInfo with an Ext node",
            role: Role::Client,
            allowed: Some("more DevInfo nodes (Ext) than the five"),
            verdict: Verdict::Pass,
            build: devinfo_with_ext,
        },
        Fixture {
            name: "DevInfo in two Replaces",
            role: Role::Client,
            allowed: Some("the Items in one Replace or several"),
            verdict: Verdict::Pass,
            build: devinfo_split,
        },
        Fixture {
            name: "DevInfo without Lang",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: devinfo_without_lang,
        },
    ];

    /// Package #1: Alert 1201 and one DevInfo Replace per group of (node, value).
    fn devinfo_in(groups: &[&[(&str, &str)]]) -> Transcript {
        let pkg1 = groups.iter().fold(Msg::client(1).alert("1201"), |m, g| {
            let items: String = g
                .iter()
                .map(|(n, v)| item("Source", &format!("./DevInfo/{n}"), "", v, false))
                .collect();
            m.cmd("Replace", &items)
        });
        opened_with(pkg1)
    }

    const DEVINFO: [(&str, &str); 5] = [
        ("DevId", DEVICE),
        ("Man", "Example"),
        ("Mod", "X1"),
        ("DmV", "1.2"),
        ("Lang", "en-US"),
    ];

    fn devinfo_reversed() -> Transcript {
        let mut nodes = DEVINFO;
        nodes.reverse();
        devinfo_in(&[&nodes])
    }

    fn devinfo_with_ext() -> Transcript {
        devinfo_in(&[&DEVINFO, &[("Ext/Battery", "80")]])
    }

    fn devinfo_split() -> Transcript {
        devinfo_in(&[&DEVINFO[..2], &DEVINFO[2..]])
    }

    fn devinfo_without_lang() -> Transcript {
        devinfo_in(&[&DEVINFO[..4]])
    }
}
