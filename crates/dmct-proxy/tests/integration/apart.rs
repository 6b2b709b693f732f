//! One record per DM session through the proxy: two devices with the same SessionID and
//! LocURI at once stay apart, a reused SessionID opens a new record, and a session whose
//! device goes quiet ends in silence and counts. The devices are scripted (messages
//! typed by hand, posted from chosen loopback addresses); the upstream is a stub.

use crate::common;

use common::{limits, loopback, proxy};
use dmct_net::{Headers, HttpRequest, HttpResponse, Responder};
use dmct_proto::transcript::Closing;
use dmct_proxy::{Event, SessionKey};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A DM server stub: Package #1 gets a Package #2 with a Get (the session goes on),
/// anything later a final package without operations (the session ends).
struct Stub;

impl Responder for Stub {
    fn respond(&self, request: &HttpRequest) -> HttpResponse {
        let Ok(d) = dmct_proto::decode(request.body.as_bytes()) else {
            // A message the decoder refuses: refused, as a strict server would.
            return HttpResponse {
                status: 400,
                headers: Headers::default(),
                body: Vec::new().into(),
            };
        };
        let m = d.message;
        let go_on = m.is_session_setup();
        let body = format!(
            "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
             <VerProto>DM/1.2</VerProto><SessionID>{}</SessionID><MsgID>{}</MsgID>\
             <Target><LocURI>{}</LocURI></Target><Source><LocURI>http://stub/dm</LocURI>\
             </Source></SyncHdr><SyncBody><Status><CmdID>1</CmdID><MsgRef>{}</MsgRef>\
             <CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>{}<Final/>\
             </SyncBody></SyncML>",
            m.hdr.session_id,
            m.hdr.msg_id,
            m.hdr.source.loc_uri,
            m.hdr.msg_id,
            if go_on {
                "<Get><CmdID>2</CmdID><Item><Target><LocURI>./DevInfo/Mod</LocURI></Target>\
                 </Item></Get>"
            } else {
                ""
            }
        );
        let mut headers = Headers::default();
        headers.push("Content-Type", dmct_proto::CONTENT_TYPE_XML);
        HttpResponse {
            status: 200,
            headers,
            body: body.into_bytes().into(),
        }
    }
}

/// Message `msg_id` of session `sid` from a device whose LocURI is the placeholder
/// `IMEI:000000000000000`; `mark` (its DevId) tells the devices apart in the records.
fn message(sid: &str, msg_id: u32, mark: &str) -> String {
    let body = if msg_id == 1 {
        format!(
            "<Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Replace><CmdID>2</CmdID>\
             <Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>{mark}</Data></Item>\
             </Replace>"
        )
    } else {
        format!(
            "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
             <Data>200</Data></Status><Results><CmdID>2</CmdID><MsgRef>1</MsgRef>\
             <CmdRef>2</CmdRef><Item><Source><LocURI>./DevInfo/Mod</LocURI></Source>\
             <Data>{mark}</Data></Item></Results>"
        )
    };
    format!(
        "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
         <VerProto>DM/1.2</VerProto><SessionID>{sid}</SessionID><MsgID>{msg_id}</MsgID>\
         <Target><LocURI>http://stub/dm</LocURI></Target>\
         <Source><LocURI>IMEI:000000000000000</LocURI></Source></SyncHdr>\
         <SyncBody>{body}<Final/></SyncBody></SyncML>"
    )
}

/// POST `body` from loopback address `from` to `to`; the HTTP status.
async fn post_from(from: [u8; 4], to: SocketAddr, body: &str) -> u16 {
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
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

async fn stub() -> dmct_net::ServeHandle {
    dmct_net::serve(loopback(), Arc::new(Stub), limits())
        .await
        .unwrap()
}

const A: [u8; 4] = [127, 0, 0, 1];
const B: [u8; 4] = [127, 0, 0, 2];

/// The DevId or Results marks of a record's requests, in order.
fn marks(r: &dmct_proxy::SessionRecord) -> Vec<String> {
    r.transcript
        .exchanges
        .iter()
        .map(|e| {
            let text = String::from_utf8_lossy(e.request.body.as_bytes()).into_owned();
            let at = text.find("<Data>dev-").unwrap() + "<Data>".len();
            text[at..at + 5].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn two_devices_with_one_session_id_and_locuri_at_once_stay_apart() {
    let up = stub().await;
    let (p, _) = proxy(&format!("{}/dm", up.url()), |_| {}).await;
    let to = p.local_addr();
    // Interleaved: A and B open session 5 with the same placeholder LocURI, then each
    // answers its Package #2.
    assert_eq!(post_from(A, to, &message("5", 1, "dev-A")).await, 200);
    assert_eq!(post_from(B, to, &message("5", 1, "dev-B")).await, 200);
    assert_eq!(post_from(A, to, &message("5", 2, "dev-A")).await, 200);
    assert_eq!(post_from(B, to, &message("5", 2, "dev-B")).await, 200);
    p.wait_completed(2).await;
    // A reuses SessionID 5 for its next session: a new record, not the old one.
    assert_eq!(post_from(A, to, &message("5", 1, "dev-a")).await, 200);
    let records = p.stop().await;
    let key = SessionKey::Dm {
        session_id: "5".into(),
        client: "IMEI:000000000000000".into(),
    };
    assert!(records.iter().all(|r| r.key == key));
    let seen: Vec<(Option<IpAddr>, Vec<String>)> =
        records.iter().map(|r| (r.peer, marks(r))).collect();
    assert_eq!(
        seen,
        [
            (Some(IpAddr::from(A)), vec!["dev-A".into(), "dev-A".into()]),
            (Some(IpAddr::from(B)), vec!["dev-B".into(), "dev-B".into()]),
            (Some(IpAddr::from(A)), vec!["dev-a".into()]),
        ]
    );
    assert!(records[0].completed && records[1].completed && !records[2].completed);
    up.shutdown().await;
}

/// A message whose header the decoder refuses (no VerDTD) still joins its device's
/// session: the proxy keys as far as the header can be read.
#[tokio::test]
async fn a_header_the_decoder_refuses_stays_in_its_devices_session() {
    let up = stub().await;
    let (p, _) = proxy(&format!("{}/dm", up.url()), |_| {}).await;
    let to = p.local_addr();
    assert_eq!(post_from(A, to, &message("9", 1, "dev-A")).await, 200);
    let sloppy = message("9", 2, "dev-A").replace("<VerDTD>1.2</VerDTD>", "");
    assert!(dmct_proto::decode(sloppy.as_bytes()).is_err());
    assert_eq!(post_from(A, to, &sloppy).await, 400);
    let records = p.stop().await;
    assert_eq!(records.len(), 1, "{records:#?}");
    let key = SessionKey::Dm {
        session_id: "9".into(),
        client: "IMEI:000000000000000".into(),
    };
    assert_eq!(records[0].key, key);
    assert_eq!(marks(&records[0]), ["dev-A", "dev-A"]);
}

#[tokio::test]
async fn a_session_that_goes_quiet_ends_in_silence_and_counts() {
    let up = stub().await;
    let (p, events) = proxy(&format!("{}/dm", up.url()), |c| {
        c.idle = Duration::from_millis(300);
    })
    .await;
    // Package #1, the server's Package #2 with a Get, then nothing.
    assert_eq!(
        post_from(A, p.local_addr(), &message("6", 1, "dev-A")).await,
        200
    );
    tokio::time::timeout(Duration::from_secs(10), p.wait_ended(1))
        .await
        .expect("the silent session counts as ended");
    assert_eq!((p.ended(), p.completed()), (1, 0));
    assert!(events.0.lock().unwrap().iter().any(|e| matches!(
        e,
        Event::SessionSilent {
            exchanges: 1,
            after_ms: 300,
            ..
        }
    )));
    let records = p.stop().await;
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].transcript.closing,
        Closing::IdleTimeout { after_ms: 300 }
    );
    up.shutdown().await;
}
