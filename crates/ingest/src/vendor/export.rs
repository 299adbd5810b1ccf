//! A store written in a vendor's export shape (`embudo export --as VENDOR`): one CSV per
//! entity the vendor exports — companies, contacts, deals — with the vendor's headers, date
//! format, picklist values and statuses, so that what a team would get out of that CRM can
//! be tried end to end, and so that the presets are tested against the shape they read.
//!
//! Only live records are written (vendors do not export deleted ones); the records' Embudo
//! ids are their vendor ids. Pipedrive and ActiveCampaign keep a won or lost deal in the
//! stage it closed from, with its status saying how it closed: the stage written is the
//! last open stage of its history (the pipeline's first when it has none).

use super::Preset;
use crate::IngestError;
use chrono::{NaiveDate, NaiveDateTime};
use embudo_store::Store;
use embudo_store::export::{Exported, Written};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The entities a vendor export holds, in the order to import them.
pub const ENTITIES: [&str; 3] = ["companies", "contacts", "deals"];

/// Write `store` in `preset`'s export shape into `folder` (created if needed): one
/// `<entity>.csv` per entity; returns each file with its row count.
pub fn write(
    store: &Store,
    preset: Preset,
    folder: &Path,
) -> Result<Vec<(PathBuf, u64)>, IngestError> {
    std::fs::create_dir_all(folder).map_err(|e| IngestError::File {
        path: folder.to_path_buf(),
        problem: format!("cannot be created: {e}"),
    })?;
    let mut written = Vec::new();
    for entity in ENTITIES {
        let path = folder.join(format!("{entity}.csv"));
        let rows = write_entity(store, preset, entity, &path)?;
        written.push((path, rows));
    }
    Ok(written)
}

/// The headers of `entity`'s export, each with the canonical column it is written from: a
/// header is written when it is the first the vendor has for one of its columns.
fn headers(preset: Preset, entity: &str) -> Vec<(&'static str, &'static str)> {
    let mut first_for: BTreeMap<&str, &str> = BTreeMap::new();
    for (e, header, column) in preset.headers() {
        if *e == entity {
            first_for.entry(column).or_insert(header);
        }
    }
    let mut out: Vec<(&str, &str)> = Vec::new();
    for (e, header, column) in preset.headers() {
        if *e == entity
            && first_for.get(column) == Some(header)
            && !out.iter().any(|(h, _)| h == header)
        {
            out.push((header, column));
        }
    }
    out
}

fn write_entity(
    store: &Store,
    preset: Preset,
    entity: &str,
    path: &Path,
) -> Result<u64, IngestError> {
    let headers = headers(preset, entity);
    let (datetime, date) = formats(preset);
    let columns: Vec<(Exported, Written)> = headers
        .iter()
        .map(|(header, column)| exported(preset, entity, header, column))
        .collect();
    let rows = store.exported_rows(entity, &columns)?;
    let values = preset.values(entity);
    let bad = |e: csv::Error| IngestError::File {
        path: path.to_path_buf(),
        problem: format!("cannot be written: {e}"),
    };
    let mut writer = csv::Writer::from_path(path).map_err(bad)?;
    writer
        .write_record(headers.iter().map(|(h, _)| *h))
        .map_err(bad)?;
    for row in &rows.rows {
        let record =
            headers
                .iter()
                .zip(&columns)
                .zip(row)
                .map(|(((_, column), (_, written)), value)| {
                    let text = match (value, written) {
                        (Value::Null, _) => String::new(),
                        (Value::String(s), Written::Instant) => vendor_instant(s, datetime),
                        (Value::String(s), Written::Day) => vendor_day(s, date),
                        (Value::String(s), Written::Text) => s.clone(),
                        (other, _) => other.to_string(),
                    };
                    vendor_value(preset, &values, column, text)
                });
        writer.write_record(record).map_err(bad)?;
    }
    writer.flush().map_err(|e| bad(e.into()))?;
    Ok(rows.rows.len() as u64)
}

/// An instant as the store's results spell it (`2026-03-01T09:30:00`), in the vendor's
/// `format`; left as it is if it does not read as one.
fn vendor_instant(text: &str, format: &str) -> String {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .map_or_else(|_| text.to_owned(), |t| t.format(format).to_string())
}

/// A day (`2026-03-01`) in the vendor's `format`; left as it is if it does not read as one.
fn vendor_day(text: &str, format: &str) -> String {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_or_else(|_| text.to_owned(), |d| d.format(format).to_string())
}

/// The vendor's datetime and date formats, as `strftime` patterns (chrono's).
fn formats(preset: Preset) -> (&'static str, &'static str) {
    match preset {
        Preset::Hubspot => ("%Y-%m-%d %H:%M", "%Y-%m-%d"),
        Preset::Salesforce => ("%-m/%-d/%Y %-I:%M %p", "%-m/%-d/%Y"),
        Preset::Pipedrive | Preset::Activecampaign => ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
    }
}

/// What one column of the export is written from, and how. Column names come from the
/// presets' fixed tables, never from input.
fn exported(
    preset: Preset,
    entity: &str,
    header: &str,
    column: &'static str,
) -> (Exported, Written) {
    let closes_by_status = matches!(preset, Preset::Pipedrive | Preset::Activecampaign);
    match (entity, column) {
        (_, "external_id") => (Exported::Id, Written::Text),
        (_, "owner") => (Exported::OwnerName, Written::Text),
        ("companies", "parent") => (Exported::ParentName, Written::Text),
        (_, "company") if header.ends_with("IDs") => (Exported::CompanyId, Written::Text),
        ("contacts" | "deals", "company") => (Exported::CompanyName, Written::Text),
        ("deals", "contact") if header.ends_with("IDs") => (Exported::ContactId, Written::Text),
        ("deals", "contact") if matches!(preset, Preset::Pipedrive | Preset::Salesforce) => {
            (Exported::ContactName, Written::Text)
        }
        ("deals", "contact") => (Exported::ContactEmailOrName, Written::Text),
        ("deals", "pipeline") => (Exported::PipelineName, Written::Text),
        ("deals", "stage") if closes_by_status => (Exported::LastOpenStageName, Written::Text),
        ("deals", "stage") => (Exported::StageName, Written::Text),
        // One Close Date: the close of a closed deal, the expected close of an open one.
        ("deals", "closed_at") if header == "Close Date" && preset != Preset::Activecampaign => {
            let written = if preset == Preset::Salesforce {
                Written::Day
            } else {
                Written::Instant
            };
            (Exported::CloseOrExpectedClose, written)
        }
        (_, "created_at" | "updated_at" | "closed_at" | "lead_at" | "customer_at") => {
            (Exported::Field(column), Written::Instant)
        }
        (_, "expected_close_date" | "birth_date") => (Exported::Field(column), Written::Day),
        (_, column) => (Exported::Field(column), Written::Text),
    }
}

/// A canonical value in the vendor's words: its picklist value, its status spelling.
fn vendor_value(
    preset: Preset,
    values: &BTreeMap<String, BTreeMap<String, String>>,
    column: &str,
    text: String,
) -> String {
    if column == "status" {
        return match preset {
            Preset::Activecampaign => capitalised(&text),
            _ => text,
        };
    }
    // The label people see (`Organic Search`) rather than the internal value.
    let spoken = |from: &String| from.contains(' ') || from.chars().any(char::is_lowercase);
    values
        .get(column)
        .and_then(|pairs| {
            let mut meaning = pairs.iter().filter(|(_, to)| **to == text);
            meaning
                .clone()
                .find(|(from, _)| spoken(from))
                .or_else(|| meaning.next())
        })
        .map_or(text, |(from, _)| from.clone())
}

/// `won` → `Won`.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
