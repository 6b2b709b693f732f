use super::*;

/// The x-syncml-hmac header parses, and names the user of the SyncHdr's LocName.
pub struct HmacHeaderForm;

impl Rule for HmacHeaderForm {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/hmac-header",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.4.3",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "The x-syncml-hmac header follows its syntax (algorithm, username as a \
                quoted string, mac) and names the user of the SyncHdr's LocName.",
            allowed: &[
                "no spaces after the commas",
                "algorithm left out (MD5 is the default)",
            ],
            conditions: &[],
            capability: Some("hmac"),
            scenarios: &["auth/hmac"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        sent(view, role)
            .iter()
            .filter_map(|m| {
                let v = m.headers.get(HMAC_HEADER)?;
                Some(match HmacHeader::parse(v) {
                    Err(e) => m.fail(
                        format!("x-syncml-hmac does not parse: {e}"),
                        Some(format!("{HMAC_HEADER}: {v}").into()),
                    ),
                    Ok(h) => match m.m.hdr.source.loc_name.as_deref() {
                        Some(n) if n.trim() != h.username => m.fail(
                            format!(
                                "x-syncml-hmac names user {:?}; the SyncHdr's LocName is {n:?}",
                                h.username
                            ),
                            Some(format!("{HMAC_HEADER}: {v}").into()),
                        ),
                        _ => m.pass("x-syncml-hmac well formed"),
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "x-syncml-hmac without spaces",
            role: Role::Client,
            allowed: Some("no spaces after the commas"),
            verdict: Verdict::Pass,
            build: hmac_no_spaces,
        },
        Fixture {
            name: "x-syncml-hmac without algorithm",
            role: Role::Client,
            allowed: Some("algorithm left out (MD5 is the default)"),
            verdict: Verdict::Pass,
            build: hmac_without_algorithm,
        },
        Fixture {
            name: "x-syncml-hmac without username",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: hmac_without_username,
        },
    ];

    /// MD5-keyed HMAC on every client message, the header written `header`.
    fn hmac_header(header: &str) -> Transcript {
        let mut t = Session::new()
            .exchange(Msg::client(1).loc_name("Bruce2").setup("1201"), pkg2())
            .done();
        for e in &mut t.exchanges {
            e.request.headers.push("x-syncml-hmac", header);
        }
        t
    }

    fn hmac_no_spaces() -> Transcript {
        hmac_header("algorithm=MD5,username=\"Bruce2\",mac=bWFjLXZhbHVl")
    }

    fn hmac_without_algorithm() -> Transcript {
        hmac_header("username=\"Bruce2\", mac=bWFjLXZhbHVl")
    }

    fn hmac_without_username() -> Transcript {
        hmac_header("algorithm=MD5, mac=bWFjLXZhbHVl")
    }
}
