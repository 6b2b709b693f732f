//! `run --serve`: one device session per case. Scripted devices (messages typed by hand,
//! posted over raw sockets from chosen loopback addresses) share a SessionID, retry late
//! and overrun the exchange limit; each case's transcript holds its own session only.

use dmct_proto::transcript::{Closing, Transcript};
use dmct_suite::{ExternalServer, Options, Scenario};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
        idle: Duration::from_millis(600),
        // No challenge: every Package #1 is answered with the scenario's Package #2.
        client_auth: None,
        ..Options::default()
    }
}

/// A message of device `client` in session `sid`: Package #1 (Alert 1201 and DevInfo)
/// when `msg_id` is 1, else a bare client package.
fn message(url: &str, sid: &str, client: &str, msg_id: u32) -> String {
    let body = if msg_id == 1 {
        format!(
            "<Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Replace><CmdID>2</CmdID>\
             <Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>{client}</Data></Item>\
             <Item><Source><LocURI>./DevInfo/Man</LocURI></Source><Data>Acme</Data></Item>\
             <Item><Source><LocURI>./DevInfo/Mod</LocURI></Source><Data>A1</Data></Item>\
             <Item><Source><LocURI>./DevInfo/DmV</LocURI></Source><Data>1.2</Data></Item>\
             <Item><Source><LocURI>./DevInfo/Lang</LocURI></Source><Data>en-US</Data></Item>\
             </Replace>"
        )
    } else {
        String::new()
    };
    format!(
        "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
         <VerProto>DM/1.2</VerProto><SessionID>{sid}</SessionID><MsgID>{msg_id}</MsgID>\
         <Target><LocURI>{url}</LocURI></Target><Source><LocURI>{client}</LocURI></Source>\
         </SyncHdr><SyncBody>{body}<Final/></SyncBody></SyncML>"
    )
}

/// POST `body` from the loopback address `from` to `to`; the HTTP status and body.
async fn post_from(from: [u8; 4], to: SocketAddr, body: &str) -> (u16, String) {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::new(IpAddr::from(from), 0)).unwrap();
    let mut s = sock.connect(to).await.unwrap();
    let head = format!(
        "POST /dm HTTP/1.1\r\nHost: {to}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        dmct_proto::CONTENT_TYPE_XML,
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    (status, body)
}

/// (SessionID, Source LocURI) of every request the transcript holds.
fn sessions(t: &Transcript) -> Vec<(String, String)> {
    t.exchanges
        .iter()
        .map(|e| {
            let m = dmct_proto::decode(e.request.body.as_bytes())
                .unwrap()
                .message;
            (m.hdr.session_id, m.hdr.source.loc_uri.to_string())
        })
        .collect()
}

const ONE: [u8; 4] = [127, 0, 0, 1];
const TWO: [u8; 4] = [127, 0, 0, 2];

#[tokio::test]
async fn devices_sharing_a_session_id_never_merge_and_a_late_retry_stays_out() {
    let srv = ExternalServer::bind("127.0.0.1:0".parse().unwrap(), None, &opts())
        .await
        .unwrap();
    let (addr, url) = (srv.local_addr(), srv.url.clone());
    let first = scenario("session/every-command");

    // Case 1: device A opens session 7; device B uses SessionID 7 too, with its own
    // LocURI; a third request has A's SessionID and LocURI from another address.
    let case = async { srv.run_case(&first, &opts(), None).await };
    let devices = async {
        let a1 = post_from(ONE, addr, &message(&url, "7", "IMEI:A", 1)).await;
        let b1 = post_from(ONE, addr, &message(&url, "7", "IMEI:B", 1)).await;
        let twin = post_from(TWO, addr, &message(&url, "7", "IMEI:A", 1)).await;
        let a2 = post_from(ONE, addr, &message(&url, "7", "IMEI:A", 2)).await;
        [a1, b1, twin, a2]
    };
    let (run1, answers) = tokio::join!(case, devices);
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses, [200, 503, 503, 200], "{answers:?}");
    assert!(
        answers[1].1.contains("another DM session"),
        "the stray device is told why: {}",
        answers[1].1
    );
    assert_eq!(
        sessions(&run1.transcript),
        [("7".into(), "IMEI:A".into()), ("7".into(), "IMEI:A".into())]
    );
    assert!(matches!(
        run1.transcript.closing,
        Closing::IdleTimeout { .. }
    ));
    let apart = srv.take_apart();
    assert_eq!(apart.len(), 2, "{apart:?}");
    assert!(
        apart
            .iter()
            .all(|a| a.case.as_deref() == Some(first.id.as_str()))
    );
    assert!(apart[0].why.contains("IMEI:B"), "{}", apart[0].why);
    assert_eq!(apart[1].remote.map(|r| r.ip()), Some(IpAddr::from(TWO)));

    // Case 2: a late retry of A's finished session arrives first; it must not become
    // the case's session. Then device B opens session 8: the case's.
    let second = scenario("session/get-replace");
    let case = async { srv.run_case(&second, &opts(), None).await };
    let devices = async {
        let late = post_from(ONE, addr, &message(&url, "7", "IMEI:A", 3)).await;
        let b1 = post_from(ONE, addr, &message(&url, "8", "IMEI:B", 1)).await;
        [late, b1]
    };
    let (run2, answers) = tokio::join!(case, devices);
    assert_eq!(answers.map(|a| a.0), [503, 200]);
    assert_eq!(sessions(&run2.transcript), [("8".into(), "IMEI:B".into())]);
    let apart = srv.take_apart();
    assert_eq!(apart.len(), 1, "{apart:?}");
    assert!(
        apart[0].why.contains(&format!("case {}", first.id)),
        "the late retry is named as the earlier case's: {}",
        apart[0].why
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn past_the_exchange_limit_and_between_cases_nothing_reaches_a_case() {
    let o = Options {
        max_exchanges: 2,
        ..opts()
    };
    let srv = ExternalServer::bind("127.0.0.1:0".parse().unwrap(), None, &o)
        .await
        .unwrap();
    let (addr, url) = (srv.local_addr(), srv.url.clone());
    let s = scenario("session/every-command");
    let case = async { srv.run_case(&s, &o, None).await };
    let device = async {
        let mut statuses = Vec::new();
        for msg_id in 1..=3 {
            statuses.push(
                post_from(ONE, addr, &message(&url, "9", "IMEI:C", msg_id))
                    .await
                    .0,
            );
        }
        statuses
    };
    let (run, statuses) = tokio::join!(case, device);
    assert_eq!(statuses, [200, 200, 503]);
    assert_eq!(run.transcript.exchanges.len(), 2);
    assert!(matches!(
        run.transcript.closing,
        Closing::ExchangeLimit { limit: 2 }
    ));
    // Between cases: answered 503, kept apart, and not in the next case.
    let (status, _) = post_from(ONE, addr, &message(&url, "9", "IMEI:C", 4)).await;
    assert_eq!(status, 503);
    let apart = srv.take_apart();
    assert_eq!(apart.len(), 2, "{apart:?}");
    // The third message comes as the case reaches its limit or just after it ended.
    assert!(
        apart[0].why.contains("limit of 2") || apart[0].case.is_none(),
        "{}",
        apart[0].why
    );
    assert!(apart[1].case.is_none());
    assert!(
        apart
            .iter()
            .all(|a| a.exchange.response.as_ref().unwrap().status == 503)
    );
    let quick = Options {
        wait_first: Duration::from_millis(300),
        ..o
    };
    let next = srv.run_case(&s, &quick, None).await;
    assert!(next.transcript.exchanges.is_empty());
    srv.shutdown().await;
}

/// The listener's budget for bodies in flight taken by another connection: the case's
/// device is refused (503) mid-session. The refusal is the case's (recorded as the
/// harness's), and the case is inconclusive, never a failure of the device.
#[tokio::test]
async fn a_request_refused_at_the_in_flight_budget_leaves_the_case_inconclusive() {
    let mut o = opts();
    o.limits.max_body = 4096;
    o.limits.max_inflight = 4096;
    let srv = ExternalServer::bind("127.0.0.1:0".parse().unwrap(), None, &o)
        .await
        .unwrap();
    let (addr, url) = (srv.local_addr(), srv.url.clone());
    let s = scenario("session/every-command");
    let case = async { srv.run_case(&s, &o, None).await };
    let device = async {
        let first = post_from(ONE, addr, &message(&url, "5", "IMEI:D", 1)).await;
        // Another device's connection declares the whole budget and sends part of it.
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(SocketAddr::new(IpAddr::from(TWO), 0)).unwrap();
        let mut hog = sock.connect(addr).await.unwrap();
        hog.write_all(b"POST /dm HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\nxx")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let second = post_from(ONE, addr, &message(&url, "5", "IMEI:D", 2)).await;
        drop(hog);
        [first, second]
    };
    let (run, answers) = tokio::join!(case, device);
    assert_eq!(answers.clone().map(|a| a.0), [200, 503], "{answers:?}");
    assert!(answers[1].1.contains("try again later"), "{}", answers[1].1);
    let t = &run.transcript;
    assert_eq!(t.exchanges.len(), 2, "{:#?}", t.exchanges);
    assert!(matches!(
        t.exchanges[1].failure,
        Some(dmct_proto::transcript::ExchangeFailure::HarnessRefused { .. })
    ));
    let result = dmct_suite::judge(&run);
    assert_eq!(result.verdict, dmct_report::CaseVerdict::Inconclusive);
    assert!(
        result
            .findings
            .iter()
            .all(|f| f.verdict != dmct_rules::Verdict::Fail),
        "{:#?}",
        result.findings
    );
    // The other device's broken-off request is no case's.
    let apart = srv.take_apart();
    assert!(apart.len() <= 1, "{apart:?}");
    assert!(
        apart
            .iter()
            .all(|a| a.remote.map(|r| r.ip()) == Some(IpAddr::from(TWO)))
    );
    srv.shutdown().await;
}
