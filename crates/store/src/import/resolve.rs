//! What the staged rows point at: references looked up by text, pipelines and stages found
//! or created, the store rows they match, and the ids new rows get — all but pipelines,
//! stages and self references worked out in one pass.

use super::target::{self, Target};
use super::{
    IDS, ImportRules, Loaded, PipelineSpec, STAGED, STAGED_TEXT, StageSpec, StagedField,
    StagedFile, Unresolved, refused,
};
use crate::Dialect;
use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use std::collections::BTreeMap;

/// Create the pipeline of a mapping's `[pipeline]` and its missing stages, in order, after
/// the stages it has.
pub(crate) fn create_pipeline(store: &Store, spec: &PipelineSpec) -> Result<()> {
    let pipeline = pipeline_named(store, &spec.name)?;
    let mut stages: Vec<_> = spec.stages.iter().collect();
    stages.sort_by_key(|(_, s)| s.order);
    for (name, stage) in stages {
        checked_kind(name, stage.kind.as_deref())?;
        let exists = store.value::<i64>(
            "SELECT count(*) FROM stages WHERE pipeline_id = ? AND lower(name) = lower(?)",
            &[Param::Int(pipeline), Param::Text(name.clone())],
        )?;
        if exists == Some(0) {
            create_stage(store, pipeline, name, stage, false)?;
        } else {
            // The mapping now says what an earlier import had to guess.
            store.execute_with(
                "UPDATE stages SET position = ?, probability = ?, kind = coalesce(?, kind), guessed = false
                  WHERE pipeline_id = ? AND lower(name) = lower(?)",
                &[
                    Param::Int(i64::from(stage.order)),
                    Param::Float(stage.probability),
                    stage.kind.clone().map_or(Param::Null, Param::Text),
                    Param::Int(pipeline),
                    Param::Text(name.clone()),
                ],
            )?;
        }
    }
    Ok(())
}

/// The id of the pipeline named `name`, created if there is none.
pub(crate) fn pipeline_named(store: &Store, name: &str) -> Result<i64> {
    let found = store.value::<Option<i64>>(
        "SELECT min(id) FROM pipelines WHERE lower(name) = lower(?)",
        &[Param::Text(name.to_owned())],
    )?;
    if let Some(id) = found.flatten() {
        return Ok(id);
    }
    let created = store.value::<i64>(
        "INSERT INTO pipelines (id, name) VALUES (?, ?) RETURNING id",
        &[
            Param::Int(store.next_id("pipelines")?),
            Param::Text(name.to_owned()),
        ],
    )?;
    Ok(created.unwrap_or_default())
}

/// A stage's kind from its label: won/ganado/closed won → won; lost/perdido/closed lost →
/// lost; anything else is open.
pub fn stage_kind(label: &str) -> &'static str {
    let folded: String = label
        .chars()
        .map(embudo_model::text::fold_char)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let has = |w: &str| folded.split_whitespace().any(|word| word == w);
    if has("won") || has("ganado") || has("ganada") || has("win") {
        "won"
    } else if has("lost") || has("perdido") || has("perdida") || has("lose") {
        "lost"
    } else {
        "open"
    }
}

/// Resolve the pipelines and stages of a deals file, creating the missing ones; pipelines
/// first, since a stage is found within its deal's pipeline.
pub(crate) fn resolve_pipelines_and_stages(
    store: &Store,
    file: &StagedFile,
    loaded: &mut Loaded,
) -> Result<()> {
    let mut references: Vec<&StagedField> = file
        .fields
        .iter()
        .filter(|f| {
            f.reference
                .is_some_and(|r| matches!(r.to, "pipelines" | "stages"))
        })
        .collect();
    references.sort_by_key(|f| f.key == "stage");
    for field in references {
        match field.reference.map(|r| r.to) {
            Some("pipelines") => resolve_pipelines(store, file, &field.key, loaded)?,
            _ => resolve_stages(store, file, &field.key, &pipeline_sql(file), loaded)?,
        }
    }
    if file.fields.iter().any(|f| f.key == "status") && file.fields.iter().any(|f| f.key == "stage")
    {
        close_by_status(store, file, loaded)?;
    }
    Ok(())
}

/// The tables `--create-missing` may add rows to, with the columns a row created from a
/// bare name gets besides its id and name (as SQL over the name `v` and the import's
/// instant, bound once): a user is inactive and has no login.
pub const CREATABLE: &[(&str, &str, &str)] = &[
    (
        "users",
        "email, role, active, created_at",
        "CASE WHEN v LIKE '%@%' THEN lower(v) END, 'rep', false, CAST(? AS TIMESTAMP)",
    ),
    ("teams", "", ""),
    ("products", "", ""),
    (
        "companies",
        "created_at, updated_at",
        "CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP)",
    ),
];

/// Create the rows that references of this file name but the store lacks, for the tables
/// the import may create in; each is noted in the loaded.
pub(crate) fn create_missing(
    store: &Store,
    file: &StagedFile,
    rules: &ImportRules,
    loaded: &mut Loaded,
) -> Result<()> {
    for field in file.fields.iter().filter(|f| looked_up(file, f)) {
        let table = field.reference.expect("looked up").to;
        let Some((_, columns, values)) = CREATABLE
            .iter()
            .find(|(t, _, _)| *t == table && rules.create_missing.iter().any(|c| c == t))
        else {
            continue;
        };
        let key = &field.key;
        let mut joins = Vec::new();
        let mut unmatched = vec![format!("s.\"{key}\" IS NOT NULL")];
        let mut params = Vec::new();
        for (i, lookup) in lookups(store, key, table, rules)?.into_iter().enumerate() {
            joins.push(format!(
                "LEFT JOIN ({}) l{i} ON {} = l{i}.k",
                lookup.rows, lookup.staged
            ));
            unmatched.push(format!("l{i}.id IS NULL"));
            params.extend(lookup.params);
        }
        // One row per name however it is typed, named by its most frequent spelling that
        // is neither all capitals nor all small letters (`Ana Ruiz`, not `ANA RUIZ`).
        let missing = store.values::<Option<String>>(
            &format!(
                "SELECT (array_agg(v ORDER BY v = upper(v) OR v = lower(v), n DESC, v))[1] AS name
                   FROM (SELECT trim(s.\"{key}\") AS v, count(*) AS n FROM {STAGED_TEXT} s {} WHERE {}
                          GROUP BY 1) spelt
                  GROUP BY lower(v) ORDER BY 1",
                joins.join(" "),
                unmatched.join(" AND ")
            ),
            &params,
        )?;
        let names: Vec<String> = missing.into_iter().flatten().collect();
        for name in names {
            let instants = values.matches('?').count();
            let (columns, values) = if columns.is_empty() {
                (String::new(), String::new())
            } else {
                (format!(", {columns}"), format!(", {values}"))
            };
            // The id, then the instants, come before the name in the statement.
            let mut binds = vec![Param::Int(store.next_id(table)?)];
            binds.extend((0..instants).map(|_| Param::Timestamp(rules.now)));
            binds.push(Param::Text(name.clone()));
            store.execute_with(
                &format!(
                    "INSERT INTO {table} (id, name{columns})
                     SELECT ?, v{values}
                       FROM (SELECT CAST(? AS VARCHAR) AS v) named"
                ),
                &binds,
            )?;
            loaded.created.push(match table {
                "users" => format!("user '{name}' (inactive, no login)"),
                "companies" => format!("company '{name}'"),
                _ => format!("{} '{name}'", table.trim_end_matches('s')),
            });
        }
    }
    Ok(())
}

/// Report the references that found no row (the texts are kept in `unresolved`).
pub(crate) fn report_unresolved(
    store: &Store,
    file: &StagedFile,
    loaded: &mut Loaded,
) -> Result<()> {
    for field in file.fields.iter().filter(|f| looked_up(file, f)) {
        let key = &field.key;
        let missing: Vec<Missing> = store.records(
            &format!(
                "SELECT v AS value, count(*) AS rows FROM (SELECT {} AS v FROM {IDS}) kept
                  WHERE v IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1",
                store
                    .dialect()
                    .json_text("CAST(unresolved AS JSON)", &[key.as_str()])
            ),
            &[],
        )?;
        loaded
            .unresolved
            .extend(missing.into_iter().map(|m| m.of(key)));
    }
    Ok(())
}

/// A text of a reference that found no row, and on how many rows.
#[derive(serde::Deserialize)]
struct Missing {
    value: String,
    rows: usize,
}

impl Missing {
    /// As the import's loaded lists it, for reference column `key`.
    fn of(self, key: &str) -> Unresolved {
        Unresolved {
            column: key.to_owned(),
            value: self.value,
            rows: self.rows,
        }
    }
}

/// Whether `field` is a reference found by looking its text up in another table (not a
/// pipeline or stage, which are created when missing, nor a row of the same file).
pub(crate) fn looked_up(file: &StagedFile, field: &StagedField) -> bool {
    field
        .reference
        .is_some_and(|r| !matches!(r.to, "pipelines" | "stages") && r.to != file.target.table)
}

/// Work out, in one pass over the staged rows, everything the import needs to know of each:
/// the id of every reference looked up by text, the row it matches in the store, the id a
/// new row brings or its number among those that take one from the table's sequence, and
/// the references that found nothing.
pub(crate) fn build_ids(store: &Store, file: &StagedFile, rules: &ImportRules) -> Result<Ids> {
    let table = file.target.table;
    let mut select = vec!["s.row_no".to_owned()];
    let mut joins = Vec::new();
    let mut params = Vec::new();
    let mut unresolved = Vec::new();
    for field in file.fields.iter().filter(|f| f.reference.is_some()) {
        let key = &field.key;
        let reference = field.reference.expect("filtered");
        if !looked_up(file, field) {
            select.push(format!("CAST(NULL AS BIGINT) AS \"{key}__id\""));
            continue;
        }
        let mut ids = Vec::new();
        for (i, lookup) in lookups(store, key, reference.to, rules)?
            .into_iter()
            .enumerate()
        {
            let alias = format!("\"{key}_{i}\"");
            joins.push(format!(
                "LEFT JOIN ({}) {alias} ON {} = {alias}.k",
                lookup.rows, lookup.staged
            ));
            params.extend(lookup.params);
            ids.push(format!("{alias}.id"));
        }
        let id = if ids.is_empty() {
            "CAST(NULL AS BIGINT)".to_owned()
        } else {
            format!("coalesce({})", ids.join(", "))
        };
        unresolved.push((
            key.clone(),
            format!("s.\"{key}\" IS NOT NULL AND {id} IS NULL"),
        ));
        select.push(format!("{id} AS \"{key}__id\""));
    }
    let target = match match_lookup(file, rules) {
        Some((lookup, condition, binds)) => {
            joins.push(format!("LEFT JOIN ({lookup}) t ON {condition}"));
            params.extend(binds);
            "t.id"
        }
        None => "CAST(NULL AS BIGINT)",
    };
    select.push(format!("{target} AS target_id"));
    // New rows keep the id they bring; the others take new ones from the table's sequence,
    // in file order: numbered here, their ids added to the numbers when the staged rows are
    // read (rewriting a million numbers into ids would be a pass of its own).
    let brought = if file.fields.iter().any(|f| f.key == "id") {
        "CAST(s.id AS BIGINT)"
    } else {
        "CAST(NULL AS BIGINT)"
    };
    select.push(format!(
        "CASE WHEN {target} IS NULL THEN {brought} END AS brought_id,
         CASE WHEN {target} IS NULL AND {brought} IS NULL
              THEN row_number() OVER (PARTITION BY {target} IS NULL AND {brought} IS NULL ORDER BY s.row_no)
         END AS fresh_no"
    ));
    select.push(unresolved_json(store.dialect(), &unresolved));
    store.execute_with(&format!("DROP TABLE IF EXISTS {IDS}"), &[])?;
    store.execute_with(
        &format!(
            "CREATE TEMP TABLE {IDS} AS SELECT {} FROM {STAGED_TEXT} s {}",
            select.join(",\n "),
            joins.join("\n ")
        ),
        &params,
    )?;
    #[derive(serde::Deserialize)]
    struct Counted {
        matched: usize,
        new: usize,
        fresh: u64,
        highest_brought: i64,
    }
    let counted: Vec<Counted> = store.records(
        &format!(
            "SELECT count(*) FILTER (WHERE target_id IS NOT NULL) AS matched,
                    count(*) FILTER (WHERE target_id IS NULL) AS new,
                    coalesce(max(fresh_no), 0) AS fresh, coalesce(max(brought_id), 0) AS highest_brought
               FROM {IDS}"
        ),
        &[],
    )?;
    let Some(counted) = counted.first() else {
        return Ok(Ids::default());
    };
    Ok(Ids {
        matched: counted.matched,
        new: counted.new,
        first_fresh: store.reserve_ids_above(table, counted.fresh, counted.highest_brought)?,
    })
}

/// What [`build_ids`] found of the staged rows.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    /// Rows that match a row of the store.
    pub(crate) matched: usize,
    /// Rows to insert.
    pub(crate) new: usize,
    /// The first of the ids reserved for the new rows that bring none (numbered from it in
    /// file order; 0 for none).
    pub(crate) first_fresh: i64,
}

/// The staged row's references that found nothing, as a JSON object of name to text, from
/// each reference's name and the condition that it found nothing. JSON merge patch drops the members that
/// are null, so only what found nothing remains; the JSON is built only on rows that need
/// it, which on a million rows that all resolve is half the pass.
fn unresolved_json(dialect: Dialect, unresolved: &[(String, String)]) -> String {
    if unresolved.is_empty() {
        return "CAST(NULL AS VARCHAR) AS unresolved".to_owned();
    }
    let any = unresolved
        .iter()
        .map(|(_, condition)| format!("({condition})"))
        .collect::<Vec<_>>();
    let members = unresolved
        .iter()
        .map(|(key, condition)| format!("'{key}', CASE WHEN {condition} THEN s.\"{key}\" END"))
        .collect::<Vec<_>>();
    format!(
        "CASE WHEN {} THEN nullif(CAST({} AS VARCHAR), '{{}}') END AS unresolved",
        any.join(" OR "),
        dialect.json_merge_patch("'{}'", &dialect.json_object(&members.join(", ")))
    )
}

/// Report the texts of reference `key` that found no row, and keep each on its staged row
/// (`unresolved`, a JSON object of reference name to text).
pub(crate) fn note_unresolved(store: &Store, key: &str, loaded: &mut Loaded) -> Result<()> {
    let missing: Vec<Missing> = store.records(
        &format!(
            "SELECT \"{key}\" AS value, count(*) AS rows FROM {STAGED}
              WHERE \"{key}\" IS NOT NULL AND \"{key}__id\" IS NULL GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        &[],
    )?;
    loaded
        .unresolved
        .extend(missing.into_iter().map(|m| m.of(key)));
    store.execute_with(
        &format!(
            "UPDATE {IDS} SET unresolved = CAST({} AS VARCHAR)
               FROM {STAGED_TEXT} t
              WHERE {IDS}.row_no = t.row_no AND t.\"{key}\" IS NOT NULL AND {IDS}.\"{key}__id\" IS NULL",
            store.dialect().json_merge_patch(
                &format!("coalesce({IDS}.unresolved, '{{}}')"),
                &store
                    .dialect()
                    .json_object(&format!("CAST(? AS VARCHAR), t.\"{key}\""))
            )
        ),
        &[Param::Text(key.to_owned())],
    )?;
    Ok(())
}

/// References of a table to itself (a parent company, a referring contact) may name rows
/// of the same file: they are resolved once the file's rows are in, then written.
pub(crate) fn resolve_self_references(
    store: &Store,
    file: &StagedFile,
    rules: &ImportRules,
    loaded: &mut Loaded,
) -> Result<()> {
    let table = file.target.table;
    let dialect = store.dialect();
    for field in &file.fields {
        let Some(reference) = field.reference.filter(|r| r.to == table) else {
            continue;
        };
        let (key, column) = (&field.key, reference.column);
        resolve_by_keys(store, key, table, rules)?;
        store.execute_with(
            &format!(
                "UPDATE {table} t SET \"{column}\" = s.\"{key}__id\"
                   FROM {STAGED} s
                  WHERE t.id = coalesce(s.target_id, s.new_id) AND s.\"{key}__id\" IS NOT NULL
                    AND t.\"{column}\" IS DISTINCT FROM s.\"{key}__id\""
            ),
            &[],
        )?;
        note_unresolved(store, key, loaded)?;
        if file.target.column("custom").is_some() {
            store.execute_with(
                &format!(
                    "UPDATE {table} t
                        SET custom = CAST({} AS JSON)
                       FROM {STAGED} s
                      WHERE t.id = coalesce(s.target_id, s.new_id) AND s.\"{key}\" IS NOT NULL AND s.\"{key}__id\" IS NULL",
                    dialect.json_merge_patch(
                        "coalesce(t.custom, '{}')",
                        &dialect.json_object(&format!(
                            "'unresolved', {}",
                            dialect.json_object(&format!("CAST(? AS VARCHAR), s.\"{key}\""))
                        ))
                    )
                ),
                &[Param::Text(key.to_owned())],
            )?;
        }
    }
    Ok(())
}

/// How the staged texts of reference `key` find rows of `table`, tried in order: by
/// external id within the source system, then by each of the table's text keys; each a
/// subquery of (k, id) and the staged expression compared with k, with the subqueries'
/// parameters. A merged row leads to its survivor.
pub(crate) fn lookups(
    store: &Store,
    key: &str,
    table: &str,
    rules: &ImportRules,
) -> Result<Vec<Lookup>> {
    let target = Target::read(store, table)?;
    let survivor = if target.column("merged_into_id").is_some() {
        "coalesce(merged_into_id, id)"
    } else {
        "id"
    };
    let live = if target.column("deleted_at").is_some() {
        "deleted_at IS NULL"
    } else {
        "TRUE"
    };
    let mut lookups = Vec::new();
    if target.has_external_id() {
        lookups.push(Lookup {
            rows: format!(
                "SELECT external_id AS k, min({survivor}) AS id FROM {table} WHERE source_system = ? AND {live} GROUP BY 1"
            ),
            staged: format!("s.\"{key}\""),
            params: vec![Param::Text(rules.source_system.to_owned())],
        });
    }
    for expression in target::lookup_keys(table) {
        lookups.push(Lookup {
            rows: format!(
                "SELECT {} AS k, min({survivor}) AS id FROM {table} WHERE {live} GROUP BY 1",
                as_typed(expression)
            ),
            staged: as_typed(&format!("s.\"{key}\"")),
            params: vec![],
        });
    }
    Ok(lookups)
}

/// `expression` as people's typing is compared: case and white space around it do not
/// count (` ana ruiz` finds Ana Ruiz). Runs of spaces inside are left as they are: collapsing
/// them with a regular expression cost about a tenth of the import's speed.
fn as_typed(expression: &str) -> String {
    format!("lower(trim({expression}))")
}

/// One way a reference's text finds its row: a subquery of (k, id), the staged expression
/// compared with k, and the subquery's parameters.
#[derive(Debug)]
pub(crate) struct Lookup {
    pub(crate) rows: String,
    pub(crate) staged: String,
    pub(crate) params: Vec<Param>,
}

/// Find rows of `table` for the staged texts in `key` that have none yet, once rows of
/// the same file are in the store (a parent company, a referring contact).
pub(crate) fn resolve_by_keys(
    store: &Store,
    key: &str,
    table: &str,
    rules: &ImportRules,
) -> Result<()> {
    for Lookup {
        rows,
        staged,
        params,
    } in lookups(store, key, table, rules)?
    {
        store.execute_with(
            &format!(
                "UPDATE {IDS} SET \"{key}__id\" = m.id
                   FROM (SELECT s.row_no, l.id FROM {STAGED_TEXT} s JOIN ({rows}) l ON {staged} = l.k) m
                  WHERE {IDS}.row_no = m.row_no AND {IDS}.\"{key}__id\" IS NULL"
            ),
            &params,
        )?;
    }
    Ok(())
}

/// Pipelines by name, created when missing; rows naming none get the file's default
/// pipeline (a preset's), else the first pipeline (created as "Sales" in an empty store).
pub(crate) fn resolve_pipelines(
    store: &Store,
    file: &StagedFile,
    key: &str,
    loaded: &mut Loaded,
) -> Result<()> {
    let names: Vec<String> = store.values(
        &format!("SELECT DISTINCT \"{key}\" FROM {STAGED} WHERE \"{key}\" IS NOT NULL ORDER BY 1"),
        &[],
    )?;
    for name in &names {
        let before = store.value::<i64>(
            "SELECT count(*) FROM pipelines WHERE lower(name) = lower(?)",
            &[Param::Text(name.to_owned())],
        )?;
        let id = pipeline_named(store, name)?;
        if before == Some(0) {
            loaded.created.push(format!("pipeline '{name}'"));
        }
        store.execute_with(
            &format!(
                "UPDATE {IDS} SET \"{key}__id\" = ? FROM {STAGED_TEXT} t WHERE {IDS}.row_no = t.row_no AND t.\"{key}\" = ?"
            ),
            &[Param::Int(id), Param::Text(name.to_owned())],
        )?;
    }
    let unnamed = store.value::<i64>(
        &format!("SELECT count(*) FROM {STAGED} WHERE \"{key}\" IS NULL"),
        &[],
    )?;
    if unnamed > Some(0) {
        let first = store
            .value::<Option<i64>>("SELECT min(id) FROM pipelines", &[])?
            .flatten();
        let default = file.pipeline.map(|p| p.name.as_str());
        let id = match (default, first) {
            (Some(name), _) => {
                let exists = store.value::<i64>(
                    "SELECT count(*) FROM pipelines WHERE lower(name) = lower(?)",
                    &[Param::Text(name.to_owned())],
                )?;
                if exists == Some(0) {
                    loaded.created.push(format!("pipeline '{name}'"));
                }
                pipeline_named(store, name)?
            }
            (None, Some(id)) => id,
            (None, None) => {
                loaded.created.push("pipeline 'Sales'".into());
                pipeline_named(store, "Sales")?
            }
        };
        store.execute_with(
            &format!(
                "UPDATE {IDS} SET \"{key}__id\" = ? FROM {STAGED_TEXT} t WHERE {IDS}.row_no = t.row_no AND t.\"{key}\" IS NULL"
            ),
            &[Param::Int(id)],
        )?;
    }
    Ok(())
}

/// Stages by name within the row's pipeline; stages that do not exist are created after
/// the pipeline's last: the ones the mapping knows (a preset's defaults) with their order,
/// probability and kind, the others open first, their kind read from the label and open
/// probabilities spaced evenly.
pub(crate) fn resolve_stages(
    store: &Store,
    file: &StagedFile,
    key: &str,
    pipeline: &str,
    loaded: &mut Loaded,
) -> Result<()> {
    let find = format!(
        "UPDATE {IDS} SET \"{key}__id\" = m.id
           FROM (SELECT s.row_no, st.id FROM {STAGED} s JOIN stages st
                    ON st.pipeline_id = {pipeline} AND lower(st.name) = lower(trim(s.\"{key}\"))) m
          WHERE {IDS}.row_no = m.row_no"
    );
    store.execute_with(&find, &[])?;
    #[derive(serde::Deserialize)]
    struct Unknown {
        pipeline: i64,
        name: String,
    }
    let missing: Vec<Unknown> = store.records(
        &format!(
            "SELECT {pipeline} AS pipeline, trim(s.\"{key}\") AS name, min(s.row_no) AS first FROM {STAGED} s
              WHERE s.\"{key}\" IS NOT NULL AND s.\"{key}__id\" IS NULL AND {pipeline} IS NOT NULL
              GROUP BY 1, 2 ORDER BY 1, 3"
        ),
        &[],
    )?;
    let mut by_pipeline: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for Unknown { pipeline, name } in missing {
        let names = by_pipeline.entry(pipeline).or_default();
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
    }
    let no_stages = BTreeMap::new();
    let (default, known) = match &file.pipeline {
        Some(spec) => (spec.name.as_str(), &spec.stages),
        None => ("", &no_stages),
    };
    for (pipeline, mut names) in by_pipeline {
        // The default pipeline, new, gets every stage the mapping knows, named in the file or
        // not: a stage no deal is in yet is still a step of the funnel.
        let new_default = store.value::<Option<bool>>(
            "SELECT lower(name) = lower(?) AND NOT EXISTS (SELECT 1 FROM stages WHERE pipeline_id = ?)
               FROM pipelines WHERE id = ?",
            &[
                Param::Text(default.to_owned()),
                Param::Int(pipeline),
                Param::Int(pipeline),
            ],
        )?;
        if new_default.flatten() == Some(true) {
            for name in known.keys() {
                if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                    names.push(name.clone());
                }
            }
        }
        let mut guessed = Vec::new();
        for (name, spec) in planned_stages(names, known)? {
            let is_guess = spec.kind.as_deref() == Some("open")
                && !known.keys().any(|k| k.eq_ignore_ascii_case(&name));
            let position = create_stage(store, pipeline, &name, &spec, is_guess)?;
            loaded.created.push(stage_created(&name, &spec, position));
            if is_guess {
                guessed.push(name);
            }
        }
        if !guessed.is_empty() {
            loaded.inferred.push(format!(
                "{} open stages ({}) are not among the stages the mapping knows: a deals file does not say their order or probability, so they come after the known ones in the order the file first names them, with probabilities spread evenly; give them in the mapping's [pipeline.stages] (order, probability, kind) and import again",
                guessed.len(),
                guessed.join(", ")
            ));
        }
    }
    store.execute_with(&find, &[])?;
    Ok(())
}

/// The stages to create, in order, each with its spec: those the mapping knows as it says,
/// the others open first with probabilities spaced evenly, won at 1 and lost at 0.
fn planned_stages(
    names: Vec<String>,
    known: &BTreeMap<String, StageSpec>,
) -> Result<Vec<(String, StageSpec)>> {
    let spec_of = |name: &str| {
        known
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, spec)| spec.clone())
    };
    let unknown_open = names
        .iter()
        .filter(|n| spec_of(n).is_none() && stage_kind(n) == "open")
        .count();
    let mut open_seen = 0;
    let mut planned = Vec::new();
    for (arrival, name) in names.into_iter().enumerate() {
        let spec = match spec_of(&name) {
            Some(spec) => {
                checked_kind(&name, spec.kind.as_deref())?;
                spec
            }
            None => {
                let kind = stage_kind(&name);
                let probability = match kind {
                    "won" => 1.0,
                    "lost" => 0.0,
                    _ => {
                        open_seen += 1;
                        (open_seen as f64 / (unknown_open + 1) as f64 * 100.0).round() / 100.0
                    }
                };
                StageSpec {
                    order: i32::try_from(known.len() + arrival + 1).unwrap_or(i32::MAX),
                    probability,
                    kind: Some(kind.to_owned()),
                }
            }
        };
        planned.push((name, spec));
    }
    let rank = |spec: &StageSpec| match spec.kind.as_deref() {
        Some("won") => 1,
        Some("lost") => 2,
        _ => 0,
    };
    planned.sort_by_key(|(_, spec)| (rank(spec), spec.order));
    Ok(planned)
}

/// `kind` if it is one of open, won or lost.
fn checked_kind(stage: &str, kind: Option<&str>) -> Result<()> {
    match kind {
        None | Some("open" | "won" | "lost") => Ok(()),
        Some(other) => Err(refused(format!(
            "stage '{stage}': kind '{other}' is not open, won or lost"
        ))),
    }
}

/// Add stage `name` at the end of `pipeline`, flagged `guessed` when nothing gave its
/// order and probability; returns its position.
fn create_stage(
    store: &Store,
    pipeline: i64,
    name: &str,
    spec: &StageSpec,
    guessed: bool,
) -> Result<i64> {
    let kind = spec
        .kind
        .clone()
        .unwrap_or_else(|| stage_kind(name).to_owned());
    let created = store.value::<i64>(
        "INSERT INTO stages (id, pipeline_id, name, position, probability, kind, guessed)
         SELECT ?, ?, ?,
                (SELECT coalesce(max(position), 0) + 1 FROM stages WHERE pipeline_id = ?), ?, ?, ?
         RETURNING position",
        &[
            Param::Int(store.next_id("stages")?),
            Param::Int(pipeline),
            Param::Text(name.to_owned()),
            Param::Int(pipeline),
            Param::Float(spec.probability),
            Param::Text(kind),
            Param::Bool(guessed),
        ],
    )?;
    Ok(created.unwrap_or_default())
}

/// How the loaded names a stage it created.
fn stage_created(name: &str, spec: &StageSpec, position: i64) -> String {
    format!(
        "stage {position} '{name}' ({}, {:.0}%)",
        spec.kind.as_deref().unwrap_or("open"),
        spec.probability * 100.0
    )
}

/// Deals whose status closed them while they sat in an open stage (Pipedrive and
/// ActiveCampaign keep a won deal in the stage it was won from) move to their pipeline's
/// won or lost stage, created after the others when the pipeline has none.
fn close_by_status(store: &Store, file: &StagedFile, loaded: &mut Loaded) -> Result<()> {
    let closing = format!(
        "FROM {STAGED} s JOIN stages st ON st.id = s.stage__id
        WHERE st.kind = 'open' AND s.status IN ('won', 'lost')"
    );
    #[derive(serde::Deserialize)]
    struct Needed {
        pipeline_id: i64,
        status: String,
    }
    let needed: Vec<Needed> = store.records(
        &format!(
            "SELECT DISTINCT st.pipeline_id, s.status {closing}
                AND NOT EXISTS (SELECT 1 FROM stages c WHERE c.pipeline_id = st.pipeline_id AND c.kind = s.status)
              ORDER BY 1, 2 DESC"
        ),
        &[],
    )?;
    for Needed {
        pipeline_id: pipeline,
        status,
    } in &needed
    {
        let (pipeline, kind) = (*pipeline, status.as_str());
        let (name, spec) = file
            .pipeline
            .iter()
            .flat_map(|p| &p.stages)
            .find(|(_, spec)| spec.kind.as_deref() == Some(kind))
            .map(|(name, spec)| (name.clone(), spec.clone()))
            .unwrap_or_else(|| {
                let name = if kind == "won" { "Won" } else { "Lost" };
                let probability = if kind == "won" { 1.0 } else { 0.0 };
                let spec = StageSpec {
                    order: 0,
                    probability,
                    kind: Some(kind.to_owned()),
                };
                (name.to_owned(), spec)
            });
        let position = create_stage(store, pipeline, &name, &spec, false)?;
        loaded.created.push(stage_created(&name, &spec, position));
    }
    store.execute_with(
        &format!(
            "UPDATE {IDS} SET stage__id = m.closing
               FROM (SELECT s.row_no,
                            (SELECT c.id FROM stages c
                              WHERE c.pipeline_id = st.pipeline_id AND c.kind = s.status
                              ORDER BY c.position, c.id LIMIT 1) AS closing
                     {closing}) m
              WHERE {IDS}.row_no = m.row_no"
        ),
        &[],
    )?;
    Ok(())
}

/// The pipeline of a staged deal, as SQL: resolved from its name, or given as an id.
pub(crate) fn pipeline_sql(file: &StagedFile) -> String {
    if file.fields.iter().any(|f| f.key == "pipeline") {
        "s.pipeline__id".to_owned()
    } else {
        "CAST(s.pipeline_id AS BIGINT)".to_owned()
    }
}

/// How staged rows find the row they update, if the file has a key: a subquery of (id, k…)
/// aliased `t`, the join condition, and the subquery's parameters.
pub(crate) fn match_lookup(
    file: &StagedFile,
    rules: &ImportRules,
) -> Option<(String, String, Vec<Param>)> {
    let table = file.target.table;
    let key = file.key_field.map(|k| file.fields[k].key.as_str())?;
    // Where rows can be deleted or merged, the store's live ones.
    let live = if file.target.column("merged_into_id").is_some() {
        format!("live_{table}")
    } else {
        table.to_owned()
    };
    Some(match key {
        "id" => (
            format!("SELECT id, id AS k FROM {table}"),
            "t.k = CAST(s.id AS BIGINT)".to_owned(),
            vec![],
        ),
        "external_id" if file.fields.iter().any(|f| f.key == "source_system") => (
            format!("SELECT id, external_id AS k, source_system FROM {table}"),
            "t.k = s.external_id AND t.source_system IS NOT DISTINCT FROM s.source_system"
                .to_owned(),
            vec![],
        ),
        "external_id" => (
            format!("SELECT id, external_id AS k FROM {table} WHERE source_system = ?"),
            "t.k = s.external_id".to_owned(),
            vec![Param::Text(rules.source_system.to_owned())],
        ),
        // Several rows may share a natural key: the oldest live one is the match.
        "name" => (
            format!("SELECT min(id) AS id, name AS k FROM {live} GROUP BY 2"),
            "t.k = s.name".to_owned(),
            vec![],
        ),
        natural => (
            format!("SELECT min(id) AS id, lower(\"{natural}\") AS k FROM {live} GROUP BY 2"),
            format!("t.k = lower(s.\"{natural}\")"),
            vec![],
        ),
    })
}
