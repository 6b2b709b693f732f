//! Choosing what a run covers: cases by id pattern, rules by id pattern, findings by
//! level.

use crate::scenario::Scenario;
use dmct_report::{CaseVerdict, RunReport, Summary};
use dmct_rules::{Level, Role};

/// A case or rule id pattern, a shell glob (globset): `*` matches any run of
/// characters, '/' included (`session/*`, `*reauth*`), `?` one character, `[...]` one of
/// a class, `{a,b}` either.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    glob: globset::GlobMatcher,
}

/// A pattern globset cannot read (`[` left open, say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad pattern {pattern:?}: {detail}")]
pub struct PatternError {
    pub pattern: String,
    pub detail: String,
}

impl Pattern {
    pub fn new(text: &str) -> Result<Self, PatternError> {
        let glob = globset::GlobBuilder::new(text)
            .literal_separator(false)
            .build()
            .map_err(|e| PatternError {
                pattern: text.to_owned(),
                detail: e.kind().to_string(),
            })?;
        Ok(Pattern {
            text: text.to_owned(),
            glob: glob.compile_matcher(),
        })
    }

    pub fn matches(&self, id: &str) -> bool {
        self.glob.is_match(id)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern is an id written out, with nothing a glob would expand.
    pub fn is_literal(&self) -> bool {
        !self.text.contains(['*', '?', '[', ']', '{', '}'])
    }
}

/// Why a selection cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("--case: {0}")]
    CasePattern(PatternError),
    #[error("--rule: {0}")]
    RulePattern(PatternError),
    #[error("--rule: {0} (see `dmct list rules`)")]
    UnknownRule(dmct_rules::UnknownRule),
    #[error("--rule {0:?} matches no rule (see `dmct list rules`)")]
    NoRule(String),
}

#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Case id patterns; empty: every case.
    pub cases: Vec<Pattern>,
    /// Rule id patterns; empty: every rule. Selects the cases that exercise them.
    pub rules: Vec<Pattern>,
    /// Levels to report; empty: every level.
    pub levels: Vec<Level>,
}

/// `must` means MUST and MUST NOT, `should` SHOULD and SHOULD NOT, `may` MAY.
pub fn parse_level(s: &str) -> Option<Vec<Level>> {
    Some(
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], " ")
            .as_str()
        {
            "must" => vec![Level::Must, Level::MustNot],
            "must not" => vec![Level::MustNot],
            "should" => vec![Level::Should, Level::ShouldNot],
            "should not" => vec![Level::ShouldNot],
            "may" => vec![Level::May],
            _ => return None,
        },
    )
}

impl Selection {
    /// A selection of case and rule id patterns. A rule id written out must be one the
    /// catalog knows (the nearest is named when it is not); a rule pattern must match
    /// at least one, so a typo never selects nothing in silence.
    pub fn new(
        cases: &[String],
        rules: &[String],
        levels: Vec<Level>,
    ) -> Result<Self, SelectError> {
        let cases = cases
            .iter()
            .map(|c| Pattern::new(c).map_err(SelectError::CasePattern))
            .collect::<Result<_, _>>()?;
        let mut patterns = Vec::new();
        for r in rules {
            let p = Pattern::new(r).map_err(SelectError::RulePattern)?;
            if p.is_literal() {
                dmct_rules::known(r).map_err(SelectError::UnknownRule)?;
            } else if !dmct_rules::statements().iter().any(|s| p.matches(&s.id)) {
                return Err(SelectError::NoRule(r.clone()));
            }
            patterns.push(p);
        }
        Ok(Selection {
            cases,
            rules: patterns,
            levels,
        })
    }

    fn rule_selected(&self, id: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|p| p.matches(id))
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty() && self.rules.is_empty() && self.levels.is_empty()
    }

    fn exercises(&self, s: &Scenario) -> bool {
        self.rules.is_empty()
            || [Role::Client, Role::Server].into_iter().any(|role| {
                s.roles.contains(&role)
                    && crate::vectors::expected_passes(s, role)
                        .iter()
                        .any(|r| self.rule_selected(r))
            })
    }

    /// The scenarios this selection covers.
    pub fn scenarios(&self, all: &[Scenario]) -> Vec<Scenario> {
        all.iter()
            .filter(|s| self.cases.is_empty() || self.cases.iter().any(|p| p.matches(&s.id)))
            .filter(|s| self.exercises(s))
            .cloned()
            .collect()
    }

    /// Whether case `c` stays, with only the findings of the selected rules and levels,
    /// judged again on what is left.
    fn keeps(&self, c: &mut dmct_report::CaseResult) -> bool {
        // A case of a role none of the selected rules binds has nothing to show.
        if !self.rules.is_empty()
            && !dmct_rules::statements()
                .iter()
                .any(|i| self.rule_selected(&i.id) && i.binds.binds(c.role))
        {
            return false;
        }
        // A case observed in full whose findings are all of other rules or levels has
        // nothing selected and goes; one that observed nothing stays inconclusive.
        let had = !c.findings.is_empty();
        c.findings.retain(|f| {
            self.rule_selected(&f.rule)
                && (self.levels.is_empty() || self.levels.contains(&f.level))
        });
        if had && c.findings.is_empty() {
            return false;
        }
        if !c.findings.is_empty() {
            c.verdict = CaseVerdict::from_findings(&c.findings);
        }
        true
    }

    /// Keep only the findings of the selected rules and levels, and judge the cases
    /// again on what is left.
    pub fn apply(&self, report: &mut RunReport) {
        if self.rules.is_empty() && self.levels.is_empty() {
            return;
        }
        // A shard's positions name its cases in order: they go with the cases that go.
        let mut positions = report
            .partition
            .as_mut()
            .map(|p| std::mem::take(&mut p.positions).into_iter());
        let mut kept_positions = Vec::new();
        let cases = std::mem::take(&mut report.cases);
        for mut c in cases {
            let position = positions.as_mut().and_then(Iterator::next);
            if self.keeps(&mut c) {
                report.cases.push(c);
                kept_positions.extend(position);
            }
        }
        if let Some(p) = report.partition.as_mut() {
            p.positions = kept_positions;
        }
        report.summary = Summary::of(&report.cases);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, id: &str) -> bool {
        Pattern::new(pattern).unwrap().matches(id)
    }

    #[test]
    fn patterns_match_like_a_shell() {
        assert!(glob("session/*", "session/get-replace"));
        assert!(glob("*reauth*", "session/reauth-md5"));
        assert!(glob("auth/hmac", "auth/hmac"));
        assert!(!glob("auth/hmac", "auth/hmac2"));
        assert!(!glob("session/*", "auth/hmac"));
        assert!(glob("*", ""));
        assert!(glob("auth/{hmac,md5}", "auth/md5"));
        assert!(glob("msg/ver?", "msg/verx"));
        // Long ids against many stars stay fast (a backtracking matcher is exponential).
        let id = "a".repeat(60);
        assert!(!glob(&format!("{}b", "a*".repeat(30)), &id));
    }

    #[test]
    fn selections_refuse_what_would_select_nothing() {
        use dmct_rules::Rule;
        // A rule of the catalog, named by its type: no id is written out here.
        let known = dmct_rules::rules::msg::VerDtd.id();
        let s = |cases: &[&str], rules: &[&str]| {
            let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            Selection::new(&v(cases), &v(rules), vec![])
        };
        assert!(s(&["session/*"], &[known, "auth/*"]).is_ok());
        let typo = format!("{known}x");
        let e = s(&[], &[&typo]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "--rule: unknown rule {typo:?} (did you mean {known:?}?) (see `dmct list rules`)"
            )
        );
        let e = s(&[], &["zzz/*"]).unwrap_err();
        assert_eq!(e, SelectError::NoRule("zzz/*".into()));
        assert!(matches!(s(&["[a"], &[]), Err(SelectError::CasePattern(_))));
    }

    #[test]
    fn a_shards_positions_go_with_the_cases_a_selection_keeps() {
        use dmct_rules::{Finding, Verdict};
        let finding = |rule: &str, level| Finding {
            rule: rule.into(),
            clause: String::new(),
            unconfirmed: None,
            level,
            summary: String::new(),
            allowed: Vec::new(),
            role: Role::Client,
            verdict: Verdict::Pass,
            exchange: None,
            message: None,
            detail: String::new(),
            excerpt: None,
            span: None,
        };
        let mut report = crate::report("run", &[], 0);
        for (id, level) in [
            ("a", Level::Should),
            ("b", Level::Must),
            ("c", Level::Should),
        ] {
            report.cases.push(dmct_report::CaseResult {
                id: id.into(),
                title: String::new(),
                role: Role::Client,
                peer: dmct_report::Peer {
                    name: "builtin-client".into(),
                    faults: Vec::new(),
                    identity: Vec::new(),
                },
                verdict: CaseVerdict::Pass,
                findings: vec![finding("area/rule", level)],
                exchanges: 1,
                transcript: None,
                authentication: Default::default(),
                ended: None,
                time: None,
                exchange_times: Vec::new(),
            });
        }
        let shard = crate::partition::Shard { index: 2, count: 2 };
        crate::partition::record(&mut report, shard, &vec![String::new(); 6]);
        Selection::new(&[], &[], vec![Level::Should])
            .unwrap()
            .apply(&mut report);
        let ids: Vec<&str> = report.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(report.partition.unwrap().positions, [1, 5]);
    }

    #[test]
    fn levels_parse() {
        assert_eq!(parse_level("must"), Some(vec![Level::Must, Level::MustNot]));
        assert_eq!(parse_level("SHOULD-NOT"), Some(vec![Level::ShouldNot]));
        assert_eq!(parse_level("maybe"), None);
    }
}
