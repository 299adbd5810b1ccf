//! `embudo migrate` between a DuckDB file and a real PostgreSQL server, checked with plain
//! SQL on each engine rather than with the command's own checksums.

#[path = "support/sandbox.rs"]
mod sandbox;

use embudo_store::Store;
use embudo_testkit::PgServer;
use sandbox::Sandbox;

/// The tables of a DuckDB store (its migrations' ledger aside).
fn tables(store: &Store) -> Vec<String> {
    store
        .query_with(
            "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'schema_migrations' ORDER BY 1",
            &[],
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|row| row[0].as_str().unwrap().to_owned())
        .collect()
}

/// Every index of a PostgreSQL database, by name and definition: the copy builds them
/// again once its rows are in, and they must come back as the migrations made them.
fn indexes(pg: &mut postgres::Client) -> Vec<String> {
    pg.query(
        "SELECT indexname || ' ' || indexdef FROM pg_indexes
          WHERE schemaname = current_schema() ORDER BY 1",
        &[],
    )
    .unwrap()
    .into_iter()
    .map(|row| row.get(0))
    .collect()
}

fn count(store: &Store, sql: &str) -> i64 {
    store.query_with(sql, &[]).unwrap().rows[0][0]
        .as_i64()
        .unwrap()
}

#[test]
fn a_store_moves_to_postgresql_and_back_value_for_value() {
    let server = PgServer::start();
    let url = server.database("crm");
    let migrated = {
        let fresh = server.database("fresh");
        drop(Store::open(&fresh).unwrap());
        indexes(&mut postgres::Client::connect(&fresh, postgres::NoTls).unwrap())
    };
    assert!(migrated.len() > 40, "{migrated:?}");
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "--db", "a.duckdb", "generate", "--scale", "small", "--seed", "5",
    ]);
    // Tables the generator leaves empty get rows too (audit scores, a user's password,
    // a goal), and text that the copy format must escape.
    sandbox.ok(&["--db", "a.duckdb", "audit"]);
    {
        let store = Store::open(sandbox.path("a.duckdb")).unwrap();
        store
            .execute_batch(
                "UPDATE contacts SET title = 'Head of\tSales\\EMEA' || chr(10) || 'and \"more\"' WHERE id = 1;
                 UPDATE contacts SET title = '' WHERE id = 2;
                 UPDATE companies SET custom = '{\"tier\": \"gold\", \"seats\": 12}' WHERE id = 1;",
            )
            .unwrap();
    }
    let a = Store::open_read_only(sandbox.path("a.duckdb")).unwrap();
    let all = tables(&a);
    assert!(all.len() >= 40, "{all:?}");

    let copied = sandbox.json(&[
        "--format", "json", "migrate", "--from", "a.duckdb", "--to", &url,
    ]);
    let copied = copied.as_array().unwrap();
    assert_eq!(copied.len(), all.len(), "every table is copied");
    for row in copied {
        assert_eq!(row["checksum"], row["target checksum"], "{row}");
    }

    // PostgreSQL, read with its own client: every table's count, the money, the escaped text.
    let mut pg = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for table in &all {
        // Names from DuckDB's catalogue.
        let theirs: i64 = pg
            .query_one(&format!("SELECT count(*) FROM \"{table}\""), &[])
            .unwrap()
            .get(0);
        assert_eq!(
            theirs,
            count(&a, &format!("SELECT count(*) FROM \"{table}\"")),
            "{table}"
        );
    }
    let amounts: String = pg
        .query_one("SELECT sum(amount)::text FROM deals", &[])
        .unwrap()
        .get(0);
    let ours = a
        .query_with("SELECT CAST(sum(amount) AS VARCHAR) FROM deals", &[])
        .unwrap()
        .rows[0][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(amounts, ours);
    let title: String = pg
        .query_one("SELECT title FROM contacts WHERE id = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(title, "Head of\tSales\\EMEA\nand \"more\"");
    let empty: Option<String> = pg
        .query_one("SELECT title FROM contacts WHERE id = 2", &[])
        .unwrap()
        .get(0);
    assert_eq!(empty.as_deref(), Some(""), "an empty text is not a null");
    assert_eq!(indexes(&mut pg), migrated, "every index built again");
    // The next id PostgreSQL gives is past every copied one.
    let (next, max): (i64, i64) = {
        let row = pg
            .query_one(
                "SELECT nextval('deals_id'), (SELECT max(id) FROM deals)",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert!(next > max, "{next} after {max}");

    // A target that holds rows is refused, and left as it was.
    let refused = sandbox.run(&["migrate", "--from", "a.duckdb", "--to", &url]);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("not empty") && said.contains("--replace"),
        "{said}"
    );

    // And back into a new file: every row of every table equal, by DuckDB's own EXCEPT ALL.
    sandbox.ok(&["migrate", "--from", &url, "--to", "b.duckdb"]);
    drop(a);
    let check = Store::open(sandbox.path("check.duckdb")).unwrap();
    for (name, file) in [("a", "a.duckdb"), ("b", "b.duckdb")] {
        check
            .execute_batch(&format!(
                "ATTACH '{}' AS {name} (READ_ONLY)",
                sandbox.path(file).display()
            ))
            .unwrap();
    }
    for table in &all {
        for (left, right) in [("a", "b"), ("b", "a")] {
            let differ = count(
                &check,
                &format!(
                    "SELECT count(*) FROM (SELECT * FROM {left}.\"{table}\" EXCEPT ALL SELECT * FROM {right}.\"{table}\")"
                ),
            );
            assert_eq!(differ, 0, "{table}: rows of {left} not in {right}");
        }
    }

    // --replace drops what the target held: another business takes its place.
    sandbox.ok(&[
        "--db", "c.duckdb", "generate", "--scale", "small", "--seed", "9",
    ]);
    sandbox.ok(&["migrate", "--from", "c.duckdb", "--to", &url, "--replace"]);
    let c = Store::open_read_only(sandbox.path("c.duckdb")).unwrap();
    let deals: i64 = pg
        .query_one("SELECT count(*) FROM deals", &[])
        .unwrap()
        .get(0);
    assert_eq!(deals, count(&c, "SELECT count(*) FROM deals"));
    let runs: i64 = pg
        .query_one("SELECT count(*) FROM audit_runs", &[])
        .unwrap()
        .get(0);
    assert_eq!(runs, 0, "the audit runs of the first store are gone");
    assert_eq!(indexes(&mut pg), migrated, "every index built again");
}

/// A HubSpot deals export as people keep it: Spanish stage names, day-first dates, a deal
/// won with no close date, no e-mails anywhere.
const HUBSPOT_DEALS: &str = "\
Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date,Create Date,Original Source
901,Hotel Sol,Ventas,Ganado,12.500,14/02/2026,03/01/2026,Referidos
902,Bodega Luna,Ventas,Perdido,4.000,20/02/2026,10/01/2026,Búsqueda orgánica
903,Clínica Norte,Ventas,Propuesta,8.750,,15/01/2026,Referidos
904,Taller Sur,Ventas,Ganado,3.100,,02/02/2026,
";

#[test]
fn an_imported_export_reads_the_same_after_a_trip_through_postgresql() {
    let server = PgServer::start();
    let url = server.database("imported");
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.path("deals.csv"), HUBSPOT_DEALS).unwrap();
    sandbox.ok(&[
        "--db",
        "crm.duckdb",
        "import",
        "deals",
        "deals.csv",
        "--preset",
        "hubspot",
        "--date-format",
        "D/M/Y",
    ]);
    sandbox.ok(&["migrate", "--from", "crm.duckdb", "--to", &url]);
    sandbox.ok(&["migrate", "--from", &url, "--to", "back.duckdb"]);
    // What a user reads: the same pipeline report, the same data-gap notes, word for word.
    let report = |db: &str| sandbox.first_quarter_pipeline(db);
    let before = report("crm.duckdb");
    assert!(before.contains("Propuesta"), "{before}");
    // Run on PostgreSQL itself, and on the file brought back from it.
    assert_eq!(report(&url), before);
    assert_eq!(report("back.duckdb"), before);
    let tables = |db: &str| sandbox.ok(&["--db", db, "tables"]);
    assert_eq!(tables("back.duckdb"), tables("crm.duckdb"));

    // A file that is not a store is refused, even with --replace, and left alone.
    std::fs::write(sandbox.path("notes.txt"), "not a store").unwrap();
    let refused = sandbox.run(&["migrate", "--from", &url, "--to", "notes.txt", "--replace"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(sandbox.path("notes.txt")).unwrap(),
        "not a store"
    );
}
