//! Moving a whole store between engines (`embudo migrate`): every table of the schema is
//! copied from a DuckDB file or a PostgreSQL database to the other (or to another of the
//! same kind), and each table is read back from both sides into a checksum that must agree
//! before anything is kept.
//!
//! Values travel as text in one canonical spelling that both engines read and write the
//! same way (instants with six decimals, floating-point numbers as Rust writes the
//! shortest text that reads back exactly, everything else as the engine casts it), so a
//! checksum of a table is the same whichever engine holds it. A copy is one transaction on
//! PostgreSQL; a DuckDB file is written beside the target and renamed over it at the end,
//! so a failed or interrupted copy leaves the target as it was.

use crate::error::{Context, Result, StoreError, pg_error};
use crate::pg_indexes::IndexesAside;
use crate::pg_value::copy_row;
use crate::postgres::{Postgres, is_url, shown};
use crate::store::Store;
use ::postgres::fallible_iterator::FallibleIterator;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a store is: a DuckDB file or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    DuckDb(PathBuf),
    Postgres(String),
}

impl Location {
    /// A `postgres://` (or `postgresql://`) URL, else a DuckDB file's path.
    pub fn parse(text: &str) -> Location {
        if is_url(text) {
            Location::Postgres(text.to_owned())
        } else {
            Location::DuckDb(PathBuf::from(text))
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::DuckDb(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&shown(url)),
        }
    }
}

/// One table as copied: its rows and the checksum of its values on each side.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    pub table: String,
    pub rows: u64,
    pub source_checksum: String,
    pub target_checksum: String,
}

/// What a long copy tells as it goes: the table being copied and its rows copied so far.
pub type Progress<'a> = dyn FnMut(&str, u64) + 'a;

/// Rows copied between two reports of progress.
const PROGRESS_EVERY: u64 = 10_000;

/// Copy every table of the store at `from` into the store at `to`, which must hold no rows
/// unless `replace` (its rows are then dropped). The copy is kept only if every table's
/// checksum is the same on both sides; the tables come back in the source's order.
pub fn copy(
    from: &Location,
    to: &Location,
    replace: bool,
    progress: &mut Progress<'_>,
) -> Result<Vec<Copied>> {
    if from == to {
        return Err(StoreError::Transfer(format!(
            "{from} is both the source and the target"
        )));
    }
    let mut source = Side::open_source(from)?;
    let mut target = Side::open_target(to, replace)?;
    let tables = source.tables()?;
    let theirs = target.tables()?;
    if let Some(missing) = tables.iter().find(|t| !theirs.contains(t)) {
        target.rollback();
        return Err(StoreError::Transfer(format!(
            "{to} has no table {missing}: both stores must be at this embudo's schema"
        )));
    }
    if let Err(error) = target.begin(&theirs) {
        target.rollback();
        return Err(error);
    }
    match copy_tables(&mut source, &mut target, &tables, progress) {
        Ok(copied)
            if copied
                .iter()
                .all(|c| c.source_checksum == c.target_checksum) =>
        {
            target.commit()?;
            Ok(copied)
        }
        Ok(copied) => {
            target.rollback();
            let differ: Vec<&str> = copied
                .iter()
                .filter(|c| c.source_checksum != c.target_checksum)
                .map(|c| c.table.as_str())
                .collect();
            Err(StoreError::Transfer(format!(
                "{} read back from {to} differently from {from}; nothing was kept",
                differ.join(", ")
            )))
        }
        Err(error) => {
            target.rollback();
            Err(error)
        }
    }
}

/// Each table copied, then read back from the target.
fn copy_tables(
    source: &mut Side,
    target: &mut Side,
    tables: &[String],
    progress: &mut Progress<'_>,
) -> Result<Vec<Copied>> {
    let mut copied = Vec::with_capacity(tables.len());
    let aside = target.set_indexes_aside(tables)?;
    for table in tables {
        let columns = source.columns(table)?;
        let theirs = target.columns(table)?;
        let names = |c: &[Column]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        if names(&columns) != names(&theirs) {
            return Err(StoreError::Transfer(format!(
                "{table} has columns {:?} in the source and {:?} in the target",
                names(&columns),
                names(&theirs)
            )));
        }
        let mut sum = Checksum::default();
        let mut writer = target.writer(table, &theirs)?;
        progress(table, 0);
        source.read(table, &columns, &mut |row| {
            sum.add(row);
            if sum.rows % PROGRESS_EVERY == 0 {
                progress(table, sum.rows);
            }
            writer.push(row)
        })?;
        writer.finish()?;
        progress(table, sum.rows);
        let mut back = Checksum::default();
        target.read(table, &theirs, &mut |row| {
            back.add(row);
            Ok(())
        })?;
        copied.push(Copied {
            table: table.clone(),
            rows: sum.rows,
            source_checksum: sum.to_string(),
            target_checksum: back.to_string(),
        });
    }
    target.after_copy(aside)?;
    Ok(copied)
}

/// A table's column and how its values are spelt in the canonical text.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    /// The engine's own type, for casting text back into it.
    declared: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Floating point: read as a number, written as the shortest text that reads back.
    Float,
    /// An instant without a time zone, written with six decimals.
    Timestamp,
    /// Anything the engine casts to and from text the same way (integers, booleans,
    /// decimals, dates, text, JSON).
    Text,
}

impl Kind {
    fn of(declared: &str) -> Kind {
        let declared = declared.to_ascii_lowercase();
        if ["double", "float", "real", "double precision"].contains(&declared.as_str()) {
            Kind::Float
        } else if declared.starts_with("timestamp") {
            Kind::Timestamp
        } else {
            Kind::Text
        }
    }
}

/// An identifier quoted for SQL (names come from the engines' catalogues, never a person).
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The canonical text of a floating-point value.
fn float_text(value: f64) -> String {
    if value.is_infinite() {
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}Infinity")
    } else {
        value.to_string()
    }
}

/// An order-independent checksum of a table's rows: the count, and the wrapping sum of the
/// first eight bytes of each row's SHA-256.
#[derive(Debug, Default)]
struct Checksum {
    rows: u64,
    sum: u64,
}

impl Checksum {
    fn add(&mut self, row: &[Option<String>]) {
        let mut hash = Sha256::new();
        for value in row {
            match value {
                Some(text) => {
                    hash.update([1]);
                    hash.update(text.as_bytes());
                }
                None => hash.update([0]),
            }
            hash.update([0x1f]);
        }
        let digest = hash.finalize();
        let head = u64::from_be_bytes(digest[..8].try_into().expect("eight bytes"));
        self.rows += 1;
        self.sum = self.sum.wrapping_add(head);
    }
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{:016x}", self.rows, self.sum)
    }
}

/// One end of a copy.
enum Side {
    DuckDb {
        store: Store,
        /// A target's file, which the store (a new file beside it) replaces once the copy
        /// is kept; none for a source.
        replaces: Option<PathBuf>,
    },
    Postgres(Postgres),
}

/// The scratch table a DuckDB target's rows go through on their way in.
const INCOMING: &str = "_embudo_incoming";

/// Rows appended to DuckDB's scratch table at once.
const CHUNK: usize = 65_536;

impl Side {
    fn open_source(location: &Location) -> Result<Side> {
        match location {
            Location::DuckDb(path) => Ok(Side::DuckDb {
                store: Store::open_read_only(path)?,
                replaces: None,
            }),
            Location::Postgres(url) => Ok(Side::Postgres(Postgres::connect(url)?)),
        }
    }

    /// A target, refused if it holds rows and `replace` is not given. A DuckDB target is
    /// written as a new file beside it, renamed over it when the copy is kept; PostgreSQL
    /// is written in place, in one transaction.
    fn open_target(location: &Location, replace: bool) -> Result<Side> {
        match location {
            Location::DuckDb(path) => {
                if path.exists() {
                    // Opened even when it is to be replaced: a file that is not a store
                    // (a mistyped name) is refused, never overwritten.
                    let mut existing = Side::DuckDb {
                        store: Store::open(path)?,
                        replaces: None,
                    };
                    if !replace {
                        existing.refuse_rows(location)?;
                    }
                }
                let partial = partial_path(path);
                remove_file_and_wal(&partial)?;
                Ok(Side::DuckDb {
                    store: Store::open(&partial)?,
                    replaces: Some(path.clone()),
                })
            }
            Location::Postgres(url) => {
                let mut side = Side::Postgres(Postgres::connect(url)?);
                if !replace {
                    side.refuse_rows(location)?;
                }
                Ok(side)
            }
        }
    }

    /// An error if any table holds a row.
    fn refuse_rows(&mut self, location: &Location) -> Result<()> {
        for table in self.tables()? {
            let rows = self.count(&table)?;
            if rows > 0 {
                return Err(StoreError::Transfer(format!(
                    "{location} is not empty ({table} has {rows} rows): pass --replace to drop what it holds"
                )));
            }
        }
        Ok(())
    }

    /// The tables of the store (not its migrations' ledger), by name.
    fn tables(&mut self) -> Result<Vec<String>> {
        let names = match self {
            Side::DuckDb { store, .. } => store.values(
                "SELECT table_name FROM duckdb_tables()
                  WHERE database_name = current_database() AND schema_name = 'main'
                    AND table_name <> 'schema_migrations' ORDER BY table_name",
                &[],
            )?,
            Side::Postgres(pg) => pg
                .client()
                .query(
                    "SELECT table_name::text FROM information_schema.tables
                      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                        AND table_name <> 'schema_migrations' ORDER BY 1",
                    &[],
                )
                .map_err(|source| pg_error("listing the tables", source))?
                .iter()
                .map(|row| row.get(0))
                .collect(),
        };
        Ok(names)
    }

    /// A table's columns, in order.
    fn columns(&mut self, table: &str) -> Result<Vec<Column>> {
        let pairs: Vec<(String, String)> = match self {
            Side::DuckDb { store, .. } => {
                #[derive(serde::Deserialize)]
                struct Declared {
                    column_name: String,
                    data_type: String,
                }
                store
                    .records::<Declared>(
                        "SELECT column_name, data_type FROM duckdb_columns()
                          WHERE database_name = current_database() AND schema_name = 'main'
                            AND table_name = ? ORDER BY column_index",
                        &[crate::Param::Text(table.to_owned())],
                    )?
                    .into_iter()
                    .map(|c| (c.column_name, c.data_type))
                    .collect()
            }
            Side::Postgres(pg) => pg
                .client()
                .query(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns
                      WHERE table_schema = current_schema() AND table_name = $1
                      ORDER BY ordinal_position",
                    &[&table],
                )
                .map_err(|source| pg_error(&format!("reading {table}'s columns"), source))?
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect(),
        };
        Ok(pairs
            .into_iter()
            .map(|(name, declared)| Column {
                kind: Kind::of(&declared),
                name,
                declared,
            })
            .collect())
    }

    fn count(&mut self, table: &str) -> Result<i64> {
        let sql = format!("SELECT count(*) FROM {}", quoted(table));
        match self {
            Side::DuckDb { store, .. } => Ok(store.value(&sql, &[])?.unwrap_or_default()),
            Side::Postgres(pg) => pg
                .client()
                .query_one(sql.as_str(), &[])
                .map(|row| row.get(0))
                .map_err(|source| pg_error(&format!("counting {table}"), source)),
        }
    }

    /// Start the target's transaction, dropping what `tables` hold (a DuckDB target is a
    /// new file: it holds nothing).
    fn begin(&mut self, tables: &[String]) -> Result<()> {
        match self {
            Side::DuckDb { store, .. } => store
                .duckdb("moving a store")?
                .execute_batch("BEGIN TRANSACTION")
                .context(|| "starting the copy".into()),
            Side::Postgres(pg) => {
                let all: Vec<String> = tables.iter().map(|t| quoted(t)).collect();
                pg.client()
                    .batch_execute(&format!("BEGIN; TRUNCATE {}", all.join(", ")))
                    .map_err(|source| pg_error("starting the copy", source))
            }
        }
    }

    /// Keep the copy: commit, and put a DuckDB file in the target's place.
    fn commit(self) -> Result<()> {
        match self {
            Side::DuckDb { store, replaces } => {
                store
                    .duckdb("moving a store")?
                    .execute_batch("COMMIT")
                    .context(|| "committing the copy".into())?;
                let partial = store.path().to_path_buf();
                drop(store);
                if let Some(target) = replaces {
                    remove_file_and_wal(&target)?;
                    std::fs::rename(&partial, &target).map_err(|e| {
                        StoreError::Transfer(format!(
                            "moving {} to {}: {e}",
                            partial.display(),
                            target.display()
                        ))
                    })?;
                }
                Ok(())
            }
            Side::Postgres(mut pg) => pg
                .client()
                .batch_execute("COMMIT")
                .map_err(|source| pg_error("committing the copy", source)),
        }
    }

    /// Drop the copy: the target is left as it was.
    fn rollback(self) {
        match self {
            Side::DuckDb { store, replaces } => {
                let partial = store.path().to_path_buf();
                drop(store);
                if replaces.is_some() {
                    // Best effort: a leftover file beside the target is removed next time.
                    let _ = remove_file_and_wal(&partial);
                }
            }
            Side::Postgres(mut pg) => {
                // A connection that failed has rolled back already.
                let _ = pg.client().batch_execute("ROLLBACK");
            }
        }
    }

    /// Every row of `table`, as canonical text, to `each`.
    fn read(
        &mut self,
        table: &str,
        columns: &[Column],
        each: &mut dyn FnMut(&[Option<String>]) -> Result<()>,
    ) -> Result<()> {
        let mut values = vec![None; columns.len()];
        match self {
            Side::DuckDb { store, .. } => {
                let list: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let name = quoted(&c.name);
                        match c.kind {
                            Kind::Float => format!("CAST({name} AS DOUBLE)"),
                            Kind::Timestamp => format!("strftime({name}, '%Y-%m-%d %H:%M:%S.%f')"),
                            Kind::Text => format!("CAST({name} AS VARCHAR)"),
                        }
                    })
                    .collect();
                let sql = format!("SELECT {} FROM {}", list.join(", "), quoted(table));
                let what = || format!("reading {table}");
                let mut statement = store
                    .duckdb("moving a store")?
                    .prepare(&sql)
                    .context(what)?;
                let mut rows = statement.query([]).context(what)?;
                while let Some(row) = rows.next().context(what)? {
                    for (i, column) in columns.iter().enumerate() {
                        values[i] = match column.kind {
                            Kind::Float => {
                                row.get::<_, Option<f64>>(i).context(what)?.map(float_text)
                            }
                            _ => row.get::<_, Option<String>>(i).context(what)?,
                        };
                    }
                    each(&values)?;
                }
                Ok(())
            }
            Side::Postgres(pg) => {
                let list: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let name = quoted(&c.name);
                        match c.kind {
                            Kind::Float => format!("{name}::float8"),
                            Kind::Timestamp => {
                                format!("to_char({name}, 'YYYY-MM-DD HH24:MI:SS.US')")
                            }
                            Kind::Text => format!("{name}::text"),
                        }
                    })
                    .collect();
                let sql = format!("SELECT {} FROM {}", list.join(", "), quoted(table));
                let what = || format!("reading {table}");
                let mut rows = pg
                    .client()
                    .query_raw(sql.as_str(), std::iter::empty::<i32>())
                    .map_err(|source| pg_error(&what(), source))?;
                while let Some(row) = rows.next().map_err(|source| pg_error(&what(), source))? {
                    for (i, column) in columns.iter().enumerate() {
                        values[i] = match column.kind {
                            Kind::Float => row
                                .try_get::<_, Option<f64>>(i)
                                .map_err(|source| pg_error(&what(), source))?
                                .map(float_text),
                            _ => row
                                .try_get::<_, Option<String>>(i)
                                .map_err(|source| pg_error(&what(), source))?,
                        };
                    }
                    each(&values)?;
                }
                Ok(())
            }
        }
    }

    /// Somewhere to put `table`'s rows.
    fn writer(&mut self, table: &str, columns: &[Column]) -> Result<Writer<'_>> {
        match self {
            Side::DuckDb { store, .. } => {
                let store: &Store = store;
                let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
                Ok(Writer::DuckDb {
                    stager: store.stager(INCOMING, &names)?,
                    store,
                    table: table.to_owned(),
                    columns: columns.to_vec(),
                    buffered: Vec::new(),
                    next_row: 0,
                })
            }
            Side::Postgres(pg) => {
                let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
                let sql = format!("COPY {} ({}) FROM STDIN", quoted(table), names.join(", "));
                let copy = pg
                    .client()
                    .copy_in(sql.as_str())
                    .map_err(|source| pg_error(&format!("copying into {table}"), source))?;
                Ok(Writer::Postgres {
                    copy,
                    line: Vec::new(),
                    table: table.to_owned(),
                })
            }
        }
    }

    /// A PostgreSQL target's tables, emptied by [`Side::begin`], lose their indexes until
    /// their rows are in ([`crate::pg_indexes`]); a DuckDB target is a new file, written
    /// through its Appender.
    fn set_indexes_aside(&mut self, tables: &[String]) -> Result<Vec<IndexesAside>> {
        let Side::Postgres(pg) = self else {
            return Ok(Vec::new());
        };
        tables
            .iter()
            .map(|table| crate::pg_indexes::set_aside(pg.client(), &quoted(table)))
            .collect()
    }

    /// A PostgreSQL target's indexes set aside are built again and its sequences move past
    /// the ids copied in (a DuckDB store moves its own the first time it takes an id).
    fn after_copy(&mut self, aside: Vec<IndexesAside>) -> Result<()> {
        let Side::Postgres(pg) = self else {
            return Ok(());
        };
        for indexes in aside {
            indexes.restore(pg.client())?;
        }
        crate::ids::move_sequences_past_rows(pg)?;
        // Statistics of what was copied, so the first queries are planned on them rather
        // than on an empty database's.
        pg.client()
            .batch_execute("ANALYZE")
            .map_err(|source| pg_error("analysing the copied tables", source))
    }
}

/// Rows on their way into a target table.
enum Writer<'a> {
    DuckDb {
        store: &'a Store,
        stager: crate::staging::Stager<'a>,
        table: String,
        columns: Vec<Column>,
        buffered: Vec<Vec<Option<String>>>,
        next_row: i64,
    },
    Postgres {
        copy: ::postgres::CopyInWriter<'a>,
        line: Vec<u8>,
        table: String,
    },
}

impl Writer<'_> {
    fn push(&mut self, row: &[Option<String>]) -> Result<()> {
        match self {
            Writer::DuckDb { buffered, .. } => {
                buffered.push(row.to_vec());
                if buffered.len() >= CHUNK {
                    self.flush()?;
                }
                Ok(())
            }
            Writer::Postgres { copy, line, table } => {
                line.clear();
                copy_row(row.iter().map(Option::as_deref), line);
                copy.write_all(line)
                    .map_err(|e| StoreError::Transfer(format!("copying into {table}: {e}")))
            }
        }
    }

    /// Append what is buffered to DuckDB's scratch table.
    fn flush(&mut self) -> Result<()> {
        if let Writer::DuckDb {
            stager,
            buffered,
            next_row,
            ..
        } = self
        {
            let rows: Vec<crate::staging::TextRow<'_>> = buffered
                .iter()
                .map(|values| {
                    *next_row += 1;
                    (
                        *next_row,
                        values
                            .iter()
                            .map(|v| v.as_deref().map(Cow::Borrowed))
                            .collect(),
                    )
                })
                .collect();
            stager.append(&rows)?;
            buffered.clear();
        }
        Ok(())
    }

    /// Write what is left, and put DuckDB's staged rows into their table, cast back.
    fn finish(mut self) -> Result<()> {
        self.flush()?;
        match self {
            Writer::DuckDb {
                store,
                stager,
                table,
                columns,
                ..
            } => {
                stager.finish()?;
                let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
                let casts: Vec<String> = columns
                    .iter()
                    .map(|c| format!("CAST({} AS {})", quoted(&c.name), c.declared))
                    .collect();
                store.execute_with(
                    &format!(
                        "INSERT INTO {} ({}) SELECT {} FROM {INCOMING} ORDER BY row_no",
                        quoted(&table),
                        names.join(", "),
                        casts.join(", ")
                    ),
                    &[],
                )?;
                store.execute_with(&format!("DROP TABLE {INCOMING}"), &[])?;
                Ok(())
            }
            Writer::Postgres { copy, table, .. } => copy
                .finish()
                .map(|_| ())
                .map_err(|source| pg_error(&format!("copying into {table}"), source)),
        }
    }
}

/// `path` with `.partial` added: where a DuckDB target is built.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Remove a DuckDB file and its write-ahead log, if there.
fn remove_file_and_wal(path: &Path) -> Result<()> {
    let mut wal = path.as_os_str().to_owned();
    wal.push(".wal");
    for file in [path.to_path_buf(), PathBuf::from(wal)] {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::Transfer(format!(
                    "removing {}: {e}",
                    file.display()
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(rows: &[Vec<Option<&str>>]) -> String {
        let mut checksum = Checksum::default();
        for row in rows {
            let row: Vec<Option<String>> = row.iter().map(|v| v.map(str::to_owned)).collect();
            checksum.add(&row);
        }
        checksum.to_string()
    }

    #[test]
    fn a_checksum_ignores_order_and_tells_apart_null_empty_and_moved_values() {
        let a = vec![Some("1"), Some("Ana")];
        let b = vec![Some("2"), None];
        assert_eq!(sum(&[a.clone(), b.clone()]), sum(&[b.clone(), a.clone()]));
        assert!(sum(&[a.clone(), b.clone()]).starts_with("2:"));
        assert_ne!(
            sum(std::slice::from_ref(&b)),
            sum(&[vec![Some("2"), Some("")]])
        );
        // A value moved to the next column is another row.
        assert_ne!(
            sum(&[vec![Some("ab"), Some("c")]]),
            sum(&[vec![Some("a"), Some("bc")]])
        );
        // A row twice is not the row once.
        assert_ne!(sum(std::slice::from_ref(&a)), sum(&[a.clone(), a]));
    }

    #[test]
    fn floats_are_written_as_the_shortest_text_that_reads_back() {
        for value in [0.1, 3.0, -2.5e-8, 1e21, 123456.789] {
            assert_eq!(float_text(value).parse::<f64>().unwrap(), value);
        }
        assert_eq!(float_text(3.0), "3");
        assert_eq!(float_text(f64::NEG_INFINITY), "-Infinity");
    }
}
