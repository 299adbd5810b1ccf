//! `GET /api/v1/reports` and `GET /api/v1/reports/{name}`: the canned reports, computed over
//! the records the caller may see, as JSON, CSV, HTML or XLSX.

use crate::AppState;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::events::Event;
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use embudo_access::Caller;
use embudo_access::scope::Over;
use embudo_metrics::{Bound, Calendar, Dim, Grain};
use embudo_reports::{Context, Params, Report, i18n, scope};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The reports this caller may open, with their titles.
pub async fn list(Authed(caller): Authed, ApiQuery(lang): ApiQuery<Lang>) -> Json<Value> {
    let lang = lang.lang.unwrap_or_else(|| "en".into());
    let reports: Vec<Value> = embudo_reports::NAMES
        .iter()
        .filter(|name| caller.report(name) != Over::Denied)
        .map(|name| json!({ "name": name, "title": i18n::label(&format!("report.{name}"), &lang) }))
        .collect();
    Json(json!({ "reports": reports }))
}

#[derive(Debug, Deserialize)]
pub struct Lang {
    pub lang: Option<String>,
}

/// What a report request may say.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// A named period instead of `from` and `to` (`last_quarter`, `year_to_date`…).
    pub period: Option<String>,
    pub at: Option<String>,
    pub pipeline: Option<String>,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub source: Option<String>,
    pub by: Option<String>,
    pub grain: Option<String>,
    pub months: Option<u32>,
    /// Each figure beside its earlier value: `previous_period` or `previous_year`.
    pub compare: Option<String>,
    pub lang: Option<String>,
    pub format: Option<String>,
}

impl ReportQuery {
    /// The query as a URL query string (values percent-encoded), for links to the same
    /// report in another format.
    pub fn to_query_string(&self) -> String {
        let months = self.months.map(|m| m.to_string());
        [
            ("from", &self.from),
            ("to", &self.to),
            ("period", &self.period),
            ("at", &self.at),
            ("pipeline", &self.pipeline),
            ("owner", &self.owner),
            ("team", &self.team),
            ("source", &self.source),
            ("by", &self.by),
            ("grain", &self.grain),
            ("months", &months),
            ("compare", &self.compare),
            ("lang", &self.lang),
        ]
        .into_iter()
        .filter_map(|(key, value)| {
            value
                .as_ref()
                .map(|v| format!("{key}={}", embudo_web::format::url_encode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// `GET /api/v1/forecast`: the forecast report (months ahead, expected revenue and ranges,
/// the deals with their win probability) over the caller's records.
pub async fn forecast(
    state: State<AppState>,
    caller: Authed,
    query: ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    get(state, caller, Path("forecast".to_owned()), query).await
}

/// One report in the asked format, over the caller's records.
pub async fn get(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(name): Path<String>,
    ApiQuery(mut query): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.take().unwrap_or_else(|| "json".into());
    if !["json", "csv", "html", "xlsx"].contains(&format.as_str()) {
        return Err(ApiError::bad_request(
            "format",
            "must be json, csv, html or xlsx",
        ));
    }
    let report = build_report(&state, &caller, &name, &query).await?;
    render(report, &format, query.lang.as_deref().unwrap_or("en"))
}

/// Report `name` as `query` asks, over `caller`'s records (masked for a viewer), from the
/// cache when nothing has changed; the view is recorded.
pub async fn build_report(
    state: &AppState,
    caller: &Caller,
    name: &str,
    query: &ReportQuery,
) -> Result<Report, ApiError> {
    if !embudo_reports::NAMES.contains(&name) {
        return Err(ApiError::not_found(format!(
            "no report '{name}'; GET /api/v1/reports lists them"
        )));
    }
    let calendar = state.calendar;
    let now = state.now();
    let mut params = params(query, &calendar, now)?;
    // The answer depends on the request (a named period as of today) and on whose records
    // the caller sees.
    let key = format!(
        "{name}|{query:?}|{:?}|{:?}|{:?}",
        params.from,
        params.to,
        caller.report(name)
    );
    let db = Arc::clone(&state.db);
    let reader = caller.clone();
    let report_name = name.to_owned();
    let report = state
        .reports
        .get(key, state.db.generation(), || async move {
            db.compute(move |store| {
                scope::restrict(store, &reader, &report_name, &mut params)?;
                let ctx = Context {
                    store,
                    calendar,
                    params,
                    now,
                };
                Ok(embudo_reports::build(&ctx, &report_name)?)
            })
            .await
        })
        .await?;
    let mut report = Report::clone(&report);
    if caller.masks_contact_details() {
        scope::mask(&mut report);
    }
    state.events.record(Event {
        user: caller.user_id,
        event: "report_viewed",
        entity: Some("report"),
        entity_id: None,
        at: now,
    });
    Ok(report)
}

fn params(
    query: &ReportQuery,
    calendar: &Calendar,
    now: chrono::NaiveDateTime,
) -> Result<Params, ApiError> {
    let bound = |field: &str, text: &Option<String>| {
        text.as_deref()
            .map(Bound::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request(field, e.to_string()))
    };
    let at = match bound("at", &query.at)? {
        Some(Bound::Instant(t)) => Some(t),
        Some(Bound::Day(d)) => d.and_hms_opt(0, 0, 0).map(|t| calendar.to_utc(t)),
        None => None,
    };
    let (from, to) = match &query.period {
        Some(period) => {
            let (from, to) = named_period(period, calendar, now, &query.from, &query.to)?;
            (Some(Bound::Day(from)), Some(Bound::Day(to)))
        }
        None => (bound("from", &query.from)?, bound("to", &query.to)?),
    };
    Ok(Params {
        from,
        to,
        at,
        pipeline: query.pipeline.clone(),
        owner: query.owner.clone(),
        team: query.team.clone(),
        source: query.source.clone(),
        by: query
            .by
            .as_deref()
            .map(str::parse::<Dim>)
            .transpose()
            .map_err(|e| ApiError::bad_request("by", e.to_string()))?,
        grain: query
            .grain
            .as_deref()
            .map(str::parse::<Grain>)
            .transpose()
            .map_err(|e| ApiError::bad_request("grain", e.to_string()))?,
        months: query.months,
        lang: query.lang.clone().unwrap_or_else(|| "en".into()),
        compare: query
            .compare
            .as_deref()
            .map(str::parse::<embudo_metrics::Compare>)
            .transpose()
            .map_err(|e| ApiError::bad_request("compare", e.to_string()))?,
        // The report pages link figures to the records behind them, and share these
        // reports (their cache) with the API.
        behind: true,
    })
}

/// The local days of a named period as of `now`; refused beside `from` or `to`.
pub(crate) fn named_period(
    period: &str,
    calendar: &Calendar,
    now: chrono::NaiveDateTime,
    from: &Option<String>,
    to: &Option<String>,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), ApiError> {
    if from.is_some() || to.is_some() {
        return Err(ApiError::bad_request(
            "period",
            "give a period, or from and to, not both",
        ));
    }
    let preset: embudo_metrics::Preset = period
        .parse()
        .map_err(|e: embudo_metrics::MetricError| ApiError::bad_request("period", e.to_string()))?;
    Ok(preset.range(calendar, calendar.to_local(now).date()))
}

fn render(report: Report, format: &str, lang: &str) -> Result<Response, ApiError> {
    // A table per section: a compared figure's earlier value is a column of its own.
    let report = match format {
        "json" => report,
        _ => embudo_reports::compare::flatten(&report, lang),
    };
    let file = |extension: &str| format!("attachment; filename=\"{}.{extension}\"", report.report);
    Ok(match format {
        "csv" => {
            let mut out = Vec::new();
            embudo_reports::csv::pack(std::slice::from_ref(&report), &mut out)
                .map_err(ApiError::internal)?;
            (
                [
                    (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (CONTENT_DISPOSITION, file("csv")),
                ],
                out,
            )
                .into_response()
        }
        "html" => {
            let page = embudo_reports::html::page(&report.title.clone(), &[report], lang);
            ([(CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
        }
        "xlsx" => {
            let bytes = embudo_reports::xlsx::workbook(std::slice::from_ref(&report))
                .map_err(ApiError::internal)?;
            (
                [
                    (
                        CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_owned(),
                    ),
                    (CONTENT_DISPOSITION, file("xlsx")),
                ],
                bytes,
            )
                .into_response()
        }
        _ => Json(report).into_response(),
    })
}
