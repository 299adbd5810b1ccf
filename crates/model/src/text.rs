//! Text as people type it: the folding that lets `Creación` match `creacion`, and text
//! made safe to open in a spreadsheet.

use std::borrow::Cow;

/// `c` lowercased with its accent dropped (`É` → `e`, `ñ` → `n`); other characters are
/// only lowercased (ASCII).
pub fn fold_char(c: char) -> char {
    match c {
        'á' | 'à' | 'ä' | 'â' | 'Á' | 'À' | 'Ä' | 'Â' => 'a',
        'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' | 'Ó' | 'Ò' | 'Ö' | 'Ô' => 'o',
        'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'u',
        'ñ' | 'Ñ' => 'n',
        'ç' | 'Ç' => 'c',
        other => other.to_ascii_lowercase(),
    }
}

/// `text` as a CSV or spreadsheet cell that a spreadsheet will not run as a formula
/// (OWASP's rule): text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`. A number (`-12.50`) is no formula and stays as it is.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && text.trim().parse::<f64>().is_err() {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text a [`spreadsheet_safe`] cell stands for: its leading `'` dropped again. A value
/// that itself began with `'=` (or `'+`, …) cannot be told from a neutralised one and comes
/// back without its quote.
pub fn spreadsheet_text(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if spreadsheet_safe(rest) != rest => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+1+2"), "'+1+2");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("-2+3"), "'-2+3");
        assert_eq!(spreadsheet_safe("\tcmd"), "'\tcmd");
        assert_eq!(spreadsheet_safe("-12.50"), "-12.50");
        assert_eq!(spreadsheet_safe("Ana = Bob"), "Ana = Bob");
        for text in ["+34 600 123 456", "=1", "plain", "'plain"] {
            assert_eq!(spreadsheet_text(&spreadsheet_safe(text)), text);
        }
    }

    #[test]
    fn accents_fold_and_case_lowers() {
        let folded: String = "Fecha de Creación ÑANDÚ".chars().map(fold_char).collect();
        assert_eq!(folded, "fecha de creacion nandu");
    }
}
