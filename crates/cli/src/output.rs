//! Rendering a [`Table`] for people (a terminal table), spreadsheets (CSV) or programs (JSON).

use crate::cli::Format;
use anyhow::Result;
use comfy_table::{ContentArrangement, presets::UTF8_FULL_CONDENSED};
use embudo_model::Table;
use serde_json::{Map, Value};
use std::io::Write;

/// Write `table` to stdout in `format`.
pub fn print(table: &Table, format: Format) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    write(table, format, &mut stdout)?;
    stdout.flush()?;
    Ok(())
}

pub fn write(table: &Table, format: Format, out: &mut impl Write) -> Result<()> {
    match format {
        Format::Html | Format::Xlsx | Format::Parquet => {
            anyhow::bail!(
                "--format html, xlsx and parquet are for reports and exports; use table, csv or json here"
            )
        }
        Format::Table => writeln!(out, "{}", terminal_table(table))?,
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(&table.columns)?;
            for row in &table.rows {
                writer.write_record(row.iter().map(plain_text))?;
            }
            writer.flush()?;
        }
        Format::Json => {
            let objects: Vec<Value> = table
                .rows
                .iter()
                .map(|row| {
                    let object: Map<String, Value> = table
                        .columns
                        .iter()
                        .cloned()
                        .zip(row.iter().cloned())
                        .collect();
                    Value::Object(object)
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &objects)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn terminal_table(table: &Table) -> comfy_table::Table {
    let mut out = comfy_table::Table::new();
    out.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(&table.columns);
    for row in &table.rows {
        out.add_row(row.iter().map(plain_text));
    }
    // Numbers read best right-aligned, and so do figures written for people (`1,234.50`,
    // `35.1%`).
    for (index, column) in out.column_iter_mut().enumerate() {
        if table
            .rows
            .iter()
            .any(|r| r.get(index).is_some_and(reads_as_number))
        {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    out
}

/// A number, or text that is a number as people write one: thousands separators, a
/// percent sign, a typographic minus.
fn reads_as_number(value: &Value) -> bool {
    match value {
        Value::Number(_) => true,
        Value::String(s) => s
            .trim_end_matches('%')
            .replace([',', '−'], "")
            .parse::<f64>()
            .is_ok(),
        _ => false,
    }
}

/// A cell as text: strings without quotes, null as empty.
fn plain_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Table {
        Table {
            columns: vec!["name".into(), "rows".into()],
            rows: vec![
                vec![json!("deals, won"), json!(3)],
                vec![json!("contacts"), Value::Null],
            ],
        }
    }

    fn render(format: Format) -> String {
        let mut out = Vec::new();
        write(&sample(), format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_commas_and_leaves_nulls_empty() {
        assert_eq!(
            render(Format::Csv),
            "name,rows\n\"deals, won\",3\ncontacts,\n"
        );
    }

    #[test]
    fn json_is_an_array_of_objects_keeping_types() {
        let parsed: Value = serde_json::from_str(&render(Format::Json)).unwrap();
        assert_eq!(
            parsed,
            json!([{"name": "deals, won", "rows": 3}, {"name": "contacts", "rows": null}])
        );
    }

    #[test]
    fn table_shows_headers_and_values() {
        let text = render(Format::Table);
        assert!(text.contains("name") && text.contains("deals, won") && text.contains('3'));
    }
}
