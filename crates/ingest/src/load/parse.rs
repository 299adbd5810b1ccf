//! A file's rows parsed for their columns and staged as text: the fields a mapping fills,
//! each date column's order and number column's separator, the parse of every value, the
//! rows rejected and why.

use super::*;

/// One row parsed: its staged texts, or why it cannot be imported.
pub(super) type Parsed<'a> = Result<Vec<Option<Cow<'a, str>>>, String>;

/// A field of the staged rows: a canonical column or a reference, and where its text
/// comes from.
#[derive(Debug, Clone)]
pub(super) struct Field {
    /// The canonical column or reference name; also the staged column's name.
    pub(super) key: String,
    pub(super) header: Option<(usize, String)>,
    /// Columns read in order where the header's is empty.
    pub(super) fallbacks: Vec<usize>,
    pub(super) column: Option<Column>,
    pub(super) reference: Option<&'static Reference>,
    pub(super) values: BTreeMap<String, String>,
    pub(super) default: Option<String>,
    pub(super) order: Option<DateOrder>,
    pub(super) decimal_comma: bool,
}

impl Field {
    pub(super) fn kind(&self) -> Kind {
        self.column.as_ref().map_or(Kind::Text, |c| c.kind)
    }

    /// How the source names this field in messages: `column 'Create Date' (created_at)`.
    pub(super) fn describe(&self) -> String {
        match &self.header {
            Some((_, header)) => format!("column '{header}' ({})", self.key),
            None => format!("default of {}", self.key),
        }
    }
}

/// A file read and checked against its mapping, ready to stage.
#[derive(Debug)]
pub(super) struct Prepared<'a> {
    pub(super) map: &'a FileMap,
    pub(super) target: Target,
    pub(super) sheet: &'a Sheet,
    pub(super) fields: Vec<Field>,
}

/// A file's rows that could not be imported: row number, reason, the row as it was.
pub(super) type Rejects = Vec<(usize, String, Vec<String>)>;

impl<'a> Prepared<'a> {
    pub(super) fn new(
        map: &'a FileMap,
        target: Target,
        sheet: &'a Sheet,
    ) -> Result<Prepared<'a>, IngestError> {
        let fields = fields(map, &target, sheet)?;
        Ok(Prepared {
            map,
            target,
            sheet,
            fields,
        })
    }

    /// Parse every row and stage the good ones as text in [`STAGED_TEXT`]; returns how many were
    /// staged and the rows rejected. Parsing runs on every core, a batch at a time, while
    /// the previous batch is appended: a million rows of dates and numbers is the slow part
    /// of an import. `on_parsed` hears of every batch.
    pub(super) fn stage(
        &self,
        store: &Store,
        on_parsed: &mut dyn FnMut(usize) -> Result<(), IngestError>,
    ) -> Result<(usize, Rejects), IngestError> {
        let keys: Vec<String> = self.fields.iter().map(|f| f.key.clone()).collect();
        let mut stager = store.stager(STAGED_TEXT, &keys)?;
        let mut rejects: Rejects = self
            .sheet
            .unreadable
            .iter()
            .map(|(n, why, text)| (*n, why.clone(), vec![text.clone()]))
            .collect();
        let mut pending: Vec<TextRow<'a>> = Vec::new();
        let mut staged = 0;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for batch in self.sheet.rows.chunks(PARSE_BATCH) {
            let parsed = std::thread::scope(|scope| -> Result<Vec<Parsed<'a>>, IngestError> {
                let parts: Vec<_> = batch
                    .chunks(batch.len().div_ceil(threads).max(10_000))
                    .map(|rows| {
                        scope.spawn(move || {
                            rows.iter().map(|r| self.parse_row(r)).collect::<Vec<_>>()
                        })
                    })
                    .collect();
                stager.append(&pending)?;
                Ok(parts
                    .into_iter()
                    .flat_map(|part| part.join().expect("a parser thread panicked"))
                    .collect())
            })?;
            staged += pending.len();
            pending.clear();
            for (row, parsed) in batch.iter().zip(parsed) {
                match parsed {
                    Ok(texts) => pending.push((row.number as i64, texts)),
                    Err(reason) => rejects.push((row.number, reason, row_texts(row))),
                }
            }
            on_parsed(batch.len())?;
        }
        stager.append(&pending)?;
        stager.finish()?;
        staged += pending.len();
        let repeated = self.reject_repeated_keys(store)?;
        staged -= repeated.len();
        rejects.extend(repeated);
        rejects.sort_by_key(|r| r.0);
        Ok((staged, rejects))
    }

    /// Take out of [`STAGED_TEXT`] every row whose key repeats the key of an earlier row,
    /// and return them as rejected. DuckDB finds them: a hash set of a million keys built on
    /// one thread was a tenth of the whole import's time.
    fn reject_repeated_keys(&self, store: &Store) -> Result<Rejects, IngestError> {
        let Some(key) = self.key_field().map(|k| &self.fields[k].key) else {
            return Ok(Vec::new());
        };
        let found = store.take_repeated_keys(key)?;
        Ok(found
            .into_iter()
            .map(
                |RepeatedKey {
                     row_no: number,
                     key: value,
                     first,
                 }| {
                    let fields = self
                        .sheet
                        .rows
                        .binary_search_by_key(&number, |r| r.number)
                        .map(|i| row_texts(&self.sheet.rows[i]))
                        .unwrap_or_default();
                    (
                        number,
                        format!("repeats {key} '{value}' of row {first}"),
                        fields,
                    )
                },
            )
            .collect())
    }

    /// The file as the store loads it once its rows are staged.
    pub(super) fn staged(&self) -> StagedFile<'_> {
        StagedFile {
            target: &self.target,
            fields: self
                .fields
                .iter()
                .map(|f| StagedField {
                    key: f.key.clone(),
                    column: f.column.clone(),
                    reference: f.reference,
                })
                .collect(),
            key_field: self.key_field(),
            pipeline: self.map.pipeline.as_ref(),
        }
    }

    /// The field rows are matched by: `id`, else the external id, else the natural key.
    pub(super) fn key_field(&self) -> Option<usize> {
        let position = |key: &str| self.fields.iter().position(|f| f.key == key);
        position("id")
            .or_else(|| {
                self.target
                    .has_external_id()
                    .then(|| position("external_id"))
                    .flatten()
            })
            .or_else(|| {
                self.target
                    .natural_keys()
                    .iter()
                    .find_map(|key| position(key))
            })
    }

    /// Parse one row into the staged texts, or say why it cannot be imported.
    pub(super) fn parse_row(&self, row: &'a crate::read::Row) -> Parsed<'a> {
        let width = self.sheet.headers.len();
        if row.fields.len() != width {
            return Err(format!(
                "has {} fields, the header has {width}",
                row.fields.len()
            ));
        }
        let fields = &row.fields;
        self.fields
            .iter()
            .map(|field| {
                let raw = field
                    .header
                    .iter()
                    .map(|(i, _)| *i)
                    .chain(field.fallbacks.iter().copied())
                    .filter_map(|i| fields.get(i))
                    .find(|text| !text.trim().is_empty())
                    .unwrap_or("");
                let trimmed = raw.trim();
                let mapped = field.values.get(trimmed).or_else(|| {
                    field
                        .values
                        .iter()
                        .find(|(from, _)| from.eq_ignore_ascii_case(trimmed))
                        .map(|(_, to)| to)
                });
                let text: Cow<'a, str> = match mapped {
                    Some(to) => Cow::Owned(to.clone()),
                    None if trimmed.is_empty() => match &field.default {
                        Some(d) => Cow::Owned(d.clone()),
                        None => return Ok(None),
                    },
                    // Text keeps its spaces: a trailing blank is the audit's to find.
                    None if field.kind() == Kind::Text && field.reference.is_none() => {
                        Cow::Borrowed(raw)
                    }
                    None => Cow::Borrowed(trimmed),
                };
                let text = if self.target.table == "deals" && field.key == "status" {
                    Cow::Owned(deal_status(&text).ok_or_else(|| {
                        format!("{}: '{text}' is not open, won or lost", field.describe())
                    })?)
                } else {
                    text
                };
                parse_value(field, text)
                    .map(Some)
                    .map_err(|(text, problem)| format!("{}: '{text}' {problem}", field.describe()))
            })
            .collect::<Result<Vec<_>, _>>()
            .and_then(|texts| {
                self.required_missing(&texts).map_or(Ok(texts), |field| {
                    Err(format!("{} is empty", field.describe()))
                })
            })
    }

    /// The first field whose column cannot be empty but is.
    pub(super) fn required_missing(&self, texts: &[Option<Cow<'a, str>>]) -> Option<&Field> {
        self.fields.iter().zip(texts).find_map(|(field, text)| {
            let required = match (&field.column, field.reference) {
                (Some(c), _) => c.required && !derived(self.target.table, &c.name),
                (None, Some(r)) => r.name == "stage",
                _ => false,
            };
            (required && text.is_none()).then_some(field)
        })
    }
}

/// A row's cells as the file had them, for the quarantine.
fn row_texts(row: &crate::read::Row) -> Vec<String> {
    row.fields.iter().map(str::to_owned).collect()
}

/// A deal's status as CRMs write it (`Won`, `closed lost`, `Ganado`…): open, won or lost.
fn deal_status(text: &str) -> Option<String> {
    let kind = stage_kind(text);
    let open = matches!(
        crate::mapping::normalise_header(text).as_str(),
        "open" | "abierto" | "abierta" | "in progress" | "en curso"
    );
    (kind != "open" || open).then(|| kind.to_owned())
}

/// Columns a row may leave empty because the import fills them: the id, the ones
/// `write::fallback` gives a value, and a deal's pipeline (the first one, when it names none).
pub(super) fn derived(table: &str, column: &str) -> bool {
    matches!(column, "id" | "created_at" | "updated_at")
        || matches!(
            (table, column),
            ("deals", "status" | "pipeline_id" | "currency")
                | ("orders", "currency")
                | ("users", "role")
        )
}

/// Canonical text for `text` in `field`'s column: what the cast to its SQL type reads.
/// Text stays borrowed from the file; a failure hands the text back with the problem.
pub(super) fn parse_value<'t>(
    field: &Field,
    text: Cow<'t, str>,
) -> Result<Cow<'t, str>, (Cow<'t, str>, &'static str)> {
    match canonical(field, &text) {
        Ok(None) => Ok(text),
        Ok(Some(canonical)) => Ok(Cow::Owned(canonical)),
        Err(problem) => Err((text, problem)),
    }
}

/// The canonical text of a typed value, `None` for text that is kept as it is.
pub(super) fn canonical(field: &Field, text: &str) -> Result<Option<String>, &'static str> {
    let typed = match field.kind() {
        Kind::Text => return Ok(None),
        // JSON is kept byte for byte once it parses.
        Kind::Json => {
            return serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map(|_| None)
                .map_err(|_| "is not JSON");
        }
        Kind::Int => {
            let number = value::parse_number(text, field.decimal_comma).ok_or("is not a number")?;
            let whole = match number.split_once('.') {
                None => number.as_str(),
                Some((whole, fraction)) if fraction.chars().all(|c| c == '0') => whole,
                Some(_) => return Err("is not a whole number"),
            };
            let value: i64 = whole.parse().map_err(|_| "is too large")?;
            let sql_type = field.column.as_ref().map_or("", |c| c.sql_type.as_str());
            let fits = match sql_type {
                "INTEGER" => i32::try_from(value).is_ok(),
                "SMALLINT" => i16::try_from(value).is_ok(),
                "TINYINT" => i8::try_from(value).is_ok(),
                _ => true,
            };
            fits.then(|| value.to_string()).ok_or("is too large")
        }
        Kind::Number => {
            let number = value::parse_number(text, field.decimal_comma).ok_or("is not a number")?;
            let sql_type = field.column.as_ref().map_or("", |c| c.sql_type.as_str());
            let digits = number
                .trim_start_matches('-')
                .split('.')
                .next()
                .unwrap_or("");
            let fits = decimal_digits(sql_type)
                .is_none_or(|room| digits.trim_start_matches('0').len() <= room);
            fits.then_some(number).ok_or("is too large")
        }
        Kind::Bool => value::parse_bool(text)
            .map(|b| b.to_string())
            .ok_or("is not yes or no"),
        Kind::Timestamp => value::parse_datetime(text, field.order)
            .map(value::timestamp_text)
            .ok_or("is not a date"),
        Kind::Date => value::parse_date(text, field.order)
            .map(|d| d.to_string())
            .ok_or("is not a date"),
    };
    typed.map(Some)
}

/// Digits a `DECIMAL(p,s)` holds before its point.
pub(super) fn decimal_digits(sql_type: &str) -> Option<usize> {
    let inner = sql_type.strip_prefix("DECIMAL(")?.strip_suffix(')')?;
    let (precision, scale) = inner.split_once(',')?;
    Some(precision.trim().parse::<usize>().ok()? - scale.trim().parse::<usize>().ok()?)
}

/// The fields a file fills, checked against the table and the file's headers, with each
/// date column's order and each number column's decimal separator decided.
pub(super) fn fields(
    map: &FileMap,
    target: &Target,
    sheet: &Sheet,
) -> Result<Vec<Field>, IngestError> {
    let file = map.path.display();
    let unknown = |key: &str| {
        IngestError::Mapping(format!(
            "{file}: '{key}' is not a column of {}; use one of {}",
            target.table,
            target.names().join(", ")
        ))
    };
    let mut keys: Vec<&String> = map.columns.keys().chain(map.defaults.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in map.values.keys() {
        if !keys.contains(&key) {
            return Err(IngestError::Mapping(format!(
                "{file}: values are given for '{key}', which is not mapped"
            )));
        }
    }
    let order = map
        .date_format
        .as_deref()
        .map(|f| {
            DateOrder::parse(f).ok_or_else(|| {
                IngestError::Mapping(format!(
                    "{file}: date_format '{f}' is neither D/M/Y nor M/D/Y"
                ))
            })
        })
        .transpose()?;
    let mut fields = Vec::new();
    for key in keys {
        let column = target.column(key).cloned();
        let reference = target.reference(key);
        if column.is_none() && reference.is_none() {
            return Err(unknown(key));
        }
        let header = match map.columns.get(key) {
            Some(header) => Some((
                sheet.column(header).ok_or_else(|| IngestError::File {
                    path: map.path.clone(),
                    problem: format!(
                        "has no column '{header}' (for {key}); its columns are {}",
                        sheet.headers.join(", ")
                    ),
                })?,
                header.clone(),
            )),
            None => None,
        };
        let fallbacks = map
            .fallbacks
            .get(key)
            .into_iter()
            .flatten()
            .map(|header| {
                sheet.column(header).ok_or_else(|| IngestError::File {
                    path: map.path.clone(),
                    problem: format!("has no column '{header}' (for {key})"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut field = Field {
            key: key.clone(),
            header,
            fallbacks,
            column,
            reference,
            values: map.values.get(key).cloned().unwrap_or_default(),
            default: map.defaults.get(key).map(|d| d.text()),
            order,
            decimal_comma: false,
        };
        decide_formats(&mut field, sheet, map)?;
        fields.push(field);
    }
    settle_ambiguous_dates(&mut fields, sheet, map)?;
    if target.table == "deals"
        && fields.iter().any(|f| f.key == "stage")
        && !fields
            .iter()
            .any(|f| f.key == "pipeline" || f.key == "pipeline_id")
    {
        fields.push(Field {
            key: "pipeline".into(),
            header: None,
            fallbacks: Vec::new(),
            column: None,
            reference: target.reference("pipeline"),
            values: BTreeMap::new(),
            default: None,
            order: None,
            decimal_comma: false,
        });
    }
    for column in target
        .columns
        .iter()
        .filter(|c| c.required && !derived(target.table, &c.name))
    {
        let filled = fields
            .iter()
            .any(|f| f.key == column.name || f.reference.is_some_and(|r| r.column == column.name));
        if !filled {
            return Err(IngestError::Mapping(format!(
                "{file}: {} need a value for {}: map a column to it, or give every row one under [file.defaults] in a mapping (--save-map writes the guessed one to edit)",
                target.table, column.name
            )));
        }
    }
    Ok(fields)
}

/// Decide a date column's day/month order, when its own dates tell it, and a number
/// column's decimal separator, by scanning the whole column.
pub(super) fn decide_formats(
    field: &mut Field,
    sheet: &Sheet,
    map: &FileMap,
) -> Result<(), IngestError> {
    let Some((index, header)) = field.header.clone() else {
        return Ok(());
    };
    let values = || sheet.rows.iter().filter_map(move |r| r.fields.get(index));
    match field.kind() {
        Kind::Timestamp | Kind::Date if field.order.is_none() => {
            field.order = value::detect_order(values()).map_err(|p| IngestError::File {
                path: map.path.clone(),
                problem: format!("column '{header}' {p}; its dates cannot all be right"),
            })?;
        }
        Kind::Int | Kind::Number => field.decimal_comma = value::decimal_comma(values()),
        _ => {}
    }
    Ok(())
}

/// Give the date columns whose own dates read two ways (`12/06/2026` alone) the order the
/// file's other date columns tell, when they all tell the same: a sheet is written in one
/// locale, so a `14/06/2026` beside it settles it. With no such column, or columns telling
/// both orders, the import stops and asks for the order.
fn settle_ambiguous_dates(
    fields: &mut [Field],
    sheet: &Sheet,
    map: &FileMap,
) -> Result<(), IngestError> {
    let is_date = |f: &Field| matches!(f.kind(), Kind::Timestamp | Kind::Date);
    let mut told = fields.iter().filter(|f| is_date(f)).filter_map(|f| f.order);
    let first = told.next();
    let file_order = first.filter(|order| told.all(|other| other == *order));
    for field in fields
        .iter_mut()
        .filter(|f| is_date(f) && f.order.is_none())
    {
        let Some((index, header)) = &field.header else {
            continue;
        };
        let values = sheet.rows.iter().filter_map(|r| r.fields.get(*index));
        let Some(example) = value::first_ambiguous(values) else {
            continue;
        };
        match file_order {
            Some(order) => field.order = Some(order),
            None => {
                return Err(IngestError::File {
                    path: map.path.clone(),
                    problem: format!(
                        "column '{header}' has dates that read two ways ('{example}'); set date_format = \"D/M/Y\" or \"M/D/Y\" in the mapping (--date-format)"
                    ),
                });
            }
        }
    }
    Ok(())
}
