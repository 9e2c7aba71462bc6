//! One storage suite, run against SQLite and PostgreSQL.

use crate::support::{PgDatabase, feature};
use chrono::SubsecRound;
use std::collections::BTreeMap;
use std::sync::Arc;
use tirek::model::{Area, Facility, Settlement};
use tirek::store::{PostgresStore, SqliteStore, Store, StoreError};

fn facility(id: &str, sector: &str, lon: f64, lat: f64) -> Facility {
    Facility::from_feature(&feature(id, &[sector], lon, lat)).unwrap()
}

async fn suite(store: Arc<dyn Store>) {
    assert_eq!(store.version().await.unwrap(), 0);
    assert!(store.facilities().await.unwrap().is_empty());

    let a = facility("a", "health", 68.25, 43.3);
    store.insert_facility(&a, "tester").await.unwrap();
    assert_eq!(store.facility("a").await.unwrap(), Some(a.clone()));
    assert!(matches!(
        store.insert_facility(&a, "tester").await,
        Err(StoreError::Conflict(_))
    ));
    let v1 = store.version().await.unwrap();
    assert!(v1 > 0);

    let mut changed = a.clone();
    changed.name = "Renamed — Переименовано".into();
    store.update_facility(&changed, "tester").await.unwrap();
    assert_eq!(
        store.facility("a").await.unwrap().unwrap().name,
        changed.name
    );
    assert!(matches!(
        store
            .update_facility(&facility("zz", "police", 0.0, 0.0), "tester")
            .await,
        Err(StoreError::NotFound(_))
    ));

    // A batch is one transaction: all of it or none of it; long ones report progress.
    let batch: Vec<Facility> = (0..5_050)
        .map(|i| {
            facility(
                &format!("b{i:04}"),
                "police",
                60.0 + f64::from(i) * 0.001,
                45.0,
            )
        })
        .collect();
    let written = Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = written.clone();
    let report = move |n: usize| heard.lock().unwrap().push(n);
    store
        .upsert_facilities(&batch, Some(&report), "importer")
        .await
        .unwrap();
    assert_eq!(store.facilities().await.unwrap().len(), 5_051);
    assert_eq!(*written.lock().unwrap(), vec![5_000]);

    // Bulk writes go in batches of statements; an id repeated in one batch is written
    // in order, each write audited against the one before it.
    let seq = store.version().await.unwrap();
    let audited = store.audit_log(0, 100_000).await.unwrap().len();
    let mut again = facility("b0001", "health", 61.0, 45.5);
    again.name = "Second".into();
    let mut third = facility("b0001", "shelter", 61.5, 45.5);
    third.name = "Third".into();
    let mixed = vec![
        facility("c0001", "police", 62.0, 45.0),
        again,
        facility("c0002", "police", 62.1, 45.0),
        third.clone(),
    ];
    store.upsert_facilities(&mixed, None, "bulk").await.unwrap();
    assert_eq!(store.facility("b0001").await.unwrap(), Some(third));
    let log = store.audit_log(0, 100_000).await.unwrap();
    let entries: Vec<(&str, &str, Option<String>, Option<String>)> = log[audited..]
        .iter()
        .map(|e| {
            let name = |doc: &Option<String>| {
                doc.as_ref().map(|d| {
                    serde_json::from_str::<serde_json::Value>(d).unwrap()["name"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
            };
            (
                e.action.as_str(),
                e.entity_id.as_str(),
                name(&e.before),
                name(&e.after),
            )
        })
        .collect();
    let seen = |s: &str| Some(s.to_string());
    assert_eq!(
        entries,
        vec![
            ("create", "c0001", None, seen("Facility c0001")),
            ("update", "b0001", seen("Facility b0001"), seen("Second")),
            ("create", "c0002", None, seen("Facility c0002")),
            ("update", "b0001", seen("Second"), seen("Third")),
        ]
    );
    let logged: Vec<String> = store
        .changes_since(seq)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.entity_id)
        .collect();
    assert_eq!(logged, ["c0001", "b0001", "c0002", "b0001"]);

    store.delete_facility("a", "tester").await.unwrap();
    assert!(store.facility("a").await.unwrap().is_none());
    assert!(matches!(
        store.delete_facility("a", "tester").await,
        Err(StoreError::NotFound(_))
    ));

    let changes = store.changes_since(v1).await.unwrap();
    assert_eq!(changes.first().map(|c| c.entity_id.as_str()), Some("a"));
    assert_eq!(changes.last().map(|c| c.op.as_str()), Some("delete"));
    assert_eq!(
        changes.last().map(|c| c.seq),
        Some(store.version().await.unwrap())
    );

    let square = geo::MultiPolygon(vec![geo::Polygon::new(
        geo::LineString::from(vec![
            (60.0, 40.0),
            (61.0, 40.0),
            (61.0, 41.0),
            (60.0, 41.0),
            (60.0, 40.0),
        ]),
        vec![],
    )]);
    let area = Area {
        code: "KZ-TEST".into(),
        level: 1,
        parent: Some("KZ".into()),
        name: "Test".into(),
        names: BTreeMap::from([("ru".to_string(), "Тест".to_string())]),
        geometry: square,
    };
    store
        .replace_areas(1, std::slice::from_ref(&area), "tester")
        .await
        .unwrap();
    assert_eq!(store.areas(Some(1)).await.unwrap(), vec![area.clone()]);
    assert!(store.areas(Some(2)).await.unwrap().is_empty());
    store.replace_areas(1, &[], "tester").await.unwrap();
    assert!(store.areas(None).await.unwrap().is_empty());

    let s = Settlement {
        id: "gn:1".into(),
        name: "Shymkent".into(),
        name_ru: Some("Шымкент".into()),
        alt_names: vec!["Chimkent".into()],
        lon: 69.6,
        lat: 42.3,
        population: 1_200_000.0,
        country: Some("KZ".into()),
        adm1: None,
        adm2: None,
    };
    store
        .replace_settlements(std::slice::from_ref(&s), "tester")
        .await
        .unwrap();
    assert_eq!(store.settlements().await.unwrap(), vec![s]);

    // The audit log: every write above, with who and the record before and after.
    let audit = store.audit_log(0, 100_000).await.unwrap();
    let actions: Vec<(&str, &str, &str)> = audit
        .iter()
        .filter(|e| e.entity_id == "a" || e.entity_kind != "facility")
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.entity_kind.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("tester", "create", "facility"),
            ("tester", "update", "facility"),
            ("tester", "delete", "facility"),
            ("tester", "replace", "area"),
            ("tester", "replace", "area"),
            ("tester", "replace", "settlement"),
        ]
    );
    let update = audit.iter().find(|e| e.action == "update").unwrap();
    let before: Facility = serde_json::from_str(update.before.as_deref().unwrap()).unwrap();
    let after: Facility = serde_json::from_str(update.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        (before, after.name.as_str()),
        (a.clone(), changed.name.as_str())
    );
    let delete = audit.iter().find(|e| e.action == "delete").unwrap();
    assert!(delete.after.is_none() && delete.before.as_deref().unwrap().contains("Renamed"));
    assert_eq!(
        audit.iter().filter(|e| e.actor == "importer").count(),
        5_050,
        "one entry per imported record"
    );
    let ids: Vec<i64> = audit.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(store.audit_log(ids[2], 2).await.unwrap().len(), 2);

    accounts(store).await;
}

/// Accounts and credentials on one backend.
async fn accounts(store: Arc<dyn Store>) {
    use tirek::model::{Account, Credential, CredentialKind, Role};
    let now = chrono::Utc::now().trunc_subsecs(0);
    let account = Account {
        username: "amina".into(),
        role: Role::Caseworker,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        must_change: true,
        created_at: now,
        organisation: Some("kz-crisis-union".into()),
    };
    store
        .put_account(&account, "user.add", "admin")
        .await
        .unwrap();
    assert_eq!(store.account("amina").await.unwrap(), Some(account.clone()));
    let session = Credential {
        secret_hash: "00ff".into(),
        kind: CredentialKind::Session,
        username: "amina".into(),
        label: String::new(),
        created_at: now,
        expires_at: Some(now + chrono::Duration::hours(1)),
    };
    store.add_credential(&session, "amina").await.unwrap();
    let token = Credential {
        secret_hash: "11ee".into(),
        kind: CredentialKind::Token,
        expires_at: None,
        label: "sync".into(),
        ..session.clone()
    };
    store.add_credential(&token, "amina").await.unwrap();
    assert_eq!(
        store.credential("00ff").await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(store.credential("11ee").await.unwrap(), Some(token.clone()));
    // A new role ends the sessions and revokes the tokens (audited).
    let promoted = Account {
        role: Role::Planner,
        ..account.clone()
    };
    store
        .put_account(&promoted, "user.role", "admin")
        .await
        .unwrap();
    assert_eq!(store.credential("00ff").await.unwrap(), None);
    assert_eq!(store.credential("11ee").await.unwrap(), None);
    // An unchanged account keeps them; revoking takes them.
    store.add_credential(&token, "amina").await.unwrap();
    store
        .put_account(&promoted, "user.role", "admin")
        .await
        .unwrap();
    assert!(store.credential("11ee").await.unwrap().is_some());
    assert_eq!(store.revoke_tokens("amina", "admin").await.unwrap(), 1);
    assert_eq!(store.credential("11ee").await.unwrap(), None);
    assert_eq!(store.accounts().await.unwrap(), vec![promoted.clone()]);
    store.remove_account("amina", "admin").await.unwrap();
    assert!(matches!(
        store.remove_account("amina", "admin").await,
        Err(StoreError::NoAccount(_))
    ));
    let log = store.audit_log(0, 1_000_000).await.unwrap();
    let user_actions: Vec<&str> = log
        .iter()
        .filter(|e| e.entity_kind == "user")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        user_actions,
        vec![
            "user.add",
            "token.create",
            "user.role",
            "token.revoke",
            "token.create",
            "user.role",
            "token.revoke",
            "user.remove"
        ]
    );
    // Password hashes never reach the audit log.
    assert!(log.iter().all(|e| {
        !e.before.as_deref().unwrap_or("").contains("argon2")
            && !e.after.as_deref().unwrap_or("").contains("argon2")
    }));
}

#[tokio::test]
async fn storage_suite_on_sqlite() {
    suite(Arc::new(
        SqliteStore::connect_url("sqlite::memory:").await.unwrap(),
    ))
    .await;
    // And on a file, as the server uses it.
    let dir = tempfile::tempdir().unwrap();
    suite(Arc::new(
        SqliteStore::open_file(&dir.path().join("t.sqlite"))
            .await
            .unwrap(),
    ))
    .await;
}

#[tokio::test]
async fn storage_suite_on_postgres() {
    let Some(db) = PgDatabase::create("storage suite").await else {
        return;
    };
    suite(Arc::new(PostgresStore::connect(&db.url).await.unwrap())).await;
    db.drop_now().await;
}
