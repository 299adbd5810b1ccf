//! Alert rules on any metric of the catalogue: a threshold on its value over the last
//! complete period (`close_rate < 0.25`), or on its change against the period before
//! (`revenue change_pct < -0.2`), over the records the rule's filters select; or on the
//! records crossing a condition: `stale_deals(30) > 0` counts the open deals whose stage
//! has not changed for 30 days, and names them, `probability_drops(20) > 0` the open deals
//! whose win probability fell 20 points, `sla_breaches > 0` the tickets open past their SLA;
//! on goals at risk (`goals_at_risk > 0`, each goal newly at risk firing on its own); on
//! data-quality drops (`quality_drop >= 5`); or on the revenue of the period falling outside
//! the forecast's P10–P90 range made at its start (`forecast_band > 0`).
//!
//! A metric rule may be judged for each value of a dimension (`--by owner`): it holds when
//! some owner crosses the threshold, names them, and fires again when another one does.
//!
//! A rule fires once when its condition starts to hold, stays quiet while it holds, and may
//! fire again only after the condition has cleared and the cool-down has passed since it
//! last fired.

use crate::MonitorError;
use crate::cadence::{Cadence, Period};
use crate::schedule::{check_name, check_targets};
use chrono::{Duration, NaiveDateTime};
use embudo_access::scope::Over;
use embudo_forecast::backtest::Band;
use embudo_metrics::{Bound, Calendar, Compare, Dim, Query};
use embudo_reports::scope::metric_over;
use embudo_store::Store;
use embudo_store::monitor::{Judged, NewAlertRule};
use embudo_store::watched::Within;
pub use embudo_store::watched::{OverdueTicket, ProbabilityDrop, QualityDrop, StaleDeal};
use serde::Serialize;
use std::collections::BTreeMap;

/// What of the metric the condition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The value over the period.
    Value,
    /// The relative change against the period before (−0.2 is a fall of 20%).
    ChangePct,
    /// The relative change against the same period a year before.
    ChangePctYear,
}

impl Measure {
    /// As written after the metric in a condition (and stored).
    fn as_str(self) -> &'static str {
        match self {
            Measure::Value => "value",
            Measure::ChangePct => "change_pct",
            Measure::ChangePctYear => "change_pct_yoy",
        }
    }

    /// The comparison the measure needs.
    fn compare(self) -> Option<Compare> {
        match self {
            Measure::Value => None,
            Measure::ChangePct => Some(Compare::PreviousPeriod),
            Measure::ChangePctYear => Some(Compare::PreviousYear),
        }
    }

    /// The measure of a metric's result row.
    fn of(self, row: &embudo_metrics::ResultRow) -> Option<f64> {
        match self {
            Measure::Value => row.value,
            Measure::ChangePct | Measure::ChangePctYear => row.change_pct,
        }
    }
}

/// How the measure is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = ">")]
    Above,
    #[serde(rename = ">=")]
    AtLeast,
}

impl Op {
    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Below => value < threshold,
            Op::AtMost => value <= threshold,
            Op::Above => value > threshold,
            Op::AtLeast => value >= threshold,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Below => "<",
            Op::AtMost => "<=",
            Op::Above => ">",
            Op::AtLeast => ">=",
        }
    }
}

/// The condition of a rule, as written after `--when`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub metric: String,
    pub measure: Measure,
    pub op: Op,
    pub threshold: f64,
}

impl std::str::FromStr for Condition {
    type Err = MonitorError;

    /// `close_rate < 0.25`, `revenue change_pct <= -0.2`.
    fn from_str(text: &str) -> Result<Condition, MonitorError> {
        let invalid = || {
            MonitorError::Invalid(format!(
                "--when '{text}': write METRIC [change_pct|change_pct_yoy] <|<=|>|>= NUMBER, e.g. 'close_rate < 0.25', 'revenue change_pct < -0.2' or 'revenue change_pct_yoy < 0'"
            ))
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let (metric, measure, op, number) = match words.as_slice() {
            [metric, op, number] => (*metric, Measure::Value, *op, *number),
            [metric, "change_pct", op, number] => (*metric, Measure::ChangePct, *op, *number),
            [metric, "change_pct_yoy", op, number] => {
                (*metric, Measure::ChangePctYear, *op, *number)
            }
            _ => return Err(invalid()),
        };
        let op = match op {
            "<" => Op::Below,
            "<=" => Op::AtMost,
            ">" => Op::Above,
            ">=" => Op::AtLeast,
            _ => return Err(invalid()),
        };
        let threshold = number.parse::<f64>().map_err(|_| invalid())?;
        let condition = Condition {
            metric: metric.to_owned(),
            measure,
            op,
            threshold,
        };
        match condition.subject() {
            Subject::Metric => {}
            Subject::StaleDeals(days) | Subject::ProbabilityDrops(days)
                if days >= 1 && measure == Measure::Value =>
            {
                return Ok(condition);
            }
            Subject::GoalsAtRisk
            | Subject::QualityDrop
            | Subject::SlaBreaches
            | Subject::ForecastBand
                if measure == Measure::Value =>
            {
                return Ok(condition);
            }
            _ => {
                return Err(MonitorError::Invalid(format!(
                    "--when '{text}': write stale_deals(DAYS) > N, probability_drops(POINTS) > N, sla_breaches > N, goals_at_risk > 0, quality_drop >= POINTS or forecast_band > AMOUNT"
                )));
            }
        }
        embudo_metrics::plan::metric(metric)?;
        Ok(Condition {
            metric: metric.to_owned(),
            measure,
            op,
            threshold,
        })
    }
}

/// What a condition is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A metric of the catalogue.
    Metric,
    /// Open deals whose stage has not changed for this many days.
    StaleDeals(i64),
    /// Goals at risk or behind at the tick, with the driver metrics that moved against them.
    GoalsAtRisk,
    /// Points the data-quality score lost between the last two audits.
    QualityDrop,
    /// Tickets still open past their SLA due time.
    SlaBreaches,
    /// Open deals whose win probability fell by at least this many points between their
    /// last two scorings.
    ProbabilityDrops(i64),
    /// How far the period's revenue from the deals open at its start fell outside the
    /// P10–P90 range the forecast gave for it then (0 inside it).
    ForecastBand,
}

impl Condition {
    pub fn subject(&self) -> Subject {
        let argument = |rest: &str| {
            rest.strip_prefix('(')
                .and_then(|d| d.strip_suffix(')'))
                .and_then(|d| d.parse().ok())
                .unwrap_or(0)
        };
        if let Some(rest) = self.metric.strip_prefix("stale_deals") {
            return Subject::StaleDeals(argument(rest));
        }
        if let Some(rest) = self.metric.strip_prefix("probability_drops") {
            return Subject::ProbabilityDrops(argument(rest));
        }
        match self.metric.as_str() {
            "goals_at_risk" => Subject::GoalsAtRisk,
            "quality_drop" => Subject::QualityDrop,
            "sla_breaches" => Subject::SlaBreaches,
            "forecast_band" => Subject::ForecastBand,
            _ => Subject::Metric,
        }
    }

    /// The days of a `stale_deals(DAYS)` condition.
    pub fn stale_days(&self) -> Option<i64> {
        match self.subject() {
            Subject::StaleDeals(days) => Some(days),
            _ => None,
        }
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let measure = match self.measure {
            Measure::Value => String::new(),
            other => format!(" {}", other.as_str()),
        };
        write!(
            f,
            "{}{measure} {} {}",
            self.metric,
            self.op.as_str(),
            self.threshold
        )
    }
}

/// An alert rule and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub name: String,
    pub condition: Condition,
    /// Dimension filters: `team=East`, `owner=Ana Ruiz`, `pipeline=Sales`…
    pub filters: BTreeMap<String, String>,
    /// For a metric rule: judge each value of this dimension on its own.
    pub by: Option<Dim>,
    pub cadence: Cadence,
    pub recipients: Vec<String>,
    pub webhook: Option<String>,
    pub cooldown: Duration,
    pub created_at: NaiveDateTime,
    /// The condition held when last judged, and the rule said so.
    pub firing: bool,
    pub last_fired_at: Option<NaiveDateTime>,
    /// The last period judged.
    pub last_period: Option<String>,
    /// What the rule was firing on when last judged: the goals at risk, or the members
    /// crossing the threshold (`by`).
    pub firing_on: Vec<String>,
}

/// What judging a rule over a period found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    pub period: Period,
    /// The measure (value or change) over the period; `None` when there is nothing to
    /// measure (no activity, or nothing before to compare with).
    pub measure: Option<f64>,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub holds: bool,
    /// The records behind the figure, for conditions on records (`stale_deals`).
    pub records: Vec<StaleDeal>,
    /// The goals behind `goals_at_risk`.
    pub goals: Vec<GoalAtRisk>,
    /// What lost points, for `quality_drop`.
    pub quality: Vec<QualityDrop>,
    /// The tickets behind `sla_breaches`.
    pub tickets: Vec<OverdueTicket>,
    /// The deals behind `probability_drops`.
    pub drops: Vec<ProbabilityDrop>,
    /// The forecast's range and the actual, for `forecast_band`.
    pub band: Option<Band>,
    /// For a rule judged `by` a dimension: the members crossing the threshold.
    pub members: Vec<Member>,
}

impl Judgement {
    /// What the judgement holds on, by name: goals at risk, or members crossing.
    pub fn keys(&self) -> Vec<String> {
        self.goals
            .iter()
            .map(|g| g.goal.clone())
            .chain(self.members.iter().map(|m| m.name.clone()))
            .collect()
    }
}

/// A value of a rule's `by` dimension whose figure crossed the threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    /// The dimension's value (`(none)` for records without one).
    pub name: String,
    pub measure: f64,
    pub value: Option<f64>,
    pub previous: Option<f64>,
}

/// The filters an `sla_breaches` rule may take.
const SLA_FILTERS: [&str; 2] = ["agent", "team"];

/// A goal at risk or behind, and the driver metrics that moved against it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalAtRisk {
    pub goal: String,
    pub metric: String,
    pub status: String,
    pub attainment: Option<f64>,
    pub expected_attainment: Option<f64>,
    /// Driver metric and its change against the period before.
    pub drivers: Vec<(String, Option<f64>)>,
}

/// The filters a `stale_deals` rule may take.
const STALE_FILTERS: [&str; 3] = ["owner", "team", "pipeline"];

impl Rule {
    /// Check and store a new rule; `calendar` judges it once, so that a rule that cannot
    /// be computed is refused now rather than failing silently later.
    pub fn add(
        &self,
        store: &Store,
        calendar: &Calendar,
        now: NaiveDateTime,
    ) -> Result<(), MonitorError> {
        check_name(&self.name)?;
        let subject = self.condition.subject();
        let allowed: &[&str] = match subject {
            Subject::Metric => &[],
            Subject::StaleDeals(_) | Subject::ProbabilityDrops(_) => &STALE_FILTERS,
            Subject::SlaBreaches => &SLA_FILTERS,
            Subject::GoalsAtRisk | Subject::QualityDrop | Subject::ForecastBand => &[],
        };
        if let Some(key) = self
            .filters
            .keys()
            .find(|k| subject != Subject::Metric && !allowed.contains(&k.as_str()))
        {
            return Err(MonitorError::Invalid(format!(
                "filter '{key}': {} takes {}",
                self.condition.metric,
                if allowed.is_empty() {
                    "no filters".to_owned()
                } else {
                    allowed.join(", ")
                }
            )));
        }
        if self.by.is_some() && subject != Subject::Metric {
            return Err(MonitorError::Invalid(format!(
                "--by: {} is not a metric of the catalogue; only metric rules are judged per dimension value",
                self.condition.metric
            )));
        }
        let metric = (subject == Subject::Metric)
            .then(|| embudo_metrics::plan::metric(&self.condition.metric))
            .transpose()?;
        if let (Some(metric), Some(by)) = (metric, self.by)
            && !metric.dimensions().contains(&by)
        {
            return Err(MonitorError::Invalid(format!(
                "--by {}: {} splits by {}",
                by.name(),
                metric.name,
                metric
                    .dimensions()
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        check_targets(store, &self.recipients, self.webhook.as_deref(), |caller| {
            let own = |dim: &str| self.filters.get(dim).map(|v| v.to_lowercase());
            // Stale deals are the pipeline report's records, goals the goals report's; the
            // audit reads every record, so its score is for admins.
            let over = match (metric, subject) {
                (Some(metric), _) => metric_over(caller, metric),
                (None, Subject::StaleDeals(_) | Subject::ProbabilityDrops(_)) => {
                    caller.report("pipeline")
                }
                (None, Subject::GoalsAtRisk) => caller.report("goals"),
                (None, Subject::SlaBreaches) => caller.report("service"),
                (None, Subject::ForecastBand) => caller.report("forecast"),
                (None, _) if caller.is_admin() => Over::All,
                (None, _) => Over::Denied,
            };
            match over {
                Over::All => Ok(()),
                Over::Denied => Err(format!(
                    "a {} cannot see {}",
                    caller.role.as_str(),
                    self.condition.metric
                )),
                Over::Owner(name) if own("owner") == Some(name.to_lowercase()) => Ok(()),
                Over::Team(name) if own("team") == Some(name.to_lowercase()) => Ok(()),
                Over::Owner(name) => Err(format!(
                    "a rep sees only their own records: add --filter owner={name}"
                )),
                Over::Team(name) => Err(format!(
                    "a manager sees only their team: add --filter team={name}"
                )),
            }
        })?;
        let tick = self.cadence.latest_tick(calendar.to_local(now));
        self.judge(store, calendar, self.cadence.period(tick))?;
        if get(store, &self.name)?.is_some() {
            return Err(MonitorError::Invalid(format!(
                "an alert named '{}' exists: remove it first (`embudo alert rm {}`)",
                self.name, self.name
            )));
        }
        store.insert_alert_rule(&NewAlertRule {
            name: &self.name,
            metric: &self.condition.metric,
            measure: self.condition.measure.as_str(),
            op: self.condition.op.as_str(),
            threshold: self.condition.threshold,
            filters: &serde_json::to_string(&self.filters).expect("a map of strings"),
            cadence: self.cadence.stored(),
            recipients: &serde_json::to_string(&self.recipients).expect("strings"),
            webhook: self.webhook.as_deref(),
            cooldown_hours: self.cooldown.num_hours(),
            created_at: self.created_at,
            by_dim: self.by.map(|d| d.name()),
        })?;
        Ok(())
    }

    /// The rule's measure over `period` and whether the condition holds.
    pub fn judge(
        &self,
        store: &Store,
        calendar: &Calendar,
        period: Period,
    ) -> Result<Judgement, MonitorError> {
        let at = calendar.to_utc(period.to.and_hms_opt(0, 0, 0).expect("midnight exists"));
        let counted = |value: f64, previous: Option<f64>| Judgement {
            period,
            measure: Some(value),
            value: Some(value),
            previous,
            holds: self.condition.op.holds(value, self.condition.threshold),
            records: Vec::new(),
            goals: Vec::new(),
            quality: Vec::new(),
            tickets: Vec::new(),
            drops: Vec::new(),
            band: None,
            members: Vec::new(),
        };
        match self.condition.subject() {
            Subject::Metric => {}
            Subject::StaleDeals(days) => {
                let records = store.stale_deals(within(&self.filters), at, days)?;
                let judged = counted(records.len() as f64, None);
                return Ok(Judgement { records, ..judged });
            }
            Subject::GoalsAtRisk => {
                let goals = goals_at_risk(store, calendar, period, at)?;
                let judged = counted(goals.len() as f64, None);
                return Ok(Judgement { goals, ..judged });
            }
            Subject::QualityDrop => {
                let (drop, quality) = quality_drop(store)?;
                let judged = counted(drop, None);
                return Ok(Judgement { quality, ..judged });
            }
            Subject::SlaBreaches => {
                let tickets = store.overdue_tickets(within(&self.filters), at)?;
                let judged = counted(tickets.len() as f64, None);
                return Ok(Judgement { tickets, ..judged });
            }
            Subject::ProbabilityDrops(points) => {
                let drops = store.probability_drops(within(&self.filters), at, points)?;
                let judged = counted(drops.len() as f64, None);
                return Ok(Judgement { drops, ..judged });
            }
            Subject::ForecastBand => {
                let from = calendar.to_utc(period.from.and_hms_opt(0, 0, 0).expect("midnight"));
                let band = embudo_forecast::backtest::band(store, from, at)
                    .map_err(|e| MonitorError::Invalid(format!("forecasting the period: {e}")))?;
                let judged = counted(band.outside(), None);
                return Ok(Judgement {
                    value: Some(band.actual),
                    band: Some(band),
                    ..judged
                });
            }
        }
        let filters = self
            .filters
            .iter()
            .map(|(dim, value)| Ok((dim.parse::<Dim>()?, value.clone())))
            .collect::<Result<Vec<_>, MonitorError>>()?;
        let query = Query {
            metric: self.condition.metric.clone(),
            from: Bound::Day(period.from),
            to: Bound::Day(period.to),
            grain: None,
            by: self.by.into_iter().collect(),
            filters,
            compare: self.condition.measure.compare(),
        };
        let result = embudo_metrics::run(store, calendar, &query, "en")?;
        if self.by.is_some() {
            return Ok(self.per_member(period, &result.rows));
        }
        let [row] = result.rows.as_slice() else {
            return Err(MonitorError::Invalid(format!(
                "{} gives {} values over a period, split by {}; an alert needs one: add a --filter",
                self.condition.metric,
                result.rows.len(),
                result
                    .by
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let measure = self.condition.measure.of(row);
        Ok(Judgement {
            period,
            measure,
            value: row.value,
            previous: row.previous,
            holds: measure.is_some_and(|m| self.condition.op.holds(m, self.condition.threshold)),
            records: Vec::new(),
            goals: Vec::new(),
            quality: Vec::new(),
            tickets: Vec::new(),
            drops: Vec::new(),
            band: None,
            members: Vec::new(),
        })
    }

    /// A rule judged per dimension value: the members whose measure crosses the threshold,
    /// the furthest first; it holds when there is one.
    fn per_member(&self, period: Period, rows: &[embudo_metrics::ResultRow]) -> Judgement {
        let mut members: Vec<Member> = rows
            .iter()
            .filter_map(|row| {
                let measure = self.condition.measure.of(row)?;
                self.condition
                    .op
                    .holds(measure, self.condition.threshold)
                    .then(|| Member {
                        name: row
                            .dims
                            .first()
                            .cloned()
                            .flatten()
                            .unwrap_or_else(|| "(none)".to_owned()),
                        measure,
                        value: row.value,
                        previous: row.previous,
                    })
            })
            .collect();
        members.sort_by(|a, b| {
            let distance = |m: &Member| (m.measure - self.condition.threshold).abs();
            distance(b)
                .total_cmp(&distance(a))
                .then(a.name.cmp(&b.name))
        });
        Judgement {
            period,
            measure: Some(members.len() as f64),
            value: None,
            previous: None,
            holds: !members.is_empty(),
            records: Vec::new(),
            goals: Vec::new(),
            quality: Vec::new(),
            tickets: Vec::new(),
            drops: Vec::new(),
            band: None,
            members,
        }
    }

    /// The condition as people read it, with the dimension it is judged for each value of.
    pub fn when(&self) -> String {
        match self.by {
            Some(by) => format!("{} for each {}", self.condition, by.name()),
            None => self.condition.to_string(),
        }
    }

    /// Whether a judgement that holds at `now` is to be sent: not while already firing,
    /// and not within the cool-down of the last time it fired. A goal newly at risk is a
    /// condition of its own: it is sent although other goals are still at risk.
    pub fn should_fire(&self, judgement: &Judgement, now: NaiveDateTime) -> bool {
        let cooled = self
            .last_fired_at
            .is_none_or(|last| now - last >= self.cooldown);
        let per_key = self.condition.subject() == Subject::GoalsAtRisk || self.by.is_some();
        if per_key && self.firing {
            return judgement
                .keys()
                .iter()
                .any(|key| !self.firing_on.contains(key));
        }
        !self.firing && cooled
    }
}

/// A rule's filters as the watched records' reads take them.
pub fn within(filters: &BTreeMap<String, String>) -> Within<'_> {
    let name = |key: &str| filters.get(key).map(String::as_str);
    Within {
        owner: name("owner"),
        team: name("team"),
        pipeline: name("pipeline"),
        agent: name("agent"),
    }
}

/// The goals at risk or behind at `at`, as the goals report over `period` sees them, each
/// with the driver metrics that moved against it.
fn goals_at_risk(
    store: &Store,
    calendar: &Calendar,
    period: Period,
    at: NaiveDateTime,
) -> Result<Vec<GoalAtRisk>, MonitorError> {
    let ctx = embudo_reports::Context {
        store,
        calendar: *calendar,
        params: embudo_reports::Params {
            from: Some(Bound::Day(period.from)),
            to: Some(Bound::Day(period.to)),
            at: Some(at),
            lang: "en".into(),
            ..Default::default()
        },
        now: at,
    };
    let report = embudo_reports::build(&ctx, "goals")?;
    let section = |name: &str| report.sections.iter().find(|s| s.name == name);
    let column = |section: &embudo_reports::Section, key: &str| {
        section.columns.iter().position(|c| c.key == key)
    };
    let (Some(progress), Some(drivers)) = (section("progress"), section("drivers")) else {
        return Ok(Vec::new());
    };
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    let at_risk = progress.rows.iter().filter(|row| {
        column(progress, "status")
            .is_some_and(|i| matches!(row[i].as_str(), Some("at_risk" | "behind")))
    });
    Ok(at_risk
        .map(|row| {
            let cell = |key: &str| column(progress, key).map(|i| &row[i]);
            let goal = cell("goal").map(text).unwrap_or_default();
            GoalAtRisk {
                metric: cell("metric").map(text).unwrap_or_default(),
                status: cell("status").map(text).unwrap_or_default(),
                attainment: cell("attainment").and_then(serde_json::Value::as_f64),
                expected_attainment: cell("expected_attainment")
                    .and_then(serde_json::Value::as_f64),
                drivers: drivers
                    .rows
                    .iter()
                    .filter(|d| {
                        column(drivers, "goal")
                            .is_some_and(|i| d[i].as_str() == Some(goal.as_str()))
                    })
                    .map(|d| {
                        let of = |key: &str| column(drivers, key).map(|i| &d[i]);
                        (
                            of("driver").map(text).unwrap_or_default(),
                            of("change_pct").and_then(serde_json::Value::as_f64),
                        )
                    })
                    .collect(),
                goal,
            }
        })
        .collect())
}

/// The points the data-quality score lost between the last two audits (0 with fewer than
/// two), and the entities and dimensions that lost them, the largest fall first.
fn quality_drop(store: &Store) -> Result<(f64, Vec<QualityDrop>), MonitorError> {
    let runs = embudo_audit::score::history(store, 2)
        .map_err(|e| MonitorError::Invalid(format!("reading the audit's history: {e}")))?;
    let [(_, latest), (_, before)] = runs.as_slice() else {
        return Ok((0.0, Vec::new()));
    };
    let quality = store.quality_drops()?;
    Ok((((before - latest) * 10.0).round() / 10.0, quality))
}

/// Hours of cool-down from the `--cooldown` flag: `12h`, `3d` or a number of hours.
pub fn parse_cooldown(text: &str) -> Result<Duration, MonitorError> {
    let invalid = || {
        MonitorError::Invalid(format!(
            "--cooldown '{text}': write hours or days, e.g. 24h or 7d"
        ))
    };
    let (number, unit) = match text.strip_suffix('d') {
        Some(days) => (days, 24),
        None => (text.strip_suffix('h').unwrap_or(text), 1),
    };
    let hours: i64 = number.parse().map_err(|_| invalid())?;
    if hours < 0 {
        return Err(invalid());
    }
    Ok(Duration::hours(hours * unit))
}

/// Record what judging `rule` over `period` found: whether it is firing now, when it last
/// fired, that the period has been judged, and what it was firing on (goals at risk).
pub(crate) fn record(
    store: &Store,
    rule: &str,
    period: Period,
    firing: bool,
    fired_at: Option<NaiveDateTime>,
    firing_on: &[String],
) -> Result<(), MonitorError> {
    store.record_judgement(
        rule,
        &Judged {
            firing,
            fired_at,
            period: &period.key(),
            firing_on: &serde_json::to_string(firing_on).expect("names"),
        },
    )?;
    Ok(())
}

/// Every rule, by name.
pub fn list(store: &Store) -> Result<Vec<Rule>, MonitorError> {
    read(store, None)
}

/// The rule called `name`.
pub fn get(store: &Store, name: &str) -> Result<Option<Rule>, MonitorError> {
    Ok(read(store, Some(name))?.into_iter().next())
}

/// Remove the rule called `name`; false when there is none.
pub fn remove(store: &Store, name: &str) -> Result<bool, MonitorError> {
    Ok(store.delete_alert_rule(name)?)
}

fn read(store: &Store, name: Option<&str>) -> Result<Vec<Rule>, MonitorError> {
    let stored = store.alert_rule_rows(name)?;
    stored
        .into_iter()
        .map(|row| {
            let measure = match row.measure.as_str() {
                "value" => String::new(),
                other => format!("{other} "),
            };
            let condition = format!("{} {measure}{} {}", row.metric, row.op, row.threshold);
            Ok(Rule {
                name: row.name,
                condition: condition.parse()?,
                filters: serde_json::from_str(&row.filters).unwrap_or_default(),
                by: row.by_dim.as_deref().map(str::parse).transpose()?,
                cadence: Cadence::from_stored(&row.cadence)?,
                recipients: serde_json::from_str(&row.recipients).unwrap_or_default(),
                webhook: row.webhook,
                cooldown: Duration::hours(row.cooldown_hours),
                created_at: crate::watch::instant_from_micros(row.created_at)?,
                firing: row.firing,
                last_fired_at: row
                    .last_fired_at
                    .map(crate::watch::instant_from_micros)
                    .transpose()?,
                last_period: row.last_period,
                firing_on: row
                    .firing_on
                    .and_then(|names| serde_json::from_str(&names).ok())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_read_as_people_write_them() {
        let c: Condition = "close_rate < 0.25".parse().unwrap();
        assert_eq!(
            (c.measure, c.op, c.threshold),
            (Measure::Value, Op::Below, 0.25)
        );
        let c: Condition = "revenue change_pct <= -0.2".parse().unwrap();
        assert_eq!(
            (c.measure, c.op, c.threshold),
            (Measure::ChangePct, Op::AtMost, -0.2)
        );
        assert_eq!(c.to_string(), "revenue change_pct <= -0.2");
        let c: Condition = "revenue change_pct_yoy < 0".parse().unwrap();
        assert_eq!(c.measure, Measure::ChangePctYear);
        assert_eq!(c.to_string(), "revenue change_pct_yoy < 0");
        for bad in [
            "close_rate",
            "close_rate ≈ 0.2",
            "close_rate < lots",
            "no_such_metric > 1",
        ] {
            assert!(bad.parse::<Condition>().is_err(), "{bad}");
        }
    }
}
