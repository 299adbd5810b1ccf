//! Logging in and out, and who is calling: a bearer token or a session cookie, with CSRF
//! protection on cookie-authenticated writes and failed logins rate-limited.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use embudo_access::{Caller, session};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "embudo_session";

/// The header a cookie-authenticated write must carry, with the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A caller who proved who they are.
#[derive(Debug, Clone)]
pub struct Authed(pub Caller);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Authed, ApiError> {
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <token>`"))?
                .to_owned();
            let caller = state
                .db
                .read(move |store| Ok(session::from_token(store, &token)?))
                .await?;
            return caller
                .map(Authed)
                .ok_or_else(|| ApiError::unauthorized("the token is unknown or revoked"));
        }
        if cookie(&parts.headers, COOKIE_NAME).is_none() {
            return Err(ApiError::unauthorized(
                "log in (POST /api/v1/login) or send `Authorization: Bearer <token>`",
            ));
        }
        let (caller, csrf) = session_of(state, &parts.headers)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the session has ended: log in again"))?;
        // A cookie rides along on any request the browser makes, so a write must also prove
        // it comes from a page that read the session's CSRF token.
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !same(sent.as_bytes(), csrf.as_bytes()) {
                return Err(ApiError::forbidden(
                    "a write with a session cookie needs the X-CSRF-Token header given at login",
                ));
            }
        }
        Ok(Authed(caller))
    }
}

/// The caller and CSRF token of the live session whose cookie `headers` carry, if any.
pub async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Caller, String)>, ApiError> {
    let Some(id) = cookie(headers, COOKIE_NAME) else {
        return Ok(None);
    };
    let now = state.now();
    state
        .db
        .read(move |store| Ok(session::from_session(store, &id, now)?))
        .await
}

#[derive(Debug, Deserialize)]
pub struct Login {
    email: String,
    password: String,
}

/// `POST /api/v1/login`: `{"email","password"}` → the session cookie, the user and the CSRF
/// token for writes.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let (caller, session) = attempt(&state, address, body.email, body.password)
        .await?
        .ok_or_else(|| ApiError::unauthorized("wrong e-mail or password"))?;
    let cookie = session_cookie(&session, state.secure_cookies);
    let mut response = Json(json!({ "user": caller, "csrf_token": session.csrf })).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// A login attempt from `address`, within the limits on failures (429 beyond them): the
/// caller and their new session, or `None` for a wrong e-mail or password (counted).
pub async fn attempt(
    state: &AppState,
    address: SocketAddr,
    email: String,
    password: String,
) -> Result<Option<(Caller, session::Session)>, ApiError> {
    let account = email.trim().to_lowercase();
    let address = address.ip().to_string();
    let keys = [
        (account.as_str(), Limiter::PER_ACCOUNT),
        (address.as_str(), Limiter::PER_ADDRESS),
    ];
    state.limiter.check(&keys)?;
    let now = state.now();
    let found = state
        .db
        .log(move |store| Ok(session::login(store, &email, &password, now)?))
        .await?;
    if found.is_none() {
        state.limiter.fail(&keys);
    }
    Ok(found)
}

/// `POST /api/v1/logout`: end the session and clear its cookie.
pub async fn logout(
    State(state): State<AppState>,
    _caller: Authed,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(id) = cookie(&headers, COOKIE_NAME) {
        state
            .db
            .log(move |store| Ok(session::logout(store, &id)?))
            .await?;
    }
    let mut response = Json(json!({ "logged_out": true })).into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, HeaderValue::from_static(CLEARED_COOKIE));
    Ok(response)
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(session: &session::Session, secure: bool) -> String {
    format!(
        "{COOKIE_NAME}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        session.id,
        session::SESSION_HOURS * 3600,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a session in the browser.
pub const CLEARED_COOKIE: &str = "embudo_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";

/// `GET /api/v1/me`: who is calling.
pub async fn me(Authed(caller): Authed) -> Json<Caller> {
    Json(caller)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Equal bytes, compared in time that does not depend on where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Failed logins per account and per address: after so many in [`Limiter::WINDOW`],
/// further attempts are refused until the oldest failure ages out. An address gets more
/// than an account: an office shares one.
#[derive(Debug, Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Limiter {
    pub const PER_ACCOUNT: usize = 5;
    pub const PER_ADDRESS: usize = 20;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// Refuse when any key has failed its number of times lately.
    fn check(&self, keys: &[(&str, usize)]) -> Result<(), ApiError> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for (key, most) in keys {
            if let Some(times) = failures.get_mut(*key) {
                times.retain(|t| now.duration_since(*t) < Self::WINDOW);
                if times.len() >= *most {
                    return Err(ApiError::too_many(
                        "too many failed logins: wait 15 minutes before trying again",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Count a failed login against each key.
    fn fail(&self, keys: &[(&str, usize)]) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in keys {
            failures
                .entry((*key).to_owned())
                .or_default()
                .push(Instant::now());
        }
    }
}
