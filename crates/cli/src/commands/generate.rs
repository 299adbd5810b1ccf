//! `embudo init` and `embudo generate`.

use super::hint;
use crate::cli::GenerateArgs;
use crate::config::Config;
use crate::{output, progress};
use anyhow::{Context, Result, bail};
use embudo_model::Table;
use embudo_store::Store;
use embudo_store::bulk::{LoadMode, LoadSummary};
use embudo_synth::{Params, Truth};
use serde_json::json;
use std::time::{Duration, Instant};

pub fn init(config: &Config) -> Result<()> {
    let store = Store::open(&config.db)?;
    hint(
        config,
        format_args!(
            "Store ready at {} (schema version {}).",
            config.db_shown(),
            store.schema_version()?
        ),
    );
    Ok(())
}

pub fn run(config: &Config, args: &GenerateArgs) -> Result<()> {
    let mut store = Store::open(&config.db)?;
    if !args.replace && !store.is_empty()? {
        bail!(
            "{} already holds data; pass --replace to overwrite it, or --db to name another store",
            config.db_shown()
        );
    }
    let params = Params {
        scale: args.scale,
        seed: args.seed,
        now: args.now.unwrap_or_else(|| chrono::Utc::now().naive_utc()),
        defect_rate: args.defects,
        signal: !args.no_signal,
    };
    let mode = if args.replace {
        LoadMode::Replace
    } else {
        LoadMode::Append
    };
    let generated = generate(&mut store, &params, mode, config.quiet)?;
    if let Some(path) = &args.truth {
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        serde_json::to_writer(std::io::BufWriter::new(file), &generated.truth)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    output::print(&generated.summary_table(), config.format)?;
    hint(
        config,
        format_args!(
            "Generated {} rows in {:.1} s ({:.0} rows/s) into {}.",
            generated.summary.total(),
            generated.elapsed.as_secs_f64(),
            generated.rows_per_second(),
            config.db_shown()
        ),
    );
    Ok(())
}

/// A finished generation.
pub struct Generated {
    pub truth: Truth,
    pub summary: LoadSummary,
    pub elapsed: Duration,
}

impl Generated {
    pub fn rows_per_second(&self) -> f64 {
        self.summary.total() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn summary_table(&self) -> Table {
        let mut rows: Vec<_> = self.summary.rows.clone();
        rows.sort_by_key(|(table, _)| *table);
        Table {
            columns: vec!["table".into(), "rows".into()],
            rows: rows
                .into_iter()
                .map(|(t, n)| vec![json!(t), json!(n)])
                .collect(),
        }
    }
}

/// Simulate the business of `params` into `store`, in one transaction, with a progress
/// spinner on stderr.
pub fn generate(
    store: &mut Store,
    params: &Params,
    mode: LoadMode,
    quiet: bool,
) -> Result<Generated> {
    let spinner = progress::rows_spinner("generating", quiet);
    let started = Instant::now();
    let (truth, summary) = store
        .load(
            mode,
            |batches| embudo_synth::generate(params, batches),
            |rows| spinner.set_position(rows),
        )
        .context("generating the sample business")?;
    spinner.finish_and_clear();
    Ok(Generated {
        truth,
        summary,
        elapsed: started.elapsed(),
    })
}
