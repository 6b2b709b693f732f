//! Splitting a run into shards (`dmct run --partition i/N`) for a CI matrix: the k-th
//! case (from 0) of the run's plan goes to shard `k mod N + 1`. The plan is the ordered
//! list of cases after selection, so the split depends on neither timing nor seed; each
//! shard's report records where its cases stand in the whole, from which `dmct merge`
//! rebuilds the whole run's report.

use crate::output::stable_hash;
use dmct_report::{Partition, RunReport};
use dmct_rules::Role;

/// Shard `index` (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// Why an `i/N` is not a shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("{0:?} is not i/N (two whole numbers, e.g. 2/3: the second of three shards)")]
    Syntax(String),
    #[error("{0:?}: N must be at least 1")]
    NoShards(String),
    #[error("{0:?}: i counts from 1 to N")]
    OutOfRange(String),
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, ShardError> {
        let syntax = || ShardError::Syntax(s.to_owned());
        let (i, n) = s.split_once('/').ok_or_else(syntax)?;
        let number = |t: &str| -> Result<usize, ShardError> {
            // `usize::from_str` takes a leading '+'; an i/N is digits only.
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            t.parse().map_err(|_| syntax())
        };
        let (index, count) = (number(i.trim())?, number(n.trim())?);
        if count == 0 {
            return Err(ShardError::NoShards(s.to_owned()));
        }
        if index == 0 || index > count {
            return Err(ShardError::OutOfRange(s.to_owned()));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the case at `position` (from 0) of the plan is this shard's.
    pub fn keeps(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// This shard's part of `plan`, in plan order.
    pub fn of<T>(&self, plan: impl IntoIterator<Item = T>) -> Vec<T> {
        plan.into_iter()
            .enumerate()
            .filter(|(k, _)| self.keeps(*k))
            .map(|(_, t)| t)
            .collect()
    }

    /// The place in the whole plan of this shard's `k`-th case (from 0).
    pub fn position(&self, k: usize) -> usize {
        k * self.count + self.index - 1
    }
}

/// A case of the plan by the name a report gives it (id and role; no faults in `run`).
pub fn plan_names<'a>(plan: impl IntoIterator<Item = (&'a str, Role)>) -> Vec<String> {
    plan.into_iter()
        .map(|(id, role)| format!("{id} ({role} under test)"))
        .collect()
}

/// Record in `report`, whose cases are still those the shard ran, in order, which shard
/// it is of the run that plans `plan` (the whole run's case names, in order).
pub fn record(report: &mut RunReport, shard: Shard, plan: &[String]) {
    report.partition = Some(Partition {
        index: shard.index,
        count: shard.count,
        planned: plan.len(),
        plan: format!("{:016x}", stable_hash(&plan.join("\n"))),
        positions: (0..report.cases.len()).map(|k| shard.position(k)).collect(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_what_is_no_shard() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!("1/1".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["", "3", "a/b", "1/", "/3", "+1/3", "-1/3", "1/3/4", "1.0/3"] {
            assert_eq!(
                bad.parse::<Shard>(),
                Err(ShardError::Syntax(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            "0/3".parse::<Shard>(),
            Err(ShardError::OutOfRange("0/3".into()))
        );
        assert_eq!(
            "4/3".parse::<Shard>(),
            Err(ShardError::OutOfRange("4/3".into()))
        );
        assert_eq!(
            "1/0".parse::<Shard>(),
            Err(ShardError::NoShards("1/0".into()))
        );
    }

    #[test]
    fn every_case_goes_to_exactly_one_shard_in_plan_order() {
        let plan: Vec<usize> = (0..10).collect();
        let shards: Vec<Vec<usize>> = (1..=3)
            .map(|index| Shard { index, count: 3 }.of(plan.iter().copied()))
            .collect();
        assert_eq!(shards, [vec![0, 3, 6, 9], vec![1, 4, 7], vec![2, 5, 8]]);
        for (i, s) in shards.iter().enumerate() {
            let shard = Shard {
                index: i + 1,
                count: 3,
            };
            for (k, p) in s.iter().enumerate() {
                assert_eq!(shard.position(k), *p);
            }
        }
        // More shards than cases: the last ones get none.
        assert!(Shard { index: 5, count: 5 }.of(0..3).is_empty());
    }
}
