//! `dmct peer`: the reference peers run by hand, for a lab trying its own client or
//! server, and for the proxy's tests (configured by `dmct_suite::by_hand`).

use crate::*;
use dmct_session::{ServerFault, ServerScript};
use dmct_suite::by_hand;
use dmct_suite::runner::CaseResponder;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

/// The reference server on `listen`, any number of concurrent sessions, until Ctrl-C.
pub async fn server(
    listen: SocketAddr,
    public_url: Option<String>,
    script: ServerScript,
    accounts: &Accounts,
    opts: &Options,
    faults: BTreeSet<ServerFault>,
) -> Result<ExitCode> {
    let responder = Arc::new(CaseResponder::default());
    let handle = dmct_net::serve_with(
        listen,
        responder.clone(),
        opts.limits.clone(),
        opts.server_tls.clone(),
    )
    .await?;
    let url = public_url.unwrap_or_else(|| format!("{}/dm", handle.url()));
    let account = by_hand::ServerAccount {
        client: accounts.client(),
        server_id: accounts.server_id.clone(),
        server: accounts.srvcred(),
        challenge: accounts.client_auth(),
        nonce: accounts.nonce.clone(),
    };
    let config = by_hand::server_config(&url, &account, opts, &faults);
    eprintln!("{}", by_hand::server_banner(&url, &config));
    responder.install(Some(dmct_session::Server::new(config, script)));
    let rec = handle.recorder().clone();
    let log = tokio::spawn(async move {
        let mut n = 0usize;
        loop {
            // Print and drop what was recorded, so a long-running peer stays small.
            rec.wait_beyond(0, Duration::from_secs(3600)).await;
            for ex in rec.take() {
                if by_hand::refused_by_harness(&ex) {
                    continue;
                }
                n += 1;
                eprintln!("{}", by_hand::served_line(n, &ex));
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
    package0: Option<&[u8]>,
    transcript: Option<&Path>,
    opts: &Options,
) -> Result<ExitCode> {
    let config = by_hand::client_config(accounts.target(url), &accounts.server_id, package0, opts)?;
    let (t, ok) = by_hand::client_session(url, config, opts, &say).await;
    if let Some(path) = transcript {
        by_hand::write_transcript(path, &t)?;
    }
    if ok {
        eprintln!(
            "dmct: the session ended well ({} exchanges)",
            t.exchanges.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "dmct: the session did not end well: {}",
            dmct_report::closing_text(&t.closing)
        );
        Ok(ExitCode::from(1))
    }
}

/// `dmct peer server` and `dmct peer client`: their flags read, the peer run.
pub(crate) async fn command(which: PeerCommand) -> Result<ExitCode> {
    match which {
        PeerCommand::Server(a) => serve_by_hand(a).await,
        PeerCommand::Client(a) => client_by_hand(a).await,
    }
}

async fn serve_by_hand(a: PeerServerArgs) -> Result<ExitCode> {
    let PeerServerArgs {
        listen,
        public_url,
        script,
        accounts,
        listen_tls,
        exchange_timeout,
        max_body,
        capacity,
        fault,
        seed,
        wire,
    } = a;
    let tls = server_tls(&listen_tls)?;
    let faults = fault
        .iter()
        .map(|n| {
            dmct_session::ServerFault::from_name(n)
                .with_context(|| format!("no server fault is named {n:?} (see `dmct list faults`)"))
        })
        .collect::<Result<_>>()?;
    let script = match script {
        Some(f) => {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("{} is not a server script", f.display()))?
        }
        None => dmct_suite::scenario::builtin()?
            .into_iter()
            .find(|s| s.id == "session/every-command")
            .map(|s| s.server)
            .context("the built-in session/every-command scenario is missing")?,
    };
    let mut limits = dmct_net::Limits {
        max_body,
        exchange_timeout: Duration::from_secs(exchange_timeout),
        notices: dmct_net::Notices::stderr(),
        ..dmct_net::Limits::default()
    };
    capacity.apply(&mut limits, 1)?;
    let opts = Options {
        limits,
        server_tls: tls,
        verproto_param: wire.verproto(),
        seed: seed.value()?,
        ..Options::default()
    };
    server(listen, public_url, script, &accounts, &opts, faults).await
}

async fn client_by_hand(a: PeerClientArgs) -> Result<ExitCode> {
    let PeerClientArgs {
        url,
        accounts,
        encoding,
        wbxml,
        seed,
        package0,
        transcript,
        trust,
        exchange_timeout,
        wire,
    } = a;
    check_url(&url)?;
    let mut opts = Options {
        verproto_param: wire.verproto(),
        client_tls: client_tls(&trust)?,
        ..Options::default()
    };
    opts.limits.exchange_timeout = Duration::from_secs(exchange_timeout);
    opts.seed = seed.value()?;
    opts.client_encoding = Some(if wbxml {
        dmct_proto::xml::Encoding::Wbxml
    } else {
        encoding.into()
    });
    let pkg0 = match &package0 {
        Some(f) => Some(std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?),
        None => None,
    };
    client(
        &url,
        &accounts,
        pkg0.as_deref(),
        transcript.as_deref(),
        &opts,
    )
    .await
}
