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
use embudo_store::{Param, Store};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The largest cursor (an offset): more rows than any table holds, and small enough that
/// the database's offset plus limit never overflows.
pub const MAX_CURSOR: usize = 1 << 48;

/// Rows per page unless `limit` says otherwise, and the most a page holds.
const PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

/// Each served table's columns, in order, as the store defines them.
pub type Columns = HashMap<Entity, Vec<Column>>;

/// A column of a served table: the only names and types ever placed in SQL text.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// The type as the store's catalogue spells it (`BIGINT`, `DECIMAL(18,2)`, `TIMESTAMP`…).
    pub data_type: String,
    /// NOT NULL without a default: a new row must give it.
    pub required: bool,
}

/// Read every served table's columns from the store.
pub fn columns(store: &Store) -> Result<Columns, embudo_store::StoreError> {
    Entity::ALL
        .into_iter()
        .map(|entity| {
            let columns = store
                .columns(entity.table())?
                .into_iter()
                .map(|c| Column {
                    name: c.name,
                    data_type: c.sql_type,
                    required: c.required,
                })
                .collect();
            Ok((entity, columns))
        })
        .collect()
}

/// Whether `columns` has one called `name`.
pub fn has(columns: &[Column], name: &str) -> bool {
    columns.iter().any(|c| c.name == name)
}

/// A page of records: `limit`, `cursor` (from the previous page's `next_cursor`), `sort`
/// (a column, `-column` for descending), and `column=value` filters.
pub async fn list(
    entity: Entity,
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(query): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let columns = state.columns[&entity].clone();
    let page = Page::parse(&query, &columns)?;
    let offset = page.offset;
    let now = state.now();
    let reader = caller.clone();
    let (items, more) = state
        .db
        .read(move |store| select(store, &reader, entity, &columns, &page))
        .await?;
    let next = more.then(|| (offset + items.len()).to_string());
    state.record_read(&caller, entity, None, now);
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}

/// One record, if the caller may see it.
pub async fn get(
    entity: Entity,
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let columns = state.columns[&entity].clone();
    let page = Page::one(id);
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

/// What a list asks for, checked against the table's columns.
#[derive(Debug, Clone, Default)]
pub struct Page {
    id: Option<i64>,
    /// Just the records with these ids.
    ids: Option<Vec<i64>>,
    filters: Vec<(String, String)>,
    sort: Option<(String, bool)>,
    /// Rows per page; `None`: every row (an export).
    limit: Option<usize>,
    offset: usize,
}

impl Page {
    /// Every record, unpaged (an export).
    pub fn everything() -> Page {
        Page::default()
    }

    /// Every record whose `column` equals `value` for each pair (columns of the server's
    /// own choosing, unpaged).
    pub fn matching(filters: &[(&str, String)]) -> Page {
        Page {
            filters: filters
                .iter()
                .map(|(column, value)| ((*column).to_owned(), value.clone()))
                .collect(),
            ..Page::default()
        }
    }

    /// Just the records with these ids, unpaged.
    pub fn ids(ids: &[i64]) -> Page {
        Page {
            ids: Some(ids.to_vec()),
            ..Page::default()
        }
    }

    /// The first `rows` of this page by `column` (one of the server's own choosing),
    /// newest first.
    pub fn newest(self, column: &str, rows: usize) -> Page {
        Page {
            sort: Some((column.to_owned(), true)),
            limit: Some(rows),
            ..self
        }
    }

    /// Just the record with `id`.
    pub fn one(id: i64) -> Page {
        Page {
            id: Some(id),
            limit: Some(1),
            ..Page::default()
        }
    }

    fn parse(query: &[(String, String)], columns: &[Column]) -> Result<Page, ApiError> {
        let column = |field: &str, name: &str| {
            columns
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.name.clone())
                .ok_or_else(|| {
                    ApiError::bad_request(field, format!("'{name}' is not a column of this table"))
                })
        };
        let mut page = Page {
            limit: Some(PAGE),
            ..Page::default()
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
                name => page.filters.push((column(name, name)?, value.clone())),
            }
        }
        Ok(page)
    }
}

/// The records of `entity` that `caller` may see and `page` asks for, as JSON objects, and
/// whether more follow.
pub fn select(
    store: &Store,
    caller: &Caller,
    entity: Entity,
    columns: &[Column],
    page: &Page,
) -> Result<(Vec<Value>, bool), ApiError> {
    let (conditions, mut params) = conditions(store.dialect(), caller, entity, columns, page)?;
    let order = match &page.sort {
        Some((column, true)) => format!("{column} DESC NULLS LAST, id"),
        Some((column, false)) => format!("{column} NULLS LAST, id"),
        None => "id".to_owned(),
    };
    // One row more than the page shows whether another page follows.
    let page_clause = match page.limit {
        Some(limit) => {
            params.push(Param::Int(limit as i64 + 1));
            params.push(Param::Int(page.offset as i64));
            "LIMIT ? OFFSET ?"
        }
        None => "",
    };
    let limit = page.limit.unwrap_or(usize::MAX);
    let sql = format!(
        "SELECT * FROM {table} WHERE {conditions} ORDER BY {order} {page_clause}",
        table = entity.table(),
    );
    let table = store.query_with(&sql, &params)?;
    let more = table.rows.len() > limit;
    let items = table
        .rows
        .into_iter()
        .take(limit)
        .map(|row| {
            let object: Map<String, Value> = table.columns.iter().cloned().zip(row).collect();
            Value::Object(object)
        })
        .collect();
    Ok((items, more))
}

/// How many records of `entity` that `caller` may see `page` matches, all pages together.
pub fn count(
    store: &Store,
    caller: &Caller,
    entity: Entity,
    columns: &[Column],
    page: &Page,
) -> Result<usize, ApiError> {
    let (conditions, params) = conditions(store.dialect(), caller, entity, columns, page)?;
    let sql = format!(
        "SELECT count(*) FROM {table} WHERE {conditions}",
        table = entity.table()
    );
    Ok(store.value(&sql, &params)?.unwrap_or_default())
}

/// The WHERE clause of `page` for `caller` (the scope first, then live rows, ids and
/// filters) and its bound values.
fn conditions(
    dialect: embudo_store::Dialect,
    caller: &Caller,
    entity: Entity,
    columns: &[Column],
    page: &Page,
) -> Result<(String, Vec<Param>), ApiError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    match caller.rows(entity) {
        Rows::All => {}
        Rows::Nothing => {
            return Err(ApiError::forbidden(format!(
                "a {} cannot see {}",
                caller.role.as_str(),
                entity.table()
            )));
        }
        Rows::Where(sql, values) => {
            conditions.push(format!("({sql})"));
            params.extend(values);
        }
    }
    // Deleted and merged-away rows are not records any more.
    for gone in ["deleted_at", "merged_into_id"] {
        if has(columns, gone) {
            conditions.push(format!("{gone} IS NULL"));
        }
    }
    if let Some(id) = page.id {
        conditions.push("id = ?".into());
        params.push(Param::Int(id));
    }
    if let Some(ids) = &page.ids {
        // One bound list, however many ids.
        conditions.push(dialect.in_id_list("id"));
        params.push(Param::Text(dialect.id_list(ids)));
    }
    for (column, value) in &page.filters {
        // `column` is one of the table's own column names (checked in `Page::parse`).
        conditions.push(format!("CAST({column} AS VARCHAR) = ?"));
        params.push(Param::Text(value.clone()));
    }
    let conditions = if conditions.is_empty() {
        "true".to_owned()
    } else {
        conditions.join(" AND ")
    };
    Ok((conditions, params))
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
