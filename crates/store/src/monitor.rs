//! The monitor's own tables: schedules and alert rules, the journal of deliveries,
//! notifications, and corrective actions with the follow-up tasks they create. Rows go in
//! and out as the monitor crate keeps them (JSON lists as text, instants as epoch
//! microseconds); what they mean is the monitor's.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;
use serde::Deserialize;

/// A cadence as stored: every, HH:MM, and the weekday (kept for all, used by weekly).
#[derive(Debug, Clone, Deserialize)]
pub struct StoredCadence {
    pub every: String,
    pub at_time: String,
    pub weekday: Option<String>,
}

impl StoredCadence {
    fn params(&self) -> [Param; 3] {
        [
            Param::Text(self.every.clone()),
            Param::Text(self.at_time.clone()),
            optional_text(self.weekday.as_deref()),
        ]
    }
}

/// A schedule's row.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleRow {
    pub name: String,
    pub report: String,
    /// A JSON object of filters.
    pub filters: String,
    #[serde(flatten)]
    pub cadence: StoredCadence,
    /// A JSON list of e-mail addresses.
    pub recipients: String,
    pub webhook: Option<String>,
    pub format: String,
    /// Epoch microseconds.
    pub created_at: i64,
}

/// A schedule to store.
#[derive(Debug, Clone)]
pub struct NewSchedule<'a> {
    pub name: &'a str,
    pub report: &'a str,
    pub filters: &'a str,
    pub cadence: StoredCadence,
    pub recipients: &'a str,
    pub webhook: Option<&'a str>,
    pub format: &'a str,
    pub created_at: NaiveDateTime,
}

/// An alert rule's row.
#[derive(Debug, Clone, Deserialize)]
pub struct AlertRuleRow {
    pub name: String,
    pub metric: String,
    pub measure: String,
    pub op: String,
    pub threshold: f64,
    /// A JSON object of filters.
    pub filters: String,
    #[serde(flatten)]
    pub cadence: StoredCadence,
    /// A JSON list of e-mail addresses.
    pub recipients: String,
    pub webhook: Option<String>,
    pub cooldown_hours: i64,
    /// Epoch microseconds, as `last_fired_at`.
    pub created_at: i64,
    pub firing: bool,
    pub last_fired_at: Option<i64>,
    pub last_period: Option<String>,
    /// A JSON list of what it fires on.
    pub firing_on: Option<String>,
    pub by_dim: Option<String>,
}

/// An alert rule to store.
#[derive(Debug, Clone)]
pub struct NewAlertRule<'a> {
    pub name: &'a str,
    pub metric: &'a str,
    pub measure: &'a str,
    pub op: &'a str,
    pub threshold: f64,
    pub filters: &'a str,
    pub cadence: StoredCadence,
    pub recipients: &'a str,
    pub webhook: Option<&'a str>,
    pub cooldown_hours: i64,
    pub created_at: NaiveDateTime,
    pub by_dim: Option<&'a str>,
}

/// What judging an alert rule over a period found.
#[derive(Debug, Clone)]
pub struct Judged<'a> {
    pub firing: bool,
    /// When it fired now; `None` keeps the last time.
    pub fired_at: Option<NaiveDateTime>,
    pub period: &'a str,
    /// A JSON list of what it fires on.
    pub firing_on: &'a str,
}

/// What one delivery is of and to: the journal's key.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryKey<'a> {
    /// `schedule` or `alert`.
    pub kind: &'a str,
    pub name: &'a str,
    pub period: &'a str,
    /// `email` or `webhook`.
    pub channel: &'a str,
    pub target: &'a str,
}

impl DeliveryKey<'_> {
    fn params(&self) -> Vec<Param> {
        [self.kind, self.name, self.period, self.channel, self.target]
            .into_iter()
            .map(|v| Param::Text(v.to_owned()))
            .collect()
    }
}

/// A notification to store for one user.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub user_id: i64,
    pub rule: &'a str,
    pub kind: &'a str,
    pub period: &'a str,
    pub message: &'a str,
    /// A JSON object of the records behind it.
    pub records: &'a str,
    pub created_at: NaiveDateTime,
    pub action_id: Option<i64>,
}

/// A notification's row, with whether the action taken from it was undone.
#[derive(Debug, Clone, Deserialize)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub rule: String,
    pub kind: String,
    pub period: String,
    pub message: String,
    pub records: String,
    /// Epoch microseconds, as `read_at`.
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub action_id: Option<i64>,
    pub action_undone: bool,
}

/// A follow-up task for a deal's owner, on the deal's contact and company.
#[derive(Debug, Clone)]
pub struct FollowUpTask<'a> {
    pub id: i64,
    pub owner_id: i64,
    pub deal_id: i64,
    pub subject: &'a str,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// A journaled corrective action.
#[derive(Debug, Clone, Deserialize)]
pub struct JournaledAction {
    /// A JSON list of the activities it created.
    pub activity_ids: Option<String>,
    pub undone: bool,
}

fn optional_text(value: Option<&str>) -> Param {
    value.map_or(Param::Null, |v| Param::Text(v.to_owned()))
}

impl Store {
    /// Schedules by name (only the one called `name` when given).
    pub fn schedule_rows(&self, name: Option<&str>) -> Result<Vec<ScheduleRow>> {
        let named = optional_text(name);
        self.records(
            &format!(
                "SELECT name, report, CAST(filters AS VARCHAR) AS filters, every, at_time, weekday,
                        CAST(recipients AS VARCHAR) AS recipients, webhook, format,
                        {} AS created_at
                   FROM schedules WHERE CAST(? AS VARCHAR) IS NULL OR name = ? ORDER BY name",
                self.dialect().epoch_micros("created_at")
            ),
            &[named.clone(), named],
        )
    }

    /// Keep a new schedule.
    pub fn insert_schedule(&self, schedule: &NewSchedule) -> Result<()> {
        let [every, at_time, weekday] = schedule.cadence.params();
        self.execute_with(
            "INSERT INTO schedules (name, report, filters, every, at_time, weekday, recipients,
                                    webhook, format, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Param::Text(schedule.name.to_owned()),
                Param::Text(schedule.report.to_owned()),
                Param::Text(schedule.filters.to_owned()),
                every,
                at_time,
                weekday,
                Param::Text(schedule.recipients.to_owned()),
                optional_text(schedule.webhook),
                Param::Text(schedule.format.to_owned()),
                Param::Timestamp(schedule.created_at),
            ],
        )?;
        Ok(())
    }

    /// Remove the schedule called `name`; false when there is none.
    pub fn delete_schedule(&self, name: &str) -> Result<bool> {
        Ok(self.execute_with(
            "DELETE FROM schedules WHERE name = ?",
            &[Param::Text(name.to_owned())],
        )? > 0)
    }

    /// Alert rules by name (only the one called `name` when given).
    pub fn alert_rule_rows(&self, name: Option<&str>) -> Result<Vec<AlertRuleRow>> {
        let named = optional_text(name);
        self.records(
            &format!(
                "SELECT name, metric, measure, op, threshold, CAST(filters AS VARCHAR) AS filters,
                        every, at_time, weekday, CAST(recipients AS VARCHAR) AS recipients,
                        webhook, cooldown_hours, {} AS created_at, firing,
                        {} AS last_fired_at, last_period,
                        CAST(firing_on AS VARCHAR) AS firing_on, by_dim
                   FROM alert_rules WHERE CAST(? AS VARCHAR) IS NULL OR name = ? ORDER BY name",
                self.dialect().epoch_micros("created_at"),
                self.dialect().epoch_micros("last_fired_at"),
            ),
            &[named.clone(), named],
        )
    }

    /// Keep a new alert rule, not firing.
    pub fn insert_alert_rule(&self, rule: &NewAlertRule) -> Result<()> {
        let [every, at_time, weekday] = rule.cadence.params();
        self.execute_with(
            "INSERT INTO alert_rules (name, metric, measure, op, threshold, filters, every,
                                      at_time, weekday, recipients, webhook, cooldown_hours,
                                      created_at, by_dim)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Param::Text(rule.name.to_owned()),
                Param::Text(rule.metric.to_owned()),
                Param::Text(rule.measure.to_owned()),
                Param::Text(rule.op.to_owned()),
                Param::Float(rule.threshold),
                Param::Text(rule.filters.to_owned()),
                every,
                at_time,
                weekday,
                Param::Text(rule.recipients.to_owned()),
                optional_text(rule.webhook),
                Param::Int(rule.cooldown_hours),
                Param::Timestamp(rule.created_at),
                optional_text(rule.by_dim),
            ],
        )?;
        Ok(())
    }

    /// Record what judging the rule called `name` found.
    pub fn record_judgement(&self, name: &str, judged: &Judged) -> Result<()> {
        self.execute_with(
            "UPDATE alert_rules SET firing = ?, last_fired_at = coalesce(?, last_fired_at),
                    last_period = ?, firing_on = ?
              WHERE name = ?",
            &[
                Param::Bool(judged.firing),
                judged.fired_at.map_or(Param::Null, Param::Timestamp),
                Param::Text(judged.period.to_owned()),
                Param::Text(judged.firing_on.to_owned()),
                Param::Text(name.to_owned()),
            ],
        )?;
        Ok(())
    }

    /// Remove the alert rule called `name`; false when there is none.
    pub fn delete_alert_rule(&self, name: &str) -> Result<bool> {
        Ok(self.execute_with(
            "DELETE FROM alert_rules WHERE name = ?",
            &[Param::Text(name.to_owned())],
        )? > 0)
    }

    /// How many attempts of the delivery `key` were sent and how many failed.
    pub fn delivery_tries(&self, key: &DeliveryKey) -> Result<(i64, i64)> {
        #[derive(Deserialize)]
        struct Tries {
            sent: i64,
            failed: i64,
        }
        let tries: Vec<Tries> = self.records(
            "SELECT count(*) FILTER (WHERE outcome = 'sent') AS sent,
                    count(*) FILTER (WHERE outcome = 'failed') AS failed
               FROM deliveries
              WHERE kind = ? AND name = ? AND period = ? AND channel = ? AND target = ?",
            &key.params(),
        )?;
        Ok(tries.first().map_or((0, 0), |t| (t.sent, t.failed)))
    }

    /// Journal an attempt of the delivery `key`: `Err` holds why it failed.
    pub fn journal_delivery(
        &self,
        key: &DeliveryKey,
        attempt: i64,
        at: NaiveDateTime,
        outcome: std::result::Result<(), &str>,
    ) -> Result<()> {
        let mut params = key.params();
        params.extend([
            Param::Int(attempt),
            Param::Timestamp(at),
            Param::Text(if outcome.is_ok() { "sent" } else { "failed" }.into()),
            optional_text(outcome.err()),
        ]);
        self.execute_with(
            "INSERT INTO deliveries (id, kind, name, period, channel, target, attempt,
                                     attempted_at, outcome, error)
             VALUES (nextval('deliveries_id'), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &params,
        )?;
        Ok(())
    }

    /// The latest `limit` delivery attempts, newest first: when, kind, name, period,
    /// channel, target, attempt, outcome, error.
    pub fn recent_deliveries(&self, limit: i64) -> Result<embudo_model::Table> {
        self.query_with(
            "SELECT CAST(attempted_at AS VARCHAR) AS at, kind, name, period, channel, target,
                    attempt, outcome, error
               FROM deliveries ORDER BY id DESC LIMIT ?",
            &[Param::Int(limit)],
        )
    }

    /// When `name` of `kind` was last delivered, or why it last failed, in words.
    pub fn last_delivery(&self, kind: &str, name: &str) -> Result<Option<String>> {
        Ok(self
            .value::<Option<String>>(
                "SELECT CAST(attempted_at AS VARCHAR) || ' ' || outcome || coalesce(': ' || error, '')
                   FROM deliveries WHERE kind = ? AND name = ? ORDER BY id DESC LIMIT 1",
                &[Param::Text(kind.into()), Param::Text(name.into())],
            )?
            .flatten())
    }

    /// Keep a notification.
    pub fn insert_notification(&self, notification: &NewNotification) -> Result<()> {
        self.execute_with(
            "INSERT INTO notifications (id, user_id, rule, kind, period, message, records,
                                        created_at, action_id)
             VALUES (nextval('notifications_id'), ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Param::Int(notification.user_id),
                Param::Text(notification.rule.to_owned()),
                Param::Text(notification.kind.to_owned()),
                Param::Text(notification.period.to_owned()),
                Param::Text(notification.message.to_owned()),
                Param::Text(notification.records.to_owned()),
                Param::Timestamp(notification.created_at),
                notification.action_id.map_or(Param::Null, Param::Int),
            ],
        )?;
        Ok(())
    }

    /// Remove the notifications of the tasks action `action` created; how many.
    pub fn delete_task_notifications(&self, action: i64) -> Result<usize> {
        self.execute_with(
            "DELETE FROM notifications WHERE kind = 'tasks' AND action_id = ?",
            &[Param::Int(action)],
        )
    }

    /// `user`'s notifications (only `id` when given), newest first, at most `limit`.
    pub fn notification_rows(
        &self,
        user: i64,
        id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<NotificationRow>> {
        self.records(
            &format!(
                "SELECT n.id, n.user_id, n.rule, n.kind, n.period, n.message,
                        CAST(n.records AS VARCHAR) AS records, {} AS created_at,
                        {} AS read_at, n.action_id, a.undone_at IS NOT NULL AS action_undone
                   FROM notifications n LEFT JOIN action_journal a ON a.id = n.action_id
                  WHERE n.user_id = ? AND n.id = coalesce(CAST(? AS BIGINT), n.id)
                  ORDER BY n.created_at DESC, n.id DESC
                  LIMIT ?",
                self.dialect().epoch_micros("n.created_at"),
                self.dialect().epoch_micros("n.read_at"),
            ),
            &[
                Param::Int(user),
                id.map_or(Param::Null, Param::Int),
                Param::Int(limit as i64),
            ],
        )
    }

    /// How many of `user`'s notifications are unread.
    pub fn unread_notifications(&self, user: i64) -> Result<i64> {
        Ok(self
            .value(
                "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
                &[Param::Int(user)],
            )?
            .unwrap_or(0))
    }

    /// Mark one of `user`'s notifications read (`Some(id)`), or all; how many changed.
    pub fn mark_notifications_read(
        &self,
        user: i64,
        id: Option<i64>,
        now: NaiveDateTime,
    ) -> Result<usize> {
        self.execute_with(
            "UPDATE notifications SET read_at = ?
              WHERE user_id = ? AND read_at IS NULL AND id = coalesce(CAST(? AS BIGINT), id)",
            &[
                Param::Timestamp(now),
                Param::Int(user),
                id.map_or(Param::Null, Param::Int),
            ],
        )
    }

    /// Remember that action `action` was taken from notification `id`.
    pub fn set_notification_action(&self, id: i64, action: i64) -> Result<()> {
        self.execute_with(
            "UPDATE notifications SET action_id = ? WHERE id = ?",
            &[Param::Int(action), Param::Int(id)],
        )?;
        Ok(())
    }

    /// Create a follow-up task on a deal, for its contact and company.
    pub fn insert_follow_up_task(&self, task: &FollowUpTask) -> Result<()> {
        self.execute_with(
            "INSERT INTO activities (id, type, owner_id, contact_id, company_id, deal_id, subject,
                                     due_at, created_at)
             SELECT ?, 'task', ?, contact_id, company_id, id, ?, ?, ? FROM deals WHERE id = ?",
            &[
                Param::Int(task.id),
                Param::Int(task.owner_id),
                Param::Text(task.subject.to_owned()),
                Param::Timestamp(task.due_at),
                Param::Timestamp(task.created_at),
                Param::Int(task.deal_id),
            ],
        )?;
        Ok(())
    }

    /// Journal a follow-up action of `rule` as `id`, with the tasks it created (a JSON
    /// list of ids).
    pub fn journal_follow_up(
        &self,
        id: i64,
        rule: &str,
        at: NaiveDateTime,
        activity_ids: &str,
    ) -> Result<()> {
        self.execute_with(
            "INSERT INTO action_journal (id, rule, action, created_at, activity_ids)
             VALUES (?, ?, 'follow_up', ?, ?)",
            &[
                Param::Int(id),
                Param::Text(rule.to_owned()),
                Param::Timestamp(at),
                Param::Text(activity_ids.to_owned()),
            ],
        )?;
        Ok(())
    }

    /// The action journaled as `id`.
    pub fn journaled_action(&self, id: i64) -> Result<Option<JournaledAction>> {
        let found: Vec<JournaledAction> = self.records(
            "SELECT CAST(activity_ids AS VARCHAR) AS activity_ids, undone_at IS NOT NULL AS undone
               FROM action_journal WHERE id = ?",
            &[Param::Int(id)],
        )?;
        Ok(found.into_iter().next())
    }

    /// Remove task `id` unless it was completed; whether it was removed.
    pub fn delete_open_task(&self, id: i64) -> Result<bool> {
        Ok(self.execute_with(
            "DELETE FROM activities WHERE id = ? AND completed_at IS NULL",
            &[Param::Int(id)],
        )? > 0)
    }

    /// Mark the action journaled as `id` undone at `at`.
    pub fn mark_action_undone(&self, id: i64, at: NaiveDateTime) -> Result<()> {
        self.execute_with(
            "UPDATE action_journal SET undone_at = ? WHERE id = ?",
            &[Param::Timestamp(at), Param::Int(id)],
        )?;
        Ok(())
    }
}
