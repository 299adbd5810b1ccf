//! Golden SQL: what the planner sends DuckDB for every metric, one January without a grain
//! or dimensions. A change to a metric's SQL shows up here for review.

use chrono::NaiveDate;
use embudo_metrics::plan::compile;
use embudo_metrics::time::periods;
use embudo_metrics::{Calendar, catalogue};
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
