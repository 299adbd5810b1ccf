//! Labels and names: canonical spellings, the near-misses that should map onto them, and
//! the near-duplicate names of small reference tables.

/// `text` reduced to what distinguishes labels: lowercase letters and digits only, so
/// "Paid Ads", "paid-ads" and "paid_ads" compare equal.
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The canonical label `value` is a near-miss of, if any: equal once normalised, or within
/// one edit (a swap of neighbours counts as one), or two for labels over six characters; of
/// two as near, the one listed first.
pub fn near_miss<'a>(value: &str, canonical: &[&'a str]) -> Option<&'a str> {
    if canonical.contains(&value) {
        return None;
    }
    let wanted = normalise(value);
    canonical
        .iter()
        .enumerate()
        .filter_map(|(i, c)| distance(&wanted, &normalise(c)).map(|d| (d, i, *c)))
        .min_by_key(|(d, i, _)| (*d, *i))
        .map(|(_, _, c)| c)
}

/// Edits between two normalised labels when they are close enough to be one label
/// misspelt; `None` when they are two labels. Labels whose digits differ are two labels
/// ("Plan 10" and "Plan 20"), however close their letters.
fn distance(a: &str, b: &str) -> Option<usize> {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    if digits(a) != digits(b) {
        return None;
    }
    let limit = if a.len().min(b.len()) > 6 { 2 } else { 1 };
    let d = strsim::osa_distance(a, b);
    (d <= limit).then_some(d)
}

/// How a field's canonical labels are read, which decides whether a label spelt otherwise
/// than one of them, where the data never spells it Embudo's way, is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// Reports group by the label as written (lead sources, industries): `Paid Ads` used
    /// throughout is a spelling of the user's own.
    Open,
    /// Metrics count the canonical labels as spelt (`sales_calls` counts `call`, complaint
    /// resolution time `complaint`): `Call` is wrong even where nothing says `call`.
    Closed,
}

/// The inconsistent labels among `used` (label, rows using it), each with the label meant,
/// and the labels of the user's own used consistently. A label is inconsistent when it is a
/// near-miss — misspelt, or cased and spaced otherwise — of a label ranked above it
/// (canonical labels the data uses first, then by use), or a misspelling of a canonical label
/// the data does not use (in a closed vocabulary, any spelling of it but its own).
pub fn inconsistent(
    used: &[(String, u64)],
    canonical: &[&str],
    vocabulary: Vocabulary,
) -> (std::collections::HashMap<String, String>, Vec<String>) {
    let mut ranked: Vec<&(String, u64)> = used.iter().collect();
    ranked.sort_by_key(|(label, rows)| {
        (
            !canonical.contains(&label.as_str()),
            std::cmp::Reverse(*rows),
            label.clone(),
        )
    });
    let mut kept: Vec<&str> = Vec::new();
    let mut strays = std::collections::HashMap::new();
    let mut own = Vec::new();
    for (label, _) in ranked {
        if canonical.contains(&label.as_str()) {
            kept.push(label);
            continue;
        }
        // The spelling the data uses, else the vocabulary's first.
        let misspelt = near_miss(label, &kept).or_else(|| {
            near_miss(label, canonical)
                .filter(|c| vocabulary == Vocabulary::Closed || normalise(c) != normalise(label))
        });
        match misspelt {
            Some(meant) => {
                strays.insert(label.clone(), meant.to_owned());
            }
            None => {
                kept.push(label);
                own.push(label.clone());
            }
        }
    }
    own.sort();
    (strays, own)
}

/// A row of a small reference table: its id, the group its name must be unique in (the
/// pipeline of a stage), its name, and how many records use it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Named {
    pub id: i64,
    pub group: i64,
    pub name: String,
    pub uses: u64,
}

/// The rows whose name near-duplicates another of their group, each with the name it
/// should be merged into: of two near-duplicates the one used less is the stray (ties: the
/// newer, higher id), and a stray always points at a row that is not itself a stray.
pub fn near_duplicates(rows: &[Named]) -> Vec<(i64, String)> {
    let mut ranked: Vec<&Named> = rows.iter().collect();
    ranked.sort_by_key(|r| (std::cmp::Reverse(r.uses), r.id));
    let mut kept: Vec<&Named> = Vec::new();
    let mut strays = Vec::new();
    for row in ranked {
        let wanted = normalise(&row.name);
        let original = kept
            .iter()
            .find(|k| k.group == row.group && distance(&wanted, &normalise(&k.name)).is_some());
        match original {
            Some(k) => strays.push((row.id, k.name.clone())),
            None => kept.push(row),
        }
    }
    strays.sort();
    strays
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_find_their_label() {
        let sources = ["email", "paid_ads", "organic", "referral", "social"];
        assert_eq!(near_miss("Refferal", &sources), Some("referral"));
        assert_eq!(near_miss("Paid Ads", &sources), Some("paid_ads"));
        assert_eq!(near_miss("e-mail", &sources), Some("email"));
        assert_eq!(near_miss("Socail", &sources), Some("social"));
        assert_eq!(near_miss("Organic ", &sources), Some("organic"));
        assert_eq!(near_miss("organic", &sources), None);
        assert_eq!(near_miss("television", &sources), None);
        assert_eq!(
            near_miss("technolgy", &["technology", "healthcare"]),
            Some("technology")
        );
    }

    fn used(labels: &[(&str, u64)]) -> Vec<(String, u64)> {
        labels.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    }

    #[test]
    fn a_vocabulary_of_ones_own_is_consistent_and_its_variants_are_not() {
        let canonical = ["email", "paid_ads", "organic", "referral", "direct"];
        let (strays, own) = inconsistent(
            &used(&[
                ("paid_search", 40),
                ("Paid Search", 6),
                ("paid serach", 1),
                ("search_organic", 30),
                ("direct", 12),
                ("unknown", 8),
                ("Refferal", 2),
                ("Paid Ads", 3),
            ]),
            &canonical,
            Vocabulary::Open,
        );
        let mut strays: Vec<(String, String)> = strays.into_iter().collect();
        strays.sort();
        assert_eq!(
            strays,
            [
                ("Paid Search".to_owned(), "paid_search".to_owned()),
                ("Refferal".to_owned(), "referral".to_owned()),
                ("paid serach".to_owned(), "paid_search".to_owned()),
            ]
        );
        // `Paid Ads` is a spelling of paid_ads, which nobody uses: the user's own.
        assert_eq!(
            own,
            ["Paid Ads", "paid_search", "search_organic", "unknown"]
        );
    }

    #[test]
    fn a_variant_of_a_used_canonical_label_is_a_stray_however_common() {
        let (strays, own) = inconsistent(
            &used(&[("Referral", 50), ("referral", 3)]),
            &["referral", "email"],
            Vocabulary::Open,
        );
        assert_eq!(strays.get("Referral").map(String::as_str), Some("referral"));
        assert!(own.is_empty());
    }

    #[test]
    fn in_a_closed_vocabulary_a_spelling_of_a_canonical_label_is_a_stray_even_unused() {
        let used = used(&[("Call", 40), ("Meeting", 7), ("Lunch", 3)]);
        let canonical = ["call", "meeting", "task"];
        let (strays, own) = inconsistent(&used, &canonical, Vocabulary::Closed);
        let mut strays: Vec<(String, String)> = strays.into_iter().collect();
        strays.sort();
        assert_eq!(
            strays,
            [
                ("Call".to_owned(), "call".to_owned()),
                ("Meeting".to_owned(), "meeting".to_owned()),
            ]
        );
        assert_eq!(own, ["Lunch"]);
        // The same labels in an open vocabulary are the user's own.
        let (strays, _) = inconsistent(&used, &canonical, Vocabulary::Open);
        assert!(strays.is_empty());
    }

    fn named(id: i64, group: i64, name: &str, uses: u64) -> Named {
        Named {
            id,
            group,
            name: name.to_owned(),
            uses,
        }
    }

    #[test]
    fn the_less_used_of_two_near_duplicate_names_is_the_stray() {
        let products = [
            named(1, 0, "Embudo Growth", 40),
            named(2, 0, "Embudo  growth", 3),
            named(3, 0, "Embudo Growht", 50),
            named(4, 0, "Extra seats (10)", 9),
            named(5, 0, "Extra seats (20)", 2),
            named(6, 0, "Training day", 0),
        ];
        assert_eq!(
            near_duplicates(&products),
            [
                (1, "Embudo Growht".to_owned()),
                (2, "Embudo Growht".to_owned())
            ]
        );
    }

    #[test]
    fn names_repeat_freely_across_groups() {
        let stages = [
            named(1, 1, "Qualified", 10),
            named(2, 2, "Qualified", 10),
            named(3, 2, "Qualifed", 1),
            named(4, 1, "Won", 5),
            named(5, 1, "Lost", 5),
        ];
        assert_eq!(near_duplicates(&stages), [(3, "Qualified".to_owned())]);
    }
}
