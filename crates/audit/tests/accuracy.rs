//! Every kind of defect the generator injects is found, and what the audit flags is a
//! defect: precision and recall per kind against the truth file, at small scale.

use chrono::NaiveDate;
use embudo_audit::checks::{self, Context};
use embudo_store::Store;
use embudo_store::bulk::LoadMode;
use embudo_synth::{Params, Scale};
use std::collections::{BTreeMap, HashSet};

/// (truth entity, truth field) → the check that should find it.
const KINDS: &[(&str, &str, &str)] = &[
    ("contacts", "email:invalid_email", "contacts.email.invalid"),
    (
        "contacts",
        "email:typo_domain",
        "contacts.email.typo_domain",
    ),
    ("contacts", "phone:bad_phone", "contacts.phone.invalid"),
    ("companies", "phone:bad_phone", "companies.phone.invalid"),
    (
        "contacts",
        "lead_source:mistyped_label",
        "contacts.lead_source.label",
    ),
    ("deals", "source:mistyped_label", "deals.source.label"),
    (
        "companies",
        "industry:mistyped_label",
        "companies.industry.label",
    ),
    (
        "contacts",
        "company_id:orphan_reference",
        "contacts.company_id.orphan",
    ),
    (
        "deals",
        "contact_id:orphan_reference",
        "deals.contact_id.orphan",
    ),
    (
        "activities",
        "deal_id:orphan_reference",
        "activities.deal_id.orphan",
    ),
    (
        "contacts",
        "birth_date:impossible_date",
        "contacts.birth_date.future",
    ),
    (
        "deals",
        "closed_at:impossible_date",
        "deals.closed_at.before_created",
    ),
    (
        "deals",
        "expected_close_date:impossible_date",
        "deals.expected_close_date.before_created",
    ),
    ("contacts", "updated_at:stale", "contacts.updated_at.stale"),
];

#[test]
fn every_injected_defect_kind_is_found_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("audit.duckdb")).unwrap();
    let now = NaiveDate::from_ymd_opt(2026, 6, 30)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let params = Params {
        scale: Scale::Small,
        seed: 23,
        now,
        defect_rate: 0.2,
    };
    let (truth, _) = store
        .load(
            LoadMode::Append,
            |out| embudo_synth::generate(&params, out),
            |_| {},
        )
        .unwrap();
    let findings = checks::run(&Context::new(&store, now), None, None).unwrap();
    let mut report = BTreeMap::new();
    for (entity, key, check) in KINDS {
        let (field, kind) = key.split_once(':').unwrap();
        let injected: HashSet<i64> = truth
            .defects
            .iter()
            .filter(|d| d.entity == *entity && d.field == field && d.kind == kind)
            .map(|d| d.id)
            .collect();
        let flagged: HashSet<i64> = findings
            .iter()
            .find(|f| f.id == *check)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.id)
            .collect();
        assert!(!injected.is_empty(), "no {key} injected on {entity}");
        let found = injected.intersection(&flagged).count() as f64;
        let recall = found / injected.len() as f64;
        let precision = if flagged.is_empty() {
            0.0
        } else {
            found / flagged.len() as f64
        };
        report.insert(*check, (injected.len(), flagged.len(), recall, precision));
    }
    println!("{report:#?}");
    for (check, (injected, flagged, recall, precision)) in &report {
        assert!(
            *recall >= 0.95,
            "{check}: recall {recall:.3} ({injected} injected, {flagged} flagged)"
        );
        // Contacts untouched for two years are stale whether or not the generator made
        // them so: precision means nothing there.
        if *check != "contacts.updated_at.stale" {
            assert!(
                *precision >= 0.95,
                "{check}: precision {precision:.3} ({injected} injected, {flagged} flagged)"
            );
        }
    }
}
