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

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;

/// Loads of fewer rows keep the indexes: an insertion into them costs less than a build.
const FEWEST_ROWS: usize = 100_000;

/// One index of a table, as the catalogue defines it.
#[derive(Debug, serde::Deserialize)]
struct Index {
    name: String,
    /// `PRIMARY KEY (id)` for a constraint's, `CREATE INDEX …` for another.
    definition: String,
    /// Whether the index is a constraint's (a key or a uniqueness), dropped and added back
    /// with the constraint.
    constraint: bool,
}

/// The indexes of a table set aside by [`set_aside_for`]; [`IndexesAside::restore`] builds
/// them again.
#[derive(Debug)]
#[must_use = "the indexes set aside must be restored before the transaction commits"]
pub(crate) struct IndexesAside {
    table: &'static str,
    indexes: Vec<Index>,
}

/// Drop `table`'s indexes when `rows` about to be inserted at least double it (and are
/// many); none is set aside otherwise. `table` is a name of the store's catalogue. Inside
/// a transaction, which the restore must end in.
pub(crate) fn set_aside_for(
    store: &Store,
    table: &'static str,
    rows: usize,
) -> Result<Option<IndexesAside>> {
    if rows < FEWEST_ROWS {
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
    set_aside(store, table).map(Some)
}

/// Drop `table`'s indexes, whatever its size (a bulk load into tables it found empty).
pub(crate) fn set_aside(store: &Store, table: &'static str) -> Result<IndexesAside> {
    let indexes: Vec<Index> = store.records(
        "SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition, true AS constraint
           FROM pg_constraint c
          WHERE c.conrelid = to_regclass(?) AND c.contype IN ('p', 'u')
         UNION ALL
         SELECT i.relname, pg_get_indexdef(i.oid), false
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
          WHERE x.indrelid = to_regclass(?)
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        &[Param::Text(table.into()), Param::Text(table.into())],
    )?;
    for index in &indexes {
        // Names and definitions are the catalogue's own, never a user's.
        let name = quoted(&index.name);
        store.execute_with(
            &if index.constraint {
                format!("ALTER TABLE {table} DROP CONSTRAINT {name}")
            } else {
                format!("DROP INDEX {name}")
            },
            &[],
        )?;
    }
    Ok(IndexesAside { table, indexes })
}

impl IndexesAside {
    /// Build every index set aside again, from the rows the table now holds. A key or a
    /// uniqueness the load broke fails here, as the insertion would have.
    pub(crate) fn restore(self, store: &Store) -> Result<()> {
        for index in &self.indexes {
            store.execute_with(
                &if index.constraint {
                    format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} {}",
                        self.table,
                        quoted(&index.name),
                        index.definition
                    )
                } else {
                    index.definition.clone()
                },
                &[],
            )?;
        }
        Ok(())
    }
}

/// `name` as a quoted SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
