//! A real PostgreSQL server for a test: Debian's binaries (`initdb`, `pg_ctl`), a cluster in
//! a temporary directory, listening on a free port of the loopback, stopped when dropped.
//! PostgreSQL refuses to run as root, so under root the server runs as the `postgres`
//! user the Debian package creates.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PgServer {
    /// Start a new cluster; panics with what to install when PostgreSQL is missing.
    pub fn start() -> PgServer {
        let bin = bin_dir().expect(
            "PostgreSQL's server binaries are needed: apt-get install postgresql (the test \
             command `.ci/test` installs it), or set EMBUDO_PG_BIN to the directory of initdb",
        );
        let as_postgres = run_output("id", &["-u"]).trim() == "0";
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            // The server's user must reach its directory.
            let uid = run_output("id", &["-u", "postgres"]);
            let gid = run_output("id", &["-g", "postgres"]);
            let (uid, gid) = (uid.trim().parse().ok(), gid.trim().parse().ok());
            std::os::unix::fs::chown(dir.path(), uid, gid).unwrap();
        }
        let data = dir.path().join("data");
        let port = free_port();
        let server = PgServer {
            dir,
            bin,
            port,
            as_postgres,
        };
        server.tool(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "embudo",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        server.run();
        server
    }

    /// Stop the server (fast: connections are cut), as when the database goes down.
    pub fn stop(&self) {
        self.tool(
            "pg_ctl",
            &["-D", path(&self.data()), "-m", "fast", "-w", "stop"],
        );
    }

    /// Start the server on its cluster: at first, or again after [`PgServer::stop`] (on the
    /// same port).
    pub fn run(&self) {
        let log = self.dir.path().join("server.log");
        self.tool(
            "pg_ctl",
            &[
                "-D",
                path(&self.data()),
                "-o",
                &self.options(),
                "-l",
                path(&log),
                "-w",
                "start",
            ],
        );
    }

    /// The server's settings: its port and socket directory, and no waiting on the disk (a
    /// test's data need not survive a crash).
    fn options(&self) -> String {
        format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        )
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A new, empty database; its URL.
    pub fn database(&self, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
        // The name is the test's own.
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        self.url(name)
    }

    /// A new database `name`, a copy of the database `of` (which nobody may be connected
    /// to); its URL.
    pub fn copy_of(&self, of: &str, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
        // The names are the test's own.
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{of}\""))
            .unwrap();
        self.url(name)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://embudo@127.0.0.1:{}/{database}", self.port)
    }

    /// One of PostgreSQL's programs, run as the server's user.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        }
    }

    fn tool(&self, name: &str, args: &[&str]) {
        let output = self.command(name).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{name} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self
            .command("pg_ctl")
            .args(["-D", path(&data), "-m", "immediate", "stop"])
            .output();
    }
}

/// Where `initdb` is: `EMBUDO_PG_BIN`, Debian's newest `/usr/lib/postgresql/N/bin`, or PATH.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("EMBUDO_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let found = run_output("sh", &["-c", "command -v initdb"]);
    Path::new(found.trim()).parent().map(Path::to_path_buf)
}

/// A port of the loopback nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}
