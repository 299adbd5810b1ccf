//! Phone numbers judged for the country of the record they belong to.
//!
//! Parsing and the per-country lengths come from libphonenumber's metadata (the
//! `phonenumber` crate). A number passes when its length is possible for its country code;
//! the full number plan is not required, because CRMs hold many real numbers in ranges
//! the metadata has not caught up with.

use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber, country};

/// What is wrong with a phone, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Dialable from anywhere as written.
    Fine,
    /// Not a number of its country: letters, a placeholder, too few or too many digits.
    Invalid,
    /// A good number written without its country code; the E.164 form is the fix.
    National { e164: String },
}

/// Judge `phone` for a record in `country` (ISO 3166 alpha-2; used when the number has
/// no country code of its own).
pub fn judge(phone: &str, country: Option<&str>) -> Verdict {
    if unusable(phone) {
        return Verdict::Invalid;
    }
    let region = country.and_then(|c| c.trim().to_ascii_uppercase().parse::<country::Id>().ok());
    let Ok(number) = phonenumber::parse(region, phone) else {
        return Verdict::Invalid;
    };
    if !possible_length(&number) {
        return Verdict::Invalid;
    }
    // The parser knows where the country code came from: a `+` or an international
    // prefix can be dialled from anywhere; a bare code or the record's country cannot.
    match number.code().source() {
        country::Source::Plus | country::Source::Idd => Verdict::Fine,
        country::Source::Number | country::Source::Default => Verdict::National {
            e164: number.format().mode(Mode::E164).to_string(),
        },
    }
}

/// Whether the national number's length is one a country with this calling code uses for
/// some kind of number. The metadata keeps lengths per kind (fixed line, mobile…), not on
/// the general description, so every kind is asked.
fn possible_length(number: &PhoneNumber) -> bool {
    let digits = number.national().to_string().len() as u16;
    let Some(regions) = DATABASE.by_code(&number.code().value()) else {
        return false;
    };
    regions.iter().any(|meta| {
        let kinds = meta.descriptors();
        [
            kinds.fixed_line(),
            kinds.mobile(),
            kinds.toll_free(),
            kinds.premium_rate(),
            kinds.shared_cost(),
            kinds.personal_number(),
            kinds.voip(),
            kinds.pager(),
            kinds.uan(),
        ]
        .into_iter()
        .flatten()
        .any(|kind| kind.possible_length().contains(&digits))
    })
}

/// Text no parser should be asked about: letters (`N/A`, `555-CALL-NOW`), characters that
/// are not digits or separators, or one digit repeated (`000-000-0000`).
fn unusable(phone: &str) -> bool {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let separators_only = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    !separators_only || digits.is_empty() || digits.chars().all(|c| digits.starts_with(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_no_country_dials_are_invalid() {
        for bad in ["12345", "000-000-0000", "N/A", "555-CALL-NOW", "+1", "tel"] {
            assert_eq!(judge(bad, Some("US")), Verdict::Invalid, "{bad}");
        }
    }

    #[test]
    fn lengths_are_judged_per_country() {
        // Spain dials nine digits, the United States ten.
        assert_eq!(judge("+34 612 345 678", Some("ES")), Verdict::Fine);
        assert_eq!(judge("+34 612 345 6789", Some("ES")), Verdict::Invalid);
        assert_eq!(judge("+1 415 555 0123", Some("US")), Verdict::Fine);
        assert_eq!(judge("+1 415 555 012", Some("US")), Verdict::Invalid);
        // A Spanish number on a contact in Mexico is still a good Spanish number.
        assert_eq!(judge("+34 612 345 678", Some("MX")), Verdict::Fine);
    }

    #[test]
    fn national_numbers_get_their_e164_form() {
        assert_eq!(
            judge("(415) 555-0123", Some("US")),
            Verdict::National {
                e164: "+14155550123".into()
            }
        );
        assert_eq!(
            judge("612 34 56 78", Some("es")),
            Verdict::National {
                e164: "+34612345678".into()
            }
        );
        assert_eq!(
            judge("020 7946 0958", Some("GB")),
            Verdict::National {
                e164: "+442079460958".into()
            }
        );
        // A country code without its `+` is not dialable from abroad either.
        assert_eq!(
            judge("34612345678", Some("ES")),
            Verdict::National {
                e164: "+34612345678".into()
            }
        );
        // Spain's international prefix is 00.
        assert_eq!(judge("0044 20 7946 0958", Some("ES")), Verdict::Fine);
        // Without a country, a national number cannot be placed.
        assert_eq!(judge("(415) 555-0123", None), Verdict::Invalid);
    }
}
