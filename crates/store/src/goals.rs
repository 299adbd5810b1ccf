//! Goals as rows: adding, listing and removing them, whom a goal is for; and the custom
//! reports saved by name. What a goal counts and how far it has come, and what a saved
//! report asks, is the metrics crate's.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDate;
use embudo_model::Table;
use serde::Deserialize;

/// Whom a goal is for: its scope (`company`, `team`, `user`), the team's or user's id,
/// and a user goal's user's team.
#[derive(Debug, Clone, Deserialize)]
pub struct GoalScope {
    pub scope: Option<String>,
    pub scope_id: Option<i64>,
    pub team_id: Option<i64>,
}

/// A goal as stored, with its team's or user's name.
#[derive(Debug, Clone, Deserialize)]
pub struct GoalRow {
    pub id: i64,
    pub name: String,
    pub metric: String,
    pub target: f64,
    pub direction: String,
    pub period_start: String,
    pub period_end: String,
    pub scope: String,
    pub scope_id: Option<i64>,
    /// The team's or user's name, when the goal is theirs and they exist.
    pub scope_name: Option<String>,
    /// A JSON object of filters.
    pub filters: Option<String>,
}

/// A goal to store, already checked.
#[derive(Debug, Clone)]
pub struct NewGoal<'a> {
    pub name: &'a str,
    pub metric: &'a str,
    pub target: f64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub scope: &'a str,
    pub scope_id: Option<i64>,
    pub direction: &'a str,
    /// A JSON object of filters.
    pub filters: &'a str,
}

/// The goals with their scope's name.
const GOALS: &str = "SELECT g.id, g.name, g.metric, g.target, g.direction,
        CAST(g.period_start AS VARCHAR) AS period_start, CAST(g.period_end AS VARCHAR) AS period_end,
        g.scope, g.scope_id, coalesce(t.name, u.name) AS scope_name,
        CAST(g.filters AS VARCHAR) AS filters
   FROM goals g
   LEFT JOIN teams t ON g.scope = 'team' AND t.id = g.scope_id
   LEFT JOIN users u ON g.scope = 'user' AND u.id = g.scope_id";

/// The saved reports a reader may run: shared ones and their own; every one for no reader.
const READABLE: &str = "FROM saved_reports
  WHERE CAST(? AS BIGINT) IS NULL OR shared OR owner_id = ?
  ORDER BY name";

fn readable_by(reader: Option<i64>) -> [Param; 2] {
    let reader = reader.map_or(Param::Null, Param::Int);
    [reader.clone(), reader]
}

impl Store {
    /// Store a new goal; returns its id.
    pub fn insert_goal(&self, goal: &NewGoal) -> Result<i64> {
        let id = self.next_id("goals")?;
        self.execute_with(
            "INSERT INTO goals (id, name, metric, target, period_start, period_end, scope,
                                scope_id, direction, filters)
             VALUES (?, ?, ?, ?, CAST(? AS DATE), CAST(? AS DATE), ?, ?, ?, ?)",
            &[
                Param::Int(id),
                Param::Text(goal.name.to_owned()),
                Param::Text(goal.metric.to_owned()),
                Param::Float(goal.target),
                Param::Text(goal.start.to_string()),
                Param::Text(goal.end.to_string()),
                Param::Text(goal.scope.to_owned()),
                goal.scope_id.map_or(Param::Null, Param::Int),
                Param::Text(goal.direction.to_owned()),
                Param::Text(goal.filters.to_owned()),
            ],
        )?;
        if goal.scope_id.is_none() {
            // A company goal has no scope id; the placeholder above is cleared here rather
            // than bound as an untyped NULL.
            self.execute_with(
                "UPDATE goals SET scope_id = NULL WHERE id = ?",
                &[Param::Int(id)],
            )?;
        }
        Ok(id)
    }

    /// Every goal (only goal `id` when given), in id order.
    pub fn goal_rows(&self, id: Option<i64>) -> Result<Vec<GoalRow>> {
        self.records(
            &format!("{GOALS} WHERE CAST(? AS BIGINT) IS NULL OR g.id = ? ORDER BY g.id"),
            &[
                id.map_or(Param::Null, Param::Int),
                id.map_or(Param::Null, Param::Int),
            ],
        )
    }

    /// Every goal as `embudo goal list` shows it, in id order.
    pub fn goals_table(&self) -> Result<Table> {
        self.query_with(
            &format!(
                "SELECT id, name, metric, target, direction, period_start, period_end, scope,
                        scope_name, filters FROM ({GOALS}) g ORDER BY id"
            ),
            &[],
        )
    }

    /// Remove the goals called `name`; how many went.
    pub fn delete_goals_named(&self, name: &str) -> Result<usize> {
        self.execute_with(
            "DELETE FROM goals WHERE name = ?",
            &[Param::Text(name.to_owned())],
        )
    }

    /// Save a custom report's spec (JSON text) under `name`, replacing one of that name.
    pub fn save_report(
        &self,
        name: &str,
        spec: &str,
        owner: Option<i64>,
        shared: bool,
    ) -> Result<()> {
        self.execute_with(
            "INSERT INTO saved_reports (name, spec, owner_id, shared) VALUES (?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE
             SET spec = excluded.spec, owner_id = excluded.owner_id, shared = excluded.shared",
            &[
                Param::Text(name.to_owned()),
                Param::Text(spec.to_owned()),
                owner.map_or(Param::Null, Param::Int),
                Param::Bool(shared),
            ],
        )?;
        Ok(())
    }

    /// Whether a report is saved as `name`, and whose it is (`Some(None)`: nobody's).
    pub fn saved_report_owner(&self, name: &str) -> Result<Option<Option<i64>>> {
        self.value::<Option<i64>>(
            "SELECT owner_id FROM saved_reports WHERE name = ?",
            &[Param::Text(name.to_owned())],
        )
    }

    /// The spec (JSON text) saved as `name`, if `reader` may open it (`None`: anyone).
    pub fn saved_report_spec(&self, name: &str, reader: Option<i64>) -> Result<Option<String>> {
        let [a, b] = readable_by(reader);
        self.value(
            "SELECT CAST(spec AS VARCHAR) FROM saved_reports
              WHERE name = ? AND (CAST(? AS BIGINT) IS NULL OR shared OR owner_id = ?)",
            &[Param::Text(name.to_owned()), a, b],
        )
    }

    /// The saved reports `reader` may open: name, metrics, when saved, whether shared.
    pub fn saved_reports_table(&self, reader: Option<i64>) -> Result<Table> {
        self.query_with(
            &format!(
                "SELECT name, CAST(spec->'metrics' AS VARCHAR) AS metrics, created_at,
                        coalesce(shared, true) AS shared
                   {READABLE}"
            ),
            &readable_by(reader),
        )
    }

    /// The names of the saved reports `reader` may run, by name.
    pub fn saved_report_names(&self, reader: Option<i64>) -> Result<Vec<String>> {
        self.values(&format!("SELECT name {READABLE}"), &readable_by(reader))
    }

    /// Whom goal `id` is for.
    pub fn goal_scope(&self, id: i64) -> Result<Option<GoalScope>> {
        let found: Vec<GoalScope> = self.records(
            "SELECT g.scope, g.scope_id, u.team_id FROM goals g
               LEFT JOIN users u ON g.scope = 'user' AND u.id = g.scope_id
              WHERE g.id = ?",
            &[Param::Int(id)],
        )?;
        Ok(found.into_iter().next())
    }

    /// Remove goal `id` for good (goals have no `deleted_at`); how many rows went.
    pub fn delete_goal(&self, id: i64) -> Result<usize> {
        self.execute_with("DELETE FROM goals WHERE id = ?", &[Param::Int(id)])
    }
}
