//! Several instances on one database: a write through one instance, or through the CLI,
//! reaches the others' index and analysis cache within 1 s; an instance that missed
//! writes catches up when it returns, with nothing lost and nothing applied twice.

use crate::support::{PgDatabase, TOKEN, TestApp, collection, feature};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tirek::model::{Area, Facility, Settlement};
use tirek::registry::Follower;
use tirek::store::{PostgresStore, SqliteStore, Store};

/// The propagation deadline.
const DEADLINE: Duration = Duration::from_secs(1);

struct Instance {
    app: TestApp,
    follower: Follower,
}

async fn instance(store: Arc<dyn Store>) -> Instance {
    let app = TestApp::on(store).await;
    let follower = app.state.registry.follow();
    Instance { app, follower }
}

async fn postgres_instance(url: &str) -> Instance {
    instance(Arc::new(PostgresStore::connect(url).await.unwrap())).await
}

/// Polls `check` until it holds or `DEADLINE` passes (measured from `since`); returns
/// whether it held in time.
async fn within_deadline<F, Fut>(since: Instant, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        if check().await {
            return since.elapsed() <= DEADLINE;
        }
        if since.elapsed() > DEADLINE {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The id of the nearest facility of `sector` to a point, as `/api/nearest` answers.
async fn nearest_id(app: &TestApp, lon: f64, lat: f64, sector: &str) -> Option<String> {
    let (status, body) = app
        .get(&format!("/api/nearest?lon={lon}&lat={lat}&sector={sector}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"][0]["facility"]["properties"]["id"]
        .as_str()
        .map(str::to_string)
}

/// Facilities of `sector` counted in the area `code` by `/api/coverage`.
async fn coverage_count(app: &TestApp, code: &str, sector: &str) -> Option<u64> {
    let (status, body) = app
        .get(&format!("/api/coverage?level=1&sectors={sector}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["areas"]
        .as_array()?
        .iter()
        .find(|a| a["code"] == code)?["sectors"][sector]["facilities"]
        .as_u64()
}

/// Every facility the instance's index holds, by id (a duplicate id fails).
fn indexed(app: &TestApp) -> Vec<Facility> {
    let index = app.state.registry.index();
    let mut all: Vec<Facility> = index.facilities().map(|r| r.decode()).collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    let before = all.len();
    all.dedup_by(|a, b| a.id == b.id);
    assert_eq!(all.len(), before, "an id is indexed twice");
    all
}

/// The instance holds exactly what the store holds, at the store's data version.
async fn assert_in_step(app: &TestApp, store: &dyn Store) {
    let stored = store.facilities().await.unwrap();
    let held = indexed(app);
    assert_eq!(
        held.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        stored.iter().map(|f| f.id.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(held, stored, "a record differs from the store's");
    assert_eq!(
        app.state.registry.index().version(),
        store.version().await.unwrap()
    );
}

fn region() -> Area {
    Area {
        code: "KZ-SCALE".into(),
        level: 1,
        parent: None,
        name: "Scale test region".into(),
        names: BTreeMap::new(),
        geometry: geo::MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (76.0, 43.0),
                (78.0, 43.0),
                (78.0, 44.0),
                (76.0, 44.0),
                (76.0, 43.0),
            ]),
            vec![],
        )]),
    }
}

fn settlement(id: &str, lon: f64, lat: f64) -> Settlement {
    Settlement {
        id: id.into(),
        name: id.into(),
        name_ru: None,
        alt_names: vec![],
        lon,
        lat,
        population: 10_000.0,
        country: Some("KZ".into()),
        adm1: Some("KZ-SCALE".into()),
        adm2: None,
    }
}

async fn create_through(app: &TestApp, f: &Value) {
    let (status, body) = app
        .send(
            "POST",
            "/api/facilities",
            Some(TOKEN),
            Some(f.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Runs the real `tirek` binary against `database_url`.
async fn cli(database_url: &str, args: &[&str]) {
    let url = database_url.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let output = tokio::task::spawn_blocking(move || {
        let data_dir = tempfile::tempdir().unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_tirek"))
            .args(&args)
            .arg("--data-dir")
            .arg(data_dir.path())
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "tirek failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_postgres_follow_each_other_and_the_cli() {
    let Some(db) = PgDatabase::create("scale-out").await else {
        return;
    };
    let a = postgres_instance(&db.url).await;
    let b = postgres_instance(&db.url).await;

    // Reference data written through A reaches B's places.
    a.app
        .state
        .registry
        .replace_areas(1, &[region()], "test")
        .await
        .unwrap();
    a.app
        .state
        .registry
        .replace_settlements(
            &[settlement("s1", 77.0, 43.5), settlement("s2", 76.5, 43.2)],
            "test",
        )
        .await
        .unwrap();
    let (status, summary) = a
        .app
        .import(&collection(vec![
            feature("kz-h-1", &["health"], 76.9, 43.25),
            feature("kz-p-1", &["police"], 77.1, 43.6),
        ]))
        .await;
    assert_eq!(status, 200, "{summary}");
    let seeded = Instant::now();
    assert!(
        within_deadline(seeded, || async {
            coverage_count(&b.app, "KZ-SCALE", "health").await == Some(1)
        })
        .await,
        "B did not see A's areas, settlements and import within 1 s"
    );

    // A single write through A's API: B answers with it within 1 s.
    create_through(&a.app, &feature("far-1", &["legal"], 10.0, 10.0)).await;
    let written = Instant::now();
    assert!(
        within_deadline(written, || async {
            nearest_id(&b.app, 10.0, 10.0, "legal").await.as_deref() == Some("far-1")
        })
        .await,
        "a write through A did not reach B's nearest within 1 s"
    );

    // B's cached coverage (computed above) follows a write through A.
    assert_eq!(coverage_count(&b.app, "KZ-SCALE", "health").await, Some(1));
    create_through(&a.app, &feature("kz-h-2", &["health"], 77.5, 43.8)).await;
    let written = Instant::now();
    assert!(
        within_deadline(written, || async {
            coverage_count(&b.app, "KZ-SCALE", "health").await == Some(2)
        })
        .await,
        "B's coverage did not follow a write through A within 1 s"
    );

    // A planner's bulk import through the CLI on the same database.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bulk.geojson");
    let bulk: Vec<Value> = (0..200)
        .map(|i| {
            feature(
                &format!("bulk-{i:03}"),
                &["psychosocial"],
                -60.0 + f64::from(i) * 0.01,
                -10.0,
            )
        })
        .collect();
    std::fs::write(&file, collection(bulk).to_string()).unwrap();
    cli(&db.url, &["import", "facilities", file.to_str().unwrap()]).await;
    let imported = Instant::now();
    assert!(
        within_deadline(imported, || async {
            nearest_id(&b.app, -58.0, -10.0, "psychosocial")
                .await
                .as_deref()
                == Some("bulk-199")
        })
        .await,
        "an import through the CLI did not reach B within 1 s"
    );
    assert_in_step(&b.app, b.app.state.registry.store().as_ref()).await;

    // B's follower stops (its connection is cut off, say); writes go on through A;
    // when it follows again it catches up from the change log.
    b.follower.stop();
    create_through(&a.app, &feature("while-away-1", &["hotline"], 20.0, 20.0)).await;
    let mut renamed = feature("kz-h-1", &["health"], 76.9, 43.25);
    renamed["properties"]["name"] = json!("Renamed while B was away");
    let (status, body) = a
        .app
        .send(
            "PUT",
            "/api/facilities/kz-h-1",
            Some(TOKEN),
            Some(renamed.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = a
        .app
        .send("DELETE", "/api/facilities/far-1", Some(TOKEN), None)
        .await;
    assert_eq!(status, 204);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        nearest_id(&b.app, 20.0, 20.0, "hotline").await,
        None,
        "B saw a write while it was not following"
    );
    let b_follower = b.app.state.registry.follow();
    let resumed = Instant::now();
    assert!(
        within_deadline(resumed, || async {
            nearest_id(&b.app, 20.0, 20.0, "hotline").await.as_deref() == Some("while-away-1")
        })
        .await,
        "B did not catch up within 1 s of following again"
    );
    assert_in_step(&b.app, a.app.state.registry.store().as_ref()).await;
    let b_store = b.app.state.registry.store().clone();

    // B goes down entirely; A goes on: a create, an update, a delete, another import.
    drop(b_follower);
    drop(b);
    drop(b_store);
    create_through(&a.app, &feature("after-b-1", &["shelter"], 30.0, 30.0)).await;
    let mut changed = feature("kz-p-1", &["police"], 77.2, 43.7);
    changed["properties"]["phone"] = json!("+7 727 000 1111");
    let (status, _) = a
        .app
        .send(
            "PUT",
            "/api/facilities/kz-p-1",
            Some(TOKEN),
            Some(changed.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = a
        .app
        .send("DELETE", "/api/facilities/bulk-007", Some(TOKEN), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = a
        .app
        .import(&collection(vec![feature(
            "after-b-2",
            &["legal"],
            31.0,
            31.0,
        )]))
        .await;
    assert_eq!(status, 200);

    // B returns: it holds exactly A's facility set, and follows again.
    let b = postgres_instance(&db.url).await;
    assert_in_step(&b.app, a.app.state.registry.store().as_ref()).await;
    assert_in_step(&a.app, a.app.state.registry.store().as_ref()).await;
    create_through(&a.app, &feature("after-b-3", &["legal"], -20.0, 40.0)).await;
    let written = Instant::now();
    assert!(
        within_deadline(written, || async {
            nearest_id(&b.app, -20.0, 40.0, "legal").await.as_deref() == Some("after-b-3")
        })
        .await,
        "the restarted B does not follow A"
    );

    drop((a, b));
    db.drop_now().await;
}

/// SQLite has no notifications: a running server polls, so a CLI write to the same file
/// reaches it within 1 s too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_instances_follow_a_shared_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tirek.sqlite");
    let a = instance(Arc::new(SqliteStore::open_file(&path).await.unwrap())).await;
    let b = instance(Arc::new(SqliteStore::open_file(&path).await.unwrap())).await;
    create_through(&a.app, &feature("sq-1", &["police"], 60.0, 45.0)).await;
    let written = Instant::now();
    assert!(
        within_deadline(written, || async {
            nearest_id(&b.app, 60.0, 45.0, "police").await.as_deref() == Some("sq-1")
        })
        .await,
        "a write to the shared file did not reach B within 1 s"
    );
    let url = format!("sqlite://{}", path.display());
    let file = dir.path().join("one.geojson");
    std::fs::write(
        &file,
        collection(vec![feature("sq-cli", &["health"], 61.0, 46.0)]).to_string(),
    )
    .unwrap();
    cli(&url, &["import", "facilities", file.to_str().unwrap()]).await;
    let imported = Instant::now();
    assert!(
        within_deadline(imported, || async {
            nearest_id(&b.app, 61.0, 46.0, "health").await.as_deref() == Some("sq-cli")
        })
        .await,
        "a CLI import to the shared file did not reach B within 1 s"
    );
    assert_in_step(&b.app, b.app.state.registry.store().as_ref()).await;
}
