//! One XLSX workbook for one report or a pack: a sheet per section with a bold, frozen
//! header and typed cells (numbers stay numbers, with money, percentage and count
//! formats), and a first sheet with each report's parameters, insights and notes.

use crate::ReportError;
use crate::model::{Kind, Report};
use embudo_model::text::spreadsheet_safe;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;
use std::collections::HashSet;

impl From<XlsxError> for ReportError {
    fn from(e: XlsxError) -> ReportError {
        ReportError::Invalid(format!("writing the workbook: {e}"))
    }
}

/// The workbook as bytes.
pub fn workbook(reports: &[Report]) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut names = HashSet::new();
    let about = book.add_worksheet();
    let spanish = reports
        .first()
        .is_some_and(|r| r.params.get("lang").and_then(|l| l.as_str()) == Some("es"));
    about.set_name(match (reports.len() == 1, spanish) {
        (true, false) => "About",
        (false, false) => "Contents",
        (true, true) => "Acerca de",
        (false, true) => "Contenido",
    })?;
    let mut row = 0;
    for report in reports {
        about.write_string_with_format(row, 0, &report.title, &bold)?;
        row += 1;
        for (key, value) in &report.params {
            about.write_string(row, 0, key)?;
            about.write_string(
                row,
                1,
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned),
            )?;
            row += 1;
        }
        for line in report.insights.iter().chain(&report.notes) {
            about.write_string(row, 0, line)?;
            row += 1;
        }
        row += 1;
    }
    about.set_column_width(0, 60)?;
    for report in reports {
        for section in &report.sections {
            let sheet = book.add_worksheet();
            sheet.set_name(sheet_name(
                &report.title,
                &section.title,
                reports.len() > 1,
                &mut names,
            ))?;
            for (c, column) in section.columns.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, &column.label, &bold)?;
            }
            for (r, values) in section.rows.iter().enumerate() {
                for (c, (value, column)) in values.iter().zip(&section.columns).enumerate() {
                    write_cell(sheet, r as u32 + 1, c as u16, value, column.kind)?;
                }
            }
            sheet.set_freeze_panes(1, 0)?;
            sheet.autofit();
        }
    }
    Ok(book.save_to_buffer()?)
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Value,
    kind: Kind,
) -> Result<(), XlsxError> {
    match value {
        Value::Null => Ok(()),
        Value::Bool(b) => sheet.write_boolean(row, col, *b).map(|_| ()),
        Value::Number(n) => {
            let pattern = match kind {
                Kind::Money => "#,##0.00",
                Kind::Ratio => "0.0%",
                Kind::Count => "#,##0",
                Kind::Days | Kind::Hours | Kind::Minutes => "0.0",
                Kind::Number | Kind::Text => "General",
            };
            let format = Format::new().set_num_format(pattern);
            sheet
                .write_number_with_format(row, col, n.as_f64().unwrap_or_default(), &format)
                .map(|_| ())
        }
        Value::String(s) => sheet
            .write_string(row, col, spreadsheet_safe(s))
            .map(|_| ()),
        other => sheet
            .write_string(row, col, spreadsheet_safe(&other.to_string()))
            .map(|_| ()),
    }
}

/// The most characters Excel allows in a sheet name.
const SHEET_NAME: usize = 31;

/// A unique sheet name of at most 31 characters without the characters Excel forbids, from
/// the section's title as people read it; in a pack, led by the report's short title when
/// both fit (`Profitability · By customer`).
fn sheet_name(report: &str, section: &str, prefix: bool, taken: &mut HashSet<String>) -> String {
    let allowed = |text: &str| -> String {
        text.chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .collect::<String>()
            .trim_matches(|c: char| c == '\'' || c.is_whitespace())
            .to_owned()
    };
    let section = allowed(section);
    // "Sales cycle report" is "Sales cycle" on a tab; "Informe de ciclo de ventas", "ciclo
    // de ventas".
    let report = allowed(report);
    let report = report
        .strip_suffix(" report")
        .or_else(|| report.strip_prefix("Informe de "))
        .or_else(|| report.strip_prefix("Informe "))
        .unwrap_or(&report);
    let mut letters = report.chars();
    let report: String = letters
        .next()
        .map(|first| first.to_uppercase().chain(letters).collect())
        .unwrap_or_default();
    let led = format!("{report} · {section}");
    let raw = if prefix && led.chars().count() <= SHEET_NAME {
        led
    } else {
        section
    };
    let clean: String = raw
        .chars()
        .take(SHEET_NAME)
        .collect::<String>()
        .trim_end()
        .to_owned();
    let mut name = clean.clone();
    let mut n = 2;
    while !taken.insert(name.to_lowercase()) {
        let suffix = format!(" {n}");
        name = format!(
            "{}{suffix}",
            clean
                .chars()
                .take(SHEET_NAME - suffix.len())
                .collect::<String>()
        );
        n += 1;
    }
    name
}
