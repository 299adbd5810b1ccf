//! Companies and contacts.
//!
//! Companies are written first; contacts are planned (who, when, from which source) before
//! the sales simulation and written after it, once their customer dates are known.

use crate::clock::after_days;
use crate::defects::{self, ContactDefect};
use crate::org::ascii;
use crate::params::{LEAD_SHARE, SOURCES};
use crate::vocab::*;
use crate::world::{CompanyPlan, ContactPlan, Stream, World};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use embudo_model::entities::*;
use embudo_model::labels::*;
use embudo_model::{Id, Label, Money};
use embudo_store::{Batches, Result};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;
use std::collections::HashSet;

pub(crate) fn pick_country(rng: &mut ChaCha8Rng) -> usize {
    let roll = rng.random::<f64>();
    let mut acc = 0.0;
    for (i, c) in COUNTRIES.iter().enumerate() {
        acc += c.share;
        if roll < acc {
            return i;
        }
    }
    0
}

/// A national number in the country's usual grouping, e.g. `+34 612 345 678`.
pub fn phone_number(country: usize, rng: &mut ChaCha8Rng) -> String {
    let Country {
        phone_prefix,
        phone_digits,
        ..
    } = COUNTRIES[country];
    let a = rng.random_range(200..999);
    let b = rng.random_range(100..999);
    // The same draws whatever the length, so a country's numbers do not move the rest of
    // the data: the last group keeps as many digits as the country needs.
    let width = (phone_digits - 6) as usize;
    let c = rng.random_range(1000..9999) % 10u32.pow(phone_digits - 6);
    format!("{phone_prefix} {a} {b} {c:0width$}")
}

pub(crate) fn address(country: usize, rng: &mut ChaCha8Rng) -> Address {
    let c = &COUNTRIES[country];
    let (city, region, postal) = c.cities[rng.random_range(0..c.cities.len())];
    Address {
        street: Some(format!(
            "{} {}",
            rng.random_range(1..400),
            street(rng.random_range(0..STREET_NAMES.len() * STREET_FORMS.len()))
        )),
        postal_code: Some(format!("{postal}{:02}", rng.random_range(0..100))),
        city: Some(city.to_owned()),
        region: Some(region.to_owned()),
        country: Some(c.code.to_owned()),
    }
}

/// Companies, with their duplicates and mistyped industries.
pub fn companies(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Companies);
    let mut defect_rng = world.rng(Stream::Defects);
    let n = world.sizes.companies;
    let mut taken = HashSet::with_capacity(n);
    let employees = LogNormal::new(3.2, 1.3).expect("valid lognormal");
    let mut duplicates = Vec::new();
    for index in 0..n {
        let id = index as Id + 1;
        let country = pick_country(&mut rng);
        let base = unique_company_name(&mut rng, &mut taken, country);
        let (suffix, _) = COUNTRIES[country].suffixes[0];
        let domain = format!(
            "{}.{}",
            base.to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>(),
            COUNTRIES[country].tld
        );
        let owner_id = world.reps[rng.random_range(0..world.reps.len())].id;
        // A third of the accounts predate the simulated history.
        let created_at = if rng.random_bool(0.3) {
            world.clock.start - TimeDelta::days(rng.random_range(1..730))
        } else {
            world.clock.busy_instant(&mut rng)
        };
        let staff = (employees.sample(&mut rng) as i32).max(1);
        let (industry, industry_typo) = INDUSTRIES[rng.random_range(0..INDUSTRIES.len())];
        let mut company = Company {
            id,
            name: format!("{base} {suffix}"),
            domain: Some(domain.clone()),
            industry: Some(industry.to_owned()),
            employees: Some(staff),
            annual_revenue: Some(Money::from_units(
                (f64::from(staff) * rng.random_range(40_000.0..220_000.0)) as i64 / 1000 * 1000,
            )),
            address: address(country, &mut rng),
            phone: Some(phone_number(country, &mut rng)),
            owner_id: Some(owner_id),
            parent_id: None,
            created_at,
            updated_at: world.clock.between(
                created_at.max(world.clock.start),
                world.clock.now,
                &mut rng,
            ),
            lifecycle: Lifecycle::default(),
            provenance: Provenance::default(),
            custom: None,
        };
        world.companies.push(CompanyPlan {
            id,
            name: base.clone(),
            country,
            domain,
            owner_id,
        });
        if defect_rng.random_bool(world.params.defect_rate) {
            match defect_rng.random_range(0..10) {
                0..=5 => duplicates.push(defects::company_duplicate(
                    &company,
                    &base,
                    country,
                    &world.clock,
                    &mut defect_rng,
                )),
                6..=8 => {
                    world.truth.defect(
                        "companies",
                        id,
                        "industry",
                        "mistyped_label",
                        industry,
                        industry_typo,
                    );
                    company.industry = Some(industry_typo.to_owned());
                }
                _ => {
                    let bad = defects::bad_phone(&mut defect_rng);
                    world.truth.defect(
                        "companies",
                        id,
                        "phone",
                        "bad_phone",
                        company.phone.clone(),
                        bad,
                    );
                    company.phone = Some(bad.to_owned());
                }
            }
        }
        out.put(&company)?;
    }
    for (offset, mut duplicate) in duplicates.into_iter().enumerate() {
        let original = duplicate.id;
        duplicate.id = (n + offset + 1) as Id;
        world
            .truth
            .duplicates
            .companies
            .push([original, duplicate.id]);
        out.put(&duplicate)?;
    }
    Ok(())
}

fn unique_company_name(
    rng: &mut ChaCha8Rng,
    taken: &mut HashSet<String>,
    country: usize,
) -> String {
    for attempt in 0.. {
        let root = COMPANY_ROOTS[rng.random_range(0..COMPANY_ROOTS.len())];
        let noun = COMPANY_NOUNS[rng.random_range(0..COMPANY_NOUNS.len())];
        let name = match (attempt, rng.random_range(0..4)) {
            (0..4, 0) => format!("{root} {noun}"),
            (0..4, 1) => {
                let second = COMPANY_ROOTS[rng.random_range(0..COMPANY_ROOTS.len())];
                format!("{root}{} {noun}", second.to_lowercase())
            }
            (0..4, 2) => format!(
                "{} {noun}",
                ascii(LAST_NAMES[rng.random_range(0..LAST_NAMES.len())])
            ),
            (0..4, _) => format!(
                "{} & {}",
                ascii(LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]),
                ascii(LAST_NAMES[rng.random_range(0..LAST_NAMES.len())])
            ),
            // Crowded name space: qualify by city, then number.
            (4..8, _) => {
                let c = &COUNTRIES[country];
                format!(
                    "{root} {noun} {}",
                    c.cities[rng.random_range(0..c.cities.len())].0
                )
            }
            _ => format!("{root} {noun} {}", rng.random_range(2..100_000)),
        };
        if taken.insert(name.clone()) {
            return name;
        }
    }
    unreachable!("the loop only ends by returning")
}

/// Decide every contact's arrival, source, company and owner.
pub fn plan(world: &mut World) {
    let mut rng = world.rng(Stream::Contacts);
    let n = world.sizes.contacts;
    let mut arrivals: Vec<NaiveDateTime> =
        (0..n).map(|_| world.clock.busy_instant(&mut rng)).collect();
    // Ids follow arrival order, as in a real CRM.
    arrivals.sort_unstable();
    let source_pick = WeightedIndex::new(SOURCES.iter().map(|s| s.1)).expect("valid weights");
    let subscriber_sources = [LeadSource::Organic, LeadSource::Email, LeadSource::Social];
    let campaigns_by_channel = |channel: CampaignChannel| -> Vec<(NaiveDateTime, Id)> {
        world
            .campaigns
            .iter()
            .filter(|c| c.channel == channel)
            .map(|c| (c.launched_at, c.id))
            .collect()
    };
    let email = campaigns_by_channel(CampaignChannel::Email);
    let paid = campaigns_by_channel(CampaignChannel::PaidAds);
    let social = campaigns_by_channel(CampaignChannel::Social);
    let events = campaigns_by_channel(CampaignChannel::Event);
    let mut contacts = Vec::with_capacity(n);
    for (index, created_at) in arrivals.into_iter().enumerate() {
        let is_lead = rng.random_bool(LEAD_SHARE);
        let source = if is_lead {
            SOURCES[source_pick.sample(&mut rng)].0
        } else {
            subscriber_sources[rng.random_range(0..subscriber_sources.len())]
        };
        let lead_at = is_lead.then(|| {
            if rng.random_bool(0.7) {
                created_at
            } else {
                after_days(created_at, rng.random_range(0.1..3.0))
            }
        });
        let company = rng
            .random_bool(0.75)
            .then(|| rng.random_range(0..world.companies.len()));
        let owner = rng.random_range(0..world.reps.len());
        let country =
            company.map_or_else(|| pick_country(&mut rng), |c| world.companies[c].country);
        let touch = lead_at.unwrap_or(created_at);
        let channel_campaigns = match source {
            LeadSource::Email => Some(&email),
            LeadSource::PaidAds => Some(&paid),
            LeadSource::Social => Some(&social),
            LeadSource::Event => Some(&events),
            _ => None,
        };
        let first_campaign_id = channel_campaigns.and_then(|list| latest_before(list, touch, 120));
        contacts.push(ContactPlan {
            id: index as Id + 1,
            created_at,
            source,
            lead_at,
            company,
            owner,
            first_name: rng.random_range(0..FIRST_NAMES.len()),
            last_name: rng.random_range(0..LAST_NAMES.len()),
            country,
            first_campaign_id,
            customer_at: None,
            has_open_deal: false,
            has_lost_deal: false,
            referred_by: None,
            last_touched: touch,
        });
    }
    world.contacts = contacts;
}

/// The campaign launched most recently before `t`, at most `days` before it.
fn latest_before(list: &[(NaiveDateTime, Id)], t: NaiveDateTime, days: i64) -> Option<Id> {
    let i = list.partition_point(|(launched, _)| *launched <= t);
    let (launched, id) = *list.get(i.checked_sub(1)?)?;
    (t - launched <= TimeDelta::days(days)).then_some(id)
}

/// Customer referrals: referral leads name the customer who sent them.
fn assign_referrers(world: &mut World, rng: &mut ChaCha8Rng) {
    let mut customers: Vec<(NaiveDateTime, Id)> = world
        .contacts
        .iter()
        .filter_map(|c| c.customer_at.map(|at| (at, c.id)))
        .collect();
    customers.sort_unstable();
    for index in 0..world.contacts.len() {
        let contact = &world.contacts[index];
        if contact.source != LeadSource::Referral || contact.lead_at.is_none() {
            continue;
        }
        let known = customers.partition_point(|(at, _)| *at <= contact.created_at);
        // Most referrers are customers by then; some are friends who never bought.
        world.contacts[index].referred_by = if known > 0 && rng.random_bool(0.85) {
            Some(customers[rng.random_range(0..known)].1)
        } else if index > 0 {
            Some(world.contacts[rng.random_range(0..index)].id)
        } else {
            None
        };
    }
}

/// Write every contact, now that sales and orders have decided who became a customer.
pub fn write(world: &mut World, out: &mut Batches) -> Result<()> {
    let mut rng = world.rng(Stream::Contacts);
    rng.set_word_pos(1 << 40);
    let mut defect_rng = world.rng(Stream::Defects);
    defect_rng.set_word_pos(1 << 40);
    assign_referrers(world, &mut rng);
    let mut referrers = HashSet::new();
    for c in &world.contacts {
        if let Some(r) = c.referred_by {
            referrers.insert(r);
        }
    }
    let mut emails: HashSet<String> = HashSet::with_capacity(world.contacts.len());
    let status_pick = WeightedIndex::new([0.9, 0.03, 0.04, 0.03]).expect("valid weights");
    let statuses = [
        EmailStatus::Valid,
        EmailStatus::Bounced,
        EmailStatus::Unsubscribed,
        EmailStatus::Unknown,
    ];
    let mut extra: Vec<Contact> = Vec::new();
    let next_duplicate_id = world.contacts.len() as Id + 1;
    for index in 0..world.contacts.len() {
        let plan = world.contacts[index].clone();
        let (first, _) = FIRST_NAMES[plan.first_name];
        let last = LAST_NAMES[plan.last_name];
        let email = unique_email(world, &plan, first, last, &mut emails, &mut rng);
        let lifecycle_stage = if plan.customer_at.is_some() {
            if referrers.contains(&plan.id) {
                LifecycleStage::Evangelist
            } else {
                LifecycleStage::Customer
            }
        } else if plan.has_open_deal {
            LifecycleStage::Opportunity
        } else if plan.has_lost_deal {
            LifecycleStage::Sql
        } else if plan.lead_at.is_some() {
            if rng.random_bool(0.4) {
                LifecycleStage::Mql
            } else {
                LifecycleStage::Lead
            }
        } else {
            LifecycleStage::Subscriber
        };
        let mut contact = Contact {
            id: plan.id,
            first_name: Some(first.to_owned()),
            last_name: Some(last.to_owned()),
            email: Some(email),
            phone: rng
                .random_bool(0.8)
                .then(|| phone_number(plan.country, &mut rng)),
            title: plan
                .company
                .map(|_| TITLES[rng.random_range(0..TITLES.len())].to_owned()),
            company_id: plan.company.map(|c| world.companies[c].id),
            address: address(plan.country, &mut rng),
            birth_date: rng.random_bool(0.4).then(|| {
                NaiveDate::from_ymd_opt(
                    rng.random_range(1955..2001),
                    rng.random_range(1..13),
                    rng.random_range(1..29),
                )
                .expect("valid day")
            }),
            owner_id: Some(world.reps[plan.owner].id),
            lifecycle_stage: Some(lifecycle_stage.as_str().to_owned()),
            lead_source: Some(plan.source.as_str().to_owned()),
            lead_at: plan.lead_at,
            customer_at: plan.customer_at,
            referred_by_contact_id: plan.referred_by,
            first_campaign_id: plan.first_campaign_id,
            email_status: Some(statuses[status_pick.sample(&mut rng)]),
            created_at: plan.created_at,
            updated_at: plan.last_touched.min(world.clock.now),
            lifecycle: Lifecycle::default(),
            provenance: Provenance::default(),
            custom: None,
        };
        if defect_rng.random_bool(world.params.defect_rate) {
            let defect = defects::contact_defect(&contact, &plan, &world.clock, &mut defect_rng);
            match defect {
                ContactDefect::Duplicate(mut duplicate) => {
                    duplicate.id = next_duplicate_id + extra.len() as Id;
                    world
                        .truth
                        .duplicates
                        .contacts
                        .push([contact.id, duplicate.id]);
                    extra.push(*duplicate);
                }
                ContactDefect::Field(change) => change.apply(&mut contact, &mut world.truth),
                ContactDefect::None => {}
            }
        }
        out.put(&contact)?;
    }
    for duplicate in &extra {
        out.put(duplicate)?;
    }
    crate::offline::write(world, out, next_duplicate_id + extra.len() as Id)
}

/// `first.last@company-domain`, or a numbered free-mail address; never one already taken.
fn unique_email(
    world: &World,
    plan: &ContactPlan,
    first: &str,
    last: &str,
    taken: &mut HashSet<String>,
    rng: &mut ChaCha8Rng,
) -> String {
    let local = format!("{}.{}", ascii(first), ascii(last))
        .to_lowercase()
        .replace(' ', "");
    let candidate = match plan.company {
        Some(c) if rng.random_bool(0.85) => format!("{local}@{}", world.companies[c].domain),
        _ => {
            let (provider, _) = FREE_MAIL[rng.random_range(0..FREE_MAIL.len())];
            format!("{local}{}@{provider}", rng.random_range(1..100))
        }
    };
    if taken.insert(candidate.clone()) {
        return candidate;
    }
    let (user, domain) = candidate.split_once('@').expect("addresses have an @");
    let mut n = 2;
    loop {
        let numbered = format!("{user}{n}@{domain}");
        if taken.insert(numbered.clone()) {
            return numbered;
        }
        n += 1;
    }
}
