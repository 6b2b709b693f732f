//! Fresh identities per run: the SessionIDs and NextNonces dmct generates differ
//! between sessions and between runs ([NOT] §6.2.10, [SEC] §5.3.3), come from a seed
//! the report records, and `--seed` replays a run byte for byte.

use crate::common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every transcript a run wrote, by file name.
fn transcripts(out: &Path) -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(out.join("transcripts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                json(p),
            )
        })
        .collect()
}

/// The decoded messages of a run's transcripts, both directions.
fn messages(out: &Path) -> Vec<dmct_proto::SyncML> {
    let mut msgs = Vec::new();
    for (_, t) in transcripts(out) {
        let t: dmct_proto::transcript::Transcript = serde_json::from_value(t).unwrap();
        for ex in &t.exchanges {
            let bodies = std::iter::once(ex.request.body.as_bytes())
                .chain(ex.response.as_ref().map(|r| r.body.as_bytes()));
            for b in bodies {
                if let Ok(d) = dmct_proto::decode(b) {
                    msgs.push(d.message);
                }
            }
        }
    }
    msgs
}

fn session_ids(out: &Path) -> BTreeSet<String> {
    messages(out)
        .iter()
        .map(|m| m.hdr.session_id.clone())
        .collect()
}

/// Every NextNonce a run's servers and clients issued (in Chal Meta).
fn next_nonces(out: &Path) -> BTreeSet<String> {
    let mut nonces = BTreeSet::new();
    for m in messages(out) {
        for c in &m.body.commands {
            if let dmct_proto::Command::Status(s) = c
                && let Some(n) = s.chal.as_ref().and_then(|ch| ch.meta.next_nonce.clone())
            {
                nonces.insert(n);
            }
        }
    }
    nonces
}

fn run_seed(out: &Path) -> Option<u64> {
    json(&out.join("report.json"))["seeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s[0] == "run")
        .and_then(|s| s[1].as_u64())
}

#[test]
fn two_runs_use_different_session_ids_and_nonces_and_record_their_seed() {
    let a = out_dir("ids-a");
    let b = out_dir("ids-b");
    for out in [&a, &b] {
        let o = dmct(&["run", "--target-server", "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let (sa, sb) = (run_seed(&a).unwrap(), run_seed(&b).unwrap());
    assert_ne!(sa, sb, "two runs drew the same seed");
    let (ia, ib) = (session_ids(&a), session_ids(&b));
    assert!(ia.len() > 1, "every case is its own session: {ia:?}");
    // A SessionID is 16 bits ([NOT] §6.2.10), so two runs of 16 sessions share one by
    // chance about once in 250 pairs of runs; a run repeating the other's draws would
    // share them all. Three or more shared by chance: about once in 10^8.
    let shared = ia.intersection(&ib).count();
    assert!(
        shared <= 2,
        "{shared} SessionIDs repeat across runs: {ia:?} {ib:?}"
    );
    for id in ia.iter().chain(&ib) {
        // [NOT] §6.2.10: upper-case hex digits, no leading zeros.
        assert!(
            !id.starts_with('0') && id.chars().all(|c| matches!(c, '0'..='9' | 'A'..='F')),
            "{id}"
        );
    }
    let (na, nb) = (next_nonces(&a), next_nonces(&b));
    assert!(!na.is_empty(), "the scenarios challenge with NextNonces");
    assert!(
        na.is_disjoint(&nb),
        "NextNonces repeat across runs: {na:?} {nb:?}"
    );
}

#[test]
fn the_same_seed_replays_a_run_byte_for_byte() {
    // The URL is in every body, so both runs talk to a server on the same port, itself
    // started with the same seed.
    let port = {
        let first = peer_server(&[]);
        first
            .url
            .rsplit(':')
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut runs = Vec::new();
    for name in ["replay-a", "replay-b"] {
        let server = peer_server_at(&listen, &["--seed", "7"]);
        let out = out_dir(name);
        let o = dmct(&[
            "run",
            "--target-server",
            &server.url,
            "--seed",
            "42",
            "--case",
            "session/*",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", text(&o));
        assert_eq!(run_seed(&out), Some(42));
        runs.push(out);
        drop(server);
    }
    let (a, b) = (transcripts(&runs[0]), transcripts(&runs[1]));
    assert!(!a.is_empty());
    assert_eq!(a.len(), b.len());
    for ((fa, ta), (fb, tb)) in a.iter().zip(&b) {
        assert_eq!(fa, fb);
        let (xa, xb) = (
            ta["exchanges"].as_array().unwrap(),
            tb["exchanges"].as_array().unwrap(),
        );
        assert_eq!(xa.len(), xb.len(), "{fa}");
        for (ea, eb) in xa.iter().zip(xb) {
            // What dmct sent, byte for byte; what it got, but for the server's Date.
            assert_eq!(ea["request"], eb["request"], "{fa}");
            assert_eq!(ea["response"]["body"], eb["response"]["body"], "{fa}");
            assert_eq!(ea["response"]["status"], eb["response"]["status"], "{fa}");
        }
    }
    // Another seed, other SessionIDs.
    let server = peer_server_at(&listen, &["--seed", "7"]);
    let other = out_dir("replay-c");
    let o = dmct(&[
        "run",
        "--target-server",
        &server.url,
        "--seed",
        "43",
        "--case",
        "session/*",
        "--out",
        other.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", text(&o));
    assert!(session_ids(&runs[0]).is_disjoint(&session_ids(&other)));
}

#[test]
fn redact_leaves_the_seed_out() {
    let out = out_dir("ids-redact");
    let o = dmct(&[
        "run",
        "--target-server",
        "--case",
        "session/get-replace",
        "--seed",
        "8675309042",
        "--redact",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(run_seed(&out), None);
    for f in ["report.json", "report.txt", "report.xml", "report.html"] {
        let body = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(!body.contains("8675309042"), "{f} shows the seed");
    }
}
