//! `embudo report`: the canned reports, rendered as a terminal table, CSV, JSON or HTML.

use crate::cli::{Format, ReportArgs, ReportOptions};
use crate::config::Config;
use anyhow::{Context as _, Result, bail};
use comfy_table::{CellAlignment, ContentArrangement, presets::UTF8_FULL_CONDENSED};
use embudo_metrics::{Bound, Dim, Grain};
use embudo_reports::model::{Kind, display_in};
use embudo_reports::{Context, Params, Report, html, i18n};
use embudo_store::Store;
use serde_json::json;
use std::io::Write;

pub fn run(config: &Config, args: &ReportArgs) -> Result<()> {
    if args.name == "list" {
        return list(config);
    }
    let store = Store::open_read_only(&config.db)?;
    let ctx = context(&store, config, &args.options)?;
    let names: Vec<&str> = if args.name == "all" {
        embudo_reports::NAMES.to_vec()
    } else {
        vec![args.name.as_str()]
    };
    let mut reports = embudo_reports::build_all(&ctx, &names)?;
    // JSON keeps a compared figure's earlier value beside it; a table gets a column of it.
    if config.format != Format::Json {
        reports = reports
            .iter()
            .map(|r| embudo_reports::compare::flatten(r, &config.lang))
            .collect();
    }
    write(&reports, args.name == "all", config, args.output.as_deref())
}

/// Write `reports` in the configured format to `output`, or to standard output. CSV to a
/// file is one file per section.
pub fn write(
    reports: &[Report],
    pack: bool,
    config: &Config,
    output: Option<&std::path::Path>,
) -> Result<()> {
    if config.format == Format::Xlsx && output.is_none() {
        bail!("--format xlsx writes a file: add -o FILE.xlsx");
    }
    if let (Format::Csv, Some(path)) = (config.format, output) {
        return write_csv_files(reports, path, config);
    }
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    render(reports, pack, config, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Build the reports' context from the command line.
pub fn context<'a>(store: &'a Store, config: &Config, args: &ReportOptions) -> Result<Context<'a>> {
    let at = match args.at.as_deref().map(Bound::parse).transpose()? {
        Some(Bound::Instant(t)) => Some(t),
        Some(Bound::Day(d)) => Some(
            config
                .calendar
                .to_utc(d.and_hms_opt(0, 0, 0).expect("midnight")),
        ),
        None => None,
    };
    let (from, to) = match &args.period {
        Some(period) => {
            let (from, to) = super::period_range(config, period)?;
            (Some(Bound::Day(from)), Some(Bound::Day(to)))
        }
        None => (
            args.from.as_deref().map(Bound::parse).transpose()?,
            args.to.as_deref().map(Bound::parse).transpose()?,
        ),
    };
    Ok(Context {
        store,
        calendar: config.calendar,
        params: Params {
            from,
            to,
            at,
            pipeline: args.pipeline.clone(),
            owner: args.owner.clone(),
            team: args.team.clone(),
            source: args.source.clone(),
            by: args.by.as_deref().map(str::parse::<Dim>).transpose()?,
            grain: args.grain.as_deref().map(str::parse::<Grain>).transpose()?,
            months: args.months,
            lang: config.lang.clone(),
            compare: args
                .compare
                .as_deref()
                .map(str::parse::<embudo_metrics::Compare>)
                .transpose()?,
            // The command's HTML, XLSX and JSON link no figure to records.
            behind: false,
        },
        now: chrono::Utc::now().naive_utc(),
    })
}

fn list(config: &Config) -> Result<()> {
    let rows = embudo_reports::NAMES
        .iter()
        .map(|n| {
            vec![
                json!(n),
                json!(i18n::label(&format!("report.{n}"), &config.lang)),
            ]
        })
        .collect();
    crate::output::print(
        &embudo_model::Table {
            columns: vec!["name".into(), "title".into()],
            rows,
        },
        config.format,
    )
}

/// Write `reports` in the configured format.
pub fn render(reports: &[Report], pack: bool, config: &Config, out: &mut dyn Write) -> Result<()> {
    match config.format {
        Format::Parquet => bail!("--format parquet is for `embudo export`"),
        Format::Json if pack => {
            serde_json::to_writer_pretty(&mut *out, &json!({ "reports": reports }))?
        }
        Format::Json => serde_json::to_writer_pretty(&mut *out, &reports[0])?,
        Format::Xlsx => out.write_all(&embudo_reports::xlsx::workbook(reports)?)?,
        Format::Html => {
            let title = if pack {
                i18n::pack_title(&config.lang)
            } else {
                reports[0].title.clone()
            };
            out.write_all(html::page(&title, reports, &config.lang).as_bytes())?;
        }
        Format::Csv => {
            embudo_reports::csv::pack(reports, out)?;
            return Ok(());
        }
        Format::Table => {
            for report in reports {
                terminal(report, out)?;
            }
            return Ok(());
        }
    }
    if config.format != Format::Xlsx {
        writeln!(out)?;
    }
    Ok(())
}

/// One section as CSV with a header of column keys.
/// CSV to files: one per section, named `<stem>-<report>-<section>.csv` beside `path`.
fn write_csv_files(reports: &[Report], path: &std::path::Path, config: &Config) -> Result<()> {
    for report in reports {
        for section in &report.sections {
            let file = super::ingest::section_path(path, &report.report, &section.name, "csv");
            let mut out = std::io::BufWriter::new(
                std::fs::File::create(&file)
                    .with_context(|| format!("creating {}", file.display()))?,
            );
            embudo_reports::csv::section(section, &mut out)?;
            out.flush()?;
            super::hint(config, file.display());
        }
    }
    Ok(())
}

/// A report for the terminal: title, insights, each section as a table, notes.
fn terminal(report: &Report, out: &mut dyn Write) -> Result<()> {
    let lang = report
        .params
        .get("lang")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("en");
    writeln!(out, "{}", report.title)?;
    writeln!(out, "{}", "=".repeat(report.title.chars().count()))?;
    for insight in &report.insights {
        writeln!(out, "• {insight}")?;
    }
    for section in &report.sections {
        writeln!(out, "\n{}", section.title)?;
        let shown: Vec<usize> = (0..section.columns.len())
            .filter(|&i| section.shown(&section.columns[i]))
            .collect();
        let mut table = comfy_table::Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(shown.iter().map(|&i| &section.columns[i].label));
        for row in &section.rows {
            table.add_row(shown.iter().map(|&i| {
                let (v, c) = (&row[i], &section.columns[i]);
                match (c.kind, v.as_str()) {
                    (Kind::Text, Some(text)) => i18n::value_label(&c.key, text, lang),
                    _ => display_in(v, c.kind, lang),
                }
            }));
        }
        for (column, &i) in table.column_iter_mut().zip(&shown) {
            if section.columns[i].kind != Kind::Text {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        writeln!(out, "{table}")?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    writeln!(out)?;
    if report.sections.is_empty() {
        bail!("report {} has no sections", report.report);
    }
    Ok(())
}
