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

    /// The open stages of `pipeline`, in their order.
    pub fn open_stages(&self, pipeline: i64) -> Result<Vec<IdName>> {
        self.records(
            "SELECT id, coalesce(name, '') AS name FROM stages
              WHERE pipeline_id = ? AND kind = 'open' ORDER BY position",
            &[Param::Int(pipeline)],
        )
    }
}
