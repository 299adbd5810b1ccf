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
    /// Each row as a JSON object keyed by its column names.
    pub fn into_objects(self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        let columns = self.columns;
        self.rows
            .into_iter()
            .map(|row| columns.iter().cloned().zip(row).collect())
            .collect()
    }
}
