//! The committed `openapi.json` must equal what the code generates.

#[test]
fn committed_openapi_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .expect("openapi.json is committed at the repo root");
    let generated = tirek::api::openapi::document();
    assert!(
        committed == generated,
        "openapi.json drifted from the code: run `cargo run -q -- openapi > openapi.json`"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for path in [
        "/api/nearest",
        "/api/nearest/batch",
        "/api/facilities",
        "/api/facilities/{id}",
        "/api/import",
        "/api/export",
        "/healthz",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}
