//! Duplicate records: normalisation, blocking, Fellegi–Sunter scoring with m and u
//! estimated by EM, and clustering.
//!
//! 1. **Normalise** each record: case, accents, whitespace and punctuation; nicknames to
//!    their given name; Gmail dots and every `+tag`; phones to their last nine digits;
//!    company legal suffixes and `www.`.
//! 2. **Block**: only records sharing one of several cheap keys are compared (same address,
//!    same phone, same names at the same company, same address before the @, same letters
//!    of a company name, a deal's contact — or, for a deal without one, its company or owner
//!    with its name or amount…); blocks over [`MAX_BLOCK`] records are skipped.
//! 3. **Score** every candidate pair by comparing fields at several levels (equal, close,
//!    different, missing). The probability of each level among duplicates (m) is estimated
//!    by expectation–maximisation over the candidate pairs, with no labelled data; among
//!    strangers (u), from random pairs of the whole table, since blocked strangers share
//!    their blocking fields far more than strangers do. Both start from, and are drawn
//!    towards, what such fields look like in a customer list (each [`Field`]'s priors),
//!    which decide on a list too small to learn from. A missing value weighs nothing; an
//!    exact name match counts for less when the surname is common (term-frequency
//!    adjustment). A pair's probability is the posterior of being the same entity, and
//!    each field's log₂(m/u) explains it.
//! 4. **Cluster** pairs above the threshold around the member with the strongest links, so
//!    two unrelated records are never joined through a third.

use crate::AuditError;
use embudo_store::Store;
use embudo_store::duplicates::{CompanyLook, ContactLook, DealLook};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Blocks larger than this are skipped: a key that common says nothing.
pub const MAX_BLOCK: usize = 200;
/// The default probability above which a pair is a duplicate.
pub const DEFAULT_THRESHOLD: f64 = 0.9;

/// The entities the finder knows: the ones that can be merged.
pub use crate::merge::Entity;

/// The fields compared for `entity`.
fn fields(entity: Entity) -> &'static [Field] {
    match entity {
        Entity::Contacts => &CONTACT_FIELDS,
        Entity::Companies => &COMPANY_FIELDS,
        Entity::Deals => &DEAL_FIELDS,
    }
}

/// A normalised record: its id and one value per field ("" when missing).
#[derive(Debug, Clone)]
struct Record {
    id: i64,
    values: Vec<String>,
    keys: Vec<String>,
    /// A contact without a street or a postcode: the only kind paired on [`PARTIAL_KEY`]s.
    partial: bool,
}

/// Keys that pair a record only with records that are [`Record::partial`]: they reach the
/// copies whose postcode and street cannot, and on a million complete contacts would
/// compare some fifty million pairs for nothing.
const PARTIAL_KEY: &str = "si:";

/// A compared field: its name, number of levels, the level that means a value is missing
/// (if any, always the last), how two values compare, and what its levels look like before
/// the data say otherwise.
struct Field {
    name: &'static str,
    levels: usize,
    missing: Option<usize>,
    compare: fn(&str, &str) -> usize,
    /// P(level | duplicates), over the levels that are not missing: where the estimate
    /// starts, and what it is drawn towards by [`DUPLICATES_PRIOR_PAIRS`] pairs' worth.
    duplicates: &'static [f64],
    /// P(level | strangers) in a customer list, over the levels that are not missing, for
    /// fields where that is a property of people (how often strangers share a name, a
    /// street, a postcode), weighing [`STRANGERS_PRIOR_PAIRS`] pairs; `None` where only
    /// the file can tell (creation times, which one import may stamp on every row).
    strangers: Option<&'static [f64]>,
    /// What two values comparing at the first level share, `None` for a missing value:
    /// where that level is plain equality, strangers' share of it is counted over every
    /// pair of the table from how often each key occurs (see [`unrelated_levels`]).
    equal_key: Option<fn(&str) -> Option<String>>,
}

/// How many pairs of duplicates a field's prior [`Field::duplicates`] weighs: nothing
/// beside the thousands of duplicates of a real table, everything beside the three of a
/// ten-row list, whose own estimate would rest on a handful of pairs.
const DUPLICATES_PRIOR_PAIRS: f64 = 20.0;

/// How many random pairs a field's prior [`Field::strangers`] weighs: 1% of the pairs
/// drawn from a table of thousands, but forty times the 45 pairs of a ten-row list, where
/// a few duplicates among them would make a shared name look common among strangers.
const STRANGERS_PRIOR_PAIRS: f64 = 2_000.0;

const CONTACT_FIELDS: [Field; 9] = [
    Field {
        name: "email",
        levels: 4,
        missing: Some(3),
        compare: compare_email,
        duplicates: &[0.80, 0.08, 0.12],
        strangers: Some(&[0.000_001, 0.000_02, 0.999_979]),
        equal_key: Some(same_value),
    },
    Field {
        name: "name",
        levels: 6,
        missing: Some(5),
        compare: compare_person,
        duplicates: &[0.75, 0.18, 0.03, 0.02, 0.02],
        strangers: Some(&[0.000_1, 0.000_4, 0.000_5, 0.005, 0.994]),
        equal_key: Some(same_names),
    },
    Field {
        name: "phone",
        levels: 3,
        missing: Some(2),
        compare: compare_exact,
        duplicates: &[0.85, 0.15],
        strangers: Some(&[0.000_01, 0.999_99]),
        equal_key: Some(same_value),
    },
    Field {
        name: "company",
        levels: 3,
        missing: Some(2),
        compare: compare_exact,
        duplicates: &[0.9, 0.1],
        strangers: None,
        equal_key: Some(same_value),
    },
    Field {
        name: "created",
        levels: 4,
        missing: Some(3),
        compare: compare_created,
        duplicates: &[0.3, 0.4, 0.3],
        strangers: None,
        equal_key: None,
    },
    Field {
        name: "postcode",
        levels: 5,
        missing: Some(4),
        compare: compare_postcode,
        duplicates: &[0.85, 0.04, 0.04, 0.07],
        strangers: Some(&[0.01, 0.000_1, 0.02, 0.969_9]),
        equal_key: Some(same_value),
    },
    Field {
        name: "street",
        levels: 3,
        missing: Some(2),
        compare: compare_street,
        duplicates: &[0.93, 0.07],
        strangers: Some(&[0.000_5, 0.999_5]),
        equal_key: None,
    },
    Field {
        name: "town",
        levels: 3,
        missing: Some(2),
        compare: compare_town,
        duplicates: &[0.9, 0.1],
        strangers: Some(&[0.1, 0.9]),
        equal_key: None,
    },
    Field {
        name: "birth_date",
        levels: 3,
        missing: Some(2),
        compare: compare_exact,
        duplicates: &[0.9, 0.1],
        strangers: Some(&[0.000_1, 0.999_9]),
        equal_key: Some(same_value),
    },
];

const COMPANY_FIELDS: [Field; 4] = [
    Field {
        name: "domain",
        levels: 3,
        missing: Some(2),
        compare: compare_exact,
        duplicates: &[0.85, 0.15],
        strangers: Some(&[0.000_01, 0.999_99]),
        equal_key: Some(same_value),
    },
    Field {
        name: "name",
        levels: 5,
        missing: Some(4),
        compare: compare_name,
        duplicates: &[0.6, 0.25, 0.1, 0.05],
        strangers: Some(&[0.000_1, 0.001, 0.01, 0.988_9]),
        equal_key: Some(same_value),
    },
    Field {
        name: "phone",
        levels: 3,
        missing: Some(2),
        compare: compare_exact,
        duplicates: &[0.85, 0.15],
        strangers: Some(&[0.000_01, 0.999_99]),
        equal_key: Some(same_value),
    },
    Field {
        name: "place",
        levels: 3,
        missing: Some(2),
        compare: compare_exact,
        duplicates: &[0.9, 0.1],
        strangers: None,
        equal_key: Some(same_value),
    },
];

fn missing(a: &str, b: &str) -> bool {
    a.is_empty() || b.is_empty()
}

/// Deals are blocked by contact, so the contact is not compared: within a block every pair
/// shares it, and scoring it would make a customer's repeat deals look like copies.
const DEAL_FIELDS: [Field; 3] = [
    Field {
        name: "name",
        levels: 5,
        missing: Some(4),
        compare: compare_name,
        duplicates: &[0.6, 0.2, 0.1, 0.1],
        strangers: None,
        equal_key: Some(same_value),
    },
    Field {
        name: "amount",
        levels: 3,
        missing: Some(2),
        compare: compare_exact,
        duplicates: &[0.8, 0.2],
        strangers: None,
        equal_key: Some(same_value),
    },
    Field {
        name: "created",
        levels: 3,
        missing: None,
        compare: compare_created_day,
        duplicates: &[0.5, 0.3, 0.2],
        strangers: None,
        equal_key: None,
    },
];

/// 0 within a day, 1 within 60 days, 2 further apart (values are epoch seconds).
fn compare_created_day(a: &str, b: &str) -> usize {
    let (Ok(a), Ok(b)) = (a.parse::<i64>(), b.parse::<i64>()) else {
        return 2;
    };
    match (a - b).abs() {
        d if d <= 86_400 => 0,
        d if d <= 60 * 86_400 => 1,
        _ => 2,
    }
}

/// 0 equal, 1 different, 2 missing.
fn compare_exact(a: &str, b: &str) -> usize {
    if missing(a, b) {
        2
    } else if a == b {
        0
    } else {
        1
    }
}

/// 0 same address, 1 same part before the @, 2 different, 3 missing.
fn compare_email(a: &str, b: &str) -> usize {
    if missing(a, b) {
        return 3;
    }
    if a == b {
        return 0;
    }
    let local = |e: &str| e.split('@').next().unwrap_or_default().to_owned();
    if local(a) == local(b) { 1 } else { 2 }
}

/// 0 equal, 1 Jaro–Winkler ≥ 0.92, 2 ≥ 0.8, 3 different, 4 missing.
fn compare_name(a: &str, b: &str) -> usize {
    if missing(a, b) {
        return 4;
    }
    if a == b {
        return 0;
    }
    match strsim::jaro_winkler(a, b) {
        s if s >= 0.92 => 1,
        s if s >= 0.8 => 2,
        _ => 3,
    }
}

/// People's names written `given|surname`, in either order: 0 the same two names, 1 the
/// surname alike (≥ 0.84 by [`name_similarity`]) and the given name alike (≥ 0.84) or its
/// initial, 2 the given name alike and the surname only somewhat (≥ 0.7: two slips in one
/// word), 3 the surname alike and another given name (a relative), 4 different, 5 missing.
fn compare_person(a: &str, b: &str) -> usize {
    let ((first_a, last_a), (first_b, last_b)) = (given_and_surname(a), given_and_surname(b));
    if (first_a.is_empty() && last_a.is_empty()) || (first_b.is_empty() && last_b.is_empty()) {
        return 5;
    }
    let similarity = |x: &str, y: &str| {
        if x == y {
            1.0
        } else if x.is_empty() || y.is_empty() {
            0.0
        } else {
            name_similarity(x, y)
        }
    };
    let given_alike = |x: &str, y: &str| {
        let initial = |short: &str, long: &str| short.len() == 1 && long.starts_with(short);
        similarity(x, y) >= 0.84 || initial(x, y) || initial(y, x)
    };
    let level = |first_b: &str, last_b: &str| {
        let surname = similarity(last_a, last_b);
        let given = given_alike(first_a, first_b);
        if first_a == first_b && last_a == last_b {
            0
        } else if surname >= 0.84 && given {
            1
        } else if surname >= 0.7 && given {
            2
        } else if surname >= 0.84 {
            3
        } else {
            4
        }
    };
    match level(first_b, last_b) {
        0 => 0,
        straight => straight.min(level(last_b, first_b)),
    }
}

fn given_and_surname(name: &str) -> (&str, &str) {
    name.split_once('|').unwrap_or(("", name))
}

/// How alike two folded names are, 0 to 1: Jaro–Winkler, of the names as written or with
/// the letter groups a scanner confuses read alike (`rn`/`m`, `cl`/`d`, `vv`/`w`), and
/// 0.9 for names of four letters or more one typing slip apart (`luis`/`iuis`, whose first
/// letter Jaro–Winkler weighs most).
fn name_similarity(x: &str, y: &str) -> f64 {
    const SCANNED: [(&str, &str); 3] = [("rn", "m"), ("cl", "d"), ("vv", "w")];
    let mut similarity = strsim::jaro_winkler(x, y);
    if similarity < 0.98
        && SCANNED
            .iter()
            .any(|(group, _)| x.contains(group) || y.contains(group))
    {
        let read = |name: &str| {
            SCANNED
                .iter()
                .fold(name.to_owned(), |name, (group, letter)| {
                    name.replace(group, letter)
                })
        };
        let (x_read, y_read) = (read(x), read(y));
        similarity = if x_read == y_read {
            0.98
        } else {
            similarity.max(strsim::jaro_winkler(&x_read, &y_read))
        };
    }
    // One slip apart means lengths within one and a fair Jaro–Winkler already: the edit
    // distance, the dearest measure here, is only worked out then.
    if (0.7..0.9).contains(&similarity)
        && x.len().min(y.len()) >= 4
        && x.len().abs_diff(y.len()) <= 1
        && strsim::damerau_levenshtein(x, y) <= 1
    {
        similarity = 0.9;
    }
    similarity
}

/// Postcodes: 0 the same, 1 two neighbouring characters swapped (a slip that strangers'
/// codes rarely show), 2 one character changed (as neighbours' codes often are), 3
/// different, 4 missing. Compared apart from the street, so that a form that leaves the
/// street out still counts its postcode, and the street's absence weighs nothing.
fn compare_postcode(a: &str, b: &str) -> usize {
    if missing(a, b) {
        return 4;
    }
    match slip(a, b) {
        _ if a == b => 0,
        Some(Slip::Swapped) => 1,
        Some(Slip::Changed) => 2,
        None => 3,
    }
}

/// Towns written `has postcode|town`: 0 the same, 1 different, 2 missing, or both
/// records with a postcode, which the town would only repeat.
fn compare_town(a: &str, b: &str) -> usize {
    let (Some((coded_a, town_a)), Some((coded_b, town_b))) = (a.split_once('|'), b.split_once('|'))
    else {
        return 2;
    };
    if coded_a == "true" && coded_b == "true" {
        2
    } else {
        compare_exact(town_a, town_b)
    }
}

/// Streets, normalised: 0 one street ([`streets_alike`]), 1 different, 2 missing.
fn compare_street(a: &str, b: &str) -> usize {
    if missing(a, b) {
        2
    } else if streets_alike(a, b) {
        0
    } else {
        1
    }
}

/// Whether two normalised streets are one: the same house numbers (`12 main street` and
/// `34 main street` are neighbours) and names alike (Jaro–Winkler ≥ 0.9) once the words
/// every street has (`street`, `calle`, `de`) are set aside, which would make `elm street`
/// look like `main street`.
fn streets_alike(a: &str, b: &str) -> bool {
    const COMMON: &[&str] = &[
        "street",
        "road",
        "avenue",
        "boulevard",
        "drive",
        "lane",
        "calle",
        "avenida",
        "plaza",
        "carretera",
        "paseo",
        "de",
        "del",
        "la",
        "el",
        "los",
        "las",
    ];
    let number = |w: &&str| w.bytes().all(|b| b.is_ascii_digit());
    if a == b {
        return true;
    }
    // Most candidate pairs are neighbours: the numbers settle it without building a name.
    if !a.split(' ').filter(number).eq(b.split(' ').filter(number)) {
        return false;
    }
    let name = |street: &str| -> String {
        street
            .split(' ')
            .filter(|w| !number(w) && !COMMON.contains(w))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (name_a, name_b) = (name(a), name(b));
    name_a == name_b || strsim::jaro_winkler(&name_a, &name_b) >= 0.9
}

/// How two codes of one length differ when a typing slip tells them apart.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slip {
    /// Two neighbouring characters swapped.
    Swapped,
    /// One character changed.
    Changed,
}

fn slip(a: &str, b: &str) -> Option<Slip> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return None;
    }
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    match differ.as_slice() {
        [_] => Some(Slip::Changed),
        [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i] => Some(Slip::Swapped),
        _ => None,
    }
}

/// The words of a street, folded, abbreviations written out, sorted: `12 Main St.` and
/// `Main Street 12` are one street.
pub fn normalise_street(street: &str) -> String {
    const ABBREVIATIONS: &[(&str, &str)] = &[
        ("st", "street"),
        ("str", "street"),
        ("rd", "road"),
        ("ave", "avenue"),
        ("av", "avenue"),
        ("blvd", "boulevard"),
        ("dr", "drive"),
        ("ln", "lane"),
        ("c", "calle"),
        ("p", "paseo"),
        ("po", "paseo"),
        ("cl", "calle"),
        ("avda", "avenida"),
        ("pza", "plaza"),
        ("pl", "plaza"),
        ("ctra", "carretera"),
    ];
    let mut words: Vec<String> = street
        .split(|c: char| c.is_whitespace() || c == ',' || c == '/')
        .map(fold)
        .filter(|w| !w.is_empty())
        .map(|w| {
            ABBREVIATIONS
                .iter()
                .find(|(short, _)| *short == w)
                .map_or(w, |(_, long)| (*long).to_owned())
        })
        .collect();
    words.sort();
    words.join(" ")
}

/// American Soundex (the US census's phonetic code: the first letter and three digits for
/// the consonant groups that follow, `Robert` and `Rupert` both `R163`), of folded letters.
pub fn soundex(name: &str) -> String {
    let code = |c: char| match c {
        'b' | 'f' | 'p' | 'v' => Some('1'),
        'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => Some('2'),
        'd' | 't' => Some('3'),
        'l' => Some('4'),
        'm' | 'n' => Some('5'),
        'r' => Some('6'),
        _ => None,
    };
    let letters: Vec<char> = fold(name)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    let Some(&first) = letters.first() else {
        return String::new();
    };
    let mut out = first.to_ascii_uppercase().to_string();
    let mut last = code(first);
    for &c in &letters[1..] {
        let digit = code(c);
        if let Some(d) = digit.filter(|_| digit != last) {
            out.push(d);
            if out.len() == 4 {
                break;
            }
        }
        // `h` and `w` do not separate two letters of one group; vowels do.
        if c != 'h' && c != 'w' {
            last = digit;
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

/// 0 within 15 minutes, 1 within 60 days, 2 further apart, 3 unknown: the same second,
/// which a file without creation dates gives every row it imports (values are epoch
/// seconds).
fn compare_created(a: &str, b: &str) -> usize {
    let (Ok(a), Ok(b)) = (a.parse::<i64>(), b.parse::<i64>()) else {
        return 2;
    };
    match (a - b).abs() {
        0 => 3,
        d if d <= 15 * 60 => 0,
        d if d <= 60 * 86_400 => 1,
        _ => 2,
    }
}

/// Nicknames and their given names, English and Spanish.
const NICKNAMES: &[(&str, &str)] = &[
    ("bob", "robert"),
    ("rob", "robert"),
    ("bobby", "robert"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("mike", "michael"),
    ("bill", "william"),
    ("will", "william"),
    ("dave", "david"),
    ("rick", "richard"),
    ("dick", "richard"),
    ("joe", "joseph"),
    ("tom", "thomas"),
    ("chris", "christopher"),
    ("dan", "daniel"),
    ("matt", "matthew"),
    ("tony", "anthony"),
    ("steve", "steven"),
    ("andy", "andrew"),
    ("jack", "john"),
    ("patty", "patricia"),
    ("jen", "jennifer"),
    ("jenny", "jennifer"),
    ("liz", "elizabeth"),
    ("beth", "elizabeth"),
    ("barb", "barbara"),
    ("sue", "susan"),
    ("jess", "jessica"),
    ("maggie", "margaret"),
    ("kate", "katherine"),
    ("katie", "katherine"),
    ("becky", "rebecca"),
    ("sam", "samantha"),
    ("pepe", "jose"),
    ("paco", "francisco"),
    ("alex", "alejandro"),
    ("nacho", "ignacio"),
    ("quique", "enrique"),
    ("lupe", "guadalupe"),
    ("lola", "dolores"),
    ("isa", "isabel"),
    ("bea", "beatriz"),
    ("manolo", "manuel"),
    ("chema", "josemaria"),
    ("charo", "rosario"),
];

/// Lowercase ASCII letters and digits only, accents folded.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(embudo_model::text::fold_char)
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn given_name(first: &str) -> String {
    let folded = fold(first);
    NICKNAMES
        .iter()
        .find(|(nick, _)| *nick == folded)
        .map_or(folded, |(_, given)| given.to_string())
}

/// An address lowercased, without `+tag`, and without dots before the @ at Gmail.
pub fn normalise_email(address: &str) -> String {
    let lower = address.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return lower;
    };
    let local = local.split('+').next().unwrap_or_default();
    let local = if domain == "gmail.com" || domain == "googlemail.com" {
        local.replace('.', "")
    } else {
        local.to_owned()
    };
    format!("{local}@{domain}")
}

/// The last nine digits of a phone that can be dialled; nothing for placeholders such as
/// `000-000-0000`, which would otherwise make strangers look alike.
fn last_digits(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 || digits.chars().all(|c| digits.starts_with(c)) {
        return String::new();
    }
    digits[digits.len().saturating_sub(9)..].to_owned()
}

const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "corp",
    "corporation",
    "ltd",
    "limited",
    "sl",
    "sa",
    "sadecv",
    "de",
    "cv",
    "srl",
    "sas",
    "co",
    "company",
    "gmbh",
];

/// A company name without case, accents, punctuation or legal suffixes.
pub fn normalise_company(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect();
    let mut end = words.len();
    while end > 1 && LEGAL_SUFFIXES.contains(&words[end - 1].as_str()) {
        end -= 1;
    }
    words[..end].join(" ")
}

/// A text column's value, or nothing.
fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

fn contact_record(row: ContactLook) -> Record {
    let (first, last) = (
        given_name(text(&row.first_name)),
        fold(text(&row.last_name)),
    );
    let name = if first.is_empty() && last.is_empty() {
        String::new()
    } else {
        format!("{first}|{last}")
    };
    let email = row
        .email
        .as_deref()
        .map(normalise_email)
        .unwrap_or_default();
    let phone = last_digits(text(&row.phone));
    let company = row.company_id.map(|c| c.to_string()).unwrap_or_default();
    let created = row.created.map(|t| t.to_string()).unwrap_or_default();
    let street = normalise_street(text(&row.street));
    let postcode = fold(text(&row.postal_code));
    let birth = row.birth_date.unwrap_or_default();
    let mut keys = Vec::new();
    // People typed in without an e-mail or phone meet by how their names sound where they
    // live: surname or given name with the postcode (a name swapped into the other field
    // still meets on the other key), the street with the postcode, both names in a town.
    let (sound_first, sound_last) = (
        soundex(text(&row.first_name)),
        soundex(text(&row.last_name)),
    );
    if !postcode.is_empty() {
        for sound in [&sound_first, &sound_last] {
            if !sound.is_empty() {
                keys.push(format!("sp:{sound}:{postcode}"));
            }
        }
        if !street.is_empty() {
            keys.push(format!("ap:{street}:{postcode}"));
        }
    }
    // A postcode mistyped or left out: the street in the town, and the street (with its
    // house number) with either name's sound.
    let town = fold(text(&row.city));
    if !street.is_empty() {
        if !town.is_empty() {
            keys.push(format!("at:{street}:{town}"));
        }
        for sound in [&sound_first, &sound_last] {
            if !sound.is_empty() {
                keys.push(format!("as:{street}:{sound}"));
            }
        }
    }
    if !town.is_empty() && !sound_first.is_empty() && !sound_last.is_empty() {
        // One name's sound with the other's initial in the town: a surname mistyped past
        // its sound, with no street or postcode to meet on.
        let initial = |sound: &str| sound[..1].to_owned();
        keys.push(format!(
            "{PARTIAL_KEY}{sound_first}:{}:{town}",
            initial(&sound_last)
        ));
        keys.push(format!(
            "{PARTIAL_KEY}{sound_last}:{}:{town}",
            initial(&sound_first)
        ));
        let mut sounds = [sound_first, sound_last];
        sounds.sort();
        keys.push(format!("st:{}:{}:{town}", sounds[0], sounds[1]));
    }
    if !email.is_empty() {
        keys.push(format!("e:{email}"));
        // The part before the @ meets one person's addresses at two domains, unless it is
        // only their name (`maria.garcia`): every namesake has that one, the name keys
        // already pair them, and on a million contacts it was two thirds of all pairs.
        let given = fold(text(&row.first_name));
        if let Some((local, _)) = email.split_once('@').filter(|(l, _)| l.len() >= 5) {
            let letters = fold(local);
            if letters != format!("{given}{last}") && letters != format!("{last}{given}") {
                keys.push(format!("l:{local}"));
            }
        }
    }
    if !phone.is_empty() {
        keys.push(format!("p:{phone}"));
    }
    if !name.is_empty() && !company.is_empty() {
        keys.push(format!("n:{name}:{company}"));
    }
    Record {
        id: row.id,
        partial: street.is_empty() || postcode.is_empty(),
        values: vec![
            email,
            name,
            phone,
            company,
            created,
            postcode.clone(),
            street,
            if town.is_empty() {
                town
            } else {
                format!("{}|{town}", !postcode.is_empty())
            },
            birth,
        ],
        keys,
    }
}

fn company_record(row: CompanyLook) -> Record {
    let name = normalise_company(text(&row.name));
    let domain = text(&row.domain)
        .to_lowercase()
        .trim_start_matches("www.")
        .to_owned();
    let phone = last_digits(text(&row.phone));
    let place = format!("{}:{}", fold(text(&row.country)), fold(text(&row.city)));
    let mut letters: Vec<char> = name.chars().filter(|c| *c != ' ').collect();
    letters.sort_unstable();
    let mut keys = vec![format!("x:{}", letters.into_iter().collect::<String>())];
    if !name.is_empty() {
        keys.push(format!("n:{name}"));
    }
    if !domain.is_empty() {
        keys.push(format!("d:{domain}"));
    }
    if !phone.is_empty() {
        keys.push(format!("p:{phone}"));
    }
    Record {
        id: row.id,
        values: vec![domain, name, phone, place],
        keys,
        partial: false,
    }
}

fn deal_record(row: DealLook) -> Record {
    let name = fold(text(&row.name));
    let amount = row.amount.map(|a| format!("{a:.2}")).unwrap_or_default();
    let created = row.created.map(|t| t.to_string()).unwrap_or_default();
    // A deal without a contact (one in six of some exports) is blocked by its company or
    // owner with its name or amount instead.
    let keys = match row.contact_id {
        Some(contact) => vec![format!("c:{contact}")],
        None => {
            let mut keys = Vec::new();
            for (tag, holder) in [("k", row.company_id), ("o", row.owner_id)] {
                let Some(holder) = holder else { continue };
                if !name.is_empty() {
                    keys.push(format!("{tag}n:{holder}:{name}"));
                }
                if !amount.is_empty() {
                    keys.push(format!("{tag}a:{holder}:{amount}"));
                }
            }
            keys
        }
    };
    Record {
        id: row.id,
        values: vec![name, amount, created],
        keys,
        partial: false,
    }
}

fn read(store: &Store, entity: Entity) -> Result<Vec<Record>, AuditError> {
    Ok(match entity {
        Entity::Contacts => store
            .contact_looks()?
            .into_iter()
            .map(contact_record)
            .collect(),
        Entity::Companies => store
            .company_looks()?
            .into_iter()
            .map(company_record)
            .collect(),
        Entity::Deals => store.deal_looks()?.into_iter().map(deal_record).collect(),
    })
}

/// Candidate pairs (indexes into `records`, low first) and how many blocks were too big.
fn block(records: &[Record]) -> (Vec<(usize, usize)>, usize) {
    // Millions of keys: foldhash, not the DoS-resistant default, which was a tenth of the
    // finder's time.
    let mut blocks: HashMap<&str, Vec<usize>, foldhash::fast::RandomState> = HashMap::default();
    for (i, record) in records.iter().enumerate() {
        for key in &record.keys {
            blocks.entry(key.as_str()).or_default().push(i);
        }
    }
    // A vector sorted and deduplicated once is several times faster than a set here.
    let mut pairs = Vec::new();
    let mut skipped = 0;
    for (key, members) in &blocks {
        if members.len() > MAX_BLOCK {
            skipped += 1;
            continue;
        }
        let partial_only = key.starts_with(PARTIAL_KEY);
        for (x, &a) in members.iter().enumerate() {
            // A record whose two keys read the same (`Andrés Anderson`: one sound) is in
            // the block twice, and not its own duplicate.
            for &b in members[x + 1..].iter().filter(|&&b| b != a) {
                if !partial_only || records[a].partial || records[b].partial {
                    pairs.push((a.min(b), a.max(b)));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    (pairs, skipped)
}

/// Fellegi–Sunter parameters: P(level | match) and P(level | non-match) per field.
#[derive(Debug, Clone)]
struct Model {
    prior: f64,
    m: Vec<Vec<f64>>,
    u: Vec<Vec<f64>>,
    /// Each field's missing level, which weighs nothing either way: an unknown value is
    /// not a different one, and records from sources that never had it must not make
    /// "missing" look like evidence.
    missing: Vec<Option<usize>>,
}

impl Model {
    /// The duplicates' priors, and candidate pairs that share the first level one time in
    /// twenty: where the estimation starts.
    fn initial(fields: &[Field]) -> Model {
        let candidates = |field: &Field| {
            let n = field.duplicates.len();
            (0..n)
                .map(|l| if l == 0 { 0.05 } else { 0.95 / (n - 1) as f64 })
                .collect()
        };
        Model {
            prior: 0.1,
            m: fields
                .iter()
                .map(|f| with_missing(f.duplicates.to_vec(), f.missing))
                .collect(),
            u: fields
                .iter()
                .map(|f| with_missing(candidates(f), f.missing))
                .collect(),
            missing: fields.iter().map(|f| f.missing).collect(),
        }
    }

    /// log(P(match-side)) and log(P(non-match-side)) of a comparison vector.
    fn log_likelihoods(&self, levels: &[usize], name_tf: f64, name_field: usize) -> (f64, f64) {
        let mut lm = self.prior.ln();
        let mut lu = (1.0 - self.prior).ln();
        for (f, &l) in levels.iter().enumerate() {
            if self.missing[f] == Some(l) {
                continue;
            }
            lm += self.m[f][l].ln();
            let u = if f == name_field && l == 0 {
                (self.u[f][l] * name_tf).clamp(1e-9, 0.999)
            } else {
                self.u[f][l]
            };
            lu += u.ln();
        }
        (lm, lu)
    }
}

fn posterior(lm: f64, lu: f64) -> f64 {
    1.0 / (1.0 + (lu - lm).exp())
}

/// Random record pairs drawn to learn what unrelated records look like.
const RANDOM_PAIRS: usize = 200_000;

/// Record pairs to learn what unrelated records look like: every pair of a table small
/// enough, else [`RANDOM_PAIRS`] drawn deterministically.
fn random_pairs(n: usize) -> Vec<(usize, usize)> {
    if n * n.saturating_sub(1) / 2 <= RANDOM_PAIRS {
        return (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect();
    }
    // Two strides coprime with most sizes walk the records in different orders.
    (0..RANDOM_PAIRS)
        .map(|k| ((k * 7_919 + 13) % n, (k * 104_729 + 7 * k / n + 1) % n))
        .filter(|(a, b)| a != b)
        .collect()
}

/// P(level | non-match) per field, from the comparison codes of [`random_pairs`]: nearly
/// all are unrelated, unlike the candidate pairs, which blocking chose because they
/// already sound alike and live alike. Learnt inside the blocks, a shared name or postcode
/// would look common among strangers and weigh almost nothing.
///
/// A first level that is plain equality ([`Field::equal_key`]) is counted instead over
/// every pair of the table: 200,000 random pairs of a hundred thousand contacts see a
/// shared full name about twice, and the one pair's worth each level starts from then
/// overstates it by half; of a million, where strangers share a name ten times less
/// often, fivefold. Too common a shared name made one person's two records with the same
/// name and postcode look like two neighbours.
fn unrelated_levels(fields: &[Field], records: &[Record], drawn: &[u32]) -> Vec<Vec<f64>> {
    // One pair's worth at each level, so that no level is impossible among strangers.
    let mut counts: Vec<Vec<f64>> = fields.iter().map(|f| vec![1.0; f.levels]).collect();
    for &code in drawn {
        for (f, level) in decode(code, fields.len()).into_iter().enumerate() {
            counts[f][level] += 1.0;
        }
    }
    fields
        .iter()
        .enumerate()
        .zip(counts)
        .map(|((f, field), counts)| {
            let mut drawn = conditional(counts, field.missing);
            if let Some(key) = field.equal_key {
                drawn = with_equal_pairs(drawn, key, records.iter().map(|r| r.values[f].as_str()));
            }
            let seen: f64 = drawn.iter().sum();
            if let Some(prior) = field.strangers {
                for (count, p) in drawn.iter_mut().zip(prior) {
                    *count += STRANGERS_PRIOR_PAIRS * p;
                }
            }
            let total = seen + field.strangers.map_or(0.0, |_| STRANGERS_PRIOR_PAIRS);
            drawn.iter_mut().for_each(|count| *count /= total);
            with_missing(drawn, field.missing)
        })
        .collect()
}

/// Counts of the levels that are not missing, over every pair of records that both have a
/// value: the first level's pairs from how often each key occurs, the other levels' split
/// as the random pairs split them.
fn with_equal_pairs<'a>(
    drawn: Vec<f64>,
    key: fn(&str) -> Option<String>,
    values: impl Iterator<Item = &'a str>,
) -> Vec<f64> {
    let mut occurrences: HashMap<String, f64> = HashMap::new();
    for key in values.filter_map(key) {
        *occurrences.entry(key).or_default() += 1.0;
    }
    let known: f64 = occurrences.values().sum();
    let pairs = |n: f64| n * (n - 1.0) / 2.0;
    let (all, equal) = (
        pairs(known),
        occurrences.values().map(|&n| pairs(n)).sum::<f64>(),
    );
    let unequal: f64 = drawn[1..].iter().sum();
    if all <= 0.0 || unequal <= 0.0 {
        return drawn;
    }
    // One pair's worth, as every level starts from, so that no level is impossible.
    std::iter::once(equal + 1.0)
        .chain(
            drawn[1..]
                .iter()
                .map(|count| count / unequal * (all - equal)),
        )
        .collect()
}

/// The key of a value compared for equality: the value itself, if there is one.
fn same_value(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// The key of a person's names (`given|surname`): both names in either order, as
/// [`compare_person`] finds two records with the same names, swapped or not.
fn same_names(value: &str) -> Option<String> {
    let (given, surname) = given_and_surname(value);
    if given.is_empty() && surname.is_empty() {
        return None;
    }
    let (low, high) = if given <= surname {
        (given, surname)
    } else {
        (surname, given)
    };
    Some(format!("{low}|{high}"))
}

/// A field's counts without its missing level (always the last), which weighs nothing.
fn conditional(mut counts: Vec<f64>, missing: Option<usize>) -> Vec<f64> {
    if missing.is_some() {
        counts.pop();
    }
    counts
}

/// Probabilities over the levels that are not missing, with the missing level (if any)
/// put back at 1: it is never scored, and m and u are judged among known values only, so
/// that a source that never had a field does not tilt either side.
fn with_missing(mut probabilities: Vec<f64>, missing: Option<usize>) -> Vec<f64> {
    if missing.is_some() {
        probabilities.push(1.0);
    }
    probabilities
}

/// Estimate m, u and the prior over the candidate pairs by expectation–maximisation.
///
/// The candidate pairs come as distinct comparison patterns with their counts: a million
/// records give tens of millions of pairs but only a few hundred patterns.
fn estimate(fields: &[Field], patterns: &[(Vec<usize>, f64)]) -> Model {
    let mut model = Model::initial(fields);
    let smoothing = 1e-3;
    let n: f64 = patterns.iter().map(|(_, count)| count).sum();
    for _ in 0..50 {
        let weights: Vec<f64> = patterns
            .iter()
            .map(|(levels, _)| {
                let (lm, lu) = model.log_likelihoods(levels, 1.0, usize::MAX);
                posterior(lm, lu)
            })
            .collect();
        let matched: f64 = patterns
            .iter()
            .zip(&weights)
            .map(|((_, count), w)| count * w)
            .sum();
        model.prior = (matched / n).clamp(1e-6, 1.0 - 1e-6);
        for (f, field) in fields.iter().enumerate() {
            let mut m = vec![smoothing; field.levels];
            let mut u = vec![smoothing; field.levels];
            for ((levels, count), w) in patterns.iter().zip(&weights) {
                m[levels[f]] += count * w;
                u[levels[f]] += count * (1.0 - w);
            }
            let mut m = conditional(m, field.missing);
            for (count, p) in m.iter_mut().zip(field.duplicates) {
                *count += DUPLICATES_PRIOR_PAIRS * p;
            }
            let u = conditional(u, field.missing);
            let (ms, us): (f64, f64) = (m.iter().sum(), u.iter().sum());
            model.m[f] = with_missing(m.iter().map(|x| x / ms).collect(), field.missing);
            model.u[f] = with_missing(u.iter().map(|x| x / us).collect(), field.missing);
        }
    }
    model
}

/// The model that scores pairs: what duplicates look like (m), learnt in the blocks (or,
/// from fewer than [`MIN_PAIRS_TO_LEARN`] candidates, the fields' priors), against what
/// unrelated records look like (u) from random pairs. Scored against the blocks' own u, a
/// name or postcode shared by the strangers blocking put together would weigh almost
/// nothing, and people known only by name and address would never be found.
///
/// The prior, the chance that two records of the whole table are one entity, is the number
/// of duplicates this very model finds among the candidates over every pair there is,
/// estimated by EM with m and u held. The share EM learns in the blocks will not do: it is
/// judged against the blocks' u, where a shared name and postcode are common, so it counts
/// the duplicates an e-mail or phone gives away and few of those only a name and an
/// address do; on a million contacts it was an eighth of the truth, and such pairs came
/// out at 0.3 when nearly all were one person.
fn scoring_model(
    fields: &[Field],
    learnt: Option<Model>,
    unrelated: Vec<Vec<f64>>,
    patterns: &[(Vec<usize>, f64)],
    records: usize,
) -> Model {
    let all_pairs = (records as f64 * (records as f64 - 1.0) / 2.0).max(1.0);
    let mut model = Model {
        u: unrelated,
        ..learnt.unwrap_or_else(|| Model::initial(fields))
    };
    model.prior = (1.0 / all_pairs).min(0.5);
    for _ in 0..50 {
        let duplicates: f64 = patterns
            .iter()
            .map(|(levels, count)| {
                let (lm, lu) = model.log_likelihoods(levels, 1.0, usize::MAX);
                count * posterior(lm, lu)
            })
            .sum();
        model.prior = (duplicates / all_pairs).clamp(1e-12, 0.5);
    }
    model
}

/// Fewer candidate pairs than this are too few for EM to learn what duplicates look like
/// from: on a list of ten people it finds that no pair is one, which fits a handful of
/// pairs perfectly.
const MIN_PAIRS_TO_LEARN: usize = 1_000;

/// Comparison levels packed three bits a field, so tens of millions of pairs fit in memory.
fn encode(levels: impl Iterator<Item = usize>) -> u32 {
    levels
        .enumerate()
        .fold(0, |code, (f, level)| code | ((level as u32) << (3 * f)))
}

fn decode(code: u32, fields: usize) -> Vec<usize> {
    (0..fields)
        .map(|f| ((code >> (3 * f)) & 0b111) as usize)
        .collect()
}

/// A scored pair, with each field's contribution (log₂ of m/u at its level).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub a: i64,
    pub b: i64,
    pub probability: f64,
    pub fields: BTreeMap<&'static str, f64>,
}

/// Records found to be the same entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    pub id: usize,
    pub members: Vec<i64>,
    /// The weakest link's probability.
    pub confidence: f64,
    pub pairs: Vec<Pair>,
}

/// How much blocking saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocking {
    pub pairs_compared: u64,
    /// 1 − compared / all possible pairs.
    pub reduction_ratio: f64,
    pub blocks_skipped: usize,
}

/// The finder's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicates {
    pub entity: &'static str,
    pub threshold: f64,
    pub clusters: Vec<Cluster>,
    pub blocking: Blocking,
    /// Every candidate pair compared (ids, low first), for measuring blocking recall.
    #[serde(skip)]
    pub candidates: Vec<(i64, i64)>,
}

impl Duplicates {
    /// Every pair of records the clusters join (ids, low first).
    pub fn linked_pairs(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.clusters.iter().flat_map(|cluster| {
            let members = &cluster.members;
            members.iter().enumerate().flat_map(move |(i, &a)| {
                members[i + 1..].iter().map(move |&b| (a.min(b), a.max(b)))
            })
        })
    }
}

/// How people know the records `ids` of `entity`: a contact by first and last name, a
/// company or deal by its name; a record without one is left out.
pub fn names(
    store: &Store,
    entity: Entity,
    ids: &[i64],
) -> Result<HashMap<i64, String>, AuditError> {
    Ok(store
        .names_of(entity.table(), ids)?
        .into_iter()
        .filter_map(|row| Some((row.id, row.name?.trim().to_owned())))
        .collect())
}

/// Find the duplicates of `entity` at `threshold`.
pub fn find(store: &Store, entity: Entity, threshold: f64) -> Result<Duplicates, AuditError> {
    let records = read(store, entity)?;
    let fields = fields(entity);
    let rejected = not_duplicates(store, entity)?;
    let (pairs, skipped) = block(&records);
    let codes = compare_all(fields, &records, &pairs);
    // Distinct patterns with their counts: sorting a copy beats hashing every pair.
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    let patterns: Vec<(Vec<usize>, f64)> = sorted
        .chunk_by(|a, b| a == b)
        .map(|run| (decode(run[0], fields.len()), run.len() as f64))
        .collect();
    let drawn = compare_all(fields, &records, &random_pairs(records.len()));
    let unrelated = unrelated_levels(fields, &records, &drawn);
    let learnt = (pairs.len() >= MIN_PAIRS_TO_LEARN).then(|| estimate(fields, &patterns));
    let model = scoring_model(fields, learnt, unrelated, &patterns, records.len());
    let name_field = fields
        .iter()
        .position(|f| f.name == "name")
        .expect("every entity compares names");
    let tf = surname_frequencies(&records, entity);
    // Tens of millions of pairs share a few hundred patterns: each pattern is scored once,
    // and only an exact name, whose weight depends on how common it is, per pair.
    let by_pattern: HashMap<u32, f64> = patterns
        .iter()
        .map(|(levels, _)| {
            let (lm, lu) = model.log_likelihoods(levels, 1.0, name_field);
            (encode(levels.iter().copied()), posterior(lm, lu))
        })
        .collect();
    let mut scored = Vec::new();
    for (&(a, b), &code) in pairs.iter().zip(&codes) {
        let (ra, rb) = (&records[a], &records[b]);
        if !rejected.is_empty() && rejected.contains(&(ra.id.min(rb.id), ra.id.max(rb.id))) {
            continue;
        }
        let exact_name = (code >> (3 * name_field)) & 0b111 == 0;
        let probability = if exact_name {
            let factor = tf(&ra.values[name_field]);
            let (lm, lu) = model.log_likelihoods(&decode(code, fields.len()), factor, name_field);
            posterior(lm, lu)
        } else {
            by_pattern[&code]
        };
        if probability >= threshold {
            let levels = decode(code, fields.len());
            let contributions = fields
                .iter()
                .enumerate()
                .map(|(f, field)| {
                    let weight = if field.missing == Some(levels[f]) {
                        0.0
                    } else {
                        (model.m[f][levels[f]] / model.u[f][levels[f]]).log2()
                    };
                    (field.name, (weight * 100.0).round() / 100.0)
                })
                .collect();
            scored.push(Pair {
                a: ra.id.min(rb.id),
                b: ra.id.max(rb.id),
                probability: (probability * 10_000.0).round() / 10_000.0,
                fields: contributions,
            });
        }
    }
    let n = records.len() as f64;
    let possible = (n * (n - 1.0) / 2.0).max(1.0);
    Ok(Duplicates {
        entity: entity.table(),
        threshold,
        clusters: cluster(scored),
        blocking: Blocking {
            pairs_compared: pairs.len() as u64,
            reduction_ratio: 1.0 - pairs.len() as f64 / possible,
            blocks_skipped: skipped,
        },
        candidates: pairs
            .iter()
            .map(|&(a, b)| {
                (
                    records[a].id.min(records[b].id),
                    records[a].id.max(records[b].id),
                )
            })
            .collect(),
    })
}

/// Each pair's comparison levels, encoded; the pairs are shared among every core, since
/// comparing names and streets is most of the finder's time.
fn compare_all(fields: &[Field], records: &[Record], pairs: &[(usize, usize)]) -> Vec<u32> {
    let compare = |&(a, b): &(usize, usize)| {
        encode(
            fields
                .iter()
                .enumerate()
                .map(|(f, field)| (field.compare)(&records[a].values[f], &records[b].values[f])),
        )
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let parts: Vec<_> = pairs
            .chunks(pairs.len().div_ceil(threads).max(10_000))
            .map(|part| scope.spawn(move || part.iter().map(compare).collect::<Vec<u32>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().expect("a comparing thread panicked"))
            .collect()
    })
}

/// How much more often than average a record's surname occurs: an exact match on a common
/// name is weaker evidence. Companies' and deals' names are compared whole: no adjustment.
fn surname_frequencies(records: &[Record], entity: Entity) -> impl Fn(&str) -> f64 {
    let mut counts: HashMap<String, f64> = HashMap::new();
    if entity == Entity::Contacts {
        for record in records {
            for token in record.values[1].split('|') {
                *counts.entry(token.to_owned()).or_default() += 1.0;
            }
        }
    }
    // How often the name of a random record occurs: the mean weighted by occurrences, not
    // over distinct names, which the thousands of one-off typos would drag down until
    // every name looked common.
    let total: f64 = counts.values().sum();
    let mean = if counts.is_empty() {
        1.0
    } else {
        counts.values().map(|c| c * c).sum::<f64>() / total
    };
    move |name: &str| {
        if counts.is_empty() {
            return 1.0;
        }
        let rarest = name
            .split('|')
            .filter_map(|t| counts.get(t))
            .fold(f64::MAX, |a, &b| a.min(b));
        if rarest == f64::MAX {
            1.0
        } else {
            (rarest / mean).clamp(0.2, 5.0)
        }
    }
}

/// Pairs the user marked as different entities.
fn not_duplicates(store: &Store, entity: Entity) -> Result<HashSet<(i64, i64)>, AuditError> {
    Ok(store.not_duplicates(entity.table())?.into_iter().collect())
}

/// Mark `a` and `b` as not the same entity, for good.
pub fn mark_not_duplicate(store: &Store, entity: Entity, a: i64, b: i64) -> Result<(), AuditError> {
    Ok(store.mark_not_duplicate(entity.table(), a, b)?)
}

/// Group pairs into clusters, strongest pairs first: a record joins a cluster, and two
/// clusters merge, only when it links to at least half of what it joins, so a chain of weak
/// resemblances (A like B, B like C, C like D) does not grow into one cluster, while three
/// copies of one person, each pair alike, stay together whatever order they come in.
fn cluster(mut pairs: Vec<Pair>) -> Vec<Cluster> {
    pairs.sort_by(|x, y| {
        y.probability
            .total_cmp(&x.probability)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    let linked: HashSet<(i64, i64)> = pairs.iter().map(|p| (p.a, p.b)).collect();
    let links = |xs: &[i64], ys: &[i64]| {
        xs.iter()
            .flat_map(|&x| ys.iter().map(move |&y| (x.min(y), x.max(y))))
            .filter(|pair| linked.contains(pair))
            .count()
    };
    let mut groups: Vec<Vec<i64>> = Vec::new();
    let mut group_of: HashMap<i64, usize> = HashMap::new();
    for p in &pairs {
        let (x, y) = match (group_of.get(&p.a).copied(), group_of.get(&p.b).copied()) {
            (None, None) => {
                group_of.insert(p.a, groups.len());
                group_of.insert(p.b, groups.len());
                groups.push(vec![p.a, p.b]);
                continue;
            }
            (Some(x), None) => (x, None),
            (None, Some(y)) => (y, None),
            (Some(x), Some(y)) if x != y => (x, Some(y)),
            _ => continue,
        };
        let joining: Vec<i64> = match y {
            Some(y) => groups[y].clone(),
            None if group_of.contains_key(&p.a) => vec![p.b],
            None => vec![p.a],
        };
        if 2 * links(&groups[x], &joining) < groups[x].len() * joining.len() {
            continue;
        }
        for &member in &joining {
            group_of.insert(member, x);
        }
        if let Some(y) = y {
            groups[y].clear();
        }
        groups[x].extend(joining);
    }
    // Each pair belongs to the cluster of its members, if they share one.
    let mut inner: HashMap<usize, Vec<Pair>> = HashMap::new();
    for p in pairs {
        if let (Some(a), Some(b)) = (group_of.get(&p.a), group_of.get(&p.b))
            && a == b
        {
            inner.entry(*a).or_default().push(p);
        }
    }
    let mut clusters: Vec<(Vec<i64>, Vec<Pair>)> = groups
        .into_iter()
        .enumerate()
        .filter(|(_, members)| !members.is_empty())
        .map(|(g, mut members)| {
            members.sort_unstable();
            (members, inner.remove(&g).unwrap_or_default())
        })
        .collect();
    clusters.sort_by_key(|(members, _)| members[0]);
    clusters
        .into_iter()
        .enumerate()
        .map(|(i, (members, pairs))| Cluster {
            id: i + 1,
            confidence: pairs.iter().map(|p| p.probability).fold(1.0, f64::min),
            members,
            pairs,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_priors_over_its_known_levels() {
        for field in CONTACT_FIELDS
            .iter()
            .chain(&COMPANY_FIELDS)
            .chain(&DEAL_FIELDS)
        {
            let known = field.levels - usize::from(field.missing.is_some());
            if let Some(missing) = field.missing {
                assert_eq!(
                    missing,
                    field.levels - 1,
                    "{}: missing comes last",
                    field.name
                );
            }
            for prior in [Some(field.duplicates), field.strangers]
                .into_iter()
                .flatten()
            {
                assert_eq!(prior.len(), known, "{}", field.name);
                assert!(
                    (prior.iter().sum::<f64>() - 1.0).abs() < 1e-9,
                    "{}",
                    field.name
                );
            }
        }
    }

    #[test]
    fn one_instant_stamped_on_two_rows_says_nothing_of_when_they_came() {
        assert_eq!(compare_created("1700000000", "1700000000"), 3);
        assert_eq!(compare_created("1700000000", "1700000600"), 0);
        assert_eq!(compare_created("1700000000", "1701000000"), 1);
        assert_eq!(compare_created("1700000000", "1760000000"), 2);
    }

    #[test]
    fn soundex_codes_as_the_census_does() {
        for (name, code) in [
            ("Robert", "R163"),
            ("Rupert", "R163"),
            ("Rubin", "R150"),
            ("Ashcraft", "A261"),
            ("Ashcroft", "A261"),
            ("Tymczak", "T522"),
            ("Pfister", "P236"),
            ("Honeyman", "H555"),
            ("Núñez", "N520"),
            ("", ""),
        ] {
            assert_eq!(soundex(name), code, "{name}");
        }
    }

    #[test]
    fn streets_are_one_street_however_abbreviated_or_ordered() {
        assert_eq!(
            normalise_street("12 Main St."),
            normalise_street("Main Street 12")
        );
        assert_eq!(
            normalise_street("Avda. de la Constitución, 3"),
            "3 avenida constitucion de la"
        );
        assert_ne!(
            normalise_street("12 Main St"),
            normalise_street("14 Main St")
        );
    }

    #[test]
    fn normalisation_folds_the_usual_variants() {
        assert_eq!(
            normalise_email(" John.Smith+crm@Gmail.com "),
            "johnsmith@gmail.com"
        );
        assert_eq!(
            normalise_email("ana.perez+news@acme.com"),
            "ana.perez@acme.com"
        );
        assert_eq!(given_name("Bob"), "robert");
        assert_eq!(given_name("José"), "jose");
        assert_eq!(normalise_company("ACME, Inc."), "acme");
        assert_eq!(normalise_company("Acme Incorporated"), "acme");
        assert_eq!(normalise_company("Lumen Labs S.A. de C.V."), "lumen labs");
        assert_eq!(last_digits("+1 (415) 555-0123"), "155550123");
        assert_eq!(last_digits("000-000-0000"), "");
    }

    fn pair(a: i64, b: i64, probability: f64) -> Pair {
        Pair {
            a,
            b,
            probability,
            fields: BTreeMap::new(),
        }
    }

    #[test]
    fn clusters_do_not_chain_through_a_weak_middle() {
        // 1–2 and 2–3 are strong, 3–4 joins 4 to 3, which is not the centre (2).
        let clusters = cluster(vec![pair(1, 2, 0.99), pair(2, 3, 0.98), pair(3, 4, 0.95)]);
        let members: Vec<Vec<i64>> = clusters.iter().map(|c| c.members.clone()).collect();
        assert_eq!(members, vec![vec![1, 2, 3]]);
        assert_eq!(clusters[0].confidence, 0.98);
    }

    #[test]
    fn copies_of_one_person_stay_together_whatever_order_their_pairs_come_in() {
        // 1–2 and 3–4 come first and start two groups; every cross pair links them, so
        // they merge. 5 links to one of four: it stays out.
        let clusters = cluster(vec![
            pair(1, 2, 0.999),
            pair(3, 4, 0.999),
            pair(1, 3, 0.99),
            pair(1, 4, 0.99),
            pair(2, 3, 0.99),
            pair(2, 4, 0.98),
            pair(4, 5, 0.97),
        ]);
        let members: Vec<Vec<i64>> = clusters.iter().map(|c| c.members.clone()).collect();
        assert_eq!(members, vec![vec![1, 2, 3, 4]]);
        assert_eq!(clusters[0].pairs.len(), 6);
    }

    #[test]
    fn people_s_names_compare_by_given_name_and_surname_in_either_order() {
        assert_eq!(compare_person("carmen|flores", "carmen|flores"), 0);
        // Swapped fields, an initial, a scanner's `rn` for `m`, one slip in a short name.
        assert_eq!(compare_person("carmen|flores", "flores|carmen"), 0);
        assert_eq!(compare_person("s|ibanez", "samantha|ibanez"), 1);
        assert_eq!(compare_person("carrnen|flores", "carmen|flores"), 1);
        assert_eq!(compare_person("iuis|lewis", "luis|lewis"), 1);
        // Two slips in one surname; a relative; a stranger; nothing to compare.
        assert_eq!(compare_person("martin|jymemez", "martin|jimenez"), 2);
        assert_eq!(compare_person("ana|flores", "pedro|flores"), 3);
        assert_eq!(compare_person("ana|smith", "pedro|flores"), 4);
        assert_eq!(compare_person("", "pedro|flores"), 5);
    }

    #[test]
    fn postcodes_and_streets_compare_apart() {
        assert_eq!(compare_postcode("28013", "28013"), 0);
        assert_eq!(compare_postcode("28013", "28103"), 1);
        assert_eq!(compare_postcode("28013", "28014"), 2);
        assert_eq!(compare_postcode("28013", "41001"), 3);
        assert_eq!(compare_postcode("", "41001"), 4);
        let street = |s: &str| normalise_street(s);
        assert_eq!(
            compare_street(&street("12 Main St"), &street("12 Main Street")),
            0
        );
        // The neighbour, and another street of the same kind.
        assert_eq!(
            compare_street(&street("12 Main St"), &street("14 Main St")),
            1
        );
        assert_eq!(
            compare_street(&street("70 Main St"), &street("70 Elm St")),
            1
        );
        assert_eq!(compare_street("", &street("70 Elm St")), 2);
        // The town speaks only where a postcode is missing.
        assert_eq!(compare_town("false|madrid", "true|madrid"), 0);
        assert_eq!(compare_town("false|madrid", "true|bilbao"), 1);
        assert_eq!(compare_town("true|madrid", "true|bilbao"), 2);
    }

    #[test]
    fn a_field_s_equal_key_is_its_first_level() {
        let samples = [
            "carmen|flores",
            "flores|carmen",
            "carrnen|flores",
            "|flores",
            "flores|",
            "ana@example.com",
            "ana@example.org",
            "28013",
            "28103",
            "",
        ];
        for field in CONTACT_FIELDS
            .iter()
            .chain(&COMPANY_FIELDS)
            .chain(&DEAL_FIELDS)
        {
            let Some(key) = field.equal_key else { continue };
            for a in samples {
                for b in samples {
                    let equal = key(a).is_some_and(|k| Some(k) == key(b));
                    assert_eq!(
                        equal,
                        (field.compare)(a, b) == 0,
                        "{}: {a:?} and {b:?}",
                        field.name
                    );
                }
            }
        }
    }

    #[test]
    fn strangers_sharing_a_value_are_counted_over_every_pair() {
        // Five known values, two of them `a` and two `b`: 10 pairs, 2 of them equal. The
        // random pairs split the other levels 3 to 1; the 8 unequal pairs are split alike,
        // and the equal ones get the one pair's worth every level starts from.
        let counts = with_equal_pairs(
            vec![5.0, 3.0, 1.0],
            same_value,
            ["a", "a", "b", "b", "c", ""].into_iter(),
        );
        assert_eq!(counts, vec![3.0, 6.0, 2.0]);
    }
}
