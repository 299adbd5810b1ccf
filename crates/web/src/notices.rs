//! The notifications pages: what fired for the visitor, read or unread; one notification
//! with the records behind it and its corrective action; and a list of records behind a
//! home-page alert.

use crate::Viewer;
use crate::pages::{Place, layout};
use crate::text::{say, word};
use maud::{Markup, html};

/// A notification in the list.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: i64,
    pub when: String,
    pub rule: String,
    /// The message's first line.
    pub summary: String,
    pub unread: bool,
}

/// Records as a table of display strings.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Each row's own page, linked from its first cell (none where it has no page or the
    /// list is shorter than the rows).
    pub links: Vec<Option<String>>,
}

/// What a notification offers to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// Create a follow-up task for each deal's owner.
    FollowUp,
    /// Undo the follow-up taken from it.
    Undo,
    /// The follow-up was taken and undone.
    Undone,
    /// A page that shows why: (address, words).
    Link(String, String),
}

/// One notification as its page shows it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: i64,
    pub rule: String,
    pub when: String,
    pub text: String,
    pub records: Option<Table>,
    /// Records named when it fired that the visitor no longer sees (closed, gone, or
    /// outside their scope now).
    pub hidden: usize,
    pub offers: Vec<Offer>,
}

/// `GET /notifications`.
pub fn list(viewer: &Viewer, listed: &[Listed], message: Option<&str>) -> String {
    let lang = viewer.lang.as_str();
    let unread = listed.iter().filter(|n| n.unread).count();
    let body = html! {
        h1 { (word("notifications", lang)) }
        @if let Some(message) = message { p.insights role="status" { (message) } }
        @if listed.is_empty() {
            p { (word("no_notifications", lang)) }
        } @else {
            @if unread > 0 {
                form method="post" action="/notifications/read" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    button type="submit" { (word("mark_all_read", lang)) }
                }
            }
            div.panel {
                table {
                    thead { tr { th { (word("when", lang)) } th { (word("alert", lang)) } th { (word("says", lang)) } } }
                    tbody {
                        @for notice in listed {
                            tr.unread[notice.unread] data-notification=(notice.id) {
                                td { (notice.when) }
                                td { (notice.rule) }
                                td {
                                    a href={ "/notifications/" (notice.id) } {
                                        @if notice.unread { strong { (notice.summary) } } @else { (notice.summary) }
                                    }
                                    @if notice.unread { " " span.badge { (word("unread", lang)) } }
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
        word("notifications", lang),
        Some(Place::Notifications),
        body,
    )
}

/// `GET /notifications/{id}`.
pub fn one(viewer: &Viewer, shown: &Shown, message: Option<&str>) -> String {
    let lang = viewer.lang.as_str();
    let action = |path: &str, words: &str| {
        html! {
            form method="post" action={ "/notifications/" (shown.id) "/" (path) } {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button type="submit" { (words) }
            }
        }
    };
    let body = html! {
        h1 { (shown.rule) }
        p { a href="/notifications" { "← " (word("notifications", lang)) } " · " (shown.when) }
        @if let Some(message) = message { p.insights role="status" { (message) } }
        // With the records in a table below, the message's own list of them is folded.
        @match (&shown.records, shown.text.split_once('\n')) {
            (Some(_), Some((head, _))) => div.panel {
                p.message { (head) }
                details { summary { (word("whole_message", lang)) } pre.message { (shown.text) } }
            },
            _ => div.panel { pre.message { (shown.text) } },
        }
        @if !shown.offers.is_empty() {
            h2 { (word("what_to_do", lang)) }
            div.panel.offers {
                @for offer in &shown.offers {
                    @match offer {
                        Offer::FollowUp => (action("act", word("follow_up_each", lang))),
                        Offer::Undo => (action("undo", word("undo_follow_up", lang))),
                        Offer::Undone => p { (word("follow_up_undone", lang)) },
                        Offer::Link(href, words) => p { a href=(href) { (words) } },
                    }
                }
            }
        }
        @if let Some(table) = &shown.records {
            h2 { (word("records_behind", lang)) }
            (records_table(table))
        }
        @if shown.hidden > 0 {
            p.notes { (say("records_hidden", lang, &[("count", &shown.hidden.to_string())])) }
        }
    };
    layout(
        Some(viewer),
        lang,
        &shown.rule,
        Some(Place::Notifications),
        body,
    )
}

/// A list of records behind a home-page alert: a title, what they are, the table.
pub fn records(viewer: &Viewer, title: &str, intro: &str, table: &Table) -> String {
    let lang = viewer.lang.as_str();
    let body = html! {
        h1 { (title) }
        p { (intro) }
        @if table.rows.is_empty() {
            p { (word("no_records", lang)) }
        } @else {
            (records_table(table))
        }
    };
    layout(Some(viewer), lang, title, Some(Place::Home), body)
}

pub(crate) fn records_table(table: &Table) -> Markup {
    let link = |row: usize| table.links.get(row).and_then(Option::as_deref);
    html! {
        div.panel.scroll {
            table.sortable {
                thead { tr { @for column in &table.columns { th { (column) } } } }
                tbody {
                    @for (r, row) in table.rows.iter().enumerate() {
                        tr {
                            @for (c, cell) in row.iter().enumerate() {
                                td {
                                    @if let (0, Some(href)) = (c, link(r)) {
                                        a href=(href) { (cell) }
                                    } @else {
                                        (cell)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer() -> Viewer {
        Viewer {
            name: "Ana".into(),
            role: "manager".into(),
            lang: "es".into(),
            csrf: "token".into(),
            reports: Vec::new(),
            board: true,
            admin: false,
            currency: "EUR".into(),
        }
    }

    /// An unread notification is marked so in words, not by its weight alone, and the page
    /// offers to mark all read only when something is unread.
    #[test]
    fn unread_is_said_and_marking_all_read_is_offered_only_then() {
        let unread = Listed {
            id: 7,
            when: "2026-06-29 09:00".into(),
            rule: "stuck".into(),
            summary: "stuck: 3 open deals".into(),
            unread: true,
        };
        let page = list(&viewer(), std::slice::from_ref(&unread), None);
        assert!(page.contains("no leída"), "{page}");
        assert!(page.contains("/notifications/read"));
        let read = Listed {
            unread: false,
            ..unread
        };
        let page = list(&viewer(), &[read], None);
        assert!(!page.contains("no leída"));
        assert!(!page.contains("/notifications/read"));
    }

    /// A follow-up offer posts to the notification's own action, with the session's token.
    #[test]
    fn the_follow_up_offer_posts_to_its_notification() {
        let shown = Shown {
            id: 12,
            rule: "stuck".into(),
            when: "2026-06-29 09:00".into(),
            text: "stuck: 1 open deal".into(),
            records: Some(Table {
                columns: vec!["Deal".into()],
                rows: vec![vec!["Acme renewal".into()]],
                links: vec![Some("/deals/3".into())],
            }),
            hidden: 2,
            offers: vec![Offer::FollowUp],
        };
        let page = one(&viewer(), &shown, None);
        assert!(page.contains(r#"action="/notifications/12/act""#), "{page}");
        assert!(page.contains(r#"value="token""#));
        assert!(
            page.contains(r#"<a href="/deals/3">Acme renewal</a>"#),
            "{page}"
        );
        assert!(page.contains("2 registros"), "{page}");
    }
}
