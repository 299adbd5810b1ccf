//! Monte Carlo revenue ranges: the open pipeline played out many times.
//!
//! In each run every deal open at the instant is won with its probability (its latest score,
//! else its stage's), and a won deal closes after a time drawn from the history of similar
//! deals ([`Timing`]): when past winners that stood as it stands now went on to close. The
//! runs give each month's P10, P50 and P90 of revenue, seeded so a report reads the same
//! twice, and the expected revenue — each deal's amount × probability × chance of closing in
//! the month — which the runs' mean approaches. Each deal's month is worked out once as a
//! distribution, so a run costs one draw per deal.

use crate::ForecastError;
use crate::features::{self, Standing};
use crate::timing::Timing;
use chrono::NaiveDateTime;
use embudo_store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashMap;

/// Runs of a simulation.
pub const RUNS: usize = 10_000;

/// Deals times runs a simulation may play (0.53 s on two cores for 100k open deals at a mean
/// probability of 0.28). A pipeline so large that 10,000 runs would exceed it gets fewer
/// runs, never under 1,000: the quantiles of a sum of tens of thousands of deals settle
/// long before.
const DRAWS: usize = 200_000_000;

/// The seed, fixed so that the same store gives the same ranges.
const SEED: u64 = 20_261_127;

/// One month's simulated revenue from the deals open at the instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRange {
    /// Runs the range comes from.
    pub runs: usize,
    /// The expected revenue: Σ amount × probability × chance of closing in the month.
    pub expected: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    /// The share of runs reaching `target` (with revenue already won added), when given.
    pub reach: Option<f64>,
}

/// A deal as the simulation sees it.
#[derive(Debug, Clone)]
struct Deal {
    amount: f64,
    probability: f64,
    /// The chance, if won, of closing in each month or before it (cumulative), from the
    /// closing times of similar deals: one draw then picks both the outcome and the month.
    by_month: Vec<f64>,
}

/// Simulate the deals open at `at` over the months bounded by `bounds` (UTC instants, one
/// more than the months). `targets[i]`, when given, is month i's revenue goal less what is
/// already won in it.
pub fn months(
    store: &Store,
    at: NaiveDateTime,
    bounds: &[NaiveDateTime],
    targets: &[Option<f64>],
) -> Result<Vec<MonthRange>, ForecastError> {
    let open = features::standings_at(store, at)?;
    let scores = store.latest_scores(Some(at))?;
    months_of(store, at, &open, &scores, bounds, targets)
}

/// [`months`] for the deals `open` at `at` (as they stood then), each won with its
/// probability in `probabilities` (else its stage's) — a backtest's pipeline and model of
/// the time.
pub fn months_of(
    store: &Store,
    at: NaiveDateTime,
    open: &[Standing],
    probabilities: &HashMap<i64, f64>,
    bounds: &[NaiveDateTime],
    targets: &[Option<f64>],
) -> Result<Vec<MonthRange>, ForecastError> {
    let deals = deals(store, at, open, probabilities, bounds)?;
    let months = bounds.len().saturating_sub(1);
    let runs = RUNS.min((DRAWS / deals.len().max(1)).max(1_000));
    // Two fixed streams of half the runs each, on two threads where there are two cores:
    // the same totals whatever the machine.
    let halves: Vec<Vec<Vec<f64>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = [SEED, SEED + 1]
            .map(|seed| {
                scope.spawn({
                    let deals = &deals;
                    move || play(deals, months, runs / 2, seed)
                })
            })
            .into_iter()
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a simulation thread panicked"))
            .collect()
    });
    let mut totals = vec![Vec::with_capacity(runs); months];
    for half in halves {
        for (month, month_totals) in half.into_iter().enumerate() {
            totals[month].extend(month_totals);
        }
    }
    let expected: Vec<f64> = (0..months)
        .map(|month| {
            deals
                .iter()
                .map(|deal| {
                    let before = month.checked_sub(1).map_or(0.0, |m| deal.by_month[m]);
                    deal.amount * deal.probability * (deal.by_month[month] - before)
                })
                .sum()
        })
        .collect();
    Ok(totals
        .into_iter()
        .enumerate()
        .map(|(month, mut outcomes)| {
            outcomes.sort_by(f64::total_cmp);
            let n = outcomes.len();
            let quantile = |q: f64| outcomes[((n - 1) as f64 * q).round() as usize];
            let reach = targets.get(month).copied().flatten().map(|target| {
                outcomes.iter().filter(|total| **total >= target).count() as f64 / n as f64
            });
            MonthRange {
                runs: n,
                expected: expected[month],
                p10: quantile(0.1),
                p50: quantile(0.5),
                p90: quantile(0.9),
                reach,
            }
        })
        .collect())
}

/// A deal more likely than this to add to a run is drawn run by run (one draw a run, no
/// logarithm); a less likely one skips to the runs it adds to (a draw, a logarithm and a
/// second draw each), which on this machine costs more from about this chance up.
const RUN_BY_RUN_ABOVE: f64 = 0.15;

/// `runs` runs of `deals` from one seeded stream: each month's total, run by run.
fn play(deals: &[Deal], months: usize, runs: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // One more row than months: a run by run draw that adds nothing adds there, unbranched.
    let mut totals = vec![vec![0.0; runs]; months + 1];
    for deal in deals {
        let within_months = *deal.by_month.last().expect("a deal has months");
        let chance = (deal.probability * within_months).min(1.0);
        if chance > RUN_BY_RUN_ABOVE {
            run_by_run(deal, &mut totals, &mut rng);
        } else if chance > 0.0 {
            skipping(deal, chance, &mut totals, &mut rng);
        }
    }
    totals.truncate(months);
    totals
}

/// One draw a run: below the k-th threshold, the deal is won and closes by month k; at or
/// above the last, it adds nothing (the row after the months).
fn run_by_run(deal: &Deal, totals: &mut [Vec<f64>], rng: &mut ChaCha8Rng) {
    let won = deal.probability.min(1.0);
    let thresholds: Vec<f64> = deal.by_month.iter().map(|c| won * c).collect();
    for run in 0..totals[0].len() {
        let u: f64 = rng.random();
        let month = thresholds.iter().filter(|t| u >= **t).count();
        totals[month][run] += deal.amount;
    }
}

/// The runs the deal adds to (won and closed within the months) found by skipping the
/// others: their number before the next is geometric, and one draw gives it, a second the
/// month. A deal with a 5 % chance takes 0.1 draws a run where drawing run by run takes one.
fn skipping(deal: &Deal, chance: f64, totals: &mut [Vec<f64>], rng: &mut ChaCha8Rng) {
    let runs = totals[0].len();
    let within_months = *deal.by_month.last().expect("a deal has months");
    // 1 / ln of the chance of a miss: a huge negative for a chance so small that 1 − chance
    // rounds to 1 (ln_1p keeps it from being 0), which then skips every run.
    let per_log_miss = 1.0 / (-chance).ln_1p();
    let mut run = 0usize;
    loop {
        // 1 − u is in (0, 1]: its logarithm is finite, the product 0 or more, and the cast
        // to an integer rounds it down (saturating where it is huge).
        let u: f64 = rng.random();
        let misses = (1.0 - u).ln() * per_log_miss;
        run = run.saturating_add(misses as usize);
        if run >= runs {
            break;
        }
        // The month, given that the win closes within the months.
        let when = rng.random::<f64>() * within_months;
        let month = deal
            .by_month
            .iter()
            .position(|cumulative| when < *cumulative)
            // Rounding can make `when` the total itself: the month that reaches it.
            .unwrap_or_else(|| deal.by_month.partition_point(|c| *c < within_months));
        totals[month][run] += deal.amount;
        run += 1;
    }
}

/// The open deals with their probabilities and when, if won, they would close.
fn deals(
    store: &Store,
    at: NaiveDateTime,
    open: &[Standing],
    probabilities: &HashMap<i64, f64>,
    bounds: &[NaiveDateTime],
) -> Result<Vec<Deal>, ForecastError> {
    let timing = Timing::read(store, at)?;
    Ok(open
        .iter()
        .filter_map(|f| {
            let by_month: Vec<f64> = timing
                .shares(f, at, bounds)
                .into_iter()
                .scan(0.0, |cumulative, share| {
                    *cumulative += share;
                    Some(*cumulative)
                })
                .collect();
            if by_month.last().is_none_or(|total| *total <= 0.0) {
                // Never closes within the months: it cannot change a total.
                return None;
            }
            Some(Deal {
                amount: f.amount.unwrap_or(0.0),
                probability: probabilities
                    .get(&f.deal_id)
                    .copied()
                    .unwrap_or(f.stage_probability),
                by_month,
            })
        })
        .collect())
}
