//! The names of the records others point at — users, teams, pipelines, stages — by id, for
//! pages and lists that show a name where a row holds an id.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use serde::Deserialize;
use std::collections::HashMap;

/// A table whose rows have a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Users,
    Teams,
    Pipelines,
    Stages,
}

impl Named {
    fn table(self) -> &'static str {
        match self {
            Named::Users => "users",
            Named::Teams => "teams",
            Named::Pipelines => "pipelines",
            Named::Stages => "stages",
        }
    }
}

/// A row's id and name.
#[derive(Debug, Clone, Deserialize)]
pub struct IdName {
    pub id: i64,
    pub name: String,
}

impl Store {
    /// Every row of `table`, its name by id (empty where it has none).
    pub fn names(&self, table: Named) -> Result<HashMap<i64, String>> {
        Ok(self
            .named(table)?
            .into_iter()
            .map(|row| (row.id, row.name))
            .collect())
    }

    /// The first row of `table` called exactly `name`.
    pub fn id_named(&self, table: Named, name: &str) -> Result<Option<i64>> {
        self.value(
            &format!(
                "SELECT id FROM {} WHERE name = ? ORDER BY id LIMIT 1",
                table.table()
            ),
            &[Param::Text(name.to_owned())],
        )
    }

    /// The first row of `table` whose name is `name` in any case.
    pub fn id_named_any_case(&self, table: Named, name: &str) -> Result<Option<i64>> {
        self.value(
            &format!(
                "SELECT id FROM {} WHERE lower(name) = lower(?) ORDER BY id LIMIT 1",
                table.table()
            ),
            &[Param::Text(name.to_owned())],
        )
    }

    /// Every row of `table` in id order (its name empty where it has none).
    pub fn named(&self, table: Named) -> Result<Vec<IdName>> {
        // The table comes from the fixed list above.
        self.records(
            &format!(
                "SELECT id, coalesce(name, '') AS name FROM {} ORDER BY id",
                table.table()
            ),
            &[],
        )
    }

    /// The names of `table`'s rows, alphabetically (rows without one left out).
    pub fn names_in_order(&self, table: Named) -> Result<Vec<String>> {
        // The table comes from the fixed list above.
        self.values(
            &format!(
                "SELECT name FROM {} WHERE name IS NOT NULL ORDER BY name",
                table.table()
            ),
            &[],
        )
    }

    /// The active members of the team named `team` (in any case), by name.
    pub fn team_members(&self, team: &str) -> Result<Vec<String>> {
        self.values(
            "SELECT u.name FROM users u JOIN teams t ON t.id = u.team_id
              WHERE lower(t.name) = lower(?) AND u.active AND u.name IS NOT NULL ORDER BY u.name",
            &[Param::Text(team.to_owned())],
        )
    }

    /// The people who sell, by name: active reps and managers, and active users who own a
    /// deal.
    pub fn sellers(&self) -> Result<Vec<String>> {
        self.values(
            "SELECT DISTINCT u.name FROM users u
              WHERE u.active AND u.name IS NOT NULL
                AND (u.role IN ('rep', 'manager') OR EXISTS (SELECT 1 FROM deals d WHERE d.owner_id = u.id))
              ORDER BY u.name",
            &[],
        )
    }

    /// The lead sources live contacts use, in order.
    pub fn lead_sources(&self) -> Result<Vec<String>> {
        self.values(
            "SELECT DISTINCT lead_source FROM live_contacts WHERE lead_source IS NOT NULL ORDER BY 1",
            &[],
        )
    }

    /// The open stages of `pipeline`, in their order.
    pub fn open_stages(&self, pipeline: i64) -> Result<Vec<IdName>> {
        self.records(
            "SELECT id, coalesce(name, '') AS name FROM stages
              WHERE pipeline_id = ? AND kind = 'open' ORDER BY position",
            &[Param::Int(pipeline)],
        )
    }
}
