use super::*;

/// The server carries its DM messages in HTTP 200.
pub struct Status200;

impl Rule for Status200 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/status-200",
            status: RuleStatus::Testable,
            clause: "[HTTP] ?",
            unconfirmed: Some(
                "the SyncML HTTP Binding 1.2 is not among the documents dmct's audit could read",
            ),
            level: Level::Should,
            binds: Binds::Server,
            summary: "The server carries its DM messages in HTTP 200 responses.",
            allowed: &["another status for a transport-level failure without a DM message"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        view.exchanges
            .iter()
            .filter_map(|e| {
                let r = e.exchange.response.as_ref()?;
                e.response.as_ref()?.as_ref().ok()?;
                Some(if r.status == 200 {
                    obs(Verdict::Pass, e.index, Side::Response, "HTTP 200", None)
                } else {
                    obs(
                        Verdict::Fail,
                        e.index,
                        Side::Response,
                        format!("a DM message in HTTP {}", r.status),
                        Some(format!("HTTP/1.1 {}", r.status).into()),
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
            name: "HTTP 503 without a DM message",
            role: Role::Server,
            allowed: Some("another status for a transport-level failure without a DM message"),
            verdict: Verdict::Pass,
            build: http_503_without_dm,
        },
        Fixture {
            name: "a DM message in HTTP 500",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: dm_message_in_http_500,
        },
    ];

    /// The server answers its second request with HTTP `status` and `body`.
    fn second_answer_http(status: u16, body: &str) -> Transcript {
        let mut t = opened(pkg2().get("./DevInfo/Mod"))
            .exchange(
                Msg::client(2)
                    .hdr_status(1, 200)
                    .status(1, 3, "Get", 200)
                    .results(1, 3, "./DevInfo/Mod", "X1"),
                Msg::server(2).hdr_status(2, 200),
            )
            .done();
        let r = t.exchanges[1].response.as_mut().unwrap();
        r.status = status;
        if !body.is_empty() {
            r.body.0 = body.as_bytes().to_vec().into();
        }
        t
    }

    fn http_503_without_dm() -> Transcript {
        second_answer_http(503, "Service Unavailable")
    }

    fn dm_message_in_http_500() -> Transcript {
        second_answer_http(500, "")
    }
}
