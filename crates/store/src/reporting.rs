//! The canned reports' own figures, beside the metric layer's: open deals by stage at an
//! instant, a pipeline's funnel, revenue and margin by customer, the forecast's months and
//! scored deals, converted leads, lost deals by their last stage, activity windows,
//! campaigns' funnels, users' adoption. Each is read as typed rows, each row with the ids
//! of the records its figures count. How a report lays them out, and what it says about
//! them, is the reports crate's.
//!
//! A report's filters reach SQL only as bound parameters ([`ReportFilters`]).

use crate::dialect::{Dialect, TryCast};
use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize};

/// Who a revenue line's customer is: its company, else its contact, else unknown. The
/// metric layer's `customer` dimension is the same expression, so a report's customer
/// leads to the metric's records.
pub const REVENUE_CUSTOMER: &str =
    "coalesce(co.name, nullif(concat_ws(' ', rc.first_name, rc.last_name), ''), '(unknown)')";

/// The joins that give a deal `d` its owner `own`, the owner's team `tm` and its pipeline
/// `pl`, which the filters and the listed names read.
const DEAL_JOINS: &str = "LEFT JOIN users own ON own.id = d.owner_id LEFT JOIN teams tm ON tm.id = own.team_id \
                          LEFT JOIN pipelines pl ON pl.id = d.pipeline_id";
const INFINITY: &str = "CAST('infinity' AS TIMESTAMP)";

/// The live deals `d` open at an instant (bound twice), with their stage visit `h` and
/// stage `s`, and the joins of `join`.
fn open_deals_at(join: &str) -> String {
    format!(
        "FROM deal_stage_history h JOIN live_deals d ON d.id = h.deal_id JOIN stages s ON s.id = h.stage_id {join}
         WHERE h.entered_at <= ? AND coalesce(h.exited_at, {INFINITY}) > ? AND s.kind = 'open'"
    )
}

/// [`open_deals_at`] with each deal's latest score `sc` (of [`latest_scores`]), its first
/// changes after the instant `am` and `ex` (of [`changes_after`]) and the joins `filters`
/// read.
fn scored_open_deals_at(filters: &ReportFilters) -> String {
    open_deals_at(&format!(
        "{} LEFT JOIN sc_latest sc ON sc.deal_id = d.id
         LEFT JOIN later_change am ON am.deal_id = d.id AND am.field = 'amount'
         LEFT JOIN later_change ex ON ex.deal_id = d.id AND ex.field = 'expected_close_date'",
        filters.deal_joins()
    ))
}

/// `later_change`, a CTE: each deal's first change after the instant `?` of its amount and
/// expected close date, whose old value is the one it had then. A report of an instant past
/// reads its deals as they stood then, not as they were changed since (on `large`, of the
/// 98,334 deals open on 15 November 2026, 30,116 had their expected close date moved after
/// it).
fn changes_after(dialect: Dialect) -> String {
    format!(
        "later_change AS (
         SELECT c.deal_id, c.field, {} AS value_then
           FROM deal_changes c
          WHERE c.changed_at > ? AND c.field IN ('amount', 'expected_close_date')
          GROUP BY 1, 2)",
        dialect.arg_min_null("c.old_value", "c.changed_at")
    )
}

/// A deal `d`'s amount and expected close date as they stood at the instant of
/// [`changes_after`], selected as `amount` and `expected_close_date`: the old value of the
/// first change after it, else the value now (read as it is, not through text: the live
/// forecast has no change to read and 100k open deals on `large`).
fn as_they_stood(dialect: Dialect) -> String {
    format!(
        "{} AS amount,
         CASE WHEN ex.deal_id IS NULL THEN d.expected_close_date ELSE {} END AS expected_close_date",
        amount_as_it_stood(dialect),
        dialect.try_cast("ex.value_then", TryCast::Date),
    )
}

/// A deal `d`'s amount as it stood at the instant of [`changes_after`] (see
/// [`as_they_stood`]).
fn amount_as_it_stood(dialect: Dialect) -> String {
    format!(
        "CASE WHEN am.deal_id IS NULL THEN d.amount ELSE {} END",
        dialect.try_cast("am.value_then", TryCast::Double)
    )
}

/// A deal's last open stage before it was lost, for a deal `d`.
const LAST_OPEN_STAGE: &str =
    "(SELECT ls.name FROM deal_stage_history lh JOIN stages ls ON ls.id = lh.stage_id
     WHERE lh.deal_id = d.id AND ls.kind = 'open' ORDER BY lh.entered_at DESC, lh.id DESC LIMIT 1)";

/// What a report is narrowed to, each by name whatever its case; `None` is everyone's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilters {
    pub pipeline: Option<String>,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub source: Option<String>,
}

impl ReportFilters {
    /// Whether the report is narrowed at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `AND` conditions (and their parameters) for a query that joins the owner `own` and
    /// team `tm`; the pipeline and source filters apply where the query has a column for
    /// them, and are left out where it has none.
    fn conditions(&self, pipeline: Option<&str>, source: Option<&str>) -> (String, Vec<Param>) {
        let mut sql = String::new();
        let mut params = Vec::new();
        for (column, value) in [
            (pipeline, &self.pipeline),
            (Some("own.name"), &self.owner),
            (Some("tm.name"), &self.team),
            (source, &self.source),
        ] {
            if let (Some(column), Some(value)) = (column, value) {
                sql.push_str(&format!(" AND lower({column}) = lower(?)"));
                params.push(Param::Text(value.clone()));
            }
        }
        (sql, params)
    }

    /// [`Self::conditions`] for deals `d` with the joins of [`Self::deal_joins`].
    fn on_deals(&self) -> (String, Vec<Param>) {
        self.conditions(Some("pl.name"), Some("d.source"))
    }

    /// The joins [`Self::on_deals`]' conditions read: [`DEAL_JOINS`] when the report is
    /// narrowed by pipeline, owner or team, else none (joining them anyway was a third of
    /// counting the deals open at an instant on large, 72 → 48 ms).
    fn deal_joins(&self) -> &'static str {
        if self.pipeline.is_some() || self.owner.is_some() || self.team.is_some() {
            DEAL_JOINS
        } else {
            ""
        }
    }
}

/// `3,1,2` (a `string_agg` of ids) as ids in order; nothing for null. The order is set
/// here, not in the `string_agg`: the engine sorting the 410k ids of a week's activities on
/// large took 0.09 s of the 0.2 s query, sorting them here a few milliseconds.
fn id_list<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Vec<i64>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    let mut ids: Vec<i64> = text
        .iter()
        .flat_map(|t| t.split(','))
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// The deals open in one stage at an instant.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OpenStage {
    pub pipeline: String,
    pub stage: String,
    pub open_opportunities: i64,
    pub pipeline_value: f64,
    pub weighted_pipeline_value: f64,
    /// Days since they entered the stage, on average; none without deals.
    pub avg_days_in_stage: Option<f64>,
    /// Those without a completed activity in the days before the instant.
    pub stale_deals: i64,
}

/// How many deals created in a range reached a stage (or a later one).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Reached {
    pub pipeline: String,
    pub stage: String,
    pub reached: i64,
    #[serde(deserialize_with = "id_list", skip_serializing)]
    pub ids: Vec<i64>,
}

/// An open deal, as the pipeline report lists those expected to close soon.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ClosingDeal {
    pub deal: Option<String>,
    pub owner: Option<String>,
    pub pipeline: Option<String>,
    pub stage: String,
    pub amount: Option<f64>,
    pub weighted_amount: Option<f64>,
    pub expected_close_date: Option<String>,
    #[serde(skip_serializing)]
    pub id: i64,
}

/// One customer's purchases in a range.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CustomerProfit {
    pub customer: String,
    pub revenue: f64,
    pub cost: f64,
    pub margin: f64,
    pub margin_pct: Option<f64>,
    /// Deals won and orders placed.
    pub purchases: i64,
    pub first_purchase: String,
    pub last_purchase: String,
    pub lines_without_cost: i64,
}

/// Orders placed in a range: how many, and their revenue.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Orders {
    pub count: i64,
    pub amount: f64,
}

/// The deals open at an instant that are expected to close in one month.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ClosingMonth {
    /// The month's first day, `YYYY-MM-DD`.
    pub month: String,
    pub deals: i64,
    /// Of the deals with an amount: one without adds nothing.
    pub amount: f64,
    pub weighted_amount: f64,
    /// Weighted by each deal's latest win probability, else its stage's.
    pub model_weighted_amount: f64,
    #[serde(deserialize_with = "id_list", skip_serializing)]
    pub ids: Vec<i64>,
}

/// A group of [`Store::closing_months`]: a month of its range, or (an empty month) the
/// open deals expected outside it or never, with what they lack.
#[derive(Debug, Deserialize)]
struct ClosingGroup {
    #[serde(flatten)]
    month: ClosingMonth,
    #[serde(flatten)]
    gaps: OpenDealGaps,
}

/// An open deal with its stage's probability and its latest model score.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScoredDeal {
    pub deal: Option<String>,
    pub owner: Option<String>,
    pub pipeline: Option<String>,
    pub stage: String,
    pub amount: Option<f64>,
    pub probability: Option<f64>,
    pub weighted_amount: Option<f64>,
    /// The latest score by the instant; none when the deal was never scored.
    pub win_probability: Option<f64>,
    /// That score's factors, as JSON text.
    pub top_factors: Option<String>,
    pub expected_close_date: Option<String>,
    #[serde(skip_serializing)]
    pub id: i64,
}

/// How many of the deals open at an instant lack what the forecast reads of them.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct OpenDealGaps {
    /// Without an expected close date.
    pub undated: i64,
    /// Without an amount.
    pub unpriced: i64,
}

/// A month's company revenue goal.
#[derive(Debug, Clone, Deserialize)]
pub struct MonthGoal {
    /// The month's first day, `YYYY-MM-DD`.
    pub month: String,
    pub target: f64,
}

/// Leads of one source that became customers, and how long it took them.
#[derive(Debug, Clone, Deserialize)]
pub struct Converted {
    pub lead_source: Option<String>,
    pub customers: i64,
    pub days: Option<f64>,
    /// The average won deal of those customers.
    pub deal_size: Option<f64>,
}

/// Deals lost whose last open stage was one stage (none: never open).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LostAt {
    pub stage: Option<String>,
    pub deals_lost: i64,
    pub lost_revenue: Option<f64>,
    #[serde(deserialize_with = "id_list", skip_serializing)]
    pub ids: Vec<i64>,
}

/// A deal lost, as the lost-deals report lists it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LostDeal {
    pub deal: Option<String>,
    pub owner: Option<String>,
    pub stage: Option<String>,
    pub lost_reason: Option<String>,
    pub amount: Option<f64>,
    pub closed_at: Option<String>,
    #[serde(skip_serializing)]
    pub id: i64,
}

/// One owner's activities of one type around an instant: done in the week before, due in
/// the week after, overdue.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ActivityLoad {
    pub owner: Option<String>,
    pub activity_type: Option<String>,
    pub completed_last_7_days: i64,
    pub scheduled_next_7_days: i64,
    pub overdue: i64,
    /// The activities each count is made of, when asked for.
    #[serde(default, deserialize_with = "id_list", skip_serializing)]
    pub completed_ids: Vec<i64>,
    #[serde(default, deserialize_with = "id_list", skip_serializing)]
    pub scheduled_ids: Vec<i64>,
    #[serde(default, deserialize_with = "id_list", skip_serializing)]
    pub overdue_ids: Vec<i64>,
}

/// A campaign launched in a range and how its messages fared.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CampaignFunnel {
    pub campaign: String,
    pub channel: Option<String>,
    pub sent: i64,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
    pub cost: Option<f64>,
}

/// What an active user did in a range.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct UserAdoption {
    #[serde(rename(deserialize = "user_name"))]
    pub user: String,
    pub role: String,
    pub logins: i64,
    pub records_created: i64,
    pub records_updated: i64,
    pub activities_completed: i64,
    pub reports_viewed: i64,
    pub last_login: Option<String>,
}

/// An active user who has not logged in lately.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct InactiveUser {
    #[serde(rename(deserialize = "user_name"))]
    pub user: String,
    pub role: String,
    pub last_login: Option<String>,
}

/// A dimension a report is filtered by, for the names the store knows of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filtered {
    Owner,
    Team,
    Pipeline,
    LeadSource,
}

/// Each deal's latest score by an instant (bound first), as `sc_latest`.
fn latest_scores(dialect: Dialect) -> String {
    format!(
        "WITH sc_latest AS (
         SELECT deal_id, {} AS p, {} AS factors
           FROM deal_scores WHERE scored_at <= ? GROUP BY deal_id)",
        dialect.arg_max("probability", "scored_at"),
        dialect.arg_max("CAST(factors AS VARCHAR)", "scored_at"),
    )
}

fn at(t: NaiveDateTime) -> Param {
    Param::Timestamp(t)
}

fn day(d: NaiveDate) -> Param {
    Param::Text(d.to_string())
}

impl Store {
    /// The names the store knows for a filtered dimension, for a filter to be checked
    /// against.
    pub fn filter_values(&self, filtered: Filtered) -> Result<Vec<String>> {
        let sql = match filtered {
            Filtered::Owner => "SELECT DISTINCT name FROM users",
            Filtered::Team => "SELECT DISTINCT name FROM teams",
            Filtered::Pipeline => "SELECT DISTINCT name FROM pipelines",
            Filtered::LeadSource => {
                "SELECT DISTINCT source FROM deals UNION SELECT DISTINCT lead_source FROM contacts"
            }
        };
        Ok(self
            .values::<Option<String>>(sql, &[])?
            .into_iter()
            .flatten()
            .collect())
    }

    /// Each open stage of each pipeline with the deals open in it at `instant`: how many,
    /// their amounts and weighted amounts, their days in the stage, and how many had no
    /// activity completed since `active_since`.
    pub fn stages_open_at(
        &self,
        instant: NaiveDateTime,
        active_since: NaiveDateTime,
        filters: &ReportFilters,
    ) -> Result<Vec<OpenStage>> {
        let (narrowed, filter_params) = filters.on_deals();
        let joins = filters.deal_joins();
        let mut params = vec![
            at(instant),
            at(instant),
            at(active_since),
            at(instant),
            at(instant),
        ];
        params.extend(filter_params);
        self.records(
            &format!(
                "SELECT pls.name AS pipeline, s.name AS stage,
                        count(d.id) AS open_opportunities,
                        coalesce(sum(d.amount), 0) AS pipeline_value,
                        coalesce(sum(d.amount * s.probability), 0) AS weighted_pipeline_value,
                        avg((EXTRACT(EPOCH FROM CAST(? AS TIMESTAMP)) - EXTRACT(EPOCH FROM h.entered_at)) / 86400.0) AS avg_days_in_stage,
                        count(d.id) FILTER (WHERE NOT EXISTS (SELECT 1 FROM activities a WHERE a.deal_id = d.id
                            AND a.completed_at <= CAST(? AS TIMESTAMP) AND a.completed_at > CAST(? AS TIMESTAMP))) AS stale_deals
                 FROM stages s JOIN pipelines pls ON pls.id = s.pipeline_id
                 LEFT JOIN (deal_stage_history h JOIN live_deals d ON d.id = h.deal_id {joins})
                   ON h.stage_id = s.id AND h.entered_at <= CAST(? AS TIMESTAMP)
                  AND coalesce(h.exited_at, {INFINITY}) > CAST(? AS TIMESTAMP) {narrowed}
                 WHERE s.kind = 'open'
                 GROUP BY pls.id, pls.name, s.position, s.name ORDER BY pls.id, s.position"
            ),
            &params,
        )
    }

    /// For the deals created in `[from, to)`, each stage (lost ones aside) of their
    /// pipelines with the deals that reached it or a later one.
    pub fn funnel_reached(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        filters: &ReportFilters,
    ) -> Result<Vec<Reached>> {
        let (narrowed, filter_params) = filters.on_deals();
        let joins = filters.deal_joins();
        let mut params = vec![at(from), at(to)];
        params.extend(filter_params);
        self.records(
            &format!(
                "WITH reached AS (
                    SELECT d.id, d.pipeline_id, max(s.position) AS furthest
                    FROM live_deals d JOIN deal_stage_history h ON h.deal_id = d.id JOIN stages s ON s.id = h.stage_id {joins}
                    WHERE d.created_at >= ? AND d.created_at < ? AND s.kind <> 'lost' {narrowed}
                    GROUP BY d.id, d.pipeline_id)
                 SELECT pls.name AS pipeline, s.name AS stage, count(r.id) AS reached,
                        string_agg(CAST(r.id AS VARCHAR), ',') AS ids
                 FROM stages s JOIN pipelines pls ON pls.id = s.pipeline_id
                 LEFT JOIN reached r ON r.pipeline_id = s.pipeline_id AND r.furthest >= s.position
                 WHERE s.kind <> 'lost' AND pls.id IN (SELECT DISTINCT pipeline_id FROM reached)
                 GROUP BY pls.id, pls.name, s.position, s.name ORDER BY pls.id, s.position"
            ),
            &params,
        )
    }

    /// The `limit` deals open at `instant` expected to close in `[from, to)`, the largest
    /// weighted amount first, each with its amount and expected close date as they stood
    /// at the instant (a deal whose close date has moved out of the window since was
    /// expected in it then).
    ///
    /// The deals dated in the window are found in two parts, those whose close date has not
    /// changed since (by the date they have now, which the engine reads while scanning the
    /// deals) and those whose has (by their old date): reading every open deal's date as it
    /// stood first took 57–76 ms on `large` against 28–45 ms so.
    pub fn deals_closing(
        &self,
        instant: NaiveDateTime,
        (from, to): (NaiveDate, NaiveDate),
        filters: &ReportFilters,
        limit: u32,
    ) -> Result<Vec<ClosingDeal>> {
        let (narrowed, filter_params) = filters.on_deals();
        // The changes' instant, the window (twice), the open deals' instant (twice), the
        // filters, the limit.
        let mut params = vec![at(instant), day(from), day(to), day(from), day(to)];
        params.extend([at(instant), at(instant)]);
        params.extend(filter_params);
        params.push(Param::Int(limit.into()));
        let amount = amount_as_it_stood(self.dialect());
        self.records(
            &format!(
                "WITH {},
                 dated AS (
                    SELECT d.id, d.expected_close_date FROM live_deals d
                     WHERE d.expected_close_date >= CAST(? AS DATE) AND d.expected_close_date < CAST(? AS DATE)
                       AND d.id NOT IN (SELECT deal_id FROM later_change WHERE field = 'expected_close_date')
                    UNION ALL
                    SELECT deal_id, date_then FROM (
                        SELECT deal_id, {} AS date_then FROM later_change
                         WHERE field = 'expected_close_date') moved
                     WHERE date_then >= CAST(? AS DATE) AND date_then < CAST(? AS DATE)),
                 top AS (
                    SELECT d.id, s.id AS stage_id, dt.expected_close_date, {amount} AS amount,
                           {amount} * s.probability AS weighted
                    {} {narrowed}
                    ORDER BY weighted DESC NULLS LAST, d.id LIMIT ?)
                 SELECT d.name AS deal, own.name AS owner, pl.name AS pipeline, s.name AS stage, top.amount,
                        top.weighted AS weighted_amount,
                        CAST(top.expected_close_date AS VARCHAR) AS expected_close_date, d.id
                   FROM top JOIN deals d ON d.id = top.id JOIN stages s ON s.id = top.stage_id {DEAL_JOINS}
                  ORDER BY top.weighted DESC NULLS LAST, d.id",
                changes_after(self.dialect()),
                self.dialect().try_cast("value_then", TryCast::Date),
                open_deals_at(&format!(
                    "JOIN dated dt ON dt.id = d.id {}
                     LEFT JOIN later_change am ON am.deal_id = d.id AND am.field = 'amount'",
                    filters.deal_joins()
                )),
            ),
            &params,
        )
    }

    /// Revenue, cost and margin of each customer's purchases in `[from, to)`, the largest
    /// margin first. Purchases are everyone's, whatever a report is narrowed to.
    pub fn customer_profit(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<CustomerProfit>> {
        self.records(
            &format!(
                "SELECT {REVENUE_CUSTOMER} AS customer, sum(r.amount) AS revenue,
                        sum(coalesce(r.cost, 0)) AS cost, sum(r.amount - coalesce(r.cost, 0)) AS margin,
                        sum(r.amount - coalesce(r.cost, 0)) / nullif(sum(r.amount), 0) AS margin_pct,
                        count(DISTINCT r.deal_id) + count(DISTINCT r.order_id) AS purchases,
                        CAST(CAST(min(r.occurred_at) AS DATE) AS VARCHAR) AS first_purchase,
                        CAST(CAST(max(r.occurred_at) AS DATE) AS VARCHAR) AS last_purchase,
                        count(*) FILTER (WHERE r.cost IS NULL) AS lines_without_cost
                 FROM revenue_lines r LEFT JOIN companies co ON co.id = r.company_id LEFT JOIN contacts rc ON rc.id = r.contact_id
                 WHERE r.occurred_at >= ? AND r.occurred_at < ?
                 GROUP BY 1 ORDER BY 4 DESC, 1"
            ),
            &[at(from), at(to)],
        )
    }

    /// The orders placed in `[from, to)`.
    pub fn orders_placed(&self, from: NaiveDateTime, to: NaiveDateTime) -> Result<Orders> {
        Ok(self
            .records(
                "SELECT count(DISTINCT order_id) AS count, coalesce(sum(amount), 0) AS amount
                   FROM revenue_lines
                  WHERE kind = 'order' AND occurred_at >= ? AND occurred_at < ?",
                &[at(from), at(to)],
            )?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// The deals open at `instant`: those expected to close in `[from, to)` by month, and
    /// how many of them all lack what the forecast reads of them. One reading of the open
    /// deals gives both, the deals outside the range grouped under no month.
    pub fn closing_months(
        &self,
        instant: NaiveDateTime,
        (from, to): (NaiveDate, NaiveDate),
        filters: &ReportFilters,
    ) -> Result<(Vec<ClosingMonth>, OpenDealGaps)> {
        let (narrowed, filter_params) = filters.on_deals();
        // The scores' and the changes' instant, the months' bounds, the open deals' instant
        // (twice), in the order the statement reads them.
        let mut params = vec![
            at(instant),
            at(instant),
            day(from),
            day(to),
            at(instant),
            at(instant),
        ];
        params.extend(filter_params);
        let groups: Vec<ClosingGroup> = self.records(
            &format!(
                "{}, {}
                 SELECT month, count(*) AS deals, coalesce(sum(amount), 0) AS amount,
                        coalesce(sum(amount * probability), 0) AS weighted_amount,
                        coalesce(sum(amount * coalesce(p, probability)), 0) AS model_weighted_amount,
                        string_agg(CAST(id AS VARCHAR), ',') FILTER (WHERE month <> '') AS ids,
                        count(*) FILTER (WHERE expected_close_date IS NULL) AS undated,
                        count(*) FILTER (WHERE amount IS NULL) AS unpriced
                 FROM (SELECT coalesce(CASE WHEN expected_close_date >= CAST(? AS DATE)
                                             AND expected_close_date < CAST(? AS DATE)
                            THEN CAST(CAST(date_trunc('month', expected_close_date) AS DATE) AS VARCHAR) END, '') AS month,
                              id, amount, expected_close_date, probability, p
                         FROM (SELECT d.id, {}, s.probability, sc.p
                               {} {narrowed}) stood) od
                 GROUP BY month ORDER BY month",
                latest_scores(self.dialect()),
                changes_after(self.dialect()),
                as_they_stood(self.dialect()),
                scored_open_deals_at(filters),
            ),
            &params,
        )?;
        let mut gaps = OpenDealGaps::default();
        let mut months = Vec::with_capacity(groups.len());
        for group in groups {
            gaps.undated += group.gaps.undated;
            gaps.unpriced += group.gaps.unpriced;
            if !group.month.month.is_empty() {
                months.push(group.month);
            }
        }
        Ok((months, gaps))
    }

    /// The `limit` deals open at `instant` with the largest amount weighted by their latest
    /// score (else their stage's probability).
    pub fn scored_open_deals(
        &self,
        instant: NaiveDateTime,
        filters: &ReportFilters,
        limit: u32,
    ) -> Result<Vec<ScoredDeal>> {
        let (narrowed, filter_params) = filters.on_deals();
        let mut params = vec![at(instant), at(instant), at(instant), at(instant)];
        params.extend(filter_params);
        params.push(Param::Int(limit.into()));
        // The deals are ranked on ids and numbers alone and named after the cut: naming
        // every open deal before it took 0.13 s on large, ranking first 0.075 s.
        self.records(
            &format!(
                "{}, {},
                 stood AS (
                    SELECT d.id, s.id AS stage_id, {}, coalesce(sc.p, s.probability) AS p
                    {} {narrowed}),
                 top AS (
                    SELECT *, amount * p AS ranked FROM stood
                    ORDER BY ranked DESC, id LIMIT ?)
                 SELECT d.name AS deal, own.name AS owner, pl.name AS pipeline, s.name AS stage, top.amount,
                        s.probability, top.amount * s.probability AS weighted_amount,
                        sc.p AS win_probability, sc.factors AS top_factors,
                        CAST(top.expected_close_date AS VARCHAR) AS expected_close_date, d.id
                   FROM top JOIN deals d ON d.id = top.id JOIN stages s ON s.id = top.stage_id
                   {DEAL_JOINS} LEFT JOIN sc_latest sc ON sc.deal_id = d.id
                  ORDER BY top.ranked DESC, d.id",
                latest_scores(self.dialect()),
                changes_after(self.dialect()),
                as_they_stood(self.dialect()),
                scored_open_deals_at(filters),
            ),
            &params,
        )
    }

    /// The revenue of orders (revenue lines not from a deal) in each window `[from, to)`, in
    /// the windows' order: what comes in besides the deals a forecast simulates.
    pub fn order_revenue_in(&self, windows: &[(NaiveDateTime, NaiveDateTime)]) -> Result<Vec<f64>> {
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let values =
            vec!["(CAST(? AS BIGINT), CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP))"; windows.len()];
        let params: Vec<Param> = windows
            .iter()
            .enumerate()
            .flat_map(|(i, &(from, to))| [Param::Int(i as i64), at(from), at(to)])
            .collect();
        let sums = self.number_rows::<2>(
            &format!(
                "SELECT w.i, sum(r.amount) FROM (VALUES {}) AS w(i, lo, hi)
                   LEFT JOIN revenue_lines r
                     ON r.kind = 'order' AND r.occurred_at >= w.lo AND r.occurred_at < w.hi
                  GROUP BY w.i ORDER BY w.i",
                values.join(", ")
            ),
            &params,
        )?;
        Ok(sums
            .into_iter()
            .map(|[_, sum]| sum.unwrap_or(0.0))
            .collect())
    }

    /// The company's monthly revenue goals to reach (at least), summed by month.
    pub fn monthly_revenue_goals(&self) -> Result<Vec<MonthGoal>> {
        self.records(
            "SELECT CAST(period_start AS VARCHAR) AS month, sum(target) AS target FROM goals
              WHERE metric = 'revenue' AND scope = 'company' AND direction = 'at_least'
                AND period_end = period_start + INTERVAL '1 month'
              GROUP BY 1 ORDER BY 1",
            &[],
        )
    }

    /// Per lead source, the live contacts who became leads in `[from, to)` and customers by
    /// `to`: how many, their days from lead to customer, and their won deals' average size
    /// (deals closed by `to`). The pipeline filter does not apply to contacts.
    pub fn converted_leads(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        filters: &ReportFilters,
    ) -> Result<Vec<Converted>> {
        let (narrowed, filter_params) = filters.conditions(None, Some("c.lead_source"));
        let mut params = vec![at(from), at(to), at(to)];
        params.extend(filter_params);
        params.push(at(to));
        self.records(
            &format!(
                "WITH leads AS (
                    SELECT c.id, c.lead_source, c.lead_at, c.customer_at
                    FROM live_contacts c LEFT JOIN users own ON own.id = c.owner_id LEFT JOIN teams tm ON tm.id = own.team_id
                    WHERE c.lead_at >= ? AND c.lead_at < ? AND c.customer_at IS NOT NULL AND c.customer_at <= ? {narrowed}),
                 speed AS (
                    SELECT lead_source, count(*) AS customers,
                           avg((EXTRACT(EPOCH FROM customer_at) - EXTRACT(EPOCH FROM lead_at)) / 86400.0) AS days
                    FROM leads GROUP BY 1),
                 size AS (
                    SELECT l.lead_source, avg(d.amount) AS deal_size FROM leads l JOIN live_deals d ON d.contact_id = l.id
                    WHERE d.status = 'won' AND d.closed_at <= ? GROUP BY 1)
                 SELECT speed.lead_source, speed.customers, speed.days, size.deal_size
                 FROM speed LEFT JOIN size ON size.lead_source IS NOT DISTINCT FROM speed.lead_source
                 ORDER BY 1"
            ),
            &params,
        )
    }

    /// Deals lost in `[from, to)` by the last open stage they were in.
    pub fn lost_by_last_stage(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        filters: &ReportFilters,
    ) -> Result<Vec<LostAt>> {
        let (narrowed, filter_params) = filters.on_deals();
        let joins = filters.deal_joins();
        let mut params = vec![at(from), at(to)];
        params.extend(filter_params);
        self.records(
            &format!(
                "SELECT {LAST_OPEN_STAGE} AS stage, count(*) AS deals_lost, sum(d.amount) AS lost_revenue,
                        string_agg(CAST(d.id AS VARCHAR), ',') AS ids
                 FROM live_deals d {joins}
                 WHERE d.status = 'lost' AND d.closed_at >= ? AND d.closed_at < ? {narrowed}
                 GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            &params,
        )
    }

    /// The `limit` largest deals lost in `[from, to)`.
    pub fn lost_deals(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        filters: &ReportFilters,
        limit: u32,
    ) -> Result<Vec<LostDeal>> {
        let (narrowed, filter_params) = filters.on_deals();
        let mut params = vec![at(from), at(to)];
        params.extend(filter_params);
        params.push(Param::Int(limit.into()));
        self.records(
            &format!(
                "SELECT d.name AS deal, own.name AS owner, {LAST_OPEN_STAGE} AS stage, d.lost_reason, d.amount,
                        CAST(d.closed_at AS VARCHAR) AS closed_at, d.id
                 FROM live_deals d {DEAL_JOINS}
                 WHERE d.status = 'lost' AND d.closed_at >= ? AND d.closed_at < ? {narrowed}
                 ORDER BY d.amount DESC NULLS LAST, d.id LIMIT ?"
            ),
            &params,
        )
    }

    /// Per owner and activity type, the activities completed in the week before `instant`,
    /// due in the week after it, and overdue at it; none for an owner and type with nothing
    /// in any of them. Only the owner and team filters apply. `with_ids`: each count's
    /// activities too (on `large`, 364k ids that took a quarter of the statement's time).
    ///
    /// Due and overdue are read as they stood at the instant, as the forecast reads a deal's
    /// scheduled activities: logged by then and not completed by then. A past instant counts
    /// the task completed since, and leaves out the one logged since.
    pub fn activity_load(
        &self,
        instant: NaiveDateTime,
        filters: &ReportFilters,
        with_ids: bool,
    ) -> Result<Vec<ActivityLoad>> {
        let week = chrono::Duration::days(7);
        let (narrowed, filter_params) = filters.conditions(None, None);
        // A condition and the bounds it reads, in order.
        let pending = |due: &str, bounds: Vec<Param>| -> (String, Vec<Param>) {
            (
                format!(
                    "a.created_at <= ? AND (a.completed_at IS NULL OR a.completed_at >= ?) AND {due}"
                ),
                [vec![at(instant), at(instant)], bounds].concat(),
            )
        };
        let completed = (
            "a.completed_at >= ? AND a.completed_at < ?".to_owned(),
            vec![at(instant - week), at(instant)],
        );
        let scheduled = pending(
            "a.due_at >= ? AND a.due_at < ?",
            vec![at(instant), at(instant + week)],
        );
        let overdue = pending("a.due_at < ?", vec![at(instant)]);
        let windows = [
            (&completed, "completed_last_7_days", "completed_ids"),
            (&scheduled, "scheduled_next_7_days", "scheduled_ids"),
            (&overdue, "overdue", "overdue_ids"),
        ];
        let mut selected: Vec<(String, &[Param])> = windows
            .iter()
            .map(|((condition, bounds), count, _)| {
                (
                    format!("count(*) FILTER (WHERE {condition}) AS {count}"),
                    &bounds[..],
                )
            })
            .collect();
        if with_ids {
            selected.extend(windows.iter().map(|((condition, bounds), _, ids)| {
                (
                    format!(
                        "string_agg(CAST(a.id AS VARCHAR), ',') FILTER (WHERE {condition}) AS {ids}"
                    ),
                    &bounds[..],
                )
            }));
        }
        // Only the activities some window counts are grouped (a few thousand of millions).
        // None was completed before the week: said first, that cheap test keeps the
        // statement as fast as when pending meant never completed (on large 101 ms,
        // against 127 ms without it and 104 ms before).
        let counted = pending("a.due_at < ?", vec![at(instant + week)]);
        let columns: Vec<&str> = selected.iter().map(|(column, _)| column.as_str()).collect();
        let mut params: Vec<Param> = selected
            .iter()
            .flat_map(|(_, b)| b.iter().cloned())
            .collect();
        params.push(at(instant - week));
        params.extend(completed.1.iter().cloned());
        params.extend(counted.1);
        params.extend(filter_params);
        self.records(
            &format!(
                "SELECT own.name AS owner, a.type AS activity_type,
                        {}
                 FROM activities a LEFT JOIN users own ON own.id = a.owner_id LEFT JOIN teams tm ON tm.id = own.team_id
                 WHERE (a.completed_at IS NULL OR a.completed_at >= ?) AND (({}) OR ({})) {narrowed}
                 GROUP BY 1, 2 ORDER BY 1, 2",
                columns.join(",\n                        "),
                completed.0,
                counted.0,
            ),
            &params,
        )
    }

    /// The campaigns launched in `[from, to)` with their messages sent, delivered, opened
    /// and clicked, in launch order.
    pub fn campaign_funnels(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<CampaignFunnel>> {
        self.records(
            "SELECT cm.name AS campaign, cm.channel,
                    count(*) FILTER (WHERE ce.event = 'sent') AS sent,
                    count(*) FILTER (WHERE ce.event = 'delivered') AS delivered,
                    count(*) FILTER (WHERE ce.event = 'opened') AS opened,
                    count(*) FILTER (WHERE ce.event = 'clicked') AS clicked, cm.cost
             FROM campaigns cm LEFT JOIN campaign_events ce ON ce.campaign_id = cm.id
             WHERE cm.launched_at >= ? AND cm.launched_at < ?
             GROUP BY cm.id, cm.name, cm.channel, cm.cost ORDER BY min(cm.launched_at), cm.name",
            &[at(from), at(to)],
        )
    }

    /// Each active user's logins, records created and updated, activities completed and
    /// reports viewed in `[from, to)`, by name.
    pub fn user_adoption(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<Vec<UserAdoption>> {
        let events = |event: &str, alias: &str| {
            format!(
                "(SELECT count(*) FROM user_events e WHERE e.user_id = own.id AND e.event = '{event}'
                    AND e.occurred_at >= ? AND e.occurred_at < ?) AS {alias}"
            )
        };
        let params: Vec<Param> = (0..5).flat_map(|_| [at(from), at(to)]).collect();
        self.records(
            &format!(
                "SELECT own.name AS user_name, own.role, {}, {}, {},
                        (SELECT count(*) FROM activities a WHERE a.owner_id = own.id
                            AND a.completed_at >= ? AND a.completed_at < ?) AS activities_completed,
                        {}, CAST(own.last_login_at AS VARCHAR) AS last_login
                 FROM users own WHERE own.active ORDER BY own.name",
                events("login", "logins"),
                events("record_created", "records_created"),
                events("record_updated", "records_updated"),
                events("report_viewed", "reports_viewed"),
            ),
            &params,
        )
    }

    /// Active users who may change records, had an account at `instant` and had not logged
    /// in since `since` by then, those who never had first. A user's last login then is
    /// the latest of their logins logged by then and their `last_login_at` if it is not
    /// later: at an instant past, a login since does not hide who was away then.
    pub fn inactive_users(
        &self,
        instant: NaiveDateTime,
        since: NaiveDateTime,
    ) -> Result<Vec<InactiveUser>> {
        self.records(
            "WITH logged AS (
                SELECT user_id, max(occurred_at) AS last FROM user_events
                 WHERE event = 'login' AND occurred_at <= ? GROUP BY 1),
             last_seen AS (
                SELECT own.name AS user_name, own.role,
                       greatest(logged.last, CASE WHEN own.last_login_at <= ? THEN own.last_login_at END) AS last
                  FROM users own LEFT JOIN logged ON logged.user_id = own.id
                 WHERE own.active AND own.role <> 'viewer' AND own.created_at <= ?)
             SELECT user_name, role, CAST(last AS VARCHAR) AS last_login FROM last_seen
              WHERE last IS NULL OR last < ?
              ORDER BY last NULLS FIRST, user_name",
            &[at(instant), at(instant), at(instant), at(since)],
        )
    }
}

#[cfg(test)]
mod tests {
    /// The order of a `string_agg` is the engine's; the ids come back in order whatever it is.
    #[test]
    fn an_id_list_reads_back_in_order() {
        #[derive(serde::Deserialize)]
        struct Linked {
            #[serde(deserialize_with = "super::id_list")]
            ids: Vec<i64>,
        }
        let read = |json: &str| serde_json::from_str::<Linked>(json).unwrap().ids;
        assert_eq!(read(r#"{"ids": "30,4,12"}"#), [4, 12, 30]);
        assert_eq!(read(r#"{"ids": null}"#), Vec::<i64>::new());
    }
}
