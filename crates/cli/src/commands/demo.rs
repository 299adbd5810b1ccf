//! `embudo demo`: the README's first command.

use super::generate::generate;
use super::hint;
use super::sql::counts_table;
use crate::cli::DemoArgs;
use crate::config::Config;
use crate::output;
use anyhow::{Context, Result, bail};
use embudo_store::Store;
use embudo_store::bulk::LoadMode;
use embudo_synth::{Params, Scale};
use std::path::Path;

/// The `store_info` key and value that mark a file as the demo's own.
const ORIGIN_KEY: &str = "origin";
const DEMO_ORIGIN: &str = "demo";
const DEMO_SEED: u64 = 42;

pub fn run(config: &Config, args: &DemoArgs) -> Result<()> {
    let path = args.path.as_path();
    remove_previous_demo(path)?;
    let mut store = Store::open(path)?;
    store.set_info(ORIGIN_KEY, DEMO_ORIGIN)?;
    let params = Params {
        scale: Scale::Small,
        seed: DEMO_SEED,
        now: chrono::Utc::now().naive_utc(),
        defect_rate: 0.05,
    };
    let generated = generate(&mut store, &params, LoadMode::Append, config.quiet)?;
    hint(
        config,
        format_args!(
            "Embudo demo: a simulated business of three years up to now, with 5% deliberately \
             wrong records, in {} ({} rows in {:.1} s).\n",
            path.display(),
            generated.summary.total(),
            generated.elapsed.as_secs_f64()
        ),
    );
    output::print(&counts_table(&store)?, config.format)?;
    let db = path.display();
    hint(
        config,
        format_args!(
            "\nNext, try:\n  \
             embudo --db {db} tables\n  \
             embudo --db {db} sql \"SELECT lead_source, count(*) AS leads, count(customer_at) AS customers FROM contacts WHERE lead_at IS NOT NULL GROUP BY ALL ORDER BY leads DESC\"\n  \
             embudo --db {db} sql \"SELECT date_trunc('quarter', occurred_at) AS quarter, sum(amount) AS revenue FROM revenue_lines GROUP BY ALL ORDER BY quarter\" --format csv\n  \
             embudo generate --scale medium --db big.duckdb --truth truth.json"
        ),
    );
    Ok(())
}

/// Delete an earlier demo store; refuse to touch any file the demo did not create.
fn remove_previous_demo(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let origin = Store::open_read_only(path)
        .and_then(|store| store.info(ORIGIN_KEY))
        .ok()
        .flatten();
    if origin.as_deref() != Some(DEMO_ORIGIN) {
        bail!(
            "{} exists and was not created by `embudo demo`; refusing to overwrite it (use --path for another file)",
            path.display()
        );
    }
    std::fs::remove_file(path)
        .with_context(|| format!("removing the old demo {}", path.display()))?;
    let wal = path.with_extension("duckdb.wal");
    if wal.exists() {
        std::fs::remove_file(&wal).with_context(|| format!("removing {}", wal.display()))?;
    }
    Ok(())
}
