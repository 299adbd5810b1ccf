//! Users of the server: adding one with a password, listing, disabling, API tokens.

use crate::secret;
use crate::{AccessError, Role};
use chrono::NaiveDateTime;
use embudo_store::Store;
use embudo_store::access::UserInsert;
pub use embudo_store::access::UserRow;

/// A user to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The team by name; created when it does not exist yet.
    pub team: Option<String>,
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
        let team_id = user
            .team
            .as_deref()
            .map(|name| store.team_named(name))
            .transpose()?;
        let id = store.insert_user(&UserInsert {
            name: user.name.trim(),
            email: &email,
            role: user.role.as_str(),
            team_id,
            created_at: now,
        })?;
        store.replace_password(id, &hash, now)?;
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
    Ok(store.transaction(true, || store.replace_password(id, &hash, now))?)
}

/// Every user, by id.
pub fn list(store: &Store) -> Result<Vec<UserRow>, AccessError> {
    Ok(store.user_rows()?)
}

/// Disable the user with `email`: they can no longer log in, their sessions end and their
/// tokens are revoked. Their records stay.
pub fn disable(store: &Store, email: &str, now: NaiveDateTime) -> Result<(), AccessError> {
    let id = find(store, email)?.ok_or_else(|| no_user(email))?;
    Ok(store.transaction(true, || {
        store.deactivate_user(id, now)?;
        store.delete_sessions_of(id)
    })?)
}

/// Give the user with `email` another role; their sessions end, so the next request is
/// judged by the new one.
pub fn set_role(store: &Store, email: &str, role: Role) -> Result<(), AccessError> {
    let id = find(store, email)?.ok_or_else(|| no_user(email))?;
    Ok(store.transaction(true, || {
        store.set_user_role(id, role.as_str())?;
        store.delete_sessions_of(id)
    })?)
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
    Ok(store.set_user_lang(id, lang)?)
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
        store.insert_token(user, name, &secret::digest(&token), now)
    })?;
    Ok(token)
}

/// The id of the user with `email` (any case), if there is one.
pub fn find(store: &Store, email: &str) -> Result<Option<i64>, AccessError> {
    Ok(store.user_by_email(email)?)
}

fn no_user(email: &str) -> AccessError {
    AccessError::NotFound(format!(
        "no user with the e-mail {email}: `embudo user list` shows them"
    ))
}
