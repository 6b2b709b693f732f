use super::*;

/// A message sent after the peer answered the previous one's SyncHdr with 401 or 407
/// (the request repeated) carries credentials: [PRO] §9.2 "The Cred element MUST be
/// included in requests (message or command), which are sent after receiving the 401
/// or 407 responses if the request is repeated."
pub struct RepeatWithCred;

impl Rule for RepeatWithCred {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/repeat-with-cred",
            status: RuleStatus::Testable,
            clause: "[PRO] §9.2",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "A message repeated after the peer answered its SyncHdr with 401 or 407 \
                includes credentials: a Cred in the SyncHdr, or for syncml:auth-MAC the \
                x-syncml-hmac header ([PRO] §9.2: \"The Cred element MUST be included in \
                requests ... which are sent after receiving the 401 or 407 responses if the \
                request is repeated\"; [SEC] §5.4.1: HMAC travels only in the header).",
            allowed: &[
                "HMAC credentials in the x-syncml-hmac header instead of a Cred",
                "abort the session with Alert 1223 instead of repeating the request",
                "a server ends the session with a package without management operations \
                    instead of repeating the request",
            ],
            conditions: &[],
            capability: None,
            scenarios: &[
                "session/reauth-md5@client",
                "auth/client-challenges-server@server",
            ],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for m in sent(view, role) {
            // The peer's message that `m` follows, in the same session: a new session
            // is not a repetition of the refused request.
            let Some(peer) = answered(view, role, &m) else {
                continue;
            };
            let Some((code, _)) = hdr_challenge(peer.m) else {
                continue;
            };
            if crate::rules::aborts(m.m) {
                out.push(m.pass(format!(
                    "after {code}, a Session Abort instead of a repeated request"
                )));
            } else if role == Role::Server && m.m.ends_session() {
                // A server package without operations or a challenge ends the session
                // ([PRO] §8): the refused request is not repeated. (A client's package of
                // Statuses alone is an answer, and repeats it.)
                out.push(m.pass(format!(
                    "after {code}, the session ended instead of a repeated request"
                )));
            } else if m.headers.get(HMAC_HEADER).is_some() {
                out.push(m.pass(format!(
                    "repeated after {code} with an x-syncml-hmac header"
                )));
            } else if m.m.hdr.cred.is_some() {
                out.push(m.pass(format!("repeated after {code} with a Cred")));
            } else {
                out.push(m.fail(
                    format!(
                        "repeated after the peer's {code} without credentials (no Cred, no \
                         x-syncml-hmac header)"
                    ),
                    m.hdr_excerpt(),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    const HMAC: &str = "syncml:auth-MAC";

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Package #1 repeated with the MD5 Cred asked for",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Pass,
            build: repeated_with_cred,
        },
        Fixture {
            name: "Package #1 repeated without Cred",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: repeated_without_cred,
        },
        Fixture {
            name: "repeated with an HMAC header",
            role: Role::Client,
            allowed: Some("HMAC credentials in the x-syncml-hmac header instead of a Cred"),
            verdict: Verdict::Pass,
            build: repeated_with_hmac,
        },
        Fixture {
            name: "a Session Abort after the challenge",
            role: Role::Client,
            allowed: Some("abort the session with Alert 1223 instead of repeating the request"),
            verdict: Verdict::Pass,
            build: aborted_after_challenge,
        },
        Fixture {
            name: "the server repeats its package without Cred after the client's 407",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: server_repeats_without_cred,
        },
        Fixture {
            name: "the server ends the session after the client's 407",
            role: Role::Server,
            allowed: Some(
                "a server ends the session with a package without management operations \
                    instead of repeating the request",
            ),
            verdict: Verdict::Pass,
            build: server_ends_after_challenge,
        },
        Fixture {
            name: "the server repeats its package with a Cred after the client's 407",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Pass,
            build: server_repeats_with_cred,
        },
    ];

    /// Package #1 without credentials, refused 407 with a Chal for `scheme`; `repeat`
    /// follows.
    fn challenged(scheme: &str, repeat: Msg) -> Transcript {
        let chal = chal(scheme, "MTIzNDU2Nzg5MGFiY2RlZg==");
        Session::new()
            .exchange(
                Msg::client(1).setup("1201"),
                Msg::server(1)
                    .status_with(1, 0, "SyncHdr", 407, &chal)
                    .status(1, 1, "Alert", 407)
                    .status(1, 2, "Replace", 407),
            )
            .exchange(
                repeat,
                Msg::server(2).hdr_status(2, 212).status(2, 2, "Alert", 200),
            )
            .done()
    }

    fn repeated_with_cred() -> Transcript {
        challenged(
            MD5,
            Msg::client(2)
                .cred(MD5, "bm90IGNoZWNrZWQgaGVyZQ==")
                .hdr_status(1, 200)
                .setup("1201"),
        )
    }

    fn repeated_without_cred() -> Transcript {
        challenged(MD5, Msg::client(2).hdr_status(1, 200).setup("1201"))
    }

    fn repeated_with_hmac() -> Transcript {
        let mut t = challenged(HMAC, Msg::client(2).hdr_status(1, 200).setup("1201"));
        t.exchanges[1].request.headers.push(
            dmct_proto::auth::HMAC_HEADER,
            "algorithm=MD5, username=\"dmct\", mac=bm90IGNoZWNrZWQgaGVyZQ==",
        );
        t
    }

    fn aborted_after_challenge() -> Transcript {
        challenged(MD5, Msg::client(2).hdr_status(1, 200).alert("1223"))
    }

    /// The server's Package #2 without credentials, refused by the client with 407 and
    /// an MD5 Chal; the server's next message is `repeat`.
    fn client_challenged(repeat: Msg) -> Transcript {
        let pkg2 = Msg::server(1)
            .hdr_status(1, 212)
            .status(1, 1, "Alert", 200)
            .get("./DevInfo/Mod");
        Session::new()
            .exchange(
                Msg::client(1).cred(BASIC, "ZG1jdDpzZWNyZXQ=").setup("1201"),
                pkg2,
            )
            .exchange(
                Msg::client(2)
                    .status_with(1, 0, "SyncHdr", 407, &chal(MD5, "MTIzNDU2Nzg5MGFiY2RlZg=="))
                    .status(1, 3, "Get", 407),
                repeat,
            )
            .done()
    }

    fn server_repeats_without_cred() -> Transcript {
        client_challenged(
            Msg::server(2)
                .hdr_status(2, 200)
                .status(2, 1, "Alert", 200)
                .get("./DevInfo/Mod"),
        )
    }

    fn server_repeats_with_cred() -> Transcript {
        client_challenged(
            Msg::server(2)
                .cred(MD5, "bm90IGNoZWNrZWQgaGVyZQ==")
                .hdr_status(2, 200)
                .status(2, 1, "Alert", 200)
                .get("./DevInfo/Mod"),
        )
    }

    fn server_ends_after_challenge() -> Transcript {
        client_challenged(Msg::server(2).hdr_status(2, 200))
    }
}
