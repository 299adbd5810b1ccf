//! `POST /api/v1/{table}`, `PATCH /api/v1/{table}/{id}`, `DELETE /api/v1/{table}/{id}`:
//! changing records, each in one transaction on the single writer.
//!
//! A caller changes only what [`embudo_access::Caller::may_change`] allows, only records
//! they can see, and only so that they can still see them: the record is read back through
//! the same scope inside the transaction, which is rolled back otherwise. Moving a deal to
//! another stage closes its current visit in `deal_stage_history` and opens the next;
//! stage, amount, owner and expected close date changes go to `deal_changes`; a won or lost
//! stage sets the status and `closed_at`.

use crate::AppState;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::events::Event;
use crate::extract::ApiJson;
use crate::records::{Columns, Selection, select};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDateTime;
use embudo_access::scope::GoalFor;
use embudo_access::{Caller, Entity, Role, Rows};
use embudo_metrics::Dim;
use embudo_store::deals::StageMove;
use embudo_store::derived::{self, Touched};
use embudo_store::served::{Field, ServedTable};
use embudo_store::{ColumnInfo, Store};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Columns the server sets itself.
const SERVER_SET: [&str; 5] = [
    "id",
    "created_at",
    "updated_at",
    "deleted_at",
    "merged_into_id",
];

/// A new record from a JSON object of column values.
pub async fn create(
    entity: Entity,
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let created = add(&state, &caller, entity, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Create a record of `entity` from `body` as `caller`; the record as created.
pub async fn add(
    state: &AppState,
    caller: &Caller,
    entity: Entity,
    body: Map<String, Value>,
) -> Result<Value, ApiError> {
    in_transaction(
        state,
        caller,
        entity,
        "record_created",
        move |store, caller, columns, (now, touched)| {
            insert(store, caller, entity, columns, body, (now, touched))
        },
    )
    .await
}

/// Change the given columns of a record.
pub async fn update(
    entity: Entity,
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apply(&state, &caller, entity, id, body).await?))
}

/// Change the columns of `body` of record `id` as `caller`; the record as it is afterwards.
pub async fn apply(
    state: &AppState,
    caller: &Caller,
    entity: Entity,
    id: i64,
    body: Map<String, Value>,
) -> Result<Value, ApiError> {
    in_transaction(
        state,
        caller,
        entity,
        "record_updated",
        move |store, caller, columns, (now, touched)| {
            change(store, caller, entity, columns, id, body, (now, touched))
        },
    )
    .await
}

/// Delete a record softly: it keeps its row with `deleted_at` set and leaves every list.
pub async fn delete(
    entity: Entity,
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if entity == Entity::Goals {
        remove_goal(&state, &caller, id).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    if !state.columns[&entity].has("deleted_at") {
        return Err(ApiError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "not_deletable",
            message: format!(
                "{} have no deleted_at in the schema, so they cannot be deleted softly",
                entity.table()
            ),
            field: None,
        });
    }
    in_transaction(
        &state,
        &caller,
        entity,
        "record_updated",
        move |store, caller, columns, (now, touched)| {
            let before = visible(store, caller, entity, &columns[&entity], id)?;
            touch(store, touched, entity, id)?;
            store.soft_delete(&columns[&entity], id, now)?;
            touch(store, touched, entity, id)?;
            Ok(before)
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove goal `id` for good (goals have no `deleted_at`): admins only.
pub async fn remove_goal(state: &AppState, caller: &Caller, id: i64) -> Result<(), ApiError> {
    if !caller.is_admin() {
        return Err(ApiError::forbidden("only an admin deletes goals"));
    }
    let removed = state
        .db
        .write(move |store| Ok(store.delete_goal(id)?))
        .await?;
    if removed == 0 {
        return Err(ApiError::not_found(format!("no goal with id {id}")));
    }
    Ok(())
}

/// Run `work` in one transaction on the writer as `caller` (given the table's columns and
/// the present) on the record of `entity` it returns, bring what the records it noted as
/// touched derive in line, then record `event` for the record.
async fn in_transaction(
    state: &AppState,
    caller: &Caller,
    entity: Entity,
    event: &'static str,
    work: impl FnOnce(
        &Store,
        &Caller,
        &Columns,
        (NaiveDateTime, &mut Touched),
    ) -> Result<Value, ApiError>
    + Send
    + 'static,
) -> Result<Value, ApiError> {
    let columns = Arc::clone(&state.columns);
    let now = state.now();
    let writer = caller.clone();
    let row = state
        .db
        .write_records(move |store| {
            store.transaction(true, || {
                let mut touched = Touched::default();
                let row = work(store, &writer, &columns, (now, &mut touched))?;
                derived::refresh_touched(store, &touched)?;
                Ok(row)
            })
        })
        .await?;
    state.events.record(Event {
        user: caller.user_id,
        event,
        entity: Some(entity.table()),
        entity_id: row["id"].as_i64(),
        at: now,
    });
    Ok(row)
}

/// Note record `id` of `entity`, as it is now, among those whose derived fields a write
/// may change: a write notes what it changes before and after (once after, for a new one).
fn touch(store: &Store, touched: &mut Touched, entity: Entity, id: i64) -> Result<(), ApiError> {
    match entity {
        Entity::Deals => touched.deal(store, id)?,
        Entity::Contacts => touched.contact(id),
        _ => {}
    }
    Ok(())
}

fn insert(
    store: &Store,
    caller: &Caller,
    entity: Entity,
    tables: &Columns,
    body: Map<String, Value>,
    (now, touched): (NaiveDateTime, &mut Touched),
) -> Result<Value, ApiError> {
    allowed(caller, entity)?;
    let columns = &tables[&entity];
    let mut fields = fields(body, columns)?;
    let mut set = |name: &str, value: String| {
        if let Some(column) = columns.column(name)
            && !fields.iter().any(|(c, _)| c.name == name)
        {
            fields.push((column.clone(), Some(value)));
        }
    };
    // A rep's or manager's new record is theirs unless they say otherwise.
    if matches!(caller.role, Role::Rep | Role::Manager) {
        set("owner_id", caller.user_id.to_string());
    }
    if entity == Entity::Deals {
        set("currency", "USD".to_owned());
        deal_defaults(store, &mut fields, columns)?;
    }
    for column in columns
        .columns()
        .iter()
        .filter(|c| c.required && !SERVER_SET.contains(&c.name.as_str()))
    {
        if !fields
            .iter()
            .any(|(c, v)| c.name == column.name && v.is_some())
        {
            return Err(ApiError::bad_request(&column.name, "required"));
        }
    }
    check_types(store, columns, &fields)?;
    check_references(store, caller, tables, &fields)?;
    let id = store.next_id(entity.table())?;
    store.insert_row(columns, id, &named(&fields), now)?;
    if entity == Entity::Deals {
        let stage = store.deal_stage(id)?.unwrap_or_default();
        enter_stage(store, caller, id, stage, now)?;
    }
    touch(store, touched, entity, id)?;
    if entity == Entity::Goals {
        check_goal(store, caller, id)?;
    }
    visible(store, caller, entity, columns, id)
}

#[allow(clippy::too_many_arguments)]
fn change(
    store: &Store,
    caller: &Caller,
    entity: Entity,
    tables: &Columns,
    id: i64,
    body: Map<String, Value>,
    (now, touched): (NaiveDateTime, &mut Touched),
) -> Result<Value, ApiError> {
    allowed(caller, entity)?;
    let columns = &tables[&entity];
    let before = visible(store, caller, entity, columns, id)?;
    if entity == Entity::Goals && !caller.may_set_goal(goal_for(store, id)?) {
        return Err(ApiError::forbidden(
            "this goal is not yours to change: a manager sets goals for their team and its members",
        ));
    }
    let mut fields = fields(body, columns)?;
    if fields.is_empty() {
        return Err(ApiError::bad_request(
            "body",
            "give at least one column to change",
        ));
    }
    check_types(store, columns, &fields)?;
    check_references(store, caller, tables, &fields)?;
    if entity == Entity::Deals {
        move_deal(store, &before, &mut fields, columns, now)?;
    }
    let fields = named(&fields);
    if entity == Entity::Deals {
        // Its reads before and after note the deal as touched.
        store.change_deal((id, touched), (columns, &fields), now, Some(caller.user_id))?;
    } else {
        store.update_row(columns, id, &fields, now)?;
        touch(store, touched, entity, id)?;
    }
    if entity == Entity::Goals {
        check_goal(store, caller, id)?;
    }
    visible(store, caller, entity, columns, id)
}

/// Goal `id` as written must make sense (the rules of `embudo goal add`) and be one the
/// caller may set; its filters may not reach other owners' or teams' records than its
/// scope, unless an admin set them.
fn check_goal(store: &Store, caller: &Caller, id: i64) -> Result<(), ApiError> {
    let filters = embudo_metrics::goals::check_stored(store, id)
        .map_err(|e| ApiError::bad_request("goal", e.to_string()))?;
    if !caller.may_set_goal(goal_for(store, id)?) {
        return Err(ApiError::forbidden(
            "a manager sets goals only for their team and its members; company goals are an admin's",
        ));
    }
    let names_whose = filters
        .iter()
        .any(|(dim, _)| matches!(dim, Dim::Owner | Dim::Team));
    if !caller.is_admin() && names_whose {
        return Err(ApiError::bad_request(
            "filters",
            "the goal's scope says whose records it counts: owner and team filters are an admin's",
        ));
    }
    Ok(())
}

/// Who goal `id` is for.
fn goal_for(store: &Store, id: i64) -> Result<GoalFor, ApiError> {
    let goal = store
        .goal_scope(id)?
        .ok_or_else(|| ApiError::not_found(format!("no goal with id {id}")))?;
    Ok(match (goal.scope.as_deref(), goal.scope_id) {
        (Some("team"), Some(team)) => GoalFor::Team(team),
        (Some("user"), Some(_)) => GoalFor::User { team: goal.team_id },
        _ => GoalFor::Company,
    })
}

/// The deals, contacts and companies a new or changed record points at must be ones the
/// caller sees (a rep cannot log activities on another rep's deal). A caller who sees none
/// of a table (an agent and contacts) may still point at any record of it.
fn check_references(
    store: &Store,
    caller: &Caller,
    tables: &Columns,
    fields: &[(ColumnInfo, Option<String>)],
) -> Result<(), ApiError> {
    for (column, value) in fields {
        let target = match column.name.as_str() {
            "deal_id" => Entity::Deals,
            "contact_id" => Entity::Contacts,
            "company_id" => Entity::Companies,
            _ => continue,
        };
        let Some(value) = value else { continue };
        if caller.rows(target) == Rows::Nothing {
            continue;
        }
        let id = value
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(&column.name, format!("'{value}' is not an id")))?;
        if select(store, caller, target, &tables[&target], &Selection::one(id))?
            .0
            .is_empty()
        {
            return Err(ApiError::bad_request(
                &column.name,
                format!("no {} with id {id} that you can see", target.table()),
            ));
        }
    }
    Ok(())
}

fn allowed(caller: &Caller, entity: Entity) -> Result<(), ApiError> {
    if caller.may_change(entity) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "a {} cannot change {}",
            caller.role.as_str(),
            entity.table()
        )))
    }
}

/// The record as the caller sees it, or not found (whether it exists or is out of scope).
fn visible(
    store: &Store,
    caller: &Caller,
    entity: Entity,
    columns: &ServedTable,
    id: i64,
) -> Result<Value, ApiError> {
    select(store, caller, entity, columns, &Selection::one(id))?
        .0
        .pop()
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no {} with id {id} that you can see",
                entity.table()
            ))
        })
}

/// The body's columns and values as text (JSON values as their JSON), each checked to be a
/// column the caller may set.
fn fields(
    body: Map<String, Value>,
    columns: &ServedTable,
) -> Result<Vec<(ColumnInfo, Option<String>)>, ApiError> {
    body.into_iter()
        .map(|(name, value)| {
            let column = columns
                .column(&name)
                .filter(|c| !SERVER_SET.contains(&c.name.as_str()))
                .ok_or_else(|| ApiError::bad_request(&name, "not a column that can be set"))?;
            let text = match value {
                Value::Null => None,
                Value::String(s) => Some(s),
                other => Some(other.to_string()),
            };
            Ok((column.clone(), text))
        })
        .collect()
}

/// Refuse a value its column's type cannot hold, naming the column.
fn check_types(
    store: &Store,
    table: &ServedTable,
    fields: &[(ColumnInfo, Option<String>)],
) -> Result<(), ApiError> {
    let given: Vec<(&ColumnInfo, &str)> = fields
        .iter()
        .filter_map(|(c, v)| Some((c, v.as_deref()?)))
        .collect();
    let tests: Vec<(&str, &str)> = given.iter().map(|(c, v)| (c.name.as_str(), *v)).collect();
    let fits = store.castable(table, &tests)?;
    match given.iter().zip(fits).find(|(_, fits)| !fits) {
        Some(((column, value), _)) => Err(ApiError::bad_request(
            &column.name,
            format!("'{value}' is not a valid {}", column.sql_type),
        )),
        None => Ok(()),
    }
}

/// The fields as the store writes them: each column's name and text.
fn named(fields: &[(ColumnInfo, Option<String>)]) -> Vec<Field> {
    fields
        .iter()
        .map(|(column, value)| (column.name.clone(), value.clone()))
        .collect()
}

/// A new deal's pipeline (its stage's) and status (its stage's kind).
fn deal_defaults(
    store: &Store,
    fields: &mut Vec<(ColumnInfo, Option<String>)>,
    columns: &ServedTable,
) -> Result<(), ApiError> {
    let Some(stage) = fields
        .iter()
        .find(|(c, _)| c.name == "stage_id")
        .and_then(|(_, v)| v.as_deref())
        .and_then(|v| v.parse::<i64>().ok())
    else {
        return Err(ApiError::bad_request("stage_id", "required"));
    };
    let (pipeline, kind) = stage_of(store, stage)?;
    let column = |name: &str| columns.column(name).expect("a deals column").clone();
    match fields.iter().find(|(c, _)| c.name == "pipeline_id") {
        Some((_, Some(given))) if given.parse::<i64>().ok() != Some(pipeline) => {
            return Err(ApiError::bad_request(
                "stage_id",
                "the stage is not in the deal's pipeline",
            ));
        }
        Some(_) => {}
        None => fields.push((column("pipeline_id"), Some(pipeline.to_string()))),
    }
    fields.retain(|(c, _)| c.name != "status");
    fields.push((column("status"), Some(status_of(&kind).to_owned())));
    Ok(())
}

/// A deal moved to another stage takes that stage's status, and is closed now if the stage
/// closes it; the stage must be of the deal's pipeline. The move itself and the tracked
/// fields' changes are recorded by the store as the write happens.
fn move_deal(
    store: &Store,
    before: &Value,
    fields: &mut Vec<(ColumnInfo, Option<String>)>,
    columns: &ServedTable,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let stage = fields
        .iter()
        .find(|(c, _)| c.name == "stage_id")
        .and_then(|(_, v)| v.as_deref())
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| ApiError::bad_request("stage_id", "not a stage id"))
        })
        .transpose()?;
    let Some(stage) = stage.filter(|s| before["stage_id"].as_i64() != Some(*s)) else {
        return Ok(());
    };
    let (pipeline, kind) = stage_of(store, stage)?;
    if before["pipeline_id"].as_i64() != Some(pipeline) {
        return Err(ApiError::bad_request(
            "stage_id",
            "the stage is not in the deal's pipeline",
        ));
    }
    let column = |name: &str| columns.column(name).expect("a deals column").clone();
    fields.retain(|(c, _)| !["status", "closed_at"].contains(&c.name.as_str()));
    fields.push((column("status"), Some(status_of(&kind).to_owned())));
    let closed = (kind != "open").then(|| now.format("%Y-%m-%d %H:%M:%S%.6f").to_string());
    fields.push((column("closed_at"), closed));
    Ok(())
}

/// Record deal `deal` entering `stage` at `now`, leaving the stage it was in.
fn enter_stage(
    store: &Store,
    caller: &Caller,
    deal: i64,
    stage: i64,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    store.move_stages(&[StageMove {
        deal,
        stage,
        at: now,
        by: Some(caller.user_id),
    }])?;
    Ok(())
}

/// A stage's pipeline and kind (`open`, `won`, `lost`).
fn stage_of(store: &Store, stage: i64) -> Result<(i64, String), ApiError> {
    let found = store
        .stage(stage)?
        .ok_or_else(|| ApiError::bad_request("stage_id", format!("no stage {stage}")))?;
    Ok((
        found.pipeline_id,
        found.kind.unwrap_or_else(|| "open".to_owned()),
    ))
}

fn status_of(kind: &str) -> &'static str {
    match kind {
        "won" => "won",
        "lost" => "lost",
        _ => "open",
    }
}
