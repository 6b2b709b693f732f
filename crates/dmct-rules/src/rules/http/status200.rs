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
                        Some(format!("HTTP/1.1 {}", r.status)),
                    )
                })
            })
            .collect()
    }
}
