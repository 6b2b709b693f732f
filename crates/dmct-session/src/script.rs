//! What the reference server does, package by package, as data.
//!
//! A scenario file in `testcases/scenarios/` holds one [`ServerScript`]. Step `n` answers
//! the client's `n`-th package (counting only packages the server accepted: a client
//! whose credentials fail is challenged again without moving on). When the steps run out
//! the server answers with a package without commands, which ends the session.

use dmct_proto::auth::Scheme;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerScript {
    /// The server's MaxMsgSize for this script, when it differs from the server's own
    /// (a small one makes the client split its packages).
    #[serde(default)]
    pub max_msg_size: Option<u32>,
    /// The SyncHdr Status that accepts the client's credentials: 212 (the default,
    /// authenticated for the session) or 200 (send them again with every message).
    #[serde(default)]
    pub accept_status: Option<u16>,
    /// The scheme asked of a client whose credentials are missing or wrong, when it
    /// differs from the server's own setting.
    #[serde(default)]
    pub scheme: Option<Scheme>,
    #[serde(default, rename = "package")]
    pub packages: Vec<ServerStep>,
}

/// One server package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerStep {
    /// The server's own credentials in this package.
    #[serde(default)]
    pub cred: ServerCred,
    /// Challenge the client (whatever its credentials) instead of accepting them.
    #[serde(default)]
    pub challenge: Option<Challenge>,
    /// Give the client a RespURI to send its next package to.
    #[serde(default)]
    pub resp_uri: bool,
    /// Management commands of this package.
    #[serde(default)]
    pub commands: Vec<ScriptCommand>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerCred {
    /// No Cred in the SyncHdr.
    #[default]
    None,
    /// Correct server credentials.
    Valid,
    /// Credentials with a wrong secret.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// 401 (invalid credentials) or 407 (credentials missing), for a request that
    /// carries credentials; one without any is answered 407 ([PRO] §9.4.1).
    pub status: u16,
    pub scheme: Scheme,
}

/// A management command the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum ScriptCommand {
    Get {
        target: String,
        /// Further nodes the same Get reads, one Item each.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more_targets: Vec<String>,
    },
    Replace {
        target: String,
        data: String,
        #[serde(default = "chr")]
        format: String,
        /// Send `data` this many times over: a large object from a short script.
        #[serde(default)]
        repeat: Option<usize>,
    },
    Add {
        target: String,
        #[serde(default)]
        data: Option<String>,
        #[serde(default = "chr")]
        format: String,
        #[serde(default)]
        repeat: Option<usize>,
    },
    Delete {
        target: String,
    },
    Exec {
        target: String,
        #[serde(default)]
        data: Option<String>,
    },
    /// Copy a leaf onto a leaf.
    Copy {
        source: String,
        target: String,
    },
    /// A user-interaction or other server alert, e.g. 1100 (display) with its Items.
    Alert {
        code: String,
        #[serde(default)]
        items: Vec<String>,
    },
    /// All or nothing.
    Atomic {
        commands: Vec<ScriptCommand>,
    },
    /// In order, stopping at the first failure.
    Sequence {
        commands: Vec<ScriptCommand>,
    },
}

fn chr() -> String {
    "chr".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_script_from_toml() {
        let s: ServerScript = toml::from_str(
            r#"
            [[package]]
            challenge = { status = 401, scheme = "md5" }
            resp_uri = true
            [[package]]
            cred = "valid"
            commands = [
              { op = "get", target = "./DevInfo/Mod" },
              { op = "replace", target = "./DMAcc/dmct/Name", data = "lab" },
            ]
            "#,
        )
        .unwrap();
        assert_eq!(s.packages.len(), 2);
        assert_eq!(
            s.packages[0].challenge,
            Some(Challenge {
                status: 401,
                scheme: Scheme::Md5
            })
        );
        assert_eq!(s.packages[1].cred, ServerCred::Valid);
        assert_eq!(
            s.packages[1].commands[1],
            ScriptCommand::Replace {
                target: "./DMAcc/dmct/Name".into(),
                data: "lab".into(),
                format: "chr".into(),
                repeat: None,
            }
        );
        assert!(toml::from_str::<ServerScript>("[[package]]\nbogus = 1").is_err());
    }
}
