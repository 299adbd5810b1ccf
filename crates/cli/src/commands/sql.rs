//! `embudo sql`, `embudo tables`, `embudo repair` and `embudo migrate`.

use crate::cli::{MigrateArgs, RepairCommand};
use crate::config::Config;
use crate::{output, progress};
use anyhow::Result;
use embudo_model::Table;
use embudo_store::Store;
use embudo_store::transfer::Location;
use serde_json::json;

pub fn run(config: &Config, query: &str) -> Result<()> {
    let store = Store::open_read_only(&config.db)?;
    output::print(&store.query_with(query, &[])?, config.format)
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

/// Copy a store between engines; print each table's rows and checksums.
pub fn migrate(config: &Config, args: &MigrateArgs) -> Result<()> {
    let (from, to) = (Location::parse(&args.from), Location::parse(&args.to));
    let spinner = progress::rows_spinner("copying", config.quiet);
    let copied = embudo_store::transfer::copy(&from, &to, args.replace, &mut |table, rows| {
        spinner.set_message(format!("copying {table}"));
        spinner.set_position(rows);
    });
    spinner.finish_and_clear();
    let copied = copied?;
    let rows: u64 = copied.iter().map(|c| c.rows).sum();
    output::print(
        &Table {
            columns: ["table", "rows", "checksum", "target checksum"]
                .map(String::from)
                .to_vec(),
            rows: copied
                .iter()
                .map(|c| {
                    vec![
                        json!(c.table),
                        json!(c.rows),
                        json!(c.source_checksum),
                        json!(c.target_checksum),
                    ]
                })
                .collect(),
        },
        config.format,
    )?;
    super::hint(
        config,
        format!(
            "copied {} tables, {rows} rows, from {from} to {to}: every checksum equal",
            copied.len()
        ),
    );
    Ok(())
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
