//! The bulk write path: records → Arrow batches → DuckDB's Appender (or PostgreSQL's binary
//! `COPY`), in one transaction.
//!
//! A producer (the generator, an importer) runs on its own thread and turns records into
//! column batches of [`BATCH_ROWS`] rows; the store's thread appends each batch as it
//! arrives. On two cores this keeps both busy: record building overlaps DuckDB's work.
//! Either side failing rolls the whole load back, so an interrupted load leaves the store
//! as it was.

use crate::CANONICAL_TABLES;
use crate::error::{Context, Result, StoreError};
use crate::postgres::Postgres;
use crate::store::Store;
use duckdb::Appender;
use duckdb::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder,
    Int16Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use embudo_model::Money;
use embudo_model::entities::{Date, Timestamp};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Rows per Arrow batch: large enough to amortise the hand-over, small enough that a
/// dozen tables' builders stay well under a hundred megabytes.
pub const BATCH_ROWS: usize = 32 * 1024;

/// A model entity that is one row of a canonical table.
pub trait Record {
    /// The table's name.
    const TABLE: &'static str;
    /// The table's columns, in the order [`Record::write`] puts them.
    const COLUMNS: &'static [&'static str];
    /// Put every column's value, in the order of [`Record::COLUMNS`].
    fn write(&self, row: &mut Row<'_>);
}

/// The DuckDB column types the write path knows, and their Arrow builders.
#[derive(Debug)]
pub enum ColumnBuilder {
    BigInt(Int64Builder),
    Integer(Int32Builder),
    SmallInt(Int16Builder),
    Double(Float64Builder),
    Boolean(BooleanBuilder),
    /// `VARCHAR` and `JSON`.
    Text(StringBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Date(Date32Builder),
    /// `DECIMAL(18,2)`, filled with cents.
    Money(Decimal128Builder),
}

impl ColumnBuilder {
    fn for_type(sql_type: &str) -> Option<ColumnBuilder> {
        Some(match sql_type {
            "BIGINT" => ColumnBuilder::BigInt(Int64Builder::new()),
            "INTEGER" => ColumnBuilder::Integer(Int32Builder::new()),
            "SMALLINT" => ColumnBuilder::SmallInt(Int16Builder::new()),
            "DOUBLE" | "DOUBLE PRECISION" => ColumnBuilder::Double(Float64Builder::new()),
            "BOOLEAN" => ColumnBuilder::Boolean(BooleanBuilder::new()),
            "VARCHAR" | "JSON" => ColumnBuilder::Text(StringBuilder::new()),
            "TIMESTAMP" => ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::new()),
            "DATE" => ColumnBuilder::Date(Date32Builder::new()),
            "DECIMAL(18,2)" => ColumnBuilder::Money(
                Decimal128Builder::new()
                    .with_precision_and_scale(18, 2)
                    .expect("18,2 is a valid decimal"),
            ),
            _ => return None,
        })
    }

    fn append_null(&mut self) {
        match self {
            ColumnBuilder::BigInt(b) => b.append_null(),
            ColumnBuilder::Integer(b) => b.append_null(),
            ColumnBuilder::SmallInt(b) => b.append_null(),
            ColumnBuilder::Double(b) => b.append_null(),
            ColumnBuilder::Boolean(b) => b.append_null(),
            ColumnBuilder::Text(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Money(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::BigInt(b) => Arc::new(b.finish()),
            ColumnBuilder::Integer(b) => Arc::new(b.finish()),
            ColumnBuilder::SmallInt(b) => Arc::new(b.finish()),
            ColumnBuilder::Double(b) => Arc::new(b.finish()),
            ColumnBuilder::Boolean(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Money(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            ColumnBuilder::BigInt(b) => b.len(),
            ColumnBuilder::Integer(b) => b.len(),
            ColumnBuilder::SmallInt(b) => b.len(),
            ColumnBuilder::Double(b) => b.len(),
            ColumnBuilder::Boolean(b) => b.len(),
            ColumnBuilder::Text(b) => b.len(),
            ColumnBuilder::Timestamp(b) => b.len(),
            ColumnBuilder::Date(b) => b.len(),
            ColumnBuilder::Money(b) => b.len(),
        }
    }
}

/// A value that can fill a column. Returns `false` when the column has another type.
pub trait ToColumn {
    fn append_to(self, column: &mut ColumnBuilder) -> bool;
}

impl<T: ToColumn> ToColumn for Option<T> {
    fn append_to(self, column: &mut ColumnBuilder) -> bool {
        match self {
            Some(value) => value.append_to(column),
            None => {
                column.append_null();
                true
            }
        }
    }
}

macro_rules! to_column {
    ($ty:ty, $variant:ident, |$v:ident| $convert:expr) => {
        impl ToColumn for $ty {
            fn append_to(self, column: &mut ColumnBuilder) -> bool {
                let $v = self;
                match column {
                    ColumnBuilder::$variant(builder) => {
                        builder.append_value($convert);
                        true
                    }
                    _ => false,
                }
            }
        }
    };
}

to_column!(i64, BigInt, |v| v);
to_column!(i32, Integer, |v| v);
to_column!(i16, SmallInt, |v| v);
to_column!(f64, Double, |v| v);
to_column!(bool, Boolean, |v| v);
to_column!(&str, Text, |v| v);
to_column!(&String, Text, |v| v);
to_column!(Timestamp, Timestamp, |v| v.and_utc().timestamp_micros());
to_column!(Date, Date, |v| {
    // Days since 1970-01-01, Arrow's Date32.
    (v - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days() as i32
});
to_column!(Money, Money, |v| i128::from(v.cents()));
to_column!(&serde_json::Value, Text, |v| v.to_string());

/// The columns of one row being written.
#[derive(Debug)]
pub struct Row<'a> {
    columns: &'a mut [ColumnBuilder],
    next: usize,
    mismatch: &'a mut Option<String>,
}

impl Row<'_> {
    /// Put the next column's value.
    pub fn put(&mut self, value: impl ToColumn) -> &mut Self {
        let index = self.next;
        self.next += 1;
        let problem = match self.columns.get_mut(index) {
            Some(column) => (!value.append_to(column))
                .then(|| format!("column {} has a different type", index + 1)),
            None => Some(format!("more than {index} values in a row")),
        };
        if let Some(problem) = problem {
            self.mismatch.get_or_insert(problem);
        }
        self
    }
}

/// A table's column names and DuckDB types, as the catalog has them.
type Layout = Vec<(String, String)>;

/// Rows of one table being gathered into a batch.
#[derive(Debug)]
struct TableBatch {
    schema: Arc<Schema>,
    builders: Vec<ColumnBuilder>,
    mismatch: Option<String>,
}

impl TableBatch {
    fn new(table: &str, layout: &Layout, record_columns: &[&str]) -> Result<TableBatch> {
        let names: Vec<&str> = layout.iter().map(|(name, _)| name.as_str()).collect();
        if names != record_columns {
            return Err(StoreError::Columns {
                table: table.into(),
                problem: format!("the store has {names:?}, the record writes {record_columns:?}"),
            });
        }
        let mut builders = Vec::with_capacity(layout.len());
        let mut fields = Vec::with_capacity(layout.len());
        for (name, sql_type) in layout {
            let builder = ColumnBuilder::for_type(sql_type).ok_or_else(|| StoreError::Columns {
                table: table.into(),
                problem: format!(
                    "column {name} has type {sql_type}, which bulk writes do not support"
                ),
            })?;
            let data_type = builder_data_type(&builder);
            fields.push(Field::new(name, data_type, true));
            builders.push(builder);
        }
        Ok(TableBatch {
            schema: Arc::new(Schema::new(fields)),
            builders,
            mismatch: None,
        })
    }

    fn push<R: Record>(&mut self, record: &R) {
        let mut row = Row {
            columns: &mut self.builders,
            next: 0,
            mismatch: &mut self.mismatch,
        };
        record.write(&mut row);
    }

    fn len(&self) -> usize {
        self.builders.first().map_or(0, ColumnBuilder::len)
    }

    fn finish(&mut self, table: &str) -> Result<RecordBatch> {
        if let Some(problem) = self.mismatch.take() {
            return Err(StoreError::Columns {
                table: table.into(),
                problem,
            });
        }
        let arrays = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| StoreError::Columns {
            table: table.into(),
            problem: e.to_string(),
        })
    }
}

fn builder_data_type(builder: &ColumnBuilder) -> duckdb::arrow::datatypes::DataType {
    use duckdb::arrow::datatypes::{DataType, TimeUnit};
    match builder {
        ColumnBuilder::BigInt(_) => DataType::Int64,
        ColumnBuilder::Integer(_) => DataType::Int32,
        ColumnBuilder::SmallInt(_) => DataType::Int16,
        ColumnBuilder::Double(_) => DataType::Float64,
        ColumnBuilder::Boolean(_) => DataType::Boolean,
        ColumnBuilder::Text(_) => DataType::Utf8,
        ColumnBuilder::Timestamp(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColumnBuilder::Date(_) => DataType::Date32,
        ColumnBuilder::Money(_) => DataType::Decimal128(18, 2),
    }
}

/// The producer's side of a bulk load: hand it records, it sends full batches on.
#[derive(Debug)]
pub struct Batches {
    layouts: HashMap<String, Layout>,
    open: HashMap<&'static str, TableBatch>,
    sender: SyncSender<(&'static str, RecordBatch)>,
}

impl Batches {
    /// Add one record to its table's batch.
    pub fn put<R: Record>(&mut self, record: &R) -> Result<()> {
        let batch = match self.open.entry(R::TABLE) {
            Entry::Occupied(open) => open.into_mut(),
            Entry::Vacant(slot) => {
                let layout = self
                    .layouts
                    .get(R::TABLE)
                    .ok_or_else(|| StoreError::Columns {
                        table: R::TABLE.into(),
                        problem: "no such table in the store".into(),
                    })?;
                slot.insert(TableBatch::new(R::TABLE, layout, R::COLUMNS)?)
            }
        };
        batch.push(record);
        if batch.len() >= BATCH_ROWS {
            let full = batch.finish(R::TABLE)?;
            self.send(R::TABLE, full)?;
        }
        Ok(())
    }

    fn send(&self, table: &'static str, batch: RecordBatch) -> Result<()> {
        self.sender
            .send((table, batch))
            .map_err(|_| StoreError::Interrupted("the store stopped accepting rows".into()))
    }

    /// Send every partly filled batch.
    fn flush(mut self) -> Result<()> {
        let mut open: Vec<_> = self.open.drain().collect();
        // A fixed order keeps row order within the store reproducible.
        open.sort_by_key(|(table, _)| *table);
        for (table, mut batch) in open {
            if batch.len() > 0 {
                let rest = batch.finish(table)?;
                self.send(table, rest)?;
            }
        }
        Ok(())
    }
}

/// What a bulk load wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Rows appended per table, in order of first appearance.
    pub rows: Vec<(&'static str, u64)>,
}

impl LoadSummary {
    /// All rows appended.
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }

    fn add(&mut self, table: &'static str, rows: u64) {
        match self.rows.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => *n += rows,
            None => self.rows.push((table, rows)),
        }
    }
}

/// Whether a load adds to the store or replaces its canonical rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    Append,
    /// Empty every canonical table first, in the same transaction.
    Replace,
}

impl Store {
    /// Run `produce` on a second thread, appending every record it puts into the store, in
    /// one transaction: if either side fails, nothing is written. DuckDB takes the batches
    /// through its Appender, PostgreSQL through binary `COPY … FROM STDIN`.
    ///
    /// `progress` is called on this thread with the number of rows appended so far.
    pub fn load<T, E, F>(
        &mut self,
        mode: LoadMode,
        produce: F,
        mut progress: impl FnMut(u64),
    ) -> Result<(T, LoadSummary), E>
    where
        F: FnOnce(&mut Batches) -> Result<T, E> + Send,
        T: Send,
        E: From<StoreError> + Send,
    {
        let layouts = self.layouts()?;
        if self.postgres().is_some() {
            return self.load_into_postgres(layouts, mode, produce, progress);
        }
        let tx = self
            .duckdb_mut("a bulk load")?
            .transaction()
            .context(|| "starting the load".into())?;
        if mode == LoadMode::Replace {
            for table in CANONICAL_TABLES {
                // Table names come from the fixed canonical list.
                tx.execute(&format!("DELETE FROM {table}"), [])
                    .context(|| format!("emptying {table}"))?;
            }
        }
        let out = produce_into(layouts, produce, |batches| {
            append_all(&tx, batches, &mut progress)
        })?;
        crate::derived::refresh_on(&tx)?;
        tx.commit().context(|| "committing the load".into())?;
        Ok(out)
    }

    /// [`Store::load`] on PostgreSQL: one transaction, a `COPY` per batch (into tables it
    /// found empty, without their indexes, built again afterwards), the tables' sequences
    /// moved past the ids written and their statistics refreshed.
    fn load_into_postgres<T, E, F>(
        &mut self,
        layouts: HashMap<String, Layout>,
        mode: LoadMode,
        produce: F,
        mut progress: impl FnMut(u64),
    ) -> Result<(T, LoadSummary), E>
    where
        F: FnOnce(&mut Batches) -> Result<T, E> + Send,
        T: Send,
        E: From<StoreError> + Send,
    {
        let out = self.transaction(true, || {
            if mode == LoadMode::Replace {
                // Table names come from the fixed canonical list.
                let tables = CANONICAL_TABLES.join(", ");
                self.execute_batch(&format!("TRUNCATE {tables}"))?;
            }
            // Tables the load fills from empty have their indexes built once it is in.
            let mut aside = Vec::new();
            for &table in CANONICAL_TABLES {
                let empty: bool = self
                    .value(&format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"), &[])?
                    .unwrap_or(false);
                if empty {
                    let (mut pg, _) = self.postgres().expect("checked by `load`");
                    aside.push(crate::pg_indexes::set_aside(pg.client(), table)?);
                }
            }
            let out = {
                let (mut pg, _) = self.postgres().expect("checked by `load`");
                let out = produce_into(layouts, produce, |batches| {
                    copy_all(&mut pg, batches, &mut progress)
                })?;
                for indexes in aside {
                    indexes.restore(pg.client())?;
                }
                out
            };
            crate::derived::refresh(self)?;
            let (mut pg, _) = self.postgres().expect("checked by `load`");
            crate::ids::move_sequences_past_rows(&mut pg)?;
            Ok::<_, E>(out)
        })?;
        // Statistics of what was loaded, so the first queries are planned on them rather
        // than on an empty database's.
        self.execute_batch("ANALYZE")?;
        Ok(out)
    }

    /// Column names and types of every table, from the catalogue.
    fn layouts(&self) -> Result<HashMap<String, Layout>> {
        let mut layouts: HashMap<String, Layout> = HashMap::new();
        for (table, column) in self.every_column()? {
            layouts
                .entry(table)
                .or_default()
                .push((column.name, column.sql_type));
        }
        Ok(layouts)
    }
}

/// Run `produce` on a second thread, handing the batches it fills to `consume` on this
/// one: the records of both the producer's result and what `consume` wrote, or the first
/// failure.
fn produce_into<T, E, F>(
    layouts: HashMap<String, Layout>,
    produce: F,
    consume: impl FnOnce(Receiver<(&'static str, RecordBatch)>) -> Result<LoadSummary>,
) -> Result<(T, LoadSummary), E>
where
    F: FnOnce(&mut Batches) -> Result<T, E> + Send,
    T: Send,
    E: From<StoreError> + Send,
{
    let (sender, receiver) = sync_channel(4);
    let (consumed, produced) = std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut batches = Batches {
                layouts,
                open: HashMap::new(),
                sender,
            };
            let out = produce(&mut batches)?;
            batches.flush()?;
            Ok::<T, E>(out)
        });
        // `receiver` is dropped when `consume` returns, which unblocks a producer still
        // sending after a failed write.
        let consumed = consume(receiver);
        (consumed, producer.join())
    });
    let summary = consumed?;
    match produced {
        Ok(result) => Ok((result?, summary)),
        Err(_) => Err(StoreError::Interrupted("the producer panicked".into()).into()),
    }
}

/// Each batch received into its table by binary `COPY`.
fn copy_all(
    pg: &mut Postgres,
    receiver: Receiver<(&'static str, RecordBatch)>,
    progress: &mut impl FnMut(u64),
) -> Result<LoadSummary> {
    let mut summary = LoadSummary::default();
    for (table, batch) in receiver {
        let data = crate::pg_copy::encode(table, &batch)?;
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| format!("\"{}\"", f.name()))
            .collect();
        // The table and its columns come from the store's own catalogue.
        let sql = format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        );
        let failed = |source| crate::error::pg_error(&format!("copying rows into {table}"), source);
        let mut writer = pg.client().copy_in(sql.as_str()).map_err(failed)?;
        std::io::Write::write_all(&mut writer, &data)
            .map_err(|e| StoreError::Interrupted(format!("copying rows into {table}: {e}")))?;
        writer.finish().map_err(failed)?;
        summary.add(table, batch.num_rows() as u64);
        progress(summary.total());
    }
    Ok(summary)
}

fn append_all(
    conn: &duckdb::Connection,
    receiver: Receiver<(&'static str, RecordBatch)>,
    progress: &mut impl FnMut(u64),
) -> Result<LoadSummary> {
    let mut appenders: HashMap<&'static str, Appender<'_>> = HashMap::new();
    let mut summary = LoadSummary::default();
    for (table, batch) in receiver {
        let appender = match appenders.entry(table) {
            Entry::Occupied(open) => open.into_mut(),
            Entry::Vacant(slot) => slot.insert(
                conn.appender(table)
                    .context(|| format!("opening an appender on {table}"))?,
            ),
        };
        let rows = batch.num_rows() as u64;
        appender
            .append_record_batch(batch)
            .context(|| format!("appending to {table}"))?;
        summary.add(table, rows);
        progress(summary.total());
    }
    for (table, appender) in &mut appenders {
        appender
            .flush()
            .context(|| format!("flushing rows into {table}"))?;
    }
    Ok(summary)
}
