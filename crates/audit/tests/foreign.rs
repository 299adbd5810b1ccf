//! Checks on data shaped the way other systems export it rather than the way Embudo's
//! generator writes it: a revenue column that is mostly zero, a heavy-tailed amount column,
//! and records with no relations. The rows that must fail are read off the fixture.

use chrono::NaiveDate;
use embudo_audit::checks::{self, Context};
use embudo_audit::fix;
use embudo_store::Store;
use embudo_testkit::Place;

/// Thirty companies declare a revenue of 0 and ten a real one from 200k to 3M; company 99
/// declares 90M. On the non-zero values' log10 the median is log10(1.2M) = 6.079 and the
/// median absolute deviation 0.319, so 90M (log10 7.954) sits 1.875 orders above the median,
/// a modified z-score of 1.875 / (1.4826 × 0.319) = 3.96 > 3.5: absurd. Company 98 (5M, 0.62
/// orders above) is large, not absurd; company 97's negative revenue is absurd.
///
/// Deals: a heavy tail of amounts from 1k to 64k doubling (median 8k) where 64k is ordinary,
/// and deal 99 of 10M (3.1 orders above the median) absurd.
const FIXTURE: &str = "
INSERT INTO companies (id, name, annual_revenue, created_at, updated_at)
  SELECT i, 'Zero ' || i, 0, '2025-01-01', '2025-01-01' FROM generate_series(1, 30) t(i);
INSERT INTO companies (id, name, annual_revenue, created_at, updated_at) VALUES
  (31, 'A', 200000, '2025-01-01', '2025-01-01'), (32, 'B', 300000, '2025-01-01', '2025-01-01'),
  (33, 'C', 500000, '2025-01-01', '2025-01-01'), (34, 'D', 800000, '2025-01-01', '2025-01-01'),
  (35, 'E', 1000000, '2025-01-01', '2025-01-01'), (36, 'F', 1200000, '2025-01-01', '2025-01-01'),
  (37, 'G', 1500000, '2025-01-01', '2025-01-01'), (38, 'H', 2000000, '2025-01-01', '2025-01-01'),
  (39, 'I', 2500000, '2025-01-01', '2025-01-01'), (40, 'J', 3000000, '2025-01-01', '2025-01-01'),
  (99, 'Typo Inc', 90000000, '2025-01-01', '2025-01-01'),
  (98, 'Big Co', 5000000, '2025-01-01', '2025-01-01'),
  (97, 'Minus', -10, '2025-01-01', '2025-01-01');
INSERT INTO pipelines VALUES (1, 'Sales');
INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES
  (1, 1, 'Open', 1, 0.5, 'open'), (2, 1, 'Won', 2, 1.0, 'won');
INSERT INTO deals (id, name, pipeline_id, stage_id, amount, contact_id, company_id, status, created_at, updated_at, currency)
  SELECT i, 'Deal ' || i, 1, 1, 1000 * pow(2, i % 7), NULL, 31, 'open', '2025-01-01', '2025-01-01', 'USD'
  FROM generate_series(1, 70) t(i);
INSERT INTO deals (id, name, pipeline_id, stage_id, amount, contact_id, company_id, status, created_at, updated_at, currency) VALUES
  (99, 'Fat finger', 1, 1, 10000000, NULL, 31, 'open', '2025-01-01', '2025-01-01', 'USD'),
  (100, 'Nobody', 1, 1, 500, NULL, NULL, 'open', '2025-01-01', '2025-01-01', 'USD'),
  (101, 'Nobody, won, no amount', 1, 2, NULL, NULL, NULL, 'won', '2025-01-01', '2025-01-01', 'USD');
INSERT INTO contacts (id, first_name, company_id, created_at, updated_at) VALUES
  (1, 'At a company', 31, '2025-01-01', '2025-01-01'),
  (2, 'On their own', NULL, '2025-01-01', '2025-01-01');
INSERT INTO activities (id, type, deal_id, contact_id, company_id, created_at) VALUES
  (1, 'call', 1, NULL, NULL, '2025-01-01'), (2, 'call', NULL, 1, NULL, '2025-01-01'),
  (3, 'call', NULL, NULL, 31, '2025-01-01'), (4, 'note', NULL, NULL, NULL, '2025-01-01');
";

/// A store in a temporary folder, filled by `sql`.
fn store_with(sql: &str) -> (Place, Store) {
    let dir = Place::new();
    let store = dir.store("foreign");
    store.execute_batch(sql).unwrap();
    (dir, store)
}

/// The duplicates of `entity` the finder reports at its default threshold.
fn duplicates(
    store: &Store,
    entity: embudo_audit::dedupe::Entity,
) -> embudo_audit::dedupe::Duplicates {
    embudo_audit::dedupe::find(store, entity, embudo_audit::dedupe::DEFAULT_THRESHOLD).unwrap()
}

/// The audit's instant.
fn at() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 7, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

fn failing(store: &Store, check: &str) -> Vec<i64> {
    let ctx = Context::new(store, at());
    let finding = &checks::run(&ctx, None, Some(check)).unwrap()[0];
    assert_eq!(finding.id, check);
    let mut ids: Vec<i64> = finding.rows.iter().map(|r| r.id).collect();
    ids.sort();
    ids
}

#[test]
fn outliers_are_judged_on_the_non_zero_orders_of_magnitude_and_relations_are_counted() {
    let (_dir, store) = store_with(FIXTURE);
    assert_eq!(failing(&store, "companies.annual_revenue.absurd"), [97, 99]);
    assert_eq!(failing(&store, "deals.amount.absurd"), [99]);
    assert_eq!(failing(&store, "deals.relations.missing"), [100, 101]);
    assert_eq!(failing(&store, "deals.amount.won_missing"), [101]);
    assert_eq!(failing(&store, "contacts.company_id.missing"), [2]);
    assert_eq!(failing(&store, "activities.relations.missing"), [4]);
}

/// Without companies, a contact without one is no gap.
#[test]
fn contacts_without_a_company_are_a_gap_only_where_companies_exist() {
    let (_dir, store) = store_with(
        "INSERT INTO contacts (id, first_name, created_at, updated_at) VALUES
               (1, 'Ana', '2025-01-01', '2025-01-01'), (2, 'Luis', '2025-01-01', '2025-01-01');",
    );
    assert!(failing(&store, "contacts.company_id.missing").is_empty());
}

/// A lead-source vocabulary of the user's own fails nothing and is said once; its own
/// inconsistencies (`Paid Search` beside the more used `paid_search`, `paid serach`) and a
/// misspelt Embudo label (`Refferal`) fail, each with the label meant.
#[test]
fn lead_sources_are_judged_for_consistency_not_against_embudos_list() {
    let (_dir, store) = store_with(
            "INSERT INTO contacts (id, first_name, lead_source, created_at, updated_at)
               SELECT i, 'P', CASE WHEN i <= 40 THEN 'paid_search' WHEN i <= 70 THEN 'search_organic'
                                   WHEN i <= 80 THEN 'direct' ELSE 'unknown' END,
                      '2025-01-01', '2025-01-01' FROM generate_series(1, 90) t(i);
             INSERT INTO contacts (id, first_name, lead_source, created_at, updated_at) VALUES
               (91, 'P', 'Paid Search', '2025-01-01', '2025-01-01'),
               (92, 'P', 'paid serach', '2025-01-01', '2025-01-01'),
               (93, 'P', 'Refferal', '2025-01-01', '2025-01-01');",
    );
    let at = at();
    let ctx = Context::new(&store, at);
    let finding = &checks::run(&ctx, None, Some("contacts.lead_source.label")).unwrap()[0];
    let mut fixes: Vec<(i64, &str)> = finding
        .rows
        .iter()
        .map(|r| (r.id, r.fix.as_deref().unwrap()))
        .collect();
    fixes.sort();
    assert_eq!(
        fixes,
        [(91, "paid_search"), (92, "paid_search"), (93, "referral")]
    );
    assert_eq!(
        finding.note.as_deref(),
        Some(
            "lead sources use 3 labels of their own, not Embudo's (paid_search, search_organic, unknown): used consistently, they are kept as they are and reports show them; map them onto Embudo's labels with [file.values.lead_source] in an import mapping to compare them with Embudo's, or declare yours under [labels] in embudo.toml to fail every other"
        )
    );
}

/// References an import kept as text are checks, each with the record its text nearly names:
/// `ProMax` is product `Pro Max` (same letters), `Growht Plan` is `Growth Plan` (one swap),
/// `Enterprise` names nothing; owner `ana  ruiz` is user Ana Ruiz. Applying the product
/// fixes links the deals, and undoing them unlinks them again.
#[test]
fn references_kept_as_text_are_checks_whose_fix_links_the_record() {
    let (_dir, store) = store_with(
            "INSERT INTO pipelines VALUES (1, 'Sales');
             INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES (1, 1, 'Open', 1, 0.5, 'open');
             INSERT INTO products (id, name) VALUES (7, 'Pro Max'), (8, 'Growth Plan');
             INSERT INTO users (id, name, role, active, created_at) VALUES (3, 'Ana Ruiz', 'rep', true, '2025-01-01');
             INSERT INTO deals (id, name, pipeline_id, stage_id, status, currency, product_id, owner_id, custom, created_at, updated_at) VALUES
               (1, 'A', 1, 1, 'open', 'USD', NULL, NULL, '{\"unresolved\": {\"product\": \"ProMax\", \"owner\": \"ana  ruiz\"}}', '2025-01-01', '2025-01-01'),
               (2, 'B', 1, 1, 'open', 'USD', NULL, 3, '{\"unresolved\": {\"product\": \"Growht Plan\"}}', '2025-01-01', '2025-01-01'),
               (3, 'C', 1, 1, 'open', 'USD', NULL, 3, '{\"unresolved\": {\"product\": \"Enterprise\"}}', '2025-01-01', '2025-01-01'),
               (4, 'D', 1, 1, 'open', 'USD', 7, 3, NULL, '2025-01-01', '2025-01-01');",
    );
    let at = at();
    let ctx = Context::new(&store, at);
    let fixes = |check: &str| -> Vec<(i64, Option<String>)> {
        let finding = &checks::run(&ctx, None, Some(check)).unwrap()[0];
        let mut rows: Vec<(i64, Option<String>)> =
            finding.rows.iter().map(|r| (r.id, r.fix.clone())).collect();
        rows.sort();
        rows
    };
    assert_eq!(
        fixes("deals.product.unresolved"),
        [(1, Some("7".into())), (2, Some("8".into())), (3, None)]
    );
    assert_eq!(fixes("deals.owner.unresolved"), [(1, Some("3".into()))]);
    // People read the record's name, not its id.
    let shown = &checks::run(&ctx, None, Some("deals.product.unresolved")).unwrap()[0];
    let mut shown: Vec<Option<&str>> = shown.samples.iter().map(|s| s.fix_text()).collect();
    shown.sort();
    assert_eq!(
        shown,
        [None, Some("Growth Plan (#8)"), Some("Pro Max (#7)")]
    );

    let finding = checks::run(&ctx, None, Some("deals.product.unresolved"))
        .unwrap()
        .remove(0);
    let (batch, changed) = fix::apply(&store, &finding, at).unwrap();
    assert_eq!(changed, 2);
    let linked = || {
        store
            .query_with("SELECT id, product_id FROM deals ORDER BY id", &[])
            .unwrap()
            .rows
    };
    assert_eq!(
        linked(),
        [[1, 7], [2, 8]]
            .iter()
            .map(|r| vec![r[0].into(), r[1].into()])
            .chain([
                vec![3.into(), serde_json::Value::Null],
                vec![4.into(), 7.into()]
            ])
            .collect::<Vec<Vec<serde_json::Value>>>()
    );
    assert_eq!(fixes("deals.product.unresolved"), [(3, None)]);
    fix::undo(&store, batch, at).unwrap();
    assert_eq!(
        fixes("deals.product.unresolved"),
        [(1, Some("7".into())), (2, Some("8".into())), (3, None)]
    );
}

/// A label misspelt the same way everywhere, its right spelling nowhere in the data, is
/// found against the shipped vocabularies: twelve companies in `manufacturng` (→
/// `manufacturing`) beside `Retail` and a label of the user's own (`Widgets`); countries
/// written as names (`United States`, `Kenya`, `España`) are countries and `Argentinia` is
/// `Argentina`. Applying the fixes corrects them; undoing restores them.
#[test]
fn misspellings_are_found_when_the_right_spelling_never_occurs() {
    let (_dir, store) = store_with(
        "INSERT INTO companies (id, name, industry, country, created_at, updated_at)
               SELECT i, 'Maker ' || i, 'manufacturng', 'United States', '2025-01-01', '2025-01-01'
                 FROM generate_series(1, 12) t(i);
             INSERT INTO companies (id, name, industry, country, created_at, updated_at) VALUES
               (20, 'Shop', 'Retail', 'Kenya', '2025-01-01', '2025-01-01'),
               (21, 'Gadgets', 'Widgets', 'España', '2025-01-01', '2025-01-01'),
               (22, 'Pampa', 'Retail', 'Argentinia', '2025-01-01', '2025-01-01'),
               (23, 'Pampa 2', 'Retail', 'Argentinia', '2025-01-01', '2025-01-01');",
    );
    let at = at();
    let ctx = Context::new(&store, at);
    let fixes = |check: &str| -> Vec<(i64, String)> {
        let finding = &checks::run(&ctx, None, Some(check)).unwrap()[0];
        let mut rows: Vec<(i64, String)> = finding
            .rows
            .iter()
            .map(|r| (r.id, r.fix.clone().unwrap_or_default()))
            .collect();
        rows.sort();
        rows
    };
    let makers: Vec<(i64, String)> = (1..=12).map(|i| (i, "manufacturing".to_owned())).collect();
    assert_eq!(fixes("companies.industry.label"), makers);
    assert_eq!(
        fixes("companies.country.label"),
        [(22, "Argentina".to_owned()), (23, "Argentina".to_owned())]
    );
    let finding = checks::run(&ctx, None, Some("companies.country.label"))
        .unwrap()
        .remove(0);
    let (batch, changed) = fix::apply(&store, &finding, at).unwrap();
    assert_eq!(changed, 2);
    assert!(fixes("companies.country.label").is_empty());
    fix::undo(&store, batch, at).unwrap();
    let restored = store
        .query_with("SELECT country FROM companies WHERE id = 22", &[])
        .unwrap();
    assert_eq!(restored.rows[0][0], "Argentinia");
}

/// Deals without a contact are compared within their company or owner, by name or amount:
/// the two copies of Acme's renewal (same company, name and amount) are candidates, a deal
/// of another company and owner is compared with none of them.
#[test]
fn deals_without_a_contact_are_blocked_by_company_and_owner() {
    let (_dir, store) = store_with(
            "INSERT INTO pipelines VALUES (1, 'Sales');
             INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES (1, 1, 'Open', 1, 0.5, 'open');
             INSERT INTO deals (id, name, pipeline_id, stage_id, status, currency, amount, company_id, owner_id, created_at, updated_at) VALUES
               (1, 'Acme renewal', 1, 1, 'open', 'USD', 5000, 5, 1, '2025-03-01 10:00', '2025-03-01'),
               (2, 'ACME Renewal', 1, 1, 'open', 'USD', 5000, 5, 2, '2025-03-01 16:00', '2025-03-01'),
               (3, 'Acme upsell', 1, 1, 'open', 'USD', 1200, 5, 1, '2025-06-01 10:00', '2025-06-01'),
               (4, 'Beta new', 1, 1, 'open', 'USD', 800, 6, 3, '2025-03-01 10:00', '2025-03-01');",
    );
    let found = duplicates(&store, embudo_audit::dedupe::Entity::Deals);
    assert!(found.candidates.contains(&(1, 2)), "{:?}", found.candidates);
    assert!(
        found.candidates.iter().all(|&(a, b)| a != 4 && b != 4),
        "{:?}",
        found.candidates
    );
}

/// People typed in without an e-mail or phone are compared by how their names sound where
/// they live: the same person with a misspelt surname and an abbreviated street, and with
/// first and last name swapped, are candidates; a namesake in another town is not compared.
/// (Whether a candidate is a duplicate rests on weights EM estimates over a population, which
/// six records are not: the scoring is judged on generated data.)
#[test]
fn people_without_email_or_phone_are_matched_by_name_and_address() {
    let (_dir, store) = store_with(
        "INSERT INTO contacts (id, first_name, last_name, street, postal_code, city, created_at, updated_at) VALUES
           (1, 'María', 'González', 'Calle Mayor 5', '28013', 'Madrid', '2024-01-01', '2024-01-01'),
           (2, 'Maria', 'Gonzales', 'C. Mayor 5', '28013', 'Madrid', '2024-05-01', '2024-05-01'),
           (3, 'John', 'Smith', '12 Main St', '10001', 'New York', '2024-01-01', '2024-01-01'),
           (4, 'Smith', 'John', '12 Main Street', '10001', 'New York', '2024-03-01', '2024-03-01'),
           (5, 'John', 'Smith', '400 Oak Avenue', '90210', 'Beverly Hills', '2024-01-01', '2024-01-01'),
           (6, 'Jon', 'Smyth', '7 Pine Rd', '10002', 'New York', '2024-01-01', '2024-01-01');",
    );
    let found = duplicates(&store, embudo_audit::dedupe::Entity::Contacts);
    let candidates = &found.candidates;
    assert!(
        candidates.contains(&(1, 2)) && candidates.contains(&(3, 4)),
        "{candidates:?}"
    );
    assert!(
        candidates.iter().all(|&(a, b)| a != 5 && b != 5),
        "{candidates:?}"
    );
}

/// A sign-up sheet of ten people typed in at once, so every row has the same creation
/// instant: María Fernández three times (accents, capitals, one without a street), John
/// Smith three times (`Jon`, the names swapped, `St.` and a postcode slip), Carmen Ruiz
/// twice (`rn` for `m`, `Avda.` for `Avenida`). Mary Smith, at number 14 of John's street,
/// is a neighbour (another given name, another house), and Juan Pérez shares only María's
/// postcode. Forty-five pairs are too few to learn from: the finder must still judge them.
#[test]
fn a_ten_row_list_is_judged_with_what_people_look_like() {
    let (_dir, store) = store_with(
        "INSERT INTO contacts (id, first_name, last_name, street, postal_code, city, created_at, updated_at) VALUES
           (1, 'María', 'Fernández', 'C/ Mayor 12', '28013', 'Madrid', '2026-03-02 10:00', '2026-03-02 10:00'),
           (2, 'Maria', 'Fernandez', 'Calle Mayor 12', '28013', 'Madrid', '2026-03-02 10:00', '2026-03-02 10:00'),
           (3, 'MARÍA', 'FERNÁNDEZ', NULL, '28013', 'Madrid', '2026-03-02 10:00', '2026-03-02 10:00'),
           (4, 'Juan', 'Pérez', 'Gran Vía 40', '28013', 'Madrid', '2026-03-02 10:00', '2026-03-02 10:00'),
           (5, 'John', 'Smith', '12 Main St', '10001', 'New York', '2026-03-02 10:00', '2026-03-02 10:00'),
           (6, 'Jon', 'Smith', '12 Main Street', '10001', 'New York', '2026-03-02 10:00', '2026-03-02 10:00'),
           (7, 'Smith', 'John', '12 Main St.', '10010', 'New York', '2026-03-02 10:00', '2026-03-02 10:00'),
           (8, 'Mary', 'Smith', '14 Main St', '10001', 'New York', '2026-03-02 10:00', '2026-03-02 10:00'),
           (9, 'Carmen', 'Ruiz', 'Avda. de la Constitución 3', '41001', 'Sevilla', '2026-03-02 10:00', '2026-03-02 10:00'),
           (10, 'Carrnen', 'Ruiz', 'Avenida de la Constitucion 3', '41001', 'Sevilla', '2026-03-02 10:00', '2026-03-02 10:00');",
    );
    let found = duplicates(&store, embudo_audit::dedupe::Entity::Contacts);
    let mut groups: Vec<Vec<i64>> = found.clusters.iter().map(|c| c.members.clone()).collect();
    groups.sort();
    assert_eq!(groups, vec![vec![1, 2, 3], vec![5, 6, 7], vec![9, 10]]);
}

/// Orders whose currency is written the way people type it — `usd`, `Euros`, `€`, `UDS` —
/// are flagged with the ISO 4217 code meant, though `EUR` is never written in the data;
/// `Doubloons` is flagged with no code. Applying the fixes corrects them; undoing restores
/// them.
#[test]
fn currencies_are_judged_against_iso_4217() {
    let (_dir, store) = store_with(
        "INSERT INTO orders (id, ordered_at, currency) VALUES
           (1, '2025-01-01', 'USD'), (2, '2025-01-01', 'usd'), (3, '2025-01-01', 'Euros'),
           (4, '2025-01-01', '€'), (5, '2025-01-01', 'UDS'), (6, '2025-01-01', 'Doubloons'),
           (7, '2025-01-01', 'MXN');",
    );
    let at = at();
    let ctx = Context::new(&store, at);
    let finding = checks::run(&ctx, None, Some("orders.currency.code"))
        .unwrap()
        .remove(0);
    let mut flagged: Vec<(i64, Option<String>)> =
        finding.rows.iter().map(|r| (r.id, r.fix.clone())).collect();
    flagged.sort();
    let code = |c: &str| Some(c.to_owned());
    assert_eq!(
        flagged,
        [
            (2, code("USD")),
            (3, code("EUR")),
            (4, code("EUR")),
            (5, code("USD")),
            (6, None)
        ]
    );
    let (batch, changed) = fix::apply(&store, &finding, at).unwrap();
    assert_eq!(changed, 4);
    assert_eq!(failing(&store, "orders.currency.code"), [6]);
    fix::undo(&store, batch, at).unwrap();
    let restored = store
        .query_with("SELECT currency FROM orders WHERE id = 4", &[])
        .unwrap();
    assert_eq!(restored.rows[0][0], "€");
}

/// Regions judged by each row's country: `Pensylvania` in the United States and `Valenica`
/// in Spain are misspelt; `Euskadi`, `Andalucia` (no accent) and `NY` are regions as written;
/// `Getafe` (a town) and Mexico's `Jalisco` are left alone. The fix writes the name meant,
/// and undoing restores the typing.
#[test]
fn regions_of_the_united_states_and_spain_are_judged_by_country() {
    let (_dir, store) = store_with(
        "INSERT INTO contacts (id, first_name, country, region, created_at, updated_at) VALUES
           (1, 'A', 'US', 'Pensylvania', '2025-01-01', '2025-01-01'),
           (2, 'B', 'United States', 'NY', '2025-01-01', '2025-01-01'),
           (3, 'C', 'ES', 'Valenica', '2025-01-01', '2025-01-01'),
           (4, 'D', 'España', 'Euskadi', '2025-01-01', '2025-01-01'),
           (5, 'E', 'ES', 'Andalucia', '2025-01-01', '2025-01-01'),
           (6, 'F', 'ES', 'Getafe', '2025-01-01', '2025-01-01'),
           (7, 'G', 'MX', 'Jalsco', '2025-01-01', '2025-01-01');",
    );
    let at = at();
    let ctx = Context::new(&store, at);
    let finding = checks::run(&ctx, None, Some("contacts.region.label"))
        .unwrap()
        .remove(0);
    let mut flagged: Vec<(i64, Option<String>)> =
        finding.rows.iter().map(|r| (r.id, r.fix.clone())).collect();
    flagged.sort();
    assert_eq!(
        flagged,
        [
            (1, Some("Pennsylvania".to_owned())),
            (3, Some("Valencia".to_owned()))
        ]
    );
    let (batch, changed) = fix::apply(&store, &finding, at).unwrap();
    assert_eq!(changed, 2);
    assert!(failing(&store, "contacts.region.label").is_empty());
    fix::undo(&store, batch, at).unwrap();
    assert_eq!(failing(&store, "contacts.region.label"), [1, 3]);
}
