//! Which codes may refuse a request without credentials, on transcripts typed by hand
//! after the [PRO] §9.4.1 example (Basic authentication with a challenge): Package #1
//! without Cred, the server's challenge, Package #1 again with Basic credentials, 212.
//! [PRO] §9.1 calls both 401 and 407 "the request requires authentication"; the example
//! uses 407. Accepting the request without credentials (200, 212) is refusing nothing.

use crate::common;

use common::{DEVICE, SERVER, exchange, finding, hdr};
use dmct_proto::transcript::{Closing, Transcript};
use dmct_rules::{Role, Verdict};

/// A Package #1 (Alert 1201, the DevInfo Replace), with `extra` before the Alert (the
/// Status for the server's SyncHdr when it is sent again).
fn pkg1(msg_id: u32, cred: &str, extra: &str) -> String {
    let devinfo: String = [
        ("DevId", DEVICE),
        ("Man", "Example"),
        ("Mod", "X1"),
        ("DmV", "1.2"),
        ("Lang", "en-US"),
    ]
    .iter()
    .map(|(n, v)| {
        format!("<Item><Source><LocURI>./DevInfo/{n}</LocURI></Source><Data>{v}</Data></Item>")
    })
    .collect();
    format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\">{}<SyncBody>{extra}\
         <Alert><CmdID>2</CmdID><Data>1201</Data></Alert>\
         <Replace><CmdID>3</CmdID>{devinfo}</Replace><Final/></SyncBody></SyncML>",
        hdr(msg_id, SERVER, DEVICE, cred)
    )
}

/// The server's answer to Package #1 number `msg_ref`: `code` for the SyncHdr (with a
/// Basic Chal when it refuses), the same code and Chal for the Alert and the Replace (a
/// 401/407 to a command needs its Chal too, [PRO] §9.1: "request (message or command)").
fn pkg2(msg_id: u32, msg_ref: u32, code: u16) -> String {
    let chal = if matches!(code, 401 | 407) {
        "<Chal><Meta><Type xmlns=\"syncml:metinf\">syncml:auth-basic</Type>\
         <Format xmlns=\"syncml:metinf\">b64</Format></Meta></Chal>"
    } else {
        ""
    };
    let cmd_code = if matches!(code, 401 | 407) { code } else { 200 };
    format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\">{}<SyncBody>\
         <Status><CmdID>1</CmdID><MsgRef>{msg_ref}</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
         <TargetRef>{SERVER}</TargetRef><SourceRef>{DEVICE}</SourceRef>{chal}<Data>{code}</Data></Status>\
         <Status><CmdID>2</CmdID><MsgRef>{msg_ref}</MsgRef><CmdRef>2</CmdRef><Cmd>Alert</Cmd>{chal}<Data>{cmd_code}</Data></Status>\
         <Status><CmdID>3</CmdID><MsgRef>{msg_ref}</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd>{chal}<Data>{cmd_code}</Data></Status>\
         <Final/></SyncBody></SyncML>",
        hdr(msg_id, DEVICE, SERVER, "")
    )
}

/// The §9.4.1 session with `code` as the server's answer to the Package #1 without
/// Cred; after a refusal, the client sends Package #1 again with Basic credentials and
/// the server accepts them with 212.
fn session(code: u16) -> Transcript {
    let mut exchanges = vec![exchange(pkg1(1, "", ""), pkg2(1, 1, code))];
    if matches!(code, 401 | 407) {
        // Basic: B64("Bruce1:OhBehave").
        let cred = "<Cred><Meta><Type xmlns=\"syncml:metinf\">syncml:auth-basic</Type>\
                    <Format xmlns=\"syncml:metinf\">b64</Format></Meta>\
                    <Data>QnJ1Y2UxOk9oQmVoYXZl</Data></Cred>";
        let status = format!(
            "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
             <TargetRef>{DEVICE}</TargetRef><SourceRef>{SERVER}</SourceRef><Data>200</Data></Status>"
        );
        exchanges.push(exchange(pkg1(2, cred, &status), pkg2(2, 2, 212)));
    }
    Transcript {
        exchanges,
        closing: Closing::PeerDone,
        ..Default::default()
    }
}

#[test]
fn a_request_without_cred_may_be_refused_with_407_or_401() {
    for code in [407, 401] {
        let t = session(code);
        for (rule, role) in [
            ("auth/server-refuses-missing-cred", Role::Server),
            ("auth/chal-with-401-407", Role::Server),
            ("auth/failure-status-only", Role::Server),
            ("status/every-command", Role::Server),
            ("session/reauth-continues", Role::Client),
            ("auth/client-answers-scheme", Role::Client),
        ] {
            let f = finding(&t, rule, role);
            assert_eq!(
                f.verdict,
                Verdict::Pass,
                "{rule} after {code}: {}",
                f.detail
            );
        }
    }
}

#[test]
fn a_request_without_cred_accepted_with_200_or_212_fails() {
    for code in [212, 200] {
        let t = session(code);
        let f = finding(&t, "auth/server-refuses-missing-cred", Role::Server);
        assert_eq!(f.verdict, Verdict::Fail, "{code}");
        assert!(
            f.detail.contains(&format!("accepted with {code}")),
            "{}",
            f.detail
        );
        assert!(
            f.excerpt
                .is_some_and(|e| e.contains(&format!("<Data>{code}</Data>")))
        );
    }
}

#[test]
fn after_212_a_request_without_cred_is_not_judged() {
    // The client authenticated in its repeated Package #1; a later message without
    // Cred is answered 200, which §9.1 allows after 212.
    let mut t = session(407);
    let status = format!(
        "<Status><CmdID>1</CmdID><MsgRef>2</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
         <TargetRef>{DEVICE}</TargetRef><SourceRef>{SERVER}</SourceRef><Data>200</Data></Status>"
    );
    let pkg3 = format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\">{}<SyncBody>{status}<Final/></SyncBody></SyncML>",
        hdr(3, SERVER, DEVICE, "")
    );
    let answer = format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\">{}<SyncBody>\
         <Status><CmdID>1</CmdID><MsgRef>3</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
         <TargetRef>{SERVER}</TargetRef><SourceRef>{DEVICE}</SourceRef><Data>200</Data></Status>\
         <Final/></SyncBody></SyncML>",
        hdr(3, DEVICE, SERVER, "")
    );
    t.exchanges.push(exchange(pkg3, answer));
    let f = finding(&t, "auth/server-refuses-missing-cred", Role::Server);
    // Only the first Package #1 is judged: one pass, nothing failed.
    assert_eq!(f.verdict, Verdict::Pass, "{}", f.detail);
}
