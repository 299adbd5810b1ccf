//! Reports as CSV: a section is a header of column keys and its rows; a pack is every
//! section of every report, each after a `# report / section` line.

use crate::model::{Report, Section};
use serde_json::Value;
use std::io::Write;

/// `section` as CSV: keys, then rows (null as empty, text unquoted unless it must be).
pub fn section(section: &Section, out: &mut dyn Write) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(section.columns.iter().map(|c| &c.key))?;
    for row in &section.rows {
        writer.write_record(row.iter().map(cell))?;
    }
    writer.flush()?;
    Ok(())
}

/// A value as a CSV cell (and any plain text) holds it: null as empty, text as itself,
/// anything else as its JSON.
pub fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value as a CSV cell: [`plain`], then made safe to open in a spreadsheet.
pub fn cell(value: &Value) -> String {
    embudo_model::text::spreadsheet_safe(&plain(value)).into_owned()
}

/// Every section of `reports`, each after a `# report / section` line and followed by a
/// blank line.
pub fn pack(reports: &[Report], out: &mut dyn Write) -> csv::Result<()> {
    for report in reports {
        for part in &report.sections {
            writeln!(out, "# {} / {}", report.report, part.name)?;
            section(part, out)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
