//! Monitoring in `embudo serve`: the loop that, once a minute, delivers the schedules that
//! are due and judges the alert rules (the first pass runs at start, so a delivery missed
//! while the server was down goes out once then), and the API to list, add and remove
//! schedules and rules (admins).

use crate::AppState;
use crate::admin::admin_only;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use embudo_monitor::MonitorError;
use embudo_monitor::alert::{self, Rule};
use embudo_monitor::cadence::Cadence;
use embudo_monitor::deliver::Settings;
use embudo_monitor::schedule::{self, Schedule};
use embudo_monitor::watch::{Pass, Watch, parse_cooldown, run_due, test_rule};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// How often the loop looks for what is due.
const EVERY: Duration = Duration::from_secs(60);

/// Start the loop on the current runtime; it runs until the runtime stops.
pub fn spawn(state: &AppState, settings: Settings, lang: String) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match pass(&state, settings.clone(), lang.clone()).await {
                Ok(pass) => {
                    if pass.sent + pass.failed > 0 || !pass.fired.is_empty() {
                        tracing::info!(
                            sent = pass.sent,
                            failed = pass.failed,
                            fired = ?pass.fired,
                            cleared = ?pass.cleared,
                            "monitoring pass"
                        );
                    }
                    for error in pass.errors {
                        tracing::warn!(%error, "alert not judged");
                    }
                }
                Err(error) => tracing::warn!(?error, "monitoring pass failed"),
            }
        }
    })
}

/// One pass over what is due now. Deliveries and alert states are a journal, not business
/// data: cached answers stay good.
pub async fn pass(state: &AppState, settings: Settings, lang: String) -> Result<Pass, ApiError> {
    let calendar = state.calendar;
    let now = state.now();
    state
        .db
        .log(move |store| {
            let watch = Watch {
                store,
                calendar: &calendar,
                settings: &settings,
                lang: &lang,
                sleep: &std::thread::sleep,
            };
            run_due(&watch, now).map_err(ApiError::internal)
        })
        .await
}

/// The schedule a `POST /schedules` body describes: `embudo schedule add`'s flags.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    name: String,
    /// A canned report, or `all` for the pack.
    report: String,
    #[serde(default)]
    filters: BTreeMap<String, String>,
    every: String,
    at: Option<String>,
    weekday: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    webhook: Option<String>,
    attach: Option<String>,
}

/// The rule a `POST /alerts` body describes: `embudo alert add`'s flags.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertBody {
    name: String,
    when: String,
    #[serde(default)]
    filters: BTreeMap<String, String>,
    every: String,
    at: Option<String>,
    weekday: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    webhook: Option<String>,
    cooldown: Option<String>,
}

/// A rule or schedule that cannot work is the request's fault; the rest is ours.
fn refused(error: MonitorError) -> ApiError {
    match error {
        MonitorError::Invalid(message) => ApiError::bad_request("body", message),
        MonitorError::Metric(error) => ApiError::bad_request("body", error.to_string()),
        other => ApiError::internal(other),
    }
}

/// `GET /api/v1/schedules` (admins).
pub async fn schedules(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let all = state
        .db
        .compute(|store| schedule::list(store).map_err(refused))
        .await?;
    Ok(Json(json!({ "schedules": all })))
}

/// `POST /api/v1/schedules` (admins): checked as `embudo schedule add` checks it.
pub async fn add_schedule(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    admin_only(&caller)?;
    let schedule = Schedule {
        name: body.name,
        report: body.report,
        filters: body.filters,
        cadence: Cadence::new(&body.every, body.at.as_deref(), body.weekday.as_deref())
            .map_err(refused)?,
        recipients: body.to,
        webhook: body.webhook,
        format: body
            .attach
            .as_deref()
            .unwrap_or("html")
            .parse()
            .map_err(refused)?,
        created_at: state.now(),
    };
    let added = state
        .db
        .log(move |store| {
            schedule.add(store).map_err(refused)?;
            Ok(schedule)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!(added))))
}

/// `DELETE /api/v1/schedules/{name}` (admins).
pub async fn remove_schedule(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin_only(&caller)?;
    removed(&state, name, "schedule", schedule::remove).await
}

/// `GET /api/v1/alerts` (admins).
pub async fn alerts(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let all = state
        .db
        .compute(|store| alert::list(store).map_err(refused))
        .await?;
    Ok(Json(json!({ "alerts": all })))
}

/// `POST /api/v1/alerts` (admins): checked, and judged once, as `embudo alert add` does.
pub async fn add_alert(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<AlertBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    admin_only(&caller)?;
    let now = state.now();
    let rule = Rule {
        name: body.name,
        condition: body.when.parse().map_err(refused)?,
        filters: body.filters,
        cadence: Cadence::new(&body.every, body.at.as_deref(), body.weekday.as_deref())
            .map_err(refused)?,
        recipients: body.to,
        webhook: body.webhook,
        cooldown: parse_cooldown(body.cooldown.as_deref().unwrap_or("24h")).map_err(refused)?,
        created_at: now,
        firing: false,
        last_fired_at: None,
        last_period: None,
    };
    let calendar = state.calendar;
    let added = state
        .db
        .log(move |store| {
            rule.add(store, &calendar, now).map_err(refused)?;
            Ok(rule)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!(added))))
}

/// `DELETE /api/v1/alerts/{name}` (admins).
pub async fn remove_alert(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin_only(&caller)?;
    removed(&state, name, "alert", alert::remove).await
}

/// `GET /api/v1/alerts/{name}/test` (admins): the rule judged over its latest complete
/// period, nothing sent or recorded.
pub async fn test_alert(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&caller)?;
    let (calendar, now) = (state.calendar, state.now());
    let judged = state
        .db
        .compute(move |store| {
            let rule = alert::get(store, &name)
                .map_err(refused)?
                .ok_or_else(|| ApiError::not_found(format!("no alert '{name}'")))?;
            let settings = Settings::default();
            let watch = Watch {
                store,
                calendar: &calendar,
                settings: &settings,
                lang: "en",
                sleep: &std::thread::sleep,
            };
            test_rule(&watch, &rule, now).map_err(refused)
        })
        .await?;
    Ok(Json(json!(judged)))
}

async fn removed(
    state: &AppState,
    name: String,
    kind: &'static str,
    remove: fn(&embudo_store::Store, &str) -> Result<bool, MonitorError>,
) -> Result<StatusCode, ApiError> {
    let gone = state
        .db
        .log(move |store| {
            remove(store, &name)
                .map_err(refused)
                .map(|gone| (gone, name))
        })
        .await?;
    match gone {
        (true, _) => Ok(StatusCode::NO_CONTENT),
        (false, name) => Err(ApiError::not_found(format!("no {kind} '{name}'"))),
    }
}
