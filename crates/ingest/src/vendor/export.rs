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
use embudo_store::{Dialect, Store};
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
    let dialect = store.dialect();
    let mut select = Vec::new();
    let mut shapes = Vec::new();
    for (header, column) in &headers {
        let (sql, shape) = expression(dialect, preset, entity, header, column);
        select.push(match shape {
            Shape::DateTime => format!("CAST({sql} AS TIMESTAMP)"),
            Shape::Date => format!("CAST({sql} AS DATE)"),
            Shape::Text => format!("CAST({sql} AS VARCHAR)"),
        });
        shapes.push(shape);
    }
    let (from, order) = source(entity);
    let sql = format!("SELECT {} FROM {from} ORDER BY {order}", select.join(", "));
    let rows = store.query_with(&sql, &[])?;
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
        let record = headers
            .iter()
            .zip(&shapes)
            .zip(row)
            .map(|(((_, column), shape), value)| {
                let text = match (value, shape) {
                    (Value::Null, _) => String::new(),
                    (Value::String(s), Shape::DateTime) => vendor_instant(s, datetime),
                    (Value::String(s), Shape::Date) => vendor_day(s, date),
                    (Value::String(s), Shape::Text) => s.clone(),
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

/// How a value is written.
enum Shape {
    DateTime,
    Date,
    Text,
}

/// The vendor's datetime and date formats, as `strftime` patterns (chrono's).
fn formats(preset: Preset) -> (&'static str, &'static str) {
    match preset {
        Preset::Hubspot => ("%Y-%m-%d %H:%M", "%Y-%m-%d"),
        Preset::Salesforce => ("%-m/%-d/%Y %-I:%M %p", "%-m/%-d/%Y"),
        Preset::Pipedrive | Preset::Activecampaign => ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
    }
}

/// The live rows of `entity` with the tables their names come from, and their order.
fn source(entity: &str) -> (&'static str, &'static str) {
    match entity {
        "companies" => (
            "live_companies t LEFT JOIN users u ON u.id = t.owner_id
             LEFT JOIN companies pc ON pc.id = t.parent_id",
            "t.id",
        ),
        "contacts" => (
            "live_contacts t LEFT JOIN users u ON u.id = t.owner_id
             LEFT JOIN companies co ON co.id = t.company_id",
            "t.id",
        ),
        _ => (
            "live_deals t LEFT JOIN users u ON u.id = t.owner_id
             LEFT JOIN companies co ON co.id = t.company_id
             LEFT JOIN contacts ct ON ct.id = t.contact_id
             LEFT JOIN pipelines p ON p.id = t.pipeline_id
             LEFT JOIN stages st ON st.id = t.stage_id",
            "t.id",
        ),
    }
}

/// The SQL of one column of the export and how it is written. Column names come from the
/// presets' fixed tables, never from input.
fn expression(
    dialect: Dialect,
    preset: Preset,
    entity: &str,
    header: &str,
    column: &str,
) -> (String, Shape) {
    let closes_by_status = matches!(preset, Preset::Pipedrive | Preset::Activecampaign);
    match (entity, column) {
        (_, "external_id") => ("t.id".into(), Shape::Text),
        (_, "owner") => ("u.name".into(), Shape::Text),
        ("companies", "parent") => ("pc.name".into(), Shape::Text),
        (_, "company") if header.ends_with("IDs") => ("t.company_id".into(), Shape::Text),
        ("contacts" | "deals", "company") => ("co.name".into(), Shape::Text),
        ("deals", "contact") if header.ends_with("IDs") => ("t.contact_id".into(), Shape::Text),
        ("deals", "contact") if matches!(preset, Preset::Pipedrive | Preset::Salesforce) => (
            "nullif(concat_ws(' ', ct.first_name, ct.last_name), '')".into(),
            Shape::Text,
        ),
        ("deals", "contact") => (
            "coalesce(ct.email, nullif(concat_ws(' ', ct.first_name, ct.last_name), ''))".into(),
            Shape::Text,
        ),
        ("deals", "pipeline") => ("p.name".into(), Shape::Text),
        ("deals", "stage") if closes_by_status => (
            format!(
                "CASE WHEN st.kind = 'open' THEN st.name ELSE coalesce(
                (SELECT {} FROM deal_stage_history h
                   JOIN stages s2 ON s2.id = h.stage_id WHERE h.deal_id = t.id AND s2.kind = 'open'),
                (SELECT {} FROM stages s3
                  WHERE s3.pipeline_id = t.pipeline_id AND s3.kind = 'open')) END",
                dialect.arg_max("s2.name", "h.entered_at"),
                dialect.arg_min("s3.name", "s3.position"),
            ),
            Shape::Text,
        ),
        ("deals", "stage") => ("st.name".into(), Shape::Text),
        // One Close Date: the close of a closed deal, the expected close of an open one.
        ("deals", "closed_at") if header == "Close Date" && preset != Preset::Activecampaign => {
            let shape = if preset == Preset::Salesforce {
                Shape::Date
            } else {
                Shape::DateTime
            };
            (
                "CASE WHEN t.status = 'open' THEN CAST(t.expected_close_date AS TIMESTAMP) ELSE t.closed_at END"
                    .into(),
                shape,
            )
        }
        (_, "created_at" | "updated_at" | "closed_at" | "lead_at" | "customer_at") => {
            (format!("t.{column}"), Shape::DateTime)
        }
        (_, "expected_close_date" | "birth_date") => (format!("t.{column}"), Shape::Date),
        (_, column) => (format!("t.{column}"), Shape::Text),
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
