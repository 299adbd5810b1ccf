//! The REST API: `embudo serve` shares one store with a team, each person seeing what their
//! role allows.
//!
//! - [`db`]: the store owned by the server — readers in parallel, one writer, all off the
//!   async threads.
//! - [`auth`]: login, logout, sessions and bearer tokens, CSRF on cookie writes, failed
//!   logins rate-limited.
//! - [`records`]: lists and records of customer data, always through the caller's scope;
//!   [`writes`]: creating, changing and (softly) deleting them, deals moving stage.
//! - [`reports`], [`metrics`], [`query`]: canned reports, metrics and custom reports (saved
//!   or not) over the caller's records.
//! - [`admin`]: exports (scoped), the data audit, merges and fixes (admins), the forecast
//!   and a deal's explanation.
//! - [`cache`]: report and metric answers kept until the data changes or a minute passes.
//! - [`events`]: `user_events` rows queued and written in batches.
//! - [`monitor`]: once a minute, scheduled reports and alerts that are due (`embudo-monitor`),
//!   and the API that lists, adds and removes them (admins).
//! - [`pages`]: the web dashboard (rendered by `embudo-web`): login, home, reports, the
//!   pipeline board; [`audit_pages`]: the data audit, duplicates and merge journal;
//!   [`manage_pages`]: goals, the custom report builder and administration;
//!   [`record_pages`]: a deal's, contact's or company's own page.
//! - [`dashboards`]: dashboards people compose, through the API and the pages, each tile
//!   computed over the viewer's records.
//! - [`openapi`]: the OpenAPI 3.1 document, served and committed as `docs/openapi.json`.
//! - [`unread`]: an answer to a request whose body was not read closes the connection.
//! - [`error`]: errors as `{"error":{"code","message","field"}}`; [`extract`]: query strings
//!   and bodies whose rejections are such errors.
//!
//! Who sees what is decided in one place, `embudo_access::scope`; handlers ask it, they
//! never decide. Every request gets an id (the `x-request-id` header, echoed), a span in
//! the logs, a time limit, a size limit, and security headers on the answer.

pub mod admin;
pub mod audit_pages;
pub mod auth;
pub mod cache;
pub mod dashboards;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod manage_pages;
pub mod metrics;
pub mod monitor;
pub mod notices;
pub mod openapi;
pub mod pages;
pub mod query;
pub mod record_pages;
pub mod records;
pub mod reports;
pub mod unread;
pub mod writes;

use crate::db::Db;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::routing::{delete, get, post};
use embudo_access::Entity;
use embudo_metrics::Calendar;
use embudo_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

/// What one request may take of the server: its body, its time, and (for every request
/// together) the database engine's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// The largest request body accepted (an import upload is the biggest).
    pub body_bytes: usize,
    /// How long a request may take before it is answered 408 and its queries interrupted.
    pub timeout: Duration,
    /// The memory the database engine may use; a query that needs more fails alone.
    pub memory_bytes: u64,
}

impl Default for ServerLimits {
    /// 64 MiB bodies, 60 s, half of the machine's memory.
    fn default() -> ServerLimits {
        ServerLimits {
            body_bytes: 64 * 1024 * 1024,
            timeout: Duration::from_secs(60),
            memory_bytes: machine_memory().map_or(4 << 30, |total| total / 2),
        }
    }
}

/// The machine's memory in bytes, where the system says (`/proc/meminfo`).
fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Arc<Db>,
    pub calendar: Calendar,
    pub columns: Arc<records::Columns>,
    pub limiter: Arc<auth::Limiter>,
    pub tokens: Arc<auth::Tokens>,
    pub reports: Arc<cache::Cache<embudo_reports::Report>>,
    pub metrics: Arc<cache::Cache<serde_json::Value>>,
    pub events: events::Events,
    /// Mark the session cookie `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// The currency most deals are in (ISO code): how the dashboard writes money.
    pub currency: String,
    pub limits: ServerLimits,
    /// Labels declared per field in the configuration, for the audit's label checks.
    pub labels: Arc<embudo_audit::checks::Declared>,
}

impl AppState {
    /// Share `store`, opened read-write by the caller, for serving within the default
    /// limits; starts the thread that writes `user_events`.
    pub fn new(
        store: Store,
        calendar: Calendar,
        secure_cookies: bool,
    ) -> Result<AppState, embudo_store::StoreError> {
        AppState::with_limits(store, calendar, secure_cookies, ServerLimits::default())
    }

    /// [`AppState::new`] within `limits`.
    pub fn with_limits(
        store: Store,
        calendar: Calendar,
        secure_cookies: bool,
        limits: ServerLimits,
    ) -> Result<AppState, embudo_store::StoreError> {
        store.set_memory_limit(limits.memory_bytes)?;
        // A long query on every core leaves none for the quick reads that log people in and
        // open records: one core is kept for them.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        store.set_threads(cores.saturating_sub(1))?;
        let columns = records::columns(&store)?;
        let currency = store.usual_currency()?.unwrap_or_else(|| "USD".to_owned());
        let limiter = auth::Limiter::load(&store, chrono::Utc::now().naive_utc())?;
        let db = Arc::new(Db::new(store)?);
        Ok(AppState {
            events: events::Events::start(Arc::clone(&db)),
            db,
            calendar,
            columns: Arc::new(columns),
            limiter: Arc::new(limiter),
            tokens: Arc::default(),
            reports: Arc::default(),
            metrics: Arc::default(),
            secure_cookies,
            currency,
            limits,
            labels: Arc::default(),
        })
    }

    /// The same state, judging the fields of `labels` against the labels declared there.
    pub fn with_declared_labels(self, labels: embudo_audit::checks::Declared) -> AppState {
        AppState {
            labels: Arc::new(labels),
            ..self
        }
    }

    /// The present, UTC.
    pub fn now(&self) -> chrono::NaiveDateTime {
        chrono::Utc::now().naive_utc()
    }
}

/// Every route of the API, with its middleware.
pub fn router(state: AppState) -> Router {
    let mut api = Router::new()
        .route("/health", get(health))
        .route(
            "/openapi.json",
            get(|| async { axum::Json(openapi::document()) }),
        )
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/reports", get(reports::list))
        .route("/reports/{name}", get(reports::get))
        .route("/metrics", get(metrics::list))
        .route("/metrics/{name}", get(metrics::get))
        .route("/query", post(query::run))
        .route("/saved-reports", get(query::saved))
        .route("/saved-reports/{name}", get(query::run_saved))
        .route("/import", post(admin::import))
        .route("/export/{table}", get(admin::export))
        .route("/audit", get(admin::audit))
        .route("/audit/duplicates", get(admin::duplicates))
        .route("/audit/fix", post(admin::fix_check))
        .route("/merge", post(admin::merge_records))
        .route(
            "/schedules",
            get(monitor::schedules).post(monitor::add_schedule),
        )
        .route("/schedules/{name}", delete(monitor::remove_schedule))
        .route("/alerts", get(monitor::alerts).post(monitor::add_alert))
        .route("/alerts/{name}", delete(monitor::remove_alert))
        .route("/alerts/{name}/test", get(monitor::test_alert))
        .route("/unmerge", post(admin::unmerge))
        .route("/forecast", get(reports::forecast))
        .route("/deals/{id}/explain", get(admin::explain))
        .route(
            "/dashboards",
            get(dashboards::list).post(dashboards::create),
        )
        .route(
            "/dashboards/{id}",
            get(dashboards::get)
                .patch(dashboards::update)
                .delete(dashboards::delete),
        )
        .route("/dashboards/{id}/tiles", post(dashboards::pin));
    for entity in Entity::ALL {
        api = api
            .route(
                &format!("/{}", entity.table()),
                get(move |state, caller, query| records::list(entity, state, caller, query))
                    .post(move |state, caller, body| writes::create(entity, state, caller, body)),
            )
            .route(
                &format!("/{}/{{id}}", entity.table()),
                get(move |state, caller, id| records::get(entity, state, caller, id))
                    .patch(move |state, caller, id, body| {
                        writes::update(entity, state, caller, id, body)
                    })
                    .delete(move |state, caller, id| writes::delete(entity, state, caller, id)),
            );
    }
    let request_id = HeaderName::from_static("x-request-id");
    let mut pages = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_page).post(pages::login_form))
        .route("/logout", post(pages::logout_form))
        .route("/reports/{name}", get(pages::report))
        .route("/pipeline", get(pages::board))
        .route("/pipeline/move", post(pages::move_card))
        .route(
            "/goals",
            get(manage_pages::goals).post(manage_pages::add_goal),
        )
        .route("/goals/edit", post(manage_pages::edit_goal))
        .route("/goals/delete", post(manage_pages::delete_goal))
        .route("/builder", get(manage_pages::builder))
        .route("/builder/save", post(manage_pages::save_report))
        .route("/admin", get(manage_pages::page))
        .route("/admin/users", post(manage_pages::add_user))
        .route("/admin/disable", post(manage_pages::disable))
        .route("/admin/role", post(manage_pages::role))
        .route("/admin/tokens", post(manage_pages::token))
        .route("/admin/schedules", post(monitor::schedule_form))
        .route(
            "/admin/schedules/remove",
            post(monitor::remove_schedule_form),
        )
        .route("/admin/alerts", post(monitor::alert_form))
        .route("/admin/alerts/remove", post(monitor::remove_alert_form))
        .route("/notifications", get(notices::list))
        .route("/notifications/read", post(notices::read_all))
        .route("/notifications/{id}", get(notices::show))
        .route("/notifications/{id}/act", post(notices::act))
        .route("/notifications/{id}/undo", post(notices::undo))
        .route("/deals/stale", get(notices::stale))
        .route("/drill", get(record_pages::drill))
        .route("/drill/rows", get(record_pages::rows))
        .route(
            "/dashboards",
            get(dashboards::list_page).post(dashboards::create_form),
        )
        .route("/dashboards/pin", post(dashboards::pin_form))
        .route("/dashboards/{id}", get(dashboards::show_page))
        .route("/dashboards/{id}/arrange", post(dashboards::arrange_form))
        .route("/dashboards/{id}/settings", post(dashboards::settings_form))
        .route("/dashboards/{id}/delete", post(dashboards::delete_form))
        .route("/audit", get(audit_pages::overview))
        .route("/audit/fix", post(audit_pages::apply_fix))
        .route("/audit/duplicates", get(audit_pages::duplicates))
        .route("/audit/merge", post(audit_pages::merge_group))
        .route("/audit/not-duplicate", post(audit_pages::not_duplicate))
        .route("/audit/journal", get(audit_pages::journal))
        .route("/audit/unmerge", post(audit_pages::unmerge))
        .route("/assets/{name}", get(pages::asset));
    // A deal's, contact's or company's own page; `/deals/stale` is matched first.
    for entity in record_pages::PAGED {
        pages = pages.route(
            &format!("/{}/{{id}}", entity.table()),
            get(move |state, visitor, id| record_pages::show(entity, state, visitor, id)),
        );
    }
    let limits = state.limits;
    Router::new()
        .nest("/api/v1", api)
        .merge(pages)
        .fallback(not_found)
        .with_state(state)
        // Extractors have a body limit of their own (2 MB by default): one limit for all.
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.timeout))
        .layer(axum::middleware::from_fn(unread::close_unless_read))
        .layer(axum::middleware::map_response(error::as_json))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .make_span_with(|request: &Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("referrer-policy", "no-referrer"))
        .layer(header(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .layer(header("cache-control", "no-store"))
}

fn header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

/// `GET /api/v1/health`: whether this server is ready to serve, i.e. its database answers
/// (a load balancer sends nothing to a server answering 503).
async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::Json<serde_json::Value>, error::ApiError> {
    let answer = state
        .db
        .read(|store| Ok((store.schema_version()?, store.dialect().name())))
        .await;
    let (version, engine) = answer.map_err(|error| {
        tracing::warn!(message = %error.message, "the health check found the database silent");
        error::ApiError::unavailable("the server runs but its database does not answer")
    })?;
    Ok(axum::Json(serde_json::json!({
        "status": "ok",
        "database": "ok",
        "engine": engine,
        "schema_version": version,
    })))
}

async fn not_found() -> error::ApiError {
    error::ApiError::not_found("no such route; the API lives under /api/v1")
}

/// Serve `state` on `listener` until `shutdown` completes, then finish the requests in
/// flight and return.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Ctrl-C or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
