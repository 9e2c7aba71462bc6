//! Interagency stewardship over the API, with every role: organisations, agency
//! editors who write only their own organisation's facilities, proposals that the
//! public never sees until a planner approves them, trusted organisations, the audit
//! trail, and the same on PostgreSQL with two instances.

use crate::support::{
    ADMIN_TOKEN, CASEWORKER_TOKEN, PgDatabase, TOKEN, TestApp, collection, feature, register_editor,
};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tirek::model::Facility;
use tirek::store::{AuditEntry, PostgresStore, SqliteStore, Store};
use tower::ServiceExt;

const EDITOR_A: &str = "test-token-editor-a-0123456789";
const EDITOR_B: &str = "test-token-editor-b-0123456789";
/// An editor account that belongs to no organisation (made before the rule, say).
const EDITOR_NONE: &str = "test-token-editor-none-0123456789";

fn organisation(id: &str, sectors: &[&str]) -> Value {
    json!({"id": id, "names": {"en": format!("Agency {id}"), "ru": format!("Агентство {id}")},
           "sectors": sectors, "country": "KZ", "contact": "+7 700 000 0000", "website": "https://example.org"})
}

fn with_org(mut f: Value, org: &str) -> Value {
    f["properties"]["organisation_id"] = json!(org);
    f
}

fn body(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// A request of the authorisation matrix: token, method, path, body, expected status.
type Attempt<'a> = (Option<&'a str>, &'a str, &'a str, Option<Vec<u8>>, u16);

/// Two organisations (a, b), an editor of each, and four facilities: a public health
/// facility and a confidential shelter per organisation.
async fn setup_on(store: Arc<dyn Store>) -> TestApp {
    let app = TestApp::on(store).await;
    for id in ["org-a", "org-b"] {
        let (status, answer) = app
            .send(
                "POST",
                "/api/organisations",
                Some(TOKEN),
                Some(body(&organisation(id, &["health", "shelter"]))),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
    }
    let store = app.state.registry.store().clone();
    register_editor(store.as_ref(), "editor-a", Some("org-a"), EDITOR_A).await;
    register_editor(store.as_ref(), "editor-b", Some("org-b"), EDITOR_B).await;
    register_editor(store.as_ref(), "editor-none", None, EDITOR_NONE).await;
    let facilities = vec![
        with_org(feature("a1", &["health"], 69.60, 42.30), "org-a"),
        with_org(feature("a-shelter", &["shelter"], 69.62, 42.32), "org-a"),
        with_org(feature("b1", &["health"], 71.40, 51.10), "org-b"),
        with_org(feature("b-shelter", &["shelter"], 71.42, 51.12), "org-b"),
    ];
    let (status, answer) = app.import(&collection(facilities)).await;
    assert_eq!(status, 200, "{answer}");
    app
}

async fn setup() -> TestApp {
    setup_on(Arc::new(
        SqliteStore::connect_url("sqlite::memory:").await.unwrap(),
    ))
    .await
}

/// Everything a denial must leave untouched: the stored facilities, the proposals
/// and the audit log.
async fn snapshot(app: &TestApp) -> (Vec<Facility>, usize, Vec<AuditEntry>) {
    let store = app.state.registry.store();
    (
        store.facilities().await.unwrap(),
        store.proposals(None, None).await.unwrap().len(),
        store.audit_log(0, 100_000).await.unwrap(),
    )
}

/// The raw answer: status, content type and body text.
async fn raw(app: &TestApp, method: &str, uri: &str, token: Option<&str>) -> (u16, String, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = tirek::app(app.state.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Every public answer that carries facilities, as text.
async fn public_answers(app: &TestApp) -> String {
    let mut all = String::new();
    for uri in [
        "/api/facilities",
        "/api/facilities/a1",
        "/api/export?format=geojson",
        "/api/export?format=csv",
        "/api/nearest?lon=69.6&lat=42.3",
        "/api/nearest?lon=69.6&lat=42.3&sector=health&k=5&status=active,temporarily_closed,closed",
        "/api/nearest?lon=70.0&lat=43.0&sector=health&k=5",
    ] {
        let (status, _, text) = raw(app, "GET", uri, None).await;
        assert_eq!(status, 200, "{uri}: {text}");
        all.push_str(&text);
    }
    all
}

#[tokio::test]
async fn organisations_are_records_written_by_planners_and_audited() {
    let app = setup().await;
    let (status, list) = app.get("/api/organisations").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["org-a", "org-b"]);
    // Only planners and admins write organisations; nothing is written otherwise.
    let before = snapshot(&app).await;
    let new = organisation("org-c", &["legal"]);
    for (token, expected) in [
        (None, 401),
        (Some(CASEWORKER_TOKEN), 403),
        (Some(EDITOR_A), 403),
    ] {
        let (status, answer) = app
            .send("POST", "/api/organisations", token, Some(body(&new)))
            .await;
        assert_eq!(status, expected, "{answer}");
        let mut changed = organisation("org-a", &["legal"]);
        changed["trusted"] = json!(true);
        let (status, _) = app
            .send(
                "PUT",
                "/api/organisations/org-a",
                token,
                Some(body(&changed)),
            )
            .await;
        assert_eq!(status, expected);
    }
    assert_eq!(snapshot(&app).await.2.len(), before.2.len());
    assert!(
        !app.state
            .registry
            .store()
            .organisation("org-a")
            .await
            .unwrap()
            .unwrap()
            .trusted
    );
    // An admin may; a second one with the same id conflicts; a bad one names its fields.
    let (status, created) = app
        .send(
            "POST",
            "/api/organisations",
            Some(ADMIN_TOKEN),
            Some(body(&new)),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(created["created_at"].is_string());
    let (status, _) = app
        .send("POST", "/api/organisations", Some(TOKEN), Some(body(&new)))
        .await;
    assert_eq!(status, 409);
    let mut bad = organisation("Org D", &[]);
    bad["names"] = json!({"en": "D"});
    bad["website"] = json!("javascript:alert(1)");
    let (status, answer) = app
        .send("POST", "/api/organisations", Some(TOKEN), Some(body(&bad)))
        .await;
    assert_eq!(status, 422, "{answer}");
    let fields: Vec<&str> = answer["error"]["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["id", "names.ru", "sectors", "website"]);
    let (status, _) = app.get("/api/organisations/nope").await;
    assert_eq!(status, 404);
    // The audit log names who created and changed it, with the record before and after.
    let mut trusted = created.clone();
    trusted["trusted"] = json!(true);
    let (status, answer) = app
        .send(
            "PUT",
            "/api/organisations/org-c",
            Some(TOKEN),
            Some(body(&trusted)),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["trusted"], true);
    assert_eq!(answer["created_at"], created["created_at"]);
    let log = snapshot(&app).await.2;
    let entries: Vec<&AuditEntry> = log.iter().filter(|e| e.entity_id == "org-c").collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0].action.as_str(), entries[0].actor.as_str()),
        ("organisation.create", "admin")
    );
    assert_eq!(
        (entries[1].action.as_str(), entries[1].actor.as_str()),
        ("organisation.update", "planner")
    );
    let after: Value = serde_json::from_str(entries[1].after.as_deref().unwrap()).unwrap();
    let prior: Value = serde_json::from_str(entries[1].before.as_deref().unwrap()).unwrap();
    assert_eq!(
        (prior["trusted"].clone(), after["trusted"].clone()),
        (json!(false), json!(true))
    );
}

#[tokio::test]
async fn an_unknown_organisation_id_is_a_record_error_naming_the_row_and_field() {
    let app = setup().await;
    let before = snapshot(&app).await;
    let features = vec![
        with_org(feature("n1", &["health"], 69.0, 42.0), "org-a"),
        feature("n2", &["health"], 69.1, 42.1),
        with_org(feature("n3", &["police"], 69.2, 42.2), "org-zz"),
    ];
    let (status, answer) = app.import(&collection(features)).await;
    assert_eq!(status, 422, "{answer}");
    let errors = answer["error"]["details"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{answer}");
    assert_eq!(errors[0]["index"], 2);
    assert_eq!(errors[0]["id"], "n3");
    assert_eq!(errors[0]["field"], "organisation_id");
    assert!(errors[0]["message"].as_str().unwrap().contains("org-zz"));
    assert_eq!(snapshot(&app).await, before, "nothing written");
    // One facility through POST: a field error.
    let (status, answer) = app
        .send(
            "POST",
            "/api/facilities",
            Some(TOKEN),
            Some(body(&with_org(
                feature("n4", &["health"], 69.0, 42.0),
                "org-zz",
            ))),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        answer["error"]["details"]["errors"][0]["field"],
        "organisation_id"
    );
    // The link survives an export and import back, in both formats.
    for format in ["geojson", "csv"] {
        let (_, _, text) = raw(
            &app,
            "GET",
            &format!("/api/export?format={format}"),
            Some(TOKEN),
        )
        .await;
        let (status, summary) = app
            .send(
                "POST",
                &format!("/api/import?format={format}"),
                Some(TOKEN),
                Some(text.into_bytes()),
            )
            .await;
        assert_eq!(status, 200, "{summary}");
        assert_eq!(
            (
                summary["created"].clone(),
                summary["updated"].clone(),
                summary["unchanged"].clone()
            ),
            (json!(0), json!(0), json!(4))
        );
    }
    let f = app
        .state
        .registry
        .store()
        .facility("b1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.organisation_id.as_deref(), Some("org-b"));
}

#[tokio::test]
async fn an_editor_touches_only_its_own_organisations_records() {
    let app = setup().await;
    let before = snapshot(&app).await;
    let mut renamed = with_org(feature("a1", &["health"], 69.60, 42.30), "org-a");
    renamed["properties"]["name"] = json!("Hijacked");
    let mut moved_away = with_org(feature("b1", &["health"], 71.40, 51.10), "org-a");
    moved_away["properties"]["name"] = json!("Hijacked");
    let foreign_new = with_org(feature("x1", &["health"], 69.0, 42.0), "org-a");
    // editor-b on org-a's records, an editor of no organisation, caseworkers, the public.
    let attempts: Vec<Attempt> = vec![
        (
            Some(EDITOR_B),
            "PUT",
            "/api/facilities/a1",
            Some(body(&renamed)),
            403,
        ),
        (Some(EDITOR_B), "DELETE", "/api/facilities/a1", None, 403),
        (
            Some(EDITOR_B),
            "PUT",
            "/api/facilities/a-shelter",
            Some(body(&with_org(
                feature("a-shelter", &["shelter"], 69.62, 42.32),
                "org-b",
            ))),
            403,
        ),
        (
            Some(EDITOR_B),
            "POST",
            "/api/facilities",
            Some(body(&foreign_new)),
            403,
        ),
        // Its own record given away to another organisation.
        (
            Some(EDITOR_B),
            "PUT",
            "/api/facilities/b1",
            Some(body(&moved_away)),
            403,
        ),
        (
            Some(EDITOR_NONE),
            "PUT",
            "/api/facilities/a1",
            Some(body(&renamed)),
            403,
        ),
        (
            Some(EDITOR_NONE),
            "POST",
            "/api/facilities",
            Some(body(&feature("x2", &["health"], 69.0, 42.0))),
            403,
        ),
        (
            Some(CASEWORKER_TOKEN),
            "PUT",
            "/api/facilities/a1",
            Some(body(&renamed)),
            403,
        ),
        (
            Some(CASEWORKER_TOKEN),
            "DELETE",
            "/api/facilities/a1",
            None,
            403,
        ),
        (
            Some(CASEWORKER_TOKEN),
            "POST",
            "/api/facilities",
            Some(body(&foreign_new)),
            403,
        ),
        (None, "PUT", "/api/facilities/a1", Some(body(&renamed)), 401),
        (
            None,
            "POST",
            "/api/facilities",
            Some(body(&foreign_new)),
            401,
        ),
        (None, "DELETE", "/api/facilities/a1", None, 401),
        // Editors import nothing (imports are the coordinators').
        (
            Some(EDITOR_A),
            "POST",
            "/api/import",
            Some(body(&collection(vec![renamed.clone()]))),
            403,
        ),
    ];
    for (token, method, uri, payload, expected) in attempts {
        let (status, answer) = app.send(method, uri, token, payload).await;
        assert_eq!(
            status.as_u16(),
            expected,
            "{method} {uri} as {token:?}: {answer}"
        );
        assert_eq!(
            answer["error"]["code"],
            if expected == 401 {
                "unauthorized"
            } else {
                "forbidden"
            }
        );
    }
    assert_eq!(snapshot(&app).await, before, "a denial wrote something");
    // Nobody but a planner decides, and not on their own proposal.
    let mut mine = with_org(feature("a1", &["health"], 69.60, 42.30), "org-a");
    mine["properties"]["phone"] = json!("+7 700 111 1111");
    let (status, proposal) = app
        .send(
            "PUT",
            "/api/facilities/a1",
            Some(EDITOR_A),
            Some(body(&mine)),
        )
        .await;
    assert_eq!(status, 202, "{proposal}");
    let id = proposal["id"].as_i64().unwrap();
    let before = snapshot(&app).await;
    for token in [Some(EDITOR_A), Some(EDITOR_B), Some(CASEWORKER_TOKEN), None] {
        for action in ["approve", "reject"] {
            let (status, _) = app
                .send(
                    "POST",
                    &format!("/api/proposals/{id}/{action}"),
                    token,
                    Some(body(&json!({"reason": "x"}))),
                )
                .await;
            assert_eq!(status.as_u16(), if token.is_none() { 401 } else { 403 });
        }
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "a denied decision wrote something"
    );
    // An editor sees its own organisation's proposals only; caseworkers and the public none.
    let (status, list) = app
        .send("GET", "/api/proposals", Some(EDITOR_B), None)
        .await;
    assert_eq!(
        (status.as_u16(), list["proposals"].as_array().unwrap().len()),
        (200, 0)
    );
    let (status, _) = app
        .send("GET", &format!("/api/proposals/{id}"), Some(EDITOR_B), None)
        .await;
    assert_eq!(status, 404);
    let (status, list) = app
        .send("GET", "/api/proposals", Some(EDITOR_A), None)
        .await;
    assert_eq!(
        (status.as_u16(), list["proposals"].as_array().unwrap().len()),
        (200, 1)
    );
    let (status, _) = app
        .send("GET", "/api/proposals", Some(CASEWORKER_TOKEN), None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.send("GET", "/api/proposals", None, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_editor_sees_what_a_caseworker_sees() {
    let app = setup().await;
    for uri in [
        "/api/facilities",
        "/api/facilities/b-shelter",
        "/api/export?format=geojson",
        "/api/export?format=csv",
        "/api/nearest?lon=71.4&lat=51.1&k=3",
        "/api/nearest?lon=69.6&lat=42.3&sector=shelter&k=3",
    ] {
        let (s1, _, as_caseworker) = raw(&app, "GET", uri, Some(CASEWORKER_TOKEN)).await;
        let (s2, _, as_editor) = raw(&app, "GET", uri, Some(EDITOR_A)).await;
        let (_, _, as_public) = raw(&app, "GET", uri, None).await;
        assert_eq!((s1, s2), (200, 200), "{uri}");
        // Answers carry the moment only through verification flags: equal texts.
        assert_eq!(as_editor, as_caseworker, "{uri}");
        assert_ne!(as_public, as_caseworker, "{uri}: the public sees less");
        assert!(!as_public.contains("Street b-shelter"), "{uri}");
    }
}

#[tokio::test]
async fn pending_and_rejected_proposals_never_reach_a_public_answer() {
    let app = setup().await;
    let store = app.state.registry.store().clone();
    let original = store.facility("a1").await.unwrap().unwrap();
    let public_before = public_answers(&app).await;
    // An edit with markup in it, a new facility nearby, and a closure.
    let mut edit = with_org(feature("a1", &["health"], 69.60, 42.30), "org-a");
    edit["properties"]["name"] = json!("Renamed <script>alert(\"x\")</script>");
    edit["properties"]["phone"] = json!("+7 700 222 2222");
    let (status, update) = app
        .send(
            "PUT",
            "/api/facilities/a1",
            Some(EDITOR_A),
            Some(body(&edit)),
        )
        .await;
    assert_eq!(status, 202, "{update}");
    assert_eq!(
        (update["kind"].as_str(), update["status"].as_str()),
        (Some("update"), Some("pending"))
    );
    assert_eq!(update["before"]["properties"]["name"], "Facility a1");
    assert_eq!(update["proposer"], "editor-a");
    // A new one without an organisation becomes the editor's.
    let (status, create) = app
        .send(
            "POST",
            "/api/facilities",
            Some(EDITOR_A),
            Some(body(&feature("a-new", &["health"], 69.601, 42.301))),
        )
        .await;
    assert_eq!(status, 202, "{create}");
    assert_eq!(create["after"]["properties"]["organisation_id"], "org-a");
    assert!(create["before"].is_null());
    let (status, close) = app
        .send("DELETE", "/api/facilities/a1", Some(EDITOR_A), None)
        .await;
    assert_eq!(status, 202, "{close}");
    assert_eq!(close["after"]["properties"]["status"], "closed");
    // Nothing reached the store's facilities, the index or any public answer.
    assert_eq!(store.facility("a1").await.unwrap().unwrap(), original);
    assert!(store.facility("a-new").await.unwrap().is_none());
    assert!(app.state.registry.index().get("a-new").is_none());
    assert_eq!(public_answers(&app).await, public_before);
    let (_, _, staff) = raw(&app, "GET", "/api/facilities", Some(CASEWORKER_TOKEN)).await;
    assert!(!staff.contains("Renamed") && !staff.contains("a-new"));
    // The coordinator's queue, newest first.
    let (status, queue) = app.get_as("/api/proposals?status=pending").await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = queue["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["close", "create", "update"]);
    let (status, _) = app.get_as("/api/proposals?status=maybe").await;
    assert_eq!(status, 400);
    // Rejected with a reason the editor reads back, escaped as JSON.
    let reason = "Duplicate of \"a1\" </script><img src=x onerror=alert(1)>";
    let create_id = create["id"].as_i64().unwrap();
    let (status, _) = app
        .send(
            "POST",
            &format!("/api/proposals/{create_id}/reject"),
            Some(TOKEN),
            Some(body(&json!({"reason": "  "}))),
        )
        .await;
    assert_eq!(status, 422, "a rejection needs a reason");
    let (status, rejected) = app
        .send(
            "POST",
            &format!("/api/proposals/{create_id}/reject"),
            Some(TOKEN),
            Some(body(&json!({"reason": reason}))),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(
        (rejected["status"].as_str(), rejected["decided_by"].as_str()),
        (Some("rejected"), Some("planner"))
    );
    let (status, ctype, text) = raw(
        &app,
        "GET",
        &format!("/api/proposals/{create_id}"),
        Some(EDITOR_A),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "application/json");
    assert!(
        text.contains(r#""reason":"Duplicate of \"a1\" </script><img"#),
        "{text}"
    );
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["reason"], reason);
    let (_, _, list) = raw(&app, "GET", "/api/proposals", Some(EDITOR_A)).await;
    assert!(
        list.contains(r#""name":"Renamed <script>alert(\"x\")</script>""#),
        "{list}"
    );
    // Decided once only.
    let (status, _) = app
        .send(
            "POST",
            &format!("/api/proposals/{create_id}/approve"),
            Some(TOKEN),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(status, 409);
    assert!(store.facility("a-new").await.unwrap().is_none());
    assert_eq!(
        public_answers(&app).await,
        public_before,
        "a rejection changed a public answer"
    );
    // The audit trail: who proposed (with before and after) and who decided.
    let log = store.audit_log(0, 100_000).await.unwrap();
    let trail: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.entity_kind == "proposal" && e.entity_id == create_id.to_string())
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        trail,
        [
            ("proposal.submit", "editor-a"),
            ("proposal.reject", "planner")
        ]
    );
    let submit = log
        .iter()
        .find(|e| {
            e.action == "proposal.submit"
                && e.entity_id == update["id"].as_i64().unwrap().to_string()
        })
        .unwrap();
    let (b, a): (Facility, Facility) = (
        serde_json::from_str(submit.before.as_deref().unwrap()).unwrap(),
        serde_json::from_str(submit.after.as_deref().unwrap()).unwrap(),
    );
    assert_eq!(
        (b.name.as_str(), a.phone.as_deref()),
        ("Facility a1", Some("+7 700 222 2222"))
    );
}

#[tokio::test]
async fn an_approved_proposal_is_written_through_the_registry_and_served() {
    let app = setup().await;
    let store = app.state.registry.store().clone();
    let mut edit = with_org(feature("a1", &["health"], 69.60, 42.30), "org-a");
    edit["properties"]["name"] = json!("Approved name");
    let (_, update) = app
        .send(
            "PUT",
            "/api/facilities/a1",
            Some(EDITOR_A),
            Some(body(&edit)),
        )
        .await;
    let (_, create) = app
        .send(
            "POST",
            "/api/facilities",
            Some(EDITOR_A),
            Some(body(&feature("a-new", &["health"], 69.601, 42.301))),
        )
        .await;
    let (_, close) = app
        .send("DELETE", "/api/facilities/a-shelter", Some(EDITOR_A), None)
        .await;
    for p in [&update, &create, &close] {
        let id = p["id"].as_i64().unwrap();
        let (status, decided) = app
            .send(
                "POST",
                &format!("/api/proposals/{id}/approve"),
                Some(TOKEN),
                Some(body(&json!({"reason": "checked by phone"}))),
            )
            .await;
        assert_eq!(status, 200, "{decided}");
        assert_eq!(
            (decided["status"].as_str(), decided["reason"].as_str()),
            (Some("approved"), Some("checked by phone"))
        );
        assert!(decided["decided_at"].is_string());
    }
    // Served at once, to the public too.
    let (_, one) = app.get("/api/facilities/a1").await;
    assert_eq!(one["properties"]["name"], "Approved name");
    let (_, near) = app
        .get("/api/nearest?lon=69.601&lat=42.301&sector=health")
        .await;
    assert_eq!(near["results"][0]["facility"]["properties"]["id"], "a-new");
    let closed = store.facility("a-shelter").await.unwrap().unwrap();
    assert_eq!(closed.status.as_str(), "closed");
    let (_, near) = app
        .send(
            "GET",
            "/api/nearest?lon=69.62&lat=42.32&sector=shelter",
            Some(CASEWORKER_TOKEN),
            None,
        )
        .await;
    assert_ne!(
        near["results"][0]["facility"]["properties"]["id"], "a-shelter",
        "closed: not listed"
    );
    // The facility writes are audited as the approver's, after the proposer's submission.
    let log = store.audit_log(0, 100_000).await.unwrap();
    let a1: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.entity_kind == "facility" && e.entity_id == "a1")
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(a1, [("create", "planner"), ("update", "planner")]);
    // The record changed since a proposal was made: approving it would undo that.
    let mut again = with_org(feature("a1", &["health"], 69.60, 42.30), "org-a");
    again["properties"]["name"] = json!("Stale proposal");
    let (_, stale) = app
        .send(
            "PUT",
            "/api/facilities/a1",
            Some(EDITOR_A),
            Some(body(&again)),
        )
        .await;
    let mut direct = again.clone();
    direct["properties"]["name"] = json!("Coordinator's own edit");
    let (status, _) = app
        .send(
            "PUT",
            "/api/facilities/a1",
            Some(TOKEN),
            Some(body(&direct)),
        )
        .await;
    assert_eq!(status, 200);
    let id = stale["id"].as_i64().unwrap();
    let (status, answer) = app
        .send(
            "POST",
            &format!("/api/proposals/{id}/approve"),
            Some(TOKEN),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(
        store.facility("a1").await.unwrap().unwrap().name,
        "Coordinator's own edit"
    );
    assert_eq!(
        store.proposal(id).await.unwrap().unwrap().status.as_str(),
        "pending"
    );
}

#[tokio::test]
async fn a_trusted_organisations_edits_publish_at_once_for_review_after_the_fact() {
    let app = setup().await;
    let mut org = organisation("org-a", &["health", "shelter"]);
    org["trusted"] = json!(true);
    let (status, _) = app
        .send(
            "PUT",
            "/api/organisations/org-a",
            Some(TOKEN),
            Some(body(&org)),
        )
        .await;
    assert_eq!(status, 200);
    let mut edit = with_org(feature("a1", &["health"], 69.60, 42.30), "org-a");
    edit["properties"]["name"] = json!("Published at once");
    let (status, published) = app
        .send(
            "PUT",
            "/api/facilities/a1",
            Some(EDITOR_A),
            Some(body(&edit)),
        )
        .await;
    assert_eq!(status, 202, "{published}");
    assert_eq!(published["status"], "published");
    let (_, one) = app.get("/api/facilities/a1").await;
    assert_eq!(one["properties"]["name"], "Published at once");
    // Still scoped: a trusted organisation's editor cannot touch another's record.
    let (status, _) = app
        .send(
            "PUT",
            "/api/facilities/b1",
            Some(EDITOR_A),
            Some(body(&with_org(
                feature("b1", &["health"], 71.4, 51.1),
                "org-b",
            ))),
        )
        .await;
    assert_eq!(status, 403);
    // Listed for review; reviewing marks it, rejecting a live one is refused.
    let (_, queue) = app.get_as("/api/proposals?status=published").await;
    assert_eq!(queue["proposals"].as_array().unwrap().len(), 1);
    let id = published["id"].as_i64().unwrap();
    let (status, _) = app
        .send(
            "POST",
            &format!("/api/proposals/{id}/reject"),
            Some(TOKEN),
            Some(body(&json!({"reason": "no"}))),
        )
        .await;
    assert_eq!(status, 409);
    let (status, reviewed) = app
        .send(
            "POST",
            &format!("/api/proposals/{id}/approve"),
            Some(TOKEN),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(status, 200, "{reviewed}");
    assert_eq!(
        (reviewed["status"].as_str(), reviewed["decided_by"].as_str()),
        (Some("published"), Some("planner"))
    );
    let (status, _) = app
        .send(
            "POST",
            &format!("/api/proposals/{id}/approve"),
            Some(TOKEN),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(status, 409, "reviewed once");
    let log = app
        .state
        .registry
        .store()
        .audit_log(0, 100_000)
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.entity_kind == "proposal")
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("proposal.publish", "editor-a"),
            ("proposal.review", "planner")
        ]
    );
}

/// The acceptance test: PostgreSQL, two instances. An editor proposes through one, the
/// public still sees the old record on both, a coordinator approves through the other,
/// and both serve the new record within 1 s.
#[tokio::test]
async fn two_instances_on_postgres_serve_an_approval_within_a_second() {
    let Some(db) = PgDatabase::create("stewardship").await else {
        return;
    };
    let one = setup_on(Arc::new(PostgresStore::connect(&db.url).await.unwrap())).await;
    let two = TestApp::on(Arc::new(PostgresStore::connect(&db.url).await.unwrap())).await;
    let followers = (one.state.registry.follow(), two.state.registry.follow());
    let name_on = |app: &TestApp| {
        let index = app.state.registry.index();
        index.get("a1").map(|f| f.name)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while name_on(&two).as_deref() != Some("Facility a1") {
        assert!(
            Instant::now() < deadline,
            "instance two never caught up with the set-up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut edit = with_org(feature("a1", &["health"], 69.60, 42.30), "org-a");
    edit["properties"]["name"] = json!("Approved on another instance");
    let (status, proposal) = one
        .send(
            "PUT",
            "/api/facilities/a1",
            Some(EDITOR_A),
            Some(body(&edit)),
        )
        .await;
    assert_eq!(status, 202, "{proposal}");
    // Give a wrongly published proposal every chance to show up.
    tokio::time::sleep(Duration::from_millis(600)).await;
    for app in [&one, &two] {
        let (_, f) = app.get("/api/facilities/a1").await;
        assert_eq!(f["properties"]["name"], "Facility a1");
    }
    let id = proposal["id"].as_i64().unwrap();
    let start = Instant::now();
    let (status, decided) = two
        .send(
            "POST",
            &format!("/api/proposals/{id}/approve"),
            Some(TOKEN),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    let mut served = [None, None];
    while served.iter().any(Option::is_none) && start.elapsed() < Duration::from_secs(3) {
        for (i, app) in [&one, &two].into_iter().enumerate() {
            if served[i].is_none() {
                let (_, f) = app.get("/api/facilities/a1").await;
                if f["properties"]["name"] == "Approved on another instance" {
                    served[i] = Some(start.elapsed());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for (i, at) in served.iter().enumerate() {
        let at = at.unwrap_or_else(|| panic!("instance {} never served the approval", i + 1));
        assert!(
            at <= Duration::from_secs(1),
            "instance {} took {at:?}",
            i + 1
        );
    }
    drop(followers);
    drop((one, two));
    db.drop_now().await;
}

#[test]
fn the_org_and_user_commands_set_up_an_agency_editor() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| crate::trust::tirek(dir.path(), args);
    let (ok, _, err) = run(&[
        "org",
        "add",
        "kz-ngo",
        "--name",
        "en=Crisis NGO",
        "--name",
        "ru=Кризисный центр",
        "--sectors",
        "psychosocial,shelter",
        "--country",
        "kz",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&[
        "org",
        "add",
        "kz-ngo",
        "--name",
        "en=Again",
        "--name",
        "ru=Снова",
        "--sectors",
        "legal",
        "--country",
        "KZ",
    ]);
    assert!(!ok && err.contains("exists"), "{err}");
    let (ok, _, err) = run(&[
        "org",
        "add",
        "bad",
        "--name",
        "en=Only English",
        "--sectors",
        "legal",
        "--country",
        "KZ",
    ]);
    assert!(!ok && err.contains("names.ru"), "{err}");
    let (ok, _, err) = run(&[
        "org",
        "update",
        "kz-ngo",
        "--website",
        "https://ngo.example.kz",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["org", "trust", "kz-ngo"]);
    assert!(ok, "{err}");
    let (ok, listed, _) = run(&["org", "list"]);
    assert!(ok);
    assert_eq!(
        listed.trim(),
        "kz-ngo\tKZ\tpsychosocial,shelter\ttrusted\tCrisis NGO"
    );
    let (ok, _, err) = run(&["users", "add", "aigul", "--role", "editor"]);
    assert!(!ok && err.contains("organisation"), "{err}");
    let (ok, _, err) = run(&[
        "users",
        "add",
        "aigul",
        "--role",
        "editor",
        "--organisation",
        "nope",
    ]);
    assert!(!ok && err.contains("nope"), "{err}");
    let (ok, added, err) = run(&[
        "users",
        "add",
        "aigul",
        "--role",
        "editor",
        "--organisation",
        "kz-ngo",
    ]);
    assert!(
        ok && added.contains("aigul (editor of kz-ngo)"),
        "{added}{err}"
    );
    let (_, listed, _) = run(&["user", "list"]);
    assert!(
        listed.contains("aigul\teditor (one-time password pending)\torganisation kz-ngo"),
        "{listed}"
    );
    let (ok, audit, _) = run(&["audit", "--format", "json"]);
    assert!(ok);
    let actions: Vec<String> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| {
            e["entity_kind"] != "facility"
                && e["entity_kind"] != "area"
                && e["entity_kind"] != "settlement"
        })
        .map(|e| {
            format!(
                "{} {} {}",
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["entity_id"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            "cli:ops organisation.create kz-ngo",
            "cli:ops organisation.update kz-ngo",
            "cli:ops organisation.update kz-ngo",
            "cli:ops user.add aigul",
        ]
    );
}

#[tokio::test]
async fn an_organisation_confirms_its_due_records_and_coordinators_see_freshness() {
    let app = setup().await;
    let store = app.state.registry.store().clone();
    let today = chrono::Utc::now().date_naive();
    let recent = (today - chrono::Days::new(10)).to_string();
    for (id, org, lon, lat, verified) in [
        ("a1", "org-a", 69.60, 42.30, recent.as_str()),
        ("b1", "org-b", 71.40, 51.10, "2020-01-01"),
    ] {
        let mut f = with_org(feature(id, &["health"], lon, lat), org);
        f["properties"]["verified_at"] = json!(verified);
        let (status, _) = app
            .send(
                "PUT",
                &format!("/api/facilities/{id}"),
                Some(TOKEN),
                Some(body(&f)),
            )
            .await;
        assert_eq!(status, 200);
    }
    // Due: never verified, or more than 183 days ago.
    let (status, due) = app
        .send("GET", "/api/organisations/org-a/due", Some(EDITOR_A), None)
        .await;
    assert_eq!(status, 200, "{due}");
    let ids: Vec<&str> = due["due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a-shelter"]);
    let (_, due_b) = app.get_as("/api/organisations/org-b/due").await;
    assert_eq!(due_b["due"][0]["id"], "b-shelter");
    assert_eq!(due_b["due"][1]["id"], "b1");
    let since = (today - chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()).num_days();
    assert_eq!(due_b["due"][1]["days_since_verified"], since);
    for (token, uri, expected) in [
        (Some(EDITOR_B), "/api/organisations/org-a/due", 403),
        (Some(CASEWORKER_TOKEN), "/api/organisations/org-a/due", 403),
        (None, "/api/organisations/org-a/due", 401),
        (Some(TOKEN), "/api/organisations/nope/due", 404),
    ] {
        assert_eq!(
            app.send("GET", uri, token, None).await.0.as_u16(),
            expected,
            "{uri} as {token:?}"
        );
    }
    // Denied confirmations write nothing.
    let before = snapshot(&app).await;
    for (token, uri, payload, expected) in [
        (
            Some(EDITOR_B),
            "/api/organisations/org-b/verify",
            json!({"ids": ["a1"]}),
            403,
        ),
        (
            Some(EDITOR_A),
            "/api/organisations/org-b/verify",
            json!({}),
            403,
        ),
        (
            Some(CASEWORKER_TOKEN),
            "/api/organisations/org-a/verify",
            json!({}),
            403,
        ),
        (None, "/api/organisations/org-a/verify", json!({}), 401),
        (
            Some(EDITOR_A),
            "/api/organisations/org-a/verify",
            json!({"ids": ["nope"]}),
            404,
        ),
    ] {
        let (status, answer) = app.send("POST", uri, token, Some(body(&payload))).await;
        assert_eq!(status.as_u16(), expected, "{uri} as {token:?}: {answer}");
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "a denied confirmation wrote something"
    );
    // "Still correct", all at once: the due record gets today's date, audited as the editor's.
    let (status, verified) = app
        .send(
            "POST",
            "/api/organisations/org-a/verify",
            Some(EDITOR_A),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["ids"], json!(["a-shelter"]));
    let shelter = store.facility("a-shelter").await.unwrap().unwrap();
    assert_eq!(shelter.verified_at, Some(today));
    let log = store.audit_log(0, 100_000).await.unwrap();
    let last = log.iter().rfind(|e| e.entity_id == "a-shelter").unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("update", "editor-a")
    );
    assert!(
        last.after
            .as_deref()
            .unwrap()
            .contains(&format!("\"verified_at\":\"{today}\""))
    );
    let (_, due) = app
        .send("GET", "/api/organisations/org-a/due", Some(EDITOR_A), None)
        .await;
    assert_eq!(due["due"], json!([]));
    // One record by id (a planner may confirm any organisation's).
    let (status, verified) = app
        .send(
            "POST",
            "/api/organisations/org-b/verify",
            Some(TOKEN),
            Some(body(&json!({"ids": ["b1"]}))),
        )
        .await;
    assert_eq!(
        (status.as_u16(), verified["ids"].clone()),
        (200, json!(["b1"]))
    );
    // Freshness per organisation, sector and region, against a count of the store.
    let (status, fresh) = app.get_as("/api/freshness").await;
    assert_eq!(status, 200, "{fresh}");
    let stored = store.facilities().await.unwrap();
    for org in ["org-a", "org-b"] {
        let mine: Vec<&Facility> = stored
            .iter()
            .filter(|f| f.organisation_id.as_deref() == Some(org))
            .collect();
        let overdue = mine
            .iter()
            .filter(|f| f.verified_at.is_none_or(|d| (today - d).num_days() > 183))
            .count();
        let row = fresh["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == org)
            .unwrap();
        assert_eq!(
            (row["facilities"].as_u64(), row["overdue"].as_u64()),
            (Some(mine.len() as u64), Some(overdue as u64)),
            "{org}"
        );
        assert_eq!(row["last_verified"], today.to_string());
    }
    let shelters = fresh["sectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "shelter")
        .unwrap();
    assert_eq!(
        (
            shelters["facilities"].as_u64(),
            shelters["overdue"].as_u64()
        ),
        (Some(2), Some(1))
    );
    // The list to chase: b-shelter, never verified, with its organisation's contact.
    let (status, ctype, csv) = raw(&app, "GET", "/api/freshness?format=csv", Some(TOKEN)).await;
    assert_eq!((status, ctype.as_str()), (200, "text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].starts_with(
            "b-shelter,Facility b-shelter,org-b,Agency org-b,+7 700 000 0000,shelter,KZ,"
        ),
        "{csv}"
    );
    for token in [Some(EDITOR_A), Some(CASEWORKER_TOKEN)] {
        assert_eq!(app.send("GET", "/api/freshness", token, None).await.0, 403);
    }
    assert_eq!(app.get("/api/freshness?format=csv").await.0, 401);
}

#[tokio::test]
async fn problem_reports_reach_the_organisation_and_never_the_public() {
    let app = setup().await;
    let store = app.state.registry.store().clone();
    let public_before = public_answers(&app).await;
    let marker = "<script>alert(1)</script> the number is dead";
    let report = |kind: &str, text: &str| Some(body(&json!({"kind": kind, "text": text})));
    let (status, receipt) = app
        .send(
            "POST",
            "/api/facilities/a1/reports",
            None,
            report("wrong_phone", marker),
        )
        .await;
    assert_eq!(status, 202, "{receipt}");
    assert_eq!(receipt, json!({"received": true}));
    // What the public cannot see cannot be reported by it; bad input is refused.
    for (uri, payload, expected) in [
        (
            "/api/facilities/a-shelter/reports",
            report("moved", "x"),
            404,
        ),
        ("/api/facilities/nope/reports", report("moved", "x"), 404),
        ("/api/facilities/b1/reports", report("burnt", "x"), 400),
        (
            "/api/facilities/b1/reports",
            Some(br#"{"kind": "other", "text": "x", "email": "a@b"}"#.to_vec()),
            400,
        ),
        (
            "/api/facilities/b1/reports",
            report("other", &"й".repeat(501)),
            422,
        ),
    ] {
        let (status, answer) = app.send("POST", uri, None, payload).await;
        assert_eq!(status.as_u16(), expected, "{uri}: {answer}");
    }
    let (status, _) = app
        .send(
            "POST",
            "/api/facilities/b1/reports",
            None,
            report("closed", &"й".repeat(500)),
        )
        .await;
    assert_eq!(status, 202, "500 characters are allowed");
    let (status, _) = app
        .send(
            "POST",
            "/api/facilities/a-shelter/reports",
            Some(CASEWORKER_TOKEN),
            report("moved", "moved to the next street"),
        )
        .await;
    assert_eq!(status, 202, "staff may report what they see");
    assert_eq!(store.reports(None, None).await.unwrap().len(), 3);
    // Never public: no answer changed, the list needs an editor or a planner.
    assert_eq!(public_answers(&app).await, public_before);
    assert_eq!(app.get("/api/reports").await.0, 401);
    assert_eq!(
        app.send("GET", "/api/reports", Some(CASEWORKER_TOKEN), None)
            .await
            .0,
        403
    );
    // Each organisation's editors see its facilities' reports, escaped as JSON.
    let (status, ctype, text) = raw(&app, "GET", "/api/reports?status=open", Some(EDITOR_A)).await;
    assert_eq!((status, ctype.as_str()), (200, "application/json"));
    let mine: Value = serde_json::from_str(&text).unwrap();
    let facilities: Vec<&str> = mine["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["facility_id"].as_str().unwrap())
        .collect();
    assert_eq!(facilities, ["a-shelter", "a1"]);
    assert_eq!(mine["reports"][1]["text"], marker);
    assert!(
        text.contains(&serde_json::to_string(marker).unwrap()),
        "{text}"
    );
    let (_, theirs) = app.send("GET", "/api/reports", Some(EDITOR_B), None).await;
    assert_eq!(theirs["reports"].as_array().unwrap().len(), 1);
    let (_, all) = app.get_as("/api/reports").await;
    assert_eq!(all["reports"].as_array().unwrap().len(), 3);
    // Resolved by its organisation (another's is not found), once; audited.
    let id = mine["reports"][1]["id"].as_i64().unwrap();
    let before = snapshot(&app).await;
    let (status, _) = app
        .send(
            "POST",
            &format!("/api/reports/{id}/resolve"),
            Some(EDITOR_B),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.send(
            "POST",
            &format!("/api/reports/{id}/dismiss"),
            None,
            Some(body(&json!({})))
        )
        .await
        .0,
        401
    );
    assert_eq!(snapshot(&app).await, before);
    let (status, resolved) = app
        .send(
            "POST",
            &format!("/api/reports/{id}/resolve"),
            Some(EDITOR_A),
            Some(body(&json!({"note": "phone corrected"}))),
        )
        .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(
        (resolved["status"].as_str(), resolved["decided_by"].as_str()),
        (Some("resolved"), Some("editor-a"))
    );
    let (status, _) = app
        .send(
            "POST",
            &format!("/api/reports/{id}/dismiss"),
            Some(TOKEN),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(status, 409);
    let b_id = theirs["reports"][0]["id"].as_i64().unwrap();
    let (status, dismissed) = app
        .send(
            "POST",
            &format!("/api/reports/{b_id}/dismiss"),
            Some(TOKEN),
            Some(body(&json!({}))),
        )
        .await;
    assert_eq!(
        (status.as_u16(), dismissed["status"].as_str()),
        (200, Some("dismissed"))
    );
    let log = store.audit_log(0, 100_000).await.unwrap();
    let trail: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.entity_kind == "report" && e.entity_id == id.to_string())
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        trail,
        [("report.create", "public"), ("report.resolve", "editor-a")]
    );
    assert_eq!(public_answers(&app).await, public_before);
}

#[tokio::test]
async fn problem_reports_are_limited_per_address() {
    let app = setup().await;
    let report = Some(body(&json!({"kind": "other", "text": "x"})));
    for i in 0..tirek::api::REPORTS_PER_HOUR {
        let (status, _) = app
            .send("POST", "/api/facilities/b1/reports", None, report.clone())
            .await;
        assert_eq!(status, 202, "report {i}");
    }
    let (status, answer) = app
        .send("POST", "/api/facilities/b1/reports", None, report)
        .await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"]["code"], "rate_limited");
    let stored = app
        .state
        .registry
        .store()
        .reports(None, None)
        .await
        .unwrap();
    assert_eq!(stored.len(), tirek::api::REPORTS_PER_HOUR);
}

#[tokio::test]
async fn who_am_i_names_an_editors_organisation() {
    let app = setup().await;
    for (token, organisation) in [
        (EDITOR_A, Some("org-a")),
        (EDITOR_B, Some("org-b")),
        (EDITOR_NONE, None),
        (TOKEN, None),
    ] {
        let (status, me) = app.send("GET", "/api/me", Some(token), None).await;
        assert_eq!(status, 200);
        assert_eq!(me["signed_in"], true);
        assert_eq!(me["organisation"].as_str(), organisation, "{me}");
    }
    let (_, me) = app.get("/api/me").await;
    assert!(me.get("organisation").is_none(), "{me}");
}

/// `tirek org proposals|approve|reject|reports|decide`: a coordinator decides from the
/// command line what editors proposed and the public reported, on the server's store.
#[tokio::test]
async fn the_command_line_decides_proposals_and_reports() {
    use crate::trust::tirek;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let app = setup_on(tirek::store::open(None, &data).await.unwrap()).await;
    // Editor A proposes a new name for a1 and a new facility a2; the public reports b1.
    let mut renamed = with_org(feature("a1", &["health"], 69.60, 42.30), "org-a");
    renamed["properties"]["name"] = json!("Renamed a1");
    let (status, answer) = app
        .send(
            "PUT",
            "/api/facilities/a1",
            Some(EDITOR_A),
            Some(body(&renamed)),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    let rename = answer["id"].as_i64().unwrap();
    let new = with_org(feature("a2", &["police"], 69.70, 42.40), "org-a");
    let (status, answer) = app
        .send("POST", "/api/facilities", Some(EDITOR_A), Some(body(&new)))
        .await;
    assert_eq!(status, 202, "{answer}");
    let create = answer["id"].as_i64().unwrap();
    let (status, _) = app
        .send(
            "POST",
            "/api/facilities/b1/reports",
            None,
            Some(body(
                &json!({"kind": "wrong_phone", "text": "rings a shop\nnot the clinic"}),
            )),
        )
        .await;
    assert_eq!(status, 202);

    let (ok, out, err) = tirek(&data, &["org", "proposals", "--status", "pending"]);
    assert!(ok, "{err}");
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        &lines[0][..6],
        [
            create.to_string().as_str(),
            "pending",
            "create",
            "a2",
            "org-a",
            "editor-a"
        ]
    );
    assert_eq!(
        &lines[1][..6],
        [
            rename.to_string().as_str(),
            "pending",
            "update",
            "a1",
            "org-a",
            "editor-a"
        ]
    );
    let (ok, _, err) = tirek(&data, &["org", "proposals", "--status", "waiting"]);
    assert!(
        !ok && err.contains("unknown proposal status \"waiting\""),
        "{err}"
    );

    // A rejection needs a reason; with one, nothing is written.
    let (ok, _, err) = tirek(
        &data,
        &["org", "reject", &create.to_string(), "--reason", " "],
    );
    assert!(!ok && err.contains("a rejection needs a reason"), "{err}");
    let (ok, out, err) = tirek(
        &data,
        &[
            "org",
            "reject",
            &create.to_string(),
            "--reason",
            "a2 is a duplicate of b1",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("\trejected\tcreate\ta2\t") && out.ends_with("\ta2 is a duplicate of b1\n"),
        "{out}"
    );
    let (ok, out, err) = tirek(&data, &["org", "approve", &rename.to_string()]);
    assert!(ok, "{err}");
    assert!(out.contains("\tapproved\tupdate\ta1\t"), "{out}");
    let (ok, _, err) = tirek(&data, &["org", "approve", &rename.to_string()]);
    assert!(!ok, "decided twice: {err}");
    // Written by the approval alone, and audited as the command line.
    let store = app.state.registry.store();
    assert_eq!(
        store.facility("a1").await.unwrap().unwrap().name,
        "Renamed a1"
    );
    assert!(store.facility("a2").await.unwrap().is_none());
    let audit = store.audit_log(0, 10_000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.actor == "cli:ops" && e.action == "proposal.reject"),
        "{audit:?}"
    );

    let (ok, out, err) = tirek(&data, &["org", "reports", "--status", "open"]);
    assert!(ok, "{err}");
    let line: Vec<&str> = out.trim_end().split('\t').collect();
    assert_eq!(&line[1..5], ["open", "wrong_phone", "b1", "org-b"], "{out}");
    assert_eq!(line[6], "rings a shop not the clinic");
    let (ok, _, err) = tirek(&data, &["org", "decide", line[0], "--to", "open"]);
    assert!(
        !ok && err.contains("expected resolved or dismissed"),
        "{err}"
    );
    let (ok, out, err) = tirek(
        &data,
        &[
            "org",
            "decide",
            line[0],
            "--to",
            "resolved",
            "--note",
            "number corrected",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("\tresolved\twrong_phone\tb1\t"), "{out}");
    let (ok, out, _) = tirek(&data, &["org", "reports", "--status", "open"]);
    assert!(ok && out.is_empty(), "{out}");
}
