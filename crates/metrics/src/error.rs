//! The metric layer's error type.

use embudo_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum MetricError {
    /// The query asks for something the catalogue does not have or cannot do.
    #[error("{0}")]
    Invalid(String),
    /// The thing exists but belongs to someone else (another user's saved report).
    #[error("{0}")]
    NotYours(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
