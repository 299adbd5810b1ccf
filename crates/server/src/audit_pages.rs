//! The data-audit pages (admins): score and trend, checks with fix buttons, the duplicate
//! review queue with merge and not-a-duplicate, the merge journal with undo. Each form
//! carries the session's CSRF token and goes back to its page with what it did.

use crate::AppState;
use crate::error::ApiError;
use crate::pages::{PageError, Visitor, check_csrf, see_other};
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use embudo_audit::{checks, dedupe, fix, merge, score};
use embudo_store::served::Selection;
use embudo_web::audit::{self, CheckRow, Group, Merge, Overview};
use serde::Deserialize;
use serde_json::Value;

/// Samples shown per check, and groups in the review queue.
const SAMPLES: usize = 3;
const GROUPS: usize = 25;

/// The columns shown side by side, per entity.
fn shown(entity: merge::Entity) -> &'static [&'static str] {
    match entity {
        merge::Entity::Contacts => &[
            "first_name",
            "last_name",
            "email",
            "phone",
            "company_id",
            "city",
            "country",
            "created_at",
        ],
        merge::Entity::Companies => &["name", "domain", "phone", "city", "country", "created_at"],
        merge::Entity::Deals => &[
            "name",
            "amount",
            "stage_id",
            "owner_id",
            "contact_id",
            "expected_close_date",
            "created_at",
        ],
    }
}

fn admin(visitor: &Visitor) -> Result<(), ApiError> {
    if visitor.caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden("the data audit is for admins"))
    }
}

fn audit_error(error: embudo_audit::AuditError) -> ApiError {
    match error {
        embudo_audit::AuditError::Invalid(message) => ApiError::bad_request("form", message),
        other => ApiError::internal(other),
    }
}

#[derive(Debug, Deserialize)]
pub struct Said {
    message: Option<String>,
    entity: Option<String>,
}

/// `GET /audit`.
pub async fn overview(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(said): Query<Said>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    let now = state.now();
    let labels = std::sync::Arc::clone(&state.labels);
    let view = state
        .db
        .compute(move |store| {
            let findings = checks::run(
                &checks::Context::new(store, now).with_declared(&labels),
                None,
                None,
            )
            .map_err(audit_error)?;
            let scores = score::score(&findings);
            let fixable: Vec<&str> = fix::fixable().collect();
            Ok(Overview {
                overall: scores.overall,
                entities: scores
                    .entities
                    .iter()
                    .map(|(e, s)| (e.clone(), s.score))
                    .collect(),
                history: score::history(store, 10).map_err(audit_error)?,
                checks: findings
                    .iter()
                    .map(|f| CheckRow {
                        id: f.id.to_owned(),
                        entity: f.entity.to_owned(),
                        severity: format!("{:?}", f.severity).to_lowercase(),
                        failing: f.failing,
                        total: f.total,
                        pct: f.pct,
                        samples: f
                            .samples
                            .iter()
                            .take(SAMPLES)
                            .map(|s| match s.fix_text() {
                                Some(fix) => format!("#{} {} → {fix}", s.id, text(&s.value)),
                                None => format!("#{} {}", s.id, text(&s.value)),
                            })
                            .collect(),
                        fixable: fixable.contains(&f.id),
                        note: f.note.clone(),
                    })
                    .collect(),
                message: said.message,
            })
        })
        .await?;
    Ok(visitor.page(audit::overview(&visitor.viewer(), &view)))
}

/// A value on the page: a missing one as a dash, so a blank is seen.
fn text(value: &Value) -> String {
    match embudo_reports::csv::plain(value) {
        blank if blank.is_empty() => "—".into(),
        shown => shown,
    }
}

#[derive(Debug, Deserialize)]
pub struct FixForm {
    csrf: String,
    check: String,
}

/// `POST /audit/fix`: apply a check's suggested values (journaled; `embudo audit unfix`
/// undoes them).
pub async fn apply_fix(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<FixForm>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    check_csrf(&visitor, &form.csrf)?;
    let now = state.now();
    let labels = std::sync::Arc::clone(&state.labels);
    let (batch, changed) = state
        .db
        .write(move |store| {
            let mut findings = checks::run(
                &checks::Context::new(store, now).with_declared(&labels),
                None,
                Some(&form.check),
            )
            .map_err(audit_error)?;
            let finding = findings
                .pop()
                .ok_or_else(|| ApiError::bad_request("check", "no such check"))?;
            fix::apply(store, &finding, now).map_err(audit_error)
        })
        .await?;
    Ok(see_other(
        "/audit",
        &format!("fix batch {batch}: {changed} fields changed"),
    ))
}

/// `GET /audit/duplicates?entity=`: the review queue.
pub async fn duplicates(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(said): Query<Said>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    let name = said.entity.clone().unwrap_or_else(|| "contacts".into());
    let entity =
        merge::Entity::parse(&name).map_err(|e| ApiError::bad_request("entity", e.to_string()))?;
    let groups = state
        .db
        .compute(move |store| {
            let found =
                dedupe::find(store, entity, dedupe::DEFAULT_THRESHOLD).map_err(audit_error)?;
            let table = store.served_table(entity.table())?;
            let mut groups = Vec::new();
            for cluster in found.clusters.iter().take(GROUPS) {
                let (found, _) =
                    store.select_rows(&table, None, &Selection::ids(&cluster.members))?;
                let rows = found.into_objects();
                let evidence = cluster
                    .pairs
                    .first()
                    .map(|p| p.fields.clone())
                    .unwrap_or_default();
                let fields = shown(entity)
                    .iter()
                    .filter_map(|column| {
                        let values = rows
                            .iter()
                            .map(|r| r.get(*column).map(text))
                            .collect::<Option<_>>()?;
                        let weight = evidence
                            .iter()
                            .find(|(f, _)| column.contains(*f) || f.contains(column))
                            .map(|(_, w)| *w);
                        Some(((*column).to_owned(), values, weight))
                    })
                    .collect();
                groups.push(Group {
                    ids: rows.iter().filter_map(|r| r["id"].as_i64()).collect(),
                    confidence: cluster.confidence,
                    fields,
                });
            }
            Ok(groups)
        })
        .await?;
    Ok(visitor.page(audit::duplicates(
        &visitor.viewer(),
        &name,
        &groups,
        said.message.as_deref(),
    )))
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    csrf: String,
    entity: String,
    ids: String,
}

/// `POST /audit/merge`: merge a group (the survivor chosen as `embudo merge` does).
pub async fn merge_group(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<MergeForm>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    check_csrf(&visitor, &form.csrf)?;
    let entity = merge::Entity::parse(&form.entity)
        .map_err(|e| ApiError::bad_request("entity", e.to_string()))?;
    let ids: Vec<i64> = form
        .ids
        .split(',')
        .map(|id| {
            id.trim()
                .parse()
                .map_err(|_| ApiError::bad_request("ids", "record ids, comma-separated"))
        })
        .collect::<Result<_, _>>()?;
    let now = state.now();
    let by = visitor.caller.name.clone();
    let outcome = state
        .db
        .write(move |store| {
            let request = merge::Request {
                entity,
                ids: &ids,
                survivor: None,
                by: &by,
                at: now,
                dry_run: false,
            };
            merge::merge(store, &request, &mut |_| Ok(())).map_err(audit_error)
        })
        .await?;
    Ok(see_other(
        "/audit/journal",
        &format!("merged into {}", outcome.survivor),
    ))
}

#[derive(Debug, Deserialize)]
pub struct NotDuplicateForm {
    csrf: String,
    entity: String,
    a: i64,
    b: i64,
}

/// `POST /audit/not-duplicate`: the pair is two records, for good.
pub async fn not_duplicate(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<NotDuplicateForm>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    check_csrf(&visitor, &form.csrf)?;
    let entity = merge::Entity::parse(&form.entity)
        .map_err(|e| ApiError::bad_request("entity", e.to_string()))?;
    let (a, b) = (form.a, form.b);
    state
        .db
        .write(move |store| dedupe::mark_not_duplicate(store, entity, a, b).map_err(audit_error))
        .await?;
    Ok(see_other(
        &format!("/audit/duplicates?entity={}", entity.table()),
        &format!("{a} and {b} kept apart"),
    ))
}

/// `GET /audit/journal`.
pub async fn journal(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(said): Query<Said>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    let merges = state
        .db
        .compute(|store| {
            Ok(store
                .merge_journal(100)?
                .into_iter()
                .map(|j| Merge {
                    id: j.id,
                    entity: j.entity,
                    survivor: j.survivor_id,
                    merged: j.merged_id,
                    at: j.merged_at,
                    by: j.merged_by.unwrap_or_default(),
                    undone: j.undone,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(visitor.page(audit::journal(
        &visitor.viewer(),
        &merges,
        said.message.as_deref(),
    )))
}

#[derive(Debug, Deserialize)]
pub struct UnmergeForm {
    csrf: String,
    journal_id: i64,
}

/// `POST /audit/unmerge`: undo a merge exactly.
pub async fn unmerge(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<UnmergeForm>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    check_csrf(&visitor, &form.csrf)?;
    let now = state.now();
    let journal = form.journal_id;
    let (_, restored) = state
        .db
        .write(move |store| merge::unmerge(store, journal, now).map_err(audit_error))
        .await?;
    Ok(see_other(
        "/audit/journal",
        &format!("merge {journal} undone: {restored} restored"),
    ))
}
