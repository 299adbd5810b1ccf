//! The `embudo` binary run as a user would, in a temporary directory of its own.

// Each test file uses the part of the sandbox it needs.
#![allow(dead_code)]

use embudo_testkit::PgServer;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Output};

/// A temporary working directory and a way to run `embudo` in it. When the run is for
/// PostgreSQL (`EMBUDO_TEST_ENGINE=postgres`) the sandbox has a server of its own, its
/// default store (`EMBUDO_DB`) is a database there, and so is every store named by
/// [`Sandbox::store`].
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    postgres: Option<PgServer>,
    /// The databases made so far on the sandbox's server.
    databases: RefCell<HashSet<String>>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
            postgres: embudo_testkit::on_postgres().then(PgServer::start),
            databases: RefCell::default(),
        }
    }

    /// The store called `name`, as `--db` takes it: `NAME.duckdb` in the sandbox, or a
    /// database of that name (made the first time) on the sandbox's PostgreSQL.
    pub fn store(&self, name: &str) -> String {
        match &self.postgres {
            Some(server) if self.databases.borrow_mut().insert(name.to_owned()) => {
                server.database(name)
            }
            Some(server) => server.url(name),
            None => format!("{name}.duckdb"),
        }
    }

    /// The store called `name` (see [`Sandbox::store`]), opened.
    pub fn open(&self, name: &str) -> embudo_store::Store {
        match &self.postgres {
            Some(_) => embudo_store::Store::open(self.store(name)).unwrap(),
            None => embudo_store::Store::open(self.path(&format!("{name}.duckdb"))).unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `embudo args` in the sandbox, without the caller's `EMBUDO_*` settings.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_embudo"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("EMBUDO_FORMAT")
            .env_remove("EMBUDO_CONFIG")
            .env("NO_COLOR", "1");
        match &self.postgres {
            Some(_) => command.env("EMBUDO_DB", self.store("embudo")),
            None => command.env_remove("EMBUDO_DB"),
        };
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Run with `input` on standard input, expect success, return stdout and stderr.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> String {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "embudo {args:?} failed: {text}");
        text
    }

    /// Run, expect success, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "embudo {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Run with `--format json`, expect success, parse stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    /// Run, expect exit code `code`, return stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let output = self.run(args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "embudo {args:?}: {output:?}"
        );
        String::from_utf8(output.stderr).unwrap()
    }

    /// The pipeline report of January to March 2026 of the store `db`, as a table.
    pub fn first_quarter_pipeline(&self, db: &str) -> String {
        self.ok(&[
            "--db",
            db,
            "report",
            "pipeline",
            "--from",
            "2026-01-01",
            "--to",
            "2026-04-01",
        ])
    }

    pub fn generate_small(&self) {
        self.ok(&[
            "generate",
            "--scale",
            "small",
            "--seed",
            "3",
            "--now",
            "2026-06-30T12:00:00Z",
            "--quiet",
        ]);
    }
}
