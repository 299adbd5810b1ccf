//! The canonical store: the tables of `docs/spec/schema.md` in one embedded DuckDB file
//! (the default) or in a PostgreSQL database, and a store moves between the two.
//!
//! - [`store`]: [`Store`], opening a file or a `postgres://` URL (creating and migrating it
//!   as needed), read-only access for user SQL, row counts and store facts.
//! - [`dialect`]: what differs in SQL between the engines; `?` placeholders numbered for
//!   PostgreSQL.
//! - [`migrations`]: the versioned schema, applied in one transaction each, recorded in
//!   `schema_migrations`.
//! - [`bulk`]: the fast write path. Records become Arrow batches on a producer thread and
//!   are appended by DuckDB's Appender (PostgreSQL: binary `COPY`, `pg_copy`) on the
//!   store's thread, all in one transaction.
//! - [`access`]: users, passwords, API tokens, sessions, failed logins and
//!   `user_events`, the rows the `access` crate decides with; the access review.
//! - [`corrections`]: the audit's merges and fixes as rows: record images, values set
//!   and put back, references re-pointed, the journals that undo them.
//! - [`duplicates`]: the live contacts, companies and deals the duplicate finder compares,
//!   and the pairs a person said are different records.
//! - [`dashboards`]: dashboards as rows: name, owner, audience, tiles.
//! - [`deals`]: a deal's moves between stages, recorded as every writer records them;
//!   when open deals entered their stage, deals' latest win probabilities, a deal's stage
//!   and a stage's pipeline and kind.
//! - [`goals`]: goals and saved reports: adding, listing, removing; whom a goal is for.
//! - [`export`]: whole canonical tables out a batch at a time, and DuckDB's Parquet
//!   writer.
//! - [`forecast`]: open deals as they stood at an instant, looks at won deals, closed
//!   deals, the scores kept.
//! - [`history`]: a record's history for its page: stage visits, field changes, campaign
//!   events, merges.
//! - [`import`]: an import's SQL once a file's rows are staged as text: references
//!   resolved, pipelines and stages found or created, rows matched, updated and inserted,
//!   stage histories synthesised; what can be imported where ([`import::target`]).
//! - [`ids`]: new ids, from one sequence per table, so two writers never take the same.
//! - [`monitor`]: schedules, alert rules, the deliveries' journal, notifications,
//!   corrective actions and their follow-up tasks.
//! - [`names`]: users', teams', pipelines' and stages' names by id.
//! - [`reporting`]: the canned reports' own figures beside the metric layer's (open deals
//!   by stage at an instant, funnels, margin by customer, the forecast's months and scored
//!   deals, lost deals by last stage, activity windows, adoption), narrowed by a report's
//!   filters as bound parameters.
//! - [`records`]: how each model entity maps onto its table's columns.
//! - [`served`]: the tables the API serves, row by row: pages under a caller's scope,
//!   counts, inserts and changes from text, soft deletes; names checked against the
//!   catalogue.
//! - [`derived`]: fields the store keeps true on every write: a contact's first revenue
//!   (`customer_at`), a deal's inferred creation date.
//! - [`gaps`]: missing fields that make reports wrong or empty (closed deals without a close
//!   date…), counted for the import summary and the reports' notes.
//! - [`staging`]: scratch tables of text that imports fill fast and merge with SQL.
//! - [`postgres`]: a store on PostgreSQL: connecting, and its own migrations; `pg_value`
//!   turns values into and out of its wire format.
//! - [`watched`]: the records alerts watch: stale deals, falling win probabilities,
//!   tickets past their SLA, quality lost between audits.
//! - [`transfer`]: moving a whole store between engines, checked table by table.
//! - [`quality`]: the rows the audit's checks judge (failing rows where the condition is
//!   plain SQL), its runs' scores and history, and the labels imports declared.
//! - [`query`]: running SQL, with [`Param`]s bound to its placeholders, into a
//!   [`embudo_model::Table`], the same on both engines.
//!
//! Everything above the store (import, audit, metrics, reports…) reaches the database
//! through this crate, with user values bound as parameters, never spliced into SQL text.
//! The bulk paths (the generator's load, the import's staging) take each engine's fastest
//! way in: DuckDB's Appender, PostgreSQL's `COPY`.

pub mod access;
pub mod bulk;
pub mod catalog;
pub mod corrections;
pub mod dashboards;
pub mod deals;
pub mod derived;
pub mod dialect;
pub mod duplicates;
pub mod error;
pub mod export;
pub mod forecast;
pub mod gaps;
pub mod goals;
pub mod history;
pub mod ids;
pub mod import;
pub mod migrations;
pub mod monitor;
pub mod names;
mod pg_copy;
mod pg_indexes;
mod pg_value;
pub mod postgres;
pub mod quality;
pub mod query;
pub mod records;
pub mod reporting;
pub mod served;
pub mod staging;
pub mod store;
pub mod transfer;
pub mod watched;

/// The store's rule for a live record, the one its views `live_deals` and `live_contacts`
/// apply, for the record of alias `$alias`: neither deleted nor merged into another. Small
/// queries read the tables under it rather than the views. DuckDB binds every column of a
/// view in each query that reads it, a fixed 0.3–0.5 ms that was a sixth of a small
/// count's time, and it tests the view's conditions first, before a query's own, which
/// may rule out most rows.
#[macro_export]
macro_rules! live {
    ($alias:literal) => {
        concat!(
            $alias,
            ".deleted_at IS NULL AND ",
            $alias,
            ".merged_into_id IS NULL"
        )
    };
}

pub use bulk::{Batches, LoadSummary, Record};
pub use catalog::ColumnInfo;
pub use dialect::{Dialect, TryCast};
pub use error::{Result, StoreError};
pub use query::Param;
pub use store::{Interrupt, Store};

/// The canonical tables, in the order of the spec. `revenue_lines` is a view over them.
pub const CANONICAL_TABLES: &[&str] = &[
    "teams",
    "users",
    "companies",
    "contacts",
    "pipelines",
    "stages",
    "deals",
    "deal_stage_history",
    "deal_changes",
    "products",
    "orders",
    "order_lines",
    "subscriptions",
    "activities",
    "campaigns",
    "campaign_events",
    "list_subscriptions",
    "web_visits",
    "tickets",
    "service_calls",
    "surveys",
    "user_events",
    "goals",
    "deal_scores",
    "merge_journal",
];
