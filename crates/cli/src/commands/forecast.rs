//! `embudo forecast`: win probabilities learned from the business's own deals.

use crate::cli::{DealCommand, ForecastArgs, ForecastCommand, Format};
use crate::config::Config;
use crate::output;
use anyhow::{Result, bail};
use embudo_forecast::score;
use embudo_forecast::train::{self, TrainReport};
use embudo_forecast::{backtest, explain};
use embudo_model::Table;
use embudo_store::Store;
use serde_json::json;

pub fn run(config: &Config, args: &ForecastArgs) -> Result<()> {
    match &args.command {
        None => outlook(config, args),
        Some(ForecastCommand::Backtest { at, months }) => backtest(config, at, *months),
        Some(ForecastCommand::Train { at }) => {
            let at = super::instant(config, at.as_deref())?;
            let store = Store::open(&config.db)?;
            let (report, scorer) = train::train(&store, at)?;
            let scored = score::score(&store, at, scorer.as_ref())?;
            print(config, &report)?;
            super::hint(
                config,
                format!(
                    "{scored} open deals scored into deal_scores ({})",
                    scorer
                        .as_ref()
                        .map_or(score::STAGE_VERSION, |s| s.version.as_str())
                ),
            );
            Ok(())
        }
    }
}

/// The forecast report's months: what the open pipeline will bring.
fn outlook(config: &Config, args: &ForecastArgs) -> Result<()> {
    let store = Store::open_read_only(&config.db)?;
    let report = months(&store, config, &args.options)?;
    super::report::write(&[report], false, config, None)
}

/// The forecast report with its monthly section only.
pub fn months(
    store: &Store,
    config: &Config,
    options: &crate::cli::ReportOptions,
) -> Result<embudo_reports::Report> {
    let ctx = super::report::context(store, config, options)?;
    let mut report = embudo_reports::build(&ctx, "forecast")?;
    report.sections.retain(|section| section.name == "by_month");
    Ok(report)
}

fn print(config: &Config, report: &TrainReport) -> Result<()> {
    if config.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    let round = |x: Option<f64>| x.map(|v| (v * 1000.0).round() / 1000.0);
    let pipeline = &report.test.open_at_cutoff;
    let table = Table {
        columns: vec!["measure".into(), "model".into(), "stages".into()],
        rows: vec![
            vec![
                json!("AUC"),
                json!(round(report.test.auc)),
                json!(round(report.test.baseline_auc)),
            ],
            vec![
                json!("Brier score"),
                json!(round(report.test.brier)),
                json!(round(report.test.baseline_brier)),
            ],
            vec![
                json!("AUC, deals open at the cut-off"),
                json!(round(pipeline.auc)),
                json!(round(pipeline.baseline_auc)),
            ],
            vec![
                json!("Brier score, deals open at the cut-off"),
                json!(round(pipeline.brier)),
                json!(round(pipeline.baseline_brier)),
            ],
            vec![
                json!("mean probability, deals open at the cut-off"),
                json!(round(pipeline.predicted)),
                json!(null),
            ],
            vec![
                json!("share of them won by now"),
                json!(round(pipeline.observed)),
                json!(null),
            ],
        ],
    };
    output::print(&table, config.format)?;
    if !report.reliability.is_empty() {
        output::print(&reliability_table(report), config.format)?;
    }
    super::hint(
        config,
        format!(
            "forecasts use the {} probabilities: {} (trained on {} won and {} lost deals, {} looks, {} more still open within their year; tested on {} deals, {} snapshots)",
            report.used,
            report.reason,
            report.train.won,
            report.train.lost,
            report.train.looks,
            report.train.censored,
            report.test.deals,
            report.test.n
        ),
    );
    Ok(())
}

/// The model's and the stages' reliability bins side by side: in each, how many test rows,
/// the mean probability and the share won.
fn reliability_table(report: &TrainReport) -> Table {
    let round = |x: Option<f64>| x.map(|v| (v * 1000.0).round() / 1000.0);
    Table {
        columns: [
            "probability",
            "model rows",
            "model predicted",
            "model observed",
            "stage rows",
            "stage predicted",
            "stage observed",
        ]
        .map(String::from)
        .to_vec(),
        rows: report
            .reliability
            .iter()
            .zip(&report.baseline_reliability)
            .map(|(model, stage)| {
                vec![
                    json!(format!("{:.1}–{:.1}", model.from, model.to)),
                    json!(model.deals),
                    json!(round(model.predicted)),
                    json!(round(model.observed)),
                    json!(stage.deals),
                    json!(round(stage.predicted)),
                    json!(round(stage.observed)),
                ]
            })
            .collect(),
    }
}

fn backtest(config: &Config, at: &[String], months: u32) -> Result<()> {
    let store = Store::open_read_only(&config.db)?;
    let instants: Vec<chrono::NaiveDateTime> = if at.is_empty() {
        backtest::default_instants(chrono::Utc::now().naive_utc())
    } else {
        at.iter()
            .map(|t| super::instant(config, Some(t)))
            .collect::<Result<_>>()?
    };
    let result = backtest::run(&store, &instants, months)?;
    if config.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    let round = |x: f64| x.round();
    let table = Table {
        columns: [
            "from",
            "month",
            "actual",
            "stage_weighted",
            "model_weighted",
            "expected",
            "p10",
            "p50",
            "p90",
            "model",
        ]
        .map(String::from)
        .to_vec(),
        rows: result
            .months
            .iter()
            .map(|r| {
                vec![
                    json!(r.at),
                    json!(r.month),
                    json!(round(r.actual)),
                    json!(round(r.stage_weighted)),
                    json!(round(r.model_weighted)),
                    json!(round(r.expected)),
                    json!(round(r.p10)),
                    json!(round(r.p50)),
                    json!(round(r.p90)),
                    json!(r.model_used),
                ]
            })
            .collect(),
    };
    output::print(&table, config.format)?;
    let thousandths = |x: Option<f64>| x.map(|v| (v * 1000.0).round() / 1000.0);
    let scores = Table {
        columns: ["method", "months ahead", "WAPE", "bias"]
            .map(String::from)
            .to_vec(),
        rows: result
            .methods
            .iter()
            .map(|m| {
                vec![
                    json!(m.method),
                    m.ahead.map_or(json!("all"), |n| json!(n)),
                    json!(thousandths(m.wape)),
                    json!(thousandths(m.bias)),
                ]
            })
            .collect(),
    };
    output::print(&scores, config.format)?;
    if let Some(coverage) = result.coverage {
        super::hint(
            config,
            format!("{:.0}% of months fell within P10–P90", coverage * 100.0),
        );
    }
    Ok(())
}

pub fn deal(config: &Config, command: &DealCommand) -> Result<()> {
    let DealCommand::Explain { id, at } = command;
    let at = super::instant(config, at.as_deref())?;
    let store = Store::open_read_only(&config.db)?;
    let Some(explanation) = explain::explain(&store, *id, at)? else {
        bail!("deal {id} is not open at {at}: only open deals have a win probability");
    };
    if config.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&explanation)?);
        return Ok(());
    }
    println!(
        "Deal {id}: {:.1}% likely to be won ({})",
        explanation.probability * 100.0,
        if explanation.source == "model" {
            "the model of the last `embudo forecast train`"
        } else {
            "its stage's probability: no model in use"
        }
    );
    if !explanation.factors.is_empty() {
        let rows = explanation
            .factors
            .iter()
            .map(|f| {
                vec![
                    json!(embudo_reports::i18n::factor(
                        &f.factor,
                        &f.value,
                        &config.lang
                    )),
                    json!((f.contribution * 100.0).round() / 100.0),
                ]
            })
            .collect();
        let table = Table {
            columns: vec!["factor".into(), "contribution to the log-odds".into()],
            rows,
        };
        output::print(&table, config.format)?;
    }
    for (action, probability) in &explanation.raise {
        println!("  {action}: {:.1}%", probability * 100.0);
    }
    Ok(())
}
