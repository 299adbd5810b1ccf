//! Goals: a target for a metric over a period, for the company, a team or a user, and how
//! far along it is.
//!
//! Progress rules (also in the README):
//! - *Cumulative* metrics (counts and sums anchored in time, e.g. revenue, deals_won) grow
//!   through the period: the expected attainment at a linear pace is the share of the period
//!   elapsed, and the projected end value is the value so far divided by that share.
//! - Other metrics (rates, averages, point-in-time values) should sit at the target all
//!   along: the expected attainment is 100% and the projection is the value so far.
//! - Attainment is actual / target for `at_least` goals and target / actual for `at_most`.
//! - Status: once the period is over, `achieved` if the target was met, else `behind`.
//!   Before that, `achieved` if a cumulative `at_least` target is already met; `on_track`
//!   if the projection meets the target; `at_risk` if it misses by at most 10%; else
//!   `behind`. A cumulative `at_most` goal already over its target is `behind`.

use crate::catalog::{Agg, Combine, Metric, Timing};
use crate::dims::Dim;
use crate::error::MetricError;
use crate::plan::{self, Query};
use crate::time::{Bound, Calendar};
use chrono::{NaiveDate, NaiveDateTime};
use embudo_model::Table;
use embudo_model::labels::{GoalDirection, GoalScope};
use embudo_store::Store;
use embudo_store::goals::{GoalRow, NewGoal as GoalInsert};
use embudo_store::names::Named;
use serde::Serialize;
use serde_json::{Value, json};

/// Who a goal is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Company,
    /// A team, by name.
    Team(String),
    /// A user, by name.
    User(String),
}

impl Scope {
    /// `company`, `team:NAME` or `user:NAME`.
    pub fn parse(text: &str) -> Result<Scope, MetricError> {
        match text.split_once(':') {
            None if text == "company" => Ok(Scope::Company),
            Some(("team", name)) if !name.is_empty() => Ok(Scope::Team(name.to_owned())),
            Some(("user", name)) if !name.is_empty() => Ok(Scope::User(name.to_owned())),
            _ => Err(MetricError::Invalid(format!(
                "unknown scope '{text}': use company, team:NAME or user:NAME"
            ))),
        }
    }
}

/// A goal to add.
#[derive(Debug, Clone)]
pub struct NewGoal {
    pub name: String,
    pub metric: String,
    pub target: f64,
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    pub scope: Scope,
    pub direction: GoalDirection,
    pub filters: Vec<(Dim, String)>,
}

/// How a goal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Achieved,
    OnTrack,
    AtRisk,
    Behind,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::OnTrack => "on_track",
            Status::AtRisk => "at_risk",
            Status::Behind => "behind",
        }
    }
}

/// A goal's progress at an instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub id: i64,
    pub name: String,
    pub metric: String,
    pub direction: &'static str,
    pub target: f64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub actual: Option<f64>,
    pub attainment: Option<f64>,
    pub expected_attainment: f64,
    pub projected: Option<f64>,
    pub status: Status,
    /// The query whose value `actual` is: the goal's metric over its period so far, with
    /// its scope's and its own filters (and the viewer's). Its rows are what the goal counts.
    #[serde(skip)]
    pub measured: Query,
}

/// Whether a metric accumulates over its period (counts and sums anchored in time).
pub fn is_cumulative(metric: &Metric) -> bool {
    metric.combine == Combine::One
        && metric.measures.iter().all(|m| {
            matches!(m.timing, Timing::Anchor(_))
                && matches!(
                    m.agg,
                    Agg::Count | Agg::Sum(_) | Agg::Distinct(_) | Agg::CountExpr(_)
                )
        })
}

/// Add a goal; returns its id.
pub fn add(store: &Store, goal: &NewGoal) -> Result<i64, MetricError> {
    let metric = plan::metric(&goal.metric)?;
    if goal.start >= goal.end {
        return Err(MetricError::Invalid(format!(
            "the goal's period must end after it starts: {} is not before {}",
            goal.start, goal.end
        )));
    }
    let (scope, scope_id, scope_dim) = match &goal.scope {
        Scope::Company => (GoalScope::Company, None, None),
        Scope::Team(name) => (
            GoalScope::Team,
            Some(id_of(store, Named::Teams, name)?),
            Some(Dim::Team),
        ),
        Scope::User(name) => (
            GoalScope::User,
            Some(id_of(store, Named::Users, name)?),
            Some(Dim::Owner),
        ),
    };
    let allowed = metric.dimensions();
    for dim in goal.filters.iter().map(|(d, _)| *d).chain(scope_dim) {
        if !allowed.contains(&dim) {
            return Err(MetricError::Invalid(format!(
                "{} cannot be limited by {dim}, so a goal on it cannot be for a {}",
                metric.name,
                if dim == Dim::Team {
                    "team"
                } else if dim == Dim::Owner {
                    "user"
                } else {
                    dim.name()
                }
            )));
        }
    }
    let filters: serde_json::Map<String, Value> = goal
        .filters
        .iter()
        .map(|(d, v)| (d.name().to_owned(), json!(v)))
        .collect();
    let id = store.insert_goal(&GoalInsert {
        name: &goal.name,
        metric: &metric.name,
        target: goal.target,
        start: goal.start,
        end: goal.end,
        scope: embudo_model::Label::as_str(scope),
        scope_id,
        direction: embudo_model::Label::as_str(goal.direction),
        filters: &Value::Object(filters).to_string(),
    })?;
    Ok(id)
}

fn id_of(store: &Store, table: Named, name: &str) -> Result<i64, MetricError> {
    store.id_named(table, name)?.ok_or_else(|| {
        let what = if table == Named::Teams {
            "team"
        } else {
            "user"
        };
        MetricError::Invalid(format!("no {what} named '{name}'"))
    })
}

/// A stored goal's filters: its scope's, then its own.
fn filters_of(goal: &GoalRow) -> Result<Vec<(Dim, String)>, MetricError> {
    stored_filters(
        Some(&goal.scope),
        goal.scope_name.as_deref(),
        goal.filters.as_deref(),
    )
}

/// Every goal, in id order.
pub fn list(store: &Store) -> Result<Table, MetricError> {
    Ok(store.goals_table()?)
}

/// Remove the goal with this id or name; returns how many were removed.
pub fn remove(store: &Store, id_or_name: &str) -> Result<usize, MetricError> {
    let removed = match id_or_name.parse::<i64>() {
        Ok(id) => store.delete_goal(id)?,
        Err(_) => store.delete_goals_named(id_or_name)?,
    };
    if removed == 0 {
        return Err(MetricError::Invalid(format!(
            "no goal '{id_or_name}'; `embudo goal list` lists them"
        )));
    }
    Ok(removed)
}

/// The goals whose period has begun, and a note for each that could not be assessed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Standing {
    pub goals: Vec<Progress>,
    /// A goal whose stored definition no longer makes sense (a metric that is gone, a
    /// filter the metric cannot take): its id and a word on why it was skipped, never
    /// failing the rest.
    pub skipped: Vec<(i64, String)>,
}

/// For a metric, the filters that keep it to a viewer's records; `None` when the viewer may
/// not see it.
pub type Within<'a> = dyn Fn(&Metric) -> Option<Vec<(Dim, String)>> + 'a;

/// Progress at the UTC instant `at` of every goal whose period has begun, over every record.
pub fn progress(
    store: &Store,
    calendar: &Calendar,
    at: NaiveDateTime,
    lang: &str,
) -> Result<Standing, MetricError> {
    progress_within(store, calendar, at, lang, &|_| Some(Vec::new()))
}

/// [`progress`] computed over the records a viewer may see: `within` gives, for a metric,
/// the filters that keep it to those records (`None`: the viewer may not see that metric,
/// and its goals are left out). A goal whose own filter names other records than `within`
/// allows is left out too.
pub fn progress_within(
    store: &Store,
    calendar: &Calendar,
    at: NaiveDateTime,
    lang: &str,
    within: &Within<'_>,
) -> Result<Standing, MetricError> {
    let goals = store.goal_rows(None)?;
    let mut standing = Standing::default();
    for goal in &goals {
        match assess_row(store, calendar, at, lang, goal, within) {
            Ok(Some(progress)) => standing.goals.push(progress),
            Ok(None) => {}
            // The store answered but the goal is unusable: say so and go on.
            Err(MetricError::Invalid(why)) => standing
                .skipped
                .push((goal.id, format!("goal '{}' was skipped: {why}", goal.name))),
            Err(other) => return Err(other),
        }
    }
    Ok(standing)
}

/// One goal assessed at `at`, or `None` when its period has not begun or it is not the
/// viewer's to see.
fn assess_row(
    store: &Store,
    calendar: &Calendar,
    at: NaiveDateTime,
    lang: &str,
    goal: &GoalRow,
    within: &Within<'_>,
) -> Result<Option<Progress>, MetricError> {
    let start = NaiveDate::parse_from_str(&goal.period_start, "%Y-%m-%d")
        .map_err(|e| MetricError::Invalid(e.to_string()))?;
    let end = NaiveDate::parse_from_str(&goal.period_end, "%Y-%m-%d")
        .map_err(|e| MetricError::Invalid(e.to_string()))?;
    let start_utc = calendar.to_utc(start.and_hms_opt(0, 0, 0).expect("midnight"));
    let end_utc = calendar.to_utc(end.and_hms_opt(0, 0, 0).expect("midnight"));
    if at <= start_utc {
        return Ok(None);
    }
    let metric = plan::metric(&goal.metric)?;
    let mut filters = filters_of(goal)?;
    let Some(viewer) = within(metric) else {
        return Ok(None);
    };
    for (dim, value) in viewer {
        match filters.iter().find(|(d, _)| *d == dim) {
            Some((_, own)) if *own != value => return Ok(None),
            Some(_) => {}
            None => filters.push((dim, value)),
        }
    }
    let until = if at < end_utc {
        Bound::Instant(at)
    } else {
        Bound::Day(end)
    };
    let measured = Query {
        metric: metric.name.clone(),
        from: Bound::Day(start),
        to: until,
        grain: None,
        by: Vec::new(),
        filters,
        compare: None,
    };
    let actual = plan::run(store, calendar, &measured, lang)?
        .rows
        .first()
        .and_then(|r| r.value);
    let elapsed = ((at.min(end_utc) - start_utc).num_seconds() as f64
        / (end_utc - start_utc).num_seconds() as f64)
        .clamp(0.0, 1.0);
    let at_least = goal.direction != "at_most";
    let target = goal.target;
    Ok(Some(assess(
        Progress {
            id: goal.id,
            name: goal.name.clone(),
            metric: metric.name.clone(),
            direction: if at_least { "at_least" } else { "at_most" },
            target,
            period_start: start,
            period_end: end,
            actual,
            attainment: None,
            expected_attainment: 1.0,
            projected: None,
            status: Status::Behind,
            measured,
        },
        is_cumulative(metric),
        elapsed,
    )))
}

/// The filters a stored goal implies: its scope's team or user (by name), then its own
/// (`filters` as stored, JSON).
fn stored_filters(
    scope: Option<&str>,
    scope_name: Option<&str>,
    filters: Option<&str>,
) -> Result<Vec<(Dim, String)>, MetricError> {
    let stored = filters;
    let mut filters: Vec<(Dim, String)> = Vec::new();
    match (scope, scope_name) {
        (Some("team"), Some(team)) => filters.push((Dim::Team, team.to_owned())),
        (Some("user"), Some(user)) => filters.push((Dim::Owner, user.to_owned())),
        (Some("team" | "user"), None) => {
            return Err(MetricError::Invalid(
                "its team or user no longer exists".into(),
            ));
        }
        _ => {}
    }
    match stored.map(serde_json::from_str::<Value>) {
        None => {}
        Some(Ok(Value::Object(map))) => {
            for (dim, value) in map {
                let value = value.as_str().ok_or_else(|| {
                    MetricError::Invalid(format!("its filter {dim} is not a text value"))
                })?;
                filters.push((dim.parse()?, value.to_owned()));
            }
        }
        Some(_) => {
            return Err(MetricError::Invalid(
                "its filters are not an object of dimension names and values".into(),
            ));
        }
    }
    Ok(filters)
}

/// Check the goal stored with `id` as `goal add` checks a new one: a metric of the
/// catalogue, a team or user that exists, filters the metric can take (text values), a
/// period that ends after it starts within the years dates may fall in, and a direction.
/// Returns its own filters (those beyond its scope), for the caller's rules on who may set
/// which goals.
pub fn check_stored(store: &Store, id: i64) -> Result<Vec<(Dim, String)>, MetricError> {
    let found = store.goal_rows(Some(id))?;
    let goal = found
        .first()
        .ok_or_else(|| MetricError::Invalid(format!("no goal {id}")))?;
    let metric = plan::metric(&goal.metric)?;
    match (
        goal.scope.as_str(),
        goal.scope_name.as_deref(),
        goal.scope_id.is_none(),
    ) {
        ("company", _, true) | ("team" | "user", Some(_), _) => {}
        ("company", _, false) => {
            return Err(MetricError::Invalid(
                "a company goal has no scope_id".into(),
            ));
        }
        ("team" | "user", None, _) => {
            return Err(MetricError::Invalid(format!(
                "scope_id names no {} that exists",
                goal.scope
            )));
        }
        (other, _, _) => {
            return Err(MetricError::Invalid(format!(
                "unknown scope '{other}': use company, team or user"
            )));
        }
    }
    let allowed = metric.dimensions();
    for (dim, _) in filters_of(goal)? {
        if !allowed.contains(&dim) {
            return Err(MetricError::Invalid(format!(
                "{} cannot be limited by {dim}",
                metric.name
            )));
        }
    }
    let day = |text: &str, which: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|d| crate::time::YEARS.contains(&chrono::Datelike::year(d)))
            .ok_or_else(|| {
                MetricError::Invalid(format!(
                    "the period's {which} must be a date between the years {} and {}",
                    crate::time::YEARS.start(),
                    crate::time::YEARS.end()
                ))
            })
    };
    if day(&goal.period_start, "start")? >= day(&goal.period_end, "end")? {
        return Err(MetricError::Invalid(
            "the goal's period must end after it starts".into(),
        ));
    }
    if !["at_least", "at_most"].contains(&goal.direction.as_str()) {
        return Err(MetricError::Invalid(
            "direction must be at_least or at_most".into(),
        ));
    }
    stored_filters(None, None, goal.filters.as_deref())
}

/// Fill in attainment, pace, projection and status from the actual value and the share
/// of the period elapsed.
pub fn assess(mut p: Progress, cumulative: bool, elapsed: f64) -> Progress {
    let at_least = p.direction == "at_least";
    let actual = p.actual.unwrap_or(0.0);
    let ratio = |a: f64, b: f64| (b != 0.0).then(|| a / b);
    p.attainment = p.actual.and_then(|a| {
        if at_least {
            ratio(a, p.target)
        } else {
            ratio(p.target, a)
        }
    });
    p.expected_attainment = if cumulative { elapsed } else { 1.0 };
    p.projected = if cumulative {
        ratio(actual, elapsed)
    } else {
        p.actual
    };
    let over = elapsed >= 1.0;
    let meets = |v: f64| {
        if at_least {
            v >= p.target
        } else {
            v <= p.target
        }
    };
    let near = |v: f64| {
        if at_least {
            v >= 0.9 * p.target
        } else {
            v <= 1.1 * p.target
        }
    };
    p.status = match (p.actual, p.projected) {
        (None, _) => Status::Behind,
        (Some(a), _) if over => {
            if meets(a) {
                Status::Achieved
            } else {
                Status::Behind
            }
        }
        (Some(a), _) if cumulative && at_least && meets(a) => Status::Achieved,
        (Some(a), _) if cumulative && !at_least && !meets(a) => Status::Behind,
        (_, Some(projected)) if meets(projected) => Status::OnTrack,
        (_, Some(projected)) if near(projected) => Status::AtRisk,
        _ => Status::Behind,
    };
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(direction: &'static str, target: f64, actual: Option<f64>) -> Progress {
        Progress {
            id: 1,
            name: "g".into(),
            metric: "revenue".into(),
            direction,
            target,
            period_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            period_end: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            actual,
            attainment: None,
            expected_attainment: 0.0,
            projected: None,
            status: Status::Behind,
            measured: Query {
                metric: "revenue".into(),
                from: Bound::Day(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
                to: Bound::Day(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()),
                grain: None,
                by: Vec::new(),
                filters: Vec::new(),
                compare: None,
            },
        }
    }

    #[test]
    fn a_cumulative_goal_is_projected_at_its_pace() {
        // Half-way with 45 of 100: projected 90, within 10% of the target.
        let p = assess(goal("at_least", 100.0, Some(45.0)), true, 0.5);
        assert_eq!(
            (p.attainment, p.expected_attainment, p.projected),
            (Some(0.45), 0.5, Some(90.0))
        );
        assert_eq!(p.status, Status::AtRisk);
        assert_eq!(
            assess(goal("at_least", 100.0, Some(60.0)), true, 0.5).status,
            Status::OnTrack
        );
        assert_eq!(
            assess(goal("at_least", 100.0, Some(30.0)), true, 0.5).status,
            Status::Behind
        );
        assert_eq!(
            assess(goal("at_least", 100.0, Some(101.0)), true, 0.2).status,
            Status::Achieved
        );
    }

    #[test]
    fn a_rate_goal_is_judged_on_its_current_value() {
        let p = assess(goal("at_least", 0.3, Some(0.28)), false, 0.5);
        assert_eq!(
            (p.expected_attainment, p.projected, p.status),
            (1.0, Some(0.28), Status::AtRisk)
        );
        // At most 12 hours: 10 hours attains 120%.
        let p = assess(goal("at_most", 12.0, Some(10.0)), false, 0.5);
        assert_eq!((p.attainment, p.status), (Some(1.2), Status::OnTrack));
        assert_eq!(
            assess(goal("at_most", 12.0, Some(14.0)), false, 0.5).status,
            Status::Behind
        );
    }

    #[test]
    fn a_finished_period_is_achieved_or_behind() {
        assert_eq!(
            assess(goal("at_least", 100.0, Some(100.0)), true, 1.0).status,
            Status::Achieved
        );
        assert_eq!(
            assess(goal("at_least", 100.0, Some(99.0)), true, 1.0).status,
            Status::Behind
        );
        assert_eq!(
            assess(goal("at_most", 5.0, Some(6.0)), true, 1.0).status,
            Status::Behind
        );
    }
}
