//! Quitting is an answer: a client that goes silent or ends where the text requires it
//! to go on fails; the harness's own limits stay inconclusive. Transcripts typed by hand
//! from [PRO] §8, §8.1 and §9, not produced by the reference peers.

// Not every helper of the shared module is used here.
#[allow(dead_code)]
use crate::common;

use common::{DEVICE, SERVER, exchange, finding};
use dmct_proto::transcript::{Closing, Exchange, Transcript};
use dmct_rules::{Role, Verdict};

/// A SyncHdr of session `sid`.
fn hdr(sid: &str, msg_id: u32, target: &str, source: &str, extra: &str) -> String {
    format!(
        "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>{sid}</SessionID>\
         <MsgID>{msg_id}</MsgID><Target><LocURI>{target}</LocURI></Target>\
         <Source><LocURI>{source}</LocURI>{extra}</Source></SyncHdr>"
    )
}

fn msg(hdr: String, body: &str) -> String {
    format!("<SyncML xmlns='SYNCML:SYNCML1.2'>{hdr}<SyncBody>{body}<Final/></SyncBody></SyncML>")
}

const MD5_CRED: &str = "<Cred><Meta><Type xmlns='syncml:metinf'>syncml:auth-md5</Type>\
     <Format xmlns='syncml:metinf'>b64</Format></Meta><Data>bWQ1ZGlnZXN0</Data></Cred>";

/// Package #1 (session 1, MsgID 1) with `cred` in its SyncHdr.
fn pkg1(cred: &str) -> String {
    let mut h = hdr("1", 1, SERVER, DEVICE, "<LocName>dev</LocName>");
    h = h.replace("</SyncHdr>", &format!("{cred}</SyncHdr>"));
    msg(
        h,
        "<Alert><CmdID>2</CmdID><Data>1201</Data></Alert>\
             <Replace><CmdID>3</CmdID>\
             <Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>IMEI:493005100592800</Data></Item>\
             <Item><Source><LocURI>./DevInfo/Man</LocURI></Source><Data>Acme</Data></Item>\
             <Item><Source><LocURI>./DevInfo/Mod</LocURI></Source><Data>A1</Data></Item>\
             <Item><Source><LocURI>./DevInfo/DmV</LocURI></Source><Data>1.2</Data></Item>\
             <Item><Source><LocURI>./DevInfo/Lang</LocURI></Source><Data>en-US</Data></Item>\
             </Replace>",
    )
}

/// Package #2: Status 401 for the SyncHdr with a Chal for MD5, and the statuses of the
/// Alert and the Replace.
fn md5_challenge() -> String {
    msg(
        hdr("1", 1, DEVICE, SERVER, ""),
        "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
             <TargetRef>http://www.syncml.org/mgmt-server</TargetRef><SourceRef>IMEI:493005100592800</SourceRef>\
             <Chal><Meta><Type xmlns='syncml:metinf'>syncml:auth-md5</Type>\
             <Format xmlns='syncml:metinf'>b64</Format>\
             <NextNonce xmlns='syncml:metinf'>ZG1jdG5vbmNl</NextNonce></Meta></Chal>\
             <Data>401</Data></Status>\
             <Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Cmd>Alert</Cmd><Data>401</Data></Status>\
             <Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd><Data>401</Data></Status>",
    )
}

fn transcript(exchanges: Vec<Exchange>, closing: Closing) -> Transcript {
    Transcript {
        exchanges,
        closing,
        ..Transcript::default()
    }
}

/// Package #1 without credentials, challenged for MD5, and nothing after it.
fn challenged_then(closing: Closing) -> Transcript {
    transcript(vec![exchange(pkg1(""), md5_challenge())], closing)
}

const REAUTH: &str = "session/reauth-continues";

#[test]
fn silence_past_idle_after_an_md5_challenge_fails_and_names_the_wait() {
    let f = finding(
        &challenged_then(Closing::IdleTimeout { after_ms: 10_000 }),
        REAUTH,
        Role::Client,
    );
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(
        f.detail.contains("quit where it had to answer"),
        "{}",
        f.detail
    );
    assert!(f.detail.contains("10 s of idle (--idle)"), "{}", f.detail);
    assert!(f.detail.contains("MUST revert to pkg 1"), "{}", f.detail);
}

#[test]
fn ending_the_session_after_an_md5_challenge_fails() {
    let f = finding(&challenged_then(Closing::PeerDone), REAUTH, Role::Client);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(f.detail.contains("opened no new one"), "{}", f.detail);
}

#[test]
fn the_harness_giving_up_first_is_inconclusive() {
    let f = finding(
        &challenged_then(Closing::SessionTimeout {
            after_ms: 300_000,
            awaiting: "the client's next package".into(),
        }),
        REAUTH,
        Role::Client,
    );
    assert_eq!(f.verdict, Verdict::Inconclusive, "{f:?}");
    assert!(f.detail.contains("we gave up waiting"), "{}", f.detail);
    assert!(f.detail.contains("300 s"), "{}", f.detail);
}

// ------------------------------------------------------------ a Package #2 with commands

const EVERY: &str = "status/every-command";

/// Package #1 with credentials, answered by a Package #2 that carries a Get and `more`.
fn get_then(more: &str, closing: Closing) -> Transcript {
    let pkg2 = msg(
        hdr("1", 1, DEVICE, SERVER, ""),
        &format!(
            "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
             <Data>212</Data></Status>\
             <Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status>\
             <Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd><Data>200</Data></Status>\
             <Get><CmdID>4</CmdID><Item><Target><LocURI>./DevInfo/Mod</LocURI></Target></Item></Get>{more}"
        ),
    );
    transcript(vec![exchange(pkg1(MD5_CRED), pkg2)], closing)
}

#[test]
fn silence_after_a_package_2_with_commands_fails() {
    let f = finding(
        &get_then("", Closing::IdleTimeout { after_ms: 10_000 }),
        EVERY,
        Role::Client,
    );
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(f.detail.contains("Get 4"), "{}", f.detail);
    assert!(f.detail.contains("10 s of idle (--idle)"), "{}", f.detail);
    let f = finding(&get_then("", Closing::PeerDone), EVERY, Role::Client);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
}

#[test]
fn a_harness_limit_after_a_package_2_with_commands_is_inconclusive() {
    let f = finding(
        &get_then("", Closing::ExchangeLimit { limit: 1 }),
        EVERY,
        Role::Client,
    );
    assert_eq!(f.verdict, Verdict::Inconclusive, "{f:?}");
    assert!(f.detail.contains("we gave up waiting"), "{}", f.detail);
}

#[test]
fn silence_after_commands_and_a_session_abort_is_not_a_failure() {
    let t = get_then(
        "<Alert><CmdID>5</CmdID><Data>1223</Data></Alert>",
        Closing::IdleTimeout { after_ms: 10_000 },
    );
    let f = finding(&t, EVERY, Role::Client);
    assert_eq!(f.verdict, Verdict::NotApplicable, "{f:?}");
}

/// [`get_then`], and the client's next request opens session `sid` with a new Package
/// #1 instead of answering the Get.
fn get_then_new_session(sid: &str) -> Transcript {
    let mut t = get_then("", Closing::PeerDone);
    let again = pkg1(MD5_CRED).replace(
        "<SessionID>1</SessionID>",
        &format!("<SessionID>{sid}</SessionID>"),
    );
    let answer = msg(
        hdr(sid, 1, DEVICE, SERVER, ""),
        "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
             <Data>212</Data></Status>\
             <Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Cmd>Alert</Cmd><Data>200</Data></Status>\
             <Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd><Data>200</Data></Status>",
    );
    t.exchanges.push(exchange(again, answer));
    t
}

#[test]
fn starting_over_in_a_new_session_after_a_package_2_with_commands_fails() {
    // Quitting is an answer: the Get of session 1 stays unanswered whatever session 2
    // does ([PRO] §8: the management phase continues with the client's responses).
    let f = finding(&get_then_new_session("2"), EVERY, Role::Client);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(f.detail.contains("opened a new session"), "{}", f.detail);
    assert!(f.detail.contains("Get 4"), "{}", f.detail);
    // A new Package #1 under the old SessionID leaves the Get unanswered too.
    let f = finding(&get_then_new_session("1"), EVERY, Role::Client);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
}

#[test]
fn silence_after_a_session_abort_is_judged_only_once_the_client_is_known_to_have_stopped() {
    // [PRO] §8.1.2: "A client receiving Alert 1223 SHOULD NOT respond": silence passes
    // once the client finished or idled past --idle; a harness limit leaves it unknown.
    let abort = "<Alert><CmdID>5</CmdID><Data>1223</Data></Alert>";
    let rule = "session/abort-no-response";
    let f = finding(&get_then(abort, Closing::PeerDone), rule, Role::Client);
    assert_eq!(f.verdict, Verdict::Pass, "{f:?}");
    let f = finding(
        &get_then(abort, Closing::ExchangeLimit { limit: 1 }),
        rule,
        Role::Client,
    );
    assert_eq!(f.verdict, Verdict::NotApplicable, "{f:?}");
}

// ------------------------------------------------------------ a request that broke off

/// The client's request whose connection closed in the middle of its body: half of
/// `body` arrived, the listener answered 400 to nobody and recorded the break.
fn broke_off(body: &str) -> Exchange {
    let mut e = exchange(body[..body.len() / 2].to_owned(), String::new());
    e.response = Some(dmct_proto::transcript::HttpResponse {
        status: 400,
        headers: Default::default(),
        body: dmct_proto::transcript::Body::from(b"request body broken off\n".to_vec()),
    });
    e.failure = Some(dmct_proto::transcript::ExchangeFailure::ConnectionClosed {
        detail: "error reading a body from connection".into(),
    });
    e
}

/// Package #3 answering [`get_then`]'s Get 4.
fn pkg3() -> String {
    msg(
        hdr("1", 2, SERVER, DEVICE, ""),
        "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
             <Data>200</Data></Status>\
             <Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>4</CmdRef><Cmd>Get</Cmd><Data>200</Data></Status>\
             <Results><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>4</CmdRef>\
             <Item><Source><LocURI>./DevInfo/Mod</LocURI></Source><Data>A1</Data></Item></Results>",
    )
}

#[test]
fn a_client_that_crashes_mid_answer_and_goes_silent_fails() {
    // Half of Package #3 arrived, then the connection closed, then nothing within
    // --idle: the Get was never answered ([PRO] §8), as for any other silence.
    let mut t = get_then("", Closing::IdleTimeout { after_ms: 400 });
    t.exchanges.push(broke_off(&pkg3()));
    let f = finding(&t, EVERY, Role::Client);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(f.detail.contains("Get 4"), "{}", f.detail);
    assert!(f.detail.contains("exchange 1 broke off"), "{}", f.detail);
    assert!(f.detail.contains("0.4 s of idle (--idle)"), "{}", f.detail);
    // The half body is not what the client labelled: no label finding (no cascade).
    let f = finding(&t, "http/content-type-matches-body", Role::Client);
    assert_eq!(f.verdict, Verdict::Pass, "{f:?}");
    let mut whole = t.clone();
    whole.exchanges[1].failure = None;
    let f = finding(&whole, "http/content-type-matches-body", Role::Client);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    // The harness giving up first leaves it open.
    t.closing = Closing::ExchangeLimit { limit: 2 };
    let f = finding(&t, EVERY, Role::Client);
    assert_eq!(f.verdict, Verdict::Inconclusive, "{f:?}");
}

#[test]
fn a_client_that_crashes_mid_answer_and_sends_it_again_passes() {
    // The Status in a later message of the same package is allowed: the whole Package
    // #3 again, after the broken request.
    let mut t = get_then("", Closing::PeerDone);
    t.exchanges.push(broke_off(&pkg3()));
    t.exchanges.push(exchange(
        pkg3(),
        msg(
            hdr("1", 2, DEVICE, SERVER, ""),
            "<Status><CmdID>1</CmdID><MsgRef>2</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
             <Data>200</Data></Status>",
        ),
    ));
    let f = finding(&t, EVERY, Role::Client);
    assert_eq!(f.verdict, Verdict::Pass, "{f:?}");
}

#[test]
fn a_client_that_crashes_re_sending_package_1_after_an_md5_challenge_fails() {
    let mut t = challenged_then(Closing::IdleTimeout { after_ms: 400 });
    t.exchanges.push(broke_off(&pkg1(MD5_CRED)));
    let f = finding(&t, REAUTH, Role::Client);
    assert_eq!(f.verdict, Verdict::Fail, "{f:?}");
    assert!(f.detail.contains("0.4 s of idle (--idle)"), "{}", f.detail);
    // A complete request that is no DM message still says nothing either way.
    let mut t = challenged_then(Closing::IdleTimeout { after_ms: 400 });
    t.exchanges
        .push(exchange("not a message".into(), String::new()));
    let f = finding(&t, REAUTH, Role::Client);
    assert_eq!(f.verdict, Verdict::Inconclusive, "{f:?}");
}
