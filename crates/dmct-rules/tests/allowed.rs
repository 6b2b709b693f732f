//! Every allowed behaviour of the catalog as a hand-written conforming transcript, and
//! a violating one beside it, each judged as labelled. The catalog test fails when an
//! `allowed` entry has no fixture and is not listed in `KNOWN_MISSING`, so the gap
//! stays visible.

mod support;

use dmct_proto::package0::{Notification, encode};
use dmct_proto::transcript::{Closing, ExchangeFailure, Probe, ProbeKind, Transcript};
use dmct_rules::{Role, RuleStatus, Verdict, statements};
use support::{Msg, Session, finding, item, meta};

/// A hand-written transcript and the verdict it must get.
struct Fixture {
    name: &'static str,
    rule: &'static str,
    role: Role,
    /// The catalog's `allowed` entry the fixture shows; `None` for a baseline or a
    /// violation.
    allowed: Option<&'static str>,
    verdict: Verdict,
    build: Build,
}

type Build = fn() -> Transcript;

const MD5: &str = "syncml:auth-md5";

/// A `<Chal>` for `scheme` handing over `nonce` (b64).
fn chal(scheme: &str, nonce: &str) -> String {
    format!(
        "<Chal>{}</Chal>",
        meta(&[("Type", scheme), ("Format", "b64"), ("NextNonce", nonce)])
    )
}

/// Package #1 (client-initiated) answered by `pkg2`.
fn opened(pkg2: Msg) -> Session {
    Session::new().exchange(Msg::client(1).setup("1201"), pkg2)
}

/// The usual Package #2: 212 for the SyncHdr, 200 for the Alert (CmdID 1).
fn pkg2() -> Msg {
    Msg::server(1).hdr_status(1, 212).status(1, 1, "Alert", 200)
}

// ------------------------------------------------------------- lrgobj/size-first-chunk

/// The server replaces ./Ext/Blob with a 10-byte object in two chunks; `first_cmd`
/// and `first_item` are the Metas of the first chunk's Replace and Item, `later_cmd`
/// the later chunk's Replace Meta.
fn chunked(first_cmd: &str, first_item: &str, later_cmd: &str) -> Transcript {
    chunked_after(
        Msg::client(1).setup("1201"),
        first_cmd,
        first_item,
        later_cmd,
    )
}

/// [`chunked`], the session opened by `pkg1`.
fn chunked_after(pkg1: Msg, first_cmd: &str, first_item: &str, later_cmd: &str) -> Transcript {
    let uri = "./Ext/Blob";
    let first = pkg2()
        .cmd(
            "Replace",
            &format!(
                "{first_cmd}{}",
                item("Target", uri, first_item, "hello", true)
            ),
        )
        .more();
    let last = Msg::server(2).hdr_status(2, 200).cmd(
        "Replace",
        &format!("{later_cmd}{}", item("Target", uri, "", "world", false)),
    );
    Session::new()
        .exchange(pkg1, first)
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Replace", 213)
                .alert("1222")
                .more(),
            last,
        )
        .exchange(
            Msg::client(3)
                .hdr_status(2, 200)
                .status(2, 2, "Replace", 200),
            Msg::server(3).hdr_status(3, 200),
        )
        .done()
}

fn size_in_item() -> Transcript {
    chunked("", &meta(&[("Size", "10")]), "")
}

fn size_in_command() -> Transcript {
    chunked(&meta(&[("Size", "10")]), "", "")
}

fn size_missing() -> Transcript {
    chunked("", "", "")
}

fn size_repeated_in_command() -> Transcript {
    let size = meta(&[("Size", "10")]);
    chunked(&size, "", &size)
}

// ------------------------------------------------------ multimsg/next-message-response

/// The server's Get (Package #2) answered in a Package #3 of two messages; `answer`
/// is the server's reply to the first, and `more` whether the client sends its second.
fn multi_message(answer: Msg, more: bool) -> Transcript {
    let s = opened(pkg2().get("./DevInfo/Mod")).exchange(
        Msg::client(2)
            .hdr_status(1, 200)
            .status(1, 3, "Get", 200)
            .more(),
        answer,
    );
    let s = if more {
        s.exchange(
            Msg::client(3)
                .hdr_status(2, 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(3).hdr_status(3, 200),
        )
    } else {
        s
    };
    s.done()
}

fn next_message_1222() -> Transcript {
    multi_message(Msg::server(2).hdr_status(2, 200).alert("1222").more(), true)
}

fn next_message_1223() -> Transcript {
    // [PRO] §8.1.2: the abort carries Final.
    multi_message(Msg::server(2).hdr_status(2, 200).alert("1223"), false)
}

fn next_message_results() -> Transcript {
    multi_message(
        Msg::server(2)
            .hdr_status(2, 200)
            .results(2, 2, "./Ext/Answer", "ok")
            .more(),
        true,
    )
}

fn next_message_new_command() -> Transcript {
    multi_message(Msg::server(2).hdr_status(2, 200).get("./DevInfo/Man"), true)
}

// ---------------------------------------------------------------------- Session Abort

/// The server's Get (Package #2); the client's next message is `reply`, which the
/// server leaves unanswered.
fn client_reply_unanswered(reply: Msg) -> Transcript {
    opened(pkg2().get("./DevInfo/Mod")).unanswered(reply).done()
}

fn client_aborts() -> Transcript {
    client_reply_unanswered(Msg::client(2).hdr_status(1, 200).alert("1223"))
}

fn client_ignores_get() -> Transcript {
    client_reply_unanswered(Msg::client(2).hdr_status(1, 200).alert("1226"))
}

fn server_aborts_client_answers() -> Transcript {
    // A response to an abort "is ignored" (§8.1.1): it owes the Get nothing.
    opened(pkg2().get("./DevInfo/Mod").alert("1223"))
        .exchange(
            Msg::client(2).hdr_status(1, 200),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

fn server_aborts_client_silent() -> Transcript {
    // The server's Get comes with its Alert 1223: the client "SHOULD NOT respond"
    // (§8.1.2), so its silence leaves the Get unanswered and conforms.
    let mut t = opened(pkg2().get("./DevInfo/Mod").alert("1223")).done();
    t.closing = Closing::IdleTimeout { after_ms: 10_000 };
    t
}

fn client_starts_over() -> Transcript {
    // The client leaves the Get and opens another session: quitting is an answer.
    opened(pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(1).session("2").setup("1201"),
            pkg2().session("2"),
        )
        .done()
}

fn server_aborts_client_starts_over() -> Transcript {
    // Nothing more in the aborted session; a new one later is a new conversation.
    opened(pkg2().alert("1223"))
        .exchange(
            Msg::client(1).session("2").setup("1201"),
            pkg2().session("2"),
        )
        .done()
}

fn status_in_later_message() -> Transcript {
    opened(pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(2).hdr_status(1, 200).more(),
            Msg::server(2).hdr_status(2, 200).alert("1222").more(),
        )
        .exchange(
            Msg::client(3)
                .hdr_status(2, 200)
                .status(2, 2, "Alert", 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(3).hdr_status(3, 200),
        )
        .done()
}

fn one_status_per_get() -> Transcript {
    opened(pkg2().get("./DevInfo/Mod").get("./DevInfo/Man"))
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .status(1, 4, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1")
                .results(1, 4, "./DevInfo/Man", "Example"),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

fn server_answers() -> Transcript {
    opened(pkg2()).done()
}

fn server_http_challenge() -> Transcript {
    let mut t = opened(pkg2()).done();
    let r = t.exchanges[0].response.as_mut().unwrap();
    r.status = 401;
    r.headers.push("WWW-Authenticate", "Basic realm=\"dm\"");
    r.body = Default::default();
    t
}

fn server_slow() -> Transcript {
    let mut t = opened(pkg2()).done();
    t.exchanges[0].response = None;
    t.exchanges[0].failure = Some(ExchangeFailure::Timeout {
        after_ms: 10_000,
        awaiting: "response".into(),
    });
    t
}

// --------------------------------------------------------- auth/server-answers-scheme

/// The client refuses the server's Package #2 (no server Cred) with an MD5 challenge;
/// `answer` is the server's next message.
fn client_challenges_server(answer: Msg) -> Transcript {
    opened(pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(2)
                .status_with(1, 0, "SyncHdr", 401, &chal(MD5, "Tm9uY2Ux"))
                .status(1, 3, "Get", 401),
            answer,
        )
        .done()
}

fn server_answers_md5() -> Transcript {
    client_challenges_server(
        Msg::server(2)
            .cred(MD5, "c2VydmVyLWRpZ2VzdA==")
            .hdr_status(2, 200)
            .get("./DevInfo/Mod"),
    )
}

fn server_ends_session() -> Transcript {
    client_challenges_server(Msg::server(2).hdr_status(2, 200))
}

fn server_aborts_session() -> Transcript {
    client_challenges_server(Msg::server(2).hdr_status(2, 200).alert("1223"))
}

fn server_ignores_challenge() -> Transcript {
    client_challenges_server(Msg::server(2).hdr_status(2, 200).get("./DevInfo/Mod"))
}

// ------------------------------------------------------ session/no-status-only-package

/// [NOT] §5.1 steps 3-6: Package #1 with MD5 credentials on the resync nonce; the
/// server's success with a Chal (a new client nonce); the client's success with a
/// Chal (a new server nonce); the server's closing Status.
fn nonce_resync() -> Transcript {
    nonce_handed_over(&chal(MD5, "U2VydmVyTm9uY2U="))
}

fn nonce_answered_status_only() -> Transcript {
    // A success Chal asks for nothing (HMAC hands one over in every message): a reply
    // of a bare Status is the package §8 forbids.
    nonce_handed_over("")
}

/// The server's success with a Chal, answered by the client's Status with `reply_chal`.
fn nonce_handed_over(reply_chal: &str) -> Transcript {
    Session::new()
        .exchange(
            Msg::client(1)
                .loc_name("Bruce2")
                .cred(MD5, "ZGlnZXN0")
                .setup("1200"),
            Msg::server(1)
                .status_with(1, 0, "SyncHdr", 212, &chal(MD5, "Q2xpZW50Tm9uY2U="))
                .status(1, 1, "Alert", 200),
        )
        .exchange(
            Msg::client(2).status_with(1, 0, "SyncHdr", 200, reply_chal),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

/// A Package #2 without operations or challenge, then `after`, if any.
fn after_empty_package(after: Option<Msg>) -> Transcript {
    let s = opened(pkg2());
    match after {
        Some(m) => s.exchange(m, Msg::server(2).hdr_status(2, 200)).done(),
        None => s.done(),
    }
}

fn ends_after_empty_package() -> Transcript {
    after_empty_package(None)
}

fn generic_alert_after_empty_package() -> Transcript {
    after_empty_package(Some(Msg::client(2).hdr_status(1, 200).alert("1226")))
}

fn status_only_after_empty_package() -> Transcript {
    after_empty_package(Some(Msg::client(2).hdr_status(1, 200)))
}

// ------------------------------------------------------------------ pkg0/session-id

/// A Package 0 for session 0x1A2, answered by a Package #1 with SessionID `id`.
fn pkg0_answered(id: &str) -> Transcript {
    pkg0_answered_by(id, Msg::client(1).session(id).setup("1200"))
}

/// A Package 0 for session 0x1A2, answered by `pkg1` of session `id`.
fn pkg0_answered_by(id: &str, pkg1: Msg) -> Transcript {
    let n = Notification::new("dmct", 0x1A2);
    Session::new()
        .package0(encode(&n, "secret", &[0; 4]).unwrap())
        .exchange(pkg1, pkg2().session(id))
        .done()
}

fn pkg0_upper() -> Transcript {
    pkg0_answered("1A2")
}

fn pkg0_lower() -> Transcript {
    pkg0_answered("1a2")
}

fn pkg0_leading_zero() -> Transcript {
    pkg0_answered("01A2")
}

// --------------------------------------------------------- Package #1 and its Alerts

/// `pkg1` answered by the usual Package #2.
fn opened_with(pkg1: Msg) -> Transcript {
    Session::new().exchange(pkg1, pkg2()).done()
}

fn pkg1_with_client_alerts() -> Transcript {
    opened_with(Msg::client(1).setup("1201").alert("1224").alert("1226"))
}

fn pkg1_without_alert() -> Transcript {
    opened_with(Msg::client(1).cmd("Replace", &item("Source", "./DevInfo/Mod", "", "X1", false)))
}

fn pkg0_with_generic_alert() -> Transcript {
    pkg0_answered_by(
        "1A2",
        Msg::client(1).session("1A2").setup("1200").alert("1226"),
    )
}

fn pkg0_answered_1201() -> Transcript {
    pkg0_answered_by("1A2", Msg::client(1).session("1A2").setup("1201"))
}

fn client_alerts_of_dm_codes() -> Transcript {
    opened(pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1")
                .alert("1222")
                .alert("1224")
                .alert("1226"),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

fn client_alert_undefined() -> Transcript {
    opened_with(Msg::client(1).setup("1201").alert("1299"))
}

fn client_sends_get() -> Transcript {
    opened_with(Msg::client(1).setup("1201").get("./Server/Info"))
}

/// Package #1 refused with a Basic challenge, then repeated with Basic credentials.
fn repeated_pkg1() -> Transcript {
    let basic = "syncml:auth-basic";
    let chal = format!(
        "<Chal>{}</Chal>",
        meta(&[("Type", basic), ("Format", "b64")])
    );
    Session::new()
        .exchange(
            Msg::client(1).setup("1201"),
            Msg::server(1)
                .status_with(1, 0, "SyncHdr", 401, &chal)
                .status(1, 1, "Alert", 401)
                .status(1, 2, "Replace", 401),
        )
        .exchange(
            Msg::client(2)
                .cred(basic, "QnJ1Y2UxOk9oQmVoYXZl")
                .hdr_status(1, 200)
                .setup("1201"),
            Msg::server(2).hdr_status(2, 212).status(2, 2, "Alert", 200),
        )
        .done()
}

// ----------------------------------------------------------------------- challenges

/// Package #1 refused 401 with `chal`.
fn refused_with(chal: &str) -> Transcript {
    refused(401, chal)
}

/// Package #1 (without Cred) refused `code` with `chal`, for the SyncHdr and the Alert.
fn refused(code: u16, chal: &str) -> Transcript {
    refused_cmd_chal(code, chal, chal)
}

/// Package #1 refused `code`: `hdr_chal` in the SyncHdr's Status, `cmd_chal` in the
/// Alert's.
fn refused_cmd_chal(code: u16, hdr_chal: &str, cmd_chal: &str) -> Transcript {
    opened(
        Msg::server(1)
            .status_with(1, 0, "SyncHdr", code, hdr_chal)
            .status_with(1, 1, "Alert", code, cmd_chal),
    )
    .done()
}

fn refused_with_results() -> Transcript {
    // [PRO] §9.1: the failure response "contains only Status commands"; a Results is
    // none.
    let c = chal(MD5, "Tm9uY2Ux");
    opened(
        Msg::server(1)
            .status_with(1, 0, "SyncHdr", 401, &c)
            .status_with(1, 1, "Alert", 401, &c)
            .results(1, 1, "./DevInfo/Mod", "X1"),
    )
    .done()
}

fn command_refused_without_chal() -> Transcript {
    // [PRO] §9.1: "request (message or command)": the Alert's 407 needs a Chal too.
    refused_cmd_chal(407, &chal(MD5, "Tm9uY2Ux"), "")
}

fn basic_chal_without_nonce() -> Transcript {
    refused_with(&format!(
        "<Chal>{}</Chal>",
        meta(&[("Type", "syncml:auth-basic"), ("Format", "b64")])
    ))
}

fn md5_chal_with_nonce() -> Transcript {
    refused_with(&chal(MD5, "Tm9uY2Ux"))
}

fn md5_chal_without_nonce() -> Transcript {
    refused_with(&format!(
        "<Chal>{}</Chal>",
        meta(&[("Type", MD5), ("Format", "b64")])
    ))
}

fn refused_without_chal() -> Transcript {
    refused_with("")
}

// ---------------------------------------------------------------------- credentials

fn cred_type_upper_case() -> Transcript {
    opened_with(
        Msg::client(1)
            .cred("SYNCML:AUTH-BASIC", "QnJ1Y2UxOk9oQmVoYXZl")
            .setup("1201"),
    )
}

fn cred_type_unknown() -> Transcript {
    opened_with(
        Msg::client(1)
            .cred("syncml:auth-none", "QnJ1Y2UxOk9oQmVoYXZl")
            .setup("1201"),
    )
}

/// MD5 credentials in Package #1 answered 200, then the client's next two messages
/// with Creds of `later` (`None`: no Cred), each answered 200.
fn md5_then(later: [Option<&str>; 2]) -> Transcript {
    let with = |m: Msg, scheme: Option<&str>| match scheme {
        Some(s) => m.cred(s, "ZGlnZXN0"),
        None => m,
    };
    Session::new()
        .exchange(
            Msg::client(1)
                .loc_name("Bruce2")
                .cred(MD5, "ZGlnZXN0")
                .setup("1201"),
            Msg::server(1).hdr_status(1, 200).status(1, 1, "Alert", 200),
        )
        .exchange(
            with(Msg::client(2).loc_name("Bruce2").alert("1226"), later[0]),
            Msg::server(2).hdr_status(2, 200).status(2, 1, "Alert", 200),
        )
        .exchange(
            with(Msg::client(3).loc_name("Bruce2").alert("1226"), later[1]),
            Msg::server(3).hdr_status(3, 200).status(3, 1, "Alert", 200),
        )
        .done()
}

fn cred_in_every_message() -> Transcript {
    md5_then([Some(MD5), Some(MD5)])
}

fn cred_dropped_after_200() -> Transcript {
    md5_then([None, None])
}

fn scheme_switched() -> Transcript {
    md5_then([Some("syncml:auth-basic"), None])
}

/// MD5 in Package #1 answered 212, then no more credentials.
fn no_cred_after_212() -> Transcript {
    Session::new()
        .exchange(
            Msg::client(1)
                .loc_name("Bruce2")
                .cred(MD5, "ZGlnZXN0")
                .setup("1201"),
            pkg2().get("./DevInfo/Mod"),
        )
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

// -------------------------------------------------------- MsgID, CmdID, SessionID

/// The client's answer to the server's Get, as MsgID `msg_id` of session `session`.
fn get_answered_as(msg_id: u32, session: &str) -> Transcript {
    opened(pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(msg_id)
                .session(session)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(2).session(session).hdr_status(msg_id, 200),
        )
        .done()
}

fn msgid_gap() -> Transcript {
    get_answered_as(3, "1")
}

fn msgid_starts_at_5() -> Transcript {
    Session::new()
        .exchange(
            Msg::client(5).setup("1201"),
            Msg::server(1)
                .hdr_status(5, 212)
                .status(5, 1, "Alert", 200)
                .get("./DevInfo/Mod"),
        )
        .exchange(
            Msg::client(6)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(2).hdr_status(6, 200),
        )
        .done()
}

fn msgid_lower() -> Transcript {
    // MsgIDs 1, 3, then 2: each names one message of the client.
    opened(pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(3)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(2).hdr_status(3, 200).get("./DevInfo/Man"),
        )
        .exchange(
            Msg::client(2)
                .hdr_status(2, 200)
                .status(2, 2, "Get", 200)
                .results(2, 2, "./DevInfo/Man", "dmct"),
            Msg::server(3).hdr_status(2, 200),
        )
        .done()
}

fn msgid_repeated() -> Transcript {
    get_answered_as(1, "1")
}

fn sessionid_changes() -> Transcript {
    get_answered_as(2, "2")
}

fn two_sessions() -> Transcript {
    let mut s = Session::new();
    for id in ["1", "2"] {
        s = s
            .exchange(Msg::client(1).session(id).setup("1201"), pkg2().session(id))
            .exchange(
                Msg::client(2).session(id).hdr_status(1, 200).alert("1226"),
                Msg::server(2)
                    .session(id)
                    .hdr_status(2, 200)
                    .status(2, 1, "Alert", 200),
            );
    }
    s.done()
}

/// Package #1 with the Alert and the Replace numbered `alert` and `replace`.
fn pkg1_cmdids(alert: u32, replace: u32) -> Transcript {
    opened_with(
        Msg::client(1)
            .raw(&format!(
                "<Alert><CmdID>{alert}</CmdID><Data>1201</Data></Alert>"
            ))
            .raw(&format!(
                "<Replace><CmdID>{replace}</CmdID>{}</Replace>",
                item("Source", "./DevInfo/Mod", "", "X1", false)
            )),
    )
}

fn cmdids_sparse() -> Transcript {
    pkg1_cmdids(7, 42)
}

fn cmdids_repeated() -> Transcript {
    pkg1_cmdids(7, 7)
}

// ------------------------------------------------------------------- Get, Results

/// The server's Get of ./DevInfo/Mod answered `code` by the client, with Results when
/// `results`; the server's closing package answers the Results with `results_status`.
fn get_answered(code: u16, results: bool, results_status: Option<u16>) -> Transcript {
    let reply = Msg::client(2).hdr_status(1, 200).status(1, 3, "Get", code);
    let reply = if results {
        reply.results(1, 3, "./DevInfo/Mod", "X1")
    } else {
        reply
    };
    let close = Msg::server(2).hdr_status(2, 200);
    let close = match results_status {
        Some(c) => close.status(2, 3, "Results", c),
        None => close,
    };
    opened(pkg2().get("./DevInfo/Mod"))
        .exchange(reply, close)
        .done()
}

fn get_with_results() -> Transcript {
    get_answered(200, true, None)
}

fn get_refused_without_results() -> Transcript {
    get_answered(404, false, None)
}

fn get_refused_with_results() -> Transcript {
    get_answered(404, true, None)
}

fn get_without_results() -> Transcript {
    get_answered(200, false, None)
}

fn results_answered_200() -> Transcript {
    get_answered(200, true, Some(200))
}

/// The server's Get answered by a Package #3 of two messages, the Results in the second.
/// The server's Package #2 carries Results (for the client's Alert; a server may send
/// Results, [PRO] §8.6); the client's next message answers them with `status`.
fn server_results_answered(status: Option<u16>) -> Transcript {
    let reply = Msg::client(2).hdr_status(1, 200).alert("1226");
    let reply = match status {
        Some(c) => reply.status(1, 3, "Results", c),
        None => reply,
    };
    opened(pkg2().results(1, 1, "./Vendor/dmct/Info", "X1"))
        .exchange(
            reply,
            Msg::server(2).hdr_status(2, 200).status(2, 2, "Alert", 200),
        )
        .done()
}

fn client_leaves_results_without_status() -> Transcript {
    server_results_answered(None)
}

fn client_answers_results_200() -> Transcript {
    server_results_answered(Some(200))
}

fn results_in_later_message() -> Transcript {
    next_message_1222()
}

fn early_final() -> Transcript {
    // The server's package goes on (no Final, no Alert 1222), yet the client closes.
    opened(pkg2().get("./DevInfo/Mod").more())
        .exchange(
            Msg::client(2).hdr_status(1, 200).status(1, 3, "Get", 200),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

// -------------------------------------------------------------------- pkg1/devinfo

/// Package #1: Alert 1201 and one DevInfo Replace per group of (node, value).
fn devinfo_in(groups: &[&[(&str, &str)]]) -> Transcript {
    let pkg1 = groups.iter().fold(Msg::client(1).alert("1201"), |m, g| {
        let items: String = g
            .iter()
            .map(|(n, v)| item("Source", &format!("./DevInfo/{n}"), "", v, false))
            .collect();
        m.cmd("Replace", &items)
    });
    opened_with(pkg1)
}

const DEVINFO: [(&str, &str); 5] = [
    ("DevId", support::DEVICE),
    ("Man", "Example"),
    ("Mod", "X1"),
    ("DmV", "1.2"),
    ("Lang", "en-US"),
];

fn devinfo_reversed() -> Transcript {
    let mut nodes = DEVINFO;
    nodes.reverse();
    devinfo_in(&[&nodes])
}

fn devinfo_with_ext() -> Transcript {
    devinfo_in(&[&DEVINFO, &[("Ext/Battery", "80")]])
}

fn devinfo_split() -> Transcript {
    devinfo_in(&[&DEVINFO[..2], &DEVINFO[2..]])
}

fn devinfo_without_lang() -> Transcript {
    devinfo_in(&[&DEVINFO[..4]])
}

// ---------------------------------------------------- auth/no-synchdr-only-challenge

/// A Package #2 without commands or challenge (and without server Cred), then the
/// client's `reply`.
fn after_credless_pkg2(reply: Msg) -> Transcript {
    opened(pkg2())
        .exchange(reply, Msg::server(2).hdr_status(2, 200))
        .done()
}

fn challenge_with_generic_alert() -> Transcript {
    after_credless_pkg2(
        Msg::client(2)
            .status_with(1, 0, "SyncHdr", 401, &chal(MD5, "Tm9uY2Ux"))
            .alert("1226"),
    )
}

fn synchdr_only_challenge() -> Transcript {
    after_credless_pkg2(Msg::client(2).status_with(1, 0, "SyncHdr", 401, &chal(MD5, "Tm9uY2Ux")))
}

fn server_cred_accepted_and_ended() -> Transcript {
    opened(pkg2().cred(MD5, "c2VydmVyLWRpZ2VzdA==")).done()
}

// ------------------------------------------------------------ lrgobj chunks and size

/// The first chunk of a 10-byte object answered `code` by the client.
fn chunk_answered(code: u16) -> Transcript {
    let first = pkg2()
        .cmd(
            "Replace",
            &item(
                "Target",
                "./Ext/Blob",
                &meta(&[("Size", "10")]),
                "hello",
                true,
            ),
        )
        .more();
    let reply = Msg::client(2)
        .hdr_status(1, 200)
        .status(1, 3, "Replace", code);
    opened(first)
        .exchange(reply, Msg::server(2).hdr_status(2, 200))
        .done()
}

fn chunk_refused_413() -> Transcript {
    chunk_answered(413)
}

fn chunk_answered_200() -> Transcript {
    chunk_answered(200)
}

/// The client announces MaxObjSize 8; the server replaces ./Ext/Small with `data`.
fn max_obj_8(data: &str) -> Transcript {
    Session::new()
        .exchange(
            Msg::client(1)
                .hdr_meta(&[("MaxObjSize", "8")])
                .setup("1201"),
            pkg2().cmd("Replace", &item("Target", "./Ext/Small", "", data, false)),
        )
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Replace", 200),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

fn big_object_left_out() -> Transcript {
    max_obj_8("small")
}

fn object_over_max() -> Transcript {
    max_obj_8("much too large")
}

// ---------------------------------------------------------------------------- HTTP

/// The client's messages labelled `content_type`.
fn client_labelled(content_type: &str) -> Transcript {
    let mut t = server_answers();
    for e in &mut t.exchanges {
        e.request
            .headers
            .0
            .retain(|(k, _)| !k.eq_ignore_ascii_case("Content-Type"));
        e.request.headers.push("Content-Type", content_type);
    }
    t
}

fn content_type_with_params() -> Transcript {
    client_labelled("application/vnd.syncml.dm+xml; charset=UTF-8; verproto=\"DM/1.2\"")
}

fn content_type_mixed_case() -> Transcript {
    client_labelled("Application/VND.SyncML.DM+XML")
}

fn content_type_text_xml() -> Transcript {
    client_labelled("text/xml")
}

/// The server answers its second request with HTTP `status` and `body`.
fn second_answer_http(status: u16, body: &str) -> Transcript {
    let mut t = opened(pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(2).hdr_status(2, 200),
        )
        .done();
    let r = t.exchanges[1].response.as_mut().unwrap();
    r.status = status;
    if !body.is_empty() {
        r.body = body.as_bytes().to_vec().into();
    }
    t
}

fn http_503_without_dm() -> Transcript {
    second_answer_http(503, "Service Unavailable")
}

fn dm_message_in_http_500() -> Transcript {
    second_answer_http(500, "")
}

// ------------------------------------------------------ auth/server-refuses-missing-cred

fn refused_407() -> Transcript {
    refused(407, &chal(MD5, "Tm9uY2Ux"))
}

fn refused_401() -> Transcript {
    refused(401, &chal(MD5, "Tm9uY2Ux"))
}

fn credless_pkg1_accepted() -> Transcript {
    server_answers()
}

// ------------------------------------------------------ auth/server-refuses-wrong-cred

/// Mark the request of exchange `exchange` as a negative probe of dmct's client.
fn probed(mut t: Transcript, exchange: usize, kind: ProbeKind, nonce: Option<&str>) -> Transcript {
    t.probes.push(Probe {
        exchange,
        kind,
        detail: format!("a {} probe", kind.as_str()),
        nonce: nonce.map(str::to_owned),
    });
    t
}

/// Package #1 with Basic credentials made with a wrong password, answered `hdr_code`
/// (with `extra` before the Data of the SyncHdr Status).
fn wrong_basic_answered(hdr_code: u16, extra: &str) -> Transcript {
    let t = Session::new()
        .exchange(
            Msg::client(1)
                .loc_name("Bruce2")
                .cred(BASIC, "QnJ1Y2UyOndyb25n")
                .setup("1201"),
            Msg::server(1)
                .status_with(1, 0, "SyncHdr", hdr_code, extra)
                .status(1, 1, "Alert", if hdr_code >= 400 { hdr_code } else { 200 }),
        )
        .done();
    probed(t, 0, ProbeKind::WrongSecret, None)
}

fn wrong_password_refused_401() -> Transcript {
    wrong_basic_answered(401, &chal(MD5, "Tm9uY2Ux"))
}

fn wrong_password_refused_407() -> Transcript {
    wrong_basic_answered(407, &chal(MD5, "Tm9uY2Ux"))
}

fn wrong_password_accepted_212() -> Transcript {
    wrong_basic_answered(212, "")
}

/// A session accepted with 212; the client's next message carries a Cred marked as a
/// probe, answered 200.
fn probe_after_212() -> Transcript {
    let t = Session::new()
        .exchange(
            Msg::client(1)
                .loc_name("Bruce2")
                .cred(MD5, "ZGlnZXN0")
                .setup("1201"),
            pkg2().get("./DevInfo/Mod"),
        )
        .exchange(
            Msg::client(2)
                .loc_name("Bruce2")
                .cred(MD5, "d3Jvbmc=")
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(2).hdr_status(2, 200),
        )
        .done();
    probed(t, 1, ProbeKind::WrongSecret, None)
}

/// Package #1 without credentials challenged with nonce `Tm9uY2Ux` (exchange 0); then,
/// when `replaced`, a second challenge hands `Tm9uY2Uy` (exchange 1); then an MD5
/// digest keyed with `Tm9uY2Ux`, marked as a stale-nonce probe, answered `code`.
fn md5_keyed_with_first_nonce(replaced: bool, code: u16) -> Transcript {
    let refused = |id: u32, nonce: &str| {
        Msg::server(id)
            .status_with(id, 0, "SyncHdr", 401, &chal(MD5, nonce))
            .status(id, 1, "Alert", 401)
    };
    let mut s = Session::new().exchange(Msg::client(1).setup("1201"), refused(1, "Tm9uY2Ux"));
    let mut id = 2;
    if replaced {
        s = s.exchange(
            Msg::client(2)
                .loc_name("Bruce2")
                .cred(MD5, "d3Jvbmc=")
                .setup("1201"),
            refused(2, "Tm9uY2Uy"),
        );
        id = 3;
    }
    let answer = Msg::server(id)
        .status_with(id, 0, "SyncHdr", code, "")
        .status(id, 1, "Alert", 200);
    let t = s
        .exchange(
            Msg::client(id)
                .loc_name("Bruce2")
                .cred(MD5, "c3RhbGU=")
                .setup("1201"),
            answer,
        )
        .done();
    let at = t.exchanges.len() - 1;
    probed(t, at, ProbeKind::StaleNonce, Some("Tm9uY2Ux"))
}

fn nonce_in_force_accepted() -> Transcript {
    md5_keyed_with_first_nonce(false, 200)
}

fn replaced_nonce_refused() -> Transcript {
    md5_keyed_with_first_nonce(true, 401)
}

fn replaced_nonce_accepted() -> Transcript {
    md5_keyed_with_first_nonce(true, 212)
}

fn probe_over_authenticated_transport() -> Transcript {
    let mut t = wrong_password_accepted_212();
    t.transport.client = Some("CN=device-1".into());
    t
}

// ------------------------------------------------ auth/client-refuses-wrong-server-cred

/// Package #1 answered by a Package #2 whose server Cred (Basic, a wrong password) is
/// marked as dmct's server's probe, with a Get when `commands`; then `then` adds the
/// client's answer.
fn wrong_server_cred(commands: bool, then: fn(Session) -> Session) -> Transcript {
    let mut pkg2 = Msg::server(1)
        .cred(BASIC, "ZG1jdDp3cm9uZw==")
        .hdr_status(1, 212)
        .status(1, 1, "Alert", 200);
    if commands {
        pkg2 = pkg2.get("./DevInfo/Mod");
    }
    let mut t = then(Session::new().exchange(Msg::client(1).setup("1201"), pkg2)).done();
    t.probes.push(Probe {
        exchange: 0,
        kind: ProbeKind::WrongServerSecret,
        detail: "its credentials (basic) made with a wrong password".into(),
        nonce: None,
    });
    t
}

/// The client's answer to the probe: `code` for the server's SyncHdr (with a Basic Chal
/// when refusing), the same code for the Get, Results only when accepting.
fn server_cred_answered(s: Session, code: u16) -> Session {
    let mut c = Msg::client(2);
    if code >= 400 {
        c = c
            .status_with(
                1,
                0,
                "SyncHdr",
                code,
                &format!(
                    "<Chal>{}</Chal>",
                    meta(&[("Type", BASIC), ("Format", "b64")])
                ),
            )
            .status(1, 3, "Get", code);
    } else {
        c = c
            .hdr_status(1, code)
            .status(1, 3, "Get", 200)
            .results(1, 3, "./DevInfo/Mod", "X1");
    }
    s.exchange(c, Msg::server(2).hdr_status(2, 200))
}

fn server_cred_challenged_401() -> Transcript {
    wrong_server_cred(true, |s| server_cred_answered(s, 401))
}

fn server_cred_challenged_407() -> Transcript {
    wrong_server_cred(true, |s| server_cred_answered(s, 407))
}

fn server_cred_session_ended() -> Transcript {
    wrong_server_cred(true, |s| s)
}

fn server_cred_session_aborted() -> Transcript {
    wrong_server_cred(true, |s| {
        s.exchange(
            Msg::client(2).hdr_status(1, 200).alert("1223"),
            Msg::server(2).hdr_status(2, 200),
        )
    })
}

fn server_cred_without_commands() -> Transcript {
    wrong_server_cred(false, |s| {
        s.exchange(
            Msg::client(2).hdr_status(1, 212),
            Msg::server(2).hdr_status(2, 200),
        )
    })
}

/// The server authenticated with 212 in Package #3; its next package's Cred is marked
/// as a probe and answered 200.
fn server_cred_probe_after_212() -> Transcript {
    let mut t = Session::new()
        .exchange(
            Msg::client(1).setup("1201"),
            pkg2().cred(BASIC, "ZG1jdDpwdw==").get("./DevInfo/Mod"),
        )
        .exchange(
            Msg::client(2)
                .hdr_status(1, 212)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(2)
                .cred(BASIC, "ZG1jdDp3cm9uZw==")
                .hdr_status(2, 200)
                .get("./DevInfo/Man"),
        )
        .exchange(
            Msg::client(3)
                .hdr_status(2, 200)
                .status(2, 2, "Get", 200)
                .results(2, 2, "./DevInfo/Man", "dmct"),
            Msg::server(3).hdr_status(3, 200),
        )
        .done();
    t.probes.push(Probe {
        exchange: 1,
        kind: ProbeKind::WrongServerSecret,
        detail: "its credentials (basic) made with a wrong password".into(),
        nonce: None,
    });
    t
}

fn server_cred_accepted() -> Transcript {
    wrong_server_cred(true, |s| server_cred_answered(s, 212))
}

fn server_cred_accepted_over_tls() -> Transcript {
    let mut t = server_cred_accepted();
    t.transport.served_over_tls = true;
    t
}

fn server_cred_ended_then_harness_limit() -> Transcript {
    let mut t = server_cred_session_ended();
    t.closing = Closing::ExchangeLimit { limit: 1 };
    t
}

// -------------------------------------------------------------- session/respuri-followed

/// Package #2 gives RespURI `uri`; the client's next message goes to `target`.
fn respuri_then(uri: &str, target: &str) -> Transcript {
    let mut t = opened(pkg2().resp_uri(uri).get("./DevInfo/Mod"))
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .results(1, 3, "./DevInfo/Mod", "X1"),
            Msg::server(2).hdr_status(2, 200),
        )
        .done();
    t.exchanges[1].request.target = target.into();
    t
}

fn respuri_path_only() -> Transcript {
    // The host part names another address than the one the client used: the path is
    // what the request line carries.
    respuri_then("http://dm.example.net/mgmt-server?s=1", "/mgmt-server?s=1")
}

fn respuri_then_nothing() -> Transcript {
    opened(pkg2().resp_uri("http://dm.example.net/mgmt-server?s=1")).done()
}

fn respuri_ignored() -> Transcript {
    respuri_then("http://dm.example.net/mgmt-server?s=1", "/mgmt-server")
}

// ------------------------------------------------------------------- pkg0/version

/// A Package 0 of `version` with a ui-mode, initiator and vendor data of its own,
/// answered as [NOT] §5 asks.
fn pkg0_of_version(version: u16) -> Transcript {
    let mut n = Notification::new("dmct", 0x1A2);
    n.version = version;
    n.ui_mode = dmct_proto::package0::UiMode::UserInteraction;
    n.initiator = dmct_proto::package0::Initiator::Client;
    n.vendor = b"vendor".to_vec();
    Session::new()
        .package0(encode(&n, "secret", &[0; 4]).unwrap())
        .exchange(
            Msg::client(1).session("1A2").setup("1200"),
            pkg2().session("1A2"),
        )
        .done()
}

fn pkg0_other_fields() -> Transcript {
    pkg0_of_version(dmct_proto::package0::NOTIFICATION_VERSION)
}

fn pkg0_version_12() -> Transcript {
    pkg0_of_version(12)
}

// -------------------------------------------------------------------- HMAC header

/// MD5-keyed HMAC on every client message, the header written `header`.
fn hmac_header(header: &str) -> Transcript {
    let mut t = Session::new()
        .exchange(Msg::client(1).loc_name("Bruce2").setup("1201"), pkg2())
        .done();
    for e in &mut t.exchanges {
        e.request.headers.push("x-syncml-hmac", header);
    }
    t
}

fn hmac_no_spaces() -> Transcript {
    hmac_header("algorithm=MD5,username=\"Bruce2\",mac=bWFjLXZhbHVl")
}

fn hmac_without_algorithm() -> Transcript {
    hmac_header("username=\"Bruce2\", mac=bWFjLXZhbHVl")
}

fn hmac_without_username() -> Transcript {
    hmac_header("algorithm=MD5, mac=bWFjLXZhbHVl")
}

// ------------------------------------------------------------- http/verproto-param

fn verproto_other() -> Transcript {
    client_labelled("application/vnd.syncml.dm+xml; verproto=\"DM/1.1\"")
}

// ------------------------------------------------------------------ atomic/all-or-nothing

/// The server's Atomic (CmdID 3) holding `inner` (CmdIDs 4, 5), answered `atomic` and
/// `codes` by the client.
fn atomic_answered(inner: [&str; 2], atomic: u16, codes: [u16; 2]) -> Transcript {
    let cmds: String = inner
        .iter()
        .zip(4..)
        .map(|(name, id)| {
            format!(
                "<{name}><CmdID>{id}</CmdID>{}</{name}>",
                item("Target", &format!("./Ext/N{id}"), "", "v", false)
            )
        })
        .collect();
    opened(pkg2().raw(&format!("<Atomic><CmdID>3</CmdID>{cmds}</Atomic>")))
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Atomic", atomic)
                .status(1, 4, inner[0], codes[0])
                .status(1, 5, inner[1], codes[1]),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

fn atomic_rolled_back() -> Transcript {
    atomic_answered(["Add", "Replace"], 507, [216, 404])
}

fn atomic_with_get() -> Transcript {
    atomic_answered(["Add", "Get"], 500, [500, 500])
}

fn atomic_half_kept() -> Transcript {
    atomic_answered(["Add", "Replace"], 507, [200, 404])
}

// ------------------------------------------------------- auth/fresh-nonce-after-failure

/// Package #1 challenged for MD5 (nonce 1), repeated with MD5 credentials, and
/// challenged again for `scheme` with `nonce`.
fn challenged_twice(scheme: &str, nonce: &str) -> Transcript {
    Session::new()
        .exchange(
            Msg::client(1).setup("1201"),
            Msg::server(1)
                .status_with(1, 0, "SyncHdr", 401, &chal(MD5, "Tm9uY2Ux"))
                .status(1, 1, "Alert", 401),
        )
        .exchange(
            Msg::client(2)
                .loc_name("Bruce2")
                .cred(MD5, "ZGlnZXN0")
                .hdr_status(1, 200)
                .setup("1201"),
            Msg::server(2)
                .status_with(2, 0, "SyncHdr", 401, &chal(scheme, nonce))
                .status(2, 2, "Alert", 401),
        )
        .done()
}

fn rechallenged_for_hmac() -> Transcript {
    challenged_twice(dmct_proto::auth::Scheme::Hmac.meta_type(), "Tm9uY2Uy")
}

fn rechallenged_same_nonce() -> Transcript {
    challenged_twice(MD5, "Tm9uY2Ux")
}

// --------------------------------------------------------------------- msg/max-msg-size

/// The server's Get of two nodes answered in two messages; the server announced, in
/// Package #2, the size of the larger plus `slack` bytes as its MaxMsgSize.
fn split_under(slack: isize) -> Transcript {
    let first = Msg::client(2)
        .hdr_status(1, 200)
        .status(1, 3, "Get", 200)
        .status(1, 4, "Get", 200)
        .results(1, 3, "./DevInfo/Mod", &"M".repeat(300))
        .more();
    let second = Msg::client(3)
        .hdr_status(2, 200)
        .status(2, 2, "Alert", 200)
        .results(1, 4, "./DevInfo/Man", &"N".repeat(300));
    let largest = first.xml().len().max(second.xml().len());
    let max = (largest as isize + slack).to_string();
    opened(
        pkg2()
            .hdr_meta(&[("MaxMsgSize", &max)])
            .get("./DevInfo/Mod")
            .get("./DevInfo/Man"),
    )
    .exchange(
        first,
        Msg::server(2).hdr_status(2, 200).alert("1222").more(),
    )
    .exchange(second, Msg::server(3).hdr_status(3, 200))
    .done()
}

fn split_package() -> Transcript {
    split_under(0)
}

fn message_over_max() -> Transcript {
    split_under(-1)
}

fn chunks_under_max() -> Transcript {
    let pkg1 = Msg::client(1)
        .hdr_meta(&[("MaxMsgSize", "2000")])
        .setup("1201");
    chunked_after(pkg1, "", &meta(&[("Size", "10")]), "")
}

fn results_chunk_answered_213() -> Transcript {
    // The client's Results for the Get is a large object in two chunks.
    let chunk = |data, more| item("Source", "./DevInfo/Mod", "", data, more);
    opened(pkg2().get("./DevInfo/Mod"))
        .exchange(
            Msg::client(2)
                .hdr_status(1, 200)
                .status(1, 3, "Get", 200)
                .cmd(
                    "Results",
                    &format!(
                        "<MsgRef>1</MsgRef><CmdRef>3</CmdRef>{}",
                        chunk("hello", true)
                    ),
                )
                .more(),
            Msg::server(2)
                .hdr_status(2, 200)
                .status(2, 3, "Results", 213)
                .alert("1222")
                .more(),
        )
        .exchange(
            Msg::client(3)
                .hdr_status(2, 200)
                .status(2, 3, "Alert", 200)
                .cmd(
                    "Results",
                    &format!(
                        "<MsgRef>1</MsgRef><CmdRef>3</CmdRef>{}",
                        chunk("world", false)
                    ),
                ),
            Msg::server(3).hdr_status(3, 200),
        )
        .done()
}

// ------------------------------------------ a challenge in setup ([PRO] §9, [SEC] §5.4.1)

const BASIC: &str = "syncml:auth-basic";
const RESP_URI: &str = "http://www.syncml.org/mgmt-server/s1";

/// Package #2 refusing Package #1 (Alert 1, Replace 2) with 401 and a Chal for
/// `scheme` (a nonce only where the scheme uses one), to be answered at RESP_URI.
fn challenge_for(scheme: &str) -> Msg {
    let chal = if scheme == MD5 {
        chal(MD5, "Tm9uY2Ux")
    } else {
        format!(
            "<Chal>{}</Chal>",
            meta(&[("Type", scheme), ("Format", "b64")])
        )
    };
    Msg::server(1)
        .resp_uri(RESP_URI)
        .status_with(1, 0, "SyncHdr", 401, &chal)
        .status(1, 1, "Alert", 401)
        .status(1, 2, "Replace", 401)
}

/// Package #1 challenged for `scheme`, and nothing more from the client.
fn challenged_for(scheme: &str, closing: Closing) -> Session {
    Session::new()
        .exchange(Msg::client(1).setup("1201"), challenge_for(scheme))
        .closing(closing)
}

/// The server accepting a repeated Package #1 (MsgID `msg_id`) and ending the session.
fn accepted(msg_id: u32) -> Msg {
    Msg::server(2)
        .hdr_status(msg_id, 212)
        .status(msg_id, 2, "Alert", 200)
        .status(msg_id, 3, "Replace", 200)
}

/// Challenged for MD5; Package #1 repeated as MsgID `msg_id` with a Cred of `scheme`,
/// posted to `path`.
fn repeated(path: &str, msg_id: u32, scheme: &str) -> Transcript {
    let again = Msg::client(msg_id)
        .loc_name("Bruce2")
        .cred(scheme, "ZGlnZXN0")
        .hdr_status(1, 200)
        .setup("1201");
    challenged_for(MD5, Closing::PeerDone)
        .exchange_at(path, again, accepted(msg_id))
        .done()
}

fn repeated_to_resp_uri() -> Transcript {
    repeated("/mgmt-server/s1", 2, MD5)
}

fn repeated_msgid_skips() -> Transcript {
    repeated("/mgmt-server/s1", 3, MD5)
}

fn repeated_past_resp_uri() -> Transcript {
    repeated("/mgmt-server", 2, MD5)
}

fn md5_answered_with_basic() -> Transcript {
    repeated("/mgmt-server/s1", 2, BASIC)
}

fn basic_challenge_ended() -> Transcript {
    // [SEC] §5.3 makes only MD5 mandatory for the client.
    challenged_for(BASIC, Closing::IdleTimeout { after_ms: 10_000 }).done()
}

fn md5_challenge_ended() -> Transcript {
    // A terminated session answers auth/client-answers-scheme; that MD5 had to be
    // answered is session/reauth-continues's finding, not a second one here.
    challenged_for(MD5, Closing::PeerDone).done()
}

fn challenge_aborted() -> Transcript {
    challenged_for(MD5, Closing::PeerDone)
        .exchange_at(
            "/mgmt-server/s1",
            Msg::client(2).hdr_status(1, 200).alert("1223"),
            Msg::server(2).hdr_status(2, 200).status(2, 2, "Alert", 200),
        )
        .done()
}

/// Challenged for MD5; a new session (SessionID 2) opened with a Cred of `scheme`.
fn new_session_with(scheme: &str) -> Transcript {
    challenged_for(MD5, Closing::PeerDone)
        .exchange(
            Msg::client(1)
                .session("2")
                .loc_name("Bruce2")
                .cred(scheme, "ZGlnZXN0")
                .setup("1201"),
            Msg::server(1)
                .session("2")
                .hdr_status(1, 212)
                .status(1, 1, "Alert", 200)
                .status(1, 2, "Replace", 200),
        )
        .done()
}

fn new_session_md5() -> Transcript {
    new_session_with(MD5)
}

fn new_session_basic() -> Transcript {
    new_session_with(BASIC)
}

fn challenge_with_abort_unanswered() -> Transcript {
    Session::new()
        .exchange(
            Msg::client(1).setup("1201"),
            challenge_for(MD5).alert("1223"),
        )
        .closing(Closing::IdleTimeout { after_ms: 10_000 })
        .done()
}

// ------------------------------------------------------------------ auth/scheme-constant

/// The client's messages with a Cred of `schemes[k]`, each answered with `answers[k]`
/// for its SyncHdr (a 401 challenges for the scheme given). A message after a challenge
/// repeats Package #1; the others carry a Generic Alert.
fn creds_answered(schemes: [&str; 3], answers: [(u16, &str); 3]) -> Transcript {
    let mut s = Session::new();
    let mut challenged = true;
    for (k, (scheme, (code, asked))) in schemes.iter().zip(answers).enumerate() {
        let id = k as u32 + 1;
        let c = Msg::client(id).loc_name("Bruce2").cred(scheme, "ZGlnZXN0");
        let c = if challenged {
            c.setup("1201")
        } else {
            c.alert("1226")
        };
        let extra = if code == 401 {
            chal(asked, "Tm9uY2Uy")
        } else {
            String::new()
        };
        let alert = if code == 401 { 401 } else { 200 };
        let answer = Msg::server(id)
            .status_with(id, 0, "SyncHdr", code, &extra)
            .status(id, 1, "Alert", alert);
        challenged = code == 401;
        s = s.exchange(c, answer);
    }
    s.done()
}

fn switched_at_setup_challenge() -> Transcript {
    // Basic refused with a challenge for MD5 before any authentication occurred.
    creds_answered([BASIC, MD5, MD5], [(401, MD5), (200, ""), (200, "")])
}

fn switched_at_rechallenge() -> Transcript {
    // MD5 accepted, then a challenge for Basic: §9.1 keeps the type for the whole
    // session once authentication has occurred, so the switch breaks it.
    creds_answered([MD5, MD5, BASIC], [(200, ""), (401, BASIC), (200, "")])
}

fn rechallenged_same_scheme() -> Transcript {
    creds_answered([MD5, MD5, MD5], [(200, ""), (401, MD5), (200, "")])
}

// ------------------------------------------------------------ atomic: 517 ([REP] §6.6.3)

fn atomic_too_large_rolled_back() -> Transcript {
    // "the Atomic command MUST fail with status code 517 ... Previously executed
    // commands in Atomic command MUST be rolled back."
    atomic_answered(["Add", "Replace"], 517, [216, 216])
}

fn atomic_too_large_kept() -> Transcript {
    atomic_answered(["Add", "Replace"], 517, [200, 216])
}

// ------------------------------------------------------------------------ the table

// --------------------------------------------------------------- msg/syncml-namespace

/// The server answers Package #1 with `pkg2`, written whole: SyncML namespace as given.
fn server_wrote(pkg2: &str) -> Transcript {
    Session::new()
        .answered_with(Msg::client(1).setup("1201"), pkg2)
        .done()
}

/// A Package #2 with `root` as its opening tag and `extra` after the Alert's Status.
fn pkg2_text(root: &str, hdr_extra: &str, extra: &str) -> String {
    format!(
        "{root}<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>\
         <SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>{}</LocURI></Target>\
         <Source><LocURI>{}</LocURI></Source>{hdr_extra}</SyncHdr><SyncBody>\
         <Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
         <TargetRef>{}</TargetRef><SourceRef>{}</SourceRef><Data>212</Data></Status>\
         <Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef><Cmd>Alert</Cmd>\
         <Data>200</Data></Status>{extra}<Final/></SyncBody></SyncML>",
        support::DEVICE,
        support::SERVER,
        support::SERVER,
        support::DEVICE
    )
}

const SYNCML_ROOT: &str = "<SyncML xmlns=\"SYNCML:SYNCML1.2\">";

fn tnds_in_data() -> Transcript {
    server_wrote(&pkg2_text(
        SYNCML_ROOT,
        "",
        "<Add><CmdID>3</CmdID><Item><Target><LocURI>./Vendor</LocURI></Target>\
         <Meta><Format xmlns=\"syncml:metinf\">xml</Format>\
         <Type xmlns=\"syncml:metinf\">application/vnd.syncml.dmtnds+xml</Type></Meta>\
         <Data><MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD><Node>\
         <NodeName>Vendor</NodeName></Node></MgmtTree></Data></Item></Add>",
    ))
}

fn no_namespace_declared() -> Transcript {
    server_wrote(&pkg2_text("<SyncML>", "", ""))
}

fn foreign_in_synchdr() -> Transcript {
    server_wrote(&pkg2_text(
        SYNCML_ROOT,
        "<Hint xmlns=\"urn:x-vendor\">1</Hint>",
        "",
    ))
}

fn foreign_command() -> Transcript {
    server_wrote(&pkg2_text(
        SYNCML_ROOT,
        "",
        "<v:Get xmlns:v=\"urn:x-vendor\"><CmdID>3</CmdID><Item><Target>\
         <LocURI>./DevInfo/Mod</LocURI></Target></Item></v:Get>",
    ))
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "Size in the first chunk's Item Meta",
        rule: "lrgobj/size-first-chunk",
        role: Role::Server,
        allowed: Some("Size in the first chunk's Item Meta"),
        verdict: Verdict::Pass,
        build: size_in_item,
    },
    Fixture {
        name: "Size in the first chunk's command Meta",
        rule: "lrgobj/size-first-chunk",
        role: Role::Server,
        allowed: Some("Size in the Meta of the command that carries the first chunk"),
        verdict: Verdict::Pass,
        build: size_in_command,
    },
    Fixture {
        name: "no Size on the first chunk",
        rule: "lrgobj/size-first-chunk",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: size_missing,
    },
    Fixture {
        name: "Size repeated in a later chunk's command Meta",
        rule: "lrgobj/size-first-chunk",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: size_repeated_in_command,
    },
    Fixture {
        name: "Next Message response with Alert 1222",
        rule: "multimsg/next-message-response",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Pass,
        build: next_message_1222,
    },
    Fixture {
        name: "Alert 1223 between messages of the client's package",
        rule: "multimsg/next-message-response",
        role: Role::Server,
        allowed: Some("Alert 1223 instead of 1222 to abort the session"),
        verdict: Verdict::Pass,
        build: next_message_1223,
    },
    Fixture {
        name: "Results in place of Alert 1222",
        rule: "multimsg/next-message-response",
        role: Role::Server,
        allowed: Some(
            "Results in place of the Alert 1222 ([PRO] §6.2: the Alert MAY be omitted when Results are sent)",
        ),
        verdict: Verdict::Pass,
        build: next_message_results,
    },
    Fixture {
        name: "a new command between messages of the client's package",
        rule: "multimsg/next-message-response",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: next_message_new_command,
    },
    Fixture {
        name: "the client aborts without answering the Get",
        rule: "status/every-command",
        role: Role::Client,
        allowed: Some(
            "no Status for the commands the aborting party did not run, nor for those in a Session Abort it received ([PRO] §8.1.2)",
        ),
        verdict: Verdict::Pass,
        build: client_aborts,
    },
    Fixture {
        name: "the client answers a server abort without Status for its commands",
        rule: "status/every-command",
        role: Role::Client,
        allowed: Some(
            "no Status for the commands the aborting party did not run, nor for those in a Session Abort it received ([PRO] §8.1.2)",
        ),
        verdict: Verdict::NotApplicable,
        build: server_aborts_client_answers,
    },
    Fixture {
        name: "the client stays silent after a Get that came with the server's abort",
        rule: "status/every-command",
        role: Role::Client,
        allowed: Some(
            "no answer to a server package that also carries Alert 1223 ([PRO] §8.1.2: a client receiving it should not respond)",
        ),
        verdict: Verdict::NotApplicable,
        build: server_aborts_client_silent,
    },
    Fixture {
        name: "the client is silent after the server's abort",
        rule: "session/abort-no-response",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Pass,
        build: server_aborts_client_silent,
    },
    Fixture {
        name: "the client opens a new session after the server's abort",
        rule: "session/abort-no-response",
        role: Role::Client,
        allowed: Some("send nothing more in the session, and open a new session later"),
        verdict: Verdict::Pass,
        build: server_aborts_client_starts_over,
    },
    Fixture {
        name: "the client answers the server's abort",
        rule: "session/abort-no-response",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: server_aborts_client_answers,
    },
    Fixture {
        name: "the Get's Status in the second message of Package #3",
        rule: "status/every-command",
        role: Role::Client,
        allowed: Some("the Status in a later message of the same package"),
        verdict: Verdict::Pass,
        build: status_in_later_message,
    },
    Fixture {
        name: "two Gets, a Status 200 each",
        rule: "status/every-command",
        role: Role::Client,
        allowed: Some("one Status per command even when they share a code"),
        verdict: Verdict::Pass,
        build: one_status_per_get,
    },
    Fixture {
        name: "the client leaves the Get unanswered without aborting",
        rule: "status/every-command",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: client_ignores_get,
    },
    Fixture {
        name: "the client opens a new session instead of answering the Get",
        rule: "status/every-command",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: client_starts_over,
    },
    Fixture {
        name: "a DM package answers",
        rule: "session/server-answers-every-package",
        role: Role::Server,
        allowed: Some("answer with a SyncML DM message (HTTP 200) of the same session"),
        verdict: Verdict::Pass,
        build: server_answers,
    },
    Fixture {
        name: "an HTTP 401 challenge answers",
        rule: "session/server-answers-every-package",
        role: Role::Server,
        allowed: Some(
            "challenge at the transport level (HTTP 401/407 with WWW-Authenticate or Proxy-Authenticate), when the account uses HTTP authentication",
        ),
        verdict: Verdict::Pass,
        build: server_http_challenge,
    },
    Fixture {
        name: "no answer within the time limit",
        rule: "session/server-answers-every-package",
        role: Role::Server,
        allowed: Some(
            "take any time to answer: the spec sets no timeouts, so a slow answer is inconclusive, never a failure",
        ),
        verdict: Verdict::Inconclusive,
        build: server_slow,
    },
    Fixture {
        name: "no answer to the client's Session Abort",
        rule: "session/server-answers-every-package",
        role: Role::Server,
        allowed: Some(
            "no answer to the client's Session Abort (Alert 1223): [PRO] §8.1.2 only recommends one",
        ),
        verdict: Verdict::Pass,
        build: client_aborts,
    },
    Fixture {
        name: "the connection closed on a client package",
        rule: "session/server-answers-every-package",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: client_ignores_get,
    },
    Fixture {
        name: "the server answers the MD5 challenge with MD5",
        rule: "auth/server-answers-scheme",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Pass,
        build: server_answers_md5,
    },
    Fixture {
        name: "the server ends the session with a package of Status only",
        rule: "auth/server-answers-scheme",
        role: Role::Server,
        allowed: Some("end the session instead"),
        verdict: Verdict::Pass,
        build: server_ends_session,
    },
    Fixture {
        name: "the server ends the session with Alert 1223",
        rule: "auth/server-answers-scheme",
        role: Role::Server,
        allowed: Some("end the session instead"),
        verdict: Verdict::Pass,
        build: server_aborts_session,
    },
    Fixture {
        name: "the server goes on without credentials",
        rule: "auth/server-answers-scheme",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: server_ignores_challenge,
    },
    Fixture {
        name: "nonce resync: Status and Chal after a success with Chal",
        rule: "session/no-status-only-package",
        role: Role::Client,
        allowed: Some(
            "answer a server package whose Status carries a Chal (a new nonce, [NOT] §5.1 steps 4-5) with Status and a Chal",
        ),
        verdict: Verdict::Pass,
        build: nonce_resync,
    },
    Fixture {
        name: "nonce hand-over answered with a bare Status",
        rule: "session/no-status-only-package",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: nonce_answered_status_only,
    },
    Fixture {
        name: "nothing more after a package without operations",
        rule: "session/no-status-only-package",
        role: Role::Client,
        allowed: Some("send nothing more: the session ends"),
        verdict: Verdict::Pass,
        build: ends_after_empty_package,
    },
    Fixture {
        name: "a Generic Alert after a package without operations",
        rule: "session/no-status-only-package",
        role: Role::Client,
        allowed: Some(
            "start new work with a package that carries operations (for instance a Generic Alert 1226)",
        ),
        verdict: Verdict::Pass,
        build: generic_alert_after_empty_package,
    },
    Fixture {
        name: "Status only after a package without operations",
        rule: "session/no-status-only-package",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: status_only_after_empty_package,
    },
    Fixture {
        name: "Package 0 SessionID in upper case",
        rule: "pkg0/session-id",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Pass,
        build: pkg0_upper,
    },
    Fixture {
        name: "Package 0 SessionID in lower case",
        rule: "pkg0/session-id",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: pkg0_lower,
    },
    Fixture {
        name: "Package 0 SessionID with a leading zero",
        rule: "pkg0/session-id",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: pkg0_leading_zero,
    },
    Fixture {
        name: "other client Alerts beside Alert 1201",
        rule: "pkg1/alert",
        role: Role::Client,
        allowed: Some("either code, with other client Alerts (1224, 1226) beside it"),
        verdict: Verdict::Pass,
        build: pkg1_with_client_alerts,
    },
    Fixture {
        name: "Package #1 without Alert 1200/1201",
        rule: "pkg1/alert",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: pkg1_without_alert,
    },
    Fixture {
        name: "a Generic Alert beside Alert 1200",
        rule: "pkg0/alert-1200",
        role: Role::Client,
        allowed: Some("other client Alerts beside 1200"),
        verdict: Verdict::Pass,
        build: pkg0_with_generic_alert,
    },
    Fixture {
        name: "a Package 0 answered with Alert 1201",
        rule: "pkg0/alert-1200",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: pkg0_answered_1201,
    },
    Fixture {
        name: "client Alerts 1222, 1224, 1226",
        rule: "alert/valid-code",
        role: Role::Client,
        allowed: Some("any defined code"),
        verdict: Verdict::Pass,
        build: client_alerts_of_dm_codes,
    },
    Fixture {
        name: "an undefined Alert code",
        rule: "alert/valid-code",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: client_alert_undefined,
    },
    Fixture {
        name: "client Alerts 1222, 1224, 1226 in Package #3",
        rule: "client/allowed-commands",
        role: Role::Client,
        allowed: Some("Alerts of any DM code (1222, 1223, 1224, 1226)"),
        verdict: Verdict::Pass,
        build: client_alerts_of_dm_codes,
    },
    Fixture {
        name: "Package #1 repeated after a challenge",
        rule: "client/allowed-commands",
        role: Role::Client,
        allowed: Some("Replace of DevInfo when Package #1 is repeated after a challenge"),
        verdict: Verdict::Pass,
        build: repeated_pkg1,
    },
    Fixture {
        name: "a client Get",
        rule: "client/allowed-commands",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: client_sends_get,
    },
    Fixture {
        name: "Alert 1222 without Final while a large object comes",
        rule: "multimsg/no-early-final",
        role: Role::Client,
        allowed: Some("ask for the next message with Alert 1222, with Status for what it got"),
        verdict: Verdict::Pass,
        build: size_in_item,
    },
    Fixture {
        name: "Final while the server's package goes on",
        rule: "multimsg/no-early-final",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: early_final,
    },
    Fixture {
        name: "401 with a Basic Chal",
        rule: "auth/chal-with-401-407",
        role: Role::Server,
        allowed: Some("a Chal of any scheme the sender supports"),
        verdict: Verdict::Pass,
        build: basic_chal_without_nonce,
    },
    Fixture {
        name: "401 with an MD5 Chal",
        rule: "auth/chal-with-401-407",
        role: Role::Server,
        allowed: Some("a Chal of any scheme the sender supports"),
        verdict: Verdict::Pass,
        build: md5_chal_with_nonce,
    },
    Fixture {
        name: "401 without Chal",
        rule: "auth/chal-with-401-407",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: refused_without_chal,
    },
    Fixture {
        name: "407 for a command without a Chal",
        rule: "auth/chal-with-401-407",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: command_refused_without_chal,
    },
    Fixture {
        name: "a challenge holding only Statuses",
        rule: "auth/failure-status-only",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Pass,
        build: refused_401,
    },
    Fixture {
        name: "a challenge that also carries Results",
        rule: "auth/failure-status-only",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: refused_with_results,
    },
    Fixture {
        name: "a Basic Chal without NextNonce",
        rule: "auth/chal-nonce",
        role: Role::Server,
        allowed: Some("a Chal for Basic without NextNonce"),
        verdict: Verdict::Pass,
        build: basic_chal_without_nonce,
    },
    Fixture {
        name: "an MD5 Chal without NextNonce",
        rule: "auth/chal-nonce",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: md5_chal_without_nonce,
    },
    Fixture {
        name: "Cred Meta Type in upper case",
        rule: "auth/cred-type",
        role: Role::Client,
        allowed: Some("Meta Type in any letter case"),
        verdict: Verdict::Pass,
        build: cred_type_upper_case,
    },
    Fixture {
        name: "Cred of an unknown Meta Type",
        rule: "auth/cred-type",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: cred_type_unknown,
    },
    Fixture {
        name: "MD5 Cred in every message after 200",
        rule: "auth/resend-cred-after-200",
        role: Role::Client,
        allowed: Some("send them in every later message"),
        verdict: Verdict::Pass,
        build: cred_in_every_message,
    },
    Fixture {
        name: "Cred dropped after 200",
        rule: "auth/resend-cred-after-200",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: cred_dropped_after_200,
    },
    Fixture {
        name: "no Cred after 212",
        rule: "auth/scheme-constant",
        role: Role::Client,
        allowed: Some("no more credentials after 212"),
        verdict: Verdict::Pass,
        build: no_cred_after_212,
    },
    Fixture {
        name: "Basic after MD5 was accepted",
        rule: "auth/scheme-constant",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: scheme_switched,
    },
    Fixture {
        name: "a second session with a SessionID of its own",
        rule: "msg/sessionid-constant",
        role: Role::Client,
        allowed: Some("a new SessionID for a new session (Package #1 with MsgID 1)"),
        verdict: Verdict::Pass,
        build: two_sessions,
    },
    Fixture {
        name: "SessionID changed within a session",
        rule: "msg/sessionid-constant",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: sessionid_changes,
    },
    Fixture {
        name: "MsgID 3 after MsgID 1",
        rule: "msg/msgid-sequence",
        role: Role::Client,
        allowed: Some("gaps between MsgIDs"),
        verdict: Verdict::Pass,
        build: msgid_gap,
    },
    Fixture {
        name: "a session whose MsgIDs start at 5",
        rule: "msg/msgid-sequence",
        role: Role::Client,
        allowed: Some("a first MsgID other than 1"),
        verdict: Verdict::Pass,
        build: msgid_starts_at_5,
    },
    Fixture {
        name: "MsgID 2 after MsgID 3",
        rule: "msg/msgid-sequence",
        role: Role::Client,
        allowed: Some("a MsgID lower than the previous one, not used before in the session"),
        verdict: Verdict::Pass,
        build: msgid_lower,
    },
    Fixture {
        name: "MsgID 1 twice in a session",
        rule: "msg/msgid-sequence",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: msgid_repeated,
    },
    Fixture {
        name: "CmdIDs 7 and 42",
        rule: "msg/cmdid-unique",
        role: Role::Client,
        allowed: Some("any numbering, not necessarily from 1 or contiguous"),
        verdict: Verdict::Pass,
        build: cmdids_sparse,
    },
    Fixture {
        name: "CmdID 7 twice in a message",
        rule: "msg/cmdid-unique",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: cmdids_repeated,
    },
    Fixture {
        name: "Results in the second message of Package #3",
        rule: "results/for-every-get",
        role: Role::Client,
        allowed: Some("Results in a later message of the same package"),
        verdict: Verdict::Pass,
        build: results_in_later_message,
    },
    Fixture {
        name: "a successful Get without Results",
        rule: "results/for-every-get",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: get_without_results,
    },
    Fixture {
        name: "a Get refused 404 without Results",
        rule: "results/only-for-successful-get",
        role: Role::Client,
        allowed: Some("one Status for the whole Get with a failure code and no Results"),
        verdict: Verdict::Pass,
        build: get_refused_without_results,
    },
    Fixture {
        name: "a Get answered 200 and Results",
        rule: "results/only-for-successful-get",
        role: Role::Client,
        allowed: Some("a successful Get (2xx) answered with Results"),
        verdict: Verdict::Pass,
        build: get_with_results,
    },
    Fixture {
        name: "Results for a Get refused 404",
        rule: "results/only-for-successful-get",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: get_refused_with_results,
    },
    Fixture {
        name: "no Status for the client's Results",
        rule: "status/no-200-for-results",
        role: Role::Server,
        allowed: Some("no Status for Results at all"),
        verdict: Verdict::Pass,
        build: get_with_results,
    },
    Fixture {
        name: "Status 200 for the client's Results",
        rule: "status/no-200-for-results",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: results_answered_200,
    },
    Fixture {
        name: "no Status for the server's Results",
        rule: "status/no-200-for-results",
        role: Role::Client,
        allowed: Some("no Status for Results at all"),
        verdict: Verdict::Pass,
        build: client_leaves_results_without_status,
    },
    Fixture {
        name: "Status 200 for the server's Results",
        rule: "status/no-200-for-results",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: client_answers_results_200,
    },
    Fixture {
        name: "DevInfo Items in reverse order",
        rule: "pkg1/devinfo",
        role: Role::Client,
        allowed: Some("any order of Items"),
        verdict: Verdict::Pass,
        build: devinfo_reversed,
    },
    Fixture {
        name: "DevInfo with an Ext node",
        rule: "pkg1/devinfo",
        role: Role::Client,
        allowed: Some("more DevInfo nodes (Ext) than the five"),
        verdict: Verdict::Pass,
        build: devinfo_with_ext,
    },
    Fixture {
        name: "DevInfo in two Replaces",
        rule: "pkg1/devinfo",
        role: Role::Client,
        allowed: Some("the Items in one Replace or several"),
        verdict: Verdict::Pass,
        build: devinfo_split,
    },
    Fixture {
        name: "DevInfo without Lang",
        rule: "pkg1/devinfo",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: devinfo_without_lang,
    },
    Fixture {
        name: "nothing more after a command-less Package #2",
        rule: "auth/no-synchdr-only-challenge",
        role: Role::Client,
        allowed: Some("send nothing more: the session ends"),
        verdict: Verdict::Pass,
        build: server_answers,
    },
    Fixture {
        name: "a challenge with a Generic Alert",
        rule: "auth/no-synchdr-only-challenge",
        role: Role::Client,
        allowed: Some(
            "send a package that carries operations (for instance a Generic Alert) along with its Status and challenge",
        ),
        verdict: Verdict::Pass,
        build: challenge_with_generic_alert,
    },
    Fixture {
        name: "server credentials accepted, the session ends",
        rule: "auth/no-synchdr-only-challenge",
        role: Role::Client,
        allowed: Some(
            "accept credentials the server did send (Status 212 or 200) and end the session",
        ),
        verdict: Verdict::Pass,
        build: server_cred_accepted_and_ended,
    },
    Fixture {
        name: "a SyncHdr-only challenge",
        rule: "auth/no-synchdr-only-challenge",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: synchdr_only_challenge,
    },
    Fixture {
        name: "a chunk refused with 413",
        rule: "lrgobj/213-for-chunk",
        role: Role::Client,
        allowed: Some("refuse the object with an error (413 over MaxObjSize, 424 size mismatch)"),
        verdict: Verdict::Pass,
        build: chunk_refused_413,
    },
    Fixture {
        name: "a chunk answered 200",
        rule: "lrgobj/213-for-chunk",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: chunk_answered_200,
    },
    Fixture {
        name: "only an object within MaxObjSize",
        rule: "lrgobj/max-obj-size",
        role: Role::Server,
        allowed: Some("leave the object out of the package"),
        verdict: Verdict::Pass,
        build: big_object_left_out,
    },
    Fixture {
        name: "an object over MaxObjSize",
        rule: "lrgobj/max-obj-size",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: object_over_max,
    },
    Fixture {
        name: "Content-Type with parameters",
        rule: "http/content-type",
        role: Role::Client,
        allowed: Some("parameters (charset, verproto, verdtd) after the type"),
        verdict: Verdict::Pass,
        build: content_type_with_params,
    },
    Fixture {
        name: "Content-Type in mixed case",
        rule: "http/content-type",
        role: Role::Client,
        allowed: Some("any letter case"),
        verdict: Verdict::Pass,
        build: content_type_mixed_case,
    },
    Fixture {
        name: "Content-Type text/xml",
        rule: "http/content-type",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: content_type_text_xml,
    },
    Fixture {
        name: "HTTP 503 without a DM message",
        rule: "http/status-200",
        role: Role::Server,
        allowed: Some("another status for a transport-level failure without a DM message"),
        verdict: Verdict::Pass,
        build: http_503_without_dm,
    },
    Fixture {
        name: "a DM message in HTTP 500",
        rule: "http/status-200",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: dm_message_in_http_500,
    },
    Fixture {
        name: "Package #1 without Cred refused 407",
        rule: "auth/server-refuses-missing-cred",
        role: Role::Server,
        allowed: Some("407 (the [PRO] §9.4.1 example: credentials missing)"),
        verdict: Verdict::Pass,
        build: refused_407,
    },
    Fixture {
        name: "Package #1 without Cred refused 401",
        rule: "auth/server-refuses-missing-cred",
        role: Role::Server,
        allowed: Some("401 ([PRO] §9.1: either code means the request requires authentication)"),
        verdict: Verdict::Pass,
        build: refused_401,
    },
    Fixture {
        name: "no Cred after 212, answered 200",
        rule: "auth/server-refuses-missing-cred",
        role: Role::Server,
        allowed: Some(
            "no credentials after the server answered 212 earlier in the session (§9.1: no further authentication is needed)",
        ),
        verdict: Verdict::Pass,
        build: no_cred_after_212,
    },
    Fixture {
        name: "Package #1 without Cred accepted with 212",
        rule: "auth/server-refuses-missing-cred",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: credless_pkg1_accepted,
    },
    Fixture {
        name: "wrong Basic password refused 401",
        rule: "auth/server-refuses-wrong-cred",
        role: Role::Server,
        allowed: Some("401 ([PRO] §9.1: the credentials were refused)"),
        verdict: Verdict::Pass,
        build: wrong_password_refused_401,
    },
    Fixture {
        name: "wrong Basic password refused 407",
        rule: "auth/server-refuses-wrong-cred",
        role: Role::Server,
        allowed: Some("407 ([PRO] §9.1: either code means the request requires authentication)"),
        verdict: Verdict::Pass,
        build: wrong_password_refused_407,
    },
    Fixture {
        name: "a probe after 212, answered 200",
        rule: "auth/server-refuses-wrong-cred",
        role: Role::Server,
        allowed: Some(
            "credentials after the server answered 212 earlier in the session are not judged (§9.1: no further authentication is needed)",
        ),
        verdict: Verdict::NotApplicable,
        build: probe_after_212,
    },
    Fixture {
        name: "a digest keyed with the nonce still in force, accepted 200",
        rule: "auth/server-refuses-wrong-cred",
        role: Role::Server,
        allowed: Some(
            "credentials keyed with the nonce still in force are valid: the same credentials again after a 200 without a new Chal ([PRO] §9.1: \"the same credentials MUST be sent within the next request\")",
        ),
        verdict: Verdict::NotApplicable,
        build: nonce_in_force_accepted,
    },
    Fixture {
        name: "a digest keyed with a replaced nonce, refused 401",
        rule: "auth/server-refuses-wrong-cred",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Pass,
        build: replaced_nonce_refused,
    },
    Fixture {
        name: "a wrong password over a TLS-authenticated client, accepted 212",
        rule: "auth/server-refuses-wrong-cred",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::NotApplicable,
        build: probe_over_authenticated_transport,
    },
    Fixture {
        name: "wrong Basic password accepted with 212",
        rule: "auth/server-refuses-wrong-cred",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: wrong_password_accepted_212,
    },
    Fixture {
        name: "a digest keyed with a replaced nonce, accepted 212",
        rule: "auth/server-refuses-wrong-cred",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: replaced_nonce_accepted,
    },
    Fixture {
        name: "wrong server credentials challenged 401",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: Some("401 ([PRO] §9.1: the credentials were refused)"),
        verdict: Verdict::Pass,
        build: server_cred_challenged_401,
    },
    Fixture {
        name: "wrong server credentials challenged 407",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: Some("407 ([PRO] §9.1: either code means the request requires authentication)"),
        verdict: Verdict::Pass,
        build: server_cred_challenged_407,
    },
    Fixture {
        name: "wrong server credentials: the client sends nothing more",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: Some(
            "end the session: send nothing more in it, or abort it with Alert 1223 ([PRO] §8.1.1)",
        ),
        verdict: Verdict::Pass,
        build: server_cred_session_ended,
    },
    Fixture {
        name: "wrong server credentials: the client aborts",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: Some(
            "end the session: send nothing more in it, or abort it with Alert 1223 ([PRO] §8.1.1)",
        ),
        verdict: Verdict::Pass,
        build: server_cred_session_aborted,
    },
    Fixture {
        name: "wrong server credentials without commands, accepted",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: Some(
            "a package without management commands is not judged here: ending is the refusal there, and a SyncHdr-only challenge is auth/no-synchdr-only-challenge's ([PRO] §9)",
        ),
        verdict: Verdict::NotApplicable,
        build: server_cred_without_commands,
    },
    Fixture {
        name: "wrong server credentials after the client's 212, answered 200",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: Some(
            "server credentials after the client answered 212 earlier in the session are not judged (§9.1: no further authentication is needed)",
        ),
        verdict: Verdict::NotApplicable,
        build: server_cred_probe_after_212,
    },
    Fixture {
        name: "wrong server credentials accepted over TLS",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::NotApplicable,
        build: server_cred_accepted_over_tls,
    },
    Fixture {
        name: "wrong server credentials, then the harness's limit",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::NotApplicable,
        build: server_cred_ended_then_harness_limit,
    },
    Fixture {
        name: "wrong server credentials accepted with 212, the Get run",
        rule: "auth/client-refuses-wrong-server-cred",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: server_cred_accepted,
    },
    Fixture {
        name: "RespURI on another host, the path followed",
        rule: "session/respuri-followed",
        role: Role::Client,
        allowed: Some(
            "send to RespURI, with or without the host part matching the server's own address",
        ),
        verdict: Verdict::Pass,
        build: respuri_path_only,
    },
    Fixture {
        name: "no more messages after a RespURI",
        rule: "session/respuri-followed",
        role: Role::Client,
        allowed: Some("end the session instead of sending more"),
        verdict: Verdict::Pass,
        build: respuri_then_nothing,
    },
    Fixture {
        name: "RespURI ignored",
        rule: "session/respuri-followed",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: respuri_ignored,
    },
    Fixture {
        name: "Package 0 with its own ui-mode, initiator and vendor data",
        rule: "pkg0/version",
        role: Role::Server,
        allowed: Some("any ui-mode, initiator, session identifier and vendor-specific data"),
        verdict: Verdict::Pass,
        build: pkg0_other_fields,
    },
    Fixture {
        name: "Package 0 of version 12",
        rule: "pkg0/version",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: pkg0_version_12,
    },
    Fixture {
        name: "x-syncml-hmac without spaces",
        rule: "auth/hmac-header",
        role: Role::Client,
        allowed: Some("no spaces after the commas"),
        verdict: Verdict::Pass,
        build: hmac_no_spaces,
    },
    Fixture {
        name: "x-syncml-hmac without algorithm",
        rule: "auth/hmac-header",
        role: Role::Client,
        allowed: Some("algorithm left out (MD5 is the default)"),
        verdict: Verdict::Pass,
        build: hmac_without_algorithm,
    },
    Fixture {
        name: "x-syncml-hmac without username",
        rule: "auth/hmac-header",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: hmac_without_username,
    },
    Fixture {
        name: "Content-Type without verproto",
        rule: "http/verproto-param",
        role: Role::Client,
        allowed: Some("no verproto parameter at all"),
        verdict: Verdict::Pass,
        build: content_type_mixed_case,
    },
    Fixture {
        name: "Content-Type verproto matching VerProto",
        rule: "http/verproto-param",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Pass,
        build: content_type_with_params,
    },
    Fixture {
        name: "Content-Type verproto DM/1.1 for a DM/1.2 message",
        rule: "http/verproto-param",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: verproto_other,
    },
    Fixture {
        name: "a failed Atomic: 216 and the command's own error",
        rule: "atomic/all-or-nothing",
        role: Role::Client,
        allowed: Some("216 or the command's own error code for inner commands of a failed Atomic"),
        verdict: Verdict::Pass,
        build: atomic_rolled_back,
    },
    Fixture {
        name: "an Atomic holding a Get answered 500",
        rule: "atomic/all-or-nothing",
        role: Role::Client,
        allowed: Some("500 for a Get or a nested Atomic inside"),
        verdict: Verdict::Pass,
        build: atomic_with_get,
    },
    Fixture {
        name: "a failed Atomic keeps an Add",
        rule: "atomic/all-or-nothing",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: atomic_half_kept,
    },
    Fixture {
        name: "a second challenge for HMAC with its own nonce",
        rule: "auth/fresh-nonce-after-failure",
        role: Role::Server,
        allowed: Some("a new scheme with its own nonce"),
        verdict: Verdict::Pass,
        build: rechallenged_for_hmac,
    },
    Fixture {
        name: "a second challenge repeating the nonce",
        rule: "auth/fresh-nonce-after-failure",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: rechallenged_same_nonce,
    },
    Fixture {
        name: "Package #3 split to fit MaxMsgSize",
        rule: "msg/max-msg-size",
        role: Role::Client,
        allowed: Some("split the package into several messages (Alert 1222)"),
        verdict: Verdict::Pass,
        build: split_package,
    },
    Fixture {
        name: "a large object in chunks within MaxMsgSize",
        rule: "msg/max-msg-size",
        role: Role::Server,
        allowed: Some("cut a large object into chunks"),
        verdict: Verdict::Pass,
        build: chunks_under_max,
    },
    Fixture {
        name: "a message one byte over MaxMsgSize",
        rule: "msg/max-msg-size",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: message_over_max,
    },
    Fixture {
        name: "213 for a chunk of the client's Results",
        rule: "status/no-200-for-results",
        role: Role::Server,
        allowed: Some("213 for a chunk of a large Results"),
        verdict: Verdict::Pass,
        build: results_chunk_answered_213,
    },
    Fixture {
        name: "Package #1 repeated with MD5 to the RespURI",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: Some("re-send Package #1 as described, to RespURI when given"),
        verdict: Verdict::Pass,
        build: repeated_to_resp_uri,
    },
    Fixture {
        name: "Package #1 repeated past the RespURI",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: repeated_past_resp_uri,
    },
    Fixture {
        name: "MD5 challenge answered with Basic",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: md5_answered_with_basic,
    },
    Fixture {
        name: "Basic challenge, the client ends the session",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: Some(
            "end the session when the scheme asked for is one the client does not support (§9: answer with the requested type or terminate); MD5 support is mandatory",
        ),
        verdict: Verdict::Pass,
        build: basic_challenge_ended,
    },
    Fixture {
        name: "repeated Package #1 as MsgID 3",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: Some("a MsgID that grows by more than one"),
        verdict: Verdict::Pass,
        build: repeated_msgid_skips,
    },
    Fixture {
        name: "challenge answered with Alert 1223",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: Some(
            "abort the session with Alert 1223 instead ([PRO] §8.1.1: either side may abort at any time)",
        ),
        verdict: Verdict::Pass,
        build: challenge_aborted,
    },
    Fixture {
        name: "a new session with MD5 after the challenge",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: Some(
            "end the session and open a new one whose Package #1 carries the credentials asked for (§9.1 binds only a continued session)",
        ),
        verdict: Verdict::Pass,
        build: new_session_md5,
    },
    Fixture {
        name: "a new session with Basic after an MD5 challenge",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: new_session_basic,
    },
    Fixture {
        name: "no answer to a challenge that came with Alert 1223",
        rule: "session/reauth-continues",
        role: Role::Client,
        allowed: Some(
            "not answer when the server aborted the session (Alert 1223) along with its challenge ([PRO] §8.1.2)",
        ),
        verdict: Verdict::Inconclusive,
        build: challenge_with_abort_unanswered,
    },
    Fixture {
        name: "MD5 challenge answered with MD5",
        rule: "auth/client-answers-scheme",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Pass,
        build: repeated_to_resp_uri,
    },
    Fixture {
        name: "MD5 challenge answered with Basic (both rules fail)",
        rule: "auth/client-answers-scheme",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: md5_answered_with_basic,
    },
    Fixture {
        name: "Basic challenge, the client ends the session",
        rule: "auth/client-answers-scheme",
        role: Role::Client,
        allowed: Some(
            "end the session instead ([SEC] §5.4.1: answer with the requested type or the session is terminated); whether MD5 had to be answered is judged by session/reauth-continues",
        ),
        verdict: Verdict::Pass,
        build: basic_challenge_ended,
    },
    Fixture {
        name: "MD5 challenge, the client ends the session",
        rule: "auth/client-answers-scheme",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Pass,
        build: md5_challenge_ended,
    },
    Fixture {
        name: "challenge answered with Alert 1223",
        rule: "auth/client-answers-scheme",
        role: Role::Client,
        allowed: Some(
            "abort the session with Alert 1223 instead of answering ([PRO] §8.1.1; [SEC] §5.4.1: or the session is terminated)",
        ),
        verdict: Verdict::Pass,
        build: challenge_aborted,
    },
    Fixture {
        name: "MD5 challenge answered with MD5 in the session",
        rule: "auth/md5-client-support",
        role: Role::Client,
        allowed: Some("answer with MD5 credentials in the session it was challenged in"),
        verdict: Verdict::Pass,
        build: repeated_to_resp_uri,
    },
    Fixture {
        name: "MD5 challenge answered in a new session with MD5",
        rule: "auth/md5-client-support",
        role: Role::Client,
        allowed: Some(
            "end the session and open a new one whose Package #1 carries MD5 credentials",
        ),
        verdict: Verdict::Pass,
        build: new_session_md5,
    },
    Fixture {
        name: "MD5 challenge answered with Alert 1223",
        rule: "auth/md5-client-support",
        role: Role::Client,
        allowed: Some(
            "abort the session with Alert 1223 (support is then not shown either way: inconclusive)",
        ),
        verdict: Verdict::Inconclusive,
        build: challenge_aborted,
    },
    Fixture {
        name: "MD5 challenge with the server's abort, unanswered",
        rule: "auth/md5-client-support",
        role: Role::Client,
        allowed: Some(
            "not answer a challenge that came with the server's Session Abort ([PRO] §8.1.2)",
        ),
        verdict: Verdict::NotApplicable,
        build: challenge_with_abort_unanswered,
    },
    Fixture {
        name: "MD5 challenge answered with Basic",
        rule: "auth/md5-client-support",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: md5_answered_with_basic,
    },
    Fixture {
        name: "MD5 challenge, a new session with Basic",
        rule: "auth/md5-client-support",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: new_session_basic,
    },
    Fixture {
        name: "MD5 challenge, the client says nothing more",
        rule: "auth/md5-client-support",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: md5_challenge_ended,
    },
    Fixture {
        name: "Basic refused for MD5 in setup, then MD5",
        rule: "auth/scheme-constant",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Pass,
        build: switched_at_setup_challenge,
    },
    Fixture {
        name: "MD5 re-challenged with MD5",
        rule: "auth/scheme-constant",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Pass,
        build: rechallenged_same_scheme,
    },
    Fixture {
        name: "MD5 accepted, re-challenged for Basic, Basic sent",
        rule: "auth/scheme-constant",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: switched_at_rechallenge,
    },
    Fixture {
        name: "Atomic too large: 517, inner commands rolled back",
        rule: "atomic/all-or-nothing",
        role: Role::Client,
        allowed: Some(
            "517 for an Atomic whose responses would not fit one message, its commands rolled back",
        ),
        verdict: Verdict::Pass,
        build: atomic_too_large_rolled_back,
    },
    Fixture {
        name: "Atomic too large: 517, an inner command kept",
        rule: "atomic/all-or-nothing",
        role: Role::Client,
        allowed: None,
        verdict: Verdict::Fail,
        build: atomic_too_large_kept,
    },
    Fixture {
        name: "TNDS MgmtTree in its own namespace inside an Add's Data",
        rule: "msg/syncml-namespace",
        role: Role::Server,
        allowed: Some(
            "content of another vocabulary inside Data (a TNDS MgmtTree in syncml:dmddf1.2)",
        ),
        verdict: Verdict::Pass,
        build: tnds_in_data,
    },
    Fixture {
        name: "no namespace declared on SyncML",
        rule: "msg/syncml-namespace",
        role: Role::Server,
        allowed: Some("a message that declares no namespace (the DTD fixes it)"),
        verdict: Verdict::Pass,
        build: no_namespace_declared,
    },
    Fixture {
        name: "a vendor element in the SyncHdr",
        rule: "msg/syncml-namespace",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: foreign_in_synchdr,
    },
    Fixture {
        name: "a Get written in a vendor namespace",
        rule: "msg/syncml-namespace",
        role: Role::Server,
        allowed: None,
        verdict: Verdict::Fail,
        build: foreign_command,
    },
];

/// Rules whose `allowed` entries have no fixture here yet: the work left, in plain
/// sight. Remove a rule as soon as all its entries have one.
const KNOWN_MISSING: &[&str] = &[];

#[test]
fn every_fixture_gets_its_verdict() {
    // All mismatches at once, each with the finding's reason.
    let wrong: Vec<String> = FIXTURES
        .iter()
        .filter_map(|f| {
            let got = finding(&(f.build)(), f.rule, f.role);
            (got.verdict != f.verdict).then(|| {
                format!(
                    "{} ({}): {} not {}: {}",
                    f.name, f.rule, got.verdict, f.verdict, got.detail
                )
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn every_rule_with_a_fixture_has_a_violating_one() {
    for f in FIXTURES {
        assert!(
            FIXTURES
                .iter()
                .any(|v| v.rule == f.rule && v.verdict == Verdict::Fail),
            "{} has no violating fixture",
            f.rule
        );
    }
}

#[test]
fn every_allowed_entry_has_a_fixture_or_is_listed_missing() {
    let mut uncovered = Vec::new();
    for r in statements()
        .iter()
        .filter(|r| r.status == RuleStatus::Testable)
    {
        let covered = |a: &String| {
            FIXTURES
                .iter()
                .any(|f| f.rule == r.id && f.allowed == Some(a))
        };
        let missing: Vec<&String> = r.allowed.iter().filter(|a| !covered(a)).collect();
        let listed = KNOWN_MISSING.contains(&r.id.as_str());
        if !missing.is_empty() && !listed {
            uncovered.push(format!("{}: {missing:?}", r.id));
        }
        assert!(
            !listed || !missing.is_empty(),
            "{} is listed missing but every allowed entry has a fixture",
            r.id
        );
    }
    assert!(
        uncovered.is_empty(),
        "allowed entries without a fixture: {uncovered:#?}"
    );
    // A fixture names an entry the catalog has, word for word.
    for f in FIXTURES {
        if let Some(a) = f.allowed {
            let rule = statements().iter().find(|r| r.id == f.rule).unwrap();
            assert!(
                rule.allowed.iter().any(|x| x == a),
                "{}: {a:?} is not an allowed entry of {}",
                f.name,
                f.rule
            );
        }
    }
    for id in KNOWN_MISSING {
        assert!(statements().iter().any(|r| r.id == *id), "{id} is no rule");
    }
}

#[test]
fn reauth_findings_say_which_answer_they_saw() {
    // The verdicts are judged above; these say why, so a lab can hold them to the text.
    let cases: [(Build, &str); 5] = [
        (challenge_aborted, "aborted the session with Alert 1223"),
        (new_session_md5, "opened a new one"),
        (new_session_basic, "started over in a new session"),
        (challenge_with_abort_unanswered, "Alert 1223"),
        (md5_answered_with_basic, "syncml:auth-md5 was asked for"),
    ];
    for (build, says) in cases {
        let f = finding(&build(), "session/reauth-continues", Role::Client);
        assert!(f.detail.contains(says), "{:?} lacks {says:?}", f.detail);
    }
}
