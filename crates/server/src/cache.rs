//! Answers to repeated report and metric requests, kept until the data changes (a write
//! through the server) or a minute passes, whichever comes first.
//!
//! Fifty people opening the pipeline report at nine o'clock need it computed once: the first
//! request computes it while the others with the same key wait for that answer rather than
//! computing it again. A key holds everything the answer depends on — the request and the
//! caller's scope — so two people share an answer only when they would see the same one.

use crate::error::ApiError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// How long an answer is kept when nothing is written.
const FRESH_FOR: Duration = Duration::from_secs(60);

/// Answers kept at most; beyond, stale ones go first, then all.
const MOST: usize = 1_000;

#[derive(Debug)]
pub struct Cache<T> {
    entries: Mutex<HashMap<String, Entry<T>>>,
}

#[derive(Debug)]
struct Entry<T> {
    generation: u64,
    made: Instant,
    answer: Arc<OnceCell<Arc<T>>>,
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache {
            entries: Mutex::default(),
        }
    }
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
        let answer = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let fresh =
                |e: &Entry<T>| e.generation == generation && now.duration_since(e.made) < FRESH_FOR;
            if entries.len() >= MOST {
                entries.retain(|_, e| fresh(e));
                if entries.len() >= MOST {
                    entries.clear();
                }
            }
            match entries.get(&key) {
                Some(entry) if fresh(entry) => Arc::clone(&entry.answer),
                _ => {
                    let answer = Arc::new(OnceCell::new());
                    entries.insert(
                        key,
                        Entry {
                            generation,
                            made: now,
                            answer: Arc::clone(&answer),
                        },
                    );
                    answer
                }
            }
        };
        answer
            .get_or_try_init(|| async { compute().await.map(Arc::new) })
            .await
            .cloned()
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
        // A write since: computed again.
        assert_eq!(*cache.get("a".into(), 1, compute).await.unwrap(), 3);
        // A failure is not kept.
        let failing = || async { Err::<usize, _>(ApiError::not_found("x")) };
        assert!(cache.get("c".into(), 1, failing).await.is_err());
        assert_eq!(*cache.get("c".into(), 1, compute).await.unwrap(), 4);
    }
}
