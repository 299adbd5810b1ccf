//! Deal features as the numbers a model reads: categories one-hot over the values seen in
//! training, counts and durations on a log scale, missing values as their own indicator,
//! every column standardised with the training rows' mean and spread.

use crate::features::DealFeatures;
use serde::{Deserialize, Serialize};

/// How features become a row of numbers, learned from the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    pipelines: Vec<i64>,
    stages: Vec<i64>,
    sources: Vec<String>,
    deal_types: Vec<String>,
    /// Win rate of all owners' closed deals in training, for owners with no record yet.
    base_close_rate: f64,
    means: Vec<f64>,
    spreads: Vec<f64>,
}

/// The numeric columns before the one-hot ones, by name, each with the feature it encodes
/// ([`FEATURES`]) in `FEATURE_OF_NUMERIC`.
const NUMERIC: [&str; 14] = [
    "stage_probability",
    "stages_back",
    "log_days_in_stage",
    "age_ratio",
    "age_unknown",
    "log_amount",
    "amount_unknown",
    "owner_close_rate",
    "owner_unknown",
    "log_activities_14d",
    "log_activities_30d",
    "log_days_since_activity",
    "next_activity_scheduled",
    "close_date_pushes",
];

/// The features a deal's factors are told by, in the order of the list: the columns
/// of one feature (a one-hot category, a value and its "unknown" flag) add up to one factor.
pub const FEATURES: [&str; 15] = [
    "pipeline",
    "stage",
    "stage_probability",
    "stages_back",
    "days_in_stage",
    "age_ratio",
    "amount",
    "source",
    "deal_type",
    "owner_close_rate",
    "activities_14d",
    "activities_30d",
    "days_since_activity",
    "next_activity_scheduled",
    "close_date_pushes",
];

const FEATURE_OF_NUMERIC: [&str; 14] = [
    "stage_probability",
    "stages_back",
    "days_in_stage",
    "age_ratio",
    "age_ratio",
    "amount",
    "amount",
    "owner_close_rate",
    "owner_close_rate",
    "activities_14d",
    "activities_30d",
    "days_since_activity",
    "next_activity_scheduled",
    "close_date_pushes",
];

impl Encoder {
    /// Learn the vocabularies and scales from `rows`.
    pub fn fit(rows: &[DealFeatures]) -> Encoder {
        let distinct = |values: Vec<String>| {
            let mut values = values;
            values.sort();
            values.dedup();
            values
        };
        let mut pipelines: Vec<i64> = rows.iter().map(|r| r.pipeline_id).collect();
        pipelines.sort_unstable();
        pipelines.dedup();
        let mut stages: Vec<i64> = rows.iter().map(|r| r.stage_id).collect();
        stages.sort_unstable();
        stages.dedup();
        let (won, closed) = rows
            .iter()
            .fold((0, 0), |(w, c), r| (w + r.owner_won, c + r.owner_closed));
        let mut encoder = Encoder {
            pipelines,
            stages,
            sources: distinct(rows.iter().filter_map(|r| r.source.clone()).collect()),
            deal_types: distinct(rows.iter().filter_map(|r| r.deal_type.clone()).collect()),
            base_close_rate: if closed > 0 {
                won as f64 / closed as f64
            } else {
                0.5
            },
            means: Vec::new(),
            spreads: Vec::new(),
        };
        let raw: Vec<Vec<f64>> = rows.iter().map(|r| encoder.raw(r)).collect();
        let width = encoder.names().len();
        let n = raw.len().max(1) as f64;
        encoder.means = (0..width)
            .map(|c| raw.iter().map(|row| row[c]).sum::<f64>() / n)
            .collect();
        encoder.spreads = (0..width)
            .map(|c| {
                let mean = encoder.means[c];
                let variance = raw.iter().map(|row| (row[c] - mean).powi(2)).sum::<f64>() / n;
                if variance > 1e-12 {
                    variance.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        encoder
    }

    /// The name of every column, in order.
    pub fn names(&self) -> Vec<String> {
        NUMERIC
            .iter()
            .map(|n| (*n).to_owned())
            .chain(self.pipelines.iter().map(|p| format!("pipeline={p}")))
            .chain(self.stages.iter().map(|s| format!("stage={s}")))
            .chain(self.sources.iter().map(|s| format!("source={s}")))
            .chain(self.deal_types.iter().map(|t| format!("deal_type={t}")))
            .collect()
    }

    /// The feature (one of [`FEATURES`]) each column encodes, in column order.
    pub fn features(&self) -> Vec<&'static str> {
        FEATURE_OF_NUMERIC
            .into_iter()
            .chain(self.pipelines.iter().map(|_| "pipeline"))
            .chain(self.stages.iter().map(|_| "stage"))
            .chain(self.sources.iter().map(|_| "source"))
            .chain(self.deal_types.iter().map(|_| "deal_type"))
            .collect()
    }

    /// `features` as a standardised row.
    pub fn encode(&self, features: &DealFeatures) -> Vec<f64> {
        self.raw(features)
            .into_iter()
            .zip(self.means.iter().zip(&self.spreads))
            .map(|(x, (mean, spread))| (x - mean) / spread)
            .collect()
    }

    fn raw(&self, f: &DealFeatures) -> Vec<f64> {
        let flag = |b: bool| f64::from(u8::from(b));
        let log = |x: f64| x.max(0.0).ln_1p();
        let one_hot = |found: Option<usize>, len: usize| {
            let mut column = vec![0.0; len];
            if let Some(i) = found {
                column[i] = 1.0;
            }
            column
        };
        let mut row = vec![
            f.stage_probability,
            (f.furthest_position - f.stage_position).max(0) as f64,
            log(f.days_in_stage),
            f.age_ratio().unwrap_or(1.0),
            flag(f.age_ratio().is_none()),
            f.amount.map_or(0.0, log),
            flag(f.amount.is_none()),
            f.owner_close_rate().unwrap_or(self.base_close_rate),
            flag(f.owner_close_rate().is_none()),
            log(f.activities_14d as f64),
            log(f.activities_30d as f64),
            // No activity yet reads as a long silence.
            log(f.days_since_activity.unwrap_or(f.age_days)),
            flag(f.next_activity_scheduled),
            f.close_date_pushes as f64,
        ];
        row.extend(one_hot(
            self.pipelines.iter().position(|p| *p == f.pipeline_id),
            self.pipelines.len(),
        ));
        row.extend(one_hot(
            self.stages.iter().position(|s| *s == f.stage_id),
            self.stages.len(),
        ));
        row.extend(one_hot(
            f.source
                .as_ref()
                .and_then(|s| self.sources.iter().position(|x| x == s)),
            self.sources.len(),
        ));
        row.extend(one_hot(
            f.deal_type
                .as_ref()
                .and_then(|t| self.deal_types.iter().position(|x| x == t)),
            self.deal_types.len(),
        ));
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(id: i64, stage: i64, source: &str, amount: Option<f64>) -> DealFeatures {
        DealFeatures {
            deal_id: id,
            pipeline_id: 1,
            stage_id: stage,
            stage_position: stage,
            stage_probability: 0.1 * stage as f64,
            furthest_position: stage,
            days_in_stage: 3.0,
            age_days: 10.0,
            typical_cycle_days: Some(20.0),
            amount,
            source: Some(source.into()),
            deal_type: None,
            owner_id: Some(1),
            owner_won: 1,
            owner_closed: 2,
            activities_14d: 0,
            activities_30d: 1,
            days_since_activity: None,
            next_activity_scheduled: false,
            close_date_pushes: 0,
            expected_close_date: None,
        }
    }

    #[test]
    fn columns_are_standardised_and_unseen_categories_are_all_zero() {
        let rows = [
            deal(1, 1, "email", Some(100.0)),
            deal(2, 2, "organic", None),
        ];
        let encoder = Encoder::fit(&rows);
        let names = encoder.names();
        assert_eq!(names.len(), 14 + 1 + 2 + 2);
        let encoded: Vec<Vec<f64>> = rows.iter().map(|r| encoder.encode(r)).collect();
        for c in 0..names.len() {
            let mean = (encoded[0][c] + encoded[1][c]) / 2.0;
            assert!(mean.abs() < 1e-9, "{} has mean {mean}", names[c]);
        }
        // Stage 1 vs 2: one standard deviation each side of the mean.
        let stage_one = names.iter().position(|n| n == "stage=1").unwrap();
        assert_eq!((encoded[0][stage_one], encoded[1][stage_one]), (1.0, -1.0));
        // A source never seen in training sits at minus the mean for every source column.
        let unseen = encoder.encode(&deal(3, 1, "event", Some(100.0)));
        let email = names.iter().position(|n| n == "source=email").unwrap();
        assert_eq!(unseen[email], -1.0);
    }
}
