//! Phones are judged for their record's country, and national numbers are rewritten in
//! E.164 on request, reversibly.

use chrono::NaiveDate;
use embudo_audit::checks::{self, Context};
use embudo_audit::fix;
use embudo_store::Store;

const FIXTURE: &str = "
INSERT INTO contacts (id, first_name, phone, country, created_at, updated_at) VALUES
  (1, 'International US', '+1 415 555 0123', 'US', '2025-01-01', '2025-01-01'),
  (2, 'National US', '(415) 555-0199', 'US', '2025-01-01', '2025-01-01'),
  (3, 'National Spain', '612 34 56 78', 'ES', '2025-01-01', '2025-01-01'),
  (4, 'Spain with ten digits', '+34 612 345 6789', 'ES', '2025-01-01', '2025-01-01'),
  (5, 'Placeholder', '000-000-0000', 'US', '2025-01-01', '2025-01-01'),
  (6, 'Words', 'N/A', 'MX', '2025-01-01', '2025-01-01'),
  (7, 'National, no country', '(415) 555-0100', NULL, '2025-01-01', '2025-01-01'),
  (8, 'No phone', NULL, 'US', '2025-01-01', '2025-01-01');
";

fn at() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 7, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

fn phones(store: &Store) -> Vec<(i64, Option<String>)> {
    let mut statement = store
        .duckdb("a test")
        .unwrap()
        .prepare("SELECT id, phone FROM contacts ORDER BY id")
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn phones_are_judged_per_country_and_fixed_to_e164_reversibly() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("phones.duckdb")).unwrap();
    store.execute_batch(FIXTURE).unwrap();
    let ctx = Context::new(&store, at());

    let invalid = &checks::run(&ctx, None, Some("contacts.phone.invalid")).unwrap()[0];
    let mut flagged: Vec<i64> = invalid.rows.iter().map(|r| r.id).collect();
    flagged.sort();
    assert_eq!(flagged, [4, 5, 6, 7]);

    let national = &checks::run(&ctx, None, Some("contacts.phone.national")).unwrap()[0];
    let mut fixes: Vec<(i64, Option<String>)> = national
        .rows
        .iter()
        .map(|r| (r.id, r.fix.clone()))
        .collect();
    fixes.sort();
    assert_eq!(
        fixes,
        [
            (2, Some("+14155550199".to_owned())),
            (3, Some("+34612345678".to_owned()))
        ]
    );

    let before = phones(&store);
    let (batch, changed) = fix::apply(&store, national, at()).unwrap();
    assert_eq!(changed, 2);
    let after = phones(&store);
    assert_eq!(after[1], (2, Some("+14155550199".to_owned())));
    assert_eq!(after[2], (3, Some("+34612345678".to_owned())));
    assert_eq!(after[0], before[0], "an international number was touched");
    let again = &checks::run(&ctx, None, Some("contacts.phone.national")).unwrap()[0];
    assert_eq!(again.failing, 0);

    fix::undo(&store, batch, at()).unwrap();
    assert_eq!(phones(&store), before);
}
