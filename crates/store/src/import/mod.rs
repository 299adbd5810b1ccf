//! An import's SQL: a file's rows, staged as text, turned into rows of their table inside
//! the import's transaction. The `ingest` crate reads the files, maps and parses them, and
//! stages the rows (the [`STAGED_TEXT`] table); everything after is here.
//!
//! References written as text find their rows (external id of the same source system, then
//! exact name or e-mail; a merged record leads to its survivor); pipelines and stages that
//! do not exist are created; rows already in the store (same id, same source system and
//! external id, or same natural key) are updated where they differ, the rest inserted;
//! deals that arrive without a stage history get one built from their timestamps, marked
//! `synthesised`.
//!
//! - [`target`]: what can be imported where: tables, columns, references, load order.
//! - `resolve`: references, pipelines and stages, the store rows matched, new ids.
//! - `write`: what each column gets, the updates, the inserts, the synthesised history.
//!
//! Identifiers reach SQL only from the store's catalogue ([`Target`]'s columns), the fixed
//! list of references, and field keys that are those columns' or references' names.

use crate::error::{Result, StoreError};
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod resolve;
pub mod target;
mod write;

pub use resolve::{CREATABLE, stage_kind};
pub use target::{Column, Kind, Reference, Target};

/// The scratch table a file's rows are staged in as text, one column per field key, with
/// `row_no` (appended once, inside the import's transaction).
pub const STAGED_TEXT: &str = "_embudo_import_text";

/// What was worked out for each staged row: ids of references, the row it matches, its
/// new id (narrow, written in one pass).
const IDS: &str = "_embudo_import_ids";

/// The view of both, with each row's new id.
const STAGED: &str = "_embudo_import";

/// A pipeline a mapping declares, with its stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    pub name: String,
    pub stages: BTreeMap<String, StageSpec>,
}

/// A stage a mapping declares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    pub order: i32,
    pub probability: f64,
    /// `open`, `won` or `lost` (default: inferred from the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A field of the staged rows: a canonical column or a reference; its key is also the
/// staged column's name.
#[derive(Debug, Clone)]
pub struct StagedField {
    pub key: String,
    pub column: Option<Column>,
    pub reference: Option<&'static Reference>,
}

/// A file whose rows are staged in [`STAGED_TEXT`].
#[derive(Debug, Clone)]
pub struct StagedFile<'a> {
    pub target: &'a Target,
    pub fields: Vec<StagedField>,
    /// The field rows are matched by (an index into `fields`), if the file has one.
    pub key_field: Option<usize>,
    /// The pipeline the file's mapping declares.
    pub pipeline: Option<&'a PipelineSpec>,
}

impl StagedFile<'_> {
    fn maps(&self, key: &str) -> bool {
        self.fields.iter().any(|f| f.key == key)
    }
}

/// How an import treats what files leave out.
#[derive(Debug, Clone)]
pub struct ImportRules<'a> {
    /// The import's instant: creation and update times of rows that give none.
    pub now: NaiveDateTime,
    /// The system external ids belong to.
    pub source_system: &'a str,
    /// The currency of amounts that name none.
    pub currency: &'a str,
    /// Tables (of [`CREATABLE`]) in which references that find no row create one.
    pub create_missing: &'a [String],
}

/// Texts of a reference that found no row, and on how many rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unresolved {
    pub column: String,
    pub value: String,
    pub rows: usize,
}

/// What loading one staged file did.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub inserted: usize,
    pub updated: usize,
    /// Rows that matched a row of the store and changed nothing.
    pub unchanged: usize,
    /// References that found no row (kept on the row as text).
    pub unresolved: Vec<Unresolved>,
    /// Pipelines, stages, users, teams, products and companies created.
    pub created: Vec<String>,
    /// Values worked out because the file lacks them.
    pub inferred: Vec<String>,
}

/// A staged row whose key repeats an earlier row's.
#[derive(Debug, Clone, Deserialize)]
pub struct RepeatedKey {
    pub row_no: usize,
    pub key: String,
    /// The earlier row's number.
    pub first: u64,
}

impl Store {
    /// How many rows DuckDB's own CSV reader finds in `file`, sniffing its format: the
    /// floor an import of the same file is measured against.
    pub fn engine_csv_rows(&self, file: &crate::export::SafePath) -> Result<u64> {
        self.duckdb("reading a CSV file with the engine")?;
        Ok(self
            .value(
                &format!("SELECT count(*) FROM read_csv('{}')", file.as_str()),
                &[],
            )?
            .unwrap_or(0))
    }
    /// Create the pipeline `spec` declares, if missing, and its missing stages in order after
    /// the stages it has; stages it has take the order, probability and kind it declares.
    pub fn import_pipeline(&self, spec: &PipelineSpec) -> Result<()> {
        resolve::create_pipeline(self, spec)
    }

    /// Take out of [`STAGED_TEXT`] every row whose `key` repeats an earlier row's, and
    /// return them. `key` is a field key of the staged file.
    pub fn take_repeated_keys(&self, key: &str) -> Result<Vec<RepeatedKey>> {
        let repeated = format!(
            "SELECT row_no, \"{key}\" AS key, first FROM (
                SELECT row_no, \"{key}\", min(row_no) OVER (PARTITION BY \"{key}\") AS first
                  FROM {STAGED_TEXT}
                 WHERE \"{key}\" IN (SELECT \"{key}\" FROM {STAGED_TEXT} WHERE \"{key}\" IS NOT NULL
                                     GROUP BY 1 HAVING count(*) > 1)) keyed
             WHERE row_no > first"
        );
        let found: Vec<RepeatedKey> = self.records(&repeated, &[])?;
        if !found.is_empty() {
            self.execute_with(
                &format!(
                    "DELETE FROM {STAGED_TEXT}
                      WHERE row_no IN (SELECT row_no FROM ({repeated}) repeated)"
                ),
                &[],
            )?;
        }
        Ok(found)
    }

    /// Load the rows staged in [`STAGED_TEXT`] for `file` into its table.
    pub fn load_staged(&self, file: &StagedFile, rules: &ImportRules) -> Result<Loaded> {
        let mut loaded = Loaded::default();
        resolve::create_missing(self, file, rules, &mut loaded)?;
        let ids = resolve::build_ids(self, file, rules)?;
        let first_fresh = ids.first_fresh;
        // A view cannot take parameters: the first id is the store's own number, not the
        // file's.
        self.execute_with(
            &format!(
                "CREATE TEMP VIEW {STAGED} AS
                 SELECT *, coalesce(brought_id, {first_fresh} - 1 + fresh_no) AS new_id
                   FROM {STAGED_TEXT} JOIN {IDS} USING (row_no)"
            ),
            &[],
        )?;
        resolve::resolve_pipelines_and_stages(self, file, &mut loaded)?;
        resolve::report_unresolved(self, file, &mut loaded)?;
        loaded.updated = if file.target.table == "deals" {
            // Deals the file finds elsewhere move there, and the tracked fields it changes
            // are logged, as the API records both.
            let matched = format!("SELECT target_id FROM {STAGED} WHERE target_id IS NOT NULL");
            self.change_deals((&matched, &[]), rules.now, None, || {
                write::update_matched(self, file, rules)
            })?
            .0
        } else {
            write::update_matched(self, file, rules)?
        };
        loaded.unchanged = ids.matched - loaded.updated;
        if file.target.table == "deal_stage_history" && file.maps("deal_id") {
            // A history imported for a deal replaces the one an earlier step synthesised.
            // Rows the file gives by id were matched and updated above, never deleted then
            // re-inserted: DuckDB refuses a key deleted and inserted in one transaction.
            self.execute_with(
                &format!(
                    "DELETE FROM deal_stage_history WHERE synthesised
                       AND deal_id IN (SELECT CAST(deal_id AS BIGINT) FROM {STAGED})"
                ),
                &[],
            )?;
        }
        loaded.inserted = write::insert_new(self, file, rules, ids.new)?;
        resolve::resolve_self_references(self, file, rules, &mut loaded)?;
        if file.target.table == "deals" {
            write::synthesise_history(self)?;
        }
        loaded.inferred.extend(inferred(self, file)?);
        Ok(loaded)
    }

    /// Drop the view of the previous file's staged rows, which reads the scratch table
    /// staging replaces (PostgreSQL refuses to drop a table a view depends on).
    pub fn release_staged_view(&self) -> Result<()> {
        self.execute_with(&format!("DROP VIEW IF EXISTS {STAGED}"), &[])?;
        Ok(())
    }

    /// Drop every scratch table of the import.
    pub fn clear_import_staging(&self) -> Result<()> {
        for drop in [
            format!("DROP VIEW IF EXISTS {STAGED}"),
            format!("DROP TABLE IF EXISTS {IDS}"),
            format!("DROP TABLE IF EXISTS {STAGED_TEXT}"),
        ] {
            self.execute_with(&drop, &[])?;
        }
        Ok(())
    }

    /// Record `label` as one of the labels declared for `field` (`entity.column`).
    pub fn declare_label(&self, field: &str, label: &str) -> Result<()> {
        self.execute_with(
            "INSERT INTO declared_labels (field, label) VALUES (?, ?) ON CONFLICT DO NOTHING",
            &[Param::Text(field.to_owned()), Param::Text(label.to_owned())],
        )?;
        Ok(())
    }
}

/// What the import worked out for this file's rows because the file does not say it,
/// counted on the staged rows (the rules of `write::fallback`).
fn inferred(store: &Store, file: &StagedFile) -> Result<Vec<String>> {
    const UNDATED_DEALS: &str = "deals have no creation date: each gets the earliest date known of it (its close, its contact's lead date, its last change), flagged created_at_inferred and left out of sales cycles";
    let (condition, message) = match file.target.table {
        "deals" if file.maps("created_at") => ("created_at IS NULL", UNDATED_DEALS),
        "deals" => ("true", UNDATED_DEALS),
        "contacts" if file.maps("lead_source") && !file.maps("lead_at") => (
            "lead_source IS NOT NULL",
            "contacts have a lead source and the file has no lead-date column: they are leads since their creation (flagged lead_at_inferred)",
        ),
        _ => return Ok(Vec::new()),
    };
    let rows: u64 = store
        .value(
            &format!("SELECT count(*) FROM {STAGED_TEXT} WHERE {condition}"),
            &[],
        )?
        .unwrap_or(0);
    Ok(if rows > 0 {
        vec![format!("{rows} {message}")]
    } else {
        Vec::new()
    })
}

/// An import's instruction the store cannot follow.
fn refused(problem: String) -> StoreError {
    StoreError::Import(problem)
}
