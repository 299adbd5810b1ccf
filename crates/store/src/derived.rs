//! Fields the store keeps true whoever writes (an import, the API, a merge, a fix): a
//! contact's `customer_at` and a deal's inferred creation date. Every writer calls
//! [`refresh`] inside its transaction; `embudo repair derived` calls [`repair`] for stores
//! written by versions that did not keep them.
//!
//! - `contacts.customer_at` is the contact's first revenue line (a won deal or an order). A
//!   contact without revenue keeps the date a file or a person gave, unless the store had
//!   derived it from revenue that is gone (`customer_at_derived`).
//! - `deals.created_at`, when no file gave it (`created_at_inferred`), is the earliest date
//!   known of the deal: its first recorded stage entry, its contact's lead date, its close,
//!   and the latest moment it is known to have existed (`existed_by`).

use crate::error::{Context, Result};
use crate::query::Param;
use crate::store::Store;
use duckdb::Connection;
use std::collections::{BTreeMap, BTreeSet};

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

/// The earliest date known of a deal whose creation date is inferred, as SQL over `d`: its
/// first recorded stage entry, its contact's lead date, its close, and the latest moment
/// it is known to have existed (`existed_by`: its file's last change or its import), which
/// keeps a stage move made later from becoming its creation.
pub const EARLIEST_KNOWN: &str = "least(
        (SELECT min(h.entered_at) FROM deal_stage_history h WHERE h.deal_id = d.id AND NOT h.synthesised),
        (SELECT c.lead_at FROM contacts c WHERE c.id = d.contact_id),
        d.closed_at,
        d.existed_by)";

/// Bring every derived field in line with the rows it derives from; cheap when nothing
/// changed (one pass over the revenue lines and the deals with inferred dates).
pub fn refresh(store: &Store) -> Result<Refreshed> {
    refresh_with(&|sql, params| store.execute_with(sql, params), None)
}

/// [`refresh`] on a DuckDB connection, inside whatever transaction it has open (the bulk
/// load's).
pub(crate) fn refresh_on(conn: &Connection) -> Result<Refreshed> {
    let run = |sql: &str, params: &[Param]| {
        debug_assert!(params.is_empty(), "a whole refresh binds nothing");
        conn.execute(sql, []).context(|| "deriving fields".into())
    };
    refresh_with(&run, None)
}

/// The records one write changed: [`refresh_touched`] brings in line only what they derive.
#[derive(Debug, Default, Clone)]
pub struct Touched {
    contacts: BTreeSet<i64>,
    /// Each deal as every read of it found it (none where there was no such deal yet).
    deals: BTreeMap<i64, Vec<Option<DealSources>>>,
}

/// What of a deal its derived fields and its contact's are derived from, as text: whether
/// it is a revenue line, and of which contact when (`customer_at`), and whether its
/// creation date is inferred (from its stage entries, among others).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub(crate) struct DealSources {
    contact_id: Option<String>,
    status: Option<String>,
    closed_at: Option<String>,
    deleted_at: Option<String>,
    merged_into_id: Option<String>,
    created_at: Option<String>,
    created_at_inferred: Option<String>,
}

impl DealSources {
    /// What a read of [`DealSources`] selects from `deals`: each column as text.
    pub(crate) fn columns() -> String {
        [
            "contact_id",
            "status",
            "closed_at",
            "deleted_at",
            "merged_into_id",
            "created_at",
            "created_at_inferred",
        ]
        .map(|c| format!("CAST({c} AS VARCHAR) AS {c}"))
        .join(", ")
    }
}

impl Touched {
    /// Contact `id`: its customer date, and the inferred creation dates of its deals (its
    /// lead date is one of theirs).
    pub fn contact(&mut self, id: i64) {
        self.contacts.insert(id);
    }

    /// Deal `id` as the store has it now: call it before a write and after, so a contact
    /// the deal left is refreshed as well as the one it joined, and a write that changed
    /// nothing they derive from refreshes nothing.
    pub fn deal(&mut self, store: &Store, id: i64) -> Result<()> {
        let found: Vec<DealSources> = store.records(
            &format!("SELECT {} FROM deals WHERE id = ?", DealSources::columns()),
            &[Param::Int(id)],
        )?;
        self.saw_deal(id, found.into_iter().next());
        Ok(())
    }

    /// Deal `id` as a read made for another purpose found it (none: no such deal).
    pub(crate) fn saw_deal(&mut self, id: i64, sources: Option<DealSources>) {
        self.deals.entry(id).or_default().push(sources);
    }

    /// The contacts whose customer dates may have moved, and the deals whose inferred
    /// creation dates may have. A deal seen the same by every read (a stage move between
    /// two open stages, a new amount) changed no revenue line, so its contact is left
    /// alone; its creation date is looked at again only when it is inferred, since the
    /// write may have recorded its first stage entry. Each statement left out of a stage
    /// move is one round trip fewer while the deal is locked, and its plan (of the revenue
    /// view, made afresh for every list of ids) was most of the database's work under fifty
    /// clients moving deals.
    fn scope(&self) -> (Vec<i64>, Vec<i64>) {
        let mut contacts = self.contacts.clone();
        let mut deals = Vec::new();
        for (&id, seen) in &self.deals {
            // Seen once, it is new (or its write did not read it before): changed.
            let unchanged = seen.len() > 1 && seen.windows(2).all(|pair| pair[0] == pair[1]);
            let present: Vec<&DealSources> = seen.iter().flatten().collect();
            if !unchanged || present.is_empty() {
                contacts.extend(
                    present
                        .iter()
                        .filter_map(|d| d.contact_id.as_deref()?.parse::<i64>().ok()),
                );
                deals.push(id);
            } else if present
                .iter()
                .any(|d| d.created_at_inferred.as_deref() == Some("true"))
            {
                deals.push(id);
            }
        }
        (contacts.into_iter().collect(), deals)
    }
}

/// [`refresh`] of what `touched` derives: the customer dates of its contacts, the inferred
/// creation dates of its deals and its contacts' deals. What a write of one record needs,
/// where a whole refresh reads every revenue line (0.3 s on PostgreSQL at medium scale).
pub fn refresh_touched(store: &Store, touched: &Touched) -> Result<Refreshed> {
    let (contacts, deals) = touched.scope();
    if contacts.is_empty() && deals.is_empty() {
        return Ok(Refreshed::default());
    }
    let dialect = store.dialect();
    let scope = Scope {
        contact: dialect.in_id_list("c.id"),
        revenue: dialect.in_id_list("contact_id"),
        deal: format!(
            "({} OR {})",
            dialect.in_id_list("d.id"),
            dialect.in_id_list("d.contact_id")
        ),
        contacts: vec![Param::Text(dialect.id_list(&contacts))],
        deals: vec![
            Param::Text(dialect.id_list(&deals)),
            Param::Text(dialect.id_list(&contacts)),
        ],
        customers: !contacts.is_empty(),
    };
    refresh_with(&|sql, params| store.execute_with(sql, params), Some(&scope))
}

/// Conditions that narrow a refresh to some records, with their parameters.
struct Scope {
    /// Over contacts `c`.
    contact: String,
    /// Over revenue lines (their `contact_id`).
    revenue: String,
    /// Over deals `d`.
    deal: String,
    /// For one of `contact` or `revenue`.
    contacts: Vec<Param>,
    /// For `deal`.
    deals: Vec<Param>,
    /// Whether any customer date may have moved: without, only creation dates are looked at.
    customers: bool,
}

/// A statement runner: SQL and its parameters, the rows changed.
type Run<'a> = dyn Fn(&str, &[Param]) -> Result<usize> + 'a;

/// [`refresh`], each statement run by `run` (SQL both engines take), over every record or
/// those of `scope`.
fn refresh_with(run: &Run, scope: Option<&Scope>) -> Result<Refreshed> {
    let params = |of: fn(&Scope) -> &Vec<Param>| scope.map_or(&[][..], |s| of(s).as_slice());
    let customers = if scope.is_some_and(|s| !s.customers) {
        0
    } else {
        refresh_customers(run, scope)?
    };
    let created = infer_creation(run, &and(scope, |s| &s.deal), params(|s| &s.deals))?;
    Ok(Refreshed {
        customers,
        created,
        import_instants: 0,
    })
}

/// ` AND ` the condition of `scope` that `condition` picks; nothing without a scope.
fn and(scope: Option<&Scope>, condition: fn(&Scope) -> &String) -> String {
    scope.map_or(String::new(), |s| format!(" AND {}", condition(s)))
}

/// Set, move or clear the customer dates of every contact, or those of `scope`; how many.
fn refresh_customers(run: &Run, scope: Option<&Scope>) -> Result<usize> {
    let params = scope.map_or(&[][..], |s| s.contacts.as_slice());
    Ok(run(
        &format!(
            "UPDATE contacts c SET customer_at = f.first, customer_at_derived = true
               FROM (SELECT contact_id, min(occurred_at) AS first FROM revenue_lines
                      WHERE contact_id IS NOT NULL AND occurred_at IS NOT NULL{} GROUP BY 1) f
              WHERE c.id = f.contact_id
                AND (c.customer_at IS DISTINCT FROM f.first OR NOT coalesce(c.customer_at_derived, false))",
            and(scope, |s| &s.revenue)
        ),
        params,
    )? + run(
        &format!(
            "UPDATE contacts c SET customer_at = NULL, customer_at_derived = false
              WHERE c.customer_at_derived{}
                AND NOT EXISTS (SELECT 1 FROM revenue_lines r
                                 WHERE r.contact_id = c.id AND r.occurred_at IS NOT NULL)",
            and(scope, |s| &s.contact)
        ),
        params,
    )?)
}

/// [`refresh`], after flagging the deals that earlier versions gave an import's instant as
/// creation date: an instant shared by at least `IMPORT_BATCH` deals of one source system
/// that is later than something known of each (its close, a recorded stage entry, its
/// contact's lead date). Running it twice changes nothing the second time.
pub fn repair(store: &Store) -> Result<Refreshed> {
    const IMPORT_BATCH: i64 = 10;
    let import_instants = store.execute_with(
        &format!(
            "UPDATE deals d SET created_at_inferred = true, existed_by = d.created_at
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
/// stage visit with them, for the deals `and_deals` (a condition over `d`, with `params`)
/// leaves.
fn infer_creation(run: &Run, and_deals: &str, params: &[Param]) -> Result<usize> {
    let moved = run(
        &format!(
            "UPDATE deals t SET created_at = e.earliest
               FROM (SELECT d.id, {EARLIEST_KNOWN} AS earliest FROM deals d
                      WHERE d.created_at_inferred{and_deals}) e
              WHERE t.id = e.id AND e.earliest IS NOT NULL AND t.created_at <> e.earliest"
        ),
        params,
    )?;
    if moved > 0 {
        run(
            &format!(
                "UPDATE deal_stage_history h SET entered_at = d.created_at
               FROM deals d,
                    (SELECT deal_id, min(entered_at) AS first FROM deal_stage_history
                      WHERE synthesised GROUP BY 1) f
              WHERE h.deal_id = d.id AND f.deal_id = d.id AND h.synthesised
                AND d.created_at_inferred AND h.entered_at = f.first
                AND h.entered_at <> d.created_at
                AND (h.exited_at IS NULL OR h.exited_at >= d.created_at){and_deals}"
            ),
            params,
        )?;
    }
    Ok(moved)
}
