//! Schedules and alerts against a real SMTP server (aiosmtpd, started here; `bash .ci/test`
//! installs it in `$HOME/.cache/embudo-venv`) and a real HTTP receiver on loopback, on a
//! generated business, with the clock moved by the test. Expected figures come from plain
//! SQL written here. On PostgreSQL too when the run is for it (`EMBUDO_TEST_ENGINE=postgres`).

use chrono::{Duration, NaiveDate, NaiveDateTime};
use embudo_access::users::{self, NewUser};
use embudo_metrics::Calendar;
use embudo_monitor::alert::Rule;
use embudo_monitor::cadence::Cadence;
use embudo_monitor::deliver::{Security, Settings, Smtp};
use embudo_monitor::notify;
use embudo_monitor::schedule::{Attach, Schedule};
use embudo_monitor::watch::{self, Pass, Watch};
use embudo_store::{Param, Store};
use embudo_testkit::Place;
use hmac::{Hmac, Mac};
use mail_parser::{MessageParser, MimeHeaders};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};

const REP: &str = "keith.black@embudo-demo.com";
const MANAGER: &str = "daniel.harris@embudo-demo.com";
const VIEWER: &str = "vera.viewer@example.com";

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// A small generated business up to 1 July 2026, with a viewer added and the manager
/// reading in Spanish.
fn business() -> (Place, Store) {
    let dir = Place::new();
    let mut store = dir.store("monitor");
    let params = embudo_synth::Params {
        scale: embudo_synth::Scale::Small,
        seed: 3,
        now: at("2026-07-01 00:00"),
        defect_rate: 0.0,
        signal: true,
    };
    embudo_synth::fill(&mut store, &params).unwrap();
    let viewer = NewUser {
        name: "Vera Viewer".into(),
        email: VIEWER.into(),
        role: "viewer".parse().unwrap(),
        team: None,
    };
    users::add(
        &store,
        &viewer,
        "a long enough password",
        at("2026-05-01 00:00"),
    )
    .unwrap();
    users::set_lang(&store, MANAGER, "es").unwrap();
    (dir, store)
}

/// aiosmtpd on a free loopback port, writing each message it receives to a maildir.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    fn start(dir: &Path) -> SmtpServer {
        SmtpServer::start_on(dir, free_port())
    }

    fn start_on(dir: &Path, port: u16) -> SmtpServer {
        let python = std::env::var_os("EMBUDO_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/embudo-venv")
            })
            .join("bin/python");
        let maildir = dir.join("maildir");
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "starting aiosmtpd with {} (run `bash .ci/test`): {e}",
                    python.display()
                )
            });
        // Held from here, so that dropping it (a panic included) stops the process.
        let server = SmtpServer {
            child,
            port,
            maildir,
        };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("aiosmtpd did not listen on {port}");
    }

    /// Every message received: (to, subject, plain text, attachment names and bytes).
    fn messages(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut out: Vec<Received> = entries
            .map(|entry| {
                let raw = std::fs::read(entry.unwrap().path()).unwrap();
                let message = MessageParser::default().parse(&raw).unwrap();
                Received {
                    to: message
                        .to()
                        .unwrap()
                        .first()
                        .unwrap()
                        .address()
                        .unwrap()
                        .to_owned(),
                    subject: message.subject().unwrap().to_owned(),
                    text: message.body_text(0).unwrap().into_owned(),
                    attachments: message
                        .attachments()
                        .map(|a| {
                            (
                                a.attachment_name().unwrap_or_default().to_owned(),
                                a.contents().to_vec(),
                            )
                        })
                        .collect(),
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.subject, &a.to).cmp(&(&b.subject, &b.to)));
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Received {
    to: String,
    subject: String,
    text: String,
    attachments: Vec<(String, Vec<u8>)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP receiver on loopback: answers 500 to the first `failures` requests, then 200,
/// keeping each request's signature header and body.
struct Receiver {
    url: String,
    received: Requests,
}

/// Each request's `X-Embudo-Signature` header and body.
type Requests = Arc<Mutex<Vec<(Option<String>, Vec<u8>)>>>;

impl Receiver {
    fn start(failures: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&received);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let mut stream = stream.unwrap();
                let (signature, body) = read_request(&mut stream);
                let status = if n < failures {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                if n >= failures {
                    kept.lock().unwrap().push((signature, body));
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            }
        });
        Receiver { url, received }
    }

    fn bodies(&self) -> Vec<(Option<String>, serde_json::Value, Vec<u8>)> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(s, b)| (s.clone(), serde_json::from_slice(b).unwrap(), b.clone()))
            .collect()
    }
}

fn read_request(stream: &mut TcpStream) -> (Option<String>, Vec<u8>) {
    let mut reader = BufReader::new(stream);
    let (mut length, mut signature) = (0, None);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "x-embudo-signature" => signature = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (signature, body)
}

fn settings(smtp_port: u16) -> Settings {
    Settings {
        smtp: Some(Smtp {
            host: "127.0.0.1".into(),
            port: smtp_port,
            security: Security::None,
            username: None,
            password: None,
            from: "Embudo <reports@example.com>".into(),
        }),
        webhook_secret: Some("s3cret".into()),
        attempts: 3,
        backoff: std::time::Duration::from_secs(1),
    }
}

fn pass(store: &Store, settings: &Settings, now: NaiveDateTime) -> Pass {
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    let watch = Watch {
        store,
        calendar: &calendar,
        settings,
        lang: "en",
        // The clock is the test's: nothing waits.
        sleep: &|_| {},
    };
    watch::run_due(&watch, now).unwrap()
}

/// Deals won by the owners `whose` names, closed in [from, to), by plain SQL.
fn deals_won(store: &Store, whose: &str, from: NaiveDate, to: NaiveDate) -> i64 {
    store
        .query_with(
            &format!(
                "SELECT count(*) FROM deals d LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN teams t ON t.id = u.team_id
                  WHERE d.status = 'won' AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
                    AND d.closed_at >= CAST(? AS TIMESTAMP) AND d.closed_at < CAST(? AS TIMESTAMP) AND {whose}"
            ),
            &[Param::Text(from.to_string()), Param::Text(to.to_string())],
        )
        .unwrap()
        .rows[0][0]
        .as_i64()
        .unwrap()
}

/// The number after `deals_won`'s label in the Totals section of a plain-text body in `lang`.
fn total(text: &str, lang: &str) -> i64 {
    let section = format!(
        "\n{}\n",
        embudo_reports::i18n::label("section.totals", lang)
    );
    let label = embudo_reports::i18n::column_label("deals_won", lang);
    let totals = text.split(&section).nth(1).expect("a Totals section");
    let line = totals.lines().next().unwrap();
    let cell = line
        .split(" · ")
        .find_map(|cell| cell.trim().strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no {label} in {line}"));
    cell.trim().replace(',', "").parse().unwrap_or(0)
}

fn names_outside(store: &Store, sql_filter: &str) -> Vec<String> {
    store
        .query_with(
            &format!("SELECT u.name FROM users u LEFT JOIN teams t ON t.id = u.team_id WHERE u.role = 'rep' AND NOT ({sql_filter})"),
            &[],
        )
        .unwrap()
        .rows
        .iter()
        .map(|r| r[0].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_month_of_schedules_reaches_each_person_once_per_period_in_their_scope() {
    let (dir, store) = business();
    let smtp = SmtpServer::start(dir.dir());
    let hook = Receiver::start(0);
    let created = at("2026-06-01 00:00");
    let weekly = Schedule {
        name: "weekly-sales".into(),
        report: "sales_performance".into(),
        filters: BTreeMap::new(),
        cadence: Cadence::new("week", Some("08:00"), Some("mon")).unwrap(),
        recipients: vec![REP.into(), MANAGER.into(), VIEWER.into()],
        webhook: None,
        format: Attach::Xlsx,
        created_at: created,
    };
    weekly.add(&store).unwrap();
    let monthly = Schedule {
        name: "monthly-pipeline".into(),
        report: "pipeline".into(),
        recipients: vec![MANAGER.into()],
        webhook: Some(hook.url.clone()),
        format: Attach::Html,
        cadence: Cadence::new("month", Some("07:00"), None).unwrap(),
        ..weekly.clone()
    };
    monthly.add(&store).unwrap();
    let settings = settings(smtp.port);

    // Every three hours through June, with the server down from the 14th to the 23rd at
    // 09:00 (the Mondays of the 15th and 22nd missed), and twice at the same instant.
    let mut now = created;
    while now <= at("2026-07-01 12:00") {
        if !(at("2026-06-14 00:00") < now && now < at("2026-06-23 09:00")) {
            pass(&store, &settings, now);
        }
        if now == at("2026-06-29 09:00") {
            assert_eq!(
                pass(&store, &settings, now).sent,
                0,
                "a second pass sends nothing"
            );
        }
        now += Duration::hours(3);
    }

    // The weeks delivered: the one before each Monday, except the week of the 8th, whose
    // Monday fell while the server was down and a later Monday was also due by restart.
    let weeks = ["2026-05-25", "2026-06-01", "2026-06-15", "2026-06-22"];
    let messages = smtp.messages();
    let weekly_mail: Vec<&Received> = messages
        .iter()
        .filter(|m| m.attachments.len() == 1)
        .collect();
    assert_eq!(weekly_mail.len(), weeks.len() * 3, "{messages:#?}");
    let monthly_mail: Vec<&Received> = messages
        .iter()
        .filter(|m| m.attachments.is_empty())
        .collect();
    assert_eq!(monthly_mail.len(), 2);
    assert!(monthly_mail.iter().all(|m| m.to == MANAGER));
    let hooks = hook.bodies();
    assert_eq!(hooks.len(), 2);
    let periods: Vec<&str> = hooks
        .iter()
        .map(|(_, b, _)| b["period"]["from"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2026-05-01", "2026-06-01"]);
    for (signature, body, raw) in &hooks {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(raw);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            signature.as_deref(),
            Some(format!("sha256={expected}").as_str())
        );
        assert!(
            body["text"].as_str().unwrap().contains("Pipeline"),
            "{body}"
        );
    }

    for from in weeks {
        let from = day(from);
        let to = from + Duration::days(7);
        let subject_dates = format!("{from} – {}", to - Duration::days(1));
        let of = |to: &str| -> &Received {
            weekly_mail
                .iter()
                .find(|m| m.to == to && m.subject.contains(&subject_dates))
                .unwrap_or_else(|| panic!("no mail to {to} for {subject_dates}"))
        };
        // The rep's copy counts the rep's deals only, and names no other rep.
        let rep = of(REP);
        assert_eq!(
            total(&rep.text, "en"),
            deals_won(&store, "u.name = 'Keith Black'", from, to)
        );
        for other in names_outside(&store, "u.name = 'Keith Black'") {
            assert!(!rep.text.contains(&other), "{other} in the rep's mail");
        }
        // The viewer's covers everyone.
        let viewer = of(VIEWER);
        assert_eq!(
            total(&viewer.text, "en"),
            deals_won(&store, "true", from, to)
        );
        // The manager's, in Spanish, covers their team.
        let manager = of(MANAGER);
        assert!(manager.subject.starts_with(&embudo_reports::i18n::label(
            "report.sales_performance",
            "es"
        )));
        assert_eq!(
            total(&manager.text, "es"),
            deals_won(&store, "t.name = 'Sales North'", from, to)
        );
        for other in names_outside(&store, "t.name = 'Sales North'") {
            assert!(
                !manager.text.contains(&other),
                "{other} in the manager's mail"
            );
        }
        // The attachment is a workbook that opens.
        let (name, bytes) = &rep.attachments[0];
        assert!(name.ends_with(".xlsx"));
        let workbook: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
        assert!(!calamine::Reader::sheet_names(&workbook).is_empty());
    }
    // The journal holds one sent row per message, and nothing else.
    let journal = store
        .query_with(
            "SELECT count(*) FILTER (WHERE outcome = 'sent'), count(*) FROM deliveries",
            &[],
        )
        .unwrap();
    assert_eq!(journal.rows[0][0].as_i64(), Some(16));
    assert_eq!(journal.rows[0][1].as_i64(), Some(16));
}

#[test]
fn a_dead_smtp_server_is_retried_recorded_and_caught_up_once_it_is_back() {
    let (dir, store) = business();
    let hook = Receiver::start(1);
    let schedule = Schedule {
        name: "daily".into(),
        report: "activity".into(),
        filters: BTreeMap::new(),
        cadence: Cadence::new("day", Some("08:00"), None).unwrap(),
        recipients: vec![REP.into(), VIEWER.into()],
        webhook: Some(hook.url.clone()),
        format: Attach::Csv,
        created_at: at("2026-06-01 00:00"),
    };
    schedule.add(&store).unwrap();
    // Nothing listens on the port yet.
    let port = free_port();
    let down = pass(&store, &settings(port), at("2026-06-10 09:00"));
    // Two e-mails failed after three tries each; the webhook failed once and then went.
    assert_eq!((down.sent, down.failed), (1, 2));
    let attempts = store
        .query_with(
            "SELECT channel, string_agg(outcome, ',' ORDER BY attempt) FROM deliveries GROUP BY channel, target ORDER BY 1, 2",
            &[],
        )
        .unwrap();
    let outcomes: Vec<String> = attempts
        .rows
        .iter()
        .map(|r| format!("{}:{}", r[0].as_str().unwrap(), r[1].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            "email:failed,failed,failed",
            "email:failed,failed,failed",
            "webhook:failed,sent"
        ]
    );

    // The server comes back on that port: the next pass delivers the same day, once.
    let smtp = SmtpServer::start_on(dir.dir(), port);
    let back = pass(&store, &settings(port), at("2026-06-10 09:05"));
    let errors = store
        .query_with(
            "SELECT target, error FROM deliveries WHERE attempted_at > '2026-06-10 09:00'",
            &[],
        )
        .unwrap();
    assert_eq!((back.sent, back.failed), (2, 0), "{:?}", errors.rows);
    assert_eq!(
        pass(&store, &settings(port), at("2026-06-10 09:10")).sent,
        0
    );
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    assert!(
        messages
            .iter()
            .all(|m| m.subject.contains("2026-06-09 – 2026-06-09"))
    );
    assert!(
        messages
            .iter()
            .all(|m| m.attachments[0].0.ends_with(".csv"))
    );
    assert_eq!(hook.bodies().len(), 1);
}

#[test]
fn recipients_and_urls_that_cannot_work_are_refused_when_added() {
    let (_dir, store) = business();
    let base = Schedule {
        name: "x".into(),
        report: "pipeline".into(),
        filters: BTreeMap::new(),
        cadence: Cadence::new("week", None, None).unwrap(),
        recipients: vec![REP.into()],
        webhook: None,
        format: Attach::Html,
        created_at: at("2026-06-01 00:00"),
    };
    for (schedule, says) in [
        (
            Schedule {
                recipients: vec!["not an address".into()],
                ..base.clone()
            },
            "not an e-mail address",
        ),
        (
            Schedule {
                recipients: vec!["stranger@example.com".into()],
                ..base.clone()
            },
            "not an active user",
        ),
        (
            Schedule {
                webhook: Some("hooks.example.com/x".into()),
                ..base.clone()
            },
            "http:// or https://",
        ),
        (
            Schedule {
                recipients: vec![],
                ..base.clone()
            },
            "nobody to deliver to",
        ),
        (
            Schedule {
                report: "pipelines".into(),
                ..base.clone()
            },
            "no report 'pipelines'",
        ),
        (
            Schedule {
                recipients: vec!["valentina.molina@embudo-demo.com".into()],
                ..base.clone()
            },
            "cannot open the pipeline report",
        ),
    ] {
        let error = schedule.add(&store).unwrap_err().to_string();
        assert!(error.contains(says), "{error}");
    }
    assert!(embudo_monitor::schedule::list(&store).unwrap().is_empty());
}

#[test]
fn an_alert_fires_when_its_condition_starts_once_until_it_clears() {
    let (dir, store) = business();
    let smtp = SmtpServer::start(dir.dir());
    let hook = Receiver::start(0);
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    // Weekly deals won by the whole company, by plain SQL, for the weeks of 2026 to June.
    let mut monday = day("2026-01-05");
    let mut weeks = Vec::new();
    while monday < day("2026-06-29") {
        weeks.push((
            monday,
            deals_won(&store, "true", monday, monday + Duration::days(7)),
        ));
        monday += Duration::days(7);
    }
    let mut values: Vec<i64> = weeks.iter().map(|w| w.1).collect();
    values.sort_unstable();
    let threshold = values[values.len() / 2];
    let rule = Rule {
        name: "few-wins".into(),
        condition: format!("deals_won < {threshold}").parse().unwrap(),
        filters: BTreeMap::new(),
        cadence: Cadence::new("week", Some("09:00"), None).unwrap(),
        recipients: vec![VIEWER.into()],
        webhook: Some(hook.url.clone()),
        cooldown: Duration::zero(),
        created_at: at("2026-01-01 00:00"),
        firing: false,
        last_fired_at: None,
        last_period: None,
        firing_on: Vec::new(),
        by: None,
    };
    rule.add(&store, &calendar, at("2026-01-01 00:00")).unwrap();
    // A rep sees only their own records, a manager their team's: a company-wide rule is
    // refused for them, with the filter that would do.
    for (who, says) in [(REP, "owner=Keith Black"), (MANAGER, "team=Sales North")] {
        let narrower = Rule {
            name: "mine".into(),
            recipients: vec![who.into()],
            ..rule.clone()
        };
        let refused = narrower
            .add(&store, &calendar, at("2026-01-01 00:00"))
            .unwrap_err()
            .to_string();
        assert!(refused.contains(says), "{refused}");
    }

    let settings = settings(smtp.port);
    let mut fired_weeks = Vec::new();
    for (from, _) in &weeks {
        // Judged on the Monday after the week, and again an hour later (nothing new).
        let judged = from.and_hms_opt(9, 30, 0).unwrap() + Duration::days(7);
        let pass1 = pass(&store, &settings, judged);
        assert!(pass1.errors.is_empty(), "{:?}", pass1.errors);
        if !pass1.fired.is_empty() {
            fired_weeks.push(*from);
        }
        assert!(
            pass(&store, &settings, judged + Duration::hours(1))
                .fired
                .is_empty()
        );
    }
    // It fires on each week where the condition holds and did not hold the week before.
    let expected: Vec<NaiveDate> = weeks
        .iter()
        .enumerate()
        .filter(|(i, (_, won))| *won < threshold && (*i == 0 || weeks[i - 1].1 >= threshold))
        .map(|(_, (from, _))| *from)
        .collect();
    assert!(!expected.is_empty() && expected.len() < weeks.len());
    assert_eq!(fired_weeks, expected);
    assert_eq!(smtp.messages().len(), expected.len());
    let hooks = hook.bodies();
    assert_eq!(hooks.len(), expected.len());
    for ((_, body, _), from) in hooks.iter().zip(&expected) {
        let won = weeks.iter().find(|w| w.0 == *from).unwrap().1;
        assert_eq!(body["value"].as_f64(), Some(won as f64), "{body}");
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .contains(&format!("Deals won was {won} from {from}")),
            "{body}"
        );
    }
}

/// The task rows scheduled in the next seven days, summed over owners, as the activity
/// report shows them at `at`.
fn tasks_scheduled_in_report(store: &Store, at: NaiveDateTime) -> i64 {
    let ctx = embudo_reports::Context {
        store,
        calendar: Calendar::new(chrono_tz::UTC, 1).unwrap(),
        params: embudo_reports::Params {
            at: Some(at),
            lang: "en".into(),
            ..Default::default()
        },
        now: at,
    };
    let report = embudo_reports::build(&ctx, "activity").unwrap();
    let section = report
        .sections
        .iter()
        .find(|s| s.name == "by_owner_and_type")
        .unwrap();
    let column = |key: &str| section.columns.iter().position(|c| c.key == key).unwrap();
    let (kind, scheduled) = (column("activity_type"), column("scheduled_next_7_days"));
    section
        .rows
        .iter()
        .filter(|row| row[kind] == "task")
        .map(|row| row[scheduled].as_i64().unwrap_or(0))
        .sum()
}

#[test]
fn a_stale_deals_alert_names_its_deals_and_its_action_is_one_task_per_deal_undone_exactly() {
    let (dir, store) = business();
    let smtp = SmtpServer::start(dir.dir());
    let hook = Receiver::start(0);
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    let rule = Rule {
        name: "stuck".into(),
        condition: "stale_deals(30) > 0".parse().unwrap(),
        filters: BTreeMap::from([("team".to_owned(), "Sales North".to_owned())]),
        cadence: Cadence::new("week", Some("08:00"), None).unwrap(),
        recipients: vec![MANAGER.into()],
        webhook: Some(hook.url.clone()),
        cooldown: Duration::hours(24),
        created_at: at("2026-06-01 00:00"),
        firing: false,
        last_fired_at: None,
        last_period: None,
        firing_on: Vec::new(),
        by: None,
    };
    rule.add(&store, &calendar, at("2026-06-01 00:00")).unwrap();
    let filter = BTreeMap::from([("source".to_owned(), "web".to_owned())]);
    let refused = Rule {
        name: "odd".into(),
        filters: filter,
        ..rule.clone()
    }
    .add(&store, &calendar, at("2026-06-01 00:00"))
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("stale_deals(30) takes owner, team, pipeline"),
        "{refused}"
    );

    // Judged on Monday 29 June, as of midnight: the team's open deals with no stage entered
    // in the 30 days before, by plain SQL.
    let judged = at("2026-06-29 09:00");
    let as_of = at("2026-06-29 00:00");
    let expected = store
        .query_with(
            "SELECT d.id, d.owner_id FROM deals d JOIN users u ON u.id = d.owner_id JOIN teams t ON t.id = u.team_id
              WHERE t.name = 'Sales North' AND d.status = 'open' AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
                AND d.created_at <= ?
                AND EXISTS (SELECT 1 FROM deal_stage_history h WHERE h.deal_id = d.id AND h.entered_at <= ?)
                AND NOT EXISTS (SELECT 1 FROM deal_stage_history h WHERE h.deal_id = d.id
                                   AND h.entered_at > ? AND h.entered_at <= ?)
              ORDER BY d.id",
            &[
                Param::Timestamp(as_of),
                Param::Timestamp(as_of - Duration::days(30)),
                Param::Timestamp(as_of - Duration::days(30)),
                Param::Timestamp(as_of),
            ],
        )
        .unwrap();
    let expected_ids: Vec<i64> = expected
        .rows
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert!(!expected_ids.is_empty());

    let fired = pass(&store, &settings(smtp.port), judged);
    assert_eq!(fired.fired, ["stuck"]);
    assert!(
        pass(&store, &settings(smtp.port), judged + Duration::hours(1))
            .fired
            .is_empty()
    );
    let hooks = hook.bodies();
    let mut named: Vec<i64> = hooks[0].1["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    named.sort_unstable();
    assert_eq!(named, expected_ids);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1);
    // The words agree with the count.
    let (deals, have) = match expected_ids.len() {
        1 => ("deal", "has"),
        _ => ("deals", "have"),
    };
    assert!(
        mail[0].text.contains(&format!(
            "{} open {deals} for team=Sales North {have} not moved stage in 30 days",
            expected_ids.len()
        )),
        "{}",
        mail[0].text
    );
    assert!(mail[0].text.contains(&format!("(#{})", expected_ids[0])));
    assert!(mail[0].text.contains("embudo alert act stuck"));
    // A stage history an import made up says so: its days count from creation.
    let synthesised = store
        .execute_with(
            "UPDATE deal_stage_history SET synthesised = true WHERE deal_id = ?",
            &[Param::Int(expected_ids[0])],
        )
        .unwrap();
    assert!(synthesised > 0);
    let settings = settings(smtp.port);
    let watch = Watch {
        store: &store,
        calendar: &calendar,
        settings: &settings,
        lang: "en",
        sleep: &|_| {},
    };
    let said = watch::alert_text(&rule, &watch::test_rule(&watch, &rule, judged).unwrap());
    assert!(
        said.contains("\n1 of them came without a stage history"),
        "{said}"
    );
    store
        .execute_with("UPDATE deal_stage_history SET synthesised = false", &[])
        .unwrap();

    // In the product: the manager has one unread notification naming the same deals; no one
    // else was told.
    let manager = user_id(&store, MANAGER);
    let told = notify::list(&store, manager, 10).unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0].rule.as_str(), told[0].kind, told[0].read_at),
        ("stuck", notify::Kind::Alert, None)
    );
    assert_eq!(told[0].records.entity, "deals");
    let mut behind = told[0].records.ids.clone();
    behind.sort_unstable();
    assert_eq!(behind, expected_ids);
    assert_eq!(notifications_of_others(&store, manager), 0);
    assert_eq!(notify::unread(&store, manager).unwrap(), 1);
    assert_eq!(
        notify::mark_read(&store, manager, Some(told[0].id), judged).unwrap(),
        1
    );
    assert_eq!(notify::unread(&store, manager).unwrap(), 0);
    // Another user's notification cannot be read or marked through its id.
    let rep = user_id(&store, REP);
    assert!(notify::get(&store, rep, told[0].id).unwrap().is_none());

    // The action: one task per stale deal, for its owner, due two days later; visible in
    // the activity report's tasks scheduled for the next seven days.
    let before = tasks_scheduled_in_report(&store, as_of);
    let action =
        embudo_monitor::action::follow_up(&store, &rule, as_of, Duration::days(2)).unwrap();
    assert_eq!(
        (action.tasks.len(), action.unowned),
        (expected_ids.len(), 0)
    );
    let tasks = store
        .query_with(
            "SELECT a.deal_id, a.owner_id = d.owner_id, a.due_at = ? FROM activities a JOIN deals d ON d.id = a.deal_id
              WHERE a.type = 'task' AND a.created_at = ? ORDER BY a.deal_id",
            &[Param::Timestamp(as_of + Duration::days(2)), Param::Timestamp(as_of)],
        )
        .unwrap();
    let task_deals: Vec<i64> = tasks.rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    assert_eq!(task_deals, expected_ids);
    assert!(
        tasks
            .rows
            .iter()
            .all(|r| r[1].as_bool() == Some(true) && r[2].as_bool() == Some(true))
    );
    assert_eq!(
        tasks_scheduled_in_report(&store, as_of),
        before + expected_ids.len() as i64
    );
    // Each owner is told of their own tasks, once, naming their deals.
    let dialect = store.dialect();
    let owners = store
        .query_with(
            &format!(
                "SELECT owner_id, string_agg(CAST(id AS VARCHAR), ',' ORDER BY id) FROM deals
                  WHERE {} GROUP BY 1 ORDER BY 1",
                dialect.in_id_list("id")
            ),
            &[Param::Text(dialect.id_list(&expected_ids))],
        )
        .unwrap();
    assert!(!owners.rows.is_empty());
    for row in &owners.rows {
        let owner = row[0].as_i64().unwrap();
        let theirs: Vec<i64> = row[1]
            .as_str()
            .unwrap()
            .split(',')
            .map(|id| id.parse().unwrap())
            .collect();
        let told: Vec<_> = notify::list(&store, owner, 10)
            .unwrap()
            .into_iter()
            .filter(|n| n.kind == notify::Kind::Tasks)
            .collect();
        assert_eq!(told.len(), 1, "owner {owner}");
        let mut named = told[0].records.ids.clone();
        named.sort_unstable();
        assert_eq!(named, theirs);
        assert!(
            told[0]
                .message
                .starts_with(&format!("stuck: {} follow-up tasks for you", theirs.len())),
            "{}",
            told[0].message
        );
    }

    // Undone exactly: the tasks go, a task already done stays, and twice is refused.
    store
        .execute_with(
            "UPDATE activities SET completed_at = ? WHERE id = ?",
            &[
                Param::Timestamp(as_of + Duration::hours(1)),
                Param::Int(action.tasks[0]),
            ],
        )
        .unwrap();
    let (removed, kept) = embudo_monitor::action::undo(&store, action.id, judged).unwrap();
    assert_eq!((removed, kept), (expected_ids.len() - 1, 1));
    let told_of_tasks = store
        .query_with(
            "SELECT count(*) FROM notifications WHERE kind = 'tasks'",
            &[],
        )
        .unwrap();
    assert_eq!(told_of_tasks.rows[0][0].as_i64(), Some(0));
    // The task kept was done an hour after the instant: at it, it was still to do.
    assert_eq!(tasks_scheduled_in_report(&store, as_of), before + 1);
    assert!(embudo_monitor::action::undo(&store, action.id, judged).is_err());
}

fn user_id(store: &Store, email: &str) -> i64 {
    store
        .query_with(
            "SELECT id FROM users WHERE email = ?",
            &[Param::Text(email.into())],
        )
        .unwrap()
        .rows[0][0]
        .as_i64()
        .unwrap()
}

/// Notifications of anyone but `user`, by plain SQL.
fn notifications_of_others(store: &Store, user: i64) -> i64 {
    store
        .query_with(
            "SELECT count(*) FROM notifications WHERE user_id <> ?",
            &[Param::Int(user)],
        )
        .unwrap()
        .rows[0][0]
        .as_i64()
        .unwrap()
}

fn rule_on(name: &str, when: &str, recipients: &[&str]) -> Rule {
    Rule {
        name: name.into(),
        condition: when.parse().unwrap(),
        filters: BTreeMap::new(),
        cadence: Cadence::new("week", Some("08:00"), None).unwrap(),
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        webhook: None,
        cooldown: Duration::hours(24),
        created_at: at("2026-06-01 00:00"),
        firing: false,
        last_fired_at: None,
        last_period: None,
        firing_on: Vec::new(),
        by: None,
    }
}

#[test]
fn goals_falling_behind_and_a_quality_drop_alert_with_what_to_look_at() {
    let (dir, store) = business();
    let smtp = SmtpServer::start(dir.dir());
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    // Two hand goals for June: one no business could reach, one reached on the first win.
    store
        .execute_batch(
            "INSERT INTO goals (id, name, metric, target, period_start, period_end, scope, direction)
             VALUES (1001, 'Impossible revenue', 'revenue', 1e12, '2026-06-01', '2026-07-01', 'company', 'at_least'),
                    (1002, 'One win', 'deals_won', 1, '2026-06-01', '2026-07-01', 'company', 'at_least');",
        )
        .unwrap();
    // Two audits by hand: contacts' validity fell from 95 to 80, deals stayed at 90, so the
    // score (the mean of the entities' means) fell from 92.5 to 85: 7.5 points.
    store
        .execute_batch(
            "INSERT INTO audit_runs VALUES
               (1, '2026-06-20', 'contacts', 'validity', 95, 50, 1000), (1, '2026-06-20', 'deals', 'completeness', 90, 10, 100),
               (2, '2026-06-27', 'contacts', 'validity', 80, 200, 1000), (2, '2026-06-27', 'deals', 'completeness', 90, 10, 100);",
        )
        .unwrap();
    let goals = rule_on("goals", "goals_at_risk > 0", &[VIEWER]);
    goals
        .add(&store, &calendar, at("2026-06-01 00:00"))
        .unwrap();
    let quality = rule_on(
        "quality",
        "quality_drop >= 5",
        &["michael.miller@embudo-demo.com"],
    );
    quality
        .add(&store, &calendar, at("2026-06-01 00:00"))
        .unwrap();
    // The audit reads every record: only admins hear of its score.
    let refused = rule_on("q2", "quality_drop >= 5", &[VIEWER])
        .add(&store, &calendar, at("2026-06-01 00:00"))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("cannot see quality_drop"), "{refused}");

    let judged = pass(&store, &settings(smtp.port), at("2026-06-29 09:00"));
    assert_eq!(judged.fired, ["goals", "quality"]);
    let messages = smtp.messages();
    let text = |to: &str| &messages.iter().find(|m| m.to == to).unwrap().text;
    let goals_text = text(VIEWER);
    assert!(
        goals_text.contains("- Impossible revenue (revenue): "),
        "{goals_text}"
    );
    assert!(!goals_text.contains("One win"), "{goals_text}");
    let quality_text = text("michael.miller@embudo-demo.com");
    assert!(quality_text.contains("fell 7.5 points"), "{quality_text}");
    assert!(
        quality_text.contains("- contacts validity: 95 → 80 (200 of 1000 failing)"),
        "{quality_text}"
    );
    assert!(
        !quality_text.contains("deals completeness"),
        "{quality_text}"
    );
}

#[test]
fn tickets_past_their_sla_are_named_to_the_support_agents() {
    let (dir, store) = business();
    let smtp = SmtpServer::start(dir.dir());
    let hook = Receiver::start(0);
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    // Service is the agents' (and admins' and viewers') to see, not a sales manager's.
    let refused = rule_on("sla", "sla_breaches > 0", &[MANAGER])
        .add(&store, &calendar, at("2026-06-01 00:00"))
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("a manager cannot see sla_breaches"),
        "{refused}"
    );
    let mut rule = rule_on(
        "sla",
        "sla_breaches > 0",
        &["valentina.molina@embudo-demo.com"],
    );
    rule.cadence = Cadence::new("day", Some("08:00"), None).unwrap();
    rule.webhook = Some(hook.url.clone());
    rule.filters = BTreeMap::from([("team".to_owned(), "Customer Support".to_owned())]);
    rule.add(&store, &calendar, at("2026-06-01 00:00")).unwrap();

    // Judged on the first day in June when a ticket was still open, past its due time, at
    // midnight; as of that midnight, the team's tickets open and past their due time.
    let day = store
        .query_with(
            "SELECT min(d) FROM (SELECT date_trunc('day', sla_due_at) + INTERVAL '1 day' AS d FROM tickets) days
              WHERE d >= TIMESTAMP '2026-06-02' AND EXISTS (
                    SELECT 1 FROM tickets k WHERE k.opened_at <= d AND k.sla_due_at < d
                       AND (k.resolved_at IS NULL OR k.resolved_at > d))",
            &[],
        )
        .unwrap()
        .rows[0][0]
        .as_str()
        .unwrap()
        .to_owned();
    let as_of = NaiveDateTime::parse_from_str(&day[..19], "%Y-%m-%dT%H:%M:%S").unwrap();
    let expected = store
        .query_with(
            "SELECT k.id FROM tickets k JOIN users u ON u.id = k.agent_id JOIN teams t ON t.id = u.team_id
              WHERE t.name = 'Customer Support' AND k.opened_at <= ? AND k.sla_due_at < ?
                AND NOT (k.resolved_at IS NOT NULL AND k.resolved_at <= ?)
              ORDER BY k.id",
            &[Param::Timestamp(as_of), Param::Timestamp(as_of), Param::Timestamp(as_of)],
        )
        .unwrap();
    let expected: Vec<i64> = expected
        .rows
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert!(!expected.is_empty());
    let judged = pass(&store, &settings(smtp.port), as_of + Duration::hours(9));
    assert_eq!(judged.fired, ["sla"], "{judged:?} at {as_of}");
    let mut named: Vec<i64> = hook.bodies()[0].1["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    named.sort_unstable();
    assert_eq!(named, expected);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].text.contains(&format!(
            "{} open tickets for team=Customer Support are past their SLA",
            expected.len()
        )),
        "{}",
        mail[0].text
    );
}

#[test]
fn deals_whose_chance_fell_are_named_and_followed_up() {
    let (dir, store) = business();
    let smtp = SmtpServer::start(dir.dir());
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    let open_in = |team: &str, count: i64| -> Vec<(i64, i64)> {
        store
            .query_with(
                "SELECT d.id, d.owner_id FROM deals d JOIN users u ON u.id = d.owner_id JOIN teams t ON t.id = u.team_id
                  WHERE t.name = ? AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
                    AND d.created_at <= TIMESTAMP '2026-06-01' AND (d.closed_at IS NULL OR d.closed_at > TIMESTAMP '2026-06-29')
                  ORDER BY d.id LIMIT ?",
                &[Param::Text(team.into()), Param::Int(count)],
            )
            .unwrap()
            .rows
            .iter()
            .map(|r| (r[0].as_i64().unwrap(), r[1].as_i64().unwrap()))
            .collect()
    };
    let north = open_in("Sales North", 3);
    let south = open_in("Sales South", 1);
    assert_eq!((north.len(), south.len()), (3, 1));
    // Scored on the 10th and the 20th: the first North deal falls 30 points, the second 5,
    // the third rises; the South deal falls 40 but is another team's.
    let scores = [
        (north[0].0, 0.6, 0.3),
        (north[1].0, 0.5, 0.45),
        (north[2].0, 0.2, 0.5),
        (south[0].0, 0.7, 0.3),
    ];
    for (i, (deal, before, after)) in scores.iter().enumerate() {
        for (k, (probability, day)) in [(before, "2026-06-10"), (after, "2026-06-20")]
            .iter()
            .enumerate()
        {
            store
                .execute_with(
                    "INSERT INTO deal_scores (id, deal_id, probability, model_version, scored_at) VALUES (?, ?, ?, 'test', CAST(? AS TIMESTAMP))",
                    &[
                        Param::Int((i * 2 + k) as i64 + 1),
                        Param::Int(*deal),
                        Param::Float(**probability),
                        Param::Text((*day).into()),
                    ],
                )
                .unwrap();
        }
    }
    let mut rule = rule_on("falling", "probability_drops(20) > 0", &[MANAGER]);
    rule.filters = BTreeMap::from([("team".to_owned(), "Sales North".to_owned())]);
    rule.add(&store, &calendar, at("2026-06-01 00:00")).unwrap();

    let judged = pass(&store, &settings(smtp.port), at("2026-06-29 09:00"));
    assert_eq!(judged.fired, ["falling"]);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1);
    let text = &mail[0].text;
    assert!(
        text.contains("for 1 open deal for team=Sales North"),
        "{text}"
    );
    assert!(
        text.contains(&format!("(#{}): ", north[0].0)) && text.contains("60% → 30%"),
        "{text}"
    );
    for (other, _) in north[1..].iter().chain(&south) {
        assert!(!text.contains(&format!("(#{other})")), "{text}");
    }
    let action =
        embudo_monitor::action::follow_up(&store, &rule, at("2026-06-29 00:00"), Duration::days(1))
            .unwrap();
    assert_eq!(action.tasks.len(), 1);
    let task = store
        .query_with(
            "SELECT deal_id, owner_id, subject FROM activities WHERE id = ?",
            &[Param::Int(action.tasks[0])],
        )
        .unwrap();
    assert_eq!(task.rows[0][0].as_i64(), Some(north[0].0));
    assert_eq!(task.rows[0][1].as_i64(), Some(north[0].1));
    assert!(
        task.rows[0][2]
            .as_str()
            .unwrap()
            .contains("fell from 60% to 30%")
    );
}

#[test]
fn each_goal_newly_at_risk_fires_on_its_own() {
    let (dir, store) = business();
    let smtp = SmtpServer::start(dir.dir());
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    store
        .execute_batch(
            "INSERT INTO goals (id, name, metric, target, period_start, period_end, scope, direction)
             VALUES (1001, 'Impossible revenue', 'revenue', 1e12, '2026-06-01', '2026-07-01', 'company', 'at_least');",
        )
        .unwrap();
    let rule = Rule {
        cadence: Cadence::new("day", Some("08:00"), None).unwrap(),
        ..rule_on("goals", "goals_at_risk > 0", &[VIEWER])
    };
    rule.add(&store, &calendar, at("2026-06-01 00:00")).unwrap();
    let first = pass(&store, &settings(smtp.port), at("2026-06-27 09:00"));
    assert_eq!(first.fired, ["goals"]);
    // The same goal still behind the next day: nothing more.
    let quiet = pass(&store, &settings(smtp.port), at("2026-06-28 09:00"));
    assert!(quiet.fired.is_empty());
    // A second goal falls behind while the first still is: the rule fires for it.
    store
        .execute_batch(
            "INSERT INTO goals (id, name, metric, target, period_start, period_end, scope, direction)
             VALUES (1002, 'Impossible wins', 'deals_won', 1e9, '2026-06-01', '2026-07-01', 'company', 'at_least');",
        )
        .unwrap();
    let second = pass(&store, &settings(smtp.port), at("2026-06-29 09:00"));
    assert_eq!(second.fired, ["goals"]);
    let texts: Vec<String> = smtp.messages().into_iter().map(|m| m.text).collect();
    assert_eq!(texts.len(), 2);
    let newest = texts
        .iter()
        .find(|t| t.contains("Impossible wins"))
        .expect("the second alert names the new goal");
    assert!(
        newest.contains("- Impossible wins (deals_won): behind (new)")
            || newest.contains("- Impossible wins (deals_won): at risk (new)"),
        "{newest}"
    );
    assert!(
        !newest.contains("Impossible revenue (revenue): behind (new)")
            && !newest.contains("Impossible revenue (revenue): at risk (new)"),
        "{newest}"
    );
    let viewer = user_id(&store, VIEWER);
    assert_eq!(notify::list(&store, viewer, 10).unwrap().len(), 2);
}

/// A store written by hand: one pipeline whose open stage gives a win no chance, so the
/// forecast's whole range for any month is 0, and what the open deals bring is known.
fn hand_pipeline() -> (Place, Store) {
    let dir = Place::new();
    let store = dir.store("band");
    store
        .execute_batch(
            "INSERT INTO users (id, name, email, role, active, created_at)
               VALUES (1, 'Ada Admin', 'ada@example.com', 'admin', true, '2026-01-01');
             INSERT INTO pipelines VALUES (1, 'Sales');
             INSERT INTO stages (id, pipeline_id, name, position, probability, kind)
               VALUES (1, 1, 'Long shot', 1, 0.0, 'open'),
                      (2, 1, 'Won', 2, 1.0, 'won');
             -- Open on 1 June: A (3,000, won on 15 June) and B (2,000, still open).
             -- C (5,000) is created on 10 June and won on 20 June: not part of 1 June's pipeline.
             INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, currency, owner_id,
                                created_at, closed_at, updated_at)
               VALUES (1, 'A', 1, 2, 'won', 3000, 'USD', 1, '2026-05-01', '2026-06-15', '2026-06-15'),
                      (2, 'B', 1, 1, 'open', 2000, 'USD', 1, '2026-05-02', NULL, '2026-05-02'),
                      (3, 'C', 1, 2, 'won', 5000, 'USD', 1, '2026-06-10', '2026-06-20', '2026-06-20');
             INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at) VALUES
               (1, 1, 1, '2026-05-01', '2026-06-15'), (2, 1, 2, '2026-06-15', NULL),
               (3, 2, 1, '2026-05-02', NULL),
               (4, 3, 1, '2026-06-10', '2026-06-20'), (5, 3, 2, '2026-06-20', NULL);",
        )
        .unwrap();
    (dir, store)
}

#[test]
fn revenue_outside_the_forecast_range_made_at_the_period_start_fires() {
    let (_dir, store) = hand_pipeline();
    let hook = Receiver::start(0);
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    let rule = Rule {
        cadence: Cadence::new("month", Some("08:00"), None).unwrap(),
        webhook: Some(hook.url.clone()),
        ..rule_on("band", "forecast_band > 1000", &["ada@example.com"])
    };
    rule.add(&store, &calendar, at("2026-05-15 00:00")).unwrap();
    let no_smtp = Settings {
        smtp: None,
        ..settings(0)
    };
    // June: the range made on 1 June is 0 – 0 (no open deal could be won); the deals open
    // then brought A's 3,000, which is 3,000 outside it. C came later and does not count.
    let june = pass(&store, &no_smtp, at("2026-07-01 09:00"));
    assert_eq!(june.fired, ["band"]);
    let body = &hook.bodies()[0].1;
    assert_eq!(body["band"]["open_deals"], 2);
    assert_eq!(body["band"]["actual"], 3000.0);
    assert_eq!(
        (body["band"]["p10"].as_f64(), body["band"]["p90"].as_f64()),
        (Some(0.0), Some(0.0))
    );
    assert_eq!(body["value"], 3000.0);
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("above the forecast's P10–P90 range"),
        "{}",
        body["text"]
    );
    let admin = user_id(&store, "ada@example.com");
    assert_eq!(notify::list(&store, admin, 10).unwrap().len(), 1);
    // July: B alone was open on 1 July and brought nothing, inside 0 – 0: cleared.
    let july = pass(&store, &no_smtp, at("2026-08-01 09:00"));
    assert_eq!(
        (july.fired.len(), july.cleared.as_slice()),
        (0, ["band".to_owned()].as_slice())
    );
}

/// (owner, deals won) of each row of a plain-text body, read from `Owner: … · Deals won: …`
/// lines (or their Spanish, for the manager who reads Spanish).
fn wins_by_owner(text: &str) -> Vec<(String, i64)> {
    let owner = embudo_reports::i18n::column_label("owner", "en");
    let won = embudo_reports::i18n::column_label("deals_won", "en");
    let (owner_es, won_es) = (
        embudo_reports::i18n::column_label("owner", "es"),
        embudo_reports::i18n::column_label("deals_won", "es"),
    );
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().split(" · ").collect();
            let value = |label: &str| {
                cells
                    .iter()
                    .find_map(|c| c.strip_prefix(&format!("{label}: ")))
                    .map(str::to_owned)
            };
            let (who, count) = match (value(&owner), value(&won)) {
                (Some(who), Some(count)) => (who, count),
                _ => (value(&owner_es)?, value(&won_es)?),
            };
            Some((who, count.replace(['.', ','], "").parse().ok()?))
        })
        .collect()
}

#[test]
fn a_saved_report_is_delivered_over_each_week_in_each_persons_scope() {
    let (dir, store) = business();
    // A rep of Sales North who won deals in June (Keith Black won none).
    let rep = "tyler.mcdonald@embudo-demo.com";
    let smtp = SmtpServer::start(dir.dir());
    // Saved over January by month: a delivery replaces the range with its own week.
    let spec = embudo_metrics::custom::ReportSpec {
        metrics: vec!["deals_won".into()],
        by: vec!["owner".into()],
        grain: Some("month".into()),
        from: "2026-01-01".into(),
        to: "2026-02-01".into(),
        filters: BTreeMap::new(),
        compare: None,
    };
    embudo_metrics::custom::save(&store, "wins-by-owner", &spec).unwrap();
    let schedule = Schedule {
        name: "wins".into(),
        report: format!("{}wins-by-owner", embudo_monitor::schedule::SAVED),
        filters: BTreeMap::new(),
        cadence: Cadence::new("week", Some("08:00"), Some("mon")).unwrap(),
        recipients: vec![rep.into(), MANAGER.into()],
        webhook: None,
        format: Attach::Html,
        created_at: at("2026-06-01 00:00"),
    };
    // A saved report carries its own filters; a name that was never saved is refused.
    for (wrong, says) in [
        (
            Schedule {
                filters: BTreeMap::from([("team".to_owned(), "Sales North".to_owned())]),
                ..schedule.clone()
            },
            "carries its own filters",
        ),
        (
            Schedule {
                report: "saved:nothing".into(),
                ..schedule.clone()
            },
            "no saved report 'nothing'",
        ),
    ] {
        let refused = wrong.add(&store).unwrap_err().to_string();
        assert!(refused.contains(says), "{refused}");
    }
    schedule.add(&store).unwrap();

    // Four Mondays: each delivers the week before, to each recipient in their scope.
    for monday in ["2026-06-08", "2026-06-15", "2026-06-22", "2026-06-29"] {
        let done = pass(&store, &settings(smtp.port), at(&format!("{monday} 09:00")));
        assert_eq!((done.sent, done.failed), (2, 0), "{monday}");
    }
    let (from, to) = (day("2026-06-01"), day("2026-06-29"));
    let messages = smtp.messages();
    assert_eq!(messages.len(), 8);
    // A week without a win reads as one empty row with 0 (the metric layer's spine).
    let rows_to = |to: &str| -> Vec<(String, i64)> {
        messages
            .iter()
            .filter(|m| m.to == to)
            .flat_map(|m| wins_by_owner(&m.text))
            .filter(|(owner, won)| !(owner.is_empty() && *won == 0))
            .collect()
    };
    let rep_rows = rows_to(rep);
    assert!(!rep_rows.is_empty());
    assert!(
        rep_rows.iter().all(|(owner, _)| owner == "Tyler McDonald"),
        "{rep_rows:?}"
    );
    let rep_wins: i64 = rep_rows.iter().map(|(_, n)| n).sum();
    assert_eq!(
        rep_wins,
        deals_won(&store, &format!("u.email = '{rep}'"), from, to)
    );
    let team_rows = rows_to(MANAGER);
    let outside = names_outside(&store, "t.name = 'Sales North'");
    assert!(team_rows.iter().all(|(owner, _)| !outside.contains(owner)));
    let team_wins: i64 = team_rows.iter().map(|(_, n)| n).sum();
    assert_eq!(
        team_wins,
        deals_won(&store, "t.name = 'Sales North'", from, to)
    );
    assert!(
        team_wins > rep_wins,
        "the team won more than one of its reps"
    );
}

/// The owners of Sales North who won at least `least` deals in [from, to), by plain SQL.
fn owners_winning(store: &Store, least: i64, from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut names: Vec<String> = store
        .query_with(
            "SELECT u.name FROM deals d JOIN users u ON u.id = d.owner_id JOIN teams t ON t.id = u.team_id
              WHERE t.name = 'Sales North' AND d.status = 'won' AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
                AND d.closed_at >= CAST(? AS TIMESTAMP) AND d.closed_at < CAST(? AS TIMESTAMP)
              GROUP BY 1 HAVING count(*) >= ?",
            &[
                Param::Text(from.to_string()),
                Param::Text(to.to_string()),
                Param::Int(least),
            ],
        )
        .unwrap()
        .rows
        .iter()
        .map(|r| r[0].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_rule_for_each_owner_names_those_crossing_and_fires_again_for_a_new_one() {
    let (_dir, store) = business();
    let hook = Receiver::start(0);
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    let rule = Rule {
        filters: BTreeMap::from([("team".to_owned(), "Sales North".to_owned())]),
        by: Some("owner".parse().unwrap()),
        webhook: Some(hook.url.clone()),
        created_at: at("2026-03-01 00:00"),
        ..rule_on("closers", "deals_won >= 2", &[MANAGER])
    };
    rule.add(&store, &calendar, at("2026-03-01 00:00")).unwrap();
    // Only metrics split by a dimension they have.
    let refused = Rule {
        name: "odd".into(),
        by: Some("priority".parse().unwrap()),
        ..rule.clone()
    }
    .add(&store, &calendar, at("2026-03-01 00:00"))
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("--by priority: deals_won splits by"),
        "{refused}"
    );

    let no_smtp = Settings {
        smtp: None,
        ..settings(0)
    };
    // Each Monday judges the week before. Expected, from plain SQL: fire when some owner
    // crosses and either nobody did the week before or someone new does.
    let mut before: Vec<String> = Vec::new();
    let (mut fired, mut quiet) = (0, 0);
    let mut monday = day("2026-03-09");
    while monday <= day("2026-06-29") {
        let crossing = owners_winning(&store, 2, monday - Duration::days(7), monday);
        let expected = !crossing.is_empty()
            && (before.is_empty() || crossing.iter().any(|o| !before.contains(o)));
        let judged = pass(&store, &no_smtp, monday.and_hms_opt(9, 0, 0).unwrap());
        assert_eq!(
            judged.fired.len() == 1,
            expected,
            "week before {monday}: {crossing:?} after {before:?}"
        );
        if expected {
            fired += 1;
            let bodies = hook.bodies();
            let body = &bodies.last().unwrap().1;
            let mut named: Vec<String> = body["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_owned())
                .collect();
            named.sort();
            assert_eq!(named, crossing, "week before {monday}");
        } else if !crossing.is_empty() {
            quiet += 1;
        }
        before = crossing;
        monday += Duration::days(7);
    }
    assert!(
        fired >= 2 && quiet >= 1,
        "fired {fired}, stayed quiet {quiet}"
    );
    let manager = user_id(&store, MANAGER);
    assert_eq!(notify::list(&store, manager, 50).unwrap().len(), fired);
}

#[test]
fn a_change_against_the_same_month_a_year_before_is_judged() {
    let (_dir, store) = business();
    let calendar = Calendar::new(chrono_tz::UTC, 1).unwrap();
    let rule = Rule {
        cadence: Cadence::new("month", Some("08:00"), None).unwrap(),
        ..rule_on("yoy", "deals_won change_pct_yoy < 10", &[VIEWER])
    };
    rule.add(&store, &calendar, at("2026-06-01 00:00")).unwrap();
    let settings = settings(0);
    let watch = Watch {
        store: &store,
        calendar: &calendar,
        settings: &settings,
        lang: "en",
        sleep: &|_| {},
    };
    let judged = watch::test_rule(&watch, &rule, at("2026-07-01 09:00")).unwrap();
    let june = deals_won(&store, "true", day("2026-06-01"), day("2026-07-01")) as f64;
    let june_before = deals_won(&store, "true", day("2025-06-01"), day("2025-07-01")) as f64;
    assert!(june_before > 0.0);
    assert_eq!(judged.value, Some(june));
    assert_eq!(judged.previous, Some(june_before));
    let change = judged.measure.unwrap();
    assert!(
        (change - (june - june_before) / june_before).abs() < 1e-9,
        "{change}"
    );
    assert!(watch::alert_text(&rule, &judged).contains("against the same period a year before"));
}
