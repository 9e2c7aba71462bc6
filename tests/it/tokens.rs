//! API tokens: none for an account still on its one-time password, none minted by a
//! token, and none outliving a password or role change.

use crate::security::{session_of, with_cookie};
use crate::support::{TestApp, collection, feature, register_token};
use serde_json::json;
use tirek::model::Role;

const PASSWORD: &str = "a long and private phrase";

/// An account with a chosen password, and a session of it.
async fn signed_in(app: &TestApp, name: &str, role: Role) -> String {
    let one_time = app.state.accounts.add(name, role, "admin").await.unwrap();
    let (status, cookie, body) = with_cookie(
        app,
        "POST",
        "/api/login",
        None,
        Some(json!({"username": name, "password": one_time})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, cookie, body) = with_cookie(
        app,
        "POST",
        "/api/password",
        Some(&session_of(&cookie.unwrap())),
        Some(json!({"current": one_time, "new": PASSWORD})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    session_of(&cookie.unwrap())
}

/// A token minted through the API with `session`.
async fn mint(app: &TestApp, session: &str) -> String {
    let (status, _, body) = with_cookie(
        app,
        "POST",
        "/api/tokens",
        Some(session),
        Some(json!({"label": "sync"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// What `token` may do: (status of reading the confidential shelter, status of a write).
async fn powers(app: &TestApp, token: &str) -> (u16, u16) {
    let (read, _) = app
        .send("GET", "/api/facilities/hidden", Some(token), None)
        .await;
    let body = feature("probe", &["health"], 68.0, 43.0).to_string();
    let (write, _) = app
        .send(
            "POST",
            "/api/facilities",
            Some(token),
            Some(body.into_bytes()),
        )
        .await;
    if write.as_u16() == 201 {
        app.send("DELETE", "/api/facilities/probe", Some(token), None)
            .await;
    }
    (read.as_u16(), write.as_u16())
}

async fn with_shelter() -> TestApp {
    let app = TestApp::new().await;
    let mut shelter = feature("hidden", &["shelter"], 69.5, 42.5);
    shelter["properties"]["confidential"] = json!(true);
    assert_eq!(app.import(&collection(vec![shelter])).await.0, 200);
    app
}

#[tokio::test]
async fn no_token_acts_for_an_account_on_its_one_time_password() {
    let app = with_shelter().await;
    app.state
        .accounts
        .add("newbie", Role::Planner, "admin")
        .await
        .unwrap();
    // The operator's `tirek user token` (the library call behind it) refuses.
    let refused = app
        .state
        .accounts
        .issue_token("newbie", "sync", "cli:ops")
        .await;
    assert!(
        matches!(
            refused,
            Err(tirek::auth::AuthError::OneTimePasswordPending(_))
        ),
        "{refused:?}"
    );
    // A token that exists anyway (issued before this rule) acts as the public.
    register_token(
        app.state.registry.store().as_ref(),
        "newbie",
        Role::Planner,
        "old-token-of-newbie-0123456789",
    )
    .await;
    let mut account = app
        .state
        .registry
        .store()
        .account("newbie")
        .await
        .unwrap()
        .unwrap();
    assert!(account.must_change);
    assert_eq!(
        powers(&app, "old-token-of-newbie-0123456789").await,
        (404, 403)
    );
    // Once the owner chose a password, tokens work with the role.
    account.must_change = false;
    app.state
        .registry
        .store()
        .put_account(&account, "user.password", "newbie")
        .await
        .unwrap();
    let token = app
        .state
        .accounts
        .issue_token("newbie", "sync", "cli:ops")
        .await
        .unwrap();
    assert_eq!(powers(&app, &token).await, (200, 201));
}

#[tokio::test]
async fn a_token_cannot_mint_tokens() {
    let app = with_shelter().await;
    let session = signed_in(&app, "pia", Role::Planner).await;
    let token = mint(&app, &session).await;
    let (status, body) = app
        .send(
            "POST",
            "/api/tokens",
            Some(&token),
            Some(json!({"label": "more"}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let log = app.state.registry.store().audit_log(0, 1000).await.unwrap();
    let minted = log
        .iter()
        .filter(|e| e.entity_id == "pia" && e.action == "token.create")
        .count();
    assert_eq!(minted, 1);
}

#[tokio::test]
async fn password_and_role_changes_revoke_tokens() {
    let app = with_shelter().await;
    let accounts = &app.state.accounts;
    let session = signed_in(&app, "pia", Role::Planner).await;

    // A password change through the API.
    let token = mint(&app, &session).await;
    assert_eq!(powers(&app, &token).await, (200, 201));
    let (status, cookie, body) = with_cookie(
        &app,
        "POST",
        "/api/password",
        Some(&session),
        Some(json!({"current": PASSWORD, "new": "another long private phrase"})),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(powers(&app, &token).await, (401, 401));
    let session = session_of(&cookie.unwrap());

    // A role change (by an admin, on the command line or otherwise).
    let token = mint(&app, &session).await;
    accounts
        .set_role("pia", Role::Caseworker, "admin")
        .await
        .unwrap();
    assert_eq!(powers(&app, &token).await, (401, 401));

    // A reset to a one-time password.
    let session = signed_in(&app, "dana", Role::Planner).await;
    let token = mint(&app, &session).await;
    accounts.reset("dana", "admin").await.unwrap();
    assert_eq!(powers(&app, &token).await, (401, 401));

    let log = app.state.registry.store().audit_log(0, 1000).await.unwrap();
    let revoked: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.action == "token.revoke")
        .map(|e| (e.entity_id.as_str(), e.after.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(revoked.len(), 3, "{revoked:?}");
    assert!(revoked[0].1.contains("user.password"), "{revoked:?}");
    assert!(revoked[1].1.contains("user.role"), "{revoked:?}");
    assert!(revoked[2].1.contains("user.reset"), "{revoked:?}");
}
