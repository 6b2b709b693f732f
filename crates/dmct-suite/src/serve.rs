//! `run --serve`: dmct's DM server for a device on the bench, one device session per
//! case between sanity sessions, what it left out of the cases, and the DM account the
//! device is told to hold. What the operator reads goes through `tell`, a line each.

use crate::runner::{self, CaseRun, Options};
use crate::scenario::Scenario;
use dmct_proto::auth::{Credentials, Scheme};
use dmct_proto::package0::Package0Nonce;
use dmct_rules::Role;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the operator's lines go (the CLI: standard error).
pub type Tell<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// The operator at the bench: where the lines go, and whether secrets are left out of
/// them (`--redact`).
pub struct Operator<'a> {
    pub tell: Tell<'a>,
    pub redact: bool,
}

/// The requests no case took, shared with the CLI so an interrupted run writes them too.
pub type LeftOut = std::sync::Mutex<Vec<crate::gated::Apart>>;

/// Why a device's run could not go on, or its left-out requests not be written.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Run(#[from] crate::RunError),
    #[error("cannot create {}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialise left-out requests")]
    Serialise(#[source] serde_json::Error),
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
}

pub fn lock(left_out: &LeftOut) -> std::sync::MutexGuard<'_, Vec<crate::gated::Apart>> {
    left_out.lock().unwrap_or_else(|p| p.into_inner())
}

/// The requests no case took, kept in OUT/left-out.json (redacted with --redact).
pub fn write_left_out(
    out: &Path,
    left: &[crate::gated::Apart],
    redact: bool,
    tell: Tell<'_>,
) -> Result<(), ServeError> {
    if left.is_empty() {
        return Ok(());
    }
    let left: Vec<crate::gated::Apart> = left
        .iter()
        .cloned()
        .map(|mut a| {
            if redact {
                let t = dmct_proto::transcript::Transcript {
                    exchanges: vec![a.exchange.clone()],
                    ..Default::default()
                };
                if let Some(e) = crate::redact::transcript(&t).0.exchanges.pop() {
                    a.exchange = e;
                }
            }
            a
        })
        .collect();
    std::fs::create_dir_all(out).map_err(|source| ServeError::Create {
        path: out.to_owned(),
        source,
    })?;
    let path = out.join("left-out.json");
    let json = serde_json::to_string_pretty(&left).map_err(ServeError::Serialise)?;
    crate::output::write_atomic(&path, json.as_bytes())?;
    tell(&format!(
        "dmct: {} request(s) left out of every case are in {}",
        left.len(),
        path.display()
    ));
    Ok(())
}

pub async fn serve_cases(
    addr: SocketAddr,
    public_url: Option<String>,
    scenarios: &[Scenario],
    opts: &Options,
    trigger: Option<&runner::Trigger>,
    operator: &Operator<'_>,
    left_out: &LeftOut,
) -> Result<Vec<CaseRun>, ServeError> {
    let (tell, redact) = (operator.tell, operator.redact);
    let public_url_missing = public_url.is_none();
    let server = crate::ExternalServer::bind(addr, public_url, opts).await?;
    let todo: Vec<_> = scenarios
        .iter()
        .filter(|s| s.roles.contains(&Role::Client))
        .collect();
    tell(&format!(
        "dmct: DM server listening on {} (tell the device: {})",
        server.local_addr(),
        server.url
    ));
    if public_url_missing && addr.ip().is_unspecified() {
        tell(&format!(
            "dmct: warning: {} is not an address a device can reach; pass --public-url with \
             the URL the device should use (it is also the base of the RespURIs dmct sends)",
            addr.ip()
        ));
    }
    tell(&describe(
        &DeviceAccount {
            server_url: &server.url,
            server_id: &opts.server_id,
            client: &opts.client_creds,
            challenge: opts.client_auth,
            server: &opts.server_creds,
            tls: opts.server_tls.is_some(),
        },
        redact,
    ));
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
        tell(&format!(
            "dmct: each Package 0 names ServerID {:?} and is signed with SRVCRED's secret and \
             nonce {} ({nonce})",
            opts.server_id,
            crate::redact::scrub_known(&opts.package0_nonce.to_string())
        ));
        tell(&format!(
            "dmct: sanity session before the suite (waking the device with {})",
            if redact {
                "the --exec command, not shown under --redact".to_owned()
            } else {
                format!("`{}`", t.command)
            }
        ));
        let sanity = crate::scenario::sanity("before");
        opts.starting(&sanity, Role::Client, "external-client");
        let before = server.run_case(&sanity, opts, Some(t)).await;
        tell_apart(&server, left_out, tell);
        let alive = !before.transcript.exchanges.is_empty();
        opts.finished(&before);
        runs.push(before);
        if !alive {
            tell("dmct: the device did not answer the sanity session: the suite is not run");
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
            let verdict = crate::judge(&run).verdict;
            tell(&format!(
                "[{}/{}] {}: {}
      {}: not run",
                i + 1,
                todo.len(),
                s.id,
                s.title,
                verdict.as_str()
            ));
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
        tell(&format!(
            "[{}/{}] {}: {}\n      {how}",
            i + 1,
            todo.len(),
            s.id,
            s.title
        ));
        opts.starting(s, Role::Client, "external-client");
        let run = server.run_case(s, opts, trigger).await;
        tell_apart(&server, left_out, tell);
        opts.finished(&run);
        let verdict = crate::judge(&run).verdict;
        tell(&format!(
            "      {} ({} exchanges)",
            verdict.as_str(),
            run.transcript.exchanges.len()
        ));
        runs.push(run);
    }
    if let Some(t) = trigger {
        tell("dmct: sanity session after the suite");
        let sanity = crate::scenario::sanity("after");
        opts.starting(&sanity, Role::Client, "external-client");
        let after = server.run_case(&sanity, opts, Some(t)).await;
        tell_apart(&server, left_out, tell);
        opts.finished(&after);
        if after.transcript.exchanges.is_empty() {
            tell(&format!("dmct: {}", died_during_suite(&runs)));
        }
        runs.push(after);
    }
    server.shutdown().await;
    Ok(runs)
}

/// Tell the operator of requests no case took (a second device, a late retry, a new
/// session after the case's ended): answered 503, never judged.
pub fn tell_apart(server: &crate::ExternalServer, left_out: &LeftOut, tell: Tell<'_>) {
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
            tell(&format!("      left out of every case: {a}"));
        }
        lock(left_out).push(a);
    }
    if refused > 0 {
        tell(&format!(
            "      left out of every case: {refused} request(s) refused (503) at dmct's limits \
             (--max-inflight-bytes, --max-connections); see left-out.json"
        ));
    }
}

/// The device answered the sanity session before the suite and not the one after: when
/// it was last heard of, so the operator knows which cases it never saw.
pub fn died_during_suite(runs: &[CaseRun]) -> String {
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

/// The DM account a device needs for dmct's listener, as a lab enters it (DMAcc).
pub struct DeviceAccount<'a> {
    /// AppAddr/Addr: where the device sends its DM sessions.
    pub server_url: &'a str,
    /// ServerID.
    pub server_id: &'a str,
    /// CLCRED: what the device presents and dmct checks.
    pub client: &'a Credentials,
    /// The scheme dmct challenges a device with when its credentials are missing or
    /// wrong; `None`: it demands none (`--auth none`).
    pub challenge: Option<Scheme>,
    /// SRVCRED: what dmct presents to the device.
    pub server: &'a Credentials,
    /// dmct's listener speaks HTTPS.
    pub tls: bool,
}

/// The account, one field a line, for the operator to configure the device with. With
/// `redact`, the secrets are left out (the names stay: a lab needs to know which
/// account is meant).
pub fn describe(a: &DeviceAccount, redact: bool) -> String {
    let secret = |s: &str| {
        if redact {
            "(redacted)".to_owned()
        } else {
            s.to_owned()
        }
    };
    let challenge = match a.challenge {
        Some(Scheme::Basic) => {
            "dmct challenges with BASIC (syncml:auth-basic) unless a case asks for another"
        }
        Some(Scheme::Md5) => {
            "dmct challenges with DIGEST (syncml:auth-md5) unless a case asks for another"
        }
        Some(Scheme::Hmac) => {
            "dmct challenges with HMAC (syncml:auth-MAC) unless a case asks for another"
        }
        None => "dmct demands none (--auth none): no case challenges the device",
    };
    let transport = if a.tls {
        "HTTPS (trust dmct's certificate on the device)"
    } else {
        "HTTP"
    };
    format!(
        "dmct: configure the device's DM account (DMAcc) as follows:\n\
         \x20     server URL (AppAddr):         {url} over {transport}\n\
         \x20     ServerID:                     {id}\n\
         \x20     client credentials (CLCRED):  AAuthName {cu}, AAuthSecret {cs}\n\
         \x20                                   {challenge}; credentials sent before a \
         challenge may be Basic, MD5 or HMAC\n\
         \x20     server credentials (SRVCRED): AAuthName {su}, AAuthSecret {ss}\n\
         \x20                                   dmct presents them in Basic unless the device \
         challenges it for another scheme",
        url = a.server_url,
        id = a.server_id,
        cu = a.client.user,
        cs = secret(&a.client.secret),
        su = a.server.user,
        ss = secret(&a.server.secret),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_that_died_during_the_suite_is_placed() {
        let sanity = crate::scenario::sanity("before");
        let mut answered = runner::skipped(&sanity, "x");
        assert_eq!(
            died_during_suite(std::slice::from_ref(&answered)),
            "the device did not answer the sanity session after the suite"
        );
        answered
            .transcript
            .exchanges
            .push(dmct_proto::transcript::Exchange {
                request: dmct_proto::transcript::HttpRequest {
                    method: "POST".into(),
                    target: "/dm".into(),
                    headers: dmct_proto::transcript::Headers(vec![]),
                    body: Vec::new().into(),
                },
                response: None,
                failure: None,
                time: None,
            });
        answered.transcript.ended = Some("2026-12-07T08:00:00.000Z".into());
        let silent = runner::skipped(&crate::scenario::sanity("after"), "x");
        let said = died_during_suite(&[answered, silent]);
        assert!(
            said.contains(&format!(
                "the last case it answered was {} (its session ended at \
                 2026-12-07T08:00:00.000Z)",
                sanity.id
            )),
            "{said}"
        );
    }

    #[test]
    fn the_account_names_every_field_and_hides_secrets_when_redacted() {
        let client = Credentials {
            user: "dev-user".into(),
            secret: "dev-secret".into(),
        };
        let server = Credentials {
            user: "srv-user".into(),
            secret: "srv-secret".into(),
        };
        let a = DeviceAccount {
            server_url: "http://lab:8080/dm",
            server_id: "lab-server",
            client: &client,
            challenge: Some(Scheme::Md5),
            server: &server,
            tls: false,
        };
        let text = describe(&a, false);
        for want in [
            "http://lab:8080/dm over HTTP",
            "ServerID:                     lab-server",
            "AAuthName dev-user, AAuthSecret dev-secret",
            "DIGEST (syncml:auth-md5)",
            "AAuthName srv-user, AAuthSecret srv-secret",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
        let redacted = describe(&a, true);
        assert!(!redacted.contains("dev-secret") && !redacted.contains("srv-secret"));
        assert!(redacted.contains("AAuthName dev-user, AAuthSecret (redacted)"));
    }
}
