//! Exports, the data audit, merges and the forecast over the API.
//!
//! Exports of served tables go through the caller's scope like every list; other tables
//! and the audit (which reads every record) are for admins. A deal is explained only to
//! someone who can see it.

use crate::AppState;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::events::Event;
use crate::extract::{ApiJson, ApiQuery};
use crate::records::{Selection, select};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use embudo_access::{Caller, Entity};
use embudo_audit::{checks, dedupe, fix, merge, score};
use serde::Deserialize;
use serde_json::{Value, json};

/// Audit results are the same for everyone who may see them: admins.
pub(crate) fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only an admin can do this"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    format: Option<String>,
}

/// `GET /api/v1/export/{table}?format=csv|json`: every row of a table the caller may see.
pub async fn export(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(table): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.unwrap_or_else(|| "csv".into());
    if format != "csv" && format != "json" {
        return Err(ApiError::bad_request("format", "must be csv or json"));
    }
    let entity = Entity::parse(&table);
    let columns = entity.map(|e| state.columns[&e].clone());
    let reader = caller.clone();
    let name = table.clone();
    let (names, rows) = state
        .db
        .compute(move |store| match (entity, columns) {
            (Some(entity), Some(columns)) => {
                let (items, _) = select(store, &reader, entity, &columns, &Selection::default())?;
                let names: Vec<String> = columns.columns().iter().map(|c| c.name.clone()).collect();
                Ok((names, items))
            }
            _ => {
                admin_only(&reader)?;
                if !embudo_ingest::export::is_table(&name) {
                    return Err(ApiError::not_found(format!("no table '{name}'")));
                }
                let table = store.every_row(&store.served_table(&name)?)?;
                let names = table.columns.clone();
                let items = table
                    .into_objects()
                    .into_iter()
                    .map(Value::Object)
                    .collect();
                Ok((names, items))
            }
        })
        .await?;
    state.events.record(Event {
        user: caller.user_id,
        event: "export",
        entity: Entity::parse(&table).map(Entity::table),
        entity_id: None,
        at: state.now(),
    });
    if format == "json" {
        return Ok(Json(rows).into_response());
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&names).map_err(ApiError::internal)?;
    for row in &rows {
        writer
            .write_record(names.iter().map(|n| embudo_reports::csv::cell(&row[n])))
            .map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ApiError::internal)?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{table}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    entity: Option<String>,
    check: Option<String>,
}

/// `GET /api/v1/audit`: every check's finding and the quality scores.
pub async fn audit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let now = state.now();
    let labels = std::sync::Arc::clone(&state.labels);
    let result = state
        .db
        .compute(move |store| {
            let findings = checks::run(
                &checks::Context::new(store, now).with_declared(&labels),
                query.entity.as_deref(),
                query.check.as_deref(),
            )
            .map_err(audit_error)?;
            let scores = score::score(&findings);
            Ok(json!({ "scores": scores, "findings": findings }))
        })
        .await?;
    Ok(Json(result))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesQuery {
    entity: Option<String>,
    threshold: Option<f64>,
}

/// `GET /api/v1/audit/duplicates?entity=contacts&threshold=…`: likely duplicates.
pub async fn duplicates(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(query): ApiQuery<DuplicatesQuery>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let entity = merge::Entity::parse(query.entity.as_deref().unwrap_or("contacts"))
        .map_err(|e| ApiError::bad_request("entity", e.to_string()))?;
    let threshold = query.threshold.unwrap_or(dedupe::DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) {
        return Err(ApiError::bad_request(
            "threshold",
            "a probability between 0 and 1",
        ));
    }
    let found = state
        .db
        .compute(move |store| dedupe::find(store, entity, threshold).map_err(audit_error))
        .await?;
    Ok(Json(
        serde_json::to_value(found).map_err(ApiError::internal)?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    entity: String,
    ids: Vec<i64>,
    survivor: Option<i64>,
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/merge`: merge records into one survivor, journaled.
pub async fn merge_records(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let entity = merge::Entity::parse(&body.entity)
        .map_err(|e| ApiError::bad_request("entity", e.to_string()))?;
    if body.ids.len() < 2 {
        return Err(ApiError::bad_request(
            "ids",
            "give at least two records to merge",
        ));
    }
    let now = state.now();
    let outcome = state
        .db
        .write(move |store| {
            let request = merge::Request {
                entity,
                ids: &body.ids,
                survivor: body.survivor,
                by: &caller.name,
                at: now,
                dry_run: body.dry_run,
            };
            merge::merge(store, &request, &mut |_| Ok(())).map_err(audit_error)
        })
        .await?;
    Ok(Json(
        serde_json::to_value(outcome).map_err(ApiError::internal)?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnmergeBody {
    journal_id: i64,
}

/// `POST /api/v1/unmerge`: undo a merge exactly.
pub async fn unmerge(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<UnmergeBody>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let now = state.now();
    let (survivor, merged) = state
        .db
        .write(move |store| merge::unmerge(store, body.journal_id, now).map_err(audit_error))
        .await?;
    Ok(Json(
        json!({ "survivor_id": survivor, "restored_id": merged }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixBody {
    check: String,
    #[serde(default)]
    apply: bool,
}

/// `POST /api/v1/audit/fix`: a check's suggested values — applied (journaled, undoable
/// with `embudo audit unfix`) when `apply` is true.
pub async fn fix_check(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<FixBody>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    if fix::target(&body.check).is_none() {
        return Err(ApiError::bad_request(
            "check",
            format!(
                "{} has no automatic fix; fixable: {}",
                body.check,
                fix::fixable().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let now = state.now();
    let labels = std::sync::Arc::clone(&state.labels);
    let result = state
        .db
        .write(move |store| {
            let mut findings = checks::run(
                &checks::Context::new(store, now).with_declared(&labels),
                None,
                Some(&body.check),
            )
            .map_err(audit_error)?;
            let finding = findings
                .pop()
                .ok_or_else(|| ApiError::bad_request("check", "no such check"))?;
            if !body.apply {
                return Ok(json!({ "applied": false, "finding": finding }));
            }
            let (batch, changed) = fix::apply(store, &finding, now).map_err(audit_error)?;
            Ok(json!({ "applied": true, "batch": batch, "changed": changed }))
        })
        .await?;
    Ok(Json(result))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    entity: String,
    /// The uploaded file's name: its extension says how to read it (csv, xlsx, xls, ods,
    /// jsonl).
    filename: String,
    preset: Option<String>,
    source_system: Option<String>,
    sheet: Option<String>,
    date_format: Option<String>,
    currency: Option<String>,
    /// A JSON object of canonical column = file header, over the guess from the headers.
    columns: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// `POST /api/v1/import?entity=contacts&filename=contacts.csv[&preset=hubspot…]` with the
/// file as the body: the same import as `embudo import`, columns guessed from the headers
/// unless `columns` maps them, in one transaction (admin). Rejected rows come back in the
/// report; a file given no preset that looks like a vendor's export gets a `hint` naming
/// the preset.
pub async fn import(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let name = std::path::Path::new(&query.filename)
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| {
                    embudo_ingest::read::EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
                })
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                "filename",
                format!(
                    "a file name ending in one of the types read: {}",
                    embudo_ingest::read::EXTENSIONS.join(", ")
                ),
            )
        })?
        .to_owned();
    let preset = query
        .preset
        .as_deref()
        .map(embudo_ingest::mapping::Preset::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("preset", e.to_string()))?;
    let given: std::collections::BTreeMap<String, String> = match &query.columns {
        Some(text) => serde_json::from_str(text).map_err(|e| {
            ApiError::bad_request("columns", format!("a JSON object of column: header ({e})"))
        })?,
        None => Default::default(),
    };
    let now = state.now();
    let (report, hint) = state
        .db
        .write(move |store| {
            // The upload becomes a file in a folder of its own, under a name we chose.
            let folder = tempfile::tempdir().map_err(ApiError::internal)?;
            let path = folder.path().join(&name);
            std::fs::write(&path, &body).map_err(ApiError::internal)?;
            // Messages name the uploaded file, never the server's folder it was put in.
            let hidden = format!("{}{}", folder.path().display(), std::path::MAIN_SEPARATOR);
            let said = |e: embudo_ingest::IngestError| e.to_string().replace(&hidden, "");
            let sheet = embudo_ingest::read::read(&path, query.sheet.as_deref())
                .map_err(|e| ApiError::bad_request("body", said(e)))?;
            let target = embudo_ingest::target::Target::read(store, &query.entity)
                .map_err(|e| ApiError::bad_request("entity", e.to_string()))?;
            let mut file =
                embudo_ingest::mapping::FileMap::guessed(&path, &target, &sheet.headers, preset);
            let hint = match preset {
                Some(_) => None,
                None => vendor_hint(&target, &sheet.headers, &given),
            };
            for (column, header) in given {
                if target.column(&column).is_none() && target.reference(&column).is_none() {
                    return Err(ApiError::bad_request(
                        "columns",
                        format!("'{column}' is not a column of {}", query.entity),
                    ));
                }
                if !sheet.headers.contains(&header) {
                    return Err(ApiError::bad_request(
                        "columns",
                        format!("the file has no header '{header}'"),
                    ));
                }
                file.fallbacks.remove(&column);
                file.columns.insert(column, header);
            }
            file.sheet = query.sheet.clone();
            file.date_format = query.date_format.clone();
            let source_system = query
                .source_system
                .clone()
                .or_else(|| preset.map(|p| p.name().to_owned()))
                .unwrap_or_else(|| "api".to_owned());
            let mapping = embudo_ingest::mapping::Mapping {
                source_system: Some(source_system.clone()),
                ..embudo_ingest::mapping::Mapping::single(file)
            };
            let options = embudo_ingest::load::Options {
                source_system,
                now,
                dry_run: query.dry_run,
                currency: query.currency.clone().unwrap_or_else(|| "USD".to_owned()),
                create_missing: vec![],
            };
            let report = embudo_ingest::load::import_sheets(
                store,
                &mapping,
                vec![sheet],
                &options,
                &mut |_| Ok(()),
            )
            .map(|report| without_server_paths(report, &name))
            .map_err(|e| match e {
                embudo_ingest::IngestError::Store(e) => ApiError::internal(e),
                other => ApiError::bad_request("body", said(other)),
            })?;
            Ok((report, hint))
        })
        .await?;
    let mut answer = serde_json::to_value(report).map_err(ApiError::internal)?;
    if let Some(hint) = hint {
        answer["hint"] = json!(hint);
    }
    Ok(Json(answer))
}

/// The vendor a file given no preset looks like an export of, in words, with the headers
/// its preset would read otherwise than the guess does; those the caller mapped in
/// `columns` are left out, since they read as the caller said.
fn vendor_hint(
    target: &embudo_ingest::target::Target,
    headers: &[String],
    mapped: &std::collections::BTreeMap<String, String>,
) -> Option<String> {
    let (vendor, mut read_otherwise) = embudo_ingest::mapping::vendor_of(target, headers)?;
    read_otherwise.retain(|header| !mapped.values().any(|given| given == header));
    let given = format!("preset={}", vendor.name());
    (!read_otherwise.is_empty()).then(|| vendor.hint(&read_otherwise, &given))
}

/// An import's report as the client may see it: the uploaded file's name, not where the
/// server put it; the quarantine file went with the upload's folder, so the rejections
/// listed are what the client gets.
fn without_server_paths(
    mut report: embudo_ingest::load::Report,
    name: &str,
) -> embudo_ingest::load::Report {
    for file in &mut report.files {
        file.path = std::path::PathBuf::from(name);
        file.quarantine = None;
    }
    report
}

/// `GET /api/v1/deals/{id}/explain`: a deal's win probability, factors and what would
/// raise it — for a deal the caller can see.
pub async fn explain(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let columns = state.columns[&Entity::Deals].clone();
    let now = state.now();
    let explanation = state
        .db
        .compute(move |store| {
            let (mut found, _) =
                select(store, &caller, Entity::Deals, &columns, &Selection::one(id))?;
            found.pop().ok_or_else(|| {
                ApiError::not_found(format!("no deal with id {id} that you can see"))
            })?;
            embudo_forecast::explain::explain(store, id, now)
                .map_err(ApiError::internal)?
                .ok_or_else(|| {
                    ApiError::bad_request("id", "only an open deal has a win probability")
                })
        })
        .await?;
    Ok(Json(
        serde_json::to_value(explanation).map_err(ApiError::internal)?,
    ))
}

/// An audit failure: the caller's mistake when it says what was wrong, else ours.
fn audit_error(error: embudo_audit::AuditError) -> ApiError {
    match error {
        embudo_audit::AuditError::Invalid(message) => ApiError::bad_request("body", message),
        other => ApiError::internal(other),
    }
}
