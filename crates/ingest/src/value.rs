//! Values as people write them: dates in ISO, `D/M/Y` or `M/D/Y`, with or without a time and
//! an offset; numbers with thousands separators, decimal commas and currency signs; yes and
//! no in English and Spanish.
//!
//! The order of day and month, and whether a comma is a decimal point, are decided per
//! column by scanning all of it: one `31/01/2025` settles `D/M/Y` for the column, and a
//! column of `01/02/2025` alone is ambiguous (the import then follows the file's other date
//! columns, or says so).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};

/// The order of day and month in a slashed date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayMonthYear,
    MonthDayYear,
}

impl DateOrder {
    /// `D/M/Y` or `M/D/Y` (also `DMY`, `dd/mm/yyyy`, `mm/dd/yyyy`).
    pub fn parse(text: &str) -> Option<DateOrder> {
        let letters: String = text
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let mut seen = String::new();
        for c in letters.chars() {
            if !seen.contains(c) {
                seen.push(c);
            }
        }
        match seen.as_str() {
            "DMY" => Some(DateOrder::DayMonthYear),
            "MDY" => Some(DateOrder::MonthDayYear),
            _ => None,
        }
    }
}

/// The parts of a date written `a/b/year` (or with `-` or `.`), with the rest of the text.
fn slashed(text: &str) -> Option<(u32, u32, i32, &str)> {
    let (date, rest) = match text.find([' ', 'T']) {
        Some(i) => (&text[..i], text[i + 1..].trim()),
        None => (text, ""),
    };
    let separator = date.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = date.split(separator).collect();
    let [a, b, y] = parts[..] else { return None };
    if a.len() > 2 || b.len() > 2 || !(y.len() == 2 || y.len() == 4) {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let year = if y.len() == 2 {
        // Two-digit years: 00–69 are this century, 70–99 the last (as spreadsheets do).
        if year < 70 { 2000 + year } else { 1900 + year }
    } else {
        year
    };
    Some((a.parse().ok()?, b.parse().ok()?, year, rest))
}

/// What a column's values say about their order: `Some(order)` when one of them can only be
/// read one way, `Err` when two of them contradict each other.
pub fn detect_order<'a>(
    values: impl Iterator<Item = &'a str>,
) -> Result<Option<DateOrder>, String> {
    let mut found: Option<(DateOrder, &str)> = None;
    for value in values {
        let Some((a, b, _, _)) = slashed(value.trim()) else {
            continue;
        };
        let order = match (a > 12, b > 12) {
            (true, false) => DateOrder::DayMonthYear,
            (false, true) => DateOrder::MonthDayYear,
            _ => continue,
        };
        match found {
            Some((seen, first)) if seen != order => {
                return Err(format!(
                    "mixes day-first ('{first}') and month-first ('{value}') dates"
                ));
            }
            None => found = Some((order, value)),
            _ => {}
        }
    }
    Ok(found.map(|(order, _)| order))
}

/// Whether a column holds slashed dates that read two ways (`01/02/2025`) and nothing that
/// settles which: the first such value.
pub fn first_ambiguous<'a>(mut values: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    values.find(|v| matches!(slashed(v.trim()), Some((a, b, _, _)) if a <= 12 && b <= 12 && a != b))
}

/// An instant in UTC from `text`: ISO (`2025-01-31`, `2025-01-31 10:00`, `…T10:00:00.5Z`,
/// `…+02:00`) or slashed in `order`, with an optional time (`14:30`, `2:30 PM`). A date alone
/// is midnight. `None` when it is no date.
pub fn parse_datetime(text: &str, order: Option<DateOrder>) -> Option<NaiveDateTime> {
    let text = text.trim();
    let bytes = text.as_bytes();
    // The shape picks the parser, so a million dates cost one attempt each, not a dozen.
    if bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && matches!(bytes[4], b'-' | b'/')
    {
        return parse_iso(text);
    }
    if bytes.len() == 8 && bytes.iter().all(u8::is_ascii_digit) {
        return NaiveDate::parse_from_str(text, "%Y%m%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN));
    }
    let (a, b, year, rest) = slashed(text)?;
    let (day, month) = match order {
        Some(DateOrder::DayMonthYear) => (a, b),
        Some(DateOrder::MonthDayYear) => (b, a),
        // Unambiguous values read without an order; ambiguous ones need one.
        None if a > 12 => (a, b),
        None if b > 12 || a == b => (b, a),
        None => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    Some(date.and_time(parse_time(rest)?))
}

/// `2025-01-31` (or with `/`), then nothing, a time, or a time with an offset.
fn parse_iso(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    if bytes[7] != bytes[4] || !text.is_char_boundary(10) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| digits(text.get(range)?);
    let date = NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(date.and_time(NaiveTime::MIN));
    }
    let time = rest.strip_prefix(['T', 't', ' '])?;
    let has_offset = time.ends_with(['Z', 'z']) || time.contains(['+', '-']);
    if !has_offset {
        return Some(date.and_time(parse_time(time)?));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.naive_utc());
    }
    [
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M%#z",
        "%Y-%m-%dT%H:%M%#z",
    ]
    .iter()
    .find_map(|format| DateTime::parse_from_str(text, format).ok())
    .map(|t| t.naive_utc())
}

/// `14:30`, `14:30:05`, `14:30:05.123456`, `2:30 PM`; nothing is midnight.
fn parse_time(text: &str) -> Option<NaiveTime> {
    if text.is_empty() {
        return Some(NaiveTime::MIN);
    }
    let (clock, meridiem) = match text.len().checked_sub(2).map(|i| text.split_at(i)) {
        Some((clock, m)) if m.eq_ignore_ascii_case("am") || m.eq_ignore_ascii_case("pm") => {
            (clock.trim_end(), Some(m.eq_ignore_ascii_case("pm")))
        }
        _ => (text, None),
    };
    let mut parts = clock.splitn(3, ':');
    let hour: u32 = digits(parts.next()?)?;
    let minute: u32 = digits(parts.next()?)?;
    let (second, micros) = match parts.next() {
        None => (0, 0),
        Some(rest) => {
            let (whole, fraction) = rest.split_once('.').unwrap_or((rest, ""));
            let micros = if fraction.is_empty() {
                0
            } else {
                let padded: String = fraction.chars().chain("000000".chars()).take(6).collect();
                digits(&padded)?
            };
            (digits(whole)?, micros)
        }
    };
    let hour = match meridiem {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => hour,
    };
    NaiveTime::from_hms_micro_opt(hour, minute, second, micros)
}

/// A short run of ASCII digits as a number.
fn digits(text: &str) -> Option<u32> {
    (!text.is_empty() && text.len() <= 6 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// An instant as the text DuckDB casts to a `TIMESTAMP` (microseconds). Written digit by
/// digit: a million dates through `format!` were a tenth of an import's parsing.
pub fn timestamp_text(t: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    let Ok(year @ 0..=9999) = u32::try_from(t.year()) else {
        return t.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    };
    let mut text = String::with_capacity(26);
    let parts = [
        (year, 4, ""),
        (t.month(), 2, "-"),
        (t.day(), 2, "-"),
        (t.hour(), 2, " "),
        (t.minute(), 2, ":"),
        (t.second(), 2, ":"),
        (t.and_utc().timestamp_subsec_micros(), 6, "."),
    ];
    for (value, width, separator) in parts {
        text.push_str(separator);
        for place in (0..width).rev() {
            let digit = (value / 10u32.pow(place)) % 10;
            text.push(char::from(b'0' + digit as u8));
        }
    }
    text
}

/// A date from `text`, as [`parse_datetime`] reads it (a time, if any, is dropped).
pub fn parse_date(text: &str, order: Option<DateOrder>) -> Option<NaiveDate> {
    parse_datetime(text, order).map(|t| t.date())
}

/// Whether a column writes decimals with a comma (`1.234,50`, `12,5`): the reading most of
/// its telling values agree on (a value such as `1,234` tells nothing).
pub fn decimal_comma<'a>(values: impl Iterator<Item = &'a str>) -> bool {
    let (mut comma, mut point) = (0usize, 0usize);
    for value in values {
        let marks: String = value.chars().filter(|c| matches!(c, '.' | ',')).collect();
        let tail = |mark: char| {
            value
                .rsplit(mark)
                .next()
                .map_or(0, |t| t.chars().take_while(char::is_ascii_digit).count())
        };
        match marks.as_str() {
            "" => {}
            "," if tail(',') != 3 => comma += 1,
            "." if tail('.') != 3 => point += 1,
            m if m.ends_with(',') && m.contains('.') => comma += 1,
            m if m.ends_with('.') && m.contains(',') => point += 1,
            m if m.len() > 1 && m.chars().all(|c| c == '.') => comma += 1,
            m if m.len() > 1 && m.chars().all(|c| c == ',') => point += 1,
            _ => {}
        }
    }
    comma > point
}

/// A number from `text` as a plain decimal string (`-1234.5`): currency signs and codes,
/// spaces and thousands separators dropped, `(12)` read as `-12`, the decimal separator
/// given by the column. Thousands separators must group three digits, so a value written
/// the other way (`12.5` in a decimal-comma column) is refused, not misread. `None` when it
/// is no number.
pub fn parse_number(text: &str, decimal_comma: bool) -> Option<String> {
    let mut text = text.trim();
    let mut negative = false;
    if text.starts_with('(') && text.ends_with(')') {
        negative = true;
        text = &text[1..text.len() - 1];
    }
    let (decimal, thousands) = if decimal_comma {
        (',', '.')
    } else {
        ('.', ',')
    };
    let mut out = String::with_capacity(text.len());
    let mut seen_digit = false;
    let mut seen_decimal = false;
    // Digits since the last thousands separator, once there has been one.
    let mut group: Option<usize> = None;
    let mut leading = 0;
    for c in text.chars() {
        match c {
            '0'..='9' => {
                seen_digit = true;
                out.push(c);
                match group.as_mut() {
                    Some(n) if !seen_decimal => *n += 1,
                    None if !seen_decimal => leading += 1,
                    _ => {}
                }
            }
            '-' | '−' if !seen_digit && !negative => negative = true,
            '+' if !seen_digit => {}
            c if c == decimal && !seen_decimal => {
                if group.is_some_and(|n| n != 3) {
                    return None;
                }
                seen_decimal = true;
                out.push('.');
            }
            c if c == thousands && seen_digit && !seen_decimal => {
                let well_grouped = match group {
                    Some(n) => n == 3,
                    None => (1..=3).contains(&leading),
                };
                if !well_grouped {
                    return None;
                }
                group = Some(0);
            }
            ' ' | '\u{a0}' | '\u{202f}' | '\'' => {}
            '$' | '€' | '£' | '¥' | '%' => {}
            c if c.is_ascii_alphabetic() => {
                // A currency code (USD, EUR, MXN) before or after, never inside the digits.
                if seen_digit && !text.trim_end().ends_with(|e: char| e.is_ascii_alphabetic()) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if !seen_digit || !currency_letters_ok(text) || group.is_some_and(|n| n != 3) && !seen_decimal {
        return None;
    }
    if out.ends_with('.') {
        out.pop();
    }
    if negative {
        out.insert(0, '-');
    }
    Some(out)
}

/// Letters around a number may only be one currency code of three letters.
fn currency_letters_ok(text: &str) -> bool {
    let letters: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|s| !s.is_empty())
        .collect();
    match letters[..] {
        [] => true,
        [code] => code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()),
        _ => false,
    }
}

/// Yes or no in English or Spanish (`true`, `yes`, `y`, `1`, `sí`, `verdadero`, `x`…).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" | "si" | "sí" | "s" | "verdadero" | "v" | "x" => {
            Some(true)
        }
        "false" | "f" | "no" | "n" | "0" | "falso" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn dates_in_every_accepted_form() {
        let dmy = Some(DateOrder::DayMonthYear);
        let mdy = Some(DateOrder::MonthDayYear);
        let cases = [
            ("2025-01-31", None, at(2025, 1, 31, 0, 0)),
            ("2025-01-31 14:30", None, at(2025, 1, 31, 14, 30)),
            ("2025-01-31T14:30:00", None, at(2025, 1, 31, 14, 30)),
            ("2025-01-31T14:30:00Z", None, at(2025, 1, 31, 14, 30)),
            ("2025-01-31T14:30:00+02:00", None, at(2025, 1, 31, 12, 30)),
            ("2025-01-31 14:30:00-0500", None, at(2025, 1, 31, 19, 30)),
            ("2025/01/31", None, at(2025, 1, 31, 0, 0)),
            ("31/01/2025", None, at(2025, 1, 31, 0, 0)),
            ("01/02/2025", dmy, at(2025, 2, 1, 0, 0)),
            ("01/02/2025", mdy, at(2025, 1, 2, 0, 0)),
            ("1.2.25", dmy, at(2025, 2, 1, 0, 0)),
            ("02-01-1999 2:30 PM", mdy, at(1999, 2, 1, 14, 30)),
            ("31/01/2025 09:05", dmy, at(2025, 1, 31, 9, 5)),
        ];
        for (text, order, want) in cases {
            assert_eq!(parse_datetime(text, order), Some(want), "{text}");
        }
        assert_eq!(parse_datetime("01/02/2025", None), None, "ambiguous");
        assert_eq!(parse_datetime("31/02/2025", dmy), None);
        assert_eq!(parse_datetime("soon", None), None);
        assert_eq!(parse_datetime("31/01/2025 13:30 PM", dmy), None);
        assert_eq!(
            parse_datetime("31/01/2025 12:05 AM", dmy),
            Some(at(2025, 1, 31, 0, 5))
        );
        assert_eq!(parse_datetime("31/01/2025 25:00", dmy), None);
        assert_eq!(
            timestamp_text(parse_datetime("2025-01-31 14:30:00.5", None).unwrap()),
            "2025-01-31 14:30:00.500000"
        );
        let micros = parse_datetime("2025-01-31 14:30:00.123456", None).unwrap();
        assert_eq!(micros.and_utc().timestamp_subsec_micros(), 123_456);
        assert_eq!(timestamp_text(micros), "2025-01-31 14:30:00.123456");
        assert_eq!(
            timestamp_text(parse_datetime("0987-03-04 05:06:07", None).unwrap()),
            "0987-03-04 05:06:07.000000"
        );
    }

    #[test]
    fn a_column_settles_its_date_order_or_says_it_cannot() {
        let dmy = ["01/02/2025", "31/01/2025"];
        assert_eq!(
            detect_order(dmy.into_iter()),
            Ok(Some(DateOrder::DayMonthYear))
        );
        let mdy = ["01/02/2025", "12/31/2025"];
        assert_eq!(
            detect_order(mdy.into_iter()),
            Ok(Some(DateOrder::MonthDayYear))
        );
        assert_eq!(detect_order(["01/02/2025"].into_iter()), Ok(None));
        assert_eq!(
            first_ambiguous(["2025-01-01", "01/02/2025"].into_iter()),
            Some("01/02/2025")
        );
        assert!(detect_order(["13/01/2025", "01/13/2025"].into_iter()).is_err());
        assert_eq!(
            DateOrder::parse("dd/mm/yyyy"),
            Some(DateOrder::DayMonthYear)
        );
        assert_eq!(DateOrder::parse("M/D/Y"), Some(DateOrder::MonthDayYear));
    }

    #[test]
    fn numbers_in_every_accepted_form() {
        let point = [
            ("1234.5", "1234.5"),
            ("1,234.50", "1234.50"),
            ("$1,234,567", "1234567"),
            ("-12", "-12"),
            ("(1,200.00)", "-1200.00"),
            ("USD 99.90", "99.90"),
            ("99.90 EUR", "99.90"),
            ("€ 7", "7"),
            ("12.", "12"),
        ];
        for (text, want) in point {
            assert_eq!(parse_number(text, false).as_deref(), Some(want), "{text}");
        }
        let comma = [
            ("1.234,50", "1234.50"),
            ("12,5 €", "12.5"),
            ("1 234,5", "1234.5"),
        ];
        for (text, want) in comma {
            assert_eq!(parse_number(text, true).as_deref(), Some(want), "{text}");
        }
        for text in [
            "",
            "abc",
            "12abc34",
            "1-2",
            "twelve dollars",
            "1.2.3",
            "12,34",
            "1234,567",
        ] {
            assert_eq!(parse_number(text, false), None, "{text}");
        }
        // Written the other way: refused, never misread.
        assert_eq!(parse_number("1200.5", true), None);
        assert_eq!(parse_number("12,5", false), None);
        assert!(decimal_comma(["1234", "1.234,5"].into_iter()));
        assert!(decimal_comma(["12,5"].into_iter()));
        assert!(decimal_comma(["1.234.567"].into_iter()));
        assert!(!decimal_comma(["1,234", "12.5"].into_iter()));
        assert!(!decimal_comma(["1200.5", "3.000,00", "7.25"].into_iter()));
        assert!(decimal_comma(["1200,5", "3.000,00", "7.25"].into_iter()));
    }

    #[test]
    fn booleans_in_english_and_spanish() {
        for yes in ["true", "Yes", "Y", "1", "sí", "Si", "VERDADERO"] {
            assert_eq!(parse_bool(yes), Some(true), "{yes}");
        }
        for no in ["false", "No", "n", "0", "FALSO"] {
            assert_eq!(parse_bool(no), Some(false), "{no}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }
}
