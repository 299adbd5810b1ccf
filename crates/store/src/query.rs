//! Running SQL into a [`Table`], on either engine: the same SQL and [`Param`]s give the
//! same columns and JSON values from DuckDB and from PostgreSQL.

use crate::dialect::numbered;
use crate::error::{Context, Result, StoreError, pg_error, pg_error_in};
use crate::pg_value::{Bound, Cell};
use crate::postgres::Postgres;
use crate::store::Store;
use chrono::NaiveDateTime;
use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{self as dt, DataType};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::types::{TimeUnit, Value as DbValue};
use embudo_model::Table;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use serde::de::DeserializeOwned;
use serde::de::value::MapDeserializer;
use serde_json::Value;

/// What receives a streamed result: the column names and one batch of rows at a time.
pub type BatchSink<'a> = dyn FnMut(&[String], Vec<Vec<Value>>) -> Result<()> + 'a;

impl Store {
    /// Run one statement and hand its rows to `each` a batch at a time (column names, rows),
    /// so a ten-million-row table streams instead of filling memory.
    ///
    /// DuckDB statements are prepared afresh each time: with duckdb-rs's statement cache,
    /// another connection's committed writes were at times not seen (the browser test's
    /// checks of the store timed out), and it saved little (`/deals?limit=20`: 338 → 413
    /// requests/s).
    pub fn query_batches(
        &self,
        sql: &str,
        params: &[Param],
        each: &mut BatchSink<'_>,
    ) -> Result<()> {
        if let Some((mut pg, read_only)) = self.postgres() {
            return pg_batches(&mut pg, read_only, sql, params, each);
        }
        self.duckdb_arrow(sql, params, |arrow| {
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
        })
    }

    /// Run one statement on DuckDB and hand its result, as Arrow batches, to `read`.
    fn duckdb_arrow<T>(
        &self,
        sql: &str,
        params: &[Param],
        read: impl FnOnce(duckdb::Arrow<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut statement = self
            .duckdb("a query")?
            .prepare(sql)
            .context(|| "preparing the query".into())?;
        let arrow = statement
            .query_arrow(duckdb::params_from_iter(params.iter().map(Param::to_db)))
            .context(|| "running the query".into())?;
        read(arrow)
    }
}

/// A value bound to a `?` placeholder, for crates that build SQL without depending on an
/// engine.
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
    /// Run one statement with [`Param`]s bound to its `?` placeholders and collect its
    /// result.
    pub fn query_with(&self, sql: &str, params: &[Param]) -> Result<Table> {
        let mut table = Table {
            columns: Vec::new(),
            rows: Vec::new(),
        };
        self.query_batches(sql, params, &mut |columns, rows| {
            if table.columns.is_empty() {
                table.columns = columns.to_vec();
            }
            table.rows.extend(rows);
            Ok(())
        })?;
        Ok(table)
    }

    /// The rows of `sql` as `T`s, each read by its columns' names: a struct deriving
    /// `Deserialize` whose fields are the statement's column aliases (`Option` for a column
    /// that may be null, `f64` for sums, which the engines give as decimals).
    pub fn records<T: DeserializeOwned>(&self, sql: &str, params: &[Param]) -> Result<Vec<T>> {
        let mut records = Vec::new();
        self.query_batches(sql, params, &mut |columns, rows| {
            for row in rows {
                let fields = columns
                    .iter()
                    .map(String::as_str)
                    .zip(row.into_iter().map(whole));
                let record = T::deserialize(MapDeserializer::<_, serde_json::Error>::new(fields))
                    .map_err(|e| rows_error(sql, e))?;
                records.push(record);
            }
            Ok(())
        })?;
        Ok(records)
    }

    /// The value of a statement that answers one (`SELECT count(*) …`, `SELECT name … WHERE
    /// id = ?`): its first row's one column; `None` when there is no row (`T` is an `Option`
    /// for a value that may be null).
    pub fn value<T: DeserializeOwned>(&self, sql: &str, params: &[Param]) -> Result<Option<T>> {
        Ok(self.values(sql, params)?.into_iter().next())
    }

    /// The values of a statement of one column, one per row.
    pub fn values<T: DeserializeOwned>(&self, sql: &str, params: &[Param]) -> Result<Vec<T>> {
        let mut values = Vec::new();
        self.query_batches(sql, params, &mut |columns, rows| {
            if columns.len() != 1 {
                return Err(rows_error(
                    sql,
                    format!("{} columns, not one", columns.len()),
                ));
            }
            for row in rows {
                let value = row.into_iter().next().map(whole).unwrap_or(Value::Null);
                values.push(T::deserialize(value).map_err(|e| rows_error(sql, e))?);
            }
            Ok(())
        })?;
        Ok(values)
    }

    /// Run one writing statement with [`Param`]s; returns the number of rows changed.
    pub fn execute_with(&self, sql: &str, params: &[Param]) -> Result<usize> {
        if let Some((mut pg, read_only)) = self.postgres() {
            if read_only {
                return Err(StoreError::Engine(
                    "this store was opened read-only: nothing can be written to it".into(),
                ));
            }
            let sql = pg_text(sql, params)?;
            let bound: Vec<Bound<'_>> = params.iter().map(Bound).collect();
            let refs: Vec<&(dyn ToSql + Sync)> =
                bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
            let statement = pg
                .prepared(&sql)
                .map_err(|source| pg_error_in(&sql, "preparing a write", source))?;
            let changed = pg.client().execute(&statement, &refs).map_err(|source| {
                pg.forget(&sql);
                pg_error_in(&sql, "writing to the store", source)
            })?;
            return Ok(usize::try_from(changed).unwrap_or(usize::MAX));
        }
        self.duckdb("a write")?
            .execute(
                sql,
                duckdb::params_from_iter(params.iter().map(Param::to_db)),
            )
            .context(|| "writing to the store".into())
    }
}

impl Store {
    /// The rows of `sql`, whose `N` columns are all numbers, as floats (`None` for null),
    /// in order. DuckDB's columns are read straight into them: going through a JSON value
    /// per cell, then a record, took 0.2 s of the 0.48 s of the forecast's 582,341 looks at
    /// won deals on large. PostgreSQL's rows take that general path.
    pub fn number_rows<const N: usize>(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<[Option<f64>; N]>> {
        let mut rows = Vec::new();
        if self.dialect() == crate::Dialect::Postgres {
            self.query_batches(sql, params, &mut |columns, batch| {
                check_width::<N>(sql, columns.len())?;
                rows.extend(
                    batch
                        .iter()
                        .map(|row| std::array::from_fn(|c| row[c].as_f64())),
                );
                Ok(())
            })?;
            return Ok(rows);
        }
        self.duckdb_arrow(sql, params, |arrow| {
            for batch in arrow {
                check_width::<N>(sql, batch.num_columns())?;
                let columns = batch
                    .columns()
                    .iter()
                    .map(|column| cast(column, &DataType::Float64))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| rows_error(sql, e))?;
                let columns: Vec<_> = columns
                    .iter()
                    .map(|c| c.as_primitive::<dt::Float64Type>())
                    .collect();
                rows.extend((0..batch.num_rows()).map(|i| {
                    std::array::from_fn(|c| columns[c].is_valid(i).then(|| columns[c].value(i)))
                }));
            }
            Ok(rows)
        })
    }
}

fn check_width<const N: usize>(sql: &str, columns: usize) -> Result<()> {
    if columns == N {
        Ok(())
    } else {
        Err(rows_error(
            sql,
            format!("{columns} columns where {N} were expected"),
        ))
    }
}

/// A whole number as an integer, however the engine gave it: sums come back as decimals
/// (DuckDB's `HUGEINT`, PostgreSQL's `numeric`), and an `i64` field takes no `5.0`.
fn whole(value: Value) -> Value {
    match value.as_f64() {
        Some(x) if value.is_f64() && x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(x as i64),
        _ => value,
    }
}

fn rows_error(sql: &str, problem: impl std::fmt::Display) -> StoreError {
    StoreError::Rows {
        statement: sql.split_whitespace().collect::<Vec<_>>().join(" "),
        problem: problem.to_string(),
    }
}

/// `sql` as PostgreSQL takes it: its `?` placeholders numbered. Without parameters the text
/// is left as written: a `?` there is PostgreSQL's own operator (user SQL may use it on
/// JSONB), not a placeholder.
fn pg_text<'a>(sql: &'a str, params: &[Param]) -> Result<std::borrow::Cow<'a, str>> {
    if params.is_empty() {
        return Ok(sql.into());
    }
    numbered(sql).map_err(StoreError::Engine)
}

/// Rows a PostgreSQL result hands on at a time.
const PG_BATCH: usize = 2048;

/// Run one statement on PostgreSQL and hand its rows to `each` a batch at a time, the
/// columns first (so an empty result still has its header). A read-only store runs it in a
/// read-only transaction that is rolled back after.
fn pg_batches(
    pg: &mut Postgres,
    read_only: bool,
    sql: &str,
    params: &[Param],
    each: &mut BatchSink<'_>,
) -> Result<()> {
    let sql = pg_text(sql, params)?;
    let bound: Vec<Bound<'_>> = params.iter().map(Bound).collect();
    let statement = pg
        .prepared(&sql)
        .map_err(|source| pg_error_in(&sql, "preparing the query", source))?;
    let client = pg.client();
    let streamed = if read_only {
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(|source| pg_error("starting a read-only transaction", source))?;
        // Dropped without a commit: rolled back.
        pg_stream(&mut tx, &statement, &bound, each)
    } else {
        pg_stream(client, &statement, &bound, each)
    };
    if streamed.is_err() {
        pg.forget(&sql);
    }
    streamed
}

fn pg_stream(
    client: &mut impl postgres::GenericClient,
    statement: &postgres::Statement,
    bound: &[Bound<'_>],
    each: &mut BatchSink<'_>,
) -> Result<()> {
    let columns: Vec<String> = statement
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    each(&columns, Vec::new())?;
    let mut rows = client
        .query_raw(statement, bound.iter().map(|b| b as &dyn ToSql))
        .map_err(|source| pg_error("running the query", source))?;
    let mut batch = Vec::with_capacity(PG_BATCH);
    while let Some(row) = rows
        .next()
        .map_err(|source| pg_error("reading the query's rows", source))?
    {
        let mut values = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            let Cell(value) = row
                .try_get(i)
                .map_err(|source| pg_error("reading the query's rows", source))?;
            values.push(value);
        }
        batch.push(values);
        if batch.len() == PG_BATCH {
            each(
                &columns,
                std::mem::replace(&mut batch, Vec::with_capacity(PG_BATCH)),
            )?;
        }
    }
    if !batch.is_empty() {
        each(&columns, batch)?;
    }
    Ok(())
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
