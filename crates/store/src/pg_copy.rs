//! The bulk write path's batches as PostgreSQL's binary `COPY` format, so a load into
//! PostgreSQL sends each value in the server's own representation (no text to parse).
//!
//! The format (PostgreSQL's documentation, "COPY", "Binary Format"): a signature and two
//! 32-bit words, then per row a 16-bit field count and per field a 32-bit length (-1 for
//! NULL) followed by the value in the type's binary send format, then a 16-bit -1. Every
//! number is big-endian.

use crate::error::{Result, StoreError};
use duckdb::arrow::array::{
    Array, AsArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int16Array,
    Int32Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;

/// The signature, flags (no OIDs) and header extension length (none).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Days from the Unix epoch (Arrow's dates) to PostgreSQL's, 2000-01-01.
const EPOCH_DAYS: i32 = 10_957;

/// Microseconds from the Unix epoch (Arrow's instants) to PostgreSQL's.
const EPOCH_MICROS: i64 = EPOCH_DAYS as i64 * 86_400_000_000;

/// A batch of rows as one binary `COPY` stream: header, rows, trailer.
pub(crate) fn encode(table: &str, batch: &RecordBatch) -> Result<Vec<u8>> {
    let columns: Vec<Column<'_>> = batch
        .columns()
        .iter()
        .map(|array| Column::of(array.as_ref()))
        .collect::<Option<_>>()
        .ok_or_else(|| StoreError::Columns {
            table: table.to_owned(),
            problem: "a column's type has no binary COPY encoding here".into(),
        })?;
    let field_count = i16::try_from(columns.len()).map_err(|_| StoreError::Columns {
        table: table.to_owned(),
        problem: "too many columns for one COPY row".into(),
    })?;
    let mut out = Vec::with_capacity(HEADER.len() + batch.num_rows() * columns.len() * 12);
    out.extend_from_slice(HEADER);
    for row in 0..batch.num_rows() {
        out.extend_from_slice(&field_count.to_be_bytes());
        for column in &columns {
            column.put(row, &mut out);
        }
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    Ok(out)
}

/// One column of a batch, by the types the bulk path builds.
enum Column<'a> {
    BigInt(&'a Int64Array),
    Integer(&'a Int32Array),
    SmallInt(&'a Int16Array),
    Double(&'a Float64Array),
    Boolean(&'a BooleanArray),
    Text(&'a StringArray),
    Timestamp(&'a TimestampMicrosecondArray),
    Date(&'a Date32Array),
    /// `DECIMAL(18,2)`, in cents.
    Money(&'a Decimal128Array),
}

impl<'a> Column<'a> {
    fn of(array: &'a dyn Array) -> Option<Column<'a>> {
        use duckdb::arrow::datatypes::{
            Date32Type, Decimal128Type, Float64Type, Int16Type, Int32Type, Int64Type,
            TimestampMicrosecondType,
        };
        Some(match array.data_type() {
            DataType::Int64 => Column::BigInt(array.as_primitive::<Int64Type>()),
            DataType::Int32 => Column::Integer(array.as_primitive::<Int32Type>()),
            DataType::Int16 => Column::SmallInt(array.as_primitive::<Int16Type>()),
            DataType::Float64 => Column::Double(array.as_primitive::<Float64Type>()),
            DataType::Boolean => Column::Boolean(array.as_boolean()),
            DataType::Utf8 => Column::Text(array.as_string::<i32>()),
            DataType::Timestamp(TimeUnit::Microsecond, None) => {
                Column::Timestamp(array.as_primitive::<TimestampMicrosecondType>())
            }
            DataType::Date32 => Column::Date(array.as_primitive::<Date32Type>()),
            DataType::Decimal128(_, 2) => Column::Money(array.as_primitive::<Decimal128Type>()),
            _ => return None,
        })
    }

    fn is_null(&self, row: usize) -> bool {
        match self {
            Column::BigInt(a) => a.is_null(row),
            Column::Integer(a) => a.is_null(row),
            Column::SmallInt(a) => a.is_null(row),
            Column::Double(a) => a.is_null(row),
            Column::Boolean(a) => a.is_null(row),
            Column::Text(a) => a.is_null(row),
            Column::Timestamp(a) => a.is_null(row),
            Column::Date(a) => a.is_null(row),
            Column::Money(a) => a.is_null(row),
        }
    }

    /// The field at `row`: its length, then its value.
    fn put(&self, row: usize, out: &mut Vec<u8>) {
        if self.is_null(row) {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            return;
        }
        match self {
            Column::BigInt(a) => field(out, &a.value(row).to_be_bytes()),
            Column::Integer(a) => field(out, &a.value(row).to_be_bytes()),
            Column::SmallInt(a) => field(out, &a.value(row).to_be_bytes()),
            Column::Double(a) => field(out, &a.value(row).to_be_bytes()),
            Column::Boolean(a) => field(out, &[u8::from(a.value(row))]),
            Column::Text(a) => field(out, a.value(row).as_bytes()),
            Column::Timestamp(a) => field(out, &(a.value(row) - EPOCH_MICROS).to_be_bytes()),
            Column::Date(a) => field(out, &(a.value(row) - EPOCH_DAYS).to_be_bytes()),
            Column::Money(a) => field(out, &numeric_of_cents(a.value(row))),
        }
    }
}

fn field(out: &mut Vec<u8>, value: &[u8]) {
    // Every value here is far below 2 GiB, the format's limit.
    out.extend_from_slice(&(value.len() as i32).to_be_bytes());
    out.extend_from_slice(value);
}

/// An amount in cents as PostgreSQL's binary `numeric`: digit count, weight (the power of
/// 10,000 of the first digit), sign, display scale, then the digits in base 10,000, most
/// significant first and without trailing zeros. The cents are the first fractional digit,
/// times 100 (0.34 is 3400 ten-thousandths).
fn numeric_of_cents(cents: i128) -> Vec<u8> {
    const POSITIVE: u16 = 0x0000;
    const NEGATIVE: u16 = 0x4000;
    const SCALE: u16 = 2;
    let magnitude = cents.unsigned_abs();
    let (mut whole, fraction) = (magnitude / 100, (magnitude % 100) as u16);
    let mut digits: Vec<u16> = Vec::new();
    while whole > 0 {
        digits.push((whole % 10_000) as u16);
        whole /= 10_000;
    }
    digits.reverse();
    let weight = digits.len() as i16 - 1;
    digits.push(fraction * 100);
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let sign = if cents < 0 { NEGATIVE } else { POSITIVE };
    // Zero has no digits and weight 0.
    let weight = if digits.is_empty() { 0 } else { weight };
    let mut out = Vec::with_capacity(8 + 2 * digits.len());
    out.extend_from_slice(&(digits.len() as u16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&SCALE.to_be_bytes());
    for digit in digits {
        out.extend_from_slice(&digit.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::numeric_of_cents;

    /// The words of a `numeric`: count, weight, sign, scale, digits.
    fn words(cents: i128) -> Vec<u16> {
        numeric_of_cents(cents)
            .chunks(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect()
    }

    #[test]
    fn cents_become_base_ten_thousand_digits() {
        // 12.34 = 12 + 3400 / 10,000.
        assert_eq!(words(1234), [2, 0, 0, 2, 12, 3400]);
        // 100,000.50 = 10 × 10,000 + 0 + 5000 / 10,000.
        assert_eq!(words(10_000_050), [3, 1, 0, 2, 10, 0, 5000]);
        // 20,000.00: the trailing zero digits are dropped.
        assert_eq!(words(2_000_000), [1, 1, 0, 2, 2]);
        // 0.05 has no whole digit: weight -1.
        assert_eq!(words(5), [1, 0xffff, 0, 2, 500]);
        assert_eq!(words(-250), [2, 0, 0x4000, 2, 2, 5000]);
        assert_eq!(words(0), [0, 0, 0, 2]);
    }
}
