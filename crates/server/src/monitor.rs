//! The monitoring loop of `embudo serve`: once a minute, deliver the schedules that are due
//! and judge the alert rules. The first pass runs at start, so a delivery missed while the
//! server was down goes out once then.

use crate::AppState;
use crate::error::ApiError;
use embudo_monitor::deliver::Settings;
use embudo_monitor::watch::{Watch, run_due};
use std::sync::Arc;
use std::time::Duration;

/// How often the loop looks for what is due.
const EVERY: Duration = Duration::from_secs(60);

/// Start the loop on the current runtime; it runs until the runtime stops.
pub fn spawn(state: &AppState, settings: Settings, lang: String) -> tokio::task::JoinHandle<()> {
    let db = Arc::clone(&state.db);
    let calendar = state.calendar;
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let (settings, lang) = (settings.clone(), lang.clone());
            let now = chrono::Utc::now().naive_utc();
            // Deliveries and alert states are a journal, not business data: cached answers
            // stay good.
            let pass = db
                .log(move |store| {
                    let watch = Watch {
                        store,
                        calendar: &calendar,
                        settings: &settings,
                        lang: &lang,
                        sleep: &std::thread::sleep,
                    };
                    run_due(&watch, now).map_err(ApiError::internal)
                })
                .await;
            match pass {
                Ok(pass) => {
                    if pass.sent + pass.failed > 0 || !pass.fired.is_empty() {
                        tracing::info!(
                            sent = pass.sent,
                            failed = pass.failed,
                            fired = ?pass.fired,
                            cleared = ?pass.cleared,
                            "monitoring pass"
                        );
                    }
                    for error in pass.errors {
                        tracing::warn!(%error, "alert not judged");
                    }
                }
                Err(error) => tracing::warn!(?error, "monitoring pass failed"),
            }
        }
    })
}
