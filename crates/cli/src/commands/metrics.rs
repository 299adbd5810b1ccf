//! `embudo metrics` and `embudo metric`.

use crate::cli::{Format, MetricArgs};
use crate::config::Config;
use crate::output;
use anyhow::{Context, Result, bail};
use embudo_metrics::catalog::Unit;
use embudo_metrics::plan::QueryText;
use embudo_metrics::{Compare, Dim, MetricResult, Query, catalogue};
use embudo_model::Table;
use embudo_reports::model::{Kind, display};
use embudo_store::Store;
use serde_json::{Map, Value, json};

pub fn list(config: &Config) -> Result<()> {
    let rows = catalogue()
        .iter()
        .map(|m| {
            let dims: Vec<&str> = m.dimensions().iter().map(|d| d.name()).collect();
            vec![
                json!(m.name),
                json!(m.label(&config.lang)),
                serde_json::to_value(m.group).expect("serialisable"),
                serde_json::to_value(m.family).expect("serialisable"),
                serde_json::to_value(m.unit).expect("serialisable"),
                json!(dims.join(",")),
            ]
        })
        .collect();
    let columns = ["name", "label", "group", "family", "unit", "dimensions"];
    output::print(
        &Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        },
        config.format,
    )
}

pub fn run(config: &Config, args: &MetricArgs) -> Result<()> {
    let query = parse_query(config, args)?;
    let store = Store::open_read_only(&config.db)?;
    let mut result = embudo_metrics::run(&store, &config.calendar, &query, &config.lang)?;
    let gaps = embudo_metrics::data_gaps(&store, &result.metric, &config.lang)?;
    result.notes.extend(gaps);
    print(&result, config.format)
}

/// `--filter DIM=VALUE` arguments as (dimension, value) pairs.
fn split_filters(filters: &[String]) -> Result<Vec<(String, String)>> {
    filters
        .iter()
        .map(|f| {
            let (dim, value) = f.split_once('=').with_context(|| {
                format!("--filter {f}: expected DIM=VALUE, e.g. lead_source=email")
            })?;
            Ok((dim.to_owned(), value.to_owned()))
        })
        .collect()
}

/// `--filter DIM=VALUE` arguments, checked against the dimensions.
pub fn parse_filters(filters: &[String]) -> Result<Vec<(Dim, String)>> {
    split_filters(filters)?
        .into_iter()
        .map(|(dim, value)| Ok((dim.trim().parse::<Dim>()?, value)))
        .collect()
}

fn parse_query(config: &Config, args: &MetricArgs) -> Result<Query> {
    let filters = split_filters(&args.filter)?;
    let (from, to) = match &args.period {
        Some(period) => {
            let (from, to) = super::period_range(config, period)?;
            (from.to_string(), to.to_string())
        }
        None => (
            args.from.clone().unwrap_or_default(),
            args.to.clone().unwrap_or_default(),
        ),
    };
    Ok(Query::parse(QueryText {
        metric: &args.name,
        from: &from,
        to: &to,
        grain: args.grain.as_deref(),
        by: &args.by,
        filters: &filters,
        compare: args.compare.as_deref(),
    })?)
}

/// JSON is the documented object; a table or CSV gets one row per period and dimensions.
pub fn print(result: &MetricResult, format: Format) -> Result<()> {
    match format {
        Format::Json => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &to_json(result))?;
            use std::io::Write;
            writeln!(out)?;
            Ok(())
        }
        Format::Html | Format::Xlsx | Format::Parquet => {
            bail!(
                "--format html, xlsx and parquet are for reports and exports; use table, csv or json here"
            )
        }
        Format::Table | Format::Csv => {
            if result.rows.is_empty() {
                bail!("no rows");
            }
            output::print(&to_table(result, format == Format::Table), format)?;
            // What the data lacks that the figures miss, in words; on stderr, so a CSV on
            // stdout stays data only (after it, when both go to one terminal).
            std::io::Write::flush(&mut std::io::stdout())?;
            for note in &result.notes {
                eprintln!("note: {note}");
            }
            Ok(())
        }
    }
}

/// `{"metric","label","unit","from","to","grain","by":[...],"compare","rows":[...]}`.
pub fn to_json(result: &MetricResult) -> Value {
    let rows: Vec<Value> = result
        .rows
        .iter()
        .map(|row| {
            let mut object = Map::new();
            if let Some(period) = row.period {
                object.insert("period".into(), json!(period.to_string()));
            }
            for (dim, value) in result.by.iter().zip(&row.dims) {
                object.insert(dim.name().into(), json!(value));
            }
            object.insert("value".into(), json!(row.value));
            if result.compare.is_some() {
                object.insert("previous".into(), json!(row.previous));
                object.insert("change".into(), json!(row.change));
                object.insert("change_pct".into(), json!(row.change_pct));
            }
            Value::Object(object)
        })
        .collect();
    json!({
        "metric": result.metric,
        "label": result.label,
        "unit": result.unit,
        "from": result.from.to_string(),
        "to": result.to.to_string(),
        "grain": result.grain,
        "by": result.by.iter().map(|d| d.name()).collect::<Vec<_>>(),
        "compare": result.compare.map(Compare::as_str),
        "rows": rows,
        "notes": result.notes,
    })
}

fn to_table(result: &MetricResult, for_people: bool) -> Table {
    let mut columns = Vec::new();
    if result.grain.is_some() {
        columns.push("period".to_owned());
    }
    columns.extend(result.by.iter().map(|d| d.name().to_owned()));
    columns.push(result.label.clone());
    if result.compare.is_some() {
        columns.extend(["previous", "change", "change_pct"].map(String::from));
    }
    // People read the figures as the reports write them (`1,234.50`, `35.1%`); CSV and
    // JSON keep the numbers.
    let shown = |x: Option<f64>, unit: Unit| match (x, for_people) {
        (Some(x), true) => json!(display(&json!(x), Kind::of(unit))),
        (x, _) => json!(x),
    };
    let rows = result
        .rows
        .iter()
        .map(|row| {
            let mut cells = Vec::new();
            if result.grain.is_some() {
                cells.push(json!(row.period.map(|p| p.to_string())));
            }
            cells.extend(row.dims.iter().map(|d| json!(d)));
            cells.push(shown(row.value, result.unit));
            if result.compare.is_some() {
                cells.push(shown(row.previous, result.unit));
                cells.push(shown(row.change, result.unit));
                cells.push(shown(row.change_pct, Unit::Ratio));
            }
            cells
        })
        .collect();
    Table { columns, rows }
}
