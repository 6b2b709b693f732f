//! `dmct proxy` with sessions whose names would collide or run too long: one SessionID
//! from two LocURIs that sanitise alike, one differing only in case, and a 300-character
//! LocURI. Every session gets its own bounded transcript file, the report points at it,
//! and the run ends normally (exit 0 or 1, not 2).

use crate::common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn package1(session: &str, loc: &str) -> String {
    format!(
        "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>\
         <VerProto>DM/1.2</VerProto><SessionID>{session}</SessionID><MsgID>1</MsgID>\
         <Target><LocURI>http://dm</LocURI></Target><Source><LocURI>{loc}</LocURI></Source>\
         </SyncHdr><SyncBody><Alert><CmdID>1</CmdID><Data>1201</Data></Alert><Final/>\
         </SyncBody></SyncML>"
    )
}

#[test]
fn colliding_and_long_session_names_each_get_their_own_file() {
    let server = peer_server(&[]);
    let out = tmp("proxy-names");
    let long = format!("IMEI:{}", "9".repeat(295));
    assert_eq!(long.len(), 300);
    let sessions = [
        ("3A", "IMEI:1/a".to_owned()),
        ("3A", "IMEI:1_a".to_owned()),
        ("3A", "IMEI:1/A".to_owned()),
        ("3B", long.clone()),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmct"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &server.url,
        ])
        .args(["--out", out.to_str().unwrap()])
        .args(["--sessions", &sessions.len().to_string(), "--idle", "0.3"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("proxy output").unwrap();
        if let Some(rest) = line.strip_prefix("dmct: proxy at ") {
            break rest.split(" -> ").next().unwrap().trim().to_owned();
        }
    };
    let told = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    for (session, loc) in &sessions {
        let body = package1(session, loc);
        let answer = post_dm_xml(&addr, &body);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    // Each session then ends in silence; the proxy stops by itself.
    let code = exits_by_itself(&mut child, 30, "the proxy did not stop");
    let told = told.join().unwrap().join("\n");
    assert!(matches!(code, 0 | 1), "exit {code}: {told}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        2 * sessions.len(),
        "each session judged both ways"
    );
    let mut files = std::collections::HashSet::new();
    for c in cases {
        let rel = c["transcript"].as_str().unwrap();
        let name = rel.strip_prefix("transcripts/").unwrap();
        assert!(name.len() <= 80 + ".json".len(), "{name}");
        assert!(
            files.insert(name.to_ascii_lowercase()),
            "{name} twice (also where case is ignored)"
        );
        // The file is there, and holds the session's full identity.
        let t = std::fs::read_to_string(out.join(rel)).unwrap();
        let title = c["title"].as_str().unwrap_or_default();
        assert!(
            sessions.iter().any(|(_, loc)| t.contains(loc.as_str())),
            "{rel} ({title}) does not hold its LocURI"
        );
    }
    let on_disk = std::fs::read_dir(out.join("transcripts")).unwrap().count();
    assert_eq!(on_disk, 2 * sessions.len(), "no file overwrote another");
    // The long LocURI is whole inside its transcript.
    assert!(
        cases.iter().any(|c| {
            let t = std::fs::read_to_string(out.join(c["transcript"].as_str().unwrap())).unwrap();
            t.contains(&long)
        }),
        "the 300-character LocURI is kept whole"
    );
    let records = std::fs::read_dir(out.join("sessions")).unwrap().count();
    assert_eq!(records, sessions.len());
}
