//! When won deals close, on a pipeline whose every look can be counted by hand.

use chrono::{NaiveDate, NaiveDateTime};
use embudo_forecast::timing::Timing;
use embudo_forecast::{features, simulate};
use embudo_testkit::Place;

fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// Looks are taken every 14 days back from 1 June 2026: 29 December 2025 is the 11th step,
/// 12 and 26 January the 10th and 9th, 18 May the 1st.
///
/// - Deals 1–30: 100 each, created on 29 December, won 10 days later — one look each (10 days).
/// - Deals 31–60: 10,000 each, created on 29 December, won 40 days later — looks on 29 December
///   (40 days), 12 January (26) and 26 January (12): 90 looks.
/// - Deals 61–90: 100 each, created on 18 May, won 2 days later: looks within 18 weeks of the
///   instant, which only the quick winners can have yet; left out.
/// - Deal 91 (100, stage 1 since 31 May) and deal 92 (10,000, likewise): open at the instant.
///
/// The pipeline's looks split into thirds at 10,000: deal 91 is small, 92 big. Neither has 40
/// looks of its own size, stage time and due date, so both fall back — deal 92 to the big
/// deals' 90 looks (2 of 3 within 30 days), deal 91 past its size's 30 looks to the stage's
/// 120 (90 of them within 30 days).
const FIXTURE: &str = "
INSERT INTO pipelines VALUES (1, 'Sales');
INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES (1, 1, 'Open', 1, 0.5, 'open'), (2, 1, 'Won', 2, 1.0, 'won');
INSERT INTO deals (id, pipeline_id, stage_id, status, amount, currency, created_at, closed_at, updated_at)
  SELECT i, 1, 2, 'won', CASE WHEN i BETWEEN 31 AND 60 THEN 10000 ELSE 100 END, 'USD',
         CASE WHEN i <= 60 THEN TIMESTAMP '2025-12-29' ELSE TIMESTAMP '2026-05-18' END,
         CASE WHEN i <= 30 THEN TIMESTAMP '2026-01-08' WHEN i <= 60 THEN TIMESTAMP '2026-02-07'
              ELSE TIMESTAMP '2026-05-20' END,
         TIMESTAMP '2026-05-20'
    FROM generate_series(1, 90) t(i);
INSERT INTO deals (id, pipeline_id, stage_id, status, amount, currency, created_at, updated_at) VALUES
  (91, 1, 1, 'open', 100, 'USD', '2026-05-31', '2026-05-31'),
  (92, 1, 1, 'open', 10000, 'USD', '2026-05-31', '2026-05-31');
INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at)
  SELECT id, id, 1, created_at, closed_at FROM deals;
INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at)
  SELECT 1000 + id, id, 2, closed_at, NULL FROM deals WHERE status = 'won';
";

#[test]
fn a_deal_closes_when_settled_winners_of_its_size_did() {
    let dir = Place::new();
    let store = dir.store("timing");
    store.execute_batch(FIXTURE).unwrap();
    let at = day(2026, 6, 1);
    let bounds = [day(2026, 6, 1), day(2026, 7, 1), day(2026, 8, 1)];
    let timing = Timing::read(&store, at).unwrap();
    let open = features::at(&store, at).unwrap();
    let shares: Vec<Vec<f64>> = open
        .iter()
        .map(|deal| timing.shares(&deal.standing(), at, &bounds))
        .collect();
    assert_eq!(open.iter().map(|d| d.deal_id).collect::<Vec<_>>(), [91, 92]);
    assert_eq!(shares[0], [0.75, 0.25]);
    assert_eq!(shares[1], [2.0 / 3.0, 1.0 / 3.0]);

    // Expected revenue: amount × the stage's 0.5 × share, summed over the two deals.
    let ranges = simulate::months(&store, at, &bounds, &[None, None]).unwrap();
    let june = 100.0 * 0.5 * 0.75 + 10_000.0 * 0.5 * (2.0 / 3.0);
    let july = 100.0 * 0.5 * 0.25 + 10_000.0 * 0.5 * (1.0 / 3.0);
    assert!((ranges[0].expected - june).abs() < 1e-6, "{ranges:?}");
    assert!((ranges[1].expected - july).abs() < 1e-6, "{ranges:?}");
}
