//! Which figure of a report leads to which records. A number in a column named after a
//! metric is that metric's value over the report's range and filters, narrowed by what its
//! row says: the period it starts (`period`) and the values of the dimensions it is about
//! (`owner`, `lead_source`…). That makes a metric query whose rows the metric layer can
//! list ([`embudo_metrics::plan::drill`]). In a point-in-time report (an `at`), a figure of
//! a metric of what is true at an instant (deals open, their value) is that metric at the
//! report's instant. A section whose figures are over ranges of their own (a goal's period,
//! a trend reaching before the report's range) names each row's query itself
//! ([`crate::model::RowTargets`]). Figures of a period metric in a point-in-time
//! report, of rows without a dimension value (the orders row of sales performance) and of
//! rows about something no dimension names (a deal) lead nowhere.

use crate::i18n::label;
use crate::model::{Kind, Report, RowTargets, Section};
use chrono::NaiveDate;
use embudo_metrics::catalog::{Edge, Timing};
use embudo_metrics::{Bound, Dim, Query, catalog};
use serde_json::Value;

/// A metric over a range with filters: what a figure counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub metric: String,
    pub from: Bound,
    /// Exclusive; for a metric of an instant, the instant.
    pub to: Bound,
    pub filters: Vec<(Dim, String)>,
}

impl Target {
    /// What the value of `query` counts; `None` for a metric the catalogue does not know.
    pub fn of(query: &Query) -> Option<Target> {
        catalog::find(&query.metric)?;
        Some(Target {
            metric: query.metric.clone(),
            from: query.from,
            to: query.to,
            filters: query.filters.clone(),
        })
    }
}

/// What the figures of `query`'s metric count in a section of `query` by period over a range
/// of its own (a trend longer than the report's range): the query over each row's period,
/// which ends where the next row's starts, or with the query.
pub fn by_period(section: &Section, query: &Query) -> RowTargets {
    let starts: Vec<Option<NaiveDate>> = match section.column("period") {
        Some(i) => section
            .rows
            .iter()
            .map(|row| row.get(i).and_then(Value::as_str).and_then(parse_day))
            .collect(),
        None => vec![None; section.rows.len()],
    };
    let rows = starts
        .iter()
        .map(|start| {
            let start = (*start)?;
            let next = starts
                .iter()
                .flatten()
                .filter(|d| **d > start)
                .min()
                .map_or(query.to, |d| Bound::Day(*d));
            Target::of(&Query {
                from: Bound::Day(start),
                to: next,
                ..query.clone()
            })
        })
        .collect();
    RowTargets {
        column: query.metric.clone(),
        rows,
    }
}

/// What the figures of `query`'s metric count in a section with a row per value of `dim`
/// that its own SQL computed (a campaign, a customer): the query narrowed to each row's
/// value in the section's column `column`.
pub fn by_value(section: &Section, query: &Query, column: &str, dim: Dim) -> RowTargets {
    let values = section.column(column);
    let rows = section
        .rows
        .iter()
        .map(|row| {
            let value = row.get(values?)?.as_str()?;
            let mut filters = query.filters.clone();
            filters.push((dim, value.to_owned()));
            Target::of(&Query {
                filters,
                ..query.clone()
            })
        })
        .collect();
    RowTargets {
        column: query.metric.clone(),
        rows,
    }
}

/// A calendar day written `YYYY-MM-DD`.
fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// What the figure in `column` of `row` of `section` counts, if it leads to records.
pub fn target(report: &Report, section: &Section, row: usize, column: usize) -> Option<Target> {
    let key = section.columns.get(column)?.key.as_str();
    if let Some(own) = section.targets.iter().find(|t| t.column == key) {
        return own.rows.get(row).cloned().flatten();
    }
    if !section.from_metrics {
        return None;
    }
    let values = section.rows.get(row)?;
    if values.get(column)?.is_null() {
        return None;
    }
    // A summary's row names its metric; its `value` is that metric's. A pivot's cell is
    // its metric for its column's value.
    let mut pivot_filter = None;
    let named = match (key, section.column("metric"), &section.pivoted) {
        ("value", Some(m), _) => Some(values.get(m)?.as_str()?),
        ("period", _, Some(_)) => return None,
        // Rows without a value of the dimension are pivoted under a dash: no filter says so.
        ("—", _, Some(_)) => return None,
        (value, _, Some((metric, dimension))) => {
            pivot_filter = Some((dimension.parse::<Dim>().ok()?, value.to_owned()));
            Some(metric.as_str())
        }
        _ => None,
    };
    let metric = catalog::find(named.unwrap_or(key))?;
    let measure = metric.measures.first()?;
    let allowed = metric.dimensions();
    // A point-in-time report: a metric of what is true at the end of its range, over a
    // range that ends at the report's instant.
    let instant = match report.params.get("at") {
        None => None,
        Some(at) => {
            if !matches!(measure.timing, Timing::Covering { at: Edge::End, .. }) {
                return None;
            }
            let at = chrono::DateTime::parse_from_rfc3339(at.as_str()?)
                .ok()?
                .naive_utc();
            Some(at)
        }
    };
    let day = |value: Option<&Value>| {
        // A day, not an instant: a range that starts mid-day is not linked.
        value
            .and_then(Value::as_str)
            .filter(|text| text.len() == 10)
            .and_then(parse_day)
    };
    let (mut from, mut to) = (
        day(report.params.get("from"))?,
        day(report.params.get("to"))?,
    );
    let mut filters = Vec::new();
    for dim in Dim::ALL {
        if let Some(value) = report.params.get(dim.name()).and_then(Value::as_str) {
            filters.push((dim, value.to_owned()));
        }
    }
    let in_both = |key: &str| ["en", "es"].map(|lang| label(key, lang));
    let nobody = in_both("label.no_owner");
    // A summary row (`Overall`) is the metric over every value of its dimension.
    let everyone = [in_both("section.overall"), in_both("section.totals")].concat();
    filters.extend(pivot_filter);
    for (i, other) in section.columns.iter().enumerate() {
        let beside = section.pivoted.is_some() && other.key != "period";
        if i == column
            || beside
            || (named.is_some() && matches!(other.key.as_str(), "metric" | "label"))
        {
            continue;
        }
        if other.key == "period" {
            let start = day(values.get(i))?;
            if start < from {
                // A period the range cuts, or of a longer trend beside the range.
                return None;
            }
            // A period ends where the next one of the section starts, or with the range.
            let next = section
                .rows
                .iter()
                .filter_map(|r| day(r.get(i)))
                .filter(|d| *d > start)
                .min()
                .unwrap_or(to);
            (from, to) = (from.max(start), to.min(next));
        } else if let Ok(dim) = other.key.parse::<Dim>() {
            let value = values.get(i)?.as_str()?;
            if nobody.iter().any(|n| n == value) {
                return None;
            }
            if !everyone.iter().any(|e| e == value) {
                filters.push((dim, value.to_owned()));
            }
        } else if other.kind == Kind::Text {
            // A row about something no dimension names (a customer, a deal, "Totals"):
            // its figure is not the metric over a dimension's value.
            return None;
        }
    }
    if from >= to || filters.iter().any(|(dim, _)| !allowed.contains(dim)) {
        return None;
    }
    let (from, to) = match instant {
        Some(at) => (
            Bound::Instant(at - chrono::Duration::days(1)),
            Bound::Instant(at),
        ),
        None => (Bound::Day(from), Bound::Day(to)),
    };
    Some(Target {
        metric: metric.name.clone(),
        from,
        to,
        filters,
    })
}
