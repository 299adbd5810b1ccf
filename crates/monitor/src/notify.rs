//! What the product tells each user in its own pages: the alerts that fired for them and
//! the follow-up tasks a corrective action gave them, read or unread. E-mail and webhooks
//! may fail or be unconfigured; a notification is written whatever became of them.

use crate::MonitorError;
use crate::watch::instant_from_micros;
use chrono::NaiveDateTime;
use embudo_access::session::caller_by_email;
use embudo_store::Store;
use embudo_store::monitor::NewNotification;
use serde::{Deserialize, Serialize};

/// Why a user is told something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An alert rule fired and the user is one of its recipients.
    Alert,
    /// A corrective action created follow-up tasks for the user.
    Tasks,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Alert => "alert",
            Kind::Tasks => "tasks",
        }
    }

    fn parse(text: &str) -> Kind {
        if text == "tasks" {
            Kind::Tasks
        } else {
            Kind::Alert
        }
    }
}

/// What is behind a notification: records (a table and ids in it), and the metrics that
/// explain it (a metric rule's own, a goal's drivers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    /// `deals` or `tickets`; empty when the figure has no records behind it.
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub ids: Vec<i64>,
    #[serde(default)]
    pub metrics: Vec<String>,
}

impl Records {
    pub fn of(entity: &str, ids: impl IntoIterator<Item = i64>) -> Records {
        Records {
            entity: entity.to_owned(),
            ids: ids.into_iter().collect(),
            metrics: Vec::new(),
        }
    }

    /// No records, these metrics.
    pub fn metrics(metrics: Vec<String>) -> Records {
        Records {
            metrics,
            ..Records::default()
        }
    }
}

/// A notification as its user reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub rule: String,
    pub kind: Kind,
    pub period: String,
    pub message: String,
    pub records: Records,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
    /// The corrective action taken from it (`action_journal.id`), and whether it was undone.
    pub action_id: Option<i64>,
    pub action_undone: bool,
}

/// What is said to whom: one notification per user in `users`.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub rule: &'a str,
    pub kind: Kind,
    pub period: &'a str,
    pub text: &'a str,
    pub records: &'a Records,
    /// The action the message is about (tasks it created), undone with it.
    pub action: Option<i64>,
}

/// Tell each of `users` (ids) `message` at `now`.
pub fn tell(
    store: &Store,
    users: &[i64],
    message: &Message<'_>,
    now: NaiveDateTime,
) -> Result<(), MonitorError> {
    let records = serde_json::to_string(message.records).expect("ids and a name");
    for user in users {
        store.insert_notification(&NewNotification {
            user_id: *user,
            rule: message.rule,
            kind: message.kind.as_str(),
            period: message.period,
            message: message.text,
            records: &records,
            created_at: now,
            action_id: message.action,
        })?;
    }
    Ok(())
}

/// Take back what owners were told of the tasks an undone action had created.
pub fn withdraw_tasks(store: &Store, action: i64) -> Result<usize, MonitorError> {
    Ok(store.delete_task_notifications(action)?)
}

/// The ids of the active users with these e-mail addresses (in any case), in their order;
/// addresses of no active user are left out.
pub fn users_by_email(store: &Store, emails: &[String]) -> Result<Vec<i64>, MonitorError> {
    let mut ids = Vec::new();
    for email in emails {
        ids.extend(caller_by_email(store, email.trim())?.map(|caller| caller.user_id));
    }
    Ok(ids)
}

/// `user`'s notifications, newest first, at most `limit`.
pub fn list(store: &Store, user: i64, limit: usize) -> Result<Vec<Notification>, MonitorError> {
    read(store, user, None, limit)
}

/// One of `user`'s notifications (another user's is not found).
pub fn get(store: &Store, user: i64, id: i64) -> Result<Option<Notification>, MonitorError> {
    Ok(read(store, user, Some(id), 1)?.pop())
}

/// How many of `user`'s notifications are unread.
pub fn unread(store: &Store, user: i64) -> Result<i64, MonitorError> {
    Ok(store.unread_notifications(user)?)
}

/// Mark one of `user`'s notifications read (`Some(id)`), or all of them; how many changed.
pub fn mark_read(
    store: &Store,
    user: i64,
    id: Option<i64>,
    now: NaiveDateTime,
) -> Result<usize, MonitorError> {
    Ok(store.mark_notifications_read(user, id, now)?)
}

/// Remember that the action journaled as `action` was taken from notification `id`.
pub fn set_action(store: &Store, id: i64, action: i64) -> Result<(), MonitorError> {
    Ok(store.set_notification_action(id, action)?)
}

fn read(
    store: &Store,
    user: i64,
    id: Option<i64>,
    limit: usize,
) -> Result<Vec<Notification>, MonitorError> {
    let stored = store.notification_rows(user, id, limit)?;
    stored
        .into_iter()
        .map(|row| {
            Ok(Notification {
                id: row.id,
                user_id: row.user_id,
                kind: Kind::parse(&row.kind),
                records: serde_json::from_str(&row.records).unwrap_or_default(),
                created_at: instant_from_micros(row.created_at)?,
                read_at: row.read_at.map(instant_from_micros).transpose()?,
                action_id: row.action_id,
                action_undone: row.action_undone,
                rule: row.rule,
                period: row.period,
                message: row.message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_from_what_an_older_row_holds() {
        let empty: Records = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Records::default());
        let deals: Records = serde_json::from_str(r#"{"entity":"deals","ids":[3,1]}"#).unwrap();
        assert_eq!(deals, Records::of("deals", [3, 1]));
    }
}
