use super::*;

/// No Status 200 answers a Results: [REP] §6.5.1 "A Status command MUST NOT be sent
/// in response to a Results command if the Status code is 200", whoever received
/// the Results. A Results the role answered with no Status at all is the catalog's
/// allowed behaviour, judged and passed once the role went on in its session.
pub struct No200ForResults;

impl Rule for No200ForResults {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "status/no-200-for-results",
            status: RuleStatus::Testable,
            clause: "[REP] §6.5.1; [PRO] §6.1",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Both,
            summary: "Results are not acknowledged with Status 200, by whichever side receives \
                them ([REP] §6.5.1: \"A Status command MUST NOT be sent in response to a Results \
                command if the Status code is 200\"; a server may send Results too, [PRO] §8.6).",
            allowed: &[
                "no Status for Results at all",
                "213 for a chunk of a large Results",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/large-object@server"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            let statuses =
                m.m.body
                    .commands
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| match c {
                        Command::Status(s) if s.cmd.trim() == "Results" => Some((i, s)),
                        _ => None,
                    });
            for (i, s) in statuses {
                out.push(if s.code() == Some(200) {
                    m.fail("Status 200 answers a Results", m.cmd_excerpt(i))
                } else {
                    m.pass(format!("the Results got Status {}, not 200", s.data.trim()))
                });
            }
        }
        for p in sent(view, other(role)) {
            // What the role sent after `p` in its session (a server's response shares
            // `p`'s exchange).
            let from = p.index + usize::from(role == Role::Client);
            let mine = crate::rules::session_from(view, role, p.session(), from);
            if mine.clone().next().is_none() {
                continue;
            }
            for c in &p.m.body.commands {
                let Command::Results(r) = c else { continue };
                let id = r.cmd_id.trim();
                let pid = p.m.hdr.msg_id.trim();
                let acknowledged =
                    crate::rules::first_status(view, role, p.session(), from, pid, id).is_some();
                if !acknowledged {
                    out.push(p.pass(format!(
                        "Results {id} got no Status (a 200 outcome is not acknowledged)"
                    )));
                }
            }
        }
        out
    }
}
