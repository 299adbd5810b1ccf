//! Versioned schema migrations.
//!
//! Each migration is a SQL file that is never edited once released; a change to the
//! schema is a new file. The applied versions are rows of `schema_migrations`, so a file
//! knows which version it is at and an older file is brought up to date on open.

use crate::error::{Context, Result};
use duckdb::Connection;

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Strictly increasing from 1.
    pub version: i64,
    /// A short name, recorded with the version.
    pub name: &'static str,
    /// The statements, run in one transaction.
    pub sql: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "canonical_tables",
        sql: include_str!("../migrations/0001_canonical_tables.sql"),
    },
    Migration {
        version: 2,
        name: "revenue_lines",
        sql: include_str!("../migrations/0002_revenue_lines.sql"),
    },
    Migration {
        version: 3,
        name: "store_info",
        sql: include_str!("../migrations/0003_store_info.sql"),
    },
    Migration {
        version: 4,
        name: "saved_reports",
        sql: include_str!("../migrations/0004_saved_reports.sql"),
    },
    Migration {
        version: 5,
        name: "audit_runs",
        sql: include_str!("../migrations/0005_audit_runs.sql"),
    },
    Migration {
        version: 6,
        name: "not_duplicates",
        sql: include_str!("../migrations/0006_not_duplicates.sql"),
    },
    Migration {
        version: 7,
        name: "fix_journal",
        sql: include_str!("../migrations/0007_fix_journal.sql"),
    },
    Migration {
        version: 8,
        name: "synthesised_history",
        sql: include_str!("../migrations/0008_synthesised_history.sql"),
    },
    Migration {
        version: 9,
        name: "access",
        sql: include_str!("../migrations/0009_access.sql"),
    },
    Migration {
        version: 10,
        name: "owners_and_login_failures",
        sql: include_str!("../migrations/0010_owners_and_login_failures.sql"),
    },
    Migration {
        version: 11,
        name: "derived_fields",
        sql: include_str!("../migrations/0011_derived_fields.sql"),
    },
    Migration {
        version: 12,
        name: "guessed_stages",
        sql: include_str!("../migrations/0012_guessed_stages.sql"),
    },
    Migration {
        version: 13,
        name: "declared_labels",
        sql: include_str!("../migrations/0013_declared_labels.sql"),
    },
    Migration {
        version: 14,
        name: "monitoring",
        sql: include_str!("../migrations/0014_monitoring.sql"),
    },
    Migration {
        version: 15,
        name: "actions",
        sql: include_str!("../migrations/0015_actions.sql"),
    },
    Migration {
        version: 16,
        name: "notifications",
        sql: include_str!("../migrations/0016_notifications.sql"),
    },
    Migration {
        version: 17,
        name: "dashboards",
        sql: include_str!("../migrations/0017_dashboards.sql"),
    },
    Migration {
        version: 18,
        name: "live_records",
        sql: include_str!("../migrations/0018_live_records.sql"),
    },
    Migration {
        version: 19,
        name: "id_sequences",
        sql: include_str!("../migrations/0019_id_sequences.sql"),
    },
    Migration {
        version: 20,
        name: "deal_existed_by",
        sql: include_str!("../migrations/0020_deal_existed_by.sql"),
    },
    Migration {
        version: 21,
        name: "activity_external_ids",
        sql: include_str!("../migrations/0021_activity_external_ids.sql"),
    },
    Migration {
        version: 22,
        name: "service_external_ids",
        sql: include_str!("../migrations/0022_service_external_ids.sql"),
    },
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version     BIGINT PRIMARY KEY,
    name        VARCHAR NOT NULL,
    applied_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
)";

/// The highest applied version, or 0 for a file without a ledger (a new file).
pub fn current_version(conn: &Connection) -> Result<i64> {
    let read_ledger = |conn: &Connection| {
        conn.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
    };
    // The ledger is read straight away: looking it up in the catalogue first
    // (`duckdb_tables()`) cost 6–8 ms of every command's start on a large store. Only when
    // the read fails does the catalogue say whether the file has no ledger (a new file).
    if let Ok(version) = read_ledger(conn) {
        return Ok(version);
    }
    let has_ledger: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'schema_migrations'",
            [],
            |row| row.get(0),
        )
        .context(|| "reading the schema version".into())?;
    if !has_ledger {
        return Ok(0);
    }
    read_ledger(conn).context(|| "reading the schema version".into())
}

/// Apply every migration above the file's version, all in one transaction, so a failure
/// leaves the file exactly as it was.
pub fn migrate(conn: &mut Connection) -> Result<Vec<i64>> {
    let from = current_version(conn)?;
    let tx = conn
        .transaction()
        .context(|| "starting the migration".into())?;
    tx.execute_batch(CREATE_LEDGER)
        .context(|| "creating schema_migrations".into())?;
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| m.version > from) {
        tx.execute_batch(migration.sql).context(|| {
            format!(
                "applying migration {} ({})",
                migration.version, migration.name
            )
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
            duckdb::params![migration.version, migration.name],
        )
        .context(|| format!("recording migration {}", migration.version))?;
        applied.push(migration.version);
    }
    tx.commit().context(|| "committing the migration".into())?;
    Ok(applied)
}
