//! How a Get of several nodes may be answered, on transcripts typed by hand: one Status
//! for the whole Get, and Results only for a Get that succeeded ([PRO] §8.5 item 4:
//! "Results MUST be returned in the SyncBody for successful Get operations").

use crate::common;

use common::{DEVICE, SERVER, exchange, finding, hdr};
use dmct_proto::transcript::{Closing, Transcript};
use dmct_rules::{Role, Verdict};

const RULE: &str = "results/only-for-successful-get";

fn syncml(hdr: String, body: &str) -> String {
    format!("<SyncML xmlns=\"SYNCML:SYNCML1.2\">{hdr}<SyncBody>{body}<Final/></SyncBody></SyncML>")
}

fn status(msg_ref: u32, cmd_ref: u32, cmd: &str, code: u16) -> String {
    format!(
        "<Status><CmdID>{}</CmdID><MsgRef>{msg_ref}</MsgRef><CmdRef>{cmd_ref}</CmdRef>\
         <Cmd>{cmd}</Cmd><Data>{code}</Data></Status>",
        cmd_ref + 10
    )
}

fn get(cmd_id: u32, nodes: &[&str]) -> String {
    let items: String = nodes
        .iter()
        .map(|n| format!("<Item><Target><LocURI>{n}</LocURI></Target></Item>"))
        .collect();
    format!("<Get><CmdID>{cmd_id}</CmdID>{items}</Get>")
}

/// Results for CmdRef `cmd_ref`, with `MsgRef` when given.
fn results(cmd_id: u32, msg_ref: Option<u32>, cmd_ref: u32, node: &str) -> String {
    let msg_ref = msg_ref.map_or(String::new(), |m| format!("<MsgRef>{m}</MsgRef>"));
    format!(
        "<Results><CmdID>{cmd_id}</CmdID>{msg_ref}<CmdRef>{cmd_ref}</CmdRef>\
         <Item><Source><LocURI>{node}</LocURI></Source><Data>X1</Data></Item></Results>"
    )
}

/// Package #1 answered 212 with a Get of ./DevInfo/Mod and a missing node (CmdID 2);
/// the client's answer `pkg3`; then `more`: further (client, server) messages, the
/// server's last one without commands.
fn session(pkg3: &str, pkg4: &str, more: &[(String, String)]) -> Transcript {
    let pkg1 = syncml(
        hdr(1, SERVER, DEVICE, ""),
        "<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>",
    );
    let pkg2 = syncml(
        hdr(1, DEVICE, SERVER, ""),
        &format!(
            "{}{}{}",
            status(1, 0, "SyncHdr", 212),
            status(1, 1, "Alert", 200),
            get(2, &["./DevInfo/Mod", "./DevInfo/Nope"])
        ),
    );
    let mut exchanges = vec![
        exchange(pkg1, pkg2),
        exchange(
            syncml(hdr(2, SERVER, DEVICE, ""), pkg3),
            syncml(hdr(2, DEVICE, SERVER, ""), pkg4),
        ),
    ];
    for (c, s) in more {
        exchanges.push(exchange(c.clone(), s.clone()));
    }
    Transcript {
        exchanges,
        closing: Closing::PeerDone,
        ..Default::default()
    }
}

fn pkg3(tail: &str) -> String {
    format!(
        "{}{}{tail}",
        status(1, 0, "SyncHdr", 200),
        status(1, 2, "Get", 404)
    )
}

#[test]
fn a_failed_get_without_results_passes() {
    let t = session(&pkg3(""), &status(2, 0, "SyncHdr", 200), &[]);
    assert_eq!(finding(&t, RULE, Role::Client).verdict, Verdict::Pass);
    // A Get that failed owes no Results.
    assert_eq!(
        finding(&t, "results/for-every-get", Role::Client).verdict,
        Verdict::NotApplicable
    );
}

#[test]
fn a_404_with_results_for_the_same_get_fails() {
    for msg_ref in [Some(1), None] {
        let t = session(
            &pkg3(&results(3, msg_ref, 2, "./DevInfo/Mod")),
            &status(2, 0, "SyncHdr", 200),
            &[],
        );
        let f = finding(&t, RULE, Role::Client);
        assert_eq!(f.verdict, Verdict::Fail, "MsgRef {msg_ref:?}");
        assert!(f.detail.contains("answered 404"), "{}", f.detail);
        assert!(f.excerpt.is_some_and(|e| e.contains("<Results>")));
    }
}

#[test]
fn results_for_a_later_get_with_the_same_cmdid_are_not_blamed_on_the_failed_one() {
    // The server's next package reuses CmdID 2 (CmdIDs are unique per message) for a Get
    // that succeeds; its Results carry no MsgRef.
    let pkg4 = format!(
        "{}{}",
        status(2, 0, "SyncHdr", 200),
        get(2, &["./DevInfo/Mod"])
    );
    let pkg5 = syncml(
        hdr(3, SERVER, DEVICE, ""),
        &format!(
            "{}{}{}",
            status(2, 0, "SyncHdr", 200),
            status(2, 2, "Get", 200),
            results(3, None, 2, "./DevInfo/Mod")
        ),
    );
    let pkg6 = syncml(hdr(3, DEVICE, SERVER, ""), &status(3, 0, "SyncHdr", 200));
    let t = session(&pkg3(""), &pkg4, &[(pkg5, pkg6)]);
    assert_eq!(finding(&t, RULE, Role::Client).verdict, Verdict::Pass);
    assert_eq!(
        finding(&t, "results/for-every-get", Role::Client).verdict,
        Verdict::Pass
    );
}
