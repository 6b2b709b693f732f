//! Scenarios: data files in `testcases/scenarios/`, each naming the rules it exercises.

use dmct_proto::auth::Scheme;
use dmct_proto::transcript::ProbeKind;
use dmct_proto::xml::Encoding;
use dmct_rules::Role;
use dmct_session::ServerScript;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable id, `area/name`.
    pub id: String,
    pub title: String,
    /// Roles this scenario can test: `client` (the harness is the server and plays the
    /// script) and/or `server` (a server under test plays the script, the harness is
    /// the client).
    pub roles: Vec<Role>,
    /// Rules the scenario exists to exercise; they must apply to its transcript.
    pub rules: Vec<String>,
    #[serde(default)]
    pub client: ClientSetup,
    #[serde(default)]
    pub server: ServerScript,
    /// What the scenario is expected to show about the built-in faulty peers.
    #[serde(default)]
    pub expect: Expect,
}

/// Expected verdicts, written by hand: the independent labels of the transcript
/// vectors generated from this scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Fault name -> the rules that must fail when the faulty peer plays this scenario.
    #[serde(default)]
    pub faults: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSetup {
    /// The scheme the built-in client opens with.
    pub scheme: Scheme,
    /// The encoding the built-in client speaks (`xml` or `wbxml`).
    #[serde(default)]
    pub encoding: Encoding,
    /// The built-in client's MaxMsgSize, when a scenario needs a small one.
    #[serde(default)]
    pub max_msg_size: Option<u32>,
    /// The built-in client's MaxObjSize, when a scenario needs a small one.
    #[serde(default)]
    pub max_obj_size: Option<u32>,
    /// Open with a Package 0: the session is server-initiated (Alert 1200).
    #[serde(default)]
    pub package0: bool,
    /// The scheme the built-in client requires of the server (SRVCRED AAuthType).
    #[serde(default)]
    pub server_scheme: Option<Scheme>,
    /// Package #1 carries no credentials: the client waits for the server's challenge
    /// and the nonce it brings.
    #[serde(default)]
    pub wait_for_challenge: bool,
    /// Negative probes dmct's client sends, once each and in order (`wrong-secret`,
    /// `stale-nonce`, `missing-hmac`): credentials made wrong or left out on purpose,
    /// which the server under test must refuse. Only for scenarios whose role is
    /// `server`.
    #[serde(default)]
    pub probes: Vec<ProbeKind>,
}

impl Default for ClientSetup {
    fn default() -> Self {
        ClientSetup {
            scheme: Scheme::Basic,
            encoding: Encoding::Xml,
            max_msg_size: None,
            max_obj_size: None,
            package0: false,
            server_scheme: None,
            wait_for_challenge: false,
            probes: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{name}: {source}")]
    Parse {
        name: String,
        source: Box<toml::de::Error>,
    },
    #[error("{name}: names {error}")]
    UnknownRule {
        name: String,
        error: dmct_rules::UnknownRule,
    },
    #[error("{name}: names rule {rule:?}, which dmct does not check (status {status:?})")]
    UncheckedRule {
        name: String,
        rule: String,
        status: String,
    },
    #[error("{name}: expects unknown fault {fault:?}")]
    UnknownFault { name: String, fault: String },
    #[error("{name}: roles must not be empty")]
    NoRole { name: String },
    #[error(
        "{name}: probes are sent by dmct's client to a server under test; the roles must be \
         [\"server\"]"
    )]
    ProbesNeedServerRole { name: String },
    #[error(
        "{name}: wrong-server-secret is not a client probe; give the server package \
         cred = \"invalid\""
    )]
    ServerProbeInClient { name: String },
    #[error("two scenarios have the id {0:?}")]
    DuplicateId(String),
}

/// The scenarios shipped in `testcases/scenarios/`, built into the binary so `dmct run`
/// works from any directory; in file-name order, as [`load_dir`] reads them.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "accept-200.toml",
        include_str!("../../../testcases/scenarios/accept-200.toml"),
    ),
    (
        "client-challenges-server.toml",
        include_str!("../../../testcases/scenarios/client-challenges-server.toml"),
    ),
    (
        "credless-pkg2.toml",
        include_str!("../../../testcases/scenarios/credless-pkg2.toml"),
    ),
    (
        "double-challenge.toml",
        include_str!("../../../testcases/scenarios/double-challenge.toml"),
    ),
    (
        "every-command.toml",
        include_str!("../../../testcases/scenarios/every-command.toml"),
    ),
    (
        "get-missing-node.toml",
        include_str!("../../../testcases/scenarios/get-missing-node.toml"),
    ),
    (
        "get-replace-wbxml.toml",
        include_str!("../../../testcases/scenarios/get-replace-wbxml.toml"),
    ),
    (
        "get-replace.toml",
        include_str!("../../../testcases/scenarios/get-replace.toml"),
    ),
    (
        "hmac-missing-header.toml",
        include_str!("../../../testcases/scenarios/hmac-missing-header.toml"),
    ),
    (
        "hmac-replayed-nonce.toml",
        include_str!("../../../testcases/scenarios/hmac-replayed-nonce.toml"),
    ),
    (
        "hmac-wrong-mac.toml",
        include_str!("../../../testcases/scenarios/hmac-wrong-mac.toml"),
    ),
    (
        "hmac.toml",
        include_str!("../../../testcases/scenarios/hmac.toml"),
    ),
    (
        "invalid-server-cred.toml",
        include_str!("../../../testcases/scenarios/invalid-server-cred.toml"),
    ),
    (
        "large-object.toml",
        include_str!("../../../testcases/scenarios/large-object.toml"),
    ),
    (
        "max-obj-size.toml",
        include_str!("../../../testcases/scenarios/max-obj-size.toml"),
    ),
    (
        "md5-stale-nonce.toml",
        include_str!("../../../testcases/scenarios/md5-stale-nonce.toml"),
    ),
    (
        "package0.toml",
        include_str!("../../../testcases/scenarios/package0.toml"),
    ),
    (
        "reauth-md5.toml",
        include_str!("../../../testcases/scenarios/reauth-md5.toml"),
    ),
    (
        "server-abort.toml",
        include_str!("../../../testcases/scenarios/server-abort.toml"),
    ),
    (
        "wrong-basic-password.toml",
        include_str!("../../../testcases/scenarios/wrong-basic-password.toml"),
    ),
    (
        "wrong-md5-digest.toml",
        include_str!("../../../testcases/scenarios/wrong-md5-digest.toml"),
    ),
];

/// The short session run before and after a suite on an external device: one Get.
/// It tells a device that cannot be reached (or has died) from one that fails cases.
pub fn sanity(when: &str) -> Scenario {
    let mut s = parse(
        "sanity",
        r#"
        id = "sanity"
        title = "Sanity session: one Get, to tell a dead device from a failing one"
        roles = ["client"]
        rules = []
        [[server.package]]
        cred = "valid"
        commands = [{ op = "get", target = "./DevInfo/Mod" }]
        "#,
    )
    .unwrap_or_else(|e| unreachable!("the built-in sanity scenario parses: {e}"));
    s.rules = vec![dmct_rules::Rule::id(&dmct_rules::rules::session::NoStatusOnlyPackage).into()];
    s.id = format!("sanity/{when}");
    s
}

pub fn parse(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let s: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
        name: name.into(),
        source: Box::new(e),
    })?;
    let checked = |rules: &[String]| -> Result<(), ScenarioError> {
        for r in rules {
            let info = dmct_rules::known(r).map_err(|error| ScenarioError::UnknownRule {
                name: name.into(),
                error,
            })?;
            if dmct_rules::rule(r).is_none() {
                return Err(ScenarioError::UncheckedRule {
                    name: name.into(),
                    rule: r.clone(),
                    status: format!("{:?}", info.status).to_lowercase(),
                });
            }
        }
        Ok(())
    };
    checked(&s.rules)?;
    for (fault, rules) in &s.expect.faults {
        let known = dmct_session::ClientFault::from_name(fault).is_some()
            || dmct_session::ServerFault::from_name(fault).is_some();
        if !known {
            return Err(ScenarioError::UnknownFault {
                name: name.into(),
                fault: fault.clone(),
            });
        }
        checked(rules)?;
    }
    if s.roles.is_empty() {
        return Err(ScenarioError::NoRole { name: name.into() });
    }
    // A probe breaks the client's own credentials on purpose: a client under test
    // never plays it.
    if !s.client.probes.is_empty() && s.roles != [Role::Server] {
        return Err(ScenarioError::ProbesNeedServerRole { name: name.into() });
    }
    // dmct's server probes a client with `cred = "invalid"` in its script.
    if s.client.probes.contains(&ProbeKind::WrongServerSecret) {
        return Err(ScenarioError::ServerProbeInClient { name: name.into() });
    }
    Ok(s)
}

fn check_unique(list: Vec<Scenario>) -> Result<Vec<Scenario>, ScenarioError> {
    let mut ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(ScenarioError::DuplicateId(w[0].to_owned()));
    }
    Ok(list)
}

pub fn builtin() -> Result<Vec<Scenario>, ScenarioError> {
    check_unique(
        BUILTIN
            .iter()
            .map(|(name, text)| parse(name, text))
            .collect::<Result<_, _>>()?,
    )
}

/// Every `*.toml` of a directory, in file-name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let read_err = |source| ScenarioError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|source| ScenarioError::Read {
            path: p.clone(),
            source,
        })?;
        out.push(parse(&p.display().to_string(), &text)?);
    }
    check_unique(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_sanity_session_is_built_in_and_names_its_rule() {
        let s = sanity("before");
        assert_eq!(s.id, "sanity/before");
        let rule = dmct_rules::Rule::id(&dmct_rules::rules::session::NoStatusOnlyPackage);
        assert_eq!(s.rules, [rule]);
    }

    use super::*;

    #[test]
    fn builtin_list_matches_the_testcases_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/scenarios");
        let on_disk = load_dir(&dir).unwrap();
        assert_eq!(
            on_disk,
            builtin().unwrap(),
            "BUILTIN is out of date with {dir:?}"
        );
        assert_eq!(on_disk.len(), BUILTIN.len());
    }

    /// The catalog's `scenarios` are read by the suite (the rules a case must pass):
    /// each names a built-in scenario, a `@role` suffix a role that scenario plays and
    /// the rule binds, so none is a name that exercises nothing.
    #[test]
    fn every_scenario_the_catalog_names_exists_and_plays_that_role() {
        let all = builtin().unwrap();
        for i in dmct_rules::statements() {
            for name in &i.scenarios {
                let (id, role) = match name.split_once('@') {
                    Some((id, r)) => (id, Some(r)),
                    None => (name.as_str(), None),
                };
                let s = all
                    .iter()
                    .find(|s| s.id == id)
                    .unwrap_or_else(|| panic!("{}: no scenario {id:?}", i.id));
                let roles: Vec<Role> = match role {
                    Some(r) => {
                        let r = s.roles.iter().copied().find(|x| x.as_str() == r);
                        vec![r.unwrap_or_else(|| panic!("{}: {id} plays no {name:?}", i.id))]
                    }
                    None => s.roles.clone(),
                };
                assert!(
                    roles.iter().any(|r| i.binds.binds(*r)),
                    "{}: {name} tests no role the rule binds",
                    i.id
                );
                // And the suite does judge the rule in that scenario.
                assert!(
                    roles
                        .iter()
                        .any(|r| crate::vectors::expected_passes(s, *r).contains(&i.id)),
                    "{}: {name}",
                    i.id
                );
            }
        }
    }

    #[test]
    fn bad_scenarios_are_refused_with_their_name() {
        let e = parse(
            "x.toml",
            "id = 'a'\ntitle = 't'\nroles = ['client']\nrules = ['no/such-rule']",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "x.toml: names unknown rule \"no/such-rule\"");
        // A typo is told with its fix.
        let meant = dmct_rules::Rule::id(&dmct_rules::rules::msg::VerDtd);
        let typo = &meant[..meant.len() - 1];
        let e = parse(
            "t.toml",
            &format!("id = 'a'\ntitle = 't'\nroles = ['client']\nrules = ['{typo}']"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("t.toml: names unknown rule \"{typo}\" (did you mean \"{meant}\"?)")
        );
        // A statement dmct does not check cannot be a scenario's rule.
        let unchecked = dmct_rules::statements()
            .iter()
            .find(|r| r.status != dmct_rules::RuleStatus::Testable)
            .unwrap();
        let e = parse(
            "u.toml",
            &format!(
                "id = 'a'\ntitle = 't'\nroles = ['client']\nrules = ['{}']",
                unchecked.id
            ),
        )
        .unwrap_err();
        assert!(matches!(e, ScenarioError::UncheckedRule { .. }), "{e}");
        let e = parse(
            "p.toml",
            "id = 'a'\ntitle = 't'\nroles = ['client', 'server']\nrules = []\n\
             [client]\nscheme = 'md5'\nprobes = ['wrong-secret']",
        )
        .unwrap_err();
        assert!(
            matches!(e, ScenarioError::ProbesNeedServerRole { .. }),
            "{e}"
        );
        assert!(
            parse("y.toml", "id = 'a'")
                .unwrap_err()
                .to_string()
                .starts_with("y.toml:")
        );
    }
}
