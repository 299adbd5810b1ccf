//! The committed OpenAPI document is the one the server serves. After changing the API, run
//! `EMBUDO_UPDATE_OPENAPI=1 cargo test --release --workspace --test openapi` to rewrite it.

#[test]
fn the_committed_openapi_document_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let current = format!(
        "{}\n",
        serde_json::to_string_pretty(&embudo_server::openapi::document()).unwrap()
    );
    if std::env::var_os("EMBUDO_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "docs/openapi.json is stale: rerun this test with EMBUDO_UPDATE_OPENAPI=1 and commit it"
    );
}
