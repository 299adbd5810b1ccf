//! The tables the API serves, row by row: a page of live rows under a caller's scope and a
//! request's filters, how many match, a row inserted or changed from text values cast to
//! their columns' types, a soft delete.
//!
//! A [`ServedTable`] is made only here, from the store's own catalogue, and every table or
//! column name these reads and writes place in SQL text is checked against it: a name from
//! a request can select among the catalogue's names, never add one.

use crate::catalog::ColumnInfo;
use crate::error::{Result, StoreError};
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;
use embudo_model::Table;

/// A table of the store and its columns, as its catalogue describes them.
#[derive(Debug, Clone)]
pub struct ServedTable {
    name: String,
    columns: Vec<ColumnInfo>,
}

impl ServedTable {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its columns, in order.
    pub fn columns(&self) -> &[ColumnInfo] {
        &self.columns
    }

    /// Its column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether it has a column called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.column(name).is_some()
    }

    /// `name`, if it is one of its columns: the only way a column name reaches SQL here.
    fn vetted<'a>(&self, name: &'a str) -> Result<&'a str> {
        if self.has(name) {
            Ok(name)
        } else {
            Err(StoreError::Columns {
                table: self.name.clone(),
                problem: format!("no column {name}"),
            })
        }
    }

    /// The condition that leaves out deleted and merged-away rows, which are not records
    /// any more (the columns the `live_*` views test), for the columns this table has.
    fn live(&self) -> impl Iterator<Item = String> + '_ {
        ["deleted_at", "merged_into_id"]
            .into_iter()
            .filter(|gone| self.has(gone))
            .map(|gone| format!("{gone} IS NULL"))
    }
}

/// Which rows of a served table: all unless narrowed, in id order unless sorted, unpaged
/// unless limited.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub id: Option<i64>,
    /// Just the rows with these ids.
    pub ids: Option<Vec<i64>>,
    /// Columns whose value, as text, must equal the given text.
    pub equals: Vec<(String, String)>,
    /// A column to sort by (empty values last), and whether descending; ties by id.
    pub sort: Option<(String, bool)>,
    /// Rows per page; `None`: every row.
    pub limit: Option<usize>,
    pub offset: usize,
}

impl Selection {
    /// Every row whose `column` equals `value` for each pair.
    pub fn matching(equals: &[(&str, String)]) -> Selection {
        Selection {
            equals: equals
                .iter()
                .map(|(column, value)| ((*column).to_owned(), value.clone()))
                .collect(),
            ..Selection::default()
        }
    }

    /// Just the rows with these ids.
    pub fn ids(ids: &[i64]) -> Selection {
        Selection {
            ids: Some(ids.to_vec()),
            ..Selection::default()
        }
    }

    /// Just the row with `id`.
    pub fn one(id: i64) -> Selection {
        Selection {
            id: Some(id),
            limit: Some(1),
            ..Selection::default()
        }
    }

    /// The first `rows` of this selection by `column`, newest first.
    pub fn newest(self, column: &str, rows: usize) -> Selection {
        Selection {
            sort: Some((column.to_owned(), true)),
            limit: Some(rows),
            ..self
        }
    }
}

/// The rows a caller may see of a table, as the `access` crate decided them; the store
/// writes each as a condition on the table's own columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowCondition {
    /// Rows owned by user `0`.
    OwnedBy(i64),
    /// Rows owned by a member of team `0`.
    OwnedByTeam(i64),
    /// Rows handled (`agent_id`) by a member of team `0`.
    HandledByTeam(i64),
    /// Goals of the company, of team `0` and of its members.
    GoalsOfTeam(i64),
    /// Goals of the company, of the user's team (when they have one) and of the user.
    GoalsOf { team: Option<i64>, user: i64 },
}

impl RowCondition {
    /// The condition and its values.
    fn sql(&self) -> (&'static str, Vec<Param>) {
        match *self {
            RowCondition::OwnedBy(user) => ("owner_id = ?", vec![Param::Int(user)]),
            RowCondition::OwnedByTeam(team) => (
                "owner_id IN (SELECT id FROM users WHERE team_id = ?)",
                vec![Param::Int(team)],
            ),
            RowCondition::HandledByTeam(team) => (
                "agent_id IN (SELECT id FROM users WHERE team_id = ?)",
                vec![Param::Int(team)],
            ),
            RowCondition::GoalsOfTeam(team) => (
                "scope = 'company' OR (scope = 'team' AND scope_id = ?)
                 OR (scope = 'user' AND scope_id IN (SELECT id FROM users WHERE team_id = ?))",
                vec![Param::Int(team), Param::Int(team)],
            ),
            RowCondition::GoalsOf { team, user } => (
                "scope = 'company' OR (scope = 'team' AND scope_id = ?) OR (scope = 'user' AND scope_id = ?)",
                vec![team.map_or(Param::Null, Param::Int), Param::Int(user)],
            ),
        }
    }
}

/// Whose rows: everyone's (`None`), or those meeting a condition.
pub type Scope = Option<RowCondition>;

/// A column and the text of its new value (`None`: null), cast to the column's type.
pub type Field = (String, Option<String>);

/// Whether `text` certainly reads as a value of `data_type` on either engine: digits (and
/// a sign) within an integer type's range, or anything for unbounded text. Otherwise (it
/// may or may not) the database is asked.
fn plainly_of(data_type: &str, text: &str) -> bool {
    match data_type.to_ascii_uppercase().as_str() {
        "BIGINT" | "INT8" => text.parse::<i64>().is_ok(),
        "INTEGER" | "INT" | "INT4" => text.parse::<i32>().is_ok(),
        "VARCHAR" | "TEXT" => true,
        _ => false,
    }
}

impl Store {
    /// The table called `name` and its columns, as the catalogue describes them.
    pub fn served_table(&self, name: &str) -> Result<ServedTable> {
        let columns = self.columns(name)?;
        if columns.is_empty() {
            return Err(StoreError::Columns {
                table: name.to_owned(),
                problem: "no such table".into(),
            });
        }
        Ok(ServedTable {
            name: name.to_owned(),
            columns,
        })
    }

    /// The live rows of `table` within `scope` that `selection` picks, with every column,
    /// and whether more rows follow the page.
    pub fn select_rows(
        &self,
        table: &ServedTable,
        scope: Scope,
        selection: &Selection,
    ) -> Result<(Table, bool)> {
        let (conditions, mut params) = self.conditions(table, scope, selection)?;
        let order = match &selection.sort {
            Some((column, true)) => format!("{} DESC NULLS LAST, id", table.vetted(column)?),
            Some((column, false)) => format!("{} NULLS LAST, id", table.vetted(column)?),
            None => "id".to_owned(),
        };
        // One row more than the page shows whether another page follows.
        let page = match selection.limit {
            Some(limit) => {
                params.push(Param::Int(limit.saturating_add(1) as i64));
                params.push(Param::Int(selection.offset as i64));
                "LIMIT ? OFFSET ?"
            }
            None => "",
        };
        let mut rows = self.query_with(
            &format!(
                "SELECT * FROM {} WHERE {conditions} ORDER BY {order} {page}",
                table.name
            ),
            &params,
        )?;
        let limit = selection.limit.unwrap_or(usize::MAX);
        let more = rows.rows.len() > limit;
        rows.rows.truncate(limit);
        Ok((rows, more))
    }

    /// Every row of `table`, deleted and merged ones too, by its first column: an admin's
    /// export of a whole table.
    pub fn every_row(&self, table: &ServedTable) -> Result<Table> {
        self.query_with(&format!("SELECT * FROM {} ORDER BY 1", table.name), &[])
    }

    /// How many live rows of `table` within `scope` `selection` picks, all pages together.
    pub fn count_rows(
        &self,
        table: &ServedTable,
        scope: Scope,
        selection: &Selection,
    ) -> Result<i64> {
        let (conditions, params) = self.conditions(table, scope, selection)?;
        Ok(self
            .value(
                &format!("SELECT count(*) FROM {} WHERE {conditions}", table.name),
                &params,
            )?
            .unwrap_or_default())
    }

    /// The WHERE clause (the scope first, then live rows, ids and filters) and its values.
    fn conditions(
        &self,
        table: &ServedTable,
        scope: Scope,
        selection: &Selection,
    ) -> Result<(String, Vec<Param>)> {
        let mut conditions: Vec<String> = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        if let Some((sql, values)) = scope.as_ref().map(RowCondition::sql) {
            conditions.push(format!("({sql})"));
            params.extend(values);
        }
        conditions.extend(table.live());
        if let Some(id) = selection.id {
            conditions.push("id = ?".into());
            params.push(Param::Int(id));
        }
        if let Some(ids) = &selection.ids {
            // One bound list, however many ids.
            conditions.push(self.dialect().in_id_list("id"));
            params.push(Param::Text(self.dialect().id_list(ids)));
        }
        for (column, value) in &selection.equals {
            conditions.push(format!("CAST({} AS VARCHAR) = ?", table.vetted(column)?));
            params.push(Param::Text(value.clone()));
        }
        if conditions.is_empty() {
            conditions.push("true".into());
        }
        Ok((conditions.join(" AND "), params))
    }

    /// Which of `values` (a column of `table` and a text) read as their column's type. A
    /// value plainly of its type (an id given as digits, any text for a text column) is
    /// taken as it is; the database judges the others, all in one statement, so that an
    /// API write naming only such values (a deal moved to another stage) asks it nothing.
    pub fn castable(&self, table: &ServedTable, values: &[(&str, &str)]) -> Result<Vec<bool>> {
        let mut fits = vec![true; values.len()];
        let mut tests = Vec::new();
        let mut params = Vec::new();
        let mut asked = Vec::new();
        for (i, (column, text)) in values.iter().enumerate() {
            let data_type = &table
                .column(table.vetted(column)?)
                .expect("vetted")
                .sql_type;
            if plainly_of(data_type, text) {
                continue;
            }
            tests.push(format!(
                "{} AS ok{i}",
                self.dialect().casts_to("?", data_type)
            ));
            params.push(Param::Text((*text).to_owned()));
            asked.push(i);
        }
        if asked.is_empty() {
            return Ok(fits);
        }
        let found = self.query_with(&format!("SELECT {}", tests.join(", ")), &params)?;
        let row = found.rows.into_iter().next().unwrap_or_default();
        for (i, ok) in asked.into_iter().zip(row) {
            fits[i] = ok.as_bool() == Some(true);
        }
        Ok(fits)
    }

    /// Insert row `id` of `table` from `fields`, stamped created and updated at `now` where
    /// the table keeps those stamps.
    pub fn insert_row(
        &self,
        table: &ServedTable,
        id: i64,
        fields: &[Field],
        now: NaiveDateTime,
    ) -> Result<()> {
        let mut names = vec!["id".to_owned()];
        let mut values = vec!["?".to_owned()];
        let mut params = vec![Param::Int(id)];
        for stamp in ["created_at", "updated_at"] {
            if table.has(stamp) {
                names.push(stamp.to_owned());
                values.push("?".to_owned());
                params.push(Param::Timestamp(now));
            }
        }
        for (column, value) in fields {
            let column = table.column(table.vetted(column)?).expect("vetted");
            names.push(column.name.clone());
            values.push(format!("CAST(? AS {})", column.sql_type));
            params.push(value.clone().map_or(Param::Null, Param::Text));
        }
        self.execute_with(
            &format!(
                "INSERT INTO {} ({}) VALUES ({})",
                table.name,
                names.join(", "),
                values.join(", ")
            ),
            &params,
        )?;
        Ok(())
    }

    /// Change row `id` of `table` to `fields`, stamped updated at `now` where the table
    /// keeps that stamp; how many rows changed.
    pub fn update_row(
        &self,
        table: &ServedTable,
        id: i64,
        fields: &[Field],
        now: NaiveDateTime,
    ) -> Result<usize> {
        let (sql, params) = update_statement(table, id, fields, now)?;
        self.execute_with(&sql, &params)
    }

    /// Mark row `id` of `table` deleted at `now` (it stays, out of every live read); how
    /// many rows changed.
    pub fn soft_delete(&self, table: &ServedTable, id: i64, now: NaiveDateTime) -> Result<usize> {
        table.vetted("deleted_at")?;
        let stamp = if table.has("updated_at") {
            ", updated_at = ?"
        } else {
            ""
        };
        let mut params = vec![Param::Timestamp(now)];
        if table.has("updated_at") {
            params.push(Param::Timestamp(now));
        }
        params.push(Param::Int(id));
        self.execute_with(
            &format!(
                "UPDATE {} SET deleted_at = ?{stamp} WHERE id = ?",
                table.name
            ),
            &params,
        )
    }
}

/// The statement of [`Store::update_row`], with its parameters: a `RETURNING` clause may
/// follow it.
pub(crate) fn update_statement(
    table: &ServedTable,
    id: i64,
    fields: &[Field],
    now: NaiveDateTime,
) -> Result<(String, Vec<Param>)> {
    let mut sets = Vec::new();
    let mut params = Vec::new();
    for (column, value) in fields {
        let column = table.column(table.vetted(column)?).expect("vetted");
        sets.push(format!("{} = CAST(? AS {})", column.name, column.sql_type));
        params.push(value.clone().map_or(Param::Null, Param::Text));
    }
    if table.has("updated_at") {
        sets.push("updated_at = ?".into());
        params.push(Param::Timestamp(now));
    }
    params.push(Param::Int(id));
    let sql = format!("UPDATE {} SET {} WHERE id = ?", table.name, sets.join(", "));
    Ok((sql, params))
}
