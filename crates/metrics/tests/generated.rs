//! Every metric of the catalogue on generated medium data, against plain SQL written here
//! from the spec's wording (not from the catalogue's SQL), run by DuckDB; the planner runs
//! on PostgreSQL instead when the run is for it (a copy of the same business).

use chrono::NaiveDate;
use embudo_metrics::{Bound, Calendar, Dim, Grain, Query, catalogue, run};
use embudo_store::Store;
use embudo_synth::{Params, Scale};
use embudo_testkit::Place;
use std::collections::BTreeMap;

/// The range every check uses: the year before `now`.
const F: &str = "TIMESTAMP '2025-07-01 00:00:00'";
const T: &str = "TIMESTAMP '2026-07-01 00:00:00'";

fn in_range(column: &str) -> String {
    format!("{column} >= {F} AND {column} < {T}")
}

const LIVE_C: &str = "c.deleted_at IS NULL AND c.merged_into_id IS NULL";
const LIVE_D: &str = "d.deleted_at IS NULL AND d.merged_into_id IS NULL";

/// metric → SQL giving its value over [F, T).
fn expected_sql() -> BTreeMap<&'static str, String> {
    let r = in_range;
    let days = |a: &str, b: &str| format!("date_diff('microsecond', {a}, {b}) / 86400e6");
    let hours = |a: &str, b: &str| format!("date_diff('microsecond', {a}, {b}) / 3600e6");
    let returning = format!(
        "SELECT c.id FROM contacts c WHERE {LIVE_C} AND c.customer_at < {F}
           AND c.id IN (SELECT contact_id FROM revenue_lines WHERE {})
           AND c.id IN (SELECT contact_id FROM revenue_lines WHERE occurred_at < {F})",
        r("occurred_at")
    );
    let lines = "SELECT rl.contact_id, rl.occurred_at, p.product_line, p.list_price FROM revenue_lines rl JOIN products p ON p.id = rl.product_id";
    let open_at_t = format!(
        "FROM deal_stage_history h JOIN stages s ON s.id = h.stage_id JOIN deals d ON d.id = h.deal_id
         WHERE s.kind = 'open' AND h.entered_at <= {T} AND (h.exited_at IS NULL OR h.exited_at > {T}) AND {LIVE_D}"
    );
    let mut m = BTreeMap::new();
    m.insert(
        "prospects",
        format!(
            "SELECT count(*) FROM contacts c WHERE {} AND {LIVE_C}",
            r("lead_at")
        ),
    );
    m.insert(
        "new_customers",
        format!(
            "SELECT count(*) FROM contacts c WHERE {} AND {LIVE_C}",
            r("customer_at")
        ),
    );
    m.insert("new_customers_per_campaign", m["new_customers"].clone());
    m.insert("retained_customers", format!(
        "SELECT count(*) FROM contacts c WHERE {LIVE_C} AND customer_at < {F} AND (
           c.id IN (SELECT contact_id FROM revenue_lines WHERE {})
           OR c.id IN (SELECT contact_id FROM subscriptions WHERE started_at < {T} AND coalesce(cancelled_at, ends_at) > {F}))",
        r("occurred_at")));
    m.insert("close_rate", format!(
        "SELECT count(*) FILTER (WHERE status = 'won') / count(*) FROM deals d WHERE {} AND status IN ('won', 'lost') AND {LIVE_D}",
        r("closed_at")));
    m.insert("renewal_rate", format!("SELECT avg(CASE WHEN renewed_at IS NOT NULL THEN 1.0 ELSE 0 END) FROM subscriptions WHERE {}", r("ends_at")));
    m.insert(
        "sales_calls",
        format!(
            "SELECT count(*) FROM activities WHERE type = 'call' AND {}",
            r("completed_at")
        ),
    );
    m.insert(
        "activities_completed",
        format!(
            "SELECT count(*) FROM activities WHERE {}",
            r("completed_at")
        ),
    );
    m.insert("calls_per_opportunity", format!(
        "SELECT (SELECT count(*) FROM activities a JOIN deals d ON d.id = a.deal_id WHERE a.type = 'call' AND a.completed_at IS NOT NULL AND {} AND {LIVE_D})
              / (SELECT count(*) FROM deals d WHERE {} AND {LIVE_D})",
        r("d.closed_at"), r("d.closed_at")));
    m.insert("new_revenue", format!("SELECT sum(amount) FROM revenue_lines WHERE {} AND coalesce(deal_type, '') <> 'renewal'", r("occurred_at")));
    m.insert("open_opportunities", format!("SELECT count(*) {open_at_t}"));
    m.insert(
        "pipeline_value",
        format!("SELECT sum(d.amount) {open_at_t}"),
    );
    m.insert(
        "weighted_pipeline_value",
        format!("SELECT sum(d.amount * s.probability) {open_at_t}"),
    );
    let stage_days = days("h.entered_at", "h.exited_at");
    let stage_from = format!(
        "FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id WHERE {} AND {LIVE_D}",
        r("h.exited_at")
    );
    m.insert(
        "stage_duration",
        format!("SELECT avg({stage_days}) {stage_from}"),
    );
    m.insert(
        "stage_duration_median",
        format!("SELECT median({stage_days}) {stage_from}"),
    );
    let cycle = days("created_at", "closed_at");
    let won = format!(
        "FROM deals d WHERE status = 'won' AND {} AND {LIVE_D}",
        r("closed_at")
    );
    m.insert("sales_cycle_length", format!("SELECT avg({cycle}) {won}"));
    m.insert(
        "sales_cycle_length_median",
        format!("SELECT median({cycle}) {won}"),
    );
    m.insert("avg_deal_size", format!("SELECT avg(amount) {won}"));
    m.insert(
        "avg_deal_size_median",
        format!("SELECT median(amount) {won}"),
    );
    m.insert("deals_won", format!("SELECT count(*) {won}"));
    m.insert(
        "deals_lost",
        format!(
            "SELECT count(*) FROM deals d WHERE status = 'lost' AND {} AND {LIVE_D}",
            r("closed_at")
        ),
    );
    m.insert(
        "lost_revenue",
        format!(
            "SELECT sum(amount) FROM deals d WHERE status = 'lost' AND {} AND {LIVE_D}",
            r("closed_at")
        ),
    );
    m.insert(
        "deals_created",
        format!(
            "SELECT count(*) FROM deals d WHERE {} AND {LIVE_D}",
            r("created_at")
        ),
    );
    m.insert(
        "proposals",
        format!(
            "SELECT count(*) FROM activities WHERE type = 'proposal' AND {}",
            r("completed_at")
        ),
    );
    m.insert(
        "campaigns",
        format!("SELECT count(*) FROM campaigns WHERE {}", r("launched_at")),
    );
    m.insert(
        "campaign_responses",
        format!(
            "SELECT count(*) FROM campaign_events WHERE event = 'responded' AND {}",
            r("occurred_at")
        ),
    );
    m.insert("campaign_purchases", format!(
        "SELECT count(DISTINCT deal_id) + count(DISTINCT order_id) FROM revenue_lines WHERE campaign_id IS NOT NULL AND {}", r("occurred_at")));
    m.insert(
        "campaign_revenue",
        format!(
            "SELECT sum(amount) FROM revenue_lines WHERE campaign_id IS NOT NULL AND {}",
            r("occurred_at")
        ),
    );
    m.insert("campaign_roi", format!(
        "SELECT (rev - cost) / cost FROM (SELECT (SELECT sum(amount) FROM revenue_lines WHERE campaign_id IS NOT NULL AND {}) AS rev,
                                                (SELECT sum(cost) FROM campaigns WHERE {}) AS cost)",
        r("occurred_at"), r("launched_at")));
    m.insert("customer_referrals", format!(
        "SELECT count(*) FROM contacts c JOIN contacts referrer ON referrer.id = c.referred_by_contact_id
         WHERE {} AND referrer.customer_at <= c.created_at AND {LIVE_C}", r("c.created_at")));
    m.insert(
        "web_visits",
        format!("SELECT count(*) FROM web_visits WHERE {}", r("started_at")),
    );
    m.insert(
        "web_goal_completion_rate",
        format!(
            "SELECT avg(CASE WHEN goal_completed THEN 1.0 ELSE 0 END) FROM web_visits WHERE {}",
            r("started_at")
        ),
    );
    m.insert(
        "avg_visit_duration",
        format!(
            "SELECT avg(duration_seconds) / 60 FROM web_visits WHERE {}",
            r("started_at")
        ),
    );
    m.insert(
        "avg_visit_duration_median",
        format!(
            "SELECT median(duration_seconds / 60.0) FROM web_visits WHERE {}",
            r("started_at")
        ),
    );
    let clv = |value: &str| {
        format!(
        "SELECT avg(total) FROM (SELECT c.id, coalesce(sum({value}) FILTER (WHERE rl.occurred_at < {T}), 0) AS total
         FROM contacts c LEFT JOIN revenue_lines rl ON rl.contact_id = c.id WHERE c.customer_at < {T} AND {LIVE_C} GROUP BY c.id)")
    };
    m.insert("customer_lifetime_value", clv("rl.amount"));
    m.insert(
        "customer_lifetime_margin",
        clv("rl.amount - coalesce(rl.cost, 0)"),
    );
    m.insert("cross_sell_ratio", format!(
        "WITH ret AS ({returning}), lines AS ({lines})
         SELECT (SELECT count(*) FROM ret WHERE EXISTS (SELECT 1 FROM lines l WHERE l.contact_id = ret.id AND {}
                   AND l.product_line NOT IN (SELECT e.product_line FROM lines e WHERE e.contact_id = ret.id AND e.occurred_at < l.occurred_at)))
              / (SELECT count(*) FROM ret)", r("l.occurred_at")));
    m.insert("upsell_ratio", format!(
        "WITH ret AS ({returning}), lines AS ({lines})
         SELECT (SELECT count(*) FROM ret WHERE EXISTS (SELECT 1 FROM lines l WHERE l.contact_id = ret.id AND {}
                   AND l.list_price > (SELECT max(e.list_price) FROM lines e WHERE e.contact_id = ret.id
                                        AND e.product_line = l.product_line AND e.occurred_at < l.occurred_at)))
              / (SELECT count(*) FROM ret)", r("l.occurred_at")));
    m.insert("email_list_growth_rate", format!(
        "SELECT ((SELECT count(*) FROM list_subscriptions WHERE {}) - (SELECT count(*) FROM list_subscriptions WHERE {}))
              / (SELECT count(*) FROM list_subscriptions WHERE subscribed_at <= {F} AND (unsubscribed_at IS NULL OR unsubscribed_at > {F}))",
        r("subscribed_at"), r("unsubscribed_at")));
    m.insert(
        "cases_handled",
        format!("SELECT count(*) FROM tickets WHERE {}", r("resolved_at")),
    );
    m.insert("cases_closed_same_day", format!(
        "SELECT count(*) FROM tickets WHERE {} AND CAST(opened_at AS DATE) = CAST(resolved_at AS DATE)", r("resolved_at")));
    m.insert("cases_closed_same_day_rate", format!(
        "SELECT avg(CASE WHEN CAST(opened_at AS DATE) = CAST(resolved_at AS DATE) THEN 1.0 ELSE 0 END) FROM tickets WHERE {}", r("resolved_at")));
    let resolution = hours("opened_at", "resolved_at");
    m.insert(
        "avg_resolution_time",
        format!(
            "SELECT avg({resolution}) FROM tickets WHERE {}",
            r("resolved_at")
        ),
    );
    m.insert(
        "avg_resolution_time_median",
        format!(
            "SELECT median({resolution}) FROM tickets WHERE {}",
            r("resolved_at")
        ),
    );
    m.insert(
        "complaint_resolution_time",
        format!(
            "SELECT avg({resolution}) FROM tickets WHERE type = 'complaint' AND {}",
            r("resolved_at")
        ),
    );
    m.insert(
        "complaint_resolution_time_median",
        format!(
            "SELECT median({resolution}) FROM tickets WHERE type = 'complaint' AND {}",
            r("resolved_at")
        ),
    );
    m.insert(
        "service_calls_per_day",
        format!(
            "SELECT count(*) / 365.0 FROM service_calls WHERE {}",
            r("queued_at")
        ),
    );
    m.insert(
        "customer_callbacks",
        format!(
            "SELECT count(*) FROM service_calls WHERE is_callback AND {}",
            r("queued_at")
        ),
    );
    m.insert("cost_per_interaction", format!(
        "SELECT sum(cost) / count(*) FROM (
           SELECT sc.handle_seconds / 3600.0 * u.hourly_cost AS cost FROM service_calls sc LEFT JOIN users u ON u.id = sc.agent_id
           WHERE sc.answered_at IS NOT NULL AND {}
           UNION ALL
           SELECT t.work_seconds / 3600.0 * u.hourly_cost FROM tickets t LEFT JOIN users u ON u.id = t.agent_id WHERE {})",
        r("sc.queued_at"), r("t.resolved_at")));
    m.insert("sla_compliance", format!(
        "SELECT avg(CASE WHEN resolved_at IS NOT NULL AND resolved_at <= sla_due_at THEN 1.0 ELSE 0 END) FROM tickets WHERE {}", r("sla_due_at")));
    m.insert("abandoned_calls", format!("SELECT count(*) FROM service_calls WHERE direction = 'inbound' AND answered_at IS NULL AND {}", r("queued_at")));
    m.insert("abandoned_calls_rate", format!(
        "SELECT avg(CASE WHEN answered_at IS NULL THEN 1.0 ELSE 0 END) FROM service_calls WHERE direction = 'inbound' AND {}", r("queued_at")));
    m.insert("avg_handle_time", format!("SELECT avg(handle_seconds) / 60 FROM service_calls WHERE answered_at IS NOT NULL AND {}", r("queued_at")));
    m.insert("avg_handle_time_median", format!("SELECT median(handle_seconds / 60.0) FROM service_calls WHERE answered_at IS NOT NULL AND {}", r("queued_at")));
    m.insert(
        "revenue",
        format!(
            "SELECT sum(amount) FROM revenue_lines WHERE {}",
            r("occurred_at")
        ),
    );
    m.insert(
        "margin",
        format!(
            "SELECT sum(amount - coalesce(cost, 0)) FROM revenue_lines WHERE {}",
            r("occurred_at")
        ),
    );
    m.insert("lead_conversion_rate", format!(
        "SELECT avg(CASE WHEN customer_at IS NOT NULL AND customer_at <= {T} THEN 1.0 ELSE 0 END) FROM contacts c WHERE {} AND {LIVE_C}", r("lead_at")));
    let convert = days("lead_at", "customer_at");
    m.insert(
        "time_to_convert",
        format!(
            "SELECT avg({convert}) FROM contacts c WHERE {} AND lead_at IS NOT NULL AND {LIVE_C}",
            r("customer_at")
        ),
    );
    m.insert("time_to_convert_median", format!("SELECT median({convert}) FROM contacts c WHERE {} AND lead_at IS NOT NULL AND {LIVE_C}", r("customer_at")));
    let active_users = format!("(SELECT count(*) FROM users WHERE active AND created_at < {T})");
    m.insert("active_users_rate", format!("SELECT count(DISTINCT user_id) / {active_users} FROM user_events WHERE event = 'login' AND {}", r("occurred_at")));
    m.insert("records_updated_per_user", format!(
        "SELECT count(*) / {active_users} FROM user_events WHERE event IN ('record_created', 'record_updated') AND {}", r("occurred_at")));
    m.insert("activities_logged_per_rep", format!(
        "SELECT count(*) / (SELECT count(*) FROM users WHERE active AND role = 'rep' AND created_at < {T}) FROM activities WHERE {}", r("completed_at")));
    m.insert("nps", format!(
        "SELECT 100 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / count(*) FROM surveys WHERE kind = 'nps' AND {}",
        r("responded_at")));
    m.insert("csat", format!(
        "SELECT avg(score) FROM (SELECT score FROM surveys WHERE kind = 'csat' AND {} UNION ALL SELECT csat FROM tickets WHERE csat IS NOT NULL AND {})",
        r("responded_at"), r("resolved_at")));
    m
}

/// The medium business: a DuckDB file the plain SQL (DuckDB's) reads, and the store the
/// planner runs on — the same file, or a copy of it in PostgreSQL when the run is for it
/// (`EMBUDO_TEST_ENGINE=postgres`), so the figures there meet the same expectations.
fn medium_stores() -> (Place, Store, Store) {
    let place = Place::new();
    let file = place.file("medium");
    let mut store = Store::open(&file).unwrap();
    let params = Params {
        scale: Scale::Medium,
        seed: 17,
        now: NaiveDate::from_ymd_opt(2026, 6, 30)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap(),
        defect_rate: 0.05,
        signal: true,
    };
    embudo_synth::fill(&mut store, &params).unwrap();
    if !embudo_testkit::on_postgres() {
        let tested = store.try_clone().unwrap();
        return (place, store, tested);
    }
    // The copy reads the file, closed.
    drop(store);
    let tested = place.copy_in(&file, "medium");
    (place, Store::open(&file).unwrap(), tested)
}

fn year(metric: &str) -> Query {
    Query {
        metric: metric.to_owned(),
        from: Bound::Day(NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()),
        to: Bound::Day(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()),
        grain: None,
        by: Vec::new(),
        filters: Vec::new(),
        compare: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn every_metric_equals_plain_sql_from_the_spec() {
    let (_place, plain, store) = medium_stores();
    let expected = expected_sql();
    let calendar = Calendar::default();
    let mut checked = 0;
    for metric in catalogue() {
        let sql = expected
            .get(metric.name.as_str())
            .unwrap_or_else(|| panic!("no independent SQL for {}", metric.name));
        let want: Option<f64> = plain
            .duckdb("a test")
            .unwrap()
            .query_row(sql, [], |row| row.get(0))
            .unwrap();
        let result = run(&store, &calendar, &year(&metric.name), "en").unwrap();
        // A metric with a default split (new customers per campaign) sums to the total.
        let got: f64 = result.rows.iter().filter_map(|r| r.value).sum();
        let want = want.unwrap_or(0.0);
        assert!(
            close(got, want),
            "{}: planner {got}, plain SQL {want}",
            metric.name
        );
        assert!(
            want != 0.0,
            "{} is zero on generated data: nothing to measure",
            metric.name
        );
        checked += 1;
    }
    assert!(checked >= 35 + 16, "only {checked} metrics");
}

#[test]
fn grains_and_dimensions_split_the_same_rows() {
    let (_place, plain, store) = medium_stores();
    let calendar = Calendar::default();
    let mut query = year("prospects");
    query.grain = Some(Grain::Quarter);
    query.by = vec![Dim::LeadSource];
    let result = run(&store, &calendar, &query, "en").unwrap();
    let table = plain
        .query_with(
            &format!(
                "SELECT CAST(date_trunc('quarter', lead_at) AS VARCHAR), lead_source, count(*) FROM contacts
                 WHERE lead_at >= {F} AND lead_at < {T} AND deleted_at IS NULL AND merged_into_id IS NULL GROUP BY ALL"
            ),
            &[],
        )
        .unwrap();
    let want: BTreeMap<(String, Option<String>), f64> = table
        .rows
        .iter()
        .map(|r| {
            let quarter = r[0].as_str().unwrap()[..10].to_owned();
            (
                (quarter, r[1].as_str().map(str::to_owned)),
                r[2].as_f64().unwrap(),
            )
        })
        .collect();
    let sources: std::collections::BTreeSet<_> = want.keys().map(|k| k.1.clone()).collect();
    // A full spine: every quarter for every source, zero where there were no prospects.
    assert_eq!(result.rows.len(), 4 * sources.len());
    for row in &result.rows {
        let key = (row.period.unwrap().to_string(), row.dims[0].clone());
        assert_eq!(
            row.value,
            Some(want.get(&key).copied().unwrap_or(0.0)),
            "{key:?}"
        );
    }

    // A filter keeps the rows of one value only.
    let mut email = year("prospects");
    email.filters = vec![(Dim::LeadSource, "email".into())];
    let filtered = run(&store, &calendar, &email, "en").unwrap();
    let email_total: f64 = want
        .iter()
        .filter(|(k, _)| k.1.as_deref() == Some("email"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(filtered.rows[0].value, Some(email_total));
}

#[test]
fn point_in_time_metrics_hold_at_every_period_end() {
    let (_place, plain, store) = medium_stores();
    let calendar = Calendar::default();
    // Each month's end, the deals open then by owner: count, amount, weighted amount.
    let table = plain
        .query_with(
            &format!(
                "WITH ends AS (SELECT unnest(generate_series(TIMESTAMP '2025-08-01', {T}, INTERVAL 1 MONTH)) AS t)
                 SELECT CAST(CAST(e.t - INTERVAL 1 MONTH AS DATE) AS VARCHAR), u.name,
                        count(*), sum(d.amount), sum(d.amount * s.probability)
                   FROM ends e
                   JOIN deal_stage_history h ON h.entered_at <= e.t AND (h.exited_at IS NULL OR h.exited_at > e.t)
                   JOIN deals d ON d.id = h.deal_id JOIN stages s ON s.id = h.stage_id
                   LEFT JOIN users u ON u.id = d.owner_id
                  WHERE {LIVE_D} AND s.kind = 'open'
                  GROUP BY ALL"
            ),
            &[],
        )
        .unwrap();
    let mut checked = 0;
    for (metric, column) in [
        ("open_opportunities", 2),
        ("pipeline_value", 3),
        ("weighted_pipeline_value", 4),
    ] {
        let want: BTreeMap<(String, Option<String>), f64> = table
            .rows
            .iter()
            .map(|r| {
                let month = r[0].as_str().unwrap().to_owned();
                let owner = r[1].as_str().map(str::to_owned);
                ((month, owner), r[column].as_f64().unwrap_or(0.0))
            })
            .collect();
        let mut query = year(metric);
        query.grain = Some(Grain::Month);
        query.by = vec![Dim::Owner];
        let result = run(&store, &calendar, &query, "en").unwrap();
        let months: std::collections::BTreeSet<_> = result.rows.iter().map(|r| r.period).collect();
        assert_eq!(months.len(), 12, "{metric}: a year of months");
        for row in &result.rows {
            let key = (row.period.unwrap().to_string(), row.dims[0].clone());
            let expected = want.get(&key).copied().unwrap_or(0.0);
            let value = row.value.unwrap_or(f64::NAN);
            assert!(
                close(value, expected),
                "{metric} {key:?}: {value} ≠ {expected}"
            );
            checked += usize::from(expected > 0.0);
        }
    }
    assert!(checked > 100, "only {checked} figures above zero");

    // What had happened by each month's end: customers then, and their revenue until then.
    let table = plain
        .query_with(
            &format!(
                "WITH ends AS (SELECT unnest(generate_series(TIMESTAMP '2025-08-01', {T}, INTERVAL 1 MONTH)) AS t),
                      customers AS (
                          SELECT e.t, c.lead_source, count(*) AS n
                            FROM ends e JOIN contacts c ON c.customer_at < e.t
                           WHERE {LIVE_C} GROUP BY ALL),
                      revenue AS (
                          SELECT e.t, c.lead_source, sum(r.amount) AS amount
                            FROM ends e JOIN contacts c ON c.customer_at < e.t
                            JOIN revenue_lines r ON r.contact_id = c.id AND r.occurred_at < e.t
                           WHERE {LIVE_C} GROUP BY ALL)
                 SELECT CAST(CAST(cu.t - INTERVAL 1 MONTH AS DATE) AS VARCHAR), cu.lead_source,
                        coalesce(rv.amount, 0) / cu.n
                   FROM customers cu LEFT JOIN revenue rv
                     ON rv.t = cu.t AND rv.lead_source IS NOT DISTINCT FROM cu.lead_source"
            ),
            &[],
        )
        .unwrap();
    let want: BTreeMap<(String, Option<String>), f64> = table
        .rows
        .iter()
        .map(|r| {
            let key = (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().map(str::to_owned),
            );
            (key, r[2].as_f64().unwrap())
        })
        .collect();
    let mut query = year("customer_lifetime_value");
    query.grain = Some(Grain::Month);
    query.by = vec![Dim::LeadSource];
    let result = run(&store, &calendar, &query, "en").unwrap();
    assert!(want.len() > 12, "only {} figures", want.len());
    for row in &result.rows {
        let key = (row.period.unwrap().to_string(), row.dims[0].clone());
        // No customer of that source by then: no value.
        match (row.value, want.get(&key)) {
            (Some(value), Some(&expected)) => assert!(
                close(value, expected),
                "customer_lifetime_value {key:?}: {value} ≠ {expected}"
            ),
            (value, expected) => assert_eq!(value, expected.copied(), "{key:?}"),
        }
    }
}
