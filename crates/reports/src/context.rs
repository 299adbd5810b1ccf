//! A report's parameters and the helpers that turn metric queries and the store's
//! report-specific rows into sections.

use crate::ReportError;
use crate::i18n::{column_label, label};
use crate::model::{Column, Kind, Section};
use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use embudo_metrics::catalog;
use embudo_metrics::custom::run_queries;
use embudo_metrics::{Bound, Calendar, Compare, Dim, Grain, Query};
use embudo_store::Store;
use embudo_store::reporting::{Filtered, ReportFilters};
use serde::Serialize;
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
    /// Keep, for the figures of a report's own SQL, the records each is made of
    /// ([`crate::model::Section::groups`]): the dashboard's pages link them. Nothing else
    /// reads them, and the largest, the week's activities, are then not read at all (364k
    /// ids on `large`).
    pub behind: bool,
}

/// Columns whose figures count the same records of each row, and those records' ids.
pub type FigureGroup<T> = (&'static [&'static str], fn(&T) -> Vec<i64>);

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

    /// The range's bounds as local days (the end exclusive).
    pub fn range_days(&self) -> (NaiveDate, NaiveDate) {
        let (from, to) = self.range();
        (
            from.local(&self.calendar).date(),
            to.local(&self.calendar).date(),
        )
    }

    /// Notes for the periods at `grain` that the report's range cuts short: November by
    /// week begins and ends in weeks it holds only part of, each labelled by its Monday,
    /// which without a word reads as a whole week that fell short.
    pub fn cut_periods(&self, grain: Grain) -> Vec<String> {
        let (from, to) = self.range();
        embudo_metrics::time::partial_periods(
            &self.calendar,
            from.local(&self.calendar),
            to.local(&self.calendar),
            Some(grain),
            self.lang(),
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

    /// A section of one row per record, each cell its record's field named as its column;
    /// `columns` name and type them.
    pub fn records_section<T: Serialize>(
        &self,
        name: &str,
        records: &[T],
        columns: &[(&str, Kind)],
    ) -> Section {
        let rows = records
            .iter()
            .map(|record| {
                let Ok(Value::Object(mut fields)) = serde_json::to_value(record) else {
                    unreachable!("a report's rows are structs of plain fields")
                };
                columns
                    .iter()
                    .map(|(key, _)| {
                        fields.remove(*key).unwrap_or_else(|| {
                            unreachable!("column {key} of section {name} is no field of its rows")
                        })
                    })
                    .collect()
            })
            .collect();
        let columns = columns
            .iter()
            .map(|(key, kind)| self.column(key, *kind))
            .collect();
        self.section(name, columns, rows)
    }

    /// [`Self::records_section`] whose rows each lead to their record, `id` in `table`.
    pub fn record_list<T: Serialize>(
        &self,
        name: &str,
        (table, records): (&'static str, &[T]),
        id: impl Fn(&T) -> i64,
        columns: &[(&str, Kind)],
    ) -> Section {
        Section {
            records: Some(crate::model::RowRecords {
                table,
                ids: records.iter().map(|r| Some(id(r))).collect(),
            }),
            ..self.records_section(name, records, columns)
        }
    }

    /// [`Self::records_section`] whose figures lead to the records, in `table`, that they
    /// count: each group of figures (a count, and sums over the same records) with the ids
    /// of each row's records.
    pub fn grouped_section<T: Serialize>(
        &self,
        name: &str,
        (table, records): (&'static str, &[T]),
        figures: &[FigureGroup<T>],
        columns: &[(&str, Kind)],
    ) -> Section {
        let figures = figures
            .iter()
            .map(|(group, ids)| crate::model::Figures {
                columns: group.iter().map(|c| (*c).to_owned()).collect(),
                ids: records.iter().map(ids).collect(),
            })
            .collect();
        Section {
            groups: self.behind(crate::model::RowGroups { table, figures }),
            ..self.records_section(name, records, columns)
        }
    }

    /// `groups`, if the records behind figures are kept ([`Params::behind`]).
    pub fn behind(&self, groups: crate::model::RowGroups) -> Option<crate::model::RowGroups> {
        self.params.behind.then_some(groups)
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
            let (what, filtered) = match dim {
                Dim::Owner => ("owner", Filtered::Owner),
                Dim::Team => ("team", Filtered::Team),
                Dim::Pipeline => ("pipeline", Filtered::Pipeline),
                _ => ("lead source", Filtered::LeadSource),
            };
            let known = self.store.filter_values(filtered)?;
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

    /// The report's filters, as the store narrows its own figures.
    pub fn report_filters(&self) -> ReportFilters {
        let p = &self.params;
        ReportFilters {
            pipeline: p.pipeline.clone(),
            owner: p.owner.clone(),
            team: p.team.clone(),
            source: p.source.clone(),
        }
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
