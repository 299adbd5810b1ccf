//! What the server's tests share: a generated small business, and the server listening on a
//! free port of this machine until dropped.

// Each test binary that includes this uses its own part of it.
#![allow(dead_code)]

pub mod server;

use chrono::NaiveDate;
use embudo_store::Store;
use ureq::Agent;

pub use embudo_testkit::Place;

/// A small business generated up to 30 June 2026 in a fresh store, `served`, on the engine
/// this run of the tests is for.
pub fn business(seed: u64, defect_rate: f64) -> (Place, Store) {
    let place = Place::new();
    let generated = place.file("generated");
    let mut store = Store::open(&generated).unwrap();
    let params = embudo_synth::Params {
        scale: embudo_synth::Scale::Small,
        seed,
        now: NaiveDate::from_ymd_opt(2026, 6, 30)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap(),
        defect_rate,
        signal: true,
    };
    embudo_synth::fill(&mut store, &params).unwrap();
    drop(store);
    let store = place.copy_in(&generated, "served");
    (place, store)
}

/// `embudo_server::serve` on 127.0.0.1, port 0, on a runtime of its own; stopped (requests
/// in flight finished) and joined when dropped.
pub struct Running {
    /// `http://127.0.0.1:PORT/api/v1`
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn start(store: Store) -> Running {
        Running::start_with(store, embudo_server::ServerLimits::default())
    }

    /// [`Running::start`] within `limits`.
    pub fn start_with(store: Store, limits: embudo_server::ServerLimits) -> Running {
        let state = embudo_server::AppState::with_limits(
            store,
            embudo_metrics::Calendar::default(),
            false,
            limits,
        )
        .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, address) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready.send(listener.local_addr().unwrap()).unwrap();
                embudo_server::serve(listener, state, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        Running {
            base: format!("http://{}/api/v1", address.recv().unwrap()),
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A client that hands back 4xx and 5xx answers instead of failing on them.
pub fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}
