//! Any canonical table out as CSV, JSON, XLSX or Parquet, streamed a batch at a time, and
//! any table of rows (a report's section) as Parquet.
//!
//! Parquet is written by DuckDB's own writer. Its `COPY … TO` takes the file name as SQL
//! text, so it always writes to a name Embudo made itself in a fresh temporary folder
//! beside the destination, and the file is then moved into place: a user's path never
//! reaches SQL.

use crate::IngestError;
use embudo_model::text::spreadsheet_safe;
use embudo_store::export::SafePath;
use embudo_store::{CANONICAL_TABLES, Store, StoreError};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// What a table is streamed as ([`table_to_xlsx`] and [`table_to_parquet`] write files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// An array of objects, one per row.
    Json,
}

/// Rows a worksheet holds below its header.
const XLSX_ROWS: u64 = 1_048_575;

/// Whether `name` is a canonical table.
pub fn is_table(name: &str) -> bool {
    CANONICAL_TABLES.contains(&name)
}

/// Write every row of `table`, by id, to `out` as CSV or JSON (an array of objects);
/// returns the rows written.
pub fn table(
    store: &Store,
    table: &str,
    format: Format,
    out: &mut dyn Write,
) -> Result<u64, IngestError> {
    let table = checked(table)?;
    let mut written = 0u64;
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            let mut header = true;
            store.table_batches(table, &mut |columns, rows| {
                if std::mem::take(&mut header) {
                    writer.write_record(columns).map_err(io)?;
                }
                for row in rows {
                    writer
                        .write_record(row.iter().map(|v| spreadsheet_safe(&text(v)).into_owned()))
                        .map_err(io)?;
                    written += 1;
                }
                Ok(())
            })?;
            writer.flush().map_err(|e| io(e.into()))?;
        }
        Format::Json => {
            out.write_all(b"[").map_err(|e| io(e.into()))?;
            store.table_batches(table, &mut |columns, rows| {
                for row in rows {
                    let object: serde_json::Map<String, Value> =
                        columns.iter().cloned().zip(row).collect();
                    let separator = if written == 0 { "\n" } else { ",\n" };
                    write!(out, "{separator}{}", Value::Object(object))
                        .map_err(|e| io(e.into()))?;
                    written += 1;
                }
                Ok(())
            })?;
            out.write_all(b"\n]\n").map_err(|e| io(e.into()))?;
        }
    }
    Ok(written)
}

/// Write `table` to an XLSX workbook at `path`, one sheet named after the table.
pub fn table_to_xlsx(store: &Store, table: &str, path: &Path) -> Result<u64, IngestError> {
    let table = checked(table)?;
    let rows = store.row_count(table)?;
    if rows > XLSX_ROWS {
        return Err(IngestError::Mapping(format!(
            "{table} has {rows} rows, more than a worksheet holds ({XLSX_ROWS}); export it as csv or json"
        )));
    }
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(table).map_err(xlsx)?;
    let mut next = 0u32;
    store.table_batches(table, &mut |columns, batch| {
        if next == 0 {
            for (c, name) in columns.iter().enumerate() {
                sheet.write_string(0, c as u16, name).map_err(xlsx_store)?;
            }
            next = 1;
        }
        for row in batch {
            for (c, value) in row.iter().enumerate() {
                let col = c as u16;
                match value {
                    Value::Null => continue,
                    Value::Number(n) => {
                        sheet.write_number(next, col, n.as_f64().unwrap_or_default())
                    }
                    Value::Bool(b) => sheet.write_boolean(next, col, *b),
                    other => sheet.write_string(next, col, spreadsheet_safe(&text(other))),
                }
                .map_err(xlsx_store)?;
            }
            next += 1;
        }
        Ok(())
    })?;
    workbook.save(path).map_err(|e| IngestError::File {
        path: path.to_path_buf(),
        problem: format!("cannot be written: {e}"),
    })?;
    Ok(rows)
}

/// Write `table` to a Parquet file at `path`; returns the rows written.
pub fn table_to_parquet(store: &Store, table: &str, path: &Path) -> Result<u64, IngestError> {
    let table = checked(table)?;
    store.duckdb("writing Parquet")?;
    let count = store.row_count(table)?;
    with_scratch_file(path, |_, scratch| {
        Ok(store.table_to_parquet(table, scratch)?)
    })?;
    Ok(count)
}

/// Write rows (a report section: column names, then values) to a Parquet file at `path`,
/// each column typed as DuckDB reads it from JSON.
pub fn rows_to_parquet(
    columns: &[String],
    rows: &[Vec<Value>],
    path: &Path,
) -> Result<(), IngestError> {
    with_scratch_file(path, |folder, scratch| {
        let lines = folder.join("rows.jsonl");
        let mut text = String::new();
        for row in rows {
            let object: serde_json::Map<String, Value> =
                columns.iter().cloned().zip(row.iter().cloned()).collect();
            text.push_str(&Value::Object(object).to_string());
            text.push('\n');
        }
        std::fs::write(&lines, text).map_err(|e| IngestError::File {
            path: lines.clone(),
            problem: format!("cannot be written: {e}"),
        })?;
        let scratch_store = Store::open(folder.join("scratch.duckdb"))?;
        // No rows to infer types from: every column is written as text.
        let lines = match rows.is_empty() {
            true => None,
            false => Some(vetted(&lines)?),
        };
        scratch_store.json_lines_to_parquet(lines.as_ref(), columns, scratch)?;
        Ok(())
    })
}

/// Run `write` with a fresh scratch folder beside `destination` and the path of a file in
/// it (a name Embudo made, safe to quote in SQL), then move that file to `destination`.
fn with_scratch_file(
    destination: &Path,
    write: impl FnOnce(&Path, &SafePath) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let folder = destination
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let bad = |e: std::io::Error| IngestError::File {
        path: destination.to_path_buf(),
        problem: format!("cannot be written: {e}"),
    };
    let scratch = tempfile::Builder::new()
        .prefix(".embudo-export")
        .tempdir_in(folder)
        .map_err(bad)?;
    let file = scratch.path().join("export.parquet");
    write(scratch.path(), &vetted(&file)?)?;
    std::fs::rename(&file, destination).map_err(bad)
}

/// A path Embudo made, as SQL string text: refused if it holds a quote.
fn vetted(path: &Path) -> Result<SafePath, IngestError> {
    SafePath::new(path).ok_or_else(|| IngestError::File {
        path: path.to_path_buf(),
        problem: "is in a folder whose name cannot be handed to the Parquet writer".into(),
    })
}

fn checked(table: &str) -> Result<&'static str, IngestError> {
    CANONICAL_TABLES
        .iter()
        .find(|t| **t == table)
        .copied()
        .ok_or_else(|| IngestError::Mapping(format!("'{table}' is not a table")))
}

/// A value as CSV text: nothing for null, strings as they are.
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn io(e: csv::Error) -> StoreError {
    StoreError::Consumer(format!("writing the export: {e}"))
}

fn xlsx(e: rust_xlsxwriter::XlsxError) -> IngestError {
    IngestError::Mapping(format!("writing the workbook: {e}"))
}

fn xlsx_store(e: rust_xlsxwriter::XlsxError) -> StoreError {
    StoreError::Consumer(format!("writing the workbook: {e}"))
}
