//! Contacts from sources that know no e-mail and no phone: event attendee lists, paper
//! forms typed in, an old system's customer file. Each person has a name and a postal
//! address (and, in the old system, often a birth date); some were entered more than once,
//! each copy through a corruption model of how such records really go wrong:
//!
//! - **typing errors**: two neighbouring letters swapped, one dropped, one doubled, or one
//!   struck on the key beside it (QWERTY);
//! - **phonetic misspellings**: a sound written another way (`ph`/`f`, `c`/`k`, `y`/`i`,
//!   `ll`/`y`, `v`/`b`, `z`/`s`, `th`/`t`, `ck`/`k`, `qu`/`k`);
//! - **OCR confusions** of scanned forms: `rn`/`m`, `cl`/`d`, `vv`/`w`, `li`/`h`, `e`/`c`,
//!   `l`/`I`;
//! - **abbreviations** of the street type (`Street`/`St`, `Avenue`/`Ave`, `Calle`/`C/`…) and
//!   accents dropped;
//! - **swapped fields**: the given name in the surname box and back;
//! - **missing values**: no postcode, no street, no town, or only the initial of the given
//!   name;
//! - a postcode with two characters swapped, and names in capitals or with stray spaces.
//!
//! A copy gets one to three of these. Every pair of records of one person is in the truth
//! file's `duplicates.contacts`, and every record of these sources in `offline_contacts`.

use crate::accounts::{address, pick_country};
use crate::truth::Truth;
use crate::vocab::{FIRST_NAMES, LAST_NAMES};
use crate::world::{Stream, World};
use embudo_model::entities::{Address, Contact, Lifecycle, Provenance};
use embudo_model::{Id, Label, labels::LifecycleStage};
use embudo_store::{Batches, Result};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The sources, as each record's `source_system`.
const SOURCES: [&str; 3] = ["event_list", "paper_forms", "legacy_crm"];

/// One person in this many contacts comes from a source without e-mail or phone.
const SHARE: usize = 20;

/// Street types written in full and abbreviated.
const STREET_TYPES: [(&str, &str); 7] = [
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Road", "Rd"),
    ("Boulevard", "Blvd"),
    ("Calle", "C/"),
    ("Avenida", "Avda."),
    ("Paseo", "Pº"),
];

const PHONETIC: [(&str, &str); 14] = [
    ("ph", "f"),
    ("f", "ph"),
    ("c", "k"),
    ("k", "c"),
    ("y", "i"),
    ("i", "y"),
    ("ll", "y"),
    ("v", "b"),
    ("b", "v"),
    ("z", "s"),
    ("s", "z"),
    ("th", "t"),
    ("ck", "k"),
    ("qu", "k"),
];

const OCR: [(&str, &str); 9] = [
    ("rn", "m"),
    ("m", "rn"),
    ("cl", "d"),
    ("d", "cl"),
    ("vv", "w"),
    ("w", "vv"),
    ("li", "h"),
    ("e", "c"),
    ("l", "I"),
];

const KEYBOARD: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// Write the people of these sources and their copies, with ids from `first_id`.
pub fn write(world: &mut World, out: &mut Batches, first_id: Id) -> Result<()> {
    let mut rng = world.rng(Stream::Offline);
    let people = (world.sizes.contacts / SHARE).max(10);
    // Copies are a data defect: none in a clean store, more as the defect rate rises.
    let entered_again = (world.params.defect_rate * 4.0).min(0.9);
    let mut next_id = first_id;
    for _ in 0..people {
        let person = person(world, next_id, &mut rng);
        next_id += 1;
        let copies = if rng.random_bool(entered_again) {
            match rng.random_range(0..10) {
                0..6 => 1,
                6..9 => 2,
                _ => 3,
            }
        } else {
            0
        };
        let mut records = vec![person.clone()];
        for _ in 0..copies {
            let mut copy = corrupted(&person, &mut rng);
            copy.id = next_id;
            next_id += 1;
            copy.created_at = world
                .clock
                .between(person.created_at, world.clock.now, &mut rng);
            copy.updated_at = copy.created_at;
            copy.provenance.external_id = Some(copy.id.to_string());
            records.push(copy);
        }
        record_truth(&mut world.truth, &records);
        for record in &records {
            out.put(record)?;
        }
    }
    Ok(())
}

/// One person as the source first recorded them.
fn person(world: &World, id: Id, rng: &mut ChaCha8Rng) -> Contact {
    let source = SOURCES[rng.random_range(0..SOURCES.len())];
    let country = pick_country(rng);
    // Recent events and forms, and an old system moved in lately: typed in within the last
    // twenty months, so none is stale.
    let created_at = world.clock.between(
        world.clock.now - chrono::TimeDelta::days(600),
        world.clock.now,
        rng,
    );
    let birth_date = (source == "legacy_crm" && rng.random_bool(0.6)).then(|| {
        chrono::NaiveDate::from_ymd_opt(
            rng.random_range(1950..2003),
            rng.random_range(1..13),
            rng.random_range(1..29),
        )
        .expect("valid day")
    });
    Contact {
        id,
        first_name: Some(
            FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())]
                .0
                .to_owned(),
        ),
        last_name: Some(LAST_NAMES[rng.random_range(0..LAST_NAMES.len())].to_owned()),
        email: None,
        phone: None,
        title: None,
        company_id: None,
        address: address(country, rng),
        birth_date,
        owner_id: Some(world.reps[rng.random_range(0..world.reps.len())].id),
        lifecycle_stage: Some(LifecycleStage::Subscriber.as_str().to_owned()),
        lead_source: None,
        lead_at: None,
        customer_at: None,
        referred_by_contact_id: None,
        first_campaign_id: None,
        email_status: None,
        created_at,
        updated_at: world.clock.between(created_at, world.clock.now, rng),
        lifecycle: Lifecycle::default(),
        provenance: Provenance {
            source_system: Some(source.to_owned()),
            external_id: Some(id.to_string()),
        },
        custom: None,
    }
}

/// Every pair of one person's records is a duplicate pair; every record is offline.
fn record_truth(truth: &mut Truth, records: &[Contact]) {
    for (i, a) in records.iter().enumerate() {
        truth.offline_contacts.push(a.id);
        for b in &records[i + 1..] {
            truth.duplicates.contacts.push([a.id, b.id]);
        }
    }
}

/// The kinds of corruption, drawn from without repetition.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Corruption {
    Typing,
    Phonetic,
    Ocr,
    Abbreviation,
    Swapped,
    Missing,
    Postcode,
    Spacing,
}

const CORRUPTIONS: [Corruption; 8] = [
    Corruption::Typing,
    Corruption::Phonetic,
    Corruption::Ocr,
    Corruption::Abbreviation,
    Corruption::Swapped,
    Corruption::Missing,
    Corruption::Postcode,
    Corruption::Spacing,
];

/// A copy of `person` with one to three corruptions.
fn corrupted(person: &Contact, rng: &mut ChaCha8Rng) -> Contact {
    let mut copy = person.clone();
    let count = match rng.random_range(0..20) {
        0..10 => 1,
        10..17 => 2,
        _ => 3,
    };
    let mut drawn: Vec<Corruption> = Vec::new();
    while drawn.len() < count {
        let corruption = CORRUPTIONS[rng.random_range(0..CORRUPTIONS.len())];
        if !drawn.contains(&corruption) {
            drawn.push(corruption);
        }
    }
    for corruption in drawn {
        corrupt(&mut copy, corruption, rng);
    }
    copy
}

/// Apply one corruption to `copy`; one that touches a name hits the surname seven times in
/// ten.
fn corrupt(copy: &mut Contact, corruption: Corruption, rng: &mut ChaCha8Rng) {
    let surname = rng.random_bool(0.7);
    let field = if surname {
        &mut copy.last_name
    } else {
        &mut copy.first_name
    };
    match corruption {
        Corruption::Typing => map(field, |text| typing_error(text, rng)),
        Corruption::Phonetic => map(field, |text| replaced(text, &PHONETIC, rng)),
        Corruption::Ocr => map(field, |text| replaced(text, &OCR, rng)),
        Corruption::Abbreviation => map(&mut copy.address.street, street_variant),
        Corruption::Swapped => std::mem::swap(&mut copy.first_name, &mut copy.last_name),
        Corruption::Missing => missing(copy, rng),
        Corruption::Postcode => map(&mut copy.address.postal_code, |code| swap_two(code, rng)),
        Corruption::Spacing => map(field, |text| {
            if rng.random_bool(0.5) {
                text.to_uppercase()
            } else {
                format!(" {text}  ")
            }
        }),
    }
}

fn map(field: &mut Option<String>, change: impl FnOnce(&str) -> String) {
    if let Some(text) = field {
        *text = change(text);
    }
}

/// Leave out one field a hurried form leaves out.
fn missing(copy: &mut Contact, rng: &mut ChaCha8Rng) {
    let Address {
        street,
        postal_code,
        city,
        ..
    } = &mut copy.address;
    match rng.random_range(0..4) {
        0 => *postal_code = None,
        1 => *street = None,
        2 => *city = None,
        _ => map(&mut copy.first_name, |first| {
            first
                .chars()
                .next()
                .map_or(String::new(), |c| format!("{c}."))
        }),
    }
}

/// One typing slip in `text`: two letters swapped, one dropped, doubled or struck on the
/// key beside it.
fn typing_error(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.len() < 3 {
        return text.to_owned();
    }
    let at = rng.random_range(1..chars.len() - 1);
    match rng.random_range(0..4) {
        0 => chars.swap(at, at + 1),
        1 => {
            chars.remove(at);
        }
        2 => chars.insert(at, chars[at]),
        _ => match key_beside(chars[at], rng) {
            Some(beside) => chars[at] = beside,
            None => chars.swap(at, at + 1),
        },
    }
    chars.into_iter().collect()
}

/// A letter on the key to the left or right of `letter`'s.
fn key_beside(letter: char, rng: &mut ChaCha8Rng) -> Option<char> {
    let lower = letter.to_ascii_lowercase();
    let row = KEYBOARD.iter().find(|row| row.contains(lower))?;
    let keys: Vec<char> = row.chars().collect();
    let at = keys.iter().position(|&k| k == lower)?;
    let beside = if at == 0 || (at + 1 < keys.len() && rng.random_bool(0.5)) {
        keys[at + 1]
    } else {
        keys[at - 1]
    };
    Some(if letter.is_uppercase() {
        beside.to_ascii_uppercase()
    } else {
        beside
    })
}

/// `text` with one occurrence of the first applicable rule (in a random order) replaced,
/// keeping the first letter's case; unchanged when none applies.
fn replaced(text: &str, rules: &[(&str, &str)], rng: &mut ChaCha8Rng) -> String {
    let lower = text.to_lowercase();
    let start = rng.random_range(0..rules.len());
    for step in 0..rules.len() {
        let (from, to) = rules[(start + step) % rules.len()];
        let hits: Vec<usize> = lower.match_indices(from).map(|(i, _)| i).collect();
        if hits.is_empty() {
            continue;
        }
        let at = hits[rng.random_range(0..hits.len())];
        let changed = format!("{}{to}{}", &lower[..at], &lower[at + from.len()..]);
        return capitalised(
            &changed,
            text.chars().next().is_some_and(char::is_uppercase),
        );
    }
    text.to_owned()
}

fn capitalised(text: &str, upper: bool) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if upper => first.to_uppercase().chain(chars).collect(),
        _ => text.to_owned(),
    }
}

/// The street with its type abbreviated or written out, or its accents dropped.
fn street_variant(street: &str) -> String {
    let words: Vec<&str> = street.split(' ').collect();
    for (long, short) in STREET_TYPES {
        for (from, to) in [(long, short), (short, long)] {
            if words.contains(&from) {
                let changed: Vec<&str> = words
                    .iter()
                    .map(|&w| if w == from { to } else { w })
                    .collect();
                return changed.join(" ");
            }
        }
    }
    crate::org::ascii(street)
}

/// `text` with two neighbouring characters swapped.
fn swap_two(text: &str, rng: &mut ChaCha8Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.len() >= 2 {
        let at = rng.random_range(0..chars.len() - 1);
        chars.swap(at, at + 1);
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn each_corruption_changes_what_it_says() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        assert_eq!(street_variant("12 Main St"), "12 Main Street");
        assert_eq!(street_variant("3 Calle Mayor"), "3 C/ Mayor");
        assert_eq!(street_variant("40 Gran Vía"), "40 Gran Via");
        assert_eq!(replaced("Phillips", &[("ph", "f")], &mut rng), "Fillips");
        assert_eq!(replaced("Hernández", &[("rn", "m")], &mut rng), "Hemández");
        assert_eq!(replaced("Ruiz", &[("ph", "f")], &mut rng), "Ruiz");
        for _ in 0..50 {
            let typed = typing_error("Martínez", &mut rng);
            assert_ne!(typed, "Martínez");
            assert!(typed.chars().count().abs_diff(8) <= 1, "{typed}");
        }
        assert_eq!(swap_two("28013", &mut rng).len(), 5);
    }
}
