//! Scratch tables of text for imports and scores: rows parsed elsewhere are appended in
//! bulk (DuckDB's Appender taking Arrow batches; PostgreSQL's `COPY … FROM STDIN`), then
//! cast and merged into the canonical tables with SQL.

use crate::dialect::Dialect;
use crate::error::{Context, Result, StoreError};
use crate::pg_value::copy_row;
use crate::store::Store;
use duckdb::arrow::array::{ArrayRef, Int64Array, StringArray};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;

/// Rows appended per Arrow batch, or per `COPY`.
const CHUNK: usize = 65_536;

/// A staged row: its number in the source file and one text (or nothing) per column,
/// borrowed from the file where it can be.
pub type TextRow<'a> = (i64, Vec<Option<Cow<'a, str>>>);

impl Store {
    /// Create the scratch table `table` (a temporary table: it never reaches the store)
    /// with a `row_no BIGINT` column and one `VARCHAR` per name in `columns`, ready to take
    /// rows.
    ///
    /// Names are spliced into SQL quoted: callers pass only names from their own fixed
    /// vocabulary, never user input.
    pub fn stager(&self, table: &str, columns: &[String]) -> Result<Stager<'_>> {
        let definitions: Vec<String> = std::iter::once("row_no BIGINT".to_owned())
            .chain(columns.iter().map(|c| format!("\"{c}\" VARCHAR")))
            .collect();
        let definitions = definitions.join(", ");
        if self.dialect() == Dialect::Postgres {
            self.execute_batch(&format!(
                "DROP TABLE IF EXISTS \"{table}\"; CREATE TEMP TABLE \"{table}\" ({definitions})"
            ))?;
            return Ok(Stager {
                into: Sink::Postgres { store: self },
                table: table.to_owned(),
            });
        }
        let conn = self.duckdb("staging rows")?;
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE \"{table}\" ({definitions})"
        ))
        .context(|| format!("creating the scratch table {table}"))?;
        let fields: Vec<Field> = std::iter::once(Field::new("row_no", DataType::Int64, false))
            .chain(columns.iter().map(|c| Field::new(c, DataType::Utf8, true)))
            .collect();
        let appender = conn
            .appender(table)
            .context(|| format!("opening an appender on {table}"))?;
        Ok(Stager {
            into: Sink::DuckDb {
                appender,
                schema: Arc::new(Schema::new(fields)),
            },
            table: table.to_owned(),
        })
    }
}

/// Appends rows of text to a scratch table made by [`Store::stager`].
pub struct Stager<'a> {
    into: Sink<'a>,
    table: String,
}

enum Sink<'a> {
    DuckDb {
        appender: duckdb::Appender<'a>,
        schema: Arc<Schema>,
    },
    Postgres {
        store: &'a Store,
    },
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
        for chunk in rows.chunks(CHUNK) {
            match &mut self.into {
                Sink::DuckDb { appender, schema } => {
                    let batch = arrow_batch(schema, chunk).map_err(|e| StoreError::Columns {
                        table: self.table.clone(),
                        problem: e.to_string(),
                    })?;
                    appender
                        .append_record_batch(batch)
                        .context(|| format!("appending to {}", self.table))?;
                }
                Sink::Postgres { store } => copy_chunk(store, &self.table, chunk)?,
            }
        }
        Ok(())
    }

    /// Flush everything appended into the table.
    pub fn finish(self) -> Result<()> {
        match self.into {
            Sink::DuckDb { mut appender, .. } => appender
                .flush()
                .context(|| format!("flushing rows into {}", self.table)),
            // Each chunk was copied whole.
            Sink::Postgres { .. } => Ok(()),
        }
    }
}

fn arrow_batch(
    schema: &Arc<Schema>,
    chunk: &[TextRow<'_>],
) -> std::result::Result<RecordBatch, duckdb::arrow::error::ArrowError> {
    let columns = schema.fields().len() - 1;
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns + 1);
    arrays.push(Arc::new(Int64Array::from_iter_values(
        chunk.iter().map(|(n, _)| *n),
    )));
    for index in 0..columns {
        arrays.push(Arc::new(StringArray::from_iter(
            chunk.iter().map(|(_, texts)| texts[index].as_deref()),
        )));
    }
    RecordBatch::try_new(schema.clone(), arrays)
}

/// One chunk into PostgreSQL's scratch table, by `COPY … FROM STDIN` in its text format.
fn copy_chunk(store: &Store, table: &str, chunk: &[TextRow<'_>]) -> Result<()> {
    let mut text = Vec::with_capacity(chunk.len() * 64);
    for (row_no, values) in chunk {
        let row_no = row_no.to_string();
        let values = values.iter().map(|v| v.as_deref());
        copy_row(
            std::iter::once(Some(row_no.as_str())).chain(values),
            &mut text,
        );
    }
    let failed = |problem: String| StoreError::Transfer(format!("copying into {table}: {problem}"));
    let Some((mut pg, _)) = store.postgres() else {
        return Err(failed("the store is not on PostgreSQL".into()));
    };
    let mut writer = pg
        .client()
        .copy_in(&format!("COPY \"{table}\" FROM STDIN"))
        .map_err(|e| failed(e.to_string()))?;
    writer.write_all(&text).map_err(|e| failed(e.to_string()))?;
    writer.finish().map_err(|e| failed(e.to_string()))?;
    Ok(())
}
