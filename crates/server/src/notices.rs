//! The notification pages: what fired for the visitor, read or unread; one notification
//! with the records behind it (read again in the visitor's scope) and its corrective
//! action, taken and undone from the page; and the stale deals behind the home page's
//! alert.

use crate::AppState;
use crate::error::ApiError;
use crate::pages::{PageError, STALE_DAYS, Visitor, check_csrf, see_other, stale_deals};
use crate::records::{Selection, select};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Duration, NaiveDateTime};
use embudo_access::{Caller, Entity, Rows};
use embudo_monitor::MonitorError;
use embudo_monitor::action;
use embudo_monitor::alert::{self, Subject};
use embudo_monitor::notify::{self, Kind, Notification};
use embudo_store::Store;
use embudo_store::names::Named;
use embudo_store::served::ServedTable;
use embudo_web::format;
use embudo_web::notices::{self, Listed, Offer, Shown, Table};
use embudo_web::text::{say, word};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// Notifications a list shows.
const LISTED: usize = 100;

/// When follow-up tasks created from a page are due.
const FOLLOW_UP_IN: Duration = Duration::days(2);

#[derive(Debug, Deserialize)]
pub struct Said {
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

fn failed(error: MonitorError) -> ApiError {
    match error {
        MonitorError::Invalid(message) => ApiError::bad_request("notification", message),
        other => ApiError::internal(other),
    }
}

/// `GET /notifications`: the visitor's, newest first.
pub async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(said): Query<Said>,
) -> Result<Response, PageError> {
    let user = visitor.caller.user_id;
    let found = state
        .db
        .read(move |store| notify::list(store, user, LISTED).map_err(failed))
        .await?;
    let listed: Vec<Listed> = found
        .into_iter()
        .map(|n| Listed {
            id: n.id,
            when: n.created_at.format("%Y-%m-%d %H:%M").to_string(),
            summary: n.message.lines().next().unwrap_or_default().to_owned(),
            rule: n.rule,
            unread: n.read_at.is_none(),
        })
        .collect();
    Ok(visitor.page(notices::list(
        &visitor.viewer(),
        &listed,
        said.message.as_deref(),
    )))
}

/// `POST /notifications/read`: mark all of the visitor's read.
pub async fn read_all(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&visitor, &form.csrf)?;
    let (user, now) = (visitor.caller.user_id, state.now());
    let marked = state
        .db
        .log(move |store| notify::mark_read(store, user, None, now).map_err(failed))
        .await?;
    Ok(see_other(
        "/notifications",
        &format!("{marked} marked read"),
    ))
}

/// `GET /notifications/{id}`: the notification, the records behind it as the visitor may
/// see them now, and what to do; opening it marks it read.
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    Query(said): Query<Said>,
) -> Result<Response, PageError> {
    let (user, now) = (visitor.caller.user_id, state.now());
    state
        .db
        .log(move |store| notify::mark_read(store, user, Some(id), now).map_err(failed))
        .await?;
    let caller = visitor.caller.clone();
    let columns = state.columns.clone();
    let (lang, currency) = (visitor.lang.clone(), visitor.viewer().currency);
    let shown = state
        .db
        .read(move |store| {
            let notice = mine(store, &caller, id)?;
            let subject = alert::get(store, &notice.rule)
                .map_err(failed)?
                .map(|rule| rule.condition.subject());
            let ids = &notice.records.ids;
            let records = match notice.records.entity.as_str() {
                "deals" => Some(deal_table(
                    store,
                    &caller,
                    &columns[&Entity::Deals],
                    ids,
                    now,
                    (&lang, &currency),
                )?),
                "tickets" => Some(ticket_table(
                    store,
                    &caller,
                    &columns[&Entity::Tickets],
                    ids,
                    &lang,
                )?),
                _ => None,
            };
            let hidden = records
                .as_ref()
                .map_or(0, |table| ids.len() - table.rows.len());
            Ok(Shown {
                id,
                when: notice.created_at.format("%Y-%m-%d %H:%M").to_string(),
                offers: offers(&notice, subject, &caller, &lang),
                rule: notice.rule,
                text: notice.message,
                records,
                hidden,
            })
        })
        .await?;
    Ok(visitor.page(notices::one(
        &visitor.viewer(),
        &shown,
        said.message.as_deref(),
    )))
}

/// `POST /notifications/{id}/act`: one follow-up task per deal behind the notification's
/// rule, for its owner, journaled; the owners are told.
pub async fn act(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&visitor, &form.csrf)?;
    let (caller, now) = (visitor.caller.clone(), state.now());
    let taken = state
        .db
        .write(move |store| {
            let notice = mine(store, &caller, id)?;
            let rule = alert::get(store, &notice.rule)
                .map_err(failed)?
                .ok_or_else(|| {
                    ApiError::not_found(format!("the alert '{}' was removed", notice.rule))
                })?;
            let subject = Some(rule.condition.subject());
            if !offers(&notice, subject, &caller, "en").contains(&Offer::FollowUp) {
                return Err(ApiError::forbidden(
                    "this notification offers no follow-up to you, or it was taken already",
                ));
            }
            let taken = action::follow_up(store, &rule, now, FOLLOW_UP_IN).map_err(failed)?;
            notify::set_action(store, id, taken.id).map_err(failed)?;
            Ok(taken)
        })
        .await?;
    Ok(see_other(
        &format!("/notifications/{id}"),
        &format!(
            "{} follow-up tasks created, due {}; {} deals without an owner were left",
            taken.tasks.len(),
            (now + FOLLOW_UP_IN).date(),
            taken.unowned
        ),
    ))
}

/// `POST /notifications/{id}/undo`: remove the tasks its follow-up created (those already
/// done stay).
pub async fn undo(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&visitor, &form.csrf)?;
    let (caller, now) = (visitor.caller.clone(), state.now());
    let (removed, kept) = state
        .db
        .write(move |store| {
            let notice = mine(store, &caller, id)?;
            let Some(taken) = notice.action_id.filter(|_| !notice.action_undone) else {
                return Err(ApiError::bad_request(
                    "notification",
                    "no follow-up was taken from it, or it was undone already",
                ));
            };
            action::undo(store, taken, now).map_err(failed)
        })
        .await?;
    Ok(see_other(
        &format!("/notifications/{id}"),
        &format!("{removed} tasks removed; {kept} already done were kept"),
    ))
}

/// `GET /deals/stale`: the open deals behind the home page's stale-deals alert.
pub async fn stale(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let caller = visitor.caller.clone();
    let columns = state.columns[&Entity::Deals].clone();
    let now = state.now();
    let (lang, currency) = (visitor.lang.clone(), visitor.viewer().currency);
    let table = state
        .db
        .read(move |store| {
            let ids: Vec<i64> = stale_deals(store, &caller, &columns, now)?
                .into_iter()
                .map(|deal| deal.id)
                .collect();
            deal_table(store, &caller, &columns, &ids, now, (&lang, &currency))
        })
        .await?;
    let lang = visitor.lang.as_str();
    Ok(visitor.page(notices::records(
        &visitor.viewer(),
        word("stale_title", lang),
        &say("stale_intro", lang, &[("days", &STALE_DAYS.to_string())]),
        &table,
    )))
}

/// The visitor's notification `id`; another user's is not found.
fn mine(store: &Store, caller: &Caller, id: i64) -> Result<Notification, ApiError> {
    notify::get(store, caller.user_id, id)
        .map_err(failed)?
        .ok_or_else(|| ApiError::not_found(format!("no notification {id} of yours")))
}

/// What a notification offers its reader: the follow-up (for deals, to those who may
/// change activities, once, then its undo), and the page that shows why.
fn offers(
    notice: &Notification,
    subject: Option<Subject>,
    caller: &Caller,
    lang: &str,
) -> Vec<Offer> {
    let link = |href: &str, key: &str| Offer::Link(href.to_owned(), word(key, lang).to_owned());
    if notice.kind == Kind::Tasks {
        return vec![link("/reports/activity", "open_activity")];
    }
    let mut offers = Vec::new();
    match subject {
        Some(Subject::StaleDeals(_) | Subject::ProbabilityDrops(_)) => {
            offers.push(match (notice.action_id, notice.action_undone) {
                (None, _) if caller.may_change(Entity::Activities) => Offer::FollowUp,
                (None, _) => return offers,
                (Some(_), false) => Offer::Undo,
                (Some(_), true) => Offer::Undone,
            });
        }
        Some(Subject::GoalsAtRisk) => offers.push(link("/reports/goals", "open_goals")),
        Some(Subject::QualityDrop) if caller.is_admin() => {
            offers.push(link("/audit", "open_audit"))
        }
        Some(Subject::SlaBreaches) => offers.push(link("/reports/service", "open_service")),
        Some(Subject::ForecastBand) => offers.push(link("/reports/forecast", "open_forecast")),
        Some(Subject::Metric | Subject::QualityDrop) | None => {}
    }
    // The metrics behind it — a metric rule's own, a goal's drivers — over the period.
    let (from, to) = notice.period.split_once('/').unwrap_or_default();
    for metric in &notice.records.metrics {
        let href = format!(
            "/builder?metrics={}&from={}&to={}&compare=previous_period",
            format::url_encode(metric),
            format::url_encode(from),
            format::url_encode(to)
        );
        offers.push(Offer::Link(
            href,
            say("open_metric", lang, &[("metric", metric)]),
        ));
    }
    offers
}

/// `ids` as deal rows the caller may see now (open or not): name, owner, stage, amount
/// and days in the current stage for open ones, in the order given.
fn deal_table(
    store: &Store,
    caller: &Caller,
    columns: &ServedTable,
    ids: &[i64],
    now: NaiveDateTime,
    (lang, currency): (&str, &str),
) -> Result<Table, ApiError> {
    let deals = visible(store, caller, Entity::Deals, columns, ids)?;
    let by_id: HashMap<i64, &Value> = deals
        .iter()
        .filter_map(|d| Some((d["id"].as_i64()?, d)))
        .collect();
    let users = store.names(Named::Users)?;
    let stages = store.names(Named::Stages)?;
    let since = crate::pages::stage_since(store, ids)?;
    let name_of = |names: &HashMap<i64, String>, value: &Value| {
        value
            .as_i64()
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_default()
    };
    let shown: Vec<(&i64, &&Value)> = ids
        .iter()
        .filter_map(|id| by_id.get(id).map(|deal| (id, deal)))
        .collect();
    let links = shown
        .iter()
        .map(|(id, _)| Some(format!("/deals/{id}")))
        .collect();
    let rows = shown
        .into_iter()
        .map(|(id, deal)| {
            vec![
                format!("{} (#{id})", deal["name"].as_str().unwrap_or_default()),
                name_of(&users, &deal["owner_id"]),
                name_of(&stages, &deal["stage_id"]),
                format::money(&deal["amount"], currency, lang),
                since
                    .get(id)
                    .map(|entered| (now - *entered).num_days().to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Table {
        columns: ["deal", "owner", "stage", "amount", "days_in_stage"]
            .map(|key| word(key, lang).to_owned())
            .to_vec(),
        rows,
        links,
    })
}

/// `ids` as ticket rows the caller may see: id, priority, agent, opened, SLA due.
fn ticket_table(
    store: &Store,
    caller: &Caller,
    columns: &ServedTable,
    ids: &[i64],
    lang: &str,
) -> Result<Table, ApiError> {
    let tickets = visible(store, caller, Entity::Tickets, columns, ids)?;
    let users = store.names(Named::Users)?;
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let rows = tickets
        .iter()
        .map(|ticket| {
            vec![
                format!("#{}", ticket["id"]),
                text(&ticket["priority"]),
                ticket["agent_id"]
                    .as_i64()
                    .and_then(|id| users.get(&id).cloned())
                    .unwrap_or_default(),
                text(&ticket["opened_at"]),
                text(&ticket["sla_due_at"]),
            ]
        })
        .collect();
    Ok(Table {
        columns: ["ticket", "priority", "agent", "when", "sla_due"]
            .map(|key| word(key, lang).to_owned())
            .to_vec(),
        rows,
        links: Vec::new(),
    })
}

/// The records of `entity` with these ids that `caller` may see (none, for a role that
/// sees none of the table).
pub(crate) fn visible(
    store: &Store,
    caller: &Caller,
    entity: Entity,
    columns: &ServedTable,
    ids: &[i64],
) -> Result<Vec<Value>, ApiError> {
    if caller.rows(entity) == Rows::Nothing {
        return Ok(Vec::new());
    }
    Ok(select(store, caller, entity, columns, &Selection::ids(ids))?.0)
}
