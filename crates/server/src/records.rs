//! `GET /api/v1/{table}` and `GET /api/v1/{table}/{id}`: the records a caller may see.
//!
//! Every read goes through [`select`], which adds the caller's scope
//! ([`embudo_access::Caller::rows`]) to the query: no handler builds its own condition.
//! Table and column names come from the store's own schema (read once at start), so a
//! name in a request is only ever matched against that list; values are bound.

use crate::AppState;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::events::Event;
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDateTime;
use embudo_access::{Caller, Entity, Rows};
use embudo_store::Store;
pub use embudo_store::served::Selection;
use embudo_store::served::{Scope, ServedTable};
use serde_json::Value;
use std::collections::HashMap;

/// The largest cursor (an offset): more rows than any table holds, and small enough that
/// the database's offset plus limit never overflows.
pub const MAX_CURSOR: usize = 1 << 48;

/// Rows per page unless `limit` says otherwise, and the most a page holds.
const PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

/// Each served table and its columns, as the store defines them.
pub type Columns = HashMap<Entity, ServedTable>;

/// Read every served table's columns from the store.
pub fn columns(store: &Store) -> Result<Columns, embudo_store::StoreError> {
    Entity::ALL
        .into_iter()
        .map(|entity| Ok((entity, store.served_table(entity.table())?)))
        .collect()
}

/// A page of records as a list answers it.
#[derive(Debug, serde::Serialize)]
pub struct Page {
    items: Vec<Value>,
    /// The `cursor` of the next page; none on the last.
    next_cursor: Option<String>,
}

/// A page of records: `limit`, `cursor` (from the previous page's `next_cursor`), `sort`
/// (a column, `-column` for descending), and `column=value` filters.
pub async fn list(
    entity: Entity,
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(query): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<Page>, ApiError> {
    let columns = state.columns[&entity].clone();
    let page = parse(&query, &columns)?;
    let offset = page.offset;
    let now = state.now();
    let reader = caller.clone();
    let (items, more) = state
        .db
        .read(move |store| select(store, &reader, entity, &columns, &page))
        .await?;
    let next_cursor = more.then(|| (offset + items.len()).to_string());
    state.record_read(&caller, entity, None, now);
    // Written out as it is: a `json!` of the items would copy every value first.
    Ok(Json(Page { items, next_cursor }))
}

/// One record, if the caller may see it.
pub async fn get(
    entity: Entity,
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let columns = state.columns[&entity].clone();
    let page = Selection::one(id);
    let reader = caller.clone();
    let (mut items, _) = state
        .db
        .read(move |store| select(store, &reader, entity, &columns, &page))
        .await?;
    let item = items
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("no {} with id {id}", entity.table())))?;
    state.record_read(&caller, entity, Some(id), state.now());
    Ok(Json(item))
}

/// What a list asks for (`limit`, `cursor`, `sort`, `column=value`), checked against the
/// table's columns.
fn parse(query: &[(String, String)], table: &ServedTable) -> Result<Selection, ApiError> {
    let column = |field: &str, name: &str| {
        table.column(name).map(|c| c.name.clone()).ok_or_else(|| {
            ApiError::bad_request(field, format!("'{name}' is not a column of this table"))
        })
    };
    let mut page = Selection {
        limit: Some(PAGE),
        ..Selection::default()
    };
    for (key, value) in query {
        match key.as_str() {
            "limit" => {
                let rows: usize = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_request("limit", format!("must be 1 to {MAX_PAGE}"))
                    })?;
                page.limit = Some(rows);
            }
            "cursor" => {
                page.offset = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n <= MAX_CURSOR)
                    .ok_or_else(|| {
                        ApiError::bad_request("cursor", "not a cursor from a previous page")
                    })?
            }
            "sort" => {
                let (name, descending) = match value.strip_prefix('-') {
                    Some(name) => (name, true),
                    None => (value.as_str(), false),
                };
                page.sort = Some((column("sort", name)?, descending));
            }
            name => page.equals.push((column(name, name)?, value.clone())),
        }
    }
    Ok(page)
}

/// The records of `entity` that `caller` may see and `page` asks for, as JSON objects, and
/// whether more follow.
pub fn select(
    store: &Store,
    caller: &Caller,
    entity: Entity,
    table: &ServedTable,
    page: &Selection,
) -> Result<(Vec<Value>, bool), ApiError> {
    let (rows, more) = store.select_rows(table, scope(caller, entity)?, page)?;
    let items = rows.into_objects().into_iter().map(Value::Object).collect();
    Ok((items, more))
}

/// How many records of `entity` that `caller` may see `page` matches, all pages together.
pub fn count(
    store: &Store,
    caller: &Caller,
    entity: Entity,
    table: &ServedTable,
    page: &Selection,
) -> Result<usize, ApiError> {
    let found = store.count_rows(table, scope(caller, entity)?, page)?;
    Ok(usize::try_from(found).unwrap_or_default())
}

/// The rows of `entity` `caller` may see, refused when none.
fn scope(caller: &Caller, entity: Entity) -> Result<Scope, ApiError> {
    match caller.rows(entity) {
        Rows::All => Ok(None),
        Rows::Nothing => Err(ApiError::forbidden(format!(
            "a {} cannot see {}",
            caller.role.as_str(),
            entity.table()
        ))),
        Rows::Where(condition) => Ok(Some(condition)),
    }
}

impl AppState {
    /// Record that `caller` read customer records of `entity` (one row per request).
    pub(crate) fn record_read(
        &self,
        caller: &Caller,
        entity: Entity,
        id: Option<i64>,
        now: NaiveDateTime,
    ) {
        if entity.is_customer_data() {
            self.events.record(Event {
                user: caller.user_id,
                event: "record_viewed",
                entity: Some(entity.table()),
                entity_id: id,
                at: now,
            });
        }
    }
}
