//! Writing the staged rows: what each column gets, the updates, the inserts, the stage
//! history synthesised for deals.

use super::{Column, ImportRules, STAGED, StagedFile};
use crate::Dialect;
use crate::error::Result;
use crate::pg_indexes;
use crate::query::Param;
use crate::store::Store;

/// The value each target column gets from a staged row, as SQL over the alias `s`, with
/// What one target column gets from a staged row (alias `s`): SQL, the parameters it
/// binds in order, and whether the file gave it (an update touches only those).
#[derive(Debug)]
pub(crate) struct Assignment {
    pub(crate) column: String,
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
    pub(crate) from_file: bool,
}

/// The value each target column gets from a staged row: the file's value, falling back on
/// [`fallback`] when the row has none; references by the id they found; and, for columns
/// the file does not give, the fallback alone.
pub(crate) fn assignments(
    dialect: Dialect,
    file: &StagedFile,
    rules: &ImportRules,
) -> Vec<Assignment> {
    let mut out: Vec<Assignment> = Vec::new();
    for field in &file.fields {
        if let Some(column) = &field.column {
            if column.name == "id" {
                continue;
            }
            let cast = format!("CAST(s.\"{}\" AS {})", field.key, column.sql_type);
            let deal_status = deal_status_sql(file).filter(|_| file.target.table == "deals");
            let stage_mapped = file.fields.iter().any(|f| f.key == "stage");
            let fallback = fallback(file, column, rules);
            let (sql, params) = match (column.name.as_str(), fallback, &deal_status) {
                // A deal's status is its stage's kind (the file's status has chosen the
                // stage when it closed the deal in an open one).
                ("status", _, Some(status)) if stage_mapped => (status.clone(), vec![]),
                // An open deal has not closed: a close date in its row is an expected one.
                ("closed_at", fallback, Some(status)) => {
                    let (value, params) = match fallback {
                        Some((fallback, params)) => {
                            (format!("coalesce({cast}, {fallback})"), params)
                        }
                        None => (cast.clone(), vec![]),
                    };
                    (
                        format!("CASE WHEN {status} = 'open' THEN NULL ELSE {value} END"),
                        params,
                    )
                }
                ("custom", _, _) => (
                    format!(
                        "CASE WHEN s.unresolved IS NULL THEN {cast}
                              ELSE CAST({} AS JSON) END",
                        dialect.json_merge_patch(
                            &format!("coalesce({cast}, '{{}}')"),
                            &dialect.json_object("'unresolved', CAST(s.unresolved AS JSON)")
                        )
                    ),
                    vec![],
                ),
                (_, Some((fallback, params)), _) => {
                    (format!("coalesce({cast}, {fallback})"), params)
                }
                (_, None, _) => (cast, vec![]),
            };
            out.push(Assignment {
                column: column.name.clone(),
                sql,
                params,
                from_file: true,
            });
        } else if let Some(reference) = field.reference {
            out.push(Assignment {
                column: reference.column.to_owned(),
                sql: format!("s.\"{}__id\"", field.key),
                params: vec![],
                from_file: true,
            });
        }
    }
    for column in &file.target.columns {
        if column.name == "id" || out.iter().any(|a| a.column == column.name) {
            continue;
        }
        let unresolved_kept =
            column.name == "custom" && file.fields.iter().any(|f| f.reference.is_some());
        let (sql, params) = match column.name.as_str() {
            "source_system" => (
                "?".to_owned(),
                vec![Param::Text(rules.source_system.to_owned())],
            ),
            _ if unresolved_kept => (
                format!(
                    "CASE WHEN s.unresolved IS NOT NULL THEN CAST({} AS JSON) END",
                    dialect.json_object("'unresolved', CAST(s.unresolved AS JSON)")
                ),
                vec![],
            ),
            _ => match fallback(file, column, rules) {
                Some(value) => value,
                None => continue,
            },
        };
        // A deal's status follows the stage the file gives.
        let from_file = column.name == "status" && file.fields.iter().any(|f| f.key == "stage");
        out.push(Assignment {
            column: column.name.clone(),
            sql,
            params,
            from_file,
        });
    }
    out
}

/// What a column gets when a row has no value for it: a deal's creation, the earliest date
/// known of it (flagged inferred), and the latest moment it is known to have existed
/// (`existed_by`), which bounds that date later too; a lead's date, its creation when the
/// file gives sources and no lead dates (flagged inferred); the import's instant for other
/// creation and update times, the import's currency, `rep` for a user's role, a deal's status from its stage,
/// else the column's own default.
fn fallback(
    file: &StagedFile,
    column: &Column,
    rules: &ImportRules,
) -> Option<(String, Vec<Param>)> {
    let mapped = |k: &str| file.fields.iter().any(|f| f.key == k);
    let now = Param::Timestamp(rules.now);
    Some(match (file.target.table, column.name.as_str()) {
        ("deals", "created_at") => earliest_known_of_deal(file, &now),
        ("deals", "created_at_inferred") if mapped("created_at") => {
            ("s.created_at IS NULL".into(), vec![])
        }
        ("deals", "created_at_inferred") => ("true".into(), vec![]),
        // Kept for undated deals only: a later write loses what it comes from.
        ("deals", "existed_by") => {
            let (bound, params) = existed_by(file, &now);
            if mapped("created_at") {
                (
                    format!("CASE WHEN s.created_at IS NULL THEN {bound} END"),
                    params,
                )
            } else {
                (bound.to_owned(), params)
            }
        }
        // A file that gives lead sources and no lead dates at all says its contacts are
        // leads, since their creation. (A file with a lead date column means what it says
        // where it leaves one empty: that contact never became a lead.)
        ("contacts", "lead_at") if mapped("lead_source") && !mapped("lead_at") => {
            let created = if mapped("created_at") {
                "CAST(s.created_at AS TIMESTAMP)"
            } else {
                "NULL"
            };
            (
                format!(
                    "CASE WHEN s.lead_source IS NOT NULL THEN coalesce({created}, CAST(? AS TIMESTAMP)) END"
                ),
                vec![now],
            )
        }
        ("contacts", "lead_at_inferred") if mapped("lead_source") && !mapped("lead_at") => {
            ("s.lead_source IS NOT NULL".into(), vec![])
        }
        (_, "created_at") if column.required => ("CAST(? AS TIMESTAMP)".into(), vec![now]),
        (_, "updated_at") if column.required && mapped("created_at") => (
            "coalesce(CAST(s.created_at AS TIMESTAMP), ?)".into(),
            vec![now],
        ),
        (_, "updated_at") if column.required => ("CAST(? AS TIMESTAMP)".into(), vec![now]),
        ("deals" | "orders", "currency") => {
            ("?".into(), vec![Param::Text(rules.currency.to_owned())])
        }
        ("users", "role") => ("'rep'".into(), vec![]),
        ("deals", "status") if mapped("stage") => (
            "(SELECT kind FROM stages WHERE id = s.stage__id)".into(),
            vec![],
        ),
        _ => (column.default_sql.clone()?, vec![]),
    })
}

/// A staged deal's status as SQL: its stage's kind when the file names stages, else the
/// file's status, else none.
fn deal_status_sql(file: &StagedFile) -> Option<String> {
    let mapped = |k: &str| file.fields.iter().any(|f| f.key == k);
    if mapped("stage") {
        Some("(SELECT kind FROM stages WHERE id = s.stage__id)".to_owned())
    } else if mapped("status") {
        Some("s.status".to_owned())
    } else {
        None
    }
}

/// The latest moment a staged deal is known to have existed, as SQL with its parameters:
/// its last modification (a stage move overwrites it later), else the import's instant
/// `now`, and never after `now`.
fn existed_by(file: &StagedFile, now: &Param) -> (&'static str, Vec<Param>) {
    if file.fields.iter().any(|f| f.key == "updated_at") {
        (
            "least(coalesce(CAST(s.updated_at AS TIMESTAMP), ?), ?)",
            vec![now.clone(), now.clone()],
        )
    } else {
        ("CAST(? AS TIMESTAMP)", vec![now.clone()])
    }
}

/// The earliest date known of a staged deal, as SQL with its parameters: its close, its
/// contact's lead date, or [`existed_by`] (its last modification, and the import's instant
/// only when the file tells nothing else, since that would make every historical deal close
/// before it was created). The store's refresh derives it the same way later
/// (`derived::EARLIEST_KNOWN`).
fn earliest_known_of_deal(file: &StagedFile, now: &Param) -> (String, Vec<Param>) {
    let mapped = |k: &str| file.fields.iter().any(|f| f.key == k);
    let mut known = Vec::new();
    if mapped("closed_at") {
        known.push(match deal_status_sql(file) {
            Some(status) => {
                format!("CASE WHEN {status} <> 'open' THEN CAST(s.closed_at AS TIMESTAMP) END")
            }
            None => "CAST(s.closed_at AS TIMESTAMP)".to_owned(),
        });
    }
    let contact = if mapped("contact") {
        Some("s.contact__id")
    } else if mapped("contact_id") {
        Some("CAST(s.contact_id AS BIGINT)")
    } else {
        None
    };
    if let Some(contact) = contact {
        known.push(format!(
            "(SELECT c.lead_at FROM contacts c WHERE c.id = {contact})"
        ));
    }
    let (bound, params) = existed_by(file, now);
    known.push(bound.to_owned());
    (format!("least({})", known.join(", ")), params)
}

/// Update matched rows where a value differs; returns how many changed. Keys (`id`,
/// `source_system`, `external_id`) are never rewritten, a reference that found nothing
/// keeps the row's current one, and `updated_at` moves to the import's instant when the
/// file does not give it.
pub(crate) fn update_matched(
    store: &Store,
    file: &StagedFile,
    rules: &ImportRules,
) -> Result<usize> {
    let table = file.target.table;
    let keep = ["id", "source_system", "external_id", "created_at"];
    let mapped_updated = file.fields.iter().any(|f| f.key == "updated_at");
    let mut sets = Vec::new();
    let mut differs = Vec::new();
    let mut params = Vec::new();
    let mut select = Vec::new();
    for Assignment {
        column,
        sql,
        params: binds,
        from_file,
    } in assignments(store.dialect(), file, rules)
    {
        if !from_file || keep.contains(&column.as_str()) {
            continue;
        }
        let is_reference = file
            .fields
            .iter()
            .any(|f| f.reference.is_some_and(|r| r.column == column));
        select.push(format!("{sql} AS \"{column}\""));
        params.extend(binds);
        let value = if is_reference {
            format!("coalesce(n.\"{column}\", t.\"{column}\")")
        } else {
            format!("n.\"{column}\"")
        };
        // JSON has no equality on PostgreSQL: its text is compared (as DuckDB does).
        let is_json = file
            .target
            .column(&column)
            .is_some_and(|c| c.sql_type == "JSON");
        differs.push(if is_json {
            format!("CAST(t.\"{column}\" AS VARCHAR) IS DISTINCT FROM CAST({value} AS VARCHAR)")
        } else {
            format!("t.\"{column}\" IS DISTINCT FROM {value}")
        });
        sets.push(format!("\"{column}\" = {value}"));
    }
    if sets.is_empty() {
        return Ok(0);
    }
    if file.target.column("updated_at").is_some() && !mapped_updated {
        // Bound inside the subquery, so every placeholder is in one place, in order.
        select.push("CAST(? AS TIMESTAMP) AS import_instant".into());
        params.push(Param::Timestamp(rules.now));
        sets.push("updated_at = n.import_instant".into());
    }
    let sql = format!(
        "UPDATE {table} t SET {}
           FROM (SELECT s.target_id, {} FROM {STAGED} s WHERE s.target_id IS NOT NULL) n
          WHERE t.id = n.target_id AND ({})",
        sets.join(", "),
        select.join(", "),
        differs.join(" OR ")
    );
    store.execute_with(&sql, &params)
}

/// Insert the `new` rows not matched, with the ids they bring or the next free ones; returns
/// how many. On PostgreSQL a load that at least doubles the table builds its indexes
/// afterwards instead of inserting into them.
pub(crate) fn insert_new(
    store: &Store,
    file: &StagedFile,
    rules: &ImportRules,
    new: usize,
) -> Result<usize> {
    let table = file.target.table;
    let assignments = assignments(store.dialect(), file, rules);
    let columns: Vec<String> = std::iter::once("id".to_owned())
        .chain(assignments.iter().map(|a| format!("\"{}\"", a.column)))
        .collect();
    let values: Vec<String> = std::iter::once("s.new_id".to_owned())
        .chain(assignments.iter().map(|a| a.sql.clone()))
        .collect();
    let params: Vec<Param> = assignments.into_iter().flat_map(|a| a.params).collect();
    let aside = pg_indexes::set_aside_for(store, table, new)?;
    // Rows in id order go into the indexes one after the other; indexes built afterwards
    // sort the rows themselves (and sorting a million wide rows first was half a second).
    let order = if aside.is_some() {
        ""
    } else {
        " ORDER BY s.new_id"
    };
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {STAGED} s WHERE s.target_id IS NULL{order}",
        columns.join(", "),
        values.join(", ")
    );
    let inserted = store.execute_with(&sql, &params)?;
    if let Some(aside) = aside {
        let (mut pg, _) = store
            .postgres()
            .expect("indexes are set aside on PostgreSQL only");
        aside.restore(pg.client())?;
    }
    Ok(inserted)
}

/// Give every deal without a stage history one built from its timestamps: an open deal has
/// been in its stage since it was created; a closed deal went from its pipeline's first
/// stage, at creation, to its closing stage, at its close.
pub(crate) fn synthesise_history(store: &Store) -> Result<()> {
    let visits = format!(
        "WITH new_deals AS (
                 SELECT d.* FROM deals d JOIN {STAGED} s ON s.new_id = d.id
                  WHERE s.target_id IS NULL
                    AND NOT EXISTS (SELECT 1 FROM deal_stage_history h WHERE h.deal_id = d.id)),
             first_stage AS (
                 SELECT pipeline_id, {first} AS id FROM stages WHERE kind = 'open' GROUP BY 1),
             visits AS (
                 SELECT id AS deal_id, stage_id, created_at AS entered_at, CAST(NULL AS TIMESTAMP) AS exited_at
                   FROM new_deals WHERE status = 'open' OR status IS NULL
                 UNION ALL
                 SELECT d.id, f.id, d.created_at, coalesce(d.closed_at, d.created_at)
                   FROM new_deals d JOIN first_stage f ON f.pipeline_id = d.pipeline_id
                  WHERE d.status IN ('won', 'lost')
                 UNION ALL
                 SELECT id, stage_id, coalesce(closed_at, created_at), NULL
                   FROM new_deals WHERE status IN ('won', 'lost'))",
        first = store.dialect().arg_min("id", "position")
    );
    let count: u64 = store
        .value(&format!("{visits} SELECT count(*) FROM visits"), &[])?
        .unwrap_or_default();
    let first = store.reserve_ids("deal_stage_history", count)?;
    store.execute_with(
        &format!(
            "INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at, changed_by, synthesised)
             {visits}
             SELECT ? - 1 + row_number() OVER (ORDER BY deal_id, entered_at, exited_at NULLS LAST),
                    deal_id, stage_id, entered_at, exited_at, NULL, true
               FROM visits"
        ),
        &[Param::Int(first)],
    )?;
    Ok(())
}
