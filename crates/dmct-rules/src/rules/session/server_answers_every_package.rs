use super::*;

/// §8: "A server MUST send response packages to all client packages."
pub struct ServerAnswersEveryPackage;

impl Rule for ServerAnswersEveryPackage {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "session/server-answers-every-package",
            status: RuleStatus::Testable,
            clause: "[PRO] §8 (intro), §8.1.2",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Server,
            summary: "The server answers every client package with a package of its own: an HTTP \
                response carrying a SyncML DM message of the same session.",
            allowed: &[
                "answer with a SyncML DM message (HTTP 200) of the same session",
                "challenge at the transport level (HTTP 401/407 with WWW-Authenticate or \
                    Proxy-Authenticate), when the account uses HTTP authentication",
                "take any time to answer: the spec sets no timeouts, so a slow answer is \
                    inconclusive, never a failure",
                "no answer to the client's Session Abort (Alert 1223): [PRO] §8.1.2 only \
                    recommends one",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let Some(client) = e.client_msg() else {
                continue;
            };
            let i = e.index;
            // [PRO] §8.1.2: "A server receiving this alert SHOULD respond", and §8.1.1:
            // "If a recipient of a Session Abort sends a response to this message, the
            // response is ignored". After the client's 1223 nothing is owed.
            if crate::rules::aborts(client) {
                out.push(obs(
                    Verdict::Pass,
                    i,
                    Side::Response,
                    "the client aborted the session (Alert 1223): an answer is only \
                     recommended ([PRO] §8.1.2)",
                    None,
                ));
                continue;
            }
            let Some(resp) = &e.exchange.response else {
                let o = match &e.exchange.failure {
                    Some(ExchangeFailure::ConnectionClosed { detail }) => obs(
                        Verdict::Fail,
                        i,
                        Side::Response,
                        format!("the server closed the connection without answering: {detail}"),
                        None,
                    ),
                    Some(ExchangeFailure::Timeout { after_ms, .. }) => obs(
                        Verdict::Inconclusive,
                        i,
                        Side::Response,
                        format!("no answer within {after_ms} ms (the spec sets no timeout)"),
                        None,
                    ),
                    Some(other) => obs(
                        Verdict::Inconclusive,
                        i,
                        Side::Response,
                        format!("no answer could be read: {other:?}"),
                        None,
                    ),
                    None => obs(
                        Verdict::Inconclusive,
                        i,
                        Side::Response,
                        "no answer was recorded",
                        None,
                    ),
                };
                out.push(o);
                continue;
            };
            let status = resp.status;
            let h = &resp.headers;
            if (status == 401 && h.get("www-authenticate").is_some())
                || (status == 407 && h.get("proxy-authenticate").is_some())
            {
                out.push(obs(
                    Verdict::Pass,
                    i,
                    Side::Response,
                    format!("HTTP {status}: a transport-level challenge"),
                    None,
                ));
                continue;
            }
            let body_text = || {
                let bytes = resp.body.as_bytes();
                Some(clip(crate::rules::Excerpt::body(
                    bytes,
                    (i, Side::Response, 0..bytes.len()),
                )))
            };
            // A DM message in another HTTP status still answers the package: the
            // status code is `Status200`'s to judge.
            let dm_answer = matches!(&e.response, Some(Ok(_)));
            let verdict = if status != 200 && !dm_answer {
                Err((
                    format!("answered HTTP {status} instead of a DM package"),
                    body_text(),
                ))
            } else if resp.body.is_empty() {
                Err((
                    "answered HTTP 200 with an empty body instead of a DM package".into(),
                    None,
                ))
            } else {
                match &e.response {
                    // Labelled as DM but undecodable: `ContentTypeMatches` fails it;
                    // whether it answers cannot be read.
                    Some(Err(err)) if labelled_dm(h) => Ok(Some(format!(
                        "the answer does not decode as SyncML DM ({err}; {}), so whether it \
                         answers cannot be told",
                        crate::rules::http::ContentTypeMatches.id()
                    ))),
                    Some(Err(err)) => Err((
                        format!("the answer is not a SyncML DM message: {err}"),
                        body_text(),
                    )),
                    // The response of the exchange is the answer; its SessionID is
                    // `SessionIdConstant`'s failure.
                    Some(Ok(d))
                        if d.message.hdr.session_id.trim() != client.hdr.session_id.trim() =>
                    {
                        Ok(Some(format!(
                            "the answer carries SessionID {:?}, not {:?} ({}), so whether it \
                             answers this session's package cannot be told",
                            d.message.hdr.session_id,
                            client.hdr.session_id,
                            crate::rules::msg::SessionIdConstant.id()
                        )))
                    }
                    _ => Ok(None),
                }
            };
            out.push(match verdict {
                Ok(Some(why)) => obs(Verdict::Inconclusive, i, Side::Response, why, None),
                Ok(None) => obs(
                    Verdict::Pass,
                    i,
                    Side::Response,
                    "answered with a DM package",
                    None,
                ),
                Err((detail, excerpt)) => obs(Verdict::Fail, i, Side::Response, detail, excerpt),
            });
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "a DM package answers",
            role: Role::Server,
            allowed: Some("answer with a SyncML DM message (HTTP 200) of the same session"),
            verdict: Verdict::Pass,
            build: server_answers,
        },
        Fixture {
            name: "an HTTP 401 challenge answers",
            role: Role::Server,
            allowed: Some(
                "challenge at the transport level (HTTP 401/407 with WWW-Authenticate or \
                    Proxy-Authenticate), when the account uses HTTP authentication",
            ),
            verdict: Verdict::Pass,
            build: server_http_challenge,
        },
        Fixture {
            name: "no answer within the time limit",
            role: Role::Server,
            allowed: Some(
                "take any time to answer: the spec sets no timeouts, so a slow answer is \
                    inconclusive, never a failure",
            ),
            verdict: Verdict::Inconclusive,
            build: server_slow,
        },
        Fixture {
            name: "no answer to the client's Session Abort",
            role: Role::Server,
            allowed: Some(
                "no answer to the client's Session Abort (Alert 1223): [PRO] §8.1.2 only \
                    recommends one",
            ),
            verdict: Verdict::Pass,
            build: client_aborts,
        },
        Fixture {
            name: "the connection closed on a client package",
            role: Role::Server,
            allowed: None,
            verdict: Verdict::Fail,
            build: client_ignores_get,
        },
    ];

    fn server_http_challenge() -> Transcript {
        let mut t = opened(pkg2()).done();
        let r = t.exchanges[0].response.as_mut().unwrap();
        r.status = 401;
        r.headers.push("WWW-Authenticate", "Basic realm=\"dm\"");
        r.body.0.clear();
        t
    }

    fn server_slow() -> Transcript {
        let mut t = opened(pkg2()).done();
        t.exchanges[0].response = None;
        t.exchanges[0].failure = Some(ExchangeFailure::Timeout {
            after_ms: 10_000,
            awaiting: "response".into(),
        });
        t
    }
}
