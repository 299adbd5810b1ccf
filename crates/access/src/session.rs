//! Logging in, sessions, and who is calling.

use crate::secret;
use crate::{AccessError, Role};
use chrono::{Duration, NaiveDateTime};
use embudo_store::Store;
pub use embudo_store::access::Event;
use embudo_store::access::{SessionInsert, StoredCredentials};
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
#[derive(Debug, Clone, Default)]
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
    let StoredCredentials { user, hash } = store.credentials(email)?;
    Ok(Credentials { user, hash })
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
        store.insert_session(&SessionInsert {
            id_digest: &secret::digest(&session.id),
            user_id: caller.user_id,
            csrf_token: &session.csrf,
            created_at: now,
            expires_at: session.expires_at,
        })?;
        store.set_last_login(caller.user_id, now)?;
        store.record_events(&[Event {
            user: caller.user_id,
            event: "login",
            entity: None,
            entity_id: None,
            at: now,
        }])
    })?;
    Ok(Some((caller, session)))
}

/// The caller and CSRF token of an unexpired session of an active user.
pub fn from_session(
    store: &Store,
    id: &str,
    now: NaiveDateTime,
) -> Result<Option<(Caller, String)>, AccessError> {
    let Some(session) = store.session(&secret::digest(id), now)? else {
        return Ok(None);
    };
    Ok(caller(store, session.user_id)?.map(|c| (c, session.csrf_token)))
}

/// The caller behind an unrevoked API token of an active user.
pub fn from_token(store: &Store, token: &str) -> Result<Option<Caller>, AccessError> {
    match store.token_user(&secret::digest(token))? {
        Some(user) => caller(store, user),
        None => Ok(None),
    }
}

/// End the session with `id`.
pub fn logout(store: &Store, id: &str) -> Result<(), AccessError> {
    Ok(store.delete_session(&secret::digest(id))?)
}

/// The active user whose e-mail is `email` (in any case) as a caller.
pub fn caller_by_email(store: &Store, email: &str) -> Result<Option<Caller>, AccessError> {
    match store.active_user_by_email(email)? {
        Some(id) => caller(store, id),
        None => Ok(None),
    }
}

/// The active user `id` as a caller.
fn caller(store: &Store, id: i64) -> Result<Option<Caller>, AccessError> {
    let Some(user) = store.active_user(id)? else {
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
