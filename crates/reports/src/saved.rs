//! A saved custom report as a report: one section whose columns are labelled and typed from
//! the metric catalogue, so that it renders, exports and is delivered like the canned ones.

use crate::ReportError;
use crate::context::{Context, metric_kind};
use crate::insights;
use crate::model::{Report, Section};
use embudo_metrics::custom::{self, ReportSpec};
use serde_json::{Map, json};

/// The saved report `name` with `spec` (its range, grain and filters as given), in the
/// context's language, as of its instant.
pub fn report(ctx: &Context<'_>, name: &str, spec: &ReportSpec) -> Result<Report, ReportError> {
    let (table, noted) = custom::run_noted(ctx.store, &ctx.calendar, spec, ctx.lang())?;
    let empty = table.rows.is_empty();
    let columns = table
        .columns
        .iter()
        .map(|key| ctx.column(key, metric_kind(key)))
        .collect();
    let mut params = Map::new();
    params.insert("from".into(), json!(spec.from));
    params.insert("to".into(), json!(spec.to));
    params.insert("metrics".into(), json!(spec.metrics));
    if !spec.by.is_empty() {
        params.insert("by".into(), json!(spec.by));
    }
    if let Some(grain) = &spec.grain {
        params.insert("grain".into(), json!(grain));
    }
    for (dimension, value) in &spec.filters {
        // By the dimension's own name (`source` is `lead_source`), as the canned reports.
        let key = dimension
            .parse::<embudo_metrics::Dim>()
            .map_or_else(|_| dimension.clone(), |dim| dim.name().to_owned());
        params.insert(key, json!(value));
    }
    params.insert("lang".into(), json!(ctx.lang()));
    Ok(Report {
        report: format!("saved:{name}"),
        title: name.to_owned(),
        params,
        generated_at: ctx
            .now
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        sections: vec![Section {
            // Every column is the metric layer's: its figures lead to their records.
            from_metrics: true,
            ..ctx.section("saved", columns, table.rows)
        }],
        insights: Vec::new(),
        notes: if empty {
            vec![insights::say(
                ctx.lang(),
                "note.saved_empty",
                &[&spec.from, &spec.to],
            )]
        } else {
            noted
        },
    })
}
