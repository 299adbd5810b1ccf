//! Numbers as each language writes them: English `1,234.56`, `$1,234.56` and `12.5%`,
//! Spanish `1.234,56`, `1.234,56 €` and `12,5 %`.

use embudo_reports::model::{Kind, display_in};
use serde_json::Value;

/// `text` for a URL: every byte but the unreserved characters percent-encoded.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A money cell with its currency (an ISO code) as `lang` writes it: the symbol before the
/// amount in English, after it in Spanish; a code without a symbol after the amount.
pub fn money(value: &Value, currency: &str, lang: &str) -> String {
    let amount = cell(value, Kind::Money, lang);
    if amount.is_empty() {
        return amount;
    }
    let symbol = match currency {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        _ => None,
    };
    match (symbol, lang) {
        (Some(symbol), "es") => format!("{amount} {symbol}"),
        // Reports write a negative amount with a true minus sign; it goes before the symbol.
        (Some(symbol), _) => match amount.strip_prefix('−') {
            Some(positive) => format!("−{symbol}{positive}"),
            None => format!("{symbol}{amount}"),
        },
        (None, _) => format!("{amount} {currency}"),
    }
}

/// A report cell as `lang` writes it (the reports' own formatter, so pages, exports and
/// charts write numbers alike).
pub fn cell(value: &Value, kind: Kind, lang: &str) -> String {
    display_in(value, kind, lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_text_is_encoded_byte_by_byte() {
        assert_eq!(url_encode("meta Año 1/2"), "meta%20A%C3%B1o%201%2F2");
        assert_eq!(url_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(url_encode("Q&A #1"), "Q%26A%20%231");
    }

    #[test]
    fn spanish_numbers_swap_separators() {
        assert_eq!(cell(&json!(1234.5), Kind::Money, "es"), "1.234,50");
        assert_eq!(cell(&json!(1234.5), Kind::Money, "en"), "1,234.50");
        assert_eq!(cell(&json!(0.125), Kind::Ratio, "es"), "12,5 %");
        assert_eq!(cell(&json!("a.b,c"), Kind::Text, "es"), "a.b,c");
    }

    #[test]
    fn money_carries_its_currency_where_each_language_puts_it() {
        assert_eq!(money(&json!(1234.56), "EUR", "es"), "1.234,56 €");
        assert_eq!(money(&json!(1234.56), "USD", "en"), "$1,234.56");
        assert_eq!(money(&json!(-5), "GBP", "en"), "−£5.00");
        assert_eq!(money(&json!(7), "MXN", "es"), "7,00 MXN");
        assert_eq!(money(&Value::Null, "EUR", "es"), "");
    }
}
