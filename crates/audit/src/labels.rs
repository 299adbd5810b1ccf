//! Labels: canonical spellings and the near-misses that should map onto them.

/// `text` reduced to what distinguishes labels: lowercase letters and digits only, so
/// "Paid Ads", "paid-ads" and "paid_ads" compare equal.
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The canonical label `value` is a near-miss of, if any: equal once normalised, or within
/// one edit (a swap of neighbours counts as one), or two for labels over six characters.
pub fn near_miss<'a>(value: &str, canonical: &[&'a str]) -> Option<&'a str> {
    if canonical.contains(&value) {
        return None;
    }
    let wanted = normalise(value);
    let limit = if wanted.len() > 6 { 2 } else { 1 };
    canonical
        .iter()
        .map(|c| (strsim::osa_distance(&wanted, &normalise(c)), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
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
}
