//! Dashboards people compose: the list, one dashboard's tiles in their order and width, the
//! form that pins a report section, metrics or a saved report to one.

use crate::Viewer;
use crate::pages::{Place, layout, section_markup};
use crate::text::{say, word};
use embudo_reports::Report;
use embudo_reports::dashboard::Width;
use maud::{Markup, html};

/// A dashboard in the list.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub owner: String,
    /// `owner`, `team` or `company`.
    pub audience: String,
    pub team: Option<String>,
    pub tiles: usize,
}

/// Who a dashboard is shown to, in words.
fn audience_words(audience: &str, team: Option<&str>, lang: &str) -> String {
    match (audience, team) {
        ("team", Some(team)) => say("shown_to_team", lang, &[("team", team)]),
        ("company", _) => word("shown_to_company", lang).to_owned(),
        _ => word("shown_to_owner", lang).to_owned(),
    }
}

/// `/dashboards`: the dashboards the viewer sees and a form for a new one.
pub fn list(
    viewer: &Viewer,
    dashboards: &[Listed],
    teams: &[String],
    message: Option<&str>,
) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (word("dashboards", lang)) }
        @if let Some(message) = message { p.insights role="status" { (message) } }
        @if dashboards.is_empty() {
            p.panel { (word("no_dashboards", lang)) }
        } @else {
            div.panel.scroll {
                table {
                    thead { tr {
                        th scope="col" { (word("name", lang)) }
                        th scope="col" { (word("made_by", lang)) }
                        th scope="col" { (word("shown_to", lang)) }
                        th scope="col" { (word("tiles", lang)) }
                    } }
                    tbody {
                        @for d in dashboards {
                            tr {
                                td { a href={ "/dashboards/" (d.id) } { (d.name) } }
                                td { (d.owner) }
                                td { (audience_words(&d.audience, d.team.as_deref(), lang)) }
                                td.n { (d.tiles) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (word("new_dashboard", lang)) }
        form.filters.panel method="post" action="/dashboards" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            label { (word("name", lang)) input name="name" required maxlength="80"; }
            (audience_fields(viewer, teams, "owner", None))
            button type="submit" { (word("create", lang)) }
        }
    };
    layout(
        Some(viewer),
        lang,
        word("dashboards", lang),
        Some(Place::Dashboards),
        body,
    )
}

/// The audience picker: oneself, a team (the viewer's own; any, for an admin), everyone
/// (admins).
fn audience_fields(
    viewer: &Viewer,
    teams: &[String],
    audience: &str,
    team: Option<&str>,
) -> Markup {
    let lang = viewer.lang.as_str();
    html! {
        label { (word("shown_to", lang))
            select name="audience" {
                option value="owner" selected[audience == "owner"] { (word("shown_to_owner", lang)) }
                option value="team" selected[audience == "team"] { (word("shown_to_a_team", lang)) }
                @if viewer.admin {
                    option value="company" selected[audience == "company"] { (word("shown_to_company", lang)) }
                }
            }
        }
        @if viewer.admin && !teams.is_empty() {
            label { (word("team", lang))
                select name="team" {
                    @for name in teams { option value=(name) selected[team == Some(name.as_str())] { (name) } }
                }
            }
        }
    }
}

/// One tile as its viewer sees it.
#[derive(Debug, Clone)]
pub enum Tile {
    /// What it shows: a report of one section, titled as the tile, and the period it
    /// covers in words.
    Shown { report: Report, period: String },
    /// Why it shows nothing to this viewer (a report their role does not see, a saved report
    /// since deleted).
    Refused { title: String, reason: String },
}

/// One dashboard as its viewer sees it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub listed: Listed,
    /// Each tile with its width.
    pub tiles: Vec<(Tile, Width)>,
    /// Whether the viewer may arrange, rename, share and delete it.
    pub arrangeable: bool,
    pub teams: Vec<String>,
}

/// `/dashboards/{id}`: the tiles in their order and width, each computed over the viewer's
/// own records; arranging controls for who may arrange it.
pub fn show(viewer: &Viewer, shown: &Shown, message: Option<&str>) -> String {
    let lang = viewer.lang.as_str();
    let d = &shown.listed;
    let action = |what: &str| format!("/dashboards/{}/{what}", d.id);
    let body = html! {
        h1 { (d.name) }
        p.notes { (say("made_by_whom", lang, &[("owner", &d.owner)])) " · " (audience_words(&d.audience, d.team.as_deref(), lang)) }
        @if let Some(message) = message { p.insights role="status" { (message) } }
        @if shown.tiles.is_empty() {
            p.panel { (word("empty_dashboard", lang)) }
        }
        div.dash {
            @for (place, (tile, width)) in shown.tiles.iter().enumerate() {
                div class={ "pinned w" (width.columns()) } data-tile=(place) {
                    @match tile {
                        Tile::Shown { report, period } => {
                            @for section in &report.sections {
                                (section_markup(report, section, lang, &viewer.currency, None))
                            }
                            p.notes.period { (period) }
                            @for note in &report.notes { p.notes { (note) } }
                        }
                        Tile::Refused { title, reason } => {
                            section.panel {
                                h2 { (title) }
                                p.notes { (reason) }
                            }
                        }
                    }
                    @if shown.arrangeable {
                        form.arrange method="post" action=(action("arrange")) {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            input type="hidden" name="tile" value=(place);
                            button.plain type="submit" name="how" value="up" title=(word("move_up", lang)) { "↑" }
                            button.plain type="submit" name="how" value="down" title=(word("move_down", lang)) { "↓" }
                            @for w in Width::ALL {
                                button.plain type="submit" name="how" value=(w.as_str()) aria-pressed=(if w == *width { "true" } else { "false" }) {
                                    (word(&format!("width.{}", w.as_str()), lang))
                                }
                            }
                            button.plain type="submit" name="how" value="remove" { (word("remove", lang)) }
                        }
                    }
                }
            }
        }
        @if shown.arrangeable {
            h2 { (word("dashboard_settings", lang)) }
            form.filters.panel method="post" action=(action("settings")) {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { (word("name", lang)) input name="name" value=(d.name) required maxlength="80"; }
                (audience_fields(viewer, &shown.teams, &d.audience, d.team.as_deref()))
                button type="submit" { (word("save", lang)) }
            }
            form.panel method="post" action=(action("delete")) {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button type="submit" { (word("delete_dashboard", lang)) }
            }
        }
    };
    layout(Some(viewer), lang, &d.name, Some(Place::Dashboards), body)
}

/// "Pin to dashboard": which of the viewer's dashboards (or a new one), how wide, for what
/// period, with `fields` saying what is pinned.
pub fn pin_form(viewer: &Viewer, dashboards: &[(i64, String)], fields: &[(&str, &str)]) -> Markup {
    let lang = viewer.lang.as_str();
    html! {
        details.pin {
            summary { (word("pin", lang)) }
            form method="post" action="/dashboards/pin" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                @for (name, value) in fields { input type="hidden" name=(name) value=(value); }
                label { (word("dashboard", lang))
                    select name="dashboard" {
                        @for (id, name) in dashboards { option value=(id) { (name) } }
                        option value="" { (word("new_dashboard", lang)) }
                    }
                }
                label { (word("new_dashboard_name", lang)) input name="new_name" maxlength="80"; }
                label { (word("period", lang))
                    select name="period" {
                        option value="" { (word("as_shown", lang)) }
                        @for preset in embudo_metrics::Preset::ALL {
                            option value=(preset.name()) { (word(preset.name(), lang)) }
                        }
                    }
                }
                label { (word("width", lang))
                    select name="width" {
                        @for w in Width::ALL {
                            option value=(w.as_str()) selected[w == Width::default()] { (word(&format!("width.{}", w.as_str()), lang)) }
                        }
                    }
                }
                button type="submit" { (word("pin", lang)) }
            }
        }
    }
}
