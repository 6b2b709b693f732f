use super::*;

/// A server refuses credentials that do not verify: a probe of dmct's client is
/// answered 401 or 407 for the SyncHdr, never 200 or 212.
pub struct RefusesWrongCred;

impl Rule for RefusesWrongCred {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "auth/server-refuses-wrong-cred",
            status: RuleStatus::Testable,
            clause: "[SEC] §5.3, §5.3.3, §5.4.4; [PRO] §9.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "A server refuses credentials that do not verify. dmct's client sends them \
                on purpose as negative probes, and the transcript marks each probe and what was \
                wrong: Basic credentials or an MD5 digest made with a wrong password, an MD5 \
                digest keyed with a nonce the server had replaced with a NextNonce, an HMAC mac \
                made with a wrong password or keyed with a nonce already used ([SEC] §5.4.4: a \
                new nonce for every message). The server's Status for the SyncHdr is 401 or 407 \
                with a Chal, never 200 or 212.",
            allowed: &[
                "401 ([PRO] §9.1: the credentials were refused)",
                "407 ([PRO] §9.1: either code means the request requires authentication)",
                "credentials after the server answered 212 earlier in the session are not judged \
                    (§9.1: no further authentication is needed)",
                "credentials keyed with the nonce still in force are valid: the same credentials \
                    again after a 200 without a new Chal ([PRO] §9.1: \"the same credentials MUST \
                    be sent within the next request\")",
            ],
            conditions: &[Condition::ClientNotTransportAuthenticated],
            capability: Some("dm-client-auth"),
            scenarios: &[
                "auth/wrong-basic-password",
                "auth/wrong-md5-digest",
                "auth/md5-stale-nonce",
                "auth/hmac-wrong-mac",
                "auth/hmac-replayed-nonce",
            ],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        // A server "MAY choose not to authenticate" a client its transport already
        // authenticated ([SEC] §5.4.5, §5.3).
        if view.transcript.transport.client.is_some() {
            return Vec::new();
        }
        let clients = sent(view, other(role));
        let servers = sent(view, role);
        let mut out: Vec<Observation> = Vec::new();
        // Credentials that are wrong; missing ones are `RefusesMissingCred`'s.
        let client_probes = view
            .transcript
            .probes
            .iter()
            .filter(|p| matches!(p.kind, ProbeKind::WrongSecret | ProbeKind::StaleNonce));
        for p in client_probes {
            let Some(c) = clients.iter().find(|c| c.index == p.exchange) else {
                continue;
            };
            // After 212 no further authentication is needed in the session ([PRO]
            // §9.1): credentials sent then have nothing to pass.
            if accepted_212_before(&servers, &clients, c.session(), c.index) {
                continue;
            }
            if used_scheme(c).is_none() && c.m.hdr.cred.is_none() {
                out.push(obs(
                    Verdict::Inconclusive,
                    c.index,
                    Side::Request,
                    format!(
                        "exchange {} is marked as a probe ({}) but carries no credentials",
                        c.index, p.detail
                    ),
                    None,
                ));
                continue;
            }
            // Only a nonce the wire shows replaced makes stale credentials.
            if p.kind == ProbeKind::StaleNonce && !shown_stale(&servers, c, p) {
                continue;
            }
            let Some(s) = servers.iter().find(|s| s.index == c.index) else {
                continue;
            };
            match s.m.synchdr_status().and_then(|x| x.code()) {
                Some(code @ (401 | 407)) => out.push(s.pass(format!(
                    "dmct's client sent {}; the server refused it with {code}",
                    p.detail
                ))),
                Some(code @ (200 | 212)) => out.push(s.fail(
                    format!(
                        "as a deliberate negative probe, dmct's client sent {}; the server \
                         accepted it with {code}",
                        p.detail
                    ),
                    synchdr_index(s.m).and_then(|i| s.cmd_excerpt(i)),
                )),
                _ => {}
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
            name: "wrong Basic password refused 401",
            role: Role::Server,
            allowed: Some("401 ([PRO] §9.1: the credentials were refused)"),
            verdict: Verdict::Pass,
            build: wrong_password_refused_401,
        },
        Fixture {
            name: "wrong Basic password refused 407",
            role: Role::Server,
            allowed: Some(
                "407 ([PRO] §9.1: either code means the request requires authentication)",
            ),
            verdict: Verdict::Pass,
            build: wrong_password_refused_407,
        },
        Fixture {
            name: "a probe after 212, answered 200",
            role: Role::Server,
            allowed: Some(
                "credentials after the server answered 212 earlier in the session are not judged \
                    (§9.1: no further authentication is needed)",
            ),
            verdict: Verdict::NotApplicable,
            build: probe_after_212,
        },
        Fixture {
            name: "a digest keyed with the nonce still in force, accepted 200",
            role: Role::Server,
            allowed: Some(
                "credentials keyed with the nonce still in force are valid: the same credentials \
                    again after a 200 without a new Chal ([PRO] §9.1: \"the same credentials MUST \
                    be sent within the next request\")",
            ),
            verdict: Verdict::NotApplicable,
            build: nonce_in_force_accepted,
        },
        Fixture {
            name: "a digest keyed with a replaced nonce, refused 401",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Pass,
            build: replaced_nonce_refused,
        },
        Fixture {
            name: "a wrong password over a TLS-authenticated client, accepted 212",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::NotApplicable,
            build: probe_over_authenticated_transport,
        },
        Fixture {
            name: "wrong Basic password accepted with 212",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: wrong_password_accepted_212,
        },
        Fixture {
            name: "a digest keyed with a replaced nonce, accepted 212",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: replaced_nonce_accepted,
        },
    ];

    /// Mark the request of exchange `exchange` as a negative probe of dmct's client.
    fn probed(
        mut t: Transcript,
        exchange: usize,
        kind: ProbeKind,
        nonce: Option<&str>,
    ) -> Transcript {
        t.probes.push(Probe {
            exchange,
            kind,
            detail: format!("a {} probe", kind.as_str()),
            nonce: nonce.map(str::to_owned),
        });
        t
    }

    /// Package #1 with Basic credentials made with a wrong password, answered `hdr_code`
    /// (with `extra` before the Data of the SyncHdr Status).
    fn wrong_basic_answered(hdr_code: u16, extra: &str) -> Transcript {
        let t = Session::new()
            .exchange(
                Msg::client(1)
                    .loc_name("Bruce2")
                    .cred(BASIC, "QnJ1Y2UyOndyb25n")
                    .setup("1201"),
                Msg::server(1)
                    .status_with(1, 0, "SyncHdr", hdr_code, extra)
                    .status(1, 1, "Alert", if hdr_code >= 400 { hdr_code } else { 200 }),
            )
            .done();
        probed(t, 0, ProbeKind::WrongSecret, None)
    }

    fn wrong_password_refused_401() -> Transcript {
        wrong_basic_answered(401, &chal(MD5, "Tm9uY2Ux"))
    }

    fn wrong_password_refused_407() -> Transcript {
        wrong_basic_answered(407, &chal(MD5, "Tm9uY2Ux"))
    }

    fn wrong_password_accepted_212() -> Transcript {
        wrong_basic_answered(212, "")
    }

    /// A session accepted with 212; the client's next message carries a Cred marked as a
    /// probe, answered 200.
    fn probe_after_212() -> Transcript {
        let t = Session::new()
            .exchange(
                Msg::client(1)
                    .loc_name("Bruce2")
                    .cred(MD5, "ZGlnZXN0")
                    .setup("1201"),
                pkg2().get("./DevInfo/Mod"),
            )
            .exchange(
                Msg::client(2)
                    .loc_name("Bruce2")
                    .cred(MD5, "d3Jvbmc=")
                    .hdr_status(1, 200)
                    .status(1, 3, "Get", 200)
                    .results(1, 3, "./DevInfo/Mod", "X1"),
                Msg::server(2).hdr_status(2, 200),
            )
            .done();
        probed(t, 1, ProbeKind::WrongSecret, None)
    }

    /// Package #1 without credentials challenged with nonce `Tm9uY2Ux` (exchange 0); then,
    /// when `replaced`, a second challenge hands `Tm9uY2Uy` (exchange 1); then an MD5
    /// digest keyed with `Tm9uY2Ux`, marked as a stale-nonce probe, answered `code`.
    fn md5_keyed_with_first_nonce(replaced: bool, code: u16) -> Transcript {
        let refused = |id: u32, nonce: &str| {
            Msg::server(id)
                .status_with(id, 0, "SyncHdr", 401, &chal(MD5, nonce))
                .status(id, 1, "Alert", 401)
        };
        let mut s = Session::new().exchange(Msg::client(1).setup("1201"), refused(1, "Tm9uY2Ux"));
        let mut id = 2;
        if replaced {
            s = s.exchange(
                Msg::client(2)
                    .loc_name("Bruce2")
                    .cred(MD5, "d3Jvbmc=")
                    .setup("1201"),
                refused(2, "Tm9uY2Uy"),
            );
            id = 3;
        }
        let answer = Msg::server(id)
            .status_with(id, 0, "SyncHdr", code, "")
            .status(id, 1, "Alert", 200);
        let t = s
            .exchange(
                Msg::client(id)
                    .loc_name("Bruce2")
                    .cred(MD5, "c3RhbGU=")
                    .setup("1201"),
                answer,
            )
            .done();
        let at = t.exchanges.len() - 1;
        probed(t, at, ProbeKind::StaleNonce, Some("Tm9uY2Ux"))
    }

    fn nonce_in_force_accepted() -> Transcript {
        md5_keyed_with_first_nonce(false, 200)
    }

    fn replaced_nonce_refused() -> Transcript {
        md5_keyed_with_first_nonce(true, 401)
    }

    fn replaced_nonce_accepted() -> Transcript {
        md5_keyed_with_first_nonce(true, 212)
    }

    fn probe_over_authenticated_transport() -> Transcript {
        let mut t = wrong_password_accepted_212();
        t.transport.client = Some("CN=device-1".into());
        t
    }
}
