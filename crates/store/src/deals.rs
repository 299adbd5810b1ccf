//! A deal's moves between stages, recorded the same way whoever moves it (the API, an
//! import that finds a deal in another stage than the store has it): the visit of the stage
//! it leaves ends when the move happens, and a visit of the stage it enters begins then.
//! Reports read a deal's stage at any instant from these visits.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;

/// One deal entering a stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageMove {
    pub deal: i64,
    pub stage: i64,
    pub at: NaiveDateTime,
    /// The user who moved it; none for an import.
    pub by: Option<i64>,
}

/// Moves written per statement: four bound values each.
const MOVES_PER_STATEMENT: usize = 1_000;

impl Store {
    /// Record `moves`: each deal's open visit ends at its move, and a visit of its new stage
    /// begins then. A deal without an open visit (a new one) only enters its stage. The
    /// deal's own `stage_id` is the caller's to set.
    pub fn move_stages(&self, moves: &[StageMove]) -> Result<()> {
        for chunk in moves.chunks(MOVES_PER_STATEMENT) {
            let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
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
                     SELECT ? - 1 + n, deal, stage, moved_at, moved_by
                       FROM (SELECT row_number() OVER () AS n, * FROM (VALUES {values}) v(deal, stage, moved_at, moved_by))"
                ),
                &with_first,
            )?;
        }
        Ok(())
    }
}
