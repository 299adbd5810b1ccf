//! `POST /api/v1/query` and saved reports: several metrics over one range, one column per
//! metric, over the records the caller may see.

use crate::AppState;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::reports::Lang;
use axum::Json;
use axum::extract::{Path, State};
use embudo_access::Caller;
use embudo_metrics::custom::{self, ReportSpec};
use embudo_model::Table;
use embudo_reports::ReportError;
use embudo_reports::scope::restrict_spec;
use embudo_store::Store;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct QueryBody {
    #[serde(flatten)]
    spec: ReportSpec,
    lang: Option<String>,
    /// Save the spec under this name as well (once it has run within the caller's scope).
    save: Option<String>,
    /// Share the saved report with everyone (admins).
    #[serde(default)]
    share: bool,
}

/// `POST /api/v1/query`: run a custom report spec (`metrics`, `from`, `to`, `grain`, `by`,
/// `filters`, `compare`), optionally saving it.
pub async fn run(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<QueryBody>,
) -> Result<Json<Value>, ApiError> {
    let calendar = state.calendar;
    let lang = body.lang.unwrap_or_else(|| "en".into());
    let saver = custom::Saver {
        user: caller.user_id,
        admin: caller.is_admin(),
    };
    let (original, mut spec) = (body.spec.clone(), body.spec);
    let (table, notes) = state
        .db
        .compute(move |store| {
            restrict(store, &caller, &mut spec)?;
            Ok(custom::run_noted(store, &calendar, &spec, &lang)?)
        })
        .await?;
    // Saved only once it ran within the caller's scope; as asked, so that whoever opens it
    // sees it over their own records.
    if let Some(name) = body.save {
        let share = body.share;
        state
            .db
            .write(move |store| Ok(custom::save_owned(store, &name, &original, saver, share)?))
            .await?;
    }
    noted(table, notes)
}

/// `GET /api/v1/saved-reports`: the saved specs.
pub async fn saved(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<Value>, ApiError> {
    let reader = caller.user_id;
    let table = state
        .db
        .read(move |store| Ok(custom::list(store, Some(reader))?))
        .await?;
    Ok(Json(
        serde_json::to_value(table).map_err(ApiError::internal)?,
    ))
}

/// `GET /api/v1/saved-reports/{name}?lang=`: run a saved spec over the caller's records.
pub async fn run_saved(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(name): Path<String>,
    ApiQuery(lang): ApiQuery<Lang>,
) -> Result<Json<Value>, ApiError> {
    let calendar = state.calendar;
    let lang = lang.lang.unwrap_or_else(|| "en".into());
    let (table, notes) = state
        .db
        .compute(move |store| {
            let mut spec = custom::load(store, &name, Some(caller.user_id))
                .map_err(|e| ApiError::not_found(e.to_string()))?;
            restrict(store, &caller, &mut spec)?;
            Ok(custom::run_noted(store, &calendar, &spec, &lang)?)
        })
        .await?;
    noted(table, notes)
}

/// A custom report's table (`columns`, `rows`) with its metrics' `notes`: what the figures
/// cannot say themselves (a period the range cuts short, a range beyond the records).
fn noted(table: Table, notes: Vec<String>) -> Result<Json<Value>, ApiError> {
    let mut answer = serde_json::to_value(table).map_err(ApiError::internal)?;
    answer["notes"] = Value::from(notes);
    Ok(Json(answer))
}

/// Every metric of `spec` must be one the caller may query, over the same records: the
/// filter that keeps them to those records is added (another value is refused).
pub(crate) fn restrict(
    store: &Store,
    caller: &Caller,
    spec: &mut ReportSpec,
) -> Result<(), ApiError> {
    restrict_spec(store, caller, spec).map_err(|error| match error {
        ReportError::Invalid(message) => ApiError::bad_request("metrics", message),
        other => other.into(),
    })
}
