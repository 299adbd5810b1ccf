//! `embudo bench forecast`: the win-probability model against the generated future.
//!
//! A business is generated up to a fixed `now`; its truth file says how every deal open at
//! `now` really ends. The model is trained on what closed by `now`, scores the open deals,
//! and is judged against those endings beside the stages' own probabilities: AUC, Brier
//! score and the reliability table. Then the backtest, a business without signal (the model
//! must decline), and scoring a pipeline of a million open deals (the open deals copied).

use super::bench::figure;
use super::generate::generate;
use crate::config::Config;
use anyhow::Result;
use chrono::NaiveDateTime;
use embudo_forecast::{backtest, features, score, skill, train};
use embudo_model::Table;
use embudo_store::bulk::LoadMode;
use embudo_store::{Param, Store};
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
        &params(scale, now, true),
        LoadMode::Append,
        true,
    )?;
    let outcomes: HashMap<i64, bool> = generated
        .truth
        .future
        .deals
        .iter()
        .map(|deal| (deal.id, deal.outcome == "won"))
        .collect();

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
        &params(scale, now, false),
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
    ])
}

fn params(scale: Scale, now: NaiveDateTime, signal: bool) -> Params {
    Params {
        scale,
        seed: 1,
        now,
        defect_rate: 0.05,
        signal,
    }
}

struct Accuracy {
    summary: Vec<Vec<Value>>,
    reliability: Table,
}

/// The stored scores of the deals open at `now` against how the truth says they end.
fn accuracy(
    store: &Store,
    now: NaiveDateTime,
    outcomes: &HashMap<i64, bool>,
    used: &str,
) -> Result<Accuracy> {
    let scores = store.query_with(
        "SELECT deal_id, probability FROM deal_scores WHERE scored_at = ?",
        &[Param::Timestamp(now)],
    )?;
    let scores: HashMap<i64, f64> = scores
        .rows
        .iter()
        .filter_map(|r| Some((r[0].as_i64()?, r[1].as_f64()?)))
        .collect();
    let (mut model, mut stages, mut wins) = (Vec::new(), Vec::new(), Vec::new());
    for deal in features::at(store, now)? {
        if let (Some(won), Some(p)) = (outcomes.get(&deal.deal_id), scores.get(&deal.deal_id)) {
            model.push(*p);
            stages.push(deal.stage_probability);
            wins.push(*won);
        }
    }
    let round = |x: Option<f64>| x.map(|v| (v * 1000.0).round() / 1000.0);
    let (brier, baseline) = (skill::brier(&model, &wins), skill::brier(&stages, &wins));
    let bins = skill::reliability(&model, &wins);
    let worst_gap = bins
        .iter()
        .filter(|bin| bin.deals >= BIN_DEALS)
        .filter_map(|bin| Some((bin.predicted? - bin.observed?).abs()))
        .fold(None, |worst: Option<f64>, gap| {
            Some(worst.map_or(gap, |w| w.max(gap)))
        });
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
            json!(round(skill::auc(&model, &wins))),
            json!(round(skill::auc(&stages, &wins))),
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
    let copies = wanted.div_ceil(open) as i64;
    // Each copy's ids are the originals' plus a multiple of this, above any id in use.
    let offset = 1_000_000_000_i64;
    let params = [
        Param::Timestamp(now),
        Param::Int(copies),
        Param::Int(offset),
    ];
    let open_ids =
        "SELECT id FROM deals WHERE created_at <= $1 AND (closed_at IS NULL OR closed_at > $1)";
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
        store.execute_with(&sql, &params)?;
    }
    Ok(open * copies as usize)
}
