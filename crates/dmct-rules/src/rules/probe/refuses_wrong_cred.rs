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
        // Credentials that are wrong; missing ones are auth/server-refuses-missing-cred's.
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
