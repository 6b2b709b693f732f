use super::*;

/// The media type says the encoding the body is in: a body labelled as a DM message
/// that does not decode as one is in neither encoding. This is the one rule such a
/// body fails; rules about what a message says have no message to judge there.
pub struct ContentTypeMatches;

impl Rule for ContentTypeMatches {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/content-type-matches-body",
            status: RuleStatus::Testable,
            clause: "[REP] §5, §6.2.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "The body is in the encoding its media type says: XML for +xml, WBXML for \
                +wbxml.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/get-replace-wbxml"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let garbled = undecodable(view, role)
            .into_iter()
            .map(|(i, side, h, why)| {
                obs(
                    Verdict::Fail,
                    i,
                    side,
                    format!(
                        "labelled a DM message, but the body does not decode as SyncML DM: {why}"
                    ),
                    header_excerpt(h, "Content-Type"),
                )
            });
        messages(view, role)
            .into_iter()
            .filter_map(|(i, side, h, enc, _)| {
                let label = match h.media_type()?.ok()?.as_str() {
                    CONTENT_TYPE_XML => Encoding::Xml,
                    CONTENT_TYPE_WBXML => Encoding::Wbxml,
                    _ => return None,
                };
                Some(if label == enc {
                    obs(
                        Verdict::Pass,
                        i,
                        side,
                        "the body is in the labelled encoding",
                        None,
                    )
                } else {
                    obs(
                        Verdict::Fail,
                        i,
                        side,
                        format!(
                            "labelled as {}, but the body is {}",
                            encoding_name(label),
                            encoding_name(enc)
                        ),
                        header_excerpt(h, "Content-Type"),
                    )
                })
            })
            .chain(garbled)
            .collect()
    }
}
