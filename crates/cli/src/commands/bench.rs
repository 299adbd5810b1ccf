//! `embudo bench`: the figures quoted in issue notes, measured on this machine.

use super::generate::generate;
use super::hint;
use crate::cli::{Backend, BenchArgs, BenchSuite};
use crate::config::Config;
use crate::output;
use anyhow::{Context as _, Result, bail};
use chrono::{Datelike, NaiveDate};
use clap::ValueEnum as _;
use embudo_metrics::{Bound, Grain, Query, catalogue};
use embudo_model::Table;
use embudo_store::Store;
use embudo_store::bulk::LoadMode;
use embudo_synth::Params;
use embudo_synth::truth::PairScore;
use serde_json::{Value, json};
use std::time::Instant;

/// A fixed `now` for generated stores, so runs compare with each other.
const BENCH_NOW: &str = "2026-06-30T12:00:00Z";

pub fn run(config: &Config, args: &BenchArgs) -> Result<()> {
    if args.backend == Backend::Postgres
        && matches!(args.suite, BenchSuite::Monitor | BenchSuite::Forecast)
    {
        let suite = args
            .suite
            .to_possible_value()
            .expect("every suite has a name");
        bail!("`bench {}` measures DuckDB only", suite.get_name());
    }
    if args.suite == BenchSuite::Monitor {
        let table = super::bench_monitor::figures(config, args.scale, bench_now()?)?;
        return output::print(&table, config.format);
    }
    if args.suite == BenchSuite::Forecast {
        for table in super::bench_forecast::figures(config, args.scale, bench_now()?)? {
            output::print(&table, config.format)?;
        }
        return Ok(());
    }
    if args.backend == Backend::Postgres {
        if args.store.is_some() {
            bail!("--store measures one DuckDB file; leave it out with --backend postgres");
        }
        if !config.on_postgres() {
            bail!(
                "--backend postgres measures on the PostgreSQL server --db names \
                 (postgres://user@host/database; the bench creates and drops databases beside it)"
            );
        }
    }
    let duckdb = measure(config, args, &Stores::files()?)?;
    let measured = match (args.backend, &args.beside) {
        (Backend::Duckdb, None) => duckdb,
        (Backend::Duckdb, Some(beside)) => {
            hint(
                config,
                format_args!("Now the same on {}…", beside.display()),
            );
            let second = BenchArgs {
                store: Some(beside.clone()),
                ..args.clone()
            };
            let measured = measure(config, &second, &Stores::files()?)?;
            let stores = [args.store.as_deref(), Some(beside.as_path())];
            Measured::side_by_side(duckdb, measured, ("store", store_names(stores)))
        }
        (Backend::Postgres, _) => {
            let url = config.db.to_string_lossy().into_owned();
            hint(config, "Now the same on PostgreSQL…");
            let postgres = measure(config, args, &Stores::Postgres(url))?;
            let names = ["DuckDB", "PostgreSQL"].map(String::from);
            Measured::side_by_side(duckdb, postgres, ("engine", names))
        }
    };
    if !measured.figures.rows.is_empty() {
        output::print(&measured.figures, config.format)?;
    }
    for table in measured.tables {
        output::print(&table, config.format)?;
    }
    Ok(())
}

/// What two stores measured side by side are called: their files' names without the
/// extension (`large`, `xlarge`), or their whole paths where those are alike.
fn store_names(paths: [Option<&std::path::Path>; 2]) -> [String; 2] {
    let stems = paths.map(|path| {
        path.and_then(|p| p.file_stem())
            .map(|stem| stem.to_string_lossy().into_owned())
    });
    match stems {
        [Some(first), Some(second)] if first != second => [first, second],
        _ => paths.map(|path| path.map_or_else(String::new, |p| p.display().to_string())),
    }
}

/// Where a benchmark's stores are made: files in a temporary folder, or databases of their
/// own on a PostgreSQL server, dropped when the bench is done.
pub(super) enum Stores {
    DuckDb(tempfile::TempDir),
    /// The URL of a database on the server; the bench's own are made beside it.
    Postgres(String),
}

/// A store made by [`Stores::new_store`]: where it is, and what keeps it.
pub(super) struct BenchStore {
    pub location: std::path::PathBuf,
    /// The database, dropped with this value (PostgreSQL).
    _scratch: Option<embudo_store::postgres::Scratch>,
}

impl Stores {
    fn files() -> Result<Stores> {
        Ok(Stores::DuckDb(tempfile::tempdir()?))
    }

    pub(super) fn engine(&self) -> &'static str {
        match self {
            Stores::DuckDb(_) => "DuckDB",
            Stores::Postgres(_) => "PostgreSQL",
        }
    }

    /// A new, empty store called `name`.
    pub(super) fn new_store(&self, name: &str) -> Result<BenchStore> {
        Ok(match self {
            Stores::DuckDb(dir) => BenchStore {
                location: dir.path().join(format!("{name}.duckdb")),
                _scratch: None,
            },
            Stores::Postgres(url) => {
                let scratch =
                    embudo_store::postgres::Scratch::create(url, &format!("embudo_bench_{name}"))?;
                BenchStore {
                    location: scratch.url().into(),
                    _scratch: Some(scratch),
                }
            }
        })
    }
}

/// What one engine or store's benchmarks measured: the timings, then the tables of their own
/// (audit accuracy, API latency, the import against the engine alone).
struct Measured {
    figures: Table,
    tables: Vec<Table>,
}

impl Measured {
    /// Two measurements' timings in one table, matched by benchmark, with the second's
    /// over the first's; the other tables one after the other, each row marked with where
    /// it was measured. `sides` names what differs (`engine`) and each side's name
    /// (DuckDB and PostgreSQL; two stores).
    fn side_by_side(first: Measured, second: Measured, sides: (&str, [String; 2])) -> Measured {
        let (marker, [first_name, second_name]) = sides;
        // Each side's figures by benchmark: rows written and seconds.
        let by_name = |m: &Measured| -> Vec<(Value, Value, Option<f64>)> {
            (0..m.figures.rows.len())
                .map(|i| {
                    (
                        m.figures.cell(i, "benchmark").clone(),
                        m.figures.cell(i, "rows written").clone(),
                        m.figures.cell(i, "seconds").as_f64(),
                    )
                })
                .collect()
        };
        let theirs = by_name(&second);
        let rows = by_name(&first)
            .into_iter()
            .map(|(name, written, ours)| {
                let theirs = theirs.iter().find(|t| t.0 == name).and_then(|t| t.2);
                let ratio = ours
                    .zip(theirs)
                    .filter(|(d, _)| *d > 0.0)
                    .map(|(d, p)| (p / d * 10.0).round() / 10.0);
                vec![name, written, json!(ours), json!(theirs), json!(ratio)]
            })
            .collect();
        let figures = Table {
            columns: vec![
                "benchmark".into(),
                "rows written".into(),
                format!("{first_name} s"),
                format!("{second_name} s"),
                format!("{second_name} ÷ {first_name}"),
            ],
            rows,
        };
        let marked = |side: &str, table: Table| Table {
            columns: std::iter::once(marker.to_owned())
                .chain(table.columns)
                .collect(),
            rows: table
                .rows
                .into_iter()
                .map(|row| std::iter::once(json!(side)).chain(row).collect())
                .collect(),
        };
        // Matched by their columns: some tables only one side has (the import against
        // DuckDB's own reading of the file).
        let mut theirs = second.tables;
        let mut tables: Vec<Table> = first
            .tables
            .into_iter()
            .map(|ours| {
                let twin = theirs.iter().position(|t| t.columns == ours.columns);
                let mut both = marked(&first_name, ours);
                if let Some(twin) = twin {
                    both.rows
                        .extend(marked(&second_name, theirs.remove(twin)).rows);
                }
                both
            })
            .collect();
        tables.extend(theirs.into_iter().map(|t| marked(&second_name, t)));
        Measured { figures, tables }
    }
}

/// The suites of `args` on stores made by `stores`.
fn measure(config: &Config, args: &BenchArgs, stores: &Stores) -> Result<Measured> {
    let mut tables = Vec::new();
    if args.suite == BenchSuite::Import {
        let import = super::bench_import::figures(config, args.scale, stores)?;
        tables.extend(import.against_engine);
        return Ok(Measured {
            figures: figures_table(import.rows),
            tables,
        });
    }
    if args.suite == BenchSuite::Serve {
        tables = super::bench_serve::figures(config, args.scale, bench_now()?, stores)?;
        return Ok(Measured {
            figures: figures_table(Vec::new()),
            tables,
        });
    }
    let mut rows = Vec::new();
    let mut truth = None;
    let generated_store;
    let (path, range_end) = match &args.store {
        Some(path) => {
            let today = chrono::Utc::now().date_naive();
            (path.clone(), today.with_day(1).expect("day 1 exists"))
        }
        None => {
            generated_store = stores.new_store("bench")?;
            let mut store = Store::open(&generated_store.location)?;
            let params = Params {
                scale: args.scale,
                seed: 1,
                now: bench_now()?,
                defect_rate: 0.05,
                signal: true,
            };
            hint(
                config,
                format_args!(
                    "Generating the {} scale in {}…",
                    args.scale,
                    stores.engine()
                ),
            );
            let generated = generate(&mut store, &params, LoadMode::Append, config.quiet)?;
            if matches!(args.suite, BenchSuite::All | BenchSuite::Store) {
                let seconds = generated.elapsed.as_secs_f64();
                rows.push(figure(
                    format!("generate --scale {}", args.scale),
                    Some(generated.summary.total()),
                    seconds,
                ));
            }
            truth = Some(generated.truth);
            (
                generated_store.location.clone(),
                NaiveDate::from_ymd_opt(2026, 7, 1).expect("valid date"),
            )
        }
    };
    let started = Instant::now();
    let store = Store::open_read_only(&path)?;
    if matches!(args.suite, BenchSuite::All | BenchSuite::Store) {
        rows.push(figure(
            "open store read-only".into(),
            None,
            started.elapsed().as_secs_f64(),
        ));
        for EngineQuery { name, sql } in engine_queries()? {
            let started = Instant::now();
            store.query_with(&sql, &[])?;
            rows.push(figure(
                format!("query: {name}"),
                None,
                started.elapsed().as_secs_f64(),
            ));
        }
    }
    if matches!(args.suite, BenchSuite::All | BenchSuite::Metrics) {
        hint(config, "Timing every metric over one year…");
        rows.extend(metric_figures(&store, config, range_end)?);
        if args.vs_sql {
            hint(config, "Timing every metric beside its reference query…");
            tables.extend(super::bench_reference::figures(&store, config, range_end)?);
        }
    }
    if matches!(args.suite, BenchSuite::All | BenchSuite::Reports) {
        hint(config, "Timing every report over the last month…");
        rows.extend(report_figures(&store, config, range_end)?);
    }
    // `bench audit` alone times nothing here; an empty table would only be noise.
    if args.suite == BenchSuite::All {
        let import = super::bench_import::figures(config, args.scale, stores)?;
        rows.extend(import.rows);
        tables.extend(import.against_engine);
    }
    if matches!(args.suite, BenchSuite::All | BenchSuite::Audit) {
        hint(config, "Auditing…");
        // The store above is open read-only; the audit opens its own connection.
        drop(store);
        tables.push(audit_figures(&path, truth.as_ref())?);
    }
    Ok(Measured {
        figures: figures_table(rows),
        tables,
    })
}

/// The audit's timings and, on a generated store, its precision, recall and F1 against
/// the truth: per defect kind and for duplicates.
fn audit_figures(path: &std::path::Path, truth: Option<&embudo_synth::Truth>) -> Result<Table> {
    use embudo_audit::{checks, dedupe};
    use std::collections::HashSet;
    let store = Store::open(path)?;
    let as_of = crate::config::parse_timestamp(BENCH_NOW).map_err(anyhow::Error::msg)?;
    let mut rows = Vec::new();
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    let mut row = |name: String, pr: Option<(f64, f64)>, seconds: Option<f64>| {
        let f1 = pr.map(|(p, r)| {
            if p + r > 0.0 {
                round(2.0 * p * r / (p + r))
            } else {
                0.0
            }
        });
        rows.push(vec![
            json!(name),
            json!(pr.map(|(p, _)| round(p))),
            json!(pr.map(|(_, r)| round(r))),
            json!(f1),
            json!(seconds.map(|s| (s * 1000.0).round() / 1000.0)),
        ]);
    };
    let started = Instant::now();
    let findings = checks::run(&checks::Context::new(&store, as_of), None, None)?;
    row(
        "every check".into(),
        None,
        Some(started.elapsed().as_secs_f64()),
    );
    if let Some(truth) = truth {
        let mut kinds: Vec<(&str, &str, &str)> = truth
            .defects
            .iter()
            .map(|d| (d.entity, d.field, d.kind))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        for (entity, field, kind) in kinds {
            let Some(check) = checks::check_for(entity, field, kind) else {
                continue;
            };
            let injected: HashSet<i64> = truth
                .defects
                .iter()
                .filter(|d| (d.entity, d.field, d.kind) == (entity, field, kind))
                .map(|d| d.id)
                .collect();
            let flagged: HashSet<i64> = findings
                .iter()
                .find(|f| f.id == check)
                .map(|f| f.rows.iter().map(|r| r.id).collect())
                .unwrap_or_default();
            let hits = injected.intersection(&flagged).count() as f64;
            row(
                format!("{check} ({kind})"),
                Some((
                    hits / flagged.len().max(1) as f64,
                    hits / injected.len().max(1) as f64,
                )),
                None,
            );
        }
    }
    for entity in [
        dedupe::Entity::Contacts,
        dedupe::Entity::Companies,
        dedupe::Entity::Deals,
    ] {
        let started = Instant::now();
        let found = dedupe::find(&store, entity, dedupe::DEFAULT_THRESHOLD)?;
        let seconds = started.elapsed().as_secs_f64();
        let Some(truth) = truth else {
            row(format!("duplicate {}", entity.table()), None, Some(seconds));
            continue;
        };
        let pairs = match entity {
            dedupe::Entity::Contacts => &truth.duplicates.contacts,
            dedupe::Entity::Companies => &truth.duplicates.companies,
            dedupe::Entity::Deals => &truth.duplicates.deals,
        };
        let scored = PairScore::of(pairs, found.linked_pairs(), &found.candidates, |_| true);
        row(
            format!(
                "duplicate {} (blocking recall {:.4}; {:.1} pairs compared per true pair)",
                entity.table(),
                scored.blocking_recall,
                found.candidates.len() as f64 / pairs.len().max(1) as f64
            ),
            Some((scored.precision, scored.recall)),
            Some(seconds),
        );
        if entity == dedupe::Entity::Contacts {
            let offline: HashSet<i64> = truth.offline_contacts.iter().copied().collect();
            let scored = PairScore::of(pairs, found.linked_pairs(), &found.candidates, |id| {
                offline.contains(&id)
            });
            row(
                format!(
                    "duplicate contacts without e-mail or phone, {} records (blocking recall {:.4})",
                    offline.len(),
                    scored.blocking_recall
                ),
                Some((scored.precision, scored.recall)),
                None,
            );
        }
    }
    Ok(Table {
        columns: ["audit", "precision", "recall", "f1", "seconds"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

/// Each metric over the year before `end` by month, split by its first dimension; then the
/// whole catalogue over that year without a split.
fn metric_figures(store: &Store, config: &Config, end: NaiveDate) -> Result<Vec<Vec<Value>>> {
    let from = end - chrono::Months::new(12);
    let query = |metric: &str| Query::over(metric, Bound::Day(from), Bound::Day(end));
    let mut rows = Vec::new();
    for metric in catalogue() {
        let mut monthly = query(&metric.name);
        monthly.grain = Some(Grain::Month);
        monthly.by = metric.dimensions().into_iter().take(1).collect();
        let by = monthly
            .by
            .first()
            .map_or("-".to_owned(), |d| d.name().to_owned());
        let started = Instant::now();
        embudo_metrics::run(store, &config.calendar, &monthly, &config.lang)?;
        let name = format!("metric {} by month and {by}", metric.name);
        rows.push(figure(name, None, started.elapsed().as_secs_f64()));
    }
    let started = Instant::now();
    for metric in catalogue() {
        embudo_metrics::run(store, &config.calendar, &query(&metric.name), &config.lang)?;
    }
    let name = format!("whole catalogue ({} metrics), one year", catalogue().len());
    rows.push(figure(name, None, started.elapsed().as_secs_f64()));
    Ok(rows)
}

/// Each report over the month before `end` (at `end` for point-in-time reports), then the
/// whole pack.
fn report_figures(store: &Store, config: &Config, end: NaiveDate) -> Result<Vec<Vec<Value>>> {
    let at = config
        .calendar
        .to_utc(end.and_hms_opt(0, 0, 0).expect("midnight"));
    let ctx = embudo_reports::Context {
        store,
        calendar: config.calendar,
        params: embudo_reports::Params {
            from: Some(Bound::Day(end - chrono::Months::new(1))),
            to: Some(Bound::Day(end)),
            at: Some(at),
            lang: config.lang.clone(),
            ..Default::default()
        },
        now: at,
    };
    let mut rows = Vec::new();
    for name in embudo_reports::NAMES {
        let started = Instant::now();
        embudo_reports::build(&ctx, name)?;
        rows.push(figure(
            format!("report {name}"),
            None,
            started.elapsed().as_secs_f64(),
        ));
    }
    let started = Instant::now();
    let reports = embudo_reports::build_all(&ctx, &embudo_reports::NAMES)?;
    embudo_reports::html::page("bench", &reports, &config.lang);
    rows.push(figure(
        "report all (built and rendered as HTML)".into(),
        None,
        started.elapsed().as_secs_f64(),
    ));
    Ok(rows)
}

/// Representative queries over the canonical tables, timed as they are.
const ENGINE_QUERIES: &str = include_str!("../../../../bench/engine_queries.toml");

/// One of [`ENGINE_QUERIES`].
#[derive(serde::Deserialize)]
struct EngineQuery {
    name: String,
    sql: String,
}

fn engine_queries() -> Result<Vec<EngineQuery>> {
    #[derive(serde::Deserialize)]
    struct File {
        query: Vec<EngineQuery>,
    }
    let file: File = toml::from_str(ENGINE_QUERIES).context("reading bench/engine_queries.toml")?;
    Ok(file.query)
}

/// One result row; the rate is shown only for benchmarks that write rows.
fn bench_now() -> Result<chrono::NaiveDateTime> {
    crate::config::parse_timestamp(BENCH_NOW).map_err(anyhow::Error::msg)
}

pub(super) fn figures_table(rows: Vec<Vec<Value>>) -> Table {
    Table {
        columns: vec![
            "benchmark".into(),
            "rows written".into(),
            "seconds".into(),
            "rows/s".into(),
        ],
        rows,
    }
}

pub(super) fn figure(name: String, rows: Option<u64>, seconds: f64) -> Vec<Value> {
    let rate = rows.map(|n| (n as f64 / seconds).round() as u64);
    vec![
        json!(name),
        json!(rows),
        json!((seconds * 1000.0).round() / 1000.0),
        json!(rate),
    ]
}
