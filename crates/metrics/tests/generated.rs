//! Every metric of the catalogue on generated medium data, against plain SQL written from
//! the spec's wording (not from the catalogue's SQL: `bench/metric_reference.toml`), run by
//! DuckDB; the planner runs on PostgreSQL instead when the run is for it (a copy of the
//! same business).

use chrono::NaiveDate;
use embudo_metrics::{Bound, Calendar, Dim, Grain, Query, catalogue, run};
use embudo_model::Table;
use embudo_store::Store;
use embudo_synth::{Params, Scale};
use embudo_testkit::Place;
use std::collections::BTreeMap;

/// The range every check uses: the year before `now`.
const F: &str = "TIMESTAMP '2025-07-01 00:00:00'";
const T: &str = "TIMESTAMP '2026-07-01 00:00:00'";

const LIVE_C: &str = "c.deleted_at IS NULL AND c.merged_into_id IS NULL";
const LIVE_D: &str = "d.deleted_at IS NULL AND d.merged_into_id IS NULL";

/// metric → SQL giving its value over [F, T): the bench's hand-written reference queries.
fn expected_sql() -> BTreeMap<String, String> {
    let written: BTreeMap<String, String> =
        toml::from_str(include_str!("../../../bench/metric_reference.toml"))
            .expect("the reference queries are TOML");
    written
        .into_iter()
        .map(|(metric, sql)| (metric, sql.replace("{from}", F).replace("{to}", T)))
        .collect()
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
    Query::over(
        metric,
        Bound::Day(NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()),
        Bound::Day(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()),
    )
}

/// Plain SQL's rows of (month, key, value) by month and key; a null value (a rate over no
/// one) is a cell left out, as the planner leaves it.
fn by_month_and_key(table: &Table) -> BTreeMap<(String, Option<String>), f64> {
    table
        .rows
        .iter()
        .filter_map(|r| {
            let key = (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().map(str::to_owned),
            );
            Some((key, r[2].as_f64()?))
        })
        .collect()
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

/// Every metric of the catalogue over a year by month, against the bench's references by
/// month (`bench/metric_reference_monthly.toml`): the same value in every month, a month one
/// side leaves out being a zero on the other. A metric with a default split (new customers
/// per campaign) adds up its month's cells.
#[test]
fn every_metric_by_month_equals_plain_sql_month_by_month() {
    let (_place, plain, store) = medium_stores();
    let written: BTreeMap<String, String> =
        toml::from_str(include_str!("../../../bench/metric_reference_monthly.toml"))
            .expect("the references by month are TOML");
    for metric in catalogue() {
        let sql = written
            .get(metric.name.as_str())
            .unwrap_or_else(|| panic!("no independent SQL by month for {}", metric.name));
        let sql = sql.replace("{from}", F).replace("{to}", T);
        let want: BTreeMap<String, f64> = plain
            .query_with(&sql, &[])
            .unwrap()
            .rows
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_owned(),
                    r[1].as_f64().unwrap_or(0.0),
                )
            })
            .collect();
        let query = Query {
            grain: Some(Grain::Month),
            ..year(&metric.name)
        };
        let mut got = BTreeMap::<String, f64>::new();
        for row in run(&store, &Calendar::default(), &query, "en")
            .unwrap()
            .rows
        {
            *got.entry(row.period.unwrap().to_string()).or_default() += row.value.unwrap_or(0.0);
        }
        assert_eq!(got.len(), 12, "{}: the planner's months", metric.name);
        assert!(
            want.values().filter(|v| **v != 0.0).count() >= 6,
            "{}: too few months to compare",
            metric.name
        );
        for month in got.keys().chain(want.keys()) {
            let value = |cells: &BTreeMap<String, f64>| cells.get(month).copied().unwrap_or(0.0);
            assert!(
                close(value(&got), value(&want)),
                "{} in {month}: planner {}, plain SQL {}",
                metric.name,
                value(&got),
                value(&want)
            );
        }
    }
}

/// Every metric that takes a dimension over a year by month with one, as the bench's
/// references by month write it (`bench/metric_reference_split.toml`): the same value in
/// every month and value of the dimension, a cell one side leaves out being a zero on the
/// other.
#[test]
fn questions_by_month_and_dimension_equal_plain_sql_cell_by_cell() {
    #[derive(serde::Deserialize)]
    struct Split {
        by: String,
        sql: String,
    }
    let (_place, plain, store) = medium_stores();
    let written: BTreeMap<String, Split> =
        toml::from_str(include_str!("../../../bench/metric_reference_split.toml"))
            .expect("the references by month are TOML");
    for metric in catalogue().iter().filter(|m| !m.dimensions().is_empty()) {
        assert!(
            written.contains_key(&metric.name),
            "no question by month and dimension for {}",
            metric.name
        );
    }
    for (metric, split) in written {
        let sql = split.sql.replace("{from}", F).replace("{to}", T);
        let want = by_month_and_key(&plain.query_with(&sql, &[]).unwrap());
        let query = Query {
            grain: Some(Grain::Month),
            by: vec![split.by.parse().unwrap()],
            ..year(&metric)
        };
        let result = run(&store, &Calendar::default(), &query, "en").unwrap();
        let got: BTreeMap<(String, Option<String>), f64> = result
            .rows
            .into_iter()
            .filter_map(|row| {
                let key = (row.period?.to_string(), row.dims[0].clone());
                Some((key, row.value?))
            })
            .collect();
        assert!(
            want.values().filter(|v| **v != 0.0).count() >= 12,
            "{metric}: too few cells to compare"
        );
        for key in got.keys().chain(want.keys()) {
            let value = |cells: &BTreeMap<_, f64>| cells.get(key).copied().unwrap_or(0.0);
            assert!(
                close(value(&got), value(&want)),
                "{metric} by {} at {key:?}: planner {}, plain SQL {}",
                split.by,
                value(&got),
                value(&want)
            );
        }
    }
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
    let want = by_month_and_key(&table);
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

/// Plain SQL of the customers from before each of `periods` (a statement of `m_start`,
/// `m_end` and whatever else `select` reads as `m`) who bought in it or had a subscription
/// running in it, with `select` and their number.
fn retained_sql(periods: &str, select: &str) -> String {
    format!(
        "WITH periods AS ({periods})
         SELECT {select}, count(*)
           FROM periods m JOIN contacts c ON c.customer_at < m.m_start
          WHERE {LIVE_C}
            AND (EXISTS (SELECT 1 FROM revenue_lines r WHERE r.contact_id = c.id
                           AND r.occurred_at >= m.m_start AND r.occurred_at < m.m_end)
              OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.contact_id = c.id
                           AND s.started_at < m.m_end AND coalesce(s.cancelled_at, s.ends_at) > m.m_start))
          GROUP BY ALL"
    )
}

/// Customers from before each month who bought in it or had a subscription running in it,
/// month by month and by lead source: each month's own contacts, not another's.
#[test]
fn retained_customers_hold_in_every_month() {
    let (_place, plain, store) = medium_stores();
    let table = plain
        .query_with(
            &retained_sql(
                &format!(
                    "SELECT t AS m_start, t + INTERVAL 1 MONTH AS m_end
                       FROM (SELECT unnest(generate_series(TIMESTAMP '2024-07-01', {T} - INTERVAL 1 MONTH, INTERVAL 1 MONTH)) AS t)"
                ),
                "CAST(CAST(m.m_start AS DATE) AS VARCHAR), c.lead_source",
            ),
            &[],
        )
        .unwrap();
    let want = by_month_and_key(&table);
    let mut query = year("retained_customers");
    query.grain = Some(Grain::Month);
    query.by = vec![Dim::LeadSource];
    // Beside each month, the same month a year before (the range before the year).
    query.compare = Some(embudo_metrics::Compare::PreviousPeriod);
    let result = run(&store, &Calendar::default(), &query, "en").unwrap();
    let mut checked = 0;
    for row in &result.rows {
        let month = row.period.unwrap();
        let key = (month.to_string(), row.dims[0].clone());
        let expected = want.get(&key).copied().unwrap_or(0.0);
        let value = row.value.unwrap_or(0.0);
        assert!(
            close(value, expected),
            "retained_customers {key:?}: {value} ≠ {expected}"
        );
        checked += usize::from(expected > 0.0);
        let before = (
            (month - chrono::Months::new(12)).to_string(),
            row.dims[0].clone(),
        );
        let expected = want.get(&before).copied().unwrap_or(0.0);
        let previous = row.previous.unwrap_or(0.0);
        assert!(
            close(previous, expected),
            "retained_customers {before:?} beside {key:?}: {previous} ≠ {expected}"
        );
    }
    assert!(checked > 24, "only {checked} figures above zero");
    let in_year = want
        .keys()
        .filter(|(month, _)| month.as_str() >= "2025-07-01");
    assert_eq!(
        in_year.count(),
        checked,
        "every month and source the plain SQL finds is in the result"
    );

    // By week in New York, from a Wednesday and across the clock change of 8 March: weeks
    // whose instants the month arithmetic cannot find, each bounded by local midnights
    // (UTC−5, then UTC−4), the first cut short by the range.
    let bounds = [
        "2026-03-04 05:00",
        "2026-03-09 04:00",
        "2026-03-16 04:00",
        "2026-03-23 04:00",
        "2026-03-30 04:00",
        "2026-04-06 04:00",
        "2026-04-13 04:00",
        "2026-04-15 04:00",
    ];
    let weeks: Vec<String> = bounds
        .windows(2)
        .enumerate()
        .map(|(i, w)| format!("({i}, TIMESTAMP '{}', TIMESTAMP '{}')", w[0], w[1]))
        .collect();
    let table = plain
        .query_with(
            &retained_sql(
                &format!(
                    "SELECT * FROM (VALUES {}) AS w (i, m_start, m_end)",
                    weeks.join(", ")
                ),
                "m.i",
            ),
            &[],
        )
        .unwrap();
    let mut want = vec![0.0; weeks.len()];
    for row in &table.rows {
        want[row[0].as_u64().unwrap() as usize] = row[1].as_f64().unwrap();
    }
    let day = |m, d| Bound::Day(NaiveDate::from_ymd_opt(2026, m, d).unwrap());
    let query = Query {
        grain: Some(Grain::Week),
        ..Query::over("retained_customers", day(3, 4), day(4, 15))
    };
    let new_york = Calendar {
        tz: chrono_tz::America::New_York,
        ..Calendar::default()
    };
    let result = run(&store, &new_york, &query, "en").unwrap();
    let got: Vec<f64> = result.rows.iter().map(|r| r.value.unwrap_or(0.0)).collect();
    assert_eq!(got, want, "retained customers by week in New York");
    assert!(want.iter().all(|n| *n > 0.0), "{want:?}");
}

/// A comparison's two figures are each its own range's: every metric over the first half
/// of 2026 beside the second half of 2025, each against the reference query over it.
#[test]
fn each_side_of_a_comparison_equals_plain_sql() {
    let (_place, plain, store) = medium_stores();
    let written: BTreeMap<String, String> =
        toml::from_str(include_str!("../../../bench/metric_reference.toml")).unwrap();
    let (half, before) = (
        "TIMESTAMP '2026-01-01 00:00:00'",
        "TIMESTAMP '2025-07-01 00:00:00'",
    );
    let plain_value = |sql: &str, from: &str, to: &str| -> f64 {
        let sql = sql.replace("{from}", from).replace("{to}", to);
        let value: Option<f64> = plain
            .duckdb("a test")
            .unwrap()
            .query_row(&sql, [], |row| row.get(0))
            .unwrap();
        value.unwrap_or(0.0)
    };
    for metric in catalogue() {
        let sql = &written[metric.name.as_str()];
        let mut query = year(&metric.name);
        query.from = Bound::Day(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        query.compare = Some(embudo_metrics::Compare::PreviousPeriod);
        let result = run(&store, &Calendar::default(), &query, "en").unwrap();
        // A metric with a default split (new customers per campaign) sums to the total.
        let value: f64 = result.rows.iter().filter_map(|r| r.value).sum();
        let previous: f64 = result.rows.iter().filter_map(|r| r.previous).sum();
        for (side, got, want) in [
            ("value", value, plain_value(sql, half, T)),
            ("previous", previous, plain_value(sql, before, half)),
        ] {
            assert!(
                close(got, want),
                "{} {side}: planner {got}, plain SQL {want}",
                metric.name
            );
        }
    }
}
