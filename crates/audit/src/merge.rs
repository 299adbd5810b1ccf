//! Merging duplicates without losing anything, and undoing it.
//!
//! A merge keeps one survivor per cluster: the given one, or the most complete record (most
//! non-empty fields), then the most active (most rows of related tables pointing at it:
//! the record people have been working with), then the oldest, then the lowest id. Members
//! are absorbed one at a time in that order: an empty field of the survivor takes the member's value (the
//! first non-empty value wins), JSON objects (`custom`) are united (the survivor's keys win),
//! every reference to the member in a related table is re-pointed to the survivor, and the
//! member stays as a tombstone with `merged_into_id` set. Each absorption is one
//! `merge_journal` row holding the before-images of both records, the re-pointed rows and
//! every decision, so `unmerge` puts back exactly what was there. Everything happens in one
//! transaction: a failure midway leaves the store as it was.

use crate::AuditError;
use chrono::NaiveDateTime;
use embudo_store::corrections::MergeEntry;
use embudo_store::served::ServedTable;
use embudo_store::{ColumnInfo, Param, Store};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The entities that can be merged, with the tables and columns that point at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Contacts,
    Companies,
    Deals,
}

impl Entity {
    pub fn parse(text: &str) -> Result<Entity, AuditError> {
        match text {
            "contacts" => Ok(Entity::Contacts),
            "companies" => Ok(Entity::Companies),
            "deals" => Ok(Entity::Deals),
            other => Err(AuditError::Invalid(format!(
                "expected contacts, companies or deals, not '{other}'"
            ))),
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Entity::Contacts => "contacts",
            Entity::Companies => "companies",
            Entity::Deals => "deals",
        }
    }

    /// (table, column) of every reference to this entity.
    pub fn references(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Entity::Contacts => &[
                ("deals", "contact_id"),
                ("activities", "contact_id"),
                ("orders", "contact_id"),
                ("subscriptions", "contact_id"),
                ("tickets", "contact_id"),
                ("service_calls", "contact_id"),
                ("surveys", "contact_id"),
                ("campaign_events", "contact_id"),
                ("list_subscriptions", "contact_id"),
                ("web_visits", "contact_id"),
                ("contacts", "referred_by_contact_id"),
            ],
            Entity::Companies => &[
                ("contacts", "company_id"),
                ("deals", "company_id"),
                ("activities", "company_id"),
                ("orders", "company_id"),
                ("subscriptions", "company_id"),
                ("tickets", "company_id"),
                ("companies", "parent_id"),
            ],
            Entity::Deals => &[
                ("deal_stage_history", "deal_id"),
                ("deal_changes", "deal_id"),
                ("activities", "deal_id"),
                ("deal_scores", "deal_id"),
            ],
        }
    }
}

/// Columns a merge never copies between records.
const OWN: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "deleted_at",
    "merged_into_id",
    "source_system",
    "external_id",
];

/// What a merge did, or would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeOutcome {
    pub survivor: i64,
    pub merged: Vec<i64>,
    pub journal_ids: Vec<i64>,
    /// Fields of the survivor filled from a member: (member, column, value).
    pub filled: Vec<(i64, String, Value)>,
    /// Rows re-pointed from members to the survivor.
    pub repointed: usize,
    pub dry_run: bool,
}

/// Row `id` of `table` as a JSON object, column by column (JSON columns as their text).
fn row_image(
    store: &Store,
    table: &ServedTable,
    id: i64,
) -> Result<Map<String, Value>, AuditError> {
    store
        .row_image(table, id)?
        .ok_or_else(|| AuditError::Invalid(format!("no {} row {id}", table.name())))
}

/// A JSON column's text as an object (empty when null or not an object).
fn object(value: &Value) -> Map<String, Value> {
    match value.as_str().map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    }
}

/// A JSON value as the text a `CAST(? AS type)` turns back into it.
fn as_param(value: &Value) -> Param {
    match value {
        Value::Null => Param::Null,
        Value::String(s) => Param::Text(s.clone()),
        other => Param::Text(other.to_string()),
    }
}

/// How complete a row is: its non-empty fields.
fn completeness(image: &Map<String, Value>) -> usize {
    image
        .iter()
        .filter(|(k, v)| !OWN.contains(&k.as_str()) && !v.is_null() && v.as_str() != Some(""))
        .count()
}

/// How active a record is: the rows of related tables pointing at it.
fn activity(store: &Store, entity: Entity, id: i64) -> Result<i64, AuditError> {
    Ok(store.count_referring(entity.references(), id)?)
}

/// A merge to make.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub entity: Entity,
    pub ids: &'a [i64],
    /// The record to keep; by default the most complete, then the most active.
    pub survivor: Option<i64>,
    /// Who merges, for the journal.
    pub by: &'a str,
    pub at: NaiveDateTime,
    /// Work out everything, then roll it back.
    pub dry_run: bool,
}

/// Merge the records of `request` into one. `step` is called after every change (for
/// progress, or to stop the merge midway).
pub fn merge(
    store: &Store,
    request: &Request<'_>,
    step: &mut dyn FnMut(&str) -> Result<(), AuditError>,
) -> Result<MergeOutcome, AuditError> {
    let Request {
        entity,
        ids,
        survivor,
        by,
        at,
        dry_run,
    } = *request;
    let table = entity.table();
    let mut members: Vec<i64> = ids.to_vec();
    members.sort_unstable();
    members.dedup();
    if members.len() < 2 {
        return Err(AuditError::Invalid(
            "a merge needs at least two different records".into(),
        ));
    }
    let served = store.served_table(table)?;
    let mut images = Vec::new();
    for &id in &members {
        let image = row_image(store, &served, id)?;
        if !image["merged_into_id"].is_null() || !image["deleted_at"].is_null() {
            return Err(AuditError::Invalid(format!(
                "{table} {id} is already merged or deleted"
            )));
        }
        let activity = activity(store, entity, id)?;
        images.push((id, image, activity));
    }
    // Most complete first, then most active, then oldest, then lowest id.
    images.sort_by(|(a, x, x_activity), (b, y, y_activity)| {
        completeness(y)
            .cmp(&completeness(x))
            .then(y_activity.cmp(x_activity))
            .then(x["created_at"].as_str().cmp(&y["created_at"].as_str()))
            .then(a.cmp(b))
    });
    let survivor = match survivor {
        Some(s) if members.contains(&s) => s,
        Some(s) => {
            return Err(AuditError::Invalid(format!(
                "the survivor {s} is not one of the records merged"
            )));
        }
        None => images[0].0,
    };
    store.transaction(!dry_run, || {
        let mut outcome = MergeOutcome {
            survivor,
            merged: Vec::new(),
            journal_ids: Vec::new(),
            filled: Vec::new(),
            repointed: 0,
            dry_run,
        };
        for (member, member_image, _) in images.iter().filter(|(id, _, _)| *id != survivor) {
            let before_survivor = row_image(store, &served, survivor)?;
            let mut decisions = Vec::new();
            for ColumnInfo {
                name: column,
                sql_type,
                ..
            } in served.columns()
            {
                if OWN.contains(&column.as_str()) {
                    continue;
                }
                let (mine, theirs) = (&before_survivor[column], &member_image[column]);
                let value = match (mine, theirs) {
                    (Value::Null, other) if !other.is_null() => other.clone(),
                    (Value::String(_), Value::String(_)) if sql_type == "JSON" => {
                        let mut union = object(theirs);
                        union.extend(object(mine));
                        Value::String(Value::Object(union).to_string())
                    }
                    _ => continue,
                };
                if &value != mine {
                    store.set_value(&served, survivor, column, as_param(&value))?;
                    decisions.push(json!({"field": column, "value": value, "from": member}));
                    outcome.filled.push((*member, column.clone(), value));
                    step(column)?;
                }
            }
            let mut references = Vec::new();
            for (ref_table, ref_column) in entity.references() {
                let ids = store.referring(ref_table, ref_column, *member)?;
                if !ids.is_empty() {
                    store.repoint(ref_table, ref_column, *member, survivor)?;
                    outcome.repointed += ids.len();
                    references.push(json!({"table": ref_table, "column": ref_column, "ids": ids}));
                    step(ref_table)?;
                }
            }
            store.set_value(&served, *member, "merged_into_id", Param::Int(survivor))?;
            step("tombstone")?;
            let before = json!({"survivor": before_survivor, "merged": member_image, "references": references});
            let journal_id = store.journal_merge(&MergeEntry {
                entity: table,
                survivor,
                merged: *member,
                before_images: &before.to_string(),
                decisions: &Value::Array(decisions).to_string(),
                at,
                by,
            })?;
            step("journal")?;
            outcome.merged.push(*member);
            outcome.journal_ids.push(journal_id);
        }
        embudo_store::derived::refresh(store)?;
        Ok(outcome)
    })
}

/// Undo the merge recorded as `journal_id`: the survivor and the member get back exactly
/// their fields from before it, and every re-pointed row points at the member again. Only
/// the latest merge into a survivor can be undone, so later merges are undone first.
pub fn unmerge(
    store: &Store,
    journal_id: i64,
    at: NaiveDateTime,
) -> Result<(i64, i64), AuditError> {
    let journaled = store
        .journaled_merge(journal_id)?
        .ok_or_else(|| AuditError::Invalid(format!("no merge {journal_id} in the journal")))?;
    if journaled.undone {
        return Err(AuditError::Invalid(format!(
            "merge {journal_id} was already undone"
        )));
    }
    let entity = Entity::parse(&journaled.entity)?;
    let (survivor, merged) = (journaled.survivor_id, journaled.merged_id);
    let later = store.later_merges(entity.table(), survivor, journal_id)?;
    if !later.is_empty() {
        let ids: Vec<String> = later.iter().map(i64::to_string).collect();
        return Err(AuditError::Invalid(format!(
            "undo the later merges into {survivor} first: {}",
            ids.join(", ")
        )));
    }
    let before: Value = serde_json::from_str(journaled.before_images.as_deref().unwrap_or("{}"))
        .map_err(|e| AuditError::Invalid(e.to_string()))?;
    let served = store.served_table(entity.table())?;
    store.transaction(true, || {
        for (image, id) in [(&before["survivor"], survivor), (&before["merged"], merged)] {
            for column in served.columns().iter().filter(|c| c.name != "id") {
                store.set_value(&served, id, &column.name, as_param(&image[&column.name]))?;
            }
        }
        for reference in before["references"].as_array().into_iter().flatten() {
            let (ref_table, ref_column) = entity
                .references()
                .iter()
                .copied()
                .find(|(t, c)| reference["table"] == *t && reference["column"] == *c)
                .ok_or_else(|| {
                    AuditError::Invalid("the journal names an unknown reference".into())
                })?;
            for id in reference["ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_i64)
            {
                store.point(ref_table, ref_column, id, merged)?;
            }
        }
        store.mark_merge_undone(journal_id, at)?;
        embudo_store::derived::refresh(store)?;
        Ok((survivor, merged))
    })
}
