//! `embudo bench serve`: the API under load. A generated business is served on a free port
//! and fifty clients ask for the pipeline report and the close rate, as fast as answers
//! come, for thirty seconds; every answer's time and status is kept.

use super::bench::Stores;
use super::generate::generate;
use crate::config::Config;
use anyhow::{Context as _, Result, bail};
use embudo_model::Table;
use embudo_store::Store;
use embudo_store::bulk::LoadMode;
use embudo_synth::{Params, Scale};
use serde_json::json;
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const RUN_FOR: Duration = Duration::from_secs(30);
const PATHS: [&str; 2] = [
    "/api/v1/reports/pipeline",
    "/api/v1/metrics/close_rate?from=2025-07-01&to=2026-07-01&grain=month",
];

pub fn figures(
    config: &Config,
    scale: Scale,
    now: chrono::NaiveDateTime,
    stores: &Stores,
) -> Result<Vec<Table>> {
    let served = stores.new_store("serve")?;
    let mut store = Store::open(&served.location)?;
    super::hint(
        config,
        format_args!("Generating the {scale} scale in {}…", stores.engine()),
    );
    let params = Params {
        scale,
        seed: 1,
        now,
        defect_rate: 0.05,
        signal: true,
    };
    generate(&mut store, &params, LoadMode::Append, true)?;
    let today = chrono::Utc::now().naive_utc();
    let user = embudo_access::users::NewUser {
        name: "Bench Admin".into(),
        email: "bench@example.com".into(),
        role: embudo_access::Role::Admin,
        team: None,
    };
    embudo_access::users::add(&store, &user, &embudo_access::secret::new_password(), today)?;
    let token = embudo_access::users::create_token(&store, &user.email, "bench", today)?;
    // Monitoring runs through the load: a thousand alert rules and the daily pack for the
    // admin (no SMTP server: the e-mail is rendered, then fails and is journaled).
    super::bench_monitor::add_rules(&store, today - chrono::Duration::days(30))?;
    embudo_monitor::schedule::Schedule {
        name: "daily-pack".into(),
        report: "all".into(),
        filters: Default::default(),
        cadence: embudo_monitor::cadence::Cadence::new("day", Some("00:00"), None)?,
        recipients: vec![user.email.clone()],
        webhook: None,
        format: embudo_monitor::schedule::Attach::Xlsx,
        created_at: today - chrono::Duration::days(30),
    }
    .add(&store)?;
    let state = embudo_server::AppState::new(store, config.calendar, false)?;
    let monitored = state.clone();
    let (lang, settings) = (
        config.lang.clone(),
        embudo_monitor::deliver::Settings::default(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready, address) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || -> Result<(embudo_monitor::watch::Pass, Duration)> {
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            ready.send(listener.local_addr()?)?;
            let monitoring = tokio::spawn(async move {
                let started = Instant::now();
                let pass = embudo_server::monitor::pass(&monitored, settings, lang).await;
                (pass, started.elapsed())
            });
            embudo_server::serve(listener, state, async {
                let _ = stopped.await;
            })
            .await?;
            let (pass, took) = monitoring.await?;
            let pass = pass.map_err(|e| anyhow::anyhow!("the monitoring pass failed: {e:?}"))?;
            Ok((pass, took))
        })
    });
    let address = address.recv().context("the server did not start")?;
    super::hint(
        config,
        format_args!(
            "{CLIENTS} clients for {} s on {}…",
            RUN_FOR.as_secs(),
            PATHS.join(" and ")
        ),
    );
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (token, base) = (token.clone(), format!("http://{address}"));
            std::thread::spawn(move || load(client, &base, &token, started))
        })
        .collect();
    let mut answers: Vec<(usize, u16, Duration)> = Vec::new();
    for client in clients {
        answers.extend(
            client
                .join()
                .map_err(|_| anyhow::anyhow!("a client panicked"))??,
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    let (pass, took) = server
        .join()
        .map_err(|_| anyhow::anyhow!("the server panicked"))??;
    if answers.is_empty() {
        bail!("no request was answered");
    }
    super::hint(
        config,
        format_args!(
            "during the load, a monitoring pass judged {} alert rules and rendered the pack ({} e-mail failed without an SMTP server, as expected) in {:.1} s",
            super::bench_monitor::RULES,
            pass.failed,
            took.as_secs_f64()
        ),
    );
    Ok(vec![latency_table(&answers, elapsed)])
}

/// One client: requests one path, then the other, until the time is up; (path, status,
/// time) of each.
fn load(
    client: usize,
    base: &str,
    token: &str,
    started: Instant,
) -> Result<Vec<(usize, u16, Duration)>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut answers = Vec::new();
    let mut next = client % PATHS.len();
    while started.elapsed() < RUN_FOR {
        let sent = Instant::now();
        let status = match agent
            .get(&format!("{base}{}", PATHS[next]))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
        {
            Ok(mut response) => {
                // The whole answer counts: a client waits for the last byte.
                response.body_mut().read_to_vec()?;
                response.status().as_u16()
            }
            Err(_) => 0,
        };
        answers.push((next, status, sent.elapsed()));
        next = (next + 1) % PATHS.len();
    }
    Ok(answers)
}

fn latency_table(answers: &[(usize, u16, Duration)], elapsed: f64) -> Table {
    let rows = PATHS
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let mut times: Vec<f64> = answers
                .iter()
                .filter(|(p, _, _)| *p == i)
                .map(|(_, _, t)| t.as_secs_f64() * 1000.0)
                .collect();
            times.sort_by(f64::total_cmp);
            let errors = answers
                .iter()
                .filter(|(p, status, _)| *p == i && *status != 200)
                .count();
            let at = |q: f64| {
                times
                    .get(((times.len() as f64 - 1.0) * q).round() as usize)
                    .map(|ms| (ms * 10.0).round() / 10.0)
            };
            vec![
                json!(path),
                json!(times.len()),
                json!(errors),
                json!((times.len() as f64 / elapsed).round()),
                json!(at(0.5)),
                json!(at(0.99)),
                json!(at(1.0)),
            ]
        })
        .collect();
    Table {
        columns: [
            "path",
            "requests",
            "errors",
            "requests/s",
            "p50 ms",
            "p99 ms",
            "max ms",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}
