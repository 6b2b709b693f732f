use super::*;

/// The server answers in the encoding the client used.
pub struct SameEncoding;

impl Rule for SameEncoding {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/same-encoding",
            status: RuleStatus::Testable,
            clause: "[HTTP] ?",
            unconfirmed: Some(
                "the SyncML HTTP Binding 1.2 is not among the documents dmct's audit could read; \
                    the check also ignores the client's Accept header",
            ),
            level: Level::Should,
            binds: Binds::Server,
            summary: "The server answers in the encoding the client used.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/get-replace-wbxml"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        view.exchanges
            .iter()
            .filter_map(|e| {
                let req = e.request.as_ref().ok()?;
                let resp = e.response.as_ref()?.as_ref().ok()?;
                Some(if req.encoding == resp.encoding {
                    obs(
                        Verdict::Pass,
                        e.index,
                        Side::Response,
                        "answered in the client's encoding",
                        None,
                    )
                } else {
                    obs(
                        Verdict::Fail,
                        e.index,
                        Side::Response,
                        format!(
                            "the client wrote {:?}; the server answered {:?}",
                            req.encoding, resp.encoding
                        ),
                        None,
                    )
                })
            })
            .collect()
    }
}
