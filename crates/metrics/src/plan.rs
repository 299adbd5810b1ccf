//! The planner: a query (metric, range, grain, dimensions, filters, comparison) becomes one
//! SQL statement per measure, and their rows become the metric's values on a full time
//! spine.

use crate::catalog::{self, Agg, Edge, Measure, Metric, Paired, Timing, Unit};
use crate::dims::{Dim, Lookup};
use crate::error::MetricError;
use crate::time::{self, Bound, Calendar, Compare, Grain, Period};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use embudo_store::{Dialect, Param, Store, StoreError};
use serde::Serialize;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, btree_map};
use std::iter::Peekable;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub metric: String,
    pub from: Bound,
    pub to: Bound,
    pub grain: Option<Grain>,
    /// Dimensions to split by; empty for the metric's own default.
    pub by: Vec<Dim>,
    /// Only rows whose dimension has this value.
    pub filters: Vec<(Dim, String)>,
    pub compare: Option<Compare>,
}

/// A query as a user writes it: every field as text.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryText<'a> {
    pub metric: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub grain: Option<&'a str>,
    pub by: &'a [String],
    /// (dimension, value) pairs.
    pub filters: &'a [(String, String)],
    pub compare: Option<&'a str>,
}

impl Query {
    /// `metric` over `[from, to)` as one figure: no grain, split, filter or comparison.
    pub fn over(metric: &str, from: Bound, to: Bound) -> Query {
        Query {
            metric: metric.to_owned(),
            from,
            to,
            grain: None,
            by: Vec::new(),
            filters: Vec::new(),
            compare: None,
        }
    }

    /// Parse the text of a query, with errors that say what is allowed.
    pub fn parse(text: QueryText<'_>) -> Result<Query, MetricError> {
        Ok(Query {
            metric: text.metric.to_owned(),
            from: Bound::parse(text.from)?,
            to: Bound::parse(text.to)?,
            grain: text.grain.map(str::parse::<Grain>).transpose()?,
            by: text
                .by
                .iter()
                .map(|d| d.parse::<Dim>())
                .collect::<Result<_, _>>()?,
            filters: text
                .filters
                .iter()
                .map(|(d, v)| Ok((d.trim().parse::<Dim>()?, v.clone())))
                .collect::<Result<_, MetricError>>()?,
            compare: text.compare.map(str::parse::<Compare>).transpose()?,
        })
    }
}

/// A metric's values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    pub metric: String,
    pub label: String,
    pub unit: Unit,
    pub from: Bound,
    pub to: Bound,
    pub grain: Option<Grain>,
    pub by: Vec<Dim>,
    pub compare: Option<Compare>,
    pub rows: Vec<ResultRow>,
    pub notes: Vec<String>,
}

/// One period and combination of dimension values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRow {
    /// The period's local start day, with a grain.
    pub period: Option<NaiveDate>,
    /// Values of the `by` dimensions, in order (`None`: the record has none).
    pub dims: Vec<Option<String>>,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub change: Option<f64>,
    pub change_pct: Option<f64>,
}

/// A compiled statement and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

/// The metric called `name`, or an error listing the catalogue.
pub fn metric(name: &str) -> Result<&'static Metric, MetricError> {
    catalog::find(name).ok_or_else(|| {
        MetricError::Invalid(format!(
            "unknown metric '{name}'; `embudo metrics` lists the {} metrics",
            catalog::catalogue().len()
        ))
    })
}

/// Check that `metric` can take every dimension in `dims`.
fn check_dims<'a>(
    metric: &Metric,
    dims: impl IntoIterator<Item = &'a Dim>,
) -> Result<(), MetricError> {
    let allowed = metric.dimensions();
    for dim in dims {
        if !allowed.contains(dim) {
            let names: Vec<&str> = allowed.iter().map(|d| d.name()).collect();
            let can = if names.is_empty() {
                "no dimensions".to_owned()
            } else {
                names.join(", ")
            };
            return Err(MetricError::Invalid(format!(
                "{} cannot be split or filtered by {dim}; it takes {can}",
                metric.name
            )));
        }
    }
    Ok(())
}

/// Run `query` against `store` in the reporting `calendar`, labelling in `lang`, with the
/// notes of what its figures leave out.
pub fn run(
    store: &Store,
    calendar: &Calendar,
    query: &Query,
    lang: &str,
) -> Result<MetricResult, MetricError> {
    ask(store, calendar, query, lang, Noted::Yes)
}

/// [`run`] for the figures alone, without their notes: a canned report, which writes its
/// own, does not pay for the statements the notes ask (where the records begin and end;
/// the forecast's months to come are empty, and asked those for nothing).
pub fn figures(
    store: &Store,
    calendar: &Calendar,
    query: &Query,
    lang: &str,
) -> Result<MetricResult, MetricError> {
    ask(store, calendar, query, lang, Noted::No)
}

/// Whether an answer carries its notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noted {
    Yes,
    No,
}

fn ask(
    store: &Store,
    calendar: &Calendar,
    query: &Query,
    lang: &str,
    noted: Noted,
) -> Result<MetricResult, MetricError> {
    let metric = metric(&query.metric)?;
    let by = dims_of(metric, query)?;
    let note = metric.note.as_ref().filter(|_| noted == Noted::Yes);
    let read = read_alike(
        store,
        calendar,
        query,
        &by,
        &[metric],
        note.map(|n| &n.measure),
    )?;
    let mut notes = Vec::new();
    if let Some(note) = note {
        let n = match read.noted {
            Some(n) => n,
            None => {
                let (from, to) = (query.from.local(calendar), query.to.local(calendar));
                let whole = time::periods(calendar, from, to, None)?;
                let values =
                    measure_values(store, &note.measure, &whole, &[], &query.filters, calendar)?;
                values.values().sum::<f64>()
            }
        };
        if n > 0.0 {
            notes.push(note.sentence(n as u64, lang));
        }
    }
    let [(current, previous)] = <[_; 1]>::try_from(read.values).expect("one metric read");
    let rows = spine_rows(
        metric,
        &by,
        &read.spine,
        &current,
        previous.as_ref(),
        calendar,
    )?;
    let mut answer = result(metric, query, by, rows, notes, lang);
    if noted == Noted::Yes {
        let shape = shape_notes(store, metric, &read.spine, calendar, &answer, lang)?;
        answer.notes.extend(shape);
    }
    Ok(answer)
}

/// What the shape of an answer hides, in words: a range that begins before the records, a
/// first or last period the range cuts short, a split whose every record lacks the value.
fn shape_notes(
    store: &Store,
    metric: &Metric,
    spine: &[Period],
    calendar: &Calendar,
    answer: &MetricResult,
    lang: &str,
) -> Result<Vec<String>, MetricError> {
    let rows = &answer.rows;
    let mut notes = outside_the_records(store, metric, spine, rows, calendar, lang)?;
    notes.extend(time::partial_periods(
        calendar,
        answer.from.local(calendar),
        answer.to.local(calendar),
        answer.grain,
        lang,
    ));
    notes.extend(blank_splits(&answer.by, rows, lang));
    Ok(notes)
}

/// For each dimension of `by` that no counted record has (every abandoned call by its
/// agent: none was answered), a note saying so; the split alone shows one blank row.
fn blank_splits(by: &[Dim], rows: &[ResultRow], lang: &str) -> Vec<String> {
    let counted: Vec<&ResultRow> = rows
        .iter()
        .filter(|row| row.value.is_some_and(|v| v != 0.0))
        .collect();
    if counted.is_empty() {
        return Vec::new();
    }
    by.iter()
        .enumerate()
        .filter(|(i, _)| counted.iter().all(|row| row.dims[*i].is_none()))
        .map(|(_, dim)| {
            if lang == "es" {
                format!("Ningún registro de los que cuenta esta cifra tiene valor en {dim}: todo cae en la fila en blanco")
            } else {
                format!("No record this figure counts has a value for {dim}: everything falls in the blank row")
            }
        })
        .collect()
}

/// Where the range begins before anything the metric counts, or runs on after the last of
/// it, a note saying so: its first (last) period is empty for want of records, which a zero
/// alone does not say (a HubSpot export whose deals begin in October 2026 read as a 2025
/// without a sale; one taken in early November, as a late November without any). Asked
/// only where the first or last period is empty, so a range with data pays nothing for it;
/// a store with none of the records at all says so in its own note (`embudo_store::gaps`).
fn outside_the_records(
    store: &Store,
    metric: &Metric,
    spine: &[Period],
    rows: &[ResultRow],
    calendar: &Calendar,
    lang: &str,
) -> Result<Vec<String>, MetricError> {
    let (Some(first), Some(last)) = (spine.first(), spine.last()) else {
        return Ok(Vec::new());
    };
    let empty = |period: &Period| {
        rows.iter()
            .filter(|row| row.period == period.label)
            .all(|row| row.value.unwrap_or(0.0) == 0.0)
    };
    let (first_is_empty, last_is_empty) = (empty(first), empty(last));
    if !first_is_empty && !last_is_empty {
        return Ok(Vec::new());
    }
    let (earliest, latest) = beyond(store, metric, last.start, first.end)?;
    // Records and periods are both in UTC; the day named is the reporting calendar's.
    let edge = |at: NaiveDateTime, after: bool| {
        let day = calendar.to_local(at).date();
        match (lang == "es", after) {
            (true, false) => format!(
                "El almacén no tiene nada de lo que cuenta esta cifra antes del {day}: los periodos anteriores están vacíos por falta de registros"
            ),
            (true, true) => format!(
                "El almacén no tiene nada de lo que cuenta esta cifra después del {day}: los periodos posteriores están vacíos por falta de registros"
            ),
            (false, false) => format!(
                "The store holds nothing this figure counts before {day}: the periods before that day are empty for want of records"
            ),
            (false, true) => format!(
                "The store holds nothing this figure counts after {day}: the periods after that day are empty for want of records"
            ),
        }
    };
    let before = earliest
        .filter(|_| first_is_empty)
        .map(|at| edge(at, false));
    let after = latest.filter(|_| last_is_empty).map(|at| edge(at, true));
    Ok(before.into_iter().chain(after).collect())
}

/// Where a range lies wholly outside the records a metric counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outside {
    /// Every record comes before the range; the last one's instant (UTC).
    After(NaiveDateTime),
    /// Every record comes after the range; the first one's instant (UTC).
    Before(NaiveDateTime),
}

/// Whether `[from, to)` (UTC) lies wholly after or wholly before the records the metric
/// called `name` counts: a report of a month after a HubSpot export was taken says so.
/// `None` where the range meets them, the store has none, or a measure's rows are not
/// dated by one column.
pub fn records_outside(
    store: &Store,
    name: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Option<Outside>, MetricError> {
    // Every record falls at or after `from` or before `to`: at most one side is empty.
    Ok(match beyond(store, metric(name)?, from, to)? {
        (_, Some(last)) => Some(Outside::After(last)),
        (Some(first), None) => Some(Outside::Before(first)),
        (None, None) => None,
    })
}

/// The first record `metric` counts where none comes before `to`, and the last where none
/// comes at or after `from` (UTC). Asked first as whether any falls on each side, which
/// stops at the first it finds; the first or last instant is looked for only when a side is
/// empty (on a million deals 0.5 ms, where `min` and `max` take 5–20).
fn beyond(
    store: &Store,
    metric: &Metric,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<(Option<NaiveDateTime>, Option<NaiveDateTime>), MetricError> {
    let Some(rows) = dated_rows(metric) else {
        return Ok((None, None));
    };
    #[derive(serde::Deserialize)]
    struct Sides {
        later: bool,
        earlier: bool,
    }
    let (mut later, mut earlier) = (false, false);
    for (source, live, anchor) in &rows {
        let live = if live.is_empty() {
            String::new()
        } else {
            format!(" AND {live}")
        };
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {source} WHERE {anchor} >= ?{live}) AS later, \
             EXISTS (SELECT 1 FROM {source} WHERE {anchor} < ?{live}) AS earlier"
        );
        let params = [Param::Timestamp(from), Param::Timestamp(to)];
        for sides in store.records::<Sides>(&sql, &params)? {
            later |= sides.later;
            earlier |= sides.earlier;
        }
    }
    if later && earlier {
        return Ok((None, None));
    }
    let Some((first, last)) = records_span(store, metric)? else {
        return Ok((None, None));
    };
    Ok(((!earlier).then_some(first), (!later).then_some(last)))
}

/// The rows `metric` counts and what dates them: each measure's source, its live rule and
/// its anchor, each asked once (a rate's two counts often read the same rows). `None` where
/// a measure's rows are not dated by one column.
fn dated_rows(metric: &Metric) -> Option<BTreeSet<(String, &'static str, &'static str)>> {
    let mut rows = BTreeSet::new();
    for measure in &metric.measures {
        let anchor = match measure.timing {
            Timing::Anchor(anchor)
            | Timing::SameLocalDay { closed: anchor, .. }
            | Timing::Covering { start: anchor, .. } => anchor,
            Timing::Before(times) => times[0],
            Timing::Condition { .. } => return None,
        };
        let source = measure.source;
        rows.insert((
            source.from_reading(&[anchor]).into_owned(),
            source.live,
            anchor,
        ));
    }
    Some(rows)
}

/// The first and last instants of the records `metric` counts, over its measures (a
/// ratio's part may begin before another). `None` where a measure's rows are not dated by
/// one column, or there are none.
fn records_span(
    store: &Store,
    metric: &Metric,
) -> Result<Option<(NaiveDateTime, NaiveDateTime)>, MetricError> {
    let Some(rows) = dated_rows(metric) else {
        return Ok(None);
    };
    #[derive(serde::Deserialize)]
    struct Span {
        first: Option<NaiveDateTime>,
        last: Option<NaiveDateTime>,
    }
    let mut span: Option<(NaiveDateTime, NaiveDateTime)> = None;
    for (source, live, anchor) in &rows {
        let mut sql = format!("SELECT min({anchor}) AS first, max({anchor}) AS last FROM {source}");
        if !live.is_empty() {
            sql.push_str(&format!(" WHERE {live}"));
        }
        for found in store.records::<Span>(&sql, &[])? {
            if let (Some(first), Some(last)) = (found.first, found.last) {
                span = Some(span.map_or((first, last), |(a, b)| (a.min(first), b.max(last))));
            }
        }
    }
    Ok(span)
}

/// The metric's dimensions for `query` (its own default where the query names none),
/// checked against what the metric can be split and filtered by.
fn dims_of(metric: &Metric, query: &Query) -> Result<Vec<Dim>, MetricError> {
    let by = if query.by.is_empty() {
        metric.default_by.clone()
    } else {
        query.by.clone()
    };
    check_dims(
        metric,
        by.iter().chain(query.filters.iter().map(|(d, _)| d)),
    )?;
    Ok(by)
}

/// What `metric` gives asked by `query` (its rows on the spine, split by `by`).
fn result(
    metric: &Metric,
    query: &Query,
    by: Vec<Dim>,
    rows: Vec<ResultRow>,
    notes: Vec<String>,
    lang: &str,
) -> MetricResult {
    MetricResult {
        rows,
        metric: metric.name.clone(),
        label: metric.label(lang).to_owned(),
        unit: metric.unit,
        from: query.from,
        to: query.to,
        grain: query.grain,
        by,
        compare: query.compare,
        notes,
    }
}

/// [`run`] for several metrics, in `queries`' order (a report's figures). Those asked
/// alike — the first query's range, grain, dimensions, filters and comparison — and without
/// a note have their measures read together, so metrics that read the same rows share a
/// scan: the cross-sell and up-sell ratios read the customers' revenue history once, not
/// twice. Any other runs alone. Each answer carries its notes where `noted` says so (see
/// [`figures`]).
pub fn run_together(
    store: &Store,
    calendar: &Calendar,
    queries: &[Query],
    lang: &str,
    noted: Noted,
) -> Result<Vec<MetricResult>, MetricError> {
    let Some(first) = queries.first() else {
        return Ok(Vec::new());
    };
    let first_by = dims_of(metric(&first.metric)?, first)?;
    let alike = |query: &Query, metric: &Metric| -> Result<bool, MetricError> {
        Ok(metric.note.is_none()
            && (query.from, query.to, query.grain, query.compare)
                == (first.from, first.to, first.grain, first.compare)
            && query.filters == first.filters
            && dims_of(metric, query)? == first_by)
    };
    let mut together = Vec::new();
    let mut results: Vec<Option<MetricResult>> = vec![None; queries.len()];
    for (i, query) in queries.iter().enumerate() {
        let metric = metric(&query.metric)?;
        if alike(query, metric)? {
            together.push((i, metric));
        } else {
            results[i] = Some(ask(store, calendar, query, lang, noted)?);
        }
    }
    if !together.is_empty() {
        let metrics: Vec<&Metric> = together.iter().map(|(_, m)| *m).collect();
        let read = read_alike(store, calendar, first, &first_by, &metrics, None)?;
        for ((i, metric), (current, previous)) in together.into_iter().zip(read.values) {
            let rows = spine_rows(
                metric,
                &first_by,
                &read.spine,
                &current,
                previous.as_ref(),
                calendar,
            )?;
            let query = &queries[i];
            let mut answer = result(metric, query, first_by.clone(), rows, Vec::new(), lang);
            if noted == Noted::Yes {
                answer.notes = shape_notes(store, metric, &read.spine, calendar, &answer, lang)?;
            }
            results[i] = Some(answer);
        }
    }
    Ok(results.into_iter().flatten().collect())
}

/// What [`read_alike`] read.
struct ReadAlike {
    /// The query's periods.
    spine: Vec<Period>,
    /// Each metric's values on the spine and, with a comparison, on the range it is
    /// compared with (numbered from 0 as well).
    values: Vec<(Values, Option<Values>)>,
    /// The note's count over the query's range, when a measure's scan counted it as well.
    noted: Option<f64>,
}

/// `metrics` asked as `query` asks (its metric aside), their measures read together. The
/// comparison's range is read in the same pass when it is the range just before; `note`'s
/// rows are counted along when a measure's scan reads them and each falls in exactly one
/// period (margin's lines without a cost, in the one pass over the lines that sums the
/// margin): its count over the range is then the sum of its counts.
fn read_alike(
    store: &Store,
    calendar: &Calendar,
    query: &Query,
    by: &[Dim],
    metrics: &[&Metric],
    note: Option<&Measure>,
) -> Result<ReadAlike, MetricError> {
    let filters = &query.filters;
    let from = query.from.local(calendar);
    let to = query.to.local(calendar);
    let same_day = metrics
        .iter()
        .flat_map(|m| &m.measures)
        .any(|m| matches!(m.timing, Timing::SameLocalDay { .. }));
    if same_day {
        calendar.limits.check_range(from, to, true)?;
    }
    let spine = time::periods(calendar, from, to, query.grain)?;
    // What one pass reads, how many of its first periods are the comparison's, and the
    // comparison's periods when they need a pass of their own.
    let (read, before, apart) = match query.compare {
        None => (spine.clone(), 0, None),
        Some(compare) => {
            let (before, until) = compare.shift(from, to);
            let shifted = time::periods(calendar, before, until, query.grain)?;
            let both = joined(&shifted, &spine);
            if until == from && calendar.limits.check_periods(both.len()).is_ok() {
                (both, shifted.len(), None)
            } else {
                (spine.clone(), 0, Some(shifted))
            }
        }
    };
    let mut measures: Vec<Measure> = metrics
        .iter()
        .flat_map(|m| m.measures.iter().copied())
        .collect();
    let own = measures.len();
    let along = note.filter(|note| counted_along(&measures, note, &read, by, filters));
    measures.extend(along.copied());
    let mut measured_now = measured(store, &measures, &read, by, filters, calendar)?;
    let counted = along.and_then(|_| measured_now.pop());
    let noted = counted.map(|counts| {
        counts
            .iter()
            .filter(|((index, _), _)| *index >= before)
            .map(|(_, n)| n)
            .sum()
    });
    let mut measured_apart = match &apart {
        Some(shifted) => measured(store, &measures[..own], shifted, by, filters, calendar)?,
        None => Vec::new(),
    }
    .into_iter();
    let mut measured_now = measured_now.into_iter();
    let values = metrics
        .iter()
        .map(|metric| {
            let n = metric.measures.len();
            let values = combined(metric, &read, measured_now.by_ref().take(n).collect());
            match &apart {
                Some(shifted) => {
                    let previous = measured_apart.by_ref().take(n).collect();
                    (values, Some(combined(metric, shifted, previous)))
                }
                None if before > 0 => {
                    let (previous, current) = split(values, before);
                    (current, Some(previous))
                }
                None => (values, None),
            }
        })
        .collect();
    Ok(ReadAlike {
        spine,
        values,
        noted,
    })
}

/// What the store lacks that makes metric `name` miss rows, in words (`lang`): won deals
/// without a close date for a metric of closed deals, no orders for a revenue metric… For a
/// metric shown on its own; reports say it once for all their figures.
pub fn data_gaps(store: &Store, name: &str, lang: &str) -> Result<Vec<String>, MetricError> {
    let metric = metric(name)?;
    let sql = metric.measures.iter().flat_map(Measure::sql);
    Ok(embudo_store::gaps::touching(store, sql)?
        .into_iter()
        .map(|(gap, rows)| gap.sentence(lang, rows))
        .collect())
}

type Key = (usize, Vec<Option<String>>);

/// A metric's value by period and dimension values.
type Values = BTreeMap<Key, Option<f64>>;

/// Whether `note`'s rows are counted by the same scan as one of `measures`' and each falls
/// in exactly one period of `spine`.
fn counted_along(
    measures: &[Measure],
    note: &Measure,
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
) -> bool {
    let mut with_note = measures.to_vec();
    with_note.push(*note);
    let last = measures.len();
    let shared = scans(&with_note, spine, by, filters)
        .iter()
        .any(|scan| scan.len() > 1 && scan.contains(&last));
    shared && bucketable(note, by, filters, spine)
}

/// Two ranges' periods as one spine, `earlier`'s first: `later`'s periods numbered after
/// them.
fn joined(earlier: &[Period], later: &[Period]) -> Vec<Period> {
    let offset = earlier.len();
    earlier
        .iter()
        .cloned()
        .chain(later.iter().map(|period| Period {
            index: period.index + offset,
            ..period.clone()
        }))
        .collect()
}

/// The values of a [`joined`] spine back to each range, each numbered from 0: those of the
/// first `offset` periods, then the others.
fn split(values: Values, offset: usize) -> (Values, Values) {
    let (mut earlier, mut later) = (BTreeMap::new(), BTreeMap::new());
    for ((index, dims), value) in values {
        match index.checked_sub(offset) {
            Some(index) => later.insert((index, dims), value),
            None => earlier.insert((index, dims), value),
        };
    }
    (earlier, later)
}

/// Each of `measures`' values by period and dimension values, those that share a scan
/// (see [`scans`]) read by one statement, and the statements of several scans run as one
/// (see [`read_together`]).
fn measured(
    store: &Store,
    measures: &[Measure],
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
    calendar: &Calendar,
) -> Result<Vec<BTreeMap<Key, f64>>, MetricError> {
    let scans = scans(measures, spine, by, filters);
    let mut statements = Vec::with_capacity(scans.len());
    for scan in &scans {
        statements.push(match scan.as_slice() {
            [one] => {
                let measure = &measures[*one];
                let statement = compile(store.dialect(), measure, spine, by, filters, calendar)?;
                (statement, vec![false])
            }
            _ => {
                let shared: Vec<&Measure> = scan.iter().map(|&i| &measures[i]).collect();
                let statement =
                    compile_shared(store.dialect(), &shared, spine, by, filters, calendar)?;
                // A count of no row is a zero in the shared row, where its own statement
                // has no row.
                let zero_is_none = shared
                    .iter()
                    .map(|m| matches!(m.agg, Agg::Count | Agg::Distinct(_)))
                    .collect();
                (statement, zero_is_none)
            }
        });
    }
    let mut measured: Vec<BTreeMap<Key, f64>> = vec![BTreeMap::new(); measures.len()];
    let read = read_together(store, &statements, by.len())?;
    for (scan, values) in scans.into_iter().zip(read) {
        for (i, values) in scan.into_iter().zip(values) {
            measured[i] = values;
        }
    }
    Ok(measured)
}

/// Run `statements` (each with its measures' `zero_is_none`, see [`read_values`]) and read
/// each one's values. Several run as one statement, a `UNION ALL` of them, each row led by
/// its statement's number and padded with nulls to the widest: a statement costs its
/// planning, 0.2–0.6 ms on `large`, whatever its rows (`csat` reads its surveys and its
/// tickets in two scans, 1.3× its reference as two statements, 1.17× as one).
fn read_together(
    store: &Store,
    statements: &[(Statement, Vec<bool>)],
    dims: usize,
) -> Result<Vec<Vec<BTreeMap<Key, f64>>>, MetricError> {
    if let [(statement, zero_is_none)] = statements {
        return Ok(vec![read_values(store, statement, dims, zero_is_none)?]);
    }
    let widest = statements.iter().map(|(_, z)| z.len()).max().unwrap_or(0);
    let mut together = Statement {
        sql: String::new(),
        params: Vec::new(),
    };
    for (number, (statement, zero_is_none)) in statements.iter().enumerate() {
        if number > 0 {
            together.sql.push_str(" UNION ALL ");
        }
        // Typed: PostgreSQL makes a column of untyped nulls text.
        let pads = ", CAST(NULL AS FLOAT8)".repeat(widest - zero_is_none.len());
        together.sql.push_str(&format!(
            "SELECT CAST({number} AS BIGINT) AS statement, s{number}.*{pads} FROM ({}) s{number}",
            statement.sql
        ));
        together.params.extend(statement.params.iter().cloned());
    }
    let mut values: Vec<Vec<BTreeMap<Key, f64>>> = statements
        .iter()
        .map(|(_, zero_is_none)| vec![BTreeMap::new(); zero_is_none.len()])
        .collect();
    read_rows(store, &together, 1 + 1 + dims + widest, &mut |row| {
        let mut cells = row.into_iter();
        let number = cells
            .next()
            .and_then(|cell| usize::try_from(cell.as_u64()?).ok())
            .filter(|number| *number < statements.len())
            .ok_or("a statement number that is not one")?;
        add_row(cells, dims, &statements[number].1, &mut values[number])
    })?;
    Ok(values)
}

/// The metric's value by period and dimension values, from its measures' ([`measured`]).
fn combined(metric: &Metric, spine: &[Period], measured: Vec<BTreeMap<Key, f64>>) -> Values {
    // Each key's inputs, a measure that counted nothing there as its empty value. The
    // measures' values come in key order, so their concatenation is a few sorted runs, which
    // a stable sort merges; grouping equal keys then needs no map searched by key.
    let empty: Vec<Option<f64>> = metric.measures.iter().map(|m| m.agg.empty()).collect();
    let mut cells: Vec<(Key, usize, f64)> = measured
        .into_iter()
        .enumerate()
        .flat_map(|(i, values)| values.into_iter().map(move |(key, v)| (key, i, v)))
        .collect();
    cells.sort_by(|a, b| a.0.cmp(&b.0));
    let mut combined = Vec::new();
    let mut cells = cells.into_iter().peekable();
    while let Some((key, i, value)) = cells.next() {
        let mut inputs = empty.clone();
        inputs[i] = Some(value);
        while let Some((_, i, value)) = cells.next_if(|(next, ..)| *next == key) {
            inputs[i] = Some(value);
        }
        let value = metric.combine.apply(&inputs, spine[key.0].days);
        combined.push((key, value));
    }
    combined.into_iter().collect()
}

/// Every period × every combination of dimension values seen in either range, with the
/// metric's value for an empty period where nothing was measured.
fn spine_rows(
    metric: &Metric,
    by: &[Dim],
    spine: &[Period],
    current: &Values,
    previous: Option<&Values>,
    calendar: &Calendar,
) -> Result<Vec<ResultRow>, MetricError> {
    let mut combos: BTreeSet<&[Option<String>]> =
        current.keys().map(|(_, dims)| dims.as_slice()).collect();
    if let Some(previous) = previous {
        combos.extend(previous.keys().map(|(_, dims)| dims.as_slice()));
    }
    let nothing = vec![None; by.len()];
    if combos.is_empty() {
        // Nothing measured anywhere: one row per period, with no dimension values.
        combos.insert(&nothing);
    }
    let empty = |period: &Period| {
        let inputs: Vec<Option<f64>> = metric.measures.iter().map(|m| m.agg.empty()).collect();
        metric.combine.apply(&inputs, period.days)
    };
    calendar
        .limits
        .check_rows(spine.len().saturating_mul(combos.len()))?;
    let mut rows = Vec::with_capacity(spine.len() * combos.len());
    let mut now = Cursor(current.iter().peekable());
    let mut then = previous.map(|p| Cursor(p.iter().peekable()));
    for period in spine {
        for &dims in &combos {
            let value = now.at(period.index, dims).unwrap_or_else(|| empty(period));
            let before = then
                .as_mut()
                .map(|then| then.at(period.index, dims).unwrap_or_else(|| empty(period)));
            let previous_value = before.flatten();
            let change = match (value, previous_value) {
                (Some(v), Some(p)) => Some(v - p),
                _ => None,
            };
            rows.push(ResultRow {
                period: period.label,
                dims: dims.to_vec(),
                value,
                previous: previous_value,
                change,
                change_pct: match (change, previous_value) {
                    (Some(c), Some(p)) if p != 0.0 => Some(c / p.abs()),
                    _ => None,
                },
            });
        }
    }
    Ok(rows)
}

/// A metric's values walked in their keys' order beside the spine's periods and, within
/// each, the sorted dimension values: each cell is found where the walk stands, with no
/// search and no key built to search by (4,416 cells by month and owner).
struct Cursor<'a>(Peekable<btree_map::Iter<'a, Key, Option<f64>>>);

impl Cursor<'_> {
    /// The value at `period` and `dims`, if any, for calls in increasing key order.
    fn at(&mut self, period: usize, dims: &[Option<String>]) -> Option<Option<f64>> {
        while let Some(((p, d), value)) = self.0.peek() {
            match (*p, d.as_slice()).cmp(&(period, dims)) {
                Ordering::Less => {
                    self.0.next();
                }
                Ordering::Equal => {
                    let value = **value;
                    self.0.next();
                    return Some(value);
                }
                Ordering::Greater => return None,
            }
        }
        None
    }
}

/// The measures (by index) read by one scan each: those counted over the same rows, by
/// the same anchor, each with a plain count, sum, average or distinct count, share one (a
/// close rate's won and closed deals: one pass over the deals, each counted under its own
/// condition; the cross-sell ratio's customers: one pass over their revenue history).
fn scans(
    measures: &[Measure],
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
) -> Vec<Vec<usize>> {
    let shareable = |m: &Measure| {
        anchor_of(m).is_some()
            && matches!(
                m.agg,
                Agg::Count | Agg::Sum(_) | Agg::Avg(_) | Agg::Distinct(_)
            )
    };
    // A left join looks one record up by its id, as a dimension's does: it keeps the
    // source's rows as they are, so measures that differ only by such joins read the same
    // rows (a service call's cost, which looks its agent up, and the calls' count).
    let looks_up = |joins: &[&str]| joins.iter().all(|j| j.starts_with("LEFT JOIN "));
    let same_rows = |a: &Measure, b: &Measure| {
        anchor_of(a) == anchor_of(b)
            && std::ptr::eq(a.source, b.source)
            && (a.joins == b.joins || (looks_up(a.joins) && looks_up(b.joins)))
            && bucketable(a, by, filters, spine) == bucketable(b, by, filters, spine)
    };
    let mut scans: Vec<Vec<usize>> = Vec::new();
    for (i, measure) in measures.iter().enumerate() {
        let joins = scans.iter_mut().find(|scan| {
            let first = &measures[scan[0]];
            shareable(measure) && shareable(first) && same_rows(first, measure)
        });
        match joins {
            Some(scan) => scan.push(i),
            None => scans.push(vec![i]),
        }
    }
    scans
}

/// The error for measures no scan can share.
fn not_shared() -> MetricError {
    MetricError::Invalid("only counts, sums, averages and distinct counts share a scan".into())
}

/// What one measure of a shared scan counts: its filter and, for a same-day measure, the
/// times (opened, closed) that fall on one local day.
type Counted = (&'static str, Option<(&'static str, &'static str)>);

/// The time a measure's rows are counted in the period of, for a measure whose rows each
/// fall in one period.
fn anchor_of(measure: &Measure) -> Option<&'static str> {
    match measure.timing {
        Timing::Anchor(anchor) | Timing::SameLocalDay { closed: anchor, .. } => Some(anchor),
        _ => None,
    }
}

/// For a same-day measure, the times its rows open and close at.
fn same_day_of(measure: &Measure) -> Option<(&'static str, &'static str)> {
    match measure.timing {
        Timing::SameLocalDay { opened, closed } => Some((opened, closed)),
        _ => None,
    }
}

/// Write `counted` as one condition: its filter, and its same local day (`b.days`' days).
fn counted_under(
    b: &mut Builder,
    dialect: Dialect,
    (filter, same_day): Counted,
    bucketed: Option<&str>,
    spine: &[Period],
) {
    let both = !filter.is_empty() && same_day.is_some();
    if both {
        b.text("(");
    }
    b.condition(filter, bucketed, spine);
    if let Some((opened, closed)) = same_day {
        if both {
            b.text(") AND ");
        }
        let days = std::mem::take(&mut b.days);
        same_local_day(b, dialect, opened, closed, &days);
        b.days = days;
    }
}

/// The filter all of `filters` begin with: one of them whole, which each of the others is
/// too or continues with ` AND ` (abandoned calls among inbound calls: the inbound ones are
/// the scan). "" when there is none. A filter with an `OR` is never split: `a OR b AND c`
/// is not `(a OR b) AND c`.
fn shared_filter(filters: &[&'static str]) -> &'static str {
    let begins = |filter: &str, whole: &str| {
        filter == whole
            || (filter
                .strip_prefix(whole)
                .is_some_and(|rest| rest.starts_with(" AND "))
                && !filter
                    .split_whitespace()
                    .any(|word| word.eq_ignore_ascii_case("OR")))
    };
    filters
        .iter()
        .filter(|whole| filters.iter().all(|filter| begins(filter, whole)))
        .max_by_key(|whole| whole.len())
        .copied()
        .unwrap_or("")
}

/// What a measure's `filter` adds to the `shared` one ([`shared_filter`]).
fn own_filter(filter: &'static str, shared: &str) -> &'static str {
    if shared.is_empty() {
        return filter;
    }
    let rest = filter.strip_prefix(shared).unwrap_or(filter);
    rest.strip_prefix(" AND ").unwrap_or(rest)
}

/// Run a statement whose columns are the period's index, `dims` dimension values and the
/// values of one measure per `zero_is_none`, in that order, and read each measure's values
/// by period and dimension values (see [`add_row`]).
fn read_values(
    store: &Store,
    statement: &Statement,
    dims: usize,
    zero_is_none: &[bool],
) -> Result<Vec<BTreeMap<Key, f64>>, MetricError> {
    let mut values = vec![BTreeMap::new(); zero_is_none.len()];
    let width = 1 + dims + zero_is_none.len();
    read_rows(store, statement, width, &mut |row| {
        add_row(row.into_iter(), dims, zero_is_none, &mut values)
    })?;
    Ok(values)
}

/// Run `statement`, whose rows have `width` columns, and hand each row to `each`: what it
/// cannot read in a row is an error that names the statement.
fn read_rows(
    store: &Store,
    statement: &Statement,
    width: usize,
    each: &mut dyn FnMut(Vec<Value>) -> Result<(), String>,
) -> Result<(), MetricError> {
    let unreadable = |problem: String| StoreError::Rows {
        statement: statement.sql.clone(),
        problem,
    };
    store.query_batches(&statement.sql, &statement.params, &mut |columns, rows| {
        if columns.len() != width {
            return Err(unreadable(format!(
                "{} columns where {width} were expected",
                columns.len()
            )));
        }
        rows.into_iter()
            .try_for_each(|row| each(row).map_err(unreadable))
    })?;
    Ok(())
}

/// Add one row's values to `values`, by period and dimension values: its cells are the
/// period's index, `dims` dimension values, then one value per `zero_is_none` (any cells
/// after them are another statement's padding). Rows of the same period and values (the
/// groups of one name, see [`lookups`]) add up. A null is a measure that counted no row
/// there, and so is a zero where the measure's `zero_is_none` says so; anything else but a
/// number is an error, never a figure left out.
fn add_row(
    mut cells: impl Iterator<Item = Value>,
    dims: usize,
    zero_is_none: &[bool],
    values: &mut [BTreeMap<Key, f64>],
) -> Result<(), String> {
    let period = cells
        .next()
        .and_then(|cell| cell.as_u64())
        .ok_or("a period index that is not one")?;
    let labels: Vec<Option<String>> = cells.by_ref().take(dims).map(label).collect();
    let mut counted = Vec::with_capacity(zero_is_none.len());
    for (i, (cell, zero_is_none)) in cells.zip(zero_is_none).enumerate() {
        if cell.is_null() {
            continue;
        }
        let value = cell
            .as_f64()
            .ok_or_else(|| format!("measure {i} is {cell}, not a number"))?;
        if value == 0.0 && *zero_is_none {
            continue;
        }
        counted.push((i, value));
    }
    // The key is copied for all but the last measure that counted here: most rows are of
    // one measure.
    let Some(((last, value), rest)) = counted.split_last() else {
        return Ok(());
    };
    let key = (period as usize, labels);
    for &(i, value) in rest {
        *values[i].entry(key.clone()).or_insert(0.0) += value;
    }
    *values[*last].entry(key).or_insert(0.0) += value;
    Ok(())
}

/// A dimension's value as text.
fn label(cell: Value) -> Option<String> {
    match cell {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// The SQL of measures that share a scan: one row per period and dimension values, with
/// each measure's aggregate over the rows of its own condition as `v0`, `v1`…: where it
/// counted no row, a count is zero and a sum or an average null, both read as a measure
/// that counted nothing there (its empty value, see [`Agg::empty`]).
pub fn compile_shared(
    dialect: Dialect,
    measures: &[&Measure],
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
    calendar: &Calendar,
) -> Result<Statement, MetricError> {
    let Some(anchor) = anchor_of(measures[0]) else {
        return Err(MetricError::Invalid(
            "only anchored measures share a scan".into(),
        ));
    };
    // The scan reads its rows by their anchor alone; a same-day measure's day is a
    // condition of its own aggregate.
    let first = &Measure {
        timing: Timing::Anchor(anchor),
        ..*measures[0]
    };
    let (mut b, periods) = period_index(dialect, first, spine, by, filters, calendar);
    if measures.iter().any(|m| same_day_of(m).is_some()) {
        b.days = local_midnights(spine, calendar);
    }
    let adds_up = measures.iter().all(|m| adds_up(m.agg));
    let lookups = lookups(first, by, periods, adds_up)?;
    let split = select_dims(&mut b, first, by, lookups.as_deref())?;
    // What all the measures' filters begin with narrows the scan itself; the rest of each
    // filters its own aggregate. The conditions they count under, each once.
    let measure_filters: Vec<&'static str> = measures.iter().map(|m| m.filter).collect();
    let shared = shared_filter(&measure_filters);
    let counted: Vec<Counted> = measures
        .iter()
        .map(|m| (own_filter(m.filter, shared), same_day_of(m)))
        .collect();
    let mut conditions: Vec<Counted> = Vec::new();
    for condition in &counted {
        if !conditions.contains(condition) {
            conditions.push(*condition);
        }
    }
    let bucketed = bucketed_anchor(first, periods);
    for (i, (measure, &counted)) in measures.iter().zip(&counted).enumerate() {
        b.text(", ");
        // A count of no row stays a zero here, which `read_values` reads as none: a
        // `nullif` took a tenth of a small statement (a year's renewal rate, 1.20 → 1.08 ms).
        if counted == ("", None) {
            b.text(&match measure.agg {
                Agg::Count => "count(*)".to_owned(),
                Agg::Sum(e) => format!("sum({e})"),
                Agg::Avg(e) => format!("avg({e})"),
                Agg::Distinct(e) => format!("count(DISTINCT {e})"),
                _ => return Err(not_shared()),
            });
        } else if let Agg::Distinct(e) = measure.agg {
            b.text(&format!("count(DISTINCT {e}) FILTER (WHERE "));
            counted_under(&mut b, dialect, counted, bucketed, spine);
            b.text(")");
        } else {
            // A CASE inside the aggregate rather than a FILTER beside it: DuckDB runs it
            // faster (a year of activities by owner, two counts: 83 → 62 ms; a year's lead
            // conversion: 4.8 → 3.2 ms). A distinct count is the other way round.
            let (open, then, close) = match measure.agg {
                Agg::Count => ("CAST(sum(", "1 ELSE 0", ") AS BIGINT)"),
                Agg::Sum(e) => ("sum(", e, ")"),
                Agg::Avg(e) => ("avg(", e, ")"),
                _ => return Err(not_shared()),
            };
            b.text(&format!("{open}CASE WHEN "));
            counted_under(&mut b, dialect, counted, bucketed, spine);
            b.text(&format!(" THEN {then} END{close}"));
        }
        b.text(&format!(" AS v{i}"));
    }
    // The rows of every measure: the scan's, narrowed to those some measure counts.
    let scan = Measure {
        filter: shared,
        ..*first
    };
    let joins: Vec<&str> = measures
        .iter()
        .flat_map(|m| m.joins.iter().copied())
        .collect();
    rows(
        &mut b, dialect, &scan, spine, split, filters, &joins, periods,
    )?;
    if !conditions.contains(&("", None)) {
        b.text(" AND (");
        for (i, condition) in conditions.iter().enumerate() {
            b.text(if i == 0 { "(" } else { " OR (" });
            counted_under(&mut b, dialect, *condition, bucketed, spine);
            b.text(")");
        }
        b.text(")");
    }
    let statement = grouped_unless_whole(b, by.len(), periods, spine, lookups.is_some());
    let values: Vec<String> = (0..measures.len()).map(|i| format!("v{i}")).collect();
    Ok(with_names(statement, lookups.as_deref(), &values))
}

/// Run one measure and read its rows.
fn measure_values(
    store: &Store,
    measure: &Measure,
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
    calendar: &Calendar,
) -> Result<BTreeMap<Key, f64>, MetricError> {
    let statement = compile(store.dialect(), measure, spine, by, filters, calendar)?;
    let mut values = read_values(store, &statement, by.len(), &[false])?;
    Ok(values.pop().unwrap_or_default())
}

/// Builds SQL text and its parameters in step, so placeholders and values stay in order.
struct Builder {
    sql: String,
    params: Vec<Param>,
    /// The local midnights (as UTC instants) from the first period's first day to the day
    /// after the last's: what a same-day measure compares its instants with.
    days: Vec<NaiveDateTime>,
}

impl Builder {
    fn new(sql: &str) -> Builder {
        Builder {
            sql: sql.to_owned(),
            params: Vec::new(),
            days: Vec::new(),
        }
    }

    fn text(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    fn param(&mut self, param: Param) -> &mut Self {
        self.params.push(param);
        self.sql.push('?');
        self
    }

    fn timestamp(&mut self, t: NaiveDateTime) -> &mut Self {
        self.text("CAST(")
            .param(Param::Timestamp(t))
            .text(" AS TIMESTAMP)")
    }

    /// Write a measure's `condition`. Where the rows find their period from `anchor`
    /// alone ([`Periods::Bucketed`]) there is no `p` to read: the bounds of the period it
    /// reads (`p.p_start`, `p.p_end`) are those of the anchor's period, a balanced `CASE`
    /// over the periods like [`halve`]'s (a lead converted by the end of its month: one
    /// pass over the leads with the other measures, not a join with the months).
    fn condition(&mut self, condition: &str, anchor: Option<&str>, spine: &[Period]) {
        match anchor {
            Some(anchor) => self.bounds_written(condition, &|b, of| {
                period_bound(b, anchor, spine, of);
            }),
            None => self.text(condition),
        };
    }

    /// Write `text` with each `p.p_start` and `p.p_end` in it written by `bound`, told
    /// which of a period's bounds it is; other names of `p` are left as written.
    fn bounds_written(
        &mut self,
        text: &str,
        bound: &dyn Fn(&mut Builder, PeriodBound),
    ) -> &mut Self {
        let mut rest = text;
        while let Some(at) = rest.find("p.p_") {
            self.text(&rest[..at]);
            let found = &rest[at..];
            if let Some(after) = found.strip_prefix("p.p_start") {
                bound(self, |p| p.start);
                rest = after;
            } else if let Some(after) = found.strip_prefix("p.p_end") {
                bound(self, |p| p.end);
                rest = after;
            } else {
                self.text("p.p_");
                rest = &found["p.p_".len()..];
            }
        }
        self.text(rest)
    }
}

/// One of a period's bounds: its start or its end.
type PeriodBound = fn(&Period) -> NaiveDateTime;

/// The start or end (`of`) of the period of `spine` that `anchor` falls in.
fn period_bound(b: &mut Builder, anchor: &str, spine: &[Period], of: PeriodBound) {
    halve(b, anchor, spine, &|b, period| {
        b.timestamp(of(period));
    });
}

/// The anchor a bucketed statement finds each row's period from: what a condition reading
/// the period's bounds reads them by.
fn bucketed_anchor(measure: &Measure, periods: Periods) -> Option<&'static str> {
    match (periods, measure.timing) {
        (Periods::Bucketed, Timing::Anchor(anchor))
        | (Periods::Bucketed, Timing::SameLocalDay { closed: anchor, .. }) => Some(anchor),
        _ => None,
    }
}

/// The SQL of one measure over `spine`: one row per period and dimension values, with the
/// period index first, then the dimensions, then `value`.
pub fn compile(
    dialect: Dialect,
    measure: &Measure,
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
    calendar: &Calendar,
) -> Result<Statement, MetricError> {
    if matches!(measure.timing, Timing::Covering { .. } | Timing::Before(_))
        && sweepable(measure, by, filters, spine)
    {
        return swept(dialect, measure, spine, by, filters);
    }
    let (mut b, periods) = period_index(dialect, measure, spine, by, filters, calendar);
    let lookups = lookups(measure, by, periods, adds_up(measure.agg))?;
    let split = select_dims(&mut b, measure, by, lookups.as_deref())?;
    let aggregate = match measure.agg {
        Agg::Count => "count(*)".to_owned(),
        Agg::Sum(e) => format!("sum({e})"),
        Agg::Avg(e) => format!("avg({e})"),
        Agg::Median(e) => dialect.median(e),
        Agg::Distinct(e) => format!("count(DISTINCT {e})"),
        Agg::CountExpr(e) | Agg::Expr(e) => e.to_owned(),
    };
    b.text(&format!(", {aggregate} AS value"));
    rows(
        &mut b,
        dialect,
        measure,
        spine,
        split,
        filters,
        &[],
        periods,
    )?;
    let statement = grouped_unless_whole(b, by.len(), periods, spine, lookups.is_some());
    Ok(with_names(
        statement,
        lookups.as_deref(),
        &["value".to_owned()],
    ))
}

/// The SQL of a measure at each period's end (spans covering it, or what had happened by
/// then; spans covering its start likewise, with the starts for ends), in one pass over the rows however many periods there are: each row is grouped,
/// with its dimensions, by the first period whose end it counts at and the first whose end
/// it no longer counts at (their ranks among the ends); each period then adds up the few
/// groups that count at its end. Joining the rows with the periods instead evaluates every
/// row at every end.
fn swept(
    dialect: Dialect,
    measure: &Measure,
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
) -> Result<Statement, MetricError> {
    let aggregate = match measure.agg {
        Agg::Count => "count(*)".to_owned(),
        Agg::Sum(e) => format!("sum({e})"),
        _ => {
            return Err(MetricError::Invalid(
                "only counts and sums of spans are swept".into(),
            ));
        }
    };
    // The instants each row is looked at: the periods' ends, or their starts for a span
    // looked at as each period began.
    let at = match measure.timing {
        Timing::Covering { at, .. } => at,
        _ => Edge::End,
    };
    let ends: Vec<NaiveDateTime> = spine.iter().map(|p| edge(p, at)).collect();
    let mut b = Builder::new("WITH spans AS (\nSELECT ");
    match measure.timing {
        // A span counts at the ends within it: from the first end at or after its start to
        // the last before its end.
        Timing::Covering { start, end, .. } => {
            rank(&mut b, start, &ends, Before::Under, 0);
            b.text(" AS first_idx, ");
            rank(
                &mut b,
                &format!("coalesce({end}, CAST('infinity' AS TIMESTAMP))"),
                &ends,
                Before::Under,
                0,
            );
        }
        // What happened by an end counts from the first end after all its times, for good.
        Timing::Before(times) => {
            b.text("greatest(");
            for (i, time) in times.iter().enumerate() {
                if i > 0 {
                    b.text(", ");
                }
                rank(&mut b, time, &ends, Before::AtOrUnder, 0);
            }
            b.text(&format!(") AS first_idx, {}", ends.len()));
        }
        _ => {
            return Err(MetricError::Invalid(
                "only spans and what happened by an end are swept".into(),
            ));
        }
    }
    b.text(" AS past_idx");
    select_dims(&mut b, measure, by, None)?;
    b.text(&format!(", {aggregate} AS value"));
    rows(
        &mut b,
        dialect,
        measure,
        spine,
        by,
        filters,
        &[],
        Periods::Bucketed,
    )?;
    b.text("\nGROUP BY first_idx, past_idx");
    for i in 0..by.len() {
        b.text(&format!(", d{i}"));
    }
    let indexes: Vec<String> = spine.iter().map(|p| format!("({})", p.index)).collect();
    b.text(")\nSELECT p.p_idx");
    for i in 0..by.len() {
        b.text(&format!(", spans.d{i}"));
    }
    b.text(&format!(
        ", sum(spans.value) AS value\nFROM spans JOIN (VALUES {}) p (p_idx) \
         ON p.p_idx >= spans.first_idx AND p.p_idx < spans.past_idx",
        indexes.join(", ")
    ));
    Ok(grouped(b, by.len()))
}

/// The instant `at` of `period`.
fn edge(period: &Period, at: Edge) -> NaiveDateTime {
    match at {
        Edge::Start => period.start,
        Edge::End => period.end,
    }
}

/// Which ends [`rank`] counts.
#[derive(Debug, Clone, Copy)]
enum Before {
    /// The ends before the instant.
    Under,
    /// The ends at or before it.
    AtOrUnder,
}

/// How many of `ends` (ascending) come before `expr` (or at it too), plus `counted`: a
/// balanced `CASE` like [`halve`]'s. A null `expr` counts every end.
fn rank(b: &mut Builder, expr: &str, ends: &[NaiveDateTime], which: Before, counted: usize) {
    if ends.is_empty() {
        b.text(&counted.to_string());
        return;
    }
    let middle = ends.len() / 2;
    let within = match which {
        Before::Under => "<=",
        Before::AtOrUnder => "<",
    };
    b.text(&format!("CASE WHEN {expr} {within} "))
        .timestamp(ends[middle])
        .text(" THEN ");
    rank(b, expr, &ends[..middle], which, counted);
    b.text(" ELSE ");
    rank(b, expr, &ends[middle + 1..], which, counted + middle + 1);
    b.text(" END");
}

/// A statement's start, up to its period index `p_idx`: from the anchor alone where the
/// measure is [`bucketable`], else from the periods `p` it is joined with.
fn period_index(
    dialect: Dialect,
    measure: &Measure,
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
    calendar: &Calendar,
) -> (Builder, Periods) {
    match measure.timing {
        Timing::Anchor(anchor) | Timing::SameLocalDay { closed: anchor, .. }
            if bucketable(measure, by, filters, spine) =>
        {
            let mut b = Builder::new("SELECT ");
            if let Timing::SameLocalDay { .. } = measure.timing {
                b.days = local_midnights(spine, calendar);
            }
            bucket(&mut b, dialect, anchor, spine);
            b.text(" AS p_idx");
            (b, Periods::Bucketed)
        }
        // A condition over one period is written with that period's bounds, and nothing
        // else reads `p`: the rows need no join with it (the active users at a range's end:
        // 0.69 ms joined and grouped, 0.36 ms alone). So are spans open at its end and what
        // happened by it, which the whole range's bounds then select exactly (the open
        // pipeline's value at a year's end: 47–54 ms swept, against its reference's 39–43).
        Timing::Condition { .. } | Timing::Covering { .. } | Timing::Before(_)
            if spine.len() == 1 && !reads_period(measure, by, filters) =>
        {
            let mut b = Builder::new("SELECT ");
            bucket(&mut b, dialect, "", spine);
            b.text(" AS p_idx");
            (b, Periods::Bucketed)
        }
        _ => {
            let mut b = periods(measure, spine, calendar);
            b.text("\nSELECT p.p_idx");
            (b, Periods::Joined)
        }
    }
}

/// [`grouped`], but for one period without dimensions, bucketed: its statement reads the
/// one row of the whole scan, with no grouping (a hash aggregate: a quarter of a count's
/// time), where each aggregate over no rows reads as the period's empty value (0, or null),
/// as no row did (an expression of aggregates is null over no rows: NPS 1.85 → 1.58 ms).
fn grouped_unless_whole(
    b: Builder,
    dims: usize,
    periods: Periods,
    spine: &[Period],
    by_ids: bool,
) -> Statement {
    if dims == 0 && spine.len() == 1 && periods == Periods::Bucketed {
        return Statement {
            sql: b.sql,
            params: b.params,
        };
    }
    if by_ids {
        return grouped_by(b, (0..dims).map(|i| format!("k{i}")));
    }
    grouped(b, dims)
}

/// The statement, grouped by period and its `dims` dimensions.
fn grouped(b: Builder, dims: usize) -> Statement {
    grouped_by(b, (0..dims).map(|i| format!("d{i}")))
}

/// The statement, grouped by period and `columns`.
fn grouped_by(mut b: Builder, columns: impl Iterator<Item = String>) -> Statement {
    b.text("\nGROUP BY p_idx");
    for column in columns {
        b.text(&format!(", {column}"));
    }
    Statement {
        sql: b.sql,
        params: b.params,
    }
}

/// How a statement finds each row's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Periods {
    /// Joined with the periods `p` on its timing's condition: every measure can.
    Joined,
    /// Its period's index computed from its anchor, or a span's first and last period from
    /// its ends (the `SELECT` does it), the whole range bounding the rows, no join: what a
    /// person writes for a `date_trunc`-style grouping. Or, over one period, a condition
    /// written with its bounds, and that period's index.
    Bucketed,
}

/// Whether a measure's rows can find their period from the anchor alone: the periods
/// follow each other with no gap, so a row within the whole range is in exactly one, and
/// nothing else of the statement (its aggregate, filter, joins) reads the period `p`.
fn bucketable(measure: &Measure, by: &[Dim], filters: &[(Dim, String)], spine: &[Period]) -> bool {
    let anchored = matches!(
        measure.timing,
        Timing::Anchor(_) | Timing::SameLocalDay { .. }
    );
    // A filter may read its period's bounds: the anchor's period's, written in their place
    // ([`Builder::condition`]).
    let filter_reads_bounds_only = anchored && !measure.filter.contains("p.p_idx");
    let without_bounds = Measure {
        filter: if filter_reads_bounds_only {
            ""
        } else {
            measure.filter
        },
        ..*measure
    };
    contiguous(spine) && !spine.is_empty() && !reads_period(&without_bounds, by, filters)
}

/// Whether a measure of spans can be [`swept`]: a count or a sum, over periods in order
/// (more than one: over one, its end is a plain condition, see [`period_index`]), with
/// nothing of the statement reading the period `p`.
fn sweepable(measure: &Measure, by: &[Dim], filters: &[(Dim, String)], spine: &[Period]) -> bool {
    matches!(measure.agg, Agg::Count | Agg::Sum(_))
        && in_order(spine)
        && spine.len() > 1
        && !reads_period(measure, by, filters)
}

/// Whether the measure's aggregate, filter or joins (its own and those of the dimensions
/// asked) read the period `p`.
fn reads_period(measure: &Measure, by: &[Dim], filters: &[(Dim, String)]) -> bool {
    let joins = by
        .iter()
        .chain(filters.iter().map(|(d, _)| d))
        .filter_map(|dim| measure.source.dim(*dim))
        .flat_map(|d| d.joins.iter().chain([&d.expr]))
        .chain(measure.joins.iter());
    [measure.agg.expr(), measure.filter]
        .into_iter()
        .chain(joins.copied())
        .any(|text| text.contains("p.p_"))
}

/// The index of the period of `spine` that `anchor` falls in, for an anchor within the
/// whole range: PostgreSQL's `width_bucket` over the periods' starts; on DuckDB, which has
/// none, arithmetic on the anchor's month where the periods are whole UTC months, quarters
/// or years ([`monthly`]), and otherwise a balanced `CASE` that halves the periods at each
/// step (four comparisons for a year of months, nine for a year of days).
fn bucket(b: &mut Builder, dialect: Dialect, anchor: &str, spine: &[Period]) {
    // One period: its index, a constant (a statement of it needs no grouping).
    if let [only] = spine {
        b.text(&format!("CAST({} AS BIGINT)", only.index));
        return;
    }
    if let (Dialect::DuckDb, Some(Monthly { first, every })) = (dialect, monthly(spine)) {
        // Planned and run faster than the `CASE` (new customers by month and lead source,
        // 6.4–7.9 → 4.9–7.1 ms; calls by month and owner, 68–80 → 59–62 ms).
        b.text(&format!(
            "((year({anchor}) * 12 + month({anchor}) - 1 + CAST("
        ))
        .param(Param::Int(every - first))
        .text(" AS BIGINT)) // CAST(")
        .param(Param::Int(every))
        .text(" AS BIGINT) + CAST(")
        .param(Param::Int(spine[0].index as i64))
        .text(" AS BIGINT))");
        return;
    }
    match dialect {
        Dialect::Postgres => {
            let starts: Vec<String> = spine
                .iter()
                .map(|p| format!("\"{}\"", p.start.format("%Y-%m-%d %H:%M:%S%.f")))
                .collect();
            b.text(&format!("(width_bucket({anchor}, CAST("))
                .param(Param::Text(format!("{{{}}}", starts.join(","))))
                .text(" AS TIMESTAMP[])) - 1)");
        }
        Dialect::DuckDb => halve(b, anchor, spine, &|b, period| {
            b.text(&format!("CAST({} AS BIGINT)", period.index));
        }),
    }
}

/// Periods every boundary of which starts a UTC month, `every` months apart, from the month
/// `first` on (months counted from year 0): a row's period is `(its month − first + every)
/// div every` periods after the first.
#[derive(Debug, PartialEq)]
struct Monthly {
    first: i64,
    every: i64,
}

/// The months of `spine`'s periods, where their bounds allow the arithmetic: at least two
/// boundaries, each the start of a UTC month and evenly spaced; the first and last periods
/// no longer than the others; indices one after another.
fn monthly(spine: &[Period]) -> Option<Monthly> {
    let month = |t: NaiveDateTime| i64::from(t.year()) * 12 + i64::from(t.month0());
    let starts_month = |t: NaiveDateTime| t.day() == 1 && t.time() == NaiveTime::MIN;
    let (head, rest) = spine.split_first()?;
    let tail = rest.last()?;
    let boundaries: Vec<i64> = rest
        .iter()
        .map(|p| starts_month(p.start).then(|| month(p.start)))
        .collect::<Option<_>>()?;
    let (&first, &last) = (boundaries.first()?, boundaries.last()?);
    let every = *boundaries.get(1)? - first;
    let even = every > 0 && boundaries.windows(2).all(|w| w[1] - w[0] == every);
    let ends_within = month(head.start) >= first - every
        && month(tail.end - chrono::Duration::microseconds(1)) < last + every;
    let numbered = spine
        .iter()
        .enumerate()
        .all(|(i, p)| p.index == head.index + i);
    (even && ends_within && numbered).then_some(Monthly { first, every })
}

/// A balanced `CASE` over the starts of `spine` (in order, one after another) that finds the
/// period `anchor` falls in and writes `leaf` of it: its index, its start or its end.
fn halve(b: &mut Builder, anchor: &str, spine: &[Period], leaf: &dyn Fn(&mut Builder, &Period)) {
    if let [only] = spine {
        leaf(b, only);
        return;
    }
    let (before, from) = spine.split_at(spine.len() / 2);
    b.text(&format!("CASE WHEN {anchor} < "))
        .timestamp(from[0].start)
        .text(" THEN ");
    halve(b, anchor, before, leaf);
    b.text(" ELSE ");
    halve(b, anchor, from, leaf);
    b.text(" END");
}

/// Write the dimensions `d0`, `d1`… into a statement's `SELECT`, or with `lookups` the
/// ids `k0`, `k1`… their names are looked up by ([`with_names`]); and say which dimensions
/// the rows need joined for it: all of them, or none.
fn select_dims<'a>(
    b: &mut Builder,
    measure: &Measure,
    by: &'a [Dim],
    lookups: Option<&[&Lookup]>,
) -> Result<&'a [Dim], MetricError> {
    if let Some(lookups) = lookups {
        for (i, lookup) in lookups.iter().enumerate() {
            b.text(&format!(", {} AS k{i}", lookup.id));
        }
        return Ok(&[]);
    }
    for (i, &dim) in by.iter().enumerate() {
        b.text(&format!(", {} AS d{i}", dim_expr(measure, dim)?.expr));
    }
    Ok(by)
}

/// Whether an aggregate's values over two sets of rows add up to its value over both: a
/// count's and a sum's do; an average's, a median's and a distinct count's do not.
fn adds_up(agg: Agg) -> bool {
    matches!(agg, Agg::Count | Agg::Sum(_))
}

/// Where every dimension of `by` is the name of a record a row points at, how to look each
/// up: then the rows are grouped by the records' ids, with no join, and the names joined to
/// the groups after ([`with_names`]): a million deals by owner, 65 → 59 ms as a whole process.
/// Two records of one name (two reps called alike) make two groups of one name, which add
/// up when read ([`read_values`]): only for values that do (`adds_up`), and periods found
/// from the anchor (a join with the periods is not grouped apart from them).
fn lookups(
    measure: &Measure,
    by: &[Dim],
    periods: Periods,
    adds_up: bool,
) -> Result<Option<Vec<&'static Lookup>>, MetricError> {
    if by.is_empty() || !adds_up || periods != Periods::Bucketed {
        return Ok(None);
    }
    let mut lookups = Vec::with_capacity(by.len());
    for &dim in by {
        match &dim_expr(measure, dim)?.lookup {
            Some(lookup) => lookups.push(lookup),
            None => return Ok(None),
        }
    }
    Ok(Some(lookups))
}

/// A statement grouped by the ids of `lookups` (see [`lookups`]), with each group's names
/// in place of its ids: the period, the names `d0`, `d1`…, then `values`.
fn with_names(statement: Statement, lookups: Option<&[&Lookup]>, values: &[String]) -> Statement {
    let Some(lookups) = lookups else {
        return statement;
    };
    let mut sql = String::from("SELECT s.p_idx");
    for i in 0..lookups.len() {
        sql.push_str(&format!(", l{i}.name AS d{i}"));
    }
    for value in values {
        sql.push_str(&format!(", s.{value}"));
    }
    sql.push_str(&format!("\nFROM (\n{}\n) s", statement.sql));
    for (i, lookup) in lookups.iter().enumerate() {
        sql.push_str(&format!(
            "\nLEFT JOIN {table} l{i} ON l{i}.id = s.k{i}",
            table = lookup.table
        ));
    }
    Statement {
        sql,
        params: statement.params,
    }
}

/// How `measure`'s source reaches `dim`.
fn dim_expr(measure: &Measure, dim: Dim) -> Result<&'static crate::dims::DimExpr, MetricError> {
    measure
        .source
        .dim(dim)
        .ok_or_else(|| MetricError::Invalid(format!("this measure cannot be split by {dim}")))
}

/// The statement's start: the periods `p (p_idx, p_start, p_end)`; beside it, the local
/// midnights a same-day measure needs.
fn periods(measure: &Measure, spine: &[Period], calendar: &Calendar) -> Builder {
    let mut b = Builder::new("");
    b.text("WITH p (p_idx, p_start, p_end) AS (VALUES ");
    for (i, period) in spine.iter().enumerate() {
        if i > 0 {
            b.text(", ");
        }
        b.text("(CAST(")
            .param(Param::Int(period.index as i64))
            .text(" AS BIGINT), ")
            .timestamp(period.start)
            .text(", ")
            .timestamp(period.end)
            .text(")");
    }
    b.text(")");
    if let Timing::SameLocalDay { .. } = measure.timing {
        b.days = local_midnights(spine, calendar);
    }
    b
}

/// The rows a measure counts in each period: `FROM`, the joins its dimensions, filters,
/// aggregate and `extra` need, and `WHERE` its source's live records, its timing, filter
/// and the filters' values.
#[allow(clippy::too_many_arguments)]
fn rows(
    b: &mut Builder,
    dialect: Dialect,
    measure: &Measure,
    spine: &[Period],
    by: &[Dim],
    filters: &[(Dim, String)],
    extra: &[&'static str],
    periods: Periods,
) -> Result<(), MetricError> {
    // What the statement reads: its select list, written before its `FROM`, and its filter.
    let from = measure.source.from_reading(&[&b.sql, measure.filter]);
    let paired = paired(measure, spine).filter(|_| periods == Periods::Joined);
    match (measure.timing, paired) {
        _ if periods == Periods::Bucketed => {
            b.text(&format!("\nFROM {from}"));
        }
        // The pairs with their periods' bounds stand for `p`: what reads the period reads
        // the row's own.
        (_, Some(paired)) => {
            b.text("\nFROM (SELECT paired.key, p.p_idx, p.p_start, p.p_end FROM (");
            pairs_written(b, dialect, paired.pairs, spine);
            b.text(&format!(
                ") AS paired (key, p_idx) JOIN p ON p.p_idx = paired.p_idx) AS p\nJOIN {from} ON {} = p.key",
                paired.key
            ));
        }
        (Timing::Anchor(anchor), _) if dialect == Dialect::Postgres && in_order(spine) => {
            // PostgreSQL compares every row with every period of a cross join (a million
            // web visits by twelve months: 0.8 s of the metric's 0.9); a binary search over
            // the periods' starts finds each row's one period, joined on its index. The
            // bounds below still decide whether the row is in it.
            let starts: Vec<String> = spine
                .iter()
                .map(|p| format!("\"{}\"", p.start.format("%Y-%m-%d %H:%M:%S%.f")))
                .collect();
            b.text(&format!(
                "\nFROM {from} JOIN p ON p.p_idx = width_bucket({anchor}, CAST("
            ))
            .param(Param::Text(format!("{{{}}}", starts.join(","))))
            .text(" AS TIMESTAMP[])) - 1");
        }
        _ => {
            b.text(&format!("\nFROM p CROSS JOIN {from}"));
        }
    }
    let mut joins: Vec<&str> = Vec::new();
    for dim in by.iter().chain(filters.iter().map(|(d, _)| d)) {
        joins.extend(dim_expr(measure, *dim)?.joins.iter().copied());
    }
    joins.extend(measure.joins.iter().copied());
    joins.extend(extra.iter().copied());
    let mut seen = BTreeSet::new();
    for join in joins {
        if seen.insert(join) {
            b.text("\n").text(join);
        }
    }
    b.text("\nWHERE ");
    if !measure.source.live.is_empty() {
        b.text(measure.source.live).text(" AND ");
    }
    match measure.timing {
        Timing::Anchor(anchor) | Timing::SameLocalDay { closed: anchor, .. } => {
            if periods == Periods::Joined {
                b.text(&format!(
                    "{anchor} >= p.p_start AND {anchor} < p.p_end AND "
                ));
            }
            // The whole range, as constants, so the scan can skip row groups before the join
            // with the periods; bucketed, it is all that bounds the rows.
            let (first, last) = (spine[0].start, spine[spine.len() - 1].end);
            b.text(&format!("{anchor} >= ")).timestamp(first);
            b.text(&format!(" AND {anchor} < ")).timestamp(last);
            if let Timing::SameLocalDay { opened, closed } = measure.timing {
                b.text(" AND ");
                let days = std::mem::take(&mut b.days);
                same_local_day(b, dialect, opened, closed, &days);
                b.days = days;
            }
        }
        Timing::Covering { start, end, at } => {
            // Written as two inequalities (no OR) so DuckDB can run an inequality join, and
            // bounded by the whole range so the scan skips spans that ended long before.
            let open_end = format!("coalesce({end}, CAST('infinity' AS TIMESTAMP))");
            if periods == Periods::Joined {
                let instant = match at {
                    Edge::Start => "p.p_start",
                    Edge::End => "p.p_end",
                };
                b.text(&format!(
                    "{start} <= {instant} AND {open_end} > {instant} AND "
                ));
            }
            let (first, last) = (edge(&spine[0], at), edge(&spine[spine.len() - 1], at));
            b.text(&format!("{start} <= ")).timestamp(last);
            b.text(&format!(" AND {open_end} > ")).timestamp(first);
        }
        Timing::Before(times) => {
            for (i, time) in times.iter().enumerate() {
                if i > 0 {
                    b.text(" AND ");
                }
                if periods == Periods::Joined {
                    b.text(&format!("{time} < p.p_end AND "));
                }
                // Bounded by the last end, so the scan skips what came after it.
                b.text(&format!("{time} < "))
                    .timestamp(spine[spine.len() - 1].end);
            }
        }
        Timing::Condition { joined, alone, .. } => {
            b.text("(");
            match (spine, paired) {
                ([period], _) => b.bounds_written(alone, &|b, of| {
                    b.timestamp(of(period));
                }),
                (_, Some(paired)) => b.text(paired.condition),
                _ => b.text(joined),
            };
            b.text(")");
        }
    }
    if !measure.filter.is_empty() {
        b.text(" AND (");
        b.condition(measure.filter, bucketed_anchor(measure, periods), spine);
        b.text(")");
    }
    // Names and labels as people type them: `steven hill` is Steven Hill.
    for (dim, value) in filters {
        b.text(&format!(
            " AND lower({}) = lower(",
            dim_expr(measure, *dim)?.expr
        ))
        .param(Param::Text(value.clone()))
        .text(")");
    }
    Ok(())
}

/// The [`Paired`] form of `measure`'s condition, where it has one and the periods of
/// `spine` (more than one) follow each other, so that an instant's period is found as an
/// anchor's is ([`bucket`]).
fn paired(measure: &Measure, spine: &[Period]) -> Option<Paired> {
    match measure.timing {
        Timing::Condition {
            paired: Some(paired),
            ..
        } if spine.len() > 1 && contiguous(spine) => Some(paired),
        _ => None,
    }
}

/// [`Paired::pairs`] with each `{period of EXPR}` the index of the period of `spine` the
/// instant falls in, and each `{range of EXPR}` the instant within the whole spine.
fn pairs_written(b: &mut Builder, dialect: Dialect, pairs: &str, spine: &[Period]) {
    let mut rest = pairs;
    while let Some(at) = rest.find('{') {
        b.text(&rest[..at]);
        let (mark, after) = rest[at + 1..]
            .split_once('}')
            .expect("a mark of the catalogue's pairs is closed");
        if let Some(instant) = mark.strip_prefix("period of ") {
            bucket(b, dialect, instant, spine);
        } else if let Some(instant) = mark.strip_prefix("range of ") {
            b.text(&format!("{instant} >= "))
                .timestamp(spine[0].start)
                .text(&format!(" AND {instant} < "))
                .timestamp(spine[spine.len() - 1].end);
        } else {
            unreachable!("the catalogue's pairs mark a period or a range, not {{{mark}}}");
        }
        rest = after;
    }
    b.text(rest);
}

/// Whether the periods of `spine` are in order and each ends where the next begins.
fn contiguous(spine: &[Period]) -> bool {
    in_order(spine) && spine.windows(2).all(|w| w[0].end == w[1].start)
}

/// Whether each period of `spine` is at its index, starts after the one before ended, and
/// so is found by its start alone.
fn in_order(spine: &[Period]) -> bool {
    spine.iter().enumerate().all(|(i, p)| p.index == i)
        && spine.windows(2).all(|w| w[0].end <= w[1].start)
}

/// One row behind a figure: the record (its table and id), its name, when it counted, and
/// what it adds to a sum or average.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillRow {
    pub table: String,
    pub id: i64,
    pub label: Option<String>,
    pub at: Option<String>,
    pub value: Option<f64>,
}

/// The rows one measure of a metric counts over a query's whole range, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drilled {
    pub metric: String,
    /// Which of the metric's measures (0: the numerator of a ratio, 1: its denominator…).
    pub measure: usize,
    pub measures: usize,
    /// Every row the measure counts (as many as its count), of which `rows` are the first.
    pub total: usize,
    /// The sum of the rows' values, for a measure that sums one.
    pub sum: Option<f64>,
    pub rows: Vec<DrillRow>,
}

/// The rows behind measure `measure` of `query`'s metric over its whole range (no grain),
/// with its filters: the same rows the figure counts, so their number is the count and
/// their values add up to the sum. At most `limit` rows come back, newest first.
pub fn drill(
    store: &Store,
    calendar: &Calendar,
    query: &Query,
    measure: usize,
    limit: usize,
) -> Result<Drilled, MetricError> {
    let metric = metric(&query.metric)?;
    check_dims(metric, query.filters.iter().map(|(d, _)| d))?;
    let chosen = metric.measures.get(measure).ok_or_else(|| {
        MetricError::Invalid(format!(
            "{} has {} measures; measure {measure} is not one of them",
            metric.name,
            metric.measures.len()
        ))
    })?;
    let drill = &chosen.source.drill;
    let from = query.from.local(calendar);
    let to = query.to.local(calendar);
    let spine = time::periods(calendar, from, to, None)?;
    let at = match chosen.timing {
        Timing::Anchor(at) | Timing::Covering { start: at, .. } => at,
        Timing::SameLocalDay { closed, .. } => closed,
        Timing::Before(times) => times[0],
        Timing::Condition { .. } => "NULL",
    };
    let value = match chosen.agg {
        Agg::Sum(e) | Agg::Avg(e) | Agg::Median(e) => format!("CAST({e} AS DOUBLE PRECISION)"),
        Agg::Count | Agg::Distinct(_) | Agg::CountExpr(_) | Agg::Expr(_) => {
            "CAST(NULL AS DOUBLE PRECISION)".to_owned()
        }
    };
    // A measure that counts distinct records (a campaign's purchases, the users who logged
    // in) lists each record once, at its latest row.
    let distinct = matches!(chosen.agg, Agg::Distinct(_) | Agg::CountExpr(_));
    // The rows, newest first; then their count and sum over the same rows, apart (window
    // aggregates beside a LIMIT tripped an internal error of DuckDB's now and then).
    let mut b = periods(chosen, &spine, calendar);
    if distinct {
        b.text("\nSELECT tbl, id, min(label) AS label, max(counted_at) AS counted_at, NULL AS value FROM (");
    }
    b.text(&format!(
        "\nSELECT {table} AS tbl, {id} AS id, {label} AS label, CAST({at} AS VARCHAR) AS counted_at, {value} AS value",
        table = drill.table,
        id = drill.id,
        label = drill.label,
    ));
    rows(
        &mut b,
        store.dialect(),
        chosen,
        &spine,
        &[],
        &query.filters,
        drill.joins,
        Periods::Joined,
    )?;
    // A measure of a condition on the period has no instant of its own: newest ids first.
    let order = if distinct {
        b.text(") listed GROUP BY tbl, id");
        "counted_at DESC NULLS LAST, id DESC".to_owned()
    } else if at == "NULL" {
        "id DESC".to_owned()
    } else {
        format!("{at} DESC NULLS LAST, id DESC")
    };
    b.text(&format!("\nORDER BY {order} LIMIT "))
        .param(Param::Int(limit as i64));
    let listed: Vec<Listed> = store.records(&b.sql, &b.params)?;
    let mut b = periods(chosen, &spine, calendar);
    if distinct {
        b.text(&format!(
            "\nSELECT count(*) AS total, NULL AS sum FROM (SELECT DISTINCT {table}, {id}",
            table = drill.table,
            id = drill.id,
        ));
    } else {
        b.text(&format!("\nSELECT count(*) AS total, sum({value}) AS sum"));
    }
    rows(
        &mut b,
        store.dialect(),
        chosen,
        &spine,
        &[],
        &query.filters,
        &[],
        Periods::Joined,
    )?;
    if distinct {
        b.text(") counted");
    }
    let totals: Vec<Totals> = store.records(&b.sql, &b.params)?;
    let totals = totals.first();
    Ok(Drilled {
        metric: metric.name.clone(),
        measure,
        measures: metric.measures.len(),
        total: totals.map_or(0, |t| t.total),
        sum: totals.and_then(|t| t.sum),
        rows: listed
            .into_iter()
            .filter_map(|r| {
                Some(DrillRow {
                    table: r.tbl?,
                    id: r.id?,
                    label: r.label,
                    at: r.counted_at,
                    value: r.value,
                })
            })
            .collect(),
    })
}

/// A row behind a figure as [`drill`]'s statement lists it.
#[derive(serde::Deserialize)]
struct Listed {
    tbl: Option<String>,
    id: Option<i64>,
    label: Option<String>,
    counted_at: Option<String>,
    value: Option<f64>,
}

/// How many rows are behind a figure, and what they add up to.
#[derive(serde::Deserialize)]
struct Totals {
    total: usize,
    sum: Option<f64>,
}

/// Whether `opened` is on the local day `closed` is in, `closed` being within `midnights`
/// (ascending, from the first period's first day). Where they are all a day apart (no clock
/// change in the range: UTC, a fixed offset, a zone in summer or winter alone), both are
/// moved by the one offset and their dates compared (a year of tickets: 15 → 4 ms; the
/// dates compared rather than the opening against the closing day's midnight, 4 → 3 ms);
/// else as many midnights must be at or before the opening as before the close
/// ([`day_rank`]).
fn same_local_day(
    b: &mut Builder,
    dialect: Dialect,
    opened: &str,
    closed: &str,
    midnights: &[NaiveDateTime],
) {
    let one_offset = midnights
        .windows(2)
        .all(|pair| (pair[1] - pair[0]).num_seconds() == DAY_SECONDS);
    match midnights.first() {
        Some(first) if one_offset => {
            // What a local time is ahead of UTC, modulo a day: what moves a midnight to 0:00.
            let ahead = (-first.and_utc().timestamp()).rem_euclid(DAY_SECONDS);
            if ahead == 0 {
                b.text(&format!("CAST({opened} AS DATE) = CAST({closed} AS DATE)"));
            } else {
                let ahead = Param::Text(format!("{ahead} seconds"));
                b.text(&format!("CAST({opened} + CAST("))
                    .param(ahead.clone())
                    .text(&format!(" AS INTERVAL) AS DATE) = CAST({closed} + CAST("))
                    .param(ahead)
                    .text(" AS INTERVAL) AS DATE)");
            }
        }
        _ => {
            day_rank(b, dialect, opened, midnights);
            b.text(" = ");
            day_rank(b, dialect, closed, midnights);
        }
    }
}

const DAY_SECONDS: i64 = 86_400;

/// How many of `midnights` (ascending) are at or before `expr`. Midnights a day apart make
/// runs (a year in one time zone has one to three, split where the clocks change), and
/// within a run the count is arithmetic on the epoch: a `CASE` over the runs, not over
/// every day.
fn day_rank(b: &mut Builder, dialect: Dialect, expr: &str, midnights: &[NaiveDateTime]) {
    // (first midnight, how many, how many before the run)
    let mut runs: Vec<(NaiveDateTime, usize, usize)> = Vec::new();
    for (i, &midnight) in midnights.iter().enumerate() {
        match runs.last_mut() {
            Some((start, len, _))
                if (midnight - *start).num_seconds() == *len as i64 * DAY_SECONDS =>
            {
                *len += 1;
            }
            _ => runs.push((midnight, 1, i)),
        }
    }
    let Some(&(first, _, _)) = runs.first() else {
        b.text("0");
        return;
    };
    let epoch = dialect.epoch_seconds(expr);
    let piece = |b: &mut Builder, (start, len, before): (NaiveDateTime, usize, usize)| {
        b.text(&format!("CAST({before} + least(floor(({epoch} - "))
            .param(Param::Int(start.and_utc().timestamp()))
            .text(&format!(") / {DAY_SECONDS}.0) + 1, {len}) AS BIGINT)"));
    };
    b.text(&format!("CASE WHEN {expr} < "))
        .timestamp(first)
        .text(" THEN 0");
    for pair in runs.windows(2) {
        b.text(&format!(" WHEN {expr} < "))
            .timestamp(pair[1].0)
            .text(" THEN ");
        piece(b, pair[0]);
    }
    b.text(" ELSE ");
    piece(b, runs[runs.len() - 1]);
    b.text(" END");
}

/// The local midnights, as UTC instants, from the first period's first local day to the
/// day after the last's.
fn local_midnights(spine: &[Period], calendar: &Calendar) -> Vec<NaiveDateTime> {
    let first = calendar.to_local(spine[0].start).date();
    let last = calendar.to_local(spine[spine.len() - 1].end).date();
    first
        .iter_days()
        .take_while(|day| *day <= last.succ_opt().expect("a next day exists"))
        .map(|day| calendar.to_utc(day.and_hms_opt(0, 0, 0).expect("midnight")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Monthly, monthly, own_filter, shared_filter};
    use crate::time::{Calendar, Grain, periods};
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
    use chrono_tz::Tz;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_time(NaiveTime::MIN)
    }

    /// The arithmetic `monthly` finds for the periods of `[from, to)` at `grain`.
    fn months_of(tz: Tz, grain: Grain, from: NaiveDateTime, to: NaiveDateTime) -> Option<Monthly> {
        monthly(&periods(&Calendar::new(tz, 1).unwrap(), from, to, Some(grain)).unwrap())
    }

    #[test]
    fn whole_utc_months_quarters_and_years_are_found_by_arithmetic_and_nothing_else() {
        let utc = chrono_tz::UTC;
        // A range starting mid-month: its first period is the rest of December.
        assert_eq!(
            months_of(utc, Grain::Month, at(2025, 12, 15), at(2026, 12, 1)),
            Some(Monthly {
                first: 2026 * 12,
                every: 1
            })
        );
        assert_eq!(
            months_of(utc, Grain::Quarter, at(2025, 12, 1), at(2027, 1, 1)),
            Some(Monthly {
                first: 2026 * 12,
                every: 3
            })
        );
        assert_eq!(
            months_of(utc, Grain::Year, at(2024, 1, 1), at(2027, 1, 1)),
            Some(Monthly {
                first: 2025 * 12,
                every: 12
            })
        );
        // Madrid's months begin at 22:00 or 23:00 UTC; days are not months; two periods
        // have one boundary, no spacing.
        let madrid = chrono_tz::Europe::Madrid;
        assert_eq!(
            months_of(madrid, Grain::Month, at(2026, 1, 1), at(2027, 1, 1)),
            None
        );
        assert_eq!(
            months_of(utc, Grain::Day, at(2026, 1, 1), at(2026, 2, 1)),
            None
        );
        assert_eq!(
            months_of(utc, Grain::Month, at(2026, 1, 1), at(2026, 3, 1)),
            None
        );
    }

    #[test]
    fn the_filter_all_measures_begin_with_narrows_their_scan() {
        let abandoned = "sc.direction = 'inbound' AND sc.answered_at IS NULL";
        let inbound = "sc.direction = 'inbound'";
        let shared = shared_filter(&[abandoned, inbound]);
        assert_eq!(shared, inbound);
        assert_eq!(own_filter(abandoned, shared), "sc.answered_at IS NULL");
        assert_eq!(own_filter(inbound, shared), "");
        assert_eq!(shared_filter(&[inbound, inbound]), inbound);
        assert_eq!(own_filter(abandoned, ""), abandoned);
        // Different beginnings, a filter of every row, a beginning that is not a whole
        // condition, an OR: nothing is shared.
        for filters in [
            ["d.status = 'won'", "d.status IN ('won', 'lost')"],
            ["", inbound],
            ["a.x = 1", "a.x = 10"],
            ["a OR b", "a OR b AND c"],
            ["a", "a AND b\n or c"],
        ] {
            assert_eq!(shared_filter(&filters), "", "{filters:?}");
        }
    }
}
