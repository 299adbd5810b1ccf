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
use embudo_store::{Param, Store};
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

/// A column's name and SQL type.
fn layout(store: &Store, table: &str) -> Result<Vec<(String, String)>, AuditError> {
    Ok(store
        .columns(table)?
        .into_iter()
        .map(|c| (c.name, c.sql_type))
        .collect())
}

/// A row as a JSON object, column by column. JSON columns keep their exact text (as a
/// string), so restoring them gives back the very same bytes.
fn row_image(
    store: &Store,
    table: &str,
    id: i64,
    columns: &[(String, String)],
) -> Result<Map<String, Value>, AuditError> {
    // `table` is one of the entity tables above; column names come from the catalogue.
    let text = store
        .value::<String>(
            &format!(
                "SELECT {} FROM {table} t WHERE id = ?",
                store.dialect().row_json("t")
            ),
            &[Param::Int(id)],
        )?
        .ok_or_else(|| AuditError::Invalid(format!("no {table} row {id}")))?;
    let Ok(Value::Object(mut image)) = serde_json::from_str(&text) else {
        return Err(AuditError::Invalid(format!(
            "could not read {table} row {id}"
        )));
    };
    for (column, _) in columns.iter().filter(|(_, t)| t == "JSON") {
        let raw = store.value::<Value>(
            &format!("SELECT CAST(\"{column}\" AS VARCHAR) FROM {table} WHERE id = ?"),
            &[Param::Int(id)],
        )?;
        image.insert(column.clone(), raw.unwrap_or(Value::Null));
    }
    Ok(image)
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

/// Set `column` of row `id` to `value`. Names come from the catalogue, never from users.
fn set(
    store: &Store,
    table: &str,
    id: i64,
    column: &str,
    sql_type: &str,
    value: &Value,
) -> Result<(), AuditError> {
    store.execute_with(
        &format!("UPDATE {table} SET \"{column}\" = CAST(? AS {sql_type}) WHERE id = ?"),
        &[as_param(value), Param::Int(id)],
    )?;
    Ok(())
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
    let counts: Vec<String> = entity
        .references()
        .iter()
        // Both names come from the fixed list of references.
        .map(|(table, column)| format!("(SELECT count(*) FROM {table} WHERE {column} = $1)"))
        .collect();
    let sql = format!("SELECT {}", counts.join(" + "));
    Ok(store.value(&sql, &[Param::Int(id)])?.unwrap_or(0))
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
    let columns = layout(store, table)?;
    let mut images = Vec::new();
    for &id in &members {
        let image = row_image(store, table, id, &columns)?;
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
            let before_survivor = row_image(store, table, survivor, &columns)?;
            let mut decisions = Vec::new();
            for (column, sql_type) in &columns {
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
                    set(store, table, survivor, column, sql_type, &value)?;
                    decisions.push(json!({"field": column, "value": value, "from": member}));
                    outcome.filled.push((*member, column.clone(), value));
                    step(column)?;
                }
            }
            let mut references = Vec::new();
            for (ref_table, ref_column) in entity.references() {
                // Both names come from the fixed list of references.
                let ids: Vec<i64> = store.values(
                    &format!("SELECT id FROM {ref_table} WHERE {ref_column} = ? ORDER BY id"),
                    &[Param::Int(*member)],
                )?;
                if !ids.is_empty() {
                    store.execute_with(
                        &format!("UPDATE {ref_table} SET {ref_column} = ? WHERE {ref_column} = ?"),
                        &[Param::Int(survivor), Param::Int(*member)],
                    )?;
                    outcome.repointed += ids.len();
                    references.push(json!({"table": ref_table, "column": ref_column, "ids": ids}));
                    step(ref_table)?;
                }
            }
            store.execute_with(
                &format!("UPDATE {table} SET merged_into_id = ? WHERE id = ?"),
                &[Param::Int(survivor), Param::Int(*member)],
            )?;
            step("tombstone")?;
            let journal_id = store.next_id("merge_journal")?;
            let before = json!({"survivor": before_survivor, "merged": member_image, "references": references});
            store.execute_with(
                "INSERT INTO merge_journal (id, entity, survivor_id, merged_id, before_images, decisions, merged_at, merged_by)
                 VALUES (?, ?, ?, ?, CAST(? AS JSON), CAST(? AS JSON), ?, ?)",
                &[
                    Param::Int(journal_id),
                    Param::Text(table.to_owned()),
                    Param::Int(survivor),
                    Param::Int(*member),
                    Param::Text(before.to_string()),
                    Param::Text(Value::Array(decisions).to_string()),
                    Param::Timestamp(at),
                    Param::Text(by.to_owned()),
                ],
            )?;
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
    #[derive(serde::Deserialize)]
    struct Journaled {
        entity: String,
        survivor_id: i64,
        merged_id: i64,
        before_images: Option<String>,
        undone: bool,
    }
    let found: Vec<Journaled> = store.records(
        "SELECT entity, survivor_id, merged_id, CAST(before_images AS VARCHAR) AS before_images,
                undone_at IS NOT NULL AS undone
           FROM merge_journal WHERE id = ?",
        &[Param::Int(journal_id)],
    )?;
    let journaled = found
        .first()
        .ok_or_else(|| AuditError::Invalid(format!("no merge {journal_id} in the journal")))?;
    if journaled.undone {
        return Err(AuditError::Invalid(format!(
            "merge {journal_id} was already undone"
        )));
    }
    let entity = Entity::parse(&journaled.entity)?;
    let (survivor, merged) = (journaled.survivor_id, journaled.merged_id);
    let later: Vec<i64> = store.values(
        "SELECT id FROM merge_journal WHERE entity = ? AND survivor_id = ? AND id > ? AND undone_at IS NULL ORDER BY id",
        &[Param::Text(entity.table().to_owned()), Param::Int(survivor), Param::Int(journal_id)],
    )?;
    if !later.is_empty() {
        let ids: Vec<String> = later.iter().map(i64::to_string).collect();
        return Err(AuditError::Invalid(format!(
            "undo the later merges into {survivor} first: {}",
            ids.join(", ")
        )));
    }
    let before: Value = serde_json::from_str(journaled.before_images.as_deref().unwrap_or("{}"))
        .map_err(|e| AuditError::Invalid(e.to_string()))?;
    let table = entity.table();
    let columns = layout(store, table)?;
    store.transaction(true, || {
        for (image, id) in [(&before["survivor"], survivor), (&before["merged"], merged)] {
            for (column, sql_type) in &columns {
                if column != "id" {
                    set(store, table, id, column, sql_type, &image[column])?;
                }
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
                store.execute_with(
                    &format!("UPDATE {ref_table} SET {ref_column} = ? WHERE id = ?"),
                    &[Param::Int(merged), Param::Int(id)],
                )?;
            }
        }
        store.execute_with(
            "UPDATE merge_journal SET undone_at = ? WHERE id = ?",
            &[Param::Timestamp(at), Param::Int(journal_id)],
        )?;
        embudo_store::derived::refresh(store)?;
        Ok((survivor, merged))
    })
}
