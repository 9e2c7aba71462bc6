//! Issue #17: the non-identifying referral log, the unmet-needs log and their
//! suppressed figures, over the API with every role and on both databases: a referral
//! across two organisations from made to provided, declines with a fixed reason, no
//! shows, what a third organisation cannot see or change, records only for the
//! organisations involved and admins (coordinators get figures), a caseworker's own
//! referrals and her organisation's, the suppression rule at 4, 5 and 6, no hidden
//! count recoverable from a shown total, no small count or record for the public,
//! forbidden fields refused by every write endpoint (and by both tables themselves),
//! and the audit entry of every write.

use crate::support::{
    ADMIN_TOKEN, CASEWORKER_TOKEN, PgDatabase, TOKEN, TestApp, collection, feature,
};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tirek::model::{Area, Role};
use tirek::store::{PostgresStore, SqliteStore, Store};
use tower::ServiceExt;

const CASEWORKER_A: &str = "test-token-referrals-caseworker-a-0123";
const EDITOR_A: &str = "test-token-referrals-editor-a-0123456";
const EDITOR_B: &str = "test-token-referrals-editor-b-0123456";
const CASEWORKER_B: &str = "test-token-referrals-caseworker-b-0123";
const EDITOR_C: &str = "test-token-referrals-editor-c-0123456";
const CASEWORKER_A2: &str = "test-token-referrals-caseworker-a2-012";
const PLANNER_C: &str = "test-token-referrals-planner-c-012345";

/// An account of `role` in `organisation` with API token `token`.
async fn account(
    store: &dyn Store,
    name: &str,
    role: Role,
    organisation: Option<&str>,
    token: &str,
) {
    crate::support::register_member(store, name, role, organisation, token).await;
}

fn square(
    code: &str,
    level: u8,
    parent: Option<&str>,
    (x0, y0, x1, y1): (f64, f64, f64, f64),
) -> Area {
    use geo::{LineString, MultiPolygon, Polygon};
    let ring = LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]);
    Area {
        code: code.into(),
        level,
        parent: parent.map(str::to_string),
        name: format!("Area {code}"),
        names: Default::default(),
        geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]),
    }
}

// `TestApp::send` takes the body as an option.
#[allow(clippy::unnecessary_wraps)]
fn body(v: &Value) -> Option<Vec<u8>> {
    Some(v.to_string().into_bytes())
}

/// Three organisations (a refers, b receives, c is a bystander), two caseworkers of a
/// and one of b, an editor of each, a planner of c, Kazakhstan with regions KZ-A and KZ-B, and facilities of b: a
/// health centre and a confidential shelter in KZ-A, a police unit of c in KZ-B.
async fn setup_on(store: Arc<dyn Store>) -> TestApp {
    let app = TestApp::on(store).await;
    for (id, sector) in [
        ("org-a", "psychosocial"),
        ("org-b", "health"),
        ("org-c", "police"),
    ] {
        let org = json!({"id": id, "names": {"en": format!("Agency {id}"), "ru": format!("Агентство {id}")},
                         "sectors": [sector], "country": "KZ"});
        let (status, answer) = app
            .send("POST", "/api/organisations", Some(TOKEN), body(&org))
            .await;
        assert_eq!(status, 201, "{answer}");
    }
    let store = app.state.registry.store().clone();
    account(
        store.as_ref(),
        "caseworker-a",
        Role::Caseworker,
        Some("org-a"),
        CASEWORKER_A,
    )
    .await;
    account(
        store.as_ref(),
        "editor-a",
        Role::Editor,
        Some("org-a"),
        EDITOR_A,
    )
    .await;
    account(
        store.as_ref(),
        "editor-b",
        Role::Editor,
        Some("org-b"),
        EDITOR_B,
    )
    .await;
    account(
        store.as_ref(),
        "caseworker-b",
        Role::Caseworker,
        Some("org-b"),
        CASEWORKER_B,
    )
    .await;
    account(
        store.as_ref(),
        "editor-c",
        Role::Editor,
        Some("org-c"),
        EDITOR_C,
    )
    .await;
    account(
        store.as_ref(),
        "caseworker-a2",
        Role::Caseworker,
        Some("org-a"),
        CASEWORKER_A2,
    )
    .await;
    account(
        store.as_ref(),
        "planner-c",
        Role::Planner,
        Some("org-c"),
        PLANNER_C,
    )
    .await;
    let registry = &app.state.registry;
    registry
        .replace_areas(
            0,
            &[square("KZ", 0, None, (60.0, 40.0, 62.0, 41.0))],
            "test",
        )
        .await
        .unwrap();
    registry
        .replace_areas(
            1,
            &[
                square("KZ-A", 1, Some("KZ"), (60.0, 40.0, 61.0, 41.0)),
                square("KZ-B", 1, Some("KZ"), (61.0, 40.0, 62.0, 41.0)),
            ],
            "test",
        )
        .await
        .unwrap();
    let with_org = |mut f: Value, org: &str| {
        f["properties"]["organisation_id"] = json!(org);
        f
    };
    let facilities = vec![
        with_org(
            feature("b-health", &["health", "psychosocial"], 60.5, 40.5),
            "org-b",
        ),
        with_org(feature("b-shelter", &["shelter"], 60.6, 40.6), "org-b"),
        with_org(feature("c-police", &["police"], 61.5, 40.5), "org-c"),
        feature("orphan", &["legal"], 61.6, 40.6),
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

/// Everything a refused write must leave as it was: referrals, unmet needs, audit.
async fn stored(app: &TestApp) -> (usize, usize, usize) {
    let store = app.state.registry.store();
    (
        store.referrals(None, None, None).await.unwrap().len(),
        store.unmet_needs(None).await.unwrap().len(),
        store.audit_log(0, 1_000_000).await.unwrap().len(),
    )
}

/// The answer as text: status, content type, body.
async fn raw(
    app: &TestApp,
    uri: &str,
    token: Option<&str>,
    accept: Option<&str>,
) -> (u16, String, String) {
    let mut req = Request::builder().method("GET").uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
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

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// The lifecycle across two organisations, with the third kept out, and the audit.
async fn lifecycle(app: &TestApp) {
    let today = chrono::Utc::now().date_naive().to_string();
    let refer = json!({"to_facility": "b-health", "sector": "health", "consent_to_share": true});
    let (status, r1) = app
        .send("POST", "/api/referrals", Some(CASEWORKER_A), body(&refer))
        .await;
    assert_eq!(status, 201, "{r1}");
    assert_eq!(
        (
            r1["from_organisation"].as_str(),
            r1["to_organisation"].as_str(),
            r1["status"].as_str()
        ),
        (Some("org-a"), Some("org-b"), Some("made"))
    );
    assert_eq!(r1["made_on"], json!(today));
    assert_eq!(
        r1["made_by"], "caseworker-a",
        "her own record says it is hers"
    );
    assert_eq!(
        r1["area"],
        json!({"country": "KZ", "region": "KZ-A", "district": null})
    );
    let id = r1["id"].as_i64().unwrap();
    let refer2 = json!({"to_facility": "b-health", "sector": "psychosocial", "consent_to_share": false, "made_on": today});
    let (status, r2) = app
        .send("POST", "/api/referrals", Some(CASEWORKER_A), body(&refer2))
        .await;
    assert_eq!(status, 201, "{r2}");
    let id2 = r2["id"].as_i64().unwrap();

    // A lists its own to follow up; B's editors see them as incoming; C sees nothing.
    let (_, mine) = app
        .get_as_token("/api/referrals?scope=mine", CASEWORKER_A)
        .await;
    assert_eq!(ids(&mine, "referrals"), [id2, id]);
    let (_, incoming) = app
        .get_as_token("/api/referrals?scope=incoming", EDITOR_B)
        .await;
    assert_eq!(ids(&incoming, "referrals"), [id2, id]);
    let (_, theirs) = app
        .get_as_token("/api/referrals?scope=incoming", EDITOR_C)
        .await;
    assert_eq!(ids(&theirs, "referrals"), Vec::<i64>::new());
    let (_, theirs) = app
        .get_as_token("/api/referrals?scope=mine", EDITOR_C)
        .await;
    assert_eq!(ids(&theirs, "referrals"), Vec::<i64>::new());
    for token in [EDITOR_C, CASEWORKER_B] {
        let (status, _) = app
            .get_as_token(&format!("/api/referrals/{id}"), token)
            .await;
        assert_eq!(status, 404, "one organisation's referral is another's 404");
    }
    let (status, _) = app
        .get_as_token("/api/referrals?scope=incoming", CASEWORKER_B)
        .await;
    assert_eq!(
        status, 403,
        "incoming referrals are for the receiving editors"
    );
    // The organisations involved and admins read the record; who recorded it only
    // the referring organisation and admins, not the receiving one.
    for (token, made_by) in [
        (CASEWORKER_A, json!("caseworker-a")),
        (EDITOR_A, json!("caseworker-a")),
        (EDITOR_B, Value::Null),
        (ADMIN_TOKEN, json!("caseworker-a")),
    ] {
        let (status, one) = app
            .get_as_token(&format!("/api/referrals/{id}"), token)
            .await;
        assert_eq!((status.as_u16(), one["id"].as_i64()), (200, Some(id)));
        assert_eq!(one["made_by"], made_by, "{token}");
    }
    assert!(
        incoming["referrals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["made_by"].is_null()),
        "{incoming}"
    );
    // Coordinators have the figures, not the records: a planner of no organisation, or
    // of one not involved, finds no referral.
    for token in [TOKEN, PLANNER_C] {
        let (status, _) = app
            .get_as_token(&format!("/api/referrals/{id}"), token)
            .await;
        assert_eq!(
            status, 404,
            "a planner reads no other organisation's record"
        );
    }
    for token in [CASEWORKER_A, EDITOR_B, TOKEN, PLANNER_C] {
        let (status, _) = app.get_as_token("/api/referrals?scope=all", token).await;
        assert_eq!(status, 403, "every referral is for admins only");
    }
    let (status, all) = app
        .get_as_token("/api/referrals?scope=all", ADMIN_TOKEN)
        .await;
    assert_eq!(
        (status.as_u16(), ids(&all, "referrals")),
        (200, vec![id2, id])
    );
    assert_eq!(all["scope"], "all");
    assert_eq!(all["referrals"][0]["made_by"], "caseworker-a");

    // Only B's editors answer, and only by legal moves.
    let status_of = |to: Value| body(&to);
    let path = format!("/api/referrals/{id}/status");
    let before = stored(app).await;
    for (token, expected) in [
        (EDITOR_C, 404),
        (CASEWORKER_B, 404),
        (TOKEN, 404),
        (PLANNER_C, 404),
        (CASEWORKER_A, 403),
        (EDITOR_A, 403),
        (ADMIN_TOKEN, 403),
    ] {
        let (status, answer) = app
            .send(
                "POST",
                &path,
                Some(token),
                status_of(json!({"status": "accepted"})),
            )
            .await;
        assert_eq!(status.as_u16(), expected, "{answer}");
    }
    let (status, answer) = app
        .send(
            "POST",
            &path,
            Some(EDITOR_B),
            status_of(json!({"status": "service_provided"})),
        )
        .await;
    assert_eq!(status, 409, "made → provided skips acceptance: {answer}");
    let (status, answer) = app
        .send(
            "POST",
            &path,
            Some(EDITOR_B),
            status_of(json!({"status": "declined"})),
        )
        .await;
    assert_eq!(status, 422, "a decline needs a reason: {answer}");
    let (status, answer) = app
        .send(
            "POST",
            &path,
            Some(EDITOR_B),
            status_of(json!({"status": "accepted", "reason": "no_capacity"})),
        )
        .await;
    assert_eq!(status, 422, "only a decline takes a reason: {answer}");
    let (status, answer) = app
        .send(
            "POST",
            &path,
            Some(EDITOR_B),
            status_of(json!({"status": "declined", "reason": "too busy today"})),
        )
        .await;
    assert_eq!(status, 400, "the reasons are a fixed list: {answer}");
    let (status, answer) = app
        .send(
            "POST",
            &path,
            Some(EDITOR_B),
            status_of(json!({"status": "accepted", "on": "2000-01-01"})),
        )
        .await;
    assert_eq!(status, 422, "not before it was made: {answer}");
    assert_eq!(stored(app).await, before, "refused answers write nothing");
    let (status, accepted) = app
        .send(
            "POST",
            &path,
            Some(EDITOR_B),
            status_of(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(
        (
            accepted["status"].as_str(),
            accepted["accepted_on"].as_str()
        ),
        (Some("accepted"), Some(today.as_str()))
    );
    assert!(
        accepted["made_by"].is_null(),
        "the receiving editor's answer"
    );
    let (status, _) = app
        .send(
            "POST",
            &path,
            Some(EDITOR_B),
            status_of(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(status, 409, "accepted already");
    let (status, provided) = app
        .send(
            "POST",
            &path,
            Some(EDITOR_B),
            status_of(json!({"status": "service_provided"})),
        )
        .await;
    assert_eq!(status, 200, "{provided}");
    assert_eq!(provided["closed_on"], json!(today));
    let (status, _) = app
        .send(
            "POST",
            &format!("/api/referrals/{id2}/status"),
            Some(EDITOR_B),
            status_of(json!({"status": "declined", "reason": "outside_area"})),
        )
        .await;
    assert_eq!(status, 200);
    // A sees what became of its referrals.
    let (_, mine) = app
        .get_as_token("/api/referrals?scope=mine", CASEWORKER_A)
        .await;
    let statuses: Vec<(&str, Option<&str>)> = mine["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].as_str().unwrap(), r["decline_reason"].as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("declined", Some("outside_area")),
            ("service_provided", None)
        ]
    );

    // An unmet need, by area code; seen by its organisation and admins only.
    let need = json!({"sector": "shelter", "area": "KZ-A", "female_staff": true, "languages": ["kk", "ru"], "services": ["emergency_shelter"]});
    let (status, recorded) = app
        .send("POST", "/api/unmet-needs", Some(CASEWORKER_A), body(&need))
        .await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(
        recorded["area"],
        json!({"country": "KZ", "region": "KZ-A", "district": null})
    );
    assert_eq!(recorded["needs"]["languages"], json!(["ru", "kk"]));
    let (status, answer) = app
        .send(
            "POST",
            "/api/unmet-needs",
            Some(CASEWORKER_A),
            body(&json!({"sector": "shelter", "area": "nowhere"})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    for (token, seen) in [
        (CASEWORKER_A, 1),
        (EDITOR_A, 1),
        (CASEWORKER_A2, 1),
        (EDITOR_C, 0),
        (PLANNER_C, 0),
        (ADMIN_TOKEN, 1),
    ] {
        let (status, list) = app.get_as_token("/api/unmet-needs", token).await;
        assert_eq!(
            (
                status.as_u16(),
                list["unmet_needs"].as_array().unwrap().len()
            ),
            (200, seen),
            "{token}"
        );
    }
    // A planner of no organisation has no unmet needs of her own to list.
    let (status, _) = app.get_as_token("/api/unmet-needs", TOKEN).await;
    assert_eq!(status, 403);

    // Every write is audited, with who did it.
    let log = app
        .state
        .registry
        .store()
        .audit_log(0, 1_000_000)
        .await
        .unwrap();
    let of = |action: &str| -> Vec<(String, String)> {
        log.iter()
            .filter(|e| e.action == action)
            .map(|e| (e.actor.clone(), e.entity_id.clone()))
            .collect()
    };
    assert_eq!(
        of("referral.create"),
        [
            ("caseworker-a".into(), id.to_string()),
            ("caseworker-a".into(), id2.to_string())
        ]
    );
    assert_eq!(
        of("referral.status"),
        [
            ("editor-b".into(), id.to_string()),
            ("editor-b".into(), id.to_string()),
            ("editor-b".into(), id2.to_string())
        ]
    );
    let answered = log.iter().rfind(|e| e.action == "referral.status").unwrap();
    assert!(answered.before.as_deref().unwrap().contains("\"made\""));
    assert!(
        answered
            .after
            .as_deref()
            .unwrap()
            .contains("\"outside_area\"")
    );
    assert_eq!(
        of("unmet_need.create"),
        [(
            "caseworker-a".into(),
            recorded["id"].as_i64().unwrap().to_string()
        )]
    );
    no_shows(app, &today).await;
}

/// A survivor who does not come: a referral goes to `no_show` from `made` and from
/// `accepted` (the legal moves), and nothing follows; a provided service cannot
/// become one.
async fn no_shows(app: &TestApp, today: &str) {
    let refer = json!({"to_facility": "b-health", "sector": "health", "consent_to_share": true});
    let mut new_ids = Vec::new();
    for _ in 0..2 {
        let (status, r) = app
            .send("POST", "/api/referrals", Some(CASEWORKER_A), body(&refer))
            .await;
        assert_eq!(status, 201, "{r}");
        new_ids.push(r["id"].as_i64().unwrap());
    }
    let (never_answered, accepted_first) = (new_ids[0], new_ids[1]);
    let answer = |id: i64, to: Value| async move {
        app.send(
            "POST",
            &format!("/api/referrals/{id}/status"),
            Some(EDITOR_B),
            body(&to),
        )
        .await
    };
    let (status, gone) = answer(never_answered, json!({"status": "no_show"})).await;
    assert_eq!(status, 200, "made → no_show: {gone}");
    assert_eq!(
        (&gone["status"], &gone["accepted_on"], &gone["closed_on"]),
        (&json!("no_show"), &Value::Null, &json!(today))
    );
    let (status, r) = answer(accepted_first, json!({"status": "accepted"})).await;
    assert_eq!(status, 200, "{r}");
    let (status, gone) = answer(accepted_first, json!({"status": "no_show"})).await;
    assert_eq!(status, 200, "accepted → no_show: {gone}");
    assert_eq!(
        (&gone["status"], &gone["accepted_on"], &gone["closed_on"]),
        (&json!("no_show"), &json!(today), &json!(today))
    );
    // Final: no move leaves a no show, and a provided service is not a no show.
    let before = stored(app).await;
    for id in [never_answered, accepted_first] {
        for to in [
            json!({"status": "accepted"}),
            json!({"status": "service_provided"}),
            json!({"status": "no_show"}),
            json!({"status": "declined", "reason": "survivor_withdrew"}),
        ] {
            let (status, reply) = answer(id, to.clone()).await;
            assert_eq!(status, 409, "no_show → {to}: {reply}");
        }
    }
    let (_, all) = app
        .get_as_token("/api/referrals?scope=all", ADMIN_TOKEN)
        .await;
    let provided = all["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "service_provided")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = answer(provided, json!({"status": "no_show"})).await;
    assert_eq!(status, 409, "service_provided → no_show");
    assert_eq!(stored(app).await, before, "refused moves write nothing");
    // The referring caseworker sees both as no shows, and the audit has each move.
    let (_, mine) = app
        .get_as_token("/api/referrals?scope=mine", CASEWORKER_A)
        .await;
    for id in [never_answered, accepted_first] {
        let r = mine["referrals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap();
        assert_eq!(r["status"], "no_show");
    }
    let log = app
        .state
        .registry
        .store()
        .audit_log(0, 1_000_000)
        .await
        .unwrap();
    let moves = |id: i64| -> Vec<String> {
        log.iter()
            .filter(|e| e.action == "referral.status" && e.entity_id == id.to_string())
            .map(|e| {
                let after: Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
                after["status"].as_str().unwrap().to_string()
            })
            .collect()
    };
    assert_eq!(moves(never_answered), ["no_show"]);
    assert_eq!(moves(accepted_first), ["accepted", "no_show"]);
}

impl TestApp {
    async fn get_as_token(&self, uri: &str, token: &str) -> (axum::http::StatusCode, Value) {
        self.send("GET", uri, Some(token), None).await
    }
}

/// Two caseworkers and an editor of one organisation: `mine` is each one's own,
/// `organisation` everyone's of it; who recorded each is shown to them and admins,
/// never to the receiving organisation or in any figure. A referral with no recorder
/// (demo data, older records) is the organisation's, and no one's own.
async fn own_and_organisation_referrals(app: &TestApp) {
    let make = |token: &'static str, to_facility: &'static str, sector: &'static str| async move {
        let (status, r) = app
            .send(
                "POST",
                "/api/referrals",
                Some(token),
                body(&json!({"to_facility": to_facility, "sector": sector, "consent_to_share": true})),
            )
            .await;
        assert_eq!(status, 201, "{r}");
        r["id"].as_i64().unwrap()
    };
    let a1 = make(CASEWORKER_A, "b-health", "health").await;
    let a2 = make(CASEWORKER_A2, "c-police", "police").await;
    let a3 = make(CASEWORKER_A, "c-police", "police").await;
    let e1 = make(EDITOR_A, "b-health", "psychosocial").await;
    let c1 = make(EDITOR_C, "b-health", "health").await;
    // An older referral of a, recorded before who made it was kept.
    let store = app.state.registry.store();
    let mut older = store.referral(a1).await.unwrap().expect("stored");
    older.made_by = None;
    let unknown = store.add_referrals(&[older], "test").await.unwrap()[0];
    let list = |scope: &'static str, token: &'static str| async move {
        let (status, list) = app
            .get_as_token(&format!("/api/referrals?scope={scope}"), token)
            .await;
        assert_eq!(status, 200, "{scope} by {token}: {list}");
        assert_eq!(list["scope"], scope);
        list
    };
    let made_by = |list: &Value| -> Vec<(i64, Option<String>)> {
        list["referrals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_i64().unwrap(),
                    r["made_by"].as_str().map(str::to_string),
                )
            })
            .collect()
    };
    let who = |name: &str| Some(name.to_string());
    // Each her own, newest first.
    assert_eq!(
        made_by(&list("mine", CASEWORKER_A).await),
        [(a3, who("caseworker-a")), (a1, who("caseworker-a"))]
    );
    assert_eq!(
        made_by(&list("mine", CASEWORKER_A2).await),
        [(a2, who("caseworker-a2"))]
    );
    assert_eq!(
        made_by(&list("mine", EDITOR_A).await),
        [(e1, who("editor-a"))]
    );
    // The default scope is hers.
    let (_, default) = app.get_as_token("/api/referrals", CASEWORKER_A2).await;
    assert_eq!(
        (default["scope"].as_str(), ids(&default, "referrals")),
        (Some("mine"), vec![a2])
    );
    // The organisation's: everyone's of a, the older one too, to each of a's accounts.
    let organisation = vec![
        (unknown, None),
        (e1, who("editor-a")),
        (a3, who("caseworker-a")),
        (a2, who("caseworker-a2")),
        (a1, who("caseworker-a")),
    ];
    for token in [CASEWORKER_A, CASEWORKER_A2, EDITOR_A] {
        assert_eq!(
            made_by(&list("organisation", token).await),
            organisation,
            "{token}"
        );
    }
    // Other organisations: c's own, and nothing of a's.
    assert_eq!(
        ids(&list("organisation", EDITOR_C).await, "referrals"),
        [c1]
    );
    assert_eq!(ids(&list("mine", EDITOR_C).await, "referrals"), [c1]);
    assert_eq!(
        ids(&list("organisation", CASEWORKER_B).await, "referrals"),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&list("mine", PLANNER_C).await, "referrals"),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&list("organisation", PLANNER_C).await, "referrals"),
        [c1]
    );
    // The receiving organisations see the referrals without who made them.
    let incoming = list("incoming", EDITOR_B).await;
    assert_eq!(ids(&incoming, "referrals"), [unknown, c1, e1, a1]);
    assert!(
        made_by(&incoming).iter().all(|(_, m)| m.is_none()),
        "{incoming}"
    );
    let incoming = list("incoming", EDITOR_C).await;
    assert_eq!(made_by(&incoming), [(a3, None), (a2, None)]);
    // Accounts of no organisation list nothing; admins have every record with it.
    for scope in ["mine", "organisation"] {
        for token in [CASEWORKER_TOKEN, TOKEN] {
            let (status, _) = app
                .get_as_token(&format!("/api/referrals?scope={scope}"), token)
                .await;
            assert_eq!(status, 403, "{scope} by {token}");
        }
    }
    let all = list("all", ADMIN_TOKEN).await;
    assert_eq!(made_by(&all)[0], (unknown, None));
    assert!(made_by(&all).contains(&(a2, who("caseworker-a2"))));
    let (status, _, text) = raw(
        app,
        "/api/referrals?scope=all&format=csv",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let (id_col, by_col) = (
        header.iter().position(|h| h == "id").unwrap(),
        header.iter().position(|h| h == "made_by").unwrap(),
    );
    let rows: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[id_col].to_string(), r[by_col].to_string())
        })
        .collect();
    assert!(rows.contains(&(a2.to_string(), "caseworker-a2".into())));
    assert!(rows.contains(&(unknown.to_string(), String::new())));
    // Never in the figures, for anyone, in any format.
    for token in [None, Some(CASEWORKER_A), Some(TOKEN), Some(ADMIN_TOKEN)] {
        for query in ["", "?level=0", "?format=csv"] {
            let (status, _, text) = raw(
                app,
                &format!("/api/coordination/figures{query}"),
                token,
                None,
            )
            .await;
            assert_eq!(status, 200, "{query}");
            assert!(
                !text.contains("caseworker-a")
                    && !text.contains("editor-a")
                    && !text.contains("made_by"),
                "{query}: {text}"
            );
        }
    }
    let (_, planner) = app.get_as("/api/coordination/figures?level=2").await;
    assert_eq!(planner["audience"], "planner");
    assert!(!planner.to_string().contains("caseworker-a"));
}

#[tokio::test]
async fn a_caseworker_lists_her_own_referrals_and_her_organisations_on_sqlite() {
    own_and_organisation_referrals(&setup().await).await;
}

#[tokio::test]
async fn a_caseworker_lists_her_own_referrals_and_her_organisations_on_postgres() {
    let Some(db) = PgDatabase::create("own_referrals").await else {
        return;
    };
    let app = setup_on(Arc::new(PostgresStore::connect(&db.url).await.unwrap())).await;
    own_and_organisation_referrals(&app).await;
    drop(app);
    db.drop_now().await;
}

#[tokio::test]
async fn a_referral_goes_from_one_organisation_to_another_and_back_on_sqlite() {
    lifecycle(&setup().await).await;
}

#[tokio::test]
async fn a_referral_goes_from_one_organisation_to_another_and_back_on_postgres() {
    let Some(db) = PgDatabase::create("referrals").await else {
        return;
    };
    let app = setup_on(Arc::new(PostgresStore::connect(&db.url).await.unwrap())).await;
    lifecycle(&app).await;
    // The tables refuse what names a survivor, even through SQL.
    let store = PostgresStore::connect(&db.url).await.unwrap();
    let pool = store.pool();
    for table in ["referrals", "unmet_needs"] {
        // A valid row goes in: the refusals below are the values' and the columns'.
        sqlx::query(sqlx::AssertSqlSafe(valid_insert(table)))
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    for (what, sql, value) in refused_inserts() {
        let result = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .execute(pool)
            .await;
        assert!(result.is_err(), "{what} was stored");
    }
    drop(app);
    db.drop_now().await;
}

/// Values that could name or pin a survivor, per column of `table`.
fn bad_values(table: &str) -> Vec<(&'static str, &'static str)> {
    match table {
        "referrals" => vec![
            ("to_facility", "Aigerim Bekova, born 1990-05-01"),
            ("sector", "Aigerim"),
            ("made_on", "2026-03-01T10:45"),
            ("made_on", "Aigerim Bek"),
            ("status", "called her mother"),
            ("decline_reason", "she is afraid of her husband"),
            ("country", "Aigerim"),
            ("region", "Abay street 5, flat 3"),
            ("district", "42.30,69.60"),
            ("from_organisation", "aigerim-bekova"),
            ("made_by", "Aigerim Bekova"),
            ("made_by", "lives with her mother-in-law, Abay 5"),
            ("made_by", ""),
        ],
        "unmet_needs" => vec![
            ("organisation", "aigerim-bekova"),
            ("sector", "Aigerim"),
            ("services", "Aigerim Bekova"),
            ("languages", "kk, ru; her mother speaks only kk"),
            ("open_24_7", "she can only come at night"),
            ("female_staff", "asked for Dr Aigul"),
            ("no_police_report_required", "her husband is a policeman"),
            ("country", "Aigerim"),
            ("region", "Abay street 5, flat 3"),
            ("district", "42.30,69.60"),
            ("recorded_on", "2026-03-01T10:45"),
            ("recorded_on", "born 1990-05-01"),
        ],
        other => panic!("{other}"),
    }
}

/// Columns that would hold what names or locates a survivor: no table has them.
const IDENTIFYING_COLUMNS: [&str; 10] = [
    "name",
    "survivor_name",
    "birth_date",
    "case_number",
    "notes",
    "address",
    "phone",
    "lon",
    "lat",
    "geometry",
];

/// A valid row of `table`: (column, SQL literal; booleans in PostgreSQL's spelling).
fn valid_row(table: &str) -> Vec<(&'static str, String)> {
    let row: Vec<(&str, &str)> = match table {
        "referrals" => vec![
            ("from_organisation", "'org-a'"),
            ("to_facility", "'b-health'"),
            ("to_organisation", "'org-b'"),
            ("sector", "'health'"),
            ("made_on", "'2026-03-01'"),
            ("consent_to_share", "true"),
            ("status", "'made'"),
            ("decline_reason", "NULL"),
            ("country", "'KZ'"),
            ("region", "'KZ-A'"),
            ("district", "NULL"),
            ("demo", "false"),
            ("made_by", "'caseworker-a'"),
        ],
        "unmet_needs" => vec![
            ("organisation", "'org-a'"),
            ("sector", "'shelter'"),
            ("services", "0"),
            ("languages", "3"),
            ("open_24_7", "false"),
            ("female_staff", "true"),
            ("child_friendly", "false"),
            ("wheelchair_access", "false"),
            ("free_of_charge", "false"),
            ("no_police_report_required", "false"),
            ("country", "'KZ'"),
            ("region", "'KZ-A'"),
            ("district", "NULL"),
            ("recorded_on", "'2026-03-01'"),
            ("demo", "false"),
        ],
        other => panic!("{other}"),
    };
    row.into_iter().map(|(c, v)| (c, v.to_string())).collect()
}

/// An INSERT of a valid row of `table` with `column` set to `placeholder` (a column the
/// table does not have is added to the row).
fn insert_with(table: &str, column: &str, placeholder: &str) -> String {
    let mut values = valid_row(table);
    match values.iter_mut().find(|v| v.0 == column) {
        Some(v) => v.1 = placeholder.to_string(),
        None => values.push((
            IDENTIFYING_COLUMNS
                .iter()
                .copied()
                .find(|c| *c == column)
                .expect("a column to try"),
            placeholder.to_string(),
        )),
    }
    if table == "referrals" && column == "decline_reason" {
        for v in &mut values {
            if v.0 == "status" {
                v.1 = "'declined'".to_string();
            }
        }
    }
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        values.iter().map(|v| v.0).collect::<Vec<_>>().join(", "),
        values
            .iter()
            .map(|v| v.1.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The INSERT of a valid row of `table`.
fn valid_insert(table: &str) -> String {
    let row = valid_row(table);
    insert_with(table, row[0].0, &row[0].1)
}

/// Every INSERT the tables must refuse, as (what, SQL with the parameter `$1`, its
/// value): each bad value in its column, and a survivor's details in each column that
/// could hold them.
fn refused_inserts() -> Vec<(String, String, &'static str)> {
    let mut out = Vec::new();
    for table in ["referrals", "unmet_needs"] {
        for (column, value) in bad_values(table) {
            out.push((
                format!("{table}.{column} = {value:?}"),
                insert_with(table, column, "$1"),
                value,
            ));
        }
        for column in IDENTIFYING_COLUMNS {
            out.push((
                format!("{table}.{column}"),
                insert_with(table, column, "$1"),
                "Aigerim Bekova",
            ));
        }
    }
    out
}

/// PostgreSQL's spelling of booleans as SQLite's integers.
fn on_sqlite(sql: &str) -> String {
    sql.replace("true", "1").replace("false", "0")
}

#[tokio::test]
async fn the_sqlite_tables_hold_no_free_text_and_refuse_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tirek.sqlite");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_file(&path).await.unwrap());
    let app = setup_on(store).await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    // A valid row goes in: the refusals below are the values' and the columns'.
    for table in ["referrals", "unmet_needs"] {
        sqlx::query(sqlx::AssertSqlSafe(on_sqlite(&valid_insert(table))))
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    for (what, sql, value) in refused_inserts() {
        let result = sqlx::query(sqlx::AssertSqlSafe(on_sqlite(&sql)))
            .bind(value)
            .execute(&pool)
            .await;
        assert!(result.is_err(), "{what} was stored");
    }
    // The columns are exactly these: nothing to hold a name, a birth date, notes or a
    // place finer than a district (who recorded a referral is a staff account's name).
    for (table, expected) in [
        (
            "referrals",
            "accepted_on closed_on consent_to_share country decline_reason demo district from_organisation id made_by made_on region sector status to_facility to_organisation",
        ),
        (
            "unmet_needs",
            "child_friendly country demo district female_staff free_of_charge id languages no_police_report_required open_24_7 organisation recorded_on region sector services wheelchair_access",
        ),
    ] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY name"
        )))
        .fetch_all(&pool)
        .await
        .unwrap();
        let names: Vec<String> = rows
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "name"))
            .collect();
        assert_eq!(names.join(" "), expected, "{table}");
    }
    drop(app);
}

#[tokio::test]
async fn every_write_endpoint_refuses_fields_that_could_identify_and_stores_nothing() {
    let app = setup().await;
    let (_, made) = app
        .send(
            "POST",
            "/api/referrals",
            Some(CASEWORKER_A),
            body(&json!({"to_facility": "b-health", "sector": "health", "consent_to_share": true})),
        )
        .await;
    let id = made["id"].as_i64().unwrap();
    let forbidden: [(&str, Value); 12] = [
        ("name", json!("Aigerim Bekova")),
        ("survivor_name", json!("Aigerim")),
        ("birth_date", json!("1990-05-01")),
        ("age", json!(34)),
        ("case_number", json!("GBV-2026-0042")),
        ("case_id", json!("42")),
        ("notes", json!("lives with her mother-in-law")),
        ("text", json!("free text")),
        ("lon", json!(69.6)),
        ("lat", json!(42.3)),
        ("address", json!("Abay 5")),
        ("phone", json!("+7 700 000 0000")),
    ];
    let writes: [(String, Value, &str); 3] = [
        (
            "/api/referrals".into(),
            json!({"to_facility": "b-health", "sector": "health", "consent_to_share": true}),
            CASEWORKER_A,
        ),
        (
            format!("/api/referrals/{id}/status"),
            json!({"status": "accepted"}),
            EDITOR_B,
        ),
        (
            "/api/unmet-needs".into(),
            json!({"sector": "health", "area": "KZ-A", "services": ["cmr_pep"]}),
            CASEWORKER_A,
        ),
    ];
    let before = stored(&app).await;
    for (path, valid, token) in &writes {
        for (field, value) in &forbidden {
            let mut b = valid.clone();
            b[*field] = value.clone();
            let (status, answer) = app.send("POST", path, Some(token), body(&b)).await;
            assert_eq!(status, 400, "{path} with {field}: {answer}");
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("`{field}`")),
                "{path}: the message names {field}: {message}"
            );
            assert!(
                !message.contains("Aigerim") && !message.contains("Abay"),
                "an error never echoes the value: {message}"
            );
        }
    }
    assert_eq!(stored(&app).await, before, "nothing was stored or audited");
    let (status, r) = app
        .get_as_token(&format!("/api/referrals/{id}"), CASEWORKER_A)
        .await;
    assert_eq!((status.as_u16(), r["status"].as_str()), (200, Some("made")));
    // The valid bodies do go through.
    for (path, valid, token) in &writes {
        let (status, answer) = app.send("POST", path, Some(token), body(valid)).await;
        assert!(status.is_success(), "{path}: {answer}");
    }
}

#[tokio::test]
async fn accounts_without_an_organisation_and_the_public_get_clear_refusals() {
    let app = setup().await;
    let refer = json!({"to_facility": "b-health", "sector": "health", "consent_to_share": true});
    // CASEWORKER_TOKEN belongs to no organisation; the planner and admin neither.
    for token in [CASEWORKER_TOKEN, TOKEN, ADMIN_TOKEN] {
        let (status, answer) = app
            .send("POST", "/api/referrals", Some(token), body(&refer))
            .await;
        assert_eq!(status, 403, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("belongs to none"),
            "{answer}"
        );
        let (status, _) = app
            .send(
                "POST",
                "/api/unmet-needs",
                Some(token),
                body(&json!({"sector": "health", "area": "KZ-A"})),
            )
            .await;
        assert_eq!(status, 403);
    }
    let (status, _) = app.send("POST", "/api/referrals", None, body(&refer)).await;
    assert_eq!(status, 401);
    // Facility checks: unknown, no organisation to answer, a sector it does not serve.
    for (b, field) in [
        (
            json!({"to_facility": "nope", "sector": "health", "consent_to_share": true}),
            "to_facility",
        ),
        (
            json!({"to_facility": "orphan", "sector": "legal", "consent_to_share": true}),
            "to_facility",
        ),
        (
            json!({"to_facility": "c-police", "sector": "health", "consent_to_share": true}),
            "sector",
        ),
        (
            json!({"to_facility": "c-police", "sector": "police", "consent_to_share": true, "made_on": "2999-01-01"}),
            "made_on",
        ),
        // Two days ahead of the server's UTC date is no one's today.
        (
            json!({"to_facility": "c-police", "sector": "police", "consent_to_share": true,
                   "made_on": (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string()}),
            "made_on",
        ),
    ] {
        let (status, answer) = app
            .send("POST", "/api/referrals", Some(CASEWORKER_A), body(&b))
            .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(
            answer["error"]["details"]["errors"][0]["field"],
            json!(field)
        );
    }
    let (status, answer) = app
        .send(
            "POST",
            "/api/referrals",
            Some(CASEWORKER_A),
            body(&json!({"to_facility": "c-police", "sector": "police"})),
        )
        .await;
    assert_eq!(status, 400, "consent must be said: {answer}");
    assert_eq!(stored(&app).await.0, 0);
    // One day ahead is a caseworker's today east of Greenwich (UTC+5/+6) before the
    // server's UTC midnight: accepted.
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let (status, answer) = app
        .send(
            "POST",
            "/api/referrals",
            Some(CASEWORKER_A),
            body(&json!({"to_facility": "c-police", "sector": "police", "consent_to_share": true, "made_on": tomorrow})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["made_on"], json!(tomorrow));
}

/// `n` referrals from a to b's health centre, all accepted, in the current month.
async fn app_with_referrals(n: usize) -> TestApp {
    let app = setup().await;
    for _ in 0..n {
        let (status, r) = app
            .send("POST", "/api/referrals", Some(CASEWORKER_A), body(&json!({"to_facility": "b-health", "sector": "health", "consent_to_share": true})))
            .await;
        assert_eq!(status, 201, "{r}");
        let (status, _) = app
            .send(
                "POST",
                &format!("/api/referrals/{}/status", r["id"]),
                Some(EDITOR_B),
                body(&json!({"status": "accepted"})),
            )
            .await;
        assert_eq!(status, 200);
    }
    app
}

#[tokio::test]
async fn counts_of_four_are_suppressed_and_five_and_six_are_shown() {
    for (n, shown) in [(4u64, false), (5, true), (6, true)] {
        let app = app_with_referrals(n as usize).await;
        let (status, f) = app.get("/api/coordination/figures?level=1").await;
        assert_eq!(status, 200, "{f}");
        assert_eq!(f["audience"], "public");
        assert_eq!(f["suppressed_below"], 5);
        let area = &f["areas"][0];
        assert_eq!(area["code"], "KZ-A");
        let expected = if shown {
            json!({"count": n, "suppressed": false})
        } else {
            json!({"count": null, "suppressed": true})
        };
        for figures in [&area["total"], &area["months"][0]] {
            assert_eq!(figures["referrals_made"], expected, "{n}");
            assert_eq!(figures["referrals_accepted"], expected, "{n}");
            assert_eq!(figures["pathways"][0]["made"], expected);
            assert_eq!(
                figures["acceptance_rate"],
                if shown { json!(1.0) } else { Value::Null }
            );
            assert_eq!(
                figures["median_days_to_acceptance"],
                if shown { json!(0.0) } else { Value::Null }
            );
        }
        let kz = f["countries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["country"] == "KZ")
            .unwrap()
            .clone();
        assert_eq!(kz["referrals_accepted"], expected);
        // The same in CSV, for the public and by Accept header.
        for (uri, accept) in [
            ("/api/coordination/figures?format=csv", None),
            ("/api/coordination/figures", Some("text/csv")),
        ] {
            let (status, ctype, text) = raw(&app, uri, None, accept).await;
            assert_eq!(status, 200);
            assert!(ctype.starts_with("text/csv"), "{ctype}");
            let line = text
                .lines()
                .find(|l| {
                    l.contains(",KZ-A,")
                        && l.contains(",referrals_made,")
                        && l.split(',').nth(1) == Some("")
                })
                .unwrap();
            let value = line.rsplit(',').next().unwrap();
            assert_eq!(
                value,
                if shown {
                    n.to_string()
                } else {
                    "< 5".to_string()
                },
                "{line}"
            );
        }
        // A planner sees the count as it is, also by district level.
        let (_, planner) = app.get_as("/api/coordination/figures?level=2").await;
        assert_eq!(planner["audience"], "planner");
        assert_eq!(
            planner["areas"][0]["total"]["referrals_made"],
            json!({"count": n, "suppressed": false})
        );
        // The public may not ask for districts.
        let (status, _) = app.get("/api/coordination/figures?level=2").await;
        assert_eq!(status, 403);
    }
}

/// Every count object in `v`.
fn counts(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(map) => {
            if map.contains_key("suppressed") && map.contains_key("count") && map.len() == 2 {
                out.push(v.clone());
            } else {
                map.values().for_each(|x| counts(x, out));
            }
        }
        Value::Array(items) => items.iter().for_each(|x| counts(x, out)),
        _ => {}
    }
}

fn hidden(c: &Value) -> bool {
    c["suppressed"] == json!(true)
}

/// No sum with a shown total has exactly one hidden part (so none can be recovered by
/// subtraction), and no hidden total can be added up from shown parts.
fn assert_no_lone_hidden(total: &Value, parts: &[&Value], what: &str) {
    let hidden_parts = parts.iter().filter(|p| hidden(p)).count();
    let unknowns = hidden_parts + usize::from(hidden(total));
    assert_ne!(
        unknowns, 1,
        "{what}: one hidden count among shown ones: {total} = {parts:?}"
    );
    if unknowns == 0 {
        let sum: u64 = parts.iter().map(|p| p["count"].as_u64().unwrap()).sum();
        assert_eq!(
            total["count"].as_u64().unwrap(),
            sum,
            "{what}: the parts add up"
        );
    }
}

#[tokio::test]
async fn the_public_figures_on_the_demo_data_leak_nothing() {
    let app = crate::trust::app_with_defaults().await;
    let store = app.state.registry.store();
    let referrals = store.referrals(None, None, None).await.unwrap();
    assert_eq!(referrals.len(), tirek::registry::demo_logs::DEMO_REFERRALS);
    assert!(referrals.iter().all(|r| r.demo));
    assert_eq!(
        store.unmet_needs(None).await.unwrap().len(),
        tirek::registry::demo_logs::DEMO_UNMET_NEEDS
    );
    let shelters: Vec<String> = app
        .state
        .registry
        .index()
        .facilities()
        .map(|r| r.decode())
        .filter(|f| f.confidential)
        .map(|f| f.id)
        .collect();
    assert!(
        referrals.iter().any(|r| shelters.contains(&r.to_facility)),
        "the demo refers to shelters too"
    );

    // Record-level endpoints: nothing for the unsigned, and no CSV below admin.
    for uri in [
        "/api/referrals",
        "/api/referrals?scope=all",
        "/api/referrals/1",
        "/api/unmet-needs",
        "/api/unmet-needs?format=csv",
        "/api/referrals?format=csv",
    ] {
        let (status, _, text) = raw(&app, uri, None, None).await;
        assert_eq!(status, 401, "{uri}: {text}");
        assert!(!text.contains("demo-"), "{uri}");
    }
    for uri in [
        "/api/referrals?format=csv&scope=all",
        "/api/unmet-needs?format=csv",
    ] {
        let (status, _, _) = raw(&app, uri, Some(TOKEN), None).await;
        assert_eq!(status, 403, "{uri}: record-level export is for admins");
        let (status, ctype, text) = raw(&app, uri, Some(ADMIN_TOKEN), None).await;
        assert_eq!(status, 200, "{uri}");
        assert!(
            ctype.starts_with("text/csv") && text.lines().count() > 400,
            "{uri}"
        );
    }
    let (status, _, _) = raw(&app, "/api/referrals", Some(CASEWORKER_TOKEN), None).await;
    assert_eq!(status, 403, "a caseworker of no organisation lists nothing");

    // The public figures, every way they can be asked for, for anyone below a planner.
    let year = chrono::Utc::now().date_naive().format("%Y").to_string();
    // Last year is whole in the demo data (this one may have begun days ago).
    let last_year = (year.parse::<i32>().unwrap() - 1).to_string();
    let mut any_shown = false;
    let mut any_hidden = false;
    for token in [None, Some(CASEWORKER_TOKEN)] {
        for query in [
            "",
            "?level=0",
            "?level=1",
            "?level=1&area=KZ",
            "?area=UZ-TO",
            &format!("?year={year}"),
            &format!("?year={last_year}"),
            &format!("?level=0&year={last_year}"),
        ] {
            let uri = format!("/api/coordination/figures{query}");
            let (status, _, text) = raw(&app, &uri, token, None).await;
            assert_eq!(status, 200, "{uri}: {text}");
            let f: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(f["audience"], "public");
            let mut all = Vec::new();
            counts(&f, &mut all);
            for c in &all {
                match c["count"].as_u64() {
                    Some(n) => {
                        assert!(n == 0 || n >= 5, "{uri}: a count of {n} is shown");
                        assert_eq!(c["suppressed"], false);
                        any_shown |= n >= 5;
                    }
                    None => {
                        assert_eq!(c["suppressed"], true);
                        any_hidden = true;
                    }
                }
            }
            // No facility id, no district, no rate of a hidden count.
            assert!(
                !text.contains("-health-0")
                    && !text.contains("-shelter")
                    && !text.contains("-police-0"),
                "{uri}: a facility id"
            );
            for s in &shelters {
                assert!(!text.contains(s.as_str()), "{uri}: {s}");
            }
            for area in f["areas"].as_array().unwrap() {
                assert!(area["level"].as_u64().unwrap() <= 1, "{uri}");
                for fig in area["months"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .chain([&area["total"]])
                {
                    if hidden(&fig["referrals_made"]) || hidden(&fig["referrals_accepted"]) {
                        assert!(
                            fig["acceptance_rate"].is_null(),
                            "{uri}: a rate of hidden counts"
                        );
                    }
                    if hidden(&fig["referrals_accepted"]) {
                        assert!(fig["median_days_to_acceptance"].is_null());
                    }
                    let code = area["code"].as_str().unwrap();
                    let pathways: Vec<&Value> = fig["pathways"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| &p["made"])
                        .collect();
                    assert_no_lone_hidden(
                        &fig["referrals_made"],
                        &pathways,
                        &format!("{code} made"),
                    );
                    let accepted: Vec<&Value> = fig["pathways"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| &p["accepted"])
                        .collect();
                    assert_no_lone_hidden(
                        &fig["referrals_accepted"],
                        &accepted,
                        &format!("{code} accepted"),
                    );
                    let declines: Vec<&Value> = fig["declines"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| &d["count"])
                        .collect();
                    assert_no_lone_hidden(&fig["declined"], &declines, &format!("{code} declines"));
                    let unmet: Vec<&Value> = fig["unmet_by_sector"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| &d["count"])
                        .collect();
                    assert_no_lone_hidden(&fig["unmet_needs"], &unmet, &format!("{code} unmet"));
                }
                // The months add up to the year.
                for measure in [
                    "referrals_made",
                    "referrals_accepted",
                    "declined",
                    "unmet_needs",
                ] {
                    let months: Vec<&Value> = area["months"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|m| &m[measure])
                        .collect();
                    assert_no_lone_hidden(
                        &area["total"][measure],
                        &months,
                        &format!("{} {measure} by month", area["code"]),
                    );
                }
            }
            // The regions add up to their country (the whole table, whatever was asked).
            if query.is_empty() {
                for c in f["countries"].as_array().unwrap() {
                    let regions: Vec<&Value> = f["areas"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|a| a["country"] == c["country"])
                        .map(|a| &a["total"]["referrals_made"])
                        .collect();
                    assert_no_lone_hidden(
                        &c["referrals_made"],
                        &regions,
                        &format!("{} by region", c["country"]),
                    );
                }
            }
            // The CSV says the same: "< 5", never a small number.
            let (status, _, csv) = raw(
                &app,
                &format!(
                    "{uri}{}format=csv",
                    if query.is_empty() { "?" } else { "&" }
                ),
                token,
                None,
            )
            .await;
            assert_eq!(status, 200);
            for line in csv.lines().skip(1) {
                let fields: Vec<&str> = line.split(',').collect();
                let (measure, value) = (fields[fields.len() - 6], fields[fields.len() - 1]);
                if measure.contains("rate")
                    || measure.contains("median")
                    || measure.contains("population")
                    || measure.contains("per_100k")
                {
                    continue;
                }
                assert!(
                    value == "< 5" || value.parse::<u64>().is_ok_and(|n| n == 0 || n >= 5),
                    "{uri} CSV: {line}"
                );
            }
        }
    }
    assert!(
        any_shown && any_hidden,
        "the demo data shows some counts ≥ 5 and some \"< 5\""
    );
    // Referrals to shelters are not in the public figures, but are in the planners'.
    let (_, planner) = app
        .get_as(&format!("/api/coordination/figures?level=0&year={year}"))
        .await;
    let (_, public) = app
        .get(&format!("/api/coordination/figures?level=0&year={year}"))
        .await;
    assert_eq!(
        public["years"],
        json!([
            last_year.parse::<i32>().unwrap(),
            year.parse::<i32>().unwrap()
        ])
    );
    let total = |f: &Value| -> u64 {
        f["countries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["referrals_made"]["count"].as_u64())
            .sum()
    };
    let in_year: Vec<_> = referrals
        .iter()
        .filter(|r| r.made_on.format("%Y").to_string() == year)
        .collect();
    assert_eq!(total(&planner), in_year.len() as u64);
    let public_total = total(&public);
    let not_shelters = in_year
        .iter()
        .filter(|r| !shelters.contains(&r.to_facility))
        .count() as u64;
    assert!(
        public_total <= not_shelters && public_total + 60 > not_shelters / 2,
        "{public_total} of {not_shelters}"
    );
}

#[tokio::test]
async fn the_nearest_answer_names_the_area_to_record_an_unmet_need_against() {
    let app = setup().await;
    let (status, answer) = app.get("/api/nearest?lon=60.5&lat=40.5").await;
    assert_eq!(status, 200);
    assert_eq!(answer["area"], Value::Null, "the public's answers skip it");
    let (status, answer) = app
        .get_as_token("/api/nearest?lon=60.5&lat=40.5", CASEWORKER_A)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["area"],
        json!({"code": "KZ-A", "name": "Area KZ-A", "level": 1})
    );
    let (_, answer) = app
        .get_as_token("/api/nearest?lon=10&lat=10", CASEWORKER_A)
        .await;
    assert_eq!(answer["area"], Value::Null);
    // Districts loaded: the finest area is the district.
    app.state
        .registry
        .replace_areas(
            2,
            &[square("KZ-A-1", 2, Some("KZ-A"), (60.0, 40.0, 60.7, 40.7))],
            "test",
        )
        .await
        .unwrap();
    let (_, answer) = app
        .get_as_token("/api/nearest?lon=60.5&lat=40.5", CASEWORKER_A)
        .await;
    assert_eq!(answer["area"]["code"], "KZ-A-1");
    let need = json!({"sector": "health", "area": answer["area"]["code"], "services": ["cmr_pep"], "open_24_7": true});
    let (status, recorded) = app
        .send("POST", "/api/unmet-needs", Some(CASEWORKER_A), body(&need))
        .await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(
        recorded["area"],
        json!({"country": "KZ", "region": "KZ-A", "district": "KZ-A-1"})
    );
    // The planner sees it by district, the public by region only.
    let (_, planner) = app.get_as("/api/coordination/figures?level=2").await;
    assert_eq!(planner["areas"][0]["code"], "KZ-A-1");
    let (_, public) = app.get("/api/coordination/figures").await;
    assert_eq!(public["areas"][0]["code"], "KZ-A");
    assert_eq!(
        public["areas"][0]["total"]["unmet_needs"],
        json!({"count": null, "suppressed": true})
    );
}

#[test]
fn the_command_line_exports_public_figures_and_records_for_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, csv, err) = crate::trust::tirek(dir.path(), &["referrals", "export"]);
    assert!(ok, "{err}");
    assert!(
        csv.starts_with("year,month,area_code,area_name,area_level,country,measure"),
        "{csv}"
    );
    assert!(csv.contains(",< 5"), "small counts are hidden by default");
    for line in csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",referrals_made,"))
    {
        let value = line.rsplit(',').next().unwrap();
        assert!(
            value == "< 5" || value.parse::<u64>().is_ok_and(|n| n == 0 || n >= 5),
            "{line}"
        );
    }
    let (ok, _, err) = crate::trust::tirek(dir.path(), &["referrals", "export", "--level", "2"]);
    assert!(!ok && err.contains("--unsuppressed"), "{err}");
    let out = dir.path().join("records.csv");
    let (ok, _, err) = crate::trust::tirek(
        dir.path(),
        &[
            "referrals",
            "export",
            "--records",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let records = std::fs::read_to_string(&out).unwrap();
    assert!(records.starts_with(
        "id,from_organisation,to_facility,to_organisation,sector,made_on,consent_to_share,status"
    ));
    assert_eq!(
        records.lines().count(),
        tirek::registry::demo_logs::DEMO_REFERRALS + 1
    );
    let (ok, needs, _) = crate::trust::tirek(
        dir.path(),
        &["referrals", "export", "--records", "--unmet-needs"],
    );
    assert!(ok && needs.starts_with("id,organisation,sector,services"));
    let (ok, planner, _) = crate::trust::tirek(
        dir.path(),
        &["referrals", "export", "--unsuppressed", "--level", "2"],
    );
    assert!(ok && !planner.contains("< 5"));
}
