//! `user_events` written in batches: a read of customer records or a report view is queued
//! and a writer thread appends the queue twice a second, so fifty clients reading reports
//! do not queue behind fifty single-row inserts.

use crate::db::Db;
use crate::error::ApiError;
use chrono::NaiveDateTime;
use embudo_store::{Param, Store};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// How long an event may wait before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(500);

/// One `user_events` row to be.
#[derive(Debug, Clone)]
pub struct Event {
    pub user: i64,
    pub event: &'static str,
    pub entity: Option<&'static str>,
    pub entity_id: Option<i64>,
    pub at: NaiveDateTime,
}

/// The queue's sending end.
#[derive(Debug, Clone)]
pub struct Events {
    sender: mpsc::Sender<Event>,
}

impl Events {
    /// Start the writer thread; it ends (after writing what is left) when every `Events`
    /// is dropped.
    pub fn start(db: Arc<Db>) -> Events {
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("user-events".into())
            .spawn(move || write_batches(&db, &receiver))
            .expect("starting the user_events writer");
        Events { sender }
    }

    /// Queue `event`; it is written within [`FLUSH_EVERY`].
    pub fn record(&self, event: Event) {
        // Only fails once the writer has stopped, at shutdown.
        let _ = self.sender.send(event);
    }
}

fn write_batches(db: &Db, receiver: &mpsc::Receiver<Event>) {
    // Each batch starts with the first event after a quiet spell and takes in whatever
    // arrives within FLUSH_EVERY of it.
    while let Ok(first) = receiver.recv() {
        let until = std::time::Instant::now() + FLUSH_EVERY;
        let mut batch = vec![first];
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            match receiver.recv_timeout(left) {
                Ok(event) => batch.push(event),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        if let Err(error) = db.log_blocking(|store| insert(store, &batch)) {
            tracing::error!(?error, "writing user_events");
        }
    }
}

/// Append `batch` to `user_events` in one statement, ids after the largest.
fn insert(store: &Store, batch: &[Event]) -> Result<(), ApiError> {
    let rows = vec!["(?, ?, ?, ?, ?, ?)"; batch.len()].join(", ");
    let params: Vec<Param> = batch
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            [
                Param::Int(i as i64),
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
            "INSERT INTO user_events (id, user_id, event, entity, entity_id, occurred_at)
             SELECT (SELECT coalesce(max(id), 0) FROM user_events) + 1 + n, user_id, event, entity, entity_id, occurred
               FROM (VALUES {rows}) AS v(n, user_id, event, entity, entity_id, occurred)"
        ),
        &params,
    )?;
    Ok(())
}
