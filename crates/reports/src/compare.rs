//! A report beside itself over an earlier range (the previous period, or the same range a
//! year before): every figure keeps its value and gains the earlier one.
//!
//! The earlier report is built as the report is, with the range (and a point-in-time
//! report's instant) moved back as the metric layer moves a comparison
//! ([`Compare::shift`]). Rows are matched on their labels (owner, stage, source…); a period
//! is matched on its place among the section's periods, so that a quarter's second month
//! meets the earlier quarter's second month. Pages show the earlier value beside each
//! figure; flat formats (CSV, XLSX, terminal tables) get a column of earlier values after
//! each figure column ([`flatten`]).

use crate::catalog::{self, Gaps};
use crate::context::{Context, Params};
use crate::model::{Column, Kind, Report, Section};
use crate::{ReportError, i18n};
use chrono::NaiveDateTime;
use embudo_metrics::{Bound, Compare};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Report `name` as `ctx` asks, with each section's rows over the earlier range `compare`
/// names beside them.
pub fn build(
    ctx: &Context<'_>,
    name: &str,
    compare: Compare,
    gaps: Gaps<'_>,
) -> Result<Report, ReportError> {
    let mut report = catalog::build(ctx, name, gaps)?;
    let (from, to) = ctx.range();
    let (from, to) = (from.local(&ctx.calendar), to.local(&ctx.calendar));
    let (earlier_from, earlier_to) = compare.shift(from, to);
    let earlier_at =
        ctx.calendar
            .to_utc(shifted(ctx.calendar.to_local(ctx.at()), from, earlier_from));
    let earlier = Context {
        store: ctx.store,
        calendar: ctx.calendar,
        params: Params {
            from: Some(bound(earlier_from, ctx)),
            to: Some(bound(earlier_to, ctx)),
            at: Some(earlier_at),
            ..ctx.params.clone()
        },
        now: ctx.now,
    };
    let before = catalog::build(&earlier, name, Gaps::Unnoted)?;
    report
        .params
        .insert("compare".into(), json!(compare.as_str()));
    for (key, value) in [
        ("from", "compare_from"),
        ("to", "compare_to"),
        ("at", "compare_at"),
    ] {
        if let Some(earlier_value) = before.params.get(key) {
            report.params.insert(value.into(), earlier_value.clone());
        }
    }
    for section in &mut report.sections {
        if let Some(earlier) = before.sections.iter().find(|s| s.name == section.name) {
            section.previous_rows = Some(matched(section, earlier));
        }
    }
    let last_day = earlier_to - chrono::Duration::days(1);
    report.notes.insert(
        0,
        crate::insights::say(
            ctx.lang(),
            "note.compared",
            &[
                &earlier_from.date().to_string(),
                &last_day.date().to_string(),
                &i18n::label(&format!("compare.{}", compare.as_str()), ctx.lang()),
            ],
        ),
    );
    Ok(report)
}

/// `instant` moved back as far as the range start moved from `from` to `earlier_from`.
fn shifted(
    instant: NaiveDateTime,
    from: NaiveDateTime,
    earlier_from: NaiveDateTime,
) -> NaiveDateTime {
    instant - (from - earlier_from)
}

/// A local bound as the parameters take it: a day when it is midnight.
fn bound(local: NaiveDateTime, ctx: &Context<'_>) -> Bound {
    if local.time() == chrono::NaiveTime::MIN {
        Bound::Day(local.date())
    } else {
        Bound::Instant(ctx.calendar.to_utc(local))
    }
}

/// For each row of `section`, the row of `earlier` with the same labels and the same place
/// among the periods (each earlier row used once), or null.
fn matched(section: &Section, earlier: &Section) -> Vec<Value> {
    let mut pool: HashMap<Vec<String>, VecDeque<usize>> = HashMap::new();
    let earlier_periods = periods(earlier);
    for (i, row) in earlier.rows.iter().enumerate() {
        pool.entry(row_key(earlier, &earlier_periods, row))
            .or_default()
            .push_back(i);
    }
    let periods = periods(section);
    section
        .rows
        .iter()
        .map(|row| {
            let Some(i) = pool
                .get_mut(&row_key(section, &periods, row))
                .and_then(VecDeque::pop_front)
            else {
                return Value::Null;
            };
            // Earlier values in this section's column order.
            let earlier_row = &earlier.rows[i];
            Value::Array(
                section
                    .columns
                    .iter()
                    .map(|column| {
                        earlier
                            .column(&column.key)
                            .and_then(|c| earlier_row.get(c))
                            .cloned()
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// What identifies a row across ranges: its labels, and its period's place among the
/// section's periods.
fn row_key(section: &Section, periods: &[String], row: &[Value]) -> Vec<String> {
    section
        .columns
        .iter()
        .zip(row)
        .filter(|(column, _)| column.kind == Kind::Text)
        .map(|(column, value)| {
            let value = text(value);
            if column.key == "period" {
                let place = periods.binary_search(&value).unwrap_or_default();
                format!("#{place}")
            } else {
                value
            }
        })
        .collect()
}

/// The section's periods, in order: where each row's period stands among them.
fn periods(section: &Section) -> Vec<String> {
    let periods: BTreeSet<String> = match section.column("period") {
        Some(p) => section.rows.iter().map(|r| text(&r[p])).collect(),
        None => BTreeSet::new(),
    };
    periods.into_iter().collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a column's figures get their earlier value: figures, but not a section's own
/// comparison columns (`previous`, `revenue_previous`, `revenue_change_pct`): an earlier
/// value of an earlier value would read as one more "previous".
pub fn compares(column: &Column) -> bool {
    let key = column.key.as_str();
    column.kind != Kind::Text
        && !["previous", "change_pct"].contains(&key)
        && !key.ends_with("_previous")
        && !key.ends_with("_change_pct")
}

/// The earlier value of cell (`row`, `column`), where the section was compared and the
/// earlier range had that row.
pub fn previous(section: &Section, row: usize, column: usize) -> Option<&Value> {
    section
        .previous_rows
        .as_ref()?
        .get(row)?
        .as_array()?
        .get(column)
        .filter(|v| !v.is_null())
}

/// The change from `earlier` to `now` as people read it: a relative change for amounts and
/// counts (`+12.5%`), a difference in points for shares (`+2.1 pts`); none when the earlier
/// value is zero or missing.
pub fn change(now: &Value, earlier: &Value, kind: Kind, lang: &str) -> Option<String> {
    let (now, earlier) = (now.as_f64()?, earlier.as_f64()?);
    let text = match kind {
        Kind::Text => return None,
        Kind::Ratio => {
            let points = (now - earlier) * 100.0;
            format!(
                "{}{:.1} {}",
                sign(points),
                points.abs(),
                i18n::label("unit.points", lang)
            )
        }
        _ if earlier == 0.0 => return None,
        _ => {
            let pct = (now - earlier) / earlier.abs() * 100.0;
            format!("{}{:.1}%", sign(pct), pct.abs())
        }
    };
    Some(if lang == "es" {
        crate::model::spanish(&text)
    } else {
        text
    })
}

fn sign(x: f64) -> &'static str {
    if x > 0.0 {
        "+"
    } else if x < 0.0 {
        "−"
    } else {
        ""
    }
}

/// The report for flat formats: after each figure column of a compared section, a column
/// of its earlier values (`Revenue (previous period)`); a report without a comparison as
/// it is.
pub fn flatten(report: &Report, lang: &str) -> Report {
    let compare = report
        .params
        .get("compare")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut flat = report.clone();
    for section in &mut flat.sections {
        let Some(previous) = section.previous_rows.take() else {
            continue;
        };
        let figures: Vec<usize> = (0..section.columns.len())
            .filter(|&c| compares(&section.columns[c]))
            .collect();
        let mut columns = Vec::new();
        for (c, column) in section.columns.iter().enumerate() {
            columns.push(column.clone());
            if figures.contains(&c) {
                columns.push(Column {
                    key: format!("{}_{compare}", column.key),
                    kind: column.kind,
                    label: format!(
                        "{} ({})",
                        column.label,
                        i18n::label(&format!("compare.{compare}"), lang)
                    ),
                });
            }
        }
        for (row, earlier) in section.rows.iter_mut().zip(&previous) {
            let mut widened = Vec::with_capacity(columns.len());
            for (c, value) in row.iter().enumerate() {
                widened.push(value.clone());
                if figures.contains(&c) {
                    widened.push(earlier.get(c).cloned().unwrap_or(Value::Null));
                }
            }
            *row = widened;
        }
        section.columns = columns;
    }
    flat
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(key: &str, kind: Kind) -> Column {
        Column {
            key: key.into(),
            kind,
            label: key.into(),
        }
    }

    fn section(rows: Vec<Vec<Value>>) -> Section {
        Section {
            name: "by_owner".into(),
            title: String::new(),
            columns: vec![
                column("period", Kind::Text),
                column("owner", Kind::Text),
                column("revenue", Kind::Money),
            ],
            rows,
            chart: None,
            from_metrics: true,
            ..Default::default()
        }
    }

    #[test]
    fn rows_meet_their_earlier_selves_by_label_and_place_among_the_periods() {
        let now = section(vec![
            vec![json!("2026-04-01"), json!("Ana"), json!(100.0)],
            vec![json!("2026-04-01"), json!("Luis"), json!(50.0)],
            vec![json!("2026-05-01"), json!("Ana"), json!(80.0)],
            vec![json!("2026-05-01"), json!("Eva"), json!(10.0)],
        ]);
        let earlier = section(vec![
            vec![json!("2026-01-01"), json!("Ana"), json!(40.0)],
            vec![json!("2026-02-01"), json!("Ana"), json!(20.0)],
            vec![json!("2026-01-01"), json!("Luis"), json!(75.0)],
        ]);
        let previous = matched(&now, &earlier);
        assert_eq!(previous[0][2], json!(40.0));
        assert_eq!(previous[1][2], json!(75.0));
        assert_eq!(previous[2][2], json!(20.0));
        assert_eq!(previous[3], Value::Null);
    }

    #[test]
    fn changes_read_as_shares_in_points_and_amounts_in_percent() {
        let pct = |now: f64, before: f64, kind| change(&json!(now), &json!(before), kind, "en");
        assert_eq!(pct(150.0, 120.0, Kind::Money).as_deref(), Some("+25.0%"));
        assert_eq!(pct(90.0, 120.0, Kind::Count).as_deref(), Some("−25.0%"));
        assert_eq!(pct(0.25, 0.2, Kind::Ratio).as_deref(), Some("+5.0 pts"));
        assert_eq!(pct(5.0, 0.0, Kind::Count), None);
        assert_eq!(
            change(&json!(0.25), &json!(0.2), Kind::Ratio, "es").as_deref(),
            Some("+5,0 pp")
        );
    }

    #[test]
    fn flat_formats_get_an_earlier_column_after_each_figure() {
        let mut compared = section(vec![vec![json!("2026-04-01"), json!("Ana"), json!(100.0)]]);
        compared.previous_rows = Some(vec![json!(["2026-01-01", "Ana", 40.0])]);
        let mut params = serde_json::Map::new();
        params.insert("compare".into(), json!("previous_period"));
        let report = Report {
            report: "sales_performance".into(),
            title: String::new(),
            params,
            generated_at: String::new(),
            sections: vec![compared],
            insights: Vec::new(),
            notes: Vec::new(),
        };
        let flat = flatten(&report, "en");
        let keys: Vec<&str> = flat.sections[0]
            .columns
            .iter()
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(
            keys,
            ["period", "owner", "revenue", "revenue_previous_period"]
        );
        assert_eq!(
            flat.sections[0].rows[0],
            [json!("2026-04-01"), json!("Ana"), json!(100.0), json!(40.0)]
        );
        assert!(flat.sections[0].previous_rows.is_none());
    }

    #[test]
    fn a_section_s_own_comparison_is_not_compared_again() {
        // A goal's driver: its value, its own previous value and the change between them.
        let mut own = section(Vec::new());
        own.columns = vec![
            column("driver", Kind::Text),
            column("value", Kind::Count),
            column("previous", Kind::Count),
            column("change_pct", Kind::Ratio),
        ];
        let compared: Vec<&str> = own
            .columns
            .iter()
            .filter(|c| compares(c))
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(compared, ["value"]);
    }
}
