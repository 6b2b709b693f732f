//! A case passes only when the situation it is for happened: a WBXML case spoken in
//! XML, a Package 0 case without a Package 0, an HMAC case without HMAC are
//! inconclusive, and say what was missing. The session is typed by hand.

use dmct_proto::transcript::{
    Body, Closing, Exchange, Headers, HttpRequest, HttpResponse, Transcript,
};
use dmct_report::{CaseVerdict, Peer};
use dmct_rules::{Role, Verdict};
use dmct_suite::{CaseRun, Scenario, judge};

const SERVER: &str = "http://dm.example/dm";
const DEVICE: &str = "IMEI:493005100592800";

fn scenario(id: &str) -> Scenario {
    dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == id)
        .unwrap()
}

fn msg(msg_id: u32, from_client: bool, extra_hdr: &str, body: &str) -> String {
    let (target, source) = if from_client {
        (SERVER, DEVICE)
    } else {
        (DEVICE, SERVER)
    };
    format!(
        "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>\
         <SessionID>7</SessionID><MsgID>{msg_id}</MsgID><Target><LocURI>{target}</LocURI></Target>\
         <Source><LocURI>{source}</LocURI></Source>{extra_hdr}</SyncHdr><SyncBody>{body}<Final/></SyncBody></SyncML>"
    )
}

fn exchange(request: String, response: String) -> Exchange {
    let mut headers = Headers::default();
    headers.push("Content-Type", "application/vnd.syncml.dm+xml");
    Exchange {
        request: HttpRequest {
            method: "POST".into(),
            target: "/dm".into(),
            headers: headers.clone(),
            body: Body::from(request.into_bytes()),
        },
        response: Some(HttpResponse {
            status: 200,
            headers,
            body: Body::from(response.into_bytes()),
        }),
        failure: None,
        time: None,
    }
}

fn status(id: u32, msg_ref: u32, cmd_ref: u32, cmd: &str, code: u16) -> String {
    format!(
        "<Status><CmdID>{id}</CmdID><MsgRef>{msg_ref}</MsgRef><CmdRef>{cmd_ref}</CmdRef>\
         <Cmd>{cmd}</Cmd><Data>{code}</Data></Status>"
    )
}

/// An XML session: Package #1 with Basic credentials and Alert `alert`, a Replace
/// from the server, its Status, and a closing package without commands.
fn xml_session(alert: &str) -> Transcript {
    let cred = "<Cred><Meta><Type xmlns='syncml:metinf'>syncml:auth-basic</Type>\
                <Format xmlns='syncml:metinf'>b64</Format></Meta><Data>ZGV2OnNlY3JldA==</Data></Cred>";
    let devinfo: String = [
        ("DevId", DEVICE),
        ("Man", "Acme"),
        ("Mod", "A1"),
        ("DmV", "1.2"),
        ("Lang", "en-US"),
    ]
    .iter()
    .map(|(n, v)| {
        format!("<Item><Source><LocURI>./DevInfo/{n}</LocURI></Source><Data>{v}</Data></Item>")
    })
    .collect();
    let pkg1 = msg(
        1,
        true,
        cred,
        &format!(
            "<Alert><CmdID>1</CmdID><Data>{alert}</Data></Alert><Replace><CmdID>2</CmdID>{devinfo}</Replace>"
        ),
    );
    let pkg2 = msg(
        1,
        false,
        "",
        &format!(
            "{}{}{}<Replace><CmdID>4</CmdID><Item><Target><LocURI>./DMAcc/dmct/Name</LocURI></Target>\
             <Data>lab</Data></Item></Replace>",
            status(1, 1, 0, "SyncHdr", 212),
            status(2, 1, 1, "Alert", 200),
            status(3, 1, 2, "Replace", 200)
        ),
    );
    let pkg3 = msg(
        2,
        true,
        "",
        &format!(
            "{}{}",
            status(1, 1, 0, "SyncHdr", 200),
            status(2, 1, 4, "Replace", 200)
        ),
    );
    let pkg4 = msg(2, false, "", &status(1, 2, 0, "SyncHdr", 200));
    Transcript {
        exchanges: vec![exchange(pkg1, pkg2), exchange(pkg3, pkg4)],
        closing: Closing::PeerDone,
        ..Transcript::default()
    }
}

fn run(scenario_id: &str, transcript: Transcript) -> CaseRun {
    CaseRun {
        scenario: scenario(scenario_id),
        role: Role::Client,
        peer: Peer {
            name: "hand-typed".into(),
            faults: Vec::new(),
            identity: Vec::new(),
        },
        transcript,
    }
}

fn detail(run: &CaseRun, rule: &str) -> (Verdict, String) {
    let result = judge(run);
    let f = result.findings.iter().find(|f| f.rule == rule).unwrap();
    (f.verdict, f.detail.clone())
}

#[test]
fn a_wbxml_case_spoken_in_xml_is_inconclusive_and_says_so() {
    let rule = "session/no-status-only-package";
    // The same session passes the rule where XML is what the case is for...
    let xml = run("session/get-replace", xml_session("1201"));
    assert_eq!(detail(&xml, rule).0, Verdict::Pass);
    // ...and says what was missing where WBXML is.
    let wbxml = run("session/get-replace-wbxml", xml_session("1201"));
    let (verdict, why) = detail(&wbxml, rule);
    assert_eq!(verdict, Verdict::Inconclusive, "{why}");
    assert!(
        why.contains("the device sent in XML (exchange 0); this case needs WBXML"),
        "{why}"
    );
    assert_eq!(judge(&wbxml).verdict, CaseVerdict::Inconclusive);
}

#[test]
fn a_package0_case_without_a_package0_is_inconclusive_and_says_so() {
    let rule = "pkg1/alert";
    let without = run("session/package0", xml_session("1200"));
    let (verdict, why) = detail(&without, rule);
    assert_eq!(verdict, Verdict::Inconclusive, "{why}");
    assert!(why.contains("no Package 0 was sent"), "{why}");
    assert_ne!(judge(&without).verdict, CaseVerdict::Pass);
    // With one, the precondition holds: the rule is judged on what it saw.
    let mut t = xml_session("1200");
    t.package0 = Some(Body::from(vec![0; 24]));
    let (_, why) = detail(&run("session/package0", t), rule);
    assert!(!why.contains("no Package 0"), "{why}");
}

#[test]
fn an_hmac_case_whose_device_never_used_hmac_is_inconclusive_and_says_so() {
    let rule = "auth/hmac-every-message";
    let (verdict, why) = detail(&run("auth/hmac", xml_session("1201")), rule);
    assert_eq!(verdict, Verdict::Inconclusive, "{why}");
    assert!(why.contains("the device never used HMAC"), "{why}");
    let mut t = xml_session("1201");
    for e in &mut t.exchanges {
        e.request
            .headers
            .push("x-syncml-hmac", "algorithm=MD5, username=\"dev\", mac=AAAA");
    }
    let (_, why) = detail(&run("auth/hmac", t), rule);
    assert!(!why.contains("never used HMAC"), "{why}");
}

#[test]
fn a_wbxml_server_case_answered_in_xml_is_inconclusive_and_says_so() {
    // dmct's client spoke WBXML (the hand-typed requests re-encoded); the server under
    // test answered in XML.
    let mut t = xml_session("1201");
    for e in &mut t.exchanges {
        let m = dmct_proto::decode(e.request.body.as_bytes())
            .unwrap()
            .message;
        e.request.body = Body::from(dmct_proto::encode(&m, dmct_proto::xml::Encoding::Wbxml));
    }
    let mut case = run("session/get-replace-wbxml", t);
    case.role = Role::Server;
    let result = judge(&case);
    let f = result
        .findings
        .iter()
        .find(|f| f.rule == "session/server-answers-every-package")
        .unwrap();
    assert_eq!(f.verdict, Verdict::Inconclusive, "{}", f.detail);
    assert!(
        f.detail
            .contains("the server answered in XML (exchange 0); this case needs WBXML"),
        "{}",
        f.detail
    );
    assert_eq!(result.verdict, CaseVerdict::Inconclusive);
}

#[test]
fn a_request_the_harness_refused_makes_the_case_inconclusive_never_a_failure() {
    // The device answers Package #2 no more: its silence fails it...
    let mut silent = xml_session("1201");
    silent.exchanges.truncate(1);
    silent.closing = Closing::IdleTimeout { after_ms: 10_000 };
    let base = judge(&run("session/get-replace", silent.clone()));
    assert_eq!(base.verdict, CaseVerdict::Fail, "{:#?}", base.findings);
    // ...but when dmct refused its Package #3 at its own limit (503, body not read),
    // what the device did was not seen: inconclusive, never a failure.
    let mut refused = silent;
    refused.exchanges.push(refused_exchange());
    let result = judge(&run("session/get-replace", refused));
    assert_eq!(result.verdict, CaseVerdict::Inconclusive);
    assert!(
        result.findings.iter().all(|f| f.verdict != Verdict::Fail),
        "{:#?}",
        result.findings
    );
    assert!(
        result.findings.iter().any(|f| f
            .detail
            .contains("refused by the harness: the listener's budget")),
        "{:#?}",
        result.findings
    );
    let ended = result.ended.unwrap();
    assert_eq!(ended.how, dmct_report::EndKind::HarnessLimit, "{ended:?}");

    // A failure seen after the refusal is not held against the device either: the
    // device's Package #3 comes again after the 503, and a later message breaks a rule.
    let mut after = run("session/get-replace", xml_session("1201")).transcript;
    let retried = after.exchanges.pop().unwrap();
    let mut late = retried.clone();
    late.request.body = Body::from(b"not a DM message".to_vec());
    late.request.headers = Headers::default();
    late.request
        .headers
        .push("Content-Type", "application/vnd.syncml.dm+xml");
    after.exchanges.push(refused_exchange());
    after.exchanges.push(late);
    let result = judge(&run("session/get-replace", after.clone()));
    assert_eq!(
        result.verdict,
        CaseVerdict::Inconclusive,
        "{:#?}",
        result.findings
    );
    let demoted: Vec<_> = result
        .findings
        .iter()
        .filter(|f| {
            f.detail
                .contains("dmct refused exchange 1 at a limit of its own")
        })
        .collect();
    assert!(!demoted.is_empty(), "{:#?}", result.findings);
    assert!(demoted.iter().all(|f| f.verdict == Verdict::Inconclusive));
    // Without the refusal the same late message fails the device.
    after.exchanges.remove(1);
    assert_eq!(
        judge(&run("session/get-replace", after)).verdict,
        CaseVerdict::Fail
    );
}

fn refused_exchange() -> Exchange {
    let mut headers = Headers::default();
    headers.push("Content-Type", "text/plain; charset=utf-8");
    headers.push("Retry-After", "5");
    Exchange {
        request: HttpRequest {
            method: "POST".into(),
            target: "/dm".into(),
            headers: Headers::default(),
            body: Body::from(Vec::new()),
        },
        response: Some(HttpResponse {
            status: 503,
            headers,
            body: Body::from(b"busy\n".to_vec()),
        }),
        failure: Some(dmct_proto::transcript::ExchangeFailure::HarnessRefused {
            detail: "the listener's budget of 1024 bytes for request bodies in flight was \
                     taken by other requests"
                .into(),
        }),
        time: None,
    }
}

/// A session seen through the proxy: no scenario, so no rule is named.
fn proxied(transcript: Transcript) -> CaseRun {
    let mut r = run("session/get-replace", transcript);
    r.scenario.id = "proxy/session-7".into();
    r.scenario.rules.clear();
    r
}

#[test]
fn a_session_the_server_side_cut_never_passes_the_client() {
    let whole = judge(&proxied(xml_session("1201")));
    assert_eq!(whole.verdict, CaseVerdict::Pass, "{:#?}", whole.findings);
    // Through the proxy: the upstream closes the connection on Package #3, or answers
    // it with a 500. The client did nothing wrong, but the session was not all seen.
    let closed = |t: &mut Transcript| {
        t.exchanges[1].response = None;
        t.exchanges[1].failure = Some(dmct_proto::transcript::ExchangeFailure::ConnectionClosed {
            detail: "upstream: connection closed before message completed".into(),
        });
    };
    let five_hundred = |t: &mut Transcript| {
        let r = t.exchanges[1].response.as_mut().unwrap();
        r.status = 500;
        r.body = Body::from(b"internal error".to_vec());
    };
    for (how, cut) in [
        ("closed", &closed as &dyn Fn(&mut Transcript)),
        ("500", &five_hundred),
    ] {
        let mut t = xml_session("1201");
        cut(&mut t);
        t.closing = Closing::Stopped;
        let result = judge(&proxied(t));
        assert_eq!(
            result.verdict,
            CaseVerdict::Inconclusive,
            "{how}: {:#?}",
            result.findings
        );
        assert!(
            result.findings.iter().all(|f| f.verdict != Verdict::Fail),
            "{how}: {:#?}",
            result.findings
        );
        // Where and how it broke off is the case's first line.
        let ended = result.ended.as_ref().unwrap();
        let said = match how {
            "closed" => "the server closed or reset the connection in the middle of exchange 1",
            _ => "the server answered exchange 1 with HTTP 500",
        };
        assert!(ended.detail.contains(said), "{how}: {}", ended.detail);
        // What the client did before the cut still passes as seen.
        assert!(
            result
                .findings
                .iter()
                .any(|f| f.verdict == Verdict::Pass && f.exchange == Some(0)),
            "{how}: {:#?}",
            result.findings
        );
    }
    // The client hanging up is the client's doing, never a cut by the server.
    let mut gone = xml_session("1201");
    gone.exchanges[1].response = None;
    gone.exchanges[1].failure = Some(dmct_proto::transcript::ExchangeFailure::ConnectionClosed {
        detail: "client gone: the device closed its connection".into(),
    });
    let result = judge(&proxied(gone));
    assert!(
        result
            .findings
            .iter()
            .all(|f| !f.detail.contains("the server's side broke")),
        "{:#?}",
        result.findings
    );
}

#[test]
fn dmct_out_of_its_own_resources_is_inconclusive_and_names_the_limit() {
    let fault = Closing::HarnessFault {
        detail: "dmct could not accept a connection: Too many open files (os error 24); \
                 raise the open-file limit (ulimit -n)"
            .into(),
    };
    // Nothing came: not "the client started no session".
    let nothing = Transcript {
        closing: fault.clone(),
        ..Transcript::default()
    };
    let result = judge(&run("session/get-replace", nothing));
    assert_eq!(result.verdict, CaseVerdict::Inconclusive);
    let ended = result.ended.unwrap();
    assert_eq!(ended.how, dmct_report::EndKind::HarnessLimit, "{ended:?}");
    assert!(ended.detail.contains("(ulimit -n)"), "{}", ended.detail);
    assert!(
        result
            .findings
            .iter()
            .all(|f| f.verdict == Verdict::Inconclusive && f.detail.contains("(ulimit -n)")),
        "{:#?}",
        result.findings
    );
    // The device's silence after Package #2 fails it when it stopped; when dmct could
    // not hear it, the silence is dmct's, never the device's failure.
    let mut silent = xml_session("1201");
    silent.exchanges.truncate(1);
    silent.closing = Closing::IdleTimeout { after_ms: 10_000 };
    assert_eq!(
        judge(&run("session/get-replace", silent.clone())).verdict,
        CaseVerdict::Fail
    );
    silent.closing = fault;
    let result = judge(&run("session/get-replace", silent));
    assert_eq!(result.verdict, CaseVerdict::Inconclusive);
    assert!(
        result.findings.iter().all(|f| f.verdict != Verdict::Fail),
        "{:#?}",
        result.findings
    );
}
