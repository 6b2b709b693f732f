//! No cascades (issue 12 item 6): one peer fault is reported once, by its own rule.

use crate::support;

use dmct_proto::transcript::Transcript;
use dmct_rules::{Role, Verdict, check};
use dmct_session::fault::{ClientFault, ServerFault};
use std::collections::{BTreeMap, BTreeSet};
use support::{Msg, Session, finding};

/// Every built-in fault's violating vector fails only the rules the fault declares it
/// breaks: a behaviour that breaks a second requirement declares both, and a rule that
/// fails only because another rule's fault broke its correlation is a cascade to fix.
#[test]
fn violating_vectors_fail_only_what_their_faults_break() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testcases/vectors/rules");
    // One transcript per (role, faults): a fault's vector sits under every rule it breaks.
    let mut seen: BTreeMap<(String, Vec<String>), Transcript> = BTreeMap::new();
    for rule_dir in std::fs::read_dir(dir).unwrap() {
        for f in std::fs::read_dir(rule_dir.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            if !path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("violating--")
            {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let role = v["role"].as_str().unwrap().to_owned();
            let faults: Vec<String> = v["faults"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_owned())
                .collect();
            let t: Transcript = serde_json::from_value(v["transcript"].clone()).unwrap();
            seen.entry((role, faults)).or_insert(t);
        }
    }
    assert!(
        seen.len() > 40,
        "only {} violating vectors found",
        seen.len()
    );
    let mut wrong = Vec::new();
    for ((role, faults), t) in &seen {
        let role = if role == "client" {
            Role::Client
        } else {
            Role::Server
        };
        let mut allowed: BTreeSet<&str> = BTreeSet::new();
        for name in faults {
            let breaks = match role {
                Role::Client => ClientFault::from_name(name).map(ClientFault::breaks),
                Role::Server => ServerFault::from_name(name).map(ServerFault::breaks),
            };
            allowed.extend(breaks.unwrap_or_else(|| panic!("unknown fault {name}")));
        }
        for f in check(t) {
            if f.role == role && f.verdict == Verdict::Fail && !allowed.contains(f.rule.as_str()) {
                wrong.push(format!("{role} {faults:?}: {} ({})", f.rule, f.detail));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "failures no fault declares:\n{}",
        wrong.join("\n")
    );
}

/// The (role, rule) pairs that fail.
fn failures(t: &Transcript) -> Vec<(Role, String)> {
    check(t)
        .into_iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .map(|f| (f.role, f.rule))
        .collect()
}

/// The rules that follow a Status's or Results' CmdRef back to the command it answers.
const CORRELATING: &[&str] = &[
    "status/cmdref-valid",
    "status/cmd-name",
    "status/every-command",
    "results/for-get-only",
    "results/for-every-get",
];

/// Package #1 with Basic credentials ("Bruce1:OhBehave"), so accepting it is right.
fn pkg1() -> Msg {
    Msg::client(1)
        .cred("syncml:auth-basic", "QnJ1Y2UxOk9oQmVoYXZl")
        .setup("1201")
}

/// Package #1 answered by `pkg2`, then the client's answer `pkg3` and the server's
/// closing message.
fn session(pkg2: Msg, pkg3: Msg) -> Transcript {
    Session::new()
        .exchange(pkg1(), pkg2)
        .exchange(pkg3, Msg::server(2).hdr_status(2, 200))
        .done()
}

/// The Statuses for Package #1's SyncHdr, Alert and Replace (CmdIDs 1-3).
fn pkg2() -> Msg {
    Msg::server(1)
        .hdr_status(1, 212)
        .status(1, 1, "Alert", 200)
        .status(1, 2, "Replace", 200)
}

#[test]
fn a_repeated_cmdid_fails_only_the_cmdid_rule() {
    // The server's Get and Replace both carry CmdID 4; the client answers each.
    let uri = "./DevInfo/Mod";
    let target = format!("<Item><Target><LocURI>{uri}</LocURI></Target></Item>");
    let t = session(
        pkg2()
            .raw(&format!("<Get><CmdID>4</CmdID>{target}</Get>"))
            .raw(
                "<Replace><CmdID>4</CmdID><Item><Target><LocURI>./Ext/A</LocURI></Target><Data>1</Data></Item></Replace>",
            ),
        Msg::client(2)
            .hdr_status(1, 200)
            .status(1, 4, "Get", 200)
            .results(1, 4, uri, "X1")
            .status(1, 4, "Replace", 200),
    );
    assert_eq!(
        failures(&t),
        [(Role::Server, "msg/cmdid-unique".to_owned())]
    );
    for rule in CORRELATING {
        let f = finding(&t, rule, Role::Client);
        assert_eq!(f.verdict, Verdict::Inconclusive, "{rule}: {}", f.detail);
        assert_eq!(
            f.detail, "CmdRef 4 names two commands of message 1 (msg/cmdid-unique)",
            "{rule}"
        );
    }
}

#[test]
fn a_cmdid_reused_in_another_message_is_no_ambiguity() {
    // [REP] §6.1.4: CmdID is unique within one message. The server's second message
    // uses CmdID 2 again, for a Replace; the client's Status names it by MsgRef 2.
    let t = Session::new()
        .exchange(pkg1(), pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 4, "Get", 200)
                .results(1, 4, "./DevInfo/Mod", "X1"),
            Msg::server(2).hdr_status(2, 200).cmd(
                "Replace",
                "<Item><Target><LocURI>./Ext/A</LocURI></Target><Data>1</Data></Item>",
            ),
        )
        .exchange(
            Msg::client(3)
                .hdr_status(2, 200)
                .status(2, 2, "Replace", 200),
            Msg::server(3).hdr_status(3, 200),
        )
        .done();
    assert_eq!(failures(&t), []);
    for rule in CORRELATING {
        let f = finding(&t, rule, Role::Client);
        assert_eq!(f.verdict, Verdict::Pass, "{rule}: {}", f.detail);
    }
}

#[test]
fn an_undecodable_client_body_fails_only_its_own_rule() {
    // The client's second message is cut short; the server refuses it with HTTP 400 and
    // the client sends its answer again, whole, as MsgID 3.
    let t = Session::new()
        .exchange(pkg1(), pkg2().get("./DevInfo/Mod"))
        .undecodable("<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2")
        .exchange(
            Msg::client(3)
                .hdr_status(1, 200)
                .status(1, 4, "Get", 200)
                .results(1, 4, "./DevInfo/Mod", "X1"),
            Msg::server(2).hdr_status(3, 200),
        )
        .done();
    assert_eq!(
        failures(&t),
        [(Role::Client, "http/content-type-matches-body".to_owned())]
    );
    let f = finding(&t, "http/content-type-matches-body", Role::Client);
    assert_eq!(f.exchange, Some(1));
    assert!(f.detail.contains("does not decode"), "{}", f.detail);
}

#[test]
fn an_undecodable_server_answer_fails_only_its_own_rule() {
    let t = Session::new()
        .answered_with(pkg1(), "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr>")
        .done();
    assert_eq!(
        failures(&t),
        [(Role::Server, "http/content-type-matches-body".to_owned())]
    );
    // Whether the server answered Package #1 cannot be read from that body.
    let f = finding(&t, "session/server-answers-every-package", Role::Server);
    assert_eq!(f.verdict, Verdict::Inconclusive, "{}", f.detail);
    assert!(
        f.detail.contains("http/content-type-matches-body"),
        "{}",
        f.detail
    );
}

#[test]
fn a_client_answering_an_undecodable_server_message_is_not_judged_against_an_older_one() {
    // The server's second message is garbled; the client's next message answers it
    // (MsgRef 2), which must not be read as a wrong answer to the server's MsgID 1.
    let t = Session::new()
        .exchange(pkg1(), pkg2().get("./DevInfo/Mod"))
        .answered_with(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 4, "Get", 200)
                .results(1, 4, "./DevInfo/Mod", "X1"),
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr>",
        )
        .exchange(
            Msg::client(3).hdr_status(2, 400),
            Msg::server(3).hdr_status(3, 200),
        )
        .done();
    assert_eq!(
        failures(&t),
        [(Role::Server, "http/content-type-matches-body".to_owned())]
    );
}

/// A client whose stack labels every message with the SyncML DS type, or none at all
/// (issue 13 item 3): the label is http/content-type's finding, with the type named, and
/// nothing else fails, as dmct's server read every body by its bytes and went on.
#[test]
fn a_wrong_or_missing_label_fails_only_the_media_type_rule() {
    let relabel = |label: Option<&str>| {
        let mut t = session(
            pkg2().get("./DevInfo/Mod"),
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 4, "Get", 200)
                .results(1, 4, "./DevInfo/Mod", "X1"),
        );
        for e in &mut t.exchanges {
            let h = &mut e.request.headers.0;
            h.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            if let Some(l) = label {
                h.push(("Content-Type".into(), l.into()));
            }
        }
        t
    };
    for (label, says) in [
        (
            Some("application/vnd.syncml+xml"),
            "Content-Type application/vnd.syncml+xml is the SyncML Data Synchronization type, \
             not a DM one; a DM message in XML is labelled application/vnd.syncml.dm+xml",
        ),
        (
            None,
            "no Content-Type: a DM message in XML is labelled application/vnd.syncml.dm+xml",
        ),
    ] {
        let t = relabel(label);
        assert_eq!(
            failures(&t),
            [(Role::Client, "http/content-type".to_owned())],
            "{label:?}"
        );
        let f = finding(&t, "http/content-type", Role::Client);
        assert_eq!(f.detail, says);
        // The first message is the one quoted; each message was judged.
        assert_eq!(f.exchange, Some(0));
    }
    // A charset parameter is no finding at all.
    let t = relabel(Some("application/vnd.syncml.dm+xml; charset=utf-8"));
    assert_eq!(failures(&t), []);
}
