//! `dmct run`: the scenarios against the built-in peers, a device on the bench
//! (`--serve`) or a server by URL (`--target-server`), gated and reported.

use crate::*;
use dmct_suite::serve::{LeftOut, Operator, lock, write_left_out};

pub(crate) async fn run(a: RunArgs, matches: &clap::ArgMatches) -> Result<ExitCode> {
    let RunArgs {
        common,
        serve,
        public_url,
        exec,
        pkg0_nonce,
        pkg0_ui_mode,
        pkg0_initiator,
        client_initiated,
        wait,
        session_timeout,
        idle,
        target_server,
        encoding,
        accounts,
        listen,
        capacity,
        gate,
        wire,
        partition,
        config: _,
    } = a;
    let mode = match (serve, target_server.as_deref()) {
        (Some(_), _) => modes::RunMode::Serve,
        (None, None) => modes::RunMode::Builtin,
        (None, Some("builtin")) => modes::RunMode::BuiltinServer,
        (None, Some(_)) => modes::RunMode::TargetServer,
    };
    if let Some(m) = matches.subcommand_matches("run") {
        modes::check_run(m, mode)?;
    }
    let gate = gate.settings();
    let selection = gate.selection()?;
    let mut opts = options(&common)?;
    capacity.apply(&mut opts.limits, 1)?;
    opts.client_encoding = encoding.map(Into::into);
    opts.verproto_param = wire.verproto();
    opts.wait_first = Duration::from_secs(wait);
    opts.idle = idle;
    opts.session_timeout = Duration::from_secs(session_timeout);
    opts.client_creds = accounts.client();
    opts.server_id = accounts.server_id.clone();
    opts.package0_nonce = pkg0_nonce;
    opts.package0_ui_mode = pkg0_ui_mode.into();
    opts.package0_initiator = pkg0_initiator.into();
    opts.client_initiated = client_initiated;
    // The device's account as provisioned: what dmct's server presents and
    // asks for (only --serve reads them; the other modes refuse the flags).
    opts.server_creds = accounts.srvcred();
    opts.client_auth = accounts.client_auth();
    opts.client_nonce = accounts.nonce.clone();
    opts.partition = partition;
    let scenarios = selection.scenarios(&scenarios(&common)?);
    if scenarios.is_empty() {
        eprintln!("dmct: nothing selected: no case matches the filters");
        return Ok(Exit::Usage.into());
    }
    // The whole run's cases, in order, which a shard records (--serve refuses
    // --partition).
    let plan = match mode {
        modes::RunMode::Builtin => dmct_suite::builtin_plan(&scenarios),
        _ => dmct_suite::server_plan(&scenarios),
    };
    let plan =
        dmct_suite::partition::plan_names(plan.into_iter().map(|(s, role)| (s.id.as_str(), role)));
    if serve.is_some() {
        opts.server_tls = server_tls(&listen)?;
    }
    // Caught before anything is announced: a signal on "listening" is ours.
    let mut signals = interrupt::Signals::catch()?;
    let collector = std::sync::Arc::new(dmct_suite::interrupted::Collector::default());
    opts.collector = Some(collector.clone());
    let left_out = LeftOut::default();
    let started = Instant::now();
    let started_at = dmct_net::wall_clock();
    let work = async {
        let runs = match (serve, target_server.as_deref()) {
            (None, None) => dmct_suite::run_builtin(&scenarios, &opts).await?,
            (Some(addr), _) => {
                let trigger = exec.map(|command| runner::Trigger {
                    command,
                    dir: common.out.join("package0"),
                    package0: !client_initiated,
                });
                let operator = Operator {
                    tell: &say,
                    redact: gate.redact,
                };
                let runs = dmct_suite::serve::serve_cases(
                    addr,
                    public_url,
                    &scenarios,
                    &opts,
                    trigger.as_ref(),
                    &operator,
                    &left_out,
                )
                .await;
                write_left_out(&common.out, &lock(&left_out), gate.redact, &say)?;
                runs?
            }
            (None, Some("builtin")) => dmct_suite::run_builtin_servers(&scenarios, &opts).await?,
            (None, Some(url)) => {
                check_url(url)?;
                let target = accounts.target(url);
                if let Some(code) = preflight::probe(&target, &opts).await {
                    return Ok(Err(code));
                }
                eprintln!("dmct: driving the DM server at {url}");
                dmct_suite::run_target_server(&scenarios, &target, &opts).await
            }
        };
        anyhow::Ok(Ok(runs))
    };
    let ended = signals.race(work).await;
    // From here on, while the reports are written, a second signal exits at
    // once (the one that stopped the run is the first).
    signals.exit_on_next(ended.is_err());
    let (runs, interrupted) = match ended {
        Ok(done) => match done? {
            Ok(runs) => (runs, None),
            Err(code) => return Ok(code),
        },
        Err(signal) => {
            interrupt::announce(signal);
            write_left_out(&common.out, &lock(&left_out), gate.redact, &say)?;
            let (runs, running) = collector.take();
            (runs, Some((signal, running)))
        }
    };
    if runs.is_empty() && interrupted.is_none() {
        match partition {
            Some(shard) => eprintln!(
                "dmct: nothing selected: shard {shard} holds none of the {} \
                     selected cases; split them into at most {} shards",
                plan.len(),
                plan.len()
            ),
            None => {
                eprintln!("dmct: nothing selected: no selected case tests this role")
            }
        }
        return Ok(Exit::Usage.into());
    }
    let mut report = dmct_suite::report_with(
        "run",
        &runs,
        elapsed_ms(started),
        &profile(common.profile.as_deref())?,
        opts.seed,
    );
    report.time = Some(dmct_net::span_since(started_at));
    if let Some(shard) = partition {
        dmct_suite::partition::record(&mut report, shard, &plan);
    }
    if let Some((signal, running)) = interrupted {
        dmct_suite::interrupted::mark(&mut report, running, signal);
    }
    gated_finish(&common.out, report, runs, &selection, &gate)
}
