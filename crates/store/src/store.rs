//! Opening a store: a DuckDB file, or a PostgreSQL database named by a `postgres://` URL.

use crate::CANONICAL_TABLES;
use crate::dialect::Dialect;
use crate::error::{Context, Result, StoreError};
use crate::migrations::{self, current_version, latest_version};
use crate::postgres::{Changes, Planning, Postgres, is_url, shown};
use crate::query::Param;
use duckdb::{AccessMode, Config, Connection};
use std::cell::{RefCell, RefMut};
use std::path::{Path, PathBuf};

/// An open store.
#[derive(Debug)]
pub struct Store {
    engine: Engine,
    /// The file, or the database's URL with its password hidden.
    path: PathBuf,
}

/// The engine a store runs on, with its connection.
#[derive(Debug)]
enum Engine {
    DuckDb(Connection),
    Postgres {
        // The client's calls take `&mut`; a store is used from one thread at a time. Boxed:
        // the client is several times the size of a DuckDB connection.
        client: Box<RefCell<Postgres>>,
        /// Each statement in a read-only transaction (`embudo sql`, read-only commands).
        read_only: bool,
    },
}

/// The URL in `path`, when it names a PostgreSQL database rather than a file.
fn postgres_url(path: &Path) -> Option<&str> {
    path.to_str().filter(|text| is_url(text))
}

impl Store {
    /// Open the store at `path` for reading and writing, creating the file if it does not
    /// exist and migrating it if it is older than this build. `path` may also be a
    /// `postgres://` URL: the database is brought to this build's schema the same way.
    ///
    /// A store written by a newer build is refused before anything is written to it.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(url) = postgres_url(&path) {
            return Store::on_postgres(url, false);
        }
        if path.exists() {
            refuse_newer(&path, &connect(&path, AccessMode::ReadOnly)?)?;
        }
        let mut conn = connect(&path, AccessMode::ReadWrite)?;
        migrations::migrate(&mut conn)?;
        Ok(Store {
            engine: Engine::DuckDb(conn),
            path,
        })
    }

    /// Open an existing store so that nothing, not even user SQL, can change it or reach
    /// files outside it. An older file is migrated first.
    ///
    /// On PostgreSQL every statement runs in a read-only transaction, rolled back after it;
    /// what a query can read beyond the store's tables is what the URL's role may read (give
    /// Embudo a role that is not a superuser).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(url) = postgres_url(&path) {
            return Store::on_postgres(url, true);
        }
        if !path.exists() {
            return Err(StoreError::Missing(path));
        }
        // One open when the file is up to date (each costs tens of milliseconds, on every
        // command); an older file is migrated by a writer first, then opened again.
        let mut conn = connect_locked_down(&path)?;
        if refuse_newer(&path, &conn)? < latest_version() {
            drop(conn);
            drop(Store::open(&path)?);
            conn = connect_locked_down(&path)?;
        }
        Ok(Store {
            engine: Engine::DuckDb(conn),
            path,
        })
    }

    fn on_postgres(url: &str, read_only: bool) -> Result<Store> {
        Ok(Store {
            engine: Engine::Postgres {
                client: Box::new(RefCell::new(Postgres::connect(url)?)),
                read_only,
            },
            path: PathBuf::from(shown(url)),
        })
    }

    /// Another connection to the same database, for a second thread of the same process
    /// (the server's readers).
    pub fn try_clone(&self) -> Result<Store> {
        let engine = match &self.engine {
            Engine::DuckDb(conn) => Engine::DuckDb(
                conn.try_clone()
                    .context(|| format!("connecting again to {}", self.path.display()))?,
            ),
            Engine::Postgres { client, read_only } => Engine::Postgres {
                client: Box::new(RefCell::new(client.borrow().reconnect()?)),
                read_only: *read_only,
            },
        };
        Ok(Store {
            engine,
            path: self.path.clone(),
        })
    }

    /// Plan the statements this connection keeps prepared as `planning` says (and so do
    /// its clones); on DuckDB, which plans each statement as it runs, nothing changes.
    pub fn plan(&self, planning: Planning) -> Result<()> {
        match &self.engine {
            Engine::DuckDb(_) => Ok(()),
            Engine::Postgres { client, .. } => client.borrow_mut().plan(planning),
        }
    }

    /// Notices of the changes other processes commit, on a connection of their own: on
    /// PostgreSQL, where other servers and the command line write to the same database;
    /// `None` on a DuckDB file, which one process owns and sees every write of itself.
    pub fn changes(&self) -> Result<Option<Changes>> {
        match &self.engine {
            Engine::DuckDb(_) => Ok(None),
            Engine::Postgres { client, .. } => client.borrow().listen().map(Some),
        }
    }

    /// Whether this connection is gone for good (PostgreSQL restarted, or the network dropped
    /// it): a long-lived holder takes a new one with [`Store::try_clone`]. A DuckDB file's
    /// connection never is.
    pub fn is_broken(&self) -> bool {
        match &self.engine {
            Engine::DuckDb(_) => false,
            Engine::Postgres { client, .. } => client.borrow().is_closed(),
        }
    }

    /// The SQL dialect of the store's engine.
    pub fn dialect(&self) -> Dialect {
        match self.engine {
            Engine::DuckDb(_) => Dialect::DuckDb,
            Engine::Postgres { .. } => Dialect::Postgres,
        }
    }

    /// A handle that stops the query running on this connection, from any thread: a
    /// server interrupts the work of a request that timed out or whose client went away.
    pub fn interrupt_handle(&self) -> Interrupt {
        match &self.engine {
            Engine::DuckDb(conn) => Interrupt(Stopper::DuckDb(conn.interrupt_handle())),
            Engine::Postgres { client, .. } => {
                Interrupt(Stopper::Postgres(client.borrow().cancel_token()))
            }
        }
    }

    /// Cap the memory the engine may use for this database (every connection to it), in
    /// bytes; a query that needs more fails with an out-of-memory error instead of taking
    /// the process down. PostgreSQL's memory is its server's to set: nothing changes there.
    pub fn set_memory_limit(&self, bytes: u64) -> Result<()> {
        let Engine::DuckDb(conn) = &self.engine else {
            return Ok(());
        };
        // A number formatted here, never text from a user.
        let mebibytes = (bytes / (1024 * 1024)).max(64);
        conn.execute_batch(&format!("SET memory_limit = '{mebibytes}MiB'"))
            .context(|| format!("setting the memory limit to {mebibytes} MiB"))
    }

    /// Run each query on at most `threads` threads (DuckDB's setting is the whole
    /// database's: every connection of this store). PostgreSQL's parallelism is its
    /// server's to set: nothing changes there.
    pub fn set_threads(&self, threads: usize) -> Result<()> {
        let Engine::DuckDb(conn) = &self.engine else {
            return Ok(());
        };
        // A number formatted here, never text from a user.
        let threads = threads.max(1);
        conn.execute_batch(&format!("SET threads = {threads}"))
            .context(|| format!("setting DuckDB's threads to {threads}"))
    }

    /// Let the statements of the transaction under way sort and hash a bulk job's rows in
    /// memory: PostgreSQL's default of 4 MB per sort spilled a million-row import's sorts
    /// to disk. The setting ends with the transaction. DuckDB sizes its memory itself:
    /// nothing changes there.
    pub fn allow_bulk_memory(&self) -> Result<()> {
        match &self.engine {
            Engine::DuckDb(_) => Ok(()),
            Engine::Postgres { .. } => self.execute_batch("SET LOCAL work_mem = '256MB'"),
        }
    }

    /// Give the planner the statistics of `table`, a scratch table of the caller's naming
    /// just filled: PostgreSQL has none for a temporary table until it is analysed, and
    /// plans a join to it blind. DuckDB keeps its statistics as it writes: nothing to do.
    pub fn analyze(&self, table: &str) -> Result<()> {
        match &self.engine {
            Engine::DuckDb(_) => Ok(()),
            Engine::Postgres { .. } => self.execute_batch(&format!("ANALYZE {table}")),
        }
    }

    /// The DuckDB connection, for the paths built on DuckDB alone (its Appender, its
    /// file-reading functions); on PostgreSQL an error that says `what` needs DuckDB.
    pub fn duckdb(&self, what: &str) -> Result<&Connection> {
        match &self.engine {
            Engine::DuckDb(conn) => Ok(conn),
            Engine::Postgres { .. } => Err(needs_duckdb(what)),
        }
    }

    pub(crate) fn duckdb_mut(&mut self, what: &str) -> Result<&mut Connection> {
        match &mut self.engine {
            Engine::DuckDb(conn) => Ok(conn),
            Engine::Postgres { .. } => Err(needs_duckdb(what)),
        }
    }

    /// The PostgreSQL connection and whether it is read-only, for the store's own modules;
    /// `None` on DuckDB.
    pub(crate) fn postgres(&self) -> Option<(RefMut<'_, Postgres>, bool)> {
        match &self.engine {
            Engine::DuckDb(_) => None,
            Engine::Postgres { client, read_only } => Some((client.borrow_mut(), *read_only)),
        }
    }

    /// The file this store lives in, or its database's URL with the password hidden.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the store.
    pub fn schema_version(&self) -> Result<i64> {
        match &self.engine {
            Engine::DuckDb(conn) => current_version(conn),
            Engine::Postgres { client, .. } => client.borrow_mut().schema_version(),
        }
    }

    /// Run several statements separated by `;`, none with parameters: a fixture, a script.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.engine {
            Engine::DuckDb(conn) => conn
                .execute_batch(sql)
                .context(|| "running statements".into()),
            Engine::Postgres { client, .. } => client
                .borrow_mut()
                .batch(sql, || "running statements".into()),
        }
    }

    /// Row counts of every canonical table, in the order of the spec.
    pub fn table_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        CANONICAL_TABLES
            .iter()
            .map(|&table| Ok((table, self.row_count(table)? as i64)))
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
        self.execute_batch("BEGIN TRANSACTION")?;
        match work() {
            Ok(value) => {
                self.execute_batch(if keep { "COMMIT" } else { "ROLLBACK" })?;
                Ok(value)
            }
            Err(error) => {
                // The work's error matters more than a failed rollback.
                let _ = self.execute_batch("ROLLBACK");
                Err(error)
            }
        }
    }

    /// A fact about the store, from `store_info`.
    pub fn info(&self, key: &str) -> Result<Option<String>> {
        let found = self.query_with(
            "SELECT value FROM store_info WHERE key = ?",
            &[Param::Text(key.to_owned())],
        )?;
        Ok(found
            .rows
            .first()
            .and_then(|row| row.first())
            .and_then(|value| value.as_str())
            .map(str::to_owned))
    }

    /// Record a fact about the store.
    pub fn set_info(&self, key: &str, value: &str) -> Result<()> {
        self.execute_with(
            "INSERT INTO store_info (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[Param::Text(key.to_owned()), Param::Text(value.to_owned())],
        )?;
        Ok(())
    }
}

/// The error for work built on DuckDB alone, asked of a store on PostgreSQL.
fn needs_duckdb(what: &str) -> StoreError {
    StoreError::Engine(format!(
        "{what} runs on a DuckDB store only, and this store is on PostgreSQL: run it on a \
         DuckDB file and move the result with `embudo migrate`"
    ))
}

/// Stops the query running on one connection; see [`Store::interrupt_handle`].
#[derive(Clone)]
pub struct Interrupt(Stopper);

#[derive(Clone)]
enum Stopper {
    DuckDb(std::sync::Arc<duckdb::InterruptHandle>),
    Postgres(postgres::CancelToken),
}

impl Interrupt {
    /// Stop the connection's running query, if any: it fails with an "interrupted" error.
    pub fn interrupt(&self) {
        match &self.0 {
            Stopper::DuckDb(handle) => handle.interrupt(),
            // Nothing running, or a server already gone: nothing to stop either way.
            Stopper::Postgres(token) => {
                let _ = token.cancel_query(postgres::NoTls);
            }
        }
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
