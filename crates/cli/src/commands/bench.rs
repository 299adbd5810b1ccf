//! `embudo bench`: the figures quoted in issue notes, measured on this machine.

use super::generate::generate;
use super::hint;
use crate::cli::BenchArgs;
use crate::config::Config;
use crate::output;
use anyhow::Result;
use embudo_model::Table;
use embudo_store::Store;
use embudo_store::bulk::LoadMode;
use embudo_synth::Params;
use serde_json::json;
use std::time::Instant;

/// A fixed `now` so runs compare with each other.
const BENCH_NOW: &str = "2026-06-30T12:00:00Z";

pub fn run(config: &Config, args: &BenchArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.duckdb");
    let mut rows = Vec::new();
    let mut store = Store::open(&path)?;
    let params = Params {
        scale: args.scale,
        seed: 1,
        now: crate::config::parse_timestamp(BENCH_NOW).map_err(anyhow::Error::msg)?,
        defect_rate: 0.05,
    };
    hint(config, format_args!("Generating the {} scale…", args.scale));
    let generated = generate(&mut store, &params, LoadMode::Append, config.quiet)?;
    rows.push(figure(
        format!("generate --scale {}", args.scale),
        Some(generated.summary.total()),
        generated.elapsed.as_secs_f64(),
    ));
    drop(store);

    let started = Instant::now();
    let store = Store::open_read_only(&path)?;
    rows.push(figure(
        "open store read-only".into(),
        None,
        started.elapsed().as_secs_f64(),
    ));

    for (name, sql) in QUERIES {
        let started = Instant::now();
        store.query(sql, [])?;
        rows.push(figure(
            format!("query: {name}"),
            None,
            started.elapsed().as_secs_f64(),
        ));
    }
    output::print(
        &Table {
            columns: vec![
                "benchmark".into(),
                "rows written".into(),
                "seconds".into(),
                "rows/s".into(),
            ],
            rows,
        },
        config.format,
    )
}

/// Representative queries over the canonical tables.
const QUERIES: &[(&str, &str)] = &[
    (
        "count every table",
        "SELECT (SELECT count(*) FROM activities) + (SELECT count(*) FROM web_visits) + (SELECT count(*) FROM contacts)",
    ),
    (
        "revenue by month",
        "SELECT date_trunc('month', occurred_at) AS month, sum(amount) FROM revenue_lines GROUP BY ALL ORDER BY month",
    ),
    (
        "conversion by lead source",
        "SELECT lead_source, count(*), count(customer_at) FROM contacts WHERE lead_at IS NOT NULL GROUP BY ALL",
    ),
    (
        "activities per owner and type",
        "SELECT owner_id, type, count(*) FROM activities WHERE completed_at IS NOT NULL GROUP BY ALL",
    ),
];

/// One result row; the rate is shown only for benchmarks that write rows.
fn figure(name: String, rows: Option<u64>, seconds: f64) -> Vec<serde_json::Value> {
    let rate = rows.map(|n| (n as f64 / seconds).round() as u64);
    vec![
        json!(name),
        json!(rows),
        json!((seconds * 1000.0).round() / 1000.0),
        json!(rate),
    ]
}
