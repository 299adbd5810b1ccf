//! The forecast's reads and writes: every open deal as it stood at an instant (nothing
//! dated after it read), looks at won deals while they were open, the deals closed or won
//! by an instant, and the scores it keeps.
//!
//! The rows come back as the caller's own types (their fields named as the columns here);
//! what they mean is the forecast crate's.

use crate::error::{Result, StoreError};
use crate::query::Param;
use crate::staging::TextRow;
use crate::store::Store;
use crate::{Dialect, TryCast};
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// A won or lost deal and when it closed.
#[derive(Debug, Clone, Deserialize)]
pub struct ClosedDeal {
    pub id: i64,
    /// Epoch microseconds.
    pub closed_at: i64,
    pub won: bool,
}

/// A won deal, when it was won and its amount.
#[derive(Debug, Clone, Deserialize)]
pub struct WonDeal {
    pub id: i64,
    /// Epoch microseconds.
    pub closed_at: i64,
    pub amount: Option<f64>,
}

impl Store {
    /// Every live deal open at `at` (or deal `only` alone, if it was open), as it stood
    /// then, by id: deal_id, pipeline_id, stage_id, stage_position, stage_probability,
    /// furthest_position, days_in_stage, age_days, typical_cycle_days, amount, source,
    /// deal_type, owner_id, owner_won, owner_closed, activities_14d, activities_30d,
    /// days_since_activity, next_activity_scheduled, close_date_pushes,
    /// expected_close_date.
    pub fn deal_features<T: DeserializeOwned>(
        &self,
        at: NaiveDateTime,
        only: Option<i64>,
    ) -> Result<Vec<T>> {
        self.records(
            &features_sql(self.dialect()),
            &[Param::Timestamp(at), only.map_or(Param::Null, Param::Int)],
        )
    }

    /// Every live deal open at `at` as the forecast's timing sees it, by id: deal_id,
    /// pipeline_id, stage_id, stage_probability, days_in_stage, amount, expected_close_date
    /// — the columns of [`deal_features`](Store::deal_features) of those names, read without
    /// the activities, pushes and records the rest need (on large 0.11 s, all the features
    /// 0.55 s).
    pub fn deal_standings<T: DeserializeOwned>(&self, at: NaiveDateTime) -> Result<Vec<T>> {
        self.records(
            &standings_sql(self.dialect()),
            &[Param::Timestamp(at), Param::Null],
        )
    }

    /// Every look at a deal won by `at`, two weeks apart counting back from `steps_back`
    /// fortnights before `at`, while it was open, in this order: pipeline, stage,
    /// days_in_stage, days_to_expected_close (as then set), amount, days_to_win.
    pub fn won_deal_looks(
        &self,
        at: NaiveDateTime,
        steps_back: i64,
    ) -> Result<Vec<[Option<f64>; 6]>> {
        self.number_rows(
            &looks_sql(self.dialect()),
            &[Param::Timestamp(at), Param::Int(steps_back)],
        )
    }

    /// The live deals won or lost by `at`.
    pub fn closed_deals(&self, at: NaiveDateTime) -> Result<Vec<ClosedDeal>> {
        self.records(
            &format!(
                "SELECT id, {} AS closed_at, status = 'won' AS won FROM live_deals
                  WHERE status IN ('won', 'lost') AND closed_at <= ?",
                self.dialect().epoch_micros("closed_at")
            ),
            &[Param::Timestamp(at)],
        )
    }

    /// Every live deal won, with when it closed.
    pub fn won_deals(&self) -> Result<Vec<WonDeal>> {
        self.records(
            &format!(
                "SELECT id, {} AS closed_at, CAST(amount AS DOUBLE PRECISION) AS amount
                   FROM live_deals WHERE status = 'won' AND closed_at IS NOT NULL",
                self.dialect().epoch_micros("closed_at")
            ),
            &[],
        )
    }

    /// When the first live deal was created, in epoch microseconds.
    pub fn first_deal_created(&self) -> Result<Option<i64>> {
        Ok(self
            .value::<Option<i64>>(
                &format!(
                    "SELECT {} FROM live_deals",
                    self.dialect().epoch_micros("min(created_at)")
                ),
                &[],
            )?
            .flatten())
    }

    /// Keep the scores of `rows`, scored at `at` by model `version`, with new ids.
    /// Each row is a deal's id and its probability and factors (JSON) as text.
    pub fn insert_scores(&self, rows: &[TextRow], version: &str, at: NaiveDateTime) -> Result<()> {
        let columns = ["deal_id", "probability", "factors"].map(str::to_owned);
        let mut stager = self.stager("_embudo_scores", &columns)?;
        stager.append(rows)?;
        stager.finish()?;
        let first = self.reserve_ids("deal_scores", rows.len() as u64)?;
        self.execute_with(
            "INSERT INTO deal_scores (id, deal_id, probability, model_version, scored_at, factors)
             SELECT CAST(? AS BIGINT) - 1 + row_number() OVER (ORDER BY row_no),
                    CAST(deal_id AS BIGINT), CAST(probability AS DOUBLE PRECISION), ?, ?,
                    CAST(factors AS JSON)
               FROM _embudo_scores",
            &[
                Param::Int(first),
                Param::Text(version.to_owned()),
                Param::Timestamp(at),
            ],
        )?;
        self.execute_with("DROP TABLE _embudo_scores", &[])?;
        Ok(())
    }

    /// The win probabilities scored exactly at `at`, by deal.
    pub fn scores_at(&self, at: NaiveDateTime) -> Result<HashMap<i64, f64>> {
        #[derive(Deserialize)]
        struct Score {
            deal_id: i64,
            probability: f64,
        }
        Ok(self
            .records::<Score>(
                "SELECT deal_id, probability FROM deal_scores WHERE scored_at = ?",
                &[Param::Timestamp(at)],
            )?
            .into_iter()
            .map(|s| (s.deal_id, s.probability))
            .collect())
    }

    /// For load tests: `copies` more of each deal open at `at`, with its stage history,
    /// changes and activities, under new ids (the originals' plus a multiple of a billion,
    /// above any id in use). DuckDB only: it copies whole rows with `* REPLACE`.
    pub fn copy_open_deals(&self, at: NaiveDateTime, copies: u32) -> Result<()> {
        if self.dialect() != Dialect::DuckDb {
            return Err(StoreError::Engine(
                "copying open deals for a load test needs a DuckDB store".into(),
            ));
        }
        let params = [
            Param::Timestamp(at),
            Param::Int(i64::from(copies) + 1),
            Param::Int(1_000_000_000),
        ];
        let open_ids =
            "SELECT id FROM deals WHERE created_at <= $1 AND (closed_at IS NULL OR closed_at > $1)";
        self.transaction(true, || {
        for sql in [
            format!(
                "INSERT INTO deals SELECT d.* REPLACE (d.id + r.k * $3 AS id, NULL AS external_id)
                   FROM deals d, range(1, $2) r(k) WHERE d.id IN ({open_ids})"
            ),
            format!(
                "INSERT INTO deal_stage_history SELECT h.* REPLACE (h.id + r.k * $3 AS id, h.deal_id + r.k * $3 AS deal_id)
                   FROM deal_stage_history h, range(1, $2) r(k) WHERE h.deal_id IN ({open_ids})"
            ),
            format!(
                "INSERT INTO deal_changes SELECT c.* REPLACE (c.id + r.k * $3 AS id, c.deal_id + r.k * $3 AS deal_id)
                   FROM deal_changes c, range(1, $2) r(k) WHERE c.deal_id IN ({open_ids})"
            ),
            format!(
                "INSERT INTO activities SELECT a.* REPLACE (a.id + r.k * $3 AS id, a.deal_id + r.k * $3 AS deal_id)
                   FROM activities a, range(1, $2) r(k) WHERE a.deal_id IN ({open_ids})"
            ),
        ] {
            self.execute_with(&sql, &params)?;
        }
        Ok(())
        })
    }
}

/// The start of both reads of open deals: `live`; `open_deals`, those open at `$1` (or
/// deal `$2` alone); `current_visit`, each one's stage visit current at `$1`; and
/// `later_change`, the first change after `$1` of each of `fields` (SQL strings).
fn open_deals_ctes(dialect: Dialect, fields: &str) -> String {
    format!(
        "
WITH live AS {inlined}(
    SELECT * FROM live_deals
),
open_deals AS {inlined}(
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
later_change AS (
    -- The first change after the instant of each tracked field holds the value at the
    -- instant, unset included (arg_min would skip a null old value and let today's through).
    SELECT c.deal_id, c.field, {value_then} AS value_then
      FROM deal_changes c JOIN open_deals d ON d.id = c.deal_id
     WHERE c.changed_at > $1 AND c.field IN ({fields})
     GROUP BY 1, 2
)",
        // DuckDB would copy every column of every deal, and of the open ones, to read the
        // few each use needs (the pack's scoring of 100k open deals: 0.86 → 0.53 s); each use
        // reads the table itself instead. PostgreSQL is left to decide.
        inlined = match dialect {
            Dialect::DuckDb => "NOT MATERIALIZED ",
            Dialect::Postgres => "",
        },
        stage_then = dialect.arg_max("h.stage_id", "h.entered_at"),
        value_then = dialect.arg_min_null("c.old_value", "c.changed_at"),
    )
}

/// Deal `d`'s `column` as it stood at `$1`, cast from text: the old value of its first later
/// change, joined from `later_change` as `change`, else its value now.
fn as_then(dialect: Dialect, change: &str, column: &str, cast: TryCast) -> String {
    dialect.try_cast(
        &format!(
            "CASE WHEN {change}.deal_id IS NULL THEN CAST(d.{column} AS VARCHAR) ELSE {change}.value_then END"
        ),
        cast,
    )
}

/// How every deal open at `$1` stood for the forecast's timing, by id.
fn standings_sql(dialect: Dialect) -> String {
    format!(
        "{ctes}
SELECT d.id AS deal_id, coalesce(d.pipeline_id, 0) AS pipeline_id, v.stage_id,
       coalesce(s.probability, 0) AS stage_probability,
       coalesce({days_in_stage} / 86400.0, 0) AS days_in_stage,
       {amount} AS amount,
       CAST({expected_close} AS VARCHAR) AS expected_close_date
  FROM open_deals d
  JOIN current_visit v ON v.deal_id = d.id
  JOIN stages s ON s.id = v.stage_id
  LEFT JOIN later_change am ON am.deal_id = d.id AND am.field = 'amount'
  LEFT JOIN later_change ex ON ex.deal_id = d.id AND ex.field = 'expected_close_date'
 ORDER BY d.id
",
        ctes = open_deals_ctes(dialect, "'amount', 'expected_close_date'"),
        days_in_stage = dialect.seconds_between("v.entered_at", "$1"),
        amount = as_then(dialect, "am", "amount", TryCast::Double),
        expected_close = as_then(dialect, "ex", "expected_close_date", TryCast::Date),
    )
}

/// The features of every deal open at `$1` (or of deal `$2` alone), in the store's dialect.
fn features_sql(dialect: Dialect) -> String {
    let days_to = |from: &str| format!("{} / 86400.0", dialect.seconds_between(from, "$1"));
    format!(
        "{ctes},
furthest AS (
    SELECT h.deal_id, max(s.position) AS position
      FROM deal_stage_history h JOIN open_deals d ON d.id = h.deal_id JOIN stages s ON s.id = h.stage_id
     WHERE h.entered_at <= $1 AND s.kind = 'open'
     GROUP BY 1
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
        ctes = open_deals_ctes(dialect, "'amount', 'owner_id', 'expected_close_date'"),
        new_date = dialect.try_cast("c.new_value", TryCast::Date),
        old_date = dialect.try_cast("c.old_value", TryCast::Date),
        typical = dialect.median(&format!(
            "{} / 86400.0",
            dialect.seconds_between("created_at", "closed_at")
        )),
        days_in_stage = days_to("v.entered_at"),
        age_days = days_to("d.created_at"),
        since_last = days_to("ac.last_done"),
        amount = as_then(dialect, "am", "amount", TryCast::Double),
        owner_then = as_then(dialect, "ow", "owner_id", TryCast::BigInt),
        expected_close = as_then(dialect, "ex", "expected_close_date", TryCast::Date),
    )
}

/// The looks of [`looks_sql`]: each won deal with each instant of the grid while it was open.
/// DuckDB joins the grid on the range itself (its inequality join); PostgreSQL would compare
/// every deal with every instant (17M pairs and 3.3 s at medium scale), so there each deal
/// counts out its own steps (a step either side more, kept only if open then).
fn looks_at_won_deals(dialect: Dialect) -> String {
    const OPEN: &str = "seen_at >= w.created_at AND seen_at < w.closed_at";
    match dialect {
        Dialect::DuckDb => format!("SELECT w.*, g.seen_at FROM won w JOIN grid g ON g.{OPEN}"),
        Dialect::Postgres => {
            let steps_back = |to: &str| {
                format!(
                    "CAST(floor(EXTRACT(EPOCH FROM CAST($1 AS TIMESTAMP) - {to}) / 1209600) AS BIGINT)"
                )
            };
            format!(
                "SELECT * FROM (
                   SELECT w.*, CAST($1 AS TIMESTAMP) - {fortnights} AS seen_at
                     FROM won w CROSS JOIN LATERAL generate_series(
                          greatest(CAST($2 AS BIGINT), {after_close}), least(999, {before_creation} + 1)) AS t(k)) w
                  WHERE {OPEN}",
                fortnights = dialect.days("CAST(14 * k AS INTEGER)"),
                after_close = steps_back("w.closed_at"),
                before_creation = steps_back("w.created_at"),
            )
        }
    }
}

/// Every look at a won deal, two weeks apart counting back from `$2` steps before `$1`,
/// while it was open:
/// pipeline, stage then, days in it, days left to the expected close date as then set (a
/// later change read back from `deal_changes`), amount (as it is now: a won deal's amount
/// is settled), days until the win.
fn looks_sql(dialect: Dialect) -> String {
    let days = |from: &str, to: &str| format!("{} / 86400.0", dialect.seconds_between(from, to));
    format!(
        "
WITH won AS (
    SELECT id, pipeline_id, created_at, closed_at, expected_close_date, amount FROM live_deals
     WHERE status = 'won' AND closed_at <= $1
),
grid AS (
    SELECT CAST($1 AS TIMESTAMP) - {fortnights} AS seen_at
      FROM generate_series(CAST($2 AS BIGINT), 999) AS t(k)
),
looks AS (
    {looks}
),
-- Each won deal's stage visits and the spans its expected close date kept one value, as
-- ranges a look falls in: joined on the range, a look meets one of each, with no grouping
-- of the looks back (0.30 → 0.24 s on large).
visits AS (
    SELECT h.deal_id, h.stage_id, h.entered_at,
           coalesce(lead(h.entered_at) OVER (PARTITION BY h.deal_id ORDER BY h.entered_at),
                    CAST('infinity' AS TIMESTAMP)) AS left_at
      FROM deal_stage_history h WHERE h.deal_id IN (SELECT id FROM won)
),
date_spans AS (
    -- Until each change, the date was the change's old value.
    SELECT c.deal_id, c.old_value, c.changed_at AS until,
           coalesce(lag(c.changed_at) OVER (PARTITION BY c.deal_id ORDER BY c.changed_at),
                    CAST('-infinity' AS TIMESTAMP)) AS since
      FROM deal_changes c
     WHERE c.field = 'expected_close_date' AND c.deal_id IN (SELECT id FROM won)
)
SELECT l.pipeline_id AS pipeline, v.stage_id AS stage,
       {in_stage} AS days_in_stage,
       {to_expected} AS days_to_expected_close,
       CAST(l.amount AS DOUBLE PRECISION) AS amount,
       {to_win} AS days_to_win
  FROM looks l
  JOIN visits v ON v.deal_id = l.id AND v.entered_at <= l.seen_at AND v.left_at > l.seen_at
  LEFT JOIN date_spans e ON e.deal_id = l.id AND e.since <= l.seen_at AND e.until > l.seen_at
",
        fortnights = dialect.days("CAST(14 * k AS INTEGER)"),
        looks = looks_at_won_deals(dialect),
        in_stage = days("v.entered_at", "l.seen_at"),
        to_expected = days(
            "l.seen_at",
            &format!(
                "CAST({} AS TIMESTAMP)",
                dialect.try_cast(
                    "CASE WHEN e.deal_id IS NULL THEN CAST(l.expected_close_date AS VARCHAR) ELSE e.old_value END",
                    TryCast::Date
                )
            )
        ),
        to_win = days("l.seen_at", "l.closed_at"),
    )
}
