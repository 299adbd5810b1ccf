//! One self-contained HTML page for one report or a pack: inline CSS, inline SVG charts,
//! no scripts and nothing fetched from anywhere; it prints on A4.

use crate::i18n::value_label;
use crate::model::{ChartKind, Kind, Report, Section, display, display_in};
use crate::svg::{self, Series, escape};
use std::fmt::Write;

const STYLE: &str = "
body { font-family: Helvetica, Arial, sans-serif; color: #222; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.3rem; border-bottom: 2px solid #2f6fb3; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; color: #2f6fb3; }
.params { color: #666; font-size: .85rem; } .insights { background: #f3f7fc; border-left: 4px solid #2f6fb3; padding: .6rem 1rem; }
.notes { color: #666; font-size: .85rem; } nav ol { columns: 2; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: .5rem 0; } .report { page-break-before: always; } .report:first-of-type { page-break-before: auto; }
@page { size: A4; margin: 15mm; } @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
";

/// The page for `reports` (a table of contents when there is more than one).
pub fn page(title: &str, reports: &[Report], lang: &str) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\" />\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        if lang == "es" { "es" } else { "en" },
        escape(title),
    );
    // A single report's own heading is the page's; a pack gets a title and contents.
    if reports.len() > 1 {
        let _ = writeln!(html, "<h1>{}</h1>", escape(title));
        html.push_str("<nav><ol>\n");
        for report in reports {
            let _ = writeln!(
                html,
                "<li><a href=\"#{}\">{}</a></li>",
                report.report,
                escape(&report.title)
            );
        }
        html.push_str("</ol></nav>\n");
    }
    for report in reports {
        write_report(&mut html, report);
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn write_report(html: &mut String, report: &Report) {
    let _ = writeln!(
        html,
        "<section class=\"report\" id=\"{}\">\n<h2>{}</h2>",
        report.report,
        escape(&report.title)
    );
    let params: Vec<String> = report
        .params
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}: {}",
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            )
        })
        .collect();
    let _ = writeln!(
        html,
        "<p class=\"params\">{} · {}</p>",
        escape(&params.join(" · ")),
        escape(&report.generated_at)
    );
    if !report.insights.is_empty() {
        html.push_str("<ul class=\"insights\">\n");
        for insight in &report.insights {
            let _ = writeln!(html, "<li>{}</li>", escape(insight));
        }
        html.push_str("</ul>\n");
    }
    let lang = report
        .params
        .get("lang")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("en");
    for section in &report.sections {
        write_section(html, section, lang);
    }
    if !report.notes.is_empty() {
        html.push_str("<ul class=\"notes\">\n");
        for note in &report.notes {
            let _ = writeln!(html, "<li>{}</li>", escape(note));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</section>\n");
}

/// Rows shown in a page's tables; JSON and CSV keep them all.
const MAX_ROWS: usize = 60;

fn write_section(html: &mut String, section: &Section, lang: &str) {
    let _ = writeln!(html, "<h3>{}</h3>", escape(&section.title));
    if let Some(chart) = chart(section, lang, &|_, _| None) {
        let _ = writeln!(html, "<figure>{chart}</figure>");
    }
    html.push_str("<table>\n<thead><tr>");
    for column in section.columns.iter().filter(|c| section.shown(c)) {
        let _ = write!(html, "<th>{}</th>", escape(&column.label));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in section.rows.iter().take(MAX_ROWS) {
        html.push_str("<tr>");
        let cells = row.iter().zip(&section.columns);
        for (value, column) in cells.filter(|(_, c)| section.shown(c)) {
            let class = if column.kind == Kind::Text {
                ""
            } else {
                " class=\"n\""
            };
            let shown = match (column.kind, value.as_str()) {
                (Kind::Text, Some(text)) => value_label(&column.key, text, lang),
                (kind, _) => display_in(value, kind, lang),
            };
            let _ = write!(html, "<td{class}>{}</td>", escape(&shown));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    if section.rows.len() > MAX_ROWS {
        let _ = writeln!(
            html,
            "<p class=\"notes\">{} / {}</p>",
            MAX_ROWS,
            section.rows.len()
        );
    }
}

/// The section's chart as SVG, if it has one and data to draw.
///
/// `link(row, column)` is where a cell's figure leads, if anywhere: a bar leads where its
/// row's figure does.
pub fn chart(
    section: &Section,
    lang: &str,
    link: &dyn Fn(usize, usize) -> Option<String>,
) -> Option<String> {
    let spec = section.chart.as_ref()?;
    let x = section.column(&spec.x)?;
    // Stages of several pipelines share names ("Qualified", "Lost"): each bar says whose.
    let pipeline = section.column("pipeline").filter(|&p| {
        spec.x == "stage"
            && section
                .rows
                .iter()
                .map(|r| &r[p])
                .collect::<std::collections::HashSet<_>>()
                .len()
                > 1
    });
    let category =
        |r: &[serde_json::Value]| value_label(&spec.x, &display(&r[x], Kind::Text), lang);
    let labels: Vec<String> = section
        .rows
        .iter()
        .map(|r| match pipeline {
            Some(p) => format!("{} · {}", display(&r[p], Kind::Text), category(r)),
            None => category(r),
        })
        .collect();
    if labels.is_empty() {
        return None;
    }
    let series: Vec<Series> = spec
        .y
        .iter()
        .filter_map(|key| {
            let i = section.column(key)?;
            Some(Series {
                name: section.columns[i].label.clone(),
                values: section.rows.iter().map(|r| r[i].as_f64()).collect(),
                links: (0..section.rows.len()).map(|r| link(r, i)).collect(),
            })
        })
        .collect();
    // Nothing but zeros and unknowns draws a flat line on an axis of zeros: the table
    // says it better.
    if series
        .iter()
        .all(|s| s.values.iter().all(|v| v.is_none_or(|x| x == 0.0)))
    {
        return None;
    }
    let first = series.first()?;
    let kind = section.columns[section.column(&spec.y[0])?].kind;
    let format = move |v: f64| display_in(&serde_json::json!(v), kind, lang);
    Some(match spec.kind {
        ChartKind::Bar => svg::bar(
            &section.title,
            &labels,
            &first.filled(),
            &format,
            &first.links,
        ),
        ChartKind::Funnel => svg::funnel(&section.title, &labels, &first.filled()),
        ChartKind::Line => svg::line(&section.title, &labels, &series, &format),
        ChartKind::StackedBar => svg::stacked(&section.title, &labels, &series, &format),
        ChartKind::Pareto => svg::pareto(&section.title, &labels, &first.filled()),
        ChartKind::Range => {
            // An unknown bound (a filtered forecast has none) draws no range, not one to 0.
            let bound = |key: &String| {
                section.column(key).map(|i| {
                    let values = section.rows.iter().map(|r| r[i].as_f64()).collect();
                    (section.columns[i].label.clone(), values)
                })
            };
            let (low, high) = (bound(spec.y.get(1)?)?, bound(spec.y.get(2)?)?);
            svg::range(&section.title, &labels, first, &low, &high, &format)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Chart, ChartKind, Column};
    use serde_json::json;

    fn stages(pipelines: &[&str]) -> Section {
        let column = |key: &str, kind| Column {
            key: key.into(),
            kind,
            label: key.into(),
        };
        Section {
            name: "stages".into(),
            title: "Stages".into(),
            columns: vec![
                column("pipeline", Kind::Text),
                column("stage", Kind::Text),
                column("deals", Kind::Count),
            ],
            rows: pipelines
                .iter()
                .map(|p| vec![json!(p), json!("Qualified"), json!(3)])
                .collect(),
            chart: Some(Chart {
                kind: ChartKind::Bar,
                x: "stage".into(),
                y: vec!["deals".into()],
            }),
            ..Default::default()
        }
    }

    /// Two pipelines' "Qualified" are two bars that say whose; one pipeline needs no prefix.
    #[test]
    fn a_bar_leads_where_its_row_s_figure_does() {
        let section = stages(&["New Business", "Renewals"]);
        let link = |row: usize, column: usize| {
            (row == 1 && column == 2).then(|| "/drill?metric=x&a=1".to_owned())
        };
        let svg = chart(&section, "en", &link).unwrap();
        assert_eq!(svg.matches("<a href=").count(), 1, "{svg}");
        assert!(
            svg.contains("<a href=\"/drill?metric=x&amp;a=1\">"),
            "{svg}"
        );
    }

    #[test]
    fn nothing_but_zeros_draws_no_chart() {
        let mut section = stages(&["New Business"]);
        section.rows[0][2] = json!(0);
        assert_eq!(chart(&section, "en", &|_, _| None), None);
        section.rows[0][2] = json!(null);
        assert_eq!(chart(&section, "en", &|_, _| None), None);
    }

    #[test]
    fn stages_of_several_pipelines_are_told_apart() {
        let svg = chart(&stages(&["New Business", "Renewals"]), "en", &|_, _| None).unwrap();
        assert!(svg.contains("New Business · Qualified"), "{svg}");
        assert!(svg.contains("Renewals · Qualified"), "{svg}");
        let svg = chart(&stages(&["New Business"]), "en", &|_, _| None).unwrap();
        assert!(!svg.contains(" · Qualified"), "{svg}");
    }
}
