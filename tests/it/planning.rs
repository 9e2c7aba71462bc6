//! Planners' analyses against independent exhaustive computations (GeographicLib via
//! `geo::Geodesic`, every pair): greedy site placement, the H3 gap grid, catchments;
//! the public view of confidential facilities; the endpoints' 4xx answers.

use crate::support::{TOKEN, TestApp, collection, feature};
use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tirek::coverage::analysis::Sites;
use tirek::coverage::planning::{self, Candidate};
use tirek::import::sites::SiteRecord;
use tirek::model::{Sector, Settlement};

fn geodesic(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

fn settlement(id: &str, lon: f64, lat: f64, population: f64) -> Settlement {
    Settlement {
        id: id.into(),
        name: format!("Place {id}"),
        name_ru: None,
        alt_names: vec![],
        lon,
        lat,
        population,
        country: None,
        adm1: None,
        adm2: None,
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Plain greedy, every gain recomputed from scratch each round.
fn brute_force_greedy(
    facilities: &[(f64, f64)],
    people: &[(f64, f64, f64)],
    candidates: &[(f64, f64)],
    r: f64,
    k: usize,
) -> (f64, Vec<(usize, f64)>) {
    let mut covered: Vec<bool> = people
        .iter()
        .map(|p| facilities.iter().any(|&f| geodesic(f, (p.0, p.1)) <= r))
        .collect();
    let before = people
        .iter()
        .zip(&covered)
        .filter(|(_, c)| **c)
        .map(|(p, _)| p.2)
        .sum();
    let reach: Vec<Vec<usize>> = candidates
        .iter()
        .map(|&c| {
            (0..people.len())
                .filter(|&i| geodesic(c, (people[i].0, people[i].1)) <= r)
                .collect()
        })
        .collect();
    let mut steps = Vec::new();
    for _ in 0..k {
        let mut best: Option<(usize, f64)> = None;
        for (c, points) in reach.iter().enumerate() {
            let gain: f64 = points
                .iter()
                .filter(|&&i| !covered[i])
                .map(|&i| people[i].2)
                .sum();
            if gain > 0.0 && best.is_none_or(|(_, g)| gain > g) {
                best = Some((c, gain));
            }
        }
        let Some((c, gain)) = best else { break };
        for &i in &reach[c] {
            covered[i] = true;
        }
        steps.push((c, gain));
    }
    (before, steps)
}

#[test]
fn greedy_placement_equals_a_brute_force_greedy() {
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let towns: Vec<(f64, f64)> = (0..25)
        .map(|_| (rng.random_range(64.0..72.0), rng.random_range(39.0..44.0)))
        .collect();
    let near_town = |rng: &mut ChaCha8Rng, spread: f64| {
        let (x, y) = towns[rng.random_range(0..towns.len())];
        (
            round6(x + rng.random_range(-spread..spread)),
            round6(y + rng.random_range(-spread..spread)),
        )
    };
    let sites: Vec<SiteRecord> = (0..60)
        .map(|i| {
            let (lon, lat) = near_town(&mut rng, 0.6);
            SiteRecord {
                status: tirek::model::Status::Active,
                id: format!("f{i:02}"),
                sectors: vec![if i % 3 == 0 {
                    Sector::Police
                } else {
                    Sector::Health
                }],
                lon,
                lat,
                country: None,
            }
        })
        .collect();
    let settlements: Vec<Settlement> = (0..1500)
        .map(|i| {
            let (lon, lat) = if i % 4 == 0 {
                (
                    round6(rng.random_range(64.0..72.0)),
                    round6(rng.random_range(39.0..44.0)),
                )
            } else {
                near_town(&mut rng, 0.8)
            };
            // Round numbers of people, so that ties between candidates happen.
            settlement(
                &format!("s{i}"),
                lon,
                lat,
                f64::from(rng.random_range(1..20) * 100),
            )
        })
        .collect();
    // Candidates: some settlements, random points, and duplicates (ties → lowest index).
    let mut candidates: Vec<Candidate> = settlements
        .iter()
        .step_by(7)
        .map(|s| Candidate {
            id: s.id.clone(),
            lon: s.lon,
            lat: s.lat,
            name: None,
        })
        .collect();
    for i in 0..60 {
        let (lon, lat) = near_town(&mut rng, 1.0);
        candidates.push(Candidate {
            id: format!("r{i}"),
            lon,
            lat,
            name: None,
        });
    }
    let dup = candidates[5].clone();
    candidates.push(Candidate {
        id: "dup".into(),
        ..dup
    });
    let threshold = 25_000.0;
    let k = 40;
    let plan = planning::plan_sites(
        &Sites::from_records(&sites),
        &settlements,
        Sector::Health,
        threshold,
        k,
        candidates.clone(),
    )
    .unwrap();

    let health: Vec<(f64, f64)> = sites
        .iter()
        .filter(|s| s.sectors.contains(&Sector::Health))
        .map(|s| (s.lon, s.lat))
        .collect();
    let people: Vec<(f64, f64, f64)> = settlements
        .iter()
        .map(|s| (s.lon, s.lat, s.population))
        .collect();
    let coords: Vec<(f64, f64)> = candidates.iter().map(|c| (c.lon, c.lat)).collect();
    let (before, steps) = brute_force_greedy(&health, &people, &coords, threshold, k);

    assert_eq!(plan.plan.covered_before, before);
    assert_eq!(
        plan.plan.population_total,
        people.iter().map(|p| p.2).sum::<f64>()
    );
    let got: Vec<(usize, f64)> = plan
        .plan
        .steps
        .iter()
        .map(|s| (s.candidate as usize, s.gain))
        .collect();
    assert_eq!(got, steps);
    assert!(got.len() > 10, "the fixture should place many sites");
    let mut after = before;
    for (s, (_, gain)) in plan.plan.steps.iter().zip(&steps) {
        after += gain;
        assert_eq!(s.covered_after, after);
    }
    assert!(
        !got.iter().any(|&(c, _)| c == candidates.len() - 1),
        "a duplicate never beats its lower-indexed twin"
    );
}

async fn post_json(app: &TestApp, uri: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let (status, value) = app
        .send("POST", uri, token, Some(body.to_string().into_bytes()))
        .await;
    (status.as_u16(), value)
}

/// A store with one country (a box), settlements and facilities of the package, a
/// confidential shelter and a confidential health post among them.
async fn planning_app() -> (TestApp, Vec<Value>, Vec<Settlement>) {
    let app = TestApp::new().await;
    let country = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "XX", "name": "Boxland"},
         "geometry": {"type": "Polygon", "coordinates": [[[68.0, 41.0], [70.0, 41.0], [70.0, 42.5], [68.0, 42.5], [68.0, 41.0]]]}}]});
    let (status, body) = post_json(&app, "/api/import/areas?level=0", Some(TOKEN), &country).await;
    assert_eq!(status, 200, "{body}");

    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut csv = String::from("id,lon,lat,population\n");
    let mut settlements = Vec::new();
    for i in 0..300 {
        let lon = round6(rng.random_range(67.8..70.2));
        let lat = round6(rng.random_range(40.9..42.6));
        let population = f64::from(rng.random_range(0..5000));
        csv.push_str(&format!("s{i},{lon},{lat},{population}\n"));
        settlements.push(settlement(&format!("s{i}"), lon, lat, population));
    }
    let (status, body) = app
        .send(
            "POST",
            "/api/import/population",
            Some(TOKEN),
            Some(csv.into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let mut features = Vec::new();
    for i in 0..40 {
        let sector = ["health", "psychosocial", "police"][i % 3];
        let mut f = feature(
            &format!("f{i:02}"),
            &[sector],
            round6(rng.random_range(67.5..70.5)),
            round6(rng.random_range(40.5..43.0)),
        );
        if i == 3 {
            f["properties"]["confidential"] = json!(true);
        }
        if i == 7 {
            f["properties"]["status"] = json!("closed");
        }
        features.push(f);
    }
    for (i, (lon, lat)) in [(68.7, 41.6), (69.6, 42.2)].into_iter().enumerate() {
        let mut f = feature(&format!("sh{i}"), &["shelter"], lon, lat);
        f["properties"]["confidential"] = json!(true);
        features.push(f);
    }
    let (status, body) = app.import(&collection(features.clone())).await;
    assert_eq!(status, 200, "{body}");
    (app, features, settlements)
}

fn active_of<'a>(features: &'a [Value], sector: &str) -> Vec<&'a Value> {
    features
        .iter()
        .filter(|f| {
            f["properties"]["sectors"]
                .as_array()
                .is_some_and(|s| s.contains(&json!(sector)))
                && f["properties"]["status"].as_str().unwrap_or("active") == "active"
        })
        .collect()
}

fn lonlat(f: &Value) -> (f64, f64) {
    let c = &f["geometry"]["coordinates"];
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

#[tokio::test]
async fn grid_distances_and_population_equal_an_exhaustive_computation() {
    let (app, features, settlements) = planning_app().await;
    let sectors = ["health", "psychosocial", "police", "shelter"];
    let (status, grid) = app
        .get_as("/api/gaps/grid?res=5&threshold_km.health=20&cells=all")
        .await;
    assert_eq!(status, 200, "{grid}");
    let cells = grid["features"].as_array().unwrap();
    assert_eq!(grid["grid"]["cells"], json!(cells.len()));
    assert_eq!(grid["grid"]["res"], 5);
    assert_eq!(grid["grid"]["thresholds_m"]["health"], 20_000.0);
    assert!(cells.len() > 50, "{} cells", cells.len());

    // Population: every settlement is in one cell (the country box or not).
    let total: f64 = settlements.iter().map(|s| s.population).sum();
    let sum: f64 = cells
        .iter()
        .map(|c| c["properties"]["population"].as_f64().unwrap())
        .sum();
    assert_eq!(sum, total);
    // Each settlement's people out of reach of some sector, measured from it.
    let threshold_of = |s: &str| {
        if s == "health" {
            20_000.0
        } else {
            tirek::coverage::Thresholds::default().get(s.parse().unwrap())
        }
    };
    let out_of_reach: Vec<(&Settlement, f64)> = settlements
        .iter()
        .filter(|s| {
            sectors.iter().any(|&sector| {
                active_of(&features, sector)
                    .iter()
                    .map(|f| geodesic((s.lon, s.lat), lonlat(f)))
                    .fold(f64::INFINITY, f64::min)
                    > threshold_of(sector)
            })
        })
        .map(|s| (s, s.population))
        .collect();
    let mut out_of_reach_by_cell: BTreeMap<String, f64> = BTreeMap::new();
    for (s, p) in &out_of_reach {
        let cell = h3o::LatLng::new(s.lat, s.lon)
            .unwrap()
            .to_cell(h3o::Resolution::Five);
        *out_of_reach_by_cell.entry(cell.to_string()).or_default() += p;
    }
    let mut by_cell: BTreeMap<String, f64> = BTreeMap::new();
    for s in &settlements {
        let cell = h3o::LatLng::new(s.lat, s.lon)
            .unwrap()
            .to_cell(h3o::Resolution::Five);
        *by_cell.entry(cell.to_string()).or_default() += s.population;
    }

    for c in cells {
        let p = &c["properties"];
        let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 2 + 2 * sectors.len() + 2, "{keys:?}");
        let cell: h3o::CellIndex = p["cell"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            p["population"].as_f64().unwrap(),
            by_cell.get(&cell.to_string()).copied().unwrap_or(0.0)
        );
        let centre = h3o::LatLng::from(cell);
        let centre = (centre.lng(), centre.lat());
        let ring = c["geometry"]["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.first(), ring.last(), "closed ring");
        let mut all = true;
        for s in sectors {
            let best = active_of(&features, s)
                .iter()
                .map(|f| geodesic(centre, lonlat(f)))
                .fold(f64::INFINITY, f64::min);
            let threshold = if s == "health" {
                20_000.0
            } else {
                tirek::coverage::Thresholds::default().get(s.parse().unwrap())
            };
            let got = p[format!("dist_km_{s}")].as_f64().unwrap();
            assert!(
                (got - best / 1000.0).abs() <= 0.0005 + 1e-9,
                "{s}: {got} vs {best}"
            );
            let covered = best <= threshold;
            assert_eq!(p[format!("covered_{s}")], json!(covered), "{s}");
            all &= covered;
        }
        assert_eq!(p["covered_all"], json!(all));
        assert_eq!(
            p["people_out_of_reach"].as_f64().unwrap(),
            out_of_reach_by_cell
                .get(&cell.to_string())
                .copied()
                .unwrap_or(0.0),
            "{cell}"
        );
    }

    // By default only the cells where someone lives, the same figures; their people
    // out of reach add up to the coverage table's uncovered people plus those of the
    // settlements it leaves out (farther than 0.2° from the country).
    let (status, populated) = app
        .get_as("/api/gaps/grid?res=5&threshold_km.health=20")
        .await;
    assert_eq!(status, 200, "{populated}");
    let wanted: Vec<&Value> = cells
        .iter()
        .filter(|c| c["properties"]["population"].as_f64().unwrap() > 0.0)
        .collect();
    assert!(wanted.len() < cells.len());
    assert_eq!(
        populated["features"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        wanted
    );
    assert_eq!(populated["grid"]["cells"], json!(wanted.len()));
    let grid_total: f64 = out_of_reach.iter().map(|(_, p)| p).sum();
    let (status, coverage) = app
        .get_as("/api/coverage?level=0&threshold_km.health=20")
        .await;
    assert_eq!(status, 200, "{coverage}");
    let table_total: f64 = coverage["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["uncovered"].as_f64().unwrap())
        .sum();
    let far_from_box = |s: &&Settlement| {
        let dx = (68.0 - s.lon).max(s.lon - 70.0).max(0.0);
        let dy = (41.0 - s.lat).max(s.lat - 42.5).max(0.0);
        dx.hypot(dy) > 0.2
    };
    let left_out: f64 = out_of_reach
        .iter()
        .filter(|(s, _)| far_from_box(s))
        .map(|(_, p)| p)
        .sum();
    assert!(
        (grid_total - (table_total + left_out)).abs() < 1e-6,
        "{grid_total} vs {table_total} + {left_out}"
    );

    // With a bbox: only the settlements inside count.
    let (status, boxed) = app
        .get("/api/gaps/grid?res=6&sector=police&bbox=68.5,41.2,69.0,41.6")
        .await;
    assert_eq!(status, 200, "{boxed}");
    let inside: f64 = settlements
        .iter()
        .filter(|s| (68.5..=69.0).contains(&s.lon) && (41.2..=41.6).contains(&s.lat))
        .map(|s| s.population)
        .sum();
    let sum: f64 = boxed["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["properties"]["population"].as_f64().unwrap())
        .sum();
    assert_eq!(sum, inside);
    assert_eq!(boxed["grid"]["sectors"], json!(["police"]));
}

#[tokio::test]
async fn the_public_grid_and_catchments_withhold_confidential_distances() {
    let (app, features, settlements) = planning_app().await;
    let uri = "/api/gaps/grid?res=5&sector=health,shelter,police";
    let (_, private) = app.get_as(uri).await;
    let (status, public) = app.get(uri).await;
    assert_eq!(status, 200);
    // Health (a confidential post) and shelter are withheld from the public in every
    // cell — distance and covered flag, and so the package flag — because the cells'
    // values would trace the locations; police (all public) is given as to the planner.
    for (a, p) in private["features"]
        .as_array()
        .unwrap()
        .iter()
        .zip(public["features"].as_array().unwrap())
    {
        let (a, p) = (&a["properties"], &p["properties"]);
        assert_eq!(a["cell"], p["cell"]);
        assert_eq!(a["population"], p["population"]);
        for s in ["health", "shelter"] {
            assert!(a[format!("dist_km_{s}")].is_number());
            assert!(a[format!("covered_{s}")].is_boolean());
            assert!(p[format!("dist_km_{s}")].is_null(), "{p}");
            assert!(p[format!("covered_{s}")].is_null(), "{p}");
        }
        assert!(a["covered_all"].is_boolean() && p["covered_all"].is_null());
        assert_eq!(a["dist_km_police"], p["dist_km_police"]);
        assert_eq!(a["covered_police"], p["covered_police"]);
    }
    assert!(
        public["grid"]["note"]
            .as_str()
            .unwrap()
            .contains("withheld")
    );

    // Catchments: the authorised caller sees ids and exact distances.
    let (status, all) = app.get_as("/api/catchments?sector=shelter").await;
    assert_eq!(status, 200, "{all}");
    let shelters = active_of(&features, "shelter");
    let by_id: BTreeMap<&str, &Settlement> =
        settlements.iter().map(|s| (s.id.as_str(), s)).collect();
    assert_eq!(all.as_array().unwrap().len(), settlements.len());
    for row in all.as_array().unwrap() {
        let s = by_id[row["id"].as_str().unwrap()];
        assert_eq!(row["population"], json!(s.population));
        let (best, id) = shelters
            .iter()
            .map(|f| (geodesic((s.lon, s.lat), lonlat(f)), f["id"].clone()))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap();
        assert_eq!(row["facility_id"], id);
        assert!((row["distance_m"].as_f64().unwrap() - best).abs() <= 0.0005 + 1e-9);
    }
    // The public: refused for sectors with confidential facilities (403, saying why).
    for sector in ["shelter", "health"] {
        let (status, refused) = app.get(&format!("/api/catchments?sector={sector}")).await;
        assert_eq!(status, 403, "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("confidential")
        );
    }
    let (_, police) = app.get("/api/catchments?sector=police").await;
    assert!(
        police
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["facility_id"].is_string() && r["distance_m"].is_number())
    );
}

#[tokio::test]
async fn plan_sites_answers_with_steps_and_refuses_bad_input() {
    let (app, _, settlements) = planning_app().await;
    // Health has a confidential post in the fixture: the public may not plan it.
    let body = json!({"sector": "health", "k": 5, "threshold_km": 15});
    let (status, refused) = post_json(&app, "/api/plan/sites", None, &body).await;
    assert_eq!(status, 403, "{refused}");
    let (status, plan) = post_json(&app, "/api/plan/sites", Some(TOKEN), &body).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["sector"], "health");
    assert_eq!(plan["threshold_m"], 15_000.0);
    assert_eq!(plan["candidates_considered"], settlements.len());
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    let mut covered = plan["covered_before"].as_f64().unwrap();
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["rank"], i + 1);
        covered += s["gain"].as_f64().unwrap();
        assert_eq!(s["covered_after"].as_f64().unwrap(), covered);
        assert!(s["site"]["id"].as_str().unwrap().starts_with('s'));
        assert!(s["site"]["name"].is_string());
    }
    assert!(covered <= plan["population_total"].as_f64().unwrap());

    let (status, grid) = post_json(
        &app,
        "/api/plan/sites",
        None,
        &json!({"sector": "police", "k": 3, "candidates": "grid", "res": 5}),
    )
    .await;
    assert_eq!(status, 200, "{grid}");
    assert!(grid["candidates_considered"].as_u64().unwrap() > 50);
    let first: h3o::CellIndex = grid["steps"][0]["site"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first.resolution(), h3o::Resolution::Five);

    let (status, listed) = post_json(
        &app,
        "/api/plan/sites",
        Some(TOKEN),
        &json!({"sector": "shelter", "k": 2, "candidates": [
            {"id": "a", "lon": 68.2, "lat": 41.1, "name": "North"}, {"id": "b", "lon": 69.9, "lat": 42.4}]}),
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["candidates_considered"], 2);

    for (body, needle) in [
        (json!({"sector": "bakery", "k": 1}), "sector"),
        (json!({"sector": "health", "k": 0}), "k"),
        (json!({"sector": "health", "k": 201}), "k"),
        (json!({"sector": "health"}), "k"),
        (
            json!({"sector": "health", "k": 1, "candidates": "airports"}),
            "candidates",
        ),
        (
            json!({"sector": "health", "k": 1, "candidates": [{"id": "x", "lon": 200, "lat": 0}]}),
            "lon",
        ),
        (
            json!({"sector": "health", "k": 1, "candidates": [{"id": "x", "lon": 69}]}),
            "lat",
        ),
        (
            json!({"sector": "health", "k": 1, "candidates": "grid", "res": 9}),
            "res",
        ),
        (
            json!({"sector": "health", "k": 1, "threshold_km": -1}),
            "threshold_km",
        ),
        (
            json!({"sector": "health", "k": 1, "colour": "red"}),
            "colour",
        ),
        (json!(["health"]), "object"),
    ] {
        let (status, err) = post_json(&app, "/api/plan/sites", None, &body).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(needle),
            "{body}: {err}"
        );
    }
    let (status, err) = app
        .send(
            "POST",
            "/api/plan/sites",
            None,
            Some(b"{\"sector\": ".to_vec()),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["code"], "bad_request");
}

#[tokio::test]
async fn grid_and_catchments_refuse_bad_parameters() {
    let (app, _, _) = planning_app().await;
    for (uri, needle) in [
        ("/api/gaps/grid?res=8", "res"),
        ("/api/gaps/grid?res=2", "res"),
        ("/api/gaps/grid?res=five", "res"),
        ("/api/gaps/grid?sector=bakery", "sector"),
        ("/api/gaps/grid?bbox=1,2,3", "bbox"),
        ("/api/gaps/grid?bbox=70,40,60,41", "bbox"),
        ("/api/gaps/grid?colour=red", "colour"),
        ("/api/gaps/grid?threshold_km.health=-3", "threshold_km"),
        (
            "/api/gaps/grid?res=7&bbox=40,30,90,56",
            "smaller bbox or a lower res",
        ),
        ("/api/catchments", "sector"),
        ("/api/catchments?sector=bakery", "sector"),
        ("/api/catchments?sector=health&k=2", "k"),
    ] {
        let (status, err) = app.get(uri).await;
        assert_eq!(status, 400, "{uri}: {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(needle),
            "{uri}: {err}"
        );
    }
    let (status, _) = app.get("/api/plan/sites").await;
    assert_eq!(status, 405);
}
