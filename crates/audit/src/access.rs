//! Access review: who can reach customer data, when they last came, and what they took.

use crate::AuditError;
use chrono::{Duration, NaiveDateTime};
use embudo_model::Table;
use embudo_store::{Param, Store};

/// Every user with their role, status, last login, and customer data they exported or
/// viewed in the 30 days before `as_of`; `stale` says an active account unused for 90 days.
pub fn review(store: &Store, as_of: NaiveDateTime) -> Result<Table, AuditError> {
    let month = Param::Timestamp(as_of - Duration::days(30));
    Ok(store.query_with(
        "SELECT u.name AS user, u.role, u.active,
                CAST(u.last_login_at AS VARCHAR) AS last_login,
                (SELECT count(*) FROM user_events e WHERE e.user_id = u.id AND e.event = 'export' AND e.occurred_at >= ?) AS exports_30d,
                (SELECT count(*) FROM user_events e WHERE e.user_id = u.id AND e.event = 'report_viewed' AND e.occurred_at >= ?) AS reports_viewed_30d,
                u.active AND (u.last_login_at IS NULL OR u.last_login_at < ?) AS inactive_90d_with_access
         FROM users u ORDER BY inactive_90d_with_access DESC, exports_30d DESC, u.name",
        &[month.clone(), month, Param::Timestamp(as_of - Duration::days(90))],
    )?)
}
