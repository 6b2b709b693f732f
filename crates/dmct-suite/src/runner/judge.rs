//! Judging a case: the rules over its transcript, what its preconditions and the
//! harness's own limits leave inconclusive, and how each side authenticated.

use super::*;

/// Judge a case: every rule binding the role under test, over its transcript. Rules
/// that did not apply are left out, except those the scenario names: a scenario that
/// did not reach its situation is inconclusive, never a silent pass.
pub fn judge(run: &CaseRun) -> CaseResult {
    judge_with(run, &dmct_rules::Profile::default())
}

/// [`judge`] for a peer whose capability profile lacks some optional features: rules
/// about those are reported not-applicable, with the reason.
pub fn judge_with(run: &CaseRun, profile: &dmct_rules::Profile) -> CaseResult {
    // Decoded once, for the rules and for how each side authenticated.
    let view = dmct_rules::View::new(&run.transcript);
    let all = dmct_rules::check_view(&view);
    judge_checked_with(run.case_ref(), profile, all, authentication_in(&view))
}

/// [`judge_with`] given what `dmct_rules::check` found in the run's transcript (both
/// roles), for a caller that judges one transcript for each role: the rules run once.
pub fn judge_checked(
    run: &CaseRun,
    profile: &dmct_rules::Profile,
    all: Vec<dmct_rules::Finding>,
) -> CaseResult {
    let authentication = authentication(&run.transcript);
    judge_checked_with(run.case_ref(), profile, all, authentication)
}

/// A case to judge, borrowed: a caller that judges one transcript for each role (and
/// keeps it, decoded, for its reports) need not own a copy per role.
#[derive(Clone, Copy)]
pub struct CaseRef<'a> {
    pub scenario: &'a crate::Scenario,
    pub role: Role,
    pub peer: &'a dmct_report::Peer,
    pub transcript: &'a Transcript,
}

impl CaseRun {
    pub fn case_ref(&self) -> CaseRef<'_> {
        CaseRef {
            scenario: &self.scenario,
            role: self.role,
            peer: &self.peer,
            transcript: &self.transcript,
        }
    }
}

/// [`judge_checked`] given also how each side authenticated ([`authentication_in`]),
/// for a caller that holds the transcript decoded already.
pub fn judge_checked_with(
    run: CaseRef,
    profile: &dmct_rules::Profile,
    mut all: Vec<dmct_rules::Finding>,
    authentication: Authentication,
) -> CaseResult {
    // The rules this case is there to exercise: the scenario's own list and the
    // catalog entries that name it.
    let named = crate::vectors::expected_passes(run.scenario, run.role);
    let waived = profile.apply(&mut all);
    let findings: Vec<_> = all
        .into_iter()
        .filter(|f| f.role == run.role)
        .filter_map(|mut f| {
            if f.verdict != Verdict::NotApplicable || waived.contains(&f.rule) {
                return Some(f);
            }
            if !named.contains(&f.rule) {
                return None;
            }
            // A transport that may have authenticated the other side (served over TLS,
            // [PRO] §8.4 item 1; a client certificate, [SEC] §5.4.5): the rule's unmet
            // condition says so, in words.
            let t = &run.transcript.transport;
            let other_by_transport = match run.role {
                Role::Client => t.served_over_tls,
                Role::Server => t.client.is_some(),
            };
            if other_by_transport && f.detail.starts_with("not applicable:") {
                return Some(f);
            }
            // Credentials the transport made needless ([SEC] §5.3: DM-level
            // authentication is for when the transport's is not strong enough): a DM
            // authentication rule with nothing to judge stays not-applicable, and says so.
            let by_transport = match run.role {
                Role::Client => run.transcript.transport.client.as_ref(),
                Role::Server => run.transcript.transport.server.as_ref(),
            };
            if let Closing::NotApplicable { reason } = &run.transcript.closing {
                f.detail = format!("not applicable: {reason}");
                return Some(f);
            }
            if run.role == Role::Client
                && run.transcript.client_credentials_waived
                && f.rule.starts_with("auth/")
            {
                // The rule saw nothing to judge; say why without claiming more (some
                // auth/ rules are about the client checking the server).
                f.detail = "not applicable: dmct demanded no DM-level credentials of the \
                            client (--auth none), and the authentication this rule judges \
                            did not take place"
                    .into();
                return Some(f);
            }
            if let Some(subject) = by_transport.filter(|_| f.rule.starts_with("auth/")) {
                f.detail = format!(
                    "not applicable: the transport authenticated the {} (TLS certificate \
                     {subject}), so no DM-level credentials were needed ([SEC] §5.3)",
                    run.role
                );
                return Some(f);
            }
            f.verdict = Verdict::Inconclusive;
            f.detail = if run.transcript.exchanges.is_empty() {
                match &run.transcript.closing {
                    Closing::IdleTimeout { after_ms } => format!(
                        "no exchange was recorded: the peer did not connect within {after_ms} ms"
                    ),
                    Closing::TriggerFailed { detail } => {
                        format!("the device was not woken: {detail}")
                    }
                    Closing::Skipped { reason } => format!("not run: {reason}"),
                    Closing::HarnessFault { detail } => {
                        format!("no exchange was recorded: {detail}")
                    }
                    _ => "no exchange was recorded".into(),
                }
            } else if let Closing::SessionTimeout { after_ms, awaiting } = &run.transcript.closing {
                format!(
                    "the session's time limit ({after_ms} ms) ran out awaiting {awaiting}, before \
                     the situation this scenario sets up for this rule"
                )
            } else if let Closing::HarnessFault { detail } = &run.transcript.closing {
                format!(
                    "dmct itself failed ({detail}) before the situation this scenario sets up \
                     for this rule"
                )
            } else if let Some(f) = run
                .transcript
                .exchanges
                .iter()
                .find_map(|e| e.failure.as_ref())
            {
                format!(
                    "the session broke off ({f}) before the situation this scenario sets up \
                     for this rule"
                )
            } else {
                let n = run.transcript.exchanges.len();
                let ended = match &run.transcript.closing {
                    Closing::PeerDone => format!("the session ended after {n} exchange(s)"),
                    Closing::IdleTimeout { after_ms } => format!(
                        "nothing more came within {after_ms} ms of idle after {n} exchange(s)"
                    ),
                    Closing::ExchangeLimit { limit } => {
                        format!("the harness's limit of {limit} exchanges was reached")
                    }
                    _ => format!("recording stopped after {n} exchange(s)"),
                };
                format!("{ended}, before the situation this scenario sets up for this rule")
            };
            Some(f)
        })
        .collect();
    // A case whose situation did not happen does not pass, whatever its rules saw:
    // what they saw did not test what the case is for.
    let unmet = unmet_precondition(run);
    let mut findings = findings;
    if let Some(why) = &unmet {
        for f in findings.iter_mut().filter(|f| named.contains(&f.rule)) {
            match f.verdict {
                Verdict::Pass => {
                    f.verdict = Verdict::Inconclusive;
                    f.detail = format!("{why}; what was observed held ({})", f.detail);
                }
                Verdict::Inconclusive if !waived.contains(&f.rule) => {
                    f.detail = format!("{why}; {}", f.detail);
                }
                _ => {}
            }
        }
    }
    // A request dmct refused at a limit of its own (503): from there on the case saw less
    // than the peer did, so nothing after it counts against the peer.
    let refused = harness_refusal(run.transcript);
    if let Some((at, why)) = &refused {
        for f in findings
            .iter_mut()
            .filter(|f| f.verdict == Verdict::Fail && f.exchange.is_none_or(|i| i >= *at))
        {
            f.verdict = Verdict::Inconclusive;
            f.detail = format!(
                "dmct refused exchange {at} at a limit of its own ({why}), so what the peer did \
                 after it was not all seen; {}",
                f.detail
            );
        }
    }
    // The server's side broke the session off under a client that did nothing wrong
    // (seen through the proxy: the upstream closed the connection or answered 5xx): what
    // the client did passes or fails as seen, but a judgement over the whole session
    // could not be made, and the case does not pass.
    let cut = match run.role {
        Role::Client => server_cut(run.transcript),
        Role::Server => None,
    };
    if let Some((at, why)) = &cut {
        for f in findings.iter_mut().filter(|f| {
            matches!(f.verdict, Verdict::Pass | Verdict::Fail) && f.exchange.is_none_or(|i| i > *at)
        }) {
            f.verdict = Verdict::Inconclusive;
            f.detail = format!(
                "the server's side broke the session off at exchange {at} ({why}), so the \
                 rest of the session this judgement needs was not seen; {}",
                f.detail
            );
        }
    }
    // dmct itself failed (out of descriptors): the rest of the session was not seen, so
    // nothing that needed it counts against the peer, and nothing passes.
    let own_fault = match &run.transcript.closing {
        Closing::HarnessFault { detail } => Some(detail),
        _ => None,
    };
    if let Some(why) = own_fault {
        let seen = run.transcript.exchanges.len();
        for f in findings
            .iter_mut()
            .filter(|f| f.verdict == Verdict::Fail && f.exchange.is_none_or(|i| i >= seen))
        {
            f.verdict = Verdict::Inconclusive;
            f.detail = format!(
                "dmct itself failed ({why}), so the rest of the session was not seen; {}",
                f.detail
            );
        }
    }
    let observed = !run.transcript.exchanges.is_empty()
        || (run.role == Role::Server && run.transcript.package0.is_some());
    CaseResult {
        id: run.scenario.id.clone(),
        title: run.scenario.title.clone(),
        role: run.role,
        peer: run.peer.clone(),
        // Nothing observed is never a pass. A server's Package 0 alone is observed: a
        // strict client refuses a faulty one, so no exchange follows.
        verdict: match CaseVerdict::from_findings(&findings) {
            _ if matches!(run.transcript.closing, Closing::NotApplicable { .. }) => {
                CaseVerdict::NotApplicable
            }
            _ if !observed || findings.is_empty() => CaseVerdict::Inconclusive,
            CaseVerdict::Pass if unmet.is_some() => CaseVerdict::Inconclusive,
            CaseVerdict::Pass | CaseVerdict::NotApplicable
                if refused.is_some() || own_fault.is_some() || cut.is_some() =>
            {
                CaseVerdict::Inconclusive
            }
            v => v,
        },
        findings,
        exchanges: run.transcript.exchanges.len(),
        transcript: None,
        authentication,
        ended: Some(crate::ending::session_end(run.transcript, run.role)),
        time: case_time(run.transcript),
        exchange_times: exchange_times(run.transcript),
    }
}

/// The first exchange the harness refused at a limit of its own, with why.
pub(super) fn harness_refusal(t: &Transcript) -> Option<(usize, String)> {
    t.exchanges
        .iter()
        .enumerate()
        .find_map(|(i, e)| match &e.failure {
            Some(ExchangeFailure::HarnessRefused { detail }) => Some((i, detail.clone())),
            _ => None,
        })
}

/// Where the server's side broke the session off under the client, with why: the first
/// exchange left unanswered by something other than the client (not "client gone"), or
/// answered with a 5xx the harness did not give at a limit of its own.
pub(super) fn server_cut(t: &Transcript) -> Option<(usize, String)> {
    t.exchanges
        .iter()
        .enumerate()
        .find_map(|(i, e)| match (&e.response, &e.failure) {
            (None, Some(ExchangeFailure::ConnectionClosed { detail }))
                if detail.starts_with("client gone") =>
            {
                None
            }
            (None, Some(f)) => Some((i, f.to_string())),
            (Some(r), None) if r.status >= 500 => Some((i, format!("HTTP {}", r.status))),
            _ => None,
        })
}

/// The first thing the case needed to happen that did not, in words for the report:
/// a WBXML case whose messages were XML, a Package 0 case without a Package 0, an
/// HMAC case whose peer never used HMAC. `None` when nothing was recorded (judged
/// inconclusive already) or every precondition held.
pub(super) fn unmet_precondition(run: CaseRef) -> Option<String> {
    use dmct_proto::auth::HMAC_HEADER;
    use dmct_proto::xml::Encoding;
    let t = run.transcript;
    if t.exchanges.is_empty() {
        return None;
    }
    let (peer, peer_verb) = match run.role {
        Role::Client => ("device", "sent"),
        Role::Server => ("server", "answered"),
    };
    let setup = &run.scenario.client;
    if setup.package0 && t.package0.is_none() {
        return Some(
            "no Package 0 was sent, so the session was not server-initiated as this case \
             needs (give a trigger: --exec)"
                .into(),
        );
    }
    if setup.encoding == Encoding::Wbxml {
        for (i, e) in t.exchanges.iter().enumerate() {
            let request = dmct_proto::decode(e.request.body.as_bytes()).ok();
            let response = e
                .response
                .as_ref()
                .and_then(|r| dmct_proto::decode(r.body.as_bytes()).ok());
            let (peers, ours) = match run.role {
                Role::Client => (request, response),
                Role::Server => (response, request),
            };
            if peers.is_some_and(|d| d.encoding == Encoding::Xml) {
                return Some(format!(
                    "the {peer} {peer_verb} in XML (exchange {i}); this case needs WBXML"
                ));
            }
            if ours.is_some_and(|d| d.encoding == Encoding::Xml) {
                return Some(format!(
                    "dmct's own message was XML (exchange {i}, --encoding); this case needs WBXML"
                ));
            }
        }
    }
    let hmac_case = setup.scheme == Scheme::Hmac
        || setup.server_scheme == Some(Scheme::Hmac)
        || run.scenario.server.scheme == Some(Scheme::Hmac);
    if hmac_case {
        let in_requests = t
            .exchanges
            .iter()
            .any(|e| e.request.headers.get(HMAC_HEADER).is_some());
        let in_responses = t.exchanges.iter().any(|e| {
            e.response
                .as_ref()
                .is_some_and(|r| r.headers.get(HMAC_HEADER).is_some())
        });
        match run.role {
            Role::Client if !in_requests => {
                return Some(format!(
                    "the {peer} never used HMAC (no {HMAC_HEADER} header in its messages); \
                     this case needs it"
                ));
            }
            // The server signs its own messages only when the client asks it to.
            Role::Server if setup.server_scheme == Some(Scheme::Hmac) && !in_responses => {
                return Some(format!(
                    "the {peer} never used HMAC (no {HMAC_HEADER} header in its messages); \
                     this case needs it"
                ));
            }
            Role::Server if !in_requests => {
                return Some(format!(
                    "the {peer} never took HMAC from dmct's client (no {HMAC_HEADER} header \
                     on dmct's requests: it asked for another scheme); this case needs it"
                ));
            }
            _ => {}
        }
    }
    None
}

/// Which layer authenticated each side: a TLS certificate the other side verified, and
/// DM credentials the other side accepted (its SyncHdr Status 200 or 212).
pub fn authentication(t: &Transcript) -> Authentication {
    authentication_in(&dmct_rules::View::new(t))
}

/// [`authentication`] of a transcript decoded already.
pub fn authentication_in(view: &dmct_rules::View) -> Authentication {
    use dmct_proto::auth::HMAC_HEADER;
    let accepted = |m: &dmct_proto::SyncML| {
        m.synchdr_status()
            .and_then(|s| s.code())
            .is_some_and(|c| c == 200 || c == 212)
    };
    let t = view.transcript;
    let mut client_dm = false;
    let mut server_dm = false;
    for (i, e) in view.exchanges.iter().enumerate() {
        let Some(resp) = &e.exchange.response else {
            continue;
        };
        let (Some(req), Some(answer)) = (e.client_msg(), e.server_msg()) else {
            continue;
        };
        let offered =
            req.hdr.cred.is_some() || e.exchange.request.headers.get(HMAC_HEADER).is_some();
        client_dm |= offered && accepted(answer);
        let presented = answer.hdr.cred.is_some() || resp.headers.get(HMAC_HEADER).is_some();
        // The client's verdict on the server's credentials is in its next message.
        let next = view.exchanges.get(i + 1).and_then(|n| n.client_msg());
        server_dm |= presented && next.is_some_and(accepted);
    }
    let layers = |tls: bool, dm: bool| {
        let mut v = Vec::new();
        if tls {
            v.push(AuthLayer::Transport);
        }
        if dm {
            v.push(AuthLayer::Dm);
        }
        v
    };
    Authentication {
        client: layers(t.transport.client.is_some(), client_dm),
        server: layers(t.transport.server.is_some(), server_dm),
        client_cert: t.transport.client.clone(),
        server_cert: t.transport.server.clone(),
    }
}

/// When the case's recording started and ended, as its transcript says.
fn case_time(t: &Transcript) -> Option<dmct_report::Span> {
    (t.started.is_some() || t.ended.is_some()).then(|| dmct_report::Span {
        started: t.started.clone(),
        ended: t.ended.clone(),
    })
}

/// Each exchange's time, in transcript order; none when no exchange was timed (a
/// transcript made in memory or by an older dmct), so the report says nothing false.
fn exchange_times(t: &Transcript) -> Vec<dmct_report::Span> {
    if t.exchanges.iter().all(|e| e.time.is_none()) {
        return Vec::new();
    }
    t.exchanges
        .iter()
        .map(|e| e.time.clone().unwrap_or_default())
        .collect()
}
