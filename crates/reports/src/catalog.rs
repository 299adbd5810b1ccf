//! The fourteen reports of `docs/spec/reports.md`, in the spec's order.

use crate::ReportError;
use crate::context::Context;
use crate::drill::Target;
use crate::i18n::label;
use crate::insights;
use crate::model::{Chart, ChartKind, Kind, Report, RowTargets, Section, display_in};
use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};
use embudo_metrics::goals;
use embudo_metrics::plan::{Noted, Outside, run_together};
use embudo_metrics::{Bound, Compare, Dim, Grain, Query};
use embudo_store::gaps::Gap;
use embudo_store::reporting::{ClosingMonth, CustomerProfit, Reached, ReportFilters};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The reports, in the spec's order.
pub const NAMES: [&str; 14] = [
    "pipeline",
    "profitability",
    "sales_cycle",
    "sales_performance",
    "forecast",
    "conversion",
    "goals",
    "lead_sources",
    "lost_deals",
    "activity",
    "campaigns",
    "customers",
    "service",
    "adoption",
];

/// Reports about an instant rather than a range.
const POINT_IN_TIME: [&str; 3] = ["pipeline", "activity", "forecast"];

/// Which gaps in the data a report notes: those that leave its figures short of rows.
#[derive(Debug, Clone, Copy)]
pub enum Gaps<'g> {
    /// Those affecting it, counted as it is built.
    Count,
    /// Those of the store's, counted once for several reports ([`embudo_store::gaps::all`]),
    /// that affect it.
    Counted(&'g [(&'static Gap, u64)]),
    /// None: a report built for its figures alone (the earlier side of a comparison).
    Unnoted,
}

/// Build the report called `name`, noting the `gaps` that affect it.
pub fn build(ctx: &Context<'_>, name: &str, gaps: Gaps<'_>) -> Result<Report, ReportError> {
    ctx.check_filters()?;
    let mut report = Report {
        report: name.to_owned(),
        title: label(&format!("report.{name}"), ctx.lang()),
        params: ctx.params_json(POINT_IN_TIME.contains(&name)),
        generated_at: ctx
            .now
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        sections: Vec::new(),
        insights: Vec::new(),
        notes: Vec::new(),
    };
    match name {
        "pipeline" => pipeline(ctx, &mut report)?,
        "profitability" => profitability(ctx, &mut report)?,
        "sales_cycle" => sales_cycle(ctx, &mut report)?,
        "sales_performance" => sales_performance(ctx, &mut report)?,
        "forecast" => forecast(ctx, &mut report)?,
        "conversion" => conversion(ctx, &mut report)?,
        "goals" => goals_report(ctx, &mut report)?,
        "lead_sources" => lead_sources(ctx, &mut report)?,
        "lost_deals" => lost_deals(ctx, &mut report)?,
        "activity" => activity(ctx, &mut report)?,
        "campaigns" => campaigns(ctx, &mut report)?,
        "customers" => customers(ctx, &mut report)?,
        "service" => service(ctx, &mut report)?,
        "adoption" => adoption(ctx, &mut report)?,
        other => {
            return Err(ReportError::Invalid(format!(
                "unknown report '{other}'; reports are {}",
                NAMES.join(", ")
            )));
        }
    }
    // A report whose figures miss rows for want of a field says so, whatever it shows.
    let affecting = match gaps {
        Gaps::Count => embudo_store::gaps::affecting(ctx.store, name)?,
        Gaps::Counted(counted) => counted
            .iter()
            .filter(|(gap, _)| gap.reports.contains(&name))
            .copied()
            .collect(),
        Gaps::Unnoted => Vec::new(),
    };
    for (gap, rows) in affecting {
        report.notes.push(gap.sentence(ctx.lang(), rows));
    }
    if !matches!(gaps, Gaps::Unnoted) {
        report.notes.extend(outside_the_records(ctx, name)?);
        report
            .notes
            .extend(blank_splits(&report.sections, ctx.lang()));
    }
    Ok(report)
}

/// For each metric of a section split by dimensions whose every counted row has none of
/// their values, a note, once: the service report's abandoned calls reach no agent, and
/// the section alone shows them in a row without a name.
fn blank_splits(sections: &[Section], lang: &str) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for section in sections.iter().filter(|s| s.from_metrics) {
        let dims: Vec<usize> = (0..section.columns.len())
            .filter(|&i| section.columns[i].key.parse::<Dim>().is_ok())
            .collect();
        if dims.is_empty() {
            continue;
        }
        let split = dims
            .iter()
            .map(|&i| section.columns[i].label.to_lowercase())
            .collect::<Vec<_>>()
            .join(", ");
        for (i, column) in section.columns.iter().enumerate() {
            let Some(metric) = embudo_metrics::catalog::find(&column.key) else {
                continue;
            };
            let mut counted = section
                .rows
                .iter()
                .filter(|row| row[i].as_f64().is_some_and(|v| v != 0.0))
                .peekable();
            let blank = counted.peek().is_some()
                && counted.all(|row| dims.iter().all(|&d| row[d].is_null()));
            if !blank {
                continue;
            }
            let note = insights::say(lang, "note.blank_split", &[metric.label(lang), &split]);
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    notes
}

/// The metric whose records each period report is about, by report.
const RECORDS_OF: [(&str, &str); 9] = [
    ("profitability", "revenue"),
    ("sales_cycle", "sales_cycle_length"),
    ("sales_performance", "deals_won"),
    ("conversion", "prospects"),
    ("lead_sources", "prospects"),
    ("lost_deals", "deals_lost"),
    ("campaigns", "campaign_responses"),
    ("customers", "new_customers"),
    ("service", "cases_handled"),
];

/// Where a period report's range lies wholly after the records it is about, or wholly
/// before them, a note saying so: a month after a HubSpot export was taken reads as a
/// month without a sale otherwise.
fn outside_the_records(ctx: &Context<'_>, name: &str) -> Result<Option<String>, ReportError> {
    let Some(&(_, metric)) = RECORDS_OF.iter().find(|(report, _)| *report == name) else {
        return Ok(None);
    };
    let (from, to) = ctx.range_utc();
    let Some(outside) = embudo_metrics::plan::records_outside(ctx.store, metric, from, to)? else {
        return Ok(None);
    };
    let (key, edge) = match outside {
        Outside::After(last) => ("note.after_records", last),
        Outside::Before(first) => ("note.before_records", first),
    };
    let edge = ctx.calendar.to_local(edge);
    let (from_day, to_day) = ctx.range_days();
    let label = embudo_metrics::plan::metric(metric)?
        .label(ctx.lang())
        .to_owned();
    Ok(Some(insights::say(
        ctx.lang(),
        key,
        &[
            &label,
            &edge.date().to_string(),
            &from_day.to_string(),
            &(to_day - chrono::Duration::days(1)).to_string(),
        ],
    )))
}

/// Where a metric section's column `key` is; a section the report built itself has it.
fn column(section: &Section, key: &str) -> Result<usize, ReportError> {
    section.column(key).ok_or_else(|| {
        ReportError::Invalid(format!("section {} has no column {key}", section.name))
    })
}

/// Rows by the number in `column`, largest first (nulls last).
fn sort_desc(rows: &mut [Vec<Value>], column: usize) {
    rows.sort_by(|a, b| {
        let key = |r: &Vec<Value>| r[column].as_f64().unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a))
    });
}

fn chart(kind: ChartKind, x: &str, y: &[&str]) -> Option<Chart> {
    Some(Chart {
        kind,
        x: x.to_owned(),
        y: y.iter().map(|s| s.to_string()).collect(),
    })
}

/// Open deals by stage at an instant, the funnel of deals created in the range, and what
/// to close next.
fn pipeline(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let at = ctx.at();
    let filters = ctx.report_filters();
    let stages = ctx
        .store
        .stages_open_at(at, at - Duration::days(14), &filters)?;
    let stages = ctx.records_section(
        "stages",
        &stages,
        &[
            ("pipeline", Kind::Text),
            ("stage", Kind::Text),
            ("open_opportunities", Kind::Count),
            ("pipeline_value", Kind::Money),
            ("weighted_pipeline_value", Kind::Money),
            ("avg_days_in_stage", Kind::Days),
            ("stale_deals", Kind::Count),
        ],
    );
    report
        .insights
        .extend(insights::pipeline(&stages, ctx.lang()));
    // Its deals open and their values are those metrics at the instant, per pipeline and
    // stage: each figure leads to its deals.
    report.sections.push(Section {
        from_metrics: true,
        ..stages
    });

    let (from, to) = ctx.range_utc();
    let reached = ctx.store.funnel_reached(from, to, &filters)?;
    report.sections.extend(funnels(ctx, &reached));

    let today = ctx.calendar.to_local(at).date();
    let closing = ctx
        .store
        .deals_closing(at, (today, today + Duration::days(30)), &filters, 25)?;
    report.sections.push(ctx.record_list(
        "next_to_close",
        ("deals", &closing),
        |deal| deal.id,
        &[
            ("deal", Kind::Text),
            ("owner", Kind::Text),
            ("pipeline", Kind::Text),
            ("stage", Kind::Text),
            ("amount", Kind::Money),
            ("weighted_amount", Kind::Money),
            ("expected_close_date", Kind::Text),
        ],
    ));
    Ok(())
}

/// One funnel section per pipeline, with step-to-step and cumulative conversion.
fn funnels(ctx: &Context<'_>, reached: &[Reached]) -> Vec<Section> {
    // Each pipeline once, in the store's order (two pipelines may share a name).
    let mut pipelines: Vec<&str> = Vec::new();
    for step in reached {
        if !pipelines.contains(&step.pipeline.as_str()) {
            pipelines.push(&step.pipeline);
        }
    }
    pipelines
        .into_iter()
        .map(|pipeline| {
            let steps: Vec<&Reached> = reached.iter().filter(|r| r.pipeline == pipeline).collect();
            let first = steps.first().map_or(0, |r| r.reached) as f64;
            let mut previous = first;
            let rows = steps
                .iter()
                .map(|step| {
                    let reached = step.reached as f64;
                    let conversion = (previous > 0.0).then(|| reached / previous);
                    let cumulative = (first > 0.0).then(|| reached / first);
                    previous = reached;
                    vec![
                        json!(step.stage),
                        json!(step.reached),
                        json!(conversion),
                        json!(cumulative),
                    ]
                })
                .collect();
            let columns = vec![
                ctx.column("stage", Kind::Text),
                ctx.column("reached", Kind::Count),
                ctx.column("step_conversion", Kind::Ratio),
                ctx.column("cumulative_conversion", Kind::Ratio),
            ];
            let mut section = ctx.section("funnel", columns, rows);
            section.name = format!("funnel: {pipeline}");
            section.title = format!("{} — {pipeline}", section.title);
            section.chart = chart(ChartKind::Funnel, "stage", &["reached"]);
            // Each stage's figure leads to the deals that reached it.
            section.groups = ctx.behind(crate::model::RowGroups {
                table: "deals",
                figures: vec![crate::model::Figures {
                    columns: vec!["reached".to_owned()],
                    ids: steps.iter().map(|step| step.ids.clone()).collect(),
                }],
            });
            section
        })
        .collect()
}

/// Revenue, cost and margin per customer, Pareto-sorted by margin.
fn profitability(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let (from, to) = ctx.range_utc();
    if ctx.params.by == Some(Dim::Owner) {
        return Err(ReportError::Invalid(
            "profitability is by company (default) or contact".into(),
        ));
    }
    let customers = ctx.store.customer_profit(from, to)?;
    let total_revenue: f64 = customers.iter().map(|c| c.revenue).sum();
    let share = |revenue: f64| (total_revenue > 0.0).then(|| revenue / total_revenue);
    let mut cumulative = 0.0;
    let rows: Vec<Vec<Value>> = customers
        .iter()
        .map(|c| {
            cumulative += c.revenue;
            vec![
                json!(c.customer),
                json!(c.revenue),
                json!(c.cost),
                json!(c.margin),
                json!(c.margin_pct),
                json!(c.purchases),
                json!(c.purchases > 1),
                json!(c.first_purchase),
                json!(c.last_purchase),
                json!(share(c.revenue)),
                json!(share(cumulative)),
            ]
        })
        .collect();
    let columns: Vec<_> = [
        ("customer", Kind::Text),
        ("revenue", Kind::Money),
        ("cost", Kind::Money),
        ("margin", Kind::Money),
        ("margin_pct", Kind::Ratio),
        ("purchases", Kind::Count),
        ("repeat", Kind::Text),
        ("first_purchase", Kind::Text),
        ("last_purchase", Kind::Text),
        ("revenue_share", Kind::Ratio),
        ("cumulative_share", Kind::Ratio),
    ]
    .into_iter()
    .map(|(key, kind)| ctx.column(key, kind))
    .collect();
    let mut section = ctx.section("by_customer", columns.clone(), rows);
    let missing: Vec<Vec<Value>> = customers
        .iter()
        .filter(|c| c.lines_without_cost > 0)
        .map(|c| vec![json!(c.customer), json!(c.lines_without_cost)])
        .collect();
    let sum = |field: fn(&CustomerProfit) -> f64| customers.iter().map(field).sum::<f64>();
    let (revenue, cost, margin) = (sum(|c| c.revenue), sum(|c| c.cost), sum(|c| c.margin));
    let totals_row = vec![
        json!(label("section.totals", ctx.lang())),
        json!(revenue),
        json!(cost),
        json!(margin),
        json!((revenue != 0.0).then(|| margin / revenue)),
        json!(customers.iter().map(|c| c.purchases).sum::<i64>()),
        Value::Null,
        Value::Null,
        Value::Null,
        json!(1.0),
        json!(1.0),
    ];
    let mut totals_section = ctx.section("totals", columns, vec![totals_row]);
    section.chart = chart(ChartKind::Pareto, "customer", &["revenue"]);
    // The section reads every purchase of the range, whatever the report's filters: so do
    // the records its revenue and margin lead to.
    for metric in ["revenue", "margin"] {
        let query = Query {
            filters: Vec::new(),
            ..ctx.query(metric, &[], None, None)
        };
        section.targets.push(crate::drill::by_value(
            &section,
            &query,
            "customer",
            Dim::Customer,
        ));
        totals_section.targets.push(RowTargets {
            column: metric.to_owned(),
            rows: vec![Target::of(&query)],
        });
    }
    report.sections.push(section);
    report.sections.push(totals_section);
    let missing_section = ctx.section(
        "missing_cost",
        vec![
            ctx.column("customer", Kind::Text),
            ctx.column("lines_without_cost", Kind::Count),
        ],
        missing,
    );
    report.sections.push(missing_section);
    let (found, notes) = insights::pareto(&report.sections[0], customers.len(), ctx.lang());
    report.insights.extend(found);
    report.notes.extend(notes);
    Ok(())
}

/// Cycle length of deals won in the range, days per stage, and the trend by quarter.
fn sales_cycle(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let by = ctx.params.by.unwrap_or(Dim::LeadSource);
    let cycle_metrics = [
        "deals_won",
        "sales_cycle_length",
        "sales_cycle_length_median",
    ];
    let queries: Vec<_> = cycle_metrics
        .iter()
        .map(|m| ctx.query(m, &[by], None, None))
        .collect();
    let mut cycle = ctx.metrics_section("cycle", &queries)?;
    let overall: Vec<_> = cycle_metrics
        .iter()
        .map(|m| ctx.query(m, &[], None, None))
        .collect();
    let totals = ctx.metrics_section("cycle", &overall)?;
    if let Some(row) = totals.rows.first() {
        let mut all = vec![json!(label("section.overall", ctx.lang()))];
        all.extend(row.iter().cloned());
        cycle.rows.push(all);
    }
    cycle.chart = chart(ChartKind::Bar, by.name(), &["sales_cycle_length"]);
    report.sections.push(cycle);

    let stage_queries: Vec<_> = ["stage_duration", "stage_duration_median"]
        .iter()
        .map(|m| {
            ctx.query(
                m,
                &[Dim::Pipeline, Dim::Stage],
                None,
                Some(Compare::PreviousPeriod),
            )
        })
        .collect();
    let mut stages = ctx.metrics_section("stage_duration", &stage_queries)?;
    stages.chart = chart(ChartKind::Bar, "stage", &["stage_duration"]);
    report
        .insights
        .extend(insights::slowest_stage(&stages, ctx.lang()));
    report.sections.push(stages);

    // The last eight quarters up to the end of the range, against the year before.
    let (_, to) = ctx.range();
    let end = to.local(&ctx.calendar).date();
    let quarter_end =
        NaiveDate::from_ymd_opt(end.year(), end.month0() / 3 * 3 + 1, 1).expect("valid");
    let mut trend_query = ctx.query(
        "sales_cycle_length",
        &[],
        Some(Grain::Quarter),
        Some(Compare::PreviousYear),
    );
    trend_query.from = Bound::Day(quarter_end - Months::new(24));
    trend_query.to = Bound::Day(quarter_end);
    let mut trend = ctx.metrics_section("trend", std::slice::from_ref(&trend_query))?;
    // Its quarters reach before the report's range: each leads to its own deals.
    trend.targets = vec![crate::drill::by_period(&trend, &trend_query)];
    trend.chart = chart(
        ChartKind::Line,
        "period",
        &["sales_cycle_length", "sales_cycle_length_previous"],
    );
    report.sections.push(trend);
    Ok(())
}

const PERFORMANCE_METRICS: [&str; 7] = [
    "deals_created",
    "deals_won",
    "deals_lost",
    "close_rate",
    "revenue",
    "avg_deal_size",
    "sales_cycle_length",
];

/// Per owner and period: deals, close rate, revenue, deal size, cycle, activities.
fn sales_performance(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let grain = ctx.params.grain.unwrap_or(Grain::Month);
    let queries: Vec<_> = PERFORMANCE_METRICS
        .iter()
        .chain(&["activities_completed"])
        .map(|m| ctx.query(m, &[Dim::Owner], Some(grain), None))
        .collect();
    let mut by_owner = ctx.metrics_section("by_owner", &queries)?;
    let totals_queries: Vec<_> = PERFORMANCE_METRICS
        .iter()
        .map(|m| ctx.query(m, &[], Some(grain), None))
        .collect();
    let mut totals = ctx.metrics_section("totals", &totals_queries)?;
    totals.chart = chart(ChartKind::Line, "period", &["revenue"]);
    let (found, notes) = insights::owner_close_rates(ctx)?;
    report.insights.extend(found);
    report.notes.extend(notes);
    report.notes.extend(ctx.cut_periods(grain));
    // Deal counts over time on an axis of their own: next to revenue they would be flat.
    let keep: Vec<usize> = ["period", "deals_created", "deals_won", "deals_lost"]
        .iter()
        .filter_map(|key| totals.column(key))
        .collect();
    let mut deals = ctx.section(
        "deals_over_time",
        keep.iter().map(|&i| totals.columns[i].clone()).collect(),
        totals
            .rows
            .iter()
            .map(|row| keep.iter().map(|&i| row[i].clone()).collect())
            .collect(),
    );
    deals.chart = chart(
        ChartKind::Line,
        "period",
        &["deals_created", "deals_won", "deals_lost"],
    );
    // The totals' own figures, as the metric layer gave them.
    deals.from_metrics = true;
    name_order_revenue(ctx, report, &mut by_owner)?;
    report.sections.push(by_owner);
    report.sections.push(totals);
    report.sections.push(deals);
    Ok(())
}

/// Orders have no owner, so their revenue sits in the by-owner table's row without one:
/// name that row, and say how much of the revenue is orders (it is why revenue ÷ deals won
/// is more than the average deal size). An owner or team filter leaves orders out.
fn name_order_revenue(
    ctx: &Context<'_>,
    report: &mut Report,
    by_owner: &mut Section,
) -> Result<(), ReportError> {
    if let Some(owner) = by_owner.column("owner") {
        let unowned = label("label.no_owner", ctx.lang());
        for row in &mut by_owner.rows {
            if row[owner].is_null() {
                row[owner] = json!(unowned);
            }
        }
    }
    if ctx.params.owner.is_some() || ctx.params.team.is_some() {
        return Ok(());
    }
    let (from, to) = ctx.range_utc();
    let orders = ctx.store.orders_placed(from, to)?;
    if orders.count > 0 {
        let count = orders.count;
        let amount = display_in(&json!(orders.amount), Kind::Money, ctx.lang());
        report.notes.push(insights::say_counting(
            ctx.lang(),
            "note.orders_no_owner",
            count as f64,
            &[&insights::count(count as f64, ctx.lang()), &amount],
        ));
    }
    Ok(())
}

/// Open deals by expected close month: stage-weighted amounts and revenue already won.
fn forecast(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let at = ctx.at();
    let months = ctx.params.months.unwrap_or(3).clamp(1, 24);
    let first = ctx.calendar.to_local(at).date().with_day(1).expect("day 1");
    let end = first + Months::new(months);
    let filters = ctx.report_filters();
    // The deals open now by the month they are expected to close; each month's figures
    // lead to its deals.
    const OPEN_FIGURES: [&str; 4] = [
        "deals",
        "amount",
        "weighted_amount",
        "model_weighted_amount",
    ];
    let (closing, gaps) = ctx.store.closing_months(at, (first, end), &filters)?;
    let (won_query, won_by_month) = won_by(ctx, at, first, months)?;
    let mut rows = Vec::new();
    let mut open_ids = Vec::new();
    for (i, won) in won_by_month.iter().enumerate() {
        let month = (first + Months::new(i as u32)).to_string();
        let open = closing.iter().find(|m| m.month == month);
        open_ids.push(open.map(|m| m.ids.clone()).unwrap_or_default());
        // A month without open deals has none of them and no amount.
        let figure = |of: fn(&ClosingMonth) -> f64| json!(open.map_or(0.0, of));
        rows.push(vec![
            json!(month),
            json!(open.map_or(0, |m| m.deals)),
            figure(|m| m.amount),
            figure(|m| m.weighted_amount),
            figure(|m| m.model_weighted_amount),
            json!(won),
        ]);
    }
    let (ranges, orders_counted) = simulated_ranges(ctx, at, first, &filters, &won_by_month)?;
    match ranges.first().cloned().flatten() {
        Some(range) => report.notes.push(insights::say(
            ctx.lang(),
            "note.simulated",
            &[&insights::count(range.runs as f64, ctx.lang())],
        )),
        None => report
            .notes
            .push(insights::say(ctx.lang(), "note.not_simulated", &[])),
    }
    // How the chance is worked out, where one is shown; the months without a monthly revenue
    // goal are named, since a blank column reads as a fault.
    if ranges.iter().flatten().any(|r| r.reach.is_some()) {
        let how = if orders_counted {
            "note.goal_reach"
        } else {
            "note.goal_reach_deals"
        };
        report.notes.push(insights::say(ctx.lang(), how, &[]));
    }
    let ungoaled: Vec<String> = ranges
        .iter()
        .enumerate()
        .filter(|(_, range)| range.as_ref().is_some_and(|r| r.reach.is_none()))
        .map(|(i, _)| (first + Months::new(i as u32)).format("%Y-%m").to_string())
        .collect();
    if !ungoaled.is_empty() {
        report.notes.push(insights::say(
            ctx.lang(),
            "note.no_month_goal",
            &[&ungoaled.join(", ")],
        ));
    }
    for (row, range) in rows.iter_mut().zip(&ranges) {
        row.extend([
            json!(range.as_ref().map(|r| r.expected)),
            json!(range.as_ref().map(|r| r.p10)),
            json!(range.as_ref().map(|r| r.p50)),
            json!(range.as_ref().map(|r| r.p90)),
            json!(range.as_ref().and_then(|r| r.reach)),
        ]);
    }
    let mut columns = Vec::new();
    for (key, kind) in [
        ("month", Kind::Text),
        ("deals", Kind::Count),
        ("amount", Kind::Money),
        ("weighted_amount", Kind::Money),
        ("model_weighted_amount", Kind::Money),
        ("won_revenue", Kind::Money),
        ("expected_revenue", Kind::Money),
        ("p10", Kind::Money),
        ("p50", Kind::Money),
        ("p90", Kind::Money),
        ("goal_reach", Kind::Ratio),
    ] {
        columns.push(ctx.column(key, kind));
    }
    let mut section = ctx.section("by_month", columns, rows);
    // The month under way's won revenue is the metric's up to the instant; the months after
    // it have none to lead to.
    section.targets = vec![RowTargets {
        column: "won_revenue".into(),
        rows: (0..months)
            .map(|i| won_query.as_ref().filter(|_| i == 0).and_then(Target::of))
            .collect(),
    }];
    section.groups = ctx.behind(crate::model::RowGroups {
        table: "deals",
        figures: vec![crate::model::Figures {
            columns: OPEN_FIGURES.iter().map(|c| (*c).to_owned()).collect(),
            ids: open_ids,
        }],
    });
    section.chart = chart(
        ChartKind::Range,
        "month",
        &["expected_revenue", "p10", "p90"],
    );
    report
        .insights
        .extend(insights::forecast(&section, ctx.lang()));
    report.sections.push(section);

    let scored = ctx.store.scored_open_deals(at, &filters, 50)?;
    let mut deals = ctx.record_list(
        "deals",
        ("deals", &scored),
        |deal| deal.id,
        &[
            ("deal", Kind::Text),
            ("owner", Kind::Text),
            ("pipeline", Kind::Text),
            ("stage", Kind::Text),
            ("amount", Kind::Money),
            ("probability", Kind::Ratio),
            ("weighted_amount", Kind::Money),
            ("win_probability", Kind::Ratio),
            ("top_factors", Kind::Text),
            ("expected_close_date", Kind::Text),
        ],
    );
    if let Some(factors) = deals.column("top_factors") {
        for (row, deal) in deals.rows.iter_mut().zip(&scored) {
            row[factors] = json!(factors_text(deal.top_factors.as_deref(), ctx.lang()));
        }
    }
    report.sections.push(deals);
    for (count, key) in [
        (gaps.undated, "note.undated"),
        (gaps.unpriced, "note.unpriced"),
    ] {
        if count > 0 {
            let deals = insights::count(count as f64, ctx.lang());
            let note = insights::say_counting(ctx.lang(), key, count as f64, &[&deals]);
            report.notes.push(note);
        }
    }
    if !scored.iter().any(|deal| deal.win_probability.is_some()) {
        report
            .notes
            .push(insights::say(ctx.lang(), "note.no_model", &[]));
    }
    Ok(())
}

/// The revenue already won by `at` in each of the `months` from `first` (the month under
/// way), from the metric layer, with the query behind the first month's. Only the month
/// under way has any, up to the instant: a forecast of an instant past counts nothing won
/// after it, since its runs play out the deals open then (one won a week later would count
/// twice, and so would the chance of reaching the month's goal).
fn won_by(
    ctx: &Context<'_>,
    at: NaiveDateTime,
    first: NaiveDate,
    months: u32,
) -> Result<(Option<Query>, Vec<f64>), ReportError> {
    let mut won_by_month = vec![0.0; months as usize];
    // At the month's first instant nothing is won yet, and the range would be empty.
    if at <= ctx.calendar.to_utc(first.and_time(NaiveTime::MIN)) {
        return Ok((None, won_by_month));
    }
    let mut query = ctx.query("revenue", &[], None, None);
    query.from = Bound::Day(first);
    query.to = Bound::Instant(at);
    let won = embudo_metrics::plan::figures(ctx.store, &ctx.calendar, &query, ctx.lang())?;
    won_by_month[0] = won.rows.first().and_then(|row| row.value).unwrap_or(0.0);
    Ok((Some(query), won_by_month))
}

/// Each month's simulated P10/P50/P90 and the chance of reaching its company revenue goal
/// (with what is already won), and whether orders still to come were counted towards a goal
/// (a store of deals alone has none). The simulation plays out the whole open pipeline, so
/// under a pipeline, owner, team or source filter it is left out.
fn simulated_ranges(
    ctx: &Context<'_>,
    at: NaiveDateTime,
    first: NaiveDate,
    filters: &ReportFilters,
    won_by_month: &[f64],
) -> Result<(Vec<Option<embudo_forecast::simulate::MonthRange>>, bool), ReportError> {
    if !filters.is_empty() {
        return Ok((vec![None; won_by_month.len()], false));
    }
    let starts: Vec<NaiveDate> = (0..=won_by_month.len())
        .map(|i| first + Months::new(i as u32))
        .collect();
    let bounds: Vec<NaiveDateTime> = starts
        .iter()
        .map(|d| {
            ctx.calendar
                .to_utc(d.and_hms_opt(0, 0, 0).expect("midnight"))
        })
        .collect();
    let goals = ctx.store.monthly_revenue_goals()?;
    let goal_of: Vec<Option<f64>> = starts[..won_by_month.len()]
        .iter()
        .map(|start| {
            let month = start.to_string();
            goals.iter().find(|g| g.month == month).map(|g| g.target)
        })
        .collect();
    // What the open deals must bring of each month's goal: the goal less what is already
    // won in the month and the orders it may still bring (the simulation plays deals only;
    // the orders are read only where a month has a goal).
    let orders = if goal_of.iter().any(Option::is_some) {
        orders_to_come(ctx, at, &starts)?
    } else {
        vec![0.0; goal_of.len()]
    };
    let targets: Vec<Option<f64>> = goal_of
        .iter()
        .zip(won_by_month)
        .zip(&orders)
        .map(|((goal, won), orders)| goal.map(|goal| goal - won - orders))
        .collect();
    let orders_counted = goal_of
        .iter()
        .zip(&orders)
        .any(|(goal, orders)| goal.is_some() && *orders > 0.0);
    let ranges = embudo_forecast::simulate::months(ctx.store, at, &bounds, &targets)?;
    Ok((ranges.into_iter().map(Some).collect(), orders_counted))
}

/// Months of history a month's orders still to come are read from. Over a year of months on
/// five generated stores (the demo, three seeds of `small`, `large`), the mean of the last
/// three came within 0.94–1.18× of the orders that came (median ratio), where the median of
/// the last twelve lagged a growing business (1.37–1.59×).
const ORDER_HISTORY_MONTHS: u32 = 3;

/// For each month that `starts` bounds (first days, one more than the months), the order
/// revenue it may still bring after `at`: the mean, over the three months before, of the
/// orders in the same stretch of the month (the rest of it for the month under way, the
/// whole month for those after).
fn orders_to_come(
    ctx: &Context<'_>,
    at: NaiveDateTime,
    starts: &[NaiveDate],
) -> Result<Vec<f64>, ReportError> {
    let now = ctx.calendar.to_local(at);
    let windows: Vec<(NaiveDateTime, NaiveDateTime)> = starts
        .windows(2)
        .flat_map(|month| {
            let from = now.max(month[0].and_time(NaiveTime::MIN));
            let to = month[1].and_time(NaiveTime::MIN);
            (1..=ORDER_HISTORY_MONTHS).map(move |back| {
                let earlier = |t: NaiveDateTime| ctx.calendar.to_utc(t - Months::new(back));
                (earlier(from), earlier(to))
            })
        })
        .collect();
    let sums = ctx.store.order_revenue_in(&windows)?;
    Ok(sums
        .chunks(ORDER_HISTORY_MONTHS as usize)
        .map(|months| months.iter().sum::<f64>() / months.len() as f64)
        .collect())
}

/// `[{"factor","value","contribution"}]` as `Stage (Proposal) +1.24, Amount (900) -0.40`;
/// nothing without factors.
fn factors_text(factors: Option<&str>, lang: &str) -> Option<String> {
    let list: Vec<Value> = serde_json::from_str(factors?).ok()?;
    let parts: Vec<String> = list
        .iter()
        .filter_map(|f| {
            let contribution = f["contribution"].as_f64()?;
            let name = crate::i18n::factor(f["factor"].as_str()?, &f["value"], lang);
            Some(format!("{name} {contribution:+.2}"))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Per lead source: leads, converted, conversion rate, days to convert, deal size, share.
fn conversion(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let queries = [
        ctx.query("prospects", &[Dim::LeadSource], None, None),
        ctx.query("lead_conversion_rate", &[Dim::LeadSource], None, None),
    ];
    let mut section = ctx.metrics_section("by_source", &queries)?;
    let (from, to) = ctx.range_utc();
    let converted = ctx.store.converted_leads(from, to, &ctx.report_filters())?;
    let (source, prospects) = (
        column(&section, "lead_source")?,
        column(&section, "prospects")?,
    );
    let total: f64 = section
        .rows
        .iter()
        .filter_map(|r| r[prospects].as_f64())
        .sum();
    for row in &mut section.rows {
        let lead_source = row[source].as_str();
        let leads = row[prospects].as_f64().unwrap_or(0.0);
        let converted = converted
            .iter()
            .find(|c| c.lead_source.as_deref() == lead_source);
        let share = (total > 0.0).then(|| leads / total);
        row.insert(2, json!(converted.map_or(0, |c| c.customers)));
        row.push(json!(converted.and_then(|c| c.days)));
        row.push(json!(converted.and_then(|c| c.deal_size)));
        row.push(json!(share));
    }
    section
        .columns
        .insert(2, ctx.column("converted", Kind::Count));
    section
        .columns
        .push(ctx.column("avg_days_to_convert", Kind::Days));
    section
        .columns
        .push(ctx.column("avg_converted_deal_size", Kind::Money));
    section.columns.push(ctx.column("share", Kind::Ratio));
    sort_desc(&mut section.rows, prospects);
    section.chart = chart(ChartKind::Bar, "lead_source", &["lead_conversion_rate"]);
    let speed = ctx.metrics_section(
        "cycle",
        &[
            ctx.query("deals_won", &[Dim::LeadSource], None, None),
            ctx.query("sales_cycle_length", &[Dim::LeadSource], None, None),
            ctx.query("avg_deal_size", &[Dim::LeadSource], None, None),
        ],
    )?;
    let misspelt = embudo_audit::checks::misspelt_lead_sources(ctx.store)?;
    let (insights, notes) = insights::conversion(&section, &speed, ctx.lang(), &misspelt);
    report.insights.extend(insights);
    report.notes.extend(notes);
    report.sections.push(section);
    Ok(())
}

/// Each goal active in the range: progress, status, and what moved against it.
fn goals_report(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let (from, to) = ctx.range_utc();
    let at = to.min(ctx.now);
    // Each goal over the records the report is narrowed to (a rep's own, a team's): a goal
    // of a metric that cannot be narrowed so is left out rather than shown over everyone's.
    let narrowed = ctx.filters();
    let within = |metric: &embudo_metrics::catalog::Metric| {
        let accepts = metric.dimensions();
        let scoped = |dim: &Dim| matches!(dim, Dim::Owner | Dim::Team);
        if narrowed
            .iter()
            .any(|(d, _)| scoped(d) && !accepts.contains(d))
        {
            return None;
        }
        Some(
            narrowed
                .iter()
                .filter(|(d, _)| accepts.contains(d))
                .cloned()
                .collect(),
        )
    };
    let standing = goals::progress_within(ctx.store, &ctx.calendar, at, ctx.lang(), &within)?;
    report
        .notes
        .extend(standing.skipped.into_iter().map(|(_, note)| note));
    let progress = standing.goals;
    let (from_day, to_day) = (
        ctx.calendar.to_local(from).date(),
        ctx.calendar.to_local(to).date(),
    );
    let active: Vec<_> = progress
        .into_iter()
        .filter(|p| p.period_start < to_day && p.period_end > from_day)
        .collect();
    let rows = active
        .iter()
        .map(|p| {
            vec![
                json!(p.name),
                json!(p.metric),
                json!(p.target),
                json!(p.actual),
                json!(p.attainment),
                json!(p.expected_attainment),
                json!(p.projected),
                json!(p.status.as_str()),
            ]
        })
        .collect();
    let columns = vec![
        ctx.column("goal", Kind::Text),
        ctx.column("metric", Kind::Text),
        ctx.column("target", Kind::Number),
        ctx.column("actual", Kind::Number),
        ctx.column("attainment", Kind::Ratio),
        ctx.column("expected_attainment", Kind::Ratio),
        ctx.column("projected", Kind::Number),
        ctx.column("status", Kind::Text),
    ];
    let mut section = ctx.section("progress", columns, rows);
    section.chart = chart(ChartKind::Bar, "goal", &["attainment"]);
    // A goal's actual is its metric over its period so far: its records are what it counts.
    section.targets = vec![RowTargets {
        column: "actual".into(),
        rows: active.iter().map(|p| Target::of(&p.measured)).collect(),
    }];
    report.sections.push(section);
    let (mut driver_rows, mut driver_targets) = (Vec::new(), Vec::new());
    for goal in active
        .iter()
        .filter(|p| p.status == goals::Status::Behind || p.status == goals::Status::AtRisk)
    {
        for driver in insights::drivers_of(&goal.metric) {
            let mut query = ctx.query(driver, &[], None, Some(Compare::PreviousPeriod));
            query.from = Bound::Day(goal.period_start);
            query.to = if at
                < ctx
                    .calendar
                    .to_utc(goal.period_end.and_hms_opt(0, 0, 0).expect("midnight"))
            {
                Bound::Instant(at)
            } else {
                Bound::Day(goal.period_end)
            };
            let result =
                embudo_metrics::plan::figures(ctx.store, &ctx.calendar, &query, ctx.lang())?;
            let row = &result.rows[0];
            if insights::moved_against(driver, row.change) {
                driver_rows.push(vec![
                    json!(goal.name),
                    json!(driver),
                    json!(row.value),
                    json!(row.previous),
                    json!(row.change_pct),
                ]);
                driver_targets.push(Target::of(&query));
            }
        }
        report
            .insights
            .push(insights::goal_status(goal, ctx.lang()));
    }
    let columns = vec![
        ctx.column("goal", Kind::Text),
        ctx.column("driver", Kind::Text),
        ctx.column("value", Kind::Number),
        ctx.column("previous", Kind::Number),
        ctx.column("change_pct", Kind::Ratio),
    ];
    let mut drivers = ctx.section("drivers", columns, driver_rows);
    drivers.targets = vec![RowTargets {
        column: "value".into(),
        rows: driver_targets,
    }];
    report.sections.push(drivers);
    Ok(())
}

/// Leads by source and period, their share and change, and conversion per source.
fn lead_sources(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let queries = [
        ctx.query(
            "prospects",
            &[Dim::LeadSource],
            None,
            Some(Compare::PreviousPeriod),
        ),
        ctx.query("lead_conversion_rate", &[Dim::LeadSource], None, None),
    ];
    let mut by_source = ctx.metrics_section("by_source", &queries)?;
    let leads = column(&by_source, "prospects")?;
    let total: f64 = by_source
        .rows
        .iter()
        .filter_map(|r| r[leads].as_f64())
        .sum();
    for row in &mut by_source.rows {
        let share = (total > 0.0).then(|| row[leads].as_f64().unwrap_or(0.0) / total);
        row.insert(4, json!(share));
    }
    by_source
        .columns
        .insert(4, ctx.column("share", Kind::Ratio));
    sort_desc(&mut by_source.rows, leads);
    by_source.chart = chart(ChartKind::Bar, "lead_source", &["prospects"]);
    report.insights.extend(insights::top_source(
        &by_source,
        ctx.lang(),
        &embudo_audit::checks::misspelt_lead_sources(ctx.store)?,
    ));
    report.sections.push(by_source);
    let (from, to) = ctx.range_days();
    let grain = ctx
        .params
        .grain
        .unwrap_or(if to - from <= Duration::days(62) {
            Grain::Week
        } else {
            Grain::Month
        });
    let mut over_time = ctx.metrics_section(
        "over_time",
        &[ctx.query("prospects", &[Dim::LeadSource], Some(grain), None)],
    )?;
    over_time = pivot(ctx, over_time, Dim::LeadSource.name(), "prospects")?;
    report.notes.extend(ctx.cut_periods(grain));
    over_time.chart = Some(Chart {
        kind: ChartKind::StackedBar,
        x: "period".into(),
        y: over_time
            .columns
            .iter()
            .skip(1)
            .map(|c| c.key.clone())
            .collect(),
    });
    report.sections.push(over_time);
    Ok(())
}

/// `period × dimension → value` rows as one row per period with a column per dimension
/// value, for stacked charts.
fn pivot(
    ctx: &Context<'_>,
    section: Section,
    pivoted: &str,
    value_key: &str,
) -> Result<Section, ReportError> {
    let period_at = column(&section, "period")?;
    let key_at = column(&section, pivoted)?;
    let value = column(&section, value_key)?;
    let mut periods: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut cells: BTreeMap<(String, String), Value> = BTreeMap::new();
    for row in &section.rows {
        let period = row[period_at].as_str().unwrap_or_default().to_owned();
        let key = row[key_at].as_str().unwrap_or("—").to_owned();
        if !periods.contains(&period) {
            periods.push(period.clone());
        }
        if !keys.contains(&key) {
            keys.push(key.clone());
        }
        cells.insert((period, key), row[value].clone());
    }
    let kind = section.columns[value].kind;
    // Each value of the pivoted column becomes a column, named as its values read.
    let mut columns = vec![ctx.column("period", Kind::Text)];
    columns.extend(keys.iter().map(|k| crate::model::Column {
        key: k.clone(),
        kind,
        label: crate::i18n::value_label(pivoted, k, ctx.lang()),
    }));
    let rows = periods
        .iter()
        .map(|p| {
            let mut row = vec![json!(p)];
            row.extend(keys.iter().map(|k| {
                cells
                    .get(&(p.clone(), k.clone()))
                    .cloned()
                    .unwrap_or(json!(0))
            }));
            row
        })
        .collect();
    Ok(Section {
        columns,
        rows,
        pivoted: Some((value_key.to_owned(), pivoted.to_owned())),
        ..section
    })
}

/// Deals lost in the range by reason, last open stage and owner, and the list.
fn lost_deals(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let queries = [
        ctx.query(
            "deals_lost",
            &[Dim::LostReason],
            None,
            Some(Compare::PreviousPeriod),
        ),
        ctx.query("lost_revenue", &[Dim::LostReason], None, None),
    ];
    let mut by_reason = ctx.metrics_section("by_reason", &queries)?;
    let deals_lost = column(&by_reason, "deals_lost")?;
    sort_desc(&mut by_reason.rows, deals_lost);
    by_reason.chart = chart(ChartKind::Bar, "lost_reason", &["deals_lost"]);
    let (found, notes) = insights::lost_reason(&by_reason, ctx.lang());
    report.insights.extend(found);
    report.notes.extend(notes);
    report.sections.push(by_reason);
    let (from, to) = ctx.range_utc();
    let filters = ctx.report_filters();
    let by_last_stage = ctx.store.lost_by_last_stage(from, to, &filters)?;
    report.sections.push(ctx.grouped_section(
        "by_last_stage",
        ("deals", &by_last_stage),
        &[(&["deals_lost", "lost_revenue"], |at| at.ids.clone())],
        &[
            ("stage", Kind::Text),
            ("deals_lost", Kind::Count),
            ("lost_revenue", Kind::Money),
        ],
    ));
    report.sections.push(ctx.metrics_section(
        "by_owner",
        &[
            ctx.query("deals_lost", &[Dim::Owner], None, None),
            ctx.query("lost_revenue", &[Dim::Owner], None, None),
        ],
    )?);
    let lost = ctx.store.lost_deals(from, to, &filters, 200)?;
    report.sections.push(ctx.record_list(
        "lost_list",
        ("deals", &lost),
        |deal| deal.id,
        &[
            ("deal", Kind::Text),
            ("owner", Kind::Text),
            ("stage", Kind::Text),
            ("lost_reason", Kind::Text),
            ("amount", Kind::Money),
            ("closed_at", Kind::Text),
        ],
    ));
    Ok(())
}

/// Per owner and activity type: done in the last seven days, due in the next seven,
/// overdue.
fn activity(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    // Owners and types with nothing recent, upcoming or overdue have no row.
    let load = ctx
        .store
        .activity_load(ctx.at(), &ctx.report_filters(), ctx.params.behind)?;
    let mut section = ctx.grouped_section(
        "by_owner_and_type",
        ("activities", &load),
        &[
            (&["completed_last_7_days"], |l| l.completed_ids.clone()),
            (&["scheduled_next_7_days"], |l| l.scheduled_ids.clone()),
            (&["overdue"], |l| l.overdue_ids.clone()),
        ],
        &[
            ("owner", Kind::Text),
            ("activity_type", Kind::Text),
            ("completed_last_7_days", Kind::Count),
            ("scheduled_next_7_days", Kind::Count),
            ("overdue", Kind::Count),
        ],
    );
    section.chart = chart(
        ChartKind::StackedBar,
        "owner",
        &["completed_last_7_days", "scheduled_next_7_days", "overdue"],
    );
    report
        .insights
        .extend(insights::activity(&section, ctx.lang()));
    report.sections.push(section);
    Ok(())
}

/// Campaigns launched in the range: their funnel, responses, purchases, revenue,
/// customers, cost and return.
fn campaigns(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let (from, to) = ctx.range_utc();
    let funnels = ctx.store.campaign_funnels(from, to)?;
    let mut section = ctx.records_section(
        "by_campaign",
        &funnels,
        &[
            ("campaign", Kind::Text),
            ("channel", Kind::Text),
            ("sent", Kind::Count),
            ("delivered", Kind::Count),
            ("opened", Kind::Count),
            ("clicked", Kind::Count),
            ("cost", Kind::Money),
        ],
    );
    let metrics = [
        "campaign_responses",
        "campaign_purchases",
        "campaign_revenue",
        "new_customers_per_campaign",
        "campaign_roi",
    ];
    let queries: Vec<_> = metrics
        .iter()
        .map(|m| ctx.query(m, &[Dim::Campaign], None, None))
        .collect();
    let by_campaign = ctx.metrics_section("by_campaign", &queries)?;
    let campaign = column(&by_campaign, "campaign")?;
    for metric in metrics {
        let figure = column(&by_campaign, metric)?;
        section.columns.push(by_campaign.columns[figure].clone());
        for (row, funnel) in section.rows.iter_mut().zip(&funnels) {
            // A campaign the metric layer has no row for counted nothing; its return is
            // unknown rather than zero.
            let value = by_campaign
                .rows
                .iter()
                .find(|r| r[campaign].as_str() == Some(funnel.campaign.as_str()))
                .map_or_else(
                    || {
                        if metric == "campaign_roi" {
                            Value::Null
                        } else {
                            json!(0)
                        }
                    },
                    |r| r[figure].clone(),
                );
            row.push(value);
        }
    }
    section.targets = queries
        .iter()
        .map(|query| crate::drill::by_value(&section, query, "campaign", Dim::Campaign))
        .collect();
    section.chart = chart(ChartKind::Bar, "campaign", &["campaign_revenue"]);
    report
        .insights
        .extend(insights::best_campaign(&section, ctx.lang()));
    report.sections.push(section);
    Ok(())
}

const CUSTOMER_METRICS: [&str; 8] = [
    "new_customers",
    "retained_customers",
    "customer_lifetime_value",
    "cross_sell_ratio",
    "upsell_ratio",
    "email_list_growth_rate",
    "nps",
    "csat",
];

/// Customer metrics with their previous-period values.
fn customers(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let summary = metric_rows(ctx, "summary", &CUSTOMER_METRICS)?;
    report.insights.extend(insights::figure_change(
        &summary,
        "new_customers",
        ctx.lang(),
    ));
    report.sections.push(summary);
    Ok(())
}

/// One row per metric: value, previous value and change.
fn metric_rows(ctx: &Context<'_>, name: &str, metrics: &[&str]) -> Result<Section, ReportError> {
    let queries: Vec<Query> = metrics
        .iter()
        .map(|metric| ctx.query(metric, &[], None, Some(Compare::PreviousPeriod)))
        .collect();
    let mut rows = Vec::new();
    for (metric, result) in metrics.iter().zip(run_together(
        ctx.store,
        &ctx.calendar,
        &queries,
        ctx.lang(),
        Noted::No,
    )?) {
        let row = &result.rows[0];
        rows.push(vec![
            json!(metric),
            json!(result.label),
            json!(row.value),
            json!(row.previous),
            json!(row.change_pct),
        ]);
    }
    let columns = vec![
        ctx.column("metric", Kind::Text),
        ctx.column("label", Kind::Text),
        ctx.column("value", Kind::Number),
        ctx.column("previous", Kind::Number),
        ctx.column("change_pct", Kind::Ratio),
    ];
    // Each row's value is its metric's over the report's range and filters.
    Ok(Section {
        from_metrics: true,
        ..ctx.section(name, columns, rows)
    })
}

const SERVICE_METRICS: [&str; 10] = [
    "cases_handled",
    "cases_closed_same_day",
    "avg_resolution_time",
    "complaint_resolution_time",
    "sla_compliance",
    "service_calls_per_day",
    "abandoned_calls",
    "avg_handle_time",
    "customer_callbacks",
    "cost_per_interaction",
];

/// Service metrics by agent and overall.
fn service(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let queries: Vec<_> = SERVICE_METRICS
        .iter()
        .map(|m| ctx.query(m, &[Dim::Owner], None, None))
        .collect();
    let mut by_agent = ctx.metrics_section("by_agent", &queries)?;
    by_agent.chart = chart(ChartKind::Bar, "owner", &["cases_handled"]);
    report.sections.push(by_agent);
    let overall = metric_rows(ctx, "overall", &SERVICE_METRICS)?;
    for metric in ["cases_handled", "sla_compliance"] {
        report
            .insights
            .extend(insights::figure_change(&overall, metric, ctx.lang()));
    }
    report.sections.push(overall);
    Ok(())
}

/// Per user: logins, edits, activities, reports viewed, last login; and who has access
/// without using it.
fn adoption(ctx: &Context<'_>, report: &mut Report) -> Result<(), ReportError> {
    let (from, to) = ctx.range_utc();
    let users = ctx.store.user_adoption(from, to)?;
    let mut by_user = ctx.records_section(
        "by_user",
        &users,
        &[
            ("user", Kind::Text),
            ("role", Kind::Text),
            ("logins", Kind::Count),
            ("records_created", Kind::Count),
            ("records_updated", Kind::Count),
            ("activities_completed", Kind::Count),
            ("reports_viewed", Kind::Count),
            ("last_login", Kind::Text),
        ],
    );
    // A user's activities are theirs whatever the report's filters; the events they log
    // are not records with a list of their own.
    let activities = Query {
        filters: Vec::new(),
        ..ctx.query("activities_completed", &[], None, None)
    };
    by_user.targets = vec![crate::drill::by_value(
        &by_user,
        &activities,
        "user",
        Dim::Owner,
    )];
    report.sections.push(by_user);
    let cutoff = ctx.at() - Duration::days(90);
    let inactive = ctx.records_section(
        "inactive_users",
        &ctx.store.inactive_users(ctx.at(), cutoff)?,
        &[
            ("user", Kind::Text),
            ("role", Kind::Text),
            ("last_login", Kind::Text),
        ],
    );
    if !inactive.rows.is_empty() {
        let users = inactive.rows.len() as f64;
        report.insights.push(insights::say_counting(
            ctx.lang(),
            "insight.inactive_users",
            users,
            &[&insights::count(users, ctx.lang())],
        ));
    }
    report.sections.push(inactive);
    report.sections.push(metric_rows(
        ctx,
        "summary",
        &[
            "active_users_rate",
            "records_updated_per_user",
            "activities_logged_per_rep",
        ],
    )?);
    Ok(())
}
