//! The rows behind the server's access: users with their passwords and API tokens,
//! sessions, failed logins, and `user_events`, what users did (this module is its one
//! writer). Whether someone may do something is decided in the `access` crate; this module
//! only reads and writes what it decides with.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;
use embudo_model::Table;
use serde::{Deserialize, Serialize};

/// What a login is checked against: the active user with an e-mail and their password's
/// hash, either possibly missing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StoredCredentials {
    pub user: Option<i64>,
    pub hash: Option<String>,
}

/// An active user, with their team's name.
#[derive(Debug, Clone, Deserialize)]
pub struct ActiveUser {
    pub id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub team_id: Option<i64>,
    pub team: Option<String>,
}

/// A user as `embudo user list` shows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// A user to insert, already checked.
#[derive(Debug, Clone)]
pub struct UserInsert<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role: &'a str,
    pub team_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// A session to keep: its id's digest (never the id), its CSRF token, its lifetime.
#[derive(Debug, Clone)]
pub struct SessionInsert<'a> {
    pub id_digest: &'a str,
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// A kept session: whose it is and its CSRF token.
#[derive(Debug, Clone, Deserialize)]
pub struct StoredSession {
    pub user_id: i64,
    pub csrf_token: String,
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

/// Whose name a filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOf {
    User,
    Team,
}

impl Store {
    /// Every user with their role, status and last login, how many exports and report views
    /// they made since `active_since`, and `inactive_90d_with_access`: active yet not logged
    /// in since `idle_before` (never, or before it). Accounts to review come first.
    pub fn access_review(
        &self,
        active_since: NaiveDateTime,
        idle_before: NaiveDateTime,
    ) -> Result<Table> {
        self.query_with(
            "SELECT u.name AS user, u.role, u.active,
                    CAST(u.last_login_at AS VARCHAR) AS last_login,
                    (SELECT count(*) FROM user_events e WHERE e.user_id = u.id
                        AND e.event = 'export' AND e.occurred_at >= ?) AS exports_30d,
                    (SELECT count(*) FROM user_events e WHERE e.user_id = u.id
                        AND e.event = 'report_viewed' AND e.occurred_at >= ?) AS reports_viewed_30d,
                    u.active AND (u.last_login_at IS NULL OR u.last_login_at < ?)
                        AS inactive_90d_with_access
               FROM users u
              ORDER BY inactive_90d_with_access DESC, exports_30d DESC, u.name",
            &[
                Param::Timestamp(active_since),
                Param::Timestamp(active_since),
                Param::Timestamp(idle_before),
            ],
        )
    }

    /// The credentials of the active user with `email` (any case, spaces around ignored).
    pub fn credentials(&self, email: &str) -> Result<StoredCredentials> {
        let found: Vec<StoredCredentials> = self.records(
            "SELECT u.id AS user, p.password_hash AS hash
               FROM users u LEFT JOIN access_passwords p ON p.user_id = u.id
              WHERE lower(u.email) = lower(trim(?)) AND u.active ORDER BY u.id LIMIT 1",
            &[Param::Text(email.to_owned())],
        )?;
        Ok(found.into_iter().next().unwrap_or_default())
    }

    /// The active user `id`, with their team's name.
    pub fn active_user(&self, id: i64) -> Result<Option<ActiveUser>> {
        let found: Vec<ActiveUser> = self.records(
            "SELECT u.id, u.name, u.email, u.role, u.team_id, t.name AS team
               FROM users u LEFT JOIN teams t ON t.id = u.team_id
              WHERE u.id = ? AND u.active",
            &[Param::Int(id)],
        )?;
        Ok(found.into_iter().next())
    }

    /// The id of the active user whose e-mail is `email` (any case).
    pub fn active_user_by_email(&self, email: &str) -> Result<Option<i64>> {
        self.value(
            "SELECT id FROM users WHERE lower(email) = lower(?) AND active",
            &[Param::Text(email.to_owned())],
        )
    }

    /// The id of the user, active or not, whose e-mail is `email` (any case, spaces around
    /// ignored); the first when several share it.
    pub fn user_by_email(&self, email: &str) -> Result<Option<i64>> {
        self.value(
            "SELECT id FROM users WHERE lower(email) = lower(trim(?)) ORDER BY id LIMIT 1",
            &[Param::Text(email.to_owned())],
        )
    }

    /// The language user `user` chose for what Embudo sends them, if any.
    pub fn user_lang(&self, user: i64) -> Result<Option<String>> {
        Ok(self
            .value::<Option<String>>("SELECT lang FROM users WHERE id = ?", &[Param::Int(user)])?
            .flatten())
    }

    /// How many users or teams are called `name` (any case).
    pub fn count_named(&self, of: NameOf, name: &str) -> Result<i64> {
        let sql = match of {
            NameOf::User => "SELECT count(*) FROM users WHERE lower(name) = lower(?)",
            NameOf::Team => "SELECT count(*) FROM teams WHERE lower(name) = lower(?)",
        };
        Ok(self
            .value::<i64>(sql, &[Param::Text(name.to_owned())])?
            .unwrap_or(0))
    }

    /// Every user, by id.
    pub fn user_rows(&self) -> Result<Vec<UserRow>> {
        self.records(
            "SELECT u.id, coalesce(u.name, '') AS name, u.email, coalesce(u.role, '') AS role,
                    t.name AS team, coalesce(u.active, false) AS active,
                    p.user_id IS NOT NULL AS password,
                    (SELECT count(*) FROM access_tokens k
                      WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS tokens,
                    CAST(u.last_login_at AS VARCHAR) AS last_login_at
               FROM users u LEFT JOIN teams t ON t.id = u.team_id
               LEFT JOIN access_passwords p ON p.user_id = u.id
              ORDER BY u.id",
            &[],
        )
    }

    /// Insert an active user; returns their new id.
    pub fn insert_user(&self, user: &UserInsert) -> Result<i64> {
        let id = self.next_id("users")?;
        self.execute_with(
            "INSERT INTO users (id, name, email, role, team_id, active, created_at)
             VALUES (?, ?, ?, ?, ?, true, ?)",
            &[
                Param::Int(id),
                Param::Text(user.name.to_owned()),
                Param::Text(user.email.to_owned()),
                Param::Text(user.role.to_owned()),
                user.team_id.map_or(Param::Null, Param::Int),
                Param::Timestamp(user.created_at),
            ],
        )?;
        Ok(id)
    }

    /// The team called `name`, created when missing.
    pub fn team_named(&self, name: &str) -> Result<i64> {
        let found = self.value::<i64>(
            "SELECT id FROM teams WHERE name = ? ORDER BY id LIMIT 1",
            &[Param::Text(name.to_owned())],
        )?;
        if let Some(id) = found {
            return Ok(id);
        }
        let id = self.next_id("teams")?;
        self.execute_with(
            "INSERT INTO teams (id, name) VALUES (?, ?)",
            &[Param::Int(id), Param::Text(name.to_owned())],
        )?;
        Ok(id)
    }

    /// Give user `user` the password hashed as `hash`, in place of any they had.
    pub fn replace_password(&self, user: i64, hash: &str, now: NaiveDateTime) -> Result<()> {
        self.execute_with(
            "DELETE FROM access_passwords WHERE user_id = ?",
            &[Param::Int(user)],
        )?;
        self.execute_with(
            "INSERT INTO access_passwords (user_id, password_hash, updated_at) VALUES (?, ?, ?)",
            &[
                Param::Int(user),
                Param::Text(hash.to_owned()),
                Param::Timestamp(now),
            ],
        )?;
        Ok(())
    }

    /// Mark user `user` inactive and revoke their tokens.
    pub fn deactivate_user(&self, user: i64, now: NaiveDateTime) -> Result<()> {
        self.execute_with(
            "UPDATE users SET active = false WHERE id = ?",
            &[Param::Int(user)],
        )?;
        self.execute_with(
            "UPDATE access_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            &[Param::Timestamp(now), Param::Int(user)],
        )?;
        Ok(())
    }

    /// Set user `user`'s role.
    pub fn set_user_role(&self, user: i64, role: &str) -> Result<()> {
        self.execute_with(
            "UPDATE users SET role = ? WHERE id = ?",
            &[Param::Text(role.to_owned()), Param::Int(user)],
        )?;
        Ok(())
    }

    /// Set the language user `user` reads what Embudo sends them in.
    pub fn set_user_lang(&self, user: i64, lang: &str) -> Result<()> {
        self.execute_with(
            "UPDATE users SET lang = ? WHERE id = ?",
            &[Param::Text(lang.to_owned()), Param::Int(user)],
        )?;
        Ok(())
    }

    /// Record that user `user` logged in at `now`.
    pub fn set_last_login(&self, user: i64, now: NaiveDateTime) -> Result<()> {
        self.execute_with(
            "UPDATE users SET last_login_at = ? WHERE id = ?",
            &[Param::Timestamp(now), Param::Int(user)],
        )?;
        Ok(())
    }

    /// Keep an API token of user `user` by its digest; returns the token's row id.
    pub fn insert_token(
        &self,
        user: i64,
        name: &str,
        digest: &str,
        now: NaiveDateTime,
    ) -> Result<i64> {
        let id = self.next_id("access_tokens")?;
        self.execute_with(
            "INSERT INTO access_tokens (id, user_id, name, token_digest, created_at)
             VALUES (?, ?, ?, ?, ?)",
            &[
                Param::Int(id),
                Param::Int(user),
                Param::Text(name.to_owned()),
                Param::Text(digest.to_owned()),
                Param::Timestamp(now),
            ],
        )?;
        Ok(id)
    }

    /// The user of the unrevoked API token whose digest is `digest`.
    pub fn token_user(&self, digest: &str) -> Result<Option<i64>> {
        self.value(
            "SELECT user_id FROM access_tokens WHERE token_digest = ? AND revoked_at IS NULL",
            &[Param::Text(digest.to_owned())],
        )
    }

    /// Keep a new session.
    pub fn insert_session(&self, session: &SessionInsert) -> Result<()> {
        self.execute_with(
            "INSERT INTO access_sessions (id_digest, user_id, csrf_token, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?)",
            &[
                Param::Text(session.id_digest.to_owned()),
                Param::Int(session.user_id),
                Param::Text(session.csrf_token.to_owned()),
                Param::Timestamp(session.created_at),
                Param::Timestamp(session.expires_at),
            ],
        )?;
        Ok(())
    }

    /// The session whose id's digest is `digest`, if it has not expired by `now`.
    pub fn session(&self, digest: &str, now: NaiveDateTime) -> Result<Option<StoredSession>> {
        let found: Vec<StoredSession> = self.records(
            "SELECT user_id, csrf_token FROM access_sessions
              WHERE id_digest = ? AND expires_at > ?",
            &[Param::Text(digest.to_owned()), Param::Timestamp(now)],
        )?;
        Ok(found.into_iter().next())
    }

    /// End the session whose id's digest is `digest`.
    pub fn delete_session(&self, digest: &str) -> Result<()> {
        self.execute_with(
            "DELETE FROM access_sessions WHERE id_digest = ?",
            &[Param::Text(digest.to_owned())],
        )?;
        Ok(())
    }

    /// End every session of user `user`.
    pub fn delete_sessions_of(&self, user: i64) -> Result<()> {
        self.execute_with(
            "DELETE FROM access_sessions WHERE user_id = ?",
            &[Param::Int(user)],
        )?;
        Ok(())
    }

    /// Record what users did, in one statement.
    pub fn record_events(&self, events: &[Event]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let first = self.reserve_ids("user_events", events.len() as u64)?;
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
        self.execute_with(
            &format!(
                "INSERT INTO user_events (id, user_id, event, entity, entity_id, occurred_at)
                 VALUES {rows}"
            ),
            &params,
        )?;
        Ok(())
    }

    /// Keep a failed login of each of `keys` (an account's, an address's) at `now`.
    pub fn insert_login_failures(&self, keys: &[String], now: NaiveDateTime) -> Result<()> {
        for key in keys {
            self.execute_with(
                "INSERT INTO access_login_failures (key, failed_at) VALUES (?, ?)",
                &[Param::Text(key.clone()), Param::Timestamp(now)],
            )?;
        }
        Ok(())
    }

    /// Forget the failed logins at or before `until`.
    pub fn forget_login_failures(&self, until: NaiveDateTime) -> Result<()> {
        self.execute_with(
            "DELETE FROM access_login_failures WHERE failed_at <= ?",
            &[Param::Timestamp(until)],
        )?;
        Ok(())
    }

    /// The failed logins after `since` of two keys (of every key when `None`), oldest first.
    pub fn login_failures(
        &self,
        keys: Option<&[String; 2]>,
        since: NaiveDateTime,
    ) -> Result<Vec<(String, NaiveDateTime)>> {
        let (first, second) = match keys {
            Some([first, second]) => (Param::Text(first.clone()), Param::Text(second.clone())),
            None => (Param::Null, Param::Null),
        };
        #[derive(Deserialize)]
        struct Failure {
            key: String,
            failed_at: String,
        }
        let found: Vec<Failure> = self.records(
            "SELECT key, CAST(failed_at AS VARCHAR) AS failed_at FROM access_login_failures
              WHERE failed_at > ? AND (CAST(? AS VARCHAR) IS NULL OR key IN (?, ?))
              ORDER BY failed_at",
            &[Param::Timestamp(since), first.clone(), first, second],
        )?;
        Ok(found
            .into_iter()
            .filter_map(|f| {
                NaiveDateTime::parse_from_str(&f.failed_at, "%Y-%m-%d %H:%M:%S%.f")
                    .ok()
                    .map(|at| (f.key, at))
            })
            .collect())
    }
}
