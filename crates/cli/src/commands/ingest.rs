//! `embudo import` and `embudo export`.

use crate::cli::{ExportArgs, Format, ImportArgs};
use crate::config::Config;
use crate::output;
use crate::progress;
use anyhow::{Context as _, Result, bail};
use embudo_ingest::export;
use embudo_ingest::load::{self, Options, Report};
use embudo_ingest::mapping::{self, FileMap, Mapping, Preset};
use embudo_ingest::read;
use embudo_ingest::target::Target;
use embudo_model::Table;
use embudo_store::Store;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

pub fn import(config: &Config, args: &ImportArgs) -> Result<()> {
    let store = Store::open(&config.db)?;
    let preset = args.preset.as_deref().map(Preset::parse).transpose()?;
    let source_system = args
        .source_system
        .clone()
        .or_else(|| preset.map(|p| p.name().to_owned()))
        .unwrap_or_else(|| "import".to_owned());
    let (mapping, sheets) = match &args.map {
        Some(path) => {
            let mut mapping = Mapping::read(path)?;
            for file in &mut mapping.files {
                if file.date_format.is_none() {
                    file.date_format = args.date_format.clone();
                }
            }
            (mapping, None)
        }
        None => {
            let (entity, file) = args
                .entity
                .as_deref()
                .zip(args.file.as_deref())
                .context("give ENTITY and FILE, or --map MAPPING")?;
            let sheet = read::read(file, args.sheet.as_deref())?;
            let target = Target::read(&store, entity)?;
            if preset.is_none()
                && let Some((vendor, headers)) = mapping::vendor_of(&target, &sheet.headers)
            {
                let given = format!("`--preset {}`", vendor.name());
                super::hint(
                    config,
                    format!("{}: {}", file.display(), vendor.hint(&headers, &given)),
                );
            }
            let mut file_map = FileMap::guessed(file, &target, &sheet.headers, preset);
            file_map.sheet = args.sheet.clone();
            file_map.date_format = args.date_format.clone();
            let mapping = Mapping {
                source_system: Some(source_system.clone()),
                ..Mapping::single(file_map)
            };
            if args.dry_run {
                print_guess(config, &mapping.files[0], &sheet.headers)?;
            }
            (mapping, Some(vec![sheet]))
        }
    };
    if let Some(path) = &args.save_map {
        let folder = path.parent().unwrap_or(Path::new(""));
        std::fs::write(path, mapping.to_toml(folder))
            .with_context(|| format!("writing {}", path.display()))?;
        super::hint(config, format!("mapping saved to {}", path.display()));
    }
    let creatable: Vec<&str> = load::CREATABLE.iter().map(|(t, _, _)| *t).collect();
    if let Some(wrong) = args
        .create_missing
        .iter()
        .find(|t| !creatable.contains(&t.as_str()))
    {
        bail!(
            "--create-missing: '{wrong}' cannot be created from a name; use {}",
            creatable.join(", ")
        );
    }
    let options = Options {
        source_system,
        now: chrono::Utc::now().naive_utc(),
        dry_run: args.dry_run,
        currency: args.currency.clone(),
        create_missing: args.create_missing.clone(),
    };
    let bar = progress::rows_bar("importing", config.quiet);
    let mut step = |s: load::Step<'_>| {
        bar.set_length(s.rows_total as u64);
        bar.set_position(s.rows_done as u64);
        Ok(())
    };
    let report = match sheets {
        Some(sheets) => load::import_sheets(&store, &mapping, sheets, &options, &mut step),
        None => load::import(&store, &mapping, &options, &mut step),
    };
    bar.finish_and_clear();
    let report = report?;
    print_report(config, &report)?;
    let rejected = report.rejected();
    if rejected > 0 && !args.allow_rejects {
        bail!(
            "{rejected} row(s) rejected{} (the others were {}); pass --allow-rejects to accept that",
            quarantines(&report),
            if report.dry_run {
                "checked, nothing written"
            } else {
                "imported"
            }
        );
    }
    Ok(())
}

fn quarantines(report: &Report) -> String {
    let paths: Vec<String> = report
        .files
        .iter()
        .filter_map(|f| f.quarantine.as_ref())
        .map(|p| p.display().to_string())
        .collect();
    if paths.is_empty() {
        String::new()
    } else {
        format!(", see {}", paths.join(", "))
    }
}

/// The guessed mapping, for `--dry-run`: each canonical column with its header, then the
/// headers nothing reads.
fn print_guess(config: &Config, file: &FileMap, headers: &[String]) -> Result<()> {
    let mut rows: Vec<Vec<Value>> = file
        .columns
        .iter()
        .map(|(column, header)| vec![json!(header), json!(column)])
        .collect();
    for header in headers {
        if !file.columns.values().any(|h| h == header) {
            rows.push(vec![json!(header), json!("(not imported)")]);
        }
    }
    let table = Table {
        columns: vec!["header".into(), "column".into()],
        rows,
    };
    if config.format == Format::Table {
        super::hint(
            config,
            format!("{}: columns as guessed", file.path.display()),
        );
        output::print(&table, Format::Table)
    } else {
        Ok(())
    }
}

fn print_report(config: &Config, report: &Report) -> Result<()> {
    if config.format == Format::Json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    let table = Table {
        columns: [
            "file",
            "entity",
            "rows",
            "inserted",
            "updated",
            "unchanged",
            "rejected",
        ]
        .map(String::from)
        .to_vec(),
        rows: report
            .files
            .iter()
            .map(|f| {
                vec![
                    json!(f.path.display().to_string()),
                    json!(f.entity),
                    json!(f.rows),
                    json!(f.inserted),
                    json!(f.updated),
                    json!(f.unchanged),
                    json!(f.rejected),
                ]
            })
            .collect(),
    };
    output::print(&table, config.format)?;
    for file in &report.files {
        super::hint(config, format!("{}: {}", file.path.display(), file.format));
        let will = if report.dry_run {
            "would create"
        } else {
            "created"
        };
        for created in &file.created {
            super::hint(config, format!("  {will} {created}"));
        }
        if !file.not_imported.is_empty() {
            super::hint(
                config,
                format!("  not imported: {}", file.not_imported.join(", ")),
            );
        }
        // Every one: a value left out of the summary is a reference nobody goes to fix.
        for missing in &file.unresolved {
            super::hint(
                config,
                format!(
                    "  unresolved {} '{}' in {} row(s): kept as text",
                    missing.column, missing.value, missing.rows
                ),
            );
        }
        for inferred in &file.inferred {
            super::hint(config, format!("  {inferred}"));
        }
        for rejection in &file.rejections {
            super::hint(
                config,
                format!("  row {}: {}", rejection.row, rejection.reason),
            );
        }
    }
    // What will make reports wrong, and which: a report will say so again, but the time
    // to fix a file is now.
    for warning in &report.warnings {
        super::hint(
            config,
            format!(
                "warning: {} (affects {})",
                warning.message,
                warning.reports.join(", ")
            ),
        );
    }
    if report.dry_run {
        super::hint(config, "dry run: nothing was written");
    }
    Ok(())
}

pub fn export(config: &Config, args: &ExportArgs) -> Result<()> {
    if !config.on_postgres() && !config.db.exists() {
        bail!(
            "no store at {}: create one with `embudo init` or `embudo generate`",
            config.db_shown()
        );
    }
    let name = match (&args.vendor, &args.name) {
        (Some(vendor), _) => return export_as(config, vendor, args.output.as_deref()),
        (None, Some(name)) => name,
        (None, None) => bail!("name a table or a report, or give --as VENDOR"),
    };
    let format = if config.format == Format::Table {
        Format::Csv
    } else {
        config.format
    };
    if matches!(format, Format::Xlsx | Format::Parquet) && args.output.is_none() {
        bail!("--format xlsx and parquet write a file: add -o FILE");
    }
    if export::is_table(name) {
        let store = Store::open(&config.db)?;
        return export_table(config, &store, name, format, args.output.as_deref());
    }
    if !embudo_reports::NAMES.contains(&name.as_str()) {
        bail!(
            "'{name}' is neither a table (see `embudo tables`) nor a report (see `embudo report list`)"
        );
    }
    let store = Store::open_read_only(&config.db)?;
    let ctx = super::report::context(&store, config, &args.options)?;
    let report = embudo_reports::build(&ctx, name)?;
    match (format, &args.output) {
        (Format::Parquet, Some(path)) => {
            for section in &report.sections {
                let columns: Vec<String> = section.columns.iter().map(|c| c.key.clone()).collect();
                let file = section_path(path, &report.report, &section.name, "parquet");
                export::rows_to_parquet(&columns, &section.rows, &file)?;
                super::hint(config, file.display());
            }
            Ok(())
        }
        _ => {
            let config = Config {
                format,
                ..config.clone()
            };
            super::report::write(&[report], false, &config, args.output.as_deref())
        }
    }
}

/// `export --as VENDOR -o FOLDER`: the store in that vendor's export shape.
fn export_as(config: &Config, vendor: &str, folder: Option<&Path>) -> Result<()> {
    let preset = Preset::parse(vendor)?;
    let folder = folder.context("--as writes one file per entity: add -o FOLDER")?;
    let store = Store::open_read_only(&config.db)?;
    for (path, rows) in embudo_ingest::vendor::export::write(&store, preset, folder)? {
        super::hint(
            config,
            format!("{rows} rows written to {} ({vendor} shape)", path.display()),
        );
    }
    Ok(())
}

fn export_table(
    config: &Config,
    store: &Store,
    table: &str,
    format: Format,
    output: Option<&Path>,
) -> Result<()> {
    let rows = match (format, output) {
        (Format::Xlsx, Some(path)) => export::table_to_xlsx(store, table, path)?,
        (Format::Parquet, Some(path)) => export::table_to_parquet(store, table, path)?,
        (Format::Csv | Format::Json, _) => {
            let kind = if format == Format::Csv {
                export::Format::Csv
            } else {
                export::Format::Json
            };
            let mut out: Box<dyn Write> = match output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(std::io::stdout().lock()),
            };
            let rows = export::table(store, table, kind, &mut out)?;
            out.flush()?;
            rows
        }
        _ => bail!("a table exports as csv, json, xlsx or parquet"),
    };
    if let Some(path) = output {
        super::hint(
            config,
            format!("{rows} rows of {table} written to {}", path.display()),
        );
    }
    Ok(())
}

/// `<stem>-<report>-<section>.<extension>` beside `path`.
pub fn section_path(
    path: &Path,
    report: &str,
    section: &str,
    extension: &str,
) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("report");
    let slug: String = section
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    path.with_file_name(format!("{stem}-{report}-{slug}.{extension}"))
}
