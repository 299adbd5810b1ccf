//! A report as data: sections of columns and rows, charts, insights and notes. Renderers
//! turn it into a terminal table, CSV, JSON or HTML; nothing here knows how.

use embudo_model::text::grouped;
use serde::Serialize;
use serde_json::Value;

/// How a column's values read, for formatting and for typed spreadsheet cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Count,
    Money,
    /// A share in [0, 1], shown as a percentage.
    Ratio,
    Days,
    Hours,
    Minutes,
    /// Any other number.
    Number,
}

impl Kind {
    /// How a value of a metric in `unit` reads.
    pub fn of(unit: embudo_metrics::catalog::Unit) -> Kind {
        use embudo_metrics::catalog::Unit;
        match unit {
            Unit::Count => Kind::Count,
            Unit::Money => Kind::Money,
            Unit::Ratio => Kind::Ratio,
            Unit::Days => Kind::Days,
            Unit::Hours => Kind::Hours,
            Unit::Minutes => Kind::Minutes,
            Unit::PerDay | Unit::Score => Kind::Number,
        }
    }
}

/// A column: its key (the JSON name, language-neutral), how it reads, and its label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub key: String,
    #[serde(skip)]
    pub kind: Kind,
    #[serde(skip)]
    pub label: String,
}

/// A picture of a section's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    #[serde(rename = "type")]
    pub kind: ChartKind,
    /// Key of the column along the category axis.
    pub x: String,
    /// Keys of the value columns drawn.
    pub y: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Horizontal bars, one per row.
    Bar,
    /// Stages narrowing down.
    Funnel,
    /// Values over time.
    Line,
    /// Bars per category, one segment per value column.
    StackedBar,
    /// Bars sorted high to low and their cumulative share.
    Pareto,
    /// A bar per category for the first value column, with the range from the second to
    /// the third drawn across it (a forecast and its P10–P90).
    Range,
}

/// One table of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Section {
    /// Key of the section (language-neutral).
    pub name: String,
    #[serde(skip)]
    pub title: String,
    #[serde(serialize_with = "column_keys")]
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<Chart>,
    /// Whether its columns named after metrics hold the metric layer's own values, each
    /// over its row's period and dimension values (see [`crate::drill`]); a section of a
    /// report's own SQL may name a column after a metric and mean something narrower.
    #[serde(skip)]
    pub from_metrics: bool,
    /// With a comparison: for each row, the same row over the earlier range (matched on its
    /// labels, and a period on its place among the periods), `null` where there was none;
    /// see [`crate::compare`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_rows: Option<Vec<Value>>,
    /// For a list of records (deals), the record each row is: its page is where the row
    /// leads.
    #[serde(skip)]
    pub records: Option<RowRecords>,
    /// For a section of a report's own SQL, the records each row's figures are made of:
    /// where those figures lead.
    #[serde(skip)]
    pub groups: Option<RowGroups>,
    /// For a pivot (a column per value of a dimension), the metric its cells hold and the
    /// dimension its columns are the values of: each cell is that metric over its row's
    /// period and its column's value.
    #[serde(skip)]
    pub pivoted: Option<(String, String)>,
    /// For a section whose rows each measure their own query (a goal over its period and
    /// scope), what the figures of some columns count, row by row.
    #[serde(skip)]
    pub targets: Vec<RowTargets>,
}

/// What the figure in one column of each row counts, by position; `None` where it leads
/// nowhere.
#[derive(Debug, Clone, PartialEq)]
pub struct RowTargets {
    pub column: String,
    pub rows: Vec<Option<crate::drill::Target>>,
}

/// The records each row of a section counts, by position.
#[derive(Debug, Clone, PartialEq)]
pub struct RowGroups {
    /// The table (`deals`, `activities`).
    pub table: &'static str,
    pub figures: Vec<Figures>,
}

/// Columns whose figures are a count, or sums, over the same records of each row.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub columns: Vec<String>,
    /// Each row's records.
    pub ids: Vec<Vec<i64>>,
}

impl RowGroups {
    /// The records behind the figure in `column` of row `row`, if it is one of them.
    pub fn behind(&self, row: usize, column: &str) -> Option<&[i64]> {
        let figures = self
            .figures
            .iter()
            .find(|f| f.columns.iter().any(|c| c == column))?;
        figures.ids.get(row).map(Vec::as_slice)
    }
}

/// The records a list's rows are, by position.
#[derive(Debug, Clone, PartialEq)]
pub struct RowRecords {
    /// The table (`deals`), as a record page's address names it.
    pub table: &'static str,
    pub ids: Vec<Option<i64>>,
}

impl RowRecords {
    /// The page of row `row`'s record, if it has one.
    pub fn href(&self, row: usize) -> Option<String> {
        let id = (*self.ids.get(row)?)?;
        Some(format!("/{}/{id}", self.table))
    }
}

fn column_keys<S: serde::Serializer>(columns: &[Column], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(columns.iter().map(|c| &c.key))
}

/// A finished report, in the JSON shape of `docs/spec/reports.md`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub report: String,
    #[serde(skip)]
    pub title: String,
    pub params: serde_json::Map<String, Value>,
    pub generated_at: String,
    pub sections: Vec<Section>,
    pub insights: Vec<String>,
    pub notes: Vec<String>,
}

impl Section {
    /// The index of the column with `key`.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }

    /// Whether people see `column` (on a page, in the terminal): a metric's key beside its
    /// name, which is how they read the key, says nothing more (exports keep it).
    pub fn shown(&self, column: &Column) -> bool {
        !(column.key == "metric" && self.column("label").is_some())
    }
}

/// A cell as people of `lang` read it: [`display`] in English; in Spanish (`es`) with the
/// separators swapped and a space before a percent sign (`1.234,50`, `12,5 %`); text as
/// it is in either.
pub fn display_in(value: &Value, kind: Kind, lang: &str) -> String {
    let english = display(value, kind);
    if lang != "es" || kind == Kind::Text || value.is_string() {
        return english;
    }
    spanish(&english)
}

/// English number text as Spanish writes it: the separators swap, a percent sign gets its
/// space.
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

/// A cell as people read it: thousands separators, money to the cent, shares as
/// percentages, durations to one decimal; empty for null.
pub fn display(value: &Value, kind: Kind) -> String {
    let Some(x) = value.as_f64() else {
        return match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Bool(true) => "✓".into(),
            Value::Bool(false) => "—".into(),
            other => other.to_string(),
        };
    };
    match kind {
        Kind::Ratio => format!("{:.1}%", x * 100.0),
        Kind::Money => grouped(x, 2),
        Kind::Count => grouped(x, 0),
        Kind::Days | Kind::Hours | Kind::Minutes => grouped(x, 1),
        Kind::Number | Kind::Text => {
            if x.fract() == 0.0 {
                grouped(x, 0)
            } else {
                grouped(x, 2)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_read_as_people_expect() {
        assert_eq!(display(&json!(1234567.891), Kind::Money), "1,234,567.89");
        assert_eq!(display(&json!(0.1234), Kind::Ratio), "12.3%");
        assert_eq!(display(&json!(-42.0), Kind::Count), "−42");
        assert_eq!(display(&json!(12.25), Kind::Days), "12.2");
        assert_eq!(display(&Value::Null, Kind::Money), "");
        assert_eq!(display(&json!("email"), Kind::Text), "email");
    }
}
