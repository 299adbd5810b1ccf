//! Golden SQL: what the planner sends DuckDB for every metric, one January without a grain
//! or dimensions. A change to a metric's SQL shows up here for review.

use chrono::NaiveDate;
use embudo_metrics::plan::{compile, compile_shared};
use embudo_metrics::time::periods;
use embudo_metrics::{Calendar, Dim, Grain, catalogue};
use embudo_store::Dialect;

#[test]
fn every_metric_compiles_to_its_golden_sql() {
    let calendar = Calendar::default();
    let at = |m| {
        NaiveDate::from_ymd_opt(2026, m, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    };
    let spine = periods(&calendar, at(1), at(2), None).unwrap();
    for metric in catalogue() {
        let statements: Vec<String> = metric
            .measures
            .iter()
            .map(|measure| {
                let statement =
                    compile(Dialect::DuckDb, measure, &spine, &[], &[], &calendar).unwrap();
                format!(
                    "-- {} parameters\n{}",
                    statement.params.len(),
                    statement.sql
                )
            })
            .collect();
        insta::assert_snapshot!(metric.name.as_str(), statements.join("\n\n"));
    }
}

/// A year by month with a dimension: an anchored measure finds each row's month from its
/// anchor (DuckDB: a balanced `CASE` over the months' starts; PostgreSQL: `width_bucket`)
/// instead of joining the months; a measure that reads the period still joins them.
#[test]
fn a_year_by_month_finds_each_rows_month_from_its_anchor() {
    let calendar = Calendar::default();
    let spine = year_by_month(&calendar);
    let by = [Dim::Owner];
    for (metric, dialect) in [
        ("sales_calls", Dialect::DuckDb),
        ("sales_calls", Dialect::Postgres),
        ("lead_conversion_rate", Dialect::DuckDb),
        // Its condition met from the (customer, month) pairs, the lines' months bucketed.
        ("retained_customers", Dialect::DuckDb),
        ("retained_customers", Dialect::Postgres),
    ] {
        let measure = &metric_named(metric).measures[0];
        let statement = compile(dialect, measure, &spine, &by, &[], &calendar).unwrap();
        insta::assert_snapshot!(
            format!("{metric}_by_month_{dialect:?}"),
            format!(
                "-- {} parameters\n{}",
                statement.params.len(),
                statement.sql
            )
        );
    }
}

/// The cross-sell ratio's two customer counts read the period (customers from before it):
/// one scan of the revenue history joined with the periods, each counted under its own
/// condition.
#[test]
fn measures_that_read_the_period_share_one_joined_scan() {
    let calendar = Calendar::default();
    let spine = year_by_month(&calendar);
    let measures: Vec<_> = metric_named("cross_sell_ratio").measures.iter().collect();
    let statement =
        compile_shared(Dialect::DuckDb, &measures, &spine, &[], &[], &calendar).unwrap();
    insta::assert_snapshot!(
        "cross_sell_ratio_shared_DuckDb",
        format!(
            "-- {} parameters\n{}",
            statement.params.len(),
            statement.sql
        )
    );
}

/// A close rate's won and closed deals: one scan of the deals, each measure counted under
/// its own condition.
#[test]
fn measures_over_the_same_rows_share_one_scan() {
    let calendar = Calendar::default();
    let spine = year_by_month(&calendar);
    let measures: Vec<_> = metric_named("close_rate").measures.iter().collect();
    let statement = compile_shared(
        Dialect::Postgres,
        &measures,
        &spine,
        &[Dim::Owner],
        &[],
        &calendar,
    )
    .unwrap();
    insta::assert_snapshot!(
        "close_rate_shared_Postgres",
        format!(
            "-- {} parameters\n{}",
            statement.params.len(),
            statement.sql
        )
    );
}

fn metric_named(name: &str) -> &'static embudo_metrics::Metric {
    catalogue().iter().find(|m| m.name == name).unwrap()
}

/// The twelve months of 2025.
fn year_by_month(calendar: &Calendar) -> Vec<embudo_metrics::time::Period> {
    let at = |y, m| {
        NaiveDate::from_ymd_opt(y, m, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    };
    periods(calendar, at(2025, 1), at(2026, 1), Some(Grain::Month)).unwrap()
}
