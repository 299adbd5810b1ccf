//! Fields the store keeps true whoever writes (an import, the API, a merge, a fix): a
//! contact's `customer_at` and a deal's inferred creation date. Every writer calls
//! [`refresh`] inside its transaction; `embudo repair derived` calls [`repair`] for stores
//! written by versions that did not keep them.
//!
//! - `contacts.customer_at` is the contact's first revenue line (a won deal or an order). A
//!   contact without revenue keeps the date a file or a person gave, unless the store had
//!   derived it from revenue that is gone (`customer_at_derived`).
//! - `deals.created_at`, when no file gave it (`created_at_inferred`), is the earliest date
//!   known of the deal: its first recorded stage entry, its contact's lead date, its close.

use crate::error::{Context, Result};
use crate::query::Param;
use crate::store::Store;
use duckdb::Connection;

/// How many rows a refresh changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Refreshed {
    /// Contacts whose `customer_at` was set, moved or cleared.
    pub customers: usize,
    /// Deals whose inferred creation date moved.
    pub created: usize,
    /// Deals found with an import's instant as their creation date, now inferred (repair only).
    pub import_instants: usize,
}

/// The earliest date known of a deal whose creation date is inferred, as SQL over `d`.
pub const EARLIEST_KNOWN: &str = "least(
        (SELECT min(h.entered_at) FROM deal_stage_history h WHERE h.deal_id = d.id AND NOT h.synthesised),
        (SELECT c.lead_at FROM contacts c WHERE c.id = d.contact_id),
        d.closed_at)";

/// Bring every derived field in line with the rows it derives from; cheap when nothing
/// changed (one pass over the revenue lines and the deals with inferred dates).
pub fn refresh(store: &Store) -> Result<Refreshed> {
    refresh_with(&|sql| store.execute_with(sql, &[]))
}

/// [`refresh`] on a DuckDB connection, inside whatever transaction it has open (the bulk
/// load's).
pub(crate) fn refresh_on(conn: &Connection) -> Result<Refreshed> {
    refresh_with(&|sql| conn.execute(sql, []).context(|| "deriving fields".into()))
}

/// [`refresh`], each statement run by `run` (SQL both engines take).
fn refresh_with(run: &dyn Fn(&str) -> Result<usize>) -> Result<Refreshed> {
    let customers = run(
        "UPDATE contacts c SET customer_at = f.first, customer_at_derived = true
           FROM (SELECT contact_id, min(occurred_at) AS first FROM revenue_lines
                  WHERE contact_id IS NOT NULL AND occurred_at IS NOT NULL GROUP BY 1) f
          WHERE c.id = f.contact_id
            AND (c.customer_at IS DISTINCT FROM f.first OR NOT coalesce(c.customer_at_derived, false))",
    )? + run(
        "UPDATE contacts c SET customer_at = NULL, customer_at_derived = false
          WHERE c.customer_at_derived
            AND NOT EXISTS (SELECT 1 FROM revenue_lines r
                             WHERE r.contact_id = c.id AND r.occurred_at IS NOT NULL)",
    )?;
    let created = infer_creation(run)?;
    Ok(Refreshed {
        customers,
        created,
        import_instants: 0,
    })
}

/// [`refresh`], after flagging the deals that earlier versions gave an import's instant as
/// creation date: an instant shared by at least `IMPORT_BATCH` deals of one source system
/// that is later than something known of each (its close, a recorded stage entry, its
/// contact's lead date). Running it twice changes nothing the second time.
pub fn repair(store: &Store) -> Result<Refreshed> {
    const IMPORT_BATCH: i64 = 10;
    let import_instants = store.execute_with(
        &format!(
            "UPDATE deals d SET created_at_inferred = true
               FROM (SELECT source_system, created_at FROM deals
                      WHERE source_system IS NOT NULL AND NOT coalesce(created_at_inferred, false)
                      GROUP BY source_system, created_at HAVING count(*) >= ?) shared
              WHERE d.source_system = shared.source_system AND d.created_at = shared.created_at
                AND NOT coalesce(d.created_at_inferred, false)
                AND d.created_at > {EARLIEST_KNOWN}"
        ),
        &[Param::Int(IMPORT_BATCH)],
    )?;
    Ok(Refreshed {
        import_instants,
        ..refresh(store)?
    })
}

/// Move inferred creation dates to the earliest date known, and the synthesised first
/// stage visit with them.
fn infer_creation(run: &dyn Fn(&str) -> Result<usize>) -> Result<usize> {
    let moved = run(&format!(
        "UPDATE deals t SET created_at = e.earliest
               FROM (SELECT d.id, {EARLIEST_KNOWN} AS earliest FROM deals d
                      WHERE d.created_at_inferred) e
              WHERE t.id = e.id AND e.earliest IS NOT NULL AND t.created_at <> e.earliest"
    ))?;
    if moved > 0 {
        run("UPDATE deal_stage_history h SET entered_at = d.created_at
               FROM deals d,
                    (SELECT deal_id, min(entered_at) AS first FROM deal_stage_history
                      WHERE synthesised GROUP BY 1) f
              WHERE h.deal_id = d.id AND f.deal_id = d.id AND h.synthesised
                AND d.created_at_inferred AND h.entered_at = f.first
                AND h.entered_at <> d.created_at
                AND (h.exited_at IS NULL OR h.exited_at >= d.created_at)")?;
    }
    Ok(moved)
}
