//! The store's own description of its tables: each column's name, type, whether a row must
//! give it, and its default. Types are spelt as DuckDB spells them (`BIGINT`,
//! `DECIMAL(18,2)`, `TIMESTAMP`, `VARCHAR`…) on both engines, so code that decides by a
//! column's type decides the same way; the one type PostgreSQL spells otherwise, DuckDB's
//! `DOUBLE`, is `DOUBLE PRECISION` there, the spelling a cast on that engine needs.

use crate::Dialect;
use crate::error::Result;
use crate::query::Param;
use crate::store::Store;

/// A column of one of the store's tables.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    /// The type, spelt as above: a cast to it is valid SQL on the store's engine.
    pub sql_type: String,
    /// Cannot be null and has no default: a new row must give it.
    pub required: bool,
    /// The default as SQL of the store's engine, if there is one.
    pub default_sql: Option<String>,
}

/// Every column of the store's tables, in order within each table.
const COLUMNS: &str = "SELECT table_name, column_name, data_type, numeric_precision, numeric_scale,
        is_nullable = 'NO' AND column_default IS NULL AS required, column_default
   FROM information_schema.columns
  WHERE table_schema = current_schema()";

impl Store {
    /// The columns of `table`, in order (none when there is no such table).
    pub fn columns(&self, table: &str) -> Result<Vec<ColumnInfo>> {
        let sql = format!("{COLUMNS} AND table_name = ? ORDER BY ordinal_position");
        let found = self.read_columns(&sql, &[Param::Text(table.to_owned())])?;
        Ok(found.into_iter().map(|(_, column)| column).collect())
    }

    /// The columns of every table, each with its table's name, in order within a table.
    pub fn every_column(&self) -> Result<Vec<(String, ColumnInfo)>> {
        self.read_columns(
            &format!("{COLUMNS} ORDER BY table_name, ordinal_position"),
            &[],
        )
    }

    fn read_columns(&self, sql: &str, params: &[Param]) -> Result<Vec<(String, ColumnInfo)>> {
        /// A row of `information_schema.columns`, as [`COLUMNS`] reads it.
        #[derive(serde::Deserialize)]
        struct Listed {
            table_name: String,
            column_name: String,
            data_type: String,
            numeric_precision: Option<i64>,
            numeric_scale: Option<i64>,
            required: bool,
            column_default: Option<String>,
        }
        let listed: Vec<Listed> = self.records(sql, params)?;
        let dialect = self.dialect();
        Ok(listed
            .into_iter()
            .map(|c| {
                let column = ColumnInfo {
                    sql_type: type_name(
                        dialect,
                        &c.data_type,
                        c.numeric_precision,
                        c.numeric_scale,
                    ),
                    name: c.column_name,
                    required: c.required,
                    default_sql: c.column_default,
                };
                (c.table_name, column)
            })
            .collect())
    }
}

/// `data_type` of `information_schema.columns` as DuckDB spells it.
fn type_name(
    dialect: Dialect,
    data_type: &str,
    precision: Option<i64>,
    scale: Option<i64>,
) -> String {
    if dialect == Dialect::DuckDb {
        return data_type.to_owned();
    }
    match data_type {
        "bigint" => "BIGINT".to_owned(),
        "integer" => "INTEGER".to_owned(),
        "smallint" => "SMALLINT".to_owned(),
        "double precision" => "DOUBLE PRECISION".to_owned(),
        "real" => "REAL".to_owned(),
        "numeric" => match (precision, scale) {
            (Some(p), Some(s)) => format!("DECIMAL({p},{s})"),
            _ => "DECIMAL".to_owned(),
        },
        "boolean" => "BOOLEAN".to_owned(),
        "date" => "DATE".to_owned(),
        "timestamp without time zone" => "TIMESTAMP".to_owned(),
        "json" => "JSON".to_owned(),
        "character varying" | "text" => "VARCHAR".to_owned(),
        other => other.to_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_types_are_spelt_as_duckdb_spells_them() {
        let pg = |t, p, s| type_name(Dialect::Postgres, t, p, s);
        assert_eq!(pg("numeric", Some(18), Some(2)), "DECIMAL(18,2)");
        assert_eq!(pg("timestamp without time zone", None, None), "TIMESTAMP");
        assert_eq!(pg("character varying", None, None), "VARCHAR");
        assert_eq!(pg("double precision", Some(53), None), "DOUBLE PRECISION");
        assert_eq!(
            type_name(Dialect::DuckDb, "DECIMAL(18,2)", Some(18), Some(2)),
            "DECIMAL(18,2)"
        );
    }
}
