//! A record's history as its page shows it: a deal's stage visits and field changes, a
//! contact's campaign events, the records merged into one; the journal of merges.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;
use serde::Deserialize;

/// A deal's stay in one stage.
#[derive(Debug, Clone, Deserialize)]
pub struct Visit {
    pub stage_id: i64,
    pub entered_at: String,
    pub exited_at: Option<String>,
    /// Days spent there: to its exit, or to now for an open deal's current stage; none for
    /// the stage a closed deal rests in (Won, Lost).
    pub days: Option<i64>,
    /// Made up by an import from the deal's dates.
    pub synthesised: Option<bool>,
}

/// A change of one tracked field of a deal, its values as text.
#[derive(Debug, Clone, Deserialize)]
pub struct Change {
    pub changed_at: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub changed_by: Option<i64>,
}

/// What a contact did in a campaign.
#[derive(Debug, Clone, Deserialize)]
pub struct CampaignEvent {
    pub occurred_at: String,
    pub name: Option<String>,
    pub channel: Option<String>,
    pub event: Option<String>,
}

/// A record merged into another.
#[derive(Debug, Clone, Deserialize)]
pub struct Merged {
    pub merged_at: String,
    pub merged_id: i64,
    pub merged_by: Option<String>,
    pub undone_at: Option<String>,
}

/// A merge as the journal keeps it.
#[derive(Debug, Clone, Deserialize)]
pub struct JournaledMerge {
    pub id: i64,
    pub entity: String,
    pub survivor_id: i64,
    pub merged_id: i64,
    pub merged_at: String,
    pub merged_by: Option<String>,
    pub undone: bool,
}

impl Store {
    /// The latest `limit` merges of any entity, newest first.
    pub fn merge_journal(&self, limit: i64) -> Result<Vec<JournaledMerge>> {
        self.records(
            "SELECT id, entity, survivor_id, merged_id,
                    CAST(merged_at AS VARCHAR) AS merged_at, merged_by,
                    undone_at IS NOT NULL AS undone
               FROM merge_journal ORDER BY id DESC LIMIT ?",
            &[Param::Int(limit)],
        )
    }

    /// Deal `deal`'s stage visits, newest first, days counted to `now`.
    pub fn stage_visits(&self, deal: i64, now: NaiveDateTime) -> Result<Vec<Visit>> {
        self.records(
            "SELECT h.stage_id, h.entered_at, h.exited_at,
                    CASE WHEN h.exited_at IS NOT NULL OR d.status = 'open'
                         THEN CAST(coalesce(h.exited_at, CAST(? AS TIMESTAMP)) AS DATE)
                              - CAST(h.entered_at AS DATE) END AS days,
                    h.synthesised
               FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id
              WHERE h.deal_id = ? ORDER BY h.entered_at DESC, h.id DESC",
            &[Param::Timestamp(now), Param::Int(deal)],
        )
    }

    /// Deal `deal`'s logged field changes, newest first.
    pub fn deal_changes(&self, deal: i64) -> Result<Vec<Change>> {
        self.records(
            "SELECT changed_at, field, old_value, new_value, changed_by FROM deal_changes
              WHERE deal_id = ? ORDER BY changed_at DESC, id DESC",
            &[Param::Int(deal)],
        )
    }

    /// Contact `contact`'s campaign events, newest first.
    pub fn campaign_events(&self, contact: i64) -> Result<Vec<CampaignEvent>> {
        self.records(
            "SELECT e.occurred_at, c.name, c.channel, e.event FROM campaign_events e
               JOIN campaigns c ON c.id = e.campaign_id
              WHERE e.contact_id = ? ORDER BY e.occurred_at DESC, e.id DESC",
            &[Param::Int(contact)],
        )
    }

    /// The records of `entity` (a table) merged into `survivor`, newest first.
    pub fn merged_into(&self, entity: &str, survivor: i64) -> Result<Vec<Merged>> {
        self.records(
            "SELECT merged_at, merged_id, merged_by, undone_at FROM merge_journal
              WHERE entity = ? AND survivor_id = ? ORDER BY merged_at DESC, id DESC",
            &[Param::Text(entity.to_owned()), Param::Int(survivor)],
        )
    }
}
