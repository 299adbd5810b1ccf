//! Values crossing to and from PostgreSQL.
//!
//! A [`Param`] goes as text and the server reads it as whatever type its place in the
//! statement needs (an `INTEGER` column, a `TIMESTAMP` bound, a `JSON` value), as DuckDB
//! casts a bound value. A result cell comes back in PostgreSQL's binary format and becomes
//! the JSON value a DuckDB result gives for the same SQL type: numbers stay numbers (a
//! `NUMERIC`, which `avg` and `sum` of integers return, becomes a float as DuckDB's
//! `DOUBLE` and `HUGEINT` sums do), instants and dates become DuckDB's text for them.

use crate::query::Param;
use bytes::{BufMut, BytesMut};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime};
use postgres::types::{Format, FromSql, IsNull, ToSql, Type, to_sql_checked};
use serde_json::Value;
use std::error::Error;

type Failure = Box<dyn Error + Sync + Send>;

/// A [`Param`] bound to a PostgreSQL placeholder.
#[derive(Debug)]
pub(crate) struct Bound<'a>(pub &'a Param);

impl ToSql for Bound<'_> {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Failure> {
        let text = match self.0 {
            Param::Null => return Ok(IsNull::Yes),
            Param::Int(i) => i.to_string(),
            Param::Float(x) if x.is_nan() => "NaN".to_owned(),
            Param::Float(x) if x.is_infinite() => {
                if *x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
            }
            Param::Float(x) => x.to_string(),
            Param::Text(s) => s.clone(),
            Param::Bool(b) => b.to_string(),
            Param::Timestamp(t) => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        };
        out.put_slice(text.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// One result cell as the JSON value DuckDB's results give for it.
#[derive(Debug)]
pub(crate) struct Cell(pub Value);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Cell, Failure> {
        let value = match *ty {
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::INT2 => i16::from_sql(ty, raw)?.into(),
            Type::INT4 => i32::from_sql(ty, raw)?.into(),
            Type::INT8 => i64::from_sql(ty, raw)?.into(),
            Type::OID => u32::from_sql(ty, raw)?.into(),
            Type::FLOAT4 => float(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => float(f64::from_sql(ty, raw)?),
            Type::NUMERIC => float(numeric(raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::String(<&str>::from_sql(ty, raw)?.to_owned())
            }
            Type::JSON => Value::String(std::str::from_utf8(raw)?.to_owned()),
            // JSONB starts with its format version (1).
            Type::JSONB => {
                Value::String(std::str::from_utf8(raw.get(1..).unwrap_or(&[]))?.to_owned())
            }
            Type::TIMESTAMP | Type::TIMESTAMPTZ => Value::String(instant(i64::from_sql(ty, raw)?)),
            Type::DATE => Value::String(date(i32::from_sql(ty, raw)?)),
            _ => return Err(format!("a result column of type {ty} cannot be read").into()),
        };
        Ok(Cell(value))
    }

    fn from_sql_null(_: &Type) -> Result<Cell, Failure> {
        Ok(Cell(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// One row of PostgreSQL's COPY text format onto `out`: the values separated by tabs, a
/// null as `\N`, the line ended.
pub(crate) fn copy_row<'a>(values: impl IntoIterator<Item = Option<&'a str>>, out: &mut Vec<u8>) {
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match value {
            None => out.extend_from_slice(b"\\N"),
            Some(text) => copy_text(text, out),
        }
    }
    out.push(b'\n');
}

/// `text` as a value of PostgreSQL's COPY text format: backslash, tab and line breaks
/// escaped.
fn copy_text(text: &str, line: &mut Vec<u8>) {
    for byte in text.bytes() {
        match byte {
            b'\\' => line.extend_from_slice(b"\\\\"),
            b'\t' => line.extend_from_slice(b"\\t"),
            b'\n' => line.extend_from_slice(b"\\n"),
            b'\r' => line.extend_from_slice(b"\\r"),
            other => line.push(other),
        }
    }
}

fn float(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// PostgreSQL counts instants and dates from 2000-01-01.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date")
}

/// An instant, microseconds from PostgreSQL's epoch, spelt as DuckDB's results spell it
/// (`2026-03-01T09:30:00`, fractions of a second only when there are some).
fn instant(micros: i64) -> String {
    match micros {
        i64::MAX => "infinity".to_owned(),
        i64::MIN => "-infinity".to_owned(),
        _ => {
            let offset = epoch()
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp_micros();
            DateTime::from_timestamp_micros(offset.saturating_add(micros))
                .map_or_else(|| micros.to_string(), |t| timestamp_text(t.naive_utc()))
        }
    }
}

/// An instant as DuckDB's results spell it: Arrow's display of a timestamp, which is
/// chrono's `Debug`.
fn timestamp_text(t: NaiveDateTime) -> String {
    format!("{t:?}")
}

fn date(days: i32) -> String {
    match days {
        i32::MAX => "infinity".to_owned(),
        i32::MIN => "-infinity".to_owned(),
        _ => {
            let day = if days >= 0 {
                epoch().checked_add_days(Days::new(days.unsigned_abs().into()))
            } else {
                epoch().checked_sub_days(Days::new(days.unsigned_abs().into()))
            };
            day.map_or_else(|| days.to_string(), |d| format!("{d:?}"))
        }
    }
}

/// A `NUMERIC` in PostgreSQL's binary format: the number of base-10000 digits, the weight
/// (power of 10000) of the first, the sign, the display scale, then the digits.
fn numeric(raw: &[u8]) -> Result<f64, Failure> {
    let word = |i: usize| -> Result<u16, Failure> {
        raw.get(2 * i..2 * i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a NUMERIC value ended early".into())
    };
    let digits = usize::from(word(0)?);
    let weight = i64::from(word(1)? as i16);
    let sign = word(2)?;
    match sign {
        0xC000 => return Ok(f64::NAN),
        0xD000 => return Ok(f64::INFINITY),
        0xF000 => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    // Spelt out in decimal and parsed once, so the float is the nearest to the exact value.
    let (mut whole, mut fraction) = (String::new(), String::new());
    if weight < -1 {
        fraction.push_str(&"0000".repeat((-weight - 1) as usize));
    }
    for i in 0..digits {
        let group = format!("{:04}", word(4 + i)?);
        if weight - (i as i64) >= 0 {
            whole.push_str(&group);
        } else {
            fraction.push_str(&group);
        }
    }
    let missing = weight + 1 - digits as i64;
    if missing > 0 {
        whole.push_str(&"0000".repeat(missing as usize));
    }
    let text = format!(
        "{}{}.{}",
        if sign == 0x4000 { "-" } else { "" },
        if whole.is_empty() { "0" } else { &whole },
        if fraction.is_empty() { "0" } else { &fraction },
    );
    Ok(text.parse()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `NUMERIC` bytes: digit count, weight, sign, scale, digits.
    fn bytes(weight: i16, sign: u16, digits: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        for word in [digits.len() as u16, weight as u16, sign, 4] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    #[test]
    fn numerics_read_as_the_number_they_spell() {
        // 12345.678 = 1·10000¹ + 2345·10000⁰ + 6780·10000⁻¹
        assert_eq!(numeric(&bytes(1, 0, &[1, 2345, 6780])).unwrap(), 12345.678);
        // −0.00012 = −1·10000⁻¹ + −2000·10000⁻²
        assert_eq!(numeric(&bytes(-1, 0x4000, &[1, 2000])).unwrap(), -0.00012);
        // 0.000000005 = 5000·10000⁻³ (two zero groups before it)
        assert_eq!(numeric(&bytes(-3, 0, &[5000])).unwrap(), 0.000_000_005);
        // 3·10000² = 300000000, with its zero groups left out
        assert_eq!(numeric(&bytes(2, 0, &[3])).unwrap(), 300_000_000.0);
        assert_eq!(numeric(&bytes(0, 0, &[])).unwrap(), 0.0);
        assert!(numeric(&bytes(0, 0xC000, &[])).unwrap().is_nan());
        assert!(numeric(&[0, 3, 0]).is_err());
    }

    #[test]
    fn a_copy_row_escapes_what_postgresql_reads_as_structure() {
        let mut line = Vec::new();
        copy_row([Some("a\tb\\c\nd\re \"f\" \\N"), None, Some("")], &mut line);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "a\\tb\\\\c\\nd\\re \"f\" \\\\N\t\\N\t\n"
        );
    }

    #[test]
    fn instants_and_dates_are_spelt_as_duckdb_spells_them() {
        assert_eq!(instant(0), "2000-01-01T00:00:00");
        // 2026-03-01 09:30:00.25 is 9556 days and 9.5 hours and a quarter second after.
        let micros = (9556 * 86_400 + 9 * 3600 + 1800) * 1_000_000 + 250_000;
        assert_eq!(instant(micros), "2026-03-01T09:30:00.250");
        assert_eq!(instant(-86_400_000_000), "1999-12-31T00:00:00");
        assert_eq!(instant(i64::MAX), "infinity");
        assert_eq!(date(9556), "2026-03-01");
        assert_eq!(date(-1), "1999-12-31");
    }
}
