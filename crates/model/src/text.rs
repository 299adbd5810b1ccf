//! Text as people type it and read it: the folding that lets `Creación` match `creacion`,
//! text made safe to open in a spreadsheet, and numbers and counted nouns written as
//! English and Spanish write them (`1,234` and `1.234`; `1 deal has`, `2 deals have`).

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

/// `x` with `decimals` places and a comma every three digits, a minus sign (`−`) before a
/// negative number that does not round to zero.
pub fn grouped(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    if x < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '−');
    }
    out
}

/// A count as `lang` writes it: `12,345` in English, `12.345` in Spanish (`es`).
pub fn count_in(n: u64, lang: &str) -> String {
    let english = grouped(n as f64, 0);
    if lang == "es" {
        english.replace(',', ".")
    } else {
        english
    }
}

/// `template` agreeing with a count of `n`: each `{one|other}` in it becomes its first form
/// when `n` is 1 and its second otherwise, so a sentence reads `1 deal has` and `2 deals
/// have` (`1 oportunidad no tiene`, `2 oportunidades no tienen`). Other braces, such as the
/// `{0}` placeholders, are left as they are.
pub fn agreeing(template: &str, n: u64) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let choice = after
            .find('}')
            .map(|close| (close, &after[..close]))
            .and_then(|(close, inner)| Some((close, inner.split_once('|')?)));
        match choice {
            Some((close, (one, other))) => {
                out.push_str(if n == 1 { one } else { other });
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `template` about `n` things in `lang`: its words agreeing with `n` ([`agreeing`]) and
/// `{0}` the count as the language writes it ([`count_in`]).
pub fn counted(template: &str, n: u64, lang: &str) -> String {
    agreeing(template, n).replace("{0}", &count_in(n, lang))
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

    #[test]
    fn counts_are_grouped_as_each_language_writes_them() {
        assert_eq!(grouped(1234567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-42.0, 0), "−42");
        assert_eq!(grouped(-0.001, 2), "0.00");
        assert_eq!(count_in(10000, "en"), "10,000");
        assert_eq!(count_in(10000, "es"), "10.000");
        assert_eq!(count_in(999, "es"), "999");
    }

    #[test]
    fn a_sentence_agrees_with_its_count() {
        let en = "{0} won {deal has|deals have} no amount: {it counts|they count} as won";
        assert_eq!(
            agreeing(en, 1),
            "{0} won deal has no amount: it counts as won"
        );
        assert_eq!(
            agreeing(en, 2),
            "{0} won deals have no amount: they count as won"
        );
        assert_eq!(
            agreeing("{0} {oportunidad|oportunidades}", 0),
            "{0} oportunidades"
        );
        assert_eq!(
            counted("{0} {oportunidad|oportunidades}", 1200, "es"),
            "1.200 oportunidades"
        );
        // Braces that are no choice stay, a lone one too.
        assert_eq!(
            agreeing("[pipeline.stages] {0} { and {", 1),
            "[pipeline.stages] {0} { and {"
        );
    }
}
