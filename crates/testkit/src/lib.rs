//! What the tests of several crates need from the machine and nothing else uses: a real
//! PostgreSQL server of their own ([`PgServer`]), and a [`Place`] for their stores on the
//! engine the run is for. A dev-dependency only; no product crate depends on it.

mod place;
mod postgres;

pub use place::{Place, on_postgres};
pub use postgres::{PgServer, free_port};
