//! `dmct peer`: the reference peers run by hand, for a lab trying its own client or
//! server, and for the proxy's tests.

use crate::Accounts;
use anyhow::{Context, Result};
use dmct_net::{Limits, ServerTls};
use dmct_proto::transcript::{Closing, Transcript};
use dmct_session::{Client, ServerFault, ServerScript};
use dmct_suite::runner::{self, CaseResponder};
use dmct_suite::{Options, peers};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The reference server on `listen`, any number of concurrent sessions, until Ctrl-C.
pub async fn server(
    listen: SocketAddr,
    public_url: Option<String>,
    script: ServerScript,
    accounts: &Accounts,
    tls: Option<ServerTls>,
    limits: Limits,
    faults: BTreeSet<ServerFault>,
) -> Result<ExitCode> {
    let responder = Arc::new(CaseResponder::default());
    let handle = dmct_net::serve_with(listen, responder.clone(), limits, tls)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let url = public_url.unwrap_or_else(|| format!("{}/dm", handle.url()));
    let mut config = peers::server_config(&url, accounts.client(), &faults);
    if let Some(s) = accounts.server() {
        config.server_creds = s;
    }
    if let Some(scheme) = accounts.challenge_scheme()? {
        config.scheme = scheme;
    }
    if let Some(n) = &accounts.nonce {
        config.client_nonce = Some(n.clone());
    }
    eprintln!(
        "dmct: reference DM server at {url}\n      clients authenticate as {:?} ({} challenge); \
         the server presents itself as {:?}\n      Ctrl-C stops it",
        config.client_creds.user, config.scheme, config.server_creds.user
    );
    responder.install(Some(dmct_session::Server::new(config, script)));
    let rec = handle.recorder().clone();
    let log = tokio::spawn(async move {
        let mut n = 0usize;
        loop {
            // Print and drop what was recorded, so a long-running peer stays small.
            rec.wait_beyond(0, Duration::from_secs(3600)).await;
            for ex in rec.take() {
                n += 1;
                let status = ex
                    .response
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |r| r.status.to_string());
                let who = dmct_proto::decode(ex.request.body.as_bytes())
                    .map(|d| {
                        format!(
                            "session {} msg {} from {}",
                            d.message.hdr.session_id,
                            d.message.hdr.msg_id,
                            d.message.hdr.source.loc_uri
                        )
                    })
                    .unwrap_or_else(|e| format!("undecodable: {e}"));
                let failure = ex
                    .failure
                    .as_ref()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default();
                eprintln!(
                    "[{n}] {} {} {} bytes -> {status}: {who}{failure}",
                    ex.request.method,
                    ex.request.target,
                    ex.request.body.len()
                );
            }
        }
    });
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    log.abort();
    handle.shutdown().await;
    eprintln!("dmct: stopped");
    Ok(ExitCode::SUCCESS)
}

/// One session of the reference client against `url`.
pub async fn client(
    url: &str,
    accounts: &Accounts,
    wbxml: bool,
    package0: Option<&[u8]>,
    transcript: Option<&Path>,
    opts: &Options,
) -> Result<ExitCode> {
    let scenario = dmct_suite::Scenario {
        id: "peer/client".into(),
        title: "dmct peer client".into(),
        roles: vec![dmct_rules::Role::Server],
        rules: Vec::new(),
        client: Default::default(),
        server: Default::default(),
        expect: Default::default(),
    };
    let mut config = peers::client_config(&scenario, url, &Default::default());
    // Each run is a new session to the server: a SessionID (and nonce seed) from the
    // clock, taken here at the edge since the engine has no clock.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    config.session_id = format!("{:X}", now.as_millis() & 0xFFFF);
    config.nonce_seed = now.as_nanos() as u64;
    let target = accounts.target(url);
    config.creds = target.creds;
    config.scheme = target.scheme.unwrap_or(dmct_proto::auth::Scheme::Basic);
    config.unprompted = target.unprompted;
    config.nonce = target.nonce;
    config.server_creds = target.server_creds;
    if wbxml {
        config.encoding = dmct_proto::xml::Encoding::Wbxml;
    }
    if let Some(bytes) = package0 {
        config = config
            .for_notification(bytes)
            .context("the Package 0 is refused")?;
    }
    let mut client = Client::new(config);
    let (exchanges, closing) = runner::drive_client(&mut client, opts).await;
    for (i, ex) in exchanges.iter().enumerate() {
        let status = ex.response.as_ref().map_or_else(
            || "no response".to_owned(),
            |r| format!("HTTP {}", r.status),
        );
        let failure = ex
            .failure
            .as_ref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        eprintln!(
            "[{}] POST {} {} bytes -> {status}{failure}",
            i + 1,
            ex.request.target,
            ex.request.body.len()
        );
    }
    let t = Transcript {
        transport: runner::client_transport(url, opts, &exchanges),
        exchanges,
        closing: closing.clone(),
        ..Transcript::default()
    };
    if let Some(path) = transcript {
        let json = serde_json::to_string_pretty(&t).context("cannot serialise the transcript")?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let ok = client.completed() && closing == Closing::PeerDone;
    if ok {
        eprintln!(
            "dmct: the session ended well ({} exchanges)",
            t.exchanges.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("dmct: the session did not end well ({closing:?})");
        Ok(ExitCode::from(1))
    }
}
