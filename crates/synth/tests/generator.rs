//! The generator against real stores: determinism, the rates it promises, and a truth file
//! that matches what it wrote. Expected figures come from plain SQL written here, not from
//! the generator's code.

use chrono::NaiveDateTime;
use embudo_store::{CANONICAL_TABLES, Store};
use embudo_synth::{Params, Scale, Truth};
use serde_json::Value;
use std::collections::BTreeMap;

fn now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-06-30 12:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
}

fn generate(scale: Scale, seed: u64, defect_rate: f64) -> (tempfile::TempDir, Store, Truth) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("synth.duckdb")).unwrap();
    let params = Params {
        scale,
        seed,
        now: now(),
        defect_rate,
        signal: true,
    };
    let truth = embudo_synth::fill(&mut store, &params).unwrap();
    (dir, store, truth)
}

fn number(store: &Store, sql: &str) -> f64 {
    store
        .duckdb("a test")
        .unwrap()
        .query_row(sql, [], |row| row.get::<_, f64>(0))
        .unwrap()
}

/// An order-independent fingerprint of every canonical table's content.
fn checksums(store: &Store) -> BTreeMap<&'static str, String> {
    CANONICAL_TABLES
        .iter()
        .map(|&table| {
            let sql = format!("SELECT count(*) || ':' || coalesce(md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY id)), '') FROM {table} AS t");
            let sum: String = store.duckdb("a test").unwrap().query_row(&sql, [], |row| row.get(0)).unwrap();
            (table, sum)
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_tables_and_another_seed_does_not() {
    let (_a, first, _) = generate(Scale::Small, 7, 0.05);
    let (_b, second, _) = generate(Scale::Small, 7, 0.05);
    let (_c, other, _) = generate(Scale::Small, 8, 0.05);
    let (first, second, other) = (checksums(&first), checksums(&second), checksums(&other));
    assert_eq!(first, second);
    for table in ["contacts", "deals", "activities", "web_visits", "tickets"] {
        assert_ne!(
            first[table], other[table],
            "{table} did not change with the seed"
        );
    }
}

#[test]
fn small_scale_fills_every_table_the_simulation_owns() {
    let (_dir, store, truth) = generate(Scale::Small, 3, 0.05);
    for (table, rows) in store.table_counts().unwrap() {
        // Scores and merges are written by the forecast and the audit, not by the CRM.
        let expected_empty = matches!(table, "deal_scores" | "merge_journal");
        assert_eq!(rows == 0, expected_empty, "{table} has {rows} rows");
    }
    assert!(!truth.future.deals.is_empty());
    assert!(!truth.duplicates.contacts.is_empty());
}

/// The medium scale measures the rates the truth file claims, within tolerances that are
/// about three standard errors at this size.
#[test]
fn medium_scale_shows_the_seeded_differences_between_lead_sources() {
    let (_dir, store, truth) = generate(Scale::Medium, 11, 0.0);
    let params = &truth.params;

    // Leads old enough that their deals have closed.
    let conversion = |source: &str| {
        number(
            &store,
            &format!(
                "SELECT avg(CASE WHEN customer_at IS NOT NULL THEN 1 ELSE 0 END) FROM contacts
                 WHERE lead_source = '{source}' AND lead_at < TIMESTAMP '2025-06-30'"
            ),
        )
    };
    let email = conversion("email");
    let paid = conversion("paid_ads");
    assert!(
        (email - params.conversion_rate["email"]).abs() < 0.025,
        "email converts {email}"
    );
    assert!(
        (paid - params.conversion_rate["paid_ads"]).abs() < 0.012,
        "paid_ads converts {paid}"
    );

    let organic_share = number(
        &store,
        "SELECT avg(CASE WHEN lead_source = 'organic' THEN 1 ELSE 0 END) FROM contacts WHERE lead_at IS NOT NULL",
    );
    assert!(
        (organic_share - params.lead_source_share["organic"]).abs() < 0.02,
        "organic share {organic_share}"
    );

    let cycle_ratio = number(
        &store,
        "SELECT avg(CASE WHEN source = 'referral' THEN days END) / avg(CASE WHEN source <> 'referral' THEN days END)
         FROM (SELECT source, date_diff('second', created_at, closed_at) / 86400.0 AS days FROM deals
               WHERE status = 'won' AND created_at < TIMESTAMP '2025-06-30')",
    );
    assert!(
        (cycle_ratio - params.referral_cycle_factor).abs() < 0.07,
        "referral cycle ratio {cycle_ratio}"
    );

    let size_ratio = number(
        &store,
        "SELECT avg(CASE WHEN source = 'organic' THEN amount END) / avg(CASE WHEN source <> 'organic' THEN amount END)
         FROM deals WHERE status = 'won'",
    );
    assert!(
        (size_ratio - params.organic_amount_factor).abs() < 0.08,
        "organic size ratio {size_ratio}"
    );
}

#[test]
fn every_duplicate_and_defect_in_the_truth_file_is_in_the_store() {
    let (_dir, store, truth) = generate(Scale::Small, 5, 0.25);
    let exists = |table: &str, id: i64| {
        let sql = format!("SELECT count(*) FROM {table} WHERE id = ?");
        store
            .duckdb("a test")
            .unwrap()
            .query_row(&sql, [id], |row| row.get::<_, i64>(0))
            .unwrap()
            == 1
    };
    let pairs = [
        ("contacts", &truth.duplicates.contacts),
        ("companies", &truth.duplicates.companies),
        ("deals", &truth.duplicates.deals),
    ];
    for (table, list) in pairs {
        assert!(
            !list.is_empty(),
            "no duplicate {table} at a 25% defect rate"
        );
        for [original, duplicate] in list.iter().copied() {
            assert!(
                exists(table, original) && exists(table, duplicate),
                "{table} {original}/{duplicate}"
            );
            assert_ne!(original, duplicate);
        }
    }
    // Duplicate contacts are the same person: same company and lead source.
    for [original, duplicate] in truth.duplicates.contacts.iter().copied() {
        let same: bool = store
            .duckdb("a test")
            .unwrap()
            .query_row(
                "SELECT a.company_id IS NOT DISTINCT FROM b.company_id
                        AND a.lead_source IS NOT DISTINCT FROM b.lead_source
                 FROM contacts a, contacts b WHERE a.id = ? AND b.id = ?",
                [original, duplicate],
                |row| row.get(0),
            )
            .unwrap();
        assert!(same, "contacts {original} and {duplicate}");
    }

    assert!(
        truth.defects.len() > 100,
        "only {} defects",
        truth.defects.len()
    );
    let mut kinds = std::collections::BTreeSet::new();
    for defect in &truth.defects {
        // Entity and field are checked against the spec's names before reaching SQL.
        assert!(["contacts", "companies", "deals", "activities"].contains(&defect.entity));
        assert!(
            [
                "email",
                "phone",
                "lead_source",
                "updated_at",
                "birth_date",
                "company_id",
                "industry",
                "closed_at",
                "expected_close_date",
                "contact_id",
                "source",
                "deal_id"
            ]
            .contains(&defect.field)
        );
        let sql = format!(
            "SELECT CAST({} AS VARCHAR) FROM {} WHERE id = ?",
            defect.field, defect.entity
        );
        let stored: Option<String> = store
            .duckdb("a test")
            .unwrap()
            .query_row(&sql, [defect.id], |row| row.get(0))
            .unwrap();
        let expected = match &defect.value {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
        assert_eq!(
            stored, expected,
            "{}.{} of {}",
            defect.entity, defect.field, defect.id
        );
        assert_ne!(defect.original, defect.value, "{defect:?}");
        kinds.insert(defect.kind);
    }
    for kind in [
        "invalid_email",
        "typo_domain",
        "bad_phone",
        "mistyped_label",
        "orphan_reference",
        "impossible_date",
        "stale",
    ] {
        assert!(kinds.contains(kind), "no {kind} defect");
    }

    // The future of every open deal is told, and only of open deals.
    let open = number(&store, "SELECT count(*) FROM deals WHERE status = 'open'") as usize;
    let duplicates_open = truth.duplicates.deals.len();
    assert_eq!(truth.future.deals.len() + duplicates_open, open);
    for deal in &truth.future.deals {
        let status: String = store
            .duckdb("a test")
            .unwrap()
            .query_row("SELECT status FROM deals WHERE id = ?", [deal.id], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(status, "open");
        assert!(deal.closed_at.as_str() > "2026-06-30 12:00:00");
    }
}

/// What a CRM guarantees about its own records holds for every generated row (checked at
/// a zero defect rate, since defects break some of it on purpose).
#[test]
fn generated_records_keep_the_crm_invariants() {
    let (_dir, store, _) = generate(Scale::Small, 21, 0.0);
    let violations = |what: &str, sql: &str| {
        let n = number(&store, sql);
        assert_eq!(n, 0.0, "{n} violations: {what}");
    };
    violations(
        "a deal is in the stage of its one open visit",
        "SELECT count(*) FROM deals d WHERE d.stage_id IS DISTINCT FROM
           (SELECT any_value(h.stage_id) FROM deal_stage_history h WHERE h.deal_id = d.id AND h.exited_at IS NULL)
         OR (SELECT count(*) FROM deal_stage_history h WHERE h.deal_id = d.id AND h.exited_at IS NULL) <> 1",
    );
    violations(
        "a deal's status is its stage's kind",
        "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.status <> s.kind",
    );
    violations(
        "closed deals and only they have closed_at, at or after creation",
        "SELECT count(*) FROM deals WHERE (status = 'open') <> (closed_at IS NULL) OR closed_at < created_at",
    );
    violations(
        "the first visit of a deal is its creation stage at created_at",
        "SELECT count(*) FROM deals d WHERE d.created_at <> (SELECT min(entered_at) FROM deal_stage_history h WHERE h.deal_id = d.id)",
    );
    violations(
        "visits end where the next begins",
        "SELECT count(*) FROM (SELECT exited_at, lead(entered_at) OVER (PARTITION BY deal_id ORDER BY entered_at, id) AS next
                               FROM deal_stage_history) WHERE exited_at IS DISTINCT FROM next",
    );
    violations(
        "nothing happened after now",
        "SELECT (SELECT count(*) FROM activities WHERE completed_at >= TIMESTAMP '2026-06-30 12:00:00')
              + (SELECT count(*) FROM user_events WHERE occurred_at >= TIMESTAMP '2026-06-30 12:00:00')
              + (SELECT count(*) FROM deal_stage_history WHERE entered_at >= TIMESTAMP '2026-06-30 12:00:00')",
    );
    violations(
        "customer_at is the first revenue line",
        "SELECT count(*) FROM contacts c WHERE c.customer_at IS DISTINCT FROM
           (SELECT min(occurred_at) FROM revenue_lines r WHERE r.contact_id = c.id)",
    );
    violations(
        "a user's last login is their last login event",
        "SELECT count(*) FROM users u WHERE u.last_login_at IS DISTINCT FROM
           (SELECT max(occurred_at) FROM user_events e WHERE e.user_id = u.id AND e.event = 'login')",
    );
    violations(
        "a renewed term is followed by the next term at its end",
        "SELECT count(*) FROM subscriptions s WHERE s.renewed_at IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM subscriptions n WHERE n.contact_id = s.contact_id AND n.started_at = s.ends_at)",
    );
    let lapsed = number(
        &store,
        "SELECT count(*) FROM users WHERE last_login_at < TIMESTAMP '2026-06-30 12:00:00' - INTERVAL 90 DAY",
    );
    assert!(lapsed > 0.0, "no user to flag for not logging in");
}
