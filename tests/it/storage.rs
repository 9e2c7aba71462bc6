//! One storage suite, run against SQLite and PostgreSQL.

use crate::support::{PgDatabase, feature};
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
    store.insert_facility(&a).await.unwrap();
    assert_eq!(store.facility("a").await.unwrap(), Some(a.clone()));
    assert!(matches!(
        store.insert_facility(&a).await,
        Err(StoreError::Conflict(_))
    ));
    let v1 = store.version().await.unwrap();
    assert!(v1 > 0);

    let mut changed = a.clone();
    changed.name = "Renamed — Переименовано".into();
    store.update_facility(&changed).await.unwrap();
    assert_eq!(
        store.facility("a").await.unwrap().unwrap().name,
        changed.name
    );
    assert!(matches!(
        store
            .update_facility(&facility("zz", "police", 0.0, 0.0))
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
        .upsert_facilities(&batch, Some(&report))
        .await
        .unwrap();
    assert_eq!(store.facilities().await.unwrap().len(), 5_051);
    assert_eq!(*written.lock().unwrap(), vec![5_000]);

    store.delete_facility("a").await.unwrap();
    assert!(store.facility("a").await.unwrap().is_none());
    assert!(matches!(
        store.delete_facility("a").await,
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
        .replace_areas(1, std::slice::from_ref(&area))
        .await
        .unwrap();
    assert_eq!(store.areas(Some(1)).await.unwrap(), vec![area.clone()]);
    assert!(store.areas(Some(2)).await.unwrap().is_empty());
    store.replace_areas(1, &[]).await.unwrap();
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
        .replace_settlements(std::slice::from_ref(&s))
        .await
        .unwrap();
    assert_eq!(store.settlements().await.unwrap(), vec![s]);
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
