//! The `embudo` binary, run as a user would, each test in its own temporary directory.

#[path = "support/sandbox.rs"]
mod sandbox;
#[path = "support/schema.rs"]
mod schema_list;

use sandbox::Sandbox;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Table or view name → its column names, as the store's catalog lists them.
fn columns_in_store(sandbox: &Sandbox) -> Vec<(String, BTreeSet<String>)> {
    let rows = sandbox.json(&[
        "sql",
        "SELECT table_name, list(column_name) AS columns FROM information_schema.columns
         WHERE table_schema = 'main' GROUP BY table_name",
    ]);
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let name = row["table_name"].as_str().unwrap().to_owned();
            let text = row["columns"].as_str().unwrap();
            let columns = text
                .trim_matches(|c| c == '[' || c == ']')
                .split(", ")
                .map(str::to_owned)
                .collect();
            (name, columns)
        })
        .collect()
}

fn assert_spec_schema(sandbox: &Sandbox) {
    let store = columns_in_store(sandbox);
    for (table, expected) in schema_list::SCHEMA {
        let found = store
            .iter()
            .find(|(name, _)| name == table)
            .unwrap_or_else(|| panic!("table {table} is missing"));
        let expected: BTreeSet<String> = expected.iter().map(|c| c.to_string()).collect();
        let missing: Vec<_> = expected.difference(&found.1).collect();
        assert!(missing.is_empty(), "{table} lacks {missing:?}");
    }
}

#[test]
fn init_creates_every_table_and_column_of_the_spec() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init"]);
    assert!(sandbox.path("embudo.duckdb").exists());
    assert_spec_schema(&sandbox);
}

#[test]
fn generate_keeps_the_spec_schema_and_fills_the_tables() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    assert_spec_schema(&sandbox);
    let counts = sandbox.json(&["tables"]);
    let contacts = counts
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["table"] == "contacts")
        .unwrap();
    assert!(contacts["rows"].as_i64().unwrap() >= 2_000);
}

#[test]
fn generate_writes_a_truth_file() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "generate",
        "--seed",
        "9",
        "--now",
        "2026-01-15",
        "--truth",
        "truth.json",
        "-q",
    ]);
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox.path("truth.json")).unwrap())
            .unwrap();
    assert_eq!(truth["seed"], 9);
    assert_eq!(truth["scale"], "small");
    assert_eq!(truth["now"], "2026-01-15 00:00:00");
    for key in ["params", "duplicates", "defects", "future"] {
        assert!(truth.get(key).is_some(), "truth lacks {key}");
    }
    assert!(truth["future"]["deals"][0]["outcome"].is_string());
}

#[test]
fn generate_refuses_a_store_that_has_data_unless_told_to_replace() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let message = sandbox.fails(&["generate", "--quiet"], 1);
    assert!(message.contains("--replace"), "{message}");
    sandbox.ok(&["generate", "--replace", "--seed", "4", "--quiet"]);
}

#[test]
fn sql_answers_in_every_format_and_cannot_write() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let csv = sandbox.ok(&[
        "sql",
        "SELECT name, kind FROM stages WHERE position = 1 ORDER BY id",
        "--format",
        "csv",
    ]);
    assert_eq!(csv, "name,kind\nQualified,open\nQualified,open\n");
    let table = sandbox.ok(&["sql", "SELECT count(*) AS pipelines FROM pipelines"]);
    assert!(
        table.contains("pipelines") && table.contains('2'),
        "{table}"
    );
    let message = sandbox.fails(&["sql", "DELETE FROM contacts"], 1);
    assert!(
        message.starts_with("error:") && message.lines().count() == 1,
        "{message}"
    );
    let left = sandbox.json(&["sql", "SELECT count(*) AS n FROM contacts"]);
    assert!(left[0]["n"].as_i64().unwrap() > 0);
}

#[test]
fn usage_errors_exit_with_two() {
    let sandbox = Sandbox::new();
    sandbox.fails(&["generate", "--scale", "huge"], 2);
    sandbox.fails(&["generate", "--defects", "1.5"], 2);
    sandbox.fails(&["no-such-command"], 2);
}

#[test]
fn configuration_comes_from_flag_env_or_file() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path("embudo.toml"),
        "db = \"from-file.duckdb\"\nformat = \"csv\"\n",
    )
    .unwrap();
    sandbox.ok(&["init"]);
    assert!(sandbox.path("from-file.duckdb").exists());
    let out = sandbox.ok(&["tables"]);
    assert!(out.starts_with("table,rows\n"), "{out}");
    sandbox.ok(&["init", "--db", "from-flag.duckdb"]);
    assert!(sandbox.path("from-flag.duckdb").exists());
}

#[test]
fn demo_builds_its_store_and_rebuilds_only_its_own() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&["demo"]);
    assert!(out.contains("contacts"), "{out}");
    // A second run replaces the demo's own file.
    sandbox.ok(&["demo", "--quiet"]);

    // Saved output keeps its titles; figures read as people write them.
    assert!(out.contains("Headline metrics"), "{out}");
    assert!(out.contains("Next, try"), "{out}");
    assert!(
        out.contains("embudo --db embudo-demo.duckdb report pipeline"),
        "{out}"
    );
    let close_rate = out
        .lines()
        .find(|l| l.contains("Close rate"))
        .unwrap_or_else(|| panic!("no close rate in {out}"));
    assert!(close_rate.contains('%'), "{close_rate}");
    let raw_ratio = close_rate
        .split(['│', '┆', '|'])
        .map(str::trim)
        .any(|cell| cell.starts_with("0.") && cell.parse::<f64>().is_ok());
    assert!(!raw_ratio, "{close_rate}");
    // The command a newcomer types next, without --db, points at the demo's store.
    let missing = sandbox.fails(&["report", "pipeline"], 1);
    assert!(
        missing.contains("add `--db embudo-demo.duckdb`"),
        "{missing}"
    );
    // `--db` names the demo's store as `--path` does; both at once, differing, is refused.
    sandbox.ok(&["demo", "--db", "other-demo.duckdb", "--quiet"]);
    assert!(sandbox.path("other-demo.duckdb").exists());
    let both = sandbox.fails(&["demo", "--path", "a.duckdb", "--db", "b.duckdb"], 1);
    assert!(both.contains("give one"), "{both}");

    // A user's store under the demo's name is never overwritten.
    let foreign = sandbox.path("mine.duckdb");
    sandbox.ok(&["init", "--db", foreign.to_str().unwrap()]);
    let before = std::fs::read(&foreign).unwrap();
    let message = sandbox.fails(&["demo", "--path", "mine.duckdb"], 1);
    assert!(message.contains("refusing"), "{message}");
    assert_eq!(std::fs::read(Path::new(&foreign)).unwrap(), before);
}

/// The demo scores the open deals before it forecasts, and its forecast is the one
/// `embudo forecast` gives on its store at the instant it suggests.
#[test]
fn the_demo_forecasts_with_its_scores_as_the_forecast_command_does() {
    let sandbox = Sandbox::new();
    let demo = sandbox.run(&["demo"]);
    assert!(demo.status.success());
    let (shown, said) = (
        String::from_utf8_lossy(&demo.stdout),
        String::from_utf8_lossy(&demo.stderr),
    );
    for text in [&shown, &said] {
        assert!(!text.contains("No deal has been scored yet"), "{text}");
    }
    // Headings and suggestions are on standard output, with the tables they title.
    let at = shown
        .split_once("forecast --months 6 --at ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the demo suggests no forecast instant: {shown}"));
    let forecast = sandbox.ok(&["--db", "embudo-demo.duckdb", "forecast", "--at", at]);
    assert!(
        !forecast.contains("No deal has been scored yet"),
        "{forecast}"
    );
    assert!(
        shown.contains(forecast.trim()),
        "{forecast}\nnot in\n{shown}"
    );
}

#[test]
fn metrics_lists_the_catalogue_in_both_languages() {
    let sandbox = Sandbox::new();
    let english = sandbox.json(&["metrics"]);
    let spanish = sandbox.json(&["metrics", "--lang", "es"]);
    let label = |list: &Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()["label"]
            .clone()
    };
    assert_eq!(label(&english, "close_rate"), "Close rate");
    assert_eq!(label(&spanish, "close_rate"), "Tasa de cierre");
    assert!(english.as_array().unwrap().len() >= 51);
}

#[test]
fn metric_answers_in_the_documented_json_shape() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let quarter = [
        "metric",
        "deals_won",
        "--from",
        "2026-01-01",
        "--to",
        "2026-04-01",
    ];
    let result = sandbox.json(
        &[
            &quarter[..],
            &[
                "--grain",
                "month",
                "--by",
                "pipeline",
                "--compare",
                "previous_year",
            ],
        ]
        .concat(),
    );
    assert_eq!(result["metric"], "deals_won");
    assert_eq!(result["unit"], "count");
    assert_eq!(result["grain"], "month");
    assert_eq!(result["by"], serde_json::json!(["pipeline"]));
    assert_eq!(result["compare"], "previous_year");
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3 * 2, "three months × two pipelines");
    assert_eq!(rows[0]["period"], "2026-01-01");
    for key in ["pipeline", "value", "previous", "change", "change_pct"] {
        assert!(rows[0].get(key).is_some(), "rows lack {key}");
    }
    // The months add up to the quarter, counted with plain SQL.
    let total: f64 = rows.iter().map(|r| r["value"].as_f64().unwrap()).sum();
    let sql = sandbox.json(&[
        "sql",
        "SELECT count(*) AS n FROM deals WHERE status = 'won' AND closed_at >= '2026-01-01' AND closed_at < '2026-04-01'
         AND deleted_at IS NULL AND merged_into_id IS NULL",
    ]);
    assert_eq!(total, sql[0]["n"].as_f64().unwrap());
    // A person's table writes the count as a whole number, "1,234" and not "1234.0".
    let table = sandbox.ok(&[&quarter[..], &["--format", "table"]].concat());
    let count = format!(" {total} ");
    assert!(
        table.replace(',', "").contains(&count),
        "{count:?} in {table}"
    );
    assert!(!table.contains(".0 "), "{table}");
    // The quarter's figure of `metric` as a person's table, and one number by plain SQL.
    let table_of = |metric: &str| {
        sandbox.ok(&[&["metric", metric], &quarter[2..], &["--format", "table"]].concat())
    };
    let plain = |sql: &str| sandbox.json(&["sql", sql])[0]["x"].as_f64().unwrap();
    // Money to the cent: the quarter's revenue.
    let revenue = plain(
        "SELECT sum(amount) AS x FROM revenue_lines
         WHERE occurred_at >= '2026-01-01' AND occurred_at < '2026-04-01'",
    );
    let table = table_of("revenue");
    assert!(
        table.replace(',', "").contains(&format!(" {revenue:.2} ")),
        "{revenue} in {table}"
    );
    assert!(table.contains(",") && !table.contains(".0 "), "{table}");
    // A share as a percentage: won over closed.
    let closed = plain(
        "SELECT avg(CASE WHEN status = 'won' THEN 1.0 ELSE 0 END) AS x FROM deals
         WHERE status IN ('won', 'lost') AND closed_at >= '2026-01-01' AND closed_at < '2026-04-01'
         AND deleted_at IS NULL AND merged_into_id IS NULL",
    );
    let table = table_of("close_rate");
    let percent = format!(" {:.1}% ", closed * 100.0);
    assert!(table.contains(&percent), "{percent:?} in {table}");
}

#[test]
fn metric_errors_name_what_is_allowed() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init"]);
    let january = ["--from", "2026-01-01", "--to", "2026-02-01"];
    let cases: [(Vec<&str>, &str); 4] = [
        (
            [&["metric", "web_visits"][..], &january, &["--by", "owner"]].concat(),
            "it takes lead_source",
        ),
        (
            [&["metric", "web_visits"][..], &january, &["--by", "colour"]].concat(),
            "dimensions are owner, team",
        ),
        (
            vec![
                "metric",
                "web_visits",
                "--from",
                "2026-02-01",
                "--to",
                "2026-01-01",
            ],
            "must end after it starts",
        ),
        (
            [&["metric", "visits"][..], &january].concat(),
            "unknown metric 'visits'",
        ),
    ];
    for (args, expected) in cases {
        let message = sandbox.fails(&args, 1);
        assert!(message.contains(expected), "{args:?}: {message}");
    }
}

#[test]
fn custom_reports_run_save_and_rerun() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    std::fs::write(
        sandbox.path("report.toml"),
        "metrics = [\"deals_won\", \"close_rate\"]\nby = [\"pipeline\"]\nfrom = \"2026-01-01\"\nto = \"2026-04-01\"\n",
    )
    .unwrap();
    let rows = sandbox.json(&["query", "--spec", "report.toml", "--save", "pipelines"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "one row per pipeline");
    for key in ["pipeline", "deals_won", "close_rate"] {
        assert!(rows[0].get(key).is_some(), "no column {key}");
    }
    // The report's numbers are the metric's numbers.
    let metric = sandbox.json(&[
        "metric",
        "deals_won",
        "--from",
        "2026-01-01",
        "--to",
        "2026-04-01",
        "--by",
        "pipeline",
    ]);
    let total: f64 = metric["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .sum();
    let report_total: f64 = rows.iter().map(|r| r["deals_won"].as_f64().unwrap()).sum();
    assert_eq!(total, report_total);
    assert_eq!(
        sandbox
            .json(&["query", "--saved", "pipelines"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let saved = sandbox.json(&["query", "--list"]);
    assert_eq!(saved[0]["name"], "pipelines");

    // A report that cannot run is not saved.
    std::fs::write(sandbox.path("bad.toml"), "metrics = [\"web_visits\"]\nby = [\"owner\"]\nfrom = \"2026-01-01\"\nto = \"2026-02-01\"\n")
        .unwrap();
    sandbox.fails(&["query", "--spec", "bad.toml", "--save", "bad"], 1);
    assert_eq!(
        sandbox.json(&["query", "--list"]).as_array().unwrap().len(),
        1
    );
    sandbox.fails(&["query"], 2);
}

#[test]
fn goals_are_added_followed_and_removed() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let before = sandbox.json(&["goal", "list"]).as_array().unwrap().len();
    sandbox.ok(&[
        "goal",
        "add",
        "H1 deals",
        "--metric",
        "deals_won",
        "--target",
        "1000000",
        "--from",
        "2026-01-01",
        "--to",
        "2026-07-01",
        "--scope",
        "team:Sales North",
        "--quiet",
    ]);
    sandbox.ok(&[
        "goal",
        "add",
        "Fast answers",
        "--metric",
        "avg_resolution_time",
        "--target",
        "100000",
        "--from",
        "2026-01-01",
        "--to",
        "2026-07-01",
        "--at-most",
        "--quiet",
    ]);
    assert_eq!(
        sandbox.json(&["goal", "list"]).as_array().unwrap().len(),
        before + 2
    );
    // Half-way through the period (1 April is day 90 of 181).
    let progress = sandbox.json(&["goal", "progress", "--at", "2026-04-01"]);
    let goal = |name: &str| {
        progress
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["goal"] == name)
            .unwrap()
            .clone()
    };
    let deals = goal("H1 deals");
    assert_eq!(deals["status"], "behind", "{deals}");
    assert!(
        (deals["expected_attainment"].as_f64().unwrap() - 90.0 / 181.0).abs() < 1e-3,
        "{deals}"
    );
    assert_eq!(goal("Fast answers")["status"], "on_track");
    let message = sandbox.fails(
        &[
            "goal",
            "add",
            "x",
            "--metric",
            "web_visits",
            "--target",
            "1",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
            "--scope",
            "team:Sales North",
        ],
        1,
    );
    assert!(message.contains("cannot be limited by team"), "{message}");
    sandbox.ok(&["goal", "rm", "H1 deals", "--quiet"]);
    assert_eq!(
        sandbox.json(&["goal", "list"]).as_array().unwrap().len(),
        before + 1
    );
    sandbox.fails(&["goal", "rm", "H1 deals"], 1);
}

#[test]
fn reports_render_in_every_format() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let names = sandbox.json(&["report", "list"]);
    assert_eq!(names.as_array().unwrap().len(), 14);
    let range = ["--from", "2026-01-01", "--to", "2026-07-01"];
    let mut args = vec!["report", "lost_deals"];
    args.extend(range);
    let json = sandbox.json(&args);
    assert_eq!(json["report"], "lost_deals");
    assert_eq!(json["params"]["from"], "2026-01-01");
    assert!(!json["sections"].as_array().unwrap().is_empty());
    let mut csv_args = args.clone();
    csv_args.extend(["--format", "csv"]);
    let csv = sandbox.ok(&csv_args);
    assert!(
        csv.starts_with("# lost_deals / by_reason\nlost_reason,deals_lost,"),
        "{csv}"
    );
    let mut files = args.clone();
    files.extend(["--format", "csv", "-o", "lost.csv", "--quiet"]);
    sandbox.ok(&files);
    let by_reason = std::fs::read_to_string(sandbox.path("lost-lost_deals-by_reason.csv")).unwrap();
    assert!(
        by_reason.starts_with("lost_reason,deals_lost,"),
        "{by_reason}"
    );
    let table = sandbox.ok(&args);
    assert!(
        table.contains("Lost deals report") && table.contains("Lost reason"),
        "{table}"
    );
    let spanish = sandbox.ok(&[
        "--lang",
        "es",
        "report",
        "lost_deals",
        "--from",
        "2026-01-01",
        "--to",
        "2026-07-01",
    ]);
    assert!(
        spanish.contains("Informe de transacciones perdidas")
            && spanish.contains("Motivo de pérdida")
    );
    sandbox.ok(&["report", "all", "--format", "html", "-o", "pack.html"]);
    let page = std::fs::read_to_string(sandbox.path("pack.html")).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>")
            && page.contains("<svg")
            && page.contains("id=\"adoption\"")
    );
    sandbox.ok(&["report", "all", "--format", "xlsx", "-o", "pack.xlsx"]);
    assert!(
        std::fs::read(sandbox.path("pack.xlsx"))
            .unwrap()
            .starts_with(b"PK")
    );
    let message = sandbox.fails(&["report", "all", "--format", "xlsx"], 1);
    assert!(message.contains("-o FILE.xlsx"), "{message}");
    let pack = sandbox.json(&["report", "all"]);
    assert_eq!(pack["reports"].as_array().unwrap().len(), 14);
    let message = sandbox.fails(&["report", "pipelines"], 1);
    assert!(message.contains("reports are pipeline"), "{message}");
    sandbox.fails(&["tables", "--format", "html"], 1);
}

#[test]
fn audit_scores_the_data_and_keeps_each_run() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "generate",
        "--seed",
        "5",
        "--now",
        "2026-06-30T12:00:00Z",
        "--defects",
        "0.2",
        "--quiet",
    ]);
    let audit = sandbox.json(&["audit", "--at", "2026-06-30T12:00:00Z"]);
    let overall = audit["score"]["overall"].as_f64().unwrap();
    assert!(overall > 50.0 && overall < 100.0, "{overall}");
    let typo = audit["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "contacts.email.typo_domain")
        .unwrap();
    assert!(typo["failing"].as_u64().unwrap() > 0);
    for key in [
        "id", "entity", "severity", "failing", "total", "pct", "samples",
    ] {
        assert!(typo.get(key).is_some(), "a check lacks {key}");
    }
    assert!(typo["samples"][0]["fix"].as_str().unwrap().contains('@'));
    let only = sandbox.json(&["audit", "--entity", "deals", "--at", "2026-06-30"]);
    assert!(
        only["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["entity"] == "deals")
    );
    let runs = sandbox.json(&["sql", "SELECT count(DISTINCT run_id) AS n FROM audit_runs"]);
    assert_eq!(runs[0]["n"], 2);
    let access = sandbox.json(&["audit", "access", "--at", "2026-06-30"]);
    assert_eq!(access.as_array().unwrap().len(), 20);
    let page = sandbox.ok(&["audit", "--format", "html", "--at", "2026-06-30"]);
    assert!(
        page.starts_with("<!DOCTYPE html>")
            && page.contains("Data quality score")
            && page.contains("contacts.email.typo_domain")
    );
    let message = sandbox.fails(&["audit", "--check", "contacts.nope"], 1);
    assert!(message.contains("checks are"), "{message}");
}

/// Lead sources declared under `[labels]` in `embudo.toml` are the only ones: `referral`,
/// one of Embudo's own, fails beside `search paid` once they are declared, and a field whose
/// labels cannot be declared is refused.
#[test]
fn labels_declared_in_the_config_file_are_the_only_labels() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path("contacts.csv"),
        "First Name,Last Name,Email,Lead Source\n\
         Ana,Ruiz,ana@example.com,search_paid\n\
         Juan,Gil,juan@example.com,search_paid\n\
         Eva,Sanz,eva@example.com,search_paid\n\
         Luis,Mora,luis@example.com,search_organic\n\
         Rosa,Vega,rosa@example.com,search_organic\n\
         Pablo,Leon,pablo@example.com,search paid\n\
         Marta,Diaz,marta@example.com,referral\n",
    )
    .unwrap();
    sandbox.ok(&["import", "contacts", "contacts.csv", "--quiet"]);
    let failing = |sandbox: &Sandbox| -> Vec<(String, Option<String>)> {
        let audit = sandbox.json(&["audit", "--check", "contacts.lead_source.label"]);
        let mut rows: Vec<(String, Option<String>)> = audit["checks"][0]["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let fix = s["fix"].as_str().map(str::to_owned);
                (s["value"].as_str().unwrap().to_owned(), fix)
            })
            .collect();
        rows.sort();
        rows
    };
    let variant = ("search paid".to_owned(), Some("search_paid".to_owned()));
    assert_eq!(failing(&sandbox), vec![variant.clone()]);

    std::fs::write(
        sandbox.path("embudo.toml"),
        "[labels]\n\"contacts.lead_source\" = [\"search_paid\", \"search_organic\"]\n",
    )
    .unwrap();
    assert_eq!(
        failing(&sandbox),
        vec![("referral".to_owned(), None), variant]
    );

    std::fs::write(
        sandbox.path("embudo.toml"),
        "[labels]\n\"contacts.city\" = [\"Madrid\"]\n",
    )
    .unwrap();
    let message = sandbox.fails(&["audit"], 1);
    assert!(
        message.contains("'contacts.city'") && message.contains("contacts.lead_source"),
        "{message}"
    );
}

#[test]
fn duplicates_are_clustered_and_can_be_overruled() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "generate",
        "--seed",
        "6",
        "--now",
        "2026-06-30T12:00:00Z",
        "--defects",
        "0.2",
        "--truth",
        "t.json",
        "--quiet",
    ]);
    let found = sandbox.json(&["audit", "duplicates", "--entity", "contacts"]);
    assert_eq!(found["entity"], "contacts");
    assert!(found["blocking"]["reduction_ratio"].as_f64().unwrap() > 0.99);
    let clusters = found["clusters"].as_array().unwrap();
    assert!(!clusters.is_empty());
    let first = &clusters[0];
    let pair = &first["pairs"][0];
    for key in ["a", "b", "probability", "fields"] {
        assert!(pair.get(key).is_some(), "a pair lacks {key}");
    }
    // For people, each member is named beside its id, read back here by plain SQL.
    let id = first["members"][0].as_i64().unwrap();
    let named = sandbox.json(&[
        "sql",
        &format!(
            "SELECT concat_ws(' ', first_name, last_name) AS name FROM contacts WHERE id = {id}"
        ),
    ]);
    let table = sandbox.ok(&[
        "audit",
        "duplicates",
        "--entity",
        "contacts",
        "--format",
        "csv",
    ]);
    let expected = format!("{} (#{id})", named[0]["name"].as_str().unwrap().trim());
    assert!(table.contains(&expected), "{expected} not in {table}");
    // Overrule the first pair: it is never proposed again.
    let (a, b) = (pair["a"].as_i64().unwrap(), pair["b"].as_i64().unwrap());
    sandbox.ok(&[
        "audit",
        "not-duplicate",
        &a.to_string(),
        &b.to_string(),
        "--quiet",
    ]);
    let again = sandbox.json(&["audit", "duplicates", "--entity", "contacts"]);
    let still = again["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["pairs"].as_array().unwrap().clone())
        .any(|p| p["a"] == a && p["b"] == b);
    assert!(!still);
    let deals = sandbox.json(&["audit", "duplicates", "--entity", "deals"]);
    assert!(!deals["clusters"].as_array().unwrap().is_empty());
    sandbox.fails(&["audit", "duplicates", "--entity", "activities"], 1);
}

#[test]
fn merges_are_journaled_and_undone() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "generate",
        "--seed",
        "8",
        "--now",
        "2026-06-30T12:00:00Z",
        "--defects",
        "0.2",
        "--quiet",
    ]);
    let before = sandbox.ok(&[
        "sql",
        "SELECT md5(string_agg(CAST(c AS VARCHAR), '|' ORDER BY id)) FROM contacts c",
        "--format",
        "csv",
    ]);
    let dry = sandbox.json(&[
        "merge",
        "--entity",
        "contacts",
        "--cluster",
        "1",
        "--dry-run",
    ]);
    assert_eq!(dry[0]["journal_ids"], "(dry run)");
    let done = sandbox.json(&["merge", "--entity", "contacts", "--cluster", "1"]);
    let journal: i64 = done[0]["journal_ids"]
        .as_str()
        .unwrap()
        .split(", ")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let merged = sandbox.json(&[
        "sql",
        "SELECT count(*) AS n FROM contacts WHERE merged_into_id IS NOT NULL",
    ]);
    assert!(merged[0]["n"].as_i64().unwrap() >= 1);
    sandbox.ok(&["unmerge", &journal.to_string(), "--quiet"]);
    let after = sandbox.ok(&[
        "sql",
        "SELECT md5(string_agg(CAST(c AS VARCHAR), '|' ORDER BY id)) FROM contacts c",
        "--format",
        "csv",
    ]);
    assert_eq!(before, after);
    sandbox.fails(&["unmerge", &journal.to_string()], 1);
    sandbox.fails(&["merge", "--entity", "contacts"], 2);
}

#[test]
fn suggested_fixes_apply_on_request_and_undo() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "generate",
        "--seed",
        "9",
        "--now",
        "2026-06-30T12:00:00Z",
        "--defects",
        "0.2",
        "--quiet",
    ]);
    let fingerprint = |s: &Sandbox| {
        s.ok(&[
            "sql",
            "SELECT md5(string_agg(CAST(c AS VARCHAR), '|' ORDER BY id)) FROM contacts c",
            "--format",
            "csv",
        ])
    };
    let before = fingerprint(&sandbox);
    let failing = |s: &Sandbox| {
        let audit = s.json(&[
            "audit",
            "--check",
            "contacts.lead_source.label",
            "--at",
            "2026-06-30",
        ]);
        audit["checks"][0]["failing"].as_u64().unwrap()
    };
    let proposed = sandbox.json(&["audit", "fix", "contacts.lead_source.label"]);
    assert!(!proposed.as_array().unwrap().is_empty());
    assert_eq!(
        fingerprint(&sandbox),
        before,
        "a fix without --apply changed data"
    );
    let before_failing = failing(&sandbox);
    sandbox.ok(&[
        "audit",
        "fix",
        "contacts.lead_source.label",
        "--apply",
        "--quiet",
    ]);
    assert!(failing(&sandbox) < before_failing);
    sandbox.ok(&["audit", "unfix", "1", "--quiet"]);
    assert_eq!(fingerprint(&sandbox), before);
    sandbox.fails(&["audit", "fix", "contacts.phone.invalid"], 1);
}

#[test]
fn import_guesses_quarantines_and_exits_by_its_rejects() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path("contacts.csv"),
        "Record ID,First Name,Email,Create Date\n1,Ana,ana@x.com,2025-01-31\n2,Bob,bob@x.com,not a date\n",
    )
    .unwrap();
    // The dry run prints the guess and writes nothing.
    let guess = sandbox.ok(&[
        "import",
        "contacts",
        "contacts.csv",
        "--preset",
        "hubspot",
        "--dry-run",
        "--allow-rejects",
    ]);
    assert!(
        guess.contains("Record ID") && guess.contains("external_id"),
        "{guess}"
    );
    assert_eq!(
        sandbox.json(&["sql", "SELECT count(*) AS n FROM contacts"])[0]["n"],
        0
    );
    // A rejected row makes the exit code 1, the good row is in, the bad one quarantined.
    let stderr = sandbox.fails(
        &["import", "contacts", "contacts.csv", "--preset", "hubspot"],
        1,
    );
    assert!(
        stderr.contains("1 row(s) rejected") && stderr.contains("contacts.csv.rejected.csv"),
        "{stderr}"
    );
    let quarantine = std::fs::read_to_string(sandbox.path("contacts.csv.rejected.csv")).unwrap();
    assert!(
        quarantine.contains("3,column 'Create Date' (created_at): 'not a date' is not a date"),
        "{quarantine}"
    );
    let rows = sandbox.json(&[
        "sql",
        "SELECT first_name, source_system, external_id FROM contacts",
    ]);
    assert_eq!(
        rows,
        serde_json::json!([{"first_name": "Ana", "source_system": "hubspot", "external_id": "1"}])
    );
    // Accepting the rejects exits 0; the JSON summary counts the unchanged row.
    let report = sandbox.json(&[
        "import",
        "contacts",
        "contacts.csv",
        "--preset",
        "hubspot",
        "--allow-rejects",
    ]);
    assert_eq!(report["files"][0]["unchanged"], 1);
    assert_eq!(report["files"][0]["rejected"], 1);
    // Not a spreadsheet: a one-line error naming the file.
    std::fs::write(sandbox.path("fake.xlsx"), "just text").unwrap();
    let stderr = sandbox.fails(&["import", "contacts", "fake.xlsx"], 1);
    assert!(
        stderr.contains("fake.xlsx") && stderr.lines().count() == 1,
        "{stderr}"
    );
}

#[test]
fn a_mapping_imports_several_files_and_a_saved_guess_reads_back() {
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path("accounts.csv"),
        "account_id,account\nA1,Acme\n",
    )
    .unwrap();
    std::fs::write(
        sandbox.path("opps.csv"),
        "opp,title,account,deal_stage,close_value,engage_date\nO1,Big,A1,Closed Won,\"1.500,00\",31/01/2025\n",
    )
    .unwrap();
    std::fs::write(
        sandbox.path("crm.toml"),
        r#"source_system = "acme-crm"
[[file]]
path = "opps.csv"
entity = "deals"
[file.columns]
external_id = "opp"
name = "title"
company = "account"
stage = "deal_stage"
amount = "close_value"
created_at = "engage_date"
[file.values.stage]
"Closed Won" = "Won"
[file.defaults]
pipeline = "Sales"

[[file]]
path = "accounts.csv"
entity = "companies"
[file.columns]
external_id = "account_id"
name = "account"
"#,
    )
    .unwrap();
    sandbox.ok(&["import", "--map", "crm.toml", "--quiet"]);
    let deal = sandbox.json(&[
        "sql",
        "SELECT d.amount, d.status, c.name AS company, s.name AS stage, p.name AS pipeline, d.source_system
           FROM deals d JOIN companies c ON c.id = d.company_id JOIN stages s ON s.id = d.stage_id
           JOIN pipelines p ON p.id = d.pipeline_id",
    ]);
    assert_eq!(
        deal,
        serde_json::json!([{"amount": 1500.0, "status": "won", "company": "Acme", "stage": "Won", "pipeline": "Sales", "source_system": "acme-crm"}])
    );
    // The same accounts from the same system update, not duplicate; the saved guess keeps
    // the source system and reads back.
    let report = sandbox.json(&[
        "import",
        "companies",
        "accounts.csv",
        "--source-system",
        "acme-crm",
        "--save-map",
        "saved.toml",
    ]);
    assert_eq!(report["files"][0]["unchanged"], 1);
    let saved = std::fs::read_to_string(sandbox.path("saved.toml")).unwrap();
    assert!(
        saved.contains("source_system = \"acme-crm\"")
            && saved.contains("path = \"accounts.csv\"")
            && saved.contains("name = \"account\""),
        "{saved}"
    );
    sandbox.ok(&["import", "--map", "saved.toml", "--quiet"]);
    assert_eq!(
        sandbox.json(&["sql", "SELECT count(*) AS n FROM companies"])[0]["n"],
        1
    );
}

#[test]
fn export_writes_tables_and_reports_in_every_format() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let csv = sandbox.ok(&["export", "pipelines"]);
    assert!(csv.starts_with("id,name\n1,New Business\n"), "{csv}");
    let json: Value =
        serde_json::from_str(&sandbox.ok(&["export", "stages", "--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 12);
    sandbox.ok(&[
        "export",
        "deals",
        "--format",
        "parquet",
        "-o",
        "deals.parquet",
        "--quiet",
    ]);
    let counted = sandbox.json(&["sql", "SELECT count(*) AS n FROM deals"])[0]["n"].clone();
    let bytes = std::fs::read(sandbox.path("deals.parquet")).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    assert!(counted.as_u64().unwrap() > 0);
    sandbox.ok(&[
        "export",
        "products",
        "--format",
        "xlsx",
        "-o",
        "products.xlsx",
        "--quiet",
    ]);
    assert!(
        std::fs::read(sandbox.path("products.xlsx"))
            .unwrap()
            .starts_with(b"PK")
    );
    sandbox.ok(&[
        "export",
        "lead_sources",
        "--format",
        "parquet",
        "-o",
        "sources.parquet",
        "--quiet",
    ]);
    let written: Vec<String> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("sources-lead_sources-") && n.ends_with(".parquet"))
        .collect();
    assert!(!written.is_empty(), "no parquet per section");
    let stderr = sandbox.fails(&["export", "nothing"], 1);
    assert!(stderr.contains("neither a table"), "{stderr}");
    sandbox.fails(&["export", "deals", "--format", "parquet"], 1);
}

/// `bench import`: the import of the bench's contacts file beside DuckDB reading it and
/// loading it into a fresh store by itself, with the import's time over each.
#[test]
fn the_import_bench_sets_the_import_beside_the_engine_alone() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&[
        "bench", "import", "--scale", "small", "--format", "json", "--quiet",
    ]);
    let tables: Vec<Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let [figures, against] = &tables[..] else {
        panic!("two tables expected: {out}");
    };
    let seconds = |name: &str| {
        let row = figures
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["benchmark"] == name)
            .unwrap_or_else(|| panic!("no figure {name}: {figures}"));
        assert_eq!(row["rows written"], 10_000, "{row}");
        row["seconds"].as_f64().unwrap()
    };
    let import = seconds("import contacts.csv (parsed, validated, companies resolved)");
    let read = seconds("DuckDB read_csv of the same file (no validation)");
    let load = seconds("DuckDB loading the same file into contacts (no validation, committed)");
    let rows = against.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{against}");
    for (row, engine) in rows.iter().zip([read, load]) {
        assert_eq!(row["engine s"].as_f64(), Some(engine), "{row}");
        assert_eq!(row["import s"].as_f64(), Some(import), "{row}");
        let ratio = row["import ÷ engine"].as_f64().unwrap();
        // Worked from the rounded seconds printed, so within the rounding of both.
        assert!(
            (ratio - import / engine).abs() < 0.05 * ratio + 0.01,
            "{row}"
        );
    }
}

/// `bench --store A --beside B`: the same suite on two stores, each benchmark's seconds on
/// both side by side with B's over A's (how time grows with size).
#[test]
fn the_bench_sets_two_stores_side_by_side() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    sandbox.ok(&[
        "--db",
        "twin.duckdb",
        "generate",
        "--scale",
        "small",
        "--seed",
        "4",
        "--quiet",
    ]);
    let figures = sandbox.json(&[
        "bench",
        "metrics",
        "--store",
        "embudo.duckdb",
        "--beside",
        "twin.duckdb",
        "--quiet",
    ]);
    let rows = figures.as_array().unwrap();
    assert!(rows.len() > 64, "{} figures", rows.len());
    let mut compared = 0;
    for row in rows {
        let first = row["embudo s"].as_f64().unwrap_or_else(|| panic!("{row}"));
        let second = row["twin s"].as_f64().unwrap_or_else(|| panic!("{row}"));
        let ratio = row["twin ÷ embudo"].as_f64();
        // Seconds are printed to the millisecond: only the longer ones give a ratio to
        // check against the one printed (to a tenth).
        if first >= 0.05 {
            let ratio = ratio.unwrap_or_else(|| panic!("{row}"));
            assert!((ratio - second / first).abs() <= 0.06, "{row}");
            compared += 1;
        }
    }
    assert!(compared > 0, "no benchmark took 50 ms: {figures}");
    // --beside measures after --store, never alone.
    sandbox.fails(&["bench", "metrics", "--beside", "twin.duckdb"], 2);
}

#[test]
fn an_import_killed_midway_leaves_the_store_as_it_was() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init", "--quiet"]);
    let mut csv = String::from("email,first_name,created_at\n");
    for i in 0..1_500_000 {
        csv.push_str(&format!("person{i}@example.com,Name{i},2024-01-01 10:00\n"));
    }
    std::fs::write(sandbox.path("big.csv"), csv).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_embudo"))
        .args(["import", "contacts", "big.csv", "--quiet"])
        .current_dir(sandbox.dir.path())
        .env_remove("EMBUDO_DB")
        .spawn()
        .unwrap();
    // Kill it once it is writing rows into the store: the file or its log grows.
    let store = sandbox.path("embudo.duckdb");
    let wal = sandbox.path("embudo.duckdb.wal");
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let before = size(&store);
    while size(&store) < before + (1 << 20) && size(&wal) < (1 << 20) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it was seen writing: make the file bigger"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let counted = sandbox.json(&["sql", "SELECT count(*) AS n FROM contacts"]);
    assert_eq!(counted[0]["n"], 0);
}

#[test]
fn training_scores_the_open_deals_and_the_forecast_report_shows_them() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let at = "2026-06-30T12:00:00Z";
    let before = sandbox.json(&["report", "forecast", "--at", at]);
    let notes = before["notes"].to_string();
    assert!(notes.contains("embudo forecast train"), "{notes}");
    let trained = sandbox.json(&["forecast", "train", "--at", at]);
    assert!(
        trained["used"] == "model" || trained["used"] == "stage",
        "{trained}"
    );
    let after = sandbox.json(&["report", "forecast", "--at", at]);
    assert!(!after["notes"].to_string().contains("embudo forecast train"));
    // Every listed deal's win probability is its score in deal_scores.
    let deals = after["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "deals")
        .unwrap();
    let columns: Vec<&str> = deals["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let (name, probability) = (
        columns.iter().position(|c| *c == "deal").unwrap(),
        columns
            .iter()
            .position(|c| *c == "win_probability")
            .unwrap(),
    );
    let scores = sandbox.json(&[
        "sql",
        "SELECT d.name, s.probability FROM deal_scores s JOIN deals d ON d.id = s.deal_id",
    ]);
    // Names repeat (a customer's renewals), so a row matches any deal of its name.
    for row in deals["rows"].as_array().unwrap() {
        let shown = row[probability].as_f64().unwrap();
        let found = scores.as_array().unwrap().iter().any(|s| {
            s["name"] == row[name] && (s["probability"].as_f64().unwrap() - shown).abs() < 1e-9
        });
        assert!(
            found,
            "{} shows {shown}, which is no score of it",
            row[name]
        );
    }
    // The list is the fifty open deals of largest amount × latest score (else the stage's
    // probability), as plain SQL ranks them.
    let ranked = sandbox.json(&[
        "sql",
        "SELECT d.name, CAST(d.amount AS DOUBLE) AS amount
           FROM deals d
           JOIN deal_stage_history h ON h.deal_id = d.id AND h.entered_at <= TIMESTAMP '2026-06-30 12:00:00'
                AND (h.exited_at IS NULL OR h.exited_at > TIMESTAMP '2026-06-30 12:00:00')
           JOIN stages s ON s.id = h.stage_id AND s.kind = 'open'
           LEFT JOIN (SELECT deal_id, arg_max(probability, scored_at) AS p FROM deal_scores
                       WHERE scored_at <= TIMESTAMP '2026-06-30 12:00:00' GROUP BY deal_id) sc
                  ON sc.deal_id = d.id
          WHERE d.deleted_at IS NULL AND d.merged_into_id IS NULL
          ORDER BY d.amount * coalesce(sc.p, s.probability) DESC, d.id LIMIT 50",
    ]);
    let amount = columns.iter().position(|c| *c == "amount").unwrap();
    let listed: Vec<(String, f64)> = deals["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row[name].to_string(), row[amount].as_f64().unwrap()))
        .collect();
    let expected: Vec<(String, f64)> = ranked
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["name"].to_string(), row["amount"].as_f64().unwrap()))
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn a_deal_is_explained_only_while_open() {
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let at = "2026-06-30T12:00:00Z";
    sandbox.ok(&["forecast", "train", "--at", at, "--quiet"]);
    let open = sandbox.json(&[
        "sql",
        "SELECT deal_id, probability FROM deal_scores ORDER BY deal_id LIMIT 1",
    ]);
    let id = open[0]["deal_id"].to_string();
    let explained = sandbox.json(&["deal", "explain", &id, "--at", at]);
    let shown = explained["probability"].as_f64().unwrap();
    assert!((shown - open[0]["probability"].as_f64().unwrap()).abs() < 1e-12);
    let closed = sandbox.json(&[
        "sql",
        "SELECT min(id) AS id FROM deals WHERE status = 'won'",
    ]);
    let stderr = sandbox.fails(
        &["deal", "explain", &closed[0]["id"].to_string(), "--at", at],
        1,
    );
    assert!(stderr.contains("is not open"), "{stderr}");
}

#[test]
fn a_served_store_answers_over_http_and_refuses_other_writers_until_stopped() {
    use std::io::Write;
    use std::process::Stdio;
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    let mut add = Command::new(env!("CARGO_BIN_EXE_embudo"))
        .args([
            "user",
            "add",
            "Ana Admin",
            "--email",
            "ana@example.com",
            "--role",
            "admin",
        ])
        .current_dir(sandbox.dir.path())
        .env_remove("EMBUDO_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    assert!(add.wait_with_output().unwrap().status.success());
    // No password on standard input (and not a terminal): refused, nothing added.
    let error = sandbox.fails(
        &[
            "user",
            "add",
            "Bo",
            "--email",
            "bo@example.com",
            "--role",
            "rep",
        ],
        1,
    );
    assert!(
        error.contains("no password on standard input: pipe one"),
        "{error}"
    );
    let error = sandbox.fails(
        &[
            "user",
            "add",
            "Bo",
            "--email",
            "bo@example.com",
            "--role",
            "boss",
        ],
        1,
    );
    assert!(error.contains("not a role"), "{error}");
    let token = sandbox.ok(&["token", "create", "--user", "ana@example.com", "--quiet"]);
    let token = token.trim().to_owned();
    assert!(token.starts_with("embudo_"), "{token}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new(env!("CARGO_BIN_EXE_embudo"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .current_dir(sandbox.dir.path())
        .env_remove("EMBUDO_DB")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}/api/v1/deals?limit=1");
    let started = std::time::Instant::now();
    let response = loop {
        match agent
            .get(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
        {
            Ok(response) => break response,
            Err(_) if started.elapsed().as_secs() < 20 => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            Err(e) => panic!("the server did not answer: {e}"),
        }
    };
    assert_eq!(response.status().as_u16(), 200);
    // While it runs, another embudo on the same store says what to do.
    let error = sandbox.fails(&["user", "disable", "ana@example.com"], 1);
    assert!(error.contains("embudo serve"), "{error}");
    // SIGTERM: it stops cleanly.
    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let output = server.wait_with_output().unwrap();
    assert!(output.status.success());
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("serving the API") && log.contains("stopped"),
        "{log}"
    );
    sandbox.ok(&["user", "disable", "ana@example.com", "--quiet"]);
    let users = sandbox.json(&["user", "list"]);
    let ana = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "ana@example.com")
        .unwrap();
    assert_eq!(
        (ana["active"].as_bool(), ana["tokens"].as_i64()),
        (Some(false), Some(0))
    );
}

/// A named period is the dates it names, on the command line as in the API.
#[test]
fn named_periods_read_as_the_dates_they_name() {
    use chrono::{Datelike, Months};
    let sandbox = Sandbox::new();
    sandbox.generate_small();
    // The store's time zone is UTC; the dates worked out here from today's.
    let today = chrono::Utc::now().date_naive();
    let this_month = today.with_day(1).unwrap();
    let last_month = this_month - Months::new(1);
    let quarter =
        chrono::NaiveDate::from_ymd_opt(today.year(), today.month0() / 3 * 3 + 1, 1).unwrap();
    for (period, from, to) in [
        ("last_month", last_month, this_month),
        ("last quarter", quarter - Months::new(3), quarter),
        ("last_12_months", this_month - Months::new(12), this_month),
    ] {
        let named = sandbox.json(&["metric", "deals_won", "--period", period]);
        let dated = sandbox.json(&[
            "metric",
            "deals_won",
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
        ]);
        assert_eq!(named["rows"], dated["rows"], "{period}");
        assert_eq!(named["from"], dated["from"], "{period}");
        let report = sandbox.json(&["report", "sales_performance", "--period", period]);
        assert_eq!(report["params"]["from"], from.to_string(), "{period}");
        assert_eq!(report["params"]["to"], to.to_string(), "{period}");
    }
    let misplaced = sandbox.fails(
        &[
            "report",
            "pipeline",
            "--from",
            "last quarter",
            "--to",
            "2026-01-01",
        ],
        1,
    );
    assert!(
        misplaced.contains("use --period last_quarter"),
        "{misplaced}"
    );
    let unknown = sandbox.fails(&["metric", "deals_won", "--period", "last fortnight"], 1);
    assert!(unknown.contains("year_to_date"), "{unknown}");
    sandbox.fails(
        &[
            "metric",
            "deals_won",
            "--period",
            "last_month",
            "--from",
            "2026-01-01",
        ],
        2,
    );
}
