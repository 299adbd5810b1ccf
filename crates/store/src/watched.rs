//! The records alerts watch, at an instant: deals stuck in their stage, deals whose win
//! probability fell, tickets past their SLA, and the quality dimensions the last audit lost
//! points on. Each read narrows to an alert rule's filters, names matched in any case.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// An alert rule's filters by name (in any case); `None` is no filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Within<'a> {
    pub owner: Option<&'a str>,
    pub team: Option<&'a str>,
    pub pipeline: Option<&'a str>,
    pub agent: Option<&'a str>,
}

fn name(filter: Option<&str>) -> Param {
    filter.map_or(Param::Null, |value| Param::Text(value.to_owned()))
}

/// An open deal whose stage has not changed for a while.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaleDeal {
    pub id: i64,
    pub name: String,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    pub stage: String,
    /// Whole days since it entered its stage.
    pub days: i64,
    /// Its stage history came from no file (an export without one): the import made it up
    /// from the deal's dates, so `days` counts from when it was created.
    pub synthesised: bool,
}

/// An open deal whose win probability fell between its last two scorings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityDrop {
    pub id: i64,
    pub name: String,
    pub owner_id: Option<i64>,
    pub owner: Option<String>,
    pub stage: String,
    pub before: f64,
    pub after: f64,
}

/// A ticket still open past its SLA due time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueTicket {
    pub id: i64,
    pub priority: String,
    pub agent: Option<String>,
    /// Whole hours past its due time.
    pub hours_over: i64,
}

/// An entity and quality dimension whose score fell between the last two audits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityDrop {
    pub entity: String,
    pub dimension: String,
    pub before: f64,
    pub latest: f64,
    pub failing: i64,
    pub total: i64,
}

impl Store {
    /// The deals open at `at` (UTC) whose stage was entered more than `days` days before
    /// it, within the owner, team and pipeline filters, stalest first.
    pub fn stale_deals(
        &self,
        within: Within,
        at: NaiveDateTime,
        days: i64,
    ) -> Result<Vec<StaleDeal>> {
        self.records(
            &format!(
                "WITH visits AS (
                 SELECT h.deal_id, {stage} AS stage_id, max(h.entered_at) AS since,
                        bool_or(coalesce(h.synthesised, false)) AS synthesised
                   FROM deal_stage_history h WHERE h.entered_at <= $1 GROUP BY 1
             )
             SELECT d.id, coalesce(d.name, 'Deal ' || d.id) AS name, d.owner_id, u.name AS owner,
                    s.name AS stage,
                    CAST(CAST($1 AS TIMESTAMP) AS DATE) - CAST(v.since AS DATE) AS days,
                    coalesce(v.synthesised, false) AS synthesised
               FROM live_deals d
               JOIN visits v ON v.deal_id = d.id
               JOIN stages s ON s.id = v.stage_id
               LEFT JOIN users u ON u.id = d.owner_id
               LEFT JOIN teams t ON t.id = u.team_id
               LEFT JOIN pipelines p ON p.id = d.pipeline_id
              WHERE d.status = 'open'
                AND d.created_at <= $1 AND v.since < $1 - {days}
                AND (CAST($3 AS VARCHAR) IS NULL OR lower(u.name) = lower($3))
                AND (CAST($4 AS VARCHAR) IS NULL OR lower(t.name) = lower($4))
                AND (CAST($5 AS VARCHAR) IS NULL OR lower(p.name) = lower($5))
              ORDER BY v.since, d.id",
                stage = self.dialect().arg_max("h.stage_id", "h.entered_at"),
                days = self.dialect().days("CAST($2 AS INTEGER)"),
            ),
            &[
                Param::Timestamp(at),
                Param::Int(days),
                name(within.owner),
                name(within.team),
                name(within.pipeline),
            ],
        )
    }

    /// The deals open at `at` (UTC) whose latest win probability (scored by then) is at
    /// least `points` percentage points below the one before, within the owner, team and
    /// pipeline filters, the largest fall first.
    pub fn probability_drops(
        &self,
        within: Within,
        at: NaiveDateTime,
        points: i64,
    ) -> Result<Vec<ProbabilityDrop>> {
        self.records(
            "WITH ranked AS (
                 SELECT deal_id, probability,
                        row_number() OVER (PARTITION BY deal_id ORDER BY scored_at DESC, id DESC) AS n
                   FROM deal_scores WHERE scored_at <= $1
             )
             SELECT d.id, coalesce(d.name, 'Deal ' || d.id) AS name, d.owner_id, u.name AS owner,
                    s.name AS stage, before.probability AS before, latest.probability AS after
               FROM ranked latest
               JOIN ranked before ON before.deal_id = latest.deal_id AND before.n = 2
               JOIN live_deals d ON d.id = latest.deal_id
               JOIN stages s ON s.id = d.stage_id
               LEFT JOIN users u ON u.id = d.owner_id
               LEFT JOIN teams t ON t.id = u.team_id
               LEFT JOIN pipelines p ON p.id = d.pipeline_id
              WHERE latest.n = 1
                AND before.probability - latest.probability >= CAST($2 AS DOUBLE PRECISION) / 100
                AND d.created_at <= $1 AND (d.closed_at IS NULL OR d.closed_at > $1)
                AND (CAST($3 AS VARCHAR) IS NULL OR lower(u.name) = lower($3))
                AND (CAST($4 AS VARCHAR) IS NULL OR lower(t.name) = lower($4))
                AND (CAST($5 AS VARCHAR) IS NULL OR lower(p.name) = lower($5))
              ORDER BY before.probability - latest.probability DESC, d.id",
            &[
                Param::Timestamp(at),
                Param::Int(points),
                name(within.owner),
                name(within.team),
                name(within.pipeline),
            ],
        )
    }

    /// The tickets open at `at` (UTC) past their SLA due time, within the agent and team
    /// filters, the longest overdue first.
    pub fn overdue_tickets(&self, within: Within, at: NaiveDateTime) -> Result<Vec<OverdueTicket>> {
        self.records(
            &format!(
                "SELECT k.id, coalesce(k.priority, '') AS priority, u.name AS agent,
                        {} AS hours_over
                   FROM tickets k
                   LEFT JOIN users u ON u.id = k.agent_id
                   LEFT JOIN teams t ON t.id = u.team_id
                  WHERE k.opened_at <= $1 AND (k.resolved_at IS NULL OR k.resolved_at > $1)
                    AND k.sla_due_at < $1
                    AND (CAST($2 AS VARCHAR) IS NULL OR lower(u.name) = lower($2))
                    AND (CAST($3 AS VARCHAR) IS NULL OR lower(t.name) = lower($3))
                  ORDER BY k.sla_due_at, k.id",
                self.dialect()
                    .hours_between("k.sla_due_at", "CAST($1 AS TIMESTAMP)")
            ),
            &[Param::Timestamp(at), name(within.agent), name(within.team)],
        )
    }

    /// The entities and dimensions whose score fell between the last two audits, the
    /// largest fall first (none with fewer than two audits).
    pub fn quality_drops(&self) -> Result<Vec<QualityDrop>> {
        self.records(
            "WITH runs AS (SELECT DISTINCT run_id FROM audit_runs ORDER BY run_id DESC LIMIT 2),
                  latest AS (SELECT * FROM audit_runs WHERE run_id = (SELECT max(run_id) FROM runs)),
                  before AS (SELECT * FROM audit_runs WHERE run_id = (SELECT min(run_id) FROM runs))
             SELECT l.entity, l.dimension, b.score AS before, l.score AS latest, l.failing, l.total
               FROM latest l JOIN before b USING (entity, dimension)
              WHERE l.score < b.score
              ORDER BY b.score - l.score DESC, l.entity, l.dimension",
            &[],
        )
    }
}
