//! Opening the store file.

use crate::CANONICAL_TABLES;
use crate::error::{Context, Result, StoreError};
use crate::migrations::{self, current_version, latest_version};
use duckdb::{AccessMode, Config, Connection, OptionalExt, params};
use std::path::{Path, PathBuf};

/// An open store file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Open the store at `path` for reading and writing, creating the file if it does not
    /// exist and migrating it if it is older than this build.
    ///
    /// A file written by a newer build is refused before anything is written to it.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            refuse_newer(&path, &connect(&path, AccessMode::ReadOnly)?)?;
        }
        let mut conn = connect(&path, AccessMode::ReadWrite)?;
        migrations::migrate(&mut conn)?;
        Ok(Store { conn, path })
    }

    /// Open an existing store so that nothing, not even user SQL, can change it or reach
    /// files outside it. An older file is migrated first.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(StoreError::Missing(path));
        }
        let probe = connect(&path, AccessMode::ReadOnly)?;
        if refuse_newer(&path, &probe)? < latest_version() {
            drop(probe);
            drop(Store::open(&path)?);
        }
        let conn = connect_locked_down(&path)?;
        Ok(Store { conn, path })
    }

    /// Another connection to the same database, for a second thread of the same process
    /// (the server's readers).
    pub fn try_clone(&self) -> Result<Store> {
        Ok(Store {
            conn: self
                .conn
                .try_clone()
                .context(|| format!("connecting again to {}", self.path.display()))?,
            path: self.path.clone(),
        })
    }

    /// A handle that stops the query running on this connection, from any thread: a
    /// server interrupts the work of a request that timed out or whose client went away.
    pub fn interrupt_handle(&self) -> Interrupt {
        Interrupt(self.conn.interrupt_handle())
    }

    /// Cap the memory the engine may use for this database (every connection to it), in
    /// bytes; a query that needs more fails with an out-of-memory error instead of taking
    /// the process down.
    pub fn set_memory_limit(&self, bytes: u64) -> Result<()> {
        // A number formatted here, never text from a user.
        let mebibytes = (bytes / (1024 * 1024)).max(64);
        self.conn
            .execute_batch(&format!("SET memory_limit = '{mebibytes}MiB'"))
            .context(|| format!("setting the memory limit to {mebibytes} MiB"))
    }

    /// Run each query on at most `threads` threads (DuckDB's setting is the whole
    /// database's: every connection of this store).
    pub fn set_threads(&self, threads: usize) -> Result<()> {
        // A number formatted here, never text from a user.
        let threads = threads.max(1);
        self.conn
            .execute_batch(&format!("SET threads = {threads}"))
            .context(|| format!("setting DuckDB's threads to {threads}"))
    }

    /// The DuckDB connection, for crates that compile their own SQL.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the file.
    pub fn schema_version(&self) -> Result<i64> {
        current_version(&self.conn)
    }

    /// Row counts of every canonical table, in the order of the spec.
    pub fn table_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        CANONICAL_TABLES
            .iter()
            .map(|&table| {
                // `table` comes from the fixed list of canonical tables, never from a user.
                let count = self
                    .conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get(0)
                    })
                    .context(|| format!("counting {table}"))?;
                Ok((table, count))
            })
            .collect()
    }

    /// Whether every canonical table is empty.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.table_counts()?.iter().all(|&(_, n)| n == 0))
    }

    /// Run `work` in one transaction, committed when it succeeds and `keep` is true (a dry
    /// run keeps nothing) and rolled back otherwise: a failure midway leaves the store as it
    /// was.
    pub fn transaction<T, E: From<StoreError>>(
        &self,
        keep: bool,
        work: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.conn
            .execute_batch("BEGIN TRANSACTION")
            .context(|| "starting a transaction".into())?;
        match work() {
            Ok(value) => {
                let end = if keep { "COMMIT" } else { "ROLLBACK" };
                self.conn
                    .execute_batch(end)
                    .context(|| "ending the transaction".into())?;
                Ok(value)
            }
            Err(error) => {
                // The work's error matters more than a failed rollback.
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(error)
            }
        }
    }

    /// A fact about the store file, from `store_info`.
    pub fn info(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT value FROM store_info WHERE key = ?",
                params![key],
                |row| row.get(0),
            )
            .optional()
            .context(|| format!("reading store_info {key}"))
    }

    /// Record a fact about the store file.
    pub fn set_info(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO store_info (key, value) VALUES (?, ?)",
                params![key, value],
            )
            .context(|| format!("writing store_info {key}"))?;
        Ok(())
    }
}

/// Stops the query running on one connection; see [`Store::interrupt_handle`].
#[derive(Clone)]
pub struct Interrupt(std::sync::Arc<duckdb::InterruptHandle>);

impl Interrupt {
    /// Stop the connection's running query, if any: it fails with an "interrupted" error.
    pub fn interrupt(&self) {
        self.0.interrupt();
    }
}

impl std::fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interrupt")
    }
}

/// The version of the file behind `conn`, or an error if it is newer than this build.
fn refuse_newer(path: &Path, conn: &Connection) -> Result<i64> {
    let found = current_version(conn)?;
    let supported = latest_version();
    if found > supported {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    Ok(found)
}

/// The settings every connection shares. The bundled DuckDB has no network and no ICU:
/// extension autoloading is off so a query never tries to download one.
fn base_config(mode: AccessMode) -> duckdb::Result<Config> {
    Config::default()
        .access_mode(mode)?
        .enable_autoload_extension(false)?
        .with("autoinstall_known_extensions", "false")
}

fn connect(path: &Path, mode: AccessMode) -> Result<Connection> {
    base_config(mode)
        .and_then(|config| Connection::open_with_flags(path, config))
        .map_err(|source| open_error(path, source, "opening"))
}

/// DuckDB lets one process write a file: another process holding it (say, `embudo serve`)
/// gets its own message.
fn open_error(path: &Path, source: duckdb::Error, what: &str) -> StoreError {
    if source.to_string().contains("Could not set lock") {
        StoreError::Locked(path.to_path_buf())
    } else {
        StoreError::Database {
            context: format!("{what} {}", path.display()),
            source,
        }
    }
}

/// A read-only connection that user SQL cannot escape: no file access outside the store
/// (`COPY … TO`, `read_csv`, `ATTACH`) and no `SET` to turn that back on.
fn connect_locked_down(path: &Path) -> Result<Connection> {
    base_config(AccessMode::ReadOnly)
        .and_then(|config| config.enable_external_access(false))
        .and_then(|config| config.with("lock_configuration", "true"))
        .and_then(|config| Connection::open_with_flags(path, config))
        .map_err(|source| open_error(path, source, "opening read-only"))
}
