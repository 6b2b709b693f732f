//! Every scheme, unprompted or challenged: what `--auth` puts in Package #1, as dmct's
//! client sends it over loopback HTTP to `dmct peer server`.

mod common;

use common::*;
use dmct_proto::auth::{self, Credentials, HMAC_HEADER, HmacHeader, Nonce};
use dmct_proto::transcript::{Exchange, Transcript};
use std::path::Path;

fn client_creds() -> Credentials {
    Credentials {
        user: "dmct-client".into(),
        secret: "dmct-client-secret".into(),
    }
}

fn read_transcript(path: &Path) -> Transcript {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The SyncHdr Status code of the server's answer to an exchange.
fn hdr_code(ex: &Exchange) -> Option<u16> {
    let body = ex.response.as_ref()?.body.as_bytes();
    let msg = dmct_proto::decode(body).ok()?.message;
    msg.synchdr_status().and_then(|s| s.code())
}

fn has_cred(ex: &Exchange) -> bool {
    let msg = dmct_proto::decode(ex.request.body.as_bytes())
        .unwrap()
        .message;
    msg.hdr.cred.is_some()
}

/// `dmct peer client --auth AUTH` against `url`; its transcript and exit code.
fn peer_client(url: &str, dir: &Path, name: &str, extra: &[&str]) -> (Transcript, Option<i32>) {
    let path = dir.join(format!("{name}.json"));
    let mut args = vec!["peer", "client", "--url", url];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--transcript", path.to_str().unwrap()]);
    let o = dmct(&args);
    (read_transcript(&path), o.status.code())
}

#[test]
fn auth_hmac_opens_package1_with_the_header_and_none_sends_no_credentials() {
    let dir = tmp("auth-unprompted");
    // The server would challenge for HMAC; an unprompted HMAC must make that needless.
    let server = peer_server(&["--auth", "hmac"]);

    let (t, code) = peer_client(&server.url, &dir, "hmac", &["--auth", "hmac"]);
    assert_eq!(code, Some(0), "{t:#?}");
    let first = &t.exchanges[0];
    let value = first
        .request
        .headers
        .get(HMAC_HEADER)
        .expect("Package #1 carries x-syncml-hmac");
    let header = HmacHeader::parse(value).unwrap();
    assert_eq!(header.username, "dmct-client");
    // Keyed with the default stored nonce, the special value 0x00000000.
    let want = auth::hmac_mac(
        &client_creds(),
        Nonce::resync().as_bytes(),
        first.request.body.as_bytes(),
    );
    assert_eq!(header.mac, want);
    assert!(!has_cred(first), "HMAC never travels in Cred");
    // Accepted at once: 200 (HMAC is never 212), no challenge round.
    assert_eq!(hdr_code(first), Some(200));

    // --nonce names the stored nonce; a stale one is challenged and the client answers.
    let (t, code) = peer_client(
        &server.url,
        &dir,
        "hmac-stale",
        &["--auth", "hmac", "--nonce", "c3RhbGU="],
    );
    assert_eq!(code, Some(0), "{t:#?}");
    let header =
        HmacHeader::parse(t.exchanges[0].request.headers.get(HMAC_HEADER).unwrap()).unwrap();
    let stale = auth::hmac_mac(
        &client_creds(),
        b"stale",
        t.exchanges[0].request.body.as_bytes(),
    );
    assert_eq!(header.mac, stale);
    assert_eq!(hdr_code(&t.exchanges[0]), Some(401));
    assert!(t.exchanges[1].request.headers.get(HMAC_HEADER).is_some());
    assert_eq!(hdr_code(&t.exchanges[1]), Some(200));

    // Unprompted MD5 against a server that challenges for MD5: one Cred, accepted.
    let md5_server = peer_server(&["--auth", "md5"]);
    let (t, code) = peer_client(&md5_server.url, &dir, "md5", &["--auth", "md5"]);
    assert_eq!(code, Some(0), "{t:#?}");
    assert!(has_cred(&t.exchanges[0]));
    assert_eq!(hdr_code(&t.exchanges[0]), Some(212));

    // --auth none: no Cred, no header; the challenge is still answered.
    let (t, code) = peer_client(&server.url, &dir, "none", &["--auth", "none"]);
    assert_eq!(code, Some(0), "{t:#?}");
    let first = &t.exchanges[0];
    assert!(!has_cred(first));
    assert!(first.request.headers.get(HMAC_HEADER).is_none());
    assert_eq!(hdr_code(first), Some(407));
    assert!(t.exchanges[1].request.headers.get(HMAC_HEADER).is_some());
}

#[test]
fn drive_takes_auth_and_opens_with_hmac() {
    let server = peer_server(&["--auth", "hmac"]);
    let out = out_dir("auth-drive");
    let o = dmct(&[
        "drive",
        &server.url,
        "--auth",
        "hmac",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = std::fs::read_dir(out.join("transcripts"))
        .unwrap()
        .next()
        .expect("a transcript")
        .unwrap()
        .path();
    let t = read_transcript(&file);
    assert!(t.exchanges[0].request.headers.get(HMAC_HEADER).is_some());
    assert_eq!(hdr_code(&t.exchanges[0]), Some(200));

    // The server side has no "none": it always names a scheme to challenge with.
    let o = dmct(&["peer", "server", "--auth", "none"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("--auth none is for dmct's client"),
        "{}",
        text(&o)
    );
}
