//! The simulation on a pipeline whose every outcome can be worked out by hand.

use chrono::{NaiveDate, NaiveDateTime};
use embudo_forecast::simulate;
use embudo_testkit::Place;

fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// Three deals won 10 days after entering stage 1. Open at 10 March: deal 4 (1000, in stage 1
/// for 2 days, no score: the stage's 0.5) and deal 5 (500, 5 days in, scored 1.0). Both
/// close in March when won: 500 always, 1500 half the time.
const FIXTURE: &str = "
INSERT INTO pipelines VALUES (1, 'Sales');
INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES (1, 1, 'Open', 1, 0.5, 'open'), (2, 1, 'Won', 2, 1.0, 'won');
INSERT INTO deals (id, pipeline_id, stage_id, status, amount, currency, created_at, closed_at, updated_at) VALUES
  (1, 1, 2, 'won', 10, 'USD', '2026-01-01', '2026-01-11', '2026-01-11'),
  (2, 1, 2, 'won', 10, 'USD', '2026-01-05', '2026-01-15', '2026-01-15'),
  (3, 1, 2, 'won', 10, 'USD', '2026-02-01', '2026-02-11', '2026-02-11'),
  (4, 1, 1, 'open', 1000, 'USD', '2026-03-08', NULL, '2026-03-08'),
  (5, 1, 1, 'open', 500, 'USD', '2026-03-05', NULL, '2026-03-05');
INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at) VALUES
  (1, 1, 1, '2026-01-01', '2026-01-11'), (2, 1, 2, '2026-01-11', NULL),
  (3, 2, 1, '2026-01-05', '2026-01-15'), (4, 2, 2, '2026-01-15', NULL),
  (5, 3, 1, '2026-02-01', '2026-02-11'), (6, 3, 2, '2026-02-11', NULL),
  (7, 4, 1, '2026-03-08', NULL), (8, 5, 1, '2026-03-05', NULL);
INSERT INTO deal_scores VALUES (1, 5, 1.0, 'test', '2026-03-09', NULL);
";

#[test]
fn each_month_gets_the_range_the_deals_allow() {
    let dir = Place::new();
    let store = dir.store("simulate");
    store.execute_batch(FIXTURE).unwrap();
    let bounds = [day(2026, 3, 1), day(2026, 4, 1), day(2026, 5, 1)];
    let ranges =
        simulate::months(&store, day(2026, 3, 10), &bounds, &[Some(1000.0), None]).unwrap();
    assert_eq!((ranges[0].p10, ranges[0].p90), (500.0, 1500.0));
    assert!([500.0, 1500.0].contains(&ranges[0].p50));
    // Reaching 1000 takes deal 4: half the runs.
    let reach = ranges[0].reach.unwrap();
    assert!((reach - 0.5).abs() < 0.02, "{reach}");
    assert_eq!(
        (ranges[1].p10, ranges[1].p50, ranges[1].p90, ranges[1].reach),
        (0.0, 0.0, 0.0, None)
    );
    // Seeded: the same store gives the same ranges.
    assert_eq!(
        simulate::months(&store, day(2026, 3, 10), &bounds, &[Some(1000.0), None]).unwrap(),
        ranges
    );
}

/// A deal unlikely to close is drawn by skipping to the runs it is won in (a certain one and
/// a likely one, above, run by run): scored 0.05, deal 4 adds its 1000 to about one run in
/// twenty, which the quantiles do not reach.
#[test]
fn an_unlikely_deal_is_won_in_its_share_of_runs() {
    let dir = Place::new();
    let store = dir.store("simulate-unlikely");
    store.execute_batch(FIXTURE).unwrap();
    store
        .execute_batch("INSERT INTO deal_scores VALUES (2, 4, 0.05, 'test', '2026-03-09', NULL);")
        .unwrap();
    let bounds = [day(2026, 3, 1), day(2026, 4, 1)];
    let ranges = simulate::months(&store, day(2026, 3, 10), &bounds, &[Some(1000.0)]).unwrap();
    assert_eq!(
        (ranges[0].p10, ranges[0].p50, ranges[0].p90),
        (500.0, 500.0, 500.0)
    );
    let reach = ranges[0].reach.unwrap();
    assert!((reach - 0.05).abs() < 0.01, "{reach}");
    assert!((ranges[0].expected - (500.0 + 0.05 * 1000.0)).abs() < 1e-6);
}
