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
