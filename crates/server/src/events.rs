//! `user_events` written in batches: a read of customer records or a report view is queued
//! and a writer thread appends the queue twice a second, so fifty clients reading reports
//! do not queue behind fifty single-row inserts.

use crate::db::Db;
pub use embudo_access::session::Event;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// How long an event may wait before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(500);

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
        if let Err(error) = db.journal(|store| Ok(store.record_events(&batch)?)) {
            tracing::error!(?error, "writing user_events");
        }
    }
}
