//! A report's parameters and the helpers that turn metric queries and report-specific SQL
//! into sections.

use crate::ReportError;
use crate::i18n::{column_label, label};
use crate::model::{Column, Kind, Section};
use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use embudo_metrics::catalog;
use embudo_metrics::custom::run_queries;
use embudo_metrics::{Bound, Calendar, Compare, Dim, Grain, Query};
use embudo_store::{Param, Store};
use serde_json::{Map, Value, json};

/// What the user asked for; every field is optional and has the spec's default.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub from: Option<Bound>,
    pub to: Option<Bound>,
    /// The reference instant of point-in-time reports (UTC).
    pub at: Option<NaiveDateTime>,
    pub pipeline: Option<String>,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub source: Option<String>,
    pub by: Option<Dim>,
    pub grain: Option<Grain>,
    /// Months ahead for the forecast.
    pub months: Option<u32>,
    pub lang: String,
    /// Each figure beside its value over an earlier range ([`crate::compare`]).
    pub compare: Option<Compare>,
}

/// Everything a report is built from.
#[derive(Debug)]
pub struct Context<'a> {
    pub store: &'a Store,
    pub calendar: Calendar,
    pub params: Params,
    /// The present (UTC), for defaults.
    pub now: NaiveDateTime,
}

impl Context<'_> {
    pub fn lang(&self) -> &str {
        &self.params.lang
    }

    /// The range of a period report: `--from/--to`, by default the last complete month
    /// of the reporting calendar.
    pub fn range(&self) -> (Bound, Bound) {
        let today = self.calendar.to_local(self.now).date();
        let this_month = today.with_day(1).expect("day 1 exists");
        (
            self.params
                .from
                .unwrap_or(Bound::Day(this_month - Months::new(1))),
            self.params.to.unwrap_or(Bound::Day(this_month)),
        )
    }

    /// The same range one period earlier, as the metric layer compares.
    pub fn range_days(&self) -> (NaiveDate, NaiveDate) {
        let (from, to) = self.range();
        (
            from.local(&self.calendar).date(),
            to.local(&self.calendar).date(),
        )
    }

    /// The reference instant of a point-in-time report (UTC): `--at`, by default now.
    pub fn at(&self) -> NaiveDateTime {
        self.params.at.unwrap_or(self.now)
    }

    /// The range's bounds as UTC instants, for report-specific SQL.
    pub fn range_utc(&self) -> (NaiveDateTime, NaiveDateTime) {
        let (from, to) = self.range();
        (
            self.calendar.to_utc(from.local(&self.calendar)),
            self.calendar.to_utc(to.local(&self.calendar)),
        )
    }

    /// The filters of the parameters, as dimensions.
    pub fn filters(&self) -> Vec<(Dim, String)> {
        let p = &self.params;
        [
            (Dim::Pipeline, &p.pipeline),
            (Dim::Owner, &p.owner),
            (Dim::Team, &p.team),
            (Dim::LeadSource, &p.source),
        ]
        .into_iter()
        .filter_map(|(dim, value)| value.clone().map(|v| (dim, v)))
        .collect()
    }

    /// A query of `metric` over the report's range with the filters it can take.
    pub fn query(
        &self,
        metric: &str,
        by: &[Dim],
        grain: Option<Grain>,
        compare: Option<Compare>,
    ) -> Query {
        let (from, to) = self.range();
        let accepts = catalog::find(metric)
            .map(|m| m.dimensions())
            .unwrap_or_default();
        Query {
            metric: metric.to_owned(),
            from,
            to,
            grain,
            by: by.to_vec(),
            filters: self
                .filters()
                .into_iter()
                .filter(|(d, _)| accepts.contains(d))
                .collect(),
            compare,
        }
    }

    /// A section of metric columns, joined on period and dimensions.
    pub fn metrics_section(&self, name: &str, queries: &[Query]) -> Result<Section, ReportError> {
        let table = run_queries(self.store, &self.calendar, queries, self.lang())?;
        let columns = table
            .columns
            .iter()
            .map(|key| self.column(key, metric_kind(key)))
            .collect();
        Ok(Section {
            from_metrics: true,
            ..self.section(name, columns, table.rows)
        })
    }

    /// A section from report-specific SQL; `columns` name and type its result columns.
    pub fn sql_section(
        &self,
        name: &str,
        sql: &str,
        params: &[Param],
        columns: &[(&str, Kind)],
    ) -> Result<Section, ReportError> {
        let table = self.store.query_with(sql, params)?;
        let columns = columns
            .iter()
            .map(|(key, kind)| self.column(key, *kind))
            .collect();
        Ok(self.section(name, columns, table.rows))
    }

    /// A list of records from report-specific SQL whose last selected column (not in
    /// `columns`) is each row's id in `table`: kept aside, for each row to lead to its record.
    pub fn record_list(
        &self,
        name: &str,
        table: &'static str,
        sql: &str,
        params: &[Param],
        columns: &[(&str, Kind)],
    ) -> Result<Section, ReportError> {
        let mut with_id = columns.to_vec();
        with_id.push(("id", Kind::Number));
        let mut section = self.sql_section(name, sql, params, &with_id)?;
        section.columns.pop();
        let ids = section
            .rows
            .iter_mut()
            .map(|row| row.pop().and_then(|id| id.as_i64()))
            .collect();
        section.records = Some(crate::model::RowRecords { table, ids });
        Ok(section)
    }

    /// A section from report-specific SQL whose last selected columns (not in `columns`),
    /// one per group of `figures`, are the ids, in `table`, of the records each row's
    /// figures of that group count, comma-separated (`string_agg`): a group's figures (a
    /// count, and sums over the same records) lead to them.
    pub fn grouped_section(
        &self,
        name: &str,
        (table, figures): (&'static str, &[&[&str]]),
        sql: &str,
        params: &[Param],
        columns: &[(&str, Kind)],
    ) -> Result<Section, ReportError> {
        let mut with_ids = columns.to_vec();
        with_ids.extend(figures.iter().map(|_| ("ids", Kind::Text)));
        let mut section = self.sql_section(name, sql, params, &with_ids)?;
        section.columns.truncate(columns.len());
        let mut groups: Vec<crate::model::Figures> = figures
            .iter()
            .map(|group| crate::model::Figures {
                columns: group.iter().map(|c| (*c).to_owned()).collect(),
                ids: Vec::new(),
            })
            .collect();
        for row in &mut section.rows {
            for (group, text) in groups.iter_mut().zip(row.drain(columns.len()..)) {
                group.ids.push(match text {
                    Value::String(ids) => ids
                        .split(',')
                        .filter_map(|id| id.trim().parse().ok())
                        .collect(),
                    _ => Vec::new(),
                });
            }
        }
        section.groups = Some(crate::model::RowGroups {
            table,
            figures: groups,
        });
        Ok(section)
    }

    pub fn column(&self, key: &str, kind: Kind) -> Column {
        Column {
            key: key.to_owned(),
            kind,
            label: column_label(key, self.lang()),
        }
    }

    pub fn section(&self, name: &str, columns: Vec<Column>, rows: Vec<Vec<Value>>) -> Section {
        Section {
            name: name.to_owned(),
            title: label(&format!("section.{name}"), self.lang()),
            columns,
            rows,
            ..Default::default()
        }
    }

    /// The parameters as the report's JSON `params`.
    pub fn params_json(&self, point_in_time: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if point_in_time {
            out.insert(
                "at".into(),
                json!(
                    self.at()
                        .and_utc()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            );
        }
        let (from, to) = self.range();
        out.insert("from".into(), json!(from.to_string()));
        out.insert("to".into(), json!(to.to_string()));
        for (dim, value) in self.filters() {
            out.insert(dim.name().into(), json!(value));
        }
        if let Some(by) = self.params.by {
            out.insert("by".into(), json!(by.name()));
        }
        if let Some(grain) = self.params.grain {
            out.insert("grain".into(), json!(grain.as_str()));
        }
        out.insert("lang".into(), json!(self.lang()));
        out.insert("timezone".into(), json!(self.calendar.tz.name()));
        out
    }

    /// Refuse a filter value that names nothing in the store (whatever its case), with the
    /// nearest values that do: an empty report would otherwise look like an answer.
    pub fn check_filters(&self) -> Result<(), ReportError> {
        for (dim, value) in self.filters() {
            let (what, sql) = match dim {
                Dim::Owner => ("owner", "SELECT DISTINCT name FROM users"),
                Dim::Team => ("team", "SELECT DISTINCT name FROM teams"),
                Dim::Pipeline => ("pipeline", "SELECT DISTINCT name FROM pipelines"),
                _ => (
                    "lead source",
                    "SELECT DISTINCT source FROM deals UNION SELECT DISTINCT lead_source FROM contacts",
                ),
            };
            let known: Vec<String> = self
                .store
                .values::<Option<String>>(sql, &[])?
                .into_iter()
                .flatten()
                .collect();
            let wanted = value.to_lowercase();
            if known.iter().any(|k| k.to_lowercase() == wanted) {
                continue;
            }
            let mut nearest: Vec<(f64, &String)> = known
                .iter()
                .map(|k| (strsim::jaro_winkler(&k.to_lowercase(), &wanted), k))
                .collect();
            nearest.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            let names: Vec<&str> = nearest.iter().take(3).map(|(_, k)| k.as_str()).collect();
            return Err(ReportError::Invalid(if names.is_empty() {
                format!("no {what} named '{value}': the store has none yet")
            } else {
                format!(
                    "no {what} named '{value}'; the nearest: {}",
                    names.join(", ")
                )
            }));
        }
        Ok(())
    }

    /// SQL conditions (with their parameters) limiting deals `d` to the report's filters;
    /// the query must join `users own` (owner), `teams tm` and `pipelines pl`.
    pub fn deal_filters(&self) -> (String, Vec<Param>) {
        let mut sql = String::new();
        let mut params = Vec::new();
        for (dim, value) in self.filters() {
            let column = match dim {
                Dim::Pipeline => "pl.name",
                Dim::Owner => "own.name",
                Dim::Team => "tm.name",
                _ => "d.source",
            };
            sql.push_str(&format!(" AND lower({column}) = lower(?)"));
            params.push(Param::Text(value));
        }
        (sql, params)
    }
}

/// How a metric-layer column reads: its metric's unit, a change is a ratio, keys are text.
pub(crate) fn metric_kind(key: &str) -> Kind {
    if key.ends_with("_change_pct") {
        return Kind::Ratio;
    }
    let base = key.strip_suffix("_previous").unwrap_or(key);
    catalog::find(base).map_or(Kind::Text, |m| Kind::of(m.unit))
}
