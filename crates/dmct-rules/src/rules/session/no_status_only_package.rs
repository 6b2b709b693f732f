use super::*;

/// §8: a server package without operations and without a challenge ends the session;
/// the client's Status-only reply must not be sent.
pub struct NoStatusOnlyPackage;

impl Rule for NoStatusOnlyPackage {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "session/no-status-only-package",
            status: RuleStatus::Testable,
            clause: "[PRO] §8 (intro)",
            unconfirmed: None,
            level: Level::MustNot,
            binds: Binds::Client,
            summary: "When a server package holds no management operations and no challenge, the \
                client's reply would hold only Status for the SyncHdr: it must not be sent, and \
                the session ends.",
            allowed: &[
                "send nothing more: the session ends",
                "start new work with a package that carries operations (for instance a Generic \
                    Alert 1226)",
                "answer a server package whose Status carries a Chal (a new nonce, [NOT] §5.1 \
                    steps 4-5) with Status and a Chal",
            ],
            conditions: &[],
            capability: None,
            scenarios: &[
                "auth/credless-pkg2",
                "session/get-replace",
                "session/every-command",
            ],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let Some(pkg) = e.server_msg() else { continue };
            // Only a complete package (Final) can end the session. [PRO] §8: "when a
            // package from server to client does not contain management operations or
            // a challenge".
            if !pkg.body.final_ || pkg.operations().next().is_some() || pkg.challenge().is_some() {
                continue;
            }
            // A Chal in a success Status hands the client a new nonce ([NOT] §5.1 step
            // 4: "server sends a success Status code with a Chal"), which the client
            // answers with "success Status code with a Chal" of its own (step 5). A
            // success Chal alone is no challenge (HMAC hands one over in every
            // message, [SEC] §5.4.4), so only a reply with a Chal is let through.
            let hands_nonce = pkg.statuses().any(|s| s.chal.is_some());
            match view.next_in_session(e.index) {
                None => out.push(obs(
                    Verdict::Pass,
                    e.index,
                    Side::Response,
                    "the server's package had no operations; the client sent nothing more",
                    None,
                )),
                Some(next) => {
                    let Some(reply) = next.client_msg() else {
                        continue;
                    };
                    if hands_nonce && reply.statuses().any(|s| s.chal.is_some()) {
                        out.push(obs(
                            Verdict::Pass,
                            next.index,
                            Side::Request,
                            "the server's package handed over a nonce (Chal); the client \
                             answered with Status and a Chal of its own ([NOT] §5.1)",
                            None,
                        ));
                    } else if status_only(reply) {
                        let excerpt = next
                            .request
                            .as_ref()
                            .ok()
                            .and_then(|d| d.command_excerpt(0))
                            .map(clip);
                        out.push(obs(
                            Verdict::Fail,
                            next.index,
                            Side::Request,
                            format!(
                                "the server's package (exchange {}) had no operations and no \
                                 challenge, yet the client sent a package of Status only",
                                e.index
                            ),
                            excerpt,
                        ));
                    } else {
                        out.push(obs(
                            Verdict::Pass,
                            next.index,
                            Side::Request,
                            "after a package without operations the client went on with \
                             operations of its own",
                            None,
                        ));
                    }
                }
            }
        }
        out
    }
}
