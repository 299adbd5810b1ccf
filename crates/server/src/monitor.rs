//! Monitoring in `embudo serve`: the loop that, once a minute, delivers the schedules that
//! are due and judges the alert rules (the first pass runs at start, so a delivery missed
//! while the server was down goes out once then), and the API to list, add and remove
//! schedules and rules (admins).

use crate::AppState;
use crate::admin::admin_only;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::pages::{PageError, Visitor, check_csrf, see_other};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Form, Json};
use embudo_monitor::MonitorError;
use embudo_monitor::alert::{self, Rule, parse_cooldown};
use embudo_monitor::cadence::Cadence;
use embudo_monitor::deliver::Settings;
use embudo_monitor::schedule::{self, Schedule};
use embudo_monitor::watch::{Pass, Watch, run_due, test_rule};
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

/// One pass over what is due now, on the monitoring connection. Deliveries, alert states
/// and notifications are a journal, not business data: cached answers stay good.
pub async fn pass(state: &AppState, settings: Settings, lang: String) -> Result<Pass, ApiError> {
    let calendar = state.calendar;
    let now = state.now();
    state
        .db
        .monitor(move |store| {
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
    /// A canned report, `all` for the pack, or `saved:NAME` for a saved custom report.
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
    /// Judge the metric for each value of this dimension.
    by: Option<String>,
    every: String,
    at: Option<String>,
    weekday: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    webhook: Option<String>,
    cooldown: Option<String>,
}

impl ScheduleBody {
    fn into_schedule(self, now: chrono::NaiveDateTime) -> Result<Schedule, MonitorError> {
        Ok(Schedule {
            name: self.name,
            report: self.report,
            filters: self.filters,
            cadence: Cadence::new(&self.every, self.at.as_deref(), self.weekday.as_deref())?,
            recipients: self.to,
            webhook: self.webhook,
            format: self.attach.as_deref().unwrap_or("html").parse()?,
            created_at: now,
        })
    }
}

impl AlertBody {
    fn into_rule(self, now: chrono::NaiveDateTime) -> Result<Rule, MonitorError> {
        Ok(Rule {
            name: self.name,
            condition: self.when.parse()?,
            filters: self.filters,
            by: self.by.as_deref().map(str::parse).transpose()?,
            cadence: Cadence::new(&self.every, self.at.as_deref(), self.weekday.as_deref())?,
            recipients: self.to,
            webhook: self.webhook,
            cooldown: parse_cooldown(self.cooldown.as_deref().unwrap_or("24h"))?,
            created_at: now,
            firing: false,
            last_fired_at: None,
            last_period: None,
            firing_on: Vec::new(),
        })
    }
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
    let schedule = body.into_schedule(state.now()).map_err(refused)?;
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
    let rule = body.into_rule(now).map_err(refused)?;
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

/// The administration page's schedule form: the API's body, with recipients and filters as
/// text.
#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    csrf: String,
    name: String,
    report: String,
    every: String,
    at: String,
    weekday: String,
    to: String,
    webhook: String,
    attach: String,
}

/// The administration page's alert form.
#[derive(Debug, Deserialize)]
pub struct AlertForm {
    csrf: String,
    name: String,
    when: String,
    filters: String,
    #[serde(default)]
    by: String,
    every: String,
    to: String,
    cooldown: String,
}

#[derive(Debug, Deserialize)]
pub struct NameForm {
    csrf: String,
    name: String,
}

/// Comma-separated addresses, blanks dropped.
fn addresses(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `FIELD=VALUE` pairs separated by `;`.
fn pairs(text: &str) -> Result<BTreeMap<String, String>, MonitorError> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((field, value)) if !field.trim().is_empty() => {
                Ok((field.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(MonitorError::Invalid(format!(
                "filter '{pair}': write FIELD=VALUE, several separated by ;"
            ))),
        })
        .collect()
}

fn blank_to_none(text: String) -> Option<String> {
    Some(text).filter(|t| !t.trim().is_empty())
}

/// Back to the administration page, saying what happened (a refusal says why).
fn answer(result: Result<String, ApiError>) -> Result<axum::response::Response, PageError> {
    match result {
        Ok(said) => Ok(see_other("/admin", &said)),
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            Ok(see_other("/admin", &error.message))
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /admin/schedules`.
pub async fn schedule_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ScheduleForm>,
) -> Result<axum::response::Response, PageError> {
    admin_only(&visitor.caller)?;
    check_csrf(&visitor, &form.csrf)?;
    let body = ScheduleBody {
        name: form.name,
        report: form.report,
        filters: BTreeMap::new(),
        every: form.every,
        at: blank_to_none(form.at),
        weekday: blank_to_none(form.weekday),
        to: addresses(&form.to),
        webhook: blank_to_none(form.webhook),
        attach: blank_to_none(form.attach),
    };
    let now = state.now();
    answer(
        state
            .db
            .log(move |store| {
                let schedule = body.into_schedule(now).map_err(refused)?;
                schedule.add(store).map_err(refused)?;
                Ok(format!(
                    "schedule {} added: {}",
                    schedule.name,
                    schedule.cadence.describe()
                ))
            })
            .await,
    )
}

/// `POST /admin/alerts`.
pub async fn alert_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<AlertForm>,
) -> Result<axum::response::Response, PageError> {
    admin_only(&visitor.caller)?;
    check_csrf(&visitor, &form.csrf)?;
    let (now, calendar) = (state.now(), state.calendar);
    answer(
        state
            .db
            .log(move |store| {
                let body = AlertBody {
                    name: form.name,
                    when: form.when,
                    filters: pairs(&form.filters).map_err(refused)?,
                    by: blank_to_none(form.by),
                    every: form.every,
                    at: None,
                    weekday: None,
                    to: addresses(&form.to),
                    webhook: None,
                    cooldown: blank_to_none(form.cooldown),
                };
                let rule = body.into_rule(now).map_err(refused)?;
                rule.add(store, &calendar, now).map_err(refused)?;
                Ok(format!("alert {} added: {}", rule.name, rule.when()))
            })
            .await,
    )
}

/// `POST /admin/schedules/remove`.
pub async fn remove_schedule_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<NameForm>,
) -> Result<axum::response::Response, PageError> {
    admin_only(&visitor.caller)?;
    check_csrf(&visitor, &form.csrf)?;
    answer(
        removed(&state, form.name.clone(), "schedule", schedule::remove)
            .await
            .map(|_| format!("schedule {} removed", form.name)),
    )
}

/// `POST /admin/alerts/remove`.
pub async fn remove_alert_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<NameForm>,
) -> Result<axum::response::Response, PageError> {
    admin_only(&visitor.caller)?;
    check_csrf(&visitor, &form.csrf)?;
    answer(
        removed(&state, form.name.clone(), "alert", alert::remove)
            .await
            .map(|_| format!("alert {} removed", form.name)),
    )
}
