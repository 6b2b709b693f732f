//! `run --serve` keeps one device session per case: a second session that arrives while
//! a case runs (here a device opening a new session right after the case's ended) is
//! answered 503, told on standard error and kept in left-out.json, and the case is
//! judged on its own session only.

use crate::common;

use common::*;

#[test]
fn a_session_after_the_cases_is_left_out_and_not_judged() {
    let out = tmp("one-session-left-out");
    let bin = env!("CARGO_BIN_EXE_dmct");
    // The lab's command: the device answers the case's Package 0, then opens a session
    // of its own (another SessionID) before the case is over.
    let exec = format!(
        "{bin} peer client --url \"$DMCT_SERVER_URL\" --package0 \"$DMCT_PKG0_FILE\" \
         --auth md5 --server-secret dmct-server-secret 2>/dev/null; \
         {bin} peer client --url \"$DMCT_SERVER_URL\" --seed 99 --auth md5 2>/dev/null; true"
    );
    let o = dmct(&[
        "run",
        "--serve",
        "127.0.0.1:0",
        "--exec",
        &exec,
        "--wait",
        "20",
        "--idle",
        "0.3",
        "--case",
        "session/get-replace",
        "--out",
        out.to_str().unwrap(),
    ]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(0), "{said}");
    assert!(said.contains("left out of every case"), "{said}");
    let left: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("left-out.json")).unwrap()).unwrap();
    let left = left.as_array().unwrap();
    assert!(!left.is_empty());
    assert!(
        left.iter().any(|a| a["case"] == "session/get-replace"
            && a["why"].as_str().unwrap().contains("had ended")
            && a["exchange"]["response"]["status"] == 503),
        "{left:#?}"
    );
    // The case's transcript holds one SessionID only.
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let case = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "session/get-replace")
        .unwrap();
    assert_eq!(case["verdict"], "pass", "{case}");
    let file = case["transcript"].as_str().unwrap();
    let t: dmct_proto::transcript::Transcript =
        serde_json::from_str(&std::fs::read_to_string(out.join(file)).unwrap()).unwrap();
    let ids: std::collections::BTreeSet<String> = t
        .exchanges
        .iter()
        .map(|e| {
            dmct_proto::decode(e.request.body.as_bytes())
                .unwrap()
                .message
                .hdr
                .session_id
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
}
