//! `embudo`: the command line. It parses arguments, reads configuration and calls the
//! library crates; it owns no business logic of its own.
//!
//! - `cli`: the argument grammar (clap).
//! - `config`: flag > `EMBUDO_*` environment > `embudo.toml` > defaults.
//! - `output`: rendering a result grid as a terminal table, CSV or JSON.
//! - `progress`: progress display on stderr.
//! - `commands`: one module per subcommand.

mod cli;
mod commands;
mod config;
mod output;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&format!("{error:#}")));
            if let Some(hint) = missing_store_hint(&error) {
                eprintln!("{hint}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Errors are one line, so scripts can grep them; DuckDB's multi-line messages are folded.
fn one_line(message: &str) -> String {
    message
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// When the store named does not exist but the demo's does here, the way to use it: the
/// command a newcomer types after the demo has no `--db`.
fn missing_store_hint(error: &anyhow::Error) -> Option<String> {
    let missing = error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<embudo_store::StoreError>(),
            Some(embudo_store::StoreError::Missing(_))
        )
    });
    let demo = std::path::Path::new(commands::demo::DEMO_DB);
    (missing && demo.exists()).then(|| {
        format!(
            "hint: the demo's store is here: add `--db {}` (e.g. `embudo --db {} report pipeline`)",
            demo.display(),
            demo.display()
        )
    })
}

/// `embudo tables | head -1` closes our stdout early; that is the reader's choice, not a
/// failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
