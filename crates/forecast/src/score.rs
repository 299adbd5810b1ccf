//! Scoring the deals open at an instant into `deal_scores`: the model's calibrated
//! probability with the three factors that moved it most, or, when the model is not to be
//! used, the stage's own probability.

use crate::ForecastError;
use crate::factors::{self, Names};
use crate::features::{self, DealFeatures};
use crate::train::Scorer;
use chrono::NaiveDateTime;
use embudo_store::Store;
use serde_json::json;
use std::borrow::Cow;

/// Factors kept per deal.
const TOP_FACTORS: usize = 3;

/// The `store_info` key the model in use is kept under, for explaining deals later.
const MODEL_KEY: &str = "forecast_model";

/// The model version written when the stages' probabilities are used.
pub const STAGE_VERSION: &str = "stage probabilities";

/// Score every deal open at `at` and append the scores to `deal_scores`, in one
/// transaction, keeping the model (or that there is none) for `embudo deal explain`;
/// returns how many deals were scored.
pub fn score(
    store: &Store,
    at: NaiveDateTime,
    scorer: Option<&Scorer>,
) -> Result<usize, ForecastError> {
    let open = features::at(store, at)?;
    let names = Names::read(store)?;
    let version = scorer.map_or(STAGE_VERSION, |s| s.version.as_str());
    // Scoring a million deals is seconds of arithmetic: split it over the cores.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = open.len().div_ceil(threads).max(1);
    let rows: Vec<(i64, Vec<Option<Cow<'_, str>>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = open
            .chunks(chunk)
            .enumerate()
            .map(|(n, deals)| {
                let names = &names;
                scope.spawn(move || {
                    deals
                        .iter()
                        .enumerate()
                        .map(|(i, deal)| score_row((n * chunk + i) as i64, deal, scorer, names))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a scoring thread panicked"))
            .collect()
    });
    let model = serde_json::to_string(&scorer).unwrap_or_default();
    store.transaction(true, || {
        write(store, &rows, version, at)?;
        Ok::<_, ForecastError>(store.set_info(MODEL_KEY, &model)?)
    })?;
    Ok(rows.len())
}

/// One open deal's row for `deal_scores`: id, probability, top factors.
fn score_row<'a>(
    row_no: i64,
    deal: &DealFeatures,
    scorer: Option<&Scorer>,
    names: &Names,
) -> (i64, Vec<Option<Cow<'a, str>>>) {
    let (probability, factors) = match scorer {
        Some(scorer) => {
            let (p, contributions) = scorer.score(deal);
            (
                p,
                json!(factors::of(deal, contributions, names, TOP_FACTORS)),
            )
        }
        None => (deal.stage_probability, json!([])),
    };
    (
        row_no,
        vec![
            Some(Cow::Owned(deal.deal_id.to_string())),
            Some(Cow::Owned(probability.clamp(0.0, 1.0).to_string())),
            Some(Cow::Owned(factors.to_string())),
        ],
    )
}

/// The model the last scoring used, if it used one. A model kept by a version that
/// calibrated with one feature (Platt scaling) would explain probabilities other than the
/// ones it stored: it counts as none until the next `forecast train`.
pub fn kept_model(store: &Store) -> Result<Option<Scorer>, ForecastError> {
    Ok(store
        .info(MODEL_KEY)?
        .and_then(|text| serde_json::from_str::<Option<Scorer>>(&text).ok())
        .flatten()
        .filter(|scorer| scorer.calibration.weights.len() == 2))
}

fn write(
    store: &Store,
    rows: &[(i64, Vec<Option<Cow<'_, str>>>)],
    version: &str,
    at: NaiveDateTime,
) -> Result<(), ForecastError> {
    Ok(store.insert_scores(rows, version, at)?)
}
