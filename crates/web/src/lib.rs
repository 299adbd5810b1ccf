//! The web dashboard's pages as HTML: layout and navigation, the login form, home, one page
//! per report, the pipeline board. Rendering only — the server fetches the data, checks who
//! may see it and hands it here; nothing in this crate reads the store or speaks HTTP.
//!
//! - [`text`]: the interface's words in English and Spanish.
//! - [`format`]: numbers as each language writes them (1,234.56 / 1.234,56).
//! - [`pages`]: the pages; [`audit`]: the data-audit pages; [`dashboards`]: dashboards
//!   people compose; [`manage`]: goals and administration; [`notices`]: notifications and
//!   the records behind alerts; [`records`]: a deal's, contact's or company's own page.
//!
//! Styles and scripts are this project's own, embedded ([`CSS`], [`JS`]) and served by the
//! server: no CDN, no build step. Every page works without the script; the script adds
//! table sorting, date presets, a loading notice and dragging cards on the board.

pub mod audit;
pub mod dashboards;
pub mod format;
pub mod manage;
pub mod notices;
pub mod pages;
pub mod records;
pub mod text;

/// The stylesheet, served as `/assets/app.css`.
pub const CSS: &str = include_str!("../assets/app.css");

/// The script, served as `/assets/app.js`.
pub const JS: &str = include_str!("../assets/app.js");

/// Who is looking, and what the navigation offers them.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub name: String,
    pub role: String,
    /// `en` or `es`.
    pub lang: String,
    /// The session's CSRF token, for forms and the board's script.
    pub csrf: String,
    /// The reports they may open: (name, title).
    pub reports: Vec<(String, String)>,
    /// Whether the pipeline board is theirs to see.
    pub board: bool,
    /// Whether the data audit is (admins).
    pub admin: bool,
    /// The store's currency (ISO code), for money.
    pub currency: String,
}
