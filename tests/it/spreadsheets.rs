//! Issue #16, service-mapping import from spreadsheets: a realistic 200-row `.xlsx`
//! service-mapping sheet (headers of its own, mixed scripts, most rows without
//! coordinates, one ambiguous settlement, one unmatched, one bad sector) built here
//! with a seeded generator; its problems are named by row, column, value and
//! candidates with nothing written; fixed, it imports all 200 at the coordinates the
//! settlements file gives (read here on its own); `--dry-run` and `dry_run=true` write
//! nothing; a KoboToolbox export, `--mapping`, `--sheet` and the HTTP endpoint; on
//! SQLite and PostgreSQL.

use crate::support::{PgDatabase, TOKEN, TestApp};
use crate::trust::{geodata, tirek};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tirek::model::LocationPrecision;
use tirek::store::{PostgresStore, SqliteStore, Store};
use tower::ServiceExt;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The example mapping the README points to: the sheet's headers and sector words.
fn mapping() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/service-mapping.toml"),
    )
    .unwrap()
}

/// A row of `geodata/settlements.csv`, read here without Tirek.
#[derive(Debug, Clone)]
struct Town {
    id: String,
    lon: f64,
    lat: f64,
    population: f64,
    name: String,
    name_ru: String,
    country: String,
    alt_names: Vec<String>,
}

fn towns() -> Vec<Town> {
    let mut reader = csv::Reader::from_path(geodata().join("settlements.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Town {
                id: r[0].to_string(),
                lon: r[1].parse().unwrap(),
                lat: r[2].parse().unwrap(),
                population: r[3].parse().unwrap(),
                name: r[4].to_string(),
                name_ru: r[5].to_string(),
                country: r[6].to_string(),
                alt_names: r[7].split('|').map(str::to_string).collect(),
            }
        })
        .collect()
}

/// One service-mapping row as the sheet holds it.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    name: String,
    name_ru: String,
    organisation: String,
    sector: String,
    country: String,
    region: String,
    settlement: String,
    /// (lat, lon) when the row gives coordinates.
    point: Option<(f64, f64)>,
    phone: String,
    verified: Option<(u16, u8, u8)>,
    notes: String,
    /// Where the record must end up: the settlement's id and point, or the row's own.
    expected: (f64, f64),
    precision: LocationPrecision,
}

/// The sheet's row number of data row `i` (0-based): the header is row 1 and row
/// 100 is left empty, as sheets have.
fn sheet_row(i: usize) -> usize {
    if i < 98 { i + 2 } else { i + 3 }
}

/// Rows whose problems the broken sheet has: an ambiguous town, a misspelt one, a
/// sector outside the vocabulary.
const AMBIGUOUS: usize = 50;
const UNMATCHED: usize = 120;
const BAD_SECTOR: usize = 170;

/// Country names as sheets write them (codes, English, Russian).
fn country_cell(rng: &mut ChaCha8Rng, code: &str) -> String {
    let names: &[&str] = match code {
        "KZ" => &["KZ", "Kazakhstan", "Казахстан", ""],
        "KG" => &["KG", "Kyrgyzstan", "Кыргызстан", ""],
        "TJ" => &["TJ", "Tajikistan", "Таджикистан", ""],
        "TM" => &["TM", "Turkmenistan", "Туркмения", ""],
        _ => &["UZ", "Uzbekistan", "Узбекистан", ""],
    };
    names[rng.random_range(0..names.len())].to_string()
}

/// 200 seeded rows; `broken` puts in the three problems.
fn service_rows(towns: &[Town], broken: bool) -> Vec<Row> {
    let fold = tirek::search::fold;
    // How many settlements answer to each spelling: a row names a town by a spelling
    // only one settlement has, except where ambiguity is the point.
    let mut owners: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, t) in towns.iter().enumerate() {
        let mut keys: Vec<String> = std::iter::once(&t.name)
            .chain(std::iter::once(&t.name_ru))
            .chain(t.alt_names.iter())
            .map(|n| fold(n))
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            owners.entry(k).or_default().push(i);
        }
    }
    let unique = |spelling: &str| owners.get(&fold(spelling)).is_some_and(|o| o.len() == 1);
    let by_spelling = |spelling: &str| -> usize {
        let o = &owners[&fold(spelling)];
        assert_eq!(o.len(), 1, "{spelling} names one settlement");
        o[0]
    };
    let pool: Vec<usize> = (0..towns.len())
        .filter(|&i| towns[i].population > 0.0 && unique(&towns[i].name))
        .collect();
    assert!(pool.len() > 300, "{}", pool.len());
    // Spellings a sheet from the region holds: Latin, Cyrillic, old transliterations
    // and Uzbek Latin.
    let fixed: Vec<&str> = [
        "Shymkent",
        "Chimkent",
        "Шымкент",
        "Toshkent",
        "Samarqand",
        "Buxoro",
        "Fargʻona",
        "Andijon",
        "Qarshi",
        "ТАРАЗ",
        "bishkek",
        "Душанбе",
        "Khujand",
        "Ашхабад",
    ]
    .into_iter()
    .filter(|s| unique(s))
    .collect();
    for must in [
        "Shymkent",
        "Chimkent",
        "Шымкент",
        "Toshkent",
        "Buxoro",
        "ТАРАЗ",
    ] {
        assert!(fixed.contains(&must), "{must} names one settlement");
    }
    let sectors = [
        "Health",
        "Здравоохранение",
        "Police",
        "Полиция",
        "Psychosocial",
        "Shelter",
        "Legal aid",
        "Hotline",
    ];
    let kinds = [
        ("Crisis centre", "Кризисный центр"),
        ("Women's resource centre", "Ресурсный центр для женщин"),
        ("District hospital", "Районная больница"),
        ("Police department", "Отдел полиции"),
        ("Legal aid office", "Юридическая консультация"),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    (0..200)
        .map(|i| {
            let (town, spelling) = match i {
                i if i < fixed.len() => (by_spelling(fixed[i]), fixed[i].to_string()),
                AMBIGUOUS => (
                    towns.iter().position(|t| t.id == "gn:1524298").unwrap(),
                    "Aksu".to_string(),
                ),
                UNMATCHED => (
                    towns.iter().position(|t| t.id == "gn:1516905").unwrap(),
                    if broken { "Tarazz" } else { "Taraz" }.to_string(),
                ),
                _ => {
                    let t = &towns[pool[rng.random_range(0..pool.len())]];
                    let options = [
                        t.name.clone(),
                        t.name_ru.clone(),
                        t.name.to_uppercase(),
                        t.name_ru.to_lowercase(),
                        format!("  {}  ", t.name),
                    ];
                    let s = options[rng.random_range(0..options.len())].clone();
                    let s = if unique(&s) { s } else { t.name.clone() };
                    (by_spelling(&s), s)
                }
            };
            let t = &towns[town];
            // Every fifth row was surveyed: coordinates of its own, every digit kept.
            let point = (i % 5 == 4 && i != AMBIGUOUS && i != UNMATCHED).then(|| {
                (
                    t.lat + rng.random_range(-0.02..0.02),
                    t.lon + rng.random_range(-0.02..0.02),
                )
            });
            let (kind_en, kind_ru) = kinds[rng.random_range(0..kinds.len())];
            let mut sector = sectors[rng.random_range(0..sectors.len())].to_string();
            if i == BAD_SECTOR && broken {
                sector = "Helth".into();
            }
            let region = if i == AMBIGUOUS && !broken {
                "Павлодарская область".to_string()
            } else {
                String::new()
            };
            let country = if i == AMBIGUOUS {
                "Kazakhstan".to_string()
            } else {
                country_cell(&mut rng, &t.country)
            };
            Row {
                id: format!("sm-{i:03}"),
                name: format!("{kind_en} No. {}, {}", i + 1, t.name),
                name_ru: format!(
                    "{kind_ru} № {} г. {}",
                    i + 1,
                    if t.name_ru.is_empty() {
                        &t.name
                    } else {
                        &t.name_ru
                    }
                ),
                organisation: ["UNFPA partner", "Минздрав", "NGO Ak Jol", "Sog'lom oila"]
                    [rng.random_range(0..4)]
                .to_string(),
                sector,
                country,
                region,
                settlement: spelling,
                point,
                phone: format!("+7 700 {:03} {:04}", i % 1000, rng.random_range(0..10000)),
                verified: (i % 3 == 0).then(|| (2026, (i % 9 + 1) as u8, (i % 27 + 1) as u8)),
                notes: [
                    "",
                    "opens Saturdays",
                    "нужен переводчик",
                    "ramp at the side door",
                ][rng.random_range(0..4)]
                .to_string(),
                expected: point.map_or((t.lon, t.lat), |(lat, lon)| (lon, lat)),
                precision: if point.is_some() {
                    LocationPrecision::Exact
                } else {
                    LocationPrecision::Settlement
                },
            }
        })
        .collect()
}

const HEADER: [&str; 13] = [
    "ID",
    "Name of service",
    "Название",
    "Organisation",
    "Sector",
    "Country",
    "Region",
    "Settlement",
    "Latitude",
    "Longitude",
    "Phone",
    "Last verified",
    "Notes",
];

/// The workbook: the service map on its first sheet, three shelters on "Shelters".
fn workbook(rows: &[Row]) -> Vec<u8> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet();
    sheet.set_name("Service map").unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (sheet_row(i) - 1) as u32;
        for (c, text) in [
            (0, &r.id),
            (1, &r.name),
            (2, &r.name_ru),
            (3, &r.organisation),
            (4, &r.sector),
            (5, &r.country),
            (6, &r.region),
            (7, &r.settlement),
            (10, &r.phone),
            (12, &r.notes),
        ] {
            if !text.is_empty() {
                sheet.write_string(row, c, text.as_str()).unwrap();
            }
        }
        if let Some((lat, lon)) = r.point {
            sheet.write_number(row, 8, lat).unwrap();
            sheet.write_number(row, 9, lon).unwrap();
        }
        if let Some((y, m, d)) = r.verified {
            let when = ExcelDateTime::from_ymd(y, m, d).unwrap();
            sheet
                .write_datetime_with_format(row, 11, &when, &date)
                .unwrap();
        }
    }
    let shelters = book.add_worksheet();
    shelters.set_name("Shelters").unwrap();
    for (c, h) in ["id", "name", "sectors", "settlement", "country"]
        .iter()
        .enumerate()
    {
        shelters.write_string(0, c as u16, *h).unwrap();
    }
    for (i, town) in ["Павлодар", "Osh", "Namangan"].iter().enumerate() {
        let row = i as u32 + 1;
        shelters
            .write_string(row, 0, format!("shelter-{i}"))
            .unwrap();
        shelters
            .write_string(row, 1, format!("Safe house {i}"))
            .unwrap();
        shelters.write_string(row, 2, "shelter").unwrap();
        shelters.write_string(row, 3, *town).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// Posts `body` as `media_type` to `uri` as a planner.
async fn post(app: &TestApp, uri: &str, media_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", media_type)
        .body(Body::from(body))
        .unwrap();
    let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, value)
}

fn query(text: &str) -> String {
    serde_urlencoded::to_string([("mapping", text)]).unwrap()
}

/// Checks the broken sheet's answer: exactly its three problems, each named.
fn check_problems(errors: &[Value]) {
    let found: Vec<(u64, &str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap_or(0),
                e["column"].as_str().unwrap_or(""),
                e["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (sheet_row(AMBIGUOUS) as u64, "H", "Settlement"),
            (sheet_row(UNMATCHED) as u64, "H", "Settlement"),
            (sheet_row(BAD_SECTOR) as u64, "E", "Sector"),
        ],
        "{errors:#?}"
    );
    let message = |i: usize| errors[i]["message"].as_str().unwrap();
    // Every Aksu of Kazakhstan, each with its region, and what to do.
    for id in ["gn:1524298", "gn:1525462", "gn:1526271"] {
        assert!(message(0).contains(id), "{}", message(0));
    }
    assert!(
        message(0).contains("3 settlements are named \"Aksu\""),
        "{}",
        message(0)
    );
    assert!(message(0).contains("Pavlodar KZ-PAV"), "{}", message(0));
    assert!(message(0).contains("add the region"), "{}", message(0));
    assert!(
        message(1).contains("no settlement \"Tarazz\""),
        "{}",
        message(1)
    );
    assert!(
        message(1).contains("closest: Taraz / Тараз"),
        "{}",
        message(1)
    );
    assert!(message(1).contains("gn:1516905"), "{}", message(1));
    assert!(message(2).contains("\"Helth\""), "{}", message(2));
    assert_eq!(errors[0]["id"], "sm-050");
}

/// Checks the stored records against the rows: every one, where the settlements file
/// (or the row) puts it, with its precision.
fn check_stored(app: &TestApp, rows: &[Row]) {
    let index = app.state.registry.index();
    for r in rows {
        let f = index
            .get(&r.id)
            .unwrap_or_else(|| panic!("{} stored", r.id));
        assert_eq!((f.lon, f.lat), r.expected, "{} ({})", r.id, r.settlement);
        assert_eq!(f.location_precision, r.precision, "{}", r.id);
        assert_eq!(f.names[&tirek::model::Language::Ru], r.name_ru);
        if let Some((y, m, d)) = r.verified {
            assert_eq!(
                f.verified_at,
                chrono::NaiveDate::from_ymd_opt(y.into(), m.into(), d.into())
            );
        }
    }
    // Named by country and region, the ambiguous town's row holds codes, not names.
    let aksu = index.get("sm-050").unwrap();
    assert_eq!(
        (aksu.country.as_str(), aksu.adm1.as_deref()),
        ("KZ", Some("KZ-PAV"))
    );
}

/// The whole story over the HTTP endpoint, on one store.
async fn story(app: TestApp) {
    tirek::registry::defaults::load(
        &app.state.registry,
        &tirek::registry::defaults::DefaultData::Dir(geodata()),
    )
    .await
    .unwrap();
    let towns = towns();
    let broken = service_rows(&towns, true);
    let fixed = service_rows(&towns, false);
    let before = app.state.registry.index().len();
    let m = query(&mapping());

    // The broken sheet: every problem, nothing written, dry run or not.
    for dry in ["&dry_run=true", ""] {
        let (status, answer) = post(
            &app,
            &format!("/api/import?{m}{dry}"),
            XLSX,
            workbook(&broken),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        check_problems(
            answer["error"]["details"]["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("{answer}")),
        );
        assert_eq!(app.state.registry.index().len(), before);
    }

    // Without the mapping the sheet's own headers are named as unknown.
    let (status, answer) = post(&app, "/api/import?dry_run=true", XLSX, workbook(&fixed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let text = answer.to_string();
    assert!(
        text.contains("\"Name of service\"") && text.contains("\"column\":\"B\""),
        "{text}"
    );

    // Fixed: the dry run says what would happen and writes nothing.
    let placed = fixed.iter().filter(|r| r.point.is_none()).count();
    let (status, answer) = post(
        &app,
        &format!("/api/import?{m}&dry_run=true"),
        XLSX,
        workbook(&fixed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["dry_run"], true);
    assert_eq!(answer["created"], 200);
    assert_eq!(answer["placed_by_settlement"], placed as u64);
    assert_eq!(app.state.registry.index().len(), before);
    assert!(
        app.state
            .registry
            .store()
            .facility("sm-000")
            .await
            .unwrap()
            .is_none()
    );

    // Imported: all 200, where the settlements file says.
    let (status, answer) = post(&app, &format!("/api/import?{m}"), XLSX, workbook(&fixed)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["created"].as_u64(), answer.get("dry_run")),
        (Some(200), None)
    );
    assert_eq!(answer["placed_by_settlement"], placed as u64);
    check_stored(&app, &fixed);
    let (_, one) = app.get_as("/api/facilities/sm-001").await;
    assert_eq!(
        one["properties"]["location_precision"], "settlement",
        "{one}"
    );

    // Again: unchanged. And the CSV export reads back unchanged, precision included.
    let (_, answer) = post(&app, &format!("/api/import?{m}"), XLSX, workbook(&fixed)).await;
    assert_eq!(
        (answer["created"].as_u64(), answer["unchanged"].as_u64()),
        (Some(0), Some(200)),
        "{answer}"
    );
    let (status, csv) = app.get("/api/export?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    let csv = csv.as_str().unwrap().to_string();
    assert!(csv.lines().next().unwrap().contains(",location_precision,"));
    assert!(csv.lines().nth(1).unwrap().contains(",#geo+precision,"));
    let (status, answer) = post(&app, "/api/import", "text/csv", csv.into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["created"], 0, "{answer}");
    assert_eq!(answer["updated"], 0, "{answer}");
    check_stored(&app, &fixed);

    // `sheet=`: the shelters' sheet; an unknown sheet names the ones there are.
    let (status, answer) = post(&app, "/api/import?sheet=Shelters", XLSX, workbook(&fixed)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (
            answer["created"].as_u64(),
            answer["placed_by_settlement"].as_u64()
        ),
        (Some(3), Some(3))
    );
    let osh = app.state.registry.index().get("shelter-1").unwrap();
    let town = towns.iter().find(|t| t.id == "gn:1527534").unwrap();
    assert_eq!(
        (osh.lon, osh.lat, osh.country.as_str()),
        (town.lon, town.lat, "KG")
    );
    assert!(osh.confidential);
    let (status, answer) = post(&app, "/api/import?sheet=Sheet9", XLSX, workbook(&fixed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .to_string()
            .contains("\\\"Service map\\\", \\\"Shelters\\\""),
        "{answer}"
    );

    // A KoboToolbox CSV export: `;`, group paths, metadata, a geopoint; the mapping
    // renames a question and a word.
    let kobo = "start;end;service/id;service/name;service/type_of_service;service/country;place/settlement;place/location;_place/location_latitude;_place/location_longitude;_place/location_altitude;_place/location_precision;Comments;_id;_uuid;_submission_time;_validation_status;_index\n\
        2026-11-02T09:00:00.000+05:00;2026-11-02T09:10:00.000+05:00;kobo-1;Ресурсный центр;Здравоохранение;KZ;;42.341712345 69.590123456 410 5;42.341712345;69.590123456;410;5;ok;901;0b1c2d3e-0000-4000-8000-000000000001;2026-11-02T04:11:00;;1\n\
        2026-11-02T09:20:00.000+05:00;2026-11-02T09:30:00.000+05:00;;Кризисный центр;Police;Казахстан;Шымкент;;;;;;;902;0b1c2d3e-0000-4000-8000-000000000002;2026-11-02T04:31:00;;2\n";
    let kobo_mapping = "[columns]\n\"type_of_service\" = \"sectors\"\n\"Comments\" = \"ignore\"\n\n[values.sectors]\n\"Здравоохранение\" = \"health\"\n\"Police\" = \"police\"\n";
    let (status, answer) = post(
        &app,
        &format!("/api/import?{}", query(kobo_mapping)),
        "text/csv",
        kobo.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (
            answer["created"].as_u64(),
            answer["placed_by_settlement"].as_u64()
        ),
        (Some(2), Some(1)),
        "{answer}"
    );
    let index = app.state.registry.index();
    let first = index.get("kobo-1").unwrap();
    assert_eq!((first.lon, first.lat), (69.590123456, 42.341712345));
    assert_eq!(first.location_precision, LocationPrecision::Exact);
    let second = index
        .get("kobo-0b1c2d3e-0000-4000-8000-000000000002")
        .unwrap();
    let shymkent = towns.iter().find(|t| t.id == "gn:1518980").unwrap();
    assert_eq!((second.lon, second.lat), (shymkent.lon, shymkent.lat));
    assert_eq!(second.location_precision, LocationPrecision::Settlement);
    assert_eq!(second.sectors, [tirek::model::Sector::Police]);

    // An unknown organisation is named by its line and column, like every error.
    let csv = "id,name,sectors,organisation_id,lon,lat,country\nq1,Q,health,,69.6,42.3,KZ\nq2,Q,health,no-such-agency,69.6,42.3,KZ\n";
    let (status, answer) = post(&app, "/api/import", "text/csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let details = answer["error"]["details"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(details.len(), 1, "{answer}");
    assert_eq!(
        (
            details[0]["index"].as_u64(),
            details[0]["column"].as_str(),
            details[0]["field"].as_str()
        ),
        (Some(3), Some("D"), Some("organisation_id"))
    );
    assert!(
        details[0]["message"]
            .as_str()
            .unwrap()
            .contains("no-such-agency")
    );
}

#[tokio::test]
async fn a_service_mapping_sheet_on_sqlite() {
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::connect_url("sqlite::memory:").await.unwrap());
    story(TestApp::on(store).await).await;
}

#[tokio::test]
async fn a_service_mapping_sheet_on_postgres() {
    let Some(db) = PgDatabase::create("spreadsheets").await else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&db.url).await.unwrap());
    story(TestApp::on(store).await).await;
    db.drop_now().await;
}

/// The command line: `--mapping`, `--dry-run` (non-zero with problems, every one
/// printed), `--sheet`, on a store of its own.
#[test]
fn the_command_line_imports_a_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    };
    // An export loads the built-in default data into the empty store first.
    let (ok, _, err) = tirek(
        &data,
        &[
            "export",
            "facilities",
            "--out",
            &file("before.geojson", b""),
        ],
    );
    assert!(ok, "{err}");
    let towns = towns();
    let broken = file("broken.xlsx", &workbook(&service_rows(&towns, true)));
    let fixed_rows = service_rows(&towns, false);
    let fixed = file("fixed.xlsx", &workbook(&fixed_rows));
    let mapping = file("mapping.toml", mapping().as_bytes());

    let (ok, out, err) = tirek(
        &data,
        &[
            "import",
            "facilities",
            &broken,
            "--mapping",
            &mapping,
            "--dry-run",
        ],
    );
    assert!(!ok, "{out}");
    let problems: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("broken.xlsx: row "))
        .collect();
    assert_eq!(problems.len(), 3, "{err}");
    assert!(
        problems[0].contains(&format!(
            "row {}, column H \"Settlement\" (id sm-050)",
            sheet_row(AMBIGUOUS)
        )),
        "{err}"
    );
    assert!(problems[1].contains("Tarazz"), "{err}");
    assert!(problems[2].contains("column E \"Sector\""), "{err}");

    let (ok, out, err) = tirek(
        &data,
        &[
            "import",
            "facilities",
            &fixed,
            "--mapping",
            &mapping,
            "--dry-run",
        ],
    );
    assert!(ok, "{err}");
    let placed = fixed_rows.iter().filter(|r| r.point.is_none()).count();
    assert!(out.contains(&format!("dry run, nothing written: read 200, would create 200, update 0, leave unchanged 0, skip 0; {placed} placed by settlement")), "{out}");
    let (ok, out, err) = tirek(&data, &["export", "facilities", "--format", "csv"]);
    assert!(ok, "{err}");
    assert!(!out.contains("sm-000"), "the dry run wrote nothing");

    // A bad mapping is named.
    let bad = file("bad.toml", b"[columns]\n\"Sector\" = \"sector_list\"\n");
    let (ok, _, err) = tirek(&data, &["import", "facilities", &fixed, "--mapping", &bad]);
    assert!(!ok);
    assert!(
        err.contains("\"sector_list\" is not a record field"),
        "{err}"
    );

    let (ok, out, err) = tirek(
        &data,
        &["import", "facilities", &fixed, "--mapping", &mapping],
    );
    assert!(ok, "{err}");
    assert!(out.contains(&format!("read 200, created 200, updated 0, unchanged 0, skipped 0; {placed} placed by settlement")), "{out}");
    let (ok, out, err) = tirek(
        &data,
        &["import", "facilities", &fixed, "--sheet", "Shelters"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("created 3"), "{out}");
    let (ok, out, _) = tirek(&data, &["export", "facilities", "--format", "csv"]);
    assert!(ok);
    let line = out.lines().find(|l| l.starts_with("sm-001,")).unwrap();
    assert!(line.contains(",settlement,"), "{line}");
}
