//! `embudo demo`: the README's first command.

use super::generate::generate;
use super::hint;
use super::sql::counts_table;
use crate::cli::DemoArgs;
use crate::cli::Format;
use crate::config::Config;
use crate::output;
use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate, SubsecRound};
use embudo_metrics::catalog::Unit;
use embudo_metrics::{Bound, Compare, Query};
use embudo_model::Table;
use embudo_reports::model::{Kind, display_in};
use embudo_store::Store;
use embudo_store::bulk::LoadMode;
use embudo_synth::{Params, Scale};
use serde_json::json;
use std::path::Path;

/// The `store_info` key and value that mark a file as the demo's own.
const ORIGIN_KEY: &str = "origin";
const DEMO_ORIGIN: &str = "demo";
const DEMO_SEED: u64 = 42;

/// Where the demo builds its store unless told.
pub const DEMO_DB: &str = "embudo-demo.duckdb";

pub fn run(config: &Config, args: &DemoArgs) -> Result<()> {
    let path = demo_path(config, args)?;
    let path = path.as_path();
    remove_previous_demo(path)?;
    let mut store = Store::open(path)?;
    store.set_info(ORIGIN_KEY, DEMO_ORIGIN)?;
    let params = Params {
        scale: Scale::Small,
        seed: DEMO_SEED,
        // One instant to the second for everything the demo does, so that the `--at` it
        // suggests gives back exactly what it showed (scores are stamped with it).
        now: chrono::Utc::now().naive_utc().trunc_subsecs(0),
        defect_rate: 0.05,
        signal: true,
    };
    let generated = generate(&mut store, &params, LoadMode::Append, config.quiet)?;
    heading(
        config,
        format_args!(
            "Embudo demo: a simulated business of three years up to now, with 5% deliberately \
             wrong records, in {} ({} rows in {:.1} s).\n",
            path.display(),
            generated.summary.total(),
            generated.elapsed.as_secs_f64()
        ),
    );
    output::print(&counts_table(&store)?, config.format)?;
    heading(
        config,
        "\nHeadline metrics, last complete month against the month before:",
    );
    output::print(
        &headlines(&store, config, params.now.date())?,
        config.format,
    )?;
    audit_summary(&store, config, params.now)?;
    forecast_summary(&store, config, params.now)?;
    write_report_pack(&store, config, path, params.now)?;
    let db = path.display();
    let month_start = last_month(params.now.date()).1;
    // The four whole quarters before this one, so the suggested split by quarter has no
    // quarter cut short by the range.
    let quarter_start = month_start - chrono::Months::new(month_start.month0() % 3);
    let quarters_from = quarter_start - chrono::Months::new(12);
    let now = params
        .now
        .and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let backtest_from = month_start - chrono::Months::new(3);
    let pack = path.with_file_name("embudo-report.html");
    let pack = pack.display();
    heading(
        config,
        format_args!(
            "\nNext, try:\n  \
             embudo --db {db} report pipeline   # any report; `embudo report list` names them\n  \
             open {pack}   # the fourteen reports with charts (xdg-open on Linux)\n  \
             embudo --db {db} tables\n  \
             embudo --db {db} sql \"SELECT lead_source, count(*) AS leads, count(customer_at) AS customers FROM contacts WHERE lead_at IS NOT NULL GROUP BY ALL ORDER BY leads DESC\"\n  \
             embudo --db {db} sql \"SELECT date_trunc('quarter', occurred_at) AS quarter, sum(amount) AS revenue FROM revenue_lines GROUP BY ALL ORDER BY quarter\" --format csv\n  \
             embudo --db {db} metrics --lang es\n  \
             embudo --db {db} metric close_rate --from {quarters_from} --to {quarter_start} --grain quarter --by lead_source\n  \
             embudo --db {db} forecast --months 6 --at {now}\n  \
             embudo --db {db} forecast backtest --at {backtest_from}\n  \
             embudo --db {db} export contacts -o contacts.csv\n  \
             embudo --db {db} user add \"You\" --email you@example.com --role admin   # prints a password\n  \
             embudo --db {db} serve        # then open http://127.0.0.1:8080/\n  \
             embudo --db mine.duckdb import contacts contacts.csv --dry-run\n  \
             embudo generate --scale medium --db big.duckdb --truth truth.json"
        ),
    );
    Ok(())
}

/// A heading of the demo's output: on standard output beside the tables it titles when they
/// are tables for people (so that saved output keeps its titles); a hint on standard error
/// in any other format, which a heading would corrupt.
fn heading(config: &Config, text: impl std::fmt::Display) {
    if config.format == Format::Table {
        println!("{text}");
    } else {
        hint(config, text);
    }
}

/// Delete an earlier demo store; refuse to touch any file the demo did not create.
fn remove_previous_demo(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let origin = Store::open_read_only(path)
        .and_then(|store| store.info(ORIGIN_KEY))
        .ok()
        .flatten();
    if origin.as_deref() != Some(DEMO_ORIGIN) {
        bail!(
            "{} exists and was not created by `embudo demo`; refusing to overwrite it (use --path for another file)",
            path.display()
        );
    }
    std::fs::remove_file(path)
        .with_context(|| format!("removing the old demo {}", path.display()))?;
    let wal = path.with_extension("duckdb.wal");
    if wal.exists() {
        std::fs::remove_file(&wal).with_context(|| format!("removing {}", wal.display()))?;
    }
    Ok(())
}

/// The demo's store: `--path`, else the `--db` of this command line, else [`DEMO_DB`]. The
/// store of `EMBUDO_DB` or `embudo.toml` is not the demo's: it is someone's data.
fn demo_path(config: &Config, args: &DemoArgs) -> Result<std::path::PathBuf> {
    match (&args.path, &config.db_flag) {
        (Some(path), Some(db)) if path != db => bail!(
            "demo was given two stores, --path {} and --db {}: give one",
            path.display(),
            db.display()
        ),
        (Some(path), _) | (None, Some(path)) => Ok(path.clone()),
        (None, None) => Ok(DEMO_DB.into()),
    }
}

/// The demo's headline metrics.
const HEADLINES: &[&str] = &[
    "revenue",
    "new_customers",
    "deals_won",
    "close_rate",
    "avg_deal_size",
    "open_opportunities",
    "sla_compliance",
    "web_visits",
];

/// The first day of the last complete month before `today`, and of the month after it.
fn last_month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let this_month = today.with_day(1).expect("day 1 exists");
    (this_month - chrono::Months::new(1), this_month)
}

/// Each headline metric over the last complete month with its previous-period change.
fn headlines(store: &Store, config: &Config, today: NaiveDate) -> Result<Table> {
    let (from, to) = last_month(today);
    let mut rows = Vec::new();
    for name in HEADLINES {
        let query = Query {
            metric: (*name).to_owned(),
            from: Bound::Day(from),
            to: Bound::Day(to),
            grain: None,
            by: Vec::new(),
            filters: Vec::new(),
            compare: Some(Compare::PreviousPeriod),
        };
        let result = embudo_metrics::run(store, &config.calendar, &query, &config.lang)?;
        let row = &result.rows[0];
        let places = if result.unit == Unit::Ratio { 4 } else { 2 };
        let round =
            |x: Option<f64>| x.map(|x| (x * 10f64.powi(places)).round() / 10f64.powi(places));
        // People read money grouped and ratios as percentages; CSV and JSON keep numbers.
        let figure = |x: Option<f64>| match config.format {
            Format::Table => {
                json!(x.map(|x| display_in(&json!(x), Kind::of(result.unit), &config.lang)))
            }
            _ => json!(round(x)),
        };
        rows.push(vec![
            json!(result.label),
            figure(row.value),
            figure(row.previous),
            json!(row.change_pct.map(|c| format!("{:+.1}%", c * 100.0))),
        ]);
    }
    Ok(Table {
        columns: vec![
            format!("metric ({from} to {to})"),
            "value".into(),
            "previous".into(),
            "change".into(),
        ],
        rows,
    })
}

/// Write every report to `embudo-report.html` beside the demo store and print each
/// report's headline: its first insight, or its title.
fn write_report_pack(
    store: &Store,
    config: &Config,
    demo: &Path,
    now: chrono::NaiveDateTime,
) -> Result<()> {
    let ctx = embudo_reports::Context {
        store,
        calendar: config.calendar,
        params: embudo_reports::Params {
            lang: config.lang.clone(),
            ..Default::default()
        },
        now,
    };
    let reports = embudo_reports::build_all(&ctx, &embudo_reports::NAMES)?;
    let page = embudo_reports::html::page(
        &embudo_reports::i18n::pack_title(&config.lang),
        &reports,
        &config.lang,
    );
    let path = demo.with_file_name("embudo-report.html");
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    let rows = reports
        .iter()
        .map(|r| vec![json!(r.title), json!(headline(r))])
        .collect();
    heading(config, "\nThe report pack, headline by headline:");
    output::print(
        &Table {
            columns: vec!["report".into(), "headline".into()],
            rows,
        },
        config.format,
    )?;
    heading(
        config,
        format_args!("All fourteen reports, with charts: {}", path.display()),
    );
    Ok(())
}

/// A report's first insight; else the first row of figures it shows (empty cells left
/// out), else its first note, else that it has no figures.
fn headline(report: &embudo_reports::Report) -> String {
    // An insight, else what the report says of its data (too few leads to compare sources),
    // before any first row.
    if let Some(said) = report.insights.first().or(report.notes.first()) {
        return said.clone();
    }
    let lang = report
        .params
        .get("lang")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("en");
    // Values as pages show them (`Organic search`, not `organic`); a metric's key column
    // is left out beside its name.
    let shown = |section: &embudo_reports::Section, row: &[serde_json::Value]| -> Vec<String> {
        section
            .columns
            .iter()
            .zip(row)
            .filter(|(c, _)| section.shown(c))
            .map(|(c, v)| match v.as_str() {
                Some(text) => (c, embudo_reports::i18n::value_label(&c.key, text, lang)),
                None => (c, display_in(v, c.kind, lang)),
            })
            .filter(|(_, text)| !text.is_empty())
            .take(4)
            .map(|(c, text)| format!("{} {text}", c.label))
            .collect()
    };
    let first = report.sections.iter().find_map(|section| {
        section
            .rows
            .iter()
            .map(|row| shown(section, row))
            .find(|cells| cells.len() > 1)
            .map(|cells| format!("{}: {}", section.title, cells.join(", ")))
    });
    first
        .or_else(|| report.notes.first().cloned())
        .unwrap_or_else(|| "no figures in the range".to_owned())
}

/// Train the win-probability model on the demo's closed deals and score the open ones, so
/// the forecast in the report pack carries per-deal probabilities.
fn forecast_summary(store: &Store, config: &Config, now: chrono::NaiveDateTime) -> Result<()> {
    let (report, scorer) = embudo_forecast::train::train(store, now)?;
    let scored = embudo_forecast::score::score(store, now, scorer.as_ref())?;
    let figure = |x: Option<f64>| x.map_or("-".to_owned(), |v| format!("{v:.3}"));
    heading(
        config,
        format_args!(
            "\nForecast: win probabilities for {scored} open deals from the {} probabilities — test AUC {} against the stages' {}, Brier score {} against {}",
            report.used,
            figure(report.test.auc),
            figure(report.test.baseline_auc),
            figure(report.test.brier),
            figure(report.test.baseline_brier),
        ),
    );
    let options = crate::cli::ReportOptions {
        at: Some(
            now.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        ..Default::default()
    };
    let months = super::forecast::months(store, config, &options)?;
    super::report::write(&[months], false, config, None)
}

/// The data audit in brief: scores per entity and the five checks failing most rows.
fn audit_summary(store: &Store, config: &Config, now: chrono::NaiveDateTime) -> Result<()> {
    use embudo_audit::{checks, score};
    let findings = checks::run(
        &checks::Context::new(store, now).with_declared(&config.labels),
        None,
        None,
    )?;
    let scores = score::score(&findings);
    score::record(store, &scores, now, &findings)?;
    heading(
        config,
        format_args!("\nData audit: quality score {} / 100", scores.overall),
    );
    output::print(&super::audit::score_table(&scores), config.format)?;
    let mut worst = super::audit::checks_table(&findings);
    if let Some(failing) = worst.column("failing") {
        worst
            .rows
            .sort_by_key(|row| std::cmp::Reverse(row[failing].as_u64()));
    }
    worst.rows.truncate(5);
    output::print(&worst, config.format)
}
