//! Schedules, rules and the delivery journal as tables, as `embudo schedule list`, `embudo
//! alert list` and the dashboard's administration page show them.

use crate::{MonitorError, alert, schedule};
use embudo_model::Table;
use embudo_store::Store;
use serde_json::json;

/// Every schedule: report, when, to whom, what it attaches, and its last delivery.
pub fn schedules(store: &Store) -> Result<Table, MonitorError> {
    let rows = schedule::list(store)?
        .into_iter()
        .map(|s| {
            Ok(vec![
                json!(s.name),
                json!(s.report),
                json!(s.cadence.describe()),
                json!(targets(&s.recipients, s.webhook.as_deref())),
                json!(s.format.as_str()),
                json!(last_delivery(store, "schedule", &s.name)?),
            ])
        })
        .collect::<Result<Vec<_>, MonitorError>>()?;
    Ok(table(
        &["name", "report", "when", "to", "attach", "last delivery"],
        rows,
    ))
}

/// Every rule: condition, filters, cadence, to whom, whether it is firing, when it fired.
pub fn alerts(store: &Store) -> Result<Table, MonitorError> {
    let rows = alert::list(store)?
        .into_iter()
        .map(|r| {
            let filters: Vec<String> = r.filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![
                json!(r.name),
                json!(r.when()),
                json!(filters.join(", ")),
                json!(r.cadence.describe()),
                json!(targets(&r.recipients, r.webhook.as_deref())),
                json!(r.firing),
                json!(r.last_fired_at.map(|t| t.to_string())),
            ]
        })
        .collect();
    Ok(table(
        &[
            "name",
            "when",
            "filters",
            "judged",
            "to",
            "firing",
            "last fired",
        ],
        rows,
    ))
}

/// The latest `limit` attempts to deliver anything, newest first.
pub fn deliveries(store: &Store, limit: i64) -> Result<Table, MonitorError> {
    let found = store.recent_deliveries(limit)?;
    Ok(table(
        &[
            "at", "kind", "name", "period", "channel", "to", "attempt", "outcome", "error",
        ],
        found.rows,
    ))
}

fn table(columns: &[&str], rows: Vec<Vec<serde_json::Value>>) -> Table {
    Table {
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        rows,
    }
}

/// Recipients and webhook, comma-separated.
pub fn targets(recipients: &[String], webhook: Option<&str>) -> String {
    let mut all: Vec<&str> = recipients.iter().map(String::as_str).collect();
    all.extend(webhook);
    all.join(", ")
}

/// When `name` of `kind` was last delivered to someone, or why it last failed.
fn last_delivery(store: &Store, kind: &str, name: &str) -> Result<Option<String>, MonitorError> {
    Ok(store.last_delivery(kind, name)?)
}
