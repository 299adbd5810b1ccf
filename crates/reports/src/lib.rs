//! The canned reports of `docs/spec/reports.md`, built on the metric layer.
//!
//! - [`model`]: a report as data (sections, charts, insights, notes), in the JSON shape of
//!   the spec.
//! - [`context`]: a report's parameters (range, instant, filters) and the helpers that turn
//!   metric queries and report-specific SQL into sections.
//! - [`catalog`]: the fourteen reports, each a list of sections.
//! - [`compare`]: a report beside itself over the previous period or year.
//! - [`insights`]: sentences a manager should read, with their thresholds.
//! - [`i18n`]: English and Spanish labels.
//! - [`svg`]: self-contained SVG charts (shared with the web dashboard).
//! - [`html`]: one self-contained HTML page for a report or a pack.
//! - [`xlsx`]: one workbook, a sheet per section, typed cells.
//! - [`csv`]: a section, or every section of a pack, as CSV.
//! - [`drill`]: which figure of a report leads to which records.
//! - [`saved`]: a saved custom report as a report, to render and deliver like the others.
//! - [`scope`]: a report narrowed and masked for one person's role.
//! - [`dashboard`]: dashboards people compose from report sections, metrics and saved
//!   reports, shown to their owner, a team or the company.
//!
//! A number in a column named after a metric is that metric's value over the same range
//! and filters: those columns come from `embudo-metrics`, never from SQL of their own.

pub mod catalog;
pub mod compare;
pub mod context;
pub mod csv;
pub mod dashboard;
pub mod drill;
pub mod html;
pub mod i18n;
pub mod insights;
pub mod model;
pub mod saved;
pub mod scope;
pub mod svg;
pub mod xlsx;

pub use catalog::NAMES;
pub use context::{Context, Params};
pub use model::{Chart, ChartKind, Column, Kind, Report, Section};

use catalog::Gaps;

/// Report `name` as `ctx` asks; with each figure's earlier value beside it when its
/// parameters ask for a comparison.
pub fn build(ctx: &Context<'_>, name: &str) -> Result<Report, ReportError> {
    noting(ctx, name, Gaps::Count)
}

/// Reports `names`, each as [`build`] gives it, with the gaps in the data counted once for
/// all of them (the pack: one statement instead of fourteen, 0.35 s on a million deals);
/// one report counts only its own.
pub fn build_all(ctx: &Context<'_>, names: &[&str]) -> Result<Vec<Report>, ReportError> {
    if let [name] = names {
        return Ok(vec![build(ctx, name)?]);
    }
    let counted = embudo_store::gaps::all(ctx.store)?;
    names
        .iter()
        .map(|name| noting(ctx, name, Gaps::Counted(&counted)))
        .collect()
}

fn noting(ctx: &Context<'_>, name: &str, gaps: Gaps<'_>) -> Result<Report, ReportError> {
    match ctx.params.compare {
        Some(compare) => compare::build(ctx, name, compare, gaps),
        None => catalog::build(ctx, name, gaps),
    }
}

/// What can go wrong building a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Invalid(String),
    /// The caller's role does not let them see what was asked.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing of that name or id, or nothing the caller may see.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Metric(#[from] embudo_metrics::MetricError),
    #[error(transparent)]
    Store(#[from] embudo_store::StoreError),
    #[error(transparent)]
    Forecast(#[from] embudo_forecast::ForecastError),
    #[error(transparent)]
    Audit(#[from] embudo_audit::AuditError),
}

impl From<embudo_access::AccessError> for ReportError {
    fn from(error: embudo_access::AccessError) -> ReportError {
        use embudo_access::AccessError;
        match error {
            AccessError::Forbidden(message) => ReportError::Forbidden(message),
            AccessError::NotFound(message) => ReportError::NotFound(message),
            AccessError::Store(error) => ReportError::Store(error),
            other => ReportError::Invalid(other.to_string()),
        }
    }
}
