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
        let sequenced = sequenced(table)?;
        let (table, column, sequence) = sequenced;
        if count == 0 {
            return Ok(0);
        }
        // Identifiers from the list above; counts are bound numbers.
        let take = format!(
            "SELECT min(v) AS first, max(v) AS last
             FROM (SELECT nextval('{sequence}') AS v FROM generate_series(1, CAST(? AS BIGINT))) AS s"
        );
        let take_and_check = format!("SELECT first, last, highest FROM {} AS b", block(sequenced));
        // A block below ids written without the sequence is dropped, the sequence moved
        // past them, and another block taken. So is one that other writers' ids, committed
        // between the block and the check, lie above (or, taken at the same instant, cut in
        // two): fifty clients moving deals on two servers met that twice in a row about
        // once in 70,000 answers, hence a few more tries than the first case needs.
        for _ in 0..ATTEMPTS {
            let block = self.query_with(&take_and_check, &[Param::Int(count as i64)])?;
            let (first, last) = (number(&block.rows, 0), number(&block.rows, 1));
            let highest = number(&block.rows, 2).max(floor);
            if passes((first, last), highest, count) {
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

    /// [`Store::reserve_ids`] for several tables at once, `(table, count)` each: the first
    /// id of each block, in order. One statement takes every block and checks it (a stage
    /// move's visit and its changes: on a busy database each statement waits its turn);
    /// a table whose block does not pass is reserved again on its own.
    pub fn reserve_ids_each(&self, wanted: &[(&str, u64)]) -> Result<Vec<i64>> {
        if wanted.iter().any(|&(_, count)| count == 0) {
            // A block of nothing is no block: each on its own, as `reserve_ids` answers it.
            return wanted
                .iter()
                .map(|&(table, count)| self.reserve_ids(table, count))
                .collect();
        }
        let mut blocks = Vec::new();
        let mut columns = Vec::new();
        for (i, &(table, _)) in wanted.iter().enumerate() {
            blocks.push(format!("{} AS b{i}", block(sequenced(table)?)));
            columns.push(format!("b{i}.first, b{i}.last, b{i}.highest"));
        }
        let params: Vec<Param> = wanted
            .iter()
            .map(|&(_, count)| Param::Int(count as i64))
            .collect();
        let taken = self.query_with(
            &format!(
                "SELECT {} FROM {}",
                columns.join(", "),
                blocks.join(" CROSS JOIN ")
            ),
            &params,
        )?;
        wanted
            .iter()
            .enumerate()
            .map(|(i, &(table, count))| {
                let (first, last) = (number(&taken.rows, 3 * i), number(&taken.rows, 3 * i + 1));
                if passes((first, last), number(&taken.rows, 3 * i + 2), count) {
                    Ok(first)
                } else {
                    self.reserve_ids(table, count)
                }
            })
            .collect()
    }
}

/// Sequenced table `table`: its name, the column its sequence numbers and the sequence's
/// name, all from [`SEQUENCES`] (and so safe to write into SQL).
fn sequenced(table: &str) -> Result<(&'static str, &'static str, &'static str)> {
    SEQUENCES
        .iter()
        .find(|(t, _, _)| *t == table)
        .copied()
        .ok_or_else(|| StoreError::Columns {
            table: table.to_owned(),
            problem: "has no id sequence".into(),
        })
}

/// A derived table taking a block of ids of a [`sequenced`] table (as many as a bound
/// count) with the highest id the table holds: `first`, `last`, `highest`.
fn block((table, column, sequence): (&str, &str, &str)) -> String {
    format!(
        "(SELECT min(v) AS first, max(v) AS last,
                 (SELECT coalesce(max({column}), 0) FROM {table}) AS highest
          FROM (SELECT nextval('{sequence}') AS v FROM generate_series(1, CAST(? AS BIGINT))) AS s)"
    )
}

/// Whether block `first..=last` holds `count` ids, all above `highest` (the table's, or
/// a file's about to come): ids no one else has or will be given.
fn passes((first, last): (i64, i64), highest: i64, count: u64) -> bool {
    first > highest && last - first + 1 == count as i64
}

/// Column `i` of the first row, as a number (0 when there is none).
fn number(rows: &[Vec<Value>], i: usize) -> i64 {
    rows.first()
        .and_then(|row| row.get(i))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}
