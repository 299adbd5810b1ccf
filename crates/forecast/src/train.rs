//! Training and judging the win-probability model, out of time.
//!
//! Closed deals are split by when they closed: the latest quarter marks the cut-off. The
//! pipeline is looked at every two weeks; each look is a deal as it stood then. The model
//! learns from the looks taken before the cut-off, each labelled with what the cut-off knows:
//! won within a year of the look, or not. A deal still open at the cut-off is not left out —
//! leaving it out is what made the pipeline's long-lived deals look like the quick losses
//! that close before them — but a look whose year has not run out by the cut-off cannot be
//! labelled yet. Such looks are dropped and the ones whose ending came after the same number
//! of days weigh more, by inverse probability of censoring weights: an ending `d` days after
//! a look is seen only by looks taken at least `d` days before the cut-off, so it counts
//! once for each share of looks that could see it. Beta calibration is fitted on
//! out-of-fold probabilities of the same looks. The looks taken after the cut-off of deals
//! that closed after it, and the pipeline as it stood at the cut-off, judge the model
//! against the stages' own probabilities. It is used only with at least 40 won and 40 lost
//! training deals, a lower Brier score than the stages on both, and an AUC whose 95%
//! interval stays above 0.5 — a constant well calibrated can beat badly calibrated stages on
//! Brier alone without knowing anything about any deal.

use crate::ForecastError;
use crate::encode::{Encoder, FEATURES};
use crate::features::{self, DealFeatures};
use crate::logistic::Logistic;
use crate::skill::{self, Bin};
use chrono::{Duration, NaiveDateTime};
use embudo_store::Store;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Closed deals of each outcome a model needs before it may be used.
pub const MIN_OUTCOMES: usize = 40;

/// Days between two snapshots of the pipeline.
const SNAPSHOT_DAYS: i64 = 14;

/// The L2 penalty of the model (on standardised features).
const PENALTY: f64 = 1.0;

/// A look counts as won when the deal was won within this many days of it. The generated
/// businesses win every deal they win within 270 days of its creation, and a deal still open
/// a year after a look rarely wins; a horizon past the history would leave nothing labelled.
const HORIZON_DAYS: f64 = 365.0;

/// The smallest share of looks an ending's weight is computed from: an ending seen by fewer
/// weighs at most ten looks, so that a handful of old looks cannot steer the fit.
const MIN_SEEN_SHARE: f64 = 0.1;

/// Folds of the out-of-fold probabilities that calibration is fitted on.
const FOLDS: i64 = 4;

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
    /// Deals won and lost before the cut-off.
    pub won: usize,
    pub lost: usize,
    /// Looks before the cut-off the model learnt from.
    pub looks: usize,
    /// Looks before the cut-off left out because their year had not run out by it.
    pub censored: usize,
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
    /// Beta calibration of the model's probability (see [`fit_calibrated`]).
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

/// Train and judge the model on what is known at `now`; the scorer comes back only when the
/// model is to be used.
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
    let mut outcomes = Outcomes::default();
    for deal in by_close.iter().take_while(|c| c.closed_at < cutoff) {
        if deal.won {
            outcomes.won += 1;
        } else {
            outcomes.lost += 1;
        }
    }
    if outcomes.won < MIN_OUTCOMES || outcomes.lost < MIN_OUTCOMES {
        let reason = format!(
            "{} won and {} lost deals to learn from; the model needs at least {MIN_OUTCOMES} of each",
            outcomes.won, outcomes.lost
        );
        return Ok((stage_only(&reason, outcomes), None));
    }
    let (mut looks, mut test_rows) = (Vec::new(), Vec::new());
    for (at, features) in snapshots(store, now)? {
        if at < cutoff {
            looks.push((at, features));
        } else if let Some(end) = closed.get(&features.deal_id) {
            test_rows.push((features, end.won));
        }
    }
    let learning = weigh(looks, &closed, cutoff);
    outcomes.looks = learning.rows.len();
    outcomes.censored = learning.censored;
    let encoder = Encoder::fit(
        &learning
            .rows
            .iter()
            .map(|r| r.features.clone())
            .collect::<Vec<_>>(),
    );
    let (model, calibration) = fit_calibrated(&encoder, &learning.rows);
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
    Ok(store
        .closed_deals(now)?
        .into_iter()
        .filter_map(|r| {
            let closed_at = instant(r.closed_at)?;
            Some((
                r.id,
                Closed {
                    closed_at,
                    won: r.won,
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
    let Some(mut at) = store.first_deal_created()?.and_then(instant) else {
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

/// A look before the cut-off as the model learns from it.
struct LearningRow {
    features: DealFeatures,
    /// Won within [`HORIZON_DAYS`] of the look.
    won: bool,
    /// The inverse of the share of looks that could have seen this one's ending.
    weight: f64,
}

/// The looks before the cut-off, labelled and weighted.
struct Learning {
    rows: Vec<LearningRow>,
    censored: usize,
}

/// Label each look (taken at an instant before `cutoff`) with what the cut-off knows of its
/// deal, and weigh it by the inverse of the share of looks whose time to the cut-off is at
/// least the days its ending took to be known (see the module's comment). The weights are
/// scaled to average 1, so that the penalty means the same with or without censoring.
fn weigh(
    looks: Vec<(NaiveDateTime, DealFeatures)>,
    closed: &HashMap<i64, Closed>,
    cutoff: NaiveDateTime,
) -> Learning {
    let days = |from: NaiveDateTime, to: NaiveDateTime| (to - from).num_seconds() as f64 / 86_400.0;
    let mut windows: Vec<f64> = looks.iter().map(|(at, _)| days(*at, cutoff)).collect();
    windows.sort_by(f64::total_cmp);
    let seen_share = |after: f64| {
        let shorter = windows.partition_point(|w| *w < after);
        ((windows.len() - shorter) as f64 / windows.len() as f64).max(MIN_SEEN_SHARE)
    };
    let mut rows = Vec::new();
    let mut censored = 0;
    for (at, features) in looks {
        let ending = closed
            .get(&features.deal_id)
            .filter(|c| c.closed_at < cutoff && days(at, c.closed_at) <= HORIZON_DAYS);
        let (won, known_after) = match ending {
            Some(end) => (end.won, days(at, end.closed_at)),
            None if days(at, cutoff) >= HORIZON_DAYS => (false, HORIZON_DAYS),
            None => {
                censored += 1;
                continue;
            }
        };
        rows.push(LearningRow {
            features,
            won,
            weight: 1.0 / seen_share(known_after),
        });
    }
    let mean = rows.iter().map(|r| r.weight).sum::<f64>() / rows.len().max(1) as f64;
    rows.iter_mut().for_each(|r| r.weight /= mean);
    Learning { rows, censored }
}

/// The model fitted on all the rows, and its beta calibration (Kull, Silva Filho and Flach,
/// 2017): a logistic regression of the outcome on ln p and −ln(1 − p), where p is each row's
/// probability under a model fitted without its deal (four folds by deal). Platt scaling,
/// its one-feature special case, can only stretch the log-odds evenly, and left the middle
/// of the scale four points under what happened. The five fits run side by side.
fn fit_calibrated(encoder: &Encoder, rows: &[LearningRow]) -> (Logistic, Logistic) {
    let x: Vec<Vec<f64>> = rows.iter().map(|r| encoder.encode(&r.features)).collect();
    let y: Vec<bool> = rows.iter().map(|r| r.won).collect();
    let w: Vec<f64> = rows.iter().map(|r| r.weight).collect();
    let fold = |i: usize| rows[i].features.deal_id.rem_euclid(FOLDS);
    let fit_without = |k: i64| {
        let kept: Vec<usize> = (0..rows.len()).filter(|&i| fold(i) != k).collect();
        let model = Logistic::fit(
            &kept.iter().map(|&i| &x[i]).collect::<Vec<_>>(),
            &kept.iter().map(|&i| y[i]).collect::<Vec<_>>(),
            &kept.iter().map(|&i| w[i]).collect::<Vec<_>>(),
            PENALTY,
        );
        (k, model)
    };
    let (model, held_out) = std::thread::scope(|scope| {
        let folds: Vec<_> = (0..FOLDS)
            .map(|k| scope.spawn(move || fit_without(k)))
            .collect();
        let model = Logistic::fit(&x, &y, &w, PENALTY);
        let held_out: HashMap<i64, Logistic> = folds
            .into_iter()
            .map(|f| f.join().expect("a training thread panicked"))
            .collect();
        (model, held_out)
    });
    let out_of_fold: Vec<[f64; 2]> = (0..rows.len())
        .map(|i| calibration_features(held_out[&fold(i)].predict(&x[i])))
        .collect();
    let calibration = if rows.is_empty() {
        Logistic {
            bias: 0.0,
            weights: vec![1.0, 1.0],
        }
    } else {
        Logistic::fit(&out_of_fold, &y, &w, 0.0)
    };
    (model, calibration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(offset: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + Duration::days(offset)
    }

    /// A deal as a look sees it; only its id matters here.
    fn deal(deal_id: i64) -> DealFeatures {
        DealFeatures {
            deal_id,
            pipeline_id: 1,
            stage_id: 1,
            stage_position: 1,
            stage_probability: 0.5,
            furthest_position: 1,
            days_in_stage: 0.0,
            age_days: 0.0,
            typical_cycle_days: None,
            amount: None,
            source: None,
            deal_type: None,
            owner_id: None,
            owner_won: 0,
            owner_closed: 0,
            activities_14d: 0,
            activities_30d: 0,
            days_since_activity: None,
            next_activity_scheduled: false,
            close_date_pushes: 0,
            expected_close_date: None,
        }
    }

    /// The share of wins a model without features learns from rows weighing `weights`.
    fn fitted_rate(wins: &[bool], weights: &[f64]) -> f64 {
        let no_features = vec![Vec::<f64>::new(); wins.len()];
        Logistic::fit(&no_features, wins, weights, 0.0).predict(&[])
    }

    /// Four looks 100 days apart, the last 100 days before the cut-off at day 400. Each sees
    /// two new deals: one lost 50 days later, one won 250 days later — half of every pipeline
    /// is won. The wins seen at days 200 and 300 come after the cut-off.
    #[test]
    fn long_lived_wins_open_at_the_cut_off_are_not_lost_to_the_fit() {
        let cutoff = day(400);
        let (mut looks, mut closed) = (Vec::new(), HashMap::new());
        for (at, quick, slow) in [(0, 1, 2), (100, 3, 4), (200, 5, 6), (300, 7, 8)] {
            let ending = |after: i64, won: bool| Closed {
                closed_at: day(at + after),
                won,
            };
            closed.insert(quick, ending(50, false));
            closed.insert(slow, ending(250, true));
            looks.push((day(at), deal(quick)));
            looks.push((day(at), deal(slow)));
        }
        // Closed-only, as training was: the looks of deals closed before the cut-off, four
        // losses and the two wins seen at days 0 and 100, so a third.
        let closed_only: Vec<bool> = looks
            .iter()
            .filter_map(|(_, d)| closed.get(&d.deal_id))
            .filter(|c| c.closed_at < cutoff)
            .map(|c| c.won)
            .collect();
        assert!((fitted_rate(&closed_only, &[1.0; 6]) - 1.0 / 3.0).abs() < 1e-6);

        // Days from each look to the cut-off: 400, 400, 300, 300, 200, 200, 100, 100. A loss
        // is known after 50 days, which every look can see: weight 1. A win is known after
        // 250 days, which only the four looks of days 0 and 100 can see: weight 8/4 = 2.
        // Scaled to average 1 over the six labelled looks (sum 8): 0.75 and 1.5.
        let learning = weigh(looks, &closed, cutoff);
        assert_eq!(learning.censored, 2);
        let wins: Vec<bool> = learning.rows.iter().map(|r| r.won).collect();
        let weights: Vec<f64> = learning.rows.iter().map(|r| r.weight).collect();
        assert_eq!(wins, [false, true, false, true, false, false]);
        for (won, weight) in wins.iter().zip(&weights) {
            assert!((weight - if *won { 1.5 } else { 0.75 }).abs() < 1e-12);
        }
        assert!((fitted_rate(&wins, &weights) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn a_look_whose_year_ran_out_before_the_cut_off_counts_as_not_won() {
        // Seen 500 days before the cut-off, still open at it: not won within the year.
        // Seen 100 days before it, still open: not known yet.
        let cutoff = day(500);
        let looks = vec![(day(0), deal(1)), (day(400), deal(2))];
        let learning = weigh(looks, &HashMap::new(), cutoff);
        assert_eq!(learning.censored, 1);
        assert_eq!(learning.rows.len(), 1);
        assert!(!learning.rows[0].won);
        assert_eq!(learning.rows[0].features.deal_id, 1);
    }

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
