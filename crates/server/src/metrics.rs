//! `GET /api/v1/metrics` and `GET /api/v1/metrics/{name}`: the metric catalogue and one
//! metric over a range, by period and dimension, over the records the caller may see.

use crate::AppState;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use embudo_access::scope::{Over, narrow};
use embudo_access::{Caller, Entity};
use embudo_metrics::goals::Standing;
use embudo_metrics::plan::QueryText;
use embudo_metrics::{Dim, Query as MetricQuery, catalogue};
use embudo_reports::scope::metric_over;
use serde_json::{Value, json};
use std::sync::Arc;

/// The metrics this caller may query.
pub async fn list(Authed(caller): Authed) -> Json<Value> {
    let metrics: Vec<Value> = catalogue()
        .iter()
        .filter(|m| metric_over(&caller, m) != Over::Denied)
        .map(|m| {
            json!({
                "name": m.name,
                "label": m.label_en,
                "label_es": m.label_es,
                "group": m.group,
                "family": m.family,
                "unit": m.unit,
                "dimensions": m.dimensions().iter().map(|d| d.name()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({ "metrics": metrics }))
}

/// A `filter=dimension:value` of a query string, as (dimension, value).
pub fn filter_pair(value: &str) -> Result<(String, String), ApiError> {
    let (dim, wanted) = value
        .split_once(':')
        .ok_or_else(|| ApiError::bad_request("filter", "must be dimension:value"))?;
    Ok((dim.trim().to_owned(), wanted.trim().to_owned()))
}

/// The filters that keep `metric` to the records `caller` may see (`None`: not theirs to
/// see); a namesake owner or team is refused, as everywhere.
pub fn own_filters(
    store: &embudo_store::Store,
    caller: &Caller,
    metric: &embudo_metrics::catalog::Metric,
) -> Result<Option<Vec<(Dim, String)>>, ApiError> {
    let (dim, field, own) = match metric_over(caller, metric) {
        Over::All => return Ok(Some(Vec::new())),
        Over::Denied => return Ok(None),
        Over::Owner(own) => (Dim::Owner, "owner", own),
        Over::Team(own) => (Dim::Team, "team", own),
    };
    let mut asked = None;
    narrow(store, field, &mut asked, own)?;
    Ok(asked.map(|own| vec![(dim, own)]))
}

/// The progress of the goals `caller` sees, each computed over the records they may see;
/// goals that cannot be assessed are skipped with a note.
pub fn goal_standing(
    store: &embudo_store::Store,
    caller: &Caller,
    goal_columns: &embudo_store::served::ServedTable,
    calendar: &embudo_metrics::Calendar,
    now: chrono::NaiveDateTime,
    lang: &str,
) -> Result<Standing, ApiError> {
    let visible: Vec<i64> = crate::records::select(
        store,
        caller,
        Entity::Goals,
        goal_columns,
        &crate::records::Selection::default(),
    )?
    .0
    .iter()
    .filter_map(|g| g["id"].as_i64())
    .collect();
    // The viewer's own filter per metric, refusals (a namesake) kept to be raised below.
    let refused = std::cell::RefCell::new(None);
    let within = |metric: &embudo_metrics::catalog::Metric| match own_filters(store, caller, metric)
    {
        Ok(filters) => filters,
        Err(error) => {
            refused.borrow_mut().get_or_insert(error);
            None
        }
    };
    let mut standing = embudo_metrics::goals::progress_within(store, calendar, now, lang, &within)?;
    if let Some(error) = refused.into_inner() {
        return Err(error);
    }
    standing.goals.retain(|g| visible.contains(&g.id));
    standing.skipped.retain(|(id, _)| visible.contains(id));
    Ok(standing)
}

/// `from`, `to` (required), `grain`, `by` (repeatable or comma-separated),
/// `filter=dimension:value` (repeatable), `compare`, `lang`.
pub async fn get(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let metric = embudo_metrics::catalog::find(&name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no metric '{name}'; GET /api/v1/metrics lists them"
        ))
    })?;
    let one = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let (mut by, mut filters) = (Vec::new(), Vec::new());
    for (key, value) in &query {
        match key.as_str() {
            "by" => by.extend(value.split(',').map(|d| d.trim().to_owned())),
            "filter" => filters.push(filter_pair(value)?),
            "from" | "to" | "period" | "grain" | "compare" | "lang" => {}
            other => {
                return Err(ApiError::bad_request(
                    other,
                    "not a parameter of a metric: from, to, period, grain, by, filter, compare, lang",
                ));
            }
        }
    }
    let (from, to) = match one("period") {
        Some(period) => {
            let (from, to) = crate::reports::named_period(
                &period,
                &state.calendar,
                state.now(),
                &one("from"),
                &one("to"),
            )?;
            (from.to_string(), to.to_string())
        }
        None => (
            one("from").ok_or_else(|| ApiError::bad_request("from", "required (or period)"))?,
            one("to").ok_or_else(|| ApiError::bad_request("to", "required (or period)"))?,
        ),
    };
    let (grain, compare) = (one("grain"), one("compare"));
    let lang = one("lang").unwrap_or_else(|| "en".into());
    let scope = metric_over(&caller, metric);
    let calendar = state.calendar;
    let key = format!("{name}|{from}|{to}|{query:?}|{scope:?}");
    let db = Arc::clone(&state.db);
    let result = state
        .metrics
        .get(key, state.db.generation(), || async move {
            db.compute(move |store| {
                match scope {
                    Over::All => {}
                    Over::Denied => {
                        return Err(ApiError::forbidden(format!(
                            "a {} cannot query {name}",
                            caller.role.as_str()
                        )));
                    }
                    Over::Owner(own) => restrict(store, &mut filters, "owner", own)?,
                    Over::Team(own) => restrict(store, &mut filters, "team", own)?,
                }
                let query = MetricQuery::parse(QueryText {
                    metric: &name,
                    from: &from,
                    to: &to,
                    grain: grain.as_deref(),
                    by: &by,
                    filters: &filters,
                    compare: compare.as_deref(),
                })?;
                let mut result = embudo_metrics::run(store, &calendar, &query, &lang)?;
                let gaps = embudo_metrics::data_gaps(store, &result.metric, &lang)?;
                result.notes.extend(gaps);
                serde_json::to_value(result).map_err(ApiError::internal)
            })
            .await
        })
        .await?;
    Ok(Json(Value::clone(&result)))
}

/// Make the `dimension` filter the caller's own, refusing another value.
fn restrict(
    store: &embudo_store::Store,
    filters: &mut Vec<(String, String)>,
    dimension: &'static str,
    own: String,
) -> Result<(), ApiError> {
    let mut asked = None;
    filters.retain(|(dim, value)| {
        if dim == dimension {
            asked = Some(value.clone());
            false
        } else {
            true
        }
    });
    narrow(store, dimension, &mut asked, own)?;
    filters.extend(asked.map(|value| (dimension.to_owned(), value)));
    Ok(())
}
