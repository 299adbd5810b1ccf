//! The store as the server uses it: the server owns the file, reads run on a few
//! connections at once, writes on one, all off the async threads.
//!
//! DuckDB lets several connections of one process read while another writes (each sees a
//! consistent snapshot). One writer means two requests never race to the same new id or
//! conflict on a row; a write still runs in a transaction, so a failure leaves nothing.

use crate::error::ApiError;
use embudo_store::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Read connections: enough for both cores and a request waiting on I/O.
const READERS: usize = 4;

#[derive(Debug)]
pub struct Db {
    readers: Mutex<Vec<Store>>,
    permits: Semaphore,
    writer: Mutex<Store>,
    /// Counts writes to business data: a cached answer from an older generation is stale.
    generation: AtomicU64,
}

impl Db {
    /// Share `store` (opened read-write) as one writer and [`READERS`] readers.
    pub fn new(store: Store) -> Result<Db, embudo_store::StoreError> {
        let readers = (0..READERS)
            .map(|_| store.try_clone())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Db {
            readers: Mutex::new(readers),
            permits: Semaphore::new(READERS),
            writer: Mutex::new(store),
            generation: AtomicU64::new(0),
        })
    }

    /// Run `work` on a read connection, on a blocking thread.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let store = relock(&db.readers)
                .pop()
                .ok_or_else(|| ApiError::internal("no free reader"))?;
            let lent = Lent {
                db: &db,
                store: Some(store),
            };
            work(lent.store.as_ref().expect("lent until dropped"))
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Run `work`, which changes business data, on the write connection, one at a time, on
    /// a blocking thread; cached answers are stale afterwards.
    pub async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let result = self.log(work).await;
        self.generation.fetch_add(1, Ordering::SeqCst);
        result
    }

    /// Run `work`, which only records what happened (sessions, `user_events`), on the
    /// write connection: cached answers stay good.
    pub async fn log<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || db.log_blocking(work))
            .await
            .map_err(ApiError::internal)?
    }

    /// [`Db::log`] on the calling thread, for threads of our own.
    pub fn log_blocking<T>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        work(&relock(&self.writer))
    }

    /// How many writes to business data there have been.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

/// A reader lent to one request, back in the pool when dropped — even if the work panics.
struct Lent<'a> {
    db: &'a Db,
    store: Option<Store>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            relock(&self.db.readers).push(store);
        }
    }
}

/// A lock even after a panic elsewhere: the guarded data (connections) stays usable.
fn relock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
