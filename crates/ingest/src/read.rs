//! Reading a file into a [`Sheet`]: a header row and records of text, whatever the file was.
//!
//! CSV files are decoded from UTF-8 (with or without a byte-order mark), UTF-16 (with one) or
//! Windows-1252 (Latin-1's superset: what Excel writes on Windows), and their delimiter is
//! sniffed among `,`, `;`, tab and `|`. Spreadsheets (XLSX, XLS, ODS) are read with calamine,
//! one sheet chosen by name or the first. JSON lines give one object per line.

use crate::IngestError;
use calamine::{Data, Reader};
use csv::StringRecord;
use embudo_model::text::spreadsheet_text;
use std::path::{Path, PathBuf};

/// A file's records: the header and the data rows, each with the row number a person
/// looking at the file would give it (the header is row 1).
#[derive(Debug, Clone)]
pub struct Sheet {
    pub path: PathBuf,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// Rows that could not be read as records at all (a JSON line that does not parse),
    /// with why; they are quarantined like any other bad row.
    pub unreadable: Vec<(usize, String, String)>,
    /// What the file turned out to be, for the summary ("CSV, windows-1252, ';'").
    pub kind: String,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub number: usize,
    pub fields: StringRecord,
}

impl Sheet {
    /// The column index of `header`, matched exactly, then ignoring case and surrounding space.
    pub fn column(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == header).or_else(|| {
            let wanted = header.trim().to_lowercase();
            self.headers
                .iter()
                .position(|h| h.trim().to_lowercase() == wanted)
        })
    }
}

/// The file types read, by extension.
pub const EXTENSIONS: [&str; 11] = [
    "csv", "tsv", "txt", "xlsx", "xlsm", "xls", "xlsb", "ods", "jsonl", "ndjson", "json",
];

/// `fields` with the cells a spreadsheet-safe export quoted as they were; copied only when
/// some cell starts with a quote, so an ordinary file is not copied row by row.
fn unquoted(fields: StringRecord) -> StringRecord {
    if fields.iter().any(|f| f.starts_with('\'')) {
        fields.iter().map(spreadsheet_text).collect()
    } else {
        fields
    }
}

/// Read `path`, choosing the reader by its extension (or, without one, by its first bytes).
pub fn read(path: &Path, sheet: Option<&str>) -> Result<Sheet, IngestError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let bad = |problem: String| IngestError::File {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot be read: {e}")))?;
    // Kept in step with `EXTENSIONS`.
    match extension.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => read_workbook(path, sheet),
        "jsonl" | "ndjson" | "json" => read_json_lines(path, bytes),
        "csv" | "tsv" | "txt" => read_csv(path, bytes),
        _ if bytes.starts_with(b"PK\x03\x04") => read_workbook(path, sheet),
        _ => read_csv(path, bytes),
    }
}

/// Decode CSV bytes to text: a BOM decides; else UTF-8 if the bytes are valid UTF-8, else
/// Windows-1252. Bytes that are neither text nor CSV (a NUL in the first kilobytes) are refused.
pub fn decode(bytes: Vec<u8>) -> Result<(String, &'static str), String> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(&bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if had_errors {
            return Err(format!("is not valid {} text", encoding.name()));
        }
        return Ok((text.into_owned(), encoding.name()));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err("is a binary file, not text".into());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, "UTF-8")),
        Err(not_utf8) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(not_utf8.as_bytes());
            Ok((text.into_owned(), "windows-1252"))
        }
    }
}

/// The delimiter among `, ; \t |` that splits the first lines into the most consistent
/// number of fields (more than one), ties going to the earlier candidate.
pub fn sniff_delimiter(text: &str) -> u8 {
    let sample: String = text.lines().take(50).collect::<Vec<_>>().join("\n");
    let mut best = (b',', 0.0, 0usize);
    for delimiter in [b',', b';', b'\t', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample.as_bytes());
        let counts: Vec<usize> = reader
            .records()
            .map_while(Result::ok)
            .map(|r| r.len())
            .collect();
        let Some(&width) = counts.first() else {
            continue;
        };
        if width < 2 {
            continue;
        }
        let consistent =
            counts.iter().filter(|&&c| c == width).count() as f64 / counts.len() as f64;
        if consistent > best.1 || (consistent == best.1 && width > best.2) {
            best = (delimiter, consistent, width);
        }
    }
    best.0
}

fn read_csv(path: &Path, bytes: Vec<u8>) -> Result<Sheet, IngestError> {
    let bad = |problem: String| IngestError::File {
        path: path.to_path_buf(),
        problem,
    };
    let (text, encoding) = decode(bytes).map_err(bad)?;
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let headers: Vec<String> = match records.next() {
        Some(Ok(header)) => header.iter().map(str::to_owned).collect(),
        Some(Err(e)) => return Err(bad(format!("has an unreadable header: {e}"))),
        None => return Err(bad("is empty".into())),
    };
    let mut rows = Vec::new();
    let mut unreadable = Vec::new();
    for (index, record) in records.enumerate() {
        let number = index + 2;
        match record {
            Ok(fields) if fields.iter().all(|f| f.trim().is_empty()) => {}
            Ok(fields) => rows.push(Row {
                number,
                fields: unquoted(fields),
            }),
            Err(e) => unreadable.push((number, e.to_string(), String::new())),
        }
    }
    let shown = match delimiter {
        b'\t' => "tab".to_owned(),
        d => format!("'{}'", d as char),
    };
    Ok(Sheet {
        path: path.to_path_buf(),
        headers,
        rows,
        unreadable,
        kind: format!("CSV, {encoding}, delimiter {shown}"),
    })
}

fn read_workbook(path: &Path, wanted: Option<&str>) -> Result<Sheet, IngestError> {
    let bad = |problem: String| IngestError::File {
        path: path.to_path_buf(),
        problem,
    };
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|e| bad(format!("is not a readable spreadsheet: {e}")))?;
    let names = workbook.sheet_names();
    let name = match wanted {
        Some(w) => names
            .iter()
            .find(|n| n.as_str() == w)
            .cloned()
            .ok_or_else(|| {
                bad(format!(
                    "has no sheet '{w}'; its sheets are {}",
                    names.join(", ")
                ))
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| bad("has no sheets".into()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| bad(format!("sheet '{name}' cannot be read: {e}")))?;
    let mut rows_iter = range.rows();
    let headers: Vec<String> = rows_iter
        .next()
        .ok_or_else(|| bad(format!("sheet '{name}' is empty")))?
        .iter()
        .map(cell_text)
        .collect();
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let rows = rows_iter
        .enumerate()
        .map(|(index, cells)| Row {
            number: first_row + index + 2,
            fields: cells
                .iter()
                .map(|cell| spreadsheet_text(&cell_text(cell)).to_owned())
                .collect(),
        })
        .filter(|row| row.fields.iter().any(|f| !f.trim().is_empty()))
        .collect();
    Ok(Sheet {
        path: path.to_path_buf(),
        headers,
        rows,
        unreadable: Vec::new(),
        kind: format!("spreadsheet, sheet '{name}'"),
    })
}

/// A spreadsheet cell as the text a CSV of it would hold: dates in ISO form, whole numbers
/// without a decimal point.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Data::Float(x) => x.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
    }
}

fn read_json_lines(path: &Path, bytes: Vec<u8>) -> Result<Sheet, IngestError> {
    let bad = |problem: String| IngestError::File {
        path: path.to_path_buf(),
        problem,
    };
    let (text, _) = decode(bytes).map_err(bad)?;
    let mut headers: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    let mut unreadable = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(object) => {
                for key in object.keys() {
                    if !headers.contains(key) {
                        headers.push(key.clone());
                    }
                }
                objects.push((number, object));
            }
            Err(e) => unreadable.push((
                number,
                format!("not a JSON object: {e}"),
                line.chars().take(200).collect(),
            )),
        }
    }
    if objects.is_empty() && unreadable.is_empty() {
        return Err(bad("is empty".into()));
    }
    if objects.is_empty() {
        return Err(bad("has no line that is a JSON object".into()));
    }
    let rows = objects
        .into_iter()
        .map(|(number, object)| Row {
            number,
            fields: headers
                .iter()
                .map(|h| match object.get(h) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect(),
        })
        .collect();
    Ok(Sheet {
        path: path.to_path_buf(),
        headers,
        rows,
        unreadable,
        kind: "JSON lines".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_the_one_that_splits_consistently() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter("name|note\nAna|a, b; c\n"), b'|');
        assert_eq!(sniff_delimiter("\"a,b\";c\n\"x,y\";z\n"), b';');
    }

    #[test]
    fn latin1_utf8_and_boms_decode_to_the_same_text() {
        let want = "Pérez,Málaga";
        assert_eq!(decode(want.into()).unwrap(), (want.to_owned(), "UTF-8"));
        let bom: Vec<u8> = [&[0xEF, 0xBB, 0xBF][..], want.as_bytes()].concat();
        assert_eq!(decode(bom).unwrap().0, want);
        let latin1: Vec<u8> = want.chars().map(|c| c as u32 as u8).collect();
        assert_eq!(decode(latin1).unwrap(), (want.to_owned(), "windows-1252"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(want.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(utf16).unwrap().0, want);
        assert!(decode(b"PK\x03\x04\x00\x00binary".to_vec()).is_err());
    }
}
