//! Dashboards people compose, through the API (`/api/v1/dashboards`) and the pages
//! (`/dashboards`): kept by `embudo_reports::dashboard`, which asks `embudo_access` who may
//! see and arrange each; every tile computed here over the viewer's own records, by the same
//! paths as the report, metric and saved-report answers.

use crate::AppState;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::pages::{PageError, Visitor, check_csrf, see_other};
use crate::reports::{ReportQuery, build_report};
use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use embudo_access::Caller;
use embudo_reports::dashboard::{self, Arrange, Change, Dashboard, Shows, Tile, Width};
use embudo_reports::{Context, Params, Report, ReportError};
use embudo_web::dashboards::{self as web, Listed};
use embudo_web::text::{say, word};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A tile as its viewer sees it: a report of one section, or why there is none.
async fn render(
    state: &AppState,
    caller: &Caller,
    owner: i64,
    tile: &Tile,
    lang: &str,
) -> web::Tile {
    let shown = match &tile.shows {
        Shows::Section {
            report,
            section,
            query,
        } => section_tile(state, caller, report, section, query, lang).await,
        Shows::Metrics { .. } | Shows::Saved { .. } => {
            metrics_tile(state, caller, owner, tile.clone(), lang).await
        }
    };
    match shown {
        Ok(mut report) => {
            if let (Some(title), Some(section)) = (&tile.title, report.sections.first_mut()) {
                section.title.clone_from(title);
            }
            let period = period_words(tile, &report.params, lang);
            web::Tile::Shown { report, period }
        }
        Err(error) => web::Tile::Refused {
            title: tile.title.clone().unwrap_or_else(|| tile_name(tile, lang)),
            reason: if error.status == StatusCode::FORBIDDEN {
                word("tile_not_yours", lang).to_owned()
            } else {
                error.message
            },
        },
    }
}

/// The period a tile covers, as people read it: the preset's name when it has one, and
/// the days, the last one included (`Last quarter: 2026-07-01 – 2026-09-30`); or the
/// instant of a point-in-time report.
fn period_words(tile: &Tile, params: &serde_json::Map<String, Value>, lang: &str) -> String {
    let day = |key: &str| {
        params
            .get(key)
            .and_then(Value::as_str)
            .and_then(|text| text.get(..10))
            .and_then(|text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
    };
    if let Some(at) = day("at") {
        return say("as_of_day", lang, &[("day", &at.to_string())]);
    }
    let (Some(from), Some(to)) = (day("from"), day("to")) else {
        return String::new();
    };
    let days = format!("{from} – {}", to.pred_opt().unwrap_or(to));
    let preset = match &tile.shows {
        Shows::Metrics { period, .. } => period.clone(),
        Shows::Section { query, .. } => report_query(query).ok().and_then(|q| q.period),
        Shows::Saved { .. } => None,
    };
    match preset {
        Some(preset) => format!("{}: {days}", word(&preset, lang)),
        None => days,
    }
}

/// What a tile is called when it shows nothing.
fn tile_name(tile: &Tile, lang: &str) -> String {
    match &tile.shows {
        Shows::Section { report, .. } => {
            embudo_reports::i18n::label(&format!("report.{report}"), lang)
        }
        Shows::Metrics { metrics, .. } => metrics.join(", "),
        Shows::Saved { name } => name.clone(),
    }
}

/// One section of a canned report, built as its page builds it.
async fn section_tile(
    state: &AppState,
    caller: &Caller,
    report: &str,
    section: &str,
    query: &str,
    lang: &str,
) -> Result<Report, ApiError> {
    let mut query = report_query(query)?;
    query.lang = Some(lang.to_owned());
    let mut built = build_report(state, caller, report, &query).await?;
    let title = built.title.clone();
    built.sections.retain(|s| s.name == section);
    let Some(shown) = built.sections.first_mut() else {
        return Err(ApiError::not_found(say(
            "tile_section_gone",
            lang,
            &[("section", section), ("report", &title)],
        )));
    };
    shown.title = format!("{title}: {}", shown.title);
    // The report's insights and notes speak of every section; the tile shows one.
    built.insights.clear();
    Ok(built)
}

/// A section tile's report query (`period=last_quarter&pipeline=Sales`), read as the API
/// reads it.
pub(crate) fn report_query(query: &str) -> Result<ReportQuery, ApiError> {
    let uri: Uri = format!("/?{query}")
        .parse()
        .map_err(|_| ApiError::bad_request("query", "not a query string"))?;
    let Query(mut query) = Query::<ReportQuery>::try_from_uri(&uri)
        .map_err(|rejection| ApiError::bad_request("query", rejection.body_text()))?;
    query.format = None;
    Ok(query)
}

/// Metrics, or a saved report as its saver (the dashboard's owner) keeps it, over the
/// viewer's records.
async fn metrics_tile(
    state: &AppState,
    caller: &Caller,
    owner: i64,
    tile: Tile,
    lang: &str,
) -> Result<Report, ApiError> {
    let (caller, calendar, now, lang) =
        (caller.clone(), state.calendar, state.now(), lang.to_owned());
    state
        .db
        .compute(move |store| {
            let today = calendar.to_local(now).date();
            let (mut spec, title) = match &tile.shows {
                Shows::Saved { name } => (
                    embudo_metrics::custom::load(store, name, Some(owner))
                        .map_err(|e| ApiError::not_found(e.to_string()))?,
                    name.clone(),
                ),
                _ => {
                    let spec = tile
                        .spec(&calendar, today)
                        .ok_or_else(|| ApiError::bad_request("tile", "no period"))?;
                    let names: Vec<String> = spec
                        .metrics
                        .iter()
                        .map(|m| {
                            embudo_metrics::catalog::find(m)
                                .map_or_else(|| m.clone(), |metric| metric.label(&lang).to_owned())
                        })
                        .collect();
                    (spec, names.join(", "))
                }
            };
            crate::query::restrict(store, &caller, &mut spec)?;
            let ctx = Context {
                store,
                calendar,
                params: Params {
                    lang: lang.clone(),
                    ..Default::default()
                },
                now,
            };
            let mut report = embudo_reports::saved::report(&ctx, &title, &spec)?;
            if let Some(section) = report.sections.first_mut() {
                section.title = title;
            }
            Ok(report)
        })
        .await
}

/// Dashboard `id` as `caller` sees it.
async fn shown(
    state: &AppState,
    caller: &Caller,
    id: i64,
    lang: &str,
) -> Result<(Dashboard, Vec<web::Tile>), ApiError> {
    let reader = caller.clone();
    let dashboard = state
        .db
        .read(move |store| Ok(dashboard::load(store, &reader, id)?))
        .await?;
    let mut tiles = Vec::with_capacity(dashboard.tiles.len());
    for tile in &dashboard.tiles {
        tiles.push(render(state, caller, dashboard.owner_id, tile, lang).await);
    }
    Ok((dashboard, tiles))
}

// ---- The API ----

/// `GET /api/v1/dashboards`: the dashboards the caller sees, with their tiles as stored.
pub async fn list(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<Value>, ApiError> {
    let dashboards = state
        .db
        .read(move |store| Ok(dashboard::list(store, &caller)?))
        .await?;
    Ok(Json(json!({ "dashboards": dashboards })))
}

/// What creating or changing a dashboard says; absent fields are kept (a new one is shown
/// to its owner alone and has no tiles).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardBody {
    name: Option<String>,
    /// `owner`, `team` or `company`.
    audience: Option<String>,
    /// The team of a team's dashboard (admins; others share with their own).
    team: Option<String>,
    /// Every tile, in order: replaces the tiles (arranging them is sending them again).
    tiles: Option<Vec<Tile>>,
}

/// `POST /api/v1/dashboards`: a new dashboard of the caller's.
pub async fn create(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<DashboardBody>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let name = body
        .name
        .ok_or_else(|| ApiError::bad_request("name", "required"))?;
    let created = state
        .db
        .write(move |store| {
            let audience = dashboard::audience(
                store,
                &caller,
                body.audience.as_deref().unwrap_or("owner"),
                body.team.as_deref(),
            )?;
            let tiles = body.tiles.unwrap_or_default();
            let id = dashboard::create(store, &caller, &name, audience, &tiles, now)?;
            Ok(dashboard::load(store, &caller, id)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!(created))).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    lang: Option<String>,
}

/// `GET /api/v1/dashboards/{id}`: the dashboard with each tile computed over the caller's
/// records: `shown` (a report of one section, as the reports answer) or `refused` (why
/// not).
pub async fn get(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<ShowQuery>,
) -> Result<Json<Value>, ApiError> {
    let lang = query.lang.unwrap_or_else(|| "en".into());
    let (dashboard, shown) = shown(&state, &caller, id, &lang).await?;
    let tiles: Vec<Value> = dashboard
        .tiles
        .iter()
        .zip(shown)
        .map(|(tile, shown)| {
            let mut value = json!(tile);
            match shown {
                web::Tile::Shown { report, .. } => value["shown"] = json!(report),
                web::Tile::Refused { reason, .. } => value["refused"] = json!(reason),
            }
            value
        })
        .collect();
    let mut answer = json!(dashboard);
    answer["tiles"] = json!(tiles);
    Ok(Json(answer))
}

/// `PATCH /api/v1/dashboards/{id}`: rename, share, or arrange (the tiles in their new order
/// and widths).
pub async fn update(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<DashboardBody>,
) -> Result<Json<Value>, ApiError> {
    let now = state.now();
    let changed = state
        .db
        .write(move |store| {
            let audience = body
                .audience
                .as_deref()
                .map(|a| dashboard::audience(store, &caller, a, body.team.as_deref()))
                .transpose()?;
            let change = Change {
                name: body.name,
                audience,
                tiles: body.tiles,
            };
            Ok(dashboard::update(store, &caller, id, change, now)?)
        })
        .await?;
    Ok(Json(json!(changed)))
}

/// `DELETE /api/v1/dashboards/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .db
        .write(move |store| Ok(dashboard::delete(store, &caller, id)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/dashboards/{id}/tiles`: pin a tile at the end.
pub async fn pin(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<i64>,
    ApiJson(tile): ApiJson<Tile>,
) -> Result<Json<Value>, ApiError> {
    if let Shows::Section { query, .. } = &tile.shows {
        report_query(query)?;
    }
    let now = state.now();
    let pinned = state
        .db
        .write(move |store| Ok(dashboard::pin(store, &caller, id, tile, now)?))
        .await?;
    Ok(Json(json!(pinned)))
}

// ---- The pages ----

fn listed(dashboard: &Dashboard) -> Listed {
    Listed {
        id: dashboard.id,
        name: dashboard.name.clone(),
        owner: dashboard.owner.clone(),
        audience: dashboard.audience_name().to_owned(),
        team: dashboard.team.clone(),
        tiles: dashboard.tiles.len(),
    }
}

/// The teams an admin may share with (others share with their own).
fn teams(store: &embudo_store::Store, caller: &Caller) -> Result<Vec<String>, ApiError> {
    if !caller.is_admin() {
        return Ok(Vec::new());
    }
    Ok(store.names_in_order(embudo_store::names::Named::Teams)?)
}

/// The dashboards `caller` may pin to: (id, name).
pub(crate) async fn pinnable(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<(i64, String)>, ApiError> {
    let caller = caller.clone();
    state
        .db
        .read(move |store| {
            Ok(dashboard::list(store, &caller)?
                .into_iter()
                .filter(|d| d.arrangeable_by(&caller))
                .map(|d| (d.id, d.name))
                .collect())
        })
        .await
}

#[derive(Debug, Deserialize)]
pub struct MessageQuery {
    message: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /dashboards`: the dashboards the visitor sees, and a form for a new one.
pub async fn list_page(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiQuery(query): ApiQuery<MessageQuery>,
) -> Result<Response, PageError> {
    let caller = visitor.caller.clone();
    let (dashboards, teams) = state
        .db
        .read(move |store| Ok((dashboard::list(store, &caller)?, teams(store, &caller)?)))
        .await?;
    let listed: Vec<Listed> = dashboards.iter().map(listed).collect();
    Ok(visitor.page(web::list(
        &visitor.viewer(),
        &listed,
        &teams,
        query.message.as_deref(),
    )))
}

/// `GET /dashboards/{id}`: the tiles, each over the visitor's records.
pub async fn show_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<MessageQuery>,
) -> Result<Response, PageError> {
    let (dashboard, tiles) = shown(&state, &visitor.caller, id, &visitor.lang).await?;
    let caller = visitor.caller.clone();
    let teams = state.db.read(move |store| teams(store, &caller)).await?;
    let shown = web::Shown {
        listed: listed(&dashboard),
        arrangeable: dashboard.arrangeable_by(&visitor.caller),
        tiles: tiles
            .into_iter()
            .zip(dashboard.tiles.iter().map(|t| t.width))
            .collect(),
        teams,
    };
    Ok(visitor.page(web::show(
        &visitor.viewer(),
        &shown,
        query.message.as_deref(),
    )))
}

/// A form's fields by name (a multiple select sends a name more than once: the first).
struct Fields(Vec<(String, String)>);

impl Fields {
    /// A form's fields, once its CSRF token is the visitor's session's.
    fn posted(visitor: &Visitor, pairs: Vec<(String, String)>) -> Result<Fields, ApiError> {
        let fields = Fields(pairs);
        check_csrf(visitor, fields.get("csrf").unwrap_or_default())?;
        Ok(fields)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::bad_request(name.to_owned(), "required"))
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `POST /dashboards`: a new dashboard, then to it.
pub async fn create_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::posted(&visitor, pairs)?;
    let name = fields.required("name")?.to_owned();
    let (audience, team) = (
        fields.get("audience").unwrap_or("owner").to_owned(),
        fields.get("team").map(str::to_owned),
    );
    let (caller, now) = (visitor.caller.clone(), state.now());
    let id = state
        .db
        .write(move |store| {
            let audience = dashboard::audience(store, &caller, &audience, team.as_deref())?;
            Ok(dashboard::create(
                store,
                &caller,
                &name,
                audience,
                &[],
                now,
            )?)
        })
        .await?;
    Ok(see_other(
        &format!("/dashboards/{id}"),
        word("dashboard_created", &visitor.lang),
    ))
}

/// The tile a pin form describes: a report section (its page's query), metrics (the
/// builder's spec) or a saved report; a period chosen in the form replaces the one shown.
fn pinned_tile(fields: &Fields) -> Result<Tile, ApiError> {
    let period = fields.get("period").map(str::to_owned);
    let shows = match fields.required("kind")? {
        "section" => {
            let mut query = fields.get("query").unwrap_or_default().to_owned();
            if let Some(period) = &period {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|pair| {
                        let key = pair.split('=').next().unwrap_or_default();
                        !pair.is_empty() && !["from", "to", "period", "lang"].contains(&key)
                    })
                    .collect();
                query = kept
                    .into_iter()
                    .chain(std::iter::once(format!("period={period}").as_str()))
                    .collect::<Vec<_>>()
                    .join("&");
            }
            report_query(&query)?;
            Shows::Section {
                report: fields.required("report")?.to_owned(),
                section: fields.required("section")?.to_owned(),
                query,
            }
        }
        "metrics" => {
            let filters: BTreeMap<String, String> =
                crate::manage_pages::builder_filters(fields.get("filter").unwrap_or_default())
                    .map_err(|problem| ApiError::bad_request("filter", problem))?;
            let fixed = period.is_none();
            Shows::Metrics {
                metrics: fields.list("metrics"),
                by: fields.list("by"),
                grain: fields.get("grain").map(str::to_owned),
                filters,
                compare: fields.get("compare").map(str::to_owned),
                period,
                from: fields.get("from").filter(|_| fixed).map(str::to_owned),
                to: fields.get("to").filter(|_| fixed).map(str::to_owned),
            }
        }
        "saved" => Shows::Saved {
            name: fields.required("name")?.to_owned(),
        },
        other => {
            return Err(ApiError::bad_request(
                "kind",
                format!("cannot pin a '{other}'"),
            ));
        }
    };
    let width = fields
        .get("width")
        .map(str::parse::<Width>)
        .transpose()?
        .unwrap_or_default();
    Ok(Tile {
        shows,
        width,
        title: None,
    })
}

/// `POST /dashboards/pin`: pin what the form describes to one of the visitor's dashboards,
/// or to a new one; then to it.
pub async fn pin_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::posted(&visitor, pairs)?;
    let tile = pinned_tile(&fields)?;
    let target = match fields.get("dashboard") {
        Some(id) => Ok(id
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request("dashboard", "not a dashboard"))?),
        None => Err(fields
            .get("new_name")
            .unwrap_or(word("my_dashboard", &visitor.lang))
            .to_owned()),
    };
    let (caller, now) = (visitor.caller.clone(), state.now());
    let id = state
        .db
        .write(move |store| {
            let id = match target {
                Ok(id) => id,
                Err(name) => dashboard::create(
                    store,
                    &caller,
                    &name,
                    embudo_access::scope::Audience::Owner,
                    &[],
                    now,
                )?,
            };
            dashboard::pin(store, &caller, id, tile, now)?;
            Ok(id)
        })
        .await?;
    Ok(see_other(
        &format!("/dashboards/{id}"),
        word("pinned", &visitor.lang),
    ))
}

/// `POST /dashboards/{id}/arrange`: move, resize or remove one tile.
pub async fn arrange_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::posted(&visitor, pairs)?;
    let place: usize = fields
        .required("tile")?
        .parse()
        .map_err(|_| ApiError::bad_request("tile", "not a tile"))?;
    let how = match fields.required("how")? {
        "up" => Arrange::Up(place),
        "down" => Arrange::Down(place),
        "remove" => Arrange::Remove(place),
        width => Arrange::Resize(place, width.parse::<Width>()?),
    };
    let (caller, now) = (visitor.caller.clone(), state.now());
    state
        .db
        .write(move |store| Ok(dashboard::arrange(store, &caller, id, how, now)?))
        .await?;
    Ok(see_other(
        &format!("/dashboards/{id}"),
        word("arranged", &visitor.lang),
    ))
}

/// `POST /dashboards/{id}/settings`: rename and share.
pub async fn settings_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::posted(&visitor, pairs)?;
    let name = fields.required("name")?.to_owned();
    let (audience, team) = (
        fields.get("audience").unwrap_or("owner").to_owned(),
        fields.get("team").map(str::to_owned),
    );
    let (caller, now) = (visitor.caller.clone(), state.now());
    state
        .db
        .write(move |store| {
            let audience = dashboard::audience(store, &caller, &audience, team.as_deref())?;
            let change = Change {
                name: Some(name),
                audience: Some(audience),
                tiles: None,
            };
            Ok(dashboard::update(store, &caller, id, change, now)?)
        })
        .await?;
    Ok(see_other(
        &format!("/dashboards/{id}"),
        word("saved", &visitor.lang),
    ))
}

/// `POST /dashboards/{id}/delete`.
pub async fn delete_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    Fields::posted(&visitor, pairs)?;
    let caller = visitor.caller.clone();
    state
        .db
        .write(move |store| Ok(dashboard::delete(store, &caller, id)?))
        .await?;
    Ok(see_other(
        "/dashboards",
        word("dashboard_deleted", &visitor.lang),
    ))
}

impl From<ReportError> for PageError {
    fn from(error: ReportError) -> PageError {
        PageError(error.into())
    }
}
