//! Applying a check's suggested fixes, journaled, and undoing them.

use crate::checks::UNRESOLVED;
use crate::{AuditError, Finding};
use chrono::NaiveDateTime;
use embudo_store::Store;
use embudo_store::corrections::FixEntry;

/// (check, table, column) of every check whose suggestions can be applied, besides the
/// unresolved references of [`UNRESOLVED`], whose fix links the record. Form resubmissions
/// are fixed by merging instead.
const FIXABLE: [(&str, &str, &str); 17] = [
    ("contacts.email.typo_domain", "contacts", "email"),
    ("contacts.phone.national", "contacts", "phone"),
    ("companies.phone.national", "companies", "phone"),
    ("contacts.lead_source.label", "contacts", "lead_source"),
    ("deals.source.label", "deals", "source"),
    ("activities.type.label", "activities", "type"),
    ("tickets.channel.label", "tickets", "channel"),
    ("tickets.type.label", "tickets", "type"),
    ("tickets.priority.label", "tickets", "priority"),
    ("surveys.kind.label", "surveys", "kind"),
    ("companies.industry.label", "companies", "industry"),
    ("contacts.country.label", "contacts", "country"),
    ("companies.country.label", "companies", "country"),
    ("contacts.region.label", "contacts", "region"),
    ("companies.region.label", "companies", "region"),
    ("deals.currency.code", "deals", "currency"),
    ("orders.currency.code", "orders", "currency"),
];

/// Every (check, table, column) whose suggestions can be applied.
fn all_fixable() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    FIXABLE
        .into_iter()
        .chain(UNRESOLVED.iter().map(|r| (r.check, r.entity, r.column)))
}

/// The checks whose suggestions can be applied.
pub fn fixable() -> impl Iterator<Item = &'static str> {
    all_fixable().map(|(check, _, _)| check)
}

/// The table and column a check's fixes change, if it has automatic fixes.
pub fn target(check_id: &str) -> Option<(&'static str, &'static str)> {
    all_fixable()
        .find(|(c, _, _)| *c == check_id)
        .map(|(_, t, f)| (t, f))
}

/// Apply every suggested value of `finding` in one transaction; returns the batch id and
/// the number of fields changed. Rows without a suggestion are left alone.
pub fn apply(
    store: &Store,
    finding: &Finding,
    at: NaiveDateTime,
) -> Result<(i64, usize), AuditError> {
    let (table, column) = target(finding.id)
        .ok_or_else(|| AuditError::Invalid(format!("{} has no automatic fix", finding.id)))?;
    let batch = store.next_id("fix_journal")?;
    store.transaction(true, || {
        let mut changed = 0;
        for row in &finding.rows {
            let Some(fix) = &row.fix else { continue };
            // A reference linked was empty; its text stays in `custom.unresolved`.
            let old = row
                .value
                .as_str()
                .filter(|_| !column.ends_with("_id"))
                .map(str::to_owned);
            store.set_text(table, column, row.id, Some(fix))?;
            store.journal_fix(&FixEntry {
                batch,
                check: finding.id,
                table,
                row_id: row.id,
                field: column,
                old_value: old.as_deref(),
                new_value: fix,
                at,
            })?;
            changed += 1;
        }
        embudo_store::derived::refresh(store)?;
        Ok((batch, changed))
    })
}

/// Put back the values a batch of fixes replaced.
pub fn undo(store: &Store, batch: i64, at: NaiveDateTime) -> Result<usize, AuditError> {
    let fixes = store.journaled_fixes(batch)?;
    if fixes.is_empty() {
        return Err(AuditError::Invalid(format!(
            "no applied fixes in batch {batch}"
        )));
    }
    store.transaction(true, || {
        for fix in &fixes {
            let (_, table, column) = all_fixable()
                .find(|(_, t, c)| fix.entity == *t && fix.field == *c)
                .ok_or_else(|| AuditError::Invalid("the journal names an unknown field".into()))?;
            store.set_text(table, column, fix.row_id, fix.old_value.as_deref())?;
        }
        store.mark_fixes_undone(batch, at)?;
        embudo_store::derived::refresh(store)?;
        Ok(fixes.len())
    })
}
