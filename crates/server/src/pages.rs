//! The web dashboard: pages for people, on the same scope and data as the API. The pages
//! themselves are rendered by `embudo-web`; here they get their data, their caller (a
//! session cookie; without one, the login page) and their language (`?lang=es` is kept in
//! a cookie).

use crate::AppState;
use crate::auth::{COOKIE_NAME, cookie};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::records::{Selection, select};
use crate::reports::{ReportQuery, build_report};
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, extract::Query};
use chrono::{Datelike, Duration, Months, NaiveDate};
use embudo_access::scope::Over;
use embudo_access::{Caller, Entity, session};
use embudo_metrics::{Bound, Compare};
use embudo_model::text::count_in;
use embudo_reports::model::Kind;
use embudo_store::names::Named;
use embudo_web::pages::{self, Alert, Card, Column, Filters, Goal, Headline};
use embudo_web::text::{say, say_counting, word};
use embudo_web::{Viewer, format};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;

/// The language cookie's name.
const LANG_COOKIE: &str = "embudo_lang";

/// The home page's headline metrics.
const HEADLINES: [&str; 4] = ["revenue", "deals_won", "close_rate", "open_opportunities"];

/// Days without a stage move after which an open deal is marked stale on the board.
pub(crate) const STALE_DAYS: i64 = 30;

/// A page's caller: a session cookie, its CSRF token, the language.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub(crate) caller: Caller,
    csrf: String,
    pub(crate) lang: String,
    currency: String,
    /// Set when `?lang=` changed the language: the cookie to keep it.
    keep_lang: Option<String>,
}

/// A page's failure, answered as a page rather than the API's JSON.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        PageError(error)
    }
}

impl From<embudo_access::AccessError> for PageError {
    fn from(error: embudo_access::AccessError) -> PageError {
        PageError(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = pages::error("en", self.0.status.as_u16(), &self.0.message);
        (self.0.status, Html(page)).into_response()
    }
}

/// Not logged in: to the login page.
#[derive(Debug)]
pub struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response()
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Visitor, Response> {
        let (lang, keep_lang) = language(parts);
        let (caller, csrf) = crate::auth::session_of(state, &parts.headers)
            .await
            .map_err(IntoResponse::into_response)?
            .ok_or_else(|| ToLogin.into_response())?;
        Ok(Visitor {
            caller,
            csrf,
            lang,
            keep_lang,
            currency: state.currency.clone(),
        })
    }
}

/// The language asked for (`?lang=`), else kept in the cookie, else English; and whether
/// the cookie should change.
fn language(parts: &Parts) -> (String, Option<String>) {
    let asked = parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "lang")
            .map(|(_, v)| if v == "es" { "es" } else { "en" }.to_owned())
    });
    match asked {
        Some(lang) => (lang.clone(), Some(lang)),
        None => (
            cookie(&parts.headers, LANG_COOKIE)
                .filter(|l| l == "es")
                .unwrap_or_else(|| "en".into()),
            None,
        ),
    }
}

impl Visitor {
    pub(crate) fn viewer(&self) -> Viewer {
        Viewer {
            name: self.caller.name.clone(),
            role: self.caller.role.as_str().to_owned(),
            lang: self.lang.clone(),
            csrf: self.csrf.clone(),
            reports: embudo_reports::NAMES
                .iter()
                .filter(|name| self.caller.report(name) != Over::Denied)
                .map(|name| {
                    (
                        (*name).to_owned(),
                        embudo_reports::i18n::label(&format!("report.{name}"), &self.lang),
                    )
                })
                .collect(),
            board: self.caller.rows(Entity::Deals) != embudo_access::Rows::Nothing,
            admin: self.caller.is_admin(),
            currency: self.currency.clone(),
        }
    }

    /// A page, keeping a language just chosen.
    pub(crate) fn page(&self, html: String) -> Response {
        let mut response = Html(html).into_response();
        if let Some(lang) = &self.keep_lang {
            let cookie = format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Strict; Max-Age=31536000");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(SET_COOKIE, value);
            }
        }
        response
    }
}

/// `/assets/app.css` and `/assets/app.js`.
pub async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.css" => (embudo_web::CSS, "text/css; charset=utf-8"),
        "app.js" => (embudo_web::JS, "text/javascript; charset=utf-8"),
        _ => return ApiError::not_found("no such asset").into_response(),
    };
    (
        [
            (CONTENT_TYPE, kind),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// `GET /login`.
pub async fn login_page(Query(query): Query<LangQuery>) -> Response {
    let token = embudo_access::secret::new_token();
    let page = pages::login(query.lang.as_deref().unwrap_or("en"), &token, None);
    ([(SET_COOKIE, login_cookie(&token))], Html(page)).into_response()
}

/// The cookie that carries the login form's CSRF token back with the form.
const LOGIN_COOKIE: &str = "embudo_login";

fn login_cookie(token: &str) -> String {
    format!("{LOGIN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600")
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login` from the form: the session cookie and home, or the form again.
pub async fn login_form(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let lang = cookie(&headers, LANG_COOKIE).unwrap_or_else(|| "en".into());
    // Login CSRF: another site could log a visitor into an account of its choosing.
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !crate::auth::same(expected.as_bytes(), form.csrf.as_bytes()) {
        let token = embudo_access::secret::new_token();
        let page = pages::login(&lang, &token, Some(word("login_expired", &lang)));
        return Ok((
            StatusCode::FORBIDDEN,
            [(SET_COOKIE, login_cookie(&token))],
            Html(page),
        )
            .into_response());
    }
    let session = match crate::auth::attempt(&state, address, form.email, form.password).await {
        Ok(Some((_, session))) => session,
        Ok(None) => {
            let page = pages::login(&lang, &form.csrf, Some(word("wrong_login", &lang)));
            return Ok((StatusCode::UNAUTHORIZED, Html(page)).into_response());
        }
        // Too many failures, or a failure of ours: said on the form.
        Err(error) => {
            let page = pages::login(&lang, &form.csrf, Some(&error.message));
            return Ok((error.status, Html(page)).into_response());
        }
    };
    let cookie = crate::auth::session_cookie(&session, state.secure_cookies);
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, "/".to_owned()), (SET_COOKIE, cookie)],
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /logout` from the page's form (its CSRF token in a hidden field).
pub async fn logout_form(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&visitor, &form.csrf)?;
    if let Some(id) = cookie(&headers, COOKIE_NAME) {
        state
            .db
            .log(move |store| Ok(session::logout(store, &id)?))
            .await?;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (LOCATION, "/login".to_owned()),
            (SET_COOKIE, crate::auth::CLEARED_COOKIE.to_owned()),
        ],
    )
        .into_response())
}

/// Back to `path` after a form did something, with `message` to say it there.
pub(crate) fn see_other(path: &str, message: &str) -> Response {
    let separator = if path.contains('?') { '&' } else { '?' };
    let to = format!(
        "{path}{separator}message={}",
        embudo_web::format::url_encode(message)
    );
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

pub(crate) fn check_csrf(visitor: &Visitor, sent: &str) -> Result<(), ApiError> {
    if crate::auth::same(sent.as_bytes(), visitor.csrf.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "the form's CSRF token does not match the session",
        ))
    }
}

/// `GET /`: headline metrics over the last complete month, goals, alerts.
pub async fn home(State(state): State<AppState>, visitor: Visitor) -> Result<Response, PageError> {
    let today = state.now().date();
    let this_month = today.with_day(1).expect("day 1 exists");
    let from = this_month - Months::new(1);
    let calendar = state.calendar;
    let caller = visitor.caller.clone();
    let lang = visitor.lang.clone();
    let now = state.now();
    let goal_columns = state.columns[&Entity::Goals].clone();
    let currency = state.currency.clone();
    let deal_columns = state.columns[&Entity::Deals].clone();
    let (headlines, goals, alerts, unread) = state
        .db
        .compute(move |store| {
            let mut headlines = Vec::new();
            for name in HEADLINES {
                let Some(metric) = embudo_metrics::catalog::find(name) else {
                    continue;
                };
                let Some(filters) = crate::metrics::own_filters(store, &caller, metric)? else {
                    continue;
                };
                let query = embudo_metrics::Query {
                    metric: name.to_owned(),
                    from: Bound::Day(from),
                    to: Bound::Day(this_month),
                    grain: None,
                    by: Vec::new(),
                    filters,
                    compare: Some(Compare::PreviousPeriod),
                };
                let result = embudo_metrics::run(store, &calendar, &query, &lang)?;
                let Some(row) = result.rows.first() else {
                    continue;
                };
                let value = match result.unit {
                    embudo_metrics::catalog::Unit::Money => {
                        format::money(&json!(row.value), &currency, &lang)
                    }
                    unit => format::cell(&json!(row.value), Kind::of(unit), &lang),
                };
                headlines.push(Headline {
                    label: result.label.clone(),
                    value: if value.is_empty() {
                        "—".into()
                    } else {
                        value
                    },
                    change: row.change_pct,
                    href: Some(embudo_web::records::drill_href(
                        name,
                        (&from.to_string(), &this_month.to_string()),
                        &[],
                        0,
                    )),
                });
            }
            let standing = crate::metrics::goal_standing(
                store,
                &caller,
                &goal_columns,
                &calendar,
                now,
                &lang,
            )?;
            let mut alerts: Vec<Alert> = standing
                .skipped
                .into_iter()
                .map(|(_, text)| Alert { text, href: None })
                .collect();
            let goals: Vec<Goal> = standing
                .goals
                .into_iter()
                .filter(|p| p.period_end > today)
                .map(|p| {
                    // A goal leads to the records its actual counts.
                    let href = embudo_reports::drill::Target::of(&p.measured)
                        .map(|target| embudo_web::records::target_href(&target));
                    let status = match p.status {
                        embudo_metrics::goals::Status::AtRisk => Some("at_risk"),
                        embudo_metrics::goals::Status::Behind => Some("behind"),
                        _ => None,
                    };
                    if let Some(status) = status {
                        alerts.push(Alert {
                            text: say(status, &lang, &[("goal", &p.name)]),
                            href: href.clone().or_else(|| Some("/reports/goals".into())),
                        });
                    }
                    Goal {
                        name: p.name,
                        attainment: p.attainment.unwrap_or(0.0),
                        expected: p.expected_attainment,
                        href,
                    }
                })
                .collect();
            if caller.rows(Entity::Deals) != embudo_access::Rows::Nothing {
                let stale = stale_deals(store, &caller, &deal_columns, now)?.len();
                if stale > 0 {
                    alerts.push(Alert {
                        text: say_counting(
                            "stale_alert",
                            &lang,
                            stale,
                            &[
                                ("n", &count_in(stale as u64, &lang)),
                                ("days", &STALE_DAYS.to_string()),
                            ],
                        ),
                        href: Some("/deals/stale".into()),
                    });
                }
            }
            if caller.is_admin() {
                alerts.extend(quality_drop(store, &lang)?.map(|text| Alert {
                    text,
                    href: Some("/audit".into()),
                }));
            }
            let unread = embudo_monitor::notify::unread(store, caller.user_id)
                .map_err(ApiError::internal)?;
            Ok((headlines, goals, alerts, unread))
        })
        .await?;
    Ok(visitor.page(pages::home(
        &visitor.viewer(),
        &headlines,
        &goals,
        &alerts,
        unread,
    )))
}

/// Open deals the caller sees whose stage has not changed for [`STALE_DAYS`], stalest
/// first: the rule of a `stale_deals(30)` alert, within the caller's records.
pub(crate) fn stale_deals(
    store: &embudo_store::Store,
    caller: &Caller,
    columns: &embudo_store::served::ServedTable,
    now: chrono::NaiveDateTime,
) -> Result<Vec<embudo_monitor::alert::StaleDeal>, ApiError> {
    let stale = store.stale_deals(Default::default(), now, STALE_DAYS)?;
    let ids: Vec<i64> = stale.iter().map(|d| d.id).collect();
    let visible: std::collections::HashSet<i64> =
        select(store, caller, Entity::Deals, columns, &Selection::ids(&ids))?
            .0
            .iter()
            .filter_map(|d| d["id"].as_i64())
            .collect();
    Ok(stale
        .into_iter()
        .filter(|d| visible.contains(&d.id))
        .collect())
}

/// When each of `deals` (open ones) entered its current stage.
pub(crate) fn stage_since(
    store: &embudo_store::Store,
    deals: &[i64],
) -> Result<HashMap<i64, chrono::NaiveDateTime>, ApiError> {
    // Only open deals' visits: a board never shows a closed one.
    let mut entered = store.open_deals_entered_stage()?;
    let wanted: std::collections::HashSet<i64> = deals.iter().copied().collect();
    entered.retain(|deal, _| wanted.contains(deal));
    Ok(entered)
}

/// An alert when the data-quality score fell since the audit before.
fn quality_drop(store: &embudo_store::Store, lang: &str) -> Result<Option<String>, ApiError> {
    let runs = embudo_audit::score::history(store, 2).map_err(ApiError::internal)?;
    Ok(match runs.as_slice() {
        [(_, latest), (_, before)] if latest < before => Some(say(
            "quality_drop",
            lang,
            &[
                ("before", &format!("{before:.1}")),
                ("latest", &format!("{latest:.1}")),
            ],
        )),
        _ => None,
    })
}

/// `GET /reports/{name}`: the report with its filters, over the caller's records.
pub async fn report(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(name): Path<String>,
    ApiQuery(mut query): ApiQuery<ReportQuery>,
) -> Result<Response, PageError> {
    let today = state.now().date();
    query.lang = Some(visitor.lang.clone());
    // Empty form fields mean "not filtered".
    for field in [
        &mut query.from,
        &mut query.to,
        &mut query.pipeline,
        &mut query.owner,
        &mut query.team,
        &mut query.source,
        &mut query.compare,
    ] {
        if field.as_deref().is_some_and(str::is_empty) {
            *field = None;
        }
    }
    let report = build_report(&state, &visitor.caller, &name, &query).await?;
    let (caller, report_name) = (visitor.caller.clone(), name.clone());
    let choices = state
        .db
        .read(move |store| choices(store, &caller, &report_name))
        .await?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let filters = Filters {
        from: text(&query.from),
        to: text(&query.to),
        pipeline: text(&query.pipeline),
        owner: text(&query.owner),
        team: text(&query.team),
        source: text(&query.source),
        compare: text(&query.compare),
        presets: presets(&state.calendar, today),
        choices,
        query: query.to_query_string(),
        dashboards: crate::dashboards::pinnable(&state, &visitor.caller).await?,
    };
    Ok(visitor.page(pages::report(&visitor.viewer(), &report, &filters)))
}

/// The values a report page's filters offer `caller`: the pipelines, the owners and teams
/// they may see (a rep their own name and no team, a manager their team's members and
/// team), and the lead sources in use.
fn choices(
    store: &embudo_store::Store,
    caller: &Caller,
    report: &str,
) -> Result<Vec<(&'static str, Vec<String>)>, ApiError> {
    let (owners, teams) = match caller.report(report) {
        Over::Owner(own) => (vec![own], Vec::new()),
        Over::Team(team) => (store.team_members(&team)?, vec![team]),
        Over::All => (store.sellers()?, store.names_in_order(Named::Teams)?),
        Over::Denied => (Vec::new(), Vec::new()),
    };
    Ok(vec![
        ("pipeline", store.names_in_order(Named::Pipelines)?),
        ("owner", owners),
        ("team", teams),
        ("source", store.lead_sources()?),
    ])
}

/// The period presets as of `today`, the same names as `--period` and `period=`.
fn presets(
    calendar: &embudo_metrics::Calendar,
    today: NaiveDate,
) -> Vec<(&'static str, String, String)> {
    embudo_metrics::Preset::ALL
        .into_iter()
        .map(|preset| {
            let (from, to) = preset.range(calendar, today);
            (preset.name(), from.to_string(), to.to_string())
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    pipeline: Option<i64>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /pipeline`: the board of one pipeline, the caller's open deals as cards.
pub async fn board(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(query): ApiQuery<BoardQuery>,
) -> Result<Response, PageError> {
    let caller = visitor.caller.clone();
    let columns = state.columns[&Entity::Deals].clone();
    let lang = visitor.lang.clone();
    let now = state.now();
    let (pipelines, pipeline, stages) = state
        .db
        .compute(move |store| {
            let pipelines: Vec<(i64, String)> = store
                .named(Named::Pipelines)?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect();
            let pipeline = query
                .pipeline
                .filter(|p| pipelines.iter().any(|(id, _)| id == p))
                .or_else(|| pipelines.first().map(|(id, _)| *id))
                .unwrap_or_default();
            let stages = store.open_stages(pipeline)?;
            let only = Selection::matching(&[
                ("status", "open".into()),
                ("pipeline_id", pipeline.to_string()),
            ]);
            let deals: Vec<Value> = select(store, &caller, Entity::Deals, &columns, &only)?.0;
            let ids: Vec<i64> = deals.iter().filter_map(|d| d["id"].as_i64()).collect();
            let since = stage_since(store, &ids)?;
            let scores = store.latest_scores(None)?;
            let mut columns: Vec<Column> = stages
                .into_iter()
                .map(|stage| Column {
                    id: stage.id,
                    name: stage.name,
                    deals: Vec::new(),
                })
                .collect();
            for deal in deals {
                let id = deal["id"].as_i64().unwrap_or_default();
                let Some(column) = columns
                    .iter_mut()
                    .find(|c| Some(c.id) == deal["stage_id"].as_i64())
                else {
                    continue;
                };
                column.deals.push(Card {
                    id,
                    name: deal["name"].as_str().unwrap_or("—").to_owned(),
                    amount: format::money(
                        &deal["amount"],
                        deal["currency"].as_str().unwrap_or("USD"),
                        &lang,
                    ),
                    probability: scores
                        .get(&id)
                        .map(|p| format::cell(&json!(p), Kind::Ratio, &lang)),
                    stale: since
                        .get(&id)
                        .is_some_and(|at| now - *at > Duration::days(STALE_DAYS)),
                });
            }
            Ok((pipelines, pipeline, columns))
        })
        .await?;
    Ok(visitor.page(pages::board(
        &visitor.viewer(),
        &pipelines,
        pipeline,
        &stages,
    )))
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    csrf: String,
    deal: i64,
    stage: i64,
    pipeline: i64,
}

/// `POST /pipeline/move` from a card's form: the deal to another stage, as the API does it.
pub async fn move_card(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<MoveForm>,
) -> Result<Response, PageError> {
    check_csrf(&visitor, &form.csrf)?;
    let mut body = Map::new();
    body.insert("stage_id".into(), json!(form.stage));
    crate::writes::apply(&state, &visitor.caller, Entity::Deals, form.deal, body).await?;
    let back = format!("/pipeline?pipeline={}", form.pipeline);
    Ok((StatusCode::SEE_OTHER, [(LOCATION, back)]).into_response())
}
