//! The audit's corrections as rows: a record's full image, values set and put back,
//! references re-pointed from one record to another, and the journals (`merge_journal`,
//! `fix_journal`) that let every merge and fix be undone. Which records to merge and which
//! values to fix is the audit's decision.
//!
//! Table and column names reach SQL here only from a [`ServedTable`] (the catalogue) or as
//! `&'static str`: the audit's fixed lists of references and fixable fields.

use crate::error::Result;
use crate::query::Param;
use crate::served::ServedTable;
use crate::store::Store;
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A merge to journal: the before-images and decisions are JSON texts.
#[derive(Debug, Clone)]
pub struct MergeEntry<'a> {
    pub entity: &'a str,
    pub survivor: i64,
    pub merged: i64,
    pub before_images: &'a str,
    pub decisions: &'a str,
    pub at: NaiveDateTime,
    pub by: &'a str,
}

/// A journaled merge.
#[derive(Debug, Clone, Deserialize)]
pub struct JournaledMergeImages {
    pub entity: String,
    pub survivor_id: i64,
    pub merged_id: i64,
    /// JSON text.
    pub before_images: Option<String>,
    pub undone: bool,
}

/// A fix to journal: one field of one row, its value before and after.
#[derive(Debug, Clone)]
pub struct FixEntry<'a> {
    pub batch: i64,
    pub check: &'a str,
    pub table: &'a str,
    pub row_id: i64,
    pub field: &'a str,
    pub old_value: Option<&'a str>,
    pub new_value: &'a str,
    pub at: NaiveDateTime,
}

/// A journaled fix not yet undone.
#[derive(Debug, Clone, Deserialize)]
pub struct JournaledFix {
    pub entity: String,
    pub row_id: i64,
    pub field: String,
    pub old_value: Option<String>,
}

impl Store {
    /// Row `id` of `table` as a JSON object, column by column; JSON columns keep their
    /// exact text (as a string), so restoring them gives back the very same bytes. `None`
    /// when there is no such row.
    pub fn row_image(&self, table: &ServedTable, id: i64) -> Result<Option<Map<String, Value>>> {
        let Some(text) = self.value::<String>(
            &format!(
                "SELECT {} FROM {} t WHERE id = ?",
                self.dialect().row_json("t"),
                table.name()
            ),
            &[Param::Int(id)],
        )?
        else {
            return Ok(None);
        };
        let Ok(Value::Object(mut image)) = serde_json::from_str(&text) else {
            return Ok(None);
        };
        for column in table.columns().iter().filter(|c| c.sql_type == "JSON") {
            let raw = self.value::<Value>(
                &format!(
                    "SELECT CAST(\"{}\" AS VARCHAR) FROM {} WHERE id = ?",
                    column.name,
                    table.name()
                ),
                &[Param::Int(id)],
            )?;
            image.insert(column.name.clone(), raw.unwrap_or(Value::Null));
        }
        Ok(Some(image))
    }

    /// Set `column` of row `id` of `table` to `value`, cast to the column's type; nothing
    /// else of the row changes (its `updated_at` neither: a restored image is exact).
    pub fn set_value(
        &self,
        table: &ServedTable,
        id: i64,
        column: &str,
        value: Param,
    ) -> Result<()> {
        let column = table
            .column(column)
            .ok_or_else(|| crate::StoreError::Columns {
                table: table.name().to_owned(),
                problem: format!("no column {column}"),
            })?;
        self.execute_with(
            &format!(
                "UPDATE {} SET \"{}\" = CAST(? AS {}) WHERE id = ?",
                table.name(),
                column.name,
                column.sql_type
            ),
            &[value, Param::Int(id)],
        )?;
        Ok(())
    }

    /// Set text `column` of row `id` of `table` (names from a fixed list) to `value`.
    pub fn set_text(
        &self,
        table: &'static str,
        column: &'static str,
        id: i64,
        value: Option<&str>,
    ) -> Result<()> {
        self.execute_with(
            &format!("UPDATE {table} SET {column} = ? WHERE id = ?"),
            &[
                value.map_or(Param::Null, |v| Param::Text(v.to_owned())),
                Param::Int(id),
            ],
        )?;
        Ok(())
    }

    /// How many rows of these (table, column) references point at `id`, all together.
    pub fn count_referring(
        &self,
        references: &[(&'static str, &'static str)],
        id: i64,
    ) -> Result<i64> {
        let counts: Vec<String> = references
            .iter()
            .map(|(table, column)| format!("(SELECT count(*) FROM {table} WHERE {column} = $1)"))
            .collect();
        Ok(self
            .value(&format!("SELECT {}", counts.join(" + ")), &[Param::Int(id)])?
            .unwrap_or(0))
    }

    /// The ids of the rows of `table` whose `column` points at `id`, in order.
    pub fn referring(
        &self,
        table: &'static str,
        column: &'static str,
        id: i64,
    ) -> Result<Vec<i64>> {
        self.values(
            &format!("SELECT id FROM {table} WHERE {column} = ? ORDER BY id"),
            &[Param::Int(id)],
        )
    }

    /// Point every row of `table` whose `column` points at `from` at `to`; how many.
    pub fn repoint(
        &self,
        table: &'static str,
        column: &'static str,
        from: i64,
        to: i64,
    ) -> Result<usize> {
        self.execute_with(
            &format!("UPDATE {table} SET {column} = ? WHERE {column} = ?"),
            &[Param::Int(to), Param::Int(from)],
        )
    }

    /// Point `column` of row `id` of `table` at `to`.
    pub fn point(&self, table: &'static str, column: &'static str, id: i64, to: i64) -> Result<()> {
        self.execute_with(
            &format!("UPDATE {table} SET {column} = ? WHERE id = ?"),
            &[Param::Int(to), Param::Int(id)],
        )?;
        Ok(())
    }

    /// Journal a merge; returns its journal id.
    pub fn journal_merge(&self, entry: &MergeEntry) -> Result<i64> {
        let id = self.next_id("merge_journal")?;
        self.execute_with(
            "INSERT INTO merge_journal (id, entity, survivor_id, merged_id, before_images,
                                        decisions, merged_at, merged_by)
             VALUES (?, ?, ?, ?, CAST(? AS JSON), CAST(? AS JSON), ?, ?)",
            &[
                Param::Int(id),
                Param::Text(entry.entity.to_owned()),
                Param::Int(entry.survivor),
                Param::Int(entry.merged),
                Param::Text(entry.before_images.to_owned()),
                Param::Text(entry.decisions.to_owned()),
                Param::Timestamp(entry.at),
                Param::Text(entry.by.to_owned()),
            ],
        )?;
        Ok(id)
    }

    /// The merge journaled as `id`, with its before-images.
    pub fn journaled_merge(&self, id: i64) -> Result<Option<JournaledMergeImages>> {
        let found: Vec<JournaledMergeImages> = self.records(
            "SELECT entity, survivor_id, merged_id,
                    CAST(before_images AS VARCHAR) AS before_images,
                    undone_at IS NOT NULL AS undone
               FROM merge_journal WHERE id = ?",
            &[Param::Int(id)],
        )?;
        Ok(found.into_iter().next())
    }

    /// The merges into `survivor` (of `entity`) journaled after `after` and not undone.
    pub fn later_merges(&self, entity: &str, survivor: i64, after: i64) -> Result<Vec<i64>> {
        self.values(
            "SELECT id FROM merge_journal
              WHERE entity = ? AND survivor_id = ? AND id > ? AND undone_at IS NULL ORDER BY id",
            &[
                Param::Text(entity.to_owned()),
                Param::Int(survivor),
                Param::Int(after),
            ],
        )
    }

    /// Mark the merge journaled as `id` undone at `at`.
    pub fn mark_merge_undone(&self, id: i64, at: NaiveDateTime) -> Result<()> {
        self.execute_with(
            "UPDATE merge_journal SET undone_at = ? WHERE id = ?",
            &[Param::Timestamp(at), Param::Int(id)],
        )?;
        Ok(())
    }

    /// Journal a fix.
    pub fn journal_fix(&self, entry: &FixEntry) -> Result<()> {
        self.execute_with(
            "INSERT INTO fix_journal (batch_id, check_id, entity, row_id, field, old_value,
                                      new_value, applied_at, undone_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            &[
                Param::Int(entry.batch),
                Param::Text(entry.check.to_owned()),
                Param::Text(entry.table.to_owned()),
                Param::Int(entry.row_id),
                Param::Text(entry.field.to_owned()),
                entry
                    .old_value
                    .map_or(Param::Null, |v| Param::Text(v.to_owned())),
                Param::Text(entry.new_value.to_owned()),
                Param::Timestamp(entry.at),
            ],
        )?;
        Ok(())
    }

    /// The fixes of `batch` not undone.
    pub fn journaled_fixes(&self, batch: i64) -> Result<Vec<JournaledFix>> {
        self.records(
            "SELECT entity, row_id, field, old_value FROM fix_journal
              WHERE batch_id = ? AND undone_at IS NULL",
            &[Param::Int(batch)],
        )
    }

    /// Mark the fixes of `batch` undone at `at`.
    pub fn mark_fixes_undone(&self, batch: i64, at: NaiveDateTime) -> Result<()> {
        self.execute_with(
            "UPDATE fix_journal SET undone_at = ? WHERE batch_id = ?",
            &[Param::Timestamp(at), Param::Int(batch)],
        )?;
        Ok(())
    }
}
