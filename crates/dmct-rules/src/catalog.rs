//! The catalog: every statement as declared beside its check ([`Decl`]), the checks
//! in a fixed order, and `testcases/rules.toml`, the language-neutral copy generated
//! from the declarations for people who do not read Rust (a test fails when it drifts;
//! `cargo xtask catalog` writes it).

use crate::{Level, Observation, Role, View};
use dmct_proto::transcript::Transcript;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// A statement as declared in the source, beside its check: the one place its id,
/// clause, level, role, requirement and allowed behaviours are written.
#[derive(Debug, Clone, Copy)]
pub struct Decl {
    pub id: &'static str,
    pub status: RuleStatus,
    pub clause: &'static str,
    pub unconfirmed: Option<&'static str>,
    pub level: Level,
    pub binds: Binds,
    pub summary: &'static str,
    pub allowed: &'static [&'static str],
    pub conditions: &'static [Condition],
    pub capability: Option<&'static str>,
    pub scenarios: &'static [&'static str],
    pub reason: Option<&'static str>,
    /// The rule that took over a retired statement, by its type (`|| X.id()`), so no id
    /// is written twice.
    pub replaced_by: Option<fn() -> &'static str>,
}

impl From<&Decl> for RuleInfo {
    fn from(d: &Decl) -> Self {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        RuleInfo {
            id: d.id.into(),
            status: d.status,
            clause: d.clause.into(),
            unconfirmed: d.unconfirmed.map(Into::into),
            level: d.level,
            binds: d.binds,
            summary: d.summary.into(),
            allowed: strings(d.allowed),
            conditions: d.conditions.to_vec(),
            capability: d.capability.map(Into::into),
            scenarios: strings(d.scenarios),
            reason: d.reason.map(Into::into),
            replaced_by: d.replaced_by.map(|id| id().into()),
        }
    }
}

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
    /// Why the clause or the statement could not be confirmed against the DM 1.2.1
    /// texts (its basis is a document not readable there, or the clause number is
    /// inferred); absent when both are confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<String>,
    pub level: Level,
    pub binds: Binds,
    /// The statement, paraphrased.
    pub summary: String,
    /// Every behaviour the spec allows in this situation: what the check accepts.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Conditions of the run the statement holds under; when one does not hold, the
    /// rule is not applicable, with the reason ([`judge`](crate::judge)).
    #[serde(default)]
    pub conditions: Vec<Condition>,
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

/// A condition of the run that a statement holds under. A name in the catalog that is
/// not one of these fails to parse, so no condition is declared that no code evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    /// A Package 0 is in the transcript: dmct's own server's, a package0 scenario's or a
    /// lab-supplied trigger (`run --serve --exec`).
    Package0Delivered,
    /// No TLS client certificate authenticated the DM client ([SEC] §5.3: DM-level
    /// authentication is for when the transport's is not strong enough; §5.4.5).
    ClientNotTransportAuthenticated,
    /// Nothing may have authenticated dmct's DM server at the transport: no verified
    /// server certificate, and dmct did not serve the client over TLS ([PRO] §8.4 item
    /// 1: the server's authentication "MAY be accomplished at the transport level").
    ServerNotTransportAuthenticated,
}

impl Condition {
    pub const ALL: [Condition; 3] = [
        Condition::Package0Delivered,
        Condition::ClientNotTransportAuthenticated,
        Condition::ServerNotTransportAuthenticated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Package0Delivered => "package0-delivered",
            Condition::ClientNotTransportAuthenticated => "client-not-transport-authenticated",
            Condition::ServerNotTransportAuthenticated => "server-not-transport-authenticated",
        }
    }

    /// Why the condition does not hold for this transcript; `None` when it holds.
    pub fn unmet(self, t: &Transcript) -> Option<String> {
        match self {
            Condition::Package0Delivered => t
                .package0
                .is_none()
                .then(|| "no Package 0 preceded the session (nothing woke the device)".into()),
            Condition::ClientNotTransportAuthenticated => t.transport.client.as_ref().map(|s| {
                format!(
                    "the transport authenticated the client (TLS certificate {s}), so DM-level \
                     client authentication is not required ([SEC] §5.3, §5.4.5)"
                )
            }),
            Condition::ServerNotTransportAuthenticated => match &t.transport.server {
                Some(s) => Some(format!(
                    "the transport authenticated the server (TLS certificate {s}), so DM-level \
                     server authentication is not required ([PRO] §8.4 item 1)"
                )),
                None => t.transport.served_over_tls.then(|| {
                    "dmct served the device over TLS, where the device may authenticate the \
                     server by its certificate ([PRO] §8.4 item 1: \"MAY be accomplished at \
                     the transport level\")"
                        .into()
                }),
            },
        }
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    rule: Vec<RuleInfo>,
}

/// Every statement, testable or not: the checks in catalog order, then the statements
/// dmct does not check.
pub fn statements() -> &'static [RuleInfo] {
    static ALL: LazyLock<Vec<RuleInfo>> = LazyLock::new(|| {
        CATALOG
            .iter()
            .map(|r| r.decl())
            .chain(crate::rules::untested::UNTESTED)
            .map(RuleInfo::from)
            .collect()
    });
    &ALL
}

/// The catalog as TOML: what `testcases/rules.toml` holds, and what a run's catalog
/// hash is taken over.
pub fn catalog_toml() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        let file = CatalogFile {
            rule: statements().to_vec(),
        };
        let body = toml::to_string_pretty(&file).unwrap_or_else(|e| panic!("{e}"));
        format!(
            "# The dmct rule catalog: generated from the declarations beside each check\n\
             # (crates/dmct-rules/src/rules/). Do not edit: run `cargo xtask catalog`.\n\n{body}"
        )
    });
    &TEXT
}

/// The statement with this id, whatever its status.
pub fn info(id: &str) -> Option<&'static RuleInfo> {
    statements().iter().find(|r| r.id == id)
}

/// An id that names no statement of the catalog, with the nearest one that does, so a
/// typo in a scenario, deviations or baseline file is told with its fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule {id:?}{}", did_you_mean(nearest))]
pub struct UnknownRule {
    pub id: String,
    pub nearest: Option<String>,
}

fn did_you_mean(nearest: &Option<String>) -> String {
    nearest
        .as_ref()
        .map(|n| format!(" (did you mean {n:?}?)"))
        .unwrap_or_default()
}

/// The statement `id` names; or why none does, with the nearest known id.
pub fn known(id: &str) -> Result<&'static RuleInfo, UnknownRule> {
    info(id).ok_or_else(|| UnknownRule {
        id: id.to_owned(),
        nearest: statements()
            .iter()
            .map(|r| (strsim::levenshtein(id, &r.id), &r.id))
            .min()
            // Far from every id: no guess is better than a wrong one.
            .filter(|(d, _)| *d <= id.len().max(4) / 2)
            .map(|(_, n)| n.clone()),
    })
}

pub trait Rule: Sync {
    /// What the rule is: its one declaration.
    fn decl(&self) -> &'static Decl;
    /// One observation per occurrence of the situation the rule is about, judging the
    /// peer in `role`.
    fn check(&self, view: &View, role: Role) -> Vec<Observation>;

    fn id(&self) -> &'static str {
        self.decl().id
    }

    fn info(&self) -> &'static RuleInfo {
        info(self.id()).unwrap_or_else(|| unreachable!("every check is a statement"))
    }
}

// `CATALOG` (the checks, sorted by id) and, for tests, each check's fixtures: collected
// from the rule files by build.rs, so adding a rule is adding its file.
include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

pub fn rule(id: &str) -> Option<&'static dyn Rule> {
    CATALOG.iter().copied().find(|r| r.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::collect;

    /// A statement's text may point a reader at another rule by its id (the one place
    /// an id is written outside its declaration, as prose): each such id names a
    /// statement of the catalog, so renaming a rule cannot leave a pointer to nothing.
    #[test]
    fn ids_named_in_the_catalogs_text_exist() {
        let areas: std::collections::BTreeSet<&str> = statements()
            .iter()
            .filter_map(|r| r.id.split_once('/').map(|(a, _)| a))
            .collect();
        let mut named = 0;
        for r in statements() {
            let texts = [Some(&r.summary), r.reason.as_ref(), r.unconfirmed.as_ref()];
            let texts = texts.into_iter().flatten().chain(&r.allowed);
            for text in texts {
                let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || "/-".contains(c)));
                for w in words {
                    let id = w.trim_end_matches('-');
                    let Some((area, rest)) = id.split_once('/') else {
                        continue;
                    };
                    if areas.contains(area) && !rest.is_empty() {
                        named += 1;
                        assert!(info(id).is_some(), "{} names unknown rule {id:?}", r.id);
                    }
                }
            }
        }
        assert!(named >= 4, "{named}");
    }

    /// Every rule file is declared in its area's block, so it is compiled, formatted by
    /// `cargo fmt` and in the catalog.
    #[test]
    fn every_rule_file_is_declared_in_its_area() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
        let found = collect::rules(&dir).unwrap();
        for area in collect::areas(&dir).unwrap() {
            let text = std::fs::read_to_string(dir.join(&area).join("mod.rs")).unwrap();
            let mut declared = collect::declared(&text);
            declared.sort();
            let files: Vec<String> = found
                .iter()
                .filter(|r| r.area == area)
                .map(|r| r.module.clone())
                .collect();
            assert_eq!(
                declared, files,
                "rules/{area}/mod.rs does not declare its rule files: run `cargo xtask catalog`"
            );
        }
        assert_eq!(found.len(), CATALOG.len());
    }

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
        // build.rs reads each id from its file's text; the order shows it read the right one.
        assert!(
            CATALOG.windows(2).all(|w| w[0].id() < w[1].id()),
            "not sorted by id"
        );
    }

    /// No field of a rule is decorative: each is read by the code named here, and the
    /// test shows it. The destructuring names every field, so a field added to
    /// `RuleInfo` does not compile here until its reader is shown too.
    #[test]
    fn every_field_of_every_rule_is_read_by_code() {
        let empty = Transcript::default();
        let view = View::new(&empty);
        for i in statements() {
            let RuleInfo {
                id,
                status,
                clause,
                unconfirmed,
                level,
                binds,
                summary,
                allowed,
                conditions,
                capability,
                scenarios,
                reason,
                replaced_by,
            } = i;
            // id: the lookup of findings, baselines and deviations.
            assert_eq!(info(id).map(|x| &x.id), Some(id));
            assert!(!summary.trim().is_empty(), "{id} states nothing");
            // A '?' marks a clause the texts could not confirm; the rule says why.
            assert_eq!(
                clause.contains('?'),
                unconfirmed.is_some(),
                "{id}: a '?' in the clause and `unconfirmed` go together"
            );
            // reason: why it is not checked (list rules, coverage); replaced_by: where
            // an old baseline's failure of it goes now.
            assert_eq!(
                reason.is_some(),
                *status != RuleStatus::Testable,
                "{id}: a reason is for rules that are not checked, and they need one"
            );
            if let Some(new) = replaced_by {
                assert_eq!(*status, RuleStatus::Deprecated, "{id}");
                assert_eq!(
                    info(new).map(|x| x.status),
                    Some(RuleStatus::Testable),
                    "{id}"
                );
            }
            if *status != RuleStatus::Testable {
                // Nothing judges a rule that is not checked: these would say nothing.
                assert!(
                    allowed.is_empty() && conditions.is_empty() && capability.is_none(),
                    "{id} is not checked, so allowed/conditions/capability are decorative"
                );
                assert!(
                    scenarios.is_empty(),
                    "{id} is not checked; no scenario exercises it"
                );
                assert!(rule(id).is_none(), "{id} is not testable but has a check");
                continue;
            }
            let r = rule(id).unwrap_or_else(|| panic!("{id} has no check"));
            // binds: `check` judges exactly the roles it binds.
            let roles: Vec<Role> = check_rule(r, &view).iter().map(|f| f.role).collect();
            assert_eq!(roles, binds.roles(), "{id}");
            // clause, unconfirmed, level, summary, allowed: every finding carries them
            // into every report.
            for f in check_rule(r, &view) {
                assert_eq!(
                    (&f.clause, &f.unconfirmed, f.level, &f.summary, &f.allowed),
                    (clause, unconfirmed, *level, summary, allowed),
                    "{id}"
                );
            }
            // conditions: `judge` evaluates each; unmet, the rule is not applicable and
            // the finding gives the reason.
            for c in conditions {
                let mut t = Transcript::default();
                make_unmet(*c, &mut t);
                let why = c.unmet(&t).unwrap_or_else(|| panic!("{c} holds"));
                let f = crate::judge(r, &View::new(&t), binds.roles()[0]);
                assert_eq!(f.verdict, crate::Verdict::NotApplicable, "{id}");
                assert_eq!(f.detail, format!("not applicable: {why}"), "{id}");
            }
            // capability: a known one, and a profile lacking it waives the rule.
            if let Some(cap) = capability {
                assert!(
                    crate::Profile::known_capabilities().contains(cap.as_str()),
                    "{id}: capability {cap} is not one a profile can declare"
                );
                let mut fs = check_rule(r, &view);
                for f in &mut fs {
                    f.verdict = crate::Verdict::Fail;
                }
                let profile = crate::Profile {
                    lacks: [cap.clone()].into(),
                };
                assert!(profile.apply(&mut fs).contains(id), "{id}");
                assert!(
                    fs.iter()
                        .all(|f| f.verdict == crate::Verdict::NotApplicable)
                );
            }
            // scenarios: the suite's vectors and case judging read them
            // (dmct-suite checks that each names a scenario that exists).
            assert!(!scenarios.is_empty(), "{id} names no scenario");
        }
    }

    fn check_rule(r: &dyn Rule, view: &View) -> Vec<crate::Finding> {
        r.info()
            .binds
            .roles()
            .iter()
            .map(|&role| crate::judge(r, view, role))
            .collect()
    }

    /// Make `c` fail for `t`; the match is exhaustive, so a new condition needs a case.
    fn make_unmet(c: Condition, t: &mut Transcript) {
        match c {
            Condition::Package0Delivered => t.package0 = None,
            Condition::ClientNotTransportAuthenticated => {
                t.transport.client = Some("CN=device".into())
            }
            Condition::ServerNotTransportAuthenticated => t.transport.served_over_tls = true,
        }
    }

    /// Every condition and every capability the code knows is one a testable rule
    /// declares, and none is declared that the code does not know (a condition name it
    /// does not know fails to parse).
    #[test]
    fn conditions_and_capabilities_are_all_in_use() {
        let testable = || {
            statements()
                .iter()
                .filter(|i| i.status == RuleStatus::Testable)
        };
        for c in Condition::ALL {
            assert!(
                testable().any(|i| i.conditions.contains(&c)),
                "no rule holds under {c}"
            );
            let mut t = Transcript {
                package0: Some(dmct_proto::transcript::Body::from(vec![0])),
                ..Transcript::default()
            };
            assert_eq!(
                c.unmet(&t),
                None,
                "{c} holds for a recorded Package 0 without TLS"
            );
            make_unmet(c, &mut t);
            assert!(c.unmet(&t).is_some(), "{c}");
        }
        let declared: std::collections::BTreeSet<&str> =
            testable().filter_map(|i| i.capability.as_deref()).collect();
        assert_eq!(declared, crate::Profile::known_capabilities());
        assert!(
            toml::from_str::<CatalogFile>(
                "[[rule]]\nid = \"x\"\nstatus = \"testable\"\nclause = \"c\"\nlevel = \"MUST\"\n\
                 binds = \"client\"\nsummary = \"s\"\nconditions = [\"the moon is full\"]"
            )
            .is_err(),
            "a condition no code evaluates is refused"
        );
    }

    /// `testcases/rules.toml` is the declarations' copy for people: it must not drift.
    #[test]
    fn rules_toml_is_generated_from_the_declarations() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testcases/rules.toml");
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == catalog_toml(),
            "testcases/rules.toml differs from the declarations: run `cargo xtask catalog`"
        );
        // And it reads back as the same statements.
        let back: CatalogFile = toml::from_str(catalog_toml()).unwrap();
        assert_eq!(back.rule, statements());
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
