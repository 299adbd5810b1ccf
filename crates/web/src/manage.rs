//! Pages that change things: goals (progress, new, edit) and administration (users, tokens,
//! the access review). Each form carries the session's CSRF token.

use crate::Viewer;
use crate::pages::{Place, layout};
use crate::text::word;
use embudo_reports::Report;
use maud::{Markup, html};

/// A plain table of text: column labels and rows.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn grid(table: &Grid) -> Markup {
    html! {
        table.sortable {
            thead { tr { @for column in &table.columns { th scope="col" { button type="button" { (column) } } } } }
            tbody { @for row in &table.rows { tr { @for cell in row { td data-v=(cell) { (cell) } } } } }
        }
    }
}

/// A goal's progress row.
#[derive(Debug, Clone)]
pub struct GoalRow {
    pub id: i64,
    pub name: String,
    pub metric: String,
    pub period: String,
    /// The target as typed in the form, and as people read it.
    pub target: f64,
    pub target_shown: String,
    pub actual: String,
    pub attainment: f64,
    pub expected: f64,
    /// `achieved`, `on_track`, `at_risk` or `behind`.
    pub status: String,
}

/// A goal's status (`achieved`, `on_track`, `at_risk`, `behind`) in words of `lang`.
fn status_words<'a>(status: &'a str, lang: &str) -> &'a str {
    let spanish = lang == "es";
    match status {
        "achieved" if spanish => "alcanzada",
        "achieved" => "achieved",
        "on_track" if spanish => "en camino",
        "on_track" => "on track",
        "at_risk" if spanish => "en riesgo",
        "at_risk" => "at risk",
        "behind" if spanish => "retrasada",
        "behind" => "behind",
        other => other,
    }
}

/// `/goals`: progress of the goals the caller sees, a form to set one, and each goal's
/// target editable in place.
pub fn goals(
    viewer: &Viewer,
    goals: &[GoalRow],
    skipped: &[String],
    metrics: &[(String, String)],
    message: Option<&str>,
) -> String {
    let lang = viewer.lang.as_str();
    let percent = |x: f64| format!("{:.0}%", x * 100.0);
    let body = html! {
        h1 { (word("goals", lang)) }
        @if let Some(message) = message { p.insights role="status" { (message) } }
        @for note in skipped { p.note data-skipped { (note) } }
        div.panel {
            @if goals.is_empty() { p { (word("no_goals", lang)) } }
            @for goal in goals {
                div.goal data-goal=(goal.id) {
                    h2 { (goal.name) " · " (goal.metric) " · " (goal.period) }
                    p { (word("actual", lang)) ": " (goal.actual) " / " (goal.target_shown) " — " (percent(goal.attainment)) " " (word("attained", lang))
                        ", " (percent(goal.expected)) " " (word("expected_by_now", lang)) " — " strong { (status_words(&goal.status, lang)) } }
                    div.bar role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-label=(goal.name)
                        aria-valuenow=(format!("{:.0}", (goal.attainment * 100.0).clamp(0.0, 100.0))) {
                        span style={ "width:" (format!("{:.0}", (goal.attainment * 100.0).clamp(0.0, 100.0))) "%" } {}
                    }
                    form.filters method="post" action="/goals/edit" {
                        input type="hidden" name="csrf" value=(viewer.csrf);
                        input type="hidden" name="id" value=(goal.id);
                        label { (word("target", lang)) input type="number" step="any" name="target" value=(goal.target) required; }
                        button.plain type="submit" { (word("save", lang)) }
                    }
                    @if viewer.admin {
                        form.filters method="post" action="/goals/delete" {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            input type="hidden" name="id" value=(goal.id);
                            button.plain type="submit" data-delete-goal=(goal.id) { (word("delete", lang)) }
                        }
                    }
                }
            }
        }
        h2 { (word("new_goal", lang)) }
        form.filters.panel method="post" action="/goals" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            label { (word("name", lang)) input name="name" required; }
            label { (word("metric", lang)) select name="metric" { @for (name, label) in metrics { option value=(name) { (label) } } } }
            label { (word("target", lang)) input type="number" step="any" name="target" required; }
            label { (word("from", lang)) input type="date" name="period_start" required; }
            label { (word("to", lang)) input type="date" name="period_end" required; }
            label { (word("direction", lang)) select name="direction" {
                option value="at_least" { (word("at_least", lang)) }
                option value="at_most" { (word("at_most", lang)) }
            } }
            button type="submit" { (word("save", lang)) }
        }
    };
    layout(
        Some(viewer),
        lang,
        word("goals", lang),
        Some(Place::Goals),
        body,
    )
}

/// `/admin`: users with their role and access, adding and disabling them, tokens, and the
/// access review.
/// Scheduled reports, alert rules and the latest deliveries, for the administration page.
#[derive(Debug, Clone, Default)]
pub struct Monitoring {
    pub schedules: Grid,
    pub alerts: Grid,
    pub deliveries: Grid,
    /// The reports a schedule may deliver: (name, title).
    pub reports: Vec<(String, String)>,
}

pub fn admin(
    viewer: &Viewer,
    users: &Grid,
    review: &Grid,
    monitoring: &Monitoring,
    token: Option<&str>,
    message: Option<&str>,
) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (word("admin", lang)) }
        @if let Some(message) = message { p.insights role="status" { (message) } }
        @if let Some(token) = token {
            p.insights role="status" { (word("token_once", lang)) " " code data-token { (token) } }
        }
        h2 { (word("users", lang)) }
        div.panel { (grid(users)) }
        h2 { (word("new_user", lang)) }
        form.filters.panel method="post" action="/admin/users" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            label { (word("name", lang)) input name="name" required; }
            label { (word("email", lang)) input type="email" name="email" required; }
            label { (word("role", lang)) select name="role" {
                @for role in ["rep", "manager", "agent", "viewer", "admin"] { option value=(role) { (role) } }
            } }
            label { (word("team", lang)) input name="team"; }
            label { (word("password", lang)) input type="password" name="password" minlength="10" required autocomplete="new-password"; }
            button type="submit" { (word("save", lang)) }
        }
        div.grid {
            form.panel method="post" action="/admin/disable" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { (word("disable_user", lang)) " " input type="email" name="email" required; }
                " " button.plain type="submit" { (word("disable", lang)) }
            }
            form.panel method="post" action="/admin/role" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { (word("role_of", lang)) " " input type="email" name="email" required; }
                " " select name="role" aria-label=(word("role", lang)) {
                    @for role in ["rep", "manager", "agent", "viewer", "admin"] { option value=(role) { (role) } }
                }
                " " button.plain type="submit" { (word("save", lang)) }
            }
            form.panel method="post" action="/admin/tokens" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label { (word("token_for", lang)) " " input type="email" name="email" required; }
                " " button.plain type="submit" { (word("create_token", lang)) }
            }
        }
        h2 { (word("access_review", lang)) }
        div.panel { (grid(review)) }
        h2 { (word("monitoring", lang)) }
        p { (word("monitoring_how", lang)) }
        h3 { (word("schedules", lang)) }
        div.panel { (grid(&monitoring.schedules)) }
        form.filters.panel method="post" action="/admin/schedules" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            label { (word("name", lang)) input name="name" required pattern="[A-Za-z0-9_-]{1,64}"; }
            label { (word("report", lang)) select name="report" {
                option value="all" { (word("all_reports", lang)) }
                @for (name, title) in &monitoring.reports { option value=(name) { (title) } }
            } }
            (cadence_fields(lang))
            label { (word("weekday", lang)) select name="weekday" {
                option value="" { "—" }
                @for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] { option value=(day) { (day) } }
            } }
            label { (word("at_time", lang)) input type="time" name="at" value="08:00"; }
            label { (word("recipients", lang)) input name="to" placeholder="ana@example.com, luis@example.com"; }
            label { "Webhook" input type="url" name="webhook"; }
            label { (word("attach", lang)) select name="attach" {
                @for format in ["html", "xlsx", "csv"] { option value=(format) { (format) } }
            } }
            button type="submit" { (word("save", lang)) }
        }
        (remove_form(viewer, "/admin/schedules/remove", lang))
        h3 { (word("alerts", lang)) }
        div.panel { (grid(&monitoring.alerts)) }
        form.filters.panel method="post" action="/admin/alerts" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            label { (word("name", lang)) input name="name" required pattern="[A-Za-z0-9_-]{1,64}"; }
            label { (word("alert_when", lang)) input name="when" required placeholder="close_rate < 0.25"; }
            label { (word("filters", lang)) input name="filters" placeholder="team=East; pipeline=Sales"; }
            label { (word("each_of", lang)) input name="by" placeholder="owner"; }
            (cadence_fields(lang))
            label { (word("recipients", lang)) input name="to"; }
            label { (word("cooldown", lang)) input name="cooldown" value="24h"; }
            button type="submit" { (word("save", lang)) }
        }
        (remove_form(viewer, "/admin/alerts/remove", lang))
        h3 { (word("deliveries", lang)) }
        div.panel { (grid(&monitoring.deliveries)) }
    };
    layout(
        Some(viewer),
        lang,
        word("admin", lang),
        Some(Place::Admin),
        body,
    )
}

/// How often, for the schedule and alert forms.
fn cadence_fields(lang: &str) -> Markup {
    html! {
        label { (word("every", lang)) select name="every" {
            @for every in ["day", "week", "month"] { option value=(every) selected[every == "week"] { (every) } }
        } }
    }
}

/// A one-field form removing a schedule or rule by name.
fn remove_form(viewer: &Viewer, action: &str, lang: &str) -> Markup {
    html! {
        form.panel method="post" action=(action) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            label { (word("remove_named", lang)) " " input name="name" required; }
            " " button.plain type="submit" { (word("remove", lang)) }
        }
    }
}

/// What the custom report builder shows in its form.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub metrics: Vec<String>,
    pub by: Vec<String>,
    pub grain: String,
    pub from: String,
    pub to: String,
    /// `dimension:value`, several separated by `;`
    pub filter: String,
    pub compare: String,
}

/// What the builder's reports are kept in: the saved reports the viewer may open, the one
/// opened, and the dashboards they may pin to.
#[derive(Debug, Clone, Default)]
pub struct Kept<'a> {
    pub saved: &'a [String],
    /// The saved report opened: pinned by name, so that the tile follows it.
    pub opened: Option<&'a str>,
    /// The viewer's dashboards: (id, name).
    pub dashboards: &'a [(i64, String)],
}

/// `/builder`: pick metrics, a dimension, a grain, a range, a filter and a comparison;
/// preview; save under a name; open a saved one.
pub fn builder(
    viewer: &Viewer,
    metrics: &[(String, String)],
    dimensions: &[(String, String)],
    spec: &Spec,
    preview: Option<&Report>,
    kept: &Kept<'_>,
    message: Option<&str>,
) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (word("builder", lang)) }
        @if let Some(message) = message { p.insights role="status" { (message) } }
        form.filters.panel method="get" action="/builder" {
            label { (word("metrics", lang))
                select name="metrics" multiple size="6" required {
                    @for (name, label) in metrics { option value=(name) selected[spec.metrics.contains(name)] { (label) } }
                }
            }
            label { (word("dimensions", lang)) select name="by" multiple size="6" {
                @for (dimension, label) in dimensions { option value=(dimension) selected[spec.by.contains(dimension)] { (label) } }
            } }
            label { (word("grain", lang)) select name="grain" {
                @for grain in ["", "day", "week", "month", "quarter", "year"] {
                    option value=(grain) selected[grain == spec.grain] { (if grain.is_empty() { "—".to_owned() } else { word(&format!("grain.{grain}"), lang).to_owned() }) }
                }
            } }
            label { (word("from", lang)) input type="date" name="from" value=(spec.from) required; }
            label { (word("to", lang)) input type="date" name="to" value=(spec.to) required; }
            label { (word("filter", lang)) input name="filter" placeholder="lead_source=referral; team=North" value=(spec.filter); }
            label { (word("compare", lang)) select name="compare" {
                @for compare in ["", "previous_period", "previous_year"] {
                    option value=(compare) selected[compare == spec.compare] { (if compare.is_empty() { "—".to_owned() } else { word(&format!("compare.{compare}"), lang).to_owned() }) }
                }
            } }
            button type="submit" { (word("preview", lang)) }
        }
        @if let Some(preview) = preview {
            div data-preview {
                @for section in &preview.sections {
                    (crate::pages::section_markup(preview, section, lang, &viewer.currency, None))
                }
                @for note in &preview.notes { p.notes { (note) } }
            }
            form.filters.panel method="post" action="/builder/save" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="metrics" value=(spec.metrics.join(","));
                input type="hidden" name="by" value=(spec.by.join(","));
                input type="hidden" name="grain" value=(spec.grain);
                input type="hidden" name="from" value=(spec.from);
                input type="hidden" name="to" value=(spec.to);
                input type="hidden" name="filter" value=(spec.filter);
                input type="hidden" name="compare" value=(spec.compare);
                label { (word("name", lang)) input name="name" required; }
                button type="submit" { (word("save", lang)) }
            }
            @let (metrics, by) = (spec.metrics.join(","), spec.by.join(","));
            @let fields: Vec<(&str, &str)> = match kept.opened {
                Some(name) => vec![("kind", "saved"), ("name", name)],
                None => vec![
                    ("kind", "metrics"),
                    ("metrics", &metrics),
                    ("by", &by),
                    ("grain", &spec.grain),
                    ("from", &spec.from),
                    ("to", &spec.to),
                    ("filter", &spec.filter),
                    ("compare", &spec.compare),
                ],
            };
            div.panel { (crate::dashboards::pin_form(viewer, kept.dashboards, &fields)) }
        }
        @if !kept.saved.is_empty() {
            h2 { (word("saved_reports", lang)) }
            ul.panel { @for name in kept.saved { li { a href={ "/builder?saved=" (crate::format::url_encode(name)) } { (name) } } } }
        }
    };
    layout(
        Some(viewer),
        lang,
        word("builder", lang),
        Some(Place::Builder),
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_goal_s_status_is_said_in_the_page_s_language() {
        assert_eq!(status_words("at_risk", "en"), "at risk");
        assert_eq!(status_words("behind", "es"), "retrasada");
        assert_eq!(status_words("on_track", "es"), "en camino");
    }
}
