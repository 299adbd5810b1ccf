//! The metric layer: every number Embudo shows is defined here once and compiled to SQL.
//!
//! - [`catalog`]: the metrics of `docs/spec/metrics.md` as data: labels (English and
//!   Spanish), group, family, unit, direction, measures and how they combine.
//! - [`dims`]: the dimensions and how each source table reaches them.
//! - [`time`]: ranges, grains and periods in the reporting time zone and fiscal calendar.
//! - [`limits`]: how much one question may ask (range, periods, rows, metrics).
//! - [`plan`]: queries → SQL per measure → values on a full time spine, with comparisons.
//! - [`custom`]: custom reports of several metrics, and saving them by name.
//! - [`goals`]: targets for metrics, and their progress and status.
//!
//! The SQL is written once, in the spelling both engines take, and compiled to the store's
//! [`embudo_store::Dialect`] where they differ (a median): the same figures on DuckDB and
//! on PostgreSQL. User input reaches SQL only as bound parameters; metric and dimension
//! names select fixed catalogue text.

pub mod catalog;
pub mod custom;
pub mod dims;
pub mod error;
pub mod goals;
pub mod limits;
pub mod plan;
pub mod time;

pub use catalog::{Metric, catalogue};
pub use dims::Dim;
pub use error::MetricError;
pub use limits::Limits;
pub use plan::{MetricResult, Query, ResultRow, data_gaps, run};
pub use time::{Bound, Calendar, Compare, Grain, Preset};
