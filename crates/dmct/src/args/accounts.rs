//! The device's and the server's accounts (`Accounts`), `--auth` and the Package 0
//! flags' values.

use dmct_proto::auth::{Credentials, Nonce, Scheme};

/// Credentials of the DM client's account and of the server.
#[derive(clap::Args, Clone)]
#[command(next_help_heading = "Device account")]
pub(crate) struct Accounts {
    /// The client's user name (AAuthName of CLCRED): what dmct's server expects, or
    /// what dmct's client presents
    #[arg(
        long = "client-user",
        visible_alias = "user",
        default_value = "dmct-client"
    )]
    pub(crate) client_user: String,
    /// The client's secret (AAuthSecret of CLCRED)
    #[arg(
        long = "client-secret",
        visible_alias = "secret",
        default_value = "dmct-client-secret"
    )]
    pub(crate) client_secret: String,
    /// The server's user name (SRVCRED): what dmct's server presents, or what dmct's
    /// client expects of a server under test (with --server-secret)
    #[arg(long, default_value = "dmct-server")]
    pub(crate) server_user: String,
    /// The server's secret (SRVCRED)
    #[arg(long)]
    pub(crate) server_secret: Option<String>,
    /// Authentication scheme: what dmct's client opens Package #1 with (none: no
    /// credentials until challenged; a challenge is answered either way), or what
    /// dmct's server challenges with (basic, md5 or hmac)
    #[arg(long, value_name = "SCHEME", value_enum)]
    pub(crate) auth: Option<Auth>,
    /// The nonce (base64) the client holds from its account or an earlier session
    /// (CLCRED AAuthData): dmct's client keys unprompted MD5 and HMAC with it; `peer
    /// server` checks the unprompted MD5 or HMAC that opens a session with it. Default:
    /// the special nonce value 0x00000000 (four zero bytes, AAAAAA==)
    #[arg(long, value_name = "B64", value_parser = parse_nonce)]
    pub(crate) nonce: Option<Nonce>,
    /// The server's ServerID (DMAcc ServerID): what dmct's server names in Package 0
    /// and keys its digest with, or what dmct's client holds for the server
    #[arg(long, value_name = "ID", default_value = dmct_suite::peers::DEFAULT_SERVER_ID)]
    pub(crate) server_id: String,
}

/// `--pkg0-ui-mode`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Pkg0UiMode {
    NotSpecified,
    Background,
    Informative,
    UserInteraction,
}

impl From<Pkg0UiMode> for dmct_proto::package0::UiMode {
    fn from(m: Pkg0UiMode) -> Self {
        use dmct_proto::package0::UiMode;
        match m {
            Pkg0UiMode::NotSpecified => UiMode::NotSpecified,
            Pkg0UiMode::Background => UiMode::Background,
            Pkg0UiMode::Informative => UiMode::Informative,
            Pkg0UiMode::UserInteraction => UiMode::UserInteraction,
        }
    }
}

/// `--pkg0-initiator`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Pkg0Initiator {
    Server,
    User,
}

impl From<Pkg0Initiator> for dmct_proto::package0::Initiator {
    fn from(i: Pkg0Initiator) -> Self {
        use dmct_proto::package0::Initiator;
        match i {
            Pkg0Initiator::Server => Initiator::Server,
            Pkg0Initiator::User => Initiator::Client,
        }
    }
}

/// `--auth`: a scheme, or none.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Auth {
    None,
    Basic,
    Md5,
    Hmac,
}

impl Auth {
    pub(crate) fn scheme(self) -> Option<Scheme> {
        match self {
            Auth::None => None,
            Auth::Basic => Some(Scheme::Basic),
            Auth::Md5 => Some(Scheme::Md5),
            Auth::Hmac => Some(Scheme::Hmac),
        }
    }
}

pub(crate) fn parse_nonce(s: &str) -> std::result::Result<Nonce, String> {
    Nonce::from_b64(s).map_err(|_| format!("{s:?} is not base64"))
}

/// A wait in seconds, whole or not (`1`, `0.2`): tests and fast labs need less than a
/// second, and `Duration` keeps it exact to the nanosecond.
pub(crate) fn parse_seconds(s: &str) -> std::result::Result<std::time::Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    std::time::Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("{s:?} is not a number of seconds from 0 up"))
}

impl Accounts {
    pub(crate) fn client(&self) -> Credentials {
        Credentials {
            user: self.client_user.clone(),
            secret: self.client_secret.clone(),
        }
    }

    pub(crate) fn server(&self) -> Option<Credentials> {
        self.server_secret.as_ref().map(|secret| Credentials {
            user: self.server_user.clone(),
            secret: secret.clone(),
        })
    }

    /// The DM server at `url` as dmct's client authenticates to it.
    pub(crate) fn target(&self, url: &str) -> dmct_suite::TargetServer {
        let mut t = dmct_suite::TargetServer::new(url, self.client());
        t.scheme = self.auth.and_then(Auth::scheme);
        t.unprompted = self.auth != Some(Auth::None);
        if let Some(n) = &self.nonce {
            t.nonce = Some(n.clone());
        }
        t.server_creds = self.server();
        t
    }

    /// What dmct's server presents (the device's SRVCRED): --server-user with
    /// --server-secret, each defaulting to the built-in account's.
    pub(crate) fn srvcred(&self) -> Credentials {
        Credentials {
            user: self.server_user.clone(),
            secret: self
                .server_secret
                .clone()
                .unwrap_or_else(|| dmct_suite::peers::default_server_creds().secret),
        }
    }

    /// The scheme dmct's server asks of a client whose credentials are missing or
    /// wrong (MD5 unless told); `None` for `--auth none`: it demands none.
    pub(crate) fn client_auth(&self) -> Option<Scheme> {
        match self.auth {
            Some(a) => a.scheme(),
            None => Some(Scheme::Md5),
        }
    }
}
