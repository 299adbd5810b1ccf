//! Features of a hand-built pipeline at one instant, worked out by hand from the fixture;
//! then rows dated after the instant are added and nothing may change.

use chrono::{NaiveDate, NaiveDateTime};
use embudo_forecast::features::{self, DealFeatures, Standing};
use embudo_store::Store;
use embudo_testkit::Place;

/// The instant: 2026-03-01 00:00.
fn t() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

const FIXTURE: &str = "
INSERT INTO pipelines VALUES (1, 'Sales');
INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES
  (1, 1, 'Qualified', 1, 0.1, 'open'), (2, 1, 'Demo', 2, 0.4, 'open'),
  (3, 1, 'Proposal', 3, 0.6, 'open'), (4, 1, 'Won', 4, 1.0, 'won'), (5, 1, 'Lost', 5, 0.0, 'lost');
-- Deal 1 as it is now: won on 20 March, its amount and owner changed after the instant.
-- Deal 2: open. Deal 3: created after the instant. Deal 4: lost before it, deal 5 won before
-- it (61 days from creation): owner 1 had won 1 of 2, the pipeline's typical cycle is 61 days.
INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, currency, owner_id, source, deal_type,
                   created_at, expected_close_date, closed_at, updated_at) VALUES
  (1, 'One', 1, 4, 'won', 5000, 'USD', 2, 'email', 'new_business', '2026-01-01', '2026-03-20', '2026-03-20', '2026-03-20'),
  (2, 'Two', 1, 1, 'open', NULL, 'USD', 2, 'organic', 'upsell', '2026-02-15', NULL, NULL, '2026-02-15'),
  (3, 'Three', 1, 1, 'open', 100, 'USD', 1, 'email', 'new_business', '2026-03-05', NULL, NULL, '2026-03-05'),
  (4, 'Four', 1, 5, 'lost', 100, 'USD', 1, 'email', 'new_business', '2026-01-05', NULL, '2026-02-01', '2026-02-01'),
  (5, 'Five', 1, 4, 'won', 100, 'USD', 1, 'email', 'new_business', '2025-12-01', NULL, '2026-01-31', '2026-01-31');
INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at) VALUES
  (1, 1, 1, '2026-01-01', '2026-01-20'), (2, 1, 3, '2026-01-20', '2026-02-10'),
  (3, 1, 2, '2026-02-10', '2026-03-20'), (4, 1, 4, '2026-03-20', NULL),
  (5, 2, 1, '2026-02-15', NULL),
  (6, 3, 1, '2026-03-05', NULL),
  (7, 4, 1, '2026-01-05', '2026-02-01'), (8, 4, 5, '2026-02-01', NULL),
  (9, 5, 1, '2025-12-01', '2026-01-31'), (10, 5, 4, '2026-01-31', NULL);
INSERT INTO deal_changes (id, deal_id, field, old_value, new_value, changed_at) VALUES
  (1, 1, 'expected_close_date', '2026-02-15', '2026-03-15', '2026-02-01'),
  (2, 1, 'expected_close_date', '2026-03-15', '2026-03-01', '2026-02-20'),
  (3, 1, 'expected_close_date', '2026-03-01', '2026-03-20', '2026-03-05'),
  (4, 1, 'amount', '1000.00', '5000.00', '2026-03-05'),
  (5, 1, 'owner_id', '1', '2', '2026-03-10');
INSERT INTO activities (id, type, deal_id, created_at, due_at, completed_at) VALUES
  (1, 'call', 1, '2026-02-20', NULL, '2026-02-20'),
  (2, 'call', 1, '2026-02-05', NULL, '2026-02-05'),
  (3, 'call', 1, '2026-01-10', NULL, '2026-01-10'),
  (4, 'call', 1, '2026-03-02', NULL, '2026-03-02'),
  (5, 'meeting', 1, '2026-02-25', '2026-03-04', NULL),
  (6, 'meeting', 2, '2026-03-02', '2026-03-05', NULL);
";

/// Rows dated after the instant, touching everything the features read.
const LATER: &str = "
INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at) VALUES (11, 2, 5, '2026-03-06', NULL);
UPDATE deal_stage_history SET exited_at = '2026-03-06' WHERE id = 5;
UPDATE deals SET status = 'lost', stage_id = 5, closed_at = '2026-03-06', amount = 700, owner_id = 1,
                 expected_close_date = '2026-04-10' WHERE id = 2;
INSERT INTO deal_changes (id, deal_id, field, old_value, new_value, changed_at) VALUES
  (6, 2, 'amount', NULL, '700.00', '2026-03-04'),
  (7, 2, 'owner_id', '2', '1', '2026-03-04'),
  (8, 2, 'expected_close_date', NULL, '2026-03-10', '2026-03-02'),
  (9, 2, 'expected_close_date', '2026-03-10', '2026-04-10', '2026-03-03');
INSERT INTO activities (id, type, deal_id, created_at, due_at, completed_at) VALUES
  (7, 'call', 2, '2026-03-02', NULL, '2026-03-02'),
  (8, 'call', 1, '2026-02-28', '2026-03-03', '2026-03-03');
INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, currency, owner_id, created_at, closed_at, updated_at) VALUES
  (7, 'Seven', 1, 4, 'won', 100, 'USD', 2, '2026-02-20', '2026-03-02', '2026-03-02');
INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at) VALUES (12, 7, 4, '2026-03-02', NULL);
";

fn store() -> (Place, Store) {
    let dir = Place::new();
    let store = dir.store("features");
    store.execute_batch(FIXTURE).unwrap();
    (dir, store)
}

#[test]
fn features_are_what_was_known_at_the_instant() {
    let (_dir, store) = store();
    let found = features::at(&store, t()).unwrap();
    let want_one = DealFeatures {
        deal_id: 1,
        pipeline_id: 1,
        // Back in Demo since 10 February after reaching Proposal.
        stage_id: 2,
        stage_position: 2,
        stage_probability: 0.4,
        furthest_position: 3,
        days_in_stage: 19.0,
        age_days: 59.0,
        typical_cycle_days: Some(61.0),
        // The amount and owner before their changes of 5 and 10 March.
        amount: Some(1000.0),
        source: Some("email".into()),
        deal_type: Some("new_business".into()),
        owner_id: Some(1),
        owner_won: 1,
        owner_closed: 2,
        // 20 February in both windows, 5 February in the 30-day one; 9 days since the last.
        activities_14d: 1,
        activities_30d: 2,
        days_since_activity: Some(9.0),
        next_activity_scheduled: true,
        // Pushed on 1 February, pulled in on 20 February; the push of 5 March is later.
        close_date_pushes: 1,
        // As pulled in on 20 February; 20 March is the later push.
        expected_close_date: NaiveDate::from_ymd_opt(2026, 3, 1),
    };
    let want_two = DealFeatures {
        deal_id: 2,
        pipeline_id: 1,
        stage_id: 1,
        stage_position: 1,
        stage_probability: 0.1,
        furthest_position: 1,
        days_in_stage: 14.0,
        age_days: 14.0,
        typical_cycle_days: Some(61.0),
        amount: None,
        source: Some("organic".into()),
        deal_type: Some("upsell".into()),
        owner_id: Some(2),
        owner_won: 0,
        owner_closed: 0,
        activities_14d: 0,
        activities_30d: 0,
        days_since_activity: None,
        next_activity_scheduled: false,
        close_date_pushes: 0,
        expected_close_date: None,
    };
    assert_eq!(
        features::of(&store, t(), 2).unwrap(),
        Some(want_two.clone())
    );
    assert_eq!(
        features::of(&store, t(), 3).unwrap(),
        None,
        "created after the instant"
    );
    assert_eq!(found, [want_one, want_two]);
    assert_eq!(found[0].owner_close_rate(), Some(0.5));
    assert_eq!(found[0].age_ratio(), Some(59.0 / 61.0));
    assert_eq!(found[0].standing().days_to_expected_close(t()), Some(0.0));
}

#[test]
fn nothing_dated_after_the_instant_changes_a_feature() {
    let (_dir, store) = store();
    let before = features::at(&store, t()).unwrap();
    store.execute_batch(LATER).unwrap();
    assert_eq!(features::at(&store, t()).unwrap(), before);
    // The later rows are real: a later instant sees them.
    let later = NaiveDate::from_ymd_opt(2026, 3, 4)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let then = features::at(&store, later).unwrap();
    let two = then.iter().find(|f| f.deal_id == 2).unwrap();
    assert_eq!(
        (two.amount, two.owner_id, two.close_date_pushes),
        (Some(700.0), Some(1), 1)
    );
    assert_eq!(
        two.expected_close_date,
        NaiveDate::from_ymd_opt(2026, 4, 10)
    );
    assert!(
        then.iter().all(|f| f.deal_id != 7),
        "deal 7 closed on 2 March"
    );
}

/// The lean read the simulation uses gives, for every open deal, what the features give
/// under the same names: worked out by hand at the instant, and after the later rows both
/// at the instant (nothing changes) and at a later one.
#[test]
fn standings_are_the_features_the_timing_reads() {
    let (_dir, store) = store();
    let want = [
        Standing {
            deal_id: 1,
            pipeline_id: 1,
            stage_id: 2,
            stage_probability: 0.4,
            days_in_stage: 19.0,
            amount: Some(1000.0),
            expected_close_date: NaiveDate::from_ymd_opt(2026, 3, 1),
        },
        Standing {
            deal_id: 2,
            pipeline_id: 1,
            stage_id: 1,
            stage_probability: 0.1,
            days_in_stage: 14.0,
            amount: None,
            expected_close_date: None,
        },
    ];
    assert_eq!(features::standings_at(&store, t()).unwrap(), want);
    store.execute_batch(LATER).unwrap();
    assert_eq!(features::standings_at(&store, t()).unwrap(), want);
    let later = NaiveDate::from_ymd_opt(2026, 3, 4)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let from_features: Vec<Standing> = features::at(&store, later)
        .unwrap()
        .iter()
        .map(DealFeatures::standing)
        .collect();
    let standings = features::standings_at(&store, later).unwrap();
    assert_eq!(standings, from_features);
    assert_eq!(
        (standings[1].amount, standings[1].expected_close_date),
        (Some(700.0), NaiveDate::from_ymd_opt(2026, 4, 10))
    );
}
