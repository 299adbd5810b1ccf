//! The dashboard in a real browser: headless Chromium driven through ChromeDriver (Debian's
//! `chromium` and `chromium-driver`, which `.ci/run` installs when missing). A screenshot of
//! every page visited is kept under the target directory's `tmp/screenshots`.

mod support;

use embudo_access::users;
use embudo_store::{Param, Store};
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::Running;

const PASSWORD: &str = "a long browser password";

/// ChromeDriver on a free port, stopped with its browsers when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver (Debian's chromium-driver) must be installed: .ci/test installs it",
            );
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }

    async fn browser(&self) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,768"] }),
        );
        // Two TLS back ends are linked (the e-mail and webhook clients use ring, the
        // WebDriver client aws-lc-rs): rustls wants the process's default named.
        let _ = rustls::crypto::ring::default_provider().install_default();
        ClientBuilder::rustls()
            .expect("a TLS configuration")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a browser session")
    }
}

impl Drop for Driver {
    /// ChromeDriver's `/shutdown` quits the browsers of its sessions, then the driver;
    /// killed outright, it would leave them running, a test run's browsers adding up on
    /// the machine. Killed only if it has not quit within ten seconds.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        if let Ok(mut socket) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
            let request = "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
            if socket.write_all(request.as_bytes()).is_ok() {
                let _ = socket.read_to_end(&mut Vec::new());
            }
        }
        let asked = Instant::now();
        while matches!(self.child.try_wait(), Ok(None)) && asked.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Log in through the form as `email`, landing on the home page (in either language).
async fn log_in(browser: &Client, base: &str, email: &str) {
    browser.goto(&format!("{base}/login")).await.unwrap();
    let field = |css: &'static str| browser.find(Locator::Css(css));
    field("input[name=email]")
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    field("input[name=password]")
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    field("form button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Logged-in pages have the navigation header; the login page has not.
    browser
        .wait()
        .for_element(Locator::Css("header.top"))
        .await
        .unwrap();
    let heading = field("h1").await.unwrap().text().await.unwrap();
    assert!(
        ["Home", "Inicio"].contains(&heading.as_str()),
        "after logging in as {email}: {heading}"
    );
}

/// A whole-number attribute of `element` (a deal's or a stage's id).
async fn number_attr(element: &Element, name: &str) -> i64 {
    element.attr(name).await.unwrap().unwrap().parse().unwrap()
}

/// Click the first element `css` finds on the page.
async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Click the first element `css` finds inside `within`.
async fn click_in(within: &Element, css: &str) {
    within
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Type `text` into the first field `css` finds inside `within`.
async fn type_in(within: &Element, css: &str, text: &str) {
    within
        .find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Run `work`, which waits on the store, from the test's async code: on PostgreSQL the
/// store's client runs a runtime of its own, which may not start inside this one's worker.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

/// The test's own connection to the store, for checking what the pages did; opened,
/// used and closed off the runtime's own work (see [`blocking`]).
struct Check(Option<Store>);

impl Check {
    fn of(store: &Store) -> Check {
        Check(Some(blocking(|| store.try_clone()).unwrap()))
    }

    fn store(&self) -> &Store {
        self.0.as_ref().expect("open until dropped")
    }

    fn query_with(&self, sql: &str, params: &[Param]) -> embudo_store::Result<embudo_model::Table> {
        blocking(|| self.store().query_with(sql, params))
    }
}

impl Drop for Check {
    fn drop(&mut self) {
        if let Some(store) = self.0.take() {
            blocking(|| drop(store));
        }
    }
}

/// Wait up to ten seconds for `done` (a page's form posts while the test looks at the store).
async fn eventually(done: impl Fn() -> bool, what: &str) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: not within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(browser: &Client, name: &str) {
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(folder.join(format!("{name}.png")), png).unwrap();
}

/// Follow the link of a figure counting deals to the records behind it.
async fn follow_figure(browser: &Client, link: Element) {
    let figure: i64 = link.text().await.unwrap().replace(',', "").parse().unwrap();
    follow(browser, link, figure).await;
}

/// Open `path` and follow the figure `css` finds to the deals behind it.
async fn follow_figure_on(browser: &Client, base: &str, path: &str, css: &str) {
    browser.goto(&format!("{base}{path}")).await.unwrap();
    let link = browser.find(Locator::Css(css)).await.unwrap();
    follow_figure(browser, link).await;
}

/// Follow `link` to the records behind a count of `figure` deals.
async fn follow(browser: &Client, link: Element, figure: i64) {
    link.click().await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css("p.summary"))
        .await
        .unwrap();
    deals_behind(browser, figure).await;
}

/// The records page says `figure` rows make the figure, and lists as many deals.
async fn deals_behind(browser: &Client, figure: i64) {
    let summary = texts(browser, "p.summary").await.join(" ");
    assert!(
        summary.starts_with(&format!("{figure} ")),
        "the figure says {figure}: {summary}"
    );
    let deals = browser
        .find_all(Locator::Css("table a[href^='/deals/']"))
        .await
        .unwrap();
    assert_eq!(deals.len() as i64, figure);
}

/// GET an API path with a bearer token.
fn api(base: &str, token: &str, path: &str) -> Value {
    let mut response = support::agent()
        .get(&format!("{base}/api/v1{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

/// The active user of `role` with the most open deals, with a password and a token:
/// (email, token, id).
fn person(store: &Store, role: &str) -> (String, String, i64) {
    let row = store
        .query_with(
            "SELECT email, id FROM users u WHERE active AND role = ?
              ORDER BY (SELECT count(*) FROM deals d WHERE d.owner_id = u.id AND d.status = 'open') DESC, id
              LIMIT 1",
            &[Param::Text(role.into())],
        )
        .unwrap()
        .rows
        .remove(0);
    let email = row[0].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().naive_utc();
    users::set_password(store, &email, PASSWORD, now).unwrap();
    let token = users::create_token(store, &email, "browser", now).unwrap();
    (email, token, row[1].as_i64().unwrap())
}

/// The rep's open deals that had not moved stage for 30 days at `as_of`, by plain SQL.
fn stale_deal_ids(store: &Store, owner: i64, as_of: chrono::NaiveDateTime) -> Vec<i64> {
    let since = as_of - chrono::Duration::days(30);
    store
        .query_with(
            "SELECT d.id FROM deals d
              WHERE d.owner_id = ? AND d.status = 'open' AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
                AND (SELECT max(h.entered_at) FROM deal_stage_history h WHERE h.deal_id = d.id) <= ?
              ORDER BY d.id",
            &[Param::Int(owner), Param::Timestamp(since)],
        )
        .unwrap()
        .rows
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect()
}

/// A rule on the rep's stale deals, judged once today so that it has fired for the rep:
/// the rep's id and the deals it named.
struct StaleAlert {
    rep: i64,
    named: Vec<i64>,
}

fn stale_alert_for(store: &Store, email: &str) -> StaleAlert {
    let found = store
        .query_with(
            "SELECT id, name FROM users WHERE email = ?",
            &[Param::Text(email.into())],
        )
        .unwrap();
    let (rep, name) = (
        found.rows[0][0].as_i64().unwrap(),
        found.rows[0][1].as_str().unwrap().to_owned(),
    );
    let now = chrono::Utc::now().naive_utc();
    let calendar = embudo_metrics::Calendar::default();
    let rule = embudo_monitor::alert::Rule {
        name: "my-stale-deals".into(),
        condition: "stale_deals(30) > 0".parse().unwrap(),
        filters: [("owner".to_owned(), name)].into(),
        cadence: embudo_monitor::cadence::Cadence::new("day", Some("00:00"), None).unwrap(),
        recipients: vec![email.to_owned()],
        webhook: None,
        cooldown: chrono::Duration::hours(24),
        created_at: now - chrono::Duration::days(2),
        firing: false,
        last_fired_at: None,
        last_period: None,
        firing_on: Vec::new(),
        by: None,
    };
    rule.add(store, &calendar, now).unwrap();
    let watch = embudo_monitor::watch::Watch {
        store,
        calendar: &calendar,
        settings: &embudo_monitor::deliver::Settings::default(),
        lang: "en",
        sleep: &|_| {},
    };
    let pass = embudo_monitor::watch::run_due(&watch, now).unwrap();
    assert_eq!(pass.fired, ["my-stale-deals"]);
    // Judged as of today's midnight (UTC, the default calendar).
    let midnight = now.date().and_hms_opt(0, 0, 0).unwrap();
    let named = stale_deal_ids(store, rep, midnight);
    assert!(
        !named.is_empty(),
        "the rep has no stale deals to be told of"
    );
    StaleAlert { rep, named }
}

/// The values a report page's `field` filter offers.
async fn choices(browser: &Client, field: &str) -> Vec<String> {
    let mut values = Vec::new();
    for option in browser
        .find_all(Locator::Css(&format!("datalist#choices-{field} option")))
        .await
        .unwrap()
    {
        values.push(option.attr("value").await.unwrap().unwrap());
    }
    values
}

/// Texts of every element `css` finds.
async fn texts(browser: &Client, css: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for element in browser.find_all(Locator::Css(css)).await.unwrap() {
        texts.push(element.text().await.unwrap());
    }
    texts
}

/// From the home page to the notification, the deals behind it, the follow-up and its
/// undo; and from the home page's own stale-deals alert to its deals.
async fn follow_an_alert_to_its_records_and_act(
    browser: &Client,
    base: &str,
    check: &Check,
    alert: &StaleAlert,
) {
    click(browser, "main a[href='/notifications']").await;
    let unread = browser.find_all(Locator::Css("tr.unread")).await.unwrap();
    assert_eq!(unread.len(), 1);
    click(browser, "tr.unread a").await;
    browser
        .wait()
        .for_element(Locator::Css("pre.message"))
        .await
        .unwrap();
    screenshot(browser, "rep-notification").await;
    let deals = texts(browser, "table tbody tr td:first-child").await;
    let mut shown: Vec<i64> = deals
        .iter()
        .map(|t| {
            t.rsplit_once("(#")
                .unwrap()
                .1
                .trim_end_matches(')')
                .parse()
                .unwrap()
        })
        .collect();
    shown.sort_unstable();
    assert_eq!(shown, alert.named);
    // The follow-up: one task per deal, for the rep, journaled; then undone from the page.
    click(browser, "form[action$='/act'] button").await;
    browser
        .wait()
        .for_element(Locator::Css("form[action$='/undo']"))
        .await
        .unwrap();
    // The tasks the journaled action lists that still exist, for the rep, on the named deals.
    let tasks = |rep: i64| {
        let journal = check
            .query_with(
                "SELECT CAST(activity_ids AS VARCHAR) FROM action_journal",
                &[],
            )
            .unwrap();
        let listed: Vec<i64> = serde_json::from_str(journal.rows[0][0].as_str().unwrap()).unwrap();
        let dialect = check.store().dialect();
        check
            .query_with(
                &format!(
                    "SELECT count(*) FROM activities a
                      WHERE {} AND a.type = 'task' AND a.owner_id = ? AND {}",
                    dialect.in_id_list("a.id"),
                    dialect.in_id_list("a.deal_id")
                ),
                &[
                    Param::Text(dialect.id_list(&listed)),
                    Param::Int(rep),
                    Param::Text(dialect.id_list(&alert.named)),
                ],
            )
            .unwrap()
            .rows[0][0]
            .as_i64()
            .unwrap()
    };
    assert_eq!(tasks(alert.rep), alert.named.len() as i64);
    click(browser, "form[action$='/undo'] button").await;
    browser
        .wait()
        .for_element(Locator::Css("p.insights"))
        .await
        .unwrap();
    eventually(|| tasks(alert.rep) == 0, "the follow-up tasks undone").await;
    // Read now: nothing unread on the list.
    browser
        .goto(&format!("{base}/notifications"))
        .await
        .unwrap();
    assert!(
        browser
            .find_all(Locator::Css("tr.unread"))
            .await
            .unwrap()
            .is_empty()
    );
    // The home page's alert on stale deals lists them.
    browser.goto(&format!("{base}/")).await.unwrap();
    click(browser, "ul.alerts a[href='/deals/stale']").await;
    browser
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .unwrap();
    screenshot(browser, "rep-stale-deals").await;
    let rows = texts(browser, "table tbody tr td:first-child").await;
    let now = chrono::Utc::now().naive_utc();
    let stale = blocking(|| stale_deal_ids(check.store(), alert.rep, now));
    assert_eq!(rows.len(), stale.len());
}

/// Open each report page and check its first row of figures is the API's for the same
/// request and caller (raw values, so formatting cannot hide a difference).
async fn check_report_pages(
    browser: &Client,
    base: &str,
    token: &str,
    paths: &[String],
    who: &str,
) {
    let range = "from=2025-07-01&to=2026-07-01&at=2026-06-30T12%3A00%3A00Z";
    for path in paths {
        browser
            .goto(&format!("{base}{path}?{range}"))
            .await
            .unwrap();
        let name = path.trim_start_matches("/reports/");
        screenshot(browser, &format!("{who}-report-{name}")).await;
        // The API in the page's language: labels in cells are translated too.
        let lang = browser
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap()
            .unwrap_or_default();
        let expected = api(base, token, &format!("/reports/{name}?{range}&lang={lang}"));
        let sections = expected["sections"].as_array().unwrap();
        let Some(section) = sections
            .iter()
            .find(|s| !s["rows"].as_array().unwrap().is_empty())
        else {
            continue;
        };
        let css = format!(
            "section[data-section='{}'] tbody tr:first-child td",
            section["name"].as_str().unwrap()
        );
        let cells = browser.find_all(Locator::Css(&css)).await.unwrap();
        let row = section["rows"][0].as_array().unwrap();
        let keys: Vec<&str> = section["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        // A metric's key column is left off the page beside its name.
        let hidden = usize::from(keys.contains(&"metric") && keys.contains(&"label"));
        assert_eq!(cells.len(), row.len() - hidden, "{name}");
        for cell in &cells {
            let key = cell.attr("data-key").await.unwrap().unwrap_or_default();
            let value = &row[keys.iter().position(|k| *k == key).unwrap()];
            let shown = cell.attr("data-v").await.unwrap().unwrap_or_default();
            let wanted = value.as_f64().map_or_else(
                || value.as_str().unwrap_or_default().to_owned(),
                |x| x.to_string(),
            );
            assert_eq!(shown, wanted, "{name}: a cell of {}", section["name"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reps_and_admins_use_the_dashboard_in_a_browser() {
    // Some deliberate defects, so the review queue has duplicates to merge.
    let (_dir, store) = blocking(|| support::business(8, 0.05));
    let (rep_email, rep_token, _) = blocking(|| person(&store, "rep"));
    let admin_email = "browser-admin@example.com".to_owned();
    let admin = users::NewUser {
        name: "Browser Admin".into(),
        email: admin_email.clone(),
        role: embudo_access::Role::Admin,
        team: None,
    };
    let now = chrono::Utc::now().naive_utc();
    blocking(|| users::add(&store, &admin, PASSWORD, now)).unwrap();
    let admin_token =
        blocking(|| users::create_token(&store, &admin_email, "browser", now)).unwrap();
    let stale_for_rep = blocking(|| stale_alert_for(&store, &rep_email));
    let check = Check::of(&store);
    let running = blocking(|| Running::start(store));
    let base = running.base.trim_end_matches("/api/v1").to_owned();
    let driver = Driver::start();
    let browser = driver.browser().await;

    // A rep: home, then every report the navigation offers, each page's first figures the
    // same as the API's for the same request.
    log_in(&browser, &base, &rep_email).await;
    screenshot(&browser, "rep-home").await;
    // A headline figure opens the records behind it, as many as it says.
    let tile = browser
        .find(Locator::Css(".tile .value a[href*='metric=deals_won']"))
        .await
        .unwrap();
    follow_figure(&browser, tile).await;
    // Over a half-year with wins, the page's rows are the API's figure.
    let range = "from=2026-01-01&to=2026-07-01";
    let figure = api(&base, &rep_token, &format!("/metrics/deals_won?{range}"))["rows"][0]["value"]
        .as_f64()
        .unwrap() as i64;
    assert!(figure > 0, "the rep won deals in the first half");
    browser
        .goto(&format!("{base}/drill?metric=deals_won&{range}"))
        .await
        .unwrap();
    deals_behind(&browser, figure).await;
    screenshot(&browser, "rep-drill-deals-won").await;
    // So does a report's figure: a month's deals won in sales performance.
    browser
        .goto(&format!("{base}/reports/sales_performance?{range}"))
        .await
        .unwrap();
    let cell = browser
        .find(Locator::Css("td[data-key=deals_won] a[href^='/drill?']"))
        .await
        .unwrap();
    follow_figure(&browser, cell).await;
    // And a chart's bar, where its row's figure does: the deals lost for the top reason.
    browser
        .goto(&format!("{base}/reports/lost_deals?{range}"))
        .await
        .unwrap();
    let top = browser
        .find(Locator::Css(
            "section[data-section=by_reason] tbody tr:first-child td[data-key=deals_lost]",
        ))
        .await
        .unwrap();
    let figure: i64 = top.text().await.unwrap().replace(',', "").parse().unwrap();
    let bar = browser
        .find(Locator::Css("section[data-section=by_reason] figure svg a"))
        .await
        .unwrap();
    follow(&browser, bar, figure).await;
    browser.goto(&format!("{base}/")).await.unwrap();
    follow_an_alert_to_its_records_and_act(&browser, &base, &check, &stale_for_rep).await;
    let links = browser
        .find_all(Locator::Css("header nav a[href^='/reports/']"))
        .await
        .unwrap();
    let mut reports = Vec::new();
    for link in links {
        reports.push(link.attr("href").await.unwrap().unwrap());
    }
    assert_eq!(reports.len(), embudo_access::scope::SCOPED_REPORTS.len());
    check_report_pages(&browser, &base, &rep_token, &reports, "rep").await;
    // The filters offer what the rep may pick: their own name, and no team.
    browser
        .goto(&format!("{base}/reports/sales_performance"))
        .await
        .unwrap();
    let rep_name = check
        .query_with(
            "SELECT name FROM users WHERE email = ?",
            &[Param::Text(rep_email.clone())],
        )
        .unwrap()
        .rows[0][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(choices(&browser, "owner").await, [rep_name]);
    assert!(choices(&browser, "team").await.is_empty());

    // The board: move a card to another stage from its own form; the pipeline report and
    // the deal follow.
    browser.goto(&format!("{base}/pipeline")).await.unwrap();
    screenshot(&browser, "rep-pipeline-board").await;
    let card = browser
        .find(Locator::Css(".card[data-deal]"))
        .await
        .unwrap();
    let deal: i64 = number_attr(&card, "data-deal").await;
    let stage_of = |deal: i64| {
        check
            .query_with(
                "SELECT stage_id FROM deals WHERE id = ?",
                &[Param::Int(deal)],
            )
            .unwrap()
            .rows[0][0]
            .as_i64()
            .unwrap()
    };
    let before = stage_of(deal);
    let report_before = api(&base, &rep_token, "/reports/pipeline");
    let select = card.find(Locator::Css("select")).await.unwrap();
    let options = select.find_all(Locator::Css("option")).await.unwrap();
    let mut target = None;
    for option in options {
        let value: i64 = number_attr(&option, "value").await;
        if value != before {
            target = Some(value);
            break;
        }
    }
    let target = target.expect("a pipeline with two open stages");
    select.select_by_value(&target.to_string()).await.unwrap();
    click_in(&card, "button[type=submit]").await;
    eventually(|| stage_of(deal) == target, "the deal moved by its form").await;
    browser
        .wait()
        .for_element(Locator::Css(".board"))
        .await
        .unwrap();
    let report_after = api(&base, &rep_token, "/reports/pipeline");
    assert_ne!(report_before["sections"][0], report_after["sections"][0]);
    let moved = check
        .query_with(
            "SELECT count(*) FROM deal_stage_history WHERE deal_id = ? AND stage_id = ? AND exited_at IS NULL",
            &[Param::Int(deal), Param::Int(target)],
        )
        .unwrap();
    assert_eq!(moved.rows[0][0].as_i64(), Some(1));

    // Dragging a card with the pointer does the same through the API.
    let card = browser
        .find(Locator::Css(".card[data-deal]"))
        .await
        .unwrap();
    let dragged: i64 = number_attr(&card, "data-deal").await;
    let from = stage_of(dragged);
    let mut drop_on = None;
    for stage in browser
        .find_all(Locator::Css(".stage[data-stage]"))
        .await
        .unwrap()
    {
        let id: i64 = number_attr(&stage, "data-stage").await;
        if id != from {
            drop_on = Some((id, stage));
            break;
        }
    }
    let (to, stage) = drop_on.expect("another stage to drop on");
    // By the card's figures: its name is a link to the deal's page.
    let handle = card.find(Locator::Css(".meta")).await.unwrap();
    let drag = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: handle,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveToElement {
            element: stage.find(Locator::Css("h2")).await.unwrap(),
            duration: Some(Duration::from_millis(300)),
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    browser.perform_actions(drag).await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css(&format!(".board[data-moved='{dragged}']")))
        .await
        .unwrap();
    assert_eq!(stage_of(dragged), to, "the dragged deal moved stage");
    screenshot(&browser, "rep-pipeline-board-dragged").await;

    // From a card to its deal, and on to the deal's company: each page titled by the
    // name that led to it.
    let link = browser
        .find(Locator::Css(".card[data-deal] .name a"))
        .await
        .unwrap();
    let (name, href) = (
        link.text().await.unwrap(),
        link.attr("href").await.unwrap().unwrap(),
    );
    link.click().await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css("dl.facts"))
        .await
        .unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), href);
    assert_eq!(texts(&browser, "h1").await, [name]);
    screenshot(&browser, "rep-deal").await;
    if let Ok(company) = browser
        .find(Locator::Css("dl.facts a[href^='/companies/']"))
        .await
    {
        let company_name = company.text().await.unwrap();
        company.click().await.unwrap();
        browser
            .wait()
            .for_element(Locator::Css("dl.facts"))
            .await
            .unwrap();
        assert_eq!(texts(&browser, "h1").await, [company_name]);
        screenshot(&browser, "rep-company").await;
    }

    // Spanish: the whole interface follows, numbers written the Spanish way.
    click(&browser, "a[hreflang=es]").await;
    let lang = browser
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("lang")
        .await
        .unwrap();
    assert_eq!(lang.as_deref(), Some("es"));
    let home = browser
        .find(Locator::Css("header nav a[href='/']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(home, "Inicio");
    browser
        .goto(&format!("{base}/reports/pipeline"))
        .await
        .unwrap();
    let value = browser
        .find(Locator::Css("td[data-key=pipeline_value]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(value.ends_with(",00 $") || value.is_empty(), "{value}");
    screenshot(&browser, "rep-report-pipeline-es").await;

    // What a rep may not open says so on a page of its own.
    browser.goto(&format!("{base}/audit")).await.unwrap();
    let refused = browser
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(refused, "403");
    browser.goto(&format!("{base}/")).await.unwrap();

    // Log out through the form; the pages need a login again.
    click(&browser, "form[action='/logout'] button").await;
    browser
        .wait()
        .for_element(Locator::Css("input[name=email]"))
        .await
        .unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/login")
    );
    browser.goto(&format!("{base}/pipeline")).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/login")
    );

    // An admin sees every report and the headline metrics.
    log_in(&browser, &base, &admin_email).await;
    let links = browser
        .find_all(Locator::Css("header nav a[href^='/reports/']"))
        .await
        .unwrap();
    let mut reports = Vec::new();
    for link in links {
        reports.push(link.attr("href").await.unwrap().unwrap());
    }
    assert_eq!(reports.len(), embudo_reports::NAMES.len());
    check_report_pages(&browser, &base, &admin_token, &reports, "admin").await;
    // An admin's filters offer every team and the pipelines, by plain SQL.
    browser
        .goto(&format!("{base}/reports/sales_performance"))
        .await
        .unwrap();
    let listed = |sql: &str| -> Vec<String> {
        check
            .query_with(sql, &[])
            .unwrap()
            .rows
            .iter()
            .map(|r| r[0].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        choices(&browser, "team").await,
        listed("SELECT name FROM teams ORDER BY name")
    );
    assert_eq!(
        choices(&browser, "pipeline").await,
        listed("SELECT name FROM pipelines ORDER BY name")
    );
    browser.goto(&format!("{base}/")).await.unwrap();
    let tiles = browser
        .find_all(Locator::Css(".tile .value"))
        .await
        .unwrap();
    assert!(!tiles.is_empty());
    screenshot(&browser, "admin-home").await;
    for width in [1920, 390] {
        browser.set_window_size(width, 1000).await.unwrap();
        browser
            .goto(&format!("{base}/reports/sales_performance"))
            .await
            .unwrap();
        screenshot(&browser, &format!("admin-report-sales_performance-{width}")).await;
    }

    // The data audit: merge a likely duplicate pair from the review queue, then undo it.
    browser.set_window_size(1366, 768).await.unwrap();
    browser.goto(&format!("{base}/audit")).await.unwrap();
    browser
        .find(Locator::Css("[data-score=overall]"))
        .await
        .unwrap();
    screenshot(&browser, "admin-audit").await;
    browser
        .goto(&format!("{base}/audit/duplicates?entity=contacts"))
        .await
        .unwrap();
    screenshot(&browser, "admin-duplicates").await;
    let group = browser
        .find(Locator::Css("section[data-group]"))
        .await
        .unwrap();
    let ids: Vec<i64> = group
        .attr("data-group")
        .await
        .unwrap()
        .unwrap()
        .split(',')
        .map(|id| id.parse().unwrap())
        .collect();
    click_in(&group, "form[action='/audit/merge'] button").await;
    browser
        .wait()
        .for_element(Locator::Css("tr[data-journal]"))
        .await
        .unwrap();
    screenshot(&browser, "admin-merge-journal").await;
    let merged_away = |id: i64| {
        check
            .query_with(
                "SELECT merged_into_id IS NOT NULL FROM contacts WHERE id = ?",
                &[Param::Int(id)],
            )
            .unwrap()
            .rows[0][0]
            .as_bool()
            .unwrap()
    };
    assert_eq!(
        ids.iter().filter(|id| merged_away(**id)).count(),
        ids.len() - 1
    );
    click(
        &browser,
        "tr[data-journal] form[action='/audit/unmerge'] button",
    )
    .await;
    // The journal's newest merge is undone: one record fewer is merged away.
    let merged_count = || ids.iter().filter(|id| merged_away(**id)).count();
    eventually(|| merged_count() == ids.len() - 2, "the merge undone").await;
    // Goals: set one, then change its target in place.
    browser.goto(&format!("{base}/goals")).await.unwrap();
    let form = browser
        .find(Locator::Css("form[action='/goals']"))
        .await
        .unwrap();
    let fill = |css: &'static str, value: &'static str| {
        let form = form.clone();
        async move {
            form.find(Locator::Css(css))
                .await
                .unwrap()
                .send_keys(value)
                .await
                .unwrap()
        }
    };
    fill("input[name=name]", "Browser goal").await;
    fill("input[name=target]", "50000").await;
    // A date field's typing depends on the browser's locale; its value does not.
    browser
        .execute(
            "document.querySelector(\"form[action='/goals'] input[name=period_start]\").value = '2026-07-01';
             document.querySelector(\"form[action='/goals'] input[name=period_end]\").value = '2026-10-01';",
            vec![],
        )
        .await
        .unwrap();
    form.find(Locator::Css("select[name=metric]"))
        .await
        .unwrap()
        .select_by_value("revenue")
        .await
        .unwrap();
    click_in(&form, "button[type=submit]").await;
    let goal = |sql: &str| {
        check
            .query_with(sql, &[])
            .unwrap()
            .rows
            .first()
            .map(|r| r[0].clone())
    };
    eventually(
        || goal("SELECT target FROM goals WHERE name = 'Browser goal'").is_some(),
        "the goal set",
    )
    .await;
    let id = goal("SELECT id FROM goals WHERE name = 'Browser goal'").unwrap();
    let card = browser
        .wait()
        .for_element(Locator::Css(&format!("[data-goal='{id}']")))
        .await
        .unwrap();
    screenshot(&browser, "admin-goals").await;
    let target = card.find(Locator::Css("input[name=target]")).await.unwrap();
    target.clear().await.unwrap();
    target.send_keys("65000").await.unwrap();
    click_in(&card, "button[type=submit]").await;
    eventually(
        || {
            goal("SELECT target FROM goals WHERE name = 'Browser goal'").and_then(|t| t.as_f64())
                == Some(65000.0)
        },
        "the goal's target changed",
    )
    .await;

    // The custom report builder: a preview over the admin's records, saved, opened again.
    let spec = "metrics=revenue&metrics=deals_won&by=lead_source&grain=quarter&from=2025-07-01&to=2026-07-01";
    browser
        .goto(&format!("{base}/builder?{spec}"))
        .await
        .unwrap();
    let rows = browser
        .find_all(Locator::Css("[data-preview] tbody tr"))
        .await
        .unwrap();
    let expected = support::agent()
        .post(&format!("{base}/api/v1/query"))
        .header("Authorization", &format!("Bearer {admin_token}"))
        .send_json(json!({
            "metrics": ["revenue", "deals_won"], "by": ["lead_source"], "grain": "quarter",
            "from": "2025-07-01", "to": "2026-07-01"
        }))
        .unwrap()
        .body_mut()
        .read_json::<Value>()
        .unwrap();
    assert_eq!(rows.len(), expected["rows"].as_array().unwrap().len());
    screenshot(&browser, "admin-builder").await;
    let save = browser
        .find(Locator::Css("form[action='/builder/save']"))
        .await
        .unwrap();
    type_in(&save, "input[name=name]", "browser quarters").await;
    click_in(&save, "button").await;
    eventually(
        || {
            check
                .query_with(
                    "SELECT count(*) FROM saved_reports WHERE name = 'browser quarters'",
                    &[],
                )
                .unwrap()
                .rows[0][0]
                .as_i64()
                == Some(1)
        },
        "the custom report saved",
    )
    .await;
    browser
        .goto(&format!("{base}/builder?saved=browser%20quarters"))
        .await
        .unwrap();
    let again = browser
        .find_all(Locator::Css("[data-preview] tbody tr"))
        .await
        .unwrap();
    assert_eq!(again.len(), rows.len());

    // Administration: a scheduled report added on the page is listed there.
    browser.goto(&format!("{base}/admin")).await.unwrap();
    let form = browser
        .find(Locator::Css("form[action='/admin/schedules']"))
        .await
        .unwrap();
    type_in(&form, "input[name=name]", "browser-weekly").await;
    form.find(Locator::Css("select[name=report]"))
        .await
        .unwrap()
        .select_by_value("pipeline")
        .await
        .unwrap();
    type_in(&form, "input[name=to]", &rep_email).await;
    click_in(&form, "button").await;
    browser
        .wait()
        .for_element(Locator::Css("p.insights"))
        .await
        .unwrap();
    let cells = browser.find_all(Locator::Css("td")).await.unwrap();
    let mut texts = Vec::new();
    for cell in cells {
        texts.push(cell.text().await.unwrap());
    }
    assert!(
        texts.iter().any(|t| t == "browser-weekly"),
        "no schedule on /admin"
    );
    let stored = check
        .query_with(
            "SELECT report, every FROM schedules WHERE name = 'browser-weekly'",
            &[],
        )
        .unwrap();
    assert_eq!(
        stored.rows[0],
        [serde_json::json!("pipeline"), serde_json::json!("week")]
    );
    // A token made on the page works against the API.
    screenshot(&browser, "admin-administration").await;
    let form = browser
        .find(Locator::Css("form[action='/admin/tokens']"))
        .await
        .unwrap();
    type_in(&form, "input[name=email]", &rep_email).await;
    click_in(&form, "button").await;
    let token = browser
        .wait()
        .for_element(Locator::Css("[data-token]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(api(&base, token.trim(), "/me")["email"], rep_email.as_str());
    // A role changed on the page holds from the next request.
    let form = browser
        .find(Locator::Css("form[action='/admin/role']"))
        .await
        .unwrap();
    type_in(&form, "input[name=email]", &rep_email).await;
    form.find(Locator::Css("select[name=role]"))
        .await
        .unwrap()
        .select_by_value("viewer")
        .await
        .unwrap();
    click_in(&form, "button").await;
    browser
        .wait()
        .for_element(Locator::Css("p.insights"))
        .await
        .unwrap();
    eventually(
        || api(&base, token.trim(), "/me")["role"] == "viewer",
        "the new role",
    )
    .await;
    browser.close().await.unwrap();
}

/// The manager of the team with the most reps, and that team's rep with the most deals won
/// in the first half of 2026; each with a password: (manager's email, rep's email, rep's
/// name, rep's id).
fn manager_and_rep(store: &Store) -> (String, String, String, i64) {
    let row = store
        .query_with(
            "SELECT m.email, r.email, r.name, r.id FROM users m
               JOIN users r ON r.team_id = m.team_id AND r.role = 'rep' AND r.active
              WHERE m.role = 'manager' AND m.active
              ORDER BY (SELECT count(*) FROM deals d WHERE d.owner_id = r.id AND d.status = 'won'
                          AND d.closed_at >= '2026-01-01' AND d.closed_at < '2026-07-01') DESC, r.id
              LIMIT 1",
            &[],
        )
        .unwrap()
        .rows
        .remove(0);
    let now = chrono::Utc::now().naive_utc();
    let text = |i: usize| row[i].as_str().unwrap().to_owned();
    for email in [text(0), text(1)] {
        users::set_password(store, &email, PASSWORD, now).unwrap();
    }
    (text(0), text(1), text(2), row[3].as_i64().unwrap())
}

/// Pin what the page at `path` offers (its first pin form, or the one in `section`) to the
/// dashboard chosen by `dashboard` (an id, or "" for a new one named `new_name`).
async fn pin(browser: &Client, within: &str, dashboard: &str, new_name: &str, width: &str) {
    let pin = browser
        .find(Locator::Css(&format!("{within} details.pin")))
        .await
        .unwrap();
    click_in(&pin, "summary").await;
    let form = pin.find(Locator::Css("form")).await.unwrap();
    form.find(Locator::Css("select[name=dashboard]"))
        .await
        .unwrap()
        .select_by_value(dashboard)
        .await
        .unwrap();
    if !new_name.is_empty() {
        type_in(&form, "input[name=new_name]", new_name).await;
    }
    form.find(Locator::Css("select[name=width]"))
        .await
        .unwrap()
        .select_by_value(width)
        .await
        .unwrap();
    click_in(&form, "button[type=submit]").await;
    landed(browser, "Pinned").await;
}

/// Wait for the dashboard page a form's answer leads to, saying `message`: the page before
/// has a dashboard too.
async fn landed(browser: &Client, message: &str) {
    let started = Instant::now();
    loop {
        let url = browser.current_url().await.unwrap();
        if url
            .query()
            .is_some_and(|q| q.contains(&format!("message={message}")))
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no page saying {message}: {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser
        .wait()
        .for_element(Locator::Css("div.dash"))
        .await
        .unwrap();
}

/// The owners named in a tile's table, and its `deals_won` figures.
async fn tile_rows(browser: &Client, tile: usize) -> Vec<(String, i64)> {
    let rows = browser
        .find_all(Locator::Css(&format!("[data-tile='{tile}'] tbody tr")))
        .await
        .unwrap();
    let mut out = Vec::new();
    for row in rows {
        let owner = row
            .find(Locator::Css("td[data-key=owner]"))
            .await
            .unwrap()
            .attr("data-v")
            .await
            .unwrap()
            .unwrap();
        let won = row
            .find(Locator::Css("td[data-key=deals_won]"))
            .await
            .unwrap()
            .attr("data-v")
            .await
            .unwrap()
            .unwrap();
        out.push((owner, won.parse::<f64>().unwrap() as i64));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_a_manager_builds_renders_for_a_rep_of_the_team_in_the_reps_scope() {
    let (_dir, store) = blocking(|| support::business(11, 0.0));
    let (manager, rep, rep_name, rep_id) = blocking(|| manager_and_rep(&store));
    // A model in use, so that an open deal's page explains its win probability.
    let now = chrono::Utc::now().naive_utc();
    let (_, scorer) = blocking(|| embudo_forecast::train::train(&store, now)).unwrap();
    assert!(scorer.is_some(), "a model to explain deals with");
    blocking(|| embudo_forecast::score::score(&store, now, scorer.as_ref())).unwrap();
    let check = Check::of(&store);
    let running = blocking(|| Running::start(store));
    let base = running.base.trim_end_matches("/api/v1").to_owned();
    let driver = Driver::start();
    let browser = driver.browser().await;
    let range = "from=2026-01-01&to=2026-07-01";

    // The manager pins a report section to a new dashboard, then the builder's deals won
    // by owner to the same one, shares it with the team and puts the metrics first.
    log_in(&browser, &base, &manager).await;
    browser
        .goto(&format!("{base}/reports/sales_performance?{range}"))
        .await
        .unwrap();
    pin(
        &browser,
        "section[data-section=totals]",
        "",
        "Team weekly",
        "half",
    )
    .await;
    let id: i64 = browser
        .current_url()
        .await
        .unwrap()
        .path()
        .trim_start_matches("/dashboards/")
        .parse()
        .unwrap();
    // The comparison selector: each month's figures beside the same month a year before.
    browser
        .goto(&format!("{base}/reports/sales_performance?{range}"))
        .await
        .unwrap();
    browser
        .find(Locator::Css("select[name=compare]"))
        .await
        .unwrap()
        .select_by_value("previous_year")
        .await
        .unwrap();
    click(&browser, "form.filters button[type=submit]").await;
    browser
        .wait()
        .for_element(Locator::Css("td small.was"))
        .await
        .unwrap();
    screenshot(&browser, "manager-report-compared").await;
    browser
        .goto(&format!(
            "{base}/builder?metrics=deals_won&by=owner&{range}"
        ))
        .await
        .unwrap();
    pin(&browser, "", &id.to_string(), "", "full").await;
    let shown_to = browser
        .find(Locator::Css(
            "form[action$='/settings'] select[name=audience]",
        ))
        .await
        .unwrap();
    shown_to.select_by_value("team").await.unwrap();
    click(&browser, "form[action$='/settings'] button[type=submit]").await;
    landed(&browser, "Saved").await;
    click(&browser, "[data-tile='1'] form.arrange button[value=up]").await;
    landed(&browser, "Arranged").await;
    let team_rows = tile_rows(&browser, 0).await;
    assert!(
        team_rows.len() > 1,
        "the manager sees the team's owners: {team_rows:?}"
    );
    screenshot(&browser, "manager-dashboard").await;
    let stored = check
        .query_with(
            "SELECT audience, team_id = (SELECT team_id FROM users WHERE id = ?), json_array_length(tiles)
               FROM dashboards WHERE id = ?",
            &[Param::Int(rep_id), Param::Int(id)],
        )
        .unwrap();
    assert_eq!(stored.rows[0][0].as_str(), Some("team"));
    assert_eq!(stored.rows[0][1].as_bool(), Some(true));
    assert_eq!(stored.rows[0][2].as_i64(), Some(2));

    // A rep of the team finds it among their dashboards and sees it over their own deals:
    // one row, their name, their deals won by plain SQL; no arranging for them.
    let rep_browser = driver.browser().await;
    log_in(&rep_browser, &base, &rep).await;
    rep_browser
        .goto(&format!("{base}/dashboards"))
        .await
        .unwrap();
    click(&rep_browser, &format!("a[href='/dashboards/{id}']")).await;
    rep_browser
        .wait()
        .for_element(Locator::Css("[data-tile='0'] td[data-key=owner]"))
        .await
        .unwrap();
    let won = check
        .query_with(
            "SELECT count(*) FROM deals WHERE owner_id = ? AND status = 'won'
                AND closed_at >= '2026-01-01' AND closed_at < '2026-07-01'
                AND deleted_at IS NULL AND merged_into_id IS NULL",
            &[Param::Int(rep_id)],
        )
        .unwrap()
        .rows[0][0]
        .as_i64()
        .unwrap();
    assert!(won > 0, "the rep won deals in the first half");
    assert_eq!(tile_rows(&rep_browser, 0).await, [(rep_name, won)]);
    assert!(
        rep_browser
            .find_all(Locator::Css("form.arrange"))
            .await
            .unwrap()
            .is_empty(),
        "a rep does not arrange the team's dashboard"
    );
    // The report section's tile is the rep's too: its deals won add up to theirs.
    let totals = texts(&rep_browser, "[data-tile='1'] td[data-key=deals_won]").await;
    let summed: i64 = totals
        .iter()
        .map(|t| t.replace(',', "").parse::<i64>().unwrap())
        .sum();
    assert_eq!(summed, won);
    screenshot(&rep_browser, "rep-dashboard").await;
    // And its figure leads to the rep's deals behind it.
    let link = rep_browser
        .find(Locator::Css("[data-tile='0'] td[data-key=deals_won] a"))
        .await
        .unwrap();
    follow(&rep_browser, link, won).await;
    // A figure of a report's own SQL too: the deals lost from the most common last stage.
    follow_figure_on(
        &rep_browser,
        &base,
        &format!("/reports/lost_deals?{range}"),
        "section[data-section=by_last_stage] td[data-key=deals_lost] a",
    )
    .await;
    // A point-in-time figure too: a stage's deals open now lead to those deals.
    follow_figure_on(
        &rep_browser,
        &base,
        "/reports/pipeline",
        "section[data-section=stages] td[data-key=open_opportunities] a",
    )
    .await;

    // On a phone, every page still fits: looked at by a person, kept as screenshots.
    rep_browser.set_window_size(390, 844).await.unwrap();
    for (name, path) in [
        ("home", "/".to_owned()),
        ("dashboard", format!("/dashboards/{id}")),
        ("report", format!("/reports/sales_performance?{range}")),
        ("board", "/pipeline".to_owned()),
    ] {
        rep_browser.goto(&format!("{base}{path}")).await.unwrap();
        screenshot(&rep_browser, &format!("rep-{name}-390")).await;
    }
    let deal = rep_browser
        .find(Locator::Css(".card[data-deal] .name a"))
        .await
        .unwrap();
    deal.click().await.unwrap();
    rep_browser
        .wait()
        .for_element(Locator::Css("dl.facts"))
        .await
        .unwrap();
    screenshot(&rep_browser, "rep-deal-390").await;
    // The deal's page: its stages as a timeline, what moves its win probability and what
    // would raise it, its changes.
    let rows = |related: &'static str| {
        let browser = rep_browser.clone();
        async move {
            browser
                .find_all(Locator::Css(&format!(
                    "section[data-related={related}] tbody tr"
                )))
                .await
                .unwrap()
                .len()
        }
    };
    assert!(rows("stage_history").await + rows("stage_history_made_up").await > 0);
    assert!(rows("score_factors").await > 0, "an open deal's factors");
    let facts = texts(&rep_browser, "dl.facts dt").await;
    assert!(facts.iter().any(|f| f == "Win probability"), "{facts:?}");
    for related in ["score_raise", "changes", "activities"] {
        rep_browser
            .find(Locator::Css(&format!("section[data-related={related}]")))
            .await
            .unwrap();
    }
    rep_browser.set_window_size(1366, 768).await.unwrap();
    rep_browser
        .execute(
            "document.querySelector('section[data-related=score_factors]').scrollIntoView()",
            Vec::new(),
        )
        .await
        .unwrap();
    screenshot(&rep_browser, "rep-deal-factors-1366").await;
}
