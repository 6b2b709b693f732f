//! Fixtures: hand-written transcripts, each judged as labelled. A rule's fixtures live
//! in its file's `#[cfg(test)] pub(crate) mod tests` as `const FIXTURES: &[Fixture]`:
//! passing ones for each `allowed` entry of its declaration and violating ones. build.rs
//! collects them beside the check (`catalog::FIXTURES`), and the tests here fail when an
//! `allowed` entry has no fixture and is not listed in [`KNOWN_MISSING`], so the gap
//! stays visible. Here too: the transcript helpers several rules' fixtures share.

// What the rule files' test modules take with `use crate::fixture::*`.
pub(crate) use crate::{Finding, Role, Verdict, check};
pub(crate) use dmct_proto::package0::{Notification, encode};
pub(crate) use dmct_proto::transcript::{Closing, ExchangeFailure, Probe, ProbeKind, Transcript};
pub(crate) use dmct_test_transcript::*;

/// A hand-written transcript and the verdict its rule must give it.
pub(crate) struct Fixture {
    pub name: &'static str,
    pub role: Role,
    /// The catalog's `allowed` entry the fixture shows; `None` for a baseline or a
    /// violation.
    pub allowed: Option<&'static str>,
    pub verdict: Verdict,
    pub build: Build,
}

pub(crate) type Build = fn() -> Transcript;

/// Rules whose `allowed` entries have no fixture yet: the work left, in plain sight.
/// Remove a rule as soon as all its entries have one.
const KNOWN_MISSING: &[&str] = &[];

/// The finding of `rule` for `role`.
pub(crate) fn finding(t: &Transcript, rule: &str, role: Role) -> Finding {
    check(t)
        .into_iter()
        .find(|f| f.rule == rule && f.role == role)
        .unwrap_or_else(|| panic!("{rule} gave no finding for the {role}"))
}

// ---------------------------------------------------------------------------------
// Helpers the fixtures of several rules share.

pub(crate) const MD5: &str = "syncml:auth-md5";

/// A `<Chal>` for `scheme` handing over `nonce` (b64).
pub(crate) fn chal(scheme: &str, nonce: &str) -> String {
    format!(
        "<Chal>{}</Chal>",
        meta(&[("Type", scheme), ("Format", "b64"), ("NextNonce", nonce)])
    )
}

/// Package #1 (client-initiated) answered by `pkg2`.
pub(crate) fn opened(pkg2: Msg) -> Session {
    Session::new().exchange(Msg::client(1).setup("1201"), pkg2)
}

/// The usual Package #2: 212 for the SyncHdr, 200 for the Alert (CmdID 1).
pub(crate) fn pkg2() -> Msg {
    Msg::server(1).hdr_status(1, 212).status(1, 1, "Alert", 200)
}

/// The server replaces ./Ext/Blob with a 10-byte object in two chunks; `first_cmd`
/// and `first_item` are the Metas of the first chunk's Replace and Item, `later_cmd`
/// the later chunk's Replace Meta.
pub(crate) fn chunked(first_cmd: &str, first_item: &str, later_cmd: &str) -> Transcript {
    chunked_after(
        Msg::client(1).setup("1201"),
        first_cmd,
        first_item,
        later_cmd,
    )
}

/// [`chunked`], the session opened by `pkg1`.
pub(crate) fn chunked_after(
    pkg1: Msg,
    first_cmd: &str,
    first_item: &str,
    later_cmd: &str,
) -> Transcript {
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

pub(crate) fn size_in_item() -> Transcript {
    chunked("", &meta(&[("Size", "10")]), "")
}

/// The server's Get (Package #2) answered in a Package #3 of two messages; `answer`
/// is the server's reply to the first, and `more` whether the client sends its second.
pub(crate) fn multi_message(answer: Msg, more: bool) -> Transcript {
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

pub(crate) fn next_message_1222() -> Transcript {
    multi_message(Msg::server(2).hdr_status(2, 200).alert("1222").more(), true)
}

/// The server's Get (Package #2); the client's next message is `reply`, which the
/// server leaves unanswered.
pub(crate) fn client_reply_unanswered(reply: Msg) -> Transcript {
    opened(pkg2().get("./DevInfo/Mod")).unanswered(reply).done()
}

pub(crate) fn client_aborts() -> Transcript {
    client_reply_unanswered(Msg::client(2).hdr_status(1, 200).alert("1223"))
}

pub(crate) fn client_ignores_get() -> Transcript {
    client_reply_unanswered(Msg::client(2).hdr_status(1, 200).alert("1226"))
}

pub(crate) fn server_aborts_client_answers() -> Transcript {
    // A response to an abort "is ignored" (§8.1.1): it owes the Get nothing.
    opened(pkg2().get("./DevInfo/Mod").alert("1223"))
        .exchange(
            Msg::client(2).hdr_status(1, 200),
            Msg::server(2).hdr_status(2, 200),
        )
        .done()
}

pub(crate) fn server_aborts_client_silent() -> Transcript {
    // The server's Get comes with its Alert 1223: the client "SHOULD NOT respond"
    // (§8.1.2), so its silence leaves the Get unanswered and conforms.
    let mut t = opened(pkg2().get("./DevInfo/Mod").alert("1223")).done();
    t.closing = Closing::IdleTimeout { after_ms: 10_000 };
    t
}

pub(crate) fn server_answers() -> Transcript {
    opened(pkg2()).done()
}

/// A Package 0 for session 0x1A2, answered by `pkg1` of session `id`.
pub(crate) fn pkg0_answered_by(id: &str, pkg1: Msg) -> Transcript {
    let n = Notification::new("dmct", 0x1A2);
    Session::new()
        .package0(encode(&n, "secret", &[0; 4]).unwrap())
        .exchange(pkg1, pkg2().session(id))
        .done()
}

/// `pkg1` answered by the usual Package #2.
pub(crate) fn opened_with(pkg1: Msg) -> Transcript {
    Session::new().exchange(pkg1, pkg2()).done()
}

pub(crate) fn client_alerts_of_dm_codes() -> Transcript {
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

/// Package #1 refused 401 with `chal`.
pub(crate) fn refused_with(chal: &str) -> Transcript {
    refused(401, chal)
}

/// Package #1 (without Cred) refused `code` with `chal`, for the SyncHdr and the Alert.
pub(crate) fn refused(code: u16, chal: &str) -> Transcript {
    refused_cmd_chal(code, chal, chal)
}

/// Package #1 refused `code`: `hdr_chal` in the SyncHdr's Status, `cmd_chal` in the
/// Alert's.
pub(crate) fn refused_cmd_chal(code: u16, hdr_chal: &str, cmd_chal: &str) -> Transcript {
    opened(
        Msg::server(1)
            .status_with(1, 0, "SyncHdr", code, hdr_chal)
            .status_with(1, 1, "Alert", code, cmd_chal),
    )
    .done()
}

pub(crate) fn basic_chal_without_nonce() -> Transcript {
    refused_with(&format!(
        "<Chal>{}</Chal>",
        meta(&[("Type", "syncml:auth-basic"), ("Format", "b64")])
    ))
}

/// MD5 credentials in Package #1 answered 200, then the client's next two messages
/// with Creds of `later` (`None`: no Cred), each answered 200.
pub(crate) fn md5_then(later: [Option<&str>; 2]) -> Transcript {
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

/// MD5 in Package #1 answered 212, then no more credentials.
pub(crate) fn no_cred_after_212() -> Transcript {
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

/// The client's answer to the server's Get, as MsgID `msg_id` of session `session`.
pub(crate) fn get_answered_as(msg_id: u32, session: &str) -> Transcript {
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

/// The server's Get of ./DevInfo/Mod answered `code` by the client, with Results when
/// `results`; the server's closing package answers the Results with `results_status`.
pub(crate) fn get_answered(code: u16, results: bool, results_status: Option<u16>) -> Transcript {
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

pub(crate) fn get_with_results() -> Transcript {
    get_answered(200, true, None)
}

/// The client's messages labelled `content_type`.
pub(crate) fn client_labelled(content_type: &str) -> Transcript {
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

pub(crate) fn content_type_with_params() -> Transcript {
    client_labelled("application/vnd.syncml.dm+xml; charset=UTF-8; verproto=\"DM/1.2\"")
}

pub(crate) fn content_type_mixed_case() -> Transcript {
    client_labelled("Application/VND.SyncML.DM+XML")
}

pub(crate) fn refused_401() -> Transcript {
    refused(401, &chal(MD5, "Tm9uY2Ux"))
}

pub(crate) const BASIC: &str = "syncml:auth-basic";

pub(crate) const RESP_URI: &str = "http://www.syncml.org/mgmt-server/s1";

/// Package #2 refusing Package #1 (Alert 1, Replace 2) with 401 and a Chal for
/// `scheme` (a nonce only where the scheme uses one), to be answered at RESP_URI.
pub(crate) fn challenge_for(scheme: &str) -> Msg {
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
pub(crate) fn challenged_for(scheme: &str, closing: Closing) -> Session {
    Session::new()
        .exchange(Msg::client(1).setup("1201"), challenge_for(scheme))
        .closing(closing)
}

/// The server accepting a repeated Package #1 (MsgID `msg_id`) and ending the session.
pub(crate) fn accepted(msg_id: u32) -> Msg {
    Msg::server(2)
        .hdr_status(msg_id, 212)
        .status(msg_id, 2, "Alert", 200)
        .status(msg_id, 3, "Replace", 200)
}

/// Challenged for MD5; Package #1 repeated as MsgID `msg_id` with a Cred of `scheme`,
/// posted to `path`.
pub(crate) fn repeated(path: &str, msg_id: u32, scheme: &str) -> Transcript {
    let again = Msg::client(msg_id)
        .loc_name("Bruce2")
        .cred(scheme, "ZGlnZXN0")
        .hdr_status(1, 200)
        .setup("1201");
    challenged_for(MD5, Closing::PeerDone)
        .exchange_at(path, again, accepted(msg_id))
        .done()
}

pub(crate) fn repeated_to_resp_uri() -> Transcript {
    repeated("/mgmt-server/s1", 2, MD5)
}

pub(crate) fn md5_answered_with_basic() -> Transcript {
    repeated("/mgmt-server/s1", 2, BASIC)
}

pub(crate) fn basic_challenge_ended() -> Transcript {
    // [SEC] §5.3 makes only MD5 mandatory for the client.
    challenged_for(BASIC, Closing::IdleTimeout { after_ms: 10_000 }).done()
}

pub(crate) fn md5_challenge_ended() -> Transcript {
    // A terminated session answers `ClientAnswersScheme`; that MD5 had to be
    // answered is `ReauthContinues`' finding, not a second one here.
    challenged_for(MD5, Closing::PeerDone).done()
}

pub(crate) fn challenge_aborted() -> Transcript {
    challenged_for(MD5, Closing::PeerDone)
        .exchange_at(
            "/mgmt-server/s1",
            Msg::client(2).hdr_status(1, 200).alert("1223"),
            Msg::server(2).hdr_status(2, 200).status(2, 2, "Alert", 200),
        )
        .done()
}

/// Challenged for MD5; a new session (SessionID 2) opened with a Cred of `scheme`.
pub(crate) fn new_session_with(scheme: &str) -> Transcript {
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

pub(crate) fn new_session_md5() -> Transcript {
    new_session_with(MD5)
}

pub(crate) fn new_session_basic() -> Transcript {
    new_session_with(BASIC)
}

pub(crate) fn challenge_with_abort_unanswered() -> Transcript {
    Session::new()
        .exchange(
            Msg::client(1).setup("1201"),
            challenge_for(MD5).alert("1223"),
        )
        .closing(Closing::IdleTimeout { after_ms: 10_000 })
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::FIXTURES;
    use crate::{CATALOG, RuleStatus, statements};

    #[test]
    fn every_fixture_gets_its_verdict() {
        // All mismatches at once, each with the finding's reason.
        let wrong: Vec<String> = FIXTURES
            .iter()
            .flat_map(|(r, fs)| fs.iter().map(move |f| (r.id(), f)))
            .filter_map(|(rule, f)| {
                let got = finding(&(f.build)(), rule, f.role);
                (got.verdict != f.verdict).then(|| {
                    format!(
                        "{} ({rule}): {} not {}: {}",
                        f.name, got.verdict, f.verdict, got.detail
                    )
                })
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    /// A finding's span is where its excerpt came from, read independently of the
    /// decoder: for XML, the excerpt is exactly the span's bytes (or their start, when
    /// the excerpt was cut); for WBXML, what the XML view shows for the span
    /// ([`wbxml_span_is_shown`]). And the excerpt is a function of the recorded bytes and
    /// the span alone ([`excerpt_at`]), so a report writer could make it from them.
    #[test]
    fn every_span_is_where_the_excerpt_is() {
        use crate::Side;
        let (mut xml, mut wbxml) = (0, 0);
        for (r, fs) in FIXTURES {
            for f in fs.iter() {
                // Each fixture as written, and with every body it decodes as WBXML.
                let written = (f.build)();
                let twin = wbxml_twin(&written);
                for (t, got) in [&written, &twin]
                    .into_iter()
                    .flat_map(|t| check(t).into_iter().map(move |g| (t, g)))
                    .filter(|(_, g)| g.span.is_some())
                {
                    let at = format!("{} ({}): {}", f.name, r.id(), got.rule);
                    let span = got.span.unwrap();
                    let e = &t.exchanges[got.exchange.expect(&at)];
                    let body = match got.message.expect(&at) {
                        Side::Request => e.request.body.as_bytes(),
                        Side::Response => e.response.as_ref().expect(&at).body.as_bytes(),
                    };
                    assert!(span.start < span.end && span.end <= body.len(), "{at}");
                    let excerpt = got.excerpt.as_deref().expect(&at);
                    assert_eq!(excerpt, excerpt_at(body, span.start..span.end), "{at}");
                    if let Some(e) = excerpt.strip_prefix(dmct_proto::xml::WBXML_EXCERPT_LABEL) {
                        wbxml += 1;
                        wbxml_span_is_shown(body, span.start..span.end, e.trim(), &at);
                        continue;
                    }
                    xml += 1;
                    let bytes = String::from_utf8_lossy(&body[span.start..span.end]);
                    match excerpt.strip_suffix("...") {
                        Some(cut) if bytes != excerpt => {
                            assert!(bytes.starts_with(cut), "{at}: {bytes} / {excerpt}")
                        }
                        _ => assert_eq!(bytes, excerpt, "{at}"),
                    }
                }
            }
        }
        assert!(xml > 20, "only {xml} XML spans");
        assert!(wbxml > 20, "only {wbxml} WBXML spans");
        println!("spans checked: {xml} XML, {wbxml} WBXML");
    }

    /// The excerpt of the element at `span` of a recorded body, from the bytes alone:
    /// its wire text (`Decoded::excerpt`), or a body that is no DM message as text,
    /// clipped as the rules clip it.
    fn excerpt_at(body: &[u8], span: std::ops::Range<usize>) -> String {
        let text = match dmct_proto::decode(body) {
            Ok(d) => d.excerpt(&span).unwrap_or_default(),
            Err(_) => String::from_utf8_lossy(&body[span]).into_owned(),
        };
        crate::rules::clip(text.into()).text
    }

    /// `t` with every XML body that decodes encoded as WBXML instead (its model's
    /// encoding; heads unchanged).
    fn wbxml_twin(t: &Transcript) -> Transcript {
        use dmct_proto::transcript::Body;
        use dmct_proto::xml::Encoding;
        let twin = |b: &mut Body| match dmct_proto::decode(b.as_bytes()) {
            Ok(d) if d.encoding == Encoding::Xml => {
                *b = Body::from(dmct_proto::encode(&d.message, Encoding::Wbxml));
            }
            _ => {}
        };
        let mut t = t.clone();
        for e in &mut t.exchanges {
            twin(&mut e.request.body);
            if let Some(r) = &mut e.response {
                twin(&mut r.body);
            }
        }
        t
    }

    /// A WBXML span, as the reports show it: the XML view's lines that the streaming
    /// writer marks for it (the HTML's highlight), read back as XML, are the element the
    /// model has at that span (the SyncHdr or the command of that index, named so), and
    /// hold what the excerpt quotes.
    fn wbxml_span_is_shown(body: &[u8], span: std::ops::Range<usize>, excerpt: &str, at: &str) {
        use dmct_proto::tree::{Element, Node};
        fn texts(el: &Element, out: &mut Vec<String>) {
            out.push(format!("<{}>", el.name));
            for c in &el.children {
                match c {
                    Node::Element(c) => texts(c, out),
                    Node::Text(t) if t.trim().is_empty() => {}
                    Node::Text(t) => out.push(t.trim().to_owned()),
                    Node::Opaque(b) => out.push(format!("{} opaque bytes", b.len())),
                }
            }
            out.push(format!("</{}>", el.name));
        }
        let d = dmct_proto::decode(body).expect(at);
        let (view, marks) = d.wire_text_marking(std::slice::from_ref(&span));
        let mark = marks[0]
            .clone()
            .unwrap_or_else(|| panic!("{at}: span not marked"));
        let read = dmct_proto::xml::parse_tree(view[mark].as_bytes()).expect(at);
        let name = match d.spans.commands.iter().position(|c| c == span) {
            Some(i) => d.message.body.commands[i].name().to_owned(),
            None if d.spans.hdr == span => "SyncHdr".to_owned(),
            None => panic!("{at}: the span names neither the SyncHdr nor a command"),
        };
        assert_eq!(read.name, name, "{at}");
        let mut shown = Vec::new();
        texts(&read, &mut shown);
        match excerpt.strip_suffix("...") {
            // Cut by the rules: what is kept starts the element.
            Some(cut) => {
                let kept: String = cut.chars().filter(|c| !c.is_whitespace()).collect();
                let all: String = view[marks[0].clone().unwrap()]
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                assert!(all.starts_with(&kept), "{at}: {kept} / {all}");
            }
            None => {
                let quoted = dmct_proto::xml::parse_tree(excerpt.as_bytes()).expect(at);
                let mut want = Vec::new();
                texts(&quoted, &mut want);
                assert_eq!(shown, want, "{at}");
            }
        }
    }

    #[test]
    fn every_rule_with_a_fixture_has_a_violating_one() {
        for (r, fs) in FIXTURES {
            assert!(
                fs.iter().any(|f| f.verdict == Verdict::Fail),
                "{} has no violating fixture",
                r.id()
            );
        }
    }

    #[test]
    fn every_allowed_entry_has_a_fixture_or_is_listed_missing() {
        fn fixtures(id: &str) -> impl Iterator<Item = &'static Fixture> + '_ {
            FIXTURES
                .iter()
                .filter(move |(r, _)| r.id() == id)
                .flat_map(|(_, fs)| fs.iter())
        }
        let mut uncovered = Vec::new();
        for r in statements()
            .iter()
            .filter(|r| r.status == RuleStatus::Testable)
        {
            let covered = |a: &String| fixtures(&r.id).any(|f| f.allowed == Some(a));
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
        // A fixture names an entry its rule's declaration has, word for word.
        for (r, fs) in FIXTURES {
            for a in fs.iter().filter_map(|f| f.allowed) {
                assert!(
                    r.decl().allowed.contains(&a),
                    "{a:?} is not an allowed entry of {}",
                    r.id()
                );
            }
        }
        for id in KNOWN_MISSING {
            assert!(statements().iter().any(|r| r.id == *id), "{id} is no rule");
        }
        // Each check's fixtures are collected once, from its own file.
        assert!(
            FIXTURES
                .iter()
                .all(|(r, _)| CATALOG.iter().any(|c| c.id() == r.id()))
        );
    }
}
