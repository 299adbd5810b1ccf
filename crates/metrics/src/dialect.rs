//! What differs between SQL databases, for the planner.
//!
//! The catalogue is written in standard SQL (`EXTRACT(EPOCH FROM …)`, `coalesce`, `EXISTS`);
//! only what has no standard spelling goes through here.

/// A SQL dialect the planner can compile to.
pub trait Dialect {
    /// The placeholder for the `index`-th bound parameter (from 1).
    fn placeholder(&self, index: usize) -> String;
    /// The median of `expr` as an aggregate.
    fn median(&self, expr: &str) -> String;
}

/// DuckDB, the embedded store.
#[derive(Debug, Clone, Copy, Default)]
pub struct DuckDb;

impl Dialect for DuckDb {
    fn placeholder(&self, _index: usize) -> String {
        "?".to_owned()
    }

    fn median(&self, expr: &str) -> String {
        format!("median({expr})")
    }
}
