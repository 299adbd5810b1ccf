//! Users of the server: adding one with a password, listing, disabling, API tokens.

use crate::secret;
use crate::{AccessError, Role};
use chrono::NaiveDateTime;
use embudo_store::{Param, Store};
use serde::Serialize;

/// A user to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The team by name; created when it does not exist yet.
    pub team: Option<String>,
}

/// A user as `embudo user list` shows them.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub role: String,
    pub team: Option<String>,
    pub active: bool,
    /// Whether they can log in with a password.
    pub password: bool,
    pub tokens: i64,
    pub last_login_at: Option<String>,
}

/// Add `user` with `password` (hashed before it reaches the store); returns the new id.
pub fn add(
    store: &Store,
    user: &NewUser,
    password: &str,
    now: NaiveDateTime,
) -> Result<i64, AccessError> {
    let email = user.email.trim().to_lowercase();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(AccessError::Invalid {
            field: "email",
            message: format!("'{}' is not an e-mail address", user.email),
        });
    }
    if user.name.trim().is_empty() {
        return Err(AccessError::Invalid {
            field: "name",
            message: "must not be empty".into(),
        });
    }
    if find(store, &email)?.is_some() {
        return Err(AccessError::Invalid {
            field: "email",
            message: format!("a user with the e-mail {email} already exists"),
        });
    }
    let hash = secret::hash_password(password)?;
    store.transaction(true, || {
        let team = user
            .team
            .as_deref()
            .map(|name| team_id(store, name))
            .transpose()?;
        let id = store.next_id("users")?;
        store.execute_with(
            "INSERT INTO users (id, name, email, role, team_id, active, created_at)
             VALUES (?, ?, ?, ?, ?, true, ?)",
            &[
                Param::Int(id),
                Param::Text(user.name.trim().to_owned()),
                Param::Text(email.clone()),
                Param::Text(user.role.as_str().to_owned()),
                team.map_or(Param::Null, Param::Int),
                Param::Timestamp(now),
            ],
        )?;
        write_password(store, id, &hash, now)?;
        Ok(id)
    })
}

/// Give an existing user (say, one imported from a CRM) a new password.
pub fn set_password(
    store: &Store,
    email: &str,
    password: &str,
    now: NaiveDateTime,
) -> Result<(), AccessError> {
    let id = find(store, email)?.ok_or_else(|| no_user(email))?;
    let hash = secret::hash_password(password)?;
    store.transaction(true, || {
        store.execute_with(
            "DELETE FROM access_passwords WHERE user_id = ?",
            &[Param::Int(id)],
        )?;
        write_password(store, id, &hash, now)
    })
}

/// Every user, by id.
pub fn list(store: &Store) -> Result<Vec<UserRow>, AccessError> {
    Ok(store.records(
        "SELECT u.id, coalesce(u.name, '') AS name, u.email, coalesce(u.role, '') AS role,
                t.name AS team, coalesce(u.active, false) AS active,
                p.user_id IS NOT NULL AS password,
                (SELECT count(*) FROM access_tokens k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS tokens,
                CAST(u.last_login_at AS VARCHAR) AS last_login_at
           FROM users u LEFT JOIN teams t ON t.id = u.team_id
           LEFT JOIN access_passwords p ON p.user_id = u.id
          ORDER BY u.id",
        &[],
    )?)
}

/// Disable the user with `email`: they can no longer log in, their sessions end and their
/// tokens are revoked. Their records stay.
pub fn disable(store: &Store, email: &str, now: NaiveDateTime) -> Result<(), AccessError> {
    let id = find(store, email)?.ok_or_else(|| no_user(email))?;
    store.transaction(true, || {
        store.execute_with(
            "UPDATE users SET active = false WHERE id = ?",
            &[Param::Int(id)],
        )?;
        store.execute_with(
            "UPDATE access_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            &[Param::Timestamp(now), Param::Int(id)],
        )?;
        store.execute_with(
            "DELETE FROM access_sessions WHERE user_id = ?",
            &[Param::Int(id)],
        )?;
        Ok(())
    })
}

/// Give the user with `email` another role; their sessions end, so the next request is
/// judged by the new one.
pub fn set_role(store: &Store, email: &str, role: Role) -> Result<(), AccessError> {
    let id = find(store, email)?.ok_or_else(|| no_user(email))?;
    store.transaction(true, || {
        store.execute_with(
            "UPDATE users SET role = ? WHERE id = ?",
            &[Param::Text(role.as_str().to_owned()), Param::Int(id)],
        )?;
        store.execute_with(
            "DELETE FROM access_sessions WHERE user_id = ?",
            &[Param::Int(id)],
        )?;
        Ok(())
    })
}

/// The language the user with `email` reads what Embudo sends them in: `en` or `es`.
pub fn set_lang(store: &Store, email: &str, lang: &str) -> Result<(), AccessError> {
    if !["en", "es"].contains(&lang) {
        return Err(AccessError::Invalid {
            field: "lang",
            message: format!("'{lang}' is not a language Embudo speaks: en or es"),
        });
    }
    let id = find(store, email)?.ok_or_else(|| no_user(email))?;
    store.execute_with(
        "UPDATE users SET lang = ? WHERE id = ?",
        &[Param::Text(lang.to_owned()), Param::Int(id)],
    )?;
    Ok(())
}

/// A new API token for the user with `email`: the token itself is returned once and only its
/// digest is kept.
pub fn create_token(
    store: &Store,
    email: &str,
    name: &str,
    now: NaiveDateTime,
) -> Result<String, AccessError> {
    let user = find(store, email)?.ok_or_else(|| no_user(email))?;
    let token = format!("embudo_{}", secret::new_token());
    store.transaction(true, || {
        let id = store.next_id("access_tokens")?;
        store.execute_with(
            "INSERT INTO access_tokens (id, user_id, name, token_digest, created_at) VALUES (?, ?, ?, ?, ?)",
            &[
                Param::Int(id),
                Param::Int(user),
                Param::Text(name.to_owned()),
                Param::Text(secret::digest(&token)),
                Param::Timestamp(now),
            ],
        )?;
        Ok::<_, AccessError>(())
    })?;
    Ok(token)
}

/// The id of the user with `email` (any case), if there is one.
pub fn find(store: &Store, email: &str) -> Result<Option<i64>, AccessError> {
    Ok(store.value(
        "SELECT id FROM users WHERE lower(email) = lower(trim(?)) ORDER BY id LIMIT 1",
        &[Param::Text(email.to_owned())],
    )?)
}

fn no_user(email: &str) -> AccessError {
    AccessError::NotFound(format!(
        "no user with the e-mail {email}: `embudo user list` shows them"
    ))
}

fn write_password(
    store: &Store,
    id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> Result<(), AccessError> {
    store.execute_with(
        "INSERT INTO access_passwords (user_id, password_hash, updated_at) VALUES (?, ?, ?)",
        &[
            Param::Int(id),
            Param::Text(hash.to_owned()),
            Param::Timestamp(now),
        ],
    )?;
    Ok(())
}

/// The team called `name`, created when missing.
fn team_id(store: &Store, name: &str) -> Result<i64, AccessError> {
    let found = store.value::<i64>(
        "SELECT id FROM teams WHERE name = ? ORDER BY id LIMIT 1",
        &[Param::Text(name.to_owned())],
    )?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id = store.next_id("teams")?;
    store.execute_with(
        "INSERT INTO teams (id, name) VALUES (?, ?)",
        &[Param::Int(id), Param::Text(name.to_owned())],
    )?;
    Ok(id)
}
