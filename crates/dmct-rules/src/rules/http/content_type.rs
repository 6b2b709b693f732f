use super::*;

/// A DM message is labelled with a DM media type.
pub struct ContentType;

impl Rule for ContentType {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/content-type",
            status: RuleStatus::Testable,
            clause: "[REP] §5, §6.2.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "A DM message is labelled application/vnd.syncml.dm+xml or \
                application/vnd.syncml.dm+wbxml.",
            allowed: &[
                "parameters (charset, verproto, verdtd) after the type",
                "any letter case",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/get-replace-wbxml"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        messages(view, role)
            .into_iter()
            // Only the type is judged: parameters (charset, verproto, verdtd) are not
            // findings of this rule, even malformed ones.
            .map(|(i, side, h, enc, _)| match h.media_type() {
                Some(Ok(t)) if t == CONTENT_TYPE_XML || t == CONTENT_TYPE_WBXML => {
                    obs(Verdict::Pass, i, side, "a DM media type", None)
                }
                Some(Err(e)) => obs(
                    Verdict::Fail,
                    i,
                    side,
                    format!(
                        "Content-Type is not a media type ({e}), so not {CONTENT_TYPE_XML} or \
                        {CONTENT_TYPE_WBXML}"
                    ),
                    header_excerpt(h, "Content-Type"),
                ),
                Some(Ok(t)) => obs(
                    Verdict::Fail,
                    i,
                    side,
                    wrong_type(&t, enc),
                    header_excerpt(h, "Content-Type"),
                ),
                None => obs(
                    Verdict::Fail,
                    i,
                    side,
                    format!(
                        "no Content-Type: a DM message in {} is labelled {}",
                        encoding_name(enc),
                        dm_type(enc)
                    ),
                    header_excerpt(h, "Content-Type"),
                ),
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Content-Type with parameters",
            role: Role::Client,
            allowed: Some("parameters (charset, verproto, verdtd) after the type"),
            verdict: Verdict::Pass,
            build: content_type_with_params,
        },
        Fixture {
            name: "Content-Type in mixed case",
            role: Role::Client,
            allowed: Some("any letter case"),
            verdict: Verdict::Pass,
            build: content_type_mixed_case,
        },
        Fixture {
            name: "Content-Type text/xml",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: content_type_text_xml,
        },
    ];

    fn content_type_text_xml() -> Transcript {
        client_labelled("text/xml")
    }
}
