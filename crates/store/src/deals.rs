//! A deal's moves between stages, recorded the same way whoever moves it (the API, an
//! import that finds a deal in another stage than the store has it): the visit of the stage
//! it leaves ends when the move happens, and a visit of the stage it enters begins then.
//! Reports read a deal's stage at any instant from these visits. Changes to a deal's
//! tracked fields (stage, amount, owner, expected close) are logged the same way too: a
//! writer changes deals through [`Store::change_deals`] (a set of them) or
//! [`Store::change_deal`] (one), which record both.
//!
//! Also the reads of deals the pages and the forecast share: when open deals entered their
//! stage, deals' latest win probabilities, the currency most deals are in.

use crate::Dialect;
use crate::derived::{DealSources, Touched};
use crate::error::{Result, StoreError};
use crate::query::Param;
use crate::served::{Field, ServedTable, update_statement};
use crate::store::Store;
use chrono::NaiveDateTime;
use std::collections::HashMap;

/// A stage's pipeline and kind (`open`, `won`, `lost`; none when unset).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct StageRow {
    pub pipeline_id: i64,
    pub kind: Option<String>,
}

/// One deal entering a stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageMove {
    pub deal: i64,
    pub stage: i64,
    pub at: NaiveDateTime,
    /// The user who moved it; none for an import.
    pub by: Option<i64>,
}

/// Deal fields whose changes are kept in `deal_changes`, old and new values as text: the
/// forecast reads a deal as it stood at an earlier instant back from them.
pub const TRACKED_FIELDS: [&str; 4] = ["stage_id", "amount", "owner_id", "expected_close_date"];

/// A deal's [`TRACKED_FIELDS`] as text, in that order.
type Fields = [Option<String>; 4];

/// The tracked fields of the deals a write is about to change, as they were.
const BEFORE: &str = "_embudo_tracked_before";

/// The tracked fields a write changed, deal by deal.
const CHANGED: &str = "_embudo_tracked_changes";

/// A deal's [`TRACKED_FIELDS`] as text, and what its derived fields come from, as one
/// read of it finds them.
#[derive(serde::Deserialize)]
struct Tracked {
    stage_id: Option<String>,
    amount: Option<String>,
    owner_id: Option<String>,
    expected_close_date: Option<String>,
    #[serde(flatten)]
    sources: DealSources,
}

impl Tracked {
    /// What a read of [`Tracked`] selects from `deals`.
    fn columns() -> String {
        let fields = TRACKED_FIELDS.map(|field| format!("CAST({field} AS VARCHAR) AS {field}"));
        format!("{}, {}", fields.join(", "), DealSources::columns())
    }

    /// The tracked fields, in the order of [`TRACKED_FIELDS`], and the sources.
    fn split(self) -> (Fields, DealSources) {
        let fields = [
            self.stage_id,
            self.amount,
            self.owner_id,
            self.expected_close_date,
        ];
        (fields, self.sources)
    }
}

/// The first ids of the blocks a change of a deal logs into: its stage visit (taken when
/// its stage was given), its changes.
#[derive(Debug, Clone, Copy)]
struct LogIds {
    visit: Option<i64>,
    first_change: i64,
}

/// A tracked field of one deal that a write changed, before and after, as text.
struct Change {
    field: &'static str,
    old: Option<String>,
    new: Option<String>,
}

/// The start of a statement logging changes; a VALUES list follows.
const CHANGES_INSERT: &str = "INSERT INTO deal_changes (id, deal_id, field, old_value, new_value, changed_at, changed_by) VALUES";

/// Moves written per statement: four bound values each.
const MOVES_PER_STATEMENT: usize = 1_000;

impl Store {
    /// The stage deal `id` is in.
    pub fn deal_stage(&self, id: i64) -> Result<Option<i64>> {
        self.value("SELECT stage_id FROM deals WHERE id = ?", &[Param::Int(id)])
    }

    /// Stage `id`'s pipeline and kind.
    pub fn stage(&self, id: i64) -> Result<Option<StageRow>> {
        let found: Vec<StageRow> = self.records(
            "SELECT pipeline_id, kind FROM stages WHERE id = ?",
            &[Param::Int(id)],
        )?;
        Ok(found.into_iter().next())
    }

    /// Record `moves`: each deal's open visit ends at its move, and a visit of its new stage
    /// begins then. A deal without an open visit (a new one) only enters its stage. The
    /// deal's own `stage_id` is the caller's to set.
    pub fn move_stages(&self, moves: &[StageMove]) -> Result<()> {
        for chunk in moves.chunks(MOVES_PER_STATEMENT) {
            // Typed where they are bound: PostgreSQL reads a bare value in VALUES as text.
            let values = vec![
                "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TIMESTAMP), CAST(? AS BIGINT))";
                chunk.len()
            ]
            .join(", ");
            let params: Vec<Param> = chunk
                .iter()
                .flat_map(|m| {
                    [
                        Param::Int(m.deal),
                        Param::Int(m.stage),
                        Param::Timestamp(m.at),
                        m.by.map_or(Param::Null, Param::Int),
                    ]
                })
                .collect();
            self.execute_with(
                &format!(
                    "UPDATE deal_stage_history h SET exited_at = v.moved_at
                       FROM (VALUES {values}) v(deal, stage, moved_at, moved_by)
                      WHERE h.deal_id = v.deal AND h.exited_at IS NULL"
                ),
                &params,
            )?;
            let first = self.reserve_ids("deal_stage_history", chunk.len() as u64)?;
            let mut with_first = vec![Param::Int(first)];
            with_first.extend(params);
            self.execute_with(
                &format!(
                    "INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, changed_by)
                     SELECT CAST(? AS BIGINT) - 1 + n, deal, stage, moved_at, moved_by
                       FROM (SELECT row_number() OVER () AS n, *
                               FROM (VALUES {values}) v(deal, stage, moved_at, moved_by)) numbered"
                ),
                &with_first,
            )?;
        }
        Ok(())
    }

    /// Change deal `id` to `fields` (as [`Store::update_row`] does, at `at`) and record
    /// what changed as [`Store::change_deals`] does, for the one deal an API write changes:
    /// its tracked fields are read before and returned by the update itself, and compared
    /// here, where a set of deals is compared in scratch tables whose creation, analysis
    /// and removal are eight statements more, each a catalog change on PostgreSQL (under
    /// fifty clients on two cores, a stage move queued behind every one). The same reads
    /// note in `touched` what the deal's derived fields come from. Returns how many field
    /// changes were logged.
    ///
    /// On PostgreSQL the deal is locked from its first read to the end of the transaction,
    /// and whoever moves it at the same moment waits that long: the ids the log may need
    /// are taken before, and what follows the update is one statement.
    pub fn change_deal(
        &self,
        (id, touched): (i64, &mut Touched),
        (table, fields): (&ServedTable, &[Field]),
        at: NaiveDateTime,
        by: Option<i64>,
    ) -> Result<usize> {
        let shared = self.dialect() == Dialect::Postgres;
        let ids = if shared {
            self.reserve_for_log(fields)?
        } else {
            None
        };
        let before = self.tracked_fields(id, shared)?;
        let (update, params) = update_statement(table, id, fields, at)?;
        let after = self
            .records::<Tracked>(
                &format!("{update} RETURNING {}", Tracked::columns()),
                &params,
            )?
            .into_iter()
            .next();
        let [before, after] = [before, after].map(|seen| {
            seen.map(|seen| {
                let (fields, sources) = seen.split();
                touched.saw_deal(id, Some(sources));
                fields
            })
        });
        let changes: Vec<Change> = match (before, after) {
            (Some(before), Some(after)) => TRACKED_FIELDS
                .into_iter()
                .zip(before.into_iter().zip(after))
                .filter(|(_, (old, new))| old != new)
                .map(|(field, (old, new))| Change { field, old, new })
                .collect(),
            _ => Vec::new(),
        };
        let moved = changes
            .iter()
            .filter(|c| c.field == "stage_id")
            .find_map(|c| c.new.as_deref()?.parse().ok())
            .map(|stage| StageMove {
                deal: id,
                stage,
                at,
                by,
            });
        match ids {
            Some(ids) => self.move_and_log((id, moved), &changes, (at, by), ids)?,
            None => {
                self.move_stages(moved.as_slice())?;
                self.log_changes(id, &changes, at, by)?;
            }
        }
        Ok(changes.len())
    }

    /// The ids a change of a deal's `fields` may log, taken in one statement: a stage
    /// visit's (when the stage is among them) and as many changes' as tracked fields among
    /// them (the first of each). None when no tracked field is among them. Some may go
    /// unused: a field given its own value is no change.
    fn reserve_for_log(&self, fields: &[Field]) -> Result<Option<LogIds>> {
        let given = |field: &str| fields.iter().any(|(column, _)| column == field);
        let tracked = TRACKED_FIELDS.iter().filter(|f| given(f)).count() as u64;
        if tracked == 0 {
            return Ok(None);
        }
        Ok(Some(if given("stage_id") {
            let ids =
                self.reserve_ids_each(&[("deal_stage_history", 1), ("deal_changes", tracked)])?;
            LogIds {
                visit: Some(ids[0]),
                first_change: ids[1],
            }
        } else {
            LogIds {
                visit: None,
                first_change: self.reserve_ids("deal_changes", tracked)?,
            }
        }))
    }

    /// [`Store::move_stages`] of `moved` (if the deal moved) and [`Store::log_changes`] of
    /// `changes` (which include the stage's) of deal `deal`, in one statement on
    /// PostgreSQL, with ids taken before: the deal is locked until the transaction ends,
    /// and under fifty clients every statement is a wait for a turn on the cores. (The
    /// visit closed and the one opened are apart: both parts of the statement see the
    /// history as it was before it.)
    fn move_and_log(
        &self,
        (deal, moved): (i64, Option<StageMove>),
        changes: &[Change],
        (at, by): (NaiveDateTime, Option<i64>),
        ids: LogIds,
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let (values, logged) = logged(deal, changes, at, by, ids.first_change);
        let mut params = Vec::new();
        let moving = match moved {
            Some(moved) => {
                // Only a given stage moves a deal, so its visit's id was taken.
                let visit = match ids.visit {
                    Some(visit) => visit,
                    None => self.reserve_ids("deal_stage_history", 1)?,
                };
                params.extend([
                    Param::Timestamp(moved.at),
                    Param::Int(moved.deal),
                    Param::Int(visit),
                    Param::Int(moved.deal),
                    Param::Int(moved.stage),
                    Param::Timestamp(moved.at),
                    moved.by.map_or(Param::Null, Param::Int),
                ]);
                "WITH closed AS (
                     UPDATE deal_stage_history SET exited_at = CAST(? AS TIMESTAMP)
                      WHERE deal_id = CAST(? AS BIGINT) AND exited_at IS NULL),
                 entered AS (
                     INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, changed_by)
                     VALUES (CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT),
                             CAST(? AS TIMESTAMP), CAST(? AS BIGINT)))"
            }
            None => "",
        };
        params.extend(logged);
        self.execute_with(&format!("{moving} {CHANGES_INSERT} {values}"), &params)?;
        Ok(())
    }

    /// Deal `id`'s tracked fields and what its derived fields come from (none when there
    /// is no such deal), locked until the transaction ends with `lock`.
    fn tracked_fields(&self, id: i64, lock: bool) -> Result<Option<Tracked>> {
        let lock = if lock { " FOR UPDATE" } else { "" };
        let found: Vec<Tracked> = self.records(
            &format!(
                "SELECT {} FROM deals WHERE id = ?{lock}",
                Tracked::columns()
            ),
            &[Param::Int(id)],
        )?;
        Ok(found.into_iter().next())
    }

    /// Log `changes` of deal `deal` in `deal_changes`, in the order of their fields' names
    /// (as [`Store::change_deals`] numbers them).
    fn log_changes(
        &self,
        deal: i64,
        changes: &[Change],
        at: NaiveDateTime,
        by: Option<i64>,
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let first = self.reserve_ids("deal_changes", changes.len() as u64)?;
        let (values, params) = logged(deal, changes, at, by, first);
        self.execute_with(&format!("{CHANGES_INSERT} {values}"), &params)?;
        Ok(())
    }

    /// Run `write`, which changes some of the deals `deals` selects (SQL selecting ids, of
    /// the caller's own text, with `params` bound), and record what it did as changed at
    /// `at` by `by` (none for an import): each tracked field it changed in `deal_changes`,
    /// and each deal it put in another stage as a [`StageMove`] there. Returns what `write`
    /// returned and how many field changes were recorded.
    pub fn change_deals<T, E: From<StoreError>>(
        &self,
        (deals, params): (&str, &[Param]),
        at: NaiveDateTime,
        by: Option<i64>,
        write: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<(T, usize), E> {
        let fields = TRACKED_FIELDS.join(", ");
        if self.dialect() == Dialect::Postgres {
            // Other processes write to the same deals: whoever comes second waits for the
            // first to commit and then reads what it wrote (each statement of a PostgreSQL
            // transaction sees what was committed before it), so a deal never ends up with
            // two open stage visits or a change logged against a stale value.
            self.query_with(
                &format!("SELECT id FROM deals WHERE id IN ({deals}) ORDER BY id FOR UPDATE"),
                params,
            )?;
        }
        self.execute_with(&format!("DROP TABLE IF EXISTS {BEFORE}"), &[])?;
        self.execute_with(
            &format!(
                "CREATE TEMP TABLE {BEFORE} AS SELECT id, {fields} FROM deals WHERE id IN ({deals})"
            ),
            params,
        )?;
        // Unanalysed, PostgreSQL would guess the table large and join it to every deal by
        // scanning them all (65 ms a stage move at medium scale, where the index finds one).
        self.analyze(BEFORE)?;
        let written = write()?;
        // Each tracked field of each deal that the write changed, before and after, as
        // text, worked out once: the log and the stage moves are both read from it.
        let changed = TRACKED_FIELDS
            .iter()
            .map(|field| {
                format!(
                    "SELECT b.id AS deal_id, '{field}' AS field, CAST(b.{field} AS VARCHAR) AS old_value,
                            CAST(d.{field} AS VARCHAR) AS new_value
                       FROM {BEFORE} b JOIN deals d ON d.id = b.id"
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        self.execute_with(&format!("DROP TABLE IF EXISTS {CHANGED}"), &[])?;
        self.execute_with(
            &format!(
                "CREATE TEMP TABLE {CHANGED} AS
                 SELECT * FROM ({changed}) fields WHERE old_value IS DISTINCT FROM new_value"
            ),
            &[],
        )?;
        #[derive(serde::Deserialize)]
        struct Moved {
            deal_id: i64,
            stage_id: i64,
        }
        let moved: Vec<Moved> = self.records(
            &format!(
                "SELECT deal_id, CAST(new_value AS BIGINT) AS stage_id FROM {CHANGED}
                  WHERE field = 'stage_id' AND new_value IS NOT NULL ORDER BY deal_id"
            ),
            &[],
        )?;
        let moves: Vec<StageMove> = moved
            .into_iter()
            .map(|m| StageMove {
                deal: m.deal_id,
                stage: m.stage_id,
                at,
                by,
            })
            .collect();
        self.move_stages(&moves)?;
        let count: u64 = self
            .value(&format!("SELECT count(*) FROM {CHANGED}"), &[])?
            .unwrap_or_default();
        if count > 0 {
            let first = self.reserve_ids("deal_changes", count)?;
            self.execute_with(
                &format!(
                    "INSERT INTO deal_changes (id, deal_id, field, old_value, new_value, changed_at, changed_by)
                     SELECT CAST(? AS BIGINT) - 1 + row_number() OVER (ORDER BY deal_id, field), deal_id,
                            field, old_value, new_value, CAST(? AS TIMESTAMP), CAST(? AS BIGINT)
                       FROM {CHANGED}"
                ),
                &[
                    Param::Int(first),
                    Param::Timestamp(at),
                    by.map_or(Param::Null, Param::Int),
                ],
            )?;
        }
        for scratch in [BEFORE, CHANGED] {
            self.execute_with(&format!("DROP TABLE {scratch}"), &[])?;
        }
        Ok((written, count as usize))
    }
}

impl Store {
    /// When each open deal entered the stage it is in.
    pub fn open_deals_entered_stage(&self) -> Result<HashMap<i64, NaiveDateTime>> {
        #[derive(serde::Deserialize)]
        struct Entered {
            deal_id: i64,
            micros: i64,
        }
        let entered: Vec<Entered> = self.records(
            &format!(
                "SELECT h.deal_id, {} AS micros FROM deal_stage_history h
                   JOIN deals d ON d.id = h.deal_id WHERE d.status = 'open' GROUP BY 1",
                self.dialect().epoch_micros("max(h.entered_at)")
            ),
            &[],
        )?;
        Ok(entered
            .into_iter()
            .filter_map(|e| {
                let at = chrono::DateTime::from_timestamp_micros(e.micros)?.naive_utc();
                Some((e.deal_id, at))
            })
            .collect())
    }

    /// Each deal's latest win probability scored by `at` (of all, with `None`).
    pub fn latest_scores(&self, at: Option<NaiveDateTime>) -> Result<HashMap<i64, f64>> {
        #[derive(serde::Deserialize)]
        struct Score {
            deal_id: i64,
            probability: Option<f64>,
        }
        let scores: Vec<Score> = self.records(
            &format!(
                "SELECT deal_id, {} AS probability FROM deal_scores
                  WHERE CAST(? AS TIMESTAMP) IS NULL OR scored_at <= ? GROUP BY deal_id",
                self.dialect().arg_max("probability", "scored_at")
            ),
            &[
                at.map_or(Param::Null, Param::Timestamp),
                at.map_or(Param::Null, Param::Timestamp),
            ],
        )?;
        Ok(scores
            .into_iter()
            .filter_map(|s| Some((s.deal_id, s.probability?)))
            .collect())
    }

    /// The currency most deals are in (the first by name on a tie), if any deal names one.
    pub fn usual_currency(&self) -> Result<Option<String>> {
        Ok(self
            .value::<Option<String>>(
                "SELECT currency FROM deals WHERE currency IS NOT NULL
                  GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
                &[],
            )?
            .flatten())
    }

    /// Deal `deal`'s latest win probability, if it was ever scored.
    pub fn latest_score(&self, deal: i64) -> Result<Option<f64>> {
        Ok(self
            .value::<Option<f64>>(
                "SELECT probability FROM deal_scores WHERE deal_id = ? ORDER BY scored_at DESC LIMIT 1",
                &[Param::Int(deal)],
            )?
            .flatten())
    }
}

/// The rows of `deal_changes` logging `changes` (at least one), with ids from `first`
/// on in the order of their fields' names: a VALUES list and its parameters.
fn logged(
    deal: i64,
    changes: &[Change],
    at: NaiveDateTime,
    by: Option<i64>,
    first: i64,
) -> (String, Vec<Param>) {
    let mut changes: Vec<&Change> = changes.iter().collect();
    changes.sort_by_key(|c| c.field);
    let values = vec![
        "(CAST(? AS BIGINT), CAST(? AS BIGINT), ?, ?, ?, CAST(? AS TIMESTAMP), CAST(? AS BIGINT))";
        changes.len()
    ]
    .join(", ");
    let text = |value: &Option<String>| value.clone().map_or(Param::Null, Param::Text);
    let params: Vec<Param> = (first..)
        .zip(changes)
        .flat_map(|(id, c)| {
            [
                Param::Int(id),
                Param::Int(deal),
                Param::Text(c.field.to_owned()),
                text(&c.old),
                text(&c.new),
                Param::Timestamp(at),
                by.map_or(Param::Null, Param::Int),
            ]
        })
        .collect();
    (values, params)
}
