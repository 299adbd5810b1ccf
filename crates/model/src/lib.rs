//! The canonical CRM model: the entities of `docs/spec/schema.md` as typed Rust values.
//!
//! Every other crate speaks in these types, and none of them knows about storage.
//!
//! - [`labels`]: the enumerated labels (lead sources, stages kinds, roles…) with their
//!   canonical spelling, which is also the spelling stored in the database.
//! - [`entities`]: one struct per canonical table, field for column.
//! - [`money`]: [`Money`], an exact amount in cents, because `DECIMAL(18,2)` must not round.
//! - [`table`]: [`Table`], a named-column grid of JSON cells, the shape every query result
//!   and report section takes on its way to a terminal, CSV or JSON.
//! - [`text`]: accent folding, shared by everything that matches what people typed.

pub mod entities;
pub mod labels;
pub mod money;
pub mod table;
pub mod text;

pub use entities::*;
pub use labels::Label;
pub use money::Money;
pub use table::Table;

/// The identifier of any canonical row (`id BIGINT PRIMARY KEY`).
pub type Id = i64;
