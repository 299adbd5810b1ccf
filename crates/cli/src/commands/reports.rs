//! `embudo query` (custom reports) and `embudo goal`.

use super::hint;
use super::metrics::parse_filters;
use crate::cli::{GoalAddArgs, GoalCommand, QueryArgs};
use crate::config::Config;
use crate::output;
use anyhow::{Context, Result};
use embudo_metrics::Bound;
use embudo_metrics::custom::{self, ReportSpec};
use embudo_metrics::goals::{self, NewGoal, Scope};
use embudo_model::Table;
use embudo_model::labels::GoalDirection;
use embudo_store::Store;
use serde_json::json;
use std::path::Path;

pub fn query(config: &Config, args: &QueryArgs) -> Result<()> {
    if args.list {
        let store = Store::open_read_only(&config.db)?;
        return output::print(&custom::list(&store, None)?, config.format);
    }
    let spec = match (&args.spec, &args.saved) {
        (Some(path), _) => read_spec(path)?,
        (None, Some(name)) => custom::load(&Store::open_read_only(&config.db)?, name, None)?,
        (None, None) => unreachable!("clap requires one of --spec, --saved, --list"),
    };
    // Run before saving, so only a report that works is saved.
    let (table, notes) = {
        let store = Store::open_read_only(&config.db)?;
        custom::run_noted(&store, &config.calendar, &spec, &config.lang)?
    };
    if let Some(name) = &args.save {
        custom::save(&Store::open(&config.db)?, name, &spec)?;
        hint(
            config,
            format_args!("Saved as '{name}'; rerun it with `embudo query --saved {name}`."),
        );
    }
    output::print(&table, config.format)?;
    // What the figures do not say themselves, on stderr as `embudo metric` writes them.
    std::io::Write::flush(&mut std::io::stdout())?;
    for note in &notes {
        eprintln!("note: {note}");
    }
    Ok(())
}

/// A spec from a TOML file, or JSON when the file ends in `.json`.
fn read_spec(path: &Path) -> Result<ReportSpec> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(anyhow::Error::from)
    } else {
        toml::from_str(&text).map_err(anyhow::Error::from)
    };
    parsed.with_context(|| format!("{} is not a valid report spec", path.display()))
}

pub fn goal(config: &Config, command: &GoalCommand) -> Result<()> {
    match command {
        GoalCommand::Add(args) => add(config, args),
        GoalCommand::List => output::print(
            &goals::list(&Store::open_read_only(&config.db)?)?,
            config.format,
        ),
        GoalCommand::Rm { goal } => {
            goals::remove(&Store::open(&config.db)?, goal)?;
            hint(config, format_args!("Removed goal '{goal}'."));
            Ok(())
        }
        GoalCommand::Progress { at } => progress(config, at.as_deref()),
    }
}

fn add(config: &Config, args: &GoalAddArgs) -> Result<()> {
    let store = Store::open(&config.db)?;
    let goal = NewGoal {
        name: args.name.clone(),
        metric: args.metric.clone(),
        target: args.target,
        start: args.from,
        end: args.to,
        scope: Scope::parse(&args.scope)?,
        direction: if args.at_most {
            GoalDirection::AtMost
        } else {
            GoalDirection::AtLeast
        },
        filters: parse_filters(&args.filter)?,
    };
    let id = goals::add(&store, &goal)?;
    hint(config, format_args!("Added goal {id} '{}'.", goal.name));
    Ok(())
}

fn progress(config: &Config, at: Option<&str>) -> Result<()> {
    let at = match at.map(Bound::parse).transpose()? {
        Some(Bound::Instant(t)) => t,
        Some(Bound::Day(day)) => config
            .calendar
            .to_utc(day.and_hms_opt(0, 0, 0).expect("midnight")),
        None => chrono::Utc::now().naive_utc(),
    };
    let store = Store::open_read_only(&config.db)?;
    let standing = goals::progress(&store, &config.calendar, at, &config.lang)?;
    for (_, skipped) in &standing.skipped {
        super::hint(config, skipped);
    }
    let progress = standing.goals;
    let round = |x: Option<f64>| x.map(|x| (x * 10_000.0).round() / 10_000.0);
    let rows = progress
        .iter()
        .map(|p| {
            vec![
                json!(p.id),
                json!(p.name),
                json!(p.metric),
                json!(p.direction),
                json!(p.target),
                json!(round(p.actual)),
                json!(round(p.attainment)),
                json!(round(Some(p.expected_attainment))),
                json!(round(p.projected)),
                json!(p.status.as_str()),
                json!(p.period_start.to_string()),
                json!(p.period_end.to_string()),
            ]
        })
        .collect();
    let columns = [
        "id",
        "goal",
        "metric",
        "direction",
        "target",
        "actual",
        "attainment",
        "expected_attainment",
        "projected",
        "status",
        "period_start",
        "period_end",
    ];
    output::print(
        &Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        },
        config.format,
    )
}
