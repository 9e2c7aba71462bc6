//! Imports read record by record and written batch by batch: the streamed readers
//! report what reading the whole document first reported, and an import that fails in
//! a late batch leaves nothing behind, on SQLite and PostgreSQL.

use crate::support::{PgDatabase, TOKEN, TestApp, collection, feature};
use serde_json::{Value, json};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tirek::import::{ImportFormat, Input, RecordError, read_facilities_each};
use tirek::model::Facility;
use tirek::registry::{FacilitySource, Registry, RegistryError, WRITE_BATCH};
use tirek::store::{PostgresStore, SqliteStore, Store};

/// What the reader did before it streamed: parse the whole document, then every
/// feature (errors capped at 1000), then look for repeated ids.
fn whole_document_errors(text: &str) -> Vec<RecordError> {
    let doc: Value = match serde_json::from_str(text) {
        Ok(doc) => doc,
        Err(e) => {
            return vec![RecordError::file(
                "",
                format!(
                    "not valid JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )];
        }
    };
    let one = vec![doc.clone()];
    let features = if doc["type"] == "Feature" {
        Some(&one)
    } else {
        doc["features"]
            .as_array()
            .filter(|_| doc["type"] == "FeatureCollection")
    };
    let Some(features) = features else {
        return vec![RecordError::file(
            "type",
            "expected a GeoJSON FeatureCollection with a \"features\" array",
        )];
    };
    let mut errors = Vec::new();
    let mut ids = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        match Facility::from_feature(feature) {
            Ok(f) => ids.push(f.id),
            Err(problems) => {
                let id = feature["properties"]["id"]
                    .as_str()
                    .or(feature["id"].as_str());
                errors.extend(problems.into_iter().map(|p| RecordError {
                    index: Some(index),
                    id: id.map(str::to_string),
                    field: p.field,
                    message: p.message,
                    column: None,
                }));
            }
        }
        if errors.len() >= 1000 {
            errors.push(RecordError::file(
                "",
                format!("stopped after 1000 errors at feature {index}"),
            ));
            break;
        }
    }
    if errors.is_empty() {
        for (i, id) in ids.iter().enumerate() {
            if let Some(prev) = ids[..i].iter().position(|p| p == id) {
                errors.push(RecordError {
                    index: Some(i),
                    id: Some(id.clone()),
                    field: "id".into(),
                    message: format!("the id is used by record {prev} too"),
                    column: None,
                });
            }
        }
    }
    errors
}

/// The streamed reader's errors, from memory and from a file (which must agree), and
/// how many records it handed out.
fn streamed_errors(text: &str) -> (Vec<RecordError>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.geojson");
    std::fs::write(&path, text).unwrap();
    let mut results = Vec::new();
    for input in [Input::memory(text.to_string()), Input::File(path)] {
        let mut handed = 0;
        let result = read_facilities_each(&input, ImportFormat::Geojson, None, None, &mut |_| {
            handed += 1;
            ControlFlow::Continue(())
        });
        results.push((result.err().unwrap_or_default(), handed));
    }
    assert_eq!(results[0], results[1], "memory and file readings differ");
    results.remove(0)
}

fn bad_features(n: usize, every: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut f = feature(&format!("s{i:05}"), &["health"], 68.0, 43.0);
            if i % every == every - 1 {
                match (i / every) % 4 {
                    0 => f["properties"]["sectors"] = json!(["hospital"]),
                    1 => f["geometry"] = Value::Null,
                    2 => f["properties"]["id"] = json!("bad id with spaces"),
                    _ => f = json!("not a feature"),
                }
            }
            f
        })
        .collect()
}

#[test]
fn streamed_reader_reports_what_the_whole_document_parse_reported() {
    let documents: Vec<String> = vec![
        // Record errors of every kind, with ids and positions.
        collection(bad_features(3_000, 97)).to_string(),
        // Over the cap: the first 1000 and where it stopped.
        collection(bad_features(3_000, 2)).to_string(),
        // `features` before `type`, and other members.
        format!(
            r#"{{"features":{},"name":"x","type":"FeatureCollection"}}"#,
            Value::Array(bad_features(50, 7))
        ),
        // Repeated ids (only when every record reads).
        collection(vec![
            feature("a", &["health"], 68.0, 43.0),
            feature("b", &["health"], 68.0, 43.0),
            feature("a", &["police"], 68.0, 43.0),
            feature("b", &["police"], 68.0, 43.0),
        ])
        .to_string(),
        // Not JSON: the position, and no record errors besides.
        {
            let mut text = collection(bad_features(500, 3)).to_string();
            text.truncate(text.len() - 40);
            text
        },
        // Not a collection.
        r#"{"type":"Topology","features":[]}"#.to_string(),
        "[]".to_string(),
        // A lone Feature is a collection of one; valid: no errors.
        feature("one", &["health"], 68.0, 43.0).to_string(),
        collection(bad_features(100, 1_000)).to_string(),
    ];
    for (n, text) in documents.iter().enumerate() {
        let expected = whole_document_errors(text);
        let (errors, _) = streamed_errors(text);
        assert_eq!(errors, expected, "document {n}");
    }
    // A valid document hands out every record, in order.
    let (errors, handed) = streamed_errors(&documents[8]);
    assert!(errors.is_empty());
    assert_eq!(handed, 100);
}

fn facility(i: usize) -> Facility {
    Facility::from_feature(&feature(&format!("late{i:05}"), &["police"], 68.0, 43.0)).unwrap()
}

/// A source of `n` valid records whose second reading (the one that writes) turns
/// record `bad_at` invalid: a file that changed between checking and writing.
fn changing_source(n: usize, bad_at: Option<usize>) -> Arc<FacilitySource> {
    let readings = AtomicUsize::new(0);
    Arc::new(move |each| {
        let reading = readings.fetch_add(1, Ordering::SeqCst);
        for i in 0..n {
            let mut f = facility(i);
            if reading == 1 && Some(i) == bad_at {
                f.name = String::new();
            }
            if each(f).is_break() {
                break;
            }
        }
        Ok(tirek::import::ReadNotes {
            read: n,
            ..Default::default()
        })
    })
}

async fn late_failure_rolls_back(store: Arc<dyn Store>) {
    let registry = Registry::open(store.clone()).await.unwrap();
    let kept = facility(99_999);
    registry.import(vec![kept.clone()], "setup").await.unwrap();
    let version = store.version().await.unwrap();
    let audited = store.audit_log(0, 1_000_000).await.unwrap().len();

    // Two full batches are written inside the transaction before the third fails.
    let n = 3 * WRITE_BATCH;
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = {
        let heard = heard.clone();
        move |written: usize| heard.lock().unwrap().push(written)
    };
    let failed = registry
        .import_from(
            changing_source(n, Some(2 * WRITE_BATCH + 100)),
            Some(&progress),
            "importer",
        )
        .await;
    assert!(
        matches!(&failed, Err(RegistryError::Aborted(m)) if m.contains("changed")),
        "{failed:?}"
    );
    assert_eq!(
        *heard.lock().unwrap(),
        vec![WRITE_BATCH, 2 * WRITE_BATCH],
        "the batches before the failure were written (inside the transaction)"
    );
    assert_eq!(store.version().await.unwrap(), version, "no change logged");
    let ids = |all: Vec<Facility>| all.into_iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.facilities().await.unwrap()),
        vec![kept.id.clone()]
    );
    assert_eq!(store.audit_log(0, 1_000_000).await.unwrap().len(), audited);
    registry.catch_up().await.unwrap();
    assert_eq!(registry.index().len(), 1);

    // The same import from a steady input writes everything, one audit entry each.
    let summary = registry
        .import_from(changing_source(n, None), None, "importer")
        .await
        .unwrap();
    assert_eq!((summary.read, summary.created), (n, n));
    assert_eq!(store.facilities().await.unwrap().len(), n + 1);
    assert_eq!(
        store.audit_log(0, 1_000_000).await.unwrap().len(),
        audited + n
    );
    assert_eq!(registry.index().len(), n + 1);
    // Read again: all unchanged, nothing written.
    let again = registry
        .import_from(changing_source(n, None), None, "importer")
        .await
        .unwrap();
    assert_eq!((again.unchanged, again.created, again.updated), (n, 0, 0));
}

#[tokio::test]
async fn a_failure_in_a_late_batch_rolls_the_whole_import_back_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    late_failure_rolls_back(Arc::new(
        SqliteStore::open_file(&dir.path().join("t.sqlite"))
            .await
            .unwrap(),
    ))
    .await;
}

#[tokio::test]
async fn a_failure_in_a_late_batch_rolls_the_whole_import_back_on_postgres() {
    let Some(db) = PgDatabase::create("late batch rollback").await else {
        return;
    };
    late_failure_rolls_back(Arc::new(PostgresStore::connect(&db.url).await.unwrap())).await;
    db.drop_now().await;
}

#[tokio::test]
async fn an_import_body_is_read_in_chunks_and_limited_by_its_size() {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let features: Vec<Value> = (0..300)
        .map(|i| feature(&format!("c{i:03}"), &["health"], 68.0, 43.0))
        .collect();
    let text = collection(features).to_string();
    // Sent in small chunks with no Content-Length (chunked transfer).
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = text
        .as_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let post = |body: Body, length: Option<usize>| {
        let mut req = Request::builder()
            .method("POST")
            .uri("/api/import")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/geo+json");
        if let Some(n) = length {
            req = req.header("content-length", n.to_string());
        }
        req.body(body).unwrap()
    };
    let resp = tirek::api::app(app.state.clone())
        .oneshot(post(Body::from_stream(tokio_stream::iter(chunks)), None))
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let summary: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["created"], 300);
    assert_eq!(app.state.registry.index().len(), 300);

    // A body over the limit (8 MiB in tests) is refused, declared or not.
    let big = vec![b' '; 9 * 1024 * 1024];
    for length in [Some(big.len()), None] {
        let resp = tirek::api::app(app.state.clone())
            .oneshot(post(
                Body::from_stream(tokio_stream::iter(
                    big.chunks(64 * 1024)
                        .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
                        .collect::<Vec<_>>(),
                )),
                length,
            ))
            .await
            .unwrap();
        assert_eq!(resp.status(), 413, "declared {length:?}");
    }
}

#[tokio::test]
async fn the_command_line_import_leaves_the_index_to_the_followers() {
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::connect_url("sqlite::memory:").await.unwrap());
    let registry = Registry::open(store.clone()).await.unwrap();
    registry.set_refresh_after_import(false);
    let summary = registry
        .import_from(changing_source(200, None), None, "cli")
        .await
        .unwrap();
    assert_eq!(summary.created, 200);
    // Written and logged, but this registry's index was not rebuilt for it …
    assert_eq!(store.facilities().await.unwrap().len(), 200);
    assert_eq!(registry.index().len(), 0);
    // … which a catch-up (what every running server does) brings in.
    registry.catch_up().await.unwrap();
    assert_eq!(registry.index().len(), 200);
}
