//! The pages. Each returns a whole HTML document; every value is escaped by the template.

use crate::Viewer;
use crate::format;
use crate::text::{say, word};
use embudo_reports::model::{Kind, Report, Section};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Which entry of the navigation a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    Home,
    Board,
    Audit,
    Goals,
    Builder,
    Admin,
    Notifications,
    Report(&'a str),
    Dashboards,
}

/// A whole document: head, the navigation for `viewer` (none on the login page), `body`.
pub(crate) fn layout(
    viewer: Option<&Viewer>,
    lang: &str,
    title: &str,
    place: Option<Place<'_>>,
    body: Markup,
) -> String {
    let current = |here: Place<'_>| (place == Some(here)).then_some("page");
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(viewer) = viewer {
                    meta name="csrf-token" content=(viewer.csrf);
                }
                title { (title) " · Embudo" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                @if let Some(viewer) = viewer {
                    header.top {
                        a.brand href="/" { "Embudo" }
                        nav aria-label=(word("reports", lang)) {
                            a href="/" aria-current=[current(Place::Home)] { (word("home", lang)) }
                            a href="/dashboards" aria-current=[current(Place::Dashboards)] { (word("dashboards", lang)) }
                            @if viewer.board {
                                a href="/pipeline" aria-current=[current(Place::Board)] { (word("nav_board", lang)) }
                            }
                            a href="/goals" aria-current=[current(Place::Goals)] { (word("goals", lang)) }
                            a href="/builder" aria-current=[current(Place::Builder)] { (word("nav_builder", lang)) }
                            a href="/notifications" aria-current=[current(Place::Notifications)] { (word("notifications", lang)) }
                            @if viewer.admin {
                                a href="/audit" aria-current=[current(Place::Audit)] { (word("nav_audit", lang)) }
                                a href="/admin" aria-current=[current(Place::Admin)] { (word("admin", lang)) }
                            }
                            @if !viewer.reports.is_empty() {
                                // A disclosure, not a script: it opens with the keyboard too.
                                details.menu {
                                    summary.here[matches!(place, Some(Place::Report(_)))] { (word("reports", lang)) }
                                    div.menu-items {
                                        @for (name, report_title) in &viewer.reports {
                                            a href={ "/reports/" (name) } aria-current=[current(Place::Report(name))] { (report_title) }
                                        }
                                    }
                                }
                            }
                        }
                        div.who {
                            span { (viewer.name) " · " (viewer.role) }
                            a href={ "?lang=" (if lang == "es" { "en" } else { "es" }) } hreflang=(if lang == "es" { "en" } else { "es" }) {
                                (word("language", lang))
                            }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(viewer.csrf);
                                button.plain type="submit" { (word("log_out", lang)) }
                            }
                        }
                    }
                }
                main id="main" data-loading=(word("loading", lang)) { (body) }
                script src="/assets/app.js" {}
            }
        }
    }
    .into_string()
}

/// The login form, with an error when the last attempt failed.
/// `csrf` is the login form's token, also set in a cookie by the page's answer: a form
/// posted from another site carries neither.
pub fn login(lang: &str, csrf: &str, error: Option<&str>) -> String {
    let body = html! {
        div.login.panel {
            h1 { "Embudo" }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label { (word("email", lang)) input type="email" name="email" autocomplete="username" required autofocus; }
                label { (word("password", lang)) input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { (word("log_in", lang)) }
            }
        }
    };
    layout(None, lang, word("log_in", lang), None, body)
}

/// A headline metric: its label, its value as text, its change against the period before.
#[derive(Debug, Clone)]
pub struct Headline {
    pub label: String,
    pub value: String,
    pub change: Option<f64>,
    /// The records behind the figure.
    pub href: Option<String>,
}

/// A goal's progress: attained and expected-by-now shares of the target.
#[derive(Debug, Clone)]
pub struct Goal {
    pub name: String,
    pub attainment: f64,
    pub expected: f64,
    /// The records its actual counts.
    pub href: Option<String>,
}

/// A home-page alert, and the page of the records behind it when it has one.
#[derive(Debug, Clone)]
pub struct Alert {
    pub text: String,
    pub href: Option<String>,
}

/// Home: headline metrics with their change, goals with bars, alerts, and how many
/// notifications are unread.
pub fn home(
    viewer: &Viewer,
    headlines: &[Headline],
    goals: &[Goal],
    alerts: &[Alert],
    unread: i64,
) -> String {
    let lang = viewer.lang.as_str();
    let percent = |x: f64| format::cell(&serde_json::json!(x), Kind::Ratio, lang);
    let body = html! {
        h1 { (word("home", lang)) }
        h2 { (word("headlines", lang)) }
        div.grid {
            @for headline in headlines {
                div.tile {
                    div.label { (headline.label) }
                    div.value data-metric=(headline.label) {
                        @if let Some(href) = &headline.href {
                            a href=(href) title=(word("open_records", lang)) { (headline.value) }
                        } @else {
                            (headline.value)
                        }
                    }
                    @if let Some(change) = headline.change {
                        // The arrow and the sign say it as well as the colour does.
                        div class={ "change " (if change >= 0.0 { "up" } else { "down" }) } {
                            (if change >= 0.0 { "▲ +" } else { "▼ " }) (percent(change)) " " (word("vs_previous", lang))
                        }
                    }
                }
            }
        }
        @if !goals.is_empty() {
            h2 { (word("goals", lang)) }
            div.panel {
                @for goal in goals {
                    div {
                        @if let Some(href) = &goal.href {
                            a href=(href) title=(word("open_records", lang)) { strong { (goal.name) } }
                        } @else {
                            strong { (goal.name) }
                        }
                        " — " (percent(goal.attainment)) " " (word("attained", lang))
                        ", " (percent(goal.expected)) " " (word("expected_by_now", lang))
                        div.bar role="progressbar" aria-valuemin="0" aria-valuemax="100"
                            aria-valuenow=(format!("{:.0}", (goal.attainment * 100.0).clamp(0.0, 100.0)))
                            aria-label=(goal.name) {
                            span style={ "width:" (format!("{:.0}", (goal.attainment * 100.0).clamp(0.0, 100.0))) "%" } {}
                        }
                    }
                }
            }
        }
        h2 { (word("alerts", lang)) }
        div.panel {
            @if unread > 0 {
                p { a href="/notifications" { (say("unread_notifications", lang, &[("count", &unread.to_string())])) } }
            }
            @if alerts.is_empty() {
                p { (word("no_alerts", lang)) }
            } @else {
                ul.alerts {
                    @for alert in alerts {
                        li {
                            @if let Some(href) = &alert.href { a href=(href) { (alert.text) } } @else { (alert.text) }
                        }
                    }
                }
            }
        }
    };
    layout(
        Some(viewer),
        lang,
        word("home", lang),
        Some(Place::Home),
        body,
    )
}

/// A report page's filters: the values in the form and the ready-made periods.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub from: String,
    pub to: String,
    pub pipeline: String,
    pub owner: String,
    pub team: String,
    pub source: String,
    /// `previous_period`, `previous_year`, or empty: no comparison.
    pub compare: String,
    /// (key in [`crate::text`], from, to) for the period presets.
    pub presets: Vec<(&'static str, String, String)>,
    /// The values each text filter offers (`pipeline`, `owner`, `team`, `source`), within
    /// the viewer's scope: a picker that still takes typing.
    pub choices: Vec<(&'static str, Vec<String>)>,
    /// The query string of the report as shown, for the export links.
    pub query: String,
    /// The dashboards the viewer may pin a section to: (id, name).
    pub dashboards: Vec<(i64, String)>,
}

/// One report: filters, insights, each section's chart and sortable table, notes, exports.
pub fn report(viewer: &Viewer, report: &Report, filters: &Filters) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (report.title) }
        form.filters.panel method="get" aria-label=(word("filters", lang)) {
            label { (word("period", lang))
                select id="preset" {
                    option value="" { (word("custom", lang)) }
                    @for (key, from, to) in &filters.presets {
                        option data-from=(from) data-to=(to) { (word(key, lang)) }
                    }
                }
            }
            label { (word("from", lang)) input id="from" type="date" name="from" value=(filters.from); }
            label { (word("to", lang)) input id="to" type="date" name="to" value=(filters.to); }
            @for (field, value) in [
                ("pipeline", &filters.pipeline),
                ("owner", &filters.owner),
                ("team", &filters.team),
                ("source", &filters.source),
            ] {
                label { (word(field, lang)) input name=(field) value=(value) list={ "choices-" (field) } autocomplete="off"; }
            }
            label { (word("compare", lang)) select name="compare" {
                @for compare in ["", "previous_period", "previous_year"] {
                    option value=(compare) selected[compare == filters.compare] {
                        (if compare.is_empty() { "—".to_owned() } else { word(&format!("compare.{compare}"), lang).to_owned() })
                    }
                }
            } }
            @for (field, values) in &filters.choices {
                datalist id={ "choices-" (field) } {
                    @for value in values { option value=(value) {} }
                }
            }
            input type="hidden" name="lang" value=(lang);
            button type="submit" { (word("apply", lang)) }
        }
        div.exports aria-label=(word("export", lang)) {
            @for format_name in ["csv", "xlsx", "html", "json"] {
                a href={ "/api/v1/reports/" (report.report) "?" (filters.query) "&format=" (format_name) } download {
                    (word("export", lang)) " " (format_name.to_uppercase())
                }
            }
        }
        @if !report.insights.is_empty() {
            ul.insights { @for insight in &report.insights { li { (insight) } } }
        }
        @for section in &report.sections {
            @let pin = crate::dashboards::pin_form(viewer, &filters.dashboards, &[
                ("kind", "section"),
                ("report", &report.report),
                ("section", &section.name),
                ("query", &filters.query),
            ]);
            (section_markup(report, section, lang, &viewer.currency, Some(pin)))
        }
        @if !report.notes.is_empty() {
            ul.notes { @for note in &report.notes { li { (note) } } }
        }
    };
    layout(
        Some(viewer),
        lang,
        &report.title,
        Some(Place::Report(&report.report)),
        body,
    )
}

/// Rows a page's table shows; exports keep them all.
const MAX_ROWS: usize = 100;

/// A report's section: title, chart, the table whose figures link to their records, and
/// `below` it (the form that pins it to a dashboard, say).
pub(crate) fn section_markup(
    report: &Report,
    section: &Section,
    lang: &str,
    currency: &str,
    below: Option<Markup>,
) -> Markup {
    // Each figure that leads to records links to them: a metric's rows, or the records a
    // row of the report's own SQL counts.
    let link = |row: usize, column: usize| {
        let key = section.columns.get(column).map(|c| c.key.as_str())?;
        if section
            .groups
            .as_ref()
            .is_some_and(|groups| groups.behind(row, key).is_some())
        {
            return Some(crate::records::rows_href(report, &section.name, row, key));
        }
        embudo_reports::drill::target(report, section, row, column)
            .map(|target| crate::records::target_href(&target))
    };
    // A figure as the page writes it (money in the store's currency).
    let formatted = |value: &serde_json::Value, kind: Kind| match kind {
        Kind::Money => format::money(value, currency, lang),
        kind => format::cell(value, kind, lang),
    };
    // With a comparison, each figure's change and earlier value under it.
    let earlier =
        |row: usize, column: usize, value: &serde_json::Value, shown: &embudo_reports::Column| {
            let before = embudo_reports::compare::previous(section, row, column)
                .filter(|_| embudo_reports::compare::compares(shown))?;
            let change = embudo_reports::compare::change(value, before, shown.kind, lang);
            Some(html! {
                small.was data-was=(before) {
                    @if let Some(change) = change { (change) " · " }
                    (say("was", lang, &[("value", &formatted(before, shown.kind))]))
                }
            })
        };
    html! {
        section.panel data-section=(section.name) {
            h2 { (section.title) }
            @if let Some(svg) = embudo_reports::html::chart(section, lang, &link) {
                figure {
                    (PreEscaped(svg))
                    // An axis of `1.2M` says of what.
                    @if charts_money(section) {
                        figcaption { (say("amounts_in", lang, &[("currency", currency)])) }
                    }
                }
            }
            table.sortable {
                thead { tr {
                    @for column in section.columns.iter().filter(|c| section.shown(c)) {
                        th scope="col" data-key=(column.key) { button type="button" { (column.label) } }
                    }
                } }
                tbody {
                    @for (r, row) in section.rows.iter().take(MAX_ROWS).enumerate() {
                        tr {
                            @for (c, (value, column)) in row.iter().zip(&section.columns).enumerate().filter(|(_, (_, column))| section.shown(column)) {
                                @let raw = value.as_f64().map_or_else(|| value.as_str().unwrap_or_default().to_owned(), |x| x.to_string());
                                @let text = match (column.kind, value.as_str()) {
                                    (Kind::Text, Some(text)) => embudo_reports::i18n::value_label(&column.key, text, lang),
                                    (kind, _) => formatted(value, kind),
                                };
                                @let was = earlier(r, c, value, column);
                                @let record = section.records.as_ref().filter(|_| c == 0).and_then(|records| records.href(r));
                                @if let Some(href) = record {
                                    td data-v=(raw) data-key=(column.key) { a href=(href) { (text) } }
                                } @else if column.kind == Kind::Text {
                                    td data-v=(raw) data-key=(column.key) { (text) }
                                } @else if let Some(href) = link(r, c) {
                                    td.n data-v=(raw) data-key=(column.key) { a href=(href) { (text) } @if let Some(was) = &was { (was) } }
                                } @else {
                                    td.n data-v=(raw) data-key=(column.key) { (text) @if let Some(was) = &was { (was) } }
                                }
                            }
                        }
                    }
                }
            }
            @if section.rows.len() > MAX_ROWS {
                p.notes { (MAX_ROWS) " / " (section.rows.len()) }
            }
            @if let Some(below) = below { (below) }
        }
    }
}

/// Whether a section's chart draws money.
fn charts_money(section: &Section) -> bool {
    section
        .chart
        .as_ref()
        .and_then(|chart| section.column(chart.y.first()?))
        .is_some_and(|i| section.columns[i].kind == Kind::Money)
}

/// A deal on the board.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: i64,
    pub name: String,
    pub amount: String,
    pub probability: Option<String>,
    pub stale: bool,
}

/// A stage of the board with its open deals.
#[derive(Debug, Clone)]
pub struct Column {
    pub id: i64,
    pub name: String,
    pub deals: Vec<Card>,
}

/// The pipeline board: the stages of one pipeline as columns, the caller's open deals as
/// cards with amount and win probability, stale ones marked in words as well as colour.
pub fn board(
    viewer: &Viewer,
    pipelines: &[(i64, String)],
    pipeline: i64,
    columns: &[Column],
) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (word("pipeline_board", lang)) }
        form.filters.panel method="get" {
            label { (word("pipeline", lang))
                select name="pipeline" {
                    @for (id, name) in pipelines {
                        option value=(id) selected[*id == pipeline] { (name) }
                    }
                }
            }
            input type="hidden" name="lang" value=(lang);
            button type="submit" { (word("apply", lang)) }
        }
        p id="board-status" role="status" aria-live="polite" data-moved=(word("moved", lang)) {}
        div.board {
            @for column in columns {
                section.stage data-stage=(column.id) aria-label=(column.name) {
                    h2 { span { (column.name) } span { (column.deals.len()) } }
                    div.cards {
                        @for card in &column.deals {
                            article.card.stale[card.stale] data-deal=(card.id) tabindex="0" {
                                div.name { a href={ "/deals/" (card.id) } draggable="false" { (card.name) } }
                                div.meta {
                                    span { (card.amount) }
                                    @if let Some(p) = &card.probability { span { (p) " " (word("win_probability", lang)) } }
                                }
                                @if card.stale { div.stale-flag { (word("stale", lang)) } }
                                form method="post" action="/pipeline/move" {
                                    input type="hidden" name="csrf" value=(viewer.csrf);
                                    input type="hidden" name="deal" value=(card.id);
                                    input type="hidden" name="pipeline" value=(pipeline);
                                    label.visually-hidden for={ "move-" (card.id) } { (word("move_to", lang)) }
                                    select id={ "move-" (card.id) } name="stage" {
                                        @for target in columns {
                                            option value=(target.id) selected[target.id == column.id] { (target.name) }
                                        }
                                    }
                                    button type="submit" { (word("move", lang)) }
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
        word("pipeline_board", lang),
        Some(Place::Board),
        body,
    )
}

/// A page saying what went wrong, with the way home.
pub fn error(lang: &str, status: u16, message: &str) -> String {
    let body = html! {
        div.login.panel {
            h1 { (status) }
            p.error role="alert" { (message) }
            p { a href="/" { (word("home", lang)) } }
        }
    };
    layout(None, lang, &status.to_string(), None, body)
}
