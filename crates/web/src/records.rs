//! A record's own page — a deal, a contact, a company: what it says, and the records
//! around it, each row linked to its own page, so that any list of records leads on to
//! the one behind it.

use crate::Viewer;
use crate::format::url_encode;
use crate::notices::{Table, records_table};
use crate::pages::{Place, layout};
use crate::text::{say, word};
use maud::html;

/// One line of a record: what it is (a word key) and its value, linked when the value is
/// another record the visitor may open.
#[derive(Debug, Clone)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    pub link: Option<String>,
}

/// Records related to the one shown: a title (a word key), the first rows, and how many
/// there are in all.
#[derive(Debug, Clone)]
pub struct Related {
    pub title: &'static str,
    pub table: Table,
    pub total: usize,
}

/// A record as its page shows it.
#[derive(Debug, Clone)]
pub struct Shown {
    /// `deal`, `contact` or `company`: a word key.
    pub kind: &'static str,
    pub title: String,
    pub facts: Vec<Fact>,
    pub related: Vec<Related>,
}

/// `GET /deals/{id}`, `/contacts/{id}`, `/companies/{id}`.
pub fn page(viewer: &Viewer, shown: &Shown) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        p.kind { (word(shown.kind, lang)) }
        h1 { (shown.title) }
        dl.facts.panel {
            @for fact in shown.facts.iter().filter(|f| !f.value.is_empty()) {
                div {
                    dt { (word(fact.label, lang)) }
                    dd {
                        @if let Some(href) = &fact.link {
                            a href=(href) { (fact.value) }
                        } @else {
                            (fact.value)
                        }
                    }
                }
            }
        }
        @for related in &shown.related {
            section.related data-related=(related.title) {
                h2 { (word(related.title, lang)) " " span.count { "(" (related.total) ")" } }
                @if related.table.rows.is_empty() {
                    p { (word("no_records", lang)) }
                } @else {
                    (records_table(&related.table))
                    @if related.total > related.table.rows.len() {
                        p.more {
                            (say("latest_of", lang, &[
                                ("shown", &related.table.rows.len().to_string()),
                                ("total", &related.total.to_string()),
                            ]))
                        }
                    }
                }
            }
        }
    };
    layout(Some(viewer), lang, &shown.title, None::<Place<'_>>, body)
}

/// The address of the rows behind measure `measure` of `metric` over `[from, to)` with
/// `filters` (dimension, value): where a figure leads.
pub fn drill_href(
    metric: &str,
    (from, to): (&str, &str),
    filters: &[(&str, &str)],
    measure: usize,
) -> String {
    let mut href = format!(
        "/drill?metric={}&from={}&to={}",
        url_encode(metric),
        url_encode(from),
        url_encode(to)
    );
    // A filter as the metrics API writes it: `dimension:value`.
    for (dim, value) in filters {
        href.push_str(&format!(
            "&filter={}",
            url_encode(&format!("{dim}:{value}"))
        ));
    }
    if measure > 0 {
        href.push_str(&format!("&measure={measure}"));
    }
    href
}

/// The address of the records a figure counts.
pub fn target_href(target: &embudo_reports::drill::Target) -> String {
    let (from, to) = (target.from.to_string(), target.to.to_string());
    let filters: Vec<(&str, &str)> = target
        .filters
        .iter()
        .map(|(dim, value)| (dim.name(), value.as_str()))
        .collect();
    drill_href(&target.metric, (&from, &to), &filters, 0)
}

/// The address of the records behind the figure in `column` of row `row` of a section of a
/// report's own SQL: the report is built again with its parameters (from its cache) and
/// the row's records listed.
pub fn rows_href(
    report: &embudo_reports::Report,
    section: &str,
    row: usize,
    column: &str,
) -> String {
    let mut href = format!(
        "/drill/rows?report={}&section={}&row={row}&figure={}",
        url_encode(&report.report),
        url_encode(section),
        url_encode(column)
    );
    for key in [
        "from", "to", "at", "pipeline", "owner", "team", "source", "by", "grain", "months", "lang",
    ] {
        if let Some(value) = report.params.get(key).and_then(|v| v.as_str()) {
            href.push_str(&format!("&{key}={}", url_encode(value)));
        }
    }
    href
}

/// The records behind a figure, as the drill-down page shows them.
#[derive(Debug, Clone)]
pub struct Behind {
    /// The metric's label.
    pub metric: String,
    /// The range and filters in words.
    pub over: String,
    /// The figure these rows make: the count, or the count and the sum.
    pub summary: String,
    /// The metric's other measures, for a ratio: (address, words, whether shown now).
    pub measures: Vec<(String, String, bool)>,
    pub table: Table,
    pub total: usize,
    /// Rows left out because the visitor may not open their records.
    pub hidden: usize,
}

/// `GET /drill`: the rows a figure counts, each linked to its record's page.
pub fn behind(viewer: &Viewer, behind: &Behind) -> String {
    let lang = viewer.lang.as_str();
    let title = say("behind_title", lang, &[("metric", &behind.metric)]);
    let body = html! {
        h1 { (title) }
        p { (behind.over) }
        @if behind.measures.len() > 1 {
            nav.measures aria-label=(word("measures", lang)) {
                @for (href, words, current) in &behind.measures {
                    a href=(href) aria-current=[current.then_some("page")] { (words) }
                }
            }
        }
        p.summary role="status" { (behind.summary) }
        @if behind.hidden > 0 {
            p { (say("behind_hidden", lang, &[("count", &behind.hidden.to_string())])) }
        }
        @if behind.table.rows.is_empty() {
            p { (word("no_records", lang)) }
        } @else {
            (records_table(&behind.table))
            @if behind.total > behind.table.rows.len() + behind.hidden {
                p.more {
                    (say("latest_of", lang, &[
                        ("shown", &behind.table.rows.len().to_string()),
                        ("total", &behind.total.to_string()),
                    ]))
                }
            }
        }
    };
    layout(Some(viewer), lang, &title, Some(Place::Home), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(lang: &str) -> Viewer {
        Viewer {
            name: "Ana".into(),
            role: "rep".into(),
            lang: lang.into(),
            csrf: "token".into(),
            reports: Vec::new(),
            board: true,
            admin: false,
            currency: "EUR".into(),
        }
    }

    fn shown() -> Shown {
        Shown {
            kind: "deal",
            title: "Acme renewal".into(),
            facts: vec![
                Fact {
                    label: "company",
                    value: "Acme & Sons".into(),
                    link: Some("/companies/4".into()),
                },
                Fact {
                    label: "lost_reason",
                    value: String::new(),
                    link: None,
                },
            ],
            related: vec![Related {
                title: "activities",
                table: Table {
                    columns: vec!["When".into()],
                    rows: vec![vec!["2026-06-01".into()]],
                    links: vec![Some("/deals/9".into())],
                },
                total: 30,
            }],
        }
    }

    /// Linked facts lead to their record, empty ones are left out, and a related list says
    /// how many it does not show.
    #[test]
    fn facts_link_and_related_lists_say_what_they_leave_out() {
        let page = page(&viewer("es"), &shown());
        assert!(
            page.contains(r#"<a href="/companies/4">Acme &amp; Sons</a>"#),
            "{page}"
        );
        assert!(!page.contains(word("lost_reason", "es")), "{page}");
        assert!(page.contains(r#"<a href="/deals/9">2026-06-01</a>"#));
        assert!(page.contains("Los 1 más recientes de 30"), "{page}");
    }
}
