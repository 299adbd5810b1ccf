//! Who may use Embudo's server, how they prove it, and what each person may see.
//!
//! - [`Role`]: admin, manager, rep, agent, viewer — the `users.role` of the schema.
//! - [`secret`]: passwords hashed with argon2id; API tokens and session ids drawn at random
//!   and stored only as SHA-256 digests.
//! - [`users`]: adding users with a password, listing and disabling them, API tokens.
//! - [`session`]: logging in (the same work whether or not the user exists), sessions with
//!   their CSRF token, and the [`Caller`] behind a session cookie or a bearer token.
//! - [`scope`]: the one place that says which rows of each table a caller may see — as SQL
//!   conditions with bound parameters — which reports and metrics, over whose records, and
//!   whether contact details are masked.
//!
//! Nothing here speaks HTTP; the server and the command line both build on it.

pub mod scope;
pub mod secret;
pub mod session;
pub mod users;

pub use scope::{Entity, Rows};
pub use session::Caller;

use std::str::FromStr;

/// What a user does, and so what they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// Their team's records and reports over them.
    Manager,
    /// Their own deals, contacts, companies and activities, and reports over them.
    Rep,
    /// Tickets, service calls and the service report.
    Agent,
    /// Reports and metrics only, contact details masked.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Manager,
        Role::Rep,
        Role::Agent,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Rep => "rep",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }
}

impl FromStr for Role {
    type Err = AccessError;

    fn from_str(text: &str) -> Result<Role, AccessError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| AccessError::Invalid {
                field: "role",
                message: format!("'{text}' is not a role: admin, manager, rep, agent or viewer"),
            })
    }
}

/// What can go wrong managing access.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(transparent)]
    Store(#[from] embudo_store::StoreError),
    /// A value a person gave is not acceptable; `field` names it.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    /// The caller's role does not let them see what was asked.
    #[error("{0}")]
    Forbidden(String),
    /// The password hasher failed (it does not for valid parameters).
    #[error("hashing a password: {0}")]
    Hash(String),
}
