//! The store's error type.

use std::path::PathBuf;

/// Anything that can go wrong between Embudo and its store (a DuckDB file, a PostgreSQL
/// database).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DuckDB refused an operation; `context` says which.
    #[error("{context}: {source}")]
    Database {
        context: String,
        #[source]
        source: duckdb::Error,
    },

    /// PostgreSQL refused an operation; `context` says which. The server's own message
    /// is shown (the driver's error says only "db error" and keeps it as its cause).
    #[error("{context}: {}", postgres_message(cause))]
    Postgres {
        context: String,
        cause: postgres::Error,
    },

    /// The file was written by a newer Embudo; opening it must not touch it.
    #[error(
        "{path} has schema version {found}, but this embudo knows only up to version {supported}; \
         upgrade embudo to open it (the file was left untouched)"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// Another process has the file open for writing.
    #[error(
        "{0} is in use by another process (is `embudo serve` running on it?): while the server \
         runs, read and change the store through its API, or stop the server first"
    )]
    Locked(PathBuf),

    /// A read-only command was pointed at a file that does not exist.
    #[error("no store at {0}: create one with `embudo init` or `embudo generate`")]
    Missing(PathBuf),

    /// A statement's rows do not read as the type asked for; a programming error.
    #[error("reading the rows of `{statement}`: {problem}")]
    Rows { statement: String, problem: String },

    /// A record type and its table disagree about the columns; a programming error.
    #[error("table {table}: {problem}")]
    Columns { table: String, problem: String },

    /// Whoever was handed streamed rows could not take them (a full disk, a closed pipe).
    #[error("{0}")]
    Consumer(String),

    /// A copy between stores could not be made or did not read back the same.
    #[error("{0}")]
    Transfer(String),

    /// The work needs the other engine: a bulk path built on DuckDB's Appender asked of a
    /// store on PostgreSQL, say. `0` says what, and what to do instead.
    #[error("{0}")]
    Engine(String),

    /// An import's instruction the store cannot follow: a table that does not exist, a
    /// stage kind that is not open, won or lost.
    #[error("{0}")]
    Import(String),

    /// The thread producing records for a bulk load stopped without finishing.
    #[error("the bulk load was interrupted: {0}")]
    Interrupted(String),
}

/// What PostgreSQL said, in one line: its message and, when it gave them, the detail and
/// the hint; the driver's own words for a failure that is not the server's (a lost
/// connection).
fn postgres_message(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut message = db.message().to_owned();
            if let Some(detail) = db.detail() {
                message.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                message.push_str(&format!("; {hint}"));
            }
            message
        }
        None => error.to_string(),
    }
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attach a description of what was being done to a DuckDB error.
pub(crate) trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, duckdb::Error> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| StoreError::Database {
            context: what(),
            source,
        })
    }
}

/// A PostgreSQL error in `sql` with a description of what was being done; where the server
/// points at a place in the statement (a syntax error, an unknown column), the words there
/// go with it, so that the statement at fault can be found. Values are bound, never part
/// of the text, so no user's data is shown.
pub(crate) fn pg_error_in(sql: &str, context: &str, source: postgres::Error) -> StoreError {
    let at = source.as_db_error().and_then(|db| match db.position() {
        Some(postgres::error::ErrorPosition::Original(at)) => Some(*at as usize),
        _ => None,
    });
    let Some(at) = at else {
        return pg_error(context, source);
    };
    let words: String = sql
        .chars()
        .skip(at.saturating_sub(1))
        .take(60)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    pg_error(&format!("{context} (at `{words}`)"), source)
}

/// A PostgreSQL error with a description of what was being done.
pub(crate) fn pg_error(context: &str, source: postgres::Error) -> StoreError {
    StoreError::Postgres {
        context: context.to_owned(),
        cause: source,
    }
}
