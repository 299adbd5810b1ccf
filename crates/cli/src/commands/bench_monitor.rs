//! `embudo bench monitor`: a monitoring pass judging a thousand alert rules on a generated
//! store — every metric of the catalogue, by value and by change, company-wide, per team and
//! per rep.

use super::bench::{figure, figures_table};
use super::generate::generate;
use super::hint;
use crate::config::Config;
use anyhow::Result;
use chrono::NaiveDateTime;
use embudo_metrics::{Dim, catalogue};
use embudo_model::Table;
use embudo_monitor::deliver::Settings;
use embudo_monitor::watch::{Watch, run_due};
use embudo_store::Store;
use embudo_store::bulk::LoadMode;
use embudo_store::monitor::{NewAlertRule, StoredCadence};
use embudo_store::names::Named;
use std::time::Instant;

/// Rules judged in one pass.
pub(super) const RULES: usize = 1_000;

pub fn figures(config: &Config, scale: embudo_synth::Scale, now: NaiveDateTime) -> Result<Table> {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path().join("bench.duckdb"))?;
    let params = embudo_synth::Params {
        scale,
        seed: 1,
        now,
        defect_rate: 0.05,
        signal: true,
    };
    hint(config, format_args!("Generating the {scale} scale…"));
    generate(&mut store, &params, LoadMode::Append, config.quiet)?;
    add_rules(&store, now - chrono::Duration::days(30))?;
    let settings = Settings::default();
    let watch = Watch {
        store: &store,
        calendar: &config.calendar,
        settings: &settings,
        lang: &config.lang,
        sleep: &std::thread::sleep,
    };
    hint(config, format_args!("Judging {RULES} alert rules…"));
    let started = Instant::now();
    let pass = run_due(&watch, now)?;
    let seconds = started.elapsed().as_secs_f64();
    let mut rows = vec![figure(
        format!(
            "judge {RULES} alert rules ({} not computable)",
            pass.errors.len()
        ),
        Some(RULES as u64),
        seconds,
    )];
    let started = Instant::now();
    run_due(&watch, now)?;
    rows.push(figure(
        "a second pass at the same instant (nothing due)".into(),
        None,
        started.elapsed().as_secs_f64(),
    ));
    Ok(figures_table(rows))
}

/// [`RULES`] weekly rules, added at `created`: every metric of the catalogue (but those
/// split by default) in turn, by value and by change, company-wide, per team and per rep.
pub(super) fn add_rules(store: &Store, created: NaiveDateTime) -> Result<()> {
    let teams: Vec<String> = store
        .named(Named::Teams)?
        .into_iter()
        .map(|team| team.name)
        .collect();
    let reps = store.sellers()?;
    let metrics: Vec<_> = catalogue()
        .iter()
        .filter(|m| m.default_by.is_empty())
        .collect();
    for i in 0..RULES {
        let metric = metrics[i % metrics.len()];
        let dims = metric.dimensions();
        let filters = match i % 3 {
            1 if dims.contains(&Dim::Team) => serde_json::json!({ "team": teams[i % teams.len()] }),
            2 if dims.contains(&Dim::Owner) => serde_json::json!({ "owner": reps[i % reps.len()] }),
            _ => serde_json::json!({}),
        };
        store.insert_alert_rule(&NewAlertRule {
            name: &format!("rule-{i}"),
            metric: &metric.name,
            measure: if i % 2 == 0 { "value" } else { "change_pct" },
            op: "<",
            threshold: 0.0,
            filters: &filters.to_string(),
            cadence: StoredCadence {
                every: "week".into(),
                at_time: "08:00".into(),
                weekday: Some("Mon".into()),
            },
            recipients: "[]",
            webhook: None,
            cooldown_hours: 24,
            created_at: created,
            by_dim: None,
        })?;
    }
    Ok(())
}
