//! Choosing what a run covers: cases by id pattern, rules by id, findings by level.

use crate::scenario::Scenario;
use dmct_report::{CaseVerdict, RunReport, Summary};
use dmct_rules::{Level, Role};

#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Case id patterns (`*` matches any run of characters); empty: every case.
    pub cases: Vec<String>,
    /// Rule ids; empty: every rule. Selects the cases that exercise them.
    pub rules: Vec<String>,
    /// Levels to report; empty: every level.
    pub levels: Vec<Level>,
}

/// `*` matches any run of characters, anything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
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
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty() && self.rules.is_empty() && self.levels.is_empty()
    }

    fn exercises(&self, s: &Scenario) -> bool {
        self.rules.is_empty()
            || self.rules.iter().any(|r| {
                [Role::Client, Role::Server].into_iter().any(|role| {
                    s.roles.contains(&role) && crate::vectors::expected_passes(s, role).contains(r)
                })
            })
    }

    /// The scenarios this selection covers.
    pub fn scenarios(&self, all: &[Scenario]) -> Vec<Scenario> {
        all.iter()
            .filter(|s| self.cases.is_empty() || self.cases.iter().any(|p| glob(p, &s.id)))
            .filter(|s| self.exercises(s))
            .cloned()
            .collect()
    }

    /// Keep only the findings of the selected rules and levels, and judge the cases
    /// again on what is left.
    pub fn apply(&self, report: &mut RunReport) {
        if self.rules.is_empty() && self.levels.is_empty() {
            return;
        }
        // A case of a role none of the selected rules binds has nothing to show.
        report.cases.retain(|c| {
            self.rules.is_empty()
                || self
                    .rules
                    .iter()
                    .any(|r| dmct_rules::info(r).is_some_and(|i| i.binds.binds(c.role)))
        });
        // A case observed in full whose findings are all of other rules or levels has
        // nothing selected and goes; one that observed nothing stays inconclusive.
        report.cases.retain_mut(|c| {
            let had = !c.findings.is_empty();
            c.findings.retain(|f| {
                (self.rules.is_empty() || self.rules.contains(&f.rule))
                    && (self.levels.is_empty() || self.levels.contains(&f.level))
            });
            if had && c.findings.is_empty() {
                return false;
            }
            if !c.findings.is_empty() {
                c.verdict = CaseVerdict::from_findings(&c.findings);
            }
            true
        });
        report.summary = Summary::of(&report.cases);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob("session/*", "session/get-replace"));
        assert!(glob("*reauth*", "session/reauth-md5"));
        assert!(glob("auth/hmac", "auth/hmac"));
        assert!(!glob("auth/hmac", "auth/hmac2"));
        assert!(!glob("session/*", "auth/hmac"));
        assert!(glob("*", ""));
    }

    #[test]
    fn levels_parse() {
        assert_eq!(parse_level("must"), Some(vec![Level::Must, Level::MustNot]));
        assert_eq!(parse_level("SHOULD-NOT"), Some(vec![Level::ShouldNot]));
        assert_eq!(parse_level("maybe"), None);
    }
}
