//! What dmct tells the operator before a run against a server URL: whether it is a DM
//! server at all (the probe). (The DM account a device must hold to reach `run --serve`
//! is `dmct_suite::serve::describe`.)

use dmct_suite::{Options, TargetServer};
use std::process::ExitCode;

/// Probe the server at `target` before the suite. On a DM server, say so and go on
/// (`None`); otherwise print one line saying what answered instead and give exit code 2,
/// with no report: a page of MUST failures against a web server helps nobody. A server
/// error on Package #1 is only a warning: a failing DM server's faults are findings.
pub async fn probe(target: &TargetServer, opts: &Options) -> Option<ExitCode> {
    match dmct_suite::probe::probe(target, opts).await {
        Ok(ok) => {
            eprintln!(
                "dmct: {} answers as a DM server ({}); running the suite",
                target.url, ok.why
            );
            None
        }
        Err(e) if e.stops_the_run() => {
            eprintln!("dmct: {e}");
            Some(dmct_suite::exit::Exit::Usage.into())
        }
        Err(e) => {
            eprintln!("dmct: warning: {e}; running the suite: each case records what it answers");
            None
        }
    }
}
