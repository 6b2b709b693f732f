use super::*;

/// DM messages are sent with POST.
pub struct Post;

impl Rule for Post {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/post",
            status: RuleStatus::Testable,
            clause: "[HTTP] ?",
            unconfirmed: Some(
                "the SyncML HTTP Binding 1.2 is not among the documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Client,
            summary: "DM messages travel in HTTP POST requests.",
            allowed: &[],
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
            .filter(|e| e.request.is_ok())
            .map(|e| {
                let m = &e.exchange.request.method;
                if m.eq_ignore_ascii_case("POST") {
                    obs(Verdict::Pass, e.index, Side::Request, "POST", None)
                } else {
                    obs(
                        Verdict::Fail,
                        e.index,
                        Side::Request,
                        format!("a DM message sent with {m}, not POST"),
                        Some(format!("{m} {}", e.exchange.request.target).into()),
                    )
                }
            })
            .collect()
    }
}
