//! `embudo bench metrics --vs-sql`: every metric of the catalogue over one year beside the
//! query a person would write for it (`bench/metric_reference.toml`, written from the spec,
//! not from the planner), both on the same connection, seven runs each in turn (up to 41
//! for a quick one, see [`MIN_SECONDS`]); then the questions asked most, a year by month
//! with one dimension, beside theirs (`bench/metric_reference_split.toml`), compared cell
//! by cell.

use super::hint;
use crate::config::Config;
use anyhow::{Context as _, Result, bail};
use chrono::{NaiveDate, NaiveTime};
use embudo_metrics::{Bound, Dim, Grain, Query, catalogue};
use embudo_model::Table;
use embudo_store::{Dialect, Param, Store};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Instant;

/// The reference queries, by metric; `{from}` and `{to}` stand for the range's bounds.
const REFERENCE: &str = include_str!("../../../../bench/metric_reference.toml");

/// The references by month with one dimension, by metric.
const SPLIT: &str = include_str!("../../../../bench/metric_reference_split.toml");

/// A metric by month and `by`, as `sql` gives it: rows of the month's first day, the
/// dimension's value and the metric's.
#[derive(serde::Deserialize)]
struct Split {
    by: String,
    sql: String,
}

/// Runs of each side at least; the median is kept. Five let a 40 ms metric read 1.44× in
/// one bench where the day's other five read 1.07–1.18×; seven have not stopped such a
/// metric reading over 1.3× now and then on two busy cores.
const RUNS: usize = 7;

/// A side that has not yet spent this long runs again, up to [`MAX_RUNS`] times: a
/// metric of a millisecond over five runs moved by a fifth between benches.
const MIN_SECONDS: f64 = 0.1;

/// Runs of each side at most.
const MAX_RUNS: usize = 41;

/// Whether both sides have run enough for a steady median.
fn enough(planner: &[f64], reference: &[f64]) -> bool {
    let spent = |times: &[f64]| times.iter().sum::<f64>() >= MIN_SECONDS;
    planner.len() >= MAX_RUNS || (planner.len() >= RUNS && spent(planner) && spent(reference))
}

/// Ratios the summary lists, worst first.
const WORST: usize = 10;

/// Two tables: every metric (planner and reference medians, their ratio, whether they give
/// the same number), then the worst ten ratios, the median ratio and the totals.
pub fn figures(store: &Store, config: &Config, end: NaiveDate) -> Result<Vec<Table>> {
    if store.dialect() != Dialect::DuckDb {
        hint(
            config,
            "The reference queries are written for DuckDB: not run here.",
        );
        return Ok(Vec::new());
    }
    let written: BTreeMap<String, String> =
        toml::from_str(REFERENCE).context("reading bench/metric_reference.toml")?;
    let from = end - chrono::Months::new(12);
    let mut timed = Vec::new();
    for metric in catalogue() {
        let Some(sql) = written.get(&metric.name) else {
            bail!(
                "bench/metric_reference.toml has no query for {}",
                metric.name
            );
        };
        let (sql, params) = bounded(sql, from, end);
        let query = Query::over(&metric.name, Bound::Day(from), Bound::Day(end));
        let (mut planner, mut reference) = (Vec::new(), Vec::new());
        let (mut planned, mut wanted) = (None, None);
        while !enough(&planner, &reference) {
            let started = Instant::now();
            let result = embudo_metrics::run(store, &config.calendar, &query, &config.lang)?;
            planner.push(started.elapsed().as_secs_f64());
            // A metric with a default split (new customers per campaign) sums to the total.
            planned = Some(result.rows.iter().filter_map(|r| r.value).sum::<f64>());
            let started = Instant::now();
            wanted = store.value::<Option<f64>>(&sql, &params)?.flatten();
            reference.push(started.elapsed().as_secs_f64());
        }
        timed.push(Timed {
            metric: metric.name.clone(),
            planner: median(&mut planner),
            reference: median(&mut reference),
            agrees: agree(planned.unwrap_or(0.0), wanted.unwrap_or(0.0)),
        });
    }
    let mut tables = vec![every(&timed), summary(&mut timed)];
    if config.calendar.tz == chrono_tz::UTC {
        tables.push(split(store, config, from, end)?);
    } else {
        hint(
            config,
            "The references by month are written for UTC months: not run in another time zone.",
        );
    }
    Ok(tables)
}

/// `sql` with each `{from}` and `{to}` a bound timestamp, and the values in their order.
/// Bound as the planner binds its bounds, and as this project binds every value: DuckDB
/// plans a statement whose table filter holds a parameter again once it has the value (to
/// push the value into the scan), so a reference with its bounds written as literals
/// would skip one planning the planner cannot, a cost of binding rather than of planning.
fn bounded(sql: &str, from: NaiveDate, to: NaiveDate) -> (String, Vec<Param>) {
    let mut text = String::with_capacity(sql.len());
    let mut params = Vec::new();
    let mut rest = sql;
    loop {
        let next = [("{from}", from), ("{to}", to)]
            .into_iter()
            .filter_map(|(mark, day)| rest.find(mark).map(|at| (at, mark, day)))
            .min_by_key(|(at, ..)| *at);
        let Some((at, mark, day)) = next else { break };
        text.push_str(&rest[..at]);
        text.push_str("CAST(? AS TIMESTAMP)");
        params.push(Param::Timestamp(day.and_time(NaiveTime::MIN)));
        rest = &rest[at + mark.len()..];
    }
    text.push_str(rest);
    (text, params)
}

/// A metric's cells: its value by month (first day) and dimension value; a month and value
/// without one (no closed deal, no call) is left out on both sides, as is a zero.
type Cells = BTreeMap<(String, Option<String>), f64>;

/// The questions of `bench/metric_reference_split.toml` from `from` to `end` by month, each
/// split by its dimension: both medians, their ratio, and whether every cell agrees; the
/// median ratio last.
fn split(store: &Store, config: &Config, from: NaiveDate, end: NaiveDate) -> Result<Table> {
    let written: BTreeMap<String, Split> =
        toml::from_str(SPLIT).context("reading bench/metric_reference_split.toml")?;
    let mut rows = Vec::new();
    let mut ratios = Vec::new();
    for (metric, Split { by, sql }) in written {
        let dim: Dim = by.parse()?;
        let (sql, params) = bounded(&sql, from, end);
        let query = Query {
            grain: Some(Grain::Month),
            by: vec![dim],
            ..Query::over(&metric, Bound::Day(from), Bound::Day(end))
        };
        let (mut planner, mut reference) = (Vec::new(), Vec::new());
        let (mut planned, mut wanted) = (Cells::new(), Cells::new());
        while !enough(&planner, &reference) {
            let started = Instant::now();
            let result = embudo_metrics::run(store, &config.calendar, &query, &config.lang)?;
            planner.push(started.elapsed().as_secs_f64());
            planned = result
                .rows
                .into_iter()
                .filter_map(|row| {
                    let month = row.period?.to_string();
                    Some(((month, row.dims.into_iter().next().flatten()), row.value?))
                })
                .filter(|(_, value)| *value != 0.0)
                .collect();
            let started = Instant::now();
            let answer = store.query_with(&sql, &params)?;
            reference.push(started.elapsed().as_secs_f64());
            wanted = answer
                .rows
                .into_iter()
                .filter_map(|row| {
                    let [month, label, value] = <[Value; 3]>::try_from(row).ok()?;
                    let label = label.as_str().map(str::to_owned);
                    Some(((month.as_str()?.to_owned(), label), value.as_f64()?))
                })
                .filter(|(_, value)| *value != 0.0)
                .collect();
        }
        let cells = planned.len().max(wanted.len());
        let differing = planned
            .keys()
            .chain(wanted.keys())
            .filter(|key| {
                let value = |cells: &Cells| cells.get(*key).copied().unwrap_or(0.0);
                !agree(value(&planned), value(&wanted))
            })
            .count();
        let (planner, reference) = (median(&mut planner), median(&mut reference));
        let times = planner / reference.max(1e-6);
        ratios.push(times);
        rows.push(vec![
            json!(metric),
            json!(by),
            seconds(planner),
            seconds(reference),
            ratio(times),
            json!(cells),
            json!(differing == 0),
        ]);
    }
    rows.push(vec![
        json!("median ratio"),
        Value::Null,
        Value::Null,
        Value::Null,
        ratio(median(&mut ratios)),
        Value::Null,
        Value::Null,
    ]);
    Ok(Table {
        columns: [
            "by_month",
            "by",
            "embudo_s",
            "reference_s",
            "ratio",
            "cells",
            "same_cells",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// One metric's medians.
struct Timed {
    metric: String,
    planner: f64,
    reference: f64,
    agrees: bool,
}

impl Timed {
    fn ratio(&self) -> f64 {
        self.planner / self.reference.max(1e-6)
    }
}

fn every(timed: &[Timed]) -> Table {
    Table {
        columns: ["metric", "embudo_s", "reference_s", "ratio", "same_value"]
            .map(String::from)
            .to_vec(),
        rows: timed
            .iter()
            .map(|t| {
                vec![
                    json!(t.metric),
                    seconds(t.planner),
                    seconds(t.reference),
                    ratio(t.ratio()),
                    json!(t.agrees),
                ]
            })
            .collect(),
    }
}

/// The worst ratios, the median ratio, the totals and how many metrics disagree, each in
/// words (a ratio written `1.34×`, so a count is never read as one).
fn summary(timed: &mut [Timed]) -> Table {
    let mut ratios: Vec<f64> = timed.iter().map(Timed::ratio).collect();
    let median_ratio = median(&mut ratios);
    let (planner, reference): (f64, f64) = timed
        .iter()
        .fold((0.0, 0.0), |(p, r), t| (p + t.planner, r + t.reference));
    let disagreeing = timed.iter().filter(|t| !t.agrees).count();
    let metrics = timed.len();
    timed.sort_by(|a, b| b.ratio().total_cmp(&a.ratio()));
    let times = |x: f64| json!(format!("{x:.2}×"));
    let mut rows: Vec<Vec<Value>> = timed
        .iter()
        .take(WORST)
        .map(|t| vec![json!(format!("worst: {}", t.metric)), times(t.ratio())])
        .collect();
    rows.push(vec![
        json!("median ratio over the catalogue"),
        times(median_ratio),
    ]);
    rows.push(vec![
        json!(format!(
            "total: embudo {planner:.3} s, reference {reference:.3} s"
        )),
        times(planner / reference.max(1e-6)),
    ]);
    rows.push(vec![
        json!("metrics whose value differs from their reference"),
        json!(format!("{disagreeing} of {metrics}")),
    ]);
    Table {
        columns: ["summary", "value"].map(String::from).to_vec(),
        rows,
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn agree(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn seconds(value: f64) -> Value {
    json!((value * 1000.0).round() / 1000.0)
}

fn ratio(value: f64) -> Value {
    json!((value * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_of_a_reference_is_bound_in_the_order_written() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
        let (sql, params) = bounded(
            "SELECT 1 WHERE b < {to} AND a >= {from} AND a < {to}",
            day(1),
            day(2),
        );
        assert_eq!(
            sql,
            "SELECT 1 WHERE b < CAST(? AS TIMESTAMP) AND a >= CAST(? AS TIMESTAMP) \
             AND a < CAST(? AS TIMESTAMP)"
        );
        let at = |d| Param::Timestamp(day(d).and_time(NaiveTime::MIN));
        assert_eq!(params, [at(2), at(1), at(2)]);
    }
}
