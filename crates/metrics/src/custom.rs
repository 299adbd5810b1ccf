//! Custom reports: several metrics over the same range, grain, dimensions and filters, in
//! one table with a column per metric; saved by name in `saved_reports`.

use crate::error::MetricError;
use crate::plan::{self, Noted, Query, QueryText};
use crate::time::Calendar;
use embudo_model::Table;
use embudo_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What a custom report shows, as written in a TOML or JSON spec file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    pub metrics: Vec<String>,
    #[serde(default)]
    pub by: Vec<String>,
    pub grain: Option<String>,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
    pub compare: Option<String>,
}

impl ReportSpec {
    /// The query of one of the report's metrics.
    fn query(&self, metric: &str) -> Result<Query, MetricError> {
        let filters: Vec<(String, String)> = self.filters.clone().into_iter().collect();
        Query::parse(QueryText {
            metric,
            from: &self.from,
            to: &self.to,
            grain: self.grain.as_deref(),
            by: &self.by,
            filters: &filters,
            compare: self.compare.as_deref(),
        })
    }
}

/// A report row's period (its start day) and dimension values.
type RowKey = (Option<String>, Vec<Option<String>>);

/// Run every metric of `spec` and join them on period and dimension values.
pub fn run(
    store: &Store,
    calendar: &Calendar,
    spec: &ReportSpec,
    lang: &str,
) -> Result<Table, MetricError> {
    Ok(run_noted(store, calendar, spec, lang)?.0)
}

/// [`run`], with the notes of its metrics ([`plan::MetricResult::notes`]), each once: a note
/// every metric gives (a period the range cuts short) as it is, any other after its
/// metric's label when the report has several.
pub fn run_noted(
    store: &Store,
    calendar: &Calendar,
    spec: &ReportSpec,
    lang: &str,
) -> Result<(Table, Vec<String>), MetricError> {
    calendar.limits.check_metrics(spec.metrics.len())?;
    let queries = spec
        .metrics
        .iter()
        .map(|m| spec.query(m))
        .collect::<Result<Vec<_>, _>>()?;
    joined(store, calendar, &queries, lang, Noted::Yes)
}

/// Run `queries` (same range, grain and dimensions; filters may differ) and join them on
/// period and dimension values: one column per metric, plus `<metric>_previous` and
/// `<metric>_change_pct` for a comparison. The figures alone, for a canned report's
/// section (see [`plan::figures`]).
pub fn run_queries(
    store: &Store,
    calendar: &Calendar,
    queries: &[Query],
    lang: &str,
) -> Result<Table, MetricError> {
    Ok(joined(store, calendar, queries, lang, Noted::No)?.0)
}

/// The notes of several metrics, each once, in the order first given: one that every
/// metric gives as it is, any other after its metric's label where there are several.
fn merged_notes(noted: &[(String, Vec<String>)]) -> Vec<String> {
    let mut merged: Vec<String> = Vec::new();
    for (label, notes) in noted {
        for note in notes {
            let everyone = noted.iter().all(|(_, theirs)| theirs.contains(note));
            let said = if everyone {
                note.clone()
            } else {
                format!("{label}: {}", lowered(note))
            };
            if !merged.contains(&said) {
                merged.push(said);
            }
        }
    }
    merged
}

/// `note` with its first letter in lower case, to follow a label and a colon ("The store
/// holds…" → "the store holds…"); an initialism ("NPS is…") keeps its capitals.
fn lowered(note: &str) -> String {
    let mut chars = note.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => first
            .to_lowercase()
            .chain(note[first.len_utf8()..].chars())
            .collect(),
        _ => note.to_owned(),
    }
}

/// [`run_queries`] with the metrics' notes ([`merged_notes`]) where `noted` says so.
fn joined(
    store: &Store,
    calendar: &Calendar,
    queries: &[Query],
    lang: &str,
    noted: Noted,
) -> Result<(Table, Vec<String>), MetricError> {
    if queries.is_empty() {
        return Err(MetricError::Invalid(
            "a report needs at least one metric".into(),
        ));
    }
    let mut columns: Vec<String> = Vec::new();
    // What a metric is in a period and combination it measured nothing in (a count is 0,
    // a ratio unknown): the value of a row that only another metric of the report has.
    let mut empty: Vec<Value> = Vec::new();
    let mut rows: BTreeMap<RowKey, BTreeMap<usize, Value>> = BTreeMap::new();
    let mut key_columns = Vec::new();
    let with_period = queries[0].grain.is_some();
    let results = plan::run_together(store, calendar, queries, lang, noted)?;
    let noted: Vec<(String, Vec<String>)> = results
        .iter()
        .map(|result| (result.label.clone(), result.notes.clone()))
        .collect();
    for (index, result) in results.into_iter().enumerate() {
        if index == 0 {
            if with_period {
                key_columns.push("period".to_owned());
            }
            key_columns.extend(result.by.iter().map(|d| d.name().to_owned()));
        }
        let first_column = columns.len();
        let metric = plan::metric(&result.metric)?;
        let nothing: Vec<Option<f64>> = metric.measures.iter().map(|m| m.agg.empty()).collect();
        let nothing = json!(metric.combine.apply(&nothing, 1.0));
        columns.push(result.metric.clone());
        empty.push(nothing.clone());
        if result.compare.is_some() {
            columns.push(format!("{}_previous", result.metric));
            columns.push(format!("{}_change_pct", result.metric));
            empty.extend([nothing, Value::Null]);
        }
        for row in result.rows {
            let key = (row.period.map(|p| p.to_string()), row.dims.clone());
            let cells = rows.entry(key).or_default();
            cells.insert(first_column, json!(row.value));
            if result.compare.is_some() {
                cells.insert(first_column + 1, json!(row.previous));
                cells.insert(first_column + 2, json!(row.change_pct));
            }
        }
    }
    // A metric that measured nothing anywhere gives one row of no dimension values (see
    // `plan::spine_rows`); beside other metrics' rows it would add a blank row of empty
    // figures (a service report's agent list with a nameless agent who handled nothing).
    let named = rows
        .keys()
        .any(|(_, dims)| dims.iter().any(Option::is_some));
    let says_nothing = |dims: &[Option<String>], cells: &BTreeMap<usize, Value>| {
        dims.iter().all(Option::is_none) && cells.iter().all(|(i, value)| *value == empty[*i])
    };
    rows.retain(|(_, dims), cells| !(named && says_nothing(dims, cells)));
    let table_rows = rows
        .into_iter()
        .map(|((period, dims), cells)| {
            let mut row: Vec<Value> = Vec::new();
            if with_period {
                row.push(json!(period));
            }
            row.extend(dims.into_iter().map(|d| json!(d)));
            row.extend((0..columns.len()).map(|i| cells.get(&i).unwrap_or(&empty[i]).clone()));
            row
        })
        .collect();
    key_columns.extend(columns);
    let table = Table {
        columns: key_columns,
        rows: table_rows,
    };
    Ok((table, merged_notes(&noted)))
}

/// Store `spec` under `name` from the command line: no owner, open to everyone, replacing
/// a report of that name.
pub fn save(store: &Store, name: &str, spec: &ReportSpec) -> Result<(), MetricError> {
    let text = serde_json::to_string(spec).map_err(|e| MetricError::Invalid(e.to_string()))?;
    Ok(store.save_report(name, &text, None, true)?)
}

/// Who saves a report through the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saver {
    pub user: i64,
    /// An admin: may replace anyone's report, and share one with everyone.
    pub admin: bool,
}

/// Store `spec` under `name` for `saver`, open to everyone when `shared` (admins only).
/// A report of that name is replaced only if it is the saver's own, or by an admin.
pub fn save_owned(
    store: &Store,
    name: &str,
    spec: &ReportSpec,
    saver: Saver,
    shared: bool,
) -> Result<(), MetricError> {
    if shared && !saver.admin {
        return Err(MetricError::NotYours(
            "only an admin shares a saved report with everyone".into(),
        ));
    }
    let owner = store.saved_report_owner(name)?;
    if let Some(owner) = owner
        && owner != Some(saver.user)
        && !saver.admin
    {
        return Err(MetricError::NotYours(format!(
            "a report named '{name}' is saved by someone else: choose another name"
        )));
    }
    let text = serde_json::to_string(spec).map_err(|e| MetricError::Invalid(e.to_string()))?;
    Ok(store.save_report(name, &text, Some(saver.user), shared)?)
}

/// The report saved as `name`, if `reader` (a user; `None` for the command line) may open
/// it: their own, or one shared with everyone.
pub fn load(store: &Store, name: &str, reader: Option<i64>) -> Result<ReportSpec, MetricError> {
    let spec = store.saved_report_spec(name, reader)?;
    let text = spec.ok_or_else(|| {
        MetricError::Invalid(format!(
            "no saved report '{name}'; `embudo query --list` lists them"
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| MetricError::Invalid(format!("saved report '{name}' is damaged: {e}")))
}

/// The saved reports `reader` may open (every one for `None`): name, metrics, when it was
/// saved, whether it is shared.
pub fn list(store: &Store, reader: Option<i64>) -> Result<Table, MetricError> {
    Ok(store.saved_reports_table(reader)?)
}

/// The names of the saved reports `reader` may run (all with `None`), by name.
pub fn names(store: &Store, reader: Option<i64>) -> Result<Vec<String>, MetricError> {
    Ok(store.saved_report_names(reader)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_of_several_metrics_are_said_once_each_after_their_label() {
        let noted = |list: &[(&str, &[&str])]| {
            let noted: Vec<(String, Vec<String>)> = list
                .iter()
                .map(|(label, notes)| {
                    (
                        label.to_string(),
                        notes.iter().map(|n| n.to_string()).collect(),
                    )
                })
                .collect();
            merged_notes(&noted)
        };
        let cut = "The last period (2027-01-01) counts only 2027-01-01 to 2027-01-14, not the whole month";
        assert_eq!(
            noted(&[
                (
                    "Deals won",
                    &["The store holds nothing after 2026-11-03", cut]
                ),
                ("Revenue", &[cut, "NPS is empty"]),
            ]),
            [
                "Deals won: the store holds nothing after 2026-11-03",
                cut,
                "Revenue: NPS is empty",
            ]
        );
        // One metric's notes are its own, as they are.
        assert_eq!(
            noted(&[("Deals won", &["The store holds nothing after 2026-11-03"])]),
            ["The store holds nothing after 2026-11-03"]
        );
    }
}
