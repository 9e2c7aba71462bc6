//! Every answer matches the OpenAPI document: a sample of requests covering every
//! documented path is sent to an app on the default data, and each JSON answer is
//! validated (jsonschema, draft 2020-12) against the schema the document gives for its
//! path, method, status and content type. The document itself must describe each JSON
//! response body by a named schema, not a bare object.

use crate::support::{ADMIN_TOKEN, CASEWORKER_TOKEN, EDITOR_TOKEN, TOKEN, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tower::ServiceExt;

/// One request of the sample and the documented path it exercises.
struct Case {
    method: &'static str,
    template: &'static str,
    uri: String,
    token: Option<&'static str>,
    body: Option<(String, &'static str)>,
    status: u16,
}

fn case(method: &'static str, template: &'static str, uri: impl Into<String>, status: u16) -> Case {
    Case {
        method,
        template,
        uri: uri.into(),
        token: None,
        body: None,
        status,
    }
}

impl Case {
    fn by(mut self, token: &'static str) -> Self {
        self.token = Some(token);
        self
    }

    fn with(mut self, body: impl Into<String>, content_type: &'static str) -> Self {
        self.body = Some((body.into(), content_type));
        self
    }
}

/// The schema the document gives for an answer, as a root schema that resolves the
/// document's `$ref`s (the document is the root; unknown keywords are ignored).
fn validator(
    doc: &Value,
    template: &str,
    method: &str,
    status: u16,
    content: &str,
) -> jsonschema::Validator {
    let pointer = format!(
        "/paths/{}/{}/responses/{}/content/{}/schema",
        template.replace('~', "~0").replace('/', "~1"),
        method.to_lowercase(),
        status,
        content.replace('~', "~0").replace('/', "~1"),
    );
    assert!(
        doc.pointer(&pointer).is_some(),
        "{method} {template} {status} {content}: not documented"
    );
    let mut root = doc.clone();
    // A URI fragment: the pointer with `{` and `}` percent-encoded.
    let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
    root["$ref"] = Value::String(format!("#{fragment}"));
    jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{pointer}: {e}"))
}

fn check(validator: &jsonschema::Validator, what: &str, instance: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

async fn app_on_default_data() -> TestApp {
    let app = TestApp::new().await;
    let built_in = tirek::registry::defaults::DefaultData::BuiltIn;
    tirek::registry::defaults::load_if_empty(&app.state.registry, &built_in)
        .await
        .unwrap()
        .expect("the default data loads into an empty store");
    app
}

/// An agency editor of `demo-kz-health` with [`EDITOR_TOKEN`].
async fn tirek_support_editor(app: &TestApp) {
    crate::support::register_editor(
        app.state.registry.store().as_ref(),
        "editor",
        Some("demo-kz-health"),
        EDITOR_TOKEN,
    )
    .await;
}

#[tokio::test]
async fn answers_validate_against_the_documented_schemas() {
    let app = app_on_default_data().await;
    let doc: Value = serde_json::from_str(&tirek::api::openapi::document()).unwrap();
    let index = app.state.registry.index();
    let some_id = index.facilities().next().unwrap().id().to_string();
    let new_feature = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [69.6, 42.3]},
        "properties": {"id": "schema-test-1", "name": "Clinic", "sectors": ["health"], "country": "KZ",
                       "services": ["cmr_pep"], "opening_hours": "24/7"}});
    let mut changed = new_feature.clone();
    changed["properties"]["name"] = json!("Clinic, renamed");
    let bad_import = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [500, 42]},
         "properties": {"id": "bad", "name": "x", "sectors": ["nope"], "country": "KZ"}}]});
    let good_import = json!({"type": "FeatureCollection", "features": [new_feature.clone()]});
    let batch = json!({"points": [{"id": "a", "lon": 69.6, "lat": 42.3}, {"id": "b", "lon": 74.6, "lat": 42.87}]});
    // An agency editor of the demo health department that runs demo-kz-health-001.
    tirek_support_editor(&app).await;
    let mut theirs = index.get("demo-kz-health-001").unwrap().to_feature();
    theirs["properties"]["name"] = json!("Renamed by its agency");
    let new_referral = tirek::registry::demo_logs::DEMO_REFERRALS + 1;
    let org = json!({"id": "schema-org", "names": {"en": "Agency", "ru": "Агентство"}, "sectors": ["legal"], "country": "KZ"});
    let cases = vec![
        case("GET", "/healthz", "/healthz", 200),
        case("GET", "/api/meta", "/api/meta", 200),
        case("GET", "/api/areas", "/api/areas?level=1", 200),
        case("GET", "/api/areas", "/api/areas?level=x", 400),
        case("GET", "/api/settlements", "/api/settlements?q=Shymkent", 200),
        case("GET", "/api/settlements", "/api/settlements?limit=x", 400),
        case("GET", "/api/facilities", "/api/facilities?sector=shelter", 200),
        case("GET", "/api/facilities", "/api/facilities?sector=shelter", 200).by(CASEWORKER_TOKEN),
        case("GET", "/api/facilities", "/api/facilities?bbox=1,2", 400),
        case("GET", "/api/facilities/{id}", format!("/api/facilities/{some_id}"), 200),
        case("GET", "/api/facilities/{id}", "/api/facilities/no-such-id", 404),
        case("POST", "/api/facilities", "/api/facilities", 201)
            .by(TOKEN)
            .with(new_feature.to_string(), "application/json"),
        case("POST", "/api/facilities", "/api/facilities", 401).with(new_feature.to_string(), "application/json"),
        case("POST", "/api/facilities", "/api/facilities", 403)
            .by(CASEWORKER_TOKEN)
            .with(new_feature.to_string(), "application/json"),
        case("POST", "/api/facilities", "/api/facilities", 409)
            .by(TOKEN)
            .with(new_feature.to_string(), "application/json"),
        case("POST", "/api/facilities", "/api/facilities", 422)
            .by(TOKEN)
            .with(bad_import["features"][0].to_string(), "application/json"),
        case("PUT", "/api/facilities/{id}", "/api/facilities/schema-test-1", 200)
            .by(TOKEN)
            .with(changed.to_string(), "application/json"),
        case("PUT", "/api/facilities/{id}", "/api/facilities/no-such-id", 404)
            .by(TOKEN)
            .with(changed.to_string().replace("schema-test-1", "no-such-id"), "application/json"),
        case("DELETE", "/api/facilities/{id}", "/api/facilities/no-such-id", 404).by(TOKEN),
        case("POST", "/api/import", "/api/import", 200)
            .by(TOKEN)
            .with(good_import.to_string(), "application/json"),
        case("POST", "/api/import", "/api/import", 422)
            .by(TOKEN)
            .with(bad_import.to_string(), "application/json"),
        case("POST", "/api/import/areas", "/api/import/areas", 422)
            .by(TOKEN)
            .with(r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"code":"X"}}]}"#, "application/json"),
        case("POST", "/api/import/population", "/api/import/population", 422)
            .by(TOKEN)
            .with("id,lon,lat,population\na,500,42,10\n", "text/csv"),
        case("GET", "/api/export", "/api/export", 200),
        case("GET", "/api/export", "/api/export?format=csv", 200).by(TOKEN),
        case("GET", "/api/export", "/api/export?format=xml", 400),
        case("GET", "/api/nearest", "/api/nearest?lon=69.6&lat=42.3&k=2", 200),
        case("GET", "/api/nearest", "/api/nearest?lon=69.6&lat=42.3&k=2", 200).by(CASEWORKER_TOKEN),
        case("GET", "/api/nearest", "/api/nearest?lon=500&lat=42.3", 400),
        case("POST", "/api/nearest/batch", "/api/nearest/batch?format=ndjson", 200)
            .with(batch.to_string(), "application/json"),
        case("POST", "/api/nearest/batch", "/api/nearest/batch", 400).with("{}", "application/json"),
        case("GET", "/api/coverage", "/api/coverage", 200),
        case("GET", "/api/coverage", "/api/coverage?format=geojson&level=0", 200).by(TOKEN),
        case("GET", "/api/coverage", "/api/coverage?format=xml", 400),
        case("GET", "/api/coverage", "/api/coverage?threshold_km.shelter=5", 403),
        case("GET", "/api/gaps/grid", "/api/gaps/grid?res=3", 200),
        case("GET", "/api/gaps/grid", "/api/gaps/grid?res=4&sector=health,shelter", 200).by(TOKEN),
        case("GET", "/api/gaps/grid", "/api/gaps/grid?res=9", 400),
        case("GET", "/api/gaps/grid", "/api/gaps/grid?res=3&by=time&scenario=walking", 200),
        case("GET", "/api/gaps/grid", "/api/gaps/grid?res=3&by=time&scenario=motorised&sector=health,shelter&threshold_min.health=90&cells=all", 200).by(TOKEN),
        case("GET", "/api/gaps/grid", "/api/gaps/grid?by=time&scenario=nope", 400),
        case("GET", "/api/gaps/grid", "/api/gaps/grid?by=time&threshold_min.health=-1", 400),
        case("GET", "/api/gaps/grid", "/api/gaps/grid?threshold_min.health=30", 400),
        case("GET", "/api/catchments", "/api/catchments?sector=health", 200),
        case("GET", "/api/catchments", "/api/catchments?sector=nope", 400),
        case("GET", "/api/catchments", "/api/catchments?sector=shelter", 403),
        case("GET", "/api/travel/scenarios", "/api/travel/scenarios", 200),
        case("GET", "/api/travel/catchments", "/api/travel/catchments?scenario=walking&sector=health&bbox=68,41,70,43", 200),
        case("GET", "/api/travel/catchments", "/api/travel/catchments?scenario=nope&sector=health", 400),
        case("GET", "/api/travel/catchments", "/api/travel/catchments?scenario=walking&sector=shelter", 403),
        case("POST", "/api/import/friction", "/api/import/friction?scenario=walking", 422)
            .by(TOKEN)
            .with("not a TIFF", "image/tiff"),
        case("DELETE", "/api/travel/scenarios/{name}", "/api/travel/scenarios/nope", 404).by(TOKEN),
        case("POST", "/api/plan/sites", "/api/plan/sites", 200)
            .with(r#"{"sector":"health","k":2}"#, "application/json"),
        case("POST", "/api/plan/sites", "/api/plan/sites", 400).with(r#"{"sector":"health","k":0}"#, "application/json"),
        case("POST", "/api/plan/sites", "/api/plan/sites", 403).with(r#"{"sector":"shelter","k":2}"#, "application/json"),
        case("POST", "/api/login", "/api/login", 401)
            .with(r#"{"username":"planner","password":"wrong-password-123"}"#, "application/json"),
        case("GET", "/api/me", "/api/me", 200),
        case("GET", "/api/me", "/api/me", 200).by(TOKEN),
        case("POST", "/api/password", "/api/password", 401)
            .with(r#"{"current":"a","new":"b"}"#, "application/json"),
        case("POST", "/api/tokens", "/api/tokens", 401).with(r#"{"label":"x"}"#, "application/json"),
        case("GET", "/api/users", "/api/users", 200).by(ADMIN_TOKEN),
        case("GET", "/api/users", "/api/users", 401),
        case("GET", "/api/users", "/api/users", 403).by(TOKEN),
        case("GET", "/api/audit", "/api/audit?limit=5", 200).by(ADMIN_TOKEN),
        case("GET", "/api/audit", "/api/audit", 401),
        case("DELETE", "/api/facilities/{id}", "/api/facilities/schema-test-1", 204).by(TOKEN),
        case("GET", "/api/organisations", "/api/organisations", 200),
        case("GET", "/api/organisations/{id}", "/api/organisations/demo-kz-health", 200),
        case("GET", "/api/organisations/{id}", "/api/organisations/nope", 404),
        case("POST", "/api/organisations", "/api/organisations", 201).by(TOKEN).with(org.to_string(), "application/json"),
        case("POST", "/api/organisations", "/api/organisations", 401).with(org.to_string(), "application/json"),
        case("POST", "/api/organisations", "/api/organisations", 403)
            .by(CASEWORKER_TOKEN)
            .with(org.to_string(), "application/json"),
        case("POST", "/api/organisations", "/api/organisations", 409).by(TOKEN).with(org.to_string(), "application/json"),
        case("POST", "/api/organisations", "/api/organisations", 422)
            .by(TOKEN)
            .with(org.to_string().replace("schema-org", "Bad Id"), "application/json"),
        case("PUT", "/api/organisations/{id}", "/api/organisations/schema-org", 200)
            .by(TOKEN)
            .with(org.to_string().replace("\"KZ\"", "\"KZ\", \"trusted\": true"), "application/json"),
        case("PUT", "/api/organisations/{id}", "/api/organisations/nope", 404)
            .by(TOKEN)
            .with(org.to_string().replace("schema-org", "nope"), "application/json"),
        // An agency editor's writes are proposals 1, 2, 3.
        case("PUT", "/api/facilities/{id}", "/api/facilities/demo-kz-health-001", 202)
            .by(EDITOR_TOKEN)
            .with(theirs.to_string(), "application/json"),
        case("POST", "/api/facilities", "/api/facilities", 202)
            .by(EDITOR_TOKEN)
            .with(new_feature.to_string().replace("schema-test-1", "schema-test-2"), "application/json"),
        case("DELETE", "/api/facilities/{id}", "/api/facilities/demo-kz-health-001", 202).by(EDITOR_TOKEN),
        case("DELETE", "/api/facilities/{id}", "/api/facilities/demo-kz-police-001", 403).by(EDITOR_TOKEN),
        case("GET", "/api/proposals", "/api/proposals?status=pending", 200).by(TOKEN),
        case("GET", "/api/proposals", "/api/proposals", 200).by(EDITOR_TOKEN),
        case("GET", "/api/proposals", "/api/proposals", 401),
        case("GET", "/api/proposals", "/api/proposals", 403).by(CASEWORKER_TOKEN),
        case("GET", "/api/proposals", "/api/proposals?status=x", 400).by(TOKEN),
        case("GET", "/api/proposals/{id}", "/api/proposals/1", 200).by(TOKEN),
        case("GET", "/api/proposals/{id}", "/api/proposals/99", 404).by(TOKEN),
        case("POST", "/api/proposals/{id}/approve", "/api/proposals/1/approve", 403)
            .by(EDITOR_TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/proposals/{id}/approve", "/api/proposals/1/approve", 401).with("{}", "application/json"),
        case("POST", "/api/proposals/{id}/approve", "/api/proposals/1/approve", 200)
            .by(TOKEN)
            .with(r#"{"reason": "checked"}"#, "application/json"),
        case("POST", "/api/proposals/{id}/approve", "/api/proposals/1/approve", 409)
            .by(TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/proposals/{id}/approve", "/api/proposals/99/approve", 404)
            .by(TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/proposals/{id}/reject", "/api/proposals/2/reject", 422)
            .by(TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/proposals/{id}/reject", "/api/proposals/2/reject", 200)
            .by(TOKEN)
            .with(r#"{"reason": "a duplicate"}"#, "application/json"),
        case("POST", "/api/proposals/{id}/reject", "/api/proposals/2/reject", 409)
            .by(TOKEN)
            .with(r#"{"reason": "again"}"#, "application/json"),
        case("POST", "/api/proposals/{id}/reject", "/api/proposals/3/reject", 403)
            .by(CASEWORKER_TOKEN)
            .with(r#"{"reason": "x"}"#, "application/json"),
        case("POST", "/api/proposals/{id}/reject", "/api/proposals/3/reject", 401).with(r#"{"reason": "x"}"#, "application/json"),
        case("GET", "/api/organisations/{id}/due", "/api/organisations/demo-kz-health/due", 200).by(EDITOR_TOKEN),
        case("GET", "/api/organisations/{id}/due", "/api/organisations/demo-kz-police/due", 403).by(EDITOR_TOKEN),
        case("GET", "/api/organisations/{id}/due", "/api/organisations/nope/due", 404).by(TOKEN),
        case("GET", "/api/organisations/{id}/due", "/api/organisations/nope/due", 401),
        case("POST", "/api/organisations/{id}/verify", "/api/organisations/demo-kz-health/verify", 200)
            .by(EDITOR_TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/organisations/{id}/verify", "/api/organisations/demo-kz-police/verify", 403)
            .by(EDITOR_TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/organisations/{id}/verify", "/api/organisations/demo-kz-health/verify", 404)
            .by(EDITOR_TOKEN)
            .with(r#"{"ids": ["nope"]}"#, "application/json"),
        case("POST", "/api/organisations/{id}/verify", "/api/organisations/demo-kz-health/verify", 401)
            .with("{}", "application/json"),
        case("GET", "/api/freshness", "/api/freshness", 200).by(TOKEN),
        case("GET", "/api/freshness", "/api/freshness?format=csv", 200).by(TOKEN),
        case("GET", "/api/freshness", "/api/freshness?format=xml", 400).by(TOKEN),
        case("GET", "/api/pathway", "/api/pathway?area=KZ-YUZ", 200),
        case("GET", "/api/pathway", "/api/pathway?area=KZ&lang=ru", 200).by(CASEWORKER_TOKEN),
        case("GET", "/api/pathway", "/api/pathway?area=KZ-YUZ&format=csv", 200),
        case("GET", "/api/pathway", "/api/pathway?area=KZ-YUZ&format=html&lang=kk", 200),
        case("GET", "/api/pathway", "/api/pathway?area=XX-NONE", 404),
        case("GET", "/api/pathway", "/api/pathway?area=KZ&lang=fr", 400),
        case("GET", "/api/freshness", "/api/freshness", 401),
        case("GET", "/api/freshness", "/api/freshness", 403).by(EDITOR_TOKEN),
        case("POST", "/api/facilities/{id}/reports", "/api/facilities/demo-kz-health-002/reports", 202)
            .with(r#"{"kind": "wrong_phone", "text": "no answer"}"#, "application/json"),
        case("POST", "/api/facilities/{id}/reports", "/api/facilities/demo-kz-health-002/reports", 202)
            .with(r#"{"kind": "closed"}"#, "application/json"),
        case("POST", "/api/facilities/{id}/reports", "/api/facilities/demo-kz-health-002/reports", 400)
            .with(r#"{"kind": "burnt"}"#, "application/json"),
        case("POST", "/api/facilities/{id}/reports", "/api/facilities/nope/reports", 404)
            .with(r#"{"kind": "moved"}"#, "application/json"),
        case("POST", "/api/facilities/{id}/reports", "/api/facilities/demo-kz-health-002/reports", 422)
            .with(json!({"kind": "other", "text": "x".repeat(501)}).to_string(), "application/json"),
        case("GET", "/api/reports", "/api/reports?status=open", 200).by(TOKEN),
        case("GET", "/api/reports", "/api/reports", 200).by(EDITOR_TOKEN),
        case("GET", "/api/reports", "/api/reports?status=x", 400).by(TOKEN),
        case("GET", "/api/reports", "/api/reports", 401),
        case("GET", "/api/reports", "/api/reports", 403).by(CASEWORKER_TOKEN),
        case("POST", "/api/reports/{id}/resolve", "/api/reports/1/resolve", 401).with("{}", "application/json"),
        case("POST", "/api/reports/{id}/resolve", "/api/reports/1/resolve", 403)
            .by(CASEWORKER_TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/reports/{id}/resolve", "/api/reports/1/resolve", 200)
            .by(EDITOR_TOKEN)
            .with(r#"{"note": "phone corrected"}"#, "application/json"),
        case("POST", "/api/reports/{id}/resolve", "/api/reports/1/resolve", 409)
            .by(TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/reports/{id}/resolve", "/api/reports/99/resolve", 404)
            .by(TOKEN)
            .with("{}", "application/json"),
        case("POST", "/api/reports/{id}/dismiss", "/api/reports/2/dismiss", 200)
            .by(TOKEN)
            .with("{}", "application/json"),
        // The referral log: the demo editor refers to its own organisation's facility
        // (so it also answers it), as referral number DEMO_REFERRALS + 1.
        case("POST", "/api/referrals", "/api/referrals", 201)
            .by(EDITOR_TOKEN)
            .with(r#"{"to_facility": "demo-kz-health-002", "sector": "health", "consent_to_share": true}"#, "application/json"),
        case("POST", "/api/referrals", "/api/referrals", 400)
            .by(EDITOR_TOKEN)
            .with(r#"{"to_facility": "demo-kz-health-002", "sector": "health", "consent_to_share": true, "name": "x"}"#, "application/json"),
        case("POST", "/api/referrals", "/api/referrals", 401)
            .with(r#"{"to_facility": "demo-kz-health-002", "sector": "health", "consent_to_share": true}"#, "application/json"),
        case("POST", "/api/referrals", "/api/referrals", 403)
            .by(CASEWORKER_TOKEN)
            .with(r#"{"to_facility": "demo-kz-health-002", "sector": "health", "consent_to_share": true}"#, "application/json"),
        case("POST", "/api/referrals", "/api/referrals", 422)
            .by(EDITOR_TOKEN)
            .with(r#"{"to_facility": "nope", "sector": "health", "consent_to_share": true}"#, "application/json"),
        case("GET", "/api/referrals", "/api/referrals", 200).by(EDITOR_TOKEN),
        case("GET", "/api/referrals", "/api/referrals?scope=organisation", 200).by(EDITOR_TOKEN),
        case("GET", "/api/referrals", "/api/referrals?scope=incoming", 200).by(EDITOR_TOKEN),
        case("GET", "/api/referrals", "/api/referrals?scope=all", 200).by(ADMIN_TOKEN),
        case("GET", "/api/referrals", "/api/referrals?scope=all", 403).by(TOKEN),
        case("GET", "/api/referrals", "/api/referrals?scope=all&format=csv", 200).by(ADMIN_TOKEN),
        case("GET", "/api/referrals", "/api/referrals?scope=x", 400).by(TOKEN),
        case("GET", "/api/referrals", "/api/referrals", 401),
        case("GET", "/api/referrals", "/api/referrals", 403).by(CASEWORKER_TOKEN),
        case("GET", "/api/referrals/{id}", format!("/api/referrals/{new_referral}"), 200).by(EDITOR_TOKEN),
        case("GET", "/api/referrals/{id}", format!("/api/referrals/{new_referral}"), 401),
        case("GET", "/api/referrals/{id}", "/api/referrals/999999", 404).by(TOKEN),
        case("POST", "/api/referrals/{id}/status", format!("/api/referrals/{new_referral}/status"), 422)
            .by(EDITOR_TOKEN)
            .with(r#"{"status": "declined"}"#, "application/json"),
        case("POST", "/api/referrals/{id}/status", format!("/api/referrals/{new_referral}/status"), 400)
            .by(EDITOR_TOKEN)
            .with(r#"{"status": "maybe"}"#, "application/json"),
        case("POST", "/api/referrals/{id}/status", format!("/api/referrals/{new_referral}/status"), 401)
            .with(r#"{"status": "accepted"}"#, "application/json"),
        case("POST", "/api/referrals/{id}/status", format!("/api/referrals/{new_referral}/status"), 403)
            .by(ADMIN_TOKEN)
            .with(r#"{"status": "accepted"}"#, "application/json"),
        case("POST", "/api/referrals/{id}/status", "/api/referrals/999999/status", 404)
            .by(TOKEN)
            .with(r#"{"status": "accepted"}"#, "application/json"),
        case("POST", "/api/referrals/{id}/status", format!("/api/referrals/{new_referral}/status"), 200)
            .by(EDITOR_TOKEN)
            .with(r#"{"status": "accepted"}"#, "application/json"),
        case("POST", "/api/referrals/{id}/status", format!("/api/referrals/{new_referral}/status"), 409)
            .by(EDITOR_TOKEN)
            .with(r#"{"status": "accepted"}"#, "application/json"),
        case("POST", "/api/unmet-needs", "/api/unmet-needs", 201)
            .by(EDITOR_TOKEN)
            .with(r#"{"sector": "shelter", "area": "KZ-AKM", "female_staff": true}"#, "application/json"),
        case("POST", "/api/unmet-needs", "/api/unmet-needs", 400)
            .by(EDITOR_TOKEN)
            .with(r#"{"sector": "shelter", "area": "KZ-AKM", "lat": 42.3}"#, "application/json"),
        case("POST", "/api/unmet-needs", "/api/unmet-needs", 401).with(r#"{"sector": "shelter", "area": "KZ-AKM"}"#, "application/json"),
        case("POST", "/api/unmet-needs", "/api/unmet-needs", 403)
            .by(CASEWORKER_TOKEN)
            .with(r#"{"sector": "shelter", "area": "KZ-AKM"}"#, "application/json"),
        case("POST", "/api/unmet-needs", "/api/unmet-needs", 422)
            .by(EDITOR_TOKEN)
            .with(r#"{"sector": "shelter", "area": "nope"}"#, "application/json"),
        case("GET", "/api/unmet-needs", "/api/unmet-needs", 200).by(EDITOR_TOKEN),
        case("GET", "/api/unmet-needs", "/api/unmet-needs", 200).by(ADMIN_TOKEN),
        case("GET", "/api/unmet-needs", "/api/unmet-needs", 403).by(TOKEN),
        case("GET", "/api/unmet-needs", "/api/unmet-needs?format=csv", 200).by(ADMIN_TOKEN),
        case("GET", "/api/unmet-needs", "/api/unmet-needs?format=xml", 400).by(TOKEN),
        case("GET", "/api/unmet-needs", "/api/unmet-needs", 401),
        case("GET", "/api/unmet-needs", "/api/unmet-needs", 403).by(CASEWORKER_TOKEN),
        case("GET", "/api/coordination/figures", "/api/coordination/figures", 200),
        case("GET", "/api/coordination/figures", "/api/coordination/figures?level=0&format=csv", 200),
        case("GET", "/api/coordination/figures", "/api/coordination/figures?level=2", 200).by(TOKEN),
        case("GET", "/api/coordination/figures", "/api/coordination/figures?level=9", 400),
        case("GET", "/api/coordination/figures", "/api/coordination/figures?level=2", 403),
    ];
    let mut exercised = BTreeSet::new();
    for c in &cases {
        let mut req = Request::builder().method(c.method).uri(&c.uri);
        if let Some(t) = c.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let body = match &c.body {
            Some((text, content_type)) => {
                req = req.header("content-type", *content_type);
                Body::from(text.clone())
            }
            None => Body::empty(),
        };
        let resp = router(&app).oneshot(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let what = format!(
            "{} {} ({})",
            c.method,
            c.uri,
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        );
        assert_eq!(status, StatusCode::from_u16(c.status).unwrap(), "{what}");
        exercised.insert((c.template, c.method));
        if status == StatusCode::NO_CONTENT {
            assert!(bytes.is_empty(), "{what}: a 204 has no body");
            continue;
        }
        if content_type.starts_with("application/x-ndjson") {
            let v = validator(&doc, c.template, c.method, c.status, "application/x-ndjson");
            let lines: Vec<&[u8]> = bytes
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            assert!(!lines.is_empty(), "{what}: no lines");
            for line in lines {
                check(&v, &what, &serde_json::from_slice(line).unwrap());
            }
            continue;
        }
        // The answer's own media type must be the one documented for it.
        let media = content_type.split(';').next().unwrap_or("").trim();
        if media == "text/csv" || media == "text/html" {
            let pointer = format!(
                "/paths/{}/{}/responses/{}/content/{}",
                c.template.replace('/', "~1"),
                c.method.to_lowercase(),
                c.status,
                media.replace('/', "~1")
            );
            assert!(
                doc.pointer(&pointer).is_some(),
                "{what}: {media} not documented"
            );
            continue;
        }
        let instance: Value = serde_json::from_slice(&bytes).unwrap();
        // RFC 7946 §12: GeoJSON is application/geo+json; every other answer is JSON.
        let geojson = matches!(
            instance["type"].as_str(),
            Some("Feature" | "FeatureCollection")
        );
        let expected = if geojson {
            "application/geo+json"
        } else {
            "application/json"
        };
        assert_eq!(media, expected, "{what}: content type {content_type:?}");
        check(
            &validator(&doc, c.template, c.method, c.status, media),
            &what,
            &instance,
        );
    }
    // The sample covers every documented operation but the ones that need a session.
    let needs_session = [("/api/logout", "POST")];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            if needs_session.iter().any(|(p, q)| p == path && *q == m) {
                continue;
            }
            assert!(
                exercised.iter().any(|(t, q)| t == path && *q == m),
                "{m} {path} is documented but not in the sample"
            );
        }
    }
}

fn router(test: &TestApp) -> axum::Router {
    tirek::app(test.state.clone())
}

#[test]
fn every_json_answer_is_described_by_a_named_schema() {
    let doc: Value = serde_json::from_str(&tirek::api::openapi::document()).unwrap();
    let mut bare = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                for (content, media) in response["content"].as_object().into_iter().flatten() {
                    if !content.contains("json") {
                        continue;
                    }
                    let schema = &media["schema"];
                    let named =
                        schema.get("$ref").is_some() || schema["items"].get("$ref").is_some();
                    if !named {
                        bare.push(format!("{method} {path} {status} {content}: {schema}"));
                    }
                }
            }
        }
    }
    assert!(
        bare.is_empty(),
        "answers without a named schema:\n{}",
        bare.join("\n")
    );
    // The check can fail: a bare object is reported.
    let schema = json!({"type": "object"});
    assert!(schema.get("$ref").is_none() && schema["items"].get("$ref").is_none());
}

/// Public coverage suppression must not be undone by subtraction: among the areas that
/// share a parent, a sector's suppressed facility counts are never exactly one (the
/// parent's count minus the shown ones would give it back).
#[tokio::test]
async fn no_suppressed_count_follows_from_the_shown_ones() {
    let app = app_on_default_data().await;
    let (status, body) = app.get("/api/coverage?level=1").await;
    assert_eq!(status, StatusCode::OK);
    let parents: std::collections::HashMap<String, Option<String>> = app
        .state
        .registry
        .places()
        .areas
        .iter()
        .map(|a| (a.code.clone(), a.parent.clone()))
        .collect();
    let mut suppressed: std::collections::BTreeMap<(String, String), Vec<String>> =
        Default::default();
    let mut any_suppressed = false;
    for row in body["areas"].as_array().unwrap() {
        let code = row["code"].as_str().unwrap().to_string();
        let parent = parents[&code].clone().unwrap_or_default();
        for (sector, figures) in row["sectors"].as_object().unwrap() {
            let entry = suppressed
                .entry((parent.clone(), sector.clone()))
                .or_default();
            if figures["facilities_suppressed"] == json!(true) {
                assert!(
                    figures["facilities"].is_null(),
                    "{code} {sector}: a suppressed count is null"
                );
                entry.push(code.clone());
                any_suppressed = true;
            }
        }
    }
    assert!(
        any_suppressed,
        "the default data has small counts to suppress"
    );
    let lone: Vec<_> = suppressed
        .iter()
        .filter(|(_, codes)| codes.len() == 1)
        .collect();
    assert!(
        lone.is_empty(),
        "a lone suppressed count follows from its parent's: {lone:?}"
    );
}
