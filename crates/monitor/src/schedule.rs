//! Scheduled reports: a canned report, the whole pack, or a saved custom report, delivered
//! on a cadence to users of the store, each in their own scope and language, and to a
//! webhook.

use crate::MonitorError;
use crate::cadence::Cadence;
use crate::deliver::{check_address, check_webhook};
use chrono::NaiveDateTime;
use embudo_access::scope::Over;
use embudo_access::session::caller_by_email;
use embudo_metrics::custom;
use embudo_reports::scope::restrict_spec;
use embudo_store::Store;
use embudo_store::monitor::NewSchedule;
use serde::Serialize;
use std::collections::BTreeMap;

/// The report filters a schedule may fix.
pub const FILTERS: [&str; 4] = ["pipeline", "owner", "team", "source"];

/// What is attached to a delivery's e-mail (the body is always the HTML report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Attach {
    /// Nothing: the report is the body.
    Html,
    Xlsx,
    Csv,
}

impl Attach {
    pub fn as_str(self) -> &'static str {
        match self {
            Attach::Html => "html",
            Attach::Xlsx => "xlsx",
            Attach::Csv => "csv",
        }
    }
}

impl std::str::FromStr for Attach {
    type Err = MonitorError;

    fn from_str(text: &str) -> Result<Attach, MonitorError> {
        match text {
            "html" => Ok(Attach::Html),
            "xlsx" => Ok(Attach::Xlsx),
            "csv" => Ok(Attach::Csv),
            other => Err(MonitorError::Invalid(format!(
                "--format '{other}': a delivery is html, xlsx or csv"
            ))),
        }
    }
}

/// A scheduled report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub name: String,
    /// A canned report's name, `all` for the pack, or `saved:NAME` for a saved custom report
    /// (its metrics, dimensions and filters, over each delivery's period).
    pub report: String,
    pub filters: BTreeMap<String, String>,
    pub cadence: Cadence,
    /// E-mail addresses of users of the store.
    pub recipients: Vec<String>,
    pub webhook: Option<String>,
    pub format: Attach,
    pub created_at: NaiveDateTime,
}

/// A name people type: letters, digits, `-` and `_`.
pub(crate) fn check_name(name: &str) -> Result<(), MonitorError> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fine {
        Ok(())
    } else {
        Err(MonitorError::Invalid(format!(
            "name '{name}': use up to 64 letters, digits, - and _"
        )))
    }
}

/// Check that every recipient is an active user allowed to `see` what is sent, and that
/// there is somewhere to send it.
pub(crate) fn check_targets(
    store: &Store,
    recipients: &[String],
    webhook: Option<&str>,
    see: impl Fn(&embudo_access::Caller) -> Result<(), String>,
) -> Result<(), MonitorError> {
    if recipients.is_empty() && webhook.is_none() {
        return Err(MonitorError::Invalid(
            "nobody to deliver to: add --to e-mail,… or --webhook URL".into(),
        ));
    }
    for address in recipients {
        check_address(address)?;
        let Some(caller) = caller_by_email(store, address)? else {
            return Err(MonitorError::Invalid(format!(
                "'{address}' is not an active user of this store: deliveries go to users, in their scope (add them with `embudo user add`)"
            )));
        };
        see(&caller).map_err(|why| MonitorError::Invalid(format!("{address}: {why}")))?;
    }
    if let Some(url) = webhook {
        check_webhook(url)?;
    }
    Ok(())
}

/// How a schedule names a saved custom report: `saved:NAME`.
pub const SAVED: &str = "saved:";

impl Schedule {
    /// The saved custom report it delivers, if it delivers one.
    pub fn saved(&self) -> Option<&str> {
        self.report.strip_prefix(SAVED)
    }

    /// Check and store a new schedule.
    pub fn add(&self, store: &Store) -> Result<(), MonitorError> {
        check_name(&self.name)?;
        match self.saved() {
            Some(saved) => self.check_saved(store, saved)?,
            None => self.check_canned(store)?,
        }
        if get(store, &self.name)?.is_some() {
            return Err(MonitorError::Invalid(format!(
                "a schedule named '{}' exists: remove it first (`embudo schedule rm {}`)",
                self.name, self.name
            )));
        }
        store.insert_schedule(&NewSchedule {
            name: &self.name,
            report: &self.report,
            filters: &serde_json::to_string(&self.filters).expect("a map of strings"),
            cadence: self.cadence.stored(),
            recipients: &serde_json::to_string(&self.recipients).expect("strings"),
            webhook: self.webhook.as_deref(),
            format: self.format.as_str(),
            created_at: self.created_at,
        })?;
        Ok(())
    }

    /// A canned report or the pack: it exists, its filters are a report's, and each
    /// recipient may open it.
    fn check_canned(&self, store: &Store) -> Result<(), MonitorError> {
        let pack = self.report == "all";
        if !pack && !embudo_reports::NAMES.contains(&self.report.as_str()) {
            return Err(MonitorError::Invalid(format!(
                "no report '{}'; `embudo report list` names them, or use --pack or --saved",
                self.report
            )));
        }
        if let Some(key) = self.filters.keys().find(|k| !FILTERS.contains(&k.as_str())) {
            return Err(MonitorError::Invalid(format!(
                "filter '{key}': a schedule may fix {}",
                FILTERS.join(", ")
            )));
        }
        check_targets(store, &self.recipients, self.webhook.as_deref(), |caller| {
            // A rep's copy is narrowed to their own records; a report their role cannot open
            // at all cannot be sent to them (a pack leaves such reports out).
            if !pack && caller.report(&self.report) == Over::Denied {
                return Err(format!(
                    "a {} cannot open the {} report",
                    caller.role.as_str(),
                    self.report
                ));
            }
            Ok(())
        })
    }

    /// A saved custom report: it exists, it carries its own filters, and each recipient may
    /// open it (theirs or shared) and query every metric of it over their own records.
    fn check_saved(&self, store: &Store, saved: &str) -> Result<(), MonitorError> {
        custom::load(store, saved, None)?;
        if !self.filters.is_empty() {
            return Err(MonitorError::Invalid(
                "a saved report carries its own filters: drop --filter".into(),
            ));
        }
        check_targets(store, &self.recipients, self.webhook.as_deref(), |caller| {
            let mut spec =
                custom::load(store, saved, Some(caller.user_id)).map_err(|e| e.to_string())?;
            restrict_spec(store, caller, &mut spec).map_err(|e| e.to_string())
        })
    }
}

/// Every schedule, by name.
pub fn list(store: &Store) -> Result<Vec<Schedule>, MonitorError> {
    read(store, None)
}

/// The schedule called `name`.
pub fn get(store: &Store, name: &str) -> Result<Option<Schedule>, MonitorError> {
    Ok(read(store, Some(name))?.into_iter().next())
}

/// Remove the schedule called `name`; false when there is none. Its deliveries stay in the
/// journal.
pub fn remove(store: &Store, name: &str) -> Result<bool, MonitorError> {
    Ok(store.delete_schedule(name)?)
}

fn read(store: &Store, name: Option<&str>) -> Result<Vec<Schedule>, MonitorError> {
    let stored = store.schedule_rows(name)?;
    stored
        .into_iter()
        .map(|row| {
            Ok(Schedule {
                cadence: Cadence::from_stored(&row.cadence)?,
                filters: serde_json::from_str(&row.filters).unwrap_or_default(),
                recipients: serde_json::from_str(&row.recipients).unwrap_or_default(),
                format: row.format.parse()?,
                created_at: crate::watch::instant_from_micros(row.created_at)?,
                name: row.name,
                report: row.report,
                webhook: row.webhook,
            })
        })
        .collect()
}
