//! Training and judging the win-probability model, out of time.
//!
//! Closed deals are split by when they closed: the earliest three quarters train, the last
//! quarter tests. Every deal is seen at instants two weeks apart while it was open (the
//! features as they were then), labelled with how it ended. The model is fitted on the
//! first four fifths of the training deals and calibrated (beta calibration) on the last
//! fifth; the test snapshots — taken after the cut-off, as a forecast would be — judge it
//! against the stages' own probabilities. It is used only with at least 40 won and 40 lost
//! training deals, a lower Brier score than the stages on the test set, and an AUC whose
//! 95% interval stays above 0.5 — a constant well calibrated can beat badly calibrated
//! stages on Brier alone without knowing anything about any deal.

use crate::ForecastError;
use crate::encode::{Encoder, FEATURES};
use crate::features::{self, DealFeatures};
use crate::logistic::Logistic;
use crate::skill::{self, Bin};
use chrono::{Duration, NaiveDateTime};
use embudo_store::{Param, Store};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Closed deals of each outcome a model needs before it may be used.
pub const MIN_OUTCOMES: usize = 40;

/// Days between two snapshots of the pipeline.
const SNAPSHOT_DAYS: i64 = 14;

/// The L2 penalty of the model (on standardised features).
const PENALTY: f64 = 1.0;

/// What training found, as `embudo forecast train` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// `model` or `stage`: which probabilities forecasts use.
    pub used: &'static str,
    pub reason: String,
    /// Deals closing at or after this instant are the test set.
    pub cutoff: Option<String>,
    pub train: Outcomes,
    pub test: TestFigures,
    pub reliability: Vec<Bin>,
    /// The stages' probabilities on the same test rows, binned the same way.
    pub baseline_reliability: Vec<Bin>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcomes {
    pub won: usize,
    pub lost: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TestFigures {
    /// Snapshots judged (a deal seen at several instants counts at each).
    pub n: usize,
    pub deals: usize,
    pub auc: Option<f64>,
    /// The lower end of the AUC's 95% interval over the test deals.
    pub auc_low: Option<f64>,
    pub brier: Option<f64>,
    pub baseline_auc: Option<f64>,
    pub baseline_brier: Option<f64>,
    /// The population forecasts score: the pipeline as it stood at the cut-off.
    pub open_at_cutoff: OpenAtCutoff,
}

/// The deals open at the cut-off, each as it stood then, judged by whether it was won by
/// the training instant: the population the model is used on, long-lived deals included,
/// which the snapshots of deals closed after the cut-off leave out when they are still open.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OpenAtCutoff {
    pub deals: usize,
    /// Deals still open at the training instant, counted as not won by then.
    pub still_open: usize,
    /// The share won by the training instant.
    pub observed: Option<f64>,
    /// The model's mean probability over them.
    pub predicted: Option<f64>,
    pub auc: Option<f64>,
    pub brier: Option<f64>,
    pub baseline_auc: Option<f64>,
    pub baseline_brier: Option<f64>,
}

/// A closed deal: when it closed and whether it was won.
struct Closed {
    closed_at: NaiveDateTime,
    won: bool,
}

/// The model as trained and judged: what scores deals when the report says `model`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Scorer {
    pub encoder: Encoder,
    pub model: Logistic,
    /// Beta calibration of the model's probability (see [`calibrate`]).
    pub calibration: Logistic,
    pub version: String,
    #[serde(skip)]
    feature_of_column: OnceLock<Vec<usize>>,
}

impl Scorer {
    /// The calibrated probability of a win, and each feature's signed contribution to the
    /// model's log-odds (its columns summed), in the order of [`crate::encode::FEATURES`].
    pub fn score(&self, features: &DealFeatures) -> (f64, Vec<(&'static str, f64)>) {
        let row = self.encoder.encode(features);
        let probability = self.calibrated(&row);
        let mut by_feature: Vec<(&'static str, f64)> =
            FEATURES.iter().map(|feature| (*feature, 0.0)).collect();
        for (feature, contribution) in self
            .feature_of_column()
            .iter()
            .zip(self.model.contributions(&row))
        {
            by_feature[*feature].1 += contribution;
        }
        (probability, by_feature)
    }

    /// The calibrated probability of a win alone (no factors).
    pub fn probability(&self, features: &DealFeatures) -> f64 {
        self.calibrated(&self.encoder.encode(features))
    }

    fn calibrated(&self, row: &[f64]) -> f64 {
        self.calibration
            .predict(&calibration_features(self.model.predict(row)))
    }

    /// Each column's place in [`FEATURES`], worked out once per scorer.
    fn feature_of_column(&self) -> &[usize] {
        self.feature_of_column.get_or_init(|| {
            self.encoder
                .features()
                .iter()
                .map(|feature| {
                    FEATURES
                        .iter()
                        .position(|f| f == feature)
                        .expect("every column encodes one of FEATURES")
                })
                .collect()
        })
    }
}

/// Train and judge the model on the deals closed by `now`; the scorer comes back only when
/// the model is to be used.
pub fn train(
    store: &Store,
    now: NaiveDateTime,
) -> Result<(TrainReport, Option<Scorer>), ForecastError> {
    let closed = closed_deals(store, now)?;
    let mut by_close: Vec<&Closed> = closed.values().collect();
    by_close.sort_by_key(|c| c.closed_at);
    let Some(cutoff) = by_close.get(by_close.len() * 3 / 4).map(|c| c.closed_at) else {
        return Ok((
            stage_only("no deal has closed yet", Outcomes::default()),
            None,
        ));
    };
    let train_deals: Vec<&Closed> = by_close
        .iter()
        .copied()
        .filter(|c| c.closed_at < cutoff)
        .collect();
    let outcomes = Outcomes {
        won: train_deals.iter().filter(|c| c.won).count(),
        lost: train_deals.iter().filter(|c| !c.won).count(),
    };
    if outcomes.won < MIN_OUTCOMES || outcomes.lost < MIN_OUTCOMES {
        let reason = format!(
            "{} won and {} lost deals to learn from; the model needs at least {MIN_OUTCOMES} of each",
            outcomes.won, outcomes.lost
        );
        return Ok((stage_only(&reason, outcomes), None));
    }
    // The last fifth of the training deals, by close, calibrates.
    let calibration_from = train_deals[train_deals.len() * 4 / 5].closed_at;
    let snapshots = snapshots(store, now)?;
    let (mut fit_rows, mut calibration_rows, mut test_rows) = (Vec::new(), Vec::new(), Vec::new());
    for (at, features) in snapshots {
        let Some(end) = closed.get(&features.deal_id) else {
            continue;
        };
        let row = (features, end.won);
        if end.closed_at >= cutoff {
            if at >= cutoff {
                test_rows.push(row);
            }
        } else if end.closed_at >= calibration_from {
            calibration_rows.push(row);
        } else {
            fit_rows.push(row);
        }
    }
    let encoder = Encoder::fit(&fit_rows.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>());
    let model = Logistic::fit(
        &fit_rows
            .iter()
            .map(|(f, _)| encoder.encode(f))
            .collect::<Vec<_>>(),
        &fit_rows.iter().map(|(_, w)| *w).collect::<Vec<_>>(),
        PENALTY,
    );
    let calibration = calibrate(&model, &encoder, &calibration_rows);
    let probability = |f: &DealFeatures| {
        calibration.predict(&calibration_features(model.predict(&encoder.encode(f))))
    };
    let wins: Vec<bool> = test_rows.iter().map(|(_, w)| *w).collect();
    let predicted: Vec<f64> = test_rows.iter().map(|(f, _)| probability(f)).collect();
    let baseline: Vec<f64> = test_rows.iter().map(|(f, _)| f.stage_probability).collect();
    let mut test_deals: Vec<i64> = test_rows.iter().map(|(f, _)| f.deal_id).collect();
    test_deals.sort_unstable();
    test_deals.dedup();
    // The interval counts deals, not snapshots: a deal seen five times is one outcome.
    let deal_wins = test_deals.iter().filter(|id| closed[id].won).count();
    let auc = skill::auc(&predicted, &wins);
    let open_at_cutoff = judge_open_at(store, cutoff, &closed, &probability)?;
    let test = TestFigures {
        n: test_rows.len(),
        deals: test_deals.len(),
        auc,
        auc_low: auc
            .and_then(|a| skill::auc_lower_bound(a, deal_wins, test_deals.len() - deal_wins)),
        brier: skill::brier(&predicted, &wins),
        baseline_auc: skill::auc(&baseline, &wins),
        baseline_brier: skill::brier(&baseline, &wins),
        open_at_cutoff,
    };
    let pipeline = &test.open_at_cutoff;
    let (used, reason) = match (test.brier, test.baseline_brier, test.auc_low) {
        (Some(_), Some(_), Some(low)) if low <= 0.5 => (
            "stage",
            format!(
                "the model ranks won and lost deals no better than chance (AUC {:.3}, 95% interval down to {low:.3}): no skill to claim",
                test.auc.unwrap_or(0.5)
            ),
        ),
        (Some(model), Some(stages), _)
            if model < stages
                && pipeline
                    .brier
                    .zip(pipeline.baseline_brier)
                    .is_some_and(|(m, s)| m >= s) =>
        {
            (
                "stage",
                format!(
                    "the model's Brier score {model:.3} beats the stages' {stages:.3} on deals closed after the cut-off, but not on the {} deals open at it ({:.3} against {:.3}), which is what forecasts score",
                    pipeline.deals,
                    pipeline.brier.unwrap_or_default(),
                    pipeline.baseline_brier.unwrap_or_default()
                ),
            )
        }
        (Some(model), Some(stages), _) if model < stages => (
            "model",
            format!(
                "the model's Brier score {model:.3} beats the stages' {stages:.3} on {} deals closed after the cut-off, and {} against {} on the {} deals open at it",
                test.deals,
                figure(pipeline.brier),
                figure(pipeline.baseline_brier),
                pipeline.deals
            ),
        ),
        (Some(model), Some(stages), _) => (
            "stage",
            format!(
                "the model's Brier score {model:.3} does not beat the stages' {stages:.3}: no skill to claim"
            ),
        ),
        _ => (
            "stage",
            "no deal closed after the cut-off to test on".to_owned(),
        ),
    };
    let report = TrainReport {
        used,
        reason,
        cutoff: Some(cutoff.to_string()),
        train: outcomes,
        reliability: skill::reliability(&predicted, &wins),
        baseline_reliability: skill::reliability(&baseline, &wins),
        test,
    };
    let scorer = (used == "model").then(|| Scorer {
        version: format!("logistic {}, cut-off {cutoff}", now.format("%Y-%m-%d")),
        encoder,
        model,
        calibration,
        feature_of_column: OnceLock::new(),
    });
    Ok((report, scorer))
}

fn figure(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

/// The deals open at `cutoff`, as they stood then, scored by `probability` and by their
/// stage, against whether they were won by the training instant (the deals `closed` by
/// then; the rest are still open and count as not won).
fn judge_open_at(
    store: &Store,
    cutoff: NaiveDateTime,
    closed: &HashMap<i64, Closed>,
    probability: &dyn Fn(&DealFeatures) -> f64,
) -> Result<OpenAtCutoff, ForecastError> {
    let pipeline = features::at(store, cutoff)?;
    let predicted: Vec<f64> = pipeline.iter().map(probability).collect();
    let stages: Vec<f64> = pipeline.iter().map(|f| f.stage_probability).collect();
    let wins: Vec<bool> = pipeline
        .iter()
        .map(|f| closed.get(&f.deal_id).is_some_and(|c| c.won))
        .collect();
    let mean = |values: &[f64]| {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let won: Vec<f64> = wins.iter().map(|&w| f64::from(u8::from(w))).collect();
    Ok(OpenAtCutoff {
        deals: pipeline.len(),
        still_open: pipeline
            .iter()
            .filter(|f| !closed.contains_key(&f.deal_id))
            .count(),
        observed: mean(&won),
        predicted: mean(&predicted),
        auc: skill::auc(&predicted, &wins),
        brier: skill::brier(&predicted, &wins),
        baseline_auc: skill::auc(&stages, &wins),
        baseline_brier: skill::brier(&stages, &wins),
    })
}

fn stage_only(reason: &str, train: Outcomes) -> TrainReport {
    TrainReport {
        used: "stage",
        reason: reason.to_owned(),
        cutoff: None,
        train,
        test: TestFigures::default(),
        reliability: Vec::new(),
        baseline_reliability: Vec::new(),
    }
}

/// Won and lost deals closed by `now`, by id.
fn closed_deals(store: &Store, now: NaiveDateTime) -> Result<HashMap<i64, Closed>, ForecastError> {
    let rows = store.query_with(
        "SELECT id, epoch_us(closed_at), status = 'won' FROM deals
          WHERE deleted_at IS NULL AND merged_into_id IS NULL
            AND status IN ('won', 'lost') AND closed_at <= ?",
        &[Param::Timestamp(now)],
    )?;
    Ok(rows
        .rows
        .iter()
        .filter_map(|r| {
            let closed_at = instant(r[1].as_i64()?)?;
            Some((
                r[0].as_i64()?,
                Closed {
                    closed_at,
                    won: r[2].as_bool()?,
                },
            ))
        })
        .collect())
}

/// The pipeline every two weeks from the first deal to `now`: (instant, deal as it stood).
fn snapshots(
    store: &Store,
    now: NaiveDateTime,
) -> Result<Vec<(NaiveDateTime, DealFeatures)>, ForecastError> {
    let first = store.query_with(
        "SELECT epoch_us(min(created_at)) FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL",
        &[],
    )?;
    let Some(mut at) = first.rows[0][0].as_i64().and_then(instant) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    while at <= now {
        out.extend(features::at(store, at)?.into_iter().map(|f| (at, f)));
        at += Duration::days(SNAPSHOT_DAYS);
    }
    Ok(out)
}

/// A UTC instant from microseconds since 1970.
fn instant(micros: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
}

/// What calibration reads of the model's probability p: ln p and −ln(1 − p), whose weights
/// 1 and 1 (bias 0) give back p itself.
fn calibration_features(p: f64) -> [f64; 2] {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    [p.ln(), -(1.0 - p).ln()]
}

/// Beta calibration (Kull, Silva Filho and Flach, 2017): a logistic regression of the
/// outcome on ln p and −ln(1 − p) of the model's probability, fitted on rows the model did
/// not see. Platt scaling, its one-feature special case, can only stretch the log-odds
/// evenly, and left the middle of the scale four points under what happened. Without such
/// rows, the identity.
fn calibrate(model: &Logistic, encoder: &Encoder, rows: &[(DealFeatures, bool)]) -> Logistic {
    if rows.is_empty() {
        return Logistic {
            bias: 0.0,
            weights: vec![1.0, 1.0],
        };
    }
    let x: Vec<Vec<f64>> = rows
        .iter()
        .map(|(f, _)| calibration_features(model.predict(&encoder.encode(f))).to_vec())
        .collect();
    let y: Vec<bool> = rows.iter().map(|(_, w)| *w).collect();
    Logistic::fit(&x, &y, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_with_unit_weights_gives_back_the_probability() {
        let identity = Logistic {
            bias: 0.0,
            weights: vec![1.0, 1.0],
        };
        for p in [0.01, 0.3, 0.5, 0.9] {
            assert!((identity.predict(&calibration_features(p)) - p).abs() < 1e-9);
        }
    }
}
