use super::*;

/// The Package #1 answering a Package 0 uses the notification's SessionID, written
/// as [NOT] §6.2.10 says: "a string of hexadecimal digits (chosen from the numeric
/// digits '0'-'9' and the upper-case letters 'A'-'F') ... Leading zeros MUST NOT be
/// included."
pub struct Pkg0SessionId;

impl Rule for Pkg0SessionId {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "pkg0/session-id",
            status: RuleStatus::Testable,
            clause: "[NOT] §6.2.10; [PRO] §8.3 item 1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "A session that answers a Package 0 uses the notification's session \
                identifier as SessionID, written in hexadecimal with upper-case A-F and no \
                leading zeros ([NOT] §6.2.10).",
            allowed: &[],
            conditions: &[Condition::Package0Delivered],
            capability: None,
            scenarios: &["session/package0"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let Some(n) = notification(view) else {
            return Vec::new();
        };
        let Some(m) = package1s(view).into_iter().next() else {
            return Vec::new();
        };
        let want = n.notification.session_id_hex();
        let got = m.session();
        if got == want {
            return vec![m.pass(format!("SessionID {got} is the notification's"))];
        }
        // Same number, other spelling: named apart so the report says what to fix.
        let detail = if u16::from_str_radix(got, 16).ok() == Some(n.notification.session_id) {
            format!(
                "SessionID {got:?} is the Package 0 session id written otherwise: [NOT] §6.2.10 \
                 wants {want:?} (upper-case hexadecimal, no leading zeros)"
            )
        } else {
            format!(
                "SessionID {:?} is not the Package 0 session id {want} (hexadecimal)",
                m.m.hdr.session_id
            )
        };
        vec![m.fail(detail, m.hdr_excerpt())]
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Package 0 SessionID in upper case",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Pass,
            build: pkg0_upper,
        },
        Fixture {
            name: "Package 0 SessionID in lower case",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: pkg0_lower,
        },
        Fixture {
            name: "Package 0 SessionID with a leading zero",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: pkg0_leading_zero,
        },
    ];

    /// A Package 0 for session 0x1A2, answered by a Package #1 with SessionID `id`.
    fn pkg0_answered(id: &str) -> Transcript {
        pkg0_answered_by(id, Msg::client(1).session(id).setup("1200"))
    }

    fn pkg0_upper() -> Transcript {
        pkg0_answered("1A2")
    }

    fn pkg0_lower() -> Transcript {
        pkg0_answered("1a2")
    }

    fn pkg0_leading_zero() -> Transcript {
        pkg0_answered("01A2")
    }
}
