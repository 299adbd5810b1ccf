//! Where a test's stores live, on the engine this run of the tests is for: DuckDB files in a
//! temporary directory, or, when the tests run with `EMBUDO_TEST_ENGINE=postgres` (the test
//! command runs the story tests both ways), databases on a PostgreSQL server of the test's
//! own. Everything goes when the place is dropped.

use crate::PgServer;
use embudo_store::Store;
use embudo_store::transfer::{self, Location};
use std::path::{Path, PathBuf};

/// Whether this run of the tests is the one on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("EMBUDO_TEST_ENGINE").is_ok_and(|engine| engine == "postgres")
}

#[derive(Debug)]
pub struct Place {
    dir: tempfile::TempDir,
    postgres: Option<PgServer>,
}

impl Default for Place {
    fn default() -> Self {
        Place::new()
    }
}

impl Place {
    pub fn new() -> Place {
        Place {
            dir: tempfile::tempdir().unwrap(),
            postgres: on_postgres().then(PgServer::start),
        }
    }

    /// The temporary directory, for the files a test writes beside its stores.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A DuckDB file of the directory, whatever the engine (the generator writes there).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.duckdb"))
    }

    /// A new, empty store called `name`.
    pub fn store(&self, name: &str) -> Store {
        match &self.postgres {
            Some(server) => Store::open(server.database(name)).unwrap(),
            None => Store::open(self.file(name)).unwrap(),
        }
    }

    /// A new store called `name` holding what the DuckDB file `from` holds (closed).
    pub fn copy_in(&self, from: &Path, name: &str) -> Store {
        match &self.postgres {
            Some(server) => {
                let url = server.database(name);
                transfer::copy(
                    &Location::DuckDb(from.to_owned()),
                    &Location::Postgres(url.clone()),
                    false,
                    &mut |_, _| {},
                )
                .unwrap();
                Store::open(url).unwrap()
            }
            None => {
                if from != self.file(name) {
                    std::fs::copy(from, self.file(name)).unwrap();
                }
                Store::open(self.file(name)).unwrap()
            }
        }
    }

    /// A new store called `name`, a copy of the store `of` (which must be closed).
    pub fn clone_of(&self, of: &str, name: &str) -> Store {
        match &self.postgres {
            Some(server) => Store::open(server.copy_of(of, name)).unwrap(),
            None => {
                std::fs::copy(self.file(of), self.file(name)).unwrap();
                Store::open(self.file(name)).unwrap()
            }
        }
    }

    /// Another connection to the store `name`, as a restarted process would open it.
    pub fn open(&self, name: &str) -> Store {
        match &self.postgres {
            Some(server) => Store::open(server.url(name)).unwrap(),
            None => Store::open(self.file(name)).unwrap(),
        }
    }
}
