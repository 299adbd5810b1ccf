//! E-mail addresses: syntax within RFC 5321/5322 limits, real domain suffixes, typo domains,
//! role and disposable addresses.

/// Common public suffixes; an address whose domain ends elsewhere is almost certainly wrong.
const SUFFIXES: &[&str] = &[
    "com", "net", "org", "edu", "gov", "io", "co", "es", "mx", "ar", "cl", "pe", "br", "uk", "ca",
    "us", "de", "fr", "it", "pt", "nl", "be", "ch", "at", "ie", "au", "nz", "in", "jp", "cn",
    "info", "biz", "dev", "app", "ai", "eu", "tech", "online", "store", "shop", "cat", "gal",
    "eus",
];

/// Free mail providers, known even where few contacts use them.
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "hotmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "live.com",
    "aol.com",
    "protonmail.com",
];

const ROLE_LOCALS: &[&str] = &[
    "info", "sales", "admin", "support", "contact", "noreply", "no-reply", "office", "hello",
    "billing",
];
const DISPOSABLE: &[&str] = &[
    "mailinator.com",
    "10minutemail.com",
    "guerrillamail.com",
    "tempmail.com",
    "yopmail.com",
    "trashmail.com",
];

/// Why an address is not valid, or `None` if it is.
pub fn syntax_problem(address: &str) -> Option<&'static str> {
    if address.chars().any(char::is_whitespace) {
        return Some("contains a space");
    }
    let mut parts = address.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Some("needs exactly one @");
    };
    if local.is_empty() || local.len() > 64 {
        return Some("the part before @ must have 1 to 64 characters");
    }
    if address.len() > 254 || domain.len() > 253 {
        return Some("too long");
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return Some("the part before @ has characters or dots an address cannot have");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Some("the domain has no suffix");
    }
    let labels_ok = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if !labels_ok {
        return Some("the domain is malformed");
    }
    None
}

/// Whether the domain ends in a suffix that exists.
pub fn has_real_suffix(domain: &str) -> bool {
    domain
        .rsplit('.')
        .next()
        .is_some_and(|tld| SUFFIXES.contains(&tld.to_ascii_lowercase().as_str()))
}

/// The domain of an address, lowercased.
pub fn domain(address: &str) -> Option<String> {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
}

/// A role address (info@, sales@…) or one at a disposable-mail provider.
pub fn is_role_or_disposable(address: &str) -> bool {
    let lower = address.to_ascii_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return false;
    };
    ROLE_LOCALS.contains(&local) || DISPOSABLE.contains(&domain)
}

/// The known domain `domain` is probably a mistyping of: within edit distance 2 (1 for
/// domains of up to 6 characters), counting a swap of neighbours as one edit.
pub fn likely_correction<'a>(
    domain: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = if domain.len() <= 6 { 1 } else { 2 };
    known
        .into_iter()
        .filter(|k| *k != domain)
        .map(|k| (strsim::osa_distance(domain, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, k)| (*d, *k))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_follows_the_rfc_limits() {
        assert_eq!(syntax_problem("ana.perez@acme.com"), None);
        assert_eq!(syntax_problem("o'brien+crm@mail.acme.co.uk"), None);
        assert!(syntax_problem("ana perez@acme.com").is_some());
        assert!(syntax_problem("ana@@acme.com").is_some());
        assert!(syntax_problem("ana.acme.com").is_some());
        assert!(syntax_problem("ana@acme").is_some());
        assert!(syntax_problem(".ana@acme.com").is_some());
        assert!(syntax_problem(&format!("{}@acme.com", "a".repeat(65))).is_some());
    }

    #[test]
    fn typo_domains_find_their_correction() {
        let known = ["gmail.com", "hotmail.com", "acme.com"];
        assert_eq!(likely_correction("gmial.com", known), Some("gmail.com"));
        assert_eq!(likely_correction("hotmial.com", known), Some("hotmail.com"));
        assert_eq!(likely_correction("acme.comm", known), Some("acme.com"));
        assert_eq!(likely_correction("zenith.io", known), None);
        assert!(has_real_suffix("acme.co.uk") && !has_real_suffix("acme.comm"));
    }

    #[test]
    fn role_and_disposable_addresses_are_recognised() {
        assert!(is_role_or_disposable("info@acme.com"));
        assert!(is_role_or_disposable("ana@mailinator.com"));
        assert!(!is_role_or_disposable("ana@acme.com"));
    }
}
