//! Cross-site request forgery: a browser that holds a staff member's session cookie must
//! not be made to write by another site (or a sibling site), and every endpoint that
//! reads a body takes only the media types it documents.

use crate::support::{TOKEN, TestApp, collection, feature};
use serde_json::{Value, json};
use tirek::model::Role;

/// A planner who chose a password and signed in: the session secret.
async fn planner_session(app: &TestApp) -> String {
    let accounts = &app.state.accounts;
    let one_time = accounts.add("pia", Role::Planner, "admin").await.unwrap();
    let (secret, _) = accounts
        .change_password("pia", &one_time, "a long and private phrase", None)
        .await
        .unwrap();
    secret
}

/// Sends `body` as raw text with `content_type` and the session cookie.
async fn forged(
    app: &TestApp,
    method: &str,
    uri: &str,
    session: &str,
    content_type: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "tirek.test")
        .header("cookie", format!("tirek_session={session}"))
        .header("content-type", content_type);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = tirek::app(app.state.clone())
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn another_site_cannot_write_with_a_planners_cookie() {
    let app = TestApp::new().await;
    let session = planner_session(&app).await;
    let kept = feature("kept", &["health"], 68.0, 43.0);
    assert_eq!(app.import(&collection(vec![kept])).await.0, 200);
    let f = |id: &str| feature(id, &["health"], 68.25, 43.3).to_string();
    let csv = "id,name,sectors,lon,lat,country\nforged-csv,Forged,health,68.2,43.3,KZ\n";
    let cross_site = [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    let same_site = [
        ("origin", "https://maps.tirek.test"),
        ("sec-fetch-site", "same-site"),
    ];
    let origin_only = [("origin", "https://evil.example")];
    let null_origin = [("origin", "null")];
    let site_only = [("sec-fetch-site", "cross-site")];
    for headers in [
        &cross_site[..],
        &same_site[..],
        &origin_only[..],
        &null_origin[..],
        &site_only[..],
        &[][..],
    ] {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json",
        ] {
            for (method, uri, body) in [
                ("POST", "/api/facilities", f("forged")),
                ("PUT", "/api/facilities/forged", f("forged")),
                ("DELETE", "/api/facilities/kept", String::new()),
                ("POST", "/api/import", csv.to_string()),
                ("POST", "/api/import", collection(vec![feature("forged-gj", &["health"], 68.2, 43.3)]).to_string()),
                ("POST", "/api/tokens", json!({"label": "forged"}).to_string()),
                ("POST", "/api/password", json!({"current": "a long and private phrase", "new": "an attacker's choice 123"}).to_string()),
                ("POST", "/api/logout", String::new()),
            ] {
                let (status, answer) =
                    forged(&app, method, uri, &session, content_type, &body, headers).await;
                assert!(
                    status == 403 || status == 415,
                    "{method} {uri} {content_type} {headers:?}: {status} {answer}"
                );
                assert!(answer["error"]["code"].is_string(), "{answer}");
            }
        }
    }
    // Nothing was written: no facility, no token, the password unchanged.
    let (_, listed) = app.get_as("/api/facilities").await;
    let ids: Vec<&str> = listed["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["kept"]);
    let audit = app.state.registry.store().audit_log(0, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .all(|e| e.entity_id != "pia" || e.action != "token.create"),
        "{audit:?}"
    );
    assert!(
        app.state
            .accounts
            .sign_in("pia", "a long and private phrase", None)
            .await
            .is_ok()
    );
    // The page itself (same origin) still writes with the cookie.
    let page = [
        ("origin", "http://tirek.test"),
        ("sec-fetch-site", "same-origin"),
    ];
    let (status, answer) = forged(
        &app,
        "POST",
        "/api/facilities",
        &session,
        "application/json",
        &f("legit"),
        &page,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    // Fetch from the page's own origin without Sec-Fetch-Site (older browsers): fine too.
    let (status, answer) = forged(
        &app,
        "DELETE",
        "/api/facilities/legit",
        &session,
        "application/json",
        "",
        &page[..1],
    )
    .await;
    assert_eq!(status, 204, "{answer}");
    // A bearer token is not a browser credential: no Origin rule, content types still.
    let (status, answer) = app
        .send(
            "POST",
            "/api/facilities",
            Some(TOKEN),
            Some(f("scripted").into_bytes()),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
}

/// The configured public origin (behind a proxy that rewrites `Host`) is the one allowed.
#[tokio::test]
async fn a_configured_public_origin_replaces_the_host() {
    let mut app = TestApp::new().await;
    let mut settings = tirek::Settings::clone(&app.state.settings);
    settings.public_origins =
        tirek::api::PublicOrigins::parse("https://tirek.example.org").unwrap();
    app.state.settings = std::sync::Arc::new(settings);
    let session = planner_session(&app).await;
    let body = feature("proxied", &["health"], 68.25, 43.3).to_string();
    let (status, answer) = forged(
        &app,
        "POST",
        "/api/facilities",
        &session,
        "application/json",
        &body,
        &[("origin", "http://tirek.test")],
    )
    .await;
    assert_eq!(status, 403, "the Host is not the public origin: {answer}");
    let (status, answer) = forged(
        &app,
        "POST",
        "/api/facilities",
        &session,
        "application/json",
        &body,
        &[("origin", "https://tirek.example.org")],
    )
    .await;
    assert_eq!(status, 201, "{answer}");
}

/// Every documented request body, with every documented media type, passes the media
/// type check; anything else (or none) is a JSON 415.
#[tokio::test]
async fn bodies_need_the_media_types_the_api_documents() {
    let app = TestApp::new().await;
    let (status, spec) = app.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    let mut checked = 0;
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let Some(content) = operation["requestBody"]["content"].as_object() else {
                continue;
            };
            let uri = path.replace("{id}", "some-id");
            let method = method.to_uppercase();
            for bad in [
                Some("text/plain"),
                Some("application/x-www-form-urlencoded"),
                Some("multipart/form-data; boundary=x"),
                None,
            ] {
                let (status, answer) = raw(&app, &method, &uri, bad, "{}").await;
                assert_eq!(status, 415, "{method} {uri} {bad:?}: {answer}");
                assert_eq!(answer["error"]["code"], "unsupported_media_type");
            }
            for documented in content.keys() {
                let (status, answer) = raw(&app, &method, &uri, Some(documented), "{}").await;
                assert_ne!(status, 415, "{method} {uri} {documented}: {answer}");
                let with_charset = format!("{documented}; charset=utf-8");
                let (status, answer) = raw(&app, &method, &uri, Some(&with_charset), "{}").await;
                assert_ne!(status, 415, "{method} {uri} {with_charset}: {answer}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} request bodies documented");
}

/// A request with the planner's bearer token and the given media type.
async fn raw(
    app: &TestApp,
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: &str,
) -> (u16, Value) {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {TOKEN}"));
    if let Some(t) = content_type {
        req = req.header("content-type", t);
    }
    let resp = tirek::app(app.state.clone())
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}
