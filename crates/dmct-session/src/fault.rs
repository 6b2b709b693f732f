//! Named faults: each makes a reference engine break specific rules on purpose.
//!
//! A fault names the rules it breaks; `dmct selftest` runs every faulty peer and requires
//! each of those rules to fail on it (the catalog's mutation score).

use serde::{Deserialize, Serialize};

/// Faults of the reference client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientFault {
    /// Answers a Package #2 without server credentials and without commands with a
    /// package holding only a Status for the SyncHdr with a Chal.
    SynchdrOnlyChallenge,
    /// Sends the Status-only package it should drop when the server's package had no
    /// operations and no challenge.
    StatusOnlyReply,
    /// Treats a challenge in the setup phase as the end of the session and starts a new
    /// one (new SessionID, MsgID 1).
    ReauthNewSession,
    /// Re-authenticates without repeating the Alert and the DevInfo Replace.
    ReauthWithoutSetup,
    /// Re-authenticates with the scheme it used before, not the one asked for.
    ReauthSameScheme,
    /// Ignores the RespURI of the challenging package.
    ReauthIgnoresRespUri,
}

impl ClientFault {
    pub const ALL: [ClientFault; 6] = [
        ClientFault::SynchdrOnlyChallenge,
        ClientFault::StatusOnlyReply,
        ClientFault::ReauthNewSession,
        ClientFault::ReauthWithoutSetup,
        ClientFault::ReauthSameScheme,
        ClientFault::ReauthIgnoresRespUri,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ClientFault::SynchdrOnlyChallenge => "synchdr-only-challenge",
            ClientFault::StatusOnlyReply => "status-only-reply",
            ClientFault::ReauthNewSession => "reauth-new-session",
            ClientFault::ReauthWithoutSetup => "reauth-without-setup",
            ClientFault::ReauthSameScheme => "reauth-same-scheme",
            ClientFault::ReauthIgnoresRespUri => "reauth-ignores-respuri",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Rule ids this fault must make fail.
    pub fn breaks(self) -> &'static [&'static str] {
        match self {
            // Its Status-only package is also the reply §8 forbids.
            ClientFault::SynchdrOnlyChallenge => &[
                "auth/no-synchdr-only-challenge",
                "session/no-status-only-package",
            ],
            ClientFault::StatusOnlyReply => &["session/no-status-only-package"],
            ClientFault::ReauthNewSession
            | ClientFault::ReauthWithoutSetup
            | ClientFault::ReauthSameScheme
            | ClientFault::ReauthIgnoresRespUri => &["session/reauth-continues"],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ClientFault::SynchdrOnlyChallenge => {
                "challenges a credential-less, command-less Package #2 with a SyncHdr-only Status"
            }
            ClientFault::StatusOnlyReply => {
                "sends a Status-only package after a package without operations"
            }
            ClientFault::ReauthNewSession => "starts a new session when challenged during setup",
            ClientFault::ReauthWithoutSetup => {
                "re-authenticates without repeating Alert and DevInfo"
            }
            ClientFault::ReauthSameScheme => {
                "re-authenticates with its old scheme, not the one asked for"
            }
            ClientFault::ReauthIgnoresRespUri => {
                "re-authenticates to the old URL instead of RespURI"
            }
        }
    }
}

/// Faults of the reference server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerFault {
    /// Answers the client's first management-phase package with an empty HTTP body.
    EmptyReply,
}

impl ServerFault {
    pub const ALL: [ServerFault; 1] = [ServerFault::EmptyReply];

    pub fn name(self) -> &'static str {
        match self {
            ServerFault::EmptyReply => "empty-reply",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn breaks(self) -> &'static [&'static str] {
        match self {
            ServerFault::EmptyReply => &["session/server-answers-every-package"],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ServerFault::EmptyReply => {
                "answers the first Package #3 with HTTP 200 and an empty body"
            }
        }
    }
}
