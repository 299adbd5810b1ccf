//! Access review: who can reach customer data, when they last came, and what they took.

use crate::AuditError;
use chrono::{Duration, NaiveDateTime};
use embudo_model::Table;
use embudo_store::Store;

/// Every user with their role, status, last login, and customer data they exported or
/// viewed in the 30 days before `as_of`; `stale` says an active account unused for 90 days.
pub fn review(store: &Store, as_of: NaiveDateTime) -> Result<Table, AuditError> {
    Ok(store.access_review(as_of - Duration::days(30), as_of - Duration::days(90))?)
}
