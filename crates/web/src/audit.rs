//! The data-audit pages: the score and its trend, the checks with samples and fix buttons,
//! the duplicate review queue and the merge journal with undo.

use crate::Viewer;
use crate::pages::{Place, layout};
use crate::text::word;
use maud::html;

/// One check's finding as the page shows it.
#[derive(Debug, Clone)]
pub struct CheckRow {
    pub id: String,
    pub entity: String,
    pub severity: String,
    pub failing: u64,
    pub total: u64,
    pub pct: f64,
    pub samples: Vec<String>,
    /// The check has automatic fixes.
    pub fixable: bool,
    /// What the check says of the data that is no failure (a vocabulary of the user's own).
    pub note: Option<String>,
}

/// The audit overview.
#[derive(Debug, Clone)]
pub struct Overview {
    pub overall: f64,
    pub entities: Vec<(String, f64)>,
    /// Earlier runs, newest first: (when, overall score).
    pub history: Vec<(String, f64)>,
    pub checks: Vec<CheckRow>,
    /// What the last action did, to say at the top.
    pub message: Option<String>,
}

/// `/audit`: score, trend, checks.
pub fn overview(viewer: &Viewer, view: &Overview) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (word("data_audit", lang)) }
        (tabs(lang, "overview"))
        @if let Some(message) = &view.message { p.insights role="status" { (message) } }
        div.grid {
            div.tile { div.label { (word("quality_score", lang)) } div.value data-score="overall" { (format!("{:.1}", view.overall)) " / 100" } }
            @for (entity, score) in &view.entities {
                div.tile { div.label { (entity) } div.value { (format!("{score:.1}")) } }
            }
        }
        @if !view.history.is_empty() {
            h2 { (word("trend", lang)) }
            div.panel { table { thead { tr { th { (word("run", lang)) } th { (word("quality_score", lang)) } } }
                tbody { @for (at, score) in &view.history { tr { td { (at) } td.n { (format!("{score:.1}")) } } } } } }
        }
        h2 { (word("checks", lang)) }
        @for check in view.checks.iter().filter(|c| c.note.is_some()) {
            p.insights data-note=(check.id) { strong { (check.id) } ": " (check.note.as_deref().unwrap_or_default()) }
        }
        div.panel {
            table.sortable {
                thead { tr {
                    th { button type="button" { (word("check", lang)) } }
                    th { button type="button" { (word("severity", lang)) } }
                    th { button type="button" { (word("failing", lang)) } }
                    th { button type="button" { "%" } }
                    th { (word("samples", lang)) }
                    th { (word("fix", lang)) }
                } }
                tbody {
                    @for check in view.checks.iter().filter(|c| c.failing > 0) {
                        tr data-check=(check.id) {
                            td data-v=(check.id) { (check.id) }
                            td data-v=(check.severity) { (check.severity) }
                            td.n data-v=(check.failing) { (check.failing) " / " (check.total) }
                            // `pct` is a share (0.186): shown as people read it, 18.6%.
                            td.n data-v=(check.pct) { (crate::format::cell(&serde_json::json!(check.pct), embudo_reports::Kind::Ratio, lang)) }
                            td { @for sample in &check.samples { div { (sample) } } }
                            td {
                                @if check.fixable {
                                    form method="post" action="/audit/fix" {
                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                        input type="hidden" name="check" value=(check.id);
                                        button type="submit" { (word("apply_fixes", lang)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(
        Some(viewer),
        lang,
        word("data_audit", lang),
        Some(Place::Audit),
        body,
    )
}

fn tabs(lang: &str, current: &str) -> maud::Markup {
    html! {
        nav.exports aria-label=(word("data_audit", lang)) {
            @for (key, href) in [("overview", "/audit"), ("duplicates", "/audit/duplicates"), ("merge_journal", "/audit/journal")] {
                a href=(href) aria-current=[(key == current).then_some("page")] { (word(key, lang)) }
            }
        }
    }
}

/// A likely duplicate group, side by side.
#[derive(Debug, Clone)]
pub struct Group {
    pub ids: Vec<i64>,
    pub confidence: f64,
    /// (field, each record's value, the field's weight of evidence when known).
    pub fields: Vec<(String, Vec<String>, Option<f64>)>,
}

/// `/audit/duplicates`: the review queue.
pub fn duplicates(
    viewer: &Viewer,
    entity: &str,
    groups: &[Group],
    message: Option<&str>,
) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (word("duplicates", lang)) }
        (tabs(lang, "duplicates"))
        form.filters.panel method="get" {
            label { (word("entity", lang))
                select name="entity" {
                    @for option in ["contacts", "companies", "deals"] {
                        option value=(option) selected[option == entity] { (option) }
                    }
                }
            }
            button type="submit" { (word("apply", lang)) }
        }
        @if let Some(message) = message { p.insights role="status" { (message) } }
        @if groups.is_empty() { p { (word("no_duplicates", lang)) } }
        @for group in groups {
            section.panel data-group=(group.ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")) {
                h2 { (word("likely_same", lang)) " — " (format!("{:.0}%", group.confidence * 100.0)) }
                table {
                    thead { tr {
                        th { (word("field", lang)) }
                        @for id in &group.ids { th { "#" (id) } }
                        th { (word("evidence", lang)) }
                    } }
                    tbody {
                        @for (field, values, weight) in &group.fields {
                            tr {
                                th scope="row" { (field) }
                                @for value in values { td { (value) } }
                                td.n { @if let Some(w) = weight { (format!("{w:+.1}")) } }
                            }
                        }
                    }
                }
                div.exports {
                    form method="post" action="/audit/merge" {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        input type="hidden" name="entity" value=(entity);
                        input type="hidden" name="ids" value=(group.ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
                        button type="submit" { (word("merge", lang)) }
                    }
                    @if group.ids.len() == 2 {
                        form method="post" action="/audit/not-duplicate" {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            input type="hidden" name="entity" value=(entity);
                            input type="hidden" name="a" value=(group.ids[0]);
                            input type="hidden" name="b" value=(group.ids[1]);
                            button.plain type="submit" { (word("not_duplicate", lang)) }
                        }
                    }
                }
            }
        }
    };
    layout(
        Some(viewer),
        lang,
        word("duplicates", lang),
        Some(Place::Audit),
        body,
    )
}

/// A merge in the journal.
#[derive(Debug, Clone)]
pub struct Merge {
    pub id: i64,
    pub entity: String,
    pub survivor: i64,
    pub merged: i64,
    pub at: String,
    pub by: String,
    pub undone: bool,
}

/// `/audit/journal`: every merge, the undoable ones with their button.
pub fn journal(viewer: &Viewer, merges: &[Merge], message: Option<&str>) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (word("merge_journal", lang)) }
        (tabs(lang, "merge_journal"))
        @if let Some(message) = message { p.insights role="status" { (message) } }
        div.panel {
            table {
                thead { tr {
                    th { "#" } th { (word("entity", lang)) } th { (word("survivor", lang)) } th { (word("merged", lang)) }
                    th { (word("when", lang)) } th { (word("by", lang)) } th {}
                } }
                tbody {
                    @for merge in merges {
                        tr data-journal=(merge.id) {
                            td { (merge.id) } td { (merge.entity) } td { (merge.survivor) } td { (merge.merged) }
                            td { (merge.at) } td { (merge.by) }
                            td {
                                @if merge.undone { (word("undone", lang)) } @else {
                                    form method="post" action="/audit/unmerge" {
                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                        input type="hidden" name="journal_id" value=(merge.id);
                                        button type="submit" { (word("undo", lang)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(
        Some(viewer),
        lang,
        word("merge_journal", lang),
        Some(Place::Audit),
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check that fails nothing but has something to say (a vocabulary of the user's
    /// own) says it on the page; a check without a note adds nothing.
    #[test]
    fn a_check_s_note_is_shown_even_when_it_fails_nothing() {
        let viewer = Viewer {
            name: "Ana".into(),
            role: "admin".into(),
            lang: "en".into(),
            csrf: "token".into(),
            reports: Vec::new(),
            board: false,
            admin: true,
            currency: "USD".into(),
        };
        let check = |id: &str, note: Option<&str>| CheckRow {
            id: id.into(),
            entity: "contacts".into(),
            severity: "low".into(),
            failing: 0,
            total: 10,
            pct: 0.0,
            samples: Vec::new(),
            fixable: false,
            note: note.map(str::to_owned),
        };
        let view = Overview {
            overall: 99.0,
            entities: Vec::new(),
            history: Vec::new(),
            checks: vec![
                check(
                    "contacts.lead_source.label",
                    Some("lead sources use 4 values not in Embudo's list"),
                ),
                check("contacts.email.invalid", None),
            ],
            message: None,
        };
        let page = overview(&viewer, &view);
        assert!(page.contains(
            r#"data-note="contacts.lead_source.label"><strong>contacts.lead_source.label</strong>: lead sources use 4 values not in Embudo's list"#
        ), "{page}");
        assert_eq!(page.matches("data-note=").count(), 1);
        // A failing check's share reads as a percentage: 382 of 2,049 is 18.6%, not 0.2.
        let failing = CheckRow {
            failing: 382,
            total: 2049,
            pct: 382.0 / 2049.0,
            ..check("contacts.email.invalid", None)
        };
        let page = overview(
            &viewer,
            &Overview {
                checks: vec![failing],
                ..view
            },
        );
        assert!(page.contains(">18.6%</td>"), "{page}");
    }
}
