//! The store on PostgreSQL: connecting to a database named by a `postgres://` URL and
//! bringing it to the schema with PostgreSQL's own migrations (`migrations/postgres/`),
//! recorded in its own `schema_migrations`. The schema is DuckDB's, table for table and
//! column for column, so a store moves between the engines value for value
//! ([`crate::transfer`]).

use crate::error::{Result, StoreError, pg_error};
use crate::migrations::Migration;
use std::collections::HashMap;

/// PostgreSQL's migrations, oldest first. Version 1 is the whole schema as DuckDB's
/// migrations 1–19 leave it; each later change to the schema adds a file on both sides.
/// Version 2 adds functions DuckDB has built in (its `TRY_CAST`); version 3 indexes every
/// reference between records, which PostgreSQL's plans need and DuckDB's do not; version
/// 4 tells listening servers of every change and checks a value against a column's type;
/// 5 leaves empty references out of the reference indexes; 6 keeps the latest moment a
/// deal with an inferred creation date is known to have existed.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "schema",
        sql: include_str!("../migrations/postgres/0001_schema.sql"),
    },
    Migration {
        version: 2,
        name: "try_casts",
        sql: include_str!("../migrations/postgres/0002_try_casts.sql"),
    },
    Migration {
        version: 3,
        name: "reference_indexes",
        sql: include_str!("../migrations/postgres/0003_reference_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "servers_side_by_side",
        sql: include_str!("../migrations/postgres/0004_servers_side_by_side.sql"),
    },
    Migration {
        version: 5,
        name: "sparse_reference_indexes",
        sql: include_str!("../migrations/postgres/0005_sparse_reference_indexes.sql"),
    },
    Migration {
        version: 6,
        name: "deal_existed_by",
        sql: include_str!("../migrations/postgres/0006_deal_existed_by.sql"),
    },
    Migration {
        version: 7,
        name: "activity_external_ids",
        sql: include_str!("../migrations/postgres/0007_activity_external_ids.sql"),
    },
    Migration {
        version: 8,
        name: "service_external_ids",
        sql: include_str!("../migrations/postgres/0008_service_external_ids.sql"),
    },
];

/// Whether `target` names a PostgreSQL database rather than a DuckDB file.
pub fn is_url(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

/// `url` with its password replaced, for messages.
pub fn shown(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// `url` naming the database `name` on the same server, with the same user and options.
pub fn with_database(url: &str, name: &str) -> String {
    let authority = url.find("://").map_or(0, |at| at + 3);
    let path = url[authority..]
        .find(['/', '?'])
        .map_or(url.len(), |at| authority + at);
    let options = url[path..].find('?').map_or("", |at| &url[path + at..]);
    format!("{}/{name}{options}", &url[..path])
}

/// A database of its own on the server a URL names, for work that fills a store and throws
/// it away (the benchmarks); dropped with this value.
#[derive(Debug)]
pub struct Scratch {
    server: String,
    name: String,
    url: String,
}

impl Scratch {
    /// A new, empty database `name` (lowercase letters, digits and `_`) beside the one
    /// `url` names, replacing one of that name; the user needs the right to create databases.
    pub fn create(url: &str, name: &str) -> Result<Scratch> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Engine(format!(
                "{name:?} is not a scratch database's name"
            )));
        }
        let scratch = Scratch {
            server: url.to_owned(),
            name: name.to_owned(),
            url: with_database(url, name),
        };
        // Each on its own: neither statement runs inside a transaction block. The name was
        // checked above.
        scratch.run(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        scratch.run(&format!("CREATE DATABASE {name}"))?;
        Ok(scratch)
    }

    /// The new database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn run(&self, sql: &str) -> Result<()> {
        let context = || format!("{sql} on {}", shown(&self.server));
        let mut client = postgres::Client::connect(&self.server, postgres::NoTls)
            .map_err(|source| pg_error(&context(), source))?;
        client
            .batch_execute(sql)
            .map_err(|source| pg_error(&context(), source))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Nothing to tell a caller that is already done; a database left behind is named
        // and replaced by the next run.
        let _ = self.run(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// The key of the lock a migration holds (any number of this application's own).
const MIGRATION_LOCK: i64 = 0x656d_6275_646f;

/// The channel PostgreSQL's migration 4 notifies of every change on.
const CHANGED: &str = "embudo_changed";

/// Notices of the changes any process commits to a store on PostgreSQL: what lets a server
/// drop the answers it keeps when another server, or the command line, writes.
pub struct Changes {
    listener: Postgres,
}

impl Changes {
    /// Wait for the next committed change: the name of a table written to. An error when
    /// the connection is lost (then [`Changes::reconnect`]).
    pub fn wait(&mut self) -> Result<String> {
        use postgres::fallible_iterator::FallibleIterator as _;
        let shown = self.listener.shown_url();
        let mut notices = self.listener.client.notifications();
        match notices.blocking_iter().next() {
            Ok(Some(notice)) => Ok(notice.payload().to_owned()),
            Ok(None) => Err(StoreError::Engine(format!(
                "the connection listening for changes to {shown} closed"
            ))),
            Err(source) => Err(StoreError::Postgres {
                context: format!("listening for changes to {shown}"),
                cause: source,
            }),
        }
    }

    /// Listen again on a new connection, after [`Changes::wait`] failed.
    pub fn reconnect(&mut self) -> Result<()> {
        *self = self.listener.listen()?;
        Ok(())
    }
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changes")
            .field("listener", &self.listener)
            .finish()
    }
}

/// An open connection to a store on PostgreSQL.
pub struct Postgres {
    client: postgres::Client,
    url: String,
    /// Statements prepared on this connection, by their text: see [`Postgres::prepared`].
    statements: HashMap<String, postgres::Statement>,
    planning: Planning,
}

/// How a connection plans the statements it keeps prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planning {
    /// For the values of each run (`plan_cache_mode = force_custom_plan`): a plan made once
    /// for any range would do for a week what it does for three years. For reports,
    /// metrics and everything else that reads ranges; the default.
    EachRun,
    /// Once, when PostgreSQL finds a plan for any values no worse than those for each
    /// value it planned (`auto`): for the statements that find records by id and write
    /// them, whose planning costs as much as their run. Fifty clients on two servers
    /// (the soak test): moves' p50 78–93 ms planned each run, 45–55 ms with the server's
    /// quick readers and writers planning once.
    Reused,
}

/// Statements kept prepared per connection at most; beyond, the connection starts afresh.
const MOST_STATEMENTS: usize = 256;

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("url", &shown(&self.url))
            .finish()
    }
}

impl Postgres {
    /// Connect to the database at `url` and migrate it to this build's schema (in one
    /// transaction). A database at a newer schema version is refused untouched.
    pub fn connect(url: &str) -> Result<Postgres> {
        let client = postgres::Client::connect(url, postgres::NoTls).map_err(|source| {
            StoreError::Postgres {
                context: format!("connecting to {}", shown(url)),
                cause: source,
            }
        })?;
        let mut store = Postgres {
            client,
            url: url.to_owned(),
            statements: HashMap::new(),
            planning: Planning::EachRun,
        };
        // Dates as ISO text and instants in UTC, whatever the server's defaults. No JIT:
        // the reports' queries run for tens of milliseconds to a few seconds, and the
        // server's estimates of their many joins are high enough that it compiled them
        // every time — 0.75–1.6 s of each of the forecast's feature queries at medium
        // scale (`auto_explain`), more than running them. Statements are kept prepared
        // (`prepared`) and planned for their values each time until told otherwise
        // ([`Planning`]).
        store.batch(
            "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET jit = off;
             SET plan_cache_mode = force_custom_plan",
            || "setting the session's date style".into(),
        )?;
        store.migrate()?;
        Ok(store)
    }

    /// The database's schema version (0 before the first migration).
    pub fn schema_version(&mut self) -> Result<i64> {
        let what = || "reading the schema version".to_owned();
        let ledger: bool = self
            .one("SELECT to_regclass('schema_migrations') IS NOT NULL", what)?
            .get(0);
        if !ledger {
            return Ok(0);
        }
        Ok(self
            .one(
                "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations",
                what,
            )?
            .get(0))
    }

    fn migrate(&mut self) -> Result<()> {
        let url = shown(&self.url);
        let mut tx = self
            .client
            .transaction()
            .map_err(|source| StoreError::Postgres {
                context: format!("starting the migration of {url}"),
                cause: source,
            })?;
        // Servers started side by side migrate one after another: the second finds the
        // work done.
        tx.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
             CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY,
                name VARCHAR NOT NULL,
                applied_at TIMESTAMP NOT NULL DEFAULT (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'))"
        ))
        .map_err(|source| StoreError::Postgres {
            context: "creating schema_migrations".into(),
            cause: source,
        })?;
        let found: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations",
                &[],
            )
            .map_err(|source| StoreError::Postgres {
                context: "reading the schema version".into(),
                cause: source,
            })?
            .get(0);
        let supported = MIGRATIONS.last().map_or(0, |m| m.version);
        if found > supported {
            return Err(StoreError::NewerSchema {
                path: url.into(),
                found,
                supported,
            });
        }
        for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
            let context = || {
                format!(
                    "applying PostgreSQL migration {} ({})",
                    migration.version, migration.name
                )
            };
            tx.batch_execute(migration.sql)
                .map_err(|source| StoreError::Postgres {
                    context: context(),
                    cause: source,
                })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[&migration.version, &migration.name],
            )
            .map_err(|source| StoreError::Postgres {
                context: context(),
                cause: source,
            })?;
        }
        tx.commit().map_err(|source| StoreError::Postgres {
            context: format!("committing the migration of {url}"),
            cause: source,
        })
    }

    /// Whether the connection is gone (the server restarted, the network dropped it).
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Another connection to the same database, planning as this one does.
    pub(crate) fn reconnect(&self) -> Result<Postgres> {
        let mut other = Postgres::connect(&self.url)?;
        if other.planning != self.planning {
            other.plan(self.planning)?;
        }
        Ok(other)
    }

    /// Plan prepared statements as `planning` says from now on.
    pub(crate) fn plan(&mut self, planning: Planning) -> Result<()> {
        let mode = match planning {
            Planning::EachRun => "force_custom_plan",
            Planning::Reused => "auto",
        };
        self.batch(&format!("SET plan_cache_mode = {mode}"), || {
            "setting how statements are planned".into()
        })?;
        self.planning = planning;
        Ok(())
    }

    /// A connection of its own that hears of every change committed to the store.
    pub(crate) fn listen(&self) -> Result<Changes> {
        let mut listener = Postgres::connect(&self.url)?;
        listener.batch(&format!("LISTEN {CHANGED}"), || {
            format!("listening for changes to {}", shown(&self.url))
        })?;
        Ok(Changes { listener })
    }

    /// What stops the statement this connection is running, from another thread.
    pub(crate) fn cancel_token(&self) -> postgres::CancelToken {
        self.client.cancel_token()
    }

    /// The underlying client, for the store's own modules.
    pub(crate) fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }

    /// `sql` prepared, once per connection for the statements that read and write rows:
    /// a request's statements run again and again (a stage move's twenty), and preparing
    /// each anew cost a round trip and its parsing every time, which under load on two
    /// cores was most of a move's time. Statements that change the schema (temporary
    /// tables, `ANALYZE`) are prepared each time.
    pub(crate) fn prepared(
        &mut self,
        sql: &str,
    ) -> std::result::Result<postgres::Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if reads_or_writes_rows(sql) {
            if self.statements.len() >= MOST_STATEMENTS {
                self.statements.clear();
            }
            self.statements.insert(sql.to_owned(), statement.clone());
        }
        Ok(statement)
    }

    /// Prepare `sql` afresh next time: running its kept statement failed (a table it reads
    /// was replaced by one of other columns…).
    pub(crate) fn forget(&mut self, sql: &str) {
        self.statements.remove(sql);
    }

    /// The URL the store was opened with, its password hidden.
    pub fn shown_url(&self) -> String {
        shown(&self.url)
    }

    pub(crate) fn batch(&mut self, sql: &str, what: impl FnOnce() -> String) -> Result<()> {
        self.client
            .batch_execute(sql)
            .map_err(|source| StoreError::Postgres {
                context: what(),
                cause: source,
            })
    }

    fn one(&mut self, sql: &str, what: impl FnOnce() -> String) -> Result<postgres::Row> {
        self.client
            .query_one(sql, &[])
            .map_err(|source| StoreError::Postgres {
                context: what(),
                cause: source,
            })
    }
}

/// Whether `sql` is a query or a change of rows (not of the schema), by its first word.
fn reads_or_writes_rows(sql: &str) -> bool {
    let first = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    ["SELECT", "WITH", "INSERT", "UPDATE", "DELETE"]
        .iter()
        .any(|word| first.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_statements_over_rows_are_kept_prepared() {
        for kept in [
            "SELECT 1",
            "  with x AS (SELECT 1) SELECT * FROM x",
            "INSERT INTO t VALUES (1)",
            "update t SET a = 1",
            "DELETE FROM t",
        ] {
            assert!(reads_or_writes_rows(kept), "{kept}");
        }
        for not in [
            "CREATE TEMP TABLE t AS SELECT 1",
            "DROP TABLE t",
            "ANALYZE t",
            "SET jit = off",
            "SELECTED",
            "",
        ] {
            assert!(!reads_or_writes_rows(not), "{not}");
        }
    }

    #[test]
    fn another_database_keeps_the_server_user_and_options() {
        assert_eq!(
            with_database("postgres://u:p@db.example:5432/crm?sslmode=disable", "b1"),
            "postgres://u:p@db.example:5432/b1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://db.example", "b1"),
            "postgresql://db.example/b1"
        );
        assert_eq!(
            with_database("postgres://db.example/?x=1", "b1"),
            "postgres://db.example/b1?x=1"
        );
    }

    #[test]
    fn a_url_s_password_is_never_shown() {
        assert_eq!(
            shown("postgres://embudo:s3cret@db.example:5432/crm"),
            "postgres://embudo:***@db.example:5432/crm"
        );
        assert_eq!(
            shown("postgres://db.example/crm"),
            "postgres://db.example/crm"
        );
        assert_eq!(
            shown("postgresql://ana@localhost/crm"),
            "postgresql://ana@localhost/crm"
        );
        assert!(is_url("postgresql://x") && is_url("postgres://x"));
        assert!(!is_url("embudo.duckdb"));
    }
}
