//! `embudo sql`, `embudo tables` and `embudo repair`.

use crate::cli::RepairCommand;
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

pub fn repair(config: &Config, command: &RepairCommand) -> Result<()> {
    let RepairCommand::Derived = command;
    let store = Store::open(&config.db)?;
    let repaired = store.transaction(true, || embudo_store::derived::repair(&store))?;
    let table = Table {
        columns: vec!["repaired".into(), "rows".into()],
        rows: vec![
            vec![
                json!("deals given an import's instant as creation date, now inferred"),
                json!(repaired.import_instants),
            ],
            vec![
                json!("deals whose inferred creation date moved"),
                json!(repaired.created),
            ],
            vec![
                json!("contacts whose customer_at was set, moved or cleared"),
                json!(repaired.customers),
            ],
        ],
    };
    output::print(&table, config.format)
}
