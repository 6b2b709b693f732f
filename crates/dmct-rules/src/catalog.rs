//! The catalog: what every rule is (from `testcases/rules.toml`, built in) and the
//! checks dmct has for the testable ones, in a fixed order.

use crate::rules::{auth, http, large, msg, pkg, session, status};
use crate::{Level, Observation, Role, View};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The catalog file, built into every binary.
pub const RULES_TOML: &str = include_str!("../../../testcases/rules.toml");

/// Whether dmct can check a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    Testable,
    /// Not observable on the wire; `reason` says why.
    Untestable,
    /// Retired; kept so old baselines and deviations still resolve.
    Deprecated,
}

/// The role(s) a statement binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Binds {
    Client,
    Server,
    Both,
}

impl Binds {
    pub fn roles(self) -> &'static [Role] {
        match self {
            Binds::Client => &[Role::Client],
            Binds::Server => &[Role::Server],
            Binds::Both => &[Role::Client, Role::Server],
        }
    }

    pub fn binds(self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Binds::Client => "client",
            Binds::Server => "server",
            Binds::Both => "both",
        }
    }
}

impl std::fmt::Display for Binds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule is, independent of any transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInfo {
    /// Stable id; never reused for another statement.
    pub id: String,
    pub status: RuleStatus,
    /// Document and clause the statement comes from.
    pub clause: String,
    pub level: Level,
    pub binds: Binds,
    /// The statement, paraphrased.
    pub summary: String,
    /// Every behaviour the spec allows in this situation: what the check accepts.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Transport or configuration conditions the statement depends on.
    #[serde(default)]
    pub conditions: Vec<String>,
    /// An optional feature the statement is about (see [`Profile`](crate::Profile)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// Scenarios that exercise it.
    #[serde(default)]
    pub scenarios: Vec<String>,
    /// Why it is untestable or deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The id that took over from a deprecated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    rule: Vec<RuleInfo>,
}

/// Every statement of the catalog file, testable or not, in file order.
pub fn statements() -> &'static [RuleInfo] {
    static ALL: LazyLock<Vec<RuleInfo>> = LazyLock::new(|| {
        // The file is part of the source; the catalog test keeps it valid.
        toml::from_str::<CatalogFile>(RULES_TOML)
            .map(|c| c.rule)
            .unwrap_or_else(|e| panic!("testcases/rules.toml is invalid: {e}"))
    });
    &ALL
}

/// The statement with this id, whatever its status.
pub fn info(id: &str) -> Option<&'static RuleInfo> {
    statements().iter().find(|r| r.id == id)
}

pub trait Rule: Sync {
    fn id(&self) -> &'static str;
    /// One observation per occurrence of the situation the rule is about, judging the
    /// peer in `role`.
    fn check(&self, view: &View, role: Role) -> Vec<Observation>;

    fn info(&self) -> &'static RuleInfo {
        info(self.id()).unwrap_or_else(|| panic!("rule {} is not in rules.toml", self.id()))
    }
}

/// The checks, in catalog order.
pub static CATALOG: &[&dyn Rule] = &[
    &session::ReauthContinues,
    &session::NoStatusOnlyPackage,
    &session::ServerAnswersEveryPackage,
    &pkg::RespUriFollowed,
    &pkg::Pkg1Alert,
    &pkg::Pkg1DevInfo,
    &pkg::Pkg0Alert,
    &pkg::Pkg0SessionId,
    &pkg::Pkg0Version,
    &pkg::ClientCommands,
    &pkg::AlertCode,
    &pkg::NextMessageResponse,
    &pkg::NoEarlyFinal,
    &pkg::AtomicRollback,
    &auth::NoSynchdrOnlyChallenge,
    &auth::ChalWith401,
    &auth::ChalNonce,
    &auth::CredType,
    &auth::ClientAnswersScheme,
    &auth::ServerAnswersScheme,
    &auth::ResendAfter200,
    &auth::HmacStatus200,
    &auth::HmacNewNonce,
    &auth::FreshNonceAfterFailure,
    &auth::HmacHeaderForm,
    &auth::HmacEveryMessage,
    &auth::SchemeConstant,
    &auth::FailureStatusOnly,
    &auth::RefusesMissingCred,
    &auth::ServerCredentials,
    &msg::VerDtd,
    &msg::VerProto,
    &msg::SessionIdConstant,
    &msg::MsgIdSequence,
    &msg::CmdIdUnique,
    &msg::SourceTarget,
    &msg::TargetIsClient,
    &msg::NoCredInCommands,
    &msg::MaxMsgSize,
    &status::SynchdrFirst,
    &status::SynchdrMsgRef,
    &status::CmdRefValid,
    &status::CmdName,
    &status::EveryCommand,
    &status::NotForStatus,
    &status::CodeValid,
    &status::No200ForResults,
    &status::ResultsForGet,
    &status::ResultsSource,
    &status::GetHasResults,
    &status::ResultsOnlyForSuccess,
    &large::SizeFirstChunk,
    &large::ChunkAnswered213,
    &large::MaxObjSize,
    &large::NoFinalMidObject,
    &http::Post,
    &http::ContentType,
    &http::ContentTypeMatches,
    &http::VerProtoParam,
    &http::Status200,
    &http::SameEncoding,
];

pub fn rule(id: &str) -> Option<&'static dyn Rule> {
    CATALOG.iter().copied().find(|r| r.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_file_is_whole_and_consistent() {
        let all = statements();
        let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "an id is listed twice");
        // Every check has a testable entry, and every testable entry a check.
        for r in CATALOG {
            assert_eq!(
                info(r.id()).map(|i| i.status),
                Some(RuleStatus::Testable),
                "{}",
                r.id()
            );
        }
        for i in all.iter().filter(|i| i.status == RuleStatus::Testable) {
            assert!(rule(&i.id).is_some(), "{} has no check", i.id);
            assert!(!i.scenarios.is_empty(), "{} names no scenario", i.id);
        }
        for i in all.iter().filter(|i| i.status != RuleStatus::Testable) {
            assert!(i.reason.is_some(), "{} says not why it is not tested", i.id);
        }
        assert!(CATALOG.len() >= 60);
    }

    #[test]
    fn a_deprecated_id_still_resolves() {
        let file: CatalogFile = toml::from_str(
            r#"
            [[rule]]
            id = "auth/old-name"
            status = "deprecated"
            clause = "[PRO] §9"
            level = "MUST"
            binds = "client"
            summary = "Retired."
            reason = "split in two"
            replaced_by = "auth/new-name"
            "#,
        )
        .unwrap();
        assert_eq!(file.rule[0].status, RuleStatus::Deprecated);
        assert_eq!(file.rule[0].replaced_by.as_deref(), Some("auth/new-name"));
        // Unknown fields are refused, so a typo cannot hide a statement.
        assert!(
            toml::from_str::<CatalogFile>("[[rule]]\nid = \"x\"\nstatu = \"testable\"").is_err()
        );
    }
}
