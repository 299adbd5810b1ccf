//! `embudo bench import`: a contacts CSV of a million rows (at medium scale) imported with
//! validation and company references, beside what DuckDB alone does with the same file (on
//! DuckDB): reading it (`read_csv`), and loading it into a fresh store's `contacts` with no
//! validation, references or matching, which is the floor an import cannot go below.

use super::bench::Stores;
use crate::config::Config;
use anyhow::{Context as _, Result, bail};
use embudo_ingest::load::{self, Options};
use embudo_ingest::mapping::{self, FileMap, Mapping};
use embudo_ingest::read;
use embudo_ingest::target::Target;
use embudo_model::Table;
use embudo_store::export::SafePath;
use embudo_store::{Dialect, Param, Store};
use embudo_synth::Scale;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

/// Companies the contacts belong to; one contact in fifty names a company not in the file.
const COMPANIES: usize = 20_000;

const FIRST: [&str; 8] = [
    "Ana", "Bob", "Carmen", "David", "Elena", "Frank", "Grace", "Hugo",
];
const LAST: [&str; 8] = [
    "García", "Smith", "López", "Jones", "Martín", "Brown", "Pérez", "Wilson",
];
const SOURCES: [&str; 5] = ["email", "organic", "paid_ads", "referral", "Refferal"];

/// The timings, and on DuckDB the import's time over the engine's own read and load.
pub struct Figures {
    pub rows: Vec<Vec<Value>>,
    pub against_engine: Option<Table>,
}

pub fn figures(config: &Config, scale: Scale, stores: &Stores) -> Result<Figures> {
    let rows = match scale {
        Scale::Small => 10_000,
        Scale::Medium => 1_000_000,
        Scale::Large | Scale::XLarge => 10_000_000,
    };
    let dir = tempfile::tempdir()?;
    let companies = dir.path().join("companies.csv");
    let contacts = dir.path().join("contacts.csv");
    super::hint(config, format_args!("Writing a {rows}-row contacts CSV…"));
    write_files(&companies, &contacts, rows)?;
    let target = stores.new_store("import")?;
    let store = Store::open(&target.location)?;
    let mut out = Vec::new();
    let (seconds, _) = timed_import(&store, "companies", &companies)?;
    out.push(super::bench::figure(
        "import companies.csv".into(),
        Some(COMPANIES as u64),
        seconds,
    ));
    let (import_seconds, report) = timed_import(&store, "contacts", &contacts)?;
    let file = &report.files[0];
    if file.inserted != rows {
        bail!(
            "the benchmark file imported {} of {rows} rows",
            file.inserted
        );
    }
    out.push(super::bench::figure(
        "import contacts.csv (parsed, validated, companies resolved)".into(),
        Some(rows as u64),
        import_seconds,
    ));
    let (seconds, _) = timed_import(&store, "contacts", &contacts)?;
    out.push(super::bench::figure(
        "re-import contacts.csv (every row unchanged)".into(),
        Some(rows as u64),
        seconds,
    ));
    if store.dialect() != Dialect::DuckDb {
        return Ok(Figures {
            rows: out,
            against_engine: None,
        });
    }
    let path = SafePath::new(&contacts).context("the temporary folder's name cannot be quoted")?;
    let started = Instant::now();
    store.engine_csv_rows(&path)?;
    let read_seconds = started.elapsed().as_secs_f64();
    out.push(super::bench::figure(
        "DuckDB read_csv of the same file (no validation)".into(),
        Some(rows as u64),
        read_seconds,
    ));
    let load_seconds = engine_load(stores, &contacts, rows)?;
    out.push(super::bench::figure(
        "DuckDB loading the same file into contacts (no validation, committed)".into(),
        Some(rows as u64),
        load_seconds,
    ));
    let rounded = |x: f64| json!((x * 1000.0).round() / 1000.0);
    let ratio = |engine: f64| json!((import_seconds / engine * 100.0).round() / 100.0);
    let against_engine = Table {
        columns: [
            "the engine alone",
            "engine s",
            "import s",
            "import ÷ engine",
        ]
        .map(String::from)
        .to_vec(),
        rows: vec![
            vec![
                json!("reading the file (read_csv)"),
                rounded(read_seconds),
                rounded(import_seconds),
                ratio(read_seconds),
            ],
            vec![
                json!("loading it into contacts"),
                rounded(load_seconds),
                rounded(import_seconds),
                ratio(load_seconds),
            ],
        ],
    };
    Ok(Figures {
        rows: out,
        against_engine: Some(against_engine),
    })
}

/// DuckDB's own load of the contacts file into a fresh store: the file's columns cast by
/// the engine into `contacts` (whose primary key and unique external id it maintains), ids
/// from the store's sequence, the dates read with the file's one format, in one committed
/// transaction. No value is checked, no company looked up, no row matched: this is what
/// writing the rows costs.
fn engine_load(stores: &Stores, contacts: &Path, rows: usize) -> Result<f64> {
    let target = stores.new_store("engine-load")?;
    let store = Store::open(&target.location)?;
    let started = Instant::now();
    let loaded = store.transaction(true, || {
        store.execute_with(
            "INSERT INTO contacts (id, external_id, first_name, last_name, email, phone,
                                   lead_source, created_at, updated_at, source_system)
             SELECT nextval('contacts_id'), \"Contact ID\", \"First Name\", \"Last Name\",
                    lower(\"Email\"), \"Phone\", lower(\"Lead Source\"),
                    strptime(\"Create Date\", '%d/%m/%Y %H:%M'),
                    strptime(\"Create Date\", '%d/%m/%Y %H:%M'), 'bench'
               FROM read_csv(?, all_varchar = true)",
            &[Param::Text(contacts.display().to_string())],
        )
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if loaded != rows {
        bail!("DuckDB loaded {loaded} of the file's {rows} rows");
    }
    Ok(seconds)
}

fn timed_import(store: &Store, entity: &str, path: &Path) -> Result<(f64, load::Report)> {
    let started = Instant::now();
    let sheet = read::read(path, None)?;
    let columns = mapping::guess(&Target::read(store, entity)?, &sheet.headers, None);
    let mapping = Mapping::single(FileMap::new(path, entity, columns));
    let options = Options {
        source_system: "bench".into(),
        now: chrono::Utc::now().naive_utc(),
        dry_run: false,
        currency: "USD".into(),
        create_missing: vec![],
    };
    let report = load::import_sheets(store, &mapping, vec![sheet], &options, &mut |_| Ok(()))?;
    Ok((started.elapsed().as_secs_f64(), report))
}

/// Deterministic files: companies by name, and contacts with day-first dates, phones,
/// mixed-case e-mails, a misspelt source and a company each.
fn write_files(companies: &Path, contacts: &Path, rows: usize) -> Result<()> {
    let mut writer = csv::Writer::from_path(companies)?;
    writer.write_record(["Company name", "Domain", "Industry", "Employees"])?;
    for i in 0..COMPANIES {
        writer.write_record([
            format!("Company {i}"),
            format!("company{i}.com"),
            "technology".into(),
            format!("{}", 5 + i % 500),
        ])?;
    }
    writer.flush()?;
    let mut writer = csv::Writer::from_path(contacts)?;
    writer.write_record([
        "Contact ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone",
        "Company",
        "Lead Source",
        "Create Date",
    ])?;
    for i in 0..rows {
        let first = FIRST[i % FIRST.len()];
        let last = LAST[(i / 8) % LAST.len()];
        let company = (i * 7919) % (COMPANIES + COMPANIES / 50);
        writer.write_record([
            format!("C{i}"),
            first.to_owned(),
            last.to_owned(),
            format!("{}.{}{i}@Example.com", first.to_lowercase(), i % 97),
            format!("+34 6{:08}", i % 100_000_000),
            format!("Company {company}"),
            SOURCES[i % SOURCES.len()].to_owned(),
            format!(
                "{}/{}/{} {:02}:{:02}",
                1 + i % 28,
                1 + (i / 28) % 12,
                2020 + i % 6,
                i % 24,
                i % 60
            ),
        ])?;
    }
    writer.flush()?;
    Ok(())
}
