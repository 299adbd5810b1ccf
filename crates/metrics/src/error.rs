//! The metric layer's error type.

use embudo_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum MetricError {
    /// The query asks for something the catalogue does not have or cannot do.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
