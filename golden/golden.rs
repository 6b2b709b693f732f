//! Golden snapshots of dmct's text reports, reviewed with `cargo insta review`.
//!
//! This test target lives in `golden/` (declared by the `dmct` crate) so that
//! cargo-insta finds the snapshots beside it. The runs go over real loopback HTTP, so
//! the listener's port changes between runs, and the clock: both are masked.

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(".");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    // An HMAC mac covers the body, which holds the listener's URL.
    s.add_filter(r"mac=[A-Za-z0-9+/=]+", "mac=[mac]");
    // Wall-clock times (RFC 3339), should a text report ever show one.
    s.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[time]");
    s
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

#[test]
fn selftest_report() {
    let rt = runtime();
    let scenarios = dmct_suite::scenario::builtin().expect("built-in scenarios");
    let opts = dmct_suite::Options::default();
    let runs = rt
        .block_on(dmct_suite::selftest(&scenarios, &opts))
        .expect("selftest runs");
    let mut report = dmct_suite::report("selftest", &runs, 0);
    report.selftest = Some(dmct_suite::selftest_summary(&report.cases));
    let text = dmct_report::render_text(&report);
    settings().bind(|| insta::assert_snapshot!("selftest", text));
}

#[test]
fn run_report() {
    let rt = runtime();
    let scenarios = dmct_suite::scenario::builtin().expect("built-in scenarios");
    let opts = dmct_suite::Options::default();
    let runs = rt
        .block_on(dmct_suite::run_builtin(&scenarios, &opts))
        .expect("runs");
    let report = dmct_suite::report("run", &runs, 0);
    settings().bind(|| insta::assert_snapshot!("run", dmct_report::render_text(&report)));
}
