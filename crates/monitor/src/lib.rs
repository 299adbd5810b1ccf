//! Monitoring: reports delivered on a schedule and alert rules on metrics.
//!
//! - [`cadence`]: when a schedule or rule is due, and the period each delivery covers, in the
//!   store's time zone.
//! - [`schedule`] and [`alert`]: the rules people add, checked when they are added;
//!   [`action`]: the corrective action an alert offers (follow-up tasks), undoable.
//! - [`deliver`]: e-mail over SMTP and webhooks (Slack- and Teams-shaped JSON, signed), with
//!   retries, every attempt journaled in `deliveries`.
//! - [`listing`]: schedules, rules and deliveries as tables for people.
//! - [`notify`]: what each user is told in the product (alerts, follow-up tasks), read or
//!   unread.
//! - [`watch`]: one pass over everything due at an instant: render each report in its
//!   recipient's scope and language, judge each rule, send, record.
//!
//! Time is always passed in — the server's clock, `embudo watch --now`, a test's — so a test
//! walks through a month of schedules in milliseconds.

pub mod action;
pub mod alert;
pub mod cadence;
pub mod deliver;
pub mod listing;
pub mod notify;
pub mod schedule;
pub mod watch;

/// What can go wrong while monitoring.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// A rule or schedule as given cannot work; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] embudo_store::StoreError),
    #[error(transparent)]
    Report(#[from] embudo_reports::ReportError),
    #[error(transparent)]
    Metric(#[from] embudo_metrics::MetricError),
    #[error(transparent)]
    Access(#[from] embudo_access::AccessError),
}
