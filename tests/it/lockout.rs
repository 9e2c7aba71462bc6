//! Sign-in limits: an outsider can neither guess a staff password nor lock staff out,
//! directly or behind the recommended TLS proxy.

use crate::support::TestApp;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use serde_json::json;
use std::net::SocketAddr;
use tirek::model::Role;
use tower::ServiceExt;

const PASSWORD: &str = "a long and private phrase";

/// `POST /api/login` over a connection from `peer`, with `X-Forwarded-For` lines.
async fn login(app: &TestApp, peer: &str, forwarded: &[&str], user: &str, password: &str) -> u16 {
    let mut req = Request::post("/api/login")
        .header("content-type", "application/json")
        .extension(ConnectInfo(
            format!("{peer}:40000").parse::<SocketAddr>().unwrap(),
        ));
    for f in forwarded {
        req = req.header("x-forwarded-for", *f);
    }
    let body = json!({"username": user, "password": password}).to_string();
    let resp = tirek::app(app.state.clone())
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    resp.status().as_u16()
}

/// An account with a chosen password that has signed in once from `home`.
async fn staff(app: &TestApp, name: &str, home: &str, forwarded: &[&str]) {
    let one_time = app
        .state
        .accounts
        .add(name, Role::Caseworker, "admin")
        .await
        .unwrap();
    app.state
        .accounts
        .change_password(name, &one_time, PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(login(app, home, forwarded, name, PASSWORD).await, 200);
}

#[tokio::test]
async fn an_attacker_cannot_lock_staff_out_nor_keep_guessing() {
    let app = TestApp::new().await;
    staff(&app, "amina", "198.51.100.7", &[]).await;
    staff(&app, "bota", "198.51.100.7", &[]).await;
    let attacker = "203.0.113.9";
    // Guessing amina's password from one address: 5 tries, then locked for that address,
    // even with the right password (the lock tells nothing about the password).
    for _ in 0..5 {
        assert_eq!(login(&app, attacker, &[], "amina", "guess").await, 401);
    }
    assert_eq!(login(&app, attacker, &[], "amina", PASSWORD).await, 429);
    // Spraying other names from the same address: locked after 30 failures in all.
    let mut refused = 0;
    for i in 0..40 {
        match login(&app, attacker, &[], &format!("user{i}"), "guess").await {
            401 => {}
            429 => refused += 1,
            other => panic!("{other}"),
        }
    }
    assert_eq!(refused, 15, "5 + 25 failures allowed, then 429");
    assert_eq!(login(&app, attacker, &[], "bota", PASSWORD).await, 429);
    // The staff sign in as usual, from where they work and from a new address.
    assert_eq!(
        login(&app, "198.51.100.7", &[], "amina", PASSWORD).await,
        200
    );
    assert_eq!(
        login(&app, "198.51.100.7", &[], "bota", PASSWORD).await,
        200
    );
    assert_eq!(login(&app, "192.0.2.44", &[], "bota", PASSWORD).await, 200);

    // A distributed guess against one name: 20 failures from as many addresses, then
    // the name is closed to new addresses, but not where its owner signs in.
    for i in 0..20 {
        let bot = format!("203.0.114.{i}");
        assert_eq!(login(&app, &bot, &[], "bota", "guess").await, 401);
    }
    assert_eq!(login(&app, "203.0.115.1", &[], "bota", PASSWORD).await, 429);
    assert_eq!(
        login(&app, "198.51.100.7", &[], "bota", PASSWORD).await,
        200
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_limits_follow_the_real_client() {
    let mut app = TestApp::new().await;
    let mut settings = tirek::Settings::clone(&app.state.settings);
    settings.trusted_proxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
    app.state.settings = std::sync::Arc::new(settings);
    let proxy = "127.0.0.1";
    staff(&app, "amina", proxy, &["198.51.100.7"]).await;
    // Everyone reaches Tirek through the proxy; the attacker's failures (each name
    // once, even claiming to be amina's address on the left) count against the
    // attacker's own address only.
    for i in 0..40 {
        let status = login(
            &app,
            proxy,
            &["198.51.100.7, 203.0.113.9", "10.0.0.2"],
            &format!("user{i}"),
            "guess",
        )
        .await;
        assert!(status == 401 || status == 429, "{status}");
    }
    assert_eq!(
        login(&app, proxy, &["203.0.113.9"], "amina", PASSWORD).await,
        429
    );
    // A colleague who never signed in before, and amina, from their own addresses.
    staff(&app, "bota", proxy, &["192.0.2.10"]).await;
    assert_eq!(
        login(&app, proxy, &["198.51.100.7"], "amina", PASSWORD).await,
        200
    );
    // From a peer that is not a trusted proxy the header proves nothing: the peer counts.
    for i in 0..30 {
        login(
            &app,
            "192.0.2.99",
            &["198.51.100.7"],
            &format!("x{i}"),
            "guess",
        )
        .await;
    }
    assert_eq!(
        login(&app, "192.0.2.99", &["192.0.2.10"], "bota", PASSWORD).await,
        429
    );
    assert_eq!(
        login(&app, proxy, &["198.51.100.7"], "amina", PASSWORD).await,
        200
    );
}
