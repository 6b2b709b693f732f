//! dmct judges itself (issue 19 item 8): every message the conformant reference peers
//! and the harness send passes dmct's own catalog, role reversed. A rule they cannot
//! pass is a bug in one of the two. Built-in faults, proxy mutations and negative
//! probes break rules on purpose and are not judged here.

use dmct_rules::Role;
use dmct_session::ServerFault;
use dmct_suite::runner::{self, CaseResponder};
use dmct_suite::{Options, judge_harness, peers};
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::common;

#[tokio::test]
async fn the_builtin_run_in_both_directions_passes_its_own_catalog() {
    let scenarios = dmct_suite::scenario::builtin().unwrap();
    let runs = dmct_suite::run_builtin(&scenarios, &Options::default())
        .await
        .unwrap();
    assert!(runs.iter().any(|r| r.role == Role::Client));
    assert!(runs.iter().any(|r| r.role == Role::Server));
    let broken = judge_harness(&runs);
    assert!(broken.is_empty(), "dmct's own messages break: {broken:#?}");
}

#[tokio::test]
async fn drive_passes_its_own_catalog() {
    // dmct's client (what `dmct drive` sends) against the reference server.
    let responder = Arc::new(CaseResponder::default());
    let handle = dmct_net::serve(
        "127.0.0.1:0".parse().unwrap(),
        responder.clone(),
        dmct_net::Limits::default(),
    )
    .await
    .unwrap();
    let url = format!("http://{}/dm", handle.local_addr());
    responder.install(Some(common::every_command_server(&url)));
    for encoding in [
        dmct_proto::xml::Encoding::Xml,
        dmct_proto::xml::Encoding::Wbxml,
    ] {
        let opts = Options {
            client_encoding: Some(encoding),
            ..Options::default()
        };
        let target = dmct_suite::TargetServer::new(&url, peers::default_client_creds());
        let run = runner::drive_external_server(&target, &opts).await;
        assert!(run.transcript.exchanges.len() > 1, "{encoding:?}");
        let broken = judge_harness(std::slice::from_ref(&run));
        assert!(broken.is_empty(), "{encoding:?}: {broken:#?}");
    }
    handle.shutdown().await;
}

#[test]
fn a_harness_side_that_breaks_a_rule_is_caught() {
    // The check can fail: the harness's server playing with a fault, while the
    // client under test is conformant, is reported as dmct's own failure.
    let scenarios = dmct_suite::scenario::builtin().unwrap();
    let s = scenarios
        .iter()
        .find(|s| s.id == "session/get-replace")
        .unwrap();
    let fault = ServerFault::ALL
        .iter()
        .copied()
        .find(|f| f.name() == "duplicate-cmdid")
        .expect("a server fault that reuses CmdIDs");
    let run = runner::run_in_memory(s, Role::Client, &BTreeSet::new(), &BTreeSet::from([fault]));
    let broken = judge_harness(std::slice::from_ref(&run));
    assert!(
        broken
            .iter()
            .any(|b| b.role == Role::Server && fault.breaks().contains(&b.rule.as_str())),
        "{broken:#?}"
    );
}
