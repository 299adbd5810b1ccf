//! The store as the server uses it: reads run on a few connections at once, writes on one
//! (on DuckDB) or a few (on PostgreSQL), the monitoring pass and the users' events on
//! connections of their own, all off the async threads.
//!
//! DuckDB lets several connections of one process read while another writes (each sees a
//! consistent snapshot); the server owns the file, and one writer means two requests never
//! conflict on a row. On PostgreSQL other servers write to the same database anyway, so a
//! server takes several writers too: the database keeps concurrent transactions apart
//! (a deal's writers lock it first), and one slow write does not hold up the next. Either
//! way a write runs in a transaction, so a failure leaves nothing.
//!
//! Readers come in two pools, so that no amount of expensive work keeps anyone from
//! logging in or opening a record: [`Db::read`] (sessions, tokens, records) and
//! [`Db::compute`] (reports, metrics, custom reports, exports, the audit). A connection
//! goes back to its pool only when its work has finished; a request that is dropped (it
//! timed out, or its client went away) interrupts the query running for it first.

use crate::error::ApiError;
use embudo_store::postgres::Planning;
use embudo_store::{Dialect, Interrupt, Store, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections for quick reads: sessions, tokens, lists and records. Four, not two: with
/// fifty clients on two cores the soak test's cheap p99 went from 200–229 ms to 140 ms.
const QUICK_READERS: usize = 4;

/// Connections for reports, metrics and other long reads on DuckDB: one per two cores.
/// DuckDB runs each query on every core already, so long reads side by side only slow each
/// other and everyone else (the soak test on two cores: three at once, cheap requests' p99
/// 248 ms and 14.9k answers in 30 s; one at a time, 143 ms and 23.7k). PostgreSQL runs a
/// query on one core, and the database's cores are not this process's: one per core.
fn compute_readers(dialect: Dialect) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    match dialect {
        Dialect::DuckDb => (cores / 2).max(1),
        Dialect::Postgres => cores,
    }
}

/// Write connections on PostgreSQL (DuckDB has one): enough that writes do not queue
/// behind one another on two cores. Fifty clients moving deals through two servers, a
/// move in twenty requests: with one writer each the moves' p50 was 0.9 s, all of it
/// waiting for the writer; with four (and two readers for reports), 171–178 ms, most of
/// it still waiting (a move holds its writer for a dozen round trips); with eight, 75–104
/// ms.
const POSTGRES_WRITERS: usize = 8;

/// How often a dropped request's work is interrupted again until it has stopped: a
/// request's work may run several queries one after another.
const INTERRUPT_EVERY: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub struct Db {
    quick: Pool,
    compute: Pool,
    writers: Pool,
    /// The users' events thread's connection: it appends `user_events` twice a second,
    /// rows nobody else writes, so it never waits for the writers.
    journal: Mutex<Store>,
    /// The monitoring pass's own connection: it renders reports and waits on mail servers
    /// for seconds, so it holds neither a writer (logins would wait) nor a reader. What it
    /// writes is its journal (deliveries, alert states, new notifications), rows no request
    /// changes at the same time, so the two writing connections do not conflict.
    monitor: Mutex<Store>,
    /// Other processes serve the same store (PostgreSQL): what this one keeps in memory
    /// may be behind the database.
    shared: bool,
    /// Counts writes to business data, this process's and (on PostgreSQL) every other
    /// process's: a cached answer from an older generation is stale.
    generation: Arc<AtomicU64>,
    /// Counts the writes among those that may change who a token's or a session's caller
    /// is (users, their teams, tokens): a caller kept from an older one is asked again.
    /// Apart from `generation` because records change all the time on a busy server (fifty
    /// clients moving deals through two servers: a hundred writes a second), and every
    /// request asking the store again who its token is costs two queries.
    access: Arc<AtomicU64>,
}

/// Read connections, and a permit for each one that is free.
#[derive(Debug)]
struct Pool {
    free: Mutex<Vec<Store>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    /// `size` connections to `store`, each planning its statements as `planning` says.
    fn new(store: &Store, size: usize, planning: Planning) -> Result<Pool, StoreError> {
        let connection = || {
            let connection = store.try_clone()?;
            connection.plan(planning)?;
            Ok(connection)
        };
        Ok(Pool {
            free: Mutex::new((0..size).map(|_| connection()).collect::<Result<_, _>>()?),
            permits: Arc::new(Semaphore::new(size)),
        })
    }
}

impl Db {
    /// Share `store` (opened read-write) as the writers, two pools of readers, the
    /// monitoring pass's connection and the events' connection.
    ///
    /// On PostgreSQL, a thread also listens for the writes of other processes (servers
    /// beside this one, the command line) and makes cached answers stale on each.
    pub fn new(store: Store) -> Result<Db, embudo_store::StoreError> {
        let generation = Arc::new(AtomicU64::new(0));
        let access = Arc::new(AtomicU64::new(0));
        if let Some(changes) = store.changes()? {
            let listening = Generations {
                answers: Arc::downgrade(&generation),
                access: Arc::downgrade(&access),
            };
            std::thread::Builder::new()
                .name("embudo-changes".into())
                .spawn(move || listen(changes, &listening))
                .map_err(|e| embudo_store::StoreError::Engine(format!("starting a thread: {e}")))?;
        }
        let shared = store.dialect() == Dialect::Postgres;
        let writers = match store.dialect() {
            Dialect::DuckDb => 1,
            Dialect::Postgres => POSTGRES_WRITERS,
        };
        // Quick reads and writes find records by id: a plan for any id does. Long reads
        // cover ranges, each planned for its own.
        Ok(Db {
            quick: Pool::new(&store, QUICK_READERS, Planning::Reused)?,
            compute: Pool::new(&store, compute_readers(store.dialect()), Planning::EachRun)?,
            writers: Pool::new(&store, writers, Planning::Reused)?,
            monitor: Mutex::new(store.try_clone()?),
            journal: Mutex::new(store),
            shared,
            generation,
            access,
        })
    }

    /// Run quick `work` (a session, a record, a page of a list) on a read connection.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.lend(|db| &db.quick, true, work).await
    }

    /// Run long `work` (a report, metrics, an export, the audit) on a read connection of
    /// its own pool, so that it never holds up quick reads.
    pub async fn compute<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.lend(|db| &db.compute, true, work).await
    }

    /// Lend a connection of `pool` to `work` on a blocking thread. The permit and the
    /// connection stay with the work until it has finished, whatever happens to the
    /// request; if the request is dropped first and the work is `interruptible`, it is
    /// interrupted (a write is not: it finishes, or fails whole, on its own).
    async fn lend<T: Send + 'static>(
        self: &Arc<Self>,
        pool: fn(&Db) -> &Pool,
        interruptible: bool,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = Arc::clone(&pool(self).permits)
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let store = relock(&pool(self).free)
            .pop()
            .ok_or_else(|| ApiError::internal("a reader's permit without a free reader"))?;
        let finished = Arc::new(Mutex::new(false));
        let handle = Arc::new(Mutex::new(store.interrupt_handle()));
        let mut watch = Interrupter {
            handle: Arc::clone(&handle),
            finished: Arc::clone(&finished),
            armed: interruptible,
        };
        let db = Arc::clone(self);
        let task = tokio::task::spawn_blocking(move || {
            let store = mended(store);
            *relock(&handle) = store.interrupt_handle();
            let lent = Lent {
                pool: pool(&db),
                store: Some(store),
                finished,
                _permit: permit,
            };
            let store = lent.store.as_ref().expect("lent until dropped");
            let result = work(store);
            if result.is_err() && store.is_broken() {
                // The database went away under the work (it restarted, the network
                // dropped): a retry will find a new connection.
                return Err(ApiError::unavailable(
                    "the connection to the database was lost; try again",
                ));
            }
            result
        });
        let result = task.await.map_err(ApiError::internal)?;
        watch.armed = false;
        result
    }

    /// Run `work`, which changes business data, on a write connection, on a blocking
    /// thread; cached answers, and the callers kept of tokens, are stale afterwards.
    pub async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let result = self.write_records(work).await;
        self.access.fetch_add(1, Ordering::SeqCst);
        result
    }

    /// [`Db::write`] for `work` that changes records (contacts, deals, goals…) and none of
    /// the users, teams or tokens callers are read from: the callers kept stay good.
    pub async fn write_records<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let result = self.log(work).await;
        self.generation.fetch_add(1, Ordering::SeqCst);
        result
    }

    /// Run `work`, which only records what happened (sessions, failed logins), on a write
    /// connection: cached answers stay good.
    pub async fn log<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.lend(|db| &db.writers, false, work).await
    }

    /// Run a monitoring pass on its own connection, on a blocking thread.
    pub async fn monitor<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || work(&mend(&db.monitor)))
            .await
            .map_err(ApiError::internal)?
    }

    /// Append users' events with `work`, on the calling thread (the events thread's own).
    pub fn journal<T>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        work(&mend(&self.journal))
    }

    /// Whether other processes may serve the same store (it is on PostgreSQL).
    pub fn shared(&self) -> bool {
        self.shared
    }

    /// How many writes to business data there have been.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// How many writes that may change who a caller is there have been.
    pub fn access_generation(&self) -> u64 {
        self.access.load(Ordering::SeqCst)
    }
}

/// Tables no kept answer (a report, a metric, a token's caller) reads: the monitoring
/// pass's own bookkeeping, which it writes through every run. Their notices leave the
/// answers kept (`embudo bench serve --backend postgres`, where a pass judging a thousand
/// rules runs under fifty clients: every rule's new state made every answer stale, and the
/// pipeline report's p99 was 585 ms).
const NOT_READ_BY_ANSWERS: &[&str] = &["alert_rules", "notifications", "schedules"];

/// The tables a caller is read from (see `embudo_access::session`).
const CALLERS_READ_FROM: &[&str] = &["users", "teams", "access_tokens"];

/// The generations [`listen`] moves, held weakly: it stops when the server is gone.
struct Generations {
    answers: Weak<AtomicU64>,
    access: Weak<AtomicU64>,
}

/// How long the listener waits before listening again after its connection was lost.
const LISTEN_AGAIN_AFTER: Duration = Duration::from_secs(1);

/// Make cached answers (and callers, for the tables they are read from) stale on every
/// change another process commits, until the server is gone. While the connection is lost
/// nothing is heard, so everything kept is taken as stale each second it tries again: a
/// server never keeps serving what another changed.
fn listen(mut changes: embudo_store::postgres::Changes, generations: &Generations) {
    loop {
        let heard = changes.wait();
        let (Some(answers), Some(access)) =
            (generations.answers.upgrade(), generations.access.upgrade())
        else {
            return;
        };
        let table = heard.as_ref().ok().map(String::as_str);
        if table.is_none_or(|table| CALLERS_READ_FROM.contains(&table)) {
            access.fetch_add(1, Ordering::SeqCst);
        }
        if table.is_some_and(|table| NOT_READ_BY_ANSWERS.contains(&table)) {
            continue;
        }
        answers.fetch_add(1, Ordering::SeqCst);
        if let Err(error) = heard {
            tracing::warn!(%error, "no longer hearing of other processes' writes; trying again");
            drop((answers, access));
            std::thread::sleep(LISTEN_AGAIN_AFTER);
            let _ = changes.reconnect();
        }
    }
}

/// A reader lent to one piece of work, back in its pool (with its permit) when dropped —
/// when the work has finished, even if it panicked.
struct Lent<'a> {
    pool: &'a Pool,
    store: Option<Store>,
    /// Set (under its lock) before the connection goes back: no interrupt meant for this
    /// work can reach the next one.
    finished: Arc<Mutex<bool>>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        *relock(&self.finished) = true;
        if let Some(store) = self.store.take() {
            // On the blocking thread the work ran on: a new connection is made here, never
            // on the async threads.
            let store = mended(store);
            relock(&self.pool.free).push(store);
        }
    }
}

/// Dropped with a request whose work has not finished: interrupts that work's queries
/// until it stops.
struct Interrupter {
    /// The handle of the connection the work runs on (set again if the work's thread
    /// replaced a connection found gone).
    handle: Arc<Mutex<Interrupt>>,
    finished: Arc<Mutex<bool>>,
    armed: bool,
}

impl Drop for Interrupter {
    fn drop(&mut self) {
        if !self.armed || *relock(&self.finished) {
            return;
        }
        tracing::info!("the request ended before its work: interrupting the work");
        let (handle, finished) = (relock(&self.handle).clone(), Arc::clone(&self.finished));
        std::thread::spawn(move || {
            loop {
                {
                    let done = relock(&finished);
                    if *done {
                        return;
                    }
                    handle.interrupt();
                }
                std::thread::sleep(INTERRUPT_EVERY);
            }
        });
    }
}

/// A new connection to take the place of `store` when it is gone (the database
/// restarted); none while it is fine, or while the database is still down (the broken one
/// is kept, and the work it is lent to fails). A pool thus recovers by itself once the
/// database is back, checked as a connection is lent and as it comes back. Blocks: only on
/// blocking threads.
fn replacement(store: &Store) -> Option<Store> {
    let fresh = store.is_broken().then(|| store.try_clone().ok()).flatten();
    if fresh.is_some() {
        tracing::info!("a connection to the store was gone: connected again");
    }
    fresh
}

/// `store`, or its [`replacement`].
fn mended(store: Store) -> Store {
    replacement(&store).unwrap_or(store)
}

/// The connection in `slot`, locked, replaced first when it is gone (see [`replacement`]).
fn mend(slot: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    let mut guard = relock(slot);
    if let Some(fresh) = replacement(&guard) {
        *guard = fresh;
    }
    guard
}

/// A lock even after a panic elsewhere: the guarded data (connections) stays usable.
fn relock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A query that would run for many minutes on two cores.
    const ENDLESS: &str = "SELECT sum(hash(i)) FROM range(1000000000000) t(i)";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_request_stops_its_query_and_its_reader_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::new(Store::open(dir.path().join("t.duckdb")).unwrap()).unwrap());
        let started = Instant::now();
        // Every long-work reader is taken by a request dropped after 200 ms.
        let dropped: Vec<_> = (0..compute_readers(Dialect::DuckDb))
            .map(|_| {
                let db = Arc::clone(&db);
                tokio::spawn(async move {
                    tokio::time::timeout(
                        Duration::from_millis(200),
                        db.compute(|store| Ok(store.query_with(ENDLESS, &[])?)),
                    )
                    .await
                })
            })
            .collect();
        // Meanwhile quick reads answer.
        let quick = db
            .read(|store| Ok(store.query_with("SELECT 1", &[])?))
            .await
            .unwrap();
        assert_eq!(quick.rows.len(), 1);
        for request in dropped {
            assert!(request.await.unwrap().is_err(), "the request timed out");
        }
        // Every reader is back, free, within moments: the queries were stopped, not left
        // running on connections handed to the next requests.
        let again: Vec<_> = (0..compute_readers(Dialect::DuckDb))
            .map(|_| {
                let db = Arc::clone(&db);
                tokio::spawn(async move {
                    db.compute(|store| Ok(store.query_with("SELECT 42", &[])?))
                        .await
                })
            })
            .collect();
        for request in again {
            let table = tokio::time::timeout(Duration::from_secs(5), request)
                .await
                .expect("a reader came back")
                .unwrap()
                .unwrap();
            assert_eq!(table.rows[0][0], serde_json::json!(42));
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}
