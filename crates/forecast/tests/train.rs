//! Training on real stores: no data, too little data, and a generated business whose
//! counts are checked with plain SQL.

use chrono::{NaiveDate, NaiveDateTime};
use embudo_forecast::train::{self, MIN_OUTCOMES};
use embudo_store::Store;
use embudo_store::bulk::LoadMode;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 6, 30)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

#[test]
fn without_enough_closed_deals_the_stages_are_used_and_it_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("empty.duckdb")).unwrap();
    let report = train::train(&store, now()).unwrap();
    assert_eq!(report.used, "stage");
    assert!(report.reason.contains("no deal"), "{}", report.reason);

    store
        .conn()
        .execute_batch(
            "INSERT INTO pipelines VALUES (1, 'Sales');
             INSERT INTO stages VALUES (1, 1, 'Open', 1, 0.3, 'open'), (2, 1, 'Won', 2, 1.0, 'won'), (3, 1, 'Lost', 3, 0.0, 'lost');
             INSERT INTO deals (id, pipeline_id, stage_id, status, currency, created_at, closed_at, updated_at)
             SELECT i, 1, CASE WHEN i % 2 = 0 THEN 2 ELSE 3 END, CASE WHEN i % 2 = 0 THEN 'won' ELSE 'lost' END,
                    'USD', TIMESTAMP '2026-01-01' + i * INTERVAL 1 DAY, TIMESTAMP '2026-01-10' + i * INTERVAL 1 DAY,
                    TIMESTAMP '2026-01-10' + i * INTERVAL 1 DAY
               FROM range(1, 41) t(i);",
        )
        .unwrap();
    // 40 deals, 20 of each, 30 of them before the cut-off: far from 40 of each.
    let report = train::train(&store, now()).unwrap();
    assert_eq!(report.used, "stage");
    assert_eq!((report.train.won, report.train.lost), (15, 15));
    assert!(
        report.reason.contains(&MIN_OUTCOMES.to_string()),
        "{}",
        report.reason
    );
}

#[test]
fn a_generated_business_trains_out_of_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("business.duckdb")).unwrap();
    let params = embudo_synth::Params {
        scale: embudo_synth::Scale::Small,
        seed: 9,
        now: now(),
        defect_rate: 0.0,
    };
    store
        .load(
            LoadMode::Append,
            |out| embudo_synth::generate(&params, out),
            |_| {},
        )
        .unwrap();
    let report = train::train(&store, now()).unwrap();
    let cutoff = report.cutoff.clone().expect("a cut-off");
    // The training counts are the deals closed before the cut-off, by plain SQL.
    let counted = store
        .query_with(
            "SELECT count(*) FILTER (WHERE status = 'won'), count(*) FILTER (WHERE status = 'lost')
               FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
                AND status IN ('won', 'lost') AND closed_at < CAST(? AS TIMESTAMP)",
            &[embudo_store::Param::Text(cutoff)],
        )
        .unwrap();
    let row = &counted.rows[0];
    assert_eq!(
        (report.train.won as i64, report.train.lost as i64),
        (row[0].as_i64().unwrap(), row[1].as_i64().unwrap())
    );
    let (auc, brier, baseline) = (
        report.test.auc.unwrap(),
        report.test.brier.unwrap(),
        report.test.baseline_brier.unwrap(),
    );
    assert!((0.0..=1.0).contains(&auc) && brier >= 0.0);
    assert_eq!(report.used == "model", brier < baseline, "{report:?}");
    assert_eq!(
        report.reliability.iter().map(|b| b.deals).sum::<usize>(),
        report.test.n
    );
}
