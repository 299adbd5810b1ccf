//! Numbers as each language writes them: English `1,234.56` and `12.5%`, Spanish
//! `1.234,56` and `12,5 %`.

use embudo_reports::model::{Kind, display};
use serde_json::Value;

/// A report cell as `lang` writes it.
pub fn cell(value: &Value, kind: Kind, lang: &str) -> String {
    let english = display(value, kind);
    if lang != "es" || kind == Kind::Text {
        return english;
    }
    spanish(&english)
}

/// English number text in Spanish: the separators swap, a percent sign gets its space.
pub fn spanish(english: &str) -> String {
    let swapped: String = english
        .chars()
        .map(|c| match c {
            ',' => '.',
            '.' => ',',
            other => other,
        })
        .collect();
    match swapped.strip_suffix('%') {
        Some(number) if !number.ends_with(' ') => format!("{number} %"),
        _ => swapped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spanish_numbers_swap_separators() {
        assert_eq!(cell(&json!(1234.5), Kind::Money, "es"), "1.234,50");
        assert_eq!(cell(&json!(1234.5), Kind::Money, "en"), "1,234.50");
        assert_eq!(spanish("12.5%"), "12,5 %");
        assert_eq!(cell(&json!("a.b,c"), Kind::Text, "es"), "a.b,c");
    }
}
