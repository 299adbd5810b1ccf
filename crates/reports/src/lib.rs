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
use std::sync::atomic::{AtomicUsize, Ordering};

/// Report `name` as `ctx` asks; with each figure's earlier value beside it when its
/// parameters ask for a comparison.
pub fn build(ctx: &Context<'_>, name: &str) -> Result<Report, ReportError> {
    noting(ctx, name, Gaps::Count)
}

/// Reports `names`, each as [`build`] gives it, with the gaps in the data counted once for
/// all of them (the pack: one statement instead of fourteen, 0.35 s on a million deals);
/// one report counts only its own.
///
/// Several are built two at a time, on two connections: one report's queries and its own
/// work leave a core idle much of the time (the pack, one by one, kept 1.7 of 2 cores
/// busy on a million deals).
pub fn build_all(ctx: &Context<'_>, names: &[&str]) -> Result<Vec<Report>, ReportError> {
    if let [name] = names {
        return Ok(vec![build(ctx, name)?]);
    }
    let counted = embudo_store::gaps::all(ctx.store)?;
    let second = ctx.store.try_clone()?;
    let (calendar, params, now) = (ctx.calendar, ctx.params.clone(), ctx.now);
    let next = &AtomicUsize::new(0);
    let counted = &counted[..];
    let (ours, theirs) = std::thread::scope(|scope| {
        // The second connection moves to the thread: a connection is used by one at a time.
        let theirs = scope.spawn(move || {
            let ctx = Context {
                store: &second,
                calendar,
                params,
                now,
            };
            build_next(&ctx, names, next, counted)
        });
        let ours = build_next(ctx, names, next, counted);
        let theirs = theirs
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (ours, theirs)
    });
    let mut built: Vec<(usize, Report)> = ours?.into_iter().chain(theirs?).collect();
    built.sort_by_key(|(i, _)| *i);
    Ok(built.into_iter().map(|(_, report)| report).collect())
}

/// Build the reports of `names` not yet taken (`next` is the first of them), one at a
/// time, until none is left: each with its position. An error stops the others too.
fn build_next(
    ctx: &Context<'_>,
    names: &[&str],
    next: &AtomicUsize,
    counted: &[(&'static embudo_store::gaps::Gap, u64)],
) -> Result<Vec<(usize, Report)>, ReportError> {
    let mut built = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(name) = names.get(i) else {
            return Ok(built);
        };
        match noting(ctx, name, Gaps::Counted(counted)) {
            Ok(report) => built.push((i, report)),
            Err(error) => {
                next.store(names.len(), Ordering::Relaxed);
                return Err(error);
            }
        }
    }
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
