//! An OpenAPI-driven fuzzer (schemathesis) against the served document: generated valid and
//! invalid requests to every described operation, as an admin, bounded in examples and
//! time. No answer may be a server error, nor a status or content type the document does not
//! describe. `bash .ci/test` installs schemathesis (in `$HOME/.cache/embudo-venv`);
//! `EMBUDO_SCHEMATHESIS` names another.

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::server::start;

/// Generated requests per operation, and the run's time budget in seconds.
const EXAMPLES: &str = "10";
const BUDGET_SECONDS: &str = "150";

fn schemathesis() -> PathBuf {
    if let Some(named) = std::env::var_os("EMBUDO_SCHEMATHESIS") {
        return PathBuf::from(named);
    }
    let home = std::env::var_os("HOME").expect("HOME is set");
    PathBuf::from(home).join(".cache/embudo-venv/bin/schemathesis")
}

#[test]
fn generated_requests_to_every_operation_get_documented_answers_and_no_server_error() {
    let server = start();
    let fuzzer = schemathesis();
    assert!(
        fuzzer.exists(),
        "{} is missing: `bash .ci/test` installs it (or set EMBUDO_SCHEMATHESIS)",
        fuzzer.display()
    );
    let report = tempfile::tempdir().unwrap();
    let output = Command::new(&fuzzer)
        .current_dir(report.path())
        .args([
            "run",
            &format!("{}/openapi.json", server.base),
            "--url",
            &server.base,
            "--header",
            &format!("Authorization: Bearer {}", server.tokens["admin"]),
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            EXAMPLES,
            "--max-time",
            BUDGET_SECONDS,
            "--seed",
            "1",
            "--workers",
            "2",
            "--request-timeout",
            "60",
            "--no-shrink",
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("running schemathesis");
    let said = String::from_utf8_lossy(&output.stdout);
    let tail: Vec<&str> = said.lines().rev().take(60).collect();
    println!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    assert!(
        output.status.success(),
        "the fuzzer found failures:\n{said}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
