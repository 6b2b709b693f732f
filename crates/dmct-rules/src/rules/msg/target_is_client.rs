use super::*;

/// The server addresses the device: Target LocURI is the client's Source LocURI.
pub struct TargetIsClient;

impl Rule for TargetIsClient {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "msg/target-is-client",
            status: RuleStatus::Testable,
            clause: "[PRO] §8.4 and §8.6 item 1; [PRO] §9.4 (examples)",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "The server's message is addressed to the device: its Target LocURI is the \
                client's Source LocURI.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, Role::Server) {
            let Some(req) = answered(view, role, &m) else {
                continue;
            };
            let want = req.m.hdr.source.loc_uri.trim();
            if m.m.hdr.target.loc_uri.trim() == want {
                out.push(m.pass("Target LocURI is the device's"));
            } else {
                out.push(m.fail(
                    format!(
                        "Target LocURI {:?} is not the client's Source LocURI {want:?}",
                        m.m.hdr.target.loc_uri
                    ),
                    m.hdr_excerpt(),
                ));
            }
        }
        out
    }
}
