//! Two `embudo serve` processes on one PostgreSQL database, as a team runs them behind a
//! load balancer: a deal moved through one is seen through the other within a second (the
//! database tells every server of each write, and each drops the answers it kept), fifty
//! clients split across both get no server error while deals move through both, killing
//! one leaves the other serving, and when the database goes down the server says it is not
//! ready and serves again once it is back. Real processes, a real PostgreSQL, real sockets.
//!
//! The clients run for `EMBUDO_SOAK_SECONDS` (10 by default; the figures in the README are
//! from 30), each asking again the moment it is answered, or after `EMBUDO_SOAK_THINK_MS`
//! (0 by default), as a person reads an answer before asking the next.

#[path = "support/sandbox.rs"]
mod sandbox;

use embudo_testkit::{PgServer, free_port};
use sandbox::Sandbox;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const EMAIL: &str = "ana@team.example";
const PASSWORD: &str = "a long enough password";
/// The most a change may take to be seen through the other server.
const SEEN_WITHIN: Duration = Duration::from_secs(1);
/// A ceiling for the 99th percentile of all answers in this test, far above what it
/// measures (0.19–0.22 s on two cores shared by the database, both servers and the fifty
/// clients): it fails when requests queue without bound, not when the machine is busy. The
/// latency itself is a figure read from the 30-second run quoted in the README.
const P99_CEILING: Duration = Duration::from_secs(2);

/// An `embudo serve` process, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(sandbox: &Sandbox, url: &str, name: &str) -> Served {
        let port = free_port();
        let log = std::fs::File::create(sandbox.path(&format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_embudo"))
            .args(["--db", url, "serve", "--addr", &format!("127.0.0.1:{port}")])
            .current_dir(sandbox.dir.path())
            .env_remove("EMBUDO_CONFIG")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let served = Served {
            child,
            base: format!("http://127.0.0.1:{port}/api/v1"),
        };
        let started = Instant::now();
        while health(&served.base) != Some(200) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{name} did not become ready: {}",
                std::fs::read_to_string(sandbox.path(&format!("{name}.log"))).unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        served
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn health(base: &str) -> Option<u16> {
    agent()
        .get(&format!("{base}/health"))
        .call()
        .ok()
        .map(|r| r.status().as_u16())
}

/// A caller of both servers with one bearer token.
#[derive(Clone)]
struct Caller {
    agent: ureq::Agent,
    token: String,
}

impl Caller {
    fn get(&self, base: &str, path: &str) -> (u16, Value) {
        let response = self
            .agent
            .get(&format!("{base}{path}"))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call();
        read(response)
    }

    /// The status of a GET, its body read whole but not parsed: the clients share the two
    /// cores with the servers and the database, and parsing every answer took a quarter of
    /// those cores, time the servers then waited for.
    fn status(&self, base: &str, path: &str) -> u16 {
        let response = self
            .agent
            .get(&format!("{base}{path}"))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call();
        match response {
            Ok(mut r) => {
                let status = r.status().as_u16();
                // Unread, the body would keep the connection from the next request.
                match r.body_mut().read_to_vec() {
                    Ok(_) => status,
                    Err(_) => 599,
                }
            }
            Err(_) => 599,
        }
    }

    fn login(&self, base: &str, password: &str) -> u16 {
        let response = self
            .agent
            .post(&format!("{base}/login"))
            .send_json(json!({ "email": EMAIL, "password": password }));
        read(response).0
    }

    fn move_deal(&self, base: &str, deal: i64, stage: i64) -> (u16, Value) {
        let response = self
            .agent
            .patch(&format!("{base}/deals/{deal}"))
            .header("Authorization", &format!("Bearer {}", self.token))
            .send_json(json!({ "stage_id": stage }));
        read(response)
    }
}

fn read(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    match response {
        Ok(mut r) => (
            r.status().as_u16(),
            r.body_mut().read_json().unwrap_or(Value::Null),
        ),
        // Refused, reset, timed out: as bad as a server error.
        Err(_) => (599, Value::Null),
    }
}

/// The open deals the pipeline report `report` counts in `stage` (its first section).
fn open_in(report: &Value, stage: &str) -> i64 {
    report["sections"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row[1] == stage)
        .and_then(|row| row[2].as_i64())
        .unwrap_or(0)
}

/// Add a user (name, e-mail, role) to the store at `url` from the command line, with
/// [`PASSWORD`], and create a token for them: the token.
fn user_with_token(
    sandbox: &Sandbox,
    url: &str,
    (name, email, role): (&str, &str, &str),
) -> String {
    sandbox.run_with_input(
        &[
            "--db", url, "user", "add", name, "--email", email, "--role", role,
        ],
        &format!("{PASSWORD}\n"),
    );
    sandbox
        .ok(&["--db", url, "token", "create", "--user", email])
        .trim()
        .to_owned()
}

#[test]
fn two_servers_on_one_database_share_changes_carry_fifty_clients_and_outlive_each_other() {
    let postgres = PgServer::start();
    let url = postgres.database("team");
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    sandbox.ok(&[
        "migrate",
        "--from",
        "embudo.duckdb",
        "--to",
        &url,
        "--quiet",
    ]);
    let token = user_with_token(&sandbox, &url, ("Ana Admin", EMAIL, "admin"));
    // Open deals of the first pipeline's first stage, and its second stage, by plain SQL.
    let deals = sandbox.json(&[
        "--db",
        &url,
        "sql",
        "SELECT d.id, s.id AS stage_id, s.name AS stage, n.id AS next_id
           FROM deals d JOIN stages s ON s.id = d.stage_id
           JOIN stages n ON n.pipeline_id = s.pipeline_id AND n.position = s.position + 1
          WHERE d.status = 'open' AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
            AND s.position = (SELECT min(position) FROM stages f WHERE f.pipeline_id = s.pipeline_id)
            AND s.pipeline_id = (SELECT min(id) FROM pipelines)
          ORDER BY d.id LIMIT 60",
    ]);
    let deals = deals.as_array().unwrap();
    assert!(deals.len() > CLIENTS / 2, "{} open deals", deals.len());
    let (first, second) = (
        Served::start(&sandbox, &url, "first"),
        Served::start(&sandbox, &url, "second"),
    );
    let caller = Caller {
        agent: agent(),
        token,
    };

    // A deal moved through the first server is seen through the second within a second,
    // although the second had the report computed and kept.
    let stage = deals[0]["stage"].as_str().unwrap().to_owned();
    let (status, before) = caller.get(&second.base, "/reports/pipeline");
    assert_eq!(status, 200, "{before}");
    let (status, moved) = caller.move_deal(
        &first.base,
        deals[0]["id"].as_i64().unwrap(),
        deals[0]["next_id"].as_i64().unwrap(),
    );
    assert_eq!(status, 200, "{moved}");
    let moved_at = Instant::now();
    loop {
        let (_, after) = caller.get(&second.base, "/reports/pipeline");
        if open_in(&after, &stage) == open_in(&before, &stage) - 1 {
            println!(
                "seen through the other server after {:?}",
                moved_at.elapsed()
            );
            break;
        }
        assert!(
            moved_at.elapsed() < SEEN_WITHIN,
            "the second server still shows {} open in {stage}",
            open_in(&after, &stage)
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // Fifty clients, half on each server, reading lists, records, reports and metrics, and
    // now and then moving a deal back and forth; two clients, one on each server, share
    // each deal, so that the servers move the same deals at the same time.
    let seconds = std::env::var("EMBUDO_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let think = Duration::from_millis(
        std::env::var("EMBUDO_SOAK_THINK_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    );
    let until = Instant::now() + Duration::from_secs(seconds);
    let bases = [first.base.clone(), second.base.clone()];
    let results: Vec<(u16, Duration, String)> = std::thread::scope(|threads| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (caller, base) = (caller.clone(), &bases[client % 2]);
                let deal = &deals[client / 2 + 1];
                threads.spawn(move || {
                    let id = deal["id"].as_i64().unwrap();
                    let mut seen = Vec::new();
                    let mut n = 0usize;
                    while Instant::now() < until {
                        let started = Instant::now();
                        let (status, path) = match n % 20 {
                            19 => {
                                // Forward a stage, then back again.
                                let to = if n % 40 == 19 { "next_id" } else { "stage_id" };
                                let stage = deal[to].as_i64().unwrap();
                                let (status, _) = caller.move_deal(base, id, stage);
                                (status, format!("PATCH /deals/{id}"))
                            }
                            0 | 5 | 10 | 15 => {
                                let path = "/reports/pipeline".to_owned();
                                (caller.status(base, &path), path)
                            }
                            3 | 13 => {
                                let path =
                                    "/metrics/deals_won?from=2025-07-01&to=2026-07-01&grain=month"
                                        .to_owned();
                                (caller.status(base, &path), path)
                            }
                            1 | 6 | 11 | 16 => {
                                let path = "/me".to_owned();
                                (caller.status(base, &path), path)
                            }
                            _ => {
                                let path = "/deals?limit=20".to_owned();
                                (caller.status(base, &path), path)
                            }
                        };
                        seen.push((status, started.elapsed(), path));
                        n += 1;
                        std::thread::sleep(think);
                    }
                    seen
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    let failed: Vec<_> = results.iter().filter(|(s, ..)| *s >= 500).collect();
    assert!(
        failed.is_empty(),
        "{} of {} answers failed, first {:?}; the servers logged:\n{}",
        failed.len(),
        results.len(),
        failed.first(),
        ["first", "second"]
            .map(|name| std::fs::read_to_string(sandbox.path(&format!("{name}.log"))).unwrap())
            .join("\n")
    );
    let mut took: Vec<Duration> = results.iter().map(|(_, t, _)| *t).collect();
    took.sort();
    let p99 = took[took.len() * 99 / 100];
    let moves = results
        .iter()
        .filter(|(_, _, p)| p.starts_with("PATCH"))
        .count();
    println!(
        "{} answers in {seconds} s from two servers ({moves} deal moves; clients think {think:?}), p50 {:?}, p99 {p99:?}",
        results.len(),
        took[took.len() / 2],
    );
    for kind in ["PATCH", "/reports", "/metrics", "/me", "/deals?"] {
        let mut these: Vec<Duration> = results
            .iter()
            .filter(|(_, _, p)| p.contains(kind))
            .map(|(_, t, _)| *t)
            .collect();
        these.sort();
        println!(
            "  {kind}: {} answers, p50 {:?}, p99 {:?}",
            these.len(),
            these[these.len() / 2],
            these[these.len() * 99 / 100]
        );
    }
    assert!(moves >= CLIENTS / 2, "the clients moved deals");
    assert!(p99 <= P99_CEILING, "p99 {p99:?}");
    // Every move went through whole: each moved deal sits in its new stage, and its stage
    // history has exactly one open visit, of that stage.
    let open_visits = sandbox.json(&[
        "--db",
        &url,
        "sql",
        "SELECT count(*) AS deals_with_other_than_one_open_visit FROM (
           SELECT d.id FROM deals d LEFT JOIN deal_stage_history h
               ON h.deal_id = d.id AND h.exited_at IS NULL
            WHERE d.status = 'open'
            GROUP BY d.id, d.stage_id
           HAVING count(h.id) <> 1 OR max(h.stage_id) <> d.stage_id) broken",
    ]);
    assert_eq!(
        open_visits[0]["deals_with_other_than_one_open_visit"], 0,
        "{open_visits}"
    );

    // A password guessed through both servers in turn meets one limit: five failures in
    // all lock the account on either (both read the failures from the database).
    assert_eq!(caller.login(&first.base, PASSWORD), 200);
    for attempt in 0..5 {
        let base = [&first.base, &second.base][attempt % 2];
        assert_eq!(caller.login(base, "not the password"), 401);
    }
    assert_eq!(caller.login(&second.base, PASSWORD), 429);
    assert_eq!(caller.login(&first.base, PASSWORD), 429);

    // A user disabled from the command line loses their token on both servers within a
    // second, though both had just answered it (and keep who a token is between writes).
    let bea = Caller {
        agent: agent(),
        token: user_with_token(&sandbox, &url, ("Bea Rep", "bea@team.example", "rep")),
    };
    for base in [&first.base, &second.base] {
        assert_eq!(bea.status(base, "/me"), 200);
    }
    sandbox.ok(&["--db", &url, "user", "disable", "bea@team.example"]);
    let disabled = Instant::now();
    for base in [&first.base, &second.base] {
        while bea.status(base, "/me") != 401 {
            assert!(
                disabled.elapsed() < SEEN_WITHIN,
                "{base} still answers a disabled user's token"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // One server killed, the other serves on.
    drop(first);
    assert_eq!(health(&second.base), Some(200));
    for _ in 0..20 {
        let (status, body) = caller.get(&second.base, "/reports/pipeline");
        assert_eq!(status, 200, "{body}");
    }

    // The database goes down: the server says it is not ready. It comes back: the server
    // connects again by itself and serves what it could not.
    postgres.stop();
    assert_eq!(health(&second.base), Some(503));
    postgres.run();
    let back = Instant::now();
    while health(&second.base) != Some(200) {
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "the server did not come back with its database"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A pooled connection learns its database went away only when it is next used: that
    // request is answered 503 (try again), never 500, and the connection is replaced.
    let until_answered = |call: &dyn Fn() -> (u16, Value)| {
        for _ in 0..10 {
            let (status, body) = call();
            if status != 503 {
                return (status, body);
            }
        }
        panic!("still 503 after ten tries");
    };
    for path in ["/deals?limit=5", "/reports/pipeline", "/me"] {
        let (status, body) = until_answered(&|| caller.get(&second.base, path));
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, moved) = until_answered(&|| {
        caller.move_deal(
            &second.base,
            deals[0]["id"].as_i64().unwrap(),
            deals[0]["stage_id"].as_i64().unwrap(),
        )
    });
    assert_eq!(status, 200, "a write after the database came back: {moved}");
}
