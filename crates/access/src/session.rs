//! Logging in, sessions, and who is calling.

use crate::secret;
use crate::{AccessError, Role};
use chrono::{Duration, NaiveDateTime};
use embudo_store::{Param, Store};
use serde::Serialize;

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// The person behind a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caller {
    pub user_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub team_id: Option<i64>,
    pub team: Option<String>,
}

/// A new session: its id (for the cookie) and its CSRF token (for the page), each shown
/// once; the store keeps the id's digest.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    pub expires_at: NaiveDateTime,
}

/// What a login is checked against: the active user with an e-mail, and their password's
/// hash, either possibly missing. A login reads them ([`credentials`]), verifies the
/// password ([`Credentials::verify`], hashed whether or not the user exists, so a wrong
/// e-mail and a wrong password take the same time), then opens a session ([`open`]), which
/// is recorded in `user_events`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Credentials {
    pub user: Option<i64>,
    hash: Option<String>,
}

impl Credentials {
    /// Whether `password` is the user's. Slow on purpose (argon2id), and as slow for a user
    /// that does not exist: run it on a thread that may block, holding no connection.
    pub fn verify(&self, password: &str) -> bool {
        secret::verify_password(self.hash.as_deref(), password) && self.user.is_some()
    }
}

/// The credentials of the active user with `email` (a read).
pub fn credentials(store: &Store, email: &str) -> Result<Credentials, AccessError> {
    let found: Vec<Credentials> = store.records(
        "SELECT u.id AS user, p.password_hash AS hash
           FROM users u LEFT JOIN access_passwords p ON p.user_id = u.id
          WHERE lower(u.email) = lower(trim(?)) AND u.active ORDER BY u.id LIMIT 1",
        &[Param::Text(email.to_owned())],
    )?;
    Ok(found.into_iter().next().unwrap_or_default())
}

/// Open a session for `user`, whose password was just verified, if they are still active
/// (a write).
pub fn open(
    store: &Store,
    user: i64,
    now: NaiveDateTime,
) -> Result<Option<(Caller, Session)>, AccessError> {
    let Some(caller) = caller(store, user)? else {
        return Ok(None);
    };
    let session = Session {
        id: secret::new_token(),
        csrf: secret::new_token(),
        expires_at: now + Duration::hours(SESSION_HOURS),
    };
    store.transaction(true, || {
        store.execute_with(
            "INSERT INTO access_sessions (id_digest, user_id, csrf_token, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?)",
            &[
                Param::Text(secret::digest(&session.id)),
                Param::Int(caller.user_id),
                Param::Text(session.csrf.clone()),
                Param::Timestamp(now),
                Param::Timestamp(session.expires_at),
            ],
        )?;
        store.execute_with(
            "UPDATE users SET last_login_at = ? WHERE id = ?",
            &[Param::Timestamp(now), Param::Int(caller.user_id)],
        )?;
        record_events(
            store,
            &[Event {
                user: caller.user_id,
                event: "login",
                entity: None,
                entity_id: None,
                at: now,
            }],
        )
    })?;
    Ok(Some((caller, session)))
}

/// The caller and CSRF token of an unexpired session of an active user.
pub fn from_session(
    store: &Store,
    id: &str,
    now: NaiveDateTime,
) -> Result<Option<(Caller, String)>, AccessError> {
    #[derive(serde::Deserialize)]
    struct Session {
        user_id: i64,
        csrf_token: String,
    }
    let found: Vec<Session> = store.records(
        "SELECT user_id, csrf_token FROM access_sessions WHERE id_digest = ? AND expires_at > ?",
        &[Param::Text(secret::digest(id)), Param::Timestamp(now)],
    )?;
    let Some(session) = found.into_iter().next() else {
        return Ok(None);
    };
    Ok(caller(store, session.user_id)?.map(|c| (c, session.csrf_token)))
}

/// The caller behind an unrevoked API token of an active user.
pub fn from_token(store: &Store, token: &str) -> Result<Option<Caller>, AccessError> {
    let found = store.value::<i64>(
        "SELECT user_id FROM access_tokens WHERE token_digest = ? AND revoked_at IS NULL",
        &[Param::Text(secret::digest(token))],
    )?;
    match found {
        Some(user) => caller(store, user),
        None => Ok(None),
    }
}

/// End the session with `id`.
pub fn logout(store: &Store, id: &str) -> Result<(), AccessError> {
    store.execute_with(
        "DELETE FROM access_sessions WHERE id_digest = ?",
        &[Param::Text(secret::digest(id))],
    )?;
    Ok(())
}

/// One `user_events` row to be: what a user did, to which record, when.
#[derive(Debug, Clone)]
pub struct Event {
    pub user: i64,
    pub event: &'static str,
    pub entity: Option<&'static str>,
    pub entity_id: Option<i64>,
    pub at: NaiveDateTime,
}

/// Record what users did in `user_events` (the access audit and adoption metrics read it),
/// in one statement: the one writer of that table.
pub fn record_events(store: &Store, events: &[Event]) -> Result<(), AccessError> {
    if events.is_empty() {
        return Ok(());
    }
    let first = store.reserve_ids("user_events", events.len() as u64)?;
    let rows = vec!["(?, ?, ?, ?, ?, ?)"; events.len()].join(", ");
    let params: Vec<Param> = events
        .iter()
        .zip(first..)
        .flat_map(|(e, id)| {
            [
                Param::Int(id),
                Param::Int(e.user),
                Param::Text(e.event.to_owned()),
                e.entity.map_or(Param::Null, |t| Param::Text(t.to_owned())),
                e.entity_id.map_or(Param::Null, Param::Int),
                Param::Timestamp(e.at),
            ]
        })
        .collect();
    store.execute_with(
        &format!(
            "INSERT INTO user_events (id, user_id, event, entity, entity_id, occurred_at) VALUES {rows}"
        ),
        &params,
    )?;
    Ok(())
}

/// The active user whose e-mail is `email` (in any case) as a caller.
pub fn caller_by_email(store: &Store, email: &str) -> Result<Option<Caller>, AccessError> {
    let found = store.value::<i64>(
        "SELECT id FROM users WHERE lower(email) = lower(?) AND active",
        &[Param::Text(email.to_owned())],
    )?;
    match found {
        Some(id) => caller(store, id),
        None => Ok(None),
    }
}

/// The active user `id` as a caller.
fn caller(store: &Store, id: i64) -> Result<Option<Caller>, AccessError> {
    #[derive(serde::Deserialize)]
    struct User {
        id: i64,
        name: Option<String>,
        email: Option<String>,
        role: Option<String>,
        team_id: Option<i64>,
        team: Option<String>,
    }
    let found: Vec<User> = store.records(
        "SELECT u.id, u.name, u.email, u.role, u.team_id, t.name AS team
           FROM users u LEFT JOIN teams t ON t.id = u.team_id
          WHERE u.id = ? AND u.active",
        &[Param::Int(id)],
    )?;
    let Some(user) = found.into_iter().next() else {
        return Ok(None);
    };
    // A role the schema does not know (an import's typo) grants nothing beyond a viewer's.
    let role = user
        .role
        .and_then(|r| r.parse().ok())
        .unwrap_or(Role::Viewer);
    Ok(Some(Caller {
        user_id: user.id,
        name: user.name.unwrap_or_default(),
        email: user.email,
        role,
        team_id: user.team_id,
        team: user.team,
    }))
}
