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
async fn bad_bodies_and_content_types_get_a_4xx_and_are_recorded() {
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
    assert_eq!(statuses, [Some(400), Some(415), Some(400)]);
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "POST /dm HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/vnd.syncml.dm+xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    let (a, b) = body.split_at(body.len() / 2);
    sock.write_all(a.as_bytes()).await.unwrap();
    if let Some(p) = pause {
        tokio::time::sleep(p).await;
    }
    sock.write_all(b.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    sock.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).unwrap_or("").to_owned();
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
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
            dir: std::env::temp_dir().join(format!("dmct-external-{}", std::process::id())),
            package0: true,
        };
        let case = async {
            srv.run_case(&s, &opts(), pkg0.as_ref().map(|_| &trigger))
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
