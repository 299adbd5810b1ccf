//! One module per subcommand.

mod audit;
mod bench;
mod bench_forecast;
mod bench_import;
mod bench_monitor;
mod bench_reference;
mod bench_serve;
pub mod demo;
mod forecast;
mod generate;
mod ingest;
mod metrics;
mod monitor;
mod report;
mod reports;
mod serve;
mod sql;

use crate::cli::{Cli, Command};
use crate::config::Config;
use anyhow::Result;

pub fn run(cli: Cli) -> Result<()> {
    let config = Config::resolve(&cli.global)?;
    match cli.command {
        Command::Init => generate::init(&config),
        Command::Generate(args) => generate::run(&config, &args),
        Command::Demo(args) => demo::run(&config, &args),
        Command::Sql { query } => sql::run(&config, &query),
        Command::Tables => sql::tables(&config),
        Command::Migrate(args) => sql::migrate(&config, &args),
        Command::Repair(command) => sql::repair(&config, &command),
        Command::Metrics => metrics::list(&config),
        Command::Metric(args) => metrics::run(&config, &args),
        Command::Query(args) => reports::query(&config, &args),
        Command::Goal(command) => reports::goal(&config, &command),
        Command::Report(args) => report::run(&config, &args),
        Command::Audit(args) => audit::run(&config, &args),
        Command::Merge(args) => audit::merge(&config, &args),
        Command::Unmerge { journal_id } => audit::unmerge(&config, journal_id),
        Command::Bench(args) => bench::run(&config, &args),
        Command::Import(args) => ingest::import(&config, &args),
        Command::Export(args) => ingest::export(&config, &args),
        Command::Forecast(args) => forecast::run(&config, &args),
        Command::Deal(command) => forecast::deal(&config, &command),
        Command::Serve(args) => serve::run(&config, &args),
        Command::User(command) => serve::user(&config, &command),
        Command::Token(command) => serve::token(&config, &command),
        Command::Schedule(command) => monitor::schedule(&config, &command),
        Command::Alert(command) => monitor::alert(&config, &command),
        Command::Watch(args) => monitor::watch(&config, &args),
    }
}

/// A hint for people on stderr, unless quiet.
fn hint(config: &Config, text: impl std::fmt::Display) {
    if !config.quiet {
        eprintln!("{text}");
    }
}

/// The local days `[from, to)` of a `--period` preset, as of today in the reporting time
/// zone.
fn period_range(config: &Config, period: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let preset: embudo_metrics::Preset = period.parse()?;
    let today = config
        .calendar
        .to_local(chrono::Utc::now().naive_utc())
        .date();
    Ok(preset.range(&config.calendar, today))
}

/// The instant an `--at` names (a day is its midnight in the reporting time zone), or now.
fn instant(config: &Config, at: Option<&str>) -> Result<chrono::NaiveDateTime> {
    Ok(match at.map(embudo_metrics::Bound::parse).transpose()? {
        Some(embudo_metrics::Bound::Instant(t)) => t,
        Some(embudo_metrics::Bound::Day(d)) => config
            .calendar
            .to_utc(d.and_hms_opt(0, 0, 0).expect("midnight")),
        None => chrono::Utc::now().naive_utc(),
    })
}
