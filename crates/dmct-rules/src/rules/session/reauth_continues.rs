use super::*;

/// [PRO] §9 (DM 1.2.1, the seed CR's text): a challenge during setup does not end the
/// session; the client goes back to Package #1 with the credentials asked for.
pub struct ReauthContinues;

impl Rule for ReauthContinues {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "session/reauth-continues",
            status: RuleStatus::Testable,
            clause: "[PRO] §9 (intro), §9.1; [SEC] §5.3, §5.4.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Client,
            summary: "When the server answers Package #1 with Status 401 or 407 and a Chal, the \
                session goes on: the client sends Package #1 again in the same session (same \
                SessionID, a later MsgID) with credentials of the scheme asked for, a Status for \
                the server's SyncHdr, the Alert 1200/1201 and the DevInfo Replace, to RespURI if \
                the server gave one. A client that ends, or stays silent past --idle, after an \
                MD5 challenge (mandatory for a client the transport did not authenticate, [SEC] \
                §5.3) quits where it had to answer; a harness limit reached first is inconclusive.",
            allowed: &[
                "re-send Package #1 as described, to RespURI when given",
                "end the session when the scheme asked for is one the client does not support \
                    (§9: answer with the requested type or terminate); MD5 support is mandatory",
                "a MsgID that grows by more than one",
                "abort the session with Alert 1223 instead ([PRO] §8.1.1: either side may abort \
                    at any time)",
                "end the session and open a new one whose Package #1 carries the credentials \
                    asked for (§9.1 binds only a continued session)",
                "not answer when the server aborted the session (Alert 1223) along with its \
                    challenge ([PRO] §8.1.2)",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/reauth-md5", "session/every-command"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let (Some(first), Some(pkg2)) = (e.client_msg(), e.server_msg()) else {
                continue;
            };
            if !first.is_session_setup() {
                continue;
            }
            let Some(hdr_status) = pkg2.synchdr_status() else {
                continue;
            };
            let (Some(401 | 407), Some(chal)) = (hdr_status.code(), hdr_status.chal.as_ref())
            else {
                continue;
            };
            let asked = chal.meta.r#type.as_deref().and_then(Scheme::from_meta_type);
            let asked_name = asked.map_or("an unknown scheme", Scheme::meta_type);
            let Some(next) = view.next_client_msg(e.index) else {
                out.push(self.silence(view, e.index, asked, aborts(pkg2)));
                continue;
            };
            let Some(reply) = next.client_msg() else {
                continue;
            };
            let hmac_header = next.exchange.request.headers.get("x-syncml-hmac").is_some();
            let excerpt = next
                .request
                .as_ref()
                .ok()
                .map(|d| clip(crate::rules::Excerpt::hdr(d, next.index, Side::Request)));
            let same_session = reply.hdr.session_id.trim() == first.hdr.session_id.trim();
            if same_session && aborts(reply) {
                // [PRO] §8.1.1: "Either the client or the server may decide to abort the
                // session at any time."
                out.push(obs(
                    Verdict::Pass,
                    next.index,
                    Side::Request,
                    format!(
                        "challenged in exchange {}; the client aborted the session with Alert \
                         1223 ([PRO] §8.1.1 allows either side to abort at any time)",
                        e.index
                    ),
                    None,
                ));
                continue;
            }
            if !same_session {
                // §9.1's requirements hold "in case the session is continued"; ending it
                // and opening a new one with the credentials asked for is not forbidden.
                let problem = if reply.is_session_setup() {
                    credentials_problem(asked, reply, hmac_header)
                } else {
                    Some("its first message is no Package #1 (no Alert 1200/1201)".into())
                };
                out.push(match problem {
                    None => obs(
                        Verdict::Pass,
                        next.index,
                        Side::Request,
                        format!(
                            "challenged in exchange {} for {asked_name}; the client ended that \
                             session and opened a new one (SessionID {:?}) with the \
                             credentials asked for",
                            e.index, reply.hdr.session_id
                        ),
                        None,
                    ),
                    Some(why) => obs(
                        Verdict::Fail,
                        next.index,
                        Side::Request,
                        format!(
                            "challenged in exchange {} ({} with {asked_name}): the client \
                             started over in a new session (SessionID {:?}, was {:?}) without \
                             answering the challenge: {why}; {REVERT}",
                            e.index,
                            hdr_status.data.trim(),
                            reply.hdr.session_id,
                            first.hdr.session_id
                        ),
                        excerpt,
                    ),
                });
                continue;
            }
            let problems = reauth_problems(
                pkg2,
                asked,
                first,
                reply,
                &next.exchange.request.target,
                hmac_header,
            );
            if problems.is_empty() {
                out.push(obs(
                    Verdict::Pass,
                    next.index,
                    Side::Request,
                    format!(
                        "challenged in exchange {}; the client repeated Package #1 in the same \
                            session",
                        e.index
                    ),
                    None,
                ));
            } else {
                out.push(obs(
                    Verdict::Fail,
                    next.index,
                    Side::Request,
                    format!(
                        "challenged in exchange {} ({} with {asked_name}): {}",
                        e.index,
                        hdr_status.data.trim(),
                        problems.join("; ")
                    ),
                    excerpt,
                ));
            }
        }
        out
    }
}

impl ReauthContinues {
    /// No client message after the challenge in exchange `at`: the client quit where
    /// it had to answer (fail), or the harness stopped waiting first (inconclusive).
    fn silence(&self, view: &View, at: usize, asked: Option<Scheme>, aborted: bool) -> Observation {
        let inconclusive =
            |detail: String| obs(Verdict::Inconclusive, at, Side::Response, detail, None);
        // A request that broke off mid-body (the device crashed or reset the
        // connection) delivered nothing: it is no answer, and no sign of one.
        if view.exchanges[at + 1..].iter().any(|e| !e.broke_off()) {
            return inconclusive(
                "the client's later requests are not SyncML DM messages, so whether it \
                 repeated Package #1 cannot be read"
                    .into(),
            );
        }
        if aborted {
            // [PRO] §8.1.2: "A client receiving Alert 1223 SHOULD NOT respond."
            return inconclusive(
                "the server aborted the session (Alert 1223) along with its challenge; a \
                 client receiving Alert 1223 should not respond ([PRO] §8.1.2), so its silence \
                 says nothing about re-authentication"
                    .into(),
            );
        }
        // [SEC] §5.3: only clients without transport-layer client authentication must
        // support MD5, and one that does not answer with the requested type ends the
        // session, as the text demands.
        if asked == Some(Scheme::Md5)
            && let Some(subject) = &view.transcript.transport.client
        {
            return obs(
                Verdict::Pass,
                at,
                Side::Response,
                format!(
                    "the client ended the session after an MD5 challenge; it authenticated with \
                     a TLS certificate ({subject}), so it need not support MD5 ([SEC] §5.3)"
                ),
                None,
            );
        }
        if asked != Some(Scheme::Md5) {
            return obs(
                Verdict::Pass,
                at,
                Side::Response,
                "the client ended the session after a challenge for a scheme it need not \
                 support ([SEC] §5.3: answer with the requested type or the session is \
                 terminated)",
                None,
            );
        }
        let fail = |detail: String| obs(Verdict::Fail, at, Side::Response, detail, None);
        match &view.transcript.closing {
            Closing::PeerDone => fail(format!(
                "the peer quit where it had to answer: it ended the session after the \
                 server's MD5 challenge in exchange {at} and opened no new one; {REVERT}"
            )),
            Closing::IdleTimeout { after_ms } => fail(format!(
                "the peer quit where it had to answer: no repeated Package #1 (nor any other \
                 request) within {} of idle (--idle) after the server's MD5 challenge in \
                 exchange {at}; {REVERT}. A device that needs longer: raise --idle and run \
                 again",
                seconds(*after_ms)
            )),
            Closing::SessionTimeout { after_ms, awaiting } => inconclusive(format!(
                "we gave up waiting: the session's time limit ({}) ran out awaiting {awaiting} \
                 after the challenge in exchange {at} (a harness limit, not the client's \
                 failure)",
                seconds(*after_ms)
            )),
            Closing::ExchangeLimit { limit } => inconclusive(format!(
                "we gave up waiting: the harness's limit of {limit} exchanges per case was \
                 reached right after the challenge in exchange {at}"
            )),
            Closing::HarnessFault { detail } => inconclusive(format!(
                "dmct itself failed after the challenge in exchange {at} ({detail}), so what \
                 the client did next was not seen (the harness's fault, not the client's)"
            )),
            Closing::Stopped
            | Closing::TriggerFailed { .. }
            | Closing::Skipped { .. }
            | Closing::NotApplicable { .. } => inconclusive(format!(
                "recording stopped before the client answered the challenge in exchange {at}"
            )),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::fixture::*;

    pub(crate) const FIXTURES: &[Fixture] = &[
        Fixture {
            name: "Package #1 repeated with MD5 to the RespURI",
            role: Role::Client,
            allowed: Some("re-send Package #1 as described, to RespURI when given"),
            verdict: Verdict::Pass,
            build: repeated_to_resp_uri,
        },
        Fixture {
            name: "Package #1 repeated past the RespURI",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: repeated_past_resp_uri,
        },
        Fixture {
            name: "MD5 challenge answered with Basic",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: md5_answered_with_basic,
        },
        Fixture {
            name: "Basic challenge, the client ends the session",
            role: Role::Client,
            allowed: Some(
                "end the session when the scheme asked for is one the client does not support \
                    (§9: answer with the requested type or terminate); MD5 support is mandatory",
            ),
            verdict: Verdict::Pass,
            build: basic_challenge_ended,
        },
        Fixture {
            name: "repeated Package #1 as MsgID 3",
            role: Role::Client,
            allowed: Some("a MsgID that grows by more than one"),
            verdict: Verdict::Pass,
            build: repeated_msgid_skips,
        },
        Fixture {
            name: "challenge answered with Alert 1223",
            role: Role::Client,
            allowed: Some(
                "abort the session with Alert 1223 instead ([PRO] §8.1.1: either side may abort \
                    at any time)",
            ),
            verdict: Verdict::Pass,
            build: challenge_aborted,
        },
        Fixture {
            name: "a new session with MD5 after the challenge",
            role: Role::Client,
            allowed: Some(
                "end the session and open a new one whose Package #1 carries the credentials \
                    asked for (§9.1 binds only a continued session)",
            ),
            verdict: Verdict::Pass,
            build: new_session_md5,
        },
        Fixture {
            name: "a new session with Basic after an MD5 challenge",
            role: Role::Client,
            allowed: None,
            verdict: Verdict::Fail,
            build: new_session_basic,
        },
        Fixture {
            name: "no answer to a challenge that came with Alert 1223",
            role: Role::Client,
            allowed: Some(
                "not answer when the server aborted the session (Alert 1223) along with its \
                    challenge ([PRO] §8.1.2)",
            ),
            verdict: Verdict::Inconclusive,
            build: challenge_with_abort_unanswered,
        },
    ];

    fn repeated_msgid_skips() -> Transcript {
        repeated("/mgmt-server/s1", 3, MD5)
    }

    fn repeated_past_resp_uri() -> Transcript {
        repeated("/mgmt-server", 2, MD5)
    }

    #[test]
    fn reauth_findings_say_which_answer_they_saw() {
        // The verdicts are judged above; these say why, so a lab can hold them to the text.
        let cases: [(Build, &str); 5] = [
            (challenge_aborted, "aborted the session with Alert 1223"),
            (new_session_md5, "opened a new one"),
            (new_session_basic, "started over in a new session"),
            (challenge_with_abort_unanswered, "Alert 1223"),
            (md5_answered_with_basic, "syncml:auth-md5 was asked for"),
        ];
        for (build, says) in cases {
            let f = finding(&build(), "session/reauth-continues", Role::Client);
            assert!(f.detail.contains(says), "{:?} lacks {says:?}", f.detail);
        }
    }
}
