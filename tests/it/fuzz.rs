//! Property tests: arbitrary input to the import parsers and the query string never
//! panics and never gets a 5xx.

use crate::support::{ADMIN_TOKEN, TOKEN, TestApp};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Value, json};
use tirek::import::{FacilityFormat, read_facilities};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<i64>().prop_map(|i| json!(i)),
        "[a-z_#+,: 0-9-]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("health"),
            Just("shelter"),
            Just("Point"),
            Just("Feature"),
            Just("24/7"),
            Just("KZ")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let keys = prop_oneof![
            Just("type".to_string()),
            Just("features".to_string()),
            Just("geometry".to_string()),
            Just("coordinates".to_string()),
            Just("properties".to_string()),
            Just("id".to_string()),
            Just("name".to_string()),
            Just("sectors".to_string()),
            Just("capacity".to_string()),
            Just("names".to_string()),
            Just("beds_total".to_string()),
            Just("opening_hours".to_string()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A structurally plausible FeatureCollection with arbitrary values inside.
fn arb_collection() -> impl Strategy<Value = Value> {
    prop::collection::vec((arb_json(), arb_json(), arb_json()), 0..4).prop_map(|features| {
        let features: Vec<Value> = features
            .into_iter()
            .map(|(coords, props, extra)| {
                json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": coords},
                                                "properties": props, "id": extra})
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_facilities(&bytes, FacilityFormat::Geojson);
        let _ = read_facilities(&bytes, FacilityFormat::Csv);
        let _ = tirek::import::settlements::read_csv(&bytes);
        let _ = tirek::import::areas::read_geojson(&bytes, None);
    }

    #[test]
    fn parsers_never_panic_on_json(doc in prop_oneof![arb_json(), arb_collection()]) {
        let bytes = doc.to_string().into_bytes();
        let _ = read_facilities(&bytes, FacilityFormat::Geojson);
        let _ = tirek::import::areas::read_geojson(&bytes, Some(1));
    }

    #[test]
    fn csv_parser_never_panics(rows in prop::collection::vec(prop::collection::vec("[a-z0-9#+,.\" -]{0,10}", 0..8), 0..6)) {
        let mut text = String::from("id,name,sectors,lon,lat,country,capacity,beds_total,names\n");
        for r in rows { text += &r.join(","); text.push('\n'); }
        let _ = read_facilities(text.as_bytes(), FacilityFormat::Csv);
    }
}

#[tokio::test]
async fn the_api_never_answers_5xx_to_arbitrary_input() {
    let app = TestApp::new().await;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 150,
        ..ProptestConfig::default()
    });
    let mut inputs = Vec::new();
    for _ in 0..150 {
        let doc = arb_collection().new_tree(&mut runner).unwrap().current();
        let query = "[a-z_=&%0-9.,-]{0,40}"
            .new_tree(&mut runner)
            .unwrap()
            .current();
        inputs.push((doc, query));
    }
    for (doc, query) in inputs {
        let (status, body) = app
            .send(
                "POST",
                "/api/import",
                Some(TOKEN),
                Some(doc.to_string().into_bytes()),
            )
            .await;
        assert!(status.as_u16() < 500, "{status} for {doc}: {body}");
        let (status, body) = app
            .send(
                "POST",
                "/api/facilities",
                Some(TOKEN),
                Some(doc["features"][0].to_string().into_bytes()),
            )
            .await;
        assert!(status.as_u16() < 500, "{status}: {body}");
        for path in [
            "/api/nearest",
            "/api/facilities",
            "/api/settlements",
            "/api/areas",
            "/api/export",
            "/api/coverage",
            "/api/catchments",
            "/api/gaps/grid",
            "/api/audit",
            "/api/me",
        ] {
            let uri = format!("{path}?{}", query.replace(' ', "%20"));
            if let Ok(uri) = uri.parse::<axum::http::Uri>() {
                for token in [None, Some(ADMIN_TOKEN)] {
                    let (status, body) = app.send("GET", &uri.to_string(), token, None).await;
                    assert!(status.as_u16() < 500, "{status} for {uri}: {body}");
                }
            }
        }
        // Every body-taking endpoint, with the JSON and with its bytes cut short.
        let bytes = doc.to_string().into_bytes();
        let cut = bytes[..bytes.len() / 2].to_vec();
        for path in [
            "/api/login",
            "/api/password",
            "/api/tokens",
            "/api/plan/sites",
            "/api/import/areas",
            "/api/import/population",
        ] {
            for body in [bytes.clone(), cut.clone()] {
                let (status, answer) = app.send("POST", path, Some(TOKEN), Some(body)).await;
                assert!(status.as_u16() < 500, "{status} for {path}: {answer}");
            }
        }
    }
}
