//! The same questions asked of a store in a DuckDB file and of its copy in a real
//! PostgreSQL get the same answers: every metric of the catalogue, by month (with the
//! previous period beside it) and split by a dimension; a custom report; goals and their
//! progress; every canned report; the forecast's training, forecast, backtest and a deal's
//! explanation; exports (a table, a vendor's shape); the audit, its duplicates, a fix
//! applied and undone; `repair`; users and tokens; `sql` and `tables`.
//! DuckDB's answers are checked against plain SQL and by hand by the other tests, so
//! PostgreSQL's are checked here against DuckDB's.

#[path = "support/sandbox.rs"]
mod sandbox;

use embudo_testkit::PgServer;
use sandbox::Sandbox;
use serde_json::Value;

/// Whether two answers are the same: equal text, nulls and shapes, and numbers equal to
/// within rounding (the engines add floats in different orders). The first difference, by
/// its path, otherwise.
fn differs(duck: &Value, pg: &Value, path: &str) -> Option<String> {
    match (duck, pg) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            let close = (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
            (!close).then(|| format!("{path}: {a} on DuckDB, {b} on PostgreSQL"))
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (a, b))| differs(a, b, &format!("{path}[{i}]"))),
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            a.iter().find_map(|(k, v)| {
                b.get(k).map_or_else(
                    || Some(format!("{path}.{k}: missing on PostgreSQL")),
                    |w| differs(v, w, &format!("{path}.{k}")),
                )
            })
        }
        _ => (duck != pg).then(|| format!("{path}: {duck} on DuckDB, {pg} on PostgreSQL")),
    }
}

/// A report as JSON without the instant it was made at.
fn without_made_at(mut report: Value) -> Value {
    report
        .as_object_mut()
        .map(|fields| fields.remove("generated_at"));
    report
}

/// Whether an answer has at least one figure that is not zero: a comparison of two empty
/// answers proves nothing.
fn has_figures(answer: &Value) -> bool {
    match answer {
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(items) => items.iter().any(has_figures),
        Value::Object(fields) => fields
            .iter()
            .any(|(k, v)| k != "period" && k != "period_start" && has_figures(v)),
        _ => false,
    }
}

/// The first row's `n` of `sql` asked of one store.
fn ask_one(sandbox: &Sandbox, db: &str, sql: &str) -> Value {
    sandbox.json(&["--db", db, "sql", sql])[0]["n"].clone()
}

#[test]
fn every_metric_report_and_goal_answers_the_same_on_postgresql() {
    let server = PgServer::start();
    let url = server.database("crm");
    let sandbox = Sandbox::new();
    let stores = ["a.duckdb", url.as_str()];
    // The same business generated into each: into PostgreSQL by its binary `COPY` path.
    for db in stores {
        sandbox.ok(&[
            "--db",
            db,
            "generate",
            "--scale",
            "small",
            "--seed",
            "11",
            "--now",
            "2026-11-30T12:00:00Z",
            "--quiet",
        ]);
    }

    // Asked of both stores; the answers compared.
    let ask = |args: &[&str]| -> Value {
        let answers: Vec<Value> = stores
            .iter()
            .map(|db| {
                let mut all = vec!["--db", db];
                all.extend(args);
                sandbox.json(&all)
            })
            .collect();
        if let Some(difference) = differs(&answers[0], &answers[1], "") {
            panic!("embudo {args:?} differs: {difference}");
        }
        answers.into_iter().next().unwrap()
    };

    let catalogue = sandbox.json(&["metrics"]);
    let catalogue = catalogue.as_array().unwrap();
    assert!(catalogue.len() >= 35, "{} metrics", catalogue.len());
    let mut with_figures = 0;
    for metric in catalogue {
        let name = metric["name"].as_str().unwrap();
        let range = ["metric", name, "--from", "2025-12-01", "--to", "2026-12-01"];
        let mut monthly = range.to_vec();
        monthly.extend(["--grain", "month", "--compare", "previous_period"]);
        if has_figures(&ask(&monthly)) {
            with_figures += 1;
        }
        let dims = metric["dimensions"].as_str().unwrap();
        if let Some(dim) = dims.split(',').find(|d| !d.is_empty()) {
            let mut split = range.to_vec();
            split.extend(["--by", dim]);
            ask(&split);
        }
    }
    // The generated business has a figure for nearly every metric; a comparison of empty
    // answers would prove nothing.
    assert!(
        with_figures * 10 >= catalogue.len() * 9,
        "only {with_figures} of {} metrics have figures",
        catalogue.len()
    );

    // A custom report, saved on each engine and run by name.
    std::fs::write(
        sandbox.path("owners.toml"),
        "metrics = [\"revenue\", \"deals_won\", \"close_rate\", \"sales_cycle_length_median\"]\n\
         by = [\"owner\"]\nfrom = \"2026-01-01\"\nto = \"2026-12-01\"\n",
    )
    .unwrap();
    let saved = ask(&["query", "--spec", "owners.toml", "--save", "owners"]);
    assert!(has_figures(&saved), "{saved}");
    ask(&["query", "--saved", "owners"]);
    for db in stores {
        // When each was saved differs; what was saved does not.
        let listed = sandbox.json(&["--db", db, "query", "--list"]);
        assert_eq!(listed[0]["name"], "owners", "{listed}");
        assert_eq!(
            listed[0]["metrics"],
            r#"["revenue","deals_won","close_rate","sales_cycle_length_median"]"#,
            "{listed}"
        );
    }

    // Goals: added on each engine, listed and assessed the same.
    for db in stores {
        sandbox.ok(&[
            "--db",
            db,
            "goal",
            "add",
            "2026 revenue",
            "--metric",
            "revenue",
            "--target",
            "900000",
            "--from",
            "2026-01-01",
            "--to",
            "2027-01-01",
        ]);
    }
    ask(&["goal", "list"]);
    let progress = ask(&["goal", "progress", "--at", "2026-11-30"]);
    assert!(has_figures(&progress), "{progress}");

    // Every canned report, at one instant.
    let reports = sandbox.json(&["report", "list"]);
    for report in reports.as_array().unwrap() {
        let name = report["name"].as_str().unwrap();
        let args = [
            "report",
            name,
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-01",
            "--at",
            "2026-11-30",
        ];
        let answers: Vec<Value> = stores
            .iter()
            .map(|db| {
                let mut all = vec!["--db", db];
                all.extend(args);
                without_made_at(sandbox.json(&all))
            })
            .collect();
        if let Some(difference) = differs(&answers[0], &answers[1], "") {
            panic!("report {name} differs: {difference}");
        }
        assert!(
            has_figures(&answers[0]["sections"]),
            "report {name} is empty"
        );
    }

    // The forecast: trained and scored on each engine, then the same forecast, backtest
    // and explanation of one open deal.
    for db in stores {
        sandbox.ok(&[
            "--db",
            db,
            "forecast",
            "train",
            "--at",
            "2026-11-30",
            "--quiet",
        ]);
    }
    let forecasts: Vec<Value> = stores
        .iter()
        .map(|db| without_made_at(sandbox.json(&["--db", db, "forecast", "--at", "2026-11-30"])))
        .collect();
    assert_eq!(differs(&forecasts[0], &forecasts[1], ""), None);
    ask(&["forecast", "backtest", "--at", "2026-06-01"]);
    let open = sandbox.json(&[
        "--db",
        "a.duckdb",
        "sql",
        "SELECT min(id) AS id FROM live_deals WHERE status = 'open'",
    ]);
    let open = open[0]["id"].to_string();
    let explained = ask(&["deal", "explain", &open, "--at", "2026-11-30"]);
    assert!(has_figures(&explained), "{explained}");

    // Exports: a table, and companies, contacts and deals as HubSpot and Pipedrive export
    // them (dates in their formats, stages by name), file for file.
    for db in stores {
        let folder = if db.ends_with(".duckdb") {
            "duck"
        } else {
            "pg"
        };
        sandbox.ok(&[
            "--db",
            db,
            "export",
            "deals",
            "-o",
            &format!("{folder}-deals.csv"),
        ]);
        for vendor in ["hubspot", "pipedrive"] {
            sandbox.ok(&[
                "--db",
                db,
                "export",
                "--as",
                vendor,
                "-o",
                &format!("{folder}-{vendor}"),
            ]);
        }
    }
    let mut files = vec!["deals.csv".to_owned()];
    for vendor in ["hubspot", "pipedrive"] {
        for entity in ["companies", "contacts", "deals"] {
            files.push(format!("{vendor}/{entity}.csv"));
        }
    }
    for file in files {
        let read = |folder: &str| {
            let name = match file.split_once('/') {
                Some((vendor, entity)) => format!("{folder}-{vendor}/{entity}"),
                None => format!("{folder}-{file}"),
            };
            std::fs::read_to_string(sandbox.path(&name)).unwrap()
        };
        let (duck, pg) = (read("duck"), read("pg"));
        assert!(duck.lines().count() > 100, "{file}");
        assert!(duck == pg, "{file} differs between the engines");
    }

    // The audit: every check, its samples and scores; the duplicates; a fix applied and
    // undone on each engine, and the audit the same after it; derived fields repaired.
    let audit = ask(&["audit", "--at", "2026-11-30"]);
    assert!(has_figures(&audit["checks"]), "{audit}");
    let duplicates = ask(&["audit", "duplicates"]);
    assert!(has_figures(&duplicates), "{duplicates}");
    let emails = "SELECT md5(string_agg(coalesce(email, ''), ',' ORDER BY id)) AS n FROM contacts";
    let before = ask(&["sql", emails]);
    for db in stores {
        let applied = sandbox.run(&[
            "--db",
            db,
            "audit",
            "fix",
            "contacts.email.typo_domain",
            "--apply",
        ]);
        assert!(applied.status.success(), "{applied:?}");
        // The batch is named on stderr, beside the table of fixes.
        let applied = String::from_utf8_lossy(&applied.stderr);
        let batch = applied
            .split("as batch ")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_else(|| panic!("{applied}"));
        assert_ne!(
            ask_one(&sandbox, db, emails),
            before[0]["n"],
            "the fix changed nothing"
        );
        sandbox.ok(&["--db", db, "audit", "unfix", batch]);
    }
    assert_eq!(ask(&["sql", emails]), before);
    ask(&["audit", "--at", "2026-11-30"]);
    ask(&["repair", "derived"]);

    // Plain SQL and the table counts.
    let counted = ask(&[
        "sql",
        "SELECT lead_source, count(*) AS contacts FROM contacts GROUP BY lead_source ORDER BY lead_source",
    ]);
    assert!(has_figures(&counted), "{counted}");
    ask(&["tables"]);

    // People and tokens, written on PostgreSQL.
    let added = sandbox.run_with_input(
        &[
            "--db",
            &url,
            "user",
            "add",
            "Ana Pg",
            "--email",
            "ana@pg.example",
            "--role",
            "admin",
        ],
        "a long passphrase for ana",
    );
    assert!(added.contains("added: ana@pg.example"), "{added}");
    let token = sandbox.ok(&["--db", &url, "token", "create", "--user", "ana@pg.example"]);
    assert!(token.trim().starts_with("embudo_"), "{token}");
    let users = sandbox.json(&["--db", &url, "user", "list"]);
    let ana = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "ana@pg.example")
        .unwrap_or_else(|| panic!("{users}"));
    assert_eq!(ana["role"], "admin", "{ana}");
    assert_eq!(ana["tokens"], 1, "{ana}");
}

/// `bench --backend postgres`: each figure on both engines, side by side, in databases the
/// bench makes beside the one named and drops when done.
#[test]
fn the_bench_measures_both_engines_side_by_side() {
    let server = PgServer::start();
    let url = server.database("crm");
    let sandbox = Sandbox::new();
    let refused = sandbox.fails(&["bench", "metrics", "--backend", "postgres"], 1);
    assert!(refused.contains("--db names"), "{refused}");
    let figures = sandbox.json(&[
        "--db",
        &url,
        "bench",
        "metrics",
        "--scale",
        "small",
        "--backend",
        "postgres",
        "--quiet",
    ]);
    let rows = figures.as_array().unwrap();
    assert!(rows.len() >= 36, "{} figures", rows.len());
    for row in rows {
        for engine in ["DuckDB s", "PostgreSQL s"] {
            assert!(row[engine].as_f64().is_some(), "{engine}: {row}");
        }
    }
    let databases = ask_one(
        &sandbox,
        &url,
        "SELECT count(*) AS n FROM pg_database WHERE datname LIKE 'embudo_bench_%'",
    );
    assert_eq!(databases, 0, "the bench's databases are dropped");
}

#[test]
fn user_sql_cannot_write_on_postgresql() {
    let server = PgServer::start();
    let url = server.database("crm");
    let sandbox = Sandbox::new();
    sandbox.ok(&["--db", &url, "init"]);
    let written = sandbox.fails(
        &[
            "--db",
            &url,
            "sql",
            "INSERT INTO teams (id, name) VALUES (1, 'x')",
        ],
        1,
    );
    assert!(written.contains("read-only transaction"), "{written}");
    let counted = sandbox.json(&["--db", &url, "sql", "SELECT count(*) AS n FROM teams"]);
    assert_eq!(counted[0]["n"], 0);
}

/// A HubSpot contacts export as a team keeps it: owners and companies by name, some of
/// which are nowhere (kept on the row as unresolved), a repeated record, a date that is not
/// one (quarantined), no e-mail on one row.
const HUBSPOT_CONTACTS: &str = "\
Record ID,First Name,Last Name,Email,Associated Company,Contact owner,Lifecycle Stage,Create Date,Original Source
501,Lucía,Romero,lucia@hotelsol.example,Hotel Sol,Marta Ruiz,Customer,03/01/2026,Referidos
502,Iván,Soto,ivan@bodega.example,Bodega Luna,Nadie Conocido,Lead,10/01/2026,Búsqueda orgánica
503,Carmen,Vidal,,Clínica Inexistente,Marta Ruiz,Opportunity,15/01/2026,Referidos
504,Pablo,Gil,pablo@taller.example,Taller Sur,,Lead,31/02/2026,
505,Ana,Ríos,ana@hotelsol.example,Hotel Sol,Marta Ruiz,Lead,20/01/2026,Referidos
";

/// The same vendor's deals, owned and placed by name.
const HUBSPOT_DEALS: &str = "\
Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date,Create Date,Deal owner,Associated Company
901,Hotel Sol,Ventas,Ganado,12.500,14/02/2026,03/01/2026,Marta Ruiz,Hotel Sol
902,Bodega Luna,Ventas,Perdido,4.000,20/02/2026,10/01/2026,Nadie Conocido,Bodega Luna
903,Clínica Norte,Ventas,Propuesta,8.750,,15/01/2026,Marta Ruiz,Clínica Inexistente
904,Taller Sur,Ventas,Ganado,3.100,,02/02/2026,,Taller Sur
";

#[test]
fn an_import_reads_the_same_into_postgresql_as_into_duckdb() {
    let server = PgServer::start();
    let url = server.database("imported");
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.path("contacts.csv"), HUBSPOT_CONTACTS).unwrap();
    std::fs::write(sandbox.path("deals.csv"), HUBSPOT_DEALS).unwrap();
    std::fs::write(
        sandbox.path("companies.csv"),
        "Name\nHotel Sol\nBodega Luna\nTaller Sur\n",
    )
    .unwrap();
    // The same commands into a new file and into the empty database; what each import
    // says (rows, inserted, rejected, unresolved names, created stages) must be the same.
    let import = |db: &str, args: &[&str]| {
        let mut all = vec!["--db", db, "import"];
        all.extend(args);
        sandbox.run_with_input(&all, "")
    };
    for db in ["crm.duckdb", url.as_str()] {
        sandbox.ok(&["--db", db, "init"]);
        sandbox.run_with_input(
            &[
                "--db",
                db,
                "user",
                "add",
                "Marta Ruiz",
                "--email",
                "marta@example.com",
                "--role",
                "rep",
            ],
            "a long enough password\n",
        );
    }
    let steps: [&[&str]; 3] = [
        &["companies", "companies.csv"],
        &[
            "contacts",
            "contacts.csv",
            "--preset",
            "hubspot",
            "--date-format",
            "D/M/Y",
            "--allow-rejects",
        ],
        &[
            "deals",
            "deals.csv",
            "--preset",
            "hubspot",
            "--date-format",
            "D/M/Y",
        ],
    ];
    let rejected = sandbox.path("contacts.csv.rejected.csv");
    let take_rejected = || {
        let text = std::fs::read_to_string(&rejected).ok();
        let _ = std::fs::remove_file(&rejected);
        text
    };
    let mut quarantined = Vec::new();
    for step in steps {
        let on_duckdb = import("crm.duckdb", step);
        let rejected_on_duckdb = take_rejected();
        let on_postgres = import(&url, step);
        let rejected_on_postgres = take_rejected();
        assert_eq!(
            on_postgres.replace(url.as_str(), "crm.duckdb"),
            on_duckdb,
            "{step:?}"
        );
        assert_eq!(rejected_on_postgres, rejected_on_duckdb, "{step:?}");
        if step[0] == "contacts" {
            assert!(
                on_postgres.contains("unresolved owner 'Nadie Conocido' in 1 row(s)")
                    && on_postgres.contains("unresolved company 'Clínica Inexistente'")
                    && !on_postgres.contains("unresolved owner 'Marta Ruiz'"),
                "{on_postgres}"
            );
        }
        quarantined.extend(rejected_on_postgres);
    }
    assert!(
        quarantined.concat().contains("31/02/2026"),
        "the impossible date was quarantined: {quarantined:?}"
    );
    // The rows themselves, the names kept unresolved included (compared as JSON: the
    // engines space JSON text differently).
    let rows = |db: &str, sql: &str| sandbox.json(&["--db", db, "sql", sql]);
    for sql in [
        "SELECT id, first_name, last_name, email, company_id, owner_id, lifecycle_stage,
                CAST(created_at AS VARCHAR) AS created_at, lead_source,
                CAST(custom AS VARCHAR) AS custom
           FROM contacts ORDER BY id",
        "SELECT id, name, stage_id, status, amount, CAST(closed_at AS VARCHAR) AS closed_at,
                owner_id, company_id, CAST(custom AS VARCHAR) AS custom
           FROM deals ORDER BY id",
        "SELECT deal_id, stage_id, CAST(entered_at AS VARCHAR) AS entered_at,
                CAST(exited_at AS VARCHAR) AS exited_at, synthesised
           FROM deal_stage_history ORDER BY deal_id, entered_at, id",
        "SELECT id, pipeline_id, name, position, kind FROM stages ORDER BY id",
    ] {
        let (duck, pg) = (rows("crm.duckdb", sql), rows(&url, sql));
        let parsed = |rows: Value| -> Value {
            let mut rows = rows;
            for row in rows.as_array_mut().unwrap() {
                if let Some(text) = row["custom"].as_str() {
                    row["custom"] = serde_json::from_str(text).unwrap();
                }
            }
            rows
        };
        let (duck, pg) = (parsed(duck), parsed(pg));
        assert!(!duck.as_array().unwrap().is_empty(), "{sql}");
        if let Some(difference) = differs(&duck, &pg, "rows") {
            panic!("{sql}: {difference}\nDuckDB {duck}\nPostgreSQL {pg}");
        }
    }
    let unresolved = rows(
        &url,
        "SELECT count(*) AS n FROM contacts WHERE custom IS NOT NULL",
    );
    assert!(unresolved[0]["n"].as_i64() >= Some(2), "{unresolved}");
    // And what a user reads from them.
    assert_eq!(
        sandbox.first_quarter_pipeline(&url),
        sandbox.first_quarter_pipeline("crm.duckdb")
    );
}
