//! The features of every deal open at an instant `t`, as they were at `t`.
//!
//! Nothing here reads a row dated after `t`: the stage is the visit current at `t` in
//! `deal_stage_history`; an amount or owner changed after `t` is read back from the old
//! value of the first such change in `deal_changes`; activities count only when completed
//! (or scheduled) by `t`; an owner's close rate and a pipeline's typical cycle come from
//! deals closed by `t`. A deal counts as open at `t` when it was created by then and not
//! yet closed — whatever it is now.

use crate::ForecastError;
use chrono::{NaiveDate, NaiveDateTime};
use embudo_store::Store;
use serde::{Deserialize, Serialize};

/// One deal as it stood at the instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealFeatures {
    pub deal_id: i64,
    pub pipeline_id: i64,
    /// The stage the deal was in at the instant, its position and default probability.
    pub stage_id: i64,
    pub stage_position: i64,
    pub stage_probability: f64,
    /// The furthest open stage reached by then (position).
    pub furthest_position: i64,
    pub days_in_stage: f64,
    pub age_days: f64,
    /// Median days from creation to a win in the pipeline, over deals won by then (`None`
    /// before the first win).
    pub typical_cycle_days: Option<f64>,
    /// The amount at the instant (`None`: not set then).
    pub amount: Option<f64>,
    pub source: Option<String>,
    pub deal_type: Option<String>,
    /// The owner at the instant, and how their deals closed before it.
    pub owner_id: Option<i64>,
    pub owner_won: i64,
    pub owner_closed: i64,
    pub activities_14d: i64,
    pub activities_30d: i64,
    /// Days since the last completed activity (`None`: none yet).
    pub days_since_activity: Option<f64>,
    /// An activity was scheduled by then and not done by then.
    pub next_activity_scheduled: bool,
    /// Times the expected close date was moved later, by then.
    pub close_date_pushes: i64,
    /// The expected close date as it was set at the instant (`None`: not set then).
    pub expected_close_date: Option<NaiveDate>,
}

impl DealFeatures {
    /// The owner's close rate before the instant (`None`: nothing closed yet).
    pub fn owner_close_rate(&self) -> Option<f64> {
        (self.owner_closed > 0).then(|| self.owner_won as f64 / self.owner_closed as f64)
    }

    /// How the deal stood as far as the timing is concerned.
    pub fn standing(&self) -> Standing {
        Standing {
            deal_id: self.deal_id,
            pipeline_id: self.pipeline_id,
            stage_id: self.stage_id,
            stage_probability: self.stage_probability,
            days_in_stage: self.days_in_stage,
            amount: self.amount,
            expected_close_date: self.expected_close_date,
        }
    }

    /// The deal's age as a share of its pipeline's typical cycle.
    pub fn age_ratio(&self) -> Option<f64> {
        self.typical_cycle_days
            .filter(|days| *days > 0.0)
            .map(|days| self.age_days / days)
    }
}

/// How an open deal stood at the instant as far as when it would close, if won, and for
/// how much: what the simulation and its [`Timing`](crate::timing::Timing) read. These are
/// fields of [`DealFeatures`] of the same names, read without what the others cost.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Standing {
    pub deal_id: i64,
    pub pipeline_id: i64,
    pub stage_id: i64,
    pub stage_probability: f64,
    pub days_in_stage: f64,
    pub amount: Option<f64>,
    pub expected_close_date: Option<NaiveDate>,
}

impl Standing {
    /// Days from `at` to the expected close date, negative when overdue.
    pub fn days_to_expected_close(&self, at: NaiveDateTime) -> Option<f64> {
        let due = self.expected_close_date?.and_hms_opt(0, 0, 0)?;
        Some((due - at).num_seconds() as f64 / 86_400.0)
    }
}

/// Every deal open at `at`, as it stood then for the timing, by id.
pub fn standings_at(store: &Store, at: NaiveDateTime) -> Result<Vec<Standing>, ForecastError> {
    Ok(store.deal_standings(at)?)
}

/// Every deal open at `at`, as it stood then, by id.
pub fn at(store: &Store, at: NaiveDateTime) -> Result<Vec<DealFeatures>, ForecastError> {
    Ok(store.deal_features(at, None)?)
}

/// Deal `id` as it stood at `at`, if it was open then.
pub fn of(
    store: &Store,
    at: NaiveDateTime,
    id: i64,
) -> Result<Option<DealFeatures>, ForecastError> {
    Ok(store.deal_features(at, Some(id))?.pop())
}
