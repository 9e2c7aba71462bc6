//! Real geography: admin areas from GeoJSON and Shapefiles (the real files in
//! `../shared/eval/` when present), OSM facilities, population points and rasters, and
//! the point-in-area rules (shared edges, slivers) against a brute-force check.

use crate::support::{TOKEN, TestApp};
use geo::{Distance, Euclidean, Intersects, Point};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tirek::import::areas::{AreaOptions, read_geojson_with};
use tirek::import::{self, ImportFormat, shapefile};
use tirek::model::{Area, Sector};
use tirek::spatial::area_index::{AreaIndex, MAX_SNAP_DEGREES};

fn eval_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/eval"));
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else {
        eprintln!(
            "SKIPPED real-data geography test: {} is absent",
            dir.display()
        );
        None
    }
}

#[test]
fn kazakhstan_2024_districts_from_the_shapefile() {
    let Some(eval) = eval_dir() else { return };
    let read = shapefile::read_path(
        &eval.join("kaz/kaz_admbnda_adm2_2024.shp"),
        &AreaOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(read.areas.len(), 224);
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    for a in &read.areas {
        assert_eq!(a.level, 2);
        assert!(a.code.starts_with("KZ") && a.code.len() > 4, "{}", a.code);
        let parent = a.parent.as_deref().unwrap();
        assert!(a.code.starts_with(parent), "{} in {parent}", a.code);
        for lang in ["kk", "ru", "en"] {
            assert!(
                a.names.get(lang).is_some_and(|n| !n.is_empty()),
                "{} lacks {lang}",
                a.code
            );
        }
        assert!(geo::Validation::is_valid(&a.geometry), "{}", a.code);
    }
    // Cyrillic names decoded from the UTF-8 .dbf (the .cpg says so).
    let district = read.areas.iter().find(|a| a.code == "KZ101010").unwrap();
    assert_eq!(
        (
            district.name.as_str(),
            district.names["kk"].as_str(),
            district.names["ru"].as_str()
        ),
        ("Zharasemey", "Жаңасемей", "Жанасемейский")
    );
    // The one self-intersecting polygon is repaired, not refused, and barely changes.
    assert_eq!(read.repaired.len(), 1, "{:?}", read.repaired);
    let r = &read.repaired[0];
    eprintln!("KAZ adm2 repaired: {r:?}");
    assert!((r.area_after - r.area_before).abs() <= 0.01 * r.area_before);

    let regions = shapefile::read_path(
        &eval.join("kaz/kaz_admbnda_adm1_2024.shp"),
        &AreaOptions::default(),
    )
    .unwrap();
    assert_eq!(regions.areas.len(), 20);
    assert!(
        regions
            .areas
            .iter()
            .all(|a| a.level == 1 && a.parent.as_deref() == Some("KZ"))
    );
    // Every district's parent is one of the regions.
    let codes: Vec<&str> = regions.areas.iter().map(|a| a.code.as_str()).collect();
    assert!(
        read.areas
            .iter()
            .all(|a| codes.contains(&a.parent.as_deref().unwrap()))
    );
}

#[test]
fn geoboundaries_districts_of_uzbekistan_kyrgyzstan_tajikistan() {
    let Some(eval) = eval_dir() else { return };
    for (file, count, country) in [
        ("uzb/geoBoundaries-UZB-ADM2.geojson", 199, "UZ"),
        ("kgz/geoBoundaries-KGZ-ADM2_simplified.geojson", 41, "KG"),
        ("tjk/geoBoundaries-TJK-ADM2.geojson", 58, "TJ"),
        ("tjk/geoBoundaries-TJK-ADM1.geojson", 5, "TJ"),
        ("uzb/geoBoundaries-UZB-ADM1.geojson", 14, "UZ"),
    ] {
        let bytes = std::fs::read(eval.join(file)).unwrap();
        let read = read_geojson_with(&bytes, &AreaOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
        let level = if file.contains("ADM1") { 1 } else { 2 };
        eprintln!(
            "{file}: {} areas, {} repaired",
            read.areas.len(),
            read.repaired.len()
        );
        assert_eq!(read.areas.len(), count, "{file}");
        assert!(read.areas.iter().all(|a| a.level == level), "{file}");
        assert!(
            read.areas
                .iter()
                .all(|a| a.parent.as_deref() == Some(country)),
            "{file}"
        );
        assert!(
            read.areas
                .iter()
                .all(|a| !a.name.is_empty() && a.names.contains_key("en"))
        );
    }
}

#[tokio::test]
async fn tajikistan_osm_health_facilities() {
    let Some(eval) = eval_dir() else { return };
    let bytes = std::fs::read(eval.join("tjk/hotosm_tjk_health_facilities_points_geojson.geojson"))
        .unwrap();
    assert_eq!(ImportFormat::detect(&bytes), ImportFormat::Osm);
    let read = import::osm::read(&bytes, Some("TJ"), None).unwrap();
    assert_eq!(read.facilities.len(), 123 + 57 + 64);
    assert!(
        read.facilities
            .iter()
            .all(|f| f.sectors == [Sector::Health])
    );
    assert!(
        read.facilities
            .iter()
            .all(|f| !f.confidential && f.services.is_empty())
    );
    assert_eq!(read.skipped["amenity=pharmacy"], 237);
    assert_eq!(read.skipped["amenity=dentist"], 43);
    assert_eq!(read.skipped_total(), 567 - 244);
    eprintln!("TJK OSM points skipped: {:?}", read.skipped);

    // Through the API: the same counts, and nothing but health facilities stored.
    let app = TestApp::new().await;
    let (status, summary) = app
        .send(
            "POST",
            "/api/import?format=osm&country=TJ",
            Some(TOKEN),
            Some(bytes),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["created"], 244);
    assert_eq!(summary["skipped"], 323);
    assert_eq!(summary["read"], 567);
    assert_eq!(summary["skipped_kinds"]["amenity=pharmacy"], 237);
    let index = app.state.registry.index();
    assert_eq!(index.facilities().len(), 244);
    assert!(index.facilities().all(|f| f.id().starts_with("osm:node:")));

    let polygons =
        std::fs::read(eval.join("tjk/hotosm_tjk_health_facilities_polygons_geojson.geojson"))
            .unwrap();
    let read = import::osm::read(&polygons, Some("TJ"), None).unwrap();
    eprintln!(
        "TJK OSM polygons: {} health facilities, skipped {:?}",
        read.facilities.len(),
        read.skipped
    );
    assert_eq!(read.facilities.len() + read.skipped_total(), 269);
    assert!(
        read.facilities
            .iter()
            .all(|f| f.id.starts_with("osm:way:") || f.id.starts_with("osm:relation:"))
    );
}

fn area(code: &str, level: u8, ring: &[(f64, f64)]) -> Area {
    Area {
        code: code.into(),
        level,
        parent: None,
        name: code.into(),
        names: Default::default(),
        geometry: geo::MultiPolygon(vec![geo::Polygon::new(ring.to_vec().into(), vec![])]),
    }
}

/// The expected answer, without any index: every area whose closure holds the point,
/// lowest code first; else the nearest within reach.
fn brute_force(areas: &[Area], lon: f64, lat: f64) -> Option<(String, bool)> {
    let p = Point::new(lon, lat);
    let mut covering: Vec<&Area> = areas.iter().filter(|a| a.geometry.intersects(&p)).collect();
    covering.sort_by(|a, b| a.code.cmp(&b.code));
    if let Some(a) = covering.first() {
        return Some((a.code.clone(), true));
    }
    let mut best: Option<(f64, &str)> = None;
    for a in areas {
        let d = a
            .geometry
            .0
            .iter()
            .map(|poly| Euclidean.distance(&p, poly))
            .fold(f64::INFINITY, f64::min);
        if best.is_none_or(|(bd, bc)| d < bd || (d == bd && a.code.as_str() < bc)) {
            best = Some((d, &a.code));
        }
    }
    best.filter(|(d, _)| *d <= MAX_SNAP_DEGREES)
        .map(|(_, c)| (c.to_string(), false))
}

/// A 6 × 4 grid of cells 0.5° wide whose columns share edges, with a 0.02° sliver
/// between rows 1 and 2 and the corner cell missing.
fn grid_areas() -> Vec<Area> {
    let mut areas = Vec::new();
    for col in 0..6 {
        for row in 0..4 {
            if (col, row) == (5, 3) {
                continue;
            }
            let x0 = 70.0 + 0.5 * col as f64;
            let y0 = 40.0 + 0.5 * row as f64;
            let y1 = if row == 1 { y0 + 0.48 } else { y0 + 0.5 };
            // Codes deliberately not in grid order.
            let code = format!("D{:02}", (col * 7 + row * 5) % 24);
            areas.push(area(
                &code,
                2,
                &[(x0, y0), (x0 + 0.5, y0), (x0 + 0.5, y1), (x0, y1), (x0, y0)],
            ));
        }
    }
    areas
}

#[test]
fn shared_edges_and_slivers_match_a_brute_force_check() {
    let areas = grid_areas();
    let index = AreaIndex::new(areas.clone());
    let mut points: Vec<(f64, f64)> = Vec::new();
    // Every shared edge and vertex, exactly.
    for i in 0..=12 {
        for j in 0..=8 {
            points.push((70.0 + 0.25 * i as f64, 40.0 + 0.25 * j as f64));
        }
    }
    // The sliver, the missing corner, and beyond reach.
    for i in 0..30 {
        let x = 70.0 + 0.1 * i as f64;
        points.push((x, 40.99));
        points.push((x, 40.985));
        points.push((x, 42.3));
        points.push((x, 42.05));
    }
    points.push((72.8, 41.8));
    points.push((73.5, 41.0));
    points.push((69.85, 40.3));
    // Seeded pseudo-random points over and around the grid.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..3000 {
        points.push((69.7 + 3.6 * next(), 39.7 + 2.6 * next()));
    }
    let (mut on_edges, mut snapped, mut unplaced) = (0, 0, 0);
    for (lon, lat) in points {
        let got = index
            .locate(lon, lat, 2)
            .map(|l| (l.area.code.clone(), l.inside));
        let want = brute_force(&areas, lon, lat);
        assert_eq!(got, want, "at ({lon}, {lat})");
        let covering = areas
            .iter()
            .filter(|a| a.geometry.intersects(&Point::new(lon, lat)))
            .count();
        on_edges += usize::from(covering > 1);
        snapped += usize::from(matches!(got, Some((_, false))));
        unplaced += usize::from(got.is_none());
    }
    assert!(
        on_edges > 50 && snapped > 20 && unplaced > 20,
        "{on_edges} {snapped} {unplaced}"
    );
}

/// A single-band Float32 GeoTIFF in EPSG:4326 with GDAL_NODATA.
fn geotiff(
    width: u32,
    height: u32,
    origin: (f64, f64),
    cell: f64,
    values: &[f32],
    nodata: &str,
) -> Vec<u8> {
    use tiff::encoder::{TiffEncoder, colortype::Gray32Float};
    use tiff::tags::Tag;
    let mut bytes = std::io::Cursor::new(Vec::new());
    {
        let mut encoder = TiffEncoder::new(&mut bytes).unwrap();
        let mut image = encoder.new_image::<Gray32Float>(width, height).unwrap();
        let dir = image.encoder();
        dir.write_tag(Tag::ModelPixelScaleTag, &[cell, cell, 0.0][..])
            .unwrap();
        dir.write_tag(
            Tag::ModelTiepointTag,
            &[0.0, 0.0, 0.0, origin.0, origin.1, 0.0][..],
        )
        .unwrap();
        // GeoKeys: model type geographic, raster type PixelIsArea, GCS WGS 84.
        let keys: [u16; 16] = [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326];
        dir.write_tag(Tag::GeoKeyDirectoryTag, &keys[..]).unwrap();
        dir.write_tag(Tag::GdalNodata, nodata).unwrap();
        image.write_data(values).unwrap();
    }
    bytes.into_inner()
}

#[tokio::test]
async fn geotiff_population_sums_to_the_areas_it_is_assigned_to() {
    // Areas: A = [70, 71] × [40, 41], B = [71.12, 72] × [40, 41]; a 0.12° gap between.
    let areas = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ADM2_PCODE": "XA", "ADM2_EN": "A", "ADM1_PCODE": "X"},
         "geometry": {"type": "Polygon", "coordinates": [[[70.0, 40.0], [71.0, 40.0], [71.0, 41.0], [70.0, 41.0], [70.0, 40.0]]]}},
        {"type": "Feature", "properties": {"ADM2_PCODE": "XB", "ADM2_EN": "B", "ADM1_PCODE": "X"},
         "geometry": {"type": "Polygon", "coordinates": [[[71.12, 40.0], [72.0, 40.0], [72.0, 41.0], [71.12, 41.0], [71.12, 40.0]]]}},
    ]});
    let app = TestApp::new().await;
    let (status, summary) = app
        .send(
            "POST",
            "/api/import/areas",
            Some(TOKEN),
            Some(areas.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["levels"], json!([2]));

    // 25 × 10 cells of 0.1° from (70, 41): lon 70..72.5, lat 40..41.
    let (w, h) = (25u32, 10u32);
    let mut values = Vec::new();
    for row in 0..h {
        for col in 0..w {
            values.push(match (row + col) % 7 {
                0 => -9999.0,
                1 => 0.0,
                k => (k as f32) * 10.5 + row as f32 * 0.25,
            });
        }
    }
    let bytes = geotiff(w, h, (70.0, 41.0), 0.1, &values, "-9999");
    let expected_total: f64 = values
        .iter()
        .filter(|v| **v > 0.0)
        .map(|v| f64::from(*v))
        .sum();
    let (status, summary) = app
        .send("POST", "/api/import/population", Some(TOKEN), Some(bytes))
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["format"], "geotiff");
    let total = summary["total_population"].as_f64().unwrap();
    assert!((total - expected_total).abs() < 1e-6 * expected_total);
    assert_eq!(
        summary["skipped"],
        values.iter().filter(|v| **v == -9999.0).count()
    );

    let places = app.state.registry.places();
    let mut by_area: std::collections::BTreeMap<Option<String>, f64> = Default::default();
    for s in &places.settlements {
        *by_area.entry(s.adm2.clone()).or_default() += s.population;
    }
    let assigned: f64 = by_area
        .iter()
        .filter(|(k, _)| k.is_some())
        .map(|(_, v)| v)
        .sum();
    let unassigned = by_area.get(&None).copied().unwrap_or(0.0);
    assert!((assigned + unassigned - total).abs() < 1e-6 * total);
    assert!(
        (unassigned - summary["population_without_area"].as_f64().unwrap()).abs() < 1e-9,
        "{summary}"
    );
    // Cells in the gap (centre 71.05) go to the nearest area (A) and are reported;
    // cells east of 72.2 are beyond reach: reported, kept, without a district.
    let in_gap = places
        .settlements
        .iter()
        .filter(|s| (s.lon - 71.05).abs() < 1e-9)
        .count();
    let beyond = places.settlements.iter().filter(|s| s.lon > 72.2).count();
    let near_east = places
        .settlements
        .iter()
        .filter(|s| s.lon > 72.0 && s.lon < 72.2)
        .count();
    assert!(in_gap > 0 && beyond > 0 && near_east > 0);
    assert_eq!(
        summary["outside_areas"],
        in_gap + beyond + near_east,
        "{summary}"
    );
    assert_eq!(summary["without_area"], beyond);
    assert!(
        places
            .settlements
            .iter()
            .filter(|s| (s.lon - 71.05).abs() < 1e-9)
            .all(|s| s.adm2.as_deref() == Some("XA") && s.adm1.is_none())
    );
    assert!(
        places
            .settlements
            .iter()
            .filter(|s| s.lon > 72.2)
            .all(|s| s.adm2.is_none())
    );

    // A projected raster is refused, saying so.
    let mut projected = geotiff(2, 2, (500000.0, 4500000.0), 100.0, &[1.0; 4], "-1");
    let (status, err) = app
        .send(
            "POST",
            "/api/import/population",
            Some(TOKEN),
            Some(projected.clone()),
        )
        .await;
    assert_eq!(status, 422);
    assert!(err.to_string().contains("EPSG:4326"), "{err}");
    projected.truncate(40);
    let (status, _) = app
        .send(
            "POST",
            "/api/import/population",
            Some(TOKEN),
            Some(projected),
        )
        .await;
    assert_eq!(status, 422);
}

fn errors_of(body: &Value) -> &Vec<Value> {
    body["error"]["details"]["errors"].as_array().unwrap()
}

#[tokio::test]
async fn one_broken_record_writes_nothing_and_is_named() {
    let app = TestApp::new().await;
    let square = |code: &str, x: f64| {
        json!({"type": "Feature", "properties": {"code": code, "level": 2},
               "geometry": {"type": "Polygon", "coordinates": [[[x, 40.0], [x + 1.0, 40.0], [x + 1.0, 41.0], [x, 41.0], [x, 40.0]]]}})
    };
    let good =
        json!({"type": "FeatureCollection", "features": [square("A", 70.0), square("B", 71.0)]});
    let (status, _) = app
        .send(
            "POST",
            "/api/import/areas",
            Some(TOKEN),
            Some(good.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200);

    // Areas: a bow-tie that cannot be repaired safely.
    let bowtie = json!({"type": "Feature", "properties": {"code": "BAD", "level": 2},
        "geometry": {"type": "Polygon", "coordinates": [[[0.0, 0.0], [0.0, 10.0], [10.0, 0.0], [10.0, 10.0], [0.0, 0.0]]]}});
    let broken = json!({"type": "FeatureCollection", "features": [square("C", 72.0), bowtie]});
    let (status, body) = app
        .send(
            "POST",
            "/api/import/areas",
            Some(TOKEN),
            Some(broken.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(errors_of(&body)[0]["index"], 1);
    assert_eq!(errors_of(&body)[0]["id"], "BAD");
    let codes: Vec<String> = app
        .state
        .registry
        .places()
        .areas
        .iter()
        .map(|a| a.code.clone())
        .collect();
    assert_eq!(codes, ["A", "B"]);

    // Population CSV: one row with a bad number.
    let csv = "id,lon,lat,population\np1,70.5,40.5,100\np2,71.5,40.5,lots\n";
    let (status, body) = app
        .send(
            "POST",
            "/api/import/population",
            Some(TOKEN),
            Some(csv.into()),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(errors_of(&body)[0]["id"], "p2");
    assert!(app.state.registry.places().settlements.is_empty());
    // … and GeoJSON points.
    let points = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "q1", "population": 5}, "geometry": {"type": "Point", "coordinates": [70.5, 40.5]}},
        {"type": "Feature", "properties": {"id": "q2", "population": -5}, "geometry": {"type": "Point", "coordinates": [70.5, 40.5]}}]});
    let (status, body) = app
        .send(
            "POST",
            "/api/import/population",
            Some(TOKEN),
            Some(points.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(errors_of(&body)[0]["id"], "q2");
    // … and a raster with one negative cell.
    let tif = geotiff(2, 1, (70.0, 41.0), 0.5, &[3.0, -2.0], "-9999");
    let (status, body) = app
        .send("POST", "/api/import/population", Some(TOKEN), Some(tif))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(errors_of(&body)[0]["id"], "cell:0:1");
    assert!(app.state.registry.places().settlements.is_empty());

    // OSM: a clinic without geometry.
    let osm = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"amenity": "hospital", "osm_id": 1, "osm_type": "nodes"}, "geometry": {"type": "Point", "coordinates": [70.5, 40.5]}},
        {"type": "Feature", "properties": {"amenity": "clinic", "osm_id": 2, "osm_type": "nodes"}, "geometry": null}]});
    let (status, body) = app
        .send(
            "POST",
            "/api/import?format=osm&country=KZ",
            Some(TOKEN),
            Some(osm.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(errors_of(&body)[0]["id"], "osm:node:2");
    assert_eq!(errors_of(&body)[0]["index"], 1);
    assert!(app.state.registry.index().is_empty());

    // Population that imports: assigned to the districts.
    let csv = "id,lon,lat,population\np1,70.5,40.5,100\np2,71.5,40.5,50\np3,71.0,40.5,7\n";
    let (status, summary) = app
        .send(
            "POST",
            "/api/import/population",
            Some(TOKEN),
            Some(csv.into()),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    let places = app.state.registry.places();
    let adm2 = |id: &str| {
        places
            .settlements
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .adm2
            .clone()
    };
    assert_eq!(adm2("p1").as_deref(), Some("A"));
    assert_eq!(adm2("p2").as_deref(), Some("B"));
    assert_eq!(adm2("p3").as_deref(), Some("A"), "shared edge: lowest code");
    // OSM facilities get their district too.
    let osm = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"amenity": "police", "name": "ОВД", "osm_id": 3, "osm_type": "nodes"}, "geometry": {"type": "Point", "coordinates": [71.5, 40.5]}},
        {"type": "Feature", "properties": {"amenity": "pharmacy", "osm_id": 4, "osm_type": "nodes"}, "geometry": {"type": "Point", "coordinates": [71.5, 40.5]}}]});
    let (status, summary) = app
        .send(
            "POST",
            "/api/import?format=osm&country=KZ",
            Some(TOKEN),
            Some(osm.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (summary["created"].as_u64(), summary["skipped"].as_u64()),
        (Some(1), Some(1))
    );
    let f = app.state.registry.index().get("osm:node:3").unwrap();
    assert_eq!(f.adm2.as_deref(), Some("B"));
    assert_eq!(f.sectors, [Sector::Police]);
}

#[test]
fn a_broken_shapefile_record_is_named() {
    let Some(eval) = eval_dir() else { return };
    let base = eval.join("kaz/kaz_admbnda_adm1_2024");
    let mut shp = std::fs::read(base.with_extension("shp")).unwrap();
    let dbf = std::fs::read(base.with_extension("dbf")).unwrap();
    let prj = std::fs::read_to_string(base.with_extension("prj")).unwrap();
    // Record 0's first point: 100-byte header, 8-byte record header, shape type,
    // bounding box, part and point counts, part offsets.
    let parts = i32::from_le_bytes(shp[144..148].try_into().unwrap()) as usize;
    let x_at = 100 + 8 + 4 + 32 + 4 + 4 + 4 * parts;
    shp[x_at..x_at + 8].copy_from_slice(&2_500_000.0f64.to_le_bytes());
    let parts = shapefile::ShapefileParts {
        shp: &shp,
        dbf: &dbf,
        prj: Some(&prj),
        cpg: Some("UTF-8"),
    };
    let errors = shapefile::read_parts(parts, &AreaOptions::default()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].index, Some(0));
    assert!(
        errors[0]
            .id
            .as_deref()
            .is_some_and(|id| id.starts_with("KZ"))
    );
    assert!(errors[0].message.contains("projected"), "{errors:?}");
    // A projected .prj is refused as a whole.
    let utm = r#"PROJCS["WGS_1984_UTM_Zone_42N",GEOGCS["GCS_WGS_1984"],PROJECTION["Transverse_Mercator"]]"#;
    let parts = shapefile::ShapefileParts {
        prj: Some(utm),
        ..parts
    };
    let errors = shapefile::read_parts(parts, &AreaOptions::default()).unwrap_err();
    assert_eq!(errors[0].field, "prj");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn shapefile_reader_never_panics(shp in proptest::collection::vec(any::<u8>(), 0..400),
                                     dbf in proptest::collection::vec(any::<u8>(), 0..400)) {
        let parts = shapefile::ShapefileParts { shp: &shp, dbf: &dbf, prj: None, cpg: None };
        let _ = shapefile::read_parts(parts, &AreaOptions::default());
    }

    #[test]
    fn shapefile_reader_never_panics_on_plausible_headers(tail in proptest::collection::vec(any::<u8>(), 0..300),
                                                          len in 0u32..10_000, shape_type in 0i32..32) {
        let mut shp = vec![0u8; 100];
        shp[0..4].copy_from_slice(&9994i32.to_be_bytes());
        shp[24..28].copy_from_slice(&len.to_be_bytes());
        shp[28..32].copy_from_slice(&1000i32.to_le_bytes());
        shp[32..36].copy_from_slice(&shape_type.to_le_bytes());
        shp.extend_from_slice(&tail);
        let mut dbf = vec![3u8, 124, 1, 1];
        dbf.extend_from_slice(&1u32.to_le_bytes());
        dbf.extend_from_slice(&65u16.to_le_bytes());
        dbf.extend_from_slice(&11u16.to_le_bytes());
        dbf.resize(32, 0);
        let mut field = b"CODE".to_vec();
        field.resize(11, 0);
        field.push(b'C');
        field.resize(32, 0);
        field[16] = 10;
        dbf.extend_from_slice(&field);
        dbf.push(0x0d);
        dbf.extend_from_slice(b" KZ01      ");
        let parts = shapefile::ShapefileParts { shp: &shp, dbf: &dbf, prj: None, cpg: Some("UTF-8") };
        let _ = shapefile::read_parts(parts, &AreaOptions::default());
    }

    #[test]
    fn raster_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), big_endian in any::<bool>()) {
        let mut tif = if big_endian { b"MM\0*".to_vec() } else { b"II*\0".to_vec() };
        tif.extend_from_slice(&bytes);
        let _ = import::raster::read_geotiff(&tif, "cell");
        let _ = import::read_population(&bytes, "cell");
    }

    #[test]
    fn raster_reader_never_panics_on_mutated_geotiffs(at in 0usize..400, byte in any::<u8>()) {
        let mut tif = geotiff(3, 2, (70.0, 41.0), 0.5, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "-9999");
        let i = at % tif.len();
        tif[i] = byte;
        let _ = import::raster::read_geotiff(&tif, "cell");
    }

    #[test]
    fn osm_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300),
                               amenity in "[a-z_]{0,10}", x in any::<f64>(), y in any::<f64>(),
                               kind in 0usize..4) {
        let _ = import::osm::read(&bytes, None, None);
        let geometry = match kind {
            0 => json!({"type": "Point", "coordinates": [x, y]}),
            1 => json!({"type": "Polygon", "coordinates": [[[x, y], [y, x], [x, x], [x, y]]]}),
            2 => json!({"type": "Polygon", "coordinates": []}),
            _ => json!({"type": "LineString", "coordinates": [[x, y]]}),
        };
        let doc = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"amenity": amenity, "osm_id": 1}, "geometry": geometry}]});
        let _ = import::osm::read(doc.to_string().as_bytes(), Some("KZ"), None);
    }
}

/// Zips the named files (stored, no compression) the way a planner would upload them.
fn zip_files(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in files {
        writer.start_file(*name, options).unwrap();
        std::io::Write::write_all(&mut writer, bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_zipped_shapefile_imports_through_the_api() {
    let Some(dir) = eval_dir() else { return };
    let part =
        |ext: &str| std::fs::read(dir.join(format!("kaz/kaz_admbnda_adm1_2024.{ext}"))).unwrap();
    let exts = ["shp", "shx", "dbf", "prj", "cpg"];
    let all: Vec<(String, Vec<u8>)> = exts
        .iter()
        .map(|e| (format!("regions/kaz_adm1.{e}"), part(e)))
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = all.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let app = TestApp::new().await;
    let (status, summary) = app
        .send(
            "POST",
            "/api/import/areas?level=1",
            Some(TOKEN),
            Some(zip_files(&refs)),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    let (_, areas) = app.get("/api/areas?level=1").await;
    let features = areas["features"].as_array().unwrap();
    assert_eq!(features.len(), 20);
    assert!(
        features
            .iter()
            .all(|f| f["properties"]["code"].as_str().unwrap().starts_with("KZ"))
    );
    assert!(
        features
            .iter()
            .any(|f| f["properties"]["names"]["ru"].is_string())
    );

    // Without its .dbf the archive is refused, naming what is missing, and nothing changes.
    let no_dbf: Vec<(&str, Vec<u8>)> = refs
        .iter()
        .filter(|(n, _)| !n.ends_with(".dbf"))
        .cloned()
        .collect();
    let (status, err) = app
        .send(
            "POST",
            "/api/import/areas?level=2",
            Some(TOKEN),
            Some(zip_files(&no_dbf)),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert!(err.to_string().contains(".dbf"), "{err}");
    let (_, districts) = app.get("/api/areas?level=2").await;
    assert_eq!(districts["features"].as_array().unwrap().len(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn zip_reader_never_panics(tail in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(tail);
        let _ = shapefile::read_zip(&bytes, &AreaOptions::default());
    }
}
