//! Goals and administration pages: goals set and edited within the caller's scope (through
//! the same write path as the API), users, tokens and the access review for admins.

use crate::AppState;
use crate::error::ApiError;
use crate::pages::{PageError, Visitor, check_csrf, see_other};
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use embudo_access::scope::Over;
use embudo_access::{Entity, Role, users};
use embudo_monitor::listing;
use embudo_web::manage::{self, GoalRow, Grid};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
pub struct Said {
    message: Option<String>,
}

/// `GET /goals`.
pub async fn goals(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(said): Query<Said>,
) -> Result<Response, PageError> {
    let caller = visitor.caller.clone();
    let columns = state.columns[&Entity::Goals].clone();
    let calendar = state.calendar;
    let now = state.now();
    let lang = visitor.lang.clone();
    let currency = visitor.viewer().currency;
    let (rows, skipped) = state
        .db
        .compute(move |store| {
            let standing =
                crate::metrics::goal_standing(store, &caller, &columns, &calendar, now, &lang)?;
            let rows = standing
                .goals
                .into_iter()
                .map(|p| {
                    let metric = embudo_metrics::catalog::find(&p.metric);
                    let unit = metric.map(|m| m.unit);
                    let shown = |x: f64| figure(x, unit, &currency, &lang);
                    GoalRow {
                        id: p.id,
                        metric: metric.map_or(p.metric.clone(), |m| m.label(&lang).to_owned()),
                        name: p.name,
                        period: format!("{} – {}", p.period_start, p.period_end),
                        target: p.target,
                        target_shown: shown(p.target),
                        actual: p.actual.map_or("—".into(), shown),
                        attainment: p.attainment.unwrap_or(0.0),
                        expected: p.expected_attainment,
                        status: p.status.as_str().to_owned(),
                    }
                })
                .collect::<Vec<_>>();
            let skipped: Vec<String> = standing.skipped.into_iter().map(|(_, note)| note).collect();
            Ok((rows, skipped))
        })
        .await?;
    let metrics: Vec<(String, String)> = embudo_metrics::catalogue()
        .iter()
        .filter(|m| embudo_reports::scope::metric_over(&visitor.caller, m) != Over::Denied)
        .map(|m| (m.name.clone(), m.label(&visitor.lang).to_owned()))
        .collect();
    Ok(visitor.page(manage::goals(
        &visitor.viewer(),
        &rows,
        &skipped,
        &metrics,
        said.message.as_deref(),
    )))
}

#[derive(Debug, Deserialize)]
pub struct GoalForm {
    csrf: String,
    name: String,
    metric: String,
    target: f64,
    period_start: String,
    period_end: String,
    direction: String,
}

/// `POST /goals`: a goal for the company (admin), the manager's team, or the caller.
pub async fn add_goal(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<GoalForm>,
) -> Result<Response, PageError> {
    check_csrf(&visitor, &form.csrf)?;
    if embudo_metrics::catalog::find(&form.metric).is_none() {
        return Err(ApiError::bad_request("metric", format!("no metric '{}'", form.metric)).into());
    }
    let caller = &visitor.caller;
    let (scope, scope_id) = match (caller.role, caller.team_id) {
        (Role::Admin, _) => ("company", Value::Null),
        (Role::Manager, Some(team)) => ("team", json!(team)),
        _ => ("user", json!(caller.user_id)),
    };
    let mut body = Map::new();
    for (key, value) in [
        ("name", json!(form.name)),
        ("metric", json!(form.metric)),
        ("target", json!(form.target)),
        ("period_start", json!(form.period_start)),
        ("period_end", json!(form.period_end)),
        ("direction", json!(form.direction)),
        ("scope", json!(scope)),
        ("scope_id", scope_id),
    ] {
        body.insert(key.into(), value);
    }
    crate::writes::add(&state, caller, Entity::Goals, body).await?;
    Ok(see_other("/goals", &format!("goal {} set", form.name)))
}

#[derive(Debug, Deserialize)]
pub struct EditGoalForm {
    csrf: String,
    id: i64,
    target: f64,
}

/// `POST /goals/edit`: a goal's new target.
pub async fn edit_goal(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<EditGoalForm>,
) -> Result<Response, PageError> {
    check_csrf(&visitor, &form.csrf)?;
    let mut body = Map::new();
    body.insert("target".into(), json!(form.target));
    crate::writes::apply(&state, &visitor.caller, Entity::Goals, form.id, body).await?;
    Ok(see_other("/goals", &format!("goal {} changed", form.id)))
}

/// `POST /goals/delete`: remove a goal (admins).
pub async fn delete_goal(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<DeleteGoalForm>,
) -> Result<Response, PageError> {
    check_csrf(&visitor, &form.csrf)?;
    crate::writes::remove_goal(&state, &visitor.caller, form.id).await?;
    Ok(see_other("/goals", &format!("goal {} deleted", form.id)))
}

#[derive(Debug, Deserialize)]
pub struct DeleteGoalForm {
    csrf: String,
    id: i64,
}

fn admin(visitor: &Visitor) -> Result<(), ApiError> {
    if visitor.caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden("administration is for admins"))
    }
}

/// Deliveries listed on the admin page, newest first.
const DELIVERIES_SHOWN: i64 = 20;

/// A table's cells as text, for a grid.
fn grid_of(table: &embudo_model::Table) -> Grid {
    Grid {
        columns: table.columns.clone(),
        rows: table
            .rows
            .iter()
            .map(|r| r.iter().map(embudo_reports::csv::plain).collect())
            .collect(),
    }
}

/// Every saved custom report, as a schedule names it (`saved:NAME`) and the form shows it.
fn saved_reports(store: &embudo_store::Store) -> Result<Vec<(String, String)>, ApiError> {
    Ok(embudo_metrics::custom::names(store, None)?
        .into_iter()
        .map(|name| {
            (
                format!("{}{name}", embudo_monitor::schedule::SAVED),
                format!("★ {name}"),
            )
        })
        .collect())
}

/// The admin page, with a token just created when there is one.
async fn admin_page(
    state: &AppState,
    visitor: &Visitor,
    token: Option<&str>,
    message: Option<&str>,
) -> Result<Response, PageError> {
    let now = state.now();
    let lang = visitor.lang.clone();
    let (users, review, monitoring) = state
        .db
        .compute(move |store| {
            let users = users::list(store)?;
            let review = embudo_audit::access::review(store, now).map_err(ApiError::internal)?;
            let listed = |table: Result<embudo_model::Table, _>| {
                table.map(|t| grid_of(&t)).map_err(ApiError::internal)
            };
            let monitoring = manage::Monitoring {
                schedules: listed(listing::schedules(store))?,
                alerts: listed(listing::alerts(store))?,
                deliveries: listed(listing::deliveries(store, DELIVERIES_SHOWN))?,
                reports: embudo_reports::NAMES
                    .iter()
                    .map(|n| {
                        let title = embudo_reports::i18n::label(&format!("report.{n}"), &lang);
                        ((*n).to_owned(), title)
                    })
                    .chain(saved_reports(store)?)
                    .collect(),
            };
            Ok((users, review, monitoring))
        })
        .await?;
    let users = Grid {
        columns: [
            "id",
            "name",
            "email",
            "role",
            "team",
            "active",
            "password",
            "tokens",
            "last login",
        ]
        .map(String::from)
        .to_vec(),
        rows: users
            .iter()
            .map(|u| {
                vec![
                    u.id.to_string(),
                    u.name.clone(),
                    u.email.clone().unwrap_or_default(),
                    u.role.clone(),
                    u.team.clone().unwrap_or_default(),
                    u.active.to_string(),
                    u.password.to_string(),
                    u.tokens.to_string(),
                    u.last_login_at.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    };
    Ok(visitor.page(manage::admin(
        &visitor.viewer(),
        &users,
        &grid_of(&review),
        &monitoring,
        token,
        message,
    )))
}

/// `GET /admin`.
pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(said): Query<Said>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    admin_page(&state, &visitor, None, said.message.as_deref()).await
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    csrf: String,
    name: String,
    email: String,
    role: String,
    team: String,
    password: String,
}

/// `POST /admin/users`: add a user with a password.
pub async fn add_user(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    check_csrf(&visitor, &form.csrf)?;
    let user = users::NewUser {
        name: form.name,
        email: form.email.clone(),
        role: form.role.parse()?,
        team: Some(form.team).filter(|t| !t.trim().is_empty()),
    };
    let now = state.now();
    state
        .db
        .write(move |store| Ok(users::add(store, &user, &form.password, now)?))
        .await?;
    Ok(see_other("/admin", &format!("{} added", form.email)))
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    csrf: String,
    email: String,
}

/// `POST /admin/disable`.
pub async fn disable(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<EmailForm>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    check_csrf(&visitor, &form.csrf)?;
    let now = state.now();
    let email = form.email.clone();
    state
        .db
        .write(move |store| Ok(users::disable(store, &email, now)?))
        .await?;
    Ok(see_other("/admin", &format!("{} disabled", form.email)))
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    csrf: String,
    email: String,
    role: String,
}

/// `POST /admin/role`: another role for a user.
pub async fn role(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<RoleForm>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    check_csrf(&visitor, &form.csrf)?;
    let role: Role = form.role.parse()?;
    let email = form.email.clone();
    state
        .db
        .write(move |store| Ok(users::set_role(store, &email, role)?))
        .await?;
    Ok(see_other(
        "/admin",
        &format!("{} is now {}", form.email, role.as_str()),
    ))
}

/// `POST /admin/tokens`: a token, shown on the answer page only (never in a URL).
pub async fn token(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<EmailForm>,
) -> Result<Response, PageError> {
    admin(&visitor)?;
    check_csrf(&visitor, &form.csrf)?;
    let now = state.now();
    let email = form.email.clone();
    let token = state
        .db
        .log(move |store| Ok(users::create_token(store, &email, "dashboard", now)?))
        .await?;
    admin_page(&state, &visitor, Some(&token), None).await
}

/// A goal's figure as the metric's reports write it: money with its currency, a ratio as a
/// percentage, a count without decimals.
fn figure(
    value: f64,
    unit: Option<embudo_metrics::catalog::Unit>,
    currency: &str,
    lang: &str,
) -> String {
    let kind = unit.map_or(embudo_reports::Kind::Number, embudo_reports::Kind::of);
    match kind {
        embudo_reports::Kind::Money => embudo_web::format::money(&json!(value), currency, lang),
        kind => embudo_web::format::cell(&json!(value), kind, lang),
    }
}

/// What the builder's form asks for: a report spec (none until metrics and a range are
/// given), or why it cannot be read.
type Asked = Result<Option<embudo_metrics::custom::ReportSpec>, String>;

/// The builder's form as a report spec, and as the form shows it.
fn spec_of(pairs: &[(String, String)]) -> (manage::Spec, Asked) {
    let one = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    // A multiple select sends a key per choice; a saved form sends them comma-separated.
    let all = |key: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(',').map(|m| m.trim().to_owned()))
            .filter(|m| !m.is_empty())
            .collect()
    };
    let metrics = all("metrics");
    let form = manage::Spec {
        metrics: metrics.clone(),
        by: all("by"),
        grain: one("grain"),
        from: one("from"),
        to: one("to"),
        filter: one("filter"),
        compare: one("compare"),
    };
    if metrics.is_empty() || form.from.is_empty() || form.to.is_empty() {
        return (form, Ok(None));
    }
    let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    let spec = embudo_metrics::custom::ReportSpec {
        metrics,
        by: form.by.clone(),
        grain: optional(&form.grain),
        from: form.from.clone(),
        to: form.to.clone(),
        filters: match builder_filters(&form.filter) {
            Ok(filters) => filters,
            Err(problem) => return (form, Err(problem)),
        },
        compare: optional(&form.compare),
    };
    (form, Ok(Some(spec)))
}

/// The builder's filter box: `DIMENSION=VALUE` pairs (or `DIMENSION:VALUE`) separated by `;`.
/// A part that is neither is refused, never dropped: a dropped filter would show the
/// unfiltered total as if it were the filtered one.
pub(crate) fn builder_filters(text: &str) -> Result<BTreeMap<String, String>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (dimension, value) = part
                .split_once('=')
                .or_else(|| part.split_once(':'))
                .filter(|(d, v)| !d.trim().is_empty() && !v.trim().is_empty())
                .ok_or_else(|| {
                    format!("filter '{part}': write DIMENSION=VALUE, e.g. lead_source=referral")
                })?;
            Ok((dimension.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// `GET /builder`: the form, the preview of what it asks (over the caller's records), the
/// saved reports; `?saved=NAME` opens one.
pub async fn builder(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let saved_name = pairs
        .iter()
        .find(|(k, _)| k == "saved")
        .map(|(_, v)| v.clone());
    let message = pairs
        .iter()
        .find(|(k, _)| k == "message")
        .map(|(_, v)| v.clone());
    let opened = saved_name.clone();
    let (mut form, asked) = spec_of(&pairs);
    let (mut spec, unreadable) = match asked {
        Ok(spec) => (spec, None),
        Err(problem) => (None, Some(problem)),
    };
    let caller = visitor.caller.clone();
    let calendar = state.calendar;
    let lang = visitor.lang.clone();
    let now = state.now();
    let (saved, preview, problem) = state
        .db
        .compute(move |store| {
            if let Some(name) = &saved_name {
                spec = Some(
                    embudo_metrics::custom::load(store, name, Some(caller.user_id))
                        .map_err(|e| ApiError::not_found(e.to_string()))?,
                );
            }
            let saved: Vec<String> = embudo_metrics::custom::names(store, Some(caller.user_id))?;
            let Some(mut spec) = spec else {
                return Ok((saved, None, None, None));
            };
            let shown = spec.clone();
            let run = crate::query::restrict(store, &caller, &mut spec).and_then(|()| {
                let ctx = embudo_reports::Context {
                    store,
                    calendar,
                    params: embudo_reports::Params {
                        lang: lang.clone(),
                        ..Default::default()
                    },
                    now,
                };
                let name = saved_name
                    .as_deref()
                    .unwrap_or(embudo_web::text::word("preview", &lang));
                Ok(embudo_reports::saved::report(&ctx, name, &spec)?)
            });
            Ok(match run {
                Ok(table) => (saved, Some(table), None, Some(shown)),
                Err(error) => (saved, None, Some(error.message), Some(shown)),
            })
        })
        .await
        .map(|(saved, table, problem, shown)| {
            if let Some(shown) = shown {
                form = manage::Spec {
                    metrics: shown.metrics,
                    by: shown.by,
                    grain: shown.grain.unwrap_or_default(),
                    from: shown.from,
                    to: shown.to,
                    filter: shown
                        .filters
                        .iter()
                        .map(|(d, v)| format!("{d}={v}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                    compare: shown.compare.unwrap_or_default(),
                };
            }
            (saved, table, problem)
        })?;
    let metrics: Vec<(String, String)> = embudo_metrics::catalogue()
        .iter()
        .filter(|m| embudo_reports::scope::metric_over(&visitor.caller, m) != Over::Denied)
        .map(|m| (m.name.clone(), m.label(&visitor.lang).to_owned()))
        .collect();
    let dimensions: Vec<(String, String)> = embudo_metrics::Dim::ALL
        .iter()
        .map(|d| {
            let label = embudo_reports::i18n::column_label(d.name(), &visitor.lang);
            (d.name().to_owned(), label)
        })
        .collect();
    let message = unreadable.or(problem).or(message);
    let dashboards = crate::dashboards::pinnable(&state, &visitor.caller).await?;
    let kept = manage::Kept {
        saved: &saved,
        opened: opened.as_deref(),
        dashboards: &dashboards,
    };
    Ok(visitor.page(manage::builder(
        &visitor.viewer(),
        &metrics,
        &dimensions,
        &form,
        preview.as_ref(),
        &kept,
        message.as_deref(),
    )))
}

/// `POST /builder/save`: keep the previewed spec under a name.
pub async fn save_report(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    check_csrf(&visitor, csrf)?;
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("name", "required"))?;
    let (_, asked) = spec_of(&pairs);
    let spec = asked
        .map_err(|problem| ApiError::bad_request("filter", problem))?
        .ok_or_else(|| ApiError::bad_request("metrics", "metrics, from and to are required"))?;
    let saver = embudo_metrics::custom::Saver {
        user: visitor.caller.user_id,
        admin: visitor.caller.is_admin(),
    };
    // The same check as running it: a report the caller may not run is not saved.
    let (caller, calendar, mut scoped) = (visitor.caller.clone(), state.calendar, spec.clone());
    state
        .db
        .compute(move |store| {
            crate::query::restrict(store, &caller, &mut scoped)?;
            Ok(embudo_metrics::custom::run(
                store, &calendar, &scoped, "en",
            )?)
        })
        .await?;
    let saved = name.clone();
    state
        .db
        .write(move |store| {
            Ok(embudo_metrics::custom::save_owned(
                store, &saved, &spec, saver, false,
            )?)
        })
        .await?;
    Ok(see_other("/builder", &format!("saved as {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_goal_s_figures_read_as_its_metric_s_reports_write_them() {
        use embudo_metrics::catalog::Unit;
        let money = figure(1_429_773.0, Some(Unit::Money), "USD", "en");
        assert!(money.contains("1,429,773"), "{money}");
        assert!(money.contains("USD") || money.contains('$'), "{money}");
        assert_eq!(figure(0.2143, Some(Unit::Ratio), "USD", "en"), "21.4%");
        assert_eq!(figure(42.0, Some(Unit::Count), "USD", "es"), "42");
    }

    #[test]
    fn builder_filters_read_either_separator_and_refuse_the_unreadable() {
        let read = builder_filters("source=Referral; team:North ;").unwrap();
        assert_eq!(
            read,
            BTreeMap::from([
                ("source".to_owned(), "Referral".to_owned()),
                ("team".to_owned(), "North".to_owned()),
            ])
        );
        assert!(builder_filters("").unwrap().is_empty());
        for unreadable in ["Referral", "source=", "=North"] {
            let refused = builder_filters(unreadable).unwrap_err();
            assert!(refused.contains("write DIMENSION=VALUE"), "{refused}");
        }
    }
}
