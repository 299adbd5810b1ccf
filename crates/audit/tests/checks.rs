//! Every check against one hand-built store: for each, the rows that must fail (with the
//! fix suggested) and, beside them in the fixture, rows made to look close that must pass.
//! The expected ids are read off the fixture below, not computed.

use chrono::NaiveDate;
use embudo_audit::checks::{self, CHECKS, Context};
use embudo_testkit::Place;

/// Audited at 2026-07-01 09:00; two years before is 2024-07-01.
const FIXTURE: &str = "
INSERT INTO pipelines VALUES (1, 'New Business'), (2, 'Expansion'), (3, 'New Busines');
INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES
  (1, 1, 'Qualified', 1, 0.1, 'open'), (2, 1, 'Demo', 2, 0.4, 'open'),
  (3, 1, 'Won', 3, 1.0, 'won'), (4, 1, 'Lost', 4, 0.0, 'lost'),
  (5, 1, 'Qualifed', 5, 0.1, 'open'),        -- near-duplicate of stage 1
  (6, 2, 'Qualified', 1, 0.3, 'open');       -- same name, another pipeline: fine
INSERT INTO products (id, name) VALUES
  (1, 'Embudo Growth'), (2, 'Embudo Growht'),          -- 2 is unused: the stray
  (3, 'Extra seats (10)'), (4, 'Extra seats (20)');    -- two products

-- Two hundred ordinary companies and contacts make 'US' and 'technology' frequent.
INSERT INTO companies (id, name, industry, country, created_at, updated_at)
  SELECT 100 + i, 'Company ' || i, 'technology', 'US', '2025-01-01', '2026-01-01' FROM generate_series(0, 199) t(i);
INSERT INTO contacts (id, first_name, email, country, company_id, created_at, updated_at)
  SELECT 1000 + i, 'Person', 'person' || i || '@gmail.com', 'US', 100 + i, TIMESTAMP '2025-01-01' + i * INTERVAL '1 hour', '2026-01-01'
  FROM generate_series(0, 199) t(i);

INSERT INTO companies (id, name, domain, industry, country, phone, created_at, updated_at, deleted_at, merged_into_id) VALUES
  (1, 'Acme', 'acme.com', 'technolgy', 'es', '+34 912 345 678', '2025-01-01', '2026-01-01', NULL, NULL),
  (2, 'Beta', NULL, 'healthcare', 'PT', '212 345 678', '2025-01-01', '2026-01-01', NULL, NULL),
  (3, 'Gamma', NULL, NULL, 'U.S.', '123', '2025-01-01', '2026-01-01', NULL, NULL),
  (4, 'Delta', NULL, 'technolgy', 'xx', '123', '2025-01-01', '2026-01-01', '2026-02-01', NULL),
  (5, 'Acme Inc', NULL, NULL, 'US', NULL, '2025-01-01', '2026-01-01', NULL, 1),
  (6, 'Epsilon', NULL, NULL, 'Narnia', '+1 415 555 0123', '2025-01-01', '2026-01-01', NULL, NULL);

INSERT INTO contacts (id, first_name, email, phone, country, company_id, lead_source, birth_date,
                      email_status, created_at, updated_at, deleted_at) VALUES
  (1, 'No way to reach', NULL, NULL, 'US', NULL, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (2, 'Typo', 'ana@gmial.com', NULL, 'US', NULL, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (3, 'Broken', 'bad@@gmail.com', NULL, 'US', NULL, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (4, 'Role', 'info@acme.com', NULL, 'US', 1, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (5, 'Bounced', 'leo@acme.com', NULL, 'US', 1, NULL, NULL, 'bounced', '2025-01-01', '2026-01-01', NULL),
  (6, 'National', 'p6@gmail.com', '(415) 555-0199', 'US', NULL, NULL, NULL, 'valid', '2025-01-01', '2026-01-01', NULL),
  (7, 'Placeholder', 'p7@gmail.com', '000-000-0000', 'US', NULL, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (8, 'Unborn', 'p8@gmail.com', '+1 415 555 0123', 'US', NULL, NULL, '2030-01-01', NULL, '2025-01-01', '2026-01-01', NULL),
  (9, 'Misspelt', 'p9@gmail.com', NULL, 'US', NULL, 'Refferal', '1980-05-05', NULL, '2025-01-01', '2026-01-01', NULL),
  (10, 'Unknown source', 'p10@gmail.com', NULL, 'US', NULL, 'television', NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (11, 'Canonical source', 'p11@gmail.com', NULL, 'US', NULL, 'referral', NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (12, 'Merged company', 'p12@gmail.com', NULL, 'US', 5, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (13, 'Missing company', 'p13@gmail.com', NULL, 'US', 999, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (14, 'Good company', 'p14@gmail.com', NULL, 'US', 2, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (15, 'Stale', 'p15@gmail.com', NULL, 'US', NULL, NULL, NULL, NULL, '2023-01-01', '2024-01-01', NULL),
  (16, 'Nearly stale', 'p16@gmail.com', NULL, 'US', NULL, NULL, NULL, NULL, '2023-01-01', '2024-08-01', NULL),
  (17, 'Form', 'maria@gmail.com', NULL, 'US', NULL, NULL, NULL, NULL, '2026-03-01 10:00', '2026-03-01 10:00', NULL),
  (18, 'Form again', 'Maria@gmail.com', NULL, 'US', NULL, NULL, NULL, NULL, '2026-03-01 10:05', '2026-03-01 10:05', NULL),
  (19, 'Came back', 'jose@gmail.com', NULL, 'US', NULL, NULL, NULL, NULL, '2026-01-01 10:00', '2026-01-01 10:00', NULL),
  (20, 'Came back next day', 'jose@gmail.com', NULL, 'US', NULL, NULL, NULL, NULL, '2026-01-02 10:00', '2026-01-02 10:00', NULL),
  (21, 'Lowercase country', 'p21@gmail.com', NULL, 'es', NULL, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (22, 'Rare country', 'p22@gmail.com', NULL, 'MX', NULL, NULL, NULL, NULL, '2025-01-01', '2026-01-01', NULL),
  (23, 'Deleted', NULL, NULL, 'us', NULL, 'Refferal', NULL, NULL, '2025-01-01', '2020-01-01', '2026-02-01');

INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, currency, contact_id, product_id, source,
                   created_at, expected_close_date, closed_at, lost_reason, updated_at, merged_into_id) VALUES
  (1, 'No amount', 1, 2, 'open', NULL, 'USD', 14, 1, NULL, '2025-02-01', '2026-08-01', NULL, NULL, '2026-01-01', NULL),
  (2, 'First stage, no amount', 1, 1, 'open', NULL, 'usd', 14, NULL, NULL, '2025-02-01', NULL, NULL, NULL, '2026-01-01', NULL),
  (3, 'No close date', 1, 2, 'open', 1000, 'USD', 14, NULL, NULL, '2025-02-01', NULL, NULL, NULL, '2026-01-01', NULL),
  (4, 'Lost, no reason', 1, 4, 'lost', 1000, 'USD', 14, NULL, NULL, '2025-02-01', '2025-03-01', '2025-03-01', NULL, '2026-01-01', NULL),
  (5, 'Closed before created', 1, 3, 'won', 1000, 'USD', 14, NULL, NULL, '2025-02-01', '2025-03-01', '2025-01-01', NULL, '2026-01-01', NULL),
  (6, 'Expected before created', 1, 2, 'open', 1000, 'USD', 14, NULL, NULL, '2025-02-01', '2025-01-15', NULL, NULL, '2026-01-01', NULL),
  (7, 'Won, no closed_at', 1, 3, 'won', 1000, 'Euro', 14, NULL, NULL, '2025-02-01', '2025-03-01', NULL, NULL, '2026-01-01', NULL),
  (8, 'Open, closed_at', 1, 2, 'open', 1000, 'UDS', 14, NULL, NULL, '2025-02-01', '2025-03-01', '2025-03-01', NULL, '2026-01-01', NULL),
  (9, 'Negative', 1, 2, 'open', -5, 'USD', 14, NULL, NULL, '2025-02-01', '2025-03-01', NULL, NULL, '2026-01-01', NULL),
  (10, 'Absurd', 1, 2, 'open', 10000000, 'USD', 14, NULL, NULL, '2025-02-01', '2025-03-01', NULL, NULL, '2026-01-01', NULL),
  (11, 'Misspelt source', 1, 2, 'open', 1000, 'USD', 14, NULL, 'Paid Ads', '2025-02-01', '2025-03-01', NULL, NULL, '2026-01-01', NULL),
  (12, 'Deleted contact', 1, 2, 'open', 1000, 'Doubloons', 23, NULL, 'email', '2025-02-01', '2025-03-01', NULL, NULL, '2026-01-01', NULL),
  (13, 'Missing contact', 1, 2, 'open', 1000, 'USD', 9999, NULL, NULL, '2025-02-01', '2025-03-01', NULL, NULL, '2026-01-01', NULL),
  (14, 'Merged away', 1, 2, 'open', NULL, 'usd', 9999, NULL, 'Paid Ads', '2025-02-01', NULL, '2025-01-01', NULL, '2026-01-01', 1),
  (15, 'Won, complete', 1, 3, 'won', 2000, 'USD', 14, NULL, NULL, '2025-02-01', '2025-03-01', '2025-03-01', NULL, '2026-01-01', NULL),
  (16, 'Nobody', 1, 1, 'open', 1000, 'USD', NULL, NULL, 'paid_ads', '2025-02-01', NULL, NULL, NULL, '2026-01-01', NULL),
  (17, 'Won, no amount', 1, 3, 'won', NULL, 'USD', 14, NULL, NULL, '2025-02-01', '2025-03-01', '2025-03-01', NULL, '2026-01-01', NULL);
UPDATE deals SET company_id = 2 WHERE id = 15;   -- a company and a contact: complete

INSERT INTO activities (id, type, deal_id, created_at) VALUES
  (1, 'call', 1, '2025-02-02'), (2, 'call', 14, '2025-02-02'),
  (3, 'call', 999, '2025-02-02'), (4, 'call', NULL, '2025-02-02'),
  (5, 'Call', 1, '2025-02-02'),       -- Embudo's call, cased otherwise
  (6, 'meetnig', 1, '2025-02-02'),    -- a misspelling of a type the data does not use
  (7, 'lunch', 1, '2025-02-02'),     -- a type of the user's own: no failure
  (8, 'Demo', 1, '2025-02-02');      -- Embudo's demo, which nothing spells right

INSERT INTO tickets (id, channel, type, priority, opened_at) VALUES
  (1, 'email', 'problem', 'high', '2025-02-02'),
  (2, 'Mail', 'Problem', 'High', '2025-02-02'),       -- Embudo's labels written otherwise
  (3, 'Web form', 'incident', 'Normal', '2025-02-02'), -- a channel and a type of the user's own
  (4, 'chat', 'complain', 'urgnet', '2025-02-02');    -- misspelt

INSERT INTO surveys (id, kind, score, responded_at) VALUES
  (1, 'nps', 9, '2025-02-02'),
  (2, 'NPS', 4, '2025-02-02'),       -- as an NPS tool's export writes it
  (3, 'CSAT', 5, '2025-02-02');      -- nothing spells it right
";

/// (check, ids that fail, (id, suggested fix) for those that carry one).
type Expected = (&'static str, &'static [i64], &'static [(i64, &'static str)]);

const EXPECTED: &[Expected] = &[
    ("contacts.email.missing", &[1], &[]),
    ("deals.amount.missing", &[1, 17], &[]),
    ("deals.amount.won_missing", &[17], &[]),
    ("deals.relations.missing", &[16], &[]),
    (
        "contacts.company_id.missing",
        &[1, 2, 3, 6, 7, 8, 9, 10, 11, 15, 16, 17, 18, 19, 20, 21, 22],
        &[],
    ),
    ("activities.relations.missing", &[4], &[]),
    ("deals.expected_close_date.missing", &[3], &[]),
    ("deals.lost_reason.missing", &[4], &[]),
    ("contacts.email.invalid", &[3], &[]),
    ("contacts.email.typo_domain", &[2], &[(2, "ana@gmail.com")]),
    ("contacts.email.role_or_disposable", &[4], &[]),
    ("contacts.email.bounced", &[5], &[]),
    ("contacts.phone.invalid", &[7], &[]),
    ("contacts.phone.national", &[6], &[(6, "+14155550199")]),
    ("companies.phone.invalid", &[3], &[]),
    ("companies.phone.national", &[2], &[(2, "+351212345678")]),
    ("contacts.birth_date.future", &[8], &[]),
    ("deals.closed_at.before_created", &[5], &[]),
    ("deals.expected_close_date.before_created", &[6], &[]),
    ("deals.closed_at.status", &[7, 8], &[]),
    ("deals.amount.absurd", &[9, 10], &[]),
    ("companies.annual_revenue.absurd", &[], &[]),
    // `television` is a label of the user's own, used once: no failure.
    ("contacts.lead_source.label", &[9], &[(9, "referral")]),
    ("deals.source.label", &[11], &[(11, "paid_ads")]),
    (
        "activities.type.label",
        &[5, 6, 8],
        &[(5, "call"), (6, "meeting"), (8, "demo")],
    ),
    ("tickets.channel.label", &[2], &[(2, "email")]),
    (
        "tickets.type.label",
        &[2, 4],
        &[(2, "problem"), (4, "complaint")],
    ),
    (
        "tickets.priority.label",
        &[2, 3, 4],
        &[(2, "high"), (3, "normal"), (4, "urgent")],
    ),
    ("surveys.kind.label", &[2, 3], &[(2, "nps"), (3, "csat")]),
    ("companies.industry.label", &[1], &[(1, "technology")]),
    ("contacts.country.label", &[21], &[(21, "ES")]),
    (
        "companies.country.label",
        &[1, 3, 6],
        &[(1, "ES"), (3, "US")],
    ),
    ("contacts.region.label", &[], &[]),
    ("companies.region.label", &[], &[]),
    // A code in lower case, a name, two letters swapped, a currency nobody uses; the merged
    // deal 14 is not judged. No orders in this fixture.
    (
        "deals.currency.code",
        &[2, 7, 8, 12],
        &[(2, "USD"), (7, "EUR"), (8, "USD")],
    ),
    ("orders.currency.code", &[], &[]),
    (
        "products.name.near_duplicate",
        &[2],
        &[(2, "Embudo Growth")],
    ),
    (
        "pipelines.name.near_duplicate",
        &[3],
        &[(3, "New Business")],
    ),
    ("stages.name.near_duplicate", &[5], &[(5, "Qualified")]),
    ("contacts.company_id.orphan", &[12, 13], &[]),
    ("deals.contact_id.orphan", &[12, 13], &[]),
    ("activities.deal_id.orphan", &[2, 3], &[]),
    ("contacts.updated_at.stale", &[15], &[]),
    ("contacts.form_resubmission", &[18], &[]),
    // References kept as text: in `foreign.rs`, on an import's rows.
    ("deals.owner.unresolved", &[], &[]),
    ("deals.company.unresolved", &[], &[]),
    ("deals.contact.unresolved", &[], &[]),
    ("deals.product.unresolved", &[], &[]),
    ("deals.campaign.unresolved", &[], &[]),
    ("contacts.company.unresolved", &[], &[]),
    ("contacts.owner.unresolved", &[], &[]),
    ("companies.owner.unresolved", &[], &[]),
];

#[test]
fn every_check_fails_exactly_the_rows_built_to_fail_it() {
    let dir = Place::new();
    let store = dir.store("checks");
    store.execute_batch(FIXTURE).unwrap();
    let at = NaiveDate::from_ymd_opt(2026, 7, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let ctx = Context::new(&store, at);

    for check in CHECKS {
        let (_, ids, fixes) = EXPECTED
            .iter()
            .find(|(id, _, _)| *id == check.id)
            .unwrap_or_else(|| panic!("{} has no fixture case", check.id));
        let finding = &checks::run(&ctx, None, Some(check.id)).unwrap()[0];
        let mut failing: Vec<i64> = finding.rows.iter().map(|r| r.id).collect();
        failing.sort();
        assert_eq!(failing, *ids, "{}: rows failing", check.id);
        let mut suggested: Vec<(i64, &str)> = finding
            .rows
            .iter()
            .filter_map(|r| Some((r.id, r.fix.as_deref()?)))
            .collect();
        suggested.sort();
        assert_eq!(suggested, *fixes, "{}: fixes suggested", check.id);
    }
    assert_eq!(
        EXPECTED.len(),
        CHECKS.len(),
        "a case for a check that is gone"
    );
}
