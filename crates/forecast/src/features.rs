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
use embudo_store::{Dialect, Param, Store, TryCast};
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

    /// Days from `at` to the expected close date, negative when overdue.
    pub fn days_to_expected_close(&self, at: NaiveDateTime) -> Option<f64> {
        let due = self.expected_close_date?.and_hms_opt(0, 0, 0)?;
        Some((due - at).num_seconds() as f64 / 86_400.0)
    }

    /// The deal's age as a share of its pipeline's typical cycle.
    pub fn age_ratio(&self) -> Option<f64> {
        self.typical_cycle_days
            .filter(|days| *days > 0.0)
            .map(|days| self.age_days / days)
    }
}

/// Every deal open at `at`, as it stood then, by id.
pub fn at(store: &Store, at: NaiveDateTime) -> Result<Vec<DealFeatures>, ForecastError> {
    read(store, at, Param::Null)
}

/// Deal `id` as it stood at `at`, if it was open then.
pub fn of(
    store: &Store,
    at: NaiveDateTime,
    id: i64,
) -> Result<Option<DealFeatures>, ForecastError> {
    Ok(read(store, at, Param::Int(id))?.pop())
}

fn read(store: &Store, at: NaiveDateTime, only: Param) -> Result<Vec<DealFeatures>, ForecastError> {
    Ok(store.records(&sql(store.dialect()), &[Param::Timestamp(at), only])?)
}

/// The features of every deal open at `$1` (or of deal `$2` alone), in the store's dialect.
fn sql(dialect: Dialect) -> String {
    let days_to = |from: &str| format!("{} / 86400.0", dialect.seconds_between(from, "$1"));
    format!(
        "
WITH live AS (
    SELECT * FROM live_deals
),
open_deals AS (
    SELECT * FROM live
     WHERE created_at <= $1 AND (closed_at IS NULL OR closed_at > $1)
       AND (CAST($2 AS BIGINT) IS NULL OR id = CAST($2 AS BIGINT))
),
current_visit AS (
    SELECT h.deal_id, {stage_then} AS stage_id, max(h.entered_at) AS entered_at
      FROM deal_stage_history h JOIN open_deals d ON d.id = h.deal_id
     WHERE h.entered_at <= $1
     GROUP BY 1
),
furthest AS (
    SELECT h.deal_id, max(s.position) AS position
      FROM deal_stage_history h JOIN open_deals d ON d.id = h.deal_id JOIN stages s ON s.id = h.stage_id
     WHERE h.entered_at <= $1 AND s.kind = 'open'
     GROUP BY 1
),
later_change AS (
    -- The first change after the instant of each tracked field holds the value at the
    -- instant, unset included (arg_min would skip a null old value and let today's through).
    SELECT c.deal_id, c.field, {value_then} AS value_then
      FROM deal_changes c JOIN open_deals d ON d.id = c.deal_id
     WHERE c.changed_at > $1 AND c.field IN ('amount', 'owner_id', 'expected_close_date')
     GROUP BY 1, 2
),
pushes AS (
    SELECT c.deal_id, count(*) AS pushes
      FROM deal_changes c JOIN open_deals d ON d.id = c.deal_id
     WHERE c.field = 'expected_close_date' AND c.changed_at <= $1
       AND {new_date} > {old_date}
     GROUP BY 1
),
activity AS (
    SELECT a.deal_id,
           count(*) FILTER (WHERE a.completed_at > $1 - INTERVAL '14 days' AND a.completed_at <= $1) AS done_14,
           count(*) FILTER (WHERE a.completed_at > $1 - INTERVAL '30 days' AND a.completed_at <= $1) AS done_30,
           max(a.completed_at) FILTER (WHERE a.completed_at <= $1) AS last_done,
           count(*) FILTER (WHERE a.created_at <= $1 AND a.due_at > $1
                              AND (a.completed_at IS NULL OR a.completed_at > $1)) AS scheduled
      FROM activities a JOIN open_deals d ON d.id = a.deal_id
     GROUP BY 1
),
owner_record AS (
    SELECT owner_id, count(*) FILTER (WHERE status = 'won') AS won, count(*) AS closed
      FROM live WHERE closed_at <= $1 AND status IN ('won', 'lost')
     GROUP BY 1
),
typical_cycle AS (
    SELECT pipeline_id, {typical} AS days
      FROM live WHERE status = 'won' AND closed_at <= $1
     GROUP BY 1
),
featured AS (
    SELECT d.id, d.pipeline_id, v.stage_id, s.position, s.probability,
           coalesce(f.position, s.position) AS furthest,
           {days_in_stage} AS days_in_stage,
           {age_days} AS age_days,
           cy.days AS typical_cycle,
           {amount} AS amount,
           d.source, d.deal_type,
           {owner_then} AS owner_then,
           coalesce(ac.done_14, 0) AS done_14, coalesce(ac.done_30, 0) AS done_30,
           {since_last} AS since_last,
           coalesce(ac.scheduled, 0) > 0 AS scheduled,
           coalesce(p.pushes, 0) AS pushes,
           CAST({expected_close} AS VARCHAR) AS expected_close
      FROM open_deals d
      JOIN current_visit v ON v.deal_id = d.id
      JOIN stages s ON s.id = v.stage_id
      LEFT JOIN furthest f ON f.deal_id = d.id
      LEFT JOIN later_change am ON am.deal_id = d.id AND am.field = 'amount'
      LEFT JOIN later_change ow ON ow.deal_id = d.id AND ow.field = 'owner_id'
      LEFT JOIN later_change ex ON ex.deal_id = d.id AND ex.field = 'expected_close_date'
      LEFT JOIN pushes p ON p.deal_id = d.id
      LEFT JOIN activity ac ON ac.deal_id = d.id
      LEFT JOIN typical_cycle cy ON cy.pipeline_id = d.pipeline_id
)
SELECT x.id AS deal_id, coalesce(x.pipeline_id, 0) AS pipeline_id, x.stage_id, coalesce(x.position, 0) AS stage_position,
       coalesce(x.probability, 0) AS stage_probability,
       coalesce(x.furthest, 0) AS furthest_position,
       coalesce(x.days_in_stage, 0) AS days_in_stage, coalesce(x.age_days, 0) AS age_days,
       x.typical_cycle AS typical_cycle_days, x.amount, x.source, x.deal_type,
       x.owner_then AS owner_id, coalesce(r.won, 0) AS owner_won,
       coalesce(r.closed, 0) AS owner_closed, x.done_14 AS activities_14d,
       x.done_30 AS activities_30d, x.since_last AS days_since_activity,
       x.scheduled AS next_activity_scheduled, x.pushes AS close_date_pushes,
       x.expected_close AS expected_close_date
  FROM featured x LEFT JOIN owner_record r ON r.owner_id = x.owner_then
 ORDER BY x.id
",
        stage_then = dialect.arg_max("h.stage_id", "h.entered_at"),
        value_then = dialect.arg_min_null("c.old_value", "c.changed_at"),
        new_date = dialect.try_cast("c.new_value", TryCast::Date),
        old_date = dialect.try_cast("c.old_value", TryCast::Date),
        typical = dialect.median(&format!(
            "{} / 86400.0",
            dialect.seconds_between("created_at", "closed_at")
        )),
        days_in_stage = days_to("v.entered_at"),
        age_days = days_to("d.created_at"),
        since_last = days_to("ac.last_done"),
        amount = dialect.try_cast(
            "CASE WHEN am.deal_id IS NULL THEN CAST(d.amount AS VARCHAR) ELSE am.value_then END",
            TryCast::Double
        ),
        owner_then = dialect.try_cast(
            "CASE WHEN ow.deal_id IS NULL THEN CAST(d.owner_id AS VARCHAR) ELSE ow.value_then END",
            TryCast::BigInt
        ),
        expected_close = dialect.try_cast(
            "CASE WHEN ex.deal_id IS NULL THEN CAST(d.expected_close_date AS VARCHAR) ELSE ex.value_then END",
            TryCast::Date
        ),
    )
}
