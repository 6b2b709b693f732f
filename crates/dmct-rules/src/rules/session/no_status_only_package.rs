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
                            .and_then(|d| {
                                crate::rules::Excerpt::command(d, next.index, Side::Request, 0)
                            })
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

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "nonce resync: Status and Chal after a success with Chal",
            role: Role::Client,
            allowed: Some(
                "answer a server package whose Status carries a Chal (a new nonce, [NOT] §5.1 \
                    steps 4-5) with Status and a Chal",
            ),
            verdict: Verdict::Pass,
            build: nonce_resync,
        },
        Fixture {
            name: "nonce hand-over answered with a bare Status",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: nonce_answered_status_only,
        },
        Fixture {
            name: "nothing more after a package without operations",
            role: Role::Client,
            allowed: Some("send nothing more: the session ends"),
            verdict: Verdict::Pass,
            build: ends_after_empty_package,
        },
        Fixture {
            name: "a Generic Alert after a package without operations",
            role: Role::Client,
            allowed: Some(
                "start new work with a package that carries operations (for instance a Generic \
                    Alert 1226)",
            ),
            verdict: Verdict::Pass,
            build: generic_alert_after_empty_package,
        },
        Fixture {
            name: "Status only after a package without operations",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: status_only_after_empty_package,
        },
    ];

    /// [NOT] §5.1 steps 3-6: Package #1 with MD5 credentials on the resync nonce; the
    /// server's success with a Chal (a new client nonce); the client's success with a
    /// Chal (a new server nonce); the server's closing Status.
    fn nonce_resync() -> Transcript {
        nonce_handed_over(&chal(MD5, "U2VydmVyTm9uY2U="))
    }

    fn nonce_answered_status_only() -> Transcript {
        // A success Chal asks for nothing (HMAC hands one over in every message): a reply
        // of a bare Status is the package §8 forbids.
        nonce_handed_over("")
    }

    /// The server's success with a Chal, answered by the client's Status with `reply_chal`.
    fn nonce_handed_over(reply_chal: &str) -> Transcript {
        Session::new()
            .exchange(
                Msg::client(1)
                    .loc_name("Bruce2")
                    .cred(MD5, "ZGlnZXN0")
                    .setup("1200"),
                Msg::server(1)
                    .status_with(1, 0, "SyncHdr", 212, &chal(MD5, "Q2xpZW50Tm9uY2U="))
                    .status(1, 1, "Alert", 200),
            )
            .exchange(
                Msg::client(2).status_with(1, 0, "SyncHdr", 200, reply_chal),
                Msg::server(2).hdr_status(2, 200),
            )
            .done()
    }

    /// A Package #2 without operations or challenge, then `after`, if any.
    fn after_empty_package(after: Option<Msg>) -> Transcript {
        let s = opened(pkg2());
        match after {
            Some(m) => s.exchange(m, Msg::server(2).hdr_status(2, 200)).done(),
            None => s.done(),
        }
    }

    fn ends_after_empty_package() -> Transcript {
        after_empty_package(None)
    }

    fn generic_alert_after_empty_package() -> Transcript {
        after_empty_package(Some(Msg::client(2).hdr_status(1, 200).alert("1226")))
    }

    fn status_only_after_empty_package() -> Transcript {
        after_empty_package(Some(Msg::client(2).hdr_status(1, 200)))
    }
}
