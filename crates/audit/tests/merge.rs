//! Merges lose nothing: every reference follows the survivor, the journal holds what was
//! there, and unmerge puts it all back. On a DuckDB file, and with
//! `EMBUDO_TEST_ENGINE=postgres` (the test command runs both) on a PostgreSQL of the test's
//! own.

use chrono::NaiveDate;
use embudo_audit::AuditError;
use embudo_audit::merge::{self, Entity};
use embudo_store::{CANONICAL_TABLES, Store};
use embudo_testkit::Place;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

fn at() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 7, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

/// Every table's content except the journal, which records merges by design.
fn fingerprint(store: &Store) -> Vec<String> {
    CANONICAL_TABLES
        .iter()
        .filter(|t| **t != "merge_journal")
        .map(|table| {
            let sql = format!("SELECT coalesce(md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY id)), '') AS f FROM {table} AS t");
            text(store, &sql)
        })
        .collect()
}

const FIXTURE: &str = "
INSERT INTO contacts (id, first_name, last_name, email, phone, title, company_id, created_at, updated_at, custom) VALUES
  (1, 'Ana', 'Pérez', 'ana@acme.com', NULL, 'CEO', 10, '2025-01-01', '2025-01-01', '{\"tier\": \"gold\"}'),
  (2, 'ana', 'Perez', 'ANA@ACME.COM', '+34 600 000 001', NULL, 10, '2025-03-01', '2025-03-01', '{\"tier\": \"silver\", \"vip\": true}'),
  (3, 'Someone', 'Else', 'x@y.com', NULL, NULL, NULL, '2025-02-01', '2025-02-01', NULL);
INSERT INTO deals (id, pipeline_id, stage_id, status, currency, contact_id, created_at, updated_at) VALUES (1, 1, 1, 'open', 'USD', 2, '2025-03-02', '2025-03-02');
INSERT INTO activities (id, type, contact_id, created_at) VALUES (1, 'call', 2, '2025-03-02');
INSERT INTO orders (id, contact_id, ordered_at, currency) VALUES (1, 2, '2025-03-03', 'USD');
INSERT INTO subscriptions (id, contact_id, started_at, ends_at, mrr) VALUES (1, 2, '2025-03-03', '2026-03-03', 10);
INSERT INTO tickets (id, contact_id, opened_at) VALUES (1, 2, '2025-03-04');
INSERT INTO service_calls (id, contact_id, direction, queued_at) VALUES (1, 2, 'inbound', '2025-03-04');
INSERT INTO surveys (id, contact_id, kind, score, responded_at) VALUES (1, 2, 'nps', 9, '2025-03-05');
INSERT INTO campaigns (id, name, channel, launched_at) VALUES (1, 'c', 'email', '2025-01-01');
INSERT INTO campaign_events (id, campaign_id, contact_id, event, occurred_at) VALUES (1, 1, 2, 'sent', '2025-03-05');
INSERT INTO list_subscriptions (id, contact_id, list_name, subscribed_at) VALUES (1, 2, 'News', '2025-03-05');
INSERT INTO web_visits (id, visitor_id, contact_id, started_at) VALUES (1, 'v', 2, '2025-03-05');
UPDATE contacts SET referred_by_contact_id = 2 WHERE id = 3;
";

fn fixture() -> (Place, Store) {
    let place = Place::new();
    let store = place.store("merge");
    store.execute_batch(FIXTURE).unwrap();
    (place, store)
}

/// The first column of the first row of `sql`, as text.
fn text(store: &Store, sql: &str) -> String {
    let table = store.query_with(sql, &[]).unwrap();
    table.rows[0][0].as_str().unwrap_or_default().to_owned()
}

fn request(ids: &[i64], survivor: Option<i64>, dry_run: bool) -> merge::Request<'_> {
    merge::Request {
        entity: Entity::Contacts,
        ids,
        survivor,
        by: "test",
        at: at(),
        dry_run,
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    store.query_with(sql, &[]).unwrap().rows[0][0]
        .as_i64()
        .unwrap()
}

#[test]
fn a_merge_repoints_every_related_table_and_unmerge_restores_all() {
    let (_dir, store) = fixture();
    let before = fingerprint(&store);
    let outcome = merge::merge(&store, &request(&[2, 1], Some(1), false), &mut |_| Ok(())).unwrap();
    assert_eq!((outcome.survivor, outcome.merged.clone()), (1, vec![2]));
    for (table, column) in Entity::Contacts.references() {
        let to_member = count(
            &store,
            &format!("SELECT count(*) FROM {table} WHERE {column} = 2"),
        );
        assert_eq!(
            to_member, 0,
            "{table}.{column} still points at the merged contact"
        );
        let to_survivor = count(
            &store,
            &format!("SELECT count(*) FROM {table} WHERE {column} = 1"),
        );
        assert!(
            to_survivor >= 1,
            "{table}.{column} does not point at the survivor"
        );
    }
    assert_eq!(outcome.repointed, 11);
    // The empty phone came from the member; custom objects were united, the survivor's
    // keys winning; the member stays as a tombstone.
    let phone = text(&store, "SELECT phone FROM contacts WHERE id = 1");
    let custom = text(
        &store,
        "SELECT CAST(custom AS VARCHAR) FROM contacts WHERE id = 1",
    );
    assert_eq!(phone, "+34 600 000 001");
    let custom: serde_json::Value = serde_json::from_str(&custom).unwrap();
    assert_eq!(custom, serde_json::json!({"tier": "gold", "vip": true}));
    assert_eq!(
        count(&store, "SELECT merged_into_id FROM contacts WHERE id = 2"),
        1
    );
    assert_eq!(count(&store, "SELECT count(*) FROM merge_journal"), 1);

    merge::unmerge(&store, outcome.journal_ids[0], at()).unwrap();
    assert_eq!(fingerprint(&store), before);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM merge_journal WHERE undone_at IS NOT NULL"
        ),
        1
    );
    assert!(
        merge::unmerge(&store, outcome.journal_ids[0], at()).is_err(),
        "undone twice"
    );
}

#[test]
fn the_default_survivor_is_the_most_complete_then_the_most_active() {
    let (_dir, store) = fixture();
    // Contacts 1 and 2 fill eight fields each; 2 is newer but has the deal, the
    // activity and every other related row: it survives.
    let outcome = merge::merge(&store, &request(&[1, 2], None, true), &mut |_| Ok(())).unwrap();
    assert_eq!(outcome.survivor, 2);
    // With a ninth field filled, the idle contact 1 is the more complete: it survives.
    store
        .execute_batch("UPDATE contacts SET city = 'Madrid' WHERE id = 1")
        .unwrap();
    let outcome = merge::merge(&store, &request(&[1, 2], None, true), &mut |_| Ok(())).unwrap();
    assert_eq!(outcome.survivor, 1);
    // Equally complete and equally idle, the older survives: contact 3 (February) over
    // a copy of it made in March.
    store
        .execute_batch(
            "INSERT INTO contacts (id, first_name, last_name, email, created_at, updated_at)
             VALUES (4, 'Someone', 'Else', 'x@y.com', '2025-03-01', '2025-02-01')",
        )
        .unwrap();
    store
        .execute_batch("UPDATE contacts SET referred_by_contact_id = NULL WHERE id = 3")
        .unwrap();
    let outcome = merge::merge(&store, &request(&[4, 3], None, true), &mut |_| Ok(())).unwrap();
    assert_eq!(outcome.survivor, 3);
}

#[test]
fn an_interrupted_merge_leaves_the_store_unchanged() {
    let (_dir, store) = fixture();
    let before = fingerprint(&store);
    let mut steps = 0;
    let result = merge::merge(&store, &request(&[1, 2], Some(1), false), &mut |_| {
        steps += 1;
        if steps == 4 {
            Err(AuditError::Invalid("power cut".into()))
        } else {
            Ok(())
        }
    });
    assert!(result.is_err());
    assert_eq!(fingerprint(&store), before);
    assert_eq!(count(&store, "SELECT count(*) FROM merge_journal"), 0);
}

#[test]
fn a_dry_run_changes_nothing_and_later_merges_are_undone_first() {
    let (_dir, store) = fixture();
    let before = fingerprint(&store);
    let plan = merge::merge(&store, &request(&[1, 2], Some(1), true), &mut |_| Ok(())).unwrap();
    assert!(plan.dry_run && plan.repointed == 11);
    assert_eq!(fingerprint(&store), before);
    let first = merge::merge(&store, &request(&[1, 2], Some(1), false), &mut |_| Ok(())).unwrap();
    let second = merge::merge(&store, &request(&[1, 3], Some(1), false), &mut |_| Ok(())).unwrap();
    let err = merge::unmerge(&store, first.journal_ids[0], at())
        .unwrap_err()
        .to_string();
    assert!(err.contains("later merges"), "{err}");
    merge::unmerge(&store, second.journal_ids[0], at()).unwrap();
    merge::unmerge(&store, first.journal_ids[0], at()).unwrap();
    assert_eq!(fingerprint(&store), before);
}

/// unmerge(merge(x)) = x, for random clusters of a generated business (twelve cases, each
/// on a fresh copy of it; on PostgreSQL a database cloned from one filled once).
#[test]
fn unmerge_undoes_any_merge() {
    let place = Place::new();
    let generated = place.file("generated");
    let mut store = Store::open(&generated).unwrap();
    let params = embudo_synth::Params {
        scale: embudo_synth::Scale::Small,
        seed: 41,
        now: at(),
        defect_rate: 0.0,
        signal: true,
    };
    embudo_synth::fill(&mut store, &params).unwrap();
    drop(store);
    drop(place.copy_in(&generated, "generated"));
    let case = std::cell::Cell::new(0);
    let fresh_copy = || -> Store {
        case.set(case.get() + 1);
        place.clone_of("generated", &format!("case{}", case.get()))
    };
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    });
    let clusters = (proptest::collection::hash_set(1i64..=400, 2..5), 0usize..4);
    runner
        .run(&clusters, |(ids, pick)| {
            let store = fresh_copy();
            let before = fingerprint(&store);
            let ids: Vec<i64> = ids.into_iter().collect();
            let survivor = (pick < ids.len()).then(|| ids[pick]);
            let outcome =
                merge::merge(&store, &request(&ids, survivor, false), &mut |_| Ok(())).unwrap();
            prop_assert_eq!(outcome.merged.len(), ids.len() - 1);
            for journal_id in outcome.journal_ids.iter().rev() {
                merge::unmerge(&store, *journal_id, at()).unwrap();
            }
            prop_assert_eq!(fingerprint(&store), before);
            Ok(())
        })
        .unwrap();
}

/// A merge hands the member's revenue to the survivor, and with it the date it became a
/// customer; undoing the merge hands both back.
#[test]
fn first_revenue_follows_a_merge_and_its_undoing() {
    let (_dir, store) = fixture();
    store
        .execute_batch(
            "INSERT INTO order_lines (id, order_id, quantity, unit_price) VALUES (1, 1, 1, 50)",
        )
        .unwrap();
    embudo_store::derived::refresh(&store).unwrap();
    let customers = |store: &Store| {
        text(
            store,
            "SELECT string_agg(id || ':' || coalesce(CAST(customer_at AS VARCHAR), '-'), ',' ORDER BY id)
               FROM contacts",
        )
    };
    assert_eq!(customers(&store), "1:-,2:2025-03-03 00:00:00,3:-");
    let outcome = merge::merge(&store, &request(&[2, 1], Some(1), false), &mut |_| Ok(())).unwrap();
    assert_eq!(customers(&store), "1:2025-03-03 00:00:00,2:-,3:-");
    merge::unmerge(&store, outcome.journal_ids[0], at()).unwrap();
    assert_eq!(customers(&store), "1:-,2:2025-03-03 00:00:00,3:-");
}
