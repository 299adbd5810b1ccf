//! Every metric on a hand-built fixture: a few rows per table, with the expected values
//! worked out by hand in the comments. The range is January 2026 (UTC) unless a test
//! says otherwise.

use chrono::NaiveDate;
use embudo_metrics::plan::{Noted, run_together};
use embudo_metrics::{Bound, Calendar, Compare, Dim, Grain, Query, catalogue, run};
use embudo_store::Store;
use embudo_testkit::Place;

const FIXTURE: &str = include_str!("fixture.sql");

/// The fixture in a new store, on the engine this run of the tests is for (the test command
/// runs these on DuckDB and on PostgreSQL: the hand-worked figures hold on both).
fn fixture() -> (Place, Store) {
    let place = Place::new();
    let store = place.store("fixture");
    store.execute_batch(FIXTURE).unwrap();
    (place, store)
}

fn day(y: i32, m: u32, d: u32) -> Bound {
    Bound::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn value_in(
    store: &Store,
    calendar: &Calendar,
    metric: &str,
    from: Bound,
    to: Bound,
) -> Option<f64> {
    let query = Query::over(metric, from, to);
    let result = run(store, calendar, &query, "en").unwrap();
    assert_eq!(result.rows.len(), 1, "{metric}");
    result.rows[0].value
}

fn january(store: &Store, metric: &str) -> Option<f64> {
    value_in(
        store,
        &Calendar::default(),
        metric,
        day(2026, 1, 1),
        day(2026, 2, 1),
    )
}

#[track_caller]
fn assert_near(got: Option<f64>, want: f64, metric: &str) {
    let got = got.unwrap_or_else(|| panic!("{metric} is null, expected {want}"));
    assert!(
        (got - want).abs() < 1e-4,
        "{metric}: got {got}, expected {want}"
    );
}

/// A report's figures asked together (their shared rows read once) are what each metric
/// gives asked alone: January beside December, as one figure and by week and owner, for
/// every metric of the catalogue that can be asked so.
#[test]
fn metrics_asked_together_give_what_each_gives_alone() {
    let (_dir, store) = fixture();
    let calendar = Calendar::default();
    for (grain, by) in [(None, vec![]), (Some(Grain::Week), vec![Dim::Owner])] {
        let mut queries = Vec::new();
        let mut alone = Vec::new();
        for metric in catalogue() {
            let query = Query {
                grain,
                by: by.clone(),
                compare: Some(Compare::PreviousPeriod),
                ..Query::over(&metric.name, day(2026, 1, 1), day(2026, 2, 1))
            };
            // A metric that cannot be split by owner is left out of the split round.
            if let Ok(result) = run(&store, &calendar, &query, "en") {
                queries.push(query);
                alone.push(result);
            }
        }
        assert!(queries.len() > 20, "{} metrics by {by:?}", queries.len());
        let together = run_together(&store, &calendar, &queries, "en", Noted::Yes).unwrap();
        assert_eq!(together.len(), alone.len());
        for (together, alone) in together.iter().zip(&alone) {
            assert_eq!(together, alone, "{} by {by:?}", alone.metric);
        }
        if by.is_empty() {
            let retained = together
                .iter()
                .find(|r| r.metric == "retained_customers")
                .unwrap();
            // The hand-worked value below.
            assert_eq!(retained.rows[0].value, Some(3.0));
        }
    }
}

#[test]
fn every_metric_matches_the_hand_worked_value() {
    let (_dir, store) = fixture();
    let expected: &[(&str, f64)] = &[
        // Leads in January: c1 and c2 (23:59:59 on the 31st is in); c3 at 02-01 00:00 is
        // out; c4 is deleted and c5 merged.
        ("prospects", 2.0),
        // c1 (c4 is deleted).
        ("new_customers", 1.0),
        ("new_customers_per_campaign", 1.0),
        // Customers before January: c6 (orders in January), c7 (subscription active),
        // c11 (order in January); c8's subscription was cancelled in December.
        ("retained_customers", 3.0),
        // Closed in January: d1 and d7 won, d2 lost (d6 is deleted): 2 / 3.
        ("close_rate", 2.0 / 3.0),
        // Terms ending in January: s1 renewed, s2 not.
        ("renewal_rate", 0.5),
        // Calls completed in January: a2, a3 and a5 (a1 is December's, a4 not done).
        ("sales_calls", 3.0),
        // Deals closed in January d1, d2, d7 have 2 + 1 + 0 completed calls (any time).
        ("calls_per_opportunity", 1.0),
        // Revenue lines in January: d1 1000, d7 300 (a renewal), o1 80, o2 150, o5 50;
        // o3 is deleted.
        ("revenue", 1580.0),
        ("new_revenue", 1280.0),
        // (1000 − 400) + (300 − 100) + (80 − 20) + (150 − 0: no cost) + (50 − 10).
        ("margin", 1050.0),
        // At 02-01 00:00: d4 (reopened in January, in Proposal) and d5 (Qualified).
        ("open_opportunities", 2.0),
        ("pipeline_value", 3700.0),
        // 3000 × 0.6 + 700 × 0.2.
        ("weighted_pipeline_value", 1940.0),
        // Visits that ended in January: 19, 10, 23, 45 and 30 23/24 days.
        (
            "stage_duration",
            (19.0 + 10.0 + 23.0 + 45.0 + 30.0 + 23.0 / 24.0) / 5.0,
        ),
        ("stage_duration_median", 23.0),
        // d1: 29 days; d7: 30 days 23 hours.
        ("sales_cycle_length", (29.0 + 30.0 + 23.0 / 24.0) / 2.0),
        (
            "sales_cycle_length_median",
            (29.0 + 30.0 + 23.0 / 24.0) / 2.0,
        ),
        ("proposals", 1.0),
        ("campaigns", 1.0),
        // e2; e3 is at the exclusive end.
        ("campaign_responses", 1.0),
        // d1 and o1 carry a campaign.
        ("campaign_purchases", 2.0),
        ("campaign_revenue", 1080.0),
        // (1080 − 400 for Winter mail, launched in January) / 400.
        ("campaign_roi", 1.7),
        // c9 (referred by c6, a customer since 2025); c10's referrer never bought.
        ("customer_referrals", 1.0),
        ("web_visits", 3.0),
        ("web_goal_completion_rate", 1.0 / 3.0),
        // (120 + 60 + 300) s / 3 visits / 60.
        ("avg_visit_duration", 480.0 / 3.0 / 60.0),
        // 2, 1 and 5 minutes.
        ("avg_visit_duration_median", 2.0),
        // Customers before 02-01: c1 1000, c6 2000 + 80 + 150, c7 200 + 300, c8 0, c11 100.
        ("customer_lifetime_value", 3830.0 / 5.0),
        // c1 600, c6 2000 + 60 + 150, c7 120 + 200, c8 0, c11 40 + 40.
        ("customer_lifetime_margin", 3210.0 / 5.0),
        // Returning (revenue before January and in it): c6, c7 and c11. c6 bought line B
        // for the first time; c7 (d7) and c11 only lines they had bought.
        ("cross_sell_ratio", 1.0 / 3.0),
        // c6 bought Plus (200) after Basic (100) in line A; c7 Plus again, at its price;
        // c11 nothing pricier.
        ("upsell_ratio", 1.0 / 3.0),
        // (2 joined − 1 left) / 2 active at 01-01.
        ("email_list_growth_rate", 0.5),
        // Resolved in January: t1, t2, t3.
        ("cases_handled", 3.0),
        // Only t1 (UTC): t2 crossed midnight, t3 took 36 hours.
        ("cases_closed_same_day", 1.0),
        ("cases_closed_same_day_rate", 1.0 / 3.0),
        // 8, 4 and 36 hours.
        ("avg_resolution_time", 16.0),
        ("avg_resolution_time_median", 8.0),
        ("complaint_resolution_time", 20.0),
        ("complaint_resolution_time_median", 20.0),
        // 3 calls queued in 31 days (k4 is at the exclusive end).
        ("service_calls_per_day", 3.0 / 31.0),
        ("customer_callbacks", 1.0),
        // Answered calls 600 s and 1200 s at 30/h: 5 + 10; tickets 1 h, ½ h, 2 h: 30 + 15 + 60.
        ("cost_per_interaction", 120.0 / 5.0),
        // Due in January: t1 breached, t2 met, t3 breached, t4 unresolved.
        ("sla_compliance", 0.25),
        ("abandoned_calls", 1.0),
        ("abandoned_calls_rate", 0.5),
        ("avg_handle_time", 15.0),
        ("avg_handle_time_median", 15.0),
        // Created in January: d2, d5, d7.
        ("deals_created", 3.0),
        ("deals_won", 2.0),
        ("deals_lost", 1.0),
        ("lost_revenue", 500.0),
        ("avg_deal_size", 650.0),
        ("avg_deal_size_median", 650.0),
        // Leads in January: c1 converted by 02-01, c2 not.
        ("lead_conversion_rate", 0.5),
        // c1: 15 days from lead to customer.
        ("time_to_convert", 15.0),
        ("time_to_convert_median", 15.0),
        // Ana and Ben logged in; active at 02-01: Ana, Ben, Cy (Dee inactive, Eve later).
        ("active_users_rate", 2.0 / 3.0),
        ("records_updated_per_user", 2.0 / 3.0),
        // a2, a3, a5, a6 over the two active reps.
        ("activities_logged_per_rep", 2.0),
        // a2, a3, a5, a6; a1 was in December, a4 is not done, a7 is at the exclusive end.
        ("activities_completed", 4.0),
        // Scores 10, 9, 8, 3: 50% promoters − 25% detractors.
        ("nps", 25.0),
        // Surveys 5 and 2, ticket t1 4.
        ("csat", 11.0 / 3.0),
    ];
    for (metric, want) in expected {
        assert_near(january(&store, metric), *want, metric);
    }
    let covered: Vec<&str> = expected.iter().map(|(m, _)| *m).collect();
    for metric in embudo_metrics::catalogue() {
        assert!(
            covered.contains(&metric.name.as_str()),
            "{} has no hand-worked value",
            metric.name
        );
    }
}

/// Returning customers' purchases, worked by hand for January 2026:
/// - 1: bought Basic and Plus (line A) together in November, Plus again in January:
///   returning, neither a new line nor pricier than Plus. 500 by the end of January.
/// - 2: a Cable (line B) in October; Basic and Plus at one instant in January: a new line,
///   and Plus is not pricier than what they had bought *before* it (nothing of line A;
///   Basic at the same instant does not count). 350.
/// - 3: Basic in December, Plus in January: pricier. 300.
/// - 4: a first purchase in January: not returning. 200.
/// - 5: a gift card (no line) in September and January: returning, neither. 60.
/// - 6: a customer since June without revenue lines: 0 in the lifetime value.
/// - 7: deleted; their purchase counts nowhere.
///
/// Returning: 1, 2, 3, 5. Cross-sell 1/4, upsell 1/4; lifetime value (500 + 350 + 300 +
/// 200 + 60 + 0) / 6 = 235; margin: the same less costs (40 Basic, 80 Plus, 10 Cable, 5 gift
/// card): (500−200) + (350−130) + (300−120) + (200−80) + (60−10) = 870, / 6 = 145.
#[test]
fn returning_customers_are_judged_by_what_they_bought_strictly_before() {
    let place = Place::new();
    let store = place.store("returning");
    store
        .execute_batch(
            "INSERT INTO products VALUES (1, 'Basic', 'A', 100, 40), (2, 'Plus', 'A', 200, 80),
                 (3, 'Cable', 'B', 50, 10), (4, 'Gift card', NULL, 30, 5);
             INSERT INTO contacts (id, customer_at, created_at, updated_at, deleted_at) VALUES
                 (1, '2025-11-01 10:00', '2025-11-01', '2025-11-01', NULL),
                 (2, '2025-10-01 10:00', '2025-10-01', '2025-10-01', NULL),
                 (3, '2025-12-01 10:00', '2025-12-01', '2025-12-01', NULL),
                 (4, '2026-01-05 10:00', '2026-01-05', '2026-01-05', NULL),
                 (5, '2025-09-01 10:00', '2025-09-01', '2025-09-01', NULL),
                 (6, '2025-06-01 10:00', '2025-06-01', '2025-06-01', NULL),
                 (7, '2025-01-01 10:00', '2025-01-01', '2025-01-01', '2025-12-01');
             INSERT INTO orders (id, contact_id, ordered_at, currency) VALUES
                 (1, 1, '2025-11-01 10:00', 'EUR'), (2, 1, '2026-01-10 10:00', 'EUR'),
                 (3, 2, '2025-10-01 10:00', 'EUR'), (4, 2, '2026-01-15 10:00', 'EUR'),
                 (5, 3, '2025-12-01 10:00', 'EUR'), (6, 3, '2026-01-20 10:00', 'EUR'),
                 (7, 4, '2026-01-05 10:00', 'EUR'),
                 (8, 5, '2025-09-01 10:00', 'EUR'), (9, 5, '2026-01-25 10:00', 'EUR'),
                 (10, 7, '2025-01-01 10:00', 'EUR'), (11, 7, '2026-01-12 10:00', 'EUR');
             INSERT INTO order_lines VALUES
                 (1, 1, 1, 1, 100, 40), (2, 1, 2, 1, 200, 80), (3, 2, 2, 1, 200, 80),
                 (4, 3, 3, 1, 50, 10), (5, 4, 1, 1, 100, 40), (6, 4, 2, 1, 200, 80),
                 (7, 5, 1, 1, 100, 40), (8, 6, 2, 1, 200, 80),
                 (9, 7, 2, 1, 200, 80),
                 (10, 8, 4, 1, 30, 5), (11, 9, 4, 1, 30, 5),
                 (12, 10, 1, 1, 100, 40), (13, 11, 3, 1, 50, 10);",
        )
        .unwrap();
    for (metric, want) in [
        ("cross_sell_ratio", 0.25),
        ("upsell_ratio", 0.25),
        ("customer_lifetime_value", 235.0),
        ("customer_lifetime_margin", 145.0),
    ] {
        assert_near(january(&store, metric), want, metric);
    }
}

/// New customers by the campaign of their first purchase, ties at its instant included. In
/// January: c1, whose won deal came from Winter mail; c20, whose won deal (no campaign) and
/// Autumn-ads order fell on the same instant, the deal first; c21, whose two orders of one
/// instant came from Autumn ads (order 21) and Winter mail (22), the lower id first; c22,
/// whose first order (Winter mail) was in December, is not new in January though a
/// January order came from Autumn ads.
#[test]
fn new_customers_go_to_the_campaign_of_their_first_purchase_the_deal_first_on_a_tie() {
    let (_dir, store) = fixture();
    store
        .execute_batch(
            "INSERT INTO contacts (id, customer_at, created_at, updated_at) VALUES
                 (20, '2026-01-22', '2026-01-01', '2026-01-22'),
                 (21, '2026-01-23', '2026-01-01', '2026-01-23'),
                 (22, '2025-12-10', '2025-12-01', '2026-01-24');
             INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, currency, owner_id, contact_id, product_id, campaign_id, created_at, closed_at, updated_at) VALUES
                 (20, 'd20', 1, 3, 'won', 100, 'USD', 1, 20, 1, NULL, '2026-01-02', '2026-01-22', '2026-01-22');
             INSERT INTO orders (id, contact_id, campaign_id, ordered_at, currency) VALUES
                 (20, 20, 2, '2026-01-22', 'USD'),
                 (22, 21, 1, '2026-01-23', 'USD'), (21, 21, 2, '2026-01-23', 'USD'),
                 (23, 22, 1, '2025-12-10', 'USD'), (24, 22, 2, '2026-01-24', 'USD');
             INSERT INTO order_lines VALUES (20, 20, 3, 1, 50, 10), (21, 21, 3, 1, 50, 10),
                 (22, 22, 3, 1, 50, 10), (23, 23, 3, 1, 50, 10), (24, 24, 3, 1, 50, 10);",
        )
        .unwrap();
    let query = Query::over(
        "new_customers_per_campaign",
        day(2026, 1, 1),
        day(2026, 2, 1),
    );
    let result = run(&store, &Calendar::default(), &query, "en").unwrap();
    let mut split: Vec<(Option<String>, Option<f64>)> = result
        .rows
        .into_iter()
        .map(|row| (row.dims[0].clone(), row.value))
        .collect();
    split.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        split,
        [
            (None, Some(1.0)),
            (Some("Autumn ads".to_owned()), Some(1.0)),
            (Some("Winter mail".to_owned()), Some(1.0)),
        ]
    );
}

#[test]
fn empty_periods_give_zero_counts_and_null_ratios() {
    let (_dir, store) = fixture();
    let (from, to) = (day(2024, 1, 1), day(2024, 2, 1));
    let calendar = Calendar::default();
    assert_eq!(
        value_in(&store, &calendar, "deals_won", from, to),
        Some(0.0)
    );
    assert_eq!(value_in(&store, &calendar, "revenue", from, to), Some(0.0));
    assert_eq!(value_in(&store, &calendar, "close_rate", from, to), None);
    assert_eq!(value_in(&store, &calendar, "avg_deal_size", from, to), None);
    assert_eq!(value_in(&store, &calendar, "nps", from, to), None);
}

/// A range that begins before anything a metric counts says where its records begin, one
/// that runs on after them says where they end; a range whose first and last periods hold
/// some says neither.
#[test]
fn a_range_outside_the_records_says_where_they_begin_and_end() {
    let (_dir, store) = fixture();
    let calendar = Calendar::default();
    let (first_close, last_close): (String, String) = {
        let day = |of: &str| -> String {
            store
                .value(
                    &format!(
                        "SELECT CAST(CAST({of}(closed_at) AS DATE) AS VARCHAR) FROM deals
                         WHERE deleted_at IS NULL AND merged_into_id IS NULL"
                    ),
                    &[],
                )
                .unwrap()
                .unwrap()
        };
        (day("min"), day("max"))
    };
    let notes = |from, to, lang| {
        let query = Query {
            grain: Some(Grain::Month),
            ..Query::over("deals_won", from, to)
        };
        let notes = run(&store, &calendar, &query, lang).unwrap().notes;
        let edges = ["holds nothing", "no tiene nada"];
        notes
            .into_iter()
            .filter(|n| edges.iter().any(|e| n.contains(e)))
            .collect::<Vec<_>>()
    };
    let before = format!(
        "The store holds nothing this figure counts before {first_close}: the periods before that day are empty for want of records"
    );
    let after = format!(
        "The store holds nothing this figure counts after {last_close}: the periods after that day are empty for want of records"
    );
    assert_eq!(notes(day(2024, 1, 1), day(2025, 1, 1), "en"), [before]);
    assert_eq!(notes(day(2030, 1, 1), day(2030, 3, 1), "en"), [after]);
    assert_eq!(
        notes(day(2024, 1, 1), day(2030, 1, 1), "es"),
        [
            format!(
                "El almacén no tiene nada de lo que cuenta esta cifra antes del {first_close}: los periodos anteriores están vacíos por falta de registros"
            ),
            format!(
                "El almacén no tiene nada de lo que cuenta esta cifra después del {last_close}: los periodos posteriores están vacíos por falta de registros"
            ),
        ]
    );
    // December 2025 and January 2026 both have closes.
    assert!(notes(day(2025, 12, 1), day(2026, 2, 1), "en").is_empty());
}

#[test]
fn open_opportunities_reads_history_not_the_current_state() {
    let (_dir, store) = fixture();
    // At 2026-01-01 00:00: d1 was qualified and d7 entered its first stage at that very
    // instant (entered_at ≤ to); d4, open today, was lost then.
    let calendar = Calendar::default();
    assert_eq!(
        value_in(
            &store,
            &calendar,
            "open_opportunities",
            day(2025, 12, 1),
            day(2026, 1, 1)
        ),
        Some(2.0)
    );
    // 1000 (d1) + 300 (d7).
    assert_eq!(
        value_in(
            &store,
            &calendar,
            "pipeline_value",
            day(2025, 12, 1),
            day(2026, 1, 1)
        ),
        Some(1300.0)
    );
}

/// Madrid's clocks go forward on 2026-03-29 (UTC+1 to UTC+2): days there are counted by
/// their own midnights on both sides of the change, not by UTC's.
#[test]
fn same_day_holds_across_a_clock_change() {
    let (_dir, store) = fixture();
    store
        .execute_batch(
            "INSERT INTO tickets (id, agent_id, type, priority, opened_at, resolved_at, sla_due_at) VALUES
              -- 00:30 to 23:30 on the 29th in Madrid; the 28th to the 29th in UTC.
              (100, 3, 'question', 'low', '2026-03-28 23:30', '2026-03-29 21:30', '2026-04-30'),
              -- 23:30 on the 30th to 00:30 on the 31st in Madrid; one UTC day.
              (101, 3, 'question', 'low', '2026-03-30 21:30', '2026-03-30 22:30', '2026-04-30'),
              -- 00:30 to 23:00 on the 31st in Madrid; the 30th to the 31st in UTC.
              (102, 3, 'question', 'low', '2026-03-30 22:30', '2026-03-31 21:00', '2026-04-30'),
              -- One day anywhere.
              (103, 3, 'question', 'low', '2026-04-10 10:00', '2026-04-10 11:00', '2026-04-30'),
              -- 00:30 to 23:00 on 3 April in Madrid; the 2nd to the 3rd in UTC.
              (104, 3, 'question', 'low', '2026-04-02 22:30', '2026-04-03 21:00', '2026-04-30');",
        )
        .unwrap();
    let madrid = Calendar::new(chrono_tz::Europe::Madrid, 1).unwrap();
    let (from, to) = (day(2026, 3, 1), day(2026, 5, 1));
    let same_day =
        |calendar: &Calendar| value_in(&store, calendar, "cases_closed_same_day", from, to);
    assert_eq!(same_day(&madrid), Some(4.0), "100, 102, 103 and 104");
    assert_eq!(same_day(&Calendar::default()), Some(2.0), "101 and 103");
    // The rate counts its same-day cases and all five in one scan; by month in Madrid,
    // March's are 100 and 102 of 100–102, April's both of 103 and 104.
    let rate =
        |calendar: &Calendar| value_in(&store, calendar, "cases_closed_same_day_rate", from, to);
    assert_eq!(rate(&madrid), Some(4.0 / 5.0));
    assert_eq!(rate(&Calendar::default()), Some(2.0 / 5.0));
    let by_month = Query {
        grain: Some(Grain::Month),
        ..Query::over("cases_closed_same_day_rate", from, to)
    };
    let months: Vec<Option<f64>> = run(&store, &madrid, &by_month, "en")
        .unwrap()
        .rows
        .iter()
        .map(|row| row.value)
        .collect();
    assert_eq!(months, [Some(2.0 / 3.0), Some(1.0)]);
}

#[test]
fn same_day_follows_the_reporting_time_zone() {
    let (_dir, store) = fixture();
    // In New York (UTC−5) t2 ran from 17:00 to 21:00 on 01-06: the same local day.
    let new_york = Calendar::new(chrono_tz::America::New_York, 1).unwrap();
    let closed = value_in(
        &store,
        &new_york,
        "cases_closed_same_day",
        day(2026, 1, 1),
        day(2026, 2, 1),
    );
    assert_eq!(closed, Some(2.0));
}

#[test]
fn a_comparison_carries_previous_change_and_change_pct() {
    let (_dir, store) = fixture();
    let query = Query {
        metric: "web_visits".into(),
        from: day(2026, 1, 1),
        to: day(2026, 2, 1),
        grain: None,
        by: Vec::new(),
        filters: Vec::new(),
        compare: Some(embudo_metrics::Compare::PreviousPeriod),
    };
    let row = run(&store, &Calendar::default(), &query, "es")
        .unwrap()
        .rows[0]
        .clone();
    // December had one visit (v4, one second before midnight).
    assert_eq!(
        (row.value, row.previous, row.change, row.change_pct),
        (Some(3.0), Some(1.0), Some(2.0), Some(2.0))
    );
}

#[test]
fn bad_queries_name_what_is_allowed() {
    let (_dir, store) = fixture();
    let mut query = Query {
        metric: "web_visits".into(),
        from: day(2026, 1, 1),
        to: day(2026, 2, 1),
        grain: None,
        by: vec![Dim::Owner],
        filters: Vec::new(),
        compare: None,
    };
    let err = run(&store, &Calendar::default(), &query, "en")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot be split or filtered by owner") && err.contains("lead_source"),
        "{err}"
    );
    query.by.clear();
    query.metric = "revenu".into();
    let err = run(&store, &Calendar::default(), &query, "en")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown metric 'revenu'"), "{err}");
    query.metric = "revenue".into();
    query.to = day(2025, 1, 1);
    let err = run(&store, &Calendar::default(), &query, "en")
        .unwrap_err()
        .to_string();
    assert!(err.contains("must end after it starts"), "{err}");
}

#[test]
fn user_values_are_bound_not_spliced() {
    let (_dir, store) = fixture();
    let query = Query {
        metric: "prospects".into(),
        from: day(2026, 1, 1),
        to: day(2026, 2, 1),
        grain: None,
        by: Vec::new(),
        filters: vec![(Dim::LeadSource, "email' OR '1'='1".into())],
        compare: None,
    };
    let result = run(&store, &Calendar::default(), &query, "en").unwrap();
    assert_eq!(result.rows[0].value, Some(0.0));
}

/// Margin's note counts January's one revenue line without a cost (o2's 150) once, however
/// the margin is asked: as one figure, by week (read beside the margin, in its scan), by
/// owner, beside December (read apart); and 20 January, whose one line (d1's) has a cost,
/// has none.
#[test]
fn margins_note_counts_the_lines_without_a_cost_once_however_it_is_split() {
    let (_dir, store) = fixture();
    let january = Query::over("margin", day(2026, 1, 1), day(2026, 2, 1));
    let asked = [
        january.clone(),
        Query {
            grain: Some(embudo_metrics::Grain::Week),
            ..january.clone()
        },
        Query {
            by: vec![Dim::Owner],
            ..january.clone()
        },
        Query {
            compare: Some(embudo_metrics::Compare::PreviousPeriod),
            ..january.clone()
        },
    ];
    let uncosted = "1 revenue line has no cost and counts its cost as 0 (cost_missing)";
    for query in &asked {
        let notes = run(&store, &Calendar::default(), query, "en")
            .unwrap()
            .notes;
        // January's weeks begin on Monday 29 December and end with Saturday 31 January.
        let expected: &[&str] = match query.grain {
            Some(_) => &[
                uncosted,
                "The first period (2025-12-29) counts only 2026-01-01 to 2026-01-04, not the whole week",
                "The last period (2026-01-26) counts only 2026-01-26 to 2026-01-31, not the whole week",
            ],
            None => &[uncosted],
        };
        assert_eq!(notes, expected, "{query:?}");
    }
    let spanish = run(&store, &Calendar::default(), &asked[0], "es")
        .unwrap()
        .notes;
    assert_eq!(
        spanish,
        ["1 línea de ingresos no tiene coste y cuenta su coste como 0 (cost_missing)"]
    );
    let costed = Query::over("margin", day(2026, 1, 20), day(2026, 1, 21));
    let notes = run(&store, &Calendar::default(), &costed, "en")
        .unwrap()
        .notes;
    assert!(notes.is_empty(), "{notes:?}");
}

/// Two reps of one name are one owner in a split (the name is all a split shows): the
/// counts grouped by each rep's id add up under the name.
#[test]
fn two_reps_of_one_name_are_one_row_of_a_split() {
    let (_dir, store) = fixture();
    // A second Ana (6), who lost two deals in January.
    store
        .execute_batch(
            "INSERT INTO users (id, name, role, team_id, active, hourly_cost, created_at) VALUES
              (6, 'Ana', 'rep', 1, true, 40, '2025-01-01');
             INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, cost, currency, owner_id, contact_id, product_id, campaign_id, source, deal_type, created_at, closed_at, lost_reason, updated_at, deleted_at) VALUES
              (8, 'd8', 1, 4, 'lost', 100, NULL, 'USD', 6, 2, 1, NULL, 'organic', 'new_business', '2026-01-03', '2026-01-12', 'Price', '2026-01-12', NULL),
              (9, 'd9', 1, 4, 'lost', 100, NULL, 'USD', 6, 2, 1, NULL, 'organic', 'new_business', '2026-01-03', '2026-01-14', 'Price', '2026-01-14', NULL);",
        )
        .unwrap();
    let by_owner = |metric: &str| {
        let query = Query {
            by: vec![Dim::Owner],
            ..Query::over(metric, day(2026, 1, 1), day(2026, 2, 1))
        };
        run(&store, &Calendar::default(), &query, "en")
            .unwrap()
            .rows
            .into_iter()
            .map(|row| (row.dims[0].clone().unwrap(), row.value))
            .collect::<Vec<_>>()
    };
    // Ana: d1 won, d8 and d9 lost (d6 is deleted); Ben: d2 lost, d7 won.
    assert_eq!(
        by_owner("close_rate"),
        [("Ana".into(), Some(1.0 / 3.0)), ("Ben".into(), Some(0.5))]
    );
    assert_eq!(
        by_owner("deals_lost"),
        [("Ana".into(), Some(2.0)), ("Ben".into(), Some(1.0))]
    );
}

#[test]
fn an_empty_split_still_has_one_row_per_period() {
    let (_dir, store) = fixture();
    let query = Query {
        metric: "prospects".into(),
        from: day(2024, 1, 1),
        to: day(2024, 3, 1),
        grain: Some(embudo_metrics::Grain::Month),
        by: vec![Dim::LeadSource],
        filters: Vec::new(),
        compare: None,
    };
    let rows = run(&store, &Calendar::default(), &query, "en")
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.dims == vec![None] && r.value == Some(0.0))
    );
}

/// January's one abandoned call (call 2) reached no agent, so split by owner it falls in
/// the blank row, and the answer says why; the handled calls all have theirs (agent 3).
#[test]
fn a_split_whose_records_all_lack_the_value_says_so() {
    let (_dir, store) = fixture();
    let by_owner = |metric: &str, lang| {
        let query = Query {
            by: vec![Dim::Owner],
            ..Query::over(metric, day(2026, 1, 1), day(2026, 2, 1))
        };
        run(&store, &Calendar::default(), &query, lang).unwrap()
    };
    let abandoned = by_owner("abandoned_calls", "en");
    let rows: Vec<_> = abandoned.rows.iter().map(|r| (&r.dims, r.value)).collect();
    assert_eq!(rows, [(&vec![None], Some(1.0))]);
    assert_eq!(
        abandoned.notes,
        ["No record this figure counts has a value for owner: everything falls in the blank row"]
    );
    assert_eq!(
        by_owner("abandoned_calls", "es").notes,
        [
            "Ningún registro de los que cuenta esta cifra tiene valor en owner: todo cae en la fila en blanco"
        ]
    );
    let handled = by_owner("avg_handle_time", "en");
    assert!(handled.notes.is_empty(), "{:?}", handled.notes);
}

/// A row behind a figure: its table, id and value.
type Row = (String, i64, Option<f64>);

/// The rows behind a January figure, newest first, with their count and sum.
fn drilled(
    metric: &str,
    measure: usize,
    filters: Vec<(Dim, String)>,
) -> (usize, Option<f64>, Vec<Row>) {
    let (_dir, store) = fixture();
    let query = Query {
        metric: metric.into(),
        from: day(2026, 1, 1),
        to: day(2026, 2, 1),
        grain: None,
        by: Vec::new(),
        filters,
        compare: None,
    };
    let found =
        embudo_metrics::plan::drill(&store, &Calendar::default(), &query, measure, 100).unwrap();
    let rows = found
        .rows
        .into_iter()
        .map(|r| (r.table, r.id, r.value))
        .collect();
    (found.total, found.sum, rows)
}

#[test]
fn the_rows_behind_a_figure_are_the_ones_it_counts() {
    let row = |table: &str, id: i64, value: Option<f64>| -> Row { (table.to_owned(), id, value) };
    // Won in January: d7 (the 31st, 23:00) then d1 (the 20th); d6 is deleted.
    assert_eq!(
        drilled("deals_won", 0, Vec::new()),
        (2, None, vec![row("deals", 7, None), row("deals", 1, None)])
    );
    // Close rate: won d7, d1 over closed d7, d2 (lost on the 25th), d1.
    assert_eq!(drilled("close_rate", 1, Vec::new()).2.len(), 3);
    // Revenue 1,580: d7 300 (the 31st), d1 1000 (the 20th), o5 50 (the 15th), o2 150
    // (the 9th), o1 80 (the 8th); o3 is deleted.
    let (total, sum, rows) = drilled("revenue", 0, Vec::new());
    assert_eq!((total, sum), (5, Some(1580.0)));
    assert_eq!(
        rows,
        vec![
            row("deals", 7, Some(300.0)),
            row("deals", 1, Some(1000.0)),
            row("orders", 5, Some(50.0)),
            row("orders", 2, Some(150.0)),
            row("orders", 1, Some(80.0)),
        ]
    );
    // Open at 02-01 00:00, by history: d5 and d4.
    let (total, _, rows) = drilled("open_opportunities", 0, Vec::new());
    assert_eq!(total, 2);
    let mut ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    ids.sort_unstable();
    assert_eq!(ids, [4, 5]);
    // A filter narrows the rows as it narrows the figure: d2 is paid_ads, lost.
    assert_eq!(
        drilled("deals_lost", 0, vec![(Dim::LeadSource, "PAID_ADS".into())]).2,
        vec![row("deals", 2, None)]
    );
    // Rows without pages of their own are listed too: January's campaign.
    assert_eq!(
        drilled("campaigns", 0, Vec::new()).2,
        vec![row("campaigns", 1, None)]
    );
    // Logins counted by user: u1 twice (the 5th, the 6th), u2 once (the 6th); each user
    // is listed once, at their latest login, the later id first on a tie.
    assert_eq!(
        drilled("active_users_rate", 0, Vec::new()),
        (2, None, vec![row("users", 2, None), row("users", 1, None)])
    );
}
