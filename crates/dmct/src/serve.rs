//! `run --serve`: dmct's DM server for a device on the bench, one device session per
//! case, and what it left out of the cases.

use crate::*;

pub(crate) fn lock(left_out: &LeftOut) -> std::sync::MutexGuard<'_, Vec<dmct_suite::gated::Apart>> {
    left_out.lock().unwrap_or_else(|p| p.into_inner())
}

/// The requests no case took, kept in OUT/left-out.json (redacted with --redact).
pub(crate) fn write_left_out(
    out: &Path,
    left: &[dmct_suite::gated::Apart],
    redact: bool,
) -> Result<()> {
    if left.is_empty() {
        return Ok(());
    }
    let left: Vec<dmct_suite::gated::Apart> = left
        .iter()
        .cloned()
        .map(|mut a| {
            if redact {
                let t = dmct_proto::transcript::Transcript {
                    exchanges: vec![a.exchange.clone()],
                    ..Default::default()
                };
                if let Some(e) = dmct_suite::redact::transcript(&t).0.exchanges.pop() {
                    a.exchange = e;
                }
            }
            a
        })
        .collect();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("left-out.json");
    let json = serde_json::to_string_pretty(&left).context("cannot serialise left-out requests")?;
    output::write_atomic(&path, json.as_bytes())?;
    eprintln!(
        "dmct: {} request(s) left out of every case are in {}",
        left.len(),
        path.display()
    );
    Ok(())
}

pub(crate) async fn serve_cases(
    addr: SocketAddr,
    public_url: Option<String>,
    scenarios: &[Scenario],
    opts: &Options,
    trigger: Option<&runner::Trigger>,
    redact: bool,
    left_out: &LeftOut,
) -> Result<Vec<CaseRun>> {
    let public_url_missing = public_url.is_none();
    let server = dmct_suite::ExternalServer::bind(addr, public_url, opts).await?;
    let todo: Vec<_> = scenarios
        .iter()
        .filter(|s| s.roles.contains(&Role::Client))
        .collect();
    eprintln!(
        "dmct: DM server listening on {} (tell the device: {})",
        server.local_addr(),
        server.url
    );
    if public_url_missing && addr.ip().is_unspecified() {
        eprintln!(
            "dmct: warning: {} is not an address a device can reach; pass --public-url with \
             the URL the device should use (it is also the base of the RespURIs dmct sends)",
            addr.ip()
        );
    }
    eprintln!(
        "{}",
        preflight::describe(
            &preflight::DeviceAccount {
                server_url: &server.url,
                server_id: &opts.server_id,
                client: &opts.client_creds,
                challenge: opts.client_auth,
                server: &opts.server_creds,
                tls: opts.server_tls.is_some(),
            },
            redact,
        )
    );
    let mut runs = Vec::new();
    // With a trigger the device is woken automatically, so a sanity session before and
    // after the suite costs nothing and tells a dead device from a failing one.
    if let Some(t) = trigger {
        let nonce = match &opts.package0_nonce {
            Package0Nonce::Resync => "0x00000000 as four zero bytes",
            Package0Nonce::ResyncAscii => "0x00000000 as ten ASCII characters",
            Package0Nonce::Empty => "no bytes",
            Package0Nonce::Stored(_) => "the device's stored server nonce",
        };
        eprintln!(
            "dmct: each Package 0 names ServerID {:?} and is signed with SRVCRED's secret and \
             nonce {} ({nonce})",
            opts.server_id,
            dmct_suite::redact::scrub_known(&opts.package0_nonce.to_string())
        );
        eprintln!(
            "dmct: sanity session before the suite (waking the device with {})",
            if redact {
                "the --exec command, not shown under --redact".to_owned()
            } else {
                format!("`{}`", t.command)
            }
        );
        let sanity = dmct_suite::scenario::sanity("before");
        opts.starting(&sanity, Role::Client, "external-client");
        let before = server.run_case(&sanity, opts, Some(t)).await;
        tell_apart(&server, left_out);
        let alive = !before.transcript.exchanges.is_empty();
        opts.finished(&before);
        runs.push(before);
        if !alive {
            eprintln!("dmct: the device did not answer the sanity session: the suite is not run");
            for s in &todo {
                let run = runner::skipped(
                    s,
                    "the device did not answer the sanity session before the suite",
                );
                opts.finished(&run);
                runs.push(run);
            }
            server.shutdown().await;
            return Ok(runs);
        }
    }
    for (i, s) in todo.iter().enumerate() {
        let not_run = match runner::inapplicable(s, opts) {
            Some(why) => Some(runner::not_applicable(s, &why)),
            // Asking the operator for a session a Package 0 should have started would
            // only ever give an inconclusive case.
            None if s.client.package0 && trigger.is_none() => Some(runner::skipped(
                s,
                "this case needs a server-initiated session and no Package 0 can be sent \
                 without --exec (a device that cannot be woken: --client-initiated)",
            )),
            None => None,
        };
        if let Some(run) = not_run {
            let verdict = dmct_suite::judge(&run).verdict;
            eprintln!(
                "[{}/{}] {}: {}
      {}: not run",
                i + 1,
                todo.len(),
                s.id,
                s.title,
                verdict.as_str()
            );
            opts.finished(&run);
            runs.push(run);
            continue;
        }
        let how = match trigger {
            Some(_) => "waking the device".to_owned(),
            None => format!(
                "start a DM session on the device now (waiting up to {} s)",
                opts.wait_first.as_secs()
            ),
        };
        eprintln!(
            "[{}/{}] {}: {}\n      {how}",
            i + 1,
            todo.len(),
            s.id,
            s.title
        );
        opts.starting(s, Role::Client, "external-client");
        let run = server.run_case(s, opts, trigger).await;
        tell_apart(&server, left_out);
        opts.finished(&run);
        let verdict = dmct_suite::judge(&run).verdict;
        eprintln!(
            "      {} ({} exchanges)",
            verdict.as_str(),
            run.transcript.exchanges.len()
        );
        runs.push(run);
    }
    if let Some(t) = trigger {
        eprintln!("dmct: sanity session after the suite");
        let sanity = dmct_suite::scenario::sanity("after");
        opts.starting(&sanity, Role::Client, "external-client");
        let after = server.run_case(&sanity, opts, Some(t)).await;
        tell_apart(&server, left_out);
        opts.finished(&after);
        if after.transcript.exchanges.is_empty() {
            eprintln!("dmct: {}", died_during_suite(&runs));
        }
        runs.push(after);
    }
    server.shutdown().await;
    Ok(runs)
}

/// Tell the operator of requests no case took (a second device, a late retry, a new
/// session after the case's ended): answered 503, never judged.
pub(crate) fn tell_apart(server: &dmct_suite::ExternalServer, left_out: &LeftOut) {
    let mut refused = 0;
    for a in server.take_apart() {
        // The listener's own refusals (a flood past its limits) are told by count, not
        // one line each; left-out.json keeps them all.
        if matches!(
            a.exchange.failure,
            Some(dmct_proto::transcript::ExchangeFailure::HarnessRefused { .. })
        ) {
            refused += 1;
        } else {
            eprintln!("      left out of every case: {a}");
        }
        lock(left_out).push(a);
    }
    if refused > 0 {
        eprintln!(
            "      left out of every case: {refused} request(s) refused (503) at dmct's limits \
             (--max-inflight-bytes, --max-connections); see left-out.json"
        );
    }
}

/// The device answered the sanity session before the suite and not the one after: when
/// it was last heard of, so the operator knows which cases it never saw.
pub(crate) fn died_during_suite(runs: &[CaseRun]) -> String {
    let last = runs
        .iter()
        .rev()
        .find(|r| !r.transcript.exchanges.is_empty());
    match last {
        Some(r) => format!(
            "the device did not answer the sanity session after the suite: it stopped \
             answering during the suite; the last case it answered was {}{}, and the cases \
             after it saw no device",
            r.scenario.id,
            r.transcript
                .ended
                .as_deref()
                .map(|at| format!(" (its session ended at {at})"))
                .unwrap_or_default()
        ),
        None => "the device did not answer the sanity session after the suite".into(),
    }
}
