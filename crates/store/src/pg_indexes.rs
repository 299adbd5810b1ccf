//! A PostgreSQL table's indexes set aside while a load at least doubles it, and built again
//! from its rows once they are in: PostgreSQL's own advice for bulk loads ("Populating a
//! Database"), since one sort per index is far cheaper than a million insertions into each.
//! A million imported contacts: 2.4–2.9 s into the bare table and 1.4 s for its six
//! indexes, against 6.7 s into the indexed table.
//!
//! Dropping an index locks its table until the transaction ends, so readers of the table on
//! other connections wait for the load's commit instead of reading what was there before:
//! hence only for loads that at least double a table, such as a first import, and for bulk
//! loads (a generated business, a copy) into tables they find empty.

use crate::Dialect;
use crate::error::{Result, pg_error};
use crate::query::Param;
use crate::store::Store;
use crate::transfer::quoted;
use postgres::Client;

/// Loads of fewer rows keep the indexes: an insertion into them costs less than a build.
const FEWEST_ROWS: usize = 100_000;

/// One index of a table, as the catalogue defines it.
#[derive(Debug)]
struct Index {
    name: String,
    /// `PRIMARY KEY (id)` for a constraint's, `CREATE INDEX …` for another.
    definition: String,
    /// Whether the index is a constraint's (a key or a uniqueness), dropped and added back
    /// with the constraint.
    constraint: bool,
}

/// The indexes of a table set aside by [`set_aside`]; [`IndexesAside::restore`] builds
/// them again.
#[derive(Debug)]
#[must_use = "the indexes set aside must be restored before the transaction commits"]
pub(crate) struct IndexesAside {
    table: String,
    indexes: Vec<Index>,
}

/// On PostgreSQL, drop `table`'s indexes when `rows` about to be inserted at least double
/// it (and are many); none is set aside otherwise, nor ever on DuckDB. `table` is a name of
/// the store's catalogue. Inside a transaction, which the restore must end in.
pub(crate) fn set_aside_for(
    store: &Store,
    table: &str,
    rows: usize,
) -> Result<Option<IndexesAside>> {
    if rows < FEWEST_ROWS || store.dialect() != Dialect::Postgres {
        return Ok(None);
    }
    // Counting stops at `rows`: on a large table this reads no more than the load writes.
    let present: u64 = store
        .value(
            &format!("SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?) present"),
            &[Param::Int(rows as i64)],
        )?
        .unwrap_or_default();
    if present as usize >= rows {
        return Ok(None);
    }
    let (mut pg, _) = store.postgres().expect("the dialect is PostgreSQL's");
    set_aside(pg.client(), table).map(Some)
}

/// Drop `table`'s indexes, whatever its size (a bulk load into tables it found empty).
/// `table` is a name of the store's catalogue.
pub(crate) fn set_aside(client: &mut Client, table: &str) -> Result<IndexesAside> {
    let failed = |source| pg_error(&format!("setting the indexes of {table} aside"), source);
    let indexes: Vec<Index> = client
        .query(
            "SELECT c.conname, pg_get_constraintdef(c.oid), true
               FROM pg_constraint c
              WHERE c.conrelid = to_regclass($1) AND c.contype IN ('p', 'u')
             UNION ALL
             SELECT i.relname, pg_get_indexdef(i.oid), false
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
              WHERE x.indrelid = to_regclass($1)
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            &[&table],
        )
        .map_err(failed)?
        .into_iter()
        .map(|row| Index {
            name: row.get::<_, String>(0),
            definition: row.get(1),
            constraint: row.get(2),
        })
        .collect();
    for index in &indexes {
        // Names and definitions are the catalogue's own, never a user's.
        let name = quoted(&index.name);
        client
            .batch_execute(&if index.constraint {
                format!("ALTER TABLE {table} DROP CONSTRAINT {name}")
            } else {
                format!("DROP INDEX {name}")
            })
            .map_err(failed)?;
    }
    Ok(IndexesAside {
        table: table.to_owned(),
        indexes,
    })
}

impl IndexesAside {
    /// Build every index set aside again, from the rows the table now holds. A key or a
    /// uniqueness the load broke fails here, as the insertion would have.
    pub(crate) fn restore(self, client: &mut Client) -> Result<()> {
        let table = &self.table;
        for index in &self.indexes {
            client
                .batch_execute(&if index.constraint {
                    format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {} {}",
                        quoted(&index.name),
                        index.definition
                    )
                } else {
                    index.definition.clone()
                })
                .map_err(|source| pg_error(&format!("building the indexes of {table}"), source))?;
        }
        Ok(())
    }
}
