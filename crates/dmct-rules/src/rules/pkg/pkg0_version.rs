use super::*;

/// The server's Package 0 carries the version DM 1.2 notifications carry.
pub struct Pkg0Version;

impl Rule for Pkg0Version {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "pkg0/version",
            status: RuleStatus::Testable,
            clause: "[NOT] §6.2.6",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "A Package 0 of DM 1.2 has the <version> field 10-bit binary value \
                0000001011 (11, notification version 1.1).",
            allowed: &["any ui-mode, initiator, session identifier and vendor-specific data"],
            conditions: &[Condition::Package0Delivered],
            capability: None,
            scenarios: &["session/package0"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let Some(p) = notification(view) else {
            return Vec::new();
        };
        let found = p.notification.version;
        let want = dmct_proto::package0::NOTIFICATION_VERSION;
        // The Package 0 is no exchange: the evidence is its version field, bit by bit.
        let (verdict, detail) = if found == want {
            (
                crate::Verdict::Pass,
                format!("Package 0 has version {found:010b} ({found})"),
            )
        } else {
            (
                crate::Verdict::Fail,
                format!(
                    "Package 0 has version {found:010b} ({found}); DM 1.2 notifications carry \
                        {want:010b} ({want})"
                ),
            )
        };
        vec![crate::Observation {
            verdict,
            exchange: None,
            message: None,
            detail,
            excerpt: (verdict == crate::Verdict::Fail).then(|| trigger_head_hex(&p)),
            excerpt_cut: 0,
            span: None,
        }]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Package 0 with its own ui-mode, initiator and vendor data",
            role: Role::Server,
            allowed: Some("any ui-mode, initiator, session identifier and vendor-specific data"),
            verdict: Verdict::Pass,
            build: pkg0_other_fields,
        },
        Fixture {
            name: "Package 0 of version 12",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: pkg0_version_12,
        },
    ];

    /// A Package 0 of `version` with a ui-mode, initiator and vendor data of its own,
    /// answered as [NOT] §5 asks.
    fn pkg0_of_version(version: u16) -> Transcript {
        let mut n = Notification::new("dmct", 0x1A2);
        n.version = version;
        n.ui_mode = dmct_proto::package0::UiMode::UserInteraction;
        n.initiator = dmct_proto::package0::Initiator::Client;
        n.vendor = b"vendor".to_vec();
        Session::new()
            .package0(encode(&n, "secret", &[0; 4]).unwrap())
            .exchange(
                Msg::client(1).session("1A2").setup("1200"),
                pkg2().session("1A2"),
            )
            .done()
    }

    fn pkg0_other_fields() -> Transcript {
        pkg0_of_version(dmct_proto::package0::NOTIFICATION_VERSION)
    }

    fn pkg0_version_12() -> Transcript {
        pkg0_of_version(12)
    }
}
