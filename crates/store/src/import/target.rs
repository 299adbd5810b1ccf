//! What can be imported where: the canonical tables with their columns and types (read
//! from the store), the references between them, and how a reference written as text
//! finds its row.

use crate::CANONICAL_TABLES;
use crate::error::{Result, StoreError};
use crate::store::Store;

/// How a column's text is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Number,
    Bool,
    Timestamp,
    Date,
    Json,
    Text,
}

impl Kind {
    fn of(sql_type: &str) -> Kind {
        match sql_type {
            "BIGINT" | "INTEGER" | "SMALLINT" | "TINYINT" | "HUGEINT" | "UBIGINT" => Kind::Int,
            "DOUBLE" | "DOUBLE PRECISION" | "FLOAT" | "REAL" => Kind::Number,
            t if t.starts_with("DECIMAL") => Kind::Number,
            "BOOLEAN" => Kind::Bool,
            t if t.starts_with("TIMESTAMP") => Kind::Timestamp,
            "DATE" => Kind::Date,
            "JSON" => Kind::Json,
            _ => Kind::Text,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// The type as the store's catalogue spells it, for the cast from staged text.
    pub sql_type: String,
    pub kind: Kind,
    /// Cannot be null and has no default: a row must give it.
    pub required: bool,
    /// The column's default as SQL, from the store's own schema.
    pub default_sql: Option<String>,
}

/// A reference a file may write as text: `company = "Acme"` fills `company_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    /// The name a mapping uses (`company`).
    pub name: &'static str,
    /// The column it fills (`company_id`).
    pub column: &'static str,
    /// The table it points at.
    pub to: &'static str,
}

const fn reference(name: &'static str, column: &'static str, to: &'static str) -> Reference {
    Reference { name, column, to }
}

/// Every reference column of the schema, by the name a mapping gives it.
const REFERENCES: &[Reference] = &[
    reference("owner", "owner_id", "users"),
    reference("team", "team_id", "teams"),
    reference("manager", "manager_id", "users"),
    reference("agent", "agent_id", "users"),
    reference("user", "user_id", "users"),
    reference("company", "company_id", "companies"),
    reference("parent", "parent_id", "companies"),
    reference("contact", "contact_id", "contacts"),
    reference("referred_by", "referred_by_contact_id", "contacts"),
    reference("first_campaign", "first_campaign_id", "campaigns"),
    reference("campaign", "campaign_id", "campaigns"),
    reference("pipeline", "pipeline_id", "pipelines"),
    reference("stage", "stage_id", "stages"),
    reference("product", "product_id", "products"),
    reference("deal", "deal_id", "deals"),
    reference("order", "order_id", "orders"),
    reference("ticket", "ticket_id", "tickets"),
];

/// How a text finds a row of `table`, tried in order: each is an SQL expression over the
/// table's columns compared with the text, case and surrounding white space aside.
pub fn lookup_keys(table: &str) -> &'static [&'static str] {
    match table {
        "users" => &["email", "name"],
        "companies" => &["name", "domain"],
        "contacts" => &["email", "concat_ws(' ', first_name, last_name)"],
        "deals" | "teams" | "campaigns" | "products" | "pipelines" => &["name"],
        _ => &[],
    }
}

/// A canonical table as an import target.
#[derive(Debug, Clone)]
pub struct Target {
    pub table: &'static str,
    pub columns: Vec<Column>,
}

impl Target {
    /// The target `table`, with its columns as the store has them.
    pub fn read(store: &Store, table: &str) -> Result<Target> {
        let table = CANONICAL_TABLES
            .iter()
            .find(|t| **t == table)
            .copied()
            .ok_or_else(|| {
                StoreError::Import(format!(
                    "'{table}' is not a table; tables are {}",
                    CANONICAL_TABLES.join(", ")
                ))
            })?;
        let columns = store
            .columns(table)?
            .into_iter()
            .map(|c| Column {
                name: c.name,
                kind: Kind::of(&c.sql_type),
                sql_type: c.sql_type,
                required: c.required,
                default_sql: c.default_sql,
            })
            .collect();
        Ok(Target { table, columns })
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The references of this table a mapping may name.
    pub fn references(&self) -> impl Iterator<Item = &'static Reference> + '_ {
        REFERENCES
            .iter()
            .filter(|r| self.column(r.column).is_some())
    }

    pub fn reference(&self, name: &str) -> Option<&'static Reference> {
        self.references().find(|r| r.name == name)
    }

    /// Whether rows carry `(source_system, external_id)`, the key re-imports update by.
    pub fn has_external_id(&self) -> bool {
        self.column("external_id").is_some() && self.column("source_system").is_some()
    }

    /// The natural keys rows are matched by when a file gives neither `id` nor an external
    /// id, the first the file has winning: as HubSpot does, a contact is its e-mail and a
    /// company its domain.
    pub fn natural_keys(&self) -> &'static [&'static str] {
        match self.table {
            "users" | "contacts" => &["email"],
            "companies" => &["domain", "name"],
            "teams" | "products" | "pipelines" | "campaigns" => &["name"],
            _ => &[],
        }
    }

    /// Every name a mapping may use for this table, for error messages.
    pub fn names(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| c.name.clone())
            .chain(self.references().map(|r| r.name.to_owned()))
            .collect()
    }
}

/// The order files of one import are loaded in, whatever order the mapping lists them in:
/// every table after the tables it references (a team's manager is the one exception: teams
/// come first so that users can name their team, and a manager is found among the users
/// already in the store).
const LOAD_ORDER: &[&str] = &[
    "teams",
    "users",
    "products",
    "campaigns",
    "companies",
    "contacts",
    "pipelines",
    "stages",
    "deals",
    "deal_stage_history",
    "deal_changes",
    "orders",
    "order_lines",
    "subscriptions",
    "activities",
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

/// Where `table` comes in [`LOAD_ORDER`].
pub fn load_order(table: &str) -> usize {
    LOAD_ORDER
        .iter()
        .position(|t| *t == table)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reference of the schema points at a table loaded earlier, or at its own.
    #[test]
    fn tables_load_after_the_tables_they_reference() {
        let mut tables: Vec<&str> = CANONICAL_TABLES.to_vec();
        tables.sort();
        let mut ordered = LOAD_ORDER.to_vec();
        ordered.sort();
        assert_eq!(tables, ordered, "every canonical table has its place");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = Store::open(dir.path().join("store.duckdb")).expect("a store");
        for table in LOAD_ORDER {
            let target = Target::read(&store, table).expect("a table");
            for reference in target.references() {
                let known_cycle = (*table, reference.to) == ("teams", "users");
                assert!(
                    known_cycle || load_order(reference.to) <= load_order(table),
                    "{table}.{} points at {}, loaded later",
                    reference.column,
                    reference.to
                );
            }
        }
    }
}
