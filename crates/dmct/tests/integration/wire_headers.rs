//! Every HTTP head dmct writes, read off a real loopback socket by strict parsers that
//! are not dmct's: httparse for the head (RFC 7230) and mediatype for Content-Type
//! (RFC 6838/7231). A TCP relay between the peers records the bytes as they pass.
//! Covered: the harness as client and as server, the reference peers (`dmct peer`)
//! and `dmct drive` as processes, the faults' header edits, and the proxy's own
//! answers (its challenge, 502, 504), each with verproto quoted and omitted.

use crate::common;

use common::*;
use dmct_proto::media_type::{MediaType, VerProtoParam};
use dmct_session::{Client, ClientFault, Server, ServerFault};
use dmct_suite::runner::{self, CaseResponder, ExternalServer, TargetServer};
use dmct_suite::{Options, peers};
use mediatype::ReadParams as _;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// One connection's bytes: what the client sent, what it was answered.
type Conn = Arc<Mutex<(Vec<u8>, Vec<u8>)>>;
type Recorded = Arc<Mutex<Vec<Conn>>>;

/// A listener for the relay, and its `http://` origin.
async fn relay_listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

/// Relay every connection to `upstream`, recording both directions.
fn relay(listener: TcpListener, upstream: SocketAddr) -> Recorded {
    let conns = Recorded::default();
    let all = conns.clone();
    tokio::spawn(async move {
        while let Ok((down, _)) = listener.accept().await {
            let Ok(up) = TcpStream::connect(upstream).await else {
                continue;
            };
            let conn = Conn::default();
            all.lock().unwrap().push(conn.clone());
            let (dr, dw) = down.into_split();
            let (ur, uw) = up.into_split();
            tokio::spawn(pipe(dr, uw, conn.clone(), true));
            tokio::spawn(pipe(ur, dw, conn, false));
        }
    });
    conns
}

async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, conn: Conn, request: bool) {
    let mut buf = vec![0; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf).await {
        // Recorded before it is passed on, so a peer that has its answer has it here.
        {
            let mut c = conn.lock().unwrap();
            let side = if request { &mut c.0 } else { &mut c.1 };
            side.extend_from_slice(&buf[..n]);
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// One message head as httparse read it: the request line or status, and the fields.
#[derive(Debug)]
struct Head {
    start: String,
    fields: Vec<(String, Vec<u8>)>,
}

impl Head {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| std::str::from_utf8(v).unwrap())
    }
}

/// Every message of one direction of a connection: each head must parse whole with
/// httparse (which refuses field names that are not tokens), each body is skipped by
/// its Content-Length.
fn heads(mut bytes: &[u8], requests: bool) -> Vec<Head> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let mut fields = [httparse::EMPTY_HEADER; 64];
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]).into_owned();
        let (n, start, fields) = if requests {
            let mut r = httparse::Request::new(&mut fields);
            let n = match r.parse(bytes) {
                Ok(httparse::Status::Complete(n)) => n,
                other => panic!("not a whole RFC 7230 request head ({other:?}):\n{shown}"),
            };
            let start = format!("{} {}", r.method.unwrap(), r.path.unwrap());
            (n, start, owned(r.headers))
        } else {
            let mut r = httparse::Response::new(&mut fields);
            let n = match r.parse(bytes) {
                Ok(httparse::Status::Complete(n)) => n,
                other => panic!("not a whole RFC 7230 response head ({other:?}):\n{shown}"),
            };
            (n, r.code.unwrap().to_string(), owned(r.headers))
        };
        let head = Head { start, fields };
        assert_eq!(head.get("transfer-encoding"), None, "{head:?}");
        let len: usize = head.get("content-length").map_or(0, |v| v.parse().unwrap());
        bytes = &bytes[n + len..];
        out.push(head);
    }
    out
}

fn owned(fields: &[httparse::Header<'_>]) -> Vec<(String, Vec<u8>)> {
    fields
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect()
}

/// What one head may say: every value visible ASCII, SP or HTAB (no obs-text, no
/// control bytes, no white space at either end); a Content-Type a strict RFC 6838/7231
/// parser reads, that dmct's parser reads alike, and on a DM message with the verproto
/// `want` says (`None`: no parameter).
fn check(head: &Head, want: Option<&str>) {
    for (name, value) in &head.fields {
        assert!(
            value
                .iter()
                .all(|&b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b)),
            "{name}: {value:?} is not visible ASCII"
        );
        assert!(
            !value.starts_with(b" ") && !value.ends_with(b" "),
            "{name}: {value:?}"
        );
    }
    let Some(ct) = head.get("content-type") else {
        return;
    };
    let strict = mediatype::MediaType::parse(ct)
        .unwrap_or_else(|e| panic!("Content-Type {ct:?} is not RFC 6838/7231 syntax: {e}"));
    let ours = MediaType::parse(ct).unwrap();
    let suffix = strict.suffix.map(|s| format!("+{s}")).unwrap_or_default();
    assert_eq!(
        ours.essence,
        format!("{}/{}{suffix}", strict.ty, strict.subty).to_ascii_lowercase()
    );
    if ours.essence.starts_with("application/vnd.syncml.dm+") {
        let verproto = strict
            .get_param(mediatype::Name::new("verproto").unwrap())
            .map(|v| v.unquoted_str().into_owned());
        assert_eq!(verproto.as_deref(), want, "{} {ct}", head.start);
        assert_eq!(ours.param("verproto"), want, "{ct}");
    }
}

/// Check every head recorded; how many DM messages there were each way.
fn check_all(rec: &Recorded, want: Option<&str>) -> (usize, usize) {
    let mut dm = (0, 0);
    let is_dm = |h: &Head| {
        h.get("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("vnd.syncml.dm"))
    };
    for c in rec.lock().unwrap().iter() {
        let c = c.lock().unwrap();
        for h in heads(&c.0, true) {
            check(&h, want);
            dm.0 += usize::from(is_dm(&h));
        }
        for h in heads(&c.1, false) {
            check(&h, want);
            dm.1 += usize::from(is_dm(&h));
        }
    }
    dm
}

fn want(form: VerProtoParam) -> Option<&'static str> {
    (form == VerProtoParam::Quoted).then_some("DM/1.2")
}

fn quick(form: VerProtoParam) -> Options {
    Options {
        verproto_param: form,
        idle: Duration::from_millis(300),
        wait_first: Duration::from_secs(20),
        session_timeout: Duration::from_secs(30),
        ..Options::default()
    }
}

fn scenario(id: &str) -> dmct_suite::Scenario {
    dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == id)
        .unwrap()
}

/// The harness as server (its listener, the scenario's script) and as client (the
/// built-in client against an external server), both ways through the relay: XML,
/// WBXML, an MD5 challenge, HMAC headers, a large object in chunks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_as_client_and_as_server_writes_heads_strict_parsers_accept() {
    for form in VerProtoParam::ALL {
        let opts = quick(form);
        let (listener, url) = relay_listener().await;
        let server = ExternalServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            Some(format!("{url}/dm")),
            &opts,
        )
        .await
        .unwrap();
        let rec = relay(listener, server.local_addr());
        let target = TargetServer {
            server_creds: Some(peers::default_server_creds()),
            ..TargetServer::new(&format!("{url}/dm"), peers::default_client_creds())
        };
        for id in [
            "session/get-replace",
            "session/get-replace-wbxml",
            "session/reauth-md5",
            "auth/hmac",
            "session/large-object",
        ] {
            let s = scenario(id);
            let (served, driven) = tokio::join!(
                server.run_case(&s, &opts, None),
                runner::run_external_server(&s, &target, &opts)
            );
            for run in [&served, &driven] {
                assert!(
                    run.transcript.exchanges.len() >= 2,
                    "{id} {form:?}: {:?}",
                    run.transcript.closing
                );
            }
        }
        let (requests, responses) = check_all(&rec, want(form));
        assert!(requests >= 10 && responses >= 10, "{requests} {responses}");
    }
}

/// The faults' header edits stay valid syntax: verproto-param-wrong says DM/1.1 in a
/// quoted-string whichever form the engine uses; the type faults write plain types.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_header_edits_are_valid_syntax() {
    for form in VerProtoParam::ALL {
        for (client_fault, server_fault, req_want, resp_want) in [
            (
                Some(ClientFault::VerProtoParamWrong),
                None,
                Some("DM/1.1"),
                want(form),
            ),
            (
                Some(ClientFault::ContentTypeTextXml),
                None,
                want(form),
                want(form),
            ),
            (
                None,
                Some(ServerFault::ContentTypeTextXml),
                want(form),
                want(form),
            ),
            (
                None,
                Some(ServerFault::WrongEncodingLabel),
                want(form),
                None,
            ),
        ] {
            let opts = quick(form);
            let responder = Arc::new(CaseResponder::default());
            let handle = dmct_net::serve(
                "127.0.0.1:0".parse().unwrap(),
                responder.clone(),
                opts.limits.clone(),
            )
            .await
            .unwrap();
            let (listener, url) = relay_listener().await;
            let rec = relay(listener, handle.local_addr());
            let s = scenario("session/get-replace");
            let url = format!("{url}/dm");
            let server_faults: BTreeSet<_> = server_fault.into_iter().collect();
            let client_faults: BTreeSet<_> = client_fault.into_iter().collect();
            let mut sc = peers::server_config(&url, peers::default_client_creds(), &server_faults);
            sc.verproto_param = form;
            responder.install(Some(Server::new(sc, s.server.clone())));
            let mut cc = peers::client_config(&s, &url, &client_faults);
            cc.verproto_param = form;
            let (exchanges, _) = runner::drive_client(&mut Client::new(cc), &opts, None).await;
            assert!(!exchanges.is_empty());
            let c = rec.lock().unwrap()[0].clone();
            let (sent, answered) = c.lock().unwrap().clone();
            let (reqs, resps) = (heads(&sent, true), heads(&answered, false));
            // Each fault fires once, on the first message.
            check(&reqs[0], req_want);
            check(&resps[0], resp_want);
            let ct = |h: &Head| h.get("content-type").unwrap().to_owned();
            if client_fault == Some(ClientFault::ContentTypeTextXml) {
                assert_eq!(ct(&reqs[0]), "text/xml");
            }
            if server_fault == Some(ServerFault::ContentTypeTextXml) {
                assert_eq!(ct(&resps[0]), "text/xml");
            }
            if server_fault == Some(ServerFault::WrongEncodingLabel) {
                assert_eq!(ct(&resps[0]), dmct_proto::CONTENT_TYPE_WBXML);
            }
            for h in &reqs[1..] {
                check(h, want(form));
            }
            for h in &resps[1..] {
                check(h, want(form));
            }
            handle.shutdown().await;
        }
    }
}

/// The proxy's own answers: its challenge (challenge-pkg1) in either form, a 502 when
/// the upstream is gone and a 504 when it never answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxys_own_answers_are_valid_syntax() {
    let s = scenario("session/get-replace");
    for form in VerProtoParam::ALL {
        let opts = quick(form);
        let responder = Arc::new(CaseResponder::default());
        let upstream = dmct_net::serve(
            "127.0.0.1:0".parse().unwrap(),
            responder.clone(),
            opts.limits.clone(),
        )
        .await
        .unwrap();
        let (listener, url) = relay_listener().await;
        let mut config = dmct_proxy::ProxyConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            format!("http://{}", upstream.local_addr()),
        );
        config.public_url = Some(url.clone());
        config.mutations = [dmct_proxy::Mutation::ChallengePkg1].into();
        config.verproto_param = form;
        config.live_check = false;
        let proxy = dmct_proxy::start(config).await.unwrap();
        let rec = relay(listener, proxy.local_addr());
        let mut sc = peers::server_config(
            &format!("{url}/dm"),
            peers::default_client_creds(),
            &BTreeSet::new(),
        );
        sc.verproto_param = form;
        responder.install(Some(Server::new(sc, s.server.clone())));
        let mut cc = peers::client_config(&s, &format!("{url}/dm"), &BTreeSet::new());
        cc.verproto_param = form;
        let (exchanges, _) = runner::drive_client(&mut Client::new(cc), &opts, None).await;
        // The proxy's challenge, the repeated Package #1, the rest of the session.
        assert!(exchanges.len() >= 3, "{exchanges:#?}");
        let (requests, responses) = check_all(&rec, want(form));
        assert!(requests >= 3 && responses >= 3);
        drop(proxy);
        upstream.shutdown().await;
    }

    // A gone upstream (a port nothing listens on) and one that never answers.
    let gone = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone_addr = gone.local_addr().unwrap();
    drop(gone);
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((c, _)) = silent.accept().await {
            held.push(c);
        }
    });
    for (upstream, status) in [(gone_addr, "502"), (silent_addr, "504")] {
        let mut config = dmct_proxy::ProxyConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            format!("http://{upstream}"),
        );
        config.limits.exchange_timeout = Duration::from_millis(500);
        config.live_check = false;
        let proxy = dmct_proxy::start(config).await.unwrap();
        let (listener, url) = relay_listener().await;
        let rec = relay(listener, proxy.local_addr());
        let cc = peers::client_config(&s, &format!("{url}/dm"), &BTreeSet::new());
        let mut opts = quick(VerProtoParam::Quoted);
        opts.limits.exchange_timeout = Duration::from_secs(5);
        runner::drive_client(&mut Client::new(cc), &opts, None).await;
        let c = rec.lock().unwrap()[0].clone();
        let resps = heads(&c.lock().unwrap().1, false);
        assert_eq!(resps[0].start, status, "{resps:?}");
        check(&resps[0], None);
        drop(proxy);
    }
}

/// A free loopback port for a process that must listen where the relay points.
fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The CLI's peers and `drive` as processes, each told the form by --verproto-param;
/// and `run`'s built-in loopback run records the form it was told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sends_the_form_it_is_told() {
    for form in VerProtoParam::ALL {
        let (listener, url) = relay_listener().await;
        let addr = free_port();
        let server = peer_server_at(
            &addr.to_string(),
            &[
                "--public-url",
                &format!("{url}/dm"),
                "--verproto-param",
                form.name(),
            ],
        );
        let rec = relay(listener, addr);
        let dm_url = format!("{url}/dm");
        let out = out_dir(&format!("wire-drive-{}", form.name()));
        let runs: Vec<Vec<&str>> = vec![
            vec!["peer", "client", "--url", &dm_url],
            vec![
                "peer", "client", "--url", &dm_url, "--wbxml", "--auth", "hmac",
            ],
            vec!["drive", &dm_url, "--out", out.to_str().unwrap()],
        ];
        for mut args in runs {
            args.extend(["--verproto-param", form.name()]);
            let o = tokio::task::spawn_blocking({
                let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                move || dmct(&args.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .await
            .unwrap();
            assert!(o.status.code().is_some(), "{args:?}: {}", text(&o));
        }
        let (requests, responses) = check_all(&rec, want(form));
        assert!(requests >= 6 && responses >= 6, "{requests} {responses}");
        drop(server);

        let out = out_dir(&format!("wire-run-{}", form.name()));
        let o = dmct(&[
            "run",
            "--case",
            "session/get-replace",
            "--out",
            out.to_str().unwrap(),
            "--verproto-param",
            form.name(),
        ]);
        // Omitted, the scenario's http/verproto-param has nothing to judge, so it is
        // inconclusive; nothing fails either way.
        let ok = match form {
            VerProtoParam::Quoted => o.status.code() == Some(0),
            VerProtoParam::Omit => !text(&o).contains("FAIL "),
        };
        assert!(ok, "{}", text(&o));
        let mut seen = 0;
        for f in std::fs::read_dir(out.join("transcripts")).unwrap() {
            let t: dmct_proto::transcript::Transcript =
                serde_json::from_slice(&std::fs::read(f.unwrap().path()).unwrap()).unwrap();
            for e in &t.exchanges {
                let heads = [
                    Some(&e.request.headers),
                    e.response.as_ref().map(|r| &r.headers),
                ];
                for h in heads.into_iter().flatten() {
                    let ct = h.content_type().unwrap().unwrap();
                    assert_eq!(ct.param("verproto"), want(form), "{ct}");
                    seen += 1;
                }
            }
        }
        assert!(seen >= 4, "{seen}");
    }
}

/// The oracles have teeth: what dmct used to send, and a field name that is no token.
#[test]
fn the_strict_parsers_refuse_what_dmct_used_to_send() {
    let old = "application/vnd.syncml.dm+xml; verproto=DM/1.2";
    assert!(mediatype::MediaType::parse(old).is_err());
    assert!(MediaType::parse(old).is_err());
    let mut fields = [httparse::EMPTY_HEADER; 4];
    let bad = b"POST /dm HTTP/1.1\r\nContent Type: text/xml\r\n\r\n";
    assert!(httparse::Request::new(&mut fields).parse(bad).is_err());
}
