//! Backtests: the forecasts Embudo would have made at past instants, against what the
//! pipeline of that instant actually brought.
//!
//! At each instant the open pipeline is rebuilt as it stood (features and expected close
//! dates as of then), the model is trained on what had closed by then, and the next months
//! are forecast four ways — stage-weighted and model-weighted (both by expected close
//! month, as the forecast report shows them), the expected revenue (the model's
//! probabilities, each deal's month drawn from similar past winners) and the Monte Carlo
//! range around it. The actual is the revenue of the deals open at the instant
//! that were won in each month. WAPE and bias per method show which forecast to trust; the
//! share of months inside P10–P90 shows whether the ranges are honest.

use crate::ForecastError;
use crate::features::{self, DealFeatures};
use crate::simulate;
use crate::train;
use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use embudo_store::Store;
use serde::Serialize;
use std::collections::HashMap;

/// One month forecast from one instant.
#[derive(Debug, Clone, Serialize)]
pub struct MonthRow {
    pub at: String,
    pub month: String,
    /// 1 for the instant's own month, 2 for the next…
    pub ahead: u32,
    /// `model` or `stage`: what the model-weighted forecast used at that instant.
    pub model_used: &'static str,
    pub actual: f64,
    pub stage_weighted: f64,
    pub model_weighted: f64,
    /// The model's probabilities with each deal's month drawn from similar past winners.
    pub expected: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

/// A method's errors over every month of every instant, or over the months a given number
/// of months ahead.
#[derive(Debug, Clone, Serialize)]
pub struct MethodScore {
    pub method: &'static str,
    /// `None`: every month; `Some(n)`: the months `n` ahead of their instant.
    pub ahead: Option<u32>,
    /// Σ|forecast − actual| / Σ actual.
    pub wape: Option<f64>,
    /// Σ(forecast − actual) / Σ actual: above 0, the method promises too much.
    pub bias: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub months: Vec<MonthRow>,
    pub methods: Vec<MethodScore>,
    /// Share of months whose actual fell within P10–P90.
    pub coverage: Option<f64>,
}

/// A forecast method: its name and how to read its forecast off a month's row.
type Method = (&'static str, fn(&MonthRow) -> f64);

const METHODS: [Method; 4] = [
    ("stage_weighted", |r| r.stage_weighted),
    ("model_weighted", |r| r.model_weighted),
    ("expected", |r| r.expected),
    ("monte_carlo_p50", |r| r.p50),
];

/// The instants a backtest starts from by default: the first of the month six, five, four
/// and three months before `now`, so that every month of a three-month forecast has ended.
pub fn default_instants(now: NaiveDateTime) -> Vec<NaiveDateTime> {
    let this_month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("day 1 exists");
    (3..=6)
        .rev()
        .map(|back| {
            (this_month - Months::new(back))
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
        })
        .collect()
}

/// Backtest at each of `instants`, forecasting `months` calendar months (UTC) from each.
pub fn run(
    store: &Store,
    instants: &[NaiveDateTime],
    months: u32,
) -> Result<Backtest, ForecastError> {
    let won = won_deals(store)?;
    let mut rows = Vec::new();
    for &at in instants {
        rows.extend(at_instant(store, at, months, &won)?);
    }
    let methods = METHODS
        .into_iter()
        .flat_map(|(method, forecast)| {
            let rows = &rows;
            std::iter::once(None)
                .chain((1..=months).map(Some))
                .map(move |ahead| {
                    let chosen: Vec<&MonthRow> = rows
                        .iter()
                        .filter(|r| ahead.is_none_or(|n| r.ahead == n))
                        .collect();
                    score(method, ahead, forecast, &chosen)
                })
        })
        .collect();
    let coverage = (!rows.is_empty()).then(|| {
        rows.iter()
            .filter(|r| r.p10 <= r.actual && r.actual <= r.p90)
            .count() as f64
            / rows.len() as f64
    });
    Ok(Backtest {
        months: rows,
        methods,
        coverage,
    })
}

fn score(
    method: &'static str,
    ahead: Option<u32>,
    forecast: fn(&MonthRow) -> f64,
    rows: &[&MonthRow],
) -> MethodScore {
    let actual: f64 = rows.iter().map(|r| r.actual).sum();
    let (absolute, signed) = rows.iter().fold((0.0, 0.0), |(a, s), r| {
        let miss = forecast(r) - r.actual;
        (a + miss.abs(), s + miss)
    });
    MethodScore {
        method,
        ahead,
        wape: (actual > 0.0).then(|| absolute / actual),
        bias: (actual > 0.0).then(|| signed / actual),
    }
}

/// The revenue range the forecast gave at an instant for a period, and what the deals open
/// at that instant brought in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    /// Deals open at the instant: the pipeline the range was drawn from.
    pub open_deals: usize,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    /// Revenue of those deals won within the period.
    pub actual: f64,
}

impl Band {
    /// How far the actual fell outside P10–P90 (0 inside it).
    pub fn outside(&self) -> f64 {
        (self.p10 - self.actual)
            .max(self.actual - self.p90)
            .max(0.0)
    }
}

/// The forecast's P10–P90 range for `[from, to)` as the product made it at `from` (the
/// pipeline open then, each deal's latest score then, else its stage's probability), and
/// the revenue those deals were won for within the period.
pub fn band(store: &Store, from: NaiveDateTime, to: NaiveDateTime) -> Result<Band, ForecastError> {
    let open = features::standings_at(store, from)?;
    let scores = store.latest_scores(Some(from))?;
    let range = simulate::months_of(store, from, &open, &scores, &[from, to], &[])?;
    let won = won_deals(store)?;
    let actual = open
        .iter()
        .filter_map(|deal| won.get(&deal.deal_id))
        .filter(|(closed, _)| from <= *closed && *closed < to)
        .map(|(_, amount)| amount)
        .sum();
    let range = range.first();
    Ok(Band {
        open_deals: open.len(),
        p10: range.map_or(0.0, |r| r.p10),
        p50: range.map_or(0.0, |r| r.p50),
        p90: range.map_or(0.0, |r| r.p90),
        actual,
    })
}

/// Won deals: (closed at, amount) by id.
fn won_deals(store: &Store) -> Result<HashMap<i64, (NaiveDateTime, f64)>, ForecastError> {
    Ok(store
        .won_deals()?
        .into_iter()
        .filter_map(|w| {
            let closed = chrono::DateTime::from_timestamp_micros(w.closed_at)?.naive_utc();
            Some((w.id, (closed, w.amount.unwrap_or(0.0))))
        })
        .collect())
}

fn at_instant(
    store: &Store,
    at: NaiveDateTime,
    months: u32,
    won: &HashMap<i64, (NaiveDateTime, f64)>,
) -> Result<Vec<MonthRow>, ForecastError> {
    let (report, scorer) = train::train(store, at)?;
    let open = features::at(store, at)?;
    let first = NaiveDate::from_ymd_opt(at.year(), at.month(), 1).expect("day 1 exists");
    let starts: Vec<NaiveDate> = (0..=months).map(|i| first + Months::new(i)).collect();
    let bounds: Vec<NaiveDateTime> = starts
        .iter()
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight"))
        .collect();
    let probabilities: HashMap<i64, f64> = open
        .iter()
        .map(|f| {
            let p = scorer
                .as_ref()
                .map_or(f.stage_probability, |s| s.probability(f));
            (f.deal_id, p)
        })
        .collect();
    let standings: Vec<_> = open.iter().map(DealFeatures::standing).collect();
    let ranges = simulate::months_of(store, at, &standings, &probabilities, &bounds, &[])?;
    let month_of = |date: NaiveDate| {
        // An overdue expected close date counts in the first month.
        let date = date.max(first);
        starts.windows(2).position(|w| w[0] <= date && date < w[1])
    };
    let count = months as usize;
    let (mut stage, mut model, mut actual) = (vec![0.0; count], vec![0.0; count], vec![0.0; count]);
    for deal in &open {
        let amount = deal.amount.unwrap_or(0.0);
        if let Some(month) = deal.expected_close_date.and_then(month_of) {
            stage[month] += amount * deal.stage_probability;
            model[month] += amount * probabilities[&deal.deal_id];
        }
        if let Some((closed, won_amount)) = won.get(&deal.deal_id)
            && let Some(month) = bounds
                .windows(2)
                .position(|w| w[0] <= *closed && *closed < w[1])
        {
            actual[month] += won_amount;
        }
    }
    Ok((0..count)
        .map(|i| MonthRow {
            at: at.to_string(),
            month: starts[i].to_string(),
            ahead: i as u32 + 1,
            model_used: report.used,
            actual: actual[i],
            stage_weighted: stage[i],
            model_weighted: model[i],
            expected: ranges[i].expected,
            p10: ranges[i].p10,
            p50: ranges[i].p50,
            p90: ranges[i].p90,
        })
        .collect())
}
