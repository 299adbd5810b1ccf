//! New ids. Each table whose rows Embudo creates has a sequence (migration 19), and every
//! writer takes its ids here, so two writers never take the same one — where `max(id) + 1`
//! would give both the same. Rows may also arrive with ids of their own (the generator's,
//! an import's that brings them, a fixture's): a reservation that finds ids at or above
//! the sequence's moves the sequence past them first, since a DuckDB sequence cannot be set.
//! The same SQL runs on PostgreSQL, whose sequences are the same objects (its migrations).

use crate::error::{Result, StoreError, pg_error};
use crate::postgres::Postgres;
use crate::query::Param;
use crate::store::Store;
use serde_json::Value;

/// Blocks of ids taken before a reservation gives up (see [`Store::reserve_ids_above`]).
const ATTEMPTS: usize = 8;

/// Each sequenced table, with the column its sequence numbers and the sequence's name.
pub(crate) const SEQUENCES: &[(&str, &str, &str)] = &[
    ("access_tokens", "id", "access_tokens_id"),
    ("action_journal", "id", "action_journal_id"),
    ("activities", "id", "activities_id"),
    ("audit_runs", "run_id", "audit_runs_run_id"),
    ("campaign_events", "id", "campaign_events_id"),
    ("campaigns", "id", "campaigns_id"),
    ("companies", "id", "companies_id"),
    ("contacts", "id", "contacts_id"),
    ("deal_changes", "id", "deal_changes_id"),
    ("deal_scores", "id", "deal_scores_id"),
    ("deal_stage_history", "id", "deal_stage_history_id"),
    ("deals", "id", "deals_id"),
    ("fix_journal", "batch_id", "fix_journal_batch_id"),
    ("goals", "id", "goals_id"),
    ("list_subscriptions", "id", "list_subscriptions_id"),
    ("merge_journal", "id", "merge_journal_id"),
    ("order_lines", "id", "order_lines_id"),
    ("orders", "id", "orders_id"),
    ("pipelines", "id", "pipelines_id"),
    ("products", "id", "products_id"),
    ("service_calls", "id", "service_calls_id"),
    ("stages", "id", "stages_id"),
    ("subscriptions", "id", "subscriptions_id"),
    ("surveys", "id", "surveys_id"),
    ("teams", "id", "teams_id"),
    ("tickets", "id", "tickets_id"),
    ("user_events", "id", "user_events_id"),
    ("users", "id", "users_id"),
    ("web_visits", "id", "web_visits_id"),
];

/// Move every PostgreSQL sequence past the ids its table holds, after rows were written
/// with ids of their own (a copy, a bulk load), so the next id taken is new. (DuckDB's
/// sequences cannot be set; a reservation there moves past such ids itself.)
pub(crate) fn move_sequences_past_rows(pg: &mut Postgres) -> Result<()> {
    for (table, column, sequence) in SEQUENCES {
        // Names from the list above.
        pg.client()
            .batch_execute(&format!(
                "SELECT setval('{sequence}', m) FROM (SELECT max({column}) AS m FROM {table}) t WHERE m IS NOT NULL"
            ))
            .map_err(|source| pg_error(&format!("moving the sequence {sequence}"), source))?;
    }
    Ok(())
}

impl Store {
    /// A new id for a row of `table`.
    pub fn next_id(&self, table: &str) -> Result<i64> {
        self.reserve_ids(table, 1)
    }

    /// The first of `count` consecutive new ids for rows of `table` (`first..first + count`),
    /// above every id the table holds; 0 when `count` is 0.
    pub fn reserve_ids(&self, table: &str, count: u64) -> Result<i64> {
        self.reserve_ids_above(table, count, 0)
    }

    /// As [`Store::reserve_ids`], above `floor` too: the highest id of rows about to be
    /// written with their own (an imported file's), which the table does not hold yet.
    pub fn reserve_ids_above(&self, table: &str, count: u64, floor: i64) -> Result<i64> {
        let &(table, column, sequence) = SEQUENCES
            .iter()
            .find(|(t, _, _)| *t == table)
            .ok_or_else(|| StoreError::Columns {
                table: table.to_owned(),
                problem: "has no id sequence".into(),
            })?;
        if count == 0 {
            return Ok(0);
        }
        // Identifiers from the list above; counts are bound numbers.
        let take = format!(
            "SELECT min(v) AS first, max(v) AS last
             FROM (SELECT nextval('{sequence}') AS v FROM generate_series(1, CAST(? AS BIGINT))) AS s"
        );
        // The block and the highest id the table holds, in one round trip: a stage move
        // reserves twice, and on a busy database each statement waits its turn.
        let take_and_check = format!(
            "SELECT min(v) AS first, max(v) AS last,
                    (SELECT coalesce(max({column}), 0) FROM {table}) AS highest
             FROM (SELECT nextval('{sequence}') AS v FROM generate_series(1, CAST(? AS BIGINT))) AS s"
        );
        // A block below ids written without the sequence is dropped, the sequence moved
        // past them, and another block taken. So is one that other writers' ids, committed
        // between the block and the check, lie above (or, taken at the same instant, cut in
        // two): fifty clients moving deals on two servers met that twice in a row about
        // once in 70,000 answers, hence a few more tries than the first case needs.
        for _ in 0..ATTEMPTS {
            let block = self.query_with(&take_and_check, &[Param::Int(count as i64)])?;
            let (first, last) = (number(&block.rows, 0), number(&block.rows, 1));
            let highest = number(&block.rows, 2).max(floor);
            if first > highest && last - first + 1 == count as i64 {
                return Ok(first);
            }
            if highest > last {
                self.query_with(&take, &[Param::Int(highest - last)])?;
            }
        }
        Err(StoreError::Columns {
            table: table.to_owned(),
            problem: format!("another writer kept taking the ids of {column}; try again"),
        })
    }
}

/// Column `i` of the first row, as a number (0 when there is none).
fn number(rows: &[Vec<Value>], i: usize) -> i64 {
    rows.first()
        .and_then(|row| row.get(i))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}
