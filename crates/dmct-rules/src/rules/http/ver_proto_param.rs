use super::*;

/// A verproto parameter of the media type equals the message's VerProto.
pub struct VerProtoParam;

impl Rule for VerProtoParam {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/verproto-param",
            status: RuleStatus::Testable,
            clause: "[REP] Appendix C ?",
            unconfirmed: Some(
                "the verproto parameter is defined in the media-type registrations ([REP] \
                    Appendix C), which are not among the documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "A verproto parameter on the media type equals the message's VerProto.",
            allowed: &["no verproto parameter at all"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace@client"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        messages(view, role)
            .into_iter()
            .filter_map(|(i, side, h, _, ver_proto)| {
                let ct = match h.content_type()? {
                    Ok(ct) => ct,
                    // A bare `verproto=DM/1.2` is no parameter at all in RFC 7231 syntax
                    // ('/' is not a token character): what it says cannot be read.
                    Err(e) => {
                        return Some(obs(
                            Verdict::Inconclusive,
                            i,
                            side,
                            format!(
                                "the Content-Type is not RFC 7231 syntax ({e}), so no verproto \
                            can be read"
                            ),
                            header_excerpt(h, "Content-Type"),
                        ));
                    }
                };
                // No parameter is the catalog's allowed behaviour: the message is
                // judged and conforms, so a case naming the rule passes, not inconclusive.
                let Some(param) = ct.param("verproto") else {
                    return Some(obs(
                        Verdict::Pass,
                        i,
                        side,
                        "no verproto parameter (allowed)",
                        None,
                    ));
                };
                Some(if param == ver_proto.trim() {
                    obs(Verdict::Pass, i, side, "verproto matches VerProto", None)
                } else {
                    obs(
                        Verdict::Fail,
                        i,
                        side,
                        format!(
                            "verproto={param} but VerProto is \
                        {ver_proto}"
                        ),
                        header_excerpt(h, "Content-Type"),
                    )
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
            name: "Content-Type without verproto",
            role: Role::Client,
            allowed: Some("no verproto parameter at all"),
            verdict: Verdict::Pass,
            build: content_type_mixed_case,
        },
        Fixture {
            name: "Content-Type verproto matching VerProto",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Pass,
            build: content_type_with_params,
        },
        Fixture {
            name: "Content-Type verproto DM/1.1 for a DM/1.2 message",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: verproto_other,
        },
    ];

    fn verproto_other() -> Transcript {
        client_labelled("application/vnd.syncml.dm+xml; verproto=\"DM/1.1\"")
    }
}
