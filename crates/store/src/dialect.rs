//! What differs between the store's two engines in the SQL written above the store.
//!
//! SQL is written once, in the standard spelling both engines take (`EXTRACT(EPOCH FROM …)`,
//! `coalesce`, `generate_series`, `ON CONFLICT … DO UPDATE`), with `?` placeholders; the
//! store numbers them (`$1`, `$2`…) for PostgreSQL. Only what has no common spelling goes
//! through a [`Dialect`].

use std::borrow::Cow;

/// The SQL dialect of a store's engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded DuckDB file.
    DuckDb,
    /// A PostgreSQL database.
    Postgres,
}

impl Dialect {
    /// The engine's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
        }
    }

    /// The median of `expr` as an aggregate (the mean of the two middle values of an even
    /// count, on both engines).
    pub fn median(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("median({expr})"),
            Dialect::Postgres => format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY {expr})"),
        }
    }

    /// The value of `value` on the row with the greatest `by`, as an aggregate; rows where
    /// either is null are passed over on both engines.
    pub fn arg_max(self, value: &str, by: &str) -> String {
        match self {
            Dialect::DuckDb => format!("arg_max({value}, {by})"),
            Dialect::Postgres => format!(
                "(array_agg({value} ORDER BY {by} DESC) FILTER (WHERE {value} IS NOT NULL AND {by} IS NOT NULL))[1]"
            ),
        }
    }

    /// The value of `value` on the row with the least `by`, as an aggregate; rows where
    /// either is null are passed over on both engines.
    pub fn arg_min(self, value: &str, by: &str) -> String {
        match self {
            Dialect::DuckDb => format!("arg_min({value}, {by})"),
            Dialect::Postgres => format!(
                "(array_agg({value} ORDER BY {by}) FILTER (WHERE {value} IS NOT NULL AND {by} IS NOT NULL))[1]"
            ),
        }
    }

    /// The value of `value` on the row with the least `by`, as an aggregate, a null
    /// `value` included (the first change after an instant holds the value then, unset
    /// included).
    pub fn arg_min_null(self, value: &str, by: &str) -> String {
        match self {
            Dialect::DuckDb => format!("arg_min_null({value}, {by})"),
            Dialect::Postgres => {
                format!("(array_agg({value} ORDER BY {by}) FILTER (WHERE {by} IS NOT NULL))[1]")
            }
        }
    }

    /// Whole seconds from instant `from` to instant `to`: the second boundaries crossed,
    /// as DuckDB's `date_diff('second', …)` counts them.
    pub fn seconds_between(self, from: &str, to: &str) -> String {
        match self {
            Dialect::DuckDb => format!("date_diff('second', {from}, {to})"),
            Dialect::Postgres => {
                format!("(floor(EXTRACT(EPOCH FROM {to})) - floor(EXTRACT(EPOCH FROM {from})))")
            }
        }
    }

    /// A JSON object of `pairs` (SQL: a key, its value, the next key…; a bound key as
    /// `CAST(? AS VARCHAR)`).
    pub fn json_object(self, pairs: &str) -> String {
        match self {
            Dialect::DuckDb => format!("json_object({pairs})"),
            Dialect::Postgres => format!("CAST(jsonb_build_object({pairs}) AS JSON)"),
        }
    }

    /// JSON `target` with JSON `patch` merged in (RFC 7396: objects merge key by key, a
    /// null removes its key), as JSON.
    pub fn json_merge_patch(self, target: &str, patch: &str) -> String {
        match self {
            Dialect::DuckDb => format!("json_merge_patch({target}, {patch})"),
            // A function of PostgreSQL's migration 4.
            Dialect::Postgres => format!(
                "CAST(embudo_json_merge_patch(CAST({target} AS JSONB), CAST({patch} AS JSONB)) AS JSON)"
            ),
        }
    }

    /// The row `alias` (a table's alias in the query) as the text of a JSON object, a key
    /// per column.
    pub fn row_json(self, alias: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST(to_json({alias}) AS VARCHAR)"),
            Dialect::Postgres => format!("CAST(row_to_json({alias}) AS VARCHAR)"),
        }
    }

    /// Whole hours from instant `from` to instant `to`: the hour boundaries crossed, as
    /// DuckDB's `date_diff('hour', …)` counts them.
    pub fn hours_between(self, from: &str, to: &str) -> String {
        match self {
            Dialect::DuckDb => format!("date_diff('hour', {from}, {to})"),
            Dialect::Postgres => format!(
                "(floor(EXTRACT(EPOCH FROM {to}) / 3600) - floor(EXTRACT(EPOCH FROM {from}) / 3600))"
            ),
        }
    }

    /// Whether `expr` (text) reads as a value of `data_type`, a type name as the store's
    /// own catalogue (`information_schema.columns`) spells it, never a user's word.
    pub fn casts_to(self, expr: &str, data_type: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(TRY_CAST({expr} AS {data_type}) IS NOT NULL)"),
            // A function of PostgreSQL's migration 4.
            Dialect::Postgres => format!("embudo_casts_to({expr}, '{data_type}')"),
        }
    }

    /// Whether `column` is one of a bound list of ids, the list bound as [`Dialect::id_list`]
    /// spells it: one parameter however many ids.
    pub fn in_id_list(self, column: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_contains(CAST(? AS BIGINT[]), {column})"),
            Dialect::Postgres => format!("{column} = ANY(CAST(? AS BIGINT[]))"),
        }
    }

    /// `ids` as the text of an array literal, for [`Dialect::in_id_list`].
    pub fn id_list(self, ids: &[i64]) -> String {
        let joined = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        match self {
            Dialect::DuckDb => format!("[{joined}]"),
            Dialect::Postgres => format!("{{{joined}}}"),
        }
    }

    /// `expr` (text) read as `to`, or null where it does not read as one.
    pub fn try_cast(self, expr: &str, to: TryCast) -> String {
        match (self, to) {
            (Dialect::DuckDb, TryCast::Date) => format!("TRY_CAST({expr} AS DATE)"),
            (Dialect::DuckDb, TryCast::BigInt) => format!("TRY_CAST({expr} AS BIGINT)"),
            (Dialect::DuckDb, TryCast::Double) => format!("TRY_CAST({expr} AS DOUBLE)"),
            // Functions of PostgreSQL's migration 2.
            (Dialect::Postgres, TryCast::Date) => format!("embudo_try_date({expr})"),
            (Dialect::Postgres, TryCast::BigInt) => format!("embudo_try_bigint({expr})"),
            (Dialect::Postgres, TryCast::Double) => format!("embudo_try_double({expr})"),
        }
    }

    /// An interval of `days` (an integer expression) days.
    pub fn days(self, days: &str) -> String {
        match self {
            Dialect::DuckDb => format!("to_days({days})"),
            Dialect::Postgres => format!("make_interval(days => {days})"),
        }
    }

    /// `expr` (a float) rounded to `digits` decimals (PostgreSQL rounds only `NUMERIC` to
    /// a number of digits; a float's exact value is kept on the way).
    pub fn round(self, expr: &str, digits: u32) -> String {
        match self {
            Dialect::DuckDb => format!("round({expr}, {digits})"),
            Dialect::Postgres => format!("round(CAST({expr} AS NUMERIC), {digits})"),
        }
    }

    /// Whole seconds from 1970 to instant `expr` (rounded), as a `BIGINT`.
    pub fn epoch_seconds(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST(epoch({expr}) AS BIGINT)"),
            Dialect::Postgres => format!("CAST(EXTRACT(EPOCH FROM {expr}) AS BIGINT)"),
        }
    }

    /// The text at `keys` (object keys, outermost first) inside JSON `expr`, or null.
    /// Keys are the caller's own identifiers, never user input.
    pub fn json_text(self, expr: &str, keys: &[&str]) -> String {
        match self {
            Dialect::DuckDb => format!("json_extract_string({expr}, '$.{}')", keys.join(".")),
            Dialect::Postgres => {
                let (last, path) = keys.split_last().expect("a key");
                let path: String = path.iter().map(|k| format!(" -> '{k}'")).collect();
                format!("({expr}{path} ->> '{last}')")
            }
        }
    }

    /// Microseconds from 1970 to instant `expr`, as a `BIGINT`.
    pub fn epoch_micros(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("epoch_us({expr})"),
            Dialect::Postgres => format!("CAST(EXTRACT(EPOCH FROM {expr}) * 1000000 AS BIGINT)"),
        }
    }
}

/// The types [`Dialect::try_cast`] reads text as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryCast {
    Date,
    BigInt,
    Double,
}

/// `sql` with its `?` placeholders numbered `$1`, `$2`… in order, as PostgreSQL takes them.
/// A `?` inside a quoted string or name, or a comment, is left alone; SQL already numbered
/// is returned as it is. Mixing both kinds in one statement is a programming error.
pub(crate) fn numbered(sql: &str) -> Result<Cow<'_, str>, String> {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut count = 0;
    let mut numbered_already = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                // A doubled quote inside is the quote itself, and leaves the string open.
                for (_, inner) in chars.by_ref() {
                    out.push(inner);
                    if inner == c {
                        break;
                    }
                }
            }
            '-' if chars.peek().is_some_and(|&(_, n)| n == '-') => {
                out.push(c);
                for (_, inner) in chars.by_ref() {
                    out.push(inner);
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek().is_some_and(|&(_, n)| n == '*') => {
                out.push(c);
                let mut last = ' ';
                for (_, inner) in chars.by_ref() {
                    out.push(inner);
                    if last == '*' && inner == '/' {
                        break;
                    }
                    last = inner;
                }
            }
            '?' => {
                count += 1;
                out.push_str(&format!("${count}"));
            }
            '$' if chars.peek().is_some_and(|&(_, n)| n.is_ascii_digit()) => {
                numbered_already = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if count > 0 && numbered_already {
        return Err(format!(
            "a statement mixes `?` and `$n` placeholders: {}",
            sql.chars().take(120).collect::<String>()
        ));
    }
    Ok(if count == 0 {
        Cow::Borrowed(sql)
    } else {
        Cow::Owned(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes_and_comments() {
        assert_eq!(
            numbered("SELECT ? + ?, '?', \"a?\", 'it''s ?' -- why?\n, ? /* ? */").unwrap(),
            "SELECT $1 + $2, '?', \"a?\", 'it''s ?' -- why?\n, $3 /* ? */"
        );
        assert_eq!(
            numbered("SELECT $1, $2").unwrap(),
            Cow::Borrowed("SELECT $1, $2")
        );
        assert_eq!(numbered("SELECT 1").unwrap(), "SELECT 1");
        assert!(numbered("SELECT $1, ?").is_err());
        assert!(numbered("SELECT ?, $1").is_err());
    }

    #[test]
    fn json_paths_are_spelt_for_each_engine() {
        assert_eq!(
            Dialect::DuckDb.json_text("custom", &["unresolved", "owner"]),
            "json_extract_string(custom, '$.unresolved.owner')"
        );
        assert_eq!(
            Dialect::Postgres.json_text("custom", &["unresolved", "owner"]),
            "(custom -> 'unresolved' ->> 'owner')"
        );
    }

    #[test]
    fn medians_are_spelt_for_each_engine() {
        assert_eq!(Dialect::DuckDb.median("x"), "median(x)");
        assert_eq!(
            Dialect::Postgres.median("x"),
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)"
        );
    }
}
