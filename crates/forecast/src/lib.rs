//! Forecasting: each deal's chance of being won, learned from the business's own closed
//! deals, and what the pipeline will bring.
//!
//! - [`explain`]: a deal's factors under the model in use, and what would raise it.
//! - [`features`]: what was known of each open deal at an instant — stage, furthest stage,
//!   time in stage, age against the pipeline's typical cycle, amount, source, type, the
//!   owner's close rate, recent activity, close-date pushes — read only from rows dated at
//!   or before that instant, so a past instant sees exactly what it saw then.
//! - [`backtest`]: the forecasts of past instants against what their pipeline brought —
//!   WAPE and bias per method, P10–P90 coverage.
//! - [`factors`]: a deal's factors as people read them — per feature, with its value.
//! - [`encode`]: features as standardised numbers, categories one-hot.
//! - [`logistic`]: L2-regularised logistic regression fitted by Newton's method, with each
//!   feature's signed contribution for a deal.
//! - [`score`]: every open deal's probability and top factors, appended to `deal_scores`.
//! - [`simulate`]: Monte Carlo P10/P50/P90 of each month's revenue from the open deals,
//!   and the chance of reaching a goal.
//! - [`timing`]: when a deal that will be won closes, from when past winners that stood
//!   as it stands went on to close.
//! - [`skill`]: AUC, Brier score and the reliability table, the measures a model must
//!   beat the stage probabilities on before it is used.
//! - [`train`]: the model trained on closed deals, calibrated, and judged out of time
//!   against the stage probabilities; used only when it has the data and the skill.

pub mod backtest;
pub mod encode;
pub mod explain;
pub mod factors;
pub mod features;
pub mod logistic;
pub mod score;
pub mod simulate;
pub mod skill;
pub mod timing;
pub mod train;

/// What can go wrong in a forecast.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    #[error(transparent)]
    Store(#[from] embudo_store::StoreError),
}
