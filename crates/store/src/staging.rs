//! Scratch tables of text for imports: rows parsed elsewhere are appended in Arrow batches
//! (the fastest way into DuckDB), then cast and merged into the canonical tables with SQL.

use crate::error::{Context, Result};
use crate::store::Store;
use duckdb::arrow::array::{ArrayRef, Int64Array, StringArray};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use std::borrow::Cow;
use std::sync::Arc;

/// Rows appended per Arrow batch.
const CHUNK: usize = 65_536;

/// A staged row: its number in the source file and one text (or nothing) per column,
/// borrowed from the file where it can be.
pub type TextRow<'a> = (i64, Vec<Option<Cow<'a, str>>>);

impl Store {
    /// Create the scratch table `table` (a temporary table: it never reaches the file) with
    /// a `row_no BIGINT` column and one `VARCHAR` per name in `columns`, ready to take rows.
    ///
    /// Names are spliced into SQL quoted: callers pass only names from their own fixed
    /// vocabulary, never user input.
    pub fn stager(&self, table: &str, columns: &[String]) -> Result<Stager<'_>> {
        let definitions: Vec<String> = std::iter::once("row_no BIGINT".to_owned())
            .chain(columns.iter().map(|c| format!("\"{c}\" VARCHAR")))
            .collect();
        self.conn()
            .execute_batch(&format!(
                "CREATE OR REPLACE TEMP TABLE \"{table}\" ({})",
                definitions.join(", ")
            ))
            .context(|| format!("creating the scratch table {table}"))?;
        let fields: Vec<Field> = std::iter::once(Field::new("row_no", DataType::Int64, false))
            .chain(columns.iter().map(|c| Field::new(c, DataType::Utf8, true)))
            .collect();
        let appender = self
            .conn()
            .appender(table)
            .context(|| format!("opening an appender on {table}"))?;
        Ok(Stager {
            appender,
            schema: Arc::new(Schema::new(fields)),
            table: table.to_owned(),
        })
    }
}

/// Appends rows of text to a scratch table made by [`Store::stager`].
pub struct Stager<'a> {
    appender: duckdb::Appender<'a>,
    schema: Arc<Schema>,
    table: String,
}

impl std::fmt::Debug for Stager<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stager")
            .field("table", &self.table)
            .finish()
    }
}

impl Stager<'_> {
    /// Append `rows` (row number, one text or nothing per column).
    pub fn append(&mut self, rows: &[TextRow<'_>]) -> Result<()> {
        let columns = self.schema.fields().len() - 1;
        for chunk in rows.chunks(CHUNK) {
            let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns + 1);
            arrays.push(Arc::new(Int64Array::from_iter_values(
                chunk.iter().map(|(n, _)| *n),
            )));
            for index in 0..columns {
                arrays.push(Arc::new(StringArray::from_iter(
                    chunk.iter().map(|(_, texts)| texts[index].as_deref()),
                )));
            }
            let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| {
                crate::StoreError::Columns {
                    table: self.table.clone(),
                    problem: e.to_string(),
                }
            })?;
            self.appender
                .append_record_batch(batch)
                .context(|| format!("appending to {}", self.table))?;
        }
        Ok(())
    }

    /// Flush everything appended into the table.
    pub fn finish(mut self) -> Result<()> {
        self.appender
            .flush()
            .context(|| format!("flushing rows into {}", self.table))
    }
}
