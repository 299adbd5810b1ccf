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
//!
//! - [`parse`]: the fields a mapping fills, and every row parsed and staged as text.
//!
//! What follows staging — references, pipelines and stages, the rows matched, updates,
//! inserts, synthesised history — is the store's ([`embudo_store::import`]); the rows
//! rejected go to a quarantine file here.

use crate::IngestError;
use crate::mapping::{FileMap, Mapping};
use crate::read::{self, Sheet};
use crate::target::{self, Column, Kind, Reference, Target};
use crate::value::{self, DateOrder};
use chrono::NaiveDateTime;
use embudo_store::Store;
use embudo_store::derived::Refreshed;
use embudo_store::import::{
    ImportRules, RepeatedKey, STAGED_TEXT, StagedField, StagedFile, stage_kind,
};
use embudo_store::staging::TextRow;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod parse;

pub use embudo_store::import::{CREATABLE, Unresolved};
use parse::*;

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
    /// Tables (of [`CREATABLE`]) in which references that find no row create one.
    pub create_missing: Vec<String>,
}

impl Options {
    /// What the store is told of this import's choices.
    fn rules(&self) -> ImportRules<'_> {
        ImportRules {
            now: self.now,
            source_system: &self.source_system,
            currency: &self.currency,
            create_missing: &self.create_missing,
        }
    }
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
    /// The file's headers nothing reads.
    pub not_imported: Vec<String>,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// References that found no row: kept on the row as text (in `custom.unresolved` where
    /// the table has `custom`).
    pub unresolved: Vec<Unresolved>,
    /// Pipelines, stages, users, teams, products and companies created for this file.
    pub created: Vec<String>,
    /// Values the import worked out because the file lacks them.
    pub inferred: Vec<String>,
    /// Where rejected rows were written (not in a dry run).
    pub quarantine: Option<PathBuf>,
    /// The first rejections, for the summary.
    pub rejections: Vec<Rejection>,
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
    /// What the store derived again afterwards (first revenue of contacts, inferred dates).
    pub derived: Refreshed,
    /// Gaps in the store after the import that will make reports wrong or empty.
    pub warnings: Vec<embudo_store::gaps::Found>,
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
    let mut derived = Refreshed::default();
    let mut warnings = Vec::new();
    store.transaction(!options.dry_run, || {
        store.allow_bulk_memory()?;
        if let Some(spec) = &mapping.pipeline {
            store.import_pipeline(spec)?;
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
            declare_labels(store, file.map)?;
            rows_done += file.sheet.rows.len();
            step(Step {
                file: path,
                rows_done,
                rows_total,
            })?;
            reports.push(report);
            rejected.push(rejects);
        }
        derived = embudo_store::derived::refresh(store)?;
        warnings = embudo_store::gaps::find(store)?;
        store.clear_import_staging()?;
        Ok::<_, IngestError>(())
    })?;
    if !options.dry_run {
        for ((report, file), rejects) in reports.iter_mut().zip(&prepared).zip(&rejected) {
            report.quarantine = write_quarantine(file, rejects)?;
        }
    }
    Ok(Report {
        dry_run: options.dry_run,
        files: reports,
        derived,
        warnings,
    })
}

/// Load one prepared file into the store (inside the import's transaction); returns what
/// happened and the rows rejected.
fn load_file(
    store: &Store,
    file: &Prepared<'_>,
    options: &Options,
    on_parsed: &mut dyn FnMut(usize) -> Result<(), IngestError>,
) -> Result<(FileReport, Rejects), IngestError> {
    store.release_staged_view()?;
    let (staged, rejects) = file.stage(store, on_parsed)?;
    let loaded = store.load_staged(&file.staged(), &options.rules())?;
    let report = FileReport {
        path: file.map.path.clone(),
        entity: file.target.table.to_owned(),
        format: file.sheet.kind.clone(),
        columns: file.map.columns.clone(),
        not_imported: file
            .sheet
            .headers
            .iter()
            .filter(|h| {
                !file.map.columns.values().any(|c| c == *h)
                    && !file.map.fallbacks.values().flatten().any(|c| c == *h)
            })
            .cloned()
            .collect(),
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
        inserted: loaded.inserted,
        updated: loaded.updated,
        unchanged: loaded.unchanged,
        unresolved: loaded.unresolved,
        created: loaded.created,
        inferred: loaded.inferred,
        quarantine: None,
    };
    Ok((report, rejects))
}

/// Fields whose values a mapping maps onto labels of the user's choosing, which the audit
/// then holds every other value of the field against.
const LABEL_FIELDS: [(&str, &str); 3] = [
    ("contacts", "lead_source"),
    ("deals", "source"),
    ("companies", "industry"),
];

/// Record the labels `map`'s `[file.values]` maps onto, for the fields of [`LABEL_FIELDS`].
fn declare_labels(store: &Store, map: &FileMap) -> Result<(), IngestError> {
    for (column, values) in &map.values {
        if !LABEL_FIELDS.contains(&(map.entity.as_str(), column.as_str())) {
            continue;
        }
        let field = format!("{}.{column}", map.entity);
        for label in values.values().collect::<std::collections::BTreeSet<_>>() {
            store.declare_label(&field, label)?;
        }
    }
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
