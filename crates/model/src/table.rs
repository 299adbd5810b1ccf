//! A result grid shared by queries and reports.

use serde::Serialize;

/// Named columns and rows of JSON cells.
///
/// JSON cells keep what the renderers need to know (number, text, boolean, null) without
/// tying reports to the database's value types.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    /// Column headers, in display order.
    pub columns: Vec<String>,
    /// One entry per row, each as long as `columns`.
    pub rows: Vec<Vec<serde_json::Value>>,
}

impl Table {
    /// Where the column called `name` is.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Row `row`'s cell in the column called `name`; null where there is none.
    pub fn cell(&self, row: usize, name: &str) -> &serde_json::Value {
        const NULL: &serde_json::Value = &serde_json::Value::Null;
        self.column(name)
            .and_then(|c| self.rows.get(row)?.get(c))
            .unwrap_or(NULL)
    }

    /// Each row as a JSON object keyed by its column names.
    pub fn into_objects(self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        let columns = self.columns;
        self.rows
            .into_iter()
            .map(|row| columns.iter().cloned().zip(row).collect())
            .collect()
    }
}
