//! Goals as rows: whom a goal is for, and removing one. What a goal counts and how far it
//! has come is the metrics crate's.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use serde::Deserialize;

/// Whom a goal is for: its scope (`company`, `team`, `user`), the team's or user's id,
/// and a user goal's user's team.
#[derive(Debug, Clone, Deserialize)]
pub struct GoalScope {
    pub scope: Option<String>,
    pub scope_id: Option<i64>,
    pub team_id: Option<i64>,
}

impl Store {
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
