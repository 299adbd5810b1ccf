//! Import and export: CRM exports and spreadsheets in, any table or report out.
//!
//! - [`read`]: files into header + text records — CSV (delimiter and encoding sniffed),
//!   XLSX/XLS/ODS, JSON lines.
//! - [`value`]: dates, numbers and booleans as people write them, decided per column.
//! - [`mapping`]: TOML mappings, and the guess from one file's headers (synonyms, presets).
//! - [`vendor`]: what HubSpot, Pipedrive, Salesforce and ActiveCampaign exports hold: headers,
//!   picklist values, default stages.
//! - [`target`]: the canonical tables as import targets: columns, types, references (the
//!   store's, [`embudo_store::import::target`]).
//! - [`load`]: one import, all files in one transaction: parse, quarantine bad rows, stage
//!   the rest as text; the store then resolves references, creates missing stages, inserts
//!   or updates, and synthesises stage history ([`embudo_store::import`]).
//! - [`export`]: any table to CSV, JSON, XLSX or Parquet, and rows (a report's sections)
//!   to Parquet, through the store's [`embudo_store::export`].
//!
//! An import reads each file once and writes inside one transaction; a row that cannot be
//! imported is written to `<file>.rejected.csv` with its row number and reason.

pub mod export;
pub mod load;
pub mod mapping;
pub mod read;
pub use embudo_store::import::target;
pub mod value;
pub mod vendor;

use std::path::PathBuf;

/// What can go wrong in an import or export, each a one-line message naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file is missing, unreadable, or not what it claims to be.
    #[error("{}: {problem}", path.display())]
    File { path: PathBuf, problem: String },

    /// A mapping names something that does not exist, or misses something required.
    #[error("{0}")]
    Mapping(String),

    /// The import was stopped before it finished (nothing was written).
    #[error("the import was stopped: {0}")]
    Stopped(String),

    #[error(transparent)]
    Store(#[from] embudo_store::StoreError),
}
