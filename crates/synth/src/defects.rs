//! Deliberate data defects, each recorded in the truth file.
//!
//! A record is picked with probability `--defects` and then given one defect, so the rate
//! is the share of records that are wrong in some way, as an auditor would count it.

use crate::clock::{Clock, after_days};
use crate::org::ascii;
use crate::truth::{Truth, timestamp_text};
use crate::vocab::{COUNTRIES, FIRST_NAMES, FREE_MAIL, LEAD_SOURCE_TYPOS};
use crate::world::ContactPlan;
use chrono::{Datelike, TimeDelta};
use embudo_model::entities::{Company, Contact, Date, Timestamp};
use embudo_model::{Id, Label, labels::LifecycleStage};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

const BAD_PHONES: &[&str] = &["12345", "000-000-0000", "N/A", "555-CALL-NOW", "+1", "tel"];

pub fn bad_phone(rng: &mut ChaCha8Rng) -> &'static str {
    BAD_PHONES[rng.random_range(0..BAD_PHONES.len())]
}

/// Another row for the same company: a legal-suffix variant or a misspelling, entered later.
pub fn company_duplicate(
    original: &Company,
    base: &str,
    country: usize,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
) -> Company {
    let (suffix, variant) = COUNTRIES[country].suffixes[0];
    let name = match rng.random_range(0..4) {
        0 => format!("{base} {variant}"),
        1 => format!("{}, {suffix}", base.to_uppercase()),
        2 => format!("{} {suffix}", swap_letters(base, rng)),
        _ => base.to_owned(),
    };
    let mut duplicate = original.clone();
    duplicate.name = name;
    if rng.random_bool(0.3) {
        duplicate.domain = original.domain.as_ref().map(|d| format!("www.{d}"));
    }
    duplicate.created_at = clock.between(original.created_at.max(clock.start), clock.now, rng);
    duplicate.updated_at = duplicate.created_at;
    duplicate
}

/// `text` with two neighbouring letters swapped, a typical typing slip.
fn swap_letters(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let letters: Vec<usize> = (1..chars.len().saturating_sub(1))
        .filter(|&i| {
            chars[i].is_alphabetic() && chars[i + 1].is_alphabetic() && chars[i] != chars[i + 1]
        })
        .collect();
    if let Some(&i) = letters.get(rng.random_range(0..letters.len().max(1))) {
        chars.swap(i, i + 1);
    }
    chars.into_iter().collect()
}

/// What went wrong with one contact.
pub enum ContactDefect {
    /// A second row for the same person (id assigned by the caller).
    Duplicate(Box<Contact>),
    /// One field holds a wrong value.
    Field(FieldChange),
    /// The drawn defect does not apply to this contact.
    None,
}

/// A wrong value in one contact field.
pub struct FieldChange {
    field: &'static str,
    kind: &'static str,
    value: FieldValue,
}

enum FieldValue {
    Text(String),
    Time(Timestamp),
    Day(Date),
    Id(Id),
}

impl FieldChange {
    /// Put the wrong value into `contact` and record it.
    pub fn apply(self, contact: &mut Contact, truth: &mut Truth) {
        let original: Value = match self.field {
            "email" => contact.email.clone().into(),
            "phone" => contact.phone.clone().into(),
            "lead_source" => contact.lead_source.clone().into(),
            "updated_at" => timestamp_text(contact.updated_at).into(),
            "birth_date" => contact.birth_date.map(|d| d.to_string()).into(),
            "company_id" => contact.company_id.into(),
            other => unreachable!("no contact defect touches {other}"),
        };
        let value: Value = match &self.value {
            FieldValue::Text(text) => text.clone().into(),
            FieldValue::Time(t) => timestamp_text(*t).into(),
            FieldValue::Day(d) => d.to_string().into(),
            FieldValue::Id(id) => (*id).into(),
        };
        truth.defect(
            "contacts", contact.id, self.field, self.kind, original, value,
        );
        match (self.field, self.value) {
            ("email", FieldValue::Text(t)) => contact.email = Some(t),
            ("phone", FieldValue::Text(t)) => contact.phone = Some(t),
            ("lead_source", FieldValue::Text(t)) => contact.lead_source = Some(t),
            ("updated_at", FieldValue::Time(t)) => contact.updated_at = t,
            ("birth_date", FieldValue::Day(d)) => contact.birth_date = Some(d),
            ("company_id", FieldValue::Id(id)) => contact.company_id = Some(id),
            _ => unreachable!("field and value kinds are paired above"),
        }
    }
}

fn change(field: &'static str, kind: &'static str, value: FieldValue) -> ContactDefect {
    ContactDefect::Field(FieldChange { field, kind, value })
}

/// Draw one defect for `contact`.
pub fn contact_defect(
    contact: &Contact,
    plan: &ContactPlan,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
) -> ContactDefect {
    let email = contact.email.clone().unwrap_or_default();
    let (local, domain) = email.split_once('@').unwrap_or((&email, ""));
    match rng.random_range(0..100) {
        0..30 => ContactDefect::Duplicate(Box::new(duplicate(contact, plan, clock, rng))),
        30..40 => {
            // The same form submitted twice, minutes apart.
            let mut twin = contact.clone();
            twin.created_at = contact.created_at + TimeDelta::minutes(rng.random_range(1..10));
            twin.lead_at = contact.lead_at.map(|_| twin.created_at);
            strip_history(&mut twin, plan);
            ContactDefect::Duplicate(Box::new(twin))
        }
        40..52 => {
            let broken = match rng.random_range(0..4) {
                0 => format!(
                    "{local}@{}",
                    domain.rsplit_once('.').map_or(domain, |(d, _)| d)
                ),
                1 => format!("{local}.{domain}"),
                2 => format!(
                    "{} {}@{domain}",
                    &local[..local.len() / 2],
                    &local[local.len() / 2..]
                ),
                _ => format!("{local}@@{domain}"),
            };
            change("email", "invalid_email", FieldValue::Text(broken))
        }
        52..62 => match FREE_MAIL.iter().find(|(good, _)| *good == domain) {
            Some((_, typo)) => change(
                "email",
                "typo_domain",
                FieldValue::Text(format!("{local}@{typo}")),
            ),
            None => change(
                "email",
                "typo_domain",
                FieldValue::Text(format!("{local}@{domain}m")),
            ),
        },
        62..72 => change(
            "phone",
            "bad_phone",
            FieldValue::Text(bad_phone(rng).to_owned()),
        ),
        72..80 => {
            let typo = LEAD_SOURCE_TYPOS[rng.random_range(0..LEAD_SOURCE_TYPOS.len())];
            change(
                "lead_source",
                "mistyped_label",
                FieldValue::Text(typo.to_owned()),
            )
        }
        80..90
            if contact.created_at < clock.now - TimeDelta::days(2 * 365)
                && contact.updated_at > contact.created_at =>
        {
            // Nobody touched the record since it was created.
            change("updated_at", "stale", FieldValue::Time(contact.created_at))
        }
        90..95 => {
            let year = clock.now.year() + rng.random_range(1..30);
            let day = Date::from_ymd_opt(year, rng.random_range(1..13), rng.random_range(1..29))
                .expect("valid day");
            change("birth_date", "impossible_date", FieldValue::Day(day))
        }
        95..100 if contact.company_id.is_some() => {
            // Points at a company id that was never created.
            change(
                "company_id",
                "orphan_reference",
                FieldValue::Id(900_000_000 + contact.id),
            )
        }
        _ => ContactDefect::None,
    }
}

/// The same person entered again later, spelt differently.
fn duplicate(
    contact: &Contact,
    plan: &ContactPlan,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
) -> Contact {
    let mut twin = contact.clone();
    let first = contact.first_name.clone().unwrap_or_default();
    let last = contact.last_name.clone().unwrap_or_default();
    let email = contact.email.clone().unwrap_or_default();
    match rng.random_range(0..7) {
        0 => {
            twin.first_name = Some(format!(" {}", first.to_uppercase()));
            twin.last_name = Some(format!("{last} "));
            twin.email = Some(email.to_uppercase());
        }
        1 => {
            twin.first_name = Some(ascii(&first));
            twin.last_name = Some(ascii(&last));
        }
        2 => twin.last_name = Some(swap_letters(&last, rng)),
        3 => {
            let (local, domain) = email.split_once('@').unwrap_or((&email, ""));
            twin.email = Some(if domain == "gmail.com" {
                format!("{}@gmail.com", local.replace('.', ""))
            } else {
                format!("{local}+crm@{domain}")
            });
        }
        4 => {
            twin.phone = contact
                .phone
                .as_ref()
                .map(|p| p.chars().filter(char::is_ascii_digit).collect());
        }
        5 => {
            let nickname = FIRST_NAMES
                .iter()
                .find(|(name, _)| *name == first)
                .and_then(|(_, nick)| *nick);
            twin.first_name = Some(nickname.unwrap_or(&first).to_owned());
        }
        _ => {
            twin.first_name = Some(last);
            twin.last_name = Some(first);
        }
    }
    let later = after_days(contact.created_at, rng.random_range(1.0..200.0));
    twin.created_at = if later < clock.now {
        later
    } else {
        contact.created_at + TimeDelta::hours(1)
    };
    twin.lead_at = contact.lead_at.map(|_| twin.created_at);
    strip_history(&mut twin, plan);
    twin
}

/// A duplicate row has none of the original's revenue or deals.
fn strip_history(twin: &mut Contact, plan: &ContactPlan) {
    twin.customer_at = None;
    twin.referred_by_contact_id = None;
    twin.updated_at = twin.created_at;
    let stage = if plan.lead_at.is_some() {
        LifecycleStage::Lead
    } else {
        LifecycleStage::Subscriber
    };
    twin.lifecycle_stage = Some(stage.as_str().to_owned());
}
