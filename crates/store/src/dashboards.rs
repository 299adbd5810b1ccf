//! Dashboards as rows: their name, owner, audience and tiles (JSON text). Who may see or
//! arrange one, and what its tiles hold, is the reports crate's.

use crate::error::{Result, StoreError};
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;
use serde::Deserialize;

/// A dashboard as stored, with its owner's and team's names.
#[derive(Debug, Clone, Deserialize)]
pub struct StoredDashboard {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    /// Empty when the owner is gone.
    pub owner: String,
    /// `owner`, `team` or `company`.
    pub audience: Option<String>,
    pub team_id: Option<i64>,
    pub team: Option<String>,
    /// The tiles as JSON text.
    pub tiles: Option<String>,
}

/// What a dashboard's row holds besides its owner, already checked.
#[derive(Debug, Clone)]
pub struct DashboardFields {
    pub name: String,
    pub audience: &'static str,
    pub team_id: Option<i64>,
    pub tiles: String,
}

const STORED: &str = "SELECT d.id, d.name, d.owner_id, coalesce(u.name, '') AS owner, d.audience,
        d.team_id, t.name AS team, CAST(d.tiles AS VARCHAR) AS tiles
   FROM dashboards d
   LEFT JOIN users u ON u.id = d.owner_id
   LEFT JOIN teams t ON t.id = d.team_id";

impl Store {
    /// Every dashboard, by name.
    pub fn dashboards(&self) -> Result<Vec<StoredDashboard>> {
        self.records(&format!("{STORED} ORDER BY lower(d.name), d.id"), &[])
    }

    /// Dashboard `id`, if there is one.
    pub fn dashboard(&self, id: i64) -> Result<Option<StoredDashboard>> {
        Ok(self
            .records(&format!("{STORED} WHERE d.id = ?"), &[Param::Int(id)])?
            .into_iter()
            .next())
    }

    /// A new dashboard of user `owner_id`'s; its id.
    pub fn insert_dashboard(
        &self,
        owner_id: i64,
        fields: &DashboardFields,
        now: NaiveDateTime,
    ) -> Result<i64> {
        self.value(
            "INSERT INTO dashboards (id, name, owner_id, audience, team_id, tiles, created_at, updated_at)
             VALUES (nextval('dashboards_id'), ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                Param::Text(fields.name.clone()),
                Param::Int(owner_id),
                Param::Text(fields.audience.into()),
                fields.team_id.map_or(Param::Null, Param::Int),
                Param::Text(fields.tiles.clone()),
                Param::Timestamp(now),
                Param::Timestamp(now),
            ],
        )?
        .ok_or_else(|| StoreError::Rows {
            statement: "INSERT INTO dashboards … RETURNING id".into(),
            problem: "no id came back".into(),
        })
    }

    /// Write dashboard `id`'s name, audience and tiles.
    pub fn update_dashboard(
        &self,
        id: i64,
        fields: &DashboardFields,
        now: NaiveDateTime,
    ) -> Result<()> {
        self.execute_with(
            "UPDATE dashboards SET name = ?, audience = ?, team_id = ?, tiles = ?, updated_at = ?
              WHERE id = ?",
            &[
                Param::Text(fields.name.clone()),
                Param::Text(fields.audience.into()),
                fields.team_id.map_or(Param::Null, Param::Int),
                Param::Text(fields.tiles.clone()),
                Param::Timestamp(now),
                Param::Int(id),
            ],
        )?;
        Ok(())
    }

    /// Delete dashboard `id`.
    pub fn delete_dashboard(&self, id: i64) -> Result<()> {
        self.execute_with("DELETE FROM dashboards WHERE id = ?", &[Param::Int(id)])?;
        Ok(())
    }
}
