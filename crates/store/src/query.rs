//! Running SQL into a [`Table`].

use crate::error::{Context, Result};
use crate::store::Store;
use chrono::NaiveDateTime;
use duckdb::Params;
use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{self as dt, DataType};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::types::{TimeUnit, Value as DbValue};
use embudo_model::Table;
use serde_json::Value;

impl Store {
    /// Run one statement with bound parameters and collect its result.
    ///
    /// Statements are prepared afresh each time: with duckdb-rs's statement cache, another
    /// connection's committed writes were at times not seen (the browser test's checks of
    /// the store timed out), and it saved little (`/deals?limit=20`: 338 → 413 requests/s).
    pub fn query<P: Params>(&self, sql: &str, params: P) -> Result<Table> {
        let mut statement = self
            .conn()
            .prepare(sql)
            .context(|| "preparing the query".into())?;
        let arrow = statement
            .query_arrow(params)
            .context(|| "running the query".into())?;
        let columns = arrow
            .get_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let mut rows = Vec::new();
        for batch in arrow {
            append_rows(&batch, &mut rows)?;
        }
        Ok(Table { columns, rows })
    }
}

/// What receives a streamed result: the column names and one batch of rows at a time.
pub type BatchSink<'a> = dyn FnMut(&[String], Vec<Vec<Value>>) -> Result<()> + 'a;

impl Store {
    /// Run one statement and hand its rows to `each` a batch at a time (column names, rows),
    /// so a ten-million-row table streams instead of filling memory.
    pub fn query_batches(
        &self,
        sql: &str,
        params: &[Param],
        each: &mut BatchSink<'_>,
    ) -> Result<()> {
        let mut statement = self
            .conn()
            .prepare(sql)
            .context(|| "preparing the query".into())?;
        let arrow = statement
            .query_arrow(duckdb::params_from_iter(params.iter().map(Param::to_db)))
            .context(|| "running the query".into())?;
        let columns: Vec<String> = arrow
            .get_schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        // The columns first, so an empty result still has its header.
        each(&columns, Vec::new())?;
        for batch in arrow {
            let mut rows = Vec::with_capacity(batch.num_rows());
            append_rows(&batch, &mut rows)?;
            each(&columns, rows)?;
        }
        Ok(())
    }
}

/// A value bound to a `?` placeholder, for crates that build SQL without depending on DuckDB.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    /// A UTC instant.
    Timestamp(NaiveDateTime),
    Null,
}

impl Param {
    fn to_db(&self) -> DbValue {
        match self {
            Param::Int(i) => DbValue::BigInt(*i),
            Param::Float(x) => DbValue::Double(*x),
            Param::Text(s) => DbValue::Text(s.clone()),
            Param::Bool(b) => DbValue::Boolean(*b),
            Param::Timestamp(t) => {
                DbValue::Timestamp(TimeUnit::Microsecond, t.and_utc().timestamp_micros())
            }
            Param::Null => DbValue::Null,
        }
    }
}

impl Store {
    /// [`Store::query`] with [`Param`]s.
    pub fn query_with(&self, sql: &str, params: &[Param]) -> Result<Table> {
        self.query(
            sql,
            duckdb::params_from_iter(params.iter().map(Param::to_db)),
        )
    }

    /// Run one writing statement with [`Param`]s; returns the number of rows changed.
    pub fn execute_with(&self, sql: &str, params: &[Param]) -> Result<usize> {
        self.conn()
            .execute(
                sql,
                duckdb::params_from_iter(params.iter().map(Param::to_db)),
            )
            .context(|| "writing to the store".into())
    }
}

fn append_rows(batch: &RecordBatch, rows: &mut Vec<Vec<Value>>) -> Result<()> {
    let first = rows.len();
    rows.extend((0..batch.num_rows()).map(|_| Vec::with_capacity(batch.num_columns())));
    for column in batch.columns() {
        let formatter = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())
            .map_err(|e| crate::StoreError::Columns {
                table: "query result".into(),
                problem: e.to_string(),
            })?;
        for (i, row) in rows[first..].iter_mut().enumerate() {
            row.push(cell(column.as_ref(), i, &formatter));
        }
    }
    Ok(())
}

/// One value as JSON: numbers stay numbers and nulls stay null; everything without a JSON
/// counterpart (timestamps, lists…) becomes its text form.
fn cell(array: &dyn Array, i: usize, formatter: &ArrayFormatter<'_>) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(i)),
        DataType::Int8 => array.as_primitive::<dt::Int8Type>().value(i).into(),
        DataType::Int16 => array.as_primitive::<dt::Int16Type>().value(i).into(),
        DataType::Int32 => array.as_primitive::<dt::Int32Type>().value(i).into(),
        DataType::Int64 => array.as_primitive::<dt::Int64Type>().value(i).into(),
        DataType::UInt8 => array.as_primitive::<dt::UInt8Type>().value(i).into(),
        DataType::UInt16 => array.as_primitive::<dt::UInt16Type>().value(i).into(),
        DataType::UInt32 => array.as_primitive::<dt::UInt32Type>().value(i).into(),
        DataType::UInt64 => array.as_primitive::<dt::UInt64Type>().value(i).into(),
        DataType::Float32 => float(f64::from(array.as_primitive::<dt::Float32Type>().value(i))),
        DataType::Float64 => float(array.as_primitive::<dt::Float64Type>().value(i)),
        DataType::Decimal128(_, scale) => {
            let raw = array.as_primitive::<dt::Decimal128Type>().value(i);
            float(raw as f64 / 10f64.powi(i32::from(*scale)))
        }
        DataType::Utf8 => Value::String(array.as_string::<i32>().value(i).to_owned()),
        DataType::LargeUtf8 => Value::String(array.as_string::<i64>().value(i).to_owned()),
        _ => Value::String(formatter.value(i).to_string()),
    }
}

fn float(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}
