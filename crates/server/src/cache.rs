//! Answers to repeated report and metric requests, kept until the data changes (a write
//! through this server or, on PostgreSQL, through any process) or a minute passes.
//!
//! Fifty people opening the pipeline report at nine o'clock need it computed once: the first
//! request computes it while the others with the same key wait for that answer rather than
//! computing it again. A key holds everything the answer depends on — the request and the
//! caller's scope — so two people share an answer only when they would see the same one.
//!
//! While data is written all the time (several servers, deals moving every few
//! milliseconds) an answer is stale almost as soon as it is made. Then one computation per
//! key runs at a time, and while it runs the others get the answer before it, as long as
//! that one began at most [`STALE_FOR`] ago: every answer reflects every write made more
//! than half a second before it, and a quiet server — no computation of the key under way —
//! always computes afresh after a write, so whoever wrote sees their change.

use crate::error::ApiError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long an answer is kept when nothing is written.
const FRESH_FOR: Duration = Duration::from_secs(60);

/// How old (from when its computation began) a stale answer may be and still be served
/// while its replacement is computed. Well inside the second within which a change made
/// through one server must be seen through another.
pub const STALE_FOR: Duration = Duration::from_millis(500);

/// Answers kept at most; beyond, those not being computed go.
const MOST: usize = 1_000;

#[derive(Debug)]
pub struct Cache<T> {
    entries: Mutex<HashMap<String, Entry<T>>>,
}

#[derive(Debug)]
struct Entry<T> {
    /// The newest answer made.
    made: Option<Made<T>>,
    /// The computation under way, if any; told when it ends, however it ends.
    running: Option<Arc<Notify>>,
}

#[derive(Debug)]
struct Made<T> {
    /// The data generation the computation began at.
    generation: u64,
    began: Instant,
    answer: Arc<T>,
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache {
            entries: Mutex::default(),
        }
    }
}

/// What a request does with the key's entry as it finds it.
enum Step<T> {
    Answer(Arc<T>),
    Wait(Arc<Notify>),
    Compute(Arc<Notify>),
}

impl<T> Cache<T> {
    /// The answer for `key` as of data `generation`, computed by `compute` when there is
    /// none yet (a failure is not kept: the next request tries again).
    pub async fn get<F, Fut>(
        &self,
        key: String,
        generation: u64,
        compute: F,
    ) -> Result<Arc<T>, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        loop {
            let step = self.step(&key, generation);
            match step {
                Step::Answer(answer) => return Ok(answer),
                Step::Wait(running) => {
                    let ended = running.notified();
                    // It may have ended between the look and now: look again first.
                    if self.still_running(&key, &running) {
                        ended.await;
                    }
                }
                Step::Compute(running) => {
                    let began = Instant::now();
                    let ending = Ending {
                        cache: self,
                        key: &key,
                        running,
                    };
                    let answer = compute().await.map(Arc::new);
                    let mut entries = ending.cache.lock();
                    if let (Ok(answer), Some(entry)) = (&answer, entries.get_mut(&key)) {
                        entry.made = Some(Made {
                            generation,
                            began,
                            answer: Arc::clone(answer),
                        });
                    }
                    drop(entries);
                    drop(ending);
                    return answer;
                }
            }
        }
    }

    /// Decide, under the lock, what a request for `key` at `generation` does.
    fn step(&self, key: &str, generation: u64) -> Step<T> {
        let mut entries = self.lock();
        if entries.len() >= MOST && !entries.contains_key(key) {
            entries.retain(|_, e| e.running.is_some());
        }
        let entry = entries.entry(key.to_owned()).or_insert(Entry {
            made: None,
            running: None,
        });
        if let Some(made) = &entry.made
            && made.generation >= generation
            && made.began.elapsed() < FRESH_FOR
        {
            return Step::Answer(Arc::clone(&made.answer));
        }
        match &entry.running {
            Some(running) => match &entry.made {
                Some(made) if made.began.elapsed() < STALE_FOR => {
                    Step::Answer(Arc::clone(&made.answer))
                }
                _ => Step::Wait(Arc::clone(running)),
            },
            None => {
                let running = Arc::new(Notify::new());
                entry.running = Some(Arc::clone(&running));
                Step::Compute(running)
            }
        }
    }

    fn still_running(&self, key: &str, running: &Arc<Notify>) -> bool {
        self.lock()
            .get(key)
            .and_then(|e| e.running.as_ref())
            .is_some_and(|r| Arc::ptr_eq(r, running))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry<T>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Ends a computation however it ends — with an answer, an error, or its request dropped
/// half way: the key is free to compute again and whoever waits is told.
struct Ending<'a, T> {
    cache: &'a Cache<T>,
    key: &'a str,
    running: Arc<Notify>,
}

impl<T> Drop for Ending<'_, T> {
    fn drop(&mut self) {
        if let Some(entry) = self.cache.lock().get_mut(self.key) {
            entry.running = None;
        }
        self.running.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn an_answer_is_computed_once_per_key_and_generation() {
        let cache = Cache::<usize>::default();
        let computed = AtomicUsize::new(0);
        let compute = || async { Ok(computed.fetch_add(1, Ordering::SeqCst) + 1) };
        assert_eq!(*cache.get("a".into(), 0, compute).await.unwrap(), 1);
        assert_eq!(*cache.get("a".into(), 0, compute).await.unwrap(), 1);
        assert_eq!(*cache.get("b".into(), 0, compute).await.unwrap(), 2);
        // A write since, and no computation under way: computed again, whatever the age.
        assert_eq!(*cache.get("a".into(), 1, compute).await.unwrap(), 3);
        // A failure is not kept.
        let failing = || async { Err::<usize, _>(ApiError::not_found("x")) };
        assert!(cache.get("c".into(), 1, failing).await.is_err());
        assert_eq!(*cache.get("c".into(), 1, compute).await.unwrap(), 4);
    }

    /// While a key is computed after a write, others get the answer before it if it began
    /// less than [`STALE_FOR`] ago, and wait for the new one otherwise; one computation runs.
    #[tokio::test]
    async fn while_an_answer_is_recomputed_a_recent_one_is_served() {
        let cache = Arc::new(Cache::<usize>::default());
        assert_eq!(
            *cache.get("a".into(), 0, || async { Ok(1) }).await.unwrap(),
            1
        );
        let release = Arc::new(Notify::new());
        let slow = {
            let (cache, release) = (Arc::clone(&cache), Arc::clone(&release));
            tokio::spawn(async move {
                let compute = || async move {
                    release.notified().await;
                    Ok(2)
                };
                *cache.get("a".into(), 1, compute).await.unwrap()
            })
        };
        tokio::task::yield_now().await;
        let never = || async { Err(ApiError::internal("a second computation of the same key")) };
        assert_eq!(*cache.get("a".into(), 2, never).await.unwrap(), 1);
        // Once the answer at hand is too old, a request waits for the one under way.
        std::thread::sleep(STALE_FOR);
        let waiting = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { *cache.get("a".into(), 1, never).await.unwrap() })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        release.notify_one();
        assert_eq!(slow.await.unwrap(), 2);
        assert_eq!(waiting.await.unwrap(), 2);
    }

    /// A request dropped half way through its computation frees the key: the next request
    /// computes instead of waiting forever.
    #[tokio::test]
    async fn a_computation_dropped_half_way_frees_the_key() {
        let cache = Cache::<usize>::default();
        let never_ends = cache.get("a".into(), 0, std::future::pending);
        assert!(
            tokio::time::timeout(Duration::from_millis(10), never_ends)
                .await
                .is_err()
        );
        assert_eq!(
            *cache.get("a".into(), 0, || async { Ok(7) }).await.unwrap(),
            7
        );
    }
}
