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
use chrono::NaiveDateTime;
use embudo_access::{Caller, session};
use embudo_store::Store;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

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
            return state
                .tokens
                .caller(state, token)
                .await?
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

/// The callers behind API tokens lately seen, so that a script's every request does not ask
/// the store again. An answer holds for [`Tokens::FRESH`] and only while no user, team or
/// token has been written since (through this server, or on PostgreSQL through any
/// process): disabling a user, changing a role or revoking a token takes effect on the
/// next request.
#[derive(Debug, Default)]
pub struct Tokens {
    seen: Mutex<HashMap<String, Seen>>,
}

#[derive(Debug, Clone)]
struct Seen {
    caller: Caller,
    generation: u64,
    at: std::time::Instant,
}

impl Tokens {
    const FRESH: Duration = Duration::from_secs(10);
    /// Beyond this many tokens the memory starts afresh.
    const MOST: usize = 10_000;

    /// The active caller behind `token`, if any.
    async fn caller(&self, state: &AppState, token: String) -> Result<Option<Caller>, ApiError> {
        let digest = embudo_access::secret::digest(&token);
        let generation = state.db.access_generation();
        if let Some(seen) = self.lock().get(&digest)
            && seen.generation == generation
            && seen.at.elapsed() < Self::FRESH
        {
            return Ok(Some(seen.caller.clone()));
        }
        let caller = state
            .db
            .read(move |store| Ok(session::from_token(store, &token)?))
            .await?;
        if let Some(caller) = &caller {
            let mut seen = self.lock();
            if seen.len() >= Self::MOST {
                seen.clear();
            }
            seen.insert(
                digest,
                Seen {
                    caller: caller.clone(),
                    generation,
                    at: std::time::Instant::now(),
                },
            );
        }
        Ok(caller)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Seen>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
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
///
/// The attempt is counted before the password is checked, so concurrent attempts cannot
/// all slip under the limit; the password is checked on a read connection and a blocking
/// thread, so the single writer is taken only to open a session or record a failure.
pub async fn attempt(
    state: &AppState,
    address: SocketAddr,
    email: String,
    password: String,
) -> Result<Option<(Caller, session::Session)>, ApiError> {
    let account = email.trim().to_lowercase();
    let address = address.ip().to_string();
    let keys = [
        (account, Limiter::PER_ACCOUNT),
        (address, Limiter::PER_ADDRESS),
    ];
    let now = state.now();
    if state.db.shared() {
        let wanted = [keys[0].0.clone(), keys[1].0.clone()];
        let since = now - window();
        let found = state
            .db
            .read(move |store| Ok(Limiter::failures(store, Some(&wanted), since)?))
            .await?;
        state.limiter.absorb(found);
    }
    let reservation = state.limiter.reserve(&keys, now)?;
    let found = state
        .db
        .read(move |store| Ok(session::credentials(store, &email)?))
        .await?;
    let verified = tokio::task::spawn_blocking(move || found.verify(&password).then_some(found))
        .await
        .map_err(ApiError::internal)?;
    let opened = match verified.and_then(|found| found.user) {
        Some(user) => {
            state
                .db
                .log(move |store| Ok(session::open(store, user, now)?))
                .await?
        }
        None => None,
    };
    if opened.is_none() {
        let keys: Vec<String> = reservation.fail();
        state
            .db
            .log(move |store| Limiter::persist(store, &keys, now))
            .await?;
    }
    Ok(opened)
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
/// further attempts are refused until the oldest failure ages out. An attempt under way
/// counts as a failure until it is known not to be one. An address gets more than an
/// account: an office shares one. Failures are kept in the store, so a restart forgets
/// none of them.
#[derive(Debug, Default)]
pub struct Limiter {
    tallies: Mutex<HashMap<String, Tally>>,
}

#[derive(Debug, Default)]
struct Tally {
    failures: Vec<NaiveDateTime>,
    under_way: usize,
}

impl Limiter {
    pub const PER_ACCOUNT: usize = 5;
    pub const PER_ADDRESS: usize = 20;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// The failures of the last [`Limiter::WINDOW`] kept in `store`; older ones are removed.
    pub fn load(store: &Store, now: NaiveDateTime) -> Result<Limiter, embudo_store::StoreError> {
        let since = now - window();
        store.forget_login_failures(since)?;
        let mut tallies: HashMap<String, Tally> = HashMap::new();
        for (key, failures) in Limiter::failures(store, None, since)? {
            tallies.entry(key).or_default().failures = failures;
        }
        Ok(Limiter {
            tallies: Mutex::new(tallies),
        })
    }

    /// The failures kept in `store` since `since`, of an attempt's two keys (its account's
    /// and its address's; every key when `None`), key by key, oldest first.
    fn failures(
        store: &Store,
        keys: Option<&[String; 2]>,
        since: NaiveDateTime,
    ) -> Result<HashMap<String, Vec<NaiveDateTime>>, embudo_store::StoreError> {
        let mut failures: HashMap<String, Vec<NaiveDateTime>> = HashMap::new();
        for (key, at) in store.login_failures(keys, since)? {
            failures.entry(key).or_default().push(at);
        }
        Ok(failures)
    }

    /// Take the failures other servers on the same database kept for these keys: a
    /// password guessed through every server in turn still meets one limit.
    fn absorb(&self, found: HashMap<String, Vec<NaiveDateTime>>) {
        let mut tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        for (key, failures) in found {
            let tally = tallies.entry(key).or_default();
            if failures.len() > tally.failures.len() {
                tally.failures = failures;
            }
        }
    }

    /// Count an attempt against each key, or refuse it when any key has had its number of
    /// failures (and attempts under way) lately.
    fn reserve(
        &self,
        keys: &[(String, usize)],
        now: NaiveDateTime,
    ) -> Result<Attempt<'_>, ApiError> {
        let mut tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        for (key, most) in keys {
            if let Some(tally) = tallies.get_mut(key) {
                tally.failures.retain(|t| now - *t < window());
                if tally.failures.len() + tally.under_way >= *most {
                    return Err(ApiError::too_many(
                        "too many failed logins: wait 15 minutes before trying again",
                    ));
                }
            }
        }
        for (key, _) in keys {
            tallies.entry(key.clone()).or_default().under_way += 1;
        }
        Ok(Attempt {
            limiter: self,
            keys: keys.iter().map(|(k, _)| k.clone()).collect(),
            now,
            failed: false,
        })
    }

    /// Keep failures of `keys` at `now` in the store.
    fn persist(store: &Store, keys: &[String], now: NaiveDateTime) -> Result<(), ApiError> {
        Ok(store.insert_login_failures(keys, now)?)
    }
}

fn window() -> chrono::Duration {
    chrono::Duration::from_std(Limiter::WINDOW).expect("fifteen minutes")
}

/// An attempt under way; when dropped it is no longer counted as under way, and if it
/// [`Attempt::fail`]ed it counts as a failure.
struct Attempt<'a> {
    limiter: &'a Limiter,
    keys: Vec<String>,
    now: NaiveDateTime,
    failed: bool,
}

impl Attempt<'_> {
    /// The attempt failed: it counts from now on; its keys, to be kept in the store.
    fn fail(mut self) -> Vec<String> {
        self.failed = true;
        self.keys.clone()
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut tallies = self
            .limiter
            .tallies
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            let tally = tallies.entry(key.clone()).or_default();
            tally.under_way = tally.under_way.saturating_sub(1);
            if self.failed {
                tally.failures.push(self.now);
            }
        }
    }
}
