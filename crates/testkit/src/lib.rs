//! What the tests of several crates need from the machine and nothing else uses: a real
//! PostgreSQL server of their own ([`PgServer`]). A dev-dependency only; no product crate
//! depends on it.

mod postgres;

pub use postgres::{PgServer, free_port};
