use super::*;

/// Results answer a Get.
pub struct ResultsForGet;

impl Rule for ResultsForGet {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "results/for-get-only",
            status: RuleStatus::Testable,
            clause: "[REP] §6.6.7, §6.6.12",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "Results answer a Get: their CmdRef (and MsgRef) name a Get of the server.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = crate::Gravest::default();
        for m in sent(view, role) {
            for (i, c) in m.m.body.commands.iter().enumerate() {
                let Command::Results(r) = c else { continue };
                let msg_ref = r
                    .msg_ref
                    .as_deref()
                    .map(str::to_owned)
                    .or_else(|| answered(view, role, &m).map(|p| p.m.hdr.msg_id.clone()));
                let Some(msg_ref) = msg_ref else { continue };
                match referenced(view, role, &m, &msg_ref, &r.cmd_ref) {
                    Some(Err(why)) => out.push(unresolved(&m, why)),
                    Some(Ok(Some(Command::Get(_)))) => out.push(m.pass("the Results answer a Get")),
                    Some(Ok(Some(other))) => out.push(m.fail(
                        format!("Results refer to a {}, not a Get", other.name()),
                        m.cmd_excerpt(i),
                    )),
                    Some(Ok(None)) => out.push(m.fail(
                        format!(
                            "Results refer to CmdRef {} that MsgID {msg_ref} does not have",
                            r.cmd_ref
                        ),
                        m.cmd_excerpt(i),
                    )),
                    None => {}
                }
            }
        }
        out.into_vec()
    }
}
