//! The data-quality score.
//!
//! For an entity and a dimension: `100 × (1 − rows failing any check of that dimension /
//! live rows)`. An entity's score is the mean of its dimensions that have checks; the
//! overall score is the plain mean of the entities' scores, so a large clean table
//! (activities) cannot drown a small dirty one (contacts). Every run is kept in
//! `audit_runs`, so the trend shows.

use crate::{AuditError, Dimension, Finding};
use chrono::NaiveDateTime;
use embudo_store::Store;
use embudo_store::quality::RunScore;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Scores of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub overall: f64,
    pub entities: BTreeMap<String, EntityScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityScore {
    pub score: f64,
    pub rows: u64,
    pub dimensions: BTreeMap<String, f64>,
}

/// Score `findings`.
pub fn score(findings: &[Finding]) -> Scores {
    let mut groups: BTreeMap<(&str, Dimension), (HashSet<i64>, u64)> = BTreeMap::new();
    for finding in findings {
        let entry = groups
            .entry((finding.entity, finding.dimension))
            .or_default();
        entry.0.extend(finding.rows.iter().map(|r| r.id));
        entry.1 = entry.1.max(finding.total);
    }
    let mut entities: BTreeMap<String, EntityScore> = BTreeMap::new();
    for ((entity, dimension), (failing, total)) in groups {
        let value = if total == 0 {
            100.0
        } else {
            100.0 * (1.0 - failing.len() as f64 / total as f64)
        };
        let e = entities.entry(entity.to_owned()).or_insert(EntityScore {
            score: 0.0,
            rows: total,
            dimensions: BTreeMap::new(),
        });
        e.rows = e.rows.max(total);
        e.dimensions
            .insert(dimension.as_str().to_owned(), round(value));
    }
    for e in entities.values_mut() {
        e.score = round(e.dimensions.values().sum::<f64>() / e.dimensions.len() as f64);
    }
    let overall = if entities.is_empty() {
        100.0
    } else {
        entities.values().map(|e| e.score).sum::<f64>() / entities.len() as f64
    };
    Scores {
        overall: round(overall),
        entities,
    }
}

/// The overall score of the latest `runs` recorded runs, newest first: (when, score), each
/// the mean over entities of the mean over their dimensions, as [`score`] computes it.
pub fn history(store: &Store, runs: usize) -> Result<Vec<(String, f64)>, AuditError> {
    Ok(store
        .audit_history(runs)?
        .into_iter()
        .filter_map(|run| Some((run.ran_at, run.score?)))
        .collect())
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Keep `scores` as a new run; returns its id.
pub fn record(
    store: &Store,
    scores: &Scores,
    ran_at: NaiveDateTime,
    findings: &[Finding],
) -> Result<i64, AuditError> {
    let mut rows = Vec::new();
    for (entity, e) in &scores.entities {
        for (dimension, score) in &e.dimensions {
            let failing: u64 = findings
                .iter()
                .filter(|f| f.entity == entity && f.dimension.as_str() == dimension)
                .map(|f| f.failing)
                .sum();
            rows.push(RunScore {
                entity,
                dimension,
                score: *score,
                failing,
                rows: e.rows,
            });
        }
    }
    Ok(store.record_audit_run(ran_at, &rows)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sample, Severity};

    fn finding(entity: &'static str, dimension: Dimension, failing: &[i64], total: u64) -> Finding {
        let rows: Vec<Sample> = failing
            .iter()
            .map(|&id| Sample {
                id,
                value: serde_json::Value::Null,
                fix: None,
                fix_shown: None,
            })
            .collect();
        Finding {
            id: "x",
            entity,
            dimension,
            severity: Severity::Low,
            description: "",
            failing: rows.len() as u64,
            total,
            pct: 0.0,
            samples: Vec::new(),
            fix: None,
            note: None,
            rows,
        }
    }

    #[test]
    fn a_row_failing_two_checks_of_a_dimension_counts_once() {
        // Contacts validity: rows 1, 2 and 3 of 10 fail → 70; consistency: row 1 → 90;
        // contacts → 80. Deals integrity: none of 5 → 100. Overall (80 + 100) / 2 = 90.
        let scores = score(&[
            finding("contacts", Dimension::Validity, &[1, 2], 10),
            finding("contacts", Dimension::Validity, &[2, 3], 10),
            finding("contacts", Dimension::Consistency, &[1], 10),
            finding("deals", Dimension::Integrity, &[], 5),
        ]);
        let contacts = &scores.entities["contacts"];
        assert_eq!(contacts.dimensions["validity"], 70.0);
        assert_eq!(contacts.score, 80.0);
        assert_eq!(scores.overall, 90.0);
    }
}
