//! One module per subcommand.

mod audit;
mod bench;
mod bench_forecast;
mod bench_import;
mod bench_monitor;
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
use anyhow::{Result, bail};

pub fn run(cli: Cli) -> Result<()> {
    let config = Config::resolve(&cli.global)?;
    let name = name(&cli.command);
    if config.on_postgres() && !ON_POSTGRES.contains(&name) && !NAMES_ITS_STORE.contains(&name) {
        bail!(
            "`embudo {name}` does not run on a store in PostgreSQL yet ({}); these do: {}. \
             Run it on a DuckDB file, and move stores between the engines with `embudo migrate`",
            config.db_shown(),
            ON_POSTGRES.join(", ")
        );
    }
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

/// The commands that run on a store in PostgreSQL (`--db postgres://…`).
const ON_POSTGRES: &[&str] = &[
    "init", "sql", "tables", "metrics", "metric", "query", "goal", "report", "forecast", "deal",
    "export", "audit", "repair", "user", "token", "serve", "schedule", "alert", "watch", "import",
    "merge", "unmerge",
];

/// The commands that name their stores themselves rather than by `--db`.
const NAMES_ITS_STORE: &[&str] = &["demo", "bench", "migrate"];

/// The word that runs `command`.
fn name(command: &Command) -> &'static str {
    match command {
        Command::Init => "init",
        Command::Generate(_) => "generate",
        Command::Demo(_) => "demo",
        Command::Sql { .. } => "sql",
        Command::Tables => "tables",
        Command::Migrate(_) => "migrate",
        Command::Repair(_) => "repair",
        Command::Metrics => "metrics",
        Command::Metric(_) => "metric",
        Command::Query(_) => "query",
        Command::Goal(_) => "goal",
        Command::Report(_) => "report",
        Command::Audit(_) => "audit",
        Command::Merge(_) => "merge",
        Command::Unmerge { .. } => "unmerge",
        Command::Bench(_) => "bench",
        Command::Import(_) => "import",
        Command::Export(_) => "export",
        Command::Forecast(_) => "forecast",
        Command::Deal(_) => "deal",
        Command::Serve(_) => "serve",
        Command::User(_) => "user",
        Command::Token(_) => "token",
        Command::Schedule(_) => "schedule",
        Command::Alert(_) => "alert",
        Command::Watch(_) => "watch",
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_engine_lists_name_real_commands() {
        let commands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        for listed in ON_POSTGRES.iter().chain(NAMES_ITS_STORE) {
            assert!(
                commands.iter().any(|c| c == listed),
                "{listed} is not a command"
            );
        }
    }
}
