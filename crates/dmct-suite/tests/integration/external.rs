//! `dmct run --serve`: dmct's listener with clients it does not control, over loopback.

use dmct_net::{Headers, post};
use dmct_proto::transcript::Closing;
use dmct_report::CaseVerdict;
use dmct_rules::Verdict;
use dmct_suite::{ExternalServer, Options, Scenario, judge, peers};
use std::collections::BTreeSet;
use std::time::Duration;

fn scenario(id: &str) -> Scenario {
    dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == id)
        .unwrap()
}

fn opts() -> Options {
    Options {
        wait_first: Duration::from_secs(10),
        idle: Duration::from_millis(400),
        ..Options::default()
    }
}

async fn server() -> ExternalServer {
    ExternalServer::bind("127.0.0.1:0".parse().unwrap(), None, &opts())
        .await
        .unwrap()
}

fn dm_headers(content_type: &str) -> Headers {
    let mut h = Headers::default();
    h.push("Content-Type", content_type);
    h
}

#[tokio::test]
async fn bad_bodies_get_a_400_and_are_recorded() {
    let srv = server().await;
    let s = scenario("auth/credless-pkg2");
    let case = async { srv.run_case(&s, &opts(), None).await };
    let client = async {
        let limits = opts().limits;
        let a = post(
            &srv.url,
            dm_headers(dmct_proto::CONTENT_TYPE_XML),
            b"not xml at all".to_vec(),
            &limits,
        )
        .await;
        let b = post(
            &srv.url,
            dm_headers("text/plain"),
            b"<SyncML/>".to_vec(),
            &limits,
        )
        .await;
        let c = post(
            &srv.url,
            dm_headers(dmct_proto::CONTENT_TYPE_XML),
            Vec::new(),
            &limits,
        )
        .await;
        [a, b, c].map(|e| e.response.map(|r| r.status))
    };
    let (run, statuses) = tokio::join!(case, client);
    // Only the bytes decide: `<SyncML/>` is no DM message whatever its label says.
    assert_eq!(statuses, [Some(400), Some(400), Some(400)]);
    assert_eq!(run.transcript.exchanges.len(), 3);
    assert_eq!(
        run.transcript.exchanges[0].request.body.as_bytes(),
        b"not xml at all"
    );
    assert!(matches!(
        run.transcript.closing,
        Closing::IdleTimeout { .. }
    ));
    // A body labelled as DM XML that is not SyncML fails the encoding rule, once, at
    // its exchange (the empty body and the text/plain one are no DM messages); the
    // scenario never got going, so every other rule cannot be settled.
    let result = judge(&run);
    assert_eq!(result.verdict, CaseVerdict::Fail);
    let (failed, rest): (Vec<_>, Vec<_>) = result
        .findings
        .iter()
        .partition(|f| f.verdict == Verdict::Fail);
    assert_eq!(
        failed
            .iter()
            .map(|f| (f.rule.as_str(), f.exchange))
            .collect::<Vec<_>>(),
        [("http/content-type-matches-body", Some(0))]
    );
    assert!(
        rest.iter().all(|f| f.verdict == Verdict::Inconclusive),
        "{rest:?}"
    );
    srv.shutdown().await;
}

/// A client that is not dmct's: Package #1 typed by hand, posted over a raw socket;
/// the HTTP status and the body of the answer.
async fn raw_package1(addr: std::net::SocketAddr, url: &str) -> (String, String) {
    raw_post(addr, &package1(url, 1), None).await
}

/// Package #1 typed by hand, as message `msg_id` of session 42.
fn package1(url: &str, msg_id: u32) -> String {
    format!(
        "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
         <VerProto>DM/1.2</VerProto><SessionID>42</SessionID><MsgID>{msg_id}</MsgID>\
         <Target><LocURI>{url}</LocURI></Target><Source><LocURI>IMEI:493005100592800</LocURI>\
         </Source></SyncHdr><SyncBody><Alert><CmdID>1</CmdID><Data>1201</Data></Alert>\
         <Replace><CmdID>2</CmdID>\
         <Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>IMEI:493005100592800</Data></Item>\
         <Item><Source><LocURI>./DevInfo/Man</LocURI></Source><Data>Acme</Data></Item>\
         <Item><Source><LocURI>./DevInfo/Mod</LocURI></Source><Data>A1</Data></Item>\
         <Item><Source><LocURI>./DevInfo/DmV</LocURI></Source><Data>1.2</Data></Item>\
         <Item><Source><LocURI>./DevInfo/Lang</LocURI></Source><Data>en-US</Data></Item>\
         </Replace><Final/></SyncBody></SyncML>"
    )
}

/// POST `body` over a raw socket, pausing `pause` in the middle of the body when given;
/// the HTTP status and the body of the answer.
async fn raw_post(
    addr: std::net::SocketAddr,
    body: &str,
    pause: Option<Duration>,
) -> (String, String) {
    let (status, _, body) = raw_post_typed(
        addr,
        Some(dmct_proto::CONTENT_TYPE_XML),
        body.as_bytes(),
        pause,
    )
    .await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// POST `body` over a raw socket labelled `content_type` (no Content-Type when `None`),
/// pausing `pause` in the middle of the body when given; the HTTP status, the answer's
/// Content-Type and its body.
async fn raw_post_typed(
    addr: std::net::SocketAddr,
    content_type: Option<&str>,
    body: &[u8],
    pause: Option<Duration>,
) -> (String, Option<String>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let label = content_type.map_or(String::new(), |t| format!("Content-Type: {t}\r\n"));
    // Headers a real device stack sends beside the DM ones (AOSP's, and a vendor's own):
    // HTTP allows them, so they are no finding and change nothing.
    let head = format!(
        "POST /dm HTTP/1.1\r\nHost: {addr}\r\n{label}Content-Length: {}\r\n\
         User-Agent: Acme-DM/1.0\r\nAccept-Language: en\r\nAccept-Charset: utf-8\r\n\
         Cache-Control: private\r\nX-Acme-Trace: 7f3a\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    let (a, b) = body.split_at(body.len() / 2);
    sock.write_all(a).await.unwrap();
    if let Some(p) = pause {
        tokio::time::sleep(p).await;
    }
    sock.write_all(b).await.unwrap();
    let mut answer = Vec::new();
    sock.read_to_end(&mut answer).await.unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP head");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap_or("").to_owned();
    let content_type = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-type")
            .then(|| v.trim().to_owned())
    });
    (status, content_type, answer[split + 4..].to_vec())
}

#[tokio::test]
async fn a_client_that_quits_after_the_challenge_fails_with_the_idle_wait() {
    let srv = server().await;
    let s = scenario("session/reauth-md5");
    let case = async { srv.run_case(&s, &opts(), None).await };
    // Package #1, the challenge, then nothing: the socket is closed.
    let (run, (status, body)) = tokio::join!(case, raw_package1(srv.local_addr(), &srv.url));
    assert_eq!(status, "200", "{body}");
    // Credentials missing: 407 with an MD5 Chal for the SyncHdr ([PRO] §9.1).
    assert!(
        body.contains("syncml:auth-md5") && body.contains("<Data>407</Data>"),
        "{body}"
    );
    assert_eq!(
        run.transcript.closing,
        Closing::IdleTimeout { after_ms: 400 }
    );
    let result = judge(&run);
    let reauth = result
        .findings
        .iter()
        .find(|f| f.rule == "session/reauth-continues")
        .unwrap();
    assert_eq!(reauth.verdict, Verdict::Fail, "{}", reauth.detail);
    assert!(
        reauth.detail.contains("0.4 s of idle (--idle)"),
        "{}",
        reauth.detail
    );
    assert_eq!(result.verdict, CaseVerdict::Fail);
    srv.shutdown().await;
}

#[tokio::test]
async fn a_client_still_sending_when_idle_runs_out_is_not_taken_for_silent() {
    let srv = server().await;
    let s = scenario("session/reauth-md5");
    let case = async { srv.run_case(&s, &opts(), None).await };
    let client = async {
        let first = raw_package1(srv.local_addr(), &srv.url).await;
        // The next package's body takes twice --idle to arrive.
        let slow = raw_post(
            srv.local_addr(),
            &package1(&srv.url, 2),
            Some(Duration::from_millis(800)),
        )
        .await;
        (first, slow)
    };
    let (run, (first, slow)) = tokio::join!(case, client);
    assert_eq!(first.0, "200");
    assert_eq!(slow.0, "200", "{}", slow.1);
    assert_eq!(
        run.transcript.exchanges.len(),
        2,
        "{:?}",
        run.transcript.closing
    );
    assert!(
        String::from_utf8_lossy(run.transcript.exchanges[1].request.body.as_bytes())
            .ends_with("</SyncML>")
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn the_session_limit_running_out_after_the_challenge_is_inconclusive() {
    let srv = server().await;
    let s = scenario("session/reauth-md5");
    // The session's time ends before --idle could: the harness gave up first.
    let short = Options {
        session_timeout: Duration::from_millis(300),
        ..opts()
    };
    let case = async { srv.run_case(&s, &short, None).await };
    let (run, (status, _)) = tokio::join!(case, raw_package1(srv.local_addr(), &srv.url));
    assert_eq!(status, "200");
    assert!(
        matches!(
            run.transcript.closing,
            Closing::SessionTimeout { after_ms: 300, .. }
        ),
        "{:?}",
        run.transcript.closing
    );
    let result = judge(&run);
    let reauth = result
        .findings
        .iter()
        .find(|f| f.rule == "session/reauth-continues")
        .unwrap();
    assert_eq!(reauth.verdict, Verdict::Inconclusive, "{}", reauth.detail);
    assert!(
        reauth.detail.contains("we gave up waiting"),
        "{}",
        reauth.detail
    );
    assert_eq!(result.verdict, CaseVerdict::Inconclusive);
    srv.shutdown().await;
}

#[tokio::test]
async fn an_external_conformant_client_passes_every_scenario_on_one_listener() {
    let srv = server().await;
    // Every case ends by waiting out --idle; the silence is not what this test is about.
    let quick = Options {
        idle: Duration::from_millis(200),
        ..opts()
    };
    // Where each case's trigger hands its Package 0 over; removed when the test ends.
    let scratch = tempfile::tempdir().unwrap();
    for s in dmct_suite::scenario::builtin().unwrap() {
        if !s.roles.contains(&dmct_rules::Role::Client) {
            continue;
        }
        // A server-initiated scenario is woken by its Package 0: a trigger that only
        // writes it (the "device" below reads the same bytes).
        let sid = dmct_suite::ExternalServer::session_ids(&s, &opts()).session_id;
        let served_by =
            peers::server_config(&srv.url, peers::default_client_creds(), &BTreeSet::new());
        let pkg0 = peers::package0_for(&s, &served_by, sid)
            .transpose()
            .unwrap();
        let trigger = dmct_suite::runner::Trigger {
            command: "true".into(),
            dir: scratch.path().to_path_buf(),
            package0: true,
        };
        let case = async {
            srv.run_case(&s, &quick, pkg0.as_ref().map(|_| &trigger))
                .await
        };
        let client = async {
            let mut config = peers::client_config(&s, &srv.url, &BTreeSet::new());
            if let Some(bytes) = &pkg0 {
                config = config.for_notification(bytes).unwrap();
            }
            let mut c = dmct_session::Client::new(config);
            let mut out = c.start();
            loop {
                let ex = dmct_net::request_with(
                    &out.method,
                    &out.url,
                    out.headers.clone(),
                    out.body.clone(),
                    &opts().limits,
                    None,
                )
                .await;
                match c.on_response(ex.response.as_ref()) {
                    dmct_session::ClientStep::Send(next) => out = next,
                    dmct_session::ClientStep::Done(_) => break,
                }
            }
        };
        let (run, ()) = tokio::join!(case, client);
        let result = judge(&run);
        assert_eq!(
            result.verdict,
            CaseVerdict::Pass,
            "{}: {:?}",
            s.id,
            result.findings
        );
        assert!(
            run.peer
                .identity
                .iter()
                .any(|(k, v)| k == "./DevInfo/DevId" && v.starts_with("IMEI:"))
        );
        // What dmct's listener sent (its Package 0 too) passes dmct's own catalog.
        let broken = dmct_suite::judge_harness(std::slice::from_ref(&run));
        assert!(broken.is_empty(), "{}: {broken:#?}", s.id);
    }
    srv.shutdown().await;
}

/// A server that accepts and then says nothing: the session's time limit ends the case,
/// which is inconclusive with what was awaited, never a hang and never a failure.
#[tokio::test]
async fn a_stalling_server_runs_into_the_session_limit_and_is_inconclusive() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/dm", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let opts = Options {
        session_timeout: Duration::from_millis(300),
        ..opts()
    };
    let target = dmct_suite::TargetServer::new(&url, peers::default_client_creds());
    let started = std::time::Instant::now();
    let run =
        dmct_suite::runner::run_external_server(&scenario("session/get-replace"), &target, &opts)
            .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&run.transcript.closing, Closing::SessionTimeout { awaiting, .. } if awaiting.contains("response")),
        "{:?}",
        run.transcript.closing
    );
    let result = judge(&run);
    assert_eq!(result.verdict, CaseVerdict::Inconclusive, "{result:#?}");
    assert!(result.findings.iter().all(|f| f.verdict != Verdict::Fail));
    assert!(
        result.findings.iter().any(|f| f.detail.contains("time")),
        "{result:#?}"
    );
    hold.abort();
}

/// One exchange running out of its own time (the session's limit far off) is recorded
/// as the harness giving up, never as the server having finished (issue 14 item 7).
#[tokio::test]
async fn one_exchange_timing_out_is_recorded_as_a_timeout_not_peer_done() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/dm", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let mut opts = Options {
        session_timeout: Duration::from_secs(60),
        ..opts()
    };
    opts.limits.exchange_timeout = Duration::from_millis(300);
    let target = dmct_suite::TargetServer::new(&url, peers::default_client_creds());
    let run =
        dmct_suite::runner::run_external_server(&scenario("session/get-replace"), &target, &opts)
            .await;
    match &run.transcript.closing {
        Closing::SessionTimeout { after_ms, awaiting } => {
            assert_eq!(*after_ms, 300);
            assert!(awaiting.contains("exchange 0"), "{awaiting}");
        }
        other => panic!("closing {other:?}"),
    }
    let result = judge(&run);
    assert_eq!(result.verdict, CaseVerdict::Inconclusive, "{result:#?}");
    hold.abort();
}

/// A device whose stack is not dmct's, typed by hand (issue 13 item 3): Package #1 with
/// Basic credentials for the account dmct expects, then Package #3 answering the Get
/// and the Replace of Package #2, every message labelled `content_type` (none when
/// `None`) and sent in `encoding`. The HTTP status, Content-Type and decoded body of
/// each answer.
async fn scripted_device(
    addr: std::net::SocketAddr,
    url: &str,
    content_type: Option<&str>,
    encoding: dmct_proto::xml::Encoding,
) -> Vec<(String, Option<String>, Option<dmct_proto::xml::Decoded>)> {
    use base64::Engine as _;
    let creds = peers::default_client_creds();
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", creds.user, creds.secret));
    let hdr = |msg_id: u32, cred: &str| {
        format!(
            "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>4D</SessionID>\
             <MsgID>{msg_id}</MsgID><Target><LocURI>{url}</LocURI></Target>\
             <Source><LocURI>IMEI:493005100592800</LocURI></Source>{cred}</SyncHdr>"
        )
    };
    let cred = format!(
        "<Cred><Meta><Format xmlns='syncml:metinf'>b64</Format>\
         <Type xmlns='syncml:metinf'>syncml:auth-basic</Type></Meta><Data>{basic}</Data></Cred>"
    );
    let dev_info: String = [
        ("DevId", "IMEI:493005100592800"),
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
    let pkg1 = format!(
        "<SyncML xmlns='SYNCML:SYNCML1.2'>{}<SyncBody><Alert><CmdID>1</CmdID><Data>1201</Data>\
         </Alert><Replace><CmdID>2</CmdID>{dev_info}</Replace><Final/></SyncBody></SyncML>",
        hdr(1, &cred)
    );
    let wire = |xml: &str| match encoding {
        dmct_proto::xml::Encoding::Xml => xml.as_bytes().to_vec(),
        // The codec only writes the hand-typed message in the other encoding.
        dmct_proto::xml::Encoding::Wbxml => {
            dmct_proto::wbxml::encode(&dmct_proto::decode(xml.as_bytes()).unwrap().message)
        }
    };
    let post = |body: Vec<u8>| async move {
        let (status, ct, body) = raw_post_typed(addr, content_type, &body, None).await;
        (status, ct, dmct_proto::decode(&body).ok())
    };
    let mut answers = vec![post(wire(&pkg1)).await];
    // Package #3 answers whatever Package #2 asked, by its CmdIDs.
    let Some(pkg2) = answers[0].2.as_ref().map(|d| d.message.clone()) else {
        return answers;
    };
    let mut body = format!(
        "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
         <TargetRef>IMEI:493005100592800</TargetRef><SourceRef>{url}</SourceRef>\
         <Data>212</Data></Status>"
    );
    let mut id = 1;
    for c in pkg2.operations() {
        let (name, cmd_id) = (c.name(), c.cmd_id().unwrap_or_default());
        id += 1;
        body += &format!(
            "<Status><CmdID>{id}</CmdID><MsgRef>1</MsgRef><CmdRef>{cmd_id}</CmdRef>\
             <Cmd>{name}</Cmd><Data>200</Data></Status>"
        );
        if name == "Get" {
            id += 1;
            body += &format!(
                "<Results><CmdID>{id}</CmdID><MsgRef>1</MsgRef><CmdRef>{cmd_id}</CmdRef>\
                 <Item><Source><LocURI>./DevInfo/Mod</LocURI></Source>\
                 <Meta><Format xmlns='syncml:metinf'>chr</Format></Meta><Data>A1</Data></Item>\
                 </Results>"
            );
        }
    }
    let pkg3 = format!(
        "<SyncML xmlns='SYNCML:SYNCML1.2'>{}<SyncBody>{body}<Final/></SyncBody></SyncML>",
        hdr(2, "")
    );
    answers.push(post(wire(&pkg3)).await);
    answers
}

/// Issue 13 item 3: a client labelling its messages with the SyncML DS type, or with
/// nothing, and sending headers of its own, is answered as a real lenient server would (by the bytes, in the client's
/// encoding, under the proper DM type) and the whole session runs; the label is
/// http/content-type's finding alone. A charset parameter is no finding at all.
#[tokio::test]
async fn a_client_with_a_wrong_or_missing_content_type_gets_its_whole_session() {
    use dmct_proto::xml::Encoding::{Wbxml, Xml};
    let srv = server().await;
    let s = scenario("session/get-replace");
    for (label, encoding, content_type_verdict) in [
        (Some("application/vnd.syncml+xml"), Xml, Verdict::Fail),
        (Some("application/vnd.syncml+wbxml"), Wbxml, Verdict::Fail),
        (None, Xml, Verdict::Fail),
        (None, Wbxml, Verdict::Fail),
        (
            Some("application/vnd.syncml.dm+xml; charset=utf-8"),
            Xml,
            Verdict::Pass,
        ),
    ] {
        let case = async { srv.run_case(&s, &opts(), None).await };
        let device = scripted_device(srv.local_addr(), &srv.url, label, encoding);
        let (run, answers) = tokio::join!(case, device);
        let what = format!("{label:?} {encoding:?}");
        // Package #2 came back with the Get and the Replace, and the session went on to
        // its end: the closing package without commands.
        assert_eq!(answers.len(), 2, "{what}");
        let want_type = match encoding {
            Xml => dmct_proto::CONTENT_TYPE_XML,
            Wbxml => dmct_proto::CONTENT_TYPE_WBXML,
        };
        for (i, (status, ct, decoded)) in answers.iter().enumerate() {
            assert_eq!(status, "200", "{what} answer {i}");
            assert!(
                ct.as_deref().is_some_and(|t| t.starts_with(want_type)),
                "{what} answer {i}: {ct:?}"
            );
            assert_eq!(decoded.as_ref().unwrap().encoding, encoding, "{what}");
        }
        let pkg2: Vec<_> = answers[0]
            .2
            .as_ref()
            .unwrap()
            .message
            .operations()
            .map(|c| c.name())
            .collect();
        assert_eq!(pkg2, ["Get", "Replace"], "{what}");
        assert_eq!(
            answers[1].2.as_ref().unwrap().message.operations().count(),
            0,
            "{what}"
        );

        let result = judge(&run);
        let of = |rule: &str| {
            result
                .findings
                .iter()
                .find(|f| f.rule == rule)
                .unwrap_or_else(|| panic!("{what}: no finding of {rule}"))
        };
        let ct = of("http/content-type");
        assert_eq!(ct.verdict, content_type_verdict, "{what}: {}", ct.detail);
        if content_type_verdict == Verdict::Fail {
            assert_eq!(ct.exchange, Some(0), "{what}");
            let named = label.map_or("no Content-Type".to_owned(), |l| {
                format!("Content-Type {l}")
            });
            assert!(ct.detail.starts_with(&named), "{what}: {}", ct.detail);
            assert!(ct.detail.contains(want_type), "{what}: {}", ct.detail);
        }
        let failed: Vec<_> = result
            .findings
            .iter()
            .filter(|f| f.verdict == Verdict::Fail && f.rule != "http/content-type")
            .map(|f| format!("{}: {}", f.rule, f.detail))
            .collect();
        assert!(failed.is_empty(), "{what}: {failed:#?}");
        assert_eq!(
            of("session/no-status-only-package").verdict,
            Verdict::Pass,
            "{what}"
        );
    }
    srv.shutdown().await;
}

/// A device whose Package #1 starts at MsgID 5 and carries an element and a command dmct
/// does not know: the codec keeps them, dmct's server answers with its Package #2, and
/// none of it is failed (the start of MsgIDs rests on SyncML RepPro, not readable here).
#[tokio::test]
async fn unknown_elements_and_an_odd_msgid_do_not_end_a_session() {
    use base64::Engine as _;
    let srv = server().await;
    let s = scenario("session/get-replace");
    let creds = peers::default_client_creds();
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", creds.user, creds.secret));
    let pkg1 = package1(&srv.url, 5)
        .replace(
            "</Source></SyncHdr>",
            &format!(
                "</Source><Cred><Meta><Type xmlns='syncml:metinf'>syncml:auth-basic</Type>\
                 </Meta><Data>{basic}</Data></Cred><VendorHint>fast-path</VendorHint></SyncHdr>"
            ),
        )
        .replace(
            "<Final/>",
            "<VendorPing><CmdID>3</CmdID></VendorPing><Final/>",
        );
    let case = async { srv.run_case(&s, &opts(), None).await };
    let device = raw_post(srv.local_addr(), &pkg1, None);
    let (run, (status, body)) = tokio::join!(case, device);
    assert_eq!(status, "200", "{body}");
    let pkg2 = dmct_proto::decode(body.as_bytes()).unwrap().message;
    assert_eq!(
        pkg2.operations().map(|c| c.name()).collect::<Vec<_>>(),
        ["Get", "Replace"],
        "{body}"
    );
    // Its Status answers the device's MsgID as sent.
    assert_eq!(pkg2.synchdr_status().unwrap().msg_ref, "5");
    let recorded = dmct_proto::decode(run.transcript.exchanges[0].request.body.as_bytes()).unwrap();
    assert!(
        recorded
            .message
            .hdr
            .extensions
            .iter()
            .any(|e| e.name == "VendorHint")
    );
    let result = judge(&run);
    for rule in ["msg/msgid-sequence", "http/content-type"] {
        let f = result.findings.iter().find(|f| f.rule == rule).unwrap();
        assert_ne!(f.verdict, Verdict::Fail, "{rule}: {}", f.detail);
    }
    srv.shutdown().await;
}
