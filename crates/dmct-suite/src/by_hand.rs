//! The reference peers run by hand (`dmct peer server`, `dmct peer client`), for a lab
//! trying its own client or server and for the proxy's tests: their configurations from
//! the account the lab gives, one session of the client, and the lines an operator
//! reads of each exchange.

use crate::runner::{self, Options, TargetServer};
use crate::{Scenario, peers};
use dmct_proto::auth::{Credentials, Nonce, Scheme};
use dmct_proto::transcript::{Closing, Exchange, ExchangeFailure, Transcript};
use dmct_session::client::NotificationError;
use dmct_session::{Client, ClientConfig, ServerConfig, ServerFault};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Why a peer could not be set up, or its transcript not be written.
#[derive(Debug, thiserror::Error)]
pub enum ByHandError {
    #[error("the Package 0 is refused")]
    Package0(#[source] NotificationError),
    #[error("cannot serialise the transcript")]
    Serialise(#[source] serde_json::Error),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The device's account as the reference server holds it.
#[derive(Debug, Clone)]
pub struct ServerAccount {
    /// CLCRED: what clients present.
    pub client: Credentials,
    pub server_id: String,
    /// SRVCRED: what the server presents.
    pub server: Credentials,
    /// The scheme a client is challenged with; `None`: none is demanded.
    pub challenge: Option<Scheme>,
    /// The nonce an unprompted MD5 or HMAC opening a session is keyed with.
    pub nonce: Option<Nonce>,
}

/// The reference server's configuration at `url` for `account`, its nonces fresh per
/// run from the run seed ([SEC] §5.3.3; one counter makes them fresh per session).
pub fn server_config(
    url: &str,
    account: &ServerAccount,
    opts: &Options,
    faults: &BTreeSet<ServerFault>,
) -> ServerConfig {
    let mut config = peers::server_config(url, account.client.clone(), faults);
    config.nonce_seed = peers::SessionIds::new(opts.seed, "peer-server").server_nonce_seed;
    config.verproto_param = opts.verproto_param;
    config.server_id = account.server_id.clone();
    config.server_creds = account.server.clone();
    match account.challenge {
        Some(scheme) => config.scheme = scheme,
        None => config.authenticate_client = false,
    }
    if let Some(n) = &account.nonce {
        config.client_nonce = Some(n.clone());
    }
    config
}

/// What the operator is told when the server starts.
pub fn server_banner(url: &str, config: &ServerConfig) -> String {
    let clients = if config.authenticate_client {
        format!(
            "clients authenticate as {:?} ({} challenge)",
            config.client_creds.user, config.scheme
        )
    } else {
        "no client credentials are demanded (--auth none)".to_owned()
    };
    format!(
        "dmct: reference DM server at {url}\n      {clients}; the server presents itself as \
         {:?}\n      Ctrl-C stops it",
        config.server_creds.user
    )
}

/// The listener's own refusals (a flood past its limits), told by count, not one line
/// each.
pub fn refused_by_harness(ex: &Exchange) -> bool {
    matches!(ex.failure, Some(ExchangeFailure::HarnessRefused { .. }))
}

/// The server's line for its `n`-th exchange: who sent it and what it was answered.
pub fn served_line(n: usize, ex: &Exchange) -> String {
    let status = ex
        .response
        .as_ref()
        .map_or_else(|| "-".to_owned(), |r| r.status.to_string());
    let who = dmct_proto::decode(ex.request.body.as_bytes())
        .map(|d| {
            format!(
                "session {} msg {} from {}",
                d.message.hdr.session_id, d.message.hdr.msg_id, d.message.hdr.source.loc_uri
            )
        })
        .unwrap_or_else(|e| format!("undecodable: {e}"));
    let failure = ex
        .failure
        .as_ref()
        .map(|f| format!(" ({f})"))
        .unwrap_or_default();
    format!(
        "[{n}] {} {} {} bytes -> {status}: {who}{failure}",
        ex.request.method,
        ex.request.target,
        ex.request.body.len()
    )
}

/// The reference client's configuration for one session against `target`: a new
/// SessionID and nonce seed from the run seed (drawn at the edge: the engine has no
/// randomness), answering `package0` when given.
pub fn client_config(
    target: TargetServer,
    server_id: &str,
    package0: Option<&[u8]>,
    opts: &Options,
) -> Result<ClientConfig, ByHandError> {
    let scenario = Scenario {
        id: "peer/client".into(),
        title: "dmct peer client".into(),
        roles: vec![dmct_rules::Role::Server],
        rules: Vec::new(),
        client: Default::default(),
        server: Default::default(),
        expect: Default::default(),
    };
    let mut config = peers::client_config(&scenario, &target.url, &Default::default());
    let ids = peers::SessionIds::new(opts.seed, "peer-client");
    config.session_id = ids.session_id_hex();
    config.nonce_seed = ids.client_nonce_seed;
    config.verproto_param = opts.verproto_param;
    config.creds = target.creds;
    config.scheme = target.scheme.unwrap_or(Scheme::Basic);
    config.unprompted = target.unprompted;
    config.nonce = target.nonce;
    config.server_creds = target.server_creds;
    config.server_id = server_id.to_owned();
    if let Some(e) = opts.client_encoding {
        config.encoding = e;
    }
    if let Some(bytes) = package0 {
        config = config
            .for_notification(bytes)
            .map_err(ByHandError::Package0)?;
    }
    Ok(config)
}

/// One session of the client: its transcript, and whether it ended well (the client
/// completed and the server ended the session).
pub async fn client_session(
    url: &str,
    config: ClientConfig,
    opts: &Options,
    tell: crate::serve::Tell<'_>,
) -> (Transcript, bool) {
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
        tell(&format!(
            "[{}] POST {} {} bytes -> {status}{failure}",
            i + 1,
            ex.request.target,
            ex.request.body.len()
        ));
    }
    let ok = client.completed() && closing == Closing::PeerDone;
    let t = Transcript {
        transport: runner::client_transport(url, opts, &exchanges),
        exchanges,
        closing,
        ..Transcript::default()
    };
    (t, ok)
}

/// Write a session's transcript as JSON (what `dmct check` reads).
pub fn write_transcript(path: &Path, t: &Transcript) -> Result<(), ByHandError> {
    let json = serde_json::to_string_pretty(t).map_err(ByHandError::Serialise)?;
    std::fs::write(path, json).map_err(|source| ByHandError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(challenge: Option<Scheme>) -> ServerAccount {
        ServerAccount {
            client: Credentials {
                user: "dev".into(),
                secret: "dev-secret".into(),
            },
            server_id: "lab".into(),
            server: Credentials {
                user: "srv".into(),
                secret: "srv-secret".into(),
            },
            challenge,
            nonce: None,
        }
    }

    #[test]
    fn the_server_takes_the_account_and_says_what_it_demands() {
        let opts = Options::default();
        let c = server_config(
            "http://lab/dm",
            &account(Some(Scheme::Hmac)),
            &opts,
            &Default::default(),
        );
        assert_eq!((c.scheme, c.server_id.as_str()), (Scheme::Hmac, "lab"));
        assert_eq!(c.server_creds.user, "srv");
        let banner = server_banner("http://lab/dm", &c);
        assert!(
            banner.contains("clients authenticate as \"dev\""),
            "{banner}"
        );
        let c = server_config("http://lab/dm", &account(None), &opts, &Default::default());
        assert!(!c.authenticate_client);
        assert!(server_banner("u", &c).contains("no client credentials are demanded"));
    }

    #[test]
    fn a_package0_that_is_no_notification_is_refused() {
        let target = TargetServer::new("http://lab/dm", account(None).client);
        let e = client_config(target, "lab", Some(b"not a package 0"), &Options::default())
            .unwrap_err();
        assert_eq!(e.to_string(), "the Package 0 is refused");
    }
}
