//! `embudo bench forecast`: the win-probability model against the generated future.
//!
//! A business is generated up to a fixed `now`; its truth file says how every deal open at
//! `now` really ends. The model is trained on what closed by `now`, scores the open deals,
//! and is judged against those endings beside the stages' own probabilities: AUC, Brier
//! score and the reliability table. Then the backtest, a business without signal (the model
//! must decline), scoring a pipeline of a million open deals (the open deals copied), and
//! the same judgement over fifteen runs — five seeds, each at the ends of March, June and
//! October — since one business at one instant proves little.

use super::bench::figure;
use super::generate::generate;
use crate::config::Config;
use anyhow::Result;
use chrono::{NaiveDate, NaiveDateTime};
use embudo_forecast::{backtest, features, score, skill, train};
use embudo_model::Table;
use embudo_store::Store;
use embudo_store::bulk::LoadMode;
use embudo_synth::{Params, Scale};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Instant;

/// Open deals the scoring benchmark scores.
const SCORED_DEALS: usize = 1_000_000;

/// Reliability bins are judged only where they hold at least this many deals.
const BIN_DEALS: usize = 100;

/// Figures tables: timings, accuracy against the future, the reliability table, backtest.
pub fn figures(config: &Config, scale: Scale, now: NaiveDateTime) -> Result<Vec<Table>> {
    let dir = tempfile::tempdir()?;
    let mut timings = Vec::new();
    let path = dir.path().join("forecast.duckdb");
    let mut store = Store::open(&path)?;
    super::hint(config, format_args!("Generating the {scale} scale…"));
    let generated = generate(
        &mut store,
        &params(scale, 1, now, true),
        LoadMode::Append,
        true,
    )?;
    let outcomes = outcomes(&generated.truth);

    super::hint(config, "Training and scoring…");
    let started = Instant::now();
    let (report, scorer) = train::train(&store, now)?;
    timings.push(figure(
        "train and judge the model".into(),
        Some((report.train.won + report.train.lost) as u64),
        started.elapsed().as_secs_f64(),
    ));
    let started = Instant::now();
    let scored = score::score(&store, now, scorer.as_ref())?;
    timings.push(figure(
        "score the open deals".into(),
        Some(scored as u64),
        started.elapsed().as_secs_f64(),
    ));
    let accuracy = accuracy(&store, now, &outcomes, report.used)?;

    super::hint(config, "Backtesting…");
    let started = Instant::now();
    let instants = backtest::default_instants(now);
    let backtest = backtest::run(&store, &instants, 3)?;
    timings.push(figure(
        format!("backtest from {} instants, 3 months each", instants.len()),
        None,
        started.elapsed().as_secs_f64(),
    ));

    super::hint(config, "Generating a business without signal…");
    let mut noise = Store::open(dir.path().join("no-signal.duckdb"))?;
    generate(
        &mut noise,
        &params(scale, 1, now, false),
        LoadMode::Append,
        true,
    )?;
    let (no_signal, _) = train::train(&noise, now)?;
    drop(noise);

    super::hint(
        config,
        format_args!("Copying open deals to {SCORED_DEALS} and scoring them…"),
    );
    let open = copy_open_deals(&store, now, SCORED_DEALS)?;
    let started = Instant::now();
    let scored = score::score(&store, now, scorer.as_ref())?;
    timings.push(figure(
        format!("score {open} open deals (read features, score, store)"),
        Some(scored as u64),
        started.elapsed().as_secs_f64(),
    ));

    let mut summary = accuracy.summary;
    summary.extend(backtest_rows(&backtest));
    summary.push(vec![
        json!("model used on data without signal"),
        json!(no_signal.used),
        json!(null),
        json!("stage"),
    ]);
    Ok(vec![
        super::bench::figures_table(timings),
        Table {
            columns: ["measure", "model", "stages", "target"]
                .map(String::from)
                .to_vec(),
            rows: summary,
        },
        accuracy.reliability,
        runs(config, scale)?,
    ])
}

/// Whether each deal open at the truth's `now` is won in the end, by id.
fn outcomes(truth: &embudo_synth::Truth) -> HashMap<i64, bool> {
    truth
        .future
        .deals
        .iter()
        .map(|deal| (deal.id, deal.outcome == "won"))
        .collect()
}

/// The seeds of the judgement over many runs.
const RUN_SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// The instants of the judgement over many runs: the ends of March, June and October.
const RUN_INSTANTS: [&str; 3] = ["2026-03-31", "2026-06-30", "2026-10-31"];

/// The model judged where it is used, over many runs: for each seed and instant, a business
/// generated up to that instant, trained and scored then, the deals open then judged
/// against how the truth says they end, and the backtest from the four months before; the
/// last row pools every run's deals and months.
fn runs(config: &Config, scale: Scale) -> Result<Table> {
    let (mut rows, mut pooled, mut months, mut used) =
        (Vec::new(), Judged::default(), Vec::new(), 0);
    for seed in RUN_SEEDS {
        for day in RUN_INSTANTS {
            super::hint(config, format_args!("Judging seed {seed} at {day}…"));
            let now = NaiveDate::parse_from_str(day, "%Y-%m-%d")?
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists");
            let dir = tempfile::tempdir()?;
            let mut store = Store::open(dir.path().join("run.duckdb"))?;
            let params = params(scale, seed, now, true);
            let generated = generate(&mut store, &params, LoadMode::Append, true)?;
            let (report, scorer) = train::train(&store, now)?;
            score::score(&store, now, scorer.as_ref())?;
            let judged = Judged::read(&store, now, &outcomes(&generated.truth))?;
            let backtest = backtest::run(&store, &backtest::default_instants(now), 3)?;
            used += usize::from(report.used == "model");
            rows.push(run_row(
                format!("seed {seed}, {day}"),
                report.used,
                &judged,
                &backtest.months,
            ));
            pooled.extend(judged);
            months.extend(backtest.months);
        }
    }
    let runs = RUN_SEEDS.len() * RUN_INSTANTS.len();
    rows.push(run_row(
        "all runs".into(),
        &format!("model in {used} of {runs}"),
        &pooled,
        &months,
    ));
    let columns = [
        "run",
        "probabilities",
        "open deals",
        "won",
        "predicted",
        "AUC",
        "AUC stages",
        "Brier",
        "Brier stages",
        "Brier ÷ stages",
        "worst bin gap",
        "by chance (95%)",
        "WAPE expected",
        "WAPE model-weighted",
        "WAPE stage-weighted",
    ];
    Ok(Table {
        columns: columns.map(String::from).to_vec(),
        rows,
    })
}

/// One run's figures (or the pooled ones): the open deals' win rate against the mean
/// probability, AUC and Brier score of the model and of the stages, the worst reliability
/// gap, and the backtest's WAPE per method over its months.
fn run_row(run: String, used: &str, judged: &Judged, months: &[backtest::MonthRow]) -> Vec<Value> {
    let round = |x: Option<f64>| x.map(|v| (v * 1000.0).round() / 1000.0);
    let brier = skill::brier(&judged.model, &judged.wins);
    let stages = skill::brier(&judged.stages, &judged.wins);
    let actual: f64 = months.iter().map(|m| m.actual).sum();
    let wape = |forecast: fn(&backtest::MonthRow) -> f64| {
        (actual > 0.0).then(|| {
            months
                .iter()
                .map(|m| (forecast(m) - m.actual).abs())
                .sum::<f64>()
                / actual
        })
    };
    vec![
        json!(run),
        json!(used),
        json!(judged.wins.len()),
        json!(round(judged.observed())),
        json!(round(Judged::mean(&judged.model))),
        json!(round(skill::auc(&judged.model, &judged.wins))),
        json!(round(skill::auc(&judged.stages, &judged.wins))),
        json!(round(brier)),
        json!(round(stages)),
        json!(round(brier.zip(stages).map(|(b, s)| b / s))),
        json!(round(judged.worst_gap())),
        json!(round(judged.chance_gap())),
        json!(round(wape(|m| m.expected))),
        json!(round(wape(|m| m.model_weighted))),
        json!(round(wape(|m| m.stage_weighted))),
    ]
}

fn params(scale: Scale, seed: u64, now: NaiveDateTime, signal: bool) -> Params {
    Params {
        scale,
        seed,
        now,
        defect_rate: 0.05,
        signal,
    }
}

struct Accuracy {
    summary: Vec<Vec<Value>>,
    reliability: Table,
}

/// The deals open at an instant, each with its stored score, its stage's probability and
/// how the truth says it ends.
#[derive(Default)]
struct Judged {
    model: Vec<f64>,
    stages: Vec<f64>,
    wins: Vec<bool>,
}

impl Judged {
    /// The stored scores of the deals open at `now` against how the truth says they end.
    fn read(store: &Store, now: NaiveDateTime, outcomes: &HashMap<i64, bool>) -> Result<Judged> {
        let scores = store.scores_at(now)?;
        let mut judged = Judged::default();
        for deal in features::at(store, now)? {
            if let (Some(won), Some(p)) = (outcomes.get(&deal.deal_id), scores.get(&deal.deal_id)) {
                judged.model.push(*p);
                judged.stages.push(deal.stage_probability);
                judged.wins.push(*won);
            }
        }
        Ok(judged)
    }

    fn extend(&mut self, other: Judged) {
        self.model.extend(other.model);
        self.stages.extend(other.stages);
        self.wins.extend(other.wins);
    }

    /// The largest gap between predicted and observed in the bins holding enough deals.
    fn worst_gap(&self) -> Option<f64> {
        skill::worst_gap(&self.model, &self.wins, BIN_DEALS)
    }

    /// The worst gap a perfectly calibrated model would stay under 95% of the time on
    /// these deals.
    fn chance_gap(&self) -> Option<f64> {
        skill::chance_worst_gap(&self.model, BIN_DEALS, 0.95)
    }

    fn mean(values: &[f64]) -> Option<f64> {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    }

    fn observed(&self) -> Option<f64> {
        let wins: Vec<f64> = self.wins.iter().map(|&w| f64::from(u8::from(w))).collect();
        Judged::mean(&wins)
    }
}

/// The stored scores of the deals open at `now` against how the truth says they end.
fn accuracy(
    store: &Store,
    now: NaiveDateTime,
    outcomes: &HashMap<i64, bool>,
    used: &str,
) -> Result<Accuracy> {
    let judged = Judged::read(store, now, outcomes)?;
    let Judged {
        model,
        stages,
        wins,
    } = &judged;
    let round = |x: Option<f64>| x.map(|v| (v * 1000.0).round() / 1000.0);
    let (brier, baseline) = (skill::brier(model, wins), skill::brier(stages, wins));
    let bins = skill::reliability(model, wins);
    let worst_gap = judged.worst_gap();
    let summary = vec![
        vec![
            json!(format!(
                "open deals judged (won {})",
                wins.iter().filter(|w| **w).count()
            )),
            json!(wins.len()),
            json!(null),
            json!(null),
        ],
        vec![
            json!("probabilities in use"),
            json!(used),
            json!(null),
            json!("model"),
        ],
        vec![
            json!("AUC against the future"),
            json!(round(skill::auc(model, wins))),
            json!(round(skill::auc(stages, wins))),
            json!("≥ 0.80"),
        ],
        vec![
            json!("Brier score against the future"),
            json!(round(brier)),
            json!(round(baseline)),
            json!("≥ 15% below the stages'"),
        ],
        vec![
            json!("Brier score below the stages'"),
            json!(
                brier
                    .zip(baseline)
                    .map(|(b, s)| format!("{:.1}%", (1.0 - b / s) * 100.0))
            ),
            json!(null),
            json!("≥ 15%"),
        ],
        vec![
            json!(format!(
                "worst reliability gap, bins of ≥ {BIN_DEALS} deals"
            )),
            json!(round(worst_gap)),
            json!(null),
            json!("≤ 0.07"),
        ],
        vec![
            json!("the same, 95% of a perfectly calibrated model's by chance"),
            json!(round(judged.chance_gap())),
            json!(null),
            json!(null),
        ],
    ];
    let reliability = Table {
        columns: ["probability", "deals", "predicted", "observed"]
            .map(String::from)
            .to_vec(),
        rows: bins
            .iter()
            .map(|bin| {
                vec![
                    json!(format!("{:.1}–{:.1}", bin.from, bin.to)),
                    json!(bin.deals),
                    json!(round(bin.predicted)),
                    json!(round(bin.observed)),
                ]
            })
            .collect(),
    };
    Ok(Accuracy {
        summary,
        reliability,
    })
}

fn backtest_rows(backtest: &backtest::Backtest) -> Vec<Vec<Value>> {
    let wape = |method: &str| {
        backtest
            .methods
            .iter()
            .find(|m| m.method == method && m.ahead.is_none())
            .and_then(|m| m.wape)
            .map(|w| (w * 1000.0).round() / 1000.0)
    };
    let mut rows: Vec<Vec<Value>> = ["expected", "model_weighted", "monte_carlo_p50"]
        .into_iter()
        .map(|method| {
            vec![
                json!(format!("backtest WAPE: {method} vs stage_weighted")),
                json!(wape(method)),
                json!(wape("stage_weighted")),
                json!(if method == "expected" {
                    "below the stages'"
                } else {
                    ""
                }),
            ]
        })
        .collect();
    rows.push(vec![
        json!("backtest months within P10–P90"),
        json!(
            backtest
                .coverage
                .map(|c| format!("{:.0}% of {}", c * 100.0, backtest.months.len()))
        ),
        json!(null),
        json!("about 80%"),
    ]);
    rows
}

/// Copy the deals open at `now` — with their stage history, changes and activities, under
/// new ids — until at least `wanted` are open; returns how many are.
fn copy_open_deals(store: &Store, now: NaiveDateTime, wanted: usize) -> Result<usize> {
    let open = features::at(store, now)?.len().max(1);
    let copies = wanted.div_ceil(open);
    store.copy_open_deals(now, u32::try_from(copies - 1)?)?;
    Ok(open * copies)
}
