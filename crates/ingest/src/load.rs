//! One import: every file of a mapping read and checked first, then loaded in dependency
//! order inside one transaction.
//!
//! Per file: each row's values are parsed for their column (a row that fails goes to the
//! quarantine with its reason); the good rows are staged as text; references written as
//! text find their rows (external id of the same source system, then exact name or e-mail;
//! a merged record leads to its survivor); pipelines and stages that do not exist are
//! created; rows already in the store (same id, same source system and external id, or same
//! natural key) are updated where they differ, the rest inserted; deals that arrive without
//! a stage history get one built from their timestamps, marked `synthesised`.

use crate::IngestError;
use crate::mapping::{FileMap, Mapping, PipelineSpec};
use crate::read::{self, Sheet};
use crate::target::{self, Column, Kind, Reference, Target};
use crate::value::{self, DateOrder};
use chrono::NaiveDateTime;
use embudo_store::staging::TextRow;
use embudo_store::{Param, Store};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Scratch tables of one file's rows, inside the import's transaction: the rows as text
/// (written once), the ids worked out for them (narrow, rewritten at each step: DuckDB
/// rewrites a narrow table far faster than it updates a wide one), and the view of both.
const TEXT: &str = "_embudo_import_text";
const IDS: &str = "_embudo_import_ids";
const STAGED: &str = "_embudo_import";

/// Rows parsed between two progress reports.
const PARSE_BATCH: usize = 200_000;

/// How an import runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stored on every row that has a `source_system` column and no value for it.
    pub source_system: String,
    /// The import's instant: creation time of rows that have none.
    pub now: NaiveDateTime,
    /// Do everything, then roll it back.
    pub dry_run: bool,
    /// The currency of amounts that name none.
    pub currency: String,
}

/// What happened to one file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub entity: String,
    /// What the file turned out to be ("CSV, UTF-8, delimiter ';'").
    pub format: String,
    /// Canonical column = source header, as used.
    pub columns: BTreeMap<String, String>,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// References that found no row: kept on the row as text (in `custom.unresolved` where
    /// the table has `custom`).
    pub unresolved: Vec<Unresolved>,
    /// Pipelines and stages created for this file.
    pub created: Vec<String>,
    /// Where rejected rows were written (not in a dry run).
    pub quarantine: Option<PathBuf>,
    /// The first rejections, for the summary.
    pub rejections: Vec<Rejection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unresolved {
    pub column: String,
    pub value: String,
    pub rows: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub row: usize,
    pub reason: String,
}

/// What happened to every file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub files: Vec<FileReport>,
}

impl Report {
    pub fn rejected(&self) -> usize {
        self.files.iter().map(|f| f.rejected).sum()
    }
}

/// Where an import is, for progress bars and for tests that stop it midway.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub file: &'a Path,
    /// Rows parsed or loaded so far, across files.
    pub rows_done: usize,
    pub rows_total: usize,
}

/// Import every file of `mapping`. `step` is called as work advances; an error from it
/// stops the import, leaving the store as it was.
pub fn import(
    store: &Store,
    mapping: &Mapping,
    options: &Options,
    step: &mut dyn FnMut(Step<'_>) -> Result<(), IngestError>,
) -> Result<Report, IngestError> {
    let sheets = mapping
        .files
        .iter()
        .map(|f| read::read(&f.path, f.sheet.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    import_sheets(store, mapping, sheets, options, step)
}

/// [`import`] of files already read: `sheets[i]` is the content of `mapping.files[i]`.
pub fn import_sheets(
    store: &Store,
    mapping: &Mapping,
    sheets: Vec<Sheet>,
    options: &Options,
    step: &mut dyn FnMut(Step<'_>) -> Result<(), IngestError>,
) -> Result<Report, IngestError> {
    let mut files: Vec<(&FileMap, Sheet)> = mapping.files.iter().zip(sheets).collect();
    files.sort_by_key(|(f, _)| target::load_order(&f.entity));
    // Each row counts twice: once parsed, once loaded.
    let rows_total = files.iter().map(|(_, sheet)| sheet.rows.len() * 2).sum();
    let mut rows_done = 0;
    let mut prepared = Vec::new();
    for (file, sheet) in &files {
        let target = Target::read(store, &file.entity)?;
        prepared.push(Prepared::new(file, target, sheet)?);
    }
    let source_system = mapping
        .source_system
        .clone()
        .unwrap_or_else(|| options.source_system.clone());
    let options = Options {
        source_system,
        ..options.clone()
    };
    let mut reports = Vec::new();
    let mut rejected = Vec::new();
    transaction(store, !options.dry_run, || {
        if let Some(spec) = &mapping.pipeline {
            create_pipeline(store, spec)?;
        }
        for file in &prepared {
            let path = &file.map.path;
            let mut on_parsed = |parsed: usize| {
                rows_done += parsed;
                step(Step {
                    file: path,
                    rows_done,
                    rows_total,
                })
            };
            let (report, rejects) = load_file(store, file, &options, &mut on_parsed)?;
            rows_done += file.sheet.rows.len();
            step(Step {
                file: path,
                rows_done,
                rows_total,
            })?;
            reports.push(report);
            rejected.push(rejects);
        }
        for drop in [
            format!("DROP VIEW IF EXISTS {STAGED}"),
            format!("DROP TABLE IF EXISTS {IDS}"),
            format!("DROP TABLE IF EXISTS {TEXT}"),
        ] {
            store.execute_with(&drop, &[])?;
        }
        Ok(())
    })?;
    if !options.dry_run {
        for ((report, file), rejects) in reports.iter_mut().zip(&prepared).zip(&rejected) {
            report.quarantine = write_quarantine(file, rejects)?;
        }
    }
    Ok(Report {
        dry_run: options.dry_run,
        files: reports,
    })
}

/// Runs `work` in a transaction, committing only when it succeeds and `keep` is true.
fn transaction<T>(
    store: &Store,
    keep: bool,
    work: impl FnOnce() -> Result<T, IngestError>,
) -> Result<T, IngestError> {
    store.execute_with("BEGIN TRANSACTION", &[])?;
    match work() {
        Ok(value) => {
            store.execute_with(if keep { "COMMIT" } else { "ROLLBACK" }, &[])?;
            Ok(value)
        }
        Err(e) => {
            // The original error matters more than a failed rollback.
            let _ = store.execute_with("ROLLBACK", &[]);
            Err(e)
        }
    }
}

/// One row parsed: its staged texts, or why it cannot be imported.
type Parsed<'a> = Result<Vec<Option<Cow<'a, str>>>, String>;

/// A field of the staged rows: a canonical column or a reference, and where its text
/// comes from.
#[derive(Debug, Clone)]
struct Field {
    /// The canonical column or reference name; also the staged column's name.
    key: String,
    header: Option<(usize, String)>,
    column: Option<Column>,
    reference: Option<&'static Reference>,
    values: BTreeMap<String, String>,
    default: Option<String>,
    order: Option<DateOrder>,
    decimal_comma: bool,
}

impl Field {
    fn kind(&self) -> Kind {
        self.column.as_ref().map_or(Kind::Text, |c| c.kind)
    }

    /// How the source names this field in messages: `column 'Create Date' (created_at)`.
    fn describe(&self) -> String {
        match &self.header {
            Some((_, header)) => format!("column '{header}' ({})", self.key),
            None => format!("default of {}", self.key),
        }
    }
}

/// A file read and checked against its mapping, ready to stage.
#[derive(Debug)]
struct Prepared<'a> {
    map: &'a FileMap,
    target: Target,
    sheet: &'a Sheet,
    fields: Vec<Field>,
}

/// The keys met so far in a file, with the row each was first met in.
type Seen<'a> = HashMap<Cow<'a, str>, usize, foldhash::fast::RandomState>;

/// A file's rows that could not be imported: row number, reason, the row as it was.
type Rejects = Vec<(usize, String, Vec<String>)>;

impl<'a> Prepared<'a> {
    fn new(
        map: &'a FileMap,
        target: Target,
        sheet: &'a Sheet,
    ) -> Result<Prepared<'a>, IngestError> {
        let fields = fields(map, &target, sheet)?;
        Ok(Prepared {
            map,
            target,
            sheet,
            fields,
        })
    }

    /// Parse every row and stage the good ones as text in [`TEXT`]; returns how many were
    /// staged and the rows rejected. Parsing runs on every core, a batch at a time, while
    /// the previous batch is appended: a million rows of dates and numbers is the slow part
    /// of an import. `on_parsed` hears of every batch.
    fn stage(
        &self,
        store: &Store,
        on_parsed: &mut dyn FnMut(usize) -> Result<(), IngestError>,
    ) -> Result<(usize, Rejects), IngestError> {
        let keys: Vec<String> = self.fields.iter().map(|f| f.key.clone()).collect();
        let mut stager = store.stager(TEXT, &keys)?;
        let mut rejects: Rejects = self
            .sheet
            .unreadable
            .iter()
            .map(|(n, why, text)| (*n, why.clone(), vec![text.clone()]))
            .collect();
        let key = self.key_field();
        // A million keys: foldhash, not the DoS-resistant default, which was a tenth of
        // the whole import's time.
        let mut seen: Seen<'a> = HashMap::with_hasher(Default::default());
        let mut pending: Vec<TextRow<'a>> = Vec::new();
        let mut staged = 0;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for batch in self.sheet.rows.chunks(PARSE_BATCH) {
            let parsed = std::thread::scope(|scope| -> Result<Vec<Parsed<'a>>, IngestError> {
                let parts: Vec<_> = batch
                    .chunks(batch.len().div_ceil(threads).max(10_000))
                    .map(|rows| {
                        scope.spawn(move || {
                            rows.iter().map(|r| self.parse_row(r)).collect::<Vec<_>>()
                        })
                    })
                    .collect();
                stager.append(&pending)?;
                Ok(parts
                    .into_iter()
                    .flat_map(|part| part.join().expect("a parser thread panicked"))
                    .collect())
            })?;
            staged += pending.len();
            pending.clear();
            for (row, parsed) in batch.iter().zip(parsed) {
                match parsed.and_then(|texts| self.unique(key, texts, row.number, &mut seen)) {
                    Ok(texts) => pending.push((row.number as i64, texts)),
                    Err(reason) => rejects.push((
                        row.number,
                        reason,
                        row.fields.iter().map(str::to_owned).collect(),
                    )),
                }
            }
            on_parsed(batch.len())?;
        }
        stager.append(&pending)?;
        stager.finish()?;
        staged += pending.len();
        rejects.sort_by_key(|r| r.0);
        Ok((staged, rejects))
    }

    /// `texts`, unless its key repeats the key of an earlier row.
    fn unique(
        &self,
        key: Option<usize>,
        texts: Vec<Option<Cow<'a, str>>>,
        number: usize,
        seen: &mut Seen<'a>,
    ) -> Parsed<'a> {
        let Some(value) = key.and_then(|k| texts[k].clone()) else {
            return Ok(texts);
        };
        match seen.entry(value) {
            Entry::Occupied(first) => Err(format!(
                "repeats {} '{}' of row {}",
                self.fields[key.expect("a key")].key,
                first.key(),
                first.get()
            )),
            Entry::Vacant(slot) => {
                slot.insert(number);
                Ok(texts)
            }
        }
    }

    /// The field rows are matched by: `id`, else the external id, else the natural key.
    fn key_field(&self) -> Option<usize> {
        let position = |key: &str| self.fields.iter().position(|f| f.key == key);
        position("id")
            .or_else(|| {
                self.target
                    .has_external_id()
                    .then(|| position("external_id"))
                    .flatten()
            })
            .or_else(|| {
                self.target
                    .natural_keys()
                    .iter()
                    .find_map(|key| position(key))
            })
    }

    /// Parse one row into the staged texts, or say why it cannot be imported.
    fn parse_row(&self, row: &'a crate::read::Row) -> Parsed<'a> {
        let width = self.sheet.headers.len();
        if row.fields.len() != width {
            return Err(format!(
                "has {} fields, the header has {width}",
                row.fields.len()
            ));
        }
        let fields = &row.fields;
        self.fields
            .iter()
            .map(|field| {
                let raw = field
                    .header
                    .as_ref()
                    .and_then(|(i, _)| fields.get(*i))
                    .unwrap_or("");
                let trimmed = raw.trim();
                let mapped = field.values.get(trimmed).or_else(|| {
                    field
                        .values
                        .iter()
                        .find(|(from, _)| from.eq_ignore_ascii_case(trimmed))
                        .map(|(_, to)| to)
                });
                let text: Cow<'a, str> = match mapped {
                    Some(to) => Cow::Owned(to.clone()),
                    None if trimmed.is_empty() => match &field.default {
                        Some(d) => Cow::Owned(d.clone()),
                        None => return Ok(None),
                    },
                    // Text keeps its spaces: a trailing blank is the audit's to find.
                    None if field.kind() == Kind::Text && field.reference.is_none() => {
                        Cow::Borrowed(raw)
                    }
                    None => Cow::Borrowed(trimmed),
                };
                parse_value(field, text)
                    .map(Some)
                    .map_err(|(text, problem)| format!("{}: '{text}' {problem}", field.describe()))
            })
            .collect::<Result<Vec<_>, _>>()
            .and_then(|texts| {
                self.required_missing(&texts).map_or(Ok(texts), |field| {
                    Err(format!("{} is empty", field.describe()))
                })
            })
    }

    /// The first field whose column cannot be empty but is.
    fn required_missing(&self, texts: &[Option<Cow<'a, str>>]) -> Option<&Field> {
        self.fields.iter().zip(texts).find_map(|(field, text)| {
            let required = match (&field.column, field.reference) {
                (Some(c), _) => c.required && !derived(self.target.table, &c.name),
                (None, Some(r)) => r.name == "stage",
                _ => false,
            };
            (required && text.is_none()).then_some(field)
        })
    }
}

/// Columns the import fills itself when a file leaves them empty.
fn derived(table: &str, column: &str) -> bool {
    matches!(column, "id" | "created_at" | "updated_at")
        || matches!(
            (table, column),
            ("deals", "status" | "pipeline_id" | "currency")
                | ("orders", "currency")
                | ("users", "role")
        )
}

/// Canonical text for `text` in `field`'s column: what the cast to its SQL type reads.
/// Text stays borrowed from the file; a failure hands the text back with the problem.
fn parse_value<'t>(
    field: &Field,
    text: Cow<'t, str>,
) -> Result<Cow<'t, str>, (Cow<'t, str>, &'static str)> {
    match canonical(field, &text) {
        Ok(None) => Ok(text),
        Ok(Some(canonical)) => Ok(Cow::Owned(canonical)),
        Err(problem) => Err((text, problem)),
    }
}

/// The canonical text of a typed value, `None` for text that is kept as it is.
fn canonical(field: &Field, text: &str) -> Result<Option<String>, &'static str> {
    let typed = match field.kind() {
        Kind::Text => return Ok(None),
        // JSON is kept byte for byte once it parses.
        Kind::Json => {
            return serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map(|_| None)
                .map_err(|_| "is not JSON");
        }
        Kind::Int => {
            let number = value::parse_number(text, field.decimal_comma).ok_or("is not a number")?;
            let whole = match number.split_once('.') {
                None => number.as_str(),
                Some((whole, fraction)) if fraction.chars().all(|c| c == '0') => whole,
                Some(_) => return Err("is not a whole number"),
            };
            let value: i64 = whole.parse().map_err(|_| "is too large")?;
            let sql_type = field.column.as_ref().map_or("", |c| c.sql_type.as_str());
            let fits = match sql_type {
                "INTEGER" => i32::try_from(value).is_ok(),
                "SMALLINT" => i16::try_from(value).is_ok(),
                "TINYINT" => i8::try_from(value).is_ok(),
                _ => true,
            };
            fits.then(|| value.to_string()).ok_or("is too large")
        }
        Kind::Number => {
            let number = value::parse_number(text, field.decimal_comma).ok_or("is not a number")?;
            let sql_type = field.column.as_ref().map_or("", |c| c.sql_type.as_str());
            let digits = number
                .trim_start_matches('-')
                .split('.')
                .next()
                .unwrap_or("");
            let fits = decimal_digits(sql_type)
                .is_none_or(|room| digits.trim_start_matches('0').len() <= room);
            fits.then_some(number).ok_or("is too large")
        }
        Kind::Bool => value::parse_bool(text)
            .map(|b| b.to_string())
            .ok_or("is not yes or no"),
        Kind::Timestamp => value::parse_datetime(text, field.order)
            .map(value::timestamp_text)
            .ok_or("is not a date"),
        Kind::Date => value::parse_date(text, field.order)
            .map(|d| d.to_string())
            .ok_or("is not a date"),
    };
    typed.map(Some)
}

/// Digits a `DECIMAL(p,s)` holds before its point.
fn decimal_digits(sql_type: &str) -> Option<usize> {
    let inner = sql_type.strip_prefix("DECIMAL(")?.strip_suffix(')')?;
    let (precision, scale) = inner.split_once(',')?;
    Some(precision.trim().parse::<usize>().ok()? - scale.trim().parse::<usize>().ok()?)
}

/// The fields a file fills, checked against the table and the file's headers, with each
/// date column's order and each number column's decimal separator decided.
fn fields(map: &FileMap, target: &Target, sheet: &Sheet) -> Result<Vec<Field>, IngestError> {
    let file = map.path.display();
    let unknown = |key: &str| {
        IngestError::Mapping(format!(
            "{file}: '{key}' is not a column of {}; use one of {}",
            target.table,
            target.names().join(", ")
        ))
    };
    let mut keys: Vec<&String> = map.columns.keys().chain(map.defaults.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in map.values.keys() {
        if !keys.contains(&key) {
            return Err(IngestError::Mapping(format!(
                "{file}: values are given for '{key}', which is not mapped"
            )));
        }
    }
    let order = map
        .date_format
        .as_deref()
        .map(|f| {
            DateOrder::parse(f).ok_or_else(|| {
                IngestError::Mapping(format!(
                    "{file}: date_format '{f}' is neither D/M/Y nor M/D/Y"
                ))
            })
        })
        .transpose()?;
    let mut fields = Vec::new();
    for key in keys {
        let column = target.column(key).cloned();
        let reference = target.reference(key);
        if column.is_none() && reference.is_none() {
            return Err(unknown(key));
        }
        let header = match map.columns.get(key) {
            Some(header) => Some((
                sheet.column(header).ok_or_else(|| IngestError::File {
                    path: map.path.clone(),
                    problem: format!(
                        "has no column '{header}' (for {key}); its columns are {}",
                        sheet.headers.join(", ")
                    ),
                })?,
                header.clone(),
            )),
            None => None,
        };
        let mut field = Field {
            key: key.clone(),
            header,
            column,
            reference,
            values: map.values.get(key).cloned().unwrap_or_default(),
            default: map.defaults.get(key).map(|d| d.text()),
            order,
            decimal_comma: false,
        };
        decide_formats(&mut field, sheet, map)?;
        fields.push(field);
    }
    if target.table == "deals"
        && fields.iter().any(|f| f.key == "stage")
        && !fields
            .iter()
            .any(|f| f.key == "pipeline" || f.key == "pipeline_id")
    {
        fields.push(Field {
            key: "pipeline".into(),
            header: None,
            column: None,
            reference: target.reference("pipeline"),
            values: BTreeMap::new(),
            default: None,
            order: None,
            decimal_comma: false,
        });
    }
    for column in target
        .columns
        .iter()
        .filter(|c| c.required && !derived(target.table, &c.name))
    {
        let filled = fields
            .iter()
            .any(|f| f.key == column.name || f.reference.is_some_and(|r| r.column == column.name));
        if !filled {
            return Err(IngestError::Mapping(format!(
                "{file}: {} need a {}: map a column to it",
                target.table, column.name
            )));
        }
    }
    Ok(fields)
}

/// Decide a date column's day/month order and a number column's decimal separator by
/// scanning the whole column.
fn decide_formats(field: &mut Field, sheet: &Sheet, map: &FileMap) -> Result<(), IngestError> {
    let Some((index, header)) = field.header.clone() else {
        return Ok(());
    };
    let values = || sheet.rows.iter().filter_map(move |r| r.fields.get(index));
    match field.kind() {
        Kind::Timestamp | Kind::Date if field.order.is_none() => {
            let bad = |problem: String| IngestError::File {
                path: map.path.clone(),
                problem: format!("column '{header}' {problem}"),
            };
            field.order = value::detect_order(values())
                .map_err(|p| bad(format!("{p}; its dates cannot all be right")))?;
            if field.order.is_none()
                && let Some(example) = value::first_ambiguous(values())
            {
                return Err(bad(format!(
                    "has dates that read two ways ('{example}'); set date_format = \"D/M/Y\" or \"M/D/Y\" in the mapping (--date-format)"
                )));
            }
        }
        Kind::Int | Kind::Number => field.decimal_comma = value::decimal_comma(values()),
        _ => {}
    }
    Ok(())
}

/// Create the pipeline of a mapping's `[pipeline]` and its missing stages, in order.
fn create_pipeline(store: &Store, spec: &PipelineSpec) -> Result<(), IngestError> {
    let pipeline = pipeline_named(store, &spec.name)?;
    let mut stages: Vec<_> = spec.stages.iter().collect();
    stages.sort_by_key(|(_, s)| s.order);
    for (name, stage) in stages {
        let kind = match &stage.kind {
            Some(k) if matches!(k.as_str(), "open" | "won" | "lost") => k.clone(),
            Some(k) => {
                return Err(IngestError::Mapping(format!(
                    "stage '{name}': kind '{k}' is not open, won or lost"
                )));
            }
            None => stage_kind(name).to_owned(),
        };
        let exists = store.query_with(
            "SELECT count(*) FROM stages WHERE pipeline_id = ? AND lower(name) = lower(?)",
            &[Param::Int(pipeline), Param::Text(name.clone())],
        )?;
        if exists.rows[0][0].as_i64() == Some(0) {
            store.execute_with(
                "INSERT INTO stages (id, pipeline_id, name, position, probability, kind)
                 SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ? FROM stages",
                &[
                    Param::Int(pipeline),
                    Param::Text(name.clone()),
                    Param::Int(i64::from(stage.order)),
                    Param::Float(stage.probability),
                    Param::Text(kind),
                ],
            )?;
        }
    }
    Ok(())
}

/// The id of the pipeline named `name`, created if there is none.
fn pipeline_named(store: &Store, name: &str) -> Result<i64, IngestError> {
    let found = store.query_with(
        "SELECT min(id) FROM pipelines WHERE lower(name) = lower(?)",
        &[Param::Text(name.to_owned())],
    )?;
    if let Some(id) = found.rows[0][0].as_i64() {
        return Ok(id);
    }
    let created = store.query_with(
        "INSERT INTO pipelines (id, name) SELECT coalesce(max(id), 0) + 1, ? FROM pipelines RETURNING id",
        &[Param::Text(name.to_owned())],
    )?;
    Ok(created.rows[0][0].as_i64().unwrap_or_default())
}

/// A stage's kind from its label: won/ganado/closed won → won; lost/perdido/closed lost →
/// lost; anything else is open.
pub fn stage_kind(label: &str) -> &'static str {
    let words = crate::mapping::normalise_header(label);
    let has = |w: &str| words.split(' ').any(|word| word == w);
    if has("won") || has("ganado") || has("ganada") || has("win") {
        "won"
    } else if has("lost") || has("perdido") || has("perdida") || has("lose") {
        "lost"
    } else {
        "open"
    }
}

/// Load one prepared file into the store (inside the import's transaction); returns what
/// happened and the rows rejected.
fn load_file(
    store: &Store,
    file: &Prepared<'_>,
    options: &Options,
    on_parsed: &mut dyn FnMut(usize) -> Result<(), IngestError>,
) -> Result<(FileReport, Rejects), IngestError> {
    let (staged, rejects) = file.stage(store, on_parsed)?;
    let matched = build_ids(store, file, options)?;
    store.execute_with(
        &format!(
            "CREATE OR REPLACE TEMP VIEW {STAGED} AS SELECT * FROM {TEXT} JOIN {IDS} USING (row_no)"
        ),
        &[],
    )?;
    let mut report = FileReport {
        path: file.map.path.clone(),
        entity: file.target.table.to_owned(),
        format: file.sheet.kind.clone(),
        columns: file.map.columns.clone(),
        rows: staged + rejects.len(),
        rejected: rejects.len(),
        rejections: rejects
            .iter()
            .take(10)
            .map(|(row, reason, _)| Rejection {
                row: *row,
                reason: reason.clone(),
            })
            .collect(),
        ..FileReport::default()
    };
    resolve_pipelines_and_stages(store, file, &mut report)?;
    report_unresolved(store, file, &mut report)?;
    report.updated = update_matched(store, file, options)?;
    report.unchanged = matched - report.updated;
    if file.target.table == "deal_stage_history" && file.fields.iter().any(|f| f.key == "deal_id") {
        // A history imported for a deal replaces the one an earlier step synthesised. Rows
        // the file gives by id were matched and updated above, never deleted then
        // re-inserted: DuckDB refuses a key deleted and inserted in one transaction.
        store.execute_with(
            &format!(
                "DELETE FROM deal_stage_history WHERE synthesised
                   AND deal_id IN (SELECT CAST(deal_id AS BIGINT) FROM {STAGED})"
            ),
            &[],
        )?;
    }
    report.inserted = insert_new(store, file, options)?;
    resolve_self_references(store, file, options, &mut report)?;
    if file.target.table == "deals" {
        synthesise_history(store)?;
    }
    Ok((report, rejects))
}

/// Resolve the pipelines and stages of a deals file, creating the missing ones; pipelines
/// first, since a stage is found within its deal's pipeline.
fn resolve_pipelines_and_stages(
    store: &Store,
    file: &Prepared<'_>,
    report: &mut FileReport,
) -> Result<(), IngestError> {
    let mut references: Vec<&Field> = file
        .fields
        .iter()
        .filter(|f| {
            f.reference
                .is_some_and(|r| matches!(r.to, "pipelines" | "stages"))
        })
        .collect();
    references.sort_by_key(|f| f.key == "stage");
    for field in references {
        match field.reference.map(|r| r.to) {
            Some("pipelines") => resolve_pipelines(store, &field.key, report)?,
            _ => resolve_stages(store, &field.key, &pipeline_sql(file), report)?,
        }
    }
    Ok(())
}

/// Report the references that found no row (the texts are kept in `unresolved`).
fn report_unresolved(
    store: &Store,
    file: &Prepared<'_>,
    report: &mut FileReport,
) -> Result<(), IngestError> {
    for field in file.fields.iter().filter(|f| looked_up(file, f)) {
        let key = &field.key;
        let missing = store.query_with(
            &format!(
                "SELECT json_extract_string(unresolved, '$.{key}') AS v, count(*) FROM {IDS}
                  WHERE v IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            &[],
        )?;
        report
            .unresolved
            .extend(missing.rows.iter().map(|r| Unresolved {
                column: key.clone(),
                value: r[0].as_str().unwrap_or_default().to_owned(),
                rows: r[1].as_u64().unwrap_or(0) as usize,
            }));
    }
    Ok(())
}

/// Whether `field` is a reference found by looking its text up in another table (not a
/// pipeline or stage, which are created when missing, nor a row of the same file).
fn looked_up(file: &Prepared<'_>, field: &Field) -> bool {
    field
        .reference
        .is_some_and(|r| !matches!(r.to, "pipelines" | "stages") && r.to != file.target.table)
}

/// Work out, in one pass over the staged rows, everything the import needs to know of each:
/// the id of every reference looked up by text, the row it matches in the store, the id a
/// new row gets, and the references that found nothing. Returns how many rows matched.
fn build_ids(store: &Store, file: &Prepared<'_>, options: &Options) -> Result<usize, IngestError> {
    let table = file.target.table;
    let mut select = vec!["s.row_no".to_owned()];
    let mut joins = Vec::new();
    let mut params = Vec::new();
    let mut unresolved = Vec::new();
    for field in file.fields.iter().filter(|f| f.reference.is_some()) {
        let key = &field.key;
        let reference = field.reference.expect("filtered");
        if !looked_up(file, field) {
            select.push(format!("CAST(NULL AS BIGINT) AS \"{key}__id\""));
            continue;
        }
        let mut ids = Vec::new();
        for (i, lookup) in lookups(store, key, reference.to, options)?
            .into_iter()
            .enumerate()
        {
            let alias = format!("\"{key}_{i}\"");
            joins.push(format!(
                "LEFT JOIN ({}) {alias} ON {} = {alias}.k",
                lookup.rows, lookup.staged
            ));
            params.extend(lookup.params);
            ids.push(format!("{alias}.id"));
        }
        let id = if ids.is_empty() {
            "CAST(NULL AS BIGINT)".to_owned()
        } else {
            format!("coalesce({})", ids.join(", "))
        };
        unresolved.push(format!(
            "'{key}', CASE WHEN s.\"{key}\" IS NOT NULL AND {id} IS NULL THEN s.\"{key}\" END"
        ));
        select.push(format!("{id} AS \"{key}__id\""));
    }
    let target = match match_lookup(file, options) {
        Some((lookup, condition, binds)) => {
            joins.push(format!("LEFT JOIN ({lookup}) t ON {condition}"));
            params.extend(binds);
            "t.id"
        }
        None => "CAST(NULL AS BIGINT)",
    };
    select.push(format!("{target} AS target_id"));
    // New rows keep the id they bring; the others take the next free ones, in file order.
    let (brought, base) = if file.fields.iter().any(|f| f.key == "id") {
        (
            "CAST(s.id AS BIGINT)",
            format!(
                "greatest((SELECT coalesce(max(id), 0) FROM {table}), (SELECT coalesce(max(CAST(id AS BIGINT)), 0) FROM {TEXT}))"
            ),
        )
    } else {
        (
            "CAST(NULL AS BIGINT)",
            format!("(SELECT coalesce(max(id), 0) FROM {table})"),
        )
    };
    select.push(format!(
        "CASE WHEN {target} IS NOT NULL THEN NULL
              WHEN {brought} IS NOT NULL THEN {brought}
              ELSE {base} + row_number() OVER (PARTITION BY {target} IS NULL AND {brought} IS NULL ORDER BY s.row_no)
         END AS new_id"
    ));
    // JSON merge patch drops the members that are null: only what found nothing remains.
    select.push(if unresolved.is_empty() {
        "CAST(NULL AS VARCHAR) AS unresolved".to_owned()
    } else {
        format!(
            "nullif(CAST(json_merge_patch('{{}}', json_object({})) AS VARCHAR), '{{}}') AS unresolved",
            unresolved.join(", ")
        )
    });
    store.execute_with(
        &format!(
            "CREATE OR REPLACE TEMP TABLE {IDS} AS SELECT {} FROM {TEXT} s {}",
            select.join(",\n "),
            joins.join("\n ")
        ),
        &params,
    )?;
    let matched = store.query_with(
        &format!("SELECT count(*) FROM {IDS} WHERE target_id IS NOT NULL"),
        &[],
    )?;
    Ok(matched.rows[0][0].as_u64().unwrap_or(0) as usize)
}

/// Report the texts of reference `key` that found no row, and keep each on its staged row
/// (`unresolved`, a JSON object of reference name to text).
fn note_unresolved(store: &Store, key: &str, report: &mut FileReport) -> Result<(), IngestError> {
    let missing = store.query_with(
        &format!(
            "SELECT \"{key}\", count(*) FROM {STAGED}
              WHERE \"{key}\" IS NOT NULL AND \"{key}__id\" IS NULL GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        &[],
    )?;
    report
        .unresolved
        .extend(missing.rows.iter().map(|r| Unresolved {
            column: key.to_owned(),
            value: r[0].as_str().unwrap_or_default().to_owned(),
            rows: r[1].as_u64().unwrap_or(0) as usize,
        }));
    store.execute_with(
        &format!(
            "UPDATE {IDS} SET unresolved = CAST(json_merge_patch(coalesce({IDS}.unresolved, '{{}}'), json_object(?, t.\"{key}\")) AS VARCHAR)
               FROM {TEXT} t
              WHERE {IDS}.row_no = t.row_no AND t.\"{key}\" IS NOT NULL AND {IDS}.\"{key}__id\" IS NULL"
        ),
        &[Param::Text(key.to_owned())],
    )?;
    Ok(())
}

/// References of a table to itself (a parent company, a referring contact) may name rows
/// of the same file: they are resolved once the file's rows are in, then written.
fn resolve_self_references(
    store: &Store,
    file: &Prepared<'_>,
    options: &Options,
    report: &mut FileReport,
) -> Result<(), IngestError> {
    let table = file.target.table;
    for field in &file.fields {
        let Some(reference) = field.reference.filter(|r| r.to == table) else {
            continue;
        };
        let (key, column) = (&field.key, reference.column);
        resolve_by_keys(store, key, table, options)?;
        store.execute_with(
            &format!(
                "UPDATE {table} t SET \"{column}\" = s.\"{key}__id\"
                   FROM {STAGED} s
                  WHERE t.id = coalesce(s.target_id, s.new_id) AND s.\"{key}__id\" IS NOT NULL
                    AND t.\"{column}\" IS DISTINCT FROM s.\"{key}__id\""
            ),
            &[],
        )?;
        note_unresolved(store, key, report)?;
        if file.target.column("custom").is_some() {
            store.execute_with(
                &format!(
                    "UPDATE {table} t
                        SET custom = CAST(json_merge_patch(coalesce(t.custom, '{{}}'), json_object('unresolved', json_object(?, s.\"{key}\"))) AS JSON)
                       FROM {STAGED} s
                      WHERE t.id = coalesce(s.target_id, s.new_id) AND s.\"{key}\" IS NOT NULL AND s.\"{key}__id\" IS NULL"
                ),
                &[Param::Text(key.clone())],
            )?;
        }
    }
    Ok(())
}

/// How the staged texts of reference `key` find rows of `table`, tried in order: by
/// external id within the source system, then by each of the table's text keys; each a
/// subquery of (k, id) and the staged expression compared with k, with the subqueries'
/// parameters. A merged row leads to its survivor.
fn lookups(
    store: &Store,
    key: &str,
    table: &str,
    options: &Options,
) -> Result<Vec<Lookup>, IngestError> {
    let target = Target::read(store, table)?;
    let survivor = if target.column("merged_into_id").is_some() {
        "coalesce(merged_into_id, id)"
    } else {
        "id"
    };
    let live = if target.column("deleted_at").is_some() {
        "deleted_at IS NULL"
    } else {
        "TRUE"
    };
    let mut lookups = Vec::new();
    if target.has_external_id() {
        lookups.push(Lookup {
            rows: format!(
                "SELECT external_id AS k, min({survivor}) AS id FROM {table} WHERE source_system = ? AND {live} GROUP BY 1"
            ),
            staged: format!("s.\"{key}\""),
            params: vec![Param::Text(options.source_system.clone())],
        });
    }
    for expression in target::lookup_keys(table) {
        let staged = if expression.starts_with("lower(") {
            format!("lower(s.\"{key}\")")
        } else {
            format!("s.\"{key}\"")
        };
        lookups.push(Lookup {
            rows: format!(
                "SELECT {expression} AS k, min({survivor}) AS id FROM {table} WHERE {live} GROUP BY 1"
            ),
            staged,
            params: vec![],
        });
    }
    Ok(lookups)
}

/// One way a reference's text finds its row: a subquery of (k, id), the staged expression
/// compared with k, and the subquery's parameters.
#[derive(Debug)]
struct Lookup {
    rows: String,
    staged: String,
    params: Vec<Param>,
}

/// Find rows of `table` for the staged texts in `key` that have none yet, once rows of
/// the same file are in the store (a parent company, a referring contact).
fn resolve_by_keys(
    store: &Store,
    key: &str,
    table: &str,
    options: &Options,
) -> Result<(), IngestError> {
    for Lookup {
        rows,
        staged,
        params,
    } in lookups(store, key, table, options)?
    {
        store.execute_with(
            &format!(
                "UPDATE {IDS} SET \"{key}__id\" = m.id
                   FROM (SELECT s.row_no, l.id FROM {TEXT} s JOIN ({rows}) l ON {staged} = l.k) m
                  WHERE {IDS}.row_no = m.row_no AND {IDS}.\"{key}__id\" IS NULL"
            ),
            &params,
        )?;
    }
    Ok(())
}

/// Pipelines by name, created when missing; rows naming none get the first pipeline
/// (created as "Sales" in an empty store).
fn resolve_pipelines(store: &Store, key: &str, report: &mut FileReport) -> Result<(), IngestError> {
    let names = store.query_with(
        &format!("SELECT DISTINCT \"{key}\" FROM {STAGED} WHERE \"{key}\" IS NOT NULL ORDER BY 1"),
        &[],
    )?;
    for name in names.rows.iter().filter_map(|r| r[0].as_str()) {
        let before = store.query_with(
            "SELECT count(*) FROM pipelines WHERE lower(name) = lower(?)",
            &[Param::Text(name.to_owned())],
        )?;
        let id = pipeline_named(store, name)?;
        if before.rows[0][0].as_i64() == Some(0) {
            report.created.push(format!("pipeline '{name}'"));
        }
        store.execute_with(
            &format!(
                "UPDATE {IDS} SET \"{key}__id\" = ? FROM {TEXT} t WHERE {IDS}.row_no = t.row_no AND t.\"{key}\" = ?"
            ),
            &[Param::Int(id), Param::Text(name.to_owned())],
        )?;
    }
    let unnamed = store.query_with(
        &format!("SELECT count(*) FROM {STAGED} WHERE \"{key}\" IS NULL"),
        &[],
    )?;
    if unnamed.rows[0][0].as_i64() > Some(0) {
        let first = store.query_with("SELECT min(id) FROM pipelines", &[])?;
        let id = match first.rows[0][0].as_i64() {
            Some(id) => id,
            None => {
                report.created.push("pipeline 'Sales'".into());
                pipeline_named(store, "Sales")?
            }
        };
        store.execute_with(
            &format!(
                "UPDATE {IDS} SET \"{key}__id\" = ? FROM {TEXT} t WHERE {IDS}.row_no = t.row_no AND t.\"{key}\" IS NULL"
            ),
            &[Param::Int(id)],
        )?;
    }
    Ok(())
}

/// Stages by name within the row's pipeline; stages that do not exist are created after
/// the pipeline's last, open ones first, their kind read from the label.
fn resolve_stages(
    store: &Store,
    key: &str,
    pipeline: &str,
    report: &mut FileReport,
) -> Result<(), IngestError> {
    let find = format!(
        "UPDATE {IDS} SET \"{key}__id\" = m.id
           FROM (SELECT s.row_no, st.id FROM {STAGED} s JOIN stages st
                    ON st.pipeline_id = {pipeline} AND lower(st.name) = lower(trim(s.\"{key}\"))) m
          WHERE {IDS}.row_no = m.row_no"
    );
    store.execute_with(&find, &[])?;
    let missing = store.query_with(
        &format!(
            "SELECT {pipeline} AS p, trim(s.\"{key}\") AS name, min(s.row_no) AS first FROM {STAGED} s
              WHERE s.\"{key}\" IS NOT NULL AND s.\"{key}__id\" IS NULL AND {pipeline} IS NOT NULL
              GROUP BY 1, 2 ORDER BY 1, 3"
        ),
        &[],
    )?;
    let mut by_pipeline: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for row in &missing.rows {
        let names = by_pipeline
            .entry(row[0].as_i64().unwrap_or_default())
            .or_default();
        let name = row[1].as_str().unwrap_or_default().to_owned();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
    }
    for (pipeline, mut names) in by_pipeline {
        names.sort_by_key(|n| match stage_kind(n) {
            "open" => 0,
            "won" => 1,
            _ => 2,
        });
        let open = names.iter().filter(|n| stage_kind(n) == "open").count();
        let mut open_seen = 0;
        for name in names {
            let kind = stage_kind(&name);
            let probability = match kind {
                "won" => 1.0,
                "lost" => 0.0,
                _ => {
                    open_seen += 1;
                    (open_seen as f64 / (open + 1) as f64 * 100.0).round() / 100.0
                }
            };
            store.execute_with(
                "INSERT INTO stages (id, pipeline_id, name, position, probability, kind)
                 SELECT (SELECT coalesce(max(id), 0) + 1 FROM stages), ?, ?,
                        (SELECT coalesce(max(position), 0) + 1 FROM stages WHERE pipeline_id = ?), ?, ?",
                &[
                    Param::Int(pipeline),
                    Param::Text(name.clone()),
                    Param::Int(pipeline),
                    Param::Float(probability),
                    Param::Text(kind.to_owned()),
                ],
            )?;
            report.created.push(format!("stage '{name}' ({kind})"));
        }
    }
    store.execute_with(&find, &[])?;
    Ok(())
}

/// The pipeline of a staged deal, as SQL: resolved from its name, or given as an id.
fn pipeline_sql(file: &Prepared<'_>) -> String {
    if file.fields.iter().any(|f| f.key == "pipeline") {
        "s.pipeline__id".to_owned()
    } else {
        "CAST(s.pipeline_id AS BIGINT)".to_owned()
    }
}

/// How staged rows find the row they update, if the file has a key: a subquery of (id, k…)
/// aliased `t`, the join condition, and the subquery's parameters.
fn match_lookup(file: &Prepared<'_>, options: &Options) -> Option<(String, String, Vec<Param>)> {
    let table = file.target.table;
    let key = file.key_field().map(|k| file.fields[k].key.as_str())?;
    let live = if file.target.column("merged_into_id").is_some() {
        "WHERE deleted_at IS NULL AND merged_into_id IS NULL"
    } else {
        ""
    };
    Some(match key {
        "id" => (
            format!("SELECT id, id AS k FROM {table}"),
            "t.k = CAST(s.id AS BIGINT)".to_owned(),
            vec![],
        ),
        "external_id" if file.fields.iter().any(|f| f.key == "source_system") => (
            format!("SELECT id, external_id AS k, source_system FROM {table}"),
            "t.k = s.external_id AND t.source_system IS NOT DISTINCT FROM s.source_system"
                .to_owned(),
            vec![],
        ),
        "external_id" => (
            format!("SELECT id, external_id AS k FROM {table} WHERE source_system = ?"),
            "t.k = s.external_id".to_owned(),
            vec![Param::Text(options.source_system.clone())],
        ),
        // Several rows may share a natural key: the oldest live one is the match.
        "name" => (
            format!("SELECT min(id) AS id, name AS k FROM {table} {live} GROUP BY 2"),
            "t.k = s.name".to_owned(),
            vec![],
        ),
        natural => (
            format!(
                "SELECT min(id) AS id, lower(\"{natural}\") AS k FROM {table} {live} GROUP BY 2"
            ),
            format!("t.k = lower(s.\"{natural}\")"),
            vec![],
        ),
    })
}

/// The value each target column gets from a staged row, as SQL over the alias `s`, with
/// the parameters it binds, in order.
fn assignments(file: &Prepared<'_>, options: &Options) -> Vec<(String, String, Vec<Param>)> {
    let table = file.target.table;
    let has_column = |c: &str| file.target.column(c).is_some();
    let mapped = |k: &str| file.fields.iter().any(|f| f.key == k);
    let now = || Param::Timestamp(options.now);
    let mut out: Vec<(String, String, Vec<Param>)> = Vec::new();
    for field in &file.fields {
        if let Some(column) = &field.column {
            let cast = format!("CAST(s.\"{}\" AS {})", field.key, column.sql_type);
            let (sql, params) = match column.name.as_str() {
                "id" => continue,
                "created_at" => (format!("coalesce({cast}, ?)"), vec![now()]),
                "updated_at" if mapped("created_at") => (
                    format!("coalesce({cast}, CAST(s.created_at AS TIMESTAMP), ?)"),
                    vec![now()],
                ),
                "updated_at" => (format!("coalesce({cast}, ?)"), vec![now()]),
                "currency" => (format!("coalesce({cast}, ?)"), vec![Param::Text(options.currency.clone())]),
                "role" if table == "users" => (format!("coalesce({cast}, 'rep')"), vec![]),
                "status" if table == "deals" && mapped("stage") => (
                    format!("coalesce({cast}, (SELECT kind FROM stages WHERE id = s.stage__id))"),
                    vec![],
                ),
                "custom" if has_column("custom") => (
                    format!(
                        "CASE WHEN s.unresolved IS NULL THEN {cast}
                              ELSE CAST(json_merge_patch(coalesce({cast}, '{{}}'), json_object('unresolved', CAST(s.unresolved AS JSON))) AS JSON) END"
                    ),
                    vec![],
                ),
                _ => match &column.default_sql {
                    Some(default) => (format!("coalesce({cast}, {default})"), vec![]),
                    None => (cast, vec![]),
                },
            };
            out.push((column.name.clone(), sql, params));
        } else if let Some(reference) = field.reference {
            out.push((
                reference.column.to_owned(),
                format!("s.\"{}__id\"", field.key),
                vec![],
            ));
        }
    }
    let missing = |c: &str| has_column(c) && !out.iter().any(|(name, _, _)| name == c);
    let mut filled: Vec<(String, String, Vec<Param>)> = Vec::new();
    if missing("source_system") {
        filled.push((
            "source_system".into(),
            "?".into(),
            vec![Param::Text(options.source_system.clone())],
        ));
    }
    if missing("created_at") && file.target.column("created_at").is_some_and(|c| c.required) {
        filled.push(("created_at".into(), "?".into(), vec![now()]));
    }
    if missing("updated_at") && file.target.column("updated_at").is_some_and(|c| c.required) {
        let created = if mapped("created_at") {
            "coalesce(CAST(s.created_at AS TIMESTAMP), ?)"
        } else {
            "?"
        };
        filled.push(("updated_at".into(), created.into(), vec![now()]));
    }
    if missing("currency") && matches!(table, "deals" | "orders") {
        filled.push((
            "currency".into(),
            "?".into(),
            vec![Param::Text(options.currency.clone())],
        ));
    }
    if missing("synthesised") && table == "deal_stage_history" {
        filled.push(("synthesised".into(), "false".into(), vec![]));
    }
    if missing("role") && table == "users" {
        filled.push(("role".into(), "'rep'".into(), vec![]));
    }
    if missing("status") && table == "deals" && mapped("stage") {
        filled.push((
            "status".into(),
            "(SELECT kind FROM stages WHERE id = s.stage__id)".into(),
            vec![],
        ));
    }
    if missing("custom") && file.fields.iter().any(|f| f.reference.is_some()) {
        filled.push((
            "custom".into(),
            "CASE WHEN s.unresolved IS NOT NULL THEN CAST(json_object('unresolved', CAST(s.unresolved AS JSON)) AS JSON) END".into(),
            vec![],
        ));
    }
    out.extend(filled);
    out
}

/// Update matched rows where a value differs; returns how many changed. Keys (`id`,
/// `source_system`, `external_id`) are never rewritten, a reference that found nothing
/// keeps the row's current one, and `updated_at` moves to the import's instant when the
/// file does not give it.
fn update_matched(
    store: &Store,
    file: &Prepared<'_>,
    options: &Options,
) -> Result<usize, IngestError> {
    let table = file.target.table;
    let keep = ["id", "source_system", "external_id", "created_at"];
    let mapped_updated = file.fields.iter().any(|f| f.key == "updated_at");
    let mut sets = Vec::new();
    let mut differs = Vec::new();
    let mut params = Vec::new();
    let mut select = Vec::new();
    for (column, sql, binds) in assignments(file, options) {
        let auto = |c: &str| !file.fields.iter().any(|f| f.key == c);
        if keep.contains(&column.as_str())
            || (column == "updated_at" && !mapped_updated)
            || (column == "custom" && auto("custom"))
        {
            continue;
        }
        let is_reference = file
            .fields
            .iter()
            .any(|f| f.reference.is_some_and(|r| r.column == column));
        select.push(format!("{sql} AS \"{column}\""));
        params.extend(binds);
        let value = if is_reference {
            format!("coalesce(n.\"{column}\", t.\"{column}\")")
        } else {
            format!("n.\"{column}\"")
        };
        differs.push(format!("t.\"{column}\" IS DISTINCT FROM {value}"));
        sets.push(format!("\"{column}\" = {value}"));
    }
    if sets.is_empty() {
        return Ok(0);
    }
    if file.target.column("updated_at").is_some() && !mapped_updated {
        // Bound inside the subquery, so every placeholder is in one place, in order.
        select.push("? AS import_instant".into());
        params.push(Param::Timestamp(options.now));
        sets.push("updated_at = n.import_instant".into());
    }
    let sql = format!(
        "UPDATE {table} t SET {}
           FROM (SELECT s.target_id, {} FROM {STAGED} s WHERE s.target_id IS NOT NULL) n
          WHERE t.id = n.target_id AND ({})",
        sets.join(", "),
        select.join(", "),
        differs.join(" OR ")
    );
    Ok(store.execute_with(&sql, &params)?)
}

/// Insert the rows not matched, with the ids they bring or the next free ones; returns
/// how many.
fn insert_new(store: &Store, file: &Prepared<'_>, options: &Options) -> Result<usize, IngestError> {
    let table = file.target.table;
    let assignments = assignments(file, options);
    let columns: Vec<String> = std::iter::once("id".to_owned())
        .chain(assignments.iter().map(|(c, _, _)| format!("\"{c}\"")))
        .collect();
    let values: Vec<String> = std::iter::once("s.new_id".to_owned())
        .chain(assignments.iter().map(|(_, sql, _)| sql.clone()))
        .collect();
    let params: Vec<Param> = assignments.into_iter().flat_map(|(_, _, p)| p).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {STAGED} s WHERE s.target_id IS NULL ORDER BY s.new_id",
        columns.join(", "),
        values.join(", ")
    );
    Ok(store.execute_with(&sql, &params)?)
}

/// Give every deal without a stage history one built from its timestamps: an open deal has
/// been in its stage since it was created; a closed deal went from its pipeline's first
/// stage, at creation, to its closing stage, at its close.
fn synthesise_history(store: &Store) -> Result<(), IngestError> {
    store.execute_with(
        &format!(
            "INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at, changed_by, synthesised)
             WITH new_deals AS (
                 SELECT d.* FROM deals d JOIN {STAGED} s ON s.new_id = d.id
                  WHERE s.target_id IS NULL
                    AND NOT EXISTS (SELECT 1 FROM deal_stage_history h WHERE h.deal_id = d.id)),
             first_stage AS (
                 SELECT pipeline_id, arg_min(id, position) AS id FROM stages WHERE kind = 'open' GROUP BY 1),
             visits AS (
                 SELECT id AS deal_id, stage_id, created_at AS entered_at, CAST(NULL AS TIMESTAMP) AS exited_at
                   FROM new_deals WHERE status = 'open' OR status IS NULL
                 UNION ALL
                 SELECT d.id, f.id, d.created_at, coalesce(d.closed_at, d.created_at)
                   FROM new_deals d JOIN first_stage f ON f.pipeline_id = d.pipeline_id
                  WHERE d.status IN ('won', 'lost')
                 UNION ALL
                 SELECT id, stage_id, coalesce(closed_at, created_at), NULL
                   FROM new_deals WHERE status IN ('won', 'lost'))
             SELECT (SELECT coalesce(max(id), 0) FROM deal_stage_history)
                    + row_number() OVER (ORDER BY deal_id, entered_at, exited_at NULLS LAST),
                    deal_id, stage_id, entered_at, exited_at, NULL, true
               FROM visits"
        ),
        &[],
    )?;
    Ok(())
}

/// Write a file's rejected rows beside it, as `<file>.rejected.csv`: row number, reason,
/// then the row as it was. A file with no rejected rows has no quarantine (an old one is
/// removed, so what is there always belongs to the last import).
fn write_quarantine(
    file: &Prepared<'_>,
    rejects: &Rejects,
) -> Result<Option<PathBuf>, IngestError> {
    let mut name = file.map.path.as_os_str().to_owned();
    name.push(".rejected.csv");
    let path = PathBuf::from(name);
    if rejects.is_empty() {
        if path.exists() {
            let _ = std::fs::remove_file(&path);
        }
        return Ok(None);
    }
    let bad = |e: String| IngestError::File {
        path: path.clone(),
        problem: format!("cannot be written: {e}"),
    };
    // A rejected row may have more fields than the header: that can be why it was rejected.
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(&path)
        .map_err(|e| bad(e.to_string()))?;
    let header: Vec<&str> = ["row", "reason"]
        .into_iter()
        .chain(file.sheet.headers.iter().map(String::as_str))
        .collect();
    writer
        .write_record(&header)
        .map_err(|e| bad(e.to_string()))?;
    for (row, reason, fields) in rejects {
        let mut record = vec![row.to_string(), reason.clone()];
        record.extend(fields.iter().cloned());
        record.resize(header.len().max(record.len()), String::new());
        writer
            .write_record(&record)
            .map_err(|e| bad(e.to_string()))?;
    }
    writer.flush().map_err(|e| bad(e.to_string()))?;
    Ok(Some(path))
}
