//! A vendor's deviations file: known failures that do not fail the run, each with its
//! reason, link and expiry. An entry that no longer happens fails the run, so the file
//! never goes stale.

use crate::select::Pattern;
use dmct_report::{CaseVerdict, RunReport};
use dmct_rules::Verdict;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// Rule id (any rule when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Case id pattern, `*` as a wildcard (any case when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// The verdict expected: `fail` or `inconclusive`.
    pub expect: Verdict,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Last day the deviation holds, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviationsFile {
    #[serde(default, rename = "deviation")]
    pub deviations: Vec<Deviation>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviationsError {
    #[error("{0}")]
    Parse(#[from] toml::de::Error),
    #[error("deviation {index}: give a rule, a case pattern, or both")]
    Unscoped { index: usize },
    #[error("deviation {index}: {error}")]
    UnknownRule {
        index: usize,
        error: dmct_rules::UnknownRule,
    },
    #[error("deviation {index}: case {error}")]
    BadPattern {
        index: usize,
        error: crate::select::PatternError,
    },
    #[error("deviation {index}: expect must be fail or inconclusive, not {verdict}")]
    BadVerdict { index: usize, verdict: Verdict },
    #[error("deviation {index}: expires {value:?} is not a YYYY-MM-DD date")]
    BadDate { index: usize, value: String },
}

impl DeviationsFile {
    pub fn parse(text: &str) -> Result<Self, DeviationsError> {
        let f: DeviationsFile = toml::from_str(text)?;
        for (index, d) in f.deviations.iter().enumerate() {
            if d.rule.is_none() && d.case.is_none() {
                return Err(DeviationsError::Unscoped { index });
            }
            if let Some(case) = &d.case {
                Pattern::new(case).map_err(|error| DeviationsError::BadPattern { index, error })?;
            }
            if let Some(rule) = &d.rule {
                dmct_rules::known(rule)
                    .map_err(|error| DeviationsError::UnknownRule { index, error })?;
            }
            if !matches!(d.expect, Verdict::Fail | Verdict::Inconclusive) {
                return Err(DeviationsError::BadVerdict {
                    index,
                    verdict: d.expect,
                });
            }
            if let Some(e) = &d.expires
                && !is_date(e)
            {
                return Err(DeviationsError::BadDate {
                    index,
                    value: e.clone(),
                });
            }
        }
        Ok(f)
    }

    /// An entry for every failing finding of a run: a starting point to edit.
    pub fn bootstrap(report: &RunReport) -> Self {
        let mut deviations = Vec::new();
        for c in &report.cases {
            for f in c.findings.iter().filter(|f| f.verdict == Verdict::Fail) {
                let d = Deviation {
                    rule: Some(f.rule.clone()),
                    case: Some(c.id.clone()),
                    expect: Verdict::Fail,
                    reason: "TODO: say why this deviation is accepted".into(),
                    link: None,
                    expires: None,
                };
                if !deviations.contains(&d) {
                    deviations.push(d);
                }
            }
        }
        DeviationsFile { deviations }
    }

    pub fn to_toml(&self) -> String {
        let mut s = String::from(
            "# dmct deviations: known results that do not fail the run.\n\
             # An entry that no longer happens fails the run; remove it then.\n\n",
        );
        s.push_str(&toml::to_string_pretty(self).unwrap_or_default());
        s
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// What applying a deviations file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviationOutcome {
    /// (case, rule, reason) findings that deviations accounted for.
    pub applied: Vec<(String, String, String)>,
    /// Entries that matched nothing: the peer now behaves; the run fails.
    pub stale: Vec<Deviation>,
    /// Entries past their date: not applied.
    pub expired: Vec<Deviation>,
}

impl DeviationOutcome {
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        for (case, rule, reason) in &self.applied {
            let _ = writeln!(s, "  deviation   {case} {rule}: {reason}");
        }
        for d in &self.expired {
            let _ = writeln!(
                s,
                "  EXPIRED     {} {} (expired {}): counted again",
                d.case.as_deref().unwrap_or("*"),
                d.rule.as_deref().unwrap_or("*"),
                d.expires.as_deref().unwrap_or("")
            );
        }
        for d in &self.stale {
            let _ = writeln!(
                s,
                "  STALE       {} {}: expected {} but it no longer happens; remove the entry",
                d.case.as_deref().unwrap_or("*"),
                d.rule.as_deref().unwrap_or("*"),
                d.expect
            );
        }
        s
    }
}

/// Apply deviations to a report (`today` as `YYYY-MM-DD`): matching findings no longer
/// count against their case, whose verdict is judged again without them.
pub fn apply(file: &DeviationsFile, report: &mut RunReport, today: &str) -> DeviationOutcome {
    let mut out = DeviationOutcome::default();
    for d in &file.deviations {
        if d.expires.as_deref().is_some_and(|e| e < today) {
            out.expired.push(d.clone());
            continue;
        }
        let mut hit = false;
        for c in &mut report.cases {
            if d.case
                .as_ref()
                .is_some_and(|p| !Pattern::new(p).is_ok_and(|p| p.matches(&c.id)))
            {
                continue;
            }
            let before = c.findings.len();
            c.findings.retain(|f| {
                let m = d.rule.as_ref().is_none_or(|r| *r == f.rule) && f.verdict == d.expect;
                if m {
                    out.applied
                        .push((c.id.clone(), f.rule.clone(), d.reason.clone()));
                }
                !m
            });
            if c.findings.len() != before {
                hit = true;
                c.verdict = if c.findings.is_empty() {
                    CaseVerdict::Pass
                } else {
                    CaseVerdict::from_findings(&c.findings)
                };
            }
        }
        if !hit {
            out.stale.push(d.clone());
        }
    }
    report.summary = dmct_report::Summary::of(&report.cases);
    out
}

/// Today's date from the system clock, `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    civil(days)
}

/// Days since 1970-01-01 to a civil date (proleptic Gregorian).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_417), "2025-11-25");
        assert_eq!(civil(11_016), "2000-02-29");
    }

    #[test]
    fn parse_refuses_what_cannot_be_meant() {
        use dmct_rules::Rule as _;
        let rule = dmct_rules::rules::msg::VerDtd.id();
        assert!(DeviationsFile::parse("[[deviation]]\nexpect = \"fail\"\nreason = \"x\"").is_err());
        assert!(
            DeviationsFile::parse(&format!(
                "[[deviation]]\nrule = \"{rule}\"\nexpect = \"pass\"\nreason = \"x\""
            ))
            .is_err()
        );
        assert!(
            DeviationsFile::parse(&format!(
                "[[deviation]]\nrule = \"{rule}\"\nexpect = \"fail\"\nreason = \"x\"\n\
                 expires = \"soon\""
            ))
            .is_err()
        );
        let f = DeviationsFile::parse(&format!(
            "[[deviation]]\nrule = \"{rule}\"\ncase = \"s/*\"\nexpect = \"fail\"\n\
             reason = \"x\"\nexpires = \"2027-01-31\"",
        ))
        .unwrap();
        assert_eq!(f.deviations.len(), 1);
        assert_eq!(DeviationsFile::parse(&f.to_toml()).unwrap(), f);
        // A mistyped rule is refused on load, with its fix, not kept as a deviation
        // that can never happen.
        let meant = dmct_rules::rules::auth::CredType.id();
        let typo = &meant[..meant.len() - 1];
        let e = DeviationsFile::parse(&format!(
            "[[deviation]]\nrule = \"{typo}\"\nexpect = \"fail\"\nreason = \"x\"",
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("deviation 0: unknown rule \"{typo}\" (did you mean \"{meant}\"?)")
        );
    }
}
