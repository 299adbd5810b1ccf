//! The checks. Each reads what it needs with SQL and judges in SQL or Rust; none writes.

use crate::email::{self, FREE_MAIL};
use crate::labels::{self, Named, Vocabulary, near_duplicates, near_miss};
use crate::phone::{self, Verdict};
use crate::vocab;
use crate::{AuditError, Dimension, Finding, Sample, Severity};
use chrono::NaiveDateTime;
use embudo_model::Label;
use embudo_model::labels::{
    ActivityType, LeadSource, Priority, SurveyKind, TicketChannel, TicketType,
};
use embudo_store::Store;
use embudo_store::quality::{Failing, Judged, Reference};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Labels the user declared, by field (`contacts.lead_source` → its labels), in a
/// configuration file: beside those an import mapping declared (`declared_labels`).
pub type Declared = BTreeMap<String, Vec<String>>;

/// The fields whose labels can be declared, as `entity.column`.
pub const DECLARABLE: [&str; 3] = ["contacts.lead_source", "deals.source", "companies.industry"];

/// Samples shown per check.
const SAMPLES: usize = 5;

/// A check's live rows and failing rows.
type Outcome = Result<(u64, Vec<Sample>), AuditError>;

/// What every check is given: one audit of the store as it stands, so what several checks
/// read (known domains, live row counts) is read once. A fix changes values, never how many
/// rows there are.
#[derive(Debug)]
pub struct Context<'a> {
    pub store: &'a Store,
    /// The instant freshness and future dates are judged from (UTC).
    pub as_of: NaiveDateTime,
    /// Known e-mail domains, read once for the checks that need them.
    known: std::cell::OnceCell<KnownDomains>,
    /// Live rows per entity, counted once for all its checks.
    audited: std::cell::RefCell<HashMap<&'static str, u64>>,
    /// What the running check found worth saying that is not a failing row.
    note: std::cell::RefCell<Option<String>>,
    /// Labels declared in the configuration.
    declared: Declared,
}

impl<'a> Context<'a> {
    pub fn new(store: &'a Store, as_of: NaiveDateTime) -> Context<'a> {
        Context {
            store,
            as_of,
            known: std::cell::OnceCell::new(),
            audited: Default::default(),
            note: std::cell::RefCell::new(None),
            declared: Declared::new(),
        }
    }

    /// The same context, judging the fields of `declared` against the labels declared there
    /// as well as those an import mapping declared.
    pub fn with_declared(mut self, declared: &Declared) -> Context<'a> {
        self.declared = declared.clone();
        self
    }

    /// Say something about the data the running check judged that is no failure.
    fn inform(&self, note: String) {
        *self.note.borrow_mut() = Some(note);
    }

    fn known(&self) -> Result<&KnownDomains, AuditError> {
        if self.known.get().is_none() {
            let known = KnownDomains::read(self.store)?;
            let _ = self.known.set(known);
        }
        Ok(self.known.get().expect("just set"))
    }
}

/// A check: stable id, entity, dimension, severity, what it means, and how to run it.
pub struct Check {
    pub id: &'static str,
    pub entity: &'static str,
    pub dimension: Dimension,
    pub severity: Severity,
    pub description: &'static str,
    pub fix: Option<&'static str>,
    run: fn(&Context<'_>) -> Outcome,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl Check {
    /// Run the check.
    pub fn run(&self, ctx: &Context<'_>) -> Result<Finding, AuditError> {
        ctx.note.borrow_mut().take();
        let (total, rows) = (self.run)(ctx)?;
        let note = ctx.note.borrow_mut().take();
        let failing = rows.len() as u64;
        Ok(Finding {
            id: self.id,
            entity: self.entity,
            dimension: self.dimension,
            severity: self.severity,
            description: self.description,
            failing,
            total,
            pct: if total > 0 {
                failing as f64 / total as f64
            } else {
                0.0
            },
            samples: rows.iter().take(SAMPLES).cloned().collect(),
            fix: self.fix,
            note,
            rows,
        })
    }
}

macro_rules! check {
    ($id:literal, $entity:literal, $dimension:ident, $severity:ident, $description:literal, $fix:expr, $run:expr) => {
        Check {
            id: $id,
            entity: $entity,
            dimension: Dimension::$dimension,
            severity: Severity::$severity,
            description: $description,
            fix: $fix,
            run: $run,
        }
    };
}

/// Every check, in a stable order.
pub const CHECKS: &[Check] = &[
    check!(
        "contacts.email.missing",
        "contacts",
        Completeness,
        Medium,
        "contacts with neither an e-mail nor a phone",
        None,
        |c| { sql_rows(c, "contacts", Failing::ContactsWithoutEmailOrPhone,) }
    ),
    check!(
        "deals.amount.missing",
        "deals",
        Completeness,
        Medium,
        "deals past their first stage without an amount",
        None,
        |c| { sql_rows(c, "deals", Failing::DealsPastFirstStageWithoutAmount,) }
    ),
    check!(
        "deals.expected_close_date.missing",
        "deals",
        Completeness,
        Medium,
        "open deals past their first stage without an expected close date",
        None,
        |c| {
            sql_rows(
                c,
                "deals",
                Failing::OpenDealsPastFirstStageWithoutExpectedClose,
            )
        }
    ),
    check!(
        "deals.lost_reason.missing",
        "deals",
        Completeness,
        Low,
        "lost deals without a lost reason",
        None,
        |c| { sql_rows(c, "deals", Failing::LostDealsWithoutReason,) }
    ),
    check!(
        "deals.amount.won_missing",
        "deals",
        Completeness,
        High,
        "won deals without an amount: they count as won and bring no revenue",
        None,
        |c| { sql_rows(c, "deals", Failing::WonDealsWithoutAmount,) }
    ),
    check!(
        "deals.relations.missing",
        "deals",
        Completeness,
        Medium,
        "deals with neither a contact nor a company: nobody converts through them",
        None,
        |c| { sql_rows(c, "deals", Failing::DealsWithoutContactOrCompany,) }
    ),
    check!(
        "contacts.company_id.missing",
        "contacts",
        Completeness,
        Low,
        "contacts without a company, in a store that has companies",
        None,
        |c| { sql_rows(c, "contacts", Failing::ContactsWithoutCompany,) }
    ),
    check!(
        "activities.relations.missing",
        "activities",
        Completeness,
        Low,
        "activities attached to no deal, contact or company",
        None,
        |c| { sql_rows(c, "activities", Failing::ActivitiesWithoutRelations,) }
    ),
    check!(
        "contacts.email.invalid",
        "contacts",
        Validity,
        High,
        "e-mail addresses that cannot deliver: bad syntax or no real domain suffix",
        None,
        invalid_emails
    ),
    check!(
        "contacts.email.typo_domain",
        "contacts",
        Validity,
        High,
        "e-mail domains one or two keystrokes from a known domain",
        Some("replace the domain with the known one"),
        typo_domains
    ),
    check!(
        "contacts.email.role_or_disposable",
        "contacts",
        Validity,
        Low,
        "role (info@, sales@…) or disposable addresses",
        None,
        |c| {
            rust_rows(c, "contacts", "email", |v| {
                email::is_role_or_disposable(v).then_some(None)
            })
        }
    ),
    check!(
        "contacts.email.bounced",
        "contacts",
        Validity,
        Medium,
        "addresses that bounced",
        None,
        |c| { sql_rows(c, "contacts", Failing::BouncedEmails,) }
    ),
    check!(
        "contacts.phone.invalid",
        "contacts",
        Validity,
        Medium,
        "phone numbers that cannot be dialled in their country",
        None,
        |c| phone_rows(c, "contacts", |verdict| (verdict == Verdict::Invalid)
            .then_some(None))
    ),
    check!(
        "contacts.phone.national",
        "contacts",
        Consistency,
        Low,
        "phone numbers written without their country code",
        Some("rewrite in E.164 form (+34612345678)"),
        |c| {
            phone_rows(c, "contacts", |verdict| match verdict {
                Verdict::National { e164 } => Some(Some(e164)),
                _ => None,
            })
        }
    ),
    check!(
        "companies.phone.invalid",
        "companies",
        Validity,
        Medium,
        "phone numbers that cannot be dialled in their country",
        None,
        |c| phone_rows(c, "companies", |verdict| (verdict == Verdict::Invalid)
            .then_some(None))
    ),
    check!(
        "companies.phone.national",
        "companies",
        Consistency,
        Low,
        "phone numbers written without their country code",
        Some("rewrite in E.164 form (+34612345678)"),
        |c| {
            phone_rows(c, "companies", |verdict| match verdict {
                Verdict::National { e164 } => Some(Some(e164)),
                _ => None,
            })
        }
    ),
    check!(
        "contacts.birth_date.future",
        "contacts",
        Validity,
        Medium,
        "birth dates in the future",
        None,
        |c| { sql_rows(c, "contacts", Failing::BirthDatesInTheFuture,) }
    ),
    check!(
        "deals.closed_at.before_created",
        "deals",
        Validity,
        High,
        "deals closed before they were created",
        None,
        |c| { sql_rows(c, "deals", Failing::DealsClosedBeforeCreated,) }
    ),
    check!(
        "deals.expected_close_date.before_created",
        "deals",
        Validity,
        Medium,
        "deals expected to close before they were created",
        None,
        |c| { sql_rows(c, "deals", Failing::DealsExpectedBeforeCreated,) }
    ),
    check!(
        "deals.closed_at.status",
        "deals",
        Validity,
        High,
        "closed deals without closed_at, or open deals with one",
        None,
        |c| { sql_rows(c, "deals", Failing::ClosedAtAgainstStatus,) }
    ),
    check!(
        "deals.amount.absurd",
        "deals",
        Validity,
        Medium,
        "negative amounts, or amounts far above the column's other non-zero amounts",
        None,
        |c| absurd_rows(c, "deals", "amount")
    ),
    check!(
        "companies.annual_revenue.absurd",
        "companies",
        Validity,
        Medium,
        "negative annual revenues, or ones far above the column's other non-zero revenues",
        None,
        |c| absurd_rows(c, "companies", "annual_revenue")
    ),
    check!(
        "contacts.lead_source.label",
        "contacts",
        Consistency,
        Medium,
        "lead sources misspelt, or written differently from a more used lead source",
        Some("replace with the label meant"),
        |c| label_rows(
            c,
            "contacts",
            "lead_source",
            "lead sources",
            &canonical_sources(),
            Vocabulary::Open
        )
    ),
    check!(
        "deals.source.label",
        "deals",
        Consistency,
        Medium,
        "deal sources misspelt, or written differently from a more used source",
        Some("replace with the label meant"),
        |c| label_rows(
            c,
            "deals",
            "source",
            "deal sources",
            &canonical_sources(),
            Vocabulary::Open
        )
    ),
    check!(
        "activities.type.label",
        "activities",
        Consistency,
        Medium,
        "activity types misspelt or written otherwise than Embudo's (`Call`, `meetnig`): the calls, meetings and activity metrics count Embudo's types",
        Some("replace with the label meant"),
        |c| label_rows(
            c,
            "activities",
            "type",
            "activity types",
            &labels_of::<ActivityType>(),
            Vocabulary::Closed
        )
    ),
    check!(
        "tickets.channel.label",
        "tickets",
        Consistency,
        Medium,
        "ticket channels misspelt or written otherwise than Embudo's (`Mail`, `Phone`): reports by channel split them from `email` and `phone`",
        Some("replace with the label meant"),
        |c| label_rows(
            c,
            "tickets",
            "channel",
            "ticket channels",
            &labels_of::<TicketChannel>(),
            Vocabulary::Closed
        )
    ),
    check!(
        "tickets.type.label",
        "tickets",
        Consistency,
        Medium,
        "ticket types misspelt or written otherwise than Embudo's (`Complaint`, `complain`): complaint resolution time counts `complaint`",
        Some("replace with the label meant"),
        |c| label_rows(
            c,
            "tickets",
            "type",
            "ticket types",
            &labels_of::<TicketType>(),
            Vocabulary::Closed
        )
    ),
    check!(
        "tickets.priority.label",
        "tickets",
        Consistency,
        Low,
        "ticket priorities misspelt or written otherwise than Embudo's (`High`, `urgnet`): reports by priority split them",
        Some("replace with the label meant"),
        |c| label_rows(
            c,
            "tickets",
            "priority",
            "ticket priorities",
            &labels_of::<Priority>(),
            Vocabulary::Closed
        )
    ),
    check!(
        "surveys.kind.label",
        "surveys",
        Consistency,
        High,
        "survey kinds written otherwise than `nps` and `csat` (`NPS`, `CSAT`): NPS and CSAT count only those",
        Some("replace with the label meant"),
        |c| label_rows(
            c,
            "surveys",
            "kind",
            "survey kinds",
            &labels_of::<SurveyKind>(),
            Vocabulary::Closed
        )
    ),
    check!(
        "companies.industry.label",
        "companies",
        Consistency,
        Low,
        "industries misspelt (against a standard list in English and Spanish), or written differently from a more used industry",
        Some("replace with the label meant"),
        |c| label_rows(
            c,
            "companies",
            "industry",
            "industries",
            &vocab::industry_labels(),
            Vocabulary::Open
        )
    ),
    check!(
        "contacts.country.label",
        "contacts",
        Consistency,
        Low,
        "countries that are neither ISO 3166 codes nor country names: misspelt names, miswritten codes, rare unknown values",
        Some("replace with the suggested country"),
        |c| country_rows(c, "contacts")
    ),
    check!(
        "companies.country.label",
        "companies",
        Consistency,
        Low,
        "countries that are neither ISO 3166 codes nor country names: misspelt names, miswritten codes, rare unknown values",
        Some("replace with the suggested country"),
        |c| country_rows(c, "companies")
    ),
    check!(
        "contacts.region.label",
        "contacts",
        Consistency,
        Low,
        "US states and Spanish provinces or communities misspelt (against the shipped lists, in every spelling in use), judged by the row's country",
        Some("replace with the region meant"),
        |c| region_rows(c, "contacts")
    ),
    check!(
        "companies.region.label",
        "companies",
        Consistency,
        Low,
        "US states and Spanish provinces or communities misspelt (against the shipped lists, in every spelling in use), judged by the row's country",
        Some("replace with the region meant"),
        |c| region_rows(c, "companies")
    ),
    check!(
        "deals.currency.code",
        "deals",
        Consistency,
        Medium,
        "currencies that are not ISO 4217 codes: codes in lower case or with letters swapped, names (English or Spanish) or symbols written out, unknown values",
        Some("replace with the ISO 4217 code"),
        |c| currency_rows(c, "deals")
    ),
    check!(
        "orders.currency.code",
        "orders",
        Consistency,
        Medium,
        "currencies that are not ISO 4217 codes: codes in lower case or with letters swapped, names (English or Spanish) or symbols written out, unknown values",
        Some("replace with the ISO 4217 code"),
        |c| currency_rows(c, "orders")
    ),
    check!(
        "products.name.near_duplicate",
        "products",
        Uniqueness,
        Low,
        "products named almost like a more used product (one product entered twice)",
        Some("point its records at the suggested product, then delete it"),
        |c| { near_duplicate_names(c, Reference::Products) }
    ),
    check!(
        "pipelines.name.near_duplicate",
        "pipelines",
        Uniqueness,
        Low,
        "pipelines named almost like a more used pipeline",
        Some("move its deals to the suggested pipeline, then delete it"),
        |c| { near_duplicate_names(c, Reference::Pipelines) }
    ),
    check!(
        "stages.name.near_duplicate",
        "stages",
        Uniqueness,
        Low,
        "stages named almost like a more used stage of the same pipeline",
        Some("move its deals to the suggested stage, then delete it"),
        |c| { near_duplicate_names(c, Reference::Stages) }
    ),
    check!(
        "contacts.company_id.orphan",
        "contacts",
        Integrity,
        High,
        "contacts pointing at a company that does not exist or was deleted or merged",
        None,
        |c| { sql_rows(c, "contacts", Failing::ContactsOfMissingCompanies) }
    ),
    check!(
        "deals.contact_id.orphan",
        "deals",
        Integrity,
        High,
        "deals pointing at a contact that does not exist or was deleted or merged",
        None,
        |c| { sql_rows(c, "deals", Failing::DealsOfMissingContacts) }
    ),
    check!(
        "activities.deal_id.orphan",
        "activities",
        Integrity,
        Medium,
        "activities pointing at a deal that does not exist or was deleted or merged",
        None,
        |c| { sql_rows(c, "activities", Failing::ActivitiesOfMissingDeals) }
    ),
    check!(
        "contacts.updated_at.stale",
        "contacts",
        Freshness,
        Low,
        "contacts not updated in two years (people change e-mail about that often)",
        None,
        |c| { sql_rows(c, "contacts", Failing::StaleContacts,) }
    ),
    check!(
        "contacts.form_resubmission",
        "contacts",
        Uniqueness,
        Medium,
        "the same person created again within 15 minutes (a form sent twice)",
        Some("merge into the first record"),
        |c| { sql_rows(c, "contacts", Failing::FormsSentTwice) }
    ),
    check!(
        "deals.owner.unresolved",
        "deals",
        Integrity,
        Medium,
        "deals whose owner an import could not find, kept as text, with the nearest user",
        Some("link the deal to the suggested user"),
        |c| unresolved_rows(c, "deals.owner.unresolved")
    ),
    check!(
        "deals.company.unresolved",
        "deals",
        Integrity,
        Medium,
        "deals whose company an import could not find, kept as text, with the nearest company",
        Some("link the deal to the suggested company"),
        |c| unresolved_rows(c, "deals.company.unresolved")
    ),
    check!(
        "deals.contact.unresolved",
        "deals",
        Integrity,
        Medium,
        "deals whose contact an import could not find, kept as text, with the nearest contact",
        Some("link the deal to the suggested contact"),
        |c| unresolved_rows(c, "deals.contact.unresolved")
    ),
    check!(
        "deals.product.unresolved",
        "deals",
        Integrity,
        Medium,
        "deals whose product an import could not find, kept as text, with the nearest product",
        Some("link the deal to the suggested product"),
        |c| unresolved_rows(c, "deals.product.unresolved")
    ),
    check!(
        "deals.campaign.unresolved",
        "deals",
        Integrity,
        Low,
        "deals whose campaign an import could not find, kept as text, with the nearest campaign",
        Some("link the deal to the suggested campaign"),
        |c| unresolved_rows(c, "deals.campaign.unresolved")
    ),
    check!(
        "contacts.company.unresolved",
        "contacts",
        Integrity,
        Medium,
        "contacts whose company an import could not find, kept as text, with the nearest company",
        Some("link the contact to the suggested company"),
        |c| unresolved_rows(c, "contacts.company.unresolved")
    ),
    check!(
        "contacts.owner.unresolved",
        "contacts",
        Integrity,
        Low,
        "contacts whose owner an import could not find, kept as text, with the nearest user",
        Some("link the contact to the suggested user"),
        |c| unresolved_rows(c, "contacts.owner.unresolved")
    ),
    check!(
        "companies.owner.unresolved",
        "companies",
        Integrity,
        Low,
        "companies whose owner an import could not find, kept as text, with the nearest user",
        Some("link the company to the suggested user"),
        |c| unresolved_rows(c, "companies.owner.unresolved")
    ),
];

/// A reference an import keeps as text in `custom.unresolved` when it finds no row.
#[derive(Debug)]
pub struct Unresolved {
    pub check: &'static str,
    pub entity: &'static str,
    /// The key under `custom.unresolved` (the mapping's reference name).
    key: &'static str,
    /// The id column a fix fills.
    pub column: &'static str,
    /// The table referenced.
    to: &'static str,
}

/// Every reference an import may keep as text, in the order of their checks.
pub const UNRESOLVED: [Unresolved; 8] = [
    Unresolved {
        check: "deals.owner.unresolved",
        entity: "deals",
        key: "owner",
        column: "owner_id",
        to: "users",
    },
    Unresolved {
        check: "deals.company.unresolved",
        entity: "deals",
        key: "company",
        column: "company_id",
        to: "companies",
    },
    Unresolved {
        check: "deals.contact.unresolved",
        entity: "deals",
        key: "contact",
        column: "contact_id",
        to: "contacts",
    },
    Unresolved {
        check: "deals.product.unresolved",
        entity: "deals",
        key: "product",
        column: "product_id",
        to: "products",
    },
    Unresolved {
        check: "deals.campaign.unresolved",
        entity: "deals",
        key: "campaign",
        column: "campaign_id",
        to: "campaigns",
    },
    Unresolved {
        check: "contacts.company.unresolved",
        entity: "contacts",
        key: "company",
        column: "company_id",
        to: "companies",
    },
    Unresolved {
        check: "contacts.owner.unresolved",
        entity: "contacts",
        key: "owner",
        column: "owner_id",
        to: "users",
    },
    Unresolved {
        check: "companies.owner.unresolved",
        entity: "companies",
        key: "owner",
        column: "owner_id",
        to: "users",
    },
];

/// Rows whose reference `r` is kept as text and still links nothing, each with the id of
/// the record its text nearly names as the fix: the same letters and digits whatever the
/// case, spaces and punctuation (`ProMax` for `Pro Max`), else a near-miss of one name (not
/// searched among contacts, whose names repeat).
fn unresolved_rows(ctx: &Context<'_>, check: &str) -> Outcome {
    let r = UNRESOLVED
        .iter()
        .find(|r| r.check == check)
        .expect("every unresolved check has its reference");
    let found = ctx.store.unresolved(r.entity, r.key, r.column)?;
    let (total, mut rows) = (audited(ctx, r.entity)?, rows_of(found));
    if rows.is_empty() {
        // Most stores have none: the names of a million contacts are not worth reading.
        return Ok((total, rows));
    }
    let targets = ctx.store.live_names(r.to)?;
    let mut by_letters: HashMap<String, i64> = HashMap::new();
    let mut listed: Vec<(String, i64)> = Vec::new();
    let mut name_of: HashMap<i64, &str> = HashMap::new();
    for target in &targets {
        let (id, Some(name)) = (target.id, target.name.as_deref()) else {
            continue;
        };
        by_letters.entry(labels::normalise(name)).or_insert(id);
        name_of.insert(id, name);
        if r.to != "contacts" {
            listed.push((name.to_owned(), id));
        }
    }
    let candidates: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    for row in &mut rows {
        let text = row.value.as_str().unwrap_or_default();
        let id = by_letters
            .get(&labels::normalise(text))
            .copied()
            .or_else(|| {
                let name = near_miss(text, &candidates)?;
                listed.iter().find(|(n, _)| n == name).map(|(_, id)| *id)
            });
        row.fix = id.map(|id| id.to_string());
        row.fix_shown = id.map(|id| format!("{} (#{id})", name_of.get(&id).unwrap_or(&"?")));
    }
    Ok((total, rows))
}

/// Rows of `entity` the audit reads (its live ones), the denominator of its checks.
fn audited(ctx: &Context<'_>, entity: &'static str) -> Result<u64, AuditError> {
    if let Some(&rows) = ctx.audited.borrow().get(entity) {
        return Ok(rows);
    }
    let rows = ctx.store.audited_rows(entity)?;
    ctx.audited.borrow_mut().insert(entity, rows);
    Ok(rows)
}

/// Failing rows in id order: the samples shown are the same on every run and engine,
/// whatever order a join handed the rows back in.
fn rows_of(found: Vec<Judged>) -> Vec<Sample> {
    let mut rows: Vec<Sample> = found
        .into_iter()
        .map(|row| Sample {
            id: row.id,
            value: row.value,
            fix: None,
            fix_shown: None,
        })
        .collect();
    rows.sort_by_key(|sample| sample.id);
    rows
}

/// The rows of `entity` that a condition written in SQL fails.
fn sql_rows(ctx: &Context<'_>, entity: &'static str, condition: Failing) -> Outcome {
    let found = ctx.store.failing(condition, ctx.as_of)?;
    Ok((audited(ctx, entity)?, rows_of(found)))
}

/// Rows whose text in `column` `judge` fails (`Some(fix)`).
fn rust_rows(
    ctx: &Context<'_>,
    entity: &'static str,
    column: &'static str,
    judge: impl Fn(&str) -> Option<Option<String>>,
) -> Outcome {
    let filled = ctx.store.filled(entity, column, false)?;
    judged_rows(ctx, entity, filled, |row| judge(row.value.as_str()?))
}

/// Rows of `found` that `judge` fails (`Some(fix)`).
fn judged_rows(
    ctx: &Context<'_>,
    entity: &'static str,
    found: Vec<Judged>,
    judge: impl Fn(&Judged) -> Option<Option<String>>,
) -> Outcome {
    let mut rows: Vec<Sample> = found
        .into_iter()
        .filter_map(|row| {
            let fix = judge(&row)?;
            Some(Sample {
                id: row.id,
                value: row.value,
                fix,
                fix_shown: None,
            })
        })
        .collect();
    rows.sort_by_key(|sample| sample.id);
    Ok((audited(ctx, entity)?, rows))
}

/// Addresses with bad syntax, a domain cut short of a known one (`acme.com` for
/// `acme.com.ar`), or an unknown suffix that is not a typo of a known domain.
fn invalid_emails(ctx: &Context<'_>) -> Outcome {
    let known = ctx.known()?;
    rust_rows(ctx, "contacts", "email", |address| {
        if email::syntax_problem(address).is_some() {
            return Some(None);
        }
        let domain = email::domain(address)?;
        if known.set.contains(&domain) {
            return None;
        }
        let cut_short = known.truncations.contains(&domain);
        let typo = known.correction(&domain).is_some();
        (cut_short || (!email::has_real_suffix(&domain) && !typo)).then_some(None)
    })
}

/// Addresses whose domain is not known but is a keystroke or two from one that is.
fn typo_domains(ctx: &Context<'_>) -> Outcome {
    let known = ctx.known()?;
    rust_rows(ctx, "contacts", "email", |address| {
        if email::syntax_problem(address).is_some() {
            return None;
        }
        let domain = email::domain(address)?;
        if known.set.contains(&domain) || known.truncations.contains(&domain) {
            return None;
        }
        let correction = known.correction(&domain)?;
        let (local, _) = address.rsplit_once('@')?;
        Some(Some(format!("{local}@{correction}")))
    })
}

/// Domains taken as real: free-mail providers, the companies' own domains, and any other
/// domain three or more contacts use unless it is a near-miss of one of those (a typo
/// repeated is still a typo).
#[derive(Debug)]
struct KnownDomains {
    set: HashSet<String>,
    /// Known domains by their first two characters: a typo rarely hits both, and comparing
    /// against a bucket instead of every company keeps a million addresses fast.
    buckets: HashMap<String, Vec<String>>,
    /// Known domains with trailing labels cut off (`acme.com` from `acme.com.ar`).
    truncations: HashSet<String>,
    /// Corrections already worked out, per unknown domain.
    cache: std::cell::RefCell<HashMap<String, Option<String>>>,
}

impl KnownDomains {
    fn read(store: &Store) -> Result<KnownDomains, AuditError> {
        let mut known = KnownDomains {
            set: HashSet::new(),
            buckets: HashMap::new(),
            truncations: HashSet::new(),
            cache: Default::default(),
        };
        FREE_MAIL.iter().for_each(|d| known.insert(d));
        let companies = store.company_domains()?;
        companies.iter().for_each(|d| known.insert(d));
        let used = store.email_domains_used(3)?;
        let frequent: Vec<&str> = used
            .iter()
            .map(String::as_str)
            .filter(|d| {
                !known.set.contains(*d)
                    && known.correction(d).is_none()
                    && !known.truncations.contains(*d)
            })
            .collect();
        frequent.into_iter().for_each(|d| known.insert(d));
        known.cache.borrow_mut().clear();
        Ok(known)
    }

    fn insert(&mut self, domain: &str) {
        if self.set.insert(domain.to_owned()) {
            self.buckets
                .entry(bucket(domain))
                .or_default()
                .push(domain.to_owned());
            let mut cut = domain;
            while let Some((head, _)) = cut.rsplit_once('.') {
                if head.contains('.') {
                    self.truncations.insert(head.to_owned());
                }
                cut = head;
            }
        }
    }

    /// The known domain `domain` is likely a typo of.
    fn correction(&self, domain: &str) -> Option<String> {
        if let Some(hit) = self.cache.borrow().get(domain) {
            return hit.clone();
        }
        let candidates = self
            .buckets
            .get(&bucket(domain))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let found = email::likely_correction(domain, candidates.iter().map(String::as_str))
            .map(str::to_owned);
        self.cache
            .borrow_mut()
            .insert(domain.to_owned(), found.clone());
        found
    }
}

fn bucket(domain: &str) -> String {
    domain.chars().take(2).collect()
}

/// Phones judged for their record's country.
fn phone_rows(
    ctx: &Context<'_>,
    entity: &'static str,
    keep: impl Fn(Verdict) -> Option<Option<String>>,
) -> Outcome {
    let phones = ctx.store.filled(entity, "phone", true)?;
    judged_rows(ctx, entity, phones, |row| {
        keep(phone::judge(row.value.as_str()?, row.country.as_deref()))
    })
}

/// Values of `column` that are negative or absurdly large, judged on the orders of magnitude
/// (log10) of the column's non-zero values, since zeros are not a scale and amounts are
/// heavy-tailed: absurd is three orders of magnitude above the non-zero median, or at least
/// one order above it with a modified z-score over 3.5 (Iglewicz and Hoaglin's outlier
/// threshold: the distance from the median over 1.4826 × the median absolute deviation).
/// `entity` and `column` are literals of the checks above, never user input.
fn absurd_rows(ctx: &Context<'_>, entity: &'static str, column: &'static str) -> Outcome {
    let found = ctx.store.absurd(entity, column)?;
    Ok((audited(ctx, entity)?, rows_of(found)))
}

fn canonical_sources() -> Vec<&'static str> {
    LeadSource::ALL.iter().map(|s| s.as_str()).collect()
}

/// Every canonical spelling of one of the model's labels.
fn labels_of<L: Label>() -> Vec<&'static str> {
    L::ALL.iter().map(|l| l.as_str()).collect()
}

/// Each label of `column` in live rows of `entity`, with how many rows use it.
fn used_labels(
    store: &Store,
    entity: &'static str,
    column: &'static str,
) -> Result<Vec<(String, u64)>, AuditError> {
    Ok(store
        .label_uses(entity, column)?
        .into_iter()
        .map(|used| (used.label, used.uses))
        .collect())
}

/// The contacts' lead sources the audit fails as misspellings (`contacts.lead_source.label`,
/// where no labels are declared), each with the label meant: for reports to name them as
/// what they are ("Socail — probably social") rather than as sources of their own.
pub fn misspelt_lead_sources(store: &Store) -> Result<HashMap<String, String>, AuditError> {
    let declared = store.declared_labels("contacts.lead_source")?;
    let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
    let used = used_labels(store, "contacts", "lead_source")?;
    if !declared.is_empty() {
        return Ok(used
            .iter()
            .filter(|(label, _)| !declared.contains(&label.as_str()))
            .filter_map(|(label, _)| Some((label.clone(), near_miss(label, &declared)?.to_owned())))
            .collect());
    }
    Ok(labels::inconsistent(&used, &canonical_sources(), Vocabulary::Open).0)
}

/// Labels of `column` that are inconsistent, with the label meant: a misspelling of one of
/// `canonical` (whether or not the data uses it), or a near-miss — misspelt, or cased and
/// spaced otherwise — of a label the data uses more (canonical labels first). A vocabulary of
/// the user's own, used consistently, fails nothing: it is said once, in the finding's note.
/// Where the user declared the field's labels (an import mapping's `[file.values]`), every
/// other value fails, with the declared label it nearly spells. `entity` and `column` are
/// literals of the checks above, never user input.
fn label_rows(
    ctx: &Context<'_>,
    entity: &'static str,
    column: &'static str,
    what: &str,
    canonical: &[&str],
    vocabulary: Vocabulary,
) -> Outcome {
    let field = format!("{entity}.{column}");
    let mapped = ctx.store.declared_labels(&field)?;
    let mut declared: Vec<&str> = mapped.iter().map(String::as_str).collect();
    declared.extend(
        ctx.declared
            .get(&field)
            .into_iter()
            .flatten()
            .map(String::as_str),
    );
    let used = used_labels(ctx.store, entity, column)?;
    // Each label is judged once, then the rows of those that fail are read.
    let failing: HashMap<String, Option<String>> = if declared.is_empty() {
        inconsistent_labels(ctx, &used, column, what, canonical, vocabulary)
            .into_iter()
            .map(|(label, fix)| (label, Some(fix)))
            .collect()
    } else {
        // The user said which labels there are: any other is wrong.
        used.iter()
            .filter(|(label, _)| !declared.contains(&label.as_str()))
            .map(|(label, _)| {
                (
                    label.clone(),
                    near_miss(label, &declared).map(str::to_owned),
                )
            })
            .collect()
    };
    let labels: Vec<&str> = failing.keys().map(String::as_str).collect();
    let rows = ctx.store.labelled(entity, column, &labels)?;
    judged_rows(ctx, entity, rows, |row| {
        failing.get(row.value.as_str()?).cloned()
    })
}

/// The labels of `used` that are variants of another, each with the label meant; a
/// vocabulary of the user's own used consistently is said in a note.
fn inconsistent_labels(
    ctx: &Context<'_>,
    used: &[(String, u64)],
    column: &str,
    what: &str,
    canonical: &[&str],
    vocabulary: Vocabulary,
) -> HashMap<String, String> {
    let (strays, own) = labels::inconsistent(used, canonical, vocabulary);
    if !own.is_empty() {
        let mut named: Vec<&str> = own.iter().take(6).map(String::as_str).collect();
        if own.len() > named.len() {
            named.push("…");
        }
        ctx.inform(format!(
            "{what} use {} labels of their own, not Embudo's ({}): used consistently, they are kept as they are and reports show them; map them onto Embudo's labels with [file.values.{column}] in an import mapping to compare them with Embudo's, or declare yours under [labels] in embudo.toml to fail every other",
            own.len(),
            named.join(", ")
        ));
    }
    strays
}

/// Countries that are not ISO 3166-1 codes or the names of a country: a misspelt name with
/// the name meant (`Argentinia` → `Argentina`), even when the data never spells it right; a
/// code miswritten with the code (`es`, `U.S.` → `ES`, `US`); and, among values used by at
/// most 1% of the rows, the rest, with the frequent value they nearly spell if any. A
/// country written as its name (`Kenya`, `United States`, `España`) is a country.
fn country_rows(ctx: &Context<'_>, entity: &'static str) -> Outcome {
    let counts = ctx.store.label_uses(entity, "country")?;
    let total: u64 = counts.iter().map(|c| c.uses).sum();
    let frequent: Vec<&str> = counts
        .iter()
        .filter(|c| c.uses as f64 > 0.01 * total as f64)
        .map(|c| c.label.as_str())
        .collect();
    let strays: HashMap<&str, Option<String>> = counts
        .iter()
        .map(|c| c.label.as_str())
        .filter_map(|v| {
            let fix = match vocab::country(v) {
                vocab::Country::Code | vocab::Country::Named(_) => return None,
                vocab::Country::Misspelt(name) => Some(name),
                vocab::Country::Unknown => {
                    let spelt = labels::normalise(v).to_ascii_uppercase();
                    if vocab::country(&spelt) == vocab::Country::Code {
                        Some(spelt)
                    } else if frequent.contains(&v) {
                        return None;
                    } else {
                        near_miss(v, &frequent).map(str::to_owned)
                    }
                }
            };
            Some((v, fix))
        })
        .collect();
    rust_rows(ctx, entity, "country", |value| strays.get(value).cloned())
}

/// Regions of the United States and Spain a slip or two from a state, province or community
/// (`Pensylvania`, `Valenica`), judged by each row's country, with the name meant. A region
/// near none is left alone: it may be a smaller place the lists do not hold.
fn region_rows(ctx: &Context<'_>, entity: &'static str) -> Outcome {
    let distinct = ctx.store.places(entity)?;
    let misspelt: HashMap<(String, String), String> = distinct
        .into_iter()
        .filter_map(|place| match vocab::region(&place.country, &place.region) {
            vocab::Region::Misspelt(name) => Some(((place.country, place.region), name)),
            _ => None,
        })
        .collect();
    if misspelt.is_empty() {
        return Ok((audited(ctx, entity)?, Vec::new()));
    }
    let regions = ctx.store.filled(entity, "region", true)?;
    judged_rows(ctx, entity, regions, |row| {
        let key = (row.country.clone()?, row.value.as_str()?.to_owned());
        misspelt.get(&key).map(|name| Some(name.clone()))
    })
}

/// Currencies that are not ISO 4217 codes, with the code meant where the vocabulary knows it
/// (`usd`, `Euro`, `€`, `UDS`); an unknown one has no fix, since its amounts cannot be
/// compared with any other.
fn currency_rows(ctx: &Context<'_>, entity: &'static str) -> Outcome {
    // A store holds a handful of currencies: each is judged once, and rows are read only
    // when one fails.
    let distinct = ctx.store.distinct_values(entity, "currency")?;
    let failing: HashMap<String, Option<String>> = distinct
        .iter()
        .filter_map(|value| {
            let fix = match vocab::currency(value) {
                vocab::Currency::Code => return None,
                vocab::Currency::Written(code) | vocab::Currency::Misspelt(code) => {
                    Some(code.to_owned())
                }
                vocab::Currency::Unknown => None,
            };
            Some((value.to_owned(), fix))
        })
        .collect();
    if failing.is_empty() {
        return Ok((audited(ctx, entity)?, Vec::new()));
    }
    rust_rows(ctx, entity, "currency", |value| failing.get(value).cloned())
}

/// Rows of a small reference table whose name near-duplicates a more used one of their
/// group; the fix names the row to keep.
fn near_duplicate_names(ctx: &Context<'_>, table: Reference) -> Outcome {
    let rows: Vec<Named> = ctx.store.reference_uses(table)?;
    let names: HashMap<i64, &str> = rows.iter().map(|r| (r.id, r.name.as_str())).collect();
    let samples = near_duplicates(&rows)
        .into_iter()
        .map(|(id, keep)| Sample {
            id,
            value: serde_json::Value::from(names[&id]),
            fix: Some(keep),
            fix_shown: None,
        })
        .collect();
    Ok((audited(ctx, table.table())?, samples))
}

/// The check that finds a defect of `kind` in `entity.field`, as the generator's truth file
/// names them.
pub fn check_for(entity: &str, field: &str, kind: &str) -> Option<&'static str> {
    Some(match (entity, field, kind) {
        ("contacts", "email", "invalid_email") => "contacts.email.invalid",
        ("contacts", "email", "typo_domain") => "contacts.email.typo_domain",
        ("contacts", "phone", "bad_phone") => "contacts.phone.invalid",
        ("companies", "phone", "bad_phone") => "companies.phone.invalid",
        ("contacts", "lead_source", "mistyped_label") => "contacts.lead_source.label",
        ("deals", "source", "mistyped_label") => "deals.source.label",
        ("companies", "industry", "mistyped_label") => "companies.industry.label",
        ("contacts", "company_id", "orphan_reference") => "contacts.company_id.orphan",
        ("deals", "contact_id", "orphan_reference") => "deals.contact_id.orphan",
        ("activities", "deal_id", "orphan_reference") => "activities.deal_id.orphan",
        ("contacts", "birth_date", "impossible_date") => "contacts.birth_date.future",
        ("deals", "closed_at", "impossible_date") => "deals.closed_at.before_created",
        ("deals", "expected_close_date", "impossible_date") => {
            "deals.expected_close_date.before_created"
        }
        ("contacts", "updated_at", "stale") => "contacts.updated_at.stale",
        _ => return None,
    })
}

/// Run every check, or those whose id starts with `only`, on `entity` if given.
pub fn run(
    ctx: &Context<'_>,
    entity: Option<&str>,
    only: Option<&str>,
) -> Result<Vec<Finding>, AuditError> {
    let selected: Vec<&Check> = CHECKS
        .iter()
        .filter(|c| entity.is_none_or(|e| c.entity == e))
        .filter(|c| only.is_none_or(|id| c.id == id))
        .collect();
    if selected.is_empty() {
        let ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        return Err(AuditError::Invalid(format!(
            "no such check or entity; checks are {}",
            ids.join(", ")
        )));
    }
    selected.into_iter().map(|check| check.run(ctx)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique() {
        let ids: HashSet<&str> = CHECKS.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), CHECKS.len());
    }
}
