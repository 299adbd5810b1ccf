//! The reports on the hand-built January 2026 of the metric tests, on generated data, and
//! rendered.

use chrono::{NaiveDate, NaiveDateTime};
use embudo_metrics::{Bound, Calendar, Query};
use embudo_reports::{Context, NAMES, Params, Report, build, html, i18n, insights};
use embudo_store::Store;
use embudo_synth::{Params as SynthParams, Scale};
use embudo_testkit::Place;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../metrics/tests/fixture.sql");

/// The metric tests' fixture in a new store, on the engine this run of the tests is for
/// (the test command runs these on DuckDB and on PostgreSQL).
fn fixture() -> (Place, Store) {
    let place = Place::new();
    let store = place.store("fixture");
    store.execute_batch(FIXTURE).unwrap();
    // Customers by name for the profitability report.
    store
        .execute_batch("UPDATE contacts SET first_name = 'C' || id")
        .unwrap();
    (place, store)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn midnight(y: i32, m: u32, d: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(0, 0, 0).unwrap()
}

/// January 2026, seen from 1 February.
fn january<'a>(store: &'a Store, lang: &str) -> Context<'a> {
    Context {
        store,
        calendar: Calendar::default(),
        params: Params {
            from: Some(Bound::Day(day(2026, 1, 1))),
            to: Some(Bound::Day(day(2026, 2, 1))),
            at: Some(midnight(2026, 2, 1)),
            lang: lang.into(),
            ..Default::default()
        },
        now: midnight(2026, 2, 1),
    }
}

/// The cell of `column` in the row of `section` whose `key_column` is `key`.
fn cell(report: &Report, section: &str, key_column: &str, key: &str, column: &str) -> Value {
    let s = report
        .sections
        .iter()
        .find(|s| s.name == section)
        .unwrap_or_else(|| panic!("no section {section}"));
    let k = s
        .column(key_column)
        .unwrap_or_else(|| panic!("no column {key_column}"));
    let c = s
        .column(column)
        .unwrap_or_else(|| panic!("no column {column} in {section}"));
    let row = s
        .rows
        .iter()
        .find(|r| r[k].as_str() == Some(key))
        .unwrap_or_else(|| panic!("no row {key} in {section}"));
    row[c].clone()
}

fn num(v: Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

#[test]
fn every_report_has_its_hand_worked_numbers() {
    let (_dir, store) = fixture();
    let ctx = january(&store, "en");
    let report = |name: &str| build(&ctx, name).unwrap();

    // At 02-01: d5 (700) in Qualified, d4 (3000, reopened) in Proposal; neither had an
    // activity in the last 14 days.
    let pipeline = report("pipeline");
    assert_eq!(
        num(cell(
            &pipeline,
            "stages",
            "stage",
            "Qualified",
            "open_opportunities"
        )),
        1.0
    );
    assert_eq!(
        num(cell(
            &pipeline,
            "stages",
            "stage",
            "Proposal",
            "weighted_pipeline_value"
        )),
        1800.0
    );
    assert_eq!(
        num(cell(
            &pipeline,
            "stages",
            "stage",
            "Qualified",
            "stale_deals"
        )),
        1.0
    );
    // Created in January: d2, d5, d7 all reached Qualified; d7 went on to Won (past
    // Proposal, which it skipped).
    let funnel = "funnel: New Business";
    assert_eq!(
        num(cell(&pipeline, funnel, "stage", "Qualified", "reached")),
        3.0
    );
    assert_eq!(
        num(cell(&pipeline, funnel, "stage", "Proposal", "reached")),
        1.0
    );
    assert!(
        (num(cell(
            &pipeline,
            funnel,
            "stage",
            "Proposal",
            "step_conversion"
        )) - 1.0 / 3.0)
            .abs()
            < 1e-9
    );

    // C1: 1000 − 400; C6: 80 + 150 − 20; C7: 300 − 100; C11: 50 − 10.
    let profit = report("profitability");
    assert_eq!(
        num(cell(&profit, "by_customer", "customer", "C1", "margin")),
        600.0
    );
    assert_eq!(
        num(cell(&profit, "by_customer", "customer", "C6", "margin")),
        210.0
    );
    assert_eq!(
        cell(&profit, "by_customer", "customer", "C6", "repeat"),
        Value::Bool(true)
    );
    assert_eq!(
        num(cell(&profit, "totals", "customer", "Totals", "revenue")),
        1580.0
    );
    // Five purchases: one each for C1, C7 and C11, two for C6.
    assert_eq!(
        num(cell(&profit, "totals", "customer", "Totals", "purchases")),
        5.0
    );
    assert_eq!(
        num(cell(
            &profit,
            "missing_cost",
            "customer",
            "C6",
            "lines_without_cost"
        )),
        1.0
    );

    // Won in January: d1 (email, 29 days), d7 (organic, 30 23/24 days).
    let cycle = report("sales_cycle");
    assert_eq!(
        num(cell(
            &cycle,
            "cycle",
            "lead_source",
            "email",
            "sales_cycle_length"
        )),
        29.0
    );
    assert_eq!(
        num(cell(&cycle, "cycle", "lead_source", "email", "deals_won")),
        1.0
    );

    // Ben won d7 and lost d2; Ana won d1.
    let performance = report("sales_performance");
    assert_eq!(
        num(cell(&performance, "by_owner", "owner", "Ben", "close_rate")),
        0.5
    );
    assert_eq!(
        num(cell(&performance, "by_owner", "owner", "Ana", "deals_won")),
        1.0
    );
    // January's live orders have no owner: 1 (2 × 40), 2 (150) and 5 (50); order 3 was
    // deleted. Their row is named, and a note says how much of the revenue they are.
    assert_eq!(
        num(cell(
            &performance,
            "by_owner",
            "owner",
            "Orders and unassigned deals",
            "revenue"
        )),
        280.0
    );
    assert!(
        performance
            .notes
            .iter()
            .any(|n| n.starts_with("Revenue includes 3 orders (280.00), which have no owner")),
        "{:?}",
        performance.notes
    );
    // Ana completed a2, a5, a6 in January.
    assert_eq!(
        num(cell(
            &performance,
            "by_owner",
            "owner",
            "Ana",
            "activities_completed"
        )),
        3.0
    );

    // The two open deals have no expected close date: a note, no invented months.
    let forecast = report("forecast");
    assert!(
        forecast
            .notes
            .iter()
            .any(|n| n.starts_with("2 open deals have no expected close date")),
        "{:?}",
        forecast.notes
    );
    assert!(
        forecast
            .notes
            .iter()
            .any(|n| n.contains("embudo forecast train"))
    );

    // c1 (email) converted after 15 days through d1 (1000); c2 (paid_ads) did not.
    let conversion = report("conversion");
    assert_eq!(
        num(cell(
            &conversion,
            "by_source",
            "lead_source",
            "email",
            "converted"
        )),
        1.0
    );
    assert_eq!(
        num(cell(
            &conversion,
            "by_source",
            "lead_source",
            "email",
            "avg_days_to_convert"
        )),
        15.0
    );
    assert_eq!(
        num(cell(
            &conversion,
            "by_source",
            "lead_source",
            "email",
            "avg_converted_deal_size"
        )),
        1000.0
    );
    assert_eq!(
        num(cell(
            &conversion,
            "by_source",
            "lead_source",
            "paid_ads",
            "share"
        )),
        0.5
    );
    // Two leads are far too few for insights, and the report says so.
    assert!(conversion.insights.is_empty());
    assert!(
        conversion.notes[0].starts_with(
            "Fewer than two lead sources brought 30 leads in the range (2 leads in all)"
        ),
        "{:?}",
        conversion.notes
    );

    assert!(report("goals").sections[0].rows.is_empty());

    let sources = report("lead_sources");
    assert_eq!(
        num(cell(
            &sources,
            "by_source",
            "lead_source",
            "email",
            "prospects"
        )),
        1.0
    );

    // d2, lost for "Price" from Qualified.
    let lost = report("lost_deals");
    assert_eq!(
        num(cell(
            &lost,
            "by_reason",
            "lost_reason",
            "Price",
            "lost_revenue"
        )),
        500.0
    );
    assert_eq!(
        num(cell(
            &lost,
            "by_last_stage",
            "stage",
            "Qualified",
            "deals_lost"
        )),
        1.0
    );

    // Winter mail: 1 sent, 1 response, d1 and o1 bought, (1080 − 400) / 400.
    let campaigns = report("campaigns");
    assert_eq!(
        num(cell(
            &campaigns,
            "by_campaign",
            "campaign",
            "Winter mail",
            "sent"
        )),
        1.0
    );
    assert_eq!(
        num(cell(
            &campaigns,
            "by_campaign",
            "campaign",
            "Winter mail",
            "campaign_purchases"
        )),
        2.0
    );
    assert!(
        (num(cell(
            &campaigns,
            "by_campaign",
            "campaign",
            "Winter mail",
            "campaign_roi"
        )) - 1.7)
            .abs()
            < 1e-9
    );

    let customers = report("customers");
    assert_eq!(
        num(cell(
            &customers,
            "summary",
            "metric",
            "retained_customers",
            "value"
        )),
        3.0
    );

    let service = report("service");
    assert_eq!(
        num(cell(&service, "by_agent", "owner", "Cy", "cases_handled")),
        3.0
    );
    assert_eq!(
        num(cell(
            &service,
            "overall",
            "metric",
            "sla_compliance",
            "value"
        )),
        0.25
    );

    // Logins in January: Ana twice, Ben once.
    let adoption = report("adoption");
    assert_eq!(
        num(cell(&adoption, "by_user", "user", "Ana", "logins")),
        2.0
    );
    assert_eq!(
        num(cell(&adoption, "by_user", "user", "Ben", "records_updated")),
        1.0
    );

    // Activity in the week before 01-10: Ana's calls a2 and a5, Ben's a3.
    let mut week = january(&store, "en");
    week.params.at = Some(midnight(2026, 1, 10));
    let activity = build(&week, "activity").unwrap();
    let rows = &activity.sections[0].rows;
    let ana_calls = rows
        .iter()
        .find(|r| r[0] == "Ana" && r[1] == "call")
        .unwrap();
    assert_eq!(ana_calls[2], 2);
}

/// The activity report at a past instant reads each task as it stood then: Ben's four
/// tasks, logged on 2 January unless said, are t10 due the 8th and completed late on the
/// 12th, t11 due the 14th and completed on the 13th at 10:00, t12 logged on the 11th and due
/// the 15th, never completed, and t13 due the 5th and completed on the 6th at noon.
#[test]
fn the_activity_report_of_an_instant_past_reads_its_tasks_as_they_stood_then() {
    let (_dir, store) = fixture();
    store
        .execute_batch(
            "INSERT INTO activities (id, type, owner_id, due_at, completed_at, created_at) VALUES
               (10, 'task', 2, '2026-01-08', '2026-01-12 00:00:00', '2026-01-02'),
               (11, 'task', 2, '2026-01-14', '2026-01-13 10:00:00', '2026-01-02'),
               (12, 'task', 2, '2026-01-15', NULL, '2026-01-11'),
               (13, 'task', 2, '2026-01-05', '2026-01-06 12:00:00', '2026-01-02');",
        )
        .unwrap();
    let tasks_at = |instant: NaiveDateTime| {
        let mut ctx = january(&store, "en");
        ctx.params.at = Some(instant);
        ctx.params.behind = true;
        let activity = build(&ctx, "activity").unwrap();
        let section = &activity.sections[0];
        let r = section
            .rows
            .iter()
            .position(|r| r[0] == "Ben" && r[1] == "task")
            .unwrap();
        let groups = section.groups.as_ref().unwrap();
        ["completed_last_7_days", "scheduled_next_7_days", "overdue"].map(|column| {
            let mut ids = groups.behind(r, column).unwrap().to_vec();
            let count = &section.rows[r][section.column(column).unwrap()];
            assert_eq!(ids.len() as f64, num(count.clone()), "{column}");
            ids.sort_unstable();
            ids
        })
    };
    // On the 10th: t13 done in the week before; t11 due in the week after (t12 was not
    // logged yet); t10 overdue, though completed since.
    assert_eq!(
        tasks_at(midnight(2026, 1, 10)),
        [vec![13], vec![11], vec![10]]
    );
    // On the 13th at midnight: t13 and t10 done; t11 (done later that day) and t12 due.
    assert_eq!(
        tasks_at(midnight(2026, 1, 13)),
        [vec![10, 13], vec![11, 12], vec![]]
    );
    // On the 16th: t12 overdue, the only task not done.
    assert_eq!(
        tasks_at(midnight(2026, 1, 16)),
        [vec![10, 11], vec![], vec![12]]
    );
}

/// An open deal without an amount is counted among its month's deals, adds nothing to its
/// amounts (a month of such deals alone reads 0, not blank), and a note says so: d4 (3000)
/// and d5 (its 700 cleared) both expected on 15 February, then d5 alone in March.
#[test]
fn the_forecast_says_how_many_open_deals_have_no_amount() {
    let (_dir, store) = fixture();
    store
        .execute_batch(
            "UPDATE deals SET expected_close_date = DATE '2026-02-15' WHERE id IN (4, 5);
             UPDATE deals SET amount = NULL WHERE id = 5;",
        )
        .unwrap();
    let forecast = build(&january(&store, "en"), "forecast").unwrap();
    let february = |column| num(cell(&forecast, "by_month", "month", "2026-02-01", column));
    assert_eq!(february("deals"), 2.0);
    assert_eq!(february("amount"), 3000.0);
    store
        .execute_batch("UPDATE deals SET expected_close_date = DATE '2026-03-15' WHERE id = 5")
        .unwrap();
    let later = build(&january(&store, "en"), "forecast").unwrap();
    let march = |column| num(cell(&later, "by_month", "month", "2026-03-01", column));
    assert_eq!(march("deals"), 1.0);
    assert_eq!(march("amount"), 0.0);
    assert_eq!(march("weighted_amount"), 0.0);
    // One deal without an amount: the note's words agree with the one, in both languages.
    let unpriced: Vec<&String> = forecast
        .notes
        .iter()
        .filter(|n| n.contains("no amount"))
        .collect();
    assert_eq!(
        unpriced,
        ["1 open deal has no amount: it adds nothing to the amounts and revenue above"],
        "{:?}",
        forecast.notes
    );
    let spanish = build(&january(&store, "es"), "forecast").unwrap();
    assert!(
        spanish.notes.iter().any(|n| n
            == "1 oportunidad abierta no tiene importe: no suma nada a los importes ni a los ingresos"),
        "{:?}",
        spanish.notes
    );
    assert!(
        !forecast
            .notes
            .iter()
            .any(|n| n.contains("no expected close date")),
        "{:?}",
        forecast.notes
    );
}

#[test]
fn the_json_has_the_shape_of_the_spec() {
    let (_dir, store) = fixture();
    let ctx = january(&store, "en");
    for name in NAMES {
        let json = serde_json::to_value(build(&ctx, name).unwrap()).unwrap();
        let object = json.as_object().unwrap();
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let expected = [
            "generated_at",
            "insights",
            "notes",
            "params",
            "report",
            "sections",
        ];
        assert_eq!(keys, expected, "{name}");
        assert_eq!(json["report"], name);
        for section in json["sections"].as_array().unwrap() {
            let columns = section["columns"].as_array().unwrap();
            assert!(columns.iter().all(Value::is_string), "{name}");
            for row in section["rows"].as_array().unwrap() {
                assert_eq!(
                    row.as_array().unwrap().len(),
                    columns.len(),
                    "{name}/{}",
                    section["name"]
                );
            }
        }
    }
}

#[test]
fn unknown_reports_name_the_known_ones() {
    let (_dir, store) = fixture();
    let err = build(&january(&store, "en"), "pipelines")
        .unwrap_err()
        .to_string();
    assert!(err.contains("reports are pipeline, profitability"), "{err}");
}

#[test]
fn the_html_pack_is_well_formed_and_self_contained() {
    let (_dir, store) = fixture();
    let ctx = january(&store, "en");
    let reports: Vec<Report> = NAMES.iter().map(|n| build(&ctx, n).unwrap()).collect();
    let page = html::page("Embudo reports", &reports, "en");
    // Well-formed as XML: every element closed, every SVG sound.
    let mut reader = quick_xml::Reader::from_str(&page);
    let mut svgs = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == "svg" => svgs += 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("malformed at {}: {e}", reader.buffer_position()),
        }
    }
    assert!(svgs >= 5, "only {svgs} charts");
    // Nothing is fetched: the only URL is the SVG namespace, which is a name, not a link.
    let urls = page.matches("http").count();
    let namespaces = page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(urls, namespaces);
    assert!(!page.contains("<script") && !page.contains("@import") && !page.contains("src="));
    for name in NAMES {
        assert!(
            page.contains(&format!("id=\"{name}\"")),
            "{name} missing from the pack"
        );
    }
}

/// A summary names each metric once on the page, in the reader's words; its key column,
/// which reads the same there, is left to the exports (the JSON keeps both).
#[test]
fn a_summary_names_each_metric_once_on_the_page() {
    let (_dir, store) = fixture();
    let customers = build(&january(&store, "es"), "customers").unwrap();
    let summary = customers
        .sections
        .iter()
        .find(|s| s.name == "summary")
        .unwrap();
    let keys: Vec<&str> = summary.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys[..2], ["metric", "label"]);
    let page = html::page("Embudo", std::slice::from_ref(&customers), "es");
    let name = "Número de nuevos clientes";
    assert_eq!(
        page.matches(&format!("<td>{name}</td>")).count(),
        1,
        "{name} shown more than once"
    );
    assert!(!page.contains("<td>new_customers</td>"));
}

#[test]
fn spanish_output_has_no_english_labels() {
    for (key, en, es) in i18n::keys() {
        assert!(!es.is_empty() && es != en, "{key} has no Spanish label");
    }
    for (key, en, es) in insights::templates() {
        assert!(es != en, "{key} has no Spanish text");
    }
    for metric in embudo_metrics::catalogue() {
        assert_ne!(metric.label_en, metric.label_es, "{}", metric.name);
    }
    let english: Vec<&str> = i18n::keys().map(|(_, en, _)| en).collect();
    let (_dir, store) = fixture();
    let ctx = january(&store, "es");
    for name in NAMES {
        let report = build(&ctx, name).unwrap();
        assert!(
            !english.contains(&report.title.as_str()),
            "{}",
            report.title
        );
        for section in &report.sections {
            assert!(
                !english.contains(&section.title.as_str()),
                "{name}: {}",
                section.title
            );
            for column in &section.columns {
                let label = column.label.as_str();
                assert!(
                    !label.starts_with("col."),
                    "{name}/{}: no label for {}",
                    section.name,
                    column.key
                );
                assert!(
                    !english.contains(&label),
                    "{name}/{}: {label}",
                    section.name
                );
                let metric_english = embudo_metrics::catalogue()
                    .iter()
                    .any(|m| m.label_en == label);
                assert!(!metric_english, "{name}/{}: {label}", section.name);
            }
        }
        for note in &report.notes {
            assert!(!note.contains(" the "), "{name}: {note}");
        }
    }
}

/// The medium business, generated once for the tests below.
fn medium() -> (Place, Store) {
    business(Scale::Medium, 11, 0.0)
}

/// A generated business up to 2026-06-30, its signal in, with `defect_rate` of its records
/// wrong, on the engine this run of the tests is for.
fn business(scale: Scale, seed: u64, defect_rate: f64) -> (Place, Store) {
    let place = Place::new();
    let generated = place.file("generated");
    let mut store = Store::open(&generated).unwrap();
    let params = SynthParams {
        scale,
        seed,
        now: midnight(2026, 6, 30),
        defect_rate,
        signal: true,
    };
    embudo_synth::fill(&mut store, &params).unwrap();
    drop(store);
    let store = place.copy_in(&generated, "business");
    (place, store)
}

/// Reports over `[from, to)`, in English, as of 2026-06-30.
fn over(store: &Store, from: NaiveDate, to: NaiveDate) -> Context<'_> {
    Context {
        store,
        calendar: Calendar::default(),
        params: Params {
            from: Some(Bound::Day(from)),
            to: Some(Bound::Day(to)),
            lang: "en".into(),
            ..Default::default()
        },
        now: midnight(2026, 6, 30),
    }
}

fn two_years(store: &Store) -> Context<'_> {
    over(store, day(2024, 7, 1), day(2026, 7, 1))
}

fn sentence<'a>(insights: &'a [String], needle: &str) -> &'a str {
    insights
        .iter()
        .find(|s| s.contains(needle))
        .unwrap_or_else(|| panic!("no insight with {needle:?}: {insights:?}"))
}

/// The first percentage after `needle` in the insight that contains it.
fn percent_after(insights: &[String], needle: &str) -> f64 {
    let text = sentence(insights, needle);
    let rest = &text[text.find(needle).unwrap() + needle.len()..];
    let digits: String = rest
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse::<f64>().unwrap() / 100.0
}

/// The last percentage before `needle` in the insight that contains it.
fn percent_before(insights: &[String], needle: &str) -> f64 {
    let text = sentence(insights, needle);
    let head = text[..text.find(needle).unwrap()].trim_end_matches(|c: char| !c.is_ascii_digit());
    let start = head
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    head[start..].parse::<f64>().unwrap() / 100.0
}

#[test]
fn conversion_insights_find_the_generators_truths() {
    let (_dir, store) = medium();
    let report = build(&two_years(&store), "conversion").unwrap();
    let insights = &report.insights;
    // The newest leads have had less time to convert, so rates read a little low.
    let email = percent_after(insights, "email leads converted at");
    assert!((email - 0.17).abs() < 0.03, "{insights:?}");
    // Embudo's own sources are named in words: paid_ads leads are "paid ads" leads.
    let paid = percent_before(insights, "of paid ads leads");
    assert!((paid - 0.03).abs() < 0.015, "{insights:?}");
    let faster = percent_after(insights, "referral leads close");
    assert!((faster - 0.30).abs() < 0.08, "{insights:?}");
    let share = percent_after(insights, "organic search leads are");
    assert!((share - 0.60).abs() < 0.03, "{insights:?}");
    let smaller = percent_after(insights, "average deal is");
    assert!((smaller - 0.15).abs() < 0.08, "{insights:?}");
    let mut spanish = two_years(&store);
    spanish.params.lang = "es".into();
    let report = build(&spanish, "conversion").unwrap();
    let said = report.insights.join(" | ");
    assert!(said.contains("de los de anuncios de pago"), "{said}");
    assert!(!said.contains("paid_ads"), "{said}");
}

#[test]
fn report_columns_named_after_metrics_equal_the_metrics() {
    let (_dir, store) = medium();
    let ctx = two_years(&store);
    let metric = |name: &str, by: &[embudo_metrics::Dim], to: Bound| {
        let query = Query {
            metric: name.into(),
            from: Bound::Day(day(2024, 7, 1)),
            to,
            grain: None,
            by: by.to_vec(),
            filters: Vec::new(),
            compare: None,
        };
        embudo_metrics::run(&store, &ctx.calendar, &query, "en").unwrap()
    };
    // Pipeline values per stage at the instant, against the metric at that instant.
    let mut at_now = two_years(&store);
    at_now.params.at = Some(midnight(2026, 7, 1));
    let pipeline = build(&at_now, "pipeline").unwrap();
    let by_stage = metric(
        "pipeline_value",
        &[embudo_metrics::Dim::Pipeline, embudo_metrics::Dim::Stage],
        Bound::Day(day(2026, 7, 1)),
    );
    for row in by_stage.rows {
        let stages = &pipeline.sections[0];
        let found = stages
            .rows
            .iter()
            .find(|r| {
                Some(r[0].as_str().unwrap().to_owned()) == row.dims[0]
                    && Some(r[1].as_str().unwrap().to_owned()) == row.dims[1]
            })
            .unwrap();
        assert!(
            (num(found[3].clone()) - row.value.unwrap()).abs() < 1e-6,
            "{:?}",
            row.dims
        );
    }
    // Profitability totals are the revenue and margin metrics.
    let profit = build(&ctx, "profitability").unwrap();
    let revenue = metric("revenue", &[], Bound::Day(day(2026, 7, 1))).rows[0]
        .value
        .unwrap();
    let margin = metric("margin", &[], Bound::Day(day(2026, 7, 1))).rows[0]
        .value
        .unwrap();
    assert!((num(cell(&profit, "totals", "customer", "Totals", "revenue")) - revenue).abs() < 1e-3);
    assert!((num(cell(&profit, "totals", "customer", "Totals", "margin")) - margin).abs() < 1e-3);
    // Lost deals by last stage add up to the deals_lost metric.
    let lost = build(&ctx, "lost_deals").unwrap();
    let by_stage: f64 = lost.sections[1]
        .rows
        .iter()
        .map(|r| num(r[1].clone()))
        .sum();
    assert_eq!(
        by_stage,
        metric("deals_lost", &[], Bound::Day(day(2026, 7, 1))).rows[0]
            .value
            .unwrap()
    );
    // Conversion: prospects per source are the metric's.
    let conversion = build(&ctx, "conversion").unwrap();
    for row in metric(
        "prospects",
        &[embudo_metrics::Dim::LeadSource],
        Bound::Day(day(2026, 7, 1)),
    )
    .rows
    {
        let source = row.dims[0].clone().unwrap();
        assert_eq!(
            num(cell(
                &conversion,
                "by_source",
                "lead_source",
                &source,
                "prospects"
            )),
            row.value.unwrap()
        );
    }
}

#[test]
fn the_workbook_opens_with_typed_numbers() {
    use calamine::{Data, Reader, Xlsx};
    let (_dir, store) = fixture();
    let ctx = january(&store, "en");
    let reports: Vec<Report> = NAMES.iter().map(|n| build(&ctx, n).unwrap()).collect();
    let bytes = embudo_reports::xlsx::workbook(&reports).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let sections: usize = reports.iter().map(|r| r.sections.len()).sum();
    assert_eq!(
        names.len(),
        sections + 1,
        "a sheet per section and a contents sheet"
    );
    // Sheets are named by the titles people read, within Excel's 31 characters, unique.
    assert!(names.iter().all(|n| n.chars().count() <= 31), "{names:?}");
    let unique: std::collections::HashSet<String> =
        names.iter().map(|n| n.to_lowercase()).collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    let sheet = names
        .iter()
        .find(|n| *n == "Profitability · By customer")
        .unwrap_or_else(|| panic!("{names:?}"))
        .clone();
    let range = book.worksheet_range(&sheet).unwrap();
    assert_eq!(range.get((0, 0)), Some(&Data::String("Customer".into())));
    // C1's revenue, 1000, is a number, not text.
    let c1 = range
        .rows()
        .find(|r| r[0] == Data::String("C1".into()))
        .unwrap();
    assert_eq!(c1[1], Data::Float(1000.0));
}

/// Every string inside `value`.
fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// No report prints a message key, a placeholder it did not fill or a choice of words it
/// did not make, in either language, on thin data or none.
#[test]
fn no_report_ever_prints_a_message_key() {
    // The families of keys the words are looked up by (`note.thin_lost`, `section.totals`…).
    let families: std::collections::BTreeSet<&str> = i18n::keys()
        .chain(insights::templates())
        .filter_map(|(key, _, _)| key.split_once('.').map(|(family, _)| family))
        .collect();
    let raw_key = |text: &str| {
        text.split(|c: char| !(c.is_ascii_lowercase() || c == '_' || c == '.'))
            .filter_map(|word| word.trim_matches('.').split_once('.'))
            .any(|(family, rest)| families.contains(family) && !rest.is_empty())
    };
    assert!(raw_key("note: note.thin_lost") && !raw_key("3.5 deals. Done."));
    // A placeholder (`{0}`) or a choice of words (`{deal has|deals have}`) left in.
    let unfilled = |text: &str| {
        text.split('{').skip(1).any(|after| {
            after
                .split_once('}')
                .is_some_and(|(inside, _)| inside.contains('|') || inside.parse::<usize>().is_ok())
        })
    };
    assert!(unfilled("{0} open {deal|deals}") && !unfilled("{\"a\": 1}"));
    // A month of hand-built data (thin: every "too few" note fires) and an empty store.
    let (_fixture_dir, fixture) = fixture();
    let empty_place = Place::new();
    let empty = empty_place.store("empty");
    for store in [&fixture, &empty] {
        for lang in ["en", "es"] {
            let ctx = january(store, lang);
            for name in NAMES {
                let built = build(&ctx, name).unwrap();
                if std::ptr::eq(store, &empty)
                    && ["lost_deals", "sales_performance"].contains(&name)
                {
                    assert!(!built.notes.is_empty(), "{name}: the thin-data notes fire");
                }
                let report = serde_json::to_value(built).unwrap();
                let mut found = Vec::new();
                strings(&report, &mut found);
                for text in found {
                    assert!(!raw_key(text), "{name} ({lang}) prints a key: {text}");
                    assert!(!unfilled(text), "{name} ({lang}) leaves a blank: {text}");
                }
            }
        }
    }
}

/// The pack counts the gaps in the data once for all its reports; each notes the same gaps,
/// with the same counts, as it does built alone. Built two at a time, its reports come in
/// the order asked, each as it is alone (the forecast's draws aside).
#[test]
fn the_pack_notes_each_reports_gaps_as_the_report_alone_does() {
    let (_dir, store) = fixture();
    // Two gaps: d5 without an owner, and d10 won without a close date.
    store
        .execute_batch(
            "UPDATE deals SET owner_id = NULL WHERE id = 5;
             INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, cost, currency, owner_id, contact_id, product_id, campaign_id, source, deal_type, created_at, closed_at, lost_reason, updated_at, deleted_at) VALUES
              (10, 'd10', 1, 3, 'won', 50, NULL, 'USD', 1, 1, 1, NULL, 'email', 'new_business', '2026-01-05', NULL, NULL, '2026-01-05', NULL);",
        )
        .unwrap();
    let ctx = january(&store, "en");
    let pack = embudo_reports::build_all(&ctx, &NAMES).unwrap();
    let mut gap_notes = 0;
    assert_eq!(pack.len(), NAMES.len());
    for (name, packed) in NAMES.iter().zip(&pack) {
        assert_eq!(packed.report, *name);
        let alone = build(&ctx, name).unwrap();
        assert_eq!(packed.notes, alone.notes, "{name}");
        if *name != "forecast" {
            assert_eq!(packed.sections, alone.sections, "{name}");
        }
        gap_notes += packed
            .notes
            .iter()
            .filter(|note| {
                note.starts_with("1 deal has no owner: it is in no rep's")
                    || note.starts_with("1 won or lost deal has no close date: it is missing")
            })
            .count();
    }
    // The owner's gap in four reports, the close date's in nine.
    assert_eq!(gap_notes, 4 + 9);

    // A report that cannot be built stops the pack with its error.
    let mut refused = january(&store, "en");
    refused.params.owner = Some("Anna".into());
    let error = embudo_reports::build_all(&refused, &NAMES).unwrap_err();
    assert!(
        error.to_string().starts_with("no owner named 'Anna'"),
        "{error}"
    );
}

/// The notes of `report` that hold any of `words`, in order.
fn notes_saying(report: &Report, words: &[&str]) -> Vec<String> {
    report
        .notes
        .iter()
        .filter(|note| words.iter().any(|w| note.contains(w)))
        .cloned()
        .collect()
}

#[test]
fn the_forecast_names_the_months_without_a_revenue_goal() {
    let (_dir, store) = fixture();
    let ungoaled =
        |report: &Report| notes_saying(report, &[" as a month of its own", " como mes propio"]);
    // February to April 2026, none with a goal.
    let forecast = build(&january(&store, "en"), "forecast").unwrap();
    assert_eq!(
        ungoaled(&forecast),
        [
            "Chance of reaching the goal: the company has no revenue goal for 2026-02, 2026-03, \
             2026-04 as a month of its own, so it is blank there (`embudo goal add` with \
             `--metric revenue` from a month's first day to the next's sets one)"
        ]
    );
    // March's goal fills March; a goal over three months fills none.
    store
        .execute_batch(
            "INSERT INTO goals (id, name, metric, target, period_start, period_end, scope, direction)
             VALUES (1, 'March', 'revenue', 500, '2026-03-01', '2026-04-01', 'company', 'at_least'),
                    (2, 'Spring', 'revenue', 500, '2026-03-01', '2026-06-01', 'company', 'at_least');",
        )
        .unwrap();
    let forecast = build(&january(&store, "es"), "forecast").unwrap();
    assert_eq!(
        ungoaled(&forecast),
        [
            "Probabilidad de alcanzar la meta: la empresa no tiene meta de ingresos para 2026-02, \
             2026-04 como mes propio, por eso está vacía ahí (`embudo goal add` con \
             `--metric revenue` del primer día de un mes al del siguiente fija una)"
        ]
    );
    let reach = |month| cell(&forecast, "by_month", "month", month, "goal_reach");
    assert!(reach("2026-03-01").is_number(), "{}", reach("2026-03-01"));
    assert!(reach("2026-02-01").is_null());
    // A store of deals alone (a CRM's deals export): the chance's note speaks of no orders.
    store
        .execute_batch("UPDATE orders SET deleted_at = '2026-01-31'")
        .unwrap();
    let deals_only = build(&january(&store, "en"), "forecast").unwrap();
    assert_eq!(
        notes_saying(&deals_only, &["Chance of reaching the goal: the share"]),
        [
            "Chance of reaching the goal: the share of the runs in which the open deals won in \
             the month and the revenue already won reach its revenue goal (no orders came in \
             the three months before, so none are counted to come)"
        ]
    );
}

#[test]
fn the_chance_of_a_months_revenue_goal_counts_the_orders_the_month_usually_brings() {
    let (_dir, store) = fixture();
    // No deal open: the runs bring nothing, so each chance is all or nothing. An order of 20
    // in December 2025 beside the fixture's 280 in January 2026: the three months before
    // March 2026 bring 20, 280 and 0 (a mean of 100), those before April 280, 0 and 0
    // (93.33).
    store
        .execute_batch(
            "UPDATE deals SET deleted_at = '2026-01-01' WHERE status = 'open';
             INSERT INTO orders (id, contact_id, campaign_id, ordered_at, currency, deleted_at)
             VALUES (100, 6, NULL, '2025-12-10', 'USD', NULL);
             INSERT INTO order_lines VALUES (100, 100, 3, 1, 20, NULL);
             INSERT INTO goals (id, name, metric, target, period_start, period_end, scope, direction)
             VALUES (1, 'March', 'revenue', 100, '2026-03-01', '2026-04-01', 'company', 'at_least'),
                    (2, 'April', 'revenue', 94, '2026-04-01', '2026-05-01', 'company', 'at_least');",
        )
        .unwrap();
    let forecast = build(&january(&store, "en"), "forecast").unwrap();
    let reach = |month| num(cell(&forecast, "by_month", "month", month, "goal_reach"));
    assert_eq!(reach("2026-03-01"), 1.0);
    assert_eq!(reach("2026-04-01"), 0.0);
    assert_eq!(
        notes_saying(&forecast, &["the orders the month usually brings"]).len(),
        1,
        "{:?}",
        forecast.notes
    );
}

#[test]
fn the_forecast_of_an_instant_past_counts_only_the_revenue_won_before_it() {
    let (_dir, store) = fixture();
    // Two deals won in February 2026: d8 (100) on the 3rd, d9 (300) on the 10th. As of the
    // 5th, 100 is won and d9 is still open; as of the 11th, both are won.
    store
        .execute_batch(
            "INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, currency, owner_id,
                                contact_id, product_id, created_at, closed_at, updated_at)
             VALUES (8, 'd8', 1, 3, 'won', 100, 'USD', 1, 1, 1, '2026-01-05', '2026-02-03', '2026-02-03'),
                    (9, 'd9', 1, 3, 'won', 300, 'USD', 2, 2, 1, '2026-01-05', '2026-02-10', '2026-02-10');",
        )
        .unwrap();
    let as_of = |d| {
        let mut ctx = january(&store, "en");
        ctx.params.at = Some(midnight(2026, 2, d));
        build(&ctx, "forecast").unwrap()
    };
    let won = |report: &Report, month| num(cell(report, "by_month", "month", month, "won_revenue"));
    let fifth = as_of(5);
    assert_eq!(won(&fifth, "2026-02-01"), 100.0);
    assert_eq!(won(&fifth, "2026-03-01"), 0.0);
    assert_eq!(won(&as_of(11), "2026-02-01"), 400.0);
    // At the month's first instant nothing is won yet (January's 1,300 is not February's).
    assert_eq!(won(&as_of(1), "2026-02-01"), 0.0);
}

#[test]
fn the_forecast_of_an_instant_past_reads_its_deals_as_they_stood_then() {
    let (_dir, store) = fixture();
    // d5 (Qualified, 20%) is open from 28 January. Its expected close date was 25 February,
    // moved to the 20th on 8 February and to 15 April on the 10th, when its amount went
    // from 500 to today's 700.
    store
        .execute_batch(
            "UPDATE deals SET expected_close_date = '2026-04-15' WHERE id = 5;
             INSERT INTO deal_changes (id, deal_id, field, old_value, new_value, changed_at, changed_by)
             VALUES (1, 5, 'expected_close_date', '2026-02-25', '2026-02-20', '2026-02-08', 1),
                    (2, 5, 'expected_close_date', '2026-02-20', '2026-04-15', '2026-02-10', 1),
                    (3, 5, 'amount', '500', '700', '2026-02-10', 1);",
        )
        .unwrap();
    let as_of = |d| {
        let mut ctx = january(&store, "en");
        ctx.params.at = Some(midnight(2026, 2, d));
        build(&ctx, "forecast").unwrap()
    };
    let month =
        |report: &Report, month, column| num(cell(report, "by_month", "month", month, column));
    for d in [5, 9] {
        let then = as_of(d);
        assert_eq!(month(&then, "2026-02-01", "deals"), 1.0, "as of the {d}th");
        assert_eq!(
            month(&then, "2026-02-01", "amount"),
            500.0,
            "as of the {d}th"
        );
        assert_eq!(month(&then, "2026-02-01", "weighted_amount"), 100.0);
        assert_eq!(month(&then, "2026-04-01", "deals"), 0.0);
        assert_eq!(num(cell(&then, "deals", "deal", "d5", "amount")), 500.0);
    }
    let expected = |report: &Report| cell(report, "deals", "deal", "d5", "expected_close_date");
    assert_eq!(expected(&as_of(5)), "2026-02-25");
    assert_eq!(expected(&as_of(9)), "2026-02-20");
    let now = as_of(11);
    assert_eq!(month(&now, "2026-02-01", "deals"), 0.0);
    assert_eq!(month(&now, "2026-04-01", "amount"), 700.0);
    assert_eq!(expected(&now), "2026-04-15");
}

#[test]
fn periods_a_reports_range_cuts_short_are_named() {
    let (_dir, store) = fixture();
    let cut = |report: &Report| notes_saying(report, &[" counts only ", " cuenta solo "]);
    // January 2026 by week (the lead sources' grain for a range of a month): it begins on
    // a Thursday, in the week of Monday 29 December, and ends on a Saturday, in the week
    // of Monday 26 January.
    let january_en = january(&store, "en");
    assert_eq!(
        cut(&build(&january_en, "lead_sources").unwrap()),
        [
            "The first period (2025-12-29) counts only 2026-01-01 to 2026-01-04, not the whole week",
            "The last period (2026-01-26) counts only 2026-01-26 to 2026-01-31, not the whole week",
        ]
    );
    // By month, January is whole.
    assert!(cut(&build(&january_en, "sales_performance").unwrap()).is_empty());
    let mut from_the_15th = january(&store, "es");
    from_the_15th.params.from = Some(Bound::Day(day(2026, 1, 15)));
    assert_eq!(
        cut(&build(&from_the_15th, "sales_performance").unwrap()),
        [
            "El único periodo (2026-01-01) cuenta solo del 2026-01-15 al 2026-01-31, no el mes entero"
        ]
    );
}

#[test]
fn a_figure_whose_every_record_lacks_the_split_says_so() {
    let (_dir, store) = fixture();
    // January's one abandoned call (call 2) reached no agent, its owner in the service
    // report; the answered calls did.
    let blank = |report: &Report| {
        notes_saying(report, &["no record this figure counts", "ningún registro"])
    };
    assert_eq!(
        blank(&build(&january(&store, "en"), "service").unwrap()),
        [
            "Calls abandoned before an answer: no record this figure counts has a value for owner, so all of it is in the row without one"
        ]
    );
    assert_eq!(
        blank(&build(&january(&store, "es"), "service").unwrap()),
        [
            "Llamadas perdidas antes de ser respondidas: ningún registro de los que cuenta esta cifra tiene valor en responsable, así que todo está en la fila sin él"
        ]
    );
    // Once the call has an agent, there is nothing to say.
    store
        .execute_batch("UPDATE service_calls SET agent_id = 3 WHERE id = 2")
        .unwrap();
    assert!(blank(&build(&january(&store, "en"), "service").unwrap()).is_empty());
}

/// The deals to close next of an instant past are those expected within 30 days then, at
/// the amounts they had then: d4 was expected on 20 February for 3,000 when January ended,
/// and moved to April at 3,500 since; d5, expected in May then, was brought forward to
/// 15 February since.
#[test]
fn next_to_close_of_an_instant_past_reads_close_dates_and_amounts_as_they_stood() {
    let (_dir, store) = fixture();
    store
        .execute_batch(
            "UPDATE deals SET expected_close_date = '2026-04-30', amount = 3500 WHERE id = 4;
             UPDATE deals SET expected_close_date = '2026-02-15' WHERE id = 5;
             INSERT INTO deal_changes (id, deal_id, field, old_value, new_value, changed_at) VALUES
               (1, 4, 'expected_close_date', '2026-02-20', '2026-04-30', '2026-02-10'),
               (2, 4, 'amount', '3000', '3500', '2026-02-10'),
               (3, 5, 'expected_close_date', '2026-05-01', '2026-02-15', '2026-02-05');",
        )
        .unwrap();
    let next = |ctx: &Context<'_>| -> Vec<String> {
        let pipeline = build(ctx, "pipeline").unwrap();
        let section = pipeline
            .sections
            .iter()
            .find(|s| s.name == "next_to_close")
            .unwrap();
        let at = |row: &Vec<Value>, column: &str| row[section.column(column).unwrap()].clone();
        section
            .rows
            .iter()
            .map(|row| {
                format!(
                    "{}|{}|{}|{}",
                    at(row, "deal"),
                    at(row, "amount"),
                    at(row, "weighted_amount"),
                    at(row, "expected_close_date")
                )
            })
            .collect()
    };
    // 31 January: d4 in Proposal (60%).
    let mut then = january(&store, "en");
    then.params.at = Some(midnight(2026, 1, 31));
    assert_eq!(next(&then), [r#""d4"|3000.0|1800.0|"2026-02-20""#]);
    // 6 February, after d5 was brought forward and before d4 moved: both.
    then.params.at = Some(midnight(2026, 2, 6));
    assert_eq!(
        next(&then),
        [
            r#""d4"|3000.0|1800.0|"2026-02-20""#,
            r#""d5"|700.0|140.0|"2026-02-15""#,
        ]
    );
}

/// Who had been away 90 days is read at the report's instant: a login since does not hide
/// it, a user whose account came later is not listed, and a login in the usage events
/// counts though the user's `last_login_at` was never set.
#[test]
fn inactive_users_of_an_instant_past_are_those_away_then() {
    let (_dir, store) = fixture();
    // Logins: Ana on 5 and 6 January, Ben on 6 January, Cy (below) on 20 April; Ben's
    // account says he last logged in on 10 May, and Eve's was opened on 1 March.
    store
        .execute_batch(
            "UPDATE users SET last_login_at = '2026-01-06' WHERE id = 1;
             UPDATE users SET last_login_at = '2026-05-10' WHERE id = 2;
             INSERT INTO user_events VALUES (100, 3, 'login', NULL, NULL, '2026-04-20');",
        )
        .unwrap();
    let inactive = |instant: NaiveDateTime| -> Vec<String> {
        let mut ctx = january(&store, "en");
        ctx.params.at = Some(instant);
        let adoption = build(&ctx, "adoption").unwrap();
        let section = adoption
            .sections
            .iter()
            .find(|s| s.name == "inactive_users")
            .unwrap();
        let at = |row: &Vec<Value>, column: &str| row[section.column(column).unwrap()].clone();
        section
            .rows
            .iter()
            .map(|row| format!("{}|{}", at(row, "user"), at(row, "last_login")))
            .collect()
    };
    // 1 February: Cy had never logged in; Eve had no account yet; Ana and Ben had in
    // January. (Dee is not active.)
    assert_eq!(inactive(midnight(2026, 2, 1)), [r#""Cy"|null"#]);
    // 1 July, 90 days back is 2 April: Eve never logged in, Ana last did on 6 January.
    assert_eq!(
        inactive(midnight(2026, 7, 1)),
        [r#""Eve"|null"#, r#""Ana"|"2026-01-06 00:00:00""#]
    );
}

/// An NPS tool writes `NPS`: NPS leaves such a response out and the customers report says
/// so, until the kind is written as Embudo's.
#[test]
fn surveys_of_a_kind_written_otherwise_are_named_until_fixed() {
    let (_dir, store) = fixture();
    store
        .execute_batch(
            "INSERT INTO surveys (id, contact_id, kind, score, responded_at) VALUES (7, 1, 'NPS', 0, '2026-01-07')",
        )
        .unwrap();
    let said = |report: &Report| notes_saying(report, &["neither `nps` nor `csat`"]);
    let nps = |report: &Report| num(cell(report, "summary", "metric", "nps", "value"));
    // January's NPS responses 10, 9, 8 and 3: two promoters, one detractor of four.
    let customers = build(&january(&store, "en"), "customers").unwrap();
    assert_eq!(nps(&customers), 25.0);
    assert_eq!(
        said(&customers),
        [
            "1 survey's kind is neither `nps` nor `csat` (an NPS tool writes `NPS`): NPS and CSAT leave it out; `embudo audit --check surveys.kind.label` names the kind meant and `embudo audit fix surveys.kind.label --apply` writes it"
        ]
    );
    // Fixed, the 0 is a fifth response and a second detractor.
    store
        .execute_batch("UPDATE surveys SET kind = 'nps' WHERE id = 7")
        .unwrap();
    let customers = build(&january(&store, "en"), "customers").unwrap();
    assert_eq!(nps(&customers), 0.0);
    assert!(said(&customers).is_empty());
}

/// A help desk's export brings tickets without calls, work time or agents' costs: the
/// service report lists its agents with no nameless row of empty call figures, and says
/// what it cannot count.
#[test]
fn the_service_report_of_tickets_alone_lists_its_agents_and_says_what_it_lacks() {
    let (_dir, store) = fixture();
    store
        .execute_batch(
            "DELETE FROM service_calls;
             UPDATE tickets SET work_seconds = NULL WHERE id = 1;
             UPDATE users SET hourly_cost = NULL WHERE id = 3;",
        )
        .unwrap();
    let service = build(&january(&store, "en"), "service").unwrap();
    let by_agent = service
        .sections
        .iter()
        .find(|s| s.name == "by_agent")
        .unwrap();
    let owner = by_agent.column("owner").unwrap();
    let owners: Vec<Option<&str>> = by_agent
        .rows
        .iter()
        .map(|row| row[owner].as_str())
        .collect();
    assert_eq!(owners, [Some("Cy")]);
    // January's resolved tickets are 1, 2 and 3 (3 opened in December): Cy handled all three.
    assert_eq!(
        num(cell(&service, "by_agent", "owner", "Cy", "cases_handled")),
        3.0
    );
    assert_eq!(
        notes_saying(&service, &["service calls", "work time", "hourly cost"]),
        [
            "There are no service calls in the store: calls per day, abandoned calls, handle time and callbacks are empty for want of data",
            "1 resolved ticket has no work time (help desks' exports seldom give it): cost per interaction counts it as costing nothing",
            "1 agent has tickets or calls but no hourly cost: cost per interaction counts its work as costing nothing; give it one (users' hourly_cost) and import again",
        ]
    );
}

#[test]
fn filters_match_names_whatever_their_case_and_a_name_that_matches_nothing_is_refused() {
    let (_dir, store) = fixture();
    let with_owner = |owner: &str| {
        let mut ctx = january(&store, "en");
        ctx.params.owner = Some(owner.into());
        build(&ctx, "sales_performance")
    };
    let exact = with_owner("Ana").unwrap();
    let lower = with_owner("ana").unwrap();
    assert_eq!(exact.sections, lower.sections);
    // Ana's figures, not everyone's: the unfiltered report differs.
    let everyone = build(&january(&store, "en"), "sales_performance").unwrap();
    assert_ne!(exact.sections, everyone.sections);
    let refused = with_owner("Anna").unwrap_err().to_string();
    assert!(
        refused.starts_with("no owner named 'Anna'; the nearest: Ana"),
        "{refused}"
    );
    let mut ctx = january(&store, "en");
    ctx.params.pipeline = Some("new business".into());
    assert!(build(&ctx, "pipeline").is_ok());
    ctx.params.pipeline = Some("Renewals".into());
    let refused = build(&ctx, "pipeline").unwrap_err().to_string();
    assert!(refused.contains("the nearest: New Business"), "{refused}");
}

#[test]
fn every_data_gap_names_real_reports_and_says_its_count() {
    for gap in embudo_store::gaps::GAPS {
        for (lang, template) in [("en", gap.en), ("es", gap.es)] {
            let counted = template.contains("{0}");
            assert_eq!(
                gap.sentence(lang, 7).starts_with("7 "),
                counted,
                "{}: {lang}",
                gap.id
            );
            // One row reads in the singular, thousands are grouped as the language
            // groups them, and no choice of words is left unmade.
            if counted {
                let (one, many) = (gap.sentence(lang, 1), gap.sentence(lang, 12345));
                assert_ne!(one, many.replacen("12", "1", 1), "{}: {lang}", gap.id);
                let grouped = if lang == "es" { "12.345 " } else { "12,345 " };
                assert!(many.starts_with(grouped), "{many}");
                for sentence in [one, many] {
                    assert!(!sentence.contains(['{', '|', '}']), "{sentence}");
                }
            }
        }
        assert_ne!(gap.en, gap.es, "{} is translated", gap.id);
        assert!(
            gap.reports
                .iter()
                .all(|r| embudo_reports::NAMES.contains(r)),
            "{} names a report that does not exist",
            gap.id
        );
    }
}

/// Every figure a report page links to the records behind it, checked against the rows
/// the link lists: a count is their number, a sum adds them up. On a small business, two
/// months by month, every report.
#[test]
fn every_linked_figure_is_the_rows_it_leads_to() {
    use embudo_metrics::catalog::{Agg, Combine};
    let (_dir, store) = business(Scale::Small, 3, 0.05);
    let mut ctx = over(&store, day(2026, 4, 1), day(2026, 6, 1));
    ctx.params.grain = Some(embudo_metrics::Grain::Month);
    let (mut checked, mut linked, mut at_instant) = (0, 0, 0);
    let mut led_from = std::collections::BTreeMap::<String, usize>::new();
    for name in NAMES {
        let report = build(&ctx, name).unwrap();
        for section in &report.sections {
            for row in 0..section.rows.len().min(20) {
                for column in 0..section.columns.len() {
                    let Some(target) = embudo_reports::drill::target(&report, section, row, column)
                    else {
                        continue;
                    };
                    linked += 1;
                    *led_from
                        .entry(format!(
                            "{name}/{}/{}",
                            section.name, section.columns[column].key
                        ))
                        .or_default() += 1;
                    let metric = embudo_metrics::catalog::find(&target.metric).unwrap();
                    let query = Query {
                        metric: target.metric.clone(),
                        from: target.from,
                        to: target.to,
                        grain: None,
                        by: Vec::new(),
                        filters: target.filters.clone(),
                        compare: None,
                    };
                    let rows =
                        embudo_metrics::plan::drill(&store, &ctx.calendar, &query, 0, 10).unwrap();
                    let figure = num(section.rows[row][column].clone());
                    let at = format!("{name}/{}/row {row}/{}", section.name, target.metric);
                    match (metric.combine, metric.measures[0].agg) {
                        (Combine::One, Agg::Count) => {
                            assert_eq!(rows.total as f64, figure, "{at}");
                            checked += 1;
                            // A point-in-time report's figure: deals open at its instant.
                            at_instant += usize::from(report.params.contains_key("at"));
                        }
                        (Combine::One, Agg::Sum(_)) => {
                            let sum = rows.sum.unwrap_or_default();
                            assert!((sum - figure).abs() < 0.01, "{at}: {sum} against {figure}");
                            checked += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(
        checked >= 40 && linked > checked,
        "{checked} checked of {linked} linked"
    );
    assert!(at_instant >= 5, "{at_instant} counts at an instant checked");
    // Figures over ranges of their own: a goal's period, the forecast's month under way up
    // to its instant, the quarters of a trend that reaches back before the report's range.
    for (figure, at_least) in [
        ("goals/progress/actual", 1),
        ("forecast/by_month/won_revenue", 1),
        ("sales_cycle/trend/sales_cycle_length", 8),
    ] {
        let led = led_from.get(figure).copied().unwrap_or_default();
        assert!(led >= at_least, "{figure}: {led} linked");
    }
    eprintln!("{checked} checked of {linked} linked, {at_instant} at an instant");
}

/// A Spanish page writes Embudo's own values in words and numbers the Spanish way, in its
/// tables and its charts alike.
#[test]
fn a_spanish_page_writes_values_and_numbers_in_spanish() {
    let (_dir, store) = fixture();
    let ctx = january(&store, "es");
    let report = build(&ctx, "conversion").unwrap();
    let page = html::page("Conversión", std::slice::from_ref(&report), "es");
    // January's leads came by email and paid ads.
    for words in ["Correo electrónico", "Anuncios de pago"] {
        assert!(page.contains(words), "{words}");
    }
    assert!(!page.contains(">paid_ads<"), "a raw source in a cell");
    // Rates as Spanish writes them, in cells and bar labels: a comma and a spaced sign.
    assert!(page.contains(",0 %"), "{page}");
    assert!(!page.contains(".0%"), "an English rate: {page}");
}

#[test]
fn a_lead_source_the_audit_holds_misspelt_is_named_as_such() {
    let (_dir, store) = fixture();
    // Two of the three organic leads typed with letters swapped; a direct lead as its own
    // vocabulary would write it.
    store
        .execute_batch(
            "UPDATE contacts SET lead_source = 'orgainc' WHERE id IN (6, 7);
             UPDATE contacts SET lead_source = 'Walk-in' WHERE id = 11;",
        )
        .unwrap();
    let misspelt = embudo_audit::checks::misspelt_lead_sources(&store).unwrap();
    assert_eq!(
        misspelt,
        [("orgainc".to_owned(), "organic".to_owned())].into()
    );
    assert_eq!(
        embudo_reports::insights::source_in_sentence("orgainc", "es", &misspelt, false),
        "orgainc (probablemente búsqueda orgánica, mal escrito)"
    );
    assert_eq!(
        embudo_reports::insights::source_in_sentence("Walk-in", "en", &misspelt, true),
        "Walk-in"
    );
}

/// A small generated business without defects.
fn small_business(seed: u64) -> (Place, Store) {
    business(Scale::Small, seed, 0.0)
}

/// Reports over the first half of 2026, as of its end.
fn first_half(store: &Store) -> Context<'_> {
    over(store, day(2026, 1, 1), day(2026, 7, 1))
}

#[test]
fn each_row_of_a_list_of_deals_leads_to_its_deal() {
    let (_dir, store) = small_business(4);
    let ctx = first_half(&store);
    let mut led = 0;
    for (name, list) in [
        ("pipeline", "next_to_close"),
        ("lost_deals", "lost_list"),
        ("forecast", "deals"),
    ] {
        let report = build(&ctx, name).unwrap();
        let section = report.sections.iter().find(|s| s.name == list).unwrap();
        assert!(!section.rows.is_empty(), "{name}/{list} lists deals");
        let records = section
            .records
            .as_ref()
            .expect("a list of deals knows its deals");
        assert_eq!(records.ids.len(), section.rows.len());
        assert_eq!(
            section.columns.len(),
            section.rows[0].len(),
            "the id is not a column"
        );
        for (row, id) in section.rows.iter().zip(&records.ids) {
            let named = store
                .query_with(
                    "SELECT name FROM deals WHERE id = ?",
                    &[embudo_store::Param::Int(id.unwrap())],
                )
                .unwrap();
            assert_eq!(named.rows[0][0], row[0], "{name}/{list}");
            led += 1;
        }
        assert_eq!(
            records.href(0),
            Some(format!("/deals/{}", records.ids[0].unwrap()))
        );
    }
    assert!(led > 50, "{led} rows");
}

#[test]
fn a_figure_of_a_reports_own_sql_knows_the_records_it_counts() {
    let (_dir, store) = small_business(6);
    let mut ctx = first_half(&store);
    // As the dashboard's pages ask: they link each figure to its records.
    ctx.params.behind = true;
    let report = build(&ctx, "lost_deals").unwrap();
    let section = report
        .sections
        .iter()
        .find(|s| s.name == "by_last_stage")
        .unwrap();
    let groups = section.groups.as_ref().unwrap();
    let mut all: Vec<i64> = Vec::new();
    for (r, row) in section.rows.iter().enumerate() {
        let ids = groups.behind(r, "deals_lost").unwrap();
        assert_eq!(num(row[1].clone()) as usize, ids.len());
        all.extend(ids);
    }
    all.sort_unstable();
    // Every deal lost in the half-year, by plain SQL, once.
    let lost: Vec<i64> = store
        .query_with(
            "SELECT id FROM deals WHERE status = 'lost' AND closed_at >= DATE '2026-01-01'
                AND closed_at < DATE '2026-07-01' AND deleted_at IS NULL AND merged_into_id IS NULL
              ORDER BY id",
            &[],
        )
        .unwrap()
        .rows
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert!(lost.len() > 20);
    assert_eq!(all, lost);
    assert!(groups.behind(0, "stage").is_none(), "a label leads nowhere");
    // A funnel's first stage counts every deal of its pipeline created in the range.
    let pipeline = build(&ctx, "pipeline").unwrap();
    let mut funnels = 0;
    for funnel in pipeline
        .sections
        .iter()
        .filter(|s| s.name.starts_with("funnel"))
    {
        let name = funnel.name.trim_start_matches("funnel: ");
        let created = store
            .query_with(
                "SELECT count(*) FROM deals d JOIN pipelines p ON p.id = d.pipeline_id
                  WHERE p.name = ? AND d.created_at >= DATE '2026-01-01' AND d.created_at < DATE '2026-07-01'
                    AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
                    AND EXISTS (SELECT 1 FROM deal_stage_history h JOIN stages s ON s.id = h.stage_id
                                 WHERE h.deal_id = d.id AND s.kind <> 'lost')",
                &[embudo_store::Param::Text(name.to_owned())],
            )
            .unwrap()
            .rows[0][0]
            .as_i64()
            .unwrap();
        let groups = funnel.groups.as_ref().unwrap();
        assert_eq!(
            groups.behind(0, "reached").unwrap().len() as i64,
            created,
            "{name}"
        );
        funnels += 1;
    }
    assert!(funnels > 0);
    // The week's activities per owner and type: each count is its activities, and those
    // completed add up to every activity completed in the week before the instant.
    let activity = build(&ctx, "activity").unwrap();
    let section = &activity.sections[0];
    let groups = section.groups.as_ref().unwrap();
    let mut completed: Vec<i64> = Vec::new();
    let mut open: Vec<i64> = Vec::new();
    for (r, row) in section.rows.iter().enumerate() {
        for (c, key) in [
            (2, "completed_last_7_days"),
            (3, "scheduled_next_7_days"),
            (4, "overdue"),
        ] {
            assert_eq!(
                groups.behind(r, key).unwrap().len() as f64,
                num(row[c].clone()),
                "{key}"
            );
        }
        completed.extend(groups.behind(r, "completed_last_7_days").unwrap());
        open.extend(groups.behind(r, "scheduled_next_7_days").unwrap());
        open.extend(groups.behind(r, "overdue").unwrap());
    }
    completed.sort_unstable();
    open.sort_unstable();
    // Those not done: due in the week after the instant, or overdue at it.
    let not_done: Vec<i64> = store
        .values(
            "SELECT id FROM activities WHERE completed_at IS NULL
                AND due_at < TIMESTAMP '2026-07-07 00:00:00' ORDER BY id",
            &[],
        )
        .unwrap();
    assert!(!not_done.is_empty());
    assert_eq!(open, not_done);
    let expected: Vec<i64> = store
        .query_with(
            "SELECT id FROM activities WHERE completed_at >= TIMESTAMP '2026-06-23 00:00:00'
                AND completed_at < TIMESTAMP '2026-06-30 00:00:00' ORDER BY id",
            &[],
        )
        .unwrap()
        .rows
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(completed, expected);
    // The forecast's months: each month's count is its deals, every one expected then.
    let forecast = build(&ctx, "forecast").unwrap();
    let months = &forecast.sections[0];
    let groups = months.groups.as_ref().unwrap();
    let mut listed = 0;
    for (r, row) in months.rows.iter().enumerate() {
        let ids = groups.behind(r, "deals").unwrap();
        assert_eq!(ids.len() as f64, num(row[1].clone()));
        for id in ids {
            let expected_close = store
                .query_with(
                    "SELECT CAST(CAST(date_trunc('month', expected_close_date) AS DATE) AS VARCHAR)
                       FROM deals WHERE id = ?",
                    &[embudo_store::Param::Int(*id)],
                )
                .unwrap();
            assert_eq!(expected_close.rows[0][0], row[0]);
        }
        listed += ids.len();
    }
    assert!(listed > 0);
    // Asked without the records (a command's output, a delivery), the same figures and
    // no records behind them, in each report that has them.
    ctx.params.behind = false;
    for (name, with_records) in [("activity", &activity), ("forecast", &forecast)] {
        let without = build(&ctx, name).unwrap();
        for (alone, with) in without.sections.iter().zip(&with_records.sections) {
            assert_eq!(alone.rows, with.rows, "{name}");
            assert!(alone.groups.is_none(), "{name}");
        }
        assert!(with_records.sections.iter().any(|s| s.groups.is_some()));
    }
}
