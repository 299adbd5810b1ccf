//! `embudo sql` and `embudo tables`.

use crate::config::Config;
use crate::output;
use anyhow::Result;
use embudo_model::Table;
use embudo_store::Store;
use serde_json::json;

pub fn run(config: &Config, query: &str) -> Result<()> {
    let store = Store::open_read_only(&config.db)?;
    output::print(&store.query(query, [])?, config.format)
}

pub fn tables(config: &Config) -> Result<()> {
    let store = Store::open_read_only(&config.db)?;
    output::print(&counts_table(&store)?, config.format)
}

/// Every canonical table with its row count.
pub fn counts_table(store: &Store) -> Result<Table> {
    Ok(Table {
        columns: vec!["table".into(), "rows".into()],
        rows: store
            .table_counts()?
            .into_iter()
            .map(|(table, rows)| vec![json!(table), json!(rows)])
            .collect(),
    })
}
