//! Whole canonical tables out: every row by id a batch at a time, row counts, and DuckDB's
//! own Parquet writer (for a table, or for rows handed over as JSON lines).
//!
//! The Parquet writer takes its file names as SQL text, so it is given only a [`SafePath`]:
//! a path without quotes or backslashes, which the caller made itself.

use crate::CANONICAL_TABLES;
use crate::error::{Result, StoreError};
use crate::query::BatchSink;
use crate::store::Store;
use std::path::Path;

/// A path that can be written inside an SQL string: no quote, no backslash.
#[derive(Debug, Clone)]
pub struct SafePath(String);

impl SafePath {
    /// `path`, if it can be quoted in SQL.
    pub fn new(path: &Path) -> Option<SafePath> {
        path.to_str()
            .filter(|p| !p.contains(['\'', '\\']))
            .map(|p| SafePath(p.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// `table` if it is a canonical table.
fn canonical(table: &str) -> Result<&'static str> {
    CANONICAL_TABLES
        .iter()
        .find(|t| **t == table)
        .copied()
        .ok_or_else(|| StoreError::Columns {
            table: table.to_owned(),
            problem: "is not a canonical table".into(),
        })
}

impl Store {
    /// How many rows the canonical `table` holds.
    pub fn row_count(&self, table: &str) -> Result<u64> {
        let table = canonical(table)?;
        Ok(self
            .value(&format!("SELECT count(*) FROM {table}"), &[])?
            .unwrap_or(0))
    }

    /// Hand every row of the canonical `table`, by id, to `each` a batch at a time.
    pub fn table_batches(&self, table: &str, each: &mut BatchSink<'_>) -> Result<()> {
        let table = canonical(table)?;
        self.query_batches(&format!("SELECT * FROM {table} ORDER BY id"), &[], each)
    }

    /// Write every row of the canonical `table`, by id, to a Parquet file at `to` (DuckDB
    /// only).
    pub fn table_to_parquet(&self, table: &str, to: &SafePath) -> Result<()> {
        let table = canonical(table)?;
        self.duckdb("writing Parquet")?;
        self.execute_with(
            &format!(
                "COPY (SELECT * FROM {table} ORDER BY id) TO '{}' (FORMAT parquet)",
                to.0
            ),
            &[],
        )?;
        Ok(())
    }

    /// Write the rows of a newline-delimited JSON file to a Parquet file at `to`, each
    /// column typed as DuckDB reads it from JSON; with `lines` absent (no rows to infer
    /// types from), an empty file whose `columns` are all text (DuckDB only).
    pub fn json_lines_to_parquet(
        &self,
        lines: Option<&SafePath>,
        columns: &[String],
        to: &SafePath,
    ) -> Result<()> {
        self.duckdb("writing Parquet")?;
        let select = match lines {
            Some(lines) => format!(
                "SELECT * FROM read_json('{}', format = 'newline_delimited')",
                lines.0
            ),
            None => {
                let names: Vec<String> = columns
                    .iter()
                    .map(|c| format!("CAST(NULL AS VARCHAR) AS \"{}\"", c.replace('"', "")))
                    .collect();
                format!("SELECT {} WHERE false", names.join(", "))
            }
        };
        self.execute_with(
            &format!("COPY ({select}) TO '{}' (FORMAT parquet)", to.0),
            &[],
        )?;
        Ok(())
    }
}

/// A column of a live record as a CRM's export writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exported {
    Id,
    OwnerName,
    /// A company's parent company's name.
    ParentName,
    CompanyId,
    CompanyName,
    ContactId,
    /// First and last name.
    ContactName,
    /// The e-mail, else first and last name.
    ContactEmailOrName,
    PipelineName,
    StageName,
    /// The stage a deal was last in while open: its own stage while it is open; for a
    /// closed deal the last open stage of its history, else its pipeline's first.
    LastOpenStageName,
    /// A closed deal's close, an open deal's expected close.
    CloseOrExpectedClose,
    /// A column of the record's own table, as the catalogue names it.
    Field(&'static str),
}

/// How an exported value is typed: instants and days come back in ISO form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Instant,
    Day,
    Text,
}

impl Exported {
    fn sql(self, dialect: crate::Dialect) -> String {
        match self {
            Exported::Id => "t.id".into(),
            Exported::OwnerName => "u.name".into(),
            Exported::ParentName => "pc.name".into(),
            Exported::CompanyId => "t.company_id".into(),
            Exported::CompanyName => "co.name".into(),
            Exported::ContactId => "t.contact_id".into(),
            Exported::ContactName => {
                "nullif(concat_ws(' ', ct.first_name, ct.last_name), '')".into()
            }
            Exported::ContactEmailOrName => {
                "coalesce(ct.email, nullif(concat_ws(' ', ct.first_name, ct.last_name), ''))".into()
            }
            Exported::PipelineName => "p.name".into(),
            Exported::StageName => "st.name".into(),
            Exported::LastOpenStageName => format!(
                "CASE WHEN st.kind = 'open' THEN st.name ELSE coalesce(
                    (SELECT {} FROM deal_stage_history h JOIN stages s2 ON s2.id = h.stage_id
                      WHERE h.deal_id = t.id AND s2.kind = 'open'),
                    (SELECT {} FROM stages s3
                      WHERE s3.pipeline_id = t.pipeline_id AND s3.kind = 'open')) END",
                dialect.arg_max("s2.name", "h.entered_at"),
                dialect.arg_min("s3.name", "s3.position"),
            ),
            Exported::CloseOrExpectedClose => {
                "CASE WHEN t.status = 'open' THEN CAST(t.expected_close_date AS TIMESTAMP)
                      ELSE t.closed_at END"
                    .into()
            }
            Exported::Field(column) => format!("t.{column}"),
        }
    }
}

/// The live rows of `table` (companies, contacts or deals) joined to the tables their
/// names come from.
fn exported_from(table: &str) -> Result<&'static str> {
    Ok(match table {
        "companies" => {
            "live_companies t LEFT JOIN users u ON u.id = t.owner_id
             LEFT JOIN companies pc ON pc.id = t.parent_id"
        }
        "contacts" => {
            "live_contacts t LEFT JOIN users u ON u.id = t.owner_id
             LEFT JOIN companies co ON co.id = t.company_id"
        }
        "deals" => {
            "live_deals t LEFT JOIN users u ON u.id = t.owner_id
             LEFT JOIN companies co ON co.id = t.company_id
             LEFT JOIN contacts ct ON ct.id = t.contact_id
             LEFT JOIN pipelines p ON p.id = t.pipeline_id
             LEFT JOIN stages st ON st.id = t.stage_id"
        }
        other => {
            return Err(StoreError::Columns {
                table: other.to_owned(),
                problem: "is not exported in a CRM's shape".into(),
            });
        }
    })
}

impl Store {
    /// Every live record of `table` (companies, contacts or deals) by id, as `columns`.
    pub fn exported_rows(
        &self,
        table: &str,
        columns: &[(Exported, Written)],
    ) -> Result<embudo_model::Table> {
        let from = exported_from(table)?;
        let own = self.served_table(table)?;
        let dialect = self.dialect();
        let mut select = Vec::with_capacity(columns.len());
        for &(column, written) in columns {
            if let Exported::Field(name) = column
                && !own.has(name)
            {
                return Err(StoreError::Columns {
                    table: table.to_owned(),
                    problem: format!("has no column {name}"),
                });
            }
            let sql = column.sql(dialect);
            select.push(match written {
                Written::Instant => format!("CAST({sql} AS TIMESTAMP)"),
                Written::Day => format!("CAST({sql} AS DATE)"),
                Written::Text => format!("CAST({sql} AS VARCHAR)"),
            });
        }
        self.query_with(
            &format!("SELECT {} FROM {from} ORDER BY t.id", select.join(", ")),
            &[],
        )
    }
}
