//! `dmct peer`: the reference peers run by hand, for a lab trying its own client or
//! server, and for the proxy's tests.

use crate::*;
use dmct_proto::transcript::{Closing, Transcript};
use dmct_session::{Client, ServerFault, ServerScript};
use dmct_suite::peers;
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
    let mut config = peers::server_config(&url, accounts.client(), &faults);
    // Fresh NextNonces per run ([SEC] §5.3.3); one counter makes them fresh per session.
    config.nonce_seed = peers::SessionIds::new(opts.seed, "peer-server").server_nonce_seed;
    config.verproto_param = opts.verproto_param;
    config.server_id = accounts.server_id.clone();
    config.server_creds = accounts.srvcred();
    match accounts.client_auth() {
        Some(scheme) => config.scheme = scheme,
        None => config.authenticate_client = false,
    }
    if let Some(n) = &accounts.nonce {
        config.client_nonce = Some(n.clone());
    }
    let clients = if config.authenticate_client {
        format!(
            "clients authenticate as {:?} ({} challenge)",
            config.client_creds.user, config.scheme
        )
    } else {
        "no client credentials are demanded (--auth none)".to_owned()
    };
    eprintln!(
        "dmct: reference DM server at {url}\n      {clients}; the server presents itself as \
         {:?}\n      Ctrl-C stops it",
        config.server_creds.user
    );
    responder.install(Some(dmct_session::Server::new(config, script)));
    let rec = handle.recorder().clone();
    let log = tokio::spawn(async move {
        let mut n = 0usize;
        loop {
            // Print and drop what was recorded, so a long-running peer stays small.
            rec.wait_beyond(0, Duration::from_secs(3600)).await;
            for ex in rec.take() {
                // The listener's own refusals are told by count, once per burst.
                if matches!(
                    ex.failure,
                    Some(dmct_proto::transcript::ExchangeFailure::HarnessRefused { .. })
                ) {
                    continue;
                }
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
    // Each run is a new session to the server: a SessionID and nonce seed from the
    // run seed, drawn at the edge since the engine has no randomness.
    let ids = peers::SessionIds::new(opts.seed, "peer-client");
    config.session_id = ids.session_id_hex();
    config.nonce_seed = ids.client_nonce_seed;
    config.verproto_param = opts.verproto_param;
    let target = accounts.target(url);
    config.creds = target.creds;
    config.scheme = target.scheme.unwrap_or(dmct_proto::auth::Scheme::Basic);
    config.unprompted = target.unprompted;
    config.nonce = target.nonce;
    config.server_creds = target.server_creds;
    config.server_id = accounts.server_id.clone();
    if let Some(e) = opts.client_encoding {
        config.encoding = e;
    }
    if let Some(bytes) = package0 {
        config = config
            .for_notification(bytes)
            .context("the Package 0 is refused")?;
    }
    let mut client = Client::new(config);
    let (exchanges, closing) = runner::drive_client(&mut client, opts, None).await;
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
        eprintln!(
            "dmct: the session did not end well: {}",
            dmct_report::closing_text(&closing)
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
