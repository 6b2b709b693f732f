//! `dmct selftest` and `dmct drive`: the built-in peers judging themselves, and one
//! session of the built-in client against a server by URL.

use crate::*;

pub(crate) async fn selftest(common: Common) -> Result<ExitCode> {
    let mut opts = options(&common)?;
    let scenarios = scenarios(&common)?;
    let mut signals = interrupt::Signals::catch()?;
    let collector = std::sync::Arc::new(dmct_suite::interrupted::Collector::default());
    opts.collector = Some(collector.clone());
    // Said once the signals are caught: a signal from here on is ours.
    eprintln!(
        "dmct: selftest running: the built-in peers, conformant and faulty, in \
             every scenario"
    );
    let started = Instant::now();
    let started_at = dmct_net::wall_clock();
    let ended = signals.race(dmct_suite::selftest(&scenarios, &opts)).await;
    signals.exit_on_next(ended.is_err());
    let (runs, interrupted) = match ended {
        Ok(runs) => (runs?, None),
        Err(signal) => {
            interrupt::announce(signal);
            let (runs, running) = collector.take();
            (runs, Some((signal, running)))
        }
    };
    let mut report = dmct_suite::report_with(
        "selftest",
        &runs,
        elapsed_ms(started),
        &dmct_rules::Profile::default(),
        opts.seed,
    );
    report.time = Some(dmct_net::span_since(started_at));
    if let Some((signal, running)) = interrupted {
        // A self-test cut short proves nothing: its reports say how far it got.
        dmct_suite::interrupted::mark(&mut report, running, signal);
        write_and_print(&common.out, &report, &runs)?;
        return Ok(decide(&Ending::default().interrupted(true)).into());
    }
    let mut st = dmct_suite::selftest_summary(&report.cases);
    st.harness_failures = dmct_suite::judge_harness(&runs);
    let ok = st.conformant_pass
        && st.faults.iter().all(|f| f.is_caught())
        && st.harness_failures.is_empty();
    report.selftest = Some(st);
    write_and_print(&common.out, &report, &runs)?;
    // A self-test judges dmct itself: it passes or fails, never inconclusive.
    let verdict = if ok {
        CaseVerdict::Pass
    } else {
        CaseVerdict::Fail
    };
    Ok(decide(&Ending::of([verdict])).into())
}

pub(crate) async fn drive(a: DriveArgs, matches: &clap::ArgMatches) -> Result<ExitCode> {
    let DriveArgs {
        common,
        url,
        accounts,
        encoding,
        wire,
        probe,
        redact,
    } = a;
    if let Some(m) = matches.subcommand_matches("drive") {
        modes::check_client_account(m)?;
    }
    check_url(&url)?;
    let mut opts = options(&common)?;
    opts.verproto_param = wire.verproto();
    opts.client_creds = accounts.client();
    opts.server_id = accounts.server_id.clone();
    opts.client_encoding = Some(encoding.into());
    let target = accounts.target(&url);
    if let Some(code) = preflight::probe(&target, &opts).await {
        return Ok(code);
    }
    let mut signals = interrupt::Signals::catch()?;
    let collector = std::sync::Arc::new(dmct_suite::interrupted::Collector::default());
    opts.collector = Some(collector.clone());
    eprintln!("dmct: driving the DM server at {url}");
    let started = Instant::now();
    let started_at = dmct_net::wall_clock();
    let mut target = target;
    target.probes = probe.into_iter().map(Into::into).collect();
    let ended = signals
        .race(runner::drive_external_server(&target, &opts))
        .await;
    signals.exit_on_next(ended.is_err());
    let (mut runs, interrupted) = match ended {
        Ok(run) => (vec![run], None),
        Err(signal) => {
            interrupt::announce(signal);
            let (runs, running) = collector.take();
            (runs, Some((signal, running)))
        }
    };
    let mut report = dmct_suite::report_with(
        "drive",
        &runs,
        elapsed_ms(started),
        &profile(common.profile.as_deref())?,
        opts.seed,
    );
    report.time = Some(dmct_net::span_since(started_at));
    if let Some((signal, running)) = interrupted {
        dmct_suite::interrupted::mark(&mut report, running, signal);
    }
    if redact {
        dmct_suite::redact::outputs(&mut report, &mut runs);
    }
    finish(&common.out, &report, &runs)
}
